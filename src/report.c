#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "intake.h"
#include "ledger.h"
#include "log.h"
#include "queue.h"
#include "banned.h"

/* ---- dates ------------------------------------------------------------ */

/* Parses the YYYY-MM-DD at the start of s; 0 and *days, or -1. */
static int ymd_days(const char *s, long *days)
{
	int y, m, d, yy, mm, dd, i;

	if (!s)
		return -1;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return -1;
		} else if (s[i] < '0' || s[i] > '9') {
			return -1;
		}
	}
	y = (int)strtol(s, NULL, 10);
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	*days = intake_days_from_civil(y, m, d);
	intake_civil_from_days(*days, &yy, &mm, &dd);
	return yy == y && mm == m && dd == d ? 0 : -1;
}

static void days_ymd(long days, char out[11])
{
	char tmp[64];
	int y, m, d;

	intake_civil_from_days(days, &y, &m, &d);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y, m, d);
	memcpy(out, tmp, 10);
	out[10] = '\0';
}

int report_date_valid(const char *s)
{
	long days;

	return strlen(s) == 10 && !ymd_days(s, &days);
}

static void iso_time(time_t t, char out[21], char day[11])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (day)
		strftime(day, 11, "%Y-%m-%d", &tm);
}

/* ---- small helpers ---------------------------------------------------- */

/* Column text with emails and secrets scrubbed (free text, upstream ids). */
static char *col_clean(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	struct buf b = BUF_INIT;

	if (!t)
		return NULL;
	log_redact(&b, (const char *)t);
	return buf_detach(&b, NULL);
}

static const char *str_or(const char *s, const char *dflt)
{
	return s && *s ? s : dflt;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

void report_json_string(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	buf_addch(out, '"');
	while (*p) {
		size_t n = utf8_len(p);

		if (!n) {
			buf_adds(out, "\\ufffd");
			p++;
		} else if (*p == '"' || *p == '\\') {
			buf_addch(out, '\\');
			buf_addch(out, *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_addf(out, "\\u%04x", *p++);
		} else {
			buf_add(out, p, n);
			p += n;
		}
	}
	buf_addch(out, '"');
}

static void json_str_or_null(struct buf *out, const char *s)
{
	if (s)
		report_json_string(out, s);
	else
		buf_adds(out, "null");
}

void report_html_escape(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);

		if (!n) {
			buf_adds(out, "\xef\xbf\xbd");
			p++;
			continue;
		}
		switch (*p) {
		case '&': buf_adds(out, "&amp;"); break;
		case '<': buf_adds(out, "&lt;"); break;
		case '>': buf_adds(out, "&gt;"); break;
		case '"': buf_adds(out, "&quot;"); break;
		case '\'': buf_adds(out, "&#39;"); break;
		default:
			if (*p < 0x20 && *p != '\n' && *p != '\t')
				buf_addch(out, ' ');
			else
				buf_add(out, p, n);
		}
		p += n;
	}
}

void report_csv_cell(struct buf *out, const char *s)
{
	int formula = s[0] && strchr("=+-@\t\r", s[0]);

	if (!formula && !s[strcspn(s, ",\"\r\n")]) {
		buf_adds(out, s);
		return;
	}
	buf_addch(out, '"');
	if (formula)
		buf_addch(out, '\'');
	for (; *s; s++) {
		if (*s == '"')
			buf_addch(out, '"');
		buf_addch(out, *s);
	}
	buf_addch(out, '"');
}

/* Markdown table cell text: no line breaks, no markup, no raw HTML. */
static void md_text(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\r' || *s == '\n')
			buf_addch(out, ' ');
		else if (strchr("\\`*_[]<>|~&!#", *s)) {
			buf_addch(out, '\\');
			buf_addch(out, *s);
		} else
			buf_addch(out, *s);
	}
}

/* A Markdown code span, or escaped text when s holds a backtick. */
static void md_code(struct buf *out, const char *s)
{
	if (!*s || strchr(s, '`') || strchr(s, '\n') || strchr(s, '|')) {
		md_text(out, s);
		return;
	}
	buf_addf(out, "`%s`", s);
}

/* ---- report ----------------------------------------------------------- */

void report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
}

static void checkpoint_release(struct report_checkpoint *c)
{
	free(c->created_at);
	free(c->root);
	free(c->head);
	free(c->file);
	memset(c, 0, sizeof(*c));
}

void report_release(struct report *r)
{
	size_t i;

	for (i = 0; i < r->nrequests; i++) {
		struct report_request *q = &r->requests[i];

		free(q->request_id);
		free(q->subject_ref);
		free(q->received_at);
		free(q->completed_at);
		free(q->status);
		free(q->outcome);
		free(q->extension_reason);
	}
	free(r->requests);
	for (i = 0; i < r->nactions; i++) {
		free(r->actions[i].action);
		free(r->actions[i].outcome);
	}
	free(r->actions);
	free(r->from);
	free(r->to);
	free(r->ledger_reason);
	checkpoint_release(&r->checkpoint);
	report_init(r);
}

/* Binds ?1 = first day, ?2 = the day after the last (NULL: open). */
static void bind_period(sqlite3_stmt *st, const char *from,
			const char *to_next)
{
	if (from)
		sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
	if (to_next)
		sqlite3_bind_text(st, 2, to_next, -1, SQLITE_STATIC);
}

#define PERIOD_SQL \
	"(?1 IS NULL OR q.received_at >= ?1) AND " \
	"(?2 IS NULL OR q.received_at < ?2)"

/*
 * One pass over the ledger grouped by request (no per-request queries),
 * joined to the queue. "verified" needs the request's last attempt: verify
 * entries after its last "failed" event exist and none of them is bad, so
 * a mismatch that failed an earlier attempt does not count.
 */
static const char requests_sql[] =
	"WITH a AS (SELECT l.request_id AS rid, MIN(l.seq) AS s0,"
	"   MAX(l.seq) AS s1,"
	"   COUNT(DISTINCT CASE WHEN l.event = 'result' AND l.detail IN"
	"     ('unclaim:ok', 'unclaim:already_absent', 'remove:ok',"
	"      'remove:already_absent') THEN l.target_id END) AS released,"
	"   MAX(l.event = 'result' AND l.detail IN ('delete_customer:ok',"
	"     'delete_customer:already_absent')) AS cust,"
	"   MAX(CASE WHEN l.event = 'verify' THEN l.seq END) AS vmax,"
	"   MAX(CASE WHEN l.event = 'verify' AND l.detail <> 'ok'"
	"       THEN l.seq END) AS vbad,"
	"   COALESCE(MAX(CASE WHEN l.event = 'failed' THEN l.seq END), 0) AS fmax"
	"   FROM ledger l"
	"   WHERE (?1 IS NULL AND ?2 IS NULL) OR l.request_id IN"
	"     (SELECT q.request_id FROM erasure_queue q WHERE " PERIOD_SQL ")"
	"   GROUP BY l.request_id)"
	" SELECT q.request_id, q.subject_ref, q.received_at, q.completed_at,"
	"  q.status, q.outcome, q.extension_months, q.extension_reason,"
	"  julianday(COALESCE(q.completed_at, ?3)) - julianday(q.received_at),"
	"  a.s0, a.s1, a.released, a.cust,"
	"  a.vmax > a.fmax AND (a.vbad IS NULL OR a.vbad < a.fmax)"
	" FROM erasure_queue q LEFT JOIN a ON a.rid = q.request_id"
	" WHERE " PERIOD_SQL
	" ORDER BY q.received_at, q.request_id";

static const char actions_sql[] =
	"SELECT detail, COUNT(*) FROM ledger l"
	" WHERE event = 'result' AND ((?1 IS NULL AND ?2 IS NULL) OR"
	"  l.request_id IN (SELECT q.request_id FROM erasure_queue q"
	"   WHERE " PERIOD_SQL "))"
	" GROUP BY detail ORDER BY detail";

static void count_status(struct report *r, struct report_request *q)
{
	r->received++;
	if (!strcmp(q->status, "done")) {
		r->done++;
		if (q->outcome && !strcmp(q->outcome, "not_found"))
			r->not_found++;
		else
			r->erased++;
	} else if (!strcmp(q->status, "failed")) {
		r->failed++;
	} else if (!strcmp(q->status, "pending")) {
		r->pending++;
	} else if (!strcmp(q->status, "running")) {
		r->running++;
	} else if (!strcmp(q->status, "held")) {
		r->held++;
	} else if (!strcmp(q->status, "rejected")) {
		r->rejected++;
	}
}

/* Deadline, overdue and within-deadline flags of one request. */
static void judge_deadline(struct report_request *q, long deadline_days,
			   const char *today)
{
	int open = !strcmp(q->status, "pending") ||
		   !strcmp(q->status, "running") ||
		   !strcmp(q->status, "failed");

	q->done = !strcmp(q->status, "done");
	if (queue_deadline(q->received_at, deadline_days,
			   q->extension_months, q->deadline)) {
		q->deadline[0] = '\0';
		return;
	}
	if (q->done && q->completed_at && strlen(q->completed_at) >= 10) {
		q->within_deadline = strncmp(q->completed_at, q->deadline,
					     10) <= 0;
		q->overdue = !q->within_deadline;
	} else if (open) {
		q->overdue = strcmp(today, q->deadline) > 0;
	}
}

static int load_requests(sqlite3 *db, struct report *r, const char *to_next,
			 struct buf *days)
{
	sqlite3_stmt *st;
	size_t alloc = 0;
	int rc;

	if (db_prepare(db, &st, requests_sql))
		return -1;
	bind_period(st, r->from, to_next);
	sqlite3_bind_text(st, 3, r->generated_at, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct report_request *q;

		if (r->nrequests == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			r->requests = xrealloc(r->requests,
					       alloc * sizeof(*r->requests));
		}
		q = &r->requests[r->nrequests++];
		memset(q, 0, sizeof(*q));
		q->request_id = col_clean(st, 0);
		q->subject_ref = db_column_strdup(st, 1);
		q->received_at = col_clean(st, 2);
		q->completed_at = col_clean(st, 3);
		q->status = db_column_strdup(st, 4);
		q->outcome = db_column_strdup(st, 5);
		q->extension_months = sqlite3_column_int(st, 6);
		q->extension_reason = col_clean(st, 7);
		q->days = sqlite3_column_double(st, 8);
		q->first_seq = sqlite3_column_int64(st, 9);
		q->last_seq = sqlite3_column_int64(st, 10);
		q->devices_released = sqlite3_column_int(st, 11);
		q->customer_deleted = sqlite3_column_int(st, 12) > 0;
		q->verified = sqlite3_column_int(st, 13) == 1;
		if (!q->status)
			q->status = xstrdup("pending");
		count_status(r, q);
		judge_deadline(q, r->deadline_days, r->today);
		r->overdue += q->overdue;
		r->done_within_deadline += q->within_deadline;
		if (q->done && sqlite3_column_type(st, 8) != SQLITE_NULL)
			buf_add(days, &q->days, sizeof(q->days));
	}
	if (rc != SQLITE_DONE)
		error("cannot read the queue: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void percentiles(struct report *r, struct buf *days)
{
	double *v = (double *)days->buf;
	size_t n = days->len / sizeof(double), rank;

	if (!n)
		return;
	qsort(v, n, sizeof(double), cmp_double);
	r->have_days = 1;
	r->median_days = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	rank = (size_t)ceil(0.95 * (double)n);
	r->p95_days = v[(rank ? rank : 1) - 1];
}

static int load_actions(sqlite3 *db, struct report *r, const char *to_next)
{
	sqlite3_stmt *st;
	size_t alloc = 0;
	int rc;

	if (db_prepare(db, &st, actions_sql))
		return -1;
	bind_period(st, r->from, to_next);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 0);
		const char *colon = d ? strchr(d, ':') : NULL;
		struct report_action *a;

		if (r->nactions == alloc) {
			alloc = alloc ? 2 * alloc : 16;
			r->actions = xrealloc(r->actions,
					      alloc * sizeof(*r->actions));
		}
		a = &r->actions[r->nactions++];
		a->action = colon ? xstrndup(d, (size_t)(colon - d)) :
				    xstrdup(d ? d : "");
		a->outcome = xstrdup(colon ? colon + 1 : "");
		a->count = sqlite3_column_int(st, 1);
	}
	if (rc != SQLITE_DONE)
		error("cannot read the ledger: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The latest checkpoint with at least min_entries entries. */
static int load_checkpoint(sqlite3 *db, int64_t min_entries,
			   struct report_checkpoint *c)
{
	sqlite3_stmt *st;
	int rc;

	if (db_prepare(db, &st, "SELECT id, created_at, entries, root, head,"
		       " signed, file FROM checkpoints WHERE entries >= ?1"
		       " ORDER BY id DESC LIMIT 1"))
		return -1;
	sqlite3_bind_int64(st, 1, min_entries);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		c->present = 1;
		c->id = sqlite3_column_int64(st, 0);
		c->created_at = db_column_strdup(st, 1);
		c->entries = sqlite3_column_int64(st, 2);
		c->root = db_column_strdup(st, 3);
		c->head = db_column_strdup(st, 4);
		c->is_signed = sqlite3_column_int(st, 5);
		c->file = col_clean(st, 6);
	} else if (rc != SQLITE_DONE) {
		error("cannot read checkpoints: %s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int report_build(sqlite3 *db, const struct report_options *opt,
		 struct report *r)
{
	struct buf days = BUF_INIT, reason = BUF_INIT;
	char to_next[11];
	long d;
	int ret = -1, v;

	iso_time(opt->now, r->generated_at, r->today);
	r->deadline_days = opt->deadline_days;
	if (opt->from)
		r->from = xstrdup(opt->from);
	if (opt->to) {
		if (ymd_days(opt->to, &d))
			return error("bad date '%s'", opt->to);
		days_ymd(d + 1, to_next);
		r->to = xstrdup(opt->to);
	}
	if (load_requests(db, r, opt->to ? to_next : NULL, &days) ||
	    load_actions(db, r, opt->to ? to_next : NULL) ||
	    ledger_head(db, &r->ledger_entries, r->ledger_head) ||
	    load_checkpoint(db, 0, &r->checkpoint))
		goto out;
	v = ledger_verify(db, &r->ledger_entries, &r->ledger_bad_seq, &reason);
	if (v < 0)
		goto out;
	r->ledger_verified = v == 0;
	if (v)
		r->ledger_reason = buf_detach(&reason, NULL);
	percentiles(r, &days);
	ret = 0;
out:
	buf_release(&days);
	buf_release(&reason);
	return ret;
}

static void deadline_policy(long deadline_days, struct buf *out)
{
	if (deadline_days > 0)
		buf_addf(out, "%ld days from receipt", deadline_days);
	else
		buf_adds(out, "one calendar month from receipt "
			 "(GDPR Art. 12(3))");
}

static void add_days(struct buf *out, int have, double days)
{
	if (have)
		buf_addf(out, "%.1f", days);
	else
		buf_adds(out, "null");
}

/* ---- JSON ------------------------------------------------------------- */

static void json_checkpoint(struct buf *out, const struct report_checkpoint *c)
{
	if (!c->present) {
		buf_adds(out, "null");
		return;
	}
	buf_addf(out, "{\"id\": %lld, \"created_at\": ", (long long)c->id);
	json_str_or_null(out, c->created_at);
	buf_addf(out, ", \"entries\": %lld, \"root\": ", (long long)c->entries);
	json_str_or_null(out, c->root);
	buf_adds(out, ", \"head\": ");
	json_str_or_null(out, c->head);
	buf_addf(out, ", \"signed\": %s, \"file\": ",
		 c->is_signed ? "true" : "false");
	json_str_or_null(out, c->file);
	buf_addch(out, '}');
}

static void json_seq(struct buf *out, int64_t seq)
{
	if (seq)
		buf_addf(out, "%lld", (long long)seq);
	else
		buf_adds(out, "null");
}

void report_json(const struct report *r, struct buf *out)
{
	struct buf policy = BUF_INIT;
	size_t i;

	deadline_policy(r->deadline_days, &policy);
	buf_adds(out, "{\n  \"generated_at\": ");
	report_json_string(out, r->generated_at);
	buf_adds(out, ",\n  \"period\": {\"from\": ");
	json_str_or_null(out, r->from);
	buf_adds(out, ", \"to\": ");
	json_str_or_null(out, r->to);
	buf_adds(out, "},\n  \"deadline_policy\": ");
	report_json_string(out, policy.buf);
	buf_addf(out, ",\n  \"summary\": {\n"
		 "    \"received\": %ld,\n    \"done\": %ld,\n"
		 "    \"erased\": %ld,\n    \"not_found\": %ld,\n"
		 "    \"failed\": %ld,\n    \"pending\": %ld,\n"
		 "    \"running\": %ld,\n    \"held\": %ld,\n"
		 "    \"rejected\": %ld,\n    \"overdue\": %ld,\n"
		 "    \"done_within_deadline\": %ld,\n    \"median_days\": ",
		 r->received, r->done, r->erased, r->not_found, r->failed,
		 r->pending, r->running, r->held, r->rejected, r->overdue,
		 r->done_within_deadline);
	add_days(out, r->have_days, r->median_days);
	buf_adds(out, ",\n    \"p95_days\": ");
	add_days(out, r->have_days, r->p95_days);
	buf_adds(out, ",\n    \"api_actions\": [");
	for (i = 0; i < r->nactions; i++) {
		buf_adds(out, i ? ",\n      {\"action\": " : "\n      {\"action\": ");
		report_json_string(out, r->actions[i].action);
		buf_adds(out, ", \"outcome\": ");
		report_json_string(out, r->actions[i].outcome);
		buf_addf(out, ", \"count\": %ld}", r->actions[i].count);
	}
	buf_adds(out, r->nactions ? "\n    ]\n  },\n" : "]\n  },\n");
	buf_addf(out, "  \"ledger\": {\"entries\": %lld, \"head\": ",
		 (long long)r->ledger_entries);
	report_json_string(out, r->ledger_head);
	buf_addf(out, ", \"verified\": %s, \"first_bad_seq\": ",
		 r->ledger_verified ? "true" : "false");
	json_seq(out, r->ledger_verified ? 0 : r->ledger_bad_seq);
	buf_adds(out, ", \"problem\": ");
	json_str_or_null(out, r->ledger_reason);
	buf_adds(out, ",\n    \"latest_checkpoint\": ");
	json_checkpoint(out, &r->checkpoint);
	buf_adds(out, "},\n  \"requests\": [");
	for (i = 0; i < r->nrequests; i++) {
		const struct report_request *q = &r->requests[i];

		buf_adds(out, i ? ",\n    {\"request_id\": " :
				  "\n    {\"request_id\": ");
		json_str_or_null(out, q->request_id);
		buf_adds(out, ", \"subject_ref\": ");
		json_str_or_null(out, q->subject_ref);
		buf_adds(out, ", \"received_at\": ");
		json_str_or_null(out, q->received_at);
		buf_adds(out, ", \"deadline\": ");
		json_str_or_null(out, q->deadline[0] ? q->deadline : NULL);
		buf_adds(out, ", \"completed_at\": ");
		json_str_or_null(out, q->completed_at);
		buf_adds(out, ", \"status\": ");
		json_str_or_null(out, q->status);
		buf_adds(out, ", \"outcome\": ");
		json_str_or_null(out, q->outcome);
		buf_addf(out, ", \"overdue\": %s, \"devices_released\": %ld, "
			 "\"customer_deleted\": %s, \"verified\": %s, "
			 "\"first_seq\": ", q->overdue ? "true" : "false",
			 q->devices_released,
			 q->customer_deleted ? "true" : "false",
			 q->verified ? "true" : "false");
		json_seq(out, q->first_seq);
		buf_adds(out, ", \"last_seq\": ");
		json_seq(out, q->last_seq);
		buf_addf(out, ", \"extension_months\": %d, "
			 "\"extension_reason\": ", q->extension_months);
		json_str_or_null(out, q->extension_reason);
		buf_adds(out, ", \"days_to_complete\": ");
		add_days(out, q->done, q->days);
		buf_addch(out, '}');
	}
	buf_adds(out, r->nrequests ? "\n  ]\n}\n" : "]\n}\n");
	buf_release(&policy);
}

/* ---- CSV -------------------------------------------------------------- */

static void csv_num(struct buf *out, long long n, int present)
{
	if (present)
		buf_addf(out, "%lld", n);
}

void report_csv(const struct report *r, struct buf *out)
{
	size_t i;

	buf_adds(out, "request_id,subject_ref,received_at,deadline,"
		 "completed_at,status,outcome,overdue,devices_released,"
		 "customer_deleted,verified,first_seq,last_seq,"
		 "extension_months,extension_reason,days_to_complete\r\n");
	for (i = 0; i < r->nrequests; i++) {
		const struct report_request *q = &r->requests[i];

		report_csv_cell(out, str_or(q->request_id, ""));
		buf_addch(out, ',');
		report_csv_cell(out, str_or(q->subject_ref, ""));
		buf_addch(out, ',');
		report_csv_cell(out, str_or(q->received_at, ""));
		buf_addch(out, ',');
		report_csv_cell(out, q->deadline);
		buf_addch(out, ',');
		report_csv_cell(out, str_or(q->completed_at, ""));
		buf_addch(out, ',');
		report_csv_cell(out, q->status);
		buf_addch(out, ',');
		report_csv_cell(out, str_or(q->outcome, ""));
		buf_addf(out, ",%s,%ld,%s,%s,", q->overdue ? "yes" : "no",
			 q->devices_released, q->customer_deleted ? "yes" : "no",
			 q->verified ? "yes" : "no");
		csv_num(out, q->first_seq, q->first_seq > 0);
		buf_addch(out, ',');
		csv_num(out, q->last_seq, q->last_seq > 0);
		buf_addf(out, ",%d,", q->extension_months);
		report_csv_cell(out, str_or(q->extension_reason, ""));
		buf_addch(out, ',');
		if (q->done)
			buf_addf(out, "%.1f", q->days);
		buf_adds(out, "\r\n");
	}
}

/* ---- Markdown --------------------------------------------------------- */

static void md_row(struct buf *out, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void md_row(struct buf *out, const char *label, const char *fmt, ...)
{
	va_list ap;

	buf_addf(out, "| %s | ", label);
	va_start(ap, fmt);
	buf_vaddf(out, fmt, ap);
	va_end(ap);
	buf_adds(out, " |\n");
}

static void md_days(struct buf *out, int have, double d)
{
	if (have)
		buf_addf(out, "%.1f", d);
	else
		buf_adds(out, "–");
}

static void md_checkpoint(struct buf *out, const struct report_checkpoint *c)
{
	if (!c->present) {
		buf_adds(out, "none yet (run `erasectl checkpoint`)");
		return;
	}
	buf_addf(out, "#%lld, ", (long long)c->id);
	md_text(out, str_or(c->created_at, "?"));
	buf_addf(out, ", covers entries 1–%lld, root `%s`%s",
		 (long long)c->entries, str_or(c->root, "?"),
		 c->is_signed ? ", signed (Ed25519)" : ", unsigned");
}

void report_markdown(const struct report *r, struct buf *out)
{
	struct buf policy = BUF_INIT;
	size_t i;

	deadline_policy(r->deadline_days, &policy);
	buf_adds(out, "# Erasure compliance report (GDPR Art. 17)\n\n");
	buf_addf(out, "Generated %s · period: ", r->generated_at);
	if (r->from || r->to)
		buf_addf(out, "%s to %s", str_or(r->from, "start"),
			 str_or(r->to, "now"));
	else
		buf_adds(out, "all time");
	buf_addf(out, " (by date received) · deadline: %s\n\n", policy.buf);

	buf_adds(out, "## Summary\n\n| Measure | Value |\n|---|---:|\n");
	md_row(out, "Requests received", "%ld", r->received);
	md_row(out, "Done", "%ld", r->done);
	md_row(out, "— erased", "%ld", r->erased);
	md_row(out, "— subject not found", "%ld", r->not_found);
	md_row(out, "Failed (retried by the next run)", "%ld", r->failed);
	md_row(out, "Pending", "%ld", r->pending + r->running);
	md_row(out, "Held (Art. 17(3))", "%ld", r->held);
	md_row(out, "Rejected", "%ld", r->rejected);
	md_row(out, "**Overdue**", "**%ld**", r->overdue);
	md_row(out, "Done within deadline", "%ld of %ld", r->done_within_deadline,
	       r->done);
	buf_adds(out, "| Median days to completion | ");
	md_days(out, r->have_days, r->median_days);
	buf_adds(out, " |\n| 95th percentile days | ");
	md_days(out, r->have_days, r->p95_days);
	buf_adds(out, " |\n\n");

	buf_adds(out, "## Ledger integrity\n\n");
	buf_addf(out, "- Entries: %lld\n- Head hash: `%s`\n- Hash chain "
		 "verified: **%s**", (long long)r->ledger_entries,
		 r->ledger_head, r->ledger_verified ? "yes" : "NO");
	if (!r->ledger_verified) {
		buf_addf(out, " (first bad entry: seq %lld: ",
			 (long long)r->ledger_bad_seq);
		md_text(out, str_or(r->ledger_reason, "mismatch"));
		buf_addch(out, ')');
	}
	buf_adds(out, "\n- Latest checkpoint: ");
	md_checkpoint(out, &r->checkpoint);
	buf_adds(out, "\n\n## API actions\n\n");
	if (!r->nactions)
		buf_adds(out, "No API actions recorded.\n\n");
	else
		buf_adds(out, "| Action | Outcome | Count |\n|---|---|---:|\n");
	for (i = 0; i < r->nactions; i++) {
		buf_adds(out, "| ");
		md_code(out, r->actions[i].action);
		buf_adds(out, " | ");
		md_code(out, r->actions[i].outcome);
		buf_addf(out, " | %ld |\n", r->actions[i].count);
	}
	buf_adds(out, r->nactions ? "\n## Requests\n\n" : "## Requests\n\n");
	if (!r->nrequests) {
		buf_adds(out, "No requests in this period.\n");
		goto out;
	}
	buf_adds(out, "| Request | Subject ref | Received | Deadline | "
		 "Completed | Status | Outcome | Overdue | Devices released | "
		 "Customer deleted | Verified | Ledger seq | Extension |\n"
		 "|---|---|---|---|---|---|---|---|---:|---|---|---|---|\n");
	for (i = 0; i < r->nrequests; i++) {
		const struct report_request *q = &r->requests[i];

		buf_adds(out, "| ");
		md_text(out, str_or(q->request_id, ""));
		buf_addf(out, " | `%.12s…` | ", str_or(q->subject_ref, "?"));
		md_text(out, str_or(q->received_at, ""));
		buf_addf(out, " | %s | ", q->deadline);
		md_text(out, str_or(q->completed_at, "–"));
		buf_addf(out, " | %s | %s | %s | %ld | %s | %s | ", q->status,
			 str_or(q->outcome, "–"), q->overdue ? "**yes**" : "no",
			 q->devices_released, q->customer_deleted ? "yes" : "no",
			 q->verified ? "yes" : "no");
		if (q->first_seq)
			buf_addf(out, "%lld–%lld", (long long)q->first_seq,
				 (long long)q->last_seq);
		else
			buf_adds(out, "–");
		buf_adds(out, " | ");
		if (q->extension_months) {
			buf_addf(out, "+%d mo: ", q->extension_months);
			md_text(out, str_or(q->extension_reason, ""));
		} else {
			buf_adds(out, "–");
		}
		buf_adds(out, " |\n");
	}
	buf_adds(out, "\nSubject refs are HMAC-SHA256 of the normalized "
		 "email (first 12 hex digits shown); `erasectl lookup --email` "
		 "finds a subject's requests.\n");
out:
	buf_release(&policy);
}

/* ---- HTML ------------------------------------------------------------- */

enum category {
	CAT_ERASED, CAT_NOT_FOUND, CAT_OPEN, CAT_FAILED, CAT_HELD,
	CAT_REJECTED, NCAT
};
static const char *const cat_name[NCAT] = {
	"Erased", "Not found", "Pending", "Failed", "Held", "Rejected",
};
static const char *const cat_color[NCAT] = {
	"#2f855a", "#94a3b8", "#d69e2e", "#c53030", "#6b46c1", "#4a5568",
};

static enum category request_category(const struct report_request *q)
{
	if (q->done)
		return q->outcome && !strcmp(q->outcome, "not_found") ?
		       CAT_NOT_FOUND : CAT_ERASED;
	if (!strcmp(q->status, "failed"))
		return CAT_FAILED;
	if (!strcmp(q->status, "held"))
		return CAT_HELD;
	if (!strcmp(q->status, "rejected"))
		return CAT_REJECTED;
	return CAT_OPEN;
}

static const char html_style[] =
	":root{--ink:#1a202c;--muted:#5a6473;--line:#dde2e8;--ok:#2f855a;"
	"--bad:#c53030}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:#eef1f4;color:var(--ink);font:14px/1.45 "
	"-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,"
	"\"Liberation Sans\",\"DejaVu Sans\",sans-serif}\n"
	"main{max-width:1120px;margin:0 auto;padding:36px 36px 40px;"
	"background:#fff;min-height:100vh}\n"
	"header{border-bottom:3px solid var(--ink);padding-bottom:14px;"
	"margin-bottom:22px;display:flex;justify-content:space-between;"
	"align-items:flex-end;gap:24px}\n"
	"h1{font-size:26px;margin:0 0 6px;letter-spacing:-.01em}\n"
	".kicker{font-size:11px;letter-spacing:.12em;text-transform:uppercase;"
	"color:var(--muted);margin:0 0 4px}\n"
	"h2{font-size:16px;margin:30px 0 10px;padding-bottom:5px;"
	"border-bottom:1px solid var(--line)}\n"
	".meta{color:var(--muted);margin:0;font-size:13px}\n"
	".meta b{color:var(--ink);font-weight:600}\n"
	".stamp{text-align:right;font-size:12px;color:var(--muted);"
	"white-space:nowrap}\n"
	".cards{display:grid;grid-template-columns:repeat(5,1fr);gap:10px}\n"
	".card{border:1px solid var(--line);border-radius:6px;padding:10px 13px}\n"
	".card .num{font-size:25px;font-weight:700;line-height:1.15;"
	"font-variant-numeric:tabular-nums}\n"
	".card .num small{font-size:14px;font-weight:500;color:var(--muted)}\n"
	".card .lbl{color:var(--muted);font-size:11px;text-transform:uppercase;"
	"letter-spacing:.05em;margin-top:2px}\n"
	".card.bad{border-color:#feb2b2;background:#fff5f5}"
	".card.bad .num{color:var(--bad)}\n"
	".card.good .num{color:var(--ok)}\n"
	".integrity{margin-top:16px;border-left:5px solid var(--ok);"
	"background:#f0fff4;padding:11px 15px;border-radius:4px;font-size:13px}\n"
	".integrity.bad{border-color:var(--bad);background:#fff5f5}\n"
	".integrity b.st{font-size:14px}\n"
	".integrity dl{display:grid;grid-template-columns:max-content 1fr;"
	"gap:2px 14px;margin:8px 0 0}\n"
	".integrity dt{color:var(--muted)}.integrity dd{margin:0}\n"
	"code,.mono{font-family:\"DejaVu Sans Mono\",Menlo,Consolas,"
	"monospace;font-size:11.5px}\n"
	".integrity code{word-break:break-all}\n"
	"table{border-collapse:collapse;width:100%;font-size:12px}\n"
	"th,td{text-align:left;padding:5px 7px;border-bottom:1px solid "
	"var(--line);vertical-align:top}\n"
	"th{background:#f1f4f7;font-weight:600;font-size:10.5px;"
	"text-transform:uppercase;letter-spacing:.04em;color:#3c4656}\n"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	"tbody tr:nth-child(even) td{background:#fafbfc}\n"
	"td .t{display:block;color:var(--muted);font-size:10.5px}\n"
	"td.nw,th.nw{white-space:nowrap}\n"
	".scroll{overflow-x:auto}\n"
	".pill{display:inline-block;padding:1px 8px;border-radius:9px;"
	"font-size:10.5px;font-weight:600;color:#fff;white-space:nowrap}\n"
	".late{color:var(--bad);font-weight:700}\n"
	".yes{color:var(--ok)}.no{color:var(--muted)}\n"
	".legend{display:flex;gap:18px;flex-wrap:wrap;font-size:12px;"
	"color:var(--muted);margin:2px 0 6px}\n"
	".legend i{display:inline-block;width:11px;height:11px;"
	"border-radius:2px;margin-right:5px;vertical-align:-1px}\n"
	".legend i.line{height:0;border-top:2px dashed var(--ink);"
	"border-radius:0;width:18px;vertical-align:3px}\n"
	".charts{display:grid;grid-template-columns:1fr;gap:4px}\n"
	"svg{display:block;width:100%;height:auto}\n"
	"svg text{font-size:11px;fill:#5a6473}\n"
	".note{color:var(--muted);font-size:12px;margin:6px 0 0}\n"
	"footer{margin-top:34px;padding-top:12px;border-top:1px solid "
	"var(--line);color:var(--muted);font-size:11.5px}\n"
	"footer p{margin:4px 0}\n"
	"@page{size:A4;margin:13mm}\n"
	"@media print{body{background:#fff;font-size:10pt}"
	"main{max-width:none;padding:0;min-height:0}"
	"section,.card,.integrity,svg,tr{break-inside:avoid}"
	"h2{break-after:avoid}thead{display:table-header-group}"
	"table{font-size:7.5pt}th,td{padding:3px 4px}th{font-size:6.5pt}"
	"code,.mono{font-size:7pt}"
	".cards{grid-template-columns:repeat(5,1fr)}.card .num{font-size:17pt}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

/* An axis step of 1, 2 or 5 x 10^k giving at most five ticks to max. */
static double nice_step(double max)
{
	double p = 1, s;

	if (max <= 5)
		return 1;
	while (p * 10 <= max)
		p *= 10;
	for (s = p / 10; s * 5 < max; ) {
		if (s * 2 * 5 >= max)
			return s * 2;
		if (s * 5 * 5 >= max)
			return s * 5;
		s *= 10;
	}
	return s;
}

static void svg_open(struct buf *out, int w, int h, const char *label)
{
	buf_addf(out, "<svg viewBox=\"0 0 %d %d\" role=\"img\" "
		 "aria-label=\"", w, h);
	report_html_escape(out, label);
	buf_adds(out, "\">\n");
}

/* Horizontal grid lines and labels; returns the axis maximum. */
static double svg_y_axis(struct buf *out, double max, int x0, int x1,
			 int y0, int y1, const char *unit)
{
	double step = nice_step(max > 0 ? max : 1), top, v;

	top = ceil((max > 0 ? max : 1) / step) * step;
	for (v = 0; v <= top + step / 2; v += step) {
		double y = y1 - (y1 - y0) * v / top;

		buf_addf(out, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
			 "stroke=\"%s\" stroke-width=\"1\"/>"
			 "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g%s"
			 "</text>\n", x0, x1, y, y, v ? "#e6e9ee" : "#9aa3ae",
			 x0 - 6, y + 4, v, v ? unit : "");
	}
	return top;
}

static void html_weekly_chart(const struct report *r, struct buf *out)
{
	const int W = 1040, H = 250, x0 = 44, x1 = W - 8, y0 = 12, y1 = H - 28;
	long first = 0, last = 0, d, (*weeks)[NCAT];
	size_t i, nweeks, every;
	double top, slot, max = 0;
	int c, any = 0;

	for (i = 0; i < r->nrequests; i++) {
		if (ymd_days(r->requests[i].received_at, &d))
			continue;
		d -= (d + 3) % 7;	/* the Monday (1970-01-01 was a Thursday) */
		if (!any || d < first)
			first = d;
		if (!any || d > last)
			last = d;
		any = 1;
	}
	buf_adds(out, "<section><h2>Requests per week by outcome</h2>\n");
	if (!any) {
		buf_adds(out, "<p class=\"note\">No requests in this period."
			 "</p></section>\n");
		return;
	}
	nweeks = (size_t)((last - first) / 7 + 1);
	weeks = xcalloc(nweeks, sizeof(*weeks));
	for (i = 0; i < r->nrequests; i++) {
		if (ymd_days(r->requests[i].received_at, &d))
			continue;
		d -= (d + 3) % 7;
		weeks[(d - first) / 7][request_category(&r->requests[i])]++;
	}
	for (i = 0; i < nweeks; i++) {
		long sum = 0;

		for (c = 0; c < NCAT; c++)
			sum += weeks[i][c];
		if (sum > max)
			max = (double)sum;
	}
	buf_adds(out, "<div class=\"legend\">");
	for (c = 0; c < NCAT; c++)
		buf_addf(out, "<span><i style=\"background:%s\"></i>%s</span>",
			 cat_color[c], cat_name[c]);
	buf_adds(out, "</div>\n");
	svg_open(out, W, H, "Stacked bar chart of requests received per "
		 "week, by outcome");
	top = svg_y_axis(out, max, x0, x1, y0, y1, "");
	slot = (double)(x1 - x0) / (double)nweeks;
	every = nweeks / 8 + 1;
	for (i = 0; i < nweeks; i++) {
		double bw = fmax(1, fmin(slot * 0.72, 56));
		double x = x0 + slot * (double)i + (slot - bw) / 2, base = y1;
		char day[11];

		days_ymd(first + 7 * (long)i, day);
		for (c = 0; c < NCAT; c++) {
			double h = (y1 - y0) * (double)weeks[i][c] / top;

			if (!weeks[i][c])
				continue;
			base -= h;
			buf_addf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				 "height=\"%.1f\" fill=\"%s\"><title>week of "
				 "%s: %ld %s</title></rect>\n", x, base, bw, h,
				 cat_color[c], day, weeks[i][c], cat_name[c]);
		}
		if (i % every == 0)
			buf_addf(out, "<text x=\"%.1f\" y=\"%d\" "
				 "text-anchor=\"middle\">%s</text>\n",
				 x + bw / 2, y1 + 17, day);
	}
	buf_adds(out, "</svg>\n<p class=\"note\">Weeks start on Monday and are "
		 "labelled with that date; requests are counted in the week "
		 "they were received, coloured by their current state.</p>"
		 "</section>\n");
	free(weeks);
}

#define DAYS_CHART_MAX 400

static void html_days_chart(const struct report *r, struct buf *out)
{
	const int W = 1040, H = 260, x0 = 44, x1 = W - 8, y0 = 12, y1 = H - 28;
	size_t i, n = 0, k, start, every;
	size_t *idx = xcalloc(r->nrequests + 1, sizeof(*idx));
	double *dl = xcalloc(r->nrequests + 1, sizeof(*dl));
	double max = 0, top, slot;
	struct buf path = BUF_INIT;

	for (i = 0; i < r->nrequests; i++) {
		const struct report_request *q = &r->requests[i];
		enum category c = request_category(q);
		long rd, dd;

		if (c == CAT_REJECTED || ymd_days(q->received_at, &rd) ||
		    ymd_days(q->deadline, &dd))
			continue;
		dl[n] = (double)(dd - rd);
		idx[n++] = i;
	}
	buf_adds(out, "<section><h2>Days from receipt to completion, against "
		 "the deadline</h2>\n");
	if (!n) {
		buf_adds(out, "<p class=\"note\">No requests to show.</p>"
			 "</section>\n");
		goto out;
	}
	start = n > DAYS_CHART_MAX ? n - DAYS_CHART_MAX : 0;
	for (k = start; k < n; k++) {
		double v = r->requests[idx[k]].days;

		if (v > max)
			max = v;
		if (dl[k] > max)
			max = dl[k];
	}
	buf_addf(out, "<div class=\"legend\"><span><i style=\"background:%s\">"
		 "</i>Done within deadline</span><span><i style=\"background:"
		 "%s\"></i>Done late</span><span><i style=\"background:%s\">"
		 "</i>Open (days so far)</span><span><i style=\"background:"
		 "%s\"></i>Held (days so far)</span><span><i class=\"line\">"
		 "</i>Deadline of each request</span></div>\n",
		 cat_color[CAT_ERASED], cat_color[CAT_FAILED],
		 cat_color[CAT_OPEN], cat_color[CAT_HELD]);
	svg_open(out, W, H, "Bar chart of days from receipt to completion "
		 "per request, with each request's deadline");
	top = svg_y_axis(out, max, x0, x1, y0, y1, "d");
	slot = (double)(x1 - x0) / (double)(n - start);
	every = (n - start) / 8 + 1;
	for (k = start; k < n; k++) {
		const struct report_request *q = &r->requests[idx[k]];
		double x = x0 + slot * (double)(k - start);
		double bw = fmax(1, fmin(slot * 0.7, 40));
		double v = q->days < 0 ? 0 : q->days;
		/* At least a sliver, so a same-day completion still shows. */
		double h = fmax(1.5, (y1 - y0) * v / top);
		double yd = y1 - (y1 - y0) * dl[k] / top;
		const char *color = q->done ? (q->within_deadline ?
			cat_color[CAT_ERASED] : cat_color[CAT_FAILED]) :
			!strcmp(q->status, "held") ? cat_color[CAT_HELD] :
			cat_color[CAT_OPEN];

		buf_addf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			 "height=\"%.1f\" fill=\"%s\"%s><title>", x + (slot - bw) / 2,
			 y1 - h, bw, h, color, q->done ? "" :
			 " fill-opacity=\"0.55\"");
		report_html_escape(out, str_or(q->request_id, ""));
		buf_addf(out, ": %.1f days (deadline %s, %.0f days)</title>"
			 "</rect>\n", q->days, q->deadline, dl[k]);
		buf_addf(&path, "%c%.1f %.1fH%.1f", k == start ? 'M' : 'L', x, yd,
			 x + slot);
		if ((k - start) % every == 0) {
			char day[11];
			long rd;

			ymd_days(q->received_at, &rd);
			days_ymd(rd, day);
			buf_addf(out, "<text x=\"%.1f\" y=\"%d\" "
				 "text-anchor=\"middle\">%s</text>\n",
				 x + slot / 2, y1 + 17, day);
		}
	}
	buf_addf(out, "<path d=\"%s\" fill=\"none\" stroke=\"#1a202c\" "
		 "stroke-width=\"1.6\" stroke-dasharray=\"5 3\"/>\n</svg>\n",
		 path.buf);
	buf_adds(out, "<p class=\"note\">One bar per request, in order of "
		 "receipt (labels: date received)");
	if (start)
		buf_addf(out, "; the latest %d of %zu requests are shown",
			 DAYS_CHART_MAX, n);
	buf_adds(out, ". Rejected requests are left out.</p></section>\n");
out:
	buf_release(&path);
	free(idx);
	free(dl);
}

static void html_card(struct buf *out, const char *cls, const char *num,
		      const char *label)
{
	buf_addf(out, "<div class=\"card%s%s\"><div class=\"num\">%s</div>"
		 "<div class=\"lbl\">%s</div></div>\n", *cls ? " " : "", cls,
		 num, label);
}

/* A time cell: the date, and the rest of a timestamp on a second line. */
static void html_time(struct buf *out, const char *s)
{
	if (!s || !*s) {
		buf_adds(out, "<span class=\"no\">–</span>");
		return;
	}
	if (strlen(s) > 11 && s[10] == 'T') {
		struct buf day = BUF_INIT;

		buf_add(&day, s, 10);
		report_html_escape(out, day.buf);
		buf_adds(out, "<span class=\"t\">");
		report_html_escape(out, s + 11);
		buf_adds(out, "</span>");
		buf_release(&day);
	} else {
		report_html_escape(out, s);
	}
}

static void html_yesno(struct buf *out, int yes)
{
	buf_adds(out, yes ? "<span class=\"yes\">yes</span>" :
			    "<span class=\"no\">no</span>");
}

static void html_integrity(const struct report *r, struct buf *out)
{
	const struct report_checkpoint *c = &r->checkpoint;

	buf_addf(out, "<div class=\"integrity%s\"><b class=\"st\">%s</b>\n<dl>"
		 "<dt>Entries</dt><dd>%lld</dd><dt>Head hash</dt><dd><code>%s"
		 "</code></dd>", r->ledger_verified ? "" : " bad",
		 r->ledger_verified ? "&#10003; Ledger hash chain verified" :
		 "&#10007; Ledger hash chain does NOT verify",
		 (long long)r->ledger_entries, r->ledger_head);
	if (!r->ledger_verified) {
		buf_addf(out, "<dt>First bad entry</dt><dd>seq %lld: ",
			 (long long)r->ledger_bad_seq);
		report_html_escape(out, str_or(r->ledger_reason, "mismatch"));
		buf_adds(out, "</dd>");
	}
	buf_adds(out, "<dt>Latest checkpoint</dt><dd>");
	if (c->present) {
		buf_addf(out, "#%lld, ", (long long)c->id);
		report_html_escape(out, str_or(c->created_at, "?"));
		buf_addf(out, ", covers entries 1&ndash;%lld, %s, Merkle root "
			 "<code>", (long long)c->entries,
			 c->is_signed ? "signed (Ed25519)" : "unsigned");
		report_html_escape(out, str_or(c->root, "?"));
		buf_adds(out, "</code>");
	} else {
		buf_adds(out, "none yet &mdash; run <code>erasectl checkpoint"
			 "</code>");
	}
	buf_adds(out, "</dd></dl></div>\n");
}

static void html_requests(const struct report *r, struct buf *out)
{
	size_t i;

	buf_addf(out, "<section><h2>Requests (%zu)</h2>\n", r->nrequests);
	if (!r->nrequests) {
		buf_adds(out, "<p class=\"note\">No requests in this period."
			 "</p></section>\n");
		return;
	}
	buf_adds(out, "<div class=\"scroll\"><table><thead><tr><th>Request</th>"
		 "<th class=\"nw\">"
		 "Subject ref</th><th>Received</th><th>Deadline</th>"
		 "<th>Completed</th><th>Status</th><th class=\"n\">Devices "
		 "released</th><th>Customer deleted</th><th>Verified</th>"
		 "<th>Ledger seq</th><th>Extension</th></tr></thead>\n"
		 "<tbody>\n");
	for (i = 0; i < r->nrequests; i++) {
		const struct report_request *q = &r->requests[i];
		enum category c = request_category(q);

		buf_adds(out, "<tr><td class=\"mono nw\">");
		report_html_escape(out, str_or(q->request_id, ""));
		buf_adds(out, "</td><td class=\"mono nw\" title=\"");
		report_html_escape(out, str_or(q->subject_ref, ""));
		buf_adds(out, "\">");
		buf_add(out, str_or(q->subject_ref, "–"),
			q->subject_ref ? strnlen(q->subject_ref, 12) : 3);
		buf_adds(out, q->subject_ref ? "&hellip;</td><td class=\"nw\">" :
			 "</td><td class=\"nw\">");
		html_time(out, q->received_at);
		buf_adds(out, q->overdue ? "</td><td class=\"nw late\">" :
					   "</td><td class=\"nw\">");
		report_html_escape(out, q->deadline);
		if (q->overdue)
			buf_adds(out, "<span class=\"t\">overdue</span>");
		buf_adds(out, "</td><td class=\"nw\">");
		html_time(out, q->completed_at);
		buf_addf(out, "</td><td><span class=\"pill\" style=\"background:"
			 "%s\">%s</span></td><td class=\"n\">%ld</td><td>",
			 cat_color[c], cat_name[c], q->devices_released);
		html_yesno(out, q->customer_deleted);
		buf_adds(out, "</td><td>");
		html_yesno(out, q->verified);
		buf_adds(out, "</td><td class=\"mono nw\">");
		if (q->first_seq)
			buf_addf(out, "%lld&ndash;%lld", (long long)q->first_seq,
				 (long long)q->last_seq);
		else
			buf_adds(out, "&ndash;");
		buf_adds(out, "</td><td>");
		if (q->extension_months) {
			buf_addf(out, "+%d month%s<span class=\"t\">",
				 q->extension_months,
				 q->extension_months > 1 ? "s" : "");
			report_html_escape(out, str_or(q->extension_reason, ""));
			buf_adds(out, "</span>");
		} else {
			buf_adds(out, "<span class=\"no\">&ndash;</span>");
		}
		buf_adds(out, "</td></tr>\n");
	}
	buf_adds(out, "</tbody></table></div></section>\n");
}

static void html_actions(const struct report *r, struct buf *out)
{
	size_t i;

	buf_adds(out, "<section><h2>API actions</h2>\n");
	if (!r->nactions) {
		buf_adds(out, "<p class=\"note\">No API actions recorded in this "
			 "period.</p></section>\n");
		return;
	}
	buf_adds(out, "<table style=\"width:auto;min-width:50%\"><thead><tr>"
		 "<th>Action</th><th>Outcome</th><th class=\"n\">Count</th>"
		 "</tr></thead><tbody>\n");
	for (i = 0; i < r->nactions; i++) {
		buf_adds(out, "<tr><td class=\"mono\">");
		report_html_escape(out, r->actions[i].action);
		buf_adds(out, "</td><td>");
		report_html_escape(out, r->actions[i].outcome);
		buf_addf(out, "</td><td class=\"n\">%ld</td></tr>\n",
			 r->actions[i].count);
	}
	buf_adds(out, "</tbody></table><p class=\"note\">Counts of ledger "
		 "&ldquo;result&rdquo; entries: one per finished API call. "
		 "<i>already_absent</i> is a 404 on delete (already gone, "
		 "recorded as success).</p></section>\n");
}

void report_html(const struct report *r, struct buf *out)
{
	struct buf policy = BUF_INIT, num = BUF_INIT;

	deadline_policy(r->deadline_days, &policy);
	buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		 "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
		 "content=\"width=device-width, initial-scale=1\">\n"
		 "<title>GDPR erasure report ");
	report_html_escape(out, r->generated_at);
	buf_addf(out, "</title>\n<style>\n%s</style>\n</head><body><main>\n",
		 html_style);
	buf_adds(out, "<header><div><p class=\"kicker\">Right to erasure "
		 "&middot; GDPR Art. 17</p><h1>Erasure compliance report</h1>"
		 "<p class=\"meta\">Period: <b>");
	if (r->from || r->to) {
		report_html_escape(out, str_or(r->from, "start"));
		buf_adds(out, "</b> to <b>");
		report_html_escape(out, str_or(r->to, "now"));
	} else {
		buf_adds(out, "all time");
	}
	buf_adds(out, "</b> (by date received) &middot; Deadline: <b>");
	report_html_escape(out, policy.buf);
	buf_adds(out, "</b></p></div><div class=\"stamp\">Generated<br><b>");
	report_html_escape(out, r->generated_at);
	buf_adds(out, "</b></div></header>\n<section class=\"cards\">\n");

	buf_addf(&num, "%ld", r->received);
	html_card(out, "", num.buf, "Received");
	buf_reset(&num);
	buf_addf(&num, "%ld", r->done);
	html_card(out, "good", num.buf, "Done");
	buf_reset(&num);
	buf_addf(&num, "%ld", r->erased);
	html_card(out, "", num.buf, "Erased");
	buf_reset(&num);
	buf_addf(&num, "%ld", r->not_found);
	html_card(out, "", num.buf, "Subject not found");
	buf_reset(&num);
	buf_addf(&num, "%ld", r->failed);
	html_card(out, r->failed ? "bad" : "", num.buf, "Failed (retrying)");
	buf_reset(&num);
	buf_addf(&num, "%ld", r->pending + r->running);
	html_card(out, "", num.buf, "Pending");
	buf_reset(&num);
	buf_addf(&num, "%ld", r->held);
	html_card(out, "", num.buf, "Held (Art. 17(3))");
	buf_reset(&num);
	buf_addf(&num, "%ld", r->overdue);
	html_card(out, r->overdue ? "bad" : "good", num.buf, "Overdue");
	buf_reset(&num);
	buf_addf(&num, "%ld<small> / %ld</small>", r->done_within_deadline,
		 r->done);
	html_card(out, "", num.buf, "Done within deadline");
	buf_reset(&num);
	if (r->have_days)
		buf_addf(&num, "%.1f<small> / %.1f</small>", r->median_days,
			 r->p95_days);
	else
		buf_adds(&num, "&ndash;");
	html_card(out, "", num.buf, "Days: median / 95th pct");
	buf_adds(out, "</section>\n");
	html_integrity(r, out);
	html_weekly_chart(r, out);
	html_days_chart(r, out);
	html_actions(r, out);
	html_requests(r, out);
	buf_adds(out, "<footer><p><b>Definitions.</b> Deadline: ");
	report_html_escape(out, policy.buf);
	buf_adds(out, ", plus any extension (at most two months, Art. 12(3)). "
		 "Overdue: done after the deadline, or still open (pending, "
		 "running, failed) after it as of the generation time; held "
		 "requests are not counted. Days to completion run from receipt "
		 "to completion; the 95th percentile is the nearest rank. "
		 "Verified: fresh reads after the last attempt found the "
		 "customer and every device ownership gone.</p><p>Subjects "
		 "appear only as subject refs (HMAC-SHA256 of the normalized "
		 "email; the first 12 hex digits are shown): no email address "
		 "is in this report. Check the ledger with <code>erasectl "
		 "verify</code>; a request's evidence with <code>erasectl "
		 "receipt REQUEST_ID</code>.</p><p>erasectl " ERASECTL_VERSION
		 "</p></footer>\n</main></body></html>\n");
	buf_release(&policy);
	buf_release(&num);
}

/* ---- receipt ---------------------------------------------------------- */

void receipt_init(struct receipt *rc)
{
	memset(rc, 0, sizeof(*rc));
}

void receipt_release(struct receipt *rc)
{
	size_t i;

	for (i = 0; i < rc->nentries; i++) {
		struct receipt_entry *e = &rc->entries[i];

		free(e->ts);
		free(e->event);
		free(e->target_kind);
		free(e->target_id);
		free(e->method);
		free(e->path);
		free(e->body_sha256);
		free(e->detail);
		free(e->operator_name);
		free(e->prev_hash);
		free(e->hash);
	}
	free(rc->entries);
	free(rc->request_id);
	free(rc->subject_ref);
	free(rc->status);
	free(rc->outcome);
	free(rc->received_at);
	free(rc->completed_at);
	free(rc->extension_reason);
	checkpoint_release(&rc->checkpoint);
	receipt_init(rc);
}

static int receipt_request(sqlite3 *db, const char *request_id,
			   struct receipt *rc)
{
	sqlite3_stmt *st;
	int rc_step;

	if (db_prepare(db, &st, "SELECT request_id, subject_ref, status,"
		       " outcome, received_at, completed_at, extension_months,"
		       " extension_reason FROM erasure_queue"
		       " WHERE request_id = ?1"))
		return -1;
	sqlite3_bind_text(st, 1, request_id, -1, SQLITE_STATIC);
	rc_step = sqlite3_step(st);
	if (rc_step == SQLITE_ROW) {
		rc->request_id = col_clean(st, 0);
		rc->subject_ref = db_column_strdup(st, 1);
		rc->status = db_column_strdup(st, 2);
		rc->outcome = db_column_strdup(st, 3);
		rc->received_at = col_clean(st, 4);
		rc->completed_at = col_clean(st, 5);
		rc->extension_months = sqlite3_column_int(st, 6);
		rc->extension_reason = col_clean(st, 7);
		if (!rc->status)
			rc->status = xstrdup("pending");
	} else if (rc_step != SQLITE_DONE) {
		error("cannot read request '%s': %s", request_id,
		      sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	return rc_step == SQLITE_ROW ? 0 : rc_step == SQLITE_DONE ? 1 : -1;
}

static const char *col_str(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? (const char *)t : "";
}

/* Recomputes the stored row's hash from its own fields and prev_hash. */
static int entry_hash_ok(sqlite3_stmt *st)
{
	struct ledger_entry e;
	char hash[SHA256_HEX_LEN + 1];

	memset(&e, 0, sizeof(e));
	e.seq = sqlite3_column_int64(st, 0);
	snprintf(e.ts, sizeof(e.ts), "%s", col_str(st, 1));
	e.request_id = col_str(st, 2);
	e.subject_ref = col_str(st, 3);
	e.event = col_str(st, 4);
	e.target_kind = col_str(st, 5);
	e.target_id = col_str(st, 6);
	e.method = col_str(st, 7);
	e.path = col_str(st, 8);
	e.status = sqlite3_column_int(st, 9);
	e.body_sha256 = col_str(st, 10);
	e.detail = col_str(st, 11);
	e.operator_name = col_str(st, 12);
	snprintf(e.prev_hash, sizeof(e.prev_hash), "%s", col_str(st, 13));
	ledger_entry_hash(&e, hash);
	return !strcmp(hash, col_str(st, 14));
}

static int receipt_entries(sqlite3 *db, const char *request_id,
			   struct receipt *rc)
{
	sqlite3_stmt *st;
	size_t alloc = 0;
	int step;

	if (db_prepare(db, &st, "SELECT seq, ts, request_id, subject_ref,"
		       " event, target_kind, target_id, method, path, status,"
		       " body_sha256, detail, operator, prev_hash, hash"
		       " FROM ledger WHERE request_id = ?1 ORDER BY seq"))
		return -1;
	sqlite3_bind_text(st, 1, request_id, -1, SQLITE_STATIC);
	rc->entries_ok = 1;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct receipt_entry *e;

		if (rc->nentries == alloc) {
			alloc = alloc ? 2 * alloc : 16;
			rc->entries = xrealloc(rc->entries,
					       alloc * sizeof(*rc->entries));
		}
		e = &rc->entries[rc->nentries++];
		memset(e, 0, sizeof(*e));
		/* Recomputed over the exact stored text before cleaning. */
		e->hash_ok = entry_hash_ok(st);
		rc->entries_ok &= e->hash_ok;
		e->seq = sqlite3_column_int64(st, 0);
		e->ts = col_clean(st, 1);
		e->event = col_clean(st, 4);
		e->target_kind = col_clean(st, 5);
		e->target_id = col_clean(st, 6);
		e->method = col_clean(st, 7);
		e->path = col_clean(st, 8);
		e->status = sqlite3_column_int(st, 9);
		e->body_sha256 = col_clean(st, 10);
		e->detail = col_clean(st, 11);
		e->operator_name = col_clean(st, 12);
		e->prev_hash = db_column_strdup(st, 13);
		e->hash = db_column_strdup(st, 14);
	}
	if (step != SQLITE_DONE)
		error("cannot read the ledger: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return step == SQLITE_DONE ? 0 : -1;
}

int receipt_build(sqlite3 *db, const char *request_id, long deadline_days,
		  time_t now, struct receipt *rc)
{
	struct buf reason = BUF_INIT;
	int ret, v;

	iso_time(now, rc->generated_at, NULL);
	ret = receipt_request(db, request_id, rc);
	if (ret)
		return ret;
	if (queue_deadline(rc->received_at, deadline_days,
			   rc->extension_months, rc->deadline))
		rc->deadline[0] = '\0';
	if (receipt_entries(db, request_id, rc) ||
	    ledger_head(db, &rc->ledger_entries, rc->ledger_head))
		return -1;
	if (rc->nentries &&
	    load_checkpoint(db, rc->entries[rc->nentries - 1].seq,
			    &rc->checkpoint))
		return -1;
	v = ledger_verify(db, &rc->ledger_entries, &rc->ledger_bad_seq,
			  &reason);
	buf_release(&reason);
	if (v < 0)
		return -1;
	rc->ledger_verified = v == 0;
	return 0;
}

static int receipt_done(const struct receipt *rc)
{
	return !strcmp(rc->status, "done");
}

static int receipt_within(const struct receipt *rc)
{
	return receipt_done(rc) && rc->completed_at && rc->deadline[0] &&
	       strncmp(rc->completed_at, rc->deadline, 10) <= 0;
}

/* Splits "<action>:<outcome>" into out_action / returns the outcome. */
static const char *split_detail(const char *detail, struct buf *action)
{
	const char *colon = strchr(detail, ':');

	buf_reset(action);
	if (!colon) {
		buf_adds(action, detail);
		return "";
	}
	buf_add(action, detail, (size_t)(colon - detail));
	return colon + 1;
}

static void shell_quote(struct buf *out, const char *s)
{
	buf_addch(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_adds(out, "'\\''");
		else
			buf_addch(out, *s);
	}
	buf_addch(out, '\'');
}

/* The commands an auditor runs to check the receipt, one per line. */
static void verify_commands(const struct receipt *rc, struct strvec *cmds)
{
	struct buf b = BUF_INIT;

	strvec_push(cmds, "erasectl verify");
	if (rc->checkpoint.present && rc->checkpoint.file) {
		buf_adds(&b, "erasectl verify --checkpoint ");
		shell_quote(&b, rc->checkpoint.file);
		strvec_push(cmds, b.buf);
		buf_reset(&b);
	}
	if (rc->nentries) {
		buf_adds(&b, "sqlite3 ");
		shell_quote(&b, rc->db_path ? rc->db_path : "erasectl.db");
		buf_addf(&b, " \"SELECT seq, prev_hash, hash FROM ledger WHERE "
			 "seq BETWEEN %lld AND %lld\"",
			 (long long)rc->entries[0].seq,
			 (long long)rc->entries[rc->nentries - 1].seq);
		strvec_push(cmds, b.buf);
	}
	buf_release(&b);
}

static const char hash_rule[] =
	"each entry's hash is SHA-256(prev_hash || canonical encoding of its "
	"fields) as documented in src/ledger.h, and its prev_hash is the "
	"previous entry's hash";

void receipt_json(const struct receipt *rc, struct buf *out)
{
	struct buf action = BUF_INIT;
	struct strvec cmds = STRVEC_INIT;
	size_t i;
	int first;

	buf_adds(out, "{\n  \"generated_at\": ");
	report_json_string(out, rc->generated_at);
	buf_addf(out, ",\n  \"certificate_of_erasure\": %s,\n"
		 "  \"request_id\": ", receipt_done(rc) ? "true" : "false");
	json_str_or_null(out, rc->request_id);
	buf_adds(out, ",\n  \"subject_ref\": ");
	json_str_or_null(out, rc->subject_ref);
	if (rc->email) {
		buf_adds(out, ",\n  \"subject_email\": ");
		report_json_string(out, rc->email);
	}
	buf_adds(out, ",\n  \"status\": ");
	json_str_or_null(out, rc->status);
	buf_adds(out, ",\n  \"outcome\": ");
	json_str_or_null(out, rc->outcome);
	buf_adds(out, ",\n  \"received_at\": ");
	json_str_or_null(out, rc->received_at);
	buf_adds(out, ",\n  \"deadline\": ");
	json_str_or_null(out, rc->deadline[0] ? rc->deadline : NULL);
	buf_addf(out, ",\n  \"extension_months\": %d,\n"
		 "  \"extension_reason\": ", rc->extension_months);
	json_str_or_null(out, rc->extension_reason);
	buf_adds(out, ",\n  \"completed_at\": ");
	json_str_or_null(out, rc->completed_at);
	buf_addf(out, ",\n  \"within_deadline\": %s,\n  \"actions\": [",
		 receipt_within(rc) ? "true" : "false");
	for (i = 0, first = 1; i < rc->nentries; i++) {
		const struct receipt_entry *e = &rc->entries[i];
		const char *outcome;

		if (strcmp(e->event, "result"))
			continue;
		outcome = split_detail(e->detail, &action);
		buf_addf(out, "%s\n    {\"seq\": %lld, \"ts\": ", first ? "" : ",",
			 (long long)e->seq);
		first = 0;
		report_json_string(out, e->ts);
		buf_adds(out, ", \"action\": ");
		report_json_string(out, action.buf);
		buf_adds(out, ", \"outcome\": ");
		report_json_string(out, outcome);
		buf_adds(out, ", \"target_kind\": ");
		report_json_string(out, e->target_kind);
		buf_adds(out, ", \"target_id\": ");
		report_json_string(out, e->target_id);
		buf_adds(out, ", \"method\": ");
		report_json_string(out, e->method);
		buf_adds(out, ", \"path\": ");
		report_json_string(out, e->path);
		buf_addf(out, ", \"http_status\": %d, \"body_sha256\": ",
			 e->status);
		report_json_string(out, e->body_sha256);
		buf_adds(out, ", \"hash\": ");
		report_json_string(out, e->hash);
		buf_addch(out, '}');
	}
	buf_adds(out, first ? "],\n  \"verification\": [" :
			      "\n  ],\n  \"verification\": [");
	for (i = 0, first = 1; i < rc->nentries; i++) {
		const struct receipt_entry *e = &rc->entries[i];

		if (strcmp(e->event, "verify"))
			continue;
		buf_addf(out, "%s\n    {\"seq\": %lld, \"ts\": ", first ? "" : ",",
			 (long long)e->seq);
		first = 0;
		report_json_string(out, e->ts);
		buf_adds(out, ", \"target_kind\": ");
		report_json_string(out, e->target_kind);
		buf_adds(out, ", \"target_id\": ");
		report_json_string(out, e->target_id);
		buf_adds(out, ", \"result\": ");
		report_json_string(out, e->detail);
		buf_adds(out, ", \"hash\": ");
		report_json_string(out, e->hash);
		buf_addch(out, '}');
	}
	buf_adds(out, first ? "],\n  \"entries\": [" :
			      "\n  ],\n  \"entries\": [");
	for (i = 0; i < rc->nentries; i++) {
		const struct receipt_entry *e = &rc->entries[i];

		buf_addf(out, "%s\n    {\"seq\": %lld, \"ts\": ", i ? "," : "",
			 (long long)e->seq);
		report_json_string(out, e->ts);
		buf_adds(out, ", \"event\": ");
		report_json_string(out, e->event);
		buf_adds(out, ", \"target_kind\": ");
		report_json_string(out, e->target_kind);
		buf_adds(out, ", \"target_id\": ");
		report_json_string(out, e->target_id);
		buf_adds(out, ", \"method\": ");
		report_json_string(out, e->method);
		buf_adds(out, ", \"path\": ");
		report_json_string(out, e->path);
		buf_addf(out, ", \"status\": %d, \"body_sha256\": ", e->status);
		report_json_string(out, e->body_sha256);
		buf_adds(out, ", \"detail\": ");
		report_json_string(out, e->detail);
		buf_adds(out, ", \"operator\": ");
		report_json_string(out, e->operator_name);
		buf_adds(out, ", \"prev_hash\": ");
		json_str_or_null(out, e->prev_hash);
		buf_adds(out, ", \"hash\": ");
		json_str_or_null(out, e->hash);
		buf_addf(out, ", \"hash_ok\": %s}", e->hash_ok ? "true" : "false");
	}
	buf_adds(out, rc->nentries ? "\n  ],\n" : "],\n");
	buf_addf(out, "  \"ledger\": {\"entries\": %lld, \"head\": ",
		 (long long)rc->ledger_entries);
	report_json_string(out, rc->ledger_head);
	buf_addf(out, ", \"verified\": %s, \"first_bad_seq\": ",
		 rc->ledger_verified ? "true" : "false");
	json_seq(out, rc->ledger_verified ? 0 : rc->ledger_bad_seq);
	buf_addf(out, ", \"request_entries_recompute\": %s},\n"
		 "  \"checkpoint\": ", rc->entries_ok ? "true" : "false");
	json_checkpoint(out, &rc->checkpoint);
	buf_adds(out, ",\n  \"checkpoint_note\": ");
	report_json_string(out, rc->checkpoint.present ?
		"this checkpoint's Merkle root covers every entry above" :
		"no checkpoint covers these entries yet: run 'erasectl "
		"checkpoint'");
	buf_adds(out, ",\n  \"how_to_verify\": {\"hash_rule\": ");
	report_json_string(out, hash_rule);
	buf_adds(out, ", \"commands\": [");
	verify_commands(rc, &cmds);
	for (i = 0; i < cmds.n; i++) {
		buf_adds(out, i ? ", " : "");
		report_json_string(out, cmds.v[i]);
	}
	buf_adds(out, "]}\n}\n");
	strvec_clear(&cmds);
	buf_release(&action);
}

void receipt_text(const struct receipt *rc, struct buf *out)
{
	struct buf action = BUF_INIT;
	struct strvec cmds = STRVEC_INIT;
	size_t i, nres = 0, nver = 0;

	if (receipt_done(rc))
		buf_adds(out, "CERTIFICATE OF ERASURE\n\n");
	else
		buf_addf(out, "ERASURE RECEIPT (not a certificate: the request "
			 "is %s)\n\n", rc->status);
	buf_addf(out, "request:      %s\n", str_or(rc->request_id, ""));
	buf_addf(out, "subject_ref:  %s\n", str_or(rc->subject_ref, "-"));
	if (rc->email)
		buf_addf(out, "subject:      %s (matches subject_ref)\n",
			 rc->email);
	buf_addf(out, "status:       %s%s%s%s\n", rc->status,
		 rc->outcome ? " (" : "", str_or(rc->outcome, ""),
		 rc->outcome ? ")" : "");
	buf_addf(out, "received:     %s\n", str_or(rc->received_at, "-"));
	buf_addf(out, "deadline:     %s", str_or(rc->deadline, "-"));
	if (rc->extension_months)
		buf_addf(out, " (extended by %d month%s: %s)",
			 rc->extension_months,
			 rc->extension_months > 1 ? "s" : "",
			 str_or(rc->extension_reason, "no reason recorded"));
	buf_addf(out, "\ncompleted:    %s", str_or(rc->completed_at, "-"));
	if (receipt_done(rc))
		buf_adds(out, receipt_within(rc) ? " (within the deadline)" :
			 " (AFTER the deadline)");
	buf_addf(out, "\ngenerated:    %s\n", rc->generated_at);

	for (i = 0; i < rc->nentries; i++) {
		nres += !strcmp(rc->entries[i].event, "result");
		nver += !strcmp(rc->entries[i].event, "verify");
	}
	buf_addf(out, "\nActions (%zu API calls):\n", nres);
	if (!nres)
		buf_adds(out, "  none (the subject was found in no product, or "
			 "nothing was done yet)\n");
	for (i = 0; i < rc->nentries; i++) {
		const struct receipt_entry *e = &rc->entries[i];
		const char *outcome;

		if (strcmp(e->event, "result"))
			continue;
		outcome = split_detail(e->detail, &action);
		buf_addf(out, "  seq %-6lld %s  %-22s %-15s %s %s  HTTP %d\n",
			 (long long)e->seq, e->ts, action.buf, outcome,
			 e->target_kind, e->target_id, e->status);
	}
	buf_addf(out, "\nVerification (%zu fresh reads after the actions):\n",
		 nver);
	if (!nver)
		buf_adds(out, "  none recorded\n");
	for (i = 0; i < rc->nentries; i++) {
		const struct receipt_entry *e = &rc->entries[i];

		if (!strcmp(e->event, "verify"))
			buf_addf(out, "  seq %-6lld %s  %s %s: %s\n",
				 (long long)e->seq, e->ts, e->target_kind,
				 e->target_id, e->detail);
	}
	buf_addf(out, "\nLedger entries of this request (%zu):\n",
		 rc->nentries);
	for (i = 0; i < rc->nentries; i++) {
		const struct receipt_entry *e = &rc->entries[i];

		buf_addf(out, "  seq %-6lld %-9s %s%s\n", (long long)e->seq,
			 e->event, str_or(e->hash, "?"),
			 e->hash_ok ? "" : "  HASH MISMATCH");
	}
	buf_addf(out, "\nEvery entry's hash recomputes from its fields: %s\n",
		 rc->entries_ok ? "yes" : "NO");
	buf_addf(out, "Ledger hash chain (%lld entries, head %s) verifies: %s",
		 (long long)rc->ledger_entries, rc->ledger_head,
		 rc->ledger_verified ? "yes" : "NO");
	if (!rc->ledger_verified)
		buf_addf(out, " (first bad entry: seq %lld)",
			 (long long)rc->ledger_bad_seq);
	buf_adds(out, "\n");
	if (rc->checkpoint.present) {
		buf_addf(out, "Checkpoint: #%lld of %s covers entries 1-%lld "
			 "(Merkle root %s, %s)", (long long)rc->checkpoint.id,
			 str_or(rc->checkpoint.created_at, "?"),
			 (long long)rc->checkpoint.entries,
			 str_or(rc->checkpoint.root, "?"),
			 rc->checkpoint.is_signed ? "signed" : "unsigned");
		if (rc->checkpoint.file)
			buf_addf(out, ", file %s", rc->checkpoint.file);
		buf_adds(out, "\n");
	} else {
		buf_adds(out, "Checkpoint: none covers these entries yet: run "
			 "'erasectl checkpoint'\n");
	}
	buf_addf(out, "\nHow to verify: %s. Run:\n", hash_rule);
	verify_commands(rc, &cmds);
	for (i = 0; i < cmds.n; i++)
		buf_addf(out, "  %s\n", cmds.v[i]);
	strvec_clear(&cmds);
	buf_release(&action);
}

#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "db.h"
#include "evidence.h"
#include "ledger.h"
#include "log.h"
#include "queue.h"
#include "banned.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
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
		free(q->disagreement);
		free(q->enqueued_by);
		free(q->approved_by);
		free(q->approved_at);
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
	checkpoint_row_release(&r->checkpoint);
	report_init(r);
}

/* Binds ?1 = first day, ?2 = the day after the last (NULL: open). */
static void bind_period(sqlite3_stmt *st, const char *from,
			const char *to_next)
{
	db_bind_text(st, 1, from);
	db_bind_text(st, 2, to_next);
}

#define PERIOD_SQL \
	"(?1 IS NULL OR q.received_at >= ?1) AND " \
	"(?2 IS NULL OR q.received_at < ?2)"

/*
 * One pass over the ledger grouped by request (no per-request queries),
 * joined to the queue; requests whose queue row is gone come from the
 * ledger alone (when no period is asked: the period is by received date,
 * which only the queue holds). "verified" needs the request's last
 * attempt: verify entries after its last "failed" event exist and none of
 * them is bad, so a mismatch that failed an earlier attempt does not
 * count. Status, outcome and completion come from the evidence (the
 * replay of the same entries), not from the queue's columns.
 */
static const char requests_sql[] =
	"WITH a AS (SELECT l.request_id AS rid, MIN(l.seq) AS s0,"
	"   MAX(l.seq) AS s1, MAX(l.subject_ref) AS sref,"
	"   COUNT(DISTINCT CASE WHEN l.event = 'result' AND l.detail IN"
	"     ('unclaim:ok', 'unclaim:already_absent', 'remove:ok',"
	"      'remove:already_absent') THEN l.target_id END) AS released,"
	"   MAX(l.event = 'result' AND l.detail IN ('delete_customer:ok',"
	"     'delete_customer:already_absent', 'delete_customer:gone')) AS cust,"
	"   MAX(CASE WHEN l.event = 'verify' THEN l.seq END) AS vmax,"
	"   MAX(CASE WHEN l.event = 'verify' AND l.detail NOT IN ('ok',"
	"       'residual') THEN l.seq END) AS vbad,"
	"   COALESCE(MAX(CASE WHEN l.event = 'failed' THEN l.seq END), 0) AS fmax"
	"   FROM ledger l"
	"   WHERE (?1 IS NULL AND ?2 IS NULL) OR l.request_id IN"
	"     (SELECT q.request_id FROM erasure_queue q WHERE " PERIOD_SQL ")"
	"   GROUP BY l.request_id),"
	" ids AS (SELECT q.request_id AS rid FROM erasure_queue q"
	"   WHERE " PERIOD_SQL
	"   UNION SELECT a.rid FROM a WHERE ?1 IS NULL AND ?2 IS NULL)"
	" SELECT ids.rid, COALESCE(q.subject_ref, a.sref), q.received_at,"
	"  q.status, q.outcome, q.extension_months, q.extension_reason,"
	"  a.s0, a.s1, a.released, a.cust,"
	"  a.vmax > a.fmax AND (a.vbad IS NULL OR a.vbad < a.fmax),"
	"  q.request_id IS NOT NULL"
	" FROM ids LEFT JOIN erasure_queue q ON q.request_id = ids.rid"
	" LEFT JOIN a ON a.rid = ids.rid"
	" ORDER BY q.received_at IS NULL, q.received_at, ids.rid";

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
		else if (q->outcome &&
			 !strcmp(q->outcome, "erased_with_residue"))
			r->erased_with_residue++;
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
	} else if (!strcmp(q->status, "awaiting_approval")) {
		r->awaiting++;
	}
}

/* Deadline, overdue, within-deadline and days of one request. */
static void judge_deadline(struct report_request *q, long deadline_days,
			   const char *today, time_t now)
{
	int s = queue_status_parse(q->status);
	struct deadline_verdict v;
	time_t from, to = now;

	q->done = !strcmp(q->status, "done");
	if (civil_deadline(q->received_at, deadline_days, q->extension_months,
			   q->deadline))
		q->deadline[0] = '\0';
	civil_judge(queue_status_clock(s < 0 ? Q_PENDING :
				       (enum queue_status)s),
		    q->deadline, q->completed_at, today, &v);
	q->overdue = v.overdue;
	q->within_deadline = v.within;
	q->have_days = q->received_at &&
		!civil_parse_time(q->received_at, &from) &&
		(!q->completed_at || !civil_parse_time(q->completed_at, &to));
	q->days = q->have_days ? difftime(to, from) / 86400.0 : 0;
}

static void count_coverage(struct report *r, struct report_request *q)
{
	int st;

	q->residual = 0;
	for (st = 0; st < STORE_N; st++) {
		if (q->coverage[st] < 0)
			continue;
		r->coverage[st][q->coverage[st]]++;
		q->residual += q->coverage[st] == COV_RESIDUAL;
	}
	r->with_residual += q->residual > 0;
}

/*
 * The request's status, outcome and completion as the ledger proves them
 * (evidence.h), and whether the queue row tells the same story.
 */
static void apply_evidence(struct report *r, struct report_request *q,
			   const struct evidence *ev, const char *qstatus,
			   const char *qoutcome, int has_row)
{
	struct queue_request row;
	struct evidence none;
	struct buf why = BUF_INIT;
	int s = qstatus ? queue_status_parse(qstatus) : -1;

	if (!ev) {
		evidence_init(&none);
		ev = &none;
	}
	queue_request_init(&row);
	row.request_id = q->request_id;
	row.status = s < 0 ? Q_PENDING : (enum queue_status)s;
	row.outcome = (char *)qoutcome;
	q->agrees = evidence_agrees(ev, has_row ? &row : NULL, &why);
	if (!q->agrees) {
		q->disagreement = buf_detach(&why, NULL);
		r->disagreements++;
	}
	buf_release(&why);
	q->status = xstrdup(ev->recorded ? queue_status_name(ev->status) :
			    qstatus ? qstatus : "pending");
	q->outcome = ev->outcome[0] ? xstrdup(ev->outcome) : NULL;
	q->completed_at = ev->completed_at[0] ? xstrdup(ev->completed_at) :
		NULL;
	memcpy(q->coverage, ev->coverage, sizeof(q->coverage));
	count_coverage(r, q);
	q->enqueued_by = ev->enqueued_by[0] ? xstrdup(ev->enqueued_by) : NULL;
	q->approved_by = ev->approved_by[0] ? xstrdup(ev->approved_by) : NULL;
	q->approved_at = ev->approved_at[0] ? xstrdup(ev->approved_at) : NULL;
	q->reappeared = ev->reappeared;
	r->reappeared += ev->reappeared > 0;
}

/* Whether q passed its deadline while it awaited approval. */
static int overdue_waiting(const struct report_request *q)
{
	long approved, deadline;

	if (!q->deadline[0])
		return 0;
	if (!strcmp(q->status, "awaiting_approval"))
		return q->overdue;
	return q->approved_at && !civil_date_days(q->approved_at, &approved) &&
	       !civil_date_days(q->deadline, &deadline) && approved > deadline;
}

static int load_requests(sqlite3 *db, struct report *r, const char *to_next,
			 const struct evidence_set *evs, time_t now,
			 struct buf *days)
{
	sqlite3_stmt *st;
	int rc;

	if (db_prepare(db, &st, requests_sql))
		return -1;
	bind_period(st, r->from, to_next);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *rid = (const char *)sqlite3_column_text(st, 0);
		struct report_request *q;

		ALLOC_GROW(r->requests, r->nrequests, r->arequests);
		q = &r->requests[r->nrequests++];
		memset(q, 0, sizeof(*q));
		q->request_id = db_column_redacted(st, 0);
		q->subject_ref = db_column_redacted(st, 1);
		q->received_at = db_column_redacted(st, 2);
		q->extension_months = sqlite3_column_int(st, 5);
		q->extension_reason = db_column_redacted(st, 6);
		q->first_seq = sqlite3_column_int64(st, 7);
		q->last_seq = sqlite3_column_int64(st, 8);
		q->devices_released = sqlite3_column_int(st, 9);
		q->customer_deleted = sqlite3_column_int(st, 10) > 0;
		q->verified = sqlite3_column_int(st, 11) == 1;
		apply_evidence(r, q, rid ? evidence_set_get(evs, rid) : NULL,
			       (const char *)sqlite3_column_text(st, 3),
			       (const char *)sqlite3_column_text(st, 4),
			       sqlite3_column_int(st, 12));
		count_status(r, q);
		judge_deadline(q, r->deadline_days, r->today, now);
		q->overdue_waiting = overdue_waiting(q);
		r->overdue_waiting += q->overdue_waiting;
		r->overdue += q->overdue;
		r->done_within_deadline += q->within_deadline;
		if (q->done && q->have_days)
			buf_add(days, &q->days, sizeof(q->days));
	}
	if (rc != SQLITE_DONE)
		db_fail(db);
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
	int rc;

	if (db_prepare(db, &st, actions_sql))
		return -1;
	bind_period(st, r->from, to_next);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 0);
		const char *colon = d ? strchr(d, ':') : NULL;
		struct report_action *a;

		ALLOC_GROW(r->actions, r->nactions, r->aactions);
		a = &r->actions[r->nactions++];
		a->action = colon ? xstrndup(d, (size_t)(colon - d)) :
				    xstrdup(d ? d : "");
		a->outcome = xstrdup(colon ? colon + 1 : "");
		a->count = sqlite3_column_int(st, 1);
	}
	if (rc != SQLITE_DONE)
		db_fail(db);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int report_build(sqlite3 *db, const struct report_options *opt,
		 struct report *r)
{
	struct buf days = BUF_INIT;
	struct checkpoint_check chk;
	struct evidence_set evs;
	char to_next[11];
	long d;
	int ret = -1;

	civil_format_time(opt->now, r->generated_at);
	civil_format_date(opt->now, r->today);
	r->deadline_days = opt->deadline_days;
	if (opt->from)
		r->from = xstrdup(opt->from);
	if (opt->to) {
		if (civil_date_days(opt->to, &d))
			return error("bad date '%s'", opt->to);
		civil_days_date(d + 1, to_next);
		r->to = xstrdup(opt->to);
	}
	/* One pass verifies the chain, checks checkpoints, replays it all. */
	checkpoint_check_init(&chk);
	evidence_set_init(&evs);
	chk.scan.on_entry = evidence_set_entry;
	chk.scan.ctx = &evs;
	if (checkpoint_check_run(db, 0, &chk))
		goto out;
	r->ledger_entries = chk.scan.entries;
	memcpy(r->ledger_head, chk.scan.head, sizeof(r->ledger_head));
	r->ledger_bad_seq = chk.scan.bad_seq;
	r->ledger_verified = !chk.scan.bad_seq;
	if (!r->ledger_verified)
		r->ledger_reason = xstrdup(chk.scan.reason.buf);
	r->checkpoints_bad = chk.bad;
	checkpoint_check_latest(&chk, 0, &r->checkpoint);
	if (load_requests(db, r, opt->to ? to_next : NULL, &evs, opt->now,
			  &days) ||
	    load_actions(db, r, opt->to ? to_next : NULL))
		goto out;
	percentiles(r, &days);
	ret = 0;
out:
	checkpoint_check_release(&chk);
	evidence_set_release(&evs);
	buf_release(&days);
	return ret;
}

void report_deadline_policy(long deadline_days, struct buf *out)
{
	if (deadline_days > 0)
		buf_addf(out, "%ld days from receipt", deadline_days);
	else
		buf_adds(out, "one calendar month from receipt "
			 "(GDPR Art. 12(3))");
}

const char *const report_category_name[NCAT] = {
	"Erased", "Not found", "Pending", "Failed", "Held", "Rejected",
};

enum report_category report_request_category(const struct report_request *q)
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

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
 * The requests: the queue's rows received in the period, then (when no
 * period is asked: the period is by received date, which only the queue
 * holds) the requests whose rows are gone, from the ledger alone.
 */
static const char requests_sql[] =
	"SELECT q.request_id, q.subject_ref, q.received_at, q.status,"
	"  q.outcome, q.extension_months, q.extension_reason"
	" FROM erasure_queue q WHERE " PERIOD_SQL
	" ORDER BY q.received_at, q.request_id";

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

/* What the report reads of a request's entries beside its evidence. */
struct request_facts {
	char *request_id;
	long released;		/* distinct devices */
	int customer_deleted;
	int listed;		/* its queue row was read */
	long *results;		/* result entries by detail id (replay) */
	size_t nresults;
};

/*
 * The one pass over the ledger: the evidence of every request, and the
 * facts above, so that no per-request query or second scan is needed.
 */
struct replay {
	struct evidence_set evs;
	struct map facts;	/* request_id -> struct request_facts */
	struct map released;	/* "request_id\ndevice" of a release */
	struct map detail_id;	/* result detail -> its id + 1 */
	struct strvec details;	/* id -> result detail */
	long *results;		/* of the listed requests, by detail id */
	struct buf key;
	struct request_facts *last;	/* of the previous entry */
};

static void replay_init(struct replay *p)
{
	evidence_set_init(&p->evs);
	map_init(&p->facts);
	map_init(&p->released);
	map_init(&p->detail_id);
	strvec_init(&p->details);
	p->results = NULL;
	buf_init(&p->key);
	p->last = NULL;
}

static void free_facts(void *v)
{
	struct request_facts *f = v;

	free(f->request_id);
	free(f->results);
	free(f);
}

static void replay_release(struct replay *p)
{
	evidence_set_release(&p->evs);
	map_release(&p->facts, free_facts);
	map_release(&p->released, NULL);
	map_release(&p->detail_id, NULL);
	strvec_clear(&p->details);
	free(p->results);
	buf_release(&p->key);
}

/* Counts one result entry of f by its detail. */
static void count_result(struct replay *p, struct request_facts *f,
			 const char *detail)
{
	size_t id = (size_t)(uintptr_t)map_get(&p->detail_id, detail);

	if (!id) {
		strvec_push(&p->details, detail);
		id = p->details.n;
		map_put(&p->detail_id, detail, (void *)(uintptr_t)id);
	}
	id--;
	if (id >= f->nresults) {
		f->results = xrealloc(f->results,
				      (id + 1) * sizeof(*f->results));
		memset(f->results + f->nresults, 0,
		       (id + 1 - f->nresults) * sizeof(*f->results));
		f->nresults = id + 1;
	}
	f->results[id]++;
}

/* ledger_scan's on_entry: a row of LEDGER_COLUMNS that verified. */
static void replay_entry(void *ctx, sqlite3_stmt *row)
{
	struct replay *p = ctx;
	const char *rid = (const char *)sqlite3_column_text(row, 2);
	const char *event = (const char *)sqlite3_column_text(row, 4);
	const char *tid = (const char *)sqlite3_column_text(row, 6);
	const char *detail = (const char *)sqlite3_column_text(row, 11);
	struct request_facts *f;

	evidence_set_entry(&p->evs, row);
	if (!rid)
		return;
	/* A request's entries mostly follow each other. */
	f = p->last && !strcmp(p->last->request_id, rid) ? p->last :
		map_get(&p->facts, rid);
	if (!f) {
		f = xcalloc(1, sizeof(*f));
		map_put(&p->facts, rid, f);
		f->request_id = xstrdup(rid);
	}
	p->last = f;
	if (!event || strcmp(event, LEDGER_EV_RESULT) || !detail)
		return;
	count_result(p, f, detail);
	if (ledger_result_finished(detail, LEDGER_ACT_DELETE_CUSTOMER))
		f->customer_deleted = 1;
	if (tid && ledger_result_released(detail)) {
		buf_reset(&p->key);
		buf_addf(&p->key, "%s\n%s", rid, tid);
		if (!map_get(&p->released, p->key.buf)) {
			map_put(&p->released, p->key.buf, p);
			f->released++;
		}
	}
}

/* The columns of requests_sql (NULL: a request the queue no longer has). */
struct queue_cols {
	const char *subject_ref, *received_at, *status, *outcome;
	const char *extension_reason;
	int extension_months;
};

static void add_request(struct report *r, struct replay *p, const char *rid,
			const struct queue_cols *c, time_t now,
			struct buf *days)
{
	const struct evidence *ev = evidence_set_get(&p->evs, rid);
	struct request_facts *f = map_get(&p->facts, rid);
	struct report_request *q;

	ALLOC_GROW(r->requests, r->nrequests, r->arequests);
	q = &r->requests[r->nrequests++];
	memset(q, 0, sizeof(*q));
	q->request_id = log_redact_dup(rid);
	q->received_at = c ? log_redact_dup(c->received_at) : NULL;
	q->subject_ref = log_redact_dup(c && c->subject_ref ?
					c->subject_ref :
					ev && ev->subject_ref[0] ?
					ev->subject_ref : NULL);
	if (c) {
		q->extension_months = c->extension_months;
		q->extension_reason = log_redact_dup(c->extension_reason);
	}
	if (f) {
		size_t i;

		f->listed = 1;
		q->devices_released = f->released;
		q->customer_deleted = f->customer_deleted;
		for (i = 0; i < f->nresults; i++)
			p->results[i] += f->results[i];
	}
	if (ev) {
		q->first_seq = ev->first_seq;
		q->last_seq = ev->last_seq;
		q->verified = evidence_verified(ev);
	}
	apply_evidence(r, q, ev, c ? c->status : NULL, c ? c->outcome : NULL,
		       c != NULL);
	count_status(r, q);
	judge_deadline(q, r->deadline_days, r->today, now);
	q->overdue_waiting = overdue_waiting(q);
	r->overdue_waiting += q->overdue_waiting;
	r->overdue += q->overdue;
	r->done_within_deadline += q->within_deadline;
	if (q->done && q->have_days)
		buf_add(days, &q->days, sizeof(q->days));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int load_requests(sqlite3 *db, struct report *r, const char *to_next,
			 struct replay *p, time_t now, struct buf *days)
{
	const char **gone = NULL, *key;
	size_t ngone = 0, agone = 0, pos;
	sqlite3_stmt *st;
	void *val;
	int rc;

	p->results = xcalloc(p->details.n + 1, sizeof(*p->results));
	if (db_prepare(db, &st, requests_sql))
		return -1;
	bind_period(st, r->from, to_next);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct queue_cols c;

		c.subject_ref = (const char *)sqlite3_column_text(st, 1);
		c.received_at = (const char *)sqlite3_column_text(st, 2);
		c.status = (const char *)sqlite3_column_text(st, 3);
		c.outcome = (const char *)sqlite3_column_text(st, 4);
		c.extension_months = sqlite3_column_int(st, 5);
		c.extension_reason = (const char *)sqlite3_column_text(st, 6);
		add_request(r, p, (const char *)sqlite3_column_text(st, 0), &c,
			    now, days);
	}
	if (rc != SQLITE_DONE)
		db_fail(db);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (r->from || to_next)
		return 0;
	for (pos = 0; map_next(&p->facts, &pos, &key, &val); pos++) {
		if (((struct request_facts *)val)->listed)
			continue;
		ALLOC_GROW(gone, ngone, agone);
		gone[ngone++] = key;
	}
	if (ngone)
		qsort(gone, ngone, sizeof(*gone), cmp_str);
	for (pos = 0; pos < ngone; pos++)
		add_request(r, p, gone[pos], NULL, now, days);
	free(gone);
	return 0;
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

static int cmp_detail(const void *a, const void *b, void *ctx)
{
	const struct strvec *names = ctx;

	return strcmp(names->v[*(const size_t *)a],
		      names->v[*(const size_t *)b]);
}

/* The result entries of the requests listed, by action and outcome. */
static void load_actions(struct report *r, const struct replay *p)
{
	size_t *order = xcalloc(p->details.n + 1, sizeof(*order)), i;

	for (i = 0; i < p->details.n; i++)
		order[i] = i;
	qsort_r(order, p->details.n, sizeof(*order), cmp_detail,
		(void *)&p->details);
	for (i = 0; i < p->details.n; i++) {
		const char *d = p->details.v[order[i]];
		const char *colon = strchr(d, ':');
		struct report_action *a;

		if (!p->results[order[i]])
			continue;
		ALLOC_GROW(r->actions, r->nactions, r->aactions);
		a = &r->actions[r->nactions++];
		a->action = colon ? xstrndup(d, (size_t)(colon - d)) :
				    xstrdup(d);
		a->outcome = xstrdup(colon ? colon + 1 : "");
		a->count = p->results[order[i]];
	}
	free(order);
}

int report_build(sqlite3 *db, const struct report_options *opt,
		 struct report *r)
{
	struct buf days = BUF_INIT;
	struct checkpoint_check chk;
	struct replay p;
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
	replay_init(&p);
	chk.scan.on_entry = replay_entry;
	chk.scan.ctx = &p;
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
	if (load_requests(db, r, opt->to ? to_next : NULL, &p, opt->now,
			  &days))
		goto out;
	load_actions(r, &p);
	percentiles(r, &days);
	ret = 0;
out:
	checkpoint_check_release(&chk);
	replay_release(&p);
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

#include "queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "db.h"
#include "digest.h"
#include "ledger.h"
#include "log.h"
#include "banned.h"

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
#define COLUMNS "request_id, subject_email, subject_customer, device_id, " \
	"product, received_at, source, subject_ref, status, outcome, " \
	"attempts, last_error, hold_reason, extension_months, " \
	"extension_reason, queued_at, updated_at, completed_at"

static const char *const status_names[Q_NSTATUS] = {
	[Q_PENDING] = "pending", [Q_RUNNING] = "running", [Q_DONE] = "done",
	[Q_FAILED] = "failed", [Q_HELD] = "held", [Q_REJECTED] = "rejected",
	[Q_AWAITING] = "awaiting_approval",
};

/* allowed[from][to]: the transition table of queue.h, and nothing else. */
static const unsigned char allowed[Q_NSTATUS][Q_NSTATUS] = {
	/*             pend run done fail held rej  await */
	[Q_PENDING]  = { 0,  1,   0,   0,   1,   1,   0 },
	[Q_RUNNING]  = { 1,  0,   1,   1,   0,   0,   0 },
	[Q_DONE]     = { 0,  0,   0,   0,   0,   0,   0 },
	[Q_FAILED]   = { 0,  1,   0,   0,   1,   0,   0 },
	[Q_HELD]     = { 1,  0,   0,   0,   0,   0,   0 },
	[Q_REJECTED] = { 0,  0,   0,   0,   0,   0,   0 },
	[Q_AWAITING] = { 1,  0,   0,   0,   0,   1,   0 },
};

const char *queue_status_name(enum queue_status s)
{
	return (unsigned)s < Q_NSTATUS ? status_names[s] : "unknown";
}

int queue_status_parse(const char *name)
{
	int i;

	for (i = 0; i < Q_NSTATUS; i++)
		if (!strcmp(name, status_names[i]))
			return i;
	return -1;
}

int queue_transition_allowed(enum queue_status from, enum queue_status to)
{
	if ((unsigned)from >= Q_NSTATUS || (unsigned)to >= Q_NSTATUS)
		return 0;
	return allowed[from][to];
}

enum deadline_clock queue_status_clock(enum queue_status s)
{
	switch (s) {
	case Q_DONE:
		return CLOCK_DONE;
	case Q_HELD:
		return CLOCK_PAUSED;
	case Q_REJECTED:
		return CLOCK_NONE;
	default:
		return CLOCK_RUNS;
	}
}

void queue_request_init(struct queue_request *r)
{
	memset(r, 0, sizeof(*r));
	r->status = Q_PENDING;
}

void queue_request_release(struct queue_request *r)
{
	free(r->request_id);
	free(r->subject_email);
	free(r->subject_customer);
	free(r->device_id);
	free(r->product);
	free(r->received_at);
	free(r->source);
	free(r->subject_ref);
	free(r->outcome);
	free(r->last_error);
	free(r->hold_reason);
	free(r->extension_reason);
	free(r->queued_at);
	free(r->updated_at);
	free(r->completed_at);
	queue_request_init(r);
}

const char *queue_identity(const struct queue_request *r)
{
	return r->subject_email ? r->subject_email : r->subject_customer;
}

void queue_list_init(struct queue_list *l)
{
	l->v = NULL;
	l->n = l->alloc = 0;
}

void queue_list_release(struct queue_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		queue_request_release(&l->v[i]);
	free(l->v);
	queue_list_init(l);
}

struct queue_request *queue_list_push(struct queue_list *l)
{
	ALLOC_GROW(l->v, l->n, l->alloc);
	queue_request_init(&l->v[l->n]);
	return &l->v[l->n++];
}

/* Loads a row selected with COLUMNS. */
static void row_load(sqlite3_stmt *st, struct queue_request *r)
{
	const char *status = (const char *)sqlite3_column_text(st, 8);
	int s = status ? queue_status_parse(status) : -1;

	r->request_id = db_column_strdup(st, 0);
	r->subject_email = db_column_strdup(st, 1);
	r->subject_customer = db_column_strdup(st, 2);
	r->device_id = db_column_strdup(st, 3);
	r->product = db_column_strdup(st, 4);
	r->received_at = db_column_strdup(st, 5);
	r->source = db_column_strdup(st, 6);
	r->subject_ref = db_column_strdup(st, 7);
	r->status = s < 0 ? Q_PENDING : (enum queue_status)s;
	r->outcome = db_column_strdup(st, 9);
	r->attempts = sqlite3_column_int(st, 10);
	r->last_error = db_column_strdup(st, 11);
	r->hold_reason = db_column_strdup(st, 12);
	r->extension_months = sqlite3_column_int(st, 13);
	r->extension_reason = db_column_strdup(st, 14);
	r->queued_at = db_column_strdup(st, 15);
	r->updated_at = db_column_strdup(st, 16);
	r->completed_at = db_column_strdup(st, 17);
}

static int load_rows(sqlite3 *db, sqlite3_stmt *st, struct queue_list *out)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		row_load(st, queue_list_push(out));
	if (rc != SQLITE_DONE)
		return db_fail(db);
	return 0;
}

/* The columns a new request is written with (bind_new_row). */
#define STAGE_COLUMNS "request_id, subject_email, subject_customer, " \
	"device_id, product, received_at, source, subject_ref, status"

/* The statements of one insert with its duplicate check. */
struct adder {
	sqlite3 *db;
	sqlite3_stmt *find, *insert;
};

#define SUBJECT_COLUMNS "subject_email, subject_customer, device_id, " \
	"subject_ref"

static int adder_init(struct adder *a, sqlite3 *db)
{
	char now[21];

	a->db = db;
	a->find = a->insert = NULL;
	if (db_prepare(db, &a->find, "SELECT " SUBJECT_COLUMNS
		       " FROM erasure_queue WHERE request_id = ?") ||
	    db_prepare(db, &a->insert,
		       "INSERT INTO erasure_queue (" STAGE_COLUMNS ", "
		       "queued_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, "
		       "?6, ?7, ?8, ?9, ?10, ?10) "
		       "ON CONFLICT (request_id) DO NOTHING")) {
		sqlite3_finalize(a->find);
		return -1;
	}
	/* One timestamp for the batch, bound once. */
	civil_format_time(time(NULL), now);
	sqlite3_bind_text(a->insert, 10, now, -1, SQLITE_TRANSIENT);
	return 0;
}

static void adder_release(struct adder *a)
{
	sqlite3_finalize(a->find);
	sqlite3_finalize(a->insert);
	a->find = a->insert = NULL;
}

static int same_text(const char *a, const char *b, int fold)
{
	if (!a || !b)
		return !a && !b;
	return fold ? !strcasecmp(a, b) : !strcmp(a, b);
}

/*
 * Same subject as the row st holds (SUBJECT_COLUMNS): the same identity
 * (by subject_ref, or by the identity itself before upstream rows have a
 * ref) and the same device.
 */
static int same_subject(sqlite3_stmt *st, const struct queue_request *r)
{
	const char *email = (const char *)sqlite3_column_text(st, 0);
	const char *customer = (const char *)sqlite3_column_text(st, 1);
	const char *device = (const char *)sqlite3_column_text(st, 2);
	const char *ref = (const char *)sqlite3_column_text(st, 3);
	int had = email || customer || ref;
	int has = queue_identity(r) || r->subject_ref;
	char *a, *b;
	int same;

	if (had != has || !same_text(device, r->device_id, 1))
		return 0;
	if (!had)
		return 1;
	if (ref && r->subject_ref)
		return !strcmp(ref, r->subject_ref);
	if (customer || r->subject_customer)
		return same_text(customer, r->subject_customer, 0);
	if (!email || !r->subject_email)
		return 0;
	a = email_normalize(email);
	b = email_normalize(r->subject_email);
	same = !strcmp(a, b);
	free(a);
	free(b);
	return same;
}

/*
 * Looks r's id up with find (SUBJECT_COLUMNS of the row with id ?1):
 * 0 when there is none, QUEUE_DUPLICATE or QUEUE_CONFLICT, or -1.
 */
static int classify(sqlite3 *db, sqlite3_stmt *find,
		    const struct queue_request *r)
{
	int rc, ret;

	sqlite3_reset(find);
	db_bind_text(find, 1, r->request_id);
	rc = sqlite3_step(find);
	if (rc == SQLITE_DONE)
		ret = 0;
	else if (rc == SQLITE_ROW)
		ret = same_subject(find, r) ? QUEUE_DUPLICATE : QUEUE_CONFLICT;
	else
		ret = db_fail(db);
	sqlite3_reset(find);
	return ret;
}

/* Binds r as the nine STAGE_COLUMNS of an insert, in state status. */
static void bind_new_row(sqlite3_stmt *st, const struct queue_request *r,
			 enum queue_status status)
{
	sqlite3_reset(st);
	db_bind_text(st, 1, r->request_id);
	db_bind_text(st, 2, r->subject_email);
	db_bind_text(st, 3, r->subject_customer);
	db_bind_text(st, 4, r->device_id);
	db_bind_text(st, 5, r->product);
	db_bind_text(st, 6, r->received_at);
	db_bind_text(st, 7, r->source);
	db_bind_text(st, 8, r->subject_ref);
	db_bind_text(st, 9, queue_status_name(status));
}

static int adder_add(struct adder *a, const struct queue_request *r)
{
	sqlite3_stmt *st = a->insert;
	int rc;

	/* Insert first: a new id, the common case, costs one b-tree walk. */
	bind_new_row(st, r, r->status);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(a->db);
	if (sqlite3_changes(a->db) == 1)
		return QUEUE_ADDED;
	return classify(a->db, a->find, r);
}

int queue_add(sqlite3 *db, const struct queue_request *r)
{
	struct adder a;
	int ret;

	if (adder_init(&a, db))
		return -1;
	ret = adder_add(&a, r);
	adder_release(&a);
	if (ret == QUEUE_CONFLICT)
		ret = error("request id '%s' is already queued for another "
			    "subject", r->request_id);
	return ret;
}

int queue_stage_init(struct queue_stage *s, sqlite3 *db)
{
	/* Unfinished: what a row without its own id would duplicate. */
	static const char open_sql[] = " WHERE subject_ref = ?1 AND device_id "
		"IS ?2 AND status IN ('awaiting_approval', 'pending', "
		"'running', 'failed', 'held') LIMIT 1";
	struct buf sql = BUF_INIT;
	int ret = -1;

	memset(s, 0, sizeof(*s));
	s->db = db;
	/*
	 * One read transaction for the whole staging: the queue is read from
	 * one snapshot, without taking its lock again for every row, and
	 * only the temporary database is written.
	 */
	if (db_exec(db, "PRAGMA temp.cache_size = -4096; BEGIN; "
		    "CREATE TEMP TABLE enqueue_stage (seq INTEGER PRIMARY "
		    "KEY, " STAGE_COLUMNS ", UNIQUE (request_id)); "
		    "CREATE INDEX temp.enqueue_stage_ref ON enqueue_stage "
		    "(subject_ref, device_id)") ||
	    db_prepare(db, &s->find[0], "SELECT " SUBJECT_COLUMNS " FROM "
		       "main.erasure_queue WHERE request_id = ?1") ||
	    db_prepare(db, &s->find[1], "SELECT " SUBJECT_COLUMNS " FROM "
		       "temp.enqueue_stage WHERE request_id = ?1"))
		goto out;
	buf_addf(&sql, "SELECT 1 FROM main.erasure_queue%s", open_sql);
	if (db_prepare(db, &s->open[0], sql.buf))
		goto out;
	buf_reset(&sql);
	buf_addf(&sql, "SELECT 1 FROM temp.enqueue_stage%s", open_sql);
	if (db_prepare(db, &s->open[1], sql.buf) ||
	    db_prepare(db, &s->insert, "INSERT INTO temp.enqueue_stage ("
		       STAGE_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
		       "?8, ?9)"))
		goto out;
	ret = 0;
out:
	buf_release(&sql);
	if (ret)
		queue_stage_release(s);
	return ret;
}

int queue_stage_done(struct queue_stage *s)
{
	return db_commit(s->db);
}

void queue_stage_release(struct queue_stage *s)
{
	int i;

	for (i = 0; i < 2; i++) {
		sqlite3_finalize(s->find[i]);
		sqlite3_finalize(s->open[i]);
	}
	sqlite3_finalize(s->insert);
	if (s->db) {
		db_rollback(s->db);
		sqlite3_exec(s->db, "DROP TABLE IF EXISTS temp.enqueue_stage",
			     NULL, NULL, NULL);
	}
	memset(s, 0, sizeof(*s));
}

/* 1 when an unfinished request (or a staged row) has r's subject. */
static int stage_has_open(struct queue_stage *s, const struct queue_request *r)
{
	int i, rc;

	/* Only subject_ref is indexed; device-only rows are not matched. */
	if (!r->subject_ref)
		return 0;
	for (i = 0; i < 2; i++) {
		sqlite3_stmt *st = s->open[i];

		sqlite3_reset(st);
		db_bind_text(st, 1, r->subject_ref);
		db_bind_text(st, 2, r->device_id);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_ROW)
			return 1;
		if (rc != SQLITE_DONE)
			return db_fail(s->db);
	}
	return 0;
}

int queue_stage_add(struct queue_stage *s, const struct queue_request *r,
		    int generated_id)
{
	sqlite3_stmt *st = s->insert;
	int i, rc;

	rc = generated_id ? stage_has_open(s, r) : 0;
	if (rc)
		return rc < 0 ? -1 : QUEUE_DUPLICATE;
	for (i = 0; i < 2; i++)
		if ((rc = classify(s->db, s->find[i], r)))
			return rc;
	bind_new_row(st, r, s->initial);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(s->db);
	s->staged++;
	return QUEUE_ADDED;
}

/* Moves one staged row (st holds STAGE_COLUMNS) into the queue. */
static int commit_row(struct adder *a, sqlite3_stmt *st, const char *kind,
		      long *queued, long *duplicates)
{
	struct queue_request r;
	int s, rc, ret = 0;

	queue_request_init(&r);
	r.request_id = db_column_strdup(st, 0);
	r.subject_email = db_column_strdup(st, 1);
	r.subject_customer = db_column_strdup(st, 2);
	r.device_id = db_column_strdup(st, 3);
	r.product = db_column_strdup(st, 4);
	r.received_at = db_column_strdup(st, 5);
	r.source = db_column_strdup(st, 6);
	r.subject_ref = db_column_strdup(st, 7);
	s = queue_status_parse((const char *)sqlite3_column_text(st, 8));
	r.status = s < 0 ? Q_PENDING : (enum queue_status)s;
	rc = adder_add(a, &r);
	if (rc == QUEUE_ADDED) {
		ret = queue_record_enqueued(a->db, &r, kind, NULL);
		(*queued)++;
	} else if (rc == QUEUE_DUPLICATE) {
		(*duplicates)++;
	} else if (rc == QUEUE_CONFLICT) {
		error("request id '%s' was queued for another subject "
		      "meanwhile", r.request_id);
		ret = 1;
	} else {
		ret = -1;
	}
	queue_request_release(&r);
	return ret;
}

int queue_stage_commit(struct queue_stage *s, long batch, const char *kind,
		       long *queued, long *duplicates)
{
	sqlite3_stmt *st = NULL;
	struct adder a;
	long n = 0;
	int rc, ret = -1;

	*queued = *duplicates = 0;
	if (adder_init(&a, s->db))
		return -1;
	if (db_prepare(s->db, &st, "SELECT " STAGE_COLUMNS " FROM "
		       "temp.enqueue_stage ORDER BY seq"))
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!n && db_begin(s->db))
			goto out;
		if ((rc = commit_row(&a, st, kind, queued, duplicates))) {
			ret = rc;
			goto out;
		}
		if (++n == batch) {
			if (db_commit(s->db))
				goto out;
			n = 0;
		}
	}
	if (rc != SQLITE_DONE) {
		db_fail(s->db);
		goto out;
	}
	ret = n ? db_commit(s->db) : 0;
out:
	db_rollback(s->db);
	sqlite3_finalize(st);
	adder_release(&a);
	return ret;
}

int queue_record_enqueued(sqlite3 *db, const struct queue_request *r,
			  const char *kind, const char *link)
{
	if (queue_ledger_event(db, r->request_id, r->subject_ref,
			       LEDGER_EV_ENQUEUED, link, kind))
		return -1;
	if (r->status != Q_AWAITING)
		return 0;
	return queue_ledger_event(db, r->request_id, r->subject_ref,
				  LEDGER_EV_AWAITING, NULL, "approval required");
}

int queue_ledger_event(sqlite3 *db, const char *request_id,
		       const char *subject_ref, const char *event,
		       const char *target_id, const char *detail)
{
	struct ledger_entry e;

	memset(&e, 0, sizeof(e));
	e.request_id = request_id;
	e.subject_ref = subject_ref;
	e.event = event;
	e.target_kind = "request";
	e.target_id = target_id;
	e.detail = detail;
	return ledger_append(db, &e);
}

int queue_get(sqlite3 *db, const char *request_id, struct queue_request *out)
{
	sqlite3_stmt *st = db_kept(db, DB_STMT_QUEUE_GET, "SELECT " COLUMNS
				   " FROM erasure_queue WHERE request_id = ?");
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_text(st, 1, request_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_load(st, out);
	else if (rc == SQLITE_DONE)
		ret = 1;
	else
		ret = db_fail(db);
	sqlite3_reset(st);
	return ret;
}

int queue_list(sqlite3 *db, int status, long limit, struct queue_list *out)
{
	sqlite3_stmt *st;
	int ret;

	if (db_prepare(db, &st, "SELECT " COLUMNS " FROM erasure_queue "
		       "WHERE ?1 IS NULL OR status = ?1 "
		       "ORDER BY received_at, request_id LIMIT ?2"))
		return -1;
	if (status >= 0)
		db_bind_text(st, 1, queue_status_name(status));
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	ret = load_rows(db, st, out);
	sqlite3_finalize(st);
	return ret;
}

int queue_counts(sqlite3 *db, long counts[Q_NSTATUS])
{
	sqlite3_stmt *st;
	int rc, s;

	memset(counts, 0, sizeof(long) * Q_NSTATUS);
	if (db_prepare(db, &st, "SELECT status, count(*) FROM erasure_queue "
		       "GROUP BY status"))
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s = queue_status_parse((const char *)sqlite3_column_text(st, 0));
		if (s >= 0)
			counts[s] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(db);
	return 0;
}

_Static_assert(Q_NSTATUS <= DB_NSTMT - DB_STMT_TRANSITION,
	       "one kept transition statement per state");

int queue_transition(sqlite3 *db, const char *request_id,
		     enum queue_status to, const char *extra)
{
	static const char *const set[Q_NSTATUS] = {
		[Q_PENDING] = "hold_reason = NULL",
		[Q_RUNNING] = "attempts = attempts + 1",
		[Q_DONE] = "outcome = ?3, last_error = NULL, subject_email = "
			   "NULL, subject_customer = NULL, completed_at = "
			   NOW_SQL,
		[Q_FAILED] = "last_error = ?3",
		[Q_HELD] = "hold_reason = ?3",
		[Q_REJECTED] = "last_error = ?3, subject_email = NULL, "
			       "subject_customer = NULL, completed_at = "
			       NOW_SQL,
		[Q_AWAITING] = "last_error = NULL",
	};
	struct queue_request r;
	struct buf sql = BUF_INIT;
	sqlite3_stmt *st = NULL;
	int ret;

	if ((unsigned)to >= Q_NSTATUS)
		return error("unknown queue state %d", (int)to);
	if ((to == Q_HELD || to == Q_REJECTED || to == Q_DONE) &&
	    (!extra || !*extra))
		return error("moving request '%s' to %s needs %s", request_id,
			     queue_status_name(to),
			     to == Q_DONE ? "an outcome" : "a reason");
	queue_request_init(&r);
	ret = queue_get(db, request_id, &r);
	if (ret > 0) {
		ret = error("no request '%s' in the queue", request_id);
		goto out;
	}
	if (ret)
		goto out;
	if (!queue_transition_allowed(r.status, to)) {
		ret = error("request '%s' is %s; it cannot become %s",
			    request_id, queue_status_name(r.status),
			    queue_status_name(to));
		goto out;
	}
	buf_addf(&sql, "UPDATE erasure_queue SET status = ?2, %s, "
		 "updated_at = %s WHERE request_id = ?1 AND status = ?4",
		 set[to], NOW_SQL);
	/* Kept: a run moves every request twice. */
	st = db_kept(db, (enum db_stmt_slot)(DB_STMT_TRANSITION + to),
		     sql.buf);
	if (!st) {
		ret = -1;
		goto out;
	}
	db_bind_text(st, 1, request_id);
	db_bind_text(st, 2, queue_status_name(to));
	/* ?3 may be unused by this target's SET; binding it is harmless. */
	db_bind_text(st, 3, extra);
	db_bind_text(st, 4, queue_status_name(r.status));
	if (db_step(db, st)) {
		ret = -1;
	} else if (sqlite3_changes(db) != 1) {
		ret = error("request '%s' changed state meanwhile; try again",
			    request_id);
	}
out:
	if (st)
		sqlite3_reset(st);
	buf_release(&sql);
	queue_request_release(&r);
	return ret;
}

int queue_list_unrecorded(sqlite3 *db, struct queue_list *out)
{
	sqlite3_stmt *st;
	int ret;

	/*
	 * A rejected row without a plaintext subject is settled (an id the
	 * ledger cannot hold is rejected without an entry).
	 */
	if (db_prepare(db, &st, "SELECT " COLUMNS " FROM erasure_queue q "
		       "WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE "
		       "l.request_id = q.request_id AND l.event = 'enqueued') "
		       "AND NOT (status = 'rejected' AND subject_email IS NULL "
		       "AND subject_customer IS NULL) "
		       "ORDER BY received_at, request_id"))
		return -1;
	ret = load_rows(db, st, out);
	sqlite3_finalize(st);
	return ret;
}

int queue_store_recorded(sqlite3 *db, const struct queue_request *r,
			 const char *reason)
{
	int rejected = r->status == Q_REJECTED;
	sqlite3_stmt *st;
	int ret;

	if (db_prepare(db, &st, "UPDATE erasure_queue SET subject_email = ?2, "
		       "subject_customer = ?3, subject_ref = ?4, device_id = "
		       "?5, received_at = COALESCE(?6, received_at), status = "
		       "?7, outcome = NULL, last_error = ?8, completed_at = "
		       "CASE WHEN ?7 = 'rejected' THEN " NOW_SQL " END, "
		       "product = ?9, source = ?10, updated_at = " NOW_SQL
		       " WHERE request_id = ?1"))
		return -1;
	db_bind_text(st, 1, r->request_id);
	db_bind_text(st, 2, rejected ? NULL : r->subject_email);
	db_bind_text(st, 3, rejected ? NULL : r->subject_customer);
	db_bind_text(st, 4, r->subject_ref);
	db_bind_text(st, 5, r->device_id);
	db_bind_text(st, 6, r->received_at);
	db_bind_text(st, 7, queue_status_name(r->status));
	db_bind_text(st, 8, reason);
	db_bind_text(st, 9, r->product);
	db_bind_text(st, 10, r->source);
	ret = db_step(db, st);
	sqlite3_finalize(st);
	return ret;
}

/* Opens a transaction unless the caller has one; *own says which. */
static int begin_maybe(sqlite3 *db, int *own)
{
	*own = sqlite3_get_autocommit(db);
	return *own ? db_begin(db) : 0;
}

static int end_maybe(sqlite3 *db, int own, int ret)
{
	if (!own)
		return ret;
	if (ret < 0 || db_commit(db)) {
		db_rollback(db);
		return -1;
	}
	return ret;
}

/* Runnable: pending or failed, recorded, and no hold on the subject. */
#define CLAIMABLE_SQL \
	"status IN ('pending', 'failed') AND NOT (subject_ref IS NULL AND " \
	"(subject_email IS NOT NULL OR subject_customer IS NOT NULL))"
#define SUBJECT_HELD_SQL \
	"subject_ref IS NOT NULL AND EXISTS (SELECT 1 FROM erasure_queue h " \
	"WHERE h.subject_ref = q.subject_ref AND h.status = 'held')"

int queue_claim_all(sqlite3 *db, long limit, long *count,
		    queue_held_fn on_held, void *ctx)
{
	sqlite3_stmt *st = NULL, *held = NULL;
	int own, rc, ret = -1;

	*count = 0;
	if (begin_maybe(db, &own))
		return -1;
	if (db_exec(db, "UPDATE erasure_queue SET status = 'pending', "
		    "updated_at = " NOW_SQL " WHERE status = 'running'") ||
	    db_prepare(db, &held, "SELECT q.request_id, (SELECT min(h."
		       "request_id) FROM erasure_queue h WHERE h.subject_ref "
		       "= q.subject_ref AND h.status = 'held') FROM "
		       "erasure_queue q WHERE " CLAIMABLE_SQL " AND "
		       SUBJECT_HELD_SQL " ORDER BY q.received_at, q.request_id") ||
	    db_prepare(db, &st, "UPDATE erasure_queue SET status = "
		       "'running', attempts = attempts + 1, updated_at = "
		       NOW_SQL " WHERE request_id IN (SELECT request_id "
		       "FROM erasure_queue q WHERE " CLAIMABLE_SQL " AND NOT ("
		       SUBJECT_HELD_SQL ") "
		       "ORDER BY received_at, request_id LIMIT ?1)"))
		goto out;
	while ((rc = sqlite3_step(held)) == SQLITE_ROW)
		on_held((const char *)sqlite3_column_text(held, 0),
			(const char *)sqlite3_column_text(held, 1), ctx);
	if (rc != SQLITE_DONE) {
		db_fail(db);
		goto out;
	}
	sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_fail(db);
		goto out;
	}
	*count = sqlite3_changes(db);
	ret = 0;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(held);
	return end_maybe(db, own, ret);
}

int queue_count_claimable(sqlite3 *db, long *count)
{
	sqlite3_stmt *st;
	int ret = 0;

	*count = 0;
	/* Rows left running by a crash are claimable again (pending). */
	if (db_prepare(db, &st, "SELECT count(*) FROM erasure_queue q WHERE "
		       "status IN ('pending', 'failed', 'running') AND NOT "
		       "(subject_ref IS NULL AND (subject_email IS NOT NULL OR "
		       "subject_customer IS NOT NULL)) AND NOT ("
		       SUBJECT_HELD_SQL ")"))
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	else
		ret = db_fail(db);
	sqlite3_finalize(st);
	return ret;
}

int queue_next_window(sqlite3 *db, int claimed, const char *after_at,
		      const char *after_id, long n, struct queue_list *out)
{
	/* The key condition is written so the received_at index serves it. */
	static const char *const sql[] = {
		"SELECT " COLUMNS " FROM erasure_queue q WHERE ((" CLAIMABLE_SQL
		" AND NOT (" SUBJECT_HELD_SQL ")) OR status = 'running') AND "
		"(?1 IS NULL OR (received_at >= ?1 AND (received_at > ?1 OR "
		"request_id > ?2))) ORDER BY received_at, request_id LIMIT ?3",
		"SELECT " COLUMNS " FROM erasure_queue WHERE status = "
		"'running' AND (?1 IS NULL OR "
		"(received_at >= ?1 AND (received_at > ?1 OR request_id > ?2))) "
		"ORDER BY received_at, request_id LIMIT ?3",
	};
	sqlite3_stmt *st;
	int ret;

	if (db_prepare(db, &st, sql[claimed ? 1 : 0]))
		return -1;
	db_bind_text(st, 1, after_at);
	db_bind_text(st, 2, after_id);
	sqlite3_bind_int64(st, 3, n > 0 ? n : -1);
	ret = load_rows(db, st, out);
	sqlite3_finalize(st);
	return ret;
}

int queue_set_subject(sqlite3 *db, const char *request_id, const char *email,
		      const char *customer, const char *subject_ref)
{
	static const char sql[] =
		"UPDATE erasure_queue SET subject_email = ?1, subject_customer "
		"= ?2, subject_ref = ?3, updated_at = " NOW_SQL
		" WHERE request_id = ?4 AND status = 'running' "
		"AND subject_email IS NULL AND subject_customer IS NULL";
	sqlite3_stmt *st;
	int ret;

	if (db_prepare(db, &st, sql))
		return -1;
	db_bind_text(st, 1, email);
	db_bind_text(st, 2, customer);
	db_bind_text(st, 3, subject_ref);
	db_bind_text(st, 4, request_id);
	ret = db_step(db, st);
	sqlite3_finalize(st);
	return ret;
}

int queue_subject_held(sqlite3 *db, const char *subject_ref,
		       const char *request_id, struct buf *held)
{
	sqlite3_stmt *st = db_kept(db, DB_STMT_SUBJECT_HELD, "SELECT "
				   "request_id FROM erasure_queue WHERE "
				   "subject_ref = ?1 AND status = 'held' AND "
				   "request_id IS NOT ?2 ORDER BY received_at, "
				   "request_id LIMIT 1");
	int rc;

	buf_reset(held);
	if (!st)
		return -1;
	db_bind_text(st, 1, subject_ref);
	db_bind_text(st, 2, request_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		buf_adds(held, (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db);
	return 0;
}

int queue_extend(sqlite3 *db, const char *request_id, int months,
		 const char *reason)
{
	struct queue_request r;
	sqlite3_stmt *st = NULL;
	int ret;

	if (months < 1 || months > 2)
		return error("an extension is 1 or 2 months, not %d", months);
	if (!reason || !*reason)
		return error("extending request '%s' needs a reason",
			     request_id);
	queue_request_init(&r);
	ret = queue_get(db, request_id, &r);
	if (ret > 0) {
		ret = error("no request '%s' in the queue", request_id);
		goto out;
	}
	if (ret)
		goto out;
	if (r.status == Q_DONE || r.status == Q_REJECTED) {
		ret = error("request '%s' is %s; a finished request cannot be "
			    "extended", request_id, queue_status_name(r.status));
		goto out;
	}
	if (r.extension_months + months > 2) {
		ret = error("request '%s' is already extended by %d month%s; "
			    "the total may not exceed 2 months (GDPR Art. "
			    "12(3))", request_id, r.extension_months,
			    r.extension_months == 1 ? "" : "s");
		goto out;
	}
	if (db_prepare(db, &st, "UPDATE erasure_queue SET extension_months = "
		       "extension_months + ?2, extension_reason = ?3, "
		       "updated_at = " NOW_SQL " WHERE request_id = ?1")) {
		ret = -1;
		goto out;
	}
	db_bind_text(st, 1, request_id);
	sqlite3_bind_int(st, 2, months);
	db_bind_text(st, 3, reason);
	ret = db_step(db, st);
out:
	sqlite3_finalize(st);
	queue_request_release(&r);
	return ret;
}

int queue_find_by_ref(sqlite3 *db, const char *subject_ref,
		      struct queue_list *out)
{
	return queue_find_by_subject(db, subject_ref, NULL, NULL, out);
}

int queue_find_by_subject(sqlite3 *db, const char *subject_ref,
			  const char *email, const char *customer,
			  struct queue_list *out)
{
	sqlite3_stmt *st;
	int ret;

	if (db_prepare(db, &st, "SELECT " COLUMNS " FROM erasure_queue "
		       "WHERE subject_ref = ?1 OR (subject_ref IS NULL AND "
		       "(lower(trim(subject_email)) = ?2 OR "
		       "trim(subject_customer) = ?3)) "
		       "ORDER BY received_at, request_id"))
		return -1;
	db_bind_text(st, 1, subject_ref);
	db_bind_text(st, 2, email);
	db_bind_text(st, 3, customer);
	ret = load_rows(db, st, out);
	sqlite3_finalize(st);
	return ret;
}

int queue_change_logged(sqlite3 *db, const char *request_id,
			unsigned allowed_from, enum queue_status to,
			const char *event, const char *reason,
			queue_check_fn check, void *ctx,
			enum queue_status *from)
{
	struct queue_request r;
	int ret;

	queue_request_init(&r);
	if (db_begin(db))
		return -1;
	ret = queue_get(db, request_id, &r);
	if (ret > 0) {
		ret = QUEUE_NO_SUCH;
		goto out;
	}
	if (ret)
		goto out;
	*from = r.status;
	if (!(allowed_from & (1u << r.status)) ||
	    !queue_transition_allowed(r.status, to)) {
		ret = QUEUE_NOT_ALLOWED;
		goto out;
	}
	if (check && (ret = check(db, &r, ctx)))
		goto out;
	if (queue_transition(db, request_id, to, reason) ||
	    queue_ledger_event(db, request_id, r.subject_ref, event, NULL,
			       reason) ||
	    db_commit(db))
		ret = -1;
out:
	db_rollback(db);
	queue_request_release(&r);
	return ret;
}

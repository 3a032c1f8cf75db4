#include "queue.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "db.h"
#include "intake.h"
#include "ledger.h"
#include "log.h"
#include "banned.h"

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
#define COLUMNS "request_id, subject_email, device_id, product, " \
	"received_at, source, subject_ref, status, outcome, attempts, " \
	"last_error, hold_reason, extension_months, extension_reason, " \
	"queued_at, updated_at, completed_at"

static const char *const status_names[Q_NSTATUS] = {
	"pending", "running", "done", "failed", "held", "rejected",
};

/* allowed[from][to]: the transition table of queue.h, and nothing else. */
static const unsigned char allowed[Q_NSTATUS][Q_NSTATUS] = {
	/*             pend run done fail held rej */
	[Q_PENDING]  = { 0,  1,   0,   0,   1,   1 },
	[Q_RUNNING]  = { 1,  0,   1,   1,   0,   0 },
	[Q_DONE]     = { 0,  0,   0,   0,   0,   0 },
	[Q_FAILED]   = { 0,  1,   0,   0,   1,   0 },
	[Q_HELD]     = { 1,  0,   0,   0,   0,   0 },
	[Q_REJECTED] = { 0,  0,   0,   0,   0,   0 },
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

void queue_request_init(struct queue_request *r)
{
	memset(r, 0, sizeof(*r));
	r->status = Q_PENDING;
}

void queue_request_release(struct queue_request *r)
{
	free(r->request_id);
	free(r->subject_email);
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
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 16;
		l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	queue_request_init(&l->v[l->n]);
	return &l->v[l->n++];
}

/* Loads a row selected with COLUMNS. */
static void row_load(sqlite3_stmt *st, struct queue_request *r)
{
	const char *status = (const char *)sqlite3_column_text(st, 7);
	int s = status ? queue_status_parse(status) : -1;

	r->request_id = db_column_strdup(st, 0);
	r->subject_email = db_column_strdup(st, 1);
	r->device_id = db_column_strdup(st, 2);
	r->product = db_column_strdup(st, 3);
	r->received_at = db_column_strdup(st, 4);
	r->source = db_column_strdup(st, 5);
	r->subject_ref = db_column_strdup(st, 6);
	r->status = s < 0 ? Q_PENDING : (enum queue_status)s;
	r->outcome = db_column_strdup(st, 8);
	r->attempts = sqlite3_column_int(st, 9);
	r->last_error = db_column_strdup(st, 10);
	r->hold_reason = db_column_strdup(st, 11);
	r->extension_months = sqlite3_column_int(st, 12);
	r->extension_reason = db_column_strdup(st, 13);
	r->queued_at = db_column_strdup(st, 14);
	r->updated_at = db_column_strdup(st, 15);
	r->completed_at = db_column_strdup(st, 16);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static int step_done(sqlite3 *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return error("database error: %s", sqlite3_errmsg(db));
	return 0;
}

int queue_adder_init(struct queue_adder *a, sqlite3 *db)
{
	char now[21];

	a->db = db;
	a->find = a->insert = a->open_ref = NULL;
	if (db_prepare(db, &a->open_ref,
		       "SELECT 1 FROM erasure_queue WHERE subject_ref = ?1 "
		       "AND device_id IS ?2 AND status IN ('pending', "
		       "'running', 'failed', 'held') LIMIT 1") ||
	    db_prepare(db, &a->find,
		       "SELECT subject_email, device_id, subject_ref "
		       "FROM erasure_queue WHERE request_id = ?") ||
	    db_prepare(db, &a->insert,
		       "INSERT INTO erasure_queue (request_id, subject_email, "
		       "device_id, product, received_at, source, subject_ref, "
		       "queued_at, updated_at) "
		       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) "
		       "ON CONFLICT (request_id) DO NOTHING")) {
		queue_adder_release(a);
		return -1;
	}
	/* One timestamp for the batch, bound once. */
	intake_format_time(time(NULL), now);
	sqlite3_bind_text(a->insert, 8, now, -1, SQLITE_TRANSIENT);
	return 0;
}

void queue_adder_release(struct queue_adder *a)
{
	sqlite3_finalize(a->find);
	sqlite3_finalize(a->insert);
	sqlite3_finalize(a->open_ref);
	a->find = a->insert = a->open_ref = NULL;
}

int queue_adder_has_open(struct queue_adder *a, const struct queue_request *r)
{
	sqlite3_stmt *st = a->open_ref;
	int rc;

	/* Only subject_ref is indexed; device-only rows are not matched. */
	if (!r->subject_ref)
		return 0;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, r->subject_ref, -1, SQLITE_STATIC);
	bind_text(st, 2, r->device_id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return error("database error: %s", sqlite3_errmsg(a->db));
	return 0;
}

static int same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcasecmp(a, b));
}

/* Same subject: the same email (by subject_ref or text) and device. */
static int same_subject(const char *email, const char *device,
			const char *ref, const struct queue_request *r)
{
	int had = email || ref, has = r->subject_email || r->subject_ref;
	int same;

	if (had != has || !same_text(device, r->device_id))
		return 0;
	if (!had)
		return 1;
	if (ref && r->subject_ref)
		return !strcmp(ref, r->subject_ref);
	if (email && r->subject_email) {
		char *a = email_normalize(email), *b =
			email_normalize(r->subject_email);

		same = !strcmp(a, b);
		free(a);
		free(b);
		return same;
	}
	return 0;
}

int queue_adder_add(struct queue_adder *a, const struct queue_request *r)
{
	sqlite3_stmt *st = a->insert;
	int rc, ret;

	/* Insert first: a new id, the common case, costs one b-tree walk. */
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, r->request_id, -1, SQLITE_STATIC);
	bind_text(st, 2, r->subject_email);
	bind_text(st, 3, r->device_id);
	bind_text(st, 4, r->product);
	bind_text(st, 5, r->received_at);
	bind_text(st, 6, r->source);
	bind_text(st, 7, r->subject_ref);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return error("cannot queue request '%s': %s", r->request_id,
			     sqlite3_errmsg(a->db));
	if (sqlite3_changes(a->db) == 1)
		return QUEUE_ADDED;

	st = a->find;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, r->request_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return error("database error: %s", sqlite3_errmsg(a->db));
	}
	ret = same_subject((const char *)sqlite3_column_text(st, 0),
			   (const char *)sqlite3_column_text(st, 1),
			   (const char *)sqlite3_column_text(st, 2),
			   r) ? QUEUE_DUPLICATE : QUEUE_CONFLICT;
	sqlite3_reset(st);
	return ret;
}

int queue_add(sqlite3 *db, const struct queue_request *r)
{
	struct queue_adder a;
	int ret;

	if (queue_adder_init(&a, db))
		return -1;
	ret = queue_adder_add(&a, r);
	queue_adder_release(&a);
	if (ret == QUEUE_CONFLICT)
		ret = error("request id '%s' is already queued for another "
			    "subject", r->request_id);
	return ret;
}

int queue_ledger_event(sqlite3 *db, const char *request_id,
		       const char *subject_ref, const char *event,
		       const char *detail)
{
	struct ledger_entry e;

	memset(&e, 0, sizeof(e));
	e.request_id = request_id;
	e.subject_ref = subject_ref;
	e.event = event;
	e.target_kind = "request";
	e.detail = detail;
	return ledger_append(db, &e);
}

int queue_get(sqlite3 *db, const char *request_id, struct queue_request *out)
{
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (db_prepare(db, &st, "SELECT " COLUMNS " FROM erasure_queue "
		       "WHERE request_id = ?"))
		return -1;
	sqlite3_bind_text(st, 1, request_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_load(st, out);
	else if (rc == SQLITE_DONE)
		ret = 1;
	else
		ret = error("database error: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return ret;
}

static int load_rows(sqlite3 *db, sqlite3_stmt *st, struct queue_list *out)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		row_load(st, queue_list_push(out));
	if (rc != SQLITE_DONE)
		return error("database error: %s", sqlite3_errmsg(db));
	return 0;
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
		sqlite3_bind_text(st, 1, queue_status_name(status), -1,
				  SQLITE_STATIC);
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
		return error("database error: %s", sqlite3_errmsg(db));
	return 0;
}

int queue_transition(sqlite3 *db, const char *request_id,
		     enum queue_status to, const char *extra)
{
	static const char *const set[Q_NSTATUS] = {
		[Q_PENDING] = "hold_reason = NULL",
		[Q_RUNNING] = "attempts = attempts + 1",
		[Q_DONE] = "outcome = ?3, last_error = NULL, subject_email = "
			   "NULL, completed_at = " NOW_SQL,
		[Q_FAILED] = "last_error = ?3",
		[Q_HELD] = "hold_reason = ?3",
		[Q_REJECTED] = "last_error = ?3, subject_email = NULL, "
			       "completed_at = " NOW_SQL,
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
	if (db_prepare(db, &st, sql.buf)) {
		ret = -1;
		goto out;
	}
	sqlite3_bind_text(st, 1, request_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, queue_status_name(to), -1, SQLITE_STATIC);
	/* ?3 may be unused by this target's SET; binding it is harmless. */
	bind_text(st, 3, extra);
	sqlite3_bind_text(st, 4, queue_status_name(r.status), -1,
			  SQLITE_STATIC);
	if (step_done(db, st)) {
		ret = -1;
	} else if (sqlite3_changes(db) != 1) {
		ret = error("request '%s' changed state meanwhile; try again",
			    request_id);
	}
out:
	sqlite3_finalize(st);
	buf_release(&sql);
	queue_request_release(&r);
	return ret;
}

/* Validates and normalizes one upstream row; the reason, or NULL. */
static const char *upstream_check(struct queue_request *r,
				  const struct hmac_key *key)
{
	char ref[SHA256_HEX_LEN + 1], ts[21];
	const char *bad = NULL;
	time_t t;
	char *p;

	if (r->subject_email) {
		p = email_normalize(r->subject_email);
		free(r->subject_email);
		r->subject_email = p;
		if (subject_ref_of_email(key, p, ref))
			return "cannot compute subject_ref";
		r->subject_ref = xstrdup(ref);
		if (intake_check_email(p))
			bad = "invalid email address";
	}
	if (r->device_id) {
		for (p = r->device_id; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (!bad && intake_check_device_id(r->device_id))
			bad = "device_id must be 24 hexadecimal digits";
	}
	if (!intake_parse_time(r->received_at, &t)) {
		intake_format_time(t, ts);
		free(r->received_at);
		r->received_at = xstrdup(ts);
	} else if (!bad) {
		bad = "received_at is not an ISO 8601 date or date-time";
	}
	if (!bad && r->product && intake_check_text(r->product, 128))
		bad = "invalid product";
	if (!bad && r->source && intake_check_text(r->source, 256))
		bad = "invalid source";
	return bad;
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

int queue_fill_subject_refs(sqlite3 *db, const struct hmac_key *key)
{
	struct queue_list rows;
	sqlite3_stmt *st = NULL, *upd = NULL;
	size_t i;
	int own, ret = 0;

	queue_list_init(&rows);
	if (begin_maybe(db, &own))
		return -1;
	if (db_prepare(db, &st, "SELECT " COLUMNS " FROM erasure_queue q "
		       "WHERE subject_ref IS NULL AND status <> 'rejected' "
		       "AND NOT EXISTS (SELECT 1 FROM ledger l WHERE "
		       "l.request_id = q.request_id AND l.event = 'enqueued') "
		       "ORDER BY received_at, request_id") ||
	    load_rows(db, st, &rows) ||
	    db_prepare(db, &upd, "UPDATE erasure_queue SET subject_email = ?2, "
		       "subject_ref = ?3, device_id = ?4, received_at = ?5, "
		       "updated_at = " NOW_SQL " WHERE request_id = ?1")) {
		ret = -1;
		goto out;
	}
	for (i = 0; i < rows.n; i++) {
		struct queue_request *r = &rows.v[i];
		const char *bad = upstream_check(r, key);

		sqlite3_reset(upd);
		bind_text(upd, 1, r->request_id);
		bind_text(upd, 2, r->subject_email);
		bind_text(upd, 3, r->subject_ref);
		bind_text(upd, 4, r->device_id);
		bind_text(upd, 5, r->received_at);
		if (step_done(db, upd)) {
			ret = -1;
			goto out;
		}
		if (intake_check_request_id(r->request_id)) {
			/* Such an id must not reach the ledger. */
			warning("an upstream request has an invalid request "
				"id; rejecting it");
			if (r->status == Q_PENDING &&
			    queue_transition(db, r->request_id, Q_REJECTED,
					     "invalid request id")) {
				ret = -1;
				goto out;
			}
			continue;
		}
		if (queue_ledger_event(db, r->request_id, r->subject_ref,
				       LEDGER_EV_ENQUEUED, "upstream")) {
			ret = -1;
			goto out;
		}
		if (bad && r->status == Q_PENDING) {
			warning("upstream request '%s' rejected: %s",
				r->request_id, bad);
			if (queue_transition(db, r->request_id, Q_REJECTED,
					     bad) ||
			    queue_ledger_event(db, r->request_id,
					       r->subject_ref,
					       LEDGER_EV_REJECTED, bad)) {
				ret = -1;
				goto out;
			}
		}
		ret++;
	}
out:
	sqlite3_finalize(st);
	sqlite3_finalize(upd);
	queue_list_release(&rows);
	return end_maybe(db, own, ret);
}

int queue_claim_all(sqlite3 *db, long limit, long *count)
{
	sqlite3_stmt *st = NULL;
	int own, ret = -1;

	*count = 0;
	if (begin_maybe(db, &own))
		return -1;
	if (db_exec(db, "UPDATE erasure_queue SET status = 'pending', "
		    "updated_at = " NOW_SQL " WHERE status = 'running'") ||
	    db_prepare(db, &st, "UPDATE erasure_queue SET status = "
		       "'running', attempts = attempts + 1, updated_at = "
		       NOW_SQL " WHERE request_id IN (SELECT request_id "
		       "FROM erasure_queue WHERE status IN ('pending', "
		       "'failed') AND NOT (subject_email IS NOT NULL AND "
		       "subject_ref IS NULL) "
		       "ORDER BY received_at, request_id LIMIT ?1)"))
		goto out;
	sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
	if (sqlite3_step(st) != SQLITE_DONE) {
		error("cannot claim the queued requests: %s",
		      sqlite3_errmsg(db));
		goto out;
	}
	*count = sqlite3_changes(db);
	ret = 0;
out:
	sqlite3_finalize(st);
	return end_maybe(db, own, ret);
}

int queue_next_window(sqlite3 *db, int claimed, const char *after_at,
		      const char *after_id, long n, struct queue_list *out)
{
	/* The key condition is written so the received_at index serves it. */
	static const char *const sql[] = {
		"SELECT " COLUMNS " FROM erasure_queue WHERE status IN "
		"('pending', 'failed', 'running') AND (?1 IS NULL OR "
		"(received_at >= ?1 AND (received_at > ?1 OR request_id > ?2))) "
		"ORDER BY received_at, request_id LIMIT ?3",
		"SELECT " COLUMNS " FROM erasure_queue WHERE status = "
		"'running' AND (?1 IS NULL OR "
		"(received_at >= ?1 AND (received_at > ?1 OR request_id > ?2))) "
		"ORDER BY received_at, request_id LIMIT ?3",
	};
	sqlite3_stmt *st;
	int ret;

	if (db_prepare(db, &st, sql[claimed ? 1 : 0]))
		return -1;
	bind_text(st, 1, after_at);
	bind_text(st, 2, after_id);
	sqlite3_bind_int64(st, 3, n > 0 ? n : -1);
	ret = load_rows(db, st, out);
	sqlite3_finalize(st);
	return ret;
}

int queue_set_subject(sqlite3 *db, const char *request_id, const char *email,
		      const char *subject_ref)
{
	static const char sql[] =
		"UPDATE erasure_queue SET subject_email = ?1, subject_ref = ?2, "
		"updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
		"WHERE request_id = ?3 AND status = 'running' "
		"AND subject_email IS NULL";
	sqlite3_stmt *st;
	int ret;

	if (db_prepare(db, &st, sql))
		return -1;
	sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, subject_ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, request_id, -1, SQLITE_STATIC);
	ret = step_done(db, st);
	sqlite3_finalize(st);
	return ret;
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
	sqlite3_bind_text(st, 1, request_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, months);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	ret = step_done(db, st);
out:
	sqlite3_finalize(st);
	queue_request_release(&r);
	return ret;
}

int queue_find_by_ref(sqlite3 *db, const char *subject_ref,
		      struct queue_list *out)
{
	sqlite3_stmt *st;
	int ret;

	if (db_prepare(db, &st, "SELECT " COLUMNS " FROM erasure_queue "
		       "WHERE subject_ref = ? ORDER BY received_at, "
		       "request_id"))
		return -1;
	sqlite3_bind_text(st, 1, subject_ref, -1, SQLITE_STATIC);
	ret = load_rows(db, st, out);
	sqlite3_finalize(st);
	return ret;
}

int queue_find_by_subject(sqlite3 *db, const char *subject_ref,
			  const char *normalized_email,
			  struct queue_list *out)
{
	sqlite3_stmt *st;
	int ret;

	if (db_prepare(db, &st, "SELECT " COLUMNS " FROM erasure_queue "
		       "WHERE subject_ref = ?1 OR (subject_ref IS NULL AND "
		       "lower(trim(subject_email)) = ?2) "
		       "ORDER BY received_at, request_id"))
		return -1;
	sqlite3_bind_text(st, 1, subject_ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, normalized_email, -1, SQLITE_STATIC);
	ret = load_rows(db, st, out);
	sqlite3_finalize(st);
	return ret;
}

/* Adds months: the same day, or the target month's last day. */
static void add_months(int *y, int *m, int *d, int months)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int idx = *y * 12 + (*m - 1) + months, last;

	*y = idx / 12;
	*m = idx % 12 + 1;
	last = dm[*m - 1];
	if (*m == 2 && ((*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0))
		last = 29;
	if (*d > last)
		*d = last;
}

int queue_deadline(const char *received_at, long deadline_days,
		   int extension_months, char out[11])
{
	time_t t;
	int y, m, d;

	if (!received_at || intake_parse_time(received_at, &t))
		return error("invalid received_at '%s'",
			     received_at ? received_at : "");
	intake_civil_from_days((long)(t / 86400), &y, &m, &d);
	if (deadline_days > 0) {
		intake_civil_from_days(intake_days_from_civil(y, m, d) +
				       deadline_days, &y, &m, &d);
		add_months(&y, &m, &d, extension_months);
	} else {
		add_months(&y, &m, &d, 1 + extension_months);
	}
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
	return 0;
}

int queue_change_logged(sqlite3 *db, const char *request_id,
			unsigned allowed_from, enum queue_status to,
			const char *event, const char *reason,
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
	if (queue_transition(db, request_id, to, reason) ||
	    queue_ledger_event(db, request_id, r.subject_ref, event, reason) ||
	    db_commit(db))
		ret = -1;
out:
	db_rollback(db);
	queue_request_release(&r);
	return ret;
}

#include "evidence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coverage.h"
#include "db.h"
#include "intake.h"
#include "ledger.h"
#include "log.h"
#include "util.h"
#include "banned.h"

void evidence_init(struct evidence *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->status = Q_PENDING;
	memset(ev->coverage, -1, sizeof(ev->coverage));
	memset(ev->attempt_coverage, -1, sizeof(ev->attempt_coverage));
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

/* A new attempt starts: its verification so far is empty. */
static void attempt(struct evidence *ev)
{
	ev->verified = ev->bad_verify = ev->residual_verify = 0;
	memset(ev->attempt_coverage, -1, sizeof(ev->attempt_coverage));
}

static void coverage_entry(struct evidence *ev, const char *store,
			   const char *detail)
{
	enum store_result r;
	const char *reason;
	int s = store ? store_parse(store) : -1;

	if (s >= 0 && !coverage_parse_detail(detail, &r, &reason))
		ev->attempt_coverage[s] = (signed char)r;
}

int evidence_verified(const struct evidence *ev)
{
	return ev->verified + ev->residual_verify > 0 && !ev->bad_verify;
}

void evidence_step(struct evidence *ev, int64_t seq, const char *event,
		   const char *subject_ref, const char *target,
		   const char *detail, const char *ts, const char *op)
{
	if (!ev->recorded)
		ev->first_seq = seq;
	ev->recorded = 1;
	ev->last_seq = seq;
	/* Compared first: this runs for every entry of a verify. */
	if (subject_ref && *subject_ref && strcmp(ev->subject_ref, subject_ref))
		copy(ev->subject_ref, sizeof(ev->subject_ref), subject_ref);
	if (!strcmp(event, LEDGER_EV_ENQUEUED)) {
		ev->status = Q_PENDING;
		copy(ev->enqueued_by, sizeof(ev->enqueued_by), op);
	} else if (!strcmp(event, LEDGER_EV_AWAITING)) {
		ev->status = Q_AWAITING;
	} else if (!strcmp(event, LEDGER_EV_APPROVED)) {
		ev->status = Q_PENDING;
		copy(ev->approved_by, sizeof(ev->approved_by), op);
		copy(ev->approved_at, sizeof(ev->approved_at), ts);
	} else if (!strcmp(event, LEDGER_EV_DENIED) ||
		   !strcmp(event, LEDGER_EV_REJECTED)) {
		ev->status = Q_REJECTED;
		copy(ev->completed_at, sizeof(ev->completed_at), ts);
		if (!strcmp(event, LEDGER_EV_DENIED))
			copy(ev->decided_by, sizeof(ev->decided_by), op);
	} else if (!strcmp(event, LEDGER_EV_HOLD)) {
		ev->status = Q_HELD;
	} else if (!strcmp(event, LEDGER_EV_RELEASE)) {
		ev->status = Q_PENDING;
	} else if (!strcmp(event, LEDGER_EV_PLAN) ||
		   !strcmp(event, LEDGER_EV_RESULT)) {
		if (ev->status != Q_RUNNING)
			attempt(ev);
		ev->status = Q_RUNNING;
	} else if (!strcmp(event, LEDGER_EV_VERIFY)) {
		if (ev->status != Q_RUNNING)
			attempt(ev);
		ev->status = Q_RUNNING;
		if (detail && !strcmp(detail, "ok"))
			ev->verified++;
		else if (detail && !strcmp(detail, "residual"))
			ev->residual_verify++;
		else
			ev->bad_verify++;
	} else if (!strcmp(event, LEDGER_EV_COVERAGE)) {
		if (ev->status != Q_RUNNING)
			attempt(ev);
		ev->status = Q_RUNNING;
		coverage_entry(ev, target, detail);
	} else if (!strcmp(event, LEDGER_EV_FAILED)) {
		ev->status = Q_FAILED;
		attempt(ev);
	} else if (!strcmp(event, LEDGER_EV_DONE)) {
		int erased = detail && strcmp(detail, "not_found");
		int residue = detail && !strcmp(detail, "erased_with_residue");

		if (ev->status != Q_RUNNING)
			attempt(ev);
		if (ev->bad_verify || (erased && !ev->verified) ||
		    (ev->residual_verify && !residue)) {
			ev->unproven_done = 1;
			ev->status = Q_RUNNING;
		} else {
			ev->status = Q_DONE;
			ev->unproven_done = 0;
			ev->done_seq = seq;
			memcpy(ev->coverage, ev->attempt_coverage,
			       sizeof(ev->coverage));
			copy(ev->outcome, sizeof(ev->outcome), detail);
			copy(ev->completed_at, sizeof(ev->completed_at), ts);
		}
	} else if (!strcmp(event, LEDGER_EV_REAPPEARED)) {
		ev->reappeared++;
	}
}

/* What a replay reads of an entry, in evidence_step's order. */
#define REPLAY_COLUMNS \
	"seq, event, subject_ref, target_id, detail, ts, operator"

/* Replays the rows of st (REPLAY_COLUMNS); the last step's result. */
static int replay(sqlite3_stmt *st, const char *request_id,
		  struct evidence *ev)
{
	int rc;

	db_bind_text(st, 1, request_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		evidence_step(ev, sqlite3_column_int64(st, 0),
			      (const char *)sqlite3_column_text(st, 1),
			      (const char *)sqlite3_column_text(st, 2),
			      (const char *)sqlite3_column_text(st, 3),
			      (const char *)sqlite3_column_text(st, 4),
			      (const char *)sqlite3_column_text(st, 5),
			      (const char *)sqlite3_column_text(st, 6));
	return rc;
}

int evidence_awaits_approval(sqlite3 *db, const char *request_id)
{
	sqlite3_stmt *st = db_kept(db, DB_STMT_APPROVAL, "SELECT event FROM "
				   "ledger WHERE request_id = ?1 AND event IN "
				   "('awaiting_approval', 'approved', "
				   "'denied') ORDER BY seq DESC LIMIT 1");
	const char *ev;
	int rc, ret;

	if (!st)
		return -1;
	db_bind_text(st, 1, request_id);
	rc = sqlite3_step(st);
	ev = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	ret = ev && !strcmp(ev, LEDGER_EV_AWAITING);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db);
	sqlite3_reset(st);
	return ret;
}

int evidence_people(sqlite3 *db, const char *request_id, struct evidence *ev)
{
	sqlite3_stmt *st = db_kept(db, DB_STMT_PEOPLE, "SELECT "
				   REPLAY_COLUMNS " FROM ledger WHERE "
				   "request_id = ?1 AND event IN ('enqueued', "
				   "'approved', 'denied') ORDER BY seq");
	int rc;

	evidence_init(ev);
	if (!st)
		return -1;
	rc = replay(st, request_id, ev);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db);
}

int evidence_of(sqlite3 *db, const char *request_id, struct evidence *ev)
{
	sqlite3_stmt *st;
	int rc;

	evidence_init(ev);
	if (db_prepare(db, &st, "SELECT " REPLAY_COLUMNS " FROM ledger WHERE "
		       "request_id = ?1 ORDER BY seq"))
		return -1;
	rc = replay(st, request_id, ev);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(db);
	return 0;
}

void evidence_set_init(struct evidence_set *s)
{
	map_init(&s->by_id);
	buf_init(&s->last_id);
	s->last = NULL;
}

void evidence_set_release(struct evidence_set *s)
{
	map_release(&s->by_id, free);
	buf_release(&s->last_id);
	s->last = NULL;
}

void evidence_set_entry(void *ctx, sqlite3_stmt *row)
{
	struct evidence_set *s = ctx;
	const char *rid = (const char *)sqlite3_column_text(row, 2);
	struct evidence *ev;

	if (!rid)
		return;
	ev = s->last && !strcmp(s->last_id.buf, rid) ? s->last :
		map_get(&s->by_id, rid);
	if (!ev) {
		ev = xmalloc(sizeof(*ev));
		evidence_init(ev);
		map_put(&s->by_id, rid, ev);
	}
	if (ev != s->last) {
		buf_reset(&s->last_id);
		buf_adds(&s->last_id, rid);
		s->last = ev;
	}
	/* LEDGER_COLUMNS: seq, ts, request_id, subject_ref, event, ... */
	evidence_step(ev, sqlite3_column_int64(row, 0),
		      (const char *)sqlite3_column_text(row, 4),
		      (const char *)sqlite3_column_text(row, 3),
		      (const char *)sqlite3_column_text(row, 6),
		      (const char *)sqlite3_column_text(row, 11),
		      (const char *)sqlite3_column_text(row, 1),
		      (const char *)sqlite3_column_text(row, 12));
}

int evidence_set_read(sqlite3 *db, struct evidence_set *s, const char *what)
{
	struct ledger_scan scan;
	int rc;

	ledger_scan_init(&scan);
	scan.on_entry = evidence_set_entry;
	scan.ctx = s;
	rc = ledger_scan(db, 0, &scan);
	if (rc > 0)
		error("the ledger does not verify at seq %lld (%s): %s; run "
		      "'erasectl verify'", (long long)scan.bad_seq,
		      scan.reason.buf, what);
	ledger_scan_release(&scan);
	return rc;
}

const struct evidence *evidence_set_get(const struct evidence_set *s,
					const char *request_id)
{
	return map_get(&s->by_id, request_id);
}

int evidence_agrees(const struct evidence *ev, const struct queue_request *q,
		    struct buf *why)
{
	enum queue_status qs;
	const char *qo;

	/* A finished request's row may be cleaned away: nothing to compare. */
	if (!q)
		return 1;
	qs = q->status;
	qo = q->outcome ? q->outcome : "";
	if (qs == Q_DONE && ev->status != Q_DONE) {
		buf_addf(why, "the queue says done (%s), the ledger %s", qo,
			 ev->unproven_done ? "has a done entry without its "
			 "verification" : !ev->recorded ? "has no entry of it" :
			 "has no done entry");
		return 0;
	}
	if (ev->status == Q_DONE && qs != Q_DONE) {
		buf_addf(why, "the ledger says done (%s), the queue says %s",
			 ev->outcome, queue_status_name(qs));
		return 0;
	}
	if (qs == Q_DONE && strcmp(qo, ev->outcome)) {
		buf_addf(why, "the queue says %s, the ledger %s", qo,
			 ev->outcome);
		return 0;
	}
	/* An id the ledger cannot hold is rejected without an entry. */
	if (qs == Q_REJECTED && !ev->recorded &&
	    intake_check_request_id(q->request_id))
		return 1;
	if ((qs == Q_REJECTED) != (ev->status == Q_REJECTED)) {
		buf_addf(why, "the queue says %s, the ledger %s",
			 queue_status_name(qs), queue_status_name(ev->status));
		return 0;
	}
	return 1;
}

long evidence_disagreements(sqlite3 *db, const struct evidence_set *evs,
			    size_t max, struct strvec *why)
{
	struct queue_request q;
	struct buf b = BUF_INIT;
	struct evidence none;
	sqlite3_stmt *st;
	long bad = 0;
	int rc;

	/* Streamed, and only what is compared: 100,000 rows stay cheap. */
	if (db_prepare(db, &st, "SELECT request_id, status, outcome FROM "
		       "erasure_queue"))
		return -1;
	evidence_init(&none);
	queue_request_init(&q);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const struct evidence *ev;
		int s = queue_status_parse(str_or((const char *)
					   sqlite3_column_text(st, 1), ""));

		q.request_id = (char *)sqlite3_column_text(st, 0);
		q.status = s < 0 ? Q_PENDING : (enum queue_status)s;
		q.outcome = (char *)sqlite3_column_text(st, 2);
		if (!q.request_id)
			continue;
		ev = evidence_set_get(evs, q.request_id);
		buf_reset(&b);
		if (evidence_agrees(ev ? ev : &none, &q, &b))
			continue;
		if ((size_t)bad++ < max)
			strvec_pushf(why, "request '%s': %s", q.request_id,
				     b.buf);
	}
	sqlite3_finalize(st);
	buf_release(&b);
	return rc == SQLITE_DONE ? bad : db_fail(db);
}

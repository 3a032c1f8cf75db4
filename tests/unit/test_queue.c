/*
 * Unit tests for queue: the transition table, adds and duplicates, lists,
 * extensions, logged changes, claims (and holds that protect a subject).
 * Deadlines are civil's (test_civil.c); upstream rows intake's
 * (test_intake.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "db.h"
#include "digest.h"
#include "ledger.h"
#include "queue.h"
#include "fixture.h"

/* The table in queue.h, written out independently. */
static int expected(int from, int to)
{
	switch (from) {
	case Q_AWAITING:
		return to == Q_PENDING || to == Q_REJECTED;
	case Q_PENDING:
		return to == Q_RUNNING || to == Q_HELD || to == Q_REJECTED;
	case Q_FAILED:
		return to == Q_RUNNING || to == Q_HELD;
	case Q_RUNNING:
		return to == Q_DONE || to == Q_FAILED || to == Q_PENDING;
	case Q_HELD:
		return to == Q_PENDING;
	default:
		return 0;
	}
}

static void status_names(void **state)
{
	int s;

	(void)state;
	for (s = 0; s < Q_NSTATUS; s++)
		assert_int_equal(queue_status_parse(queue_status_name(s)), s);
	assert_int_equal(queue_status_parse("gone"), -1);
	assert_int_equal(queue_status_parse("Pending"), -1);
	assert_string_equal(queue_status_name(Q_HELD), "held");
	assert_string_equal(queue_status_name(Q_AWAITING), "awaiting_approval");
	assert_string_equal(queue_status_name(Q_NSTATUS), "unknown");
}

static void transition_table(void **state)
{
	int from, to;

	(void)state;
	for (from = 0; from < Q_NSTATUS; from++)
		for (to = 0; to < Q_NSTATUS; to++)
			assert_int_equal(queue_transition_allowed(from, to),
					 expected(from, to));
	assert_int_equal(queue_transition_allowed(Q_NSTATUS, Q_PENDING), 0);
	assert_int_equal(queue_transition_allowed(Q_PENDING, Q_NSTATUS), 0);
}

/*
 * Every pair against the database, for a subject named by email and one
 * named as a customer: allowed ones happen, others do not.
 */
static void transitions_in_db(void **state)
{
	static const char *const identity[] = { "subject_email",
						"subject_customer" };
	struct fixture *f = *state;
	struct queue_request r;
	int from, to, rc;
	size_t k;

	queue_request_init(&r);
	for (k = 0; k < ARRAY_SIZE(identity); k++) {
		for (from = 0; from < Q_NSTATUS; from++) {
			for (to = 0; to < Q_NSTATUS; to++) {
				char sql[256];
				const char *extra = to == Q_DONE ? "erased" :
					"why";

				fixture_exec(f, "DELETE FROM erasure_queue");
				snprintf(sql, sizeof(sql),
					 "INSERT INTO erasure_queue (request_id, "
					 "%s, subject_ref, status) VALUES "
					 "('T', 'a@example.com', 'ref', '%s')",
					 identity[k], queue_status_name(from));
				fixture_exec(f, sql);
				rc = queue_transition(f->db, "T", to, extra);
				assert_int_equal(rc, expected(from, to) ? 0 :
						 -1);
				queue_request_release(&r);
				assert_int_equal(queue_get(f->db, "T", &r), 0);
				assert_int_equal(r.status, rc ? from : to);
				if (!rc && (to == Q_DONE || to == Q_REJECTED)) {
					/* The plaintext identity leaves. */
					assert_null(r.subject_email);
					assert_null(r.subject_customer);
					assert_non_null(r.completed_at);
					assert_string_equal(r.subject_ref,
							    "ref");
				} else {
					assert_non_null(queue_identity(&r));
				}
				if (!rc && to == Q_DONE)
					assert_string_equal(r.outcome,
							    "erased");
				if (!rc && to == Q_HELD)
					assert_string_equal(r.hold_reason,
							    "why");
				if (!rc && to == Q_PENDING)
					assert_null(r.hold_reason);
				if (!rc && (to == Q_FAILED ||
					    to == Q_REJECTED))
					assert_string_equal(r.last_error,
							    "why");
				if (!rc && to == Q_RUNNING)
					assert_int_equal(r.attempts, 1);
			}
		}
	}
	queue_request_release(&r);
	/* Reasons are required; unknown ids are refused. */
	fixture_exec(f, "UPDATE erasure_queue SET status = 'pending'");
	assert_int_equal(queue_transition(f->db, "T", Q_HELD, NULL), -1);
	assert_int_equal(queue_transition(f->db, "T", Q_HELD, ""), -1);
	assert_int_equal(queue_transition(f->db, "T", Q_REJECTED, NULL), -1);
	assert_int_equal(queue_transition(f->db, "nope", Q_HELD, "x"), -1);
	assert_int_equal(queue_transition(f->db, "T", Q_NSTATUS, "x"), -1);
}

/* A request with an email subject, its ref given. */
static void req(struct queue_request *r, const char *id, const char *ref,
		const char *device)
{
	queue_request_release(r);
	r->request_id = xstrdup(id);
	r->subject_email = xstrdup("a@example.com");
	r->subject_ref = xstrdup(ref);
	r->received_at = xstrdup("2026-11-01T00:00:00Z");
	if (device)
		r->device_id = xstrdup(device);
}

static void add_and_duplicates(void **state)
{
	struct fixture *f = *state;
	struct queue_request r;
	struct queue_stage st;
	long queued = -1, dups = -1;

	queue_request_init(&r);
	req(&r, "R-1", "ref-a", NULL);
	assert_int_equal(queue_add(f->db, &r), QUEUE_ADDED);
	assert_int_equal(queue_add(f->db, &r), QUEUE_DUPLICATE);
	/* The same id for another subject is an error. */
	req(&r, "R-1", "ref-b", NULL);
	assert_int_equal(queue_add(f->db, &r), -1);

	/* Staging classifies against the queue ... */
	assert_int_equal(queue_stage_init(&st, f->db), 0);
	req(&r, "R-1", "ref-a", NULL);
	assert_int_equal(queue_stage_add(&st, &r, 0), QUEUE_DUPLICATE);
	req(&r, "R-1", "ref-b", NULL);
	assert_int_equal(queue_stage_add(&st, &r, 0), QUEUE_CONFLICT);
	req(&r, "R-1", "ref-a", "0123456789abcdef01234567");
	assert_int_equal(queue_stage_add(&st, &r, 0), QUEUE_CONFLICT);
	/* A row without its own id for a subject with an open request: a
	 * re-import. */
	req(&r, "gen-1", "ref-a", NULL);
	assert_int_equal(queue_stage_add(&st, &r, 1), QUEUE_DUPLICATE);
	/* ... and against the rows staged before it. */
	req(&r, "R-2", "ref-c", NULL);
	assert_int_equal(queue_stage_add(&st, &r, 0), QUEUE_ADDED);
	assert_int_equal(queue_stage_add(&st, &r, 0), QUEUE_DUPLICATE);
	req(&r, "gen-2", "ref-c", NULL);
	assert_int_equal(queue_stage_add(&st, &r, 1), QUEUE_DUPLICATE);
	req(&r, "R-2", "ref-d", NULL);
	assert_int_equal(queue_stage_add(&st, &r, 0), QUEUE_CONFLICT);
	req(&r, "R-3", "ref-d", NULL);
	st.initial = Q_AWAITING;
	assert_int_equal(queue_stage_add(&st, &r, 0), QUEUE_ADDED);
	assert_int_equal(st.staged, 2);
	/* Nothing is in the queue before the commit. */
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM erasure_queue"),
			 1);
	assert_int_equal(queue_stage_done(&st), 0);
	assert_int_equal(queue_stage_commit(&st, 1, "csv", &queued, &dups), 0);
	assert_int_equal(queued, 2);
	assert_int_equal(dups, 0);
	queue_stage_release(&st);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM erasure_queue"),
			 3);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM erasure_queue "
				       "WHERE request_id = 'R-3' AND status = "
				       "'awaiting_approval'"), 1);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM ledger WHERE "
				       "event = 'enqueued' AND detail = 'csv' "
				       "AND request_id IN ('R-2', 'R-3')"), 2);
	assert_int_equal(fixture_count(f, "SELECT group_concat(request_id) "
				       "= 'R-3' FROM ledger WHERE event = "
				       "'awaiting_approval'"), 1);

	/* A finished request keeps only its ref: still the same subject. */
	fixture_exec(f, "UPDATE erasure_queue SET status = 'done', outcome = "
		     "'erased', subject_email = NULL WHERE request_id = 'R-1'");
	assert_int_equal(queue_stage_init(&st, f->db), 0);
	req(&r, "R-1", "ref-a", NULL);
	assert_int_equal(queue_stage_add(&st, &r, 0), QUEUE_DUPLICATE);
	/* ... and no longer open: a new request without an id is new. */
	req(&r, "gen-3", "ref-a", NULL);
	assert_int_equal(queue_stage_add(&st, &r, 1), QUEUE_ADDED);
	/* An upstream row without a ref compares by normalized email. */
	fixture_exec(f, "INSERT INTO erasure_queue (request_id, subject_email) "
		     "VALUES ('U-1', ' A@Example.COM')");
	req(&r, "U-1", "ref-a", NULL);
	assert_int_equal(queue_stage_add(&st, &r, 0), QUEUE_DUPLICATE);
	req(&r, "R-4", "ref-e", NULL);
	assert_int_equal(queue_stage_add(&st, &r, 0), QUEUE_ADDED);
	assert_int_equal(queue_stage_done(&st), 0);
	/* Queued by another writer meanwhile, for the same subject. */
	req(&r, "R-4", "ref-e", NULL);
	assert_int_equal(queue_add(f->db, &r), QUEUE_ADDED);
	assert_int_equal(queue_stage_commit(&st, 10, "opendsr", &queued,
					    &dups), 0);
	assert_int_equal(queued, 1);
	assert_int_equal(dups, 1);
	queue_stage_release(&st);

	/* Queued meanwhile for another subject: an error, earlier kept. */
	assert_int_equal(queue_stage_init(&st, f->db), 0);
	req(&r, "R-5", "ref-f", NULL);
	assert_int_equal(queue_stage_add(&st, &r, 0), QUEUE_ADDED);
	req(&r, "R-6", "ref-g", NULL);
	assert_int_equal(queue_stage_add(&st, &r, 0), QUEUE_ADDED);
	assert_int_equal(queue_stage_done(&st), 0);
	req(&r, "R-6", "ref-other", NULL);
	assert_int_equal(queue_add(f->db, &r), QUEUE_ADDED);
	assert_int_equal(queue_stage_commit(&st, 1, "csv", &queued, &dups), 1);
	queue_stage_release(&st);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM erasure_queue "
				       "WHERE request_id = 'R-5'"), 1);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM erasure_queue "
				       "WHERE request_id = 'R-6' AND "
				       "subject_ref = 'ref-other'"), 1);
	assert_int_equal(sqlite3_get_autocommit(f->db), 1);
	queue_request_release(&r);
}

static void add_customers_and_states(void **state)
{
	struct fixture *f = *state;
	struct queue_request r, back;

	queue_request_init(&r);
	queue_request_init(&back);
	r.request_id = xstrdup("C-1");
	r.subject_customer = xstrdup("Sensor-Owner.7");
	r.subject_ref = xstrdup("ref-c");
	r.received_at = xstrdup("2026-11-01T00:00:00Z");
	/* A request may start awaiting approval. */
	r.status = Q_AWAITING;
	assert_int_equal(queue_add(f->db, &r), QUEUE_ADDED);
	assert_int_equal(queue_get(f->db, "C-1", &back), 0);
	assert_int_equal(back.status, Q_AWAITING);
	assert_string_equal(back.subject_customer, "Sensor-Owner.7");
	assert_null(back.subject_email);
	assert_string_equal(queue_identity(&back), "Sensor-Owner.7");
	queue_request_release(&back);
	assert_int_equal(queue_add(f->db, &r), QUEUE_DUPLICATE);

	/* Customers are compared exactly (before a ref exists too). */
	fixture_exec(f, "INSERT INTO erasure_queue (request_id, "
		     "subject_customer) VALUES ('U-2', 'Sensor-Owner.7')");
	free(r.request_id);
	r.request_id = xstrdup("U-2");
	assert_int_equal(queue_add(f->db, &r), QUEUE_DUPLICATE);
	free(r.subject_customer);
	r.subject_customer = xstrdup("sensor-owner.7");
	assert_int_equal(queue_add(f->db, &r), -1);
	/* An email and a customer are other subjects. */
	free(r.subject_customer);
	r.subject_customer = NULL;
	r.subject_email = xstrdup("sensor-owner.7@example.com");
	assert_int_equal(queue_add(f->db, &r), -1);
	queue_request_release(&r);
}

static void list_counts_get(void **state)
{
	struct fixture *f = *state;
	struct queue_list l;
	struct queue_request r;
	long c[Q_NSTATUS];

	fixture_exec(f, "INSERT INTO erasure_queue (request_id, subject_ref, "
		     "received_at, status) VALUES "
		     "('b', 'r1', '2026-11-02T00:00:00Z', 'pending'), "
		     "('a', 'r1', '2026-11-01T00:00:00Z', 'held'), "
		     "('c', 'r2', '2026-11-01T00:00:00Z', 'pending'), "
		     "('w', 'r3', '2026-11-03T00:00:00Z', 'awaiting_approval')");
	assert_int_equal(queue_counts(f->db, c), 0);
	assert_int_equal(c[Q_PENDING], 2);
	assert_int_equal(c[Q_HELD], 1);
	assert_int_equal(c[Q_AWAITING], 1);
	assert_int_equal(c[Q_DONE], 0);
	queue_list_init(&l);
	assert_int_equal(queue_list(f->db, -1, 0, &l), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0].request_id, "a");
	assert_string_equal(l.v[1].request_id, "c");
	assert_string_equal(l.v[2].request_id, "b");
	assert_string_equal(l.v[3].request_id, "w");
	queue_list_release(&l);
	assert_int_equal(queue_list(f->db, Q_PENDING, 1, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].request_id, "c");
	queue_list_release(&l);
	assert_int_equal(queue_list(f->db, Q_AWAITING, 0, &l), 0);
	assert_int_equal(l.n, 1);
	queue_list_release(&l);
	assert_int_equal(queue_find_by_ref(f->db, "r1", &l), 0);
	assert_int_equal(l.n, 2);
	queue_list_release(&l);
	queue_request_init(&r);
	assert_int_equal(queue_get(f->db, "zz", &r), 1);
}

static void find_by_subject(void **state)
{
	struct fixture *f = *state;
	struct queue_list l;

	fixture_exec(f, "INSERT INTO erasure_queue (request_id, subject_email, "
		     "subject_customer, subject_ref, received_at) VALUES "
		     "('s1', NULL, NULL, 'ref-a', '2026-11-01'), "
		     "('s2', ' A@Example.COM ', NULL, NULL, '2026-11-02'), "
		     "('s3', NULL, 'Owner', NULL, '2026-11-03'), "
		     "('s4', NULL, 'owner', NULL, '2026-11-04'), "
		     "('s5', 'b@example.com', NULL, NULL, '2026-11-05')");
	queue_list_init(&l);
	/* By ref, plus unrecorded rows by the normalized email. */
	assert_int_equal(queue_find_by_subject(f->db, "ref-a",
					       "a@example.com", NULL, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].request_id, "s1");
	assert_string_equal(l.v[1].request_id, "s2");
	queue_list_release(&l);
	/* A customer exactly. */
	assert_int_equal(queue_find_by_subject(f->db, "ref-x", NULL, "Owner",
					       &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].request_id, "s3");
	queue_list_release(&l);
	assert_int_equal(queue_find_by_ref(f->db, "ref-a", &l), 0);
	assert_int_equal(l.n, 1);
	queue_list_release(&l);
}

static void extend_rules(void **state)
{
	struct fixture *f = *state;

	fixture_exec(f, "INSERT INTO erasure_queue (request_id, subject_ref) "
		     "VALUES ('E', 'r')");
	assert_int_equal(queue_extend(f->db, "E", 0, "x"), -1);
	assert_int_equal(queue_extend(f->db, "E", 3, "x"), -1);
	assert_int_equal(queue_extend(f->db, "E", 1, NULL), -1);
	assert_int_equal(queue_extend(f->db, "E", 1, "complex"), 0);
	assert_int_equal(queue_extend(f->db, "E", 2, "more"), -1);
	assert_int_equal(queue_extend(f->db, "E", 1, "more"), 0);
	assert_int_equal(queue_extend(f->db, "E", 1, "again"), -1);
	assert_int_equal(fixture_count(f, "SELECT extension_months FROM "
				       "erasure_queue WHERE request_id = 'E'"),
			 2);
	fixture_exec(f, "INSERT INTO erasure_queue (request_id, subject_ref, "
		     "status, outcome) VALUES ('D', 'r', 'done', 'erased'), "
		     "('J', 'r', 'rejected', NULL)");
	assert_int_equal(queue_extend(f->db, "D", 1, "x"), -1);
	assert_int_equal(queue_extend(f->db, "J", 1, "x"), -1);
	assert_int_equal(queue_extend(f->db, "none", 1, "x"), -1);
	/* Extending does not write the ledger (the command does). */
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM ledger"), 0);
}

struct check_ctx {
	int calls;
	int refuse;		/* the value the check returns */
	char seen[32];
};

static int check_row(sqlite3 *db, const struct queue_request *r, void *ctx)
{
	struct check_ctx *c = ctx;

	c->calls++;
	snprintf(c->seen, sizeof(c->seen), "%s:%s", r->request_id,
		 queue_status_name(r->status));
	/* Inside the transaction: the write lock is held. */
	assert_int_equal(sqlite3_get_autocommit(db), 0);
	return c->refuse;
}

static void change_logged(void **state)
{
	struct fixture *f = *state;
	struct check_ctx c;
	enum queue_status from = Q_NSTATUS;
	struct queue_request r;

	fixture_exec(f, "INSERT INTO erasure_queue (request_id, subject_email, "
		     "subject_ref, status) VALUES "
		     "('H-1', 'a@example.com', 'ref-h', 'pending'), "
		     "('H-2', NULL, 'ref-h', 'done')");
	memset(&c, 0, sizeof(c));
	/* The check may refuse: its value comes back, nothing changes. */
	c.refuse = 7;
	assert_int_equal(queue_change_logged(f->db, "H-1", 1u << Q_PENDING,
					     Q_HELD, LEDGER_EV_HOLD, "court",
					     check_row, &c, &from), 7);
	assert_int_equal(c.calls, 1);
	assert_string_equal(c.seen, "H-1:pending");
	assert_int_equal(from, Q_PENDING);
	assert_int_equal(sqlite3_get_autocommit(f->db), 1);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM ledger"), 0);

	c.refuse = 0;
	assert_int_equal(queue_change_logged(f->db, "H-1", 1u << Q_PENDING,
					     Q_HELD, LEDGER_EV_HOLD, "court",
					     check_row, &c, &from), 0);
	queue_request_init(&r);
	assert_int_equal(queue_get(f->db, "H-1", &r), 0);
	assert_int_equal(r.status, Q_HELD);
	assert_string_equal(r.hold_reason, "court");
	queue_request_release(&r);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM ledger WHERE "
				       "request_id = 'H-1' AND event = 'hold' "
				       "AND detail = 'court' AND subject_ref = "
				       "'ref-h' AND target_kind = 'request'"),
			 1);

	/* Not from this state; not allowed by the table; no such id. */
	assert_int_equal(queue_change_logged(f->db, "H-1", 1u << Q_PENDING,
					     Q_HELD, LEDGER_EV_HOLD, "again",
					     NULL, NULL, &from),
			 QUEUE_NOT_ALLOWED);
	assert_int_equal(from, Q_HELD);
	assert_int_equal(queue_change_logged(f->db, "H-2", ~0u, Q_HELD,
					     LEDGER_EV_HOLD, "x", NULL, NULL,
					     &from), QUEUE_NOT_ALLOWED);
	assert_int_equal(from, Q_DONE);
	assert_int_equal(queue_change_logged(f->db, "H-9", ~0u, Q_HELD,
					     LEDGER_EV_HOLD, "x", NULL, NULL,
					     &from), QUEUE_NO_SUCH);
	/* Release, without a check. */
	assert_int_equal(queue_change_logged(f->db, "H-1", 1u << Q_HELD,
					     Q_PENDING, LEDGER_EV_RELEASE,
					     "lifted", NULL, NULL, &from), 0);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM ledger"), 2);
	assert_int_equal(sqlite3_get_autocommit(f->db), 1);
}

static void ledger_event(void **state)
{
	struct fixture *f = *state;
	sqlite3_stmt *st;

	assert_int_equal(queue_ledger_event(f->db, "R-1", "ref-1",
					    LEDGER_EV_ENQUEUED, NULL, "csv"),
			 0);
	assert_int_equal(queue_ledger_event(f->db, "R-1", NULL,
					    LEDGER_EV_EXTEND, "R-1",
					    "many devices"), 0);
	/* No personal data in the ledger, whoever asks. */
	assert_int_equal(queue_ledger_event(f->db, "R-1", "ref-1",
					    LEDGER_EV_HOLD, NULL,
					    "asked by a@example.com"), -1);
	assert_int_equal(db_prepare(f->db, &st, "SELECT event, target_kind, "
				    "target_id, detail, subject_ref FROM "
				    "ledger ORDER BY seq"), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0),
			    "enqueued");
	assert_string_equal((const char *)sqlite3_column_text(st, 1),
			    "request");
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "");
	assert_string_equal((const char *)sqlite3_column_text(st, 4), "ref-1");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "extend");
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "R-1");
	assert_string_equal((const char *)sqlite3_column_text(st, 3),
			    "many devices");
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* queue_claim_all's on_held: counts the rows left for a hold. */
static void count_held(const char *request_id, const char *held_by,
		       void *ctx)
{
	long *n = ctx;

	assert_non_null(request_id);
	assert_non_null(held_by);
	(*n)++;
}

static long claim_all(struct fixture *f, long limit, long *n)
{
	long held = 0;

	assert_int_equal(queue_claim_all(f->db, limit, n, count_held, &held),
			 0);
	return held;
}

static void claim(void **state)
{
	struct fixture *f = *state;
	struct queue_list l;
	long n = 0, held = -1;

	fixture_exec(f, "INSERT INTO erasure_queue (request_id, subject_email, "
		     "subject_ref, received_at, status, outcome) VALUES "
		     "('p', 'a@example.com', 'r', '2026-11-01', 'pending', NULL), "
		     "('f', 'a@example.com', 'r', '2026-11-02', 'failed', NULL), "
		     "('x', 'a@example.com', 'r', '2026-11-03', 'running', NULL), "
		     "('h', 'b@example.com', 'r-b', '2026-10-01', 'held', NULL), "
		     "('w', 'c@example.com', 'r-c', '2026-10-01', "
		     "'awaiting_approval', NULL), "
		     "('d', NULL, 'r', '2026-10-01', 'done', 'erased'), "
		     "('u', 'a@example.com', NULL, '2026-10-01', 'pending', NULL)");
	queue_list_init(&l);
	assert_int_equal(queue_count_claimable(f->db, &n), 0);
	assert_int_equal(n, 3);
	held = claim_all(f, 2, &n);
	assert_int_equal(n, 2);
	assert_int_equal(held, 0);
	/* The stale running row went back to pending, beyond the limit. */
	assert_int_equal(queue_next_window(f->db, 1, NULL, NULL, 10, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].request_id, "p");
	assert_string_equal(l.v[1].request_id, "f");
	assert_int_equal(l.v[0].status, Q_RUNNING);
	assert_int_equal(l.v[0].attempts, 1);
	queue_list_release(&l);
	/* Windows continue after the key of the last row read. */
	assert_int_equal(queue_next_window(f->db, 1, "2026-11-01", "p", 10,
					   &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].request_id, "f");
	queue_list_release(&l);
	/*
	 * A dry run sees what a run would claim, and claims nothing: not
	 * 'u', which intake has not recorded (no subject_ref yet), not 'w',
	 * awaiting approval.
	 */
	assert_int_equal(queue_next_window(f->db, 0, NULL, NULL, 10, &l), 0);
	assert_int_equal(l.n, 3);
	queue_list_release(&l);
	held = claim_all(f, 0, &n);
	assert_int_equal(n, 3);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM erasure_queue "
				       "WHERE status = 'running'"), 3);
	assert_int_equal(fixture_count(f, "SELECT attempts FROM erasure_queue "
				       "WHERE request_id = 'p'"), 2);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM erasure_queue "
				       "WHERE request_id = 'u' AND status = "
				       "'pending'"), 1);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM erasure_queue "
				       "WHERE request_id = 'w' AND status = "
				       "'awaiting_approval'"), 1);
	/* A device-only row is claimable without a ref. */
	fixture_exec(f, "UPDATE erasure_queue SET status = 'done', outcome = "
		     "'erased' WHERE status = 'running'");
	fixture_exec(f, "INSERT INTO erasure_queue (request_id, device_id, "
		     "received_at) VALUES ('v', '0123456789abcdef01234567', "
		     "'2026-11-04')");
	held = claim_all(f, 0, &n);
	assert_int_equal(n, 1);
	/* In the caller's transaction when one is open. */
	assert_int_equal(db_begin(f->db), 0);
	held = claim_all(f, 0, &n);
	assert_int_equal(sqlite3_get_autocommit(f->db), 0);
	db_rollback(f->db);
}

static void claim_skips_held_subject(void **state)
{
	struct fixture *f = *state;
	struct queue_list l;
	long n = -1, held = -1;

	/* Subject r-h has a held request: its other requests stay queued. */
	fixture_exec(f, "INSERT INTO erasure_queue (request_id, subject_email, "
		     "subject_ref, received_at, status) VALUES "
		     "('h1', 'h@example.com', 'r-h', '2026-11-01', 'held'), "
		     "('h2', 'h@example.com', 'r-h', '2026-11-02', 'pending'), "
		     "('h3', 'h@example.com', 'r-h', '2026-11-03', 'failed'), "
		     "('o1', 'o@example.com', 'r-o', '2026-11-04', 'pending'), "
		     "('o2', 'o@example.com', 'r-o', '2026-11-05', 'pending')");
	assert_int_equal(queue_count_claimable(f->db, &n), 0);
	assert_int_equal(n, 2);
	queue_list_init(&l);
	/* A dry run does not show them either. */
	assert_int_equal(queue_next_window(f->db, 0, NULL, NULL, 0, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].request_id, "o1");
	queue_list_release(&l);
	/* The limit counts claimed rows only; held_skipped all of them. */
	held = claim_all(f, 1, &n);
	assert_int_equal(n, 1);
	assert_int_equal(held, 2);
	held = claim_all(f, 0, &n);
	assert_int_equal(n, 2);
	assert_int_equal(held, 2);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM erasure_queue "
				       "WHERE subject_ref = 'r-h' AND status = "
				       "'running'"), 0);
	assert_int_equal(fixture_count(f, "SELECT attempts FROM erasure_queue "
				       "WHERE request_id = 'h2'"), 0);
	{
		struct buf id = BUF_INIT;

		assert_int_equal(queue_subject_held(f->db, "r-h", "h2", &id),
				 0);
		assert_string_equal(id.buf, "h1");
		assert_int_equal(queue_subject_held(f->db, "r-h", "h1", &id),
				 0);
		assert_string_equal(id.buf, "");
		assert_int_equal(queue_subject_held(f->db, "r-o", NULL, &id),
				 0);
		assert_string_equal(id.buf, "");
		buf_release(&id);
	}
	/* Released: claimable again. */
	fixture_exec(f, "UPDATE erasure_queue SET status = 'pending' WHERE "
		     "request_id = 'h1'");
	fixture_exec(f, "UPDATE erasure_queue SET status = 'done', outcome = "
		     "'erased' WHERE status = 'running'");
	held = claim_all(f, 0, &n);
	assert_int_equal(n, 3);
	assert_int_equal(held, 0);
}

static void set_subject(void **state)
{
	struct fixture *f = *state;
	struct queue_request r;

	fixture_exec(f, "INSERT INTO erasure_queue (request_id, device_id, "
		     "status) VALUES ('D-1', '0123456789abcdef01234567', "
		     "'running'), ('D-2', '0123456789abcdef01234567', "
		     "'pending')");
	assert_int_equal(queue_set_subject(f->db, "D-1", NULL, "Owner",
					   "ref-o"), 0);
	/* Only on a running request that has no subject yet. */
	assert_int_equal(queue_set_subject(f->db, "D-1", "x@example.com",
					   NULL, "ref-x"), 0);
	assert_int_equal(queue_set_subject(f->db, "D-2", "x@example.com",
					   NULL, "ref-x"), 0);
	queue_request_init(&r);
	assert_int_equal(queue_get(f->db, "D-1", &r), 0);
	assert_string_equal(r.subject_customer, "Owner");
	assert_null(r.subject_email);
	assert_string_equal(r.subject_ref, "ref-o");
	queue_request_release(&r);
	assert_int_equal(queue_get(f->db, "D-2", &r), 0);
	assert_null(r.subject_email);
	assert_null(r.subject_ref);
	queue_request_release(&r);
	/* Cleared again when the request is finished. */
	assert_int_equal(queue_transition(f->db, "D-1", Q_DONE, "erased"), 0);
	assert_int_equal(queue_get(f->db, "D-1", &r), 0);
	assert_null(r.subject_customer);
	assert_string_equal(r.subject_ref, "ref-o");
	queue_request_release(&r);
}

int main(void)
{
#define DB_TEST(t) cmocka_unit_test_setup_teardown(t, fixture_setup_db, \
						   fixture_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(status_names),
		cmocka_unit_test(transition_table),
		DB_TEST(transitions_in_db),
		DB_TEST(add_and_duplicates),
		DB_TEST(add_customers_and_states),
		DB_TEST(list_counts_get),
		DB_TEST(find_by_subject),
		DB_TEST(extend_rules),
		DB_TEST(change_logged),
		DB_TEST(ledger_event),
		DB_TEST(claim),
		DB_TEST(claim_skips_held_subject),
		DB_TEST(set_subject),
	};
#undef DB_TEST

	return cmocka_run_group_tests(tests, NULL, NULL);
}

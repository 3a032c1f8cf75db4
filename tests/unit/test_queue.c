/* Unit tests for queue: transitions, adds, upstream rows, claims, deadlines. */
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
#include "queue.h"

struct fx {
	char dir[64];
	char path[96];
	sqlite3 *db;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/erasectl-tq.XXXXXX");
	if (!f || !mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/q.db", f->dir);
	if (db_open(&f->db, f->path, DB_OPEN_CREATE))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[128];

	db_close(f->db);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void exec(sqlite3 *db, const char *sql)
{
	assert_int_equal(db_exec(db, sql), 0);
}

static long count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long n = -1;

	assert_int_equal(db_prepare(db, &st, sql), 0);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The table in queue.h, written out independently. */
static int expected(int from, int to)
{
	switch (from) {
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
	assert_string_equal(queue_status_name(Q_HELD), "held");
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
}

/* Every pair against the database: allowed ones happen, others do not. */
static void transitions_in_db(void **state)
{
	struct fx *f = *state;
	struct queue_request r;
	int from, to, rc;

	for (from = 0; from < Q_NSTATUS; from++) {
		for (to = 0; to < Q_NSTATUS; to++) {
			char sql[256];
			const char *extra = to == Q_DONE ? "erased" : "why";

			exec(f->db, "DELETE FROM erasure_queue");
			snprintf(sql, sizeof(sql),
				 "INSERT INTO erasure_queue (request_id, "
				 "subject_email, subject_ref, status) VALUES "
				 "('T', 'a@example.com', 'ref', '%s')",
				 queue_status_name(from));
			exec(f->db, sql);
			rc = queue_transition(f->db, "T", to, extra);
			assert_int_equal(rc, expected(from, to) ? 0 : -1);
			queue_request_init(&r);
			assert_int_equal(queue_get(f->db, "T", &r), 0);
			assert_int_equal(r.status, rc ? from : to);
			if (!rc && (to == Q_DONE || to == Q_REJECTED)) {
				assert_null(r.subject_email);
				assert_non_null(r.completed_at);
				assert_string_equal(r.subject_ref, "ref");
			}
			if (!rc && to == Q_DONE)
				assert_string_equal(r.outcome, "erased");
			if (!rc && to == Q_HELD)
				assert_string_equal(r.hold_reason, "why");
			if (!rc && to == Q_FAILED)
				assert_string_equal(r.last_error, "why");
			if (!rc && to == Q_RUNNING)
				assert_int_equal(r.attempts, 1);
			queue_request_release(&r);
		}
	}
	/* Reasons are required; unknown ids are refused. */
	exec(f->db, "UPDATE erasure_queue SET status = 'pending'");
	assert_int_equal(queue_transition(f->db, "T", Q_HELD, NULL), -1);
	assert_int_equal(queue_transition(f->db, "T", Q_HELD, ""), -1);
	assert_int_equal(queue_transition(f->db, "nope", Q_HELD, "x"), -1);
	exec(f->db, "DELETE FROM erasure_queue");
}

static void add_and_duplicates(void **state)
{
	struct fx *f = *state;
	struct queue_request r;
	struct queue_adder a;

	queue_request_init(&r);
	r.request_id = xstrdup("R-1");
	r.subject_email = xstrdup("a@example.com");
	r.subject_ref = xstrdup("ref-a");
	r.received_at = xstrdup("2026-11-01T00:00:00Z");
	assert_int_equal(queue_add(f->db, &r), QUEUE_ADDED);
	assert_int_equal(queue_add(f->db, &r), QUEUE_DUPLICATE);

	assert_int_equal(queue_adder_init(&a, f->db), 0);
	assert_int_equal(queue_adder_add(&a, &r), QUEUE_DUPLICATE);
	assert_int_equal(queue_adder_has_open(&a, &r), 1);
	free(r.subject_ref);
	r.subject_ref = xstrdup("ref-b");
	assert_int_equal(queue_adder_add(&a, &r), QUEUE_CONFLICT);
	assert_int_equal(queue_adder_has_open(&a, &r), 0);
	assert_int_equal(queue_add(f->db, &r), -1);
	free(r.subject_ref);
	r.subject_ref = xstrdup("ref-a");
	r.device_id = xstrdup("0123456789abcdef01234567");
	assert_int_equal(queue_adder_add(&a, &r), QUEUE_CONFLICT);

	/* A finished request keeps only its ref: still the same subject. */
	free(r.device_id);
	r.device_id = NULL;
	exec(f->db, "UPDATE erasure_queue SET status = 'done', outcome = "
	     "'erased', subject_email = NULL WHERE request_id = 'R-1'");
	assert_int_equal(queue_adder_add(&a, &r), QUEUE_DUPLICATE);
	assert_int_equal(queue_adder_has_open(&a, &r), 0);

	/* An upstream row without a ref compares by normalized email. */
	exec(f->db, "INSERT INTO erasure_queue (request_id, subject_email) "
	     "VALUES ('U-1', ' A@Example.COM')");
	free(r.request_id);
	r.request_id = xstrdup("U-1");
	assert_int_equal(queue_adder_add(&a, &r), QUEUE_DUPLICATE);
	queue_adder_release(&a);
	queue_request_release(&r);
	exec(f->db, "DELETE FROM erasure_queue");
}

static void list_counts_get(void **state)
{
	struct fx *f = *state;
	struct queue_list l;
	struct queue_request r;
	long c[Q_NSTATUS];

	exec(f->db, "INSERT INTO erasure_queue (request_id, subject_ref, "
	     "received_at, status) VALUES "
	     "('b', 'r1', '2026-11-02T00:00:00Z', 'pending'), "
	     "('a', 'r1', '2026-11-01T00:00:00Z', 'held'), "
	     "('c', 'r2', '2026-11-01T00:00:00Z', 'pending')");
	assert_int_equal(queue_counts(f->db, c), 0);
	assert_int_equal(c[Q_PENDING], 2);
	assert_int_equal(c[Q_HELD], 1);
	assert_int_equal(c[Q_DONE], 0);
	queue_list_init(&l);
	assert_int_equal(queue_list(f->db, -1, 0, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].request_id, "a");
	assert_string_equal(l.v[1].request_id, "c");
	assert_string_equal(l.v[2].request_id, "b");
	queue_list_release(&l);
	assert_int_equal(queue_list(f->db, Q_PENDING, 1, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].request_id, "c");
	queue_list_release(&l);
	assert_int_equal(queue_find_by_ref(f->db, "r1", &l), 0);
	assert_int_equal(l.n, 2);
	queue_list_release(&l);
	queue_request_init(&r);
	assert_int_equal(queue_get(f->db, "zz", &r), 1);
	exec(f->db, "DELETE FROM erasure_queue");
}

static void extend_rules(void **state)
{
	struct fx *f = *state;

	exec(f->db, "INSERT INTO erasure_queue (request_id, subject_ref) "
	     "VALUES ('E', 'r')");
	assert_int_equal(queue_extend(f->db, "E", 0, "x"), -1);
	assert_int_equal(queue_extend(f->db, "E", 3, "x"), -1);
	assert_int_equal(queue_extend(f->db, "E", 1, NULL), -1);
	assert_int_equal(queue_extend(f->db, "E", 1, "complex"), 0);
	assert_int_equal(queue_extend(f->db, "E", 2, "more"), -1);
	assert_int_equal(queue_extend(f->db, "E", 1, "more"), 0);
	assert_int_equal(queue_extend(f->db, "E", 1, "again"), -1);
	assert_int_equal(count(f->db, "SELECT extension_months FROM "
			       "erasure_queue WHERE request_id = 'E'"), 2);
	exec(f->db, "INSERT INTO erasure_queue (request_id, subject_ref, "
	     "status, outcome) VALUES ('D', 'r', 'done', 'erased'), "
	     "('J', 'r', 'rejected', NULL)");
	assert_int_equal(queue_extend(f->db, "D", 1, "x"), -1);
	assert_int_equal(queue_extend(f->db, "J", 1, "x"), -1);
	assert_int_equal(queue_extend(f->db, "none", 1, "x"), -1);
	exec(f->db, "DELETE FROM erasure_queue");
}

static void upstream_fill(void **state)
{
	struct fx *f = *state;
	struct hmac_key key;
	struct queue_request r;
	char ref[SHA256_HEX_LEN + 1];

	memset(key.bytes, 9, sizeof(key.bytes));
	exec(f->db, "INSERT INTO erasure_queue (request_id, subject_email, "
	     "device_id, received_at) VALUES "
	     "('U-1', ' Bob@Example.COM ', NULL, '2026-11-01 10:00'), "
	     "('U-2', 'not-an-email', NULL, '2026-11-01'), "
	     "('U-3', NULL, 'ABCDEF0123456789ABCDEF01', '2026-11-02'), "
	     "('U@4', 'c@example.com', NULL, '2026-11-03')");
	assert_int_equal(queue_fill_subject_refs(f->db, &key), 3);
	queue_request_init(&r);
	assert_int_equal(queue_get(f->db, "U-1", &r), 0);
	assert_string_equal(r.subject_email, "bob@example.com");
	assert_int_equal(subject_ref_of_email(&key, "bob@example.com", ref), 0);
	assert_string_equal(r.subject_ref, ref);
	assert_string_equal(r.received_at, "2026-11-01T10:00:00Z");
	assert_int_equal(r.status, Q_PENDING);
	queue_request_release(&r);
	assert_int_equal(queue_get(f->db, "U-2", &r), 0);
	assert_int_equal(r.status, Q_REJECTED);
	assert_null(r.subject_email);
	queue_request_release(&r);
	assert_int_equal(queue_get(f->db, "U-3", &r), 0);
	assert_string_equal(r.device_id, "abcdef0123456789abcdef01");
	assert_null(r.subject_ref);
	queue_request_release(&r);
	assert_int_equal(queue_get(f->db, "U@4", &r), 0);
	assert_int_equal(r.status, Q_REJECTED);
	queue_request_release(&r);
	assert_int_equal(count(f->db, "SELECT count(*) FROM ledger WHERE "
			       "event = 'enqueued' AND detail = 'upstream'"), 3);
	assert_int_equal(count(f->db, "SELECT count(*) FROM ledger WHERE "
			       "event = 'rejected' AND request_id = 'U-2'"), 1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM ledger WHERE "
			       "request_id LIKE '%@%'"), 0);
	/* Nothing left to do the second time. */
	assert_int_equal(queue_fill_subject_refs(f->db, &key), 0);
	exec(f->db, "DELETE FROM erasure_queue");
}

static void claim(void **state)
{
	struct fx *f = *state;
	struct queue_list l;
	long n = 0;

	exec(f->db, "INSERT INTO erasure_queue (request_id, subject_email, "
	     "subject_ref, received_at, status, outcome) VALUES "
	     "('p', 'a@example.com', 'r', '2026-11-01', 'pending', NULL), "
	     "('f', 'a@example.com', 'r', '2026-11-02', 'failed', NULL), "
	     "('x', 'a@example.com', 'r', '2026-11-03', 'running', NULL), "
	     "('h', 'a@example.com', 'r', '2026-10-01', 'held', NULL), "
	     "('d', NULL, 'r', '2026-10-01', 'done', 'erased'), "
	     "('u', 'a@example.com', NULL, '2026-10-01', 'pending', NULL)");
	queue_list_init(&l);
	assert_int_equal(queue_claim_all(f->db, 2, &n), 0);
	assert_int_equal(n, 2);
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
	 * A dry run sees what a run would claim, and claims nothing: here
	 * also 'u', whose subject_ref a real run fills before claiming.
	 */
	assert_int_equal(queue_next_window(f->db, 0, NULL, NULL, 10, &l), 0);
	assert_int_equal(l.n, 4);
	queue_list_release(&l);
	assert_int_equal(queue_claim_all(f->db, 0, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(count(f->db, "SELECT count(*) FROM erasure_queue "
			       "WHERE status = 'running'"), 3);
	assert_int_equal(count(f->db, "SELECT attempts FROM erasure_queue "
			       "WHERE request_id = 'p'"), 2);
	assert_int_equal(count(f->db, "SELECT count(*) FROM erasure_queue "
			       "WHERE request_id = 'u' AND status = "
			       "'pending'"), 1);
	exec(f->db, "DELETE FROM erasure_queue");
}

static void deadlines(void **state)
{
	static const struct {
		const char *received;
		long days;
		int ext;
		const char *want;
	} cases[] = {
		{ "2026-01-15", 0, 0, "2026-02-15" },
		{ "2026-01-31", 0, 0, "2026-02-28" },
		{ "2024-01-31", 0, 0, "2024-02-29" },
		{ "2000-01-30", 0, 0, "2000-02-29" },
		{ "2100-01-29", 0, 0, "2100-02-28" },
		{ "2026-03-31", 0, 0, "2026-04-30" },
		{ "2026-12-31", 0, 0, "2027-01-31" },
		{ "2026-12-15T23:59:59Z", 0, 0, "2027-01-15" },
		{ "2026-01-31", 0, 1, "2026-03-31" },
		{ "2026-01-31", 0, 2, "2026-04-30" },
		{ "2023-11-30", 0, 2, "2024-02-29" },
		{ "2026-11-30", 0, 2, "2027-02-28" },
		/* An offset moves the receipt to the previous UTC day. */
		{ "2026-02-01T00:30:00+01:00", 0, 0, "2026-02-28" },
		{ "2026-01-31", 30, 0, "2026-03-02" },
		{ "2024-02-01", 30, 0, "2024-03-02" },
		{ "2026-12-10", 30, 0, "2027-01-09" },
		{ "2026-01-01", 30, 1, "2026-02-28" },
		{ "2026-01-01", 30, 2, "2026-03-31" },
		{ "2024-12-31", 60, 0, "2025-03-01" },
	};
	char out[11];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(queue_deadline(cases[i].received,
						 cases[i].days, cases[i].ext,
						 out), 0);
		assert_string_equal(out, cases[i].want);
	}
	assert_int_equal(queue_deadline("garbage", 0, 0, out), -1);
	assert_int_equal(queue_deadline(NULL, 0, 0, out), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(status_names),
		cmocka_unit_test(transition_table),
		cmocka_unit_test_setup_teardown(transitions_in_db, setup, teardown),
		cmocka_unit_test_setup_teardown(add_and_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(list_counts_get, setup, teardown),
		cmocka_unit_test_setup_teardown(extend_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(upstream_fill, setup, teardown),
		cmocka_unit_test_setup_teardown(claim, setup, teardown),
		cmocka_unit_test(deadlines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

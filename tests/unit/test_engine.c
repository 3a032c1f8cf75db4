/*
 * Unit tests for the run lock (db_lock: one run or erase at a time per
 * database file, whatever path names it) and for what engine_run reports
 * when it cannot get going: no products, no token, an API that is
 * unreachable. The erasures themselves are covered end to end by
 * tests/integration/t05*.sh against the fake cloud.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "db.h"
#include "engine.h"
#include "ledger.h"
#include "queue.h"
#include "fixture.h"

/* --- the run lock ------------------------------------------------------ */

/*
 * db_lock(path) in a child process (after chdir(dir) when dir is set):
 * 0 when it got the lock, 1 when another process holds it, 2 on error.
 * hold: the child exits holding it (the kernel must drop it).
 */
static int child_lock(const char *path, const char *dir, int hold)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int fd, rc;

		if (dir && chdir(dir))
			_exit(3);
		rc = db_lock(path, &fd);
		if (!rc && !hold)
			db_unlock(fd);
		_exit(rc == 0 ? 0 : rc == 1 ? 1 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void lock_excludes_every_path(void **state)
{
	struct fixture *f = *state;
	struct buf sym = BUF_INIT, hard = BUF_INIT, err = BUF_INIT;
	char pid[32];
	int fd;

	fixture_path(f, "link.db", &sym);
	fixture_path(f, "hard.db", &hard);
	assert_int_equal(symlink(f->db_path.buf, sym.buf), 0);
	assert_int_equal(link(f->db_path.buf, hard.buf), 0);

	assert_int_equal(db_lock(f->db_path.buf, &fd), 0);
	assert_true(fd >= 0);
	assert_int_equal(fixture_capture_stderr(f), 0);
	/* Another process meets the lock by every name of the file. */
	assert_int_equal(child_lock(f->db_path.buf, NULL, 0), 1);
	assert_int_equal(child_lock(sym.buf, NULL, 0), 1);
	assert_int_equal(child_lock(hard.buf, NULL, 0), 1);
	assert_int_equal(child_lock("erasectl.db", f->dir, 0), 1);
	assert_int_equal(child_lock("./link.db", f->dir, 0), 1);
	fixture_stderr(f, &err);
	fixture_restore_stderr(f);
	/* It said so, naming the holder when /proc/locks does. */
	assert_non_null(strstr(err.buf, "holds the lock on database"));
	if (strstr(err.buf, "(pid ")) {
		snprintf(pid, sizeof(pid), "(pid %ld)", (long)getpid());
		assert_non_null(strstr(err.buf, pid));
	}

	/* Released: every path may take it again. */
	db_unlock(fd);
	assert_int_equal(child_lock(sym.buf, NULL, 0), 0);
	assert_int_equal(child_lock(hard.buf, NULL, 0), 0);
	assert_int_equal(db_lock(hard.buf, &fd), 0);
	assert_int_equal(child_lock(f->db_path.buf, NULL, 0), 1);
	db_unlock(fd);
	buf_release(&sym);
	buf_release(&hard);
	buf_release(&err);
}

static void lock_of_dead_process_is_free(void **state)
{
	struct fixture *f = *state;
	int fd;

	/* The child dies holding the lock: the kernel drops it. */
	assert_int_equal(child_lock(f->db_path.buf, NULL, 1), 0);
	assert_int_equal(db_lock(f->db_path.buf, &fd), 0);
	db_unlock(fd);
}

static void lock_survives_closing_connections(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	int fd;

	assert_int_equal(db_lock(f->db_path.buf, &fd), 0);
	/*
	 * A connection opened and closed under the lock (closing SQLite's
	 * descriptors of the same file) does not drop it.
	 */
	assert_int_equal(db_open(&db, f->db_path.buf, DB_OPEN_EXISTING), 0);
	assert_int_equal(db_exec(db, "INSERT INTO erasure_queue (request_id, "
				 "subject_ref) VALUES ('L-1', 'r')"), 0);
	db_close(db);
	db_close(f->db);
	f->db = NULL;
	assert_int_equal(child_lock(f->db_path.buf, NULL, 0), 1);
	/* The order the header asks for: db_close first, then db_unlock. */
	db_unlock(fd);
	assert_int_equal(child_lock(f->db_path.buf, NULL, 0), 0);
	db_unlock(-1);
}

static void lock_errors(void **state)
{
	struct fixture *f = *state;
	struct buf path = BUF_INIT;
	int fd = 42;

	/* The lock is on the database file: it must exist. */
	fixture_path(f, "absent.db", &path);
	assert_int_equal(db_lock(path.buf, &fd), -1);
	assert_int_equal(fd, -1);
	assert_int_equal(db_lock("/nonexistent-dir/e.db", &fd), -1);
	assert_int_equal(child_lock(path.buf, NULL, 0), 2);
	buf_release(&path);
}

/* --- engine_run -------------------------------------------------------- */

/* Queues a request as enqueue does: the row and its "enqueued" entry. */
static int add_recorded(struct fixture *f, const char *id, const char *email,
			const char *received)
{
	struct queue_request r;
	struct buf why = BUF_INIT;
	int gen, ret;

	queue_request_init(&r);
	r.request_id = xstrdup(id);
	r.subject_email = xstrdup(email);
	r.received_at = xstrdup(received);
	ret = intake_validate(&r, &f->rules, &gen, &why) ||
	      queue_add(f->db, &r) != QUEUE_ADDED ||
	      queue_ledger_event(f->db, id, r.subject_ref, LEDGER_EV_ENQUEUED,
				 NULL, "csv") ? -1 : 0;
	queue_request_release(&r);
	buf_release(&why);
	return ret;
}

/*
 * A database with a request to run, one whose subject is on hold, one
 * done, and a config whose API nothing listens to.
 */
static int setup_engine(void **state)
{
	struct fixture *f;

	if (fixture_setup_db(state))
		return -1;
	f = *state;
	setenv("PARTICLE_ACCESS_TOKEN", "unit-test-token-1234", 1);
	unsetenv("ERASECTL_WINDOW");
	if (config_set(&f->cfg, "api", "base_url", "http://127.0.0.1:1",
		       "test") ||
	    config_set(&f->cfg, "api", "max_attempts", "1", "test") ||
	    config_set(&f->cfg, "api", "timeout", "5", "test") ||
	    config_set(&f->cfg, "products", "ids", "1001", "test") ||
	    add_recorded(f, "R-1", "a@example.com", "2026-11-01") ||
	    add_recorded(f, "R-2", "h@example.com", "2026-11-02") ||
	    add_recorded(f, "R-H", "h@example.com", "2026-11-03") ||
	    add_recorded(f, "R-D", "a@example.com", "2026-10-01") ||
	    queue_transition(f->db, "R-H", Q_HELD, "litigation") ||
	    queue_transition(f->db, "R-D", Q_RUNNING, NULL) ||
	    queue_transition(f->db, "R-D", Q_DONE, "erased"))
		return -1;
	f->data = (void *)(intptr_t)fixture_count(f, "SELECT count(*) FROM "
						  "ledger");
	return 0;
}

/* Ledger entries written since setup. */
static long new_entries(struct fixture *f)
{
	return fixture_count(f, "SELECT count(*) FROM ledger") -
	       (long)(intptr_t)f->data;
}

static int teardown_engine(void **state)
{
	unsetenv("PARTICLE_ACCESS_TOKEN");
	return fixture_teardown(state);
}

static const char *status_of(struct fixture *f, const char *id,
			     struct buf *out)
{
	sqlite3_stmt *st;

	buf_reset(out);
	assert_int_equal(db_prepare(f->db, &st, "SELECT status || '/' || "
				    "attempts FROM erasure_queue WHERE "
				    "request_id = ?"), 0);
	db_bind_text(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		buf_adds(out, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out->buf;
}

static void engine_needs_products_and_token(void **state)
{
	struct fixture *f = *state;
	struct engine_opts o;
	struct engine_result res;
	struct buf s = BUF_INIT;

	memset(&o, 0, sizeof(o));
	o.dry_run = 1;
	o.key = &f->key;

	strvec_clear(&f->cfg.products);
	engine_result_init(&res);
	assert_int_equal(engine_run(&f->cfg, f->db, &o, &res), -1);
	assert_int_equal(res.status, ENGINE_CONFIG);
	engine_result_release(&res);
	strvec_push(&f->cfg.products, "1001");

	unsetenv("PARTICLE_ACCESS_TOKEN");
	engine_result_init(&res);
	assert_int_equal(engine_run(&f->cfg, f->db, &o, &res), -1);
	assert_int_equal(res.status, ENGINE_CONFIG);
	engine_result_release(&res);
	setenv("PARTICLE_ACCESS_TOKEN", "unit-test-token-1234", 1);

	/* Neither by a run. */
	strvec_clear(&f->cfg.products);
	o.dry_run = 0;
	engine_result_init(&res);
	assert_int_equal(engine_run(&f->cfg, f->db, &o, &res), -1);
	assert_int_equal(res.status, ENGINE_CONFIG);
	engine_result_release(&res);
	strvec_push(&f->cfg.products, "1001");
	unsetenv("PARTICLE_ACCESS_TOKEN");
	engine_result_init(&res);
	assert_int_equal(engine_run(&f->cfg, f->db, &o, &res), -1);
	assert_int_equal(res.status, ENGINE_CONFIG);
	engine_result_release(&res);
	setenv("PARTICLE_ACCESS_TOKEN", "unit-test-token-1234", 1);
	/* Nothing was claimed or written. */
	assert_string_equal(status_of(f, "R-1", &s), "pending/0");
	assert_int_equal(new_entries(f), 0);
	buf_release(&s);
}

static void engine_dry_run_unreachable(void **state)
{
	struct fixture *f = *state;
	struct engine_opts o;
	struct engine_result res;
	struct buf s = BUF_INIT;

	memset(&o, 0, sizeof(o));
	o.key = &f->key;
	o.dry_run = 1;
	engine_result_init(&res);
	assert_int_equal(engine_run(&f->cfg, f->db, &o, &res), -1);
	assert_int_equal(res.status, ENGINE_UNREACHABLE);
	assert_int_equal(res.failed, 0);
	assert_int_equal(res.erased, 0);
	assert_true(res.api_calls >= 1);
	engine_result_release(&res);
	/* A dry run changes nothing. */
	assert_string_equal(status_of(f, "R-1", &s), "pending/0");
	assert_string_equal(status_of(f, "R-2", &s), "pending/0");
	assert_int_equal(new_entries(f), 0);
	buf_release(&s);
}

static void engine_run_unreachable(void **state)
{
	struct fixture *f = *state;
	struct engine_opts o;
	struct engine_result res;
	struct buf s = BUF_INIT;

	memset(&o, 0, sizeof(o));
	o.key = &f->key;
	engine_result_init(&res);
	assert_int_equal(engine_run(&f->cfg, f->db, &o, &res), -1);
	assert_int_equal(res.status, ENGINE_UNREACHABLE);
	assert_int_equal(res.erased, 0);
	assert_int_equal(res.actions, 0);
	assert_null(res.already_done);
	engine_result_release(&res);
	/*
	 * The checks before the run found the API unreachable: nothing was
	 * claimed, nothing stays running, the hold and the done request are
	 * as they were.
	 */
	assert_string_equal(status_of(f, "R-1", &s), "pending/0");
	assert_string_equal(status_of(f, "R-2", &s), "pending/0");
	assert_string_equal(status_of(f, "R-H", &s), "held/0");
	assert_string_equal(status_of(f, "R-D", &s), "done/1");
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM erasure_queue "
				       "WHERE status = 'running'"), 0);
	assert_int_equal(new_entries(f), 0);
	buf_release(&s);
}

static void engine_erase_single(void **state)
{
	struct fixture *f = *state;
	struct engine_opts o;
	struct engine_result res;
	struct queue_request r;

	/* Already done: nothing to do but say so. */
	queue_request_init(&r);
	r.request_id = xstrdup("R-D");
	r.subject_email = xstrdup("a@example.com");
	r.received_at = xstrdup("2026-10-01T00:00:00Z");
	memset(&o, 0, sizeof(o));
	o.key = &f->key;
	o.single = &r;
	engine_result_init(&res);
	assert_int_equal(engine_run(&f->cfg, f->db, &o, &res), 0);
	assert_non_null(res.already_done);
	assert_string_equal(res.already_done, "erased");
	engine_result_release(&res);

	/* A new request the API cannot be asked about: nothing queued. */
	free(r.request_id);
	r.request_id = xstrdup("E-1");
	engine_result_init(&res);
	assert_int_equal(engine_run(&f->cfg, f->db, &o, &res), -1);
	assert_int_equal(res.status, ENGINE_UNREACHABLE);
	assert_null(res.already_done);
	engine_result_release(&res);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM erasure_queue "
				       "WHERE request_id = 'E-1'"), 0);
	assert_int_equal(new_entries(f), 0);
	queue_request_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lock_excludes_every_path,
						fixture_setup_db,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(lock_of_dead_process_is_free,
						fixture_setup_db,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(lock_survives_closing_connections,
						fixture_setup_db,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(lock_errors, fixture_setup_db,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(engine_needs_products_and_token,
						setup_engine, teardown_engine),
		cmocka_unit_test_setup_teardown(engine_dry_run_unreachable,
						setup_engine, teardown_engine),
		cmocka_unit_test_setup_teardown(engine_run_unreachable,
						setup_engine, teardown_engine),
		cmocka_unit_test_setup_teardown(engine_erase_single,
						setup_engine, teardown_engine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

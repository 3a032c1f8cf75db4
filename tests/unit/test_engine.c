/* Unit tests for the engine's run lock (the rest is covered end to end by
 * tests/integration/t05*.sh against the fake cloud). */
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
#include "engine.h"
#include "log.h"

static char dir[64];
static char db[96];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_engine.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(db, sizeof(db), "%s/e.db", dir);
	log_setup(LOG_ERROR, 0);
	return 0;
}

static int teardown(void **state)
{
	char lock[128];

	(void)state;
	snprintf(lock, sizeof(lock), "%s.lock", db);
	unlink(lock);
	rmdir(dir);
	return 0;
}

static long lock_pid(void)
{
	char path[128], text[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s.lock", db);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(text, sizeof(text), f))
		text[0] = '\0';
	fclose(f);
	return strtol(text, NULL, 10);
}

static void test_lock_writes_pid_and_excludes(void **state)
{
	int fd, fd2;

	(void)state;
	fd = engine_lock(db);
	assert_true(fd >= 0);
	assert_int_equal(lock_pid(), (long)getpid());
	/* flock locks belong to the open file: a second open conflicts. */
	fd2 = engine_lock(db);
	assert_int_equal(fd2, -2);
	assert_int_equal(lock_pid(), (long)getpid());
	engine_unlock(fd);
	fd2 = engine_lock(db);
	assert_true(fd2 >= 0);
	engine_unlock(fd2);
}

static void test_lock_of_dead_process_is_taken_over(void **state)
{
	pid_t child;
	int status, fd;

	(void)state;
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		/* Take the lock and die without releasing it. */
		_exit(engine_lock(db) >= 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(lock_pid(), (long)child);
	fd = engine_lock(db);
	assert_true(fd >= 0);
	assert_int_equal(lock_pid(), (long)getpid());
	engine_unlock(fd);
}

static void test_lock_in_missing_directory_fails(void **state)
{
	(void)state;
	assert_int_equal(engine_lock("/nonexistent-dir/e.db"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_writes_pid_and_excludes),
		cmocka_unit_test(test_lock_of_dead_process_is_taken_over),
		cmocka_unit_test(test_lock_in_missing_directory_fails),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

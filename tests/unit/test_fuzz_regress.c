/*
 * Replays every input under tests/fuzz/regress/TARGET/ (inputs that once
 * crashed a fuzz target) and tests/fuzz/corpus/TARGET/ (the seeds) through
 * the fuzz targets' own entry points, so `make check` (and its ASan+UBSan
 * run in CI) keeps found bugs fixed without clang or libFuzzer.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#define FUZZ_ENTRY fuzz_config_entry
#include "../fuzz/fuzz_config.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_csv_entry
#include "../fuzz/fuzz_csv.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_opendsr_entry
#include "../fuzz/fuzz_opendsr.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_time_entry
#include "../fuzz/fuzz_time.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_checkpoint_entry
#include "../fuzz/fuzz_checkpoint.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_api_entry
#include "../fuzz/fuzz_api.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_engine_entry
#include "../fuzz/fuzz_engine.c"
#undef FUZZ_ENTRY

typedef int (*entry_fn)(const uint8_t *data, size_t size);

static int read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	if (!f)
		return -1;
	buf_reset(out);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(out, chunk, n);
	fclose(f);
	return 0;
}

/* Feeds each regular file of dir to fn; returns how many. */
static int replay_dir(const char *dir, entry_fn fn)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct buf path = BUF_INIT, data = BUF_INIT;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir, de->d_name);
		if (read_file(path.buf, &data))
			continue;
		print_message("# replay %s\n", path.buf);
		fn((const uint8_t *)data.buf, data.len);
		n++;
	}
	closedir(d);
	buf_release(&path);
	buf_release(&data);
	return n;
}

/*
 * The group's fixture: the fuzz directory to replay from ($FUZZ_DIR, else
 * tests/fuzz) as its data. The targets set their own log level.
 */
static int group_setup(void **state)
{
	struct fixture *f;
	const char *root = getenv("FUZZ_DIR");

	if (fixture_setup(state))
		return -1;
	f = *state;
	f->data = xstrdup(root && *root ? root : "tests/fuzz");
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;

	if (f)
		free(f->data);
	return fixture_teardown(state);
}

static void replay(void **state, const char *target, entry_fn fn)
{
	struct fixture *f = *state;
	struct buf dir = BUF_INIT;
	int n;

	buf_addf(&dir, "%s/corpus/%s", (const char *)f->data, target);
	n = replay_dir(dir.buf, fn);
	/* Every target has seeds: none found means a wrong directory. */
	assert_true(n > 0);
	buf_reset(&dir);
	buf_addf(&dir, "%s/regress/%s", (const char *)f->data, target);
	replay_dir(dir.buf, fn);
	buf_release(&dir);
}

static void test_config(void **state) { replay(state, "config", fuzz_config_entry); }
static void test_csv(void **state) { replay(state, "csv", fuzz_csv_entry); }
static void test_opendsr(void **state) { replay(state, "opendsr", fuzz_opendsr_entry); }
static void test_time(void **state) { replay(state, "time", fuzz_time_entry); }
static void test_checkpoint(void **state) { replay(state, "checkpoint", fuzz_checkpoint_entry); }
static void test_api(void **state) { replay(state, "api", fuzz_api_entry); }
static void test_engine(void **state) { replay(state, "engine", fuzz_engine_entry); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_opendsr),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_checkpoint),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_engine),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

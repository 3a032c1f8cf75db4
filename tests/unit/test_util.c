/*
 * Unit tests for the shared helpers: util (files written atomically, files
 * read with a cap, numbers, JSON fields, small string helpers) and map
 * (the string-keyed hash map of the fleet index).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "map.h"
#include "util.h"
#include "fixture.h"

/* The names in the fixture's directory other than its own files. */
static void dir_names(const struct fixture *f, struct strvec *out)
{
	DIR *d = opendir(f->dir);
	struct dirent *de;

	assert_non_null(d);
	strvec_clear(out);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "erasectl.key") &&
		    strcmp(de->d_name, "stderr"))
			strvec_push(out, de->d_name);
	closedir(d);
}

static void read_back(const char *path, struct buf *out)
{
	buf_reset(out);
	assert_int_equal(util_read_file(path, "test file", 1 << 20, out), 0);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void write_atomic(void **state)
{
	struct fixture *f = *state;
	struct buf path = BUF_INIT, got = BUF_INIT;
	struct strvec names = STRVEC_INIT;
	mode_t old = umask(022);

	fixture_path(f, "out.json", &path);
	assert_int_equal(util_write_atomic(path.buf, "first version\n", 14,
					   0600), 0);
	read_back(path.buf, &got);
	assert_string_equal(got.buf, "first version\n");
	assert_int_equal(mode_of(path.buf), 0600);

	/* Replaced whole: a shorter text leaves nothing of the longer. */
	assert_int_equal(util_write_atomic(path.buf, "2", 1, 0644), 0);
	read_back(path.buf, &got);
	assert_string_equal(got.buf, "2");
	assert_int_equal(got.len, 1);
	/* The mode is the one asked for, also when replacing. */
	assert_int_equal(mode_of(path.buf), 0644);
	assert_int_equal(util_write_atomic(path.buf, "", 0, 0640), 0);
	read_back(path.buf, &got);
	assert_int_equal(got.len, 0);
	assert_int_equal(mode_of(path.buf), 0640);

	/* Binary data, NULs included, comes back byte for byte. */
	assert_int_equal(util_write_atomic(path.buf, "a\0b\xff", 4, 0600), 0);
	read_back(path.buf, &got);
	assert_int_equal(got.len, 4);
	assert_memory_equal(got.buf, "a\0b\xff", 4);

	/* No temporary file is left behind. */
	dir_names(f, &names);
	assert_int_equal(names.n, 1);
	assert_string_equal(names.v[0], "out.json");

	/* A failed rename (onto a directory) removes its temporary file. */
	fixture_path(f, "sub", &path);
	assert_int_equal(mkdir(path.buf, 0700), 0);
	assert_int_equal(util_write_atomic(path.buf, "x", 1, 0600), -1);
	dir_names(f, &names);
	assert_int_equal(names.n, 2);
	assert_int_equal(rmdir(path.buf), 0);
	/* A missing directory: an error, nothing created. */
	fixture_path(f, "missing/out.json", &path);
	assert_int_equal(util_write_atomic(path.buf, "x", 1, 0600), -1);
	dir_names(f, &names);
	assert_int_equal(names.n, 1);

	umask(old);
	strvec_clear(&names);
	buf_release(&path);
	buf_release(&got);
}

static void read_file(void **state)
{
	struct fixture *f = *state;
	struct buf path = BUF_INIT, got = BUF_INIT;

	fixture_path(f, "in.txt", &path);
	assert_int_equal(util_write_atomic(path.buf, "0123456789", 10, 0600),
			 0);
	/* Exactly max bytes is fine; one more is not. */
	assert_int_equal(util_read_file(path.buf, "input", 10, &got), 0);
	assert_string_equal(got.buf, "0123456789");
	buf_reset(&got);
	assert_int_equal(util_read_file(path.buf, "input", 9, &got), -1);
	/* Appends to what out holds. */
	buf_reset(&got);
	buf_adds(&got, ">");
	assert_int_equal(util_read_file(path.buf, "input", 1024, &got), 0);
	assert_string_equal(got.buf, ">0123456789");
	fixture_path(f, "nope.txt", &path);
	assert_int_equal(util_read_file(path.buf, "input", 9, &got), -1);
	buf_release(&path);
	buf_release(&got);
}

/* The fixture at warning level: the check's warning is the point. */
static int setup_warn(void **state)
{
	if (fixture_setup(state))
		return -1;
	log_setup(LOG_WARN, 0);
	return 0;
}

static void private_files(void **state)
{
	struct fixture *f = *state;
	struct buf path = BUF_INIT, err = BUF_INIT;

	fixture_path(f, "secret", &path);
	assert_int_equal(util_write_atomic(path.buf, "s", 1, 0600), 0);
	assert_int_equal(util_check_private_file(path.buf, "token file"), 0);
	assert_int_equal(chmod(path.buf, 0640), 0);
	assert_int_equal(fixture_capture_stderr(f), 0);
	assert_int_equal(util_check_private_file(path.buf, "token file"), 1);
	fixture_stderr(f, &err);
	fixture_restore_stderr(f);
	assert_non_null(strstr(err.buf, "token file '"));
	assert_non_null(strstr(err.buf, "chmod 600"));
	assert_int_equal(chmod(path.buf, 0604), 0);
	assert_int_equal(util_check_private_file(path.buf, "token file"), 1);
	/* A missing file is not this function's to report. */
	fixture_path(f, "absent", &path);
	assert_int_equal(util_check_private_file(path.buf, "token file"), 0);
	buf_release(&path);
	buf_release(&err);
}

static void numbers(void **state)
{
	long n = 7;
	double d = 7;

	(void)state;
	assert_int_equal(util_parse_long("42", 1, 100, &n), 0);
	assert_int_equal(n, 42);
	assert_int_equal(util_parse_long("-5", -10, 10, &n), 0);
	assert_int_equal(n, -5);
	n = 7;
	assert_int_equal(util_parse_long("101", 1, 100, &n), -1);
	assert_int_equal(util_parse_long("0", 1, 100, &n), -1);
	assert_int_equal(util_parse_long("", 1, 100, &n), -1);
	assert_int_equal(util_parse_long("4x", 1, 100, &n), -1);
	assert_int_equal(util_parse_long("4 ", 1, 100, &n), -1);
	assert_int_equal(util_parse_long("4.0", 1, 100, &n), -1);
	assert_int_equal(util_parse_long("99999999999999999999999", 1,
					 LONG_MAX, &n), -1);
	/* A refused value leaves out alone. */
	assert_int_equal(n, 7);

	assert_int_equal(util_parse_double("12.5", 0, 100, &d), 0);
	assert_true(d == 12.5);
	assert_int_equal(util_parse_double("1e2", 0, 100, &d), 0);
	assert_true(d == 100);
	d = 7;
	assert_int_equal(util_parse_double("nan", 0, 100, &d), -1);
	assert_int_equal(util_parse_double("inf", 0, INFINITY, &d), -1);
	assert_int_equal(util_parse_double("-inf", -INFINITY, 0, &d), -1);
	assert_int_equal(util_parse_double("1e400", 0, INFINITY, &d), -1);
	assert_int_equal(util_parse_double("100.01", 0, 100, &d), -1);
	assert_int_equal(util_parse_double("-0.5", 0, 100, &d), -1);
	assert_int_equal(util_parse_double("", 0, 100, &d), -1);
	assert_int_equal(util_parse_double("1,5", 0, 100, &d), -1);
	assert_true(d == 7);
}

static void small_helpers(void **state)
{
	char ref[13];
	cJSON *o = cJSON_Parse("{\"s\": \"text\", \"n\": 5, \"z\": null, "
			       "\"e\": \"\"}");

	(void)state;
	assert_string_equal(str_or("x", "d"), "x");
	assert_string_equal(str_or("", "d"), "d");
	assert_string_equal(str_or(NULL, "d"), "d");
	assert_string_equal(ref_prefix("0123456789abcdef0123", ref),
			    "0123456789ab");
	assert_string_equal(ref_prefix("abc", ref), "abc");
	assert_string_equal(ref_prefix(NULL, ref), "?");
	assert_string_equal(ref_prefix("", ref), "?");

	assert_non_null(o);
	assert_string_equal(json_get_str(o, "s"), "text");
	assert_string_equal(json_get_str(o, "e"), "");
	assert_null(json_get_str(o, "n"));
	assert_null(json_get_str(o, "z"));
	assert_null(json_get_str(o, "missing"));
	/* Keys are case-sensitive. */
	assert_null(json_get_str(o, "S"));
	cJSON_Delete(o);
}

/* --- map ---------------------------------------------------------------- */

static int freed;

static void count_free(void *v)
{
	freed++;
	free(v);
}

static void map_put_get_replace(void **state)
{
	struct map m = MAP_INIT;
	int a = 1, b = 2, c = 3;
	char key[8];

	(void)state;
	/* An empty map answers without allocating. */
	assert_null(map_get(&m, "x"));
	map_put(&m, "alice", &a);
	map_put(&m, "bob", &b);
	assert_ptr_equal(map_get(&m, "alice"), &a);
	assert_ptr_equal(map_get(&m, "bob"), &b);
	assert_null(map_get(&m, "Alice"));
	assert_null(map_get(&m, ""));
	assert_int_equal(m.n, 2);
	/* Replacing keeps one entry. */
	map_put(&m, "alice", &c);
	assert_ptr_equal(map_get(&m, "alice"), &c);
	assert_int_equal(m.n, 2);
	/* Keys are copied: the caller's buffer may change. */
	snprintf(key, sizeof(key), "carol");
	map_put(&m, key, &a);
	key[0] = 'X';
	assert_ptr_equal(map_get(&m, "carol"), &a);
	assert_null(map_get(&m, key));
	/* The empty string is a key like any other. */
	map_put(&m, "", &b);
	assert_ptr_equal(map_get(&m, ""), &b);
	map_release(&m, NULL);
	assert_int_equal(m.n, 0);
	assert_null(map_get(&m, "alice"));
}

static void map_many_keys(void **state)
{
	struct map m;
	char key[32];
	long i;

	(void)state;
	map_init(&m);
	freed = 0;
	/* Enough to grow many times; every value is its own allocation. */
	for (i = 0; i < 20000; i++) {
		long *v = xmalloc(sizeof(*v));

		*v = i;
		snprintf(key, sizeof(key), "user%ld@example.com", i);
		map_put(&m, key, v);
	}
	assert_int_equal(m.n, 20000);
	assert_true(m.cap >= m.n);
	for (i = 0; i < 20000; i++) {
		long *v;

		snprintf(key, sizeof(key), "user%ld@example.com", i);
		v = map_get(&m, key);
		assert_non_null(v);
		assert_int_equal(*v, i);
	}
	assert_null(map_get(&m, "user20000@example.com"));
	map_release(&m, count_free);
	assert_int_equal(freed, 20000);
	assert_int_equal(m.n, 0);
	assert_int_equal(m.cap, 0);
	/* Usable again after release. */
	map_put(&m, "again", &freed);
	assert_ptr_equal(map_get(&m, "again"), &freed);
	map_release(&m, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(write_atomic, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(read_file, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(private_files, setup_warn,
						fixture_teardown),
		cmocka_unit_test(numbers),
		cmocka_unit_test(small_helpers),
		cmocka_unit_test(map_put_get_replace),
		cmocka_unit_test(map_many_keys),
	};

	return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}

/*
 * The fixture the unit tests share through cmocka's setup and teardown
 * functions: a temporary directory, an HMAC key with fixed bytes (and its
 * key file), a database created in the directory, a config naming both,
 * the intake rules built from them, the log level, and a way to capture
 * what the code under test prints. A test file's setup builds what it
 * needs with fixture_new() and the fixture_with_*() steps and hands the
 * struct fixture to its tests through `void **state`; fixture_free()
 * removes the directory and everything in it.
 *
 * Every function here is static inline, so a test file that does not use
 * one gets no unused-function warning.
 *
 * The Makefile builds each test from its .c file alone: after editing
 * this header, remove build/tests/ so the tests are rebuilt.
 */
#ifndef ERASECTL_TEST_FIXTURE_H
#define ERASECTL_TEST_FIXTURE_H

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "digest.h"
#include "intake.h"
#include "log.h"
#include "util.h"

/* 2026-11-25T12:00:00Z: the tests' "now" (intake rules, reports). */
#define FIXTURE_NOW ((time_t)1795608000)
/* Every byte of the fixture's HMAC key. */
#define FIXTURE_KEY_BYTE 7

struct fixture {
	char dir[64];			/* removed with its contents */
	struct buf db_path;		/* <dir>/erasectl.db */
	struct buf key_path;		/* <dir>/erasectl.key */
	sqlite3 *db;			/* fixture_with_db() */
	struct hmac_key key;		/* FIXTURE_KEY_BYTE x 32 */
	struct config cfg;		/* db and hmac_key_file set */
	struct strvec products;		/* rules.products: empty = any */
	struct intake_rules rules;	/* key, FIXTURE_NOW, products */
	int saved_stderr;		/* while capturing, else -1 */
	struct buf err_path;
	void *data;			/* a test file's own state */
};

/* <dir>/name into out. */
static inline void fixture_path(const struct fixture *f, const char *name,
				struct buf *out)
{
	buf_reset(out);
	buf_addf(out, "%s/%s", f->dir, name);
}

/*
 * A fixture with its directory, key bytes, config and rules (no files yet
 * but the directory), at log level `level`. NULL when the directory cannot
 * be made.
 */
static inline struct fixture *fixture_new(enum log_level level)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/erasectl-unit.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return NULL;
	}
	buf_init(&f->db_path);
	buf_init(&f->key_path);
	buf_init(&f->err_path);
	fixture_path(f, "erasectl.db", &f->db_path);
	fixture_path(f, "erasectl.key", &f->key_path);
	fixture_path(f, "stderr", &f->err_path);
	memset(f->key.bytes, FIXTURE_KEY_BYTE, sizeof(f->key.bytes));
	config_init(&f->cfg);
	free(f->cfg.db);
	f->cfg.db = xstrdup(f->db_path.buf);
	free(f->cfg.hmac_key_file);
	f->cfg.hmac_key_file = xstrdup(f->key_path.buf);
	strvec_init(&f->products);
	f->rules.key = &f->key;
	f->rules.now = FIXTURE_NOW;
	f->rules.products = &f->products;
	f->saved_stderr = -1;
	log_setup(level, 0);
	return f;
}

/* Writes the key file (mode 0600) holding f->key. */
static inline int fixture_with_key(struct fixture *f)
{
	return util_write_atomic(f->key_path.buf, f->key.bytes,
				 sizeof(f->key.bytes), 0600);
}

/* Creates and migrates the database. */
static inline int fixture_with_db(struct fixture *f)
{
	return db_open(&f->db, f->db_path.buf, DB_OPEN_CREATE);
}

/* Sends everything written to stderr to <dir>/stderr until restored. */
static inline int fixture_capture_stderr(struct fixture *f)
{
	int fd;

	if (f->saved_stderr >= 0)
		return 0;
	fflush(stderr);
	fd = open(f->err_path.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -1;
	f->saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
	return 0;
}

static inline void fixture_restore_stderr(struct fixture *f)
{
	if (f->saved_stderr < 0)
		return;
	fflush(stderr);
	dup2(f->saved_stderr, 2);
	close(f->saved_stderr);
	f->saved_stderr = -1;
}

/* What was captured so far (appended to out); the capture goes on. */
static inline void fixture_stderr(struct fixture *f, struct buf *out)
{
	fflush(stderr);
	if (util_read_file(f->err_path.buf, "captured stderr", 1 << 24, out))
		buf_adds(out, "(cannot read the captured stderr)");
}

/* Forgets what was captured so far. */
static inline void fixture_stderr_reset(struct fixture *f)
{
	fflush(stderr);
	if (f->saved_stderr >= 0 && ftruncate(2, 0) == 0)
		lseek(2, 0, SEEK_SET);
}

static inline int fixture_rm_entry(const char *path, const struct stat *st,
				   int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static inline void fixture_free(struct fixture *f)
{
	if (!f)
		return;
	fixture_restore_stderr(f);
	db_close(f->db);
	config_release(&f->cfg);
	strvec_clear(&f->products);
	hmac_key_wipe(&f->key);
	if (!getenv("KEEP"))
		nftw(f->dir, fixture_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	else
		fprintf(stderr, "# kept %s\n", f->dir);
	buf_release(&f->db_path);
	buf_release(&f->key_path);
	buf_release(&f->err_path);
	free(f);
}

/* cmocka setup/teardown: directory and key file. */
static inline int fixture_setup(void **state)
{
	struct fixture *f = fixture_new(LOG_ERROR);

	if (!f || fixture_with_key(f)) {
		fixture_free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* cmocka setup: directory, key file and a new database. */
static inline int fixture_setup_db(void **state)
{
	struct fixture *f = fixture_new(LOG_ERROR);

	if (!f || fixture_with_key(f) || fixture_with_db(f)) {
		fixture_free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* Also right after a failed setup (cmocka runs it; *state is NULL). */
static inline int fixture_teardown(void **state)
{
	fixture_free(*state);
	*state = NULL;
	return 0;
}

/* Runs one SQL statement (or several) that must succeed. */
#define fixture_exec(f, sql) assert_int_equal(db_exec((f)->db, (sql)), 0)

/* The integer the first row of sql gives (-1 when no row). */
static inline long fixture_count(const struct fixture *f, const char *sql)
{
	sqlite3_stmt *st;
	long n = -1;

	if (db_prepare(f->db, &st, sql))
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

#endif

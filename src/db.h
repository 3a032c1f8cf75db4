#ifndef ERASECTL_DB_H
#define ERASECTL_DB_H
/*
 * db: the SQLite database. Opening it with the pragmas the tool relies on
 * (WAL, secure_delete, foreign keys, busy timeout, synchronous=FULL), the
 * schema migrations compiled in from sql/, transactions, prepared
 * statements kept for a connection's lifetime, and the run lock.
 *
 * A database that stays busy (another process holds the write lock past
 * the busy timeout) is not an integrity failure: db_busy() says so, and
 * commands then exit with EXIT_LOCKED.
 */
#include <sqlite3.h>

#include "buf.h"

/* The schema version this binary writes; see sql/NNN_*.sql. */
int db_schema_version(void);

enum db_open_mode {
	DB_OPEN_EXISTING,	/* must exist and be fully migrated */
	DB_OPEN_CREATE,		/* init: create (mode 0600) and migrate */
	DB_OPEN_READONLY,	/* auditor commands: no writes */
};

/*
 * Opens path; on error prints why and returns -1 with *out = NULL. Warns
 * when the file is accessible by others (it holds pending emails).
 */
int db_open(sqlite3 **out, const char *path, enum db_open_mode mode);
/* Finalizes the kept statements and closes db (NULL is harmless). */
void db_close(sqlite3 *db);
/* Applies every migration newer than PRAGMA user_version. */
int db_migrate(sqlite3 *db, int *applied);

int db_exec(sqlite3 *db, const char *sql);
/*
 * Sets this connection's page cache to mib MiB: large writes (enqueue's
 * rows, a run's window of ledger entries) otherwise spill index pages to
 * the WAL and read them back.
 */
int db_cache_mib(sqlite3 *db, int mib);
int db_prepare(sqlite3 *db, sqlite3_stmt **st, const char *sql);
/*
 * A statement prepared once per connection and kept until db_close, for
 * hot paths (the ledger append). slot names it: one of DB_STMT_*.
 * Returns NULL after an error. The statement is reset before it is
 * returned.
 */
enum db_stmt_slot {
	DB_STMT_LEDGER_HEAD,
	DB_STMT_LEDGER_INSERT,
	DB_STMT_COVERAGE,
	DB_STMT_APPROVAL,
	DB_STMT_PEOPLE,
	DB_STMT_QUEUE_GET,
	DB_STMT_SUBJECT_HELD,
	DB_STMT_HISTORY,
	/* queue_transition: one per target state (queue.h, Q_NSTATUS). */
	DB_STMT_TRANSITION,
	DB_NSTMT = DB_STMT_TRANSITION + 8,
};
sqlite3_stmt *db_kept(sqlite3 *db, enum db_stmt_slot slot, const char *sql);
/*
 * Binds s as text, or SQL NULL when s is NULL. s is not copied: it must
 * stay valid until the statement is stepped and reset.
 */
void db_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Steps a statement expected to finish (or give a row); -1 on error. */
int db_step(sqlite3 *db, sqlite3_stmt *st);
/* Reports a failed sqlite3 call on db: "database error: ...". */
int db_fail(sqlite3 *db);

/* How long a statement waits for another connection's lock. */
#define DB_BUSY_TIMEOUT_MS 10000

/* BEGIN IMMEDIATE: takes the write lock up front (waits busy_timeout). */
int db_begin(sqlite3 *db);
int db_commit(sqlite3 *db);
/* Rolls back if a transaction is open; never prints on success. */
void db_rollback(sqlite3 *db);
/*
 * Checkpoints and truncates the WAL so deleted content leaves the files.
 * Returns 0, 1 when another connection's reader prevents it now (nothing
 * printed: the next truncation does it), or -1.
 */
int db_checkpoint_truncate(sqlite3 *db);
/* Returns a malloc'd copy of a column's text, or NULL for SQL NULL. */
char *db_column_strdup(sqlite3_stmt *st, int col);
/*
 * The same, scrubbed of email addresses and secrets (log_redact): for
 * free text that came from outside and goes into a report.
 */
char *db_column_redacted(sqlite3_stmt *st, int col);

/*
 * The meta table: settings the database keeps with its evidence. db_meta_get
 * fills out (empty when the key is absent); returns 0 or -1.
 */
int db_meta_get(sqlite3 *db, const char *key, struct buf *out);
int db_meta_set(sqlite3 *db, const char *key, const char *value);

/* 1 when the last database error was the database staying busy. */
int db_busy(void);

/*
 * The run lock: one run or erase at a time per database. It is an flock
 * on the database file itself, so every path that names the file (a
 * symlink, a hard link, a relative path) meets the same lock, and the
 * kernel drops it when its holder dies. Returns 0 with *fd held, 1 when
 * another process holds it (after saying so), -1 after an error.
 * db_unlock must come after db_close of every connection to the file:
 * closing a descriptor of the file drops SQLite's own locks on it.
 */
int db_lock(const char *path, int *fd);
void db_unlock(int fd);

#endif

#ifndef ERASECTL_DB_H
#define ERASECTL_DB_H
/*
 * db: opening the SQLite database with the pragmas the tool relies on
 * (WAL, secure_delete, foreign keys, busy timeout, synchronous=FULL), the
 * schema migrations compiled in from sql/, and transaction helpers.
 */
#include <sqlite3.h>

/* The schema version this binary writes; see sql/NNN_*.sql. */
int db_schema_version(void);

enum db_open_mode {
	DB_OPEN_EXISTING,	/* must exist and be fully migrated */
	DB_OPEN_CREATE,		/* init: create and migrate */
	DB_OPEN_READONLY,	/* auditor commands: no writes */
};

/* Opens path; on error prints why and returns -1 with *out = NULL. */
int db_open(sqlite3 **out, const char *path, enum db_open_mode mode);
void db_close(sqlite3 *db);
/* Applies every migration newer than PRAGMA user_version. */
int db_migrate(sqlite3 *db, int *applied);

int db_exec(sqlite3 *db, const char *sql);
int db_prepare(sqlite3 *db, sqlite3_stmt **st, const char *sql);
/* BEGIN IMMEDIATE: takes the write lock up front (waits busy_timeout). */
int db_begin(sqlite3 *db);
int db_commit(sqlite3 *db);
/* Rolls back if a transaction is open; never prints on success. */
void db_rollback(sqlite3 *db);
/* Checkpoints and truncates the WAL so deleted content leaves the files. */
int db_checkpoint_truncate(sqlite3 *db);
/* Returns a malloc'd copy of a column's text, or NULL for SQL NULL. */
char *db_column_strdup(sqlite3_stmt *st, int col);

#endif

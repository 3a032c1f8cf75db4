#ifndef ERASECTL_QUEUE_H
#define ERASECTL_QUEUE_H
/*
 * queue: the erasure_queue table (sql/001_init.sql) and every state
 * transition a request can make. Nothing else writes erasure_queue.status.
 *
 *   pending  -> running (claimed by a run), held, rejected
 *   failed   -> running, held
 *   running  -> done, failed, pending (run interrupted; reclaimed)
 *   held     -> pending (release)
 *   done, rejected: final
 *
 * Reaching done or rejected sets subject_email to NULL: the plaintext email
 * leaves the database; the subject stays only as subject_ref.
 */
#include <stddef.h>
#include <sqlite3.h>

#include "digest.h"

enum queue_status {
	Q_PENDING,
	Q_RUNNING,
	Q_DONE,
	Q_FAILED,
	Q_HELD,
	Q_REJECTED,
	Q_NSTATUS,
};

const char *queue_status_name(enum queue_status s);
/* Returns -1 for an unknown name. */
int queue_status_parse(const char *name);
/* 1 when from -> to is allowed by the table above. */
int queue_transition_allowed(enum queue_status from, enum queue_status to);

/* One row; strings are owned (queue_request_release frees them). */
struct queue_request {
	char *request_id;
	char *subject_email;	/* normalized, or NULL */
	char *device_id;
	char *product;
	char *received_at;
	char *source;
	char *subject_ref;
	enum queue_status status;
	char *outcome;		/* erased | not_found | NULL */
	int attempts;
	char *last_error;
	char *hold_reason;
	int extension_months;
	char *extension_reason;
	char *queued_at;
	char *updated_at;
	char *completed_at;
};

void queue_request_init(struct queue_request *r);
void queue_request_release(struct queue_request *r);

struct queue_list {
	struct queue_request *v;
	size_t n, alloc;
};
void queue_list_init(struct queue_list *l);
void queue_list_release(struct queue_list *l);
/* Appends an initialized request and returns it. */
struct queue_request *queue_list_push(struct queue_list *l);

enum queue_add_result {
	QUEUE_ADDED = 0,
	QUEUE_DUPLICATE = 1,	/* same id, same subject: no-op */
	QUEUE_CONFLICT = 2,	/* queue_adder only: same id, other subject */
};

/*
 * Inserts r (status pending) inside the caller's transaction. Returns
 * QUEUE_ADDED, QUEUE_DUPLICATE, or -1 after an error (an id already queued
 * for another subject is an error that names the id, never the email).
 */
int queue_add(sqlite3 *db, const struct queue_request *r);

/*
 * A batch of queue_add with its statements prepared once (enqueue of
 * 100,000 rows). queue_adder_add returns QUEUE_ADDED, QUEUE_DUPLICATE,
 * QUEUE_CONFLICT (no message: the caller names file and line), or -1.
 */
struct queue_adder {
	sqlite3 *db;
	sqlite3_stmt *find, *insert, *open_ref;
};
int queue_adder_init(struct queue_adder *a, sqlite3 *db);
int queue_adder_add(struct queue_adder *a, const struct queue_request *r);
/*
 * 1 when an unfinished request (pending, running, failed, held) for r's
 * subject_ref and device exists: a row without a request id that matches
 * one is a re-import, counted as a duplicate. 0 when none, -1 on error.
 */
int queue_adder_has_open(struct queue_adder *a, const struct queue_request *r);
void queue_adder_release(struct queue_adder *a);

/*
 * Moves request_id to `to` and writes its ledger entry (event, with reason
 * as the detail) in one transaction, when its current state is one of
 * allowed_from (a mask of 1 << enum queue_status). Returns 0, or
 * QUEUE_NO_SUCH / QUEUE_NOT_ALLOWED (no message; *from says the state
 * found), or -1 after a database error.
 */
enum { QUEUE_NO_SUCH = 1, QUEUE_NOT_ALLOWED = 2 };
int queue_change_logged(sqlite3 *db, const char *request_id,
			unsigned allowed_from, enum queue_status to,
			const char *event, const char *reason,
			enum queue_status *from);

/*
 * Appends a ledger entry about request_id (target_kind "request") inside
 * the caller's transaction: enqueued (detail = source kind), hold,
 * release, extend, rejected (detail = the reason). subject_ref may be NULL.
 */
int queue_ledger_event(sqlite3 *db, const char *request_id,
		       const char *subject_ref, const char *event,
		       const char *detail);

/* Loads one request; returns 1 when not found (no message), -1 on error. */
int queue_get(sqlite3 *db, const char *request_id, struct queue_request *out);

/*
 * Lists requests (optionally only one status: pass -1 for all), ordered by
 * received_at, request_id. limit 0 means no limit.
 */
int queue_list(sqlite3 *db, int status, long limit, struct queue_list *out);

/* Counts per status, indexed by enum queue_status. */
int queue_counts(sqlite3 *db, long counts[Q_NSTATUS]);

/*
 * Moves request_id from any state allowed to reach `to`; sets updated_at,
 * and for done/rejected completed_at and subject_email = NULL. extra is
 * the outcome (done), the error (failed) or the reason (held, rejected).
 * Returns -1 with a message naming the id and both states if not allowed.
 */
int queue_transition(sqlite3 *db, const char *request_id,
		     enum queue_status to, const char *extra);

/*
 * Fills subject_ref for rows inserted by upstream systems (email present,
 * ref missing) and normalizes their email, device id and received_at; each
 * such row gets its "enqueued" ledger entry (detail "upstream"). A pending
 * row whose values fail validation becomes rejected (ledger "rejected",
 * the reason in detail). Runs in the caller's transaction if one is open,
 * else in its own. Returns the count of rows handled, or -1.
 */
int queue_fill_subject_refs(sqlite3 *db, const struct hmac_key *key);

/*
 * Claims for one run in a single statement, without loading the rows: the
 * first limit (0: all) requests in pending or failed, by received_at and
 * request_id, move to running with attempts incremented. Rows left running
 * by a crashed run (the caller holds the run lock) go back to pending
 * first and are claimed in the same order, so afterwards exactly the rows
 * of this claim are running. Rows with an email but no subject_ref yet are
 * skipped (call queue_fill_subject_refs first). *count gets the number
 * claimed. Runs in the caller's transaction if one is open, else in its
 * own.
 */
int queue_claim_all(sqlite3 *db, long limit, long *count);

/*
 * Loads the next at most n rows after the key (after_at, after_id) in
 * received_at, request_id order (after_at NULL: from the start): rows in
 * running when claimed is 1 (a run's windows), else the rows a run would
 * claim, pending, failed or running (a dry run, which claims nothing).
 */
int queue_next_window(sqlite3 *db, int claimed, const char *after_at,
		      const char *after_id, long n, struct queue_list *out);

/*
 * Records the subject a device-id request resolved to (normalized email and
 * its subject_ref) on a running request that has none yet, so that a retry
 * finds the same subject; the email is cleared again when it is done.
 */
int queue_set_subject(sqlite3 *db, const char *request_id, const char *email,
		      const char *subject_ref);

/*
 * Records an extension (total at most 2 months) with its reason; refused
 * for done and rejected requests. Does not write the ledger.
 */
int queue_extend(sqlite3 *db, const char *request_id, int months,
		 const char *reason);

/* Finds requests by subject_ref (lookup); ordered by received_at. */
int queue_find_by_ref(sqlite3 *db, const char *subject_ref,
		      struct queue_list *out);
/*
 * Same, plus rows upstream systems inserted whose subject_ref is not
 * filled yet, matched by normalized email (only compared, never kept).
 */
int queue_find_by_subject(sqlite3 *db, const char *subject_ref,
			  const char *normalized_email,
			  struct queue_list *out);

/*
 * Deadline of a request as "YYYY-MM-DD": received + one calendar month
 * (same day next month, or its last day) + extension months, or received +
 * deadline_days (+ extension months) when deadline_days > 0.
 */
int queue_deadline(const char *received_at, long deadline_days,
		   int extension_months, char out[11]);

#endif

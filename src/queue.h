#ifndef ERASECTL_QUEUE_H
#define ERASECTL_QUEUE_H
/*
 * queue: the erasure_queue table (sql/) and every state transition a
 * request can make. Nothing else writes erasure_queue.status. The queue is
 * working state; the evidence of what happened is the ledger.
 *
 *   awaiting_approval -> pending (approve), rejected (deny)
 *   pending  -> running (claimed by a run), held, rejected
 *   failed   -> running, held
 *   running  -> done, failed, pending (run interrupted or skipped)
 *   held     -> pending (release)
 *   done, rejected: final
 *
 * Reaching done or rejected clears subject_email and subject_customer: the
 * plaintext identity leaves the database; the subject stays only as
 * subject_ref.
 */
#include <stddef.h>
#include <sqlite3.h>

#include "buf.h"
#include "civil.h"

enum queue_status {
	Q_PENDING,
	Q_RUNNING,
	Q_DONE,
	Q_FAILED,
	Q_HELD,
	Q_REJECTED,
	Q_AWAITING,	/* awaiting_approval */
	Q_NSTATUS,
};

const char *queue_status_name(enum queue_status s);
/* Returns -1 for an unknown name. */
int queue_status_parse(const char *name);
/* 1 when from -> to is allowed by the table above. */
int queue_transition_allowed(enum queue_status from, enum queue_status to);
/* What the state means for the deadline (civil.h). */
enum deadline_clock queue_status_clock(enum queue_status s);

/* One row; strings are owned (queue_request_release frees them). */
struct queue_request {
	char *request_id;
	char *subject_email;	/* normalized, or NULL */
	char *subject_customer;	/* exact customer username, or NULL */
	char *device_id;
	char *product;
	char *received_at;
	char *source;
	char *subject_ref;
	enum queue_status status;
	char *outcome;		/* erased | not_found | erased_with_residue */
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
/* The identity a request names (email or customer), or NULL. */
const char *queue_identity(const struct queue_request *r);

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
 * Inserts r inside the caller's transaction; r->status says the state it
 * starts in (pending, or awaiting_approval). Returns QUEUE_ADDED,
 * QUEUE_DUPLICATE, or -1 after an error (an id already queued for another
 * subject is an error naming the id, never the subject).
 */
int queue_add(sqlite3 *db, const struct queue_request *r);

/*
 * The ledger entries of a request that entered the queue (r as stored):
 * "enqueued" (detail kind: csv, opendsr, erase, upstream, sweep;
 * target_id link, the request it follows up, or NULL), then
 * "awaiting_approval" when it waits for one. In the caller's transaction.
 */
int queue_record_enqueued(sqlite3 *db, const struct queue_request *r,
			  const char *kind, const char *link);

/*
 * Requests checked before any is written (enqueue of 100,000 rows): each
 * is staged in a temporary table and classified against the queue and
 * the rows staged before it; only then are they moved into erasure_queue
 * in short transactions, so a slow input never holds the database's write
 * lock. queue_stage_add returns QUEUE_ADDED (staged), QUEUE_DUPLICATE (the
 * same id for the same subject, or a row without its own id whose subject
 * already has an unfinished request: a re-import), QUEUE_CONFLICT (the
 * same id for another subject; no message: the caller names file and
 * line), or -1.
 */
struct queue_stage {
	sqlite3 *db;
	sqlite3_stmt *find[2], *open[2], *insert;
	long staged;
	enum queue_status initial;	/* pending (init), or awaiting */
};
int queue_stage_init(struct queue_stage *s, sqlite3 *db);
int queue_stage_add(struct queue_stage *s, const struct queue_request *r,
		    int generated_id);
/* Ends the staging (its read of the queue); before queue_stage_commit. */
int queue_stage_done(struct queue_stage *s);
/*
 * Moves the staged rows, in input order, into the queue: batch rows per
 * transaction, each with its "enqueued" ledger entry (detail kind).
 * *queued counts them; a row another writer queued meanwhile counts in
 * *duplicates, or is an error naming its id when it names another subject
 * (the batches before it stay queued). Returns 0, 1 after that error, or
 * -1 on a database error.
 */
int queue_stage_commit(struct queue_stage *s, long batch, const char *kind,
		       long *queued, long *duplicates);
void queue_stage_release(struct queue_stage *s);

/*
 * Moves request_id to `to` and writes its ledger entry (event, with reason
 * as the detail) in one transaction, when its current state is one of
 * allowed_from (a mask of 1 << enum queue_status). Returns 0, or
 * QUEUE_NO_SUCH / QUEUE_NOT_ALLOWED (no message; *from says the state
 * found), or -1 after a database error. check, when not NULL, is called
 * with the row inside the transaction and may refuse (return non-zero:
 * its value is returned, nothing is changed).
 */
enum { QUEUE_NO_SUCH = 1, QUEUE_NOT_ALLOWED = 2 };
typedef int (*queue_check_fn)(sqlite3 *db, const struct queue_request *r,
			      void *ctx);
int queue_change_logged(sqlite3 *db, const char *request_id,
			unsigned allowed_from, enum queue_status to,
			const char *event, const char *reason,
			queue_check_fn check, void *ctx,
			enum queue_status *from);

/*
 * Appends a ledger entry about request_id (target_kind "request",
 * target_id may be NULL) inside the caller's transaction: enqueued (detail
 * = source kind), hold, release, extend, rejected, approved, denied
 * (detail = the reason). subject_ref may be NULL.
 */
int queue_ledger_event(sqlite3 *db, const char *request_id,
		       const char *subject_ref, const char *event,
		       const char *target_id, const char *detail);

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
 * and for done/rejected completed_at and clears the plaintext subject.
 * extra is the outcome (done), the error (failed) or the reason (held,
 * rejected). Returns -1 with a message naming the id and both states if
 * not allowed.
 */
int queue_transition(sqlite3 *db, const char *request_id,
		     enum queue_status to, const char *extra);

/*
 * Rows that have no "enqueued" ledger entry yet: rows upstream systems
 * INSERTed, in received_at order (intake validates and records them).
 */
int queue_list_unrecorded(sqlite3 *db, struct queue_list *out);
/*
 * Stores an unrecorded row as intake recorded it: the normalized subject,
 * device, received_at, subject_ref and its state, r->status: pending or
 * awaiting_approval, or rejected with reason (which clears the plaintext
 * subject and sets completed_at). Whatever state the row was INSERTed in
 * is replaced: it was never one erasectl gave it.
 */
int queue_store_recorded(sqlite3 *db, const struct queue_request *r,
			 const char *reason);

/*
 * Claims for one run in a single statement, without loading the rows: the
 * first limit (0: all) requests in pending or failed, by received_at and
 * request_id, move to running with attempts incremented. Rows left running
 * by a crashed run (the caller holds the run lock) go back to pending
 * first and are claimed in the same order, so afterwards exactly the rows
 * of this claim are running. Not claimed: rows whose subject_ref has a
 * held request (a hold protects the person, not only one request), and
 * rows with an identity but no subject_ref yet (upstream rows intake has
 * not recorded). *count gets the number claimed; on_held is called for
 * each row left for a hold, with the held request's id. Runs in the
 * caller's transaction if one is open, else in its own.
 */
typedef void (*queue_held_fn)(const char *request_id, const char *held_by,
			      void *ctx);
int queue_claim_all(sqlite3 *db, long limit, long *count,
		    queue_held_fn on_held, void *ctx);

/* The number of rows queue_claim_all would claim without a limit. */
int queue_count_claimable(sqlite3 *db, long *count);

/*
 * Loads the next at most n rows after the key (after_at, after_id) in
 * received_at, request_id order (after_at NULL: from the start): rows in
 * running when claimed is 1 (a run's windows), else the rows a run would
 * claim, pending, failed or running (a dry run, which claims nothing).
 */
int queue_next_window(sqlite3 *db, int claimed, const char *after_at,
		      const char *after_id, long n, struct queue_list *out);

/*
 * Records the subject a device-id request resolved to (its username, as
 * an email or a customer, and its subject_ref) on a running request that
 * has none yet, so that a retry finds the same subject; it is cleared
 * again when the request is finished.
 */
int queue_set_subject(sqlite3 *db, const char *request_id, const char *email,
		      const char *customer, const char *subject_ref);

/*
 * The id of a held request for subject_ref other than request_id, into
 * held (empty when there is none). Returns 0 or -1.
 */
int queue_subject_held(sqlite3 *db, const char *subject_ref,
		       const char *request_id, struct buf *held);

/*
 * Records an extension (total at most 2 months) with its reason; refused
 * for done and rejected requests. Does not write the ledger.
 */
int queue_extend(sqlite3 *db, const char *request_id, int months,
		 const char *reason);

/* Finds requests by subject_ref; ordered by received_at. */
int queue_find_by_ref(sqlite3 *db, const char *subject_ref,
		      struct queue_list *out);
/*
 * Same, plus rows upstream systems inserted whose subject_ref is not
 * filled yet, matched by identity (only compared, never kept): the email
 * normalized, or the customer exactly.
 */
int queue_find_by_subject(sqlite3 *db, const char *subject_ref,
			  const char *email, const char *customer,
			  struct queue_list *out);

#endif

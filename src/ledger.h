#ifndef ERASECTL_LEDGER_H
#define ERASECTL_LEDGER_H
/*
 * ledger: the append-only, hash-chained evidence table (sql/001_init.sql),
 * its verification, RFC 6962 Merkle roots and checkpoints.
 *
 * Canonical encoding of an entry (what `hash` covers), documented for
 * auditors who verify independently:
 *
 *   hash = hex(SHA-256(prev_hash || enc))
 *   enc  = netstring(seq) netstring(ts) netstring(request_id)
 *          netstring(subject_ref) netstring(event) netstring(target_kind)
 *          netstring(target_id) netstring(method) netstring(path)
 *          netstring(status) netstring(body_sha256) netstring(detail)
 *          netstring(operator)
 *   netstring(x) = decimal byte length of x, ':', x, ','
 *
 * where prev_hash is the previous entry's hash as 64 lower-case hex chars
 * (64 '0' for the first entry), seq and status are decimal, and every other
 * field is the exact UTF-8 text stored. Merkle leaves are the 32 raw bytes of
 * each entry's hash, in seq order (RFC 6962: leaf = SHA-256(0x00 || leaf),
 * node = SHA-256(0x01 || left || right)).
 */
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "buf.h"
#include "digest.h"

/* Event kinds written by the engine and the queue commands. */
#define LEDGER_EV_ENQUEUED "enqueued"
#define LEDGER_EV_PLAN "plan"
#define LEDGER_EV_RESULT "result"
#define LEDGER_EV_VERIFY "verify"
#define LEDGER_EV_DONE "done"
#define LEDGER_EV_FAILED "failed"
#define LEDGER_EV_HOLD "hold"
#define LEDGER_EV_RELEASE "release"
#define LEDGER_EV_EXTEND "extend"
#define LEDGER_EV_REJECTED "rejected"
#define LEDGER_EV_REDISCOVERED "rediscovered"
#define LEDGER_EV_AWAITING "awaiting_approval"
#define LEDGER_EV_APPROVED "approved"
#define LEDGER_EV_DENIED "denied"
#define LEDGER_EV_COVERAGE "coverage"
#define LEDGER_EV_REAPPEARED "reappeared"

/*
 * Conventions the engine writes and report/receipt read (no PII anywhere):
 * - "enqueued": detail = source kind (csv, opendsr, erase, upstream).
 * - "plan": one entry per planned action, before any destructive call of
 *   that attempt; target_kind/target_id/method/path name the call and
 *   detail = the action name (below).
 * - "result": one entry per finished call; status = HTTP status (0 when
 *   none), body_sha256 of the response, detail = "<action>:<outcome>" with
 *   outcome ok | already_absent | skipped_done | error, or gone (no call
 *   made: an earlier attempt planned it and this attempt's discovery
 *   shows its object gone).
 * - "rediscovered": a device or customer an earlier attempt released or
 *   deleted is the subject's again (re-claimed, re-created): planned anew;
 *   detail says so.
 *   Also: pending (a SIM release or configuration reset answered 202),
 *   unavailable (a device function answered 404: offline, or not
 *   exposed), refused (a 400, or a function that returned < 0), and
 *   residual (unavailable or refused on or after the deadline: given up,
 *   the store is left, see coverage.h).
 * - "verify": target customer, device, sim, ledger_instance or
 *   device_config, detail = "ok", "mismatch", "pending" (a SIM release or
 *   configuration reset still in progress) or "residual" (still pending
 *   on or after the deadline: accepted only by a done
 *   "erased_with_residue").
 * - "coverage": one per store when a request is done; target_kind
 *   "store", target_id the store, detail "<result>: <reason>"
 *   (coverage.h).
 * - "done": detail = erased | erased_with_residue | not_found. "failed":
 *   detail = short reason.
 * - "hold"/"release"/"extend"/"rejected": detail = the reason given (the
 *   operator's words; operators are told not to put personal data there).
 * Action names: call_function, clear_fields, delete_ledger_instance,
 * reset_config, unclaim, remove, sim_deactivate, sim_release,
 * delete_customer.
 * target_kind values: customer, device, sim, ledger_instance,
 * device_config, store, request.
 */
#define LEDGER_ACT_CALL_FUNCTION "call_function"
#define LEDGER_ACT_CLEAR_FIELDS "clear_fields"
#define LEDGER_ACT_RESET_CONFIG "reset_config"
#define LEDGER_ACT_DELETE_LEDGER "delete_ledger_instance"
#define LEDGER_ACT_UNCLAIM "unclaim"
#define LEDGER_ACT_REMOVE "remove"
#define LEDGER_ACT_SIM_DEACTIVATE "sim_deactivate"
#define LEDGER_ACT_SIM_RELEASE "sim_release"
#define LEDGER_ACT_DELETE_CUSTOMER "delete_customer"

/*
 * 1 when a result outcome finished its action (ok, already_absent, gone,
 * skipped_done, neutral_name, residual): no later attempt makes the call
 * again. The one definition for the planner, coverage, residual and
 * report.
 */
int ledger_outcome_finished(const char *outcome);
/* 1 when a result detail is "<action>:<outcome>" with a finished outcome. */
int ledger_result_finished(const char *detail, const char *action);
/* 1 when a result detail ended a device's chain (unclaim or remove). */
int ledger_result_released(const char *detail);

/*
 * One entry. On append the caller fills the borrowed strings (NULL means
 * empty); ledger_append fills seq, ts, operator (if NULL), prev_hash, hash.
 */
struct ledger_entry {
	int64_t seq;
	char ts[32];			/* UTC, 2026-11-25T17:38:03.123Z */
	const char *request_id;
	const char *subject_ref;
	const char *event;
	const char *target_kind;	/* customer, device, sim, ledger_instance */
	const char *target_id;
	const char *method;
	const char *path;		/* subject replaced by {subject} */
	int status;
	const char *body_sha256;
	const char *detail;		/* short, no PII: e.g. already_absent */
	const char *operator_name;
	char prev_hash[SHA256_HEX_LEN + 1];
	char hash[SHA256_HEX_LEN + 1];
};

/*
 * Appends e inside the caller's transaction (db_begin/db_commit); the
 * chain head is read inside that transaction, so appends serialize. Called
 * outside a transaction, it opens and commits its own (BEGIN IMMEDIATE).
 * Fills seq, ts (UTC with milliseconds, never earlier than the previous
 * entry's ts: a clock stepping back cannot reorder the ledger), operator
 * (the effective OS user, looked up once per process) when operator_name
 * is NULL, prev_hash and hash. Refuses (-1) a field that holds an
 * email-shaped string: the ledger never stores personal data.
 *
 * An OS login shaped like an email keeps only its local part.
 *
 * Its two statements are kept for the connection (db_kept); like the one
 * SHA-256 context this module reuses for speed, that makes the module
 * single-threaded, as the tool is.
 */
int ledger_append(sqlite3 *db, struct ledger_entry *e);

/*
 * The effective OS user, as ledger entries name it (looked up once; an
 * email-shaped login keeps only its local part): who enqueued, approved,
 * held a request.
 */
const char *ledger_operator(void);

/* The columns ledger rows are read with: the encoding's order. */
#define LEDGER_COLUMNS "seq, ts, request_id, subject_ref, event, " \
	"target_kind, target_id, method, path, status, body_sha256, " \
	"detail, operator, prev_hash, hash"
/*
 * 1 when a row selected with LEDGER_COLUMNS hashes, from its own
 * prev_hash and fields, to its stored hash.
 */
int ledger_row_hash_ok(sqlite3_stmt *st);

/* Computes e->hash from e->prev_hash and the canonical encoding. */
void ledger_entry_hash(const struct ledger_entry *e,
		       char out[SHA256_HEX_LEN + 1]);
/* Appends the canonical encoding of e to out. */
void ledger_encode(const struct ledger_entry *e, struct buf *out);
/* The current UTC time as 2026-11-25T17:38:03.123Z. */
void ledger_now(char out[32]);

/*
 * Number of entries (the last entry's seq: the same when the chain
 * verifies) and the head hash (64 '0' when empty).
 */
int ledger_head(sqlite3 *db, int64_t *count, char head[SHA256_HEX_LEN + 1]);

/*
 * Recomputes the chain. Returns 0 when every entry matches, 1 when one does
 * not (*bad_seq names the first, reason says why), -1 on a database error.
 * *entries is the number of rows either way.
 */
int ledger_verify(sqlite3 *db, int64_t *entries, int64_t *bad_seq,
		  struct buf *reason);

/*
 * What one pass over the ledger found: the chain check of ledger_verify
 * plus the Merkle root and head over the first `prefix` entries (all of
 * them when prefix < 0 or larger than the ledger; prefix_entries says how
 * many were covered). Streams one SELECT: O(1) memory. Past a bad entry it
 * only counts rows: entries and head are then as stored, unverified.
 */
struct ledger_mark {
	int64_t entries;		/* set by the caller */
	int reached;			/* the scan verified that many */
	unsigned char root[SHA256_LEN];	/* Merkle root of the first entries */
	char head[SHA256_HEX_LEN + 1];	/* hash of entry `entries` */
};

struct ledger_scan {
	int64_t entries;
	char head[SHA256_HEX_LEN + 1];
	int64_t bad_seq;		/* 0 when the chain verified */
	struct buf reason;		/* why bad_seq is bad */
	int64_t prefix_entries;
	unsigned char prefix_root[SHA256_LEN];
	char prefix_head[SHA256_HEX_LEN + 1];
	/*
	 * Optional, set by the caller: more prefixes to take the root and
	 * head of in the same pass, in ascending order of entries (the
	 * checkpoints table's rows, to check each against the ledger).
	 */
	struct ledger_mark *marks;
	size_t nmarks;
	/*
	 * Optional: called with every entry that verified (a row selected
	 * with LEDGER_COLUMNS), in seq order, to replay it in the same pass.
	 */
	void (*on_entry)(void *ctx, sqlite3_stmt *row);
	void *ctx;
};
void ledger_scan_init(struct ledger_scan *s);
void ledger_scan_release(struct ledger_scan *s);
/* Returns 0 verified, 1 a bad entry (see bad_seq), -1 database error. */
int ledger_scan(sqlite3 *db, int64_t prefix, struct ledger_scan *s);

/*
 * RFC 6962 Merkle tree hash, built incrementally: one subtree hash per set
 * bit of the leaf count (at most 64), so a million leaves need no array.
 * MTH({}) = SHA-256(""), leaf = SHA-256(0x00 || d), node = SHA-256(0x01 ||
 * left || right) with the left subtree the largest power of two < n.
 */
struct merkle {
	uint64_t n;
	unsigned char level[64][SHA256_LEN];
};
void merkle_init(struct merkle *m);
/* Adds the leaf whose data is d (len bytes): hashes it as a leaf. */
void merkle_add(struct merkle *m, const void *d, size_t len);
void merkle_root(const struct merkle *m, unsigned char out[SHA256_LEN]);
/* Root over the first n entries' hashes; -1 if the ledger has fewer. */
int ledger_merkle_root(sqlite3 *db, int64_t n, unsigned char out[SHA256_LEN]);

#endif

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
#define LEDGER_EV_INTENT "intent"
#define LEDGER_EV_RESULT "result"
#define LEDGER_EV_VERIFY "verify"
#define LEDGER_EV_DONE "done"
#define LEDGER_EV_FAILED "failed"
#define LEDGER_EV_HOLD "hold"
#define LEDGER_EV_RELEASE "release"
#define LEDGER_EV_EXTEND "extend"
#define LEDGER_EV_REJECTED "rejected"

/*
 * Conventions the engine writes and report/receipt read (no PII anywhere):
 * - "enqueued": detail = source kind (csv, opendsr, erase, upstream).
 * - "plan": one entry per planned action, before any destructive call of
 *   that attempt; target_kind/target_id/method/path name the call and
 *   detail = the action name (below).
 * - "result": one entry per finished call; status = HTTP status (0 when
 *   none), body_sha256 of the response, detail = "<action>:<outcome>" with
 *   outcome ok | already_absent | skipped_done | error.
 * - "verify": target customer/device, detail = "ok" or "mismatch".
 * - "done": detail = erased | not_found. "failed": detail = short reason.
 * - "hold"/"release"/"extend"/"rejected": detail = the reason given (the
 *   operator's words; operators are told not to put personal data there).
 * Action names: clear_fields, delete_ledger_instance, unclaim, remove,
 * sim_deactivate, sim_release, delete_customer.
 * target_kind values: customer, device, sim, ledger_instance, request.
 */
#define LEDGER_ACT_CLEAR_FIELDS "clear_fields"
#define LEDGER_ACT_DELETE_LEDGER "delete_ledger_instance"
#define LEDGER_ACT_UNCLAIM "unclaim"
#define LEDGER_ACT_REMOVE "remove"
#define LEDGER_ACT_SIM_DEACTIVATE "sim_deactivate"
#define LEDGER_ACT_SIM_RELEASE "sim_release"
#define LEDGER_ACT_DELETE_CUSTOMER "delete_customer"

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
 * chain head is read inside that transaction, so appends serialize.
 */
int ledger_append(sqlite3 *db, struct ledger_entry *e);

/* Computes e->hash from e->prev_hash and the canonical encoding. */
void ledger_entry_hash(const struct ledger_entry *e,
		       char out[SHA256_HEX_LEN + 1]);
/* Appends the canonical encoding of e to out. */
void ledger_encode(const struct ledger_entry *e, struct buf *out);

/* Number of entries and the head hash (64 '0' when empty). */
int ledger_head(sqlite3 *db, int64_t *count, char head[SHA256_HEX_LEN + 1]);

/*
 * Recomputes the chain. Returns 0 when every entry matches, 1 when one does
 * not (*bad_seq names the first, reason says why), -1 on a database error.
 */
int ledger_verify(sqlite3 *db, int64_t *entries, int64_t *bad_seq,
		  struct buf *reason);

/* RFC 6962 Merkle tree hash over n 32-byte leaves' data. */
void merkle_root(const unsigned char (*leaves)[SHA256_LEN], size_t n,
		 unsigned char out[SHA256_LEN]);
/* Root over the first n entries' hashes in the ledger. */
int ledger_merkle_root(sqlite3 *db, int64_t n, unsigned char out[SHA256_LEN]);

#endif

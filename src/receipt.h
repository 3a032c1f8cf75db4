#ifndef ERASECTL_RECEIPT_H
#define ERASECTL_RECEIPT_H
/*
 * receipt: the evidence for one request, as text or JSON: what was done
 * and when, the fresh reads that verified it, every ledger entry of the
 * request with its hash recomputed, the whole chain's verification, the
 * latest checkpoint that covers the entries, and the commands that verify
 * it independently. It is a certificate of erasure only when the request
 * is done and the ledger verifies.
 */
#include <stdint.h>
#include <time.h>
#include <sqlite3.h>

#include "buf.h"
#include "checkpoint.h"
#include "digest.h"
#include "evidence.h"

/* One ledger entry of a receipt, with its hash recomputed. */
struct receipt_entry {
	int64_t seq;
	int status;
	int hash_ok;		/* stored hash == recomputed hash */
	char *ts, *event, *target_kind, *target_id, *method, *path,
	     *body_sha256, *detail, *operator_name, *prev_hash, *hash;
};

struct receipt {
	char generated_at[21];
	/*
	 * status, outcome and completed_at are the ledger's (evidence.h);
	 * the queue row's are kept to say where they disagree.
	 */
	char *request_id, *subject_ref, *status, *outcome, *received_at,
	     *completed_at, *extension_reason;
	struct evidence ev;
	int has_row;		/* the queue still has the request */
	int agrees;		/* the queue tells the ledger's story */
	char *disagreement;	/* how it does not, or NULL */
	int extension_months;
	char deadline[11];
	struct receipt_entry *entries;
	size_t nentries, aentries;
	int entries_ok;		/* every entry's hash recomputes */
	int64_t ledger_entries;
	char ledger_head[SHA256_HEX_LEN + 1];
	int ledger_verified;
	int64_t ledger_bad_seq;
	size_t checkpoints_bad;	/* rows that do not match the ledger */
	struct checkpoint_row checkpoint;	/* latest matching, covering */
	/* Set by the caller: shown in the output, never stored. */
	const char *identity;	/* checked against subject_ref, or NULL */
	int identity_is_email;	/* JSON key subject_email, else _customer */
	const char *db_path;	/* for the verification commands shown */
};

void receipt_init(struct receipt *rc);
void receipt_release(struct receipt *rc);
/*
 * Loads request_id (from the queue, or from the ledger alone when its row
 * is gone), its ledger entries (hashes recomputed) and the latest
 * checkpoint that covers them and matches the ledger, and verifies the
 * whole chain. Returns 0, 1 when neither knows the request (no message),
 * -1 on a database error.
 */
int receipt_build(sqlite3 *db, const char *request_id, long deadline_days,
		  time_t now, struct receipt *rc);
/* 1 when the receipt may call itself a certificate of erasure. */
int receipt_is_certificate(const struct receipt *rc);
void receipt_json(const struct receipt *rc, struct buf *out);
void receipt_text(const struct receipt *rc, struct buf *out);

#endif

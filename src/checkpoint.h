#ifndef ERASECTL_CHECKPOINT_H
#define ERASECTL_CHECKPOINT_H
/*
 * checkpoint: the files `erasectl checkpoint` writes and `verify
 * --checkpoint` reads: a ledger prefix (entry count, RFC 6962 Merkle root,
 * head hash, time), optionally signed with Ed25519. The Merkle root itself
 * is computed by the ledger module.
 */
#include <stdint.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "buf.h"
#include "digest.h"
#include "ledger.h"

/*
 * Checkpoint files (`erasectl checkpoint`), JSON:
 *   {"version": 1, "entries": N, "root": "<hex Merkle root of the first N
 *    entries>", "head": "<hash of entry N>", "time": "<UTC ISO 8601>",
 *    "signature": {"alg": "Ed25519", "public_key": "<base64 of the raw
 *    32-byte key>", "value": "<base64 of the 64-byte signature>"}}
 * "signature" is present only for signed checkpoints. The signature covers
 * exactly these bytes (CHECKPOINT_MAGIC, then each value and "\n"):
 *   "erasectl-checkpoint-v1\n<entries in decimal>\n<root>\n<head>\n<time>\n"
 * An empty ledger's checkpoint has root SHA-256("") and head 64 '0'.
 */
#define CHECKPOINT_MAGIC "erasectl-checkpoint-v1"

struct checkpoint {
	int64_t entries;
	char root[SHA256_HEX_LEN + 1];
	char head[SHA256_HEX_LEN + 1];
	char time[32];
	int is_signed;
	unsigned char public_key[32];
	unsigned char signature[64];
};

/* The bytes the signature covers. */
void checkpoint_message(const struct checkpoint *cp,
			       struct buf *out);
/* Signs cp with the Ed25519 private key in PEM file key_path. */
int checkpoint_sign(struct checkpoint *cp, const char *key_path);
/* Appends cp as JSON (one key per line, ending in a newline). */
void checkpoint_json(const struct checkpoint *cp,
			    struct buf *out);
/* Parses a checkpoint file's text; -1 after an error naming `name`. */
int checkpoint_parse(const char *text, size_t len, const char *name,
			    struct checkpoint *cp);
/*
 * Checks the signature of a signed checkpoint, with the key it carries, or
 * with the Ed25519 public key in PEM file pub_key_path when that is not
 * NULL (which must then be the key it carries). Returns 0 valid, 1 when
 * unsigned, invalid or signed by another key (after an error saying which),
 * -1 when the key file cannot be used.
 */
int checkpoint_check_signature(const struct checkpoint *cp,
				      const char *pub_key_path);

/*
 * A row of the checkpoints table: the index of the checkpoint files
 * written, so reports and receipts can name the latest one covering an
 * entry. The file is the evidence; the row only points at it.
 */
struct checkpoint_row {
	int present;
	int64_t id, entries;
	int is_signed;
	char *created_at, *root, *head, *file;
	int mismatch;		/* its root or head is not the ledger's */
};
void checkpoint_row_release(struct checkpoint_row *c);

/*
 * Every row, and the ledger they are checked against: a row is only ever
 * cited after its root and head were recomputed from the ledger's prefix
 * of its size (a row INSERTed by hand claims nothing).
 */
struct checkpoint_check {
	struct checkpoint_row *rows;	/* by entries, then id */
	size_t nrows, arows;
	size_t bad;			/* rows that do not match */
	struct ledger_scan scan;	/* the chain's verification */
};
void checkpoint_check_init(struct checkpoint_check *c);
void checkpoint_check_release(struct checkpoint_check *c);
/*
 * Verifies the chain and checks every row, in one pass over the ledger
 * (set scan.on_entry first to replay the entries in the same pass);
 * prefix is ledger_scan's (the root of the first prefix entries).
 * Returns 0 (see scan.bad_seq and bad), or -1 on a database error.
 */
int checkpoint_check_run(sqlite3 *db, int64_t prefix,
			 struct checkpoint_check *c);
/*
 * Copies into out the latest matching row covering at least min_entries
 * entries (out->present = 0 when there is none).
 */
void checkpoint_check_latest(const struct checkpoint_check *c,
			     int64_t min_entries, struct checkpoint_row *out);
/* The row as JSON ({"id", "created_at", "entries", ...}), or null. */
cJSON *checkpoint_row_json(const struct checkpoint_row *c);
/* Indexes cp (written to file, or NULL for standard output). */
int checkpoint_row_add(sqlite3 *db, const struct checkpoint *cp,
		       const char *file);

#endif

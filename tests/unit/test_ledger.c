/*
 * Unit tests for the ledger: canonical encoding and hash against values
 * computed independently (Python hashlib), RFC 6962 Merkle roots against
 * the Certificate Transparency test vectors, append/verify on a temporary
 * database, tamper and truncation detection, checkpoint files and their
 * signatures, and the checkpoints index.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "checkpoint.h"
#include "db.h"
#include "digest.h"
#include "escape.h"
#include "ledger.h"
#include "fixture.h"

/* sha256("prev"), sha256("subject"), sha256("") in hex. */
#define PREV "84fd9bac333ad79154348296204fa7f8c537a96e08983e5f73b3f5aca8e8edf7"
#define SUBJ "a9491f4c1bf7b0cffbadcba2db8f028e4b3f2867cb59e1f3a0bc1968f3c51242"
#define EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void fixed_entry(struct ledger_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->seq = 42;
	snprintf(e->ts, sizeof(e->ts), "2026-11-25T17:38:03.123Z");
	e->request_id = "R-1001";
	e->subject_ref = SUBJ;
	e->event = "result";
	e->target_kind = "device";
	e->target_id = "e00fce68";
	e->method = "DELETE";
	e->path = "/v1/products/1234/devices/e00fce68/owner";
	e->status = 200;
	e->body_sha256 = EMPTY;
	e->detail = "unclaim:ok";
	e->operator_name = "jos\xc3\xa9";	/* UTF-8: lengths in bytes */
	snprintf(e->prev_hash, sizeof(e->prev_hash), "%s", PREV);
}

static void test_encoding_and_hash(void **state)
{
	struct ledger_entry e;
	struct buf enc = BUF_INIT;
	char hash[SHA256_HEX_LEN + 1];

	(void)state;
	fixed_entry(&e);
	ledger_encode(&e, &enc);
	assert_string_equal(enc.buf,
		"2:42,24:2026-11-25T17:38:03.123Z,6:R-1001,64:" SUBJ
		",6:result,6:device,8:e00fce68,6:DELETE,"
		"40:/v1/products/1234/devices/e00fce68/owner,3:200,64:" EMPTY
		",10:unclaim:ok,5:jos\xc3\xa9,");
	ledger_entry_hash(&e, hash);
	/* python3: sha256(PREV.encode() + enc).hexdigest() */
	assert_string_equal(hash, "69184b5fe8dd326c0dd85209cf5c750cb7b859667681"
			    "852d568999dc7c5aa27e");
	buf_release(&enc);
}

static void test_encoding_empty_fields(void **state)
{
	struct ledger_entry e;
	struct buf enc = BUF_INIT;
	char hash[SHA256_HEX_LEN + 1];

	(void)state;
	memset(&e, 0, sizeof(e));
	e.seq = 1;
	e.status = -1;
	memset(e.prev_hash, '0', SHA256_HEX_LEN);
	ledger_encode(&e, &enc);
	assert_string_equal(enc.buf,
			    "1:1,0:,0:,0:,0:,0:,0:,0:,0:,2:-1,0:,0:,0:,");
	ledger_entry_hash(&e, hash);
	assert_string_equal(hash, "786de299f4085c95ab6af0395fb05568bfe7a684c8ea"
			    "3504014c1691ce8085e2");
	buf_release(&enc);
}

/* RFC 6962 vectors (transparency-dev/merkle testonly/constants.go). */
static const char *const vec_leaves[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};
static const char *const vec_roots[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void test_merkle_rfc6962_vectors(void **state)
{
	struct merkle m;
	unsigned char leaf[16], root[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];
	size_t i;

	(void)state;
	merkle_init(&m);
	merkle_root(&m, root);
	digest_hex(root, SHA256_LEN, hex);
	assert_string_equal(hex, vec_roots[0]);
	for (i = 0; i < 8; i++) {
		size_t n = strlen(vec_leaves[i]) / 2;

		assert_int_equal(digest_unhex(vec_leaves[i], leaf, n), 0);
		merkle_add(&m, leaf, n);
		merkle_root(&m, root);
		digest_hex(root, SHA256_LEN, hex);
		assert_string_equal(hex, vec_roots[i + 1]);
	}
}

/* The RFC's recursive definition, literally, over 1-byte leaves. */
static void reference_mth(const unsigned char *d, size_t n,
			  unsigned char out[SHA256_LEN])
{
	unsigned char buf[1 + 2 * SHA256_LEN];
	size_t k = 1;

	if (n == 1) {
		buf[0] = 0;
		buf[1] = d[0];
		digest_sha256(buf, 2, out);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	buf[0] = 1;
	reference_mth(d, k, buf + 1);
	reference_mth(d + k, n - k, buf + 1 + SHA256_LEN);
	digest_sha256(buf, sizeof(buf), out);
}

static void test_merkle_matches_definition(void **state)
{
	unsigned char d[300], want[SHA256_LEN], got[SHA256_LEN];
	struct merkle m;
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(d); n++)
		d[n] = (unsigned char)(n * 7 + 3);
	merkle_init(&m);
	for (n = 1; n <= sizeof(d); n++) {
		merkle_add(&m, d + n - 1, 1);
		reference_mth(d, n, want);
		merkle_root(&m, got);
		assert_memory_equal(got, want, SHA256_LEN);
	}
}

/* --- database tests ---------------------------------------------------- */

/* Appends n entries ("plan"/"result" pairs of a request) in one tx. */
static void append_n(sqlite3 *db, int n, char last_hash[SHA256_HEX_LEN + 1])
{
	int i;

	assert_int_equal(db_begin(db), 0);
	for (i = 0; i < n; i++) {
		struct ledger_entry e;

		memset(&e, 0, sizeof(e));
		e.request_id = "R-1";
		e.subject_ref = SUBJ;
		e.event = i % 2 ? LEDGER_EV_RESULT : LEDGER_EV_PLAN;
		e.target_kind = "device";
		e.target_id = "e00fce68";
		e.method = "DELETE";
		e.path = "/v1/products/1234/devices/e00fce68/owner";
		e.status = i % 2 ? 200 : 0;
		e.detail = i % 2 ? "unclaim:ok" : "unclaim";
		assert_int_equal(ledger_append(db, &e), 0);
		if (last_hash)
			memcpy(last_hash, e.hash, SHA256_HEX_LEN + 1);
	}
	assert_int_equal(db_commit(db), 0);
}

static int64_t count_rows(sqlite3 *db)
{
	sqlite3_stmt *st;
	int64_t n;

	assert_int_equal(db_prepare(db, &st, "SELECT count(*) FROM ledger"), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void test_append_and_verify(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e;
	struct buf reason = BUF_INIT;
	char head[SHA256_HEX_LEN + 1], last[SHA256_HEX_LEN + 1];
	int64_t n, bad;
	sqlite3_stmt *st;

	assert_int_equal(ledger_verify(f->db, &n, &bad, &reason), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ledger_head(f->db, &n, head), 0);
	assert_int_equal(n, 0);
	assert_string_equal(head, "00000000000000000000000000000000"
			    "00000000000000000000000000000000");

	append_n(f->db, 5, last);
	/* Outside a transaction: ledger_append opens its own. */
	memset(&e, 0, sizeof(e));
	e.request_id = "R-2";
	e.subject_ref = SUBJ;
	e.event = LEDGER_EV_HOLD;
	e.detail = "litigation";
	assert_int_equal(ledger_append(f->db, &e), 0);
	assert_int_equal(e.seq, 6);
	assert_string_equal(e.prev_hash, last);
	assert_non_null(e.operator_name);
	assert_true(e.operator_name[0] != '\0');
	assert_int_equal(strlen(e.ts), 24);
	assert_int_equal(e.ts[23], 'Z');

	assert_int_equal(ledger_verify(f->db, &n, &bad, &reason), 0);
	assert_int_equal(n, 6);
	assert_int_equal(bad, 0);
	assert_int_equal(ledger_head(f->db, &n, head), 0);
	assert_int_equal(n, 6);
	assert_string_equal(head, e.hash);

	/* What is stored is what was hashed. */
	assert_int_equal(db_prepare(f->db, &st, "SELECT hash, operator, ts "
				    "FROM ledger WHERE seq = 6"), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), e.hash);
	assert_string_equal((const char *)sqlite3_column_text(st, 1),
			    e.operator_name);
	assert_string_equal((const char *)sqlite3_column_text(st, 2), e.ts);
	sqlite3_finalize(st);
	buf_release(&reason);
}

static void test_triggers_refuse_update_delete(void **state)
{
	struct fixture *f = *state;

	append_n(f->db, 3, NULL);
	assert_int_equal(db_exec(f->db, "UPDATE ledger SET detail = 'x' "
				 "WHERE seq = 2"), -1);
	assert_int_equal(db_exec(f->db, "DELETE FROM ledger WHERE seq = 3"),
			 -1);
	assert_int_equal(count_rows(f->db), 3);
}

static void expect_bad(sqlite3 *db, int64_t seq, const char *why)
{
	struct buf reason = BUF_INIT;
	int64_t n, bad;

	assert_int_equal(ledger_verify(db, &n, &bad, &reason), 1);
	assert_int_equal(bad, seq);
	if (!strstr(reason.buf, why))
		fail_msg("reason '%s' lacks '%s'", reason.buf, why);
	buf_release(&reason);
}

static void drop_triggers(sqlite3 *db)
{
	assert_int_equal(db_exec(db, "DROP TRIGGER ledger_no_update; "
				 "DROP TRIGGER ledger_no_delete"), 0);
}

static void test_edit_detected(void **state)
{
	struct fixture *f = *state;
	struct buf reason = BUF_INIT;
	int64_t n, bad;

	append_n(f->db, 6, NULL);
	drop_triggers(f->db);
	assert_int_equal(db_exec(f->db, "UPDATE ledger SET detail = 'forged' "
				 "WHERE seq = 4"), 0);
	expect_bad(f->db, 4, "ledger entry 4 does not match its hash "
		   "(edited after it was written?)");
	/* The count still covers every row (reports print it). */
	assert_int_equal(ledger_verify(f->db, &n, &bad, &reason), 1);
	assert_int_equal(n, 6);
	buf_release(&reason);
}

static void test_type_change_detected(void **state)
{
	struct fixture *f = *state;

	append_n(f->db, 3, NULL);
	drop_triggers(f->db);
	/* Same digits, other type: hashing 200 would still match. */
	assert_int_equal(db_exec(f->db, "UPDATE ledger SET status = "
				 "CAST(status AS BLOB) WHERE seq = 2"), 0);
	expect_bad(f->db, 2, "malformed status");
}

static void test_rehashed_edit_breaks_link(void **state)
{
	struct fixture *f = *state;

	append_n(f->db, 4, NULL);
	drop_triggers(f->db);
	/* An editor who also recomputes entry 2's hash breaks entry 3. */
	assert_int_equal(db_exec(f->db, "UPDATE ledger SET hash = "
				 "'1111111111111111111111111111111111111111111"
				 "111111111111111111111' WHERE seq = 2"), 0);
	expect_bad(f->db, 2, "does not match its hash");
	assert_int_equal(db_exec(f->db, "DELETE FROM ledger WHERE seq = 2"),
			 0);
	expect_bad(f->db, 2, "ledger entry 2 is missing");
	assert_int_equal(db_exec(f->db, "DELETE FROM ledger WHERE seq = 1"),
			 0);
	expect_bad(f->db, 1, "ledger entry 1 is missing");
}

static void test_truncation_and_prefix(void **state)
{
	struct fixture *f = *state;
	struct ledger_scan s;
	struct merkle m;
	unsigned char leaf[SHA256_LEN], root[SHA256_LEN], got[SHA256_LEN];
	char hashes[6][SHA256_HEX_LEN + 1];
	int i;

	for (i = 0; i < 6; i++)
		append_n(f->db, 1, hashes[i]);
	merkle_init(&m);
	for (i = 0; i < 3; i++) {
		assert_int_equal(digest_unhex(hashes[i], leaf, SHA256_LEN), 0);
		merkle_add(&m, leaf, SHA256_LEN);
	}
	merkle_root(&m, root);

	ledger_scan_init(&s);
	assert_int_equal(ledger_scan(f->db, 3, &s), 0);
	assert_int_equal(s.entries, 6);
	assert_int_equal(s.prefix_entries, 3);
	assert_memory_equal(s.prefix_root, root, SHA256_LEN);
	assert_string_equal(s.prefix_head, hashes[2]);
	assert_string_equal(s.head, hashes[5]);
	assert_int_equal(ledger_merkle_root(f->db, 3, got), 0);
	assert_memory_equal(got, root, SHA256_LEN);

	/* Cutting the tail keeps the chain valid: only the count shows it. */
	drop_triggers(f->db);
	assert_int_equal(db_exec(f->db, "DELETE FROM ledger WHERE seq > 2"), 0);
	assert_int_equal(ledger_scan(f->db, 3, &s), 0);
	assert_int_equal(s.entries, 2);
	assert_int_equal(s.prefix_entries, 2);
	assert_int_equal(ledger_merkle_root(f->db, 3, got), -1);
	ledger_scan_release(&s);
}

static void test_pii_refused(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e;

	memset(&e, 0, sizeof(e));
	e.request_id = "R-3";
	e.subject_ref = SUBJ;
	e.event = LEDGER_EV_HOLD;
	e.detail = "asked by alice@example.com";
	assert_int_equal(ledger_append(f->db, &e), -1);
	e.detail = "ok";
	e.request_id = "bob@example.org";
	assert_int_equal(ledger_append(f->db, &e), -1);
	e.request_id = "R-3";
	e.event = NULL;
	assert_int_equal(ledger_append(f->db, &e), -1);
	assert_int_equal(count_rows(f->db), 0);
	assert_int_equal(sqlite3_get_autocommit(f->db), 1);
}

static void test_timestamps_monotonic(void **state)
{
	struct fixture *f = *state;
	struct ledger_entry e;
	sqlite3_stmt *st;
	struct buf reason = BUF_INIT;
	int64_t n, bad;

	/* A valid first entry from a clock far ahead. */
	memset(&e, 0, sizeof(e));
	e.seq = 1;
	snprintf(e.ts, sizeof(e.ts), "2999-01-01T00:00:00.000Z");
	e.request_id = "R-9";
	e.subject_ref = SUBJ;
	e.event = LEDGER_EV_ENQUEUED;
	e.detail = "csv";
	e.operator_name = "ops";
	memset(e.prev_hash, '0', SHA256_HEX_LEN);
	ledger_entry_hash(&e, e.hash);
	assert_int_equal(db_prepare(f->db, &st, "INSERT INTO ledger (seq, ts, "
				    "request_id, subject_ref, event, detail, "
				    "operator, prev_hash, hash) VALUES (1, ?1, "
				    "'R-9', ?2, 'enqueued', 'csv', 'ops', ?3, "
				    "?4)"), 0);
	sqlite3_bind_text(st, 1, e.ts, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, SUBJ, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e.prev_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e.hash, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);

	memset(&e, 0, sizeof(e));
	e.request_id = "R-9";
	e.event = LEDGER_EV_DONE;
	assert_int_equal(ledger_append(f->db, &e), 0);
	assert_string_equal(e.ts, "2999-01-01T00:00:00.000Z");
	assert_int_equal(ledger_verify(f->db, &n, &bad, &reason), 0);
	assert_int_equal(n, 2);
	buf_release(&reason);
}

static void test_many_connections(void **state)
{
	struct fixture *f = *state;
	sqlite3 *dbs[6];
	struct buf reason = BUF_INIT;
	int64_t n, bad;
	int i, round;

	/* More connections than cached statement slots, interleaved. */
	for (i = 0; i < 6; i++)
		assert_int_equal(db_open(&dbs[i], f->db_path.buf,
					 DB_OPEN_EXISTING), 0);
	for (round = 0; round < 3; round++)
		for (i = 0; i < 6; i++)
			append_n(dbs[i], 1, NULL);
	for (i = 0; i < 6; i++)
		db_close(dbs[i]);
	assert_int_equal(ledger_verify(f->db, &n, &bad, &reason), 0);
	assert_int_equal(n, 18);
	buf_release(&reason);
}

/* --- checkpoints ------------------------------------------------------- */

static void write_key(EVP_PKEY *k, const char *path, int public_only)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	if (public_only)
		assert_int_equal(PEM_write_PUBKEY(fp, k), 1);
	else
		assert_int_equal(PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL,
						      NULL), 1);
	fclose(fp);
}

/* Three Ed25519 key files in the fixture: key, its public half, another. */
struct keys {
	struct buf key, pub, other;
};

static void make_keys(struct fixture *f, struct keys *k)
{
	EVP_PKEY *k1 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *k2 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	assert_non_null(k1);
	assert_non_null(k2);
	buf_init(&k->key);
	buf_init(&k->pub);
	buf_init(&k->other);
	fixture_path(f, "sign.pem", &k->key);
	fixture_path(f, "sign.pub", &k->pub);
	fixture_path(f, "other.pub", &k->other);
	write_key(k1, k->key.buf, 0);
	assert_int_equal(chmod(k->key.buf, 0600), 0);
	write_key(k1, k->pub.buf, 1);
	write_key(k2, k->other.buf, 1);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

static void free_keys(struct keys *k)
{
	buf_release(&k->key);
	buf_release(&k->pub);
	buf_release(&k->other);
}

static void test_checkpoint_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct keys k;
	struct checkpoint cp, back;
	struct buf json = BUF_INIT, msg = BUF_INIT;
	char *p;

	make_keys(f, &k);
	memset(&cp, 0, sizeof(cp));
	cp.entries = 1000000;
	snprintf(cp.root, sizeof(cp.root), "%s", vec_roots[8]);
	snprintf(cp.head, sizeof(cp.head), "%s", PREV);
	snprintf(cp.time, sizeof(cp.time), "2026-11-25T18:00:00.000Z");
	checkpoint_message(&cp, &msg);
	assert_string_equal(msg.buf, CHECKPOINT_MAGIC "\n1000000\n"
			    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960"
			    "cfe370eff4604328\n" PREV "\n"
			    "2026-11-25T18:00:00.000Z\n");
	assert_string_equal(CHECKPOINT_MAGIC, "erasectl-checkpoint-v1");

	/* Unsigned round trip. */
	checkpoint_json(&cp, &json);
	assert_int_equal(checkpoint_parse(json.buf, json.len, "t", &back), 0);
	assert_int_equal(back.entries, cp.entries);
	assert_string_equal(back.root, cp.root);
	assert_string_equal(back.head, cp.head);
	assert_string_equal(back.time, cp.time);
	assert_int_equal(back.is_signed, 0);
	assert_int_equal(checkpoint_check_signature(&back, NULL), 1);

	/* Signed round trip, with the carried key and with a pinned one. */
	assert_int_equal(checkpoint_sign(&cp, k.key.buf), 0);
	buf_reset(&json);
	checkpoint_json(&cp, &json);
	assert_non_null(strstr(json.buf, "\"alg\": \"Ed25519\""));
	assert_int_equal(checkpoint_parse(json.buf, json.len, "t", &back), 0);
	assert_int_equal(back.is_signed, 1);
	assert_memory_equal(back.signature, cp.signature, 64);
	assert_memory_equal(back.public_key, cp.public_key, 32);
	assert_int_equal(checkpoint_check_signature(&back, NULL), 0);
	assert_int_equal(checkpoint_check_signature(&back, k.pub.buf), 0);
	assert_int_equal(checkpoint_check_signature(&back, k.key.buf), 0);
	assert_int_equal(checkpoint_check_signature(&back, k.other.buf), 1);

	/* Any signed field changed: the signature no longer matches. */
	back.entries--;
	assert_int_equal(checkpoint_check_signature(&back, NULL), 1);
	back.entries++;
	back.root[0] = back.root[0] == '0' ? '1' : '0';
	assert_int_equal(checkpoint_check_signature(&back, NULL), 1);
	back.root[0] = cp.root[0];
	back.time[0] = '1';
	assert_int_equal(checkpoint_check_signature(&back, NULL), 1);

	/* Malformed files. */
	p = strstr(json.buf, "\"root\": \"") + 9;
	*p = 'X';
	assert_int_equal(checkpoint_parse(json.buf, json.len, "t", &back), -1);
	assert_int_equal(checkpoint_parse("[]", 2, "t", &back), -1);
	assert_int_equal(checkpoint_parse("{\"version\": 2}", 14, "t", &back),
			 -1);
	assert_int_equal(checkpoint_parse("", 0, "t", &back), -1);
	/* A public key cannot sign; a missing one neither. */
	assert_int_equal(checkpoint_sign(&cp, k.pub.buf), -1);
	assert_int_equal(checkpoint_sign(&cp, "/nonexistent/key.pem"), -1);
	/* A pinned key file that cannot be read: -1, not "invalid". */
	assert_int_equal(checkpoint_check_signature(&cp, "/nonexistent/k.pem"),
			 -1);
	assert_int_equal(checkpoint_check_signature(&cp, k.pub.buf), 0);

	free_keys(&k);
	buf_release(&json);
	buf_release(&msg);
}

static void test_checkpoint_of_ledger(void **state)
{
	struct fixture *f = *state;
	struct checkpoint cp, back;
	struct ledger_scan s;
	struct buf json = BUF_INIT;
	unsigned char root[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];

	/* An empty ledger: root SHA-256(""), head 64 '0'. */
	assert_int_equal(ledger_merkle_root(f->db, 0, root), 0);
	digest_hex(root, SHA256_LEN, hex);
	assert_string_equal(hex, EMPTY);

	append_n(f->db, 7, NULL);
	ledger_scan_init(&s);
	assert_int_equal(ledger_scan(f->db, 5, &s), 0);
	memset(&cp, 0, sizeof(cp));
	cp.entries = s.prefix_entries;
	digest_hex(s.prefix_root, SHA256_LEN, cp.root);
	snprintf(cp.head, sizeof(cp.head), "%s", s.prefix_head);
	snprintf(cp.time, sizeof(cp.time), "2026-11-25T18:00:00Z");
	ledger_scan_release(&s);
	assert_int_equal(ledger_merkle_root(f->db, 5, root), 0);
	digest_hex(root, SHA256_LEN, hex);
	assert_string_equal(cp.root, hex);
	checkpoint_json(&cp, &json);
	assert_int_equal(checkpoint_parse(json.buf, json.len, "t", &back), 0);
	assert_int_equal(back.entries, 5);
	buf_release(&json);
}

/* A checkpoint of the ledger's first n entries, as `checkpoint` makes. */
static void real_checkpoint(sqlite3 *db, int64_t n, struct checkpoint *cp)
{
	struct ledger_scan sc;

	ledger_scan_init(&sc);
	assert_int_equal(ledger_scan(db, n, &sc), 0);
	assert_int_equal(sc.prefix_entries, n);
	memset(cp, 0, sizeof(*cp));
	cp->entries = n;
	digest_hex(sc.prefix_root, SHA256_LEN, cp->root);
	memcpy(cp->head, sc.prefix_head, sizeof(cp->head));
	snprintf(cp->time, sizeof(cp->time), "2026-11-25T18:00:00Z");
	ledger_scan_release(&sc);
}

/* j as a reader of the output sees it: printed, parsed back. */
static cJSON *printed(cJSON *j)
{
	struct buf b = BUF_INIT;
	cJSON *back;

	json_print(j, 0, &b);
	cJSON_Delete(j);
	back = cJSON_Parse(b.buf);
	buf_release(&b);
	assert_non_null(back);
	return back;
}

static void test_checkpoint_rows(void **state)
{
	struct fixture *f = *state;
	struct checkpoint cp;
	struct checkpoint_check chk;
	struct checkpoint_row row;
	cJSON *j;

	memset(&row, 0, sizeof(row));
	j = checkpoint_row_json(&row);
	assert_true(cJSON_IsNull(j));
	cJSON_Delete(j);

	append_n(f->db, 30, NULL);
	real_checkpoint(f->db, 10, &cp);
	assert_int_equal(checkpoint_row_add(f->db, &cp, "cp-10.json"), 0);
	real_checkpoint(f->db, 30, &cp);
	cp.is_signed = 1;
	assert_int_equal(checkpoint_row_add(f->db, &cp, NULL), 0);
	real_checkpoint(f->db, 20, &cp);
	assert_int_equal(checkpoint_row_add(f->db, &cp, "cp-20.json"), 0);
	/* Claims nothing: a root and head the ledger does not have. */
	snprintf(cp.root, sizeof(cp.root), "%s", vec_roots[3]);
	cp.entries = 25;
	assert_int_equal(checkpoint_row_add(f->db, &cp, "forged.json"), 0);
	/* Beyond the ledger's end. */
	real_checkpoint(f->db, 30, &cp);
	cp.entries = 40;
	assert_int_equal(checkpoint_row_add(f->db, &cp, "future.json"), 0);

	checkpoint_check_init(&chk);
	assert_int_equal(checkpoint_check_run(f->db, -1, &chk), 0);
	assert_int_equal(chk.scan.bad_seq, 0);
	assert_int_equal(chk.scan.entries, 30);
	assert_int_equal(chk.nrows, 5);
	assert_int_equal(chk.bad, 2);

	/* The latest matching row that covers at least min_entries. */
	checkpoint_check_latest(&chk, 15, &row);
	assert_true(row.present);
	assert_int_equal(row.entries, 20);
	assert_string_equal(row.file, "cp-20.json");
	assert_false(row.mismatch);
	checkpoint_row_release(&row);
	checkpoint_check_latest(&chk, 21, &row);
	assert_int_equal(row.entries, 30);
	assert_true(row.is_signed);
	assert_null(row.file);
	j = printed(checkpoint_row_json(&row));
	assert_int_equal(cJSON_GetObjectItem(j, "entries")->valueint, 30);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "signed")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "file")));
	assert_string_equal(cJSON_GetObjectItem(j, "created_at")->valuestring,
			    "2026-11-25T18:00:00Z");
	cJSON_Delete(j);
	checkpoint_row_release(&row);
	checkpoint_check_latest(&chk, 31, &row);
	assert_false(row.present);
	checkpoint_row_release(&row);
	checkpoint_check_release(&chk);

	/* An edited ledger: the rows past the edit no longer match. */
	drop_triggers(f->db);
	assert_int_equal(db_exec(f->db, "UPDATE ledger SET detail = 'x' WHERE "
				 "seq = 15"), 0);
	checkpoint_check_init(&chk);
	assert_int_equal(checkpoint_check_run(f->db, -1, &chk), 0);
	assert_int_equal(chk.scan.bad_seq, 15);
	checkpoint_check_latest(&chk, 11, &row);
	assert_false(row.present);
	checkpoint_check_latest(&chk, 1, &row);
	assert_true(row.present);
	assert_int_equal(row.entries, 10);
	checkpoint_row_release(&row);
	checkpoint_check_release(&chk);
}

int main(void)
{
#define DB_TEST(t) cmocka_unit_test_setup_teardown(t, fixture_setup_db, \
						   fixture_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoding_and_hash),
		cmocka_unit_test(test_encoding_empty_fields),
		cmocka_unit_test(test_merkle_rfc6962_vectors),
		cmocka_unit_test(test_merkle_matches_definition),
		DB_TEST(test_append_and_verify),
		DB_TEST(test_triggers_refuse_update_delete),
		DB_TEST(test_edit_detected),
		DB_TEST(test_type_change_detected),
		DB_TEST(test_rehashed_edit_breaks_link),
		DB_TEST(test_truncation_and_prefix),
		DB_TEST(test_pii_refused),
		DB_TEST(test_timestamps_monotonic),
		DB_TEST(test_many_connections),
		DB_TEST(test_checkpoint_roundtrip),
		DB_TEST(test_checkpoint_of_ledger),
		DB_TEST(test_checkpoint_rows),
	};
#undef DB_TEST

	return cmocka_run_group_tests(tests, NULL, NULL);
}

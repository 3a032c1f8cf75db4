#include "checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "db.h"
#include "ledger.h"
#include "escape.h"
#include "log.h"
#include "util.h"
#include "banned.h"

void checkpoint_message(const struct checkpoint *cp,
			       struct buf *out)
{
	buf_addf(out, "%s\n%lld\n%s\n%s\n%s\n", CHECKPOINT_MAGIC,
		 (long long)cp->entries, cp->root, cp->head, cp->time);
}

static void add_base64(struct buf *out, const unsigned char *d, size_t n)
{
	size_t want = 4 * ((n + 2) / 3);

	buf_grow(out, want);
	EVP_EncodeBlock((unsigned char *)out->buf + out->len, d, (int)n);
	buf_setlen(out, out->len + want);
}

/* Decodes exactly n bytes of canonical padded base64; -1 otherwise. */
static int unbase64(const char *s, unsigned char *out, size_t n)
{
	size_t len = strlen(s), pad = 0;
	unsigned char *tmp;
	int got, ret = 0;

	if (len != 4 * ((n + 2) / 3))
		return -1;
	while (pad < len && pad < 2 && s[len - 1 - pad] == '=')
		pad++;
	tmp = xmalloc(len);
	got = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)len);
	if (got < 0 || (size_t)got - pad != n)
		ret = -1;
	else
		memcpy(out, tmp, n);
	free(tmp);
	return ret;
}

void checkpoint_json(const struct checkpoint *cp,
			    struct buf *out)
{
	buf_addf(out, "{\n  \"version\": 1,\n  \"entries\": %lld,\n"
		 "  \"root\": \"%s\",\n  \"head\": \"%s\",\n"
		 "  \"time\": \"%s\"", (long long)cp->entries, cp->root,
		 cp->head, cp->time);
	if (cp->is_signed) {
		buf_adds(out, ",\n  \"signature\": {\n    \"alg\": \"Ed25519\",\n"
			 "    \"public_key\": \"");
		add_base64(out, cp->public_key, sizeof(cp->public_key));
		buf_adds(out, "\",\n    \"value\": \"");
		add_base64(out, cp->signature, sizeof(cp->signature));
		buf_adds(out, "\"\n  }");
	}
	buf_adds(out, "\n}\n");
}

static const char *openssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "unknown reason";
}

int checkpoint_sign(struct checkpoint *cp, const char *key_path)
{
	struct buf msg = BUF_INIT;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *ctx = NULL;
	size_t len = sizeof(cp->public_key), siglen = sizeof(cp->signature);
	FILE *f;
	int ret = 0;

	f = fopen(key_path, "r");
	if (!f)
		return error("cannot open sign key '%s': %s", key_path,
			     strerror(errno));
	util_check_private_file(key_path, "sign key");
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!pkey) {
		ret = error("cannot read sign key '%s': %s (expected a PEM "
			    "private key)", key_path, openssl_reason());
		goto out;
	}
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) {
		ret = error("sign key '%s' is not an Ed25519 key (make one with "
			    "'openssl genpkey -algorithm ed25519')", key_path);
		goto out;
	}
	checkpoint_message(cp, &msg);
	ctx = EVP_MD_CTX_new();
	if (!ctx ||
	    EVP_PKEY_get_raw_public_key(pkey, cp->public_key, &len) != 1 ||
	    len != sizeof(cp->public_key) ||
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) != 1 ||
	    EVP_DigestSign(ctx, cp->signature, &siglen,
			   (const unsigned char *)msg.buf, msg.len) != 1 ||
	    siglen != sizeof(cp->signature)) {
		ret = error("cannot sign the checkpoint with '%s': %s",
			    key_path, openssl_reason());
		goto out;
	}
	cp->is_signed = 1;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	buf_release(&msg);
	return ret;
}

static int is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < SHA256_HEX_LEN; i++)
		if (!strchr("0123456789abcdef", s[i]) || !s[i])
			return 0;
	return s[i] == '\0';
}

int checkpoint_parse(const char *text, size_t len, const char *name,
			    struct checkpoint *cp)
{
	cJSON *root = cJSON_ParseWithLength(text, len);
	const cJSON *v, *sig;
	const char *s, *why = NULL;
	size_t i;

	memset(cp, 0, sizeof(*cp));
	if (!cJSON_IsObject(root)) {
		why = "not a JSON object";
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!cJSON_IsNumber(v) || v->valuedouble != 1) {
		why = "\"version\" is not 1";
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "entries");
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > 9007199254740992.0 ||
	    v->valuedouble != (double)(int64_t)v->valuedouble) {
		why = "\"entries\" is not a whole number";
		goto out;
	}
	cp->entries = (int64_t)v->valuedouble;
	s = json_get_str(root, "root");
	if (!s || !is_hex64(s)) {
		why = "\"root\" is not 64 lower-case hex digits";
		goto out;
	}
	memcpy(cp->root, s, sizeof(cp->root));
	s = json_get_str(root, "head");
	if (!s || !is_hex64(s)) {
		why = "\"head\" is not 64 lower-case hex digits";
		goto out;
	}
	memcpy(cp->head, s, sizeof(cp->head));
	s = json_get_str(root, "time");
	if (!s || !*s || strlen(s) >= sizeof(cp->time)) {
		why = "\"time\" is missing or too long";
		goto out;
	}
	/* The time goes into the signed lines: no line breaks. */
	for (i = 0; s[i]; i++)
		if (!strchr("0123456789TZ:.+-", s[i])) {
			why = "\"time\" is not an ISO 8601 time";
			goto out;
		}
	memcpy(cp->time, s, strlen(s) + 1);
	sig = cJSON_GetObjectItemCaseSensitive(root, "signature");
	if (sig && !cJSON_IsNull(sig)) {
		if (!cJSON_IsObject(sig)) {
			why = "\"signature\" is not an object";
			goto out;
		}
		s = json_get_str(sig, "alg");
		if (!s || strcmp(s, "Ed25519")) {
			why = "the signature's \"alg\" is not \"Ed25519\"";
			goto out;
		}
		s = json_get_str(sig, "public_key");
		if (!s || unbase64(s, cp->public_key, sizeof(cp->public_key))) {
			why = "the signature's \"public_key\" is not 32 bytes "
			      "of base64";
			goto out;
		}
		s = json_get_str(sig, "value");
		if (!s || unbase64(s, cp->signature, sizeof(cp->signature))) {
			why = "the signature's \"value\" is not 64 bytes of "
			      "base64";
			goto out;
		}
		cp->is_signed = 1;
	}
out:
	cJSON_Delete(root);
	if (why)
		return error("checkpoint '%s' is malformed: %s", name, why);
	return 0;
}

/* Reads an Ed25519 public key (or the public half of a private key). */
static EVP_PKEY *read_public_key(const char *path)
{
	EVP_PKEY *pkey;
	FILE *f = fopen(path, "r");

	if (!f) {
		error("cannot open public key '%s': %s", path, strerror(errno));
		return NULL;
	}
	pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	if (!pkey) {
		rewind(f);
		pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	}
	fclose(f);
	ERR_clear_error();
	if (!pkey) {
		error("cannot read public key '%s' (expected a PEM public key, "
		      "e.g. from 'openssl pkey -in KEY -pubout')", path);
		return NULL;
	}
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) {
		error("public key '%s' is not an Ed25519 key", path);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

int checkpoint_check_signature(const struct checkpoint *cp,
				      const char *pub_key_path)
{
	unsigned char raw[32];
	size_t len = sizeof(raw);
	struct buf msg = BUF_INIT;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *ctx = NULL;
	int ret = 0;

	if (!cp->is_signed) {
		error("the checkpoint is not signed");
		return 1;
	}
	if (pub_key_path) {
		pkey = read_public_key(pub_key_path);
		if (!pkey)
			return -1;
		if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 ||
		    len != sizeof(raw) ||
		    memcmp(raw, cp->public_key, sizeof(raw))) {
			error("the checkpoint is signed by another key than "
			      "'%s'", pub_key_path);
			ret = 1;
			goto out;
		}
	} else {
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
						   cp->public_key,
						   sizeof(cp->public_key));
		if (!pkey) {
			error("the checkpoint's public key is not a valid "
			      "Ed25519 key");
			ret = 1;
			goto out;
		}
	}
	checkpoint_message(cp, &msg);
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1) {
		ret = error("cannot verify signatures: %s", openssl_reason());
		goto out;
	}
	if (EVP_DigestVerify(ctx, cp->signature, sizeof(cp->signature),
			     (const unsigned char *)msg.buf, msg.len) != 1) {
		error("the checkpoint's signature does not match its contents "
		      "(the checkpoint was altered?)");
		ret = 1;
	}
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	buf_release(&msg);
	return ret;
}

void checkpoint_row_release(struct checkpoint_row *c)
{
	free(c->created_at);
	free(c->root);
	free(c->head);
	free(c->file);
	memset(c, 0, sizeof(*c));
}

void checkpoint_check_init(struct checkpoint_check *c)
{
	memset(c, 0, sizeof(*c));
	ledger_scan_init(&c->scan);
}

void checkpoint_check_release(struct checkpoint_check *c)
{
	size_t i;

	for (i = 0; i < c->nrows; i++)
		checkpoint_row_release(&c->rows[i]);
	free(c->rows);
	ledger_scan_release(&c->scan);
	checkpoint_check_init(c);
}

static int load_rows(sqlite3 *db, struct checkpoint_check *c)
{
	sqlite3_stmt *st;
	int rc;

	if (db_prepare(db, &st, "SELECT id, created_at, entries, root, head,"
		       " signed, file FROM checkpoints ORDER BY entries, id"))
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct checkpoint_row *r;

		ALLOC_GROW(c->rows, c->nrows, c->arows);
		r = &c->rows[c->nrows++];
		memset(r, 0, sizeof(*r));
		r->present = 1;
		r->id = sqlite3_column_int64(st, 0);
		r->created_at = db_column_redacted(st, 1);
		r->entries = sqlite3_column_int64(st, 2);
		r->root = db_column_redacted(st, 3);
		r->head = db_column_redacted(st, 4);
		r->is_signed = sqlite3_column_int(st, 5);
		r->file = db_column_redacted(st, 6);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(db);
	return 0;
}

int checkpoint_check_run(sqlite3 *db, int64_t prefix,
			 struct checkpoint_check *c)
{
	char root[SHA256_HEX_LEN + 1];
	size_t i;
	int rc;

	if (load_rows(db, c))
		return -1;
	c->scan.marks = xcalloc(c->nrows ? c->nrows : 1,
				sizeof(*c->scan.marks));
	c->scan.nmarks = c->nrows;
	for (i = 0; i < c->nrows; i++)
		c->scan.marks[i].entries = c->rows[i].entries;
	rc = ledger_scan(db, prefix, &c->scan);
	for (i = 0; rc >= 0 && i < c->nrows; i++) {
		struct checkpoint_row *r = &c->rows[i];
		const struct ledger_mark *k = &c->scan.marks[i];

		digest_hex(k->root, SHA256_LEN, root);
		r->mismatch = !k->reached || !r->root || !r->head ||
			      strcmp(root, r->root) || strcmp(k->head, r->head);
		c->bad += r->mismatch;
	}
	free(c->scan.marks);
	c->scan.marks = NULL;
	c->scan.nmarks = 0;
	return rc < 0 ? -1 : 0;
}

void checkpoint_check_latest(const struct checkpoint_check *c,
			     int64_t min_entries, struct checkpoint_row *out)
{
	const struct checkpoint_row *best = NULL;
	size_t i;

	for (i = 0; i < c->nrows; i++) {
		const struct checkpoint_row *r = &c->rows[i];

		if (!r->mismatch && r->entries >= min_entries &&
		    (!best || r->id > best->id))
			best = r;
	}
	memset(out, 0, sizeof(*out));
	if (!best)
		return;
	*out = *best;
	out->created_at = best->created_at ? xstrdup(best->created_at) : NULL;
	out->root = best->root ? xstrdup(best->root) : NULL;
	out->head = best->head ? xstrdup(best->head) : NULL;
	out->file = best->file ? xstrdup(best->file) : NULL;
}

int checkpoint_row_add(sqlite3 *db, const struct checkpoint *cp,
		       const char *file)
{
	sqlite3_stmt *st;
	int ret;

	if (db_prepare(db, &st, "INSERT INTO checkpoints (created_at, entries, "
		       "root, head, signed, file) VALUES (?1, ?2, ?3, ?4, ?5, "
		       "?6)"))
		return -1;
	db_bind_text(st, 1, cp->time);
	sqlite3_bind_int64(st, 2, cp->entries);
	db_bind_text(st, 3, cp->root);
	db_bind_text(st, 4, cp->head);
	sqlite3_bind_int(st, 5, cp->is_signed);
	db_bind_text(st, 6, file);
	ret = db_step(db, st);
	sqlite3_finalize(st);
	return ret;
}

cJSON *checkpoint_row_json(const struct checkpoint_row *c)
{
	cJSON *o;

	if (!c->present)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	json_add_int(o, "id", c->id);
	json_add_text(o, "created_at", c->created_at);
	json_add_int(o, "entries", c->entries);
	json_add_text(o, "root", c->root);
	json_add_text(o, "head", c->head);
	cJSON_AddBoolToObject(o, "signed", c->is_signed);
	json_add_text(o, "file", c->file);
	return o;
}

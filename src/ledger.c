#include "ledger.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "banned.h"

/*
 * One SHA-256 context for the whole process, reused for every hash: the
 * verifier hashes three times per entry, and a fresh EVP context (and
 * implicit algorithm fetch) per call would dominate its run time.
 */
static EVP_MD_CTX *sha_ctx;

static void sha_fatal(void)
{
	fprintf(stderr, "erasectl: fatal: cannot compute SHA-256\n");
	exit(70);
}

static void sha_begin(void)
{
	static EVP_MD *md;

	if (!sha_ctx) {
		md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
		sha_ctx = EVP_MD_CTX_new();
		if (!md || !sha_ctx)
			sha_fatal();
	}
	if (!EVP_DigestInit_ex2(sha_ctx, md, NULL))
		sha_fatal();
}

static void sha_add(const void *d, size_t n)
{
	if (n && !EVP_DigestUpdate(sha_ctx, d, n))
		sha_fatal();
}

static void sha_end(unsigned char out[SHA256_LEN])
{
	if (!EVP_DigestFinal_ex(sha_ctx, out, NULL))
		sha_fatal();
}

/* --- canonical encoding ------------------------------------------------ */

#define NFIELDS 13

struct field {
	const char *p;
	size_t n;
};

/* Decimal text of v into out (at least 21 bytes); returns its length. */
static size_t fmt_int64(int64_t v, char *out)
{
	char tmp[24];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t n = 0, k = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[k++] = '-';
	while (n)
		out[k++] = tmp[--n];
	out[k] = '\0';
	return k;
}

static void add_netstring(struct buf *out, const char *p, size_t n)
{
	char len[24];
	size_t k = fmt_int64((int64_t)n, len);

	len[k++] = ':';
	buf_add(out, len, k);
	buf_add(out, p, n);
	buf_addch(out, ',');
}

static void encode_fields(struct buf *out, const struct field *f)
{
	int i;

	for (i = 0; i < NFIELDS; i++)
		add_netstring(out, f[i].p, f[i].n);
}

static struct field str_field(const char *s)
{
	struct field f = { s ? s : "", s ? strlen(s) : 0 };

	return f;
}

void ledger_encode(const struct ledger_entry *e, struct buf *out)
{
	char seq[24], status[24];
	struct field f[NFIELDS];

	f[0].p = seq;
	f[0].n = fmt_int64(e->seq, seq);
	f[1] = str_field(e->ts);
	f[2] = str_field(e->request_id);
	f[3] = str_field(e->subject_ref);
	f[4] = str_field(e->event);
	f[5] = str_field(e->target_kind);
	f[6] = str_field(e->target_id);
	f[7] = str_field(e->method);
	f[8] = str_field(e->path);
	f[9].p = status;
	f[9].n = fmt_int64(e->status, status);
	f[10] = str_field(e->body_sha256);
	f[11] = str_field(e->detail);
	f[12] = str_field(e->operator_name);
	encode_fields(out, f);
}

static void hash_encoded(const char *prev_hash, const struct buf *enc,
			 unsigned char out[SHA256_LEN])
{
	sha_begin();
	sha_add(prev_hash, SHA256_HEX_LEN);
	sha_add(enc->buf, enc->len);
	sha_end(out);
}

void ledger_entry_hash(const struct ledger_entry *e,
		       char out[SHA256_HEX_LEN + 1])
{
	struct buf enc = BUF_INIT;
	unsigned char md[SHA256_LEN];

	ledger_encode(e, &enc);
	hash_encoded(e->prev_hash, &enc, md);
	digest_hex(md, SHA256_LEN, out);
	buf_release(&enc);
}

void ledger_now(char out[32])
{
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
		 tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
		 tm.tm_sec % 100, (int)(now.tv_nsec / 1000000) % 1000);
}

/* --- appending --------------------------------------------------------- */

/*
 * The effective OS user, looked up once. A directory login shaped like an
 * email (alice@corp.example) keeps only its local part: the ledger holds
 * no email addresses at all.
 */
static const char *operator_name(void)
{
	static char name[128];
	struct passwd *pw;
	char *at;

	if (name[0])
		return name;
	pw = getpwuid(geteuid());
	if (pw && pw->pw_name && pw->pw_name[0])
		snprintf(name, sizeof(name), "%s", pw->pw_name);
	else
		snprintf(name, sizeof(name), "uid %u", (unsigned)geteuid());
	at = strchr(name, '@');
	if (at && at != name)
		*at = '\0';
	return name;
}

/* Statements prepared once per connection (see ledger.h). */
#define STMT_SLOTS 4
static struct stmt_slot {
	sqlite3 *db;
	sqlite3_stmt *last;
	sqlite3_stmt *insert;
} slots[STMT_SLOTS];
static unsigned next_victim;

static void slot_clear(struct stmt_slot *s)
{
	sqlite3_finalize(s->last);
	sqlite3_finalize(s->insert);
	memset(s, 0, sizeof(*s));
}

void ledger_release(sqlite3 *db)
{
	int i;

	for (i = 0; i < STMT_SLOTS; i++)
		if (db && slots[i].db == db)
			slot_clear(&slots[i]);
}

static int prepare_persistent(sqlite3 *db, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
			       NULL) != SQLITE_OK) {
		*st = NULL;
		return error("database error: %s", sqlite3_errmsg(db));
	}
	return 0;
}

static struct stmt_slot *statements(sqlite3 *db)
{
	struct stmt_slot *s = NULL;
	int i;

	for (i = 0; i < STMT_SLOTS; i++)
		if (slots[i].db == db)
			return &slots[i];
	for (i = 0; i < STMT_SLOTS && !s; i++)
		if (!slots[i].db)
			s = &slots[i];
	if (!s) {
		/* More connections than slots: reuse one round-robin. */
		s = &slots[next_victim++ % STMT_SLOTS];
		slot_clear(s);
	}
	if (prepare_persistent(db, &s->last,
			       "SELECT seq, ts, hash FROM ledger "
			       "ORDER BY seq DESC LIMIT 1") ||
	    prepare_persistent(db, &s->insert,
			       "INSERT INTO ledger (seq, ts, request_id, "
			       "subject_ref, event, target_kind, target_id, "
			       "method, path, status, body_sha256, detail, "
			       "operator, prev_hash, hash) VALUES (?1, ?2, ?3, "
			       "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
			       "?14, ?15)")) {
		slot_clear(s);
		return NULL;
	}
	s->db = db;
	return s;
}

/* The safety net behind every caller: no email-shaped text, no token. */
static int check_no_pii(const struct ledger_entry *e)
{
	const char *names[] = { "request_id", "subject_ref", "event",
				"target_kind", "target_id", "method", "path",
				"body_sha256", "detail", "operator" };
	const char *vals[] = { e->request_id, e->subject_ref, e->event,
			       e->target_kind, e->target_id, e->method, e->path,
			       e->body_sha256, e->detail, e->operator_name };
	struct buf red = BUF_INIT;
	size_t i;
	int ret = 0;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]) && !ret; i++) {
		if (!vals[i] || !vals[i][0])
			continue;
		buf_reset(&red);
		log_redact(&red, vals[i]);
		if (strcmp(red.buf, vals[i]))
			ret = error("refusing to write an email address or a "
				    "secret to the ledger (in its %s field)",
				    names[i]);
	}
	buf_release(&red);
	return ret;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_STATIC);
}

static int append_locked(sqlite3 *db, struct ledger_entry *e)
{
	struct stmt_slot *s = statements(db);
	char prev_ts[32] = "";
	int64_t last = 0;
	int rc;

	if (!s)
		return -1;
	memset(e->prev_hash, '0', SHA256_HEX_LEN);
	e->prev_hash[SHA256_HEX_LEN] = '\0';
	rc = sqlite3_step(s->last);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s->last, 1);
		const char *h = (const char *)sqlite3_column_text(s->last, 2);

		last = sqlite3_column_int64(s->last, 0);
		if (t && strlen(t) < sizeof(prev_ts))
			memcpy(prev_ts, t, strlen(t) + 1);
		if (!h || strlen(h) != SHA256_HEX_LEN) {
			sqlite3_reset(s->last);
			return error("the ledger's last entry %lld has no valid "
				     "hash: run 'erasectl verify'",
				     (long long)last);
		}
		memcpy(e->prev_hash, h, SHA256_HEX_LEN);
	}
	sqlite3_reset(s->last);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return error("cannot read the ledger head: %s",
			     sqlite3_errmsg(db));

	e->seq = last + 1;
	ledger_now(e->ts);
	if (strcmp(e->ts, prev_ts) < 0)
		memcpy(e->ts, prev_ts, sizeof(prev_ts));
	ledger_entry_hash(e, e->hash);

	sqlite3_bind_int64(s->insert, 1, e->seq);
	bind_text(s->insert, 2, e->ts);
	bind_text(s->insert, 3, e->request_id);
	bind_text(s->insert, 4, e->subject_ref);
	bind_text(s->insert, 5, e->event);
	bind_text(s->insert, 6, e->target_kind);
	bind_text(s->insert, 7, e->target_id);
	bind_text(s->insert, 8, e->method);
	bind_text(s->insert, 9, e->path);
	sqlite3_bind_int(s->insert, 10, e->status);
	bind_text(s->insert, 11, e->body_sha256);
	bind_text(s->insert, 12, e->detail);
	bind_text(s->insert, 13, e->operator_name);
	bind_text(s->insert, 14, e->prev_hash);
	bind_text(s->insert, 15, e->hash);
	rc = sqlite3_step(s->insert);
	sqlite3_reset(s->insert);
	sqlite3_clear_bindings(s->insert);
	if (rc != SQLITE_DONE)
		return error("cannot append to the ledger: %s",
			     sqlite3_errmsg(db));
	return 0;
}

int ledger_append(sqlite3 *db, struct ledger_entry *e)
{
	int own = sqlite3_get_autocommit(db), ret;

	if (!e->event || !e->event[0])
		return error("a ledger entry needs an event kind");
	if (!e->operator_name)
		e->operator_name = operator_name();
	if (check_no_pii(e))
		return -1;
	if (own && db_begin(db))
		return -1;
	ret = append_locked(db, e);
	if (own) {
		if (ret)
			db_rollback(db);
		else if (db_commit(db))
			ret = -1;
	}
	return ret;
}

int ledger_head(sqlite3 *db, int64_t *count, char head[SHA256_HEX_LEN + 1])
{
	sqlite3_stmt *st;
	int rc, ret = 0;

	*count = 0;
	memset(head, '0', SHA256_HEX_LEN);
	head[SHA256_HEX_LEN] = '\0';
	if (db_prepare(db, &st, "SELECT seq, hash FROM ledger "
			"ORDER BY seq DESC LIMIT 1"))
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 1);

		*count = sqlite3_column_int64(st, 0);
		if (h && strlen(h) == SHA256_HEX_LEN)
			memcpy(head, h, SHA256_HEX_LEN);
	} else if (rc != SQLITE_DONE) {
		ret = error("cannot read the ledger head: %s",
			    sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	return ret;
}

/* --- Merkle tree (RFC 6962) ------------------------------------------- */

static void merkle_node(const unsigned char *l, const unsigned char *r,
			unsigned char out[SHA256_LEN])
{
	static const unsigned char one = 1;

	sha_begin();
	sha_add(&one, 1);
	sha_add(l, SHA256_LEN);
	sha_add(r, SHA256_LEN);
	sha_end(out);
}

void merkle_init(struct merkle *m)
{
	m->n = 0;
}

void merkle_add(struct merkle *m, const void *d, size_t len)
{
	static const unsigned char zero = 0;
	unsigned char cur[SHA256_LEN];
	unsigned lvl = 0;

	sha_begin();
	sha_add(&zero, 1);
	sha_add(d, len);
	sha_end(cur);
	/* A carry through the complete subtrees, as in binary addition. */
	while (m->n >> lvl & 1) {
		merkle_node(m->level[lvl], cur, cur);
		lvl++;
	}
	memcpy(m->level[lvl], cur, SHA256_LEN);
	m->n++;
}

void merkle_root(const struct merkle *m, unsigned char out[SHA256_LEN])
{
	unsigned char acc[SHA256_LEN];
	unsigned lvl = 0;

	if (!m->n) {
		sha_begin();
		sha_end(out);
		return;
	}
	while (!(m->n >> lvl & 1))
		lvl++;
	memcpy(acc, m->level[lvl], SHA256_LEN);
	/* Fold the smaller subtrees into the larger ones on their left. */
	for (lvl++; lvl < 64; lvl++)
		if (m->n >> lvl & 1)
			merkle_node(m->level[lvl], acc, acc);
	memcpy(out, acc, SHA256_LEN);
}

int ledger_merkle_root(sqlite3 *db, int64_t n, unsigned char out[SHA256_LEN])
{
	struct merkle m;
	sqlite3_stmt *st;
	unsigned char leaf[SHA256_LEN];
	int rc, ret = 0;

	merkle_init(&m);
	if (db_prepare(db, &st, "SELECT hash FROM ledger ORDER BY seq LIMIT ?1"))
		return -1;
	sqlite3_bind_int64(st, 1, n);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 0);

		if (!h || digest_unhex(h, leaf, SHA256_LEN)) {
			ret = error("ledger entry %llu has no valid hash",
				    (unsigned long long)m.n + 1);
			goto out;
		}
		merkle_add(&m, leaf, SHA256_LEN);
	}
	if (rc != SQLITE_DONE)
		ret = error("cannot read the ledger: %s", sqlite3_errmsg(db));
	else if ((int64_t)m.n < n)
		ret = error("the ledger has %llu entries, fewer than %lld",
			    (unsigned long long)m.n, (long long)n);
	else
		merkle_root(&m, out);
out:
	sqlite3_finalize(st);
	return ret;
}

/* --- verification ------------------------------------------------------ */

void ledger_scan_init(struct ledger_scan *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->reason);
}

void ledger_scan_release(struct ledger_scan *s)
{
	buf_release(&s->reason);
}

static const char *const columns[NFIELDS + 2] = {
	"seq", "ts", "request_id", "subject_ref", "event", "target_kind",
	"target_id", "method", "path", "status", "body_sha256", "detail",
	"operator", "prev_hash", "hash",
};

/*
 * Returns 0 when the row's columns have the types the encoding needs, so
 * that what is hashed is exactly what every reader of the table sees.
 */
static int row_types_ok(sqlite3_stmt *st, int *bad_col)
{
	int i;

	for (i = 0; i < NFIELDS + 2; i++) {
		int want = i == 0 || i == 9 ? SQLITE_INTEGER : SQLITE_TEXT;

		if (sqlite3_column_type(st, i) != want) {
			*bad_col = i;
			return -1;
		}
	}
	return 0;
}

static int bad(struct ledger_scan *s, int64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(struct ledger_scan *s, int64_t seq, const char *fmt, ...)
{
	va_list ap;

	s->bad_seq = seq;
	buf_reset(&s->reason);
	va_start(ap, fmt);
	buf_vaddf(&s->reason, fmt, ap);
	va_end(ap);
	return 1;
}

/* Checks one row against the chain so far; 1 (after bad()) if it fails. */
static int check_row(sqlite3_stmt *st, struct ledger_scan *s,
		     const char *prev, struct buf *enc,
		     unsigned char md[SHA256_LEN])
{
	int64_t want = s->entries + 1, seq = sqlite3_column_int64(st, 0);
	struct field f[NFIELDS];
	char seqtxt[24], status[24], hex[SHA256_HEX_LEN + 1];
	const char *ph, *h;
	int i, col;

	if (seq != want) {
		if (seq > want && want == 1)
			return bad(s, 1, "ledger entry 1 is missing (the first "
				   "entry is %lld: entries were deleted)",
				   (long long)seq);
		if (seq > want)
			return bad(s, want, "ledger entry %lld is missing "
				   "(entry %lld follows entry %lld: entries "
				   "were deleted)", (long long)want,
				   (long long)seq, (long long)(want - 1));
		return bad(s, seq, "ledger entry %lld is out of sequence "
			   "(expected %lld)", (long long)seq, (long long)want);
	}
	if (row_types_ok(st, &col))
		return bad(s, seq, "ledger entry %lld has a malformed %s "
			   "column (edited after it was written?)",
			   (long long)seq, columns[col]);
	ph = (const char *)sqlite3_column_text(st, 13);
	if (sqlite3_column_bytes(st, 13) != SHA256_HEX_LEN ||
	    memcmp(ph, prev, SHA256_HEX_LEN))
		return bad(s, seq, "ledger entry %lld does not link to %s "
			   "(its prev_hash differs: entries were rewritten, "
			   "removed or reordered)", (long long)seq,
			   seq == 1 ? "the start of the chain" : "the entry "
			   "before it");

	f[0].p = seqtxt;
	f[0].n = fmt_int64(seq, seqtxt);
	for (i = 1; i < NFIELDS; i++) {
		if (i == 9) {
			f[i].p = status;
			f[i].n = fmt_int64(sqlite3_column_int64(st, i), status);
			continue;
		}
		f[i].p = (const char *)sqlite3_column_text(st, i);
		f[i].n = (size_t)sqlite3_column_bytes(st, i);
	}
	buf_reset(enc);
	encode_fields(enc, f);
	hash_encoded(prev, enc, md);
	digest_hex(md, SHA256_LEN, hex);
	h = (const char *)sqlite3_column_text(st, 14);
	if (sqlite3_column_bytes(st, 14) != SHA256_HEX_LEN ||
	    memcmp(h, hex, SHA256_HEX_LEN))
		return bad(s, seq, "ledger entry %lld does not match its hash "
			   "(edited after it was written?)", (long long)seq);
	return 0;
}

int ledger_scan(sqlite3 *db, int64_t prefix, struct ledger_scan *s)
{
	struct buf enc = BUF_INIT;
	struct merkle *m = xmalloc(sizeof(*m));
	unsigned char md[SHA256_LEN];
	sqlite3_stmt *st;
	int rc, ret = 0;

	s->entries = 0;
	s->bad_seq = 0;
	buf_reset(&s->reason);
	memset(s->head, '0', SHA256_HEX_LEN);
	s->head[SHA256_HEX_LEN] = '\0';
	memcpy(s->prefix_head, s->head, sizeof(s->head));
	merkle_init(m);
	if (db_prepare(db, &st, "SELECT seq, ts, request_id, subject_ref, "
		       "event, target_kind, target_id, method, path, status, "
		       "body_sha256, detail, operator, prev_hash, hash "
		       "FROM ledger ORDER BY seq")) {
		free(m);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (ret || check_row(st, s, s->head, &enc, md)) {
			/* Past the first bad entry: only count, as stored. */
			const char *h = (const char *)sqlite3_column_text(st, 14);

			ret = 1;
			s->entries++;
			if (h && sqlite3_column_bytes(st, 14) == SHA256_HEX_LEN)
				memcpy(s->head, h, SHA256_HEX_LEN);
			continue;
		}
		s->entries++;
		digest_hex(md, SHA256_LEN, s->head);
		if (prefix < 0 || s->entries <= prefix) {
			merkle_add(m, md, SHA256_LEN);
			memcpy(s->prefix_head, s->head, sizeof(s->head));
		}
	}
	if (rc != SQLITE_DONE)
		ret = error("cannot read the ledger: %s", sqlite3_errmsg(db));
	s->prefix_entries = (int64_t)m->n;
	merkle_root(m, s->prefix_root);
	sqlite3_finalize(st);
	buf_release(&enc);
	free(m);
	return ret;
}

int ledger_verify(sqlite3 *db, int64_t *entries, int64_t *bad_seq,
		  struct buf *reason)
{
	struct ledger_scan s;
	int ret;

	ledger_scan_init(&s);
	ret = ledger_scan(db, 0, &s);
	*entries = s.entries;
	*bad_seq = s.bad_seq;
	if (ret > 0)
		buf_add(reason, s.reason.buf, s.reason.len);
	ledger_scan_release(&s);
	return ret;
}

/* --- checkpoints ------------------------------------------------------- */

void ledger_checkpoint_message(const struct ledger_checkpoint *cp,
			       struct buf *out)
{
	buf_addf(out, "%s\n%lld\n%s\n%s\n%s\n", LEDGER_CHECKPOINT_MAGIC,
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

void ledger_checkpoint_json(const struct ledger_checkpoint *cp,
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

int ledger_checkpoint_sign(struct ledger_checkpoint *cp, const char *key_path)
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
	config_check_private_file(key_path, "sign key");
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
	ledger_checkpoint_message(cp, &msg);
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

static const char *json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int ledger_checkpoint_parse(const char *text, size_t len, const char *name,
			    struct ledger_checkpoint *cp)
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
	s = json_str(root, "root");
	if (!s || !is_hex64(s)) {
		why = "\"root\" is not 64 lower-case hex digits";
		goto out;
	}
	memcpy(cp->root, s, sizeof(cp->root));
	s = json_str(root, "head");
	if (!s || !is_hex64(s)) {
		why = "\"head\" is not 64 lower-case hex digits";
		goto out;
	}
	memcpy(cp->head, s, sizeof(cp->head));
	s = json_str(root, "time");
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
		s = json_str(sig, "alg");
		if (!s || strcmp(s, "Ed25519")) {
			why = "the signature's \"alg\" is not \"Ed25519\"";
			goto out;
		}
		s = json_str(sig, "public_key");
		if (!s || unbase64(s, cp->public_key, sizeof(cp->public_key))) {
			why = "the signature's \"public_key\" is not 32 bytes "
			      "of base64";
			goto out;
		}
		s = json_str(sig, "value");
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

int ledger_checkpoint_check_signature(const struct ledger_checkpoint *cp,
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
	ledger_checkpoint_message(cp, &msg);
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

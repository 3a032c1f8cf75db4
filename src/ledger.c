#include "ledger.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "db.h"
#include "exitcode.h"
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
	exit(EXIT_INTEGRITY);
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

/* Appends each field as a netstring ("<len>:<bytes>,"), in one growth. */
static void encode_fields(struct buf *out, const struct field *f)
{
	size_t total = 0, at;
	char *p;
	int i;

	for (i = 0; i < NFIELDS; i++)
		total += 22 + f[i].n;
	buf_grow(out, total);
	at = out->len;
	p = out->buf + at;
	for (i = 0; i < NFIELDS; i++) {
		p += fmt_int64((int64_t)f[i].n, p);
		*p++ = ':';
		memcpy(p, f[i].p, f[i].n);
		p += f[i].n;
		*p++ = ',';
	}
	buf_setlen(out, at + (size_t)(p - (out->buf + at)));
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
const char *ledger_operator(void)
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

/* The safety net behind every caller: no email-shaped text, no token. */
static int check_no_pii(const struct ledger_entry *e)
{
	const char *names[] = { "request_id", "subject_ref", "event",
				"target_kind", "target_id", "method", "path",
				"body_sha256", "detail", "operator" };
	const char *vals[] = { e->request_id, e->subject_ref, e->event,
			       e->target_kind, e->target_id, e->method, e->path,
			       e->body_sha256, e->detail, e->operator_name };
	size_t i;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		if (vals[i] && log_would_redact(vals[i]))
			return error("refusing to write an email address or a "
				     "secret to the ledger (in its %s field)",
				     names[i]);
	return 0;
}

/* The ledger's columns are NOT NULL: an absent field is "". */
static void bind_field(sqlite3_stmt *st, int i, const char *s)
{
	db_bind_text(st, i, s ? s : "");
}

/*
 * The chain head after this connection's last append, valid only inside
 * the write transaction that made it and while nothing else changed a
 * row since (total_changes): a batch of appends (a window's results and
 * coverage) reads the head once. The commit and rollback hooks end it.
 */
static struct {
	sqlite3 *db;
	sqlite3_int64 changes;
	int64_t seq;
	char ts[32];
	char hash[SHA256_HEX_LEN + 1];
	int valid;
} head_cache;

static int head_cache_commit(void *ctx)
{
	(void)ctx;
	head_cache.valid = 0;
	return 0;
}

static void head_cache_rollback(void *ctx)
{
	(void)ctx;
	head_cache.valid = 0;
}

static int head_cached(sqlite3 *db)
{
	return head_cache.valid && head_cache.db == db &&
	       !sqlite3_get_autocommit(db) &&
	       sqlite3_total_changes64(db) == head_cache.changes;
}

static void head_remember(sqlite3 *db, const struct ledger_entry *e)
{
	if (head_cache.db != db) {
		sqlite3_commit_hook(db, head_cache_commit, NULL);
		sqlite3_rollback_hook(db, head_cache_rollback, NULL);
	}
	head_cache.db = db;
	head_cache.changes = sqlite3_total_changes64(db);
	head_cache.seq = e->seq;
	memcpy(head_cache.ts, e->ts, sizeof(head_cache.ts));
	memcpy(head_cache.hash, e->hash, sizeof(head_cache.hash));
	head_cache.valid = !sqlite3_get_autocommit(db);
}

/*
 * The chain head: last seq (0 when empty), its ts and hash (e->prev_hash;
 * 64 '0' for an empty ledger), from the cache or a read.
 */
static int read_head(sqlite3 *db, struct ledger_entry *e, int64_t *last,
		     char prev_ts[32])
{
	sqlite3_stmt *head = db_kept(db, DB_STMT_LEDGER_HEAD,
				     "SELECT seq, ts, hash FROM ledger "
				     "ORDER BY seq DESC LIMIT 1");
	int rc;

	*last = 0;
	prev_ts[0] = '\0';
	memset(e->prev_hash, '0', SHA256_HEX_LEN);
	e->prev_hash[SHA256_HEX_LEN] = '\0';
	if (head_cached(db)) {
		*last = head_cache.seq;
		memcpy(prev_ts, head_cache.ts, sizeof(head_cache.ts));
		memcpy(e->prev_hash, head_cache.hash, SHA256_HEX_LEN);
		return 0;
	}
	if (!head)
		return -1;
	rc = sqlite3_step(head);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(head, 1);
		const char *h = (const char *)sqlite3_column_text(head, 2);

		*last = sqlite3_column_int64(head, 0);
		if (t && strlen(t) < 32)
			memcpy(prev_ts, t, strlen(t) + 1);
		if (!h || strlen(h) != SHA256_HEX_LEN) {
			sqlite3_reset(head);
			return error("the ledger's last entry %lld has no valid "
				     "hash: run 'erasectl verify'",
				     (long long)*last);
		}
		memcpy(e->prev_hash, h, SHA256_HEX_LEN);
	}
	sqlite3_reset(head);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db);
	return 0;
}

static int append_locked(sqlite3 *db, struct ledger_entry *e)
{
	sqlite3_stmt *ins = db_kept(db, DB_STMT_LEDGER_INSERT,
				    "INSERT INTO ledger (seq, ts, request_id, "
				    "subject_ref, event, target_kind, "
				    "target_id, method, path, status, "
				    "body_sha256, detail, operator, prev_hash, "
				    "hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
				    "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
	char prev_ts[32];
	int64_t last;
	int rc;

	if (!ins || read_head(db, e, &last, prev_ts))
		return -1;
	e->seq = last + 1;
	ledger_now(e->ts);
	if (strcmp(e->ts, prev_ts) < 0)
		memcpy(e->ts, prev_ts, sizeof(prev_ts));
	ledger_entry_hash(e, e->hash);

	sqlite3_bind_int64(ins, 1, e->seq);
	bind_field(ins, 2, e->ts);
	bind_field(ins, 3, e->request_id);
	bind_field(ins, 4, e->subject_ref);
	bind_field(ins, 5, e->event);
	bind_field(ins, 6, e->target_kind);
	bind_field(ins, 7, e->target_id);
	bind_field(ins, 8, e->method);
	bind_field(ins, 9, e->path);
	sqlite3_bind_int(ins, 10, e->status);
	bind_field(ins, 11, e->body_sha256);
	bind_field(ins, 12, e->detail);
	bind_field(ins, 13, e->operator_name);
	bind_field(ins, 14, e->prev_hash);
	bind_field(ins, 15, e->hash);
	rc = sqlite3_step(ins);
	if (rc != SQLITE_DONE)
		db_fail(db);
	sqlite3_reset(ins);
	sqlite3_clear_bindings(ins);
	if (rc != SQLITE_DONE)
		return -1;
	head_remember(db, e);
	return 0;
}

int ledger_append(sqlite3 *db, struct ledger_entry *e)
{
	int own = sqlite3_get_autocommit(db), ret;

	if (!e->event || !e->event[0])
		return error("a ledger entry needs an event kind");
	if (!e->operator_name)
		e->operator_name = ledger_operator();
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
		ret = db_fail(db);
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
		ret = db_fail(db);
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

int ledger_outcome_finished(const char *outcome)
{
	static const char *const finished[] = {
		"ok", "already_absent", "gone", "skipped_done", "neutral_name",
		"residual",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(finished); i++)
		if (!strcmp(outcome, finished[i]))
			return 1;
	return 0;
}

int ledger_result_finished(const char *detail, const char *action)
{
	size_t n = strlen(action);

	return detail && !strncmp(detail, action, n) && detail[n] == ':' &&
	       ledger_outcome_finished(detail + n + 1);
}

int ledger_result_released(const char *detail)
{
	return ledger_result_finished(detail, LEDGER_ACT_UNCLAIM) ||
	       ledger_result_finished(detail, LEDGER_ACT_REMOVE);
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

/* The hash of a row read with LEDGER_COLUMNS, chained to prev. */
static void row_hash(sqlite3_stmt *st, const char *prev, struct buf *enc,
		     unsigned char md[SHA256_LEN])
{
	struct field f[NFIELDS];
	char seqtxt[24], status[24];
	int i;

	f[0].p = seqtxt;
	f[0].n = fmt_int64(sqlite3_column_int64(st, 0), seqtxt);
	for (i = 1; i < NFIELDS; i++) {
		if (i == 9) {
			f[i].p = status;
			f[i].n = fmt_int64(sqlite3_column_int64(st, i), status);
			continue;
		}
		f[i].p = (const char *)sqlite3_column_text(st, i);
		f[i].n = (size_t)sqlite3_column_bytes(st, i);
		if (!f[i].p)
			f[i].p = "";
	}
	buf_reset(enc);
	encode_fields(enc, f);
	hash_encoded(prev, enc, md);
}

int ledger_row_hash_ok(sqlite3_stmt *st)
{
	struct buf enc = BUF_INIT;
	unsigned char md[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];
	const char *prev = (const char *)sqlite3_column_text(st, 13);
	const char *h = (const char *)sqlite3_column_text(st, 14);
	int col, ok;

	if (row_types_ok(st, &col) || !prev || !h ||
	    strlen(prev) != SHA256_HEX_LEN)
		return 0;
	row_hash(st, prev, &enc, md);
	digest_hex(md, SHA256_LEN, hex);
	ok = !strcmp(hex, h);
	buf_release(&enc);
	return ok;
}

/* Checks one row against the chain so far; 1 (after bad()) if it fails. */
static int check_row(sqlite3_stmt *st, struct ledger_scan *s,
		     const char *prev, struct buf *enc,
		     unsigned char md[SHA256_LEN])
{
	int64_t want = s->entries + 1, seq = sqlite3_column_int64(st, 0);
	char hex[SHA256_HEX_LEN + 1];
	const char *ph, *h;
	int col;

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

	row_hash(st, prev, enc, md);
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
	struct merkle *m = xmalloc(sizeof(*m)), *all = xmalloc(sizeof(*all));
	unsigned char md[SHA256_LEN];
	sqlite3_stmt *st;
	size_t mark = 0;
	int rc, ret = 0;

	merkle_init(all);
	s->entries = 0;
	s->bad_seq = 0;
	buf_reset(&s->reason);
	memset(s->head, '0', SHA256_HEX_LEN);
	s->head[SHA256_HEX_LEN] = '\0';
	memcpy(s->prefix_head, s->head, sizeof(s->head));
	merkle_init(m);
	/* A checkpoint of the empty ledger. */
	while (mark < s->nmarks && s->marks[mark].entries <= 0) {
		struct ledger_mark *k = &s->marks[mark++];

		k->reached = k->entries == 0;
		merkle_root(all, k->root);
		memcpy(k->head, s->head, sizeof(k->head));
	}
	if (db_prepare(db, &st, "SELECT " LEDGER_COLUMNS
		       " FROM ledger ORDER BY seq")) {
		free(m);
		free(all);
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
		if (s->on_entry)
			s->on_entry(s->ctx, st);
		if (prefix < 0 || s->entries <= prefix) {
			merkle_add(m, md, SHA256_LEN);
			memcpy(s->prefix_head, s->head, sizeof(s->head));
		}
		if (mark < s->nmarks)
			merkle_add(all, md, SHA256_LEN);
		while (mark < s->nmarks &&
		       s->marks[mark].entries <= s->entries) {
			struct ledger_mark *k = &s->marks[mark++];

			if (k->entries != s->entries)
				continue;
			k->reached = 1;
			merkle_root(all, k->root);
			memcpy(k->head, s->head, sizeof(k->head));
		}
	}
	if (rc != SQLITE_DONE)
		ret = db_fail(db);
	s->prefix_entries = (int64_t)m->n;
	merkle_root(m, s->prefix_root);
	sqlite3_finalize(st);
	buf_release(&enc);
	free(m);
	free(all);
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

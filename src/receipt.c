#include "receipt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "civil.h"
#include "coverage.h"
#include "db.h"
#include "escape.h"
#include "ledger.h"
#include "log.h"
#include "util.h"
#include "banned.h"

void receipt_init(struct receipt *rc)
{
	memset(rc, 0, sizeof(*rc));
}

void receipt_release(struct receipt *rc)
{
	size_t i;

	for (i = 0; i < rc->nentries; i++) {
		struct receipt_entry *e = &rc->entries[i];

		free(e->ts);
		free(e->event);
		free(e->target_kind);
		free(e->target_id);
		free(e->method);
		free(e->path);
		free(e->body_sha256);
		free(e->detail);
		free(e->operator_name);
		free(e->prev_hash);
		free(e->hash);
	}
	free(rc->entries);
	free(rc->request_id);
	free(rc->subject_ref);
	free(rc->status);
	free(rc->outcome);
	free(rc->received_at);
	free(rc->completed_at);
	free(rc->extension_reason);
	free(rc->disagreement);
	checkpoint_row_release(&rc->checkpoint);
	receipt_init(rc);
}

/*
 * The request's working state (when the queue still has it) and its
 * evidence. Returns 0, 1 when neither knows it, -1 on a database error.
 */
static int load_request(sqlite3 *db, const char *request_id,
			struct receipt *rc)
{
	struct queue_request q;
	struct buf why = BUF_INIT;
	int ret;

	queue_request_init(&q);
	ret = queue_get(db, request_id, &q);
	if (ret < 0 || evidence_of(db, request_id, &rc->ev)) {
		ret = -1;
		goto out;
	}
	if (ret > 0 && !rc->ev.recorded)
		goto out;
	rc->has_row = ret == 0;
	rc->request_id = log_redact_dup(request_id);
	rc->subject_ref = log_redact_dup(q.subject_ref);
	rc->received_at = log_redact_dup(q.received_at);
	rc->extension_months = q.extension_months;
	rc->extension_reason = log_redact_dup(q.extension_reason);
	rc->status = xstrdup(rc->ev.recorded ?
			     queue_status_name(rc->ev.status) : "pending");
	rc->outcome = rc->ev.outcome[0] ? xstrdup(rc->ev.outcome) : NULL;
	rc->completed_at = rc->ev.completed_at[0] ?
		xstrdup(rc->ev.completed_at) : NULL;
	rc->agrees = evidence_agrees(&rc->ev, rc->has_row ? &q : NULL, &why);
	if (!rc->agrees)
		rc->disagreement = buf_detach(&why, NULL);
	ret = 0;
out:
	buf_release(&why);
	queue_request_release(&q);
	return ret;
}

static int load_entries(sqlite3 *db, const char *request_id,
			struct receipt *rc)
{
	sqlite3_stmt *st;
	int step;

	if (db_prepare(db, &st, "SELECT " LEDGER_COLUMNS
		       " FROM ledger WHERE request_id = ?1 ORDER BY seq"))
		return -1;
	db_bind_text(st, 1, request_id);
	rc->entries_ok = 1;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct receipt_entry *e;

		ALLOC_GROW(rc->entries, rc->nentries, rc->aentries);
		e = &rc->entries[rc->nentries++];
		memset(e, 0, sizeof(*e));
		/* Recomputed over the exact stored text before cleaning. */
		e->hash_ok = ledger_row_hash_ok(st);
		rc->entries_ok &= e->hash_ok;
		e->seq = sqlite3_column_int64(st, 0);
		e->ts = db_column_redacted(st, 1);
		e->event = db_column_redacted(st, 4);
		e->target_kind = db_column_redacted(st, 5);
		e->target_id = db_column_redacted(st, 6);
		e->method = db_column_redacted(st, 7);
		e->path = db_column_redacted(st, 8);
		e->status = sqlite3_column_int(st, 9);
		e->body_sha256 = db_column_redacted(st, 10);
		e->detail = db_column_redacted(st, 11);
		e->operator_name = db_column_redacted(st, 12);
		e->prev_hash = db_column_redacted(st, 13);
		e->hash = db_column_redacted(st, 14);
	}
	if (step != SQLITE_DONE)
		db_fail(db);
	sqlite3_finalize(st);
	return step == SQLITE_DONE ? 0 : -1;
}

int receipt_build(sqlite3 *db, const char *request_id, long deadline_days,
		  time_t now, struct receipt *rc)
{
	struct checkpoint_check chk;
	int ret;

	civil_format_time(now, rc->generated_at);
	ret = load_request(db, request_id, rc);
	if (ret)
		return ret;
	if (civil_deadline(rc->received_at, deadline_days,
			   rc->extension_months, rc->deadline))
		rc->deadline[0] = '\0';
	if (load_entries(db, request_id, rc))
		return -1;
	checkpoint_check_init(&chk);
	ret = checkpoint_check_run(db, 0, &chk);
	if (!ret) {
		rc->ledger_entries = chk.scan.entries;
		memcpy(rc->ledger_head, chk.scan.head, sizeof(rc->ledger_head));
		rc->ledger_bad_seq = chk.scan.bad_seq;
		rc->ledger_verified = !chk.scan.bad_seq;
		rc->checkpoints_bad = chk.bad;
		checkpoint_check_latest(&chk, rc->nentries ?
					rc->entries[rc->nentries - 1].seq : 0,
					&rc->checkpoint);
	}
	checkpoint_check_release(&chk);
	return ret;
}

static int is_done(const struct receipt *rc)
{
	return !strcmp(rc->status, "done");
}

/* A name from the evidence, or NULL when the ledger has none. */
static const char *opt(const char *s)
{
	return *s ? s : NULL;
}

static int with_residue(const struct receipt *rc)
{
	return rc->outcome && !strcmp(rc->outcome, "erased_with_residue");
}

int receipt_is_certificate(const struct receipt *rc)
{
	return is_done(rc) && !with_residue(rc) && rc->ledger_verified &&
	       rc->entries_ok && rc->agrees && !rc->checkpoints_bad;
}

static int within_deadline(const struct receipt *rc)
{
	struct deadline_verdict v;

	civil_judge(CLOCK_DONE, rc->deadline, rc->completed_at, "", &v);
	return is_done(rc) && v.within;
}

/* Splits "<action>:<outcome>" into action; returns the outcome. */
static const char *split_detail(const char *detail, struct buf *action)
{
	const char *colon = strchr(detail, ':');

	buf_reset(action);
	if (!colon) {
		buf_adds(action, detail);
		return "";
	}
	buf_add(action, detail, (size_t)(colon - detail));
	return colon + 1;
}

/* The commands an auditor runs to check the receipt, one per line. */
static void verify_commands(const struct receipt *rc, struct strvec *cmds)
{
	struct buf b = BUF_INIT;

	strvec_push(cmds, "erasectl verify");
	if (rc->checkpoint.present && rc->checkpoint.file) {
		buf_adds(&b, "erasectl verify --checkpoint ");
		escape_shell(&b, rc->checkpoint.file);
		strvec_push(cmds, b.buf);
		buf_reset(&b);
	}
	if (rc->nentries) {
		buf_adds(&b, "sqlite3 ");
		escape_shell(&b, rc->db_path ? rc->db_path : "erasectl.db");
		buf_addf(&b, " \"SELECT seq, prev_hash, hash FROM ledger WHERE "
			 "seq BETWEEN %lld AND %lld\"",
			 (long long)rc->entries[0].seq,
			 (long long)rc->entries[rc->nentries - 1].seq);
		strvec_push(cmds, b.buf);
	}
	buf_release(&b);
}

static const char hash_rule[] =
	"each entry's hash is SHA-256(prev_hash || canonical encoding of its "
	"fields) as documented in src/ledger.h, and its prev_hash is the "
	"previous entry's hash";

static cJSON *entries_json(const struct receipt *rc, const char *event)
{
	cJSON *a = cJSON_CreateArray();
	struct buf action = BUF_INIT;
	size_t i;

	for (i = 0; i < rc->nentries; i++) {
		const struct receipt_entry *e = &rc->entries[i];
		cJSON *o;

		if (event && strcmp(e->event, event))
			continue;
		o = cJSON_CreateObject();
		json_add_int(o, "seq", e->seq);
		json_add_text(o, "ts", e->ts);
		if (event && !strcmp(event, "result")) {
			const char *outcome = split_detail(e->detail, &action);

			json_add_text(o, "action", action.buf);
			json_add_text(o, "outcome", outcome);
		} else if (!event) {
			json_add_text(o, "event", e->event);
		}
		json_add_text(o, "target_kind", e->target_kind);
		json_add_text(o, "target_id", e->target_id);
		if (event && !strcmp(event, "verify")) {
			json_add_text(o, "result", e->detail);
			json_add_text(o, "hash", e->hash);
			cJSON_AddItemToArray(a, o);
			continue;
		}
		json_add_text(o, "method", e->method);
		json_add_text(o, "path", e->path);
		json_add_int(o, event ? "http_status" : "status", e->status);
		json_add_text(o, "body_sha256", e->body_sha256);
		if (!event) {
			json_add_text(o, "detail", e->detail);
			json_add_text(o, "operator", e->operator_name);
			json_add_text(o, "prev_hash", e->prev_hash);
		}
		json_add_text(o, "hash", e->hash);
		if (!event)
			cJSON_AddBoolToObject(o, "hash_ok", e->hash_ok);
		cJSON_AddItemToArray(a, o);
	}
	buf_release(&action);
	return a;
}

/* The coverage entries (coverage.h), one per store, in store order. */
static cJSON *coverage_json(const struct receipt *rc)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < rc->nentries; i++) {
		const struct receipt_entry *e = &rc->entries[i];
		enum store_result r;
		const char *reason;
		cJSON *o;

		if (strcmp(e->event, LEDGER_EV_COVERAGE) ||
		    coverage_parse_detail(e->detail, &r, &reason))
			continue;
		o = cJSON_CreateObject();
		json_add_text(o, "store", e->target_id);
		cJSON_AddStringToObject(o, "result", store_result_name(r));
		json_add_text(o, "reason", reason);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

void receipt_json(const struct receipt *rc, struct buf *out)
{
	struct strvec cmds = STRVEC_INIT;
	cJSON *o = cJSON_CreateObject(), *l, *how, *c;
	size_t i;

	json_add_text(o, "generated_at", rc->generated_at);
	cJSON_AddBoolToObject(o, "certificate_of_erasure",
			      receipt_is_certificate(rc));
	json_add_text(o, "request_id", rc->request_id);
	json_add_text(o, "subject_ref", rc->subject_ref);
	if (rc->identity)
		json_add_text(o, rc->identity_is_email ? "subject_email" :
			      "subject_customer", rc->identity);
	json_add_text(o, "status", rc->status);
	json_add_text(o, "outcome", rc->outcome);
	cJSON_AddBoolToObject(o, "queue_agrees", rc->agrees);
	json_add_text(o, "disagreement", rc->disagreement);
	json_add_text(o, "received_at", rc->received_at);
	json_add_text(o, "deadline", rc->deadline[0] ? rc->deadline : NULL);
	json_add_int(o, "extension_months", rc->extension_months);
	json_add_text(o, "extension_reason", rc->extension_reason);
	json_add_text(o, "completed_at", rc->completed_at);
	cJSON_AddBoolToObject(o, "within_deadline", within_deadline(rc));
	json_add_text(o, "enqueued_by", opt(rc->ev.enqueued_by));
	json_add_text(o, "approved_by", opt(rc->ev.approved_by));
	json_add_text(o, "approved_at", opt(rc->ev.approved_at));
	json_add_text(o, "denied_by", opt(rc->ev.decided_by));
	cJSON_AddItemToObject(o, "actions", entries_json(rc, "result"));
	cJSON_AddItemToObject(o, "verification", entries_json(rc, "verify"));
	cJSON_AddItemToObject(o, "coverage", coverage_json(rc));
	cJSON_AddItemToObject(o, "entries", entries_json(rc, NULL));
	l = cJSON_AddObjectToObject(o, "ledger");
	json_add_int(l, "entries", rc->ledger_entries);
	json_add_text(l, "head", rc->ledger_head);
	cJSON_AddBoolToObject(l, "verified", rc->ledger_verified);
	if (rc->ledger_verified)
		cJSON_AddNullToObject(l, "first_bad_seq");
	else
		json_add_int(l, "first_bad_seq", rc->ledger_bad_seq);
	cJSON_AddBoolToObject(l, "request_entries_recompute", rc->entries_ok);
	json_add_int(l, "checkpoints_not_matching", rc->checkpoints_bad);
	cJSON_AddItemToObject(o, "checkpoint",
			      checkpoint_row_json(&rc->checkpoint));
	json_add_text(o, "checkpoint_note", rc->checkpoint.present ?
		      "this checkpoint's Merkle root covers every entry above" :
		      "no checkpoint covers these entries yet: run 'erasectl "
		      "checkpoint'");
	how = cJSON_AddObjectToObject(o, "how_to_verify");
	json_add_text(how, "hash_rule", hash_rule);
	c = cJSON_AddArrayToObject(how, "commands");
	verify_commands(rc, &cmds);
	for (i = 0; i < cmds.n; i++)
		cJSON_AddItemToArray(c, json_text(cmds.v[i]));
	json_print(o, 1, out);
	strvec_clear(&cmds);
	cJSON_Delete(o);
}

/* Appends a label and a value read from outside, terminal-safe. */
static void field(struct buf *out, const char *label, const char *s)
{
	buf_addf(out, "%-13s ", label);
	escape_text(out, s);
	buf_addch(out, '\n');
}

static void coverage_text(const struct receipt *rc, struct buf *out)
{
	struct buf line = BUF_INIT;
	size_t i, n = 0, left = 0;

	buf_adds(out, "\nCoverage (where the subject's data was, and what "
		 "is left):\n");
	for (i = 0; i < rc->nentries; i++) {
		const struct receipt_entry *e = &rc->entries[i];
		enum store_result r;
		const char *reason;

		if (strcmp(e->event, LEDGER_EV_COVERAGE) ||
		    coverage_parse_detail(e->detail, &r, &reason))
			continue;
		n++;
		left += r == COV_RESIDUAL;
		buf_reset(&line);
		buf_addf(&line, "  %-24s %-17s %s", e->target_id,
			 store_result_name(r), reason);
		escape_text(out, line.buf);
		buf_addch(out, '\n');
	}
	if (!n) {
		buf_adds(out, "  none recorded (the request is not done)\n");
	} else if (left) {
		buf_addf(out, "  %zu store%s left: device ids and time windows "
			 "for your processor: erasectl residual ", left,
			 left > 1 ? "s" : "");
		escape_shell(out, rc->request_id);
		buf_addch(out, '\n');
	}
	buf_release(&line);
}

void receipt_text(const struct receipt *rc, struct buf *out)
{
	struct buf action = BUF_INIT, line = BUF_INIT;
	struct strvec cmds = STRVEC_INIT;
	size_t i, nres = 0, nver = 0;

	if (receipt_is_certificate(rc))
		buf_adds(out, "CERTIFICATE OF ERASURE\n\n");
	else if (rc->agrees && is_done(rc) && with_residue(rc))
		buf_adds(out, "ERASURE RECEIPT (erased with residue: stores the "
			 "policy asked for were left at the deadline; see "
			 "Coverage)\n\n");
	else if (!rc->agrees)
		buf_adds(out, "ERASURE RECEIPT (not a certificate: the queue "
			 "and the ledger disagree)\n\n");
	else if (is_done(rc))
		buf_adds(out, "ERASURE RECEIPT (not a certificate: the ledger "
			 "does not verify)\n\n");
	else
		buf_addf(out, "ERASURE RECEIPT (not a certificate: the request "
			 "is %s)\n\n", rc->status);
	if (!rc->agrees) {
		buf_adds(out, "WARNING: ");
		escape_text(out, rc->disagreement);
		buf_adds(out, ". The status below is the ledger's, which the "
			 "hash chain protects; the queue table was changed "
			 "outside erasectl.\n\n");
	}
	field(out, "request:", str_or(rc->request_id, ""));
	field(out, "subject_ref:", str_or(rc->subject_ref, "-"));
	if (rc->identity) {
		buf_adds(out, "subject:      ");
		escape_text(out, rc->identity);
		buf_adds(out, " (matches subject_ref)\n");
	}
	buf_addf(out, "status:       %s%s%s%s\n", rc->status,
		 rc->outcome ? " (" : "", str_or(rc->outcome, ""),
		 rc->outcome ? ")" : "");
	field(out, "received:", str_or(rc->received_at, "-"));
	buf_addf(out, "deadline:     %s", str_or(rc->deadline, "-"));
	if (rc->extension_months) {
		buf_addf(out, " (extended by %d month%s: ",
			 rc->extension_months,
			 rc->extension_months > 1 ? "s" : "");
		escape_text(out, str_or(rc->extension_reason,
					"no reason recorded"));
		buf_addch(out, ')');
	}
	buf_adds(out, "\ncompleted:    ");
	escape_text(out, str_or(rc->completed_at, "-"));
	if (is_done(rc))
		buf_adds(out, within_deadline(rc) ? " (within the deadline)" :
			 " (AFTER the deadline)");
	buf_addch(out, '\n');
	if (rc->ev.enqueued_by[0])
		field(out, "enqueued by:", rc->ev.enqueued_by);
	if (rc->ev.approved_by[0]) {
		buf_adds(out, "approved by:  ");
		escape_text(out, rc->ev.approved_by);
		buf_adds(out, " at ");
		escape_text(out, rc->ev.approved_at);
		buf_addch(out, '\n');
	}
	if (rc->ev.decided_by[0])
		field(out, "denied by:", rc->ev.decided_by);
	buf_addf(out, "generated:    %s\n", rc->generated_at);

	for (i = 0; i < rc->nentries; i++) {
		nres += !strcmp(rc->entries[i].event, "result");
		nver += !strcmp(rc->entries[i].event, "verify");
	}
	buf_addf(out, "\nActions (%zu API calls):\n", nres);
	if (!nres)
		buf_adds(out, "  none (the subject was found in no product, or "
			 "nothing was done yet)\n");
	for (i = 0; i < rc->nentries; i++) {
		const struct receipt_entry *e = &rc->entries[i];
		const char *outcome;

		if (strcmp(e->event, "result"))
			continue;
		outcome = split_detail(e->detail, &action);
		buf_reset(&line);
		buf_addf(&line, "  seq %-6lld %s  %-22s %-15s %s %s  HTTP %d",
			 (long long)e->seq, e->ts, action.buf, outcome,
			 e->target_kind, e->target_id, e->status);
		escape_text(out, line.buf);
		buf_addch(out, '\n');
	}
	buf_addf(out, "\nVerification (%zu fresh reads after the actions):\n",
		 nver);
	if (!nver)
		buf_adds(out, "  none recorded\n");
	for (i = 0; i < rc->nentries; i++) {
		const struct receipt_entry *e = &rc->entries[i];

		if (strcmp(e->event, "verify"))
			continue;
		buf_reset(&line);
		buf_addf(&line, "  seq %-6lld %s  %s %s: %s", (long long)e->seq,
			 e->ts, e->target_kind, e->target_id, e->detail);
		escape_text(out, line.buf);
		buf_addch(out, '\n');
	}
	coverage_text(rc, out);
	buf_addf(out, "\nLedger entries of this request (%zu):\n",
		 rc->nentries);
	for (i = 0; i < rc->nentries; i++) {
		const struct receipt_entry *e = &rc->entries[i];

		buf_reset(&line);
		buf_addf(&line, "  seq %-6lld %-9s %s%s", (long long)e->seq,
			 e->event, str_or(e->hash, "?"),
			 e->hash_ok ? "" : "  HASH MISMATCH");
		escape_text(out, line.buf);
		buf_addch(out, '\n');
	}
	buf_addf(out, "\nEvery entry's hash recomputes from its fields: %s\n",
		 rc->entries_ok ? "yes" : "NO");
	buf_addf(out, "Ledger hash chain (%lld entries, head ",
		 (long long)rc->ledger_entries);
	escape_text(out, rc->ledger_head);
	buf_addf(out, ") verifies: %s", rc->ledger_verified ? "yes" : "NO");
	if (!rc->ledger_verified)
		buf_addf(out, " (first bad entry: seq %lld)",
			 (long long)rc->ledger_bad_seq);
	buf_adds(out, "\n");
	if (rc->checkpoints_bad)
		buf_addf(out, "Checkpoint rows that do NOT match the ledger: %zu "
			 "(written or changed outside erasectl; not cited)\n",
			 rc->checkpoints_bad);
	if (rc->checkpoint.present) {
		buf_reset(&line);
		buf_addf(&line, "Checkpoint: #%lld of %s covers entries 1-%lld "
			 "(Merkle root %s, %s)", (long long)rc->checkpoint.id,
			 str_or(rc->checkpoint.created_at, "?"),
			 (long long)rc->checkpoint.entries,
			 str_or(rc->checkpoint.root, "?"),
			 rc->checkpoint.is_signed ? "signed" : "unsigned");
		if (rc->checkpoint.file)
			buf_addf(&line, ", file %s", rc->checkpoint.file);
		escape_text(out, line.buf);
		buf_adds(out, "\n");
	} else {
		buf_adds(out, "Checkpoint: none covers these entries yet: run "
			 "'erasectl checkpoint'\n");
	}
	buf_addf(out, "\nHow to verify: %s. Run:\n", hash_rule);
	verify_commands(rc, &cmds);
	for (i = 0; i < cmds.n; i++) {
		buf_adds(out, "  ");
		escape_text(out, cmds.v[i]);
		buf_addch(out, '\n');
	}
	strvec_clear(&cmds);
	buf_release(&action);
	buf_release(&line);
}

/*
 * Unit tests for report.c: a known ledger written exactly as the engine
 * writes it (ledger.h conventions: plan/result/verify/done/failed), then
 * the report's exact counts, deadlines across month ends, extensions,
 * period filters, CSV formula escaping, no email in any format, and
 * receipts whose hashes match the ledger rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "buf.h"
#include "db.h"
#include "ledger.h"
#include "report.h"

#define REF_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define REF_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define BODY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HYPERLINK "=HYPERLINK(\"http://x\",\"y\")"

struct fixture {
	char path[64];
	sqlite3 *db;
	int64_t r001_first, r001_last;
};

/* 2024-06-01T00:00:00Z: the reports' "now". */
static const time_t NOW = 1717200000;

static void add_request(sqlite3 *db, const char *id, const char *email,
			const char *ref, const char *received,
			const char *status, const char *outcome,
			const char *completed, int ext, const char *ext_reason,
			const char *hold_reason)
{
	sqlite3_stmt *st;

	assert_int_equal(db_prepare(db, &st, "INSERT INTO erasure_queue "
		"(request_id, subject_email, subject_ref, received_at, status,"
		" outcome, completed_at, extension_months, extension_reason,"
		" hold_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
		0);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, received, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, completed, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 8, ext);
	sqlite3_bind_text(st, 9, ext_reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, hold_reason, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* One ledger entry as the engine writes it; returns its seq. */
static int64_t led(sqlite3 *db, const char *id, const char *ref,
		   const char *event, const char *kind, const char *target,
		   const char *method, int status, const char *detail)
{
	struct ledger_entry e;
	struct buf path = BUF_INIT;

	memset(&e, 0, sizeof(e));
	if (method) {
		buf_addf(&path, "/v1/products/1001/%s%s%s",
			 !strcmp(kind, "customer") ? "customers/{subject}" :
			 "devices/", !strcmp(kind, "device") ? target : "",
			 detail && !strncmp(detail, "unclaim", 7) ? "/owner" : "");
		e.path = path.buf;
		e.body_sha256 = BODY;
	}
	e.request_id = id;
	e.subject_ref = ref;
	e.event = event;
	e.target_kind = kind;
	e.target_id = target;
	e.method = method;
	e.status = status;
	e.detail = detail;
	e.operator_name = "tester";
	assert_int_equal(ledger_append(db, &e), 0);
	buf_release(&path);
	return e.seq;
}

/* A whole successful erasure: plan, results, verify, done. */
static void erase_ok(sqlite3 *db, const char *id, const char *ref,
		     const char *const *devices, const char *const *outcomes,
		     const char *action, int64_t *first, int64_t *last)
{
	struct buf d = BUF_INIT;
	int64_t s;
	size_t i;

	assert_int_equal(db_begin(db), 0);
	s = led(db, id, ref, "plan", "customer", "c1", "DELETE", 0,
		"delete_customer");
	if (first)
		*first = s;
	for (i = 0; devices[i]; i++)
		led(db, id, ref, "plan", "device", devices[i], "DELETE", 0,
		    action);
	for (i = 0; devices[i]; i++) {
		buf_reset(&d);
		buf_addf(&d, "%s:%s", action, outcomes[i]);
		led(db, id, ref, "result", "device", devices[i], "DELETE",
		    strcmp(outcomes[i], "ok") ? 404 : 200, d.buf);
	}
	led(db, id, ref, "result", "customer", "c1", "DELETE", 200,
	    "delete_customer:ok");
	led(db, id, ref, "verify", "customer", "c1", NULL, 0, "ok");
	for (i = 0; devices[i]; i++)
		led(db, id, ref, "verify", "device", devices[i], NULL, 0, "ok");
	s = led(db, id, ref, "done", "request", id, NULL, 0, "erased");
	if (last)
		*last = s;
	assert_int_equal(db_commit(db), 0);
	buf_release(&d);
}

static int setup(void **state)
{
	static const char *const r001_dev[] = { "dev1a", "dev1b", NULL };
	static const char *const r001_out[] = { "ok", "already_absent" };
	static const char *const one_dev[] = { "dev2", NULL };
	static const char *const ok[] = { "ok" };
	struct fixture *f = calloc(1, sizeof(*f));
	sqlite3 *db;
	int fd;

	snprintf(f->path, sizeof(f->path), "/tmp/test_report.XXXXXX");
	fd = mkstemp(f->path);
	if (fd < 0)
		return -1;
	close(fd);
	if (db_open(&f->db, f->path, DB_OPEN_CREATE))
		return -1;
	db = f->db;

	/* 31 Jan 2024 -> deadline 29 Feb (leap year): done that day. */
	add_request(db, "R-001", NULL, REF_A, "2024-01-31", "done", "erased",
		    "2024-02-29T12:00:00Z", 0, NULL, NULL);
	erase_ok(db, "R-001", REF_A, r001_dev, r001_out, "unclaim",
		 &f->r001_first, &f->r001_last);
	/* 31 Jan 2023 -> deadline 28 Feb 2023: done on 1 March, late. */
	add_request(db, "R-002", NULL, REF_B, "2023-01-31", "done", "erased",
		    "2023-03-01T00:00:01Z", 0, NULL, NULL);
	erase_ok(db, "R-002", REF_B, one_dev, ok, "remove", NULL, NULL);
	/* Found in no product. */
	add_request(db, "R-003", NULL, REF_A, "2024-03-01", "done",
		    "not_found", "2024-03-02T00:00:00Z", 0, NULL, NULL);
	assert_int_equal(db_begin(db), 0);
	led(db, "R-003", REF_A, "verify", "customer", "", NULL, 0, "ok");
	led(db, "R-003", REF_A, "done", "request", "R-003", NULL, 0,
	    "not_found");
	assert_int_equal(db_commit(db), 0);
	/* Failed and open past its deadline (15 May): overdue. */
	add_request(db, "R-004", NULL, REF_B, "2024-04-15", "failed", NULL,
		    NULL, 0, NULL, NULL);
	assert_int_equal(db_begin(db), 0);
	led(db, "R-004", REF_B, "plan", "device", "dev4", "DELETE", 0,
	    "unclaim");
	led(db, "R-004", REF_B, "result", "device", "dev4", "DELETE", 503,
	    "unclaim:error");
	led(db, "R-004", REF_B, "failed", "request", "R-004", NULL, 0,
	    "retries exhausted");
	assert_int_equal(db_commit(db), 0);
	/* Pending, within its deadline; still holds its email. */
	add_request(db, "R-005", "alice@example.com", REF_A, "2024-05-20",
		    "pending", NULL, NULL, 0, NULL, NULL);
	/* Held past its deadline: a decision, not overdue. */
	add_request(db, "R-006", NULL, REF_B, "2024-03-10T08:00:00Z", "held",
		    NULL, NULL, 0, NULL, "litigation, ask bob@example.org");
	/* Extended by two months: 10 Feb + 3 months = 10 May; done 20 Apr. */
	add_request(db, "R-007", NULL, REF_A, "2024-02-10", "done", "erased",
		    "2024-04-20T00:00:00Z", 2,
		    "many devices; contact carol@example.net", NULL);
	erase_ok(db, "R-007", REF_A, one_dev, ok, "unclaim", NULL, NULL);
	/* A hostile request id from an upstream system. */
	add_request(db, HYPERLINK, NULL, REF_B, "2024-05-25", "pending", NULL,
		    NULL, 0, NULL, NULL);
	/* A verify mismatch, a failed attempt, then a clean retry. */
	add_request(db, "R-009", NULL, REF_A, "2024-05-01", "done", "erased",
		    "2024-05-03T00:00:00Z", 0, NULL, NULL);
	assert_int_equal(db_begin(db), 0);
	led(db, "R-009", REF_A, "plan", "device", "dev9", "DELETE", 0,
	    "unclaim");
	led(db, "R-009", REF_A, "result", "device", "dev9", "DELETE", 200,
	    "unclaim:ok");
	led(db, "R-009", REF_A, "verify", "device", "dev9", NULL, 0,
	    "mismatch");
	led(db, "R-009", REF_A, "failed", "request", "R-009", NULL, 0,
	    "verify mismatch");
	led(db, "R-009", REF_A, "result", "device", "dev9", "DELETE", 0,
	    "unclaim:skipped_done");
	led(db, "R-009", REF_A, "result", "customer", "c9", "DELETE", 200,
	    "delete_customer:ok");
	led(db, "R-009", REF_A, "verify", "customer", "c9", NULL, 0, "ok");
	led(db, "R-009", REF_A, "verify", "device", "dev9", NULL, 0, "ok");
	led(db, "R-009", REF_A, "done", "request", "R-009", NULL, 0, "erased");
	assert_int_equal(db_commit(db), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char side[80];

	db_close(f->db);
	unlink(f->path);
	snprintf(side, sizeof(side), "%s-wal", f->path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", f->path);
	unlink(side);
	free(f);
	return 0;
}

static const struct report_request *find(const struct report *r,
					 const char *id)
{
	size_t i;

	for (i = 0; i < r->nrequests; i++)
		if (!strcmp(r->requests[i].request_id, id))
			return &r->requests[i];
	fail_msg("request %s not in the report", id);
	return NULL;
}

static long action_count(const struct report *r, const char *action,
			 const char *outcome)
{
	size_t i;

	for (i = 0; i < r->nactions; i++)
		if (!strcmp(r->actions[i].action, action) &&
		    !strcmp(r->actions[i].outcome, outcome))
			return r->actions[i].count;
	return 0;
}

static void build(struct fixture *f, const char *from, const char *to,
		  long deadline_days, struct report *r)
{
	struct report_options o = { from, to, deadline_days, NOW };

	report_init(r);
	assert_int_equal(report_build(f->db, &o, r), 0);
}

static void test_summary_counts(void **state)
{
	struct fixture *f = *state;
	struct report r;

	build(f, NULL, NULL, 0, &r);
	assert_string_equal(r.generated_at, "2024-06-01T00:00:00Z");
	assert_int_equal(r.received, 9);
	assert_int_equal(r.done, 5);
	assert_int_equal(r.erased, 4);
	assert_int_equal(r.not_found, 1);
	assert_int_equal(r.failed, 1);
	assert_int_equal(r.pending, 2);
	assert_int_equal(r.held, 1);
	assert_int_equal(r.rejected, 0);
	assert_int_equal(r.overdue, 2);		/* R-002 late, R-004 open */
	assert_int_equal(r.done_within_deadline, 4);
	/* Days: 1, 2, 29.0000116, 29.5, 70. */
	assert_true(r.have_days);
	assert_true(r.median_days > 29.0 && r.median_days < 29.001);
	assert_true(r.p95_days > 69.999 && r.p95_days < 70.001);

	assert_int_equal(r.nactions, 6);
	assert_int_equal(action_count(&r, "delete_customer", "ok"), 4);
	assert_int_equal(action_count(&r, "unclaim", "ok"), 3);
	assert_int_equal(action_count(&r, "unclaim", "already_absent"), 1);
	assert_int_equal(action_count(&r, "unclaim", "error"), 1);
	assert_int_equal(action_count(&r, "unclaim", "skipped_done"), 1);
	assert_int_equal(action_count(&r, "remove", "ok"), 1);

	assert_true(r.ledger_verified);
	assert_int_equal(r.ledger_entries, 38);
	assert_false(r.checkpoint.present);
	report_release(&r);
}

static void test_per_request(void **state)
{
	struct fixture *f = *state;
	const struct report_request *q;
	struct report r;

	build(f, NULL, NULL, 0, &r);
	q = find(&r, "R-001");
	assert_string_equal(q->deadline, "2024-02-29");
	assert_true(q->within_deadline);
	assert_false(q->overdue);
	assert_int_equal(q->devices_released, 2);
	assert_true(q->customer_deleted);
	assert_true(q->verified);
	assert_int_equal(q->first_seq, f->r001_first);
	assert_int_equal(q->last_seq, f->r001_last);
	assert_true(q->days > 29.49 && q->days < 29.51);

	q = find(&r, "R-002");
	assert_string_equal(q->deadline, "2023-02-28");
	assert_false(q->within_deadline);
	assert_true(q->overdue);
	assert_int_equal(q->devices_released, 1);

	q = find(&r, "R-003");
	assert_string_equal(q->outcome, "not_found");
	assert_int_equal(q->devices_released, 0);
	assert_false(q->customer_deleted);
	assert_true(q->verified);
	assert_true(q->within_deadline);

	q = find(&r, "R-004");
	assert_string_equal(q->deadline, "2024-05-15");
	assert_true(q->overdue);
	assert_false(q->verified);
	assert_int_equal(q->devices_released, 0);

	q = find(&r, "R-005");
	assert_string_equal(q->deadline, "2024-06-20");
	assert_false(q->overdue);
	assert_int_equal(q->first_seq, 0);

	q = find(&r, "R-006");
	assert_string_equal(q->deadline, "2024-04-10");
	assert_false(q->overdue);

	q = find(&r, "R-007");
	assert_int_equal(q->extension_months, 2);
	assert_string_equal(q->deadline, "2024-05-10");
	assert_true(q->within_deadline);
	/* Free text is scrubbed of emails. */
	assert_null(strstr(q->extension_reason, "@"));
	assert_non_null(strstr(q->extension_reason, "many devices"));

	q = find(&r, "R-009");
	assert_int_equal(q->devices_released, 1);	/* distinct devices */
	assert_true(q->verified);	/* mismatch was an earlier attempt */
	assert_true(q->customer_deleted);
	report_release(&r);

	/* deadline_days = 30: 31 Jan + 30 days = 1 Mar. */
	build(f, NULL, NULL, 30, &r);
	assert_string_equal(find(&r, "R-001")->deadline, "2024-03-01");
	assert_string_equal(find(&r, "R-002")->deadline, "2023-03-02");
	assert_false(find(&r, "R-002")->overdue);
	report_release(&r);
}

static void test_period(void **state)
{
	struct fixture *f = *state;
	struct report r;

	build(f, "2024-01-01", "2024-03-10", 0, &r);
	/* R-001, R-007, R-003 and R-006 (a date-time on the last day). */
	assert_int_equal(r.received, 4);
	assert_int_equal(r.done, 3);
	assert_int_equal(r.held, 1);
	assert_string_equal(r.requests[0].request_id, "R-001");
	assert_int_equal(action_count(&r, "delete_customer", "ok"), 2);
	assert_int_equal(action_count(&r, "unclaim", "ok"), 2);
	assert_int_equal(action_count(&r, "remove", "ok"), 0);
	assert_int_equal(action_count(&r, "unclaim", "error"), 0);
	assert_true(r.ledger_verified);
	report_release(&r);

	build(f, "2024-03-11", NULL, 0, &r);
	assert_int_equal(r.received, 4);	/* R-004/005/009, =HYPERLINK */
	report_release(&r);

	assert_true(report_date_valid("2024-02-29"));
	assert_false(report_date_valid("2023-02-29"));
	assert_false(report_date_valid("2024-13-01"));
	assert_false(report_date_valid("2024-1-01"));
	assert_false(report_date_valid("2024-01-01T00:00:00Z"));
}

static void test_csv_escaping(void **state)
{
	struct fixture *f = *state;
	struct buf b = BUF_INIT;
	struct report r;

	report_csv_cell(&b, "plain");
	assert_string_equal(b.buf, "plain");
	buf_reset(&b);
	report_csv_cell(&b, "a,b");
	assert_string_equal(b.buf, "\"a,b\"");
	buf_reset(&b);
	report_csv_cell(&b, "say \"hi\"\nbye");
	assert_string_equal(b.buf, "\"say \"\"hi\"\"\nbye\"");
	buf_reset(&b);
	report_csv_cell(&b, HYPERLINK);
	assert_string_equal(b.buf,
			    "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
	buf_reset(&b);
	report_csv_cell(&b, "+1");
	assert_string_equal(b.buf, "\"'+1\"");
	buf_reset(&b);
	report_csv_cell(&b, "-2");
	assert_string_equal(b.buf, "\"'-2\"");
	buf_reset(&b);
	report_csv_cell(&b, "@SUM(A1)");
	assert_string_equal(b.buf, "\"'@SUM(A1)\"");
	buf_reset(&b);
	report_csv_cell(&b, "\tx");
	assert_string_equal(b.buf, "\"'\tx\"");
	buf_reset(&b);
	report_csv_cell(&b, "\rx");
	assert_string_equal(b.buf, "\"'\rx\"");
	buf_reset(&b);

	build(f, NULL, NULL, 0, &r);
	report_csv(&r, &b);
	assert_non_null(strstr(b.buf, "\r\n\"'=HYPERLINK(\"\"http://x\"\","
			       "\"\"y\"\")\"," REF_B ",2024-05-25,"));
	assert_int_equal(strncmp(b.buf, "request_id,subject_ref,received_at,"
				 "deadline,", 35), 0);
	assert_non_null(strstr(b.buf, "\r\nR-002," REF_B ",2023-01-31,"
			       "2023-02-28,2023-03-01T00:00:01Z,done,erased,"
			       "yes,1,yes,yes,"));
	report_release(&r);
	buf_release(&b);
}

static void test_no_email_anywhere(void **state)
{
	struct fixture *f = *state;
	struct buf b = BUF_INIT;
	struct report r;

	build(f, NULL, NULL, 0, &r);
	report_json(&r, &b);
	report_csv(&r, &b);
	report_markdown(&r, &b);
	report_html(&r, &b);
	assert_null(strstr(b.buf, "alice@"));
	assert_null(strstr(b.buf, "bob@"));
	assert_null(strstr(b.buf, "carol@"));
	assert_null(strstr(b.buf, "example.com"));
	assert_null(strstr(b.buf, "example.net"));
	report_release(&r);
	buf_release(&b);
}

static const cJSON *get(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		fail_msg("missing key '%s'", key);
	return v;
}

static void test_json_keys(void **state)
{
	static const char *const summary_keys[] = { "received", "done",
		"not_found", "failed", "pending", "held", "overdue",
		"done_within_deadline", NULL };
	static const char *const request_keys[] = { "request_id",
		"subject_ref", "received_at", "deadline", "completed_at",
		"status", "outcome", "devices_released", "customer_deleted",
		"verified", NULL };
	struct fixture *f = *state;
	struct buf b = BUF_INIT;
	struct report r;
	const cJSON *s, *l, *reqs, *q;
	cJSON *j;
	size_t i;

	build(f, "2024-01-01", NULL, 0, &r);
	report_json(&r, &b);
	j = cJSON_Parse(b.buf);
	assert_non_null(j);
	assert_string_equal(get(j, "generated_at")->valuestring,
			    "2024-06-01T00:00:00Z");
	assert_string_equal(get(get(j, "period"), "from")->valuestring,
			    "2024-01-01");
	assert_true(cJSON_IsNull(get(get(j, "period"), "to")));
	s = get(j, "summary");
	for (i = 0; summary_keys[i]; i++)
		assert_true(cJSON_IsNumber(get(s, summary_keys[i])));
	assert_int_equal(get(s, "received")->valueint, 8);
	assert_int_equal(get(s, "done")->valueint, 4);
	assert_int_equal(get(s, "not_found")->valueint, 1);
	assert_int_equal(get(s, "overdue")->valueint, 1);
	l = get(j, "ledger");
	assert_int_equal(get(l, "entries")->valueint, 38);
	assert_int_equal(strlen(get(l, "head")->valuestring), 64);
	assert_true(cJSON_IsTrue(get(l, "verified")));
	reqs = get(j, "requests");
	assert_int_equal(cJSON_GetArraySize(reqs), 8);
	cJSON_ArrayForEach(q, reqs)
		for (i = 0; request_keys[i]; i++)
			get(q, request_keys[i]);
	q = cJSON_GetArrayItem(reqs, 0);
	assert_string_equal(get(q, "request_id")->valuestring, "R-001");
	assert_string_equal(get(q, "deadline")->valuestring, "2024-02-29");
	assert_int_equal(get(q, "devices_released")->valueint, 2);
	assert_true(cJSON_IsTrue(get(q, "customer_deleted")));
	assert_true(cJSON_IsTrue(get(q, "verified")));
	cJSON_Delete(j);
	report_release(&r);
	buf_release(&b);
}

static void test_html_and_markdown(void **state)
{
	struct fixture *f = *state;
	struct buf b = BUF_INIT;
	struct report r;

	build(f, NULL, NULL, 0, &r);
	report_html(&r, &b);
	assert_int_equal(strncmp(b.buf, "<!DOCTYPE html>", 15), 0);
	/* The hostile id is text, never markup. */
	assert_non_null(strstr(b.buf, "=HYPERLINK(&quot;http://x&quot;,"
			       "&quot;y&quot;)"));
	assert_null(strstr(b.buf, "<script"));
	assert_null(strstr(b.buf, "src="));
	assert_null(strstr(b.buf, "href="));
	assert_null(strstr(b.buf, "url("));
	assert_null(strstr(b.buf, "@import"));
	assert_non_null(strstr(b.buf, "<svg"));
	assert_non_null(strstr(b.buf, "@media print"));
	buf_reset(&b);
	report_markdown(&r, &b);
	assert_non_null(strstr(b.buf, "| Requests received | 9 |"));
	assert_non_null(strstr(b.buf, "| **Overdue** | **2** |"));
	assert_non_null(strstr(b.buf, "\\=HYPERLINK") ||
			strstr(b.buf, "=HYPERLINK"));
	buf_reset(&b);
	report_html_escape(&b, "<a href='x'>&\xff");
	assert_string_equal(b.buf, "&lt;a href=&#39;x&#39;&gt;&amp;\xef\xbf\xbd");
	buf_reset(&b);
	report_json_string(&b, "q\"\\\n\x01\xc3");
	assert_string_equal(b.buf, "\"q\\\"\\\\\\u000a\\u0001\\ufffd\"");
	report_release(&r);
	buf_release(&b);
}

static void add_checkpoint(sqlite3 *db, int64_t entries)
{
	sqlite3_stmt *st;

	assert_int_equal(db_prepare(db, &st, "INSERT INTO checkpoints "
		"(created_at, entries, root, head, signed, file) VALUES "
		"('2024-06-01T00:00:00Z', ?1, 'root', 'head', 1, 'cp.json')"), 0);
	sqlite3_bind_int64(st, 1, entries);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

static void test_receipt(void **state)
{
	struct fixture *f = *state;
	struct receipt rc;
	struct buf b = BUF_INIT;
	sqlite3_stmt *st;
	size_t i = 0;

	receipt_init(&rc);
	assert_int_equal(receipt_build(f->db, "R-001", 0, NOW, &rc), 0);
	assert_string_equal(rc.status, "done");
	assert_string_equal(rc.deadline, "2024-02-29");
	assert_int_equal(rc.nentries, 10);
	assert_true(rc.entries_ok);
	assert_true(rc.ledger_verified);
	assert_false(rc.checkpoint.present);
	/* Every hash the receipt shows is the ledger row's. */
	assert_int_equal(db_prepare(f->db, &st, "SELECT seq, hash FROM ledger "
				    "WHERE request_id = 'R-001' ORDER BY seq"), 0);
	while (sqlite3_step(st) == SQLITE_ROW) {
		assert_int_equal(rc.entries[i].seq, sqlite3_column_int64(st, 0));
		assert_string_equal(rc.entries[i].hash,
				    (const char *)sqlite3_column_text(st, 1));
		assert_true(rc.entries[i].hash_ok);
		i++;
	}
	sqlite3_finalize(st);
	assert_int_equal(i, rc.nentries);
	receipt_text(&rc, &b);
	assert_non_null(strstr(b.buf, "CERTIFICATE OF ERASURE"));
	assert_non_null(strstr(b.buf, "run 'erasectl checkpoint'"));
	assert_non_null(strstr(b.buf, rc.entries[3].hash));
	receipt_release(&rc);

	/* A checkpoint too short does not cover; a later full one does. */
	add_checkpoint(f->db, f->r001_last - 1);
	receipt_init(&rc);
	assert_int_equal(receipt_build(f->db, "R-001", 0, NOW, &rc), 0);
	assert_false(rc.checkpoint.present);
	receipt_release(&rc);
	add_checkpoint(f->db, 38);
	add_checkpoint(f->db, f->r001_last - 1);
	receipt_init(&rc);
	assert_int_equal(receipt_build(f->db, "R-001", 0, NOW, &rc), 0);
	assert_true(rc.checkpoint.present);
	assert_int_equal(rc.checkpoint.entries, 38);
	buf_reset(&b);
	rc.db_path = "/tmp/it's.db";
	receipt_json(&rc, &b);
	{
		cJSON *j = cJSON_Parse(b.buf);

		assert_non_null(j);
		assert_true(cJSON_IsTrue(get(j, "certificate_of_erasure")));
		assert_int_equal(cJSON_GetArraySize(get(j, "actions")), 3);
		assert_int_equal(cJSON_GetArraySize(get(j, "verification")), 3);
		assert_int_equal(get(get(j, "checkpoint"), "entries")->valueint,
				 38);
		assert_null(cJSON_GetObjectItem(j, "subject_email"));
		cJSON_Delete(j);
	}
	assert_non_null(strstr(b.buf, "'/tmp/it'\\\\''s.db'"));
	receipt_release(&rc);

	receipt_init(&rc);
	assert_int_equal(receipt_build(f->db, "nope", 0, NOW, &rc), 1);
	receipt_release(&rc);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_summary_counts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_per_request, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_period, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_escaping, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_email_anywhere, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_json_keys, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_html_and_markdown, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_receipt, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

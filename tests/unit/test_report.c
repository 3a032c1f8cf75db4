/*
 * Unit tests for report.c: a known ledger written exactly as the engine
 * writes it (ledger.h conventions: plan/result/verify/done/failed), then
 * the report's exact counts, deadlines across month ends, extensions,
 * period filters, CSV formula escaping, no email in any format, and
 * receipts whose hashes match the ledger rows (a certificate of erasure
 * only when the request is done and the ledger verifies).
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
#include "checkpoint.h"
#include "civil.h"
#include "db.h"
#include "escape.h"
#include "ledger.h"
#include "receipt.h"
#include "report.h"
#include "fixture.h"

#define REF_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define REF_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define BODY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HYPERLINK "=HYPERLINK(\"http://x\",\"y\")"

/* The report fixture's own state (fixture.data). */
struct seqs {
	int64_t r001_first, r001_last;
};

static struct seqs *seqs(struct fixture *f)
{
	return f->data;
}

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

/*
 * The time the entries being written carry: the fixture tells each
 * request's story on the days it happened (the ledger, not the queue, is
 * the evidence of what was done when; evidence.h).
 */
static const char *led_ts = "2024-01-01T00:00:00.000Z";

/*
 * One ledger entry as the engine writes it, at led_ts: chained and
 * hashed exactly as ledger_append would, only with its time given.
 * Returns its seq.
 */
static int64_t led(sqlite3 *db, const char *id, const char *ref,
		   const char *event, const char *kind, const char *target,
		   const char *method, int status, const char *detail)
{
	struct ledger_entry e;
	struct buf path = BUF_INIT;
	sqlite3_stmt *st;
	int64_t n;

	memset(&e, 0, sizeof(e));
	if (method) {
		buf_addf(&path, "/v1/products/1001/%s%s%s",
			 !strcmp(kind, "customer") ? "customers/{subject}" :
			 "devices/", !strcmp(kind, "device") ? target : "",
			 detail && !strncmp(detail, "unclaim", 7) ? "/owner" : "");
		e.path = path.buf;
		e.body_sha256 = BODY;
	}
	assert_int_equal(ledger_head(db, &n, e.prev_hash), 0);
	e.seq = n + 1;
	snprintf(e.ts, sizeof(e.ts), "%s", led_ts);
	e.request_id = id;
	e.subject_ref = ref;
	e.event = event;
	e.target_kind = kind;
	e.target_id = target;
	e.method = method;
	e.status = status;
	e.detail = detail;
	e.operator_name = "tester";
	ledger_entry_hash(&e, e.hash);
	assert_int_equal(db_prepare(db, &st, "INSERT INTO ledger (seq, ts, "
		"request_id, subject_ref, event, target_kind, target_id, "
		"method, path, status, body_sha256, detail, operator, "
		"prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
		"?10, ?11, ?12, ?13, ?14, ?15)"), 0);
	sqlite3_bind_int64(st, 1, e.seq);
	sqlite3_bind_text(st, 2, e.ts, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ref ? ref : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, kind ? kind : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, target ? target : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, method ? method : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, e.path ? e.path : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 10, status);
	sqlite3_bind_text(st, 11, e.body_sha256 ? e.body_sha256 : "", -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 12, detail ? detail : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, e.operator_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 14, e.prev_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, e.hash, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	buf_release(&path);
	return e.seq;
}

/* The "enqueued" entry of a request, at ts. */
static int64_t enqueued(sqlite3 *db, const char *ts, const char *id,
			const char *ref)
{
	led_ts = ts;
	return led(db, id, ref, "enqueued", "request", NULL, NULL, 0, "csv");
}

/* A whole successful erasure at ts: plan, results, verify, done. */
static void erase_ok(sqlite3 *db, const char *ts, const char *id,
		     const char *ref, const char *const *devices,
		     const char *const *outcomes, const char *action,
		     int64_t *last)
{
	struct buf d = BUF_INIT;
	int64_t s;
	size_t i;

	led_ts = ts;
	assert_int_equal(db_begin(db), 0);
	led(db, id, ref, "plan", "customer", "c1", "DELETE", 0,
	    "delete_customer");
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

/*
 * Nine requests, their queue rows and their ledger, written in the order
 * things happened: 49 entries.
 */
static int setup(void **state)
{
	static const char *const r001_dev[] = { "dev1a", "dev1b", NULL };
	static const char *const r001_out[] = { "ok", "already_absent" };
	static const char *const one_dev[] = { "dev2", NULL };
	static const char *const ok[] = { "ok" };
	struct fixture *f;
	struct seqs *q;
	sqlite3 *db;

	if (fixture_setup_db(state))
		return -1;
	f = *state;
	db = f->db;
	q = f->data = xcalloc(1, sizeof(*q));

	/* 31 Jan 2023 -> deadline 28 Feb 2023: done on 1 March, late. */
	add_request(db, "R-002", NULL, REF_B, "2023-01-31", "done", "erased",
		    "2023-03-01T00:00:01Z", 0, NULL, NULL);
	enqueued(db, "2023-01-31T09:00:00.000Z", "R-002", REF_B);
	erase_ok(db, "2023-03-01T00:00:01.000Z", "R-002", REF_B, one_dev, ok,
		 "remove", NULL);
	/* 31 Jan 2024 -> deadline 29 Feb (leap year): done that day. */
	add_request(db, "R-001", NULL, REF_A, "2024-01-31", "done", "erased",
		    "2024-02-29T12:00:00Z", 0, NULL, NULL);
	q->r001_first = enqueued(db, "2024-01-31T09:00:00.000Z", "R-001",
				 REF_A);
	/* Extended by two months: 10 Feb + 3 months = 10 May; done 20 Apr. */
	add_request(db, "R-007", NULL, REF_A, "2024-02-10", "done", "erased",
		    "2024-04-20T00:00:00Z", 2,
		    "many devices; contact carol@example.net", NULL);
	enqueued(db, "2024-02-10T09:00:00.000Z", "R-007", REF_A);
	erase_ok(db, "2024-02-29T12:00:00.000Z", "R-001", REF_A, r001_dev,
		 r001_out, "unclaim", &q->r001_last);
	/* Found in no product. */
	add_request(db, "R-003", NULL, REF_A, "2024-03-01", "done",
		    "not_found", "2024-03-02T00:00:00Z", 0, NULL, NULL);
	enqueued(db, "2024-03-01T09:00:00.000Z", "R-003", REF_A);
	led_ts = "2024-03-01T10:00:00.000Z";
	led(db, "R-007", REF_A, "extend", "request", "R-007", NULL, 0,
	    "many devices");
	led_ts = "2024-03-02T00:00:00.000Z";
	assert_int_equal(db_begin(db), 0);
	led(db, "R-003", REF_A, "verify", "customer", "", NULL, 0, "ok");
	led(db, "R-003", REF_A, "done", "request", "R-003", NULL, 0,
	    "not_found");
	assert_int_equal(db_commit(db), 0);
	/* Held past its deadline: a decision, not overdue. */
	add_request(db, "R-006", NULL, REF_B, "2024-03-10T08:00:00Z", "held",
		    NULL, NULL, 0, NULL, "litigation, ask bob@example.org");
	enqueued(db, "2024-03-10T08:00:00.000Z", "R-006", REF_B);
	led_ts = "2024-03-11T09:00:00.000Z";
	led(db, "R-006", REF_B, "hold", "request", NULL, NULL, 0,
	    "litigation");
	/* Failed and open past its deadline (15 May): overdue. */
	add_request(db, "R-004", NULL, REF_B, "2024-04-15", "failed", NULL,
		    NULL, 0, NULL, NULL);
	enqueued(db, "2024-04-15T09:00:00.000Z", "R-004", REF_B);
	led_ts = "2024-04-16T09:00:00.000Z";
	assert_int_equal(db_begin(db), 0);
	led(db, "R-004", REF_B, "plan", "device", "dev4", "DELETE", 0,
	    "unclaim");
	led(db, "R-004", REF_B, "result", "device", "dev4", "DELETE", 503,
	    "unclaim:error");
	led(db, "R-004", REF_B, "failed", "request", "R-004", NULL, 0,
	    "retries exhausted");
	assert_int_equal(db_commit(db), 0);
	erase_ok(db, "2024-04-20T00:00:00.000Z", "R-007", REF_A, one_dev, ok,
		 "unclaim", NULL);
	/* A verify mismatch, a failed attempt, then a clean retry. */
	add_request(db, "R-009", NULL, REF_A, "2024-05-01", "done", "erased",
		    "2024-05-03T00:00:00Z", 0, NULL, NULL);
	enqueued(db, "2024-05-01T09:00:00.000Z", "R-009", REF_A);
	led_ts = "2024-05-02T09:00:00.000Z";
	assert_int_equal(db_begin(db), 0);
	led(db, "R-009", REF_A, "plan", "device", "dev9", "DELETE", 0,
	    "unclaim");
	led(db, "R-009", REF_A, "result", "device", "dev9", "DELETE", 200,
	    "unclaim:ok");
	led(db, "R-009", REF_A, "verify", "device", "dev9", NULL, 0,
	    "mismatch");
	led(db, "R-009", REF_A, "failed", "request", "R-009", NULL, 0,
	    "verify mismatch");
	led_ts = "2024-05-03T00:00:00.000Z";
	led(db, "R-009", REF_A, "result", "device", "dev9", "DELETE", 0,
	    "unclaim:skipped_done");
	led(db, "R-009", REF_A, "result", "customer", "c9", "DELETE", 200,
	    "delete_customer:ok");
	led(db, "R-009", REF_A, "verify", "customer", "c9", NULL, 0, "ok");
	led(db, "R-009", REF_A, "verify", "device", "dev9", NULL, 0, "ok");
	led(db, "R-009", REF_A, "done", "request", "R-009", NULL, 0, "erased");
	assert_int_equal(db_commit(db), 0);
	/* Pending, within its deadline; still holds its email. */
	add_request(db, "R-005", "alice@example.com", REF_A, "2024-05-20",
		    "pending", NULL, NULL, 0, NULL, NULL);
	enqueued(db, "2024-05-20T09:00:00.000Z", "R-005", REF_A);
	/* A hostile request id from an upstream system. */
	add_request(db, HYPERLINK, NULL, REF_B, "2024-05-25", "pending", NULL,
		    NULL, 0, NULL, NULL);
	enqueued(db, "2024-05-25T09:00:00.000Z", HYPERLINK, REF_B);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f)
		free(f->data);
	return fixture_teardown(state);
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
	assert_int_equal(r.ledger_entries, 49);
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
	assert_int_equal(q->first_seq, seqs(f)->r001_first);
	assert_int_equal(q->last_seq, seqs(f)->r001_last);
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
	/* Only its "enqueued" entry so far. */
	assert_true(q->first_seq > 0);
	assert_int_equal(q->first_seq, q->last_seq);
	assert_string_equal(q->status, "pending");
	assert_null(q->completed_at);

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

	/* Period bounds are checked by civil's one date rule. */
	assert_true(civil_date_valid("2024-02-29"));
	assert_false(civil_date_valid("2023-02-29"));
	assert_false(civil_date_valid("2024-13-01"));
	assert_false(civil_date_valid("2024-1-01"));
	assert_false(civil_date_valid("2024-01-01T00:00:00Z"));
}

static void test_csv_escaping(void **state)
{
	struct fixture *f = *state;
	struct buf b = BUF_INIT;
	struct report r;

	escape_csv_cell(&b, "plain");
	assert_string_equal(b.buf, "plain");
	buf_reset(&b);
	escape_csv_cell(&b, "a,b");
	assert_string_equal(b.buf, "\"a,b\"");
	buf_reset(&b);
	/* A line break is made visible: a report cell stays on its line. */
	escape_csv_cell(&b, "say \"hi\"\nbye");
	assert_string_equal(b.buf, "\"say \"\"hi\"\"\\x0abye\"");
	buf_reset(&b);
	escape_csv_cell(&b, HYPERLINK);
	assert_string_equal(b.buf,
			    "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
	buf_reset(&b);
	escape_csv_cell(&b, "+1");
	assert_string_equal(b.buf, "\"'+1\"");
	buf_reset(&b);
	escape_csv_cell(&b, "-2");
	assert_string_equal(b.buf, "\"'-2\"");
	buf_reset(&b);
	escape_csv_cell(&b, "@SUM(A1)");
	assert_string_equal(b.buf, "\"'@SUM(A1)\"");
	buf_reset(&b);
	escape_csv_cell(&b, "\tx");
	assert_string_equal(b.buf, "\"'\tx\"");
	buf_reset(&b);
	escape_csv_cell(&b, "\rx");
	assert_string_equal(b.buf, "\"'\rx\"");
	buf_reset(&b);

	build(f, NULL, NULL, 0, &r);
	assert_int_equal(report_csv(&r, &b), 0);
	assert_non_null(strstr(b.buf, "\r\n\"'=HYPERLINK(\"\"http://x\"\","
			       "\"\"y\"\")\"," REF_B ",2024-05-25,"));
	assert_int_equal(strncmp(b.buf, "request_id,subject_ref,received_at,"
				 "deadline,", 35), 0);
	assert_non_null(strstr(b.buf, "\r\nR-002," REF_B ",2023-01-31,"
			       "2023-02-28,2023-03-01T00:00:01.000Z,done,erased,"
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
	assert_int_equal(report_json(&r, &b), 0);
	assert_int_equal(report_csv(&r, &b), 0);
	assert_int_equal(report_markdown(&r, &b), 0);
	assert_int_equal(report_html(&r, &b), 0);
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
	assert_int_equal(report_json(&r, &b), 0);
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
	assert_int_equal(get(l, "entries")->valueint, 49);
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
	assert_int_equal(report_html(&r, &b), 0);
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
	assert_int_equal(report_markdown(&r, &b), 0);
	assert_non_null(strstr(b.buf, "| Requests received | 9 |"));
	assert_non_null(strstr(b.buf, "| **Overdue** | **2** |"));
	assert_non_null(strstr(b.buf, "\\=HYPERLINK") ||
			strstr(b.buf, "=HYPERLINK"));
	/* The escapes the writers use (test_escape.c has the rest). */
	buf_reset(&b);
	escape_html(&b, "<a href='x'>&\xff");
	assert_string_equal(b.buf, "&lt;a href=&#39;x&#39;&gt;&amp;\xef\xbf\xbd");
	buf_reset(&b);
	{
		cJSON *s = json_text("q\"\\\n\x01\xc3");

		json_print(s, 0, &b);
		cJSON_Delete(s);
	}
	assert_string_equal(b.buf, "\"q\\\"\\\\\\n\\u0001\xef\xbf\xbd\"\n");
	report_release(&r);
	buf_release(&b);
}

/* Indexes a checkpoint of the ledger's first `entries` entries. */
static void add_checkpoint(sqlite3 *db, int64_t entries)
{
	struct ledger_scan sc;
	struct checkpoint cp;

	ledger_scan_init(&sc);
	assert_int_equal(ledger_scan(db, entries, &sc), 0);
	assert_int_equal(sc.prefix_entries, entries);
	memset(&cp, 0, sizeof(cp));
	cp.entries = entries;
	digest_hex(sc.prefix_root, SHA256_LEN, cp.root);
	memcpy(cp.head, sc.prefix_head, sizeof(cp.head));
	snprintf(cp.time, sizeof(cp.time), "2024-06-01T00:00:00Z");
	cp.is_signed = 1;
	assert_int_equal(checkpoint_row_add(db, &cp, "cp.json"), 0);
	ledger_scan_release(&sc);
}

/* A checkpoints row that claims a root the ledger does not have. */
static void add_forged_checkpoint(sqlite3 *db, int64_t entries)
{
	sqlite3_stmt *st;

	assert_int_equal(db_prepare(db, &st, "INSERT INTO checkpoints "
		"(created_at, entries, root, head, signed, file) VALUES "
		"('2024-06-01T00:00:00Z', ?1, 'root', 'head', 1, "
		"'forged.json')"), 0);
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
	assert_int_equal(rc.nentries, 11);
	assert_true(rc.entries_ok);
	assert_true(rc.ledger_verified);
	assert_true(receipt_is_certificate(&rc));
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
	assert_non_null(strstr(b.buf, "(within the deadline)"));
	assert_non_null(strstr(b.buf, "run 'erasectl checkpoint'"));
	assert_non_null(strstr(b.buf, rc.entries[3].hash));
	receipt_release(&rc);

	/* A checkpoint too short does not cover; a later full one does. */
	add_checkpoint(f->db, seqs(f)->r001_last - 1);
	receipt_init(&rc);
	assert_int_equal(receipt_build(f->db, "R-001", 0, NOW, &rc), 0);
	assert_false(rc.checkpoint.present);
	receipt_release(&rc);
	add_checkpoint(f->db, 49);
	add_checkpoint(f->db, seqs(f)->r001_last - 1);
	receipt_init(&rc);
	assert_int_equal(receipt_build(f->db, "R-001", 0, NOW, &rc), 0);
	assert_true(rc.checkpoint.present);
	assert_int_equal(rc.checkpoint.entries, 49);
	assert_int_equal(rc.checkpoints_bad, 0);
	buf_reset(&b);
	rc.db_path = "/tmp/it's.db";
	receipt_json(&rc, &b);
	{
		cJSON *j = cJSON_Parse(b.buf);

		assert_non_null(j);
		assert_true(cJSON_IsTrue(get(j, "certificate_of_erasure")));
		assert_true(cJSON_IsTrue(get(j, "within_deadline")));
		assert_int_equal(cJSON_GetArraySize(get(j, "actions")), 3);
		assert_int_equal(cJSON_GetArraySize(get(j, "verification")), 3);
		assert_int_equal(cJSON_GetArraySize(get(j, "entries")), 11);
		assert_int_equal(get(get(j, "checkpoint"), "entries")->valueint,
				 49);
		assert_true(cJSON_IsTrue(get(get(j, "ledger"), "verified")));
		assert_null(cJSON_GetObjectItem(j, "subject_email"));
		assert_null(cJSON_GetObjectItem(j, "subject_customer"));
		cJSON_Delete(j);
	}
	assert_non_null(strstr(b.buf, "'/tmp/it'\\\\''s.db'"));
	receipt_release(&rc);

	/*
	 * A row that does not match the ledger is never cited, and while it
	 * is there no receipt calls itself a certificate.
	 */
	add_forged_checkpoint(f->db, 49);
	receipt_init(&rc);
	assert_int_equal(receipt_build(f->db, "R-001", 0, NOW, &rc), 0);
	assert_int_equal(rc.checkpoints_bad, 1);
	assert_true(rc.checkpoint.present);
	assert_string_equal(rc.checkpoint.file, "cp.json");
	assert_true(rc.ledger_verified);
	assert_false(receipt_is_certificate(&rc));
	receipt_release(&rc);

	receipt_init(&rc);
	assert_int_equal(receipt_build(f->db, "nope", 0, NOW, &rc), 1);
	receipt_release(&rc);
	buf_release(&b);
}

/* The receipt of id as JSON, parsed. */
static cJSON *receipt_of(struct fixture *f, const char *id,
			 struct receipt *rc)
{
	struct buf b = BUF_INIT;
	cJSON *j;

	receipt_init(rc);
	assert_int_equal(receipt_build(f->db, id, 0, NOW, rc), 0);
	receipt_json(rc, &b);
	j = cJSON_Parse(b.buf);
	assert_non_null(j);
	buf_release(&b);
	return j;
}

static void test_receipt_not_done(void **state)
{
	struct fixture *f = *state;
	struct receipt rc;
	struct buf b = BUF_INIT;
	cJSON *j;

	/* Failed, open: evidence so far, never a certificate. */
	j = receipt_of(f, "R-004", &rc);
	assert_false(receipt_is_certificate(&rc));
	assert_true(rc.ledger_verified);
	assert_true(cJSON_IsFalse(get(j, "certificate_of_erasure")));
	assert_true(cJSON_IsFalse(get(j, "within_deadline")));
	assert_string_equal(get(j, "deadline")->valuestring, "2024-05-15");
	receipt_text(&rc, &b);
	assert_non_null(strstr(b.buf, "ERASURE RECEIPT (not a certificate: "
			       "the request is failed)"));
	assert_null(strstr(b.buf, "CERTIFICATE OF ERASURE"));
	cJSON_Delete(j);
	receipt_release(&rc);

	/* Held: enqueued, then the hold; nothing done. */
	j = receipt_of(f, "R-006", &rc);
	assert_false(receipt_is_certificate(&rc));
	assert_string_equal(rc.status, "held");
	assert_int_equal(rc.nentries, 2);
	assert_int_equal(cJSON_GetArraySize(get(j, "entries")), 2);
	assert_int_equal(cJSON_GetArraySize(get(j, "actions")), 0);
	cJSON_Delete(j);
	receipt_release(&rc);

	/* Done, but late: a certificate that says so. */
	j = receipt_of(f, "R-002", &rc);
	assert_true(receipt_is_certificate(&rc));
	assert_true(cJSON_IsFalse(get(j, "within_deadline")));
	buf_reset(&b);
	receipt_text(&rc, &b);
	assert_non_null(strstr(b.buf, "(AFTER the deadline)"));
	cJSON_Delete(j);
	receipt_release(&rc);
	buf_release(&b);
}

static void test_receipt_ledger_broken(void **state)
{
	struct fixture *f = *state;
	struct receipt rc;
	struct buf b = BUF_INIT;
	cJSON *j;
	size_t i, bad = 0;

	fixture_exec(f, "DROP TRIGGER ledger_no_update");
	/* Another request's entry edited: R-001's own entries recompute,
	 * but the chain does not verify, so no certificate. */
	fixture_exec(f, "UPDATE ledger SET detail = 'forged' WHERE seq = "
		     "(SELECT max(seq) FROM ledger WHERE request_id = 'R-009')");
	j = receipt_of(f, "R-001", &rc);
	assert_true(rc.entries_ok);
	assert_false(rc.ledger_verified);
	assert_false(receipt_is_certificate(&rc));
	assert_true(cJSON_IsFalse(get(j, "certificate_of_erasure")));
	assert_true(cJSON_IsFalse(get(get(j, "ledger"), "verified")));
	assert_true(cJSON_IsNumber(get(get(j, "ledger"), "first_bad_seq")));
	receipt_text(&rc, &b);
	assert_non_null(strstr(b.buf, "not a certificate: the ledger does "
			       "not verify"));
	cJSON_Delete(j);
	receipt_release(&rc);

	/* One of its own entries edited: shown as a mismatch. */
	fixture_exec(f, "UPDATE ledger SET status = 201 WHERE request_id = "
		     "'R-001' AND event = 'result' AND target_kind = 'customer'");
	j = receipt_of(f, "R-001", &rc);
	assert_false(rc.entries_ok);
	assert_false(receipt_is_certificate(&rc));
	for (i = 0; i < rc.nentries; i++)
		bad += !rc.entries[i].hash_ok;
	assert_int_equal(bad, 1);
	assert_true(cJSON_IsFalse(get(get(j, "ledger"),
				      "request_entries_recompute")));
	buf_reset(&b);
	receipt_text(&rc, &b);
	assert_non_null(strstr(b.buf, "HASH MISMATCH"));
	assert_non_null(strstr(b.buf, "recomputes from its fields: NO"));
	cJSON_Delete(j);
	receipt_release(&rc);
	buf_release(&b);
}

static void test_receipt_identity(void **state)
{
	struct fixture *f = *state;
	struct receipt rc;
	struct buf b = BUF_INIT;
	cJSON *j;

	/* The identity the caller checked is shown, never stored. */
	receipt_init(&rc);
	assert_int_equal(receipt_build(f->db, "R-005", 0, NOW, &rc), 0);
	rc.identity = "alice@example.com";
	rc.identity_is_email = 1;
	receipt_json(&rc, &b);
	j = cJSON_Parse(b.buf);
	assert_string_equal(get(j, "subject_email")->valuestring,
			    "alice@example.com");
	assert_null(cJSON_GetObjectItem(j, "subject_customer"));
	cJSON_Delete(j);
	rc.identity = "Sensor-Owner\x1b[2J";
	rc.identity_is_email = 0;
	buf_reset(&b);
	receipt_json(&rc, &b);
	j = cJSON_Parse(b.buf);
	assert_string_equal(get(j, "subject_customer")->valuestring,
			    "Sensor-Owner\x1b[2J");
	assert_null(cJSON_GetObjectItem(j, "subject_email"));
	cJSON_Delete(j);
	/* As text, terminal-safe. */
	buf_reset(&b);
	receipt_text(&rc, &b);
	assert_non_null(strstr(b.buf, "Sensor-Owner\\x1b[2J (matches "
			       "subject_ref)"));
	assert_null(strchr(b.buf, '\x1b'));
	receipt_release(&rc);
	buf_release(&b);
}

/*
 * The queue is working state anyone with the database can UPDATE; the
 * report and the receipt take status, outcome and completion from the
 * ledger, and say where the queue disagrees.
 */
static void test_ledger_is_the_evidence(void **state)
{
	struct fixture *f = *state;
	const struct report_request *q;
	struct receipt rc;
	struct report r;

	fixture_exec(f, "UPDATE erasure_queue SET status = 'done', outcome = "
		     "'erased', completed_at = '2024-05-21T00:00:00Z', "
		     "subject_email = NULL WHERE request_id = 'R-005'");
	build(f, NULL, NULL, 0, &r);
	q = find(&r, "R-005");
	assert_string_equal(q->status, "pending");
	assert_null(q->outcome);
	assert_null(q->completed_at);
	assert_false(q->agrees);
	assert_non_null(q->disagreement);
	assert_true(find(&r, "R-001")->agrees);
	assert_int_equal(r.disagreements, 1);
	assert_int_equal(r.done, 5);
	assert_int_equal(r.pending, 2);
	report_release(&r);

	receipt_init(&rc);
	assert_int_equal(receipt_build(f->db, "R-005", 0, NOW, &rc), 0);
	assert_string_equal(rc.status, "pending");
	assert_false(rc.agrees);
	assert_non_null(rc.disagreement);
	assert_false(receipt_is_certificate(&rc));
	receipt_release(&rc);

	/* Checkpoint rows are checked against the ledger before citing. */
	add_checkpoint(f->db, 20);
	add_forged_checkpoint(f->db, 30);
	build(f, NULL, NULL, 0, &r);
	assert_int_equal(r.checkpoints_bad, 1);
	assert_true(r.checkpoint.present);
	assert_int_equal(r.checkpoint.entries, 20);
	report_release(&r);
}

int main(void)
{
#define REPORT_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		REPORT_TEST(test_summary_counts),
		REPORT_TEST(test_per_request),
		REPORT_TEST(test_period),
		REPORT_TEST(test_csv_escaping),
		REPORT_TEST(test_no_email_anywhere),
		REPORT_TEST(test_json_keys),
		REPORT_TEST(test_html_and_markdown),
		REPORT_TEST(test_receipt),
		REPORT_TEST(test_receipt_not_done),
		REPORT_TEST(test_receipt_ledger_broken),
		REPORT_TEST(test_receipt_identity),
		REPORT_TEST(test_ledger_is_the_evidence),
	};
#undef REPORT_TEST

	return cmocka_run_group_tests(tests, NULL, NULL);
}

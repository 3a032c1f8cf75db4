/*
 * Unit tests for intake: CSV edge cases, OpenDSR, the one request
 * validator (intake_validate) and the recording of rows upstream systems
 * INSERT (intake_upstream).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "buf.h"
#include "civil.h"
#include "digest.h"
#include "intake.h"
#include "ledger.h"
#include "queue.h"
#include "fixture.h"

struct got {
	struct queue_list rows;
	long lines[64];
	int generated[64];
	int refuse_id_x;	/* callback refuses request_id "X" */
};

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int collect(const struct queue_request *r, int generated_id,
		   const char *name, long line, void *data)
{
	struct got *g = data;
	struct queue_request *c;

	assert_string_equal(name, "in.csv");
	if (g->refuse_id_x && !strcmp(r->request_id, "X"))
		return 1;
	if (g->rows.n < 64) {
		g->lines[g->rows.n] = line;
		g->generated[g->rows.n] = generated_id;
	}
	c = queue_list_push(&g->rows);
	c->request_id = xstrdup(r->request_id);
	c->subject_email = dup_or_null(r->subject_email);
	c->subject_customer = dup_or_null(r->subject_customer);
	c->device_id = dup_or_null(r->device_id);
	c->product = dup_or_null(r->product);
	c->source = dup_or_null(r->source);
	c->received_at = xstrdup(r->received_at);
	c->subject_ref = dup_or_null(r->subject_ref);
	c->status = r->status;
	return 0;
}

/* Runs intake over text (n bytes) with f's rules; intake_read's result. */
static int run_n(struct fixture *f, enum intake_format fmt, const char *text,
		 size_t n, struct got *g, struct intake_stats *st)
{
	struct intake_options o;
	FILE *fp = fmemopen((void *)text, n, "rb");
	int ret;

	assert_non_null(fp);
	memset(&o, 0, sizeof(o));
	o.format = fmt;
	o.name = "in.csv";
	o.rules = &f->rules;
	queue_list_release(&g->rows);
	ret = intake_read(fp, &o, collect, g, st);
	fclose(fp);
	return ret;
}

static int run(struct fixture *f, enum intake_format fmt, const char *text,
	       struct got *g, struct intake_stats *st)
{
	return run_n(f, fmt, text, strlen(text), g, st);
}

/* What intake printed during the last run_captured(). */
static int run_captured(struct fixture *f, enum intake_format fmt,
			const char *text, struct got *g,
			struct intake_stats *st, struct buf *err)
{
	int ret;

	assert_int_equal(fixture_capture_stderr(f), 0);
	fixture_stderr_reset(f);
	ret = run(f, fmt, text, g, st);
	buf_reset(err);
	fixture_stderr(f, err);
	fixture_restore_stderr(f);
	return ret;
}

static void expect_in(const struct buf *err, const char *want)
{
	if (!strstr(err->buf, want))
		fail_msg("'%s' not in:\n%s", want, err->buf);
}

/* --- CSV --------------------------------------------------------------- */

static void csv_basic(void **state)
{
	struct fixture *f = *state;
	struct got g = { 0 };
	struct intake_stats st;

	assert_int_equal(run(f, INTAKE_CSV,
			     "request_id,email,device_id,received_at,product,source\n"
			     "R-1, Alice@Example.COM ,,2026-11-01,,web form\n"
			     "R-2,,0123456789ABCDEF01234567,2026-10-31T10:00:00+02:00,p1,\n",
			     &g, &st), 0);
	assert_int_equal(st.valid, 2);
	assert_int_equal(st.invalid, 0);
	assert_string_equal(g.rows.v[0].request_id, "R-1");
	assert_string_equal(g.rows.v[0].subject_email, "alice@example.com");
	assert_null(g.rows.v[0].subject_customer);
	assert_non_null(g.rows.v[0].subject_ref);
	assert_int_equal(strlen(g.rows.v[0].subject_ref), 64);
	assert_null(g.rows.v[0].device_id);
	assert_string_equal(g.rows.v[0].received_at, "2026-11-01T00:00:00Z");
	assert_string_equal(g.rows.v[0].source, "web form");
	assert_null(g.rows.v[0].product);
	assert_string_equal(g.rows.v[1].device_id, "0123456789abcdef01234567");
	assert_null(g.rows.v[1].subject_email);
	assert_null(g.rows.v[1].subject_ref);
	assert_string_equal(g.rows.v[1].received_at, "2026-10-31T08:00:00Z");
	assert_string_equal(g.rows.v[1].product, "p1");
	assert_int_equal(g.lines[0], 2);
	assert_int_equal(g.lines[1], 3);
	queue_list_release(&g.rows);
}

static void csv_bom_crlf_case_quotes(void **state)
{
	struct fixture *f = *state;
	struct got g = { 0 };
	struct intake_stats st;

	assert_int_equal(run(f, INTAKE_CSV,
			     "\xef\xbb\xbf" "EMAIL,Source , REQUEST_ID\r\n"
			     "a@example.com,\"x, y\",R-1\r\n"
			     "\r\n"
			     "b@example.com,\"multi\r\nline \"\"quoted\"\"\",R-2\r\n"
			     "c@example.com,last,R-3",
			     &g, &st), 0);
	assert_int_equal(st.valid, 3);
	assert_string_equal(g.rows.v[0].source, "x, y");
	assert_string_equal(g.rows.v[1].source, "multi  line \"quoted\"");
	/* Blank line 3 is skipped; R-2 spans lines 4-5; R-3 on line 6. */
	assert_int_equal(g.lines[0], 2);
	assert_int_equal(g.lines[1], 4);
	assert_int_equal(g.lines[2], 6);
	assert_int_equal(g.generated[0], 0);
	queue_list_release(&g.rows);
}

static void csv_multiline_first_field_line(void **state)
{
	struct fixture *f = *state;
	struct got g = { 0 };
	struct intake_stats st;
	struct buf err = BUF_INIT;

	/* The record's first field spans lines; LINE is where it starts. */
	assert_int_equal(run_captured(f, INTAKE_CSV,
				      "source,email\n"
				      "\"a\nb\nc\",a@example.com\n"
				      "\"d\ne\",bad-address\n",
				      &g, &st, &err), 0);
	assert_int_equal(st.valid, 1);
	assert_int_equal(st.invalid, 1);
	assert_int_equal(g.lines[0], 2);
	expect_in(&err, "in.csv:5: invalid email address (it has no '@')");
	queue_list_release(&g.rows);
	buf_release(&err);
}

static void csv_generated_id_and_default_time(void **state)
{
	struct fixture *f = *state;
	struct got g = { 0 };
	struct intake_stats st;
	char now[21];

	assert_int_equal(run(f, INTAKE_CSV, "email,request_id\nx@example.com,\n"
			     "y@example.com,\"  \"\n", &g, &st), 0);
	assert_int_equal(st.valid, 2);
	assert_int_equal(g.generated[1], 1);
	assert_int_equal(strlen(g.rows.v[0].request_id), 36);
	assert_int_equal(g.rows.v[0].request_id[14], '4');
	assert_int_equal(g.generated[0], 1);
	assert_string_not_equal(g.rows.v[0].request_id,
				g.rows.v[1].request_id);
	civil_format_time(FIXTURE_NOW, now);
	assert_string_equal(g.rows.v[0].received_at, now);
	queue_list_release(&g.rows);
}

static void csv_fatal(struct fixture *f, const char *text, size_t n)
{
	struct got g = { 0 };
	struct intake_stats st;

	if (run_n(f, INTAKE_CSV, text, n, &g, &st) != -1)
		fail_msg("'%.*s' is not refused", (int)n, text);
	queue_list_release(&g.rows);
}

static void csv_structural_errors(void **state)
{
	struct fixture *f = *state;

	csv_fatal(f, "", 0);
	csv_fatal(f, "\xef\xbb\xbf", 3);
	csv_fatal(f, "email,device_id\n", 16);
	csv_fatal(f, "email,device_id\n\n\n", 18);
	csv_fatal(f, "email,colour\nx@example.com,red\n", 31);
	csv_fatal(f, "request_id,product\nR-1,p\n", 25);
	csv_fatal(f, "email,Email\na@example.com,b@example.com\n", 40);
	csv_fatal(f, "customer,Customer\na,b\n", 22);
	csv_fatal(f, "email,\na@example.com,\n", 22);
	/* A header row forgotten: the first address is not a column. */
	csv_fatal(f, "a@example.com,R-1\nb@example.com,R-2\n", 36);
	/* Unbalanced quote, stray quote, text after a closing quote. */
	csv_fatal(f, "email,source\na@example.com,\"open\n", 33);
	csv_fatal(f, "email,source\na@example.com,we\"b\n", 32);
	csv_fatal(f, "email,source\na@example.com,\"web\"x\n", 34);
	csv_fatal(f, "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01", 20);
}

static void csv_huge_field(void **state)
{
	struct fixture *f = *state;
	size_t n = 1024 * 1024;
	char *big = malloc(n + 64);
	struct got g = { 0 };
	struct intake_stats st;
	int len;

	assert_non_null(big);
	len = snprintf(big, 64, "email,source\na@example.com,\"");
	memset(big + len, 'x', n);
	memcpy(big + len + n, "\"\n", 2);
	assert_int_equal(run_n(f, INTAKE_CSV, big, len + n + 2, &g, &st), -1);
	assert_int_equal(g.rows.n, 0);
	/* Unquoted too. */
	big[len - 1] = 'x';
	assert_int_equal(run_n(f, INTAKE_CSV, big, len + n, &g, &st), -1);
	free(big);
	queue_list_release(&g.rows);
}

static void csv_row_errors(void **state)
{
	struct fixture *f = *state;
	struct got g = { 0 };
	struct intake_stats st;
	struct buf err = BUF_INIT;

	assert_int_equal(run_captured(f, INTAKE_CSV,
			     "request_id,email,device_id,received_at,product\n"
			     "R-1,a@example.com,,,\n"			/* ok */
			     "R-2,a@example.com,,\n"			/* 4 fields */
			     "R-3,a@example.com,,,,extra\n"		/* 6 fields */
			     "R-4,,,,\n"				/* no subject */
			     "R-5,not-an-email,,,\n"
			     "R-6,,12345,,\n"				/* bad device */
			     "R-7,a@example.com,,2026-02-30,\n"		/* bad date */
			     "R-8,a@example.com,,2099-01-01,\n"		/* future */
			     "R@9,a@example.com,,,\n"			/* @ in id */
			     "X,a@example.com,,,\n"			/* refused */
			     "R-10,b@example.com,,2026-11-01 08:30,\n",	/* ok */
			     &g, &st, &err), 0);
	assert_int_equal(st.valid, 3);
	assert_int_equal(st.invalid, 8);
	assert_int_equal(g.lines[0], 2);
	assert_int_equal(g.lines[1], 11);
	assert_int_equal(g.lines[2], 12);
	assert_string_equal(g.rows.v[2].received_at, "2026-11-01T08:30:00Z");
	/* Each bad row is named by file and line, with its reason. */
	expect_in(&err, "in.csv:3: row has 4 fields, the header has 5");
	expect_in(&err, "in.csv:4: row has 6 fields, the header has 5");
	expect_in(&err, "in.csv:5: neither an email, a customer nor a "
		  "device_id");
	expect_in(&err, "in.csv:6: invalid email address (it has no '@')");
	expect_in(&err, "in.csv:7: device_id must be 24 hexadecimal digits");
	expect_in(&err, "in.csv:8: received_at is not an ISO 8601 date");
	expect_in(&err, "in.csv:9: received_at is in the future");
	expect_in(&err, "in.csv:10: request_id must not contain '@'");
	/* Reasons never hold an address. */
	assert_null(strstr(err.buf, "@example"));
	queue_list_release(&g.rows);

	g.refuse_id_x = 1;
	assert_int_equal(run(f, INTAKE_CSV, "request_id,email\nX,a@example.com\n",
			     &g, &st), 0);
	assert_int_equal(st.invalid, 1);
	assert_int_equal(st.valid, 0);
	queue_list_release(&g.rows);
	buf_release(&err);
}

static void csv_field_limits(void **state)
{
	struct fixture *f = *state;
	struct buf b = BUF_INIT;
	struct got g = { 0 };
	struct intake_stats st;
	int i;

	buf_adds(&b, "request_id,email,product,source\n");
	for (i = 0; i < 129; i++)
		buf_addch(&b, 'r');
	buf_adds(&b, ",a@example.com,,\nR-2,a@example.com,");
	for (i = 0; i < 129; i++)
		buf_addch(&b, 'p');
	buf_adds(&b, ",\nR-3,a@example.com,,");
	for (i = 0; i < 257; i++)
		buf_addch(&b, 's');
	buf_adds(&b, "\nR-4,a@example.com,\"caf\xc3\xa9\",\n");
	buf_adds(&b, "R-5,a@example.com,\"caf\xe9\",\n");
	assert_int_equal(run(f, INTAKE_CSV, b.buf, &g, &st), 0);
	assert_int_equal(st.invalid, 4);
	assert_int_equal(st.valid, 1);
	assert_string_equal(g.rows.v[0].product, "caf\xc3\xa9");
	queue_list_release(&g.rows);
	buf_release(&b);
}

static void csv_customer_column(void **state)
{
	struct fixture *f = *state;
	struct got g = { 0 };
	struct intake_stats st;
	struct buf err = BUF_INIT;
	char ref[SHA256_HEX_LEN + 1];

	/* A customer column alone names the subject. */
	assert_int_equal(run_captured(f, INTAKE_CSV,
				      "request_id,customer,email\n"
				      "R-1, Sensor-Owner.7 ,\n"
				      "R-2,Bob@Example.COM,\n"
				      "R-3,someone,someone@example.com\n"
				      "R-4,bad\x01name,\n",
				      &g, &st, &err), 0);
	assert_int_equal(st.valid, 2);
	assert_int_equal(st.invalid, 2);
	/* Exact: trimmed as every field is, never lower-cased. */
	assert_string_equal(g.rows.v[0].subject_customer, "Sensor-Owner.7");
	assert_null(g.rows.v[0].subject_email);
	assert_int_equal(subject_ref_of_customer(&f->key, "Sensor-Owner.7",
						 ref), 0);
	assert_string_equal(g.rows.v[0].subject_ref, ref);
	/* An email-shaped customer is still a customer, as given. */
	assert_string_equal(g.rows.v[1].subject_customer, "Bob@Example.COM");
	assert_null(g.rows.v[1].subject_email);
	expect_in(&err, "in.csv:4: give either an email or a customer, not "
		  "both");
	expect_in(&err, "in.csv:5: invalid customer (it contains control "
		  "characters");
	queue_list_release(&g.rows);

	assert_int_equal(run(f, INTAKE_CSV, "customer\nalice\n", &g, &st), 0);
	assert_int_equal(st.valid, 1);
	queue_list_release(&g.rows);
	buf_release(&err);
}

static void csv_products_rule(void **state)
{
	struct fixture *f = *state;
	struct got g = { 0 };
	struct intake_stats st;
	struct buf err = BUF_INIT;

	strvec_push(&f->products, "1001");
	strvec_push(&f->products, "acme-lock");
	assert_int_equal(run_captured(f, INTAKE_CSV,
				      "email,product\n"
				      "a@example.com,1001\n"
				      "a@example.com,acme-lock\n"
				      "a@example.com,\n"
				      "a@example.com,acme-LOCK\n"
				      "a@example.com,9999\n",
				      &g, &st, &err), 0);
	/* Exact ids only; no product means every product. */
	assert_int_equal(st.valid, 3);
	assert_int_equal(st.invalid, 2);
	expect_in(&err, "in.csv:5: product 'acme-LOCK' is not one of the "
		  "configured [products] ids");
	expect_in(&err, "in.csv:6: product '9999'");
	strvec_clear(&f->products);
	queue_list_release(&g.rows);
	buf_release(&err);
}

/* --- field checks ------------------------------------------------------ */

static void email_checks(void **state)
{
	static const char *const good[] = {
		"a@example.com", "first.last+tag@sub.example.co.uk",
		"x@b.io", "o'brien@example.ie",
	};
	static const char *const bad[] = {
		"", "plain", "@example.com", "a@", "a@b", "a@@example.com",
		"a@b@example.com", "a b@example.com", "a@exa mple.com",
		"a@.example.com", "a@example..com", "a@example.",
		"a\t@example.com", "<a@example.com>", "a@example.com,b",
		"a@exa_mple.com",
	};
	char longlocal[80], longaddr[300];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(good); i++)
		assert_null(intake_check_email(good[i]));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (!intake_check_email(bad[i]))
			fail_msg("'%s' passes as an email", bad[i]);
	assert_string_equal(intake_check_email("plain"), "has no '@'");
	memset(longlocal, 'a', 65);
	memcpy(longlocal + 65, "@example.com", 13);
	assert_non_null(intake_check_email(longlocal));
	memset(longaddr, 'd', 255);
	longaddr[0] = 'a';
	longaddr[1] = '@';
	memcpy(longaddr + 251, ".com", 5);
	assert_non_null(intake_check_email(longaddr));
}

static void id_checks(void **state)
{
	char id[256];

	(void)state;
	assert_null(intake_check_device_id("0123456789abcdefABCDEF01"));
	assert_non_null(intake_check_device_id("0123456789abcdef0123456"));
	assert_non_null(intake_check_device_id("0123456789abcdef012345678"));
	assert_non_null(intake_check_device_id("0123456789abcdef0123456g"));
	assert_null(intake_check_request_id("R-1001"));
	assert_null(intake_check_request_id("batch 7/row 3"));
	assert_non_null(intake_check_request_id(""));
	assert_non_null(intake_check_request_id("a@b.c"));
	assert_non_null(intake_check_request_id("tab\there"));
	assert_non_null(intake_check_request_id("caf\xc3\xa9"));
	memset(id, 'i', 128);
	id[128] = '\0';
	assert_null(intake_check_request_id(id));
	id[128] = 'i';
	id[129] = '\0';
	assert_non_null(intake_check_request_id(id));
	assert_null(intake_check_reason("court order 2026/17"));
	assert_non_null(intake_check_reason(""));
	assert_non_null(intake_check_reason("   "));
	assert_non_null(intake_check_reason("asked by bob@example.com"));
	assert_non_null(intake_check_reason("line\nbreak"));

	/* Customers: exact usernames, printable, no outer white space. */
	assert_null(intake_check_customer("Sensor-Owner.7"));
	assert_null(intake_check_customer("Bob@Example.COM"));
	assert_null(intake_check_customer("caf\xc3\xa9 owner"));
	assert_non_null(intake_check_customer(""));
	assert_non_null(intake_check_customer(" lead"));
	assert_non_null(intake_check_customer("trail\t"));
	assert_non_null(intake_check_customer("bell\a"));
	assert_non_null(intake_check_customer("bad\xff"));
	memset(id, 'c', 255);
	id[255] = '\0';
	assert_non_null(intake_check_customer(id));
	id[254] = '\0';
	assert_null(intake_check_customer(id));

	/* Free text shown in reports: no controls, no email. */
	assert_null(intake_check_text("web form, EU", 256));
	assert_non_null(intake_check_text("from a@example.com", 256));
	assert_non_null(intake_check_text("tab\there", 256));
	assert_non_null(intake_check_text("caf\xe9", 256));
	assert_non_null(intake_check_text("12345", 4));
}

/* --- intake_validate ---------------------------------------------------- */

/* A request as given: NULL fields absent. */
static void given(struct queue_request *r, const char *id, const char *email,
		  const char *customer, const char *device,
		  const char *received)
{
	queue_request_release(r);
	r->request_id = dup_or_null(id);
	r->subject_email = dup_or_null(email);
	r->subject_customer = dup_or_null(customer);
	r->device_id = dup_or_null(device);
	r->received_at = dup_or_null(received);
}

/* intake_validate on r; the reason goes to why (reset first). */
static int validate(struct fixture *f, struct queue_request *r, int *gen,
		    struct buf *why)
{
	buf_reset(why);
	return intake_validate(r, &f->rules, gen, why);
}

static void validate_received_at(void **state)
{
	struct fixture *f = *state;
	struct queue_request r;
	struct buf why = BUF_INIT;
	int gen;

	queue_request_init(&r);
	/* No date: received now. */
	given(&r, "V-1", "a@example.com", NULL, NULL, NULL);
	assert_int_equal(validate(f, &r, &gen, &why), 0);
	assert_string_equal(r.received_at, "2026-11-25T12:00:00Z");
	/* Normalized to UTC. */
	given(&r, "V-1", "a@example.com", NULL, NULL, "2026-11-25T08:00-05:00");
	assert_int_equal(validate(f, &r, &gen, &why), 0);
	assert_string_equal(r.received_at, "2026-11-25T13:00:00Z");
	/* A day of slack for clocks and time zones, no more. */
	given(&r, "V-1", "a@example.com", NULL, NULL, "2026-11-26");
	assert_int_equal(validate(f, &r, &gen, &why), 0);
	given(&r, "V-1", "a@example.com", NULL, NULL, "2026-11-26T12:00:00Z");
	assert_int_equal(validate(f, &r, &gen, &why), 0);
	given(&r, "V-1", "a@example.com", NULL, NULL, "2026-11-26T12:00:01Z");
	assert_int_equal(validate(f, &r, &gen, &why), -1);
	assert_string_equal(why.buf, "received_at is in the future");
	given(&r, "V-1", "a@example.com", NULL, NULL, "2026-11-27");
	assert_int_equal(validate(f, &r, &gen, &why), -1);
	given(&r, "V-1", "a@example.com", NULL, NULL, "2099-01-01");
	assert_int_equal(validate(f, &r, &gen, &why), -1);
	/* Not a date at all. */
	given(&r, "V-1", "a@example.com", NULL, NULL, "last tuesday");
	assert_int_equal(validate(f, &r, &gen, &why), -1);
	assert_non_null(strstr(why.buf, "not an ISO 8601"));
	queue_request_release(&r);
	buf_release(&why);
}

static void validate_identity(void **state)
{
	struct fixture *f = *state;
	struct queue_request r;
	struct buf why = BUF_INIT;
	char ref[SHA256_HEX_LEN + 1];
	int gen;

	queue_request_init(&r);
	/* An email is normalized; its ref is the normalized email's. */
	given(&r, "V-1", " Alice@Example.COM\t", NULL, NULL, NULL);
	assert_int_equal(validate(f, &r, &gen, &why), 0);
	assert_string_equal(r.subject_email, "alice@example.com");
	assert_int_equal(subject_ref_of_email(&f->key, "alice@example.com",
					      ref), 0);
	assert_string_equal(r.subject_ref, ref);
	given(&r, "V-1", "alice", NULL, NULL, NULL);
	assert_int_equal(validate(f, &r, &gen, &why), -1);
	assert_string_equal(why.buf, "invalid email address (it has no '@')");

	/* A customer is taken exactly. */
	given(&r, "V-2", NULL, "Sensor-Owner.7", NULL, NULL);
	assert_int_equal(validate(f, &r, &gen, &why), 0);
	assert_string_equal(r.subject_customer, "Sensor-Owner.7");
	assert_null(r.subject_email);
	assert_int_equal(subject_ref_of_customer(&f->key, "Sensor-Owner.7",
						 ref), 0);
	assert_string_equal(r.subject_ref, ref);
	given(&r, "V-2", NULL, " Sensor-Owner.7", NULL, NULL);
	assert_int_equal(validate(f, &r, &gen, &why), -1);
	assert_non_null(strstr(why.buf, "invalid customer"));

	/* Both: which one is meant is ambiguous. */
	given(&r, "V-3", "a@example.com", "alice", NULL, NULL);
	assert_int_equal(validate(f, &r, &gen, &why), -1);
	assert_string_equal(why.buf, "give either an email or a customer, "
			    "not both");

	/* A device alone: lower-cased, no subject_ref until resolved. */
	given(&r, "V-4", NULL, NULL, "ABCDEF0123456789ABCDEF01", NULL);
	assert_int_equal(validate(f, &r, &gen, &why), 0);
	assert_string_equal(r.device_id, "abcdef0123456789abcdef01");
	assert_null(r.subject_ref);
	/* A preset subject_ref is never trusted. */
	given(&r, "V-4", NULL, NULL, "ABCDEF0123456789ABCDEF01", NULL);
	r.subject_ref = xstrdup("forged");
	assert_int_equal(validate(f, &r, &gen, &why), 0);
	assert_null(r.subject_ref);
	given(&r, "V-5", "a@example.com", NULL, NULL, NULL);
	r.subject_ref = xstrdup("forged");
	assert_int_equal(validate(f, &r, &gen, &why), 0);
	assert_int_equal(subject_ref_of_email(&f->key, "a@example.com", ref),
			 0);
	assert_string_equal(r.subject_ref, ref);

	/* Empty strings count as absent. */
	given(&r, "V-6", "", "", "", "");
	assert_int_equal(validate(f, &r, &gen, &why), -1);
	assert_string_equal(why.buf, "neither an email, a customer nor a "
			    "device_id");
	queue_request_release(&r);
	buf_release(&why);
}

static void validate_request_id(void **state)
{
	struct fixture *f = *state;
	struct queue_request r;
	struct buf why = BUF_INIT;
	char first[37];
	int gen = -1;

	queue_request_init(&r);
	given(&r, "R-7", "a@example.com", NULL, NULL, NULL);
	assert_int_equal(validate(f, &r, &gen, &why), 0);
	assert_int_equal(gen, 0);
	assert_string_equal(r.request_id, "R-7");
	/* None given: a new UUID v4. */
	given(&r, NULL, "a@example.com", NULL, NULL, NULL);
	assert_int_equal(validate(f, &r, &gen, &why), 0);
	assert_int_equal(gen, 1);
	assert_int_equal(strlen(r.request_id), 36);
	assert_int_equal(r.request_id[14], '4');
	assert_null(intake_check_request_id(r.request_id));
	snprintf(first, sizeof(first), "%s", r.request_id);
	given(&r, "", "a@example.com", NULL, NULL, NULL);
	assert_int_equal(validate(f, &r, &gen, &why), 0);
	assert_int_equal(gen, 1);
	assert_string_not_equal(r.request_id, first);
	/* An id must be able to go to the ledger. */
	given(&r, "bob@example.com", "a@example.com", NULL, NULL, NULL);
	assert_int_equal(validate(f, &r, &gen, &why), -1);
	assert_non_null(strstr(why.buf, "request_id must not contain '@'"));
	queue_request_release(&r);
	buf_release(&why);
}

static void validate_product_and_source(void **state)
{
	struct fixture *f = *state;
	struct queue_request r;
	struct buf why = BUF_INIT;
	int gen;

	queue_request_init(&r);
	strvec_push(&f->products, "1001");
	given(&r, "P-1", "a@example.com", NULL, NULL, NULL);
	r.product = xstrdup("1001");
	assert_int_equal(validate(f, &r, &gen, &why), 0);
	given(&r, "P-1", "a@example.com", NULL, NULL, NULL);
	r.product = xstrdup("1002");
	assert_int_equal(validate(f, &r, &gen, &why), -1);
	assert_string_equal(why.buf, "product '1002' is not one of the "
			    "configured [products] ids");
	/* The product named in the reason is quoted safely. */
	given(&r, "P-1", "a@example.com", NULL, NULL, NULL);
	r.product = xstrdup("x'y");
	assert_int_equal(validate(f, &r, &gen, &why), -1);
	assert_non_null(strstr(why.buf, "product 'x\\x27y'"));
	/* No [products] ids: any product. */
	strvec_clear(&f->products);
	given(&r, "P-1", "a@example.com", NULL, NULL, NULL);
	r.product = xstrdup("1002");
	assert_int_equal(validate(f, &r, &gen, &why), 0);
	f->rules.products = NULL;
	assert_int_equal(validate(f, &r, &gen, &why), 0);
	f->rules.products = &f->products;

	/* Reports show source and product: no email in them. */
	given(&r, "S-1", "a@example.com", NULL, NULL, NULL);
	r.source = xstrdup("ticket from carol@example.net");
	assert_int_equal(validate(f, &r, &gen, &why), -1);
	assert_non_null(strstr(why.buf, "source contains an email address"));
	assert_null(strstr(why.buf, "carol"));
	given(&r, "S-1", "a@example.com", NULL, NULL, NULL);
	r.product = xstrdup("carol@example.net");
	assert_int_equal(validate(f, &r, &gen, &why), -1);
	assert_non_null(strstr(why.buf, "product contains an email address"));
	given(&r, "S-1", "a@example.com", NULL, NULL, NULL);
	r.source = xstrdup("web\x1b[2J");
	assert_int_equal(validate(f, &r, &gen, &why), -1);
	assert_non_null(strstr(why.buf, "source contains a control"));
	given(&r, "S-1", "a@example.com", NULL, NULL, NULL);
	r.source = xstrdup("web form");
	assert_int_equal(validate(f, &r, &gen, &why), 0);
	queue_request_release(&r);
	buf_release(&why);
}

/* --- OpenDSR ----------------------------------------------------------- */

#define ERASURE_A "\"subject_request_type\": \"erasure\", " \
	"\"subject_identities\": [{\"identity_type\": \"email\", " \
	"\"identity_value\": \"a@example.com\"}]"

static void opendsr_shapes(void **state)
{
	struct fixture *f = *state;
	struct got g = { 0 };
	struct intake_stats st;

	assert_int_equal(run(f, INTAKE_OPENDSR,
			     "\n{\"subject_request_id\": \"a7551968-d5d6-44b2-9831-815ac9017798\",\n"
			     " \"subject_request_type\": \"erasure\",\n"
			     " \"submitted_time\": \"2026-11-01T10:00:00Z\",\n"
			     " \"regulation\": \"gdpr\",\n"
			     " \"subject_identities\": [{\"identity_type\": \"email\",\n"
			     "   \"identity_value\": \"Alice@Example.com\", \"identity_format\": \"raw\"}]}\n",
			     &g, &st), 0);
	assert_int_equal(st.valid, 1);
	assert_string_equal(g.rows.v[0].subject_email, "alice@example.com");
	assert_string_equal(g.rows.v[0].received_at, "2026-11-01T10:00:00Z");
	assert_string_equal(g.rows.v[0].source, "opendsr");
	assert_int_equal(g.lines[0], 2);
	queue_list_release(&g.rows);

	/* Array and wrapper; errors name the line of the object. */
	assert_int_equal(run(f, INTAKE_OPENDSR,
			     "{\"requests\": [\n"
			     "{\"subject_request_id\": \"r1\", \"subject_request_type\": \"erasure\",\n"
			     " \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"a@example.com\"}]},\n"
			     "{\"subject_request_id\": \"r2\", \"subject_request_type\": \"access\",\n"
			     " \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"b@example.com\"}]},\n"
			     "{\"subject_request_id\": \"r3\", \"subject_request_type\": \"erasure\",\n"
			     " \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"c@example.com\"}]}\n"
			     "]}\n",
			     &g, &st), 0);
	assert_int_equal(st.valid, 2);
	assert_int_equal(st.invalid, 1);
	assert_int_equal(g.lines[0], 2);
	assert_int_equal(g.lines[1], 6);
	queue_list_release(&g.rows);

	assert_int_equal(run(f, INTAKE_OPENDSR,
			     "[{\"subject_request_id\": \"r1\", " ERASURE_A "}]",
			     &g, &st), 0);
	assert_int_equal(st.valid, 1);
	queue_list_release(&g.rows);
}

static void opendsr_customer(void **state)
{
	struct fixture *f = *state;
	struct got g = { 0 };
	struct intake_stats st;
	char ref[SHA256_HEX_LEN + 1];

	assert_int_equal(run(f, INTAKE_OPENDSR,
			     "{\"subject_request_id\": \"c1\", "
			     "\"subject_request_type\": \"erasure\", "
			     "\"subject_identities\": [{\"identity_type\": "
			     "\"controller_customer_id\", \"identity_value\": "
			     "\"Sensor-Owner.7\", \"identity_format\": \"raw\"}]}",
			     &g, &st), 0);
	assert_int_equal(st.valid, 1);
	assert_string_equal(g.rows.v[0].subject_customer, "Sensor-Owner.7");
	assert_null(g.rows.v[0].subject_email);
	assert_int_equal(subject_ref_of_customer(&f->key, "Sensor-Owner.7",
						 ref), 0);
	assert_string_equal(g.rows.v[0].subject_ref, ref);
	queue_list_release(&g.rows);
}

static void opendsr_invalid(void **state)
{
	static const char *const bad[] = {
		/* sha256 format */
		"{\"subject_request_id\": \"r\", \"subject_request_type\": \"erasure\", \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"ab12\", \"identity_format\": \"sha256\"}]}",
		/* an identity type that cannot be matched to a customer */
		"{\"subject_request_id\": \"r\", \"subject_request_type\": \"erasure\", \"subject_identities\": [{\"identity_type\": \"phone_number\", \"identity_value\": \"+15550100\"}]}",
		/* two identities */
		"{\"subject_request_id\": \"r\", \"subject_request_type\": \"erasure\", \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"a@example.com\"}, {\"identity_type\": \"email\", \"identity_value\": \"b@example.com\"}]}",
		"{\"subject_request_id\": \"r\", \"subject_request_type\": \"erasure\", \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"a@example.com\"}, {\"identity_type\": \"controller_customer_id\", \"identity_value\": \"c1\"}]}",
		/* no identities */
		"{\"subject_request_id\": \"r\", \"subject_request_type\": \"erasure\", \"subject_identities\": []}",
		/* no id */
		"{\"subject_request_type\": \"erasure\", \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"a@example.com\"}]}",
		/* wrong type */
		"{\"subject_request_id\": \"r\", \"subject_request_type\": \"portability\", \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"a@example.com\"}]}",
		/* bad time; time in the future */
		"{\"subject_request_id\": \"r\", \"subject_request_type\": \"erasure\", \"submitted_time\": 5, \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"a@example.com\"}]}",
		"{\"subject_request_id\": \"r\", \"subject_request_type\": \"erasure\", \"submitted_time\": \"2030-01-01T00:00:00Z\", \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"a@example.com\"}]}",
		/* bad email; bad customer */
		"{\"subject_request_id\": \"r\", \"subject_request_type\": \"erasure\", \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"nobody\"}]}",
		"{\"subject_request_id\": \"r\", \"subject_request_type\": \"erasure\", \"subject_identities\": [{\"identity_type\": \"controller_customer_id\", \"identity_value\": \"c\\u0001\"}]}",
		/* not an object inside an array */
		"[42]",
	};
	struct fixture *f = *state;
	struct got g = { 0 };
	struct intake_stats st;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(run(f, INTAKE_OPENDSR, bad[i], &g, &st), 0);
		if (st.valid != 0 || st.invalid != 1)
			fail_msg("%zu valid, %zu invalid: %s", (size_t)st.valid,
				 (size_t)st.invalid, bad[i]);
		queue_list_release(&g.rows);
	}
	/* Structural: malformed, empty, empty list, scalar. */
	assert_int_equal(run(f, INTAKE_OPENDSR, "{\"a\": [1,\n", &g, &st), -1);
	assert_int_equal(run(f, INTAKE_OPENDSR, "", &g, &st), -1);
	assert_int_equal(run(f, INTAKE_OPENDSR, "[]", &g, &st), -1);
	assert_int_equal(run(f, INTAKE_OPENDSR, "{\"requests\": {}}", &g, &st),
			 -1);
	assert_int_equal(run(f, INTAKE_OPENDSR, "\"erasure\"", &g, &st), -1);
	queue_list_release(&g.rows);
}

static void opendsr_duplicate_keys(void **state)
{
	struct fixture *f = *state;
	struct got g = { 0 };
	struct intake_stats st;
	struct buf err = BUF_INIT;

	/*
	 * cJSON keeps both values of a repeated key and a lookup sees the
	 * first: which one counts is ambiguous, so the request is refused
	 * (a row error: the others still count).
	 */
	assert_int_equal(run_captured(f, INTAKE_OPENDSR,
			     "[\n"
			     "{\"subject_request_id\": \"d1\", \"subject_request_id\": \"d2\", " ERASURE_A "},\n"
			     "{\"subject_request_id\": \"d3\", " ERASURE_A "},\n"
			     "{\"subject_request_id\": \"d4\", \"subject_request_type\": \"erasure\",\n"
			     " \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"a@example.com\",\n"
			     "   \"identity_value\": \"b@example.com\"}]}\n"
			     "]\n", &g, &st, &err), 0);
	assert_int_equal(st.valid, 1);
	assert_int_equal(st.invalid, 2);
	assert_string_equal(g.rows.v[0].request_id, "d3");
	expect_in(&err, "in.csv:2: the key 'subject_request_id' appears twice");
	expect_in(&err, "in.csv:4: the key 'identity_value' appears twice");
	assert_null(strstr(err.buf, "b@example"));
	queue_list_release(&g.rows);

	/* In the wrapper too, and nested in a single request. */
	assert_int_equal(run(f, INTAKE_OPENDSR,
			     "{\"requests\": [{\"subject_request_id\": \"d5\", "
			     "\"subject_request_type\": \"erasure\", "
			     "\"subject_request_type\": \"erasure\", "
			     "\"subject_identities\": [{\"identity_type\": "
			     "\"email\", \"identity_value\": \"a@example.com\"}]}]}",
			     &g, &st), 0);
	assert_int_equal(st.invalid, 1);
	assert_int_equal(st.valid, 0);
	queue_list_release(&g.rows);
	assert_int_equal(run(f, INTAKE_OPENDSR,
			     "{\"subject_request_id\": \"d6\", \"subject_request_type\": "
			     "\"erasure\", \"subject_identities\": [{\"identity_type\": "
			     "\"email\", \"identity_type\": \"controller_customer_id\", "
			     "\"identity_value\": \"a@example.com\"}]}",
			     &g, &st), 0);
	assert_int_equal(st.invalid, 1);
	assert_int_equal(st.valid, 0);
	queue_list_release(&g.rows);
	/*
	 * A repeated key at the top of the document makes the document
	 * itself ambiguous (one request, or a wrapper?): refused whole.
	 */
	assert_int_equal(run(f, INTAKE_OPENDSR,
			     "{\"requests\": [], \"requests\": [{\"subject_request_id\": "
			     "\"d7\", " ERASURE_A "}]}", &g, &st), -1);
	assert_int_equal(g.rows.n, 0);
	assert_int_equal(run(f, INTAKE_OPENDSR,
			     "{\"subject_request_id\": \"d8\", \"subject_request_id\": "
			     "\"d9\", " ERASURE_A "}", &g, &st), -1);
	assert_int_equal(g.rows.n, 0);
	queue_list_release(&g.rows);
	buf_release(&err);
}

static void opendsr_nul_escape(void **state)
{
	struct fixture *f = *state;
	struct got g = { 0 };
	struct intake_stats st;
	struct buf err = BUF_INIT;

	/*
	 * cJSON would cut a string at \u0000 and queue a prefix of it: the
	 * document is refused, with the line, and nothing is handed out.
	 */
	assert_int_equal(run_captured(f, INTAKE_OPENDSR,
			     "[{\"subject_request_id\": \"ok-1\", " ERASURE_A "},\n"
			     "{\"subject_request_id\": \"n\\u0000x\", " ERASURE_A "}]",
			     &g, &st, &err), -1);
	assert_int_equal(g.rows.n, 0);
	expect_in(&err, "in.csv:2: a string holds \\u0000");
	assert_int_equal(run(f, INTAKE_OPENDSR,
			     "{\"subject_request_id\": \"n1\", \"subject_request_type\": "
			     "\"erasure\", \"subject_identities\": [{\"identity_type\": "
			     "\"email\", \"identity_value\": \"a@example.com\\u0000.evil\"}]}",
			     &g, &st), -1);
	assert_int_equal(g.rows.n, 0);
	/* In a key as well. */
	assert_int_equal(run(f, INTAKE_OPENDSR,
			     "{\"subject_request_id\": \"n2\", \"x\\u0000\": 1, "
			     ERASURE_A "}", &g, &st), -1);
	/* An escaped backslash before "u0000" is no NUL. */
	assert_int_equal(run(f, INTAKE_OPENDSR,
			     "{\"subject_request_id\": \"n3\\\\u0000\", " ERASURE_A
			     "}", &g, &st), 0);
	assert_int_equal(st.valid, 1);
	assert_string_equal(g.rows.v[0].request_id, "n3\\u0000");
	/* Other escapes are fine. */
	assert_int_equal(run(f, INTAKE_OPENDSR,
			     "{\"subject_request_id\": \"n\\u0041\\u00e9-4\", "
			     ERASURE_A "}", &g, &st), 0);
	assert_int_equal(st.valid, 0);
	assert_int_equal(st.invalid, 1);	/* é: not ASCII */
	assert_int_equal(run(f, INTAKE_OPENDSR,
			     "{\"subject_request_id\": \"n\\u0041-5\", "
			     ERASURE_A "}", &g, &st), 0);
	assert_int_equal(st.valid, 1);
	assert_string_equal(g.rows.v[0].request_id, "nA-5");
	queue_list_release(&g.rows);
	buf_release(&err);
}

/* --- intake_upstream --------------------------------------------------- */

static long ledger_count(struct fixture *f, const char *id, const char *event)
{
	sqlite3_stmt *st;
	long n = -1;

	assert_int_equal(db_prepare(f->db, &st, "SELECT count(*) FROM ledger "
				    "WHERE request_id = ?1 AND (?2 IS NULL OR "
				    "event = ?2)"), 0);
	db_bind_text(st, 1, id);
	db_bind_text(st, 2, event);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void get(struct fixture *f, const char *id, struct queue_request *r)
{
	queue_request_release(r);
	if (queue_get(f->db, id, r))
		fail_msg("request %s is not in the queue", id);
}

static void upstream_records_rows(void **state)
{
	struct fixture *f = *state;
	struct queue_request r;
	char ref[SHA256_HEX_LEN + 1];

	fixture_exec(f, "INSERT INTO erasure_queue (request_id, subject_email, "
		     "subject_customer, device_id, received_at, subject_ref, "
		     "status) VALUES "
		     "('U-1', ' Bob@Example.COM ', NULL, NULL, "
		     "'2026-11-01 10:00', NULL, 'pending'), "
		     "('U-2', 'not-an-email', NULL, NULL, '2026-11-01', NULL, "
		     "'pending'), "
		     "('U-3', NULL, NULL, 'ABCDEF0123456789ABCDEF01', "
		     "'2026-11-02', NULL, 'pending'), "
		     "('U-5', 'done@example.com', NULL, NULL, '2026-11-04', "
		     "NULL, 'done'), "
		     "('U-6', 'late@example.com', NULL, NULL, '2030-01-01', "
		     "NULL, 'pending'), "
		     "('U-7', 'preset@example.com', NULL, NULL, '2026-11-05', "
		     "'0000000000000000000000000000000000000000000000000000"
		     "000000000000', 'pending'), "
		     "('U-8', NULL, 'Sensor-Owner.7', NULL, '2026-11-06', NULL, "
		     "'pending')");
	assert_int_equal(intake_upstream(f->db, &f->rules), 7);
	queue_request_init(&r);

	/* Valid: normalized, its ref computed, pending. */
	get(f, "U-1", &r);
	assert_string_equal(r.subject_email, "bob@example.com");
	assert_int_equal(subject_ref_of_email(&f->key, "bob@example.com", ref),
			 0);
	assert_string_equal(r.subject_ref, ref);
	assert_string_equal(r.received_at, "2026-11-01T10:00:00Z");
	assert_int_equal(r.status, Q_PENDING);
	assert_int_equal(ledger_count(f, "U-1", "enqueued"), 1);
	assert_int_equal(ledger_count(f, "U-1", "rejected"), 0);

	/* Invalid: rejected with the reason, the plaintext gone. */
	get(f, "U-2", &r);
	assert_int_equal(r.status, Q_REJECTED);
	assert_null(r.subject_email);
	assert_non_null(r.subject_ref);
	assert_non_null(r.completed_at);
	assert_string_equal(r.last_error, "invalid email address (it has no "
			    "'@')");
	assert_int_equal(ledger_count(f, "U-2", "rejected"), 1);

	get(f, "U-3", &r);
	assert_int_equal(r.status, Q_PENDING);
	assert_string_equal(r.device_id, "abcdef0123456789abcdef01");
	assert_null(r.subject_ref);

	/* Inserted as done: not a state erasectl gave it. */
	get(f, "U-5", &r);
	assert_int_equal(r.status, Q_REJECTED);
	assert_null(r.subject_email);
	assert_null(r.outcome);
	assert_int_equal(subject_ref_of_email(&f->key, "done@example.com",
					      ref), 0);
	assert_string_equal(r.subject_ref, ref);
	assert_non_null(strstr(r.last_error, "must be inserted as pending, "
			       "not done"));
	assert_int_equal(ledger_count(f, "U-5", "enqueued"), 1);
	assert_int_equal(ledger_count(f, "U-5", "rejected"), 1);

	/* Received in the future. */
	get(f, "U-6", &r);
	assert_int_equal(r.status, Q_REJECTED);
	assert_null(r.subject_email);
	assert_string_equal(r.last_error, "received_at is in the future");
	assert_int_equal(ledger_count(f, "U-6", "rejected"), 1);

	/* A preset subject_ref is replaced by the computed one. */
	get(f, "U-7", &r);
	assert_int_equal(r.status, Q_PENDING);
	assert_int_equal(subject_ref_of_email(&f->key, "preset@example.com",
					      ref), 0);
	assert_string_equal(r.subject_ref, ref);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM ledger WHERE "
				       "subject_ref LIKE '0000000000%'"), 0);

	/* A customer, exactly. */
	get(f, "U-8", &r);
	assert_int_equal(r.status, Q_PENDING);
	assert_string_equal(r.subject_customer, "Sensor-Owner.7");
	assert_int_equal(subject_ref_of_customer(&f->key, "Sensor-Owner.7",
						 ref), 0);
	assert_string_equal(r.subject_ref, ref);

	/* Every row got its "enqueued" entry; none names a subject. */
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM ledger WHERE "
				       "event = 'enqueued' AND detail = "
				       "'upstream'"), 7);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM ledger WHERE "
				       "event = 'rejected'"), 3);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM ledger WHERE "
				       "request_id || subject_ref || detail "
				       "LIKE '%example.com%' OR request_id || "
				       "subject_ref || detail LIKE "
				       "'%Sensor-Owner%'"), 0);
	/* Nothing left to do the second time. */
	assert_int_equal(intake_upstream(f->db, &f->rules), 0);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM ledger"), 10);
	queue_request_release(&r);
}

static void upstream_invalid_request_id(void **state)
{
	struct fixture *f = *state;
	struct queue_request r;
	int rc;

	/* An id that cannot go to the ledger: rejected without an entry. */
	fixture_exec(f, "INSERT INTO erasure_queue (request_id, device_id, "
		     "received_at) VALUES ('U@4', 'ABCDEF0123456789ABCDEF01', "
		     "'2026-11-03')");
	fixture_exec(f, "INSERT INTO erasure_queue (request_id, subject_email, "
		     "received_at) VALUES ('U-9', 'd@example.com', "
		     "'2026-11-03')");
	assert_int_equal(intake_upstream(f->db, &f->rules), 2);
	queue_request_init(&r);
	get(f, "U@4", &r);
	assert_int_equal(r.status, Q_REJECTED);
	assert_string_equal(r.last_error, "invalid request id");
	assert_int_equal(ledger_count(f, "U@4", NULL), 0);
	/* The other row was recorded all the same. */
	get(f, "U-9", &r);
	assert_int_equal(r.status, Q_PENDING);
	assert_int_equal(ledger_count(f, "U-9", "enqueued"), 1);

	/*
	 * The same when the row names its subject only by email, which
	 * rejection clears: it must still be rejected (by its subject_ref),
	 * and must not stop the rows after it from being recorded.
	 */
	fixture_exec(f, "INSERT INTO erasure_queue (request_id, subject_email, "
		     "received_at) VALUES ('U@5', 'c@example.com', "
		     "'2026-11-03'), ('U-10', 'e@example.com', '2026-11-04')");
	rc = intake_upstream(f->db, &f->rules);
	assert_int_equal(rc, 2);
	get(f, "U@5", &r);
	assert_int_equal(r.status, Q_REJECTED);
	assert_null(r.subject_email);
	assert_non_null(r.subject_ref);
	assert_int_equal(ledger_count(f, "U@5", NULL), 0);
	get(f, "U-10", &r);
	assert_int_equal(r.status, Q_PENDING);
	assert_int_equal(ledger_count(f, "U-10", "enqueued"), 1);
	queue_request_release(&r);
}

static void upstream_awaiting_approval(void **state)
{
	struct fixture *f = *state;
	struct queue_request r;

	fixture_exec(f, "INSERT INTO erasure_queue (request_id, subject_email, "
		     "received_at) VALUES ('A-1', 'a@example.com', "
		     "'2026-11-01'), ('A-2', 'bad', '2026-11-01')");
	f->rules.initial = Q_AWAITING;
	assert_int_equal(intake_upstream(f->db, &f->rules), 2);
	f->rules.initial = Q_PENDING;
	queue_request_init(&r);
	get(f, "A-1", &r);
	assert_int_equal(r.status, Q_AWAITING);
	assert_string_equal(r.subject_email, "a@example.com");
	assert_int_equal(ledger_count(f, "A-1", "enqueued"), 1);
	assert_int_equal(ledger_count(f, "A-1", "awaiting_approval"), 1);
	assert_int_equal(ledger_count(f, "A-2", "awaiting_approval"), 0);
	get(f, "A-2", &r);
	assert_int_equal(r.status, Q_REJECTED);
	queue_request_release(&r);
}

static void upstream_in_callers_transaction(void **state)
{
	struct fixture *f = *state;

	fixture_exec(f, "INSERT INTO erasure_queue (request_id, subject_email, "
		     "received_at) VALUES ('T-1', 'a@example.com', "
		     "'2026-11-01')");
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(intake_upstream(f->db, &f->rules), 1);
	/* Still inside the caller's transaction, which decides. */
	assert_int_equal(sqlite3_get_autocommit(f->db), 0);
	db_rollback(f->db);
	assert_int_equal(ledger_count(f, "T-1", NULL), 0);
	assert_int_equal(fixture_count(f, "SELECT count(*) FROM erasure_queue "
				       "WHERE subject_ref IS NULL"), 1);
	assert_int_equal(intake_upstream(f->db, &f->rules), 1);
	assert_int_equal(sqlite3_get_autocommit(f->db), 1);
	assert_int_equal(ledger_count(f, "T-1", "enqueued"), 1);
	/* The ledger the rows went to verifies. */
	{
		struct buf reason = BUF_INIT;
		int64_t n, bad;

		assert_int_equal(ledger_verify(f->db, &n, &bad, &reason), 0);
		assert_int_equal(n, 1);
		buf_release(&reason);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(csv_basic),
		cmocka_unit_test(csv_bom_crlf_case_quotes),
		cmocka_unit_test(csv_multiline_first_field_line),
		cmocka_unit_test(csv_generated_id_and_default_time),
		cmocka_unit_test(csv_structural_errors),
		cmocka_unit_test(csv_huge_field),
		cmocka_unit_test(csv_row_errors),
		cmocka_unit_test(csv_field_limits),
		cmocka_unit_test(csv_customer_column),
		cmocka_unit_test(csv_products_rule),
		cmocka_unit_test(email_checks),
		cmocka_unit_test(id_checks),
		cmocka_unit_test(validate_received_at),
		cmocka_unit_test(validate_identity),
		cmocka_unit_test(validate_request_id),
		cmocka_unit_test(validate_product_and_source),
		cmocka_unit_test(opendsr_shapes),
		cmocka_unit_test(opendsr_customer),
		cmocka_unit_test(opendsr_invalid),
		cmocka_unit_test(opendsr_duplicate_keys),
		cmocka_unit_test(opendsr_nul_escape),
		cmocka_unit_test_setup_teardown(upstream_records_rows,
						fixture_setup_db,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(upstream_invalid_request_id,
						fixture_setup_db,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(upstream_awaiting_approval,
						fixture_setup_db,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(upstream_in_callers_transaction,
						fixture_setup_db,
						fixture_teardown),
	};

	return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}

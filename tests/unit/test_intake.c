/* Unit tests for intake: CSV edge cases, OpenDSR, validation, times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "buf.h"
#include "digest.h"
#include "intake.h"
#include "queue.h"

/* 2026-11-25T12:00:00Z */
#define NOW ((time_t)1795608000)

struct got {
	struct queue_list rows;
	long lines[64];
	int generated[64];
	int refuse_id_x;	/* callback refuses request_id "X" */
};

static int collect(const struct queue_request *r, int generated_id,
		   const char *name, long line, void *data)
{
	struct got *g = data;
	struct queue_request *c;

	(void)name;
	if (g->refuse_id_x && !strcmp(r->request_id, "X"))
		return 1;
	if (g->rows.n < 64) {
		g->lines[g->rows.n] = line;
		g->generated[g->rows.n] = generated_id;
	}
	c = queue_list_push(&g->rows);
	c->request_id = xstrdup(r->request_id);
	c->subject_email = r->subject_email ? xstrdup(r->subject_email) : NULL;
	c->device_id = r->device_id ? xstrdup(r->device_id) : NULL;
	c->product = r->product ? xstrdup(r->product) : NULL;
	c->source = r->source ? xstrdup(r->source) : NULL;
	c->received_at = xstrdup(r->received_at);
	c->subject_ref = r->subject_ref ? xstrdup(r->subject_ref) : NULL;
	return 0;
}

static struct hmac_key test_key;

/* Runs intake over text (n bytes); returns intake_read's result. */
static int run_n(enum intake_format f, const char *text, size_t n,
		 struct got *g, struct intake_stats *st)
{
	struct intake_options o;
	FILE *fp = fmemopen((void *)text, n, "rb");
	int ret;

	assert_non_null(fp);
	memset(&o, 0, sizeof(o));
	o.format = f;
	o.name = "in.csv";
	o.key = &test_key;
	o.now = NOW;
	queue_list_init(&g->rows);
	ret = intake_read(fp, &o, collect, g, st);
	fclose(fp);
	return ret;
}

static int run(enum intake_format f, const char *text, struct got *g,
	       struct intake_stats *st)
{
	return run_n(f, text, strlen(text), g, st);
}

static void csv_basic(void **state)
{
	struct got g = { 0 };
	struct intake_stats st;

	(void)state;
	assert_int_equal(run(INTAKE_CSV,
			     "request_id,email,device_id,received_at,product,source\n"
			     "R-1, Alice@Example.COM ,,2026-11-01,,web form\n"
			     "R-2,,0123456789ABCDEF01234567,2026-10-31T10:00:00+02:00,p1,\n",
			     &g, &st), 0);
	assert_int_equal(st.valid, 2);
	assert_int_equal(st.invalid, 0);
	assert_string_equal(g.rows.v[0].request_id, "R-1");
	assert_string_equal(g.rows.v[0].subject_email, "alice@example.com");
	assert_non_null(g.rows.v[0].subject_ref);
	assert_int_equal(strlen(g.rows.v[0].subject_ref), 64);
	assert_null(g.rows.v[0].device_id);
	assert_string_equal(g.rows.v[0].received_at, "2026-11-01T00:00:00Z");
	assert_string_equal(g.rows.v[0].source, "web form");
	assert_null(g.rows.v[0].product);
	assert_string_equal(g.rows.v[1].device_id, "0123456789abcdef01234567");
	assert_null(g.rows.v[1].subject_email);
	assert_string_equal(g.rows.v[1].received_at, "2026-10-31T08:00:00Z");
	assert_string_equal(g.rows.v[1].product, "p1");
	assert_int_equal(g.lines[0], 2);
	assert_int_equal(g.lines[1], 3);
	queue_list_release(&g.rows);
}

static void csv_bom_crlf_case_quotes(void **state)
{
	struct got g = { 0 };
	struct intake_stats st;

	(void)state;
	assert_int_equal(run(INTAKE_CSV,
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
	struct got g = { 0 };
	struct intake_stats st;

	(void)state;
	/* The record's first field spans lines; LINE is where it starts. */
	assert_int_equal(run(INTAKE_CSV,
			     "source,email\n"
			     "\"a\nb\nc\",a@example.com\n"
			     "\"d\ne\",bad-address\n",
			     &g, &st), 0);
	assert_int_equal(st.valid, 1);
	assert_int_equal(st.invalid, 1);
	assert_int_equal(g.lines[0], 2);
	queue_list_release(&g.rows);
}

static void csv_generated_id_and_default_time(void **state)
{
	struct got g = { 0 };
	struct intake_stats st;
	char now[21];

	(void)state;
	assert_int_equal(run(INTAKE_CSV, "email,request_id\nx@example.com,\n"
			     "y@example.com,\"  \"\n", &g, &st), 0);
	assert_int_equal(st.valid, 2);
	assert_int_equal(g.generated[1], 1);
	assert_int_equal(strlen(g.rows.v[0].request_id), 36);
	assert_int_equal(g.rows.v[0].request_id[14], '4');
	assert_int_equal(g.generated[0], 1);
	intake_format_time(NOW, now);
	assert_string_equal(g.rows.v[0].received_at, now);
	queue_list_release(&g.rows);
}

static void csv_fatal(const char *text, size_t n)
{
	struct got g = { 0 };
	struct intake_stats st;

	assert_int_equal(run_n(INTAKE_CSV, text, n, &g, &st), -1);
	queue_list_release(&g.rows);
}

static void csv_structural_errors(void **state)
{
	(void)state;
	csv_fatal("", 0);
	csv_fatal("\xef\xbb\xbf", 3);
	csv_fatal("email,device_id\n", 16);
	csv_fatal("email,device_id\n\n\n", 18);
	csv_fatal("email,colour\nx@example.com,red\n", 31);
	csv_fatal("request_id,product\nR-1,p\n", 25);
	csv_fatal("email,Email\na@example.com,b@example.com\n", 40);
	csv_fatal("email,\na@example.com,\n", 22);
	/* Unbalanced quote, stray quote, text after a closing quote. */
	csv_fatal("email,source\na@example.com,\"open\n", 33);
	csv_fatal("email,source\na@example.com,we\"b\n", 32);
	csv_fatal("email,source\na@example.com,\"web\"x\n", 34);
	csv_fatal("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01", 20);
}

static void csv_huge_field(void **state)
{
	size_t n = 1024 * 1024;
	char *big = malloc(n + 64);
	struct got g = { 0 };
	struct intake_stats st;
	int len;

	(void)state;
	assert_non_null(big);
	len = snprintf(big, 64, "email,source\na@example.com,\"");
	memset(big + len, 'x', n);
	memcpy(big + len + n, "\"\n", 2);
	assert_int_equal(run_n(INTAKE_CSV, big, len + n + 2, &g, &st), -1);
	assert_int_equal(g.rows.n, 0);
	/* Unquoted too. */
	big[len - 1] = 'x';
	assert_int_equal(run_n(INTAKE_CSV, big, len + n, &g, &st), -1);
	free(big);
	queue_list_release(&g.rows);
}

static void csv_row_errors(void **state)
{
	struct got g = { 0 };
	struct intake_stats st;

	(void)state;
	assert_int_equal(run(INTAKE_CSV,
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
			     &g, &st), 0);
	assert_int_equal(st.valid, 3);
	assert_int_equal(st.invalid, 8);
	assert_int_equal(g.lines[0], 2);
	assert_int_equal(g.lines[1], 11);
	assert_int_equal(g.lines[2], 12);
	assert_string_equal(g.rows.v[2].received_at, "2026-11-01T08:30:00Z");
	queue_list_release(&g.rows);

	g.refuse_id_x = 1;
	assert_int_equal(run(INTAKE_CSV, "request_id,email\nX,a@example.com\n",
			     &g, &st), 0);
	assert_int_equal(st.invalid, 1);
	assert_int_equal(st.valid, 0);
	queue_list_release(&g.rows);
}

static void csv_field_limits(void **state)
{
	struct buf b = BUF_INIT;
	struct got g = { 0 };
	struct intake_stats st;
	int i;

	(void)state;
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
	assert_int_equal(run(INTAKE_CSV, b.buf, &g, &st), 0);
	assert_int_equal(st.invalid, 4);
	assert_int_equal(st.valid, 1);
	assert_string_equal(g.rows.v[0].product, "caf\xc3\xa9");
	queue_list_release(&g.rows);
	buf_release(&b);
}

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
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_null(intake_check_email(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_non_null(intake_check_email(bad[i]));
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
	char id[130];

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
}

static void time_parsing(void **state)
{
	static const struct { const char *in, *out; } ok[] = {
		{ "2026-11-01", "2026-11-01T00:00:00Z" },
		{ "2026-11-01T10:20:30Z", "2026-11-01T10:20:30Z" },
		{ "2026-11-01t10:20:30z", "2026-11-01T10:20:30Z" },
		{ "2026-11-01 10:20", "2026-11-01T10:20:00Z" },
		{ "2026-11-01T10:20:30.123456Z", "2026-11-01T10:20:30Z" },
		{ "2026-11-01T00:30:00+01:00", "2026-10-31T23:30:00Z" },
		{ "2026-11-01T23:30:00-0130", "2026-11-02T01:00:00Z" },
		{ "2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z" },
		{ "2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z" },
		{ "2000-02-29", "2000-02-29T00:00:00Z" },
	};
	static const char *const bad[] = {
		"", "2026", "2026-11", "2026-13-01", "2026-00-10", "2026-02-29",
		"1900-02-29", "2026-04-31", "2026-11-01T24:00:00Z",
		"2026-11-01T10:60", "2026-11-01T10", "2026-11-01T10:00:00Q",
		"2026-11-01T10:00:00+25:00", "26-11-01", "2026/11/01",
		"2026-11-01 ", "1969-12-31", "2026-11-01T10:00:00.Z",
		"yesterday",
	};
	char out[21];
	time_t t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(intake_parse_time(ok[i].in, &t), 0);
		intake_format_time(t, out);
		assert_string_equal(out, ok[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(intake_parse_time(bad[i], &t), -1);
}

static void civil_roundtrip(void **state)
{
	long d;
	int y, m, dd;

	(void)state;
	assert_int_equal(intake_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(intake_days_from_civil(2000, 3, 1), 11017);
	for (d = -1000; d < 200000; d += 17) {
		intake_civil_from_days(d, &y, &m, &dd);
		assert_int_equal(intake_days_from_civil(y, m, dd), d);
	}
}

static void opendsr_shapes(void **state)
{
	struct got g = { 0 };
	struct intake_stats st;

	(void)state;
	assert_int_equal(run(INTAKE_OPENDSR,
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
	assert_int_equal(run(INTAKE_OPENDSR,
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

	assert_int_equal(run(INTAKE_OPENDSR,
			     "[{\"subject_request_id\": \"r1\", \"subject_request_type\": \"erasure\","
			     " \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"a@example.com\"}]}]",
			     &g, &st), 0);
	assert_int_equal(st.valid, 1);
	queue_list_release(&g.rows);
}

static void opendsr_invalid(void **state)
{
	static const char *const bad[] = {
		/* sha256 format */
		"{\"subject_request_id\": \"r\", \"subject_request_type\": \"erasure\", \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"ab12\", \"identity_format\": \"sha256\"}]}",
		/* non-email identity */
		"{\"subject_request_id\": \"r\", \"subject_request_type\": \"erasure\", \"subject_identities\": [{\"identity_type\": \"controller_customer_id\", \"identity_value\": \"c1\"}]}",
		/* two emails */
		"{\"subject_request_id\": \"r\", \"subject_request_type\": \"erasure\", \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"a@example.com\"}, {\"identity_type\": \"email\", \"identity_value\": \"b@example.com\"}]}",
		/* no identities */
		"{\"subject_request_id\": \"r\", \"subject_request_type\": \"erasure\", \"subject_identities\": []}",
		/* no id */
		"{\"subject_request_type\": \"erasure\", \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"a@example.com\"}]}",
		/* wrong type */
		"{\"subject_request_id\": \"r\", \"subject_request_type\": \"portability\", \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"a@example.com\"}]}",
		/* bad time */
		"{\"subject_request_id\": \"r\", \"subject_request_type\": \"erasure\", \"submitted_time\": 5, \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"a@example.com\"}]}",
		/* bad email */
		"{\"subject_request_id\": \"r\", \"subject_request_type\": \"erasure\", \"subject_identities\": [{\"identity_type\": \"email\", \"identity_value\": \"nobody\"}]}",
		/* not an object inside an array */
		"[42]",
	};
	struct got g = { 0 };
	struct intake_stats st;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(run(INTAKE_OPENDSR, bad[i], &g, &st), 0);
		assert_int_equal(st.valid, 0);
		assert_int_equal(st.invalid, 1);
		queue_list_release(&g.rows);
	}
	/* Structural: malformed, empty, empty list, scalar. */
	assert_int_equal(run(INTAKE_OPENDSR, "{\"a\": [1,\n", &g, &st), -1);
	assert_int_equal(run(INTAKE_OPENDSR, "", &g, &st), -1);
	assert_int_equal(run(INTAKE_OPENDSR, "[]", &g, &st), -1);
	assert_int_equal(run(INTAKE_OPENDSR, "{\"requests\": {}}", &g, &st), -1);
	assert_int_equal(run(INTAKE_OPENDSR, "\"erasure\"", &g, &st), -1);
	queue_list_release(&g.rows);
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
		cmocka_unit_test(email_checks),
		cmocka_unit_test(id_checks),
		cmocka_unit_test(time_parsing),
		cmocka_unit_test(civil_roundtrip),
		cmocka_unit_test(opendsr_shapes),
		cmocka_unit_test(opendsr_invalid),
	};

	memset(test_key.bytes, 7, sizeof(test_key.bytes));
	return cmocka_run_group_tests(tests, NULL, NULL);
}

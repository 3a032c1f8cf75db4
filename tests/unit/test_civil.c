/*
 * Unit tests for civil: the calendar, ISO 8601 times, and the one
 * definition of a request's deadline (GDPR Art. 12(3)) and of overdue.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "civil.h"
#include "queue.h"
#include "fixture.h"

static void days_roundtrip(void **state)
{
	long d;
	int y, m, dd;

	(void)state;
	assert_int_equal(civil_days_from_ymd(1970, 1, 1), 0);
	assert_int_equal(civil_days_from_ymd(2000, 3, 1), 11017);
	assert_int_equal(civil_days_from_ymd(1969, 12, 31), -1);
	for (d = -1000; d < 200000; d += 17) {
		civil_ymd_from_days(d, &y, &m, &dd);
		assert_int_equal(civil_days_from_ymd(y, m, dd), d);
	}
	civil_ymd_from_days(civil_days_from_ymd(2024, 2, 29) + 1, &y, &m, &dd);
	assert_int_equal(y, 2024);
	assert_int_equal(m, 3);
	assert_int_equal(dd, 1);
}

static void time_parsing(void **state)
{
	static const struct { const char *in, *out; } ok[] = {
		{ "2026-11-01", "2026-11-01T00:00:00Z" },
		{ "2026-11-01T10:20:30Z", "2026-11-01T10:20:30Z" },
		{ "2026-11-01t10:20:30z", "2026-11-01T10:20:30Z" },
		{ "2026-11-01 10:20", "2026-11-01T10:20:00Z" },
		{ "2026-11-01T10:20:30.123456Z", "2026-11-01T10:20:30Z" },
		{ "2026-11-01T10:20:30,5Z", "2026-11-01T10:20:30Z" },
		{ "2026-11-01T00:30:00+01:00", "2026-10-31T23:30:00Z" },
		{ "2026-11-01T23:30:00-0130", "2026-11-02T01:00:00Z" },
		{ "2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z" },
		{ "2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z" },
		{ "2000-02-29", "2000-02-29T00:00:00Z" },
		{ "1970-01-01", "1970-01-01T00:00:00Z" },
		{ "9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z" },
	};
	static const char *const bad[] = {
		"", "2026", "2026-11", "2026-13-01", "2026-00-10", "2026-02-29",
		"1900-02-29", "2026-04-31", "2026-11-01T24:00:00Z",
		"2026-11-01T10:60", "2026-11-01T10", "2026-11-01T10:00:00Q",
		"2026-11-01T10:00:00+25:00", "26-11-01", "2026/11/01",
		"2026-11-01 ", "1969-12-31", "2026-11-01T10:00:00.Z",
		"yesterday",
		/* Before 1970 once the zone is applied; past 9999. */
		"1970-01-01T00:30:00+01:00", "9999-12-31T23:59:59-01:00",
	};
	char out[21];
	time_t t;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		if (civil_parse_time(ok[i].in, &t))
			fail_msg("'%s' does not parse", ok[i].in);
		civil_format_time(t, out);
		assert_string_equal(out, ok[i].out);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (civil_parse_time(bad[i], &t) != -1)
			fail_msg("'%s' parses", bad[i]);
}

static void dates(void **state)
{
	char out[11], t[21];
	long days;

	(void)state;
	civil_format_date(FIXTURE_NOW, out);
	assert_string_equal(out, "2026-11-25");
	civil_format_time(FIXTURE_NOW, t);
	assert_string_equal(t, "2026-11-25T12:00:00Z");
	assert_int_equal(civil_date_days("2024-03-01T10:00:00Z", &days), 0);
	assert_int_equal(days, civil_days_from_ymd(2024, 3, 1));
	civil_days_date(days - 1, out);
	assert_string_equal(out, "2024-02-29");
	assert_int_equal(civil_date_days("2023-02-29", &days), -1);
	assert_int_equal(civil_date_days("2024-1-01", &days), -1);
	assert_int_equal(civil_date_days(NULL, &days), -1);

	/* Exactly a valid YYYY-MM-DD (report periods). */
	assert_true(civil_date_valid("2024-02-29"));
	assert_false(civil_date_valid("2023-02-29"));
	assert_false(civil_date_valid("2024-13-01"));
	assert_false(civil_date_valid("2024-04-31"));
	assert_false(civil_date_valid("2024-1-01"));
	assert_false(civil_date_valid("2024-01-01T00:00:00Z"));
	assert_false(civil_date_valid("2024-01-01 "));
	assert_false(civil_date_valid(""));
}

static void deadlines(void **state)
{
	static const struct {
		const char *received;
		long days;
		int ext;
		const char *want;
	} cases[] = {
		{ "2026-01-15", 0, 0, "2026-02-15" },
		/* One calendar month: the same day, or the month's last. */
		{ "2026-01-31", 0, 0, "2026-02-28" },
		{ "2024-01-31", 0, 0, "2024-02-29" },
		{ "2000-01-30", 0, 0, "2000-02-29" },
		{ "2100-01-29", 0, 0, "2100-02-28" },
		{ "2026-03-31", 0, 0, "2026-04-30" },
		{ "2026-05-31", 0, 0, "2026-06-30" },
		{ "2026-08-31", 0, 0, "2026-09-30" },
		{ "2026-10-31", 0, 0, "2026-11-30" },
		{ "2026-02-28", 0, 0, "2026-03-28" },
		{ "2026-12-31", 0, 0, "2027-01-31" },
		{ "2026-12-15T23:59:59Z", 0, 0, "2027-01-15" },
		/* Extensions add months by the same rule, from the receipt. */
		{ "2026-01-31", 0, 1, "2026-03-31" },
		{ "2026-01-31", 0, 2, "2026-04-30" },
		{ "2023-11-30", 0, 2, "2024-02-29" },
		{ "2026-11-30", 0, 2, "2027-02-28" },
		{ "2026-12-31", 0, 2, "2027-03-31" },
		/* An offset moves the receipt to the previous UTC day. */
		{ "2026-02-01T00:30:00+01:00", 0, 0, "2026-02-28" },
		/* deadline_days counts days, across month and year ends. */
		{ "2026-01-31", 30, 0, "2026-03-02" },
		{ "2024-02-01", 30, 0, "2024-03-02" },
		{ "2026-12-10", 30, 0, "2027-01-09" },
		{ "2024-12-31", 60, 0, "2025-03-01" },
		{ "2026-01-15", 1, 0, "2026-01-16" },
		/* ... and extension months are added to that date. */
		{ "2026-01-01", 30, 1, "2026-02-28" },
		{ "2026-01-01", 30, 2, "2026-03-31" },
	};
	char out[11];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(civil_deadline(cases[i].received,
						cases[i].days, cases[i].ext,
						out), 0);
		if (strcmp(out, cases[i].want))
			fail_msg("%s + %ld days/%d months: %s, want %s",
				 cases[i].received, cases[i].days,
				 cases[i].ext, out, cases[i].want);
	}
	assert_int_equal(civil_deadline("garbage", 0, 0, out), -1);
	assert_int_equal(civil_deadline("2026-02-30", 0, 0, out), -1);
	assert_int_equal(civil_deadline(NULL, 0, 0, out), -1);
}

static void status_clocks(void **state)
{
	(void)state;
	assert_int_equal(queue_status_clock(Q_PENDING), CLOCK_RUNS);
	assert_int_equal(queue_status_clock(Q_RUNNING), CLOCK_RUNS);
	assert_int_equal(queue_status_clock(Q_FAILED), CLOCK_RUNS);
	assert_int_equal(queue_status_clock(Q_AWAITING), CLOCK_RUNS);
	assert_int_equal(queue_status_clock(Q_DONE), CLOCK_DONE);
	assert_int_equal(queue_status_clock(Q_HELD), CLOCK_PAUSED);
	assert_int_equal(queue_status_clock(Q_REJECTED), CLOCK_NONE);
}

/* The verdict for a request in status s as of today. */
static void judge(enum queue_status s, const char *deadline,
		  const char *completed, const char *today,
		  struct deadline_verdict *v)
{
	/* Garbage in, to see that every field is written. */
	v->overdue = v->within = 42;
	civil_judge(queue_status_clock(s), deadline, completed, today, v);
}

static void judge_open_requests(void **state)
{
	static const enum queue_status open[] = { Q_PENDING, Q_RUNNING,
		Q_FAILED, Q_AWAITING };
	struct deadline_verdict v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(open); i++) {
		/* The deadline day itself is still in time. */
		judge(open[i], "2026-11-25", NULL, "2026-11-25", &v);
		assert_false(v.overdue);
		assert_false(v.within);
		judge(open[i], "2026-11-24", NULL, "2026-11-25", &v);
		assert_true(v.overdue);
		assert_false(v.within);
		/* Across a year end. */
		judge(open[i], "2026-12-31", NULL, "2027-01-01", &v);
		assert_true(v.overdue);
	}
	/* No deadline (a bad received_at): no verdict either way. */
	judge(Q_PENDING, "", NULL, "2030-01-01", &v);
	assert_false(v.overdue);
	assert_false(v.within);
	judge(Q_DONE, NULL, "2030-01-01T00:00:00Z", "2030-01-01", &v);
	assert_false(v.overdue);
	assert_false(v.within);
}

static void judge_held_and_rejected(void **state)
{
	struct deadline_verdict v;

	(void)state;
	/* A hold pauses the clock: never overdue, however long it lasts. */
	judge(Q_HELD, "2024-04-10", NULL, "2026-11-25", &v);
	assert_false(v.overdue);
	assert_false(v.within);
	judge(Q_HELD, "2024-04-10", "2024-05-01T00:00:00Z", "2026-11-25", &v);
	assert_false(v.overdue);
	/* A rejected request has no clock at all. */
	judge(Q_REJECTED, "2024-04-10", NULL, "2026-11-25", &v);
	assert_false(v.overdue);
	assert_false(v.within);
	judge(Q_REJECTED, "2024-04-10", "2026-01-01T00:00:00Z", "2026-11-25",
	      &v);
	assert_false(v.overdue);
	assert_false(v.within);
}

static void judge_done(void **state)
{
	struct deadline_verdict v;

	(void)state;
	/* Done late: overdue for good, whatever today is. */
	judge(Q_DONE, "2023-02-28", "2023-03-01T00:00:01Z", "2023-03-01", &v);
	assert_true(v.overdue);
	assert_false(v.within);
	judge(Q_DONE, "2023-02-28", "2023-03-01T00:00:01Z", "2020-01-01", &v);
	assert_true(v.overdue);
	/* Done in time, up to the deadline day's last second. */
	judge(Q_DONE, "2024-02-29", "2024-02-29T23:59:59Z", "2026-11-25", &v);
	assert_false(v.overdue);
	assert_true(v.within);
	judge(Q_DONE, "2024-02-29", "2024-01-31T08:00:00Z", "2026-11-25", &v);
	assert_false(v.overdue);
	assert_true(v.within);
	/* Done without a completion time: nothing to judge. */
	judge(Q_DONE, "2024-02-29", NULL, "2026-11-25", &v);
	assert_false(v.overdue);
	assert_false(v.within);
	judge(Q_DONE, "2024-02-29", "2024", "2026-11-25", &v);
	assert_false(v.overdue);
	assert_false(v.within);
}

/* Deadline and verdict together, as every output computes them. */
static void deadline_then_judge(void **state)
{
	struct deadline_verdict v;
	char dl[11];

	(void)state;
	/* 31 Jan 2024 -> 29 Feb; open on 1 March: overdue. */
	assert_int_equal(civil_deadline("2024-01-31T10:00:00Z", 0, 0, dl), 0);
	judge(Q_PENDING, dl, NULL, "2024-02-29", &v);
	assert_false(v.overdue);
	judge(Q_PENDING, dl, NULL, "2024-03-01", &v);
	assert_true(v.overdue);
	/* Extended by a month: 31 March, in time again on 1 March. */
	assert_int_equal(civil_deadline("2024-01-31T10:00:00Z", 0, 1, dl), 0);
	assert_string_equal(dl, "2024-03-31");
	judge(Q_FAILED, dl, NULL, "2024-03-01", &v);
	assert_false(v.overdue);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(days_roundtrip),
		cmocka_unit_test(time_parsing),
		cmocka_unit_test(dates),
		cmocka_unit_test(deadlines),
		cmocka_unit_test(status_clocks),
		cmocka_unit_test(judge_open_requests),
		cmocka_unit_test(judge_held_and_rejected),
		cmocka_unit_test(judge_done),
		cmocka_unit_test(deadline_then_judge),
	};

	return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}

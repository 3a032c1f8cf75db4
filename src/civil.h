#ifndef ERASECTL_CIVIL_H
#define ERASECTL_CIVIL_H
/*
 * civil: calendar dates and times (proleptic Gregorian, UTC), and the
 * deadline rules of GDPR Art. 12(3). The only definitions of a request's
 * deadline and of "overdue"; every output (status, report, receipt,
 * lookup, metrics) asks here.
 *
 * Deadline: received (UTC date) + one calendar month (the same day of the
 * next month, or that month's last day), or + deadline_days when that is
 * set; then + the extension months (at most two, same month rule).
 *
 * Overdue, as of today (UTC date): a request whose clock runs (pending,
 * running, failed, awaiting approval) on a day after its deadline, or one
 * that was done after its deadline. A held request's clock is paused
 * (Art. 17(3), a documented decision) and a rejected one's is stopped:
 * neither is ever overdue.
 */
#include <time.h>

/* Days since 1970-01-01 of a date, and back. */
long civil_days_from_ymd(int y, int m, int d);
void civil_ymd_from_days(long days, int *y, int *m, int *d);

/*
 * Parses an ISO 8601 date ("2026-11-01": 00:00:00Z that day) or date-time
 * ("2026-11-01T10:00[:00[.123]][Z|+01:00]"; a space may replace the T; no
 * zone means UTC), from 1970 to 9999. Returns 0, or -1 without a message.
 */
int civil_parse_time(const char *s, time_t *out);
/* "YYYY-MM-DDTHH:MM:SSZ" and "YYYY-MM-DD" of t (UTC). */
void civil_format_time(time_t t, char out[21]);
void civil_format_date(time_t t, char out[11]);

/* The days of the "YYYY-MM-DD" that s starts with; -1 if it does not. */
int civil_date_days(const char *s, long *days);
void civil_days_date(long days, char out[11]);
/* 1 when s is exactly a valid "YYYY-MM-DD". */
int civil_date_valid(const char *s);

/*
 * The deadline "YYYY-MM-DD" (above); -1 (no message) for a bad date or a
 * deadline past the year 9999.
 */
int civil_deadline(const char *received_at, long deadline_days,
		   int extension_months, char out[11]);

/* What a request's state means for its deadline clock. */
enum deadline_clock {
	CLOCK_RUNS,	/* pending, running, failed, awaiting approval */
	CLOCK_DONE,	/* done: judged by its completion date */
	CLOCK_PAUSED,	/* held */
	CLOCK_NONE,	/* rejected */
};

struct deadline_verdict {
	int overdue;	/* open past the deadline, or done after it */
	int within;	/* done on or before the deadline */
};

/*
 * Judges a request against deadline (empty: no verdict) as of today;
 * completed_at is its completion time for CLOCK_DONE.
 */
void civil_judge(enum deadline_clock clock, const char *deadline,
		 const char *completed_at, const char *today,
		 struct deadline_verdict *v);

#endif

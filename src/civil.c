#include "civil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

long civil_days_from_ymd(int y, int m, int d)
{
	/* H. Hinnant's days_from_civil, exact for the proleptic calendar. */
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void civil_ymd_from_days(long z, int *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* Reads exactly n digits at *s; -1 if they are not all there. */
static int digits(const char **s, int n)
{
	int v = 0;

	while (n--) {
		if (!isdigit((unsigned char)**s))
			return -1;
		v = v * 10 + (*(*s)++ - '0');
	}
	return v;
}

int civil_parse_time(const char *s, time_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
	long long t;

	y = digits(&s, 4);
	if (y < 1970 || *s++ != '-')
		return -1;
	mo = digits(&s, 2);
	if (mo < 1 || mo > 12 || *s++ != '-')
		return -1;
	d = digits(&s, 2);
	if (d < 1 || d > days_in_month(y, mo))
		return -1;
	if (*s == 'T' || *s == 't' || (*s == ' ' && s[1])) {
		s++;
		h = digits(&s, 2);
		if (h < 0 || h > 23 || *s++ != ':')
			return -1;
		mi = digits(&s, 2);
		if (mi < 0 || mi > 59)
			return -1;
		if (*s == ':') {
			s++;
			sec = digits(&s, 2);
			/* A leap second counts as the last second. */
			if (sec < 0 || sec > 60)
				return -1;
			if (sec == 60)
				sec = 59;
			if (*s == '.' || *s == ',') {
				s++;
				if (!isdigit((unsigned char)*s))
					return -1;
				while (isdigit((unsigned char)*s))
					s++;
			}
		}
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			int sign = *s++ == '-' ? -1 : 1, oh, om;

			oh = digits(&s, 2);
			if (*s == ':')
				s++;
			om = digits(&s, 2);
			if (oh < 0 || oh > 23 || om < 0 || om > 59)
				return -1;
			off = sign * (oh * 60 + om) * 60;
		}
	}
	if (*s)
		return -1;
	t = (long long)civil_days_from_ymd(y, mo, d) * 86400 +
	    h * 3600 + mi * 60 + sec - off;
	/* 1970 to 9999-12-31T23:59:59Z: what the stored form can hold. */
	if (t < 0 || t > 253402300799LL)
		return -1;
	*out = (time_t)t;
	return 0;
}

void civil_format_time(time_t t, char out[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void civil_format_date(time_t t, char out[11])
{
	civil_days_date((long)(t / 86400), out);
}

int civil_date_days(const char *s, long *days)
{
	int y, m, d, yy, mm, dd, i;

	if (!s)
		return -1;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return -1;
		} else if (s[i] < '0' || s[i] > '9') {
			return -1;
		}
	}
	y = (int)strtol(s, NULL, 10);
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	*days = civil_days_from_ymd(y, m, d);
	civil_ymd_from_days(*days, &yy, &mm, &dd);
	return yy == y && mm == m && dd == d ? 0 : -1;
}

void civil_days_date(long days, char out[11])
{
	char tmp[64];
	int y, m, d;

	civil_ymd_from_days(days, &y, &m, &d);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y, m, d);
	memcpy(out, tmp, 10);
	out[10] = '\0';
}

int civil_date_valid(const char *s)
{
	long days;

	return strlen(s) == 10 && !civil_date_days(s, &days);
}

/* Adds months: the same day, or the target month's last day. */
static void add_months(int *y, int *m, int *d, int months)
{
	int idx = *y * 12 + (*m - 1) + months, last;

	*y = idx / 12;
	*m = idx % 12 + 1;
	last = days_in_month(*y, *m);
	if (*d > last)
		*d = last;
}

int civil_deadline(const char *received_at, long deadline_days,
		   int extension_months, char out[11])
{
	time_t t;
	int y, m, d;

	if (!received_at || civil_parse_time(received_at, &t))
		return -1;
	civil_ymd_from_days((long)(t / 86400), &y, &m, &d);
	if (deadline_days > 0) {
		civil_ymd_from_days(civil_days_from_ymd(y, m, d) +
				    deadline_days, &y, &m, &d);
		add_months(&y, &m, &d, extension_months);
	} else {
		add_months(&y, &m, &d, 1 + extension_months);
	}
	if (y > 9999)
		return -1;
	civil_days_date(civil_days_from_ymd(y, m, d), out);
	return 0;
}

void civil_judge(enum deadline_clock clock, const char *deadline,
		 const char *completed_at, const char *today,
		 struct deadline_verdict *v)
{
	v->overdue = v->within = 0;
	if (!deadline || !*deadline)
		return;
	switch (clock) {
	case CLOCK_RUNS:
		v->overdue = strcmp(today, deadline) > 0;
		break;
	case CLOCK_DONE:
		if (!completed_at || strlen(completed_at) < 10)
			break;
		v->within = strncmp(completed_at, deadline, 10) <= 0;
		v->overdue = !v->within;
		break;
	case CLOCK_PAUSED:
	case CLOCK_NONE:
		break;
	}
}

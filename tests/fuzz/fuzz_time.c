/*
 * Fuzzes civil's ISO 8601 parser (received_at, report periods): whatever
 * parses must format and parse back to the same instant, and its date
 * must get a deadline by the rules of civil.h.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "civil.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif
int FUZZ_ENTRY(const uint8_t *data, size_t size);

/* Days from the received date to its deadline. */
static long ft_span(const char *text, long days, int ext)
{
	char dl[11];
	long d;

	if (civil_deadline(text, days, ext, dl) || !civil_date_valid(dl) ||
	    civil_date_days(dl, &d))
		abort();
	return d;
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char text[21], date[11];
	time_t t, back;
	long day, span;

	if (!civil_parse_time(s, &t)) {
		civil_format_time(t, text);
		if (civil_parse_time(text, &back) || back != t)
			abort();
		civil_format_date(t, date);
		if (!civil_date_valid(date) || strncmp(date, text, 10) ||
		    civil_date_days(text, &day) || day != (long)(t / 86400))
			abort();
		/*
		 * Deadlines, while they stay within the years the stored
		 * form can hold (the receipt plus at most three months).
		 */
		if (t < (time_t)253391760000LL) {	/* 9999-09-01 */
			span = ft_span(text, 0, 0) - day;
			if (span < 28 || span > 31)
				abort();
			span = ft_span(text, 0, 2) - day;
			if (span < 89 || span > 92)
				abort();
			if (ft_span(text, 30, 0) - day != 30)
				abort();
		}
	}
	free(s);
	return 0;
}

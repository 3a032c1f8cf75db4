/*
 * Fuzzes the ISO 8601 parser used for received_at and report ranges:
 * whatever parses must format and parse back to the same instant.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "intake.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif
int FUZZ_ENTRY(const uint8_t *data, size_t size);

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char text[21];
	time_t t, back;

	if (!intake_parse_time(s, &t)) {
		intake_format_time(t, text);
		if (intake_parse_time(text, &back) || back != t)
			abort();
	}
	free(s);
	return 0;
}

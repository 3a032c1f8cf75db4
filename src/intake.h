#ifndef ERASECTL_INTAKE_H
#define ERASECTL_INTAKE_H
/*
 * intake: turns a CSV file (libcsv, streamed) or OpenDSR JSON into
 * validated requests, one callback per request, so that 100,000 rows never
 * sit in memory at once. Bad rows are reported as "NAME:LINE: reason",
 * where LINE is the physical line on which the record (or JSON object)
 * starts. Reasons never contain an email address.
 *
 * Validated means: email trimmed, lower-cased and plausible; device id 24
 * hex digits (lower-cased); request_id printable, at most 128 bytes,
 * without '@' (it is stored in the ledger), generated (UUID v4) when
 * empty; received_at ISO 8601, normalized to "YYYY-MM-DDTHH:MM:SSZ".
 */
#include <stdio.h>
#include <time.h>

#include "digest.h"
#include "queue.h"

/* No field may be longer; checked while parsing, before buffering more. */
#define INTAKE_FIELD_MAX (64 * 1024)
/* An OpenDSR document is read whole; larger ones are refused. */
#define INTAKE_JSON_MAX (256L * 1024 * 1024)

enum intake_format { INTAKE_CSV, INTAKE_OPENDSR };

struct intake_options {
	enum intake_format format;
	const char *name;		/* for messages: path or "<stdin>" */
	const struct hmac_key *key;	/* fills subject_ref */
	time_t now;			/* default received_at */
};

/*
 * Called once per valid request (strings owned by intake, valid during the
 * call); generated_id is 1 when the input had no request id. Returns 0 to
 * go on, 1 when it refused the row (after printing a message; counted as
 * invalid), -1 to stop reading (fatal).
 */
typedef int (*intake_fn)(const struct queue_request *r, int generated_id,
			 const char *name, long line, void *data);

struct intake_stats {
	long valid;	/* rows handed to the callback and accepted */
	long invalid;	/* rows reported as bad (by intake or the callback) */
};

/*
 * Reads fp to its end. Row errors are printed and counted in st->invalid;
 * errors that make the rest unreadable (malformed CSV or JSON, a bad
 * header, an over-long field, an empty file, no rows) print one message
 * and return -1, as does a callback returning -1. Returns 0 otherwise.
 */
int intake_read(FILE *fp, const struct intake_options *opt, intake_fn fn,
		void *data, struct intake_stats *st);

/* Parses "csv" or "opendsr"; -1 for anything else. */
int intake_format_parse(const char *s);

/*
 * Validators, exposed for tests and for rows upstream systems INSERT. Each
 * returns NULL when s is valid, else the reason (a static string).
 */
const char *intake_check_email(const char *normalized);
const char *intake_check_device_id(const char *s);
const char *intake_check_request_id(const char *s);
/* Printable UTF-8 text of at most max bytes (product, source, reasons). */
const char *intake_check_text(const char *s, size_t max);
/*
 * An operator's reason (hold, release, extend): non-empty printable text
 * of at most 500 bytes without an email address (it goes to the ledger).
 */
const char *intake_check_reason(const char *s);

/*
 * Parses an ISO 8601 date ("2026-11-01", that day at 00:00:00Z) or
 * date-time ("2026-11-01T10:00[:00[.123]][Z|+01:00]"; a space may replace
 * the T; no zone means UTC). Returns 0, or -1 without a message.
 */
int intake_parse_time(const char *s, time_t *out);
/* Formats t as "YYYY-MM-DDTHH:MM:SSZ". */
void intake_format_time(time_t t, char out[21]);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
long intake_days_from_civil(int y, int m, int d);
void intake_civil_from_days(long days, int *y, int *m, int *d);

#endif

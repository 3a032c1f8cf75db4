#ifndef ERASECTL_INTAKE_H
#define ERASECTL_INTAKE_H
/*
 * intake: how requests enter the queue, and the one request validator
 * every entry uses.
 *
 * intake_read turns a CSV file (libcsv, streamed) or OpenDSR JSON into
 * validated requests, one callback per request, so that 100,000 rows never
 * sit in memory at once. Bad rows are reported as "NAME:LINE: reason",
 * where LINE is the physical line on which the record (or JSON object)
 * starts. Reasons never contain an email address.
 *
 * intake_validate (validate.c) is the only definition of a valid request,
 * used by enqueue (CSV, OpenDSR), erase, and rows upstream systems INSERT
 * (intake_upstream): an identity (email: trimmed, lower-cased, plausible;
 * or customer: a Particle username given exactly) or a device id (24 hex
 * digits, lower-cased); request_id printable ASCII, at most 128 bytes,
 * without '@' (it is stored in the ledger), generated (UUID v4) when empty;
 * received_at ISO 8601, normalized to "YYYY-MM-DDTHH:MM:SSZ", not in the
 * future (a day of slack for clocks and time zones); product one of
 * [products] ids; product and source printable UTF-8 without an email.
 */
#include <stdio.h>
#include <time.h>

#include <sqlite3.h>

#include "buf.h"
#include "digest.h"
#include "queue.h"

/* No field may be longer; checked while parsing, before buffering more. */
#define INTAKE_FIELD_MAX (64 * 1024)
/* An OpenDSR document is read whole; larger ones are refused. */
#define INTAKE_JSON_MAX (256L * 1024 * 1024)

enum intake_format { INTAKE_CSV, INTAKE_OPENDSR };

/* What a valid request must satisfy beyond its own fields. */
struct intake_rules {
	const struct hmac_key *key;	/* fills subject_ref */
	time_t now;			/* default received_at; no later */
	const struct strvec *products;	/* [products] ids (empty: any) */
	enum queue_status initial;	/* where a valid request starts */
};

/*
 * The rules of cfg: its products, now, and the state new requests start
 * in: awaiting_approval when [policy] approval = required, else pending.
 */
struct config;
void intake_rules_init(struct intake_rules *rules, const struct hmac_key *key,
		       const struct config *cfg);

/*
 * Validates and normalizes r in place; r holds the values as given (each
 * trimmed, NULL when absent or empty). Fills subject_ref and, when r has
 * no request id, a new one (*generated_id = 1). Returns 0, or -1 with the
 * reason in why (no personal data in it).
 */
int intake_validate(struct queue_request *r, const struct intake_rules *rules,
		    int *generated_id, struct buf *why);

struct intake_options {
	enum intake_format format;
	const char *name;		/* for messages: path or "<stdin>" */
	const struct intake_rules *rules;
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
 * Records the rows upstream systems INSERTed into erasure_queue (rows
 * without an "enqueued" ledger entry): each is validated by
 * intake_validate and gets its "enqueued" entry (detail "upstream"); a
 * valid pending row moves to rules->initial (pending, or
 * awaiting_approval); an
 * invalid row, or one inserted in any other state, becomes rejected with
 * the reason (ledger "rejected") and loses its plaintext subject. Runs in
 * the caller's transaction if one is open, else in its own. Returns the
 * number of rows recorded, or -1.
 */
int intake_upstream(sqlite3 *db, const struct intake_rules *rules);

/*
 * The subject a Particle username stands for: an email-shaped one is an
 * email subject (normalized, so that its subject_ref is the email's and
 * lookup --email finds it), any other a customer named exactly. Sets one
 * of *email and *customer (the caller frees it), the other to NULL.
 */
void intake_subject_of_username(const char *username, char **email,
				char **customer);

/*
 * Field validators, for tests and for free text outside requests. Each
 * returns NULL when s is valid, else the reason (a static string).
 */
const char *intake_check_email(const char *normalized);
const char *intake_check_customer(const char *s);
const char *intake_check_device_id(const char *s);
const char *intake_check_request_id(const char *s);
/*
 * Printable UTF-8 text of at most max bytes that holds no email address
 * (product, source: they are shown in reports).
 */
const char *intake_check_text(const char *s, size_t max);
/*
 * An operator's reason (hold, release, extend, approve, deny): non-empty
 * printable text of at most 500 bytes without an email address (it goes
 * to the ledger).
 */
const char *intake_check_reason(const char *s);

#endif

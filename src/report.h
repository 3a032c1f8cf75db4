#ifndef ERASECTL_REPORT_H
#define ERASECTL_REPORT_H
/*
 * report: the auditor's exports. A compliance report over a period (JSON,
 * CSV, Markdown, self-contained HTML) and a per-request receipt
 * (certificate of erasure), both built from the queue and the ledger
 * entries the engine writes (conventions in ledger.h). Neither ever
 * contains an email: subjects appear only as subject_ref, and free text
 * (reasons, request ids from upstream systems) passes through log_redact.
 *
 * Definitions an auditor needs (also in the HTML/Markdown output):
 * - deadline: queue_deadline() of received_at, deadline_days and the
 *   extension months (one calendar month by default, GDPR Art. 12(3));
 * - done within deadline: completed (UTC date) on or before the deadline;
 * - overdue: done after the deadline, or still open (pending, running,
 *   failed) on a day after the deadline, as of the generation time. Held
 *   requests (Art. 17(3) legal hold, a documented decision) and rejected
 *   ones are not counted as overdue;
 * - days to completion: julianday(completed_at) - julianday(received_at);
 *   the median averages the two middle values, the 95th percentile is the
 *   nearest rank;
 * - devices released: distinct devices with an unclaim or remove result
 *   of ok or already_absent; customer deleted: a delete_customer result of
 *   ok or already_absent; verified: the request's last attempt (entries
 *   after its last "failed" event) has verify entries and all are "ok".
 */
#include <stdint.h>
#include <time.h>
#include <sqlite3.h>

#include "buf.h"
#include "digest.h"

/* 1 when s is exactly a valid YYYY-MM-DD calendar date. */
int report_date_valid(const char *s);

struct report_options {
	const char *from;	/* YYYY-MM-DD, inclusive, or NULL */
	const char *to;		/* YYYY-MM-DD, inclusive, or NULL */
	long deadline_days;	/* [policy] deadline_days; 0: calendar month */
	time_t now;		/* generation time */
};

struct report_request {
	char *request_id;
	char *subject_ref;
	char *received_at;
	char deadline[11];
	char *completed_at;
	char *status;
	char *outcome;		/* erased | not_found | NULL */
	long devices_released;
	int customer_deleted;
	int verified;
	int64_t first_seq, last_seq;	/* 0 when the ledger has none */
	int extension_months;
	char *extension_reason;
	int done, overdue, within_deadline;
	double days;		/* to completion, or open so far */
};

struct report_action {
	char *action;
	char *outcome;
	long count;
};

struct report_checkpoint {
	int present;
	int64_t id, entries;
	int is_signed;
	char *created_at, *root, *head, *file;
};

struct report {
	char generated_at[21];	/* 2026-11-25T17:38:03Z */
	char today[11];
	char *from, *to;
	long deadline_days;

	long received, done, erased, not_found, failed, pending, running,
	     held, rejected, overdue, done_within_deadline;
	int have_days;
	double median_days, p95_days;

	struct report_action *actions;
	size_t nactions;
	struct report_request *requests;
	size_t nrequests;

	int64_t ledger_entries;
	char ledger_head[SHA256_HEX_LEN + 1];
	int ledger_verified;
	int64_t ledger_bad_seq;
	char *ledger_reason;
	struct report_checkpoint checkpoint;
};

void report_init(struct report *r);
void report_release(struct report *r);

/*
 * Builds the report (aggregating the ledger in SQL, one pass) and runs
 * ledger_verify. Returns 0, or -1 after a database error; a ledger that
 * does not verify is reported in r, not an error here.
 */
int report_build(sqlite3 *db, const struct report_options *opt,
		 struct report *r);

void report_json(const struct report *r, struct buf *out);
void report_csv(const struct report *r, struct buf *out);
void report_markdown(const struct report *r, struct buf *out);
void report_html(const struct report *r, struct buf *out);

/*
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote, CR or LF;
 * a cell starting with =, +, -, @, tab or CR gets a leading ' and quotes,
 * so spreadsheets do not run it as a formula.
 */
void report_csv_cell(struct buf *out, const char *s);
/* HTML text/attribute escaping (& < > " '); invalid UTF-8 becomes U+FFFD. */
void report_html_escape(struct buf *out, const char *s);
/* A JSON string literal with quotes; invalid UTF-8 becomes U+FFFD. */
void report_json_string(struct buf *out, const char *s);

/* One ledger entry of a receipt, with its hash recomputed. */
struct receipt_entry {
	int64_t seq;
	int status;
	int hash_ok;		/* stored hash == recomputed hash */
	char *ts, *event, *target_kind, *target_id, *method, *path,
	     *body_sha256, *detail, *operator_name, *prev_hash, *hash;
};

struct receipt {
	char generated_at[21];
	char *request_id, *subject_ref, *status, *outcome, *received_at,
	     *completed_at, *extension_reason;
	int extension_months;
	char deadline[11];
	struct receipt_entry *entries;
	size_t nentries;
	int entries_ok;		/* every entry's hash recomputes */
	int64_t ledger_entries;
	char ledger_head[SHA256_HEX_LEN + 1];
	int ledger_verified;
	int64_t ledger_bad_seq;
	struct report_checkpoint checkpoint;	/* latest covering last seq */
	/* Set by the caller: shown in the output, never stored. */
	const char *email;	/* checked against subject_ref, or NULL */
	const char *db_path;	/* for the verification commands shown */
};

void receipt_init(struct receipt *rc);
void receipt_release(struct receipt *rc);
/*
 * Loads request_id, its ledger entries (hashes recomputed) and the latest
 * checkpoint covering them, and verifies the whole chain. Returns 0, 1
 * when there is no such request (no message), -1 on a database error.
 */
int receipt_build(sqlite3 *db, const char *request_id, long deadline_days,
		  time_t now, struct receipt *rc);
void receipt_json(const struct receipt *rc, struct buf *out);
void receipt_text(const struct receipt *rc, struct buf *out);

#endif

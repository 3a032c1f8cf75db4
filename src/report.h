#ifndef ERASECTL_REPORT_H
#define ERASECTL_REPORT_H
/*
 * report: the auditor's compliance report over a period, as a model
 * (report.c: one pass of SQL over the queue and the ledger) and its
 * writers: JSON (report_json.c, built with cJSON), CSV and Markdown
 * (report_text.c), one self-contained HTML page (report_html.c). No
 * output ever contains an email: subjects appear only as subject_ref, and
 * free text (reasons, request ids from upstream systems) is scrubbed when
 * it is read (db_column_redacted) and escaped for each format.
 *
 * Definitions an auditor needs (also in the HTML/Markdown output):
 * - deadline and overdue: civil.h, the one definition every output uses;
 * - days to completion: julianday(completed_at) - julianday(received_at);
 *   the median averages the two middle values, the 95th percentile is the
 *   nearest rank;
 * - overdue waiting: a request that passed its deadline while it awaited
 *   approval (still awaiting, or approved after the deadline day);
 * - coverage: a done request's "coverage" entries (coverage.h); a
 *   residual store is one erasectl could not erase;
 * - devices released: distinct devices with an unclaim or remove result
 *   that finished (ledger_result_released); customer deleted: a
 *   delete_customer result that finished; verified: the request's last
 *   attempt (evidence.h) has verify entries, all "ok" or "residual".
 */
#include <stdint.h>
#include <time.h>
#include <sqlite3.h>

#include "buf.h"
#include "checkpoint.h"
#include "store.h"
#include "digest.h"

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
	char *outcome;		/* erased[_with_residue] | not_found | NULL */
	long devices_released;
	int customer_deleted;
	int verified;
	int64_t first_seq, last_seq;	/* 0 when the ledger has none */
	int extension_months;
	char *extension_reason;
	int done, overdue, within_deadline;
	int have_days;
	double days;		/* to completion, or open so far */
	int agrees;		/* the queue row tells the ledger's story */
	char *disagreement;	/* how it does not */
	/* Of a done request: enum store_result per store, -1 none. */
	signed char coverage[STORE_N];
	int residual;		/* stores left */
	/* OS users from the ledger, or NULL; approved_at a time. */
	char *enqueued_by, *approved_by, *approved_at;
	int overdue_waiting;	/* past its deadline awaiting approval */
	long reappeared;	/* sweep findings of its subject after it */
};

struct report_action {
	char *action;
	char *outcome;
	long count;
};

struct report {
	char generated_at[21];	/* 2026-11-25T17:38:03Z */
	char today[11];
	char *from, *to;
	long deadline_days;

	long received, done, erased, erased_with_residue, not_found, failed,
	     pending, running, held, rejected, awaiting, overdue,
	     done_within_deadline;
	/* Done requests by store and coverage result. */
	long coverage[STORE_N][COV_N];
	long with_residual;	/* done requests with a store left */
	long overdue_waiting;	/* passed their deadline awaiting approval */
	long reappeared;	/* erased requests whose subject came back */
	long disagreements;	/* requests whose queue row the ledger denies */
	int have_days;
	double median_days, p95_days;

	struct report_action *actions;
	size_t nactions, aactions;
	struct report_request *requests;
	size_t nrequests, arequests;

	int64_t ledger_entries;
	char ledger_head[SHA256_HEX_LEN + 1];
	int ledger_verified;
	int64_t ledger_bad_seq;
	char *ledger_reason;
	size_t checkpoints_bad;	/* checkpoint rows that do not match */
	struct checkpoint_row checkpoint;	/* latest matching */
};

void report_init(struct report *r);
void report_release(struct report *r);

/*
 * Builds the report (aggregating the ledger in SQL, one pass) and verifies
 * the ledger. Returns 0, or -1 after a database error; a ledger that does
 * not verify is reported in r, not an error here.
 */
int report_build(sqlite3 *db, const struct report_options *opt,
		 struct report *r);

/* The deadline policy in words ("one calendar month from receipt ..."). */
void report_deadline_policy(long deadline_days, struct buf *out);
/* The colour class of a request in charts and pills. */
enum report_category {
	CAT_ERASED, CAT_NOT_FOUND, CAT_OPEN, CAT_FAILED, CAT_HELD,
	CAT_REJECTED, NCAT
};
enum report_category report_request_category(const struct report_request *q);
extern const char *const report_category_name[NCAT];

/* The writers; each returns 0, or -1 after an error (out of memory). */
int report_json(const struct report *r, struct buf *out);
int report_csv(const struct report *r, struct buf *out);
int report_markdown(const struct report *r, struct buf *out);
int report_html(const struct report *r, struct buf *out);

#endif

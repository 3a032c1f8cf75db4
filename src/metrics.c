#include "metrics.h"

#include <stdio.h>
#include <string.h>

#include "civil.h"
#include "db.h"
#include "log.h"
#include "queue.h"
#include "report.h"
#include "banned.h"

#define NOW_MS_SQL "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

int metrics_run_begin(sqlite3 *db, const char *kind, int64_t *id)
{
	sqlite3_stmt *st;
	int ret;

	if (db_prepare(db, &st, "INSERT INTO runs (kind, started_at) VALUES "
		       "(?1, " NOW_MS_SQL ")"))
		return -1;
	db_bind_text(st, 1, kind);
	ret = db_step(db, st);
	sqlite3_finalize(st);
	*id = ret ? 0 : sqlite3_last_insert_rowid(db);
	return ret;
}

int metrics_run_end(sqlite3 *db, int64_t id, const struct run_record *r)
{
	sqlite3_stmt *st;
	int ret;

	if (db_prepare(db, &st, "UPDATE runs SET finished_at = " NOW_MS_SQL
		       ", exit_code = ?2, requests = ?3, erased = ?4, "
		       "not_found = ?5, failed = ?6, api_calls = ?7, "
		       "api_failures = ?8, findings = ?9 WHERE id = ?1"))
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, r->exit_code);
	sqlite3_bind_int64(st, 3, r->requests);
	sqlite3_bind_int64(st, 4, r->erased);
	sqlite3_bind_int64(st, 5, r->not_found);
	sqlite3_bind_int64(st, 6, r->failed);
	sqlite3_bind_int64(st, 7, r->api_calls);
	sqlite3_bind_int64(st, 8, r->api_failures);
	if (r->findings >= 0)
		sqlite3_bind_int64(st, 9, r->findings);
	ret = db_step(db, st);
	sqlite3_finalize(st);
	return ret;
}

/* "# HELP" and "# TYPE" lines of a metric. */
static void family(struct buf *out, const char *name, const char *type,
		   const char *help)
{
	buf_addf(out, "# HELP erasectl_%s %s\n# TYPE erasectl_%s %s\n", name,
		 help, name, type);
}

static void sample(struct buf *out, const char *name, const char *labels,
		   double v)
{
	buf_addf(out, "erasectl_%s%s%s%s %.17g\n", name, labels ? "{" : "",
		 labels ? labels : "", labels ? "}" : "", v);
}

/* Seconds since the epoch of an ISO 8601 time, or -1. */
static double epoch(const char *s)
{
	time_t t;

	return s && !civil_parse_time(s, &t) ? (double)t : -1;
}

static void request_metrics(const struct report *r, time_t now,
			    struct buf *out)
{
	static const char *const states[] = {
		"awaiting_approval", "pending", "running", "failed", "held",
		"done", "rejected",
	};
	long open_overdue = 0, done_late = 0, open = 0;
	double oldest = 0;
	struct buf label = BUF_INIT;
	size_t i, k;

	family(out, "requests", "gauge", "Requests by status, as the ledger "
	       "proves it.");
	for (k = 0; k < ARRAY_SIZE(states); k++) {
		long n = 0;

		for (i = 0; i < r->nrequests; i++)
			n += !strcmp(r->requests[i].status, states[k]);
		buf_reset(&label);
		buf_addf(&label, "status=\"%s\"", states[k]);
		sample(out, "requests", label.buf, (double)n);
	}
	for (i = 0; i < r->nrequests; i++) {
		const struct report_request *q = &r->requests[i];
		int s = queue_status_parse(q->status);
		double t = epoch(q->received_at);

		if (q->overdue && q->done)
			done_late++;
		if (s < 0 || queue_status_clock((enum queue_status)s) !=
		    CLOCK_RUNS)
			continue;
		open++;
		open_overdue += q->overdue;
		if (t >= 0 && (double)now - t > oldest)
			oldest = (double)now - t;
	}
	family(out, "requests_done", "gauge", "Finished requests by outcome.");
	sample(out, "requests_done", "outcome=\"erased\"", (double)r->erased);
	sample(out, "requests_done", "outcome=\"erased_with_residue\"",
	       (double)r->erased_with_residue);
	sample(out, "requests_done", "outcome=\"not_found\"",
	       (double)r->not_found);
	family(out, "requests_with_residual_stores", "gauge", "Done requests "
	       "that left a store erasectl could not erase.");
	sample(out, "requests_with_residual_stores", NULL,
	       (double)r->with_residual);
	family(out, "requests_overdue", "gauge", "Open requests past their "
	       "deadline (state=\"open\") and requests done after it.");
	sample(out, "requests_overdue", "state=\"open\"", (double)open_overdue);
	sample(out, "requests_overdue", "state=\"done_late\"",
	       (double)done_late);
	family(out, "oldest_open_request_age_seconds", "gauge", "Age of the "
	       "oldest open request since it was received (0: none open).");
	sample(out, "oldest_open_request_age_seconds", NULL,
	       open ? oldest : 0);
	family(out, "queue_ledger_disagreements", "gauge", "Queue rows the "
	       "ledger does not bear out (changed outside erasectl).");
	sample(out, "queue_ledger_disagreements", NULL,
	       (double)r->disagreements);
	buf_release(&label);
}

static void ledger_metrics(const struct report *r, time_t now,
			   struct buf *out)
{
	double cp = r->checkpoint.present ? epoch(r->checkpoint.created_at) :
		-1;

	family(out, "ledger_entries", "gauge", "Entries in the ledger.");
	sample(out, "ledger_entries", NULL, (double)r->ledger_entries);
	family(out, "ledger_verified", "gauge", "1 when the ledger's hash "
	       "chain verified now, else 0.");
	sample(out, "ledger_verified", NULL, r->ledger_verified);
	family(out, "checkpoints_not_matching", "gauge", "Checkpoint rows "
	       "that do not match the ledger.");
	sample(out, "checkpoints_not_matching", NULL,
	       (double)r->checkpoints_bad);
	if (cp < 0)
		return;
	family(out, "last_checkpoint_timestamp_seconds", "gauge", "When the "
	       "latest checkpoint that matches the ledger was written.");
	sample(out, "last_checkpoint_timestamp_seconds", NULL, cp);
	family(out, "seconds_since_last_checkpoint", "gauge", "Seconds since "
	       "that checkpoint.");
	sample(out, "seconds_since_last_checkpoint", NULL, (double)now - cp);
}

/* The latest finished row of kind (and exit 0 when ok), into st. */
static int last_run(sqlite3 *db, const char *kind, int ok,
		    sqlite3_stmt **st)
{
	if (db_prepare(db, st, "SELECT finished_at, (julianday(finished_at) - "
		       "julianday(started_at)) * 86400, exit_code, api_calls, "
		       "api_failures, findings FROM runs WHERE kind = ?1 AND "
		       "finished_at IS NOT NULL AND (?2 = 0 OR exit_code = 0) "
		       "ORDER BY id DESC LIMIT 1"))
		return -1;
	db_bind_text(*st, 1, kind);
	sqlite3_bind_int(*st, 2, ok);
	return 0;
}

static int run_metrics(sqlite3 *db, struct buf *out)
{
	sqlite3_stmt *st;
	int rc;

	if (last_run(db, "run", 1, &st))
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		family(out, "last_success_timestamp_seconds", "gauge", "When "
		       "the last run that exited 0 finished.");
		sample(out, "last_success_timestamp_seconds", NULL,
		       epoch((const char *)sqlite3_column_text(st, 0)));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db);
	if (last_run(db, "run", 0, &st))
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		family(out, "last_run_timestamp_seconds", "gauge", "When the "
		       "last run finished.");
		sample(out, "last_run_timestamp_seconds", NULL,
		       epoch((const char *)sqlite3_column_text(st, 0)));
		family(out, "last_run_duration_seconds", "gauge", "How long "
		       "the last run took.");
		sample(out, "last_run_duration_seconds", NULL,
		       sqlite3_column_double(st, 1));
		family(out, "last_run_exit_code", "gauge", "The last run's exit "
		       "status (erasectl(1), EXIT STATUS).");
		sample(out, "last_run_exit_code", NULL,
		       sqlite3_column_int(st, 2));
		family(out, "last_run_api_calls", "gauge", "HTTP attempts the "
		       "last run made.");
		sample(out, "last_run_api_calls", NULL,
		       sqlite3_column_double(st, 3));
		family(out, "last_run_api_failures", "gauge", "API calls of the "
		       "last run that ended in an error.");
		sample(out, "last_run_api_failures", NULL,
		       sqlite3_column_double(st, 4));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db);
	if (last_run(db, "sweep", 0, &st))
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 5) != SQLITE_NULL) {
		family(out, "sweep_reappeared", "gauge", "Erased subjects the "
		       "last sweep found again as customers or device owners.");
		sample(out, "sweep_reappeared", NULL,
		       sqlite3_column_double(st, 5));
		family(out, "last_sweep_timestamp_seconds", "gauge", "When the "
		       "last sweep finished.");
		sample(out, "last_sweep_timestamp_seconds", NULL,
		       epoch((const char *)sqlite3_column_text(st, 0)));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db);
	return 0;
}

int metrics_text(sqlite3 *db, long deadline_days, time_t now,
		 struct buf *out)
{
	struct report_options opt = { NULL, NULL, deadline_days, now };
	struct report r;
	int ret = -1;

	report_init(&r);
	if (report_build(db, &opt, &r))
		goto out;
	request_metrics(&r, now, out);
	ledger_metrics(&r, now, out);
	if (run_metrics(db, out))
		goto out;
	buf_adds(out, "# EOF\n");
	ret = 0;
out:
	report_release(&r);
	return ret;
}

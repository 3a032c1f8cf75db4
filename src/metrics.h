#ifndef ERASECTL_METRICS_H
#define ERASECTL_METRICS_H
/*
 * metrics: the runs table (when each run, erase and sweep started and
 * ended, how, with how many API calls) and the monitoring text built from
 * it and from the report's evidence-derived counts: Prometheus text
 * exposition format (also valid OpenMetrics, ending in "# EOF"), every
 * metric named erasectl_*, for node_exporter's textfile collector.
 */
#include <stdint.h>
#include <time.h>

#include <sqlite3.h>

#include "buf.h"

/* One finished run, erase or sweep, for the runs table. */
struct run_record {
	const char *kind;	/* run | erase | sweep */
	int exit_code;
	long requests, erased, not_found, failed;
	long api_calls, api_failures;
	long findings;		/* sweep: subjects found again; else -1 */
};

/* Records that a run started; *id names its row. Returns 0 or -1. */
int metrics_run_begin(sqlite3 *db, const char *kind, int64_t *id);
/* Records how it ended. Returns 0 or -1. */
int metrics_run_end(sqlite3 *db, int64_t id, const struct run_record *r);

/*
 * Appends the metrics text, as of now, to out. deadline_days is the
 * configured policy. Returns 0, or -1 after an error.
 */
int metrics_text(sqlite3 *db, long deadline_days, time_t now,
		 struct buf *out);

#endif

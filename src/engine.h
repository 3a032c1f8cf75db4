#ifndef ERASECTL_ENGINE_H
#define ERASECTL_ENGINE_H
/*
 * engine: carries out erasure requests for `run` and `erase` (DESIGN.md
 * "Erasure, per subject, in this order"), from the queue to the ledger:
 *
 *   claim (queue) -> discover (fleet) -> per window of requests:
 *   plan (plan) -> record the plans -> act and verify (execute) ->
 *   record each request's end (done or failed, ledger and queue together)
 *
 * One run: claim the requests (one UPDATE marks them running; none is
 * loaded), build the fleet index once, then go through the claimed
 * requests in windows of bounded size (2000; ERASECTL_WINDOW overrides),
 * so memory stays bounded whatever the queue's length. Each window's plans
 * are committed to the ledger before its first destructive call; its
 * requests end done or failed before the next window is loaded. A run
 * stopped by 401/403 or an unreachable API fails the requests of later
 * windows without trying them, so that none stays running.
 *
 * The caller holds the run lock (db_lock) unless it is a dry run. The
 * engine prints nothing but diagnostics and, with --log-format json, one
 * request_done event per request; the command prints the result.
 */
#include <stddef.h>

#include <sqlite3.h>

#include "api.h"
#include "config.h"
#include "plan.h"
#include "queue.h"

/* What `erase` is asked to confirm: counts only, no personal data. */
struct engine_preview {
	size_t customers;	/* products in which the customer exists */
	size_t devices;		/* devices owned by the subject */
	size_t actions;		/* destructive calls planned */
};

/*
 * Called for `erase` after discovery and planning, before anything is
 * written. Returns 1 to go ahead, 0 to stop (nothing queued), -1 after an
 * error.
 */
typedef int (*engine_confirm_fn)(const struct engine_preview *p, void *ctx);
/* Called with each request's plan in a dry run. */
typedef void (*engine_plan_fn)(const struct job *j, void *ctx);

struct engine_opts {
	long limit;		/* requests to claim; 0: all */
	long concurrency;	/* calls in flight; 0: [api] concurrency */
	int dry_run;		/* only GETs; show the plan; write nothing */
	/*
	 * erase: this one request (request_id, the subject, received_at,
	 * source filled and validated; subject_ref is filled by the engine),
	 * queued with an "enqueued" ledger entry once confirm says yes.
	 */
	struct queue_request *single;
	const struct hmac_key *key;	/* loaded by the command (cmd_load_key) */
	engine_confirm_fn confirm;
	void *confirm_ctx;
	engine_plan_fn show_plan;
	void *plan_ctx;
};

enum engine_status {
	ENGINE_OK,		/* ran; see the counts for failed requests */
	ENGINE_CONFIG,		/* configuration or usage error */
	ENGINE_DB,		/* database error (db_busy() tells busy) */
	ENGINE_AUTH,		/* 401/403: the run stopped */
	ENGINE_UNREACHABLE,	/* API unreachable or TLS failed */
	ENGINE_API_FAILED,	/* the checks before the run failed (5xx,
				 * bad answers): nothing was claimed */
	ENGINE_NOT_DONE,	/* erase: not confirmed, or it cannot plan */
	ENGINE_AWAITING,	/* erase: queued; it awaits approval */
};

/* The status that ends a run (or sweep) the API answered res to. */
enum engine_status engine_status_of_api(enum api_result res);

struct engine_result {
	enum engine_status status;
	long total;		/* requests of the run (dry run: seen) */
	size_t erased, not_found, failed;
	long held_skipped;	/* not claimed: their subject is on hold */
	size_t actions;		/* destructive calls planned */
	long api_calls;		/* HTTP attempts */
	long api_failures;	/* calls that ended in an error */
	int discovery_failed;	/* nothing could be planned */
	/* erase: the request was already done; its outcome (owned). */
	char *already_done;
};

void engine_result_init(struct engine_result *r);
void engine_result_release(struct engine_result *r);

/* Runs the engine; res says how it went. Returns 0, or -1 when it failed. */
int engine_run(const struct config *cfg, sqlite3 *db,
	       const struct engine_opts *opts, struct engine_result *res);

#endif

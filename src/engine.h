#ifndef ERASECTL_ENGINE_H
#define ERASECTL_ENGINE_H
/*
 * engine: carries out erasure requests (DESIGN.md "Erasure, per subject,
 * in this order") for `run` and `erase`.
 *
 * One run: take the run lock, claim the requests (one UPDATE marks them
 * running; none is loaded), build an index of every configured product's
 * customers and devices (one paged sweep of each list: API calls grow with
 * the fleet's pages, not subjects x fleet), then go through the claimed
 * requests in windows of bounded size (2000; ERASECTL_WINDOW overrides),
 * so memory stays bounded whatever the queue's length. Per window: plan
 * each request from the index and from its ledger history (actions a
 * previous attempt finished are not planned again; actions it planned but
 * did not finish are carried over), commit the window's plans to the
 * ledger, then act: requests advance concurrently through the API client
 * as small state machines (per device in order: clear fields, delete
 * ledger instances, unclaim or remove, SIM action; then the customer
 * delete; then a fresh GET of every device). One fresh customers sweep per
 * product verifies that no customer of the window remains; only then is a
 * request done. Result entries are group-committed (every 50 entries or
 * 100 ms); the window's requests end done or failed before the next window
 * is loaded. A run stopped by 401/403 or an unreachable API fails the
 * requests of later windows without trying them.
 *
 * A request by device id is resolved to the device's owner (its email is
 * stored in the queue row until the request is done, so a retry can go on
 * where it stopped); a device that has no owner, or is in no configured
 * product, is done with outcome not_found.
 */
#include <stddef.h>

#include "commands.h"
#include "queue.h"

/* What `erase` is asked to confirm: counts only, no personal data. */
struct engine_preview {
	size_t customers;	/* products in which the customer exists */
	size_t devices;		/* devices owned by the subject */
	size_t actions;		/* destructive calls planned */
};

/*
 * Called by engine_run for `erase` after discovery and planning, before
 * anything is written. Returns 1 to go ahead, 0 to stop (nothing queued),
 * -1 after an error.
 */
typedef int (*engine_confirm_fn)(const struct engine_preview *p, void *ctx);

struct engine_opts {
	long limit;		/* requests to claim; 0: all */
	long concurrency;	/* calls in flight; 0: [api] concurrency */
	int dry_run;		/* only GETs; print the plan; write nothing */
	/*
	 * erase: this one request (request_id, subject_email or device_id,
	 * received_at, source filled; subject_ref is filled by the engine),
	 * queued with an "enqueued" ledger entry once confirm says yes.
	 */
	struct queue_request *single;
	engine_confirm_fn confirm;
	void *confirm_ctx;
};

/*
 * Runs the engine and returns the exit code of DESIGN.md: 0, 1 (some
 * requests failed), 2 (configuration), 3 (database), 4 (401/403), 5 (run
 * lock held), 6 (API unreachable). Prints the summary line to stdout.
 */
int engine_run(struct app *app, const struct engine_opts *opts);

/*
 * Takes the run lock "<db>.lock" (flock, pid written inside). Returns the
 * descriptor, -1 after an error, or -2 when another live process holds it
 * (after printing its pid).
 */
int engine_lock(const char *db_path);
void engine_unlock(int fd);

#endif

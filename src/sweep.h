#ifndef ERASECTL_SWEEP_H
#define ERASECTL_SWEEP_H
/*
 * sweep: erased people stay erased. Walks every configured product's
 * customers and devices (the same complete walks as discovery), computes
 * each username's subject_ref, and finds the subjects the ledger proves
 * erased (a done request with outcome erased or erased_with_residue) that
 * are customers or device owners again. Each finding is a "reappeared"
 * ledger entry of the erasing request (target customer: the product;
 * device: the device id; no personal data). With requeue, each subject
 * found gets a new request (source "sweep", its "enqueued" entry linked
 * to the erasing request), unless one of theirs is still unfinished.
 */
#include <sqlite3.h>

#include "config.h"
#include "digest.h"
#include "engine.h"

struct sweep_finding {
	char *request_id;	/* the request that erased the subject */
	char subject_ref[SHA256_HEX_LEN + 1];
	char *erased_at;
	const char *kind;	/* "customer" or "device" */
	char *product;
	char *target_id;	/* the product, or the device id */
	char *requeued_as;	/* the new request, or NULL */
};

struct sweep_result {
	enum engine_status status;
	struct sweep_finding *v;
	size_t n, alloc;
	long subjects;		/* erased subjects found again */
	long erased;		/* erased subjects the ledger knows */
	long users, devices;	/* usernames and devices checked */
	long api_calls;
};

void sweep_result_init(struct sweep_result *r);
void sweep_result_release(struct sweep_result *r);

/*
 * Runs the sweep; the result's status says how it ended (ENGINE_OK: it
 * ran; the findings are in r). key is the HMAC key (cmd_load_key).
 */
void sweep_run(const struct config *cfg, sqlite3 *db,
	       const struct hmac_key *key, int requeue,
	       struct sweep_result *r);

#endif

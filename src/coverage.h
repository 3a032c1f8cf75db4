#ifndef ERASECTL_COVERAGE_H
#define ERASECTL_COVERAGE_H
/*
 * coverage: every place in Particle's cloud (and on the device) that ties
 * a subject to their data, and what a finished request did about each:
 * the coverage matrix of DESIGN.md "Additions", and its one derivation.
 *
 * A request's matrix is derived from its own ledger entries (the plans,
 * results and verifications of all its attempts) and the policy, when it
 * finishes, and written back to the ledger as one "coverage" entry per
 * store: target_kind "store", target_id the store's name, detail
 * "<result>: <reason>". Receipts, reports and `residual` read those
 * entries; nothing recomputes them.
 *
 * Results: erased (the call was made and a fresh read, or the API's own
 * documented effect, shows it), not_applicable (nothing there for this
 * subject), skipped_by_policy (erasectl could erase it; the policy says
 * not to), residual (left: no erasure endpoint, or the device did not
 * take the change by the deadline).
 */
#include <sqlite3.h>

#include "buf.h"
#include "config.h"

enum store {
	STORE_CUSTOMER,
	STORE_CREDENTIALS,
	STORE_OWNERSHIP,
	STORE_NAME,
	STORE_NOTES,
	STORE_GROUPS,
	STORE_LEDGERS,
	STORE_CONFIG,
	STORE_ON_DEVICE,
	STORE_SIM,
	STORE_LOCATIONS,
	STORE_VITALS,
	STORE_INTEGRATION_LOGS,
	STORE_LEDGER_HISTORY,
	STORE_N
};

enum coverage_result {
	COV_ERASED,
	COV_NOT_APPLICABLE,
	COV_SKIPPED,
	COV_RESIDUAL,
	COV_N
};

/* The store's name as ledgered ("device_config"), or NULL. */
const char *coverage_store_name(enum store s);
/* The store named s, or -1. */
int coverage_store_parse(const char *s);
const char *coverage_result_name(enum coverage_result r);
int coverage_result_parse(const char *s);

/*
 * The stores without an erasure endpoint, which [policy] residual_stores
 * may name (a product without Tracker keeps no location history), and
 * their default: all of them.
 */
int coverage_residual_kind(enum store s);
#define COVERAGE_RESIDUAL_DEFAULT \
	"location_history, device_vitals, integration_logs, " \
	"ledger_instance_history"

/*
 * What a store that can be left residual holds, its documented retention
 * in days (0: not documented), and what the controller can do about it
 * (for the report's "What erasectl cannot erase" and the residual
 * export); NULL for the stores that are never left.
 */
struct store_doc {
	const char *holds;
	int retention_days;
	const char *action;
	int no_endpoint;	/* no erasure call exists at all */
};
const struct store_doc *coverage_store_doc(enum store s);

/*
 * 1 for the stores the policy asks erasectl to erase through the device
 * (configuration, on-device data) or a SIM release: left residual, they
 * make the outcome erased_with_residue.
 */
int coverage_policy_store(enum store s);

struct coverage {
	enum coverage_result result[STORE_N];
	char *reason[STORE_N];
};

void coverage_init(struct coverage *c);
void coverage_release(struct coverage *c);

/*
 * Derives the matrix of request_id from its ledger entries (flushed ones:
 * call inside the transaction that writes its "done"). Returns 0, or -1
 * on a database error.
 */
int coverage_derive(sqlite3 *db, const struct config *cfg,
		    const char *request_id, struct coverage *c);

/* 1 when a store the policy asked for is residual (see above). */
int coverage_has_residue(const struct coverage *c);

/* The "coverage" entry detail of store s: "<result>: <reason>". */
void coverage_detail(const struct coverage *c, enum store s, struct buf *out);

/*
 * Parses a coverage entry's detail into its result and reason (pointing
 * into detail). Returns 0, or -1 for a detail of another shape.
 */
int coverage_parse_detail(const char *detail, enum coverage_result *r,
			  const char **reason);

#endif

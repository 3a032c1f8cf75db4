#ifndef ERASECTL_COVERAGE_H
#define ERASECTL_COVERAGE_H
/*
 * coverage: what a finished request did about each store (store.h): the
 * coverage matrix of DESIGN.md "Additions", and its one derivation.
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
#include "store.h"

struct coverage {
	enum store_result result[STORE_N];
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
int coverage_parse_detail(const char *detail, enum store_result *r,
			  const char **reason);

#endif

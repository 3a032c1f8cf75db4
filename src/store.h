#ifndef ERASECTL_STORE_H
#define ERASECTL_STORE_H
/*
 * store: the catalogue of places in Particle's cloud (and on the device)
 * that tie a subject to data, and the results a request can have for
 * each (DESIGN.md "Additions": coverage). Names are what the ledger,
 * receipts, reports and [policy] residual_stores use; coverage.h derives
 * a request's results.
 */
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

enum store_result {
	COV_ERASED,
	COV_NOT_APPLICABLE,
	COV_SKIPPED,
	COV_RESIDUAL,
	COV_N
};

/* The store's name as ledgered ("device_config"), or NULL. */
const char *store_name(enum store s);
/* The store named s, or -1. */
int store_parse(const char *s);
const char *store_result_name(enum store_result r);
int store_result_parse(const char *s);

/*
 * The stores without an erasure endpoint, which [policy] residual_stores
 * may name (a product without Tracker keeps no location history), and
 * their default: all of them.
 */
int store_no_endpoint(enum store s);
#define STORE_NO_ENDPOINT_DEFAULT \
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
const struct store_doc *store_doc_of(enum store s);

/*
 * 1 for the stores the policy asks erasectl to erase through the device
 * (configuration, on-device data) or a SIM release: left residual, they
 * make the outcome erased_with_residue.
 */
int store_by_policy(enum store s);

#endif

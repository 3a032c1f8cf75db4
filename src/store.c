#include "store.h"

#include <string.h>

#include "banned.h"

static const char *const store_names[STORE_N] = {
	[STORE_CUSTOMER] = "customer",
	[STORE_CREDENTIALS] = "customer_credentials",
	[STORE_OWNERSHIP] = "device_ownership",
	[STORE_NAME] = "device_name",
	[STORE_NOTES] = "device_notes",
	[STORE_GROUPS] = "device_groups",
	[STORE_LEDGERS] = "device_ledger_instances",
	[STORE_CONFIG] = "device_config",
	[STORE_ON_DEVICE] = "on_device_data",
	[STORE_SIM] = "sim",
	[STORE_LOCATIONS] = "location_history",
	[STORE_VITALS] = "device_vitals",
	[STORE_INTEGRATION_LOGS] = "integration_logs",
	[STORE_LEDGER_HISTORY] = "ledger_instance_history",
};

static const char *const result_names[COV_N] = {
	[COV_ERASED] = "erased",
	[COV_NOT_APPLICABLE] = "not_applicable",
	[COV_SKIPPED] = "skipped_by_policy",
	[COV_RESIDUAL] = "residual",
};

/* Sources: particle-iot/docs generated/api-service.json (README). */
static const struct store_doc docs[STORE_N] = {
	[STORE_CONFIG] = {
		"the device's own configuration, until the device comes "
		"online and takes the reset", 0,
		"the reset stays queued in the cloud: check that the device "
		"connected, or reset it where it is", 0
	},
	[STORE_ON_DEVICE] = {
		"what the device keeps in its flash (credentials, copies of "
		"cloud data)", 0,
		"call the wipe function when the device is online, or have "
		"the device reset by whoever holds it", 0
	},
	[STORE_SIM] = {
		"the SIM's association with the product, while its release "
		"is pending", 0,
		"check the SIM in the console; ask Particle if the release "
		"does not complete", 0
	},
	[STORE_LOCATIONS] = {
		"the device's location history (GetLocations, getLocation; "
		"Tracker)", 0,
		"ask Particle, as your processor, to delete the device's "
		"location history up to window_end", 1
	},
	[STORE_VITALS] = {
		"the device's vitals history (getAllDeviceDiagnostics), "
		"including cell tower identities", 31,
		"expires one month after it was recorded; ask Particle to "
		"delete it sooner if you must", 1
	},
	[STORE_INTEGRATION_LOGS] = {
		"the last 10 requests and responses of each integration "
		"(Get_Integration \"logs\"), which can carry the device's "
		"events", 0,
		"replaced as integrations send new requests; ask Particle, or "
		"re-create the integrations that received the device's events",
		1
	},
	[STORE_LEDGER_HISTORY] = {
		"earlier versions of the deleted device ledger instances "
		"(instance versions: deleting an instance is not documented to "
		"delete them)", 0,
		"ask Particle to delete the versions of the device's "
		"instances", 1
	},
};

const char *store_name(enum store s)
{
	return (unsigned)s < STORE_N ? store_names[s] : NULL;
}

int store_parse(const char *s)
{
	int i;

	for (i = 0; i < STORE_N; i++)
		if (!strcmp(s, store_names[i]))
			return i;
	return -1;
}

const char *store_result_name(enum store_result r)
{
	return (unsigned)r < COV_N ? result_names[r] : NULL;
}

int store_result_parse(const char *s)
{
	int i;

	for (i = 0; i < COV_N; i++)
		if (!strcmp(s, result_names[i]))
			return i;
	return -1;
}

int store_no_endpoint(enum store s)
{
	return (unsigned)s < STORE_N && docs[s].no_endpoint;
}

const struct store_doc *store_doc_of(enum store s)
{
	return (unsigned)s < STORE_N && docs[s].holds ? &docs[s] : NULL;
}

int store_by_policy(enum store s)
{
	return (unsigned)s < STORE_N && docs[s].holds && !docs[s].no_endpoint;
}


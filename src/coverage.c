#include "coverage.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ledger.h"
#include "util.h"
#include "banned.h"

void coverage_init(struct coverage *c)
{
	memset(c, 0, sizeof(*c));
}

void coverage_release(struct coverage *c)
{
	int i;

	for (i = 0; i < STORE_N; i++)
		free(c->reason[i]);
	memset(c, 0, sizeof(*c));
}

static void set(struct coverage *c, enum store s, enum store_result r,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set(struct coverage *c, enum store s, enum store_result r,
		const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(c->reason[s]);
	c->result[s] = r;
	c->reason[s] = buf_detach(&b, NULL);
}

/* What the request's entries show. */
struct facts {
	int device, customer, neutral, sim, config_residual, sim_residual;
	int function_residual;
};

static void gather(struct facts *f, const char *event, const char *kind,
		   const char *detail)
{
	if (!strcmp(event, LEDGER_EV_PLAN)) {
		if (!strcmp(kind, "device"))
			f->device = 1;
		if (!strcmp(kind, "sim"))
			f->sim = 1;
	} else if (!strcmp(event, LEDGER_EV_RESULT)) {
		if (ledger_result_finished(detail, LEDGER_ACT_DELETE_CUSTOMER))
			f->customer = 1;
		if (!strcmp(detail, LEDGER_ACT_CLEAR_FIELDS ":neutral_name"))
			f->neutral = 1;
		if (!strcmp(detail, LEDGER_ACT_CALL_FUNCTION ":residual"))
			f->function_residual = 1;
	} else if (!strcmp(event, LEDGER_EV_VERIFY) &&
		   !strcmp(detail, "residual")) {
		if (!strcmp(kind, "device_config"))
			f->config_residual = 1;
		if (!strcmp(kind, "sim"))
			f->sim_residual = 1;
	}
}

static void device_fields(struct coverage *c, const struct config *cfg,
			  const struct facts *f)
{
	static const struct { enum store s; const char *field; } fields[] = {
		{ STORE_NAME, "name" }, { STORE_NOTES, "notes" },
		{ STORE_GROUPS, "groups" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		enum store s = fields[i].s;

		if (!strvec_contains(&cfg->clear_fields, fields[i].field))
			set(c, s, COV_SKIPPED, "not in [policy] "
			    "clear_device_fields");
		else if (s == STORE_NAME && f->neutral)
			set(c, s, COV_ERASED, "the API refused an empty name: "
			    "set to the neutral erased-<device id> and read "
			    "back");
		else
			set(c, s, COV_ERASED, "cleared and read back empty");
	}
}

static void device_stores(struct coverage *c, const struct config *cfg,
			  const struct facts *f)
{
	device_fields(c, cfg, f);
	set(c, STORE_OWNERSHIP, COV_ERASED, "%s and read back not owned by "
	    "the subject", cfg->device_action == DEVICE_REMOVE ?
	    "removed from the product" : "unclaimed");
	if (!cfg->device_ledgers.n)
		set(c, STORE_LEDGERS, COV_SKIPPED, "no [policy] "
		    "device_ledgers");
	else
		set(c, STORE_LEDGERS, COV_ERASED, "instances deleted and read "
		    "back absent");
	if (!cfg->reset_device_config)
		set(c, STORE_CONFIG, COV_SKIPPED, "[policy] "
		    "reset_device_config = no");
	else if (f->config_residual)
		set(c, STORE_CONFIG, COV_RESIDUAL, "the device stayed offline "
		    "until the deadline: its reset to the product's "
		    "configuration is still pending");
	else
		set(c, STORE_CONFIG, COV_ERASED, "reset to the product's "
		    "configuration and read back");
	if (!cfg->device_function)
		set(c, STORE_ON_DEVICE, COV_SKIPPED, "no [policy] "
		    "device_function: what the device keeps in its flash "
		    "stays there");
	else if (f->function_residual)
		set(c, STORE_ON_DEVICE, COV_RESIDUAL, "the device did not run "
		    "function '%s' by the deadline (offline, or it does not "
		    "expose it)", cfg->device_function);
	else
		set(c, STORE_ON_DEVICE, COV_ERASED, "the device ran function "
		    "'%s' and reported success (the firmware's own report: "
		    "no read can confirm it)", cfg->device_function);
	if (cfg->sim_action == SIM_NONE)
		set(c, STORE_SIM, COV_SKIPPED, "[policy] sim_action = none");
	else if (!f->sim)
		set(c, STORE_SIM, COV_NOT_APPLICABLE, "no device of the "
		    "subject has a SIM");
	else if (f->sim_residual)
		set(c, STORE_SIM, COV_RESIDUAL, "the SIM release was still "
		    "pending at the deadline");
	else
		set(c, STORE_SIM, COV_ERASED, "%s and read back",
		    cfg->sim_action == SIM_RELEASE ? "released" :
		    "deactivated");
}

static void residual_stores(struct coverage *c, const struct config *cfg,
			    const struct facts *f)
{
	static const enum store kinds[] = {
		STORE_LOCATIONS, STORE_VITALS, STORE_INTEGRATION_LOGS,
		STORE_LEDGER_HISTORY,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		enum store s = kinds[i];

		if (!f->device)
			set(c, s, COV_NOT_APPLICABLE, "the subject owned no "
			    "device");
		else if (s == STORE_LEDGER_HISTORY && !cfg->device_ledgers.n)
			set(c, s, COV_NOT_APPLICABLE, "no [policy] "
			    "device_ledgers");
		else if (!strvec_contains(&cfg->residual_stores,
					  store_name(s)))
			set(c, s, COV_NOT_APPLICABLE, "not kept for these "
			    "products ([policy] residual_stores)");
		else
			set(c, s, COV_RESIDUAL, "no erasure endpoint: %s",
			    store_doc_of(s)->holds);
	}
}

int coverage_derive(sqlite3 *db, const struct config *cfg,
		    const char *request_id, struct coverage *c)
{
	sqlite3_stmt *st;
	struct facts f;
	int rc, s;

	memset(&f, 0, sizeof(f));
	st = db_kept(db, DB_STMT_COVERAGE, "SELECT event, target_kind, detail "
		     "FROM ledger WHERE request_id = ?1 AND event IN ('plan', "
		     "'result', 'verify') ORDER BY seq");
	if (!st)
		return -1;
	db_bind_text(st, 1, request_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		gather(&f, str_or((const char *)sqlite3_column_text(st, 0), ""),
		       str_or((const char *)sqlite3_column_text(st, 1), ""),
		       str_or((const char *)sqlite3_column_text(st, 2), ""));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(db);
	if (f.customer) {
		set(c, STORE_CUSTOMER, COV_ERASED, "deleted (deleteCustomer) "
		    "and no longer listed");
		set(c, STORE_CREDENTIALS, COV_ERASED, "access tokens, claim "
		    "codes and activation codes: revoked by the customer "
		    "delete, as documented");
	} else {
		set(c, STORE_CUSTOMER, COV_NOT_APPLICABLE, "no customer record "
		    "in the configured products");
		set(c, STORE_CREDENTIALS, COV_NOT_APPLICABLE, "no customer "
		    "record");
	}
	if (f.device) {
		device_stores(c, cfg, &f);
	} else {
		for (s = STORE_OWNERSHIP; s <= STORE_SIM; s++)
			set(c, (enum store)s, COV_NOT_APPLICABLE, "the subject "
			    "owned no device");
	}
	residual_stores(c, cfg, &f);
	return 0;
}

int coverage_has_residue(const struct coverage *c)
{
	int s;

	for (s = 0; s < STORE_N; s++)
		if (store_by_policy((enum store)s) &&
		    c->result[s] == COV_RESIDUAL)
			return 1;
	return 0;
}

void coverage_detail(const struct coverage *c, enum store s, struct buf *out)
{
	buf_addf(out, "%s: %s", store_result_name(c->result[s]),
		 str_or(c->reason[s], ""));
}

int coverage_parse_detail(const char *detail, enum store_result *r,
			  const char **reason)
{
	const char *colon = detail ? strstr(detail, ": ") : NULL;
	char name[24];
	size_t n;
	int k;

	if (!colon || (n = (size_t)(colon - detail)) >= sizeof(name))
		return -1;
	memcpy(name, detail, n);
	name[n] = '\0';
	if ((k = store_result_parse(name)) < 0)
		return -1;
	*r = (enum store_result)k;
	*reason = colon + 2;
	return 0;
}

/*
 * residual: what done requests left where erasectl cannot erase it, as
 * device ids (or SIM ICCIDs) and time windows to hand to the processor
 * (Particle). Read from the verified ledger alone; never an email.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "civil.h"
#include "coverage.h"
#include "db.h"
#include "escape.h"
#include "evidence.h"
#include "ledger.h"
#include "log.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl residual (REQUEST_ID | --all) [--format csv|json]\n"
	"\n"
	"Lists, for each done request (or REQUEST_ID), the stores it left\n"
	"(coverage result \"residual\": no erasure endpoint, or a device that\n"
	"did not take a change by the deadline) with the device ids or SIM\n"
	"ICCIDs concerned and a time window, for a request to your processor:\n"
	"window_end is when the device left the subject (its release), or the\n"
	"request's completion; window_start is window_end minus the store's\n"
	"documented retention (empty: not documented). Read from the ledger,\n"
	"whose hash chain is verified first; no email is ever printed.\n"
	"\n"
	"  --all            every done request\n"
	"  --format csv     request_id,store,product,target_kind,target_id,\n"
	"                   window_start,window_end,retention_days,what_to_do\n"
	"                   (the default)\n"
	"  --format json    {\"generated_at\", \"rows\": [{the same keys}]}\n"
	"\n"
	"Exit status: 0; 1 REQUEST_ID is not a done request; 2 usage error;\n"
	"3 the ledger does not verify, or a database error.\n";

const struct option cmd_residual_opts[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* A device (or SIM) of a request, from its ledger entries. */
struct target {
	char *kind, *id, *product;
	char end[32];			/* its release, or "" */
	int config_left, function_left, sim_left;
};

struct request_targets {
	struct target *v;
	size_t n, alloc;
	char done_at[32];
};

static void targets_release(struct request_targets *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].kind);
		free(t->v[i].id);
		free(t->v[i].product);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* The product segment of "/v1/products/<p>/...", as the ledger has it. */
static char *product_of(const char *path)
{
	static const char prefix[] = "/v1/products/";
	const char *p, *end;

	if (!path || strncmp(path, prefix, strlen(prefix)))
		return xstrdup("");
	p = path + strlen(prefix);
	end = strchr(p, '/');
	return xstrndup(p, end ? (size_t)(end - p) : strlen(p));
}

static struct target *target_get(struct request_targets *t, const char *kind,
				 const char *id, const char *path)
{
	struct target *x;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].kind, kind) && !strcmp(t->v[i].id, id))
			return &t->v[i];
	ALLOC_GROW(t->v, t->n, t->alloc);
	x = &t->v[t->n++];
	memset(x, 0, sizeof(*x));
	x->kind = xstrdup(kind);
	x->id = xstrdup(id);
	x->product = product_of(path);
	return x;
}

static void target_entry(struct request_targets *t, const char *event,
			 const char *kind, const char *id, const char *path,
			 const char *detail, const char *ts)
{
	struct target *x;

	if (!strcmp(event, LEDGER_EV_DONE)) {
		snprintf(t->done_at, sizeof(t->done_at), "%s", ts);
	} else if (!strcmp(event, LEDGER_EV_PLAN) && !strcmp(kind, "device")) {
		target_get(t, "device", id, path);
	} else if (!strcmp(event, LEDGER_EV_RESULT) &&
		   !strcmp(kind, "device")) {
		x = target_get(t, "device", id, path);
		if (ledger_result_released(detail))
			snprintf(x->end, sizeof(x->end), "%s", ts);
		if (!strcmp(detail, LEDGER_ACT_CALL_FUNCTION ":residual"))
			x->function_left = 1;
	} else if (!strcmp(event, LEDGER_EV_VERIFY) &&
		   !strcmp(detail, "residual")) {
		if (!strcmp(kind, "device_config"))
			target_get(t, "device", id, path)->config_left = 1;
		else if (!strcmp(kind, "sim"))
			target_get(t, "sim", id, path)->sim_left = 1;
	}
}

static int load_targets(sqlite3 *db, const char *request_id,
			struct request_targets *t)
{
	sqlite3_stmt *st;
	int rc;

	if (db_prepare(db, &st, "SELECT event, target_kind, target_id, path, "
		       "detail, ts FROM ledger WHERE request_id = ?1 AND event "
		       "IN ('plan', 'result', 'verify', 'done') ORDER BY seq"))
		return -1;
	db_bind_text(st, 1, request_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *f[6];
		int i;

		for (i = 0; i < 6; i++)
			f[i] = str_or((const char *)sqlite3_column_text(st, i),
				      "");
		target_entry(t, f[0], f[1], f[2], f[3], f[4], f[5]);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(db);
	return 0;
}

/* Whether store s concerns target x of a request that left s. */
static int concerns(enum store s, const struct target *x)
{
	if (s == STORE_SIM)
		return x->sim_left;
	if (!strcmp(x->kind, "device"))
		return s == STORE_CONFIG ? x->config_left :
		       s == STORE_ON_DEVICE ? x->function_left :
		       store_no_endpoint(s);
	return 0;
}

struct out {
	int json;
	cJSON *rows;
	struct buf csv;
	long n;
};

static void emit(struct out *o, const char *request_id, enum store s,
		 const struct target *x, const char *end)
{
	const struct store_doc *d = store_doc_of(s);
	char start[21] = "";
	time_t t;

	if (d->retention_days && !civil_parse_time(end, &t))
		civil_format_time(t - (time_t)d->retention_days * 86400, start);
	o->n++;
	if (o->json) {
		cJSON *r = cJSON_CreateObject();

		json_add_text(r, "request_id", request_id);
		cJSON_AddStringToObject(r, "store", store_name(s));
		json_add_text(r, "product", x->product);
		json_add_text(r, "target_kind", x->kind);
		json_add_text(r, "target_id", x->id);
		json_add_text(r, "window_start", start[0] ? start : NULL);
		json_add_text(r, "window_end", end);
		if (d->retention_days)
			json_add_int(r, "retention_days", d->retention_days);
		else
			cJSON_AddNullToObject(r, "retention_days");
		json_add_text(r, "what_to_do", d->action);
		cJSON_AddItemToArray(o->rows, r);
		return;
	}
	escape_csv_cell(&o->csv, request_id);
	buf_addf(&o->csv, ",%s,", store_name(s));
	escape_csv_cell(&o->csv, x->product);
	buf_addf(&o->csv, ",%s,", x->kind);
	escape_csv_cell(&o->csv, x->id);
	buf_addf(&o->csv, ",%s,", start);
	escape_csv_cell(&o->csv, end);
	buf_addch(&o->csv, ',');
	if (d->retention_days)
		buf_addf(&o->csv, "%d", d->retention_days);
	buf_addch(&o->csv, ',');
	escape_csv_cell(&o->csv, d->action);
	buf_adds(&o->csv, "\r\n");
}

static int export_request(sqlite3 *db, const char *request_id,
			  const struct evidence *ev, struct out *o)
{
	struct request_targets t;
	size_t i;
	int s;

	memset(&t, 0, sizeof(t));
	if (load_targets(db, request_id, &t))
		return -1;
	for (s = 0; s < STORE_N; s++) {
		if (ev->coverage[s] != COV_RESIDUAL)
			continue;
		for (i = 0; i < t.n; i++)
			if (concerns((enum store)s, &t.v[i]))
				emit(o, request_id, (enum store)s, &t.v[i],
				     t.v[i].end[0] ? t.v[i].end : t.done_at);
	}
	targets_release(&t);
	return 0;
}

/* The done requests of the set, in ledger order. */
static int by_first_seq(const void *a, const void *b)
{
	const struct evidence *x = ((const struct map_ent *)a)->val;
	const struct evidence *y = ((const struct map_ent *)b)->val;

	return (x->first_seq > y->first_seq) - (x->first_seq < y->first_seq);
}

static int export_all(sqlite3 *db, const struct evidence_set *evs,
		      struct out *o)
{
	struct map_ent *v = xcalloc(evs->by_id.n + 1, sizeof(*v));
	const char *key;
	void *val;
	size_t i, pos, n = 0;
	int ret = 0;

	for (pos = 0; map_next(&evs->by_id, &pos, &key, &val); pos++) {
		const struct evidence *ev = val;

		if (ev->status == Q_DONE) {
			v[n].key = (char *)key;
			v[n++].val = val;
		}
	}
	qsort(v, n, sizeof(*v), by_first_seq);
	for (i = 0; !ret && i < n; i++)
		ret = export_request(db, v[i].key, v[i].val, o);
	free(v);
	return ret;
}

int cmd_residual(int argc, char **argv, struct app *app)
{
	struct evidence_set evs;
	const struct evidence *ev;
	const char *id = NULL;
	struct out o;
	int c, all = 0, ret;
	char now[21];

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "h", cmd_residual_opts,
				NULL)) != -1) {
		switch (c) {
		case 'a':
			all = 1;
			break;
		case 'f':
			if (strcmp(optarg, "csv") && strcmp(optarg, "json"))
				return cmd_usage_error(usage, "--format must "
						       "be csv or json");
			o.json = !strcmp(optarg, "json");
			break;
		case 'h':
			return cmd_help(usage);
		default:
			return cmd_bad_option(usage, argv, cmd_residual_opts);
		}
	}
	if (optind < argc)
		id = argv[optind];
	if (!all == !id)
		return cmd_usage_error(usage, "give a REQUEST_ID or --all");
	if (cmd_extra_args(usage, argc, argv, id ? 1 : 0))
		return EXIT_USAGE;
	evidence_set_init(&evs);
	ret = evidence_set_read(app->db, &evs, "nothing exported");
	if (ret) {
		ret = ret < 0 ? cmd_db_failed() : EXIT_INTEGRITY;
		goto out;
	}
	o.rows = cJSON_CreateArray();
	if (!o.json)
		buf_adds(&o.csv, "request_id,store,product,target_kind,"
			 "target_id,window_start,window_end,retention_days,"
			 "what_to_do\r\n");
	if (all) {
		if (export_all(app->db, &evs, &o))
			ret = cmd_db_failed();
	} else if (!(ev = evidence_set_get(&evs, id)) ||
		   ev->status != Q_DONE) {
		error("request '%s' is not done (as the ledger shows): nothing "
		      "is residual yet", id);
		ret = EXIT_FAILED;
	} else if (export_request(app->db, id, ev, &o)) {
		ret = cmd_db_failed();
	}
	if (ret)
		goto out;
	if (o.json) {
		cJSON *top = cJSON_CreateObject();

		civil_format_time(time(NULL), now);
		cJSON_AddStringToObject(top, "generated_at", now);
		cJSON_AddItemToObject(top, "rows", o.rows);
		o.rows = NULL;
		json_print(top, 1, &o.csv);
		cJSON_Delete(top);
	}
	if (cmd_write_output(NULL, &o.csv))
		ret = EXIT_USAGE;
out:
	cJSON_Delete(o.rows);
	buf_release(&o.csv);
	evidence_set_release(&evs);
	return ret;
}

/*
 * run: process every pending or failed request (held ones wait) through the
 * erasure engine; see engine.h for how a run goes.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "engine.h"
#include "metrics.h"
#include "log.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl run [--limit N] [--concurrency N] [--dry-run]\n"
	"\n"
	"Processes every pending and failed request (held requests wait):\n"
	"discovers each subject's customers and devices in the configured\n"
	"products, records the plan in the ledger, clears device fields,\n"
	"deletes device ledger instances, unclaims or removes the devices, acts\n"
	"on their SIMs, deletes the customer, and verifies with fresh GETs.\n"
	"A failed request is retried by the next run from where it stopped.\n"
	"\n"
	"  --limit N          claim at most N requests (oldest first)\n"
	"  --concurrency N    API calls in flight (default [api] concurrency)\n"
	"  --dry-run          print the plan; send only GETs; write nothing\n"
	"\n"
	"Only one run or erase at a time per database (a lock on the database\n"
	"file itself). Prints \"processed N: erased N, not found N, failed N;\n"
	"API calls N\"; with --log-format json, one request_done event per\n"
	"request.\n"
	"\n"
	"exit status: 0 all done; 1 some failed (they stay queued), or a dry\n"
	"run that could not plan; 2 usage or configuration error; 3 database\n"
	"error; 4 the API refused the token (run stopped); 5 another run holds\n"
	"the lock, or the database stayed busy; 6 API unreachable.\n";

void cmd_show_plan(const struct job *j, void *ctx)
{
	struct buf out = BUF_INIT;

	(void)ctx;
	plan_describe(j, &out);
	fputs(out.buf, stdout);
	buf_release(&out);
}

int cmd_engine_exit(const struct engine_result *r)
{
	if (r->status == ENGINE_OK)
		return r->failed || r->discovery_failed ? EXIT_FAILED : EXIT_OK;
	return cmd_engine_exit_status(r->status);
}

int cmd_engine_exit_status(enum engine_status s)
{
	switch (s) {
	case ENGINE_OK:
		return EXIT_OK;
	case ENGINE_CONFIG:
		return EXIT_USAGE;
	case ENGINE_DB:
		return cmd_db_failed();
	case ENGINE_AUTH:
		return EXIT_AUTH;
	case ENGINE_UNREACHABLE:
		return EXIT_UNREACHABLE;
	case ENGINE_API_FAILED:
	case ENGINE_NOT_DONE:
	case ENGINE_AWAITING:
		break;
	}
	return EXIT_FAILED;
}

int cmd_engine(struct app *app, const char *kind, struct engine_opts *opts,
	       struct engine_result *res)
{
	struct run_record rec;
	int64_t id = 0;
	int ret;

	if (!opts->dry_run && metrics_run_begin(app->db, kind, &id))
		return cmd_db_failed();
	engine_run(&app->cfg, app->db, opts, res);
	if (res->status == ENGINE_OK || res->status == ENGINE_AUTH ||
	    res->status == ENGINE_UNREACHABLE)
		cmd_engine_summary(opts, res);
	ret = cmd_engine_exit(res);
	if (opts->dry_run)
		return ret;
	memset(&rec, 0, sizeof(rec));
	rec.kind = kind;
	rec.exit_code = ret;
	rec.requests = (long)(res->erased + res->not_found + res->failed);
	rec.erased = (long)res->erased;
	rec.not_found = (long)res->not_found;
	rec.failed = (long)res->failed;
	rec.api_calls = res->api_calls;
	rec.api_failures = res->api_failures;
	rec.findings = -1;
	if (metrics_run_end(app->db, id, &rec) && !ret)
		ret = cmd_db_failed();
	return ret;
}

void cmd_engine_summary(const struct engine_opts *o,
			const struct engine_result *r)
{
	if (o->dry_run)
		printf("dry run: %ld requests, %zu actions planned; API calls "
		       "%ld (GET only)\n", r->total, r->actions, r->api_calls);
	else
		printf("processed %zu: erased %zu, not found %zu, failed %zu; "
		       "API calls %ld\n", r->erased + r->not_found + r->failed,
		       r->erased, r->not_found, r->failed, r->api_calls);
}

const struct option cmd_run_opts[] = {
	{ "limit", required_argument, NULL, 'l' },
	{ "concurrency", required_argument, NULL, 'C' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_run(int argc, char **argv, struct app *app)
{
	struct engine_opts eo = { 0 };
	struct engine_result res;
	struct hmac_key key;
	int c, ret;

	while ((c = getopt_long(argc, argv, "h", cmd_run_opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (cmd_parse_long("--limit", optarg, 1, 100000000L,
					   &eo.limit))
				return EXIT_USAGE;
			break;
		case 'C':
			if (cmd_parse_long("--concurrency", optarg, 1, 256,
					   &eo.concurrency))
				return EXIT_USAGE;
			break;
		case 'n':
			eo.dry_run = 1;
			break;
		case 'h':
			return cmd_help(usage);
		default:
			return cmd_bad_option(usage, argv, cmd_run_opts);
		}
	}
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;
	if (!eo.dry_run && (ret = cmd_lock(app)))
		return ret;
	if ((ret = cmd_load_key(app, &key)))
		return ret;
	eo.key = &key;
	eo.show_plan = cmd_show_plan;
	engine_result_init(&res);
	ret = cmd_engine(app, "run", &eo, &res);
	hmac_key_wipe(&key);
	engine_result_release(&res);
	return ret;
}

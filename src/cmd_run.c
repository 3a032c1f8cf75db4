/*
 * run: process every pending or failed request (held ones wait) through the
 * erasure engine; see engine.h for how a run goes.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>

#include "engine.h"
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
	"Only one run at a time: the lock file is the database path plus\n"
	"\".lock\". Prints \"processed N: erased N, not found N, failed N; API\n"
	"calls N\"; with --log-format json, one request_done event per request.\n"
	"\n"
	"exit status: 0 all done; 1 some failed (they stay queued); 2 usage or\n"
	"configuration error; 3 database error; 4 the API refused the token\n"
	"(run stopped); 5 another run holds the lock; 6 API unreachable.\n";

int cmd_run(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'l' },
		{ "concurrency", required_argument, NULL, 'C' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct engine_opts eo = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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
			return cmd_bad_option(usage, argv, opts);
		}
	}
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;
	return engine_run(app, &eo);
}

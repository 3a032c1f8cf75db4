/*
 * metrics: monitoring figures (metrics.h) as Prometheus/OpenMetrics text,
 * for node_exporter's textfile collector or any scraper.
 */
#include "commands.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl metrics [-o FILE]\n"
	"\n"
	"Prints monitoring figures in the Prometheus text format (valid\n"
	"OpenMetrics, ending in \"# EOF\"): requests by status and outcome as\n"
	"the ledger proves them, overdue requests, the oldest open request's\n"
	"age, queue rows the ledger does not bear out, ledger entries and\n"
	"whether the chain verifies, seconds since the last checkpoint, the\n"
	"last successful run, the last run's duration, exit status, API calls\n"
	"and failures, and what the last sweep found. Every name starts with\n"
	"erasectl_.\n"
	"\n"
	"  -o, --output FILE  write FILE atomically (for node_exporter's\n"
	"                     textfile collector: a .prom file in its\n"
	"                     directory)\n"
	"\n"
	"Exit status: 0; 2 on a usage error or a file that cannot be written;\n"
	"3 on a database error; 5 when the database stayed busy.\n";

const struct option cmd_metrics_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_metrics(int argc, char **argv, struct app *app)
{
	const char *output = NULL;
	struct buf out = BUF_INIT;
	int c, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, "ho:", cmd_metrics_opts,
				NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'h':
			return cmd_help(usage);
		default:
			return cmd_bad_option(usage, argv, cmd_metrics_opts);
		}
	}
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;
	if (metrics_text(app->db, app->cfg.deadline_days, time(NULL), &out)) {
		ret = cmd_db_failed();
	} else if (cmd_write_output(output, &out)) {
		ret = EXIT_USAGE;
	}
	buf_release(&out);
	return ret;
}

/*
 * enqueue: validate a CSV file or OpenDSR JSON and queue its requests in
 * one transaction, each with its "enqueued" ledger entry.
 */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "digest.h"
#include "intake.h"
#include "ledger.h"
#include "log.h"
#include "queue.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl enqueue [--format csv|opendsr] [--skip-invalid] "
	"FILE|-\n"
	"\n"
	"Validates erasure requests and queues them in one transaction.\n"
	"\n"
	"  --format csv        (default) header row required, names\n"
	"                      case-insensitive: request_id, email, device_id,\n"
	"                      received_at, product, source; email or device_id\n"
	"                      must be a column and each row needs one of them\n"
	"  --format opendsr    OpenDSR JSON: one request object, an array of\n"
	"                      them, or {\"requests\": [...]}; only erasure\n"
	"                      requests with one raw email identity\n"
	"  --skip-invalid      queue the valid rows and report the others\n"
	"\n"
	"An empty request_id gets a UUID v4; an empty received_at is now\n"
	"(ISO 8601 date or date-time; no time zone means UTC). A request id\n"
	"already queued for the same subject is counted as a duplicate and\n"
	"left alone; for another subject it is an error. A row without a\n"
	"request_id whose subject already has an unfinished request is a\n"
	"duplicate too (re-importing a file queues nothing twice).\n"
	"\n"
	"Bad rows are reported as FILE:LINE: reason (LINE: where the record\n"
	"starts). Prints \"queued N, duplicates N, skipped N\".\n"
	"\n"
	"exit status: 0 all queued (or duplicates); 1 with --skip-invalid when\n"
	"rows were skipped; 2 usage error, malformed input, or any invalid row\n"
	"without --skip-invalid (then nothing is queued); 3 database error.\n";

/* Rows are written in batches of this many, one short transaction each. */
#define BATCH 10000

struct enqueue_ctx {
	struct queue_stage stage;
	long duplicates;
	int db_failed;
};

static int stage_one(const struct queue_request *r, int generated_id,
		     const char *name, long line, void *data)
{
	struct enqueue_ctx *ctx = data;

	switch (queue_stage_add(&ctx->stage, r, generated_id)) {
	case QUEUE_ADDED:
		return 0;
	case QUEUE_DUPLICATE:
		ctx->duplicates++;
		return 0;
	case QUEUE_CONFLICT:
		error("%s:%ld: request id '%s' is already queued for another "
		      "subject", name, line, r->request_id);
		return 1;
	}
	ctx->db_failed = 1;
	return -1;
}

const struct option cmd_enqueue_opts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "skip-invalid", no_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_enqueue(int argc, char **argv, struct app *app)
{
	struct intake_options io;
	struct intake_rules rules;
	struct intake_stats st = { 0, 0 };
	struct enqueue_ctx ctx;
	struct hmac_key key;
	long queued = 0, late_dups = 0;
	const char *path;
	FILE *fp = NULL;
	int c, rc, fmt = INTAKE_CSV, skip_invalid = 0, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, "h", cmd_enqueue_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cmd_help(usage);
		case 'f':
			fmt = intake_format_parse(optarg);
			if (fmt < 0)
				return cmd_usage_error(usage, "--format must be "
						       "'csv' or 'opendsr', "
						       "not '%s'", optarg);
			break;
		case 's':
			skip_invalid = 1;
			break;
		default:
			return cmd_bad_option(usage, argv, cmd_enqueue_opts);
		}
	}
	if (optind >= argc)
		return cmd_usage_error(usage, "no input given (FILE, or - for "
				       "standard input)");
	if (cmd_extra_args(usage, argc, argv, 1))
		return EXIT_USAGE;
	path = argv[optind];

	if ((ret = cmd_load_key(app, &key)))
		return ret;
	if (!strcmp(path, "-")) {
		fp = stdin;
	} else {
		fp = fopen(path, "rb");
		if (!fp) {
			error("cannot open '%s': %s", path, strerror(errno));
			hmac_key_wipe(&key);
			return EXIT_USAGE;
		}
	}

	memset(&ctx, 0, sizeof(ctx));
	intake_rules_init(&rules, &key, &app->cfg);
	memset(&io, 0, sizeof(io));
	io.format = (enum intake_format)fmt;
	io.name = fp == stdin ? "<stdin>" : path;
	io.rules = &rules;

	/*
	 * Every row is checked (and staged) before any is written, so that a
	 * slow input never holds the write lock. A 24 MiB page cache keeps
	 * the randomly written subject_ref index pages instead of spilling
	 * them to the WAL and reading them back (100,000 rows, measured on
	 * one machine: 6.0 s and 46 MiB peak; 2 MiB: three times slower; 32
	 * MiB: no faster, 56 MiB).
	 */
	if (db_cache_mib(app->db, 24) ||
	    queue_stage_init(&ctx.stage, app->db)) {
		ret = cmd_db_failed();
		goto out;
	}
	ctx.stage.initial = rules.initial;
	if (intake_read(fp, &io, stage_one, &ctx, &st) ||
	    queue_stage_done(&ctx.stage)) {
		ret = ctx.db_failed ? cmd_db_failed() : EXIT_USAGE;
		error("nothing queued from '%s'", io.name);
		goto out;
	}
	if (st.invalid && !skip_invalid) {
		error("%ld invalid row%s in '%s': nothing queued (fix %s, or "
		      "use --skip-invalid to queue the valid rows)", st.invalid,
		      st.invalid == 1 ? "" : "s", io.name,
		      st.invalid == 1 ? "it" : "them");
		ret = EXIT_USAGE;
		goto out;
	}
	rc = queue_stage_commit(&ctx.stage, BATCH, fmt == INTAKE_OPENDSR ?
				"opendsr" : "csv", &queued, &late_dups);
	if (rc) {
		if (queued)
			error("%ld requests from '%s' were queued before that; "
			      "enqueue it again to queue the rest (the queued "
			      "ones count as duplicates)", queued, io.name);
		ret = rc > 0 ? EXIT_USAGE : cmd_db_failed();
		goto out;
	}
	printf("queued %ld, duplicates %ld, skipped %ld\n", queued,
	       ctx.duplicates + late_dups, st.invalid);
	if (st.invalid)
		ret = EXIT_FAILED;
out:
	queue_stage_release(&ctx.stage);
	if (fp && fp != stdin)
		fclose(fp);
	hmac_key_wipe(&key);
	return ret;
}

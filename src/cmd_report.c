/*
 * report: the compliance report for auditors (report.h), over a period of
 * received dates, as JSON (default), CSV, Markdown or one self-contained
 * HTML file.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "civil.h"
#include "log.h"
#include "report.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl report [--from DATE] [--to DATE]\n"
	"                       [--format json|csv|html|md] [-o FILE]\n"
	"\n"
	"Compliance report over the requests received from --from to --to\n"
	"(inclusive, YYYY-MM-DD; default all time): counts by state, overdue\n"
	"requests, days to completion (median, 95th percentile), API actions\n"
	"by kind and outcome, one line per request, and the ledger's integrity\n"
	"(the hash chain is verified while the report is made).\n"
	"\n"
	"  --from DATE      first day received (inclusive)\n"
	"  --to DATE        last day received (inclusive)\n"
	"  --format F       json (default), csv (one row per request; cells\n"
	"                   that a spreadsheet would run as formulas are\n"
	"                   escaped), html (one self-contained file with\n"
	"                   charts, printable to PDF), md (Markdown for tickets)\n"
	"  -o, --output F   write to FILE instead of standard output\n"
	"\n"
	"Subjects appear only as subject_ref; no report contains an email.\n"
	"Exit status: 0; 2 on a usage error or a file that cannot be written;\n"
	"3 when the ledger does not verify (no report is written) or on a\n"
	"database error; 5 when the database stayed busy.\n";

enum report_format { FMT_JSON, FMT_CSV, FMT_HTML, FMT_MD };

const struct option cmd_report_opts[] = {
	{ "from", required_argument, NULL, 'f' },
	{ "to", required_argument, NULL, 't' },
	{ "format", required_argument, NULL, 'F' },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_report(int argc, char **argv, struct app *app)
{
	struct report_options opt = { NULL, NULL, 0, 0 };
	enum report_format fmt = FMT_JSON;
	const char *output = NULL;
	struct report r;
	struct buf out = BUF_INIT;
	int c, ret;

	while ((c = getopt_long(argc, argv, "o:h", cmd_report_opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			opt.from = optarg;
			break;
		case 't':
			opt.to = optarg;
			break;
		case 'F':
			if (!strcmp(optarg, "json"))
				fmt = FMT_JSON;
			else if (!strcmp(optarg, "csv"))
				fmt = FMT_CSV;
			else if (!strcmp(optarg, "html"))
				fmt = FMT_HTML;
			else if (!strcmp(optarg, "md") ||
				 !strcmp(optarg, "markdown"))
				fmt = FMT_MD;
			else
				return cmd_usage_error(usage, "--format must be "
					"json, csv, html or md, not '%s'", optarg);
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			return cmd_help(usage);
		default:
			return cmd_bad_option(usage, argv, cmd_report_opts);
		}
	}
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;
	if (opt.from && !civil_date_valid(opt.from))
		return cmd_usage_error(usage, "--from needs a date YYYY-MM-DD, "
				       "not '%s'", opt.from);
	if (opt.to && !civil_date_valid(opt.to))
		return cmd_usage_error(usage, "--to needs a date YYYY-MM-DD, "
				       "not '%s'", opt.to);
	if (opt.from && opt.to && strcmp(opt.from, opt.to) > 0)
		return cmd_usage_error(usage, "--from %s is after --to %s",
				       opt.from, opt.to);
	opt.deadline_days = app->cfg.deadline_days;
	opt.now = time(NULL);

	report_init(&r);
	if (report_build(app->db, &opt, &r)) {
		ret = cmd_db_failed();
		goto out;
	}
	/*
	 * A report over a ledger that does not verify would be evidence of
	 * nothing: none is written.
	 */
	if (!r.ledger_verified) {
		error("the ledger does not verify (first bad entry: seq %lld: "
		      "%s): no report written; run 'erasectl verify'",
		      (long long)r.ledger_bad_seq, r.ledger_reason ?
		      r.ledger_reason : "mismatch");
		ret = EXIT_INTEGRITY;
		goto out;
	}
	switch (fmt) {
	case FMT_JSON:
		ret = report_json(&r, &out);
		break;
	case FMT_CSV:
		ret = report_csv(&r, &out);
		break;
	case FMT_HTML:
		ret = report_html(&r, &out);
		break;
	case FMT_MD:
		ret = report_markdown(&r, &out);
		break;
	}
	if (ret)
		ret = EXIT_INTEGRITY;
	else
		ret = cmd_write_output(output, &out) ? EXIT_USAGE : EXIT_OK;
	/* The ledger holds: the report stands, and names what does not. */
	if (!ret && (r.disagreements || r.checkpoints_bad)) {
		error("%ld request%s whose queue row the ledger does not bear "
		      "out, %zu checkpoint row%s that do not match the ledger: "
		      "the report says which; run 'erasectl verify'",
		      r.disagreements, r.disagreements == 1 ? "" : "s",
		      r.checkpoints_bad, r.checkpoints_bad == 1 ? "" : "s");
		ret = EXIT_INTEGRITY;
	}
out:
	buf_release(&out);
	report_release(&r);
	return ret;
}

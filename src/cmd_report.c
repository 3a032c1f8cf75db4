/*
 * report: the compliance report for auditors (report.h), over a period of
 * received dates, as JSON (default), CSV, Markdown or one self-contained
 * HTML file.
 */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "report.h"
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
	"Exit status: 0, 2 on a usage or database error, 3 when the ledger\n"
	"does not verify (the report is still written and says so).\n";

enum report_format { FMT_JSON, FMT_CSV, FMT_HTML, FMT_MD };

static int write_output(const char *path, const struct buf *b)
{
	struct buf tmp = BUF_INIT;
	FILE *f;
	int ret = 0;

	if (!path) {
		if (fwrite(b->buf, 1, b->len, stdout) != b->len)
			return error("write failure on standard output: %s",
				     strerror(errno));
		return 0;
	}
	/* Write beside the target and rename: no half-written report. */
	buf_addf(&tmp, "%s.tmp%ld", path, (long)getpid());
	f = fopen(tmp.buf, "w");
	if (!f) {
		ret = error("cannot create '%s': %s", tmp.buf, strerror(errno));
		goto out;
	}
	if (fwrite(b->buf, 1, b->len, f) != b->len || fflush(f) ||
	    fsync(fileno(f))) {
		ret = error("cannot write '%s': %s", tmp.buf, strerror(errno));
		fclose(f);
		unlink(tmp.buf);
		goto out;
	}
	if (fclose(f) || rename(tmp.buf, path)) {
		ret = error("cannot write '%s': %s", path, strerror(errno));
		unlink(tmp.buf);
	}
out:
	buf_release(&tmp);
	return ret;
}

int cmd_report(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct report_options opt = { NULL, NULL, 0, 0 };
	enum report_format fmt = FMT_JSON;
	const char *output = NULL;
	struct report r;
	struct buf out = BUF_INIT;
	int c, ret;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
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
			return cmd_bad_option(usage, argv, opts);
		}
	}
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;
	if (opt.from && !report_date_valid(opt.from))
		return cmd_usage_error(usage, "--from needs a date YYYY-MM-DD, "
				       "not '%s'", opt.from);
	if (opt.to && !report_date_valid(opt.to))
		return cmd_usage_error(usage, "--to needs a date YYYY-MM-DD, "
				       "not '%s'", opt.to);
	if (opt.from && opt.to && strcmp(opt.from, opt.to) > 0)
		return cmd_usage_error(usage, "--from %s is after --to %s",
				       opt.from, opt.to);
	opt.deadline_days = app->cfg.deadline_days;
	opt.now = time(NULL);

	report_init(&r);
	if (report_build(app->db, &opt, &r)) {
		report_release(&r);
		return EXIT_USAGE;
	}
	switch (fmt) {
	case FMT_JSON:
		report_json(&r, &out);
		break;
	case FMT_CSV:
		report_csv(&r, &out);
		break;
	case FMT_HTML:
		report_html(&r, &out);
		break;
	case FMT_MD:
		report_markdown(&r, &out);
		break;
	}
	ret = write_output(output, &out) ? EXIT_USAGE : EXIT_OK;
	if (!ret && !r.ledger_verified) {
		error("the ledger does not verify (first bad entry: seq %lld): "
		      "the report says so; run 'erasectl verify'",
		      (long long)r.ledger_bad_seq);
		ret = EXIT_INTEGRITY;
	}
	buf_release(&out);
	report_release(&r);
	return ret;
}

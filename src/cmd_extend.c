/*
 * extend: GDPR Art. 12(3) extension of a request's deadline by one or two
 * months (two in total at most), recorded in the ledger with its reason.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "civil.h"
#include "ledger.h"
#include "log.h"
#include "queue.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl extend REQUEST_ID --months 1|2 --reason TEXT\n"
	"\n"
	"Extends the deadline of an open request by 1 or 2 calendar months\n"
	"(GDPR Art. 12(3): at most two months in total; the subject must be\n"
	"told why within the first month). Refused for done or rejected\n"
	"requests. The reason is written to the ledger (no personal data; an\n"
	"email address is refused).\n"
	"\n"
	"exit status: 0 extended; 2 usage error, unknown request, finished\n"
	"request or more than 2 months in total; 3 database error.\n";

const struct option cmd_extend_opts[] = {
	{ "months", required_argument, NULL, 'm' },
	{ "reason", required_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_extend(int argc, char **argv, struct app *app)
{
	struct queue_request r;
	const char *id, *reason = NULL;
	char deadline[11];
	long months = 0;
	int c, rc, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, "h", cmd_extend_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cmd_help(usage);
		case 'm':
			months = !strcmp(optarg, "1") ? 1 :
				 !strcmp(optarg, "2") ? 2 : 0;
			if (!months)
				return cmd_usage_error(usage, "--months must "
						       "be 1 or 2, not '%s'",
						       optarg);
			break;
		case 'r':
			reason = optarg;
			break;
		default:
			return cmd_bad_option(usage, argv, cmd_extend_opts);
		}
	}
	if (optind >= argc)
		return cmd_usage_error(usage, "no request id given");
	if (cmd_extra_args(usage, argc, argv, 1))
		return EXIT_USAGE;
	id = argv[optind];
	if (!months)
		return cmd_usage_error(usage, "--months is required (1 or 2)");
	if (!reason)
		return cmd_usage_error(usage, "--reason is required");
	if (cmd_check_reason(usage, reason))
		return EXIT_USAGE;

	queue_request_init(&r);
	if (db_begin(app->db)) {
		ret = cmd_db_failed();
		goto out;
	}
	rc = queue_get(app->db, id, &r);
	if (rc) {
		if (rc > 0)
			error("no request '%s' in the queue", id);
		ret = rc > 0 ? EXIT_USAGE : EXIT_INTEGRITY;
		goto out;
	}
	/* queue_extend states the refusal; these are the user's errors. */
	if (r.status == Q_DONE || r.status == Q_REJECTED ||
	    r.extension_months + months > 2) {
		queue_extend(app->db, id, (int)months, reason);
		ret = EXIT_USAGE;
		goto out;
	}
	if (queue_extend(app->db, id, (int)months, reason) ||
	    queue_ledger_event(app->db, id, r.subject_ref, LEDGER_EV_EXTEND,
			       NULL, reason) ||
	    db_commit(app->db)) {
		ret = cmd_db_failed();
		goto out;
	}
	if (civil_deadline(r.received_at, app->cfg.deadline_days,
			   r.extension_months + (int)months, deadline)) {
		error("request '%s' has an invalid received_at", id);
		ret = EXIT_INTEGRITY;
	} else {
		printf("request '%s' extended by %ld month%s (%d in total): "
		       "deadline %s\n", id, months, months == 1 ? "" : "s",
		       r.extension_months + (int)months, deadline);
	}
out:
	db_rollback(app->db);
	queue_request_release(&r);
	return ret;
}

/*
 * hold: Art. 17(3) legal hold. A pending or failed request becomes held
 * (run skips it) and the ledger records the reason, in one transaction.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>

#include "ledger.h"
#include "log.h"
#include "queue.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl hold REQUEST_ID --reason TEXT\n"
	"\n"
	"Puts a pending or failed request on legal hold (GDPR Art. 17(3)):\n"
	"'run' skips it until 'erasectl release'. The reason is required and\n"
	"is written to the ledger, so it must not contain personal data (an\n"
	"email address is refused).\n"
	"\n"
	"exit status: 0 held; 2 usage error, unknown request or a state that\n"
	"cannot be held; 3 database error.\n";

const struct option cmd_hold_opts[] = {
	{ "reason", required_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_hold(int argc, char **argv, struct app *app)
{
	enum queue_status from = Q_PENDING;
	const char *id, *reason = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", cmd_hold_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cmd_help(usage);
		case 'r':
			reason = optarg;
			break;
		default:
			return cmd_bad_option(usage, argv, cmd_hold_opts);
		}
	}
	if (optind >= argc)
		return cmd_usage_error(usage, "no request id given");
	if (cmd_extra_args(usage, argc, argv, 1))
		return EXIT_USAGE;
	id = argv[optind];
	if (!reason)
		return cmd_usage_error(usage, "--reason is required");
	if (cmd_check_reason(usage, reason))
		return EXIT_USAGE;

	rc = queue_change_logged(app->db, id, 1u << Q_PENDING | 1u << Q_FAILED,
				 Q_HELD, LEDGER_EV_HOLD, reason, NULL, NULL,
				 &from);
	if (rc == QUEUE_NO_SUCH) {
		error("no request '%s' in the queue", id);
		return EXIT_USAGE;
	}
	if (rc == QUEUE_NOT_ALLOWED) {
		error("request '%s' is %s; only pending or failed requests can "
		      "be held", id, queue_status_name(from));
		return EXIT_USAGE;
	}
	if (rc)
		return cmd_db_failed();
	printf("request '%s' is held (was %s)\n", id, queue_status_name(from));
	return EXIT_OK;
}

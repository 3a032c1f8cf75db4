/*
 * release: ends a legal hold. A held request becomes pending again and the
 * ledger records it, in one transaction.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>

#include "ledger.h"
#include "log.h"
#include "queue.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl release REQUEST_ID [--reason TEXT]\n"
	"\n"
	"Releases a held request: it becomes pending and the next 'run'\n"
	"processes it. The optional reason is written to the ledger (no\n"
	"personal data; an email address is refused).\n"
	"\n"
	"exit status: 0 released; 2 usage error, unknown request or a request\n"
	"that is not held; 3 database error.\n";

const struct option cmd_release_opts[] = {
	{ "reason", required_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_release(int argc, char **argv, struct app *app)
{
	enum queue_status from = Q_HELD;
	const char *id, *reason = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", cmd_release_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cmd_help(usage);
		case 'r':
			reason = optarg;
			break;
		default:
			return cmd_bad_option(usage, argv, cmd_release_opts);
		}
	}
	if (optind >= argc)
		return cmd_usage_error(usage, "no request id given");
	if (cmd_extra_args(usage, argc, argv, 1))
		return EXIT_USAGE;
	id = argv[optind];
	if (cmd_check_reason(usage, reason))
		return EXIT_USAGE;

	rc = queue_change_logged(app->db, id, 1u << Q_HELD, Q_PENDING,
				 LEDGER_EV_RELEASE, reason, NULL, NULL, &from);
	if (rc == QUEUE_NO_SUCH) {
		error("no request '%s' in the queue", id);
		return EXIT_USAGE;
	}
	if (rc == QUEUE_NOT_ALLOWED) {
		error("request '%s' is %s, not held", id,
		      queue_status_name(from));
		return EXIT_USAGE;
	}
	if (rc)
		return cmd_db_failed();
	printf("request '%s' released: pending\n", id);
	return EXIT_OK;
}

/*
 * erase: queue one subject's request (with its "enqueued" ledger entry,
 * detail "erase") and process it now through the erasure engine, after a
 * confirmation on a terminal.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "engine.h"
#include "intake.h"
#include "log.h"
#include "queue.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl erase (--email ADDR | --device ID) [--request-id ID]\n"
	"                      [--received DATE] [--dry-run] [--yes]\n"
	"\n"
	"Queues one erasure request and processes it at once, like run does.\n"
	"\n"
	"  --email ADDR       the subject's email (the customer username)\n"
	"  --device ID        a device id: the subject is the device's owner; a\n"
	"                     device without an owner is done as not_found\n"
	"  --request-id ID    default: a new UUID v4\n"
	"  --received DATE    when the request was received (ISO 8601; default\n"
	"                     now): the deadline counts from it\n"
	"  --dry-run          print the plan; send only GETs; write nothing\n"
	"  --yes              do not ask for confirmation\n"
	"\n"
	"On a terminal it asks before erasing; without a terminal it refuses\n"
	"unless --yes is given. The exit status is that of run.\n";

/* Asks on the terminal; the email is not shown back. */
static int confirm(const struct engine_preview *p, void *ctx)
{
	char line[64];

	(void)ctx;
	fprintf(stderr, "erase the subject given on the command line "
		"(customer found in %zu product%s, %zu device%s, %zu "
		"call%s)? [y/N] ", p->customers, p->customers == 1 ? "" : "s",
		p->devices, p->devices == 1 ? "" : "s", p->actions,
		p->actions == 1 ? "" : "s");
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin) ||
	    (line[0] != 'y' && line[0] != 'Y')) {
		error("not confirmed; nothing was queued");
		return 0;
	}
	return 1;
}

int cmd_erase(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "email", required_argument, NULL, 'e' },
		{ "device", required_argument, NULL, 'd' },
		{ "request-id", required_argument, NULL, 'r' },
		{ "received", required_argument, NULL, 'R' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *email = NULL, *device = NULL, *rid = NULL, *received = NULL;
	const char *bad;
	struct engine_opts eo = { 0 };
	struct queue_request r;
	char uuid[37], ts[21];
	time_t t;
	int c, yes = 0, ret;

	while ((c = getopt_long(argc, argv, "hy", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			email = optarg;
			break;
		case 'd':
			device = optarg;
			break;
		case 'r':
			rid = optarg;
			break;
		case 'R':
			received = optarg;
			break;
		case 'n':
			eo.dry_run = 1;
			break;
		case 'y':
			yes = 1;
			break;
		case 'h':
			return cmd_help(usage);
		default:
			return cmd_bad_option(usage, argv, opts);
		}
	}
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;
	if (!email == !device)
		return cmd_usage_error(usage, "give exactly one of --email "
				       "and --device");

	queue_request_init(&r);
	ret = EXIT_USAGE;
	if (email) {
		r.subject_email = email_normalize(email);
		if ((bad = intake_check_email(r.subject_email))) {
			error("--email: %s", bad);
			goto out;
		}
	} else {
		r.device_id = xstrdup(device);
		if ((bad = intake_check_device_id(device))) {
			error("--device: %s", bad);
			goto out;
		}
	}
	if (rid && (bad = intake_check_request_id(rid))) {
		error("--request-id: %s", bad);
		goto out;
	}
	if (!rid && digest_uuid4(uuid)) {
		error("cannot generate a request id");
		goto out;
	}
	r.request_id = xstrdup(rid ? rid : uuid);
	if (received) {
		if (intake_parse_time(received, &t)) {
			error("--received: '%s' is not an ISO 8601 date or "
			      "date-time", received);
			goto out;
		}
	} else {
		t = time(NULL);
	}
	intake_format_time(t, ts);
	r.received_at = xstrdup(ts);
	r.source = xstrdup("erase");

	if (!eo.dry_run && !yes) {
		if (!isatty(0) || !isatty(2)) {
			error("refusing to erase without confirmation: not a "
			      "terminal (pass --yes)");
			goto out;
		}
		eo.confirm = confirm;
	}
	eo.single = &r;
	ret = engine_run(app, &eo);
out:
	queue_request_release(&r);
	return ret;
}

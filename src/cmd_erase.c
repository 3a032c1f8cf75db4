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
#include "escape.h"
#include "intake.h"
#include "log.h"
#include "queue.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl erase (--email ADDR | --customer NAME | --device ID)\n"
	"                      [--request-id ID] [--received DATE] [--dry-run]\n"
	"                      [--yes]\n"
	"\n"
	"Queues one erasure request and processes it at once, like run does.\n"
	"\n"
	"  --email ADDR       the subject's email: every customer username equal\n"
	"                     to it ignoring case\n"
	"  --customer NAME    a customer username that is not an email, matched\n"
	"                     exactly\n"
	"  --device ID        a device id: the subject is the device's owner; a\n"
	"                     device without an owner is done as not_found\n"
	"  --request-id ID    default: a new UUID v4\n"
	"  --received DATE    when the request was received (ISO 8601; default\n"
	"                     now; not in the future): the deadline counts\n"
	"                     from it\n"
	"  --dry-run          print the plan; send only GETs; write nothing\n"
	"  --yes              do not ask for confirmation\n"
	"\n"
	"On a terminal it asks before erasing; without a terminal it refuses\n"
	"unless --yes is given. The exit status is that of run.\n";

/* Asks on the terminal; the subject is not shown back. */
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


const struct option cmd_erase_opts[] = {
	{ "email", required_argument, NULL, 'e' },
	{ "customer", required_argument, NULL, 'u' },
	{ "device", required_argument, NULL, 'd' },
	{ "request-id", required_argument, NULL, 'r' },
	{ "received", required_argument, NULL, 'R' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "yes", no_argument, NULL, 'y' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_erase(int argc, char **argv, struct app *app)
{
	const char *email = NULL, *customer = NULL, *device = NULL;
	const char *rid = NULL, *received = NULL;
	struct intake_rules rules;
	struct engine_opts eo = { 0 };
	struct engine_result res;
	struct queue_request r;
	struct buf why = BUF_INIT;
	struct hmac_key key;
	int c, yes = 0, generated, ret;

	while ((c = getopt_long(argc, argv, "hy", cmd_erase_opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			email = optarg;
			break;
		case 'u':
			customer = optarg;
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
			return cmd_bad_option(usage, argv, cmd_erase_opts);
		}
	}
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;
	if (!!email + !!customer + !!device != 1)
		return cmd_usage_error(usage, "give exactly one of --email, "
				       "--customer and --device");

	queue_request_init(&r);
	engine_result_init(&res);
	memset(&key, 0, sizeof(key));
	r.subject_email = email ? xstrdup(email) : NULL;
	r.subject_customer = customer ? xstrdup(customer) : NULL;
	r.device_id = device ? xstrdup(device) : NULL;
	r.request_id = rid ? xstrdup(rid) : NULL;
	r.received_at = received ? xstrdup(received) : NULL;
	r.source = xstrdup("erase");
	/* The key is not loaded yet: no subject_ref, the engine adds it. */
	intake_rules_init(&rules, NULL, &app->cfg);
	ret = EXIT_USAGE;
	if (intake_validate(&r, &rules, &generated, &why)) {
		error("erase: %s", why.buf);
		goto out;
	}
	if (!eo.dry_run && !yes) {
		if (!isatty(0) || !isatty(2)) {
			error("refusing to erase without confirmation: not a "
			      "terminal (pass --yes)");
			goto out;
		}
		eo.confirm = confirm;
	}
	if (!eo.dry_run && (ret = cmd_lock(app)))
		goto out;
	if ((ret = cmd_load_key(app, &key)))
		goto out;
	eo.key = &key;
	eo.single = &r;
	eo.show_plan = cmd_show_plan;
	ret = cmd_engine(app, "erase", &eo, &res);
	if (res.status == ENGINE_AWAITING) {
		/* The id is shell-quoted: it may come from anywhere. */
		struct buf q = BUF_INIT;

		escape_shell(&q, r.request_id);
		printf("request %s is queued and awaits approval ([policy] "
		       "approval = required); another user runs: erasectl "
		       "approve %s; then 'erasectl run' erases it\n",
		       r.request_id, q.buf);
		buf_release(&q);
	}
	if (res.already_done) {
		printf("request %s is already done (%s)\n", r.request_id,
		       res.already_done);
		ret = EXIT_OK;
	}
out:
	hmac_key_wipe(&key);
	engine_result_release(&res);
	buf_release(&why);
	queue_request_release(&r);
	return ret;
}

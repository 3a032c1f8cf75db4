/*
 * approve and deny: the second person of [policy] approval = required. A
 * request awaiting approval becomes pending (approve) or rejected (deny);
 * the ledger records who decided (the OS user) and why. Nobody approves
 * a request they enqueued themselves.
 */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "evidence.h"
#include "ledger.h"
#include "log.h"
#include "queue.h"
#include "banned.h"

static const char approve_usage[] =
	"usage: erasectl approve (REQUEST_ID... | --all-from FILE) "
	"[--reason TEXT]\n"
	"\n"
	"Approves requests awaiting approval ([policy] approval = required):\n"
	"each becomes pending, and the next 'erasectl run' erases it. The\n"
	"approver is the operating-system user running this command, who must\n"
	"not be the user who enqueued the request; both are in the ledger.\n"
	"\n"
	"  --all-from FILE   the request ids, one per line ('-': standard\n"
	"                    input; blank lines and '#' comments are skipped)\n"
	"  --reason TEXT     why (goes to the ledger: no personal data; an\n"
	"                    email address is refused)\n"
	"\n"
	"exit status: 0 every request approved; 2 usage error, or a request\n"
	"that is unknown, not awaiting approval, or enqueued by you (the\n"
	"others are still approved); 3 database error.\n";

static const char deny_usage[] =
	"usage: erasectl deny REQUEST_ID --reason TEXT\n"
	"\n"
	"Denies a request awaiting approval: it ends rejected, its email is\n"
	"removed, and the ledger records the reason and who denied it (the\n"
	"operating-system user running this command).\n"
	"\n"
	"exit status: 0 denied; 2 usage error, or a request that is unknown or\n"
	"not awaiting approval; 3 database error.\n";

const struct option cmd_approve_opts[] = {
	{ "all-from", required_argument, NULL, 'a' },
	{ "reason", required_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

const struct option cmd_deny_opts[] = {
	{ "reason", required_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

enum { NOT_BY_ENQUEUER = 10 };

/* queue_change_logged's check: the approver is not the enqueuer. */
static int other_user(sqlite3 *db, const struct queue_request *r, void *ctx)
{
	struct evidence ev;

	(void)ctx;
	if (evidence_of(db, r->request_id, &ev))
		return -1;
	/* Recorded with no entry at all: nobody can vouch for who. */
	if (!ev.enqueued_by[0] || !strcmp(ev.enqueued_by, ledger_operator()))
		return NOT_BY_ENQUEUER;
	return 0;
}

/* Decides one request; returns 0, EXIT_USAGE or EXIT_INTEGRITY. */
static int decide(sqlite3 *db, const char *id, int approve,
		  const char *reason)
{
	enum queue_status from = Q_AWAITING;
	struct evidence ev;
	int rc;

	rc = queue_change_logged(db, id, 1u << Q_AWAITING,
				 approve ? Q_PENDING : Q_REJECTED,
				 approve ? LEDGER_EV_APPROVED :
				 LEDGER_EV_DENIED, reason,
				 approve ? other_user : NULL, NULL, &from);
	switch (rc) {
	case 0:
		break;
	case QUEUE_NO_SUCH:
		error("no request '%s' in the queue", id);
		return EXIT_USAGE;
	case QUEUE_NOT_ALLOWED:
		error("request '%s' is %s, not awaiting approval", id,
		      queue_status_name(from));
		return EXIT_USAGE;
	case NOT_BY_ENQUEUER:
		if (evidence_of(db, id, &ev))
			return cmd_db_failed();
		error("request '%s' was enqueued by '%s': another user must "
		      "approve it (two people for an erasure)", id,
		      ev.enqueued_by[0] ? ev.enqueued_by : "nobody on record");
		return EXIT_USAGE;
	default:
		return cmd_db_failed();
	}
	printf("request '%s' %s by %s\n", id, approve ? "approved" : "denied",
	       ledger_operator());
	return EXIT_OK;
}

/* Reads request ids, one per line, from path ('-': standard input). */
static int read_ids(const char *path, struct strvec *ids)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	struct buf line = BUF_INIT;
	int c, ret = 0;

	if (!f)
		return error("cannot open '%s': %s", path, strerror(errno));
	for (;;) {
		buf_reset(&line);
		while ((c = getc(f)) != EOF && c != '\n')
			buf_addch(&line, c);
		buf_trim(&line);
		if (line.len && line.buf[0] != '#')
			strvec_push(ids, line.buf);
		if (c == EOF)
			break;
	}
	if (ferror(f))
		ret = error("cannot read '%s': %s", path, strerror(errno));
	if (f != stdin)
		fclose(f);
	buf_release(&line);
	return ret;
}

int cmd_approve(int argc, char **argv, struct app *app)
{
	struct strvec ids = STRVEC_INIT;
	const char *from = NULL, *reason = NULL;
	int c, rc, ret = EXIT_OK;
	size_t i;

	while ((c = getopt_long(argc, argv, "h", cmd_approve_opts,
				NULL)) != -1) {
		switch (c) {
		case 'a':
			from = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'h':
			return cmd_help(approve_usage);
		default:
			return cmd_bad_option(approve_usage, argv,
					      cmd_approve_opts);
		}
	}
	if (!from == (optind >= argc))
		return cmd_usage_error(approve_usage, "give request ids or "
				       "--all-from FILE");
	if ((rc = cmd_check_reason(approve_usage, reason)))
		return rc;
	if (from && read_ids(from, &ids))
		return EXIT_USAGE;
	for (; optind < argc; optind++)
		strvec_push(&ids, argv[optind]);
	if (!ids.n) {
		error("no request ids in '%s'", from);
		ret = EXIT_USAGE;
	}
	/* A refusal leaves the others to decide; a database error stops. */
	for (i = 0; i < ids.n; i++) {
		rc = decide(app->db, ids.v[i], 1, reason ? reason : "approved");
		if (rc)
			ret = rc;
		if (rc && rc != EXIT_USAGE)
			break;
	}
	strvec_clear(&ids);
	return ret;
}

int cmd_deny(int argc, char **argv, struct app *app)
{
	const char *reason = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", cmd_deny_opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			reason = optarg;
			break;
		case 'h':
			return cmd_help(deny_usage);
		default:
			return cmd_bad_option(deny_usage, argv, cmd_deny_opts);
		}
	}
	if (optind >= argc)
		return cmd_usage_error(deny_usage, "no request id given");
	if (cmd_extra_args(deny_usage, argc, argv, 1))
		return EXIT_USAGE;
	if (!reason)
		return cmd_usage_error(deny_usage, "--reason is required");
	if ((rc = cmd_check_reason(deny_usage, reason)))
		return rc;
	return decide(app->db, argv[optind], 0, reason);
}

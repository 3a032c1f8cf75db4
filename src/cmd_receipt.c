/*
 * receipt: a per-request certificate of erasure (report.h): what was done,
 * when, by which ledger entries (with their hashes recomputed), the
 * checkpoint that covers them, and how to verify it independently.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "digest.h"
#include "log.h"
#include "receipt.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl receipt REQUEST_ID [--format text|json]\n"
	"                        [--email ADDR | --customer NAME]\n"
	"\n"
	"Prints the certificate of erasure of one request: its actions and\n"
	"their outcomes, the fresh reads that verified them, every ledger\n"
	"entry of the request with its hash (each recomputed from the stored\n"
	"fields), the whole chain's verification, the latest checkpoint that\n"
	"covers the entries (or a note to run 'erasectl checkpoint') and the\n"
	"commands that verify it independently.\n"
	"\n"
	"  --format F     text (default) or json\n"
	"  --email ADDR   also print the subject's email, after checking that\n"
	"                 its HMAC equals the request's subject_ref (refused\n"
	"                 otherwise); without it the receipt holds no email\n"
	"  --customer NAME  the same for a customer username\n"
	"\n"
	"It is a certificate of erasure only when the request is done and the\n"
	"ledger verifies.\n"
	"\n"
	"Exit status: 0; 1 when there is no such request; 2 on a usage error\n"
	"or an identity that does not match; 3 when the ledger does not verify\n"
	"(the receipt is still printed and says so) or on a database error; 5\n"
	"when the database stayed busy.\n";

/*
 * Checks an identity (email, normalized; or customer, exact) against the
 * request's subject_ref; returns the identity to print, or NULL.
 */
static char *check_identity(struct app *app, const char *email,
			    const char *customer, const char *request_id,
			    const char *subject_ref)
{
	struct hmac_key key;
	char ref[SHA256_HEX_LEN + 1];
	int ret;

	if (!subject_ref) {
		error("request '%s' has no subject_ref (a device-only "
		      "request): there is no subject to confirm", request_id);
		return NULL;
	}
	if (cmd_load_key(app, &key))
		return NULL;
	ret = email ? subject_ref_of_email(&key, email, ref) :
		      subject_ref_of_customer(&key, customer, ref);
	hmac_key_wipe(&key);
	if (ret)
		return NULL;
	if (strcmp(ref, subject_ref)) {
		error("the identity given is not the subject of request '%s' "
		      "(its HMAC does not match the subject_ref): refusing to "
		      "print it", request_id);
		return NULL;
	}
	return email ? email_normalize(email) : xstrdup(customer);
}

const struct option cmd_receipt_opts[] = {
	{ "format", required_argument, NULL, 'F' },
	{ "email", required_argument, NULL, 'e' },
	{ "customer", required_argument, NULL, 'u' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_receipt(int argc, char **argv, struct app *app)
{
	const char *email_arg = NULL, *customer_arg = NULL, *id;
	char *identity = NULL;
	struct receipt rc;
	struct buf out = BUF_INIT;
	int c, json = 0, ret;

	while ((c = getopt_long(argc, argv, "h", cmd_receipt_opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (!strcmp(optarg, "json"))
				json = 1;
			else if (strcmp(optarg, "text"))
				return cmd_usage_error(usage, "--format must be "
					"text or json, not '%s'", optarg);
			break;
		case 'e':
			email_arg = optarg;
			break;
		case 'u':
			customer_arg = optarg;
			break;
		case 'h':
			return cmd_help(usage);
		default:
			return cmd_bad_option(usage, argv, cmd_receipt_opts);
		}
	}
	if (optind >= argc)
		return cmd_usage_error(usage, "no REQUEST_ID given");
	if (cmd_extra_args(usage, argc, argv, 1))
		return EXIT_USAGE;
	if (email_arg && customer_arg)
		return cmd_usage_error(usage, "give at most one of --email and "
				       "--customer");
	id = argv[optind];

	receipt_init(&rc);
	rc.db_path = app->cfg.db;
	ret = receipt_build(app->db, id, app->cfg.deadline_days, time(NULL),
			    &rc);
	if (ret) {
		if (ret > 0)
			error("no request '%s' in the queue", id);
		ret = ret > 0 ? EXIT_FAILED : cmd_db_failed();
		goto out;
	}
	if (email_arg || customer_arg) {
		identity = check_identity(app, email_arg, customer_arg,
					  id, rc.subject_ref);
		if (!identity) {
			ret = EXIT_USAGE;
			goto out;
		}
		rc.identity = identity;
		rc.identity_is_email = email_arg != NULL;
	}
	if (json)
		receipt_json(&rc, &out);
	else
		receipt_text(&rc, &out);
	ret = cmd_write_output(NULL, &out) ? EXIT_USAGE : EXIT_OK;
	if (!rc.agrees || rc.checkpoints_bad) {
		error("the database was changed outside erasectl (%s): this "
		      "receipt is not a certificate; run 'erasectl verify'",
		      !rc.agrees ? rc.disagreement : "a checkpoint row does not "
		      "match the ledger");
		ret = EXIT_INTEGRITY;
	}
	if (!rc.ledger_verified || !rc.entries_ok) {
		error("the ledger does not verify%s: this receipt is not "
		      "evidence until that is resolved; run 'erasectl verify'",
		      rc.entries_ok ? "" : " (an entry of this request has a "
		      "wrong hash)");
		ret = EXIT_INTEGRITY;
	}
out:
	free(identity);
	buf_release(&out);
	receipt_release(&rc);
	return ret;
}

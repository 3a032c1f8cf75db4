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
#include "report.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl receipt REQUEST_ID [--format text|json] [--email ADDR]\n"
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
	"\n"
	"Exit status: 0; 1 when there is no such request; 2 on a usage error\n"
	"or an email that does not match; 3 when the ledger does not verify\n"
	"(the receipt is still printed and says so).\n";

/* Checks email against subject_ref; returns the normalized email. */
static char *check_email(const struct config *cfg, const char *email,
			 const char *request_id, const char *subject_ref)
{
	struct hmac_key key;
	char ref[SHA256_HEX_LEN + 1];
	int ret;

	if (!subject_ref) {
		error("request '%s' has no subject_ref (a device-only "
		      "request): there is no email to confirm", request_id);
		return NULL;
	}
	if (hmac_key_load(cfg->hmac_key_file, &key))
		return NULL;
	ret = subject_ref_of_email(&key, email, ref);
	hmac_key_wipe(&key);
	if (ret)
		return NULL;
	if (strcmp(ref, subject_ref)) {
		error("the email given is not the subject of request '%s' "
		      "(its HMAC does not match the subject_ref): refusing to "
		      "print it", request_id);
		return NULL;
	}
	return email_normalize(email);
}

int cmd_receipt(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "email", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *email_arg = NULL, *id;
	char *email = NULL;
	struct receipt rc;
	struct buf out = BUF_INIT;
	int c, json = 0, ret;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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
		case 'h':
			return cmd_help(usage);
		default:
			return cmd_bad_option(usage, argv, opts);
		}
	}
	if (optind >= argc)
		return cmd_usage_error(usage, "no REQUEST_ID given");
	if (cmd_extra_args(usage, argc, argv, 1))
		return EXIT_USAGE;
	id = argv[optind];

	receipt_init(&rc);
	rc.db_path = app->cfg.db;
	ret = receipt_build(app->db, id, app->cfg.deadline_days, time(NULL),
			    &rc);
	if (ret) {
		if (ret > 0)
			error("no request '%s' in the queue", id);
		ret = ret > 0 ? EXIT_FAILED : EXIT_INTEGRITY;
		goto out;
	}
	if (email_arg) {
		email = check_email(&app->cfg, email_arg, id, rc.subject_ref);
		if (!email) {
			ret = EXIT_USAGE;
			goto out;
		}
		rc.email = email;
	}
	if (json)
		receipt_json(&rc, &out);
	else
		receipt_text(&rc, &out);
	fwrite(out.buf, 1, out.len, stdout);
	ret = EXIT_OK;
	if (!rc.ledger_verified || !rc.entries_ok) {
		error("the ledger does not verify%s: this receipt is not "
		      "evidence until that is resolved; run 'erasectl verify'",
		      rc.entries_ok ? "" : " (an entry of this request has a "
		      "wrong hash)");
		ret = EXIT_INTEGRITY;
	}
out:
	free(email);
	buf_release(&out);
	receipt_release(&rc);
	return ret;
}

/*
 * checkpoint: write the ledger's head (entry count, RFC 6962 Merkle root,
 * head hash, time), optionally signed with Ed25519, and index it in the
 * checkpoints table. Keep the file somewhere the database's writers cannot
 * reach: `verify --checkpoint FILE` later proves the prefix is unchanged.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "checkpoint.h"
#include "digest.h"
#include "ledger.h"
#include "log.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl checkpoint [-o FILE] [--sign-key PEM]\n"
	"\n"
	"Verifies the ledger, then writes a checkpoint of it as JSON: the\n"
	"number of entries, the RFC 6962 Merkle root over their hashes, the\n"
	"head hash and the time. Keep it apart from the database; 'erasectl\n"
	"verify --checkpoint FILE' later proves the ledger still holds that\n"
	"exact prefix.\n"
	"\n"
	"  -o, --output FILE  write to FILE (replaced atomically) instead of\n"
	"                     standard output\n"
	"  --sign-key PEM     sign with this Ed25519 private key (make one with\n"
	"                     'openssl genpkey -algorithm ed25519 -out KEY');\n"
	"                     the signature covers the bytes\n"
	"                     \"erasectl-checkpoint-v1\\n\" ENTRIES \"\\n\" ROOT \"\\n\"\n"
	"                     HEAD \"\\n\" TIME \"\\n\"\n";

const struct option cmd_checkpoint_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "sign-key", required_argument, NULL, 'K' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_checkpoint(int argc, char **argv, struct app *app)
{
	const char *out_path = NULL, *key = NULL;
	struct checkpoint cp;
	struct ledger_scan s;
	struct buf json = BUF_INIT;
	int c, rc, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, "ho:", cmd_checkpoint_opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out_path = optarg;
			break;
		case 'K':
			key = optarg;
			break;
		case 'h':
			return cmd_help(usage);
		default:
			return cmd_bad_option(usage, argv, cmd_checkpoint_opts);
		}
	}
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;

	/* Never vouch for a ledger that does not verify. */
	ledger_scan_init(&s);
	rc = ledger_scan(app->db, -1, &s);
	if (rc) {
		if (rc > 0)
			error("%s; no checkpoint written", s.reason.buf);
		ret = rc > 0 ? EXIT_INTEGRITY : cmd_db_failed();
		goto out;
	}
	memset(&cp, 0, sizeof(cp));
	cp.entries = s.entries;
	digest_hex(s.prefix_root, SHA256_LEN, cp.root);
	memcpy(cp.head, s.head, sizeof(cp.head));
	ledger_now(cp.time);
	if (key && checkpoint_sign(&cp, key)) {
		ret = EXIT_USAGE;
		goto out;
	}
	checkpoint_json(&cp, &json);

	/* The file is the evidence; the table row only indexes it. */
	if (db_begin(app->db) || checkpoint_row_add(app->db, &cp, out_path)) {
		ret = cmd_db_failed();
		goto out;
	}
	if (cmd_write_output(out_path, &json)) {
		ret = EXIT_USAGE;
		goto out;
	}
	if (db_commit(app->db)) {
		ret = cmd_db_failed();
		goto out;
	}
	if (out_path)
		printf("checkpoint of %lld entries (root %s%s) written to "
		       "'%s'\n", (long long)cp.entries, cp.root,
		       cp.is_signed ? ", signed" : "", out_path);
out:
	db_rollback(app->db);
	ledger_scan_release(&s);
	buf_release(&json);
	return ret;
}

/*
 * verify: recompute the ledger's hash chain and, with --checkpoint, prove
 * that the ledger still holds the exact prefix a checkpoint describes.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "checkpoint.h"
#include "digest.h"
#include "evidence.h"
#include "ledger.h"
#include "log.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl verify [--checkpoint FILE [--pub-key PEM]]\n"
	"\n"
	"Recomputes the ledger's hash chain: sequence numbers contiguous from\n"
	"1, each prev_hash the hash of the entry before, each hash SHA-256 of\n"
	"prev_hash and the entry's canonical encoding. Names the first entry\n"
	"that does not match. Then checks what the database says beside the\n"
	"ledger: every request's queue row must tell the ledger's story (a\n"
	"request the queue calls done has a verified done entry, and so on),\n"
	"and every row of the checkpoints table must match the ledger prefix\n"
	"it names.\n"
	"\n"
	"  --checkpoint FILE  also prove the ledger still holds the exact\n"
	"                     prefix FILE (from 'erasectl checkpoint')\n"
	"                     describes: same Merkle root over its entries and\n"
	"                     same head; catches rewritten and deleted entries.\n"
	"                     A signed checkpoint's signature is checked with\n"
	"                     the public key it carries.\n"
	"  --pub-key PEM      require a signature by this Ed25519 key\n"
	"\n"
	"Exit status: 0 verified, 3 the ledger, a checkpoint or the queue does\n"
	"not match, 2 usage error or unreadable file, 5 database busy.\n";

/* Compares the scanned prefix with the checkpoint; EXIT_INTEGRITY if off. */
static int check_prefix(const struct ledger_scan *s,
			const struct checkpoint *cp, const char *path)
{
	char root[SHA256_HEX_LEN + 1];

	if (s->entries < cp->entries) {
		error("ledger has %lld entries, fewer than the checkpoint's "
		      "%lld: entries were deleted", (long long)s->entries,
		      (long long)cp->entries);
		return EXIT_INTEGRITY;
	}
	digest_hex(s->prefix_root, SHA256_LEN, root);
	if (strcmp(root, cp->root)) {
		error("the ledger's first %lld entries do not match checkpoint "
		      "'%s' (Merkle root %s, the checkpoint says %s): entries "
		      "were rewritten", (long long)cp->entries, path, root,
		      cp->root);
		return EXIT_INTEGRITY;
	}
	if (strcmp(s->prefix_head, cp->head)) {
		error("ledger entry %lld's hash %s is not the checkpoint's "
		      "head %s", (long long)cp->entries, s->prefix_head,
		      cp->head);
		return EXIT_INTEGRITY;
	}
	return EXIT_OK;
}

const struct option cmd_verify_opts[] = {
	{ "checkpoint", required_argument, NULL, 'C' },
	{ "pub-key", required_argument, NULL, 'P' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_verify(int argc, char **argv, struct app *app)
{
	const char *cp_path = NULL, *pub_key = NULL;
	struct checkpoint cp;
	struct checkpoint_check chk;
	struct evidence_set evs;
	const struct ledger_scan *s;
	struct strvec why = STRVEC_INIT;
	size_t i;
	long bad;
	struct buf text = BUF_INIT;
	int c, rc, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, "h", cmd_verify_opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			cp_path = optarg;
			break;
		case 'P':
			pub_key = optarg;
			break;
		case 'h':
			return cmd_help(usage);
		default:
			return cmd_bad_option(usage, argv, cmd_verify_opts);
		}
	}
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;
	if (pub_key && !cp_path)
		return cmd_usage_error(usage, "--pub-key needs --checkpoint");

	memset(&cp, 0, sizeof(cp));
	if (cp_path) {
		if (util_read_file(cp_path, "checkpoint", 1 << 20, &text)) {
			buf_release(&text);
			return EXIT_USAGE;
		}
		rc = checkpoint_parse(text.buf, text.len, cp_path, &cp);
		buf_release(&text);
		if (rc)
			return EXIT_INTEGRITY;
		/* A bad signature makes the rest meaningless: check it first. */
		if (cp.is_signed || pub_key) {
			rc = checkpoint_check_signature(&cp, pub_key);
			if (rc < 0)
				return EXIT_USAGE;
			if (rc)
				return EXIT_INTEGRITY;
		}
	}

	/* One pass: the chain, the checkpoint rows, the evidence. */
	checkpoint_check_init(&chk);
	evidence_set_init(&evs);
	chk.scan.on_entry = evidence_set_entry;
	chk.scan.ctx = &evs;
	if (checkpoint_check_run(app->db, cp_path ? cp.entries : 0, &chk)) {
		ret = cmd_db_failed();
		goto out;
	}
	s = &chk.scan;
	if (s->bad_seq) {
		error("%s", s->reason.buf);
		ret = EXIT_INTEGRITY;
		goto out;
	}
	if (cp_path) {
		ret = check_prefix(s, &cp, cp_path);
		if (ret)
			goto out;
	}
	for (i = 0; i < chk.nrows; i++)
		if (chk.rows[i].mismatch) {
			error("checkpoint row %lld (%lld entries) does not match "
			      "the ledger: it was written or changed outside "
			      "erasectl", (long long)chk.rows[i].id,
			      (long long)chk.rows[i].entries);
			ret = EXIT_INTEGRITY;
		}
	bad = evidence_disagreements(app->db, &evs, 20, &why);
	if (bad < 0) {
		ret = cmd_db_failed();
		goto out;
	}
	for (i = 0; i < why.n; i++)
		error("%s", why.v[i]);
	if (bad > (long)why.n)
		error("... and %ld more requests whose queue row the ledger does "
		      "not bear out", bad - (long)why.n);
	if (bad)
		ret = EXIT_INTEGRITY;
	if (ret)
		goto out;
	printf("ledger verified: %lld entries, head %s\n",
	       (long long)s->entries, s->head);
	printf("the queue agrees with the ledger; %zu checkpoint row%s "
	       "match%s\n", chk.nrows, chk.nrows == 1 ? "" : "s",
	       chk.nrows == 1 ? "es" : "");
	if (cp_path)
		printf("checkpoint verified: the ledger still holds its %lld "
		       "entries (root %s)%s\n", (long long)cp.entries, cp.root,
		       !cp.is_signed ? ", unsigned" :
		       pub_key ? ", signature valid (pinned key)" :
		       ", signature valid (key from the file: pin it with "
		       "--pub-key)");
out:
	checkpoint_check_release(&chk);
	evidence_set_release(&evs);
	strvec_clear(&why);
	return ret;
}

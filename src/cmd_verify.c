/*
 * verify: recompute the ledger's hash chain and, with --checkpoint, prove
 * that the ledger still holds the exact prefix a checkpoint describes.
 */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "ledger.h"
#include "log.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl verify [--checkpoint FILE [--pub-key PEM]]\n"
	"\n"
	"Recomputes the ledger's hash chain: sequence numbers contiguous from\n"
	"1, each prev_hash the hash of the entry before, each hash SHA-256 of\n"
	"prev_hash and the entry's canonical encoding. Names the first entry\n"
	"that does not match.\n"
	"\n"
	"  --checkpoint FILE  also prove the ledger still holds the exact\n"
	"                     prefix FILE (from 'erasectl checkpoint')\n"
	"                     describes: same Merkle root over its entries and\n"
	"                     same head; catches rewritten and deleted entries.\n"
	"                     A signed checkpoint's signature is checked with\n"
	"                     the public key it carries.\n"
	"  --pub-key PEM      require a signature by this Ed25519 key\n"
	"\n"
	"Exit status: 0 verified, 3 the ledger or checkpoint does not match,\n"
	"2 usage error or unreadable file.\n";

/* Reads the whole file (-1 with an error when it cannot). */
static int read_file(const char *path, struct buf *out)
{
	char chunk[4096];
	FILE *f = fopen(path, "r");
	size_t n;
	int ret = 0;

	if (!f)
		return error("cannot open checkpoint '%s': %s", path,
			     strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_add(out, chunk, n);
		if (out->len > 1 << 20) {
			ret = error("checkpoint '%s' is too large", path);
			break;
		}
	}
	if (!ret && ferror(f))
		ret = error("cannot read checkpoint '%s': %s", path,
			    strerror(errno));
	fclose(f);
	return ret;
}

/* Compares the scanned prefix with the checkpoint; EXIT_INTEGRITY if off. */
static int check_prefix(const struct ledger_scan *s,
			const struct ledger_checkpoint *cp, const char *path)
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

int cmd_verify(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "checkpoint", required_argument, NULL, 'C' },
		{ "pub-key", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cp_path = NULL, *pub_key = NULL;
	struct ledger_checkpoint cp;
	struct ledger_scan s;
	struct buf text = BUF_INIT;
	int c, rc, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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
			return cmd_bad_option(usage, argv, opts);
		}
	}
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;
	if (pub_key && !cp_path)
		return cmd_usage_error(usage, "--pub-key needs --checkpoint");

	memset(&cp, 0, sizeof(cp));
	if (cp_path) {
		if (read_file(cp_path, &text)) {
			buf_release(&text);
			return EXIT_USAGE;
		}
		rc = ledger_checkpoint_parse(text.buf, text.len, cp_path, &cp);
		buf_release(&text);
		if (rc)
			return EXIT_INTEGRITY;
		/* A bad signature makes the rest meaningless: check it first. */
		if (cp.is_signed || pub_key) {
			rc = ledger_checkpoint_check_signature(&cp, pub_key);
			if (rc < 0)
				return EXIT_USAGE;
			if (rc)
				return EXIT_INTEGRITY;
		}
	}

	ledger_scan_init(&s);
	rc = ledger_scan(app->db, cp_path ? cp.entries : 0, &s);
	if (rc < 0) {
		ret = EXIT_INTEGRITY;
		goto out;
	}
	if (rc) {
		error("%s", s.reason.buf);
		ret = EXIT_INTEGRITY;
		goto out;
	}
	if (cp_path) {
		ret = check_prefix(&s, &cp, cp_path);
		if (ret)
			goto out;
	}
	printf("ledger verified: %lld entries, head %s\n",
	       (long long)s.entries, s.head);
	if (cp_path)
		printf("checkpoint verified: the ledger still holds its %lld "
		       "entries (root %s)%s\n", (long long)cp.entries, cp.root,
		       !cp.is_signed ? ", unsigned" :
		       pub_key ? ", signature valid (pinned key)" :
		       ", signature valid (key from the file: pin it with "
		       "--pub-key)");
out:
	ledger_scan_release(&s);
	return ret;
}

/*
 * checkpoint: write the ledger's head (entry count, RFC 6962 Merkle root,
 * head hash, time), optionally signed with Ed25519, and index it in the
 * checkpoints table. Keep the file somewhere the database's writers cannot
 * reach: `verify --checkpoint FILE` later proves the prefix is unchanged.
 */
#include "commands.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "ledger.h"
#include "log.h"
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

/* Writes data to path through a temporary file, fsync and rename. */
static int write_atomically(const char *path, const struct buf *data)
{
	struct buf tmp = BUF_INIT;
	int fd, ret = 0;

	buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		ret = error("cannot create '%s': %s", tmp.buf, strerror(errno));
		goto out;
	}
	if (write(fd, data->buf, data->len) != (ssize_t)data->len ||
	    fsync(fd))
		ret = error("cannot write '%s': %s", tmp.buf, strerror(errno));
	if (close(fd) && !ret)
		ret = error("cannot write '%s': %s", tmp.buf, strerror(errno));
	if (!ret && rename(tmp.buf, path))
		ret = error("cannot rename '%s' to '%s': %s", tmp.buf, path,
			    strerror(errno));
	if (ret)
		unlink(tmp.buf);
out:
	buf_release(&tmp);
	return ret;
}

static int record(sqlite3 *db, const struct ledger_checkpoint *cp,
		  const char *file)
{
	sqlite3_stmt *st;
	int ret = 0;

	if (db_prepare(db, &st, "INSERT INTO checkpoints (created_at, entries, "
		       "root, head, signed, file) VALUES (?1, ?2, ?3, ?4, ?5, "
		       "?6)"))
		return -1;
	sqlite3_bind_text(st, 1, cp->time, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, cp->entries);
	sqlite3_bind_text(st, 3, cp->root, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, cp->head, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, cp->is_signed);
	if (file)
		sqlite3_bind_text(st, 6, file, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		ret = error("cannot record the checkpoint: %s",
			    sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return ret;
}

int cmd_checkpoint(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "sign-key", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out_path = NULL, *key = NULL;
	struct ledger_checkpoint cp;
	struct ledger_scan s;
	struct buf json = BUF_INIT;
	int c, rc, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
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
			return cmd_bad_option(usage, argv, opts);
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
		ret = EXIT_INTEGRITY;
		goto out;
	}
	memset(&cp, 0, sizeof(cp));
	cp.entries = s.entries;
	digest_hex(s.prefix_root, SHA256_LEN, cp.root);
	memcpy(cp.head, s.head, sizeof(cp.head));
	ledger_now(cp.time);
	if (key && ledger_checkpoint_sign(&cp, key)) {
		ret = EXIT_USAGE;
		goto out;
	}
	ledger_checkpoint_json(&cp, &json);

	/* The file is the evidence; the table row only indexes it. */
	if (db_begin(app->db) || record(app->db, &cp, out_path)) {
		ret = EXIT_INTEGRITY;
		goto out;
	}
	if (out_path) {
		if (write_atomically(out_path, &json)) {
			ret = EXIT_USAGE;
			goto out;
		}
	} else {
		fwrite(json.buf, 1, json.len, stdout);
	}
	if (db_commit(app->db)) {
		ret = EXIT_INTEGRITY;
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

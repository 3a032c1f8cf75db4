/*
 * init: create or migrate the database (idempotent) and create the HMAC
 * key file (32 random bytes, mode 0600) if it is missing.
 */
#include "commands.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "digest.h"
#include "ledger.h"
#include "log.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl init\n"
	"\n"
	"Creates the database ([store] db, or --db) with the current schema, or\n"
	"migrates an existing one; safe to run again. Creates the HMAC key file\n"
	"([store] hmac_key_file, 32 random bytes, mode 0600) if it is missing\n"
	"and the ledger is still empty; once the ledger holds entries, a\n"
	"missing key is an error (restore it from backup: a new key could\n"
	"never match the existing subject_refs).\n"
	"Keep the key apart from the database: with it, a subject_ref can be\n"
	"recomputed from an email; without it, never.\n"
	"\n"
	"exit status: 0 ok; 2 key file missing or not writable; 3 database\n"
	"error.\n";

/*
 * Records the key's fingerprint in the database (or checks it against the
 * one recorded), so that every later command can tell another key.
 */
static int record_fingerprint(struct app *app, int64_t entries)
{
	char fp[SHA256_HEX_LEN + 1];
	struct buf stored = BUF_INIT;
	struct hmac_key key;
	int ret;

	if ((ret = cmd_load_key(app, &key)))
		return ret;
	ret = EXIT_OK;
	if (hmac_key_fingerprint(&key, fp) ||
	    db_meta_get(app->db, "hmac_key_fingerprint", &stored))
		ret = cmd_db_failed();
	else if (!stored.len && db_meta_set(app->db, "hmac_key_fingerprint",
					    fp))
		ret = cmd_db_failed();
	else if (!stored.len && entries)
		printf("recorded the fingerprint of key file '%s' for the %lld "
		       "ledger entries made with it\n", app->cfg.hmac_key_file,
		       (long long)entries);
	hmac_key_wipe(&key);
	buf_release(&stored);
	return ret;
}

const struct option cmd_init_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_init(int argc, char **argv, struct app *app)
{
	int c, created, ret = EXIT_OK;
	sqlite3 *db = NULL;
	char head[SHA256_HEX_LEN + 1];
	int64_t entries = 0;

	while ((c = getopt_long(argc, argv, "h", cmd_init_opts, NULL)) != -1) {
		if (c == 'h')
			return cmd_help(usage);
		return cmd_bad_option(usage, argv, cmd_init_opts);
	}
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;

	if (db_open(&db, app->cfg.db, DB_OPEN_CREATE))
		return cmd_db_failed();
	if (ledger_head(db, &entries, head)) {
		ret = cmd_db_failed();
		goto out;
	}
	/*
	 * A new key would silently orphan every subject_ref already in the
	 * ledger (lookup could never match them again): only a database
	 * without evidence may get a fresh key.
	 */
	if (entries > 0 && access(app->cfg.hmac_key_file, F_OK)) {
		error("key file '%s' is missing, but the ledger already holds "
		      "%lld entries made with a key: restore the key from its "
		      "backup (a new key could never match them)",
		      app->cfg.hmac_key_file, (long long)entries);
		ret = EXIT_USAGE;
		goto out;
	}
	created = hmac_key_create(app->cfg.hmac_key_file);
	if (created < 0) {
		ret = EXIT_USAGE;
		goto out;
	}
	app->db = db;
	ret = record_fingerprint(app, entries);
	app->db = NULL;
	if (ret)
		goto out;
	printf("database '%s' at schema version %d\n", app->cfg.db,
	       db_schema_version());
	if (created)
		printf("created key file '%s' (mode 0600): back it up apart "
		       "from the database\n", app->cfg.hmac_key_file);
out:
	db_close(db);
	return ret;
}

/*
 * init: create or migrate the database (idempotent) and create the HMAC
 * key file (32 random bytes, mode 0600) if it is missing.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>

#include "digest.h"
#include "log.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl init\n"
	"\n"
	"Creates the database ([store] db, or --db) with the current schema, or\n"
	"migrates an existing one; safe to run again. Creates the HMAC key file\n"
	"([store] hmac_key_file, 32 random bytes, mode 0600) if it is missing.\n"
	"Keep the key apart from the database: with it, a subject_ref can be\n"
	"recomputed from an email; without it, never.\n";

int cmd_init(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, created;
	sqlite3 *db = NULL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h')
			return cmd_help(usage);
		return cmd_bad_option(usage, argv, opts);
	}
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;

	created = hmac_key_create(app->cfg.hmac_key_file);
	if (created < 0)
		return EXIT_USAGE;
	config_check_private_file(app->cfg.hmac_key_file, "key file");
	if (db_open(&db, app->cfg.db, DB_OPEN_CREATE))
		return EXIT_INTEGRITY;
	db_close(db);
	printf("database '%s' at schema version %d\n", app->cfg.db,
	       db_schema_version());
	if (created)
		printf("created key file '%s' (mode 0600): back it up apart "
		       "from the database\n", app->cfg.hmac_key_file);
	return EXIT_OK;
}

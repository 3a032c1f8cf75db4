/*
 * erasectl: carry out GDPR right-to-erasure requests against a Particle
 * Device Cloud fleet and keep proof of it. See DESIGN.md and README.md.
 *
 * main parses the global options, loads the configuration, opens what the
 * command's flags ask for, calls the command and tears down in reverse.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "buf.h"
#include "commands.h"
#include "log.h"
#include "banned.h"

#ifndef ERASECTL_VERSION
#define ERASECTL_VERSION "0.0.0"
#endif


static const char usage_global[] =
	"usage: erasectl [-c FILE] [--db FILE] [-v|-q] [--log-format text|json]\n"
	"                COMMAND [ARGS...]\n"
	"       erasectl --version | --help | help COMMAND\n";

static void print_help(void)
{
	size_t i;

	fputs(usage_global, stdout);
	fputs("\nglobal options:\n"
	      "  -c, --config FILE     INI configuration (default $ERASECTL_CONFIG,\n"
	      "                        else ./erasectl.conf)\n"
	      "      --db FILE         database file (overrides [store] db)\n"
	      "  -v, --verbose         more diagnostics (repeat for debug)\n"
	      "  -q, --quiet           errors only\n"
	      "      --log-format F    text (default) or json lines on stderr\n"
	      "\ncommands:\n", stdout);
	for (i = 0; i < cmd_table_len; i++)
		printf("  %-12s %s\n", cmd_table[i].name, cmd_table[i].summary);
	fputs("\nexit codes: 0 ok, 1 some requests failed, 2 usage or config, "
	      "3 integrity,\n4 API auth refused, 5 lock held, 6 API "
	      "unreachable or TLS failed\n"
	      "Run 'erasectl COMMAND --help' for a command's options.\n",
	      stdout);
}


/* The version, and those of the libraries it runs with (not built with). */
static void print_version(void)
{
	const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);

	printf("erasectl %s\n", ERASECTL_VERSION);
	printf("libcurl %s (%s)\n", curl->version,
	       curl->ssl_version ? curl->ssl_version : "no TLS");
	printf("SQLite %s\n", sqlite3_libversion());
	printf("cJSON %s\n", cJSON_Version());
	printf("OpenSSL libcrypto %s\n", OpenSSL_version(OPENSSL_VERSION));
}

static int close_stdout(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		error("write failure on standard output: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "log-format", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL, *db_path = NULL;
	const struct command *cmd;
	struct app app;
	int level = LOG_INFO, json = 0, c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+c:vqh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'D':
			db_path = optarg;
			break;
		case 'v':
			if (level < LOG_DEBUG)
				level++;
			break;
		case 'q':
			level = LOG_ERROR;
			break;
		case 'L':
			if (!strcmp(optarg, "json"))
				json = 1;
			else if (strcmp(optarg, "text"))
				die(EXIT_USAGE, "--log-format must be 'text' "
				    "or 'json', not '%s'", optarg);
			break;
		case 'h':
			print_help();
			return close_stdout() ? EXIT_USAGE : EXIT_OK;
		case 'V':
			print_version();
			return close_stdout() ? EXIT_USAGE : EXIT_OK;
		default:
			fputs(usage_global, stderr);
			die(EXIT_USAGE, "unknown global option '%s'",
			    argv[optind - 1]);
		}
	}
	log_setup((enum log_level)level, json);
	if (optind >= argc) {
		fputs(usage_global, stderr);
		die(EXIT_USAGE, "no command given (try 'erasectl --help')");
	}
	if (!strcmp(argv[optind], "help")) {
		if (optind + 1 >= argc) {
			print_help();
			return close_stdout() ? EXIT_USAGE : EXIT_OK;
		}
		/* "help X" is "X --help". */
		argv[optind] = argv[optind + 1];
		argv[optind + 1] = (char *)"--help";
	}
	cmd = cmd_find(argv[optind]);
	if (!cmd) {
		fputs(usage_global, stderr);
		die(EXIT_USAGE, "unknown command '%s' (try 'erasectl --help')",
		    argv[optind]);
	}

	memset(&app, 0, sizeof(app));
	app.lock_fd = -1;
	config_init(&app.cfg);
	if (config_load(&app.cfg, config_path) ||
	    (db_path && config_set(&app.cfg, "store", "db", db_path, "--db"))) {
		config_release(&app.cfg);
		return EXIT_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		die(EXIT_UNREACHABLE, "cannot initialize libcurl");

	argc -= optind;
	argv += optind;
	optind = 0;	/* glibc: full reinitialization for the command */

	ret = EXIT_OK;
	/* --help must work without a database. */
	if (cmd->flags & (CMD_DB | CMD_DB_RO)) {
		int i, wants_help = 0;

		for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
			if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
				wants_help = 1;
		if (!wants_help &&
		    db_open(&app.db, app.cfg.db,
			    cmd->flags & CMD_DB ? DB_OPEN_EXISTING :
						  DB_OPEN_READONLY))
			ret = db_busy() ? EXIT_LOCKED : EXIT_USAGE;
	}
	if (ret == EXIT_OK)
		ret = cmd->fn(argc, argv, &app);

	db_close(app.db);
	/* After db_close: closing the lock's descriptor drops SQLite's locks. */
	db_unlock(app.lock_fd);
	config_release(&app.cfg);
	curl_global_cleanup();
	log_release();
	if (close_stdout() && ret == EXIT_OK)
		ret = EXIT_USAGE;
	return ret;
}

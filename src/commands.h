#ifndef ERASECTL_COMMANDS_H
#define ERASECTL_COMMANDS_H
/*
 * commands: what main.c hands every subcommand, the exit codes of
 * DESIGN.md, and the cmd_* entry points (one src/cmd_<name>.c each).
 *
 * A command parses its own options (getopt_long, optind reset by main),
 * prints results to stdout and diagnostics through log.h, and returns an
 * exit code. It never calls exit().
 */
#include <sqlite3.h>

#include "config.h"
#include "db.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* some requests failed, stay queued */
	EXIT_USAGE = 2,		/* usage or configuration error */
	EXIT_INTEGRITY = 3,	/* ledger or database integrity failure */
	EXIT_AUTH = 4,		/* 401/403 from the API, run stopped */
	EXIT_LOCKED = 5,	/* another run holds the lock */
	EXIT_UNREACHABLE = 6,	/* API unreachable or TLS failed */
};

struct app {
	struct config cfg;
	sqlite3 *db;		/* opened by main per the command's flags */
};

/* The command table's flags: what main prepares before calling. */
enum command_flags {
	CMD_DB = 1 << 0,	/* open the existing database read-write */
	CMD_DB_RO = 1 << 1,	/* open the existing database read-only */
};

struct command {
	const char *name;
	int (*fn)(int argc, char **argv, struct app *app);
	unsigned flags;
	const char *summary;
};

/*
 * Option parsing helpers shared by the commands. usage is the full help
 * text ("usage: erasectl run [--limit N] ...\n\n  options...").
 */
int cmd_help(const char *usage);	/* prints to stdout, returns 0 */
int cmd_usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));	/* returns EXIT_USAGE */
/*
 * Reports what getopt_long rejected (with opterr = 0): an unknown option, or
 * a known one given without its value. Returns EXIT_USAGE.
 */
struct option;
int cmd_bad_option(const char *usage, char **argv, const struct option *opts);
/*
 * Returns EXIT_USAGE after naming the first operand beyond the command's
 * nargs (counted from optind), or 0 when there are none.
 */
int cmd_extra_args(const char *usage, int argc, char **argv, int nargs);
/* Parses a positive whole number option value; -1 after an error. */
int cmd_parse_long(const char *opt, const char *v, long min, long max,
		   long *out);

int cmd_init(int argc, char **argv, struct app *app);
int cmd_enqueue(int argc, char **argv, struct app *app);
int cmd_run(int argc, char **argv, struct app *app);
int cmd_erase(int argc, char **argv, struct app *app);
int cmd_status(int argc, char **argv, struct app *app);
int cmd_hold(int argc, char **argv, struct app *app);
int cmd_release(int argc, char **argv, struct app *app);
int cmd_extend(int argc, char **argv, struct app *app);
int cmd_report(int argc, char **argv, struct app *app);
int cmd_receipt(int argc, char **argv, struct app *app);
int cmd_lookup(int argc, char **argv, struct app *app);
int cmd_verify(int argc, char **argv, struct app *app);
int cmd_checkpoint(int argc, char **argv, struct app *app);
int cmd_doctor(int argc, char **argv, struct app *app);

#endif

#ifndef ERASECTL_COMMANDS_H
#define ERASECTL_COMMANDS_H
/*
 * commands: what main.c hands every subcommand and the cmd_* entry points
 * (one src/cmd_<name>.c each); the exit codes are in exitcode.h.
 *
 * A command parses its own options (getopt_long, optind reset by main),
 * prints results to stdout and diagnostics through log.h, and returns an
 * exit code. It never calls exit().
 */
#include <getopt.h>
#include <sqlite3.h>

#include "config.h"
#include "db.h"
#include "exitcode.h"

struct app {
	struct config cfg;
	sqlite3 *db;		/* opened by main per the command's flags */
	int lock_fd;		/* the run lock (cmd_lock), or -1 */
};

/* The command table's flags: what main prepares before calling. */
enum command_flags {
	CMD_DB = 1 << 0,	/* open the existing database read-write */
	CMD_DB_RO = 1 << 1,	/* open the existing database read-only */
};

/* What a command's operands are (for completion). */
enum cmd_operands {
	OPERANDS_NONE,
	OPERANDS_REQUESTS,	/* request ids */
	OPERANDS_FILE,
	OPERANDS_SHELL,		/* completion: a shell name */
};

struct command {
	const char *name;
	int (*fn)(int argc, char **argv, struct app *app);
	unsigned flags;
	const char *summary;
	/* What the command's getopt_long parses: the one list of options. */
	const struct option *opts;
	enum cmd_operands operands;
	/*
	 * The values of options that take one, for completion:
	 * "name:v1 v2;name2:FILE" (FILE: a file name).
	 */
	const char *values;
};

/* The commands, in the order --help lists them. */
extern const struct command cmd_table[];
extern const size_t cmd_table_len;
const struct command *cmd_find(const char *name);

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
/*
 * Returns EXIT_USAGE after saying why an operator's reason cannot be
 * recorded (intake_check_reason), or 0 when it can (or is NULL).
 */
int cmd_check_reason(const char *usage, const char *reason);
/* Parses a positive whole number option value; -1 after an error. */
int cmd_parse_long(const char *opt, const char *v, long min, long max,
		   long *out);
/*
 * The exit code after a failed database operation: EXIT_LOCKED when the
 * database stayed busy (another command holds it), else EXIT_INTEGRITY.
 */
int cmd_db_failed(void);
/*
 * Takes the run lock for app's database (db_lock); main releases it after
 * closing the database. Returns 0, or the exit code to end with.
 */
int cmd_lock(struct app *app);

/*
 * Loads the HMAC key (hmac_key_file): warns when others can read the file,
 * and refuses a key whose fingerprint is not the one `init` recorded in
 * the database (every subject_ref would silently stop matching). Returns
 * 0, or the exit code to end with (EXIT_USAGE).
 */
struct hmac_key;
int cmd_load_key(struct app *app, struct hmac_key *key);

/* run and erase (cmd_run.c): the summary line and the exit code. */
struct engine_opts;
struct engine_result;
void cmd_engine_summary(const struct engine_opts *o,
			const struct engine_result *r);
int cmd_engine_exit(const struct engine_result *r);
/* The exit code of an engine status other than a run's own counts. */
enum engine_status;
int cmd_engine_exit_status(enum engine_status s);
/*
 * Runs the engine for run or erase (a dry run when opts->dry_run):
 * records the run in the runs table (metrics.h) unless it is a dry run,
 * prints the summary and returns the exit code. res must be initialized.
 */
int cmd_engine(struct app *app, const char *kind, struct engine_opts *opts,
	       struct engine_result *res);
/*
 * Writes b to path atomically (-o FILE: mode 0644 before the umask), or
 * to standard output when path is NULL. Returns 0, or -1 after an error.
 */
struct buf;
int cmd_write_output(const char *path, const struct buf *b);

/* The engine's show_plan for --dry-run: prints the job's plan. */
struct job;
void cmd_show_plan(const struct job *j, void *ctx);

extern const struct option cmd_checkpoint_opts[];
extern const struct option cmd_doctor_opts[];
extern const struct option cmd_enqueue_opts[];
extern const struct option cmd_erase_opts[];
extern const struct option cmd_extend_opts[];
extern const struct option cmd_hold_opts[];
extern const struct option cmd_init_opts[];
extern const struct option cmd_lookup_opts[];
extern const struct option cmd_receipt_opts[];
extern const struct option cmd_release_opts[];
extern const struct option cmd_report_opts[];
extern const struct option cmd_run_opts[];
extern const struct option cmd_status_opts[];
extern const struct option cmd_verify_opts[];
extern const struct option cmd_completion_opts[];
extern const struct option cmd_metrics_opts[];
extern const struct option cmd_residual_opts[];
extern const struct option cmd_approve_opts[];
extern const struct option cmd_deny_opts[];
extern const struct option cmd_sweep_opts[];

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
int cmd_completion(int argc, char **argv, struct app *app);
int cmd_metrics(int argc, char **argv, struct app *app);
int cmd_residual(int argc, char **argv, struct app *app);
int cmd_approve(int argc, char **argv, struct app *app);
int cmd_deny(int argc, char **argv, struct app *app);
int cmd_sweep(int argc, char **argv, struct app *app);

#endif

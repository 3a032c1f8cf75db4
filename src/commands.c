/* Option-parsing helpers shared by the cmd_*.c files (see commands.h). */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "digest.h"
#include "intake.h"
#include "log.h"
#include "util.h"
#include "banned.h"

const struct command cmd_table[] = {
	{ "init", cmd_init, 0, "create or migrate the database and key file",
	  cmd_init_opts, OPERANDS_NONE, NULL },
	{ "enqueue", cmd_enqueue, CMD_DB,
	  "validate and queue requests (CSV, OpenDSR)", cmd_enqueue_opts,
	  OPERANDS_FILE, "format:csv opendsr" },
	{ "run", cmd_run, CMD_DB, "process every pending or failed request",
	  cmd_run_opts, OPERANDS_NONE, NULL },
	{ "erase", cmd_erase, CMD_DB, "queue and process one subject now",
	  cmd_erase_opts, OPERANDS_NONE, NULL },
	{ "sweep", cmd_sweep, CMD_DB,
	  "find erased subjects that are customers or owners again",
	  cmd_sweep_opts, OPERANDS_NONE, "format:text json" },
	{ "status", cmd_status, CMD_DB_RO, "show queue state", cmd_status_opts,
	  OPERANDS_REQUESTS, "format:text json" },
	{ "approve", cmd_approve, CMD_DB,
	  "approve requests awaiting approval (another user)",
	  cmd_approve_opts, OPERANDS_REQUESTS, "all-from:FILE" },
	{ "deny", cmd_deny, CMD_DB, "deny a request awaiting approval",
	  cmd_deny_opts, OPERANDS_REQUESTS, NULL },
	{ "hold", cmd_hold, CMD_DB, "put a request on legal hold (Art. 17(3))",
	  cmd_hold_opts, OPERANDS_REQUESTS, NULL },
	{ "release", cmd_release, CMD_DB, "release a held request",
	  cmd_release_opts, OPERANDS_REQUESTS, NULL },
	{ "extend", cmd_extend, CMD_DB,
	  "extend a request's deadline (Art. 12(3))", cmd_extend_opts,
	  OPERANDS_REQUESTS, "months:1 2" },
	{ "report", cmd_report, CMD_DB_RO, "compliance report for auditors",
	  cmd_report_opts, OPERANDS_NONE, "format:json csv html md;output:FILE" },
	{ "receipt", cmd_receipt, CMD_DB_RO,
	  "certificate of erasure for one request", cmd_receipt_opts,
	  OPERANDS_REQUESTS, "format:text json" },
	{ "lookup", cmd_lookup, CMD_DB_RO,
	  "was this subject erased, when, by which request", cmd_lookup_opts,
	  OPERANDS_NONE, "format:text json" },
	{ "verify", cmd_verify, CMD_DB_RO,
	  "recompute the ledger hash chain, check queue and checkpoints",
	  cmd_verify_opts, OPERANDS_NONE, "checkpoint:FILE;pub-key:FILE" },
	{ "checkpoint", cmd_checkpoint, CMD_DB,
	  "write a (signed) ledger checkpoint", cmd_checkpoint_opts,
	  OPERANDS_NONE, "output:FILE;sign-key:FILE" },
	{ "residual", cmd_residual, CMD_DB_RO,
	  "device ids and time windows of what requests left, for the "
	  "processor", cmd_residual_opts, OPERANDS_REQUESTS,
	  "format:csv json" },
	{ "metrics", cmd_metrics, CMD_DB_RO,
	  "monitoring figures (Prometheus, OpenMetrics)", cmd_metrics_opts,
	  OPERANDS_NONE, "output:FILE" },
	{ "doctor", cmd_doctor, 0,
	  "check config, permissions, TLS, token, database", cmd_doctor_opts,
	  OPERANDS_NONE, NULL },
	{ "completion", cmd_completion, 0, "print the shell completion script",
	  cmd_completion_opts, OPERANDS_SHELL, NULL },
};
const size_t cmd_table_len = ARRAY_SIZE(cmd_table);

const struct command *cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < cmd_table_len; i++)
		if (!strcmp(cmd_table[i].name, name))
			return &cmd_table[i];
	return NULL;
}

int cmd_help(const char *usage)
{
	fputs(usage, stdout);
	return EXIT_OK;
}

int cmd_usage_error(const char *usage, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	const char *nl = strchr(usage, '\n');
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	error("%s", msg.buf);
	/* The first line of the help is the synopsis. */
	fprintf(stderr, "%.*s\n", nl ? (int)(nl - usage) : (int)strlen(usage),
		usage);
	buf_release(&msg);
	return EXIT_USAGE;
}

int cmd_parse_long(const char *opt, const char *v, long min, long max,
		   long *out)
{
	if (util_parse_long(v, min, max, out))
		return error("option '%s' needs a whole number from %ld to "
			     "%ld, not '%s'", opt, min, max, v);
	return 0;
}

int cmd_load_key(struct app *app, struct hmac_key *key)
{
	char fp[SHA256_HEX_LEN + 1];
	struct buf stored = BUF_INIT;
	int ret = EXIT_USAGE;

	if (hmac_key_load(app->cfg.hmac_key_file, key))
		return EXIT_USAGE;
	util_check_private_file(app->cfg.hmac_key_file, "key file");
	if (hmac_key_fingerprint(key, fp) ||
	    (app->db && db_meta_get(app->db, "hmac_key_fingerprint", &stored))) {
		ret = app->db ? cmd_db_failed() : EXIT_USAGE;
		goto out;
	}
	if (stored.len && strcmp(stored.buf, fp)) {
		error("key file '%s' is not the key this database was made "
		      "with (its fingerprint differs): restore the right key "
		      "file; with another key no subject_ref would match",
		      app->cfg.hmac_key_file);
		goto out;
	}
	ret = EXIT_OK;
out:
	if (ret)
		hmac_key_wipe(key);
	buf_release(&stored);
	return ret;
}

int cmd_db_failed(void)
{
	return db_busy() ? EXIT_LOCKED : EXIT_INTEGRITY;
}

int cmd_lock(struct app *app)
{
	int rc = db_lock(app->cfg.db, &app->lock_fd);

	if (rc > 0)
		return EXIT_LOCKED;
	return rc < 0 ? EXIT_USAGE : EXIT_OK;
}

int cmd_bad_option(const char *usage, char **argv, const struct option *opts)
{
	const char *arg = argv[optind - 1];
	const struct option *o;

	/* getopt leaves optopt set only for short options. */
	for (o = opts; o->name; o++) {
		size_t n = strlen(o->name);

		if (o->has_arg != required_argument)
			continue;
		if (optopt && optopt == o->val)
			return cmd_usage_error(usage, "option '-%c' needs a "
					       "value", optopt);
		if (!strncmp(arg, "--", 2) && !strncmp(arg + 2, o->name, n) &&
		    !arg[2 + n])
			return cmd_usage_error(usage, "option '--%s' needs a "
					       "value", o->name);
	}
	if (optopt && strncmp(arg, "--", 2))
		return cmd_usage_error(usage, "unknown option '-%c'", optopt);
	return cmd_usage_error(usage, "unknown option '%s'", arg);
}

int cmd_extra_args(const char *usage, int argc, char **argv, int nargs)
{
	if (argc - optind > nargs)
		return cmd_usage_error(usage, "unexpected argument '%s'",
				       argv[optind + nargs]);
	return 0;
}

int cmd_check_reason(const char *usage, const char *reason)
{
	const char *bad = reason ? intake_check_reason(reason) : NULL;

	return bad ? cmd_usage_error(usage, "%s", bad) : 0;
}

int cmd_write_output(const char *path, const struct buf *b)
{
	if (path)
		return util_write_atomic(path, b->buf, b->len, 0644);
	if (fwrite(b->buf, 1, b->len, stdout) != b->len || fflush(stdout))
		return error("write failure on standard output: %s",
			     strerror(errno));
	return 0;
}

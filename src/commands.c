/* Option-parsing helpers shared by the cmd_*.c files (see commands.h). */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "banned.h"

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
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max)
		return error("option '%s' needs a whole number from %ld to "
			     "%ld, not '%s'", opt, min, max, v);
	*out = n;
	return 0;
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

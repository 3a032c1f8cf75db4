/* Option-parsing helpers shared by the cmd_*.c files (see commands.h). */
#include "commands.h"

#include <errno.h>
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

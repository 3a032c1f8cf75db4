#include "log.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "banned.h"

static enum log_level cur_level = LOG_INFO;
static int json_mode;
static struct strvec secrets = STRVEC_INIT;

void log_setup(enum log_level level, int json)
{
	cur_level = level;
	json_mode = json;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

int log_is_json(void)
{
	return json_mode;
}

void log_add_secret(const char *secret)
{
	/* Short strings would redact ordinary words; tokens are long. */
	if (secret && strlen(secret) >= 4 && !strvec_contains(&secrets, secret))
		strvec_push(&secrets, secret);
}

void log_release(void)
{
	size_t i;

	for (i = 0; i < secrets.n; i++) {
		volatile char *p = secrets.v[i];

		while (*p)
			*p++ = 0;
	}
	strvec_clear(&secrets);
}

/*
 * Address characters, ASCII and any byte of a UTF-8 sequence: addresses
 * may be internationalized (RFC 6531: jörg@exämple.de), and the redactor
 * errs on the side of scrubbing.
 */
static int is_local_char(int c)
{
	return c >= 0x80 || (c && (isalnum(c) ||
				   strchr("._%+-!#$&'*/=?^`{|}~", c)));
}

static int is_domain_char(int c)
{
	return c >= 0x80 || isalnum(c) || c == '.' || c == '-';
}

/* Replaces email-shaped runs "local@domain" with "[email]". */
static void redact_emails(struct buf *out, const char *s)
{
	size_t n = strlen(s), i = 0;

	while (i < n) {
		const char *at = memchr(s + i, '@', n - i);
		size_t a, start, end;
		int dot = 0;

		if (!at) {
			buf_add(out, s + i, n - i);
			break;
		}
		a = (size_t)(at - s);
		start = a;
		while (start > i && is_local_char((unsigned char)s[start - 1]))
			start--;
		end = a + 1;
		while (end < n && is_domain_char((unsigned char)s[end])) {
			if (s[end] == '.')
				dot = 1;
			end++;
		}
		if (start < a && end > a + 1) {
			buf_add(out, s + i, start - i);
			buf_adds(out, dot ? "[email]" : "[redacted]");
		} else {
			/*
			 * No local part: step over this '@' only, so that the
			 * domain scan does not swallow the local part of an
			 * email right after it ("@alice@example.com").
			 */
			end = a + 1;
			buf_add(out, s + i, end - i);
		}
		i = end;
	}
}

void log_redact(struct buf *out, const char *s)
{
	struct buf tmp = BUF_INIT;
	size_t k;

	buf_adds(&tmp, s);
	for (k = 0; k < secrets.n; k++) {
		const char *sec = secrets.v[k];
		size_t sl = strlen(sec);
		struct buf next = BUF_INIT;
		const char *p = tmp.buf, *hit;

		while ((hit = strstr(p, sec))) {
			buf_add(&next, p, (size_t)(hit - p));
			buf_adds(&next, "[redacted]");
			p = hit + sl;
		}
		buf_adds(&next, p);
		buf_wipe(&tmp);
		tmp = next;
	}
	redact_emails(out, tmp.buf);
	buf_wipe(&tmp);
}

char *log_redact_dup(const char *s)
{
	struct buf b = BUF_INIT;

	if (!s)
		return NULL;
	log_redact(&b, s);
	return buf_detach(&b, NULL);
}

int log_would_redact(const char *s)
{
	struct buf red = BUF_INIT;
	size_t k;
	int changed;

	for (k = 0; k < secrets.n; k++)
		if (strstr(s, secrets.v[k]))
			return 1;
	/* Only an '@' starts an email: most text is done here. */
	if (!strchr(s, '@'))
		return 0;
	redact_emails(&red, s);
	changed = strcmp(red.buf, s) != 0;
	buf_wipe(&red);
	return changed;
}

static void add_json_string(struct buf *b, const char *s)
{
	buf_addch(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf_addch(b, '\\');
			buf_addch(b, c);
		} else if (c < 0x20) {
			buf_addf(b, "\\u%04x", c);
		} else {
			buf_addch(b, c);
		}
	}
	buf_addch(b, '"');
}

static void now_iso(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void emit(enum log_level level, const char *fmt, va_list ap)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	struct buf raw = BUF_INIT, clean = BUF_INIT, line = BUF_INIT;
	char ts[32];

	if (level > cur_level)
		return;
	buf_vaddf(&raw, fmt, ap);
	log_redact(&clean, raw.buf);
	if (json_mode) {
		now_iso(ts, sizeof(ts));
		buf_addf(&line, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts,
			 names[level]);
		add_json_string(&line, clean.buf);
		buf_adds(&line, "}\n");
	} else if (level == LOG_INFO) {
		buf_addf(&line, "erasectl: %s\n", clean.buf);
	} else {
		buf_addf(&line, "erasectl: %s: %s\n", names[level], clean.buf);
	}
	fputs(line.buf, stderr);
	fflush(stderr);
	buf_wipe(&raw);
	buf_release(&clean);
	buf_release(&line);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_ERROR, fmt, ap);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_WARN, fmt, ap);
	va_end(ap);
}

void info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_INFO, fmt, ap);
	va_end(ap);
}

void debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(code);
}

void log_event(const char *json_object)
{
	struct buf clean = BUF_INIT;

	if (!json_mode)
		return;
	log_redact(&clean, json_object);
	fprintf(stderr, "%s\n", clean.buf);
	fflush(stderr);
	buf_release(&clean);
}

#ifndef ERASECTL_LOG_H
#define ERASECTL_LOG_H
/*
 * log: every diagnostic the program prints goes through here, to stderr,
 * as text ("erasectl: error: ...") or as JSON lines (--log-format json).
 *
 * Redaction is enforced at this one choke point: each message is scrubbed
 * of anything shaped like an email address and of every string registered
 * with log_add_secret() (the API token) before it is written. Callers still
 * must not pass personal data; this is the safety net tests rely on.
 *
 * Error idiom: error() prints and returns -1, so functions write
 * `return error("cannot open '%s': %s", path, strerror(errno));` or
 * `ret = error(...); goto out;`. die() is for main-level code only.
 */
#include <stdio.h>

enum log_level {
	LOG_ERROR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

void log_setup(enum log_level level, int json);
enum log_level log_get_level(void);
int log_is_json(void);
/* Registers a secret to scrub from all output; the string is copied. */
void log_add_secret(const char *secret);
/* Forgets and wipes every registered secret. */
void log_release(void);

int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the message and exits with code; main-level code only. */
void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/*
 * Writes one structured event (a JSON object text without PII, e.g. a
 * finished request) as its own line when --log-format json is on, and
 * nothing otherwise.
 */
void log_event(const char *json_object);

/*
 * Writes the redacted form of s into out (exposed for tests and for the
 * few places, such as reports, that print text which did not come from us).
 */
struct buf;
void log_redact(struct buf *out, const char *s);
/* A new string: log_redact of s (NULL for NULL). */
char *log_redact_dup(const char *s);
/* 1 when log_redact would change s (it holds an email or a secret). */
int log_would_redact(const char *s);

#endif

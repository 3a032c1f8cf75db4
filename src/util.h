#ifndef ERASECTL_UTIL_H
#define ERASECTL_UTIL_H
/*
 * util: the small helpers several modules share, each written once:
 * reading a whole file with a size cap, replacing a file atomically
 * (temporary file, fsync, rename, fsync of the directory), parsing
 * numbers, and reading string fields of cJSON objects.
 */
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "buf.h"

/*
 * Appends the contents of path to out. what names the file in messages
 * ("checkpoint", "token file"); more than max bytes is an error.
 */
int util_read_file(const char *path, const char *what, size_t max,
		   struct buf *out);

/*
 * Replaces path with len bytes of data: written to a temporary file in the
 * same directory (created with mode), fsynced, renamed over path, and the
 * directory fsynced, so a crash leaves either the old file or the new one.
 */
int util_write_atomic(const char *path, const void *data, size_t len,
		      mode_t mode);

/* Warns when a secret file is accessible by group or others; 1 if it is. */
int util_check_private_file(const char *path, const char *what);

/* Parses a whole decimal number in [min, max]; -1 (no message) if not. */
int util_parse_long(const char *s, long min, long max, long *out);
/* Parses a finite decimal number in [min, max]; -1 (no message) if not. */
int util_parse_double(const char *s, double min, double max, double *out);

/* s, or dflt when s is NULL or empty. */
const char *str_or(const char *s, const char *dflt);
/* The first 12 characters of a subject_ref, as reports show it ("?"). */
const char *ref_prefix(const char *ref, char out[13]);

/* The string value of o's member key, or NULL when absent or not a string. */
const char *json_get_str(const cJSON *o, const char *key);

#endif

#ifndef ERASECTL_ESCAPE_H
#define ERASECTL_ESCAPE_H
/*
 * escape: every way text leaves erasectl safely, written once: UTF-8
 * validation, terminal text (control characters made visible), JSON
 * strings (through cJSON, always valid UTF-8), HTML, CSV cells (with
 * spreadsheet-formula defusing), Markdown, shell words and quoted input in
 * messages. Invalid UTF-8 becomes U+FFFD everywhere.
 */
#include <stddef.h>

#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
size_t utf8_len(const unsigned char *s, size_t n);

/*
 * Terminal text: control characters (C0, DEL, C1) as \xNN, so that data
 * read from outside cannot move the cursor or rewrite the screen.
 */
void escape_text(struct buf *out, const char *s);

/* A cJSON string of s (invalid UTF-8 replaced), or JSON null for NULL. */
cJSON *json_text(const char *s);
/* Adds json_text(s) to object o under key. */
void json_add_text(cJSON *o, const char *key, const char *s);
/*
 * An integer, exact: every integer erasectl prints as JSON goes through
 * here (cJSON's numbers are doubles, printed through sprintf and checked
 * with sscanf: inexact past 2^53, and slow over a report's 100,000 rows).
 */
cJSON *json_int(int64_t v);
void json_add_int(cJSON *o, const char *key, int64_t v);
/*
 * Appends json (pretty when pretty is set) to out with a final newline.
 * cJSON fails only to allocate, which is fatal as everywhere (buf.h).
 */
void json_print(const cJSON *json, int pretty, struct buf *out);

/* HTML text and attribute values: & < > " ' escaped, controls dropped. */
void escape_html(struct buf *out, const char *s);

/*
 * One CSV cell (RFC 4180), terminal-safe as escape_text: quoted when it
 * holds a comma, quote, CR or LF; a cell starting with =, +, -, @, tab or
 * CR gets a leading ' inside quotes, so spreadsheets do not run it.
 */
void escape_csv_cell(struct buf *out, const char *s);

/* Markdown table cell text (no markup, no raw HTML, one line). */
void escape_md(struct buf *out, const char *s);
/* A Markdown code span, or escape_md text when s cannot be one. */
void escape_md_code(struct buf *out, const char *s);

/* s as one single-quoted POSIX shell word. */
void escape_shell(struct buf *out, const char *s);

/*
 * n bytes of untrusted input quoted into a message: printable ASCII as
 * is, everything else (and ') as \xNN, cut after max bytes with "...".
 */
void escape_quoted(struct buf *out, const char *s, size_t n, size_t max);

#endif

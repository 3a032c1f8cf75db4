#include "escape.h"

#include <string.h>

#include "log.h"
#include "banned.h"

static const char replacement[] = "\xef\xbf\xbd";	/* U+FFFD */

size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (!n)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* A C1 control (U+0080..U+009F) encoded at p (a 2-byte sequence). */
static int is_c1(const unsigned char *p, size_t len)
{
	return len == 2 && p[0] == 0xc2 && p[1] < 0xa0;
}

/*
 * Walks s a UTF-8 character at a time: an invalid byte becomes U+FFFD,
 * every valid character (len bytes at p) goes to one().
 */
static void each_char(struct buf *out, const char *s,
		      void (*one)(struct buf *, const unsigned char *, size_t))
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	while (n) {
		size_t len = utf8_len(p, n);

		if (!len) {
			buf_adds(out, replacement);
			len = 1;
		} else {
			one(out, p, len);
		}
		p += len;
		n -= len;
	}
}

static void text_char(struct buf *out, const unsigned char *p, size_t len)
{
	if (*p < 0x20 || *p == 0x7f)
		buf_addf(out, "\\x%02x", *p);
	else if (is_c1(p, len))
		buf_addf(out, "\\x%02x", p[1]);
	else
		buf_add(out, p, len);
}

void escape_text(struct buf *out, const char *s)
{
	each_char(out, s, text_char);
}

static void same_char(struct buf *out, const unsigned char *p, size_t len)
{
	buf_add(out, p, len);
}

/* 1 when s is valid UTF-8 throughout (most text: nothing to copy). */
static int utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;

	for (; n; p += len, n -= len)
		if (!(len = utf8_len(p, n)))
			return 0;
	return 1;
}

/* s with invalid UTF-8 replaced (control characters kept: JSON escapes). */
static void valid_utf8(struct buf *out, const char *s)
{
	each_char(out, s, same_char);
}

cJSON *json_text(const char *s)
{
	struct buf b = BUF_INIT;
	cJSON *j;

	if (!s)
		return cJSON_CreateNull();
	if (utf8_valid(s))
		return cJSON_CreateString(s);
	valid_utf8(&b, s);
	j = cJSON_CreateString(b.buf);
	buf_release(&b);
	return j;
}

void json_add_text(cJSON *o, const char *key, const char *s)
{
	cJSON_AddItemToObject(o, key, json_text(s));
}

cJSON *json_int(int64_t v)
{
	char txt[24];
	cJSON *j;

	snprintf(txt, sizeof(txt), "%lld", (long long)v);
	j = cJSON_CreateRaw(txt);
	if (!j)
		alloc_failed(0);
	return j;
}

void json_add_int(cJSON *o, const char *key, int64_t v)
{
	cJSON_AddItemToObject(o, key, json_int(v));
}

void json_print(const cJSON *json, int pretty, struct buf *out)
{
	char *txt = pretty ? cJSON_Print(json) : cJSON_PrintUnformatted(json);

	if (!txt)
		alloc_failed(0);
	buf_adds(out, txt);
	buf_addch(out, '\n');
	cJSON_free(txt);
}

static void html_char(struct buf *out, const unsigned char *p, size_t len)
{
	switch (*p) {
	case '&': buf_adds(out, "&amp;"); break;
	case '<': buf_adds(out, "&lt;"); break;
	case '>': buf_adds(out, "&gt;"); break;
	case '"': buf_adds(out, "&quot;"); break;
	case '\'': buf_adds(out, "&#39;"); break;
	default:
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f ||
		    is_c1(p, len))
			buf_addch(out, ' ');
		else
			buf_add(out, p, len);
	}
}

void escape_html(struct buf *out, const char *s)
{
	each_char(out, s, html_char);
}

void escape_csv_cell(struct buf *out, const char *s)
{
	struct buf t = BUF_INIT;
	int formula = s[0] && strchr("=+-@\t\r", s[0]);
	const char *p;

	/* A leading tab or CR is defused by the quote, not made visible. */
	if (formula && (s[0] == '\t' || s[0] == '\r')) {
		buf_addch(&t, s[0]);
		escape_text(&t, s + 1);
	} else {
		escape_text(&t, s);
	}
	if (!formula && !t.buf[strcspn(t.buf, ",\"\r\n")]) {
		buf_add(out, t.buf, t.len);
		buf_release(&t);
		return;
	}
	buf_addch(out, '"');
	if (formula)
		buf_addch(out, '\'');
	for (p = t.buf; *p; p++) {
		if (*p == '"')
			buf_addch(out, '"');
		buf_addch(out, *p);
	}
	buf_addch(out, '"');
	buf_release(&t);
}

void escape_md(struct buf *out, const char *s)
{
	struct buf t = BUF_INIT;
	const char *p;

	escape_text(&t, s);
	for (p = t.buf; *p; p++) {
		if (strchr("\\`*_[]<>|~&!#", *p))
			buf_addch(out, '\\');
		buf_addch(out, *p);
	}
	buf_release(&t);
}

void escape_md_code(struct buf *out, const char *s)
{
	struct buf t = BUF_INIT;

	escape_text(&t, s);
	if (!t.len || strchr(t.buf, '`') || strchr(t.buf, '|') ||
	    strchr(t.buf, '\\'))
		escape_md(out, s);
	else
		buf_addf(out, "`%s`", t.buf);
	buf_release(&t);
}

void escape_shell(struct buf *out, const char *s)
{
	buf_addch(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_adds(out, "'\\''");
		else
			buf_addch(out, *s);
	}
	buf_addch(out, '\'');
}

void escape_quoted(struct buf *out, const char *s, size_t n, size_t max)
{
	size_t i;

	for (i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\'')
			buf_addch(out, c);
		else
			buf_addf(out, "\\x%02x", c);
	}
	if (n > max)
		buf_adds(out, "...");
}

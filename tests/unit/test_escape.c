/*
 * Unit tests for escape: every way text leaves erasectl (terminal, JSON,
 * HTML, CSV, Markdown, shell, quoted input), each written once. Invalid
 * UTF-8 becomes U+FFFD everywhere; control characters never reach a
 * terminal or a spreadsheet as such.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "escape.h"
#include "fixture.h"

#define FFFD "\xef\xbf\xbd"

/* The escaped form of s by fn, compared with want. */
static void check(void (*fn)(struct buf *, const char *), const char *s,
		  const char *want)
{
	struct buf b = BUF_INIT;

	fn(&b, s);
	if (strcmp(b.buf, want))
		fail_msg("escaped '%s' is '%s', want '%s'", s, b.buf, want);
	buf_release(&b);
}

static void utf8_lengths(void **state)
{
	static const struct { const char *s; size_t len; } cases[] = {
		{ "a", 1 },
		{ "\xc3\xa9", 2 },		/* é */
		{ "\xe2\x82\xac", 3 },		/* € */
		{ "\xf0\x9f\x98\x80", 4 },	/* U+1F600 */
		{ "\xf4\x8f\xbf\xbf", 4 },	/* U+10FFFF */
		{ "\xc2\x9b", 2 },		/* C1 CSI: valid UTF-8 */
		{ "\xc0\x80", 0 },		/* overlong NUL */
		{ "\xc1\xbf", 0 },		/* overlong */
		{ "\xe0\x80\xaf", 0 },		/* overlong '/' */
		{ "\xf0\x80\x80\xaf", 0 },	/* overlong '/' */
		{ "\xed\xa0\x80", 0 },		/* surrogate D800 */
		{ "\xf4\x90\x80\x80", 0 },	/* past U+10FFFF */
		{ "\xf5\x80\x80\x80", 0 },
		{ "\x80", 0 },			/* lone continuation */
		{ "\xff", 0 },
		{ "\xc3", 0 },			/* truncated */
		{ "\xe2\x82", 0 },
		{ "\xc3(", 0 },			/* bad continuation */
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(utf8_len((const unsigned char *)cases[i].s,
					  strlen(cases[i].s)), cases[i].len);
	/* n bounds the read even inside a longer string. */
	assert_int_equal(utf8_len((const unsigned char *)"\xe2\x82\xac", 2), 0);
	assert_int_equal(utf8_len((const unsigned char *)"", 0), 0);
}

static void terminal_text(void **state)
{
	(void)state;
	check(escape_text, "plain text, caf\xc3\xa9 \xe2\x82\xac",
	      "plain text, caf\xc3\xa9 \xe2\x82\xac");
	/* C0 controls: escape sequences, bell, newline, tab, CR. */
	check(escape_text, "a\x1b[2Jb", "a\\x1b[2Jb");
	check(escape_text, "\a\t\n\r", "\\x07\\x09\\x0a\\x0d");
	check(escape_text, "x\x7fy", "x\\x7fy");
	/* C1 controls (U+0080..U+009F) too: CSI, NEL, OSC. */
	check(escape_text, "a\xc2\x9b" "31mb", "a\\x9b31mb");
	check(escape_text, "\xc2\x85\xc2\x9d\xc2\x80", "\\x85\\x9d\\x80");
	/* U+00A0 is the first character past them: kept. */
	check(escape_text, "\xc2\xa0", "\xc2\xa0");
	/* Invalid UTF-8: one U+FFFD per bad byte. */
	check(escape_text, "a\xff" "b", "a" FFFD "b");
	check(escape_text, "\xc0\x80", FFFD FFFD);
	check(escape_text, "end\xc3", "end" FFFD);
	check(escape_text, "\xed\xa0\x80", FFFD FFFD FFFD);
	check(escape_text, "", "");
}

/* json_text(s) printed compactly, without the final newline. */
static void json_of(const char *s, struct buf *out)
{
	cJSON *j = json_text(s);

	assert_non_null(j);
	buf_reset(out);
	json_print(j, 0, out);
	assert_true(out->len > 0 && out->buf[out->len - 1] == '\n');
	buf_setlen(out, out->len - 1);
	cJSON_Delete(j);
}

static void json_strings(void **state)
{
	struct buf b = BUF_INIT;
	cJSON *o, *back;

	(void)state;
	json_of("q\"\\\n\x01\xc3", &b);
	assert_string_equal(b.buf, "\"q\\\"\\\\\\n\\u0001" FFFD "\"");
	json_of("caf\xc3\xa9 \xff\xfe", &b);
	assert_string_equal(b.buf, "\"caf\xc3\xa9 " FFFD FFFD "\"");
	/* Whatever went in, what comes out parses, as valid UTF-8. */
	back = cJSON_Parse(b.buf);
	assert_true(cJSON_IsString(back));
	assert_string_equal(back->valuestring, "caf\xc3\xa9 " FFFD FFFD);
	cJSON_Delete(back);
	json_of(NULL, &b);
	assert_string_equal(b.buf, "null");

	o = cJSON_CreateObject();
	json_add_text(o, "a", "\xc0\xaf");
	json_add_text(o, "b", NULL);
	buf_reset(&b);
	json_print(o, 0, &b);
	assert_string_equal(b.buf, "{\"a\":\"" FFFD FFFD "\",\"b\":null}\n");
	buf_reset(&b);
	json_print(o, 1, &b);
	assert_non_null(strchr(b.buf, '\t'));
	back = cJSON_Parse(b.buf);
	assert_non_null(back);
	cJSON_Delete(back);
	cJSON_Delete(o);
	buf_release(&b);
}

static void html(void **state)
{
	(void)state;
	check(escape_html, "<a href='x'>&\xff",
	      "&lt;a href=&#39;x&#39;&gt;&amp;" FFFD);
	check(escape_html, "\"quoted\"", "&quot;quoted&quot;");
	check(escape_html, "<script>alert(1)</script>",
	      "&lt;script&gt;alert(1)&lt;/script&gt;");
	/* Controls (C0 but newline and tab, DEL, C1) become spaces. */
	check(escape_html, "a\x1b" "b\x7f" "c\xc2\x9b" "d", "a b c d");
	check(escape_html, "a\nb\tc", "a\nb\tc");
	check(escape_html, "caf\xc3\xa9", "caf\xc3\xa9");
	check(escape_html, "\xed\xa0\x80", FFFD FFFD FFFD);
}

static void csv_cells(void **state)
{
	(void)state;
	check(escape_csv_cell, "plain", "plain");
	check(escape_csv_cell, "", "");
	check(escape_csv_cell, "a,b", "\"a,b\"");
	check(escape_csv_cell, "say \"hi\"", "\"say \"\"hi\"\"\"");
	/* Line breaks inside a cell are made visible (terminal-safe). */
	check(escape_csv_cell, "say \"hi\"\nbye",
	      "\"say \"\"hi\"\"\\x0abye\"");
	check(escape_csv_cell, "one\r\ntwo", "one\\x0d\\x0atwo");
	/* Formulas: a leading ' inside quotes, so spreadsheets show text. */
	check(escape_csv_cell, "=HYPERLINK(\"http://x\",\"y\")",
	      "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
	check(escape_csv_cell, "=1+1", "\"'=1+1\"");
	check(escape_csv_cell, "+1", "\"'+1\"");
	check(escape_csv_cell, "-2", "\"'-2\"");
	check(escape_csv_cell, "-", "\"'-\"");
	check(escape_csv_cell, "@SUM(A1)", "\"'@SUM(A1)\"");
	/* A leading tab or CR is defused by the quote and kept as is. */
	check(escape_csv_cell, "\tx", "\"'\tx\"");
	check(escape_csv_cell, "\rx", "\"'\rx\"");
	check(escape_csv_cell, "\t=cmd\x1b", "\"'\t=cmd\\x1b\"");
	/* Not at the start: no formula. */
	check(escape_csv_cell, "a=b-c", "a=b-c");
	/* Controls and invalid UTF-8 as in terminal text. */
	check(escape_csv_cell, "a\xc2\x9b" "b\xff", "a\\x9bb" FFFD);
}

static void markdown(void **state)
{
	(void)state;
	check(escape_md, "plain text", "plain text");
	check(escape_md, "a|b", "a\\|b");
	check(escape_md, "*bold* _em_ `code`",
	      "\\*bold\\* \\_em\\_ \\`code\\`");
	check(escape_md, "<script>&amp;", "\\<script\\>\\&amp;");
	check(escape_md, "[link](http://x) ![img](y) #1 ~x~",
	      "\\[link\\](http://x) \\!\\[img\\](y) \\#1 \\~x\\~");
	check(escape_md, "back\\slash", "back\\\\slash");
	/* One line: a newline is shown as \x0a, its backslash escaped. */
	check(escape_md, "a\nb", "a\\\\x0ab");
	check(escape_md, "\x1b[1m", "\\\\x1b\\[1m");
	check(escape_md, "\xff", FFFD);

	check(escape_md_code, "abc123", "`abc123`");
	check(escape_md_code, "a*b_c", "`a*b_c`");
	/* What a code span cannot hold falls back to escaped text. */
	check(escape_md_code, "a`b", "a\\`b");
	check(escape_md_code, "a|b", "a\\|b");
	check(escape_md_code, "a\\b", "a\\\\b");
	check(escape_md_code, "x\x01", "x\\\\x01");
	check(escape_md_code, "", "");
}

static void shell_words(void **state)
{
	(void)state;
	check(escape_shell, "erasectl.db", "'erasectl.db'");
	check(escape_shell, "", "''");
	check(escape_shell, "/tmp/it's.db", "'/tmp/it'\\''s.db'");
	check(escape_shell, "$(rm -rf /) `x` \"y\" \\z",
	      "'$(rm -rf /) `x` \"y\" \\z'");
	check(escape_shell, "''", "''\\'''\\'''");
}

static void quoted_input(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	escape_quoted(&b, "ab'c\x01\xff", 6, 40);
	assert_string_equal(b.buf, "ab\\x27c\\x01\\xff");
	buf_reset(&b);
	/* n bytes, NULs included; cut after max with "...". */
	escape_quoted(&b, "x\0y", 3, 40);
	assert_string_equal(b.buf, "x\\x00y");
	buf_reset(&b);
	escape_quoted(&b, "abcdefgh", 8, 3);
	assert_string_equal(b.buf, "abc...");
	buf_reset(&b);
	escape_quoted(&b, "caf\xc3\xa9", 5, 40);
	assert_string_equal(b.buf, "caf\\xc3\\xa9");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_lengths),
		cmocka_unit_test(terminal_text),
		cmocka_unit_test(json_strings),
		cmocka_unit_test(html),
		cmocka_unit_test(csv_cells),
		cmocka_unit_test(markdown),
		cmocka_unit_test(shell_words),
		cmocka_unit_test(quoted_input),
	};

	return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}

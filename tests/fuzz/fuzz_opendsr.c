/*
 * Fuzzes OpenDSR JSON intake, with two derived inputs per document that
 * pin what intake promises about ambiguous JSON:
 *
 * - every object of the document given a repeated key (cJSON keeps both
 *   values and a lookup sees only the first): no request may come out,
 *   whether the repeated keys are inside the requests only (row errors)
 *   or also at the top of the document (a document error);
 * - a \u0000 escape put into a string (cJSON would cut the string there
 *   and queue a prefix of it): the document is refused whole.
 *
 * And for the input itself: a document that holds a \u0000 escape is
 * refused, with nothing handed out.
 */
#include <cjson/cJSON.h>

#include "fuzz_intake.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif
int FUZZ_ENTRY(const uint8_t *data, size_t size);

/* Parses the whole input as one JSON value (NULL if it is not exactly). */
static cJSON *fo_parse_whole(const uint8_t *data, size_t size)
{
	const char *end = NULL;
	cJSON *doc = cJSON_ParseWithLengthOpts((const char *)data, size, &end,
					       0);

	if (!doc)
		return NULL;
	while (end && end < (const char *)data + size &&
	       strchr(" \t\r\n", *end) && *end)
		end++;
	if (!end || end != (const char *)data + size) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

/*
 * 1 when text (valid JSON, so every backslash is in a string) holds a
 * \u0000 escape: "\u0000" after an odd run of backslashes.
 */
static int fo_has_nul_escape(const char *s, size_t n)
{
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\') {
			run++;
			continue;
		}
		if (run % 2 && s[i] == 'u' && i + 4 < n &&
		    !memcmp(s + i + 1, "0000", 4))
			return 1;
		run = 0;
	}
	return 0;
}

/*
 * Gives every non-empty object from depth from_depth on a second member
 * named like its first.
 */
static void fo_repeat_keys(cJSON *j, int depth, int from_depth)
{
	cJSON *c;

	if (depth > 200)
		return;
	for (c = j->child; c; c = c->next)
		fo_repeat_keys(c, depth + 1, from_depth);
	if (depth >= from_depth && cJSON_IsObject(j) && j->child &&
	    j->child->string)
		cJSON_AddNullToObject(j, j->child->string);
}

/* The first string value in j, depth first, or NULL. */
static cJSON *fo_first_string(cJSON *j, int depth)
{
	cJSON *c, *s;

	if (cJSON_IsString(j))
		return j;
	if (depth > 200)
		return NULL;
	for (c = j->child; c; c = c->next)
		if ((s = fo_first_string(c, depth + 1)))
			return s;
	return NULL;
}

static void fo_run_text(const char *text, struct fuzz_intake_out *out)
{
	fuzz_intake_run((const uint8_t *)text, strlen(text), INTAKE_OPENDSR,
			out);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct fuzz_intake_out out;
	cJSON *doc, *s;
	char *text;

	fuzz_intake_run(data, size, INTAKE_OPENDSR, &out);
	doc = fo_parse_whole(data, size);
	if (!doc)
		return 0;
	if (fo_has_nul_escape((const char *)data, size))
		fuzz_check(out.rc == -1 && out.rows == 0);
	if (!cJSON_IsObject(doc) && !cJSON_IsArray(doc)) {
		cJSON_Delete(doc);
		return 0;
	}

	/* A string holding \u0000: refused whole. */
	s = fo_first_string(doc, 0);
	if (s && cJSON_SetValuestring(s, "\x01" "NUL\x01")) {
		text = cJSON_PrintUnformatted(doc);
		if (text) {
			char *m = strstr(text, "\\u0001NUL\\u0001");

			if (m) {
				memcpy(m, "a\\u0000b", 8);
				memmove(m + 8, m + 15, strlen(m + 15) + 1);
				fo_run_text(text, &out);
				fuzz_check(out.rc == -1 && out.rows == 0);
			}
			cJSON_free(text);
		}
	}

	/*
	 * Every object with a repeated key: no request comes out. First
	 * below the top (every request refused on its own), then the top
	 * too (the document refused).
	 */
	fo_repeat_keys(doc, 0, 1);
	text = cJSON_PrintUnformatted(doc);
	if (text) {
		fo_run_text(text, &out);
		fuzz_check(out.rows == 0 && out.valid == 0);
		cJSON_free(text);
	}
	if (cJSON_IsObject(doc) && doc->child && doc->child->string) {
		cJSON_AddNullToObject(doc, doc->child->string);
		text = cJSON_PrintUnformatted(doc);
		if (text) {
			fo_run_text(text, &out);
			fuzz_check(out.rc == -1 && out.rows == 0);
			cJSON_free(text);
		}
	}
	cJSON_Delete(doc);
	return 0;
}

#include "intake.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <csv.h>

#include "buf.h"
#include "escape.h"
#include "log.h"
#include "banned.h"

enum column {
	COL_REQUEST_ID,
	COL_EMAIL,
	COL_CUSTOMER,
	COL_DEVICE_ID,
	COL_RECEIVED_AT,
	COL_PRODUCT,
	COL_SOURCE,
	NCOL,
};

static const char *const column_names[NCOL] = {
	"request_id", "email", "customer", "device_id", "received_at",
	"product", "source",
};
#define COLUMN_LIST "request_id, email, customer, device_id, received_at, " \
	"product, source"

int intake_format_parse(const char *s)
{
	if (!strcmp(s, "csv"))
		return INTAKE_CSV;
	if (!strcmp(s, "opendsr"))
		return INTAKE_OPENDSR;
	return -1;
}

/* Trims ASCII white space in place. */
static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*e = '\0';
	return s;
}

/* Free text (product, source) keeps its words on one line. */
static void flatten(char *s)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n' || *s == '\t')
			*s = ' ';
}

/* Owned copy of a raw value, trimmed; NULL when absent or empty. */
static char *raw_value(char *v, int flat)
{
	if (!v)
		return NULL;
	v = trim(v);
	if (flat)
		flatten(v);
	return *v ? xstrdup(v) : NULL;
}

/*
 * Builds one request from its raw column values (NULL: absent) and
 * validates it. Returns 0, or -1 after writing the reason to why.
 */
static int make_request(const struct intake_options *opt, char *vals[NCOL],
			struct queue_request *r, int *generated,
			struct buf *why)
{
	int i;

	for (i = 0; i < NCOL; i++)
		if (vals[i] && strlen(vals[i]) > INTAKE_FIELD_MAX) {
			buf_addf(why, "%s is longer than %d bytes",
				 column_names[i], INTAKE_FIELD_MAX);
			return -1;
		}
	r->request_id = raw_value(vals[COL_REQUEST_ID], 0);
	r->subject_email = raw_value(vals[COL_EMAIL], 0);
	r->subject_customer = raw_value(vals[COL_CUSTOMER], 0);
	r->device_id = raw_value(vals[COL_DEVICE_ID], 0);
	r->received_at = raw_value(vals[COL_RECEIVED_AT], 0);
	r->product = raw_value(vals[COL_PRODUCT], 1);
	r->source = raw_value(vals[COL_SOURCE], 1);
	return intake_validate(r, opt->rules, generated, why);
}

/*
 * Validates a row and hands it to the callback. Returns 0, or -1 when the
 * callback asks to stop.
 */
static int deliver(const struct intake_options *opt, char *vals[NCOL],
		   long line, intake_fn fn, void *data,
		   struct intake_stats *st)
{
	struct queue_request r;
	struct buf why = BUF_INIT;
	int ret = 0, rc, generated = 0;

	queue_request_init(&r);
	if (make_request(opt, vals, &r, &generated, &why)) {
		error("%s:%ld: %s", opt->name, line, why.buf);
		st->invalid++;
		goto out;
	}
	rc = fn(&r, generated, opt->name, line, data);
	if (rc < 0)
		ret = -1;
	else if (rc > 0)
		st->invalid++;
	else
		st->valid++;
out:
	queue_request_release(&r);
	buf_release(&why);
	return ret;
}

/* ---- CSV ---- */

struct csv_state {
	const struct intake_options *opt;
	intake_fn fn;
	void *data;
	struct intake_stats *st;

	long line;		/* physical line being fed (1-based) */
	long rec_line;		/* line on which the open record started */
	int rec_open;
	int fatal;		/* stop: a message was printed */
	int header_done;
	long header_line;
	long rows;		/* data records seen */

	int *col_of;		/* header position -> enum column, per field */
	size_t ncols;
	struct buf *fields;	/* this record's first ncols fields */
	size_t nfields;
	int field_has_nul;
};

static void csv_start_record(struct csv_state *s)
{
	if (!s->rec_open) {
		s->rec_open = 1;
		s->rec_line = s->line;
	}
}

static void csv_header_field(struct csv_state *s, const char *f, size_t len)
{
	struct buf name = BUF_INIT;
	size_t i;
	int c, col = -1;

	buf_add(&name, f, len);
	buf_trim(&name);
	for (i = 0; i < name.len; i++)
		name.buf[i] = (char)tolower((unsigned char)name.buf[i]);
	for (c = 0; c < NCOL; c++)
		if (name.len == strlen(column_names[c]) &&
		    !memcmp(name.buf, column_names[c], name.len))
			col = c;
	if (col < 0) {
		struct buf esc = BUF_INIT;

		escape_quoted(&esc, name.buf, name.len, 40);
		if (!name.len)
			error("%s:%ld: header column %zu has no name",
			      s->opt->name, s->rec_line, s->ncols + 1);
		else if (memchr(name.buf, '@', name.len))
			error("%s:%ld: unknown column %zu, which looks like an "
			      "email address: is the header row missing? (it "
			      "names the columns: " COLUMN_LIST ")", s->opt->name,
			      s->rec_line, s->ncols + 1);
		else
			error("%s:%ld: unknown column '%s' (known: "
			      COLUMN_LIST ")", s->opt->name, s->rec_line,
			      esc.buf);
		buf_release(&esc);
		s->fatal = 1;
		goto out;
	}
	for (i = 0; i < s->ncols; i++)
		if (s->col_of[i] == col) {
			error("%s:%ld: column '%s' appears twice in the header",
			      s->opt->name, s->rec_line, column_names[col]);
			s->fatal = 1;
			goto out;
		}
	s->col_of = xrealloc(s->col_of, (s->ncols + 1) * sizeof(*s->col_of));
	s->col_of[s->ncols++] = col;
out:
	buf_release(&name);
}

static void csv_on_field(void *f, size_t len, void *data)
{
	struct csv_state *s = data;

	if (s->fatal)
		return;
	csv_start_record(s);
	if (!f)
		len = 0;
	if (len > INTAKE_FIELD_MAX) {
		error("%s:%ld: a field is longer than %d bytes",
		      s->opt->name, s->rec_line, INTAKE_FIELD_MAX);
		s->fatal = 1;
		return;
	}
	if (!s->header_done) {
		csv_header_field(s, f ? f : "", len);
		return;
	}
	if (len && memchr(f, '\0', len))
		s->field_has_nul = 1;
	if (s->nfields < s->ncols) {
		buf_reset(&s->fields[s->nfields]);
		buf_add(&s->fields[s->nfields], f ? f : "", len);
	}
	s->nfields++;
}

static void csv_on_record(int term, void *data)
{
	struct csv_state *s = data;
	char *vals[NCOL] = { NULL };
	size_t i;

	(void)term;
	if (s->fatal)
		return;
	csv_start_record(s);
	s->rec_open = 0;
	if (!s->header_done) {
		int has_subject = 0;

		for (i = 0; i < s->ncols; i++)
			if (s->col_of[i] == COL_EMAIL ||
			    s->col_of[i] == COL_CUSTOMER ||
			    s->col_of[i] == COL_DEVICE_ID)
				has_subject = 1;
		if (!has_subject) {
			error("%s:%ld: the header needs an 'email', a 'customer' "
			      "or a 'device_id' column", s->opt->name,
			      s->rec_line);
			s->fatal = 1;
			return;
		}
		s->fields = xcalloc(s->ncols, sizeof(*s->fields));
		for (i = 0; i < s->ncols; i++)
			buf_init(&s->fields[i]);
		s->header_done = 1;
		s->header_line = s->rec_line;
		return;
	}
	s->rows++;
	if (s->nfields != s->ncols) {
		error("%s:%ld: row has %zu field%s, the header has %zu",
		      s->opt->name, s->rec_line, s->nfields,
		      s->nfields == 1 ? "" : "s", s->ncols);
		s->st->invalid++;
	} else if (s->field_has_nul) {
		error("%s:%ld: row contains a NUL byte", s->opt->name,
		      s->rec_line);
		s->st->invalid++;
	} else {
		for (i = 0; i < s->ncols; i++)
			vals[s->col_of[i]] = s->fields[i].buf;
		if (deliver(s->opt, vals, s->rec_line, s->fn, s->data, s->st))
			s->fatal = 1;
	}
	s->nfields = 0;
	s->field_has_nul = 0;
}

/* Feeds one piece (never past a newline); returns -1 once fatal. */
static int csv_feed(struct csv_state *s, struct csv_parser *p,
		    const char *piece, size_t n, int at_line_start)
{
	size_t i;

	/*
	 * A record starts on the first line that is not blank while none is
	 * open (libcsv skips blank lines); the first field's callback may
	 * come lines later when the field is quoted.
	 */
	if (at_line_start && !s->rec_open) {
		for (i = 0; i < n; i++)
			if (piece[i] != '\r' && piece[i] != '\n')
				break;
		if (i < n)
			csv_start_record(s);
	}
	if (csv_parse(p, piece, n, csv_on_field, csv_on_record, s) != n &&
	    !s->fatal) {
		error("%s:%ld: malformed CSV: %s", s->opt->name, s->line,
		      csv_error(p) == CSV_EPARSE ?
		      "a quote inside an unquoted field, or text after a "
		      "closing quote" : csv_strerror(csv_error(p)));
		s->fatal = 1;
	}
	if (!s->fatal && csv_get_buffer_size(p) > INTAKE_FIELD_MAX + 16384) {
		error("%s:%ld: a field is longer than %d bytes (is a quote "
		      "left open?)", s->opt->name, s->rec_line,
		      INTAKE_FIELD_MAX);
		s->fatal = 1;
	}
	if (n && piece[n - 1] == '\n')
		s->line++;
	return s->fatal ? -1 : 0;
}

static int read_csv(FILE *fp, const struct intake_options *opt,
		    intake_fn fn, void *data, struct intake_stats *st)
{
	/* Small pieces bound libcsv's buffer near INTAKE_FIELD_MAX. */
	enum { CHUNK = 65536, PIECE = 8192 };
	struct csv_state s;
	struct csv_parser p;
	char *chunk = xmalloc(CHUNK);
	int ret = 0, first = 1, at_line_start = 1;
	long total = 0;
	size_t n, i;

	memset(&s, 0, sizeof(s));
	s.opt = opt;
	s.fn = fn;
	s.data = data;
	s.st = st;
	s.line = 1;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)) {
		free(chunk);
		return error("cannot initialize the CSV parser");
	}
	while ((n = fread(chunk, 1, CHUNK, fp)) > 0) {
		const char *c = chunk;

		if (first && n >= 3 && !memcmp(c, "\xef\xbb\xbf", 3)) {
			c += 3;
			n -= 3;
		}
		first = 0;
		total += (long)n;
		for (i = 0; i < n;) {
			const char *nl = memchr(c + i, '\n', n - i);
			size_t len = nl ? (size_t)(nl - (c + i)) + 1 : n - i;

			if (len > PIECE)
				len = PIECE;
			if (csv_feed(&s, &p, c + i, len, at_line_start)) {
				ret = -1;
				goto out;
			}
			at_line_start = c[i + len - 1] == '\n';
			i += len;
		}
	}
	if (ferror(fp)) {
		ret = error("cannot read '%s': %s", opt->name, strerror(errno));
		goto out;
	}
	if (!total) {
		ret = error("%s:1: the file is empty (a header row is needed, "
			    "naming the columns: " COLUMN_LIST ")", opt->name);
		goto out;
	}
	if (csv_fini(&p, csv_on_field, csv_on_record, &s) && !s.fatal) {
		error("%s:%ld: malformed CSV: a quoted field is never closed",
		      opt->name, s.rec_line);
		s.fatal = 1;
	}
	if (s.fatal) {
		ret = -1;
	} else if (!s.header_done) {
		ret = error("%s:1: no header row found", opt->name);
	} else if (!s.rows) {
		ret = error("%s:%ld: no requests after the header",
			    opt->name, s.header_line);
	}
out:
	csv_free(&p);
	if (s.fields) {
		for (i = 0; i < s.ncols; i++)
			buf_release(&s.fields[i]);
		free(s.fields);
	}
	free(s.col_of);
	free(chunk);
	return ret;
}

/* ---- OpenDSR JSON ---- */

static long line_at(const char *text, const char *pos)
{
	long line = 1;

	for (; text < pos; text++)
		if (*text == '\n')
			line++;
	return line;
}

/*
 * Records the line of each object that is a direct element of an array
 * nested at depth want (1: a top-level array; 2: the array inside a
 * {"requests": [...]} wrapper), in document order.
 */
static void object_lines(const char *s, size_t n, int want, long **out,
			 size_t *count)
{
	char stack[64];
	size_t i, alloc = 0;
	int depth = 0, in_str = 0;
	long line = 1;

	*out = NULL;
	*count = 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\n')
			line++;
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (c == '{' && depth == want && depth > 0 &&
			    depth <= (int)sizeof(stack) &&
			    stack[depth - 1] == '[') {
				if (*count == alloc) {
					alloc = alloc ? 2 * alloc : 64;
					*out = xrealloc(*out,
							alloc * sizeof(**out));
				}
				(*out)[(*count)++] = line;
			}
			if (depth < (int)sizeof(stack))
				stack[depth] = c;
			depth++;
		} else if ((c == '}' || c == ']') && depth > 0) {
			/* Unbalanced input is cJSON's to reject, not ours. */
			depth--;
		}
	}
}

static const char *json_string(const cJSON *o, const char *key, int *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsString(v)) {
		*bad = 1;
		return NULL;
	}
	return v->valuestring;
}

/*
 * The first key that appears twice in one object anywhere in o (cJSON keeps
 * both and lookups see only the first), or NULL.
 */
static const char *duplicate_key(const cJSON *o, int deep)
{
	const cJSON *a, *b;
	const char *d;

	if (!cJSON_IsObject(o) && !cJSON_IsArray(o))
		return NULL;
	for (a = o->child; a; a = a->next) {
		if (cJSON_IsObject(o))
			for (b = a->next; b; b = b->next)
				if (a->string && b->string &&
				    !strcmp(a->string, b->string))
					return a->string;
		if (deep && (d = duplicate_key(a, 1)))
			return d;
	}
	return NULL;
}

/* The OpenDSR identity types erasectl can match, and the column each fills. */
static const struct {
	const char *type;
	enum column col;
} identity_types[] = {
	{ "email", COL_EMAIL },
	{ "controller_customer_id", COL_CUSTOMER },
};

/* Fills vals from one OpenDSR request; -1 with the reason in why. */
static int opendsr_values(const cJSON *o, char *vals[NCOL], struct buf *why)
{
	const cJSON *ids, *id;
	const char *type, *rid, *t, *dup;
	int bad = 0, found = 0;
	size_t k;

	if (!cJSON_IsObject(o)) {
		buf_adds(why, "request is not a JSON object");
		return -1;
	}
	if ((dup = duplicate_key(o, 1))) {
		buf_adds(why, "the key '");
		escape_quoted(why, dup, strlen(dup), 40);
		buf_adds(why, "' appears twice in one object (which one counts "
			 "is ambiguous)");
		return -1;
	}
	type = json_string(o, "subject_request_type", &bad);
	if (!type || strcmp(type, "erasure")) {
		buf_adds(why, "subject_request_type must be \"erasure\"");
		if (type) {
			buf_adds(why, ", not '");
			escape_quoted(why, type, strlen(type), 20);
			buf_adds(why, "'");
		}
		return -1;
	}
	rid = json_string(o, "subject_request_id", &bad);
	if (bad || !rid || !*rid) {
		buf_adds(why, "subject_request_id is missing or not a string");
		return -1;
	}
	t = json_string(o, "submitted_time", &bad);
	if (bad) {
		buf_adds(why, "submitted_time must be a string (RFC 3339)");
		return -1;
	}
	ids = cJSON_GetObjectItemCaseSensitive(o, "subject_identities");
	if (!cJSON_IsArray(ids) || !cJSON_GetArraySize(ids)) {
		buf_adds(why, "subject_identities must be a non-empty array");
		return -1;
	}
	cJSON_ArrayForEach(id, ids) {
		const char *itype, *ival, *ifmt;

		if (!cJSON_IsObject(id)) {
			buf_adds(why, "subject_identities holds a non-object");
			return -1;
		}
		itype = json_string(id, "identity_type", &bad);
		ival = json_string(id, "identity_value", &bad);
		ifmt = json_string(id, "identity_format", &bad);
		if (bad || !itype || !ival) {
			buf_adds(why, "an identity lacks a string identity_type "
				 "or identity_value");
			return -1;
		}
		for (k = 0; k < ARRAY_SIZE(identity_types); k++)
			if (!strcmp(itype, identity_types[k].type))
				break;
		if (k == ARRAY_SIZE(identity_types)) {
			buf_adds(why, "identity_type '");
			escape_quoted(why, itype, strlen(itype), 40);
			buf_adds(why, "' is not supported: only email and "
				 "controller_customer_id (a Particle customer "
				 "username) can be matched to customers");
			return -1;
		}
		if (ifmt && strcmp(ifmt, "raw")) {
			buf_adds(why, "identity_format '");
			escape_quoted(why, ifmt, strlen(ifmt), 20);
			buf_adds(why, "' is not supported: erasure needs the "
				 "raw identity, a hash cannot be matched to a "
				 "customer");
			return -1;
		}
		if (++found > 1) {
			buf_adds(why, "more than one identity (send one request "
				 "per subject)");
			return -1;
		}
		vals[identity_types[k].col] = xstrdup(ival);
	}
	vals[COL_REQUEST_ID] = xstrdup(rid);
	vals[COL_RECEIVED_AT] = t ? xstrdup(t) : NULL;
	vals[COL_SOURCE] = xstrdup("opendsr");
	return 0;
}

/*
 * The line of the first \u0000 escape inside a string (cJSON would cut the
 * string there, silently queueing a prefix of it), or 0.
 */
static long nul_escape_line(const char *s, size_t n)
{
	size_t i;
	int in_str = 0;
	long line = 1;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			line++;
		if (!in_str) {
			in_str = s[i] == '"';
			continue;
		}
		if (s[i] == '"') {
			in_str = 0;
		} else if (s[i] == '\\' && i + 1 < n) {
			if (s[i + 1] == 'u' && i + 5 < n &&
			    !strncmp(s + i + 2, "0000", 4))
				return line;
			i++;
		}
	}
	return 0;
}

static int read_opendsr(FILE *fp, const struct intake_options *opt,
			intake_fn fn, void *data, struct intake_stats *st)
{
	struct buf text = BUF_INIT;
	cJSON *doc = NULL;
	const cJSON *list = NULL, *o;
	const char *start;
	long *lines = NULL, line;
	size_t nlines = 0, idx = 0, n;
	char chunk[65536];
	int ret = 0, i;

	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (text.len + n > (size_t)INTAKE_JSON_MAX) {
			ret = error("%s: larger than %ld MiB; split it",
				    opt->name, INTAKE_JSON_MAX >> 20);
			goto out;
		}
		buf_add(&text, chunk, n);
	}
	if (ferror(fp)) {
		ret = error("cannot read '%s': %s", opt->name, strerror(errno));
		goto out;
	}
	start = text.buf;
	if (text.len >= 3 && !memcmp(start, "\xef\xbb\xbf", 3))
		start += 3;
	n = text.len - (size_t)(start - text.buf);
	if (!n) {
		ret = error("%s:1: the file is empty", opt->name);
		goto out;
	}
	if ((line = nul_escape_line(start, n))) {
		ret = error("%s:%ld: a string holds \\u0000 (a NUL character): "
			    "refusing the document", opt->name, line);
		goto out;
	}
	doc = cJSON_ParseWithLength(start, n);
	if (!doc) {
		const char *at = cJSON_GetErrorPtr();

		ret = error("%s:%ld: malformed JSON", opt->name,
			    at && at >= start && at <= start + n ?
			    line_at(start, at) : 1L);
		goto out;
	}
	if (cJSON_IsArray(doc)) {
		list = doc;
		object_lines(start, n, 1, &lines, &nlines);
	} else if (cJSON_IsObject(doc) && duplicate_key(doc, 0)) {
		struct buf key = BUF_INIT;
		const char *d = duplicate_key(doc, 0);

		escape_quoted(&key, d, strlen(d), 40);
		ret = error("%s:1: the key '%s' appears twice in the top-level "
			    "object", opt->name, key.buf);
		buf_release(&key);
		goto out;
	} else if (cJSON_IsObject(doc) &&
		   cJSON_GetObjectItemCaseSensitive(doc, "requests")) {
		list = cJSON_GetObjectItemCaseSensitive(doc, "requests");
		if (!cJSON_IsArray(list)) {
			ret = error("%s:1: \"requests\" must be an array",
				    opt->name);
			goto out;
		}
		object_lines(start, n, 2, &lines, &nlines);
	} else if (!cJSON_IsObject(doc)) {
		ret = error("%s:1: expected an OpenDSR request object, an "
			    "array of them or {\"requests\": [...]}",
			    opt->name);
		goto out;
	}

	if (list && !cJSON_GetArraySize(list)) {
		ret = error("%s:1: no requests in the document", opt->name);
		goto out;
	}
	for (o = list ? list->child : doc; o; o = list ? o->next : NULL) {
		char *vals[NCOL] = { NULL };
		struct buf why = BUF_INIT;

		/* Objects map to recorded lines in order; others: line 1. */
		line = 1;
		if (!list)
			line = line_at(start, start + strspn(start, " \t\r\n"));
		else if (cJSON_IsObject(o) && idx < nlines)
			line = lines[idx++];
		if (opendsr_values(o, vals, &why)) {
			error("%s:%ld: %s", opt->name, line, why.buf);
			st->invalid++;
		} else if (deliver(opt, vals, line, fn, data, st)) {
			ret = -1;
		}
		for (i = 0; i < NCOL; i++)
			free(vals[i]);
		buf_release(&why);
		if (ret)
			break;
	}
out:
	cJSON_Delete(doc);
	free(lines);
	buf_release(&text);
	return ret;
}

int intake_read(FILE *fp, const struct intake_options *opt, intake_fn fn,
		void *data, struct intake_stats *st)
{
	st->valid = st->invalid = 0;
	if (opt->format == INTAKE_OPENDSR)
		return read_opendsr(fp, opt, fn, data, st);
	return read_csv(fp, opt, fn, data, st);
}

#include "intake.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <csv.h>

#include "buf.h"
#include "log.h"
#include "banned.h"

enum column {
	COL_REQUEST_ID,
	COL_EMAIL,
	COL_DEVICE_ID,
	COL_RECEIVED_AT,
	COL_PRODUCT,
	COL_SOURCE,
	NCOL,
};

static const char *const column_names[NCOL] = {
	"request_id", "email", "device_id", "received_at", "product", "source",
};

int intake_format_parse(const char *s)
{
	if (!strcmp(s, "csv"))
		return INTAKE_CSV;
	if (!strcmp(s, "opendsr"))
		return INTAKE_OPENDSR;
	return -1;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

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

const char *intake_check_text(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, l;

	if (n > max)
		return "is too long";
	while (i < n) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return "contains a control character";
		l = utf8_len(p + i, n - i);
		if (!l)
			return "is not valid UTF-8";
		i += l;
	}
	return NULL;
}

const char *intake_check_reason(const char *s)
{
	const char *bad;

	if (!s || !*s || strspn(s, " \t") == strlen(s))
		return "the reason is empty";
	bad = intake_check_text(s, 500);
	if (bad)
		return strlen(s) > 500 ? "the reason is longer than 500 bytes" :
		       "the reason contains control characters or invalid "
		       "UTF-8";
	if (strchr(s, '@'))
		return "the reason must not contain an email address (it is "
		       "written to the ledger, which holds no personal data)";
	return NULL;
}

const char *intake_check_email(const char *e)
{
	const char *at = strchr(e, '@'), *p, *dot;
	size_t n = strlen(e);

	if (!n)
		return "is empty";
	if (n > 254)
		return "is longer than 254 characters";
	if (intake_check_text(e, 254))
		return "contains control characters or invalid UTF-8";
	for (p = e; *p; p++)
		if (*p == ' ' || *p == '\t' || strchr(",;:<>()[]\\\"", *p))
			return "contains a space or a character not allowed "
			       "in an address";
	if (!at)
		return "has no '@'";
	if (strchr(at + 1, '@'))
		return "has more than one '@'";
	if (at == e)
		return "has an empty local part";
	if (at - e > 64)
		return "has a local part longer than 64 characters";
	p = at + 1;
	dot = strrchr(p, '.');
	if (!*p || !dot || dot == p || !dot[1] || *p == '.' || *p == '-' ||
	    strstr(p, ".."))
		return "has no plausible domain (like example.com)";
	for (; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' &&
		    (unsigned char)*p < 0x80)
			return "has a character not allowed in a domain";
	return NULL;
}

const char *intake_check_device_id(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!isxdigit((unsigned char)s[i]))
			return "device_id must be 24 hexadecimal digits";
	if (i != 24)
		return "device_id must be 24 hexadecimal digits";
	return NULL;
}

const char *intake_check_request_id(const char *s)
{
	size_t i, n = strlen(s);

	if (!n)
		return "request_id is empty";
	if (n > 128)
		return "request_id is longer than 128 characters";
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e)
			return "request_id must be printable ASCII";
		if (c == '@')
			return "request_id must not contain '@' (it is "
			       "written to the ledger, which holds no "
			       "personal data)";
	}
	if (s[0] == ' ' || s[n - 1] == ' ')
		return "request_id must not start or end with a space";
	return NULL;
}

long intake_days_from_civil(int y, int m, int d)
{
	/* H. Hinnant's days_from_civil, exact for the proleptic calendar. */
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void intake_civil_from_days(long z, int *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* Reads exactly n digits at *s; -1 if they are not all there. */
static int digits(const char **s, int n)
{
	int v = 0;

	while (n--) {
		if (!isdigit((unsigned char)**s))
			return -1;
		v = v * 10 + (*(*s)++ - '0');
	}
	return v;
}

int intake_parse_time(const char *s, time_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
	long long t;

	y = digits(&s, 4);
	if (y < 1970 || *s++ != '-')
		return -1;
	mo = digits(&s, 2);
	if (mo < 1 || mo > 12 || *s++ != '-')
		return -1;
	d = digits(&s, 2);
	if (d < 1 || d > days_in_month(y, mo))
		return -1;
	if (*s == 'T' || *s == 't' || (*s == ' ' && s[1])) {
		s++;
		h = digits(&s, 2);
		if (h < 0 || h > 23 || *s++ != ':')
			return -1;
		mi = digits(&s, 2);
		if (mi < 0 || mi > 59)
			return -1;
		if (*s == ':') {
			s++;
			sec = digits(&s, 2);
			/* A leap second counts as the last second. */
			if (sec < 0 || sec > 60)
				return -1;
			if (sec == 60)
				sec = 59;
			if (*s == '.' || *s == ',') {
				s++;
				if (!isdigit((unsigned char)*s))
					return -1;
				while (isdigit((unsigned char)*s))
					s++;
			}
		}
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			int sign = *s++ == '-' ? -1 : 1, oh, om;

			oh = digits(&s, 2);
			if (*s == ':')
				s++;
			om = digits(&s, 2);
			if (oh < 0 || oh > 23 || om < 0 || om > 59)
				return -1;
			off = sign * (oh * 60 + om) * 60;
		}
	}
	if (*s)
		return -1;
	t = (long long)intake_days_from_civil(y, mo, d) * 86400 +
	    h * 3600 + mi * 60 + sec - off;
	/* 1970 to 9999-12-31T23:59:59Z: what the stored form can hold. */
	if (t < 0 || t > 253402300799LL)
		return -1;
	*out = (time_t)t;
	return 0;
}

void intake_format_time(time_t t, char out[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
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

/*
 * Validates one request given its raw column values (NULL: absent) and
 * fills r. Returns 0, or -1 after writing the reason to why.
 */
static int make_request(const struct intake_options *opt, char *vals[NCOL],
			struct queue_request *r, int *generated,
			struct buf *why)
{
	char *v[NCOL], uuid[37], ts[21];
	const char *bad;
	time_t t;
	int i;

	for (i = 0; i < NCOL; i++)
		v[i] = vals[i] ? trim(vals[i]) : NULL;
	for (i = 0; i < NCOL; i++)
		if (v[i] && strlen(v[i]) > INTAKE_FIELD_MAX) {
			buf_addf(why, "%s is longer than %d bytes",
				 column_names[i], INTAKE_FIELD_MAX);
			return -1;
		}

	if (v[COL_EMAIL] && *v[COL_EMAIL]) {
		r->subject_email = email_normalize(v[COL_EMAIL]);
		bad = intake_check_email(r->subject_email);
		if (bad) {
			buf_addf(why, "row has an invalid email address (it "
				 "%s)", bad);
			return -1;
		}
		if (opt->key) {
			char ref[SHA256_HEX_LEN + 1];

			if (subject_ref_of_email(opt->key, r->subject_email,
						 ref)) {
				buf_adds(why, "cannot compute subject_ref");
				return -1;
			}
			r->subject_ref = xstrdup(ref);
		}
	}
	if (v[COL_DEVICE_ID] && *v[COL_DEVICE_ID]) {
		char *p;

		bad = intake_check_device_id(v[COL_DEVICE_ID]);
		if (bad) {
			buf_addf(why, "%s", bad);
			return -1;
		}
		r->device_id = xstrdup(v[COL_DEVICE_ID]);
		for (p = r->device_id; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	if (!r->subject_email && !r->device_id) {
		buf_adds(why, "row has neither an email nor a device_id");
		return -1;
	}

	if (v[COL_REQUEST_ID] && *v[COL_REQUEST_ID]) {
		bad = intake_check_request_id(v[COL_REQUEST_ID]);
		if (bad) {
			buf_adds(why, bad);
			return -1;
		}
		r->request_id = xstrdup(v[COL_REQUEST_ID]);
	} else {
		*generated = 1;
		if (digest_uuid4(uuid)) {
			buf_adds(why, "cannot generate a request id");
			return -1;
		}
		r->request_id = xstrdup(uuid);
	}

	t = opt->now;
	if (v[COL_RECEIVED_AT] && *v[COL_RECEIVED_AT]) {
		if (intake_parse_time(v[COL_RECEIVED_AT], &t)) {
			buf_adds(why, "received_at is not an ISO 8601 date "
				 "(2026-11-01) or date-time "
				 "(2026-11-01T10:00:00Z)");
			return -1;
		}
		/* A day of slack for clocks and time zones. */
		if (t > opt->now + 86400) {
			buf_adds(why, "received_at is in the future");
			return -1;
		}
	}
	intake_format_time(t, ts);
	r->received_at = xstrdup(ts);

	if (v[COL_PRODUCT] && *v[COL_PRODUCT]) {
		flatten(v[COL_PRODUCT]);
		bad = intake_check_text(v[COL_PRODUCT], 128);
		if (bad) {
			buf_addf(why, "product %s%s", bad,
				 strlen(v[COL_PRODUCT]) > 128 ?
				 " (at most 128 bytes)" : "");
			return -1;
		}
		r->product = xstrdup(v[COL_PRODUCT]);
	}
	if (v[COL_SOURCE] && *v[COL_SOURCE]) {
		flatten(v[COL_SOURCE]);
		bad = intake_check_text(v[COL_SOURCE], 256);
		if (bad) {
			buf_addf(why, "source %s%s", bad,
				 strlen(v[COL_SOURCE]) > 256 ?
				 " (at most 256 bytes)" : "");
			return -1;
		}
		r->source = xstrdup(v[COL_SOURCE]);
	}
	return 0;
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

/* Appends s for a message: printable ASCII as is, the rest as \xNN. */
static void add_escaped(struct buf *b, const char *s, size_t n, size_t max)
{
	size_t i;

	for (i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\'')
			buf_addch(b, c);
		else
			buf_addf(b, "\\x%02x", c);
	}
	if (n > max)
		buf_adds(b, "...");
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

		add_escaped(&esc, name.buf, name.len, 40);
		if (!name.len)
			error("%s:%ld: header column %zu has no name",
			      s->opt->name, s->rec_line, s->ncols + 1);
		else if (memchr(name.buf, '@', name.len))
			error("%s:%ld: unknown column %zu, which looks like an "
			      "email address: is the header row missing? (it "
			      "names the columns: request_id, email, device_id, "
			      "received_at, product, source)", s->opt->name,
			      s->rec_line, s->ncols + 1);
		else
			error("%s:%ld: unknown column '%s' (known: request_id, "
			      "email, device_id, received_at, product, source)",
			      s->opt->name, s->rec_line, esc.buf);
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
			    s->col_of[i] == COL_DEVICE_ID)
				has_subject = 1;
		if (!has_subject) {
			error("%s:%ld: the header needs an 'email' or a "
			      "'device_id' column", s->opt->name, s->rec_line);
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
		ret = error("%s:1: the file is empty (a header row is needed: "
			    "request_id,email,device_id,received_at,product,"
			    "source)", opt->name);
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

/* Fills vals from one OpenDSR request; -1 with the reason in why. */
static int opendsr_values(const cJSON *o, char *vals[NCOL], struct buf *why)
{
	const cJSON *ids, *id;
	const char *type, *rid, *t;
	int bad = 0, emails = 0;

	if (!cJSON_IsObject(o)) {
		buf_adds(why, "request is not a JSON object");
		return -1;
	}
	type = json_string(o, "subject_request_type", &bad);
	if (!type || strcmp(type, "erasure")) {
		buf_adds(why, "subject_request_type must be \"erasure\"");
		if (type) {
			buf_adds(why, ", not '");
			add_escaped(why, type, strlen(type), 20);
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
		if (strcmp(itype, "email")) {
			buf_adds(why, "identity_type '");
			add_escaped(why, itype, strlen(itype), 40);
			buf_adds(why, "' is not supported: only email "
				 "identities can be matched to Particle "
				 "customers");
			return -1;
		}
		if (ifmt && strcmp(ifmt, "raw")) {
			buf_adds(why, "identity_format '");
			add_escaped(why, ifmt, strlen(ifmt), 20);
			buf_adds(why, "' is not supported: erasure needs the "
				 "raw email address, a hash cannot be "
				 "matched to a customer");
			return -1;
		}
		if (++emails > 1) {
			buf_adds(why, "more than one email identity (send one "
				 "request per subject)");
			return -1;
		}
		vals[COL_EMAIL] = xstrdup(ival);
	}
	vals[COL_REQUEST_ID] = xstrdup(rid);
	vals[COL_RECEIVED_AT] = t ? xstrdup(t) : NULL;
	vals[COL_SOURCE] = xstrdup("opendsr");
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

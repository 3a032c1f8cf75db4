/*
 * The request validator (intake.h): the only definition of a valid
 * request, for every way one enters the queue, and the recording of rows
 * upstream systems INSERT.
 */
#include "intake.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "config.h"
#include "db.h"
#include "escape.h"
#include "ledger.h"
#include "log.h"
#include "banned.h"

/* A received date may run this far ahead of our clock (time zones). */
#define FUTURE_SLACK (24 * 3600)
/* Bytes of free text a request may carry. */
#define PRODUCT_MAX 128
#define SOURCE_MAX 256

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
	if (log_would_redact(s))
		return "contains an email address (it is shown in reports, "
		       "which hold no personal data)";
	return NULL;
}

const char *intake_check_reason(const char *s)
{
	const char *bad;

	if (!s || !*s || strspn(s, " \t") == strlen(s))
		return "the reason is empty";
	if (strlen(s) > 500)
		return "the reason is longer than 500 bytes";
	if (strchr(s, '@') || log_would_redact(s))
		return "the reason must not contain an email address (it is "
		       "written to the ledger, which holds no personal data)";
	bad = intake_check_text(s, 500);
	if (bad)
		return "the reason contains control characters or invalid "
		       "UTF-8";
	return NULL;
}

const char *intake_check_email(const char *e)
{
	const char *at = strchr(e, '@'), *p, *dot;
	size_t n = strlen(e), i, l;

	if (!n)
		return "is empty";
	if (n > 254)
		return "is longer than 254 characters";
	for (i = 0; i < n; i += l) {
		l = utf8_len((const unsigned char *)e + i, n - i);
		if (!l || (unsigned char)e[i] < 0x20 || e[i] == 0x7f)
			return "contains control characters or invalid UTF-8";
	}
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

const char *intake_check_customer(const char *s)
{
	size_t n = strlen(s), i, l;

	if (!n)
		return "is empty";
	if (n > 254)
		return "is longer than 254 bytes";
	if (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]))
		return "starts or ends with white space";
	for (i = 0; i < n; i += l) {
		l = utf8_len((const unsigned char *)s + i, n - i);
		if (!l || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "contains control characters or invalid UTF-8";
	}
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

static void lower_in_place(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Frees *s and sets it to NULL when it is empty. */
static void drop_empty(char **s)
{
	if (*s && !**s) {
		free(*s);
		*s = NULL;
	}
}

static int check_identity(struct queue_request *r,
			  const struct intake_rules *rules, struct buf *why)
{
	char ref[SHA256_HEX_LEN + 1];
	const char *bad;
	int rc;

	if (r->subject_email && r->subject_customer) {
		buf_adds(why, "give either an email or a customer, not both");
		return -1;
	}
	if (r->subject_email) {
		char *norm = email_normalize(r->subject_email);

		free(r->subject_email);
		r->subject_email = norm;
		if ((bad = intake_check_email(norm))) {
			buf_addf(why, "invalid email address (it %s)", bad);
			return -1;
		}
	} else if (r->subject_customer &&
		   (bad = intake_check_customer(r->subject_customer))) {
		buf_addf(why, "invalid customer (it %s)", bad);
		return -1;
	}
	if (r->device_id) {
		if ((bad = intake_check_device_id(r->device_id))) {
			buf_adds(why, bad);
			return -1;
		}
		lower_in_place(r->device_id);
	}
	if (!queue_identity(r) && !r->device_id) {
		buf_adds(why, "neither an email, a customer nor a device_id");
		return -1;
	}
	free(r->subject_ref);
	r->subject_ref = NULL;
	if (!queue_identity(r) || !rules->key)
		return 0;
	rc = r->subject_email ?
		subject_ref_of_email(rules->key, r->subject_email, ref) :
		subject_ref_of_customer(rules->key, r->subject_customer, ref);
	if (rc) {
		buf_adds(why, "cannot compute subject_ref");
		return -1;
	}
	r->subject_ref = xstrdup(ref);
	return 0;
}

static int check_received(struct queue_request *r,
			  const struct intake_rules *rules, struct buf *why)
{
	char ts[21];
	time_t t = rules->now;

	if (r->received_at) {
		if (civil_parse_time(r->received_at, &t)) {
			buf_adds(why, "received_at is not an ISO 8601 date "
				 "(2026-11-01) or date-time "
				 "(2026-11-01T10:00:00Z)");
			return -1;
		}
		if (t > rules->now + FUTURE_SLACK) {
			buf_adds(why, "received_at is in the future");
			return -1;
		}
	}
	civil_format_time(t, ts);
	free(r->received_at);
	r->received_at = xstrdup(ts);
	return 0;
}

static int check_free_text(const char *name, const char *s, size_t max,
			   struct buf *why)
{
	const char *bad;

	if (!s || !(bad = intake_check_text(s, max)))
		return 0;
	buf_addf(why, "%s %s", name, bad);
	if (strlen(s) > max)
		buf_addf(why, " (at most %zu bytes)", max);
	return -1;
}

/*
 * A rejected row keeps no free text that failed its check: it may be the
 * very email the check refused.
 */
static void drop_bad_text(struct queue_request *r)
{
	if (r->source && intake_check_text(r->source, SOURCE_MAX)) {
		free(r->source);
		r->source = NULL;
	}
	if (r->product && intake_check_text(r->product, PRODUCT_MAX)) {
		free(r->product);
		r->product = NULL;
	}
}

void intake_subject_of_username(const char *username, char **email,
				char **customer)
{
	char *norm = email_normalize(username);

	*email = *customer = NULL;
	if (!intake_check_email(norm)) {
		*email = norm;
		return;
	}
	free(norm);
	*customer = xstrdup(username);
}

void intake_rules_init(struct intake_rules *rules, const struct hmac_key *key,
		       const struct config *cfg)
{
	rules->key = key;
	rules->now = time(NULL);
	rules->products = &cfg->products;
	rules->initial = cfg->approval_required ? Q_AWAITING : Q_PENDING;
}

int intake_validate(struct queue_request *r, const struct intake_rules *rules,
		    int *generated_id, struct buf *why)
{
	char uuid[37];
	const char *bad;

	*generated_id = 0;
	drop_empty(&r->subject_email);
	drop_empty(&r->subject_customer);
	drop_empty(&r->device_id);
	drop_empty(&r->request_id);
	drop_empty(&r->received_at);
	drop_empty(&r->product);
	drop_empty(&r->source);
	if (check_identity(r, rules, why))
		return -1;
	if (r->request_id) {
		if ((bad = intake_check_request_id(r->request_id))) {
			buf_adds(why, bad);
			return -1;
		}
	} else {
		if (digest_uuid4(uuid)) {
			buf_adds(why, "cannot generate a request id");
			return -1;
		}
		r->request_id = xstrdup(uuid);
		*generated_id = 1;
	}
	if (check_received(r, rules, why) ||
	    check_free_text("product", r->product, PRODUCT_MAX, why) ||
	    check_free_text("source", r->source, SOURCE_MAX, why))
		return -1;
	if (r->product && rules->products && rules->products->n &&
	    !strvec_contains(rules->products, r->product)) {
		/* A run matches it exactly; a misspelling would fail forever. */
		buf_adds(why, "product '");
		escape_quoted(why, r->product, strlen(r->product), 64);
		buf_adds(why, "' is not one of the configured [products] ids");
		return -1;
	}
	return 0;
}

/*
 * A rejected row must still name its subject somehow (the table's CHECK),
 * never in plaintext: the subject_ref of the identity as given, else the
 * one the row was inserted with.
 */
static void keep_a_ref(struct queue_request *r, const struct intake_rules *rules,
		       char **inserted_ref)
{
	char ref[SHA256_HEX_LEN + 1];
	int rc = -1;

	if (r->subject_ref || !rules->key)
		return;
	if (r->subject_email)
		rc = subject_ref_of_email(rules->key, r->subject_email, ref);
	else if (r->subject_customer)
		rc = subject_ref_of_customer(rules->key, r->subject_customer,
					     ref);
	if (!rc) {
		r->subject_ref = xstrdup(ref);
	} else if (*inserted_ref) {
		r->subject_ref = *inserted_ref;
		*inserted_ref = NULL;
	}
}

/* Records one upstream row (see intake_upstream); 0, or -1. */
static int record_upstream(sqlite3 *db, struct queue_request *r,
			   const struct intake_rules *rules)
{
	struct buf why = BUF_INIT;
	enum queue_status was = r->status;
	char *inserted_ref = r->subject_ref ? xstrdup(r->subject_ref) : NULL;
	int generated, bad, ret = -1;

	/* An id that cannot go to the ledger never gets an entry there. */
	if (intake_check_request_id(r->request_id)) {
		warning("an upstream request has an invalid request id; "
			"rejecting it");
		r->status = Q_REJECTED;
		free(r->subject_ref);
		r->subject_ref = NULL;
		keep_a_ref(r, rules, &inserted_ref);
		drop_bad_text(r);
		ret = queue_store_recorded(db, r, "invalid request id");
		goto out;
	}
	/* subject_ref is erasectl's to compute: an inserted one is replaced. */
	bad = intake_validate(r, rules, &generated, &why);
	if (!bad && was != Q_PENDING) {
		buf_addf(&why, "an upstream row must be inserted as pending, "
			 "not %s", queue_status_name(was));
		bad = -1;
	}
	if (bad) {
		warning("upstream request '%s' rejected: %s", r->request_id,
			why.buf);
		keep_a_ref(r, rules, &inserted_ref);
		drop_bad_text(r);
	}
	r->status = bad ? Q_REJECTED : rules->initial;
	if (queue_store_recorded(db, r, bad ? why.buf : NULL) ||
	    queue_record_enqueued(db, r, "upstream", NULL) ||
	    (bad && queue_ledger_event(db, r->request_id, r->subject_ref,
				       LEDGER_EV_REJECTED, NULL, why.buf)))
		goto out;
	ret = 0;
out:
	free(inserted_ref);
	buf_release(&why);
	return ret;
}

int intake_upstream(sqlite3 *db, const struct intake_rules *rules)
{
	struct queue_list rows;
	size_t i;
	int own = sqlite3_get_autocommit(db), ret = 0;

	queue_list_init(&rows);
	if (own && db_begin(db))
		return -1;
	if (queue_list_unrecorded(db, &rows)) {
		ret = -1;
		goto out;
	}
	for (i = 0; i < rows.n && !ret; i++)
		if (record_upstream(db, &rows.v[i], rules))
			ret = -1;
	if (!ret)
		ret = (int)rows.n;
out:
	queue_list_release(&rows);
	if (own) {
		if (ret < 0 || db_commit(db)) {
			db_rollback(db);
			ret = -1;
		}
	}
	return ret;
}

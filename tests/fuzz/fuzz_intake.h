/*
 * Drives intake_read over an input in one format and checks what
 * intake_validate promises about every request it hands out (intake.h):
 * one identity (a plausible normalized email, or an exact customer
 * username) or a device id, its subject_ref, a printable request id
 * without '@', received_at normalized and not in the future (a day of
 * slack), product one of the [products] ids, free text without an email.
 */
#ifndef ERASECTL_FUZZ_INTAKE_H
#define ERASECTL_FUZZ_INTAKE_H
#include <stdlib.h>

#include "fuzz.h"
#include "civil.h"
#include "intake.h"
#include "log.h"

/* The rules' clock: 2027-01-15T08:00:00Z. */
#define FUZZ_INTAKE_NOW ((time_t)1800000000)

static inline void fuzz_check(int ok)
{
	if (!ok)
		abort();
}

/* What one intake_read did. */
struct fuzz_intake_out {
	int rc;
	long valid, invalid;
	long rows;		/* handed to the callback */
};

static inline const struct strvec *fuzz_intake_products(void)
{
	static struct strvec products = STRVEC_INIT;

	if (!products.n) {
		strvec_push(&products, "1001");
		strvec_push(&products, "acme");
	}
	return &products;
}

static inline int fuzz_intake_row(const struct queue_request *r,
				  int generated_id, const char *name,
				  long line, void *data)
{
	struct fuzz_intake_out *out = data;
	time_t t;

	(void)name;
	out->rows++;
	fuzz_check(line >= 1);
	fuzz_check(r->request_id && !intake_check_request_id(r->request_id));
	fuzz_check(!generated_id || strlen(r->request_id) == 36);
	fuzz_check(queue_identity(r) || r->device_id);
	fuzz_check(!(r->subject_email && r->subject_customer));
	if (r->subject_email)
		fuzz_check(!intake_check_email(r->subject_email));
	if (r->subject_customer)
		fuzz_check(!intake_check_customer(r->subject_customer));
	if (r->device_id)
		fuzz_check(!intake_check_device_id(r->device_id));
	if (queue_identity(r))
		fuzz_check(r->subject_ref &&
			   strlen(r->subject_ref) == SHA256_HEX_LEN);
	else
		fuzz_check(!r->subject_ref);
	fuzz_check(r->received_at && strlen(r->received_at) == 20);
	fuzz_check(!civil_parse_time(r->received_at, &t));
	fuzz_check(t <= FUZZ_INTAKE_NOW + 24 * 3600);
	if (r->product) {
		fuzz_check(!intake_check_text(r->product, 128));
		fuzz_check(strvec_contains(fuzz_intake_products(), r->product));
	}
	if (r->source)
		fuzz_check(!intake_check_text(r->source, 256));
	return 0;
}

/* Runs intake over data; what happened goes to *out. */
static inline void fuzz_intake_run(const uint8_t *data, size_t size,
				   enum intake_format format,
				   struct fuzz_intake_out *out)
{
	static const struct hmac_key key = { { 1, 2, 3, 4 } };
	struct intake_rules rules = { &key, FUZZ_INTAKE_NOW, NULL, Q_PENDING };
	struct intake_options opt = { format, "fuzz", &rules };
	struct intake_stats st = { 0, 0 };
	struct buf path = BUF_INIT;
	FILE *fp;
	int fd;

	rules.products = fuzz_intake_products();
	log_setup(LOG_ERROR, 0);
	memset(out, 0, sizeof(*out));
	fd = fuzz_memfile(data, size, &path);
	fuzz_check(fd >= 0);
	fp = fdopen(fd, "r");
	fuzz_check(fp != NULL);
	out->rc = intake_read(fp, &opt, fuzz_intake_row, out, &st);
	fuzz_check(out->rc == 0 || out->rc == -1);
	fuzz_check(st.valid >= 0 && st.invalid >= 0);
	/* Every row handed out was counted as valid (the callback says 0). */
	fuzz_check(st.valid == out->rows);
	out->valid = st.valid;
	out->invalid = st.invalid;
	fclose(fp);
	buf_release(&path);
}

static inline int fuzz_intake(const uint8_t *data, size_t size,
			      enum intake_format format)
{
	struct fuzz_intake_out out;

	fuzz_intake_run(data, size, format, &out);
	return 0;
}
#endif

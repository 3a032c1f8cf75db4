/*
 * Drives intake_read over an input in one format and checks what intake
 * promises about every request it hands out (intake.h "Validated means").
 */
#ifndef ERASECTL_FUZZ_INTAKE_H
#define ERASECTL_FUZZ_INTAKE_H
#include <stdlib.h>

#include "fuzz.h"
#include "intake.h"
#include "log.h"

static inline void fuzz_check(int ok)
{
	if (!ok)
		abort();
}

static inline int fuzz_intake_row(const struct queue_request *r,
				  int generated_id, const char *name,
				  long line, void *data)
{
	(void)generated_id;
	(void)name;
	(void)data;
	fuzz_check(line >= 1);
	fuzz_check(r->request_id && !intake_check_request_id(r->request_id));
	fuzz_check(r->subject_email || r->device_id);
	if (r->subject_email)
		fuzz_check(!intake_check_email(r->subject_email));
	if (r->device_id)
		fuzz_check(!intake_check_device_id(r->device_id));
	fuzz_check(r->received_at && strlen(r->received_at) == 20);
	if (r->subject_email)
		fuzz_check(r->subject_ref &&
			   strlen(r->subject_ref) == SHA256_HEX_LEN);
	return 0;
}

static inline int fuzz_intake(const uint8_t *data, size_t size,
			      enum intake_format format)
{
	static const struct hmac_key key = { { 1, 2, 3, 4 } };
	struct intake_options opt = { format, "fuzz", &key, 1800000000 };
	struct intake_stats st = { 0, 0 };
	struct buf path = BUF_INIT;
	FILE *fp;
	int fd;

	log_setup(LOG_ERROR, 0);
	fd = fuzz_memfile(data, size, &path);
	fuzz_check(fd >= 0);
	fp = fdopen(fd, "r");
	fuzz_check(fp != NULL);
	intake_read(fp, &opt, fuzz_intake_row, NULL, &st);
	fuzz_check(st.valid >= 0 && st.invalid >= 0);
	fclose(fp);
	buf_release(&path);
	return 0;
}
#endif

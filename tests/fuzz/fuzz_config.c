/*
 * Fuzzes the INI configuration parser (config_load on the input as a
 * file) and the cross-field checks that follow it.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "config.h"
#include "log.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif
int FUZZ_ENTRY(const uint8_t *data, size_t size);

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct config c;
	struct buf path = BUF_INIT;
	int fd;

	log_setup(LOG_ERROR, 0);
	fd = fuzz_memfile(data, size, &path);
	if (fd < 0)
		abort();
	config_init(&c);
	if (!config_load(&c, path.buf)) {
		config_validate(&c);
		config_url_is_loopback(c.base_url);
	}
	config_release(&c);
	close(fd);
	buf_release(&path);
	return 0;
}

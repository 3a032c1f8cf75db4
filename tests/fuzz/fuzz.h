/*
 * Shared by the libFuzzer targets and by tests/unit/test_fuzz_regress.c,
 * which includes each target with FUZZ_ENTRY renamed to replay
 * tests/fuzz/regress/ inputs under cmocka (so found crashes stay fixed).
 */
#ifndef ERASECTL_FUZZ_H
#define ERASECTL_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"

/*
 * Puts data in an anonymous memory file, for code that reads a path or a
 * FILE *; *path gets "/proc/self/fd/N". Returns the fd (close it), or -1.
 */
static inline int fuzz_memfile(const uint8_t *data, size_t size,
			       struct buf *path)
{
	int fd = memfd_create("fuzz-input", 0);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	lseek(fd, 0, SEEK_SET);
	buf_reset(path);
	buf_addf(path, "/proc/self/fd/%d", fd);
	return fd;
}

/* A NUL-terminated copy of the input (caller frees). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	return xstrndup((const char *)data, size);
}
#endif

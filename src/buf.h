#ifndef ERASECTL_BUF_H
#define ERASECTL_BUF_H
/*
 * buf: growable byte buffers and string vectors, plus the allocation
 * wrappers everything else uses.
 *
 * A struct buf always holds a NUL-terminated string (b.buf is never NULL,
 * even after buf_init), so it can be passed to printf-style code directly.
 * Allocation failure is fatal, as in git's xmalloc: a batch tool has no
 * useful way to recover, and every ledger write is transactional, so
 * stopping leaves nothing half-recorded. It exits with EXIT_INTEGRITY (3):
 * the command stopped part-way and the operator should look (README,
 * "Exit codes").
 */
#include <stddef.h>
#include <stdarg.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Makes room for element nr of the array x (alloc elements allocated),
 * doubling; every growable array of structs uses it.
 */
#define ALLOC_GROW(x, nr, alloc) \
	do { \
		if ((nr) >= (alloc)) { \
			(alloc) = alloc_grow_size((alloc), (nr), sizeof(*(x))); \
			(x) = xrealloc((x), (alloc) * sizeof(*(x))); \
		} \
	} while (0)
/* The new element count for ALLOC_GROW; dies on overflow. */
size_t alloc_grow_size(size_t alloc, size_t nr, size_t elem);
/* Reports that n bytes could not be allocated and exits (see above). */
void alloc_failed(size_t n) __attribute__((noreturn));

struct buf {
	char *buf;
	size_t len;
	size_t alloc;
};

extern char buf_slopbuf[];
#define BUF_INIT { buf_slopbuf, 0, 0 }

void buf_init(struct buf *b);
/* Frees the storage and leaves b as after buf_init. */
void buf_release(struct buf *b);
/* Makes room for n more bytes. */
void buf_grow(struct buf *b, size_t n);
void buf_reset(struct buf *b);
void buf_setlen(struct buf *b, size_t len);
void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, int c);
void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Strips leading and trailing ASCII white space. */
void buf_trim(struct buf *b);
/* Hands the string to the caller (free() it); b is left empty. */
char *buf_detach(struct buf *b, size_t *len);
/* Overwrites the contents with zeros before freeing (for secrets). */
void buf_wipe(struct buf *b);

/* A growable array of owned strings, NULL-terminated. */
struct strvec {
	char **v;
	size_t n;
	size_t alloc;
};
#define STRVEC_INIT { NULL, 0, 0 }
void strvec_init(struct strvec *sv);
void strvec_push(struct strvec *sv, const char *s);
void strvec_pushf(struct strvec *sv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strvec_clear(struct strvec *sv);
/* Splits s at commas, trimming each item; empty items are dropped. */
void strvec_split_list(struct strvec *sv, const char *s);
int strvec_contains(const struct strvec *sv, const char *s);

#endif

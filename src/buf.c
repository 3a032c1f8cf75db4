#include "buf.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "banned.h"

char buf_slopbuf[1];

void alloc_failed(size_t n)
{
	fprintf(stderr, "erasectl: fatal: out of memory (%zu bytes)\n", n);
	exit(EXIT_INTEGRITY);
}

size_t alloc_grow_size(size_t alloc, size_t nr, size_t elem)
{
	size_t want = alloc ? alloc : 8;

	while (want <= nr) {
		if (want > SIZE_MAX / 2)
			alloc_failed(SIZE_MAX);
		want *= 2;
	}
	if (want > SIZE_MAX / (elem ? elem : 1))
		alloc_failed(SIZE_MAX);
	return want;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		alloc_failed(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		alloc_failed(nmemb * size);
	return p;
}

void *xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n ? n : 1);

	if (!p)
		alloc_failed(n);
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void buf_init(struct buf *b)
{
	b->buf = buf_slopbuf;
	b->len = 0;
	b->alloc = 0;
}

void buf_release(struct buf *b)
{
	if (b->alloc)
		free(b->buf);
	buf_init(b);
}

void buf_wipe(struct buf *b)
{
	if (b->alloc) {
		volatile char *p = b->buf;
		size_t i;

		for (i = 0; i < b->alloc; i++)
			p[i] = 0;
	}
	buf_release(b);
}

void buf_grow(struct buf *b, size_t n)
{
	size_t want;

	if (b->len + n + 1 <= b->alloc)
		return;
	if (b->len + n + 1 < b->len)
		alloc_failed(SIZE_MAX);
	want = b->alloc ? b->alloc : 64;
	while (want < b->len + n + 1)
		want *= 2;
	if (!b->alloc) {
		b->buf = xmalloc(want);
		b->buf[0] = '\0';
	} else {
		b->buf = xrealloc(b->buf, want);
	}
	b->alloc = want;
}

void buf_setlen(struct buf *b, size_t len)
{
	if (!b->alloc && !len)
		return;
	buf_grow(b, len > b->len ? len - b->len : 0);
	b->len = len;
	b->buf[len] = '\0';
}

void buf_reset(struct buf *b)
{
	buf_setlen(b, 0);
}

void buf_add(struct buf *b, const void *data, size_t n)
{
	if (!n)
		return;
	buf_grow(b, n);
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addch(struct buf *b, int c)
{
	char ch = (char)c;

	buf_add(b, &ch, 1);
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_trim(struct buf *b)
{
	size_t start = 0, end = b->len;

	while (start < end && isspace((unsigned char)b->buf[start]))
		start++;
	while (end > start && isspace((unsigned char)b->buf[end - 1]))
		end--;
	if (start)
		memmove(b->buf, b->buf + start, end - start);
	buf_setlen(b, end - start);
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *s;

	if (len)
		*len = b->len;
	s = b->alloc ? b->buf : xstrdup("");
	buf_init(b);
	return s;
}

void strvec_init(struct strvec *sv)
{
	sv->v = NULL;
	sv->n = 0;
	sv->alloc = 0;
}

void strvec_push(struct strvec *sv, const char *s)
{
	ALLOC_GROW(sv->v, sv->n + 1, sv->alloc);
	sv->v[sv->n++] = xstrdup(s);
	sv->v[sv->n] = NULL;
}

void strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	strvec_push(sv, b.buf);
	buf_release(&b);
}

void strvec_clear(struct strvec *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	strvec_init(sv);
}

void strvec_split_list(struct strvec *sv, const char *s)
{
	struct buf item = BUF_INIT;
	const char *p = s;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		buf_reset(&item);
		buf_add(&item, p, n);
		buf_trim(&item);
		if (item.len)
			strvec_push(sv, item.buf);
		if (!comma)
			break;
		p = comma + 1;
	}
	buf_release(&item);
}

int strvec_contains(const struct strvec *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return 1;
	return 0;
}

/*
 * A tiny HTTP/1.1 server on a loopback port, in a thread, that answers
 * every request with the same reply (set per fuzz input), for the targets
 * that drive the real API client. Counts requests whose method is not GET.
 */
#ifndef ERASECTL_FUZZ_SERVER_H
#define ERASECTL_FUZZ_SERVER_H
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>

#include "fuzz.h"

static pthread_mutex_t fa_lock = PTHREAD_MUTEX_INITIALIZER;
static struct buf fa_reply = BUF_INIT;	/* the whole HTTP response */
static struct api *fa_api;

static long fa_writes;		/* requests other than GET */

/* Reads one request (headers and any Content-Length body); 0 at EOF. */
static int fa_read_request(int fd)
{
	char c, hdr[8192];
	size_t n = 0;
	long clen = 0;

	for (;;) {
		if (read(fd, &c, 1) != 1)
			return 0;
		if (n < sizeof(hdr) - 1)
			hdr[n++] = c;
		if (n >= 4 && !memcmp(hdr + n - 4, "\r\n\r\n", 4))
			break;
	}
	hdr[n] = '\0';
	if (strncmp(hdr, "GET ", 4)) {
		pthread_mutex_lock(&fa_lock);
		fa_writes++;
		pthread_mutex_unlock(&fa_lock);
	}
	{
		char *p = strcasestr(hdr, "\r\ncontent-length:");

		if (p)
			clen = strtol(p + 17, NULL, 10);
	}
	while (clen-- > 0)
		if (read(fd, &c, 1) != 1)
			return 0;
	return 1;
}

static void *fa_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;

	while (fa_read_request(fd)) {
		struct buf out = BUF_INIT;
		size_t off = 0;

		pthread_mutex_lock(&fa_lock);
		buf_add(&out, fa_reply.buf, fa_reply.len);
		pthread_mutex_unlock(&fa_lock);
		while (off < out.len) {
			ssize_t w = write(fd, out.buf + off, out.len - off);

			if (w <= 0)
				break;
			off += (size_t)w;
		}
		buf_release(&out);
	}
	close(fd);
	return NULL;
}

static void *fa_accept(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		pthread_t t;

		if (fd < 0)
			continue;
		if (pthread_create(&t, NULL, fa_conn, (void *)(intptr_t)fd))
			close(fd);
		else
			pthread_detach(t);
	}
	return NULL;
}

/* Starts the server; returns its port. */
static inline int fa_start(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	pthread_t t;
	int lfd;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 64) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) ||
	    pthread_create(&t, NULL, fa_accept, (void *)(intptr_t)lfd))
		abort();
	pthread_detach(t);
	return ntohs(sa.sin_port);
}

/* Every request from now on gets this status and body. */
static inline void fa_set_reply(int status, const void *body, size_t len)
{
	pthread_mutex_lock(&fa_lock);
	buf_reset(&fa_reply);
	buf_addf(&fa_reply, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\n%s\r\n", status, len,
		 status == 302 ? "Location: http://127.0.0.1:1/\r\n" : "");
	buf_add(&fa_reply, body, len);
	pthread_mutex_unlock(&fa_lock);
}

static inline long fa_write_count(void)
{
	long n;

	pthread_mutex_lock(&fa_lock);
	n = fa_writes;
	pthread_mutex_unlock(&fa_lock);
	return n;
}
#endif

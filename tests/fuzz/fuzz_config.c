/*
 * Fuzzes the INI configuration parser (config_load on the input as a
 * file) and the rules every loaded setting must then satisfy, and the
 * base_url rule itself on the input's first line.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <strings.h>

#include "fuzz.h"
#include "config.h"
#include "log.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif
int FUZZ_ENTRY(const uint8_t *data, size_t size);

/* A literal loopback host (with any port), as config.h allows for http. */
static int fc_loopback(const char *host)
{
	size_t n = strcspn(host, ":");
	size_t i;

	if (!strncmp(host, "[::1]", 5))
		return host[5] == '\0' || host[5] == ':';
	if (n == 9 && !strncasecmp(host, "localhost", 9))
		return 1;
	if (n < 4 || strncmp(host, "127.", 4))
		return 0;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)host[i]) && host[i] != '.')
			return 0;
	return 1;
}

/* What an accepted base_url must look like. */
static void fc_check_url(const char *url)
{
	struct base_url u;
	const char *auth;
	size_t alen;

	if (config_parse_base_url(url, "fuzz", &u))
		return;
	if (!u.url || !u.host || !*u.url)
		abort();
	if (!strncmp(u.url, "https://", 8)) {
		if (u.plain_http)
			abort();
		auth = u.url + 8;
	} else if (!strncmp(u.url, "http://", 7)) {
		if (!u.plain_http || !fc_loopback(u.host))
			abort();
		auth = u.url + 7;
	} else {
		abort();
	}
	/* No user info, query or fragment; no trailing '/'. */
	alen = strcspn(auth, "/");
	if (memchr(auth, '@', alen) || strchr(u.url, '?') ||
	    strchr(u.url, '#') || u.url[strlen(u.url) - 1] == '/')
		abort();
	base_url_release(&u);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct config c;
	struct buf path = BUF_INIT;
	char *line;
	int fd;

	log_setup(LOG_ERROR, 0);
	fd = fuzz_memfile(data, size, &path);
	if (fd < 0)
		abort();
	config_init(&c);
	if (!config_load(&c, path.buf)) {
		struct base_url u;

		/* What loaded passed the rules of each setting. */
		if (config_parse_base_url(c.base_url, "fuzz", &u))
			abort();
		base_url_release(&u);
		fc_check_url(c.base_url);
		if (!isfinite(c.rate_limit) || c.rate_limit < 0 ||
		    (c.rate_limit > 0 && c.rate_limit < 0.01) ||
		    c.rate_limit > 100000)
			abort();
		if (c.concurrency < 1 || c.concurrency > 1024 ||
		    c.timeout < 1 || c.max_attempts < 1 ||
		    c.deadline_days < 0 || c.deadline_days > 3650 ||
		    !c.db || !c.hmac_key_file)
			abort();
	}
	config_release(&c);
	close(fd);
	buf_release(&path);

	/* The first line as a base_url. */
	line = fuzz_cstr(data, size);
	line[strcspn(line, "\r\n")] = '\0';
	fc_check_url(line);
	free(line);
	return 0;
}

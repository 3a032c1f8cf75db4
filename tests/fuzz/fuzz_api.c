/*
 * Fuzzes how the API client takes Particle responses apart: status
 * classification, error bodies (both Particle shapes, redacted into
 * messages), JSON parsing, and the list walk's proof of completeness
 * (meta.total_pages, page sizes, repeated items), through the real client
 * (libcurl, http on loopback) against a tiny in-process server that
 * answers every request with the input (so every page is the same page).
 *
 * Input: byte 0 picks the status, byte 1 the call, the rest is the body.
 * Also checks that neither a registered secret nor an email survives
 * log_redact (regress/api/email-after-at.bin: "@alice@example.com" once did).
 */
#include <stdlib.h>

#include "fuzz_server.h"
#include "api.h"
#include "log.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif
int FUZZ_ENTRY(const uint8_t *data, size_t size);

#define FUZZ_API_SECRET "fuzz-secret-tok3n-9c1d"

static struct api *fa_api;

static void fa_setup(void)
{
	struct config cfg;
	struct buf url = BUF_INIT;

	log_setup(LOG_ERROR, 0);
	log_add_secret(FUZZ_API_SECRET);
	config_init(&cfg);
	free(cfg.base_url);
	buf_addf(&url, "http://127.0.0.1:%d", fa_start());
	cfg.base_url = buf_detach(&url, NULL);
	cfg.max_attempts = 1;	/* no backoff sleeps */
	cfg.timeout = 5;
	cfg.concurrency = 4;
	cfg.rate_limit = 0;
	if (api_init(&fa_api, &cfg, FUZZ_API_SECRET))
		abort();
	config_release(&cfg);
}

static int fa_pages;
static size_t fa_sink;	/* keeps the field reads from being optimized out */

/* Walks a page the way discovery reads one, stopping after 3 pages. */
static int fa_each_page(cJSON *page, void *ctx)
{
	static const char *const lists[] = { "devices", "customers", "sims" };
	size_t i;

	(void)ctx;
	for (i = 0; i < 3; i++) {
		const cJSON *arr = cJSON_GetObjectItemCaseSensitive(page, lists[i]);
		const cJSON *it;

		cJSON_ArrayForEach(it, arr) {
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
			const cJSON *o = cJSON_GetObjectItemCaseSensitive(it, "owner");

			if (cJSON_IsString(id) && cJSON_IsString(o))
				fa_sink += strlen(id->valuestring) +
					   strlen(o->valuestring);
		}
	}
	return ++fa_pages >= 3 ? -1 : 0;
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	static const int statuses[] = { 200, 200, 200, 200, 201, 204, 404,
					401, 403, 400, 408, 422, 429, 500,
					503, 302 };
	struct api_request req;
	struct buf red = BUF_INIT;
	enum api_result result;
	long status;
	int st;

	if (!fa_api)
		fa_setup();
	if (size < 2)
		return 0;
	st = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	fa_set_reply(st, data + 2, size - 2);

	switch (data[1] % 4) {
	case 0:
	case 1: {
		struct api_list l;
		int rc;

		memset(&l, 0, sizeof(l));
		l.path = data[1] % 4 ? "/v1/products/1/customers?x=1" :
			"/v1/products/1/devices";
		l.items = data[1] % 4 ? "customers" : "devices";
		l.key = data[1] % 4 ? "username" : "id";
		l.per_page = 1 + data[1] / 4 % 3 * 50;	/* 1, 51, 101 */
		l.each_page = fa_each_page;
		fa_pages = 0;
		rc = api_walk(fa_api, &l, &result, &status);
		/* A walk that passes saw every page it was told of. */
		if (!rc && result != API_OK)
			abort();
		if (rc && result == API_OK && fa_pages < 3)
			abort();
		break;
	}
	default:
		api_request_init(&req, data[1] % 4 == 2 ? "GET" : "DELETE");
		api_path_literal(&req.path, "/v1/products");
		api_path_segment(&req.path, "1");
		api_path_literal(&req.path, "/customers");
		api_path_segment(&req.path, "alice@example.com");
		if (!api_call(fa_api, &req) && req.result == API_OK) {
			cJSON *j = api_response_json(&req);

			cJSON_Delete(j);
		}
		/* Messages about a request never show the subject or token. */
		if (strstr(req.error.buf, "alice@example.com") ||
		    strstr(req.error.buf, FUZZ_API_SECRET))
			abort();
		api_request_release(&req);
		break;
	}
	{
		char *s = fuzz_cstr(data + 2, size - 2);

		log_redact(&red, s);
		if (strstr(red.buf, FUZZ_API_SECRET) ||
		    strstr(red.buf, "alice@example.com"))
			abort();
		free(s);
	}
	buf_release(&red);
	return 0;
}

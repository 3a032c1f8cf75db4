#ifndef ERASECTL_API_H
#define ERASECTL_API_H
/*
 * api: the Particle Cloud API client. libcurl multi interface (many
 * requests in flight up to `concurrency`, one connection pool, HTTP/2 when
 * offered), a token-bucket rate limiter shared by all requests, retries with
 * exponential backoff and full jitter honouring Retry-After, HTTPS only.
 *
 * The token is sent only as "Authorization: Bearer"; it never appears in a
 * URL, a log line or an error message (log.h scrubs it as a safety net).
 *
 * Usage: api_init, then api_submit any number of requests (a done callback
 * may submit more), then api_run until all have completed. api_call is the
 * blocking form for one request. api_call, api_run and api_paginate may be
 * called from inside a done callback: the nested call waits only for its
 * own requests (api_run: for everything submitted). done may be NULL. A
 * request may be submitted again once its callback has run, never while
 * it is queued or in flight; the callback may free it.
 *
 * Rate limit: a token bucket of `rate_limit` tokens per second holding at
 * most burst = max(1, rate_limit / 20) tokens (it starts with one). Every
 * HTTP attempt, retries included, takes a token, so any window of T
 * seconds holds at most burst + rate_limit * T attempts.
 *
 * Retries: 429, 408, 5xx, timeouts and dropped connections are retried up
 * to max_attempts attempts in all, after a delay of Retry-After (seconds or
 * HTTP date) when the server sent one, else random(0, min(30 s, base *
 * 2^(attempt-1))) ("full jitter"; base 250 ms, or $ERASECTL_BACKOFF_BASE_MS
 * for tests). A Retry-After over 10 minutes ends the attempts at once.
 * Waiting requests do not hold a connection or block other transfers.
 * Connection, DNS and TLS failures are not retried (API_UNREACHABLE).
 *
 * TLS: peer and host verification are always on; ca_file, when set, is
 * the CA bundle (CURLOPT_CAINFO) and the system's hashed CA directory
 * (libcurl's default CAPATH, /etc/ssl/certs on Debian) stays trusted, so
 * the file adds to the system store rather than replacing it.
 * Only https is allowed, and http only when base_url is http:// to a
 * loopback host. Redirects are never followed (a 3xx is API_BAD_RESPONSE).
 * Bodies over 16 MiB are API_BAD_RESPONSE.
 */
#include <cjson/cJSON.h>

#include "buf.h"
#include "config.h"

struct api;

enum api_result {
	API_OK,			/* 2xx */
	API_NOT_FOUND,		/* 404: a result, not an error */
	API_AUTH,		/* 401/403: never retried; stop the run */
	API_CLIENT_ERROR,	/* other 4xx: not retried */
	API_RETRY_EXHAUSTED,	/* 429/5xx/timeout/dropped, max_attempts used */
	API_UNREACHABLE,	/* cannot connect, DNS or TLS failure */
	API_BAD_RESPONSE,	/* body too large or not the JSON expected */
};

struct api_request;
typedef void (*api_done_fn)(struct api_request *req, void *ctx);

struct api_request {
	/* Filled by the caller (see api_request_init). */
	const char *method;	/* GET, PUT, DELETE, POST */
	struct buf path;	/* "/v1/...", segments escaped (api_path_*) */
	struct buf body;	/* JSON request body, empty for none */
	/*
	 * Optional: the path as messages show it, e.g. with the email segment
	 * written "{subject}". When empty, messages use path with every
	 * segment that holds an escaped "@" replaced by "{subject}".
	 */
	struct buf display_path;
	api_done_fn done;
	void *ctx;

	/* Results, valid in the done callback. */
	enum api_result result;
	long status;		/* HTTP status of the last attempt, 0 if none */
	struct buf response;	/* body of the last attempt */
	char response_sha256[65];
	struct buf error;	/* human message for non-OK results (no PII) */
	int attempts;

	/* Private to api.c. */
	void *priv;
};

void api_request_init(struct api_request *req, const char *method);
void api_request_release(struct api_request *req);

/* Appends "/" and a percent-encoded path segment to path. */
void api_path_segment(struct buf *path, const char *segment);
/* Appends a literal path piece (no escaping), e.g. "/v1/products". */
void api_path_literal(struct buf *path, const char *piece);

/*
 * Creates a client from cfg (base_url, ca_file, concurrency, rate_limit,
 * timeout, max_attempts). token is copied. Returns -1 after an error.
 */
int api_init(struct api **out, const struct config *cfg, const char *token);
void api_release(struct api *api);

/* Queues req; it starts when a slot and the rate limiter allow. */
void api_submit(struct api *api, struct api_request *req);
/*
 * Drives transfers until every submitted request has completed and its
 * callback has run. Returns 0, or -1 if the multi loop itself failed.
 */
int api_run(struct api *api);
/* Submits req and runs until it completes. */
int api_call(struct api *api, struct api_request *req);

/* Counters for progress and benchmarks. */
struct api_stats {
	long requests;		/* HTTP attempts sent */
	long retries;
	long completed;		/* requests finished (any result) */
};
void api_get_stats(const struct api *api, struct api_stats *out);

/*
 * Parses req->response as a JSON object. On failure sets req->result to
 * API_BAD_RESPONSE with a message and returns NULL. Caller cJSON_Deletes.
 */
cJSON *api_response_json(struct api_request *req);

/*
 * For callers that find a field missing or of the wrong type in a parsed
 * response: sets req->result to API_BAD_RESPONSE and req->error to
 * "METHOD PATH: <message>". Prints nothing; returns -1.
 */
int api_bad_response(struct api_request *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Result name for messages and the ledger ("ok", "not_found", ...). */
const char *api_result_name(enum api_result r);

/*
 * Pages through a list endpoint (path without query), requesting page 1,
 * then every page up to meta.total_pages concurrently, with perPage (and
 * per_page) = per_page. each_page is called once per page's parsed body,
 * in any order; return -1 from it to stop. path may already hold a query.
 * A missing or non-numeric meta.total_pages is API_BAD_RESPONSE (a
 * partial listing must not pass for a complete one). Returns 0, or -1
 * with *result / *status set to the failing request's after printing its
 * error; when each_page returned -1, *result is API_OK and nothing more is
 * printed.
 */
typedef int (*api_page_fn)(cJSON *page, void *ctx);
int api_paginate(struct api *api, const char *path, int per_page,
		 api_page_fn each_page, void *ctx, enum api_result *result,
		 long *status);

#endif

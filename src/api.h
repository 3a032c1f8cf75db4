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
 * blocking form for one request. api_call, api_run and api_walk may be
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
 * timeout, max_attempts). token is copied. The process must have called
 * curl_global_init once (main does). Returns -1 after an error.
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
/*
 * Drives transfers until *outstanding, a count the caller's done callbacks
 * decrement, reaches zero (a nested wait for the caller's own requests).
 */
int api_run_until(struct api *api, const long *outstanding);

/* The calls in flight at most ([api] concurrency). */
long api_concurrency(const struct api *api);

/* Counters for progress and benchmarks. */
struct api_stats {
	long requests;		/* HTTP attempts sent */
	long retries;
	long completed;		/* requests finished (any result) */
	long failed;		/* finished with an error (not 2xx or 404) */
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
 * Walks a list endpoint (api_walk.c) and proves it saw every item once.
 * Particle documents page/perPage for some lists and no paging at all for
 * the customers list, so the walk assumes the least a server may do:
 *
 * - page 1 is requested with perPage (and per_page) = per_page. A body
 *   without "meta" is the whole list, unless it holds exactly per_page
 *   items: then the next pages are read one by one until a short or empty
 *   page; a page that repeats earlier items means the server ignores
 *   "page", and the walk fails (it cannot prove it saw everything).
 * - with "meta.total_pages" T: when T > 1 and page 1 holds fewer items
 *   than asked (the server caps the page size), page 1 is asked again with
 *   that size, so that the server's page numbers and ours agree; pages 2..T
 *   are read concurrently. Every page must report the same T (and the same
 *   "meta.total" when given), hold items no other page held, and be full
 *   unless it is the last; the items must add up to meta.total when given.
 *
 * Any violation fails the walk with API_BAD_RESPONSE and a message saying
 * which page broke which rule. items names the array member of a page
 * ("devices"), key the member that identifies an item ("id"). each_page is
 * called once per page's parsed body, in any order; returning -1 stops
 * the walk. On failure everything each_page saw must be discarded.
 * Returns 0, or -1 after printing why, with *result / *status set to the
 * failing request's (API_OK when each_page stopped it).
 */
typedef int (*api_page_fn)(cJSON *page, void *ctx);
struct api_list {
	const char *path;	/* no query, or one already started */
	const char *items;
	const char *key;
	int per_page;
	api_page_fn each_page;
	void *ctx;
};
int api_walk(struct api *api, const struct api_list *l,
	     enum api_result *result, long *status);

#endif

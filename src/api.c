#include "api.h"

#include <curl/curl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "log.h"
#include "banned.h"

#define MAX_RESPONSE (16L * 1024 * 1024)
#define BACKOFF_BASE_MS 250L
#define BACKOFF_CAP_MS 30000L
#define RETRY_AFTER_MAX_S 600L
#define MAX_DETAIL 200

/* One submitted request from api_submit until its completion. */
struct job {
	struct api_request *req;
	struct job *next;
	CURL *easy;		/* while an attempt is in flight */
	double due;		/* monotonic seconds: next attempt not before */
	double started;
	long *watch;		/* decremented on completion (api_call) */
	int too_large;
	struct buf url;
	char errbuf[CURL_ERROR_SIZE];
};

struct api {
	CURLM *multi;
	CURLSH *share;
	struct curl_slist *hdr_plain;	/* Authorization, Accept */
	struct curl_slist *hdr_body;	/* plus Content-Type */
	struct buf base;		/* base_url without a trailing '/' */
	struct buf host;		/* for messages: host or host:port */
	char *ca_file;
	const char *protocols;
	long concurrency, timeout_ms, max_attempts, backoff_base_ms;

	double rate, burst, tokens, refilled;

	struct job *ready, *ready_tail;	/* may start now, FIFO */
	struct job *waiting;		/* backing off until job->due */
	long running;
	long outstanding;		/* submitted, not yet completed */
	CURL **idle;			/* reusable easy handles */
	long n_idle;
	uint64_t rng;
	struct api_stats stats;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_next(struct api *api)
{
	/* xorshift64*: jitter needs spread, not secrecy. */
	api->rng ^= api->rng >> 12;
	api->rng ^= api->rng << 25;
	api->rng ^= api->rng >> 27;
	return api->rng * 0x2545F4914F6CDD1DULL;
}

const char *api_result_name(enum api_result r)
{
	switch (r) {
	case API_OK: return "ok";
	case API_NOT_FOUND: return "not_found";
	case API_AUTH: return "auth";
	case API_CLIENT_ERROR: return "client_error";
	case API_RETRY_EXHAUSTED: return "retry_exhausted";
	case API_UNREACHABLE: return "unreachable";
	case API_BAD_RESPONSE: return "bad_response";
	}
	return "unknown";
}

void api_request_init(struct api_request *req, const char *method)
{
	memset(req, 0, sizeof(*req));
	req->method = method;
	buf_init(&req->path);
	buf_init(&req->body);
	buf_init(&req->display_path);
	buf_init(&req->response);
	buf_init(&req->error);
}

void api_request_release(struct api_request *req)
{
	buf_release(&req->path);
	buf_release(&req->body);
	buf_release(&req->display_path);
	buf_release(&req->response);
	buf_release(&req->error);
}

void api_path_segment(struct buf *path, const char *segment)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	buf_addch(path, '/');
	for (p = (const unsigned char *)segment; *p; p++) {
		/* RFC 3986 unreserved characters pass; all else is escaped. */
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			buf_addch(path, *p);
		} else {
			buf_addch(path, '%');
			buf_addch(path, hex[*p >> 4]);
			buf_addch(path, hex[*p & 15]);
		}
	}
}

void api_path_literal(struct buf *path, const char *piece)
{
	buf_adds(path, piece);
}

/*
 * "METHOD PATH" for messages: display_path when the caller set one, else
 * the path with every piece holding an escaped or plain '@' (an email)
 * replaced by "{subject}".
 */
static int holds_email(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == '@' ||
		    (i + 3 <= n && !strncasecmp(p + i, "%40", 3)))
			return 1;
	return 0;
}

static void describe(struct buf *out, const struct api_request *req)
{
	const char *p = req->path.buf;

	buf_addf(out, "%s ", req->method);
	if (req->display_path.len) {
		buf_adds(out, req->display_path.buf);
		return;
	}
	while (*p) {
		size_t n = strcspn(p, "/?&=");

		if (holds_email(p, n))
			buf_adds(out, "{subject}");
		else
			buf_add(out, p, n);
		p += n;
		if (*p)
			buf_addch(out, *p++);
	}
}

static void set_error(struct api_request *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_error(struct api_request *req, const char *fmt, ...)
{
	va_list ap;

	buf_reset(&req->error);
	describe(&req->error, req);
	buf_adds(&req->error, ": ");
	va_start(ap, fmt);
	buf_vaddf(&req->error, fmt, ap);
	va_end(ap);
}

int api_bad_response(struct api_request *req, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	req->result = API_BAD_RESPONSE;
	set_error(req, "%s", msg.buf);
	buf_release(&msg);
	return -1;
}

/*
 * The server's own explanation from an error body, in either Particle
 * shape ({"error","error_description"} or {"ok":false,"error"}), redacted
 * and shortened; empty when the body has none.
 */
static void error_detail(struct buf *out, const struct buf *body)
{
	cJSON *j = cJSON_ParseWithLength(body->buf, body->len);
	const cJSON *e, *d;
	struct buf raw = BUF_INIT;

	if (!cJSON_IsObject(j))
		goto out;
	e = cJSON_GetObjectItemCaseSensitive(j, "error");
	d = cJSON_GetObjectItemCaseSensitive(j, "error_description");
	if (!cJSON_IsString(d))
		d = cJSON_GetObjectItemCaseSensitive(j, "message");
	if (cJSON_IsString(e) && *e->valuestring)
		buf_adds(&raw, e->valuestring);
	if (cJSON_IsString(d) && *d->valuestring) {
		if (raw.len)
			buf_adds(&raw, ": ");
		buf_adds(&raw, d->valuestring);
	}
	if (raw.len > MAX_DETAIL) {
		buf_setlen(&raw, MAX_DETAIL);
		buf_adds(&raw, "...");
	}
	log_redact(out, raw.buf);
out:
	cJSON_Delete(j);
	buf_release(&raw);
}

static int parse_base_url(struct api *api, const char *url)
{
	struct base_url u;

	if (config_parse_base_url(url, "base_url", &u))
		return -1;
	if (u.plain_http)
		warning("base_url '%s' is plain http (allowed for a loopback "
			"host only); use https in production", url);
	api->protocols = u.plain_http ? "http,https" : "https";
	buf_adds(&api->host, u.host);
	buf_adds(&api->base, u.url);
	base_url_release(&u);
	return 0;
}

static void wipe_slist(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p; p = p->next) {
		volatile char *c = p->data;

		while (*c)
			*c++ = 0;
	}
	curl_slist_free_all(l);
}

static int make_headers(struct api *api, const char *token)
{
	struct buf auth = BUF_INIT;
	const char *p;
	int ret = 0;

	for (p = token; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			return error("the API token contains white space or "
				     "control characters");
	if (!*token)
		return error("the API token is empty");
	buf_addf(&auth, "Authorization: Bearer %s", token);
	api->hdr_plain = curl_slist_append(NULL, auth.buf);
	api->hdr_body = curl_slist_append(NULL, auth.buf);
	buf_wipe(&auth);
	if (!api->hdr_plain || !api->hdr_body ||
	    !curl_slist_append(api->hdr_plain, "Accept: application/json") ||
	    !curl_slist_append(api->hdr_body, "Accept: application/json") ||
	    !curl_slist_append(api->hdr_body,
			       "Content-Type: application/json") ||
	    !curl_slist_append(api->hdr_body, "Expect:"))
		ret = error("out of memory");
	return ret;
}

int api_init(struct api **out, const struct config *cfg, const char *token)
{
	struct api *api;
	const char *env = getenv("ERASECTL_BACKOFF_BASE_MS");
	unsigned char seed[8];

	*out = NULL;
	api = xcalloc(1, sizeof(*api));
	buf_init(&api->base);
	buf_init(&api->host);
	api->concurrency = cfg->concurrency > 0 ? cfg->concurrency : 1;
	api->timeout_ms = cfg->timeout > 0 ? cfg->timeout * 1000 : 30000;
	api->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : 1;
	api->backoff_base_ms = BACKOFF_BASE_MS;
	if (env && *env) {
		char *end;
		long v = strtol(env, &end, 10);

		if (*end || v < 0 || v > BACKOFF_CAP_MS) {
			error("invalid ERASECTL_BACKOFF_BASE_MS '%s'", env);
			goto fail;
		}
		api->backoff_base_ms = v;
	}
	api->rate = cfg->rate_limit > 0 ? cfg->rate_limit : 0;
	api->burst = api->rate / 20 > 1 ? api->rate / 20 : 1;
	api->tokens = 1;
	api->refilled = now_s();
	if (digest_random(seed, sizeof(seed)))
		memcpy(seed, &api->refilled, sizeof(seed));
	memcpy(&api->rng, seed, sizeof(seed));
	api->rng |= 1;
	if (cfg->ca_file && *cfg->ca_file)
		api->ca_file = xstrdup(cfg->ca_file);
	api->idle = xcalloc((size_t)api->concurrency, sizeof(*api->idle));

	if (parse_base_url(api, cfg->base_url) || make_headers(api, token))
		goto fail;
	api->multi = curl_multi_init();
	api->share = curl_share_init();
	if (!api->multi || !api->share) {
		error("cannot initialize libcurl");
		goto fail;
	}
	/* One TLS session cache for all connections: fewer full handshakes. */
	curl_share_setopt(api->share, CURLSHOPT_SHARE,
			  CURL_LOCK_DATA_SSL_SESSION);
	curl_multi_setopt(api->multi, CURLMOPT_PIPELINING,
			  (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(api->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
			  api->concurrency);
	curl_multi_setopt(api->multi, CURLMOPT_MAXCONNECTS, api->concurrency);
	*out = api;
	return 0;
fail:
	api_release(api);
	return -1;
}

static void free_job(struct job *j)
{
	buf_release(&j->url);
	free(j);
}

void api_release(struct api *api)
{
	struct job *j;
	long i;

	if (!api)
		return;
	while ((j = api->ready)) {
		api->ready = j->next;
		j->req->priv = NULL;
		free_job(j);
	}
	while ((j = api->waiting)) {
		api->waiting = j->next;
		j->req->priv = NULL;
		free_job(j);
	}
	for (i = 0; i < api->n_idle; i++)
		curl_easy_cleanup(api->idle[i]);
	free(api->idle);
	if (api->multi)
		curl_multi_cleanup(api->multi);
	if (api->share)
		curl_share_cleanup(api->share);
	wipe_slist(api->hdr_plain);
	wipe_slist(api->hdr_body);
	buf_release(&api->base);
	buf_release(&api->host);
	free(api->ca_file);
	free(api);
}

long api_concurrency(const struct api *api)
{
	return api->concurrency;
}

void api_get_stats(const struct api *api, struct api_stats *out)
{
	*out = api->stats;
}

static void submit_job(struct api *api, struct api_request *req, long *watch)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->req = req;
	j->watch = watch;
	buf_init(&j->url);
	buf_addf(&j->url, "%s%s", api->base.buf, req->path.buf);
	req->priv = j;
	req->result = API_OK;
	req->status = 0;
	req->attempts = 0;
	req->response_sha256[0] = '\0';
	buf_reset(&req->response);
	buf_reset(&req->error);
	if (api->ready_tail)
		api->ready_tail->next = j;
	else
		api->ready = j;
	api->ready_tail = j;
	api->outstanding++;
}

void api_submit(struct api *api, struct api_request *req)
{
	submit_job(api, req, NULL);
}

static size_t on_write(char *data, size_t size, size_t n, void *arg)
{
	struct job *j = arg;
	size_t len = size * n;

	if (j->req->response.len + len > (size_t)MAX_RESPONSE) {
		j->too_large = 1;
		return 0;
	}
	buf_add(&j->req->response, data, len);
	return len;
}

/* Configures a fresh or reset easy handle for j's next attempt. */
static int setup_easy(struct api *api, struct job *j, CURL *e)
{
	struct api_request *req = j->req;
	int has_body = req->body.len || !strcmp(req->method, "PUT") ||
		       !strcmp(req->method, "POST");

	if (curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, api->protocols) ||
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) ||
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) ||
	    (api->ca_file &&
	     curl_easy_setopt(e, CURLOPT_CAINFO, api->ca_file)) ||
	    curl_easy_setopt(e, CURLOPT_URL, j->url.buf) ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER,
			     has_body ? api->hdr_body : api->hdr_plain))
		return -1;
	curl_easy_setopt(e, CURLOPT_SHARE, api->share);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, api->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 api->timeout_ms < 10000 ? api->timeout_ms : 10000L);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
			 (curl_off_t)MAX_RESPONSE);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "erasectl/" ERASECTL_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
	if (!strcmp(req->method, "GET")) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
		if (req->body.len || strcmp(req->method, "DELETE")) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)req->body.len);
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body.buf);
		}
	}
	return 0;
}

static void complete(struct api *api, struct job *j, enum api_result r)
{
	struct api_request *req = j->req;
	long *watch = j->watch;

	req->result = r;
	digest_sha256_hex(req->response.buf, req->response.len,
			  req->response_sha256);
	req->priv = NULL;
	free_job(j);
	api->stats.completed++;
	if (r != API_OK && r != API_NOT_FOUND)
		api->stats.failed++;
	api->outstanding--;
	if (watch)
		(*watch)--;
	if (req->done)
		req->done(req, req->ctx);
}

static void start_attempt(struct api *api, struct job *j)
{
	CURL *e = api->n_idle ? api->idle[--api->n_idle] : curl_easy_init();

	j->too_large = 0;
	j->errbuf[0] = '\0';
	buf_reset(&j->req->response);
	if (!e || setup_easy(api, j, e) ||
	    curl_multi_add_handle(api->multi, e)) {
		if (e)
			curl_easy_cleanup(e);
		set_error(j->req, "cannot set up the request in libcurl");
		complete(api, j, API_UNREACHABLE);
		return;
	}
	j->easy = e;
	j->started = now_s();
	j->req->attempts++;
	api->running++;
	api->stats.requests++;
}

static void release_easy(struct api *api, struct job *j)
{
	curl_multi_remove_handle(api->multi, j->easy);
	api->running--;
	if (api->n_idle < api->concurrency) {
		curl_easy_reset(j->easy);
		api->idle[api->n_idle++] = j->easy;
	} else {
		curl_easy_cleanup(j->easy);
	}
	j->easy = NULL;
}

/* Takes a token; returns 0, or the seconds until one is available. */
static double limiter_take(struct api *api, double now)
{
	if (api->rate <= 0)
		return 0;
	api->tokens += (now - api->refilled) * api->rate;
	if (api->tokens > api->burst)
		api->tokens = api->burst;
	api->refilled = now;
	if (api->tokens >= 1) {
		api->tokens -= 1;
		return 0;
	}
	return (1 - api->tokens) / api->rate;
}

static int is_tls_error(CURLcode cc)
{
	switch (cc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		return 1;
	default:
		return 0;
	}
}

static int is_transient(CURLcode cc)
{
	switch (cc) {
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

static const char *curl_why(const struct job *j, CURLcode cc)
{
	return j->errbuf[0] ? j->errbuf : curl_easy_strerror(cc);
}

/*
 * Classifies a finished attempt. Returns 1 when it may be retried; else
 * sets *r (and the error message for non-OK results).
 */
static int classify(struct api *api, struct job *j, CURLcode cc,
		    enum api_result *r)
{
	struct api_request *req = j->req;
	struct buf detail = BUF_INIT;
	long st = req->status;

	if (j->too_large || cc == CURLE_FILESIZE_EXCEEDED) {
		*r = API_BAD_RESPONSE;
		set_error(req, "response body larger than %ld MiB",
			  MAX_RESPONSE >> 20);
		return 0;
	}
	if (cc == CURLE_OK && st >= 200 && st < 300) {
		*r = API_OK;
		return 0;
	}
	if (cc != CURLE_OK) {
		if (is_transient(cc))
			return 1;
		*r = API_UNREACHABLE;
		if (cc == CURLE_PEER_FAILED_VERIFICATION)
			set_error(req, "TLS certificate of '%s' is not "
				  "trusted: %s", api->host.buf,
				  curl_why(j, cc));
		else if (is_tls_error(cc))
			set_error(req, "TLS connection to '%s' failed: %s",
				  api->host.buf, curl_why(j, cc));
		else if (cc == CURLE_UNSUPPORTED_PROTOCOL)
			set_error(req, "refusing to connect to '%s': %s "
				  "(only https is allowed)", api->host.buf,
				  curl_why(j, cc));
		else
			set_error(req, "cannot reach '%s': %s", api->host.buf,
				  curl_why(j, cc));
		return 0;
	}
	if (st == 408 || st == 429 || st >= 500)
		return 1;
	error_detail(&detail, &req->response);
	if (st == 404)
		*r = API_NOT_FOUND;
	else if (st == 401 || st == 403)
		*r = API_AUTH;
	else if (st >= 300 && st < 400)
		*r = API_BAD_RESPONSE;
	else
		*r = API_CLIENT_ERROR;
	set_error(req, "HTTP %ld%s%s%s", st,
		  *r == API_BAD_RESPONSE ? " (redirects are not followed)" :
		  st == 401 ? " (token refused)" :
		  st == 403 ? " (token lacks permission)" : "",
		  detail.len ? ": " : "", detail.buf);
	buf_release(&detail);
	return 0;
}

static void retry_exhausted(struct job *j, CURLcode cc, const char *extra)
{
	struct api_request *req = j->req;
	struct buf detail = BUF_INIT;

	if (cc != CURLE_OK) {
		set_error(req, "%s after %d attempts%s",
			  cc == CURLE_OPERATION_TIMEDOUT ? "timed out" :
			  "connection failed", req->attempts, extra);
		buf_addf(&req->error, " (%s)", curl_why(j, cc));
	} else {
		error_detail(&detail, &req->response);
		set_error(req, "HTTP %ld after %d attempts%s%s%s", req->status,
			  req->attempts, extra, detail.len ? ": " : "",
			  detail.buf);
	}
	buf_release(&detail);
}

static void finish_attempt(struct api *api, struct job *j, CURLcode cc)
{
	struct api_request *req = j->req;
	enum api_result r = API_OK;
	curl_off_t retry_after = 0;
	double now = now_s();

	req->status = 0;
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &req->status);
	curl_easy_getinfo(j->easy, CURLINFO_RETRY_AFTER, &retry_after);
	release_easy(api, j);
	if (log_get_level() >= LOG_DEBUG) {
		struct buf d = BUF_INIT;

		describe(&d, req);
		if (cc)
			debug("%s: %s, attempt %d, %.0f ms", d.buf,
			      curl_easy_strerror(cc), req->attempts,
			      (now - j->started) * 1000);
		else
			debug("%s: HTTP %ld, attempt %d, %.0f ms", d.buf,
			      req->status, req->attempts,
			      (now - j->started) * 1000);
		buf_release(&d);
	}
	if (!classify(api, j, cc, &r)) {
		complete(api, j, r);
		return;
	}
	if (retry_after > RETRY_AFTER_MAX_S) {
		struct buf extra = BUF_INIT;

		buf_addf(&extra, " (the server asked to wait %ld s)",
			 (long)retry_after);
		retry_exhausted(j, cc, extra.buf);
		buf_release(&extra);
		complete(api, j, API_RETRY_EXHAUSTED);
		return;
	}
	if (req->attempts >= api->max_attempts) {
		retry_exhausted(j, cc, "");
		complete(api, j, API_RETRY_EXHAUSTED);
		return;
	}
	if (retry_after > 0) {
		j->due = now + (double)retry_after +
			 (double)(rng_next(api) %
				  (uint64_t)(api->backoff_base_ms + 1)) / 1000;
	} else {
		double cap = (double)api->backoff_base_ms *
			     ldexp(1.0, req->attempts - 1);

		if (cap > BACKOFF_CAP_MS)
			cap = BACKOFF_CAP_MS;
		j->due = now + cap * ((double)(rng_next(api) >> 11) /
				      9007199254740992.0) / 1000;
	}
	api->stats.retries++;
	j->next = api->waiting;
	api->waiting = j;
}

/*
 * Moves due waiting jobs to the head of the ready queue (they are older
 * than what is queued) and starts ready jobs while slots and tokens allow.
 * Returns the milliseconds until something may start, or -1 for none.
 */
static long start_ready(struct api *api)
{
	double now = now_s(), wake = -1;
	struct job **pp = &api->waiting;

	while (*pp) {
		struct job *j = *pp;

		if (j->due <= now) {
			*pp = j->next;
			j->next = api->ready;
			api->ready = j;
			if (!api->ready_tail)
				api->ready_tail = j;
		} else {
			if (wake < 0 || j->due < wake)
				wake = j->due;
			pp = &j->next;
		}
	}
	while (api->ready && api->running < api->concurrency) {
		double wait = limiter_take(api, now);
		struct job *j;

		if (wait > 0) {
			if (wake < 0 || now + wait < wake)
				wake = now + wait;
			break;
		}
		j = api->ready;
		api->ready = j->next;
		if (!api->ready)
			api->ready_tail = NULL;
		j->next = NULL;
		start_attempt(api, j);
	}
	if (wake < 0)
		return -1;
	return (long)ceil((wake - now) * 1000);
}

static void collect(struct api *api)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(api->multi, &left))) {
		char *priv = NULL;
		CURLcode cc = m->data.result;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		finish_attempt(api, (struct job *)priv, cc);
	}
}

int api_run_until(struct api *api, const long *outstanding)
{
	while (*outstanding > 0) {
		CURLMcode mc;
		int still;
		long wait_ms = start_ready(api);

		if (!api->running && !api->ready && !api->waiting)
			return error("api: %ld requests lost track of",
				     *outstanding);
		/*
		 * Returns at once when a transfer just added needs driving,
		 * else on socket activity, curl's own timers, or when the
		 * next backoff or rate-limit token is due.
		 */
		if (wait_ms < 0 || wait_ms > 1000)
			wait_ms = 1000;
		mc = curl_multi_poll(api->multi, NULL, 0, (int)wait_ms, NULL);
		if (mc == CURLM_OK)
			mc = curl_multi_perform(api->multi, &still);
		if (mc != CURLM_OK)
			return error("libcurl: %s", curl_multi_strerror(mc));
		collect(api);
	}
	return 0;
}

int api_run(struct api *api)
{
	return api_run_until(api, &api->outstanding);
}

int api_call(struct api *api, struct api_request *req)
{
	long n = 1;

	submit_job(api, req, &n);
	return api_run_until(api, &n);
}

cJSON *api_response_json(struct api_request *req)
{
	const struct buf *b = &req->response;
	cJSON *j;

	if (!b->len) {
		api_bad_response(req, "empty response body, expected JSON");
		return NULL;
	}
	j = cJSON_ParseWithLength(b->buf, b->len);
	if (!j) {
		const char *at = cJSON_GetErrorPtr();
		size_t off = at && at >= b->buf && at <= b->buf + b->len ?
			     (size_t)(at - b->buf) : b->len;

		api_bad_response(req, "response is not valid JSON (%s at byte "
				 "%zu of %zu)", off >= b->len ?
				 "truncated or ends early" : "syntax error",
				 off, b->len);
		return NULL;
	}
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		api_bad_response(req, "response is JSON but not an object");
		return NULL;
	}
	return j;
}

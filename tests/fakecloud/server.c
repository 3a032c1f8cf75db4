/*
 * fakecloud's HTTP side: libmicrohttpd with a thread pool on epoll, TLS
 * through GnuTLS, fault injection, the request log and the loopback-only
 * admin endpoints. Injected latency never blocks a worker: the connection
 * is suspended and a timer thread resumes it when it is due.
 */
#include "fakecloud.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "banned.h"

#define MAX_BODY (1024 * 1024)

enum action {
	ACT_NONE,
	ACT_STATUS,		/* canned error reply */
	ACT_MALFORMED,		/* complete reply, JSON cut in half */
	ACT_TRUNCATED,		/* Content-Length promises more than is sent */
	ACT_DROP,		/* close without a response */
	ACT_SLOW_BODY,		/* half the body, a pause, the rest */
	ACT_DELAY,		/* extra latency, then the real reply */
};

static const char *const action_names[] = {
	[ACT_STATUS] = "status", [ACT_MALFORMED] = "malformed",
	[ACT_TRUNCATED] = "truncated", [ACT_DROP] = "drop",
	[ACT_SLOW_BODY] = "slow_body", [ACT_DELAY] = "delay",
};

struct rule {
	char *match;		/* substring of the raw path */
	char *method;		/* NULL: any */
	enum action action;
	unsigned status;
	char *retry_after;	/* NULL: no Retry-After header */
	long count;		/* hits left; -1: unlimited */
	double probability;
	long delay_ms;
	int apply;		/* carry the request out before the fault */
};

struct faults {
	long latency_ms, jitter_ms;
	double fail_rate;
	long rate_requests, rate_window_ms;
	struct rule *rules;
	size_t nrules;
};

struct logent {
	char *method, *path, *query;
	unsigned status;
};

struct timer {
	uint64_t due_ms;
	struct MHD_Connection *conn;
};

static struct {
	struct fleet fleet;
	char *token;
	uint64_t bh_seed;	/* shifting_order's dice restart here */

	pthread_mutex_t fault_lock;
	struct faults faults;
	uint64_t rng;
	uint64_t window_start;
	long window_count;

	pthread_mutex_t log_lock;
	struct logent *log;
	size_t nlog, alog, max_log;
	long requests, limited, log_dropped;
	FILE *logfp;

	pthread_mutex_t timer_lock;
	pthread_cond_t timer_cond;
	struct timer *heap;
	size_t nheap, aheap;
	int stopping;
} S = {
	.fault_lock = PTHREAD_MUTEX_INITIALIZER,
	.log_lock = PTHREAD_MUTEX_INITIALIZER,
	.timer_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* ---- timers: a min-heap of connections to resume ---- */
static void heap_swap(size_t a, size_t b)
{
	struct timer t = S.heap[a];

	S.heap[a] = S.heap[b];
	S.heap[b] = t;
}

static void timer_add(struct MHD_Connection *conn, long delay_ms)
{
	size_t i;

	pthread_mutex_lock(&S.timer_lock);
	fc_grow((void **)&S.heap, &S.aheap, S.nheap, sizeof(*S.heap));
	i = S.nheap++;
	S.heap[i].due_ms = fc_now_ms() + (uint64_t)delay_ms;
	S.heap[i].conn = conn;
	while (i && S.heap[(i - 1) / 2].due_ms > S.heap[i].due_ms) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	if (i == 0)
		pthread_cond_signal(&S.timer_cond);
	pthread_mutex_unlock(&S.timer_lock);
}

static struct MHD_Connection *heap_pop(void)
{
	struct MHD_Connection *c = S.heap[0].conn;
	size_t i = 0;

	S.heap[0] = S.heap[--S.nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < S.nheap && S.heap[l].due_ms < S.heap[m].due_ms)
			m = l;
		if (r < S.nheap && S.heap[r].due_ms < S.heap[m].due_ms)
			m = r;
		if (m == i)
			break;
		heap_swap(i, m);
		i = m;
	}
	return c;
}

static void *timer_main(void *arg)
{
	struct MHD_Connection **due = NULL;
	size_t adue = 0;

	(void)arg;
	pthread_mutex_lock(&S.timer_lock);
	for (;;) {
		uint64_t now = fc_now_ms();
		size_t ndue = 0;

		while (S.nheap && (S.stopping || S.heap[0].due_ms <= now)) {
			fc_grow((void **)&due, &adue, ndue, sizeof(*due));
			due[ndue++] = heap_pop();
		}
		if (ndue) {
			/* Resume outside the lock: handlers take it too. */
			pthread_mutex_unlock(&S.timer_lock);
			for (size_t i = 0; i < ndue; i++)
				MHD_resume_connection(due[i]);
			pthread_mutex_lock(&S.timer_lock);
			continue;
		}
		if (S.stopping)
			break;
		if (!S.nheap) {
			pthread_cond_wait(&S.timer_cond, &S.timer_lock);
		} else {
			uint64_t at = S.heap[0].due_ms;
			struct timespec ts = {
				.tv_sec = (time_t)(at / 1000),
				.tv_nsec = (long)(at % 1000) * 1000000,
			};

			pthread_cond_timedwait(&S.timer_cond, &S.timer_lock, &ts);
		}
	}
	pthread_mutex_unlock(&S.timer_lock);
	free(due);
	return NULL;
}

/* ---- faults ---- */
static void faults_release(struct faults *f)
{
	for (size_t i = 0; i < f->nrules; i++) {
		free(f->rules[i].match);
		free(f->rules[i].method);
		free(f->rules[i].retry_after);
	}
	free(f->rules);
	memset(f, 0, sizeof(*f));
}

static int num_field(const cJSON *o, const char *key, double min, double max,
		     double *out, const char **err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < min || v->valuedouble > max) {
		*err = key;
		return -1;
	}
	*out = v->valuedouble;
	return 0;
}

static int parse_rule(const cJSON *o, struct rule *r, const char **err)
{
	const cJSON *v;
	double d;

	memset(r, 0, sizeof(*r));
	r->count = -1;
	r->probability = 1;
	r->status = 503;
	if (!cJSON_IsObject(o))
		return *err = "rules[]", -1;
	v = cJSON_GetObjectItemCaseSensitive(o, "action");
	if (!cJSON_IsString(v))
		return *err = "action", -1;
	for (size_t i = 1; i < sizeof(action_names) / sizeof(*action_names); i++)
		if (!strcmp(v->valuestring, action_names[i]))
			r->action = (enum action)i;
	if (r->action == ACT_NONE)
		return *err = "action", -1;
	v = cJSON_GetObjectItemCaseSensitive(o, "match");
	if (v && !cJSON_IsString(v))
		return *err = "match", -1;
	r->match = fc_xstrdup(v ? v->valuestring : "");
	v = cJSON_GetObjectItemCaseSensitive(o, "method");
	if (v && !cJSON_IsString(v))
		return *err = "method", -1;
	r->method = v ? fc_xstrdup(v->valuestring) : NULL;
	v = cJSON_GetObjectItemCaseSensitive(o, "retry_after");
	if (cJSON_IsNumber(v)) {
		char tmp[32];

		snprintf(tmp, sizeof(tmp), "%ld", (long)v->valuedouble);
		r->retry_after = fc_xstrdup(tmp);
	} else if (cJSON_IsString(v)) {
		r->retry_after = fc_xstrdup(v->valuestring);
	} else if (v) {
		return *err = "retry_after", -1;
	}
	d = r->status;
	if (num_field(o, "status", 100, 599, &d, err))
		return -1;
	r->status = (unsigned)d;
	d = (double)r->count;
	if (num_field(o, "count", 0, 1e12, &d, err))
		return -1;
	r->count = (long)d;
	if (num_field(o, "probability", 0, 1, &r->probability, err))
		return -1;
	d = 0;
	if (num_field(o, "delay_ms", 0, 600000, &d, err))
		return -1;
	r->delay_ms = (long)d;
	v = cJSON_GetObjectItemCaseSensitive(o, "apply");
	if (v && !cJSON_IsBool(v))
		return *err = "apply", -1;
	r->apply = cJSON_IsTrue(v);
	return 0;
}

/* Parses the admin faults object; *err names the bad field. */
static int parse_faults(const cJSON *o, struct faults *f, const char **err)
{
	const cJSON *rules, *rl, *it;
	double d;

	memset(f, 0, sizeof(*f));
	if (!cJSON_IsObject(o))
		return *err = "body", -1;
	d = 0;
	if (num_field(o, "latency_ms", 0, 600000, &d, err))
		return -1;
	f->latency_ms = (long)d;
	d = 0;
	if (num_field(o, "jitter_ms", 0, 600000, &d, err))
		return -1;
	f->jitter_ms = (long)d;
	if (num_field(o, "fail_rate", 0, 1, &f->fail_rate, err))
		return -1;
	rl = cJSON_GetObjectItemCaseSensitive(o, "rate_limit");
	if (rl && !cJSON_IsNull(rl)) {
		d = 0;
		if (!cJSON_IsObject(rl) ||
		    num_field(rl, "requests", 1, 1e9, &d, err))
			return *err = "rate_limit.requests", -1;
		f->rate_requests = (long)d;
		d = 1000;
		if (num_field(rl, "window_ms", 1, 3.6e6, &d, err))
			return *err = "rate_limit.window_ms", -1;
		f->rate_window_ms = (long)d;
		if (!f->rate_requests)
			return *err = "rate_limit.requests", -1;
	}
	rules = cJSON_GetObjectItemCaseSensitive(o, "rules");
	if (rules && !cJSON_IsArray(rules))
		return *err = "rules", -1;
	cJSON_ArrayForEach(it, rules) {
		f->rules = fc_xrealloc(f->rules, (f->nrules + 1) * sizeof(*f->rules));
		if (parse_rule(it, &f->rules[f->nrules++], err)) {
			faults_release(f);
			return -1;
		}
	}
	return 0;
}

static cJSON *faults_json(const struct faults *f)
{
	cJSON *o = cJSON_CreateObject(), *rules;

	cJSON_AddNumberToObject(o, "latency_ms", (double)f->latency_ms);
	cJSON_AddNumberToObject(o, "jitter_ms", (double)f->jitter_ms);
	cJSON_AddNumberToObject(o, "fail_rate", f->fail_rate);
	if (f->rate_requests) {
		cJSON *rl = cJSON_AddObjectToObject(o, "rate_limit");

		cJSON_AddNumberToObject(rl, "requests", (double)f->rate_requests);
		cJSON_AddNumberToObject(rl, "window_ms", (double)f->rate_window_ms);
	}
	rules = cJSON_AddArrayToObject(o, "rules");
	for (size_t i = 0; i < f->nrules; i++) {
		const struct rule *r = &f->rules[i];
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "match", r->match);
		if (r->method)
			cJSON_AddStringToObject(j, "method", r->method);
		cJSON_AddStringToObject(j, "action", action_names[r->action]);
		if (r->action == ACT_STATUS)
			cJSON_AddNumberToObject(j, "status", r->status);
		if (r->retry_after)
			cJSON_AddStringToObject(j, "retry_after", r->retry_after);
		if (r->count >= 0)
			cJSON_AddNumberToObject(j, "count", (double)r->count);
		cJSON_AddNumberToObject(j, "probability", r->probability);
		if (r->delay_ms)
			cJSON_AddNumberToObject(j, "delay_ms", (double)r->delay_ms);
		if (r->apply)
			cJSON_AddTrueToObject(j, "apply");
		cJSON_AddItemToArray(rules, j);
	}
	return o;
}

/* What the fault settings decide for one request. */
struct verdict {
	enum action action;
	unsigned status;
	char retry_after[32];
	long delay_ms;		/* before the response */
	long body_delay_ms;	/* slow_body pause */
	int apply;
};

static double rand01(void)
{
	return (double)(fc_rand(&S.rng) >> 11) / 9007199254740992.0;
}

static void decide(const char *method, const char *path, struct verdict *v)
{
	struct faults *f = &S.faults;
	uint64_t now = fc_now_ms();

	memset(v, 0, sizeof(*v));
	pthread_mutex_lock(&S.fault_lock);
	v->delay_ms = f->latency_ms;
	if (f->jitter_ms)
		v->delay_ms += (long)(fc_rand(&S.rng) % (uint64_t)(f->jitter_ms + 1));
	if (f->rate_requests) {
		if (now - S.window_start >= (uint64_t)f->rate_window_ms) {
			S.window_start = now;
			S.window_count = 0;
		}
		if (++S.window_count > f->rate_requests) {
			v->action = ACT_STATUS;
			v->status = 429;
			S.limited++;
			goto out;
		}
	}
	for (size_t i = 0; i < f->nrules; i++) {
		struct rule *r = &f->rules[i];

		if (!r->count || !strstr(path, r->match) ||
		    (r->method && strcasecmp(r->method, method)))
			continue;
		if (r->probability < 1 && rand01() >= r->probability)
			continue;
		if (r->count > 0)
			r->count--;
		v->action = r->action;
		v->status = r->status;
		v->apply = r->apply;
		if (r->retry_after)
			snprintf(v->retry_after, sizeof(v->retry_after), "%s",
				 r->retry_after);
		if (r->action == ACT_DELAY)
			v->delay_ms += r->delay_ms;
		else if (r->action == ACT_SLOW_BODY)
			v->body_delay_ms = r->delay_ms ? r->delay_ms : 1000;
		goto out;
	}
	if (f->fail_rate > 0 && rand01() < f->fail_rate) {
		static const unsigned codes[] = { 500, 502, 503 };

		v->action = ACT_STATUS;
		v->status = codes[fc_rand(&S.rng) % 3];
	}
out:
	pthread_mutex_unlock(&S.fault_lock);
}

/* Particle's (or its load balancer's) body for an injected status. */
static void canned_reply(unsigned status, struct reply *out)
{
	cJSON *o;

	switch (status) {
	case 401:
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "error", "invalid_token");
		cJSON_AddStringToObject(o, "error_description",
					"The access token provided is invalid.");
		reply_json(out, 401, o);
		break;
	case 403:
		reply_error(out, 403, "Permission Denied");
		break;
	case 429:
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "error", "Too many requests");
		reply_json(out, 429, o);
		break;
	case 500:
		reply_error(out, 500, "Internal Server Error");
		break;
	case 502:
	case 503:
	case 504: {
		char html[160];

		snprintf(html, sizeof(html),
			 "<html><head><title>%u</title></head><body><center>"
			 "<h1>%u</h1></center></body></html>\n", status, status);
		out->status = status;
		out->body = fc_xstrdup(html);
		out->content_type = "text/html";
		break;
	}
	default:
		reply_error(out, status, "Injected error");
	}
}

/* ---- request log ---- */

/* The raw query with any access_token value redacted. */
static char *redact_query(const char *q)
{
	/* "access_token=&" (14) becomes "access_token=REDACTED&" (22). */
	char *out = fc_xmalloc(2 * strlen(q) + 32), *w = out;
	const char *p = q;

	while (*p) {
		size_t len = strcspn(p, "&");

		if (!strncmp(p, "access_token=", 13)) {
			memcpy(w, "access_token=REDACTED", 21);
			w += 21;
		} else {
			memcpy(w, p, len);
			w += len;
		}
		p += len;
		if (*p)
			*w++ = *p++;
	}
	*w = '\0';
	return out;
}

static void log_request(const char *method, const char *path,
			const char *query, unsigned status)
{
	char *q = redact_query(query);

	pthread_mutex_lock(&S.log_lock);
	if (S.logfp) {
		fprintf(S.logfp, "%s %s%s%s %u\n", method, path, *q ? "?" : "",
			q, status);
		fflush(S.logfp);
	}
	if (S.nlog < S.max_log) {
		fc_grow((void **)&S.log, &S.alog, S.nlog, sizeof(*S.log));
		S.log[S.nlog].method = fc_xstrdup(method);
		S.log[S.nlog].path = fc_xstrdup(path);
		S.log[S.nlog].query = q;
		S.log[S.nlog].status = status;
		S.nlog++;
		q = NULL;
	} else {
		S.log_dropped++;
	}
	pthread_mutex_unlock(&S.log_lock);
	free(q);
}

static void log_clear(void)
{
	pthread_mutex_lock(&S.log_lock);
	for (size_t i = 0; i < S.nlog; i++) {
		free(S.log[i].method);
		free(S.log[i].path);
		free(S.log[i].query);
	}
	S.nlog = 0;
	pthread_mutex_unlock(&S.log_lock);
}

/* ---- responses ---- */

/* Body for the callback responses (truncated, slow_body). */
struct stream {
	char *body;
	size_t len;
	size_t cut;		/* bytes sent before the fault */
	enum action action;
	long pause_ms;
	int paused;
	struct MHD_Connection *conn;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	size_t end = s->len, n;

	if (pos >= s->cut && s->action == ACT_TRUNCATED)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (pos >= s->cut && !s->paused) {
		s->paused = 1;
		MHD_suspend_connection(s->conn);
		timer_add(s->conn, s->pause_ms);
		return 0;
	}
	if (pos < s->cut)
		end = s->cut;
	if (pos >= end)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = end - (size_t)pos < max ? end - (size_t)pos : max;
	memcpy(buf, s->body + pos, n);
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	free(s->body);
	free(s);
}

static struct MHD_Response *make_response(struct MHD_Connection *conn,
					  struct reply *rep,
					  const struct verdict *v)
{
	struct MHD_Response *resp;
	size_t len = rep->body ? strlen(rep->body) : 0;

	if (v->action == ACT_MALFORMED && len) {
		/* A complete HTTP reply whose JSON stops mid-way. */
		rep->body[len / 2] = '\0';
		len /= 2;
	}
	if ((v->action == ACT_TRUNCATED || v->action == ACT_SLOW_BODY) && len) {
		struct stream *s = fc_xmalloc(sizeof(*s));

		s->body = rep->body;
		s->len = len;
		s->cut = len / 2;
		s->action = v->action;
		s->pause_ms = v->body_delay_ms;
		s->paused = 0;
		s->conn = conn;
		rep->body = NULL;
		resp = MHD_create_response_from_callback(len, 4096, stream_read,
							 s, stream_free);
	} else if (rep->body) {
		resp = MHD_create_response_from_buffer(len, rep->body,
						       MHD_RESPMEM_MUST_FREE);
		rep->body = NULL;
	} else {
		resp = MHD_create_response_from_buffer(0, (void *)"",
						       MHD_RESPMEM_PERSISTENT);
	}
	if (!resp) {
		fputs("fakecloud: cannot create a response\n", stderr);
		abort();
	}
	if (rep->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					rep->content_type);
	if (v->retry_after[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
					v->retry_after);
	return resp;
}

/* ---- per-request state ---- */
struct req {
	char *uri;		/* raw request target */
	char *body;
	size_t len, alloc;
	int started;
	int too_big;
	int delayed;		/* suspended; respond when resumed */
	int drop;
	unsigned status;
	struct MHD_Response *resp;
};

static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct req *q = fc_xmalloc(sizeof(*q));

	(void)cls;
	(void)c;
	memset(q, 0, sizeof(*q));
	q->uri = fc_xstrdup(uri);
	return q;
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!q)
		return;
	if (q->resp)
		MHD_destroy_response(q->resp);
	free(q->uri);
	free(q->body);
	free(q);
	*con_cls = NULL;
}

static int is_loopback(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		       (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
			in6->sin6_addr.s6_addr[12] == 127);
	}
	return 0;
}

static int check_token(struct MHD_Connection *c, const struct query *q)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	size_t n = strlen(S.token), diff = 0;

	/* The deprecated query parameter is refused: it leaks into logs. */
	if (query_get(q, "access_token") || !h || strncasecmp(h, "Bearer ", 7))
		return 0;
	/* "token_expires_at" in the past: an expired token is refused. */
	if (S.fleet.token_expires_at && fc_wall_ms() >= S.fleet.token_expires_ms)
		return 0;
	h += 7;
	if (strlen(h) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		diff |= (size_t)(h[i] ^ S.token[i]);
	return diff == 0;
}

static void admin(struct MHD_Connection *c, const char *method,
		  const char *path, struct req *q, struct reply *out)
{
	int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
	cJSON *o;

	if (!is_loopback(c)) {
		reply_error(out, 403, "admin endpoints are loopback only");
	} else if (get && !strcmp(path, "/admin/state")) {
		reply_json(out, 200, api_state(&S.fleet));
	} else if (get && !strcmp(path, "/admin/behaviour")) {
		pthread_rwlock_rdlock(&S.fleet.lock);
		o = behaviour_json(&S.fleet.bh);
		pthread_rwlock_unlock(&S.fleet.lock);
		reply_json(out, 200, o);
	} else if (post && !strcmp(path, "/admin/behaviour")) {
		cJSON *body = cJSON_ParseWithLengthOpts(q->body ? q->body : "",
							q->len + 1, NULL, 1);
		struct behaviour b;
		const char *err = NULL;

		if (behaviour_parse(body, &b, &err)) {
			char msg[160];

			snprintf(msg, sizeof(msg), "invalid behaviour settings: %.100s",
				 err);
			reply_error(out, 400, msg);
		} else {
			pthread_rwlock_wrlock(&S.fleet.lock);
			S.fleet.bh = b;
			S.fleet.bh_rng = S.bh_seed;
			pthread_rwlock_unlock(&S.fleet.lock);
			reply_ok(out);
		}
		cJSON_Delete(body);
	} else if (post && !strncmp(path, "/admin/devices/", 15) && path[15]) {
		char *id = fc_xstrdup(path + 15);

		fc_unescape(id, 0);
		api_admin_device(&S.fleet, id, q->body, q->len, out);
		free(id);
	} else if (get && !strcmp(path, "/admin/requests")) {
		o = cJSON_CreateArray();
		pthread_mutex_lock(&S.log_lock);
		for (size_t i = 0; i < S.nlog; i++) {
			cJSON *e = cJSON_CreateObject();

			cJSON_AddStringToObject(e, "method", S.log[i].method);
			cJSON_AddStringToObject(e, "path", S.log[i].path);
			cJSON_AddStringToObject(e, "query", S.log[i].query);
			cJSON_AddNumberToObject(e, "status", S.log[i].status);
			cJSON_AddItemToArray(o, e);
		}
		pthread_mutex_unlock(&S.log_lock);
		reply_json(out, 200, o);
	} else if (post && !strcmp(path, "/admin/reset-log")) {
		log_clear();
		reply_ok(out);
	} else if (get && !strcmp(path, "/admin/stats")) {
		o = cJSON_CreateObject();
		pthread_mutex_lock(&S.log_lock);
		cJSON_AddNumberToObject(o, "requests", (double)S.requests);
		cJSON_AddNumberToObject(o, "logged", (double)S.nlog);
		cJSON_AddNumberToObject(o, "log_dropped", (double)S.log_dropped);
		pthread_mutex_unlock(&S.log_lock);
		pthread_mutex_lock(&S.fault_lock);
		cJSON_AddNumberToObject(o, "limited", (double)S.limited);
		pthread_mutex_unlock(&S.fault_lock);
		reply_json(out, 200, o);
	} else if (get && !strcmp(path, "/admin/faults")) {
		pthread_mutex_lock(&S.fault_lock);
		o = faults_json(&S.faults);
		pthread_mutex_unlock(&S.fault_lock);
		reply_json(out, 200, o);
	} else if (post && !strcmp(path, "/admin/faults")) {
		cJSON *body = cJSON_ParseWithLengthOpts(q->body ? q->body : "",
							q->len + 1, NULL, 1);
		struct faults f;
		const char *err = NULL;

		if (parse_faults(body, &f, &err)) {
			char msg[128];

			snprintf(msg, sizeof(msg), "invalid fault settings: %s",
				 err);
			reply_error(out, 400, msg);
		} else {
			pthread_mutex_lock(&S.fault_lock);
			faults_release(&S.faults);
			S.faults = f;
			S.window_start = 0;
			S.window_count = 0;
			pthread_mutex_unlock(&S.fault_lock);
			reply_ok(out);
		}
		cJSON_Delete(body);
	} else {
		reply_error(out, 404, "Not found");
	}
}

/* Splits "/v1/a/b%40c" into decoded segments after "v1"; -1 if not /v1. */
static int split_path(const char *path, char ***segs, size_t *nseg)
{
	size_t n = 0, alloc = 0;
	char **v = NULL;
	const char *p;

	if (strncmp(path, "/v1/", 4))
		return -1;
	p = path + 4;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (len) {
			fc_grow((void **)&v, &alloc, n, sizeof(*v));
			v[n] = fc_xstrndup(p, len);
			fc_unescape(v[n], 0);
			n++;
		}
		p += len;
		if (*p)
			p++;
	}
	*segs = v;
	*nseg = n;
	return 0;
}

static void serve_api(struct MHD_Connection *c, const char *method,
		      const char *path, const struct query *qs, struct req *q,
		      struct reply *out)
{
	struct api_req r = {
		.method = method, .query = qs,
		.body = q->body ? q->body : "", .body_len = q->len,
		.content_type = MHD_lookup_connection_value(
			c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
	};

	if (!check_token(c, qs)) {
		canned_reply(401, out);
		return;
	}
	if (q->too_big) {
		reply_error(out, 413, "Request entity too large");
		return;
	}
	if (split_path(path, &r.seg, &r.nseg)) {
		reply_error(out, 404, "Not found");
		return;
	}
	api_handle(&S.fleet, &r, out);
	for (size_t i = 0; i < r.nseg; i++)
		free(r.seg[i]);
	free(r.seg);
}

static enum MHD_Result respond(struct MHD_Connection *c, struct req *q)
{
	enum MHD_Result ret;

	if (q->drop)
		return MHD_NO;
	ret = MHD_queue_response(c, q->status, q->resp);
	MHD_destroy_response(q->resp);
	q->resp = NULL;
	return ret;
}

static enum MHD_Result process(struct MHD_Connection *c, const char *method,
			       struct req *q)
{
	char *qmark = strchr(q->uri, '?');
	const char *rawq = qmark ? qmark + 1 : "";
	struct reply rep = { 0, NULL, NULL };
	struct verdict v;
	struct query qs;

	if (qmark)
		*qmark = '\0';	/* q->uri is now the raw path */
	query_parse(&qs, rawq, strlen(rawq));
	if (!strncmp(q->uri, "/admin/", 7)) {
		memset(&v, 0, sizeof(v));
		admin(c, method, q->uri, q, &rep);
	} else {
		pthread_mutex_lock(&S.log_lock);
		S.requests++;
		pthread_mutex_unlock(&S.log_lock);
		decide(method, q->uri, &v);
		if (v.action == ACT_NONE || v.action == ACT_DELAY ||
		    v.action == ACT_MALFORMED || v.action == ACT_TRUNCATED ||
		    v.action == ACT_SLOW_BODY || v.apply)
			serve_api(c, method, q->uri, &qs, q, &rep);
		if (v.action == ACT_STATUS) {
			free(rep.body);
			rep.body = NULL;
			canned_reply(v.status, &rep);
		}
		log_request(method, q->uri, rawq,
			    v.action == ACT_DROP ? 0 : rep.status);
	}
	query_release(&qs);
	q->status = rep.status;
	q->drop = v.action == ACT_DROP;
	if (!q->drop)
		q->resp = make_response(c, &rep, &v);
	free(rep.body);
	if (v.delay_ms > 0) {
		q->delayed = 1;
		MHD_suspend_connection(c);
		timer_add(c, v.delay_ms);
		return MHD_YES;
	}
	return respond(c, q);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
			       const char *url, const char *method,
			       const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct req *q = *con_cls;

	(void)cls;
	(void)version;
	if (!q)
		*con_cls = q = uri_logger(NULL, url, c);
	if (!q->started) {
		q->started = 1;
		return MHD_YES;
	}
	if (*upload_size) {
		if (q->len + *upload_size > MAX_BODY) {
			q->too_big = 1;
		} else {
			fc_grow((void **)&q->body, &q->alloc,
				q->len + *upload_size, 1);
			memcpy(q->body + q->len, upload, *upload_size);
			q->len += *upload_size;
			q->body[q->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->delayed)
		return respond(c, q);
	return process(c, method, q);
}

/* ---- main ---- */
static void usage(FILE *fp)
{
	fputs("usage: fakecloud --fixture FILE [--port N] [--port-file FILE]\n"
	      "                 [--bind ADDR] [--tls CERT KEY] [--token TOKEN |\n"
	      "                 --token-file FILE] [--threads N] [--latency-ms N]\n"
	      "                 [--jitter-ms N] [--rate-limit N --rate-window-ms MS]\n"
	      "                 [--fail-rate P] [--faults FILE] [--seed N]\n"
	      "                 [--behaviour FILE] [--behave NAME[=VALUE]]...\n"
	      "                 [--log FILE] [--max-log N]\n"
	      "       fakecloud --generate --products N --customers N --devices N\n"
	      "                 [--seed N] [--max-devices-per-customer N]\n"
	      "                 [--non-email-share P] > fleet.json\n"
	      "See tests/fakecloud/README.md.\n", fp);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *data = NULL;
	size_t alloc = 0, n = 0, got;

	if (!fp) {
		fprintf(stderr, "fakecloud: cannot read '%s': %s\n", path,
			strerror(errno));
		return NULL;
	}
	do {
		fc_grow((void **)&data, &alloc, n + 4096, 1);
		got = fread(data + n, 1, alloc - n - 1, fp);
		n += got;
	} while (got > 0);
	fclose(fp);
	data[n] = '\0';
	return data;
}

static int load_faults(const char *path)
{
	char *text = slurp(path);
	cJSON *j;
	const char *err = NULL;
	struct faults f;

	if (!text)
		return -1;
	j = cJSON_Parse(text);
	free(text);
	if (!j || parse_faults(j, &f, &err)) {
		fprintf(stderr, "fakecloud: %s: invalid fault settings%s%s\n",
			path, err ? ": " : "", err ? err : "");
		cJSON_Delete(j);
		return -1;
	}
	cJSON_Delete(j);
	faults_release(&S.faults);
	S.faults = f;
	return 0;
}

/* --behaviour FILE: its object replaces the switches set so far. */
static int load_behaviour(const char *path, cJSON **acc)
{
	char *text = slurp(path);
	cJSON *j;

	if (!text)
		return -1;
	j = cJSON_Parse(text);
	free(text);
	if (!cJSON_IsObject(j)) {
		fprintf(stderr, "fakecloud: %s: not a JSON object\n", path);
		cJSON_Delete(j);
		return -1;
	}
	cJSON_Delete(*acc);
	*acc = j;
	return 0;
}

static int parse_num(const char *opt, const char *s, double min, double max,
		     double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || v < min || v > max) {
		fprintf(stderr, "fakecloud: invalid %s '%s'\n", opt, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int write_port_file(const char *path, unsigned port)
{
	size_t n = strlen(path);
	char *tmp = fc_xmalloc(n + 5);
	FILE *fp;
	int ret = 0;

	memcpy(tmp, path, n);
	memcpy(tmp + n, ".tmp", 5);
	fp = fopen(tmp, "w");
	if (!fp || fprintf(fp, "%u\n", port) < 0 || fclose(fp) ||
	    rename(tmp, path)) {
		fprintf(stderr, "fakecloud: cannot write '%s': %s\n", path,
			strerror(errno));
		ret = -1;
	}
	free(tmp);
	return ret;
}

enum {
	OPT_FIXTURE = 256, OPT_PORT, OPT_PORT_FILE, OPT_BIND, OPT_TLS,
	OPT_TOKEN, OPT_TOKEN_FILE, OPT_THREADS, OPT_LATENCY, OPT_JITTER,
	OPT_RATE, OPT_WINDOW, OPT_FAIL, OPT_FAULTS, OPT_SEED, OPT_LOG,
	OPT_MAX_LOG, OPT_GENERATE, OPT_PRODUCTS, OPT_CUSTOMERS, OPT_DEVICES,
	OPT_MAX_PER, OPT_BEHAVIOUR, OPT_BEHAVE, OPT_NON_EMAIL, OPT_HELP,
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fixture", required_argument, NULL, OPT_FIXTURE },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "port-file", required_argument, NULL, OPT_PORT_FILE },
		{ "bind", required_argument, NULL, OPT_BIND },
		{ "tls", required_argument, NULL, OPT_TLS },
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "latency-ms", required_argument, NULL, OPT_LATENCY },
		{ "jitter-ms", required_argument, NULL, OPT_JITTER },
		{ "rate-limit", required_argument, NULL, OPT_RATE },
		{ "rate-window-ms", required_argument, NULL, OPT_WINDOW },
		{ "fail-rate", required_argument, NULL, OPT_FAIL },
		{ "faults", required_argument, NULL, OPT_FAULTS },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "max-log", required_argument, NULL, OPT_MAX_LOG },
		{ "generate", no_argument, NULL, OPT_GENERATE },
		{ "products", required_argument, NULL, OPT_PRODUCTS },
		{ "customers", required_argument, NULL, OPT_CUSTOMERS },
		{ "devices", required_argument, NULL, OPT_DEVICES },
		{ "max-devices-per-customer", required_argument, NULL, OPT_MAX_PER },
		{ "behaviour", required_argument, NULL, OPT_BEHAVIOUR },
		{ "behave", required_argument, NULL, OPT_BEHAVE },
		{ "non-email-share", required_argument, NULL, OPT_NON_EMAIL },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *fixture = NULL, *port_file = NULL, *bind_addr = "127.0.0.1";
	const char *cert_file = NULL, *key_file = NULL;
	const char *log_file = NULL;
	char *token = NULL, *cert = NULL, *key = NULL;
	struct gen_opts gen = { 1, 10, 100, 3, 1, 0 };
	cJSON *bh = NULL;
	const char *bh_err = NULL;
	double port = 0, threads = 2, d;
	int generate = 0, opt, ret = 1;
	struct MHD_OptionItem mo[16];
	struct sockaddr_in addr;
	struct MHD_Daemon *daemon = NULL;
	const union MHD_DaemonInfo *info;
	pthread_t timer_thread;
	pthread_condattr_t ca;
	unsigned flags;
	size_t nmo = 0;
	sigset_t sigs;
	int sig;

	S.max_log = 1000000;
	S.rng = (uint64_t)time(NULL) ^ (uint64_t)getpid();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_FIXTURE: fixture = optarg; break;
		case OPT_PORT:
			if (parse_num("--port", optarg, 0, 65535, &port))
				goto usage_error;
			break;
		case OPT_PORT_FILE: port_file = optarg; break;
		case OPT_BIND: bind_addr = optarg; break;
		case OPT_TLS:
			if (optind >= argc) {
				fputs("fakecloud: --tls needs CERT and KEY\n", stderr);
				goto usage_error;
			}
			cert_file = optarg;
			key_file = argv[optind++];
			break;
		case OPT_TOKEN:
			free(token);
			token = fc_xstrdup(optarg);
			break;
		case OPT_TOKEN_FILE:
			free(token);
			if (!(token = slurp(optarg)))
				goto usage_error;
			token[strcspn(token, "\r\n")] = '\0';
			break;
		case OPT_THREADS:
			if (parse_num("--threads", optarg, 1, 64, &threads))
				goto usage_error;
			break;
		case OPT_LATENCY:
			if (parse_num("--latency-ms", optarg, 0, 600000, &d))
				goto usage_error;
			S.faults.latency_ms = (long)d;
			break;
		case OPT_JITTER:
			if (parse_num("--jitter-ms", optarg, 0, 600000, &d))
				goto usage_error;
			S.faults.jitter_ms = (long)d;
			break;
		case OPT_RATE:
			if (parse_num("--rate-limit", optarg, 1, 1e9, &d))
				goto usage_error;
			S.faults.rate_requests = (long)d;
			break;
		case OPT_WINDOW:
			if (parse_num("--rate-window-ms", optarg, 1, 3.6e6, &d))
				goto usage_error;
			S.faults.rate_window_ms = (long)d;
			break;
		case OPT_FAIL:
			if (parse_num("--fail-rate", optarg, 0, 1, &S.faults.fail_rate))
				goto usage_error;
			break;
		case OPT_FAULTS:
			/* Replaces the fault flags before it; later ones apply on top. */
			if (load_faults(optarg))
				goto usage_error;
			break;
		case OPT_SEED:
			if (parse_num("--seed", optarg, 0, 1e18, &d))
				goto usage_error;
			S.rng = gen.seed = (uint64_t)d;
			break;
		case OPT_BEHAVIOUR:
			/* Replaces the switches before it; --behave after it adds. */
			if (load_behaviour(optarg, &bh))
				goto usage_error;
			break;
		case OPT_BEHAVE:
			if (behaviour_flag(&bh, optarg)) {
				fprintf(stderr, "fakecloud: invalid --behave '%s'\n", optarg);
				goto usage_error;
			}
			break;
		case OPT_NON_EMAIL:
			if (parse_num("--non-email-share", optarg, 0, 1,
				      &gen.non_email_share))
				goto usage_error;
			break;
		case OPT_LOG: log_file = optarg; break;
		case OPT_MAX_LOG:
			if (parse_num("--max-log", optarg, 0, 1e9, &d))
				goto usage_error;
			S.max_log = (size_t)d;
			break;
		case OPT_GENERATE: generate = 1; break;
		case OPT_PRODUCTS:
			if (parse_num("--products", optarg, 1, 1e6, &d))
				goto usage_error;
			gen.products = (long)d;
			break;
		case OPT_CUSTOMERS:
			if (parse_num("--customers", optarg, 0, 1e8, &d))
				goto usage_error;
			gen.customers = (long)d;
			break;
		case OPT_DEVICES:
			if (parse_num("--devices", optarg, 0, 1e8, &d))
				goto usage_error;
			gen.devices = (long)d;
			break;
		case OPT_MAX_PER:
			if (parse_num("--max-devices-per-customer", optarg, 1, 1e6, &d))
				goto usage_error;
			gen.max_per_customer = (long)d;
			break;
		case OPT_HELP:
			usage(stdout);
			cJSON_Delete(bh);
			free(token);
			return 0;
		default:
			usage(stderr);
			goto usage_error;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "fakecloud: unexpected argument '%s'\n", argv[optind]);
		goto usage_error;
	}
	if (generate) {
		cJSON_Delete(bh);
		free(token);
		return fleet_generate(&gen) ? 1 : 0;
	}
	if (!fixture) {
		usage(stderr);
		goto usage_error;
	}
	if (S.faults.rate_requests && !S.faults.rate_window_ms)
		S.faults.rate_window_ms = 1000;
	if (fleet_load(&S.fleet, fixture))
		goto out;
	S.bh_seed = S.rng ^ 0x6a09e667f3bcc908ULL;
	S.fleet.bh_rng = S.bh_seed;
	if (bh && behaviour_parse(bh, &S.fleet.bh, &bh_err)) {
		fprintf(stderr, "fakecloud: invalid behaviour settings: %s\n",
			bh_err);
		ret = 2;
		goto out;
	}
	S.token = token ? token : S.fleet.token ? fc_xstrdup(S.fleet.token) : NULL;
	token = NULL;
	if (!S.token || !*S.token) {
		fputs("fakecloud: no token: use --token or the fixture's \"token\"\n",
		      stderr);
		goto out;
	}
	if (log_file && !(S.logfp = fopen(log_file, "a"))) {
		fprintf(stderr, "fakecloud: cannot open '%s': %s\n", log_file,
			strerror(errno));
		goto out;
	}

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, bind_addr, &addr.sin_addr) != 1) {
		fprintf(stderr, "fakecloud: invalid --bind address '%s'\n", bind_addr);
		goto out;
	}
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
		MHD_ALLOW_SUSPEND_RESUME;
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &addr };
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE,
					     (intptr_t)threads, NULL };
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_URI_LOG_CALLBACK,
					     (intptr_t)uri_logger, NULL };
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
					     (intptr_t)request_done, NULL };
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, 60, NULL };
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL };
	if (cert_file) {
		if (!(cert = slurp(cert_file)) || !(key = slurp(key_file)))
			goto out;
		flags |= MHD_USE_TLS;
		mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, cert };
		mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, key };
	}
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	/* Signals are taken by sigwait in this thread only. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&S.timer_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&timer_thread, NULL, timer_main, NULL)) {
		fputs("fakecloud: cannot start the timer thread\n", stderr);
		goto out;
	}
	daemon = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL,
				  MHD_OPTION_ARRAY, mo, MHD_OPTION_END);
	if (!daemon) {
		fprintf(stderr, "fakecloud: cannot serve on %s:%u (address in use, "
			"or a bad TLS certificate or key)\n", bind_addr,
			(unsigned)port);
	} else {
		info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
		fprintf(stderr, "fakecloud: listening on %s://%s:%u\n",
			cert_file ? "https" : "http", bind_addr, info->port);
		if (!port_file || !write_port_file(port_file, info->port)) {
			sigwait(&sigs, &sig);
			ret = 0;
		}
	}
	pthread_mutex_lock(&S.timer_lock);
	S.stopping = 1;
	pthread_cond_signal(&S.timer_cond);
	pthread_mutex_unlock(&S.timer_lock);
	pthread_join(timer_thread, NULL);
	if (daemon)
		MHD_stop_daemon(daemon);
out:
	log_clear();
	free(S.log);
	free(S.heap);
	faults_release(&S.faults);
	fleet_release(&S.fleet);
	if (S.logfp)
		fclose(S.logfp);
	free(S.token);
	free(token);
	free(cert);
	free(key);
	cJSON_Delete(bh);
	return ret;
usage_error:
	cJSON_Delete(bh);
	free(token);
	faults_release(&S.faults);
	return 2;
}

/*
 * Tests for the API client against build/fakecloud over HTTPS, with a
 * throwaway CA made by openssl at test time. The fake's request log
 * (GET /admin/requests) and stats are the evidence of what was sent.
 * Everything the client prints (stderr, debug level on) is captured and
 * checked for the token at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "api.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "fixture.h"

#define TOKEN "tok-4f1d9c-ZsecretZ-77ab30e2"
#define NCUSTOMERS 230

/*
 * The API tests' part of the fixture (its data): the fake cloud running
 * over TLS in the fixture's directory, and what the client produced.
 * The group's stderr goes to the fixture's capture file throughout.
 */
struct fake {
	pid_t pid;
	struct buf url, ca;
	long err_mark;
	struct buf seen;	/* every req->error and response we got */
};
#define FAKE(f) ((struct fake *)(f)->data)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(struct fixture *f, const char *cmd)
{
	struct buf b = BUF_INIT;
	int rc;

	buf_addf(&b, "cd '%s' && %s >/dev/null 2>&1", f->dir, cmd);
	rc = system(b.buf);
	buf_release(&b);
	return rc;
}

static int make_tls(struct fixture *f)
{
	struct buf ext = BUF_INIT;
	FILE *fp;

	buf_addf(&ext, "%s/ext", f->dir);
	fp = fopen(ext.buf, "w");
	buf_release(&ext);
	if (!fp)
		return -1;
	fputs("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
	      "basicConstraints=CA:FALSE\n", fp);
	if (fclose(fp))
		return -1;
	return run(f, "openssl req -x509 -newkey ec -pkeyopt "
		   "ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem "
		   "-days 2 -subj '/CN=erasectl test CA'") ||
	       run(f, "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		   "-nodes -keyout server.key -out server.csr "
		   "-subj /CN=localhost") ||
	       run(f, "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
		   "-CAcreateserial -out server.pem -days 2 -extfile ext") ||
	       run(f, "openssl req -x509 -newkey ec -pkeyopt "
		   "ec_paramgen_curve:P-256 -nodes -keyout other.key "
		   "-out other.pem -days 2 -subj '/CN=some other CA'");
}

static int write_fixture(struct fixture *f)
{
	cJSON *root = cJSON_CreateObject(), *prods, *p, *custs, *devs;
	struct buf path = BUF_INIT;
	char *text;
	FILE *fp;
	int i;

	cJSON_AddStringToObject(root, "token", TOKEN);
	prods = cJSON_AddArrayToObject(root, "products");
	p = cJSON_CreateObject();
	cJSON_AddItemToArray(prods, p);
	cJSON_AddNumberToObject(p, "id", 1001);
	cJSON_AddStringToObject(p, "slug", "acme-thermostat");
	custs = cJSON_AddArrayToObject(p, "customers");
	for (i = 0; i < NCUSTOMERS; i++) {
		cJSON *c = cJSON_CreateObject();
		char id[24], user[64];

		snprintf(id, sizeof(id), "c%04d", i);
		snprintf(user, sizeof(user), "user%03d+tag@example.com", i);
		cJSON_AddStringToObject(c, "id", id);
		cJSON_AddStringToObject(c, "username", user);
		cJSON_AddStringToObject(c, "full_name", "Someone");
		cJSON_AddItemToArray(custs, c);
	}
	devs = cJSON_AddArrayToObject(p, "devices");
	for (i = 0; i < 4; i++) {
		cJSON *d = cJSON_CreateObject();
		char id[40];

		snprintf(id, sizeof(id), "0123456789abcdef0123456%d", i);
		cJSON_AddStringToObject(d, "id", id);
		cJSON_AddStringToObject(d, "name", "dev");
		cJSON_AddStringToObject(d, "owner", "user001+tag@example.com");
		cJSON_AddItemToArray(devs, d);
	}
	cJSON_AddArrayToObject(p, "sims");
	/* A product whose one device is larger than any response may be. */
	p = cJSON_CreateObject();
	cJSON_AddItemToArray(prods, p);
	cJSON_AddNumberToObject(p, "id", 1002);
	cJSON_AddStringToObject(p, "slug", "big");
	cJSON_AddArrayToObject(p, "customers");
	devs = cJSON_AddArrayToObject(p, "devices");
	{
		cJSON *d = cJSON_CreateObject();
		size_t n = 17u << 20;
		char *notes = xmalloc(n + 1);

		memset(notes, 'x', n);
		notes[n] = '\0';
		cJSON_AddStringToObject(d, "id", "b1660123456789abcdef0123");
		cJSON_AddStringToObject(d, "notes", notes);
		cJSON_AddItemToArray(devs, d);
		free(notes);
	}
	cJSON_AddArrayToObject(p, "sims");
	cJSON_AddArrayToObject(root, "ledgers");
	text = cJSON_Print(root);
	buf_addf(&path, "%s/fleet.json", f->dir);
	fp = fopen(path.buf, "w");
	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
	free(text);
	cJSON_Delete(root);
	buf_release(&path);
	return fp ? 0 : -1;
}

static int start_fake(struct fixture *f)
{
	const char *bin = getenv("FAKECLOUD") ? getenv("FAKECLOUD") :
			  "build/fakecloud";
	struct buf fx = BUF_INIT, cert = BUF_INIT, key = BUF_INIT,
		   pf = BUF_INIT, lg = BUF_INIT, out = BUF_INIT;
	int i, port = 0;

	buf_addf(&fx, "%s/fleet.json", f->dir);
	buf_addf(&cert, "%s/server.pem", f->dir);
	buf_addf(&key, "%s/server.key", f->dir);
	buf_addf(&pf, "%s/port", f->dir);
	buf_addf(&lg, "%s/fake.log", f->dir);
	buf_addf(&out, "%s/fake.out", f->dir);
	FAKE(f)->pid = fork();
	if (FAKE(f)->pid == 0) {
		int fd = open(out.buf, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		execl(bin, bin, "--fixture", fx.buf, "--tls", cert.buf,
		      key.buf, "--port-file", pf.buf, "--log", lg.buf,
		      "--threads", "16", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 1000 && !port; i++) {
		FILE *fp = fopen(pf.buf, "r");

		if (fp) {
			if (fscanf(fp, "%d", &port) != 1)
				port = 0;
			fclose(fp);
		}
		if (!port)
			usleep(10000);
	}
	buf_addf(&FAKE(f)->url, "https://127.0.0.1:%d", port);
	buf_release(&fx);
	buf_release(&cert);
	buf_release(&key);
	buf_release(&pf);
	buf_release(&lg);
	buf_release(&out);
	return port ? 0 : -1;
}

static void stop_fake(struct fixture *f)
{
	if (FAKE(f)->pid > 0) {
		kill(FAKE(f)->pid, SIGTERM);
		waitpid(FAKE(f)->pid, NULL, 0);
		FAKE(f)->pid = 0;
	}
}

static void free_fake(struct fixture *f)
{
	struct fake *fk = FAKE(f);

	buf_release(&fk->url);
	buf_release(&fk->ca);
	buf_release(&fk->seen);
	free(fk);
	f->data = NULL;
}

/*
 * The group's fixture: its directory holds the throwaway CA, the fake's
 * fleet and logs; the fake runs for the whole group; stderr is captured
 * at debug level, so that every line the client can print is checked.
 */
static int group_setup(void **state)
{
	struct fixture *f = fixture_new(LOG_DEBUG);
	struct fake *fk;

	if (!f)
		return -1;
	fk = f->data = xcalloc(1, sizeof(*fk));
	buf_init(&fk->url);
	buf_init(&fk->ca);
	buf_init(&fk->seen);
	buf_addf(&fk->ca, "%s/ca.pem", f->dir);
	if (make_tls(f) || write_fixture(f) || start_fake(f)) {
		fprintf(stderr, "# cannot start build/fakecloud with TLS in "
			"%s\n", f->dir);
		stop_fake(f);
		free_fake(f);
		fixture_free(f);
		return -1;
	}
	setenv("ERASECTL_BACKOFF_BASE_MS", "5", 1);
	if (fixture_capture_stderr(f)) {
		stop_fake(f);
		free_fake(f);
		fixture_free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	struct buf cmd = BUF_INIT;

	/* Also called after a failed setup, which left nothing. */
	if (!f)
		return 0;
	fixture_restore_stderr(f);
	/* Show what the client printed, minus the per-request debug lines. */
	buf_addf(&cmd, "grep -v 'debug:' '%s' | sed 's/^/# /' >&2",
		 f->err_path.buf);
	if (system(cmd.buf) < 0)
		fprintf(stderr, "# cannot show %s\n", f->err_path.buf);
	buf_release(&cmd);
	stop_fake(f);
	free_fake(f);
	return fixture_teardown(state);
}

static void read_file(const char *path, long from, struct buf *out)
{
	FILE *f = fopen(path, "r");
	char chunk[4096];
	size_t n;

	if (!f)
		return;
	fseek(f, from, SEEK_SET);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(out, chunk, n);
	fclose(f);
}

/* What the client printed since the last mark. */
static void stderr_mark(struct fixture *f)
{
	struct stat st;

	fflush(stderr);
	FAKE(f)->err_mark = stat(f->err_path.buf, &st) ? 0 : (long)st.st_size;
}

static void stderr_since_mark(struct fixture *f, struct buf *out)
{
	fflush(stderr);
	read_file(f->err_path.buf, FAKE(f)->err_mark, out);
}

static size_t admin_write(char *p, size_t s, size_t n, void *arg)
{
	buf_add(arg, p, s * n);
	return s * n;
}

static long admin(struct fixture *f, const char *method, const char *path, const char *body,
		  struct buf *out)
{
	CURL *e = curl_easy_init();
	struct buf url = BUF_INIT, sink = BUF_INIT;
	long status = 0;

	buf_addf(&url, "%s%s", FAKE(f)->url.buf, path);
	curl_easy_setopt(e, CURLOPT_URL, url.buf);
	curl_easy_setopt(e, CURLOPT_CAINFO, FAKE(f)->ca.buf);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (body)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, admin_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, out ? out : &sink);
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	buf_release(&url);
	buf_release(&sink);
	return status;
}

/* Installs fault settings (JSON text) and clears the request log. */
static void faults(struct fixture *f, const char *json)
{
	assert_int_equal(admin(f, "POST", "/admin/faults", json, NULL), 200);
	assert_int_equal(admin(f, "POST", "/admin/reset-log", "", NULL), 200);
}

/* The /v1 request log entries; caller deletes. */
static cJSON *request_log(struct fixture *f)
{
	struct buf b = BUF_INIT;
	cJSON *j;

	assert_int_equal(admin(f, "GET", "/admin/requests", NULL, &b), 200);
	j = cJSON_Parse(b.buf);
	assert_true(cJSON_IsArray(j));
	buf_release(&b);
	return j;
}

static int count_requests(struct fixture *f, const char *path_part)
{
	cJSON *log = request_log(f), *e;
	int n = 0;

	cJSON_ArrayForEach(e, log) {
		const cJSON *p = cJSON_GetObjectItem(e, "path");

		if (cJSON_IsString(p) && !strncmp(p->valuestring, "/v1", 3) &&
		    strstr(p->valuestring, path_part))
			n++;
	}
	cJSON_Delete(log);
	return n;
}

static long fake_stat(struct fixture *f, const char *key)
{
	struct buf b = BUF_INIT;
	cJSON *j;
	long v;

	assert_int_equal(admin(f, "GET", "/admin/stats", NULL, &b), 200);
	j = cJSON_Parse(b.buf);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, key)));
	v = (long)cJSON_GetObjectItem(j, key)->valuedouble;
	cJSON_Delete(j);
	buf_release(&b);
	return v;
}

static void test_config(struct fixture *f, struct config *c)
{
	config_init(c);
	free(c->base_url);
	c->base_url = xstrdup(FAKE(f)->url.buf);
	c->ca_file = xstrdup(FAKE(f)->ca.buf);
	c->rate_limit = 0;
	c->timeout = 5;
	c->max_attempts = 4;
}

static struct api *client(const struct config *c, const char *token)
{
	struct api *api = NULL;

	assert_int_equal(api_init(&api, c, token), 0);
	assert_non_null(api);
	return api;
}

/* One blocking request; keeps what it produced for the leak check. */
static void call(struct fixture *f, struct api *api, struct api_request *req)
{
	assert_int_equal(api_call(api, req), 0);
	buf_addf(&FAKE(f)->seen, "%s\n%s\n", req->error.buf, req->response.buf);
}

static void test_path_segment(void **state)
{
	struct buf p = BUF_INIT;

	(void)state;
	api_path_literal(&p, "/v1/products");
	api_path_segment(&p, "acme-thermostat");
	api_path_literal(&p, "/customers");
	api_path_segment(&p, "Alice.B+x_y~z@example.com");
	api_path_segment(&p, "a b/c?d#e%f");
	assert_string_equal(p.buf, "/v1/products/acme-thermostat/customers/"
			    "Alice.B%2Bx_y~z%40example.com/"
			    "a%20b%2Fc%3Fd%23e%25f");
	buf_release(&p);
}

static void test_result_names(void **state)
{
	(void)state;
	assert_string_equal(api_result_name(API_OK), "ok");
	assert_string_equal(api_result_name(API_NOT_FOUND), "not_found");
	assert_string_equal(api_result_name(API_AUTH), "auth");
	assert_string_equal(api_result_name(API_RETRY_EXHAUSTED),
			    "retry_exhausted");
	assert_string_equal(api_result_name(API_UNREACHABLE), "unreachable");
	assert_string_equal(api_result_name(API_BAD_RESPONSE), "bad_response");
	assert_string_equal(api_result_name(API_CLIENT_ERROR), "client_error");
}

static void test_refuses_insecure_urls(void **state)
{
	static const char *bad[] = { "http://example.com",
				     "http://127.0.0.1.example.com:80",
				     "ftp://127.0.0.1/", "not a url" };
	struct fixture *f = *state;
	struct config c;
	struct api *api = NULL;
	struct buf err = BUF_INIT;
	size_t i;

	test_config(f, &c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		free(c.base_url);
		c.base_url = xstrdup(bad[i]);
		stderr_mark(f);
		assert_int_equal(api_init(&api, &c, TOKEN), -1);
		assert_null(api);
		buf_reset(&err);
		stderr_since_mark(f, &err);
		assert_non_null(strstr(err.buf, "base_url"));
	}
	assert_non_null(strstr(err.buf, "error:"));
	/* The first one names the rule. */
	free(c.base_url);
	c.base_url = xstrdup("http://example.com");
	stderr_mark(f);
	api_init(&api, &c, TOKEN);
	buf_reset(&err);
	stderr_since_mark(f, &err);
	assert_non_null(strstr(err.buf, "refusing plain http base_url "
				"'http://example.com'"));
	/* Header injection through the token is refused. */
	free(c.base_url);
	c.base_url = xstrdup(FAKE(f)->url.buf);
	assert_int_equal(api_init(&api, &c, "abc\r\nX-Evil: 1"), -1);
	buf_release(&err);
	config_release(&c);
}

static void test_loopback_http_connect_refused(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct api_request req;

	test_config(f, &c);
	free(c.base_url);
	/* Allowed scheme for loopback; nothing listens on port 1. */
	c.base_url = xstrdup("http://127.0.0.1:1");
	api = client(&c, TOKEN);
	api_request_init(&req, "GET");
	api_path_literal(&req.path, "/v1/access_tokens/current");
	call(f, api, &req);
	assert_int_equal(req.result, API_UNREACHABLE);
	assert_int_equal(req.attempts, 1);
	assert_non_null(strstr(req.error.buf, "cannot reach '127.0.0.1:1'"));
	api_request_release(&req);
	api_release(api);
	config_release(&c);
}

static void test_https_with_test_ca(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct api_request req;
	struct api_stats st;
	cJSON *j;

	faults(f, "{}");
	test_config(f, &c);
	api = client(&c, TOKEN);
	api_request_init(&req, "GET");
	api_path_literal(&req.path, "/v1/access_tokens/current");
	call(f, api, &req);
	assert_int_equal(req.result, API_OK);
	assert_int_equal(req.status, 200);
	assert_int_equal(req.attempts, 1);
	assert_int_equal(strlen(req.response_sha256), 64);
	j = api_response_json(&req);
	assert_non_null(j);
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(j, "scopes")));
	cJSON_Delete(j);
	api_get_stats(api, &st);
	assert_int_equal(st.requests, 1);
	assert_int_equal(st.completed, 1);
	assert_int_equal(st.retries, 0);
	assert_int_equal(count_requests(f, "/access_tokens/current"), 1);
	api_request_release(&req);
	api_release(api);
	config_release(&c);
}

static void test_untrusted_certificate(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct api_request req;

	faults(f, "{}");
	test_config(f, &c);
	/* A CA that did not sign the server's certificate. */
	{
		struct buf other = BUF_INIT;

		buf_addf(&other, "%s/other.pem", f->dir);
		free(c.ca_file);
		c.ca_file = buf_detach(&other, NULL);
	}
	api = client(&c, TOKEN);
	api_request_init(&req, "GET");
	api_path_literal(&req.path, "/v1/access_tokens/current");
	call(f, api, &req);
	assert_int_equal(req.result, API_UNREACHABLE);
	assert_int_equal(req.attempts, 1);
	assert_non_null(strstr(req.error.buf,
			       "TLS certificate of '127.0.0.1:"));
	assert_non_null(strstr(req.error.buf, "is not trusted"));
	/* The handshake failed: nothing reached the server's API. */
	assert_int_equal(count_requests(f, ""), 0);
	api_request_release(&req);
	api_release(api);
	config_release(&c);
}

static void test_401_not_retried(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct api_request req;

	faults(f, "{}");
	test_config(f, &c);
	api = client(&c, "wrong-token-0123456789");
	api_request_init(&req, "GET");
	api_path_literal(&req.path, "/v1/products/1001/customers");
	call(f, api, &req);
	assert_int_equal(req.result, API_AUTH);
	assert_int_equal(req.status, 401);
	assert_int_equal(req.attempts, 1);
	assert_non_null(strstr(req.error.buf, "HTTP 401"));
	assert_non_null(strstr(req.error.buf, "invalid_token"));
	assert_int_equal(count_requests(f, "/customers"), 1);
	api_request_release(&req);
	api_release(api);
	config_release(&c);
}

static void test_403_injected_not_retried(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct api_request req;

	faults(f, "{\"rules\":[{\"match\":\"/devices\",\"action\":\"status\","
	       "\"status\":403}]}");
	test_config(f, &c);
	api = client(&c, TOKEN);
	api_request_init(&req, "GET");
	api_path_literal(&req.path, "/v1/products/1001/devices");
	call(f, api, &req);
	assert_int_equal(req.result, API_AUTH);
	assert_int_equal(req.attempts, 1);
	assert_int_equal(count_requests(f, "/devices"), 1);
	api_request_release(&req);
	api_release(api);
	config_release(&c);
}

static void test_retries_stop_at_max_attempts(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct api_request req;
	struct api_stats st;

	faults(f, "{\"rules\":[{\"match\":\"/customers\",\"action\":\"status\","
	       "\"status\":503}]}");
	test_config(f, &c);
	c.max_attempts = 3;
	api = client(&c, TOKEN);
	api_request_init(&req, "GET");
	api_path_literal(&req.path, "/v1/products/1001/customers");
	call(f, api, &req);
	assert_int_equal(req.result, API_RETRY_EXHAUSTED);
	assert_int_equal(req.status, 503);
	assert_int_equal(req.attempts, 3);
	assert_non_null(strstr(req.error.buf, "HTTP 503 after 3 attempts"));
	assert_int_equal(count_requests(f, "/customers"), 3);
	api_get_stats(api, &st);
	assert_int_equal(st.requests, 3);
	assert_int_equal(st.retries, 2);
	api_request_release(&req);
	api_release(api);
	config_release(&c);
}

static void test_429_then_success(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct api_request req;

	faults(f, "{\"rules\":[{\"match\":\"/customers\",\"action\":\"status\","
	       "\"status\":429,\"count\":2},{\"match\":\"/customers\","
	       "\"action\":\"status\",\"status\":500,\"count\":1}]}");
	test_config(f, &c);
	api = client(&c, TOKEN);
	api_request_init(&req, "GET");
	api_path_literal(&req.path, "/v1/products/1001/customers");
	call(f, api, &req);
	assert_int_equal(req.result, API_OK);
	assert_int_equal(req.attempts, 4);
	assert_int_equal(count_requests(f, "/customers"), 4);
	api_request_release(&req);
	api_release(api);
	config_release(&c);
}

static void test_retry_after_obeyed(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct api_request req;
	double t0, dt;

	faults(f, "{\"rules\":[{\"match\":\"/customers\",\"action\":\"status\","
	       "\"status\":429,\"retry_after\":\"1\",\"count\":1}]}");
	test_config(f, &c);
	api = client(&c, TOKEN);
	api_request_init(&req, "GET");
	api_path_literal(&req.path, "/v1/products/1001/customers");
	t0 = now_s();
	call(f, api, &req);
	dt = now_s() - t0;
	assert_int_equal(req.result, API_OK);
	assert_int_equal(req.attempts, 2);
	assert_true(dt >= 1.0);
	assert_true(dt < 3.0);
	assert_int_equal(count_requests(f, "/customers"), 2);
	api_request_release(&req);
	api_release(api);
	config_release(&c);
}

static void record_time(struct api_request *req, void *ctx)
{
	(void)req;
	*(double *)ctx = now_s();
}

/* A request waiting out its Retry-After does not hold up the others. */
static void test_waiting_request_does_not_block(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct api_request reqs[11];
	double done_at[11], t0;
	int i;

	faults(f, "{\"rules\":[{\"match\":\"/customers\",\"action\":\"status\","
	       "\"status\":429,\"retry_after\":\"1\",\"count\":1}]}");
	test_config(f, &c);
	c.concurrency = 1;
	api = client(&c, TOKEN);
	for (i = 0; i < 11; i++) {
		api_request_init(&reqs[i], "GET");
		api_path_literal(&reqs[i].path,
				 i ? "/v1/access_tokens/current" :
				     "/v1/products/1001/customers");
		reqs[i].done = record_time;
		reqs[i].ctx = &done_at[i];
		api_submit(api, &reqs[i]);
	}
	t0 = now_s();
	assert_int_equal(api_run(api), 0);
	for (i = 0; i < 11; i++) {
		assert_int_equal(reqs[i].result, API_OK);
		api_request_release(&reqs[i]);
	}
	assert_true(done_at[0] - t0 >= 1.0);
	/* The one slot served the other ten during the wait. */
	for (i = 1; i < 11; i++)
		assert_true(done_at[i] - t0 < 0.9);
	api_release(api);
	config_release(&c);
}

/* A long Retry-After ends the attempts instead of stalling the run. */
static void test_retry_after_too_long(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct api_request req;

	faults(f, "{\"rules\":[{\"match\":\"/customers\",\"action\":\"status\","
	       "\"status\":503,\"retry_after\":\"3600\"}]}");
	test_config(f, &c);
	api = client(&c, TOKEN);
	api_request_init(&req, "GET");
	api_path_literal(&req.path, "/v1/products/1001/customers");
	call(f, api, &req);
	assert_int_equal(req.result, API_RETRY_EXHAUSTED);
	assert_int_equal(req.attempts, 1);
	assert_non_null(strstr(req.error.buf, "asked to wait 3600 s"));
	api_request_release(&req);
	api_release(api);
	config_release(&c);
}

static void test_dropped_connection_retried(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct api_request req;

	faults(f, "{\"rules\":[{\"match\":\"/owner\",\"action\":\"drop\","
	       "\"count\":2}]}");
	test_config(f, &c);
	api = client(&c, TOKEN);
	api_request_init(&req, "DELETE");
	api_path_literal(&req.path, "/v1/products/1001/devices/"
			 "0123456789abcdef01234560/owner");
	call(f, api, &req);
	assert_int_equal(req.result, API_OK);
	assert_int_equal(req.attempts, 3);
	api_request_release(&req);
	api_release(api);
	config_release(&c);
}

static void test_timeout_retried(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct api_request req;
	double t0 = now_s();

	faults(f, "{\"rules\":[{\"match\":\"/devices\",\"action\":\"slow_body\","
	       "\"delay_ms\":3000,\"count\":1}]}");
	test_config(f, &c);
	c.timeout = 1;
	api = client(&c, TOKEN);
	api_request_init(&req, "GET");
	api_path_literal(&req.path, "/v1/products/1001/devices");
	call(f, api, &req);
	assert_int_equal(req.result, API_OK);
	assert_int_equal(req.attempts, 2);
	assert_true(now_s() - t0 < 2.9);
	api_request_release(&req);
	api_release(api);
	config_release(&c);
}

static void test_malformed_json(void **state)
{
	struct fixture *f = *state;
	static const char *actions[] = { "malformed", "truncated" };
	struct config c;
	struct api *api;
	size_t i;

	test_config(f, &c);
	api = client(&c, TOKEN);
	for (i = 0; i < 2; i++) {
		struct api_request req;
		struct buf rule = BUF_INIT;

		buf_addf(&rule, "{\"rules\":[{\"match\":\"/devices\","
			 "\"action\":\"%s\"}]}", actions[i]);
		faults(f, rule.buf);
		api_request_init(&req, "GET");
		api_path_literal(&req.path, "/v1/products/1001/devices");
		call(f, api, &req);
		/* A truncated body may also surface as a dropped transfer. */
		if (req.result == API_OK) {
			assert_null(api_response_json(&req));
			assert_int_equal(req.result, API_BAD_RESPONSE);
			assert_non_null(strstr(req.error.buf,
					       "GET /v1/products/1001/devices:"
					       " response is not valid JSON"));
		} else {
			assert_int_equal(req.result, API_RETRY_EXHAUSTED);
			assert_int_equal(req.attempts, 4);
		}
		buf_addf(&FAKE(f)->seen, "%s\n", req.error.buf);
		api_request_release(&req);
		buf_release(&rule);
	}
	api_release(api);
	config_release(&c);
}

static void test_not_found_and_subject_hidden(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct api_request req;

	faults(f, "{}");
	test_config(f, &c);
	api = client(&c, TOKEN);
	api_request_init(&req, "DELETE");
	api_path_literal(&req.path, "/v1/products/1001/customers");
	api_path_segment(&req.path, "nobody+x@example.com");
	call(f, api, &req);
	assert_int_equal(req.result, API_NOT_FOUND);
	assert_int_equal(req.status, 404);
	assert_int_equal(req.attempts, 1);
	/* {"ok":false,"error":...} shape; no email in the message. */
	assert_non_null(strstr(req.error.buf, "DELETE /v1/products/1001/"
			       "customers/{subject}: HTTP 404"));
	assert_non_null(strstr(req.error.buf, "not found"));
	assert_null(strstr(req.error.buf, "nobody"));
	assert_null(strstr(req.error.buf, "%40"));
	/* The escaped email reached the server as one segment. */
	assert_int_equal(count_requests(f, "/customers/nobody%2Bx%40example.com"),
			 1);

	/* A caller-given display path wins. */
	api_request_release(&req);
	api_request_init(&req, "GET");
	api_path_literal(&req.path, "/v1/products/9999/devices");
	buf_adds(&req.display_path, "/v1/products/{product}/devices");
	call(f, api, &req);
	assert_int_equal(req.result, API_NOT_FOUND);
	assert_non_null(strstr(req.error.buf,
			       "GET /v1/products/{product}/devices: HTTP 404"));
	assert_int_equal(api_bad_response(&req, "no '%s' array", "devices"),
			 -1);
	assert_int_equal(req.result, API_BAD_RESPONSE);
	assert_string_equal(req.error.buf, "GET /v1/products/{product}/"
			    "devices: no 'devices' array");
	api_request_release(&req);
	api_release(api);
	config_release(&c);
}

static void test_response_too_large(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct api_request req;

	faults(f, "{}");
	test_config(f, &c);
	api = client(&c, TOKEN);
	api_request_init(&req, "GET");
	api_path_literal(&req.path, "/v1/products/1002/devices/"
			 "b1660123456789abcdef0123");
	call(f, api, &req);
	assert_int_equal(req.result, API_BAD_RESPONSE);
	assert_int_equal(req.attempts, 1);
	assert_non_null(strstr(req.error.buf, "larger than 16 MiB"));
	api_request_release(&req);
	api_release(api);
	config_release(&c);
}

static void test_put_body(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct api_request req;
	cJSON *j;

	faults(f, "{}");
	test_config(f, &c);
	api = client(&c, TOKEN);
	api_request_init(&req, "PUT");
	api_path_literal(&req.path, "/v1/products/1001/devices/"
			 "0123456789abcdef01234562");
	buf_adds(&req.body, "{\"notes\":\"\"}");
	call(f, api, &req);
	assert_int_equal(req.result, API_OK);
	j = api_response_json(&req);
	assert_non_null(j);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j,
								      "notes")),
			    "");
	cJSON_Delete(j);
	api_request_release(&req);
	api_release(api);
	config_release(&c);
}

static void test_concurrency_overlaps(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct api_request reqs[32];
	double t0, dt;
	int i;

	faults(f, "{\"latency_ms\":100}");
	test_config(f, &c);
	c.concurrency = 8;
	api = client(&c, TOKEN);
	for (i = 0; i < 32; i++) {
		api_request_init(&reqs[i], "GET");
		api_path_literal(&reqs[i].path, "/v1/access_tokens/current");
		api_submit(api, &reqs[i]);
	}
	t0 = now_s();
	assert_int_equal(api_run(api), 0);
	dt = now_s() - t0;
	for (i = 0; i < 32; i++) {
		assert_int_equal(reqs[i].result, API_OK);
		api_request_release(&reqs[i]);
	}
	print_message("# 32 requests, 100 ms latency, concurrency 8: "
		      "%.0f ms\n", dt * 1000);
	/* Serial would be 3.2 s; 8 at a time about 0.4 s. */
	assert_true(dt >= 0.39);
	assert_true(dt < 2.0);
	api_release(api);
	config_release(&c);
}

struct pages_seen {
	int customers;
	int pages;
	char seen[NCUSTOMERS];
};

static int on_page(cJSON *page, void *ctx)
{
	struct pages_seen *ps = ctx;
	const cJSON *c;

	ps->pages++;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(page, "customers")) {
		const char *id =
			cJSON_GetStringValue(cJSON_GetObjectItem(c, "id"));
		int n = id ? atoi(id + 1) : -1;

		if (n >= 0 && n < NCUSTOMERS && !ps->seen[n]) {
			ps->seen[n] = 1;
			ps->customers++;
		}
	}
	return 0;
}

static int stop_at_first(cJSON *page, void *ctx)
{
	(void)page;
	(void)ctx;
	return -1;
}

/* Walks a list endpoint with ps counting what each_page saw. */
static int walk(struct api *api, const char *path, const char *items,
		const char *key, int per_page, api_page_fn fn, void *ctx,
		enum api_result *r, long *status)
{
	struct api_list l;

	memset(&l, 0, sizeof(l));
	l.path = path;
	l.items = items;
	l.key = key;
	l.per_page = per_page;
	l.each_page = fn;
	l.ctx = ctx;
	return api_walk(api, &l, r, status);
}

/* How often each page number was asked for with perPage=per_page. */
static void pages_asked(struct fixture *f, int per_page, int *count,
			int max)
{
	cJSON *log = request_log(f), *e;
	char want[64];
	int i;

	snprintf(want, sizeof(want), "perPage=%d&per_page=%d", per_page,
		 per_page);
	for (i = 0; i <= max; i++)
		count[i] = 0;
	cJSON_ArrayForEach(e, log) {
		const char *q = cJSON_GetStringValue(cJSON_GetObjectItem(e,
								      "query"));
		const char *p;

		assert_non_null(q);
		if (!strstr(q, want))
			continue;
		p = strstr(q, "page=");
		assert_non_null(p);
		i = atoi(p + 5);
		assert_true(i >= 1 && i <= max);
		count[i]++;
	}
	cJSON_Delete(log);
}

/* Sets the fake's behaviour switches (and clears the request log). */
static void behaviour(struct fixture *f, const char *json)
{
	assert_int_equal(admin(f, "POST", "/admin/behaviour", json, NULL), 200);
	assert_int_equal(admin(f, "POST", "/admin/reset-log", "", NULL), 200);
}

static void test_walk(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct pages_seen ps;
	enum api_result r;
	long status;
	cJSON *log;
	int asked[11], i;

	faults(f, "{\"latency_ms\":20}");
	test_config(f, &c);
	c.concurrency = 4;
	api = client(&c, TOKEN);
	memset(&ps, 0, sizeof(ps));
	assert_int_equal(walk(api, "/v1/products/1001/customers", "customers",
			      "username", 25, on_page, &ps, &r, &status), 0);
	assert_int_equal(r, API_OK);
	assert_int_equal(ps.pages, 10);
	assert_int_equal(ps.customers, NCUSTOMERS);
	/* Every page asked for once, with both spellings of the size. */
	pages_asked(f, 25, asked, 10);
	for (i = 1; i <= 10; i++)
		assert_int_equal(asked[i], 1);
	assert_int_equal(count_requests(f, "/customers"), 10);

	/* A failing later page fails the whole listing with its error. */
	faults(f, "{\"rules\":[{\"match\":\"/customers\",\"action\":\"delay\","
	       "\"delay_ms\":0,\"count\":1},{\"match\":\"/customers\","
	       "\"action\":\"status\",\"status\":403,\"count\":1}]}");
	memset(&ps, 0, sizeof(ps));
	assert_int_equal(walk(api, "/v1/products/1001/customers", "customers",
			      "username", 25, on_page, &ps, &r, &status), -1);
	assert_int_equal(r, API_AUTH);
	assert_int_equal(status, 403);
	assert_true(ps.pages >= 1 && ps.pages < 10);
	/* Stopped: no more pages requested than were queued at the time. */
	assert_true(count_requests(f, "/customers") <= 1 + 4 + 4);

	/* each_page asks to stop: -1, result ok, nothing printed. */
	faults(f, "{}");
	stderr_mark(f);
	assert_int_equal(walk(api, "/v1/products/1001/customers", "customers",
			      "username", 25, stop_at_first, NULL, &r,
			      &status), -1);
	assert_int_equal(r, API_OK);
	assert_int_equal(count_requests(f, "/customers"), 1);
	{
		struct buf err = BUF_INIT;

		stderr_since_mark(f, &err);
		assert_null(strstr(err.buf, "error:"));
		buf_release(&err);
	}

	/* A path with a query gets the page parameters after '&'. */
	faults(f, "{}");
	memset(&ps, 0, sizeof(ps));
	assert_int_equal(walk(api, "/v1/products/1001/devices?deviceName=dev",
			      "devices", "id", 100, on_page, &ps, &r, &status),
			 0);
	log = request_log(f);
	assert_int_equal(cJSON_GetArraySize(log), 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
				    cJSON_GetArrayItem(log, 0), "query")),
			    "deviceName=dev&page=1&perPage=100&per_page=100");
	cJSON_Delete(log);
	/* Not JSON; not the list asked for. */
	faults(f, "{\"rules\":[{\"match\":\"/customers\",\"action\":"
	       "\"malformed\",\"count\":1}]}");
	assert_int_equal(walk(api, "/v1/products/1001/customers", "customers",
			      "username", 25, on_page, &ps, &r, &status), -1);
	assert_int_equal(r, API_BAD_RESPONSE);
	faults(f, "{}");
	assert_int_equal(walk(api, "/v1/products/1001/customers", "devices_x",
			      "id", 25, on_page, &ps, &r, &status), -1);
	assert_int_equal(r, API_BAD_RESPONSE);
	api_release(api);
	config_release(&c);
}

/*
 * The customers list documents no paging: a server may ignore "page", cap
 * the page size, or send the whole list. The walk must read everything or
 * fail, never pass a partial list for a complete one.
 */
static void test_walk_server_paging(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	struct pages_seen ps;
	struct buf err = BUF_INIT;
	enum api_result r;
	long status;
	int asked[24], i;

	faults(f, "{}");
	test_config(f, &c);
	c.concurrency = 4;
	api = client(&c, TOKEN);

	/* Pages capped at 10 whatever perPage says: page 1 again with 10. */
	behaviour(f, "{\"customers_paging\":{\"cap\":10}}");
	memset(&ps, 0, sizeof(ps));
	assert_int_equal(walk(api, "/v1/products/1001/customers", "customers",
			      "username", 25, on_page, &ps, &r, &status), 0);
	assert_int_equal(ps.customers, NCUSTOMERS);
	assert_int_equal(ps.pages, 23);
	pages_asked(f, 25, asked, 23);
	assert_int_equal(asked[1], 1);
	pages_asked(f, 10, asked, 23);
	for (i = 1; i <= 23; i++)
		assert_int_equal(asked[i], 1);

	/* The whole list in one answer, without meta. */
	behaviour(f, "{\"customers_paging\":\"whole\"}");
	memset(&ps, 0, sizeof(ps));
	assert_int_equal(walk(api, "/v1/products/1001/customers", "customers",
			      "username", 25, on_page, &ps, &r, &status), 0);
	assert_int_equal(ps.customers, NCUSTOMERS);
	assert_int_equal(ps.pages, 1);
	assert_int_equal(count_requests(f, "/customers"), 1);

	/* "page" ignored: page 2 repeats page 1, and the walk says so. */
	behaviour(f, "{\"customers_paging\":\"ignore_page\"}");
	memset(&ps, 0, sizeof(ps));
	stderr_mark(f);
	assert_int_equal(walk(api, "/v1/products/1001/customers", "customers",
			      "username", 25, on_page, &ps, &r, &status), -1);
	assert_int_equal(r, API_BAD_RESPONSE);
	stderr_since_mark(f, &err);
	assert_non_null(strstr(err.buf, "repeats items of another page"));
	assert_null(strstr(err.buf, "@example.com"));

	behaviour(f, "{}");
	api_release(api);
	config_release(&c);
	buf_release(&err);
}

struct nested {
	struct api *api;
	int inner_ok;
};

static void nested_done(struct api_request *req, void *ctx)
{
	struct nested *n = ctx;
	struct api_request inner;

	api_request_init(&inner, "GET");
	api_path_literal(&inner.path, "/v1/access_tokens/current");
	if (req->result == API_OK && !api_call(n->api, &inner) &&
	    inner.result == API_OK)
		n->inner_ok++;
	api_request_release(&inner);
}

static void test_call_inside_callback(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct nested n;
	struct api_request reqs[3];
	int i;

	faults(f, "{}");
	test_config(f, &c);
	n.api = client(&c, TOKEN);
	n.inner_ok = 0;
	for (i = 0; i < 3; i++) {
		api_request_init(&reqs[i], "GET");
		api_path_literal(&reqs[i].path, "/v1/access_tokens/current");
		reqs[i].done = nested_done;
		reqs[i].ctx = &n;
		api_submit(n.api, &reqs[i]);
	}
	assert_int_equal(api_run(n.api), 0);
	assert_int_equal(n.inner_ok, 3);
	for (i = 0; i < 3; i++)
		api_request_release(&reqs[i]);
	api_release(n.api);
	config_release(&c);
}

/*
 * The fake allows 42 requests per second, the client's bound for rate 40
 * (burst 2 + 40 per second); a run at rate 40 that starts with a full
 * bucket gets no 429, and the same run without a limit does.
 */
static void run_burst(struct fixture *f, double rate, int n, double *secs, long *limited)
{
	struct config c;
	struct api *api;
	struct api_request *reqs = xcalloc((size_t)n, sizeof(*reqs));
	double t0;
	long before = fake_stat(f, "limited");
	int i;

	test_config(f, &c);
	c.rate_limit = rate;
	c.concurrency = 8;
	c.max_attempts = 1;
	api = client(&c, TOKEN);
	usleep(100000);		/* the bucket fills up to its burst */
	for (i = 0; i < n; i++) {
		api_request_init(&reqs[i], "GET");
		api_path_literal(&reqs[i].path, "/v1/access_tokens/current");
		api_submit(api, &reqs[i]);
	}
	t0 = now_s();
	assert_int_equal(api_run(api), 0);
	*secs = now_s() - t0;
	*limited = fake_stat(f, "limited") - before;
	for (i = 0; i < n; i++)
		api_request_release(&reqs[i]);
	free(reqs);
	api_release(api);
	config_release(&c);
}

static void test_rate_limit(void **state)
{
	struct fixture *f = *state;
	double secs;
	long limited;

	faults(f, "{\"rate_limit\":{\"requests\":42,\"window_ms\":1000}}");
	run_burst(f, 40, 70, &secs, &limited);
	print_message("# 70 requests at rate_limit 40: %.2f s, %ld limited\n",
		      secs, limited);
	assert_int_equal(limited, 0);
	/* 2 at once, then 68 intervals of 25 ms at least. */
	assert_true(secs >= 68 / 40.0 - 0.02);
	faults(f, "{\"rate_limit\":{\"requests\":42,\"window_ms\":1000}}");
	run_burst(f, 0, 70, &secs, &limited);
	assert_true(limited > 0);
	faults(f, "{}");
}

/* API_BENCH_REQUESTS=N sets the count for a longer measurement. */
static void test_throughput(void **state)
{
	struct fixture *f = *state;
	struct config c;
	struct api *api;
	const char *env = getenv("API_BENCH_REQUESTS");
	int n = env && atoi(env) > 0 ? atoi(env) : 2000, i, ok = 0;
	struct api_request *reqs = xcalloc((size_t)n, sizeof(*reqs));
	double t0, secs;

	faults(f, "{}");
	test_config(f, &c);
	c.concurrency = 32;
	api = client(&c, TOKEN);
	for (i = 0; i < n; i++) {
		api_request_init(&reqs[i], "GET");
		api_path_literal(&reqs[i].path, "/v1/access_tokens/current");
		api_submit(api, &reqs[i]);
	}
	t0 = now_s();
	assert_int_equal(api_run(api), 0);
	secs = now_s() - t0;
	for (i = 0; i < n; i++) {
		ok += reqs[i].result == API_OK;
		api_request_release(&reqs[i]);
	}
	free(reqs);
	api_release(api);
	config_release(&c);
	print_message("# %d requests, rate_limit 0, concurrency 32: %.2f s, "
		      "%.0f requests/s\n", n, secs, n / secs);
	assert_int_equal(ok, n);
	assert_true(n / secs > 50);
}

/* Last: nothing the client printed or returned holds the token. */
static void test_token_never_printed(void **state)
{
	struct fixture *f = *state;
	struct buf all = BUF_INIT, path = BUF_INIT;

	fflush(stderr);
	read_file(f->err_path.buf, 0, &all);
	/* The debug level was on: the capture is not empty. */
	assert_non_null(strstr(all.buf, "debug"));
	assert_null(strstr(all.buf, TOKEN));
	assert_null(strstr(all.buf, "Bearer"));
	assert_null(strstr(FAKE(f)->seen.buf, TOKEN));
	buf_addf(&path, "%s/fake.log", f->dir);
	buf_reset(&all);
	read_file(path.buf, 0, &all);
	assert_null(strstr(all.buf, TOKEN));
	buf_release(&all);
	buf_release(&path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_segment),
		cmocka_unit_test(test_result_names),
		cmocka_unit_test(test_refuses_insecure_urls),
		cmocka_unit_test(test_loopback_http_connect_refused),
		cmocka_unit_test(test_https_with_test_ca),
		cmocka_unit_test(test_untrusted_certificate),
		cmocka_unit_test(test_401_not_retried),
		cmocka_unit_test(test_403_injected_not_retried),
		cmocka_unit_test(test_retries_stop_at_max_attempts),
		cmocka_unit_test(test_429_then_success),
		cmocka_unit_test(test_retry_after_obeyed),
		cmocka_unit_test(test_waiting_request_does_not_block),
		cmocka_unit_test(test_retry_after_too_long),
		cmocka_unit_test(test_dropped_connection_retried),
		cmocka_unit_test(test_timeout_retried),
		cmocka_unit_test(test_malformed_json),
		cmocka_unit_test(test_not_found_and_subject_hidden),
		cmocka_unit_test(test_response_too_large),
		cmocka_unit_test(test_put_body),
		cmocka_unit_test(test_concurrency_overlaps),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_walk_server_paging),
		cmocka_unit_test(test_call_inside_callback),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_throughput),
		cmocka_unit_test(test_token_never_printed),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

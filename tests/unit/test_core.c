/*
 * Unit tests for the core modules: buf, log redaction, config (the file,
 * the environment, rate_limit and the base_url rule) and digest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "digest.h"
#include "log.h"
#include "fixture.h"

/* Every variable config_load reads, so the caller's cannot leak in. */
static const char *const config_env[] = {
	"ERASECTL_CONFIG", "ERASECTL_BASE_URL", "ERASECTL_TOKEN_FILE",
	"ERASECTL_TOKEN_COMMAND", "ERASECTL_CA_FILE", "ERASECTL_CONCURRENCY",
	"ERASECTL_RATE_LIMIT", "ERASECTL_TIMEOUT", "ERASECTL_MAX_ATTEMPTS",
	"ERASECTL_PRODUCTS", "ERASECTL_DEVICE_ACTION",
	"ERASECTL_CLEAR_DEVICE_FIELDS", "ERASECTL_DEVICE_LEDGERS",
	"ERASECTL_SIM_ACTION", "ERASECTL_DEADLINE_DAYS", "ERASECTL_DB",
	"ERASECTL_HMAC_KEY_FILE",
};

/* The group's fixture, with a clean environment for config_load. */
static int group_setup(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(config_env); i++)
		unsetenv(config_env[i]);
	return fixture_setup(state);
}

/* Writes text to <dir>/name; path gets its name. */
static void write_conf(struct fixture *f, const char *name, const char *text,
		       struct buf *path)
{
	fixture_path(f, name, path);
	assert_int_equal(util_write_atomic(path->buf, text, strlen(text),
					   0600), 0);
}

/* --- buf, strvec, log -------------------------------------------------- */

static void test_buf_basic(void **state)
{
	struct buf b = BUF_INIT;
	char *s;
	size_t len;

	(void)state;
	assert_string_equal(b.buf, "");
	buf_adds(&b, "  hello");
	buf_addch(&b, ',');
	buf_addf(&b, " %s %d  \n", "world", 42);
	buf_trim(&b);
	assert_string_equal(b.buf, "hello, world 42");
	assert_int_equal(b.len, strlen("hello, world 42"));
	buf_setlen(&b, 5);
	assert_string_equal(b.buf, "hello");
	s = buf_detach(&b, &len);
	assert_int_equal(len, 5);
	assert_string_equal(s, "hello");
	assert_string_equal(b.buf, "");
	free(s);
	buf_release(&b);
}

static void test_buf_grows(void **state)
{
	struct buf b = BUF_INIT;
	int i;

	(void)state;
	for (i = 0; i < 100000; i++)
		buf_addch(&b, 'a' + i % 26);
	assert_int_equal(b.len, 100000);
	assert_int_equal(b.buf[100000], '\0');
	assert_int_equal(b.buf[26], 'a');
	buf_wipe(&b);
	assert_int_equal(b.len, 0);
}

static void test_strvec_split(void **state)
{
	struct strvec sv = STRVEC_INIT;

	(void)state;
	strvec_split_list(&sv, " 1234, acme-thermostat ,,x ");
	assert_int_equal(sv.n, 3);
	assert_string_equal(sv.v[0], "1234");
	assert_string_equal(sv.v[1], "acme-thermostat");
	assert_string_equal(sv.v[2], "x");
	assert_null(sv.v[3]);
	assert_true(strvec_contains(&sv, "x"));
	assert_false(strvec_contains(&sv, "y"));
	strvec_clear(&sv);
	assert_int_equal(sv.n, 0);
}

static void test_redact_emails(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	log_redact(&out, "cannot delete Bob.Smith+iot@Example.org: 500, "
		   "user@host ok");
	assert_null(strstr(out.buf, "Bob.Smith"));
	assert_null(strstr(out.buf, "Example.org"));
	assert_non_null(strstr(out.buf, "[email]"));
	assert_non_null(strstr(out.buf, ": 500"));
	/* A bare @ with no domain dot is still hidden. */
	assert_null(strstr(out.buf, "user@host"));
	buf_release(&out);
}

static void test_redact_secrets(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	log_add_secret("s3cr3t-token-value");
	log_redact(&out, "Authorization: Bearer s3cr3t-token-value!");
	assert_string_equal(out.buf, "Authorization: Bearer [redacted]!");
	log_release();
	buf_reset(&out);
	log_redact(&out, "s3cr3t-token-value");
	assert_string_equal(out.buf, "s3cr3t-token-value");
	buf_release(&out);
}

/* --- config ------------------------------------------------------------ */

static void test_config_file(void **state)
{
	struct fixture *f = *state;
	struct buf path = BUF_INIT, want = BUF_INIT;
	struct base_url u;
	struct config c;

	write_conf(f, "full.conf",
		   "; comment\n"
		   "[api]\n"
		   "base_url = https://api.example.test  ; trailing comment\n"
		   "concurrency = 16\n"
		   "rate_limit = 12.5\n"
		   "[products]\n"
		   "ids = 1234, acme-thermostat\n"
		   "[policy]\n"
		   "device_action = remove\n"
		   "clear_device_fields = notes\n"
		   "sim_action = release\n"
		   "deadline_days = 28\n"
		   "reset_device_config = yes\n"
		   "device_function = wipe_all-1\n"
		   "device_function_arg = now\n"
		   "residual_stores = device_vitals\n"
		   "[store]\n"
		   "db = state.db\n", &path);
	config_init(&c);
	assert_int_equal(config_load(&c, path.buf), 0);
	assert_string_equal(c.path, path.buf);
	assert_string_equal(c.base_url, "https://api.example.test");
	assert_int_equal(c.concurrency, 16);
	assert_true(c.rate_limit > 12.4 && c.rate_limit < 12.6);
	assert_int_equal(c.products.n, 2);
	assert_int_equal(c.device_action, DEVICE_REMOVE);
	assert_int_equal(c.clear_fields.n, 1);
	assert_int_equal(c.sim_action, SIM_RELEASE);
	assert_int_equal(c.deadline_days, 28);
	assert_true(c.reset_device_config);
	assert_string_equal(c.device_function, "wipe_all-1");
	assert_string_equal(c.device_function_arg, "now");
	assert_int_equal(c.residual_stores.n, 1);
	assert_string_equal(c.residual_stores.v[0], "device_vitals");
	/* Relative to the file's directory. */
	fixture_path(f, "state.db", &want);
	assert_string_equal(c.db, want.buf);
	/* What was loaded passes the base_url rule. */
	assert_int_equal(config_parse_base_url(c.base_url, "test", &u), 0);
	assert_string_equal(u.url, "https://api.example.test");
	assert_false(u.plain_http);
	base_url_release(&u);
	config_release(&c);
	buf_release(&path);
	buf_release(&want);
}

static void test_config_env_overrides_file(void **state)
{
	struct fixture *f = *state;
	struct buf path = BUF_INIT;
	struct config c;

	write_conf(f, "env.conf", "[api]\nconcurrency = 4\n", &path);
	setenv("ERASECTL_CONCURRENCY", "9", 1);
	config_init(&c);
	assert_int_equal(config_load(&c, path.buf), 0);
	assert_int_equal(c.concurrency, 9);
	config_release(&c);
	/* A bad value from the environment fails the load. */
	setenv("ERASECTL_CONCURRENCY", "0", 1);
	config_init(&c);
	assert_int_equal(config_load(&c, path.buf), -1);
	config_release(&c);
	unsetenv("ERASECTL_CONCURRENCY");
	buf_release(&path);
}

static void test_config_errors(void **state)
{
	static const char *bad[] = {
		"[api]\nconcurrency = 0\n",
		"[api]\nconcurrency = ten\n",
		"[api]\nnope = 1\n",
		"concurrency = 1\n",
		"[api\n",
		"[api]\njust a line\n",
		"[policy]\ndevice_action = burn\n",
		"[policy]\nclear_device_fields = name, owner\n",
		"[api]\nrate_limit = -1\n",
		"[api]\nrate_limit = nan\n",
		"[api]\nbase_url = http://api.particle.io\n",
		"[api]\nbase_url = http://localhost:80@x.invalid/\n",
		"[api]\nbase_url =\n",
		"[store]\ndb =\n",
		"[policy]\nreset_device_config = maybe\n",
		"[policy]\ndevice_function = wipe all\n",
		"[policy]\ndevice_function = "
		"a2345678901234567890123456789012345678901234567890123456789012345\n",
		"[policy]\ndevice_function_arg = "
		"a234567890123456789012345678901234567890123456789012345678901234\n",
		"[policy]\ndevice_function_arg = for bob@example.com\n",
		"[policy]\nresidual_stores = location_history, device_config\n",
		"[policy]\nresidual_stores = diary\n",
	};
	struct fixture *f = *state;
	struct buf path = BUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct config c;

		write_conf(f, "bad.conf", bad[i], &path);
		config_init(&c);
		if (config_load(&c, path.buf) != -1)
			fail_msg("config '%s' loads", bad[i]);
		config_release(&c);
	}
	/* A file named on purpose must exist. */
	fixture_path(f, "missing.conf", &path);
	{
		struct config c;

		config_init(&c);
		assert_int_equal(config_load(&c, path.buf), -1);
		config_release(&c);
	}
	buf_release(&path);
}

static void test_config_rate_limit(void **state)
{
	static const char *const bad[] = {
		"nan", "NAN", "inf", "-inf", "infinity", "1e-300", "-1",
		"0.001", "0.0099", "100000.5", "1e6", "", "fast", "5/s",
	};
	static const struct { const char *v; double want; } ok[] = {
		{ "0", 0 }, { "0.5", 0.5 }, { "0.01", 0.01 }, { "30", 30 },
		{ "100000", 100000 }, { "1e2", 100 },
	};
	struct config c;
	size_t i;

	(void)state;
	config_init(&c);
	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		assert_int_equal(config_set(&c, "api", "rate_limit", ok[i].v,
					    "test"), 0);
		assert_true(c.rate_limit == ok[i].want);
	}
	c.rate_limit = 7;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (config_set(&c, "api", "rate_limit", bad[i], "test") != -1)
			fail_msg("rate_limit '%s' accepted", bad[i]);
		/* A refused value leaves the setting as it was. */
		assert_true(c.rate_limit == 7);
	}
	config_release(&c);
}

static void test_config_base_url(void **state)
{
	static const struct {
		const char *in, *url, *host;
		int plain_http;
	} ok[] = {
		{ "https://api.particle.io", "https://api.particle.io",
		  "api.particle.io", 0 },
		{ "https://api.particle.io/", "https://api.particle.io",
		  "api.particle.io", 0 },
		{ "https://api.example.test:8443/v1/", "https://api.example.test:8443/v1",
		  "api.example.test:8443", 0 },
		{ "http://127.0.0.1:8080", "http://127.0.0.1:8080",
		  "127.0.0.1:8080", 1 },
		{ "http://127.0.0.1:8080/", "http://127.0.0.1:8080",
		  "127.0.0.1:8080", 1 },
		{ "http://127.9.8.7", "http://127.9.8.7", "127.9.8.7", 1 },
		{ "http://localhost:9", "http://localhost:9", "localhost:9", 1 },
		{ "http://[::1]:8089", "http://[::1]:8089", "[::1]:8089", 1 },
		{ "https://127.0.0.1:1", "https://127.0.0.1:1", "127.0.0.1:1",
		  0 },
	};
	static const char *const bad[] = {
		/* user info: the host libcurl would use is after the '@' */
		"http://localhost:80@x.invalid/",
		"http://localhost:x@192.0.2.2:8089/",
		"http://127.0.0.1@evil.test/",
		"https://user:pw@api.particle.io",
		"https://user@api.particle.io",
		/* a query or a fragment */
		"https://api.particle.io/?x=1",
		"https://api.particle.io?x=1",
		"https://api.particle.io/#f",
		/* other schemes; plain http to a host that is not loopback */
		"ftp://127.0.0.1",
		"file:///etc/passwd",
		"http://api.particle.io",
		"http://127.0.0.1.evil.test",
		"http://127.0.0.1.nip.io:8080",
		"http://localhost.evil.test",
		"http://[::2]:80",
		"http://10.0.0.1",
		/* not a URL */
		"not a url",
		"",
	};
	struct fixture *f = *state;
	struct base_url u;
	struct buf err = BUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		if (config_parse_base_url(ok[i].in, "test", &u))
			fail_msg("base_url '%s' refused", ok[i].in);
		assert_string_equal(u.url, ok[i].url);
		assert_string_equal(u.host, ok[i].host);
		assert_int_equal(u.plain_http, ok[i].plain_http);
		/* Normalized: never a trailing '/'. */
		assert_true(u.url[strlen(u.url) - 1] != '/');
		base_url_release(&u);
		assert_null(u.url);
	}
	assert_int_equal(fixture_capture_stderr(f), 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		fixture_stderr_reset(f);
		if (config_parse_base_url(bad[i], "conf:3", &u) != -1)
			fail_msg("base_url '%s' accepted", bad[i]);
		assert_null(u.url);
		assert_null(u.host);
		buf_reset(&err);
		fixture_stderr(f, &err);
		/* Every refusal names where the value came from. */
		if (!strstr(err.buf, "error: conf:3: "))
			fail_msg("refusing '%s' said '%s'", bad[i], err.buf);
	}
	fixture_stderr_reset(f);
	config_parse_base_url("http://localhost:80@x.invalid/", "conf:3", &u);
	buf_reset(&err);
	fixture_stderr(f, &err);
	assert_non_null(strstr(err.buf, "user info"));
	fixture_stderr_reset(f);
	config_parse_base_url("http://api.particle.io", "conf:3", &u);
	buf_reset(&err);
	fixture_stderr(f, &err);
	assert_non_null(strstr(err.buf, "refusing plain http base_url "
			       "'http://api.particle.io'"));
	fixture_restore_stderr(f);
	buf_release(&err);
}

static void test_config_set_base_url(void **state)
{
	struct config c;

	(void)state;
	config_init(&c);
	assert_string_equal(c.base_url, "https://api.particle.io");
	assert_int_equal(config_set(&c, "api", "base_url",
				    "http://127.0.0.1:9", "test"), 0);
	assert_string_equal(c.base_url, "http://127.0.0.1:9");
	/* Refused values leave the setting alone. */
	assert_int_equal(config_set(&c, "api", "base_url",
				    "http://api.particle.io", "test"), -1);
	assert_int_equal(config_set(&c, "api", "base_url",
				    "ftp://127.0.0.1", "test"), -1);
	assert_int_equal(config_set(&c, NULL, "base_url",
				    "http://localhost:80@x.invalid/", "test"),
			 -1);
	assert_int_equal(config_set(&c, "api", "base_url",
				    "https://api.particle.io/?x=1", "test"), -1);
	assert_string_equal(c.base_url, "http://127.0.0.1:9");
	/* Keys are unique across sections, but a wrong section is named. */
	assert_int_equal(config_set(&c, "store", "base_url",
				    "https://x.test", "test"), -1);
	assert_int_equal(config_set(&c, NULL, "base_url",
				    "https://x.test", "test"), 0);
	config_release(&c);
}

/* --- digest ------------------------------------------------------------ */

static void test_sha256_and_hmac(void **state)
{
	char hex[SHA256_HEX_LEN + 1];
	/* RFC 4231 test case 2. */
	static const char key[] = "Jefe";
	static const char msg[] = "what do ya want for nothing?";

	(void)state;
	digest_sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4"
				 "649b934ca495991b7852b855");
	digest_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a3"
				 "96177a9cb410ff61f20015ad");
	assert_int_equal(digest_hmac_sha256_hex((const unsigned char *)key, 4,
						msg, strlen(msg), hex), 0);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f08"
				 "9d2739839dec58b964ec3843");
}

static void test_subject_ref_normalizes(void **state)
{
	struct fixture *f = *state;
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];
	char *n;

	assert_int_equal(subject_ref_of_email(&f->key, " Alice@Example.COM\t",
					      a), 0);
	assert_int_equal(subject_ref_of_email(&f->key, "alice@example.com", b),
			 0);
	assert_string_equal(a, b);
	n = email_normalize("  Bob.Smith+IoT@Example.org ");
	assert_string_equal(n, "bob.smith+iot@example.org");
	free(n);
}

static void test_subject_ref_of_customer(void **state)
{
	struct fixture *f = *state;
	struct hmac_key other;
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];
	char e[SHA256_HEX_LEN + 1], want[SHA256_HEX_LEN + 1];

	/* HMAC-SHA256(key, username), computed independently. */
	assert_int_equal(subject_ref_of_customer(&f->key, "Sensor-Owner.7", a),
			 0);
	assert_int_equal(digest_hmac_sha256_hex(f->key.bytes,
						sizeof(f->key.bytes),
						"Sensor-Owner.7", 14, want), 0);
	assert_string_equal(a, want);
	/* Exact: no trimming, no case folding. */
	assert_int_equal(subject_ref_of_customer(&f->key, "sensor-owner.7", b),
			 0);
	assert_string_not_equal(a, b);
	assert_int_equal(subject_ref_of_customer(&f->key, " Sensor-Owner.7",
						 b), 0);
	assert_string_not_equal(a, b);
	/* A lower-case email-shaped username has its email's ref. */
	assert_int_equal(subject_ref_of_customer(&f->key, "alice@example.com",
						 b), 0);
	assert_int_equal(subject_ref_of_email(&f->key, "Alice@Example.com", e),
			 0);
	assert_string_equal(b, e);
	/* Another key, another ref. */
	memset(other.bytes, 8, sizeof(other.bytes));
	assert_int_equal(subject_ref_of_customer(&other, "Sensor-Owner.7", b),
			 0);
	assert_string_not_equal(a, b);
}

static void test_key_fingerprint(void **state)
{
	struct fixture *f = *state;
	struct hmac_key other;
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];
	char want[SHA256_HEX_LEN + 1], keyhex[SHA256_HEX_LEN + 1];
	static const char label[] = "erasectl key fingerprint v1";

	assert_int_equal(hmac_key_fingerprint(&f->key, a), 0);
	assert_int_equal(strlen(a), SHA256_HEX_LEN);
	assert_int_equal(digest_hmac_sha256_hex(f->key.bytes,
						sizeof(f->key.bytes), label,
						strlen(label), want), 0);
	assert_string_equal(a, want);
	/* Stable for the key; another key has another one. */
	assert_int_equal(hmac_key_fingerprint(&f->key, b), 0);
	assert_string_equal(a, b);
	memset(other.bytes, FIXTURE_KEY_BYTE + 1, sizeof(other.bytes));
	assert_int_equal(hmac_key_fingerprint(&other, b), 0);
	assert_string_not_equal(a, b);
	/* It does not reveal the key. */
	digest_hex(f->key.bytes, sizeof(f->key.bytes), keyhex);
	assert_string_not_equal(a, keyhex);
	assert_null(strstr(a, "0707070707"));
}

static void test_hmac_key_file(void **state)
{
	struct fixture *f = *state;
	struct buf path = BUF_INIT;
	struct hmac_key k1, k2;
	struct stat st;

	fixture_path(f, "new.key", &path);
	assert_int_equal(hmac_key_create(path.buf), 1);
	assert_int_equal(stat(path.buf, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(hmac_key_create(path.buf), 0);
	assert_int_equal(hmac_key_load(path.buf, &k1), 0);
	assert_int_equal(hmac_key_load(path.buf, &k2), 0);
	assert_memory_equal(k1.bytes, k2.bytes, 32);
	/* The fixture's own key file holds its key. */
	assert_int_equal(hmac_key_load(f->key_path.buf, &k1), 0);
	assert_memory_equal(k1.bytes, f->key.bytes, 32);
	/* A file of the wrong size is not a key. */
	assert_int_equal(util_write_atomic(path.buf, "short", 5, 0600), 0);
	assert_int_equal(hmac_key_load(path.buf, &k1), -1);
	hmac_key_wipe(&k1);
	hmac_key_wipe(&k2);
	buf_release(&path);
}

static void test_uuid4(void **state)
{
	char u[37], v[37];

	(void)state;
	assert_int_equal(digest_uuid4(u), 0);
	assert_int_equal(digest_uuid4(v), 0);
	assert_int_equal(strlen(u), 36);
	assert_int_equal(u[14], '4');
	assert_true(strchr("89ab", u[19]) != NULL);
	assert_string_not_equal(u, v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_basic),
		cmocka_unit_test(test_buf_grows),
		cmocka_unit_test(test_strvec_split),
		cmocka_unit_test(test_redact_emails),
		cmocka_unit_test(test_redact_secrets),
		cmocka_unit_test(test_config_file),
		cmocka_unit_test(test_config_env_overrides_file),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_rate_limit),
		cmocka_unit_test(test_config_base_url),
		cmocka_unit_test(test_config_set_base_url),
		cmocka_unit_test(test_sha256_and_hmac),
		cmocka_unit_test(test_subject_ref_normalizes),
		cmocka_unit_test(test_subject_ref_of_customer),
		cmocka_unit_test(test_key_fingerprint),
		cmocka_unit_test(test_hmac_key_file),
		cmocka_unit_test(test_uuid4),
	};

	return cmocka_run_group_tests(tests, group_setup, fixture_teardown);
}

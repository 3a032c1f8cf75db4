/* Unit tests for the core modules: buf, log redaction, config, digest. */
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

static char *write_temp(const char *text)
{
	char tmpl[] = "/tmp/erasectl-unit-XXXXXX";
	int fd = mkstemp(tmpl);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return xstrdup(tmpl);
}

static void test_config_file(void **state)
{
	struct config c;
	char *path = write_temp(
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
		"[store]\n"
		"db = state.db\n");

	(void)state;
	unsetenv("ERASECTL_CONCURRENCY");
	config_init(&c);
	assert_int_equal(config_load(&c, path), 0);
	assert_string_equal(c.base_url, "https://api.example.test");
	assert_int_equal(c.concurrency, 16);
	assert_true(c.rate_limit > 12.4 && c.rate_limit < 12.6);
	assert_int_equal(c.products.n, 2);
	assert_int_equal(c.device_action, DEVICE_REMOVE);
	assert_int_equal(c.clear_fields.n, 1);
	assert_int_equal(c.sim_action, SIM_RELEASE);
	assert_int_equal(c.deadline_days, 28);
	/* Relative to the file's directory (/tmp). */
	assert_string_equal(c.db, "/tmp/state.db");
	assert_int_equal(config_validate(&c), 0);
	config_release(&c);
	unlink(path);
	free(path);
}

static void test_config_env_overrides_file(void **state)
{
	struct config c;
	char *path = write_temp("[api]\nconcurrency = 4\n");

	(void)state;
	setenv("ERASECTL_CONCURRENCY", "9", 1);
	config_init(&c);
	assert_int_equal(config_load(&c, path), 0);
	assert_int_equal(c.concurrency, 9);
	config_release(&c);
	unsetenv("ERASECTL_CONCURRENCY");
	unlink(path);
	free(path);
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
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config c;
		char *path = write_temp(bad[i]);

		config_init(&c);
		assert_int_equal(config_load(&c, path), -1);
		config_release(&c);
		unlink(path);
		free(path);
	}
}

static void test_config_urls(void **state)
{
	struct config c;

	(void)state;
	assert_true(config_url_is_loopback("http://127.0.0.1:8080/x"));
	assert_true(config_url_is_loopback("http://localhost"));
	assert_true(config_url_is_loopback("http://[::1]:80"));
	assert_false(config_url_is_loopback("http://127.0.0.1.evil.test"));
	assert_false(config_url_is_loopback("http://api.particle.io"));
	config_init(&c);
	assert_int_equal(config_set(&c, "api", "base_url",
				    "http://api.particle.io", "test"), 0);
	assert_int_equal(config_validate(&c), -1);
	assert_int_equal(config_set(&c, "api", "base_url",
				    "ftp://127.0.0.1", "test"), 0);
	assert_int_equal(config_validate(&c), -1);
	assert_int_equal(config_set(&c, "api", "base_url",
				    "http://127.0.0.1:9", "test"), 0);
	assert_int_equal(config_validate(&c), 0);
	config_release(&c);
}

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
	struct hmac_key k;
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];
	char *n;

	(void)state;
	memset(k.bytes, 7, sizeof(k.bytes));
	assert_int_equal(subject_ref_of_email(&k, " Alice@Example.COM\t", a), 0);
	assert_int_equal(subject_ref_of_email(&k, "alice@example.com", b), 0);
	assert_string_equal(a, b);
	n = email_normalize("  Bob.Smith+IoT@Example.org ");
	assert_string_equal(n, "bob.smith+iot@example.org");
	free(n);
}

static void test_hmac_key_file(void **state)
{
	char dir[] = "/tmp/erasectl-key-XXXXXX";
	struct buf path = BUF_INIT;
	struct hmac_key k1, k2;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	buf_addf(&path, "%s/key", dir);
	assert_int_equal(hmac_key_create(path.buf), 1);
	assert_int_equal(stat(path.buf, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(hmac_key_create(path.buf), 0);
	assert_int_equal(hmac_key_load(path.buf, &k1), 0);
	assert_int_equal(hmac_key_load(path.buf, &k2), 0);
	assert_memory_equal(k1.bytes, k2.bytes, 32);
	unlink(path.buf);
	rmdir(dir);
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
		cmocka_unit_test(test_config_urls),
		cmocka_unit_test(test_sha256_and_hmac),
		cmocka_unit_test(test_subject_ref_normalizes),
		cmocka_unit_test(test_hmac_key_file),
		cmocka_unit_test(test_uuid4),
	};

	log_setup(LOG_ERROR + 0, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

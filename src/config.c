#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <curl/curl.h>

#include "store.h"
#include "intake.h"
#include "log.h"
#include "util.h"
#include "banned.h"

struct key_def {
	const char *section;
	const char *key;
};

static const struct key_def keys[] = {
	{ "api", "base_url" },	     { "api", "token_file" },
	{ "api", "token_command" },  { "api", "ca_file" },
	{ "api", "concurrency" },    { "api", "rate_limit" },
	{ "api", "timeout" },	     { "api", "max_attempts" },
	{ "products", "ids" },	     { "policy", "device_action" },
	{ "policy", "clear_device_fields" },
	{ "policy", "device_ledgers" },
	{ "policy", "sim_action" },  { "policy", "deadline_days" },
	{ "policy", "reset_device_config" },
	{ "policy", "device_function" },
	{ "policy", "device_function_arg" },
	{ "policy", "residual_stores" },
	{ "policy", "approval" },
	{ "store", "db" },	     { "store", "hmac_key_file" },
};

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->base_url = xstrdup("https://api.particle.io");
	c->concurrency = 8;
	c->rate_limit = 30;
	c->timeout = 30;
	c->max_attempts = 6;
	strvec_init(&c->products);
	c->device_action = DEVICE_UNCLAIM;
	strvec_init(&c->clear_fields);
	strvec_push(&c->clear_fields, "name");
	strvec_push(&c->clear_fields, "notes");
	strvec_init(&c->device_ledgers);
	c->sim_action = SIM_NONE;
	c->deadline_days = 0;
	strvec_init(&c->residual_stores);
	strvec_split_list(&c->residual_stores, STORE_NO_ENDPOINT_DEFAULT);
	c->db = xstrdup("erasectl.db");
	c->hmac_key_file = xstrdup("erasectl.key");
}

void config_release(struct config *c)
{
	free(c->path);
	free(c->base_url);
	free(c->token_file);
	free(c->token_command);
	free(c->ca_file);
	strvec_clear(&c->products);
	strvec_clear(&c->clear_fields);
	strvec_clear(&c->device_ledgers);
	free(c->device_function);
	free(c->device_function_arg);
	strvec_clear(&c->residual_stores);
	free(c->db);
	free(c->hmac_key_file);
	memset(c, 0, sizeof(*c));
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = *v ? xstrdup(v) : NULL;
}

static int bad_value(const char *origin, const char *key, const char *v,
		     const char *want)
{
	return error("%s: invalid value '%s' for '%s' (expected %s)", origin, v,
		     key, want);
}

/* Particle function names: up to 64 of these characters. */
static int function_name_ok(const char *v)
{
	size_t n = strlen(v);

	return n >= 1 && n <= 64 &&
	       strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789_-") == n;
}

static const struct key_def *find_key(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcasecmp(keys[i].key, key) &&
		    (!section || !strcasecmp(keys[i].section, section)))
			return &keys[i];
	return NULL;
}

int config_set(struct config *c, const char *section, const char *key,
	       const char *v, const char *origin)
{
	const struct key_def *def = find_key(section, key);
	long n;

	if (!def) {
		if (section)
			return error("%s: unknown key '%s' in section [%s]",
				     origin, key, section);
		return error("%s: unknown key '%s'", origin, key);
	}
	key = def->key;
	if (!strcmp(key, "base_url")) {
		struct base_url u;

		if (!*v)
			return bad_value(origin, key, v, "a URL");
		if (config_parse_base_url(v, origin, &u))
			return -1;
		base_url_release(&u);
		set_str(&c->base_url, v);
	} else if (!strcmp(key, "token_file")) {
		set_str(&c->token_file, v);
	} else if (!strcmp(key, "token_command")) {
		set_str(&c->token_command, v);
	} else if (!strcmp(key, "ca_file")) {
		set_str(&c->ca_file, v);
	} else if (!strcmp(key, "concurrency")) {
		if (util_parse_long(v, 1, 1024, &n))
			return bad_value(origin, key, v, "1..1024");
		c->concurrency = n;
	} else if (!strcmp(key, "rate_limit")) {
		double d;

		/* Below 0.01/s a run would wait hours between calls. */
		if (util_parse_double(v, 0, 100000, &d) || (d > 0 && d < 0.01))
			return bad_value(origin, key, v, "requests per second "
					 "from 0.01 to 100000, or 0 for none");
		c->rate_limit = d;
	} else if (!strcmp(key, "timeout")) {
		if (util_parse_long(v, 1, 86400, &n))
			return bad_value(origin, key, v, "seconds, 1..86400");
		c->timeout = n;
	} else if (!strcmp(key, "max_attempts")) {
		if (util_parse_long(v, 1, 100, &n))
			return bad_value(origin, key, v, "1..100");
		c->max_attempts = n;
	} else if (!strcmp(key, "ids")) {
		strvec_clear(&c->products);
		strvec_split_list(&c->products, v);
	} else if (!strcmp(key, "device_action")) {
		if (!strcmp(v, "unclaim"))
			c->device_action = DEVICE_UNCLAIM;
		else if (!strcmp(v, "remove"))
			c->device_action = DEVICE_REMOVE;
		else
			return bad_value(origin, key, v, "unclaim or remove");
	} else if (!strcmp(key, "clear_device_fields")) {
		size_t i;

		strvec_clear(&c->clear_fields);
		strvec_split_list(&c->clear_fields, v);
		for (i = 0; i < c->clear_fields.n; i++)
			if (strcmp(c->clear_fields.v[i], "name") &&
			    strcmp(c->clear_fields.v[i], "notes") &&
			    strcmp(c->clear_fields.v[i], "groups"))
				return bad_value(origin, key, c->clear_fields.v[i],
						 "name, notes, groups");
	} else if (!strcmp(key, "device_ledgers")) {
		strvec_clear(&c->device_ledgers);
		strvec_split_list(&c->device_ledgers, v);
	} else if (!strcmp(key, "sim_action")) {
		if (!strcmp(v, "none"))
			c->sim_action = SIM_NONE;
		else if (!strcmp(v, "deactivate"))
			c->sim_action = SIM_DEACTIVATE;
		else if (!strcmp(v, "release"))
			c->sim_action = SIM_RELEASE;
		else
			return bad_value(origin, key, v,
					 "none, deactivate or release");
	} else if (!strcmp(key, "deadline_days")) {
		if (!*v) {
			c->deadline_days = 0;
		} else if (util_parse_long(v, 1, 3650, &n)) {
			return bad_value(origin, key, v, "days, 1..3650");
		} else {
			c->deadline_days = n;
		}
	} else if (!strcmp(key, "reset_device_config")) {
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return bad_value(origin, key, v, "yes or no");
		c->reset_device_config = !strcmp(v, "yes");
	} else if (!strcmp(key, "device_function")) {
		if (*v && !function_name_ok(v))
			return bad_value(origin, key, v, "a function name: 1 to "
					 "64 letters, digits, '_' or '-'");
		set_str(&c->device_function, v);
	} else if (!strcmp(key, "device_function_arg")) {
		const char *bad = intake_check_text(v, 63);

		/* Printed into the ledger's request body hash only. */
		if (bad)
			return error("%s: device_function_arg %s (at most 63 "
				     "bytes, the documented limit)", origin,
				     bad);
		set_str(&c->device_function_arg, v);
	} else if (!strcmp(key, "residual_stores")) {
		size_t i;
		int st;

		strvec_clear(&c->residual_stores);
		strvec_split_list(&c->residual_stores, v);
		for (i = 0; i < c->residual_stores.n; i++) {
			st = store_parse(c->residual_stores.v[i]);
			if (st < 0 || !store_no_endpoint((enum store)st))
				return bad_value(origin, key,
						 c->residual_stores.v[i],
						 STORE_NO_ENDPOINT_DEFAULT);
		}
	} else if (!strcmp(key, "approval")) {
		if (strcmp(v, "none") && strcmp(v, "required"))
			return bad_value(origin, key, v, "none or required");
		c->approval_required = !strcmp(v, "required");
	} else if (!strcmp(key, "db")) {
		if (!*v)
			return bad_value(origin, key, v, "a file name");
		set_str(&c->db, v);
	} else if (!strcmp(key, "hmac_key_file")) {
		if (!*v)
			return bad_value(origin, key, v, "a file name");
		set_str(&c->hmac_key_file, v);
	}
	return 0;
}

/* The path-valued setting named key, or NULL. */
static char **path_field(struct config *c, const char *key)
{
	if (!strcasecmp(key, "token_file"))
		return &c->token_file;
	if (!strcasecmp(key, "ca_file"))
		return &c->ca_file;
	if (!strcasecmp(key, "db"))
		return &c->db;
	if (!strcasecmp(key, "hmac_key_file"))
		return &c->hmac_key_file;
	return NULL;
}

/* Makes a relative path from the file relative to the file's directory. */
static void rebase_path(char **p, const char *file)
{
	const char *slash = strrchr(file, '/');
	struct buf b = BUF_INIT;

	if (!p || !*p || (*p)[0] == '/' || !slash)
		return;
	buf_add(&b, file, (size_t)(slash - file) + 1);
	buf_adds(&b, *p);
	free(*p);
	*p = buf_detach(&b, NULL);
}

static char *strip_comment(char *line)
{
	char *p;

	/* ';' or '#' starts a comment at line start or after white space. */
	for (p = line; *p; p++)
		if ((*p == ';' || *p == '#') &&
		    (p == line || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			break;
		}
	return line;
}

static int load_file(struct config *c, const char *path, int must_exist)
{
	FILE *f = fopen(path, "r");
	struct buf line = BUF_INIT, section = BUF_INIT, origin = BUF_INIT;
	int lineno = 0, ret = 0, c1;

	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		return error("cannot open config '%s': %s", path,
			     strerror(errno));
	}
	for (;;) {
		char *s, *eq, *key, *val;

		buf_reset(&line);
		while ((c1 = getc(f)) != EOF && c1 != '\n')
			buf_addch(&line, c1);
		if (c1 == EOF && !line.len)
			break;
		lineno++;
		buf_reset(&origin);
		buf_addf(&origin, "%s:%d", path, lineno);
		s = strip_comment(line.buf);
		buf_setlen(&line, strlen(s));
		buf_trim(&line);
		s = line.buf;
		if (!*s)
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');

			if (!end || end[1]) {
				ret = error("%s: malformed section header",
					    origin.buf);
				goto out;
			}
			buf_reset(&section);
			buf_add(&section, s + 1, (size_t)(end - s - 1));
			buf_trim(&section);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			ret = error("%s: expected 'key = value'", origin.buf);
			goto out;
		}
		if (!section.len) {
			ret = error("%s: key outside of a [section]", origin.buf);
			goto out;
		}
		*eq = '\0';
		key = s;
		val = eq + 1;
		while (*key && isspace((unsigned char)*key))
			key++;
		for (s = eq - 1; s >= key && isspace((unsigned char)*s); s--)
			*s = '\0';
		while (*val && isspace((unsigned char)*val))
			val++;
		if (config_set(c, section.buf, key, val, origin.buf)) {
			ret = -1;
			goto out;
		}
		rebase_path(path_field(c, key), path);
	}
	if (ferror(f))
		ret = error("cannot read config '%s': %s", path,
			    strerror(errno));
	free(c->path);
	c->path = xstrdup(path);
out:
	fclose(f);
	buf_release(&line);
	buf_release(&section);
	buf_release(&origin);
	return ret;
}

static int load_env(struct config *c)
{
	struct buf name = BUF_INIT, origin = BUF_INIT;
	size_t i;
	int ret = 0;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *k = keys[i].key, *v;

		buf_reset(&name);
		buf_adds(&name, "ERASECTL_");
		for (; *k; k++)
			buf_addch(&name, toupper((unsigned char)*k));
		if (!strcmp(keys[i].key, "ids"))
			buf_setlen(&name, strlen("ERASECTL_")), buf_adds(&name, "PRODUCTS");
		v = getenv(name.buf);
		if (!v)
			continue;
		buf_reset(&origin);
		buf_addf(&origin, "environment %s", name.buf);
		if (config_set(c, keys[i].section, keys[i].key, v, origin.buf)) {
			ret = -1;
			break;
		}
	}
	buf_release(&name);
	buf_release(&origin);
	return ret;
}

int config_load(struct config *c, const char *path)
{
	const char *env = getenv("ERASECTL_CONFIG");

	if (path) {
		if (load_file(c, path, 1))
			return -1;
	} else if (env && *env) {
		if (load_file(c, env, 1))
			return -1;
	} else if (load_file(c, "erasectl.conf", 0)) {
		return -1;
	}
	return load_env(c);
}

/* A literal loopback host as libcurl reports it. */
static int is_loopback_host(const char *host)
{
	const char *q;

	if (!strcasecmp(host, "localhost") || !strcmp(host, "[::1]"))
		return 1;
	if (strncmp(host, "127.", 4))
		return 0;
	/* 127.0.0.0/8 only as a dotted quad of digits. */
	for (q = host; *q; q++)
		if (!isdigit((unsigned char)*q) && *q != '.')
			return 0;
	return 1;
}

void base_url_release(struct base_url *u)
{
	free(u->url);
	free(u->host);
	memset(u, 0, sizeof(*u));
}

/* 1 when part is present in u (libcurl returns no "no such part" error). */
static int has_part(CURLU *u, CURLUPart part)
{
	char *v = NULL;
	int has = !curl_url_get(u, part, &v, 0) && v;

	curl_free(v);
	return has;
}

int config_parse_base_url(const char *url, const char *origin,
			  struct base_url *out)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *norm = NULL;
	struct buf b = BUF_INIT;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (!u)
		return error("out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_URL, &norm, 0)) {
		error("%s: invalid base_url '%s': not a URL", origin, url);
		goto out;
	}
	if (has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD) ||
	    has_part(u, CURLUPART_OPTIONS)) {
		error("%s: refusing base_url '%s': it holds user info (before "
		      "'@'); give the API's host only", origin, url);
		goto out;
	}
	if (has_part(u, CURLUPART_QUERY) || has_part(u, CURLUPART_FRAGMENT)) {
		error("%s: refusing base_url '%s': it holds a query or a "
		      "fragment; give the API's base address only", origin, url);
		goto out;
	}
	if (!strcmp(scheme, "http") && !is_loopback_host(host)) {
		error("%s: refusing plain http base_url '%s': only https is "
		      "allowed, except for a loopback host", origin, url);
		goto out;
	}
	if (strcmp(scheme, "https") && strcmp(scheme, "http")) {
		error("%s: base_url '%s' must start with https://", origin, url);
		goto out;
	}
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	buf_adds(&b, host);
	if (port)
		buf_addf(&b, ":%s", port);
	out->host = buf_detach(&b, NULL);
	buf_adds(&b, norm);
	while (b.len && b.buf[b.len - 1] == '/')
		buf_setlen(&b, b.len - 1);
	out->url = buf_detach(&b, NULL);
	out->plain_http = !strcmp(scheme, "http");
	ret = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(norm);
	curl_url_cleanup(u);
	return ret;
}


static int read_token_file(const char *path, struct buf *out)
{
	util_check_private_file(path, "token file");
	return util_read_file(path, "token file", 4096, out);
}

/*
 * A core dump of a process holding the token would hold the token: none
 * is written from here on, and the process cannot be ptrace-attached by
 * other processes of the same user.
 */
static void protect_secrets(void)
{
	struct rlimit none = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) || setrlimit(RLIMIT_CORE, &none))
		warning("cannot disable core dumps: %s", strerror(errno));
}

int config_command_unsafe(const struct config *c)
{
	struct stat st;

	return c->token_command && c->path && !stat(c->path, &st) &&
	       (st.st_mode & (S_IWGRP | S_IWOTH));
}

static int run_token_command(const char *cmd, struct buf *out)
{
	FILE *p = popen(cmd, "r");
	char chunk[512];
	size_t n;
	int status;

	if (!p)
		return error("cannot run token_command: %s", strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		if (out->len < 8192)
			buf_add(out, chunk, n);
	status = pclose(p);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status))
		return error("token_command failed (exit status %d)",
			     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

int config_read_token(const struct config *c, struct buf *token)
{
	const char *env = getenv("PARTICLE_ACCESS_TOKEN");
	int ret = 0;

	protect_secrets();
	buf_reset(token);
	if (env && *env)
		buf_adds(token, env);
	else if (c->token_file)
		ret = read_token_file(c->token_file, token);
	else if (c->token_command) {
		if (config_command_unsafe(c))
			warning("configuration '%s' sets token_command and is "
				"writable by group or others: whoever can write "
				"it can run commands as this user; run: chmod "
				"go-w '%s'", c->path, c->path);
		ret = run_token_command(c->token_command, token);
	}
	else
		return error("no API token configured: set "
			     "PARTICLE_ACCESS_TOKEN, token_file or "
			     "token_command");
	if (!(env && *env) && ret) {
		buf_wipe(token);
		return -1;
	}
	buf_trim(token);
	if (!token->len)
		return error("the configured API token is empty");
	if (strcspn(token->buf, "\r\n\t ") != token->len) {
		buf_wipe(token);
		return error("the configured API token contains white space");
	}
	log_add_secret(token->buf);
	return 0;
}

int config_require_products(const struct config *c)
{
	if (c->products.n)
		return 0;
	return error("no products configured: set 'ids' in the [products] "
		     "section");
}

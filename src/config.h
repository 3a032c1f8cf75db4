#ifndef ERASECTL_CONFIG_H
#define ERASECTL_CONFIG_H
/*
 * config: the settings of DESIGN.md "Configuration", loaded in order of
 * precedence: defaults < INI file < environment < command-line flags.
 *
 * File: -c FILE, else $ERASECTL_CONFIG, else ./erasectl.conf (optional).
 * Environment: ERASECTL_<KEY> for every key (keys are unique across
 * sections, e.g. ERASECTL_BASE_URL, ERASECTL_DB), and
 * PARTICLE_ACCESS_TOKEN for the token itself. Relative paths in the file
 * are taken relative to the file's directory.
 */
#include "buf.h"

enum device_action { DEVICE_UNCLAIM, DEVICE_REMOVE };
enum sim_action { SIM_NONE, SIM_DEACTIVATE, SIM_RELEASE };

struct config {
	char *path;		/* the file read, or NULL */
	/* [api] */
	char *base_url;
	char *token_file;
	char *token_command;
	char *ca_file;
	long concurrency;
	double rate_limit;	/* requests per second; 0 disables */
	long timeout;		/* seconds per request */
	long max_attempts;
	/* [products] */
	struct strvec products;
	/* [policy] */
	enum device_action device_action;
	struct strvec clear_fields;
	struct strvec device_ledgers;
	enum sim_action sim_action;
	long deadline_days;	/* 0 = one calendar month (Art. 12(3)) */
	int reset_device_config;
	char *device_function;	/* a wipe function the firmware exposes */
	char *device_function_arg;
	struct strvec residual_stores;	/* store_no_endpoint() names */
	int approval_required;	/* new requests await a second person */
	/* [store] */
	char *db;
	char *hmac_key_file;
};

void config_init(struct config *c);
void config_release(struct config *c);

/*
 * Loads the file (path NULL: $ERASECTL_CONFIG, else ./erasectl.conf if it
 * exists) and then the environment. Returns -1 after an error naming the
 * file and line.
 */
int config_load(struct config *c, const char *path);

/*
 * Sets one key (section may be NULL: keys are unique). origin names where
 * the value came from, for the error message. Returns -1 on an unknown key
 * or an invalid value.
 */
int config_set(struct config *c, const char *section, const char *key,
	       const char *value, const char *origin);

/*
 * The base_url rule, judged with libcurl's own URL parser so that it sees
 * the scheme, host and user info exactly as libcurl will use them: https,
 * or plain http to a literal loopback host (localhost, 127.0.0.0/8, ::1);
 * never user info, a query or a fragment. On success fills out: url
 * normalized by libcurl without a trailing '/', host (with the port) for
 * messages, plain_http. Returns -1 after an error naming origin.
 */
struct base_url {
	char *url;
	char *host;
	int plain_http;
};
int config_parse_base_url(const char *url, const char *origin,
			  struct base_url *out);
void base_url_release(struct base_url *u);

/* 0 when [products] ids names a product, else -1 after saying so. */
int config_require_products(const struct config *c);

/*
 * 1 when token_command is set and the file that set it is writable by
 * group or others: whoever can write it can run commands as erasectl.
 */
int config_command_unsafe(const struct config *c);

/*
 * Reads the API token: $PARTICLE_ACCESS_TOKEN, else token_file, else the
 * stdout of token_command; trimmed. The token is registered with
 * log_add_secret(). Returns -1 when no token is configured or readable.
 */
int config_read_token(const struct config *c, struct buf *token);


#endif

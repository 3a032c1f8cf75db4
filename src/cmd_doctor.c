/*
 * doctor: checks what a run needs and says how to fix what is wrong:
 * configuration, permissions of the token and key files, the base URL,
 * TLS to the API, the token's identity, expiry and scopes, and the
 * database's integrity. One line per finding on stdout:
 * "ok|warning|error: what — how to fix".
 */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "buf.h"
#include "checkpoint.h"
#include "db.h"
#include "evidence.h"
#include "fleet.h"
#include "civil.h"
#include "ledger.h"
#include "log.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl doctor\n"
	"\n"
	"Checks the configuration, the permissions of the token and key files\n"
	"(0600), that base_url is https, that TLS to the API works, the token's\n"
	"identity, expiry and scopes (GET /v1/access_tokens/current: warns\n"
	"about a person's token or scopes erasure does not need), and the\n"
	"database (PRAGMA integrity_check, the ledger hash chain). Prints one\n"
	"line per finding: \"ok|warning|error: what — how to fix\".\n"
	"\n"
	"Exit status: 0 when everything is ok or only warnings were found;\n"
	"otherwise the code of the first error: 2 configuration or file\n"
	"permissions, 3 database or ledger integrity, 4 token refused, expired\n"
	"or missing a needed scope, 6 API unreachable or TLS failed.\n";

enum level { OK, WARN, ERR };

struct doctor {
	int exit_code;
	int warnings, errors;
};

__attribute__((format(printf, 5, 6)))
static void finding(struct doctor *d, enum level lv, int code,
		    const char *fix, const char *fmt, ...)
{
	static const char *const names[] = { "ok", "warning", "error" };
	struct buf what = BUF_INIT, clean = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&what, fmt, ap);
	va_end(ap);
	if (fix)
		buf_addf(&what, " — %s", fix);
	/* Never print the token or an email, even by accident. */
	log_redact(&clean, what.buf);
	printf("%s: %s\n", names[lv], clean.buf);
	if (lv == WARN)
		d->warnings++;
	if (lv == ERR) {
		d->errors++;
		if (!d->exit_code)
			d->exit_code = code;
	}
	buf_release(&what);
	buf_release(&clean);
}

static void check_config(struct doctor *d, const struct config *cfg)
{
	struct base_url url;

	if (cfg->path)
		finding(d, OK, 0, NULL, "configuration loaded from '%s'",
			cfg->path);
	else
		finding(d, WARN, 0, "create erasectl.conf or pass -c FILE",
			"no configuration file; using defaults and the "
			"environment");
	/* config_load already refused any base_url the rule forbids. */
	if (!config_parse_base_url(cfg->base_url, "base_url", &url) &&
	    url.plain_http)
		finding(d, WARN, 0, "use https outside a rehearsal",
			"base_url '%s' is plain http (allowed for a loopback "
			"host only)", cfg->base_url);
	else
		finding(d, OK, 0, NULL, "base_url '%s' uses https",
			cfg->base_url);
	base_url_release(&url);
	if (!cfg->products.n)
		finding(d, WARN, 0, "set [products] ids = your product ids or "
			"slugs", "no products configured: erasure would find "
			"nobody");
	else
		finding(d, OK, 0, NULL, "%zu product(s) configured",
			cfg->products.n);
}

/* A secret file must exist and be private (0600 or stricter). */
static void check_private(struct doctor *d, const char *path,
			  const char *what, const char *missing_fix)
{
	struct stat st;

	if (stat(path, &st)) {
		finding(d, ERR, EXIT_USAGE, missing_fix, "%s '%s': %s", what,
			path, strerror(errno));
		return;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		struct buf fix = BUF_INIT;

		buf_addf(&fix, "run: chmod 600 '%s'", path);
		finding(d, ERR, EXIT_USAGE, fix.buf, "%s '%s' is accessible by "
			"group or others (mode %04o)", what, path,
			(unsigned)(st.st_mode & 07777));
		buf_release(&fix);
		return;
	}
	finding(d, OK, 0, NULL, "%s '%s' is private (mode %04o)", what, path,
		(unsigned)(st.st_mode & 07777));
}

static void check_files(struct doctor *d, const struct config *cfg)
{
	const char *env = getenv("PARTICLE_ACCESS_TOKEN");

	if (env && *env)
		finding(d, OK, 0, NULL, "token from the environment "
			"(PARTICLE_ACCESS_TOKEN)");
	else if (cfg->token_file)
		check_private(d, cfg->token_file, "token file", "write the API "
			      "user's token there and chmod 600 it");
	else if (cfg->token_command && config_command_unsafe(cfg))
		finding(d, ERR, EXIT_USAGE, "run: chmod go-w on the "
			"configuration file", "configuration '%s' sets "
			"token_command and is writable by group or others",
			cfg->path);
	else if (cfg->token_command)
		finding(d, OK, 0, NULL, "token from token_command");
	else
		finding(d, ERR, EXIT_USAGE, "set [api] token_file or "
			"token_command, or PARTICLE_ACCESS_TOKEN",
			"no API token configured");
	check_private(d, cfg->hmac_key_file, "key file", "run 'erasectl "
		      "init' to create it, or restore it from its backup (it "
		      "must match the database's subject refs)");
}

/* The key file is the one the database's subject_refs were made with. */
static void check_fingerprint(struct doctor *d, const struct config *cfg,
			      sqlite3 *db)
{
	char fp[SHA256_HEX_LEN + 1];
	struct buf stored = BUF_INIT;
	struct hmac_key key;

	if (db_meta_get(db, "hmac_key_fingerprint", &stored))
		goto out;
	if (!stored.len) {
		finding(d, WARN, 0, "run 'erasectl init' to record it",
			"the database has no key fingerprint yet");
		goto out;
	}
	if (hmac_key_load(cfg->hmac_key_file, &key))
		goto out;
	if (!hmac_key_fingerprint(&key, fp) && strcmp(fp, stored.buf))
		finding(d, ERR, EXIT_USAGE, "restore the key file this "
			"database was made with", "key file '%s' is not the key "
			"of database '%s' (its fingerprint differs): no "
			"subject_ref would match", cfg->hmac_key_file, cfg->db);
	else
		finding(d, OK, 0, NULL, "key file '%s' is the database's key",
			cfg->hmac_key_file);
	hmac_key_wipe(&key);
out:
	buf_release(&stored);
}

/*
 * The ledger's chain, the checkpoint rows and the queue against the
 * ledger's evidence (what `verify` checks), and checkpoint coverage.
 */
static void check_ledger(struct doctor *d, sqlite3 *db)
{
	struct checkpoint_check chk;
	struct evidence_set evs;
	struct strvec why = STRVEC_INIT;
	int64_t covered = 0;
	size_t i;
	long bad;

	checkpoint_check_init(&chk);
	evidence_set_init(&evs);
	chk.scan.on_entry = evidence_set_entry;
	chk.scan.ctx = &evs;
	if (checkpoint_check_run(db, 0, &chk)) {
		finding(d, ERR, EXIT_INTEGRITY, "see the message above",
			"cannot read the ledger");
		goto out;
	}
	if (chk.scan.bad_seq) {
		finding(d, ERR, EXIT_INTEGRITY, "keep this copy as evidence, "
			"compare with the latest checkpoint ('erasectl verify "
			"--checkpoint FILE') and a backup", "ledger does not "
			"verify at seq %lld: %s", (long long)chk.scan.bad_seq,
			chk.scan.reason.buf);
		goto out;
	}
	finding(d, OK, 0, NULL, "ledger hash chain verifies (%lld entries)",
		(long long)chk.scan.entries);
	if (chk.bad)
		finding(d, ERR, EXIT_INTEGRITY, "run 'erasectl verify' for the "
			"rows; keep this copy as evidence", "%zu checkpoint "
			"row%s do not match the ledger", chk.bad,
			chk.bad == 1 ? "" : "s");
	bad = evidence_disagreements(db, &evs, 1, &why);
	if (bad > 0)
		finding(d, ERR, EXIT_INTEGRITY, "run 'erasectl verify' for all "
			"of them; find who changed the queue table", "%ld "
			"request%s whose queue row the ledger does not bear "
			"out (%s)", bad, bad == 1 ? "" : "s", why.v[0]);
	for (i = 0; i < chk.nrows; i++)
		if (!chk.rows[i].mismatch && chk.rows[i].entries > covered)
			covered = chk.rows[i].entries;
	if (chk.scan.entries && covered < chk.scan.entries)
		finding(d, WARN, 0, "run 'erasectl checkpoint' and keep the "
			"file apart from the database", "%lld ledger entries "
			"are not covered by a checkpoint yet",
			(long long)(chk.scan.entries - covered));
out:
	checkpoint_check_release(&chk);
	evidence_set_release(&evs);
	strvec_clear(&why);
}

static void check_database(struct doctor *d, const struct config *cfg)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	struct stat sb;

	if (stat(cfg->db, &sb)) {
		finding(d, WARN, 0, "run 'erasectl init'", "database '%s' does "
			"not exist yet", cfg->db);
		return;
	}
	if (sb.st_mode & S_IRWXO) {
		struct buf fix = BUF_INIT;

		buf_addf(&fix, "run: chmod o-rwx '%s'", cfg->db);
		finding(d, ERR, EXIT_USAGE, fix.buf, "database '%s' is "
			"accessible by others (mode %04o): it holds the emails "
			"of pending requests", cfg->db,
			(unsigned)(sb.st_mode & 07777));
		buf_release(&fix);
	}
	if (db_open(&db, cfg->db, DB_OPEN_READONLY)) {
		finding(d, ERR, EXIT_INTEGRITY, "see the message above; "
			"'erasectl init' migrates an older schema",
			"cannot open database '%s'", cfg->db);
		return;
	}
	if (!db_prepare(db, &st, "PRAGMA integrity_check")) {
		const char *msg;

		if (sqlite3_step(st) == SQLITE_ROW &&
		    (msg = (const char *)sqlite3_column_text(st, 0)) &&
		    !strcmp(msg, "ok"))
			finding(d, OK, 0, NULL, "database '%s' passes "
				"integrity_check", cfg->db);
		else
			finding(d, ERR, EXIT_INTEGRITY, "restore the database "
				"from a backup and keep this copy for analysis",
				"database '%s' fails integrity_check: %s",
				cfg->db, sqlite3_errmsg(db));
		sqlite3_finalize(st);
	}
	check_fingerprint(d, cfg, db);
	check_ledger(d, db);
	db_close(db);
}

/*
 * The scopes of the calls erasure makes under the configured policy (the
 * "permission" of each call in Particle's API description): the
 * preflight's product and ledger reads, the lists, the changes, and the
 * fresh reads that verify them.
 */
static void needed_scopes(const struct config *cfg, struct strvec *out)
{
	strvec_push(out, "products:get");
	strvec_push(out, "customers:list");
	strvec_push(out, "customers:remove");
	strvec_push(out, "devices:list");
	strvec_push(out, "devices:get");
	strvec_push(out, "devices:update");
	strvec_push(out, cfg->device_action == DEVICE_REMOVE ?
		    "devices:remove" : "devices:release");
	if (cfg->sim_action != SIM_NONE)
		strvec_push(out, "sims:get");
	if (cfg->sim_action == SIM_DEACTIVATE)
		strvec_push(out, "sims:update");
	if (cfg->sim_action == SIM_RELEASE)
		strvec_push(out, "sims:remove");
	if (cfg->device_ledgers.n) {
		strvec_push(out, "ledger.definitions:get");
		strvec_push(out, "ledger.instances:get");
		strvec_push(out, "ledger.instances:remove");
	}
	/* The description states none for GetDeviceConfig: the least
	 * favourable reading is that reading needs configuration:get. */
	if (cfg->reset_device_config) {
		strvec_push(out, "configuration:get");
		strvec_push(out, "configuration:update");
	}
	if (cfg->device_function)
		strvec_push(out, "devices.function:call");
}

static void join(struct buf *out, const struct strvec *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		buf_addf(out, "%s%s", i ? ", " : "", sv->v[i]);
}

/*
 * The token's expiry: GET /v1/access_tokens/current documents
 * "expires_in" (seconds left); its example shows "expires_at" instead, and
 * particle-api-js reads that: either is understood, neither means the
 * token does not expire (API users' tokens do not).
 */
static void check_expiry(struct doctor *d, const cJSON *info)
{
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(info, "expires_in");
	const char *at = json_get_str(info, "expires_at");
	char when[21];
	struct tm tm;
	const char *end;
	time_t t, now = time(NULL);

	if (cJSON_IsNumber(in) && in->valuedouble > 0) {
		t = now + (time_t)in->valuedouble;
	} else if (at) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(at, "%Y-%m-%dT%H:%M:%S", &tm);
		if (!end) {
			finding(d, WARN, 0, NULL, "cannot read the token's "
				"expiry '%s'", at);
			return;
		}
		t = timegm(&tm);
	} else {
		finding(d, OK, 0, NULL, "the token does not expire");
		return;
	}
	civil_format_time(t, when);
	if (t <= now)
		finding(d, ERR, EXIT_AUTH, "create a new token for the API "
			"user", "the token expired at %s", when);
	else if (t - now < 14 * 86400)
		finding(d, WARN, 0, "renew it before it does", "the token "
			"expires soon, at %s", when);
	else
		finding(d, OK, 0, NULL, "the token expires at %s", when);
}

static void check_scopes(struct doctor *d, const struct config *cfg,
			 const cJSON *info)
{
	const cJSON *scopes = cJSON_GetObjectItemCaseSensitive(info, "scopes");
	const cJSON *s;
	const char *client = json_get_str(info, "client");
	struct strvec need = STRVEC_INIT, have = STRVEC_INIT,
		      missing = STRVEC_INIT, extra = STRVEC_INIT;
	struct buf list = BUF_INIT, fix = BUF_INIT;
	size_t i;

	if (!client)
		client = json_get_str(info, "client_id");
	finding(d, OK, 0, NULL, "token identity: client '%s'",
		client ? client : "(not given)");
	if (!cJSON_IsArray(scopes))
		scopes = NULL;
	cJSON_ArrayForEach(s, scopes)
		if (cJSON_IsString(s))
			strvec_push(&have, s->valuestring);
	needed_scopes(cfg, &need);
	join(&list, &need);
	buf_addf(&fix, "create an API user (POST /v1/products/:product/team) "
		 "with exactly these scopes: %s", list.buf);
	if (!have.n || (client && (!strcmp(client, "particle") ||
				   !strcmp(client, "user")))) {
		finding(d, WARN, 0, fix.buf, "the token lists no scopes or "
			"belongs to client '%s': it looks like a person's token, "
			"which can do anything that person can",
			client ? client : "?");
		goto out;
	}
	for (i = 0; i < need.n; i++)
		if (!strvec_contains(&have, need.v[i]))
			strvec_push(&missing, need.v[i]);
	for (i = 0; i < have.n; i++)
		if (!strvec_contains(&need, have.v[i]))
			strvec_push(&extra, have.v[i]);
	buf_reset(&list);
	if (missing.n) {
		join(&list, &missing);
		finding(d, ERR, EXIT_AUTH, fix.buf, "the token lacks scopes "
			"erasure needs: %s", list.buf);
		buf_reset(&list);
	}
	if (extra.n) {
		join(&list, &extra);
		finding(d, WARN, 0, fix.buf, "the token has scopes erasure "
			"does not need: %s", list.buf);
	}
	if (!missing.n && !extra.n)
		finding(d, OK, 0, NULL, "the token has exactly the scopes "
			"erasure needs (%zu)", need.n);
out:
	strvec_clear(&need);
	strvec_clear(&have);
	strvec_clear(&missing);
	strvec_clear(&extra);
	buf_release(&list);
	buf_release(&fix);
}

/* What a run checks first: every product and device ledger exists. */
static void check_products(struct doctor *d, const struct config *cfg,
			   struct api *api)
{
	struct fleet f;
	enum api_result res;
	int rc;

	if (!cfg->products.n)
		return;
	fleet_init(&f, cfg, api);
	rc = fleet_preflight(&f, &res);
	fleet_release(&f);
	if (!rc)
		finding(d, OK, 0, NULL, "every configured product%s exists",
			cfg->device_ledgers.n ? " and device ledger" : "");
	else if (rc > 0)
		finding(d, ERR, EXIT_USAGE, "correct [products] ids or [policy] "
			"device_ledgers (see the message above)", "a configured "
			"product or ledger does not exist: a run would stop "
			"before changing anything");
	else
		finding(d, ERR, res == API_AUTH ? EXIT_AUTH : EXIT_UNREACHABLE,
			"see the message above", "cannot check that the "
			"configured products and ledgers exist");
}

static void check_api(struct doctor *d, const struct config *cfg)
{
	struct config quick = *cfg;
	struct buf token = BUF_INIT;
	struct api_request req;
	struct api *api = NULL;
	cJSON *info;

	api_request_init(&req, "GET");
	if (config_read_token(cfg, &token)) {
		finding(d, ERR, EXIT_USAGE, "see the message above", "cannot "
			"read the API token; TLS and token checks skipped");
		goto out;
	}
	/* One quick attempt: doctor diagnoses, it does not wait out outages. */
	quick.max_attempts = 1;
	if (quick.timeout <= 0 || quick.timeout > 15)
		quick.timeout = 15;
	if (api_init(&api, &quick, token.buf)) {
		finding(d, ERR, EXIT_USAGE, "see the message above",
			"cannot set up the API client");
		goto out;
	}
	api_path_literal(&req.path, "/v1/access_tokens/current");
	api_call(api, &req);
	switch (req.result) {
	case API_OK:
		break;
	case API_AUTH:
		finding(d, ERR, EXIT_AUTH, "create a new token for the API "
			"user and put it in the token file", "the API refused "
			"the token (HTTP %ld)", req.status);
		goto out;
	case API_UNREACHABLE:
		finding(d, ERR, EXIT_UNREACHABLE, "check the network, base_url "
			"and ca_file (the CA bundle that signs the API's "
			"certificate)", "cannot reach the API at '%s': %s",
			cfg->base_url, req.error.buf);
		goto out;
	case API_RETRY_EXHAUSTED:
		finding(d, ERR, EXIT_UNREACHABLE, "try again later; check "
			"https://status.particle.io", "the API did not answer "
			"(HTTP %ld): %s", req.status, req.error.buf);
		goto out;
	default:
		finding(d, WARN, 0, "check base_url", "cannot read the token's "
			"details (HTTP %ld): %s", req.status, req.error.buf);
		goto out;
	}
	finding(d, OK, 0, NULL, "%s to '%s' works and the token is accepted",
		strncasecmp(cfg->base_url, "https://", 8) ? "connection" :
		"TLS", cfg->base_url);
	info = api_response_json(&req);
	if (!info) {
		finding(d, WARN, 0, NULL, "cannot read the token's details: %s",
			req.error.buf);
		goto out;
	}
	check_expiry(d, info);
	check_scopes(d, cfg, info);
	cJSON_Delete(info);
	check_products(d, cfg, api);
out:
	api_request_release(&req);
	api_release(api);
	buf_wipe(&token);
}

const struct option cmd_doctor_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_doctor(int argc, char **argv, struct app *app)
{
	struct doctor d = { 0, 0, 0 };
	int c;

	while ((c = getopt_long(argc, argv, "h", cmd_doctor_opts, NULL)) != -1) {
		if (c == 'h')
			return cmd_help(usage);
		return cmd_bad_option(usage, argv, cmd_doctor_opts);
	}
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;
	check_config(&d, &app->cfg);
	check_files(&d, &app->cfg);
	check_database(&d, &app->cfg);
	check_api(&d, &app->cfg);
	printf("%d error(s), %d warning(s)\n", d.errors, d.warnings);
	return d.exit_code;
}

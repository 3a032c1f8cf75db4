/*
 * Fuzzes the engine's discovery (its index of customers and devices built
 * from list pages) and planning, via `run --dry-run` against the in-process
 * server answering every GET with the input as a 200 body. Checks the
 * dry-run promise: only GETs are sent, and the queue and ledger are left
 * exactly as they were.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz_server.h"
#include "config.h"
#include "db.h"
#include "engine.h"
#include "intake.h"
#include "ledger.h"
#include "log.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif
int FUZZ_ENTRY(const uint8_t *data, size_t size);

/* The run's configuration and database, made once per process. */
static struct {
	struct config cfg;
	sqlite3 *db;
} fe_app;
static struct hmac_key fe_key;
static char fe_dir[] = "/tmp/erasectl-fuzz-engine.XXXXXX";

static void fe_path(struct buf *b, const char *name)
{
	buf_reset(b);
	buf_addf(b, "%s/%s", fe_dir, name);
}

static void fe_cleanup(void)
{
	static const char *const names[] = { "erasectl.db", "erasectl.db-wal",
		"erasectl.db-shm", "erasectl.key", "token" };
	struct buf p = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		fe_path(&p, names[i]);
		unlink(p.buf);
	}
	rmdir(fe_dir);
	buf_release(&p);
}

/* Queues a request as enqueue does: validated, with its ledger entry. */
static void fe_add(const char *id, const char *email, const char *customer,
		   const char *device)
{
	struct queue_request r;
	struct intake_rules rules;
	struct buf why = BUF_INIT;
	int gen;

	rules.key = &fe_key;
	rules.now = time(NULL);
	rules.products = &fe_app.cfg.products;
	queue_request_init(&r);
	r.request_id = xstrdup(id);
	r.received_at = xstrdup("2026-11-01T00:00:00Z");
	if (email)
		r.subject_email = xstrdup(email);
	if (customer)
		r.subject_customer = xstrdup(customer);
	if (device)
		r.device_id = xstrdup(device);
	if (intake_validate(&r, &rules, &gen, &why) ||
	    queue_add(fe_app.db, &r) != QUEUE_ADDED ||
	    queue_ledger_event(fe_app.db, id, r.subject_ref,
			       LEDGER_EV_ENQUEUED, NULL, "csv"))
		abort();
	queue_request_release(&r);
	buf_release(&why);
}

static void fe_setup(void)
{
	struct buf p = BUF_INIT, url = BUF_INIT;
	struct config *c = &fe_app.cfg;
	FILE *f;

	log_setup(LOG_ERROR, 0);
	if (!mkdtemp(fe_dir))
		abort();
	atexit(fe_cleanup);
	config_init(c);
	buf_addf(&url, "http://127.0.0.1:%d", fa_start());
	fe_path(&p, "token");
	f = fopen(p.buf, "w");
	if (!f)
		abort();
	fputs("fuzz-engine-token\n", f);
	fclose(f);
	chmod(p.buf, 0600);
	if (config_set(c, "api", "base_url", url.buf, "fuzz") ||
	    config_set(c, "api", "token_file", p.buf, "fuzz") ||
	    config_set(c, "api", "max_attempts", "1", "fuzz") ||
	    config_set(c, "api", "timeout", "5", "fuzz") ||
	    config_set(c, "api", "rate_limit", "0", "fuzz") ||
	    config_set(c, "api", "concurrency", "4", "fuzz") ||
	    config_set(c, "products", "ids", "1001, acme-lock", "fuzz") ||
	    config_set(c, "policy", "device_ledgers", "device-prefs", "fuzz") ||
	    config_set(c, "policy", "sim_action", "deactivate", "fuzz") ||
	    config_set(c, "policy", "clear_device_fields", "name, notes, groups", "fuzz"))
		abort();
	fe_path(&p, "erasectl.key");
	if (config_set(c, "store", "hmac_key_file", p.buf, "fuzz") ||
	    hmac_key_create(p.buf) < 0 || hmac_key_load(p.buf, &fe_key))
		abort();
	fe_path(&p, "erasectl.db");
	if (config_set(c, "store", "db", p.buf, "fuzz") ||
	    db_open(&fe_app.db, p.buf, DB_OPEN_CREATE) || db_begin(fe_app.db))
		abort();
	fe_add("R-1", "alice@example.com", NULL, NULL);
	fe_add("R-2", "bob.smith+iot@example.org", NULL, NULL);
	fe_add("R-3", NULL, NULL, "0123456789abcdef01234567");
	fe_add("R-4", NULL, "Bob.Smith+iot@Example.org", NULL);
	if (db_commit(fe_app.db))
		abort();
	buf_release(&p);
	buf_release(&url);
}

/* The state a dry run must not change. */
static void fe_snapshot(struct buf *out)
{
	sqlite3_stmt *st;

	buf_reset(out);
	if (db_prepare(fe_app.db, &st, "SELECT request_id || status || attempts"
		       " || ifnull(subject_email, '') FROM erasure_queue"
		       " UNION ALL SELECT count(*) FROM ledger"))
		abort();
	while (sqlite3_step(st) == SQLITE_ROW)
		buf_addf(out, "%s;", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct engine_opts opts;
	struct engine_result res;
	struct buf before = BUF_INIT, after = BUF_INIT;
	long writes;

	if (!fe_app.db)
		fe_setup();
	fe_snapshot(&before);
	writes = fa_write_count();
	fa_set_reply(200, data, size);
	memset(&opts, 0, sizeof(opts));
	opts.dry_run = 1;
	opts.key = &fe_key;
	engine_result_init(&res);
	engine_run(&fe_app.cfg, fe_app.db, &opts, &res);
	/* A dry run sees requests, never finishes or fails one. */
	if (res.erased || res.not_found || res.failed || res.already_done)
		abort();
	engine_result_release(&res);
	fe_snapshot(&after);
	if (fa_write_count() != writes || strcmp(before.buf, after.buf))
		abort();
	buf_release(&before);
	buf_release(&after);
	return 0;
}

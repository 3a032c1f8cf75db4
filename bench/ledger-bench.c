/*
 * ledger-bench: writes ledger entries through the real ledger_append (and
 * queue rows through the queue module), for bench/run.sh.
 *
 *   ledger-bench DB KEYFILE append N BATCH
 *       appends N entries, committing every BATCH (group commit); prints
 *       entries per second.
 *   ledger-bench DB KEYFILE fill N
 *       adds N/10 finished requests, each with the 10 entries a one-device
 *       erasure writes (enqueued, 3 plans, 3 results, 2 verifies, done);
 *       prints entries per second.
 *
 * DB must already exist (`erasectl init`). Subjects are synthetic
 * (user<i>@bench.invalid), present only as their subject_ref.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "digest.h"
#include "ledger.h"
#include "log.h"
#include "queue.h"
#include "banned.h"

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int append(sqlite3 *db, const char *req, const char *ref,
		  const char *event, const char *kind, const char *id,
		  const char *method, const char *path, int status,
		  const char *detail)
{
	struct ledger_entry e;

	memset(&e, 0, sizeof(e));
	e.request_id = req;
	e.subject_ref = ref;
	e.event = event;
	e.target_kind = kind;
	e.target_id = id;
	e.method = method;
	e.path = path;
	e.status = status;
	e.body_sha256 = status ? "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" : NULL;
	e.detail = detail;
	return ledger_append(db, &e);
}

static int cmd_append(sqlite3 *db, long n, long batch)
{
	static const char ref[] = "0000000000000000000000000000000000000000000000000000000000000001";
	double t0 = seconds();
	long i;

	for (i = 0; i < n; i++) {
		if (i % batch == 0 && db_begin(db))
			return -1;
		if (append(db, "bench-append", ref, LEDGER_EV_RESULT, "device",
			   "0123456789abcdef01234567", "DELETE",
			   "/v1/products/1/devices/0123456789abcdef01234567/owner",
			   200, "unclaim:ok"))
			return -1;
		if ((i + 1) % batch == 0 || i + 1 == n)
			if (db_commit(db))
				return -1;
	}
	printf("%.0f\n", (double)n / (seconds() - t0));
	return 0;
}

static int one_request(sqlite3 *db, const struct hmac_key *key, long i)
{
	char req[32], email[64], dev[25], ref[SHA256_HEX_LEN + 1];
	char path[192], dpath[128];
	struct queue_request r;
	int ret = 0;

	snprintf(req, sizeof(req), "G-%ld", i);
	snprintf(email, sizeof(email), "user%ld@bench.invalid", i);
	snprintf(dev, sizeof(dev), "%024lx", (unsigned long)i);
	if (subject_ref_of_email(key, email, ref))
		return -1;
	queue_request_init(&r);
	r.request_id = req;
	r.subject_email = email;
	r.subject_ref = ref;
	r.received_at = (char *)"2026-11-01T00:00:00Z";
	r.source = (char *)"bench";
	if (queue_add(db, &r) < 0 ||
	    queue_transition(db, req, Q_RUNNING, NULL))
		ret = -1;
	r.request_id = r.subject_email = r.subject_ref = NULL;
	r.received_at = r.source = NULL;
	queue_request_release(&r);
	if (ret)
		return -1;
	snprintf(dpath, sizeof(dpath), "/v1/products/1/devices/%s", dev);
	snprintf(path, sizeof(path), "%s/owner", dpath);
	if (append(db, req, ref, LEDGER_EV_ENQUEUED, "request", req, "", "", 0, "csv") ||
	    append(db, req, ref, LEDGER_EV_PLAN, "device", dev, "PUT", dpath, 0,
		   LEDGER_ACT_CLEAR_FIELDS) ||
	    append(db, req, ref, LEDGER_EV_PLAN, "device", dev, "DELETE", path, 0,
		   LEDGER_ACT_UNCLAIM) ||
	    append(db, req, ref, LEDGER_EV_PLAN, "customer", "", "DELETE",
		   "/v1/products/1/customers/{subject}", 0,
		   LEDGER_ACT_DELETE_CUSTOMER) ||
	    append(db, req, ref, LEDGER_EV_RESULT, "device", dev, "PUT", dpath,
		   200, "clear_fields:ok") ||
	    append(db, req, ref, LEDGER_EV_RESULT, "device", dev, "DELETE", path,
		   200, "unclaim:ok") ||
	    append(db, req, ref, LEDGER_EV_RESULT, "customer", "", "DELETE",
		   "/v1/products/1/customers/{subject}", 200,
		   "delete_customer:ok") ||
	    append(db, req, ref, LEDGER_EV_VERIFY, "device", dev, "GET", dpath,
		   200, "ok") ||
	    append(db, req, ref, LEDGER_EV_VERIFY, "customer", "", "GET",
		   "/v1/products/1/customers", 200, "ok") ||
	    append(db, req, ref, LEDGER_EV_DONE, "request", req, "", "", 0, "erased"))
		return -1;
	return queue_transition(db, req, Q_DONE, "erased");
}

static int cmd_fill(sqlite3 *db, const struct hmac_key *key, long n)
{
	double t0 = seconds();
	long i, reqs = n / 10;

	for (i = 0; i < reqs; i++) {
		if (i % 1000 == 0 && db_begin(db))
			return -1;
		if (one_request(db, key, i))
			return -1;
		if ((i + 1) % 1000 == 0 || i + 1 == reqs)
			if (db_commit(db))
				return -1;
	}
	printf("%.0f\n", (double)(reqs * 10) / (seconds() - t0));
	return 0;
}

int main(int argc, char **argv)
{
	struct hmac_key key;
	sqlite3 *db;
	int ret;

	if (argc < 5 ||
	    (strcmp(argv[3], "append") && strcmp(argv[3], "fill")) ||
	    (!strcmp(argv[3], "append") && argc != 6)) {
		fprintf(stderr, "usage: ledger-bench DB KEYFILE append N BATCH\n"
				"       ledger-bench DB KEYFILE fill N\n");
		return 2;
	}
	log_setup(LOG_WARN, 0);
	if (hmac_key_load(argv[2], &key) ||
	    db_open(&db, argv[1], DB_OPEN_EXISTING))
		return 1;
	if (!strcmp(argv[3], "append"))
		ret = cmd_append(db, atol(argv[4]), atol(argv[5]) > 0 ? atol(argv[5]) : 1);
	else
		ret = cmd_fill(db, &key, atol(argv[4]));
	if (ret)
		db_rollback(db);
	db_close(db);
	hmac_key_wipe(&key);
	return ret ? 1 : 0;
}

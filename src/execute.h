#ifndef ERASECTL_EXECUTE_H
#define ERASECTL_EXECUTE_H
/*
 * execute: carries out a window of planned jobs through the API client.
 * Jobs advance concurrently as small state machines (plan.h: device
 * chains, then customer deletes, then fresh device reads), at most
 * `concurrency` calls in flight; every finished call becomes a ledger
 * "result" (or "verify") entry, group-committed every 50 entries or
 * 100 ms. After the calls, one fresh walk of the customers lists checks
 * that no customer of the window remains; only a job that passes it is
 * ready to be done.
 *
 * 401/403 stops the run (EXEC_STOP_AUTH), as does an unreachable API
 * (EXEC_STOP_UNREACHABLE) or a ledger that cannot be written
 * (EXEC_STOP_DB): in-flight calls finish, nothing new starts.
 */
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "api.h"
#include "config.h"
#include "fleet.h"
#include "plan.h"

enum exec_stop {
	EXEC_RUNNING = 0,
	EXEC_STOP_AUTH,
	EXEC_STOP_UNREACHABLE,
	EXEC_STOP_DB,
};

struct call;
struct pentry;

struct exec {
	struct api *api;
	sqlite3 *db;
	const struct config *cfg;
	struct fleet *fleet;
	long conc;		/* calls in flight at most */
	enum exec_stop stop;
	const char *stop_reason;
	/* Progress on a terminal: requests settled of total. */
	int progress;
	long total;
	size_t settled;
	uint64_t t0;

	/* Private to execute.c. */
	struct job *jobs;
	size_t njobs;
	struct call *qhead, *qtail;
	long in_flight;
	struct pentry *pend;
	size_t npend, apend;
	uint64_t last_flush, last_progress;
	int swept;		/* the window's customers walk ran */
};

void exec_init(struct exec *x, struct api *api, sqlite3 *db,
	       const struct config *cfg, struct fleet *fleet, long conc);
void exec_release(struct exec *x);

/* Stops the run (the first reason wins) and says so. */
void exec_stop(struct exec *x, enum exec_stop why, const char *reason);

/*
 * Acts on, verifies and sweeps the n jobs (planned, not failed ones): on
 * return each is J_SWEEP (its calls and device reads passed; ready when
 * x->swept, or when it has no customer to look for) or J_FAILED, or the
 * run was stopped. Results are in the ledger or pending for
 * exec_write_pending.
 */
void exec_window(struct exec *x, struct job *jobs, size_t n);

/*
 * Writes the entries still pending inside the caller's transaction (the
 * engine writes them with the jobs' final entries). Returns 0 or -1.
 */
int exec_write_pending(struct exec *x);

/* Appends one of the job's ledger entries (caller's transaction). */
int exec_ledger(sqlite3 *db, const struct job *j, const char *event,
		const char *tkind, const char *tid, const char *method,
		const char *path, int status, const char *sha,
		const char *detail);

/* Shows progress ("n/N requests, N calls/s, ETA") unless too recent. */
void exec_progress(struct exec *x, int force);

#endif

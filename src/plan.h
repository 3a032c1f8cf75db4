#ifndef ERASECTL_PLAN_H
#define ERASECTL_PLAN_H
/*
 * plan: one request being carried out (a job), and what it must do: the
 * API calls planned from what the fleet holds now and from the request's
 * ledger history (DESIGN.md "Erasure, per subject, in this order").
 *
 * A job's calls are grouped into chains: each device's calls run in order
 * (the device function, clear fields, delete ledger instances, reset the
 * configuration, unclaim or remove, SIM action);
 * the chains run concurrently; the customer deletes follow when every
 * chain is done; then the fresh reads of every device (verify).
 */
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "buf.h"
#include "config.h"
#include "digest.h"
#include "fleet.h"
#include "queue.h"

struct action {
	char *name;		/* LEDGER_ACT_* */
	char *method;
	char *target_kind;
	char *target_id;
	char *path;		/* as sent, segments escaped */
	char *lpath;		/* as the ledger shows it: {subject} */
	char *body;		/* JSON, or NULL */
	long chain;		/* index into job->chains; -1: customer */
	int fallback;		/* clear_fields again with a neutral name */
};

struct chain {
	struct action **v;
	size_t n, alloc, next;
};

/* A fresh read after the actions: what it must find gone. */
enum vdev_kind {
	V_DEVICE,		/* not owned by the subject; fields cleared */
	V_SIM,			/* released (gone) or deactivated */
	V_INSTANCE,		/* device ledger instance gone */
	V_CONFIG,		/* device configuration is the product's */
};

struct vdev {
	enum vdev_kind kind;
	size_t product;
	char *target;		/* device id, iccid, or ledger name */
	char *path;
	int check_fields;	/* V_DEVICE: this attempt cleared them */
	int release;		/* V_SIM: released (else deactivated) */
	int confirm;		/* V_SIM: a release answered 202 pending */
};

/* The device kinds' ledger target_kind ("device", "sim", ...). */
const char *plan_vdev_kind(enum vdev_kind k);

/* A ledger note written with the plans (event, target, detail). */
struct note {
	const char *event;
	const char *target_kind;
	char *target_id;
	const char *detail;
};

enum job_state {
	J_PLANNED,
	J_ACTING,
	J_SWEEP,		/* all calls done, waiting for the final sweep */
	J_DONE,
	J_FAILED,
	J_HELD,			/* its subject has a held request: left queued */
};

struct job {
	struct queue_request q;
	char *email;		/* subject: normalized email, or NULL */
	char *customer;		/* subject: exact customer username, or NULL */
	char ref[SHA256_HEX_LEN + 1];
	int resolved;		/* subject resolved from the device's owner */
	size_t *scope;		/* product indices */
	size_t nscope;
	struct action **acts;
	size_t nacts, aacts;
	struct chain *chains;
	size_t nchains, achains, chains_left;
	struct action **cust;
	size_t ncust, acust, cust_left;
	struct vdev *verify;
	size_t nverify, averify, verify_left;
	/*
	 * Actions an earlier attempt planned whose object this discovery
	 * shows gone: recorded as results ("<action>:gone") without a call.
	 */
	struct action **gone;
	size_t ngone, agone;
	struct note *notes;
	size_t nnotes, anotes;
	size_t customers, devices;
	int found_before;	/* the ledger has plans of an earlier attempt */
	/*
	 * Today is the request's deadline or later: what the device has not
	 * taken by now (an offline device's function call, a reset still
	 * pending) is left residual, and the request finishes.
	 */
	int give_up;
	char deadline[11];
	char *held_by;		/* J_HELD: the held request of the subject */
	enum job_state state;
	const char *outcome;
	char *fail;		/* reason for the queue row */
	char *fail_detail;	/* short reason for the ledger */
	long calls;
	uint64_t start_ms, end_ms;
};

/* Takes over r's strings (r is left empty). */
void job_init(struct job *j, struct queue_request *r);
void job_release(struct job *j);
/*
 * Records the job's failure (the first one wins) and moves it to
 * J_FAILED. Returns 1 when this call failed it (it was not failed yet).
 */
int job_fail(struct job *j, const char *detail, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Plans j: resolves its subject (from the device's owner for a request by
 * device id), then the calls for what the fleet shows the subject holds,
 * minus what the request's earlier attempts finished, plus what they
 * planned and did not finish. A job that cannot be planned is failed
 * (job_fail). Returns 0, or -1 on a database error.
 */
int plan_job(struct job *j, const struct fleet *f, sqlite3 *db,
	     const struct config *cfg, const struct hmac_key *key);

/* The plan as text for --dry-run ("R-1: customer found in 1001; ..."). */
void plan_describe(const struct job *j, struct buf *out);

/*
 * The neutral name given to a device when the API refuses to clear its
 * name with "": "erased-" and the device id.
 */
void plan_neutral_name(const char *device, struct buf *out);
/*
 * The clear_fields PUT body: every configured field emptied, or the name
 * set to neutral_name when it is not NULL. Caller frees.
 */
char *plan_fields_body(const struct config *cfg, const char *neutral_name);

#endif

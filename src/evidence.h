#ifndef ERASECTL_EVIDENCE_H
#define ERASECTL_EVIDENCE_H
/*
 * evidence: what the hash-chained ledger alone proves about a request,
 * replayed from its entries in order. The queue table is working state
 * that anyone with the database can UPDATE; every output that tells an
 * auditor a request's status or outcome (receipt, lookup, report,
 * metrics) takes it from here, and says so where the queue disagrees.
 *
 * The replay: enqueued -> pending (awaiting_approval when the entry after
 * it is "awaiting_approval"); approved -> pending; denied, rejected ->
 * rejected; hold -> held; release -> pending; plan, result, verify,
 * coverage -> running (an attempt); failed -> failed; done -> done. A done
 * entry is proven when the attempt it ends (its entries after the last
 * "failed") holds no verify entry other than "ok" (or "residual", for a
 * done "erased_with_residue" only) and, for an erasure, at least one ok:
 * only then is the request done in the evidence, with the stores its
 * coverage entries leave residual; an unproven done entry leaves it as
 * the attempt left it (running).
 */
#include <stdint.h>

#include <sqlite3.h>

#include "buf.h"
#include "digest.h"
#include "store.h"
#include "map.h"
#include "queue.h"

struct evidence {
	int recorded;			/* the ledger has entries of it */
	enum queue_status status;	/* as the ledger proves it */
	char outcome[24];		/* of the proven done entry */
	char completed_at[32];		/* ts of that done (or rejected) */
	int unproven_done;		/* a done entry without verification */
	int64_t first_seq, last_seq;
	char enqueued_by[64];		/* operators (OS users) */
	char approved_by[64], approved_at[32];
	char decided_by[64];		/* who denied it */
	long reappeared;		/* sweep found the subject again */
	/* Of its latest entry that names one (the done entry's, if done). */
	char subject_ref[SHA256_HEX_LEN + 1];
	int64_t done_seq;		/* of the proven done entry */
	/* Of the proven done: enum store_result per store, -1 none. */
	signed char coverage[STORE_N];
	/* The attempt being replayed. */
	int verified, bad_verify, residual_verify;
	signed char attempt_coverage[STORE_N];
};

void evidence_init(struct evidence *ev);
/*
 * 1 when the latest attempt replayed has verify entries and all are "ok"
 * or "residual" (a proven done keeps its attempt's).
 */
int evidence_verified(const struct evidence *ev);
/* Replays one entry (in seq order). */
void evidence_step(struct evidence *ev, int64_t seq, const char *event,
		   const char *subject_ref, const char *target,
		   const char *detail, const char *ts, const char *op);

/*
 * 1 when the request's latest approval entry is "awaiting_approval" (no
 * "approved" or "denied" after it): whatever its queue row says, it must
 * not be acted on. 0 otherwise, -1 on a database error.
 */
int evidence_awaits_approval(sqlite3 *db, const char *request_id);

/*
 * Only who enqueued, approved (when) or denied the request, into ev (a
 * cheap read for listings). Returns 0, or -1 on a database error.
 */
int evidence_people(sqlite3 *db, const char *request_id, struct evidence *ev);

/* The evidence of one request. Returns 0, or -1 on a database error. */
int evidence_of(sqlite3 *db, const char *request_id, struct evidence *ev);

/*
 * The evidence of every request, gathered while the ledger is verified:
 * set a ledger_scan's on_entry to evidence_set_entry and ctx to the set,
 * so one pass over the ledger both checks the chain and replays it (only
 * entries that verified are replayed).
 */
struct evidence_set {
	struct map by_id;	/* request_id -> struct evidence */
	struct buf last_id;	/* the previous entry's request and */
	struct evidence *last;	/* its evidence (entries cluster) */
};
void evidence_set_init(struct evidence_set *s);
void evidence_set_release(struct evidence_set *s);
void evidence_set_entry(void *ctx, sqlite3_stmt *row);
/*
 * Verifies the whole chain and replays it into s in one pass (for a
 * command that acts on the ledger alone). Returns 0; 1 when the chain
 * does not verify, after an error ending in what would not be done
 * ("nothing exported"); -1 on a database error.
 */
int evidence_set_read(sqlite3 *db, struct evidence_set *s, const char *what);
/* The evidence of request_id, or NULL when the ledger has none. */
const struct evidence *evidence_set_get(const struct evidence_set *s,
					const char *request_id);

/*
 * 1 when the queue row's status and outcome tell the same story as the
 * evidence; else 0 with the disagreement in why. Only final states are
 * compared (done with its outcome, rejected): claiming and the like are
 * not ledgered. A request without a row (q NULL: cleaned away) agrees.
 */
int evidence_agrees(const struct evidence *ev, const struct queue_request *q,
		    struct buf *why);

/*
 * Compares every queue row with the evidence (evidence_agrees). Returns
 * how many disagree, the first max of them described in why ("request
 * 'X': ..."), or -1 on a database error.
 */
long evidence_disagreements(sqlite3 *db, const struct evidence_set *evs,
			    size_t max, struct strvec *why);

#endif

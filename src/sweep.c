#include "sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "civil.h"
#include "db.h"
#include "evidence.h"
#include "fleet.h"
#include "intake.h"
#include "ledger.h"
#include "log.h"
#include "map.h"
#include "queue.h"
#include "util.h"
#include "banned.h"

void sweep_result_init(struct sweep_result *r)
{
	memset(r, 0, sizeof(*r));
	r->status = ENGINE_CONFIG;
}

void sweep_result_release(struct sweep_result *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].request_id);
		free(r->v[i].erased_at);
		free(r->v[i].product);
		free(r->v[i].target_id);
		free(r->v[i].requeued_as);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* An erased subject: the request that erased it, and when. */
struct erased {
	char *request_id;
	char *at;
	char *requeued_as;	/* this sweep's follow-up, or NULL */
	int64_t done_seq;	/* of its done entry: the latest wins */
	int seen;		/* found again by this sweep */
};

static void erased_free(void *p)
{
	struct erased *e = p;

	free(e->request_id);
	free(e->at);
	free(e->requeued_as);
	free(e);
}

struct sweep {
	const struct config *cfg;
	sqlite3 *db;
	const struct hmac_key *key;
	struct sweep_result *r;
	struct map erased;	/* subject_ref -> struct erased */
	struct api *api;
	struct fleet fleet;
};

/*
 * The subjects the ledger proves erased, by subject_ref (the latest
 * erasing request wins). The chain is verified in the same pass: a sweep
 * must not requeue from forged entries.
 */
static int load_erased(struct sweep *s)
{
	struct evidence_set evs;
	const char *rid;
	size_t pos;
	void *val;
	int ret;

	evidence_set_init(&evs);
	ret = evidence_set_read(s->db, &evs, "no sweep") ? -1 : 0;
	for (pos = 0; !ret && map_next(&evs.by_id, &pos, &rid, &val); pos++) {
		const struct evidence *ev = val;
		struct erased *e;

		/* Only a proven done counts (evidence.h). */
		if (ev->status != Q_DONE || !ev->subject_ref[0] ||
		    (strcmp(ev->outcome, "erased") &&
		     strcmp(ev->outcome, "erased_with_residue")))
			continue;
		e = map_get(&s->erased, ev->subject_ref);
		if (!e) {
			e = xcalloc(1, sizeof(*e));
			map_put(&s->erased, ev->subject_ref, e);
			s->r->erased++;
		} else if (e->done_seq > ev->done_seq) {
			continue;
		}
		free(e->request_id);
		free(e->at);
		e->request_id = xstrdup(rid);
		e->at = xstrdup(ev->completed_at);
		e->done_seq = ev->done_seq;
	}
	evidence_set_release(&evs);
	return ret;
}

static void add_finding(struct sweep *s, const struct erased *e,
			const char *ref, const char *kind, size_t product,
			const char *target)
{
	struct sweep_result *r = s->r;
	struct sweep_finding *f;

	ALLOC_GROW(r->v, r->n, r->alloc);
	f = &r->v[r->n++];
	memset(f, 0, sizeof(*f));
	f->request_id = xstrdup(e->request_id);
	snprintf(f->subject_ref, sizeof(f->subject_ref), "%s", ref);
	f->erased_at = xstrdup(e->at);
	f->kind = kind;
	f->product = xstrdup(s->cfg->products.v[product]);
	f->target_id = xstrdup(target);
}

/*
 * A new request for the subject found again (username as listed),
 * unless one of theirs is unfinished. Sets e->requeued_as.
 */
static int requeue(struct sweep *s, struct erased *e, const char *ref,
		   const char *username)
{
	struct intake_rules rules;
	struct queue_request q;
	struct queue_list open;
	struct buf id = BUF_INIT, why = BUF_INIT;
	char now[21];
	size_t i;
	int generated, ret = -1;

	queue_list_init(&open);
	queue_request_init(&q);
	if (queue_find_by_ref(s->db, ref, &open))
		goto out;
	for (i = 0; i < open.n; i++)
		if (queue_status_clock(open.v[i].status) != CLOCK_DONE &&
		    open.v[i].status != Q_REJECTED) {
			e->requeued_as = xstrdup(open.v[i].request_id);
			ret = 0;
			goto out;
		}
	civil_format_time(time(NULL), now);
	buf_addf(&id, "sweep-%.4s%.2s%.2sT%.2s%.2s%.2sZ-%s", now, now + 5,
		 now + 8, now + 11, now + 14, now + 17, e->request_id);
	intake_subject_of_username(username, &q.subject_email,
				   &q.subject_customer);
	q.request_id = buf_detach(&id, NULL);
	q.source = xstrdup("sweep");
	intake_rules_init(&rules, s->key, s->cfg);
	if (intake_check_request_id(q.request_id)) {
		/* The erasing request's id made it too long: a fresh one. */
		free(q.request_id);
		q.request_id = NULL;
	}
	if (intake_validate(&q, &rules, &generated, &why)) {
		ret = error("cannot requeue the subject of request '%s': %s",
			    e->request_id, why.buf);
		goto out;
	}
	q.status = rules.initial;
	if (queue_add(s->db, &q) != QUEUE_ADDED ||
	    queue_record_enqueued(s->db, &q, "sweep", e->request_id))
		goto out;
	e->requeued_as = xstrdup(q.request_id);
	ret = 0;
out:
	queue_request_release(&q);
	queue_list_release(&open);
	buf_release(&id);
	buf_release(&why);
	return ret;
}

static int record(struct sweep *s, const struct sweep_finding *f)
{
	struct ledger_entry le;
	struct buf detail = BUF_INIT;
	int ret;

	buf_addf(&detail, "%s again in product %s (erased %s)",
		 !strcmp(f->kind, "device") ? "owns this device" :
		 "a customer", f->product, f->erased_at);
	memset(&le, 0, sizeof(le));
	le.request_id = f->request_id;
	le.subject_ref = f->subject_ref;
	le.event = LEDGER_EV_REAPPEARED;
	le.target_kind = f->kind;
	le.target_id = f->target_id;
	le.detail = detail.buf;
	ret = ledger_append(s->db, &le);
	buf_release(&detail);
	return ret;
}

/* Matches every listed username against the erased subjects. */
static int match(struct sweep *s, int do_requeue)
{
	struct sweep_result *r = s->r;
	const char *username;
	void *val;
	size_t pos, i, first;
	int ret = 0;

	if (db_begin(s->db))
		return -1;
	for (pos = 0; !ret && map_next(&s->fleet.users, &pos, &username, &val);
	     pos++) {
		const struct fleet_user *u = val;
		char *email, *customer, ref[SHA256_HEX_LEN + 1];
		struct erased *e;

		r->users++;
		intake_subject_of_username(username, &email, &customer);
		ret = email ? subject_ref_of_email(s->key, email, ref) :
			subject_ref_of_customer(s->key, customer, ref);
		free(email);
		free(customer);
		if (ret || !(e = map_get(&s->erased, ref)))
			continue;
		first = r->n;
		for (i = 0; i < u->ncust; i++)
			add_finding(s, e, ref, "customer", u->cust[i],
				    s->cfg->products.v[u->cust[i]]);
		for (i = 0; i < u->ndevs; i++)
			add_finding(s, e, ref, "device", u->devs[i]->product,
				    u->devs[i]->id);
		if (first == r->n)
			continue;
		r->subjects += !e->seen;
		e->seen = 1;
		if (do_requeue && !e->requeued_as)
			ret = requeue(s, e, ref, username);
		for (i = first; !ret && i < r->n; i++) {
			if (e->requeued_as)
				r->v[i].requeued_as = xstrdup(e->requeued_as);
			ret = record(s, &r->v[i]);
		}
	}
	if (ret || db_commit(s->db)) {
		db_rollback(s->db);
		return -1;
	}
	return 0;
}

void sweep_run(const struct config *cfg, sqlite3 *db,
	       const struct hmac_key *key, int do_requeue,
	       struct sweep_result *r)
{
	struct sweep sw, *s = &sw;
	struct buf token = BUF_INIT;
	struct api_stats st;
	enum api_result res;
	int rc;

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->db = db;
	s->key = key;
	s->r = r;
	map_init(&s->erased);
	r->status = ENGINE_CONFIG;
	if (config_require_products(cfg))
		goto out;
	r->status = ENGINE_DB;
	if (load_erased(s))
		goto out;
	r->status = ENGINE_CONFIG;
	if (config_read_token(cfg, &token) ||
	    api_init(&s->api, cfg, token.buf))
		goto out;
	fleet_init(&s->fleet, cfg, s->api);
	rc = fleet_preflight(&s->fleet, &res);
	if (rc) {
		r->status = rc > 0 ? ENGINE_CONFIG : engine_status_of_api(res);
		goto out;
	}
	if (fleet_discover(&s->fleet, &res)) {
		error("the sweep could not walk the lists completely: nothing "
		      "was recorded");
		r->status = engine_status_of_api(res);
		goto out;
	}
	r->devices = (long)s->fleet.devices.n;
	r->status = ENGINE_DB;
	if (match(s, do_requeue))
		goto out;
	r->status = ENGINE_OK;
out:
	memset(&st, 0, sizeof(st));
	if (s->api) {
		api_get_stats(s->api, &st);
		fleet_release(&s->fleet);
		api_release(s->api);
	}
	r->api_calls = st.requests;
	buf_wipe(&token);
	map_release(&s->erased, erased_free);
}

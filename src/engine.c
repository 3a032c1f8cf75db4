#include "engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "coverage.h"
#include "db.h"
#include "digest.h"
#include "escape.h"
#include "evidence.h"
#include "execute.h"
#include "fleet.h"
#include "intake.h"
#include "ledger.h"
#include "log.h"
#include "util.h"
#include "banned.h"

/*
 * Requests held in memory at a time (about 1 KB each with their plans):
 * a run claims every request up front but plans, acts on and finishes them
 * a window at a time. ERASECTL_WINDOW overrides it (tests).
 */
#define ENGINE_WINDOW 2000
/*
 * A run's page cache in MiB (db_cache_mib). 20,000 requests found nowhere,
 * measured on one machine: 2 MiB 9.7 s, 8 MiB 9.2 s, 16 MiB 8.4 s (35 MiB
 * peak), 32 MiB 7.9 s (53 MiB peak).
 */
#define CACHE_MIB 16

struct engine {
	const struct engine_opts *opts;
	struct config cfg;	/* a copy: --concurrency overrides */
	sqlite3 *db;
	struct api *api;
	struct hmac_key key;
	struct fleet fleet;
	struct exec x;
	struct engine_result *res;
	struct job *jobs;	/* the current window */
	size_t njobs, ajobs;
	long window;		/* window size */
	char *after_at, *after_id;	/* key of the last row loaded */
	int loaded_single;
};

void engine_result_init(struct engine_result *r)
{
	memset(r, 0, sizeof(*r));
}

void engine_result_release(struct engine_result *r)
{
	free(r->already_done);
	engine_result_init(r);
}

static void take_job(struct engine *e, struct queue_request *r)
{
	ALLOC_GROW(e->jobs, e->njobs, e->ajobs);
	job_init(&e->jobs[e->njobs++], r);
}

/* A copy of the validated request `erase` was given. */
static void take_single(struct engine *e)
{
	const struct queue_request *s = e->opts->single;
	struct queue_request r;

	queue_request_init(&r);
	r.request_id = xstrdup(s->request_id);
	r.subject_email = s->subject_email ? xstrdup(s->subject_email) : NULL;
	r.subject_customer = s->subject_customer ?
		xstrdup(s->subject_customer) : NULL;
	r.device_id = s->device_id ? xstrdup(s->device_id) : NULL;
	r.product = s->product ? xstrdup(s->product) : NULL;
	r.received_at = s->received_at ? xstrdup(s->received_at) : NULL;
	r.source = s->source ? xstrdup(s->source) : NULL;
	take_job(e, &r);
}

/*
 * Loads the next window into e->jobs (empty when none is left): the
 * request of `erase` once, else the next rows by received_at, request_id
 * after the last one loaded: claimed (running) rows, or for a dry run the
 * rows a run would claim.
 */
static int load_window(struct engine *e)
{
	const struct engine_opts *o = e->opts;
	struct queue_list l;
	long n = e->window;
	size_t i;
	int ret;

	if (o->single) {
		if (!e->loaded_single)
			take_single(e);
		e->loaded_single = 1;
		return 0;
	}
	/* The claim applied --limit; a dry run counts for itself. */
	if (o->dry_run && o->limit) {
		if (e->res->total >= o->limit)
			return 0;
		if (o->limit - e->res->total < n)
			n = o->limit - e->res->total;
	}
	queue_list_init(&l);
	ret = queue_next_window(e->db, !o->dry_run, e->after_at, e->after_id,
				n, &l);
	if (!ret && l.n) {
		free(e->after_at);
		free(e->after_id);
		e->after_at = xstrdup(l.v[l.n - 1].received_at);
		e->after_id = xstrdup(l.v[l.n - 1].request_id);
	}
	for (i = 0; !ret && i < l.n; i++)
		take_job(e, &l.v[i]);
	if (o->dry_run)
		e->res->total += (long)l.n;
	queue_list_release(&l);
	return ret;
}

/* Commits every plan (and resolved subjects) before the first call. */
static int write_plans(struct engine *e)
{
	size_t i, k;
	int ret = -1;

	if (db_begin(e->db))
		return -1;
	for (i = 0; i < e->njobs; i++) {
		struct job *j = &e->jobs[i];

		if (j->fail || j->state == J_HELD)
			continue;
		/* A retry must find the subject again. */
		if (j->resolved && queue_set_subject(e->db, j->q.request_id,
						     j->email, j->customer,
						     j->ref))
			goto out;
		for (k = 0; k < j->nnotes; k++) {
			const struct note *n = &j->notes[k];

			if (exec_ledger(e->db, j, n->event, n->target_kind,
					n->target_id, NULL, NULL, 0, NULL,
					n->detail))
				goto out;
		}
		for (k = 0; k < j->nacts; k++) {
			struct action *a = j->acts[k];

			if (exec_ledger(e->db, j, LEDGER_EV_PLAN,
					a->target_kind, a->target_id,
					a->method, a->lpath, 0, NULL, a->name))
				goto out;
		}
		for (k = 0; k < j->ngone; k++) {
			struct action *a = j->gone[k];
			struct buf detail = BUF_INIT;
			int rc;

			buf_addf(&detail, "%s:gone", a->name);
			rc = exec_ledger(e->db, j, LEDGER_EV_RESULT,
					 a->target_kind, a->target_id,
					 a->method, a->lpath, 0, NULL,
					 detail.buf);
			buf_release(&detail);
			if (rc)
				goto out;
		}
	}
	ret = db_commit(e->db);
out:
	if (ret)
		db_rollback(e->db);
	return ret;
}

static void emit_event(const struct job *j)
{
	struct buf out = BUF_INIT;
	cJSON *o;

	if (!log_is_json())
		return;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", "request_done");
	json_add_text(o, "request_id", j->q.request_id);
	json_add_text(o, "subject_ref", j->ref[0] ? j->ref : NULL);
	json_add_text(o, "outcome", j->outcome);
	cJSON_AddStringToObject(o, "status", j->state == J_DONE ?
				"done" : "failed");
	json_add_int(o, "calls", j->calls);
	json_add_int(o, "duration_ms", j->end_ms > j->start_ms ?
		     (int64_t)(j->end_ms - j->start_ms) : 0);
	json_print(o, 0, &out);
	buf_setlen(&out, out.len - 1);
	log_event(out.buf);
	buf_release(&out);
	cJSON_Delete(o);
}

/* The one message for a request left queued for another's hold. */
static void left_for_hold(const char *request_id, const char *held_by,
			  void *ctx)
{
	struct engine *e = ctx;

	e->res->held_skipped++;
	if (!e->opts->single)
		warning("request '%s' left queued: request '%s' of the same "
			"subject is on legal hold", request_id, held_by);
}

/*
 * A hold protects the person, not only the request it was put on: a job
 * whose subject (resolved now, for a request by device id) has a held
 * request is left queued. Returns 0, or -1 on a database error.
 */
static int check_hold(struct engine *e, struct job *j)
{
	struct buf held = BUF_INIT;
	int ret = 0;

	if (!j->ref[0] || j->fail)
		return 0;
	if (queue_subject_held(e->db, j->ref, j->q.request_id, &held)) {
		ret = -1;
	} else if (held.len) {
		j->state = J_HELD;
		j->held_by = buf_detach(&held, NULL);
		left_for_hold(j->q.request_id, j->held_by, e);
	}
	buf_release(&held);
	return ret;
}

/*
 * Approval is proven by the ledger, not by the queue row's state: a
 * request whose ledger still awaits approval is failed, never acted on.
 */
static int check_approved(struct engine *e, struct job *j)
{
	int rc;

	if (j->fail || j->state == J_HELD)
		return 0;
	rc = evidence_awaits_approval(e->db, j->q.request_id);
	if (rc > 0 && job_fail(j, "not_approved", "the ledger shows no "
			       "approval of this request (its queue row was "
			       "changed outside erasectl): another user must "
			       "run 'erasectl approve'"))
		warning("request '%s' failed: %s", j->q.request_id, j->fail);
	return rc < 0 ? -1 : 0;
}

/* Decides each job's end: done (with its outcome) or failed. */
static void settle_jobs(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->njobs; i++) {
		struct job *j = &e->jobs[i];
		int needs_sweep = j->email || j->customer;

		if (j->state == J_HELD)
			continue;
		if (j->state == J_SWEEP && !j->fail &&
		    (e->x.swept || !needs_sweep)) {
			j->state = J_DONE;
			j->outcome = j->found_before || j->nacts ||
				j->customers || j->devices ?
				"erased" : "not_found";
		} else if (!j->fail) {
			job_fail(j, "stopped", "%s", e->x.stop_reason ?
				 e->x.stop_reason : "run interrupted");
		}
	}
}

/*
 * The coverage matrix of a finished job, from its ledger entries (all
 * attempts), as "coverage" entries; a store the policy asked for that is
 * left makes the outcome erased_with_residue.
 */
static int write_coverage(struct engine *e, struct job *j)
{
	struct coverage cov;
	struct buf detail = BUF_INIT;
	int s, ret = 0;

	coverage_init(&cov);
	if (coverage_derive(e->db, &e->cfg, j->q.request_id, &cov)) {
		ret = -1;
		goto out;
	}
	for (s = 0; !ret && s < STORE_N; s++) {
		buf_reset(&detail);
		coverage_detail(&cov, (enum store)s, &detail);
		ret = exec_ledger(e->db, j, LEDGER_EV_COVERAGE, "store",
				  store_name((enum store)s), NULL,
				  NULL, 0, NULL, detail.buf);
	}
	if (coverage_has_residue(&cov) && !strcmp(j->outcome, "erased"))
		j->outcome = "erased_with_residue";
out:
	buf_release(&detail);
	coverage_release(&cov);
	return ret;
}

/* Records every request's end: ledger and queue in one transaction. */
static int finish_jobs(struct engine *e)
{
	size_t i;
	int ret = 0;

	if (db_begin(e->db))
		return -1;
	if (exec_write_pending(&e->x))
		ret = -1;
	for (i = 0; !ret && i < e->njobs; i++) {
		struct job *j = &e->jobs[i];
		int done = j->state == J_DONE;

		if (j->state == J_HELD) {
			/* Claimed, never tried: back in the queue. */
			if (queue_transition(e->db, j->q.request_id, Q_PENDING,
					     NULL))
				ret = -1;
			continue;
		}
		if (done && write_coverage(e, j)) {
			ret = -1;
			break;
		}
		if (exec_ledger(e->db, j, done ? LEDGER_EV_DONE :
				LEDGER_EV_FAILED, "request", j->q.request_id,
				NULL, NULL, 0, NULL, done ? j->outcome :
				j->fail_detail) ||
		    queue_transition(e->db, j->q.request_id,
				     done ? Q_DONE : Q_FAILED,
				     done ? j->outcome : j->fail))
			ret = -1;
	}
	if (ret || db_commit(e->db)) {
		db_rollback(e->db);
		return -1;
	}
	return 0;
}

/* erase: asks, then queues the request and claims it. */
static int erase_queue(struct engine *e)
{
	struct job *j = &e->jobs[0];
	struct engine_preview pv;
	struct intake_rules rules;
	int rc;

	memset(&pv, 0, sizeof(pv));
	pv.customers = j->customers;
	pv.devices = j->devices;
	pv.actions = j->nacts;
	if (e->opts->confirm) {
		rc = e->opts->confirm(&pv, e->opts->confirm_ctx);
		if (rc <= 0) {
			e->res->status = rc < 0 ? ENGINE_CONFIG :
				ENGINE_NOT_DONE;
			return -1;
		}
	}
	if (e->opts->dry_run)
		return 0;
	free(j->q.subject_ref);
	j->q.subject_ref = j->ref[0] ? xstrdup(j->ref) : NULL;
	intake_rules_init(&rules, &e->key, &e->cfg);
	j->q.status = rules.initial;
	e->res->status = ENGINE_DB;
	if (db_begin(e->db))
		return -1;
	rc = queue_add(e->db, &j->q);
	if (rc < 0) {
		if (!db_busy())
			e->res->status = ENGINE_CONFIG;
		goto fail;
	}
	if (rc == QUEUE_ADDED &&
	    queue_record_enqueued(e->db, &j->q, "erase", NULL))
		goto fail;
	if (rc == QUEUE_ADDED && j->q.status == Q_AWAITING) {
		/* A second person decides; the run after that erases. */
		if (db_commit(e->db))
			goto fail;
		e->res->status = ENGINE_AWAITING;
		return -1;
	}
	if (queue_transition(e->db, j->q.request_id, Q_RUNNING, NULL)) {
		if (!db_busy())
			e->res->status = ENGINE_NOT_DONE;
		goto fail;
	}
	if (db_commit(e->db))
		goto fail;
	e->res->status = ENGINE_OK;
	return 0;
fail:
	db_rollback(e->db);
	return -1;
}

static enum engine_status stop_status(enum exec_stop s)
{
	switch (s) {
	case EXEC_STOP_AUTH:
		return ENGINE_AUTH;
	case EXEC_STOP_UNREACHABLE:
		return ENGINE_UNREACHABLE;
	case EXEC_STOP_DB:
		return ENGINE_DB;
	default:
		return ENGINE_OK;
	}
}

/*
 * Plans, records, acts on, verifies and finishes the loaded window.
 * Returns 0, or -1 (with e->res->status set): the run ends.
 */
static int process_window(struct engine *e)
{
	const struct engine_opts *opts = e->opts;
	size_t i;

	/* Unplanned requests still name their subject in the ledger. */
	for (i = 0; i < e->njobs && (!e->fleet.discovered || e->x.stop); i++)
		if (e->jobs[i].q.subject_ref)
			snprintf(e->jobs[i].ref, sizeof(e->jobs[i].ref), "%s",
				 e->jobs[i].q.subject_ref);
	if (!e->fleet.discovered) {
		for (i = 0; i < e->njobs; i++)
			job_fail(&e->jobs[i], "discovery_failed", "%s",
				 e->x.stop_reason ? e->x.stop_reason :
				 "discovery of customers and devices failed");
	} else if (e->x.stop) {
		/*
		 * Claimed (attempts counted) but never tried: failed, so the
		 * next run retries them, and nothing stays running.
		 */
		for (i = 0; i < e->njobs; i++)
			job_fail(&e->jobs[i], "stopped", "run stopped before "
				 "this request was attempted: %s",
				 e->x.stop_reason);
	} else {
		for (i = 0; i < e->njobs; i++)
			if (plan_job(&e->jobs[i], &e->fleet, e->db, &e->cfg,
				     &e->key) || check_hold(e, &e->jobs[i]) ||
			    check_approved(e, &e->jobs[i])) {
				e->res->status = ENGINE_DB;
				return -1;
			}
	}
	for (i = 0; i < e->njobs; i++)
		e->res->actions += e->jobs[i].nacts;
	if (opts->single && e->jobs[0].state == J_HELD) {
		error("request '%s' of the same subject is on legal hold: "
		      "nothing was queued (erasectl release it first)",
		      e->jobs[0].held_by);
		e->res->status = ENGINE_CONFIG;
		return -1;
	}
	if (opts->single && (e->x.stop || e->jobs[0].fail)) {
		/* Nothing was queued: say why and leave no trace. */
		if (e->jobs[0].fail && !e->x.stop)
			error("request '%s': %s; nothing was queued",
			      e->jobs[0].q.request_id, e->jobs[0].fail);
		e->res->status = e->x.stop ? stop_status(e->x.stop) :
			ENGINE_NOT_DONE;
		return -1;
	}
	if (opts->single && erase_queue(e))
		return -1;
	if (opts->dry_run) {
		for (i = 0; opts->show_plan && i < e->njobs; i++)
			opts->show_plan(&e->jobs[i], opts->plan_ctx);
		return 0;
	}
	if (!e->x.stop) {
		/* Committed before the window's first destructive call. */
		if (write_plans(e)) {
			e->res->status = ENGINE_DB;
			return -1;
		}
		exec_window(&e->x, e->jobs, e->njobs);
	}
	settle_jobs(e);
	if (finish_jobs(e)) {
		e->res->status = ENGINE_DB;
		return -1;
	}
	return 0;
}

/* Counts the window's requests in the result and frees them. */
static void window_release(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->njobs; i++) {
		struct job *j = &e->jobs[i];

		if (!e->opts->dry_run && j->state == J_HELD) {
			e->res->held_skipped++;
		} else if (!e->opts->dry_run) {
			emit_event(j);
			if (j->state == J_DONE &&
			    !strcmp(j->outcome, "not_found"))
				e->res->not_found++;
			else if (j->state == J_DONE)
				e->res->erased++;
			else
				e->res->failed++;
		}
		job_release(j);
	}
	e->njobs = 0;
}

static long window_size(void)
{
	const char *v = getenv("ERASECTL_WINDOW");
	long n;

	if (!v || !*v)
		return ENGINE_WINDOW;
	if (util_parse_long(v, 1, 100000000L, &n)) {
		warning("ignoring ERASECTL_WINDOW '%s': not a positive number",
			v);
		return ENGINE_WINDOW;
	}
	return n;
}

/* erase of a request that is already done: nothing to do but say so. */
static int already_done(struct engine *e)
{
	struct queue_request old;
	int rc;

	queue_request_init(&old);
	rc = queue_get(e->db, e->opts->single->request_id, &old);
	if (!rc && old.status == Q_DONE)
		e->res->already_done = xstrdup(old.outcome ? old.outcome : "");
	queue_request_release(&old);
	if (rc < 0)
		e->res->status = ENGINE_DB;
	return rc < 0 ? -1 : e->res->already_done != NULL;
}

/* Sets up the client and the fleet; ENGINE_CONFIG when it cannot. */
static int setup(struct engine *e, const struct config *cfg)
{
	struct buf token = BUF_INIT;
	int ret = -1;

	e->cfg = *cfg;
	if (e->opts->concurrency > 0)
		e->cfg.concurrency = e->opts->concurrency;
	e->key = *e->opts->key;
	if (config_read_token(cfg, &token) ||
	    api_init(&e->api, &e->cfg, token.buf))
		goto out;
	fleet_init(&e->fleet, &e->cfg, e->api);
	exec_init(&e->x, e->api, e->db, &e->cfg, &e->fleet,
		  e->cfg.concurrency);
	ret = 0;
out:
	buf_wipe(&token);
	return ret;
}

/*
 * Records the rows upstream systems INSERTed, so that they are claimed
 * with the rest. Returns how many requests a run would claim, or -1.
 */
static long prepare_queue(struct engine *e)
{
	struct intake_rules rules;
	long n;

	intake_rules_init(&rules, &e->key, &e->cfg);
	if (!e->opts->dry_run && intake_upstream(e->db, &rules) < 0)
		return -1;
	if (queue_count_claimable(e->db, &n))
		return -1;
	return n;
}

enum engine_status engine_status_of_api(enum api_result res)
{
	return res == API_AUTH ? ENGINE_AUTH : res == API_UNREACHABLE ?
		ENGINE_UNREACHABLE : ENGINE_API_FAILED;
}

/*
 * Checks the configured products and ledgers exist before anything is
 * claimed or changed. Returns 0, or -1 with the status set.
 */
static int preflight(struct engine *e)
{
	enum api_result res;
	int rc = fleet_preflight(&e->fleet, &res);

	if (!rc)
		return 0;
	e->res->status = rc > 0 ? ENGINE_CONFIG : engine_status_of_api(res);
	return -1;
}

/* Claims the queued requests (run) and loads the first window. */
static int start(struct engine *e)
{
	const struct engine_opts *o = e->opts;

	if (o->single) {
		e->res->total = 1;
	} else if (!o->dry_run &&
		   queue_claim_all(e->db, o->limit, &e->res->total,
				   left_for_hold, e)) {
		return -1;
	}
	return load_window(e);
}

/* One discovery serves every window of the run. */
static void discover(struct engine *e)
{
	enum api_result res;

	if (!fleet_discover(&e->fleet, &res))
		return;
	e->res->discovery_failed = 1;
	if (res == API_AUTH)
		exec_stop(&e->x, EXEC_STOP_AUTH, "API refused the token");
	else if (res == API_UNREACHABLE)
		exec_stop(&e->x, EXEC_STOP_UNREACHABLE, "API unreachable");
}

int engine_run(const struct config *cfg, sqlite3 *db,
	       const struct engine_opts *opts, struct engine_result *res)
{
	struct engine eng, *e = &eng;
	struct api_stats st;
	size_t i;

	memset(e, 0, sizeof(*e));
	e->opts = opts;
	e->db = db;
	e->res = res;
	e->window = window_size();
	res->status = ENGINE_CONFIG;
	if (config_require_products(cfg))
		return -1;
	if (opts->single && !opts->dry_run) {
		int rc = already_done(e);

		if (rc) {
			if (rc > 0)
				res->status = ENGINE_OK;
			return rc < 0 ? -1 : 0;
		}
	}
	if (setup(e, cfg))
		goto out;
	res->status = ENGINE_DB;
	/* A window's ledger entries are written in one transaction. */
	if (db_cache_mib(db, CACHE_MIB))
		goto out;
	if (!opts->single) {
		long runnable = prepare_queue(e);

		if (runnable < 0)
			goto out;
		if (!runnable) {
			res->status = ENGINE_OK;
			goto out;
		}
	}
	if (preflight(e))
		goto out;
	res->status = ENGINE_DB;
	if (start(e))
		goto out;
	res->status = ENGINE_OK;
	if (!e->njobs)
		goto out;
	e->x.total = res->total;
	e->x.progress = !opts->dry_run && isatty(2) && !log_is_json() &&
		log_get_level() >= LOG_INFO;
	discover(e);
	/*
	 * Finished requests leave running, and the key moves on, so each
	 * claimed row is loaded once; after a stop the later windows are
	 * still loaded, to be failed, so that no row stays running.
	 */
	while (e->njobs) {
		if (process_window(e))
			goto out;
		window_release(e);
		if (load_window(e)) {
			res->status = ENGINE_DB;
			goto out;
		}
	}
	if (e->x.progress) {
		exec_progress(&e->x, 1);
		fputc('\n', stderr);
	}
	if (!opts->dry_run && db_checkpoint_truncate(db) > 0)
		warning("another command is reading the database: its WAL, "
			"which may still hold removed emails, is truncated by "
			"the next run");
	res->status = stop_status(e->x.stop);
out:
	memset(&st, 0, sizeof(st));
	if (e->api)
		api_get_stats(e->api, &st);
	res->api_calls = st.requests;
	res->api_failures = st.failed;
	for (i = 0; i < e->njobs; i++)
		job_release(&e->jobs[i]);
	free(e->jobs);
	free(e->after_at);
	free(e->after_id);
	exec_release(&e->x);
	if (e->api) {
		fleet_release(&e->fleet);
		api_release(e->api);
	}
	hmac_key_wipe(&e->key);
	return res->status == ENGINE_OK ? 0 : -1;
}

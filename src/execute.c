#include "execute.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "db.h"
#include "ledger.h"
#include "log.h"
#include "util.h"
#include "banned.h"

#define FLUSH_ENTRIES 50
#define FLUSH_MS 100
#define PROGRESS_MS 250

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A ledger entry waiting for the next group commit (strings borrowed). */
struct pentry {
	struct job *job;
	const char *event, *target_kind, *target_id, *method, *path;
	int status;
	char sha[SHA256_HEX_LEN + 1];
	char *detail;
};

struct call {
	struct api_request req;
	struct exec *x;
	struct job *job;
	struct action *act;	/* NULL for a verification GET */
	struct vdev *vd;
	struct call *next;
};

void exec_init(struct exec *x, struct api *api, sqlite3 *db,
	       const struct config *cfg, struct fleet *fleet, long conc)
{
	memset(x, 0, sizeof(*x));
	x->api = api;
	x->db = db;
	x->cfg = cfg;
	x->fleet = fleet;
	x->conc = conc > 0 ? conc : 1;
	x->t0 = x->last_flush = now_ms();
}

static void call_free(struct call *c)
{
	api_request_release(&c->req);
	free(c);
}

void exec_release(struct exec *x)
{
	size_t i;

	while (x->qhead) {
		struct call *c = x->qhead;

		x->qhead = c->next;
		call_free(c);
	}
	for (i = 0; i < x->npend; i++)
		free(x->pend[i].detail);
	free(x->pend);
	memset(x, 0, sizeof(*x));
}

void exec_stop(struct exec *x, enum exec_stop why, const char *reason)
{
	if (x->stop)
		return;
	x->stop = why;
	x->stop_reason = reason;
	error("%s: run stopped", reason);
}

/* Fails j and counts it settled when it was still in progress. */
static void fail(struct exec *x, struct job *j, const char *detail,
		 const char *why)
{
	int was_open = j->state == J_ACTING || j->state == J_PLANNED;

	if (job_fail(j, detail, "%s", why) && was_open)
		x->settled++;
}

int exec_ledger(sqlite3 *db, const struct job *j, const char *event,
		const char *tkind, const char *tid, const char *method,
		const char *path, int status, const char *sha,
		const char *detail)
{
	struct ledger_entry le;

	memset(&le, 0, sizeof(le));
	le.request_id = j->q.request_id;
	le.subject_ref = j->ref;
	le.event = event;
	le.target_kind = tkind;
	le.target_id = tid;
	le.method = method;
	le.path = path;
	le.status = status;
	le.body_sha256 = sha;
	le.detail = detail;
	return ledger_append(db, &le);
}

static void pend_add(struct exec *x, struct job *j, const char *event,
		     const char *tkind, const char *tid, const char *method,
		     const char *path, int status, const char *sha,
		     char *detail)
{
	struct pentry *p;

	ALLOC_GROW(x->pend, x->npend, x->apend);
	p = &x->pend[x->npend++];
	p->job = j;
	p->event = event;
	p->target_kind = tkind;
	p->target_id = tid;
	p->method = method;
	p->path = path;
	p->status = status;
	if (sha && status)
		memcpy(p->sha, sha, sizeof(p->sha));
	else
		p->sha[0] = '\0';
	p->detail = detail;
}

int exec_write_pending(struct exec *x)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < x->npend; i++) {
		struct pentry *p = &x->pend[i];

		if (!ret && exec_ledger(x->db, p->job, p->event, p->target_kind,
					p->target_id, p->method, p->path,
					p->status, p->sha, p->detail))
			ret = -1;
		free(p->detail);
	}
	x->npend = 0;
	return ret;
}

static int pend_flush(struct exec *x)
{
	x->last_flush = now_ms();
	if (!x->npend)
		return 0;
	if (db_begin(x->db))
		goto fail;
	if (exec_write_pending(x) || db_commit(x->db)) {
		db_rollback(x->db);
		goto fail;
	}
	return 0;
fail:
	exec_write_pending(x);	/* frees what is left */
	exec_stop(x, EXEC_STOP_DB, "cannot write the ledger");
	return -1;
}

void exec_progress(struct exec *x, int force)
{
	uint64_t t = now_ms();
	struct api_stats st;
	double secs, rate;
	long eta;

	if (!x->progress || (!force && t - x->last_progress < PROGRESS_MS))
		return;
	x->last_progress = t;
	api_get_stats(x->api, &st);
	secs = (double)(t - x->t0) / 1000.0;
	rate = secs > 0 ? (double)st.requests / secs : 0;
	eta = x->settled && (long)x->settled < x->total ?
		(long)(secs * (double)(x->total - (long)x->settled) /
		       (double)x->settled) : 0;
	fprintf(stderr, "\r%zu/%ld requests, %.0f calls/s, ETA %lds\033[K",
		x->settled, x->total, rate, eta);
	fflush(stderr);
}

static void on_call_done(struct api_request *req, void *ctx);

static void call_queue(struct exec *x, struct job *j, struct action *a,
		       struct vdev *vd, int front)
{
	struct call *c = xcalloc(1, sizeof(*c));

	api_request_init(&c->req, a ? a->method : "GET");
	if (a) {
		buf_adds(&c->req.path, a->path);
		buf_adds(&c->req.display_path, a->lpath);
		if (a->body)
			buf_adds(&c->req.body, a->body);
	} else {
		buf_adds(&c->req.path, vd->path);
	}
	c->req.done = on_call_done;
	c->req.ctx = c;
	c->x = x;
	c->job = j;
	c->act = a;
	c->vd = vd;
	if (front) {
		c->next = x->qhead;
		x->qhead = c;
		if (!x->qtail)
			x->qtail = c;
	} else {
		if (x->qtail)
			x->qtail->next = c;
		else
			x->qhead = c;
		x->qtail = c;
	}
}

/* Hands queued calls to the API client, at most `conc` in flight. */
static void pump(struct exec *x)
{
	while (!x->stop && x->in_flight < x->conc && x->qhead) {
		struct call *c = x->qhead;

		x->qhead = c->next;
		if (!x->qhead)
			x->qtail = NULL;
		c->next = NULL;
		x->in_flight++;
		api_submit(x->api, &c->req);
	}
}

static void job_ready(struct exec *x, struct job *j)
{
	j->state = J_SWEEP;
	j->end_ms = now_ms();
	x->settled++;
}

static void job_verify(struct exec *x, struct job *j)
{
	size_t i;

	if (!j->nverify) {
		job_ready(x, j);
		return;
	}
	j->verify_left = j->nverify;
	for (i = 0; i < j->nverify; i++)
		call_queue(x, j, NULL, &j->verify[i], 1);
}

static void job_customers(struct exec *x, struct job *j)
{
	size_t i;

	if (!j->ncust) {
		job_verify(x, j);
		return;
	}
	j->cust_left = j->ncust;
	for (i = 0; i < j->ncust; i++)
		call_queue(x, j, j->cust[i], NULL, 1);
}

static void job_start(struct exec *x, struct job *j)
{
	size_t i;

	j->state = J_ACTING;
	j->start_ms = now_ms();
	if (!j->nchains) {
		job_customers(x, j);
		return;
	}
	j->chains_left = j->nchains;
	for (i = 0; i < j->nchains; i++)
		call_queue(x, j, j->chains[i].v[0], NULL, 0);
}

/* A call did not succeed: stop the run or fail the request. */
static void call_failed(struct exec *x, struct job *j, const char *what,
			struct api_request *r)
{
	struct buf detail = BUF_INIT, msg = BUF_INIT;

	buf_addf(&detail, "%s:%s", what, api_result_name(r->result));
	if (r->result == API_AUTH) {
		exec_stop(x, EXEC_STOP_AUTH, "API refused the token");
		fail(x, j, detail.buf, "API refused the token");
	} else if (r->result == API_UNREACHABLE) {
		exec_stop(x, EXEC_STOP_UNREACHABLE, "API unreachable");
		buf_addf(&msg, "API unreachable: %s", r->error.buf);
		fail(x, j, detail.buf, msg.buf);
	} else {
		buf_addf(&msg, "%s failed: %s", what, r->error.len ?
			 r->error.buf : api_result_name(r->result));
		fail(x, j, detail.buf, msg.buf);
		warning("request '%s' failed: %s", j->q.request_id, j->fail);
	}
	buf_release(&detail);
	buf_release(&msg);
}

/* The job's read of a SIM, if it has one. */
static struct vdev *sim_verify(struct job *j, const char *iccid)
{
	size_t i;

	for (i = 0; i < j->nverify; i++)
		if (j->verify[i].kind == V_SIM &&
		    !strcmp(j->verify[i].target, iccid))
			return &j->verify[i];
	return NULL;
}

/*
 * Whether a finished call leaves its action to try again: clearing a name
 * with "" is undocumented, and where the API refuses it (400) the name is
 * set to a neutral one instead (plan_neutral_name); notes and groups are
 * still cleared by the same call.
 */
static int retry_with_neutral_name(struct exec *x, struct job *j,
				   struct action *a, struct api_request *r)
{
	struct buf name = BUF_INIT;

	if (a->fallback || strcmp(a->name, LEDGER_ACT_CLEAR_FIELDS) ||
	    r->result != API_CLIENT_ERROR || r->status != 400 ||
	    !strvec_contains(&x->cfg->clear_fields, "name"))
		return 0;
	a->fallback = 1;
	free(a->body);
	plan_neutral_name(a->target_id, &name);
	a->body = plan_fields_body(x->cfg, name.buf);
	buf_release(&name);
	call_queue(x, j, a, NULL, 1);
	return 1;
}

/*
 * A device function's answer: 404 (offline, or a function the device does
 * not expose: the API answers both alike) or 400 (not exposed) is
 * "unavailable"; a negative return value is the firmware refusing.
 */
static const char *function_outcome(const struct api_request *r)
{
	const cJSON *v;
	cJSON *json;
	int refused;

	/* A timeout (408, after the retries) may have run: not confirmed. */
	if (r->result == API_NOT_FOUND || r->status == 408 ||
	    (r->result == API_CLIENT_ERROR && r->status == 400))
		return "unavailable";
	if (r->result != API_OK)
		return "error";
	json = api_response_json((struct api_request *)r);
	v = cJSON_GetObjectItemCaseSensitive(json, "return_value");
	refused = !cJSON_IsNumber(v) || v->valuedouble < 0;
	cJSON_Delete(json);
	return refused ? "refused" : "ok";
}

static const char *action_outcome(const struct job *j, const struct action *a,
				  const struct api_request *r)
{
	if (!strcmp(a->name, LEDGER_ACT_CALL_FUNCTION)) {
		const char *o = function_outcome(r);

		return j->give_up && strcmp(o, "ok") && strcmp(o, "error") ?
			"residual" : o;
	}
	/* The device was just listed: a 404 is not "reset already". */
	if (!strcmp(a->name, LEDGER_ACT_RESET_CONFIG))
		return r->result != API_OK ? "error" :
			r->status == 202 ? "pending" : "ok";
	if (r->result == API_NOT_FOUND)
		return "already_absent";
	if (r->result == API_CLIENT_ERROR && r->status == 400 &&
	    !strcmp(a->name, LEDGER_ACT_CLEAR_FIELDS) && !a->fallback)
		return "refused";
	if (r->result != API_OK)
		return "error";
	if (a->fallback)
		return "neutral_name";
	/* "Release pending": only a read that shows it gone confirms it. */
	if (r->status == 202 && !strcmp(a->name, LEDGER_ACT_SIM_RELEASE))
		return "pending";
	return "ok";
}

/*
 * A device that did not run the function: the request fails and is
 * retried until its deadline (then the store is left residual).
 */
static void function_failed(struct exec *x, struct job *j,
			    const struct action *a, const char *outcome,
			    const struct api_request *r)
{
	const struct fleet_device *d = fleet_device(x->fleet, a->target_id);
	struct buf detail = BUF_INIT, msg = BUF_INIT;

	buf_addf(&detail, "%s:%s", a->name, outcome);
	if (!strcmp(outcome, "refused"))
		buf_addf(&msg, "device '%s' refused function '%s' (it "
			 "returned an error)", a->target_id,
			 x->cfg->device_function);
	else if (r->status == 408)
		buf_addf(&msg, "function '%s' of device '%s' timed out (HTTP "
			 "408): it may or may not have run",
			 x->cfg->device_function, a->target_id);
	else
		buf_addf(&msg, "device '%s' did not run function '%s': %s "
			 "(HTTP %ld)", a->target_id, x->cfg->device_function,
			 !d || d->online < 0 ? "it is offline or does not "
			 "expose it" : d->online ? "it is online: it does not "
			 "expose it" : "it is offline", r->status);
	buf_addf(&msg, "; retried until the deadline %s, then left residual",
		 j->deadline);
	fail(x, j, detail.buf, msg.buf);
	warning("request '%s' failed: %s", j->q.request_id, j->fail);
	buf_release(&detail);
	buf_release(&msg);
}

static void action_done(struct exec *x, struct job *j, struct action *a,
			struct api_request *r)
{
	const char *outcome = action_outcome(j, a, r);
	struct buf detail = BUF_INIT;
	struct vdev *sim;

	buf_addf(&detail, "%s:%s", a->name, outcome);
	pend_add(x, j, LEDGER_EV_RESULT, a->target_kind, a->target_id,
		 a->method, a->lpath, (int)r->status, r->response_sha256,
		 buf_detach(&detail, NULL));
	if (!strcmp(outcome, "refused") &&
	    retry_with_neutral_name(x, j, a, r))
		return;
	if (!strcmp(outcome, "error")) {
		call_failed(x, j, a->name, r);
		return;
	}
	if (!strcmp(outcome, "unavailable") || !strcmp(outcome, "refused")) {
		function_failed(x, j, a, outcome, r);
		return;
	}
	if (!strcmp(outcome, "residual"))
		warning("request '%s': left residual at the deadline %s: "
			"device '%s' did not run function '%s'",
			j->q.request_id, j->deadline, a->target_id,
			x->cfg->device_function);
	if (!strcmp(outcome, "pending") && (sim = sim_verify(j, a->target_id)))
		sim->confirm = 1;
	if (j->fail || x->stop)
		return;
	if (a->chain < 0) {
		if (!--j->cust_left)
			job_verify(x, j);
	} else {
		struct chain *c = &j->chains[a->chain];

		if (++c->next < c->n)
			call_queue(x, j, c->v[c->next], NULL, 1);
		else if (!--j->chains_left)
			job_customers(x, j);
	}
}

/* 1 when the device's owner (as read) is the job's subject. */
static int owned_by_subject(const struct job *j, const char *owner)
{
	char *o;
	int same;

	if (!owner || !*owner)
		return 0;
	if (j->customer)
		return !strcmp(owner, j->customer);
	if (!j->email)
		return 0;
	o = email_normalize(owner);
	same = !strcmp(o, j->email);
	free(o);
	return same;
}

/* 1 when field is absent, null, "" (or the neutral name), or []. */
static int field_clear(const cJSON *dev, const char *field,
		       const char *neutral)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(dev, field);

	if (!v || cJSON_IsNull(v))
		return 1;
	if (cJSON_IsString(v))
		return !*v->valuestring ||
		       (neutral && !strcmp(v->valuestring, neutral));
	return cJSON_IsArray(v) && !cJSON_GetArraySize(v);
}

/*
 * What a read of the device says: the subject does not own it, and when
 * this attempt cleared its fields and nobody owns it, they are clear.
 * Returns "ok", or the verdict with the reason in why.
 */
static const char *judge_device(struct exec *x, struct job *j,
				const struct vdev *vd, const cJSON *dev,
				struct buf *why)
{
	const char *owner = json_get_str(dev, "owner");
	struct buf neutral = BUF_INIT;
	size_t i;
	int bad = 0;

	if (owned_by_subject(j, owner)) {
		buf_addf(why, "device '%s' is still owned by the subject",
			 vd->target);
		return "mismatch";
	}
	if (!vd->check_fields || (owner && *owner))
		return "ok";
	plan_neutral_name(vd->target, &neutral);
	for (i = 0; !bad && i < x->cfg->clear_fields.n; i++) {
		const char *f = x->cfg->clear_fields.v[i];

		if (!field_clear(dev, f, strcmp(f, "name") ? NULL :
				 neutral.buf)) {
			buf_addf(why, "device '%s' still has a %s", vd->target,
				 f);
			bad = 1;
		}
	}
	buf_release(&neutral);
	return bad ? "mismatch" : "ok";
}

/* What a read of the SIM (absent: found is 0) says. */
static const char *judge_sim(const struct vdev *vd, const cJSON *body,
			     int found, struct buf *why)
{
	const cJSON *sim = cJSON_GetObjectItemCaseSensitive(body, "sim");
	const char *status = json_get_str(sim ? sim : body, "status");

	if (!found)
		return "ok";
	if (vd->release) {
		if (status && strstr(status, "pending")) {
			buf_addf(why, "the release of SIM '%s' is still "
				 "pending", vd->target);
			return "pending";
		}
		buf_addf(why, "SIM '%s' is still in the product", vd->target);
		return "mismatch";
	}
	if (status && !strcmp(status, "active")) {
		buf_addf(why, "SIM '%s' is still active", vd->target);
		return "mismatch";
	}
	return "ok";
}

/* 1 for NULL, null, or an object or array without members. */
static int empty_json(const cJSON *v)
{
	return !v || cJSON_IsNull(v) ||
	       ((cJSON_IsObject(v) || cJSON_IsArray(v)) && !v->child);
}

/*
 * What a read of the device's configuration says: nothing pending, and
 * the current configuration is the product's (as the preflight read it;
 * none: the device has none of its own either).
 */
static const char *judge_config(struct exec *x, const struct vdev *vd,
				const cJSON *body, struct buf *why)
{
	const cJSON *conf = cJSON_GetObjectItemCaseSensitive(body,
							     "configuration");
	const cJSON *cur = cJSON_GetObjectItemCaseSensitive(conf, "current");
	const cJSON *pend = cJSON_GetObjectItemCaseSensitive(conf, "pending");
	const cJSON *product = x->fleet->pconfig[vd->product];

	if (!cJSON_IsObject(conf)) {
		buf_addf(why, "the configuration of device '%s' cannot be "
			 "read (no 'configuration' object)", vd->target);
		return "mismatch";
	}
	if (!empty_json(pend)) {
		buf_addf(why, "the configuration reset of device '%s' is "
			 "still pending (the device is offline)", vd->target);
		return "pending";
	}
	if (product ? !cJSON_Compare(cur, product, 1) : !empty_json(cur)) {
		buf_addf(why, "device '%s' still has its own configuration",
			 vd->target);
		return "mismatch";
	}
	return "ok";
}

static void verify_done(struct exec *x, struct job *j, struct vdev *vd,
			struct api_request *r)
{
	const char *verdict = "ok";
	struct buf why = BUF_INIT, detail = BUF_INIT, msg = BUF_INIT;
	cJSON *json = NULL;

	if (r->result == API_OK) {
		json = api_response_json(r);
		if (!json) {
			call_failed(x, j, "verify", r);
			return;
		}
		if (vd->kind == V_DEVICE)
			verdict = judge_device(x, j, vd, json, &why);
		else if (vd->kind == V_SIM)
			verdict = judge_sim(vd, json, 1, &why);
		else if (vd->kind == V_CONFIG)
			verdict = judge_config(x, vd, json, &why);
		else
			verdict = "mismatch";
		if (vd->kind == V_INSTANCE)
			buf_addf(&why, "ledger '%s' still has an instance of "
				 "the device", vd->target);
		cJSON_Delete(json);
	} else if (r->result != API_NOT_FOUND) {
		call_failed(x, j, "verify", r);
		return;
	}
	/* On the deadline a change the device has not taken is left. */
	if (!strcmp(verdict, "pending") && j->give_up) {
		verdict = "residual";
		warning("request '%s': left residual at the deadline %s: %s",
			j->q.request_id, j->deadline, why.buf);
	}
	pend_add(x, j, LEDGER_EV_VERIFY, plan_vdev_kind(vd->kind), vd->target,
		 "GET", vd->path, (int)r->status, r->response_sha256,
		 xstrdup(verdict));
	/* The read that shows a pending release done confirms it. */
	if (vd->confirm && !strcmp(verdict, "ok"))
		pend_add(x, j, LEDGER_EV_RESULT, "sim", vd->target, "GET",
			 vd->path, (int)r->status, r->response_sha256,
			 xstrdup(LEDGER_ACT_SIM_RELEASE ":ok"));
	if (strcmp(verdict, "ok") && strcmp(verdict, "residual")) {
		buf_addf(&detail, "verify:%s", verdict);
		buf_addf(&msg, "verification failed: %s", why.buf);
		if (!strcmp(verdict, "pending"))
			buf_addf(&msg, "; the next run reads it again, until "
				 "the deadline %s", j->deadline);
		fail(x, j, detail.buf, msg.buf);
		warning("request '%s' failed: %s", j->q.request_id, j->fail);
	}
	buf_release(&why);
	buf_release(&detail);
	buf_release(&msg);
	if (j->fail || x->stop)
		return;
	if (!--j->verify_left)
		job_ready(x, j);
}

static void on_call_done(struct api_request *req, void *ctx)
{
	struct call *c = ctx;
	struct exec *x = c->x;
	struct job *j = c->job;

	x->in_flight--;
	j->calls += req->attempts;
	if (c->act)
		action_done(x, j, c->act, req);
	else
		verify_done(x, j, c->vd, req);
	call_free(c);
	if (x->npend >= FLUSH_ENTRIES || now_ms() - x->last_flush >= FLUSH_MS)
		pend_flush(x);
	exec_progress(x, 0);
	pump(x);
}

/*
 * The fresh customers walk that verifies the window. It runs once per
 * window, so for runs larger than one window the customers list calls
 * grow with the number of windows (requests / window size), still not
 * with subjects x fleet.
 */
static void final_sweep(struct exec *x)
{
	const struct config *cfg = x->cfg;
	enum api_result res;
	size_t i, k;
	int any = 0;

	for (i = 0; i < x->njobs; i++)
		if (x->jobs[i].state == J_SWEEP &&
		    (x->jobs[i].email || x->jobs[i].customer))
			any = 1;
	if (!any || x->stop)
		return;
	if (fleet_walk_customers(x->fleet, &res)) {
		if (res == API_AUTH)
			exec_stop(x, EXEC_STOP_AUTH, "API refused the token");
		else if (res == API_UNREACHABLE)
			exec_stop(x, EXEC_STOP_UNREACHABLE, "API unreachable");
		for (i = 0; i < x->njobs; i++)
			if (x->jobs[i].state == J_SWEEP &&
			    (x->jobs[i].email || x->jobs[i].customer))
				job_fail(&x->jobs[i], "verify:error",
					 "%s", "verification sweep of the "
					 "customer lists failed");
		return;
	}
	for (i = 0; i < x->njobs; i++) {
		struct job *j = &x->jobs[i];

		if (j->state != J_SWEEP || (!j->email && !j->customer))
			continue;
		for (k = 0; k < j->nscope; k++) {
			size_t p = j->scope[k];
			int found = fleet_customer_listed(x->fleet, p, j->email,
							  j->customer);

			pend_add(x, j, LEDGER_EV_VERIFY, "customer",
				 cfg->products.v[p], "GET", x->fleet->cpath[p],
				 200, NULL, xstrdup(found ? "mismatch" : "ok"));
			if (found)
				job_fail(j, "verify:mismatch", "verification "
					 "failed: the customer is still listed "
					 "in product '%s'", cfg->products.v[p]);
		}
	}
	x->swept = 1;
}

void exec_window(struct exec *x, struct job *jobs, size_t n)
{
	size_t i;

	x->jobs = jobs;
	x->njobs = n;
	x->swept = 0;
	for (i = 0; i < n; i++)
		if (!jobs[i].fail && jobs[i].state != J_HELD)
			job_start(x, &jobs[i]);
	while (x->qhead && !x->stop) {
		pump(x);
		if (api_run(x->api)) {
			exec_stop(x, EXEC_STOP_UNREACHABLE,
				  "the API client failed");
			break;
		}
	}
	while (x->qhead) {
		struct call *c = x->qhead;

		x->qhead = c->next;
		call_free(c);
	}
	x->qtail = NULL;
	if (pend_flush(x))
		return;
	final_sweep(x);
}

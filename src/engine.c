#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "digest.h"
#include "ledger.h"
#include "log.h"
#include "banned.h"

#define PER_PAGE 100
#define FLUSH_ENTRIES 50
#define FLUSH_MS 100
#define PROGRESS_MS 250
/*
 * Requests held in memory at a time (about 1 KB each with their plans):
 * a run claims every request up front but plans, acts on and finishes them
 * a window at a time. ERASECTL_WINDOW overrides it (tests).
 */
#define ENGINE_WINDOW 2000

#define ALLOC_GROW(x, nr, alloc) \
	do { \
		if ((nr) >= (alloc)) { \
			(alloc) = (alloc) ? 2 * (alloc) : 8; \
			(x) = xrealloc((x), (alloc) * sizeof(*(x))); \
		} \
	} while (0)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- string-keyed hash map (open addressing); values never NULL ---- */

struct smap_ent {
	char *key;
	void *val;
};

struct smap {
	struct smap_ent *v;
	size_t n, cap;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static struct smap_ent *smap_slot(const struct smap *m, const char *key)
{
	size_t i = (size_t)str_hash(key) & (m->cap - 1);

	while (m->v[i].key && strcmp(m->v[i].key, key))
		i = (i + 1) & (m->cap - 1);
	return &m->v[i];
}

static void *smap_get(const struct smap *m, const char *key)
{
	struct smap_ent *e;

	if (!m->cap)
		return NULL;
	e = smap_slot(m, key);
	return e->key ? e->val : NULL;
}

static void smap_put(struct smap *m, const char *key, void *val)
{
	struct smap_ent *e;

	if ((m->n + 1) * 10 > m->cap * 7) {
		struct smap old = *m;
		size_t i;

		m->cap = old.cap ? old.cap * 2 : 64;
		m->v = xcalloc(m->cap, sizeof(*m->v));
		for (i = 0; i < old.cap; i++)
			if (old.v[i].key)
				*smap_slot(m, old.v[i].key) = old.v[i];
		free(old.v);
	}
	e = smap_slot(m, key);
	if (!e->key) {
		e->key = xstrdup(key);
		m->n++;
	}
	e->val = val;
}

/* Frees the keys; free_val (may be NULL) frees each value. */
static void smap_release(struct smap *m, void (*free_val)(void *))
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (!m->v[i].key)
			continue;
		if (free_val)
			free_val(m->v[i].val);
		free(m->v[i].key);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* ---- the fleet index: built once per run, in memory only ---- */

struct idx_dev {
	char *id;		/* lower-case */
	size_t product;		/* index into cfg->products */
	char *owner;		/* normalized email, or NULL */
	char *iccid;
	int listed;		/* seen in the product's device list */
	struct idx_dev *next;	/* every device, for linking and freeing */
};

struct idx_subj {
	size_t *cust;		/* products in which the customer exists */
	size_t ncust, acust;
	struct idx_dev **devs;
	size_t ndevs, adevs;
};

struct index {
	struct smap subjects;	/* normalized email -> idx_subj */
	struct smap devices;	/* device id -> idx_dev */
	struct smap sims;	/* iccid -> idx_dev */
	struct smap sweep;	/* "<product index> <email>" after the run */
	struct idx_dev *all;
	size_t product;		/* the product being paged */
	int sweeping;
};

static void idx_subj_free(void *p)
{
	struct idx_subj *s = p;

	free(s->cust);
	free(s->devs);
	free(s);
}

static void index_release(struct index *ix)
{
	struct idx_dev *d, *next;

	smap_release(&ix->subjects, idx_subj_free);
	smap_release(&ix->devices, NULL);
	smap_release(&ix->sims, NULL);
	smap_release(&ix->sweep, NULL);
	for (d = ix->all; d; d = next) {
		next = d->next;
		free(d->id);
		free(d->owner);
		free(d->iccid);
		free(d);
	}
	ix->all = NULL;
}

static struct idx_subj *subject_get(struct index *ix, const char *email)
{
	struct idx_subj *s = smap_get(&ix->subjects, email);

	if (!s) {
		s = xcalloc(1, sizeof(*s));
		smap_put(&ix->subjects, email, s);
	}
	return s;
}

static char *lower_dup(const char *s)
{
	char *r = xstrdup(s), *p;

	for (p = r; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return r;
}

static struct idx_dev *device_get(struct index *ix, const char *id,
				  size_t product)
{
	char *key = lower_dup(id);
	struct idx_dev *d = smap_get(&ix->devices, key);

	if (!d) {
		d = xcalloc(1, sizeof(*d));
		d->id = key;
		d->product = product;
		d->next = ix->all;
		ix->all = d;
		smap_put(&ix->devices, key, d);
	} else {
		free(key);
	}
	return d;
}

static const char *json_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

static int index_customers_page(cJSON *page, void *ctx)
{
	struct index *ix = ctx;
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(page, "customers");
	const cJSON *c, *id;

	if (!cJSON_IsArray(arr))
		return error("customers list page has no 'customers' array");
	cJSON_ArrayForEach(c, arr) {
		const char *u = json_str(c, "username");
		char *email;

		if (!u)
			continue;
		email = email_normalize(u);
		if (ix->sweeping) {
			struct buf key = BUF_INIT;

			buf_addf(&key, "%zu %s", ix->product, email);
			smap_put(&ix->sweep, key.buf, ix);
			buf_release(&key);
		} else {
			struct idx_subj *s = subject_get(ix, email);
			size_t i;

			for (i = 0; i < s->ncust; i++)
				if (s->cust[i] == ix->product)
					break;
			if (i == s->ncust) {
				ALLOC_GROW(s->cust, s->ncust, s->acust);
				s->cust[s->ncust++] = ix->product;
			}
			/*
			 * The device list's owner field is authoritative; a
			 * device only the customer record names is taken as
			 * the customer's.
			 */
			cJSON_ArrayForEach(id, cJSON_GetObjectItemCaseSensitive(
						       c, "devices")) {
				struct idx_dev *d;

				if (!cJSON_IsString(id) || !id->valuestring[0])
					continue;
				d = device_get(ix, id->valuestring, ix->product);
				if (!d->listed && !d->owner)
					d->owner = xstrdup(email);
			}
		}
		free(email);
	}
	return 0;
}

static int index_devices_page(cJSON *page, void *ctx)
{
	struct index *ix = ctx;
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(page, "devices");
	const cJSON *o;

	if (!cJSON_IsArray(arr))
		return error("devices list page has no 'devices' array");
	cJSON_ArrayForEach(o, arr) {
		const char *id = json_str(o, "id"), *owner = json_str(o, "owner");
		const char *iccid = json_str(o, "iccid");
		struct idx_dev *d;

		if (!id)
			continue;
		d = device_get(ix, id, ix->product);
		d->listed = 1;
		free(d->owner);
		d->owner = owner ? email_normalize(owner) : NULL;
		free(d->iccid);
		d->iccid = iccid ? xstrdup(iccid) : NULL;
		if (iccid)
			smap_put(&ix->sims, iccid, d);
	}
	return 0;
}

/* ---- plans, jobs and calls ---- */

struct action {
	char *name;		/* LEDGER_ACT_* */
	char *method;
	char *target_kind;
	char *target_id;
	char *path;		/* as sent, segments escaped */
	char *lpath;		/* as the ledger shows it: {subject} */
	char *body;		/* JSON, or NULL */
	long chain;		/* index into job->chains; -1: customer */
};

struct chain {
	struct action **v;
	size_t n, alloc, next;
};

struct vdev {
	size_t product;
	char *device;
	char *path;
};

enum job_state {
	J_PLANNED,
	J_ACTING,
	J_SWEEP,		/* all calls done, waiting for the final sweep */
	J_DONE,
	J_FAILED,
};

struct job {
	struct queue_request q;
	char *email;		/* normalized; NULL when not known */
	char ref[SHA256_HEX_LEN + 1];
	int resolved;		/* email resolved from the device's owner */
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
	size_t customers, devices;
	int found_before;	/* the ledger has plans of an earlier attempt */
	enum job_state state;
	const char *outcome;
	char *fail;		/* reason for the queue row */
	char *fail_detail;	/* short reason for the ledger */
	long calls;
	uint64_t start_ms, end_ms;
};

/* A ledger entry waiting for the next group commit (strings borrowed). */
struct pentry {
	struct job *job;
	const char *event, *target_kind, *target_id, *method, *path;
	int status;
	char sha[SHA256_HEX_LEN + 1];
	char *detail;
};

struct call;

struct engine {
	const struct engine_opts *opts;
	struct config *cfg;
	sqlite3 *db;
	struct api *api;
	struct hmac_key key;
	struct index ix;
	char **pbase;		/* "/v1/products/<p>" per product */
	char **cpath;		/* "/v1/products/<p>/customers" */
	struct job *jobs;	/* the current window */
	size_t njobs, ajobs;
	long window;		/* window size */
	long total;		/* requests of the run (claimed; dry run: seen) */
	char *after_at, *after_id;	/* key of the last row loaded */
	int indexed;		/* the discovery sweep succeeded */
	int loaded_single;
	size_t erased, notfound, failed, nacts;	/* over all windows */
	struct call *qhead, *qtail;
	long in_flight, conc;
	int stop;		/* 0 or the exit code that stopped the run */
	const char *stop_reason;
	struct pentry *pend;
	size_t npend, apend;
	uint64_t last_flush, t0, last_progress;
	int progress;
	int swept;		/* the window's customers sweep ran */
	size_t settled;
};

struct call {
	struct api_request req;
	struct engine *e;
	struct job *job;
	struct action *act;	/* NULL for a verification GET */
	struct vdev *vd;
	struct call *next;
};

static void action_free(struct action *a)
{
	free(a->name);
	free(a->method);
	free(a->target_kind);
	free(a->target_id);
	free(a->path);
	free(a->lpath);
	free(a->body);
	free(a);
}

static void job_release(struct job *j)
{
	size_t i;

	queue_request_release(&j->q);
	free(j->email);
	free(j->scope);
	for (i = 0; i < j->nacts; i++)
		action_free(j->acts[i]);
	free(j->acts);
	for (i = 0; i < j->nchains; i++)
		free(j->chains[i].v);
	free(j->chains);
	free(j->cust);
	for (i = 0; i < j->nverify; i++) {
		free(j->verify[i].device);
		free(j->verify[i].path);
	}
	free(j->verify);
	free(j->fail);
	free(j->fail_detail);
}

static struct action *job_add_action(struct job *j, long *chain,
				     const char *name, const char *method,
				     const char *tkind, const char *tid,
				     const char *path, const char *lpath,
				     const char *body)
{
	struct action *a = xcalloc(1, sizeof(*a));

	a->name = xstrdup(name);
	a->method = xstrdup(method);
	a->target_kind = xstrdup(tkind);
	a->target_id = xstrdup(tid ? tid : "");
	a->path = xstrdup(path);
	a->lpath = xstrdup(lpath);
	a->body = body ? xstrdup(body) : NULL;
	ALLOC_GROW(j->acts, j->nacts, j->aacts);
	j->acts[j->nacts++] = a;
	if (!chain) {
		a->chain = -1;
		ALLOC_GROW(j->cust, j->ncust, j->acust);
		j->cust[j->ncust++] = a;
	} else {
		struct chain *c;

		if (*chain < 0) {
			ALLOC_GROW(j->chains, j->nchains, j->achains);
			memset(&j->chains[j->nchains], 0, sizeof(*j->chains));
			*chain = (long)j->nchains++;
		}
		a->chain = *chain;
		c = &j->chains[*chain];
		ALLOC_GROW(c->v, c->n, c->alloc);
		c->v[c->n++] = a;
	}
	return a;
}

static void job_add_verify(struct engine *e, struct job *j, size_t product,
			   const char *device)
{
	struct buf p = BUF_INIT;
	size_t i;

	for (i = 0; i < j->nverify; i++)
		if (!strcmp(j->verify[i].device, device))
			return;
	buf_addf(&p, "%s/devices", e->pbase[product]);
	api_path_segment(&p, device);
	ALLOC_GROW(j->verify, j->nverify, j->averify);
	j->verify[j->nverify].product = product;
	j->verify[j->nverify].device = xstrdup(device);
	j->verify[j->nverify].path = buf_detach(&p, NULL);
	j->nverify++;
}

static int job_in_scope(const struct job *j, size_t product)
{
	size_t i;

	for (i = 0; i < j->nscope; i++)
		if (j->scope[i] == product)
			return 1;
	return 0;
}

/* Sets the job's failure (the first one wins). */
static void job_fail(struct engine *e, struct job *j, const char *detail,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void job_fail(struct engine *e, struct job *j, const char *detail,
		     const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	if (j->fail)
		return;
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	j->fail = buf_detach(&msg, NULL);
	j->fail_detail = xstrdup(detail);
	if (j->state == J_ACTING || j->state == J_PLANNED)
		e->settled++;
	j->state = J_FAILED;
	j->end_ms = now_ms();
}

static void engine_stop(struct engine *e, int code, const char *reason)
{
	if (e->stop)
		return;
	e->stop = code;
	e->stop_reason = reason;
	error("%s: run stopped", reason);
}

/* ---- the ledger: plans and group-committed results ---- */

static int append_entry(struct engine *e, struct job *j, const char *event,
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
	return ledger_append(e->db, &le);
}

static void pend_add(struct engine *e, struct job *j, const char *event,
		     const char *tkind, const char *tid, const char *method,
		     const char *path, int status, const char *sha,
		     char *detail)
{
	struct pentry *p;

	ALLOC_GROW(e->pend, e->npend, e->apend);
	p = &e->pend[e->npend++];
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

/* Writes the pending entries inside the caller's transaction. */
static int pend_write(struct engine *e)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < e->npend; i++) {
		struct pentry *p = &e->pend[i];

		if (!ret && append_entry(e, p->job, p->event, p->target_kind,
					 p->target_id, p->method, p->path,
					 p->status, p->sha, p->detail))
			ret = -1;
		free(p->detail);
	}
	e->npend = 0;
	return ret;
}

static int pend_flush(struct engine *e)
{
	e->last_flush = now_ms();
	if (!e->npend)
		return 0;
	if (db_begin(e->db))
		goto fail;
	if (pend_write(e) || db_commit(e->db)) {
		db_rollback(e->db);
		goto fail;
	}
	return 0;
fail:
	pend_write(e);	/* frees what is left */
	engine_stop(e, EXIT_INTEGRITY, "cannot write the ledger");
	return -1;
}

/* ---- progress ---- */

static void progress_show(struct engine *e, int force)
{
	uint64_t t = now_ms();
	struct api_stats st;
	double secs, rate;
	long eta;

	if (!e->progress || (!force && t - e->last_progress < PROGRESS_MS))
		return;
	e->last_progress = t;
	api_get_stats(e->api, &st);
	secs = (double)(t - e->t0) / 1000.0;
	rate = secs > 0 ? (double)st.requests / secs : 0;
	eta = e->settled && (long)e->settled < e->total ?
		(long)(secs * (double)(e->total - (long)e->settled) /
		       (double)e->settled) : 0;
	fprintf(stderr, "\r%zu/%ld requests, %.0f calls/s, ETA %lds\033[K",
		e->settled, e->total, rate, eta);
	fflush(stderr);
}

/* ---- acting ---- */

static void on_call_done(struct api_request *req, void *ctx);

static void call_queue(struct engine *e, struct job *j, struct action *a,
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
	c->e = e;
	c->job = j;
	c->act = a;
	c->vd = vd;
	if (front) {
		c->next = e->qhead;
		e->qhead = c;
		if (!e->qtail)
			e->qtail = c;
	} else {
		if (e->qtail)
			e->qtail->next = c;
		else
			e->qhead = c;
		e->qtail = c;
	}
}

static void call_free(struct call *c)
{
	api_request_release(&c->req);
	free(c);
}

/* Hands queued calls to the API client, at most `conc` in flight. */
static void pump(struct engine *e)
{
	while (!e->stop && e->in_flight < e->conc && e->qhead) {
		struct call *c = e->qhead;

		e->qhead = c->next;
		if (!e->qhead)
			e->qtail = NULL;
		c->next = NULL;
		e->in_flight++;
		api_submit(e->api, &c->req);
	}
}

static void job_ready(struct engine *e, struct job *j)
{
	j->state = J_SWEEP;
	j->end_ms = now_ms();
	e->settled++;
}

static void job_verify(struct engine *e, struct job *j)
{
	size_t i;

	if (!j->nverify) {
		job_ready(e, j);
		return;
	}
	j->verify_left = j->nverify;
	for (i = 0; i < j->nverify; i++)
		call_queue(e, j, NULL, &j->verify[i], 1);
}

static void job_customers(struct engine *e, struct job *j)
{
	size_t i;

	if (!j->ncust) {
		job_verify(e, j);
		return;
	}
	j->cust_left = j->ncust;
	for (i = 0; i < j->ncust; i++)
		call_queue(e, j, j->cust[i], NULL, 1);
}

static void job_start(struct engine *e, struct job *j)
{
	size_t i;

	j->state = J_ACTING;
	j->start_ms = now_ms();
	if (!j->nchains) {
		job_customers(e, j);
		return;
	}
	j->chains_left = j->nchains;
	for (i = 0; i < j->nchains; i++)
		call_queue(e, j, j->chains[i].v[0], NULL, 0);
}

/* A call did not succeed: stop the run or fail the request. */
static void call_failed(struct engine *e, struct job *j, const char *what,
			struct api_request *r)
{
	struct buf detail = BUF_INIT;

	buf_addf(&detail, "%s:%s", what, api_result_name(r->result));
	if (r->result == API_AUTH) {
		engine_stop(e, EXIT_AUTH, "API refused the token");
		job_fail(e, j, detail.buf, "API refused the token");
	} else if (r->result == API_UNREACHABLE) {
		engine_stop(e, EXIT_UNREACHABLE, "API unreachable");
		job_fail(e, j, detail.buf, "API unreachable: %s", r->error.buf);
	} else {
		job_fail(e, j, detail.buf, "%s failed: %s", what,
			 r->error.len ? r->error.buf :
					api_result_name(r->result));
		warning("request '%s' failed: %s", j->q.request_id, j->fail);
	}
	buf_release(&detail);
}

static void action_done(struct engine *e, struct job *j, struct action *a,
			struct api_request *r)
{
	const char *outcome = r->result == API_OK ? "ok" :
		r->result == API_NOT_FOUND ? "already_absent" : "error";
	struct buf detail = BUF_INIT;

	buf_addf(&detail, "%s:%s", a->name, outcome);
	pend_add(e, j, LEDGER_EV_RESULT, a->target_kind, a->target_id,
		 a->method, a->lpath, (int)r->status, r->response_sha256,
		 buf_detach(&detail, NULL));
	if (r->result != API_OK && r->result != API_NOT_FOUND) {
		call_failed(e, j, a->name, r);
		return;
	}
	if (j->fail || e->stop)
		return;
	if (a->chain < 0) {
		if (!--j->cust_left)
			job_verify(e, j);
	} else {
		struct chain *c = &j->chains[a->chain];

		if (++c->next < c->n)
			call_queue(e, j, c->v[c->next], NULL, 1);
		else if (!--j->chains_left)
			job_customers(e, j);
	}
}

static void verify_done(struct engine *e, struct job *j, struct vdev *vd,
			struct api_request *r)
{
	const char *verdict = "ok";
	cJSON *json = NULL;

	if (r->result == API_OK && (json = api_response_json(r))) {
		const char *owner = json_str(json, "owner");
		char *o = owner ? email_normalize(owner) : NULL;

		if (o && j->email && !strcmp(o, j->email))
			verdict = "mismatch";
		free(o);
		cJSON_Delete(json);
	} else if (r->result != API_NOT_FOUND) {
		call_failed(e, j, "verify", r);
		return;
	}
	pend_add(e, j, LEDGER_EV_VERIFY, "device", vd->device, "GET",
		 vd->path, (int)r->status, r->response_sha256,
		 xstrdup(verdict));
	if (strcmp(verdict, "ok"))
		job_fail(e, j, "verify:mismatch", "verification failed: device "
			 "'%s' is still owned by the subject", vd->device);
	if (j->fail || e->stop)
		return;
	if (!--j->verify_left)
		job_ready(e, j);
}

static void on_call_done(struct api_request *req, void *ctx)
{
	struct call *c = ctx;
	struct engine *e = c->e;
	struct job *j = c->job;

	e->in_flight--;
	j->calls += req->attempts;
	if (c->act)
		action_done(e, j, c->act, req);
	else
		verify_done(e, j, c->vd, req);
	call_free(c);
	if (e->npend >= FLUSH_ENTRIES || now_ms() - e->last_flush >= FLUSH_MS)
		pend_flush(e);
	progress_show(e, 0);
	pump(e);
}

/* ---- planning ---- */

struct prior {
	char *name, *method, *tkind, *tid, *lpath;
};

static void prior_free(struct prior *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].method);
		free(p[i].tkind);
		free(p[i].tid);
		free(p[i].lpath);
	}
	free(p);
}

static void action_key(struct buf *key, const char *name, const char *lpath)
{
	buf_reset(key);
	buf_addf(key, "%s %s", name, lpath);
}

/*
 * Reads the request's earlier plans and results: done gets the key of every
 * action a result says finished (ok, already_absent, skipped_done); prior
 * gets every planned action, oldest first.
 */
static int load_history(struct engine *e, struct job *j, struct smap *done,
			struct prior **prior, size_t *nprior)
{
	static const char sql[] =
		"SELECT event, target_kind, target_id, method, path, detail "
		"FROM ledger WHERE request_id = ?1 AND event IN ('plan', "
		"'result') ORDER BY seq";
	sqlite3_stmt *st;
	struct buf key = BUF_INIT;
	size_t alloc = 0;
	int rc;

	if (db_prepare(e->db, &st, sql))
		return -1;
	sqlite3_bind_text(st, 1, j->q.request_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *ev = (const char *)sqlite3_column_text(st, 0);
		const char *path = (const char *)sqlite3_column_text(st, 4);
		const char *detail = (const char *)sqlite3_column_text(st, 5);
		const char *colon;

		if (!ev || !path || !detail)
			continue;
		if (!strcmp(ev, LEDGER_EV_RESULT)) {
			colon = strrchr(detail, ':');
			if (!colon || (strcmp(colon + 1, "ok") &&
				       strcmp(colon + 1, "already_absent") &&
				       strcmp(colon + 1, "skipped_done")))
				continue;
			buf_reset(&key);
			buf_add(&key, detail, (size_t)(colon - detail));
			buf_addf(&key, " %s", path);
			smap_put(done, key.buf, e);
		} else {
			struct prior *p;

			ALLOC_GROW(*prior, *nprior, alloc);
			p = &(*prior)[(*nprior)++];
			p->tkind = db_column_strdup(st, 1);
			p->tid = db_column_strdup(st, 2);
			p->method = db_column_strdup(st, 3);
			p->lpath = xstrdup(path);
			p->name = xstrdup(detail);
		}
	}
	buf_release(&key);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return error("cannot read the ledger: %s",
			     sqlite3_errmsg(e->db));
	return 0;
}

/*
 * The PUT body that empties the configured fields. config.c admits only
 * name, notes and groups, so the keys need no JSON escaping.
 */
static char *clear_fields_body(const struct config *cfg)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_addch(&b, '{');
	for (i = 0; i < cfg->clear_fields.n; i++) {
		const char *f = cfg->clear_fields.v[i];

		buf_addf(&b, "%s\"%s\":%s", i ? "," : "", f,
			 strcmp(f, "groups") ? "\"\"" : "[]");
	}
	buf_addch(&b, '}');
	return buf_detach(&b, NULL);
}

static const char *body_for(const struct config *cfg, const char *name,
			    char **owned)
{
	*owned = NULL;
	if (!strcmp(name, LEDGER_ACT_CLEAR_FIELDS))
		return *owned = clear_fields_body(cfg);
	if (!strcmp(name, LEDGER_ACT_SIM_DEACTIVATE))
		return "{\"action\":\"deactivate\"}";
	return NULL;
}

/* Adds the action unless an earlier attempt finished it. */
static void plan_add(struct engine *e, struct job *j, long *chain,
		     struct smap *done, struct smap *fresh, const char *name,
		     const char *method, const char *tkind, const char *tid,
		     const char *path, const char *lpath)
{
	struct buf key = BUF_INIT;
	char *body;

	if (!lpath)
		lpath = path;
	action_key(&key, name, lpath);
	smap_put(fresh, key.buf, e);
	if (!smap_get(done, key.buf)) {
		const char *b = body_for(e->cfg, name, &body);

		job_add_action(j, chain, name, method, tkind, tid, path,
			       lpath, b);
		free(body);
	}
	buf_release(&key);
}

static void plan_device(struct engine *e, struct job *j,
			const struct idx_dev *d, struct smap *done,
			struct smap *fresh)
{
	const struct config *cfg = e->cfg;
	struct buf base = BUF_INIT, p = BUF_INIT;
	long chain = -1;
	size_t i;

	buf_addf(&base, "%s/devices", e->pbase[d->product]);
	api_path_segment(&base, d->id);
	if (cfg->clear_fields.n)
		plan_add(e, j, &chain, done, fresh, LEDGER_ACT_CLEAR_FIELDS,
			 "PUT", "device", d->id, base.buf, NULL);
	for (i = 0; i < cfg->device_ledgers.n; i++) {
		buf_reset(&p);
		buf_addf(&p, "%s/ledgers", e->pbase[d->product]);
		api_path_segment(&p, cfg->device_ledgers.v[i]);
		api_path_literal(&p, "/instances");
		api_path_segment(&p, d->id);
		plan_add(e, j, &chain, done, fresh, LEDGER_ACT_DELETE_LEDGER,
			 "DELETE", "ledger_instance", cfg->device_ledgers.v[i],
			 p.buf, NULL);
	}
	buf_reset(&p);
	buf_addf(&p, "%s%s", base.buf,
		 cfg->device_action == DEVICE_UNCLAIM ? "/owner" : "");
	plan_add(e, j, &chain, done, fresh,
		 cfg->device_action == DEVICE_UNCLAIM ? LEDGER_ACT_UNCLAIM :
							LEDGER_ACT_REMOVE,
		 "DELETE", "device", d->id, p.buf, NULL);
	if (d->iccid && cfg->sim_action != SIM_NONE) {
		int deact = cfg->sim_action == SIM_DEACTIVATE;

		buf_reset(&p);
		buf_addf(&p, "%s/sims", e->pbase[d->product]);
		api_path_segment(&p, d->iccid);
		plan_add(e, j, &chain, done, fresh,
			 deact ? LEDGER_ACT_SIM_DEACTIVATE :
				 LEDGER_ACT_SIM_RELEASE,
			 deact ? "PUT" : "DELETE", "sim", d->iccid, p.buf,
			 NULL);
	}
	buf_release(&base);
	buf_release(&p);
}

/*
 * The product index and device id named by a path the engine wrote
 * (".../products/P/devices/D..." or ".../ledgers/N/instances/D"). Returns
 * 0 when both were found.
 */
static int path_device(const struct engine *e, const char *lpath,
		       size_t *product, struct buf *device)
{
	const char *dev = NULL, *end;
	size_t i;

	for (i = 0; i < e->cfg->products.n; i++) {
		size_t n = strlen(e->pbase[i]);

		if (!strncmp(lpath, e->pbase[i], n) && lpath[n] == '/')
			break;
	}
	if (i == e->cfg->products.n)
		return -1;
	*product = i;
	lpath += strlen(e->pbase[i]);
	if (!strncmp(lpath, "/devices/", 9))
		dev = lpath + 9;
	else if (!strncmp(lpath, "/ledgers/", 9) &&
		 (dev = strstr(lpath, "/instances/")))
		dev += 11;
	if (!dev || !*dev)
		return -1;
	end = strchr(dev, '/');
	buf_reset(device);
	buf_add(device, dev, end ? (size_t)(end - dev) : strlen(dev));
	return 0;
}

/*
 * Actions an earlier attempt planned but did not finish, for devices the
 * subject no longer owns (e.g. the SIM step after an unclaim whose result
 * was recorded just before a crash), are carried over in their old order
 * on one chain; a device that now belongs to someone else is left alone.
 */
static void plan_leftovers(struct engine *e, struct job *j,
			   const struct prior *prior, size_t nprior,
			   struct smap *done, struct smap *fresh)
{
	struct buf key = BUF_INIT, dev = BUF_INIT, path = BUF_INIT;
	size_t i, product;
	long chain = -1;

	for (i = 0; i < nprior; i++) {
		const struct prior *p = &prior[i];
		const struct idx_dev *d;
		int is_cust = !strcmp(p->name, LEDGER_ACT_DELETE_CUSTOMER);
		char *body;
		const char *b, *subj;

		if (is_cust) {
			if (!j->email)
				continue;
		} else {
			if (p->tkind && !strcmp(p->tkind, "sim")) {
				/* The SIM's device, if it is still listed. */
				d = p->tid ? smap_get(&e->ix.sims, p->tid) :
					     NULL;
			} else if (!path_device(e, p->lpath, &product, &dev)) {
				job_add_verify(e, j, product, dev.buf);
				d = smap_get(&e->ix.devices, dev.buf);
			} else {
				continue;
			}
			/*
			 * Owned by the subject: the fresh plan covers it;
			 * by someone else: it is theirs now.
			 */
			if (d && d->owner)
				continue;
		}
		action_key(&key, p->name, p->lpath);
		if (smap_get(done, key.buf) || smap_get(fresh, key.buf))
			continue;
		smap_put(fresh, key.buf, e);
		buf_reset(&path);
		subj = strstr(p->lpath, "/{subject}");
		if (subj) {
			buf_add(&path, p->lpath, (size_t)(subj - p->lpath));
			api_path_segment(&path, j->email);
			buf_adds(&path, subj + 10);
		} else {
			buf_adds(&path, p->lpath);
		}
		b = body_for(e->cfg, p->name, &body);
		job_add_action(j, is_cust ? NULL : &chain, p->name,
			       p->method ? p->method : "DELETE",
			       p->tkind ? p->tkind : "",
			       p->tid, path.buf, p->lpath, b);
		free(body);
	}
	buf_release(&key);
	buf_release(&dev);
	buf_release(&path);
}

static int job_plan(struct engine *e, struct job *j)
{
	const struct config *cfg = e->cfg;
	struct smap done, fresh;
	struct prior *prior = NULL;
	struct idx_subj *s = NULL;
	size_t nprior = 0, i;
	int ret = 0;

	memset(&done, 0, sizeof(done));
	memset(&fresh, 0, sizeof(fresh));
	j->scope = xcalloc(cfg->products.n, sizeof(*j->scope));
	for (i = 0; i < cfg->products.n; i++)
		if (!j->q.product || !strcmp(j->q.product, cfg->products.v[i]))
			j->scope[j->nscope++] = i;
	if (!j->nscope) {
		job_fail(e, j, "product_not_configured",
			 "product '%s' is not in [products] ids", j->q.product);
		return 0;
	}

	if (j->q.subject_email && *j->q.subject_email) {
		j->email = email_normalize(j->q.subject_email);
	} else if (j->q.device_id) {
		char *id = lower_dup(j->q.device_id);
		const struct idx_dev *d = smap_get(&e->ix.devices, id);

		if (d && d->owner && job_in_scope(j, d->product)) {
			j->email = xstrdup(d->owner);
			j->resolved = 1;
		}
		free(id);
	}
	if (j->email) {
		if (subject_ref_of_email(&e->key, j->email, j->ref))
			return error("cannot compute the subject reference");
	} else if (j->q.subject_ref) {
		snprintf(j->ref, sizeof(j->ref), "%s", j->q.subject_ref);
	}

	if (load_history(e, j, &done, &prior, &nprior)) {
		ret = -1;
		goto out;
	}
	j->found_before = nprior > 0;

	if (j->email)
		s = smap_get(&e->ix.subjects, j->email);
	if (s) {
		for (i = 0; i < s->ndevs; i++) {
			if (!job_in_scope(j, s->devs[i]->product))
				continue;
			j->devices++;
			job_add_verify(e, j, s->devs[i]->product,
				       s->devs[i]->id);
			plan_device(e, j, s->devs[i], &done, &fresh);
		}
		for (i = 0; i < s->ncust; i++) {
			struct buf p = BUF_INIT, lp = BUF_INIT;

			if (!job_in_scope(j, s->cust[i]))
				continue;
			j->customers++;
			buf_addf(&p, "%s/customers", e->pbase[s->cust[i]]);
			buf_addf(&lp, "%s/{subject}", p.buf);
			api_path_segment(&p, j->email);
			plan_add(e, j, NULL, &done, &fresh,
				 LEDGER_ACT_DELETE_CUSTOMER, "DELETE",
				 "customer", cfg->products.v[s->cust[i]],
				 p.buf, lp.buf);
			buf_release(&p);
			buf_release(&lp);
		}
	}
	plan_leftovers(e, j, prior, nprior, &done, &fresh);
out:
	prior_free(prior, nprior);
	smap_release(&done, NULL);
	smap_release(&fresh, NULL);
	return ret;
}

/* ---- the run ---- */

static int build_index(struct engine *e, int sweeping)
{
	static const char *const lists[] = { "customers", "devices" };
	size_t p, l;

	e->ix.sweeping = sweeping;
	for (p = 0; p < e->cfg->products.n; p++) {
		for (l = 0; l < (sweeping ? 1u : 2u); l++) {
			struct buf path = BUF_INIT;
			enum api_result res = API_OK;
			long status = 0;
			int rc;

			e->ix.product = p;
			buf_addf(&path, "%s/%s", e->pbase[p], lists[l]);
			rc = api_paginate(e->api, path.buf, PER_PAGE,
					  l ? index_devices_page :
					      index_customers_page,
					  &e->ix, &res, &status);
			buf_release(&path);
			if (!rc)
				continue;
			if (res == API_AUTH)
				engine_stop(e, EXIT_AUTH,
					    "API refused the token");
			else if (res == API_UNREACHABLE)
				engine_stop(e, EXIT_UNREACHABLE,
					    "API unreachable");
			return -1;
		}
	}
	return 0;
}

/* Links every device to its owner's subject record. */
static void index_link(struct index *ix)
{
	struct idx_dev *d;

	for (d = ix->all; d; d = d->next) {
		struct idx_subj *s;

		if (!d->owner)
			continue;
		s = subject_get(ix, d->owner);
		ALLOC_GROW(s->devs, s->ndevs, s->adevs);
		s->devs[s->ndevs++] = d;
	}
}

static void job_take(struct engine *e, struct queue_request *r)
{
	struct job *j;

	ALLOC_GROW(e->jobs, e->njobs, e->ajobs);
	j = &e->jobs[e->njobs++];
	memset(j, 0, sizeof(*j));
	j->q = *r;
	queue_request_init(r);
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
		struct queue_request r;

		if (e->loaded_single)
			return 0;
		e->loaded_single = 1;
		queue_request_init(&r);
		r.request_id = xstrdup(o->single->request_id);
		r.subject_email = o->single->subject_email ?
			email_normalize(o->single->subject_email) : NULL;
		r.device_id = o->single->device_id ?
			lower_dup(o->single->device_id) : NULL;
		r.product = o->single->product ?
			xstrdup(o->single->product) : NULL;
		r.received_at = o->single->received_at ?
			xstrdup(o->single->received_at) : NULL;
		r.source = o->single->source ?
			xstrdup(o->single->source) : NULL;
		job_take(e, &r);
		return 0;
	}
	/* The claim applied --limit; a dry run counts for itself. */
	if (o->dry_run && o->limit) {
		if (e->total >= o->limit)
			return 0;
		if (o->limit - e->total < n)
			n = o->limit - e->total;
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
		job_take(e, &l.v[i]);
	if (o->dry_run)
		e->total += (long)e->njobs;
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

		if (j->fail)
			continue;
		/* A retry must find the subject again. */
		if (j->resolved && queue_set_subject(e->db, j->q.request_id,
						     j->email, j->ref))
			goto out;
		for (k = 0; k < j->nacts; k++) {
			struct action *a = j->acts[k];

			if (append_entry(e, j, LEDGER_EV_PLAN, a->target_kind,
					 a->target_id, a->method, a->lpath, 0,
					 NULL, a->name))
				goto out;
		}
	}
	ret = db_commit(e->db);
out:
	if (ret)
		db_rollback(e->db);
	return ret;
}

/*
 * The fresh customers sweep per product that verifies the window. It runs
 * once per window, so for runs larger than one window the customers list
 * calls grow with the number of windows (requests / window size), still
 * not with subjects x fleet.
 */
static void final_sweep(struct engine *e)
{
	size_t i, k;
	int any = 0;

	smap_release(&e->ix.sweep, NULL);
	for (i = 0; i < e->njobs; i++)
		if (e->jobs[i].state == J_SWEEP && e->jobs[i].email)
			any = 1;
	if (!any || e->stop)
		return;
	if (build_index(e, 1)) {
		for (i = 0; i < e->njobs; i++)
			if (e->jobs[i].state == J_SWEEP && e->jobs[i].email) {
				job_fail(e, &e->jobs[i], "verify:error",
					 "verification sweep of the customer "
					 "lists failed");
			}
		return;
	}
	for (i = 0; i < e->njobs; i++) {
		struct job *j = &e->jobs[i];
		struct buf key = BUF_INIT;

		if (j->state != J_SWEEP || !j->email)
			continue;
		for (k = 0; k < j->nscope; k++) {
			size_t p = j->scope[k];
			int found;

			buf_reset(&key);
			buf_addf(&key, "%zu %s", p, j->email);
			found = smap_get(&e->ix.sweep, key.buf) != NULL;
			pend_add(e, j, LEDGER_EV_VERIFY, "customer",
				 e->cfg->products.v[p], "GET",
				 e->cpath[p], 200, NULL,
				 xstrdup(found ? "mismatch" : "ok"));
			if (found) {
				job_fail(e, j, "verify:mismatch",
					 "verification failed: the customer is "
					 "still listed in product '%s'",
					 e->cfg->products.v[p]);
			}
		}
		buf_release(&key);
	}
	e->swept = 1;
}

static void emit_event(const struct job *j)
{
	cJSON *o;
	char *s;

	if (!log_is_json())
		return;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", "request_done");
	cJSON_AddStringToObject(o, "request_id", j->q.request_id);
	if (j->ref[0])
		cJSON_AddStringToObject(o, "subject_ref", j->ref);
	else
		cJSON_AddNullToObject(o, "subject_ref");
	if (j->outcome)
		cJSON_AddStringToObject(o, "outcome", j->outcome);
	else
		cJSON_AddNullToObject(o, "outcome");
	cJSON_AddStringToObject(o, "status", j->state == J_DONE ?
				"done" : "failed");
	cJSON_AddNumberToObject(o, "calls", (double)j->calls);
	cJSON_AddNumberToObject(o, "duration_ms", j->end_ms > j->start_ms ?
				(double)(j->end_ms - j->start_ms) : 0);
	s = cJSON_PrintUnformatted(o);
	if (s)
		log_event(s);
	cJSON_free(s);
	cJSON_Delete(o);
}

/* Records every request's end: ledger and queue in one transaction. */
static int finish_jobs(struct engine *e)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < e->njobs; i++) {
		struct job *j = &e->jobs[i];

		if (j->state == J_SWEEP && !j->fail &&
		    (e->swept || !j->email)) {
			j->state = J_DONE;
			j->outcome = j->found_before || j->nacts ||
				j->customers || j->devices ?
				"erased" : "not_found";
		} else if (!j->fail) {
			job_fail(e, j, "stopped", "%s", e->stop_reason ?
				 e->stop_reason : "run interrupted");
		}
		if (!j->end_ms)
			j->end_ms = now_ms();
	}
	if (e->opts->dry_run)
		return 0;
	if (db_begin(e->db))
		return -1;
	if (pend_write(e))
		ret = -1;
	for (i = 0; !ret && i < e->njobs; i++) {
		struct job *j = &e->jobs[i];
		int done = j->state == J_DONE;

		if (append_entry(e, j, done ? LEDGER_EV_DONE : LEDGER_EV_FAILED,
				 "request", j->q.request_id, NULL, NULL, 0,
				 NULL, done ? j->outcome : j->fail_detail) ||
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

static void print_plan(const struct engine *e)
{
	size_t i, k;

	for (i = 0; i < e->njobs; i++) {
		const struct job *j = &e->jobs[i];

		if (j->fail) {
			printf("%s: cannot plan: %s\n", j->q.request_id,
			       j->fail);
			continue;
		}
		printf("%s: customer %s", j->q.request_id,
		       j->customers ? "found in" : "not found");
		for (k = 0; k < j->nacts; k++)
			if (!strcmp(j->acts[k]->name,
				    LEDGER_ACT_DELETE_CUSTOMER))
				printf(" %s", j->acts[k]->target_id);
		printf("; devices %zu; actions %zu%s\n", j->devices, j->nacts,
		       !j->nacts && j->found_before ?
		       " (erased by an earlier attempt; verify only)" : "");
		for (k = 0; k < j->nacts; k++)
			printf("  %-22s %-6s %s\n", j->acts[k]->name,
			       j->acts[k]->method, j->acts[k]->lpath);
		for (k = 0; k < j->nverify; k++)
			printf("  %-22s %-6s %s\n", "verify", "GET",
			       j->verify[k].path);
	}
}

/* erase: asks, then queues the request and claims it. */
static int erase_queue(struct engine *e, int *code)
{
	struct job *j = &e->jobs[0];
	struct engine_preview pv;
	int rc;

	memset(&pv, 0, sizeof(pv));
	pv.customers = j->customers;
	pv.devices = j->devices;
	pv.actions = j->nacts;
	if (e->opts->confirm) {
		rc = e->opts->confirm(&pv, e->opts->confirm_ctx);
		if (rc <= 0) {
			*code = rc < 0 ? EXIT_USAGE : EXIT_FAILED;
			return -1;
		}
	}
	if (e->opts->dry_run)
		return 0;
	free(j->q.subject_ref);
	j->q.subject_ref = j->ref[0] ? xstrdup(j->ref) : NULL;
	*code = EXIT_USAGE;
	if (db_begin(e->db))
		return -1;
	rc = queue_add(e->db, &j->q);
	if (rc < 0)
		goto fail;
	if (rc == QUEUE_ADDED &&
	    queue_ledger_event(e->db, j->q.request_id, j->q.subject_ref,
			       LEDGER_EV_ENQUEUED, "erase"))
		goto fail;
	if (queue_transition(e->db, j->q.request_id, Q_RUNNING, NULL)) {
		*code = EXIT_FAILED;
		goto fail;
	}
	if (db_commit(e->db))
		goto fail;
	return 0;
fail:
	db_rollback(e->db);
	return -1;
}

int engine_lock(const char *db_path)
{
	struct buf path = BUF_INIT, pid = BUF_INIT;
	char held[32];
	ssize_t n;
	int fd;

	buf_addf(&path, "%s.lock", db_path);
	fd = open(path.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		error("cannot open the run lock '%s': %s", path.buf,
		      strerror(errno));
		goto out;
	}
	/*
	 * flock is released by the kernel when its holder dies, so a lock
	 * file left by a crashed or killed run is simply taken over.
	 */
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno == EWOULDBLOCK) {
			n = pread(fd, held, sizeof(held) - 1, 0);
			held[n > 0 ? n : 0] = '\0';
			error("another erasectl run (pid %ld) holds the lock "
			      "'%s'", strtol(held, NULL, 10), path.buf);
			close(fd);
			fd = -2;
		} else {
			error("cannot lock '%s': %s", path.buf,
			      strerror(errno));
			close(fd);
			fd = -1;
		}
		goto out;
	}
	buf_addf(&pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) ||
	    pwrite(fd, pid.buf, pid.len, 0) != (ssize_t)pid.len) {
		error("cannot write the run lock '%s': %s", path.buf,
		      strerror(errno));
		close(fd);
		fd = -1;
	}
out:
	buf_release(&path);
	buf_release(&pid);
	return fd;
}

void engine_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* Calls, then sweep; returns when everything is settled or stopped. */
static void act(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->njobs; i++)
		if (!e->jobs[i].fail)
			job_start(e, &e->jobs[i]);
	while (e->qhead && !e->stop) {
		pump(e);
		if (api_run(e->api)) {
			engine_stop(e, EXIT_UNREACHABLE, "the API client failed");
			break;
		}
	}
	while (e->qhead) {
		struct call *c = e->qhead;

		e->qhead = c->next;
		call_free(c);
	}
	e->qtail = NULL;
	if (pend_flush(e))
		return;
	final_sweep(e);
}

/* Counts the window's requests in the summary and frees them. */
static void window_release(struct engine *e, int finished)
{
	size_t i;

	for (i = 0; i < e->njobs; i++) {
		struct job *j = &e->jobs[i];

		e->nacts += j->nacts;
		if (finished) {
			emit_event(j);
			if (j->state == J_DONE &&
			    !strcmp(j->outcome, "erased"))
				e->erased++;
			else if (j->state == J_DONE)
				e->notfound++;
			else
				e->failed++;
		}
		job_release(j);
	}
	e->njobs = 0;
	e->swept = 0;
}

/*
 * Plans, records, acts on, verifies and finishes the loaded window.
 * Returns 0, or -1 with *code set: the run ends.
 */
static int process_window(struct engine *e, int *code)
{
	const struct engine_opts *opts = e->opts;
	size_t i;

	/* Unplanned requests still name their subject in the ledger. */
	for (i = 0; i < e->njobs && (!e->indexed || e->stop); i++)
		if (e->jobs[i].q.subject_ref)
			snprintf(e->jobs[i].ref, sizeof(e->jobs[i].ref), "%s",
				 e->jobs[i].q.subject_ref);
	if (!e->indexed) {
		for (i = 0; i < e->njobs; i++)
			job_fail(e, &e->jobs[i], "discovery_failed",
				 "%s", e->stop_reason ? e->stop_reason :
				 "discovery of customers and devices failed");
	} else if (e->stop) {
		/*
		 * Claimed (attempts counted) but never tried: failed, so the
		 * next run retries them, and nothing stays running.
		 */
		for (i = 0; i < e->njobs; i++)
			job_fail(e, &e->jobs[i], "stopped",
				 "run stopped before this request was "
				 "attempted: %s", e->stop_reason);
	} else {
		for (i = 0; i < e->njobs; i++)
			if (job_plan(e, &e->jobs[i])) {
				*code = EXIT_INTEGRITY;
				return -1;
			}
	}
	if (opts->single && (e->stop || e->jobs[0].fail)) {
		/* Nothing was queued: say why and leave no trace. */
		if (e->jobs[0].fail && !e->stop)
			error("request '%s': %s; nothing was queued",
			      e->jobs[0].q.request_id, e->jobs[0].fail);
		*code = e->stop ? e->stop : EXIT_FAILED;
		return -1;
	}
	if (opts->single && erase_queue(e, code))
		return -1;
	if (opts->dry_run) {
		print_plan(e);
		return 0;
	}
	if (!e->stop) {
		/* Committed before the window's first destructive call. */
		if (write_plans(e)) {
			*code = EXIT_INTEGRITY;
			return -1;
		}
		act(e);
	}
	if (finish_jobs(e)) {
		*code = EXIT_INTEGRITY;
		return -1;
	}
	return 0;
}

static long window_size(void)
{
	const char *v = getenv("ERASECTL_WINDOW");
	char *end;
	long n;

	if (!v || !*v)
		return ENGINE_WINDOW;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 1) {
		warning("ignoring ERASECTL_WINDOW '%s': not a positive number",
			v);
		return ENGINE_WINDOW;
	}
	return n;
}

int engine_run(struct app *app, const struct engine_opts *opts)
{
	struct engine eng, *e = &eng;
	struct buf token = BUF_INIT;
	struct api_stats st;
	size_t i;
	int code = EXIT_OK, lock = -1;

	memset(e, 0, sizeof(*e));
	e->opts = opts;
	e->cfg = &app->cfg;
	e->db = app->db;
	e->window = window_size();
	if (!e->cfg->products.n) {
		error("no products configured: set 'ids' in the [products] "
		      "section");
		return EXIT_USAGE;
	}
	if (!opts->dry_run) {
		lock = engine_lock(e->cfg->db);
		if (lock < 0)
			return lock == -2 ? EXIT_LOCKED : EXIT_USAGE;
	}
	code = EXIT_USAGE;
	if (hmac_key_load(e->cfg->hmac_key_file, &e->key) ||
	    config_read_token(e->cfg, &token))
		goto out;
	if (opts->concurrency > 0)
		e->cfg->concurrency = opts->concurrency;
	e->conc = e->cfg->concurrency > 0 ? e->cfg->concurrency : 1;
	if (api_init(&e->api, e->cfg, token.buf))
		goto out;
	e->pbase = xcalloc(e->cfg->products.n, sizeof(*e->pbase));
	e->cpath = xcalloc(e->cfg->products.n, sizeof(*e->cpath));
	for (i = 0; i < e->cfg->products.n; i++) {
		struct buf p = BUF_INIT;

		api_path_literal(&p, "/v1/products");
		api_path_segment(&p, e->cfg->products.v[i]);
		e->pbase[i] = buf_detach(&p, NULL);
		buf_addf(&p, "%s/customers", e->pbase[i]);
		e->cpath[i] = buf_detach(&p, NULL);
	}

	if (opts->single && !opts->dry_run) {
		struct queue_request old;
		int rc;

		queue_request_init(&old);
		rc = queue_get(e->db, opts->single->request_id, &old);
		if (!rc && old.status == Q_DONE) {
			printf("request %s is already done (%s)\n",
			       old.request_id, old.outcome ? old.outcome : "");
			queue_request_release(&old);
			code = EXIT_OK;
			goto out;
		}
		queue_request_release(&old);
		if (rc < 0) {
			code = EXIT_INTEGRITY;
			goto out;
		}
	}
	code = EXIT_INTEGRITY;
	if (opts->single) {
		e->total = 1;
	} else if (!opts->dry_run &&
		   (queue_fill_subject_refs(e->db, &e->key) < 0 ||
		    queue_claim_all(e->db, opts->limit, &e->total))) {
		goto out;
	}
	if (load_window(e))
		goto out;
	if (!e->njobs) {
		code = EXIT_OK;
		goto summary;
	}
	e->t0 = e->last_flush = now_ms();
	e->progress = !opts->dry_run && isatty(2) && !log_is_json() &&
		log_get_level() >= LOG_INFO;

	/* One discovery sweep serves every window of the run. */
	if (!build_index(e, 0)) {
		index_link(&e->ix);
		e->indexed = 1;
	}
	/*
	 * Finished requests leave running, and the key moves on, so each
	 * claimed row is loaded once; after a stop the later windows are
	 * still loaded, to be failed, so that no row stays running.
	 */
	while (e->njobs) {
		if (process_window(e, &code))
			goto out;
		window_release(e, !opts->dry_run);
		if (load_window(e))
			goto out;
	}
	if (e->progress) {
		progress_show(e, 1);
		fputc('\n', stderr);
	}
	if (!opts->dry_run && db_checkpoint_truncate(e->db))
		warning("the database WAL was not truncated; run again");
	code = e->stop ? e->stop : EXIT_OK;

summary:
	memset(&st, 0, sizeof(st));
	if (e->api)
		api_get_stats(e->api, &st);
	if (opts->dry_run)
		printf("dry run: %ld requests, %zu actions planned; API calls "
		       "%ld (GET only)\n", e->total, e->nacts, st.requests);
	else
		printf("processed %zu: erased %zu, not found %zu, failed %zu; "
		       "API calls %ld\n", e->erased + e->notfound + e->failed,
		       e->erased, e->notfound, e->failed, st.requests);
	if (code == EXIT_OK && e->failed)
		code = EXIT_FAILED;
out:
	for (i = 0; i < e->njobs; i++)
		job_release(&e->jobs[i]);
	free(e->jobs);
	free(e->after_at);
	free(e->after_id);
	for (i = 0; e->pbase && i < e->cfg->products.n; i++) {
		free(e->pbase[i]);
		free(e->cpath[i]);
	}
	free(e->pbase);
	free(e->cpath);
	free(e->pend);
	index_release(&e->ix);
	if (e->api)
		api_release(e->api);
	hmac_key_wipe(&e->key);
	buf_wipe(&token);
	engine_unlock(lock);
	return code;
}

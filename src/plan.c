#include "plan.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "civil.h"
#include "db.h"
#include "escape.h"
#include "intake.h"
#include "ledger.h"
#include "log.h"
#include "map.h"
#include "util.h"
#include "banned.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void job_init(struct job *j, struct queue_request *r)
{
	memset(j, 0, sizeof(*j));
	j->q = *r;
	queue_request_init(r);
}

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

void job_release(struct job *j)
{
	size_t i;

	queue_request_release(&j->q);
	free(j->email);
	free(j->customer);
	free(j->scope);
	for (i = 0; i < j->nacts; i++)
		action_free(j->acts[i]);
	free(j->acts);
	for (i = 0; i < j->ngone; i++)
		action_free(j->gone[i]);
	free(j->gone);
	for (i = 0; i < j->nchains; i++)
		free(j->chains[i].v);
	free(j->chains);
	free(j->cust);
	for (i = 0; i < j->nverify; i++) {
		free(j->verify[i].target);
		free(j->verify[i].path);
	}
	free(j->verify);
	for (i = 0; i < j->nnotes; i++)
		free(j->notes[i].target_id);
	free(j->notes);
	free(j->fail);
	free(j->fail_detail);
	free(j->held_by);
	memset(j, 0, sizeof(*j));
}

int job_fail(struct job *j, const char *detail, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	if (j->fail)
		return 0;
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	j->fail = buf_detach(&msg, NULL);
	j->fail_detail = xstrdup(detail);
	j->state = J_FAILED;
	j->end_ms = now_ms();
	return 1;
}

static struct action *add_action(struct job *j, long *chain, const char *name,
				 const char *method, const char *tkind,
				 const char *tid, const char *path,
				 const char *lpath, const char *body)
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

/* The job's fresh read of target (one per kind and target). */
static struct vdev *add_verify(struct job *j, enum vdev_kind kind,
			       size_t product, const char *target,
			       const char *path)
{
	struct vdev *v;
	size_t i;

	for (i = 0; i < j->nverify; i++)
		if (j->verify[i].kind == kind &&
		    !strcmp(j->verify[i].path, path))
			return &j->verify[i];
	ALLOC_GROW(j->verify, j->nverify, j->averify);
	v = &j->verify[j->nverify++];
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	v->product = product;
	v->target = xstrdup(target);
	v->path = xstrdup(path);
	return v;
}

static struct vdev *add_device_verify(struct job *j, const struct fleet *f,
				      size_t product, const char *device)
{
	struct buf p = BUF_INIT;
	struct vdev *v;

	fleet_device_path(f, product, device, &p);
	v = add_verify(j, V_DEVICE, product, device, p.buf);
	buf_release(&p);
	return v;
}

static void add_note(struct job *j, const char *event, const char *tkind,
		     const char *tid, const char *detail)
{
	struct note *n;

	ALLOC_GROW(j->notes, j->nnotes, j->anotes);
	n = &j->notes[j->nnotes++];
	n->event = event;
	n->target_kind = tkind;
	n->target_id = xstrdup(tid);
	n->detail = detail;
}

static int in_scope(const struct job *j, size_t product)
{
	size_t i;

	for (i = 0; i < j->nscope; i++)
		if (j->scope[i] == product)
			return 1;
	return 0;
}

/* What one planning pass shares. */
struct planner {
	struct job *j;
	const struct fleet *f;
	const struct config *cfg;
	struct map done;	/* "<action> <lpath>": finished by an attempt */
	struct map pending;	/* "<action> <lpath>": answered 202 pending */
	struct map fresh;	/* "<action> <lpath>": planned this time */
	struct map released;	/* device ids an attempt released */
};

static void action_key(struct buf *key, const char *name, const char *lpath)
{
	buf_reset(key);
	buf_addf(key, "%s %s", name, lpath);
}

/* A planned action of an earlier attempt. */
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

/* 1 when a result outcome means the action is finished. */
/*
 * Reads the request's earlier plans and results. By each action's latest
 * result: done gets the keys of finished actions, pending those answered
 * 202 and not confirmed yet, released the devices whose chain ended (an
 * unclaim or remove finished). prior gets every planned action, oldest
 * first.
 */
static int load_history(struct planner *pl, sqlite3 *db, struct prior **prior,
			size_t *nprior)
{
	static const char sql[] =
		"SELECT event, target_kind, target_id, method, path, detail "
		"FROM ledger WHERE request_id = ?1 AND event IN ('plan', "
		"'result') ORDER BY seq";
	sqlite3_stmt *st = db_kept(db, DB_STMT_HISTORY, sql);
	struct buf key = BUF_INIT;
	size_t alloc = 0;
	int rc;

	if (!st)
		return -1;
	db_bind_text(st, 1, pl->j->q.request_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *ev = (const char *)sqlite3_column_text(st, 0);
		const char *tid = (const char *)sqlite3_column_text(st, 2);
		const char *path = (const char *)sqlite3_column_text(st, 4);
		const char *detail = (const char *)sqlite3_column_text(st, 5);
		const char *colon;

		if (!ev || !path || !detail)
			continue;
		if (!strcmp(ev, LEDGER_EV_RESULT)) {
			colon = strrchr(detail, ':');
			if (!colon)
				continue;
			buf_reset(&key);
			buf_add(&key, detail, (size_t)(colon - detail));
			buf_addf(&key, " %s", path);
			map_put(&pl->done, key.buf,
				ledger_outcome_finished(colon + 1) ?
				(void *)pl : NULL);
			map_put(&pl->pending, key.buf,
				!strcmp(colon + 1, "pending") ? (void *)pl :
				NULL);
			if (tid && ledger_result_released(detail))
				map_put(&pl->released, tid, pl);
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
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(db);
	return 0;
}

char *plan_fields_body(const struct config *cfg, const char *neutral_name)
{
	cJSON *o = cJSON_CreateObject();
	struct buf b = BUF_INIT;
	size_t i;

	/* config.c admits only name, notes and groups. */
	for (i = 0; i < cfg->clear_fields.n; i++) {
		const char *f = cfg->clear_fields.v[i];

		if (!strcmp(f, "groups"))
			cJSON_AddItemToObject(o, f, cJSON_CreateArray());
		else
			cJSON_AddStringToObject(o, f, !strcmp(f, "name") &&
						neutral_name ? neutral_name :
						"");
	}
	json_print(o, 0, &b);
	buf_setlen(&b, b.len - 1);
	cJSON_Delete(o);
	return buf_detach(&b, NULL);
}

/* The request body of an action, or NULL; *owned is what to free. */
static const char *body_for(const struct config *cfg, const char *name,
			    char **owned)
{
	*owned = NULL;
	if (!strcmp(name, LEDGER_ACT_CLEAR_FIELDS))
		return *owned = plan_fields_body(cfg, NULL);
	if (!strcmp(name, LEDGER_ACT_SIM_DEACTIVATE))
		return "{\"action\":\"deactivate\"}";
	if (!strcmp(name, LEDGER_ACT_CALL_FUNCTION)) {
		cJSON *o = cJSON_CreateObject();
		struct buf b = BUF_INIT;

		cJSON_AddStringToObject(o, "arg",
					str_or(cfg->device_function_arg, ""));
		json_print(o, 0, &b);
		buf_setlen(&b, b.len - 1);
		cJSON_Delete(o);
		return *owned = buf_detach(&b, NULL);
	}
	/* SetDeviceConfig: "an empty body resets it to the product's". */
	return NULL;
}

const char *plan_vdev_kind(enum vdev_kind k)
{
	static const char *const kinds[] = {
		[V_DEVICE] = "device", [V_SIM] = "sim",
		[V_INSTANCE] = "ledger_instance", [V_CONFIG] = "device_config",
	};

	return kinds[k];
}

/*
 * Adds the action unless an earlier attempt finished it (and again is 0:
 * the object was not re-created since). Returns the action, or NULL.
 */
static struct action *plan_add(struct planner *pl, long *chain,
			       const char *name, const char *method,
			       const char *tkind, const char *tid,
			       const char *path, const char *lpath, int again)
{
	struct action *a = NULL;
	struct buf key = BUF_INIT;
	char *body;

	if (!lpath)
		lpath = path;
	action_key(&key, name, lpath);
	map_put(&pl->fresh, key.buf, pl);
	if (again || !map_get(&pl->done, key.buf)) {
		const char *b = body_for(pl->cfg, name, &body);

		a = add_action(pl->j, chain, name, method, tkind, tid, path,
			       lpath, b);
		free(body);
	}
	buf_release(&key);
	return a;
}

/* The SIM step of a device: released SIMs answered 202 are confirmed. */
static void plan_sim(struct planner *pl, const struct fleet_device *d,
		     long *chain, int again)
{
	const struct config *cfg = pl->cfg;
	int deact = cfg->sim_action == SIM_DEACTIVATE;
	const char *name = deact ? LEDGER_ACT_SIM_DEACTIVATE :
			   LEDGER_ACT_SIM_RELEASE;
	struct buf p = BUF_INIT, key = BUF_INIT;
	struct vdev *v;

	buf_addf(&p, "%s/sims", pl->f->pbase[d->product]);
	api_path_segment(&p, d->iccid);
	action_key(&key, name, p.buf);
	v = add_verify(pl->j, V_SIM, d->product, d->iccid, p.buf);
	v->release = !deact;
	if (!again && map_get(&pl->pending, key.buf)) {
		/* Released before, 202: a read confirms it, no new call. */
		map_put(&pl->fresh, key.buf, pl);
		v->confirm = 1;
	} else {
		plan_add(pl, chain, name, deact ? "PUT" : "DELETE", "sim",
			 d->iccid, p.buf, NULL, again);
	}
	buf_release(&p);
	buf_release(&key);
}

/*
 * Plans a device the subject owns now. again: an earlier attempt released
 * it and the subject owns it again (re-claimed): every step runs again.
 */
static void plan_device(struct planner *pl, const struct fleet_device *d,
			int again)
{
	const struct config *cfg = pl->cfg;
	const struct fleet *f = pl->f;
	struct buf base = BUF_INIT, p = BUF_INIT;
	int unclaim = cfg->device_action == DEVICE_UNCLAIM;
	struct vdev *v = add_device_verify(pl->j, f, d->product, d->id);
	long chain = -1;
	size_t i;

	fleet_device_path(f, d->product, d->id, &base);
	/* First: with device_action = remove it leaves the product. */
	if (cfg->device_function) {
		buf_reset(&p);
		buf_adds(&p, base.buf);
		api_path_segment(&p, cfg->device_function);
		plan_add(pl, &chain, LEDGER_ACT_CALL_FUNCTION, "POST", "device",
			 d->id, p.buf, NULL, again);
	}
	if (cfg->clear_fields.n &&
	    plan_add(pl, &chain, LEDGER_ACT_CLEAR_FIELDS, "PUT", "device",
		     d->id, base.buf, NULL, again))
		v->check_fields = 1;
	for (i = 0; i < cfg->device_ledgers.n; i++) {
		buf_reset(&p);
		buf_addf(&p, "%s/ledgers", f->pbase[d->product]);
		api_path_segment(&p, cfg->device_ledgers.v[i]);
		api_path_literal(&p, "/instances");
		api_path_segment(&p, d->id);
		plan_add(pl, &chain, LEDGER_ACT_DELETE_LEDGER, "DELETE",
			 "ledger_instance", cfg->device_ledgers.v[i], p.buf,
			 NULL, again);
		add_verify(pl->j, V_INSTANCE, d->product,
			   cfg->device_ledgers.v[i], p.buf);
	}
	if (cfg->reset_device_config) {
		buf_reset(&p);
		buf_addf(&p, "%s/config", f->pbase[d->product]);
		api_path_segment(&p, d->id);
		plan_add(pl, &chain, LEDGER_ACT_RESET_CONFIG, "PUT",
			 "device_config", d->id, p.buf, NULL, again);
		add_verify(pl->j, V_CONFIG, d->product, d->id, p.buf);
	}
	buf_reset(&p);
	buf_addf(&p, "%s%s", base.buf, unclaim ? "/owner" : "");
	plan_add(pl, &chain, unclaim ? LEDGER_ACT_UNCLAIM : LEDGER_ACT_REMOVE,
		 "DELETE", "device", d->id, p.buf, NULL, again);
	if (d->iccid && cfg->sim_action != SIM_NONE)
		plan_sim(pl, d, &chain, again);
	buf_release(&base);
	buf_release(&p);
}

static void add_gone(struct job *j, const struct prior *p)
{
	struct action *a = xcalloc(1, sizeof(*a));

	a->name = xstrdup(p->name);
	a->method = xstrdup(p->method ? p->method : "");
	a->target_kind = xstrdup(p->tkind ? p->tkind : "");
	a->target_id = xstrdup(p->tid ? p->tid : "");
	a->path = xstrdup(p->lpath);
	a->lpath = xstrdup(p->lpath);
	a->chain = -1;
	ALLOC_GROW(j->gone, j->ngone, j->agone);
	j->gone[j->ngone++] = a;
}

/*
 * Actions an earlier attempt planned but did not finish, for devices the
 * subject no longer owns (e.g. the SIM step after an unclaim whose result
 * was recorded just before a crash), are carried over in their old order
 * on one chain; a device that now belongs to someone else is left alone.
 * A customer delete whose customer is no longer listed is recorded gone.
 */
static void plan_leftovers(struct planner *pl, const struct prior *prior,
			   size_t nprior)
{
	struct job *j = pl->j;
	struct buf key = BUF_INIT, dev = BUF_INIT, path = BUF_INIT;
	size_t i, product;
	long chain = -1;

	for (i = 0; i < nprior; i++) {
		const struct prior *p = &prior[i];
		const struct fleet_device *d;
		int is_cust = !strcmp(p->name, LEDGER_ACT_DELETE_CUSTOMER);
		char *body;
		const char *b;

		if (is_cust) {
			/*
			 * A customer this discovery still lists was planned
			 * afresh; one it does not list is gone.
			 */
			action_key(&key, p->name, p->lpath);
			if (map_get(&pl->done, key.buf) ||
			    map_get(&pl->fresh, key.buf))
				continue;
			map_put(&pl->fresh, key.buf, pl);
			add_gone(j, p);
			continue;
		}
		if (p->tkind && !strcmp(p->tkind, "sim")) {
			/* The SIM's device, if it is still listed. */
			d = p->tid ? fleet_sim_device(pl->f, p->tid) : NULL;
		} else if (!fleet_path_device(pl->f, p->lpath, &product,
					      &dev)) {
			add_device_verify(j, pl->f, product, dev.buf);
			d = fleet_device(pl->f, dev.buf);
		} else {
			continue;
		}
		/*
		 * Owned by the subject: the fresh plan covers it; by someone
		 * else: it is theirs now.
		 */
		if (d && d->owner)
			continue;
		action_key(&key, p->name, p->lpath);
		if (map_get(&pl->done, key.buf) || map_get(&pl->fresh, key.buf))
			continue;
		map_put(&pl->fresh, key.buf, pl);
		if (map_get(&pl->pending, key.buf) && p->tid &&
		    !fleet_path_product(pl->f, p->lpath, &product)) {
			/* A release answered 202: confirm it by a read. */
			struct vdev *v = add_verify(j, V_SIM, product, p->tid,
						    p->lpath);

			v->release = v->confirm = 1;
			continue;
		}
		buf_reset(&path);
		buf_adds(&path, p->lpath);
		b = body_for(pl->cfg, p->name, &body);
		add_action(j, &chain, p->name, p->method ? p->method : "DELETE",
			   p->tkind ? p->tkind : "", p->tid, path.buf,
			   p->lpath, b);
		free(body);
	}
	buf_release(&key);
	buf_release(&dev);
	buf_release(&path);
}

/* The products the request covers: its product, or all. */
static int plan_scope(struct job *j, const struct config *cfg)
{
	size_t i;

	j->scope = xcalloc(cfg->products.n ? cfg->products.n : 1,
			   sizeof(*j->scope));
	for (i = 0; i < cfg->products.n; i++)
		if (!j->q.product || !strcmp(j->q.product, cfg->products.v[i]))
			j->scope[j->nscope++] = i;
	if (!j->nscope)
		job_fail(j, "product_not_configured",
			 "product '%s' is not in [products] ids", j->q.product);
	return j->nscope ? 0 : -1;
}

static int plan_subject(struct job *j, const struct fleet *f,
			const struct hmac_key *key)
{
	int rc = 0;

	if (j->q.subject_email) {
		j->email = email_normalize(j->q.subject_email);
	} else if (j->q.subject_customer) {
		j->customer = xstrdup(j->q.subject_customer);
	} else if (j->q.device_id) {
		const struct fleet_device *d = fleet_device(f, j->q.device_id);

		if (d && d->owner && in_scope(j, d->product)) {
			intake_subject_of_username(d->owner->username,
						   &j->email, &j->customer);
			j->resolved = 1;
		}
	}
	if (j->email)
		rc = subject_ref_of_email(key, j->email, j->ref);
	else if (j->customer)
		rc = subject_ref_of_customer(key, j->customer, j->ref);
	else if (j->q.subject_ref)
		snprintf(j->ref, sizeof(j->ref), "%s", j->q.subject_ref);
	if (rc)
		return error("cannot compute the subject reference");
	return 0;
}

static void plan_users(struct planner *pl)
{
	struct job *j = pl->j;
	struct fleet_user **users = NULL;
	size_t nusers, alloc = 0, u, i;

	nusers = fleet_match(pl->f, j->email, j->customer, &users, &alloc);
	for (u = 0; u < nusers; u++) {
		const struct fleet_user *user = users[u];

		for (i = 0; i < user->ndevs; i++) {
			const struct fleet_device *d = user->devs[i];
			int again = map_get(&pl->released, d->id) != NULL;

			if (!in_scope(j, d->product))
				continue;
			j->devices++;
			/* Discovery wins over history: it is theirs again. */
			if (again)
				add_note(j, LEDGER_EV_REDISCOVERED, "device", d->id,
					 "owned by the subject again after an "
					 "earlier release: released again");
			plan_device(pl, d, again);
		}
		for (i = 0; i < user->ncust; i++) {
			size_t p = user->cust[i];
			struct buf path = BUF_INIT, lpath = BUF_INIT, key = BUF_INIT;
			int again;

			if (!in_scope(j, p))
				continue;
			j->customers++;
			buf_addf(&path, "%s/customers", pl->f->pbase[p]);
			buf_addf(&lpath, "%s/{subject}", path.buf);
			api_path_segment(&path, user->username);
			action_key(&key, LEDGER_ACT_DELETE_CUSTOMER, lpath.buf);
			again = map_get(&pl->done, key.buf) != NULL;
			if (again)
				add_note(j, LEDGER_EV_REDISCOVERED, "customer",
					 pl->cfg->products.v[p], "listed again "
					 "after an earlier delete: deleted again");
			plan_add(pl, NULL, LEDGER_ACT_DELETE_CUSTOMER, "DELETE",
				 "customer", pl->cfg->products.v[p], path.buf,
				 lpath.buf, 1);
			buf_release(&path);
			buf_release(&lpath);
			buf_release(&key);
		}
	}
	free(users);
}

int plan_job(struct job *j, const struct fleet *f, sqlite3 *db,
	     const struct config *cfg, const struct hmac_key *key)
{
	struct planner pl;
	struct prior *prior = NULL;
	size_t nprior = 0;
	int ret = 0;

	if (plan_scope(j, cfg))
		return 0;
	if (!civil_deadline(j->q.received_at, cfg->deadline_days,
			    j->q.extension_months, j->deadline)) {
		char today[11];

		civil_format_date(time(NULL), today);
		j->give_up = strcmp(today, j->deadline) >= 0;
	}
	/*
	 * Without an identity there is nothing to look for, and "not found"
	 * would be a claim nobody checked (the row was changed outside).
	 */
	if (!j->q.subject_email && !j->q.subject_customer && !j->q.device_id) {
		job_fail(j, "no_identity", "the request names no email, "
			 "customer or device (its queue row was changed outside "
			 "erasectl)");
		return 0;
	}
	if (plan_subject(j, f, key))
		return -1;
	memset(&pl, 0, sizeof(pl));
	pl.j = j;
	pl.f = f;
	pl.cfg = cfg;
	if (load_history(&pl, db, &prior, &nprior)) {
		ret = -1;
		goto out;
	}
	j->found_before = nprior > 0;
	plan_users(&pl);
	plan_leftovers(&pl, prior, nprior);
out:
	prior_free(prior, nprior);
	map_release(&pl.done, NULL);
	map_release(&pl.pending, NULL);
	map_release(&pl.fresh, NULL);
	map_release(&pl.released, NULL);
	return ret;
}

void plan_describe(const struct job *j, struct buf *out)
{
	size_t k;

	if (j->fail) {
		buf_addf(out, "%s: cannot plan: %s\n", j->q.request_id,
			 j->fail);
		return;
	}
	buf_addf(out, "%s: customer %s", j->q.request_id,
		 j->customers ? "found in" : "not found");
	for (k = 0; k < j->nacts; k++)
		if (!strcmp(j->acts[k]->name, LEDGER_ACT_DELETE_CUSTOMER))
			buf_addf(out, " %s", j->acts[k]->target_id);
	buf_addf(out, "; devices %zu; actions %zu%s\n", j->devices, j->nacts,
		 !j->nacts && j->found_before ?
		 " (erased by an earlier attempt; verify only)" : "");
	for (k = 0; k < j->nacts; k++)
		buf_addf(out, "  %-22s %-6s %s\n", j->acts[k]->name,
			 j->acts[k]->method, j->acts[k]->lpath);
	for (k = 0; k < j->nverify; k++)
		buf_addf(out, "  %-22s %-6s %s\n", "verify", "GET",
			 j->verify[k].path);
}

void plan_neutral_name(const char *device, struct buf *out)
{
	buf_addf(out, "erased-%s", device);
}

/*
 * The Particle endpoints erasectl uses, with the paths, field names,
 * status codes and bodies of Particle's published API description
 * (README.md "Conformance"): products, devices, customers, SIMs, the token
 * and the request router. Ledger routes are in routes_ledger.c, the other
 * per-device stores in routes_device.c.
 */
#include "fakecloud.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define DEFAULT_TIME "2026-01-01T00:00:00.000Z"

void reply_json(struct reply *out, unsigned status, cJSON *json)
{
	out->status = status;
	out->body = cJSON_PrintUnformatted(json);
	out->content_type = "application/json; charset=utf-8";
	cJSON_Delete(json);
}

void reply_error(struct reply *out, unsigned status, const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddFalseToObject(o, "ok");
	cJSON_AddStringToObject(o, "error", msg);
	reply_json(out, status, o);
}

void reply_ok(struct reply *out)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddTrueToObject(o, "ok");
	reply_json(out, 200, o);
}

void reply_empty(struct reply *out, unsigned status)
{
	out->status = status;
	out->body = NULL;
	out->content_type = NULL;
}

void reply_text(struct reply *out, unsigned status, const char *text)
{
	out->status = status;
	out->body = fc_xstrdup(text);
	out->content_type = "text/plain; charset=utf-8";
}

/* ---- paging ---- */
static long parse_long(const char *s, long def)
{
	char *end;
	long v;

	if (!s || !*s)
		return def;
	v = strtol(s, &end, 10);
	return *end || v < 1 ? def : v;
}

void paging_parse(const struct query *q, struct paging *pg, long def)
{
	const char *pp = query_get(q, "perPage");

	if (!pp)
		pp = query_get(q, "per_page");
	pg->page = parse_long(query_get(q, "page"), 1);
	pg->per_page = parse_long(pp, def);
	if (pg->per_page > 100)
		pg->per_page = 100;
}

long total_pages(size_t n, long per_page)
{
	return (long)((n + (size_t)per_page - 1) / (size_t)per_page);
}

void page_slice(const struct paging *pg, size_t n, size_t *first,
		size_t *last)
{
	size_t start = (size_t)(pg->page - 1) * (size_t)pg->per_page;

	if (pg->page > total_pages(n, pg->per_page) || start >= n) {
		*first = *last = 0;
		return;
	}
	*first = start;
	*last = start + (size_t)pg->per_page < n ? start + (size_t)pg->per_page : n;
}

static cJSON *meta_pages(long pages)
{
	cJSON *m = cJSON_CreateObject();

	cJSON_AddNumberToObject(m, "total_pages", (double)pages);
	return m;
}

/* ---- devices ---- */

/* Fixture fields that hold other stores' state, never device fields. */
static int internal_field(const char *k)
{
	static const char *const names[] = {
		"config", "config_pending", "config_schema", "function_calls",
		"function_results",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (!strcmp(k, names[i]))
			return 1;
	return 0;
}

/*
 * A device as the API returns it: documented defaults, then the fixture's
 * fields. The list omits notes (as Particle's list does); unclaimed
 * devices have no owner field; a device never heard from has
 * "last_heard": null.
 */
static cJSON *device_json(const struct device *d, int full)
{
	const struct product *p = d->product;
	cJSON *o = cJSON_CreateObject(), *it;
	const char *iccid = fc_str(d->obj, "iccid");

	cJSON_AddStringToObject(o, "id", d->id);
	cJSON_AddNullToObject(o, "name");
	cJSON_AddStringToObject(o, "last_ip_address", "192.0.2.10");
	cJSON_AddNullToObject(o, "last_heard");
	cJSON_AddStringToObject(o, "last_handshake_at", DEFAULT_TIME);
	cJSON_AddNumberToObject(o, "product_id", (double)p->id);
	cJSON_AddFalseToObject(o, "online");
	cJSON_AddNumberToObject(o, "platform_id", 13);
	cJSON_AddBoolToObject(o, "cellular", iccid != NULL);
	cJSON_AddArrayToObject(o, "functions");
	cJSON_AddObjectToObject(o, "variables");
	cJSON_AddStringToObject(o, "status", "normal");
	cJSON_AddNullToObject(o, "serial_number");
	cJSON_AddStringToObject(o, "system_firmware_version", "5.8.0");
	cJSON_AddNumberToObject(o, "firmware_product_id", (double)p->id);
	cJSON_AddArrayToObject(o, "groups");
	cJSON_AddNumberToObject(o, "firmware_version", 1);
	cJSON_AddNullToObject(o, "desired_firmware_version");
	cJSON_AddNullToObject(o, "targeted_firmware_release_version");
	cJSON_AddFalseToObject(o, "development");
	cJSON_AddFalseToObject(o, "quarantined");
	cJSON_AddFalseToObject(o, "denied");
	if (full) {
		cJSON_AddStringToObject(o, "notes", "");
		cJSON_AddFalseToObject(o, "connected");
		cJSON_AddNullToObject(o, "pinned_build_target");
		cJSON_AddStringToObject(o, "default_build_target", "5.8.0");
		cJSON_AddTrueToObject(o, "firmware_updates_enabled");
		cJSON_AddFalseToObject(o, "firmware_updates_forced");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "device_protection"),
					"status", "disabled");
	}
	cJSON_ArrayForEach(it, d->obj) {
		if (!strcmp(it->string, "id") || internal_field(it->string) ||
		    (!full && !strcmp(it->string, "notes")) ||
		    (!strcmp(it->string, "owner") && cJSON_IsNull(it)))
			continue;
		fc_set(o, it->string, cJSON_Duplicate(it, 1));
	}
	if (full)
		fc_set(o, "connected", cJSON_CreateBool(cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(o, "online"))));
	return o;
}

static int device_matches(const struct device *d, const struct query *q)
{
	const char *v;

	if ((v = query_get(q, "deviceId")) && !fc_contains_ci(d->id, v))
		return 0;
	if ((v = query_get(q, "deviceName"))) {
		const char *name = fc_str(d->obj, "name");

		if (!name || !fc_contains_ci(name, v))
			return 0;
	}
	if ((v = query_get(q, "serialNumber"))) {
		const char *sn = fc_str(d->obj, "serial_number");

		if (!sn || !fc_contains_ci(sn, v))
			return 0;
	}
	if ((v = query_get(q, "quarantined"))) {
		const cJSON *qu = cJSON_GetObjectItemCaseSensitive(d->obj,
								 "quarantined");

		if ((strcmp(v, "true") == 0) != (cJSON_IsTrue(qu) != 0))
			return 0;
	}
	if ((v = query_get(q, "groups")) && *v) {
		const cJSON *g;

		/* Comma-separated; a device in any listed group matches. */
		cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(d->obj,
								       "groups")) {
			size_t n = cJSON_IsString(g) ? strlen(g->valuestring) : 0;
			const char *p = v;

			while (n && *p) {
				size_t len = strcspn(p, ",");

				if (len == n && !strncmp(p, g->valuestring, n))
					return 1;
				p += len + (p[len] == ',');
			}
		}
		return 0;
	}
	return 1;
}

static int is_device_id(const char *s)
{
	size_t n = strlen(s);

	if (n != 24)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]))
			return 0;
	return 1;
}

/* The documented sortAttr values; -1 for anything else. */
static int sort_attr(const char *s)
{
	static const char *const names[] = {
		[SORT_LAST_CONNECTION] = "lastConnection",
		[SORT_DEVICE_ID] = "deviceId",
		[SORT_DEVICE_NAME] = "deviceName",
		[SORT_FIRMWARE_VERSION] = "firmwareVersion",
	};

	for (int i = 0; s && i < SORT_COUNT; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

/* shifting_order moves devices unless the list is sorted by device id. */
static int list_shifts(const struct fleet *f, const struct query *q)
{
	return f->bh.shifting_order > 0 &&
	       sort_attr(query_get(q, "sortAttr")) != SORT_DEVICE_ID;
}

/* shifting_order: some devices connect (write lock held). */
static void devices_connect(struct fleet *f, struct product *p)
{
	size_t k = (size_t)f->bh.shifting_order, picked = 0;
	struct device **done;

	if (!p->ndevices)
		return;
	if (k > p->ndevices)
		k = p->ndevices;
	done = fc_xmalloc(k * sizeof(*done));
	for (size_t tries = 0; picked < k && tries < 8 * k; tries++) {
		struct device *d = p->devices[fc_rand(&f->bh_rng) % p->ndevices];
		size_t i;

		for (i = 0; i < picked && done[i] != d; i++)
			;
		if (i == picked)
			done[picked++] = d;
	}
	for (size_t i = 0; i < picked; i++)
		device_heard_now(done[i]);
	free(done);
}

static void list_devices(struct fleet *f, struct product *p,
			 const struct query *q, struct reply *out)
{
	struct paging pg;
	struct device **order, **match, *one = NULL;
	size_t n, first, last;
	const char *id = query_get(q, "deviceId");
	const char *dir = query_get(q, "sortDir");
	int sort = sort_attr(query_get(q, "sortAttr"));
	int desc = dir ? !strcmp(dir, "desc") : sort < 0;
	int filtered = query_get(q, "deviceName") || query_get(q, "serialNumber") ||
		       query_get(q, "groups") || query_get(q, "quarantined");
	cJSON *o = cJSON_CreateObject(), *devs, *custs;
	struct hmap seen;

	paging_parse(q, &pg, 25);
	if (sort < 0)
		sort = SORT_LAST_CONNECTION;
	if (id && is_device_id(id) && !filtered) {
		/* A full id: O(1) through the index. */
		order = NULL;
		one = product_device(f, p, id);
		match = &one;
		n = one != NULL;
		desc = 0;
	} else if (id || filtered) {
		order = order_get(p, (enum device_sort)sort);
		match = fc_xmalloc(p->ndevices * sizeof(*match));
		n = 0;
		for (size_t i = 0; i < p->ndevices; i++) {
			struct device *d = order[desc ? p->ndevices - 1 - i : i];

			if (device_matches(d, q))
				match[n++] = d;
		}
		desc = 0;
	} else {
		match = order = order_get(p, (enum device_sort)sort);
		n = p->ndevices;
	}
	page_slice(&pg, n, &first, &last);
	devs = cJSON_AddArrayToObject(o, "devices");
	custs = cJSON_AddArrayToObject(o, "customers");
	hmap_init(&seen);
	for (size_t i = first; i < last; i++) {
		const struct device *d = match[desc ? n - 1 - i : i];
		const char *cid;

		cJSON_AddItemToArray(devs, device_json(d, 0));
		if (!d->customer)
			continue;
		cid = fc_str(d->customer->obj, "id");
		if (cid && !hmap_get(&seen, cid)) {
			cJSON *c = cJSON_CreateObject();

			hmap_put(&seen, cid, d->customer);
			cJSON_AddStringToObject(c, "id", cid);
			cJSON_AddStringToObject(c, "username",
						fc_str(d->customer->obj, "username"));
			cJSON_AddItemToArray(custs, c);
		}
	}
	hmap_release(&seen);
	cJSON_AddItemToObject(o, "meta", meta_pages(total_pages(n, pg.per_page)));
	if (match != order && match != &one)
		free(match);
	reply_json(out, 200, o);
	if (list_shifts(f, q))
		devices_connect(f, p);
}

struct device *product_device(struct fleet *f, struct product *p,
			      const char *id)
{
	struct device *d = fleet_device(f, id);

	return d && d->product == p ? d : NULL;
}

cJSON *api_body_object(const struct api_req *r)
{
	cJSON *o;

	if (r->content_type &&
	    !strncasecmp(r->content_type, "application/x-www-form-urlencoded", 33)) {
		struct query form;

		query_parse(&form, r->body, r->body_len);
		o = cJSON_CreateObject();
		for (size_t i = 0; i < form.n; i++)
			cJSON_AddStringToObject(o, form.kv[2 * i], form.kv[2 * i + 1]);
		query_release(&form);
		return o;
	}
	/* Whole body only: trailing garbage is an error, not ignored. */
	o = cJSON_ParseWithLengthOpts(r->body, r->body_len + 1, NULL, 1);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static void update_device(struct fleet *f, struct device *d,
			  const struct api_req *r, struct reply *out)
{
	static const char *const fields[] = {
		"name", "notes", "groups", "development",
		"desired_firmware_version",
	};
	cJSON *body = api_body_object(r), *res, *v;
	const char *name;
	char now[32];
	int changed = 0;

	if (!body) {
		reply_error(out, 400, "Request body must be a JSON object");
		return;
	}
	/* Validate everything before changing anything. */
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
		v = cJSON_GetObjectItemCaseSensitive(body, fields[i]);
		if (!v)
			continue;
		if ((i <= 1 && !cJSON_IsString(v)) ||
		    (i == 2 && !cJSON_IsArray(v)) ||
		    (i == 3 && !cJSON_IsBool(v)) ||
		    (i == 4 && !cJSON_IsNumber(v) && !cJSON_IsNull(v))) {
			cJSON_Delete(body);
			reply_error(out, 400, "Invalid value");
			return;
		}
		if (i == 2) {
			const cJSON *g;

			cJSON_ArrayForEach(g, v) {
				if (!cJSON_IsString(g)) {
					cJSON_Delete(body);
					reply_error(out, 400, "Invalid group name");
					return;
				}
			}
		}
		changed = 1;
	}
	if (!changed) {
		cJSON_Delete(body);
		reply_error(out, 400, "Nothing to do?");
		return;
	}
	name = fc_str(body, "name");
	if (name && !*name && f->bh.reject_empty_name) {
		cJSON_Delete(body);
		reply_error(out, 400, "name cannot be empty");
		return;
	}
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "id", d->id);
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
		v = cJSON_GetObjectItemCaseSensitive(body, fields[i]);
		if (!v)
			continue;
		fc_set(d->obj, fields[i], cJSON_Duplicate(v, 1));
		cJSON_AddItemToObject(res, fields[i], cJSON_Duplicate(v, 1));
	}
	if (name)
		order_invalidate(d->product, SORT_DEVICE_NAME);
	fc_now_iso(now);
	fc_set(d->obj, "updated_at", cJSON_CreateString(now));
	cJSON_AddStringToObject(res, "updated_at", now);
	cJSON_Delete(body);
	reply_json(out, 200, res);
}

/* ---- customers ---- */
static cJSON *customer_json(const struct customer *c)
{
	cJSON *o = cJSON_Duplicate(c->obj, 1);
	cJSON *devs = cJSON_CreateArray();

	if (!cJSON_GetObjectItemCaseSensitive(o, "full_name"))
		cJSON_AddNullToObject(o, "full_name");
	for (size_t i = 0; i < c->ndevices; i++)
		cJSON_AddItemToArray(devs, cJSON_CreateString(c->devices[i]->id));
	fc_set(o, "devices", devs);
	return o;
}

/*
 * The description documents no paging parameters for this list (only an
 * example shows meta.total_pages); customers_paging picks how the fake
 * treats page and perPage.
 */
static void list_customers(struct fleet *f, struct product *p,
			   const struct query *q, struct reply *out)
{
	static const char *const keep[] = {
		"id", "name", "product_id", "last_ip_address", "last_heard",
		"firmware_version", "online",
	};
	struct paging pg, served;
	size_t first, last;
	cJSON *o = cJSON_CreateObject(), *custs, *devs;

	paging_parse(q, &pg, 25);
	served = pg;
	if (f->bh.customers_paging == CUSTOMERS_IGNORE_PAGE)
		served.page = 1;
	else if (f->bh.customers_paging == CUSTOMERS_CAP &&
		 served.per_page > f->bh.customers_cap)
		served.per_page = f->bh.customers_cap;
	if (f->bh.customers_paging == CUSTOMERS_WHOLE) {
		first = 0;
		last = p->ncustomers;
	} else {
		page_slice(&served, p->ncustomers, &first, &last);
	}
	custs = cJSON_AddArrayToObject(o, "customers");
	devs = cJSON_AddArrayToObject(o, "devices");
	for (size_t i = first; i < last; i++) {
		const struct customer *c = p->customers[i];

		cJSON_AddItemToArray(custs, customer_json(c));
		for (size_t j = 0; j < c->ndevices; j++) {
			cJSON *full = device_json(c->devices[j], 0), *d;

			d = cJSON_CreateObject();
			for (size_t k = 0; k < sizeof(keep) / sizeof(*keep); k++) {
				cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(full, keep[k]);

				if (v)
					cJSON_AddItemToObject(d, keep[k], v);
			}
			cJSON_Delete(full);
			cJSON_AddItemToArray(devs, d);
		}
	}
	/* total_pages always follows the requested page size. */
	if (f->bh.customers_paging != CUSTOMERS_WHOLE)
		cJSON_AddItemToObject(o, "meta",
				      meta_pages(total_pages(p->ncustomers, pg.per_page)));
	reply_json(out, 200, o);
}

static void delete_customer(struct fleet *f, struct product *p,
			    const char *username, struct reply *out)
{
	char *key = fc_lower(username);
	struct customer *c = hmap_get(&p->customer_by_user, key);

	free(key);
	if (c && f->bh.customer_case_exact &&
	    strcmp(fc_str(c->obj, "username"), username))
		c = NULL;
	if (!c) {
		reply_error(out, 404, "Customer not found");
		return;
	}
	customer_remove(p, c);
	reply_ok(out);
}

/* ---- SIMs ---- */
static cJSON *sim_json(struct fleet *f, const struct sim *s)
{
	const char *iccid = fc_str(s->obj, "iccid");
	const char *last = fc_str(s->obj, "last_device_id");
	cJSON *o = cJSON_CreateObject(), *it;

	cJSON_AddStringToObject(o, "_id", iccid);
	cJSON_AddNumberToObject(o, "activations_count", 1);
	cJSON_AddStringToObject(o, "base_country_code", "US");
	cJSON_AddStringToObject(o, "carrier", "telefonica");
	cJSON_AddNullToObject(o, "last_device_id");
	cJSON_AddNullToObject(o, "last_device_name");
	cJSON_AddStringToObject(o, "first_activated_on", DEFAULT_TIME);
	cJSON_AddStringToObject(o, "updated_at", DEFAULT_TIME);
	if (last) {
		const struct device *d = fleet_device(f, last);
		const char *name = d ? fc_str(d->obj, "name") : NULL;

		if (name)
			fc_set(o, "last_device_name", cJSON_CreateString(name));
	}
	cJSON_ArrayForEach(it, s->obj)
		fc_set(o, it->string, cJSON_Duplicate(it, 1));
	return o;
}

/* Releases pending SIMs whose delay has passed (write lock held). */
static void sims_release_due(struct fleet *f)
{
	uint64_t now = fc_now_ms();

	for (size_t i = 0; f->pending_sims && i < f->nproducts; i++) {
		struct product *p = f->products[i];

		for (size_t j = p->nsims; j-- > 0;) {
			struct sim *s = p->sims[j];

			if (s->pending && s->release_due_ms && now >= s->release_due_ms)
				sim_remove(f, p, s);
		}
	}
}

/* A pending SIM was shown by a GET: 1 if that was its last one. */
static int sim_shown(struct sim *s)
{
	return s->pending && s->release_gets > 0 && --s->release_gets == 0;
}

static void list_sims(struct fleet *f, struct product *p,
		      const struct query *q, struct reply *out)
{
	const char *iccid = query_get(q, "iccid");
	const char *dev = query_get(q, "deviceId");
	const char *dname = query_get(q, "deviceName");
	struct paging pg;
	struct sim **match = fc_xmalloc((p->nsims + 1) * sizeof(*match));
	size_t n = 0, first, last, ngone = 0;
	cJSON *o = cJSON_CreateObject(), *sims;

	paging_parse(q, &pg, 25);
	for (size_t i = 0; i < p->nsims; i++) {
		const cJSON *so = p->sims[i]->obj;
		const char *last_id = fc_str(so, "last_device_id");

		if (iccid && !fc_contains_ci(fc_str(so, "iccid"), iccid))
			continue;
		if (dev && (!last_id || !fc_contains_ci(last_id, dev)))
			continue;
		if (dname) {
			const struct device *d = last_id ? fleet_device(f, last_id) : NULL;
			const char *name = d ? fc_str(d->obj, "name") : NULL;

			if (!name || !fc_contains_ci(name, dname))
				continue;
		}
		match[n++] = p->sims[i];
	}
	page_slice(&pg, n, &first, &last);
	sims = cJSON_AddArrayToObject(o, "sims");
	for (size_t i = first; i < last; i++) {
		cJSON_AddItemToArray(sims, sim_json(f, match[i]));
		/* Reuse the front of match for the SIMs that go now. */
		if (sim_shown(match[i]))
			match[ngone++] = match[i];
	}
	cJSON_AddItemToObject(o, "meta", meta_pages(total_pages(n, pg.per_page)));
	for (size_t i = 0; i < ngone; i++)
		sim_remove(f, p, match[i]);
	free(match);
	reply_json(out, 200, o);
}

/* Deactivate, reactivate: 200 without a body, as documented. */
static void update_sim(struct sim *s, const struct api_req *r,
		       struct reply *out)
{
	cJSON *body = api_body_object(r);
	const char *action = body ? fc_str(body, "action") : NULL;
	const char *status;
	char now[32];

	if (!action) {
		cJSON_Delete(body);
		reply_error(out, 400, "action is required");
		return;
	}
	if (!strcmp(action, "deactivate")) {
		status = "inactive";
	} else if (!strcmp(action, "reactivate")) {
		status = "active";
	} else {
		cJSON_Delete(body);
		reply_error(out, 400, "Invalid action");
		return;
	}
	cJSON_Delete(body);
	fc_set(s->obj, "status", cJSON_CreateString(status));
	fc_now_iso(now);
	fc_set(s->obj, "updated_at", cJSON_CreateString(now));
	reply_empty(out, 200);
}

/*
 * Release: 204, or with sim_release_pending 202 "Release pending" and the
 * SIM stays (status "release_pending") until the delay or its GETs are
 * used up.
 */
static void release_sim(struct fleet *f, struct product *p, struct sim *s,
			struct reply *out)
{
	const struct behaviour *b = &f->bh;

	if (!s->pending && !b->sim_release_delay_ms && !b->sim_release_gets) {
		sim_remove(f, p, s);
		reply_empty(out, 204);
		return;
	}
	if (!s->pending) {
		char now[32];

		s->pending = 1;
		f->pending_sims++;
		s->release_due_ms = b->sim_release_delay_ms ?
			fc_now_ms() + (uint64_t)b->sim_release_delay_ms : 0;
		s->release_gets = b->sim_release_delay_ms ? 0 : b->sim_release_gets;
		fc_set(s->obj, "status", cJSON_CreateString("release_pending"));
		fc_now_iso(now);
		fc_set(s->obj, "updated_at", cJSON_CreateString(now));
	}
	reply_empty(out, 202);
}

static void sim_routes(struct fleet *f, struct product *p,
		       const struct api_req *r, struct reply *out)
{
	struct sim *s;

	/* A GET takes the write lock whenever releases are pending. */
	if (f->pending_sims)
		sims_release_due(f);
	if (r->nseg == 3) {
		if (strcmp(r->method, "GET"))
			goto not_found;
		list_sims(f, p, r->query, out);
		return;
	}
	if (r->nseg != 4)
		goto not_found;
	s = hmap_get(&p->sim_by_iccid, r->seg[3]);
	if (!s) {
		reply_error(out, 404, "SIM not found");
		return;
	}
	if (!strcmp(r->method, "GET")) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddItemToObject(o, "sim", sim_json(f, s));
		reply_json(out, 200, o);
		if (sim_shown(s))
			sim_remove(f, p, s);
	} else if (!strcmp(r->method, "PUT")) {
		update_sim(s, r, out);
	} else if (!strcmp(r->method, "DELETE")) {
		release_sim(f, p, s, out);
	} else {
		goto not_found;
	}
	return;
not_found:
	reply_error(out, 404, "Not found");
}

/* ---- products ---- */
static void device_routes(struct fleet *f, struct product *p,
			  const struct api_req *r, struct reply *out)
{
	const char *m = r->method;
	struct device *d;

	if (r->nseg == 3) {
		if (strcmp(m, "GET"))
			goto not_found;
		list_devices(f, p, r->query, out);
		return;
	}
	if (r->nseg > 5)
		goto not_found;
	d = product_device(f, p, r->seg[3]);
	if (!d) {
		reply_error(out, 404, "Device not found");
		return;
	}
	if (r->nseg == 5) {
		if (!strcmp(m, "POST")) {
			function_call(f, d, r, r->seg[4], out);
			return;
		}
		if (strcmp(m, "DELETE") || strcmp(r->seg[4], "owner"))
			goto not_found;
		/* Unclaim: the device stays in the product. */
		device_detach_customer(d);
		fc_set(d->obj, "owner", cJSON_CreateNull());
		reply_ok(out);
	} else if (!strcmp(m, "GET")) {
		reply_json(out, 200, device_json(d, 1));
	} else if (!strcmp(m, "PUT")) {
		update_device(f, d, r, out);
	} else if (!strcmp(m, "DELETE")) {
		/* Removal also unclaims; the device leaves the fleet. */
		device_remove(f, d);
		reply_empty(out, 204);
	} else {
		goto not_found;
	}
	return;
not_found:
	reply_error(out, 404, "Not found");
}

/* GetProduct: the documented fields, then the fixture's. */
static cJSON *product_json(const struct product *p)
{
	cJSON *prod = cJSON_CreateObject(), *it;

	cJSON_AddNumberToObject(prod, "id", (double)p->id);
	cJSON_AddNumberToObject(prod, "product_id", (double)p->id);
	cJSON_AddStringToObject(prod, "name", p->slug ? p->slug : "");
	if (p->slug)
		cJSON_AddStringToObject(prod, "slug", p->slug);
	else
		cJSON_AddNullToObject(prod, "slug");
	cJSON_AddStringToObject(prod, "description", "");
	cJSON_AddNumberToObject(prod, "platform_id", 13);
	cJSON_AddNullToObject(prod, "organization");
	cJSON_AddFalseToObject(prod, "requires_activation_codes");
	cJSON_AddStringToObject(prod, "device_protection", "disabled");
	cJSON_ArrayForEach(it, p->extra)
		fc_set(prod, it->string, cJSON_Duplicate(it, 1));
	return prod;
}

static void product_routes(struct fleet *f, const struct api_req *r,
			   struct reply *out)
{
	struct product *p = fleet_product(f, r->seg[1]);
	const char *what = r->nseg > 2 ? r->seg[2] : "";

	if (!p) {
		reply_error(out, 404, "Product not found");
		return;
	}
	if (r->nseg == 2) {
		cJSON *o;

		if (strcmp(r->method, "GET")) {
			reply_error(out, 404, "Not found");
			return;
		}
		o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "product", product_json(p));
		reply_json(out, 200, o);
	} else if (!strcmp(what, "customers")) {
		if (r->nseg == 3 && !strcmp(r->method, "GET"))
			list_customers(f, p, r->query, out);
		else if (r->nseg == 4 && !strcmp(r->method, "DELETE"))
			delete_customer(f, p, r->seg[3], out);
		else
			reply_error(out, 404, "Not found");
	} else if (!strcmp(what, "devices")) {
		device_routes(f, p, r, out);
	} else if (!strcmp(what, "sims")) {
		sim_routes(f, p, r, out);
	} else if (!strcmp(what, "ledgers")) {
		ledger_routes(f, r, 2, out);
	} else if (!strcmp(what, "config")) {
		config_routes(f, p, r, out);
	} else if (!strcmp(what, "locations")) {
		location_routes(f, p, r, out);
	} else if (!strcmp(what, "diagnostics")) {
		diagnostics_routes(f, p, r, 2, out);
	} else if (!strcmp(what, "integrations") || !strcmp(what, "webhooks")) {
		integration_routes(p, r, out);
	} else {
		reply_error(out, 404, "Not found");
	}
}

/*
 * GetCurrentAccessToken: the documented fields (expires_in, client,
 * scopes, orgs) and expires_at, which the example shows. A token without
 * an expiry (an API user's) has expires_in 0 ("forever").
 */
static void token_info(struct fleet *f, struct reply *out)
{
	static const char *const scopes[] = {
		"customers:list", "customers:remove", "devices:list",
		"devices:get", "devices:update", "devices:remove",
		"devices:release", "sims:list", "sims:get", "sims:update",
		"sims:remove", "ledger.instances:list", "ledger.instances:get",
		"ledger.instances:remove", "ledger.definitions:list",
		"ledger.definitions:get", "ledger.instances.versions:list",
		"products:get", "configuration:get", "configuration:update",
		"devices.function:call", "locations:get",
		"devices.diagnostics:get", "integrations:list",
		"integrations:get",
	};
	cJSON *o = cJSON_CreateObject();

	if (f->token_expires_at) {
		int64_t left = (f->token_expires_ms - fc_wall_ms()) / 1000;

		cJSON_AddStringToObject(o, "expires_at", f->token_expires_at);
		cJSON_AddNumberToObject(o, "expires_in", (double)(left > 0 ? left : 1));
	} else {
		cJSON_AddNullToObject(o, "expires_at");
		cJSON_AddNumberToObject(o, "expires_in", 0);
	}
	cJSON_AddStringToObject(o, "client", "fakecloud");
	if (f->token_scopes)
		cJSON_AddItemToObject(o, "scopes", cJSON_Duplicate(f->token_scopes, 1));
	else
		cJSON_AddItemToObject(o, "scopes", cJSON_CreateStringArray(
			scopes, (int)(sizeof(scopes) / sizeof(*scopes))));
	cJSON_AddArrayToObject(o, "orgs");
	reply_json(out, 200, o);
}

/*
 * The API-user scope each route needs, as the description's "permission"
 * states it (api-service.json); where it states none for a call that
 * reads or changes customer data (device config), the least favourable
 * reading: the matching configuration scope. NULL: none needed.
 */
static const char *scope_for(const struct api_req *r)
{
	const char *m = r->method, *what;
	int get = !strcmp(m, "GET"), del = !strcmp(m, "DELETE");
	int put = !strcmp(m, "PUT"), post = !strcmp(m, "POST");
	size_t n = r->nseg, b = 2;

	if (n >= 1 && !strcmp(r->seg[0], "access_tokens"))
		return NULL;
	if (n >= 1 && !strcmp(r->seg[0], "ledgers"))
		b = 0;
	else if (n >= 1 && !strcmp(r->seg[0], "diagnostics"))
		return "devices.diagnostics:get";
	else if (n >= 1 && !strcmp(r->seg[0], "devices"))
		return post ? "devices.function:call" : "devices:get";
	else if (n == 2)
		return "products:get";
	else if (n < 3)
		return NULL;
	what = r->seg[b];
	n -= b;
	if (!strcmp(what, "customers"))
		return n == 1 ? "customers:list" : "customers:remove";
	if (!strcmp(what, "devices")) {
		if (n == 1)
			return "devices:list";
		if (n == 3 && !strcmp(r->seg[b + 2], "owner"))
			return "devices:release";
		if (n == 3)
			return "devices.function:call";
		return get ? "devices:get" : put ? "devices:update" :
			"devices:remove";
	}
	if (!strcmp(what, "sims"))
		return n == 1 ? "sims:list" : get ? "sims:get" :
			put ? "sims:update" : "sims:remove";
	if (!strcmp(what, "ledgers")) {
		if (n <= 2)
			return n == 1 ? "ledger.definitions:list" :
				"ledger.definitions:get";
		if (n >= 5)
			return "ledger.instances.versions:list";
		return n == 3 ? "ledger.instances:list" : get ?
			"ledger.instances:get" : del ? "ledger.instances:remove" :
			"ledger.instances:set";
	}
	if (!strcmp(what, "config"))
		return get ? "configuration:get" : "configuration:update";
	if (!strcmp(what, "locations"))
		return "locations:get";
	if (!strcmp(what, "diagnostics"))
		return "devices.diagnostics:get";
	if (!strcmp(what, "integrations") || !strcmp(what, "webhooks"))
		return n == 1 ? "integrations:list" : "integrations:get";
	return NULL;
}

/*
 * A fixture's token_scopes limit the token as an API user's scopes do; an
 * empty list is a person's token, which lists none and may do anything.
 */
static int scope_refused(const struct fleet *f, const struct api_req *r)
{
	const char *need = scope_for(r);
	const cJSON *s;

	if (!need || cJSON_GetArraySize(f->token_scopes) == 0)
		return 0;
	cJSON_ArrayForEach(s, f->token_scopes)
		if (cJSON_IsString(s) && !strcmp(s->valuestring, need))
			return 0;
	return 1;
}

static void route(struct fleet *f, const struct api_req *r, struct reply *out)
{
	const char *m = r->method;
	struct device *d;

	if (scope_refused(f, r)) {
		reply_error(out, 403, "Permission Denied");
		return;
	}

	if (r->nseg == 2 && !strcmp(r->seg[0], "access_tokens") &&
	    !strcmp(r->seg[1], "current") && !strcmp(m, "GET")) {
		token_info(f, out);
	} else if (r->nseg >= 2 && !strcmp(r->seg[0], "products")) {
		product_routes(f, r, out);
	} else if (r->nseg >= 1 && !strcmp(r->seg[0], "ledgers")) {
		ledger_routes(f, r, 0, out);
	} else if (r->nseg >= 2 && !strcmp(r->seg[0], "diagnostics")) {
		diagnostics_routes(f, NULL, r, 0, out);
	} else if ((r->nseg == 2 && !strcmp(m, "GET")) ||
		   (r->nseg == 3 && !strcmp(m, "POST"))) {
		if (strcmp(r->seg[0], "devices")) {
			reply_error(out, 404, "Not found");
		} else if (!(d = fleet_device(f, r->seg[1]))) {
			reply_error(out, 404, "Device not found");
		} else if (r->nseg == 2) {
			reply_json(out, 200, device_json(d, 1));
		} else {
			function_call(f, d, r, r->seg[2], out);
		}
	} else {
		reply_error(out, 404, "Not found");
	}
}

/* Reads that change state (behaviour switches) need the write lock. */
static int read_writes(const struct fleet *f, const struct api_req *r)
{
	if (r->nseg < 3 || strcmp(r->seg[0], "products"))
		return 0;
	if (!strcmp(r->seg[2], "sims"))
		return f->pending_sims > 0;
	return r->nseg == 3 && !strcmp(r->seg[2], "devices") &&
	       list_shifts(f, r->query);
}

void api_handle(struct fleet *f, const struct api_req *r, struct reply *out)
{
	int write = strcmp(r->method, "GET") && strcmp(r->method, "HEAD");

	if (!write) {
		pthread_rwlock_rdlock(&f->lock);
		write = read_writes(f, r);
		if (write)
			pthread_rwlock_unlock(&f->lock);
	}
	if (write)
		pthread_rwlock_wrlock(&f->lock);
	route(f, r, out);
	pthread_rwlock_unlock(&f->lock);
}

cJSON *api_state(struct fleet *f)
{
	cJSON *o;

	pthread_rwlock_wrlock(&f->lock);
	if (f->pending_sims)
		sims_release_due(f);
	o = fleet_dump(f);
	pthread_rwlock_unlock(&f->lock);
	return o;
}

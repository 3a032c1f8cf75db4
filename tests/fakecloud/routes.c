/*
 * The Particle endpoints erasectl uses, with Particle's paths, field
 * names, status codes and error bodies (see README.md).
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

static void reply_ok(struct reply *out)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddTrueToObject(o, "ok");
	reply_json(out, 200, o);
}

static void reply_empty(struct reply *out, unsigned status)
{
	out->status = status;
	out->body = NULL;
	out->content_type = NULL;
}

/* Adds key=val, replacing an existing key (takes ownership of val). */
static void set_field(cJSON *o, const char *key, cJSON *val)
{
	if (cJSON_GetObjectItemCaseSensitive(o, key))
		cJSON_ReplaceItemInObjectCaseSensitive(o, key, val);
	else
		cJSON_AddItemToObject(o, key, val);
}

static const char *str_field(const cJSON *obj, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* ---- paging ---- */
struct paging {
	long page;
	long per_page;
};

static long parse_long(const char *s, long def)
{
	char *end;
	long v;

	if (!s || !*s)
		return def;
	v = strtol(s, &end, 10);
	return *end || v < 1 ? def : v;
}

static void paging_parse(const struct query *q, struct paging *pg)
{
	const char *pp = query_get(q, "perPage");

	if (!pp)
		pp = query_get(q, "per_page");
	pg->page = parse_long(query_get(q, "page"), 1);
	pg->per_page = parse_long(pp, 25);
	if (pg->per_page > 100)
		pg->per_page = 100;
}

static long total_pages(size_t n, long per_page)
{
	return (long)((n + (size_t)per_page - 1) / (size_t)per_page);
}

/* [*first, *last) of n items on this page. */
static void page_slice(const struct paging *pg, size_t n, size_t *first,
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

/*
 * A device as the API returns it: documented defaults, then the fixture's
 * fields. The list omits notes (as Particle's list does); unclaimed
 * devices have no owner field.
 */
static cJSON *device_json(const struct device *d, int full)
{
	const struct product *p = d->product;
	cJSON *o = cJSON_CreateObject(), *it;
	const char *iccid = str_field(d->obj, "iccid");

	cJSON_AddStringToObject(o, "id", d->id);
	cJSON_AddNullToObject(o, "name");
	cJSON_AddStringToObject(o, "last_ip_address", "192.0.2.10");
	cJSON_AddStringToObject(o, "last_heard", DEFAULT_TIME);
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
		if (!strcmp(it->string, "id") ||
		    (!full && !strcmp(it->string, "notes")) ||
		    (!strcmp(it->string, "owner") && cJSON_IsNull(it)))
			continue;
		set_field(o, it->string, cJSON_Duplicate(it, 1));
	}
	return o;
}

static int device_matches(const struct device *d, const struct query *q)
{
	const char *v;

	if ((v = query_get(q, "deviceId")) && !fc_contains_ci(d->id, v))
		return 0;
	if ((v = query_get(q, "deviceName"))) {
		const char *name = str_field(d->obj, "name");

		if (!name || !fc_contains_ci(name, v))
			return 0;
	}
	if ((v = query_get(q, "serialNumber"))) {
		const char *sn = str_field(d->obj, "serial_number");

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

struct sort_by {
	const char *attr;	/* deviceName|deviceId|firmwareVersion|lastConnection */
	int desc;
};

static const char *sort_key(const struct device *d, const char *attr)
{
	const char *k;

	if (!strcmp(attr, "deviceId"))
		return d->id;
	k = str_field(d->obj, strcmp(attr, "lastConnection") ? "name" : "last_heard");
	return k ? k : "";
}

static int cmp_devices(const void *a, const void *b, void *arg)
{
	const struct sort_by *by = arg;
	const struct device *da = *(struct device *const *)a;
	const struct device *db = *(struct device *const *)b;
	int c;

	if (!strcmp(by->attr, "firmwareVersion")) {
		double fa = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
			da->obj, "firmware_version"));
		double fb = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
			db->obj, "firmware_version"));

		c = (fa > fb) - (fa < fb);
	} else {
		c = strcmp(sort_key(da, by->attr), sort_key(db, by->attr));
	}
	return by->desc ? -c : c;
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

static void list_devices(struct fleet *f, struct product *p,
			 const struct query *q, struct reply *out)
{
	struct paging pg;
	struct device **match = p->devices, *one;
	size_t n = p->ndevices, first, last;
	const char *id = query_get(q, "deviceId");
	const char *sattr = query_get(q, "sortAttr");
	int filtered = query_get(q, "deviceName") || query_get(q, "serialNumber") ||
		       query_get(q, "groups") || query_get(q, "quarantined");
	cJSON *o = cJSON_CreateObject(), *devs, *custs;
	struct hmap seen;

	paging_parse(q, &pg);
	if (id && is_device_id(id) && !filtered) {
		/* A full id: O(1) through the index. */
		char *key = fc_lower(id);

		one = hmap_get(&f->device_by_id, key);
		free(key);
		match = &one;
		n = one && one->product == p;
	} else if (id || filtered || sattr) {
		match = fc_xmalloc(p->ndevices * sizeof(*match));
		n = 0;
		for (size_t i = 0; i < p->ndevices; i++)
			if (device_matches(p->devices[i], q))
				match[n++] = p->devices[i];
		if (sattr && (!strcmp(sattr, "deviceName") ||
			      !strcmp(sattr, "deviceId") ||
			      !strcmp(sattr, "firmwareVersion") ||
			      !strcmp(sattr, "lastConnection"))) {
			const char *dir = query_get(q, "sortDir");
			struct sort_by by = { sattr, dir && !strcmp(dir, "desc") };

			qsort_r(match, n, sizeof(*match), cmp_devices, &by);
		}
	}
	page_slice(&pg, n, &first, &last);
	devs = cJSON_AddArrayToObject(o, "devices");
	custs = cJSON_AddArrayToObject(o, "customers");
	hmap_init(&seen);
	for (size_t i = first; i < last; i++) {
		const struct device *d = match[i];
		const char *cid;

		cJSON_AddItemToArray(devs, device_json(d, 0));
		if (!d->customer)
			continue;
		cid = str_field(d->customer->obj, "id");
		if (cid && !hmap_get(&seen, cid)) {
			cJSON *c = cJSON_CreateObject();

			hmap_put(&seen, cid, d->customer);
			cJSON_AddStringToObject(c, "id", cid);
			cJSON_AddStringToObject(c, "username",
						str_field(d->customer->obj, "username"));
			cJSON_AddItemToArray(custs, c);
		}
	}
	hmap_release(&seen);
	cJSON_AddItemToObject(o, "meta", meta_pages(total_pages(n, pg.per_page)));
	if (match != p->devices && match != &one)
		free(match);
	reply_json(out, 200, o);
}

static struct device *product_device(struct fleet *f, struct product *p,
				     const char *id)
{
	char *key = fc_lower(id);
	struct device *d = hmap_get(&f->device_by_id, key);

	free(key);
	return d && d->product == p ? d : NULL;
}

/* The request body as a JSON object, or form fields turned into one. */
static cJSON *body_object(const struct api_req *r)
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

static void update_device(struct device *d, const struct api_req *r,
			  struct reply *out)
{
	static const char *const fields[] = {
		"name", "notes", "groups", "development",
		"desired_firmware_version",
	};
	cJSON *body = body_object(r), *res, *v;
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
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "id", d->id);
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
		v = cJSON_GetObjectItemCaseSensitive(body, fields[i]);
		if (!v)
			continue;
		set_field(d->obj, fields[i], cJSON_Duplicate(v, 1));
		cJSON_AddItemToObject(res, fields[i], cJSON_Duplicate(v, 1));
	}
	fc_now_iso(now);
	set_field(d->obj, "updated_at", cJSON_CreateString(now));
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
	set_field(o, "devices", devs);
	return o;
}

static void list_customers(struct product *p, const struct query *q,
			   struct reply *out)
{
	struct paging pg;
	size_t first, last;
	cJSON *o = cJSON_CreateObject(), *custs, *devs;

	paging_parse(q, &pg);
	page_slice(&pg, p->ncustomers, &first, &last);
	custs = cJSON_AddArrayToObject(o, "customers");
	devs = cJSON_AddArrayToObject(o, "devices");
	for (size_t i = first; i < last; i++) {
		const struct customer *c = p->customers[i];

		cJSON_AddItemToArray(custs, customer_json(c));
		for (size_t j = 0; j < c->ndevices; j++) {
			cJSON *full = device_json(c->devices[j], 0), *d;
			static const char *const keep[] = {
				"id", "name", "product_id", "last_ip_address",
				"last_heard", "firmware_version", "online",
			};

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
	cJSON_AddItemToObject(o, "meta",
			      meta_pages(total_pages(p->ncustomers, pg.per_page)));
	reply_json(out, 200, o);
}

static void delete_customer(struct product *p, const char *email,
			    struct reply *out)
{
	char *key = fc_lower(email);
	struct customer *c = hmap_get(&p->customer_by_user, key);

	free(key);
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
	const char *iccid = str_field(s->obj, "iccid");
	const char *last = str_field(s->obj, "last_device_id");
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
		char *key = fc_lower(last);
		const struct device *d = hmap_get(&f->device_by_id, key);
		const char *name = d ? str_field(d->obj, "name") : NULL;

		free(key);
		if (name)
			set_field(o, "last_device_name", cJSON_CreateString(name));
	}
	cJSON_ArrayForEach(it, s->obj)
		set_field(o, it->string, cJSON_Duplicate(it, 1));
	return o;
}

static void list_sims(struct fleet *f, struct product *p,
		      const struct query *q, struct reply *out)
{
	const char *iccid = query_get(q, "iccid");
	const char *dev = query_get(q, "deviceId");
	const char *dname = query_get(q, "deviceName");
	struct paging pg;
	struct sim **match = fc_xmalloc((p->nsims + 1) * sizeof(*match));
	size_t n = 0, first, last;
	cJSON *o = cJSON_CreateObject(), *sims;

	paging_parse(q, &pg);
	for (size_t i = 0; i < p->nsims; i++) {
		const cJSON *so = p->sims[i]->obj;
		const char *last_id = str_field(so, "last_device_id");

		if (iccid && !fc_contains_ci(str_field(so, "iccid"), iccid))
			continue;
		if (dev && (!last_id || !fc_contains_ci(last_id, dev)))
			continue;
		if (dname) {
			char *key = last_id ? fc_lower(last_id) : NULL;
			const struct device *d = key ? hmap_get(&f->device_by_id, key) : NULL;
			const char *name = d ? str_field(d->obj, "name") : NULL;

			free(key);
			if (!name || !fc_contains_ci(name, dname))
				continue;
		}
		match[n++] = p->sims[i];
	}
	page_slice(&pg, n, &first, &last);
	sims = cJSON_AddArrayToObject(o, "sims");
	for (size_t i = first; i < last; i++)
		cJSON_AddItemToArray(sims, sim_json(f, match[i]));
	cJSON_AddItemToObject(o, "meta", meta_pages(total_pages(n, pg.per_page)));
	free(match);
	reply_json(out, 200, o);
}

static void update_sim(struct sim *s, const struct api_req *r,
		       struct reply *out)
{
	cJSON *body = body_object(r);
	const char *action = body ? str_field(body, "action") : NULL;
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
	set_field(s->obj, "status", cJSON_CreateString(status));
	fc_now_iso(now);
	set_field(s->obj, "updated_at", cJSON_CreateString(now));
	reply_ok(out);
}

static void sim_routes(struct fleet *f, struct product *p,
		       const struct api_req *r, struct reply *out)
{
	struct sim *s;

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
	} else if (!strcmp(r->method, "PUT")) {
		update_sim(s, r, out);
	} else if (!strcmp(r->method, "DELETE")) {
		sim_remove(p, s);
		reply_empty(out, 204);
	} else {
		goto not_found;
	}
	return;
not_found:
	reply_error(out, 404, "Not found");
}

/* ---- ledger ---- */
static cJSON *instance_json(const struct ledger *l, const struct instance *in)
{
	cJSON *o = cJSON_CreateObject(), *scope, *it;
	char *data = cJSON_PrintUnformatted(
		cJSON_GetObjectItemCaseSensitive(in->obj, "data"));

	cJSON_AddStringToObject(o, "name", l->name);
	scope = cJSON_AddObjectToObject(o, "scope");
	cJSON_AddStringToObject(scope, "type", l->scope);
	cJSON_AddStringToObject(scope, "value", in->scope_value);
	cJSON_AddNumberToObject(o, "size_bytes", data ? (double)strlen(data) : 0);
	free(data);
	cJSON_ArrayForEach(it, in->obj)
		if (strcmp(it->string, "scope_value"))
			set_field(o, it->string, cJSON_Duplicate(it, 1));
	return o;
}

static void set_instance(struct ledger *l, struct instance *in,
			 const char *sv, const struct api_req *r,
			 struct reply *out)
{
	cJSON *body = body_object(r), *data, *inst, *o;
	char now[32];

	inst = body ? cJSON_GetObjectItemCaseSensitive(body, "instance") : NULL;
	data = cJSON_GetObjectItemCaseSensitive(inst ? inst : body, "data");
	if (!cJSON_IsObject(data)) {
		cJSON_Delete(body);
		reply_error(out, 400, "instance.data must be an object");
		return;
	}
	fc_now_iso(now);
	if (!in) {
		in = fc_xmalloc(sizeof(*in));
		in->obj = cJSON_CreateObject();
		cJSON_AddStringToObject(in->obj, "scope_value", sv);
		cJSON_AddObjectToObject(in->obj, "data");
		cJSON_AddStringToObject(in->obj, "created_at", now);
		in->scope_value = str_field(in->obj, "scope_value");
		hmap_put(&l->by_scope, sv, in);
		fc_grow((void **)&l->instances, &l->ainstances, l->ninstances,
			sizeof(*l->instances));
		l->instances[l->ninstances++] = in;
	}
	set_field(in->obj, "data", cJSON_Duplicate(data, 1));
	set_field(in->obj, "updated_at", cJSON_CreateString(now));
	cJSON_Delete(body);
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "instance", instance_json(l, in));
	reply_json(out, 200, o);
}

/* seg[i] is "ledgers". */
static void ledger_routes(struct fleet *f, const struct api_req *r, size_t i,
			  struct reply *out)
{
	struct ledger *l;
	struct instance *in;
	size_t rest = r->nseg - i;

	if (rest < 3 || rest > 4 || strcmp(r->seg[i + 2], "instances"))
		goto not_found;
	l = fleet_ledger(f, r->seg[i + 1]);
	if (!l) {
		reply_error(out, 404, "Ledger not found");
		return;
	}
	if (rest == 3) {
		struct paging pg;
		size_t first, last;
		cJSON *o, *arr, *meta;

		if (strcmp(r->method, "GET"))
			goto not_found;
		paging_parse(r->query, &pg);
		page_slice(&pg, l->ninstances, &first, &last);
		o = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(o, "instances");
		for (size_t k = first; k < last; k++)
			cJSON_AddItemToArray(arr, instance_json(l, l->instances[k]));
		meta = cJSON_AddObjectToObject(o, "meta");
		cJSON_AddNumberToObject(meta, "page", (double)pg.page);
		cJSON_AddNumberToObject(meta, "per_page", (double)pg.per_page);
		cJSON_AddNumberToObject(meta, "total_pages",
					(double)total_pages(l->ninstances, pg.per_page));
		cJSON_AddNumberToObject(meta, "total", (double)l->ninstances);
		reply_json(out, 200, o);
		return;
	}
	in = hmap_get(&l->by_scope, r->seg[i + 3]);
	if (!strcmp(r->method, "PUT")) {
		set_instance(l, in, r->seg[i + 3], r, out);
		return;
	}
	if (!in) {
		reply_error(out, 404, "Ledger instance not found");
		return;
	}
	if (!strcmp(r->method, "GET")) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddItemToObject(o, "instance", instance_json(l, in));
		reply_json(out, 200, o);
	} else if (!strcmp(r->method, "DELETE")) {
		instance_remove(l, in);
		reply_empty(out, 204);
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
	if (r->nseg > 5 || (r->nseg == 5 && strcmp(r->seg[4], "owner")))
		goto not_found;
	d = product_device(f, p, r->seg[3]);
	if (!d) {
		reply_error(out, 404, "Device not found");
		return;
	}
	if (r->nseg == 5) {
		if (strcmp(m, "DELETE"))
			goto not_found;
		/* Unclaim: the device stays in the product. */
		device_detach_customer(d);
		set_field(d->obj, "owner", cJSON_CreateNull());
		reply_ok(out);
	} else if (!strcmp(m, "GET")) {
		reply_json(out, 200, device_json(d, 1));
	} else if (!strcmp(m, "PUT")) {
		update_device(d, r, out);
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

static void product_routes(struct fleet *f, const struct api_req *r,
			   struct reply *out)
{
	struct product *p = fleet_product(f, r->seg[1]);

	if (!p) {
		reply_error(out, 404, "Product not found");
		return;
	}
	if (r->nseg == 2) {
		cJSON *o = cJSON_CreateObject(), *prod, *it;

		if (strcmp(r->method, "GET")) {
			cJSON_Delete(o);
			reply_error(out, 404, "Not found");
			return;
		}
		prod = cJSON_AddObjectToObject(o, "product");
		cJSON_AddNumberToObject(prod, "id", (double)p->id);
		if (p->slug)
			cJSON_AddStringToObject(prod, "slug", p->slug);
		cJSON_ArrayForEach(it, p->extra)
			set_field(prod, it->string, cJSON_Duplicate(it, 1));
		reply_json(out, 200, o);
	} else if (!strcmp(r->seg[2], "customers")) {
		if (r->nseg == 3 && !strcmp(r->method, "GET"))
			list_customers(p, r->query, out);
		else if (r->nseg == 4 && !strcmp(r->method, "DELETE"))
			delete_customer(p, r->seg[3], out);
		else
			reply_error(out, 404, "Not found");
	} else if (!strcmp(r->seg[2], "devices")) {
		device_routes(f, p, r, out);
	} else if (!strcmp(r->seg[2], "sims")) {
		sim_routes(f, p, r, out);
	} else if (!strcmp(r->seg[2], "ledgers")) {
		ledger_routes(f, r, 2, out);
	} else {
		reply_error(out, 404, "Not found");
	}
}

static void token_info(struct fleet *f, struct reply *out)
{
	static const char *const scopes[] = {
		"customers:list", "customers:remove", "devices:list",
		"devices:get", "devices:update", "devices:remove",
		"devices:release", "sims:list", "sims:get", "sims:update",
		"sims:remove", "ledger.instances:list", "ledger.instances:get",
		"ledger.instances:remove",
	};
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNullToObject(o, "expires_at");
	cJSON_AddStringToObject(o, "client", "fakecloud");
	if (f->token_scopes)
		cJSON_AddItemToObject(o, "scopes", cJSON_Duplicate(f->token_scopes, 1));
	else
		cJSON_AddItemToObject(o, "scopes", cJSON_CreateStringArray(
			scopes, (int)(sizeof(scopes) / sizeof(*scopes))));
	cJSON_AddArrayToObject(o, "orgs");
	reply_json(out, 200, o);
}

static void route(struct fleet *f, const struct api_req *r, struct reply *out)
{
	const char *m = r->method;

	if (r->nseg == 2 && !strcmp(r->seg[0], "access_tokens") &&
	    !strcmp(r->seg[1], "current") && !strcmp(m, "GET")) {
		token_info(f, out);
	} else if (r->nseg >= 2 && !strcmp(r->seg[0], "products")) {
		product_routes(f, r, out);
	} else if (r->nseg >= 1 && !strcmp(r->seg[0], "ledgers")) {
		ledger_routes(f, r, 0, out);
	} else if (r->nseg == 2 && !strcmp(r->seg[0], "devices") &&
		   !strcmp(m, "GET")) {
		char *key = fc_lower(r->seg[1]);
		struct device *d = hmap_get(&f->device_by_id, key);

		free(key);
		if (d)
			reply_json(out, 200, device_json(d, 1));
		else
			reply_error(out, 404, "Device not found");
	} else {
		reply_error(out, 404, "Not found");
	}
}

void api_handle(struct fleet *f, const struct api_req *r, struct reply *out)
{
	int write = strcmp(r->method, "GET") && strcmp(r->method, "HEAD");

	if (write)
		pthread_rwlock_wrlock(&f->lock);
	else
		pthread_rwlock_rdlock(&f->lock);
	route(f, r, out);
	pthread_rwlock_unlock(&f->lock);
}

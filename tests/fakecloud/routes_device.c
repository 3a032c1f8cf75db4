/*
 * The other places a device's data lives (README.md "Conformance"):
 * per-device configuration, cloud functions, Tracker locations, device
 * vitals and integrations. Locations and vitals are read-only (the
 * description has no way to delete them) and, like integrations, outlive
 * the device's removal from the product.
 */
#include "fakecloud.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define DEFAULT_TIME "2026-01-01T00:00:00.000Z"
#define MAX_FUNCTION_ARG 63
#define VITALS_DAYS 30

static int is_get(const struct api_req *r)
{
	return !strcmp(r->method, "GET");
}

static int body_blank(const struct api_req *r)
{
	for (size_t i = 0; i < r->body_len; i++)
		if (!isspace((unsigned char)r->body[i]))
			return 0;
	return 1;
}

/* ---- configuration ---- */

/* "Configuration not set": 404 with an empty object, as documented. */
static void reply_not_set(struct reply *out)
{
	reply_json(out, 404, cJSON_CreateObject());
}

/* Makes pending (or a reset, {}) the device's configuration. */
static void config_apply(struct device *d, const cJSON *pending)
{
	const cJSON *p = d->product->config;

	if (cJSON_GetArraySize(pending))
		fc_set(d->obj, "config", cJSON_Duplicate(pending, 1));
	else if (p)
		fc_set(d->obj, "config", cJSON_Duplicate(p, 1));
	else
		cJSON_DeleteItemFromObjectCaseSensitive(d->obj, "config");
}

/* GetDeviceConfig: current (own, else the product's) and pending. */
static void get_device_config(const struct device *d, struct reply *out)
{
	const cJSON *cur = cJSON_GetObjectItemCaseSensitive(d->obj, "config");
	const cJSON *pend = cJSON_GetObjectItemCaseSensitive(d->obj, "config_pending");
	cJSON *o, *c;

	if (!cur)
		cur = d->product->config;
	if (!cur && !pend) {
		reply_not_set(out);
		return;
	}
	o = cJSON_CreateObject();
	c = cJSON_AddObjectToObject(o, "configuration");
	cJSON_AddItemToObject(c, "current", cur ? cJSON_Duplicate(cur, 1) :
						  cJSON_CreateObject());
	cJSON_AddItemToObject(c, "pending", pend ? cJSON_Duplicate(pend, 1) :
						   cJSON_CreateObject());
	reply_json(out, 200, o);
}

/*
 * SetDeviceConfig: the body replaces the device's configuration (no
 * merging); an empty body (or {}) resets it to the product's. An online
 * device takes it now (200 {}); an offline one gets it when it comes
 * online (202 {}, "pending" until then).
 */
static void set_device_config(struct device *d, const struct api_req *r,
			      struct reply *out)
{
	cJSON *body = body_blank(r) ? cJSON_CreateObject() : api_body_object(r);
	const char *ct = r->content_type ? r->content_type : "";

	if (!body) {
		reply_error(out, 400, "Request body must be a JSON object");
		return;
	}
	if (!strncasecmp(ct, "application/schema+json", 23)) {
		/* SetDeviceSchema. */
		fc_set(d->obj, "config_schema", cJSON_Duplicate(body, 1));
		reply_json(out, 200, body);
		return;
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d->obj, "online"))) {
		config_apply(d, body);
		cJSON_DeleteItemFromObjectCaseSensitive(d->obj, "config_pending");
		reply_json(out, 200, cJSON_CreateObject());
	} else {
		if (!cJSON_GetArraySize(body) && d->product->config) {
			cJSON_Delete(body);
			body = cJSON_Duplicate(d->product->config, 1);
		}
		fc_set(d->obj, "config_pending", body);
		reply_json(out, 202, cJSON_CreateObject());
		return;
	}
	cJSON_Delete(body);
}

void config_routes(struct fleet *f, struct product *p,
		   const struct api_req *r, struct reply *out)
{
	struct device *d;

	if (r->nseg == 3 && is_get(r)) {
		/* GetProductConfig. */
		cJSON *o;

		if (!p->config) {
			reply_not_set(out);
			return;
		}
		o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "configuration", cJSON_Duplicate(p->config, 1));
		reply_json(out, 200, o);
		return;
	}
	if (r->nseg != 4) {
		reply_error(out, 404, "Not found");
		return;
	}
	d = product_device(f, p, r->seg[3]);
	if (!d) {
		reply_error(out, 404, "Device not found");
	} else if (is_get(r)) {
		get_device_config(d, out);
	} else if (!strcmp(r->method, "PUT")) {
		set_device_config(d, r, out);
	} else if (!strcmp(r->method, "DELETE")) {
		/* DeleteDeviceConfigSchema: the schema, not the values. */
		cJSON_DeleteItemFromObjectCaseSensitive(d->obj, "config_schema");
		reply_empty(out, 204);
	} else {
		reply_error(out, 404, "Not found");
	}
}

/* POST /admin/devices/:id {"online": BOOL}. */
void api_admin_device(struct fleet *f, const char *id, const char *body,
		      size_t len, struct reply *out)
{
	cJSON *o = cJSON_ParseWithLengthOpts(body ? body : "", len + 1, NULL, 1);
	const cJSON *online = cJSON_GetObjectItemCaseSensitive(o, "online");
	struct device *d;
	cJSON *res, *dev;

	if (!cJSON_IsObject(o) || !cJSON_IsBool(online)) {
		cJSON_Delete(o);
		reply_error(out, 400, "expected {\"online\": true|false}");
		return;
	}
	pthread_rwlock_wrlock(&f->lock);
	d = fleet_device(f, id);
	if (!d) {
		pthread_rwlock_unlock(&f->lock);
		cJSON_Delete(o);
		reply_error(out, 404, "Device not found");
		return;
	}
	fc_set(d->obj, "online", cJSON_CreateBool(cJSON_IsTrue(online)));
	if (cJSON_IsTrue(online)) {
		cJSON *pend = cJSON_DetachItemFromObjectCaseSensitive(d->obj,
								       "config_pending");

		/* Connecting: heard from now; a pending configuration lands. */
		device_heard_now(d);
		if (pend)
			config_apply(d, pend);
		cJSON_Delete(pend);
	}
	res = cJSON_CreateObject();
	cJSON_AddTrueToObject(res, "ok");
	dev = cJSON_AddObjectToObject(res, "device");
	cJSON_AddStringToObject(dev, "id", d->id);
	cJSON_AddBoolToObject(dev, "online", cJSON_IsTrue(online));
	cJSON_AddItemToObject(dev, "last_heard", cJSON_Duplicate(
		cJSON_GetObjectItemCaseSensitive(d->obj, "last_heard"), 1));
	pthread_rwlock_unlock(&f->lock);
	cJSON_Delete(o);
	reply_json(out, 200, res);
}

/* ---- cloud functions ---- */
static int has_function(const struct device *d, const char *name)
{
	const cJSON *fn;

	cJSON_ArrayForEach(fn, cJSON_GetObjectItemCaseSensitive(d->obj, "functions"))
		if (cJSON_IsString(fn) && !strcmp(fn->valuestring, name))
			return 1;
	return 0;
}

/*
 * PostV1DevicesDeviceidFunctionname: {id, name, connected, return_value};
 * format=raw answers the bare value. The call is recorded in the device's
 * "function_calls" (state dump). An offline device answers 404 and an
 * unknown function 404 too (the reference's error table; the description
 * documents no error); arg is cut to its documented 63 characters.
 * function_timeout: the device runs it but the answer is 408.
 */
void function_call(struct fleet *f, struct device *d,
		   const struct api_req *r, const char *name,
		   struct reply *out)
{
	cJSON *body = body_blank(r) ? cJSON_CreateObject() : api_body_object(r);
	const char *arg, *format;
	cJSON *calls, *call, *res;
	const cJSON *rv;
	char now[32];
	double value;

	if (!body) {
		reply_error(out, 400, "Request body must be a JSON object");
		return;
	}
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d->obj, "online"))) {
		cJSON_Delete(body);
		reply_error(out, 404, "Device is not connected to the cloud");
		return;
	}
	if (!has_function(d, name)) {
		cJSON_Delete(body);
		reply_error(out, 404, "Function not found");
		return;
	}
	arg = fc_str(body, "arg");
	format = fc_str(body, "format");
	calls = cJSON_GetObjectItemCaseSensitive(d->obj, "function_calls");
	if (!cJSON_IsArray(calls)) {
		calls = cJSON_CreateArray();
		fc_set(d->obj, "function_calls", calls);
	}
	fc_now_iso(now);
	call = cJSON_CreateObject();
	cJSON_AddStringToObject(call, "name", name);
	if (arg) {
		char *cut = fc_xstrndup(arg, strnlen(arg, MAX_FUNCTION_ARG));

		cJSON_AddStringToObject(call, "arg", cut);
		free(cut);
	} else {
		cJSON_AddNullToObject(call, "arg");
	}
	cJSON_AddStringToObject(call, "at", now);
	if (f->bh.function_timeout)
		cJSON_AddTrueToObject(call, "timed_out");
	cJSON_AddItemToArray(calls, call);
	rv = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(d->obj, "function_results"), name);
	value = cJSON_IsNumber(rv) ? rv->valuedouble : 1;
	if (f->bh.function_timeout) {
		reply_error(out, 408, "timed out");
	} else if (format && !strcmp(format, "raw")) {
		cJSON *n = cJSON_CreateNumber(value);
		char *text = cJSON_PrintUnformatted(n);

		reply_text(out, 200, text ? text : "");
		cJSON_free(text);
		cJSON_Delete(n);
	} else {
		res = cJSON_CreateObject();
		cJSON_AddStringToObject(res, "id", d->id);
		cJSON_AddItemToObject(res, "name", cJSON_Duplicate(
			cJSON_GetObjectItemCaseSensitive(d->obj, "name"), 1));
		if (!cJSON_GetObjectItemCaseSensitive(res, "name"))
			cJSON_AddNullToObject(res, "name");
		cJSON_AddTrueToObject(res, "connected");
		cJSON_AddNumberToObject(res, "return_value", value);
		reply_json(out, 200, res);
	}
	cJSON_Delete(body);
}

/* ---- locations (Tracker) ---- */
struct loc_query {
	int range, rect;
	int64_t from, to;
	double bl_lat, bl_lon, tr_lat, tr_lon;
};

static int parse_pair(const char *s, double *a, double *b)
{
	char *end;

	*a = strtod(s, &end);
	if (end == s || *end != ',')
		return -1;
	s = end + 1;
	*b = strtod(s, &end);
	return end == s || *end ? -1 : 0;
}

static int loc_query_parse(const struct query *q, struct loc_query *lq)
{
	const char *range = query_get(q, "date_range");
	const char *bl = query_get(q, "rect_bl"), *tr = query_get(q, "rect_tr");

	memset(lq, 0, sizeof(*lq));
	if (range) {
		const char *comma = strchr(range, ',');
		char *from;
		int bad;

		if (!comma)
			return -1;
		from = fc_xstrndup(range, (size_t)(comma - range));
		bad = fc_parse_iso(from, &lq->from) ||
		      fc_parse_iso(comma + 1, &lq->to);
		free(from);
		if (bad)
			return -1;
		lq->range = 1;
	}
	if (bl || tr) {
		if (!bl || !tr || parse_pair(bl, &lq->bl_lat, &lq->bl_lon) ||
		    parse_pair(tr, &lq->tr_lat, &lq->tr_lon))
			return -1;
		lq->rect = 1;
	}
	return 0;
}

/* A point {"timestamp", "coordinates": [lon, lat], ...} in the query? */
static int point_in(const cJSON *pt, const struct loc_query *lq)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(pt, "coordinates");
	const char *ts = fc_str(pt, "timestamp");
	int64_t t;

	if (lq->range && (!ts || fc_parse_iso(ts, &t) || t < lq->from ||
			  t > lq->to))
		return 0;
	if (lq->rect) {
		double lon = cJSON_GetNumberValue(cJSON_GetArrayItem(c, 0));
		double lat = cJSON_GetNumberValue(cJSON_GetArrayItem(c, 1));

		if (!(lat >= lq->bl_lat && lat <= lq->tr_lat &&
		      lon >= lq->bl_lon && lon <= lq->tr_lon))
			return 0;
	}
	return 1;
}

/*
 * One device's location entry: its last known point, or with date_range
 * every point in range (a LineString). NULL if no point is selected and
 * the caller wants only devices with data.
 */
static cJSON *location_json(struct fleet *f, const struct product *p,
			    const char *id, const cJSON *pts,
			    const struct loc_query *lq, int single)
{
	const struct device *d = fleet_device(f, id);
	const cJSON *pt, *last = NULL, *v;
	cJSON *o, *ts, *geo = NULL, *coords = NULL, *props = NULL;
	size_t n = 0;

	if (d && d->product != p)
		d = NULL;
	if (!lq->range) {
		/* The last known location, if it is in the box. */
		cJSON_ArrayForEach(pt, pts)
			last = pt;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "device_id", id);
	cJSON_AddNumberToObject(o, "product_id", (double)p->id);
	v = d ? cJSON_GetObjectItemCaseSensitive(d->obj, "name") : NULL;
	cJSON_AddItemToObject(o, "device_name", v ? cJSON_Duplicate(v, 1) :
						    cJSON_CreateNull());
	v = d ? cJSON_GetObjectItemCaseSensitive(d->obj, "groups") : NULL;
	cJSON_AddItemToObject(o, "groups", v ? cJSON_Duplicate(v, 1) :
					       cJSON_CreateArray());
	cJSON_AddTrueToObject(o, "gps_lock");
	cJSON_AddNullToObject(o, "last_heard");
	ts = cJSON_AddArrayToObject(o, "timestamps");
	cJSON_AddBoolToObject(o, "online", d && cJSON_IsTrue(
		cJSON_GetObjectItemCaseSensitive(d->obj, "online")));
	if (lq->range) {
		geo = cJSON_AddObjectToObject(o, "geometry");
		cJSON_AddStringToObject(geo, "type", "LineString");
		coords = cJSON_AddArrayToObject(geo, "coordinates");
	}
	if (single)
		props = cJSON_AddArrayToObject(o, "properties");
	cJSON_ArrayForEach(pt, pts) {
		if ((last && pt != last) || !point_in(pt, lq))
			continue;
		n++;
		v = cJSON_GetObjectItemCaseSensitive(pt, "timestamp");
		cJSON_AddItemToArray(ts, v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
		fc_set(o, "last_heard", v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
		v = cJSON_GetObjectItemCaseSensitive(pt, "gps_lock");
		if (cJSON_IsBool(v))
			fc_set(o, "gps_lock", cJSON_Duplicate(v, 1));
		v = cJSON_GetObjectItemCaseSensitive(pt, "coordinates");
		if (coords) {
			cJSON_AddItemToArray(coords, cJSON_Duplicate(v, 1));
		} else {
			geo = cJSON_AddObjectToObject(o, "geometry");
			cJSON_AddStringToObject(geo, "type", "Point");
			cJSON_AddItemToObject(geo, "coordinates", cJSON_Duplicate(v, 1));
		}
		if (props) {
			v = cJSON_GetObjectItemCaseSensitive(pt, "properties");
			cJSON_AddItemToArray(props, v ? cJSON_Duplicate(v, 1) :
							cJSON_CreateObject());
		}
	}
	if (d && (v = cJSON_GetObjectItemCaseSensitive(d->obj, "last_heard")))
		fc_set(o, "last_heard", cJSON_Duplicate(v, 1));
	if (!n && !single) {
		cJSON_Delete(o);
		return NULL;
	}
	if (!geo)
		cJSON_AddNullToObject(o, "geometry");
	return o;
}

/* Comma-separated groups: does the device belong to one of them? */
static int in_groups(const struct device *d, const char *groups)
{
	const cJSON *g;

	if (!d)
		return 0;
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(d->obj, "groups")) {
		size_t n = cJSON_IsString(g) ? strlen(g->valuestring) : 0;

		for (const char *p = groups; n && *p;) {
			size_t len = strcspn(p, ",");

			if (len == n && !strncmp(p, g->valuestring, n))
				return 1;
			p += len + (p[len] == ',');
		}
	}
	return 0;
}

/* GetLocations: devices with a point selected, paged (20, at most 100). */
static void list_locations(struct fleet *f, struct product *p,
			   const struct query *q, const struct loc_query *lq,
			   struct reply *out)
{
	const char *idp = query_get(q, "device_id");
	const char *namep = query_get(q, "device_name");
	const char *groups = query_get(q, "groups");
	struct paging pg;
	size_t first, last, n = 0;
	cJSON *o = cJSON_CreateObject(), *locs, *all = cJSON_CreateArray(), *meta;
	char *idl = idp ? fc_lower(idp) : NULL;

	paging_parse(q, &pg, 20);
	for (size_t i = 0; i < kstore_count(&p->locations); i++) {
		cJSON *pts, *e;
		const char *id = kstore_key(&p->locations, i, &pts);
		const struct device *d = product_device(f, p, id);
		const char *name = d ? fc_str(d->obj, "name") : NULL;

		if ((idl && strncmp(id, idl, strlen(idl))) ||
		    (namep && (!name || strncmp(name, namep, strlen(namep)))) ||
		    (groups && *groups && !in_groups(d, groups)))
			continue;
		if ((e = location_json(f, p, id, pts, lq, 0))) {
			cJSON_AddItemToArray(all, e);
			n++;
		}
	}
	page_slice(&pg, n, &first, &last);
	locs = cJSON_AddArrayToObject(o, "locations");
	for (size_t i = 0; i < last; i++) {
		cJSON *e = cJSON_DetachItemViaPointer(all, all->child);

		if (i >= first)
			cJSON_AddItemToArray(locs, e);
		else
			cJSON_Delete(e);
	}
	meta = cJSON_AddObjectToObject(o, "meta");
	cJSON_AddNumberToObject(meta, "page", (double)pg.page);
	cJSON_AddNumberToObject(meta, "per_page", (double)pg.per_page);
	cJSON_AddNumberToObject(meta, "total_pages", (double)total_pages(n, pg.per_page));
	cJSON_AddNumberToObject(meta, "devices_found", (double)n);
	cJSON_Delete(all);
	free(idl);
	reply_json(out, 200, o);
}

void location_routes(struct fleet *f, struct product *p,
		     const struct api_req *r, struct reply *out)
{
	struct loc_query lq;
	cJSON *pts, *o;
	char *id;

	if (!is_get(r) || r->nseg > 4) {
		reply_error(out, 404, "Not found");
		return;
	}
	if (loc_query_parse(r->query, &lq)) {
		reply_error(out, 400, "date_range must be two ISO 8601 dates and "
			    "rect_bl, rect_tr latitude,longitude pairs");
		return;
	}
	if (r->nseg == 3) {
		list_locations(f, p, r->query, &lq, out);
		return;
	}
	/* getLocation: the history outlives the device's removal. */
	id = fc_lower(r->seg[3]);
	pts = kstore_get(&p->locations, id);
	if (!pts && !product_device(f, p, id)) {
		free(id);
		reply_error(out, 404, "Device not found");
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "location", location_json(f, p, id, pts, &lq, 1));
	cJSON_AddObjectToObject(o, "meta");
	free(id);
	reply_json(out, 200, o);
}

/* ---- device vitals ---- */
static cJSON *vitals_json(const char *id, const cJSON *rec)
{
	cJSON *o = cJSON_CreateObject();
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, "updated_at");

	cJSON_AddItemToObject(o, "updated_at", v ? cJSON_Duplicate(v, 1) :
						   cJSON_CreateString(DEFAULT_TIME));
	cJSON_AddStringToObject(o, "deviceID", id);
	v = cJSON_GetObjectItemCaseSensitive(rec, "payload");
	cJSON_AddItemToObject(o, "payload", v ? cJSON_Duplicate(v, 1) :
						cJSON_CreateObject());
	return o;
}

/* The documented bad_request body, with the example's status (200). */
static void vitals_bad_request(struct reply *out, const char *why)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "error", "bad_request");
	cJSON_AddStringToObject(o, "description", why);
	reply_json(out, 200, o);
}

/*
 * getAllDeviceDiagnostics, getLastDeviceDiagnostics. Records are kept
 * (the fake does not expire them) and outlive the device's removal.
 */
void diagnostics_routes(struct fleet *f, struct product *p,
			const struct api_req *r, size_t i, struct reply *out)
{
	size_t rest = r->nseg - i;
	const struct device *d;
	const cJSON *recs, *rec, *v;
	int64_t from = 0, to = 0, t;
	const char *s, *e;
	cJSON *o, *arr;
	char *id;

	if (!is_get(r) || rest < 2 || rest > 3 ||
	    (rest == 3 && strcmp(r->seg[i + 2], "last"))) {
		reply_error(out, 404, "Not found");
		return;
	}
	id = fc_lower(r->seg[i + 1]);
	d = fleet_device(f, id);
	recs = kstore_get(&f->vitals, id);
	if ((p && d && d->product != p) || (!d && !recs)) {
		free(id);
		reply_error(out, 404, "Device not found");
		return;
	}
	if (rest == 3) {
		rec = NULL;
		cJSON_ArrayForEach(v, recs)
			rec = v;
		if (!rec) {
			reply_error(out, 404, "No diagnostics found");
		} else {
			o = cJSON_CreateObject();
			cJSON_AddItemToObject(o, "diagnostics", vitals_json(id, rec));
			reply_json(out, 200, o);
		}
		free(id);
		return;
	}
	s = query_get(r->query, "start_date");
	e = query_get(r->query, "end_date");
	if ((s && fc_parse_iso(s, &from)) || (e && fc_parse_iso(e, &to))) {
		free(id);
		vitals_bad_request(out, "start_date and end_date must be ISO8601 formatted");
		return;
	}
	if (s && from < fc_wall_ms() - (int64_t)VITALS_DAYS * 86400000) {
		free(id);
		vitals_bad_request(out, "start_date must not be more than than 30 days ago");
		return;
	}
	o = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(o, "diagnostics");
	cJSON_ArrayForEach(rec, recs) {
		const char *at = fc_str(rec, "updated_at");

		if ((s || e) && (!at || fc_parse_iso(at, &t) ||
				 (s && t < from) || (e && t >= to)))
			continue;
		cJSON_AddItemToArray(arr, vitals_json(id, rec));
	}
	free(id);
	reply_json(out, 200, o);
}

/* ---- integrations ---- */
/* The fixture's integration; the list leaves out "logs". */
static cJSON *integration_json(const cJSON *it, int logs)
{
	cJSON *o = cJSON_Duplicate(it, 1);

	if (!cJSON_GetObjectItemCaseSensitive(o, "integration_type"))
		cJSON_AddStringToObject(o, "integration_type", "Webhook");
	if (!cJSON_GetObjectItemCaseSensitive(o, "created_at"))
		cJSON_AddStringToObject(o, "created_at", DEFAULT_TIME);
	if (!logs)
		cJSON_DeleteItemFromObjectCaseSensitive(o, "logs");
	else if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "logs")))
		fc_set(o, "logs", cJSON_CreateArray());
	return o;
}

/*
 * listIntegrations (a bare array; /webhooks lists only webhooks),
 * Get_Integration ({"integration": {..., "logs": [...]}}) and
 * Delete_Integration (204).
 */
void integration_routes(struct product *p, const struct api_req *r,
			struct reply *out)
{
	int hooks = !strcmp(r->seg[2], "webhooks");
	int del = !strcmp(r->method, "DELETE");
	cJSON *it;

	if ((!is_get(r) && !(del && r->nseg == 4)) || r->nseg > 4) {
		reply_error(out, 404, "Not found");
		return;
	}
	if (r->nseg == 3) {
		cJSON *arr = cJSON_CreateArray();

		cJSON_ArrayForEach(it, p->integrations) {
			const char *type = fc_str(it, "integration_type");

			if (!hooks || !type || !strcmp(type, "Webhook"))
				cJSON_AddItemToArray(arr, integration_json(it, 0));
		}
		reply_json(out, 200, arr);
		return;
	}
	cJSON_ArrayForEach(it, p->integrations) {
		const char *id = fc_str(it, "id");

		if (id && !strcmp(id, r->seg[3])) {
			cJSON *o;

			if (del) {
				cJSON_Delete(cJSON_DetachItemViaPointer(p->integrations, it));
				reply_empty(out, 204);
				return;
			}
			o = cJSON_CreateObject();
			cJSON_AddItemToObject(o, "integration", integration_json(it, 1));
			reply_json(out, 200, o);
			return;
		}
	}
	reply_error(out, 404, "Integration not found");
}

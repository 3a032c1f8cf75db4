/*
 * Ledger (GetV1Ledgers... entries of the description), also under
 * /v1/products/:p/: definitions, instances and instance versions. A
 * missing definition and a missing instance are distinct 404s. Deleting or
 * replacing an instance keeps its data as a version: the description does
 * not say that deleting an instance deletes its versions, so they stay.
 */
#include "fakecloud.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define DEFAULT_TIME "2026-01-01T00:00:00.000Z"

static cJSON *record_json(const struct ledger *l, const char *sv,
			  const cJSON *rec)
{
	cJSON *o = cJSON_CreateObject(), *scope, *it;
	char *data = cJSON_PrintUnformatted(
		cJSON_GetObjectItemCaseSensitive(rec, "data"));

	cJSON_AddStringToObject(o, "name", l->name);
	scope = cJSON_AddObjectToObject(o, "scope");
	cJSON_AddStringToObject(scope, "type", l->scope);
	cJSON_AddStringToObject(scope, "value", sv);
	cJSON_AddNumberToObject(o, "size_bytes", data ? (double)strlen(data) : 0);
	free(data);
	cJSON_ArrayForEach(it, rec)
		if (strcmp(it->string, "scope_value"))
			fc_set(o, it->string, cJSON_Duplicate(it, 1));
	return o;
}

static cJSON *instance_json(const struct ledger *l, const struct instance *in)
{
	return record_json(l, in->scope_value, in->obj);
}

/* GetV1LedgersLedgername: the documented definition fields. */
static cJSON *definition_json(const struct ledger *l)
{
	cJSON *o = cJSON_CreateObject(), *it;

	cJSON_AddStringToObject(o, "scope", l->scope);
	cJSON_AddStringToObject(o, "name", l->name);
	cJSON_AddStringToObject(o, "description", "");
	cJSON_AddStringToObject(o, "direction", "Downstream");
	cJSON_AddStringToObject(o, "updated_at", DEFAULT_TIME);
	cJSON_AddStringToObject(o, "created_at", DEFAULT_TIME);
	cJSON_AddNullToObject(o, "archived_at");
	cJSON_ArrayForEach(it, l->obj)
		fc_set(o, it->string, cJSON_Duplicate(it, 1));
	return o;
}

static int archived(const struct ledger *l)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(l->obj, "archived_at");

	return a && !cJSON_IsNull(a);
}

static cJSON *list_meta(const struct paging *pg, size_t total)
{
	cJSON *meta = cJSON_CreateObject();

	cJSON_AddNumberToObject(meta, "page", (double)pg->page);
	cJSON_AddNumberToObject(meta, "per_page", (double)pg->per_page);
	cJSON_AddNumberToObject(meta, "total_pages",
				(double)total_pages(total, pg->per_page));
	cJSON_AddNumberToObject(meta, "total", (double)total);
	return meta;
}

/* GetV1Ledgers: archived=true lists the archived ones, else the others. */
static void list_definitions(struct fleet *f, const struct query *q,
			     struct reply *out)
{
	const char *a = query_get(q, "archived");
	int want = a && !strcmp(a, "true");
	struct paging pg;
	size_t n = 0, first, last;
	cJSON *o = cJSON_CreateObject(), *arr;

	paging_parse(q, &pg, 100);
	for (size_t i = 0; i < f->nledgers; i++)
		n += archived(f->ledgers[i]) == want;
	page_slice(&pg, n, &first, &last);
	arr = cJSON_AddArrayToObject(o, "ledgers");
	for (size_t i = 0, k = 0; i < f->nledgers; i++) {
		if (archived(f->ledgers[i]) != want)
			continue;
		if (k >= first && k < last)
			cJSON_AddItemToArray(arr, definition_json(f->ledgers[i]));
		k++;
	}
	cJSON_AddItemToObject(o, "meta", list_meta(&pg, n));
	reply_json(out, 200, o);
}

static void list_instances(struct ledger *l, const struct query *q,
			   struct reply *out)
{
	struct paging pg;
	size_t first, last;
	cJSON *o = cJSON_CreateObject(), *arr;

	paging_parse(q, &pg, 25);
	page_slice(&pg, l->ninstances, &first, &last);
	arr = cJSON_AddArrayToObject(o, "instances");
	for (size_t k = first; k < last; k++)
		cJSON_AddItemToArray(arr, instance_json(l, l->instances[k]));
	cJSON_AddItemToObject(o, "meta", list_meta(&pg, l->ninstances));
	reply_json(out, 200, o);
}

/* PutV1LedgersLedgernameInstancesScopevalue: 201 with the instance. */
static void set_instance(struct ledger *l, struct instance *in,
			 const char *sv, const struct api_req *r,
			 struct reply *out)
{
	cJSON *body = api_body_object(r), *data, *inst, *o;
	char now[32];

	inst = body ? cJSON_GetObjectItemCaseSensitive(body, "instance") : NULL;
	data = cJSON_GetObjectItemCaseSensitive(inst ? inst : body, "data");
	if (!cJSON_IsObject(data)) {
		cJSON_Delete(body);
		reply_error(out, 400, "data must be an object");
		return;
	}
	fc_now_iso(now);
	if (in) {
		instance_keep_version(l, in);
	} else {
		in = fc_xmalloc(sizeof(*in));
		in->obj = cJSON_CreateObject();
		cJSON_AddStringToObject(in->obj, "scope_value", sv);
		cJSON_AddObjectToObject(in->obj, "data");
		cJSON_AddStringToObject(in->obj, "created_at", now);
		in->scope_value = fc_str(in->obj, "scope_value");
		hmap_put(&l->by_scope, sv, in);
		fc_grow((void **)&l->instances, &l->ainstances, l->ninstances,
			sizeof(*l->instances));
		l->instances[l->ninstances++] = in;
	}
	fc_set(in->obj, "data", cJSON_Duplicate(data, 1));
	fc_set(in->obj, "updated_at", cJSON_CreateString(now));
	cJSON_Delete(body);
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "instance", instance_json(l, in));
	reply_json(out, 201, o);
}

/* Parses an optional date query parameter; -1 if present but not a date. */
static int date_param(const struct query *q, const char *key, int64_t *ms,
		      int *set)
{
	const char *s = query_get(q, key);

	*set = s != NULL;
	return s && fc_parse_iso(s, ms) ? -1 : 0;
}

/*
 * GetV1LedgersLedgernameInstancesScopevalueVersions: the current version
 * (no replaced_at) first, then the replaced ones, newest first. Versions
 * outlive a deleted instance.
 */
static void list_versions(struct ledger *l, const char *sv,
			  const struct query *q, struct reply *out)
{
	struct instance *in = hmap_get(&l->by_scope, sv);
	cJSON *hist = kstore_get(&l->versions, sv), *o, *arr, *v;
	int64_t before = 0, after = 0, t;
	int has_before, has_after;

	if (!in && !hist) {
		reply_error(out, 404, "Ledger instance not found");
		return;
	}
	if (date_param(q, "replaced_before", &before, &has_before) ||
	    date_param(q, "replaced_after", &after, &has_after)) {
		reply_error(out, 400, "replaced_before and replaced_after must be ISO 8601 dates");
		return;
	}
	o = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(o, "versions");
	if (in && !has_before && !has_after)
		cJSON_AddItemToArray(arr, instance_json(l, in));
	for (v = hist ? cJSON_GetArrayItem(hist, cJSON_GetArraySize(hist) - 1) : NULL;
	     v; v = v == hist->child ? NULL : v->prev) {
		const char *at = fc_str(v, "replaced_at");

		if ((has_before || has_after) &&
		    (!at || fc_parse_iso(at, &t) || (has_before && t >= before) ||
		     (has_after && t <= after)))
			continue;
		cJSON_AddItemToArray(arr, record_json(l, sv, v));
	}
	cJSON_AddFalseToObject(cJSON_AddObjectToObject(o, "meta"), "has_more");
	reply_json(out, 200, o);
}

void ledger_routes(struct fleet *f, const struct api_req *r, size_t i,
		   struct reply *out)
{
	const char *m = r->method;
	size_t rest = r->nseg - i;
	struct ledger *l;
	struct instance *in;

	if (rest == 1) {
		if (strcmp(m, "GET"))
			goto not_found;
		list_definitions(f, r->query, out);
		return;
	}
	if (rest > 5 || (rest >= 3 && strcmp(r->seg[i + 2], "instances")) ||
	    (rest == 5 && strcmp(r->seg[i + 4], "versions")))
		goto not_found;
	l = fleet_ledger(f, r->seg[i + 1]);
	if (!l) {
		reply_error(out, 404, "Ledger not found");
		return;
	}
	if (rest == 2 || rest == 3 || rest == 5) {
		if (strcmp(m, "GET"))
			goto not_found;
		if (rest == 2) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddItemToObject(o, "ledger", definition_json(l));
			reply_json(out, 200, o);
		} else if (rest == 3) {
			list_instances(l, r->query, out);
		} else {
			list_versions(l, r->seg[i + 3], r->query, out);
		}
		return;
	}
	in = hmap_get(&l->by_scope, r->seg[i + 3]);
	if (!strcmp(m, "PUT")) {
		set_instance(l, in, r->seg[i + 3], r, out);
		return;
	}
	if (!in) {
		reply_error(out, 404, "Ledger instance not found");
		return;
	}
	if (!strcmp(m, "GET")) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddItemToObject(o, "instance", instance_json(l, in));
		reply_json(out, 200, o);
	} else if (!strcmp(m, "DELETE")) {
		instance_remove(l, in);
		reply_empty(out, 204);
	} else {
		goto not_found;
	}
	return;
not_found:
	reply_error(out, 404, "Not found");
}

#include "fleet.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "digest.h"
#include "log.h"
#include "util.h"
#include "banned.h"

#define PER_PAGE 100

void fleet_init(struct fleet *f, const struct config *cfg, struct api *api)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	f->cfg = cfg;
	f->api = api;
	f->pbase = xcalloc(cfg->products.n ? cfg->products.n : 1,
			   sizeof(*f->pbase));
	f->cpath = xcalloc(cfg->products.n ? cfg->products.n : 1,
			   sizeof(*f->cpath));
	f->pconfig = xcalloc(cfg->products.n ? cfg->products.n : 1,
			     sizeof(*f->pconfig));
	for (i = 0; i < cfg->products.n; i++) {
		struct buf p = BUF_INIT;

		api_path_literal(&p, "/v1/products");
		api_path_segment(&p, cfg->products.v[i]);
		f->pbase[i] = buf_detach(&p, NULL);
		buf_addf(&p, "%s/customers", f->pbase[i]);
		f->cpath[i] = buf_detach(&p, NULL);
	}
}

static void user_free(void *p)
{
	struct fleet_user *u = p;

	free(u->username);
	free(u->cust);
	free(u->devs);
	free(u);
}

void fleet_release(struct fleet *f)
{
	struct fleet_device *d, *next;
	size_t i;

	for (i = 0; f->pbase && i < f->cfg->products.n; i++) {
		free(f->pbase[i]);
		free(f->cpath[i]);
		cJSON_Delete(f->pconfig[i]);
	}
	free(f->pbase);
	free(f->cpath);
	free(f->pconfig);
	map_release(&f->users, user_free);
	map_release(&f->folded, NULL);
	map_release(&f->devices, NULL);
	map_release(&f->sims, NULL);
	map_release(&f->listed, NULL);
	for (d = f->all; d; d = next) {
		next = d->next;
		free(d->id);
		free(d->iccid);
		free(d);
	}
	memset(f, 0, sizeof(*f));
}

static char *lower_dup(const char *s)
{
	char *r = xstrdup(s), *p;

	for (p = r; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

static struct fleet_user *user_get(struct fleet *f, const char *username)
{
	struct fleet_user *u = map_get(&f->users, username), *first;
	char *key;

	if (u)
		return u;
	u = xcalloc(1, sizeof(*u));
	u->username = xstrdup(username);
	map_put(&f->users, username, u);
	key = lower_dup(username);
	first = map_get(&f->folded, key);
	if (first) {
		u->next_same = first->next_same;
		first->next_same = u;
	} else {
		map_put(&f->folded, key, u);
	}
	free(key);
	return u;
}

static struct fleet_device *device_get(struct fleet *f, const char *id,
				       size_t product)
{
	char *key = lower_dup(id);
	struct fleet_device *d = map_get(&f->devices, key);

	if (!d) {
		d = xcalloc(1, sizeof(*d));
		d->id = key;
		d->product = product;
		d->online = -1;
		d->next = f->all;
		f->all = d;
		map_put(&f->devices, key, d);
	} else {
		free(key);
	}
	return d;
}

/* The product whose list is being walked. */
struct walk {
	struct fleet *f;
	size_t product;
};

/* A non-empty string member, or NULL. */
static const char *nonempty(const cJSON *o, const char *key)
{
	const char *s = json_get_str(o, key);

	return s && *s ? s : NULL;
}

static int customers_page(cJSON *page, void *ctx)
{
	struct walk *w = ctx;
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(page, "customers");
	const cJSON *c, *id;

	if (!cJSON_IsArray(arr))
		return error("customers list page has no 'customers' array");
	cJSON_ArrayForEach(c, arr) {
		const char *name = nonempty(c, "username");
		struct fleet_user *u;
		size_t i;

		if (!name)
			continue;
		u = user_get(w->f, name);
		for (i = 0; i < u->ncust && u->cust[i] != w->product; i++)
			;
		if (i == u->ncust) {
			ALLOC_GROW(u->cust, u->ncust, u->acust);
			u->cust[u->ncust++] = w->product;
		}
		/*
		 * The device list's owner field is authoritative; a device
		 * only the customer record names is taken as the customer's.
		 */
		cJSON_ArrayForEach(id, cJSON_GetObjectItemCaseSensitive(
					       c, "devices")) {
			struct fleet_device *d;

			if (!cJSON_IsString(id) || !id->valuestring[0])
				continue;
			d = device_get(w->f, id->valuestring, w->product);
			if (!d->listed && !d->owner)
				d->owner = u;
		}
	}
	return 0;
}

static int devices_page(cJSON *page, void *ctx)
{
	struct walk *w = ctx;
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(page, "devices");
	const cJSON *o;

	if (!cJSON_IsArray(arr))
		return error("devices list page has no 'devices' array");
	cJSON_ArrayForEach(o, arr) {
		const char *id = nonempty(o, "id"), *owner = nonempty(o, "owner");
		const char *iccid = nonempty(o, "iccid");
		const cJSON *online = cJSON_GetObjectItemCaseSensitive(o,
								       "online");
		struct fleet_device *d;

		if (!id)
			continue;
		d = device_get(w->f, id, w->product);
		d->listed = 1;
		d->online = cJSON_IsBool(online) ? cJSON_IsTrue(online) : -1;
		d->owner = owner ? user_get(w->f, owner) : NULL;
		free(d->iccid);
		d->iccid = iccid ? xstrdup(iccid) : NULL;
		if (iccid)
			map_put(&w->f->sims, iccid, d);
	}
	return 0;
}

static int listed_page(cJSON *page, void *ctx)
{
	struct walk *w = ctx;
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(page, "customers");
	const cJSON *c;
	struct buf key = BUF_INIT;

	if (!cJSON_IsArray(arr))
		return error("customers list page has no 'customers' array");
	cJSON_ArrayForEach(c, arr) {
		const char *name = nonempty(c, "username");
		char *folded;

		if (!name)
			continue;
		buf_reset(&key);
		buf_addf(&key, "%zu =%s", w->product, name);
		map_put(&w->f->listed, key.buf, w->f);
		folded = lower_dup(name);
		buf_reset(&key);
		buf_addf(&key, "%zu ~%s", w->product, folded);
		map_put(&w->f->listed, key.buf, w->f);
		free(folded);
	}
	buf_release(&key);
	return 0;
}

/*
 * Walks list `name` of every product with fn, proving each complete
 * (api_walk). The devices list is asked in a stable order: by default it
 * is by last connection, which devices connecting during the walk change.
 */
static int walk_lists(struct fleet *f, const char *name, api_page_fn fn,
		      enum api_result *res)
{
	int devices = !strcmp(name, "devices");
	size_t p;

	*res = API_OK;
	for (p = 0; p < f->cfg->products.n; p++) {
		struct walk w = { f, p };
		struct buf path = BUF_INIT;
		struct api_list l;
		long status = 0;
		int rc;

		buf_addf(&path, "%s/%s%s", f->pbase[p], name, devices ?
			 "?sortAttr=deviceId&sortDir=asc" : "");
		memset(&l, 0, sizeof(l));
		l.path = path.buf;
		l.items = name;
		l.key = devices ? "id" : "username";
		l.per_page = PER_PAGE;
		l.each_page = fn;
		l.ctx = &w;
		rc = api_walk(f->api, &l, res, &status);
		buf_release(&path);
		if (rc)
			return -1;
	}
	return 0;
}

/* Links every device to its owner's record. */
static void link_owners(struct fleet *f)
{
	struct fleet_device *d;

	for (d = f->all; d; d = d->next) {
		struct fleet_user *u = d->owner;

		if (!u)
			continue;
		ALLOC_GROW(u->devs, u->ndevs, u->adevs);
		u->devs[u->ndevs++] = d;
	}
}

/*
 * GETs path; 0 when it exists (its JSON in *body when body is not NULL),
 * 1 on 404, -1 (with *res) otherwise.
 */
static int fetch(struct fleet *f, const char *path, enum api_result *res,
		 cJSON **body)
{
	struct api_request req;
	int ret;

	api_request_init(&req, "GET");
	buf_adds(&req.path, path);
	if (api_call(f->api, &req)) {
		*res = API_UNREACHABLE;
		ret = -1;
	} else if (req.result == API_NOT_FOUND) {
		ret = 1;
	} else if (req.result != API_OK) {
		*res = req.result;
		ret = error("%s", req.error.buf);
	} else if (body && !(*body = api_response_json(&req))) {
		*res = API_BAD_RESPONSE;
		ret = error("%s", req.error.buf);
	} else {
		ret = 0;
	}
	api_request_release(&req);
	return ret;
}

static int exists(struct fleet *f, const char *path, enum api_result *res)
{
	return fetch(f, path, res, NULL);
}

/* GetProductConfig: {"configuration": {...}}, or 404 when it has none. */
static int product_config(struct fleet *f, size_t p, enum api_result *res)
{
	struct buf path = BUF_INIT;
	cJSON *body = NULL;
	int rc;

	buf_addf(&path, "%s/config", f->pbase[p]);
	rc = fetch(f, path.buf, res, &body);
	buf_release(&path);
	if (rc)
		return rc > 0 ? 0 : -1;
	f->pconfig[p] = cJSON_DetachItemFromObjectCaseSensitive(body,
							       "configuration");
	cJSON_Delete(body);
	if (!cJSON_IsObject(f->pconfig[p])) {
		*res = API_BAD_RESPONSE;
		return error("the configuration of product '%s' has no "
			     "'configuration' object", f->cfg->products.v[p]);
	}
	return 0;
}

int fleet_preflight(struct fleet *f, enum api_result *res)
{
	const struct config *cfg = f->cfg;
	struct buf path = BUF_INIT;
	size_t p, l;
	int rc = 0;

	*res = API_OK;
	for (p = 0; !rc && p < cfg->products.n; p++) {
		rc = exists(f, f->pbase[p], res);
		if (rc > 0)
			error("[products] ids: product '%s' does not exist (or "
			      "the token cannot see it): nothing was changed",
			      cfg->products.v[p]);
		for (l = 0; !rc && l < cfg->device_ledgers.n; l++) {
			buf_reset(&path);
			buf_addf(&path, "%s/ledgers", f->pbase[p]);
			api_path_segment(&path, cfg->device_ledgers.v[l]);
			rc = exists(f, path.buf, res);
			if (rc > 0)
				error("[policy] device_ledgers: ledger '%s' does "
				      "not exist in product '%s' (or the token "
				      "cannot see it): nothing was changed",
				      cfg->device_ledgers.v[l],
				      cfg->products.v[p]);
		}
		if (!rc && cfg->reset_device_config)
			rc = product_config(f, p, res);
	}
	buf_release(&path);
	return rc;
}

int fleet_discover(struct fleet *f, enum api_result *res)
{
	if (walk_lists(f, "customers", customers_page, res) ||
	    walk_lists(f, "devices", devices_page, res))
		return -1;
	link_owners(f);
	f->discovered = 1;
	return 0;
}

int fleet_walk_customers(struct fleet *f, enum api_result *res)
{
	map_release(&f->listed, NULL);
	return walk_lists(f, "customers", listed_page, res);
}

int fleet_customer_listed(const struct fleet *f, size_t product,
			  const char *email, const char *customer)
{
	struct buf key = BUF_INIT;
	int found;

	buf_addf(&key, "%zu %c%s", product, email ? '~' : '=',
		 email ? email : customer);
	found = map_get(&f->listed, key.buf) != NULL;
	buf_release(&key);
	return found;
}

size_t fleet_match(const struct fleet *f, const char *email,
		   const char *customer, struct fleet_user ***out,
		   size_t *alloc)
{
	struct fleet_user *u;
	size_t n = 0;

	if (customer) {
		u = map_get(&f->users, customer);
		if (u) {
			ALLOC_GROW(*out, n, *alloc);
			(*out)[n++] = u;
		}
		return n;
	}
	if (!email)
		return 0;
	for (u = map_get(&f->folded, email); u; u = u->next_same) {
		ALLOC_GROW(*out, n, *alloc);
		(*out)[n++] = u;
	}
	return n;
}

const struct fleet_device *fleet_device(const struct fleet *f, const char *id)
{
	char *key = lower_dup(id);
	const struct fleet_device *d = map_get(&f->devices, key);

	free(key);
	return d;
}

const struct fleet_device *fleet_sim_device(const struct fleet *f,
					    const char *iccid)
{
	return map_get(&f->sims, iccid);
}

void fleet_device_path(const struct fleet *f, size_t product, const char *id,
		       struct buf *out)
{
	buf_addf(out, "%s/devices", f->pbase[product]);
	api_path_segment(out, id);
}

int fleet_path_product(const struct fleet *f, const char *lpath,
		       size_t *product)
{
	size_t i;

	for (i = 0; i < f->cfg->products.n; i++) {
		size_t n = strlen(f->pbase[i]);

		if (!strncmp(lpath, f->pbase[i], n) && lpath[n] == '/') {
			*product = i;
			return 0;
		}
	}
	return -1;
}

int fleet_path_device(const struct fleet *f, const char *lpath,
		      size_t *product, struct buf *device)
{
	const char *dev = NULL, *end;

	if (fleet_path_product(f, lpath, product))
		return -1;
	lpath += strlen(f->pbase[*product]);
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

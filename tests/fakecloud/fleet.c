#include "fakecloud.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

static int load_error(const char *path, const char *msg)
{
	fprintf(stderr, "fakecloud: %s: %s\n", path, msg);
	return -1;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *data = NULL;
	size_t alloc = 0, n = 0, got;

	if (!fp)
		return NULL;
	do {
		fc_grow((void **)&data, &alloc, n + 65536, 1);
		got = fread(data + n, 1, alloc - n, fp);
		n += got;
	} while (got > 0);
	if (ferror(fp)) {
		free(data);
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	*len = n;
	return data;
}

/* Removes p from an ordered pointer array, keeping the order. */
static void ptrs_remove(void **v, size_t *n, const void *p)
{
	for (size_t i = *n; i-- > 0;) {
		if (v[i] == p) {
			memmove(v + i, v + i + 1, (*n - i - 1) * sizeof(*v));
			(*n)--;
			return;
		}
	}
}

static void customer_attach(struct device *d)
{
	const char *owner = fc_str(d->obj, "owner");
	struct customer *c;
	char *key;

	if (!owner)
		return;
	key = fc_lower(owner);
	c = hmap_get(&d->product->customer_by_user, key);
	free(key);
	if (!c)
		return;
	fc_grow((void **)&c->devices, &c->adevices, c->ndevices,
		sizeof(*c->devices));
	c->devices[c->ndevices++] = d;
	d->customer = c;
}

void device_detach_customer(struct device *d)
{
	if (!d->customer)
		return;
	ptrs_remove((void **)d->customer->devices, &d->customer->ndevices, d);
	d->customer = NULL;
}

static void device_free(struct device *d)
{
	cJSON_Delete(d->obj);
	free(d->id);
	free(d);
}

struct device *fleet_device(const struct fleet *f, const char *id)
{
	char *key = fc_lower(id);
	struct device *d = hmap_get(&f->device_by_id, key);

	free(key);
	return d;
}

void device_remove(struct fleet *f, struct device *d)
{
	device_detach_customer(d);
	order_remove(d->product, d);
	ptrs_remove((void **)d->product->devices, &d->product->ndevices, d);
	hmap_remove(&f->device_by_id, d->id);
	device_free(d);
}

static void customer_free(struct customer *c)
{
	for (size_t i = 0; i < c->ndevices; i++)
		c->devices[i]->customer = NULL;
	free(c->devices);
	cJSON_Delete(c->obj);
	free(c);
}

void customer_remove(struct product *p, struct customer *c)
{
	char *key = fc_lower(fc_str(c->obj, "username"));

	hmap_remove(&p->customer_by_user, key);
	free(key);
	ptrs_remove((void **)p->customers, &p->ncustomers, c);
	customer_free(c);
}

void sim_remove(struct fleet *f, struct product *p, struct sim *s)
{
	if (s->pending)
		f->pending_sims--;
	hmap_remove(&p->sim_by_iccid, fc_str(s->obj, "iccid"));
	ptrs_remove((void **)p->sims, &p->nsims, s);
	cJSON_Delete(s->obj);
	free(s);
}

void instance_keep_version(struct ledger *l, const struct instance *in)
{
	static const char *const keep[] = { "data", "created_at", "updated_at" };
	cJSON *v = cJSON_CreateObject();
	char now[32];

	for (size_t i = 0; i < sizeof(keep) / sizeof(*keep); i++) {
		const cJSON *it = cJSON_GetObjectItemCaseSensitive(in->obj, keep[i]);

		if (it)
			cJSON_AddItemToObject(v, keep[i], cJSON_Duplicate(it, 1));
	}
	fc_now_iso(now);
	cJSON_AddStringToObject(v, "replaced_at", now);
	cJSON_AddItemToArray(kstore_add(&l->versions, in->scope_value), v);
}

static void instance_drop(struct ledger *l, struct instance *in)
{
	hmap_remove(&l->by_scope, in->scope_value);
	ptrs_remove((void **)l->instances, &l->ninstances, in);
	cJSON_Delete(in->obj);
	free(in);
}

void instance_remove(struct ledger *l, struct instance *in)
{
	instance_keep_version(l, in);
	instance_drop(l, in);
}

/* Iterates over an array while detaching each element (O(1) each). */
#define for_each_detached(it, arr, next) \
	for (cJSON *it = (arr) ? (arr)->child : NULL, *next = NULL; \
	     it && ((next = it->next), cJSON_DetachItemViaPointer((arr), it)); \
	     it = next)

static int load_customers(struct product *p, cJSON *arr, const char *path)
{
	int ret = 0;

	for_each_detached(it, arr, next) {
		const char *user = fc_str(it, "username");
		struct customer *c;
		char *key;

		if (!cJSON_IsObject(it) || !user) {
			cJSON_Delete(it);
			ret = load_error(path, "a customer needs a \"username\"");
			continue;
		}
		key = fc_lower(user);
		if (hmap_get(&p->customer_by_user, key)) {
			free(key);
			cJSON_Delete(it);
			ret = load_error(path, "duplicate customer username");
			continue;
		}
		if (!cJSON_GetObjectItemCaseSensitive(it, "id")) {
			char id[32];

			snprintf(id, sizeof(id), "c%06zu", p->ncustomers + 1);
			cJSON_AddStringToObject(it, "id", id);
		}
		c = fc_xmalloc(sizeof(*c));
		memset(c, 0, sizeof(*c));
		c->obj = it;
		hmap_put(&p->customer_by_user, key, c);
		free(key);
		fc_grow((void **)&p->customers, &p->acustomers, p->ncustomers,
			sizeof(*p->customers));
		p->customers[p->ncustomers++] = c;
	}
	return ret;
}

/*
 * Moves obj[field] (an array of records) into ks under key. Returns -1 if
 * it is there but not an array.
 */
static int take_records(cJSON *obj, const char *field, struct kstore *ks,
			const char *key)
{
	cJSON *arr = cJSON_DetachItemFromObjectCaseSensitive(obj, field);

	if (!arr)
		return 0;
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return -1;
	}
	kstore_append(ks, key, arr);
	return 0;
}

/* Moves {key: [records]} maps (as the state dump writes them) into ks. */
static int take_record_map(cJSON *obj, const char *field, struct kstore *ks,
			   int lower)
{
	cJSON *map = cJSON_GetObjectItemCaseSensitive(obj, field);
	int ret = 0;

	if (!map)
		return 0;
	if (!cJSON_IsObject(map))
		ret = -1;
	for (cJSON *it = cJSON_IsObject(map) ? map->child : NULL; it; it = it->next) {
		char *key = lower ? fc_lower(it->string) : fc_xstrdup(it->string);

		if (!cJSON_IsArray(it))
			ret = -1;
		else
			kstore_append(ks, key, cJSON_Duplicate(it, 1));
		free(key);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(obj, field);
	return ret;
}

static int64_t heard_ms(const cJSON *obj)
{
	const char *s = fc_str(obj, "last_heard");
	int64_t ms;

	return s && !fc_parse_iso(s, &ms) ? ms : INT64_MIN;
}

static int load_devices(struct fleet *f, struct product *p, cJSON *arr,
			const char *path)
{
	int ret = 0;

	for_each_detached(it, arr, next) {
		const char *id = fc_str(it, "id");
		const cJSON *lh = cJSON_GetObjectItemCaseSensitive(it, "last_heard");
		struct device *d;
		char *key;

		if (!cJSON_IsObject(it) || !id || !*id) {
			cJSON_Delete(it);
			ret = load_error(path, "a device needs an \"id\"");
			continue;
		}
		key = fc_lower(id);
		if (hmap_get(&f->device_by_id, key)) {
			free(key);
			cJSON_Delete(it);
			ret = load_error(path, "duplicate device id");
			continue;
		}
		if (lh && !cJSON_IsNull(lh) && heard_ms(it) == INT64_MIN)
			ret = load_error(path, "a device's \"last_heard\" must be an ISO 8601 date");
		if (take_records(it, "locations", &p->locations, key) ||
		    take_records(it, "vitals", &f->vitals, key))
			ret = load_error(path, "device \"locations\" and \"vitals\" must be arrays");
		cJSON_DeleteItemFromObjectCaseSensitive(it, "product_id");
		if (!cJSON_GetObjectItemCaseSensitive(it, "owner"))
			cJSON_AddNullToObject(it, "owner");
		d = fc_xmalloc(sizeof(*d));
		d->obj = it;
		d->id = key;
		d->product = p;
		d->customer = NULL;
		d->seq = p->next_seq++;
		d->heard_ms = heard_ms(it);
		hmap_put(&f->device_by_id, key, d);
		fc_grow((void **)&p->devices, &p->adevices, p->ndevices,
			sizeof(*p->devices));
		p->devices[p->ndevices++] = d;
		customer_attach(d);
	}
	return ret;
}

static int load_sims(struct product *p, cJSON *arr, const char *path)
{
	int ret = 0;

	for_each_detached(it, arr, next) {
		const char *iccid = fc_str(it, "iccid");
		struct sim *s;

		if (!cJSON_IsObject(it) || !iccid ||
		    hmap_get(&p->sim_by_iccid, iccid)) {
			cJSON_Delete(it);
			ret = load_error(path, "a sim needs a unique \"iccid\"");
			continue;
		}
		if (!cJSON_GetObjectItemCaseSensitive(it, "status"))
			cJSON_AddStringToObject(it, "status", "active");
		s = fc_xmalloc(sizeof(*s));
		memset(s, 0, sizeof(*s));
		s->obj = it;
		hmap_put(&p->sim_by_iccid, iccid, s);
		fc_grow((void **)&p->sims, &p->asims, p->nsims, sizeof(*p->sims));
		p->sims[p->nsims++] = s;
	}
	return ret;
}

static int load_product(struct fleet *f, cJSON *it, const char *path)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
	const char *slug = fc_str(it, "slug");
	cJSON *arr;
	struct product *p;
	int ret = 0;

	if (!cJSON_IsObject(it) || !cJSON_IsNumber(id)) {
		cJSON_Delete(it);
		return load_error(path, "a product needs a numeric \"id\"");
	}
	p = fc_xmalloc(sizeof(*p));
	memset(p, 0, sizeof(*p));
	p->id = (long)id->valuedouble;
	p->slug = slug ? fc_xstrdup(slug) : NULL;
	hmap_init(&p->customer_by_user);
	hmap_init(&p->sim_by_iccid);
	pthread_mutex_init(&p->order_lock, NULL);
	kstore_init(&p->locations);
	p->config = cJSON_DetachItemFromObjectCaseSensitive(it, "config");
	if (p->config && !cJSON_IsObject(p->config)) {
		cJSON_Delete(p->config);
		p->config = NULL;
		ret = load_error(path, "a product's \"config\" must be an object");
	}
	p->integrations = cJSON_DetachItemFromObjectCaseSensitive(it, "integrations");
	if (!p->integrations) {
		p->integrations = cJSON_CreateArray();
	} else if (!cJSON_IsArray(p->integrations)) {
		cJSON_Delete(p->integrations);
		p->integrations = cJSON_CreateArray();
		ret = load_error(path, "a product's \"integrations\" must be an array");
	}
	if (take_record_map(it, "locations", &p->locations, 1))
		ret = load_error(path, "a product's \"locations\" must map device ids to arrays");
	fc_grow((void **)&f->products, &f->aproducts, f->nproducts,
		sizeof(*f->products));
	f->products[f->nproducts++] = p;

	arr = cJSON_DetachItemFromObjectCaseSensitive(it, "customers");
	if (load_customers(p, arr, path))
		ret = -1;
	cJSON_Delete(arr);
	arr = cJSON_DetachItemFromObjectCaseSensitive(it, "devices");
	if (load_devices(f, p, arr, path))
		ret = -1;
	cJSON_Delete(arr);
	arr = cJSON_DetachItemFromObjectCaseSensitive(it, "sims");
	if (load_sims(p, arr, path))
		ret = -1;
	cJSON_Delete(arr);
	cJSON_DeleteItemFromObjectCaseSensitive(it, "id");
	cJSON_DeleteItemFromObjectCaseSensitive(it, "slug");
	p->extra = it;
	return ret;
}

static int load_ledger(struct fleet *f, cJSON *it, const char *path)
{
	struct ledger *l;
	cJSON *arr;
	int ret = 0;

	if (!cJSON_IsObject(it) || !fc_str(it, "name")) {
		cJSON_Delete(it);
		return load_error(path, "a ledger needs a \"name\"");
	}
	if (!fc_str(it, "scope"))
		cJSON_AddStringToObject(it, "scope", "Device");
	l = fc_xmalloc(sizeof(*l));
	memset(l, 0, sizeof(*l));
	arr = cJSON_DetachItemFromObjectCaseSensitive(it, "instances");
	l->obj = it;
	l->name = fc_str(it, "name");
	l->scope = fc_str(it, "scope");
	hmap_init(&l->by_scope);
	kstore_init(&l->versions);
	if (take_record_map(it, "versions", &l->versions, 0))
		ret = load_error(path, "a ledger's \"versions\" must map scope values to arrays");
	fc_grow((void **)&f->ledgers, &f->aledgers, f->nledgers,
		sizeof(*f->ledgers));
	f->ledgers[f->nledgers++] = l;

	for_each_detached(in, arr, next) {
		const char *sv = fc_str(in, "scope_value");
		struct instance *inst;

		if (!cJSON_IsObject(in) || !sv ||
		    hmap_get(&l->by_scope, sv)) {
			cJSON_Delete(in);
			ret = load_error(path,
					 "an instance needs a unique \"scope_value\"");
			continue;
		}
		if (take_records(in, "versions", &l->versions, sv)) {
			cJSON_Delete(in);
			ret = load_error(path, "an instance's \"versions\" must be an array");
			continue;
		}
		if (!cJSON_GetObjectItemCaseSensitive(in, "data"))
			cJSON_AddObjectToObject(in, "data");
		if (!cJSON_GetObjectItemCaseSensitive(in, "created_at"))
			cJSON_AddStringToObject(in, "created_at",
						"2026-01-01T00:00:00.000Z");
		if (!cJSON_GetObjectItemCaseSensitive(in, "updated_at"))
			cJSON_AddStringToObject(in, "updated_at",
						"2026-01-01T00:00:00.000Z");
		inst = fc_xmalloc(sizeof(*inst));
		inst->obj = in;
		inst->scope_value = sv;
		hmap_put(&l->by_scope, sv, inst);
		fc_grow((void **)&l->instances, &l->ainstances, l->ninstances,
			sizeof(*l->instances));
		l->instances[l->ninstances++] = inst;
	}
	cJSON_Delete(arr);
	return ret;
}

int fleet_load(struct fleet *f, const char *path)
{
	size_t len = 0;
	char *text = read_file(path, &len);
	cJSON *root, *arr, *tok;
	int ret = 0;

	memset(f, 0, sizeof(*f));
	pthread_rwlock_init(&f->lock, NULL);
	hmap_init(&f->device_by_id);
	kstore_init(&f->vitals);
	if (!text) {
		fprintf(stderr, "fakecloud: cannot read '%s': %s\n", path,
			strerror(errno));
		return -1;
	}
	root = cJSON_ParseWithLength(text, len);
	free(text);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return load_error(path, "not a JSON object");
	}
	tok = cJSON_GetObjectItemCaseSensitive(root, "token");
	if (cJSON_IsString(tok))
		f->token = fc_xstrdup(tok->valuestring);
	f->token_scopes = cJSON_DetachItemFromObjectCaseSensitive(root,
								  "token_scopes");
	tok = cJSON_GetObjectItemCaseSensitive(root, "token_expires_at");
	if (cJSON_IsString(tok) &&
	    !fc_parse_iso(tok->valuestring, &f->token_expires_ms))
		f->token_expires_at = fc_xstrdup(tok->valuestring);
	else if (tok && !cJSON_IsNull(tok))
		ret = load_error(path, "\"token_expires_at\" must be an ISO 8601 date");
	if (take_record_map(root, "vitals", &f->vitals, 1))
		ret = load_error(path, "\"vitals\" must map device ids to arrays");
	arr = cJSON_GetObjectItemCaseSensitive(root, "products");
	for_each_detached(it, arr, next)
		if (load_product(f, it, path))
			ret = -1;
	arr = cJSON_GetObjectItemCaseSensitive(root, "ledgers");
	for_each_detached(it, arr, next)
		if (load_ledger(f, it, path))
			ret = -1;
	cJSON_Delete(root);
	return ret;
}

void fleet_release(struct fleet *f)
{
	for (size_t i = 0; i < f->nproducts; i++) {
		struct product *p = f->products[i];

		while (p->ndevices)
			device_remove(f, p->devices[p->ndevices - 1]);
		while (p->ncustomers)
			customer_remove(p, p->customers[p->ncustomers - 1]);
		while (p->nsims)
			sim_remove(f, p, p->sims[p->nsims - 1]);
		order_release(p);
		pthread_mutex_destroy(&p->order_lock);
		kstore_release(&p->locations);
		cJSON_Delete(p->config);
		cJSON_Delete(p->integrations);
		free(p->devices);
		free(p->customers);
		free(p->sims);
		hmap_release(&p->customer_by_user);
		hmap_release(&p->sim_by_iccid);
		cJSON_Delete(p->extra);
		free(p->slug);
		free(p);
	}
	for (size_t i = 0; i < f->nledgers; i++) {
		struct ledger *l = f->ledgers[i];

		while (l->ninstances)
			instance_drop(l, l->instances[l->ninstances - 1]);
		free(l->instances);
		hmap_release(&l->by_scope);
		kstore_release(&l->versions);
		cJSON_Delete(l->obj);
		free(l);
	}
	free(f->products);
	free(f->ledgers);
	hmap_release(&f->device_by_id);
	kstore_release(&f->vitals);
	cJSON_Delete(f->token_scopes);
	free(f->token_expires_at);
	free(f->token);
	pthread_rwlock_destroy(&f->lock);
}

cJSON *fleet_dump(const struct fleet *f)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *products = cJSON_AddArrayToObject(root, "products");
	cJSON *ledgers = cJSON_AddArrayToObject(root, "ledgers");

	for (size_t i = 0; i < f->nproducts; i++) {
		const struct product *p = f->products[i];
		cJSON *o = cJSON_CreateObject(), *a, *it;

		cJSON_AddNumberToObject(o, "id", (double)p->id);
		if (p->slug)
			cJSON_AddStringToObject(o, "slug", p->slug);
		cJSON_ArrayForEach(it, p->extra)
			cJSON_AddItemToObject(o, it->string, cJSON_Duplicate(it, 1));
		a = cJSON_AddArrayToObject(o, "customers");
		for (size_t j = 0; j < p->ncustomers; j++)
			cJSON_AddItemToArray(a, cJSON_Duplicate(p->customers[j]->obj, 1));
		a = cJSON_AddArrayToObject(o, "devices");
		for (size_t j = 0; j < p->ndevices; j++)
			cJSON_AddItemToArray(a, cJSON_Duplicate(p->devices[j]->obj, 1));
		a = cJSON_AddArrayToObject(o, "sims");
		for (size_t j = 0; j < p->nsims; j++)
			cJSON_AddItemToArray(a, cJSON_Duplicate(p->sims[j]->obj, 1));
		if (p->config)
			cJSON_AddItemToObject(o, "config", cJSON_Duplicate(p->config, 1));
		if (cJSON_GetArraySize(p->integrations))
			cJSON_AddItemToObject(o, "integrations",
					      cJSON_Duplicate(p->integrations, 1));
		if (kstore_count(&p->locations))
			cJSON_AddItemToObject(o, "locations", kstore_dump(&p->locations));
		cJSON_AddItemToArray(products, o);
	}
	for (size_t i = 0; i < f->nledgers; i++) {
		const struct ledger *l = f->ledgers[i];
		cJSON *o = cJSON_Duplicate(l->obj, 1);
		cJSON *a = cJSON_AddArrayToObject(o, "instances");

		for (size_t j = 0; j < l->ninstances; j++)
			cJSON_AddItemToArray(a, cJSON_Duplicate(l->instances[j]->obj, 1));
		if (kstore_count(&l->versions))
			cJSON_AddItemToObject(o, "versions", kstore_dump(&l->versions));
		cJSON_AddItemToArray(ledgers, o);
	}
	if (kstore_count(&f->vitals))
		cJSON_AddItemToObject(root, "vitals", kstore_dump(&f->vitals));
	return root;
}

struct product *fleet_product(const struct fleet *f, const char *id_or_slug)
{
	char *end;
	long id = strtol(id_or_slug, &end, 10);
	int numeric = *id_or_slug && !*end;

	for (size_t i = 0; i < f->nproducts; i++) {
		struct product *p = f->products[i];

		if (numeric ? p->id == id : p->slug && !strcmp(p->slug, id_or_slug))
			return p;
	}
	return NULL;
}

struct ledger *fleet_ledger(const struct fleet *f, const char *name)
{
	for (size_t i = 0; i < f->nledgers; i++)
		if (!strcmp(f->ledgers[i]->name, name))
			return f->ledgers[i];
	return NULL;
}

/* ---- generator ---- */

struct gen_dev {
	char id[25];
	long index;
};

/*
 * Customer c's username: "user00042@example.com", or for the share of
 * customers that are not named by an email "cust-00002a". The choice hangs
 * on the seed and c only, so the rest of the fleet does not change with it.
 */
static void gen_username(const struct gen_opts *o, long c, char *out,
			 size_t n)
{
	uint64_t h = o->seed ^ ((uint64_t)(c + 1) * 0x9e3779b97f4a7c15ULL);

	if (o->non_email_share > 0 &&
	    (double)(fc_rand(&h) >> 11) / 9007199254740992.0 < o->non_email_share)
		snprintf(out, n, "cust-%06lx", (unsigned long)(c + 1));
	else
		snprintf(out, n, "user%05ld@example.com", c + 1);
}

/*
 * Streams the JSON directly: 100,000 devices would need a few hundred MB
 * as a cJSON tree. Every generated string is plain ASCII without quotes,
 * so nothing needs escaping. About 90% of devices are owned (each customer
 * owns 1..max in a row), half are cellular with an active SIM, and every
 * owned device with an even index has a "device-prefs" ledger instance.
 * --non-email-share names that share of customers "cust-...".
 */
int fleet_generate(const struct gen_opts *o)
{
	uint64_t rng = o->seed;
	struct gen_dev *sims = NULL, *prefs = NULL;
	size_t nsims, asims = 0, nprefs = 0, aprefs = 0;
	long dev = 0;

	char user[48];

	if (o->products < 1 || o->customers < 0 || o->devices < 0 ||
	    o->max_per_customer < 1) {
		fputs("fakecloud: --generate needs --products >= 1, "
		      "--customers >= 0, --devices >= 0\n", stderr);
		return -1;
	}
	printf("{\"token\":\"test-token\",\"products\":[");
	for (long p = 0; p < o->products; p++) {
		/* Customers and devices are spread evenly over products. */
		long c0 = o->customers * p / o->products;
		long c1 = o->customers * (p + 1) / o->products;
		long d0 = o->devices * p / o->products;
		long d1 = o->devices * (p + 1) / o->products;
		long cust = c0, left = 0;

		nsims = 0;
		printf("%s\n{\"id\":%ld,\"slug\":\"product-%ld\",\"customers\":[",
		       p ? "," : "", 2001 + p, p + 1);
		for (long c = c0; c < c1; c++) {
			gen_username(o, c, user, sizeof(user));
			printf("%s\n{\"id\":\"c%07ld\",\"username\":"
			       "\"%s\",\"full_name\":\"User %ld\"}",
			       c > c0 ? "," : "", c + 1, user, c + 1);
		}
		printf("],\"devices\":[");
		for (long d = d0; d < d1; d++, dev++) {
			uint64_t r = fc_rand(&rng);
			int owned = cust < c1 && (r % 10) != 0;
			int cell = (r >> 16) & 1;
			struct gen_dev g;

			if (owned && left == 0)
				left = 1 + (long)((r >> 8) %
						  (uint64_t)o->max_per_customer);
			/* The index prefix keeps ids unique. */
			snprintf(g.id, sizeof(g.id), "%08lx%016" PRIx64,
				 (unsigned long)dev, fc_rand(&rng));
			g.index = dev;
			printf("%s\n{\"id\":\"%s\",\"name\":\"device-%06ld\",",
			       d > d0 ? "," : "", g.id, dev + 1);
			if (owned) {
				gen_username(o, cust, user, sizeof(user));
				printf("\"notes\":\"installed for user%05ld\","
				       "\"owner\":\"%s\",", cust + 1, user);
			}
			else
				printf("\"notes\":\"\",\"owner\":null,");
			if (cell) {
				printf("\"iccid\":\"8901%016ld\",", dev);
				fc_grow((void **)&sims, &asims, nsims,
					sizeof(*sims));
				sims[nsims++] = g;
			}
			if (owned && dev % 2 == 0) {
				fc_grow((void **)&prefs, &aprefs, nprefs,
					sizeof(*prefs));
				prefs[nprefs++] = g;
			}
			printf("\"serial_number\":\"P%08ld\",\"platform_id\":%d,"
			       "\"groups\":[],\"online\":%s}", dev,
			       cell ? 13 : 12, (r >> 17) & 1 ? "true" : "false");
			if (owned && --left == 0)
				cust++;
		}
		printf("],\"sims\":[");
		for (size_t i = 0; i < nsims; i++)
			printf("%s\n{\"iccid\":\"8901%016ld\",\"status\":\"active\","
			       "\"last_device_id\":\"%s\"}", i ? "," : "",
			       sims[i].index, sims[i].id);
		printf("]}");
	}
	printf("],\"ledgers\":[{\"name\":\"device-prefs\",\"scope\":\"Device\","
	       "\"instances\":[");
	for (size_t i = 0; i < nprefs; i++)
		printf("%s\n{\"scope_value\":\"%s\",\"data\":{\"temp\":%ld}}",
		       i ? "," : "", prefs[i].id, 18 + prefs[i].index % 7);
	printf("]}]}\n");
	free(sims);
	free(prefs);
	return fflush(stdout) ? -1 : 0;
}

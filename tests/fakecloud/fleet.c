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

static const char *str_field(const cJSON *obj, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static void customer_attach(struct device *d)
{
	const char *owner = str_field(d->obj, "owner");
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

void device_remove(struct fleet *f, struct device *d)
{
	device_detach_customer(d);
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
	char *key = fc_lower(str_field(c->obj, "username"));

	hmap_remove(&p->customer_by_user, key);
	free(key);
	ptrs_remove((void **)p->customers, &p->ncustomers, c);
	customer_free(c);
}

void sim_remove(struct product *p, struct sim *s)
{
	hmap_remove(&p->sim_by_iccid, str_field(s->obj, "iccid"));
	ptrs_remove((void **)p->sims, &p->nsims, s);
	cJSON_Delete(s->obj);
	free(s);
}

void instance_remove(struct ledger *l, struct instance *in)
{
	hmap_remove(&l->by_scope, in->scope_value);
	ptrs_remove((void **)l->instances, &l->ninstances, in);
	cJSON_Delete(in->obj);
	free(in);
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
		const char *user = str_field(it, "username");
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

static int load_devices(struct fleet *f, struct product *p, cJSON *arr,
			const char *path)
{
	int ret = 0;

	for_each_detached(it, arr, next) {
		const char *id = str_field(it, "id");
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
		cJSON_DeleteItemFromObjectCaseSensitive(it, "product_id");
		if (!cJSON_GetObjectItemCaseSensitive(it, "owner"))
			cJSON_AddNullToObject(it, "owner");
		d = fc_xmalloc(sizeof(*d));
		d->obj = it;
		d->id = key;
		d->product = p;
		d->customer = NULL;
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
		const char *iccid = str_field(it, "iccid");
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
	const char *slug = str_field(it, "slug");
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

	if (!cJSON_IsObject(it) || !str_field(it, "name")) {
		cJSON_Delete(it);
		return load_error(path, "a ledger needs a \"name\"");
	}
	if (!str_field(it, "scope"))
		cJSON_AddStringToObject(it, "scope", "Device");
	l = fc_xmalloc(sizeof(*l));
	memset(l, 0, sizeof(*l));
	arr = cJSON_DetachItemFromObjectCaseSensitive(it, "instances");
	l->obj = it;
	l->name = str_field(it, "name");
	l->scope = str_field(it, "scope");
	hmap_init(&l->by_scope);
	fc_grow((void **)&f->ledgers, &f->aledgers, f->nledgers,
		sizeof(*f->ledgers));
	f->ledgers[f->nledgers++] = l;

	for_each_detached(in, arr, next) {
		const char *sv = str_field(in, "scope_value");
		struct instance *inst;

		if (!cJSON_IsObject(in) || !sv ||
		    hmap_get(&l->by_scope, sv)) {
			cJSON_Delete(in);
			ret = load_error(path,
					 "an instance needs a unique \"scope_value\"");
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
			sim_remove(p, p->sims[p->nsims - 1]);
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
			instance_remove(l, l->instances[l->ninstances - 1]);
		free(l->instances);
		hmap_release(&l->by_scope);
		cJSON_Delete(l->obj);
		free(l);
	}
	free(f->products);
	free(f->ledgers);
	hmap_release(&f->device_by_id);
	cJSON_Delete(f->token_scopes);
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
		cJSON_AddItemToArray(products, o);
	}
	for (size_t i = 0; i < f->nledgers; i++) {
		const struct ledger *l = f->ledgers[i];
		cJSON *o = cJSON_Duplicate(l->obj, 1);
		cJSON *a = cJSON_AddArrayToObject(o, "instances");

		for (size_t j = 0; j < l->ninstances; j++)
			cJSON_AddItemToArray(a, cJSON_Duplicate(l->instances[j]->obj, 1));
		cJSON_AddItemToArray(ledgers, o);
	}
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
 * Streams the JSON directly: 100,000 devices would need a few hundred MB
 * as a cJSON tree. Every generated string is plain ASCII without quotes,
 * so nothing needs escaping. About 90% of devices are owned (each customer
 * owns 1..max in a row), half are cellular with an active SIM, and every
 * owned device with an even index has a "device-prefs" ledger instance.
 */
int fleet_generate(const struct gen_opts *o)
{
	uint64_t rng = o->seed;
	struct gen_dev *sims = NULL, *prefs = NULL;
	size_t nsims, asims = 0, nprefs = 0, aprefs = 0;
	long dev = 0;

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
		for (long c = c0; c < c1; c++)
			printf("%s\n{\"id\":\"c%07ld\",\"username\":"
			       "\"user%05ld@example.com\",\"full_name\":"
			       "\"User %ld\"}", c > c0 ? "," : "", c + 1, c + 1,
			       c + 1);
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
			if (owned)
				printf("\"notes\":\"installed for user%05ld\","
				       "\"owner\":\"user%05ld@example.com\",",
				       cust + 1, cust + 1);
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

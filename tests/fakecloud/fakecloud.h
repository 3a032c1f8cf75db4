#ifndef FAKECLOUD_H
#define FAKECLOUD_H
/*
 * fakecloud: a fake Particle Device Cloud for tests, demos and rehearsals.
 * The fleet lives in memory as cJSON objects (the fixture's own shape, so
 * the state dump reads like the fixture), indexed by hash maps; one
 * rwlock guards it. See README.md for the behaviour.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Allocation failure is fatal: the fake has no way to recover. */
void *fc_xmalloc(size_t n);
void *fc_xrealloc(void *p, size_t n);
char *fc_xstrdup(const char *s);
char *fc_xstrndup(const char *s, size_t n);
/* Grows *v (element size sz) so that index n fits. */
void fc_grow(void **v, size_t *alloc, size_t n, size_t sz);

/* Lower-cased copy (ASCII). */
char *fc_lower(const char *s);
/* Case-insensitive substring search (ASCII). */
int fc_contains_ci(const char *hay, const char *needle);
/* Decodes %XX in place; '+' becomes ' ' when plus is set. */
void fc_unescape(char *s, int plus);
/* Current time, ISO 8601 UTC with milliseconds. */
void fc_now_iso(char out[32]);
uint64_t fc_now_ms(void);
/* Deterministic PRNG (splitmix64). */
uint64_t fc_rand(uint64_t *state);

/* String-keyed hash map; keys are copied, values are borrowed. */
struct hmap_entry;
struct hmap {
	struct hmap_entry **buckets;
	size_t nbuckets;
	size_t count;
};
void hmap_init(struct hmap *m);
void hmap_release(struct hmap *m);
void *hmap_get(const struct hmap *m, const char *key);
void hmap_put(struct hmap *m, const char *key, void *value);
void *hmap_remove(struct hmap *m, const char *key);

/* Parsed query string or form body: decoded key/value pairs. */
struct query {
	char **kv;		/* key0, value0, key1, value1, ... */
	size_t n;		/* number of pairs */
	size_t alloc;
};
void query_parse(struct query *q, const char *s, size_t len);
const char *query_get(const struct query *q, const char *key);
void query_release(struct query *q);

/* ---- fleet ---- */
struct customer;
struct product;

struct device {
	cJSON *obj;		/* fixture fields; "owner" null when unclaimed */
	char *id;		/* lower-cased */
	struct product *product;
	struct customer *customer;	/* owner's customer record, if any */
};

struct customer {
	cJSON *obj;
	struct device **devices;
	size_t ndevices, adevices;
};

struct sim {
	cJSON *obj;
};

struct product {
	long id;
	char *slug;
	cJSON *extra;		/* other fixture fields */
	struct customer **customers;
	size_t ncustomers, acustomers;
	struct hmap customer_by_user;	/* lower-cased username */
	struct device **devices;
	size_t ndevices, adevices;
	struct sim **sims;
	size_t nsims, asims;
	struct hmap sim_by_iccid;
};

struct instance {
	cJSON *obj;		/* scope_value, data, created_at, updated_at */
	const char *scope_value;
};

struct ledger {
	cJSON *obj;		/* name, scope and other definition fields */
	const char *name;
	const char *scope;
	struct instance **instances;
	size_t ninstances, ainstances;
	struct hmap by_scope;
};

struct fleet {
	pthread_rwlock_t lock;
	char *token;		/* the fixture's token, if any */
	cJSON *token_scopes;	/* for GET /v1/access_tokens/current */
	struct product **products;
	size_t nproducts, aproducts;
	struct hmap device_by_id;
	struct ledger **ledgers;
	size_t nledgers, aledgers;
};

int fleet_load(struct fleet *f, const char *path);
void fleet_release(struct fleet *f);
/* The fleet in the fixture's shape (without the token). */
cJSON *fleet_dump(const struct fleet *f);
struct product *fleet_product(const struct fleet *f, const char *id_or_slug);
struct ledger *fleet_ledger(const struct fleet *f, const char *name);

/* Detaches d from its customer's device list. */
void device_detach_customer(struct device *d);
/* Removes d from its product and the id index, and frees it. */
void device_remove(struct fleet *f, struct device *d);
void customer_remove(struct product *p, struct customer *c);
void sim_remove(struct product *p, struct sim *s);
void instance_remove(struct ledger *l, struct instance *in);

/* Writes a synthetic fleet as JSON to stdout; see --generate. */
struct gen_opts {
	long products, customers, devices, max_per_customer;
	uint64_t seed;
};
int fleet_generate(const struct gen_opts *o);

/* ---- the API ---- */
struct reply {
	unsigned status;
	char *body;		/* malloc'd JSON, or NULL for no body */
	const char *content_type;
};

struct api_req {
	const char *method;
	char **seg;		/* decoded path segments after "/v1" */
	size_t nseg;
	const struct query *query;
	const char *body;
	size_t body_len;
	const char *content_type;
};

/* Serves one authenticated /v1 request. */
void api_handle(struct fleet *f, const struct api_req *r, struct reply *out);
/* Sets an ok:false style error reply. */
void reply_error(struct reply *out, unsigned status, const char *msg);
/* Takes ownership of json. */
void reply_json(struct reply *out, unsigned status, cJSON *json);

#endif

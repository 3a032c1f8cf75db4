#ifndef FAKECLOUD_H
#define FAKECLOUD_H
/*
 * fakecloud: a fake Particle Device Cloud for tests, demos and rehearsals.
 * The fleet lives in memory as cJSON objects (the fixture's own shape, so
 * the state dump reads like the fixture), indexed by hash maps; one
 * rwlock guards it (and a mutex per product its lazily sorted device
 * orders). See README.md for the behaviour.
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

/* The string value of obj[key], or NULL. */
const char *fc_str(const cJSON *obj, const char *key);
/* Sets obj[key] = val, replacing an existing key (takes ownership of val). */
void fc_set(cJSON *obj, const char *key, cJSON *val);

/* Lower-cased copy (ASCII). */
char *fc_lower(const char *s);
/* Case-insensitive substring search (ASCII). */
int fc_contains_ci(const char *hay, const char *needle);
/* Decodes %XX in place; '+' becomes ' ' when plus is set. */
void fc_unescape(char *s, int plus);
/* Current time, ISO 8601 UTC with milliseconds. */
void fc_now_iso(char out[32]);
/* Monotonic milliseconds (for delays). */
uint64_t fc_now_ms(void);
/* Wall-clock milliseconds since the epoch. */
int64_t fc_wall_ms(void);
/*
 * Parses an ISO 8601 UTC date ("2026-01-31", "2026-01-31T12:00:00Z",
 * fractions of a second and "+00:00" allowed) into milliseconds since the
 * epoch. Returns 0 on success, -1 if s is not such a date.
 */
int fc_parse_iso(const char *s, int64_t *ms);
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

/*
 * Arrays of records kept per key (ledger instance versions, location
 * history, device vitals): O(1) lookup, insertion order kept for dumps.
 */
struct kstore_entry;
struct kstore {
	struct hmap map;
	struct kstore_entry **v;
	size_t n, alloc;
};
void kstore_init(struct kstore *ks);
void kstore_release(struct kstore *ks);
/* The array stored under key, or NULL. */
cJSON *kstore_get(const struct kstore *ks, const char *key);
/* The array stored under key, created empty if missing. */
cJSON *kstore_add(struct kstore *ks, const char *key);
/* Moves the items of arr (an array, deleted) to the end of key's array. */
void kstore_append(struct kstore *ks, const char *key, cJSON *arr);
size_t kstore_count(const struct kstore *ks);
/* The i-th key and its array, in insertion order. */
const char *kstore_key(const struct kstore *ks, size_t i, cJSON **arr);
/* {key: [...], ...} as a new object. */
cJSON *kstore_dump(const struct kstore *ks);

/* ---- behaviour switches (see README.md "Behaviour switches") ---- */
enum customers_paging {
	CUSTOMERS_PAGES,	/* page, perPage|per_page honoured */
	CUSTOMERS_IGNORE_PAGE,	/* every request answers page 1 */
	CUSTOMERS_CAP,		/* page size capped, total_pages not */
	CUSTOMERS_WHOLE,	/* everything at once, no meta */
};

struct behaviour {
	long shifting_order;		/* devices that connect per list; 0 off */
	enum customers_paging customers_paging;
	long customers_cap;		/* CUSTOMERS_CAP page size */
	int customer_case_exact;
	long sim_release_delay_ms;	/* >0: 202, released after this */
	long sim_release_gets;		/* >0: 202, released after N GETs */
	int reject_empty_name;
	int function_timeout;
};

/*
 * Parses a behaviour object (missing keys take their defaults, "{}" is all
 * defaults). Returns 0, or -1 with *err naming the bad key.
 */
int behaviour_parse(const cJSON *o, struct behaviour *b, const char **err);
/* The settings as a complete behaviour object. */
cJSON *behaviour_json(const struct behaviour *b);
/*
 * Applies "NAME[=VALUE]" (VALUE JSON, else a string; no VALUE is true) to
 * the object *acc, creating it. Returns -1 for a malformed argument.
 */
int behaviour_flag(cJSON **acc, const char *arg);

/* ---- fleet ---- */
struct customer;
struct product;

struct device {
	cJSON *obj;		/* fixture fields; "owner" null when unclaimed */
	char *id;		/* lower-cased */
	struct product *product;
	struct customer *customer;	/* owner's customer record, if any */
	size_t seq;		/* position in the fixture: the tie-break */
	int64_t heard_ms;	/* last_heard; INT64_MIN when never heard */
};

struct customer {
	cJSON *obj;
	struct device **devices;
	size_t ndevices, adevices;
};

struct sim {
	cJSON *obj;
	int pending;		/* released with 202, still visible */
	uint64_t release_due_ms;	/* monotonic; 0: not time based */
	long release_gets;	/* GETs left before it goes; 0: not GET based */
};

/* Sort orders of a product's devices (sortAttr). */
enum device_sort {
	SORT_LAST_CONNECTION,	/* the documented default, newest first */
	SORT_DEVICE_ID,
	SORT_DEVICE_NAME,
	SORT_FIRMWARE_VERSION,
	SORT_COUNT,
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
	size_t next_seq;
	/* Cached ascending orders (see order.c), rebuilt when invalid. */
	pthread_mutex_t order_lock;
	struct device **order[SORT_COUNT];
	int order_valid[SORT_COUNT];
	cJSON *config;		/* product default configuration, or NULL */
	cJSON *integrations;	/* array of integration objects */
	struct kstore locations;	/* device id -> location points */
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
	struct kstore versions;	/* scope value -> replaced versions */
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
	struct kstore vitals;	/* device id -> diagnostics records */
	char *token_expires_at;	/* fixture "token_expires_at", or NULL */
	int64_t token_expires_ms;
	/* Behaviour switches and their dice; changed under the write lock. */
	struct behaviour bh;
	uint64_t bh_rng;
	size_t pending_sims;
};

int fleet_load(struct fleet *f, const char *path);
void fleet_release(struct fleet *f);
/* The fleet in the fixture's shape (without the token). */
cJSON *fleet_dump(const struct fleet *f);
struct product *fleet_product(const struct fleet *f, const char *id_or_slug);
struct ledger *fleet_ledger(const struct fleet *f, const char *name);

/* The device with this id (any case), or NULL. */
struct device *fleet_device(const struct fleet *f, const char *id);

/* Detaches d from its customer's device list. */
void device_detach_customer(struct device *d);
/* Removes d from its product and the id index, and frees it. */
void device_remove(struct fleet *f, struct device *d);
void customer_remove(struct product *p, struct customer *c);
void sim_remove(struct fleet *f, struct product *p, struct sim *s);
/*
 * Removes an instance; its data stays in the ledger's versions as a
 * replaced version (deleting an instance does not delete its history).
 */
void instance_remove(struct ledger *l, struct instance *in);
/* Records the instance's current data as a version replaced now. */
void instance_keep_version(struct ledger *l, const struct instance *in);

/* ---- device orders (order.c) ---- */
/*
 * The product's devices in ascending order of sort (devices never heard
 * from first; ties in fixture order, for the last connection in reverse
 * fixture order so that the default, descending, lists ties in fixture
 * order). Descending is the exact reverse. Built on first use and cached
 * (under the product's order_lock): callers hold the fleet lock.
 */
struct device **order_get(struct product *p, enum device_sort sort);
void order_invalidate(struct product *p, enum device_sort sort);
/* Drops d from the cached orders (write lock held). */
void order_remove(struct product *p, const struct device *d);
void order_release(struct product *p);
/* Sets d's last_heard to now (write lock held). */
void device_heard_now(struct device *d);

/* Writes a synthetic fleet as JSON to stdout; see --generate. */
struct gen_opts {
	long products, customers, devices, max_per_customer;
	uint64_t seed;
	double non_email_share;	/* customers named "cust-..." instead */
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
/* The state dump (pending SIM releases that are due are carried out). */
cJSON *api_state(struct fleet *f);
/* POST /admin/devices/:id: sets "online" (and applies pending config). */
void api_admin_device(struct fleet *f, const char *id, const char *body,
		      size_t len, struct reply *out);
/* Sets an ok:false style error reply. */
void reply_error(struct reply *out, unsigned status, const char *msg);
/* Takes ownership of json. */
void reply_json(struct reply *out, unsigned status, cJSON *json);
void reply_ok(struct reply *out);
/* A reply without a body. */
void reply_empty(struct reply *out, unsigned status);
/* A text/plain reply (copies text). */
void reply_text(struct reply *out, unsigned status, const char *text);
/* The request body as a JSON object, or form fields turned into one. */
cJSON *api_body_object(const struct api_req *r);
/* The device with this id if it is in p, else NULL. */
struct device *product_device(struct fleet *f, struct product *p,
			      const char *id);

/* Paging: page (1-based) and page size from the query. */
struct paging {
	long page;
	long per_page;
};
/* page, perPage|per_page (default def, at most 100). */
void paging_parse(const struct query *q, struct paging *pg, long def);
long total_pages(size_t n, long per_page);
/* [*first, *last) of n items on this page. */
void page_slice(const struct paging *pg, size_t n, size_t *first,
		size_t *last);

/* routes_ledger.c: seg[i] is "ledgers". */
void ledger_routes(struct fleet *f, const struct api_req *r, size_t i,
		   struct reply *out);
/* routes_device.c: seg[0] "products", seg[2] names the store. */
void config_routes(struct fleet *f, struct product *p,
		   const struct api_req *r, struct reply *out);
void function_call(struct fleet *f, struct device *d,
		   const struct api_req *r, const char *name,
		   struct reply *out);
void location_routes(struct fleet *f, struct product *p,
		     const struct api_req *r, struct reply *out);
/* p is NULL for /v1/diagnostics/...; i is the index of "diagnostics". */
void diagnostics_routes(struct fleet *f, struct product *p,
			const struct api_req *r, size_t i, struct reply *out);
void integration_routes(struct product *p, const struct api_req *r,
			struct reply *out);

#endif

#include "fakecloud.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h"

void *fc_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fputs("fakecloud: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *fc_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fputs("fakecloud: out of memory\n", stderr);
		abort();
	}
	return p;
}

char *fc_xstrndup(const char *s, size_t n)
{
	char *p = fc_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *fc_xstrdup(const char *s)
{
	return fc_xstrndup(s, strlen(s));
}

void fc_grow(void **v, size_t *alloc, size_t n, size_t sz)
{
	if (n < *alloc)
		return;
	*alloc = *alloc ? *alloc * 2 : 16;
	if (*alloc <= n)
		*alloc = n + 1;
	*v = fc_xrealloc(*v, *alloc * sz);
}

const char *fc_str(const cJSON *obj, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

void fc_set(cJSON *obj, const char *key, cJSON *val)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, key))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, val);
	else
		cJSON_AddItemToObject(obj, key, val);
}

char *fc_lower(const char *s)
{
	char *p = fc_xstrdup(s);

	for (char *q = p; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return p;
}

int fc_contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (!n)
		return 1;
	for (; *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return 1;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void fc_unescape(char *s, int plus)
{
	char *w = s;

	for (; *s; s++) {
		int hi, lo;

		if (*s == '%' && (hi = hexval((unsigned char)s[1])) >= 0 &&
		    (lo = hexval((unsigned char)s[2])) >= 0) {
			*w++ = (char)(hi * 16 + lo);
			s += 2;
		} else if (plus && *s == '+') {
			*w++ = ' ';
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

void fc_now_iso(char out[32])
{
	struct timespec ts;
	struct tm tm;
	char date[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03dZ", date, (int)(ts.tv_nsec / 1000000));
}

uint64_t fc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int64_t fc_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads exactly n digits at *p; -1 if they are not all digits. */
static int digits(const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	return v;
}

int fc_parse_iso(const char *s, int64_t *ms)
{
	struct tm tm;
	int frac = 0, scale = 1000, off = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if ((tm.tm_year = digits(&s, 4)) < 0 || *s++ != '-' ||
	    (tm.tm_mon = digits(&s, 2)) < 1 || tm.tm_mon > 12 || *s++ != '-' ||
	    (tm.tm_mday = digits(&s, 2)) < 1 || tm.tm_mday > 31)
		return -1;
	if (*s == 'T' || *s == 't') {
		s++;
		if ((tm.tm_hour = digits(&s, 2)) < 0 || tm.tm_hour > 23 ||
		    *s++ != ':' || (tm.tm_min = digits(&s, 2)) < 0 ||
		    tm.tm_min > 59 || *s++ != ':' ||
		    (tm.tm_sec = digits(&s, 2)) < 0 || tm.tm_sec > 60)
			return -1;
		if (*s == '.') {
			s++;
			if (!isdigit((unsigned char)*s))
				return -1;
			for (; isdigit((unsigned char)*s); s++) {
				if (scale > 1) {
					scale /= 10;
					frac += (*s - '0') * scale;
				}
			}
		}
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			int sign = *s++ == '-' ? -1 : 1, hh, mm;

			if ((hh = digits(&s, 2)) < 0 || *s++ != ':' ||
			    (mm = digits(&s, 2)) < 0)
				return -1;
			off = sign * (hh * 60 + mm);
		} else {
			return -1;
		}
	}
	if (*s)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	*ms = ((int64_t)t - (int64_t)off * 60) * 1000 + frac;
	return 0;
}

uint64_t fc_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- hash map (separate chaining, FNV-1a) ---- */
struct hmap_entry {
	struct hmap_entry *next;
	uint32_t hash;
	void *value;
	char key[];
};

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

void hmap_init(struct hmap *m)
{
	m->nbuckets = 64;
	m->count = 0;
	m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
	if (!m->buckets)
		abort();
}

void hmap_release(struct hmap *m)
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct hmap_entry *e = m->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(m->buckets);
	m->buckets = NULL;
	m->nbuckets = m->count = 0;
}

static void hmap_rehash(struct hmap *m)
{
	size_t n = m->nbuckets * 2;
	struct hmap_entry **b = calloc(n, sizeof(*b));

	if (!b)
		abort();
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct hmap_entry *e = m->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

static struct hmap_entry **hmap_find(const struct hmap *m, const char *key,
				     uint32_t h)
{
	struct hmap_entry **pp = &m->buckets[h & (m->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == h && !strcmp((*pp)->key, key))
			break;
	return pp;
}

void *hmap_get(const struct hmap *m, const char *key)
{
	struct hmap_entry **pp = hmap_find(m, key, hash_str(key));

	return *pp ? (*pp)->value : NULL;
}

void hmap_put(struct hmap *m, const char *key, void *value)
{
	uint32_t h = hash_str(key);
	struct hmap_entry **pp = hmap_find(m, key, h), *e;
	size_t klen;

	if (*pp) {
		(*pp)->value = value;
		return;
	}
	klen = strlen(key);
	e = fc_xmalloc(sizeof(*e) + klen + 1);
	memcpy(e->key, key, klen + 1);
	e->hash = h;
	e->value = value;
	e->next = NULL;
	*pp = e;
	if (++m->count > m->nbuckets)
		hmap_rehash(m);
}

void *hmap_remove(struct hmap *m, const char *key)
{
	struct hmap_entry **pp = hmap_find(m, key, hash_str(key)), *e = *pp;
	void *v;

	if (!e)
		return NULL;
	*pp = e->next;
	v = e->value;
	free(e);
	m->count--;
	return v;
}

/* ---- query strings ---- */
void query_parse(struct query *q, const char *s, size_t len)
{
	const char *end = s + len;

	q->kv = NULL;
	q->n = q->alloc = 0;
	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *pend = amp ? amp : end;
		const char *eq = memchr(s, '=', (size_t)(pend - s));
		char *k, *v;

		if (pend > s) {
			k = fc_xstrndup(s, (size_t)((eq ? eq : pend) - s));
			v = eq ? fc_xstrndup(eq + 1, (size_t)(pend - eq - 1))
			       : fc_xstrdup("");
			fc_unescape(k, 1);
			fc_unescape(v, 1);
			fc_grow((void **)&q->kv, &q->alloc, 2 * q->n + 1,
				sizeof(char *));
			q->kv[2 * q->n] = k;
			q->kv[2 * q->n + 1] = v;
			q->n++;
		}
		s = pend + 1;
	}
}

const char *query_get(const struct query *q, const char *key)
{
	for (size_t i = 0; i < q->n; i++)
		if (!strcmp(q->kv[2 * i], key))
			return q->kv[2 * i + 1];
	return NULL;
}

void query_release(struct query *q)
{
	for (size_t i = 0; i < 2 * q->n; i++)
		free(q->kv[i]);
	free(q->kv);
	q->kv = NULL;
	q->n = q->alloc = 0;
}

/* ---- keyed record arrays ---- */
struct kstore_entry {
	char *key;
	cJSON *arr;
};

void kstore_init(struct kstore *ks)
{
	hmap_init(&ks->map);
	ks->v = NULL;
	ks->n = ks->alloc = 0;
}

void kstore_release(struct kstore *ks)
{
	for (size_t i = 0; i < ks->n; i++) {
		free(ks->v[i]->key);
		cJSON_Delete(ks->v[i]->arr);
		free(ks->v[i]);
	}
	free(ks->v);
	hmap_release(&ks->map);
	ks->v = NULL;
	ks->n = ks->alloc = 0;
}

cJSON *kstore_get(const struct kstore *ks, const char *key)
{
	const struct kstore_entry *e = hmap_get(&ks->map, key);

	return e ? e->arr : NULL;
}

cJSON *kstore_add(struct kstore *ks, const char *key)
{
	struct kstore_entry *e = hmap_get(&ks->map, key);

	if (e)
		return e->arr;
	e = fc_xmalloc(sizeof(*e));
	e->key = fc_xstrdup(key);
	e->arr = cJSON_CreateArray();
	if (!e->arr) {
		fputs("fakecloud: out of memory\n", stderr);
		abort();
	}
	hmap_put(&ks->map, key, e);
	fc_grow((void **)&ks->v, &ks->alloc, ks->n, sizeof(*ks->v));
	ks->v[ks->n++] = e;
	return e->arr;
}

void kstore_append(struct kstore *ks, const char *key, cJSON *arr)
{
	cJSON *dst = kstore_add(ks, key), *it, *next;

	for (it = arr ? arr->child : NULL; it; it = next) {
		next = it->next;
		cJSON_AddItemToArray(dst, cJSON_DetachItemViaPointer(arr, it));
	}
	cJSON_Delete(arr);
}

size_t kstore_count(const struct kstore *ks)
{
	return ks->n;
}

const char *kstore_key(const struct kstore *ks, size_t i, cJSON **arr)
{
	*arr = ks->v[i]->arr;
	return ks->v[i]->key;
}

cJSON *kstore_dump(const struct kstore *ks)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; i < ks->n; i++)
		cJSON_AddItemToObject(o, ks->v[i]->key,
				      cJSON_Duplicate(ks->v[i]->arr, 1));
	return o;
}

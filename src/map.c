#include "map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "banned.h"

void map_init(struct map *m)
{
	memset(m, 0, sizeof(*m));
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static struct map_ent *slot(const struct map *m, const char *key)
{
	size_t i = (size_t)str_hash(key) & (m->cap - 1);

	while (m->v[i].key && strcmp(m->v[i].key, key))
		i = (i + 1) & (m->cap - 1);
	return &m->v[i];
}

void *map_get(const struct map *m, const char *key)
{
	struct map_ent *e;

	if (!m->cap)
		return NULL;
	e = slot(m, key);
	return e->key ? e->val : NULL;
}

void map_put(struct map *m, const char *key, void *val)
{
	struct map_ent *e;

	/* At most 70% full: probes stay short. */
	if ((m->n + 1) * 10 > m->cap * 7) {
		struct map old = *m;
		size_t i;

		m->cap = old.cap ? old.cap * 2 : 64;
		m->v = xcalloc(m->cap, sizeof(*m->v));
		for (i = 0; i < old.cap; i++)
			if (old.v[i].key)
				*slot(m, old.v[i].key) = old.v[i];
		free(old.v);
	}
	e = slot(m, key);
	if (!e->key) {
		e->key = xstrdup(key);
		m->n++;
	}
	e->val = val;
}

void map_release(struct map *m, void (*free_val)(void *))
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (!m->v[i].key)
			continue;
		if (free_val)
			free_val(m->v[i].val);
		free(m->v[i].key);
	}
	free(m->v);
	map_init(m);
}

int map_next(const struct map *m, size_t *pos, const char **key, void **val)
{
	for (; *pos < m->cap; (*pos)++)
		if (m->v[*pos].key && m->v[*pos].val) {
			*key = m->v[*pos].key;
			*val = m->v[*pos].val;
			return 1;
		}
	return 0;
}

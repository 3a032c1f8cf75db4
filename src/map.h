#ifndef ERASECTL_MAP_H
#define ERASECTL_MAP_H
/*
 * map: a string-keyed hash map (open addressing, FNV-1a), for the fleet
 * index, the planner's history and the list walker's seen keys. Keys are
 * copied; values are borrowed (a NULL value reads as absent).
 */
#include <stddef.h>

struct map_ent {
	char *key;
	void *val;
};

struct map {
	struct map_ent *v;
	size_t n, cap;
};
#define MAP_INIT { NULL, 0, 0 }

void map_init(struct map *m);
/* The value stored under key, or NULL. */
void *map_get(const struct map *m, const char *key);
/* Stores val under key, replacing any value there. */
void map_put(struct map *m, const char *key, void *val);
/*
 * The next entry at or after *pos with a value, in no particular order:
 * for (pos = 0; map_next(m, &pos, &key, &val); pos++) ...
 * Returns 0 when there is none.
 */
int map_next(const struct map *m, size_t *pos, const char **key, void **val);
/* Frees the keys; free_val (may be NULL) frees each value. */
void map_release(struct map *m, void (*free_val)(void *));

#endif

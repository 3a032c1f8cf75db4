/*
 * The orders of a product's devices for GET .../devices: the documented
 * default (last connection, newest first) and each sortAttr. Each order is
 * sorted once and cached; a change that moves devices (a device heard
 * from, renamed or removed) fixes or drops only the orders it affects, so
 * listing a 100,000-device product is not a sort per request.
 */
#include "fakecloud.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

static double firmware_version(const struct device *d)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(d->obj,
							  "firmware_version");

	/* device_json reports 1 when the fixture has none. */
	return cJSON_IsNumber(v) ? v->valuedouble : 1;
}

static const char *name_key(const struct device *d)
{
	const char *n = fc_str(d->obj, "name");

	return n ? n : "";
}

/*
 * Ascending, ties by fixture order; except the last connection, whose
 * ties go in reverse fixture order so that the default (descending) order
 * lists equally recent devices in fixture order.
 */
static int cmp_devices(const void *a, const void *b, void *arg)
{
	const struct device *da = *(struct device *const *)a;
	const struct device *db = *(struct device *const *)b;
	enum device_sort sort = *(const enum device_sort *)arg;
	int c = 0;

	switch (sort) {
	case SORT_LAST_CONNECTION:
		c = (da->heard_ms > db->heard_ms) - (da->heard_ms < db->heard_ms);
		if (!c)
			return (da->seq < db->seq) - (da->seq > db->seq);
		return c;
	case SORT_DEVICE_ID:
		c = strcmp(da->id, db->id);
		break;
	case SORT_DEVICE_NAME:
		c = strcmp(name_key(da), name_key(db));
		break;
	case SORT_FIRMWARE_VERSION: {
		double fa = firmware_version(da), fb = firmware_version(db);

		c = (fa > fb) - (fa < fb);
		break;
	}
	case SORT_COUNT:
		break;
	}
	return c ? c : (da->seq > db->seq) - (da->seq < db->seq);
}

struct device **order_get(struct product *p, enum device_sort sort)
{
	struct device **v;

	/* Readers share the fleet lock; the first one to need it sorts. */
	pthread_mutex_lock(&p->order_lock);
	if (!p->order_valid[sort]) {
		v = fc_xrealloc(p->order[sort], p->ndevices * sizeof(*v));
		if (p->ndevices)
			memcpy(v, p->devices, p->ndevices * sizeof(*v));
		qsort_r(v, p->ndevices, sizeof(*v), cmp_devices, &sort);
		p->order[sort] = v;
		p->order_valid[sort] = 1;
	}
	v = p->order[sort];
	pthread_mutex_unlock(&p->order_lock);
	return v;
}

void order_invalidate(struct product *p, enum device_sort sort)
{
	pthread_mutex_lock(&p->order_lock);
	p->order_valid[sort] = 0;
	pthread_mutex_unlock(&p->order_lock);
}

void order_remove(struct product *p, const struct device *d)
{
	pthread_mutex_lock(&p->order_lock);
	for (int s = 0; s < SORT_COUNT; s++) {
		struct device **v = p->order[s];

		if (!p->order_valid[s])
			continue;
		for (size_t i = 0; i < p->ndevices; i++) {
			if (v[i] == d) {
				memmove(v + i, v + i + 1,
					(p->ndevices - i - 1) * sizeof(*v));
				break;
			}
		}
	}
	pthread_mutex_unlock(&p->order_lock);
}

void order_release(struct product *p)
{
	for (int s = 0; s < SORT_COUNT; s++) {
		free(p->order[s]);
		p->order[s] = NULL;
		p->order_valid[s] = 0;
	}
}

void device_heard_now(struct device *d)
{
	char now[32];

	fc_now_iso(now);
	fc_set(d->obj, "last_heard", cJSON_CreateString(now));
	if (fc_parse_iso(now, &d->heard_ms))
		d->heard_ms = fc_wall_ms();
	order_invalidate(d->product, SORT_LAST_CONNECTION);
}

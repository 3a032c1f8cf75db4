/*
 * Behaviour switches: documented-but-unfavourable behaviours of the
 * Particle API that are off by default (README.md "Behaviour switches").
 * One JSON object sets them all: POST /admin/behaviour, --behaviour FILE,
 * or one key at a time with --behave NAME[=VALUE].
 */
#include "fakecloud.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

/* Accepts a whole number in [min, max]. */
static int whole(const cJSON *v, double min, double max, long *out)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < min || v->valuedouble > max ||
	    floor(v->valuedouble) != v->valuedouble)
		return -1;
	*out = (long)v->valuedouble;
	return 0;
}

static int flag(const cJSON *v, int *out)
{
	if (!cJSON_IsBool(v))
		return -1;
	*out = cJSON_IsTrue(v);
	return 0;
}

static int parse_paging(const cJSON *v, struct behaviour *b)
{
	if (cJSON_IsString(v)) {
		if (!strcmp(v->valuestring, "pages"))
			b->customers_paging = CUSTOMERS_PAGES;
		else if (!strcmp(v->valuestring, "ignore_page"))
			b->customers_paging = CUSTOMERS_IGNORE_PAGE;
		else if (!strcmp(v->valuestring, "whole"))
			b->customers_paging = CUSTOMERS_WHOLE;
		else
			return -1;
		return 0;
	}
	/* {"cap": N} */
	if (!cJSON_IsObject(v) || cJSON_GetArraySize(v) != 1 ||
	    whole(cJSON_GetObjectItemCaseSensitive(v, "cap"), 1, 100,
		  &b->customers_cap))
		return -1;
	b->customers_paging = CUSTOMERS_CAP;
	return 0;
}

static int parse_release(const cJSON *v, struct behaviour *b)
{
	const cJSON *ms, *gets;

	if (cJSON_IsBool(v)) {
		b->sim_release_gets = cJSON_IsTrue(v);
		return 0;
	}
	if (!cJSON_IsObject(v) || cJSON_GetArraySize(v) != 1)
		return -1;
	ms = cJSON_GetObjectItemCaseSensitive(v, "delay_ms");
	gets = cJSON_GetObjectItemCaseSensitive(v, "gets");
	if (ms)
		return whole(ms, 1, 3.6e6, &b->sim_release_delay_ms);
	return whole(gets, 1, 1e6, &b->sim_release_gets);
}

int behaviour_parse(const cJSON *o, struct behaviour *b, const char **err)
{
	const cJSON *v;

	memset(b, 0, sizeof(*b));
	if (!cJSON_IsObject(o))
		return *err = "body", -1;
	cJSON_ArrayForEach(v, o) {
		const char *k = v->string;
		int bad;

		if (!strcmp(k, "shifting_order")) {
			if (cJSON_IsBool(v)) {
				b->shifting_order = cJSON_IsTrue(v) ? 3 : 0;
				bad = 0;
			} else {
				bad = whole(v, 0, 1e6, &b->shifting_order);
			}
		} else if (!strcmp(k, "customers_paging")) {
			bad = parse_paging(v, b);
		} else if (!strcmp(k, "customer_case_exact")) {
			bad = flag(v, &b->customer_case_exact);
		} else if (!strcmp(k, "sim_release_pending")) {
			bad = parse_release(v, b);
		} else if (!strcmp(k, "reject_empty_name")) {
			bad = flag(v, &b->reject_empty_name);
		} else if (!strcmp(k, "function_timeout")) {
			bad = flag(v, &b->function_timeout);
		} else {
			bad = 1;
		}
		if (bad)
			return *err = k, -1;
	}
	return 0;
}

cJSON *behaviour_json(const struct behaviour *b)
{
	cJSON *o = cJSON_CreateObject(), *x;

	cJSON_AddNumberToObject(o, "shifting_order", (double)b->shifting_order);
	switch (b->customers_paging) {
	case CUSTOMERS_PAGES:
		cJSON_AddStringToObject(o, "customers_paging", "pages");
		break;
	case CUSTOMERS_IGNORE_PAGE:
		cJSON_AddStringToObject(o, "customers_paging", "ignore_page");
		break;
	case CUSTOMERS_CAP:
		x = cJSON_AddObjectToObject(o, "customers_paging");
		cJSON_AddNumberToObject(x, "cap", (double)b->customers_cap);
		break;
	case CUSTOMERS_WHOLE:
		cJSON_AddStringToObject(o, "customers_paging", "whole");
		break;
	}
	cJSON_AddBoolToObject(o, "customer_case_exact", b->customer_case_exact);
	if (b->sim_release_delay_ms) {
		x = cJSON_AddObjectToObject(o, "sim_release_pending");
		cJSON_AddNumberToObject(x, "delay_ms", (double)b->sim_release_delay_ms);
	} else if (b->sim_release_gets) {
		x = cJSON_AddObjectToObject(o, "sim_release_pending");
		cJSON_AddNumberToObject(x, "gets", (double)b->sim_release_gets);
	} else {
		cJSON_AddFalseToObject(o, "sim_release_pending");
	}
	cJSON_AddBoolToObject(o, "reject_empty_name", b->reject_empty_name);
	cJSON_AddBoolToObject(o, "function_timeout", b->function_timeout);
	return o;
}

int behaviour_flag(cJSON **acc, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
	char *name;
	cJSON *val;

	if (!n)
		return -1;
	if (!eq)
		val = cJSON_CreateTrue();
	else if (!(val = cJSON_ParseWithOpts(eq + 1, NULL, 1)))
		val = cJSON_CreateString(eq + 1);
	if (!*acc)
		*acc = cJSON_CreateObject();
	name = fc_xstrndup(arg, n);
	fc_set(*acc, name, val);
	free(name);
	return 0;
}

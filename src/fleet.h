#ifndef ERASECTL_FLEET_H
#define ERASECTL_FLEET_H
/*
 * fleet: what the configured products hold right now, read through the
 * API: every customer and every device (one walk of each list per
 * product), indexed in memory for the run so that finding a subject costs
 * no API call (API calls grow with the fleet's pages, not subjects x
 * fleet). Also the fresh customers walk that verifies a window, and the
 * paths of a product's resources.
 *
 * Usernames are kept exactly as Particle returned them; API calls use
 * them so. A subject named by email matches every username equal to it
 * ignoring case; one named as a customer matches its username exactly.
 */
#include <stddef.h>

#include "api.h"
#include "buf.h"
#include "config.h"
#include "map.h"

struct fleet_user;

struct fleet_device {
	char *id;			/* lower case */
	size_t product;			/* index into cfg->products */
	struct fleet_user *owner;	/* NULL: unowned */
	char *iccid;
	int online;			/* as listed: 1, 0, or -1 unknown */
	int listed;			/* seen in the product's device list */
	struct fleet_device *next;	/* every device, for freeing */
};

/* One username: the products it is a customer of, the devices it owns. */
struct fleet_user {
	char *username;			/* exactly as returned */
	size_t *cust;			/* products where it is a customer */
	size_t ncust, acust;
	struct fleet_device **devs;
	size_t ndevs, adevs;
	struct fleet_user *next_same;	/* same username ignoring case */
};

struct fleet {
	const struct config *cfg;
	struct api *api;
	char **pbase;			/* "/v1/products/<p>" per product */
	char **cpath;			/* ".../customers" per product */
	struct map users;		/* exact username -> fleet_user */
	struct map folded;		/* lower-cased username -> first user */
	struct map devices;		/* device id -> fleet_device */
	struct map sims;		/* iccid -> fleet_device */
	struct map listed;		/* "<product> <username>": last walk */
	/* With reset_device_config: each product's configuration, or NULL. */
	cJSON **pconfig;
	struct fleet_device *all;
	int discovered;
};

void fleet_init(struct fleet *f, const struct config *cfg, struct api *api);
void fleet_release(struct fleet *f);

/*
 * Checks that every configured product, and every device ledger in each
 * product, exists (one GET each) before anything is changed: with a
 * misspelt name every 404 would look like "already gone". With
 * reset_device_config it also reads each product's configuration (what a
 * reset device must show; 404: the product has none). Returns 0; 1
 * after an error naming the configuration key of what is missing; -1
 * after another failure, with *res the failing call's result.
 */
int fleet_preflight(struct fleet *f, enum api_result *res);

/*
 * Walks every product's customers and devices and builds the index.
 * Returns 0, or -1 after an error, with *res the failing call's result
 * (API_AUTH, API_UNREACHABLE, ... or API_OK for a bad page).
 */
int fleet_discover(struct fleet *f, enum api_result *res);

/*
 * A fresh walk of every product's customers list, for verification:
 * afterwards fleet_customer_listed says whether a username matching the
 * subject (email, normalized, ignoring case; or customer, exactly) was in
 * product's list.
 */
int fleet_walk_customers(struct fleet *f, enum api_result *res);
int fleet_customer_listed(const struct fleet *f, size_t product,
			  const char *email, const char *customer);

/*
 * The users a subject matches (see above): email (normalized) or customer
 * (exact); fills out with them. Returns how many.
 */
size_t fleet_match(const struct fleet *f, const char *email,
		   const char *customer, struct fleet_user ***out,
		   size_t *alloc);

const struct fleet_device *fleet_device(const struct fleet *f, const char *id);
const struct fleet_device *fleet_sim_device(const struct fleet *f,
					    const char *iccid);

/* "/v1/products/<p>/devices/<id>" and the like, segments escaped. */
void fleet_device_path(const struct fleet *f, size_t product, const char *id,
		       struct buf *out);
/* The product index a path the engine wrote names; -1 when none. */
int fleet_path_product(const struct fleet *f, const char *lpath,
		       size_t *product);
/*
 * The product index and device id named by a path the engine wrote
 * (".../products/P/devices/D..." or ".../ledgers/N/instances/D"). Returns
 * 0 when both were found.
 */
int fleet_path_device(const struct fleet *f, const char *lpath,
		      size_t *product, struct buf *device);

#endif

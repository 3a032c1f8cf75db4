/*
 * lookup: was this subject erased, when, by which request. The email is
 * turned into its subject_ref (HMAC) and never stored or printed; the
 * ledger is searched too, so requests whose queue row is gone still show.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "digest.h"
#include "ledger.h"
#include "log.h"
#include "queue.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl lookup --email ADDR [--format text|json]\n"
	"\n"
	"Computes the subject's reference (HMAC-SHA256 of the normalized\n"
	"email with the key in [store] hmac_key_file) and lists the requests\n"
	"for it, from the queue and from the ledger (requests whose queue row\n"
	"is gone). The email itself is neither stored nor printed.\n"
	"\n"
	"  --format json   {\"subject_ref\", \"requests\": [{\"request_id\",\n"
	"                  \"status\", \"outcome\", \"completed_at\"}]}\n"
	"\n"
	"exit status: 0 a record exists; 1 none; 2 usage or key error;\n"
	"3 database error.\n";

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? xstrdup(s) : NULL;
}

/* The state a ledger event leaves a request in, or -1 for no change. */
static int state_after(const char *event)
{
	static const struct { const char *event; enum queue_status s; } map[] = {
		{ LEDGER_EV_ENQUEUED, Q_PENDING },
		{ LEDGER_EV_RELEASE, Q_PENDING },
		{ LEDGER_EV_PLAN, Q_RUNNING },
		{ LEDGER_EV_RESULT, Q_RUNNING },
		{ LEDGER_EV_VERIFY, Q_RUNNING },
		{ LEDGER_EV_DONE, Q_DONE },
		{ LEDGER_EV_FAILED, Q_FAILED },
		{ LEDGER_EV_HOLD, Q_HELD },
		{ LEDGER_EV_REJECTED, Q_REJECTED },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(event, map[i].event))
			return (int)map[i].s;
	return -1;
}

/* Adds requests known only from the ledger to list, state replayed. */
static int add_ledger_only(sqlite3 *db, const char *ref,
			   struct queue_list *list)
{
	sqlite3_stmt *st;
	size_t known = list->n, i;
	int rc, s;

	if (db_prepare(db, &st, "SELECT request_id, event, detail, ts FROM "
		       "ledger WHERE subject_ref = ? ORDER BY seq"))
		return -1;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *ev = (const char *)sqlite3_column_text(st, 1);
		const char *detail = (const char *)sqlite3_column_text(st, 2);
		const char *ts = (const char *)sqlite3_column_text(st, 3);
		struct queue_request *r = NULL;

		for (i = 0; i < list->n; i++)
			if (!strcmp(list->v[i].request_id, id))
				r = &list->v[i];
		/* The queue row, where it still exists, is authoritative. */
		if (r && r < list->v + known)
			continue;
		if (!r) {
			r = queue_list_push(list);
			r->request_id = xstrdup(id);
			r->subject_ref = xstrdup(ref);
		}
		s = state_after(ev);
		if (s < 0)
			continue;
		r->status = (enum queue_status)s;
		if (s == Q_DONE) {
			set_str(&r->outcome, detail);
			set_str(&r->completed_at, ts);
		} else if (s == Q_REJECTED) {
			set_str(&r->completed_at, ts);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return error("database error: %s", sqlite3_errmsg(db));
	return 0;
}

static cJSON *str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

int cmd_lookup(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "email", required_argument, NULL, 'e' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char ref[SHA256_HEX_LEN + 1], *norm = NULL;
	const char *email = NULL;
	struct queue_list list;
	struct hmac_key key;
	size_t i;
	int c, json = 0, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cmd_help(usage);
		case 'e':
			email = optarg;
			break;
		case 'f':
			if (!strcmp(optarg, "json"))
				json = 1;
			else if (strcmp(optarg, "text"))
				return cmd_usage_error(usage, "--format must be "
						       "'text' or 'json', not "
						       "'%s'", optarg);
			break;
		default:
			return cmd_bad_option(usage, argv, opts);
		}
	}
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;
	if (!email)
		return cmd_usage_error(usage, "--email is required");
	norm = email_normalize(email);
	if (!*norm) {
		free(norm);
		return cmd_usage_error(usage, "--email is empty");
	}
	if (hmac_key_load(app->cfg.hmac_key_file, &key)) {
		free(norm);
		return EXIT_USAGE;
	}
	queue_list_init(&list);
	if (subject_ref_of_email(&key, norm, ref)) {
		ret = EXIT_USAGE;
		goto out;
	}
	if (queue_find_by_subject(app->db, ref, norm, &list) ||
	    add_ledger_only(app->db, ref, &list)) {
		ret = EXIT_INTEGRITY;
		goto out;
	}
	if (json) {
		cJSON *o = cJSON_CreateObject(), *a = cJSON_CreateArray();
		char *txt;

		cJSON_AddStringToObject(o, "subject_ref", ref);
		for (i = 0; i < list.n; i++) {
			const struct queue_request *r = &list.v[i];
			cJSON *e = cJSON_CreateObject();

			cJSON_AddStringToObject(e, "request_id", r->request_id);
			cJSON_AddStringToObject(e, "status",
						queue_status_name(r->status));
			cJSON_AddItemToObject(e, "outcome",
					      str_or_null(r->outcome));
			cJSON_AddItemToObject(e, "completed_at",
					      str_or_null(r->completed_at));
			cJSON_AddItemToArray(a, e);
		}
		cJSON_AddItemToObject(o, "requests", a);
		txt = cJSON_PrintUnformatted(o);
		puts(txt);
		cJSON_free(txt);
		cJSON_Delete(o);
	} else {
		printf("subject_ref: %s\n", ref);
		if (!list.n)
			puts("no erasure request found for this subject");
		for (i = 0; i < list.n; i++) {
			const struct queue_request *r = &list.v[i];

			printf("%s %s%s%s%s%s\n", r->request_id,
			       queue_status_name(r->status),
			       r->outcome ? " " : "",
			       r->outcome ? r->outcome : "",
			       r->completed_at ? " completed " : "",
			       r->completed_at ? r->completed_at : "");
		}
	}
	if (!list.n)
		ret = EXIT_FAILED;
out:
	queue_list_release(&list);
	hmac_key_wipe(&key);
	if (norm) {
		memset(norm, 0, strlen(norm));
		free(norm);
	}
	return ret;
}

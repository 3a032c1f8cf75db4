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
#include <time.h>

#include <cjson/cJSON.h>

#include "civil.h"
#include "digest.h"
#include "escape.h"
#include "evidence.h"
#include "ledger.h"
#include "log.h"
#include "queue.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl lookup (--email ADDR | --customer NAME)\n"
	"                       [--format text|json]\n"
	"\n"
	"Computes the subject's reference (HMAC-SHA256 of the normalized\n"
	"email, or of the exact customer username, with the key in [store]\n"
	"hmac_key_file) and lists the requests for it, from the queue and from\n"
	"the ledger (requests whose queue row is gone); the text marks those\n"
	"that are OVERDUE. The identity itself is neither stored nor printed.\n"
	"\n"
	"  --format json   {\"subject_ref\", \"requests\": [{\"request_id\",\n"
	"                  \"status\", \"outcome\", \"completed_at\"}]}\n"
	"\n"
	"Status, outcome and completion are the ledger's: where the queue table\n"
	"says otherwise (it was changed outside erasectl) a warning says so.\n"
	"\n"
	"exit status: 0 a record exists; 1 none; 2 usage or key error;\n"
	"3 database error, or the queue disagrees with the ledger.\n";


/* The deadline of r (empty when unknown) and whether it is overdue. */
static int judge(const struct queue_request *r, long deadline_days,
		 const char *today, char deadline[11])
{
	struct deadline_verdict v;

	if (!r->received_at || civil_deadline(r->received_at, deadline_days,
					      r->extension_months, deadline))
		deadline[0] = '\0';
	civil_judge(queue_status_clock(r->status), deadline, r->completed_at,
		    today, &v);
	return v.overdue;
}

/* Adds the requests of ref that only the ledger still knows. */
static int add_ledger_only(sqlite3 *db, const char *ref,
			   struct queue_list *list)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if (db_prepare(db, &st, "SELECT DISTINCT request_id FROM ledger "
		       "WHERE subject_ref = ?1"))
		return -1;
	db_bind_text(st, 1, ref);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		struct queue_request *r;

		for (i = 0; i < list->n; i++)
			if (!strcmp(list->v[i].request_id, id))
				break;
		if (i < list->n)
			continue;
		r = queue_list_push(list);
		r->request_id = xstrdup(id);
		r->subject_ref = xstrdup(ref);
		r->status = Q_NSTATUS;	/* no queue row */
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(db);
	return 0;
}

/*
 * What the ledger proves of each request (evidence.h) replaces the queue's
 * status, outcome and completion; where the two differ, why says so.
 */
static int apply_evidence(sqlite3 *db, struct queue_list *list,
			  struct strvec *why)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < list->n; i++) {
		struct queue_request *r = &list->v[i];
		struct evidence ev;
		int has_row = r->status != Q_NSTATUS;

		if (evidence_of(db, r->request_id, &ev)) {
			buf_release(&b);
			return -1;
		}
		buf_reset(&b);
		if (!evidence_agrees(&ev, has_row ? r : NULL, &b))
			strvec_pushf(why, "request '%s': %s", r->request_id,
				     b.buf);
		if (ev.recorded) {
			r->status = ev.status;
			free(r->outcome);
			r->outcome = ev.outcome[0] ? xstrdup(ev.outcome) : NULL;
			free(r->completed_at);
			r->completed_at = ev.completed_at[0] ?
				xstrdup(ev.completed_at) : NULL;
		} else if (!has_row) {
			r->status = Q_PENDING;
		}
	}
	buf_release(&b);
	return 0;
}

const struct option cmd_lookup_opts[] = {
	{ "email", required_argument, NULL, 'e' },
	{ "customer", required_argument, NULL, 'u' },
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_lookup(int argc, char **argv, struct app *app)
{
	char ref[SHA256_HEX_LEN + 1], *norm = NULL, today[11], deadline[11];
	const char *email = NULL, *customer = NULL;
	struct queue_list list;
	struct strvec why = STRVEC_INIT;
	struct hmac_key key;
	size_t i;
	int c, json = 0, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, "h", cmd_lookup_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cmd_help(usage);
		case 'e':
			email = optarg;
			break;
		case 'u':
			customer = optarg;
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
			return cmd_bad_option(usage, argv, cmd_lookup_opts);
		}
	}
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;
	if (!email == !customer)
		return cmd_usage_error(usage, "give exactly one of --email and "
				       "--customer");
	norm = email ? email_normalize(email) : xstrdup(customer);
	if (!*norm) {
		free(norm);
		return cmd_usage_error(usage, "the %s is empty",
				       email ? "email" : "customer");
	}
	if ((ret = cmd_load_key(app, &key))) {
		free(norm);
		return ret;
	}
	queue_list_init(&list);
	civil_format_date(time(NULL), today);
	if ((email ? subject_ref_of_email(&key, norm, ref) :
	     subject_ref_of_customer(&key, norm, ref))) {
		ret = EXIT_USAGE;
		goto out;
	}
	if (queue_find_by_subject(app->db, ref, email ? norm : NULL,
				  email ? NULL : norm, &list) ||
	    add_ledger_only(app->db, ref, &list) ||
	    apply_evidence(app->db, &list, &why)) {
		ret = cmd_db_failed();
		goto out;
	}
	for (i = 0; i < why.n; i++)
		warning("%s: the queue table was changed outside erasectl; the "
			"status shown is the ledger's", why.v[i]);
	if (json) {
		cJSON *o = cJSON_CreateObject(), *a = cJSON_CreateArray();
		struct buf out = BUF_INIT;

		cJSON_AddStringToObject(o, "subject_ref", ref);
		for (i = 0; i < list.n; i++) {
			const struct queue_request *r = &list.v[i];
			cJSON *e = cJSON_CreateObject();

			json_add_text(e, "request_id", r->request_id);
			cJSON_AddStringToObject(e, "status",
						queue_status_name(r->status));
			json_add_text(e, "outcome", r->outcome);
			json_add_text(e, "completed_at", r->completed_at);
			cJSON_AddItemToArray(a, e);
		}
		cJSON_AddItemToObject(o, "requests", a);
		json_print(o, 0, &out);
		fputs(out.buf, stdout);
		buf_release(&out);
		cJSON_Delete(o);
	} else {
		printf("subject_ref: %s\n", ref);
		if (!list.n)
			puts("no erasure request found for this subject");
		for (i = 0; i < list.n; i++) {
			const struct queue_request *r = &list.v[i];
			struct buf rid = BUF_INIT;
			int overdue = judge(r, app->cfg.deadline_days, today,
					    deadline);

			escape_text(&rid, r->request_id);
			printf("%s %s%s%s%s%s%s\n", rid.buf,
			       queue_status_name(r->status),
			       r->outcome ? " " : "",
			       r->outcome ? r->outcome : "",
			       r->completed_at ? " completed " : "",
			       r->completed_at ? r->completed_at : "",
			       overdue ? " OVERDUE" : "");
			buf_release(&rid);
		}
	}
	if (!list.n)
		ret = EXIT_FAILED;
	else if (why.n)
		ret = EXIT_INTEGRITY;
out:
	strvec_clear(&why);
	queue_list_release(&list);
	hmac_key_wipe(&key);
	if (norm) {
		memset(norm, 0, strlen(norm));
		free(norm);
	}
	return ret;
}

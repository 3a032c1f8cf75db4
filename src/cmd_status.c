/*
 * status: queue counts and requests, as text or as the JSON of DESIGN.md
 * "Machine-readable output". Never shows an email.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "civil.h"
#include "escape.h"
#include "evidence.h"
#include "log.h"
#include "queue.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl status [REQUEST_ID] [--format text|json]\n"
	"\n"
	"Shows how many requests are in each state and lists them (or only\n"
	"REQUEST_ID) with their deadline: one calendar month from receipt, or\n"
	"[policy] deadline_days, plus any extension.\n"
	"\n"
	"  --format json   {\"counts\": {STATE: N, ...}, \"requests\":\n"
	"                  [{\"request_id\", \"status\", \"outcome\", \"attempts\",\n"
	"                  \"received_at\", \"deadline\", \"completed_at\",\n"
	"                  \"last_error\", \"enqueued_by\", \"approved_by\",\n"
	"                  \"approved_at\", \"denied_by\"}]}: who enqueued,\n"
	"                  approved or denied it (OS users, from the ledger)\n"
	"\n"
	"exit status: 0 ok; 1 REQUEST_ID is not queued; 2 usage error;\n"
	"3 database error.\n";

/* An evidence name, or NULL when the ledger has none. */
static const char *str_or_null(const char *s)
{
	return s && *s ? s : NULL;
}

/*
 * One request of the JSON list, printed as it is made: 100,000 requests
 * never sit in one cJSON tree.
 */
static void print_json_request(const struct queue_request *r,
			      const struct evidence *who,
			      const char *deadline, int first)
{
	struct buf out = BUF_INIT;
	cJSON *o = cJSON_CreateObject();

	json_add_text(o, "request_id", r->request_id);
	cJSON_AddStringToObject(o, "status", queue_status_name(r->status));
	json_add_text(o, "outcome", r->outcome);
	json_add_int(o, "attempts", r->attempts);
	json_add_text(o, "received_at", r->received_at);
	json_add_text(o, "deadline", deadline);
	json_add_text(o, "completed_at", r->completed_at);
	json_add_text(o, "last_error", r->last_error);
	json_add_text(o, "enqueued_by", str_or_null(who->enqueued_by));
	json_add_text(o, "approved_by", str_or_null(who->approved_by));
	json_add_text(o, "approved_at", str_or_null(who->approved_at));
	json_add_text(o, "denied_by", str_or_null(who->decided_by));
	json_print(o, 0, &out);
	printf("%s%.*s", first ? "" : ",", (int)out.len - 1, out.buf);
	buf_release(&out);
	cJSON_Delete(o);
}

/*
 * Free text came from outside (CSV, operators, upstream rows, the API):
 * scrubbed of personal data and of control characters.
 */
static void print_field(const char *label, const char *s)
{
	struct buf b = BUF_INIT, t = BUF_INIT;

	log_redact(&b, s);
	escape_text(&t, b.buf);
	printf("%-13s %s\n", label, t.buf);
	buf_release(&b);
	buf_release(&t);
}

static void print_text_one(const struct queue_request *r,
			   const struct evidence *who, const char *deadline,
			   int overdue)
{
	print_field("request_id:", r->request_id);
	printf("status:       %s%s\n", queue_status_name(r->status),
	       overdue ? " (overdue)" : "");
	if (r->outcome)
		printf("outcome:      %s\n", r->outcome);
	if (r->subject_ref)
		printf("subject:      subject_ref %s\n", r->subject_ref);
	else
		printf("subject:      %s\n", r->subject_email ?
		       "email (subject_ref not derived yet)" : "device only");
	if (r->device_id)
		print_field("device_id:", r->device_id);
	if (r->product)
		print_field("product:", r->product);
	if (r->source)
		print_field("source:", r->source);
	print_field("received_at:", r->received_at);
	printf("deadline:     %s%s\n", deadline ? deadline : "?",
	       r->extension_months ? " (extended)" : "");
	if (r->extension_months) {
		printf("extension:    %d month%s\n", r->extension_months,
		       r->extension_months == 1 ? "" : "s");
		if (r->extension_reason)
			print_field("ext_reason:", r->extension_reason);
	}
	if (r->hold_reason)
		print_field("hold_reason:", r->hold_reason);
	printf("attempts:     %d\n", r->attempts);
	if (r->last_error)
		print_field("last_error:", r->last_error);
	if (who->enqueued_by[0])
		print_field("enqueued_by:", who->enqueued_by);
	if (who->approved_by[0]) {
		print_field("approved_by:", who->approved_by);
		print_field("approved_at:", who->approved_at);
	}
	if (who->decided_by[0])
		print_field("denied_by:", who->decided_by);
	print_field("queued_at:", r->queued_at);
	print_field("updated_at:", r->updated_at);
	if (r->completed_at)
		print_field("completed_at:", r->completed_at);
}

const struct option cmd_status_opts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_status(int argc, char **argv, struct app *app)
{
	struct queue_list list;
	struct queue_request one;
	struct evidence who;
	const struct queue_request *rows;
	long counts[Q_NSTATUS];
	const char *id = NULL;
	char deadline[11], today[11];
	size_t i, n;
	int c, json = 0, ret = EXIT_OK, s;

	while ((c = getopt_long(argc, argv, "h", cmd_status_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cmd_help(usage);
		case 'f':
			if (!strcmp(optarg, "json"))
				json = 1;
			else if (strcmp(optarg, "text"))
				return cmd_usage_error(usage, "--format must be "
						       "'text' or 'json', not "
						       "'%s'", optarg);
			break;
		default:
			return cmd_bad_option(usage, argv, cmd_status_opts);
		}
	}
	if (optind < argc)
		id = argv[optind++];
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;

	civil_format_date(time(NULL), today);
	queue_list_init(&list);
	queue_request_init(&one);
	if (queue_counts(app->db, counts)) {
		ret = cmd_db_failed();
		goto out;
	}
	if (id) {
		int rc = queue_get(app->db, id, &one);

		if (rc > 0) {
			error("no request '%s' in the queue", id);
			ret = EXIT_FAILED;
			goto out;
		}
		if (rc) {
			ret = cmd_db_failed();
			goto out;
		}
		rows = &one;
		n = 1;
	} else {
		if (queue_list(app->db, -1, 0, &list)) {
			ret = cmd_db_failed();
			goto out;
		}
		rows = list.v;
		n = list.n;
	}

	if (json) {
		fputs("{\"counts\":{", stdout);
		for (s = 0; s < Q_NSTATUS; s++)
			printf("%s\"%s\":%ld", s ? "," : "",
			       queue_status_name((enum queue_status)s),
			       counts[s]);
		fputs("},\"requests\":[", stdout);
	} else if (!id) {
		/* awaiting_approval only where approval is in use. */
		for (s = 0; s < Q_NSTATUS; s++)
			if (s != Q_AWAITING || counts[s])
				printf("%s%s %ld", s ? ", " : "",
				       queue_status_name((enum queue_status)s),
				       counts[s]);
		putchar('\n');
		if (n)
			printf("%-36s %-8s %-20s %-10s %8s %s\n", "REQUEST_ID",
			       "STATUS", "RECEIVED_AT", "DEADLINE", "ATTEMPTS",
			       "OUTCOME");
	}
	for (i = 0; i < n; i++) {
		const struct queue_request *r = &rows[i];
		struct deadline_verdict v;
		struct buf rid = BUF_INIT, rat = BUF_INIT;
		int have = !civil_deadline(r->received_at,
					   app->cfg.deadline_days,
					   r->extension_months, deadline);

		civil_judge(queue_status_clock(r->status), have ? deadline :
			    NULL, r->completed_at, today, &v);
		if ((json || id) &&
		    evidence_people(app->db, r->request_id, &who)) {
			ret = cmd_db_failed();
			break;
		}
		if (json) {
			print_json_request(r, &who, have ? deadline : NULL,
					   i == 0);
		} else if (id) {
			print_text_one(r, &who, have ? deadline : NULL,
				       v.overdue);
		} else {
			escape_text(&rid, r->request_id);
			escape_text(&rat, r->received_at);
			printf("%-36s %-8s %-20s %-10s %8d %s%s\n", rid.buf,
			       queue_status_name(r->status), rat.buf,
			       have ? deadline : "?", r->attempts,
			       r->outcome ? r->outcome : "-",
			       v.overdue ? " OVERDUE" : "");
		}
		buf_release(&rid);
		buf_release(&rat);
	}
	if (json)
		fputs("]}\n", stdout);
out:
	queue_request_release(&one);
	queue_list_release(&list);
	return ret;
}

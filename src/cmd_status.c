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
#include "intake.h"
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
	"                  \"last_error\"}]}\n"
	"\n"
	"exit status: 0 ok; 1 REQUEST_ID is not queued; 2 usage error;\n"
	"3 database error.\n";

static cJSON *str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static void print_json_request(const struct queue_request *r,
			       const char *deadline, int first)
{
	cJSON *o = cJSON_CreateObject();
	char *txt;

	cJSON_AddItemToObject(o, "request_id", str_or_null(r->request_id));
	cJSON_AddStringToObject(o, "status", queue_status_name(r->status));
	cJSON_AddItemToObject(o, "outcome", str_or_null(r->outcome));
	cJSON_AddNumberToObject(o, "attempts", r->attempts);
	cJSON_AddItemToObject(o, "received_at", str_or_null(r->received_at));
	cJSON_AddItemToObject(o, "deadline", str_or_null(deadline));
	cJSON_AddItemToObject(o, "completed_at", str_or_null(r->completed_at));
	cJSON_AddItemToObject(o, "last_error", str_or_null(r->last_error));
	txt = cJSON_PrintUnformatted(o);
	printf("%s%s", first ? "" : ",", txt);
	cJSON_free(txt);
	cJSON_Delete(o);
}

static int is_overdue(const struct queue_request *r, const char *deadline,
		      const char *today)
{
	return deadline && r->status != Q_DONE && r->status != Q_REJECTED &&
	       strcmp(today, deadline) > 0;
}

/* Free text came from outside (CSV, operators, the API): scrub it. */
static void print_field(const char *label, const char *s)
{
	struct buf b = BUF_INIT;

	log_redact(&b, s);
	printf("%-13s %s\n", label, b.buf);
	buf_release(&b);
}

static void print_text_one(const struct queue_request *r,
			   const char *deadline, const char *today)
{
	printf("request_id:   %s\n", r->request_id);
	printf("status:       %s%s\n", queue_status_name(r->status),
	       is_overdue(r, deadline, today) ? " (overdue)" : "");
	if (r->outcome)
		printf("outcome:      %s\n", r->outcome);
	if (r->subject_ref)
		printf("subject:      subject_ref %s\n", r->subject_ref);
	else
		printf("subject:      %s\n", r->subject_email ?
		       "email (subject_ref not derived yet)" : "device only");
	if (r->device_id)
		printf("device_id:    %s\n", r->device_id);
	if (r->product)
		print_field("product:", r->product);
	if (r->source)
		print_field("source:", r->source);
	printf("received_at:  %s\n", r->received_at);
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
	printf("queued_at:    %s\n", r->queued_at);
	printf("updated_at:   %s\n", r->updated_at);
	if (r->completed_at)
		printf("completed_at: %s\n", r->completed_at);
}

int cmd_status(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct queue_list list;
	struct queue_request one;
	const struct queue_request *rows;
	long counts[Q_NSTATUS];
	const char *id = NULL;
	char deadline[11], today[11];
	time_t now = time(NULL);
	struct tm tm;
	size_t i, n;
	int c, json = 0, ret = EXIT_OK, s;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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
			return cmd_bad_option(usage, argv, opts);
		}
	}
	if (optind < argc)
		id = argv[optind++];
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;

	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	queue_list_init(&list);
	queue_request_init(&one);
	if (queue_counts(app->db, counts)) {
		ret = EXIT_INTEGRITY;
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
			ret = EXIT_INTEGRITY;
			goto out;
		}
		rows = &one;
		n = 1;
	} else {
		if (queue_list(app->db, -1, 0, &list)) {
			ret = EXIT_INTEGRITY;
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
		for (s = 0; s < Q_NSTATUS; s++)
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
		int have = !queue_deadline(r->received_at,
					   app->cfg.deadline_days,
					   r->extension_months, deadline);

		if (json)
			print_json_request(r, have ? deadline : NULL, i == 0);
		else if (id)
			print_text_one(r, have ? deadline : NULL, today);
		else
			printf("%-36s %-8s %-20s %-10s %8d %s%s\n",
			       r->request_id, queue_status_name(r->status),
			       r->received_at, have ? deadline : "?",
			       r->attempts, r->outcome ? r->outcome : "-",
			       is_overdue(r, have ? deadline : NULL, today) ?
			       " OVERDUE" : "");
	}
	if (json)
		fputs("]}\n", stdout);
out:
	queue_request_release(&one);
	queue_list_release(&list);
	return ret;
}

/*
 * sweep: finds erased subjects that are customers or device owners again
 * (sweep.h), reports them, and with --requeue queues their erasure again.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "civil.h"
#include "digest.h"
#include "escape.h"
#include "log.h"
#include "metrics.h"
#include "sweep.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"usage: erasectl sweep [--requeue] [--format text|json]\n"
	"\n"
	"Walks the customers and devices of every configured product (the\n"
	"same complete list walks as a run; the lists only) and finds the\n"
	"subjects the ledger proves erased that are customers or device\n"
	"owners again: re-created by a sync, a restored backup or a new\n"
	"registration, or a device claimed again. Each finding names the\n"
	"request that erased the subject, when, and the product (and device)\n"
	"it re-appeared in, and is written to the ledger ('reappeared'). No\n"
	"email is printed: subjects appear as their subject_ref.\n"
	"\n"
	"  --requeue        queue a new erasure request for each subject found\n"
	"                   (source 'sweep', linked in the ledger to the\n"
	"                   request that erased it), unless one is unfinished;\n"
	"                   the next 'erasectl run' erases it again (with\n"
	"                   [policy] approval = required, after approval)\n"
	"  --format json    {\"erased_subjects\", \"usernames_checked\",\n"
	"                   \"devices_checked\", \"api_calls\", \"reappeared\",\n"
	"                   \"findings\": [{\"request_id\", \"subject_ref\",\n"
	"                   \"erased_at\", \"kind\", \"product\", \"target_id\",\n"
	"                   \"requeued_as\"}]}\n"
	"\n"
	"exit status: 0 nobody re-appeared; 1 someone did; 2 usage or\n"
	"configuration error; 3 database error or a ledger that does not\n"
	"verify; 4 token refused; 5 database busy; 6 API unreachable.\n";

const struct option cmd_sweep_opts[] = {
	{ "requeue", no_argument, NULL, 'r' },
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void print_json(const struct sweep_result *r)
{
	cJSON *o = cJSON_CreateObject(), *a;
	struct buf out = BUF_INIT;
	size_t i;

	json_add_int(o, "erased_subjects", r->erased);
	json_add_int(o, "usernames_checked", r->users);
	json_add_int(o, "devices_checked", r->devices);
	json_add_int(o, "api_calls", r->api_calls);
	json_add_int(o, "reappeared", r->subjects);
	a = cJSON_AddArrayToObject(o, "findings");
	for (i = 0; i < r->n; i++) {
		const struct sweep_finding *f = &r->v[i];
		cJSON *x = cJSON_CreateObject();

		json_add_text(x, "request_id", f->request_id);
		json_add_text(x, "subject_ref", f->subject_ref);
		json_add_text(x, "erased_at", f->erased_at);
		json_add_text(x, "kind", f->kind);
		json_add_text(x, "product", f->product);
		json_add_text(x, "target_id", f->target_id);
		json_add_text(x, "requeued_as", f->requeued_as);
		cJSON_AddItemToArray(a, x);
	}
	json_print(o, 1, &out);
	fputs(out.buf, stdout);
	buf_release(&out);
	cJSON_Delete(o);
}

static void print_text(const struct sweep_result *r)
{
	struct buf line = BUF_INIT, out = BUF_INIT;
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct sweep_finding *f = &r->v[i];
		char ref[13];

		buf_reset(&line);
		buf_addf(&line, "reappeared: request %s (erased %s, subject_ref "
			 "%s...): %s %s in product %s", f->request_id,
			 f->erased_at, ref_prefix(f->subject_ref, ref), f->kind,
			 f->target_id, f->product);
		if (f->requeued_as)
			buf_addf(&line, "; queued again as %s", f->requeued_as);
		escape_text(&out, line.buf);
		buf_addch(&out, '\n');
	}
	buf_addf(&out, "sweep: %ld erased subject%s, %ld usernames and %ld "
		 "devices checked; reappeared %ld; API calls %ld\n", r->erased,
		 r->erased == 1 ? "" : "s", r->users, r->devices, r->subjects,
		 r->api_calls);
	fputs(out.buf, stdout);
	buf_release(&line);
	buf_release(&out);
}

int cmd_sweep(int argc, char **argv, struct app *app)
{
	struct sweep_result res;
	struct run_record rec;
	struct hmac_key key;
	int64_t run_id = 0;
	int c, json = 0, requeue = 0, ret;

	while ((c = getopt_long(argc, argv, "h", cmd_sweep_opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			requeue = 1;
			break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json"))
				return cmd_usage_error(usage, "--format must "
						       "be text or json");
			json = !strcmp(optarg, "json");
			break;
		case 'h':
			return cmd_help(usage);
		default:
			return cmd_bad_option(usage, argv, cmd_sweep_opts);
		}
	}
	if (cmd_extra_args(usage, argc, argv, 0))
		return EXIT_USAGE;
	if ((ret = cmd_load_key(app, &key)))
		return ret;
	sweep_result_init(&res);
	if (metrics_run_begin(app->db, "sweep", &run_id)) {
		ret = cmd_db_failed();
		goto out;
	}
	sweep_run(&app->cfg, app->db, &key, requeue, &res);
	if (res.status == ENGINE_OK) {
		if (json)
			print_json(&res);
		else
			print_text(&res);
		ret = res.subjects ? EXIT_FAILED : EXIT_OK;
	} else {
		ret = cmd_engine_exit_status(res.status);
	}
	memset(&rec, 0, sizeof(rec));
	rec.kind = "sweep";
	rec.exit_code = ret;
	rec.api_calls = res.api_calls;
	rec.findings = res.status == ENGINE_OK ? res.subjects : -1;
	if (metrics_run_end(app->db, run_id, &rec) && !ret)
		ret = cmd_db_failed();
out:
	sweep_result_release(&res);
	hmac_key_wipe(&key);
	return ret;
}

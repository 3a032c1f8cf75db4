/*
 * The report as JSON (DESIGN.md "Machine-readable output"), built with
 * cJSON. The requests are printed one object per line as they are made,
 * so a report over 100,000 requests never holds them all in one tree.
 */
#include "report.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "escape.h"
#include "log.h"
#include "banned.h"

static cJSON *days_json(int have, double days)
{
	/* One decimal, as the text formats show it. */
	return have ? cJSON_CreateNumber((double)(long long)(days * 10 +
					 (days >= 0 ? 0.5 : -0.5)) / 10) :
		      cJSON_CreateNull();
}

static cJSON *seq_json(int64_t seq)
{
	return seq ? json_int(seq) : cJSON_CreateNull();
}

static cJSON *summary_json(const struct report *r)
{
	cJSON *o = cJSON_CreateObject(), *a = cJSON_CreateArray();
	size_t i;

	json_add_int(o, "received", r->received);
	json_add_int(o, "done", r->done);
	json_add_int(o, "erased", r->erased);
	json_add_int(o, "erased_with_residue",
				r->erased_with_residue);
	json_add_int(o, "not_found", r->not_found);
	json_add_int(o, "requests_with_residual_stores",
				r->with_residual);
	json_add_int(o, "reappeared", r->reappeared);
	json_add_int(o, "failed", r->failed);
	json_add_int(o, "pending", r->pending);
	json_add_int(o, "running", r->running);
	json_add_int(o, "held", r->held);
	json_add_int(o, "rejected", r->rejected);
	json_add_int(o, "awaiting_approval", r->awaiting);
	json_add_int(o, "ledger_disagreements", r->disagreements);
	json_add_int(o, "overdue", r->overdue);
	json_add_int(o, "overdue_awaiting_approval",
				r->overdue_waiting);
	json_add_int(o, "done_within_deadline",
				r->done_within_deadline);
	cJSON_AddItemToObject(o, "median_days",
			      days_json(r->have_days, r->median_days));
	cJSON_AddItemToObject(o, "p95_days",
			      days_json(r->have_days, r->p95_days));
	for (i = 0; i < r->nactions; i++) {
		cJSON *e = cJSON_CreateObject();

		json_add_text(e, "action", r->actions[i].action);
		json_add_text(e, "outcome", r->actions[i].outcome);
		json_add_int(e, "count", r->actions[i].count);
		cJSON_AddItemToArray(a, e);
	}
	cJSON_AddItemToObject(o, "api_actions", a);
	return o;
}

/* {store: {result: done requests}} */
static cJSON *coverage_json(const struct report *r)
{
	cJSON *o = cJSON_CreateObject();
	int st, res;

	for (st = 0; st < STORE_N; st++) {
		cJSON *c = cJSON_AddObjectToObject(o,
			store_name((enum store)st));

		for (res = 0; res < COV_N; res++)
			json_add_int(c, store_result_name(
				(enum store_result)res),
				r->coverage[st][res]);
	}
	return o;
}

/* "What erasectl cannot erase": each residual store of the period. */
static cJSON *cannot_erase_json(const struct report *r)
{
	cJSON *a = cJSON_CreateArray();
	int st;

	for (st = 0; st < STORE_N; st++) {
		const struct store_doc *d = store_doc_of((enum store)st);
		long n = r->coverage[st][COV_RESIDUAL];
		cJSON *o;

		if (!n)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "store",
					store_name((enum store)st));
		json_add_int(o, "requests", n);
		json_add_text(o, "holds", d->holds);
		if (d->retention_days)
			json_add_int(o, "retention_days",
						d->retention_days);
		else
			cJSON_AddNullToObject(o, "retention_days");
		json_add_text(o, "what_to_do", d->action);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *ledger_json(const struct report *r)
{
	cJSON *o = cJSON_CreateObject();

	json_add_int(o, "entries", r->ledger_entries);
	json_add_text(o, "head", r->ledger_head);
	cJSON_AddBoolToObject(o, "verified", r->ledger_verified);
	cJSON_AddItemToObject(o, "first_bad_seq",
			      seq_json(r->ledger_verified ? 0 :
				       r->ledger_bad_seq));
	json_add_text(o, "problem", r->ledger_reason);
	json_add_int(o, "checkpoints_not_matching",
				r->checkpoints_bad);
	cJSON_AddItemToObject(o, "latest_checkpoint",
			      checkpoint_row_json(&r->checkpoint));
	return o;
}

static cJSON *request_json(const struct report_request *q)
{
	cJSON *o = cJSON_CreateObject(), *res;
	int st;

	json_add_text(o, "request_id", q->request_id);
	json_add_text(o, "subject_ref", q->subject_ref);
	json_add_text(o, "received_at", q->received_at);
	json_add_text(o, "deadline", q->deadline[0] ? q->deadline : NULL);
	json_add_text(o, "completed_at", q->completed_at);
	json_add_text(o, "status", q->status);
	json_add_text(o, "outcome", q->outcome);
	cJSON_AddBoolToObject(o, "overdue", q->overdue);
	json_add_int(o, "devices_released", q->devices_released);
	cJSON_AddBoolToObject(o, "customer_deleted", q->customer_deleted);
	cJSON_AddBoolToObject(o, "verified", q->verified);
	cJSON_AddItemToObject(o, "first_seq", seq_json(q->first_seq));
	cJSON_AddItemToObject(o, "last_seq", seq_json(q->last_seq));
	json_add_int(o, "extension_months", q->extension_months);
	json_add_text(o, "extension_reason", q->extension_reason);
	cJSON_AddItemToObject(o, "days_to_complete",
			      days_json(q->done && q->have_days, q->days));
	cJSON_AddBoolToObject(o, "ledger_agrees", q->agrees);
	json_add_text(o, "disagreement", q->disagreement);
	json_add_text(o, "enqueued_by", q->enqueued_by);
	json_add_text(o, "approved_by", q->approved_by);
	json_add_text(o, "approved_at", q->approved_at);
	cJSON_AddBoolToObject(o, "overdue_awaiting_approval",
			      q->overdue_waiting);
	json_add_int(o, "reappeared", q->reappeared);
	res = cJSON_AddArrayToObject(o, "residual_stores");
	for (st = 0; st < STORE_N; st++)
		if (q->coverage[st] == COV_RESIDUAL)
			cJSON_AddItemToArray(res, cJSON_CreateString(
				store_name((enum store)st)));
	return o;
}

int report_json(const struct report *r, struct buf *out)
{
	struct buf policy = BUF_INIT;
	cJSON *top = cJSON_CreateObject(), *period = cJSON_CreateObject();
	size_t i;

	report_deadline_policy(r->deadline_days, &policy);
	json_add_text(top, "generated_at", r->generated_at);
	json_add_text(period, "from", r->from);
	json_add_text(period, "to", r->to);
	cJSON_AddItemToObject(top, "period", period);
	json_add_text(top, "deadline_policy", policy.buf);
	cJSON_AddItemToObject(top, "summary", summary_json(r));
	cJSON_AddItemToObject(top, "coverage", coverage_json(r));
	cJSON_AddItemToObject(top, "cannot_erase", cannot_erase_json(r));
	cJSON_AddItemToObject(top, "ledger", ledger_json(r));
	json_print(top, 0, out);
	/* Reopen the object ("...}\n") for the streamed requests. */
	buf_setlen(out, out->len - 2);
	buf_adds(out, ",\n\"requests\":[");
	for (i = 0; i < r->nrequests; i++) {
		cJSON *q = request_json(&r->requests[i]);

		buf_adds(out, i ? ",\n" : "\n");
		json_print(q, 0, out);
		cJSON_Delete(q);
		buf_setlen(out, out->len - 1);
	}
	buf_adds(out, r->nrequests ? "\n]}\n" : "]}\n");
	cJSON_Delete(top);
	buf_release(&policy);
	return 0;
}

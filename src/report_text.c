/* The report as CSV (one row per request) and as Markdown (for tickets). */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "util.h"
#include "banned.h"

static void csv_num(struct buf *out, long long n, int present)
{
	if (present)
		buf_addf(out, "%lld", n);
}

/* The names of the stores a request left, joined by sep. */
static void residual_list(struct buf *out, const struct report_request *q,
			  const char *sep)
{
	int st, n = 0;

	for (st = 0; st < STORE_N; st++)
		if (q->coverage[st] == COV_RESIDUAL)
			buf_addf(out, "%s%s", n++ ? sep : "",
				 store_name((enum store)st));
}

int report_csv(const struct report *r, struct buf *out)
{
	size_t i;

	buf_adds(out, "request_id,subject_ref,received_at,deadline,"
		 "completed_at,status,outcome,overdue,devices_released,"
		 "customer_deleted,verified,first_seq,last_seq,"
		 "extension_months,extension_reason,days_to_complete,"
		 "ledger_agrees,residual_stores,enqueued_by,approved_by,"
		 "approved_at,overdue_awaiting_approval,reappeared\r\n");
	for (i = 0; i < r->nrequests; i++) {
		const struct report_request *q = &r->requests[i];

		escape_csv_cell(out, str_or(q->request_id, ""));
		buf_addch(out, ',');
		escape_csv_cell(out, str_or(q->subject_ref, ""));
		buf_addch(out, ',');
		escape_csv_cell(out, str_or(q->received_at, ""));
		buf_addch(out, ',');
		escape_csv_cell(out, q->deadline);
		buf_addch(out, ',');
		escape_csv_cell(out, str_or(q->completed_at, ""));
		buf_addch(out, ',');
		escape_csv_cell(out, q->status);
		buf_addch(out, ',');
		escape_csv_cell(out, str_or(q->outcome, ""));
		buf_addf(out, ",%s,%ld,%s,%s,", q->overdue ? "yes" : "no",
			 q->devices_released, q->customer_deleted ? "yes" : "no",
			 q->verified ? "yes" : "no");
		csv_num(out, q->first_seq, q->first_seq > 0);
		buf_addch(out, ',');
		csv_num(out, q->last_seq, q->last_seq > 0);
		buf_addf(out, ",%d,", q->extension_months);
		escape_csv_cell(out, str_or(q->extension_reason, ""));
		buf_addch(out, ',');
		if (q->done && q->have_days)
			buf_addf(out, "%.1f", q->days);
		buf_adds(out, q->agrees ? ",yes," : ",NO,");
		residual_list(out, q, ";");
		buf_addch(out, ',');
		escape_csv_cell(out, str_or(q->enqueued_by, ""));
		buf_addch(out, ',');
		escape_csv_cell(out, str_or(q->approved_by, ""));
		buf_addch(out, ',');
		escape_csv_cell(out, str_or(q->approved_at, ""));
		buf_addf(out, ",%s,%ld\r\n", q->overdue_waiting ? "yes" : "no",
			 q->reappeared);
	}
	return 0;
}


static void md_row(struct buf *out, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void md_row(struct buf *out, const char *label, const char *fmt, ...)
{
	va_list ap;

	buf_addf(out, "| %s | ", label);
	va_start(ap, fmt);
	buf_vaddf(out, fmt, ap);
	va_end(ap);
	buf_adds(out, " |\n");
}

static void md_days(struct buf *out, int have, double d)
{
	if (have)
		buf_addf(out, "%.1f", d);
	else
		buf_adds(out, "–");
}

static void md_checkpoint(struct buf *out, const struct checkpoint_row *c)
{
	if (!c->present) {
		buf_adds(out, "none yet (run `erasectl checkpoint`)");
		return;
	}
	buf_addf(out, "#%lld, ", (long long)c->id);
	escape_md(out, str_or(c->created_at, "?"));
	buf_addf(out, ", covers entries 1–%lld, root ", (long long)c->entries);
	escape_md_code(out, str_or(c->root, "?"));
	buf_adds(out, c->is_signed ? ", signed (Ed25519)" : ", unsigned");
}

/* The coverage matrix, and what erasectl cannot erase. */
static void md_coverage(struct buf *out, const struct report *r)
{
	int st, n = 0;

	buf_adds(out, "## Coverage of done requests\n\n| Store | Erased | "
		 "Not applicable | Skipped by policy | Residual |\n"
		 "|---|---:|---:|---:|---:|\n");
	for (st = 0; st < STORE_N; st++)
		buf_addf(out, "| `%s` | %ld | %ld | %ld | %ld |\n",
			 store_name((enum store)st),
			 r->coverage[st][COV_ERASED],
			 r->coverage[st][COV_NOT_APPLICABLE],
			 r->coverage[st][COV_SKIPPED],
			 r->coverage[st][COV_RESIDUAL]);
	buf_adds(out, "\n## What erasectl cannot erase\n\n");
	for (st = 0; st < STORE_N; st++) {
		const struct store_doc *d = store_doc_of((enum store)st);
		long k = r->coverage[st][COV_RESIDUAL];

		if (!k)
			continue;
		buf_addf(out, "- `%s` (%ld request%s): %s", store_name(
			 (enum store)st), k, k == 1 ? "" : "s", d->holds);
		if (d->retention_days)
			buf_addf(out, "; kept about %d days", d->retention_days);
		buf_addf(out, ". **What to do:** %s.\n", d->action);
		n++;
	}
	if (!n)
		buf_adds(out, "Nothing: no done request left a store.\n\n");
	else
		buf_adds(out, "\nThe device ids and time windows of each "
			 "request, for your processor: `erasectl residual "
			 "--all --format csv` (no email).\n\n");
}

int report_markdown(const struct report *r, struct buf *out)
{
	struct buf policy = BUF_INIT;
	size_t i;

	report_deadline_policy(r->deadline_days, &policy);
	buf_adds(out, "# Erasure compliance report (GDPR Art. 17)\n\n");
	buf_addf(out, "Generated %s · period: ", r->generated_at);
	if (r->from || r->to)
		buf_addf(out, "%s to %s", str_or(r->from, "start"),
			 str_or(r->to, "now"));
	else
		buf_adds(out, "all time");
	buf_addf(out, " (by date received) · deadline: %s\n\n", policy.buf);

	buf_adds(out, "## Summary\n\n| Measure | Value |\n|---|---:|\n");
	md_row(out, "Requests received", "%ld", r->received);
	md_row(out, "Done", "%ld", r->done);
	md_row(out, "— erased", "%ld", r->erased);
	md_row(out, "— erased with residue (a store the policy asked for "
	       "was left at the deadline)", "%ld", r->erased_with_residue);
	md_row(out, "— subject not found", "%ld", r->not_found);
	md_row(out, "Done requests with residual stores", "%ld",
	       r->with_residual);
	md_row(out, "Erased subjects found again by a sweep", "%ld",
	       r->reappeared);
	md_row(out, "Failed (retried by the next run)", "%ld", r->failed);
	md_row(out, "Pending", "%ld", r->pending + r->running);
	md_row(out, "Held (Art. 17(3))", "%ld", r->held);
	md_row(out, "Rejected", "%ld", r->rejected);
	if (r->awaiting || r->overdue_waiting) {
		md_row(out, "Awaiting approval", "%ld", r->awaiting);
		md_row(out, "**Overdue while awaiting approval**", "**%ld**",
		       r->overdue_waiting);
	}
	md_row(out, "**Overdue**", "**%ld**", r->overdue);
	md_row(out, "Done within deadline", "%ld of %ld", r->done_within_deadline,
	       r->done);
	buf_adds(out, "| Median days to completion | ");
	md_days(out, r->have_days, r->median_days);
	buf_adds(out, " |\n| 95th percentile days | ");
	md_days(out, r->have_days, r->p95_days);
	buf_adds(out, " |\n\n");

	md_coverage(out, r);
	buf_adds(out, "## Ledger integrity\n\n");
	buf_addf(out, "- Entries: %lld\n- Head hash: ",
		 (long long)r->ledger_entries);
	escape_md_code(out, r->ledger_head);
	buf_addf(out, "\n- Hash chain verified: **%s**",
		 r->ledger_verified ? "yes" : "NO");
	if (!r->ledger_verified) {
		buf_addf(out, " (first bad entry: seq %lld: ",
			 (long long)r->ledger_bad_seq);
		escape_md(out, str_or(r->ledger_reason, "mismatch"));
		buf_addch(out, ')');
	}
	buf_adds(out, "\n- Latest checkpoint: ");
	md_checkpoint(out, &r->checkpoint);
	if (r->checkpoints_bad)
		buf_addf(out, "\n- **%zu checkpoint row%s in the database do "
			 "NOT match the ledger** (written or changed outside "
			 "erasectl; not cited)", r->checkpoints_bad,
			 r->checkpoints_bad == 1 ? "" : "s");
	if (r->disagreements)
		buf_addf(out, "\n- **%ld request%s whose queue row the ledger "
			 "does not bear out**: their status below is the "
			 "ledger's (see the Ledger column)", r->disagreements,
			 r->disagreements == 1 ? "" : "s");
	buf_adds(out, "\n\n## API actions\n\n");
	if (!r->nactions)
		buf_adds(out, "No API actions recorded.\n\n");
	else
		buf_adds(out, "| Action | Outcome | Count |\n|---|---|---:|\n");
	for (i = 0; i < r->nactions; i++) {
		buf_adds(out, "| ");
		escape_md_code(out, r->actions[i].action);
		buf_adds(out, " | ");
		escape_md_code(out, r->actions[i].outcome);
		buf_addf(out, " | %ld |\n", r->actions[i].count);
	}
	buf_adds(out, r->nactions ? "\n## Requests\n\n" : "## Requests\n\n");
	if (!r->nrequests) {
		buf_adds(out, "No requests in this period.\n");
		goto out;
	}
	buf_adds(out, "| Request | Subject ref | Received | Deadline | "
		 "Completed | Status | Outcome | Overdue | Devices released | "
		 "Customer deleted | Verified | Ledger seq | Extension | "
		 "Ledger |\n"
		 "|---|---|---|---|---|---|---|---|---:|---|---|---|---|---|\n");
	for (i = 0; i < r->nrequests; i++) {
		const struct report_request *q = &r->requests[i];
		char ref[13];

		buf_adds(out, "| ");
		escape_md(out, str_or(q->request_id, ""));
		buf_adds(out, " | ");
		escape_md_code(out, ref_prefix(q->subject_ref, ref));
		buf_adds(out, "… | ");
		escape_md(out, str_or(q->received_at, ""));
		buf_addf(out, " | %s | ", q->deadline);
		escape_md(out, str_or(q->completed_at, "–"));
		buf_addf(out, " | %s | %s | %s | %ld | %s | %s | ", q->status,
			 str_or(q->outcome, "–"), q->overdue ? "**yes**" : "no",
			 q->devices_released, q->customer_deleted ? "yes" : "no",
			 q->verified ? "yes" : "no");
		if (q->first_seq)
			buf_addf(out, "%lld–%lld", (long long)q->first_seq,
				 (long long)q->last_seq);
		else
			buf_adds(out, "–");
		buf_adds(out, " | ");
		if (q->extension_months) {
			buf_addf(out, "+%d mo: ", q->extension_months);
			escape_md(out, str_or(q->extension_reason, ""));
		} else {
			buf_adds(out, "–");
		}
		buf_adds(out, " | ");
		if (q->agrees) {
			buf_adds(out, "agrees");
		} else {
			buf_adds(out, "**queue differs**: ");
			escape_md(out, str_or(q->disagreement, ""));
		}
		buf_adds(out, " |\n");
	}
	buf_adds(out, "\nSubject refs are HMAC-SHA256 of the normalized "
		 "email (first 12 hex digits shown); `erasectl lookup --email` "
		 "finds a subject's requests.\n");
out:
	buf_release(&policy);
	return 0;
}


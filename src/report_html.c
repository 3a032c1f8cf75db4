/*
 * The report as one self-contained HTML page (no external resource): summary
 * cards, the ledger's integrity, two inline SVG charts, the API actions and
 * one row per request; printable to PDF. Every value is escaped, whatever
 * table it was read from.
 */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "escape.h"
#include "util.h"
#include "banned.h"

static const char *const cat_color[NCAT] = {
	"#2f855a", "#94a3b8", "#d69e2e", "#c53030", "#6b46c1", "#4a5568",
};

static const char html_style[] =
	":root{--ink:#1a202c;--muted:#5a6473;--line:#dde2e8;--ok:#2f855a;"
	"--bad:#c53030}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:#eef1f4;color:var(--ink);font:14px/1.45 "
	"-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,"
	"\"Liberation Sans\",\"DejaVu Sans\",sans-serif}\n"
	"main{max-width:1120px;margin:0 auto;padding:36px 36px 40px;"
	"background:#fff;min-height:100vh}\n"
	"header{border-bottom:3px solid var(--ink);padding-bottom:14px;"
	"margin-bottom:22px;display:flex;justify-content:space-between;"
	"align-items:flex-end;gap:24px}\n"
	"h1{font-size:26px;margin:0 0 6px;letter-spacing:-.01em}\n"
	".kicker{font-size:11px;letter-spacing:.12em;text-transform:uppercase;"
	"color:var(--muted);margin:0 0 4px}\n"
	"h2{font-size:16px;margin:30px 0 10px;padding-bottom:5px;"
	"border-bottom:1px solid var(--line)}\n"
	".meta{color:var(--muted);margin:0;font-size:13px}\n"
	".meta b{color:var(--ink);font-weight:600}\n"
	".stamp{text-align:right;font-size:12px;color:var(--muted);"
	"white-space:nowrap}\n"
	".cards{display:grid;grid-template-columns:repeat(5,1fr);gap:10px}\n"
	".card{border:1px solid var(--line);border-radius:6px;padding:10px 13px}\n"
	".card .num{font-size:25px;font-weight:700;line-height:1.15;"
	"font-variant-numeric:tabular-nums}\n"
	".card .num small{font-size:14px;font-weight:500;color:var(--muted)}\n"
	".card .lbl{color:var(--muted);font-size:11px;text-transform:uppercase;"
	"letter-spacing:.05em;margin-top:2px}\n"
	".card.bad{border-color:#feb2b2;background:#fff5f5}"
	".card.bad .num{color:var(--bad)}\n"
	".card.good .num{color:var(--ok)}\n"
	".integrity{margin-top:16px;border-left:5px solid var(--ok);"
	"background:#f0fff4;padding:11px 15px;border-radius:4px;font-size:13px}\n"
	".integrity.bad{border-color:var(--bad);background:#fff5f5}\n"
	".integrity b.st{font-size:14px}\n"
	".integrity dl{display:grid;grid-template-columns:max-content 1fr;"
	"gap:2px 14px;margin:8px 0 0}\n"
	".integrity dt{color:var(--muted)}.integrity dd{margin:0}\n"
	"code,.mono{font-family:\"DejaVu Sans Mono\",Menlo,Consolas,"
	"monospace;font-size:11.5px}\n"
	".integrity code{word-break:break-all}\n"
	"table{border-collapse:collapse;width:100%;font-size:12px}\n"
	"th,td{text-align:left;padding:5px 7px;border-bottom:1px solid "
	"var(--line);vertical-align:top}\n"
	"th{background:#f1f4f7;font-weight:600;font-size:10.5px;"
	"text-transform:uppercase;letter-spacing:.04em;color:#3c4656}\n"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	"tbody tr:nth-child(even) td{background:#fafbfc}\n"
	"td .t{display:block;color:var(--muted);font-size:10.5px}\n"
	"td.nw,th.nw{white-space:nowrap}\n"
	".scroll{overflow-x:auto}\n"
	".pill{display:inline-block;padding:1px 8px;border-radius:9px;"
	"font-size:10.5px;font-weight:600;color:#fff;white-space:nowrap}\n"
	".late{color:var(--bad);font-weight:700}\n"
	".yes{color:var(--ok)}.no{color:var(--muted)}\n"
	".legend{display:flex;gap:18px;flex-wrap:wrap;font-size:12px;"
	"color:var(--muted);margin:2px 0 6px}\n"
	".legend i{display:inline-block;width:11px;height:11px;"
	"border-radius:2px;margin-right:5px;vertical-align:-1px}\n"
	".legend i.line{height:0;border-top:2px dashed var(--ink);"
	"border-radius:0;width:18px;vertical-align:3px}\n"
	".charts{display:grid;grid-template-columns:1fr;gap:4px}\n"
	"svg{display:block;width:100%;height:auto}\n"
	"svg text{font-size:11px;fill:#5a6473}\n"
	".note{color:var(--muted);font-size:12px;margin:6px 0 0}\n"
	"footer{margin-top:34px;padding-top:12px;border-top:1px solid "
	"var(--line);color:var(--muted);font-size:11.5px}\n"
	"footer p{margin:4px 0}\n"
	"@page{size:A4;margin:13mm}\n"
	"@media print{body{background:#fff;font-size:10pt}"
	"main{max-width:none;padding:0;min-height:0}"
	"section,.card,.integrity,svg,tr{break-inside:avoid}"
	"h2{break-after:avoid}thead{display:table-header-group}"
	"table{font-size:7.5pt}th,td{padding:3px 4px}th{font-size:6.5pt}"
	"code,.mono{font-size:7pt}"
	".cards{grid-template-columns:repeat(5,1fr)}.card .num{font-size:17pt}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

/* An axis step of 1, 2 or 5 x 10^k giving at most five ticks to max. */
static double nice_step(double max)
{
	double p = 1, s;

	if (max <= 5)
		return 1;
	while (p * 10 <= max)
		p *= 10;
	for (s = p / 10; s * 5 < max; ) {
		if (s * 2 * 5 >= max)
			return s * 2;
		if (s * 5 * 5 >= max)
			return s * 5;
		s *= 10;
	}
	return s;
}

static void svg_open(struct buf *out, int w, int h, const char *label)
{
	buf_addf(out, "<svg viewBox=\"0 0 %d %d\" role=\"img\" "
		 "aria-label=\"", w, h);
	escape_html(out, label);
	buf_adds(out, "\">\n");
}

/* Horizontal grid lines and labels; returns the axis maximum. */
static double svg_y_axis(struct buf *out, double max, int x0, int x1,
			 int y0, int y1, const char *unit)
{
	double step = nice_step(max > 0 ? max : 1), top, v;

	top = ceil((max > 0 ? max : 1) / step) * step;
	for (v = 0; v <= top + step / 2; v += step) {
		double y = y1 - (y1 - y0) * v / top;

		buf_addf(out, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
			 "stroke=\"%s\" stroke-width=\"1\"/>"
			 "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g%s"
			 "</text>\n", x0, x1, y, y, v ? "#e6e9ee" : "#9aa3ae",
			 x0 - 6, y + 4, v, v ? unit : "");
	}
	return top;
}

static void html_weekly_chart(const struct report *r, struct buf *out)
{
	const int W = 1040, H = 250, x0 = 44, x1 = W - 8, y0 = 12, y1 = H - 28;
	long first = 0, last = 0, d, (*weeks)[NCAT];
	size_t i, nweeks, every;
	double top, slot, max = 0;
	int c, any = 0;

	for (i = 0; i < r->nrequests; i++) {
		if (civil_date_days(r->requests[i].received_at, &d))
			continue;
		d -= (d + 3) % 7;	/* the Monday (1970-01-01 was a Thursday) */
		if (!any || d < first)
			first = d;
		if (!any || d > last)
			last = d;
		any = 1;
	}
	buf_adds(out, "<section><h2>Requests per week by outcome</h2>\n");
	if (!any) {
		buf_adds(out, "<p class=\"note\">No requests in this period."
			 "</p></section>\n");
		return;
	}
	nweeks = (size_t)((last - first) / 7 + 1);
	weeks = xcalloc(nweeks, sizeof(*weeks));
	for (i = 0; i < r->nrequests; i++) {
		if (civil_date_days(r->requests[i].received_at, &d))
			continue;
		d -= (d + 3) % 7;
		weeks[(d - first) / 7][report_request_category(&r->requests[i])]++;
	}
	for (i = 0; i < nweeks; i++) {
		long sum = 0;

		for (c = 0; c < NCAT; c++)
			sum += weeks[i][c];
		if (sum > max)
			max = (double)sum;
	}
	buf_adds(out, "<div class=\"legend\">");
	for (c = 0; c < NCAT; c++)
		buf_addf(out, "<span><i style=\"background:%s\"></i>%s</span>",
			 cat_color[c], report_category_name[c]);
	buf_adds(out, "</div>\n");
	svg_open(out, W, H, "Stacked bar chart of requests received per "
		 "week, by outcome");
	top = svg_y_axis(out, max, x0, x1, y0, y1, "");
	slot = (double)(x1 - x0) / (double)nweeks;
	every = nweeks / 8 + 1;
	for (i = 0; i < nweeks; i++) {
		double bw = fmax(1, fmin(slot * 0.72, 56));
		double x = x0 + slot * (double)i + (slot - bw) / 2, base = y1;
		char day[11];

		civil_days_date(first + 7 * (long)i, day);
		for (c = 0; c < NCAT; c++) {
			double h = (y1 - y0) * (double)weeks[i][c] / top;

			if (!weeks[i][c])
				continue;
			base -= h;
			buf_addf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				 "height=\"%.1f\" fill=\"%s\"><title>week of "
				 "%s: %ld %s</title></rect>\n", x, base, bw, h,
				 cat_color[c], day, weeks[i][c], report_category_name[c]);
		}
		if (i % every == 0)
			buf_addf(out, "<text x=\"%.1f\" y=\"%d\" "
				 "text-anchor=\"middle\">%s</text>\n",
				 x + bw / 2, y1 + 17, day);
	}
	buf_adds(out, "</svg>\n<p class=\"note\">Weeks start on Monday and are "
		 "labelled with that date; requests are counted in the week "
		 "they were received, coloured by their current state.</p>"
		 "</section>\n");
	free(weeks);
}

#define DAYS_CHART_MAX 400

static void html_days_chart(const struct report *r, struct buf *out)
{
	const int W = 1040, H = 260, x0 = 44, x1 = W - 8, y0 = 12, y1 = H - 28;
	size_t i, n = 0, k, start, every;
	size_t *idx = xcalloc(r->nrequests + 1, sizeof(*idx));
	double *dl = xcalloc(r->nrequests + 1, sizeof(*dl));
	double max = 0, top, slot;
	struct buf path = BUF_INIT;

	for (i = 0; i < r->nrequests; i++) {
		const struct report_request *q = &r->requests[i];
		enum report_category c = report_request_category(q);
		long rd, dd;

		if (c == CAT_REJECTED || civil_date_days(q->received_at, &rd) ||
		    civil_date_days(q->deadline, &dd))
			continue;
		dl[n] = (double)(dd - rd);
		idx[n++] = i;
	}
	buf_adds(out, "<section><h2>Days from receipt to completion, against "
		 "the deadline</h2>\n");
	if (!n) {
		buf_adds(out, "<p class=\"note\">No requests to show.</p>"
			 "</section>\n");
		goto out;
	}
	start = n > DAYS_CHART_MAX ? n - DAYS_CHART_MAX : 0;
	for (k = start; k < n; k++) {
		double v = r->requests[idx[k]].days;

		if (v > max)
			max = v;
		if (dl[k] > max)
			max = dl[k];
	}
	buf_addf(out, "<div class=\"legend\"><span><i style=\"background:%s\">"
		 "</i>Done within deadline</span><span><i style=\"background:"
		 "%s\"></i>Done late</span><span><i style=\"background:%s\">"
		 "</i>Open (days so far)</span><span><i style=\"background:"
		 "%s\"></i>Held (days so far)</span><span><i class=\"line\">"
		 "</i>Deadline of each request</span></div>\n",
		 cat_color[CAT_ERASED], cat_color[CAT_FAILED],
		 cat_color[CAT_OPEN], cat_color[CAT_HELD]);
	svg_open(out, W, H, "Bar chart of days from receipt to completion "
		 "per request, with each request's deadline");
	top = svg_y_axis(out, max, x0, x1, y0, y1, "d");
	slot = (double)(x1 - x0) / (double)(n - start);
	every = (n - start) / 8 + 1;
	for (k = start; k < n; k++) {
		const struct report_request *q = &r->requests[idx[k]];
		double x = x0 + slot * (double)(k - start);
		double bw = fmax(1, fmin(slot * 0.7, 40));
		double v = q->days < 0 ? 0 : q->days;
		/* At least a sliver, so a same-day completion still shows. */
		double h = fmax(1.5, (y1 - y0) * v / top);
		double yd = y1 - (y1 - y0) * dl[k] / top;
		const char *color = q->done ? (q->within_deadline ?
			cat_color[CAT_ERASED] : cat_color[CAT_FAILED]) :
			!strcmp(q->status, "held") ? cat_color[CAT_HELD] :
			cat_color[CAT_OPEN];

		buf_addf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			 "height=\"%.1f\" fill=\"%s\"%s><title>", x + (slot - bw) / 2,
			 y1 - h, bw, h, color, q->done ? "" :
			 " fill-opacity=\"0.55\"");
		escape_html(out, str_or(q->request_id, ""));
		buf_addf(out, ": %.1f days (deadline %s, %.0f days)</title>"
			 "</rect>\n", q->days, q->deadline, dl[k]);
		buf_addf(&path, "%c%.1f %.1fH%.1f", k == start ? 'M' : 'L', x, yd,
			 x + slot);
		if ((k - start) % every == 0) {
			char day[11];
			long rd;

			civil_date_days(q->received_at, &rd);
			civil_days_date(rd, day);
			buf_addf(out, "<text x=\"%.1f\" y=\"%d\" "
				 "text-anchor=\"middle\">%s</text>\n",
				 x + slot / 2, y1 + 17, day);
		}
	}
	buf_addf(out, "<path d=\"%s\" fill=\"none\" stroke=\"#1a202c\" "
		 "stroke-width=\"1.6\" stroke-dasharray=\"5 3\"/>\n</svg>\n",
		 path.buf);
	buf_adds(out, "<p class=\"note\">One bar per request, in order of "
		 "receipt (labels: date received)");
	if (start)
		buf_addf(out, "; the latest %d of %zu requests are shown",
			 DAYS_CHART_MAX, n);
	buf_adds(out, ". Rejected requests are left out.</p></section>\n");
out:
	buf_release(&path);
	free(idx);
	free(dl);
}

static void html_card(struct buf *out, const char *cls, const char *num,
		      const char *label)
{
	buf_addf(out, "<div class=\"card%s%s\"><div class=\"num\">%s</div>"
		 "<div class=\"lbl\">%s</div></div>\n", *cls ? " " : "", cls,
		 num, label);
}

/* A time cell: the date, and the rest of a timestamp on a second line. */
static void html_time(struct buf *out, const char *s)
{
	if (!s || !*s) {
		buf_adds(out, "<span class=\"no\">–</span>");
		return;
	}
	if (strlen(s) > 11 && s[10] == 'T') {
		struct buf day = BUF_INIT;

		buf_add(&day, s, 10);
		escape_html(out, day.buf);
		buf_adds(out, "<span class=\"t\">");
		escape_html(out, s + 11);
		buf_adds(out, "</span>");
		buf_release(&day);
	} else {
		escape_html(out, s);
	}
}

static void html_yesno(struct buf *out, int yes)
{
	buf_adds(out, yes ? "<span class=\"yes\">yes</span>" :
			    "<span class=\"no\">no</span>");
}

static void html_integrity(const struct report *r, struct buf *out)
{
	const struct checkpoint_row *c = &r->checkpoint;

	buf_addf(out, "<div class=\"integrity%s\"><b class=\"st\">%s</b>\n<dl>"
		 "<dt>Entries</dt><dd>%lld</dd><dt>Head hash</dt><dd><code>",
		 r->ledger_verified && !r->checkpoints_bad &&
		 !r->disagreements ? "" : " bad",
		 r->ledger_verified ? "&#10003; Ledger hash chain verified" :
		 "&#10007; Ledger hash chain does NOT verify",
		 (long long)r->ledger_entries);
	escape_html(out, r->ledger_head);
	buf_adds(out, "</code></dd>");
	if (!r->ledger_verified) {
		buf_addf(out, "<dt>First bad entry</dt><dd>seq %lld: ",
			 (long long)r->ledger_bad_seq);
		escape_html(out, str_or(r->ledger_reason, "mismatch"));
		buf_adds(out, "</dd>");
	}
	buf_adds(out, "<dt>Latest checkpoint</dt><dd>");
	if (c->present) {
		buf_addf(out, "#%lld, ", (long long)c->id);
		escape_html(out, str_or(c->created_at, "?"));
		buf_addf(out, ", covers entries 1&ndash;%lld, %s, Merkle root "
			 "<code>", (long long)c->entries,
			 c->is_signed ? "signed (Ed25519)" : "unsigned");
		escape_html(out, str_or(c->root, "?"));
		buf_adds(out, "</code>");
	} else {
		buf_adds(out, "none yet &mdash; run <code>erasectl checkpoint"
			 "</code>");
	}
	buf_adds(out, "</dd>");
	if (r->checkpoints_bad)
		buf_addf(out, "<dt>Checkpoint rows</dt><dd class=\"late\">%zu "
			 "do NOT match the ledger (written or changed outside "
			 "erasectl; not cited)</dd>", r->checkpoints_bad);
	if (r->disagreements)
		buf_addf(out, "<dt>Queue</dt><dd class=\"late\">%ld request%s "
			 "whose queue row the ledger does not bear out: their "
			 "status here is the ledger's</dd>", r->disagreements,
			 r->disagreements == 1 ? "" : "s");
	buf_adds(out, "</dl></div>\n");
}

static void html_requests(const struct report *r, struct buf *out)
{
	size_t i;

	buf_addf(out, "<section><h2>Requests (%zu)</h2>\n", r->nrequests);
	if (!r->nrequests) {
		buf_adds(out, "<p class=\"note\">No requests in this period."
			 "</p></section>\n");
		return;
	}
	buf_adds(out, "<div class=\"scroll\"><table><thead><tr><th>Request</th>"
		 "<th class=\"nw\">"
		 "Subject ref</th><th>Received</th><th>Deadline</th>"
		 "<th>Completed</th><th>Status</th><th class=\"n\">Devices "
		 "released</th><th>Customer deleted</th><th>Verified</th>"
		 "<th>Ledger seq</th><th>Extension</th><th>Enqueued by</th>"
		 "<th>Approved by</th><th>Queue</th></tr>"
		 "</thead>\n"
		 "<tbody>\n");
	for (i = 0; i < r->nrequests; i++) {
		const struct report_request *q = &r->requests[i];
		enum report_category c = report_request_category(q);
		char ref[13];

		buf_adds(out, "<tr><td class=\"mono nw\">");
		escape_html(out, str_or(q->request_id, ""));
		buf_adds(out, "</td><td class=\"mono nw\" title=\"");
		escape_html(out, str_or(q->subject_ref, ""));
		buf_adds(out, "\">");
		escape_html(out, ref_prefix(q->subject_ref, ref));
		buf_adds(out, q->subject_ref ? "&hellip;</td><td class=\"nw\">" :
			 "</td><td class=\"nw\">");
		html_time(out, q->received_at);
		buf_adds(out, q->overdue ? "</td><td class=\"nw late\">" :
					   "</td><td class=\"nw\">");
		escape_html(out, q->deadline);
		if (q->overdue)
			buf_adds(out, "<span class=\"t\">overdue</span>");
		buf_adds(out, "</td><td class=\"nw\">");
		html_time(out, q->completed_at);
		buf_addf(out, "</td><td><span class=\"pill\" style=\"background:"
			 "%s\">%s</span></td><td class=\"n\">%ld</td><td>",
			 cat_color[c], report_category_name[c], q->devices_released);
		html_yesno(out, q->customer_deleted);
		buf_adds(out, "</td><td>");
		html_yesno(out, q->verified);
		buf_adds(out, "</td><td class=\"mono nw\">");
		if (q->first_seq)
			buf_addf(out, "%lld&ndash;%lld", (long long)q->first_seq,
				 (long long)q->last_seq);
		else
			buf_adds(out, "&ndash;");
		buf_adds(out, "</td><td>");
		if (q->extension_months) {
			buf_addf(out, "+%d month%s<span class=\"t\">",
				 q->extension_months,
				 q->extension_months > 1 ? "s" : "");
			escape_html(out, str_or(q->extension_reason, ""));
			buf_adds(out, "</span>");
		} else {
			buf_adds(out, "<span class=\"no\">&ndash;</span>");
		}
		buf_adds(out, "</td><td class=\"nw\">");
		escape_html(out, str_or(q->enqueued_by, "–"));
		buf_adds(out, q->overdue_waiting ? "</td><td class=\"nw late\">" :
			 "</td><td class=\"nw\">");
		if (q->approved_by) {
			escape_html(out, q->approved_by);
			buf_adds(out, "<span class=\"t\">");
			html_time(out, q->approved_at);
			buf_adds(out, "</span>");
		} else {
			buf_adds(out, "<span class=\"no\">&ndash;</span>");
		}
		if (q->overdue_waiting)
			buf_adds(out, "<span class=\"t\">overdue while "
				 "awaiting approval</span>");
		if (q->agrees) {
			buf_adds(out, "</td><td><span class=\"no\">agrees</span>");
		} else {
			buf_adds(out, "</td><td class=\"late\">differs<span "
				 "class=\"t\">");
			escape_html(out, str_or(q->disagreement, ""));
			buf_adds(out, "</span>");
		}
		buf_adds(out, "</td></tr>\n");
	}
	buf_adds(out, "</tbody></table></div></section>\n");
}

static void html_actions(const struct report *r, struct buf *out)
{
	size_t i;

	buf_adds(out, "<section><h2>API actions</h2>\n");
	if (!r->nactions) {
		buf_adds(out, "<p class=\"note\">No API actions recorded in this "
			 "period.</p></section>\n");
		return;
	}
	buf_adds(out, "<table style=\"width:auto;min-width:50%\"><thead><tr>"
		 "<th>Action</th><th>Outcome</th><th class=\"n\">Count</th>"
		 "</tr></thead><tbody>\n");
	for (i = 0; i < r->nactions; i++) {
		buf_adds(out, "<tr><td class=\"mono\">");
		escape_html(out, r->actions[i].action);
		buf_adds(out, "</td><td>");
		escape_html(out, r->actions[i].outcome);
		buf_addf(out, "</td><td class=\"n\">%ld</td></tr>\n",
			 r->actions[i].count);
	}
	buf_adds(out, "</tbody></table><p class=\"note\">Counts of ledger "
		 "&ldquo;result&rdquo; entries: one per finished API call. "
		 "<i>already_absent</i> is a 404 on delete (already gone, "
		 "recorded as success).</p></section>\n");
}

/* The coverage matrix of done requests, and what erasectl cannot erase. */
static void html_coverage(const struct report *r, struct buf *out)
{
	static const char *const cls[COV_N] = {
		[COV_ERASED] = "", [COV_NOT_APPLICABLE] = "",
		[COV_SKIPPED] = "", [COV_RESIDUAL] = " bad",
	};
	int st, res, n = 0;

	buf_adds(out, "<section><h2>Coverage of done requests</h2>\n<table "
		 "style=\"width:auto;min-width:60%\"><thead><tr><th>Store</th>"
		 "<th class=\"n\">Erased</th><th class=\"n\">Not "
		 "applicable</th><th class=\"n\">Skipped by policy</th>"
		 "<th class=\"n\">Residual</th></tr></thead><tbody>\n");
	for (st = 0; st < STORE_N; st++) {
		buf_addf(out, "<tr><td class=\"mono\">%s</td>",
			 store_name((enum store)st));
		for (res = 0; res < COV_N; res++) {
			long k = r->coverage[st][res];

			buf_addf(out, "<td class=\"n%s\">%ld</td>",
				 k ? cls[res] : "", k);
		}
		buf_adds(out, "</tr>\n");
	}
	buf_adds(out, "</tbody></table><p class=\"note\">One row per place "
		 "that ties a subject to data, from each done request's "
		 "&ldquo;coverage&rdquo; ledger entries. <i>Residual</i>: left "
		 "where it is (no erasure endpoint, or the device did not take "
		 "the change by the deadline).</p></section>\n");
	buf_adds(out, "<section><h2>What erasectl cannot erase</h2>\n");
	for (st = 0; st < STORE_N; st++) {
		const struct store_doc *d = store_doc_of((enum store)st);
		long k = r->coverage[st][COV_RESIDUAL];

		if (!k)
			continue;
		buf_addf(out, "%s<li><b class=\"mono\">%s</b> (%ld request%s): ",
			 n++ ? "" : "<ul>", store_name((enum store)st),
			 k, k == 1 ? "" : "s");
		escape_html(out, d->holds);
		if (d->retention_days)
			buf_addf(out, "; kept about %d days", d->retention_days);
		buf_adds(out, ". <i>What to do:</i> ");
		escape_html(out, d->action);
		buf_adds(out, ".</li>\n");
	}
	if (n)
		buf_adds(out, "</ul><p class=\"note\">Device ids and time "
			 "windows per request, for your processor: <code>"
			 "erasectl residual --all --format csv</code> (no "
			 "email).</p></section>\n");
	else
		buf_adds(out, "<p class=\"note\">Nothing: no done request "
			 "left a store.</p></section>\n");
}

int report_html(const struct report *r, struct buf *out)
{
	struct buf policy = BUF_INIT, num = BUF_INIT;

	report_deadline_policy(r->deadline_days, &policy);
	buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		 "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
		 "content=\"width=device-width, initial-scale=1\">\n"
		 "<title>GDPR erasure report ");
	escape_html(out, r->generated_at);
	buf_addf(out, "</title>\n<style>\n%s</style>\n</head><body><main>\n",
		 html_style);
	buf_adds(out, "<header><div><p class=\"kicker\">Right to erasure "
		 "&middot; GDPR Art. 17</p><h1>Erasure compliance report</h1>"
		 "<p class=\"meta\">Period: <b>");
	if (r->from || r->to) {
		escape_html(out, str_or(r->from, "start"));
		buf_adds(out, "</b> to <b>");
		escape_html(out, str_or(r->to, "now"));
	} else {
		buf_adds(out, "all time");
	}
	buf_adds(out, "</b> (by date received) &middot; Deadline: <b>");
	escape_html(out, policy.buf);
	buf_adds(out, "</b></p></div><div class=\"stamp\">Generated<br><b>");
	escape_html(out, r->generated_at);
	buf_adds(out, "</b></div></header>\n<section class=\"cards\">\n");

	buf_addf(&num, "%ld", r->received);
	html_card(out, "", num.buf, "Received");
	buf_reset(&num);
	buf_addf(&num, "%ld", r->done);
	html_card(out, "good", num.buf, "Done");
	buf_reset(&num);
	buf_addf(&num, "%ld", r->erased);
	html_card(out, "", num.buf, "Erased");
	buf_reset(&num);
	buf_addf(&num, "%ld", r->erased_with_residue);
	html_card(out, r->erased_with_residue ? "bad" : "", num.buf,
		  "Erased with residue");
	buf_reset(&num);
	buf_addf(&num, "%ld", r->not_found);
	html_card(out, "", num.buf, "Subject not found");
	buf_reset(&num);
	buf_addf(&num, "%ld", r->failed);
	html_card(out, r->failed ? "bad" : "", num.buf, "Failed (retrying)");
	buf_reset(&num);
	buf_addf(&num, "%ld", r->pending + r->running);
	html_card(out, "", num.buf, "Pending");
	buf_reset(&num);
	buf_addf(&num, "%ld", r->held);
	html_card(out, "", num.buf, "Held (Art. 17(3))");
	buf_reset(&num);
	buf_addf(&num, "%ld", r->overdue);
	html_card(out, r->overdue ? "bad" : "good", num.buf, "Overdue");
	if (r->reappeared) {
		buf_reset(&num);
		buf_addf(&num, "%ld", r->reappeared);
		html_card(out, "bad", num.buf, "Re-appeared after erasure "
			  "(sweep)");
	}
	if (r->awaiting || r->overdue_waiting) {
		buf_reset(&num);
		buf_addf(&num, "%ld<small> / %ld overdue</small>", r->awaiting,
			 r->overdue_waiting);
		html_card(out, r->overdue_waiting ? "bad" : "", num.buf,
			  "Awaiting approval");
	}
	buf_reset(&num);
	buf_addf(&num, "%ld<small> / %ld</small>", r->done_within_deadline,
		 r->done);
	html_card(out, "", num.buf, "Done within deadline");
	buf_reset(&num);
	if (r->have_days)
		buf_addf(&num, "%.1f<small> / %.1f</small>", r->median_days,
			 r->p95_days);
	else
		buf_adds(&num, "&ndash;");
	html_card(out, "", num.buf, "Days: median / 95th pct");
	buf_adds(out, "</section>\n");
	html_integrity(r, out);
	html_weekly_chart(r, out);
	html_days_chart(r, out);
	html_coverage(r, out);
	html_actions(r, out);
	html_requests(r, out);
	buf_adds(out, "<footer><p><b>Definitions.</b> Deadline: ");
	escape_html(out, policy.buf);
	buf_adds(out, ", plus any extension (at most two months, Art. 12(3)). "
		 "Overdue: done after the deadline, or still open (pending, "
		 "running, failed) after it as of the generation time; held "
		 "requests are not counted. Days to completion run from receipt "
		 "to completion; the 95th percentile is the nearest rank. "
		 "Verified: fresh reads after the last attempt found the "
		 "customer and every device ownership gone.</p><p>Subjects "
		 "appear only as subject refs (HMAC-SHA256 of the normalized "
		 "email; the first 12 hex digits are shown): no email address "
		 "is in this report. Check the ledger with <code>erasectl "
		 "verify</code>; a request's evidence with <code>erasectl "
		 "receipt REQUEST_ID</code>.</p><p>erasectl " ERASECTL_VERSION
		 "</p></footer>\n</main></body></html>\n");
	buf_release(&policy);
	buf_release(&num);
	return 0;
}


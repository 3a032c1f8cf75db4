/*
 * api_walk: reading a whole list endpoint and proving it complete (the
 * rules are in api.h, above api_walk).
 */
#include "api.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "map.h"
#include "banned.h"

#define MAX_PAGES 1000000L

struct walk {
	struct api *api;
	const struct api_list *l;
	struct buf base;	/* path with '?' or '&' ready for parameters */
	int per_page;		/* as asked (the server's cap, once known) */
	long pages;		/* meta.total_pages of page 1 */
	double total;		/* meta.total of page 1, or -1 */
	long next, outstanding, last_count;
	long items;		/* items seen so far */
	struct map seen;	/* item keys */
	int failed;		/* a rule was broken, or each_page stopped */
	enum api_result result;
	long status;
	struct buf error;
};

/* Records the walk's first failure (message without "error: "). */
static void walk_fail(struct walk *w, const struct api_request *req,
		      enum api_result r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void walk_fail(struct walk *w, const struct api_request *req,
		      enum api_result r, const char *fmt, ...)
{
	va_list ap;

	if (w->failed)
		return;
	w->failed = 1;
	w->result = r;
	w->status = req ? req->status : 0;
	va_start(ap, fmt);
	buf_vaddf(&w->error, fmt, ap);
	va_end(ap);
}

static void page_request(struct walk *w, struct api_request *req, long page)
{
	api_request_init(req, "GET");
	buf_addf(&req->path, "%spage=%ld&perPage=%d&per_page=%d", w->base.buf,
		 page, w->per_page, w->per_page);
}

/* The list's name for messages: "GET /v1/products/1001/devices". */
static const char *what(const struct walk *w)
{
	return w->l->path;
}

/*
 * Reads meta of a page: 0 without meta, 1 with (pages and total filled),
 * -1 (after walk_fail) when it is there but malformed.
 */
static int page_meta(struct walk *w, const struct api_request *req,
		     const cJSON *page, long *pages, double *total)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(page, "meta");
	const cJSON *tp = cJSON_GetObjectItemCaseSensitive(meta, "total_pages");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(meta, "total");

	*total = -1;
	if (!meta)
		return 0;
	if (!cJSON_IsObject(meta) || !cJSON_IsNumber(tp) ||
	    tp->valuedouble < 0 || tp->valuedouble > MAX_PAGES ||
	    tp->valuedouble != floor(tp->valuedouble)) {
		walk_fail(w, req, API_BAD_RESPONSE, "%s: 'meta' has no valid "
			  "'total_pages'", what(w));
		return -1;
	}
	*pages = (long)tp->valuedouble;
	if (cJSON_IsNumber(t) && t->valuedouble >= 0 &&
	    t->valuedouble == floor(t->valuedouble))
		*total = t->valuedouble;
	return 1;
}

/*
 * Checks one page's items against those seen: every key new. Returns the
 * number of items, or -1 after walk_fail.
 */
static long take_items(struct walk *w, const struct api_request *req,
		       const cJSON *page, long page_no)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(page, w->l->items);
	const cJSON *it;
	long n = 0;

	if (!cJSON_IsArray(arr)) {
		walk_fail(w, req, API_BAD_RESPONSE, "%s: page %ld has no '%s' "
			  "array", what(w), page_no, w->l->items);
		return -1;
	}
	cJSON_ArrayForEach(it, arr) {
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(it, w->l->key);

		n++;
		if (!cJSON_IsString(k) || !*k->valuestring)
			continue;
		if (map_get(&w->seen, k->valuestring)) {
			walk_fail(w, req, API_BAD_RESPONSE, "%s: page %ld "
				  "repeats items of another page (the server "
				  "ignored 'page', or the list changed during "
				  "the walk): cannot prove the list complete",
				  what(w), page_no);
			return -1;
		}
		map_put(&w->seen, k->valuestring, w);
	}
	w->items += n;
	return n;
}

/* Hands a checked page to the caller. */
static void deliver(struct walk *w, cJSON *page)
{
	if (!w->failed && w->l->each_page(page, w->l->ctx)) {
		w->failed = 1;
		w->result = API_OK;
	}
}

/* One page of a walk with meta (pages 2..T): the rules of api.h. */
static void check_paged(struct walk *w, const struct api_request *req,
			cJSON *page, long page_no)
{
	long pages = 0, n;
	double total;
	int has = page_meta(w, req, page, &pages, &total);

	if (has < 0)
		return;
	if (!has || pages != w->pages || total != w->total) {
		walk_fail(w, req, API_BAD_RESPONSE, "%s: page %ld reports %s "
			  "than page 1 (the list changed during the walk)",
			  what(w), page_no, !has ? "no 'meta', unlike page 1, "
			  "rather" : pages != w->pages ? "another page count" :
			  "another total");
		return;
	}
	n = take_items(w, req, page, page_no);
	if (n < 0)
		return;
	if (page_no < w->pages ? n != w->per_page : n < 1 || n > w->per_page) {
		walk_fail(w, req, API_BAD_RESPONSE, "%s: page %ld of %ld holds "
			  "%ld items, not %s%d", what(w), page_no, w->pages, n,
			  page_no < w->pages ? "" : "1 to ", w->per_page);
		return;
	}
	deliver(w, page);
}

/* Parses a finished page request; NULL (after walk_fail) when unusable. */
static cJSON *page_body(struct walk *w, struct api_request *req)
{
	cJSON *j;

	if (req->result != API_OK) {
		walk_fail(w, req, req->result, "%s", req->error.buf);
		return NULL;
	}
	j = api_response_json(req);
	if (!j)
		walk_fail(w, req, req->result, "%s", req->error.buf);
	return j;
}

static void submit_next(struct walk *w);

/* The done callback of pages 2..T (carries its page number in ctx). */
struct page_call {
	struct api_request req;
	struct walk *w;
	long page;
};

static void page_done(struct api_request *req, void *ctx)
{
	struct page_call *pc = ctx;
	struct walk *w = pc->w;
	cJSON *j;

	w->outstanding--;
	if (!w->failed && (j = page_body(w, req))) {
		check_paged(w, req, j, pc->page);
		cJSON_Delete(j);
	}
	api_request_release(req);
	free(pc);
	submit_next(w);
}

static void submit_next(struct walk *w)
{
	/* At most `concurrency` pages in flight: memory stays bounded. */
	while (!w->failed && w->next <= w->pages &&
	       w->outstanding < api_concurrency(w->api)) {
		struct page_call *pc = xcalloc(1, sizeof(*pc));

		pc->w = w;
		pc->page = w->next++;
		page_request(w, &pc->req, pc->page);
		pc->req.done = page_done;
		pc->req.ctx = pc;
		w->outstanding++;
		api_submit(w->api, &pc->req);
	}
}

/* Fetches one page synchronously; its parsed body, or NULL. */
static cJSON *fetch(struct walk *w, long page, struct api_request *req)
{
	api_request_release(req);
	page_request(w, req, page);
	if (api_call(w->api, req)) {
		walk_fail(w, req, API_UNREACHABLE, "%s: the API client failed",
			  what(w));
		return NULL;
	}
	return page_body(w, req);
}

/*
 * A list without meta: whole unless its page holds exactly per_page items;
 * then page by page until a short one. first is page 1, already checked.
 */
static void walk_unpaged(struct walk *w, struct api_request *req,
			 cJSON *first)
{
	long n = w->items, page = 1;
	cJSON *j;

	deliver(w, first);
	while (!w->failed && n == w->per_page) {
		if (page == MAX_PAGES) {
			walk_fail(w, req, API_BAD_RESPONSE, "%s: more than %ld "
				  "pages without 'meta': cannot prove the list "
				  "complete", what(w), MAX_PAGES);
			return;
		}
		j = fetch(w, ++page, req);
		if (!j)
			return;
		if (cJSON_GetObjectItemCaseSensitive(j, "meta")) {
			walk_fail(w, req, API_BAD_RESPONSE, "%s: page %ld has "
				  "'meta', page 1 had none", what(w), page);
		} else if ((n = take_items(w, req, j, page)) >= 0) {
			deliver(w, j);
		}
		cJSON_Delete(j);
	}
}

static void walk_paged(struct walk *w, struct api_request *req,
		       cJSON **first)
{
	long n = w->items;

	if (w->pages == 0 && n) {
		walk_fail(w, req, API_BAD_RESPONSE, "%s: 'meta.total_pages' is "
			  "0 but page 1 holds %ld items", what(w), n);
		return;
	}
	/*
	 * A short first page of several: the server caps the page size.
	 * Asked again with its size, its page numbers and ours agree.
	 */
	if (w->pages > 1 && n < w->per_page) {
		if (!n) {
			walk_fail(w, req, API_BAD_RESPONSE, "%s: page 1 of %ld "
				  "is empty", what(w), w->pages);
			return;
		}
		map_release(&w->seen, NULL);
		w->items = 0;
		w->per_page = (int)n;
		cJSON_Delete(*first);
		if (!(*first = fetch(w, 1, req)) ||
		    page_meta(w, req, *first, &w->pages, &w->total) < 1 ||
		    take_items(w, req, *first, 1) < 0)
			return;
		if (w->items != w->per_page && w->pages > 1) {
			walk_fail(w, req, API_BAD_RESPONSE, "%s: page 1 holds "
				  "%ld items when asked for %d", what(w),
				  w->items, w->per_page);
			return;
		}
	}
	deliver(w, *first);
	w->next = 2;
	submit_next(w);
	if (api_run_until(w->api, &w->outstanding))
		walk_fail(w, NULL, API_UNREACHABLE, "%s: the API client failed",
			  what(w));
	if (!w->failed && w->total >= 0 && (double)w->items != w->total)
		walk_fail(w, NULL, API_BAD_RESPONSE, "%s: the pages hold %ld "
			  "items, 'meta.total' says %.0f", what(w), w->items,
			  w->total);
}

int api_walk(struct api *api, const struct api_list *l,
	     enum api_result *result, long *status)
{
	struct walk w;
	struct api_request req;
	cJSON *first;
	int has;

	memset(&w, 0, sizeof(w));
	w.api = api;
	w.l = l;
	w.per_page = l->per_page;
	w.total = -1;
	buf_init(&w.base);
	buf_init(&w.error);
	map_init(&w.seen);
	buf_addf(&w.base, "%s%c", l->path, strchr(l->path, '?') ? '&' : '?');
	api_request_init(&req, "GET");

	first = fetch(&w, 1, &req);
	if (first && (has = page_meta(&w, &req, first, &w.pages,
				      &w.total)) >= 0 &&
	    take_items(&w, &req, first, 1) >= 0) {
		if (has)
			walk_paged(&w, &req, &first);
		else
			walk_unpaged(&w, &req, first);
	}
	*result = w.failed ? w.result : API_OK;
	*status = w.failed && w.status ? w.status : req.status;
	if (w.error.len)
		error("%s", w.error.buf);
	cJSON_Delete(first);
	api_request_release(&req);
	map_release(&w.seen, NULL);
	buf_release(&w.base);
	buf_release(&w.error);
	return w.failed ? -1 : 0;
}

// SPDX-License-Identifier: MIT
/*
 * The sync engine. A run queries StartDate = watermark - overlap as one
 * open-ended query; a first run (or a query that reaches Twilio's cap)
 * walks the window in time slices, oldest first, so every finished slice
 * can move the watermark. Rows are upserted by sid, several pages to a
 * transaction; the watermark moves in the transaction of a slice's last
 * rows, so a crash at any point loses nothing and duplicates nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "log.h"
#include "poll.h"
#include "sdnotify.h"
#include "scan.h"
#include "util.h"

struct sync {
	struct store *s;
	struct monitor *m;
	const struct config *cfg;
	const struct config_account *acct;
	volatile int *stop;
	struct poll_result *res;
	int64_t now;
	int64_t watermark;	/* 0 = none */
	/* The open transaction, if any. */
	bool in_txn;
	int64_t txn_rows;
	int64_t txn_started;
	int txn_error;		/* a commit that failed inside the wait hook */
	/* Malformed items on the current page: the first is logged, the rest counted. */
	int64_t page_skips;
	/* Sids inserted by the current query, for fetch_details. */
	char **fresh;
	size_t n_fresh, cap_fresh;
	/* The scanned alerts of the current page (MONITOR_PAGE_SIZE entries). */
	struct scan_item *items;
};

/*
 * One list page. Normally scanned in place (items in y->items, strings in
 * the monitor's body buffer); when the scanner refuses it, jansson's tree.
 */
struct page {
	struct sync *y;
	size_t n;		/* scanned items */
	const char *next;	/* meta.next_page_url of a scanned page, NULL if none */
	json_t *json;		/* the fallback's tree, or NULL */
	json_error_t err;
};

static int txn_begin(struct sync *y)
{
	int r;

	if (y->in_txn)
		return 0;
	r = store_begin(y->s);
	if (r < 0)
		return r;
	y->in_txn = true;
	y->txn_rows = 0;
	y->txn_started = util_mono_ms();
	return 0;
}

static int txn_commit(struct sync *y)
{
	int r;

	if (!y->in_txn)
		return 0;
	y->in_txn = false;
	r = store_commit(y->s);
	if (r < 0)
		store_rollback(y->s);
	return r;
}

/* Before a backoff wait: never hold the write lock while sleeping. */
static void on_wait(void *arg)
{
	struct sync *y = arg;
	int r = txn_commit(y);

	if (r < 0 && !y->txn_error)
		y->txn_error = r;
}

static void fresh_clear(struct sync *y)
{
	for (size_t i = 0; i < y->n_fresh; i++)
		free(y->fresh[i]);
	y->n_fresh = 0;
}

static int fresh_add(struct sync *y, const char *sid)
{
	if (y->n_fresh == y->cap_fresh) {
		size_t cap = y->cap_fresh ? y->cap_fresh * 2 : 256;
		char **p = realloc(y->fresh, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		y->fresh = p;
		y->cap_fresh = cap;
	}
	y->fresh[y->n_fresh] = strdup(sid);
	if (!y->fresh[y->n_fresh])
		return -ENOMEM;
	y->n_fresh++;
	return 0;
}

static int store_details(json_t *obj, void *arg)
{
	struct sync *y = arg;
	struct alert a;
	int r;

	if (alert_from_json(&a, obj, NULL) < 0)
		return 0;	/* a malformed instance leaves the row as listed */
	r = store_set_details(y->s, &a);
	if (r == 0)
		y->res->details++;
	alert_finish(&a);
	if (r == -ENOENT)
		r = 0;	/* pruned meanwhile: nothing to attach the details to */
	if (r < 0)
		return r;
	/* Fetches take network time: do not keep other writers waiting through all of them. */
	if (++y->txn_rows >= POLL_BATCH_ROWS / 10 ||
	    util_mono_ms() - y->txn_started >= POLL_BATCH_MS) {
		r = txn_commit(y);
		if (r == 0)
			r = txn_begin(y);
	}
	return r < 0 ? r : 0;
}

/* fetch_details: the request/response data of this query's new alerts. */
static int fetch_fresh(struct sync *y)
{
	int r;

	if (!y->acct->fetch_details || y->n_fresh == 0)
		return 0;
	r = txn_begin(y);
	if (r < 0)
		return r;
	r = monitor_fetch_many(y->m, (const char *const *)y->fresh, y->n_fresh, store_details, y);
	if (r < 0 && r != -EAGAIN && r != -ENOENT && r != -EPROTO)
		return r;
	if (r < 0)
		log_warnx("account %s: alert details not fetched: %s", y->acct->name,
			  monitor_error(y->m));
	fresh_clear(y);
	return txn_commit(y);
}

/* Upsert one alert of a page; count it and keep the newest date. */
static int store_alert(struct sync *y, const struct alert *a, int64_t *count, int64_t *newest)
{
	enum store_upsert_result what;
	int r;

	r = store_upsert_alert(y->s, a, y->now, &what);
	if (r == 0 && what == STORE_INSERTED && y->acct->fetch_details)
		r = fresh_add(y, a->sid);
	if (a->created > *newest)
		*newest = a->created;
	if (r < 0)
		return r;
	if (what == STORE_INSERTED)
		y->res->inserted++;
	else if (what == STORE_UPDATED)
		y->res->updated++;
	(*count)++;
	y->txn_rows++;
	return 0;
}

/* One bad item must not cost the rest of the page, nor flood the log. */
static void skip_item(struct sync *y, const char *why)
{
	if (y->page_skips++ == 0)
		log_warnx("account %s: skipped an alert: %s", y->acct->name, why);
}

static void skips_done(struct sync *y)
{
	if (y->page_skips > 1)
		log_warnx("account %s: skipped %lld more malformed alerts on the same page",
			  y->acct->name, (long long)(y->page_skips - 1));
	y->page_skips = 0;
}

/* Upsert the alerts of a scanned page. */
static int store_scanned(struct sync *y, const struct page *pg, int64_t *count, int64_t *newest)
{
	int r;

	r = txn_begin(y);
	if (r < 0)
		return r;
	for (size_t i = 0; i < pg->n; i++) {
		const struct scan_item *it = &y->items[i];

		if (it->skip) {
			skip_item(y, it->skip);
			continue;
		}
		r = store_alert(y, &it->alert, count, newest);
		if (r < 0)
			break;
	}
	skips_done(y);
	return r;
}

/* Upsert the alerts of a page jansson parsed (the fallback). */
static int store_page(struct sync *y, json_t *page, int64_t *count, int64_t *newest)
{
	const char *key = json_string_value(json_object_get(json_object_get(page, "meta"), "key"));
	json_t *list = json_object_get(page, key ? key : "alerts"), *item;
	size_t i;
	int r;

	if (!json_is_array(list)) {
		snprintf(y->res->error, sizeof(y->res->error),
			 "account %s: the API's answer has no \"%s\" list", y->acct->name,
			 key ? key : "alerts");
		return -EPROTO;
	}
	r = txn_begin(y);
	if (r < 0)
		return r;
	json_array_foreach(list, i, item) {
		const char *why = NULL;
		struct alert a;

		r = alert_from_json(&a, item, &why);
		if (r == -ENOMEM)
			break;
		if (r < 0) {
			skip_item(y, why);
			r = 0;
			continue;
		}
		r = store_alert(y, &a, count, newest);
		alert_finish(&a);
		if (r < 0)
			break;
	}
	skips_done(y);
	return r;
}

/* monitor_get's parser for list pages: the scanner, else jansson on the same bytes. */
static int parse_page(char *body, size_t len, void *arg, const char **why)
{
	struct page *pg = arg;
	struct sync *y = pg->y;
	int r;

	r = scan_page(body, len, y->items, MONITOR_PAGE_SIZE, &pg->n, &pg->next, why);
	if (r != -EBADMSG)
		return r;
	/* The scanner left the body as it came; jansson takes shapes the scanner does not. */
	log_debug("account %s: page scanner: %s; parsing the page with jansson", y->acct->name,
		  *why);
	pg->json = json_loadb(body, len, 0, &pg->err);
	if (!json_is_object(pg->json)) {
		*why = pg->json ? "not an object" : pg->err.text;
		json_decref(pg->json);
		pg->json = NULL;
		return -EBADMSG;
	}
	return 0;
}

/* Drop what the last page holds. */
static void page_release(struct page *pg)
{
	scan_items_finish(pg->y->items, pg->n);
	pg->n = 0;
	pg->next = NULL;
	json_decref(pg->json);
	pg->json = NULL;
}

/*
 * Run one query [start, end] (end 0 = open) through all its pages, or
 * until @cap alerts came (the caller splits the query then).
 * *count gets the number of alerts returned, *newest the newest date_created.
 */
static int run_query(struct sync *y, int64_t start, int64_t end, int64_t cap, int64_t *count,
		     int64_t *newest)
{
	char url[MONITOR_URL_MAX];
	struct page pg = {.y = y};
	int64_t pages = 0;
	int r;

	*count = 0;
	*newest = 0;
	r = monitor_list_url(y->m, start, end, url, sizeof(url));
	if (r < 0)
		goto out;
	for (;;) {
		const char *next;

		r = monitor_get(y->m, url, parse_page, &pg);
		if (r == 0 && y->txn_error)
			r = y->txn_error;
		if (r < 0)
			goto out;
		y->res->pages++;
		/* A long backfill is progress too: keep systemd's watchdog fed. */
		sdnotify_watchdog();
		if (pg.json)
			r = store_page(y, pg.json, count, newest);
		else
			r = store_scanned(y, &pg, count, newest);
		if (r < 0)
			goto out;
		if (y->txn_rows >= POLL_BATCH_ROWS ||
		    util_mono_ms() - y->txn_started >= POLL_BATCH_MS) {
			r = txn_commit(y);
			if (r < 0)
				goto out;
		}
		next = pg.json ? json_string_value(json_object_get(
					 json_object_get(pg.json, "meta"), "next_page_url"))
			       : pg.next;
		if (!next || !*next || *count >= cap)
			break;
		/*
		 * A server that keeps naming a next page must not page forever: the
		 * same URL again, or more pages than the cap has alerts, is nonsense.
		 */
		if (strcmp(next, url) == 0 || ++pages >= cap) {
			snprintf(y->res->error, sizeof(y->res->error),
				 "account %s: the API's next_page_url %s", y->acct->name,
				 strcmp(next, url) == 0 ? "repeats the page just fetched"
							: "keeps paging past the query cap");
			r = -EPROTO;
			goto out;
		}
		/* Followed verbatim: the token in it keeps paging stable. */
		if (snprintf(url, sizeof(url), "%s", next) >= (int)sizeof(url)) {
			snprintf(y->res->error, sizeof(y->res->error),
				 "account %s: next_page_url longer than %d bytes", y->acct->name,
				 MONITOR_URL_MAX);
			r = -EPROTO;
			goto out;
		}
		page_release(&pg);
		if (y->stop && *y->stop) {
			r = -EINTR;
			goto out;
		}
	}
out:
	page_release(&pg);
	return r;
}

/* The slice is done: move the watermark with the slice's last rows. */
static int finish_slice(struct sync *y, int64_t mark)
{
	int64_t now = util_now();
	int r = 0;

	/*
	 * Never past now: an alert dated in the future (a bogus date, a skewed
	 * clock) would otherwise start every later query after alerts not yet made.
	 */
	if (mark > now)
		mark = now;
	if (mark > y->watermark) {
		r = txn_begin(y);
		if (r < 0)
			return r;
		r = store_sync_set_watermark(y->s, y->acct->name, y->acct->account_sid, mark);
		if (r < 0)
			return r;
		y->watermark = mark;
	}
	r = txn_commit(y);
	if (r < 0)
		return r;
	y->res->slices++;
	return fetch_fresh(y);
}

/*
 * Sync [start, now]. @backfill walks slices from the start; otherwise one
 * open query, falling back to slices when it reaches the cap.
 */
static int sync_window(struct sync *y, int64_t start, bool backfill, int64_t cap)
{
	int64_t a = start, len = backfill ? POLL_SLICE_FIRST : 0;
	int r;

	for (;;) {
		int64_t b = len ? a + len : 0, count, newest;
		bool open = !len || b >= y->now;

		r = run_query(y, a, open ? 0 : b, cap, &count, &newest);
		if (r < 0)
			return r;
		if (count >= cap) {
			int64_t span = (open ? y->now : b) - a;

			if (span > 1) {
				/* Truncated at the cap: what was stored stays, the slice is redone smaller. */
				len = span / 2;
				log_info("account %s: %lld alerts since %lld reached the query cap; "
					 "splitting into %llds slices", y->acct->name, (long long)count,
					 (long long)a, (long long)len);
				r = txn_commit(y);
				if (r < 0)
					return r;
				continue;
			}
			log_warnx("account %s: more than %lld alerts in one second; some may be missing",
				  y->acct->name, (long long)cap);
		}
		/* A closed slice proves nothing else exists up to its end. */
		r = finish_slice(y, open ? newest : (newest > b ? newest : b));
		if (r < 0)
			return r;
		if (open)
			return 0;
		a = b;
		if (count < cap / 4 && len < POLL_SLICE_MAX)
			len = len * 2 < POLL_SLICE_MAX ? len * 2 : POLL_SLICE_MAX;
		if (y->stop && *y->stop)
			return -EINTR;
	}
}

static const char *outcome_of(int r)
{
	switch (r) {
	case 0:
		return "ok";
	case -EACCES:
		return "auth";
	case -EAGAIN:
		return "unavailable";
	case -EINTR:
		return "interrupted";
	default:
		return "error";
	}
}

int poll_account(struct store *s, struct monitor *m, const struct config *cfg,
		 const struct config_account *acct, int64_t cap, volatile int *stop,
		 struct poll_result *res)
{
	struct sync y = {.s = s, .m = m, .cfg = cfg, .acct = acct, .stop = stop, .res = res};
	struct monitor_stats before = *monitor_stats(m);
	struct store_sync_state st;
	struct store_run run = {0};
	int64_t oldest, start;
	bool backfill;
	int r;

	memset(res, 0, sizeof(*res));
	y.now = util_now();
	run.started = y.now;
	monitor_set_wait_hook(m, on_wait, &y);
	y.items = calloc(MONITOR_PAGE_SIZE, sizeof(*y.items));
	r = y.items ? store_sync_get(s, acct->name, &st) : -ENOMEM;
	if (r < 0)
		goto out;
	/* All arithmetic in UTC seconds; Twilio refuses StartDate older than 30 days. */
	oldest = y.now - (cfg->retention < 30 * 86400 ? cfg->retention : 30 * 86400);
	if (oldest < y.now - 30 * 86400 + POLL_WINDOW_MARGIN)
		oldest = y.now - 30 * 86400 + POLL_WINDOW_MARGIN;
	backfill = !st.has_watermark;
	if (backfill) {
		start = oldest;
	} else {
		y.watermark = st.watermark;
		start = st.watermark - cfg->overlap;
		if (st.watermark < oldest) {
			/* Down for longer than the window: what Twilio dropped meanwhile is gone. */
			log_warnx("account %s: last synced more than the retention window ago; "
			          "alerts older than %lld day%s are gone from Twilio",
			          acct->name, (long long)((y.now - oldest) / 86400),
			          (y.now - oldest) / 86400 == 1 ? "" : "s");
			backfill = true;
		}
		if (start < oldest)
			start = oldest;
	}
	r = sync_window(&y, start, backfill, cap);
out:
	if (r < 0) {
		if (y.in_txn) {
			/* Rows of finished pages are good: keep them, the watermark did not move. */
			if (r == -EBUSY || r == -ENOSPC || r == -EIO || r == -ENOMEM ||
			    txn_commit(&y) < 0)
				store_rollback(s);
			y.in_txn = false;
		}
		if (!res->error[0]) {
			const char *why = monitor_error(m)[0] ? monitor_error(m) : store_errmsg(s);

			if (r == -EINTR)
				why = "stopped before the sync finished";
			if (r == -EBUSY || r == -ENOSPC || r == -EIO || r == -ENOMEM)
				snprintf(res->error, sizeof(res->error), "account %s: database %s: %s",
					 acct->name, cfg->database, store_errmsg(s));
			else
				snprintf(res->error, sizeof(res->error), "account %s: %s", acct->name,
					 why);
		}
	}
	monitor_set_wait_hook(m, NULL, NULL);
	fresh_clear(&y);
	free(y.fresh);
	free(y.items);
	res->watermark = y.watermark;

	run.account = acct->name;
	run.finished = util_now();
	run.pages = res->pages;
	run.requests = monitor_stats(m)->requests - before.requests;
	run.http_errors = monitor_stats(m)->http_errors - before.http_errors;
	run.inserted = res->inserted;
	run.updated = res->updated;
	run.outcome = outcome_of(r);
	run.error = r < 0 ? res->error : NULL;
	/* Bookkeeping failures must not hide the sync's own outcome. */
	if (store_sync_record(s, acct->name, acct->account_sid, run.finished,
			      r < 0 ? res->error : NULL) < 0 ||
	    store_run_log(s, &run) < 0)
		log_warnx("account %s: could not record the poll run: %s", acct->name,
			  store_errmsg(s));
	return r;
}

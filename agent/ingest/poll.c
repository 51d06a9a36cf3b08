// SPDX-License-Identifier: MIT
/*
 * The sync engine. A run queries StartDate = watermark - overlap (the
 * retention window on the first run) as one open query, so requests follow
 * the alerts, not the window's length. A query that reaches Twilio's cap, or
 * whose first pages say it would (after a run that did not finish: any with
 * a second page), walks the window in time slices sized by the density seen,
 * oldest first, so every finished slice can move the watermark. Rows are
 * upserted by sid, several pages to a transaction; the watermark moves in
 * the transaction of a slice's last rows, so a crash at any point loses
 * nothing and duplicates nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alert.h"
#include "base/log.h"
#include "ingest/poll.h"
#include "ingest/scan.h"
#include "base/util.h"

/* One query [start, end] (end 0 = open, up to now) and what it returned. */
struct query {
	int64_t start, end;
	int64_t count;          /* alerts returned */
	int64_t newest, oldest; /* their date_created range (0 = none) */
	bool more;              /* stopped with pages left: at the cap, or split early */
};

/* When run_query may stop after its first page to split the window instead. */
enum probe {
	PROBE_NONE,     /* page the query to its end (or the cap) */
	PROBE_ESTIMATE, /* split when two pages' density says the window reaches the cap */
	PROBE_ANY,      /* split whenever there is a second page (resuming: progress first) */
};

struct sync {
	struct store *s;
	struct monitor *m;
	const struct config *cfg;
	const struct config_account *acct;
	volatile int *stop;
	poll_progress_fn progress;
	void *progress_arg;
	struct poll_result *res;
	int64_t now;       /* this run's "now": local, or Twilio's when they disagree */
	int64_t watermark; /* 0 = none */
	/* Twilio's clock minus the local one, once a response told it (Date header). */
	bool skew_known;
	bool skew_applied; /* y->now and the watermark cap follow Twilio's clock */
	int64_t skew;
	/* The open transaction, if any. */
	bool in_txn;
	int64_t txn_rows;
	int64_t txn_started;
	int txn_error; /* a commit that failed inside the wait hook */
	/* Malformed items on the current page: the first is logged, the rest counted. */
	int64_t page_skips;
	/* Strings mended (U+FFFD) on the current page, for one warning line. */
	int64_t page_repairs;
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
	size_t n;         /* scanned items */
	const char *next; /* meta.next_page_url of a scanned page, NULL if none */
	json_t *json;     /* the fallback's tree, or NULL */
	json_error_t err;
	struct strbuf fixed; /* the body with U+FFFD for what no parser takes, if needed */
	char why[160];       /* a refusal's reason, for monitor_get */
};

/* The time the sync trusts: the local clock, or Twilio's when the two disagree. */
static int64_t trusted_now(const struct sync *y)
{
	return util_now() + (y->skew_applied ? y->skew : 0);
}

/*
 * After the first response: does Twilio's clock (its Date header) agree with
 * ours? When it does not, the window planned from the local clock is wrong:
 * -ESTALE tells poll_account to plan again by Twilio's time.
 */
static int check_clock(struct sync *y)
{
	int64_t skew;

	if (y->skew_known || !monitor_clock_skew(y->m, &skew))
		return 0;
	y->skew_known = true;
	y->skew = skew;
	y->res->has_skew = true;
	y->res->skew = skew;
	if (llabs(skew) <= POLL_CLOCK_SKEW_MAX || y->skew_applied)
		return 0;
	if (y->res->pages > 0 || y->in_txn) {
		/* A Date only after pages were stored: no restart, the cap follows Twilio from
		 * here. */
		y->skew_applied = true;
		return 0;
	}
	log_debug("account %s: Twilio's clock is %+llds from ours: planning by Twilio's time",
	          y->acct->name, (long long)skew);
	return -ESTALE;
}

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
	int r = UTIL_GROW(y->fresh, y->cap_fresh, y->n_fresh + 1);

	if (r < 0)
		return r;
	y->fresh[y->n_fresh] = strdup(sid);
	if (!y->fresh[y->n_fresh])
		return -ENOMEM;
	y->n_fresh++;
	return 0;
}

/*
 * The ids an alert is stored and fetched under must be what Twilio
 * documents (twilio-monitor-api.md 1.1): anything else is a malformed item.
 */
static const char *bad_ids(const struct alert *a)
{
	if (!util_is_sid(a->sid, "NO"))
		return "alert sid is not NO and 32 hex digits";
	if (a->account_sid && !util_is_sid(a->account_sid, "AC"))
		return "alert account_sid is not AC and 32 hex digits";
	return NULL;
}

static int store_details(json_t *obj, void *arg)
{
	struct sync *y = arg;
	struct alert a;
	int r;

	if (alert_from_json(&a, obj, NULL) < 0)
		return 0; /* a malformed instance leaves the row as listed */
	if (bad_ids(&a)) {
		alert_finish(&a);
		return 0;
	}
	r = store_set_details(y->s, &a);
	if (r == 0)
		y->res->details++;
	alert_finish(&a);
	if (r == -ENOENT)
		r = 0; /* pruned meanwhile: nothing to attach the details to */
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

/* Upsert one alert of a page; count it and keep its query's date range. */
static int store_alert(struct sync *y, const struct alert *a, struct query *q)
{
	enum store_upsert_result what;
	int r;

	r = store_upsert_alert(y->s, a, y->now, &what);
	if (r == 0 && what == STORE_INSERTED && y->acct->fetch_details)
		r = fresh_add(y, a->sid);
	if (a->created > q->newest)
		q->newest = a->created;
	if (a->created > 0 && (q->oldest == 0 || a->created < q->oldest))
		q->oldest = a->created;
	if (r < 0)
		return r;
	if (what == STORE_INSERTED)
		y->res->inserted++;
	else if (what == STORE_UPDATED)
		y->res->updated++;
	q->count++;
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
	if (y->page_repairs > 0)
		log_warnx("account %s: stored a page with %lld invalid UTF-8 sequences, \\u0000 "
		          "or unpaired surrogates replaced by U+FFFD",
		          y->acct->name, (long long)y->page_repairs);
	y->res->repaired += y->page_repairs;
	y->page_repairs = 0;
}

/* Upsert the alerts of a scanned page. */
static int store_scanned(struct sync *y, const struct page *pg, struct query *q)
{
	int r;

	r = txn_begin(y);
	if (r < 0)
		return r;
	for (size_t i = 0; i < pg->n; i++) {
		const struct scan_item *it = &y->items[i];
		const char *why = it->skip ? it->skip : bad_ids(&it->alert);

		if (why) {
			skip_item(y, why);
			continue;
		}
		r = store_alert(y, &it->alert, q);
		if (r < 0)
			break;
	}
	skips_done(y);
	return r;
}

/* The page's list as jansson sees it (meta.key, else "alerts"), or NULL. */
static json_t *page_list(json_t *page, const char **name)
{
	const char *key = json_string_value(json_object_get(json_object_get(page, "meta"), "key"));

	*name = key ? key : "alerts";
	return json_object_get(page, *name);
}

/* Upsert the alerts of a page jansson parsed (the fallback). */
static int store_page(struct sync *y, json_t *page, struct query *q)
{
	const char *name;
	json_t *list = page_list(page, &name), *item;
	size_t i;
	int r;

	if (!json_is_array(list)) {
		snprintf(y->res->error, sizeof(y->res->error),
		         "account %s: the API's answer has no \"%s\" list", y->acct->name, name);
		return -EPROTO;
	}
	r = txn_begin(y);
	if (r < 0)
		return r;
	json_array_foreach(list, i, item)
	{
		const char *why = NULL;
		struct alert a;

		r = alert_from_json(&a, item, &why);
		if (r == -ENOMEM)
			break;
		if (r == 0 && (why = bad_ids(&a)) != NULL) {
			alert_finish(&a);
			r = -EINVAL;
		}
		if (r < 0) {
			skip_item(y, why);
			r = 0;
			continue;
		}
		r = store_alert(y, &a, q);
		alert_finish(&a);
		if (r < 0)
			break;
	}
	skips_done(y);
	return r;
}

/*
 * monitor_get's parser for list pages: the scanner, else jansson on the
 * same bytes. A string no parser takes (invalid UTF-8, \u0000, a lone
 * surrogate) must not cost the page: such a body is mended first.
 */
static int parse_page(char *body, size_t len, void *arg, const char **why)
{
	struct page *pg = arg;
	struct sync *y = pg->y;
	const char *name;
	json_t *list;
	int r;

	y->page_repairs = 0;
	r = scan_page(body, len, y->items, MONITOR_PAGE_SIZE, &pg->n, &pg->next, why);
	if (r != -EBADMSG)
		return r;
	/* The scanner left the body as it came. */
	r = scan_repair(body, len, &pg->fixed);
	if (r < 0)
		return r;
	if (r > 0) {
		y->page_repairs = r;
		body = pg->fixed.buf;
		len = pg->fixed.len;
		r = scan_page(body, len, y->items, MONITOR_PAGE_SIZE, &pg->n, &pg->next, why);
		if (r != -EBADMSG)
			return r;
	}
	/* jansson takes shapes the scanner does not. */
	log_debug("account %s: page scanner: %s; parsing the page with jansson", y->acct->name,
	          *why);
	pg->json = json_loadb(body, len, 0, &pg->err);
	if (!json_is_object(pg->json)) {
		*why = pg->json ? "not an object" : pg->err.text;
		json_decref(pg->json);
		pg->json = NULL;
		return -EBADMSG;
	}
	/* More than was asked for is not a page of this protocol: refuse, do not retry. */
	list = page_list(pg->json, &name);
	if (json_is_array(list) && json_array_size(list) > MONITOR_PAGE_SIZE) {
		snprintf(pg->why, sizeof(pg->why),
		         "the page holds %zu alerts, more than the PageSize of %d asked for",
		         json_array_size(list), MONITOR_PAGE_SIZE);
		*why = pg->why;
		return -EPROTO;
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
	strbuf_reset(&pg->fixed);
}

/*
 * Would the window of @q, at the density of its first two pages (newest
 * first), hold @cap alerts or more? A heuristic only: a wrong guess costs
 * requests, never rows (a query reaching the cap is split anyway). Pages
 * shorter than asked for tell nothing.
 */
static bool looks_dense(const struct sync *y, const struct query *q, int64_t cap)
{
	int64_t top = q->end ? q->end : y->now;
	int64_t covered = top - (q->oldest ? q->oldest : q->start);

	if (q->count < MONITOR_PAGE_SIZE)
		return false;
	if (covered < 1)
		covered = 1;
	return (double)q->count * (double)(top - q->start) / (double)covered >= (double)cap;
}

/*
 * Run query @q through all its pages, or until @cap alerts came, or (by
 * @probe) after its first page when the window should be split instead: the
 * caller splits the query then (q->more). q->count, newest and oldest tell
 * what it returned.
 */
static int run_query(struct sync *y, struct query *q, int64_t cap, enum probe probe)
{
	/* Full pages reach the cap in cap / PageSize pages; a short one or two may come on top. */
	const int64_t pages_max =
	        (cap + MONITOR_PAGE_SIZE - 1) / MONITOR_PAGE_SIZE + POLL_PAGES_MARGIN;
	char url[MONITOR_URL_MAX];
	struct page pg = {.y = y};
	char **seen = NULL; /* the URLs fetched by this query, to find a cycle */
	int64_t pages = 0;
	int r;

	q->count = q->newest = q->oldest = 0;
	q->more = false;
	strbuf_init(&pg.fixed, 3 * (size_t)MONITOR_RESPONSE_MAX);
	seen = calloc((size_t)pages_max, sizeof(*seen));
	r = seen ? monitor_list_url(y->m, q->start, q->end, url, sizeof(url)) : -ENOMEM;
	if (r < 0)
		goto out;
	for (;;) {
		const char *next;
		int64_t again = -1;

		r = monitor_get(y->m, url, parse_page, &pg);
		if (r == 0 && y->txn_error)
			r = y->txn_error;
		if (r == 0)
			r = check_clock(y);
		if (r < 0)
			goto out;
		seen[pages] = strdup(url);
		if (!seen[pages++]) {
			r = -ENOMEM;
			goto out;
		}
		y->res->pages++;
		/* A long backfill is progress too: the driver may feed a watchdog. */
		if (y->progress)
			y->progress(y->progress_arg);
		if (pg.json)
			r = store_page(y, pg.json, q);
		else
			r = store_scanned(y, &pg, q);
		if (r < 0)
			goto out;
		if (y->txn_rows >= POLL_BATCH_ROWS ||
		    util_mono_ms() - y->txn_started >= POLL_BATCH_MS) {
			r = txn_commit(y);
			if (r < 0)
				goto out;
		}
		next = pg.json ? json_string_value(json_object_get(json_object_get(pg.json, "meta"),
		                                                   "next_page_url"))
		               : pg.next;
		/* At the cap, the end of the paging proves nothing (Twilio stops there). */
		if (q->count >= cap) {
			q->more = true;
			break;
		}
		if (!next || !*next)
			break;
		if ((pages == 1 && probe == PROBE_ANY) ||
		    (pages == 2 && probe == PROBE_ESTIMATE && looks_dense(y, q, cap))) {
			q->more = true;
			break;
		}
		/*
		 * A server that keeps naming a next page must not page forever: a
		 * page of this query again (A -> B -> A), or more pages than
		 * Twilio's per-query cap can fill, is not Twilio's paging.
		 */
		for (int64_t k = 0; k < pages && again < 0; k++)
			if (strcmp(seen[k], next) == 0)
				again = k;
		if (again >= 0) {
			snprintf(y->res->error, sizeof(y->res->error),
			         "account %s: the API's next_page_url leads back to page %lld of "
			         "the query (a paging cycle)",
			         y->acct->name, (long long)again + 1);
			r = -EPROTO;
			goto out;
		}
		if (pages >= pages_max) {
			snprintf(
			        y->res->error, sizeof(y->res->error),
			        "account %s: the API's next_page_url keeps paging past %lld pages, "
			        "more than Twilio's cap of %lld alerts per query needs at PageSize "
			        "%d",
			        y->acct->name, (long long)pages, (long long)cap, MONITOR_PAGE_SIZE);
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
	strbuf_finish(&pg.fixed);
	for (int64_t k = 0; seen && k < pages; k++)
		free(seen[k]);
	free(seen);
	return r;
}

/* The slice is done: move the watermark with the slice's last rows. */
static int finish_slice(struct sync *y, int64_t mark)
{
	int64_t now = trusted_now(y);
	int r = 0;

	/*
	 * Never past now (Twilio's, when the local clock is off): an alert dated in
	 * the future (a bogus date, a skewed clock) would otherwise start every
	 * later query after alerts not yet made.
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
 * Sync [start, now]: one open query, which is all a window under the cap
 * needs. A query that reaches the cap, or whose first two pages say it
 * would (or, when @careful, any that has a second page), is split into slices
 * walked oldest first, each finished slice moving the watermark. A slice's
 * length follows the density seen so far: its expected alerts start at half
 * a page (a resumed run saves progress within a few requests) and double up
 * to half the cap; a slice that reaches the cap is halved and run again.
 */
static int sync_window(struct sync *y, int64_t start, bool careful, int64_t cap)
{
	struct query q = {.start = start};
	int64_t target = MONITOR_PAGE_SIZE / 2, len, top;
	double rate;
	int r;

	r = run_query(y, &q, cap, careful ? PROBE_ANY : PROBE_ESTIMATE);
	if (r < 0)
		return r;
	if (!q.more)
		return finish_slice(y, q.newest);
	/* What was stored stays (upserts); the window is walked again in slices. */
	r = txn_commit(y);
	if (r < 0)
		return r;
	top = y->now - (q.oldest ? q.oldest : start);
	rate = (double)(q.count > 0 ? q.count : 1) / (double)(top > 1 ? top : 1);
	if (target > cap / 2)
		target = cap / 2 > 0 ? cap / 2 : 1;
	log_debug("account %s: %lld alerts since %lld need slices (%.3f alerts/s)", y->acct->name,
	          (long long)q.count, (long long)start, rate);
	len = 0;
	for (int64_t a = start;;) {
		int64_t b, span;
		bool open;

		if (len == 0) {
			double want = (double)target / rate;

			len = want < 1 ? 1 : want > POLL_SLICE_MAX ? POLL_SLICE_MAX : (int64_t)want;
		}
		b = a + len;
		open = b >= y->now;
		q = (struct query){.start = a, .end = open ? 0 : b};
		r = run_query(y, &q, cap, PROBE_NONE);
		if (r < 0)
			return r;
		span = (open ? y->now : b) - a;
		if (q.count >= cap) {
			if (span > 1) {
				/* Truncated at the cap: what was stored stays, the slice is redone
				 * smaller. */
				len = span / 2;
				rate = (double)cap / (double)len / 2;
				log_info(
				        "account %s: %lld alerts since %lld reached the query cap; "
				        "splitting into %llds slices",
				        y->acct->name, (long long)q.count, (long long)a,
				        (long long)len);
				r = txn_commit(y);
				if (r < 0)
					return r;
				continue;
			}
			log_warnx("account %s: more than %lld alerts in one second; some may be "
			          "missing",
			          y->acct->name, (long long)cap);
		}
		/* A closed slice proves nothing else exists up to its end. */
		r = finish_slice(y, open ? q.newest : (q.newest > b ? q.newest : b));
		if (r < 0)
			return r;
		if (open)
			return 0;
		a = b;
		/* The next slice by this one's density; it grows at most 4x per step. */
		{
			double seen =
			        (double)(q.count > 0 ? q.count : 1) / (double)(span > 1 ? span : 1);

			rate = seen > rate / 4 ? seen : rate / 4;
		}
		len = 0;
		if (target < cap / 2)
			target = target * 2 < cap / 2 ? target * 2 : cap / 2;
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
                 poll_progress_fn progress, void *progress_arg, struct poll_result *res)
{
	struct sync y = {.s = s,
	                 .m = m,
	                 .cfg = cfg,
	                 .acct = acct,
	                 .stop = stop,
	                 .progress = progress,
	                 .progress_arg = progress_arg,
	                 .res = res};
	struct monitor_stats before = *monitor_stats(m);
	struct store_sync_state st;
	struct store_run run = {0};
	int64_t oldest, start;
	bool careful;
	int r;

	memset(res, 0, sizeof(*res));
	y.now = util_now();
	run.started = y.now;
	monitor_set_wait_hook(m, on_wait, &y);
	y.items = calloc(MONITOR_PAGE_SIZE, sizeof(*y.items));
	r = y.items ? store_sync_get(s, acct->name, &st) : -ENOMEM;
	if (r < 0)
		goto out;
again:
	/* All arithmetic in UTC seconds; Twilio refuses StartDate older than 30 days. */
	oldest = y.now - (cfg->retention < 30 * 86400 ? cfg->retention : 30 * 86400);
	if (oldest < y.now - 30 * 86400 + POLL_WINDOW_MARGIN)
		oldest = y.now - 30 * 86400 + POLL_WINDOW_MARGIN;
	if (!st.has_watermark) {
		start = oldest;
	} else {
		y.watermark = st.watermark;
		start = st.watermark - cfg->overlap;
		if (st.watermark < oldest)
			/* Down for longer than the window: what Twilio dropped meanwhile is gone.
			 */
			log_warnx("account %s: last synced more than the retention window ago; "
			          "alerts older than %lld day%s are gone from Twilio",
			          acct->name, (long long)((y.now - oldest) / 86400),
			          (y.now - oldest) / 86400 == 1 ? "" : "s");
		if (start < oldest)
			start = oldest;
	}
	/*
	 * After a run that did not finish, a window of more than one page is
	 * walked in slices, oldest first, from the start: one open query pages
	 * newest first and moves the watermark only at its very end, so runs
	 * dying every few pages never would. A quiet account keeps its one request.
	 */
	careful = st.last_attempt && (!st.last_success || st.last_success < st.last_attempt);
	r = sync_window(&y, start, careful, cap);
	/*
	 * An error answer tells Twilio's clock too: with the local clock behind,
	 * the first query's StartDate is refused as older than 30 days (400), and
	 * only a window planned by Twilio's time gets past it.
	 */
	if (r < 0 && r != -ESTALE && r != -EINTR && !y.skew_applied && check_clock(&y) == -ESTALE)
		r = -ESTALE;
	if (r == -ESTALE) {
		/*
		 * The first page told that the local clock is off: nothing was
		 * stored or moved yet; plan the window again by Twilio's time.
		 */
		y.skew_applied = true;
		y.now = util_now() + y.skew;
		goto again;
	}
out:
	if (r < 0) {
		if (y.in_txn) {
			/* Rows of finished pages are good: keep them, the watermark did not move.
			 */
			if (r == -EBUSY || r == -ENOSPC || r == -EIO || r == -ENOMEM ||
			    r == -EUCLEAN || txn_commit(&y) < 0)
				store_rollback(s);
			y.in_txn = false;
		}
		if (!res->error[0]) {
			const char *why = monitor_error(m)[0] ? monitor_error(m) : store_errmsg(s);

			if (r == -EINTR)
				why = "stopped before the sync finished";
			if (r == -EBUSY || r == -ENOSPC || r == -EIO || r == -ENOMEM ||
			    r == -EUCLEAN)
				snprintf(res->error, sizeof(res->error),
				         "account %s: database %s: %s", acct->name, cfg->database,
				         store_errmsg(s));
			else
				snprintf(res->error, sizeof(res->error), "account %s: %s",
				         acct->name, why);
		}
	}
	/* A failed run may still have heard Twilio's clock (a 401 has a Date too). */
	if (!res->has_skew)
		res->has_skew = monitor_clock_skew(m, &res->skew);
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

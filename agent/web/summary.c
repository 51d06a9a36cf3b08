// SPDX-License-Identifier: MIT
/*
 * Hourly aggregates of the alerts table for the status page. The thread owns
 * the data and is its only writer; it builds every change (a full pass, or
 * the groups of new rows) off the lock and holds the lock only to swap or
 * merge, so a page never waits behind a query of the thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "store/store-read.h"
#include "web/summary.h"

/* Slots of the hour ring: the chart's hours, the window edges and one hour of clock skew. */
#define RING (SUMMARY_HOURS + 3)

const char *const summary_level_names[SUMMARY_LEVELS] = {"error", "warning", "notice", "debug",
                                                         "other"};
const char *const summary_window_names[SUMMARY_WINDOWS] = {"1h", "24h", "7d"};
static const int64_t window_secs[SUMMARY_WINDOWS] = {3600, 86400, 7 * 86400};

/* Per error code; per failing host of yours; per REST API error code; per account. */
enum entry_kind { E_CODE, E_HOST, E_API, E_ACCOUNT };

struct entry {
	enum entry_kind kind;
	bool has_code; /* the key of E_CODE and E_API */
	int64_t code;
	char *key; /* host or account_sid */
	int64_t n;
	char last_seen[UTIL_TIME_LEN];
	/* Of the newest alert (not kept for E_ACCOUNT): */
	char *msg, *method, *url;
	bool has_http, has_last_code;
	int64_t http, last_code;
};

/* Counts of one set of alerts: per level, and per code, host and account. */
struct agg {
	int64_t levels[SUMMARY_LEVELS];
	struct entry *e;
	size_t n, cap;
};

struct bucket {
	int64_t hour; /* epoch / 3600; 0 = empty slot */
	struct agg a;
};

struct acct_rows {
	char sid[40];
	int64_t rows;
};

struct data {
	struct bucket b[RING];
	struct acct_rows acc[SUMMARY_ACCOUNTS];
	size_t n_acc;
	int64_t max_rowid;
	int64_t now; /* the clock when built */
	int err;     /* -ENOMEM while adding */
};

struct summary {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, poked, ready;
	struct store *s;  /* the thread's own connection */
	struct data *d;   /* written by the thread under lock, read by views */
	int64_t built_at; /* last full pass */
	int64_t as_of;    /* last refresh */
};

static enum summary_level level_of(const char *l)
{
	for (int i = 0; l && i < SUMMARY_OTHER; i++)
		if (strcmp(l, summary_level_names[i]) == 0)
			return (enum summary_level)i;
	return SUMMARY_OTHER;
}

static void agg_finish(struct agg *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->e[i].key);
		free(a->e[i].msg);
		free(a->e[i].method);
		free(a->e[i].url);
	}
	free(a->e);
	memset(a, 0, sizeof(*a));
}

static void data_free(struct data *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < RING; i++)
		agg_finish(&d->b[i].a);
	free(d);
}

/* The entry of (@kind, @code or @key) in @a, created when absent; NULL on ENOMEM. */
static struct entry *entry_of(struct agg *a, enum entry_kind kind, bool has_code, int64_t code,
                              const char *key)
{
	struct entry *e;

	for (size_t i = 0; i < a->n; i++) {
		e = &a->e[i];
		if (e->kind != kind)
			continue;
		if (kind == E_CODE || kind == E_API ? e->has_code == has_code && e->code == code
		                                    : strcmp(e->key, key) == 0)
			return e;
	}
	if (UTIL_GROW(a->e, a->cap, a->n + 1) < 0)
		return NULL;
	e = memset(&a->e[a->n], 0, sizeof(*e));
	e->kind = kind;
	e->has_code = has_code;
	e->code = code;
	if (kind != E_CODE && kind != E_API && !(e->key = strdup(key)))
		return NULL;
	a->n++;
	return e;
}

/* *@dst = a copy of @src cut to @max - 1 bytes (NULL for NULL); -ENOMEM. */
static int set_str(char **dst, const char *src, size_t max)
{
	char *c = src ? strndup(src, max - 1) : NULL;

	if (src && !c)
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

/* Add @n alerts whose newest is @last_seen, described by @newest, to entry @e. */
static int entry_add(struct entry *e, int64_t n, const char *last_seen, const struct entry *newest)
{
	e->n += n;
	if (!last_seen || strcmp(last_seen, e->last_seen) <= 0 || e->kind == E_ACCOUNT)
		return 0;
	snprintf(e->last_seen, sizeof(e->last_seen), "%s", last_seen);
	if (set_str(&e->msg, newest->msg, SUMMARY_MSG_MAX) < 0 ||
	    set_str(&e->method, newest->method, SUMMARY_METHOD_MAX) < 0 ||
	    set_str(&e->url, newest->url, SUMMARY_URL_MAX) < 0)
		return -ENOMEM;
	e->has_http = newest->has_http;
	e->http = newest->http;
	e->has_last_code = newest->has_last_code;
	e->last_code = newest->last_code;
	return 0;
}

static int agg_add_group(struct agg *a, const struct store_http_group *g)
{
	/* The strings are only read (copied) by entry_add. */
	const struct entry newest = {.msg = (char *)g->msg,
	                             .method = (char *)g->request_method,
	                             .url = (char *)g->request_url,
	                             .has_http = g->has_http_response,
	                             .http = g->http_response,
	                             .has_last_code = g->has_error_code,
	                             .last_code = g->error_code};
	struct entry *e;

	a->levels[level_of(g->log_level)] += g->count;
	e = entry_of(a, E_CODE, g->has_error_code, g->error_code, NULL);
	if (!e || entry_add(e, g->count, g->last_seen, &newest) < 0)
		return -ENOMEM;
	if (g->failing_host && *g->failing_host) {
		e = entry_of(a, E_HOST, false, 0, g->failing_host);
		if (!e || entry_add(e, g->count, g->last_seen, &newest) < 0)
			return -ENOMEM;
	}
	if (g->api_error) {
		e = entry_of(a, E_API, g->has_error_code, g->error_code, NULL);
		if (!e || entry_add(e, g->count, g->last_seen, &newest) < 0)
			return -ENOMEM;
	}
	e = entry_of(a, E_ACCOUNT, false, 0, g->account_sid ? g->account_sid : "");
	if (!e || entry_add(e, g->count, NULL, &newest) < 0)
		return -ENOMEM;
	return 0;
}

static int agg_merge(struct agg *into, const struct agg *from)
{
	for (int l = 0; l < SUMMARY_LEVELS; l++)
		into->levels[l] += from->levels[l];
	for (size_t i = 0; i < from->n; i++) {
		const struct entry *f = &from->e[i];
		struct entry *e = entry_of(into, f->kind, f->has_code, f->code, f->key);

		if (!e || entry_add(e, f->n, f->last_seen, f) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The bucket of @hour when it is inside the ring's range at @d->now, else NULL. */
static struct bucket *bucket_of(struct data *d, int64_t hour)
{
	int64_t cur = d->now / 3600;
	struct bucket *b;

	if (hour > cur + 1 || hour <= cur + 1 - RING)
		return NULL;
	b = &d->b[hour % RING];
	if (b->hour != hour) {
		agg_finish(&b->a);
		b->hour = hour;
	}
	return b;
}

static int64_t hour_of(const char *prefix)
{
	char text[32];
	int64_t t;

	if (!prefix || snprintf(text, sizeof(text), "%s:00:00Z", prefix) >= (int)sizeof(text) ||
	    util_parse_time(text, &t) < 0)
		return -1;
	return t / 3600;
}

static void acct_add(struct data *d, const char *sid, int64_t rows)
{
	size_t i;

	sid = sid ? sid : "";
	for (i = 0; i < d->n_acc && strcmp(d->acc[i].sid, sid) != 0; i++)
		;
	if (i == d->n_acc) {
		if (d->n_acc == SUMMARY_ACCOUNTS)
			return;
		snprintf(d->acc[d->n_acc++].sid, sizeof(d->acc[0].sid), "%s", sid);
	}
	d->acc[i].rows += rows;
}

struct fill {
	struct data *d;
	bool count_accounts; /* the rows are new: count them per account too */
};

static int fill_group(const struct store_http_group *g, void *arg)
{
	struct fill *f = arg;
	struct bucket *b = bucket_of(f->d, hour_of(g->hour));

	if (g->max_rowid > f->d->max_rowid)
		f->d->max_rowid = g->max_rowid;
	if (f->count_accounts)
		acct_add(f->d, g->account_sid, g->count);
	if (b && agg_add_group(&b->a, g) < 0)
		return -ENOMEM;
	return 0;
}

static int fill_accounts(const char *sid, int64_t rows, void *arg)
{
	acct_add(arg, sid, rows);
	return 0;
}

/* A full pass: the ring's hours and the rows per account, in one snapshot. */
static int rebuild(struct summary *sm)
{
	struct data *d = calloc(1, sizeof(*d)), *old = NULL;
	struct fill f = {.d = d};
	char since[UTIL_TIME_LEN];
	int r = -ENOMEM;

	if (!d)
		goto out;
	d->now = util_now();
	util_format_time((d->now / 3600 + 2 - RING) * 3600, since);
	r = store_http_read_begin(sm->s);
	if (r == 0)
		r = store_http_max_rowid(sm->s, &d->max_rowid);
	if (r == 0)
		r = store_http_groups(sm->s, since, NULL, 0, fill_group, &f);
	if (r == 0)
		r = store_http_account_rows(sm->s, fill_accounts, d);
	store_http_read_end(sm->s);
	if (r < 0)
		goto out;
	pthread_mutex_lock(&sm->lock);
	old = sm->d;
	sm->d = d;
	d = NULL;
	sm->built_at = sm->as_of = sm->d->now;
	sm->ready = true;
	pthread_cond_broadcast(&sm->cond);
	pthread_mutex_unlock(&sm->lock);
out:
	data_free(old);
	data_free(d);
	return r;
}

/* The rows added since the last pass, grouped apart and then merged in. */
static int refresh(struct summary *sm)
{
	struct data *delta = calloc(1, sizeof(*delta)), *d = sm->d;
	struct fill f = {.d = delta, .count_accounts = true};
	int r = -ENOMEM;

	if (!delta)
		goto out;
	delta->now = util_now();
	delta->max_rowid = d->max_rowid;
	r = store_http_groups(sm->s, NULL, NULL, d->max_rowid, fill_group, &f);
	if (r < 0)
		goto out;
	pthread_mutex_lock(&sm->lock);
	d->now = delta->now;
	for (size_t i = 0; i < RING && r == 0; i++) {
		struct bucket *b = delta->b[i].hour ? bucket_of(d, delta->b[i].hour) : NULL;

		if (b)
			r = agg_merge(&b->a, &delta->b[i].a);
	}
	for (size_t i = 0; i < delta->n_acc; i++)
		acct_add(d, delta->acc[i].sid, delta->acc[i].rows);
	d->max_rowid = delta->max_rowid;
	sm->as_of = delta->now;
	pthread_mutex_unlock(&sm->lock);
out:
	data_free(delta);
	return r;
}

static void *run(void *arg)
{
	struct summary *sm = arg;
	int64_t failed_at = 0;

	pthread_mutex_lock(&sm->lock);
	while (!sm->stop) {
		bool full = !sm->ready || util_now() - sm->built_at >= SUMMARY_REBUILD_S;
		int r;

		sm->poked = false;
		pthread_mutex_unlock(&sm->lock);
		r = full ? rebuild(sm) : refresh(sm);
		/* One line per failure streak: a locked or busy database is retried next tick. */
		if (r < 0 && !failed_at)
			log_warnx("status page: cannot read the alerts: %s", store_errmsg(sm->s));
		failed_at = r < 0 ? util_now() : 0;
		pthread_mutex_lock(&sm->lock);
		if (!sm->poked && !sm->stop) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += SUMMARY_REFRESH_MS / 1000;
			ts.tv_nsec += (SUMMARY_REFRESH_MS % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&sm->cond, &sm->lock, &ts);
		}
	}
	pthread_mutex_unlock(&sm->lock);
	return NULL;
}

int summary_create(const char *db_path, struct summary **out)
{
	struct summary *sm = calloc(1, sizeof(*sm));
	int r = -ENOMEM;

	if (!sm)
		return r;
	pthread_mutex_init(&sm->lock, NULL);
	pthread_cond_init(&sm->cond, NULL);
	r = store_open(db_path, true, &sm->s);
	if (r < 0)
		goto out;
	r = -pthread_create(&sm->thread, NULL, run, sm);
	if (r < 0)
		goto out;
	sm->started = true;
	*out = sm;
	sm = NULL;
out:
	summary_destroy(sm);
	return r;
}

void summary_destroy(struct summary *sm)
{
	if (!sm)
		return;
	if (sm->started) {
		pthread_mutex_lock(&sm->lock);
		sm->stop = true;
		pthread_cond_broadcast(&sm->cond);
		pthread_mutex_unlock(&sm->lock);
		pthread_join(sm->thread, NULL);
	}
	store_close(sm->s);
	data_free(sm->d);
	pthread_cond_destroy(&sm->cond);
	pthread_mutex_destroy(&sm->lock);
	free(sm);
}

void summary_poke(struct summary *sm)
{
	if (!sm)
		return;
	pthread_mutex_lock(&sm->lock);
	sm->poked = true;
	pthread_cond_broadcast(&sm->cond);
	pthread_mutex_unlock(&sm->lock);
}

static int live_group(const struct store_http_group *g, void *arg)
{
	return agg_add_group(arg, g);
}

static const struct entry *find(const struct agg *a, const struct entry *like)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct entry *e = &a->e[i];

		if (e->kind == like->kind &&
		    (like->kind == E_CODE || like->kind == E_API
		             ? e->has_code == like->has_code && e->code == like->code
		             : strcmp(e->key, like->key) == 0))
			return e;
	}
	return NULL;
}

/* Order for the top lists: most in the last 24 hours, then the week. */
static int by_count(const void *x, const void *y)
{
	const int64_t *a = x, *b = y;

	if (a[SUMMARY_24H] != b[SUMMARY_24H])
		return a[SUMMARY_24H] < b[SUMMARY_24H] ? 1 : -1;
	if (a[SUMMARY_7D] != b[SUMMARY_7D])
		return a[SUMMARY_7D] < b[SUMMARY_7D] ? 1 : -1;
	return 0;
}

static int code_cmp(const void *x, const void *y)
{
	return by_count(((const struct summary_code *)x)->n, ((const struct summary_code *)y)->n);
}

static int host_cmp(const void *x, const void *y)
{
	return by_count(((const struct summary_host *)x)->n, ((const struct summary_host *)y)->n);
}

static int api_cmp(const void *x, const void *y)
{
	return by_count(((const struct summary_api *)x)->n, ((const struct summary_api *)y)->n);
}

/* Turn the three windows' counts into @v's lists. */
static int fill_view(struct agg w[SUMMARY_WINDOWS], struct summary_view *v)
{
	const struct agg *week = &w[SUMMARY_7D];
	struct summary_code *codes = calloc(week->n + 1, sizeof(*codes));
	struct summary_host *hosts = calloc(week->n + 1, sizeof(*hosts));
	struct summary_api *apis = calloc(week->n + 1, sizeof(*apis));
	size_t nc = 0, nh = 0, na = 0;
	int r = -ENOMEM;

	if (!codes || !hosts || !apis)
		goto out;
	for (int k = 0; k < SUMMARY_WINDOWS; k++)
		for (int l = 0; l < SUMMARY_LEVELS; l++) {
			v->levels[k][l] = w[k].levels[l];
			v->total[k] += w[k].levels[l];
		}
	for (size_t i = 0; i < week->n; i++) {
		const struct entry *e = &week->e[i];
		int64_t n[SUMMARY_WINDOWS];

		for (int k = 0; k < SUMMARY_WINDOWS; k++) {
			const struct entry *f = find(&w[k], e);

			n[k] = f ? f->n : 0;
		}
		if (e->kind == E_CODE) {
			struct summary_code *c = &codes[nc++];

			c->has_code = e->has_code;
			c->code = e->code;
			memcpy(c->n, n, sizeof(n));
			snprintf(c->last_seen, sizeof(c->last_seen), "%s", e->last_seen);
			snprintf(c->msg, sizeof(c->msg), "%s", e->msg ? e->msg : "");
		} else if (e->kind == E_HOST) {
			struct summary_host *h = &hosts[nh++];

			snprintf(h->host, sizeof(h->host), "%s", e->key);
			memcpy(h->n, n, sizeof(n));
			snprintf(h->last_seen, sizeof(h->last_seen), "%s", e->last_seen);
			h->has_http_response = e->has_http;
			h->http_response = e->http;
			h->has_error_code = e->has_last_code;
			h->error_code = e->last_code;
			snprintf(h->msg, sizeof(h->msg), "%s", e->msg ? e->msg : "");
			snprintf(h->url, sizeof(h->url), "%s", e->url ? e->url : "");
		} else if (e->kind == E_API) {
			struct summary_api *x = &apis[na++];

			x->has_code = e->has_code;
			x->code = e->code;
			memcpy(x->n, n, sizeof(n));
			snprintf(x->last_seen, sizeof(x->last_seen), "%s", e->last_seen);
			snprintf(x->msg, sizeof(x->msg), "%s", e->msg ? e->msg : "");
			snprintf(x->method, sizeof(x->method), "%s", e->method ? e->method : "");
			snprintf(x->url, sizeof(x->url), "%s", e->url ? e->url : "");
		} else {
			for (size_t a = 0; a < v->n_accounts; a++)
				if (strcmp(v->accounts[a].account_sid, e->key) == 0)
					memcpy(v->accounts[a].n, n, sizeof(n));
		}
	}
	qsort(codes, nc, sizeof(*codes), code_cmp);
	qsort(hosts, nh, sizeof(*hosts), host_cmp);
	qsort(apis, na, sizeof(*apis), api_cmp);
	v->n_codes = nc < SUMMARY_TOP ? nc : SUMMARY_TOP;
	v->n_hosts = nh < SUMMARY_TOP ? nh : SUMMARY_TOP;
	v->n_api = na < SUMMARY_TOP ? na : SUMMARY_TOP;
	memcpy(v->codes, codes, v->n_codes * sizeof(*codes));
	memcpy(v->hosts, hosts, v->n_hosts * sizeof(*hosts));
	memcpy(v->api, apis, v->n_api * sizeof(*apis));
	r = 0;
out:
	free(codes);
	free(hosts);
	free(apis);
	return r;
}

int summary_view(struct summary *sm, struct store *s, int64_t now, int wait_ms,
                 struct summary_view *v)
{
	struct agg w[SUMMARY_WINDOWS] = {0};
	int64_t cur = now / 3600, first = cur + 1 - SUMMARY_HOURS;
	struct timespec ts;
	int r = 0;

	memset(v, 0, sizeof(*v));
	v->now = now;
	v->chart_start = first * 3600;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait_ms / 1000;
	ts.tv_nsec += (wait_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&sm->lock);
	while (!sm->ready && r == 0)
		r = -pthread_cond_timedwait(&sm->cond, &sm->lock, &ts);
	if (!sm->ready) {
		pthread_mutex_unlock(&sm->lock);
		return -EAGAIN;
	}
	r = 0;
	v->as_of = sm->as_of;
	/* Whole hours after each window's first (partial) hour come from the ring. */
	for (size_t i = 0; i < RING && r == 0; i++) {
		const struct bucket *b = &sm->d->b[i];

		if (!b->hour)
			continue;
		for (int k = SUMMARY_24H; k < SUMMARY_WINDOWS && r == 0; k++)
			if (b->hour > (now - window_secs[k]) / 3600 && b->hour <= cur + 1)
				r = agg_merge(&w[k], &b->a);
		if (b->hour >= first && b->hour <= cur)
			for (int l = 0; l < SUMMARY_LEVELS; l++)
				v->chart[b->hour - first][l] += b->a.levels[l];
	}
	for (size_t i = 0; i < sm->d->n_acc && v->n_accounts < SUMMARY_ACCOUNTS; i++) {
		struct summary_account *a = &v->accounts[v->n_accounts++];

		snprintf(a->account_sid, sizeof(a->account_sid), "%s", sm->d->acc[i].sid);
		a->rows = sm->d->acc[i].rows;
		v->rows += a->rows;
	}
	pthread_mutex_unlock(&sm->lock);
	if (r < 0)
		goto out;
	/* The last hour, and each window's first partial hour, are read live. */
	for (int k = 0; k < SUMMARY_WINDOWS && r == 0; k++) {
		char since[UTIL_TIME_LEN], until[UTIL_TIME_LEN];
		int64_t start = now - window_secs[k];

		util_format_time(start, since);
		util_format_time((start / 3600 + 1) * 3600, until);
		r = store_http_groups(s, since, k == SUMMARY_1H ? NULL : until, 0, live_group,
		                      &w[k]);
	}
	if (r == 0)
		r = fill_view(w, v);
out:
	for (int k = 0; k < SUMMARY_WINDOWS; k++)
		agg_finish(&w[k]);
	return r;
}

// SPDX-License-Identifier: MIT
/*
 * The HTTP server: libmicrohttpd with a small thread pool on a socket bound
 * here (so a busy port is reported as such). Readers take a read-only store
 * from a pool (one per thread at a time); the webhook writes through one
 * read-write store under a mutex. The page's aggregates come from summary.c,
 * the health verdict is cached for a second, and the configuration is read
 * under a rwlock so that a reload can swap it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "form.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "page.h"
#include "sign.h"
#include "store-http.h"
#include "summary.h"
#include "version.h"
#include "webhook.h"

#define POOL_MAX (HTTP_THREADS * 2)
#define SYNC_MAX 64
/* Security headers of every answer: nothing but the page's own inline style runs. */
#define CSP "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; " \
	    "base-uri 'none'; frame-ancestors 'none'"

struct http_server {
	struct MHD_Daemon *d;
	pthread_rwlock_t cfg_lock;
	const struct config *cfg;	/* under cfg_lock */
	char *auth;			/* "Basic ..." expected, NULL = none; under cfg_lock */
	char *db_path;
	int64_t started;
	pthread_mutex_t pool_lock;
	struct store *pool[POOL_MAX];
	size_t n_pool;
	pthread_mutex_t rw_lock;
	struct store *rw;		/* the webhook's, opened on first use */
	struct summary *sm;
	atomic_bool pushed;
	pthread_mutex_t health_lock;
	int64_t health_ms;		/* when the verdict below was made; 0 = never */
	char health[600];		/* "" = healthy, else the reason */
};

/* One request's state across libmicrohttpd's calls: the body, capped. */
struct request {
	struct strbuf body;
	bool too_big;
};

struct reply {
	int status;
	const char *type;
	struct strbuf body;
	const char *allow;		/* for 405 */
	bool challenge;			/* 401: ask for Basic auth */
};

/* --- helpers ------------------------------------------------------------- */

static struct store *store_get(struct http_server *srv)
{
	struct store *s = NULL;

	pthread_mutex_lock(&srv->pool_lock);
	if (srv->n_pool)
		s = srv->pool[--srv->n_pool];
	pthread_mutex_unlock(&srv->pool_lock);
	if (!s && store_open(srv->db_path, true, &s) < 0)
		return NULL;
	return s;
}

static void store_put(struct http_server *srv, struct store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&srv->pool_lock);
	if (srv->n_pool < POOL_MAX) {
		srv->pool[srv->n_pool++] = s;
		s = NULL;
	}
	pthread_mutex_unlock(&srv->pool_lock);
	store_close(s);
}

static void text(struct reply *rp, int status, const char *msg)
{
	rp->status = status;
	rp->type = "text/plain; charset=utf-8";
	strbuf_reset(&rp->body);
	if (strbuf_append(&rp->body, msg, strlen(msg)) == 0)
		strbuf_append(&rp->body, "\n", 1);
}

static void html_error(struct reply *rp, int status, const char *reason)
{
	rp->status = status;
	rp->type = "text/html; charset=utf-8";
	strbuf_reset(&rp->body);
	if (page_error(&rp->body, status, reason) < 0)
		text(rp, status, reason);
}

/* Serialise @doc (stolen) as the answer. */
static void json_reply(struct reply *rp, int status, json_t *doc)
{
	char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	strbuf_reset(&rp->body);
	if (!s || strbuf_append(&rp->body, s, strlen(s)) < 0 ||
	    strbuf_append(&rp->body, "\n", 1) < 0) {
		free(s);
		text(rp, 500, "out of memory");
		return;
	}
	free(s);
	rp->status = status;
	rp->type = "application/json";
}

static void json_error(struct reply *rp, int status, const char *msg)
{
	json_reply(rp, status, json_pack("{s:s, s:i}", "error", msg, "status", status));
}

/*
 * The request http_serve_request hands to route() with no connection (NULL);
 * per thread, so that concurrent callers each see their own.
 */
static _Thread_local const struct http_request_in *local_rq;

/* A header or query argument of @c, or of local_rq when @c is NULL. */
static const char *conn_value(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *name)
{
	const struct form *f;

	if (c)
		return MHD_lookup_connection_value(c, kind, name);
	f = !local_rq ? NULL : kind == MHD_GET_ARGUMENT_KIND ? local_rq->query : local_rq->headers;
	for (size_t i = 0; f && i < f->n; i++)
		if (kind == MHD_GET_ARGUMENT_KIND ? strcmp(f->fields[i].name, name) == 0
		                                  : strcasecmp(f->fields[i].name, name) == 0)
			return f->fields[i].value;
	return NULL;
}

static const char *arg(struct MHD_Connection *c, const char *name)
{
	const char *v = conn_value(c, MHD_GET_ARGUMENT_KIND, name);

	return v && *v ? v : NULL;
}

static json_t *json_time(int64_t t)
{
	char buf[UTIL_TIME_LEN];

	if (!t)
		return json_null();
	util_format_time(t, buf);
	return json_string(buf);
}

/* The length of the valid UTF-8 sequence at @p (RFC 3629), or 0. */
static size_t utf8_seq(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		lo = p[0] == 0xe0 ? 0xa0 : lo;	/* no overlong forms */
		hi = p[0] == 0xed ? 0x9f : hi;	/* no surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		lo = p[0] == 0xf0 ? 0x90 : lo;
		hi = p[0] == 0xf4 ? 0x8f : hi;	/* nothing past U+10FFFF */
	} else
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/*
 * @s as a JSON string, null for NULL. Jansson refuses text that is not
 * UTF-8, and such text does come: a percent-decoded field of alert_text, or
 * a value cut at a byte cap inside a character. Every byte that starts no
 * valid sequence becomes U+FFFD, so the value is shown rather than dropped.
 */
static json_t *json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	json_t *j;
	char *fixed, *w;

	if (!s)
		return json_null();
	if ((j = json_string(s)))
		return j;
	fixed = malloc(3 * strlen(s) + 1);
	if (!fixed)
		return NULL;
	for (w = fixed; *p;) {
		size_t n = utf8_seq(p);

		if (n) {
			memcpy(w, p, n);
			w += n;
			p += n;
		} else {
			memcpy(w, "\xef\xbf\xbd", 3);
			w += 3;
			p++;
		}
	}
	*w = '\0';
	j = json_string(fixed);
	free(fixed);
	return j;
}

/* A whole decimal number of at most 9 digits (error codes, limits). */
static bool parse_small(const char *v, int64_t *out)
{
	size_t n = v ? strspn(v, "0123456789") : 0;

	if (!n || v[n] || n > 9)
		return false;
	*out = strtoll(v, NULL, 10);
	return true;
}

/* Whether @v is one of the log levels the filters take. */
static bool valid_level(const char *v)
{
	return strcmp(v, "error") == 0 || strcmp(v, "warning") == 0 || strcmp(v, "notice") == 0 ||
	       strcmp(v, "debug") == 0;
}

static bool valid_sid(const char *v)
{
	size_t n = v ? strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") : 0;

	return n >= 2 && n <= 64 && !v[n];
}

/* --- health ---------------------------------------------------------------- */

/*
 * The /healthz verdict into @reason ("" = healthy): every account had a
 * successful poll within HTTP_HEALTH_INTERVALS intervals (counted from the
 * server's start for one not polled yet), and no notification has waited
 * that long. Made at most once a second; callers in between share it.
 */
static void health(struct http_server *srv, const struct config *cfg, int64_t now, char *reason,
		   size_t size)
{
	struct store_http_sync sync[SYNC_MAX];
	struct store_http_triggers tr;
	struct store *s = NULL;
	int64_t limit = HTTP_HEALTH_INTERVALS * cfg->interval;
	char why[sizeof(srv->health)] = "";
	size_t n = 0;

	pthread_mutex_lock(&srv->health_lock);
	if (srv->health_ms && util_mono_ms() - srv->health_ms < 1000)
		goto out;
	s = store_get(srv);
	if (!s || store_http_sync_list(s, sync, SYNC_MAX, &n) < 0) {
		snprintf(why, sizeof(why), "cannot read the database: %s", store_errmsg(s));
		goto done;
	}
	for (size_t i = 0; i < cfg->n_accounts && !why[0]; i++) {
		const struct config_account *a = &cfg->accounts[i];
		const struct store_sync_state *st = NULL;
		int64_t ref = srv->started;

		for (size_t j = 0; j < n; j++)
			if (strcmp(sync[j].account, a->name) == 0)
				st = &sync[j].st;
		if (st && st->last_success > ref)
			ref = st->last_success;
		if (now - ref <= limit)
			continue;
		snprintf(why, sizeof(why), "account %s: no successful poll for %llds (limit %llds)%s%s",
			 a->name, (long long)(now - ref), (long long)limit,
			 st && st->last_error[0] ? ": " : "", st ? st->last_error : "");
	}
	if (!why[0] && store_http_triggers(s, &tr) == 0 && tr.available && tr.pending &&
	    now - tr.oldest_pending > limit)
		snprintf(why, sizeof(why),
			 "outbox not draining: %lld notification(s) waiting, the oldest for %llds",
			 (long long)tr.pending, (long long)(now - tr.oldest_pending));
done:
	snprintf(srv->health, sizeof(srv->health), "%s", why);
	srv->health_ms = util_mono_ms();
out:
	snprintf(reason, size, "%s", srv->health);
	pthread_mutex_unlock(&srv->health_lock);
	store_put(srv, s);
}

/* --- pages ------------------------------------------------------------------ */

static int collect_firing(const struct store_http_firing *f, void *arg)
{
	struct page_status *p = arg;
	struct page_firing *pf = (struct page_firing *)&p->firing[p->n_firing++];

	snprintf(pf->trigger, sizeof(pf->trigger), "%s", f->trigger ? f->trigger : "");
	snprintf(pf->group, sizeof(pf->group), "%s", f->group ? f->group : "");
	snprintf(pf->since, sizeof(pf->since), "%s", f->since ? f->since : "");
	pf->count = f->count;
	return p->n_firing == PAGE_FIRING_MAX;
}

/* The latest-alerts filters of the page's query string; a bad one is ignored and said. */
static void page_filters(struct MHD_Connection *c, const struct config *cfg,
			 struct page_status *p, struct store_http_filter *f)
{
	const struct config_account *a;

	p->f_code = arg(c, "error_code");
	p->f_level = arg(c, "log_level");
	p->f_account = arg(c, "account");
	if (p->f_code && !parse_small(p->f_code, &f->error_code))
		p->f_error = "error code must be a number";
	else
		f->has_error_code = p->f_code != NULL;
	if (p->f_level && !valid_level(p->f_level))
		p->f_error = "level must be error, warning, notice or debug";
	else
		f->log_level = p->f_level;
	a = config_find_account(cfg, p->f_account);
	if (p->f_account && !a)
		p->f_error = "no such account";
	else if (a)
		f->account_sid = a->account_sid;
	f->limit = HTTP_LATEST_ROWS;
}

static void status_page(struct http_server *srv, const struct config *cfg, struct store *s,
			struct MHD_Connection *c, struct reply *rp)
{
	struct page_firing firing[PAGE_FIRING_MAX];
	struct store_http_sync sync[SYNC_MAX];
	struct store_http_filter f = {0};
	struct store_http_triggers tr;
	struct summary_view *v = malloc(sizeof(*v));
	struct page_status p = {.cfg = cfg, .now = util_now(), .sync = sync, .tr = &tr,
				.firing = firing};
	struct page_rows rows = {.sb = &rp->body, .cfg = cfg};
	char problem[600];
	int r = -ENOMEM;

	if (!v)
		goto out;
	page_filters(c, cfg, &p, &f);
	health(srv, cfg, p.now, problem, sizeof(problem));
	p.problem = problem[0] ? problem : NULL;
	r = store_http_sync_list(s, sync, SYNC_MAX, &p.n_sync);
	if (r == 0)
		r = summary_view(srv->sm, s, p.now, 5000, v);
	/* Before the first count is done the page shows the rest and says so. */
	if (r == 0)
		p.v = v;
	if (r == 0 || r == -EAGAIN)
		r = store_http_triggers(s, &tr);
	if (r == 0 && tr.available)
		r = store_http_firing_list(s, PAGE_FIRING_MAX, collect_firing, &p);
	if (r == 0)
		r = page_status_head(&rp->body, &p);
	if (r == 0)
		r = store_http_alerts(s, &f, page_alert_row, &rows);
	if (r == 0)
		r = page_status_tail(&rp->body, &p, rows.n);
out:
	free(v);
	if (r < 0) {
		html_error(rp, 503, r == -EMSGSIZE ? "the page is too large" : store_errmsg(s));
		return;
	}
	rp->status = 200;
	rp->type = "text/html; charset=utf-8";
}

struct alert_ctx {
	struct reply *rp;
	const struct config *cfg;
	bool json;
};

static json_t *alert_json(const struct store_http_alert *row, int ncols)
{
	json_t *o = json_object();

	for (int i = 0; o && i < ncols; i++) {
		const char *v = row->col[i];
		json_t *j;

		if (v && (i == SH_ERROR_CODE || i == SH_HTTP_RESPONSE))
			j = json_integer(strtoll(v, NULL, 10));
		else
			j = json_str(v);
		json_object_set_new(o, store_http_col_names[i], j);
	}
	return o;
}

static int one_alert(const struct store_http_alert *row, void *arg)
{
	struct alert_ctx *x = arg;

	if (x->json) {
		json_reply(x->rp, 200, alert_json(row, SH_COLS));
		return 0;
	}
	x->rp->status = 200;
	x->rp->type = "text/html; charset=utf-8";
	return page_alert(&x->rp->body, row, x->cfg, util_now());
}

static void alert_one(const struct config *cfg, struct store *s, const char *sid, bool json,
		      struct reply *rp)
{
	struct alert_ctx x = {.rp = rp, .cfg = cfg, .json = json};
	int r = valid_sid(sid) ? store_http_alert_get(s, sid, one_alert, &x) : -ENOENT;

	if (r == -ENOENT && json)
		json_error(rp, 404, "no such alert");
	else if (r == -ENOENT)
		html_error(rp, 404, "No alert with this SID is stored.");
	else if (r < 0 && json)
		json_error(rp, 503, store_errmsg(s));
	else if (r < 0)
		html_error(rp, 503, store_errmsg(s));
}

/* --- JSON API ----------------------------------------------------------------- */

static json_t *levels_json(const struct summary_view *v, int k)
{
	json_t *o = json_pack("{s:I}", "total", (json_int_t)v->total[k]);

	for (int l = 0; o && l < SUMMARY_LEVELS; l++)
		json_object_set_new(o, summary_level_names[l], json_integer(v->levels[k][l]));
	return o;
}

static json_t *windows_json(const int64_t n[SUMMARY_WINDOWS])
{
	return json_pack("{s:I, s:I, s:I}", "1h", (json_int_t)n[0], "24h", (json_int_t)n[1], "7d",
			 (json_int_t)n[2]);
}

static json_t *accounts_json(const struct config *cfg, const struct store_http_sync *sync,
			     size_t n_sync, const struct summary_view *v, int64_t now)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < cfg->n_accounts; i++) {
		const struct config_account *a = &cfg->accounts[i];
		const struct store_sync_state *st = NULL;
		const struct summary_account *sa = NULL;
		static const int64_t zero[SUMMARY_WINDOWS];
		const char *state = "never";
		json_t *o;

		for (size_t j = 0; j < n_sync; j++)
			if (strcmp(sync[j].account, a->name) == 0)
				st = &sync[j].st;
		for (size_t j = 0; v && j < v->n_accounts; j++)
			if (a->account_sid && strcmp(v->accounts[j].account_sid, a->account_sid) == 0)
				sa = &v->accounts[j];
		if (st && st->last_attempt)
			state = st->last_error_time && st->last_error_time >= st->last_success
					? "failing" : "ok";
		o = json_pack("{s:s, s:s?, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:b}",
			      "account", a->name, "account_sid", a->account_sid, "state", state,
			      "last_success", json_time(st ? st->last_success : 0), "last_attempt",
			      json_time(st ? st->last_attempt : 0), "watermark",
			      json_time(st && st->has_watermark ? st->watermark : 0),
			      "last_error_time", json_time(st ? st->last_error_time : 0),
			      "last_error", json_str(st && st->last_error[0] ? st->last_error : NULL),
			      "lag_seconds",
			      st && st->has_watermark ? json_integer(now - st->watermark) : json_null(),
			      "alerts", windows_json(sa ? sa->n : zero), "rows",
			      (json_int_t)(sa ? sa->rows : 0), "webhook", json_boolean(a->webhook),
			      "fetch_details", a->fetch_details);
		json_array_append_new(list, o);
	}
	return list;
}

static json_t *triggers_json(struct store *s, const struct store_http_triggers *tr)
{
	struct page_firing firing[PAGE_FIRING_MAX];
	struct page_status p = {.firing = firing};
	json_t *o, *groups = json_array();

	if (tr->available)
		store_http_firing_list(s, PAGE_FIRING_MAX, collect_firing, &p);
	for (size_t i = 0; groups && i < p.n_firing; i++)
		json_array_append_new(groups, json_pack("{s:o, s:o, s:s, s:I}", "trigger",
							json_str(firing[i].trigger), "group",
							json_str(firing[i].group), "since",
							firing[i].since, (json_int_t)firing[i].count));
	o = json_pack("{s:b, s:I, s:I, s:I, s:o, s:o}", "available", tr->available, "firing",
		      (json_int_t)tr->firing, "outbox_pending", (json_int_t)tr->pending,
		      "outbox_failed", (json_int_t)tr->failed, "outbox_oldest",
		      json_time(tr->oldest_pending), "firing_groups", groups ? groups : json_null());
	return o;
}

static json_t *summary_json(const struct summary_view *v)
{
	json_t *codes = json_array(), *hosts = json_array(), *hourly;
	json_t *lv[3] = {json_array(), json_array(), json_array()};

	for (size_t i = 0; i < v->n_codes; i++) {
		const struct summary_code *c = &v->codes[i];
		char docs[96] = "";

		if (c->has_code)
			page_docs_url(c->code, docs, sizeof(docs));
		json_array_append_new(codes,
				      json_pack("{s:o, s:s?, s:o, s:s, s:o}", "error_code",
						c->has_code ? json_integer(c->code) : json_null(),
						"docs_url", docs[0] ? docs : NULL, "alerts",
						windows_json(c->n), "last_seen", c->last_seen, "msg",
						json_str(c->msg)));
	}
	for (size_t i = 0; i < v->n_hosts; i++) {
		const struct summary_host *h = &v->hosts[i];

		json_array_append_new(hosts, json_pack("{s:o, s:o, s:s, s:o}", "request_host",
						       json_str(h->host), "alerts", windows_json(h->n),
						       "last_seen", h->last_seen, "last_http_response",
						       h->has_http_response
							       ? json_integer(h->http_response)
							       : json_null()));
	}
	for (int h = 0; h < SUMMARY_HOURS; h++) {
		int64_t other = 0;

		for (int l = SUMMARY_NOTICE; l < SUMMARY_LEVELS; l++)
			other += v->chart[h][l];
		json_array_append_new(lv[0], json_integer(v->chart[h][SUMMARY_ERROR]));
		json_array_append_new(lv[1], json_integer(v->chart[h][SUMMARY_WARNING]));
		json_array_append_new(lv[2], json_integer(other));
	}
	hourly = json_pack("{s:o, s:i, s:o, s:o, s:o}", "start", json_time(v->chart_start), "hours",
			   SUMMARY_HOURS, "error", lv[0], "warning", lv[1], "other", lv[2]);
	return json_pack("{s:o, s:I, s:{s:o, s:o, s:o}, s:o, s:o, s:o}", "as_of",
			 json_time(v->as_of), "rows", (json_int_t)v->rows, "alerts", "1h",
			 levels_json(v, SUMMARY_1H), "24h", levels_json(v, SUMMARY_24H), "7d",
			 levels_json(v, SUMMARY_7D), "top_error_codes", codes, "failing_hosts", hosts,
			 "hourly", hourly);
}

static void api_status(struct http_server *srv, const struct config *cfg, struct store *s,
		       struct reply *rp)
{
	struct store_http_sync sync[SYNC_MAX];
	struct summary_view *v = malloc(sizeof(*v));
	struct store_http_triggers tr;
	int64_t now = util_now();
	char problem[600];
	json_t *doc = NULL;
	size_t n_sync = 0;
	int r = v ? 0 : -ENOMEM;

	health(srv, cfg, now, problem, sizeof(problem));
	if (r == 0)
		r = store_http_sync_list(s, sync, SYNC_MAX, &n_sync);
	if (r == 0)
		r = summary_view(srv->sm, s, now, 5000, v);
	if (r == 0)
		r = store_http_triggers(s, &tr);
	if (r == 0)
		doc = json_pack("{s:s, s:o, s:b, s:o, s:o, s:o, s:o}", "version", ALERTD_VERSION,
				"now", json_time(now), "healthy", !problem[0], "problem",
				json_str(problem[0] ? problem : NULL), "accounts",
				accounts_json(cfg, sync, n_sync, v, now), "summary", summary_json(v),
				"triggers", triggers_json(s, &tr));
	free(v);
	if (r == -EAGAIN)
		json_error(rp, 503, "still counting the stored alerts; try again in a few seconds");
	else if (r < 0)
		json_error(rp, 503, store_errmsg(s));
	else
		json_reply(rp, 200, doc);
}

struct api_rows {
	json_t *list;
	char last_date[UTIL_TIME_LEN];
	char last_sid[80];
};

static int api_row(const struct store_http_alert *row, void *arg)
{
	struct api_rows *a = arg;

	snprintf(a->last_date, sizeof(a->last_date), "%s", row->col[SH_DATE_CREATED]);
	snprintf(a->last_sid, sizeof(a->last_sid), "%s", row->col[SH_SID]);
	return json_array_append_new(a->list, alert_json(row, SH_LIST_COLS)) < 0 ? -ENOMEM : 0;
}

/* A date parameter normalised into @out; false when it is not a date. */
static bool param_date(const char *v, char out[UTIL_TIME_LEN])
{
	int64_t t;

	if (util_parse_time(v, &t) < 0)
		return false;
	util_format_time(t, out);
	return true;
}

static void api_alerts(const struct config *cfg, struct store *s, struct MHD_Connection *c,
		       struct reply *rp)
{
	const char *since = arg(c, "since"), *until = arg(c, "until"), *acct = arg(c, "account");
	const char *code = arg(c, "error_code"), *limit = arg(c, "limit"), *cursor = arg(c, "cursor");
	char d_since[UTIL_TIME_LEN], d_until[UTIL_TIME_LEN], d_after[UTIL_TIME_LEN], sid[80];
	struct store_http_filter f = {.limit = HTTP_LATEST_ROWS};
	struct api_rows rows = {.list = json_array()};
	const struct config_account *a = config_find_account(cfg, acct);
	const char *bad = NULL;
	int64_t n;
	int r;

	if (since && !param_date(since, d_since))
		bad = "since is not a date (YYYY-MM-DDTHH:MM:SSZ)";
	else if (until && !param_date(until, d_until))
		bad = "until is not a date (YYYY-MM-DDTHH:MM:SSZ)";
	else if (code && !parse_small(code, &f.error_code))
		bad = "error_code is not a number";
	else if (limit && (!parse_small(limit, &n) || n < 1 || n > STORE_HTTP_LIMIT_MAX))
		bad = "limit is not 1..1000";
	else if (arg(c, "log_level") && !valid_level(arg(c, "log_level")))
		bad = "log_level is not error, warning, notice or debug";
	else if (acct && !a && (strncmp(acct, "AC", 2) != 0 || strlen(acct) != 34 || !valid_sid(acct)))
		bad = "account is neither an [account] name nor an account SID";
	else if (cursor && (strlen(cursor) < UTIL_TIME_LEN + 2 || cursor[UTIL_TIME_LEN - 1] != '_' ||
			    !valid_sid(cursor + UTIL_TIME_LEN) ||
			    (snprintf(d_after, sizeof(d_after), "%.20s", cursor),
			     !param_date(d_after, d_after))))
		bad = "cursor is not one this API gave";
	if (bad || !rows.list) {
		json_decref(rows.list);
		json_error(rp, bad ? 400 : 500, bad ? bad : "out of memory");
		return;
	}
	f.since = since ? d_since : NULL;
	f.until = until ? d_until : NULL;
	f.has_error_code = code != NULL;
	f.log_level = arg(c, "log_level");
	f.account_sid = a ? a->account_sid : acct;
	if (limit)
		f.limit = (int)n;
	if (cursor) {
		snprintf(sid, sizeof(sid), "%s", cursor + UTIL_TIME_LEN);
		f.after_date = d_after;
		f.after_sid = sid;
	}
	r = store_http_alerts(s, &f, api_row, &rows);
	if (r < 0) {
		json_decref(rows.list);
		json_error(rp, 503, store_errmsg(s));
		return;
	}
	/* A full page may have a next one: its cursor is the last row's (date, sid). */
	if (json_array_size(rows.list) == (size_t)f.limit) {
		char next[UTIL_TIME_LEN + 82];

		snprintf(next, sizeof(next), "%s_%s", rows.last_date, rows.last_sid);
		json_reply(rp, 200, json_pack("{s:o, s:I, s:s}", "alerts", rows.list, "count",
					      (json_int_t)json_array_size(rows.list), "next_cursor",
					      next));
	} else {
		json_reply(rp, 200, json_pack("{s:o, s:I, s:n}", "alerts", rows.list, "count",
					      (json_int_t)json_array_size(rows.list), "next_cursor"));
	}
}

/* --- metrics -------------------------------------------------------------------- */


#define HELP(sb, r, name, help)                                                              \
	strbuf_addf(sb, r, "# HELP twilio_alertd_%s %s\n# TYPE twilio_alertd_%s gauge\n", name, help, \
	      name)

static void metrics(struct http_server *srv, const struct config *cfg, struct store *s,
		    struct reply *rp)
{
	struct store_http_sync sync[SYNC_MAX];
	struct summary_view *v = malloc(sizeof(*v));
	struct store_http_triggers tr;
	struct strbuf *sb = &rp->body;
	int64_t now = util_now();
	char problem[600], label[METRICS_LABEL_MAX];
	size_t n_sync = 0;
	int r = v ? metrics_render(sb) : -ENOMEM, q;

	health(srv, cfg, now, problem, sizeof(problem));
	q = r ? r : store_http_sync_list(s, sync, SYNC_MAX, &n_sync);
	HELP(sb, &r, "healthy", "1 when /healthz answers 200.");
	strbuf_addf(sb, &r, "twilio_alertd_healthy %d\n", !problem[0]);
	HELP(sb, &r, "build_info", "The agent's version, as a label.");
	strbuf_addf(sb, &r, "twilio_alertd_build_info{version=\"%s\"} 1\n", ALERTD_VERSION);
	HELP(sb, &r, "last_success_timestamp_seconds",
	     "End of the last successful poll of the account (Unix time; 0 = never).");
	for (size_t i = 0; q == 0 && i < cfg->n_accounts; i++) {
		int64_t t = 0;

		for (size_t j = 0; j < n_sync; j++)
			if (strcmp(sync[j].account, cfg->accounts[i].name) == 0)
				t = sync[j].st.last_success;
		metrics_label(cfg->accounts[i].name, label, sizeof(label));
		strbuf_addf(sb, &r, "twilio_alertd_last_success_timestamp_seconds{account=\"%s\"} %lld\n",
		      label, (long long)t);
	}
	HELP(sb, &r, "sync_lag_seconds",
	     "Age of the newest alert the account's last complete query returned.");
	for (size_t i = 0; q == 0 && i < n_sync; i++)
		if (sync[i].st.has_watermark && config_find_account(cfg, sync[i].account)) {
			metrics_label(sync[i].account, label, sizeof(label));
			strbuf_addf(sb, &r, "twilio_alertd_sync_lag_seconds{account=\"%s\"} %lld\n", label,
			      (long long)(now - sync[i].st.watermark));
		}
	q = q ? q : summary_view(srv->sm, s, now, 5000, v);
	if (q == 0) {
		HELP(sb, &r, "alerts_stored", "Alert rows in the database, by account SID.");
		/* Each stored account_sid has its own series, escaped as it is. */
		for (size_t i = 0; i < v->n_accounts; i++) {
			metrics_label(v->accounts[i].account_sid, label, sizeof(label));
			strbuf_addf(sb, &r, "twilio_alertd_alerts_stored{account_sid=\"%s\"} %lld\n", label,
			      (long long)v->accounts[i].rows);
		}
		HELP(sb, &r, "alerts_recent", "Alerts created in the last hour, day or week, by level.");
		for (int k = 0; k < SUMMARY_WINDOWS; k++)
			for (int l = 0; l < SUMMARY_LEVELS; l++)
				strbuf_addf(sb, &r,
				      "twilio_alertd_alerts_recent{window=\"%s\",log_level=\"%s\"} "
				      "%lld\n",
				      summary_window_names[k], summary_level_names[l],
				      (long long)v->levels[k][l]);
	}
	q = q ? q : store_http_triggers(s, &tr);
	if (q == 0 && tr.available) {
		HELP(sb, &r, "triggers_firing", "Trigger groups in state firing.");
		strbuf_addf(sb, &r, "twilio_alertd_triggers_firing %lld\n", (long long)tr.firing);
		HELP(sb, &r, "outbox_backlog", "Notifications not delivered yet.");
		strbuf_addf(sb, &r, "twilio_alertd_outbox_backlog %lld\n", (long long)tr.pending);
		HELP(sb, &r, "outbox_oldest_age_seconds",
		     "How long the oldest undelivered notification has waited (0 = none).");
		strbuf_addf(sb, &r, "twilio_alertd_outbox_oldest_age_seconds %lld\n",
		      (long long)(tr.pending ? now - tr.oldest_pending : 0));
	}
	free(v);
	if (r < 0 || (q < 0 && q != -EAGAIN)) {
		text(rp, 503, r < 0 ? "cannot render the metrics" : store_errmsg(s));
		return;
	}
	rp->status = 200;
	rp->type = "text/plain; version=0.0.4; charset=utf-8";
}

/* --- webhook -------------------------------------------------------------------- */

static void webhook(struct http_server *srv, const struct config *cfg, struct MHD_Connection *c,
		    struct request *rq, struct reply *rp)
{
	struct webhook_result res = {0};

	if (rq->too_big) {
		res.status = 413;
		snprintf(res.reason, sizeof(res.reason), "body larger than %d bytes",
			 HTTP_WEBHOOK_BODY_MAX);
	} else {
		pthread_mutex_lock(&srv->rw_lock);
		if (!srv->rw && store_open(srv->db_path, false, &srv->rw) < 0) {
			res.status = 503;
			snprintf(res.reason, sizeof(res.reason), "cannot open the database");
		} else {
			webhook_receive(
			        cfg, srv->rw,
			        conn_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
			        conn_value(c, MHD_HEADER_KIND, "X-Twilio-Signature"),
			        rq->body.buf ? rq->body.buf : "", rq->body.len, util_now(), &res);
		}
		pthread_mutex_unlock(&srv->rw_lock);
	}
	if (res.stored) {
		atomic_store(&srv->pushed, true);
		summary_poke(srv->sm);
	}
	if (res.status == 200)
		log_info("webhook: account %s: %s", res.account, res.reason);
	else if (res.status == 400 || res.status >= 500)
		log_warnx("webhook: answered %d: %s", res.status, res.reason);
	else
		log_info("webhook: refused (%d): %s", res.status, res.reason);
	metrics_note_push(res.account[0] ? res.account : NULL, res.status, res.stored);
	text(rp, res.status, res.reason);
}

/* --- dispatch ------------------------------------------------------------------- */

static bool authorized(struct http_server *srv, struct MHD_Connection *c)
{
	const char *h = conn_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

	if (!srv->auth)
		return true;
	/* The scheme's case is free (RFC 7617); the credentials compare in constant time. */
	return h && strncasecmp(h, "Basic ", 6) == 0 && sign_equal(h + 6, srv->auth + 6);
}

static void route(struct http_server *srv, struct MHD_Connection *c, const char *url,
		  const char *method, struct request *rq, struct reply *rp)
{
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	const struct config *cfg = srv->cfg;
	struct store *s = NULL;
	char reason[600];

	if (strcmp(url, "/twilio/debugger") == 0) {
		if (strcmp(method, "POST") == 0) {
			webhook(srv, cfg, c, rq, rp);
			return;
		}
		rp->allow = "POST";
		text(rp, 405, "the Debugger webhook takes POST");
		goto count;
	}
	if (!authorized(srv, c)) {
		rp->challenge = true;
		text(rp, 401, "authorization required");
		goto count;
	}
	if (!get) {
		rp->allow = "GET, HEAD";
		text(rp, 405, "only GET and HEAD");
		goto count;
	}
	if (strcmp(url, "/healthz") == 0) {
		health(srv, cfg, util_now(), reason, sizeof(reason));
		text(rp, reason[0] ? 503 : 200, reason[0] ? reason : "ok");
		goto count;
	}
	s = store_get(srv);
	if (!s) {
		text(rp, 503, "cannot open the database");
		goto count;
	}
	if (strcmp(url, "/") == 0)
		status_page(srv, cfg, s, c, rp);
	else if (strcmp(url, "/api/status") == 0)
		api_status(srv, cfg, s, rp);
	else if (strcmp(url, "/api/alerts") == 0)
		api_alerts(cfg, s, c, rp);
	else if (strncmp(url, "/api/alerts/", 12) == 0)
		alert_one(cfg, s, url + 12, true, rp);
	else if (strncmp(url, "/alerts/", 8) == 0)
		alert_one(cfg, s, url + 8, false, rp);
	else if (strcmp(url, "/metrics") == 0)
		metrics(srv, cfg, s, rp);
	else
		html_error(rp, 404, "There is no such page here.");
	store_put(srv, s);
count:
	metrics_note_http(rp->status);
}

static enum MHD_Result send_reply(struct MHD_Connection *c, struct reply *rp)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(rp->body.len, rp->body.buf ? rp->body.buf : (char *)"",
					       rp->body.buf ? MHD_RESPMEM_MUST_FREE
							    : MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	rp->body.buf = NULL;	/* libmicrohttpd frees it */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rp->type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	if (rp->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rp->allow);
	if (rp->challenge)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Basic realm=\"twilio-alertd\", charset=\"UTF-8\"");
	ret = MHD_queue_response(c, (unsigned int)rp->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **req_cls)
{
	struct http_server *srv = cls;
	struct request *rq = *req_cls;
	struct reply rp = {.status = 500, .type = "text/plain; charset=utf-8"};
	enum MHD_Result ret;

	if (!rq) {
		const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							      MHD_HTTP_HEADER_CONTENT_LENGTH);

		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		strbuf_init(&rq->body, HTTP_WEBHOOK_BODY_MAX);
		*req_cls = rq;
		/* Refuse a declared oversize body before reading it. */
		if (len && strtoull(len, NULL, 10) > HTTP_WEBHOOK_BODY_MAX)
			rq->too_big = true;
		else
			return MHD_YES;
	}
	if (*upload_size) {
		/* Only the webhook reads a body; it stops growing at its cap. */
		if (!rq->too_big && (strcmp(url, "/twilio/debugger") != 0 ||
				     strbuf_append(&rq->body, upload, *upload_size) < 0))
			rq->too_big = strcmp(url, "/twilio/debugger") == 0;
		*upload_size = 0;
		return MHD_YES;
	}
	strbuf_init(&rp.body, HTTP_RESPONSE_MAX);
	pthread_rwlock_rdlock(&srv->cfg_lock);
	if (rq->too_big && strcmp(url, "/twilio/debugger") != 0)
		text(&rp, 413, "request body too large");
	else
		route(srv, c, url, method, rq, &rp);
	pthread_rwlock_unlock(&srv->cfg_lock);
	ret = send_reply(c, &rp);
	strbuf_finish(&rp.body);
	return ret;
}

static void request_done(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *req_cls;

	if (!rq)
		return;
	strbuf_finish(&rq->body);
	free(rq);
	*req_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("http: %s", line);
}

/* --- lifecycle ------------------------------------------------------------------- */

/* The "Basic ..." header value @cfg's listen_user/listen_password make, or NULL. */
static int make_auth(const struct config *cfg, char **out)
{
	char *pair = NULL, *b64 = NULL;
	size_t len, size;
	int r = 0;

	*out = NULL;
	if (!cfg->listen_user || !cfg->listen_password)
		return 0;
	if (asprintf(&pair, "%s:%s", cfg->listen_user, cfg->listen_password) < 0)
		return -ENOMEM;
	len = strlen(pair);
	size = 6 + 4 * ((len + 2) / 3) + 1;
	b64 = malloc(size);
	if (!b64) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(b64, "Basic ", 6);
	r = sign_base64(pair, len, b64 + 6, size - 6);
	if (r == 0) {
		*out = b64;
		b64 = NULL;
	}
out:
	explicit_bzero(pair, strlen(pair));
	free(pair);
	free(b64);
	return r;
}

/* A listening socket on cfg->listen ("HOST:PORT" or "[V6]:PORT"). */
static int bind_listen(const char *addr, int *fd_out)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai = NULL;
	char host[256], port[8];
	const char *colon = strrchr(addr, ':');
	int fd = -1, one = 1, r;

	if (!colon || (size_t)(colon - addr) >= sizeof(host) || strlen(colon + 1) >= sizeof(port))
		return -EINVAL;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	snprintf(port, sizeof(port), "%s", colon + 1);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	r = getaddrinfo(host, port, &hints, &ai);
	if (r != 0) {
		log_warnx("status page: listen %s: %s", addr, gai_strerror(r));
		return -EADDRNOTAVAIL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 256) < 0) {
		r = -errno;
		log_warnx("status page: cannot listen on %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return r;
	}
	freeaddrinfo(ai);
	*fd_out = fd;
	return 0;
}

int http_start(const struct config *cfg, struct http_server **out)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	sigset_t block, old;
	int fd = -1, r = -ENOMEM;

	if (!srv)
		return r;
	pthread_rwlock_init(&srv->cfg_lock, NULL);
	pthread_mutex_init(&srv->pool_lock, NULL);
	pthread_mutex_init(&srv->rw_lock, NULL);
	pthread_mutex_init(&srv->health_lock, NULL);
	srv->cfg = cfg;
	srv->started = util_now();
	if (!(srv->db_path = strdup(cfg->database)))
		goto out;
	r = make_auth(cfg, &srv->auth);
	if (r == 0)
		r = bind_listen(cfg->listen, &fd);
	if (r < 0)
		goto out;
	/* The server's threads leave SIGTERM, SIGINT and SIGHUP to the main thread. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	r = summary_create(srv->db_path, &srv->sm);
	if (r == 0) {
		srv->d = MHD_start_daemon(
			MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG,
			0, NULL, NULL, handle, srv, MHD_OPTION_LISTEN_SOCKET, fd,
			MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HTTP_THREADS,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONNECTIONS_MAX,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_HEADERS_MAX,
			MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)256,
			MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
			MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
		r = srv->d ? 0 : -EIO;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		log_warnx("status page: cannot start the HTTP server on %s", cfg->listen);
		goto out;
	}
	fd = -1;	/* libmicrohttpd closes it */
	log_info("status page on http://%s/", cfg->listen);
	*out = srv;
	srv = NULL;
out:
	if (fd >= 0)
		close(fd);
	http_stop(srv);
	return r;
}

void http_stop(struct http_server *srv)
{
	if (!srv)
		return;
	if (srv->d)
		MHD_stop_daemon(srv->d);
	summary_destroy(srv->sm);
	for (size_t i = 0; i < srv->n_pool; i++)
		store_close(srv->pool[i]);
	store_close(srv->rw);
	if (srv->auth)
		explicit_bzero(srv->auth, strlen(srv->auth));
	free(srv->auth);
	free(srv->db_path);
	pthread_rwlock_destroy(&srv->cfg_lock);
	pthread_mutex_destroy(&srv->pool_lock);
	pthread_mutex_destroy(&srv->rw_lock);
	pthread_mutex_destroy(&srv->health_lock);
	free(srv);
}

void http_set_config(struct http_server *srv, const struct config *cfg)
{
	char *auth = NULL;

	if (!srv)
		return;
	if (make_auth(cfg, &auth) < 0)
		log_warnx("status page: out of memory; keeping the old password");
	pthread_rwlock_wrlock(&srv->cfg_lock);
	srv->cfg = cfg;
	if (auth || !cfg->listen_user) {
		if (srv->auth)
			explicit_bzero(srv->auth, strlen(srv->auth));
		free(srv->auth);
		srv->auth = auth;
	}
	pthread_rwlock_unlock(&srv->cfg_lock);
	pthread_mutex_lock(&srv->health_lock);
	srv->health_ms = 0;
	pthread_mutex_unlock(&srv->health_lock);
}

void http_note_cycle(struct http_server *srv)
{
	if (srv)
		summary_poke(srv->sm);
}

bool http_take_pushes(struct http_server *srv)
{
	return srv && atomic_exchange(&srv->pushed, false);
}

/* --- without a socket (tests, fuzzing) ------------------------------------------- */

int http_open_local(const struct config *cfg, struct http_server **out)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	int r = -ENOMEM;

	if (!srv)
		return r;
	pthread_rwlock_init(&srv->cfg_lock, NULL);
	pthread_mutex_init(&srv->pool_lock, NULL);
	pthread_mutex_init(&srv->rw_lock, NULL);
	pthread_mutex_init(&srv->health_lock, NULL);
	srv->cfg = cfg;
	srv->started = util_now();
	if ((srv->db_path = strdup(cfg->database)))
		r = make_auth(cfg, &srv->auth);
	if (r == 0)
		r = summary_create(srv->db_path, &srv->sm);
	if (r < 0) {
		http_stop(srv);
		return r;
	}
	*out = srv;
	return 0;
}

void http_serve_request(struct http_server *srv, const struct http_request_in *in,
                        struct http_answer *out)
{
	bool webhook_path = strcmp(in->path, "/twilio/debugger") == 0;
	struct request rq = {.too_big = in->len > HTTP_WEBHOOK_BODY_MAX};
	struct reply rp = {.status = 500, .type = "text/plain; charset=utf-8"};

	/* As handle() does: only the webhook keeps a body. */
	strbuf_init(&rq.body, HTTP_WEBHOOK_BODY_MAX);
	if (!rq.too_big && webhook_path && in->len &&
	    strbuf_append(&rq.body, in->body, in->len) < 0)
		rq.too_big = true;
	strbuf_init(&rp.body, HTTP_RESPONSE_MAX);
	local_rq = in;
	pthread_rwlock_rdlock(&srv->cfg_lock);
	if (rq.too_big && !webhook_path)
		text(&rp, 413, "request body too large");
	else
		route(srv, NULL, in->path, in->method, &rq, &rp);
	pthread_rwlock_unlock(&srv->cfg_lock);
	local_rq = NULL;
	strbuf_finish(&rq.body);
	out->status = rp.status;
	out->type = rp.type;
	out->allow = rp.allow;
	out->challenge = rp.challenge;
	out->body = rp.body;
}

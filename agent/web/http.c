// SPDX-License-Identifier: MIT
/*
 * The HTTP server: libmicrohttpd with a small thread pool on a socket bound
 * here (so a busy port is reported as such), with a cap per client address
 * and http-guard.c's deadlines and eviction against slow clients. Readers take a read-only store
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

#include "base/form.h"
#include "web/health.h"
#include "web/http.h"
#include "web/http-guard.h"
#include "base/log.h"
#include "web/metrics.h"
#include "web/page.h"
#include "base/sign.h"
#include "store/store-http.h"
#include "web/summary.h"
#include "version.h"
#include "web/webhook.h"

#define POOL_MAX (HTTP_THREADS * 2)
#define SYNC_MAX 64
/* Security headers of every answer: nothing but the page's own inline style runs. */
#define CSP "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; " \
	    "base-uri 'none'; frame-ancestors 'none'"

struct http_server {
	struct MHD_Daemon *d;
	struct http_guard *guard; /* deadlines and eviction of slow connections */
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
	char health[HEALTH_REASON_MAX]; /* "" = healthy, else the reason */
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
 * The /healthz verdict into @reason ("" = healthy): health_verdict over
 * what the store says, accounts never polled counting from the server's
 * start. Made at most once a second; callers in between share it.
 */
static void health(struct http_server *srv, const struct config *cfg, int64_t now, char *reason,
		   size_t size)
{
	struct health_data *d = NULL;
	struct store *s = NULL;

	pthread_mutex_lock(&srv->health_lock);
	if (srv->health_ms && util_mono_ms() - srv->health_ms < 1000)
		goto out;
	d = malloc(sizeof(*d));
	s = d ? store_get(srv) : NULL;
	if (!s || health_read(s, d) < 0)
		health_verdict(cfg, NULL, d ? store_errmsg(s) : "out of memory", now, srv->started,
		               srv->health, sizeof(srv->health));
	else
		health_verdict(cfg, d, NULL, now, srv->started, srv->health, sizeof(srv->health));
	srv->health_ms = util_mono_ms();
out:
	snprintf(reason, size, "%s", srv->health);
	pthread_mutex_unlock(&srv->health_lock);
	store_put(srv, s);
	free(d);
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

static bool param_date(const char *v, char out[UTIL_TIME_LEN]);

/* Room for the normalised dates and the cursor's SID of the page's filters. */
struct page_filter_buf {
	char since[UTIL_TIME_LEN], until[UTIL_TIME_LEN], after[UTIL_TIME_LEN];
	char sid[PAGE_SID_MAX];
};

/*
 * A date of the page's filters into @out: what util_parse_time takes, and
 * "YYYY-MM-DD HH:MM" / "YYYY-MM-DDTHH:MM" (a datetime-local field), all UTC.
 */
static bool page_date(const char *v, char out[UTIL_TIME_LEN])
{
	char buf[UTIL_TIME_LEN + 8];
	int64_t t;

	if (strlen(v) == 16 && v[13] == ':') {
		snprintf(buf, sizeof(buf), "%s:00", v);
		v = buf;
	}
	if (util_parse_time(v, &t) < 0)
		return false;
	util_format_time(t, out);
	return true;
}

/*
 * The latest-alerts filters and cursor of the page's query string into @f.
 * Returns NULL, or why one is refused (then the page lists nothing and
 * answers 400): a filter that is not applied must not look applied.
 */
static const char *page_filters(struct MHD_Connection *c, const struct config *cfg,
				struct page_status *p, struct store_http_filter *f,
				struct page_filter_buf *b)
{
	const struct config_account *a;
	const char *cur;

	p->f_code = arg(c, "error_code");
	p->f_level = arg(c, "log_level");
	p->f_account = arg(c, "account");
	p->f_resource = arg(c, "resource_sid");
	p->f_since = arg(c, "since");
	p->f_until = arg(c, "until");
	p->f_cursor = cur = arg(c, "cursor");
	p->limit = f->limit = HTTP_LATEST_ROWS;
	if (p->f_code && !parse_small(p->f_code, &f->error_code))
		return "error code must be a whole number such as 11200";
	f->has_error_code = p->f_code != NULL;
	if (p->f_level && !valid_level(p->f_level))
		return "level must be error, warning, notice or debug";
	f->log_level = p->f_level;
	a = config_find_account(cfg, p->f_account);
	if (p->f_account && !a &&
	    (strncmp(p->f_account, "AC", 2) != 0 || strlen(p->f_account) != 34 ||
	     !valid_sid(p->f_account)))
		return "account is neither an [account] name nor an account SID (AC...)";
	f->account_sid = a ? a->account_sid : p->f_account;
	if (p->f_resource && !valid_sid(p->f_resource))
		return "resource SID must be letters and digits, such as CA0123...";
	f->resource_sid = p->f_resource;
	if (p->f_since && !page_date(p->f_since, b->since))
		return "from is not a date (YYYY-MM-DD, YYYY-MM-DD HH:MM or YYYY-MM-DDTHH:MM:SSZ)";
	f->since = p->f_since ? b->since : NULL;
	if (p->f_until && !page_date(p->f_until, b->until))
		return "until is not a date (YYYY-MM-DD, YYYY-MM-DD HH:MM or YYYY-MM-DDTHH:MM:SSZ)";
	f->until = p->f_until ? b->until : NULL;
	if (f->since && f->until && strcmp(f->since, f->until) >= 0)
		return "from must be before until";
	/* The cursor is the last row's "DATE_SID", as in /api/alerts. */
	if (cur && (strlen(cur) < UTIL_TIME_LEN + 2 || cur[UTIL_TIME_LEN - 1] != '_' ||
		    !valid_sid(cur + UTIL_TIME_LEN) ||
		    (snprintf(b->after, sizeof(b->after), "%.20s", cur),
		     !param_date(b->after, b->after))))
		return "cursor is not one this page gave (follow the \"older\" link)";
	if (cur) {
		snprintf(b->sid, sizeof(b->sid), "%s", cur + UTIL_TIME_LEN);
		f->after_date = b->after;
		f->after_sid = b->sid;
	}
	return NULL;
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
	struct page_filter_buf fb;
	char problem[600];
	int r = -ENOMEM;

	if (!v)
		goto out;
	p.f_error = page_filters(c, cfg, &p, &f, &fb);
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
	if (r == 0 && !p.f_error)
		r = store_http_alerts(s, &f, page_alert_row, &rows);
	if (r == 0)
		r = page_status_tail(&rp->body, &p, &rows);
out:
	free(v);
	if (r < 0) {
		html_error(rp, 503, r == -EMSGSIZE ? "the page is too large" : store_errmsg(s));
		return;
	}
	rp->status = p.f_error ? 400 : 200;
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

/* Seconds from @t to @now, null when @t is 0 (never). */
static json_t *json_age(int64_t now, int64_t t)
{
	return t ? json_integer(now - t) : json_null();
}

static json_t *account_json(const char *name, const struct config_account *a,
                            const struct store_sync_state *st, const struct summary_view *v,
                            int64_t now)
{
	static const int64_t zero[SUMMARY_WINDOWS];
	const struct summary_account *sa = NULL;
	const char *sid = a ? a->account_sid : st ? st->account_sid : NULL;
	const char *state = "never";
	int64_t wm = st && st->has_watermark ? st->watermark : 0;

	for (size_t j = 0; v && sid && j < v->n_accounts; j++)
		if (strcmp(v->accounts[j].account_sid, sid) == 0)
			sa = &v->accounts[j];
	if (st && st->last_attempt)
		state = st->last_error_time && st->last_error_time >= st->last_success ? "failing"
		                                                                       : "ok";
	return json_pack("{s:s, s:s?, s:b, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, "
	                 "s:b}",
	                 "account", name, "account_sid", sid && *sid ? sid : NULL, "configured",
	                 a != NULL, "state", state, "last_success",
	                 json_time(st ? st->last_success : 0), "last_success_age_seconds",
	                 json_age(now, st ? st->last_success : 0), "last_attempt",
	                 json_time(st ? st->last_attempt : 0), "watermark", json_time(wm),
	                 "newest_alert_age_seconds", json_age(now, wm), "last_error_time",
	                 json_time(st ? st->last_error_time : 0), "last_error",
	                 json_str(st && st->last_error[0] ? st->last_error : NULL), "alerts",
	                 v ? windows_json(sa ? sa->n : zero) : json_null(), "rows",
	                 v ? json_integer(sa ? sa->rows : 0) : json_null(), "webhook",
	                 a && a->webhook, "fetch_details", a && a->fetch_details);
}

/* The configured accounts, then the unconfigured ones the database has a sync state for. */
static json_t *accounts_json(const struct config *cfg, const struct health_data *d,
                             const struct summary_view *v, int64_t now)
{
	json_t *list = json_array();

	for (size_t i = 0; list && cfg && i < cfg->n_accounts; i++) {
		const struct config_account *a = &cfg->accounts[i];

		json_array_append_new(list,
		                      account_json(a->name, a, health_sync(d, a->name), v, now));
	}
	for (size_t i = 0; list && d && i < d->n_sync; i++)
		if (!cfg || !config_find_account(cfg, d->sync[i].account))
			json_array_append_new(list, account_json(d->sync[i].account, NULL,
			                                         &d->sync[i].st, v, now));
	return list;
}

static json_t *channel_json(const struct config *cfg, const struct store_http_channel *c)
{
	bool orphaned = health_orphaned(cfg, c);

	return json_pack("{s:o, s:s, s:I, s:I, s:o, s:o, s:o, s:o}", "channel",
	                 json_str(c->channel), "state", orphaned ? "orphaned" : "waiting",
	                 "pending", (json_int_t)c->pending, "failed", (json_int_t)c->failed,
	                 "oldest", json_time(c->oldest), "next_attempt", json_time(c->next_attempt),
	                 "last_attempt", json_time(c->last_attempt), "last_error",
	                 json_str(c->last_error[0] ? c->last_error : NULL));
}

/* "triggers": state counts and the firing groups; "outbox": per channel, orphaned ones by name. */
static void triggers_json(json_t *doc, const struct config *cfg, struct store *s,
                          const struct store_http_triggers *tr)
{
	struct page_firing firing[PAGE_FIRING_MAX];
	struct page_status p = {.firing = firing};
	json_t *groups = json_array(), *channels = json_array();
	struct health_outbox ob;

	if (s && tr && tr->available)
		store_http_firing_list(s, PAGE_FIRING_MAX, collect_firing, &p);
	for (size_t i = 0; groups && i < p.n_firing; i++)
		json_array_append_new(groups,
		                      json_pack("{s:o, s:o, s:s, s:I}", "trigger",
		                                json_str(firing[i].trigger), "group",
		                                json_str(firing[i].group), "since", firing[i].since,
		                                "count", (json_int_t)firing[i].count));
	for (size_t i = 0; channels && tr && i < tr->n_channels; i++)
		json_array_append_new(channels, channel_json(cfg, &tr->channels[i]));
	health_outbox(cfg, tr, &ob);
	json_object_set_new(doc, "triggers",
	                    json_pack("{s:b, s:I, s:o}", "available", tr && tr->available, "firing",
	                              (json_int_t)(tr ? tr->firing : 0), "firing_groups",
	                              groups ? groups : json_null()));
	json_object_set_new(doc, "outbox",
	                    json_pack("{s:b, s:I, s:I, s:o, s:I, s:I, s:o}", "available",
	                              tr && tr->available, "waiting", (json_int_t)ob.waiting,
	                              "failing", (json_int_t)ob.failing, "oldest_waiting",
	                              json_time(ob.oldest_waiting), "orphaned",
	                              (json_int_t)ob.orphaned, "delivered",
	                              (json_int_t)(tr ? tr->delivered : 0), "channels",
	                              channels ? channels : json_null()));
}

static json_t *summary_json(const struct summary_view *v)
{
	json_t *codes = json_array(), *hosts = json_array(), *api = json_array(), *hourly;
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

		json_array_append_new(
			hosts, json_pack("{s:o, s:o, s:s, s:o, s:o, s:o, s:o}", "request_host",
					 json_str(h->host), "alerts", windows_json(h->n), "last_seen",
					 h->last_seen, "last_http_response",
					 h->has_http_response ? json_integer(h->http_response)
							      : json_null(),
					 "last_error_code",
					 h->has_error_code ? json_integer(h->error_code) : json_null(),
					 "last_msg", json_str(h->msg), "last_url", json_str(h->url)));
	}
	for (size_t i = 0; i < v->n_api; i++) {
		const struct summary_api *x = &v->api[i];

		json_array_append_new(
			api, json_pack("{s:o, s:o, s:s, s:o, s:o, s:o}", "error_code",
				       x->has_code ? json_integer(x->code) : json_null(), "alerts",
				       windows_json(x->n), "last_seen", x->last_seen, "msg",
				       json_str(x->msg), "request_method", json_str(x->method),
				       "request_url", json_str(x->url)));
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
	return json_pack("{s:o, s:I, s:{s:o, s:o, s:o}, s:o, s:o, s:o, s:o}", "as_of",
			 json_time(v->as_of), "rows", (json_int_t)v->rows, "alerts", "1h",
			 levels_json(v, SUMMARY_1H), "24h", levels_json(v, SUMMARY_24H), "7d",
			 levels_json(v, SUMMARY_7D), "top_error_codes", codes, "failing_hosts", hosts,
			 "rest_api_errors", api, "hourly", hourly);
}

json_t *http_status_doc(const struct config *cfg, struct store *s, const struct health_data *d,
                        const struct summary_view *v, int64_t now, const char *problem)
{
	json_t *doc = json_pack("{s:s, s:o, s:s?, s:b, s:o, s:o, s:o}", "version", ALERTD_VERSION,
	                        "now", json_time(now), "database", cfg ? cfg->database : NULL,
	                        "healthy", !problem || !problem[0], "problem",
	                        json_str(problem && problem[0] ? problem : NULL), "accounts",
	                        accounts_json(cfg, d, v, now), "summary",
	                        v ? summary_json(v) : json_null());

	if (doc)
		triggers_json(doc, cfg, s, d ? &d->tr : NULL);
	if (doc && d) {
		json_t *errors = json_array();

		for (size_t i = 0; i < d->n_terr; i++)
			json_array_append_new(errors, json_pack("{s:s, s:s, s:o}", "trigger",
			                                        d->terr[i].trigger, "error",
			                                        d->terr[i].error, "at",
			                                        json_time(d->terr[i].when)));
		json_object_set_new(doc, "trigger_errors", errors);
	}
	return doc;
}

static void api_status(struct http_server *srv, const struct config *cfg, struct store *s,
		       struct reply *rp)
{
	struct summary_view *v = malloc(sizeof(*v));
	struct health_data *d = malloc(sizeof(*d));
	int64_t now = util_now();
	char problem[HEALTH_REASON_MAX];
	json_t *doc = NULL;
	int r = v && d ? 0 : -ENOMEM;

	health(srv, cfg, now, problem, sizeof(problem));
	if (r == 0)
		r = health_read(s, d);
	if (r == 0)
		r = summary_view(srv->sm, s, now, 5000, v);
	if (r == 0)
		doc = http_status_doc(cfg, s, d, v, now, problem);
	free(v);
	free(d);
	if (r == -EAGAIN)
		json_error(rp, 503, "still counting the stored alerts; try again in a few seconds");
	else if (r < 0)
		json_error(rp, 503, r == -ENOMEM ? "out of memory" : store_errmsg(s));
	else
		json_reply(rp, 200, doc);
}

/* /api/alerts's reply, built row by row into @sb. */
struct api_rows {
	struct strbuf *sb;
	size_t n;
	bool full; /* stopped at HTTP_API_REPLY_MAX: there is more */
	char last_date[UTIL_TIME_LEN];
	char last_sid[80];
};

/*
 * One row, serialised on its own and added unless the reply would pass
 * HTTP_API_REPLY_MAX (the first row always goes: fields are capped at
 * STORE_FIELD_MAX, so a row stays far below HTTP_RESPONSE_MAX). Returns 0,
 * 1 to stop (the cursor then points at the last row sent), or -ENOMEM.
 */
static int api_row(const struct store_http_alert *row, void *arg)
{
	struct api_rows *a = arg;
	json_t *o = alert_json(row, SH_LIST_COLS);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	size_t len = s ? strlen(s) : 0;
	int r = 0;

	json_decref(o);
	if (!s)
		return -ENOMEM;
	if (a->n && a->sb->len + len > HTTP_API_REPLY_MAX) {
		a->full = true;
		r = 1;
		goto out;
	}
	if ((a->n && strbuf_append(a->sb, ",", 1) < 0) || strbuf_append(a->sb, s, len) < 0) {
		r = -ENOMEM;
		goto out;
	}
	a->n++;
	snprintf(a->last_date, sizeof(a->last_date), "%s", row->col[SH_DATE_CREATED]);
	snprintf(a->last_sid, sizeof(a->last_sid), "%s", row->col[SH_SID]);
out:
	free(s);
	return r;
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
	struct api_rows rows = {.sb = &rp->body};
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
	if (bad) {
		json_error(rp, 400, bad);
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
	strbuf_reset(&rp->body);
	r = strbuf_append(&rp->body, "{\"alerts\":[", 11);
	if (r == 0)
		r = store_http_alerts(s, &f, api_row, &rows);
	if (r == -ENOMEM) {
		json_error(rp, 503, "out of memory");
		return;
	}
	if (r < 0) {
		json_error(rp, 503, store_errmsg(s));
		return;
	}
	/*
	 * A full page, or one cut at the size cap, may have a next one: its
	 * cursor is the last row's (date, sid).
	 */
	r = 0;
	strbuf_addf(&rp->body, &r, "],\"count\":%zu,\"next_cursor\":", rows.n);
	if (rows.full || rows.n == (size_t)f.limit)
		strbuf_addf(&rp->body, &r, "\"%s_%s\"}\n", rows.last_date, rows.last_sid);
	else
		strbuf_addf(&rp->body, &r, "null}\n");
	if (r < 0) {
		json_error(rp, 503, "out of memory");
		return;
	}
	rp->status = 200;
	rp->type = "application/json";
}

/* --- metrics -------------------------------------------------------------------- */


#define HELP(sb, r, name, help)                                                              \
	strbuf_addf(sb, r, "# HELP twilio_alertd_%s %s\n# TYPE twilio_alertd_%s gauge\n", name, help, \
	      name)

/* The name of the [account] section with @sid, or NULL. */
static const char *account_of(const struct config *cfg, const char *sid)
{
	for (size_t i = 0; sid && i < cfg->n_accounts; i++)
		if (cfg->accounts[i].account_sid && strcmp(cfg->accounts[i].account_sid, sid) == 0)
			return cfg->accounts[i].name;
	return NULL;
}

static void metrics(struct http_server *srv, const struct config *cfg, struct store *s,
		    struct reply *rp)
{
	struct summary_view *v = malloc(sizeof(*v));
	struct health_data *d = malloc(sizeof(*d));
	struct strbuf *sb = &rp->body;
	struct health_outbox ob;
	int64_t now = util_now(), other = 0;
	char problem[HEALTH_REASON_MAX], label[METRICS_LABEL_MAX];
	int r = v && d ? metrics_render(sb) : -ENOMEM, q;
	bool read;

	health(srv, cfg, now, problem, sizeof(problem));
	q = r ? r : health_read(s, d);
	read = q == 0; /* *d is filled in (a later -EAGAIN is the summary's) */
	HELP(sb, &r, "healthy", "1 when /healthz answers 200.");
	strbuf_addf(sb, &r, "twilio_alertd_healthy %d\n", !problem[0]);
	HELP(sb, &r, "build_info", "The agent's version, as a label.");
	strbuf_addf(sb, &r, "twilio_alertd_build_info{version=\"%s\"} 1\n", ALERTD_VERSION);
	HELP(sb, &r, "last_success_timestamp_seconds",
	     "End of the last successful poll of the account (Unix time; 0 = never).");
	for (size_t i = 0; q == 0 && i < cfg->n_accounts; i++) {
		const struct store_sync_state *st = health_sync(d, cfg->accounts[i].name);

		metrics_label(cfg->accounts[i].name, label, sizeof(label));
		strbuf_addf(sb, &r,
		            "twilio_alertd_last_success_timestamp_seconds{account=\"%s\"} %lld\n",
		            label, (long long)(st ? st->last_success : 0));
	}
	HELP(sb, &r, "last_success_age_seconds",
	     "Seconds since the last successful poll of the account (absent: never polled).");
	for (size_t i = 0; q == 0 && i < cfg->n_accounts; i++) {
		const struct store_sync_state *st = health_sync(d, cfg->accounts[i].name);

		if (!st || !st->last_success)
			continue;
		metrics_label(cfg->accounts[i].name, label, sizeof(label));
		strbuf_addf(sb, &r, "twilio_alertd_last_success_age_seconds{account=\"%s\"} %lld\n",
		            label, (long long)(now - st->last_success));
	}
	HELP(sb, &r, "newest_alert_age_seconds",
	     "Age of the newest alert the account's last complete query returned (a quiet account "
	     "grows old here while it syncs fine; absent: no alert yet).");
	for (size_t i = 0; q == 0 && i < cfg->n_accounts; i++) {
		const struct store_sync_state *st = health_sync(d, cfg->accounts[i].name);

		if (!st || !st->has_watermark)
			continue;
		metrics_label(cfg->accounts[i].name, label, sizeof(label));
		strbuf_addf(sb, &r, "twilio_alertd_newest_alert_age_seconds{account=\"%s\"} %lld\n",
		            label, (long long)(now - st->watermark));
	}
	q = q ? q : summary_view(srv->sm, s, now, 5000, v);
	if (q == 0) {
		HELP(sb, &r, "alerts_stored",
		     "Alert rows in the database, by account (rows of an account SID no [account] "
		     "has are summed as account=\"(unconfigured)\").");
		for (size_t i = 0; i < cfg->n_accounts; i++) {
			int64_t n = 0;

			for (size_t j = 0; j < v->n_accounts; j++)
				if (cfg->accounts[i].account_sid &&
				    strcmp(v->accounts[j].account_sid,
				           cfg->accounts[i].account_sid) == 0)
					n = v->accounts[j].rows;
			metrics_label(cfg->accounts[i].name, label, sizeof(label));
			strbuf_addf(sb, &r, "twilio_alertd_alerts_stored{account=\"%s\"} %lld\n",
			            label, (long long)n);
		}
		for (size_t j = 0; j < v->n_accounts; j++)
			if (!account_of(cfg, v->accounts[j].account_sid))
				other += v->accounts[j].rows;
		if (other)
			strbuf_addf(
			        sb, &r,
			        "twilio_alertd_alerts_stored{account=\"(unconfigured)\"} %lld\n",
			        (long long)other);
		HELP(sb, &r, "alerts_recent", "Alerts created in the last hour, day or week, by level.");
		for (int k = 0; k < SUMMARY_WINDOWS; k++)
			for (int l = 0; l < SUMMARY_LEVELS; l++)
				strbuf_addf(sb, &r,
				      "twilio_alertd_alerts_recent{window=\"%s\",log_level=\"%s\"} "
				      "%lld\n",
				      summary_window_names[k], summary_level_names[l],
				      (long long)v->levels[k][l]);
	}
	if (read && (q == 0 || q == -EAGAIN)) {
		health_outbox(cfg, &d->tr, &ob);
		HELP(sb, &r, "triggers_firing", "Trigger groups in state firing.");
		strbuf_addf(sb, &r, "twilio_alertd_triggers_firing %lld\n",
		            (long long)d->tr.firing);
		HELP(sb, &r, "outbox_backlog",
		     "Notifications not delivered yet, for channels that are configured.");
		strbuf_addf(sb, &r, "twilio_alertd_outbox_backlog %lld\n", (long long)ob.waiting);
		HELP(sb, &r, "outbox_oldest_age_seconds",
		     "How long the oldest of those has waited (0 = none).");
		strbuf_addf(sb, &r, "twilio_alertd_outbox_oldest_age_seconds %lld\n",
		            (long long)(ob.waiting ? now - ob.oldest_waiting : 0));
		HELP(sb, &r, "outbox_orphaned",
		     "Notifications kept for channels no longer configured (never attempted; see "
		     "`twilio-alertd outbox list`).");
		strbuf_addf(sb, &r, "twilio_alertd_outbox_orphaned %lld\n", (long long)ob.orphaned);
	}
	free(v);
	free(d);
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
		log_info("webhook: refused (%d): %s", res.status,
		         res.detail[0] ? res.detail : res.reason);
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

/* The guard's slot of @c (libmicrohttpd's socket context), or NULL. */
static void *socket_context(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
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
	http_guard_request_read(srv->guard, socket_context(c));
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
	struct http_server *srv = cls;
	struct request *rq = *req_cls;

	http_guard_reply_done(srv->guard, socket_context(c));
	if (!rq)
		return;
	strbuf_finish(&rq->body);
	free(rq);
	*req_cls = NULL;
}

static void connection_event(void *cls, struct MHD_Connection *c, void **ctx,
                             enum MHD_ConnectionNotificationCode what)
{
	struct http_server *srv = cls;
	const union MHD_ConnectionInfo *ci;

	if (what == MHD_CONNECTION_NOTIFY_CLOSED) {
		http_guard_closed(srv->guard, ctx);
		return;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci)
		http_guard_opened(srv->guard, ci->connect_fd, ctx);
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
	size_t len, size = 0;
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
	if (b64)
		explicit_bzero(b64, size);
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
	if (r == 0)
		r = http_guard_create(HTTP_CONNECTIONS_MAX, HTTP_REQUEST_DEADLINE_S * 1000,
		                      HTTP_REPLY_DEADLINE_S * 1000,
		                      HTTP_CONNECTIONS_MAX - HTTP_CONNECTIONS_SPARE, &srv->guard);
	if (r == 0) {
		srv->d = MHD_start_daemon(
			MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG,
			0, NULL, NULL, handle, srv, MHD_OPTION_LISTEN_SOCKET, fd,
			MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HTTP_THREADS,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONNECTIONS_MAX,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_PER_IP_MAX,
			MHD_OPTION_NOTIFY_CONNECTION, connection_event, srv,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_HEADERS_MAX,
			MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)256,
			MHD_OPTION_NOTIFY_COMPLETED, request_done, srv,
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
	http_guard_destroy(srv->guard);
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

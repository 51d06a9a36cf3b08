// SPDX-License-Identifier: MIT
/*
 * The JSON API of the HTTP server: /api/status (the one status document
 * that `twilio-alertd status --json` prints too) and /api/alerts with its
 * filters and cursor. Text that is not UTF-8 is shown with U+FFFD rather
 * than dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-read.h"
#include "version.h"
#include "web/http-api.h"
#include "web/http-private.h"
#include "web/page.h"
#include "web/summary.h"

json_t *json_time(int64_t t)
{
	char buf[UTIL_TIME_LEN];

	if (!t)
		return json_null();
	util_format_time(t, buf);
	return json_string(buf);
}

/*
 * @s as a JSON string, null for NULL. Jansson refuses text that is not
 * UTF-8, and such text does come: a percent-decoded field of alert_text, or
 * a value cut at a byte cap inside a character. Every byte that starts no
 * valid sequence becomes U+FFFD, so the value is shown rather than dropped.
 */
json_t *json_str(const char *s)
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
		size_t n = util_utf8_seq(p);

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
		                                windows_json(c->n), "last_seen", c->last_seen,
		                                "msg", json_str(c->msg)));
	}
	for (size_t i = 0; i < v->n_hosts; i++) {
		const struct summary_host *h = &v->hosts[i];

		json_array_append_new(
		        hosts,
		        json_pack("{s:o, s:o, s:s, s:o, s:o, s:o, s:o}", "request_host",
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
	                 levels_json(v, SUMMARY_7D), "top_error_codes", codes, "failing_hosts",
	                 hosts, "rest_api_errors", api, "hourly", hourly);
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

void api_status(struct http_server *srv, const struct config *cfg, struct store *s,
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
bool param_date(const char *v, char out[UTIL_TIME_LEN])
{
	int64_t t;

	if (util_parse_time(v, &t) < 0)
		return false;
	util_format_time(t, out);
	return true;
}

void api_alerts(const struct config *cfg, struct store *s, struct MHD_Connection *c,
                struct reply *rp)
{
	const char *since = arg(c, "since"), *until = arg(c, "until"), *acct = arg(c, "account");
	const char *code = arg(c, "error_code"), *limit = arg(c, "limit"),
	           *cursor = arg(c, "cursor");
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
	else if (acct && !a &&
	         (strncmp(acct, "AC", 2) != 0 || strlen(acct) != 34 || !valid_sid(acct)))
		bad = "account is neither an [account] name nor an account SID";
	else if (cursor &&
	         (strlen(cursor) < UTIL_TIME_LEN + 2 || cursor[UTIL_TIME_LEN - 1] != '_' ||
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

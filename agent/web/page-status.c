// SPDX-License-Identifier: MIT
/*
 * The status page: the accounts' sync, the counts and the hourly chart
 * (inline SVG built from the hourly counts), the top error codes, webhook
 * hosts and API errors, the triggers, and the latest alerts with filters
 * and a cursor. The page reloads itself with a meta refresh (no script).
 */
#include <stdio.h>
#include <string.h>

#include "web/health.h"
#include "web/html.h"
#include "web/page-status.h"

/* The chart's drawing area in SVG units. */
#define CHART_W 1008
#define CHART_H 150

/* "3 min ago" style age of @t at @now; "never" for 0. */
static void age(char *buf, size_t size, int64_t now, int64_t t)
{
	int64_t d = now - t;

	if (!t)
		snprintf(buf, size, "never");
	else if (d < 0)
		snprintf(buf, size, "in the future");
	else if (d < 90)
		snprintf(buf, size, "%llds ago", (long long)d);
	else if (d < 90 * 60)
		snprintf(buf, size, "%lld min ago", (long long)(d / 60));
	else if (d < 48 * 3600)
		snprintf(buf, size, "%.1f h ago", (double)d / 3600);
	else
		snprintf(buf, size, "%lld days ago", (long long)(d / 86400));
}

/* The 1 h, 24 h and 7 d counts of a row, as three numeric cells. */
static void count_cells(struct html_out *o, const int64_t *n)
{
	html_put(o, "<td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>",
	         (long long)n[SUMMARY_1H], (long long)n[SUMMARY_24H], (long long)n[SUMMARY_7D]);
}

static void sync_section(struct html_out *o, const struct page_status *p)
{
	const struct config *cfg = p->cfg;

	html_raw(o,
	         "<section id=\"sync\"><h2>Accounts <small>sync with the Monitor API</small></h2>"
	         "<table><tr><th>Account</th><th>State</th><th>Last success</th><th>Newest alert"
	         "</th><th>Last error</th><th class=\"n\">Stored</th><th class=\"n\">24 h</th>"
	         "<th>Push</th></tr>\n");
	for (size_t i = 0; i < cfg->n_accounts; i++) {
		const struct config_account *a = &cfg->accounts[i];
		const struct store_sync_state *st = NULL;
		const struct summary_account *sa = NULL;
		bool failing;
		char buf[64];

		for (size_t j = 0; j < p->n_sync; j++)
			if (strcmp(p->sync[j].account, a->name) == 0)
				st = &p->sync[j].st;
		for (size_t j = 0; p->v && j < p->v->n_accounts; j++)
			if (a->account_sid &&
			    strcmp(p->v->accounts[j].account_sid, a->account_sid) == 0)
				sa = &p->v->accounts[j];
		failing = st && st->last_error_time && st->last_error_time >= st->last_success;
		html_raw(o, "<tr><td><b>");
		html_esc(o, a->name);
		html_raw(o, "</b><br><span class=\"muted\">");
		html_esc(o, a->account_sid);
		html_raw(o, "</span></td><td>");
		if (!st || !st->last_attempt)
			html_raw(o, "<span class=\"badge warn\">not polled yet</span>");
		else if (failing)
			html_raw(o, "<span class=\"badge bad\">failing</span>");
		else
			html_raw(o, "<span class=\"badge ok\">ok</span>");
		age(buf, sizeof(buf), p->now, st ? st->last_success : 0);
		html_raw(o, "</td><td>");
		html_esc(o, buf);
		html_raw(o, "</td><td>");
		if (st && st->has_watermark) {
			age(buf, sizeof(buf), p->now, st->watermark);
			html_esc(o, buf);
		} else {
			html_raw(o, "<span class=\"muted\">none yet</span>");
		}
		html_raw(o, "</td><td class=\"msg\">");
		if (failing)
			html_esc(o, st->last_error);
		else if (st && st->last_error[0]) {
			html_raw(o, "<span class=\"muted\">");
			html_esc(o, st->last_error);
			age(buf, sizeof(buf), p->now, st->last_error_time);
			html_raw(o, " (");
			html_esc(o, buf);
			html_raw(o, ")</span>");
		}
		html_put(
		        o,
		        "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td>%s</td></tr>\n",
		        (long long)(sa ? sa->rows : 0), (long long)(sa ? sa->n[SUMMARY_24H] : 0),
		        a->webhook ? "on" : "<span class=\"muted\">off</span>");
	}
	html_raw(o, "</table></section>\n");
}

static void cards(struct html_out *o, const struct summary_view *v)
{
	static const char *const titles[] = {"Last hour", "Last 24 hours", "Last 7 days"};

	html_raw(o, "<div class=\"cards\" id=\"counts\">");
	for (int k = 0; k < SUMMARY_WINDOWS; k++) {
		html_put(o,
		         "<div class=\"card\" id=\"count-%s\"><div class=\"muted\">%s</div>"
		         "<div class=\"big\">%lld</div><div class=\"lv\">",
		         summary_window_names[k], titles[k], (long long)v->total[k]);
		html_put(
		        o,
		        "<span class=\"lv-error\">%lld error</span><span class=\"lv-warning\">%lld "
		        "warning</span><span class=\"muted\">%lld other</span>",
		        (long long)v->levels[k][SUMMARY_ERROR],
		        (long long)v->levels[k][SUMMARY_WARNING],
		        (long long)(v->total[k] - v->levels[k][SUMMARY_ERROR] -
		                    v->levels[k][SUMMARY_WARNING]));
		html_raw(o, "</div></div>");
	}
	html_raw(o, "</div>\n");
}

/* Alerts per hour over 7 days: one stacked bar per hour, a line and label per day. */
static void chart(struct html_out *o, const struct summary_view *v)
{
	static const char *const names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	const double bw = (double)CHART_W / SUMMARY_HOURS;
	int64_t max = 1;

	for (int h = 0; h < SUMMARY_HOURS; h++) {
		int64_t t = 0;

		for (int l = 0; l < SUMMARY_LEVELS; l++)
			t += v->chart[h][l];
		max = t > max ? t : max;
	}
	html_put(o,
	         "<section id=\"chart\"><h2>Alerts per hour <small>last 7 days, UTC; "
	         "<span class=\"lv-error\">&#9632; error</span> <span class=\"lv-warning\">&#9632; "
	         "warning</span> <span class=\"muted\">&#9632; other</span>; highest hour %lld"
	         "</small></h2>",
	         (long long)max);
	html_put(o,
	         "<svg role=\"img\" aria-label=\"alerts per hour over the last 7 days\" "
	         "viewBox=\"0 0 %d %d\" width=\"100%%\" preserveAspectRatio=\"none\" "
	         "style=\"height:190px\">",
	         CHART_W + 40, CHART_H + 24);
	html_put(o, "<line x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#dadce0\"/>", CHART_H,
	         CHART_W, CHART_H);
	html_put(o, "<text x=\"%d\" y=\"10\">%lld</text><text x=\"%d\" y=\"%d\">0</text>",
	         CHART_W + 4, (long long)max, CHART_W + 4, CHART_H);
	for (int h = 0; h < SUMMARY_HOURS; h++) {
		int64_t start = v->chart_start + (int64_t)h * 3600,
		        err = v->chart[h][SUMMARY_ERROR];
		int64_t warn = v->chart[h][SUMMARY_WARNING], rest = 0;
		double x = h * bw, y = CHART_H;
		char when[UTIL_TIME_LEN];

		for (int l = SUMMARY_NOTICE; l < SUMMARY_LEVELS; l++)
			rest += v->chart[h][l];
		if (start % 86400 == 0) {
			html_put(o,
			         "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" "
			         "stroke=\"#eceff1\"/>",
			         x, x, CHART_H);
			util_format_time(start, when);
			html_put(o, "<text x=\"%.1f\" y=\"%d\">%s %.5s</text>", x + 2, CHART_H + 16,
			         names[(start / 86400 + 3) % 7], when + 5);
		}
		if (!err && !warn && !rest)
			continue;
		util_format_time(start, when);
		html_put(o,
		         "<g><title>%.10s %.5s UTC: %lld error, %lld warning, %lld other</title>",
		         when, when + 11, (long long)err, (long long)warn, (long long)rest);
		const int64_t n[] = {err, warn, rest};
		const char *const fill[] = {"#d93025", "#f29900", "#9aa0a6"};

		for (int k = 0; k < 3; k++) {
			double hgt = (double)n[k] * CHART_H / (double)max;

			if (!n[k])
				continue;
			y -= hgt;
			html_put(o,
			         "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			         "fill=\"%s\"/>",
			         x + 0.5, y, bw - 1, hgt, fill[k]);
		}
		html_raw(o, "</g>");
	}
	html_raw(o, "</svg></section>\n");
}

/* An error code linked to the page filtered by it and to Twilio's page for it. */
static void code_links(struct html_out *o, bool has_code, int64_t code)
{
	char docs[96];

	if (!has_code) {
		html_raw(o, "<span class=\"muted\">none</span>");
		return;
	}
	page_docs_url(code, docs, sizeof(docs));
	html_put(o,
	         "<a href=\"/?error_code=%lld#latest\"><b>%lld</b></a> <a href=\"%s\" "
	         "rel=\"noreferrer\" title=\"Twilio's page for this error\">docs</a>",
	         (long long)code, (long long)code, docs);
}

static void codes_section(struct html_out *o, const struct summary_view *v)
{
	html_raw(o,
	         "<section id=\"codes\"><h2>Top error codes <small>most alerts in the last 24 "
	         "hours; click a code to filter</small></h2><table "
	         "class=\"wide\"><tr><th>Code</th><th>Latest "
	         "message</th><th class=\"n\">1 h</th><th class=\"n\">24 h</th><th class=\"n\">7 d"
	         "</th><th>Last seen (UTC)</th></tr>\n");
	for (size_t i = 0; i < v->n_codes; i++) {
		const struct summary_code *c = &v->codes[i];

		html_raw(o, "<tr><td class=\"c\">");
		code_links(o, c->has_code, c->code);
		html_raw(o, "</td><td class=\"msg\">");
		html_escn(o, c->msg, 140);
		html_raw(o, "</td>");
		count_cells(o, c->n);
		html_date_cell(o, c->last_seen);
		html_raw(o, "</tr>\n");
	}
	if (!v->n_codes)
		html_raw(o, "<tr><td colspan=\"6\" class=\"muted\">No alerts in the last 7 "
		            "days.</td></tr>");
	html_raw(o, "</table></section>\n");
}

/* Webhook failures: see struct store_http_group for what counts as one. */
static void hosts_section(struct html_out *o, const struct summary_view *v)
{
	html_raw(o,
	         "<section id=\"hosts\"><h2>Failing webhooks <small>your URLs Twilio had trouble "
	         "with: an error status, or an HTTP (11xxx) or TwiML (12xxx) error</small></h2>"
	         "<table class=\"wide\"><tr><th>Host</th><th>Last failure</th><th "
	         "class=\"n\">HTTP</th>"
	         "<th class=\"n\">1 h</th><th class=\"n\">24 h</th><th class=\"n\">7 d</th>"
	         "<th>Last seen (UTC)</th></tr>\n");
	for (size_t i = 0; i < v->n_hosts; i++) {
		const struct summary_host *h = &v->hosts[i];

		html_raw(o, "<tr><td><b>");
		html_esc(o, h->host);
		html_raw(o, "</b>");
		if (h->url[0]) {
			html_raw(o, "<br><span class=\"muted u\">");
			html_escn(o, h->url, 120);
			html_raw(o, "</span>");
		}
		html_raw(o, "</td><td class=\"msg\">");
		code_links(o, h->has_error_code, h->error_code);
		html_raw(o, " ");
		html_escn(o, h->msg, 140);
		html_raw(o, "</td><td class=\"n\">");
		if (h->has_http_response)
			html_put(o, "%lld", (long long)h->http_response);
		html_raw(o, "</td>");
		count_cells(o, h->n);
		html_date_cell(o, h->last_seen);
		html_raw(o, "</tr>\n");
	}
	if (!v->n_hosts)
		html_raw(
		        o,
		        "<tr><td colspan=\"7\" class=\"muted\">No failing requests to your URLs in "
		        "the last 7 days.</td></tr>");
	html_raw(o, "</table></section>\n");
}

/* REST API errors: your own calls to a Twilio API host that it refused. */
static void api_section(struct html_out *o, const struct summary_view *v)
{
	html_raw(o,
	         "<section id=\"api\"><h2>REST API errors <small>your calls to Twilio's API that "
	         "it refused</small></h2><table class=\"wide\"><tr><th>Code</th><th>Latest "
	         "message</th>"
	         "<th>Latest request</th><th class=\"n\">1 h</th><th class=\"n\">24 h</th>"
	         "<th class=\"n\">7 d</th><th>Last seen (UTC)</th></tr>\n");
	for (size_t i = 0; i < v->n_api; i++) {
		const struct summary_api *x = &v->api[i];

		html_raw(o, "<tr><td class=\"c\">");
		code_links(o, x->has_code, x->code);
		html_raw(o, "</td><td class=\"msg\">");
		html_escn(o, x->msg, 140);
		html_raw(o, "</td><td class=\"msg\">");
		html_esc(o, x->method);
		html_raw(o, " ");
		html_escn(o, x->url, 120);
		html_raw(o, "</td>");
		count_cells(o, x->n);
		html_date_cell(o, x->last_seen);
		html_raw(o, "</tr>\n");
	}
	if (!v->n_api)
		html_raw(o,
		         "<tr><td colspan=\"7\" class=\"muted\">No REST API errors in the last 7 "
		         "days.</td></tr>");
	html_raw(o, "</table></section>\n");
}

static void triggers_section(struct html_out *o, const struct page_status *p)
{
	const struct store_http_triggers *tr = p->tr;
	struct health_outbox ob;
	char buf[64];

	html_raw(o, "<section id=\"triggers\"><h2>Triggers and notifications</h2>");
	if (!tr || !tr->available) {
		html_put(o,
		         "<p class=\"muted\">%zu trigger(s) configured; no trigger state in the "
		         "database yet.</p></section>\n",
		         p->cfg->n_triggers);
		return;
	}
	health_outbox(p->cfg, tr, &ob);
	html_put(o,
	         "<p><span class=\"badge %s\">%lld firing</span> &nbsp; <span class=\"badge %s\" "
	         "id=\"outbox-waiting\">%lld notification(s) waiting</span>",
	         tr->firing ? "bad" : "ok", (long long)tr->firing, ob.waiting ? "warn" : "ok",
	         (long long)ob.waiting);
	if (ob.waiting) {
		age(buf, sizeof(buf), p->now, ob.oldest_waiting);
		html_put(
		        o,
		        " <span class=\"muted\">oldest queued %s; %lld with failed attempts</span>",
		        buf, (long long)ob.failing);
	}
	html_raw(o, "</p>");
	/* Rows of a removed channel are never attempted: say whose they are and how to clear them.
	 */
	for (size_t i = 0; i < tr->n_channels; i++) {
		const struct store_http_channel *c = &tr->channels[i];
		char oldest[UTIL_TIME_LEN];

		if (!health_orphaned(p->cfg, c))
			continue;
		util_format_time(c->oldest, oldest);
		html_put(o,
		         "<p class=\"orphaned\"><span class=\"badge warn\">%lld orphaned</span> "
		         "notification(s) for channel <b>",
		         (long long)c->pending);
		html_esc(o, c->channel);
		html_raw(o, "</b>, which is no longer configured (oldest queued ");
		html_esc(o, oldest);
		html_raw(o, "): not attempted; <code>twilio-alertd outbox list --channel ");
		html_esc(o, c->channel);
		html_raw(o, "</code> shows them, <code>outbox drop</code> removes them.</p>");
	}
	if (p->n_firing) {
		html_raw(o, "<table><tr><th>Trigger</th><th>Group</th><th class=\"n\">Count</th>"
		            "<th>Firing since</th></tr>\n");
		for (size_t i = 0; i < p->n_firing; i++) {
			html_raw(o, "<tr><td><b>");
			html_esc(o, p->firing[i].trigger);
			html_raw(o, "</b></td><td>");
			html_esc(o, p->firing[i].group);
			html_put(o, "</td><td class=\"n\">%lld</td>",
			         (long long)p->firing[i].count);
			html_date_cell(o, p->firing[i].since);
			html_raw(o, "</tr>\n");
		}
		html_raw(o, "</table>");
	}
	html_raw(o, "</section>\n");
}

static void option(struct html_out *o, const char *value, const char *label, const char *selected)
{
	html_raw(o, "<option value=\"");
	html_esc(o, value);
	html_raw(o, selected && strcmp(selected, value) == 0 ? "\" selected>" : "\">");
	html_esc(o, label);
	html_raw(o, "</option>");
}

static void text_input(struct html_out *o, const char *label, const char *name, const char *value,
                       const char *placeholder, int size)
{
	html_put(o, "<label>%s<input name=\"%s\" size=\"%d\" placeholder=\"%s\" value=\"", label,
	         name, size, placeholder);
	html_esc(o, value);
	html_raw(o, "\"></label>");
}

static void filter_form(struct html_out *o, const struct page_status *p)
{
	static const char *const levels[] = {"error", "warning", "notice", "debug"};
	bool listed = !p->f_account;

	html_raw(o, "<form class=\"f\" method=\"get\" action=\"/#latest\">");
	text_input(o, "Error code", "error_code", p->f_code, "11200", 7);
	html_raw(o, "<label>Level<select name=\"log_level\">");
	option(o, "", "any", p->f_level);
	for (size_t i = 0; i < 4; i++)
		option(o, levels[i], levels[i], p->f_level);
	html_raw(o, "</select></label><label>Account<select name=\"account\">");
	option(o, "", "any", p->f_account);
	for (size_t i = 0; i < p->cfg->n_accounts; i++) {
		option(o, p->cfg->accounts[i].name, p->cfg->accounts[i].name, p->f_account);
		listed = listed || strcmp(p->f_account, p->cfg->accounts[i].name) == 0;
	}
	if (!listed) /* an account SID from a link, kept as given */
		option(o, p->f_account, p->f_account, p->f_account);
	html_raw(o, "</select></label>");
	text_input(o, "Resource SID", "resource_sid", p->f_resource, "CA...", 14);
	text_input(o, "From (UTC)", "since", p->f_since, "YYYY-MM-DD HH:MM", 16);
	text_input(o, "Until (UTC, before)", "until", p->f_until, "YYYY-MM-DD HH:MM", 16);
	html_raw(o,
	         "<button type=\"submit\">Filter</button> <a href=\"/#latest\">clear</a></form>");
	if (p->f_error) {
		html_raw(o, "<p class=\"err\" role=\"alert\" id=\"filter-error\">Bad filter: ");
		html_esc(o, p->f_error);
		html_raw(o, "</p>");
	}
}

int page_status_head(struct strbuf *sb, const struct page_status *p)
{
	struct html_out o = {.sb = sb};
	char asof[64];

	html_head(&o, p->problem ? "PROBLEM - twilio-alertd" : "twilio-alertd", PAGE_REFRESH_S);
	html_raw(&o, "<header><h1>twilio-alertd</h1>");
	if (p->problem) {
		html_raw(&o, "<span class=\"badge bad\" id=\"health\">PROBLEM: ");
		html_esc(&o, p->problem);
		html_raw(&o, "</span>");
	} else {
		html_raw(&o, "<span class=\"badge ok\" id=\"health\">all accounts syncing</span>");
	}
	html_raw(&o, "<span class=\"meta\">");
	html_when_t(&o, p->now);
	html_put(&o, " UTC &middot; reloads every %ds</span></header>\n<main>\n", PAGE_REFRESH_S);
	sync_section(&o, p);
	if (p->v) {
		cards(&o, p->v);
		chart(&o, p->v);
		codes_section(&o, p->v);
		hosts_section(&o, p->v);
		api_section(&o, p->v);
	} else {
		html_raw(&o,
		         "<section><p class=\"muted\">Counting the stored alerts; reload in a few "
		         "seconds.</p></section>\n");
	}
	triggers_section(&o, p);
	html_raw(&o, "<section id=\"latest\"><h2>Latest alerts");
	html_put(&o, " <small>newest first, %d per page", p->limit);
	if (p->f_cursor)
		html_raw(&o, ", older page");
	if (p->v) {
		age(asof, sizeof(asof), p->now, p->v->as_of);
		html_put(&o, "; counts above as of %s", asof);
	}
	html_raw(&o, "</small></h2>");
	filter_form(&o, p);
	html_raw(&o,
	         "<table class=\"wide\"><tr><th>Created "
	         "(UTC)</th><th>Account</th><th>Level</th><th>Code</th>"
	         "<th>Message</th><th>Request</th><th class=\"n\">HTTP</th><th>Origin</th></tr>\n");
	return o.r;
}

/* "webhook failure", "REST API error" or "" for a row's origin. */
static const char *origin_label(const char *origin)
{
	if (origin && strcmp(origin, "webhook") == 0)
		return "webhook failure";
	if (origin && strcmp(origin, "api") == 0)
		return "REST API error";
	return "";
}

int page_alert_row(const struct store_http_alert *row, void *arg)
{
	struct page_rows *rows = arg;
	struct html_out o = {.sb = rows->sb};
	const char *const *c = row->col;
	const char *name = rows->cfg ? html_account_name(rows->cfg, c[SH_ACCOUNT_SID]) : NULL;

	rows->n++;
	snprintf(rows->last_date, sizeof(rows->last_date), "%s", c[SH_DATE_CREATED]);
	snprintf(rows->last_sid, sizeof(rows->last_sid), "%s", c[SH_SID] ? c[SH_SID] : "");
	html_raw(&o, "<tr>");
	html_date_cell(&o, c[SH_DATE_CREATED]);
	html_raw(&o, "<td class=\"muted\" title=\"");
	html_esc(&o, c[SH_ACCOUNT_SID]);
	html_raw(&o, "\">");
	if (name)
		html_esc(&o, name);
	else
		html_escn(&o, c[SH_ACCOUNT_SID], 12);
	html_raw(&o, "</td><td class=\"c\">");
	html_level_span(&o, c[SH_LOG_LEVEL]);
	html_raw(&o, "</td><td class=\"c\">");
	html_esc(&o, c[SH_ERROR_CODE]);
	html_raw(&o, "</td><td class=\"msg\"><a href=\"/alerts/");
	html_url_enc(&o, c[SH_SID]);
	html_raw(&o, "\">");
	if (c[SH_MSG] && *c[SH_MSG])
		html_escn(&o, c[SH_MSG], 160);
	else
		html_esc(&o, c[SH_SID]);
	html_raw(&o, "</a></td><td class=\"msg\">");
	html_esc(&o, c[SH_REQUEST_METHOD]);
	html_raw(&o, " ");
	html_escn(&o, c[SH_REQUEST_URL], 100);
	html_raw(&o, "</td><td class=\"n\">");
	html_esc(&o, c[SH_HTTP_RESPONSE]);
	html_raw(&o, "</td><td class=\"muted\">");
	html_raw(&o, origin_label(row->origin));
	html_raw(&o, "</td></tr>\n");
	return o.r;
}

/* "name=value&" for each filter that is set, percent-encoded, for a link. */
static void filter_query(struct html_out *o, const struct page_status *p)
{
	const char *const names[] = {"error_code",   "log_level", "account",
	                             "resource_sid", "since",     "until"};
	const char *const values[] = {p->f_code,     p->f_level, p->f_account,
	                              p->f_resource, p->f_since, p->f_until};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!values[i])
			continue;
		html_put(o, "%s=", names[i]);
		html_url_enc(o, values[i]);
		html_raw(o, "&amp;");
	}
}

int page_status_tail(struct strbuf *sb, const struct page_status *p, const struct page_rows *rows)
{
	struct html_out o = {.sb = sb};

	if (p->f_error)
		html_raw(&o,
		         "<tr><td colspan=\"8\" class=\"muted\">No alert listed: the filter above "
		         "was refused.</td></tr>");
	else if (!rows->n)
		html_raw(&o, "<tr><td colspan=\"8\" class=\"muted\">No alert matches.</td></tr>");
	html_raw(&o, "</table>");
	if (p->f_cursor || (!p->f_error && rows->n == (size_t)p->limit)) {
		html_raw(&o, "<nav class=\"pager\" aria-label=\"pages of alerts\">");
		if (p->f_cursor) {
			html_raw(&o, "<a href=\"/?");
			filter_query(&o, p);
			html_raw(&o, "#latest\">&larr; newest</a>");
		}
		if (!p->f_error && rows->n == (size_t)p->limit) {
			html_raw(&o, "<a rel=\"next\" id=\"older\" href=\"/?");
			filter_query(&o, p);
			html_raw(&o, "cursor=");
			html_url_enc(&o, rows->last_date);
			html_raw(&o, "_");
			html_url_enc(&o, rows->last_sid);
			html_raw(&o, "#latest\">older &rarr;</a>");
		}
		html_raw(&o, "</nav>");
	}
	html_raw(&o, "</section>\n</main>\n");
	html_footer(&o);
	return o.r;
}

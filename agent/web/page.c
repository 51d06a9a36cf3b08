// SPDX-License-Identifier: MIT
/*
 * HTML rendering into a capped buffer. Text goes through esc() (HTML) or
 * url_enc() (query values); numbers and the agent's own fixed words are the
 * only things written unescaped. The chart is inline SVG built from the
 * hourly counts; the page reloads itself with a meta refresh (no script).
 * Every date is shown as "YYYY-MM-DD HH:MM:SS" UTC (when()); sections scroll
 * sideways on a narrow screen instead of widening the page.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/form.h"
#include "web/health.h"
#include "web/page.h"
#include "base/util.h"

/* Bytes of one formatted fragment (text is appended apart, escaped). */
#define FRAG_MAX 1024
/* The chart's drawing area in SVG units. */
#define CHART_W 1008
#define CHART_H 150

struct out {
	struct strbuf *sb;
	int r;		/* first error, sticky */
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	char frag[FRAG_MAX];
	va_list ap;
	int n;

	if (o->r)
		return;
	va_start(ap, fmt);
	n = vsnprintf(frag, sizeof(frag), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(frag))
		o->r = -EMSGSIZE;
	else
		o->r = strbuf_append(o->sb, frag, (size_t)n);
}

static void raw(struct out *o, const char *s)
{
	if (!o->r)
		o->r = strbuf_append(o->sb, s, strlen(s));
}

/* HTML-escape @s (NULL writes nothing), at most @max bytes of it (0 = all). */
static void escn(struct out *o, const char *s, size_t max)
{
	const char *start = s;

	for (; s && *s && !o->r && (!max || (size_t)(s - start) < max); s++) {
		const char *rep = NULL;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: break;
		}
		if (rep)
			o->r = strbuf_append(o->sb, rep, strlen(rep));
		else if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
			o->r = strbuf_append(o->sb, "\xef\xbf\xbd", 3);	/* U+FFFD for controls */
		else
			o->r = strbuf_append(o->sb, s, 1);
	}
	if (s && *s && max)
		raw(o, "\xe2\x80\xa6");	/* an ellipsis where it was cut */
}

static void esc(struct out *o, const char *s)
{
	escn(o, s, 0);
}

/* Percent-encode @s for a query value (then it needs no HTML escaping). */
static void url_enc(struct out *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; s && *s && !o->r; s++) {
		unsigned char c = (unsigned char)*s;
		char buf[4] = {(char)c, 0};

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
		    !strchr("-._~", c)) {
			buf[0] = '%';
			buf[1] = hex[c >> 4];
			buf[2] = hex[c & 15];
		}
		raw(o, buf);
	}
}

void page_docs_url(int64_t code, char *out, size_t size)
{
	if (code < 0)
		snprintf(out, size, "%s", "");
	else
		snprintf(out, size, "https://www.twilio.com/docs/errors/%lld", (long long)code);
}

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
static void count_cells(struct out *o, const int64_t *n)
{
	put(o, "<td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>",
	    (long long)n[SUMMARY_1H], (long long)n[SUMMARY_24H], (long long)n[SUMMARY_7D]);
}

/*
 * A stored date (YYYY-MM-DDTHH:MM:SSZ) in the one format of the pages,
 * "YYYY-MM-DD HH:MM:SS", as a <time>; anything else is shown escaped as it is.
 */
static void when(struct out *o, const char *d)
{
	int64_t t;
	char buf[UTIL_TIME_LEN];

	if (!d || util_parse_time(d, &t) < 0) {
		esc(o, d);
		return;
	}
	util_format_time(t, buf);
	put(o, "<time datetime=\"%s\">%.10s %.8s</time>", buf, buf, buf + 11);
}

static void when_t(struct out *o, int64_t t)
{
	char buf[UTIL_TIME_LEN];

	util_format_time(t, buf);
	when(o, buf);
}

static void date_cell(struct out *o, const char *d)
{
	raw(o, "<td class=\"t\">");
	when(o, d);
	raw(o, "</td>");
}

static void head(struct out *o, const char *title, int refresh)
{
	raw(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
	if (refresh)
		put(o, "<meta http-equiv=\"refresh\" content=\"%d\">", refresh);
	raw(o, "<title>");
	esc(o, title);
	raw(o, "</title><style>\n"
	       "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
	       "color:#202124;background:#f6f7f9}\n"
	       "header{display:flex;flex-wrap:wrap;gap:4px 16px;align-items:center;padding:10px 20px;"
	       "background:#fff;border-bottom:1px solid #dadce0;position:sticky;top:0}\n"
	       "header h1{font-size:18px;margin:0}header .meta{margin-left:auto;color:#5f6368}\n"
	       "main{padding:12px 20px;max-width:1400px}\n"
	       "section{background:#fff;border:1px solid #dadce0;border-radius:8px;padding:12px 16px;"
	       "margin:0 0 14px;overflow-x:auto;min-width:0}\n"
	       "h2{font-size:15px;margin:0 0 8px}h2 small{font-weight:normal;color:#5f6368}\n"
	       "h3{font-size:13px;margin:12px 0 6px}\n"
	       "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;"
	       "border-bottom:1px solid #eceff1;vertical-align:top}\n"
	       "td{overflow-wrap:break-word}table.wide{min-width:960px}\n"
	       "th{font-weight:600;color:#5f6368;font-size:12px;white-space:nowrap}\n"
	       "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
	       "td.t,td.c{white-space:nowrap;font-variant-numeric:tabular-nums}\n"
	       ".badge{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;"
	       "overflow-wrap:anywhere}\n"
	       ".ok{background:#e6f4ea;color:#137333}.bad{background:#fce8e6;color:#c5221f}"
	       ".warn{background:#fef7e0;color:#b06000}.muted{color:#5f6368}\n"
	       ".lv-error{color:#c5221f;font-weight:600}.lv-warning{color:#b06000}\n"
	       ".cards{display:grid;grid-template-columns:repeat(3,1fr);gap:14px}\n"
	       ".card{background:#fff;border:1px solid #dadce0;border-radius:8px;padding:10px 16px}\n"
	       ".card .big{font-size:28px;font-weight:600}.card .lv span{margin-right:12px}\n"
	       ".cols{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:14px}\n"
	       ".msg{max-width:520px;overflow-wrap:anywhere}.u{overflow-wrap:anywhere}\n"
	       "form.f{display:flex;gap:10px;align-items:end;flex-wrap:wrap;margin:0 0 8px}\n"
	       "form.f label{display:flex;flex-direction:column;font-size:12px;color:#5f6368}\n"
	       "form.f input{max-width:12em}\n"
	       ".err{background:#fce8e6;color:#c5221f;border-radius:6px;padding:6px 10px;"
	       "margin:0 0 8px;font-weight:600}\n"
	       ".pager{display:flex;gap:16px;margin:8px 0 0}\n"
	       "dl.kv{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:4px 16px;"
	       "margin:0}dl.kv dt{color:#5f6368;font-weight:600}dl.kv dd{margin:0;"
	       "overflow-wrap:anywhere}\n"
	       "pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f7f9;padding:8px;"
	       "border-radius:6px;margin:0}\n"
	       "details summary{cursor:pointer;color:#1a73e8}\n"
	       "a{color:#1a73e8;text-decoration:none}a:hover{text-decoration:underline}\n"
	       "svg text{font-size:11px;fill:#5f6368}\n"
	       "footer{padding:0 20px 20px;color:#5f6368}\n"
	       "@media (max-width:900px){.cols,.cards{grid-template-columns:minmax(0,1fr)}}\n"
	       "@media (max-width:600px){main{padding:8px}section{padding:10px}"
	       "header{position:static;padding:8px}header .meta{margin-left:0}"
	       "dl.kv{grid-template-columns:minmax(0,1fr)}dl.kv dd{margin:0 0 6px}}\n"
	       "</style></head><body>\n");
}

static void level_span(struct out *o, const char *level)
{
	put(o, "<span class=\"lv-%s\">", level && strcmp(level, "error") == 0 ? "error"
					 : level && strcmp(level, "warning") == 0 ? "warning" : "x");
	esc(o, level ? level : "?");
	raw(o, "</span>");
}

/* The name of the [account] section with @sid, or NULL. */
static const char *account_name(const struct config *cfg, const char *sid)
{
	for (size_t i = 0; sid && i < cfg->n_accounts; i++)
		if (cfg->accounts[i].account_sid && strcmp(cfg->accounts[i].account_sid, sid) == 0)
			return cfg->accounts[i].name;
	return NULL;
}

static void sync_section(struct out *o, const struct page_status *p)
{
	const struct config *cfg = p->cfg;

	raw(o, "<section id=\"sync\"><h2>Accounts <small>sync with the Monitor API</small></h2>"
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
			if (a->account_sid && strcmp(p->v->accounts[j].account_sid, a->account_sid) == 0)
				sa = &p->v->accounts[j];
		failing = st && st->last_error_time && st->last_error_time >= st->last_success;
		raw(o, "<tr><td><b>");
		esc(o, a->name);
		raw(o, "</b><br><span class=\"muted\">");
		esc(o, a->account_sid);
		raw(o, "</span></td><td>");
		if (!st || !st->last_attempt)
			raw(o, "<span class=\"badge warn\">not polled yet</span>");
		else if (failing)
			raw(o, "<span class=\"badge bad\">failing</span>");
		else
			raw(o, "<span class=\"badge ok\">ok</span>");
		age(buf, sizeof(buf), p->now, st ? st->last_success : 0);
		raw(o, "</td><td>");
		esc(o, buf);
		raw(o, "</td><td>");
		if (st && st->has_watermark) {
			age(buf, sizeof(buf), p->now, st->watermark);
			esc(o, buf);
		} else {
			raw(o, "<span class=\"muted\">none yet</span>");
		}
		raw(o, "</td><td class=\"msg\">");
		if (failing)
			esc(o, st->last_error);
		else if (st && st->last_error[0]) {
			raw(o, "<span class=\"muted\">");
			esc(o, st->last_error);
			age(buf, sizeof(buf), p->now, st->last_error_time);
			raw(o, " (");
			esc(o, buf);
			raw(o, ")</span>");
		}
		put(o, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td>%s</td></tr>\n",
		    (long long)(sa ? sa->rows : 0), (long long)(sa ? sa->n[SUMMARY_24H] : 0),
		    a->webhook ? "on" : "<span class=\"muted\">off</span>");
	}
	raw(o, "</table></section>\n");
}

static void cards(struct out *o, const struct summary_view *v)
{
	static const char *const titles[] = {"Last hour", "Last 24 hours", "Last 7 days"};

	raw(o, "<div class=\"cards\" id=\"counts\">");
	for (int k = 0; k < SUMMARY_WINDOWS; k++) {
		put(o, "<div class=\"card\" id=\"count-%s\"><div class=\"muted\">%s</div>"
		       "<div class=\"big\">%lld</div><div class=\"lv\">",
		    summary_window_names[k], titles[k], (long long)v->total[k]);
		put(o, "<span class=\"lv-error\">%lld error</span><span class=\"lv-warning\">%lld "
		       "warning</span><span class=\"muted\">%lld other</span>",
		    (long long)v->levels[k][SUMMARY_ERROR], (long long)v->levels[k][SUMMARY_WARNING],
		    (long long)(v->total[k] - v->levels[k][SUMMARY_ERROR] -
				v->levels[k][SUMMARY_WARNING]));
		raw(o, "</div></div>");
	}
	raw(o, "</div>\n");
}

/* Alerts per hour over 7 days: one stacked bar per hour, a line and label per day. */
static void chart(struct out *o, const struct summary_view *v)
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
	put(o, "<section id=\"chart\"><h2>Alerts per hour <small>last 7 days, UTC; "
	       "<span class=\"lv-error\">&#9632; error</span> <span class=\"lv-warning\">&#9632; "
	       "warning</span> <span class=\"muted\">&#9632; other</span>; highest hour %lld"
	       "</small></h2>", (long long)max);
	put(o, "<svg role=\"img\" aria-label=\"alerts per hour over the last 7 days\" "
	       "viewBox=\"0 0 %d %d\" width=\"100%%\" preserveAspectRatio=\"none\" "
	       "style=\"height:190px\">", CHART_W + 40, CHART_H + 24);
	put(o, "<line x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#dadce0\"/>", CHART_H,
	    CHART_W, CHART_H);
	put(o, "<text x=\"%d\" y=\"10\">%lld</text><text x=\"%d\" y=\"%d\">0</text>", CHART_W + 4,
	    (long long)max, CHART_W + 4, CHART_H);
	for (int h = 0; h < SUMMARY_HOURS; h++) {
		int64_t start = v->chart_start + (int64_t)h * 3600, err = v->chart[h][SUMMARY_ERROR];
		int64_t warn = v->chart[h][SUMMARY_WARNING], rest = 0;
		double x = h * bw, y = CHART_H;
		char when[UTIL_TIME_LEN];

		for (int l = SUMMARY_NOTICE; l < SUMMARY_LEVELS; l++)
			rest += v->chart[h][l];
		if (start % 86400 == 0) {
			put(o, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eceff1\"/>",
			    x, x, CHART_H);
			util_format_time(start, when);
			put(o, "<text x=\"%.1f\" y=\"%d\">%s %.5s</text>", x + 2, CHART_H + 16,
			    names[(start / 86400 + 3) % 7], when + 5);
		}
		if (!err && !warn && !rest)
			continue;
		util_format_time(start, when);
		put(o, "<g><title>%.10s %.5s UTC: %lld error, %lld warning, %lld other</title>", when,
		    when + 11, (long long)err, (long long)warn, (long long)rest);
		const int64_t n[] = {err, warn, rest};
		const char *const fill[] = {"#d93025", "#f29900", "#9aa0a6"};

		for (int k = 0; k < 3; k++) {
			double hgt = (double)n[k] * CHART_H / (double)max;

			if (!n[k])
				continue;
			y -= hgt;
			put(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			       "fill=\"%s\"/>", x + 0.5, y, bw - 1, hgt, fill[k]);
		}
		raw(o, "</g>");
	}
	raw(o, "</svg></section>\n");
}

/* An error code linked to the page filtered by it and to Twilio's page for it. */
static void code_links(struct out *o, bool has_code, int64_t code)
{
	char docs[96];

	if (!has_code) {
		raw(o, "<span class=\"muted\">none</span>");
		return;
	}
	page_docs_url(code, docs, sizeof(docs));
	put(o, "<a href=\"/?error_code=%lld#latest\"><b>%lld</b></a> <a href=\"%s\" "
	       "rel=\"noreferrer\" title=\"Twilio's page for this error\">docs</a>",
	    (long long)code, (long long)code, docs);
}

static void codes_section(struct out *o, const struct summary_view *v)
{
	raw(o, "<section id=\"codes\"><h2>Top error codes <small>most alerts in the last 24 "
	       "hours; click a code to filter</small></h2><table class=\"wide\"><tr><th>Code</th><th>Latest "
	       "message</th><th class=\"n\">1 h</th><th class=\"n\">24 h</th><th class=\"n\">7 d"
	       "</th><th>Last seen (UTC)</th></tr>\n");
	for (size_t i = 0; i < v->n_codes; i++) {
		const struct summary_code *c = &v->codes[i];

		raw(o, "<tr><td class=\"c\">");
		code_links(o, c->has_code, c->code);
		raw(o, "</td><td class=\"msg\">");
		escn(o, c->msg, 140);
		raw(o, "</td>");
		count_cells(o, c->n);
		date_cell(o, c->last_seen);
		raw(o, "</tr>\n");
	}
	if (!v->n_codes)
		raw(o, "<tr><td colspan=\"6\" class=\"muted\">No alerts in the last 7 days.</td></tr>");
	raw(o, "</table></section>\n");
}

/* Webhook failures: see struct store_http_group for what counts as one. */
static void hosts_section(struct out *o, const struct summary_view *v)
{
	raw(o, "<section id=\"hosts\"><h2>Failing webhooks <small>your URLs Twilio had trouble "
	       "with: an error status, or an HTTP (11xxx) or TwiML (12xxx) error</small></h2>"
	       "<table class=\"wide\"><tr><th>Host</th><th>Last failure</th><th class=\"n\">HTTP</th>"
	       "<th class=\"n\">1 h</th><th class=\"n\">24 h</th><th class=\"n\">7 d</th>"
	       "<th>Last seen (UTC)</th></tr>\n");
	for (size_t i = 0; i < v->n_hosts; i++) {
		const struct summary_host *h = &v->hosts[i];

		raw(o, "<tr><td><b>");
		esc(o, h->host);
		raw(o, "</b>");
		if (h->url[0]) {
			raw(o, "<br><span class=\"muted u\">");
			escn(o, h->url, 120);
			raw(o, "</span>");
		}
		raw(o, "</td><td class=\"msg\">");
		code_links(o, h->has_error_code, h->error_code);
		raw(o, " ");
		escn(o, h->msg, 140);
		raw(o, "</td><td class=\"n\">");
		if (h->has_http_response)
			put(o, "%lld", (long long)h->http_response);
		raw(o, "</td>");
		count_cells(o, h->n);
		date_cell(o, h->last_seen);
		raw(o, "</tr>\n");
	}
	if (!v->n_hosts)
		raw(o, "<tr><td colspan=\"7\" class=\"muted\">No failing requests to your URLs in "
		       "the last 7 days.</td></tr>");
	raw(o, "</table></section>\n");
}

/* REST API errors: your own calls to a Twilio API host that it refused. */
static void api_section(struct out *o, const struct summary_view *v)
{
	raw(o, "<section id=\"api\"><h2>REST API errors <small>your calls to Twilio's API that "
	       "it refused</small></h2><table class=\"wide\"><tr><th>Code</th><th>Latest message</th>"
	       "<th>Latest request</th><th class=\"n\">1 h</th><th class=\"n\">24 h</th>"
	       "<th class=\"n\">7 d</th><th>Last seen (UTC)</th></tr>\n");
	for (size_t i = 0; i < v->n_api; i++) {
		const struct summary_api *x = &v->api[i];

		raw(o, "<tr><td class=\"c\">");
		code_links(o, x->has_code, x->code);
		raw(o, "</td><td class=\"msg\">");
		escn(o, x->msg, 140);
		raw(o, "</td><td class=\"msg\">");
		esc(o, x->method);
		raw(o, " ");
		escn(o, x->url, 120);
		raw(o, "</td>");
		count_cells(o, x->n);
		date_cell(o, x->last_seen);
		raw(o, "</tr>\n");
	}
	if (!v->n_api)
		raw(o, "<tr><td colspan=\"7\" class=\"muted\">No REST API errors in the last 7 "
		       "days.</td></tr>");
	raw(o, "</table></section>\n");
}

static void triggers_section(struct out *o, const struct page_status *p)
{
	const struct store_http_triggers *tr = p->tr;
	struct health_outbox ob;
	char buf[64];

	raw(o, "<section id=\"triggers\"><h2>Triggers and notifications</h2>");
	if (!tr || !tr->available) {
		put(o, "<p class=\"muted\">%zu trigger(s) configured; no trigger state in the "
		       "database yet.</p></section>\n", p->cfg->n_triggers);
		return;
	}
	health_outbox(p->cfg, tr, &ob);
	put(o, "<p><span class=\"badge %s\">%lld firing</span> &nbsp; <span class=\"badge %s\" "
	       "id=\"outbox-waiting\">%lld notification(s) waiting</span>",
	    tr->firing ? "bad" : "ok", (long long)tr->firing, ob.waiting ? "warn" : "ok",
	    (long long)ob.waiting);
	if (ob.waiting) {
		age(buf, sizeof(buf), p->now, ob.oldest_waiting);
		put(o, " <span class=\"muted\">oldest queued %s; %lld with failed attempts</span>", buf,
		    (long long)ob.failing);
	}
	raw(o, "</p>");
	/* Rows of a removed channel are never attempted: say whose they are and how to clear them. */
	for (size_t i = 0; i < tr->n_channels; i++) {
		const struct store_http_channel *c = &tr->channels[i];
		char oldest[UTIL_TIME_LEN];

		if (!health_orphaned(p->cfg, c))
			continue;
		util_format_time(c->oldest, oldest);
		put(o, "<p class=\"orphaned\"><span class=\"badge warn\">%lld orphaned</span> "
		       "notification(s) for channel <b>", (long long)c->pending);
		esc(o, c->channel);
		raw(o, "</b>, which is no longer configured (oldest queued ");
		esc(o, oldest);
		raw(o, "): not attempted; <code>twilio-alertd outbox list --channel ");
		esc(o, c->channel);
		raw(o, "</code> shows them, <code>outbox drop</code> removes them.</p>");
	}
	if (p->n_firing) {
		raw(o, "<table><tr><th>Trigger</th><th>Group</th><th class=\"n\">Count</th>"
		       "<th>Firing since</th></tr>\n");
		for (size_t i = 0; i < p->n_firing; i++) {
			raw(o, "<tr><td><b>");
			esc(o, p->firing[i].trigger);
			raw(o, "</b></td><td>");
			esc(o, p->firing[i].group);
			put(o, "</td><td class=\"n\">%lld</td>", (long long)p->firing[i].count);
			date_cell(o, p->firing[i].since);
			raw(o, "</tr>\n");
		}
		raw(o, "</table>");
	}
	raw(o, "</section>\n");
}

static void option(struct out *o, const char *value, const char *label, const char *selected)
{
	raw(o, "<option value=\"");
	esc(o, value);
	raw(o, selected && strcmp(selected, value) == 0 ? "\" selected>" : "\">");
	esc(o, label);
	raw(o, "</option>");
}

static void text_input(struct out *o, const char *label, const char *name, const char *value,
		       const char *placeholder, int size)
{
	put(o, "<label>%s<input name=\"%s\" size=\"%d\" placeholder=\"%s\" value=\"", label,
	    name, size, placeholder);
	esc(o, value);
	raw(o, "\"></label>");
}

static void filter_form(struct out *o, const struct page_status *p)
{
	static const char *const levels[] = {"error", "warning", "notice", "debug"};
	bool listed = !p->f_account;

	raw(o, "<form class=\"f\" method=\"get\" action=\"/#latest\">");
	text_input(o, "Error code", "error_code", p->f_code, "11200", 7);
	raw(o, "<label>Level<select name=\"log_level\">");
	option(o, "", "any", p->f_level);
	for (size_t i = 0; i < 4; i++)
		option(o, levels[i], levels[i], p->f_level);
	raw(o, "</select></label><label>Account<select name=\"account\">");
	option(o, "", "any", p->f_account);
	for (size_t i = 0; i < p->cfg->n_accounts; i++) {
		option(o, p->cfg->accounts[i].name, p->cfg->accounts[i].name, p->f_account);
		listed = listed || strcmp(p->f_account, p->cfg->accounts[i].name) == 0;
	}
	if (!listed)	/* an account SID from a link, kept as given */
		option(o, p->f_account, p->f_account, p->f_account);
	raw(o, "</select></label>");
	text_input(o, "Resource SID", "resource_sid", p->f_resource, "CA...", 14);
	text_input(o, "From (UTC)", "since", p->f_since, "YYYY-MM-DD HH:MM", 16);
	text_input(o, "Until (UTC, before)", "until", p->f_until, "YYYY-MM-DD HH:MM", 16);
	raw(o, "<button type=\"submit\">Filter</button> <a href=\"/#latest\">clear</a></form>");
	if (p->f_error) {
		raw(o, "<p class=\"err\" role=\"alert\" id=\"filter-error\">Bad filter: ");
		esc(o, p->f_error);
		raw(o, "</p>");
	}
}

int page_status_head(struct strbuf *sb, const struct page_status *p)
{
	struct out o = {.sb = sb};
	char asof[64];

	head(&o, p->problem ? "PROBLEM - twilio-alertd" : "twilio-alertd", PAGE_REFRESH_S);
	raw(&o, "<header><h1>twilio-alertd</h1>");
	if (p->problem) {
		raw(&o, "<span class=\"badge bad\" id=\"health\">PROBLEM: ");
		esc(&o, p->problem);
		raw(&o, "</span>");
	} else {
		raw(&o, "<span class=\"badge ok\" id=\"health\">all accounts syncing</span>");
	}
	raw(&o, "<span class=\"meta\">");
	when_t(&o, p->now);
	put(&o, " UTC &middot; reloads every %ds</span></header>\n<main>\n", PAGE_REFRESH_S);
	sync_section(&o, p);
	if (p->v) {
		cards(&o, p->v);
		chart(&o, p->v);
		codes_section(&o, p->v);
		hosts_section(&o, p->v);
		api_section(&o, p->v);
	} else {
		raw(&o, "<section><p class=\"muted\">Counting the stored alerts; reload in a few "
			"seconds.</p></section>\n");
	}
	triggers_section(&o, p);
	raw(&o, "<section id=\"latest\"><h2>Latest alerts");
	put(&o, " <small>newest first, %d per page", p->limit);
	if (p->f_cursor)
		raw(&o, ", older page");
	if (p->v) {
		age(asof, sizeof(asof), p->now, p->v->as_of);
		put(&o, "; counts above as of %s", asof);
	}
	raw(&o, "</small></h2>");
	filter_form(&o, p);
	raw(&o, "<table class=\"wide\"><tr><th>Created (UTC)</th><th>Account</th><th>Level</th><th>Code</th>"
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
	struct out o = {.sb = rows->sb};
	const char *const *c = row->col;
	const char *name = rows->cfg ? account_name(rows->cfg, c[SH_ACCOUNT_SID]) : NULL;

	rows->n++;
	snprintf(rows->last_date, sizeof(rows->last_date), "%s", c[SH_DATE_CREATED]);
	snprintf(rows->last_sid, sizeof(rows->last_sid), "%s", c[SH_SID] ? c[SH_SID] : "");
	raw(&o, "<tr>");
	date_cell(&o, c[SH_DATE_CREATED]);
	raw(&o, "<td class=\"muted\" title=\"");
	esc(&o, c[SH_ACCOUNT_SID]);
	raw(&o, "\">");
	if (name)
		esc(&o, name);
	else
		escn(&o, c[SH_ACCOUNT_SID], 12);
	raw(&o, "</td><td class=\"c\">");
	level_span(&o, c[SH_LOG_LEVEL]);
	raw(&o, "</td><td class=\"c\">");
	esc(&o, c[SH_ERROR_CODE]);
	raw(&o, "</td><td class=\"msg\"><a href=\"/alerts/");
	url_enc(&o, c[SH_SID]);
	raw(&o, "\">");
	if (c[SH_MSG] && *c[SH_MSG])
		escn(&o, c[SH_MSG], 160);
	else
		esc(&o, c[SH_SID]);
	raw(&o, "</a></td><td class=\"msg\">");
	esc(&o, c[SH_REQUEST_METHOD]);
	raw(&o, " ");
	escn(&o, c[SH_REQUEST_URL], 100);
	raw(&o, "</td><td class=\"n\">");
	esc(&o, c[SH_HTTP_RESPONSE]);
	raw(&o, "</td><td class=\"muted\">");
	raw(&o, origin_label(row->origin));
	raw(&o, "</td></tr>\n");
	return o.r;
}

/* "name=value&" for each filter that is set, percent-encoded, for a link. */
static void filter_query(struct out *o, const struct page_status *p)
{
	const char *const names[] = {"error_code", "log_level", "account", "resource_sid",
				     "since", "until"};
	const char *const values[] = {p->f_code, p->f_level, p->f_account, p->f_resource,
				      p->f_since, p->f_until};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!values[i])
			continue;
		put(o, "%s=", names[i]);
		url_enc(o, values[i]);
		raw(o, "&amp;");
	}
}

static void footer(struct out *o)
{
	raw(o, "<footer>JSON: <a href=\"/api/status\">/api/status</a>, <a href=\"/api/alerts\">"
	       "/api/alerts</a> &middot; <a href=\"/metrics\">/metrics</a> &middot; "
	       "<a href=\"/healthz\">/healthz</a></footer>\n</body></html>\n");
}

int page_status_tail(struct strbuf *sb, const struct page_status *p,
		     const struct page_rows *rows)
{
	struct out o = {.sb = sb};

	if (p->f_error)
		raw(&o, "<tr><td colspan=\"8\" class=\"muted\">No alert listed: the filter above "
			"was refused.</td></tr>");
	else if (!rows->n)
		raw(&o, "<tr><td colspan=\"8\" class=\"muted\">No alert matches.</td></tr>");
	raw(&o, "</table>");
	if (p->f_cursor || (!p->f_error && rows->n == (size_t)p->limit)) {
		raw(&o, "<nav class=\"pager\" aria-label=\"pages of alerts\">");
		if (p->f_cursor) {
			raw(&o, "<a href=\"/?");
			filter_query(&o, p);
			raw(&o, "#latest\">&larr; newest</a>");
		}
		if (!p->f_error && rows->n == (size_t)p->limit) {
			raw(&o, "<a rel=\"next\" id=\"older\" href=\"/?");
			filter_query(&o, p);
			raw(&o, "cursor=");
			url_enc(&o, rows->last_date);
			raw(&o, "_");
			url_enc(&o, rows->last_sid);
			raw(&o, "#latest\">older &rarr;</a>");
		}
		raw(&o, "</nav>");
	}
	raw(&o, "</section>\n</main>\n");
	footer(&o);
	return o.r;
}

/*
 * A form-encoded value shown as a table of its decoded fields (else as text),
 * leaving out field @skip[i] when its value is @shown[i] (already on the page).
 */
static void form_table(struct out *o, const char *text, const char *const *skip,
		       const char *const *shown, size_t n_skip, size_t *n_out)
{
	struct form f = {0};
	size_t rows = 0;

	if (!text || !strchr(text, '=') || form_parse(text, strlen(text), &f) < 0 || !f.n) {
		raw(o, "<pre>");
		esc(o, text);
		raw(o, "</pre>");
		form_finish(&f);
		return;
	}
	for (size_t i = 0; i < f.n; i++) {
		bool dup = false;

		for (size_t k = 0; k < n_skip && !dup; k++)
			dup = shown[k] && strcmp(f.fields[i].name, skip[k]) == 0 &&
			      strcasecmp(f.fields[i].value, shown[k]) == 0;
		if (dup)
			continue;
		raw(o, rows++ ? "<tr><th>" : "<table><tr><th>");
		esc(o, f.fields[i].name);
		raw(o, "</th><td>");
		esc(o, f.fields[i].value);
		raw(o, "</td></tr>");
	}
	if (rows)
		raw(o, "</table>");
	if (n_out)
		*n_out = rows;
	form_finish(&f);
}

/* A <dt>/<dd> pair of the report; the caller writes the value and calls dd_end. */
static void dt(struct out *o, const char *label)
{
	put(o, "<dt>%s</dt><dd>", label);
}

static void dd_end(struct out *o)
{
	raw(o, "</dd>");
}

/* A labelled text value; nothing for NULL or "". */
static void field(struct out *o, const char *label, const char *value)
{
	if (!value || !*value)
		return;
	dt(o, label);
	esc(o, value);
	dd_end(o);
}

/* Twilio Console pages per SID prefix (the Console redirects these to its current layout). */
static const struct {
	const char *prefix, *url, *what;
} console_pages[] = {
	{"NO", "https://www.twilio.com/console/debugger/", "this alert in the Console Debugger"},
	{"CA", "https://www.twilio.com/console/voice/calls/logs/", "the call in the Console"},
	{"SM", "https://www.twilio.com/console/sms/logs/", "the message in the Console"},
	{"MM", "https://www.twilio.com/console/sms/logs/", "the message in the Console"},
};

/* A link to @sid's page in Twilio's Console, when there is one for its kind. */
static void console_link(struct out *o, const char *sid)
{
	for (size_t i = 0; sid && i < sizeof(console_pages) / sizeof(console_pages[0]); i++) {
		if (strncmp(sid, console_pages[i].prefix, 2) != 0)
			continue;
		put(o, " <a rel=\"noreferrer\" href=\"%s", console_pages[i].url);
		url_enc(o, sid);
		put(o, "\">%s</a>", console_pages[i].what);
		return;
	}
}

static bool is_http_url(const char *u)
{
	return u && (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0);
}

/* Links to the status page filtered like this alert: code, resource, account. */
static void related(struct out *o, const char *const *c, const char *name)
{
	raw(o, "<section id=\"related\"><h2>Related alerts</h2><ul>");
	if (c[SH_ERROR_CODE]) {
		raw(o, "<li><a href=\"/?error_code=");
		url_enc(o, c[SH_ERROR_CODE]);
		raw(o, "#latest\">every alert with error code ");
		esc(o, c[SH_ERROR_CODE]);
		raw(o, "</a></li>");
	}
	if (c[SH_RESOURCE_SID] && *c[SH_RESOURCE_SID]) {
		raw(o, "<li><a href=\"/?resource_sid=");
		url_enc(o, c[SH_RESOURCE_SID]);
		raw(o, "#latest\">every alert about resource ");
		esc(o, c[SH_RESOURCE_SID]);
		raw(o, "</a></li>");
	}
	if (c[SH_ACCOUNT_SID]) {
		raw(o, "<li><a href=\"/?account=");
		url_enc(o, name ? name : c[SH_ACCOUNT_SID]);
		raw(o, "#latest\">every alert of account ");
		esc(o, name ? name : c[SH_ACCOUNT_SID]);
		raw(o, "</a></li>");
	}
	raw(o, "</ul></section>\n");
}

int page_alert(struct strbuf *sb, const struct store_http_alert *row, const struct config *cfg,
	       int64_t now)
{
	const char *const *c = row->col, *name = account_name(cfg, c[SH_ACCOUNT_SID]);
	/* alert_text fields that the report shows already, with the value shown. */
	static const char *const shown_names[] = {"Msg", "parserMessage", "ErrorCode", "LogLevel",
						  "httpResponse", "url"};
	const char *const shown[] = {c[SH_MSG], c[SH_MSG], c[SH_ERROR_CODE], c[SH_LOG_LEVEL],
				     c[SH_HTTP_RESPONSE], c[SH_REQUEST_URL]};
	bool fetched = c[SH_REQUEST_VARIABLES] || c[SH_RESPONSE_BODY] || c[SH_RESPONSE_HEADERS] ||
		       c[SH_REQUEST_HEADERS];
	struct out o = {.sb = sb};
	char title[96], docs[96] = "";
	size_t extra = 0;
	char *end = NULL;
	int64_t code;

	snprintf(title, sizeof(title), "Alert %s - twilio-alertd", c[SH_SID] ? c[SH_SID] : "");
	head(&o, title, 0);
	raw(&o, "<header><h1><a href=\"/\">twilio-alertd</a> &rsaquo; alert</h1></header>\n<main>"
		"<section id=\"report\"><h2>");
	if (c[SH_ERROR_CODE]) {
		esc(&o, c[SH_ERROR_CODE]);
		raw(&o, " &middot; ");
	}
	level_span(&o, c[SH_LOG_LEVEL]);
	if (c[SH_MSG] && *c[SH_MSG]) {
		raw(&o, " &middot; ");
		esc(&o, c[SH_MSG]);
	}
	raw(&o, "</h2><dl class=\"kv\">");
	dt(&o, "Created (UTC)");
	when(&o, c[SH_DATE_CREATED]);
	dd_end(&o);
	if (c[SH_DATE_GENERATED] && c[SH_DATE_CREATED] &&
	    strcmp(c[SH_DATE_GENERATED], c[SH_DATE_CREATED]) != 0) {
		dt(&o, "Happened (UTC)");
		when(&o, c[SH_DATE_GENERATED]);
		raw(&o, " <span class=\"muted\">(date_generated: Twilio buffers alerts)</span>");
		dd_end(&o);
	}
	if (row->origin) {
		dt(&o, "Kind");
		raw(&o, strcmp(row->origin, "webhook") == 0
				? "Webhook failure: a request Twilio made to your URL failed"
				: "REST API error: Twilio refused a call your code made to its API");
		dd_end(&o);
	}
	if (c[SH_ACCOUNT_SID]) {
		dt(&o, "Account");
		if (name) {
			raw(&o, "<b>");
			esc(&o, name);
			raw(&o, "</b> ");
		}
		esc(&o, c[SH_ACCOUNT_SID]);
		dd_end(&o);
	}
	dt(&o, "Level");
	level_span(&o, c[SH_LOG_LEVEL]);
	dd_end(&o);
	if (c[SH_ERROR_CODE] && (code = strtoll(c[SH_ERROR_CODE], &end, 10)) >= 0 && !*end &&
	    end != c[SH_ERROR_CODE])
		page_docs_url(code, docs, sizeof(docs));
	if (c[SH_ERROR_CODE] || is_http_url(c[SH_MORE_INFO])) {
		dt(&o, "Error code");
		esc(&o, c[SH_ERROR_CODE]);
		/* more_info is Twilio's page for the error; the code gives it otherwise. */
		if (is_http_url(c[SH_MORE_INFO]) || docs[0]) {
			raw(&o, " <a rel=\"noreferrer\" href=\"");
			esc(&o, is_http_url(c[SH_MORE_INFO]) ? c[SH_MORE_INFO] : docs);
			raw(&o, "\">Twilio's page for this error</a>");
		}
		dd_end(&o);
	}
	field(&o, "Message", c[SH_MSG]);
	if (c[SH_REQUEST_URL] || c[SH_REQUEST_METHOD]) {
		dt(&o, "Request");
		esc(&o, c[SH_REQUEST_METHOD]);
		raw(&o, " ");
		esc(&o, c[SH_REQUEST_URL]);
		dd_end(&o);
	}
	field(&o, "HTTP status", c[SH_HTTP_RESPONSE]);
	if (c[SH_RESOURCE_SID] && *c[SH_RESOURCE_SID]) {
		dt(&o, "Resource");
		esc(&o, c[SH_RESOURCE_SID]);
		console_link(&o, c[SH_RESOURCE_SID]);
		dd_end(&o);
	}
	field(&o, "Service", c[SH_SERVICE_SID]);
	field(&o, "API version", c[SH_API_VERSION]);
	dt(&o, "Alert SID");
	esc(&o, c[SH_SID]);
	console_link(&o, c[SH_SID]);
	dd_end(&o);
	if (c[SH_FIRST_SEEN]) {
		dt(&o, "Stored (UTC)");
		when(&o, c[SH_FIRST_SEEN]);
		if (c[SH_SOURCE])
			raw(&o, strcmp(c[SH_SOURCE], "push") == 0
					? " <span class=\"muted\">first from the Debugger webhook</span>"
					: " <span class=\"muted\">from the Monitor API</span>");
		dd_end(&o);
	}
	raw(&o, "</dl></section>\n");

	raw(&o, "<section id=\"alert-text\"><h2>Alert text <small>the other fields of "
		"alert_text, decoded</small></h2>");
	form_table(&o, c[SH_ALERT_TEXT], shown_names, shown,
		   sizeof(shown_names) / sizeof(shown_names[0]), &extra);
	if (!extra && c[SH_ALERT_TEXT] && strchr(c[SH_ALERT_TEXT], '='))
		raw(&o, "<p class=\"muted\">Nothing beyond the fields above.</p>");
	raw(&o, "<details><summary>alert_text as stored</summary><pre>");
	esc(&o, c[SH_ALERT_TEXT]);
	raw(&o, "</pre></details></section>\n");

	raw(&o, "<section id=\"details\"><h2>Request and response</h2>");
	if (!fetched) {
		raw(&o, "<p class=\"muted\">Not fetched: the Monitor API gives them only for one "
			"alert at a time (fetch_details = yes in the account's section fetches "
			"them for new alerts).</p>");
	}
	if (c[SH_REQUEST_VARIABLES] && *c[SH_REQUEST_VARIABLES]) {
		raw(&o, "<h3>Request parameters</h3>");
		form_table(&o, c[SH_REQUEST_VARIABLES], NULL, NULL, 0, NULL);
	}
	if (c[SH_REQUEST_HEADERS] && *c[SH_REQUEST_HEADERS]) {
		raw(&o, "<h3>Request headers</h3>");
		form_table(&o, c[SH_REQUEST_HEADERS], NULL, NULL, 0, NULL);
	}
	if (c[SH_RESPONSE_HEADERS] && *c[SH_RESPONSE_HEADERS]) {
		raw(&o, "<h3>Response headers</h3>");
		form_table(&o, c[SH_RESPONSE_HEADERS], NULL, NULL, 0, NULL);
	}
	if (c[SH_RESPONSE_BODY] && *c[SH_RESPONSE_BODY]) {
		raw(&o, "<h3>Response body</h3><pre>");
		esc(&o, c[SH_RESPONSE_BODY]);
		raw(&o, "</pre>");
	} else if (fetched) {
		raw(&o, "<h3>Response body</h3><p class=\"muted\">empty</p>");
	}
	raw(&o, "</section>\n");
	related(&o, c, name);
	(void)now;
	raw(&o, "</main>\n");
	footer(&o);
	return o.r;
}

int page_error(struct strbuf *sb, int status, const char *reason)
{
	struct out o = {.sb = sb};
	char title[32];

	snprintf(title, sizeof(title), "%d", status);
	head(&o, title, 0);
	put(&o, "<main><section><h2>%d</h2><p>", status);
	esc(&o, reason);
	raw(&o, "</p><p><a href=\"/\">status page</a></p></section></main></body></html>\n");
	return o.r;
}

// SPDX-License-Identifier: MIT
/*
 * HTML rendering into a capped buffer. Text goes through esc() (HTML) or
 * url_enc() (query values); numbers and the agent's own fixed words are the
 * only things written unescaped. The chart is inline SVG built from the
 * hourly counts; the page reloads itself with a meta refresh (no script).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "health.h"
#include "page.h"

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

/* A date column shown as "YYYY-MM-DD HH:MM:SS" with the full value as title. */
/* The 1 h, 24 h and 7 d counts of a row, as three numeric cells. */
static void count_cells(struct out *o, const int64_t *n)
{
	put(o, "<td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>",
	    (long long)n[SUMMARY_1H], (long long)n[SUMMARY_24H], (long long)n[SUMMARY_7D]);
}

static void date_cell(struct out *o, const char *d)
{
	raw(o, "<td class=\"t\">");
	if (d && strlen(d) >= 19) {
		char buf[UTIL_TIME_LEN];

		snprintf(buf, sizeof(buf), "%.10s %.8s", d, d + 11);
		esc(o, buf);
	} else {
		esc(o, d ? d : "");
	}
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
	       "header{display:flex;gap:16px;align-items:center;padding:10px 20px;background:#fff;"
	       "border-bottom:1px solid #dadce0;position:sticky;top:0}\n"
	       "header h1{font-size:18px;margin:0}header .meta{margin-left:auto;color:#5f6368}\n"
	       "main{padding:12px 20px;max-width:1400px}\n"
	       "section{background:#fff;border:1px solid #dadce0;border-radius:8px;padding:12px 16px;"
	       "margin:0 0 14px}\n"
	       "h2{font-size:15px;margin:0 0 8px}h2 small{font-weight:normal;color:#5f6368}\n"
	       "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;"
	       "border-bottom:1px solid #eceff1;vertical-align:top}\n"
	       "th{font-weight:600;color:#5f6368;font-size:12px;text-transform:uppercase;"
	       "white-space:nowrap}\n"
	       "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}td.t{white-space:nowrap;"
	       "font-variant-numeric:tabular-nums}\n"
	       ".badge{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600}\n"
	       ".ok{background:#e6f4ea;color:#137333}.bad{background:#fce8e6;color:#c5221f}"
	       ".warn{background:#fef7e0;color:#b06000}.muted{color:#5f6368}\n"
	       ".lv-error{color:#c5221f;font-weight:600}.lv-warning{color:#b06000}\n"
	       ".cards{display:grid;grid-template-columns:repeat(3,1fr);gap:14px}\n"
	       ".card{background:#fff;border:1px solid #dadce0;border-radius:8px;padding:10px 16px}\n"
	       ".card .big{font-size:28px;font-weight:600}.card .lv span{margin-right:12px}\n"
	       ".cols{display:grid;grid-template-columns:1fr 1fr;gap:14px}\n"
	       ".msg{max-width:520px;overflow-wrap:anywhere}\n"
	       "form.f{display:flex;gap:10px;align-items:end;flex-wrap:wrap;margin:0 0 8px}\n"
	       "form.f label{display:flex;flex-direction:column;font-size:12px;color:#5f6368}\n"
	       "pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f7f9;padding:8px;"
	       "border-radius:6px;margin:0}\n"
	       "a{color:#1a73e8;text-decoration:none}a:hover{text-decoration:underline}\n"
	       "svg text{font-size:11px;fill:#5f6368}\n"
	       "footer{padding:0 20px 20px;color:#5f6368}\n"
	       "@media (max-width:900px){.cols,.cards{grid-template-columns:1fr}}\n"
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

static void codes_section(struct out *o, const struct summary_view *v)
{
	raw(o, "<section id=\"codes\"><h2>Top error codes <small>most alerts in the last 24 "
	       "hours; click a code to filter</small></h2><table><tr><th>Code</th><th>Latest "
	       "message</th><th class=\"n\">1 h</th><th class=\"n\">24 h</th><th class=\"n\">7 d"
	       "</th><th>Last seen</th></tr>\n");
	for (size_t i = 0; i < v->n_codes; i++) {
		const struct summary_code *c = &v->codes[i];
		char docs[96];

		if (!c->has_code) {
			raw(o, "<tr><td class=\"muted\">none</td><td class=\"msg\">");
		} else {
			page_docs_url(c->code, docs, sizeof(docs));
			put(o, "<tr><td><a href=\"/?error_code=%lld#latest\"><b>%lld</b></a> "
			       "<a href=\"%s\" rel=\"noreferrer\" title=\"Twilio's page for this "
			       "error\">docs</a></td><td class=\"msg\">",
			    (long long)c->code, (long long)c->code, docs);
		}
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

static void hosts_section(struct out *o, const struct summary_view *v)
{
	raw(o, "<section id=\"hosts\"><h2>Failing request hosts <small>your URLs Twilio had "
	       "trouble with</small></h2><table><tr><th>Host</th><th class=\"n\">Last HTTP</th>"
	       "<th class=\"n\">1 h</th><th class=\"n\">24 h</th><th class=\"n\">7 d</th>"
	       "<th>Last seen</th></tr>\n");
	for (size_t i = 0; i < v->n_hosts; i++) {
		const struct summary_host *h = &v->hosts[i];

		raw(o, "<tr><td class=\"msg\">");
		esc(o, h->host);
		raw(o, "</td><td class=\"n\">");
		if (h->has_http_response)
			put(o, "%lld", (long long)h->http_response);
		raw(o, "</td>");
		count_cells(o, h->n);
		date_cell(o, h->last_seen);
		raw(o, "</tr>\n");
	}
	if (!v->n_hosts)
		raw(o, "<tr><td colspan=\"6\" class=\"muted\">No failing requests to your hosts in "
		       "the last 7 days.</td></tr>");
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

static void filter_form(struct out *o, const struct page_status *p)
{
	static const char *const levels[] = {"error", "warning", "notice", "debug"};

	raw(o, "<form class=\"f\" method=\"get\" action=\"/#latest\"><label>Error code"
	       "<input name=\"error_code\" size=\"7\" inputmode=\"numeric\" value=\"");
	esc(o, p->f_code);
	raw(o, "\"></label><label>Level<select name=\"log_level\">");
	option(o, "", "any", p->f_level);
	for (size_t i = 0; i < 4; i++)
		option(o, levels[i], levels[i], p->f_level);
	raw(o, "</select></label><label>Account<select name=\"account\">");
	option(o, "", "any", p->f_account);
	for (size_t i = 0; i < p->cfg->n_accounts; i++)
		option(o, p->cfg->accounts[i].name, p->cfg->accounts[i].name, p->f_account);
	raw(o, "</select></label><button type=\"submit\">Filter</button> <a href=\"/#latest\">"
	       "clear</a>");
	if (p->f_error) {
		raw(o, " <span class=\"badge bad\">");
		esc(o, p->f_error);
		raw(o, "</span>");
	}
	raw(o, "</form>");
}

int page_status_head(struct strbuf *sb, const struct page_status *p)
{
	struct out o = {.sb = sb};
	char now[UTIL_TIME_LEN], asof[64];

	util_format_time(p->now, now);
	head(&o, p->problem ? "PROBLEM - twilio-alertd" : "twilio-alertd", PAGE_REFRESH_S);
	raw(&o, "<header><h1>twilio-alertd</h1>");
	if (p->problem) {
		raw(&o, "<span class=\"badge bad\" id=\"health\">PROBLEM: ");
		esc(&o, p->problem);
		raw(&o, "</span>");
	} else {
		raw(&o, "<span class=\"badge ok\" id=\"health\">all accounts syncing</span>");
	}
	put(&o, "<span class=\"meta\">%.10s %.8s UTC &middot; reloads every %ds</span></header>"
		"\n<main>\n", now, now + 11, PAGE_REFRESH_S);
	sync_section(&o, p);
	if (p->v) {
		cards(&o, p->v);
		chart(&o, p->v);
		raw(&o, "<div class=\"cols\">");
		codes_section(&o, p->v);
		hosts_section(&o, p->v);
		raw(&o, "</div>\n");
	} else {
		raw(&o, "<section><p class=\"muted\">Counting the stored alerts; reload in a few "
			"seconds.</p></section>\n");
	}
	triggers_section(&o, p);
	raw(&o, "<section id=\"latest\"><h2>Latest alerts");
	if (p->v) {
		age(asof, sizeof(asof), p->now, p->v->as_of);
		put(&o, " <small>newest first, at most %d; counts above as of %s</small>", 50, asof);
	}
	raw(&o, "</h2>");
	filter_form(&o, p);
	raw(&o, "<table><tr><th>Created (UTC)</th><th>Account</th><th>Level</th><th>Code</th>"
		"<th>Message</th><th>Request</th><th class=\"n\">HTTP</th><th>Via</th></tr>\n");
	return o.r;
}

int page_alert_row(const struct store_http_alert *row, void *arg)
{
	struct page_rows *rows = arg;
	struct out o = {.sb = rows->sb};
	const char *const *c = row->col;
	const char *name = rows->cfg ? account_name(rows->cfg, c[SH_ACCOUNT_SID]) : NULL;

	rows->n++;
	raw(&o, "<tr>");
	date_cell(&o, c[SH_DATE_CREATED]);
	raw(&o, "<td class=\"muted\" title=\"");
	esc(&o, c[SH_ACCOUNT_SID]);
	raw(&o, "\">");
	if (name)
		esc(&o, name);
	else
		escn(&o, c[SH_ACCOUNT_SID], 12);
	raw(&o, "</td><td>");
	level_span(&o, c[SH_LOG_LEVEL]);
	raw(&o, "</td><td>");
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
	esc(&o, c[SH_SOURCE]);
	raw(&o, "</td></tr>\n");
	return o.r;
}

static void footer(struct out *o)
{
	raw(o, "<footer>JSON: <a href=\"/api/status\">/api/status</a>, <a href=\"/api/alerts\">"
	       "/api/alerts</a> &middot; <a href=\"/metrics\">/metrics</a> &middot; "
	       "<a href=\"/healthz\">/healthz</a></footer>\n</body></html>\n");
}

int page_status_tail(struct strbuf *sb, const struct page_status *p, size_t rows)
{
	struct out o = {.sb = sb};

	if (!rows)
		raw(&o, "<tr><td colspan=\"8\" class=\"muted\">No alert matches.</td></tr>");
	raw(&o, "</table></section>\n</main>\n");
	footer(&o);
	return o.r;
}

/* A form-encoded value shown as a table of its decoded fields (else as text). */
static void form_table(struct out *o, const char *text)
{
	struct form f = {0};

	if (!text || !strchr(text, '=') || form_parse(text, strlen(text), &f) < 0 || !f.n) {
		raw(o, "<pre>");
		esc(o, text);
		raw(o, "</pre>");
		form_finish(&f);
		return;
	}
	raw(o, "<table>");
	for (size_t i = 0; i < f.n; i++) {
		raw(o, "<tr><th>");
		esc(o, f.fields[i].name);
		raw(o, "</th><td class=\"msg\">");
		esc(o, f.fields[i].value);
		raw(o, "</td></tr>");
	}
	raw(o, "</table>");
	form_finish(&f);
}

int page_alert(struct strbuf *sb, const struct store_http_alert *row, const struct config *cfg,
	       int64_t now)
{
	static const int detail_form[] = {SH_REQUEST_VARIABLES, SH_RESPONSE_HEADERS,
					  SH_REQUEST_HEADERS};
	const char *const *c = row->col, *name = account_name(cfg, c[SH_ACCOUNT_SID]);
	struct out o = {.sb = sb};
	char title[96];

	snprintf(title, sizeof(title), "Alert %s - twilio-alertd", c[SH_SID] ? c[SH_SID] : "");
	head(&o, title, 0);
	raw(&o, "<header><h1><a href=\"/\">twilio-alertd</a> &rsaquo; alert</h1></header>\n<main>"
		"<section><h2>");
	esc(&o, c[SH_ERROR_CODE] ? c[SH_ERROR_CODE] : "no code");
	raw(&o, " &middot; ");
	level_span(&o, c[SH_LOG_LEVEL]);
	raw(&o, " &middot; ");
	esc(&o, c[SH_MSG]);
	raw(&o, "</h2><table>");
	for (int i = 0; i < SH_LIST_COLS; i++) {
		if (i == SH_ALERT_TEXT)
			continue;
		raw(&o, "<tr><th>");
		esc(&o, store_http_col_names[i]);
		raw(&o, "</th><td class=\"msg\">");
		if (i == SH_MORE_INFO && c[i] && (strncmp(c[i], "https://", 8) == 0 ||
						  strncmp(c[i], "http://", 7) == 0)) {
			raw(&o, "<a rel=\"noreferrer\" href=\"");
			esc(&o, c[i]);
			raw(&o, "\">");
			esc(&o, c[i]);
			raw(&o, "</a>");
		} else if (c[i]) {
			esc(&o, c[i]);
		} else {
			raw(&o, "<span class=\"muted\">null</span>");
		}
		if (i == SH_ACCOUNT_SID && name) {
			raw(&o, " <span class=\"muted\">(account ");
			esc(&o, name);
			raw(&o, ")</span>");
		}
		raw(&o, "</td></tr>");
	}
	raw(&o, "</table></section>\n<section id=\"alert-text\"><h2>alert_text <small>decoded"
		"</small></h2>");
	form_table(&o, c[SH_ALERT_TEXT]);
	raw(&o, "</section>\n");
	if (!c[SH_REQUEST_VARIABLES] && !c[SH_RESPONSE_BODY] && !c[SH_RESPONSE_HEADERS] &&
	    !c[SH_REQUEST_HEADERS]) {
		raw(&o, "<section><p class=\"muted\">Request and response data not fetched "
			"(fetch_details = yes in the account's section fetches them).</p></section>");
	}
	for (size_t k = 0; k < sizeof(detail_form) / sizeof(detail_form[0]); k++) {
		if (!c[detail_form[k]])
			continue;
		raw(&o, "<section><h2>");
		esc(&o, store_http_col_names[detail_form[k]]);
		raw(&o, "</h2>");
		form_table(&o, c[detail_form[k]]);
		raw(&o, "</section>\n");
	}
	if (c[SH_RESPONSE_BODY]) {
		raw(&o, "<section><h2>response_body</h2><pre>");
		esc(&o, c[SH_RESPONSE_BODY]);
		raw(&o, "</pre></section>\n");
	}
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

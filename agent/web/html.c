// SPDX-License-Identifier: MIT
/*
 * HTML helpers shared by the pages, writing into a capped buffer. Text goes
 * through html_esc() (HTML) or html_url_enc() (query values); numbers and
 * the agent's own fixed words are the only things written unescaped. Every
 * date is shown as "YYYY-MM-DD HH:MM:SS" UTC (html_when()). The shared
 * <head> holds the one stylesheet: sections scroll sideways on a narrow
 * screen instead of widening the page.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "web/html.h"

/* Bytes of one formatted fragment (text is appended apart, escaped). */
#define FRAG_MAX 1024

void html_put(struct html_out *o, const char *fmt, ...)
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

void html_raw(struct html_out *o, const char *s)
{
	if (!o->r)
		o->r = strbuf_append(o->sb, s, strlen(s));
}

/* HTML-escape @s (NULL writes nothing), at most @max bytes of it (0 = all). */
void html_escn(struct html_out *o, const char *s, size_t max)
{
	const char *start = s;

	for (; s && *s && !o->r && (!max || (size_t)(s - start) < max); s++) {
		const char *rep = NULL;

		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			break;
		}
		if (rep)
			o->r = strbuf_append(o->sb, rep, strlen(rep));
		else if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
			o->r = strbuf_append(o->sb, "\xef\xbf\xbd", 3); /* U+FFFD for controls */
		else
			o->r = strbuf_append(o->sb, s, 1);
	}
	if (s && *s && max)
		html_raw(o, "\xe2\x80\xa6"); /* an ellipsis where it was cut */
}

void html_esc(struct html_out *o, const char *s)
{
	html_escn(o, s, 0);
}

/* Percent-encode @s for a query value (then it needs no HTML escaping). */
void html_url_enc(struct html_out *o, const char *s)
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
		html_raw(o, buf);
	}
}

void page_docs_url(int64_t code, char *out, size_t size)
{
	if (code < 0)
		snprintf(out, size, "%s", "");
	else
		snprintf(out, size, "https://www.twilio.com/docs/errors/%lld", (long long)code);
}

/*
 * A stored date (YYYY-MM-DDTHH:MM:SSZ) in the one format of the pages,
 * "YYYY-MM-DD HH:MM:SS", as a <time>; anything else is shown escaped as it is.
 */
void html_when(struct html_out *o, const char *d)
{
	int64_t t;
	char buf[UTIL_TIME_LEN];

	if (!d || util_parse_time(d, &t) < 0) {
		html_esc(o, d);
		return;
	}
	util_format_time(t, buf);
	html_put(o, "<time datetime=\"%s\">%.10s %.8s</time>", buf, buf, buf + 11);
}

void html_when_t(struct html_out *o, int64_t t)
{
	char buf[UTIL_TIME_LEN];

	util_format_time(t, buf);
	html_when(o, buf);
}

void html_date_cell(struct html_out *o, const char *d)
{
	html_raw(o, "<td class=\"t\">");
	html_when(o, d);
	html_raw(o, "</td>");
}

void html_head(struct html_out *o, const char *title, int refresh)
{
	html_raw(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
	if (refresh)
		html_put(o, "<meta http-equiv=\"refresh\" content=\"%d\">", refresh);
	html_raw(o, "<title>");
	html_esc(o, title);
	html_raw(o,
	         "</title><style>\n"
	         "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
	         "color:#202124;background:#f6f7f9}\n"
	         "header{display:flex;flex-wrap:wrap;gap:4px 16px;align-items:center;padding:10px "
	         "20px;"
	         "background:#fff;border-bottom:1px solid #dadce0;position:sticky;top:0}\n"
	         "header h1{font-size:18px;margin:0}header .meta{margin-left:auto;color:#5f6368}\n"
	         "main{padding:12px 20px;max-width:1400px}\n"
	         "section{background:#fff;border:1px solid #dadce0;border-radius:8px;padding:12px "
	         "16px;"
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
	         ".card{background:#fff;border:1px solid #dadce0;border-radius:8px;padding:10px "
	         "16px}\n"
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

void html_level_span(struct html_out *o, const char *level)
{
	html_put(o, "<span class=\"lv-%s\">",
	         level && strcmp(level, "error") == 0     ? "error"
	         : level && strcmp(level, "warning") == 0 ? "warning"
	                                                  : "x");
	html_esc(o, level ? level : "?");
	html_raw(o, "</span>");
}

/* The name of the [account] section with @sid, or NULL. */
const char *html_account_name(const struct config *cfg, const char *sid)
{
	for (size_t i = 0; sid && i < cfg->n_accounts; i++)
		if (cfg->accounts[i].account_sid && strcmp(cfg->accounts[i].account_sid, sid) == 0)
			return cfg->accounts[i].name;
	return NULL;
}

void html_footer(struct html_out *o)
{
	html_raw(o,
	         "<footer>JSON: <a href=\"/api/status\">/api/status</a>, <a href=\"/api/alerts\">"
	         "/api/alerts</a> &middot; <a href=\"/metrics\">/metrics</a> &middot; "
	         "<a href=\"/healthz\">/healthz</a></footer>\n</body></html>\n");
}

int page_error(struct strbuf *sb, int status, const char *reason)
{
	struct html_out o = {.sb = sb};
	char title[32];

	snprintf(title, sizeof(title), "%d", status);
	html_head(&o, title, 0);
	html_put(&o, "<main><section><h2>%d</h2><p>", status);
	html_esc(&o, reason);
	html_raw(&o, "</p><p><a href=\"/\">status page</a></p></section></main></body></html>\n");
	return o.r;
}

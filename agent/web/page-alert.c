// SPDX-License-Identifier: MIT
/*
 * The page of one alert as a report: labelled fields, the decoded
 * alert_text, the request and response when fetched, links to Twilio's
 * docs and Console and to related alerts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/form.h"
#include "web/html.h"
#include "web/page-alert.h"

/*
 * A form-encoded value shown as a table of its decoded fields (else as text),
 * leaving out field @skip[i] when its value is @shown[i] (already on the page).
 */
static void form_table(struct html_out *o, const char *text, const char *const *skip,
                       const char *const *shown, size_t n_skip, size_t *n_out)
{
	struct form f = {0};
	size_t rows = 0;

	if (!text || !strchr(text, '=') || form_parse(text, strlen(text), &f) < 0 || !f.n) {
		html_raw(o, "<pre>");
		html_esc(o, text);
		html_raw(o, "</pre>");
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
		html_raw(o, rows++ ? "<tr><th>" : "<table><tr><th>");
		html_esc(o, f.fields[i].name);
		html_raw(o, "</th><td>");
		html_esc(o, f.fields[i].value);
		html_raw(o, "</td></tr>");
	}
	if (rows)
		html_raw(o, "</table>");
	if (n_out)
		*n_out = rows;
	form_finish(&f);
}

/* A <dt>/<dd> pair of the report; the caller writes the value and calls dd_end. */
static void dt(struct html_out *o, const char *label)
{
	html_put(o, "<dt>%s</dt><dd>", label);
}

static void dd_end(struct html_out *o)
{
	html_raw(o, "</dd>");
}

/* A labelled text value; nothing for NULL or "". */
static void field(struct html_out *o, const char *label, const char *value)
{
	if (!value || !*value)
		return;
	dt(o, label);
	html_esc(o, value);
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
static void console_link(struct html_out *o, const char *sid)
{
	for (size_t i = 0; sid && i < sizeof(console_pages) / sizeof(console_pages[0]); i++) {
		if (strncmp(sid, console_pages[i].prefix, 2) != 0)
			continue;
		html_put(o, " <a rel=\"noreferrer\" href=\"%s", console_pages[i].url);
		html_url_enc(o, sid);
		html_put(o, "\">%s</a>", console_pages[i].what);
		return;
	}
}

static bool is_http_url(const char *u)
{
	return u && (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0);
}

/* Links to the status page filtered like this alert: code, resource, account. */
static void related(struct html_out *o, const char *const *c, const char *name)
{
	html_raw(o, "<section id=\"related\"><h2>Related alerts</h2><ul>");
	if (c[SH_ERROR_CODE]) {
		html_raw(o, "<li><a href=\"/?error_code=");
		html_url_enc(o, c[SH_ERROR_CODE]);
		html_raw(o, "#latest\">every alert with error code ");
		html_esc(o, c[SH_ERROR_CODE]);
		html_raw(o, "</a></li>");
	}
	if (c[SH_RESOURCE_SID] && *c[SH_RESOURCE_SID]) {
		html_raw(o, "<li><a href=\"/?resource_sid=");
		html_url_enc(o, c[SH_RESOURCE_SID]);
		html_raw(o, "#latest\">every alert about resource ");
		html_esc(o, c[SH_RESOURCE_SID]);
		html_raw(o, "</a></li>");
	}
	if (c[SH_ACCOUNT_SID]) {
		html_raw(o, "<li><a href=\"/?account=");
		html_url_enc(o, name ? name : c[SH_ACCOUNT_SID]);
		html_raw(o, "#latest\">every alert of account ");
		html_esc(o, name ? name : c[SH_ACCOUNT_SID]);
		html_raw(o, "</a></li>");
	}
	html_raw(o, "</ul></section>\n");
}

int page_alert(struct strbuf *sb, const struct store_http_alert *row, const struct config *cfg,
               int64_t now)
{
	const char *const *c = row->col, *name = html_account_name(cfg, c[SH_ACCOUNT_SID]);
	/* alert_text fields that the report shows already, with the value shown. */
	static const char *const shown_names[] = {"Msg",      "parserMessage", "ErrorCode",
	                                          "LogLevel", "httpResponse",  "url"};
	const char *const shown[] = {c[SH_MSG],       c[SH_MSG],           c[SH_ERROR_CODE],
	                             c[SH_LOG_LEVEL], c[SH_HTTP_RESPONSE], c[SH_REQUEST_URL]};
	bool fetched = c[SH_REQUEST_VARIABLES] || c[SH_RESPONSE_BODY] || c[SH_RESPONSE_HEADERS] ||
	               c[SH_REQUEST_HEADERS];
	struct html_out o = {.sb = sb};
	char title[96], docs[96] = "";
	size_t extra = 0;
	char *end = NULL;
	int64_t code;

	snprintf(title, sizeof(title), "Alert %s - twilio-alertd", c[SH_SID] ? c[SH_SID] : "");
	html_head(&o, title, 0);
	html_raw(&o,
	         "<header><h1><a href=\"/\">twilio-alertd</a> &rsaquo; alert</h1></header>\n<main>"
	         "<section id=\"report\"><h2>");
	if (c[SH_ERROR_CODE]) {
		html_esc(&o, c[SH_ERROR_CODE]);
		html_raw(&o, " &middot; ");
	}
	html_level_span(&o, c[SH_LOG_LEVEL]);
	if (c[SH_MSG] && *c[SH_MSG]) {
		html_raw(&o, " &middot; ");
		html_esc(&o, c[SH_MSG]);
	}
	html_raw(&o, "</h2><dl class=\"kv\">");
	dt(&o, "Created (UTC)");
	html_when(&o, c[SH_DATE_CREATED]);
	dd_end(&o);
	if (c[SH_DATE_GENERATED] && c[SH_DATE_CREATED] &&
	    strcmp(c[SH_DATE_GENERATED], c[SH_DATE_CREATED]) != 0) {
		dt(&o, "Happened (UTC)");
		html_when(&o, c[SH_DATE_GENERATED]);
		html_raw(&o,
		         " <span class=\"muted\">(date_generated: Twilio buffers alerts)</span>");
		dd_end(&o);
	}
	if (row->origin) {
		dt(&o, "Kind");
		html_raw(&o, strcmp(row->origin, "webhook") == 0
		                     ? "Webhook failure: a request Twilio made to your URL failed"
		                     : "REST API error: Twilio refused a call your code made to "
		                       "its API");
		dd_end(&o);
	}
	if (c[SH_ACCOUNT_SID]) {
		dt(&o, "Account");
		if (name) {
			html_raw(&o, "<b>");
			html_esc(&o, name);
			html_raw(&o, "</b> ");
		}
		html_esc(&o, c[SH_ACCOUNT_SID]);
		dd_end(&o);
	}
	dt(&o, "Level");
	html_level_span(&o, c[SH_LOG_LEVEL]);
	dd_end(&o);
	if (c[SH_ERROR_CODE] && (code = strtoll(c[SH_ERROR_CODE], &end, 10)) >= 0 && !*end &&
	    end != c[SH_ERROR_CODE])
		page_docs_url(code, docs, sizeof(docs));
	if (c[SH_ERROR_CODE] || is_http_url(c[SH_MORE_INFO])) {
		dt(&o, "Error code");
		html_esc(&o, c[SH_ERROR_CODE]);
		/* more_info is Twilio's page for the error; the code gives it otherwise. */
		if (is_http_url(c[SH_MORE_INFO]) || docs[0]) {
			html_raw(&o, " <a rel=\"noreferrer\" href=\"");
			html_esc(&o, is_http_url(c[SH_MORE_INFO]) ? c[SH_MORE_INFO] : docs);
			html_raw(&o, "\">Twilio's page for this error</a>");
		}
		dd_end(&o);
	}
	field(&o, "Message", c[SH_MSG]);
	if (c[SH_REQUEST_URL] || c[SH_REQUEST_METHOD]) {
		dt(&o, "Request");
		html_esc(&o, c[SH_REQUEST_METHOD]);
		html_raw(&o, " ");
		html_esc(&o, c[SH_REQUEST_URL]);
		dd_end(&o);
	}
	field(&o, "HTTP status", c[SH_HTTP_RESPONSE]);
	if (c[SH_RESOURCE_SID] && *c[SH_RESOURCE_SID]) {
		dt(&o, "Resource");
		html_esc(&o, c[SH_RESOURCE_SID]);
		console_link(&o, c[SH_RESOURCE_SID]);
		dd_end(&o);
	}
	field(&o, "Service", c[SH_SERVICE_SID]);
	field(&o, "API version", c[SH_API_VERSION]);
	dt(&o, "Alert SID");
	html_esc(&o, c[SH_SID]);
	console_link(&o, c[SH_SID]);
	dd_end(&o);
	if (c[SH_FIRST_SEEN]) {
		dt(&o, "Stored (UTC)");
		html_when(&o, c[SH_FIRST_SEEN]);
		if (c[SH_SOURCE])
			html_raw(&o,
			         strcmp(c[SH_SOURCE], "push") == 0
			                 ? " <span class=\"muted\">first from the Debugger "
			                   "webhook</span>"
			                 : " <span class=\"muted\">from the Monitor API</span>");
		dd_end(&o);
	}
	html_raw(&o, "</dl></section>\n");

	html_raw(&o, "<section id=\"alert-text\"><h2>Alert text <small>the other fields of "
	             "alert_text, decoded</small></h2>");
	form_table(&o, c[SH_ALERT_TEXT], shown_names, shown,
	           sizeof(shown_names) / sizeof(shown_names[0]), &extra);
	if (!extra && c[SH_ALERT_TEXT] && strchr(c[SH_ALERT_TEXT], '='))
		html_raw(&o, "<p class=\"muted\">Nothing beyond the fields above.</p>");
	html_raw(&o, "<details><summary>alert_text as stored</summary><pre>");
	html_esc(&o, c[SH_ALERT_TEXT]);
	html_raw(&o, "</pre></details></section>\n");

	html_raw(&o, "<section id=\"details\"><h2>Request and response</h2>");
	if (!fetched) {
		html_raw(&o,
		         "<p class=\"muted\">Not fetched: the Monitor API gives them only for one "
		         "alert at a time (fetch_details = yes in the account's section fetches "
		         "them for new alerts).</p>");
	}
	if (c[SH_REQUEST_VARIABLES] && *c[SH_REQUEST_VARIABLES]) {
		html_raw(&o, "<h3>Request parameters</h3>");
		form_table(&o, c[SH_REQUEST_VARIABLES], NULL, NULL, 0, NULL);
	}
	if (c[SH_REQUEST_HEADERS] && *c[SH_REQUEST_HEADERS]) {
		html_raw(&o, "<h3>Request headers</h3>");
		form_table(&o, c[SH_REQUEST_HEADERS], NULL, NULL, 0, NULL);
	}
	if (c[SH_RESPONSE_HEADERS] && *c[SH_RESPONSE_HEADERS]) {
		html_raw(&o, "<h3>Response headers</h3>");
		form_table(&o, c[SH_RESPONSE_HEADERS], NULL, NULL, 0, NULL);
	}
	if (c[SH_RESPONSE_BODY] && *c[SH_RESPONSE_BODY]) {
		html_raw(&o, "<h3>Response body</h3><pre>");
		html_esc(&o, c[SH_RESPONSE_BODY]);
		html_raw(&o, "</pre>");
	} else if (fetched) {
		html_raw(&o, "<h3>Response body</h3><p class=\"muted\">empty</p>");
	}
	html_raw(&o, "</section>\n");
	related(&o, c, name);
	(void)now;
	html_raw(&o, "</main>\n");
	html_footer(&o);
	return o.r;
}

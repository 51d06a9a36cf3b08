/* SPDX-License-Identifier: MIT */
/*
 * HTML helpers of the pages (status, alert, error): a capped output with a
 * sticky first error, escaping for text and query values, the one date
 * format, the shared <head> with the stylesheet and the footer. Every text
 * that comes from Twilio, the database or a request goes through
 * html_esc()/html_escn() or html_url_enc().
 */
#ifndef ALERTD_HTML_H
#define ALERTD_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "base/util.h"

/*
 * Where a page is written: @sb, and @r, the first error of an append
 * (-EMSGSIZE / -ENOMEM), after which every helper writes nothing.
 */
struct html_out {
	struct strbuf *sb;
	int r; /* first error, sticky */
};

/* html_put - a printf-formatted fragment of at most 1 KiB, unescaped (-EMSGSIZE above). */
__attribute__((format(printf, 2, 3))) void html_put(struct html_out *o, const char *fmt, ...);
/* html_raw - @s as it is: only the agent's own fixed words. */
void html_raw(struct html_out *o, const char *s);
/*
 * html_escn - @s HTML-escaped (NULL writes nothing), controls but newline and
 * tab as U+FFFD; at most @max bytes of it (0 = all), an ellipsis where cut.
 */
void html_escn(struct html_out *o, const char *s, size_t max);
/* html_esc - all of @s HTML-escaped (html_escn with no cap). */
void html_esc(struct html_out *o, const char *s);
/* html_url_enc - @s percent-encoded for a query value (then it needs no HTML escaping). */
void html_url_enc(struct html_out *o, const char *s);

/*
 * html_when - a stored date (YYYY-MM-DDTHH:MM:SSZ) in the one format of the
 * pages, "YYYY-MM-DD HH:MM:SS", as a <time>; anything else escaped as it is.
 * html_when_t does the same for the Unix time @t; html_date_cell writes
 * html_when(@d) as a table cell.
 */
void html_when(struct html_out *o, const char *d);
void html_when_t(struct html_out *o, int64_t t);
void html_date_cell(struct html_out *o, const char *d);

/*
 * html_head - the document up to <body>: the escaped @title, the shared
 * stylesheet, and a meta refresh every @refresh seconds (0 = none).
 * html_footer - the links to the JSON API, /metrics and /healthz, and the
 * end of the document.
 */
void html_head(struct html_out *o, const char *title, int refresh);
void html_footer(struct html_out *o);

/* html_level_span - @level ("?" for NULL) escaped, in the span that colours it. */
void html_level_span(struct html_out *o, const char *level);

/* html_account_name - the name of @cfg's [account] section with @sid, or NULL. */
const char *html_account_name(const struct config *cfg, const char *sid);

/* page_docs_url - Twilio's page for error @code into @out ("" when @code < 0). */
void page_docs_url(int64_t code, char *out, size_t size);

/*
 * page_error - a small page for @status with the one-line @reason.
 * Returns 0 or -EMSGSIZE / -ENOMEM from the buffer.
 */
int page_error(struct strbuf *out, int status, const char *reason);

#endif

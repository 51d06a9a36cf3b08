/* SPDX-License-Identifier: MIT */
/*
 * The HTML of the status page and of one alert: server-rendered, with an
 * inline SVG chart, no script and no external asset. Every text that comes
 * from Twilio, the database or a request is HTML-escaped here.
 */
#ifndef ALERTD_PAGE_H
#define ALERTD_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "store-http.h"
#include "summary.h"
#include "util.h"

/* Seconds between the status page's own reloads. */
#define PAGE_REFRESH_S 30
/* Firing trigger groups listed. */
#define PAGE_FIRING_MAX 20

struct page_firing {
	char trigger[128];
	char group[256];
	char since[UTIL_TIME_LEN];
	int64_t count;
};

struct page_status {
	const struct config *cfg;
	int64_t now;
	const struct store_http_sync *sync;
	size_t n_sync;
	const struct summary_view *v;	/* NULL while the first pass runs */
	const struct store_http_triggers *tr;
	const struct page_firing *firing;
	size_t n_firing;
	const char *problem;		/* NULL when healthy, else the /healthz reason */
	/* The latest-alerts filters as given (NULL = none), and a reason they were refused. */
	const char *f_code, *f_level, *f_account;
	const char *f_error;
};

/* What page_alert_row writes to: the buffer, names for account SIDs, and a count. */
struct page_rows {
	struct strbuf *sb;
	const struct config *cfg;	/* may be NULL */
	size_t n;
};

/*
 * page_status_head - the status page up to the rows of the latest-alerts
 * table; page_alert_row adds one row (a store_http_alerts callback, @arg is
 * a struct page_rows); page_status_tail closes the page. Each returns 0 or
 * -EMSGSIZE / -ENOMEM from the buffer.
 */
int page_status_head(struct strbuf *out, const struct page_status *p);
int page_alert_row(const struct store_http_alert *row, void *arg);
int page_status_tail(struct strbuf *out, const struct page_status *p, size_t rows);

/*
 * page_alert - the page of one alert (every column; alert_text and the
 * form-encoded details split into fields). Returns 0 or -errno.
 */
int page_alert(struct strbuf *out, const struct store_http_alert *row, const struct config *cfg,
	       int64_t now);

/* page_error - a small page for @status with the one-line @reason. */
int page_error(struct strbuf *out, int status, const char *reason);

/* page_docs_url - Twilio's page for error @code into @out ("" when @code < 0). */
void page_docs_url(int64_t code, char *out, size_t size);

#endif

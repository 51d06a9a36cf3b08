/* SPDX-License-Identifier: MIT */
/*
 * The HTML of the status page: server-rendered, with an inline SVG chart,
 * no script and no external asset, written in three steps so the
 * latest-alerts rows can come straight from a store query.
 */
#ifndef ALERTD_PAGE_STATUS_H
#define ALERTD_PAGE_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "base/util.h"
#include "store/store-read.h"
#include "web/summary.h"

/* Seconds between the status page's own reloads. */
#define PAGE_REFRESH_S 30
/* Firing trigger groups listed. */
#define PAGE_FIRING_MAX 20
/* Bytes of a SID kept for the cursor (the filters accept at most 64 characters). */
#define PAGE_SID_MAX 80

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
	const struct summary_view *v; /* NULL while the first pass runs */
	const struct store_http_triggers *tr;
	const struct page_firing *firing;
	size_t n_firing;
	const char *problem; /* NULL when healthy, else the /healthz reason */
	/*
	 * The latest-alerts filters and cursor as given (NULL = none), and the
	 * reason they were refused (then no row is listed); rows per page.
	 */
	const char *f_code, *f_level, *f_account, *f_resource, *f_since, *f_until, *f_cursor;
	const char *f_error;
	int limit;
};

/*
 * What page_alert_row writes to: the buffer, names for account SIDs, a count
 * and the last row's date and SID (the cursor of the next page).
 */
struct page_rows {
	struct strbuf *sb;
	const struct config *cfg; /* may be NULL */
	size_t n;
	char last_date[UTIL_TIME_LEN];
	char last_sid[PAGE_SID_MAX];
};

/*
 * page_status_head - the status page up to the rows of the latest-alerts
 * table; page_alert_row adds one row (a store_http_alerts callback, @arg is
 * a struct page_rows); page_status_tail closes the table (with a link to the
 * next, older page when @rows->n reached p->limit) and the page. With
 * p->f_error set, the head says why the filters were refused and the caller
 * lists no row. Each returns 0 or -EMSGSIZE / -ENOMEM from the buffer.
 */
int page_status_head(struct strbuf *out, const struct page_status *p);
int page_alert_row(const struct store_http_alert *row, void *arg);
int page_status_tail(struct strbuf *out, const struct page_status *p, const struct page_rows *rows);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The HTML of one alert's page: server-rendered, no script and no external
 * asset; every text from Twilio or the database is HTML-escaped.
 */
#ifndef ALERTD_PAGE_ALERT_H
#define ALERTD_PAGE_ALERT_H

#include <stdint.h>

#include "base/config.h"
#include "base/util.h"
#include "store/store-read.h"

/*
 * page_alert - the page of one alert as a report: labelled fields, the
 * parsed alert_text (fields shown above are not repeated), the request and
 * response when fetched, links to Twilio's docs and Console and to related
 * alerts (same error code, resource, account). Absent values are left out.
 * Returns 0 or -errno.
 */
int page_alert(struct strbuf *out, const struct store_http_alert *row, const struct config *cfg,
               int64_t now);

#endif

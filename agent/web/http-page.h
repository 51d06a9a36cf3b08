/* SPDX-License-Identifier: MIT */
/*
 * Internal to web/http*.c: the HTML pages.
 * Handlers answer into @rp (status, type, body); http.c routes to them.
 */
#ifndef ALERTD_HTTP_PAGE_H
#define ALERTD_HTTP_PAGE_H

#include <stdbool.h>

#include "web/http-private.h"

/*
 * status_page - GET /: health, sync state, summary, triggers and the
 * latest alerts (filters and cursor from the query string; 400 for a bad
 * one). @c is NULL for http_serve_request.
 */
void status_page(struct http_server *srv, const struct config *cfg, struct store *s,
                 struct MHD_Connection *c, struct reply *rp);

/* alert_one - GET /alerts/SID (HTML) or /api/alerts/SID (@json): one alert, or 404. */
void alert_one(const struct config *cfg, struct store *s, const char *sid, bool json,
               struct reply *rp);

#endif

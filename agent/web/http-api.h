/* SPDX-License-Identifier: MIT */
/*
 * The JSON API's status document (http-api.c), for /api/status and
 * `twilio-alertd status --json` alike. web/http.h includes this header.
 */
#ifndef ALERTD_HTTP_API_H
#define ALERTD_HTTP_API_H

#include <stdint.h>

#include <jansson.h>

#include "base/config.h"

struct health_data;
struct store;
struct summary_view;

/*
 * http_status_doc - the status document, one shape for /api/status and
 * `status --json`: version, now, database, healthy, problem (@problem, ""
 * or NULL = healthy), accounts (the configured ones, then the unconfigured
 * ones with a sync state), summary (null when @v is NULL), triggers and
 * outbox (per channel, "waiting" or "orphaned"). @cfg NULL: no valid
 * configuration; @d NULL: nothing read from a database; @s (may be NULL)
 * gives the firing groups. Returns a new reference, or NULL (no memory).
 */
json_t *http_status_doc(const struct config *cfg, struct store *s, const struct health_data *d,
                        const struct summary_view *v, int64_t now, const char *problem);

#endif

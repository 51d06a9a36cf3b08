/* SPDX-License-Identifier: MIT */
/*
 * Internal to web/http*.c: /metrics.
 * Handlers answer into @rp (status, type, body); http.c routes to them.
 */
#ifndef ALERTD_HTTP_METRICS_H
#define ALERTD_HTTP_METRICS_H

#include <stdbool.h>

#include "web/http-private.h"

/* metrics - GET /metrics: the Prometheus text, or 503 when the store cannot be read. */
void metrics(struct http_server *srv, const struct config *cfg, struct store *s, struct reply *rp);

#endif

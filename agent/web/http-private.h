/* SPDX-License-Identifier: MIT */
/*
 * Internal to web/http*.c, not for other modules: the server's state, one
 * request and its reply, and the helpers the handlers share. http.c is the
 * server and the routing, http-page.c the HTML pages, http-api.c the JSON
 * API, http-metrics.c the /metrics rendering (each with its own header; http-api.h is
 * the status document for other modules too).
 */
#ifndef ALERTD_HTTP_PRIVATE_H
#define ALERTD_HTTP_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "base/util.h"
#include "web/health.h"
#include "web/http.h"

#define POOL_MAX (HTTP_THREADS * 2)
#define SYNC_MAX 64

struct http_server {
	struct MHD_Daemon *d;
	struct http_guard *guard; /* deadlines and eviction of slow connections */
	pthread_rwlock_t cfg_lock;
	const struct config *cfg; /* under cfg_lock */
	char *auth;               /* "Basic ..." expected, NULL = none; under cfg_lock */
	char *db_path;
	int64_t started;
	pthread_mutex_t pool_lock;
	struct store *pool[POOL_MAX];
	size_t n_pool;
	pthread_mutex_t rw_lock;
	struct store *rw; /* the webhook's, opened on first use */
	struct summary *sm;
	atomic_bool pushed;
	pthread_mutex_t health_lock;
	int64_t health_ms;              /* when the verdict below was made; 0 = never */
	char health[HEALTH_REASON_MAX]; /* "" = healthy, else the reason */
};

/* One request's state across libmicrohttpd's calls: the body, capped. */
struct request {
	struct strbuf body;
	bool too_big;
};

struct reply {
	int status;
	const char *type;
	struct strbuf body;
	const char *allow; /* for 405 */
	bool challenge;    /* 401: ask for Basic auth */
};

struct store_http_alert;
struct store_http_firing;

/* http.c */
struct store *store_get(struct http_server *srv);
void store_put(struct http_server *srv, struct store *s);
void text(struct reply *rp, int status, const char *msg);
void html_error(struct reply *rp, int status, const char *reason);
void json_reply(struct reply *rp, int status, json_t *doc);
void json_error(struct reply *rp, int status, const char *msg);
const char *arg(struct MHD_Connection *c, const char *name);
bool parse_small(const char *v, int64_t *out);
bool valid_level(const char *v);
bool valid_sid(const char *v);
void health(struct http_server *srv, const struct config *cfg, int64_t now, char *reason,
            size_t size);

/* Shared by the handlers: http-page.c's */
int collect_firing(const struct store_http_firing *f, void *arg);
json_t *alert_json(const struct store_http_alert *row, int ncols);
/* and http-api.c's. */
json_t *json_time(int64_t t);
json_t *json_str(const char *s);
bool param_date(const char *v, char out[UTIL_TIME_LEN]);

/* http-api.c's handlers: GET /api/status (503 while the summary is counted) */
void api_status(struct http_server *srv, const struct config *cfg, struct store *s,
                struct reply *rp);
/* and GET /api/alerts (a page by the query's filters, with next_cursor; 400 for a bad one). */
void api_alerts(const struct config *cfg, struct store *s, struct MHD_Connection *c,
                struct reply *rp);

#endif

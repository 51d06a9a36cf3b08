/* SPDX-License-Identifier: MIT */
/*
 * The agent's HTTP server (libmicrohttpd) on `listen`: the status page (/),
 * one alert (/alerts/{Sid}), the JSON API (/api/status, /api/alerts),
 * Prometheus metrics (/metrics), the health check (/healthz) and the
 * Debugger webhook receiver (POST /twilio/debugger). It runs in threads of
 * its own beside the poller and never uses the poller's store connection:
 * its readers have their own read-only connections, and the webhook one
 * read-write connection for its insert.
 */
#ifndef ALERTD_HTTP_H
#define ALERTD_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "base/config.h"
#include "base/util.h"
#include "web/http-api.h"

/* Threads serving requests (each with its own read-only connection). */
#define HTTP_THREADS 2
/* Open connections at once; more wait in the listen backlog. */
#define HTTP_CONNECTIONS_MAX 512
/* Open connections from one IP address at once; more are refused. */
#define HTTP_PER_IP_MAX 32
/*
 * Connections kept free for newcomers: one accepted while more than
 * HTTP_CONNECTIONS_MAX - HTTP_CONNECTIONS_SPARE are open closes the oldest
 * connection still sending its request (a slow client, never one whose
 * request is being answered).
 */
#define HTTP_CONNECTIONS_SPARE 64
/* Seconds a connection has to send a whole request (headers and body). */
#define HTTP_REQUEST_DEADLINE_S 10
/* Seconds a client has to take the whole reply. */
#define HTTP_REPLY_DEADLINE_S 60
/* Seconds a connection may stay without any traffic. */
#define HTTP_TIMEOUT_S 30
/* Bytes per connection for the request line and headers (larger: 431/414). */
#define HTTP_HEADERS_MAX (32 * 1024)
/* Bytes of a webhook body; more is refused with 413. */
#define HTTP_WEBHOOK_BODY_MAX (256 * 1024)
/* Bytes of any response page (a capped buffer; the pages stay far below). */
#define HTTP_RESPONSE_MAX (8 * 1024 * 1024)
/*
 * Bytes of one /api/alerts reply: rows stop there and next_cursor gives the
 * rest (well below HTTP_RESPONSE_MAX, since a row, its fields capped at
 * STORE_FIELD_MAX, stays under a few MiB even when every byte is escaped).
 */
#define HTTP_API_REPLY_MAX (4 * 1024 * 1024)
/* Rows on the status page's latest-alerts table, and the API's default page. */
#define HTTP_LATEST_ROWS 50
struct http_server;
struct health_data;
struct store;
struct summary_view;

/*
 * http_start - listen on cfg->listen and serve until http_stop. @cfg is
 * borrowed until http_set_config replaces it or http_stop. The database
 * must exist (the caller opened it read-write first, so it is migrated).
 * Returns 0 and *@out, -EADDRINUSE / -EACCES / -EADDRNOTAVAIL when it
 * cannot listen (logged with the address), or -errno.
 */
int http_start(const struct config *cfg, struct http_server **out);

/* http_stop - stop serving, wait for the threads, free; NULL is fine. */
void http_stop(struct http_server *srv);

/*
 * http_set_config - serve with @cfg from now on (after a reload; the old
 * configuration may be freed once this returns). `listen` is not changed.
 */
void http_set_config(struct http_server *srv, const struct config *cfg);

/* http_note_cycle - a poll cycle ended: refresh the page's aggregates now. NULL is fine. */
void http_note_cycle(struct http_server *srv);

/*
 * http_take_pushes - whether webhook pushes were stored since the last
 * call (the poller then evaluates the triggers). NULL gives false.
 */
bool http_take_pushes(struct http_server *srv);

/* http_status_doc: web/http-api.h. */

/* --- the same handling without a socket (tests, fuzzing) --- */

struct form;

/* One request as libmicrohttpd would have parsed it. */
struct http_request_in {
	const char *method;
	const char *path;           /* decoded, without the query string */
	const struct form *query;   /* decoded query arguments (exact names); NULL = none */
	const struct form *headers; /* header names match case-insensitively; NULL = none */
	const char *body;
	size_t len;
};

/* The answer to it; body is the caller's to strbuf_finish. */
struct http_answer {
	int status;
	const char *type;  /* Content-Type (static text) */
	const char *allow; /* the Allow header of a 405, else NULL */
	bool challenge;    /* a 401 that asks for Basic auth */
	struct strbuf body;
};

/*
 * http_open_local - the server's state for @cfg (database, Basic auth,
 * aggregates) without listening: for http_serve_request. Free with
 * http_stop. Returns 0 and *@out, or -errno.
 */
int http_open_local(const struct config *cfg, struct http_server **out);

/*
 * http_serve_request - answer @in into @out exactly as a request on the
 * socket would be answered (routing, query arguments, Basic auth, the
 * webhook, the 413 of an oversize body), minus libmicrohttpd's parsing.
 */
void http_serve_request(struct http_server *srv, const struct http_request_in *in,
                        struct http_answer *out);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Connection guard of the HTTP server against slow clients (slowloris):
 * every connection is tracked from accept to close, must deliver a whole
 * request (headers and body) within a deadline and take its reply within
 * another, and when the server is nearly full the oldest connection still
 * sending its request is closed to make room. A client that sends its
 * request at once (the status page, Twilio's webhook) therefore always gets
 * a slot, however many slow connections are open.
 */
#ifndef ALERTD_HTTP_GUARD_H
#define ALERTD_HTTP_GUARD_H

#include <stddef.h>
#include <stdint.h>

struct http_guard;

/*
 * http_guard_create - a guard for at most @slots connections, closing one
 * that has not sent a whole request @request_ms after it opened (or after
 * its previous reply), or not taken its reply @reply_ms after its request;
 * a connection opened while more than @evict_above are open closes the
 * oldest one still sending its request. Starts a thread (signals blocked
 * as the caller has them). Returns 0 and *@out, or -errno.
 */
int http_guard_create(size_t slots, int64_t request_ms, int64_t reply_ms, size_t evict_above,
                      struct http_guard **out);

/* http_guard_destroy - stop the thread and free; NULL is fine. Call after the server stopped. */
void http_guard_destroy(struct http_guard *g);

/*
 * http_guard_opened - connection @fd was accepted: track it in
 * *@ctx (libmicrohttpd's socket context). When every slot is taken the
 * connection is shut down at once (it is refused, never left untracked).
 */
void http_guard_opened(struct http_guard *g, int fd, void **ctx);

/* http_guard_closed - the connection of *@ctx is closing (before its fd is closed). */
void http_guard_closed(struct http_guard *g, void **ctx);

/* http_guard_request_read - the connection of @ctx delivered its whole request. NULL is fine. */
void http_guard_request_read(struct http_guard *g, void *ctx);

/* http_guard_reply_done - its reply was sent: the next request's deadline starts. */
void http_guard_reply_done(struct http_guard *g, void *ctx);

#endif

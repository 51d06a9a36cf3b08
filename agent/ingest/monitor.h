/* SPDX-License-Identifier: MIT */
/*
 * The Monitor REST API client: one per account, the only module that
 * drives libcurl. TLS verification always on, Basic auth passed to curl in
 * memory (never argv, never logged), timeouts, a response-size cap, and
 * bounded retries with full-jitter exponential backoff for 429, 5xx,
 * network faults and unparseable bodies.
 */
#ifndef ALERTD_MONITOR_H
#define ALERTD_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/config.h"

/* The largest response body accepted (a full page is about 1 MiB). */
#define MONITOR_RESPONSE_MAX (16u * 1024 * 1024)
/* Twilio's largest page. */
#define MONITOR_PAGE_SIZE 1000
/* Longest wait honoured from Retry-After / X-RateLimit-Reset, in seconds. */
#define MONITOR_RETRY_AFTER_MAX 300
/* First backoff step and ceiling, in milliseconds. */
#define MONITOR_BACKOFF_BASE_MS 250
#define MONITOR_BACKOFF_MAX_MS 30000
/* Parallel instance fetches for fetch_details. */
#define MONITOR_FETCH_PARALLEL 4
#define MONITOR_URL_MAX 2048

struct monitor;

struct monitor_stats {
	int64_t requests;    /* HTTP requests sent, retries included */
	int64_t http_errors; /* responses other than 2xx, and network failures */
	int64_t retries;
	int64_t bytes; /* response bytes received (after decompression) */
	int64_t status_2xx, status_4xx, status_5xx;
};

/*
 * monitor_create - a client for @acct (borrowed: must outlive the client).
 * @timeout: total seconds per request; @max_retries: retries after the first
 * try; @stop: when it becomes non-zero, backoff waits end and calls return
 * -EINTR (may be NULL). Returns 0 and *@out, -ENOMEM, or -EIO (curl init).
 */
int monitor_create(const struct config_account *acct, int64_t timeout, int max_retries,
                   volatile int *stop, struct monitor **out);

/* monitor_destroy - free the client; NULL is fine. */
void monitor_destroy(struct monitor *m);

/*
 * monitor_get_json - GET the absolute @url and parse the JSON object it
 * returns into *@out (caller json_decref's; a body that is not a JSON
 * object is retried like a 5xx). @url must pass monitor_url_check against
 * the account's api_base, so credentials never go elsewhere. Returns:
 *   0         success;
 *   -EACCES   401/403: the credentials were refused (not retried);
 *   -ENOENT   404;
 *   -EPROTO   another 4xx (not retried) or a URL refused;
 *   -EAGAIN   429/5xx/network/bad body still failing after the retries;
 *   -EINTR    stopped by the stop flag;
 *   -ENOMEM.
 * On error, monitor_error() holds one line naming the problem, with
 * Twilio's own message when it sent one.
 */
int monitor_get_json(struct monitor *m, const char *url, json_t **out);

/*
 * monitor_get - GET @url like monitor_get_json, but hand each 2xx body to
 * @parse(@body, @len, @arg, &why) instead of jansson. @body is @len bytes
 * followed by a NUL; @parse may rewrite it in place. It stays valid, and
 * @m leaves it alone, until the next monitor_get, monitor_get_json or
 * monitor_destroy on @m, so what @parse stores may point into it. @parse
 * runs once per attempt and returns:
 *   0         accepted: monitor_get returns 0;
 *   -EBADMSG  not the JSON expected, with a short reason in *why (static,
 *             or stored in @arg until the next call): retried like a 5xx,
 *             and when the retries run out monitor_get returns -EAGAIN with
 *             "invalid JSON in response: <why>" in monitor_error();
 *   another negative errno (not -EAGAIN), such as -ENOMEM or -EPROTO (an
 *             answer no retry can mend): returned at once, with *why in
 *             monitor_error() when @parse set it.
 * Other results as monitor_get_json.
 */
int monitor_get(struct monitor *m, const char *url,
                int (*parse)(char *body, size_t len, void *arg, const char **why), void *arg);

/*
 * monitor_url_check - whether a request to @url may carry the credentials
 * of an account whose api_base is @base. libcurl's own URL parser reads
 * both; @url must have the same scheme (http or https), the same host
 * (exactly, letter case aside) and the same port (explicit or the
 * scheme's default) as @base, and no user name, password or IPv6 zone id.
 * The agent fetches the very parse it checked. Returns 0 (allowed),
 * -EPERM with a short reason in @why (@size bytes; it names the origin
 * refused, never the whole URL), or -ENOMEM.
 */
int monitor_url_check(const char *base, const char *url, char *why, size_t size);

/*
 * monitor_list_url - the first-page URL of an Alerts query:
 * StartDate=@start, EndDate=@end (omitted when @end is 0), LogLevel from
 * the account, PageSize=MONITOR_PAGE_SIZE. Returns 0 or -ENAMETOOLONG.
 */
int monitor_list_url(const struct monitor *m, int64_t start, int64_t end, char *buf, size_t size);

/*
 * monitor_fetch_many - fetch the instances of @n alert sids, at most
 * MONITOR_FETCH_PARALLEL at a time, calling @fn with each parsed object
 * (borrowed for the call). Sids that are not NO + 32 hex digits are skipped
 * with a warning, and so are those gone (404) and those whose instance
 * names another sid (a warning too). Stops at
 * the first error other than 404 and returns it (codes as monitor_get_json),
 * or @fn's non-zero return; 0 when all were handled.
 */
int monitor_fetch_many(struct monitor *m, const char *const *sids, size_t n,
                       int (*fn)(json_t *alert, void *arg), void *arg);

/*
 * monitor_set_wait_hook - call @fn(@arg) before every backoff wait, so a
 * caller can release what it holds (an open transaction) while waiting.
 */
void monitor_set_wait_hook(struct monitor *m, void (*fn)(void *arg), void *arg);

/* monitor_error - the last error line ("" if none); owned by @m. */
const char *monitor_error(const struct monitor *m);

/*
 * monitor_clock_skew - Twilio's clock as its Date response header tells it:
 * true and *@skew = Twilio's time minus the local time (seconds) as of the
 * last response with a valid Date (util_parse_http_date), false when no
 * response had one yet.
 */
bool monitor_clock_skew(const struct monitor *m, int64_t *skew);

/* monitor_stats - counters since creation; owned by @m. */
const struct monitor_stats *monitor_stats(const struct monitor *m);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The store's read queries (store-read.c): the alert list and the alert
 * and group pages, the sync list, the trigger and outbox summary, rows per
 * account, and the one write among them, the insert of a Debugger webhook
 * push. The web stage (status page, JSON API, /metrics, /healthz) calls
 * them, each with a struct store of its own (store.h: one connection per
 * thread at a time). The file was store-http.{c,h}: the functions keep
 * their store_http_* names.
 */
#ifndef ALERTD_STORE_READ_H
#define ALERTD_STORE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alert.h"
#include "store/store.h"

/* The alerts columns the HTTP server shows, in the order of the table. */
enum store_http_col {
	SH_SID,
	SH_ACCOUNT_SID,
	SH_ERROR_CODE,
	SH_LOG_LEVEL,
	SH_ALERT_TEXT,
	SH_MORE_INFO,
	SH_REQUEST_METHOD,
	SH_REQUEST_URL,
	SH_RESOURCE_SID,
	SH_SERVICE_SID,
	SH_API_VERSION,
	SH_URL,
	SH_DATE_CREATED,
	SH_DATE_GENERATED,
	SH_DATE_UPDATED,
	SH_FIRST_SEEN,
	SH_MSG,
	SH_HTTP_RESPONSE,
	SH_REQUEST_HOST,
	SH_SOURCE,
	SH_LIST_COLS, /* columns of a list row; the details follow */
	SH_REQUEST_VARIABLES = SH_LIST_COLS,
	SH_RESPONSE_BODY,
	SH_RESPONSE_HEADERS,
	SH_REQUEST_HEADERS,
	SH_COLS
};

/* Column names, as in the table (and in the JSON API). */
extern const char *const store_http_col_names[SH_COLS];

/*
 * One alert row: each column as text, NULL for SQL NULL; valid during the
 * callback. origin is "webhook" (a webhook failure), "api" (a REST API error)
 * or NULL, by the rule of struct store_http_group below.
 */
struct store_http_alert {
	const char *col[SH_COLS];
	const char *origin;
};

/* Filters of store_http_alerts; NULL / 0 = not set. */
struct store_http_filter {
	const char *since; /* date_created >= (normalised date text) */
	const char *until; /* date_created < */
	bool has_error_code;
	int64_t error_code;
	const char *log_level;
	const char *account_sid;
	const char *resource_sid;
	/* Keyset cursor: rows strictly after (older than) this (date_created, sid). */
	const char *after_date;
	const char *after_sid;
	int limit; /* 1..STORE_HTTP_LIMIT_MAX */
};

#define STORE_HTTP_LIMIT_MAX 1000

/*
 * store_http_alerts - the alerts matching @f, newest first (date_created,
 * then sid, descending), at most f->limit, each given to @fn (list columns
 * only; details NULL). Stops at @fn's non-zero return and returns it.
 * Returns 0, -EINVAL for a bad limit, or -errno.
 */
int store_http_alerts(struct store *s, const struct store_http_filter *f,
                      int (*fn)(const struct store_http_alert *row, void *arg), void *arg);

/*
 * store_http_alert_get - the alert @sid with every column, given to @fn.
 * Returns @fn's value, -ENOENT when there is no such alert, or -errno.
 */
int store_http_alert_get(struct store *s, const char *sid,
                         int (*fn)(const struct store_http_alert *row, void *arg), void *arg);

/*
 * One group of alerts: same hour, account, level, code and origin. The origin
 * follows schema/views.sql: a webhook failure (a request Twilio made to a URL of
 * yours that failed: a status outside 200-299, or an 11xxx / 12xxx code) has
 * failing_host set; a REST API error (request_url on twilio.com or a host under
 * it) has api_error set; any other alert has neither.
 */
struct store_http_group {
	const char *hour; /* "YYYY-MM-DDTHH" of date_created */
	const char *account_sid;
	const char *log_level;
	bool has_error_code;
	int64_t error_code;
	const char *failing_host; /* request_host of a webhook failure, else NULL */
	bool api_error;
	int64_t count;
	const char *last_seen; /* newest date_created in the group */
	/* msg, http_response, request_method and request_url of that newest alert */
	const char *msg;
	bool has_http_response;
	int64_t http_response;
	const char *request_method;
	const char *request_url;
	int64_t max_rowid;
};

/*
 * store_http_groups - group the alerts with @since <= date_created < @until
 * (either may be NULL: unbounded) and rowid > @after_rowid, calling @fn for
 * each group. Stops at @fn's non-zero return. Returns 0, that, or -errno.
 */
int store_http_groups(struct store *s, const char *since, const char *until, int64_t after_rowid,
                      int (*fn)(const struct store_http_group *g, void *arg), void *arg);

/*
 * store_http_account_rows - call @fn with every account_sid (NULL for rows
 * without one) and its number of rows. Returns 0, @fn's value, or -errno.
 */
int store_http_account_rows(struct store *s,
                            int (*fn)(const char *account_sid, int64_t rows, void *arg), void *arg);

/* store_http_max_rowid - the largest rowid of alerts (0 when empty). 0 or -errno. */
int store_http_max_rowid(struct store *s, int64_t *out);

/*
 * store_http_read_begin / _end - one read transaction, so several queries
 * see the same snapshot. _end is NULL-safe and ends only what _begin began.
 */
int store_http_read_begin(struct store *s);
void store_http_read_end(struct store *s);

/* Sync state of one account, without the row count (which costs a scan). */
struct store_http_sync {
	char account[128];
	struct store_sync_state st; /* rows stays 0 */
};

/*
 * store_http_sync_list - the sync_state rows into @out (at most @max), in
 * account order; *@n gets how many. Returns 0 or -errno.
 */
int store_http_sync_list(struct store *s, struct store_http_sync *out, size_t max, size_t *n);

/* Channels of undelivered outbox rows listed one by one; the rest only count in the totals. */
#define STORE_HTTP_CHANNELS_MAX 64
#define STORE_HTTP_CHANNEL_LEN 64
#define STORE_HTTP_ERROR_LEN 256

/* The undelivered outbox rows of one channel, with the times as stored. */
struct store_http_channel {
	char channel[STORE_HTTP_CHANNEL_LEN];  /* the [notify NAME] the rows were queued for */
	int64_t pending;                       /* rows not yet delivered */
	int64_t failed;                        /* of those, with at least one failed attempt */
	int64_t oldest;                        /* created time of the oldest of them */
	int64_t next_attempt;                  /* the earliest stored next_attempt */
	int64_t last_attempt;                  /* the latest attempt, 0 = never attempted */
	char last_error[STORE_HTTP_ERROR_LEN]; /* of that attempt, "" = none */
};

/*
 * Trigger state and outbox, when the triggers migration is installed.
 * available is false (and the rest 0) on a database without those tables.
 */
struct store_http_triggers {
	bool available;
	int64_t firing;         /* trigger groups in state firing */
	int64_t pending;        /* notifications not yet delivered, every channel */
	int64_t oldest_pending; /* created time of the oldest of them, 0 = none */
	int64_t failed;         /* of those, with at least one failed attempt */
	int64_t delivered;      /* delivered rows still kept (pruned after the retention) */
	/* Per channel, by name; channels past STORE_HTTP_CHANNELS_MAX are in the totals only. */
	struct store_http_channel channels[STORE_HTTP_CHANNELS_MAX];
	size_t n_channels;
};

/* store_http_triggers - fill @out. Returns 0 or -errno. */
int store_http_triggers(struct store *s, struct store_http_triggers *out);

/* One firing trigger group for the page. */
struct store_http_firing {
	const char *trigger;
	const char *group;
	const char *since;
	int64_t count;
};

/*
 * store_http_firing_list - the firing trigger groups, at most @max, to @fn.
 * Returns 0 (nothing when the tables are absent), @fn's value, or -errno.
 */
int store_http_firing_list(struct store *s, int max,
                           int (*fn)(const struct store_http_firing *f, void *arg), void *arg);

/*
 * store_http_insert_push - store alert @a (source "push") unless its sid is
 * stored already: a push never overwrites what a poll (or an earlier push)
 * stored. *@inserted tells which. Own statement, autocommit. 0 or -errno.
 */
int store_http_insert_push(struct store *s, const struct alert *a, int64_t now, bool *inserted);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The status page's aggregates over a large table, kept fresh by a thread of
 * their own: alerts per hour for the last 7 days by level, error code,
 * failing host of yours (webhooks), REST API error code and account, and rows per account. A full
 * pass reads the week once; after that only new rows (rowid above the last seen) are added, every
 * SUMMARY_REFRESH_MS or when poked, and the week is read again every SUMMARY_REBUILD_S to forget
 * pruned or changed rows. A view adds the partial hours at the windows' edges live, so its
 * 1h/24h/7d counts are exact.
 */
#ifndef ALERTD_SUMMARY_H
#define ALERTD_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alert.h"
#include "store/store.h"
#include "base/util.h"

#define SUMMARY_REFRESH_MS 2000
#define SUMMARY_REBUILD_S 300
/* Hours in the chart; entries in the top lists; accounts counted apart. */
#define SUMMARY_HOURS 168
#define SUMMARY_TOP 10
#define SUMMARY_ACCOUNTS 64
/* Bytes of a sample message, request method and URL kept per entry. */
#define SUMMARY_MSG_MAX 160
#define SUMMARY_METHOD_MAX 16
#define SUMMARY_URL_MAX 256

enum summary_level {
	SUMMARY_ERROR,
	SUMMARY_WARNING,
	SUMMARY_NOTICE,
	SUMMARY_DEBUG,
	SUMMARY_OTHER,
	SUMMARY_LEVELS
};
extern const char *const summary_level_names[SUMMARY_LEVELS];

/* The three windows of every count: the last hour, day and week. */
enum summary_window { SUMMARY_1H, SUMMARY_24H, SUMMARY_7D, SUMMARY_WINDOWS };
extern const char *const summary_window_names[SUMMARY_WINDOWS];

struct summary_code {
	bool has_code;
	int64_t code;
	int64_t n[SUMMARY_WINDOWS];
	char last_seen[UTIL_TIME_LEN];
	char msg[SUMMARY_MSG_MAX]; /* Msg of the newest alert with this code */
};

/* A host of yours with webhook failures (store-read.h, schema/views.sql). */
struct summary_host {
	char host[ALERT_HOST_MAX];
	int64_t n[SUMMARY_WINDOWS];
	char last_seen[UTIL_TIME_LEN];
	/* Of the newest failure: */
	bool has_http_response, has_error_code;
	int64_t http_response, error_code;
	char msg[SUMMARY_MSG_MAX];
	char url[SUMMARY_URL_MAX];
};

/* REST API errors (your calls to a Twilio API host) with one error code. */
struct summary_api {
	bool has_code;
	int64_t code;
	int64_t n[SUMMARY_WINDOWS];
	char last_seen[UTIL_TIME_LEN];
	/* Of the newest: */
	char msg[SUMMARY_MSG_MAX];
	char method[SUMMARY_METHOD_MAX];
	char url[SUMMARY_URL_MAX];
};

struct summary_account {
	char account_sid[40];
	int64_t rows; /* stored, all time */
	int64_t n[SUMMARY_WINDOWS];
};

struct summary_view {
	int64_t now;   /* the windows end here */
	int64_t as_of; /* the hourly data's last refresh */
	int64_t levels[SUMMARY_WINDOWS][SUMMARY_LEVELS];
	int64_t total[SUMMARY_WINDOWS];
	/* Most alerts in the last 24 hours first (then the week). */
	struct summary_code codes[SUMMARY_TOP];
	size_t n_codes;
	struct summary_host hosts[SUMMARY_TOP];
	size_t n_hosts;
	struct summary_api api[SUMMARY_TOP];
	size_t n_api;
	struct summary_account accounts[SUMMARY_ACCOUNTS];
	size_t n_accounts;
	int64_t rows;        /* all alerts stored */
	int64_t chart_start; /* start of the chart's first hour (epoch) */
	int64_t chart[SUMMARY_HOURS][SUMMARY_LEVELS];
};

struct summary;

/*
 * summary_create - open a read-only connection to @db_path and start the
 * thread that keeps the aggregates. Returns 0 and *@out, or -errno.
 */
int summary_create(const char *db_path, struct summary **out);

/* summary_destroy - stop the thread and free; NULL is fine. */
void summary_destroy(struct summary *sm);

/* summary_poke - refresh now (after a poll or a push) rather than on the next tick. */
void summary_poke(struct summary *sm);

/*
 * summary_view - fill @v for the windows ending at @now, using @s (the
 * caller's own connection) for the live edges. Waits at most @wait_ms for
 * the first full pass. Returns 0, -EAGAIN when that pass is not done yet,
 * or -errno of a query.
 */
int summary_view(struct summary *sm, struct store *s, int64_t now, int wait_ms,
                 struct summary_view *v);

#endif

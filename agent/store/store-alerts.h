/* SPDX-License-Identifier: MIT */
/*
 * What the poll cycle writes and reads back (store-alerts.c): alerts (the
 * upsert, the details, pruning, counts), each account's sync state and the
 * log of poll runs. store.h includes this header: its users need not.
 */
#ifndef ALERTD_STORE_ALERTS_H
#define ALERTD_STORE_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alert.h"
#include "store/store.h"

/*
 * store_upsert_alert - insert or update one alert by sid inside the
 * caller's transaction. A row is updated only when date_updated or a
 * list field differs; details (request_*, response_*) already stored are
 * kept when @a has none. first_seen is set to @now on insert only.
 * *@result (may be NULL) tells what happened. Returns 0 or -errno.
 */
int store_upsert_alert(struct store *s, const struct alert *a, int64_t now,
                       enum store_upsert_result *result);

/*
 * store_set_details - store the four request/response fields of @a
 * (a fetched instance) on its existing row. Returns 0, -ENOENT when the
 * sid is not stored, or -errno.
 */
int store_set_details(struct store *s, const struct alert *a);

/* Per-account sync state, keyed by the config section name. */
struct store_sync_state {
	bool has_watermark;
	int64_t watermark;       /* newest date_created of the last complete query */
	int64_t last_success;    /* 0 = never */
	int64_t last_attempt;    /* 0 = never */
	int64_t last_error_time; /* 0 = none */
	char last_error[512];    /* "" = none */
	char account_sid[40];
	int64_t rows; /* alerts stored for account_sid (only from store_sync_list) */
};

/*
 * store_sync_get - read the sync state of account @name; a never-synced
 * account gives a zeroed state and 0. Returns 0 or -errno.
 */
int store_sync_get(struct store *s, const char *name, struct store_sync_state *st);

/*
 * store_sync_set_watermark - move account @name's watermark to @wm in the
 * caller's transaction (creating the row). Returns 0 or -errno.
 */
int store_sync_set_watermark(struct store *s, const char *name, const char *account_sid,
                             int64_t wm);

/*
 * store_sync_record - record the end of a sync attempt of @name at @when:
 * @error NULL = success (sets last_success), else the one-line reason
 * (sets last_error and last_error_time). Own transaction. 0 or -errno.
 */
int store_sync_record(struct store *s, const char *name, const char *account_sid, int64_t when,
                      const char *error);

/* One row of the poll-run log. */
struct store_run {
	const char *account;
	int64_t started;
	int64_t finished;
	int64_t pages;
	int64_t requests;
	int64_t inserted;
	int64_t updated;
	int64_t http_errors;
	const char *outcome; /* "ok", "auth", "unavailable", "error", "interrupted" */
	const char *error;   /* NULL or the one-line reason */
};

/* store_run_log - append a poll-run row (own transaction). 0 or -errno. */
int store_run_log(struct store *s, const struct store_run *run);

/*
 * store_sync_list - call @fn for every account with sync state (rows
 * filled in), in name order. Stops and returns @fn's value if non-zero.
 * @fn may use the store, but not call store_sync_list again.
 */
int store_sync_list(struct store *s,
                    int (*fn)(const char *name, const struct store_sync_state *st, void *arg),
                    void *arg);

/*
 * store_prune - delete alerts with date_created before @cutoff, and alerts
 * dated after @now (a bogus or far-future date) that were first seen before
 * @cutoff, at most @batch rows per transaction, until none are left or
 * *@stop is set; then release free pages (incremental vacuum). poll_runs
 * rows started before @cutoff go too. *@deleted (may be NULL) gets the
 * number of alerts deleted. Returns 0, -EINVAL when @batch < 1, or -errno.
 */
int store_prune(struct store *s, int64_t cutoff, int64_t now, int batch, volatile int *stop,
                int64_t *deleted);

/*
 * store_count_alerts - number of rows in alerts (for @account_sid, or
 * all when NULL). Returns 0 or -errno.
 */
int store_count_alerts(struct store *s, const char *account_sid, int64_t *count);

#endif

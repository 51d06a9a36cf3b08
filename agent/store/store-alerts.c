// SPDX-License-Identifier: MIT
/*
 * What the poll cycle writes and reads back: alerts (the upsert, the
 * details, pruning, counts), each account's sync state and the log of poll
 * runs. Statements are cached by store_stmt from stmt_sql below.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/log.h"
#include "base/util.h"
#include "store/store-alerts.h"
#include "store/store-private.h"

enum stmt_id {
	ST_UPSERT,
	ST_DETAILS,
	ST_SYNC_GET,
	ST_SYNC_WATERMARK,
	ST_SYNC_RECORD,
	ST_SYNC_LIST,
	ST_RUN_LOG,
	ST_PRUNE,
	ST_PRUNE_FUTURE,
	ST_PRUNE_RUNS,
	ST_VACUUM,
	ST_COUNT_ALL,
	ST_COUNT_ACCOUNT,
	ST__COUNT
};

/*
 * The upsert rewrites a stored row only when a field from the list differs:
 * re-polling the overlap window then costs one index lookup per alert. The
 * details are only ever filled in, never cleared by a list item that has none.
 */
#define UPSERT_SQL                                                                                 \
	"INSERT INTO alerts (sid, account_sid, error_code, log_level, alert_text, more_info,"      \
	" request_method, request_url, resource_sid, service_sid, api_version, url,"               \
	" date_created, date_generated, date_updated, request_variables, response_body,"           \
	" response_headers, request_headers, first_seen, msg, http_response, request_host,"        \
	" source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"       \
	" ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)"                                            \
	" ON CONFLICT (sid) DO UPDATE SET account_sid = excluded.account_sid,"                     \
	" error_code = excluded.error_code, log_level = excluded.log_level,"                       \
	" alert_text = excluded.alert_text, more_info = excluded.more_info,"                       \
	" request_method = excluded.request_method, request_url = excluded.request_url,"           \
	" resource_sid = excluded.resource_sid, service_sid = excluded.service_sid,"               \
	" api_version = excluded.api_version, url = excluded.url,"                                 \
	" date_created = excluded.date_created, date_generated = excluded.date_generated,"         \
	" date_updated = excluded.date_updated,"                                                   \
	" request_variables = coalesce(excluded.request_variables, request_variables),"            \
	" response_body = coalesce(excluded.response_body, response_body),"                        \
	" response_headers = coalesce(excluded.response_headers, response_headers),"               \
	" request_headers = coalesce(excluded.request_headers, request_headers),"                  \
	" msg = excluded.msg, http_response = excluded.http_response,"                             \
	" request_host = excluded.request_host"                                                    \
	" WHERE date_updated IS NOT excluded.date_updated"                                         \
	" OR account_sid IS NOT excluded.account_sid OR error_code IS NOT excluded.error_code"     \
	" OR log_level IS NOT excluded.log_level OR alert_text IS NOT excluded.alert_text"         \
	" OR more_info IS NOT excluded.more_info"                                                  \
	" OR request_method IS NOT excluded.request_method"                                        \
	" OR request_url IS NOT excluded.request_url"                                              \
	" OR resource_sid IS NOT excluded.resource_sid"                                            \
	" OR service_sid IS NOT excluded.service_sid"                                              \
	" OR api_version IS NOT excluded.api_version OR url IS NOT excluded.url"                   \
	" OR date_created IS NOT excluded.date_created"                                            \
	" OR date_generated IS NOT excluded.date_generated"                                        \
	" OR msg IS NOT excluded.msg OR http_response IS NOT excluded.http_response"               \
	" OR request_host IS NOT excluded.request_host"                                            \
	" OR coalesce(excluded.request_variables, request_variables) IS NOT request_variables"     \
	" OR coalesce(excluded.response_body, response_body) IS NOT response_body"                 \
	" OR coalesce(excluded.response_headers, response_headers) IS NOT response_headers"        \
	" OR coalesce(excluded.request_headers, request_headers) IS NOT request_headers"

static const char *const stmt_sql[ST__COUNT] = {
        [ST_UPSERT] = UPSERT_SQL,
        [ST_DETAILS] = "UPDATE alerts SET request_variables = coalesce(?2, request_variables),"
                       " response_body = coalesce(?3, response_body),"
                       " response_headers = coalesce(?4, response_headers),"
                       " request_headers = coalesce(?5, request_headers) WHERE sid = ?1",
        [ST_SYNC_GET] = "SELECT account, account_sid, watermark, last_success, last_attempt,"
                        " last_error, last_error_time, 0 FROM sync_state WHERE account = ?1",
        [ST_SYNC_WATERMARK] = "INSERT INTO sync_state (account, account_sid, watermark)"
                              " VALUES (?1, ?2, ?3) ON CONFLICT (account) DO UPDATE SET"
                              " account_sid = coalesce(excluded.account_sid, account_sid),"
                              " watermark = excluded.watermark",
        [ST_SYNC_RECORD] = "INSERT INTO sync_state (account, account_sid, last_attempt,"
                           " last_success, last_error, last_error_time)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (account) DO UPDATE SET"
                           " account_sid = coalesce(excluded.account_sid, account_sid),"
                           " last_attempt = excluded.last_attempt,"
                           " last_success = coalesce(excluded.last_success, last_success),"
                           " last_error = coalesce(excluded.last_error, last_error),"
                           " last_error_time = coalesce(excluded.last_error_time, last_error_time)",
        [ST_SYNC_LIST] = "SELECT account, account_sid, watermark, last_success, last_attempt,"
                         " last_error, last_error_time,"
                         " (SELECT count(*) FROM alerts AS a WHERE a.account_sid = s.account_sid)"
                         " FROM sync_state AS s ORDER BY account",
        [ST_RUN_LOG] = "INSERT INTO poll_runs (account, started, finished, pages, requests,"
                       " inserted, updated, http_errors, outcome, error)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        [ST_PRUNE] = "DELETE FROM alerts WHERE rowid IN (SELECT rowid FROM alerts"
                     " WHERE date_created < ?1 ORDER BY date_created LIMIT ?2)",
        /*
         * An alert dated after now (a bogus date such as 9999-12-31) goes by when it
         * was first seen instead: it must not stay forever. The date_created index
         * finds the few rows dated in the future.
         */
        [ST_PRUNE_FUTURE] = "DELETE FROM alerts WHERE rowid IN (SELECT rowid FROM alerts"
                            " WHERE date_created > ?3 AND first_seen < ?1 LIMIT ?2)",
        [ST_PRUNE_RUNS] = "DELETE FROM poll_runs WHERE started < ?1",
        [ST_VACUUM] = "PRAGMA incremental_vacuum",
        [ST_COUNT_ALL] = "SELECT count(*) FROM alerts",
        [ST_COUNT_ACCOUNT] = "SELECT count(*) FROM alerts WHERE account_sid = ?1",
};

static const struct store_sql stmts = STORE_SQL_TABLE(STORE_SQL_ALERTS, stmt_sql, false);
_Static_assert(ST__COUNT <= STORE_SQL_MAX, "store-alerts.c has STORE_SQL_MAX statements");

void store_bind_list_fields(sqlite3_stmt *st, const struct alert *a)
{
	STORE_BIND(st, 1, STORE_TEXT(a->sid), STORE_TEXT(a->account_sid),
	           STORE_INT(a->has_error_code, a->error_code), STORE_FIELD(a->log_level),
	           STORE_FIELD(a->alert_text), STORE_FIELD(a->more_info),
	           STORE_FIELD(a->request_method), STORE_FIELD(a->request_url),
	           STORE_FIELD(a->resource_sid), STORE_FIELD(a->service_sid),
	           STORE_FIELD(a->api_version), STORE_FIELD(a->url), STORE_TEXT(a->date_created),
	           STORE_OPT(a->date_generated), STORE_OPT(a->date_updated));
}

int store_upsert_alert(struct store *s, const struct alert *a, int64_t now,
                       enum store_upsert_result *result)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	if (!a->sid || !*a->sid || !a->date_created[0])
		return -EINVAL;
	r = store_stmt(s, &stmts, ST_UPSERT, &st);
	if (r < 0)
		return r;
	/* The polls of one run share @now: format it once. */
	if (now != s->seen_time || !s->seen_text[0]) {
		util_format_time(now, s->seen_text);
		s->seen_time = now;
	}
	/* Every parameter is bound on every call, so no stale pointer is ever used. */
	store_bind_list_fields(st, a);
	STORE_BIND(st, 16, STORE_FIELD(a->request_variables), STORE_FIELD(a->response_body),
	           STORE_FIELD(a->response_headers), STORE_FIELD(a->request_headers),
	           STORE_TEXT(s->seen_text), STORE_FIELD(a->msg),
	           STORE_INT(a->has_http_response, a->http_response), STORE_OPT(a->request_host),
	           STORE_TEXT(a->source ? a->source : "poll"));

	/*
	 * Only the INSERT path sets the last insert rowid, so clearing it first tells
	 * an insert from an update without another query.
	 */
	sqlite3_set_last_insert_rowid(s->db, 0);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "upsert");
	if (result) {
		if (sqlite3_changes(s->db) == 0)
			*result = STORE_UNCHANGED;
		else if (sqlite3_last_insert_rowid(s->db) != 0)
			*result = STORE_INSERTED;
		else
			*result = STORE_UPDATED;
	}
	return 0;
}

int store_set_details(struct store *s, const struct alert *a)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (!a->sid)
		return -EINVAL;
	r = store_stmt(s, &stmts, ST_DETAILS, &st);
	if (r < 0)
		return r;
	STORE_BIND(st, 1, STORE_TEXT(a->sid), STORE_FIELD(a->request_variables),
	           STORE_FIELD(a->response_body), STORE_FIELD(a->response_headers),
	           STORE_FIELD(a->request_headers));
	r = store_step_done(s, st, "details");
	if (r == 0 && sqlite3_changes(s->db) == 0)
		r = -ENOENT;
	return r;
}

/* Fill @st from a row of ST_SYNC_GET or ST_SYNC_LIST. */
static void sync_from_row(sqlite3_stmt *row, struct store_sync_state *st)
{
	memset(st, 0, sizeof(*st));
	store_column_copy(row, 1, st->account_sid, sizeof(st->account_sid));
	st->watermark = store_column_time(row, 2, &st->has_watermark);
	st->last_success = store_column_time(row, 3, NULL);
	st->last_attempt = store_column_time(row, 4, NULL);
	store_column_copy(row, 5, st->last_error, sizeof(st->last_error));
	st->last_error_time = store_column_time(row, 6, NULL);
	st->rows = sqlite3_column_int64(row, 7);
}

int store_sync_get(struct store *s, const char *name, struct store_sync_state *st)
{
	sqlite3_stmt *q = NULL; /* for the analyzer: prepare() sets it when it returns 0 */
	int rc, r;

	memset(st, 0, sizeof(*st));
	r = store_stmt(s, &stmts, ST_SYNC_GET, &q);
	if (r < 0)
		return r;
	store_bind_text(q, 1, name);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		sync_from_row(q, st);
	else if (rc != SQLITE_DONE)
		r = store_fail(s, rc, "sync state");
	sqlite3_reset(q);
	return r;
}

int store_sync_set_watermark(struct store *s, const char *name, const char *account_sid, int64_t wm)
{
	char text[UTIL_TIME_LEN];
	sqlite3_stmt *st = NULL;
	int r;

	r = store_stmt(s, &stmts, ST_SYNC_WATERMARK, &st);
	if (r < 0)
		return r;
	util_format_time(wm, text);
	STORE_BIND(st, 1, STORE_TEXT(name), STORE_TEXT(account_sid), STORE_TEXT(text));
	return store_step_done(s, st, "watermark");
}

int store_sync_record(struct store *s, const char *name, const char *account_sid, int64_t when,
                      const char *error)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = store_stmt(s, &stmts, ST_SYNC_RECORD, &st);
	if (r < 0)
		return r;
	/* A single statement outside a transaction commits on its own. */
	STORE_BIND(st, 1, STORE_TEXT(name), STORE_TEXT(account_sid), STORE_TIME(when),
	           STORE_TIME(error ? 0 : when), STORE_TEXT(error), STORE_TIME(error ? when : 0));
	return store_step_done(s, st, "sync record");
}

int store_run_log(struct store *s, const struct store_run *run)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = store_stmt(s, &stmts, ST_RUN_LOG, &st);
	if (r < 0)
		return r;
	STORE_BIND(st, 1, STORE_TEXT(run->account), STORE_TIME(run->started),
	           STORE_TIME(run->finished), STORE_I64(run->pages), STORE_I64(run->requests),
	           STORE_I64(run->inserted), STORE_I64(run->updated), STORE_I64(run->http_errors),
	           STORE_TEXT(run->outcome ? run->outcome : "error"), STORE_TEXT(run->error));
	return store_step_done(s, st, "run log");
}

int store_sync_list(struct store *s,
                    int (*fn)(const char *name, const struct store_sync_state *st, void *arg),
                    void *arg)
{
	struct store_sync_state state;
	sqlite3_stmt *q = NULL; /* for the analyzer: prepare() sets it when it returns 0 */
	int rc, r;

	r = store_stmt(s, &stmts, ST_SYNC_LIST, &q);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);

		sync_from_row(q, &state);
		r = fn(name ? name : "", &state, arg);
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(s, rc, "sync list");
out:
	sqlite3_reset(q);
	return r;
}

/*
 * Each batch deletes its rows and gives their pages back to the file system in
 * one short transaction, so the writer lock is never held for long and the WAL
 * stays small however much there is to prune.
 */
int store_prune(struct store *s, int64_t cutoff, int64_t now, int batch, volatile int *stop,
                int64_t *deleted)
{
	char text[UTIL_TIME_LEN], now_text[UTIL_TIME_LEN];
	/* NULL for the analyzer, as above. */
	sqlite3_stmt *del = NULL, *future = NULL, *vac = NULL, *runs = NULL;
	int64_t total = 0, n;
	int r;

	if (batch <= 0)
		return -EINVAL;
	util_format_time(cutoff, text);
	util_format_time(now, now_text);
	r = store_stmt(s, &stmts, ST_PRUNE, &del);
	if (r == 0)
		r = store_stmt(s, &stmts, ST_PRUNE_FUTURE, &future);
	if (r == 0)
		r = store_stmt(s, &stmts, ST_VACUUM, &vac);
	if (r == 0)
		r = store_stmt(s, &stmts, ST_PRUNE_RUNS, &runs);
	if (r < 0)
		goto out;
	/* Old alerts by date_created, then those dated in the future by first_seen. */
	for (int pass = 0; pass < 2; pass++) {
		sqlite3_stmt *st = pass ? future : del;

		do {
			if (stop && *stop)
				goto runs;
			r = store_begin(s);
			if (r < 0)
				goto out;
			store_bind_text(st, 1, text);
			sqlite3_bind_int(st, 2, batch);
			if (pass)
				store_bind_text(st, 3, now_text);
			r = store_step_done(s, st, "prune");
			if (r < 0)
				goto out;
			n = sqlite3_changes64(s->db);
			r = store_step_done(s, vac, "incremental vacuum");
			if (r < 0)
				goto out;
			r = store_commit(s);
			if (r < 0)
				goto out;
			total += n;
		} while (n == batch);
	}
runs:
	/* The run log is small (one row per poll); it keeps the same window. */
	store_bind_text(runs, 1, text);
	r = store_step_done(s, runs, "prune runs");
	if (r == 0)
		r = store_step_done(s, vac, "incremental vacuum");
out:
	if (r < 0)
		store_rollback(s);
	if (deleted)
		*deleted = total;
	return r;
}

int store_count_alerts(struct store *s, const char *account_sid, int64_t *count)
{
	sqlite3_stmt *q;
	int rc, r;

	r = store_stmt(s, &stmts, account_sid ? ST_COUNT_ACCOUNT : ST_COUNT_ALL, &q);
	if (r < 0)
		return r;
	if (account_sid)
		store_bind_text(q, 1, account_sid);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*count = sqlite3_column_int64(q, 0);
	else
		r = store_fail(s, rc == SQLITE_DONE ? SQLITE_ERROR : rc, "count");
	sqlite3_reset(q);
	return r;
}

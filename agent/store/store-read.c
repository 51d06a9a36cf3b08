// SPDX-License-Identifier: MIT
/*
 * The read queries behind the web stage (statements cached by store_stmt
 * from stmt_sql). Reads only, but for the push insert. Time windows compare
 * date_created as text with normalised dates, so they use its index.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "store/store-read.h"
#include "store/store-private.h"
#include "base/util.h"

enum {
	Q_ALERTS,
	Q_ALERT_GET,
	Q_GROUPS,
	Q_GROUPS_NEW,
	Q_ACCOUNT_ROWS,
	Q_MAX_ROWID,
	Q_BEGIN,
	Q_END,
	Q_SYNC,
	Q_TABLES,
	Q_TRIGGERS,
	Q_OUTBOX,
	Q_DELIVERED,
	Q_FIRING,
	Q_PUSH,
	Q__COUNT
};
_Static_assert(Q__COUNT <= STORE_SQL_MAX, "store-read.c has STORE_SQL_MAX statements");

const char *const store_http_col_names[SH_COLS] = {
        "sid",
        "account_sid",
        "error_code",
        "log_level",
        "alert_text",
        "more_info",
        "request_method",
        "request_url",
        "resource_sid",
        "service_sid",
        "api_version",
        "url",
        "date_created",
        "date_generated",
        "date_updated",
        "first_seen",
        "msg",
        "http_response",
        "request_host",
        "source",
        "request_variables",
        "response_body",
        "response_headers",
        "request_headers",
};

/* SQL text, laid out as SQL. */
/* clang-format off */
/*
 * A text column as stored, but cut like store_bind_field's when a row from
 * before STORE_FIELD_MAX (or written by someone else) is longer: no reply
 * is made of one huge field.
 */
#define CAPPED(c)                                                                          \
	"CASE WHEN length(CAST(" c " AS BLOB)) > " STORE_FIELD_MAX_STR " THEN CAST(substr(CAST(" c \
	" AS BLOB), 1, " STORE_FIELD_MAX_STR ") AS TEXT) || '" STORE_TRUNCATED_MARK "' ||"        \
	" length(CAST(" c " AS BLOB)) || ' bytes]' ELSE " c " END"
#define STORE_FIELD_MAX_STR "65536"
_Static_assert(STORE_FIELD_MAX == 65536, "STORE_FIELD_MAX_STR is STORE_FIELD_MAX");

#define LIST_COLS                                                                          \
	"sid, account_sid, error_code, log_level, " CAPPED("alert_text") ", "             \
	CAPPED("more_info") ", request_method, " CAPPED("request_url") ", "               \
	CAPPED("resource_sid") ", " CAPPED("service_sid") ", api_version, " CAPPED("url")  \
	", date_created, date_generated, date_updated, first_seen, " CAPPED("msg")         \
	", http_response, request_host, source"
/* clang-format on */

/*
 * Where an alert comes from, as schema/views.sql defines it (keep the two in
 * step): a Twilio REST API host, or a failure of a URL of yours.
 */
#define TWILIO_API_HOST "(request_host = 'twilio.com' OR request_host LIKE '%.twilio.com')"
#define WEBHOOK_FAILURE                                                                            \
	"(request_host != '' AND NOT " TWILIO_API_HOST " AND ((http_response IS NOT NULL"          \
	" AND http_response NOT BETWEEN 200 AND 299) OR error_code BETWEEN 11000 AND 12999))"

/* The origin of a row: "webhook", "api" or NULL (the column after LIST_COLS). */
#define ORIGIN_COL                                                                                 \
	" CASE WHEN " WEBHOOK_FAILURE " THEN 'webhook' WHEN " TWILIO_API_HOST " THEN 'api' END"

/*
 * The bounds are always bound (with sentinels: "" sorts before every date, "~"
 * after), so SQLite seeks the date_created index to the range and walks it
 * backwards, stopping at the limit; a cursor page costs the same at any depth.
 * The other filters are "?N IS NULL OR ...": one statement serves them all.
 */
static const char alerts_sql[] =
        "SELECT " LIST_COLS "," ORIGIN_COL " FROM alerts"
        " WHERE date_created >= ?1 AND date_created <= ?2 AND date_created < ?3"
        " AND (date_created < ?2 OR sid < ?4)"
        " AND (?5 IS NULL OR error_code = ?5) AND (?6 IS NULL OR log_level = ?6)"
        " AND (?7 IS NULL OR account_sid = ?7) AND (?9 IS NULL OR resource_sid = ?9)"
        " ORDER BY date_created DESC, sid DESC LIMIT ?8";

/* clang-format off */
static const char alert_get_sql[] =
	"SELECT " LIST_COLS ", " CAPPED("request_variables") ", " CAPPED("response_body") ", "
	CAPPED("response_headers") ", " CAPPED("request_headers") "," ORIGIN_COL
	" FROM alerts WHERE sid = ?1";
/* clang-format on */

/* The bare columns after max(date_created) come from the row that gave it. */
#define GROUPS_SQL(where)                                                                          \
	"SELECT substr(date_created, 1, 13), account_sid, log_level, error_code,"                  \
	" CASE WHEN " WEBHOOK_FAILURE " THEN request_host END,"                                    \
	" coalesce(" TWILIO_API_HOST ", 0), count(*), max(date_created), msg,"                     \
	" http_response, max(rowid), request_method, request_url"                                  \
	" FROM alerts WHERE " where " GROUP BY 1, 2, 3, 4, 5, 6"

/* A time range uses the date_created index; new rows are a rowid range. */
static const char groups_by_date_sql[] =
        GROUPS_SQL("date_created >= ?1 AND date_created < ?2 AND rowid > ?3");
static const char groups_by_rowid_sql[] = GROUPS_SQL("rowid > ?3");

static const char push_sql[] =
        "INSERT INTO alerts (sid, account_sid, error_code, log_level, alert_text, more_info,"
        " request_method, request_url, resource_sid, service_sid, api_version, url,"
        " date_created, date_generated, date_updated, first_seen, msg, http_response,"
        " request_host, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
        " ?14, ?15, ?16, ?17, ?18, ?19, 'push') ON CONFLICT (sid) DO NOTHING";

/* clang-format off */
static const char *const stmt_sql[Q__COUNT] = {
	[Q_ALERTS] = alerts_sql,
	[Q_ALERT_GET] = alert_get_sql,
	[Q_GROUPS] = groups_by_date_sql,
	[Q_GROUPS_NEW] = groups_by_rowid_sql,
	[Q_ACCOUNT_ROWS] = "SELECT account_sid, count(*) FROM alerts GROUP BY 1",
	[Q_MAX_ROWID] = "SELECT coalesce(max(rowid), 0) FROM alerts",
	[Q_BEGIN] = "BEGIN",
	[Q_END] = "COMMIT",
	[Q_SYNC] = "SELECT account, account_sid, watermark, last_success, last_attempt, last_error,"
	           " last_error_time FROM sync_state ORDER BY account",
	[Q_TABLES] = "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
	             " AND name IN ('trigger_state', 'outbox')",
	[Q_TRIGGERS] = "SELECT count(*) FROM trigger_state WHERE state = 'firing'",
	[Q_OUTBOX] = "SELECT channel, count(*), min(created), count(*) FILTER (WHERE attempts > 0),"
	             " min(next_attempt), max(last_attempt), last_error"
	             " FROM outbox WHERE delivered IS NULL GROUP BY channel ORDER BY channel",
	[Q_DELIVERED] = "SELECT count(*) FROM outbox WHERE delivered IS NOT NULL",
	[Q_FIRING] = "SELECT trigger_name, group_value, since, count FROM trigger_state"
	             " WHERE state = 'firing' ORDER BY since DESC LIMIT ?1",
	[Q_PUSH] = push_sql,
};
/* clang-format on */

static const struct store_sql stmts = STORE_SQL_TABLE(STORE_SQL_READ, stmt_sql, false);

/* The @ncols columns of a row, then its origin column. */
static void row_of(sqlite3_stmt *st, int ncols, struct store_http_alert *row)
{
	memset(row, 0, sizeof(*row));
	for (int i = 0; i < ncols; i++)
		row->col[i] = (const char *)sqlite3_column_text(st, i);
	row->origin = (const char *)sqlite3_column_text(st, ncols);
}

int store_http_alerts(struct store *s, const struct store_http_filter *f,
                      int (*fn)(const struct store_http_alert *row, void *arg), void *arg)
{
	struct store_http_alert row;
	sqlite3_stmt *st;
	int rc, r;

	if (f->limit < 1 || f->limit > STORE_HTTP_LIMIT_MAX)
		return -EINVAL;
	r = store_stmt(s, &stmts, Q_ALERTS, &st);
	if (r < 0)
		return r;
	STORE_BIND(st, 1, STORE_TEXT(f->since ? f->since : ""),
	           STORE_TEXT(f->after_date ? f->after_date : "~"),
	           STORE_TEXT(f->until ? f->until : "~"),
	           STORE_TEXT(f->after_sid ? f->after_sid : ""),
	           STORE_INT(f->has_error_code, f->error_code), STORE_OPT(f->log_level),
	           STORE_OPT(f->account_sid), STORE_I64(f->limit), STORE_OPT(f->resource_sid));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_of(st, SH_LIST_COLS, &row);
		r = fn(&row, arg);
		if (r)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(s, rc, "alerts list");
out:
	sqlite3_reset(st);
	return r;
}

int store_http_alert_get(struct store *s, const char *sid,
                         int (*fn)(const struct store_http_alert *row, void *arg), void *arg)
{
	struct store_http_alert row;
	sqlite3_stmt *st;
	int rc, r;

	r = store_stmt(s, &stmts, Q_ALERT_GET, &st);
	if (r < 0)
		return r;
	store_bind_text(st, 1, sid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		row_of(st, SH_COLS, &row);
		r = fn(&row, arg);
	} else if (rc == SQLITE_DONE) {
		r = -ENOENT;
	} else {
		r = store_fail(s, rc, "alert");
	}
	sqlite3_reset(st);
	return r;
}

int store_http_groups(struct store *s, const char *since, const char *until, int64_t after_rowid,
                      int (*fn)(const struct store_http_group *g, void *arg), void *arg)
{
	struct store_http_group g;
	sqlite3_stmt *st;
	int rc, r;

	if (since || until)
		r = store_stmt(s, &stmts, Q_GROUPS, &st);
	else
		r = store_stmt(s, &stmts, Q_GROUPS_NEW, &st);
	if (r < 0)
		return r;
	if (since || until) {
		STORE_BIND(st, 1, STORE_TEXT(since ? since : ""), STORE_TEXT(until ? until : "~"));
	}
	sqlite3_bind_int64(st, 3, after_rowid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&g, 0, sizeof(g));
		g.hour = (const char *)sqlite3_column_text(st, 0);
		g.account_sid = (const char *)sqlite3_column_text(st, 1);
		g.log_level = (const char *)sqlite3_column_text(st, 2);
		g.has_error_code = sqlite3_column_type(st, 3) == SQLITE_INTEGER;
		g.error_code = sqlite3_column_int64(st, 3);
		g.failing_host = (const char *)sqlite3_column_text(st, 4);
		g.api_error = sqlite3_column_int(st, 5) != 0;
		g.count = sqlite3_column_int64(st, 6);
		g.last_seen = (const char *)sqlite3_column_text(st, 7);
		g.msg = (const char *)sqlite3_column_text(st, 8);
		g.has_http_response = sqlite3_column_type(st, 9) == SQLITE_INTEGER;
		g.http_response = sqlite3_column_int64(st, 9);
		g.max_rowid = sqlite3_column_int64(st, 10);
		g.request_method = (const char *)sqlite3_column_text(st, 11);
		g.request_url = (const char *)sqlite3_column_text(st, 12);
		r = fn(&g, arg);
		if (r)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(s, rc, "alert groups");
out:
	sqlite3_reset(st);
	return r;
}

int store_http_account_rows(struct store *s,
                            int (*fn)(const char *account_sid, int64_t rows, void *arg), void *arg)
{
	sqlite3_stmt *st;
	int rc, r;

	r = store_stmt(s, &stmts, Q_ACCOUNT_ROWS, &st);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = fn((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1), arg);
		if (r)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(s, rc, "account rows");
out:
	sqlite3_reset(st);
	return r;
}

int store_http_max_rowid(struct store *s, int64_t *out)
{
	sqlite3_stmt *st;
	int rc, r;

	r = store_stmt(s, &stmts, Q_MAX_ROWID, &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		r = store_fail(s, rc == SQLITE_DONE ? SQLITE_ERROR : rc, "max rowid");
	sqlite3_reset(st);
	return r;
}

int store_http_read_begin(struct store *s)
{
	sqlite3_stmt *st;
	int r = store_stmt(s, &stmts, Q_BEGIN, &st);

	return r < 0 ? r : store_step_done(s, st, "begin read");
}

void store_http_read_end(struct store *s)
{
	sqlite3_stmt *st;

	if (!s || sqlite3_get_autocommit(s->db))
		return;
	if (store_stmt(s, &stmts, Q_END, &st) == 0)
		store_step_done(s, st, "end read");
}

int store_http_sync_list(struct store *s, struct store_http_sync *out, size_t max, size_t *n)
{
	sqlite3_stmt *st;
	int rc, r;

	*n = 0;
	r = store_stmt(s, &stmts, Q_SYNC, &st);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
		struct store_http_sync *y = &out[(*n)++];

		memset(y, 0, sizeof(*y));
		store_column_copy(st, 0, y->account, sizeof(y->account));
		store_column_copy(st, 1, y->st.account_sid, sizeof(y->st.account_sid));
		y->st.watermark = store_column_time(st, 2, &y->st.has_watermark);
		y->st.last_success = store_column_time(st, 3, NULL);
		y->st.last_attempt = store_column_time(st, 4, NULL);
		store_column_copy(st, 5, y->st.last_error, sizeof(y->st.last_error));
		y->st.last_error_time = store_column_time(st, 6, NULL);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store_fail(s, rc, "sync state");
	sqlite3_reset(st);
	return r;
}

/*
 * TRIGGERS: the trigger state and outbox tables come with the triggers
 * migration (schema/0002-triggers.sql, another module). Until a database has
 * both, these report "not available"; the queries below name their tables.
 */
static int has_trigger_tables(struct store *s, bool *yes)
{
	sqlite3_stmt *st;
	int rc, r;

	*yes = false;
	r = store_stmt(s, &stmts, Q_TABLES, &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*yes = sqlite3_column_int(st, 0) == 2;
	else
		r = store_fail(s, rc, "schema");
	sqlite3_reset(st);
	return r;
}

int store_http_triggers(struct store *s, struct store_http_triggers *out)
{
	sqlite3_stmt *st;
	bool yes;
	int rc, r;

	memset(out, 0, sizeof(*out));
	r = has_trigger_tables(s, &yes);
	if (r < 0 || !yes)
		return r;
	r = store_stmt(s, &stmts, Q_TRIGGERS, &st);
	if (r < 0)
		return 0; /* another layout than this file knows: show nothing */
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		out->firing = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	/* Bare last_error comes from the row that gave max(last_attempt). */
	r = store_stmt(s, &stmts, Q_OUTBOX, &st);
	if (r < 0)
		return 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_http_channel *c = &out->channels[out->n_channels];
		int64_t oldest = store_column_time(st, 2, NULL);

		out->pending += sqlite3_column_int64(st, 1);
		out->failed += sqlite3_column_int64(st, 3);
		if (oldest && (!out->oldest_pending || oldest < out->oldest_pending))
			out->oldest_pending = oldest;
		if (out->n_channels == STORE_HTTP_CHANNELS_MAX)
			continue;
		store_column_copy(st, 0, c->channel, sizeof(c->channel));
		c->pending = sqlite3_column_int64(st, 1);
		c->oldest = oldest;
		c->failed = sqlite3_column_int64(st, 3);
		c->next_attempt = store_column_time(st, 4, NULL);
		c->last_attempt = store_column_time(st, 5, NULL);
		store_column_copy(st, 6, c->last_error, sizeof(c->last_error));
		if (!c->last_attempt)
			c->last_error[0] = '\0';
		out->n_channels++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "outbox");
	r = store_stmt(s, &stmts, Q_DELIVERED, &st);
	if (r < 0)
		return r;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		out->delivered = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	out->available = true;
	return 0;
}

int store_http_firing_list(struct store *s, int max,
                           int (*fn)(const struct store_http_firing *f, void *arg), void *arg)
{
	struct store_http_firing f;
	sqlite3_stmt *st;
	bool yes;
	int rc, r;

	r = has_trigger_tables(s, &yes);
	if (r < 0 || !yes)
		return r;
	if (store_stmt(s, &stmts, Q_FIRING, &st) < 0)
		return 0;
	sqlite3_bind_int(st, 1, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		f.trigger = (const char *)sqlite3_column_text(st, 0);
		f.group = (const char *)sqlite3_column_text(st, 1);
		f.since = (const char *)sqlite3_column_text(st, 2);
		f.count = sqlite3_column_int64(st, 3);
		r = fn(&f, arg);
		if (r)
			break;
	}
	sqlite3_reset(st);
	return r;
}

int store_http_insert_push(struct store *s, const struct alert *a, int64_t now, bool *inserted)
{
	char seen[UTIL_TIME_LEN];
	sqlite3_stmt *st;
	int r;

	if (!a->sid || !*a->sid || !a->date_created[0])
		return -EINVAL;
	r = store_stmt(s, &stmts, Q_PUSH, &st);
	if (r < 0)
		return r;
	util_format_time(now, seen);
	store_bind_list_fields(st, a);
	STORE_BIND(st, 16, STORE_TEXT(seen), STORE_FIELD(a->msg),
	           STORE_INT(a->has_http_response, a->http_response), STORE_OPT(a->request_host));
	r = store_step_done(s, st, "push insert");
	if (r == 0 && inserted)
		*inserted = sqlite3_changes(s->db) > 0;
	return r;
}

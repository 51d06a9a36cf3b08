// SPDX-License-Identifier: MIT
/*
 * Tests of the SQLite store on a database in a temporary directory. A second
 * connection opened directly with SQLite reads back what the store wrote and
 * plays the other process that holds a lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"
#include "test.h"
#include "base/util.h"

extern const unsigned store_n_migrations;

static char dir[64];
static char path[128];

/* A list item: the details are NULL, as in a page of the list. */
static void make_alert(struct alert *a, const char *sid, int64_t created, int code)
{
	memset(a, 0, sizeof(*a));
	a->sid = sid;
	a->account_sid = "AC00000000000000000000000000000001";
	a->has_error_code = true;
	a->error_code = code;
	a->log_level = "error";
	a->alert_text = "Msg=HTTP+retrieval+failure&httpResponse=502&url=https%3A%2F%2Fh.example";
	a->more_info = "https://www.twilio.com/docs/errors/11200";
	a->request_method = "POST";
	a->request_url = "https://h.example/voice";
	a->resource_sid = "CA00000000000000000000000000000002";
	a->service_sid = "MG00000000000000000000000000000003";
	a->api_version = "2010-04-01";
	a->url = "https://monitor.twilio.com/v1/Alerts/x";
	util_format_time(created, a->date_created);
	util_format_time(created + 1, a->date_generated);
	util_format_time(created + 2, a->date_updated);
	a->created = created;
	a->msg = (char *)"HTTP retrieval failure";
	a->has_http_response = true;
	a->http_response = 502;
	snprintf(a->request_host, sizeof(a->request_host), "h.example");
	a->source = "poll";
}

/* One value of a query on the test's own connection, as text ("(null)" for NULL). */
static const char *query_text(sqlite3 *db, const char *sql, const char *arg)
{
	static char buf[1024];
	sqlite3_stmt *st = NULL;

	snprintf(buf, sizeof(buf), "(error)");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "prepare %s: %s\n", sql, sqlite3_errmsg(db));
		return buf;
	}
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		snprintf(buf, sizeof(buf), "%s", t ? t : "(null)");
	} else {
		snprintf(buf, sizeof(buf), "(no row)");
	}
	sqlite3_finalize(st);
	return buf;
}

static long long query_int(sqlite3 *db, const char *sql, const char *arg)
{
	return atoll(query_text(db, sql, arg));
}

static void test_open(void)
{
	struct store *s = NULL;
	struct stat sb;
	char wal[160];
	sqlite3 *db;

	CHECK_INT(store_open(path, false, &s), 0);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	CHECK(stat(wal, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	CHECK(stat(wal, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(query_int(db, "PRAGMA user_version", NULL), store_n_migrations);
	CHECK_INT(query_int(db, "PRAGMA auto_vacuum", NULL), 2);
	CHECK_STR(query_text(db, "PRAGMA journal_mode", NULL), "wal");
	CHECK_INT(query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'view'", NULL), 8);
	store_close(s);

	/* Opening again changes nothing and keeps the data. */
	CHECK_INT(store_open(path, false, &s), 0);
	CHECK_INT(query_int(db, "PRAGMA user_version", NULL), store_n_migrations);
	CHECK_INT(query_int(db,
	                    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN"
	                    " ('alerts', 'sync_state', 'poll_runs')",
	                    NULL),
	          3);
	store_close(s);
	sqlite3_close(db);
	store_close(NULL);
}

static void test_open_errors(void)
{
	struct store *s = NULL;
	char p[160];
	sqlite3 *db;

	snprintf(p, sizeof(p), "%s/missing.db", dir);
	CHECK_INT(store_open(p, true, &s), -ENOENT);
	snprintf(p, sizeof(p), "%s/no/such/dir.db", dir);
	CHECK_INT(store_open(p, false, &s), -ENOENT);

	/* A read-only open refuses a schema it does not know and does not migrate. */
	snprintf(p, sizeof(p), "%s/old.db", dir);
	CHECK_INT(sqlite3_open(p, &db), SQLITE_OK);
	sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL);
	CHECK_INT(store_open(p, true, &s), -EPROTO);
	CHECK_INT(query_int(db, "PRAGMA user_version", NULL), 0);
	/* A database from a newer agent is refused read-write too. */
	sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL);
	CHECK_INT(store_open(p, false, &s), -EPROTO);
	CHECK_INT(query_int(db, "PRAGMA user_version", NULL), 999);
	sqlite3_close(db);
}

/*
 * A field over STORE_FIELD_MAX bytes is stored cut at a character boundary
 * with the mark and its size, from the poll's upsert and the details alike;
 * the same cut again changes nothing.
 */
static void test_field_cap(sqlite3 *db, struct store *s)
{
	enum store_upsert_result res = 99;
	size_t len = STORE_FIELD_MAX + 1000;
	char *big = malloc(len + 1), want[STORE_FIELD_MAX + 100];
	struct alert a;
	int64_t t = util_now() - 86400;

	if (!big)
		return;
	/* "é" (2 bytes) from byte 1: byte STORE_FIELD_MAX is a continuation byte. */
	big[0] = 'M';
	for (size_t i = 1; i + 1 < len; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[len - 1] = 'z';
	big[len] = '\0';
	CHECK(((unsigned char)big[STORE_FIELD_MAX] & 0xc0) == 0x80);
	snprintf(want, sizeof(want), "%.*s%s%zu bytes]", STORE_FIELD_MAX - 1, big,
	         STORE_TRUNCATED_MARK, len);
	make_alert(&a, "NO000000000000000000000000000000c1", t, 11200);
	a.alert_text = big;
	CHECK_INT(store_upsert_alert(s, &a, t, &res), 0);
	CHECK_INT(res, STORE_INSERTED);
#define CAPPED_ROW "FROM alerts WHERE sid = 'NO000000000000000000000000000000c1'"
	CHECK(query_int(db, "SELECT alert_text = ?1 " CAPPED_ROW, want) == 1);
	CHECK(query_int(db, "SELECT length(CAST(alert_text AS BLOB)) " CAPPED_ROW, NULL) ==
	      (int64_t)strlen(want));
	CHECK_INT(store_upsert_alert(s, &a, t, &res), 0);
	CHECK_INT(res, STORE_UNCHANGED);
	/* Exactly at the cap: kept whole. */
	big[STORE_FIELD_MAX - 1] = 'y';
	big[STORE_FIELD_MAX] = '\0';
	a.response_body = big;
	CHECK_INT(store_set_details(s, &a), 0);
	CHECK(query_int(db, "SELECT response_body = ?1 " CAPPED_ROW, big) == 1);
#undef CAPPED_ROW
	free(big);
	/* The tests after this one count rows. */
	CHECK_INT(sqlite3_exec(
	                  db, "DELETE FROM alerts WHERE sid = 'NO000000000000000000000000000000c1'",
	                  NULL, NULL, NULL),
	          SQLITE_OK);
}

static void test_upsert(sqlite3 *db, struct store *s)
{
	enum store_upsert_result res = 99;
	struct alert a;
	int64_t t = util_now() - 3 * 86400;

	make_alert(&a, "NO00000000000000000000000000000001", t, 11200);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_upsert_alert(s, &a, t + 60, &res), 0);
	CHECK_INT(res, STORE_INSERTED);
	CHECK_INT(store_upsert_alert(s, &a, t + 120, &res), 0);
	CHECK_INT(res, STORE_UNCHANGED);
	util_format_time(t + 300, a.date_updated);
	CHECK_INT(store_upsert_alert(s, &a, t + 180, &res), 0);
	CHECK_INT(res, STORE_UPDATED);
	a.log_level = "warning";
	CHECK_INT(store_upsert_alert(s, &a, t + 181, NULL), 0);
	CHECK_INT(store_commit(s), 0);

	/* Every column round-trips; first_seen is the time of the insert. */
	const char *sid = a.sid;
#define COL(c) query_text(db, "SELECT " c " FROM alerts WHERE sid = ?", sid)
	char when[UTIL_TIME_LEN];
	CHECK_STR(COL("sid"), sid);
	CHECK_STR(COL("account_sid"), a.account_sid);
	CHECK_STR(COL("error_code"), "11200");
	CHECK_STR(COL("typeof(error_code)"), "integer");
	CHECK_STR(COL("log_level"), "warning");
	CHECK_STR(COL("alert_text"), a.alert_text);
	CHECK_STR(COL("more_info"), a.more_info);
	CHECK_STR(COL("request_method"), "POST");
	CHECK_STR(COL("request_url"), a.request_url);
	CHECK_STR(COL("resource_sid"), a.resource_sid);
	CHECK_STR(COL("service_sid"), a.service_sid);
	CHECK_STR(COL("api_version"), "2010-04-01");
	CHECK_STR(COL("url"), a.url);
	CHECK_STR(COL("date_created"), a.date_created);
	CHECK_STR(COL("date_generated"), a.date_generated);
	CHECK_STR(COL("date_updated"), a.date_updated);
	CHECK_STR(COL("request_variables"), "(null)");
	CHECK_STR(COL("response_body"), "(null)");
	CHECK_STR(COL("response_headers"), "(null)");
	CHECK_STR(COL("request_headers"), "(null)");
	util_format_time(t + 60, when);
	CHECK_STR(COL("first_seen"), when);
	CHECK_STR(COL("msg"), "HTTP retrieval failure");
	CHECK_STR(COL("http_response"), "502");
	CHECK_STR(COL("typeof(http_response)"), "integer");
	CHECK_STR(COL("request_host"), "h.example");
	CHECK_STR(COL("source"), "poll");

	/* Absent values are NULL, not "". */
	make_alert(&a, "NO00000000000000000000000000000002", t, 0);
	a.has_error_code = false;
	a.has_http_response = false;
	a.service_sid = NULL;
	a.msg = NULL;
	a.request_host[0] = '\0';
	a.date_generated[0] = '\0';
	a.source = "push";
	CHECK_INT(store_upsert_alert(s, &a, t, &res), 0);
	CHECK_INT(res, STORE_INSERTED);
	sid = a.sid;
	CHECK_STR(COL("error_code"), "(null)");
	CHECK_STR(COL("http_response"), "(null)");
	CHECK_STR(COL("service_sid"), "(null)");
	CHECK_STR(COL("msg"), "(null)");
	CHECK_STR(COL("request_host"), "(null)");
	CHECK_STR(COL("date_generated"), "(null)");
	CHECK_STR(COL("source"), "push");

	/* Details: set on a stored row, kept when a later list item has none. */
	a.request_variables = "To=%2B15005550006";
	a.response_body = "<Response/>";
	a.response_headers = "Content-Type=text%2Fxml";
	a.request_headers = "User-Agent=TwilioProxy";
	CHECK_INT(store_set_details(s, &a), 0);
	CHECK_STR(COL("response_body"), "<Response/>");
	a.request_variables = a.response_body = a.response_headers = a.request_headers = NULL;
	CHECK_INT(store_upsert_alert(s, &a, t + 500, &res), 0);
	CHECK_INT(res, STORE_UNCHANGED);
	a.log_level = "warning";
	CHECK_INT(store_upsert_alert(s, &a, t + 500, &res), 0);
	CHECK_INT(res, STORE_UPDATED);
	CHECK_STR(COL("request_variables"), "To=%2B15005550006");
	CHECK_STR(COL("response_body"), "<Response/>");
	CHECK_STR(COL("response_headers"), "Content-Type=text%2Fxml");
	CHECK_STR(COL("request_headers"), "User-Agent=TwilioProxy");
	/* An alert that comes with details (a fetched instance) updates them. */
	a.response_body = "<Response><Say/></Response>";
	CHECK_INT(store_upsert_alert(s, &a, t + 500, &res), 0);
	CHECK_INT(res, STORE_UPDATED);
	CHECK_STR(COL("response_body"), "<Response><Say/></Response>");
	CHECK_STR(COL("request_headers"), "User-Agent=TwilioProxy");
#undef COL

	a.sid = "NO00000000000000000000000000000099";
	CHECK_INT(store_set_details(s, &a), -ENOENT);
	a.sid = NULL;
	CHECK_INT(store_upsert_alert(s, &a, t, &res), -EINVAL);
	a.sid = "NO00000000000000000000000000000098";
	a.date_created[0] = '\0';
	CHECK_INT(store_upsert_alert(s, &a, t, &res), -EINVAL);

	/* A rolled-back transaction leaves nothing behind. */
	int64_t before, after;
	CHECK_INT(store_count_alerts(s, NULL, &before), 0);
	CHECK_INT(before, 2);
	CHECK_INT(store_begin(s), 0);
	make_alert(&a, "NO00000000000000000000000000000003", t, 11200);
	CHECK_INT(store_upsert_alert(s, &a, t, &res), 0);
	CHECK_INT(store_count_alerts(s, NULL, &after), 0);
	CHECK_INT(after, 3);
	store_rollback(s);
	CHECK_INT(store_count_alerts(s, NULL, &after), 0);
	CHECK_INT(after, 2);
	CHECK_INT(query_int(db, "SELECT count(*) FROM alerts WHERE sid = ?", a.sid), 0);
	store_rollback(s); /* no transaction: a no-op */
	CHECK_INT(store_count_alerts(s, "AC00000000000000000000000000000001", &after), 0);
	CHECK_INT(after, 2);
	CHECK_INT(store_count_alerts(s, "ACffffffffffffffffffffffffffffffff", &after), 0);
	CHECK_INT(after, 0);
}

struct list_seen {
	int calls;
	char names[4][16];
	int64_t rows[4];
};

static int list_cb(const char *name, const struct store_sync_state *st, void *arg)
{
	struct list_seen *seen = arg;

	if (seen->calls < 4) {
		snprintf(seen->names[seen->calls], sizeof(seen->names[0]), "%s", name);
		seen->rows[seen->calls] = st->rows;
	}
	seen->calls++;
	return 0;
}

static int list_stop(const char *name, const struct store_sync_state *st, void *arg)
{
	return 7;
}

static void test_sync(sqlite3 *db, struct store *s)
{
	struct store_sync_state st;
	struct list_seen seen = {0};
	const char *ac = "AC00000000000000000000000000000001";
	int64_t t = 1760000000;

	memset(&st, 0xff, sizeof(st));
	CHECK_INT(store_sync_get(s, "main", &st), 0);
	CHECK(!st.has_watermark);
	CHECK_INT(st.last_success, 0);
	CHECK_INT(st.last_attempt, 0);
	CHECK_STR(st.last_error, "");

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_sync_set_watermark(s, "main", ac, t), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_sync_get(s, "main", &st), 0);
	CHECK(st.has_watermark);
	CHECK_INT(st.watermark, t);
	CHECK_STR(st.account_sid, ac);
	CHECK_STR(query_text(db, "SELECT watermark FROM sync_state WHERE account = ?", "main"),
	          "2025-10-09T08:53:20Z");

	CHECK_INT(store_sync_record(s, "main", ac, t + 10, NULL), 0);
	CHECK_INT(store_sync_record(s, "main", ac, t + 20, "HTTP 503 from monitor.twilio.com"), 0);
	CHECK_INT(store_sync_get(s, "main", &st), 0);
	CHECK_INT(st.watermark, t);
	CHECK_INT(st.last_success, t + 10);
	CHECK_INT(st.last_attempt, t + 20);
	CHECK_INT(st.last_error_time, t + 20);
	CHECK_STR(st.last_error, "HTTP 503 from monitor.twilio.com");
	CHECK_STR(query_text(db, "SELECT state FROM sync_status WHERE account = ?", "main"),
	          "failing");
	CHECK_INT(store_sync_record(s, "main", ac, t + 30, NULL), 0);
	CHECK_INT(store_sync_get(s, "main", &st), 0);
	CHECK_INT(st.last_success, t + 30);
	CHECK_INT(st.last_attempt, t + 30);
	CHECK_STR(query_text(db, "SELECT state FROM sync_status WHERE account = ?", "main"), "ok");
	CHECK_INT(query_int(db, "SELECT alerts FROM sync_status WHERE account = ?", "main"), 2);

	/* A watermark move keeps the attempt history. */
	CHECK_INT(store_sync_set_watermark(s, "main", ac, t + 3600), 0);
	CHECK_INT(store_sync_get(s, "main", &st), 0);
	CHECK_INT(st.watermark, t + 3600);
	CHECK_INT(st.last_success, t + 30);

	CHECK_INT(store_sync_record(s, "a-sub", "AC0000000000000000000000000000000f", t, "x"), 0);
	CHECK_STR(query_text(db, "SELECT state FROM sync_status WHERE account = ?", "a-sub"),
	          "failing");
	CHECK_INT(store_sync_list(s, list_cb, &seen), 0);
	CHECK_INT(seen.calls, 2);
	CHECK_STR(seen.names[0], "a-sub");
	CHECK_STR(seen.names[1], "main");
	CHECK_INT(seen.rows[0], 0);
	CHECK_INT(seen.rows[1], 2);
	CHECK_INT(store_sync_list(s, list_stop, NULL), 7);

	/* The poll-run log. */
	struct store_run run = {
	        .account = "main",
	        .started = t,
	        .finished = t + 5,
	        .pages = 3,
	        .requests = 4,
	        .inserted = 2500,
	        .updated = 7,
	        .http_errors = 1,
	        .outcome = "ok",
	};
	CHECK_INT(store_run_log(s, &run), 0);
	run.outcome = "unavailable";
	run.error = "HTTP 503";
	run.finished = 0;
	CHECK_INT(store_run_log(s, &run), 0);
	CHECK_INT(query_int(db, "SELECT count(*) FROM poll_runs WHERE account = ?", "main"), 2);
	CHECK_STR(query_text(db,
	                     "SELECT started || ' ' || finished || ' ' || pages || ' ' || requests"
	                     " || ' ' || inserted || ' ' || updated || ' ' || http_errors || ' ' ||"
	                     " outcome || ' ' || coalesce(error, '-') FROM poll_runs WHERE id = 1",
	                     NULL),
	          "2025-10-09T08:53:20Z 2025-10-09T08:53:25Z 3 4 2500 7 1 ok -");
	CHECK_STR(query_text(db,
	                     "SELECT coalesce(finished, '-') || ' ' || outcome || ' ' || error"
	                     " FROM poll_runs WHERE id = 2",
	                     NULL),
	          "- unavailable HTTP 503");
}

static void test_views(sqlite3 *db, struct store *s)
{
	char sid[40];
	struct alert a;
	int64_t now = util_now();
	int n = 0;

	CHECK_INT(store_begin(s), 0);
	/* Within the hour: 3 x 11200, 1 x 11205; within the day: 2 more 11200; older: 1. */
	static const struct {
		int64_t age;
		int code;
		const char *url;
	} rows[] = {
	        {600, 11200, "https://a.example/one"},       {700, 11200, "https://a.example/one"},
	        {800, 11200, "https://b.example/two"},       {900, 11205, "https://a.example/one"},
	        {7200, 11200, "https://a.example/one"},      {7300, 11200, NULL},
	        {3 * 86400, 11205, "https://c.example/old"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		snprintf(sid, sizeof(sid), "NOv%031d", n++);
		make_alert(&a, sid, now - rows[i].age, rows[i].code);
		a.request_url = rows[i].url;
		if (!rows[i].url) /* as alert.c derives it */
			a.request_host[0] = '\0';
		a.http_response = 500 + (int64_t)i;
		CHECK_INT(store_upsert_alert(s, &a, now, NULL), 0);
	}
	CHECK_INT(store_commit(s), 0);

	CHECK_INT(query_int(db, "SELECT alerts FROM alerts_by_code_1h WHERE error_code = 11200",
	                    NULL),
	          3);
	CHECK_INT(query_int(db, "SELECT alerts FROM alerts_by_code_1h WHERE error_code = 11205",
	                    NULL),
	          1);
	CHECK_INT(query_int(db, "SELECT count(*) FROM alerts_by_code_1h", NULL), 2);
	CHECK_INT(query_int(db, "SELECT alerts FROM alerts_by_code_24h WHERE error_code = 11200",
	                    NULL),
	          5);
	CHECK_INT(query_int(db, "SELECT error_code FROM alerts_by_code_24h", NULL), 11200);
	CHECK_INT(query_int(db, "SELECT count(*) FROM failing_webhooks", NULL), 2);
	CHECK_INT(query_int(db, "SELECT alerts FROM failing_webhooks WHERE request_url = ?",
	                    "https://a.example/one"),
	          4);
	/* The newest alert for that URL (age 600) had http_response 500. */
	CHECK_INT(query_int(db,
	                    "SELECT last_http_response FROM failing_webhooks"
	                    " WHERE request_url = ?",
	                    "https://a.example/one"),
	          500);
	CHECK_STR(query_text(db, "SELECT request_host FROM failing_webhooks", NULL), "h.example");
	snprintf(sid, sizeof(sid), "NOv%031d", 0);
	CHECK_STR(query_text(db, "SELECT sid FROM latest_alerts", NULL), sid);
	CHECK_INT(query_int(db, "SELECT count(*) FROM latest_alerts", NULL), 9);
}

/*
 * Webhook failures vs REST API errors (schema/views.sql): only failures of your URLs
 * are failing_webhooks (a 2xx status counts only with an 11xxx/12xxx code); Twilio's
 * API hosts go to failing_api_calls. The rows are removed again afterwards.
 */
static void test_views_origin(sqlite3 *db, struct store *s)
{
	static const struct {
		int code;
		const char *url, *host;
		int http; /* 0 = no httpResponse */
	} rows[] = {
	        {21610, "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
	         "api.twilio.com", 0},
	        {21610, "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
	         "api.twilio.com", 0},
	        {20003, "https://api.dublin.ie1.twilio.com/2010-04-01/Calls.json",
	         "api.dublin.ie1.twilio.com", 0},
	        {30003, "https://ok.example/status", "ok.example", 0},
	        {82002, "https://ok.example/fn", "ok.example", 200},
	        {13227, "https://dial.example/voice", "dial.example", 0},
	        {12100, "https://twiml.example/voice", "twiml.example", 200},
	        {82002, "https://fn-1.twil.io/handler", "fn-1.twil.io", 500},
	        {11205, "https://eviltwilio.com/x", "eviltwilio.com", 0},
	};
	char sid[40];
	struct alert a;
	int64_t now = util_now();

	CHECK_INT(store_begin(s), 0);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		snprintf(sid, sizeof(sid), "NOw%031zu", i);
		make_alert(&a, sid, now - 3 * 3600 - (int64_t)i, rows[i].code);
		a.request_url = rows[i].url;
		snprintf(a.request_host, sizeof(a.request_host), "%s", rows[i].host);
		a.has_http_response = rows[i].http != 0;
		a.http_response = rows[i].http;
		CHECK_INT(store_upsert_alert(s, &a, now, NULL), 0);
	}
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(
	        query_int(db, "SELECT count(*) FROM webhook_failures WHERE sid LIKE 'NOw%'", NULL),
	        3);
	CHECK_STR(query_text(db,
	                     "SELECT group_concat(request_host, ' ') FROM (SELECT request_host"
	                     " FROM failing_webhooks WHERE request_host NOT LIKE '%h.example'"
	                     " ORDER BY request_host)",
	                     NULL),
	          "eviltwilio.com fn-1.twil.io twiml.example");
	CHECK_INT(query_int(db,
	                    "SELECT last_http_response FROM failing_webhooks"
	                    " WHERE request_host = ?",
	                    "twiml.example"),
	          200);
	CHECK_INT(query_int(db,
	                    "SELECT last_error_code FROM failing_webhooks"
	                    " WHERE request_host = ?",
	                    "twiml.example"),
	          12100);
	CHECK_INT(query_int(db, "SELECT count(*) FROM rest_api_errors", NULL), 3);
	CHECK_INT(query_int(db, "SELECT alerts FROM failing_api_calls WHERE error_code = 21610",
	                    NULL),
	          2);
	CHECK_INT(query_int(db, "SELECT count(*) FROM failing_api_calls", NULL), 2);
	CHECK_INT(query_int(db,
	                    "SELECT count(*) FROM failing_webhooks WHERE request_host LIKE"
	                    " '%twilio.com' AND request_host != 'eviltwilio.com'",
	                    NULL),
	          0);
	CHECK_INT(sqlite3_exec(db, "DELETE FROM alerts WHERE sid LIKE 'NOw%'", NULL, NULL, NULL),
	          SQLITE_OK);
}

static void test_busy(sqlite3 *db, struct store *s)
{
	int64_t t0, waited;

	store_set_busy_timeout(s, 300);
	CHECK_INT(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	t0 = util_mono_ms();
	CHECK_INT(store_begin(s), -EBUSY);
	waited = util_mono_ms() - t0;
	CHECK(waited >= 250);
	CHECK(waited < 5000);
	CHECK(strstr(store_errmsg(s), "locked") != NULL);
	CHECK_INT(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_commit(s), 0);
	store_set_busy_timeout(s, STORE_BUSY_TIMEOUT_MS);
}

static void test_prune(sqlite3 *db, struct store *s)
{
	enum { OLD = 20000, NEW = 50 };
	int64_t now = util_now(), deleted = -1, count, pages_full;
	volatile int stop = 0;
	int failed = 0;
	char sid[40];
	struct alert a;

	CHECK_INT(store_begin(s), 0);
	for (int i = 0; i < OLD + NEW; i++) {
		/* Old ones 40 days back, the new ones within the last hour. */
		int64_t created = i < OLD ? now - 40 * 86400 + i : now - 3000 + i;
		snprintf(sid, sizeof(sid), "NOp%031d", i * 7919 % (OLD + NEW));
		make_alert(&a, sid, created, 11200);
		failed += store_upsert_alert(s, &a, now, NULL) != 0;
	}
	CHECK_INT(failed, 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_count_alerts(s, NULL, &count), 0);
	pages_full = query_int(db, "PRAGMA page_count", NULL);
	CHECK(pages_full > 1000);

	/* A stop request is honoured before the first batch. */
	stop = 1;
	CHECK_INT(store_prune(s, now - 30 * 86400, now, 1000, &stop, &deleted), 0);
	CHECK_INT(deleted, 0);
	stop = 0;

	/*
	 * Batches commit one by one: a trigger makes the third batch fail after the
	 * 2500th row; the first two stay deleted, the third is rolled back whole.
	 */
	CHECK_INT(sqlite3_exec(db,
	                       "CREATE TABLE dlog (sid TEXT);"
	                       "CREATE TRIGGER dlog_stop BEFORE DELETE ON alerts"
	                       " WHEN (SELECT count(*) FROM dlog) >= 2500"
	                       " BEGIN SELECT RAISE(ABORT, 'test: third batch'); END;"
	                       "CREATE TRIGGER dlog_add AFTER DELETE ON alerts"
	                       " BEGIN INSERT INTO dlog VALUES (old.sid); END;",
	                       NULL, NULL, NULL),
	          SQLITE_OK);
	CHECK_INT(store_prune(s, now - 30 * 86400, now, 1000, &stop, &deleted), -EIO);
	CHECK_INT(deleted, 2000);
	CHECK(strstr(store_errmsg(s), "third batch") != NULL);
	CHECK_INT(query_int(db, "SELECT count(*) FROM dlog", NULL), 2000);
	CHECK_INT(query_int(db, "SELECT count(*) FROM alerts WHERE sid LIKE 'NOp%'", NULL),
	          OLD + NEW - 2000);
	/* The oldest went first. */
	CHECK_INT(query_int(db, "SELECT count(*) FROM alerts WHERE date_created < ?",
	                    query_text(db, "SELECT min(date_created) FROM alerts", NULL)),
	          0);
	CHECK_INT(sqlite3_exec(db, "DROP TABLE dlog; DROP TRIGGER dlog_stop; DROP TRIGGER dlog_add",
	                       NULL, NULL, NULL),
	          SQLITE_OK);

	CHECK_INT(store_prune(s, now - 30 * 86400, now, 997, &stop, &deleted), 0);
	CHECK_INT(deleted, OLD - 2000);
	CHECK_INT(store_prune(s, now - 30 * 86400, now, 997, NULL, &deleted), 0);
	CHECK_INT(deleted, 0);
	CHECK_INT(store_prune(s, now, now, 0, NULL, NULL), -EINVAL);
	CHECK_INT(query_int(db, "SELECT count(*) FROM alerts WHERE sid LIKE 'NOp%'", NULL), NEW);
	CHECK_INT(query_int(db, "SELECT count(*) FROM alerts WHERE date_created < ?",
	                    "2000-01-01T00:00:00Z"),
	          0);
	/* The freed pages went back to the file system, not onto the free list. */
	CHECK(query_int(db, "PRAGMA freelist_count", NULL) < 10);
	CHECK(query_int(db, "PRAGMA page_count", NULL) < pages_full / 10);

	/* Inserting and pruning again does not grow the file. */
	pages_full = query_int(db, "PRAGMA page_count", NULL);
	for (int round = 0; round < 3; round++) {
		CHECK_INT(store_begin(s), 0);
		for (int i = 0; i < 5000; i++) {
			snprintf(sid, sizeof(sid), "NOr%d%030d", round, i);
			make_alert(&a, sid, now - 35 * 86400, 11200);
			failed += store_upsert_alert(s, &a, now, NULL) != 0;
		}
		CHECK_INT(failed, 0);
		CHECK_INT(store_commit(s), 0);
		CHECK_INT(store_prune(s, now - 30 * 86400, now, 1000, NULL, &deleted), 0);
		CHECK_INT(deleted, 5000);
	}
	CHECK(query_int(db, "PRAGMA page_count", NULL) <= pages_full + 5);
	CHECK(query_int(db, "PRAGMA freelist_count", NULL) < 10);
	CHECK_STR(query_text(db, "PRAGMA integrity_check", NULL), "ok");
}

/*
 * An alert dated in the future (9999-12-31) is kept while it is new, and goes
 * once it was first seen longer ago than the retention; one dated a little
 * ahead of a correct clock is not touched by that rule.
 */
static void test_prune_future(sqlite3 *db, struct store *s)
{
	int64_t now = util_now(), far, deleted = -1;
	struct alert a;

	CHECK_INT(util_parse_time("9999-12-31T00:00:00Z", &far), 0);
	CHECK_INT(store_begin(s), 0);
	make_alert(&a, "NOf0000000000000000000000000000001", far, 11200);
	CHECK_INT(store_upsert_alert(s, &a, now - 31 * 86400, NULL), 0);
	make_alert(&a, "NOf0000000000000000000000000000002", far, 11200);
	CHECK_INT(store_upsert_alert(s, &a, now - 86400, NULL), 0);
	make_alert(&a, "NOf0000000000000000000000000000003", now + 600, 11200);
	CHECK_INT(store_upsert_alert(s, &a, now - 29 * 86400, NULL), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_prune(s, now - 30 * 86400, now, 1000, NULL, &deleted), 0);
	CHECK_INT(deleted, 1);
	CHECK_INT(query_int(db, "SELECT count(*) FROM alerts WHERE sid = ?",
	                    "NOf0000000000000000000000000000001"),
	          0);
	CHECK_INT(query_int(db, "SELECT count(*) FROM alerts WHERE sid LIKE 'NOf%'", NULL), 2);
	/* Thirty days on, the second one goes too; the third is old by its date by then. */
	CHECK_INT(store_prune(s, now + 3600, now + 30 * 86400 + 3600, 1000, NULL, &deleted), 0);
	CHECK_INT(query_int(db, "SELECT count(*) FROM alerts WHERE sid LIKE 'NOf%'", NULL), 0);
}

static void test_readonly(sqlite3 *db)
{
	struct store *ro = NULL;
	struct store_sync_state st;
	struct alert a;
	int64_t count = -1;

	CHECK_INT(store_open(path, true, &ro), 0);
	if (!ro)
		return;
	CHECK_INT(store_count_alerts(ro, NULL, &count), 0);
	CHECK_INT(count, query_int(db, "SELECT count(*) FROM alerts", NULL));
	CHECK_INT(store_sync_get(ro, "main", &st), 0);
	CHECK(st.has_watermark);
	make_alert(&a, "NO00000000000000000000000000000777", util_now(), 11200);
	CHECK_INT(store_upsert_alert(ro, &a, util_now(), NULL), -EROFS);
	store_close(ro);
}

int main(void)
{
	struct store *s = NULL;
	sqlite3 *db = NULL;

	snprintf(dir, sizeof(dir), "/tmp/test-store-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/alerts.db", dir);

	test_open();
	test_open_errors();

	CHECK_INT(store_open(path, false, &s), 0);
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	if (s) {
		test_upsert(db, s);
		test_field_cap(db, s);
		test_sync(db, s);
		test_views(db, s);
		test_views_origin(db, s);
		test_busy(db, s);
		test_prune(db, s);
		test_prune_future(db, s);
		test_readonly(db);
	}
	CHECK_STR(query_text(db, "PRAGMA integrity_check", NULL), "ok");
	sqlite3_close(db);
	store_close(s);

	static const char *const files[] = {"alerts.db", "alerts.db-wal", "alerts.db-shm",
	                                    "old.db",    "old.db-wal",    "old.db-shm"};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char p[160];
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	if (rmdir(dir) < 0)
		perror(dir);
	return test_done();
}

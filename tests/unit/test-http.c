// SPDX-License-Identifier: MIT
/*
 * Unit tests for http.c without a socket (http_open_local and
 * http_serve_request): the routes, Basic auth (401 with a challenge), 404,
 * 405 with Allow, 413, the /api/alerts filters and their refusals, and
 * paging by next_cursor until every seeded alert was seen exactly once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/alert.h"
#include "base/form.h"
#include "store/store.h"
#include "test.h"
#include "web/http.h"

#define ACCT "AC0123456789abcdef0123456789abcdef"
#define OTHER "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
/* base64("oncall:s3cret") */
#define AUTH "Basic b25jYWxsOnMzY3JldA=="
#define N_ALERTS 7

static struct config_account main_acct = {.name = (char *)"main", .account_sid = (char *)ACCT};
static struct config cfg = {.accounts = &main_acct,
                            .n_accounts = 1,
                            .interval = 60,
                            .retention = 30 * 86400,
                            .listen_user = (char *)"oncall",
                            .listen_password = (char *)"s3cret"};

/* N_ALERTS alerts a minute apart; even ones error 11200 of ACCT, odd ones 11205 of OTHER. */
static int seed(const char *path)
{
	char sid[40], date[UTIL_TIME_LEN];
	struct store *s = NULL;
	int r = store_open(path, false, &s);

	if (r == 0)
		r = store_begin(s);
	for (int i = 0; r == 0 && i < N_ALERTS; i++) {
		struct alert a;

		alert_init(&a);
		snprintf(sid, sizeof(sid), "NO%032d", i);
		util_format_time(util_now() - 3600 + i * 60, date);
		alert_set_field(&a, ALERT_FIELD_SID, ALERT_KIND_STRING, sid, 0);
		alert_set_field(&a, ALERT_FIELD_ACCOUNT_SID, ALERT_KIND_STRING,
		                i % 2 ? OTHER : ACCT, 0);
		alert_set_field(&a, ALERT_FIELD_DATE_CREATED, ALERT_KIND_STRING, date, 0);
		alert_set_field(&a, ALERT_FIELD_LOG_LEVEL, ALERT_KIND_STRING,
		                i % 2 ? "warning" : "error", 0);
		alert_set_field(&a, ALERT_FIELD_ERROR_CODE, ALERT_KIND_INTEGER, NULL,
		                i % 2 ? 11205 : 11200);
		alert_set_field(&a, ALERT_FIELD_ALERT_TEXT, ALERT_KIND_STRING, "Msg=hello", 0);
		a.source = "poll";
		r = alert_finish_fields(&a, NULL);
		if (r == 0)
			r = store_upsert_alert(s, &a, util_now(), NULL);
		alert_finish(&a);
	}
	if (r == 0)
		r = store_commit(s);
	store_close(s);
	return r;
}

/* @method @path?@query (authorised when @auth), the answer into @a (strbuf_finish it). */
static void serve(struct http_server *srv, const char *method, const char *path, const char *query,
                  bool auth, size_t len, struct http_answer *a)
{
	struct form_field hf = {(char *)"Authorization", (char *)AUTH};
	struct form headers = {.fields = &hf, .n = auth ? 1 : 0}, q = {0};
	struct http_request_in in = {
	        .method = method, .path = path, .headers = &headers, .body = "", .len = len};

	CHECK_INT(form_parse(query, strlen(query), &q), 0);
	in.query = &q;
	http_serve_request(srv, &in, a);
	form_finish(&q);
}

static int status_of(struct http_server *srv, const char *method, const char *path,
                     const char *query, bool auth)
{
	struct http_answer a;

	serve(srv, method, path, query, auth, 0, &a);
	strbuf_finish(&a.body);
	return a.status;
}

/* GET /api/alerts?@query as JSON (NULL unless 200). */
static json_t *api(struct http_server *srv, const char *query, int *status)
{
	struct http_answer a;
	json_t *j = NULL;

	serve(srv, "GET", "/api/alerts", query, true, 0, &a);
	*status = a.status;
	if (a.status == 200) {
		j = json_loadb(a.body.buf ? a.body.buf : "", a.body.len, 0, NULL);
		CHECK(j != NULL);
	}
	strbuf_finish(&a.body);
	return j;
}

static void test_routes(struct http_server *srv)
{
	static const char *const paths[] = {"/", "/api/status", "/api/alerts", "/metrics",
	                                    "/healthz"};
	struct http_answer a;

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		serve(srv, "GET", paths[i], "", false, 0, &a);
		CHECK_INT(a.status, 401);
		CHECK(a.challenge);
		strbuf_finish(&a.body);
		serve(srv, "GET", paths[i], "", true, 0, &a);
		CHECK(a.status == 200 || (strcmp(paths[i], "/healthz") == 0 && a.status == 503));
		CHECK(!a.challenge);
		strbuf_finish(&a.body);
	}
	serve(srv, "GET", "/", "", true, 0, &a);
	CHECK(strncmp(a.type, "text/html", 9) == 0);
	strbuf_finish(&a.body);
	serve(srv, "GET", "/alerts/NO00000000000000000000000000000003", "", true, 0, &a);
	CHECK_INT(a.status, 200);
	CHECK(a.body.buf && strstr(a.body.buf, "NO00000000000000000000000000000003"));
	strbuf_finish(&a.body);
	CHECK_INT(status_of(srv, "GET", "/alerts/NO00000000000000000000000000000099", "", true),
	          404);
	CHECK_INT(status_of(srv, "GET", "/nothing-here", "", true), 404);
	serve(srv, "DELETE", "/api/status", "", true, 0, &a);
	CHECK_INT(a.status, 405);
	CHECK(a.allow != NULL);
	strbuf_finish(&a.body);
	CHECK_INT(status_of(srv, "GET", "/twilio/debugger", "", false), 405);
	/* A body on a page request is refused before routing. */
	serve(srv, "POST", "/", "", true, HTTP_WEBHOOK_BODY_MAX + 1, &a);
	CHECK_INT(a.status, 413);
	strbuf_finish(&a.body);
}

static void test_filters(struct http_server *srv)
{
	int status;
	json_t *j;

	j = api(srv, "error_code=11205", &status);
	CHECK_INT(status, 200);
	CHECK_INT(json_integer_value(json_object_get(j, "count")), N_ALERTS / 2);
	for (size_t i = 0; i < json_array_size(json_object_get(j, "alerts")); i++) {
		json_t *row = json_array_get(json_object_get(j, "alerts"), i);

		CHECK_INT(json_integer_value(json_object_get(row, "error_code")), 11205);
	}
	json_decref(j);
	j = api(srv, "error_code=11200&account=main", &status);
	CHECK_INT(status, 200);
	CHECK_INT(json_integer_value(json_object_get(j, "count")), (N_ALERTS + 1) / 2);
	json_decref(j);
	j = api(srv, "error_code=99999", &status);
	CHECK_INT(status, 200);
	CHECK_INT(json_integer_value(json_object_get(j, "count")), 0);
	json_decref(j);
	CHECK(api(srv, "since=yesterday", &status) == NULL);
	CHECK_INT(status, 400);
	CHECK(api(srv, "cursor=nonsense", &status) == NULL);
	CHECK_INT(status, 400);
	CHECK(api(srv, "limit=0", &status) == NULL);
	CHECK_INT(status, 400);
}

/* limit=2 pages through all N_ALERTS, newest first, each once, then next_cursor is null. */
static void test_paging(struct http_server *srv)
{
	char query[256] = "limit=2", seen[N_ALERTS] = {0}, last[64] = "~";
	int status, pages = 0, rows = 0;

	for (; pages <= N_ALERTS; pages++) {
		json_t *j = api(srv, query, &status), *cur;

		CHECK_INT(status, 200);
		if (!j)
			break;
		for (size_t i = 0; i < json_array_size(json_object_get(j, "alerts")); i++) {
			json_t *row = json_array_get(json_object_get(j, "alerts"), i);
			const char *sid = json_string_value(json_object_get(row, "sid"));
			int k = sid ? atoi(sid + 2) : -1;

			CHECK(k >= 0 && k < N_ALERTS && !seen[k]);
			if (k >= 0 && k < N_ALERTS)
				seen[k] = 1;
			/* Newest first: the seeded SIDs grow with the date. */
			CHECK(sid && strcmp(sid, last) < 0);
			snprintf(last, sizeof(last), "%s", sid ? sid : "");
			rows++;
		}
		cur = json_object_get(j, "next_cursor");
		if (!json_is_string(cur)) {
			CHECK(json_is_null(cur));
			json_decref(j);
			break;
		}
		snprintf(query, sizeof(query), "limit=2&cursor=%s", json_string_value(cur));
		json_decref(j);
	}
	CHECK_INT(rows, N_ALERTS);
	CHECK(pages >= (N_ALERTS + 1) / 2 - 1 && pages <= N_ALERTS);
}

int main(void)
{
	char dir[] = "/tmp/test-http-XXXXXX", db[64];
	struct http_server *srv = NULL;

	if (!mkdtemp(dir))
		return 1;
	snprintf(db, sizeof(db), "%s/a.db", dir);
	cfg.database = db;
	CHECK_INT(seed(db), 0);
	CHECK_INT(http_open_local(&cfg, &srv), 0);
	if (srv) {
		test_routes(srv);
		test_filters(srv);
		test_paging(srv);
	}
	http_stop(srv);
	for (const char *ext = ""; ext; ext = *ext ? NULL : "-wal") {
		char p[96];

		snprintf(p, sizeof(p), "%s%s", db, ext);
		unlink(p);
	}
	snprintf(db, sizeof(db), "%s/a.db-shm", dir);
	unlink(db);
	rmdir(dir);
	return test_done();
}

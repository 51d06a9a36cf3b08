// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the HTTP request handling (http.c through
 * http_serve_request: routes, query arguments, cursors, Basic auth, the
 * webhook) over a scratch database seeded with alerts whose fields hold
 * HTML. Input: "METHOD PATH[?QUERY]", then "Name: value" header lines, an
 * empty line and the body. Checks: the status is one the server gives;
 * every path but the webhook's answers 401 unless the Authorization header
 * is the configured one (and never 401 when it is); JSON answers parse; no
 * HTML answer holds a seeded or requested "<evil" or "ev\"il" unescaped (the
 * quote inside the word: the page's own attribute quotes surround values); a
 * next_cursor the API gives is accepted by the next request.
 */
#include <errno.h>

#include <jansson.h>

#include "base/alert.h"
#include "base/form.h"
#include "fuzz.h"
#include "web/http.h"
#include "store/store.h"

#define FUZZ_INPUT_MAX (64 * 1024)
#define ACCT "AC0123456789abcdef0123456789abcdef"
/* Basic base64("oncall:s3cret"). */
#define AUTH "Basic b25jYWxsOnMzY3JldA=="

static struct config_account fuzz_acct = {
        .name = (char *)"main",
        .account_sid = (char *)ACCT,
        .webhook = true,
        .public_url = (char *)"https://alerts.example.com/twilio/debugger",
        .webhook_token = (char *)"tok"};
static struct config cfg = {.accounts = &fuzz_acct,
                            .n_accounts = 1,
                            .interval = 60,
                            .retention = 30 * 86400,
                            .listen_user = (char *)"oncall",
                            .listen_password = (char *)"s3cret"};
static struct http_server *srv;

/* Alerts whose every text field is hostile, a few of them so paging has pages. */
static void seed(struct store *s)
{
	char sid[40], date[UTIL_TIME_LEN];

	if (store_begin(s) < 0)
		abort();
	for (int i = 0; i < 5; i++) {
		struct alert a;

		alert_init(&a);
		snprintf(sid, sizeof(sid), "NO%032d", i);
		util_format_time(1700000000 + i * 60, date);
		alert_set_field(&a, ALERT_FIELD_SID, ALERT_KIND_STRING, sid, 0);
		alert_set_field(&a, ALERT_FIELD_ACCOUNT_SID, ALERT_KIND_STRING,
		                i % 2 ? ACCT : "AC<evil>ev\"il", 0);
		alert_set_field(&a, ALERT_FIELD_DATE_CREATED, ALERT_KIND_STRING, date, 0);
		alert_set_field(&a, ALERT_FIELD_LOG_LEVEL, ALERT_KIND_STRING,
		                i % 2 ? "error" : "<evil>", 0);
		alert_set_field(&a, ALERT_FIELD_ERROR_CODE, ALERT_KIND_INTEGER, NULL, 11200 + i);
		alert_set_field(&a, ALERT_FIELD_ALERT_TEXT, ALERT_KIND_STRING,
		                "Msg=%3Cevil%3E+ev%22il&httpResponse=502&%3Cevil=ev%22il", 0);
		alert_set_field(&a, ALERT_FIELD_REQUEST_URL, ALERT_KIND_STRING,
		                "https://<evil>.example/ev\"il", 0);
		alert_set_field(&a, ALERT_FIELD_MORE_INFO, ALERT_KIND_STRING,
		                "javascript:ev\"il<evil>", 0);
		alert_set_field(&a, ALERT_FIELD_REQUEST_VARIABLES, ALERT_KIND_STRING,
		                "<evil>=ev\"il", 0);
		a.source = "poll";
		if (alert_finish_fields(&a, NULL) < 0 ||
		    store_upsert_alert(s, &a, 1700000000, NULL) < 0)
			abort();
		alert_finish(&a);
	}
	if (store_commit(s) < 0)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char path[256];
	struct store *s;

	snprintf(path, sizeof(path), "%s/http.db", fuzz_dir());
	cfg.database = path;
	if (store_open(path, false, &s) < 0)
		abort();
	seed(s);
	store_close(s);
	if (http_open_local(&cfg, &srv) < 0)
		abort();
	return 0;
}

static void check_answer(const char *path, const struct form *headers, const struct http_answer *a)
{
	static const int known[] = {200, 400, 401, 403, 404, 405, 413, 503};
	const char *auth = form_get(headers, "Authorization");
	bool authed = false, ok = false;

	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		ok |= a->status == known[i];
	FUZZ_CHECK(ok, "status %d", a->status);
	/* The scheme is case-free, the credentials exact (first Authorization header wins). */
	for (size_t i = 0; i < headers->n; i++)
		if (strcasecmp(headers->fields[i].name, "Authorization") == 0) {
			auth = headers->fields[i].value;
			authed = strncasecmp(auth, "Basic ", 6) == 0 &&
			         strcmp(auth + 6, AUTH + 6) == 0;
			break;
		}
	if (strcmp(path, "/twilio/debugger") != 0) {
		FUZZ_CHECK(authed || a->status == 401 || a->status == 413,
		           "%s answered %d without auth", path, a->status);
		FUZZ_CHECK(!authed || a->status != 401, "%s: 401 with the right credentials", path);
	}
	FUZZ_CHECK(a->status != 401 || a->challenge, "a 401 without a challenge");
	if (strncmp(a->type, "application/json", 16) == 0) {
		json_t *j = json_loadb(a->body.buf ? a->body.buf : "", a->body.len, 0, NULL);

		FUZZ_CHECK(j, "%s: the JSON answer does not parse", path);
		json_decref(j);
	}
	if (strncmp(a->type, "text/html", 9) == 0 && a->body.buf) {
		FUZZ_CHECK(!strstr(a->body.buf, "<evil"), "%s: <evil reaches the HTML", path);
		FUZZ_CHECK(!strstr(a->body.buf, "ev\"il"), "%s: ev\"il reaches the HTML", path);
	}
}

/* Answer @method @path?@query with @headers and @body; check it. */
static void serve(const char *method, const char *path, const char *query,
                  const struct form *headers, const char *body, size_t len, struct http_answer *a)
{
	struct form q = {0};
	struct http_request_in in = {
	        .method = method, .path = path, .headers = headers, .body = body, .len = len};

	/* libmicrohttpd drops a query it cannot decode the same way: no arguments. */
	if (form_parse(query, strlen(query), &q) == 0)
		in.query = &q;
	http_serve_request(srv, &in, a);
	check_answer(path, headers, a);
	form_finish(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form headers = {0};
	struct http_answer a;
	char *text, *line, *next, *path, *query, *sp, *body;
	const char *method;
	size_t n = 0;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	text = fuzz_strndup(data, size);
	/* The request line. */
	next = strchr(text, '\n');
	if (next)
		*next++ = '\0';
	sp = strchr(text, ' ');
	method = sp ? text : "GET";
	path = sp ? sp + 1 : text;
	if (sp)
		*sp = '\0';
	path[strcspn(path, "\r")] = '\0';
	query = strchr(path, '?');
	if (query)
		*query++ = '\0';
	else
		query = (char *)"";
	/* Header lines up to an empty one; the rest is the body. */
	headers.fields = calloc(FORM_FIELDS_MAX, sizeof(*headers.fields));
	if (!headers.fields)
		abort();
	body = NULL;
	while ((line = next)) {
		char *colon;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (!*line) {
			body = next;
			break;
		}
		colon = strchr(line, ':');
		if (!colon || n == FORM_FIELDS_MAX)
			continue;
		*colon++ = '\0';
		headers.fields[n].name = line;
		headers.fields[n].value = colon + strspn(colon, " \t");
		headers.n = ++n;
	}
	serve(method, path, query, &headers, body ? body : "", body ? strlen(body) : 0, &a);
	/* A cursor the API gave must take the next page. */
	if (a.status == 200 && strcmp(path, "/api/alerts") == 0) {
		json_t *j = json_loadb(a.body.buf, a.body.len, 0, NULL);
		const char *cur = json_string_value(json_object_get(j, "next_cursor"));

		if (cur) {
			char q[256];
			struct http_answer b;

			snprintf(q, sizeof(q), "cursor=%s&limit=1", cur);
			serve("GET", path, q, &headers, "", 0, &b);
			FUZZ_CHECK(b.status == 200, "next_cursor %s answered %d", cur, b.status);
			strbuf_finish(&b.body);
		}
		json_decref(j);
	}
	strbuf_finish(&a.body);
	free(headers.fields);
	free(text);
	return 0;
}

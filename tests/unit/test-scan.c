// SPDX-License-Identifier: MIT
/*
 * Unit tests for scan.c: every field and form of a list page, what must be
 * refused (with the body left as it was), every strict prefix of a page,
 * and generated pages whose fields must equal alert_from_json's.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "../fuzz/scan-diff.h"
#include "ingest/scan.h"
#include "test.h"

#define ITEMS 8

static struct scan_item items[ITEMS];

/* Scan @text in a fresh buffer (*@buf, caller frees after the items). */
static int scan(const char *text, size_t *n, const char **next, char **buf)
{
	const char *why = NULL;
	int r;

	*buf = strdup(text);
	if (!*buf)
		abort();
	r = scan_page(*buf, strlen(text), items, ITEMS, n, next, &why);
	if (r == -EBADMSG)
		CHECK(why && *why);
	return r;
}

/* @text must be refused, with its buffer unchanged. */
static void refused(const char *text, size_t len)
{
	const char *why = NULL, *next = (const char *)1;
	char *buf = malloc(len + 1);
	size_t n = 99;
	int r;

	memcpy(buf, text, len);
	buf[len] = '\0';
	r = scan_page(buf, len, items, ITEMS, &n, &next, &why);
	if (r != -EBADMSG)
		fprintf(stderr, "not refused (%d): %.*s\n", r, (int)len, text);
	CHECK_INT(r, -EBADMSG);
	CHECK(why != NULL && *why);
	CHECK(memcmp(buf, text, len) == 0);
	CHECK_INT(n, 0);
	CHECK(next == NULL);
	free(buf);
}

static void refuse(const char *text)
{
	refused(text, strlen(text));
}

static const char full_page[] =
        "{\"meta\": {\"page\": 0, \"page_size\": 50, \"first_page_url\": \"https:\\/\\/x\","
        " \"key\": \"alerts\", \"previous_page_url\": null,"
        " \"next_page_url\": \"https://monitor.twilio.com/v1/Alerts?PageSize=50&Page=1&"
        "PageToken=PAx\\u0026y\"},\n"
        " \"alerts\": [{\"account_sid\": \"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
        " \"alert_text\": \"LogLevel=ERROR&Msg=HTTP+Connection+Failure+-+Read+timed+out&"
        "ErrorCode=11205&httpResponse=502\","
        " \"api_version\": \"2010-04-01\", \"date_created\": \"2015-07-30T20:00:00Z\","
        " \"date_generated\": \"2015-07-30T19:59:58.250Z\","
        " \"date_updated\": \"Thu, 30 Jul 2015 20:00:01 +0000\","
        " \"error_code\": \"11205\", \"log_level\": \"error\","
        " \"more_info\": \"https:\\/\\/www.twilio.com\\/docs\\/errors\\/11205\","
        " \"request_method\": \"POST\", \"request_url\": \"https://Hooks.Example.com:8443/voice\","
        " \"resource_sid\": \"CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"service_sid\": null,"
        " \"sid\": \"NOaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
        " \"url\": \"https://monitor.twilio.com/v1/Alerts/NOaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
        " \"some_future_field\": {\"x\": [1, {\"y\": \"}]\\\"\"}], \"z\": -1.5e3},"
        " \"another\": [true, false, null, \"\\\\\"]},\n"
        "  {\"sid\": \"NObbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\", \"error_code\": 30003,"
        " \"date_created\": \"2025-01-01T00:00:00.000Z\","
        " \"alert_text\": \"parserMessage=Bad+TwiML&x=\\\"q\\\"\\t\\\\\","
        " \"api_version\": \"caf\\u00e9 \\u20ac \\ud83d\\ude00 \\/ \\b\\f\\n\\r\","
        " \"log_level\": \"w\xc3\xa4rning \xe2\x82\xac \xf0\x9f\x98\x80\","
        " \"request_url\": \"\", \"more_info\": true, \"url\": 12}]}";

static void test_full_page(void)
{
	const char *next;
	struct alert *a;
	char *buf;
	size_t n;

	CHECK_INT(scan(full_page, &n, &next, &buf), 0);
	CHECK_INT(n, 2);
	CHECK_STR(next, "https://monitor.twilio.com/v1/Alerts?PageSize=50&Page=1&PageToken=PAx&y");
	a = &items[0].alert;
	CHECK(items[0].skip == NULL);
	CHECK_STR(a->sid, "NOaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	CHECK_STR(a->account_sid, "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	CHECK(a->has_error_code);
	CHECK_INT(a->error_code, 11205);
	CHECK_STR(a->date_created, "2015-07-30T20:00:00Z");
	CHECK_STR(a->date_generated, "2015-07-30T19:59:58Z");
	CHECK_STR(a->date_updated, "2015-07-30T20:00:01Z");
	CHECK_INT(a->created, 1438286400);
	CHECK_STR(a->msg, "HTTP Connection Failure - Read timed out");
	CHECK(a->has_http_response);
	CHECK_INT(a->http_response, 502);
	CHECK_STR(a->request_host, "hooks.example.com");
	CHECK_STR(a->more_info, "https://www.twilio.com/docs/errors/11205");
	CHECK(a->service_sid == NULL);
	CHECK(a->request_variables == NULL);
	CHECK_STR(a->source, "poll");
	/* The strings live in the body buffer. */
	CHECK(a->sid > buf && a->sid < buf + sizeof(full_page));

	a = &items[1].alert;
	CHECK(items[1].skip == NULL);
	CHECK(a->has_error_code);
	CHECK_INT(a->error_code, 30003);
	CHECK_STR(a->msg, "Bad TwiML");
	CHECK_STR(a->alert_text, "parserMessage=Bad+TwiML&x=\"q\"\t\\");
	CHECK_STR(a->api_version, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 / \b\f\n\r");
	CHECK_STR(a->log_level, "w\xc3\xa4rning \xe2\x82\xac \xf0\x9f\x98\x80");
	CHECK_STR(a->request_url, "");
	CHECK_STR(a->request_host, "");
	CHECK(a->more_info == NULL);
	CHECK(a->url == NULL);
	CHECK_STR(a->date_generated, "");
	scan_items_finish(items, n);
	free(buf);
	CHECK_INT(scan_diff(full_page, strlen(full_page)), SCAN_DIFF_ACCEPTED);
}

static void test_shapes(void)
{
	const char *next;
	char *buf;
	size_t n;

	/* An empty page; next_page_url null, absent, empty or not a string. */
	CHECK_INT(scan("{\"alerts\": [], \"meta\": {\"next_page_url\": null}}", &n, &next, &buf),
	          0);
	CHECK_INT(n, 0);
	CHECK(next == NULL);
	free(buf);
	CHECK_INT(scan(" {\"alerts\":[]} ", &n, &next, &buf), 0);
	CHECK(next == NULL);
	free(buf);
	CHECK_INT(scan("{\"meta\": {\"next_page_url\": \"\"}, \"alerts\": []}", &n, &next, &buf),
	          0);
	CHECK_STR(next, "");
	free(buf);
	CHECK_INT(scan("{\"meta\": {\"next_page_url\": 5}, \"alerts\": []}", &n, &next, &buf), 0);
	CHECK(next == NULL);
	free(buf);
	/* The last duplicate counts, for meta and within it. */
	CHECK_INT(scan("{\"meta\": {\"next_page_url\": \"a\"}, \"alerts\": [],"
	               " \"meta\": {\"next_page_url\": \"b\", \"next_page_url\": \"c\"}}",
	               &n, &next, &buf),
	          0);
	CHECK_STR(next, "c");
	free(buf);
	CHECK_INT(scan("{\"meta\": {\"next_page_url\": \"a\"}, \"alerts\": [], \"meta\": 1}", &n,
	               &next, &buf),
	          0);
	CHECK(next == NULL);
	free(buf);

	/* meta.key names the list, before or after it; the name may be escaped. */
	CHECK_INT(scan("{\"alerts\": 1, \"items\": [{\"sid\": \"NO1\", \"date_created\": "
	               "\"2025-01-01\"}], \"meta\": {\"key\": \"it\\u0065ms\"}}",
	               &n, &next, &buf),
	          0);
	CHECK_INT(n, 1);
	CHECK_STR(items[0].alert.sid, "NO1");
	scan_items_finish(items, n);
	free(buf);
	CHECK_INT(scan("{\"meta\": {\"key\": \"items\"}, \"alerts\": [1, 2], \"ite\\u006dmAs\": 0,"
	               " \"items\": [{\"sid\": \"NO2\", \"date_created\": \"2025-01-01\"}]}",
	               &n, &next, &buf),
	          0);
	CHECK_INT(n, 1);
	CHECK_STR(items[0].alert.sid, "NO2");
	scan_items_finish(items, n);
	free(buf);
	/* Names are compared decoded: escaped and raw UTF-8 are the same name. */
	CHECK_INT(scan("{\"meta\": {\"key\": \"caf\\u00e9 \\ud83d\\ude00\"},"
	               " \"caf\xc3\xa9 \xf0\x9f\x98\x80\": [1]}",
	               &n, &next, &buf),
	          0);
	CHECK_INT(n, 1);
	scan_items_finish(items, n);
	free(buf);
	CHECK_INT(scan("{\"caf\\u00E9\": [1, 2], \"meta\": {\"key\": \"caf\xc3\xa9\"}}", &n, &next,
	               &buf),
	          0);
	CHECK_INT(n, 2);
	scan_items_finish(items, n);
	free(buf);
	refuse("{\"caf\\u00e9\": [1], \"meta\": {\"key\": \"cafe\"}}");
	refuse("{\"caf\\u00e9s\": [1], \"meta\": {\"key\": \"caf\xc3\xa9\"}}");
	refuse("{\"caf\": [1], \"meta\": {\"key\": \"caf\\u00e9\"}}");

	/* A non-string key means the default. */
	CHECK_INT(scan("{\"meta\": {\"key\": null}, \"alerts\": []}", &n, &next, &buf), 0);
	free(buf);

	/* Bad items are skipped with alert_from_json's reasons; duplicates: the last wins. */
	CHECK_INT(
	        scan("{\"alerts\": [[1], \"x\", null, {\"date_created\": \"2025-01-01\"},"
	             " {\"sid\": \"NO3\", \"date_created\": \"yesterday\"},"
	             " {\"sid\": \"NO4\", \"date_created\": \"2025-01-01\", \"sid\": 4},"
	             " {\"sid\": 4, \"sid\": \"NO5\", \"date_created\": \"2025-01-01\","
	             " \"error_code\": 7, \"error_code\": \"x\", \"date_created\": \"2025-01-02\"},"
	             " {}]}",
	             &n, &next, &buf),
	        0);
	CHECK_INT(n, 8);
	CHECK_STR(items[0].skip, "alert is not a JSON object");
	CHECK_STR(items[1].skip, "alert is not a JSON object");
	CHECK_STR(items[2].skip, "alert is not a JSON object");
	CHECK_STR(items[3].skip, "alert has no sid");
	CHECK_STR(items[4].skip, "alert has no valid date_created");
	CHECK_STR(items[5].skip, "alert has no sid");
	CHECK(items[6].skip == NULL);
	CHECK_STR(items[6].alert.sid, "NO5");
	CHECK(!items[6].alert.has_error_code);
	CHECK_STR(items[6].alert.date_created, "2025-01-02T00:00:00Z");
	CHECK_STR(items[7].skip, "alert has no sid");
	scan_items_finish(items, n);
	free(buf);

	/* error_code: integers at the int64 limits, negative zero, strings; reals are no code. */
	CHECK_INT(
	        scan("{\"alerts\": [{\"sid\": \"a\", \"date_created\": \"2025-01-01\","
	             " \"error_code\": -9223372036854775808},"
	             " {\"sid\": \"b\", \"date_created\": \"2025-01-01\","
	             " \"error_code\": 9223372036854775807},"
	             " {\"sid\": \"c\", \"date_created\": \"2025-01-01\", \"error_code\": -0},"
	             " {\"sid\": \"d\", \"date_created\": \"2025-01-01\", \"error_code\": 1.0},"
	             " {\"sid\": \"e\", \"date_created\": \"2025-01-01\", \"error_code\": 1e2},"
	             " {\"sid\": \"f\", \"date_created\": \"2025-01-01\", \"error_code\": \"-12\"},"
	             " {\"sid\": \"g\", \"date_created\": \"2025-01-01\", \"error_code\": [1]}]}",
	             &n, &next, &buf),
	        0);
	CHECK_INT(n, 7);
	CHECK(items[0].alert.has_error_code && items[0].alert.error_code == INT64_MIN);
	CHECK(items[1].alert.has_error_code && items[1].alert.error_code == INT64_MAX);
	CHECK(items[2].alert.has_error_code && items[2].alert.error_code == 0);
	CHECK(!items[3].alert.has_error_code);
	CHECK(!items[4].alert.has_error_code);
	CHECK(items[5].alert.has_error_code && items[5].alert.error_code == -12);
	CHECK(!items[6].alert.has_error_code);
	scan_items_finish(items, n);
	free(buf);

	/* Exactly the cap is fine. */
	CHECK_INT(scan("{\"alerts\": [1, 2, 3, 4, 5, 6, 7, 8]}", &n, &next, &buf), 0);
	CHECK_INT(n, ITEMS);
	scan_items_finish(items, n);
	free(buf);
	scan_items_finish(NULL, 0);
}

struct out {
	char *p;
	size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->p = realloc(o->p, o->cap);
		if (!o->p)
			abort();
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A page nested @levels deep, in arrays or in objects. */
static enum scan_diff_result deep(int levels, bool objects)
{
	struct out o = {0};
	enum scan_diff_result r;

	puts_(&o, "{\"alerts\": [");
	for (int i = 2; i < levels; i++)
		puts_(&o, objects ? "{\"k\": " : "[");
	puts_(&o, "1");
	for (int i = 2; i < levels; i++)
		puts_(&o, objects ? "}" : "]");
	puts_(&o, "]}");
	r = scan_diff(o.p, o.len);
	free(o.p);
	return r;
}

static void test_refusals(void)
{
	static const char *const bad[] = {
	        /* not a page */
	        "",
	        " ",
	        "[]",
	        "\"alerts\"",
	        "null",
	        "{\"alerts\": {}}",
	        "{\"items\": []}",
	        "{\"alerts\": [], \"meta\": {\"key\": \"items\"}}",
	        "{\"alerts\": [], \"alerts\": null}",
	        "{\"alerts\": [1, 2, 3, 4, 5, 6, 7, 8, 9]}",
	        "{\"a\":0,\"b\":0,\"c\":0,\"d\":0,\"e\":0,\"f\":0,\"g\":0,\"h\":0,\"i\":0,\"j\":0,"
	        "\"k\":0,\"l\":0,\"m\":0,\"n\":0,\"o\":0,\"p\":0,\"alerts\":[]}",
	        /* syntax */
	        "{\"alerts\": []",
	        "{\"alerts\": []}}",
	        "{\"alerts\": []} x",
	        "{\"alerts\": [],}",
	        "{\"alerts\": [1,]}",
	        "{\"alerts\": [,]}",
	        "{\"alerts\" []}",
	        "{alerts: []}",
	        "{'alerts': []}",
	        "{\"alerts\": [01]}",
	        "{\"alerts\": [1.]}",
	        "{\"alerts\": [.5]}",
	        "{\"alerts\": [1e]}",
	        "{\"alerts\": [-]}",
	        "{\"alerts\": [+1]}",
	        "{\"alerts\": [0x1]}",
	        "{\"alerts\": [tru]}",
	        "{\"alerts\": [True]}",
	        "{\"alerts\": [nul]}",
	        "{\"alerts\": [truex]}",
	        "{\"alerts\": [NaN]}",
	        "{\"alerts\": [1 2]}",
	        "{\"alerts\": [{\"a\" 1}]}",
	        "{\"alerts\": [{\"a\": 1,}]}",
	        "{\"alerts\": [{1: 1}]}",
	        "{\"alerts\": [\"\\x\"]}",
	        "{\"alerts\": [\"\\u12\"]}",
	        "{\"alerts\": [\"\\u12g4\"]}",
	        "{\"alerts\": [\"\\U0041\"]}",
	        "{\"alerts\": [\"a\tb\"]}",
	        "{\"alerts\": [\"a\nb\"]}",
	        "{\"alerts\": [\"\x1f\"]}",
	        "\xef\xbb\xbf{\"alerts\": []}",
	        "{\"alerts\": [], \"x\": [}",
	        "{\"alerts\": [], \"x\": {\"y\": ]}}",
	        "{\"alerts\": [\"\\u0000\"]}",
	        "{\"alerts\": [{\"a\\u0000\": 1}]}",
	        /* surrogates */
	        "{\"alerts\": [\"\\ud83d\"]}",
	        "{\"alerts\": [\"\\ud83dx\"]}",
	        "{\"alerts\": [\"\\ude00\"]}",
	        "{\"alerts\": [\"\\ud83d\\u0041\"]}",
	        "{\"alerts\": [\"\\ud83d\\ud83d\"]}",
	        /* invalid UTF-8 */
	        "{\"alerts\": [\"\x80\"]}",
	        "{\"alerts\": [\"\xc0\xaf\"]}",
	        "{\"alerts\": [\"\xc3\"]}",
	        "{\"alerts\": [\"\xe0\x80\xaf\"]}",
	        "{\"alerts\": [\"\xed\xa0\x80\"]}",
	        "{\"alerts\": [\"\xf0\x80\x80\xaf\"]}",
	        "{\"alerts\": [\"\xf4\x90\x80\x80\"]}",
	        "{\"alerts\": [\"\xf5\x80\x80\x80\"]}",
	        "{\"alerts\": [\"\xff\"]}",
	        "{\"alerts\": [\"\xe2\x82\"]}",
	        "{\"alerts\": [\xc3\xa4]}",
	        /* what jansson refuses too */
	        "{\"alerts\": [9223372036854775808]}",
	        "{\"alerts\": [-9223372036854775809]}",
	        "{\"alerts\": [99999999999999999999999]}",
	        "{\"alerts\": [1e400]}",
	        "{\"alerts\": [-1.5e99999]}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		refuse(bad[i]);
	/* A NUL byte before the end. */
	{
		static const char a[] = "{\"alerts\": []}\0", b[] = "{\"alerts\": [\"a\0\"]}",
		                  c[] = "{\"alerts\"\0: []}";

		refused(a, sizeof(a) - 1);
		refused(b, sizeof(b) - 1);
		refused(c, sizeof(c) - 1);
	}

	/* Nesting: SCAN_DEPTH_MAX levels (the page object and the list included) are fine. */
	CHECK_INT(deep(SCAN_DEPTH_MAX, false), SCAN_DIFF_ACCEPTED);
	CHECK_INT(deep(SCAN_DEPTH_MAX, true), SCAN_DIFF_ACCEPTED);
	CHECK_INT(deep(SCAN_DEPTH_MAX + 1, false), SCAN_DIFF_REFUSED);
	CHECK_INT(deep(SCAN_DEPTH_MAX + 1, true), SCAN_DIFF_REFUSED);

	/* Underflow is not an error for jansson either. */
	{
		static const char t[] = "{\"alerts\": [1e-400, -0.0, 1E+2, 0e0]}";

		CHECK_INT(scan_diff(t, sizeof(t) - 1), SCAN_DIFF_ACCEPTED);
	}
}

/* Every strict prefix of a valid page is invalid JSON: all must be refused. */
static void test_prefixes(void)
{
	size_t len = strlen(full_page);

	for (size_t i = 0; i < len; i++)
		refused(full_page, i);
	CHECK_INT(scan_diff(full_page, len), SCAN_DIFF_ACCEPTED);
}

/* A small deterministic generator for the differential test. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t bound)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % bound);
}

static void blank(struct out *o)
{
	static const char *const ws[] = {"", "", " ", "\n  ", "\t", "\r\n"};

	puts_(o, ws[rnd(ARRAY_SIZE(ws))]);
}

/* @s as a JSON string, with characters escaped at random in every legal way. */
static void put_string(struct out *o, const char *s)
{
	char tmp[16];

	puts_(o, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		unsigned c = *p;
		int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
		uint32_t cp = n == 1 ? c : c & (0x3F >> (n - 1));

		for (int i = 1; i < n; i++)
			cp = cp << 6 | (p[i] & 0x3F);
		if (c == '"' || c == '\\' || c < 0x20 || rnd(8) == 0) {
			static const char short_esc[] = "\"\\/\b\f\n\r\t";
			const char *e = c ? strchr(short_esc, (int)c) : NULL;

			if (e && rnd(2)) {
				tmp[0] = '\\';
				tmp[1] = "\"\\/bfnrt"[e - short_esc];
				put(o, tmp, 2);
			} else if (cp >= 0x10000) {
				cp -= 0x10000;
				snprintf(tmp, sizeof(tmp),
				         rnd(2) ? "\\u%04X\\u%04X" : "\\u%04x\\u%04x",
				         0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
				puts_(o, tmp);
			} else {
				snprintf(tmp, sizeof(tmp), rnd(2) ? "\\u%04X" : "\\u%04x", cp);
				puts_(o, tmp);
			}
		} else {
			put(o, (const char *)p, (size_t)n);
		}
		p += n;
	}
	puts_(o, "\"");
}

static void put_value(struct out *o, const char *const *choices, size_t n)
{
	uint32_t k = rnd((uint32_t)n + 6);
	static const char *const other[] = {"null", "true",   "false",
	                                    "12",   "-3.5e2", "{\"a\": [1, {\"b\": \"\\\"]}\"}]}"};

	if (k < n)
		put_string(o, choices[k]);
	else
		puts_(o, other[k - n]);
}

static void gen_item(struct out *o, int idx)
{
	static const char *const sids[] = {"NOaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "",
	                                   "NO\xc3\xa9\"x", "NO\\/\xf0\x9f\x98\x80"};
	static const char *const dates[] = {
	        "2025-01-01T00:00:00Z",
	        "2025-01-01T00:00:00.123Z",
	        "2025-01-01",
	        "Tue, 09 Feb 2010 01:23:53 +0000",
	        "09 Feb 2010 01:23:53 -0130",
	        "2025-06-30T23:59:59+02:00",
	        "2025-13-01",
	        "yesterday",
	        "",
	};
	static const char *const codes[] = {"11200", "abc", "", "-5", "007", "12 "};
	static const char *const texts[] = {
	        "LogLevel=ERROR&Msg=HTTP+retrieval+failure&httpResponse=502",
	        "parserMessage=Bad+TwiML&httpResponse=abc",
	        "Msg=%E2%82%AC+caf%C3%A9",
	        "plain text \t\n",
	        "Msg=a&Msg=b&httpResponse=-1",
	};
	static const char *const urls[] = {"https://Hooks.Example.com:8443/v?x=1", "http://[::1]/p",
	                                   "not a url", "", "https://user@h\xc3\xa9.example/"};
	static const char *const words[] = {"error", "warning", "", "caf\xc3\xa9 \xe2\x82\xac",
	                                    "\"quoted\" \\ /"};
	static const char *const names[] = {
	        "sid",
	        "date_created",
	        "date_generated",
	        "date_updated",
	        "error_code",
	        "alert_text",
	        "request_url",
	        "account_sid",
	        "log_level",
	        "more_info",
	        "request_method",
	        "resource_sid",
	        "service_sid",
	        "api_version",
	        "url",
	        "request_variables",
	        "response_body",
	        "response_headers",
	        "request_headers",
	        "unknown",
	        "SID",
	        "sid ",
	};
	size_t order[ARRAY_SIZE(names) + 4];
	size_t n = 0;

	if (rnd(40) == 0) {
		puts_(o, rnd(2) ? "[1, \"x\"]" : "null");
		return;
	}
	/* A random subset in random order, sometimes with a duplicate. */
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (i == 0 ? rnd(30) != 0 : i == 1 ? rnd(30) != 0 : rnd(4) != 0)
			order[n++] = i;
	if (rnd(5) == 0)
		order[n++] = rnd(ARRAY_SIZE(names));
	for (size_t i = n; i > 1; i--) {
		size_t j = rnd((uint32_t)i), t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
	puts_(o, "{");
	for (size_t i = 0; i < n; i++) {
		const char *name = names[order[i]];

		if (i)
			puts_(o, ",");
		blank(o);
		put_string(o, name);
		blank(o);
		puts_(o, ":");
		blank(o);
		if (strcmp(name, "sid") == 0) {
			char sid[64];
			const char *const own[] = {sid};

			snprintf(sid, sizeof(sid), "NO%08d", idx);
			if (rnd(3))
				put_value(o, own, ARRAY_SIZE(own));
			else
				put_value(o, sids, ARRAY_SIZE(sids));
		} else if (strncmp(name, "date_", 5) == 0) {
			put_value(o, dates, ARRAY_SIZE(dates));
		} else if (strcmp(name, "error_code") == 0) {
			static const char *const ints[] = {
			        "11200", "-0", "0", "-9223372036854775808", "9223372036854775807",
			        "1.5",   "1e3"};

			if (rnd(3) == 0)
				puts_(o, ints[rnd(ARRAY_SIZE(ints))]);
			else
				put_value(o, codes, ARRAY_SIZE(codes));
		} else if (strcmp(name, "alert_text") == 0) {
			put_value(o, texts, ARRAY_SIZE(texts));
		} else if (strstr(name, "url")) {
			put_value(o, urls, ARRAY_SIZE(urls));
		} else {
			put_value(o, words, ARRAY_SIZE(words));
		}
		blank(o);
	}
	puts_(o, "}");
}

static void gen_meta(struct out *o, const char *key)
{
	static const char *const nexts[] = {
	        "https://monitor.twilio.com/v1/Alerts?PageSize=50&Page=1&PageToken=PAx", "",
	        "https://h/\xc3\xa9?a=\"b\""};

	puts_(o, "\"meta\":");
	blank(o);
	puts_(o, "{\"page\": 0, \"page_size\": 50");
	if (key) {
		puts_(o, ", \"key\": ");
		put_string(o, key);
	}
	switch (rnd(3)) {
	case 0:
		puts_(o, ", \"next_page_url\": null");
		break;
	case 1:
		puts_(o, ", \"next_page_url\": ");
		put_string(o, nexts[rnd(ARRAY_SIZE(nexts))]);
		break;
	}
	puts_(o, ", \"url\": \"https://monitor.twilio.com/v1/Alerts\"}");
}

static void gen_page(struct out *o)
{
	const char *key = rnd(3) == 0 ? "items" : rnd(2) ? "alerts" : NULL;
	int n = (int)rnd(ITEMS + 1);
	bool meta_first = rnd(2);

	o->len = 0;
	blank(o);
	puts_(o, "{");
	if (meta_first) {
		gen_meta(o, key);
		puts_(o, ",");
	}
	blank(o);
	put_string(o, key ? key : "alerts");
	puts_(o, ":");
	blank(o);
	puts_(o, "[");
	for (int i = 0; i < n; i++) {
		if (i)
			puts_(o, ",");
		blank(o);
		gen_item(o, i);
	}
	blank(o);
	puts_(o, "]");
	if (rnd(4) == 0)
		puts_(o, ", \"extra\": {\"alerts\": [1]}");
	if (!meta_first && (rnd(5) != 0 || (key && strcmp(key, "items") == 0))) {
		puts_(o, ",");
		gen_meta(o, key);
	}
	puts_(o, "}");
	blank(o);
}

static void test_differential(void)
{
	struct out o = {0};
	int accepted = 0, mismatches = 0;

	for (int i = 0; i < 3000; i++) {
		enum scan_diff_result r;

		gen_page(&o);
		r = scan_diff(o.p, o.len);
		if (r == SCAN_DIFF_ACCEPTED)
			accepted++;
		if (r == SCAN_DIFF_MISMATCH || !scan_roundtrip(o.p, o.len) ||
		    !scan_repair_diff(o.p, o.len)) {
			if (mismatches++ < 3)
				fprintf(stderr, "mismatch on: %s\n", o.p);
		}
	}
	CHECK_INT(mismatches, 0);
	/* Every generated page is valid and of a supported shape. */
	CHECK_INT(accepted, 3000);
	free(o.p);
}

/* scan_repair of @in must give @want (@fixed replacements). */
static void repaired(const char *in, size_t len, const char *want, int fixed)
{
	struct strbuf out;
	int r;

	strbuf_init(&out, 3 * len + 16);
	r = scan_repair(in, len, &out);
	CHECK_INT(r, fixed);
	CHECK_INT(out.len, strlen(want));
	if (r != fixed || out.len != strlen(want) || memcmp(out.buf, want, out.len) != 0) {
		CHECK(false);
		fprintf(stderr, "  repair of \"%.*s\": \"%s\"\n", (int)len, in, out.buf);
	}
	CHECK(out.buf && out.buf[out.len] == '\0');
	CHECK(scan_repair_diff(in, len));
	strbuf_finish(&out);
}

#define REPAIRED(in, want, n) repaired(in, sizeof(in) - 1, want, n)
#define FFFD "\xEF\xBF\xBD"

static void test_repair(void)
{
	static const char page[] =
	        "{\"alerts\": [{\"sid\": \"NO1\", \"date_created\": \"2025-01-01T00:00:00Z\", "
	        "\"alert_text\": \"Msg=a\\u0000b&x=\xff\"}, "
	        "{\"sid\": \"NO2\", \"date_created\": \"2025-01-01T00:00:00Z\", "
	        "\"alert_text\": \"Msg=ok\"}], \"meta\": {\"key\": \"alerts\"}}";
	struct strbuf out;
	const char *next;
	size_t n;
	char *buf;

	/* Nothing to mend: an exact copy, also of the empty text. */
	REPAIRED("{\"a\": \"caf\xc3\xa9 \xf0\x9f\x98\x80 \\ud83d\\ude00 \\u00e9\"}",
	         "{\"a\": \"caf\xc3\xa9 \xf0\x9f\x98\x80 \\ud83d\\ude00 \\u00e9\"}", 0);
	REPAIRED("", "", 0);
	/* \u0000 and lone surrogates become \uFFFD, of the same length. */
	REPAIRED("\"a\\u0000b\"", "\"a\\uFFFDb\"", 1);
	REPAIRED("\"\\ud800x\\udc00\"", "\"\\uFFFDx\\uFFFD\"", 2);
	REPAIRED("\"\\uD800\\uD800\\uDC00\"", "\"\\uFFFD\\uD800\\uDC00\"", 1);
	REPAIRED("\"\\ud800\\u0041\"", "\"\\uFFFD\\u0041\"", 1);
	REPAIRED("\"\\ud800", "\"\\uFFFD", 1);
	/* An escaped backslash before "u0000" is not an escape. */
	REPAIRED("\"\\\\u0000\"", "\"\\\\u0000\"", 0);
	REPAIRED("\"\\\\\\u0000\"", "\"\\\\\\uFFFD\"", 1);
	/* Ill-formed UTF-8: one U+FFFD per maximal subpart (as Python's "replace"). */
	REPAIRED("\"caf\xe9 \"", "\"caf" FFFD " \"", 1);
	REPAIRED("\"\xff\xfe\"", "\"" FFFD FFFD "\"", 2);
	REPAIRED("\"\xed\xa0\x80\"", "\"" FFFD FFFD FFFD "\"", 3); /* a surrogate */
	REPAIRED("\"\xc0\xaf\"", "\"" FFFD FFFD "\"", 2);          /* overlong */
	REPAIRED("\"\xe2\x82\"", "\"" FFFD "\"", 1);               /* truncated */
	REPAIRED("\"\xf0\x9f\x98x\"", "\"" FFFD "x\"", 1);
	REPAIRED("\"\xf4\x90\x80\x80\"", "\"" FFFD FFFD FFFD FFFD "\"", 4); /* > U+10FFFF */
	REPAIRED("\xe2\x82", FFFD, 1);
	REPAIRED("\"\\\xff\"", "\"\\" FFFD "\"", 1);
	/* Outside strings it stays invalid JSON: nothing becomes acceptable by accident. */
	REPAIRED("{\xff: 1}", "{" FFFD ": 1}", 1);

	/* A page with such an alert: after the repair both alerts scan, strings mended. */
	refuse(page);
	strbuf_init(&out, 3 * sizeof(page));
	CHECK_INT(scan_repair(page, sizeof(page) - 1, &out), 2);
	CHECK_INT(scan(out.buf, &n, &next, &buf), 0);
	CHECK_INT(n, 2);
	CHECK(items[0].skip == NULL);
	CHECK_STR(items[0].alert.alert_text, "Msg=a" FFFD "b&x=" FFFD);
	CHECK_STR(items[0].alert.msg, "a" FFFD "b");
	CHECK_STR(items[1].alert.alert_text, "Msg=ok");
	CHECK_INT(scan_diff(out.buf, out.len), SCAN_DIFF_ACCEPTED);
	scan_items_finish(items, n);
	free(buf);
	/* The output's cap: a clean error, no partial success. */
	strbuf_finish(&out);
	strbuf_init(&out, 8);
	CHECK_INT(scan_repair(page, sizeof(page) - 1, &out), -EMSGSIZE);
	strbuf_finish(&out);
}

int main(void)
{
	test_repair();
	test_full_page();
	test_shapes();
	test_refusals();
	test_prefixes();
	test_differential();
	return test_done();
}

// SPDX-License-Identifier: MIT
/* Unit tests for alert.c: tolerant parsing of list items and instances. */
#include <errno.h>

#include "base/alert.h"
#include "test.h"

static json_t *parse(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);

	if (!j)
		fprintf(stderr, "bad test JSON: %s\n", err.text);
	return j;
}

static void test_list_item(void)
{
	json_t *j = parse(
	        "{\"account_sid\": \"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
	        " \"alert_text\": \"LogLevel=ERROR&Msg=HTTP+Connection+Failure+-+Read+timed+out&"
	        "ErrorCode=11205&httpResponse=502\","
	        " \"api_version\": \"2010-04-01\","
	        " \"date_created\": \"2015-07-30T20:00:00Z\","
	        " \"date_generated\": \"2015-07-30T19:59:58.250Z\","
	        " \"date_updated\": \"Thu, 30 Jul 2015 20:00:01 +0000\","
	        " \"error_code\": \"11205\", \"log_level\": \"error\","
	        " \"more_info\": \"https://www.twilio.com/docs/errors/11205\","
	        " \"request_method\": \"POST\", \"request_url\": "
	        "\"https://Hooks.Example.com:8443/voice\","
	        " \"resource_sid\": \"CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"service_sid\": null,"
	        " \"sid\": \"NOaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
	        " \"url\": "
	        "\"https://monitor.twilio.com/v1/Alerts/NOaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
	        " \"some_future_field\": {\"x\": 1}}");
	struct alert a;

	CHECK_INT(alert_from_json(&a, j, NULL), 0);
	CHECK_STR(a.sid, "NOaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	CHECK_STR(a.account_sid, "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	CHECK(a.has_error_code);
	CHECK_INT(a.error_code, 11205);
	CHECK_STR(a.date_created, "2015-07-30T20:00:00Z");
	CHECK_STR(a.date_generated, "2015-07-30T19:59:58Z");
	CHECK_STR(a.date_updated, "2015-07-30T20:00:01Z");
	CHECK_INT(a.created, 1438286400);
	CHECK_STR(a.msg, "HTTP Connection Failure - Read timed out");
	CHECK(a.has_http_response);
	CHECK_INT(a.http_response, 502);
	CHECK_STR(a.request_host, "hooks.example.com");
	CHECK(a.service_sid == NULL);
	CHECK(a.request_variables == NULL);
	CHECK(a.response_body == NULL);
	CHECK_STR(a.source, "poll");
	alert_finish(&a);
	json_decref(j);
}

static void test_instance_and_numbers(void)
{
	json_t *j = parse("{\"sid\": \"NObbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\","
	                  " \"date_created\": \"2025-01-01T00:00:00.000Z\", \"error_code\": 30003,"
	                  " \"alert_text\": \"parserMessage=Bad+TwiML\","
	                  " \"request_variables\": \"CallSid=CA1&From=%2B1555\","
	                  " \"response_body\": \"<Response/>\", \"response_headers\": \"A=b\","
	                  " \"request_headers\": \"X=y\", \"request_url\": \"\"}");
	struct alert a;

	CHECK_INT(alert_from_json(&a, j, NULL), 0);
	CHECK(a.has_error_code);
	CHECK_INT(a.error_code, 30003);
	CHECK_STR(a.msg, "Bad TwiML");
	CHECK(!a.has_http_response);
	CHECK_STR(a.request_variables, "CallSid=CA1&From=%2B1555");
	CHECK_STR(a.response_body, "<Response/>");
	CHECK_STR(a.request_headers, "X=y");
	CHECK_STR(a.request_host, "");
	CHECK_STR(a.date_generated, "");
	CHECK(a.log_level == NULL);
	alert_finish(&a);
	json_decref(j);
}

static void test_rejects(void)
{
	const char *why = NULL;
	struct alert a;
	json_t *j;

	j = parse("[1, 2]");
	CHECK_INT(alert_from_json(&a, j, &why), -EINVAL);
	CHECK(why != NULL);
	json_decref(j);

	j = parse("{\"date_created\": \"2025-01-01T00:00:00Z\"}");
	CHECK_INT(alert_from_json(&a, j, &why), -EINVAL);
	CHECK_STR(why, "alert has no sid");
	json_decref(j);

	j = parse("{\"sid\": \"NOx\", \"date_created\": \"last tuesday\"}");
	CHECK_INT(alert_from_json(&a, j, &why), -EINVAL);
	CHECK_STR(why, "alert has no valid date_created");
	json_decref(j);

	/* A non-numeric error code is kept as "no code", not an error. */
	j = parse("{\"sid\": \"NOx\", \"date_created\": \"2025-01-01\", \"error_code\": \"abc\","
	          " \"alert_text\": 42, \"log_level\": [\"x\"]}");
	CHECK_INT(alert_from_json(&a, j, &why), 0);
	CHECK(!a.has_error_code);
	CHECK(a.alert_text == NULL);
	CHECK(a.log_level == NULL);
	CHECK(a.msg == NULL);
	alert_finish(&a);
	json_decref(j);
}

int main(void)
{
	test_list_item();
	test_instance_and_numbers();
	test_rejects();
	return test_done();
}

// SPDX-License-Identifier: MIT
/*
 * Unit tests for form.c, the one form-urlencoded decoder: the Debugger
 * webhook's body, query strings, and alert_text (whose Msg / parserMessage /
 * httpResponse become the msg and http_response columns through alert.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alert.h"
#include "base/form.h"
#include "test.h"

static void test_parse(void)
{
	struct form f = {0};
	const char *t = "a=1&b=x+y%21&&c&d=%zz&a=2";

	CHECK_INT(form_parse(t, strlen(t), &f), 0);
	CHECK_INT(f.n, 5);
	CHECK_STR(form_get(&f, "a"), "1");
	CHECK_STR(form_get(&f, "b"), "x y!");
	CHECK_STR(form_get(&f, "c"), "");
	CHECK_STR(form_get(&f, "d"), "%zz");
	CHECK(form_get(&f, "e") == NULL);
	form_finish(&f);
	CHECK_INT(form_parse("a=%00", 5, &f), -EILSEQ);
	form_finish(&f);
	/* Names are decoded before they are compared; a bare name has an empty value. */
	t = "%4D%73%67=first&Msg=second&flag&&=x&M+g=a&bad=%zz%4";
	CHECK_INT(form_parse(t, strlen(t), &f), 0);
	CHECK_STR(form_get(&f, "Msg"), "first");
	CHECK_STR(form_get(&f, "flag"), "");
	CHECK_STR(form_get(&f, ""), "x");
	CHECK_STR(form_get(&f, "M g"), "a");
	CHECK_STR(form_get(&f, "bad"), "%zz%4");
	CHECK(form_get(&f, "msg") == NULL);
	form_finish(&f);
}

/* msg and http_response of an alert whose alert_text is @text. */
static void alert_msg(const char *text, const char *msg, int64_t http)
{
	struct alert a;
	json_t *o = json_pack("{s:s, s:s, s:s}", "sid", "NO00000000000000000000000000000001",
	                      "date_created", "2026-01-02T03:04:05Z", "alert_text", text);
	const char *why = NULL;

	CHECK_INT(alert_from_json(&a, o, &why), 0);
	if (msg)
		CHECK_STR(a.msg, msg);
	else
		CHECK(a.msg == NULL);
	CHECK(a.has_http_response == (http >= 0));
	if (http >= 0)
		CHECK_INT(a.http_response, http);
	alert_finish(&a);
	json_decref(o);
}

/*
 * The stored msg is the Msg the page shows: alert.c reads alert_text with
 * form_parse. It used to have its own decoder, which truncated a value at
 * %00 and stored "a" where the page (refusing the form) showed the raw text.
 */
static void test_alert_text(void)
{
	alert_msg("LogLevel=ERROR&Msg=HTTP+Connection+Failure+-+Read+timed+out&"
	          "httpResponse=502",
	          "HTTP Connection Failure - Read timed out", 502);
	alert_msg("parserMessage=Bad+TwiML", "Bad TwiML", -1);
	alert_msg("%4D%73%67=first&Msg=second", "first", -1);
	alert_msg("Msg=a%00b&httpResponse=502", NULL, -1);
}

int main(void)
{
	test_parse();
	test_alert_text();
	return test_done();
}

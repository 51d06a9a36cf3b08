// SPDX-License-Identifier: MIT
/*
 * Unit tests for sign.c: known HMAC/SHA vectors (RFC 4231, Twilio's docs) and
 * every X-Twilio-Signature vector of twilio-monitor-api.md section 6.2.
 */
#include <stdbool.h>
#include <string.h>

#include "base/sign.h"
#include "test.h"

#define URL "https://mycompany.com/myapp.php?foo=1&bar=2"

/* The validator test's parameters (twilio-python test_request_validator.py). */
static const struct sign_param call[] = {
        {"CallSid", "CA1234567890ABCDE"}, {"Digits", "1234"},         {"From", "+14158675309"},
        {"To", "+18005551212"},           {"Caller", "+14158675309"},
};

static void twilio_vectors(void)
{
	static const struct sign_param dup[] = {
	        {"Sid", "CA123"},   {"SidAccount", "AC123"}, {"Digits", "5678"},
	        {"Digits", "1234"}, {"Digits", "1234"},
	};
	static const struct sign_param classic[] = {
	        {"CallSid", "CA1234567890ABCDE"}, {"Caller", "+12349013030"}, {"Digits", "1234"},
	        {"From", "+12349013030"},         {"To", "+18005551212"},
	};
	const char *body = "{\"property\": \"value\", \"boolean\": true}";
	const char *body_url =
	        URL "&bodySHA256="
	            "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
	char b64[SIGN_SHA1_B64_LEN];
	size_t n = sizeof(call) / sizeof(call[0]);

	/* test_compute_signature and the port variants, computed over the exact URL. */
	CHECK_INT(sign_twilio_compute("12345", URL, call, n, b64), 0);
	CHECK_STR(b64, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
	CHECK_INT(sign_twilio_compute("12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2",
	                              call, n, b64),
	          0);
	CHECK_STR(b64, "kvajT1Ptam85bY51eRf/AJRuM3w=");
	CHECK_INT(sign_twilio_compute("12345", "http://mycompany.com:80/myapp.php?foo=1&bar=2",
	                              call, n, b64),
	          0);
	CHECK_STR(b64, "0ZXoZLH/DfblKGATFgpif+LLRf4=");
	CHECK_INT(sign_twilio_compute("12345", "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
	                              call, n, b64),
	          0);
	CHECK_STR(b64, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=");
	CHECK_INT(sign_twilio_compute("12345", "http://mycompany.com/myapp.php?foo=1&bar=2", call,
	                              n, b64),
	          0);
	CHECK_STR(b64, "OyGYPqTF6ztdbRNCvuQO/oPvqQ4=");

	/* validate(): the plain URL, and each port rewrite the libraries accept. */
	CHECK(sign_twilio_valid("12345", URL, call, n, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	CHECK(sign_twilio_valid("12345", URL, call, n, "kvajT1Ptam85bY51eRf/AJRuM3w="));
	CHECK(sign_twilio_valid("12345", "http://mycompany.com/myapp.php?foo=1&bar=2", call, n,
	                        "0ZXoZLH/DfblKGATFgpif+LLRf4="));
	CHECK(sign_twilio_valid("12345", "http://mycompany.com:1234/myapp.php?foo=1&bar=2", call, n,
	                        "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="));
	CHECK(sign_twilio_valid("12345", "https://mycompany.com:1234/myapp.php?foo=1&bar=2", call,
	                        n, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	/* Refused: another token, URL, parameter value, missing parameter, empty signature. */
	CHECK(!sign_twilio_valid("12346", URL, call, n, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	CHECK(!sign_twilio_valid("12345", URL "&x=1", call, n, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	CHECK(!sign_twilio_valid("12345", URL, call, n - 1, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	CHECK(!sign_twilio_valid("12345", URL, call, n, ""));
	CHECK(!sign_twilio_valid("12345", URL, call, n, NULL));
	CHECK(!sign_twilio_valid("12345", "not a url", call, n, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	{
		struct sign_param changed[sizeof(call) / sizeof(call[0])];

		memcpy(changed, call, sizeof(call));
		changed[1].value = "1235";
		CHECK(!sign_twilio_valid("12345", URL, changed, n, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	}

	/* Multi-valued names: sorted values, duplicates once. */
	CHECK_INT(sign_twilio_compute("12345", URL, dup, 5, b64), 0);
	CHECK_STR(b64, "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
	CHECK(sign_twilio_valid("12345", URL, dup, 5, "IK+Dwps556ElfBT0I3Rgjkr1wJU="));

	/* The classic docs example. */
	CHECK_INT(sign_twilio_compute("12345", URL, classic, 5, b64), 0);
	CHECK_STR(b64, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");

	/* JSON body: signature over the URL with bodySHA256, and the hash must match. */
	CHECK(sign_twilio_valid_body("12345", body_url, body, strlen(body),
	                             "a9nBmqA0ju/hNViExpshrM61xv4="));
	CHECK(!sign_twilio_valid_body("12345", body_url, "{}", 2, "a9nBmqA0ju/hNViExpshrM61xv4="));
	CHECK(!sign_twilio_valid_body("12345", URL, body, strlen(body),
	                              "a9nBmqA0ju/hNViExpshrM61xv4="));
	CHECK(!sign_twilio_valid_body("12345", body_url, body, strlen(body),
	                              "RSOYDt4T1cUTdK1PDd93/VVr8B8="));

	CHECK_INT(sign_base64("user:pass", 9, b64, sizeof(b64)), 0);
	CHECK_STR(b64, "dXNlcjpwYXNz");
	CHECK(sign_base64("user:pass", 9, b64, 12) < 0);
}

int main(void)
{
	char hex[SIGN_SHA256_HEX_LEN], b64[SIGN_SHA1_B64_LEN];
	const char *s = "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller"
	                "+14158675309Digits1234From+14158675309To+18005551212";

	/* RFC 4231 test case 2. */
	CHECK_INT(sign_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, hex), 0);
	CHECK_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	CHECK_INT(sign_sha256_hex("{\"property\": \"value\", \"boolean\": true}", 38, hex), 0);
	CHECK_STR(hex, "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620");
	/* Twilio's documented validator vector (token 12345). */
	CHECK_INT(sign_hmac_sha1_base64("12345", 5, s, strlen(s), b64), 0);
	CHECK_STR(b64, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
	CHECK(sign_equal("abc", "abc"));
	CHECK(!sign_equal("abc", "abd"));
	CHECK(!sign_equal("abc", "abcd"));
	CHECK(!sign_equal(NULL, "a"));
	twilio_vectors();
	return test_done();
}

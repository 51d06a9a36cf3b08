// SPDX-License-Identifier: MIT
/* Unit tests for sign.c: known HMAC/SHA vectors (RFC 4231, Twilio's docs). */
#include <string.h>

#include "sign.h"
#include "test.h"

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
	return test_done();
}

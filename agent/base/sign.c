// SPDX-License-Identifier: MIT
/*
 * HMAC and hashes over OpenSSL 3's one-shot EVP interfaces. Keys and
 * digests live on the stack and are wiped before returning.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/sign.h"

static void to_hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

int sign_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len,
                         char out[SIGN_SHA256_HEX_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!HMAC(EVP_sha256(), key, (int)keylen, data, len, md, &mdlen) || mdlen != 32)
		return -EIO;
	to_hex(md, mdlen, out);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int sign_sha256_hex(const void *data, size_t len, char out[SIGN_SHA256_HEX_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return -EIO;
	to_hex(md, mdlen, out);
	return 0;
}

int sign_hmac_sha1_base64(const void *key, size_t keylen, const void *data, size_t len,
                          char out[SIGN_SHA1_B64_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!HMAC(EVP_sha1(), key, (int)keylen, data, len, md, &mdlen) || mdlen != 20)
		return -EIO;
	/* 20 bytes encode to 28 characters plus the NUL EVP_EncodeBlock writes. */
	if (EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen) != SIGN_SHA1_B64_LEN - 1)
		return -EIO;
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

bool sign_equal(const char *a, const char *b)
{
	size_t la, lb;

	if (!a || !b)
		return false;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}

static int param_cmp(const void *a, const void *b)
{
	const struct sign_param *x = *(const struct sign_param *const *)a;
	const struct sign_param *y = *(const struct sign_param *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

int sign_twilio_compute(const char *token, const char *url, const struct sign_param *params,
                        size_t n, char out[SIGN_SHA1_B64_LEN])
{
	const struct sign_param **sorted = NULL;
	size_t len = strlen(url), at;
	char *data = NULL;
	int r = -ENOMEM;

	if (n > SIGN_TWILIO_DATA_MAX)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		len += strlen(params[i].name) + strlen(params[i].value);
		if (len > SIGN_TWILIO_DATA_MAX)
			return -E2BIG;
	}
	sorted = calloc(n ? n : 1, sizeof(*sorted));
	data = malloc(len + 1);
	if (!sorted || !data)
		goto out;
	for (size_t i = 0; i < n; i++)
		sorted[i] = &params[i];
	qsort(sorted, n, sizeof(*sorted), param_cmp);
	at = strlen(url);
	memcpy(data, url, at);
	for (size_t i = 0; i < n; i++) {
		size_t ln = strlen(sorted[i]->name), lv = strlen(sorted[i]->value);

		/* A name sent twice with one value counts once (the libraries use a set). */
		if (i > 0 && param_cmp(&sorted[i - 1], &sorted[i]) == 0)
			continue;
		memcpy(data + at, sorted[i]->name, ln);
		memcpy(data + at + ln, sorted[i]->value, lv);
		at += ln + lv;
	}
	r = sign_hmac_sha1_base64(token, strlen(token), data, at, out);
out:
	free(sorted);
	free(data);
	return r;
}

/*
 * @url with its port removed (@with_port false) or with the scheme's default
 * port added when it has none (true), as the official validators rewrite it.
 * Returns 0, or -EINVAL when @url has no scheme://authority or is too long.
 */
static int port_variant(const char *url, bool with_port, char out[SIGN_TWILIO_URL_MAX])
{
	const char *auth = strstr(url, "://"), *end, *host, *colon = NULL;
	size_t head;

	if (!auth || strlen(url) + 7 >= SIGN_TWILIO_URL_MAX)
		return -EINVAL;
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	host = auth;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			host = p + 1;
	if (*host == '[')
		host = memchr(host, ']', (size_t)(end - host));
	if (!host)
		return -EINVAL;
	for (const char *p = host; p < end; p++)
		if (*p == ':')
			colon = p;
	head = (size_t)((colon ? colon : end) - url);
	memcpy(out, url, head);
	if (with_port && colon) {
		strcpy(out, url);
		return 0;
	}
	if (with_port)
		head += (size_t)sprintf(out + head, ":%d",
		                        strncmp(url, "https:", 6) == 0 ? 443 : 80);
	strcpy(out + head, end);
	return 0;
}

bool sign_twilio_valid(const char *token, const char *url, const struct sign_param *params,
                       size_t n, const char *signature)
{
	char variant[SIGN_TWILIO_URL_MAX], sig[SIGN_SHA1_B64_LEN];
	bool ok = false;

	if (!token || !url || !signature || (n && !params))
		return false;
	/* Both variants are always computed and compared, so the time does not tell which. */
	for (int with_port = 0; with_port < 2; with_port++) {
		if (port_variant(url, with_port, variant) < 0 ||
		    sign_twilio_compute(token, variant, params, n, sig) < 0)
			return false;
		ok |= sign_equal(sig, signature);
	}
	OPENSSL_cleanse(sig, sizeof(sig));
	return ok;
}

bool sign_twilio_valid_body(const char *token, const char *url, const void *body, size_t len,
                            const char *signature)
{
	const char *q = url ? strchr(url, '?') : NULL, *p;
	char hex[SIGN_SHA256_HEX_LEN], want[SIGN_SHA256_HEX_LEN] = "";
	bool hash_ok, sig_ok;

	/* The bodySHA256 query parameter: the first one, as the libraries read it. */
	for (p = q; p && *p; p += strcspn(p + 1, "&") + 1) {
		if (strncmp(p + 1, "bodySHA256=", 11) == 0) {
			size_t l = strcspn(p + 12, "&#");

			if (l == SIGN_SHA256_HEX_LEN - 1) {
				memcpy(want, p + 12, l);
				want[l] = '\0';
			}
			break;
		}
	}
	if (!want[0] || (len && !body) || sign_sha256_hex(body ? body : "", len, hex) < 0)
		return false;
	hash_ok = sign_equal(hex, want);
	sig_ok = sign_twilio_valid(token, url, NULL, 0, signature);
	return hash_ok && sig_ok;
}

int sign_base64(const void *data, size_t len, char *out, size_t size)
{
	if (len > (size_t)INT32_MAX / 2 || size < 4 * ((len + 2) / 3) + 1)
		return -ENAMETOOLONG;
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * HMAC and hashes over OpenSSL 3's one-shot EVP interfaces. Keys and
 * digests live on the stack and are wiped before returning.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sign.h"

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

/* SPDX-License-Identifier: MIT */
/*
 * Message authentication: HMAC-SHA256 for the signed notification
 * webhook, HMAC-SHA1 for Twilio's X-Twilio-Signature, SHA-256 of bodies,
 * and a constant-time comparison. The only module that touches OpenSSL.
 */
#ifndef ALERTD_SIGN_H
#define ALERTD_SIGN_H

#include <stdbool.h>
#include <stddef.h>

/* Hex SHA-256 plus NUL. */
#define SIGN_SHA256_HEX_LEN 65
/* Base64 of a 20-byte SHA-1 digest plus NUL. */
#define SIGN_SHA1_B64_LEN 29

/*
 * sign_hmac_sha256_hex - lower-case hex HMAC-SHA256 of @data under @key
 * into @out. Returns 0, or -EIO when OpenSSL fails.
 */
int sign_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len,
			 char out[SIGN_SHA256_HEX_LEN]);

/* sign_sha256_hex - lower-case hex SHA-256 of @data into @out. 0 or -EIO. */
int sign_sha256_hex(const void *data, size_t len, char out[SIGN_SHA256_HEX_LEN]);

/*
 * sign_hmac_sha1_base64 - base64 HMAC-SHA1 of @data under @key into @out
 * (the form of X-Twilio-Signature). Returns 0, or -EIO.
 */
int sign_hmac_sha1_base64(const void *key, size_t keylen, const void *data, size_t len,
			  char out[SIGN_SHA1_B64_LEN]);

/*
 * sign_equal - compare two NUL-terminated strings in time that depends
 * only on their lengths (for signatures). NULL never matches.
 */
bool sign_equal(const char *a, const char *b);

#endif

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

/* A name and its decoded value, as a form-encoded request carries them. */
struct sign_param {
	const char *name;
	const char *value;
};

/* Longest URL, and most bytes of parameters, a Twilio signature is computed over. */
#define SIGN_TWILIO_URL_MAX 2048
#define SIGN_TWILIO_DATA_MAX (1024 * 1024)

/*
 * sign_twilio_compute - the X-Twilio-Signature of a request to exactly @url
 * with the form parameters @params (@n of them; NULL when @n is 0): base64
 * HMAC-SHA1 under @token of @url followed by every name+value, sorted by
 * name then value (byte order), identical pairs once (as twilio-python and
 * twilio-node do). Returns 0, -E2BIG past SIGN_TWILIO_DATA_MAX, -ENOMEM, -EIO.
 */
int sign_twilio_compute(const char *token, const char *url, const struct sign_param *params,
                        size_t n, char out[SIGN_SHA1_B64_LEN]);

/*
 * sign_twilio_valid - whether @signature is Twilio's for a form-encoded
 * request to @url (the URL exactly as configured in Twilio) with @params.
 * Like the official libraries it accepts the signature of @url with its
 * port removed or with the scheme's default port added (Twilio has signed
 * both ways). Compares in constant time. NULL or malformed input is false.
 */
bool sign_twilio_valid(const char *token, const char *url, const struct sign_param *params,
                       size_t n, const char *signature);

/*
 * sign_twilio_valid_body - the same for a request with a non-form body
 * (JSON): the signature covers @url only, which must carry the query
 * parameter bodySHA256 = hex SHA-256 of @body, and that must match.
 */
bool sign_twilio_valid_body(const char *token, const char *url, const void *body, size_t len,
                            const char *signature);

/*
 * sign_base64 - standard base64 of @data into @out (@size bytes, NUL
 * included). Returns 0, or -ENAMETOOLONG when @out is too small.
 */
int sign_base64(const void *data, size_t len, char *out, size_t size);

#endif

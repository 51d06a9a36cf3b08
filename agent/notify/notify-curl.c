// SPDX-License-Identifier: MIT
/*
 * The channels over libcurl: email by SMTP and the signed webhook POST.
 * HTTP client code: handles come from base/net.c (protocols, no redirects,
 * TLS checks, timeouts), this file adds each transfer's own options.
 * Secrets go to libcurl and OpenSSL only, never to a log line or an error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "base/net.h"
#include "base/sign.h"
#include "base/util.h"
#include "notify/notify-curl.h"
#include "notify/notify-msg.h"
#include "notify/notify-private.h"
#include "version.h"

#define CONNECT_TIMEOUT_MAX 10

struct upload {
	const char *data;
	size_t len, pos;
};

static size_t on_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->len - u->pos)
		n = u->len - u->pos;
	memcpy(buf, u->data + u->pos, n);
	u->pos += n;
	return n;
}

/* A response is only read for its first line: keep NOTIFY_OUTPUT_MAX bytes, drop the rest. */
static size_t on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct strbuf *sb = arg;
	size_t n = size * nmemb, room = sb->max - sb->len;

	strbuf_append(sb, data, n < room ? n : room);
	return n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	volatile int *stop = arg;

	return stop && *stop;
}

/* A handle for channel @n: net.c's common setup, then what every channel adds. */
static CURL *easy_create(const struct config_notify *n, enum net_use use, volatile int *stop,
                         char *errbuf)
{
	long connect = (long)(n->timeout < CONNECT_TIMEOUT_MAX ? n->timeout : CONNECT_TIMEOUT_MAX);
	CURL *e;

	if (net_easy_create(use, (long)n->timeout, connect, &e) < 0)
		return NULL;
	errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_URL, n->url);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, stop);
	return e;
}

static int curl_failure(CURLcode rc, const char *errbuf, volatile int *stop, const char *what,
                        char *err, size_t size)
{
	if (rc == CURLE_ABORTED_BY_CALLBACK && stop && *stop) {
		snprintf(err, size, "%s: interrupted", what);
		return -EINTR;
	}
	snprintf(err, size, "%s: %s", what, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	return rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO;
}

int notify_smtp_send(const struct config_notify *n, const char *message, volatile int *stop,
                     char *err, size_t size)
{
	static const long use_ssl[] = {
	        [CONFIG_STARTTLS_REQUIRED] = (long)CURLUSESSL_ALL,
	        [CONFIG_STARTTLS_OPTIONAL] = (long)CURLUSESSL_TRY,
	        [CONFIG_STARTTLS_NO] = (long)CURLUSESSL_NONE,
	};
	char errbuf[CURL_ERROR_SIZE], from[330], addr[320], rcpt[330];
	struct upload up = {.data = message, .len = strlen(message)};
	struct curl_slist *rcpts = NULL, *more;
	CURL *e = NULL;
	CURLcode rc;
	int r = 0;

	if (notify_address(n->from, addr, sizeof(addr)) < 0) {
		snprintf(err, size, "from is not an address");
		return -EINVAL;
	}
	snprintf(from, sizeof(from), "<%s>", addr);
	for (size_t i = 0; i < n->n_to + n->n_cc; i++) {
		const char *v = i < n->n_to ? n->to[i] : n->cc[i - n->n_to];

		if (notify_address(v, addr, sizeof(addr)) < 0) {
			snprintf(err, size, "recipient %zu is not an address", i + 1);
			r = -EINVAL;
			goto out;
		}
		snprintf(rcpt, sizeof(rcpt), "<%s>", addr);
		more = curl_slist_append(rcpts, rcpt);
		if (!more) {
			r = -ENOMEM;
			goto out;
		}
		rcpts = more;
	}
	e = easy_create(n, NET_USE_SMTP, stop, errbuf);
	if (!e) {
		snprintf(err, size, "cannot set up libcurl");
		r = -ENOMEM;
		goto out;
	}
	/* smtps:// is TLS from the start; for smtp:// this says whether STARTTLS must happen. */
	curl_easy_setopt(e, CURLOPT_USE_SSL, use_ssl[n->starttls]);
	curl_easy_setopt(e, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(e, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(e, CURLOPT_READDATA, &up);
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	if (n->username) {
		curl_easy_setopt(e, CURLOPT_USERNAME, n->username);
		curl_easy_setopt(e, CURLOPT_PASSWORD, n->password);
	}
	rc = curl_easy_perform(e);
	if (rc != CURLE_OK)
		r = curl_failure(rc, errbuf, stop, "SMTP", err, size);
out:
	curl_easy_cleanup(e);
	curl_slist_free_all(rcpts);
	if (r == -ENOMEM)
		snprintf(err, size, "out of memory");
	return r;
}

int notify_webhook_send(const struct config_notify *n, const char *payload, const char *key,
                        const char *kind, volatile int *stop, char *err, size_t size)
{
	char errbuf[CURL_ERROR_SIZE], sig[SIGN_SHA256_HEX_LEN], line[160];
	char h_sig[128], h_key[1024], h_kind[64], ua[96];
	struct curl_slist *headers = NULL, *more;
	struct strbuf resp;
	const char *list[6];
	long status = 0;
	CURL *e = NULL;
	CURLcode rc;
	int r = 0;

	strbuf_init(&resp, NOTIFY_OUTPUT_MAX);
	if (sign_hmac_sha256_hex(n->secret, strlen(n->secret), payload, strlen(payload), sig) < 0) {
		snprintf(err, size, "cannot sign the body");
		r = -EIO;
		goto out;
	}
	snprintf(h_sig, sizeof(h_sig), "X-Alertd-Signature: %s", sig);
	snprintf(h_key, sizeof(h_key), "X-Alertd-Idempotency-Key: %s", key);
	snprintf(h_kind, sizeof(h_kind), "X-Alertd-Event: %s", kind);
	snprintf(ua, sizeof(ua), "User-Agent: twilio-alertd/%s", ALERTD_VERSION);
	list[0] = "Content-Type: application/json";
	list[1] = h_sig;
	list[2] = h_key;
	list[3] = h_kind;
	list[4] = ua;
	list[5] = "Expect:";
	for (size_t i = 0; i < ARRAY_SIZE(list); i++) {
		more = curl_slist_append(headers, list[i]);
		if (!more) {
			snprintf(err, size, "out of memory");
			r = -ENOMEM;
			goto out;
		}
		headers = more;
	}
	e = easy_create(n, NET_USE_HTTP, stop, errbuf);
	if (!e) {
		snprintf(err, size, "cannot set up libcurl");
		r = -ENOMEM;
		goto out;
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, payload);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(payload));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &resp);
	rc = curl_easy_perform(e);
	if (rc != CURLE_OK) {
		r = curl_failure(rc, errbuf, stop, "webhook", err, size);
		goto out;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		notify_first_line(resp.buf ? resp.buf : "", resp.len, line, sizeof(line));
		snprintf(err, size, "webhook: HTTP status %ld%s%s", status, line[0] ? ": " : "",
		         line);
		r = -EIO;
	}
out:
	curl_easy_cleanup(e);
	curl_slist_free_all(headers);
	strbuf_finish(&resp);
	return r;
}

// SPDX-License-Identifier: MIT
/*
 * base/net.c: one libcurl initialisation however many threads ask, and
 * handles that speak only the protocols of their use (a webhook URL that
 * says smtp://, a mail URL that says http://, file:// anywhere are refused
 * by libcurl before any connection). Nothing here leaves 127.0.0.1.
 */
#include <errno.h>
#include <pthread.h>

#include "base/net.h"
#include "test.h"

#define THREADS 8

static void *init_thread(void *arg)
{
	int *r = arg;

	*r = net_init();
	return NULL;
}

static void test_init_once(void)
{
	pthread_t t[THREADS];
	int r[THREADS];

	for (int i = 0; i < THREADS; i++) {
		r[i] = -1;
		CHECK_INT(pthread_create(&t[i], NULL, init_thread, &r[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(r[i], 0);
	}
	CHECK_INT(net_init(), 0);
}

/* What libcurl says when @use's handle is pointed at @url. */
static CURLcode perform(enum net_use use, const char *url)
{
	CURL *e = NULL;
	CURLcode rc;

	CHECK_INT(net_easy_create(use, 5, 1, &e), 0);
	if (!e)
		return CURLE_FAILED_INIT;
	curl_easy_setopt(e, CURLOPT_URL, url);
	rc = curl_easy_perform(e);
	curl_easy_cleanup(e);
	return rc;
}

static void test_protocols(void)
{
	/* Port 9 on loopback: nothing listens; a protocol allowed gets as far as connecting. */
	CHECK_INT(perform(NET_USE_HTTP, "smtp://127.0.0.1:9/"), CURLE_UNSUPPORTED_PROTOCOL);
	CHECK_INT(perform(NET_USE_HTTP, "file:///etc/passwd"), CURLE_UNSUPPORTED_PROTOCOL);
	CHECK_INT(perform(NET_USE_SMTP, "http://127.0.0.1:9/"), CURLE_UNSUPPORTED_PROTOCOL);
	CHECK_INT(perform(NET_USE_SMTP, "file:///etc/passwd"), CURLE_UNSUPPORTED_PROTOCOL);
	CHECK(perform(NET_USE_HTTP, "http://127.0.0.1:9/") != CURLE_UNSUPPORTED_PROTOCOL);
	CHECK(perform(NET_USE_SMTP, "smtp://127.0.0.1:9/") != CURLE_UNSUPPORTED_PROTOCOL);
}

int main(void)
{
	test_init_once();
	test_protocols();
	return test_done();
}

// SPDX-License-Identifier: MIT
/*
 * libcurl setup. curl_global_init is not safe to race, so it runs under
 * pthread_once; the common options live here so that the Monitor client and
 * the channels cannot drift apart again (protocols, redirects, TLS checks).
 */
#include <errno.h>
#include <pthread.h>

#include "base/net.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result = -EIO;

static void global_init(void)
{
	init_result = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

int net_init(void)
{
	if (pthread_once(&init_once, global_init) != 0)
		return -EIO;
	return init_result;
}

int net_easy_create(enum net_use use, long timeout, long connect_timeout, CURL **out)
{
	const char *protocols = use == NET_USE_SMTP ? "smtp,smtps" : "http,https";
	CURL *e;
	int r = net_init();

	if (r < 0)
		return r;
	e = curl_easy_init();
	if (!e)
		return -ENOMEM;
	/* The agent owns its signals; libcurl's resolver must not use SIGALRM. */
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, protocols);
	/* A redirect is never followed, so credentials never go where it points. */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
	curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout > 0 ? timeout : 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, connect_timeout > 0 ? connect_timeout : 1L);
	*out = e;
	return 0;
}

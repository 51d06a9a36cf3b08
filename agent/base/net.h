/* SPDX-License-Identifier: MIT */
/*
 * The one place that sets up libcurl: the process-wide initialisation (once,
 * from any thread) and the options every easy handle of the agent starts
 * with. This is the HTTP client module of STYLE.md: with the two files that
 * run transfers on its handles (ingest/monitor.c for the Monitor API,
 * notify/notify-curl.c for SMTP and the webhook), which add only what their
 * own transfers need, it is the only code that drives libcurl.
 */
#ifndef ALERTD_NET_H
#define ALERTD_NET_H

#include <curl/curl.h>

/* What a handle is for; it decides the only protocols libcurl may speak on it. */
enum net_use {
	NET_USE_HTTP, /* the Monitor API and webhooks: http, https */
	NET_USE_SMTP, /* mail: smtp, smtps */
};

/*
 * net_init - curl_global_init, done once per process however many threads
 * call it. Returns 0, or -EIO when libcurl cannot initialise (the same
 * answer to every later call).
 */
int net_init(void);

/*
 * net_easy_create - a new easy handle in *@out (the caller curl_easy_cleanup's
 * it) after net_init, set up as every transfer of the agent is: only the
 * protocols of @use, redirects never followed (and limited to those
 * protocols should a caller turn them on), credentials never sent to another
 * host, TLS peer and host verified, no signals, at most @timeout seconds in
 * all and @connect_timeout seconds to connect (each at least 1). Returns 0,
 * -EIO (libcurl did not initialise) or -ENOMEM; *@out is untouched on error.
 */
int net_easy_create(enum net_use use, long timeout, long connect_timeout, CURL **out);

#endif

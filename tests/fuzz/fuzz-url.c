// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the credential decision in monitor.c
 * (monitor_url_check), differential against libcurl's URL parser driven
 * independently here: a URL allowed must parse, with the flags libcurl's
 * own transfer code uses for CURLOPT_URL as well as with none, to exactly
 * the api_base's scheme, host and port, with no user name, password or
 * zone id, and so must libcurl's normalised form of it; a URL refused must
 * not be one that parses to the api_base's origin without those. The
 * reason text must be one printable line. How to build and run: README.md.
 * Linked with the agent's core library like every target.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "ingest/monitor.h"

/* URLs longer than the agent's cap are refused before any parsing. */
#define FUZZ_URL_MAX MONITOR_URL_MAX

/* The api_base the first input byte picks: production hosts and test simulators. */
/* clang-format off */
static const char *const bases[] = {
	"https://monitor.twilio.com",
	"https://monitor.twilio.com:443",
	"https://Monitor.Twilio.COM",
	"https://monitor.dublin.ie1.twilio.com",
	"http://127.0.0.1:8080",
	"http://[::1]:9443",
	"http://localhost:80",
	"https://api.twilio.com:8443",
};
/* clang-format on */

struct parsed {
	bool ok; /* parsed, http(s), no userinfo or zone id */
	char *scheme, *host;
	long port;
};

/* Parse @url with @flags the way libcurl would, independently of monitor.c. */
static void parse(const char *url, unsigned flags, struct parsed *p)
{
	CURLU *h = curl_url();
	char *s = NULL, *port = NULL;

	memset(p, 0, sizeof(*p));
	if (!h)
		abort();
	if (curl_url_set(h, CURLUPART_URL, url, flags) != CURLUE_OK)
		goto out;
	if (curl_url_get(h, CURLUPART_SCHEME, &p->scheme, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_HOST, &p->host, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	p->port = atol(port);
	p->ok = (strcmp(p->scheme, "http") == 0 || strcmp(p->scheme, "https") == 0) &&
	        curl_url_get(h, CURLUPART_USER, &s, 0) == CURLUE_NO_USER &&
	        curl_url_get(h, CURLUPART_PASSWORD, &s, 0) == CURLUE_NO_PASSWORD &&
	        curl_url_get(h, CURLUPART_OPTIONS, &s, 0) == CURLUE_NO_OPTIONS &&
	        curl_url_get(h, CURLUPART_ZONEID, &s, 0) == CURLUE_NO_ZONEID;
out:
	curl_free(s);
	curl_free(port);
	curl_url_cleanup(h);
}

static void parsed_finish(struct parsed *p)
{
	curl_free(p->scheme);
	curl_free(p->host);
}

static bool same_origin(const struct parsed *a, const struct parsed *b)
{
	return a->ok && b->ok && strcmp(a->scheme, b->scheme) == 0 &&
	       strcasecmp(a->host, b->host) == 0 && a->port == b->port;
}

/* libcurl's normalised spelling of @url, or NULL. Caller curl_free's. */
static char *normalised(const char *url)
{
	CURLU *h = curl_url();
	char *out = NULL;

	if (!h)
		abort();
	if (curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK)
		curl_url_get(h, CURLUPART_URL, &out, 0);
	curl_url_cleanup(h);
	return out;
}

static void fail(const char *what, const char *base, const char *url, const char *why)
{
	fprintf(stderr, "fuzz-url: %s: api_base %s, URL \"%s\": %s\n", what, base, url, why);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *base;
	struct parsed want, strict, loose, norm;
	char url[FUZZ_URL_MAX + 1], why[256];
	char *again;
	size_t len;
	int r;

	if (size < 1 || size - 1 > FUZZ_URL_MAX)
		return 0;
	base = bases[data[0] % (sizeof(bases) / sizeof(bases[0]))];
	/* The agent's URLs are C strings: a NUL ends them. */
	len = strnlen((const char *)data + 1, size - 1);
	memcpy(url, data + 1, len);
	url[len] = '\0';

	why[0] = '\0';
	r = monitor_url_check(base, url, why, sizeof(why));
	if (r != 0 && r != -EPERM)
		fail("unexpected result", base, url, why);
	for (const char *p = why; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			fail("unprintable byte in the reason", base, url, why);
	if (r != 0 && !why[0])
		fail("refused without a reason", base, url, why);

	parse(base, 0, &want);
	parse(url, 0, &strict);
	/* What libcurl's transfer would make of the string given as CURLOPT_URL. */
	parse(url, CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME, &loose);
	if (r == 0) {
		if (!same_origin(&strict, &want))
			fail("allowed a URL of another origin", base, url, why);
		if (!same_origin(&loose, &want))
			fail("allowed a URL libcurl's transfer would send elsewhere", base, url,
			     why);
		again = normalised(url);
		if (!again)
			fail("allowed a URL that does not normalise", base, url, why);
		parse(again, 0, &norm);
		if (!same_origin(&norm, &want))
			fail("allowed a URL whose normal form goes elsewhere", base, url, again);
		parsed_finish(&norm);
		curl_free(again);
	} else if (same_origin(&strict, &want)) {
		fail("refused a URL of the api_base's own origin", base, url, why);
	}
	parsed_finish(&want);
	parsed_finish(&strict);
	parsed_finish(&loose);
	return 0;
}

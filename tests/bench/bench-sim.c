/* SPDX-License-Identifier: MIT */
/*
 * bench-sim: page through a Monitor Alerts listing as fast as possible and report
 * alerts/s and MB/s. One libcurl easy handle (so one keep-alive connection),
 * next_page_url found by a minimal scan rather than a JSON parse. Run by hand,
 * see tests/bench/RESULTS.md; it is not a meson test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define PAGE_CAP (64u << 20) /* bytes of one response page */
#define URL_CAP 8192         /* bytes of one next_page_url */

struct page {
	char *p;
	size_t len;
	size_t cap;
	int too_big;
};

static size_t on_data(char *data, size_t size, size_t n, void *user)
{
	struct page *pg = user;
	size_t add = size * n;

	if (pg->len + add + 1 > PAGE_CAP) {
		pg->too_big = 1;
		return 0;
	}
	if (pg->len + add + 1 > pg->cap) {
		size_t cap = pg->cap ? pg->cap : 1 << 20;
		char *q;

		while (cap < pg->len + add + 1)
			cap *= 2;
		q = realloc(pg->p, cap);
		if (!q)
			return 0;
		pg->p = q;
		pg->cap = cap;
	}
	memcpy(pg->p + pg->len, data, add);
	pg->len += add;
	pg->p[pg->len] = '\0';
	return add;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

/* Counts list items by their "sid": "NO..." member (resource_sid does not match). */
static long count_alerts(const char *body)
{
	long n = 0;

	for (const char *s = strstr(body, "\"sid\":"); s; s = strstr(s + 6, "\"sid\":"))
		if (strncmp(skip_ws(s + 6), "\"NO", 3) == 0)
			n++;
	return n;
}

/* Copies meta.next_page_url into @out; returns 1 if there is one, 0 if null, -1 on error. */
static int next_url(const char *body, char *out, size_t cap)
{
	const char *s = strstr(body, "\"next_page_url\":");
	size_t n = 0;

	if (!s)
		return -1;
	s = skip_ws(s + 16);
	if (strncmp(s, "null", 4) == 0)
		return 0;
	if (*s++ != '"')
		return -1;
	for (; *s && *s != '"'; s++) {
		if (*s == '\\' && s[1])
			s++; /* only "\/" can occur in a URL */
		if (n + 1 >= cap)
			return -1;
		out[n++] = *s;
	}
	out[n] = '\0';
	return *s == '"' ? 1 : -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *userpwd = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:sim-token";
	long max_alerts = -1, passes = 1, total = 0, pages = 0;
	double bytes = 0, t0, dt;
	struct page pg = {0};
	char *url = NULL;
	CURL *h = NULL;
	int c, ret = 1;

	while ((c = getopt(argc, argv, "u:n:r:")) != -1) {
		switch (c) {
		case 'u':
			userpwd = optarg;
			break;
		case 'n':
			max_alerts = atol(optarg);
			break;
		case 'r':
			passes = atol(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc || passes < 1)
		goto usage;
	url = malloc(URL_CAP);
	if (!url || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		goto out;
	h = curl_easy_init();
	if (!h)
		goto out;
	curl_easy_setopt(h, CURLOPT_USERPWD, userpwd);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &pg);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);

	t0 = now_s();
	for (long pass = 0; pass < passes; pass++) {
		long seen = 0;
		int more = 1;

		snprintf(url, URL_CAP, "%s", argv[optind]);
		while (more && (max_alerts < 0 || seen < max_alerts)) {
			long status = 0;
			CURLcode rc;

			pg.len = 0;
			curl_easy_setopt(h, CURLOPT_URL, url);
			rc = curl_easy_perform(h);
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
			if (rc != CURLE_OK || status != 200 || !pg.p) {
				fprintf(stderr, "bench-sim: %s: %s, HTTP %ld%s\n", url,
				        curl_easy_strerror(rc), status,
				        pg.too_big ? ", page too big" : "");
				goto out;
			}
			seen += count_alerts(pg.p);
			bytes += (double)pg.len;
			pages++;
			more = next_url(pg.p, url, URL_CAP);
			if (more < 0) {
				fprintf(stderr,
				        "bench-sim: no meta.next_page_url in the response\n");
				goto out;
			}
		}
		total += seen;
	}
	dt = now_s() - t0;
	printf("pages %ld  alerts %ld  bytes %.0f  seconds %.3f\n", pages, total, bytes, dt);
	printf("%.0f alerts/s  %.1f MB/s  %.2f ms/page\n", (double)total / dt, bytes / dt / 1e6,
	       dt * 1e3 / (double)pages);
	ret = 0;
	goto out;
usage:
	fprintf(stderr, "usage: bench-sim [-u USER:PASS] [-n MAX_ALERTS] [-r PASSES] "
	                "'http://127.0.0.1:PORT/v1/Alerts?PageSize=1000'\n");
	ret = 2;
out:
	if (h)
		curl_easy_cleanup(h);
	curl_global_cleanup();
	free(pg.p);
	free(url);
	return ret;
}

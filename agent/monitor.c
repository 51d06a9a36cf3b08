// SPDX-License-Identifier: MIT
/*
 * Monitor API client over libcurl. One easy handle per account is reused
 * so the connection (and TLS session) stays open across pages; instance
 * fetches for fetch_details run on a small multi handle. Retries follow
 * full-jitter exponential backoff unless Twilio says how long to wait.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "log.h"
#include "monitor.h"
#include "util.h"
#include "version.h"

#define MONITOR_ERROR_MAX 512
#define MONITOR_CONNECT_TIMEOUT 10
#define MONITOR_LOW_SPEED_TIME 20

/* What one transfer learned from the response headers. */
struct headers {
	int64_t retry_after;	/* seconds; -1 = not sent */
	int64_t ratelimit_reset;	/* epoch seconds; -1 = not sent */
	int64_t date;		/* the Date header, epoch seconds; -1 = not sent or invalid */
};

struct xfer {
	CURL *easy;
	struct strbuf body;
	struct headers hdr;
	bool too_big;
	char empty[1];		/* the body handed to a parser when nothing came */
	size_t index;
	char url[MONITOR_URL_MAX];
};

struct monitor {
	const struct config_account *acct;
	int64_t timeout;
	int max_retries;
	volatile int *stop;
	struct xfer main;
	void (*wait_hook)(void *arg);
	void *wait_arg;
	char user_agent[96];
	char error[MONITOR_ERROR_MAX];
	struct monitor_stats stats;
	/* Twilio's clock minus ours, from the last response with a valid Date header. */
	bool has_skew;
	int64_t skew;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	if (strbuf_append(&x->body, data, n) < 0) {
		x->too_big = true;
		return 0;	/* makes curl fail the transfer with CURLE_WRITE_ERROR */
	}
	return n;
}

static size_t on_header(char *data, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nitems;
	char line[256], *v;
	size_t len = n < sizeof(line) - 1 ? n : sizeof(line) - 1;

	memcpy(line, data, len);
	line[len] = '\0';
	v = strchr(line, ':');
	if (!v)
		return n;
	*v++ = '\0';
	v = util_trim(v);
	if (strcasecmp(line, "Retry-After") == 0 || strcasecmp(line, "X-RateLimit-Retry-After") == 0) {
		int64_t secs, when;

		if (util_parse_duration(v, &secs) == 0)
			x->hdr.retry_after = secs;
		else if (util_parse_time(v, &when) == 0)	/* the HTTP-date form */
			x->hdr.retry_after = when > util_now() ? when - util_now() : 0;
	} else if (strcasecmp(line, "Date") == 0) {
		int64_t t;

		/* Strict: a Date that is not an HTTP-date tells nothing about Twilio's clock. */
		x->hdr.date = util_parse_http_date(v, &t) == 0 ? t : -1;
	} else if (strcasecmp(line, "X-RateLimit-Reset") == 0) {
		char *end;
		long long t = strtoll(v, &end, 10);

		if (end != v && *end == '\0' && t > 0)
			x->hdr.ratelimit_reset = t;
	}
	return n;
}

static int xfer_init(struct monitor *m, struct xfer *x)
{
	const struct config_account *a = m->acct;
	CURL *e;

	strbuf_init(&x->body, MONITOR_RESPONSE_MAX);
	x->easy = e = curl_easy_init();
	if (!e)
		return -EIO;
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)MONITOR_CONNECT_TIMEOUT);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)m->timeout);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)MONITOR_LOW_SPEED_TIME);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MONITOR_RESPONSE_MAX);
	curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	/* Credentials stay in this process's memory: never argv, never a log line. */
	curl_easy_setopt(e, CURLOPT_USERNAME, a->username);
	curl_easy_setopt(e, CURLOPT_PASSWORD, a->secret);
	curl_easy_setopt(e, CURLOPT_USERAGENT, m->user_agent);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	return 0;
}

static void xfer_finish(struct xfer *x)
{
	if (x->easy)
		curl_easy_cleanup(x->easy);
	x->easy = NULL;
	strbuf_finish(&x->body);
}

static void xfer_prepare(struct xfer *x, const char *url)
{
	static struct curl_slist accept = {(char *)"Accept: application/json", NULL};

	strbuf_reset(&x->body);
	x->too_big = false;
	x->hdr.retry_after = -1;
	x->hdr.ratelimit_reset = -1;
	x->hdr.date = -1;
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, &accept);
}

int monitor_create(const struct config_account *acct, int64_t timeout, int max_retries,
		   volatile int *stop, struct monitor **out)
{
	static bool global_done;
	struct monitor *m;
	int r;

	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return -EIO;
		global_done = true;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->acct = acct;
	m->timeout = timeout > 0 ? timeout : 30;
	m->max_retries = max_retries;
	m->stop = stop;
	snprintf(m->user_agent, sizeof(m->user_agent), "twilio-alertd/%s (%s)", ALERTD_VERSION,
		 curl_version_info(CURLVERSION_NOW)->version);
	r = xfer_init(m, &m->main);
	if (r < 0)
		goto out;
	*out = m;
	m = NULL;
out:
	monitor_destroy(m);
	return r;
}

void monitor_destroy(struct monitor *m)
{
	if (!m)
		return;
	xfer_finish(&m->main);
	free(m);
}

void monitor_set_wait_hook(struct monitor *m, void (*fn)(void *arg), void *arg)
{
	m->wait_hook = fn;
	m->wait_arg = arg;
}

const char *monitor_error(const struct monitor *m)
{
	return m->error;
}

bool monitor_clock_skew(const struct monitor *m, int64_t *skew)
{
	if (m->has_skew)
		*skew = m->skew;
	return m->has_skew;
}

const struct monitor_stats *monitor_stats(const struct monitor *m)
{
	return &m->stats;
}

/* Same scheme and host[:port] prefix as @base, followed by '/' or the end. */
static bool same_origin(const char *url, const char *base)
{
	size_t n = strlen(base);
	const char *rest;

	rest = strstr(base, "://");
	if (rest && strchr(rest + 3, '/'))
		n = (size_t)(strchr(rest + 3, '/') - base);
	return strncasecmp(url, base, n) == 0 && (url[n] == '/' || url[n] == '?' || !url[n]);
}

/* Twilio may hand back a canonical host: accept any https twilio.com host as well. */
static bool url_allowed(const struct monitor *m, const char *url)
{
	char host[256];
	size_t len;

	if (same_origin(url, m->acct->api_base))
		return true;
	if (strncasecmp(url, "https://", 8) != 0 || util_url_host(url, host, sizeof(host)) < 0)
		return false;
	len = strlen(host);
	return strcmp(host, "twilio.com") == 0 ||
	       (len > 11 && strcmp(host + len - 11, ".twilio.com") == 0);
}

/* Twilio's error body ("code", "message", "detail"; or RFC 9457 "title"), in one line. */
static void twilio_message(const struct xfer *x, char *out, size_t size)
{
	json_t *j = json_loadb(x->body.buf ? x->body.buf : "", x->body.len, 0, NULL);
	const char *msg, *detail;
	json_int_t code;

	out[0] = '\0';
	if (!json_is_object(j))
		goto out;
	msg = json_string_value(json_object_get(j, "message"));
	if (!msg)
		msg = json_string_value(json_object_get(j, "title"));
	detail = json_string_value(json_object_get(j, "detail"));
	code = json_integer_value(json_object_get(j, "code"));
	if (!msg && !detail)
		goto out;
	if (code)
		snprintf(out, size, " (Twilio error %" JSON_INTEGER_FORMAT ": %.200s%s%.200s)",
			 code, msg ? msg : "", msg && detail ? ": " : "", detail ? detail : "");
	else	/* newer error shapes may carry no numeric code */
		snprintf(out, size, " (%.200s%s%.200s)", msg ? msg : "", msg && detail ? ": " : "",
			 detail ? detail : "");
out:
	json_decref(j);
}

/* The path of @url without scheme, host or query, for error lines. */
static void url_path(const char *url, char *out, size_t size)
{
	const char *p = strstr(url, "://");

	p = p ? strchr(p + 3, '/') : NULL;
	snprintf(out, size, "%.*s", p ? (int)strcspn(p, "?") : 1, p ? p : "/");
}

/* monitor_get_json's parser: the body must be a JSON object. */
struct json_parse {
	json_t *j;
	json_error_t err;
};

static int parse_json(char *body, size_t len, void *arg, const char **why)
{
	struct json_parse *jp = arg;
	json_t *j = json_loadb(body, len, 0, &jp->err);

	if (!json_is_object(j)) {
		*why = j ? "not an object" : jp->err.text;
		json_decref(j);
		return -EBADMSG;
	}
	jp->j = j;
	return 0;
}

/*
 * Judge one finished transfer, handing a 2xx body to @parse: 0, -EAGAIN
 * for what a retry may cure, or a final error. Sets m->error on failure.
 */
static int classify(struct monitor *m, struct xfer *x, CURLcode cc,
		    int (*parse)(char *body, size_t len, void *arg, const char **why), void *arg)
{
	char path[128], twilio[480];
	long status = 0;
	int r;

	m->stats.requests++;
	url_path(x->url, path, sizeof(path));
	if (cc != CURLE_OK) {
		m->stats.http_errors++;
		if (x->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
			snprintf(m->error, sizeof(m->error),
				 "GET %s: response larger than %u bytes", path, MONITOR_RESPONSE_MAX);
			return -EPROTO;
		}
		snprintf(m->error, sizeof(m->error), "GET %s: %s", path, curl_easy_strerror(cc));
		return -EAGAIN;
	}
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	m->stats.bytes += (int64_t)x->body.len;
	/* Any answer, an error too, tells Twilio's clock; the transfer took about no time. */
	if (x->hdr.date >= 0) {
		m->skew = x->hdr.date - util_now();
		m->has_skew = true;
	}
	if (status >= 200 && status < 300) {
		const char *why = "refused by the parser";

		m->stats.status_2xx++;
		x->empty[0] = '\0';
		r = parse(x->body.buf ? x->body.buf : x->empty, x->body.len, arg, &why);
		if (r == -EBADMSG) {
			m->stats.http_errors++;
			snprintf(m->error, sizeof(m->error), "GET %s: invalid JSON in response: %s",
				 path, why);
			return -EAGAIN;
		}
		if (r < 0)
			snprintf(m->error, sizeof(m->error), "GET %s: %s", path, strerror(-r));
		return r;
	}
	m->stats.http_errors++;
	if (status >= 500)
		m->stats.status_5xx++;
	else if (status >= 400)
		m->stats.status_4xx++;
	twilio_message(x, twilio, sizeof(twilio));
	snprintf(m->error, sizeof(m->error), "GET %s: HTTP %ld%s", path, status, twilio);
	if (status == 401 || status == 403) {
		snprintf(m->error, sizeof(m->error),
			 "Twilio refused the credentials of account %s (%s): HTTP %ld%s",
			 m->acct->name, m->acct->username, status, twilio);
		return -EACCES;
	}
	if (status == 404)
		return -ENOENT;
	if (status == 429 || status >= 500)
		return -EAGAIN;
	return -EPROTO;
}

/* How long to wait before retry number @attempt (0-based), in milliseconds. */
static int64_t backoff_ms(int attempt, const struct headers *h)
{
	int64_t ceiling;

	if (h->retry_after >= 0)
		return (h->retry_after < MONITOR_RETRY_AFTER_MAX ? h->retry_after
								 : MONITOR_RETRY_AFTER_MAX) * 1000;
	if (h->ratelimit_reset >= 0) {
		int64_t wait = h->ratelimit_reset - util_now();

		if (wait < 0)
			wait = 0;
		return (wait < MONITOR_RETRY_AFTER_MAX ? wait : MONITOR_RETRY_AFTER_MAX) * 1000 + 100;
	}
	/* Full jitter: uniform in [0, min(max, base * 2^attempt)]. */
	ceiling = MONITOR_BACKOFF_BASE_MS << (attempt < 16 ? attempt : 16);
	if (ceiling > MONITOR_BACKOFF_MAX_MS)
		ceiling = MONITOR_BACKOFF_MAX_MS;
	return (int64_t)util_random((uint64_t)ceiling + 1);
}

/* Run @x (prepared for x->url) with the retry policy. */
static int perform(struct monitor *m, struct xfer *x,
		   int (*parse)(char *body, size_t len, void *arg, const char **why), void *arg)
{
	char host[256];
	int r;

	if (!url_allowed(m, x->url)) {
		if (util_url_host(x->url, host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "an invalid URL");
		snprintf(m->error, sizeof(m->error),
			 "refusing to send account %s's credentials to %s (not %s)", m->acct->name,
			 host, m->acct->api_base);
		return -EPROTO;
	}
	for (int attempt = 0;; attempt++) {
		CURLcode cc;
		int64_t wait;

		xfer_prepare(x, x->url);
		log_debug("account %s: GET %s", m->acct->name, x->url);
		cc = curl_easy_perform(x->easy);
		r = classify(m, x, cc, parse, arg);
		if (r != -EAGAIN)
			return r;
		if (attempt >= m->max_retries) {
			size_t len = strlen(m->error);

			snprintf(m->error + len, sizeof(m->error) - len, " (gave up after %d %s)",
				 attempt + 1, attempt ? "tries" : "try");
			return -EAGAIN;
		}
		wait = backoff_ms(attempt, &x->hdr);
		log_info("account %s: %s; retry %d of %d in %.1fs", m->acct->name, m->error,
			 attempt + 1, m->max_retries, (double)wait / 1000);
		m->stats.retries++;
		if (m->wait_hook)
			m->wait_hook(m->wait_arg);
		if (util_sleep_ms(wait, m->stop)) {
			snprintf(m->error, sizeof(m->error), "stopped while waiting to retry");
			return -EINTR;
		}
	}
}

int monitor_get(struct monitor *m, const char *url,
		int (*parse)(char *body, size_t len, void *arg, const char **why), void *arg)
{
	m->error[0] = '\0';
	if (snprintf(m->main.url, sizeof(m->main.url), "%s", url) >= (int)sizeof(m->main.url)) {
		snprintf(m->error, sizeof(m->error), "URL longer than %d bytes", MONITOR_URL_MAX);
		return -EPROTO;
	}
	return perform(m, &m->main, parse, arg);
}

int monitor_get_json(struct monitor *m, const char *url, json_t **out)
{
	struct json_parse jp = {NULL};
	int r = monitor_get(m, url, parse_json, &jp);

	if (r == 0)
		*out = jp.j;
	return r;
}

int monitor_list_url(const struct monitor *m, int64_t start, int64_t end, char *buf,
		     size_t size)
{
	char s[UTIL_TIME_LEN], e[UTIL_TIME_LEN];
	const char *level = m->acct->log_level;
	int n;

	util_format_time(start, s);
	util_format_time(end, e);
	n = snprintf(buf, size, "%s/v1/Alerts?StartDate=%s%s%s%s%s&PageSize=%d", m->acct->api_base,
		     s, end ? "&EndDate=" : "", end ? e : "", level ? "&LogLevel=" : "",
		     level ? level : "", MONITOR_PAGE_SIZE);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int monitor_fetch_many(struct monitor *m, const char *const *sids, size_t n,
		       int (*fn)(json_t *alert, void *arg), void *arg)
{
	struct xfer xs[MONITOR_FETCH_PARALLEL];
	CURLM *multi = NULL;
	size_t next = 0, active = 0, nx = 0;
	int r = 0;

	memset(xs, 0, sizeof(xs));
	m->error[0] = '\0';
	if (n == 0)
		return 0;
	multi = curl_multi_init();
	if (!multi)
		return -ENOMEM;
	for (nx = 0; nx < MONITOR_FETCH_PARALLEL && nx < n; nx++) {
		r = xfer_init(m, &xs[nx]);
		if (r < 0)
			goto out;
	}
	/* Each idle handle takes the next sid until all are done or one fails. */
	while (r == 0 && (next < n || active > 0)) {
		CURLMsg *msg;
		int left, running;

		for (size_t i = 0; i < nx && next < n; i++) {
			struct xfer *x = &xs[i];
			int len;

			if (x->index != 0)
				continue;
			len = snprintf(x->url, sizeof(x->url), "%s/v1/Alerts/%s", m->acct->api_base,
				       sids[next]);
			if (len < 0 || (size_t)len >= sizeof(x->url)) {
				snprintf(m->error, sizeof(m->error), "alert URL too long");
				r = -EPROTO;
				goto out;
			}
			xfer_prepare(x, x->url);
			x->index = ++next;	/* 1-based so that 0 means idle */
			curl_multi_add_handle(multi, x->easy);
			active++;
		}
		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &left))) {
			struct json_parse jp = {NULL};
			struct xfer *x;
			int c;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			curl_multi_remove_handle(multi, x->easy);
			active--;
			c = classify(m, x, msg->data.result, parse_json, &jp);
			if (c == -EAGAIN) {
				/* A fault on one instance: fall back to the retrying path. */
				c = perform(m, x, parse_json, &jp);
			}
			x->index = 0;
			if (c == -ENOENT)
				continue;
			if (c == 0) {
				c = fn(jp.j, arg);
				json_decref(jp.j);
			}
			if (c != 0 && r == 0)
				r = c;
		}
		if (r == 0 && active > 0)
			curl_multi_poll(multi, NULL, 0, 200, NULL);
		if (r == 0 && m->stop && *m->stop) {
			snprintf(m->error, sizeof(m->error), "stopped");
			r = -EINTR;
		}
	}
out:
	for (size_t i = 0; i < nx; i++) {
		if (xs[i].index && multi)
			curl_multi_remove_handle(multi, xs[i].easy);
		xfer_finish(&xs[i]);
	}
	curl_multi_cleanup(multi);
	return r;
}

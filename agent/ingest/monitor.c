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

#include "base/log.h"
#include "base/net.h"
#include "ingest/monitor.h"
#include "ingest/scan.h"
#include "base/util.h"
#include "version.h"

#define MONITOR_ERROR_MAX 512
#define MONITOR_CONNECT_TIMEOUT 10
#define MONITOR_LOW_SPEED_TIME 20

/* What one transfer learned from the response headers. */
struct headers {
	int64_t retry_after;     /* seconds; -1 = not sent */
	int64_t ratelimit_reset; /* epoch seconds; -1 = not sent */
	int64_t date;            /* the Date header, epoch seconds; -1 = not sent or invalid */
};

struct xfer {
	CURL *easy;
	CURLU *uh; /* the checked URL being fetched */
	struct strbuf body;
	struct headers hdr;
	bool too_big;
	char empty[1]; /* the body handed to a parser when nothing came */
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
		return 0; /* makes curl fail the transfer with CURLE_WRITE_ERROR */
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
	if (strcasecmp(line, "Retry-After") == 0 ||
	    strcasecmp(line, "X-RateLimit-Retry-After") == 0) {
		int64_t secs, when;

		if (util_parse_duration(v, &secs) == 0)
			x->hdr.retry_after = secs;
		else if (util_parse_time(v, &when) == 0) /* the HTTP-date form */
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
	/* Protocols, no redirects, TLS checks, no signals, timeouts: base/net.c. */
	if (net_easy_create(NET_USE_HTTP, (long)m->timeout, MONITOR_CONNECT_TIMEOUT, &x->easy) < 0)
		return -EIO;
	e = x->easy;
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
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
	curl_url_cleanup(x->uh);
	x->uh = NULL;
	strbuf_finish(&x->body);
}

/* Before each attempt: forget the last response. */
static void xfer_reset(struct xfer *x)
{
	static struct curl_slist accept = {(char *)"Accept: application/json", NULL};

	strbuf_reset(&x->body);
	x->too_big = false;
	x->hdr.retry_after = -1;
	x->hdr.ratelimit_reset = -1;
	x->hdr.date = -1;
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, &accept);
}

int monitor_create(const struct config_account *acct, int64_t timeout, int max_retries,
                   volatile int *stop, struct monitor **out)
{
	struct monitor *m;
	int r;

	if (net_init() < 0)
		return -EIO;
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

/* What decides where a request goes: scheme, host and port, as libcurl's parser reads them. */
struct origin {
	char *scheme; /* lower case, from libcurl */
	char *host;   /* as libcurl will resolve it; IPv6 in brackets */
	long port;    /* explicit, or the scheme's default */
};

static void origin_finish(struct origin *o)
{
	curl_free(o->scheme);
	curl_free(o->host);
	o->scheme = o->host = NULL;
}

/*
 * Parse @url into a new URL handle (*@out, the caller curl_url_cleanup's
 * it) and its origin. Anything that could send the request elsewhere than
 * the origin says is refused: a user name, password or login options, an
 * IPv6 zone id, a scheme other than http and https. Returns NULL, or a
 * short reason: static text ("a user name or password"), or libcurl's own
 * (*@curls set).
 */
static const char *origin_parse(const char *url, CURLU **out, struct origin *o, bool *curls)
{
	CURLU *h = curl_url();
	char *part = NULL, *end;
	const char *why = NULL;
	CURLUcode uc;

	*out = NULL;
	*curls = false;
	memset(o, 0, sizeof(*o));
	if (!h)
		return "out of memory";
	/* No flags: no guessed scheme, no unknown scheme, no blanks. */
	uc = curl_url_set(h, CURLUPART_URL, url, 0);
	if (uc != CURLUE_OK) {
		why = uc == CURLUE_OUT_OF_MEMORY ? "out of memory" : curl_url_strerror(uc);
		*curls = uc != CURLUE_OUT_OF_MEMORY;
		goto out;
	}
	if (curl_url_get(h, CURLUPART_SCHEME, &o->scheme, 0) != CURLUE_OK || !o->scheme ||
	    (strcmp(o->scheme, "https") != 0 && strcmp(o->scheme, "http") != 0)) {
		why = "a scheme other than http or https";
		goto out;
	}
	if (curl_url_get(h, CURLUPART_USER, &part, 0) != CURLUE_NO_USER ||
	    curl_url_get(h, CURLUPART_PASSWORD, &part, 0) != CURLUE_NO_PASSWORD ||
	    curl_url_get(h, CURLUPART_OPTIONS, &part, 0) != CURLUE_NO_OPTIONS) {
		why = "a user name or password";
		goto out;
	}
	if (curl_url_get(h, CURLUPART_ZONEID, &part, 0) != CURLUE_NO_ZONEID) {
		why = "an IPv6 zone id";
		goto out;
	}
	if (curl_url_get(h, CURLUPART_HOST, &o->host, 0) != CURLUE_OK || !o->host || !o->host[0]) {
		why = "no host";
		goto out;
	}
	if (curl_url_get(h, CURLUPART_PORT, &part, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		why = "no port";
		goto out;
	}
	o->port = strtol(part, &end, 10);
	if (*end || o->port <= 0 || o->port > 65535)
		why = "an invalid port";
out:
	curl_free(part); /* a part refused above is freed here too */
	if (why) {
		origin_finish(o);
		curl_url_cleanup(h);
		return why;
	}
	*out = h;
	return NULL;
}

/* @s when every byte is printable ASCII, else a placeholder: it goes into a log line. */
static const char *printable(const char *s)
{
	for (const char *p = s; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			return "a host with unprintable characters";
	return s;
}

/*
 * The decision of monitor_url_check, keeping the handle it parsed (*@out)
 * so that libcurl fetches exactly what was checked.
 */
static int url_decide(const char *base, const char *url, CURLU **out, char *why, size_t size)
{
	struct origin want = {0}, got = {0};
	CURLU *bh = NULL, *h = NULL;
	const char *bad;
	bool curls;
	int r = -EPERM;

	*out = NULL;
	bad = origin_parse(base, &bh, &want, &curls);
	if (bad) {
		snprintf(why, size, "api_base %s is not a URL libcurl accepts (%s)", base, bad);
		goto out;
	}
	bad = origin_parse(url, &h, &got, &curls);
	if (bad) {
		snprintf(why, size, "%s%s", curls ? "a URL libcurl refuses: " : "a URL with ", bad);
		if (strcmp(bad, "out of memory") == 0)
			r = -ENOMEM;
		goto out;
	}
	/* origin_parse sets all four when it succeeds; said again for the analyzer. */
	if (!got.scheme || !want.scheme || !got.host || !want.host) {
		snprintf(why, size, "a URL without a scheme or host");
		goto out;
	}
	/* Exact host names: no trailing-dot or suffix games, only letter case is free. */
	if (strcmp(got.scheme, want.scheme) != 0 || strcasecmp(got.host, want.host) != 0 ||
	    got.port != want.port) {
		snprintf(why, size, "%s://%s:%ld", got.scheme, printable(got.host), got.port);
		goto out;
	}
	*out = h;
	h = NULL;
	r = 0;
out:
	origin_finish(&want);
	origin_finish(&got);
	curl_url_cleanup(bh);
	curl_url_cleanup(h);
	return r;
}

int monitor_url_check(const char *base, const char *url, char *why, size_t size)
{
	CURLU *h = NULL;
	int r = url_decide(base, url, &h, why, size);

	curl_url_cleanup(h);
	return r;
}

/*
 * Point @x at x->url, after checking where it goes; libcurl gets the very
 * handle that was checked, never the string to parse again.
 */
static int xfer_target(struct monitor *m, struct xfer *x)
{
	char why[MONITOR_ERROR_MAX / 2];
	int r;

	curl_url_cleanup(x->uh);
	x->uh = NULL;
	r = url_decide(m->acct->api_base, x->url, &x->uh, why, sizeof(why));
	if (r < 0) {
		snprintf(m->error, sizeof(m->error),
		         "refusing to send account %s's credentials to %s: they go only to "
		         "its api_base %s",
		         m->acct->name, why, m->acct->api_base);
		return r == -ENOMEM ? r : -EPROTO;
	}
	curl_easy_setopt(x->easy, CURLOPT_CURLU, x->uh);
	return 0;
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
	else /* newer error shapes may carry no numeric code */
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
	const struct monitor *m;
	json_t *j;
	json_error_t err;
};

static int parse_json(char *body, size_t len, void *arg, const char **why)
{
	struct json_parse *jp = arg;
	json_t *j = json_loadb(body, len, 0, &jp->err);
	struct strbuf fixed;
	int n = 0;

	/* One string jansson refuses (invalid UTF-8, \u0000) must not cost the instance. */
	strbuf_init(&fixed, 3 * (size_t)MONITOR_RESPONSE_MAX);
	if (!j && (n = scan_repair(body, len, &fixed)) > 0)
		j = json_loadb(fixed.buf, fixed.len, 0, &jp->err);
	strbuf_finish(&fixed);
	if (n < 0)
		return n;
	if (!json_is_object(j)) {
		*why = j ? "not an object" : jp->err.text;
		json_decref(j);
		return -EBADMSG;
	}
	if (n > 0)
		log_warnx(
		        "account %s: an alert with %d invalid UTF-8 sequences, \\u0000 or unpaired "
		        "surrogates replaced by U+FFFD",
		        jp->m->acct->name, n);
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
			         "GET %s: response larger than %u bytes", path,
			         MONITOR_RESPONSE_MAX);
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
		if (r < 0) /* a parser's own reason, when it gave one */
			snprintf(m->error, sizeof(m->error), "GET %s: %s", path,
			         strcmp(why, "refused by the parser") != 0 ? why : strerror(-r));
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
		                                                 : MONITOR_RETRY_AFTER_MAX) *
		       1000;
	if (h->ratelimit_reset >= 0) {
		int64_t wait = h->ratelimit_reset - util_now();

		if (wait < 0)
			wait = 0;
		return (wait < MONITOR_RETRY_AFTER_MAX ? wait : MONITOR_RETRY_AFTER_MAX) * 1000 +
		       100;
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
	int r = xfer_target(m, x);

	if (r < 0)
		return r;
	for (int attempt = 0;; attempt++) {
		CURLcode cc;
		int64_t wait;

		xfer_reset(x);
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
	struct json_parse jp = {.m = m};
	int r = monitor_get(m, url, parse_json, &jp);

	if (r == 0)
		*out = jp.j;
	return r;
}

int monitor_list_url(const struct monitor *m, int64_t start, int64_t end, char *buf, size_t size)
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
			/* A sid that is not one cannot name an instance; the others go on. */
			while (next < n && !util_is_sid(sids[next], "NO")) {
				log_warnx("account %s: not fetching the details of an alert whose "
				          "sid is not NO and 32 hex digits",
				          m->acct->name);
				next++;
			}
			if (next == n)
				break;
			len = snprintf(x->url, sizeof(x->url), "%s/v1/Alerts/%s", m->acct->api_base,
			               sids[next]);
			if (len < 0 || (size_t)len >= sizeof(x->url)) {
				snprintf(m->error, sizeof(m->error), "alert URL too long");
				r = -EPROTO;
				goto out;
			}
			r = xfer_target(m, x);
			if (r < 0)
				goto out;
			xfer_reset(x);
			x->index = ++next; /* 1-based so that 0 means idle */
			curl_multi_add_handle(multi, x->easy);
			active++;
		}
		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &left))) {
			struct json_parse jp = {.m = m};
			const char *got;
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
			got = c == 0 ? json_string_value(json_object_get(jp.j, "sid")) : NULL;
			if (c == 0 && (!got || strcmp(got, sids[x->index - 1]) != 0)) {
				/* Details of another alert than asked for must not land on it. */
				log_warnx(
				        "account %s: an alert instance came back with another sid; "
				        "its details are not stored",
				        m->acct->name);
				json_decref(jp.j);
				c = -ENOENT;
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

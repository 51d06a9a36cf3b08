// SPDX-License-Identifier: MIT
/*
 * Process-wide counters under one mutex. Per-account counters live in a
 * small fixed table keyed by the account's section name, so counting never
 * allocates and a reload that renames accounts just starts new rows.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "web/metrics.h"

#define NAME_MAX_LEN 64

enum { OUT_OK, OUT_AUTH, OUT_UNAVAILABLE, OUT_ERROR, OUT_INTERRUPTED, OUT__COUNT };
static const char *const outcomes[OUT__COUNT] = {"ok", "auth", "unavailable", "error",
                                                 "interrupted"};

struct acct_counters {
	char name[NAME_MAX_LEN];
	int64_t polls[OUT__COUNT];
	int64_t req_2xx, req_4xx, req_5xx, req_failed; /* failed: no HTTP status */
	int64_t retries;
	int64_t polled, updated, pushed;
};

struct channel_counters {
	char name[NAME_MAX_LEN];
	int64_t sent, failed;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct acct_counters accts[METRICS_ACCOUNTS_MAX + 1]; /* last: "other" */
static size_t n_accts;
static struct channel_counters channels[METRICS_ACCOUNTS_MAX + 1];
static size_t n_channels;
static int64_t push_by_class[6]; /* index status / 100 */
static int64_t http_by_class[6];

/* The row of @name (lock held); the spare last row once the table is full. */
static struct acct_counters *acct(const char *name)
{
	size_t i;

	for (i = 0; i < n_accts; i++)
		if (strcmp(accts[i].name, name) == 0)
			return &accts[i];
	if (n_accts == METRICS_ACCOUNTS_MAX) {
		snprintf(accts[n_accts].name, NAME_MAX_LEN, "other");
		return &accts[n_accts];
	}
	snprintf(accts[n_accts].name, NAME_MAX_LEN, "%s", name);
	return &accts[n_accts++];
}

static struct channel_counters *channel(const char *name)
{
	size_t i;

	for (i = 0; i < n_channels; i++)
		if (strcmp(channels[i].name, name) == 0)
			return &channels[i];
	if (n_channels == METRICS_ACCOUNTS_MAX) {
		snprintf(channels[n_channels].name, NAME_MAX_LEN, "other");
		return &channels[n_channels];
	}
	snprintf(channels[n_channels].name, NAME_MAX_LEN, "%s", name);
	return &channels[n_channels++];
}

void metrics_note_poll(const char *name, int r, const struct monitor_stats *stats, int64_t inserted,
                       int64_t updated)
{
	struct acct_counters *a;
	int o = r == 0         ? OUT_OK
	        : r == -EACCES ? OUT_AUTH
	        : r == -EAGAIN ? OUT_UNAVAILABLE
	        : r == -EINTR  ? OUT_INTERRUPTED
	                       : OUT_ERROR;

	pthread_mutex_lock(&lock);
	a = acct(name ? name : "");
	a->polls[o]++;
	if (stats) {
		int64_t failed = stats->http_errors - stats->status_4xx - stats->status_5xx;

		a->req_2xx += stats->status_2xx;
		a->req_4xx += stats->status_4xx;
		a->req_5xx += stats->status_5xx;
		a->req_failed += failed > 0 ? failed : 0;
		a->retries += stats->retries;
	}
	a->polled += inserted;
	a->updated += updated;
	pthread_mutex_unlock(&lock);
}

void metrics_note_push(const char *name, int status, bool stored)
{
	pthread_mutex_lock(&lock);
	if (status >= 100 && status < 600)
		push_by_class[status / 100]++;
	if (stored && name)
		acct(name)->pushed++;
	pthread_mutex_unlock(&lock);
}

void metrics_note_notification(const char *channel_name, bool delivered)
{
	struct channel_counters *c;

	pthread_mutex_lock(&lock);
	c = channel(channel_name ? channel_name : "");
	if (delivered)
		c->sent++;
	else
		c->failed++;
	pthread_mutex_unlock(&lock);
}

void metrics_note_http(int status)
{
	pthread_mutex_lock(&lock);
	if (status >= 100 && status < 600)
		http_by_class[status / 100]++;
	pthread_mutex_unlock(&lock);
}

static void head(struct strbuf *out, int *r, const char *name, const char *help)
{
	strbuf_addf(out, r, "# HELP twilio_alertd_%s %s\n# TYPE twilio_alertd_%s counter\n", name,
	            help, name);
}

void metrics_label(const char *in, char *out, size_t size)
{
	size_t at = 0;

	for (; in && *in; in++) {
		const char *e = *in == '\\'   ? "\\\\"
		                : *in == '"'  ? "\\\""
		                : *in == '\n' ? "\\n"
		                              : NULL;
		size_t n = e ? 2 : 1;

		if (at + n >= size)
			break;
		memcpy(out + at, e ? e : in, n);
		at += n;
	}
	if (size)
		out[at] = '\0';
}

/*
 * Section names are [A-Za-z0-9._-] today (config.c), but the counters take
 * any name, so every label value is escaped: one bad name must not make the
 * whole exposition unreadable.
 */
int metrics_render(struct strbuf *out)
{
	static const char *const classes[] = {"", "1xx", "2xx", "3xx", "4xx", "5xx"};
	char names[METRICS_ACCOUNTS_MAX + 1][METRICS_LABEL_MAX];
	int r = 0;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_accts; i++)
		metrics_label(accts[i].name, names[i], sizeof(names[i]));
	head(out, &r, "polls_total", "Polls of the Monitor API, by account and outcome.");
	for (size_t i = 0; i < n_accts; i++)
		for (int o = 0; o < OUT__COUNT; o++)
			strbuf_addf(
			        out, &r,
			        "twilio_alertd_polls_total{account=\"%s\",outcome=\"%s\"} %lld\n",
			        names[i], outcomes[o], (long long)accts[i].polls[o]);
	head(out, &r, "api_requests_total",
	     "HTTP requests to the Monitor API, retries included, by account and status class "
	     "(failed: no HTTP answer).");
	for (size_t i = 0; i < n_accts; i++) {
		const struct acct_counters *a = &accts[i];
		const int64_t v[] = {a->req_2xx, a->req_4xx, a->req_5xx, a->req_failed};
		const char *const k[] = {"2xx", "4xx", "5xx", "failed"};

		for (int j = 0; j < 4; j++)
			strbuf_addf(out, &r,
			            "twilio_alertd_api_requests_total{account=\"%s\",status_class="
			            "\"%s\"} "
			            "%lld\n",
			            names[i], k[j], (long long)v[j]);
	}
	head(out, &r, "api_retries_total", "Monitor API requests retried, by account.");
	for (size_t i = 0; i < n_accts; i++)
		strbuf_addf(out, &r, "twilio_alertd_api_retries_total{account=\"%s\"} %lld\n",
		            names[i], (long long)accts[i].retries);
	head(out, &r, "alerts_ingested_total",
	     "Alerts stored for the first time, by account and source (poll or push).");
	for (size_t i = 0; i < n_accts; i++) {
		strbuf_addf(out, &r,
		            "twilio_alertd_alerts_ingested_total{account=\"%s\",source=\"poll\"} "
		            "%lld\n",
		            names[i], (long long)accts[i].polled);
		strbuf_addf(out, &r,
		            "twilio_alertd_alerts_ingested_total{account=\"%s\",source=\"push\"} "
		            "%lld\n",
		            names[i], (long long)accts[i].pushed);
	}
	head(out, &r, "alerts_updated_total", "Stored alerts that a later poll found changed.");
	for (size_t i = 0; i < n_accts; i++)
		strbuf_addf(out, &r, "twilio_alertd_alerts_updated_total{account=\"%s\"} %lld\n",
		            names[i], (long long)accts[i].updated);
	head(out, &r, "webhook_requests_total",
	     "Requests to the Debugger webhook receiver, by status class of the answer.");
	for (int c = 2; c <= 5; c++)
		strbuf_addf(out, &r,
		            "twilio_alertd_webhook_requests_total{status_class=\"%s\"} %lld\n",
		            classes[c], (long long)push_by_class[c]);
	head(out, &r, "http_requests_total",
	     "Requests to the agent's own HTTP server, by status class of the answer.");
	for (int c = 2; c <= 5; c++)
		strbuf_addf(out, &r,
		            "twilio_alertd_http_requests_total{status_class=\"%s\"} %lld\n",
		            classes[c], (long long)http_by_class[c]);
	for (size_t i = 0; i < n_channels; i++)
		metrics_label(channels[i].name, names[i], sizeof(names[i]));
	head(out, &r, "notifications_sent_total", "Notifications delivered, by channel.");
	for (size_t i = 0; i < n_channels; i++)
		strbuf_addf(out, &r,
		            "twilio_alertd_notifications_sent_total{channel=\"%s\"} %lld\n",
		            names[i], (long long)channels[i].sent);
	if (!n_channels)
		strbuf_addf(out, &r, "twilio_alertd_notifications_sent_total 0\n");
	head(out, &r, "notifications_failed_total",
	     "Notification delivery attempts that failed (each is retried), by channel.");
	for (size_t i = 0; i < n_channels; i++)
		strbuf_addf(out, &r,
		            "twilio_alertd_notifications_failed_total{channel=\"%s\"} %lld\n",
		            names[i], (long long)channels[i].failed);
	if (!n_channels)
		strbuf_addf(out, &r, "twilio_alertd_notifications_failed_total 0\n");
	pthread_mutex_unlock(&lock);
	return r;
}

void metrics_reset(void)
{
	pthread_mutex_lock(&lock);
	memset(accts, 0, sizeof(accts));
	memset(channels, 0, sizeof(channels));
	memset(push_by_class, 0, sizeof(push_by_class));
	memset(http_by_class, 0, sizeof(http_by_class));
	n_accts = n_channels = 0;
	pthread_mutex_unlock(&lock);
}

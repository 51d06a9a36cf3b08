/* SPDX-License-Identifier: MIT */
/*
 * The agent's own counters since it started, for /metrics: polls, Monitor
 * API requests by status class, alerts ingested, webhook pushes and
 * notifications. Any thread may count (one mutex); the HTTP server reads
 * them. Gauges that live in the database are not kept here.
 */
#ifndef ALERTD_METRICS_H
#define ALERTD_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "ingest/monitor.h"
#include "base/util.h"

/* Accounts counted separately; more share the label "other". */
#define METRICS_ACCOUNTS_MAX 64

/*
 * metrics_note_poll - count one poll of account @name that returned @r
 * (poll_account's 0 or -errno, counted as outcome ok, auth, unavailable,
 * interrupted or error), the requests in @stats (those of this poll only;
 * NULL = none), @inserted and @updated alerts.
 */
void metrics_note_poll(const char *name, int r, const struct monitor_stats *stats, int64_t inserted,
                       int64_t updated);

/* metrics_note_push - count one Debugger webhook request answered @status;
 * @stored: it added an alert row for account @name (NULL when unknown). */
void metrics_note_push(const char *name, int status, bool stored);

/* metrics_note_notification - count one delivery attempt on channel @channel. */
void metrics_note_notification(const char *channel, bool delivered);

/* metrics_note_http - count one request to the agent's own HTTP server. */
void metrics_note_http(int status);

/*
 * metrics_render - append the counters in Prometheus text format (HELP,
 * TYPE, samples; names twilio_alertd_*_total) to @out. Returns 0 or
 * strbuf_append's error.
 */
int metrics_render(struct strbuf *out);

/* Bytes of a label value metrics_label writes, NUL included. */
#define METRICS_LABEL_MAX 160

/*
 * metrics_label - @in (NULL: "") as the text between a label's quotes:
 * backslash, double quote and newline escaped as the exposition format
 * wants, cut short rather than mid-escape when @out (@size bytes) is full.
 */
void metrics_label(const char *in, char *out, size_t size);

/* metrics_reset - zero everything (for tests). */
void metrics_reset(void);

#endif

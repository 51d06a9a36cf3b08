/* SPDX-License-Identifier: MIT */
/*
 * Notification channels and outbox delivery. notify.c delivers the outbox
 * rows (at least once, in order per channel, with exponential backoff across
 * runs) through the four channel types: syslog (a datagram to /dev/log),
 * email (SMTP through libcurl, or a sendmail program), exec (a program with
 * the JSON on stdin) and webhook (a signed POST). What each channel sends
 * is rendered by notify-msg.h.
 */
#ifndef ALERTD_NOTIFY_H
#define ALERTD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "base/config.h"
#include "store/store.h"
#include "base/util.h"

/* First retry after this many seconds, doubling per failure up to NOTIFY_RETRY_MAX. */
#define NOTIFY_RETRY_FIRST 30
#define NOTIFY_RETRY_MAX 3600
/* Outbox rows loaded per channel and delivery round. */
#define NOTIFY_BATCH 1000
/* An error line of one attempt is cut to this many bytes. */
#define NOTIFY_ERROR_MAX 256
/* The environment variable that replaces /dev/log for the syslog channel (tests, chroots). */
#define NOTIFY_SYSLOG_SOCKET_ENV "TWILIO_ALERTD_SYSLOG_SOCKET"

/*
 * notify_backoff - seconds to wait after the @failures-th failed attempt
 * (1 = the first): NOTIFY_RETRY_FIRST doubled per further failure, capped
 * at NOTIFY_RETRY_MAX, then 0..20% more of jitter.
 */
int64_t notify_backoff(int64_t failures);

struct notify_result {
	int64_t delivered;
	int64_t failed;  /* attempts that failed (each row is retried later) */
	int64_t waiting; /* rows not attempted: not due yet, or behind a failed one */
	int64_t unknown; /* rows for a channel no longer configured */
};

/* Called after each delivery attempt on @channel, with whether it succeeded. */
typedef void (*notify_attempt_fn)(const char *channel, bool delivered, void *arg);

/*
 * notify_deliver - attempt every due outbox row: per channel in id order,
 * stopping that channel at its first failure (which is rescheduled with
 * notify_backoff) so a receiver never sees a notification before an older
 * one. Each result is recorded at once, so a crash repeats at most the
 * delivery in flight. *@stop aborts between deliveries (and kills a running
 * exec program). @fn (may be NULL) hears of each attempt, with @arg (the
 * driver counts them for /metrics). *@res (may be NULL) gets the tally.
 * Returns 0 (even when deliveries failed: see @res) or -errno from the store.
 */
int notify_deliver(struct store *s, const struct config *cfg, int64_t now, volatile int *stop,
                   notify_attempt_fn fn, void *arg, struct notify_result *res);

/*
 * notify_send - one delivery attempt of @payload (notification JSON) over
 * channel @n. Returns 0 when delivered, else -errno with one line (never a
 * secret) in @err: -EIO (refused or failed), -ETIMEDOUT, -EINTR (*@stop).
 */
int notify_send(const struct config *cfg, const struct config_notify *n, const char *payload,
                volatile int *stop, char *err, size_t size);

/*
 * notify_find - the [notify NAME] section of @cfg, or NULL.
 */
const struct config_notify *notify_find(const struct config *cfg, const char *name);

#endif

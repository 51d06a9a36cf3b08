/* SPDX-License-Identifier: MIT */
/*
 * Notification channels and outbox delivery. notify.c delivers the outbox
 * rows (at least once, in order per channel, with exponential backoff across
 * runs) through the four channel types: syslog (a datagram to /dev/log),
 * email (SMTP through libcurl, or a sendmail program), exec (a program with
 * the JSON on stdin) and webhook (a signed POST). notify-msg.c renders what
 * each channel sends from the notification JSON.
 */
#ifndef ALERTD_NOTIFY_H
#define ALERTD_NOTIFY_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "base/config.h"
#include "store/store.h"
#include "base/util.h"

/* First retry after this many seconds, doubling per failure up to NOTIFY_RETRY_MAX. */
#define NOTIFY_RETRY_FIRST 30
#define NOTIFY_RETRY_MAX 3600
/* Bytes of a program's output or an HTTP response kept for the error line. */
#define NOTIFY_OUTPUT_MAX 4096
/* A rendered message (email) larger than this is an error. */
#define NOTIFY_MESSAGE_MAX (256 * 1024)
/* A syslog line is cut to this many bytes. */
#define NOTIFY_SYSLOG_MAX 1024
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

/*
 * notify_deliver - attempt every due outbox row: per channel in id order,
 * stopping that channel at its first failure (which is rescheduled with
 * notify_backoff) so a receiver never sees a notification before an older
 * one. Each result is recorded at once, so a crash repeats at most the
 * delivery in flight. *@stop aborts between deliveries (and kills a running
 * exec program). *@res (may be NULL) gets the tally.
 * Returns 0 (even when deliveries failed: see @res) or -errno from the store.
 */
int notify_deliver(struct store *s, const struct config *cfg, int64_t now, volatile int *stop,
                   struct notify_result *res);

/*
 * notify_send - one delivery attempt of @payload (notification JSON) over
 * channel @n. Returns 0 when delivered, else -errno with one line (never a
 * secret) in @err: -EIO (refused or failed), -ETIMEDOUT, -EINTR (*@stop).
 */
int notify_send(const struct config *cfg, const struct config_notify *n, const char *payload,
                volatile int *stop, char *err, size_t size);

/* The exec channel's environment: PATH and 14 TWILIO_ALERTD_* variables. */
#define NOTIFY_EXEC_ENV_MAX 15

/*
 * notify_exec_env - the whole environment the exec channel @n gives its
 * program for @note: "PATH=..." then each "TWILIO_ALERTD_NAME=value", into
 * @env (room for NOTIFY_EXEC_ENV_MAX + 1), NULL-terminated; the caller
 * frees each string. Returns how many, or -ENOMEM (nothing left to free).
 */
int notify_exec_env(const struct config_notify *n, json_t *note, char **env);

/*
 * notify_find - the [notify NAME] section of @cfg, or NULL.
 */
const struct config_notify *notify_find(const struct config *cfg, const char *name);

/* ---- notify-msg.c: what each channel sends ---- */

/*
 * notify_syslog_line - the one line the syslog channel logs for @note:
 * trigger, group, count vs threshold, window, key. Returns the syslog
 * severity (LOG_CRIT, LOG_WARNING or LOG_INFO from `severity`; LOG_NOTICE
 * for a resolved notice).
 */
int notify_syslog_line(json_t *note, char *out, size_t size);

/*
 * notify_email - the RFC 5322 message for @note from channel @n into @out
 * (initialised by the caller, capped at NOTIFY_MESSAGE_MAX): Date,
 * Message-ID (the same for every attempt), MIME-Version, RFC 2047 UTF-8
 * Subject, quoted-printable plain text. Lines end in CRLF when @crlf, else
 * LF (for a sendmail program). Returns 0, -EMSGSIZE or -ENOMEM.
 */
int notify_email(const struct config *cfg, const struct config_notify *n, json_t *note, bool crlf,
                 struct strbuf *out);

/*
 * notify_email_body - the plain-text body alone (UTF-8, LF), for tests and
 * `triggers test`. Returns 0 or -errno.
 */
int notify_email_body(const struct config *cfg, json_t *note, struct strbuf *out);

/*
 * notify_address - the bare address of "Name <addr>" or "addr" into @out.
 * Returns 0, or -EINVAL when there is none or it does not fit.
 */
int notify_address(const char *v, char *out, size_t size);

/*
 * notify_describe - print to @f what channel @n would send for @payload,
 * without sending it and without secrets (no password, no webhook URL,
 * the signature left out). Returns 0 or -errno.
 */
int notify_describe(FILE *f, const struct config *cfg, const struct config_notify *n,
                    const char *payload);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * What each channel sends, rendered from the notification JSON stored in
 * the outbox (notify-msg.c): the syslog line, the email message, the exec
 * program's environment, and the description `triggers test` prints
 * instead of sending. Nothing here sends or touches the store.
 */
#ifndef ALERTD_NOTIFY_MSG_H
#define ALERTD_NOTIFY_MSG_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "base/config.h"
#include "base/util.h"

/* A rendered message (email) larger than this is an error. */
#define NOTIFY_MESSAGE_MAX (256 * 1024)
/* A syslog line is cut to this many bytes. */
#define NOTIFY_SYSLOG_MAX 1024
/* The PATH a program of the exec channel (and a sendmail program) runs with. */
#define NOTIFY_EXEC_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
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

/* SPDX-License-Identifier: MIT */
/*
 * The channel transports behind notify_send, for notify/ only: programs
 * (notify-exec.c) and libcurl (notify-curl.c). Each makes one attempt and,
 * on failure, writes one line (never a secret) into @err of @size bytes.
 */
#ifndef ALERTD_NOTIFY_CHANNEL_H
#define ALERTD_NOTIFY_CHANNEL_H

#include <stddef.h>

#include <jansson.h>

#include "base/config.h"

/*
 * notify_exec_send - run exec channel @n's program with @payload on stdin and
 * notify_exec_env's environment. Returns 0 (exit status 0), -EIO, -ETIMEDOUT
 * (killed at n->timeout), -EINTR (*@stop) or -ENOMEM.
 */
int notify_exec_send(const struct config_notify *n, json_t *note, const char *payload,
                     volatile int *stop, char *err, size_t size);

/*
 * notify_sendmail_send - hand @message (LF line ends) to n->sendmail with
 * the envelope sender and recipients as arguments. Returns 0, -EINVAL (an
 * address that is none), -EIO, -ETIMEDOUT or -EINTR.
 */
int notify_sendmail_send(const struct config_notify *n, const char *message, volatile int *stop,
                         char *err, size_t size);

/*
 * notify_smtp_send - send @message (CRLF line ends) to n->url by SMTP, with
 * STARTTLS as n->starttls says. Returns 0, -EINVAL, -EIO, -ETIMEDOUT, -EINTR
 * or -ENOMEM.
 */
int notify_smtp_send(const struct config_notify *n, const char *message, volatile int *stop,
                     char *err, size_t size);

/*
 * notify_webhook_send - POST @payload to n->url, signed with n->secret
 * (X-Alertd-Signature), with idempotency @key and event @kind headers; a
 * status outside 200-299 is a failure. Returns 0, -EIO, -ETIMEDOUT, -EINTR
 * or -ENOMEM.
 */
int notify_webhook_send(const struct config_notify *n, const char *payload, const char *key,
                        const char *kind, volatile int *stop, char *err, size_t size);

/*
 * notify_first_line - the first line of @len bytes of @text into @out of
 * @size bytes (NUL-terminated), printable ASCII only, for an error line.
 */
void notify_first_line(const char *text, size_t len, char *out, size_t size);

#endif

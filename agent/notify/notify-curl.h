/* SPDX-License-Identifier: MIT */
/*
 * The libcurl channels behind notify_send, for notify/ only: SMTP and the
 * webhook, on handles from base/net.c. Each makes one attempt and, on
 * failure, writes one line (never a secret) into @err of @size bytes.
 */
#ifndef ALERTD_NOTIFY_CURL_H
#define ALERTD_NOTIFY_CURL_H

#include <stddef.h>

#include <jansson.h>

#include "base/config.h"

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

#endif

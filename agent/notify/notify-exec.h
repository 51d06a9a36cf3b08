/* SPDX-License-Identifier: MIT */
/*
 * The program channels behind notify_send, for notify/ only: exec and
 * sendmail. Each makes one attempt and, on failure, writes one line (never
 * a secret) into @err of @size bytes.
 */
#ifndef ALERTD_NOTIFY_EXEC_H
#define ALERTD_NOTIFY_EXEC_H

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

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The systemd notification protocol (sd_notify(3)) without libsystemd:
 * datagrams like "READY=1" or "STATUS=..." to the unix socket named by
 * $NOTIFY_SOCKET (a path, or '@' for the abstract namespace), and the
 * watchdog keep-alive when $WATCHDOG_USEC asks for it. Outside systemd
 * every call is a no-op, so the drivers call them unconditionally.
 */
#ifndef ALERTD_SDNOTIFY_H
#define ALERTD_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* The longest message sent; longer STATUS= texts are cut. */
#define SDNOTIFY_MSG_MAX 1024

/*
 * sdnotify_init - read $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID,
 * then remove them from the environment so that child processes (exec
 * hooks) never speak to systemd in the agent's name. The watchdog is on
 * only when WATCHDOG_USEC is a positive number and WATCHDOG_PID is unset
 * or this process. Call once, before the other functions; calling it
 * again re-reads the (now empty) environment and turns everything off.
 * Returns true when there is a notification socket.
 */
bool sdnotify_init(void);

/*
 * sdnotify_send - send @state ("READY=1", "STOPPING=1", several
 * newline-separated assignments...) as one datagram.
 * Returns 1 when sent, 0 when there is no socket (not under systemd),
 * -EINVAL for a socket name that is not an absolute path or '@name' or
 * does not fit in sockaddr_un, -EMSGSIZE for @state longer than
 * SDNOTIFY_MSG_MAX, or the -errno of socket()/sendto().
 */
int sdnotify_send(const char *state);

/*
 * sdnotify_status - send "STATUS=" and the printf-formatted text (cut to
 * fit, newlines turned into spaces so it stays one assignment).
 * Returns as sdnotify_send.
 */
int sdnotify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* sdnotify_watchdog_ms - the watchdog period in milliseconds, 0 when off. */
int64_t sdnotify_watchdog_ms(void);

/*
 * sdnotify_watchdog - send WATCHDOG=1 when the watchdog is on and a
 * quarter of its period has passed since the last keep-alive (or none
 * was sent yet). Call it often from the main loop: it is cheap when not
 * due. Returns as sdnotify_send (0 when off or not due).
 */
int sdnotify_watchdog(void);

#endif

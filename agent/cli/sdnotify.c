// SPDX-License-Identifier: MIT
/*
 * sd_notify(3) in a few lines: each message is one datagram to the socket
 * systemd named in $NOTIFY_SOCKET, sent from a fresh socket (the way
 * libsystemd does it), so there is no descriptor to keep, leak into
 * children or reopen after a reload. The watchdog keep-alive is
 * rate-limited here so that the main loop can call it as often as it likes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/sdnotify.h"
#include "base/util.h"

static struct {
	char socket[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	bool has_socket;
	int64_t watchdog_ms;
	int64_t last_kick_ms; /* util_mono_ms() of the last WATCHDOG=1; 0 = none */
} sd;

/* A decimal number that fits in int64_t, with nothing after it. */
static bool parse_u64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool sdnotify_init(void)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	int64_t us = 0, p = 0;

	memset(&sd, 0, sizeof(sd));
	/* A name too long for sockaddr_un is kept empty: sends then say -EINVAL. */
	if (sock && *sock) {
		if (strlen(sock) < sizeof(sd.socket))
			memcpy(sd.socket, sock, strlen(sock) + 1);
		sd.has_socket = true;
	}
	if (sd.has_socket && parse_u64(usec, &us) && us > 0 &&
	    (!pid || (parse_u64(pid, &p) && p == (int64_t)getpid())))
		sd.watchdog_ms = us / 1000 > 0 ? us / 1000 : 1;
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return sd.has_socket;
}

/* Fill @sa from the socket name; returns the address length or -EINVAL. */
static int socket_address(struct sockaddr_un *sa)
{
	size_t len = strlen(sd.socket);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if ((sd.socket[0] != '/' && sd.socket[0] != '@') || len < 2 ||
	    len > sizeof(sa->sun_path) - (sd.socket[0] == '/'))
		return -EINVAL;
	memcpy(sa->sun_path, sd.socket, len);
	/* An abstract socket starts with a NUL and its length counts exactly. */
	if (sa->sun_path[0] == '@')
		sa->sun_path[0] = '\0';
	return (int)(offsetof(struct sockaddr_un, sun_path) + len + (sd.socket[0] == '/' ? 1 : 0));
}

int sdnotify_send(const char *state)
{
	struct sockaddr_un sa;
	size_t len = strlen(state);
	int fd, salen, r = 1;

	if (!sd.has_socket)
		return 0;
	if (len > SDNOTIFY_MSG_MAX)
		return -EMSGSIZE;
	salen = socket_address(&sa);
	if (salen < 0)
		return salen;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, (socklen_t)salen) < 0)
		r = -errno;
	close(fd);
	return r;
}

int sdnotify_status(const char *fmt, ...)
{
	char msg[SDNOTIFY_MSG_MAX + 1] = "STATUS=";
	va_list ap;

	if (!sd.has_socket)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg + 7, sizeof(msg) - 7, fmt, ap);
	va_end(ap);
	/* systemd reads one assignment per line: keep the text on one. */
	for (char *c = msg; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	return sdnotify_send(msg);
}

int64_t sdnotify_watchdog_ms(void)
{
	return sd.watchdog_ms;
}

int sdnotify_watchdog(void)
{
	int64_t now = util_mono_ms();
	int r;

	if (!sd.watchdog_ms || (sd.last_kick_ms && now - sd.last_kick_ms < sd.watchdog_ms / 4))
		return 0;
	r = sdnotify_send("WATCHDOG=1");
	if (r > 0)
		sd.last_kick_ms = now > 0 ? now : 1;
	return r;
}

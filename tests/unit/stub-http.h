/* SPDX-License-Identifier: MIT */
/*
 * A loopback HTTP stub for the unit tests that talk to a fake Monitor API:
 * libmicrohttpd on 127.0.0.1, an ephemeral port, one thread per connection.
 */
#ifndef ALERTD_STUB_HTTP_H
#define ALERTD_STUB_HTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

#include <microhttpd.h>

/*
 * stub_http_start - serve @handler on 127.0.0.1 (a port the kernel picks)
 * and write "http://127.0.0.1:PORT" into @base (@size bytes). Returns the
 * daemon for MHD_stop_daemon, or NULL when it could not start (skip: 77).
 */
static inline struct MHD_Daemon *stub_http_start(MHD_AccessHandlerCallback handler, char *base,
                                                 size_t size)
{
	struct sockaddr_in lo = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;

	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
	                     NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &lo, MHD_OPTION_END);
	if (!d)
		return NULL;
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (!info) {
		MHD_stop_daemon(d);
		return NULL;
	}
	snprintf(base, size, "http://127.0.0.1:%u", info->port);
	return d;
}

#endif

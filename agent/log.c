// SPDX-License-Identifier: MIT
/*
 * Logging to stderr or syslog. Each message is formatted once into a
 * bounded buffer and written with a single call, so lines from the daemon's
 * threads never interleave.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 1024

static int verbosity = LOG_LEVEL_WARN;
static int use_syslog;

void log_init(int level, int to_syslog)
{
	verbosity = level;
	if (to_syslog && !use_syslog)
		openlog("twilio-alertd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	use_syslog = to_syslog;
}

int log_verbosity(void)
{
	return verbosity;
}

static void vlog(int pri, const char *fmt, va_list ap, int append_errno)
{
	char line[LOG_LINE_MAX];
	int saved = errno;
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (append_errno)
		snprintf(line + n, sizeof(line) - (size_t)n, ": %s", strerror(saved));
	if (use_syslog) {
		syslog(pri, "%s", line);
	} else {
		char out[LOG_LINE_MAX + 32];
		int len = snprintf(out, sizeof(out), "twilio-alertd: %s\n", line);
		if (len > 0) {
			if ((size_t)len >= sizeof(out))
				len = sizeof(out) - 1;
			/* One write per line; a short write to stderr is not worth retrying. */
			if (write(STDERR_FILENO, out, (size_t)len) < 0)
				(void)0;
		}
	}
	errno = saved;
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap, 1);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap, 0);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	if (verbosity < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;
	if (verbosity < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(70);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(70);
}

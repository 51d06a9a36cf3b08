// SPDX-License-Identifier: MIT
/*
 * Logging to stderr or syslog. Each message is formatted once into a
 * bounded buffer and written with a single call, so lines from the daemon's
 * threads never interleave. This is the one sink, so it is also where text
 * from outside (Twilio's error bodies, alert fields, webhook forms) loses
 * its control characters and invalid UTF-8: a line stays one line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

#define LOG_LINE_MAX 1024
/* Bytes of an escaped line: each input byte takes at most four ("\\xNN"). */
#define LOG_ESCAPED_MAX (4 * LOG_LINE_MAX)

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

/* The length of the valid UTF-8 sequence at @p that is not a C1 control, or 0. */
static size_t utf8_seq(const unsigned char *p)
{
	/* U+0080..U+009F: some terminals take U+009B as CSI. */
	if (p[0] == 0xc2 && p[1] <= 0x9f)
		return 0;
	return util_utf8_seq(p);
}

void log_escape(const char *in, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t w = 0;

	if (!size)
		return;
	while (*p) {
		size_t k = *p >= 0x20 && *p < 0x7f ? 1 : *p >= 0x80 ? utf8_seq(p) : 0;
		char esc[5];
		const char *src = (const char *)p;
		size_t n = k;

		if (!k) {
			k = 1;
			if (*p == '\n')
				src = "\\n";
			else if (*p == '\r')
				src = "\\r";
			else if (*p == '\t')
				src = "\\t";
			else {
				snprintf(esc, sizeof(esc), "\\x%02x", *p);
				src = esc;
			}
			n = strlen(src);
		}
		if (w + n >= size)
			break; /* cut before the character, never inside it */
		memcpy(out + w, src, n);
		w += n;
		p += k;
	}
	out[w] = '\0';
}

static void vlog(int pri, const char *fmt, va_list ap, int append_errno)
{
	char line[LOG_LINE_MAX], clean[LOG_ESCAPED_MAX];
	int saved = errno;
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (append_errno)
		snprintf(line + n, sizeof(line) - (size_t)n, ": %s", strerror(saved));
	log_escape(line, clean, sizeof(clean));
	if (use_syslog) {
		syslog(pri, "%s", clean);
	} else {
		char out[LOG_ESCAPED_MAX + 32];
		int len = snprintf(out, sizeof(out), "twilio-alertd: %s\n", clean);
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

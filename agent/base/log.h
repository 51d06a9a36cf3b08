/* SPDX-License-Identifier: MIT */
/*
 * Logging: one vocabulary for the whole agent (OpenBSD log.h style).
 * Messages go to stderr in the foreground and to syslog otherwise; they
 * must never contain a secret, so callers log names and sources, not values.
 */
#ifndef ALERTD_LOG_H
#define ALERTD_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdnoreturn.h>

enum log_level {
	LOG_LEVEL_WARN = 0,  /* warnings and errors only (cron default) */
	LOG_LEVEL_INFO = 1,  /* one line per poll (daemon default) */
	LOG_LEVEL_DEBUG = 2, /* every request */
};

/*
 * log_init - choose where messages go. @to_syslog false writes
 * "twilio-alertd: message" lines to stderr. May be called again.
 */
void log_init(int verbosity, int to_syslog);

/* log_verbosity - the current level, to skip building expensive debug text. */
int log_verbosity(void);

/*
 * log_escape - @in as one printable line into @out (@size > 0 bytes, always
 * NUL-terminated): CR, LF and TAB become \r \n \t, every other control
 * character (C0, DEL, C1) and every byte that starts no valid UTF-8
 * sequence becomes \xNN; valid UTF-8 is kept. Cut at a character boundary
 * when @out is too small. Every log line goes through it.
 */
void log_escape(const char *in, char *out, size_t size);

/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fatal/fatalx log like log_warn/log_warnx and exit with status 70 (EX_SOFTWARE). */
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

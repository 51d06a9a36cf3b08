/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by every module: durations, UTC dates, a capped
 * growable buffer, URL hosts, files, locks, randomness.
 * Nothing here logs; callers decide what an error means.
 */
#ifndef ALERTD_UTIL_H
#define ALERTD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "YYYY-MM-DDTHH:MM:SSZ" plus the terminating NUL. */
#define UTIL_TIME_LEN 21

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * util_parse_duration - parse "30s", "10m", "1h", "30d", "2w" or a bare
 * number of seconds ("0" included) into seconds. Returns 0, or -EINVAL for
 * anything else (empty, negative, unknown unit, trailing junk, overflow).
 */
int util_parse_duration(const char *s, int64_t *out);

/*
 * util_parse_time - parse a date as Twilio may write it into seconds since
 * the epoch (UTC): "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS" with optional
 * fraction and "Z" or "+hh:mm"/"-hh:mm"/"+hhmm" offset (no zone = UTC), a
 * space instead of the "T", or RFC 2822 ("Tue, 09 Feb 2010 01:23:53 +0000",
 * weekday optional), in the years 1970 to 9999; a time that an offset
 * moves out of them (in UTC) is refused too. Returns 0 or -EINVAL.
 * Independent of the TZ variable.
 */
int util_parse_time(const char *s, int64_t *out);

/*
 * util_parse_http_date - parse an HTTP Date header (RFC 7231 7.1.1.1) into
 * seconds since the epoch: the IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT",
 * or one of the obsolete forms every recipient must take, RFC 850
 * ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37
 * 1994"). Strict: exact spacing and case, GMT only, and the day name must
 * fit the date. Returns 0 or -EINVAL.
 */
int util_parse_http_date(const char *s, int64_t *out);

/* util_format_time - write @t as "YYYY-MM-DDTHH:MM:SSZ" into @out. */
void util_format_time(int64_t t, char out[UTIL_TIME_LEN]);

/* util_now - wall-clock seconds since the epoch. */
int64_t util_now(void);

/* util_mono_ms - monotonic milliseconds, for timeouts and intervals. */
int64_t util_mono_ms(void);

/* The first capacity util_grow gives an empty array, in elements. */
#define UTIL_GROW_MIN 16

/*
 * util_grow - room for @need elements of @elem bytes in the array whose
 * address is @pp (a "T **", passed as void *) and whose capacity is *@cap
 * elements. Below @need, the array is reallocated to the larger of @need and
 * twice *@cap (at least UTIL_GROW_MIN); the elements kept are unchanged, the
 * new ones uninitialised. Returns 0, -ENOMEM, or -EOVERFLOW when the size
 * does not fit a size_t; on failure *@pp and *@cap are unchanged (the caller
 * still frees *@pp). *@pp may be NULL with *@cap 0.
 * UTIL_GROW(arr, cap, need) passes &arr, &cap and the element size of arr.
 */
int util_grow(void *pp, size_t *cap, size_t need, size_t elem);
#define UTIL_GROW(arr, cap, need) util_grow(&(arr), &(cap), (need), sizeof(*(arr)))

/*
 * struct strbuf - a growable byte buffer with a hard cap (@max bytes,
 * excluding the NUL that is always kept after the data).
 */
struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
	size_t max;
};

/* strbuf_init - an empty buffer that refuses to grow past @max bytes. */
void strbuf_init(struct strbuf *sb, size_t max);

/*
 * strbuf_append - append @n bytes. Returns 0, -EMSGSIZE when the cap would
 * be passed (nothing appended), or -ENOMEM.
 */
int strbuf_append(struct strbuf *sb, const void *data, size_t n);

/*
 * strbuf_addf - append printf output of any length (within the cap) unless
 * *@err is already set; a failure (-EMSGSIZE, -ENOMEM, -EINVAL) is stored
 * in *@err, so a renderer can check once at the end.
 */
void strbuf_addf(struct strbuf *sb, int *err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* strbuf_reset - drop the content, keep the allocation. */
void strbuf_reset(struct strbuf *sb);

/* strbuf_finish - free the buffer; NULL and an unused buffer are fine. */
void strbuf_finish(struct strbuf *sb);

/*
 * util_url_host - copy the host of an absolute URL ("https://h:443/p" ->
 * "h", lower-cased, IPv6 brackets removed, userinfo skipped) into @out of
 * @size bytes. Returns 0, -EINVAL if @url has no "scheme://host", or
 * -ENAMETOOLONG if the host does not fit.
 */
int util_url_host(const char *url, char *out, size_t size);

/*
 * util_read_file - read a whole file of at most @max bytes into a new
 * NUL-terminated buffer (*@out, caller frees; *@len may be NULL).
 * Returns 0, -errno from open/read, or -EFBIG when larger than @max.
 */
int util_read_file(const char *path, size_t max, char **out, size_t *len);

/*
 * util_lock_file - open (creating, mode 0600) @path and take an exclusive
 * non-blocking flock on it. On success *@fd holds the lock until closed.
 * Returns 0, -EWOULDBLOCK when another process holds it, or -errno.
 */
int util_lock_file(const char *path, int *fd);

/* util_random - a uniformly random integer in [0, @bound) (bound > 0). */
uint64_t util_random(uint64_t bound);

/*
 * util_sleep_ms - sleep up to @ms milliseconds; returns early (with true)
 * when *@stop becomes non-zero. @stop may be NULL.
 */
bool util_sleep_ms(int64_t ms, volatile int *stop);

/*
 * util_is_sid - whether @v is a Twilio SID of the kind @prefix names: the two
 * letters of @prefix ("NO", "AC") and 32 hex digits, nothing else. NULL is not.
 */
bool util_is_sid(const char *v, const char *prefix);

/* util_hexval - the value of hex digit @c, or -1. */
int util_hexval(char c);

/*
 * util_no_core_dumps - make this process non-dumpable (no core file, no
 * ptrace or /proc/PID/mem by other processes of the same user) and its core
 * size limit 0, so the secrets in its memory never land in a core file.
 * Called first thing in main. Returns 0 or -errno (the caller may go on).
 */
int util_no_core_dumps(void);

/* util_trim - strip leading and trailing ASCII whitespace in place. */
char *util_trim(char *s);

/*
 * util_utf8_seq - the length of the well-formed UTF-8 sequence at @p (RFC
 * 3629: no overlong forms, surrogates or code points past U+10FFFF): 1 for
 * ASCII, 2 to 4, or 0 when @p starts none. @p is NUL-terminated (a NUL ends
 * a sequence as any other invalid byte does).
 */
size_t util_utf8_seq(const unsigned char *p);

#endif

// SPDX-License-Identifier: MIT
/*
 * Helpers shared by every module. Date handling is done by hand in UTC
 * (days-from-civil arithmetic) so that no result depends on TZ or locale.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

int util_parse_duration(const char *s, int64_t *out)
{
	int64_t v = 0, mult = 1;
	const char *p = s;

	if (!s || !isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		if (v > (INT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (*p - '0');
		p++;
	}
	switch (*p) {
	case '\0':
		break;
	case 's':
		p++;
		break;
	case 'm':
		mult = 60;
		p++;
		break;
	case 'h':
		mult = 3600;
		p++;
		break;
	case 'd':
		mult = 86400;
		p++;
		break;
	case 'w':
		mult = 7 * 86400;
		p++;
		break;
	default:
		return -EINVAL;
	}
	if (*p != '\0')
		return -EINVAL;
	if (v > INT64_MAX / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Read exactly @n digits at *@p into *@v. */
static bool digits(const char **p, int n, int *v)
{
	int r = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		r = r * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*v = r;
	return true;
}

static bool valid_civil(int y, int mo, int d, int h, int mi, int s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return false;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	/* A leap second (60) is folded into the next minute's first second. */
	return h <= 23 && mi <= 59 && s <= 60;
}

/* Parse "+hh:mm", "+hhmm", "-hh", "Z", "UT", "GMT" at *@p into seconds east of UTC. */
static bool parse_zone(const char **p, int *off)
{
	const char *q = *p;
	int h, m = 0, sign;

	if (*q == 'Z' || *q == 'z') {
		*off = 0;
		*p = q + 1;
		return true;
	}
	if (strncmp(q, "GMT", 3) == 0 || strncmp(q, "UTC", 3) == 0) {
		*off = 0;
		*p = q + 3;
		return true;
	}
	if (strncmp(q, "UT", 2) == 0) {
		*off = 0;
		*p = q + 2;
		return true;
	}
	if (*q != '+' && *q != '-')
		return false;
	sign = *q == '-' ? -1 : 1;
	q++;
	if (!digits(&q, 2, &h))
		return false;
	if (*q == ':')
		q++;
	if (isdigit((unsigned char)*q) && !digits(&q, 2, &m))
		return false;
	if (h > 23 || m > 59)
		return false;
	*off = sign * (h * 3600 + m * 60);
	*p = q;
	return true;
}

static int parse_iso(const char *s, int64_t *out)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;

	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
	    !digits(&p, 2, &d))
		return -EINVAL;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
			return -EINVAL;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &sec))
				return -EINVAL;
		}
		if (*p == '.' || *p == ',') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			/* Fractions are dropped: stored dates have whole seconds. */
			while (isdigit((unsigned char)*p))
				p++;
		}
		while (*p == ' ')
			p++;
		if (*p && !parse_zone(&p, &off))
			return -EINVAL;
	}
	if (*p != '\0' || !valid_civil(y, mo, d, h, mi, sec))
		return -EINVAL;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	return 0;
}

static int parse_rfc2822(const char *s, int64_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p = s, *m;
	int d, y, h, mi, sec = 0, off = 0, mo;
	char *end;
	long v;

	while (*p == ' ')
		p++;
	if (isalpha((unsigned char)*p)) {
		/* Optional weekday, not checked against the date. */
		while (isalpha((unsigned char)*p))
			p++;
		if (*p++ != ',')
			return -EINVAL;
	}
	v = strtol(p, &end, 10);
	if (end == p || v < 1 || v > 31)
		return -EINVAL;
	d = (int)v;
	p = end;
	while (*p == ' ')
		p++;
	if (strlen(p) < 3)
		return -EINVAL;
	m = NULL;
	for (int i = 0; i < 12; i++)
		if (strncasecmp(p, months + 3 * i, 3) == 0)
			m = months + 3 * i;
	if (!m)
		return -EINVAL;
	mo = (int)((m - months) / 3) + 1;
	p += 3;
	while (*p == ' ')
		p++;
	if (!digits(&p, 4, &y))
		return -EINVAL;
	while (*p == ' ')
		p++;
	if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
		return -EINVAL;
	if (*p == ':') {
		p++;
		if (!digits(&p, 2, &sec))
			return -EINVAL;
	}
	while (*p == ' ')
		p++;
	if (*p && !parse_zone(&p, &off))
		return -EINVAL;
	while (*p == ' ')
		p++;
	if (*p != '\0' || !valid_civil(y, mo, d, h, mi, sec))
		return -EINVAL;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	return 0;
}

/* 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the years valid_civil takes, in UTC. */
#define UTIL_TIME_FIRST 0LL
#define UTIL_TIME_LAST 253402300799LL

int util_parse_time(const char *s, int64_t *out)
{
	int64_t t;
	int r;

	if (!s || !*s)
		return -EINVAL;
	if (isdigit((unsigned char)s[0]) && strlen(s) >= 10 && s[4] == '-')
		r = parse_iso(s, &t);
	else
		r = parse_rfc2822(s, &t);
	/*
	 * An offset may move a time out of those years: "9999-12-31T23:59:59-01:00" would be
	 * stored as another date (fuzz-instance), "1970-01-01T00:00:00+02:00" written as a
	 * date this parser refuses (fuzz-dates).
	 */
	if (r < 0 || t < UTIL_TIME_FIRST || t > UTIL_TIME_LAST)
		return -EINVAL;
	*out = t;
	return 0;
}

/* The index (0 = Sunday) of the day name at *@p, as RFC 7231 spells them; -1 if none. */
static int day_name(const char **p, bool long_form)
{
	static const char *const names[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
	                                    "Thursday", "Friday", "Saturday"};

	for (int i = 0; i < 7; i++) {
		size_t n = long_form ? strlen(names[i]) : 3;

		if (strncmp(*p, names[i], n) == 0) {
			*p += n;
			return i;
		}
	}
	return -1;
}

/* The month (1-12) of the three-letter name at *@p; 0 if none. Case-sensitive. */
static int month_name(const char **p)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	for (int i = 0; i < 12; i++) {
		if (strncmp(*p, months + 3 * i, 3) == 0) {
			*p += 3;
			return i + 1;
		}
	}
	return 0;
}

static bool time_of_day(const char **p, int *h, int *mi, int *sec)
{
	return digits(p, 2, h) && *(*p)++ == ':' && digits(p, 2, mi) && *(*p)++ == ':' &&
	       digits(p, 2, sec);
}

int util_parse_http_date(const char *s, int64_t *out)
{
	const char *p = s;
	int wday, y, mo, d, h, mi, sec;
	int64_t days;

	if (!s)
		return -EINVAL;
	if ((wday = day_name(&p, false)) >= 0 && *p == ',') {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		p++;
		if (*p++ != ' ' || !digits(&p, 2, &d) || *p++ != ' ' || !(mo = month_name(&p)) ||
		    *p++ != ' ' || !digits(&p, 4, &y) || *p++ != ' ' ||
		    !time_of_day(&p, &h, &mi, &sec) || strcmp(p, " GMT") != 0)
			return -EINVAL;
	} else if ((p = s, wday = day_name(&p, true)) >= 0 && *p == ',') {
		/* Obsolete RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
		p++;
		if (*p++ != ' ' || !digits(&p, 2, &d) || *p++ != '-' || !(mo = month_name(&p)) ||
		    *p++ != '-' || !digits(&p, 2, &y) || *p++ != ' ' ||
		    !time_of_day(&p, &h, &mi, &sec) || strcmp(p, " GMT") != 0)
			return -EINVAL;
		y += y < 70 ? 2000 : 1900;
	} else if ((p = s, wday = day_name(&p, false)) >= 0 && *p == ' ') {
		/* Obsolete asctime: "Sun Nov  6 08:49:37 1994" */
		p++;
		if (!(mo = month_name(&p)) || *p++ != ' ')
			return -EINVAL;
		if (*p == ' ') {
			p++;
			if (!digits(&p, 1, &d))
				return -EINVAL;
		} else if (!digits(&p, 2, &d)) {
			return -EINVAL;
		}
		if (*p++ != ' ' || !time_of_day(&p, &h, &mi, &sec) || *p++ != ' ' ||
		    !digits(&p, 4, &y) || *p)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (!valid_civil(y, mo, d, h, mi, sec))
		return -EINVAL;
	days = days_from_civil(y, mo, d);
	/* 1970-01-01 was a Thursday (4): a day name that does not fit the date is refused. */
	if ((days % 7 + 4) % 7 != wday)
		return -EINVAL;
	*out = days * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}

static void put_digits(char *p, unsigned v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void util_format_time(int64_t t, char out[UTIL_TIME_LEN])
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t rem = t - days * 86400;
	int y, m, d;

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		/* Out of the four-digit range: clamp rather than print garbage. */
		memcpy(out, y < 0 ? "0000-01-01T00:00:00Z" : "9999-12-31T23:59:59Z", UTIL_TIME_LEN);
		return;
	}
	/* Written by hand: this runs for every date of every alert stored. */
	memcpy(out, "0000-00-00T00:00:00Z", UTIL_TIME_LEN);
	put_digits(out, (unsigned)y, 4);
	put_digits(out + 5, (unsigned)m, 2);
	put_digits(out + 8, (unsigned)d, 2);
	put_digits(out + 11, (unsigned)(rem / 3600), 2);
	put_digits(out + 14, (unsigned)(rem / 60 % 60), 2);
	put_digits(out + 17, (unsigned)(rem % 60), 2);
}

int64_t util_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

int64_t util_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int util_grow(void *pp, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap;
	void *p, *more;

	if (need <= n)
		return 0;
	if (elem == 0)
		return -EINVAL;
	n = n <= SIZE_MAX / 2 ? n * 2 : SIZE_MAX;
	if (n < need)
		n = need;
	if (n < UTIL_GROW_MIN)
		n = UTIL_GROW_MIN;
	/* Doubling may not fit where @need still does. */
	if (n > SIZE_MAX / elem)
		n = need;
	if (n > SIZE_MAX / elem)
		return -EOVERFLOW;
	/* The caller's pointer, whatever its type, is read and written as a void *. */
	memcpy(&p, pp, sizeof(p));
	more = realloc(p, n * elem);
	if (!more)
		return -ENOMEM;
	memcpy(pp, &more, sizeof(more));
	*cap = n;
	/* The caller's pointer owns @more now: cppcheck does not follow the memcpy. */
	// cppcheck-suppress memleak
	return 0;
}

void strbuf_init(struct strbuf *sb, size_t max)
{
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
	sb->max = max;
}

int strbuf_append(struct strbuf *sb, const void *data, size_t n)
{
	if (n > sb->max - sb->len)
		return -EMSGSIZE;
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 4096;
		char *p;

		while (cap < sb->len + n + 1)
			cap *= 2;
		if (cap > sb->max + 1)
			cap = sb->max + 1;
		p = realloc(sb->buf, cap);
		if (!p)
			return -ENOMEM;
		sb->buf = p;
		sb->cap = cap;
	}
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

void strbuf_addf(struct strbuf *sb, int *err, const char *fmt, ...)
{
	char line[512], *big = NULL;
	va_list ap;
	int n;

	if (*err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0) {
		*err = -EINVAL;
		return;
	}
	/* Most lines fit on the stack; a long one is formatted again at its size. */
	if ((size_t)n >= sizeof(line)) {
		big = malloc((size_t)n + 1);
		if (!big) {
			*err = -ENOMEM;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	*err = strbuf_append(sb, big ? big : line, (size_t)n);
	free(big);
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void strbuf_finish(struct strbuf *sb)
{
	if (!sb)
		return;
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

bool util_is_sid(const char *v, const char *prefix)
{
	size_t i = 2;

	if (!v || strncmp(v, prefix, 2) != 0)
		return false;
	while (i < 34 && util_hexval(v[i]) >= 0)
		i++;
	return i == 34 && v[i] == '\0';
}

int util_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int util_url_host(const char *url, char *out, size_t size)
{
	const char *p, *h, *e, *at, *end;
	size_t len;

	p = url ? strstr(url, "://") : NULL;
	if (!p)
		return -EINVAL;
	h = p + 3;
	end = h + strcspn(h, "/?#");
	at = memchr(h, '@', (size_t)(end - h));
	if (at)
		h = at + 1;
	if (*h == '[') {
		h++;
		e = memchr(h, ']', (size_t)(end - h));
		if (!e)
			return -EINVAL;
	} else {
		e = memchr(h, ':', (size_t)(end - h));
		if (!e)
			e = end;
	}
	len = (size_t)(e - h);
	if (len == 0)
		return -EINVAL;
	if (len >= size)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)h[i]);
	out[len] = '\0';
	return 0;
}

int util_read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct strbuf sb;
	char chunk[4096];
	int fd, r = 0;

	strbuf_init(&sb, max);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		r = strbuf_append(&sb, chunk, (size_t)n);
		if (r == -EMSGSIZE)
			r = -EFBIG;
		if (r < 0)
			goto out;
	}
	if (!sb.buf) {
		sb.buf = calloc(1, 1);
		if (!sb.buf) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (len)
		*len = sb.len;
	*out = sb.buf;
	sb.buf = NULL;
out:
	/* Secret files come through here: no copy stays on the stack. */
	explicit_bzero(chunk, sizeof(chunk));
	strbuf_finish(&sb);
	close(fd);
	return r;
}

int util_lock_file(const char *path, int *fd)
{
	int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (f < 0)
		return -errno;
	if (flock(f, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(f);
		return e == EWOULDBLOCK ? -EWOULDBLOCK : -e;
	}
	*fd = f;
	return 0;
}

uint64_t util_random(uint64_t bound)
{
	uint64_t x, limit;

	if (bound <= 1)
		return 0;
	/* Rejection sampling keeps the result uniform. */
	limit = UINT64_MAX - UINT64_MAX % bound;
	do {
		if (getrandom(&x, sizeof(x), 0) != (ssize_t)sizeof(x))
			x = (uint64_t)rand() << 32 ^ (uint64_t)rand();
	} while (x >= limit);
	return x % bound;
}

bool util_sleep_ms(int64_t ms, volatile int *stop)
{
	int64_t deadline = util_mono_ms() + ms;

	for (;;) {
		int64_t left = deadline - util_mono_ms();

		if (stop && *stop)
			return true;
		if (left <= 0)
			return false;
		/* Short slices so a signal flag is seen quickly even without EINTR. */
		poll(NULL, 0, (int)(left < 100 ? left : 100));
	}
}

char *util_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int util_no_core_dumps(void)
{
	const struct rlimit none = {0, 0};
	int r = 0;

	if (setrlimit(RLIMIT_CORE, &none) < 0)
		r = -errno;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		r = -errno;
	return r;
}

size_t util_utf8_seq(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		lo = p[0] == 0xe0 ? 0xa0 : lo; /* no overlong forms */
		hi = p[0] == 0xed ? 0x9f : hi; /* no surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		lo = p[0] == 0xf0 ? 0x90 : lo;
		hi = p[0] == 0xf4 ? 0x8f : hi; /* nothing past U+10FFFF */
	} else
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

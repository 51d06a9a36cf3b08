/* SPDX-License-Identifier: MIT */
/*
 * Small helpers of the simulator: the growable output buffer with the JSON and
 * URL escaping it needs, UTC date conversion without the C library's time zone
 * machinery (it is on the hot path of every rendered alert), hex and sid parsing.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim.h"

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "twilio-monitor-sim: out of memory\n");
		abort();
	}
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fprintf(stderr, "twilio-monitor-sim: out of memory\n");
		abort();
	}
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q) {
		fprintf(stderr, "twilio-monitor-sim: out of memory\n");
		abort();
	}
	return q;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);

	memcpy(p, s, n);
	return p;
}

void buf_init(struct buf *b)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_finish(struct buf *b)
{
	if (!b)
		return;
	free(b->p);
	buf_init(b);
}

void buf_reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	size_t cap;

	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addc(struct buf *b, char c)
{
	buf_reserve(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	/* Format straight into the spare room; only a long result needs a second pass. */
	buf_reserve(b, 64);
	room = b->cap - b->len;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->p[b->len] = '\0';
		return;
	}
	if ((size_t)n >= room) {
		buf_reserve(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

static const char hexdig[] = "0123456789abcdef";

/* Characters that JSON requires escaping; everything else is copied in runs. */
static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\' || c == 0x7f;
}

void buf_json_str(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, run;

	buf_reserve(b, n + 2);
	b->p[b->len++] = '"';
	while (i < n) {
		run = i;
		while (run < n && !needs_escape((unsigned char)s[run]))
			run++;
		if (run > i)
			buf_add(b, s + i, run - i);
		if (run >= n)
			break;
		switch (s[run]) {
		case '"':
			buf_add(b, "\\\"", 2);
			break;
		case '\\':
			buf_add(b, "\\\\", 2);
			break;
		case '\n':
			buf_add(b, "\\n", 2);
			break;
		case '\r':
			buf_add(b, "\\r", 2);
			break;
		case '\t':
			buf_add(b, "\\t", 2);
			break;
		default: {
			char esc[6] = {'\\',
			               'u',
			               '0',
			               '0',
			               hexdig[((unsigned char)s[run] >> 4) & 0xf],
			               hexdig[(unsigned char)s[run] & 0xf]};
			buf_add(b, esc, sizeof(esc));
			break;
		}
		}
		i = run + 1;
	}
	buf_addc(b, '"');
}

void buf_json_strz(struct buf *b, const char *s)
{
	if (!s)
		buf_add(b, "null", 4);
	else
		buf_json_str(b, s, strlen(s));
}

void buf_url_enc(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
			buf_addc(b, (char)c);
		} else {
			char e[3] = {'%', "0123456789ABCDEF"[c >> 4], "0123456789ABCDEF"[c & 0xf]};

			buf_add(b, e, 3);
		}
	}
}

void buf_hex(struct buf *b, const uint8_t *p, size_t n)
{
	char *o;

	buf_reserve(b, 2 * n);
	o = b->p + b->len;
	for (size_t i = 0; i < n; i++) {
		*o++ = hexdig[p[i] >> 4];
		*o++ = hexdig[p[i] & 0xf];
	}
	b->len += 2 * n;
	b->p[b->len] = '\0';
}

/* Days since 1970-01-01 of a proleptic Gregorian date (era arithmetic). */
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

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
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
	*y = yoe + era * 400 + (*m <= 2);
}

static void put2(char *o, int v)
{
	o[0] = (char)('0' + v / 10);
	o[1] = (char)('0' + v % 10);
}

void buf_iso8601(struct buf *b, int64_t t)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t secs = t - days * 86400, y;
	int m, d;
	char o[20];

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = 0;
	put2(o, (int)(y / 100));
	put2(o + 2, (int)(y % 100));
	o[4] = '-';
	put2(o + 5, m);
	o[7] = '-';
	put2(o + 8, d);
	o[10] = 'T';
	put2(o + 11, (int)(secs / 3600));
	o[13] = ':';
	put2(o + 14, (int)(secs / 60 % 60));
	o[16] = ':';
	put2(o + 17, (int)(secs % 60));
	buf_add(b, o, sizeof(o) - 1);
	buf_addc(b, 'Z');
}

void buf_http_date(struct buf *b, int64_t t)
{
	static const char wd[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
	static const char mn[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t secs = t - days * 86400, y;
	int m, d;

	civil_from_days(days, &y, &m, &d);
	buf_printf(b, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[((days % 7) + 7) % 7], d, mn[m - 1],
	           (int)y, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

void buf_form_enc(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '*') {
			buf_addc(b, (char)c);
		} else if (c == ' ') {
			buf_addc(b, '+');
		} else {
			char e[3] = {'%', "0123456789ABCDEF"[c >> 4], "0123456789ABCDEF"[c & 0xf]};

			buf_add(b, e, 3);
		}
	}
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int month_days(int y, int m)
{
	static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : md[m - 1];
}

int sim_parse_time(const char *s, int64_t *out, bool *date_only)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	size_t n = strlen(s);
	const char *p;

	if (n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
		return -EINVAL;
	if (n == 10) {
		if (date_only)
			*date_only = true;
		*out = days_from_civil(y, mo, d) * 86400;
		return 0;
	}
	if (n < 20 || s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' ||
	    digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
		return -EINVAL;
	if (h > 23 || mi > 59 || se > 59)
		return -EINVAL;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (strcmp(p, "Z") != 0)
		return -EINVAL;
	if (date_only)
		*date_only = false;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sim_parse_hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo;

		if (hi < 0)
			return -EINVAL;
		lo = hexval(s[2 * i + 1]);
		if (lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

bool sim_valid_sid(const char *s, const char *prefix)
{
	uint8_t tmp[16];

	return s && strlen(s) == 34 && strncmp(s, prefix, 2) == 0 &&
	       sim_parse_hex(s + 2, tmp, 16) == 0;
}

uint64_t sim_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* FNV-1a followed by one generator step to spread the bits. */
uint64_t sim_hash(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return sim_rand(&h);
}

static const char *const level_names[] = {"error", "warning", "notice", "debug"};

const char *sim_level_name(int level)
{
	if (level < 0 || level > SIM_LEVEL_DEBUG)
		return "error";
	return level_names[level];
}

int sim_level_parse(const char *s)
{
	for (int i = 0; i <= SIM_LEVEL_DEBUG; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return i;
	return SIM_LEVEL_NONE;
}

const char *sim_request_arg(const struct sim_request *rq, const char *name)
{
	for (size_t i = 0; i < rq->nargs; i++)
		if (strcmp(rq->args[i].key, name) == 0)
			return rq->args[i].value;
	return NULL;
}

void sim_reply_header(struct sim_reply *r, const char *name, const char *value)
{
	if (r->nheaders >= SIM_MAX_HEADERS)
		return;
	r->hname[r->nheaders] = xstrdup(name);
	r->hvalue[r->nheaders] = xstrdup(value);
	r->nheaders++;
}

void sim_reply_finish(struct sim_reply *r)
{
	if (!r)
		return;
	buf_finish(&r->body);
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->hname[i]);
		free(r->hvalue[i]);
	}
	r->nheaders = 0;
}

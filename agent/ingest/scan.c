// SPDX-License-Identifier: MIT
/*
 * The list-page scanner. Pass one reads the whole body without writing to
 * it: full JSON validation, the top-level members, the meta object and the
 * element count of every top-level array. Only when all of that holds does
 * pass two walk the chosen list again, unescaping the strings it keeps in
 * place and handing each member to alert_set_field. So a refusal leaves the
 * body as it came, and pass two may rely on what pass one proved.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/scan.h"

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* What a byte is inside a string. */
enum { C_PLAIN, C_QUOTE, C_ESCAPE, C_CONTROL, C_HIGH };

static const unsigned char str_class[256] = {
        3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
        3, 3, 3, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
        4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
        4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
        4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
        4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

/* One member of the page object, as pass one found it. */
struct member {
	const char *key;   /* the raw name, after its opening quote */
	const char *value; /* the first byte of the value */
	size_t count;      /* elements, when the value is an array */
};

struct scanner {
	const char *end; /* the NUL after the body */
	const char *why;
	struct member members[SCAN_MEMBERS_MAX];
	size_t n_members;
	/* Raw string values in the last "meta" object, after their quote; NULL if not strings. */
	const char *meta_key;
	const char *meta_next;
};

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	return p;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Non-zero when one of the 8 bytes in @v is a quote, a backslash, below 0x20 or above 0x7f. */
static uint64_t special8(uint64_t v)
{
	uint64_t q = v ^ (ONES * '"'), b = v ^ (ONES * '\\');

	/*
	 * Exact as a yes/no answer: below the first special byte nothing
	 * borrows, and that byte sets its own top bit in one of the terms.
	 */
	return (v | (v - ONES * 0x20) | (q - ONES) | (b - ONES)) & HIGHS;
}

/* Non-zero when one of the 8 bytes in @v is a quote or a backslash. */
static uint64_t quote8(uint64_t v)
{
	uint64_t q = v ^ (ONES * '"'), b = v ^ (ONES * '\\');

	return (((q - ONES) & ~q) | ((b - ONES) & ~b)) & HIGHS;
}

/* Record why pass one stopped; running into the final NUL reads as truncation. */
static const char *fail(struct scanner *s, const char *p, const char *why)
{
	s->why = p == s->end ? "unexpected end of input" : why;
	return NULL;
}

/* Four hex digits at @p, or -1; reads nothing past the first non-digit (so not past the NUL). */
static long hex4(const char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int h = util_hexval(p[i]);

		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* The escape after a backslash at @p; the position after it, or NULL. */
static const char *check_escape(struct scanner *s, const char *p)
{
	long c, low;

	switch (*p) {
	case '"':
	case '\\':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't':
		return p + 1;
	case 'u':
		break;
	default:
		return fail(s, p, "invalid escape in a string");
	}
	c = hex4(p + 1);
	if (c < 0)
		return fail(s, p, "invalid \\u escape");
	p += 5;
	/* C strings cannot hold U+0000, and jansson refuses it too. */
	if (c == 0)
		return fail(s, p, "\\u0000 in a string");
	if (c >= 0xDC00 && c <= 0xDFFF)
		return fail(s, p, "unpaired surrogate in a string");
	if (c < 0xD800 || c > 0xDBFF)
		return p;
	if (p[0] != '\\' || p[1] != 'u')
		return fail(s, p, "unpaired surrogate in a string");
	low = hex4(p + 2);
	if (low < 0xDC00 || low > 0xDFFF)
		return fail(s, p, "unpaired surrogate in a string");
	return p + 6;
}

static bool cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/* One UTF-8 sequence at @p (RFC 3629: no overlongs, surrogates or values past U+10FFFF). */
static const char *check_utf8(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	if (u[0] >= 0xC2 && u[0] <= 0xDF)
		return cont(u[1]) ? p + 2 : NULL;
	if (u[0] == 0xE0)
		return u[1] >= 0xA0 && u[1] <= 0xBF && cont(u[2]) ? p + 3 : NULL;
	if ((u[0] >= 0xE1 && u[0] <= 0xEC) || u[0] == 0xEE || u[0] == 0xEF)
		return cont(u[1]) && cont(u[2]) ? p + 3 : NULL;
	if (u[0] == 0xED)
		return u[1] >= 0x80 && u[1] <= 0x9F && cont(u[2]) ? p + 3 : NULL;
	if (u[0] == 0xF0)
		return u[1] >= 0x90 && u[1] <= 0xBF && cont(u[2]) && cont(u[3]) ? p + 4 : NULL;
	if (u[0] >= 0xF1 && u[0] <= 0xF3)
		return cont(u[1]) && cont(u[2]) && cont(u[3]) ? p + 4 : NULL;
	if (u[0] == 0xF4)
		return u[1] >= 0x80 && u[1] <= 0x8F && cont(u[2]) && cont(u[3]) ? p + 4 : NULL;
	return NULL;
}

/* The rest of a string after its opening quote; the position after the closing one, or NULL. */
static const char *check_string(struct scanner *s, const char *p)
{
	for (;;) {
		uint64_t v;

		/* Eight ordinary bytes at a time; the NUL at s->end stops the byte loop. */
		while (s->end - p >= 8) {
			memcpy(&v, p, sizeof(v));
			if (special8(v))
				break;
			p += 8;
		}
		while (str_class[(unsigned char)*p] == C_PLAIN)
			p++;
		switch (str_class[(unsigned char)*p]) {
		case C_QUOTE:
			return p + 1;
		case C_ESCAPE:
			p = check_escape(s, p + 1);
			break;
		case C_CONTROL:
			return fail(s, p, "control character in a string");
		default: {
			const char *q = check_utf8(p);

			p = q ? q : fail(s, p, "invalid UTF-8 in a string");
			break;
		}
		}
		if (!p)
			return NULL;
	}
}

/*
 * A number. Integers must fit int64 and reals must not overflow a double,
 * because jansson refuses both and the fallback must accept what we accept.
 */
static const char *check_number(struct scanner *s, const char *p)
{
	const char *start = p;
	char *end;
	bool neg = *p == '-', integer = true, over = false;
	uint64_t mag = 0, limit;
	double d;

	if (neg)
		p++;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		for (; is_digit(*p); p++) {
			uint64_t digit = (uint64_t)(*p - '0');

			if (mag > (limit - digit) / 10)
				over = true;
			else
				mag = mag * 10 + digit;
		}
	} else {
		return fail(s, p, "invalid number");
	}
	if (*p == '.') {
		integer = false;
		if (!is_digit(*++p))
			return fail(s, p, "invalid number");
		while (is_digit(*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		integer = false;
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!is_digit(*p))
			return fail(s, p, "invalid number");
		while (is_digit(*p))
			p++;
	}
	if (integer)
		return over ? fail(s, p, "integer out of range") : p;
	/* The agent runs in the C locale; should strtod read differently, refuse. */
	errno = 0;
	d = strtod(start, &end);
	if (end != p)
		return fail(s, p, "number not understood");
	if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
		return fail(s, p, "number out of range");
	return p;
}

static const char *check_word(struct scanner *s, const char *p, const char *word)
{
	size_t n = strlen(word);

	/* strncmp, not memcmp: it stops at the final NUL. */
	return strncmp(p, word, n) == 0 ? p + n : fail(s, p, "invalid literal");
}

/* A member name and its colon at @p; the position of the value (blanks skipped), or NULL. */
static const char *check_key(struct scanner *s, const char *p)
{
	if (*p != '"')
		return fail(s, p, "expected a member name");
	p = check_string(s, p + 1);
	if (!p)
		return NULL;
	p = ws(p);
	if (*p != ':')
		return fail(s, p, "expected ':'");
	return ws(p + 1);
}

/*
 * Any value at @p, enclosed by @depth open containers; the position after
 * it, or NULL. Iterative, with the kind of each open container in a bit.
 */
static const char *check_value(struct scanner *s, const char *p, int depth)
{
	uint64_t objects = 0; /* bit i: the i-th container opened here is an object */
	int open = 0;

	for (;;) {
		switch (*p) {
		case '"':
			p = check_string(s, p + 1);
			break;
		case '{':
		case '[': {
			bool obj = *p == '{';

			if (depth + open >= SCAN_DEPTH_MAX)
				return fail(s, p, "nested too deeply");
			p = ws(p + 1);
			if (*p == (obj ? '}' : ']')) {
				p++;
				break;
			}
			objects = obj ? objects | 1ull << open : objects & ~(1ull << open);
			open++;
			if (obj && !(p = check_key(s, p)))
				return NULL;
			continue;
		}
		case 't':
			p = check_word(s, p, "true");
			break;
		case 'f':
			p = check_word(s, p, "false");
			break;
		case 'n':
			p = check_word(s, p, "null");
			break;
		default:
			if (*p != '-' && !is_digit(*p))
				return fail(s, p, "expected a value");
			p = check_number(s, p);
			break;
		}
		if (!p)
			return NULL;
		/* After a value: close the containers ending here, or go on to the next element. */
		for (;;) {
			bool obj;

			if (open == 0)
				return p;
			obj = objects >> (open - 1) & 1;
			p = ws(p);
			if (*p == ',') {
				p = ws(p + 1);
				if (obj && !(p = check_key(s, p)))
					return NULL;
				break;
			}
			if (*p != (obj ? '}' : ']'))
				return fail(s, p,
				            obj ? "expected ',' or '}'" : "expected ',' or ']'");
			p++;
			open--;
		}
	}
}

/* A top-level array at @p: its elements are checked and counted into *@count. */
static const char *check_list(struct scanner *s, const char *p, size_t *count)
{
	p = ws(p + 1);
	if (*p == ']')
		return p + 1;
	for (;;) {
		p = check_value(s, p, 2);
		if (!p)
			return NULL;
		(*count)++;
		p = ws(p);
		if (*p == ']')
			return p + 1;
		if (*p != ',')
			return fail(s, p, "expected ',' or ']'");
		p = ws(p + 1);
	}
}

/* Reads the bytes a checked JSON string (or, @plain, a C string) stands for. */
struct decoder {
	const char *p;
	bool plain;
	char buf[4];
	int n, i; /* bytes of buf not yet returned: buf[i .. n-1] */
};

static int utf8_put(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xC0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xE0 | c >> 12);
		out[1] = (char)(0x80 | (c >> 6 & 0x3F));
		out[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | c >> 18);
	out[1] = (char)(0x80 | (c >> 12 & 0x3F));
	out[2] = (char)(0x80 | (c >> 6 & 0x3F));
	out[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

/*
 * Decode the checked escape after a backslash at @p into @out (1 to 4
 * bytes, returned); *@next gets the position after it. Everything is read
 * before anything is written, so @out may lie just before @p.
 */
static int decode_escape(const char *p, char *out, const char **next)
{
	uint32_t c;

	switch (*p) {
	case 'b':
		c = '\b';
		break;
	case 'f':
		c = '\f';
		break;
	case 'n':
		c = '\n';
		break;
	case 'r':
		c = '\r';
		break;
	case 't':
		c = '\t';
		break;
	case 'u':
		c = (uint32_t)hex4(p + 1);
		p += 4;
		if (c >= 0xD800 && c <= 0xDBFF) {
			c = 0x10000 + ((c - 0xD800) << 10) + ((uint32_t)hex4(p + 3) - 0xDC00);
			p += 6;
		}
		break;
	default: /* '"', '\\' and '/' stand for themselves */
		c = (unsigned char)*p;
		break;
	}
	*next = p + 1;
	return utf8_put(c, out);
}

/* The next byte, or -1 at the end of the string. */
static int next_byte(struct decoder *d)
{
	if (d->i < d->n)
		return (unsigned char)d->buf[d->i++];
	if (d->plain)
		return *d->p ? (unsigned char)*d->p++ : -1;
	if (*d->p == '"')
		return -1;
	if (*d->p != '\\')
		return (unsigned char)*d->p++;
	d->n = decode_escape(d->p + 1, d->buf, &d->p);
	d->i = 1;
	return (unsigned char)d->buf[0];
}

/* Whether the checked raw string @a equals @b (raw too unless @b_plain). */
static bool same_name(const char *a, const char *b, bool b_plain)
{
	struct decoder x = {.p = a}, y = {.p = b, .plain = b_plain};
	int c;

	do {
		c = next_byte(&x);
		if (c != next_byte(&y))
			return false;
	} while (c >= 0);
	return true;
}

/* The "meta" object at @p: remember its last "key" and "next_page_url" strings. */
static const char *check_meta(struct scanner *s, const char *p)
{
	p = ws(p + 1);
	if (*p == '}')
		return p + 1;
	for (;;) {
		const char *key = p + 1, **slot = NULL;

		p = check_key(s, p);
		if (!p)
			return NULL;
		if (same_name(key, "key", true))
			slot = &s->meta_key;
		else if (same_name(key, "next_page_url", true))
			slot = &s->meta_next;
		if (slot)
			*slot = *p == '"' ? p + 1 : NULL;
		p = check_value(s, p, 2);
		if (!p)
			return NULL;
		p = ws(p);
		if (*p == '}')
			return p + 1;
		if (*p != ',')
			return fail(s, p, "expected ',' or '}'");
		p = ws(p + 1);
	}
}

/* Pass one over the whole body; writes nothing. */
static int pass_one(struct scanner *s, const char *p)
{
	p = ws(p);
	if (*p != '{') {
		fail(s, p, "the page is not a JSON object");
		return -EBADMSG;
	}
	p = ws(p + 1);
	if (*p == '}')
		p++;
	else
		for (;;) {
			const char *key = p + 1;
			struct member *m;
			bool meta;

			p = check_key(s, p);
			if (!p)
				return -EBADMSG;
			if (s->n_members == SCAN_MEMBERS_MAX) {
				s->why = "too many members in the page object";
				return -EBADMSG;
			}
			m = &s->members[s->n_members++];
			m->key = key;
			m->value = p;
			m->count = 0;
			/* Like jansson, the last "meta" wins, whatever came before it. */
			meta = same_name(key, "meta", true);
			if (meta)
				s->meta_key = s->meta_next = NULL;
			if (meta && *p == '{')
				p = check_meta(s, p);
			else if (*p == '[')
				p = check_list(s, p, &m->count);
			else
				p = check_value(s, p, 1);
			if (!p)
				return -EBADMSG;
			p = ws(p);
			if (*p == '}') {
				p++;
				break;
			}
			if (*p != ',') {
				fail(s, p, "expected ',' or '}'");
				return -EBADMSG;
			}
			p = ws(p + 1);
		}
	p = ws(p);
	if (p != s->end) {
		s->why = *p ? "garbage after the page" : "NUL byte in the page";
		return -EBADMSG;
	}
	return 0;
}

/* In pass two: the first quote or backslash from @p on (the NUL if neither). */
static char *find_quote(const struct scanner *s, char *p)
{
	uint64_t v;

	while (s->end - p >= 8) {
		memcpy(&v, p, sizeof(v));
		if (quote8(v))
			break;
		p += 8;
	}
	while (*p != '"' && *p != '\\' && *p)
		p++;
	return p;
}

/*
 * Unescape the checked string after its opening quote at @p in place and
 * NUL-terminate it (the result is never longer); *@len gets its length.
 * Returns the position after the closing quote.
 */
static char *unescape(const struct scanner *s, char *p, size_t *len)
{
	char *start = p, *w;
	const char *next;

	p = find_quote(s, p);
	if (*p == '"') {
		*p = '\0';
		*len = (size_t)(p - start);
		return p + 1;
	}
	/* Escapes are rare: from the first one on, a byte at a time. */
	w = p;
	while (*p && *p != '"') {
		if (*p == '\\') {
			w += decode_escape(p + 1, w, &next);
			p = start + (next - start);
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
	*len = (size_t)(w - start);
	return *p ? p + 1 : p;
}

/* In pass two: the position after the checked string whose opening quote is before @p. */
static char *skip_string(const struct scanner *s, char *p)
{
	p = find_quote(s, p);
	/* An escaped character cannot end the string. */
	while (*p == '\\')
		p = find_quote(s, p + 2);
	return *p ? p + 1 : p;
}

/* In pass two: the position after the checked value at @p. */
static char *skip_value(const struct scanner *s, char *p)
{
	int depth = 0;

	if (*p == '"')
		return skip_string(s, p + 1);
	if (*p != '{' && *p != '[') {
		/* A number or a literal: up to the next delimiter. */
		while (*p && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' &&
		       *p != '\r' && *p != '\t')
			p++;
		return p;
	}
	do {
		switch (*p) {
		case '"':
			p = skip_string(s, p + 1);
			break;
		case '{':
		case '[':
			depth++;
			p++;
			break;
		case '}':
		case ']':
			depth--;
			p++;
			break;
		case '\0':
			return p;
		default:
			p++;
			break;
		}
	} while (depth > 0);
	return p;
}

/* In pass two: a checked number; *@integer when it has no fraction or exponent. */
static char *read_number(char *p, bool *integer, int64_t *out)
{
	bool neg = *p == '-';
	uint64_t mag = 0;

	if (neg)
		p++;
	while (is_digit(*p))
		mag = mag * 10 + (uint64_t)(*p++ - '0');
	*integer = *p != '.' && *p != 'e' && *p != 'E';
	while (is_digit(*p) || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' || *p == '-')
		p++;
	/* Pass one kept integers within int64, so this neither overflows nor is lossy. */
	*out = neg ? (mag ? -(int64_t)(mag - 1) - 1 : 0) : (int64_t)mag;
	return p;
}

/* In pass two: the value at @p of a member the alert keeps. */
static char *set_member(const struct scanner *s, char *p, struct alert *a, enum alert_field f)
{
	size_t len;
	int64_t i;
	bool integer;

	if (*p == '"') {
		char *str = p + 1;

		p = unescape(s, str, &len);
		alert_set_field(a, f, ALERT_KIND_STRING, str, 0);
	} else if (*p == 'n') {
		alert_set_field(a, f, ALERT_KIND_NULL, NULL, 0);
		p += 4;
	} else if (*p == '-' || is_digit(*p)) {
		p = read_number(p, &integer, &i);
		alert_set_field(a, f, integer ? ALERT_KIND_INTEGER : ALERT_KIND_OTHER, NULL, i);
	} else {
		alert_set_field(a, f, ALERT_KIND_OTHER, NULL, 0);
		p = skip_value(s, p);
	}
	return p;
}

/* In pass two: the checked object at *@pp into @it; moves *@pp past it. 0 or -ENOMEM. */
static int fill_item(const struct scanner *s, char **pp, struct scan_item *it)
{
	struct alert *a = &it->alert;
	char *p = (char *)ws(*pp + 1);
	int r;

	alert_init(a);
	while (*p == '"') {
		char *key = p + 1;
		size_t len;
		int f;

		p = (char *)ws(unescape(s, key, &len));
		p = (char *)ws(p + 1); /* past the colon */
		f = alert_field_lookup(key, len);
		p = f < 0 ? skip_value(s, p) : set_member(s, p, a, (enum alert_field)f);
		p = (char *)ws(p);
		if (*p == ',')
			p = (char *)ws(p + 1);
	}
	*pp = *p ? p + 1 : p; /* past the closing brace */
	it->skip = NULL;
	r = alert_finish_fields(a, &it->skip);
	if (r == -ENOMEM)
		return r;
	return 0;
}

int scan_page(char *body, size_t len, struct scan_item *items, size_t cap, size_t *n,
              const char **next_page_url, const char **why)
{
	struct scanner s = {.end = body + len};
	const struct member *list = NULL;
	size_t i = 0;
	char *p;
	int r;

	*n = 0;
	*next_page_url = NULL;
	r = pass_one(&s, body);
	if (r < 0)
		goto out;
	/* The list is the last member so named: jansson keeps the last duplicate. */
	for (size_t k = s.n_members; k-- > 0 && !list;)
		if (s.meta_key ? same_name(s.members[k].key, s.meta_key, false)
		               : same_name(s.members[k].key, "alerts", true))
			list = &s.members[k];
	if (!list || *list->value != '[') {
		s.why = "no list of alerts where meta.key says";
		r = -EBADMSG;
		goto out;
	}
	if (list->count > cap) {
		s.why = "more alerts in the page than a page may hold";
		r = -EBADMSG;
		goto out;
	}
	/* Pass two: from here on the body is rewritten. */
	p = (char *)ws(body + (list->value - body) + 1);
	for (i = 0; i < list->count; i++) {
		if (*p == '{') {
			r = fill_item(&s, &p, &items[i]);
			if (r < 0) {
				s.why = "out of memory";
				goto out;
			}
		} else {
			alert_init(&items[i].alert);
			items[i].skip = "alert is not a JSON object";
			p = skip_value(&s, p);
		}
		p = (char *)ws(p);
		if (*p == ',')
			p = (char *)ws(p + 1);
	}
	if (s.meta_next) {
		char *url = body + (s.meta_next - body);
		size_t url_len;

		unescape(&s, url, &url_len);
		*next_page_url = url;
	}
	*n = list->count;
out:
	if (r < 0) {
		/* fill_item left nothing to free in the item that failed. */
		scan_items_finish(items, i);
		*why = s.why;
	}
	return r;
}

/* The length of the well-formed UTF-8 sequence at @u (@n bytes left), or -(maximal subpart). */
static long utf8_seq(const unsigned char *u, size_t n)
{
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need, i;

	if (u[0] >= 0xC2 && u[0] <= 0xDF)
		need = 2;
	else if (u[0] >= 0xE0 && u[0] <= 0xEF)
		need = 3;
	else if (u[0] >= 0xF0 && u[0] <= 0xF4)
		need = 4;
	else
		return -1;
	/* The second byte's range excludes overlongs, surrogates and values past U+10FFFF. */
	if (u[0] == 0xE0)
		lo = 0xA0;
	else if (u[0] == 0xED)
		hi = 0x9F;
	else if (u[0] == 0xF0)
		lo = 0x90;
	else if (u[0] == 0xF4)
		hi = 0x8F;
	for (i = 1; i < need; i++) {
		if (i >= n || u[i] < (i == 1 ? lo : 0x80) || u[i] > (i == 1 ? hi : 0xBF))
			return -(long)i;
	}
	return (long)need;
}

int scan_repair(const char *body, size_t len, struct strbuf *out)
{
	static const char fffd[] = "\xEF\xBF\xBD", esc_fffd[] = "\\uFFFD";
	const unsigned char *u = (const unsigned char *)body;
	size_t i = 0, copied = 0;
	int fixed = 0, r = 0;

	strbuf_reset(out);
	while (i < len && r == 0) {
		const char *put = NULL;
		size_t skip = 0, put_len = 0;

		if (u[i] == '\\' && i + 1 < len && u[i + 1] == 'u' && len - i >= 6 &&
		    hex4(body + i + 2) >= 0) {
			long c = hex4(body + i + 2);
			long low = len - i >= 12 && u[i + 6] == '\\' && u[i + 7] == 'u'
			                   ? hex4(body + i + 8)
			                   : -1;

			if (c >= 0xD800 && c <= 0xDBFF && low >= 0xDC00 && low <= 0xDFFF) {
				i += 12; /* a proper pair */
				continue;
			}
			if (c == 0 || (c >= 0xD800 && c <= 0xDFFF)) {
				put = esc_fffd;
				put_len = 6;
				skip = 6;
			} else {
				i += 6;
				continue;
			}
		} else if (u[i] == '\\') {
			/* Any other escape: its second byte is never the start of one. */
			i += i + 1 < len && u[i + 1] < 0x80 ? 2 : 1;
			continue;
		} else if (u[i] < 0x80) {
			i++;
			continue;
		} else {
			long n = utf8_seq(u + i, len - i);

			if (n > 0) {
				i += (size_t)n;
				continue;
			}
			put = fffd;
			put_len = 3;
			skip = (size_t)-n;
		}
		/* Copy what came before unchanged, then the replacement. */
		r = strbuf_append(out, body + copied, i - copied);
		if (r == 0)
			r = strbuf_append(out, put, put_len);
		i += skip;
		copied = i;
		fixed++;
	}
	if (r == 0)
		r = strbuf_append(out, body + copied, len - copied);
	if (r == 0 && !out->buf)
		r = strbuf_append(out, "", 0);
	return r < 0 ? r : fixed;
}

void scan_items_finish(struct scan_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		alert_finish(&items[i].alert);
}

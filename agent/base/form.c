// SPDX-License-Identifier: MIT
/*
 * Form-encoded text into decoded pairs. One pass over the input; each name
 * and value is decoded into its own allocation, so the pairs outlive the
 * text they came from.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/form.h"
#include "base/util.h"

/* The next decoded byte at *@p (before @end), advancing *@p: '+' is a space, %XX its byte. */
static char next_char(const char **p, const char *end)
{
	const char *q = *p;
	int hi, lo;

	if (*q == '+') {
		*p = q + 1;
		return ' ';
	}
	if (*q == '%' && end - q >= 3 && (hi = util_hexval(q[1])) >= 0 &&
	    (lo = util_hexval(q[2])) >= 0) {
		*p = q + 3;
		return (char)(hi * 16 + lo);
	}
	*p = q + 1;
	return *q;
}

/* Decode @n bytes at @p into a new string; -EILSEQ if it would hold a NUL. */
static int decode(const char *p, size_t n, char **out)
{
	char *r = malloc(n + 1), *w = r;
	const char *end = p + n;

	if (!r)
		return -ENOMEM;
	while (p < end) {
		*w = next_char(&p, end);
		if (*w++ == '\0') {
			free(r);
			return -EILSEQ;
		}
	}
	*w = '\0';
	*out = r;
	return 0;
}

/* Whether @n bytes at @p decode without a NUL byte. */
static bool nul_free(const char *p, size_t n)
{
	const char *end = p + n;

	while (p < end)
		if (next_char(&p, end) == '\0')
			return false;
	return true;
}

/* Whether @n bytes of form text at @p decode to exactly @name. */
static bool name_is(const char *p, size_t n, const char *name)
{
	const char *end = p + n;

	while (p < end)
		if (!*name || next_char(&p, end) != *name++)
			return false;
	return !*name;
}

int form_parse(const char *text, size_t len, struct form *f)
{
	const char *p = text, *end = text + len;
	size_t cap = 0;
	int r = 0;

	f->fields = NULL;
	f->n = 0;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *eq;
		size_t part = (size_t)((amp ? amp : end) - p);
		struct form_field *fl;

		eq = memchr(p, '=', part);
		if (part == 0)
			goto next;
		if (f->n == FORM_FIELDS_MAX)
			return -E2BIG;
		r = UTIL_GROW(f->fields, cap, f->n + 1);
		if (r < 0)
			return r;
		fl = &f->fields[f->n];
		fl->name = fl->value = NULL;
		f->n++;
		r = decode(p, eq ? (size_t)(eq - p) : part, &fl->name);
		if (r == 0)
			r = eq ? decode(eq + 1, part - (size_t)(eq + 1 - p), &fl->value)
			       : decode("", 0, &fl->value);
		if (r < 0)
			return r;
	next:
		p += part + 1;
	}
	return 0;
}

int form_lookup(const char *text, size_t len, const char *const *names, size_t n, char **values)
{
	const char *p = text, *end = text + len;
	size_t fields = 0;
	int r = 0;

	for (size_t i = 0; i < n; i++)
		values[i] = NULL;
	/* The parts, the cap and the refusals exactly as form_parse has them. */
	while (p < end && r == 0) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *eq;
		size_t part = (size_t)((amp ? amp : end) - p), nlen;

		eq = memchr(p, '=', part);
		nlen = eq ? (size_t)(eq - p) : part;
		if (part == 0)
			goto next;
		if (fields++ == FORM_FIELDS_MAX) {
			r = -E2BIG;
			break;
		}
		if (!nul_free(p, part)) {
			r = -EILSEQ;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (values[i] || !name_is(p, nlen, names[i]))
				continue;
			r = eq ? decode(eq + 1, part - nlen - 1, &values[i])
			       : decode("", 0, &values[i]);
			if (r < 0)
				break;
		}
	next:
		p += part + 1;
	}
	if (r < 0)
		for (size_t i = 0; i < n; i++) {
			free(values[i]);
			values[i] = NULL;
		}
	return r;
}

const char *form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			return f->fields[i].value;
	return NULL;
}

void form_finish(struct form *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->fields[i].name);
		free(f->fields[i].value);
	}
	free(f->fields);
	f->fields = NULL;
	f->n = 0;
}

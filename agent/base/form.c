// SPDX-License-Identifier: MIT
/*
 * Form-encoded text into decoded pairs. One pass over the input; each name
 * and value is decoded into its own allocation, so the pairs outlive the
 * text they came from.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/form.h"
#include "base/util.h"


/* Decode @n bytes at @p into a new string; -EILSEQ if it would hold a NUL. */
static int decode(const char *p, size_t n, char **out)
{
	char *r = malloc(n + 1), *w = r;
	const char *end = p + n;
	int hi, lo;

	if (!r)
		return -ENOMEM;
	while (p < end) {
		if (*p == '+') {
			*w++ = ' ';
			p++;
		} else if (*p == '%' && end - p >= 3 && (hi = util_hexval(p[1])) >= 0 &&
			   (lo = util_hexval(p[2])) >= 0) {
			*w++ = (char)(hi * 16 + lo);
			p += 3;
		} else {
			*w++ = *p++;
		}
		if (w[-1] == '\0') {
			free(r);
			return -EILSEQ;
		}
	}
	*w = '\0';
	*out = r;
	return 0;
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

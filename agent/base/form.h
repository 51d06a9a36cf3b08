/* SPDX-License-Identifier: MIT */
/*
 * application/x-www-form-urlencoded text, split into decoded name/value
 * pairs: the Debugger webhook's body, a query string, Twilio's alert_text
 * and request_variables. Capped in fields; nothing here logs.
 */
#ifndef ALERTD_FORM_H
#define ALERTD_FORM_H

#include <stddef.h>

/* The most fields one form may have; more is -E2BIG. */
#define FORM_FIELDS_MAX 256

struct form_field {
	char *name;
	char *value;
};

struct form {
	struct form_field *fields;
	size_t n;
};

/*
 * form_parse - split @len bytes of @text at '&', each part at its first
 * '=' (none: empty value), decoding '+' and %XX (invalid escapes kept
 * verbatim). Empty parts are skipped. Fills @f (caller's storage, freed
 * with form_finish even on error). Returns 0, -E2BIG past FORM_FIELDS_MAX
 * fields, -EILSEQ when a decoded name or value holds a NUL byte, -ENOMEM.
 */
int form_parse(const char *text, size_t len, struct form *f);

/*
 * form_lookup - the first value of each of the @n names in @names, with
 * form_parse's decoding and refusals (a form it refuses gives none) but
 * without allocating the fields: values[i] (room for @n) gets a new string,
 * or NULL when name i is absent; the caller frees each. For a few names of a
 * form read often (alert_text on every stored alert). Returns 0, -E2BIG,
 * -EILSEQ or -ENOMEM (each value NULL then).
 */
int form_lookup(const char *text, size_t len, const char *const *names, size_t n, char **values);

/* form_get - the first value of @name in @f, or NULL. */
const char *form_get(const struct form *f, const char *name);

/* form_finish - free the fields; a zeroed or half-filled @f is fine. */
void form_finish(struct form *f);

#endif

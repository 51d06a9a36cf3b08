// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for form-encoded text from Twilio (an alert's alert_text
 * and request_variables) and from the Debugger webhook: form.c is the one
 * decoder. Checked for every input: the result codes and the field cap;
 * that what form_parse decodes, percent-encoded again, parses back to the
 * same fields in the same order; that form_get returns the first field of a
 * name; that form_lookup (no allocation per field) gives form_parse's result
 * code and form_get's values; and that the msg and http_response alert.c stores are the Msg /
 * parserMessage / httpResponse form_parse finds (none when it refuses the
 * text), so the page never shows a Msg other than the one stored.
 */
#include <errno.h>
#include <stdlib.h>

#include "base/alert.h"
#include "base/form.h"
#include "fuzz.h"
#include "base/util.h"

#define FUZZ_INPUT_MAX (64 * 1024)
#define FUZZ_NAMES_MAX 32

static void encode(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[3] = {'%', hex[c >> 4], hex[c & 15]};

		strbuf_append(sb, e, 3);
	}
}

/* Non-empty '&'-separated parts of @text: the fields form_parse must find. */
static size_t parts(const char *text)
{
	size_t n = 0, len = 0;

	for (const char *p = text;; p++) {
		if (*p == '&' || !*p) {
			n += len > 0;
			len = 0;
			if (!*p)
				return n;
		} else {
			len++;
		}
	}
}

static void round_trip(const struct form *f)
{
	struct strbuf sb;
	struct form g;
	int r;

	/* Every byte becomes at most three, and each field adds two separators. */
	strbuf_init(&sb, 3 * FUZZ_INPUT_MAX + 2 * FORM_FIELDS_MAX);
	for (size_t i = 0; i < f->n; i++) {
		strbuf_append(&sb, "&", i ? 1 : 0);
		encode(&sb, f->fields[i].name);
		/* An empty name still needs its '=' to be a part. */
		strbuf_append(&sb, "=", 1);
		encode(&sb, f->fields[i].value);
	}
	r = form_parse(sb.buf ? sb.buf : "", sb.len, &g);
	FUZZ_CHECK(r == 0, "re-encoded form: form_parse %d", r);
	FUZZ_CHECK(r < 0 || g.n == f->n, "re-encoded form: %zu fields, not %zu", g.n, f->n);
	for (size_t i = 0; r == 0 && i < f->n && i < g.n; i++)
		FUZZ_CHECK(strcmp(f->fields[i].name, g.fields[i].name) == 0 &&
		                   strcmp(f->fields[i].value, g.fields[i].value) == 0,
		           "re-encoded form: field %zu differs", i);
	form_finish(&g);
	strbuf_finish(&sb);
}

static void first_wins(const struct form *f, const char *name)
{
	const char *v = form_get(f, name), *want = NULL;

	for (size_t i = 0; i < f->n && !want; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			want = f->fields[i].value;
	FUZZ_CHECK(v == want, "form_get \"%s\" is not the first field of that name", name);
}

/*
 * form_lookup (the non-allocating reader of a few names) against form_parse
 * (@r) and form_get on @f: the same result code, the same values.
 */
static void lookup_agrees(const char *text, const struct form *f, int r)
{
	const char *names[FUZZ_NAMES_MAX + 3] = {"Msg", "parserMessage", "httpResponse"};
	char *v[FUZZ_NAMES_MAX + 3];
	size_t n = 3;
	int lr;

	for (size_t i = 0; r == 0 && i < f->n && n < ARRAY_SIZE(names); i++)
		names[n++] = f->fields[i].name;
	lr = form_lookup(text, strlen(text), names, n, v);
	FUZZ_CHECK(lr == r, "form_lookup %d, form_parse %d", lr, r);
	for (size_t i = 0; i < n; i++) {
		const char *want = r == 0 ? form_get(f, names[i]) : NULL;

		FUZZ_CHECK((v[i] != NULL) == (want != NULL), "\"%s\": form_lookup %s, form_get %s",
		           names[i], v[i] ? "found it" : "did not", want ? "did" : "did not");
		FUZZ_CHECK(!want || strcmp(v[i], want) == 0,
		           "\"%s\": form_lookup \"%s\", form_get \"%s\"", names[i], v[i], want);
		free(v[i]);
	}
}

/* What alert.c stores from alert_text @text, against the form @f (r: form_parse's result). */
static void stored(const char *text, const struct form *f, int r)
{
	const char *msg = r == 0 ? form_get(f, "Msg") : NULL;
	const char *resp = r == 0 ? form_get(f, "httpResponse") : NULL;
	const char *why = NULL;
	struct alert a;

	if (r == 0 && !msg)
		msg = form_get(f, "parserMessage");
	alert_init(&a);
	alert_set_field(&a, ALERT_FIELD_SID, ALERT_KIND_STRING, "NO0", 0);
	alert_set_field(&a, ALERT_FIELD_DATE_CREATED, ALERT_KIND_STRING, "2026-01-02T03:04:05Z", 0);
	alert_set_field(&a, ALERT_FIELD_ALERT_TEXT, ALERT_KIND_STRING, text, 0);
	if (alert_finish_fields(&a, &why) == 0) {
		FUZZ_CHECK((a.msg != NULL) == (msg != NULL), "msg stored: %s, on the page: %s",
		           a.msg ? "yes" : "no", msg ? "yes" : "no");
		FUZZ_CHECK(!msg || strcmp(a.msg, msg) == 0, "msg \"%s\", the page's \"%s\"", a.msg,
		           msg);
		FUZZ_CHECK(resp || !a.has_http_response, "http_response without httpResponse");
	}
	alert_finish(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"Msg", "parserMessage", "httpResponse"};
	struct form f;
	char *text;
	int r;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	text = fuzz_strndup(data, size);
	r = form_parse(text, strlen(text), &f);
	FUZZ_CHECK(r == 0 || r == -E2BIG || r == -EILSEQ, "form_parse %d", r);
	FUZZ_CHECK((r == -E2BIG) == (parts(text) > FORM_FIELDS_MAX && r != -EILSEQ) || r == -EILSEQ,
	           "%zu parts, form_parse %d", parts(text), r);
	FUZZ_CHECK(r != -EILSEQ || strstr(text, "%00"), "-EILSEQ without a %%00");
	FUZZ_CHECK(r != 0 || f.n == parts(text), "%zu fields of %zu parts", f.n, parts(text));
	for (size_t i = 0; i < f.n; i++)
		FUZZ_CHECK(r < 0 || (f.fields[i].name && f.fields[i].value), "field %zu unset", i);
	if (r == 0) {
		round_trip(&f);
		for (size_t i = 0; i < f.n && i < FUZZ_NAMES_MAX; i++)
			first_wins(&f, f.fields[i].name);
		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			first_wins(&f, names[i]);
	}
	lookup_agrees(text, &f, r);
	stored(text, &f, r);
	form_finish(&f);
	free(text);
	return 0;
}

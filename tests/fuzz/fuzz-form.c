// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for form-encoded text from Twilio: an alert's
 * alert_text and request_variables. Two parsers read it: alert.c takes
 * Msg / parserMessage / httpResponse with util_form_get (the msg and
 * http_response columns), the alert page and the webhook split it with
 * form_parse. For every name form_parse finds, and for those three, both
 * must give the same value (when form_parse takes the form at all), so
 * the page never shows a Msg other than the one stored and filtered on.
 */
#include <errno.h>

#include "base/form.h"
#include "fuzz.h"
#include "base/util.h"

#define FUZZ_INPUT_MAX (64 * 1024)
#define FUZZ_NAMES_MAX 32

static void same(const char *text, const struct form *f, const char *name)
{
	const char *fv = form_get(f, name);
	char *uv = NULL;
	int r = util_form_get(text, name, &uv);

	FUZZ_CHECK(r == 0 || r == -ENOENT, "util_form_get %d", r);
	FUZZ_CHECK((r == 0) == (fv != NULL), "\"%s\": util_form_get %s, form_get %s", name,
	           r == 0 ? "found it" : "did not", fv ? "did" : "did not");
	if (fv)
		FUZZ_CHECK(strcmp(uv, fv) == 0, "\"%s\": util_form_get \"%s\", form_get \"%s\"",
		           name, uv, fv);
	free(uv);
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
	for (size_t i = 0; i < f.n; i++)
		FUZZ_CHECK(r < 0 || (f.fields[i].name && f.fields[i].value), "field %zu unset", i);
	if (r == 0) {
		/* The first names only: each lookup reads the whole text again. */
		for (size_t i = 0; i < f.n && i < FUZZ_NAMES_MAX; i++)
			same(text, &f, f.fields[i].name);
		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			same(text, &f, names[i]);
	}
	form_finish(&f);
	free(text);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The scanner against jansson, shared by tests/unit/test-scan.c and
 * fuzz-scan.c. scan_diff() runs scan_page on a copy of a body and checks:
 * a refusal leaves the copy untouched; an acceptance means jansson accepts
 * the same bytes and alert_from_json gives every item the same fields, the
 * same skip reason and the same next_page_url. scan_roundtrip() checks the
 * other way: a page jansson accepts and whose shape the scanner supports
 * must be accepted once jansson has written it out again.
 */
#ifndef ALERTD_SCAN_DIFF_H
#define ALERTD_SCAN_DIFF_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/alert.h"
#include "ingest/scan.h"

/* The list cap the checks use (the agent's is MONITOR_PAGE_SIZE). */
#define SCAN_DIFF_CAP 1000

enum scan_diff_result {
	SCAN_DIFF_ACCEPTED,
	SCAN_DIFF_REFUSED,
	SCAN_DIFF_MISMATCH,
};

static bool scan_diff_same_str(const char *what, const char *a, const char *b)
{
	if ((!a && !b) || (a && b && strcmp(a, b) == 0))
		return true;
	fprintf(stderr, "scan-diff: %s: scanner \"%s\", jansson \"%s\"\n", what, a ? a : "(null)",
	        b ? b : "(null)");
	return false;
}

static bool scan_diff_same_int(const char *what, long long a, long long b)
{
	if (a == b)
		return true;
	fprintf(stderr, "scan-diff: %s: scanner %lld, jansson %lld\n", what, a, b);
	return false;
}

/* Every field of two alerts, as poll.c and store.c would use them. */
static bool scan_diff_same_alert(const struct alert *a, const struct alert *b)
{
	bool ok = true;

#define SAME_STR(f) ok &= scan_diff_same_str(#f, a->f, b->f)
#define SAME_INT(f) ok &= scan_diff_same_int(#f, (long long)a->f, (long long)b->f)
	SAME_STR(sid);
	SAME_STR(account_sid);
	SAME_STR(log_level);
	SAME_STR(alert_text);
	SAME_STR(more_info);
	SAME_STR(request_method);
	SAME_STR(request_url);
	SAME_STR(resource_sid);
	SAME_STR(service_sid);
	SAME_STR(api_version);
	SAME_STR(url);
	SAME_STR(request_variables);
	SAME_STR(response_body);
	SAME_STR(response_headers);
	SAME_STR(request_headers);
	SAME_INT(has_error_code);
	SAME_INT(error_code);
	SAME_STR(date_created);
	SAME_STR(date_generated);
	SAME_STR(date_updated);
	SAME_INT(created);
	SAME_STR(msg);
	SAME_INT(has_http_response);
	SAME_INT(http_response);
	SAME_STR(request_host);
	SAME_STR(source);
#undef SAME_STR
#undef SAME_INT
	return ok;
}

/* The list and next_page_url of a jansson page, as poll.c's fallback reads them. */
static json_t *scan_diff_list(json_t *page, const char **next)
{
	json_t *meta = json_object_get(page, "meta");
	const char *key = json_string_value(json_object_get(meta, "key"));

	*next = json_string_value(json_object_get(meta, "next_page_url"));
	return json_object_get(page, key ? key : "alerts");
}

/* Scan a copy of @text (@len bytes) and hold the result against jansson's. */
static enum scan_diff_result scan_diff(const char *text, size_t len)
{
	static struct scan_item items[SCAN_DIFF_CAP];
	enum scan_diff_result res = SCAN_DIFF_MISMATCH;
	const char *next = NULL, *why = NULL, *jnext;
	char *copy = malloc(len + 1);
	json_t *page = NULL, *list;
	size_t n = 0;
	int r;

	if (!copy)
		abort();
	memcpy(copy, text, len);
	copy[len] = '\0';
	r = scan_page(copy, len, items, SCAN_DIFF_CAP, &n, &next, &why);
	if (r == -EBADMSG) {
		if (!why || !*why)
			fprintf(stderr, "scan-diff: refused without a reason\n");
		else if (memcmp(copy, text, len) != 0)
			fprintf(stderr, "scan-diff: refused (%s) but the body was changed\n", why);
		else
			res = SCAN_DIFF_REFUSED;
		goto out;
	}
	if (r != 0) {
		fprintf(stderr, "scan-diff: scan_page returned %d\n", r);
		goto out;
	}
	page = json_loadb(text, len, 0, NULL);
	list = scan_diff_list(page, &jnext);
	if (!json_is_object(page) || !json_is_array(list)) {
		fprintf(stderr, "scan-diff: the scanner accepted what jansson refuses\n");
		goto out;
	}
	if (!scan_diff_same_int("items", (long long)n, (long long)json_array_size(list)) ||
	    !scan_diff_same_str("next_page_url", next, jnext))
		goto out;
	res = SCAN_DIFF_ACCEPTED;
	for (size_t i = 0; i < n; i++) {
		const char *jwhy = NULL;
		struct alert b;

		if (alert_from_json(&b, json_array_get(list, i), &jwhy) == -ENOMEM)
			abort();
		if (!scan_diff_same_str("skip reason", items[i].skip, jwhy) ||
		    (!jwhy && !scan_diff_same_alert(&items[i].alert, &b))) {
			fprintf(stderr, "scan-diff: ... in item %zu\n", i);
			res = SCAN_DIFF_MISMATCH;
		}
		alert_finish(&b);
	}
out:
	if (r == 0)
		scan_items_finish(items, n);
	json_decref(page);
	free(copy);
	return res;
}

/* Nesting of @j: 0 for a scalar, 1 + the deepest child for a container. */
static int scan_diff_depth(json_t *j)
{
	int d = 0;

	if (json_is_object(j)) {
		const char *k;
		json_t *v;

		json_object_foreach(j, k, v)
		{
			int c = scan_diff_depth(v);

			d = c > d ? c : d;
		}
		return d + 1;
	}
	if (json_is_array(j)) {
		size_t i;
		json_t *v;

		json_array_foreach(j, i, v)
		{
			int c = scan_diff_depth(v);

			d = c > d ? c : d;
		}
		return d + 1;
	}
	return 0;
}

/*
 * When jansson accepts @text and the page has a shape the scanner takes
 * (limits in scan.h), jansson's own rewrites of it, compact and indented
 * with every non-ASCII character and '/' escaped, must be accepted and
 * agree. Returns false on a mismatch.
 */
__attribute__((unused)) static bool scan_roundtrip(const char *text, size_t len)
{
	static const size_t flags[] = {
	        JSON_COMPACT,
	        JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_ESCAPE_SLASH,
	};
	json_t *page = json_loadb(text, len, 0, NULL), *list;
	const char *next;
	bool ok = true;

	list = scan_diff_list(page, &next);
	if (!json_is_object(page) || json_object_size(page) > SCAN_MEMBERS_MAX ||
	    !json_is_array(list) || json_array_size(list) > SCAN_DIFF_CAP ||
	    scan_diff_depth(page) > SCAN_DEPTH_MAX)
		goto out;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]) && ok; i++) {
		char *dump = json_dumps(page, flags[i]);

		if (!dump)
			abort();
		if (scan_diff(dump, strlen(dump)) != SCAN_DIFF_ACCEPTED) {
			fprintf(stderr, "scan-diff: refused jansson's rewrite: %s\n", dump);
			ok = false;
		}
		free(dump);
	}
out:
	json_decref(page);
	return ok;
}

/*
 * scan_repair's properties on any input: nothing to mend means an exact
 * copy; what jansson already accepts needs no mending; mended text needs
 * no more (so it is valid UTF-8 without \u0000 or lone surrogates); and
 * the scanner and jansson still agree on the mended text.
 */
static inline bool scan_repair_diff(const char *text, size_t len)
{
	struct strbuf once, twice;
	json_t *j = json_loadb(text, len, 0, NULL);
	bool ok = false;
	int n, again;

	strbuf_init(&once, 3 * len + 16);
	strbuf_init(&twice, 3 * len + 16);
	n = scan_repair(text, len, &once);
	if (n < 0) {
		fprintf(stderr, "scan-diff: scan_repair returned %d\n", n);
		goto out;
	}
	if (n == 0 && (once.len != len || memcmp(once.buf, text, len) != 0)) {
		fprintf(stderr, "scan-diff: scan_repair changed text with nothing to mend\n");
		goto out;
	}
	if (j && n != 0) {
		fprintf(stderr, "scan-diff: scan_repair mended %d things in what jansson takes\n",
		        n);
		goto out;
	}
	again = scan_repair(once.buf, once.len, &twice);
	if (again != 0) {
		fprintf(stderr, "scan-diff: mended text needed %d more repairs\n", again);
		goto out;
	}
	ok = scan_diff(once.buf, once.len) != SCAN_DIFF_MISMATCH;
out:
	json_decref(j);
	strbuf_finish(&once);
	strbuf_finish(&twice);
	return ok;
}

#endif

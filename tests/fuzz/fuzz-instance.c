// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for one fetched alert instance (GET /v1/Alerts/{Sid}):
 * the bytes go through json_loadb and alert_from_json as poll.c's
 * store_details does, and every field that comes out must be well formed
 * (normalised dates that parse back to the same time, a host without URL
 * punctuation). The same object as the only item of a list page goes
 * through the in-place scanner too, which must agree with jansson
 * (scan-diff.h): two parsers, one input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/alert.h"
#include "fuzz.h"
#include "scan-diff.h"
#include "base/util.h"

#define FUZZ_INPUT_MAX (256 * 1024)

/* A date field: "" or exactly the normalised form, which parses to itself. */
static void check_date(const char *what, const char *d, int64_t *t)
{
	char again[UTIL_TIME_LEN];
	int64_t v = 0;

	if (!d[0])
		return;
	FUZZ_CHECK(strlen(d) == UTIL_TIME_LEN - 1 && d[4] == '-' && d[10] == 'T' && d[19] == 'Z',
	           "%s \"%s\" is not normalised", what, d);
	FUZZ_CHECK(util_parse_time(d, &v) == 0, "%s \"%s\" does not parse", what, d);
	util_format_time(v, again);
	FUZZ_CHECK(strcmp(again, d) == 0, "%s \"%s\" formats back as \"%s\"", what, d, again);
	if (t)
		*t = v;
}

static void check_alert(const struct alert *a)
{
	int64_t created = 0;

	FUZZ_CHECK(a->sid && a->sid[0], "accepted without a sid");
	FUZZ_CHECK(a->date_created[0], "accepted without date_created");
	check_date("date_created", a->date_created, &created);
	FUZZ_CHECK(created == a->created, "created %lld, date_created %s", (long long)a->created,
	           a->date_created);
	check_date("date_generated", a->date_generated, NULL);
	check_date("date_updated", a->date_updated, NULL);
	FUZZ_CHECK(strlen(a->request_host) < ALERT_HOST_MAX, "request_host too long");
	FUZZ_CHECK(strcspn(a->request_host, "/?#") == strlen(a->request_host),
	           "request_host \"%s\" holds URL punctuation", a->request_host);
	FUZZ_CHECK(!a->msg || !a->alert_text || strlen(a->msg) <= strlen(a->alert_text),
	           "msg longer than alert_text");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char head[] = "{\"alerts\":[", tail[] = "],\"meta\":{\"key\":\"alerts\"}}";
	json_t *j;
	char *page;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	j = json_loadb((const char *)data, size, 0, NULL);
	if (j) {
		const char *why = NULL;
		struct alert a;
		int r = alert_from_json(&a, j, &why);

		FUZZ_CHECK(r == 0 || r == -EINVAL, "alert_from_json returned %d", r);
		if (r == 0) {
			check_alert(&a);
			alert_finish(&a);
		} else {
			FUZZ_CHECK(why && why[0], "refused without a reason");
		}
		json_decref(j);
	}
	page = malloc(sizeof(head) + size + sizeof(tail));
	if (!page)
		abort();
	memcpy(page, head, sizeof(head) - 1);
	memcpy(page + sizeof(head) - 1, data, size);
	memcpy(page + sizeof(head) - 1 + size, tail, sizeof(tail));
	FUZZ_CHECK(scan_diff(page, strlen(head) + size + strlen(tail)) != SCAN_DIFF_MISMATCH,
	           "scanner and jansson disagree (above)");
	free(page);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * Unit tests for summary.c, the status page's aggregates: after the first
 * pass the 1h / 24h / 7d counts by level, the top error codes, the failing
 * hosts of yours, the REST API errors, the rows per account and the chart
 * agree with the alerts stored (one outside the week counts only in rows);
 * a new alert is in the last hour at once (read live) and in the day after a
 * refresh. Every wait is bounded.
 */
#include <errno.h>
#include <string.h>

#include "test-seed.h"
#include "test.h"
#include "base/util.h"
#include "web/summary.h"

#define A1 "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define A2 "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HOOK "https://hooks.example.com/voice"
#define API "https://api.twilio.com/2010-04-01/Calls.json"
#define FAIL_TEXT "Msg=HTTP+retrieval+failure&httpResponse=502"
/* Tries of a bounded wait, each up to WAIT_MS. */
#define WAIT_TRIES 100
#define WAIT_MS 200

/* summary_view, waiting (bounded) for the first pass. */
static int view(struct summary *sm, struct store *s, int64_t now, struct summary_view *v)
{
	int r = -EAGAIN;

	for (int i = 0; i < WAIT_TRIES && r == -EAGAIN; i++)
		r = summary_view(sm, s, now, WAIT_MS, v);
	return r;
}

static void test_counts(struct summary *sm, struct store *s, int64_t now, struct summary_view *v)
{
	int64_t chart = 0;

	CHECK_INT(view(sm, s, now, v), 0);
	CHECK_INT(v->total[SUMMARY_1H], 2);
	CHECK_INT(v->total[SUMMARY_24H], 3);
	CHECK_INT(v->total[SUMMARY_7D], 4);
	CHECK_INT(v->levels[SUMMARY_7D][SUMMARY_ERROR], 3);
	CHECK_INT(v->levels[SUMMARY_7D][SUMMARY_WARNING], 1);
	CHECK_INT(v->levels[SUMMARY_1H][SUMMARY_WARNING], 1);
	CHECK_INT(v->rows, 5);
	/* 11200 leads the codes: the most in the last 24 hours. */
	CHECK(v->n_codes >= 3);
	if (v->n_codes) {
		CHECK(v->codes[0].has_code);
		CHECK_INT(v->codes[0].code, 11200);
		CHECK_INT(v->codes[0].n[SUMMARY_24H], 2);
		CHECK_STR(v->codes[0].msg, "HTTP retrieval failure");
	}
	/* The host of yours whose webhooks failed; Twilio's API host is not one. */
	CHECK_INT(v->n_hosts, 1);
	if (v->n_hosts) {
		CHECK_STR(v->hosts[0].host, "hooks.example.com");
		CHECK_INT(v->hosts[0].n[SUMMARY_7D], 2);
		CHECK(v->hosts[0].has_http_response);
		CHECK_INT(v->hosts[0].http_response, 502);
	}
	CHECK_INT(v->n_api, 1);
	if (v->n_api) {
		CHECK_INT(v->api[0].code, 20003);
		CHECK_INT(v->api[0].n[SUMMARY_1H], 1);
	}
	CHECK_INT(v->n_accounts, 2);
	for (size_t i = 0; i < v->n_accounts; i++)
		CHECK_INT(v->accounts[i].rows, strcmp(v->accounts[i].account_sid, A1) == 0 ? 3 : 2);
	for (int h = 0; h < SUMMARY_HOURS; h++)
		for (int l = 0; l < SUMMARY_LEVELS; l++)
			chart += v->chart[h][l];
	CHECK_INT(chart, 4);
}

static void test_new_alert(struct summary *sm, struct store *s, int64_t now, struct summary_view *v)
{
	struct seed a = {
	        .n = 9, .created = now - 60, .account_sid = A1, .level = "notice", .code = 30001};

	CHECK_INT(seed_alert(s, &a), 0);
	/* The last hour is read live: counted before any refresh. */
	CHECK_INT(view(sm, s, now, v), 0);
	CHECK_INT(v->total[SUMMARY_1H], 3);
	CHECK_INT(v->levels[SUMMARY_1H][SUMMARY_NOTICE], 1);
	/* The day's whole hours come from the aggregates: after a refresh. */
	for (int i = 0; i < WAIT_TRIES && v->total[SUMMARY_24H] != 4; i++) {
		summary_poke(sm);
		util_sleep_ms(WAIT_MS, NULL);
		CHECK_INT(view(sm, s, now, v), 0);
	}
	CHECK_INT(v->total[SUMMARY_24H], 4);
	CHECK_INT(v->total[SUMMARY_7D], 5);
	CHECK_INT(v->rows, 6);
}

int main(void)
{
	char dir[] = "/tmp/test-summary-XXXXXX", db[64];
	struct summary_view *v = calloc(1, sizeof(*v));
	struct summary *sm = NULL;
	struct store *s = NULL;
	int64_t now = util_now();
	const struct seed seeds[] = {
	        {0, now - 600, A1, "error", 11200, FAIL_TEXT, HOOK, NULL},
	        {1, now - 1200, A1, "warning", 20003, "Msg=Authenticate", API, NULL},
	        {2, now - 5 * 3600, A2, "error", 11200, FAIL_TEXT, HOOK, NULL},
	        {3, now - 3 * 86400, A2, "error", 30001, "Msg=x", NULL, NULL},
	        {4, now - 10 * 86400, A1, "error", 11200, FAIL_TEXT, HOOK, NULL},
	};
	int r;

	if (!v || !mkdtemp(dir))
		return 1;
	snprintf(db, sizeof(db), "%s/a.db", dir);
	r = store_open(db, false, &s);
	CHECK_INT(r, 0);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(seeds); i++)
		r = seed_alert(s, &seeds[i]);
	CHECK_INT(r, 0);
	if (r == 0)
		CHECK_INT(summary_create(db, &sm), 0);
	if (sm) {
		test_counts(sm, s, now, v);
		test_new_alert(sm, s, now, v);
	}
	summary_destroy(sm);
	store_close(s);
	seed_cleanup(dir, db);
	free(v);
	return test_done();
}

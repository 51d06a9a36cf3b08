// SPDX-License-Identifier: MIT
/*
 * Unit tests for store-read.c, the web stage's queries: the alert list
 * (order, filters, keyset cursor, limit checks, a callback that stops),
 * one alert with its details, the hourly groups and their origin (a webhook
 * failure of a host of yours, a REST API error, neither), rows per account,
 * the largest rowid, the sync list, the triggers summary of a fresh
 * database, and the push insert that never overwrites a stored alert.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-read.h"
#include "test-seed.h"
#include "test.h"

#define A1 "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define A2 "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
/* 2026-01-01T10:00:00Z */
#define T0 1767261600

/*
 * Eight alerts, an hour apart from T0: 0-3 of A1, 4-7 of A2; 0, 2, 4, 6 a
 * webhook failure (502 from hooks.example.com); 1 and 5 a REST API error; 3
 * and 7 neither (a warning without a request).
 */
static int seed_all(struct store *s)
{
	int r = store_begin(s);

	for (int i = 0; r == 0 && i < 8; i++) {
		bool hook = i % 2 == 0, api = i % 4 == 1;
		struct seed a = {
		        .n = i,
		        .created = T0 + i * 3600,
		        .account_sid = i < 4 ? A1 : A2,
		        .level = hook ? "error" : "warning",
		        .code = hook  ? 11200
		                : api ? 20003
		                      : 30001,
		        .alert_text =
		                hook ? "Msg=HTTP+retrieval+failure&httpResponse=502" : "Msg=other",
		        .request_url = hook  ? "https://hooks.example.com/voice"
		                       : api ? "https://api.twilio.com/2010-04-01/Calls.json"
		                             : NULL,
		        .resource_sid = i == 6 ? "CA0000000000000000000000000000006" : NULL,
		};

		r = seed_alert(s, &a);
	}
	if (r == 0)
		r = store_commit(s);
	return r;
}

struct list {
	int n, stop_after;
	char sids[16][40];
	char origin[16][16];
};

static int take(const struct store_http_alert *row, void *arg)
{
	struct list *l = arg;

	if (l->n < 16) {
		snprintf(l->sids[l->n], sizeof(l->sids[0]), "%s", row->col[SH_SID]);
		snprintf(l->origin[l->n], sizeof(l->origin[0]), "%s",
		         row->origin ? row->origin : "-");
	}
	l->n++;
	return l->stop_after && l->n == l->stop_after ? 7 : 0;
}

/* The number of the SID at @i of @l (NO + 32 digits). */
static int nth(const struct list *l, int i)
{
	return atoi(l->sids[i] + 2);
}

static void test_list(struct store *s)
{
	struct store_http_filter f = {.limit = 100};
	struct list l = {0};

	CHECK_INT(store_http_alerts(s, &f, take, &l), 0);
	CHECK_INT(l.n, 8);
	for (int i = 0; i < 8 && i < l.n; i++)
		CHECK_INT(nth(&l, i), 7 - i);
	/* Origins by the rule of views.sql. */
	CHECK_STR(l.origin[7 - 0], "webhook");
	CHECK_STR(l.origin[7 - 1], "api");
	CHECK_STR(l.origin[7 - 3], "-");
	/* Filters: code, level, account, resource, a half-open time window. */
	memset(&l, 0, sizeof(l));
	f.has_error_code = true;
	f.error_code = 20003;
	CHECK_INT(store_http_alerts(s, &f, take, &l), 0);
	CHECK_INT(l.n, 2);
	f.has_error_code = false;
	memset(&l, 0, sizeof(l));
	f.log_level = "warning";
	f.account_sid = A2;
	CHECK_INT(store_http_alerts(s, &f, take, &l), 0);
	CHECK_INT(l.n, 2);
	CHECK_INT(nth(&l, 0), 7);
	CHECK_INT(nth(&l, 1), 5);
	f.log_level = f.account_sid = NULL;
	memset(&l, 0, sizeof(l));
	f.resource_sid = "CA0000000000000000000000000000006";
	CHECK_INT(store_http_alerts(s, &f, take, &l), 0);
	CHECK_INT(l.n, 1);
	CHECK_INT(nth(&l, 0), 6);
	f.resource_sid = NULL;
	memset(&l, 0, sizeof(l));
	f.since = "2026-01-01T11:00:00Z";
	f.until = "2026-01-01T13:00:00Z";
	CHECK_INT(store_http_alerts(s, &f, take, &l), 0);
	CHECK_INT(l.n, 2);
	CHECK_INT(nth(&l, 0), 2);
	CHECK_INT(nth(&l, 1), 1);
	f.since = f.until = NULL;
	/* The cursor: strictly older than (date, sid) of the last row. */
	memset(&l, 0, sizeof(l));
	f.after_date = "2026-01-01T14:00:00Z";
	f.after_sid = "NO00000000000000000000000000000004";
	f.limit = 2;
	CHECK_INT(store_http_alerts(s, &f, take, &l), 0);
	CHECK_INT(l.n, 2);
	CHECK_INT(nth(&l, 0), 3);
	CHECK_INT(nth(&l, 1), 2);
	f.after_date = f.after_sid = NULL;
	/* A callback's non-zero return stops the list and is returned. */
	memset(&l, 0, sizeof(l));
	l.stop_after = 3;
	f.limit = 100;
	CHECK_INT(store_http_alerts(s, &f, take, &l), 7);
	CHECK_INT(l.n, 3);
	f.limit = 0;
	CHECK_INT(store_http_alerts(s, &f, take, &l), -EINVAL);
	f.limit = STORE_HTTP_LIMIT_MAX + 1;
	CHECK_INT(store_http_alerts(s, &f, take, &l), -EINVAL);
}

static int take_one(const struct store_http_alert *row, void *arg)
{
	struct store_http_alert *out = arg;

	CHECK_STR(row->col[SH_MSG], "HTTP retrieval failure");
	CHECK_STR(row->col[SH_HTTP_RESPONSE], "502");
	CHECK_STR(row->col[SH_REQUEST_HOST], "hooks.example.com");
	CHECK_STR(row->col[SH_SOURCE], "poll");
	CHECK(row->col[SH_RESPONSE_BODY] == NULL);
	out->origin = row->origin && strcmp(row->origin, "webhook") == 0 ? "webhook" : NULL;
	return 0;
}

static void test_get(struct store *s)
{
	struct store_http_alert got = {0};

	CHECK_INT(store_http_alert_get(s, "NO00000000000000000000000000000000", take_one, &got), 0);
	CHECK_STR(got.origin, "webhook");
	CHECK_INT(store_http_alert_get(s, "NO00000000000000000000000000000099", take_one, &got),
	          -ENOENT);
}

struct groups {
	int64_t alerts, hook, api, n;
	bool host_ok;
};

static int take_group(const struct store_http_group *g, void *arg)
{
	struct groups *t = arg;

	t->n++;
	t->alerts += g->count;
	if (g->failing_host) {
		t->hook += g->count;
		t->host_ok &= strcmp(g->failing_host, "hooks.example.com") == 0;
	}
	if (g->api_error)
		t->api += g->count;
	CHECK(!(g->failing_host && g->api_error));
	return 0;
}

static void test_groups(struct store *s)
{
	struct groups t = {.host_ok = true};
	int64_t max = 0;

	CHECK_INT(store_http_groups(s, NULL, NULL, 0, take_group, &t), 0);
	CHECK_INT(t.alerts, 8);
	CHECK_INT(t.n, 8); /* one alert per hour */
	CHECK_INT(t.hook, 4);
	CHECK_INT(t.api, 2);
	CHECK(t.host_ok);
	memset(&t, 0, sizeof(t));
	t.host_ok = true;
	CHECK_INT(store_http_groups(s, "2026-01-01T12:00:00Z", NULL, 0, take_group, &t), 0);
	CHECK_INT(t.alerts, 6);
	/* New rows only: above the largest rowid there is nothing. */
	CHECK_INT(store_http_max_rowid(s, &max), 0);
	CHECK(max >= 8);
	memset(&t, 0, sizeof(t));
	CHECK_INT(store_http_groups(s, NULL, NULL, max, take_group, &t), 0);
	CHECK_INT(t.alerts, 0);
}

static int take_rows(const char *account_sid, int64_t rows, void *arg)
{
	int64_t *per = arg;

	if (account_sid && strcmp(account_sid, A1) == 0)
		per[0] = rows;
	else if (account_sid && strcmp(account_sid, A2) == 0)
		per[1] = rows;
	else
		per[2] += rows;
	return 0;
}

static void test_accounts_and_state(struct store *s)
{
	struct store_http_sync sync[4];
	struct store_http_triggers *tr = calloc(1, sizeof(*tr));
	int64_t per[3] = {0};
	size_t n = 99;

	CHECK_INT(store_http_account_rows(s, take_rows, per), 0);
	CHECK_INT(per[0], 4);
	CHECK_INT(per[1], 4);
	CHECK_INT(per[2], 0);
	CHECK_INT(store_http_sync_list(s, sync, 4, &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(store_sync_record(s, "main", A1, T0, NULL), 0);
	CHECK_INT(store_http_sync_list(s, sync, 4, &n), 0);
	CHECK_INT(n, 1);
	CHECK_STR(sync[0].account, "main");
	CHECK_INT(sync[0].st.last_success, T0);
	if (tr) {
		CHECK_INT(store_http_triggers(s, tr), 0);
		CHECK(tr->available);
		CHECK_INT(tr->firing, 0);
		CHECK_INT(tr->pending, 0);
		CHECK_INT(tr->n_channels, 0);
	}
	free(tr);
}

static void test_push(struct store *s)
{
	struct alert a;
	struct list l = {0};
	struct store_http_filter f = {.limit = 100, .has_error_code = true, .error_code = 11200};
	bool inserted = false;

	alert_init(&a);
	/* The SID of a polled alert, with another code: kept as polled. */
	alert_set_field(&a, ALERT_FIELD_SID, ALERT_KIND_STRING,
	                "NO00000000000000000000000000000001", 0);
	alert_set_field(&a, ALERT_FIELD_DATE_CREATED, ALERT_KIND_STRING, "2026-01-01T11:00:00Z", 0);
	alert_set_field(&a, ALERT_FIELD_ERROR_CODE, ALERT_KIND_INTEGER, NULL, 11200);
	a.source = "push";
	CHECK_INT(alert_finish_fields(&a, NULL), 0);
	CHECK_INT(store_http_insert_push(s, &a, T0, &inserted), 0);
	CHECK(!inserted);
	CHECK_INT(store_http_alerts(s, &f, take, &l), 0);
	CHECK_INT(l.n, 4);
	alert_finish(&a);
	alert_init(&a);
	alert_set_field(&a, ALERT_FIELD_SID, ALERT_KIND_STRING,
	                "NO00000000000000000000000000000050", 0);
	alert_set_field(&a, ALERT_FIELD_DATE_CREATED, ALERT_KIND_STRING, "2026-01-02T00:00:00Z", 0);
	alert_set_field(&a, ALERT_FIELD_ERROR_CODE, ALERT_KIND_INTEGER, NULL, 11200);
	a.source = "push";
	CHECK_INT(alert_finish_fields(&a, NULL), 0);
	CHECK_INT(store_http_insert_push(s, &a, T0, &inserted), 0);
	CHECK(inserted);
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_http_alerts(s, &f, take, &l), 0);
	CHECK_INT(l.n, 5);
	CHECK_INT(nth(&l, 0), 50);
	alert_finish(&a);
}

int main(void)
{
	char dir[] = "/tmp/test-store-read-XXXXXX", db[64];
	struct store *s = NULL;

	if (!mkdtemp(dir))
		return 1;
	snprintf(db, sizeof(db), "%s/a.db", dir);
	CHECK_INT(store_open(db, false, &s), 0);
	if (s && seed_all(s) == 0) {
		test_list(s);
		test_get(s);
		test_groups(s);
		test_accounts_and_state(s);
		test_push(s);
	} else {
		CHECK(!"store_open or the seed failed");
	}
	store_close(s);
	seed_cleanup(dir, db);
	return test_done();
}

// SPDX-License-Identifier: MIT
/*
 * Unit tests for poll.c against a stub Monitor API (libmicrohttpd on
 * 127.0.0.1) that lists its alerts newest first, filtered by StartDate and
 * EndDate, paged by Page, and stops paging at a per-query cap as Twilio
 * does: requests follow the alerts (a sparse window is one request), a
 * window past the cap is split and arrives whole, a failing slice holds the
 * watermark over what is missing, and the progress callback sees every page.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "base/config.h"
#include "base/util.h"
#include "ingest/monitor.h"
#include "ingest/poll.h"
#include "store/store.h"
#include "stub-http.h"
#include "test.h"

#define ACCOUNT "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ALERTS_MAX 20000
#define BODY_MAX (MONITOR_PAGE_SIZE * 256 + 1024)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t dates[ALERTS_MAX]; /* ascending */
static int n_alerts, cap, requests, fail_at = -1;
static char base[64];

static int64_t parse_iso(const char *s)
{
	struct tm tm = {0};
	const char *end;

	if (!s)
		return 0;
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return end && !*end ? (int64_t)timegm(&tm) : -1;
}

static void iso(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One list page: the alerts in [StartDate, EndDate], newest first, at most cap per query. */
static char *list_page(struct MHD_Connection *c)
{
	const char *sv = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "StartDate");
	const char *ev = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "EndDate");
	const char *pv = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "Page");
	int64_t start = parse_iso(sv), end = ev ? parse_iso(ev) : INT64_MAX;
	int page = pv ? atoi(pv) : 0, skip, n = 0, total = 0;
	char *body = malloc(BODY_MAX), when[32];
	size_t len = 0;

	if (!body)
		return NULL;
	skip = page * MONITOR_PAGE_SIZE;
	len += (size_t)snprintf(body + len, BODY_MAX - len, "{\"alerts\": [");
	for (int i = n_alerts - 1; i >= 0; i--) {
		if (dates[i] < start || dates[i] > end)
			continue;
		total++;
		if (total <= skip || n >= MONITOR_PAGE_SIZE || total > cap)
			continue;
		iso(dates[i], when, sizeof(when));
		len += (size_t)snprintf(body + len, BODY_MAX - len,
		                        "%s{\"sid\": \"NO%032x\", \"account_sid\": \"%s\", "
		                        "\"date_created\": \"%s\", \"error_code\": \"11200\", "
		                        "\"log_level\": \"error\", \"alert_text\": \"x\"}",
		                        n ? "," : "", (unsigned)i + 1, ACCOUNT, when);
		n++;
	}
	if (skip + n < total && skip + n < cap)
		len += (size_t)snprintf(body + len, BODY_MAX - len,
		                        "], \"meta\": {\"key\": \"alerts\", \"next_page_url\": "
		                        "\"%s/v1/Alerts?StartDate=%s%s%s&PageSize=%d&Page=%d\"}}",
		                        base, sv ? sv : "", ev ? "&EndDate=" : "", ev ? ev : "",
		                        MONITOR_PAGE_SIZE, page + 1);
	else
		snprintf(body + len, BODY_MAX - len,
		         "], \"meta\": {\"key\": \"alerts\", \"next_page_url\": null}}");
	return body;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **state)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned status = 200;
	char *body;
	bool fail;

	(void)cls, (void)url, (void)method, (void)version, (void)data, (void)size, (void)state;
	pthread_mutex_lock(&lock);
	fail = requests++ == fail_at;
	body = fail ? strdup("{\"code\": 20500, \"message\": \"down\"}") : list_page(c);
	pthread_mutex_unlock(&lock);
	if (fail)
		status = 500;
	if (!body)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* @n alerts spread evenly over the last @days days, newest a minute ago. */
static void make_alerts(int n, int64_t days)
{
	int64_t now = util_now(), span = days * 86400;

	pthread_mutex_lock(&lock);
	n_alerts = n;
	for (int i = 0; i < n; i++)
		dates[i] = now - 60 - span + (n > 1 ? span * i / (n - 1) : span);
	requests = 0;
	fail_at = -1;
	pthread_mutex_unlock(&lock);
}

static int progress_calls;

static void on_progress(void *arg)
{
	(*(int *)arg)++;
}

struct fixture {
	char dir[64], path[96];
	struct config cfg;
	struct config_account acct;
	struct store *s;
};

static void fixture_open(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-poll-XXXXXX");
	CHECK(mkdtemp(f->dir) != NULL);
	snprintf(f->path, sizeof(f->path), "%s/alerts.db", f->dir);
	f->cfg.database = f->path;
	f->cfg.retention = 30 * 86400;
	f->cfg.overlap = 600;
	f->acct = (struct config_account){
	        .name = (char *)"test",
	        .account_sid = (char *)ACCOUNT,
	        .username = (char *)ACCOUNT,
	        .secret = (char *)"stub-token",
	        .api_base = base,
	};
	CHECK_INT(store_open(f->path, false, &f->s), 0);
}

static void fixture_close(struct fixture *f)
{
	char p[128];

	store_close(f->s);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
}

/* One poll_account run with a fresh client; returns its result, *reqs its requests. */
static int run(struct fixture *f, int64_t query_cap, int retries, struct poll_result *res,
               int *reqs)
{
	struct monitor *m = NULL;
	int r;

	pthread_mutex_lock(&lock);
	requests = 0;
	pthread_mutex_unlock(&lock);
	progress_calls = 0;
	CHECK_INT(monitor_create(&f->acct, 10, retries, NULL, &m), 0);
	if (!m)
		return -ENOMEM;
	r = poll_account(f->s, m, &f->cfg, &f->acct, query_cap, NULL, on_progress, &progress_calls,
	                 res);
	monitor_destroy(m);
	pthread_mutex_lock(&lock);
	*reqs = requests;
	pthread_mutex_unlock(&lock);
	return r;
}

static int64_t stored(struct fixture *f)
{
	int64_t n = -1;

	CHECK_INT(store_count_alerts(f->s, ACCOUNT, &n), 0);
	return n;
}

/* A window under the cap is one query: a few alerts cost one request, 999 at most 2. */
static void test_sparse_is_one_query(void)
{
	static const int counts[] = {3, 999};

	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		struct poll_result res;
		struct fixture f;
		int reqs = 0;

		cap = POLL_QUERY_CAP;
		make_alerts(counts[k], 29);
		fixture_open(&f);
		CHECK_INT(run(&f, POLL_QUERY_CAP, 0, &res, &reqs), 0);
		CHECK(reqs <= (counts[k] < MONITOR_PAGE_SIZE ? 1 : 2));
		CHECK_INT(res.slices, 1);
		CHECK_INT(res.inserted, counts[k]);
		CHECK_INT(res.watermark, dates[counts[k] - 1]);
		CHECK_INT(progress_calls, res.pages);
		CHECK(progress_calls >= 1);
		/* The next poll is one request too. */
		CHECK_INT(run(&f, POLL_QUERY_CAP, 0, &res, &reqs), 0);
		CHECK_INT(reqs, 1);
		CHECK_INT(res.inserted, 0);
		fixture_close(&f);
	}
}

/* A window past the cap is split into slices, oldest first, and arrives whole. */
static void test_dense_is_split(void)
{
	struct poll_result res;
	struct fixture f;
	int reqs = 0;

	cap = 3000;
	make_alerts(12000, 29);
	fixture_open(&f);
	CHECK_INT(run(&f, cap, 0, &res, &reqs), 0);
	CHECK_INT(stored(&f), 12000);
	CHECK_INT(res.inserted, 12000);
	CHECK(res.slices >= 4);
	CHECK_INT(res.watermark, dates[11999]);
	/* Near one request per page: 12 full pages, a probe, a short page per slice. */
	CHECK(reqs <= 12 + 2 + 2 * res.slices);
	fprintf(stderr, "12000 alerts, cap %d: %d requests, %lld slices\n", cap, reqs,
	        (long long)res.slices);
	fixture_close(&f);
}

/* A slice that fails holds the watermark: nothing at or before it is missing. */
static void test_failing_slice_holds_the_watermark(void)
{
	struct store_sync_state st;
	struct poll_result res;
	struct fixture f;
	int reqs = 0;

	cap = 3000;
	make_alerts(12000, 29);
	fixture_open(&f);
	for (int fail = 3; fail <= 5; fail += 2) {
		int64_t below = 0, have;

		pthread_mutex_lock(&lock);
		fail_at = fail;
		pthread_mutex_unlock(&lock);
		/* run() counts requests from 0: the fault is this run's fail-th request. */
		CHECK(run(&f, cap, 0, &res, &reqs) < 0);
		CHECK(res.error[0] != '\0');
		CHECK_INT(store_sync_get(f.s, "test", &st), 0);
		have = stored(&f);
		for (int i = 0; st.has_watermark && i < n_alerts; i++)
			below += dates[i] <= st.watermark - f.cfg.overlap;
		CHECK(have >= below);
		CHECK(have < 12000);
	}
	pthread_mutex_lock(&lock);
	fail_at = -1;
	pthread_mutex_unlock(&lock);
	CHECK_INT(run(&f, cap, 0, &res, &reqs), 0);
	CHECK_INT(stored(&f), 12000);
	CHECK_INT(store_sync_get(f.s, "test", &st), 0);
	CHECK(st.has_watermark);
	CHECK_INT(st.watermark, dates[11999]);
	fixture_close(&f);
}

int main(void)
{
	struct MHD_Daemon *d = stub_http_start(handler, base, sizeof(base));

	if (!d)
		return 77;
	test_sparse_is_one_query();
	test_dense_is_split();
	test_failing_slice_holds_the_watermark();
	MHD_stop_daemon(d);
	return test_done();
}

// SPDX-License-Identifier: MIT
/*
 * Unit tests for daemon.c: daemon_once over a temporary configuration and
 * database against a stub Monitor API on 127.0.0.1 (stub-http.h). The exit
 * statuses (0, 78 without an account, 77 on a 401, 69 on a 503 with
 * max_retries = 0) and what the database holds afterwards: the rows and
 * the sync_state watermark, kept across a failing cycle.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "base/config.h"
#include "base/util.h"
#include "cli/cli.h"
#include "cli/daemon.h"
#include "store/store.h"
#include "stub-http.h"
#include "test.h"

#define ACCOUNT "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define N_ALERTS 5
#define BODY_MAX 8192

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned answer = 200; /* the status every request gets */
static int requests;
static int64_t dates[N_ALERTS]; /* ascending */
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

/* The alerts in [StartDate, EndDate], newest first, on one page. */
static char *list_page(struct MHD_Connection *c)
{
	const char *sv = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "StartDate");
	const char *ev = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "EndDate");
	int64_t start = parse_iso(sv), end = ev ? parse_iso(ev) : INT64_MAX;
	char *body = malloc(BODY_MAX), when[32];
	size_t len = 0;
	int n = 0;

	if (!body)
		return NULL;
	len += (size_t)snprintf(body + len, BODY_MAX - len, "{\"alerts\": [");
	for (int i = N_ALERTS - 1; i >= 0; i--) {
		time_t t = (time_t)dates[i];
		struct tm tm;

		if (dates[i] < start || dates[i] > end)
			continue;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		len += (size_t)snprintf(body + len, BODY_MAX - len,
		                        "%s{\"sid\": \"NO%032x\", \"account_sid\": \"%s\", "
		                        "\"date_created\": \"%s\", \"error_code\": \"11200\", "
		                        "\"log_level\": \"error\", \"alert_text\": \"x\"}",
		                        n++ ? "," : "", (unsigned)i + 1, ACCOUNT, when);
	}
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
	unsigned status;
	char *body;

	(void)cls, (void)url, (void)method, (void)version, (void)data, (void)size, (void)state;
	pthread_mutex_lock(&lock);
	requests++;
	status = answer;
	pthread_mutex_unlock(&lock);
	if (status == 200)
		body = list_page(c);
	else
		body = strdup(status == 401 ? "{\"code\": 20003, \"message\": \"Authenticate\"}"
		                            : "{\"code\": 20503, \"message\": \"unavailable\"}");
	if (!body)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Every request from now on gets @status; returns the requests so far. */
static int set_answer(unsigned status)
{
	int n;

	pthread_mutex_lock(&lock);
	answer = status;
	n = requests;
	requests = 0;
	pthread_mutex_unlock(&lock);
	return n;
}

struct fixture {
	char dir[64], conf[96], db[96], token[96];
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	CHECK_INT(chmod(path, 0600), 0);
}

/* A configuration in a fresh directory; @account false leaves the account out. */
static void fixture_open(struct fixture *f, bool account)
{
	char text[1024];

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-daemon-XXXXXX");
	CHECK(mkdtemp(f->dir) != NULL);
	snprintf(f->conf, sizeof(f->conf), "%s/alertd.conf", f->dir);
	snprintf(f->db, sizeof(f->db), "%s/alerts.db", f->dir);
	snprintf(f->token, sizeof(f->token), "%s/token", f->dir);
	write_file(f->token, "stub-token\n");
	snprintf(text, sizeof(text),
	         "[agent]\ndatabase = %s\nmax_retries = 0\nhttp_timeout = 10s\n%s%s%s%s%s%s%s",
	         f->db, account ? "[account test]\naccount_sid = " ACCOUNT "\n" : "",
	         account ? "auth_token_file = " : "", account ? f->token : "",
	         account ? "\napi_base = " : "", account ? base : "", account ? "\n" : "", "");
	write_file(f->conf, text);
}

static void fixture_close(struct fixture *f)
{
	static const char *const ext[] = {"", "-wal", "-shm", ".lock"};
	char p[128];

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->db, ext[i]);
		unlink(p);
	}
	unlink(f->conf);
	unlink(f->token);
	CHECK_INT(rmdir(f->dir), 0);
}

/* The rows of the account and its watermark (-1 when it has none). */
static void stored(struct fixture *f, int64_t *rows, int64_t *watermark)
{
	struct store_sync_state st;
	struct store *s = NULL;

	*rows = -1;
	*watermark = -1;
	CHECK_INT(store_open(f->db, false, &s), 0);
	if (!s)
		return;
	CHECK_INT(store_count_alerts(s, ACCOUNT, rows), 0);
	CHECK_INT(store_sync_get(s, "test", &st), 0);
	if (st.has_watermark)
		*watermark = st.watermark;
	store_close(s);
}

/* Success stores every alert and sets the watermark; a second cycle adds nothing. */
static void test_once_stores_and_sets_the_watermark(void)
{
	struct fixture f;
	int64_t rows, wm;

	fixture_open(&f, true);
	set_answer(200);
	CHECK_INT(daemon_once(f.conf), 0);
	CHECK(set_answer(200) >= 1);
	stored(&f, &rows, &wm);
	CHECK_INT(rows, N_ALERTS);
	CHECK_INT(wm, dates[N_ALERTS - 1]);
	CHECK_INT(daemon_once(f.conf), 0);
	stored(&f, &rows, &wm);
	CHECK_INT(rows, N_ALERTS);
	CHECK_INT(wm, dates[N_ALERTS - 1]);

	/* A failing cycle keeps what is stored and the watermark. */
	set_answer(401);
	CHECK_INT(daemon_once(f.conf), EXIT_NOPERM);
	set_answer(503);
	CHECK_INT(daemon_once(f.conf), EXIT_UNAVAILABLE);
	/* max_retries = 0: one request, no retry. */
	CHECK_INT(set_answer(200), 1);
	stored(&f, &rows, &wm);
	CHECK_INT(rows, N_ALERTS);
	CHECK_INT(wm, dates[N_ALERTS - 1]);
	fixture_close(&f);
}

/* A 401 on the first cycle: 77, nothing stored, no watermark. */
static void test_unauthorized_is_noperm(void)
{
	struct fixture f;
	int64_t rows, wm;

	fixture_open(&f, true);
	set_answer(401);
	CHECK_INT(daemon_once(f.conf), EXIT_NOPERM);
	CHECK(set_answer(200) >= 1);
	stored(&f, &rows, &wm);
	CHECK_INT(rows, 0);
	CHECK_INT(wm, -1);
	fixture_close(&f);
}

/* A 503 with max_retries = 0: 69 after the one attempt, no watermark. */
static void test_unavailable_after_retries(void)
{
	struct fixture f;
	int64_t rows, wm;

	fixture_open(&f, true);
	set_answer(503);
	CHECK_INT(daemon_once(f.conf), EXIT_UNAVAILABLE);
	CHECK_INT(set_answer(200), 1);
	stored(&f, &rows, &wm);
	CHECK_INT(rows, 0);
	CHECK_INT(wm, -1);
	fixture_close(&f);
}

/* No [account] section: 78 before any request, and no database is created. */
static void test_no_account_is_config(void)
{
	struct config_problems problems = {0};
	struct config *cfg = NULL;
	struct fixture f;
	int r;

	fixture_open(&f, false);
	set_answer(200);
	CHECK_INT(daemon_once(f.conf), EXIT_CONFIG);
	CHECK_INT(set_answer(200), 0);
	CHECK(access(f.db, F_OK) != 0);
	r = config_load(f.conf, &cfg, &problems);
	config_problems_finish(&problems);
	CHECK_INT(r, 0);
	if (cfg) {
		CHECK(!daemon_require_accounts(cfg));
		config_free(cfg);
	}
	fixture_close(&f);
}

/* daemon_open_store: 0 and a store; a missing directory is a configuration problem. */
static void test_open_store(void)
{
	struct config_problems problems = {0};
	struct config *cfg = NULL;
	struct store *s = NULL;
	struct fixture f;
	char *db;

	fixture_open(&f, true);
	CHECK_INT(config_load(f.conf, &cfg, &problems), 0);
	config_problems_finish(&problems);
	if (!cfg) {
		fixture_close(&f);
		return;
	}
	CHECK(daemon_require_accounts(cfg));
	CHECK_INT(daemon_open_store(cfg, &s), 0);
	CHECK(s != NULL);
	store_close(s);
	s = NULL;
	db = cfg->database;
	cfg->database = (char *)"/nonexistent-test-daemon/alerts.db";
	CHECK_INT(daemon_open_store(cfg, &s), EXIT_CONFIG);
	CHECK(s == NULL);
	cfg->database = db;
	config_free(cfg);
	fixture_close(&f);
}

int main(void)
{
	struct MHD_Daemon *d = stub_http_start(handler, base, sizeof(base));
	int64_t now = util_now();

	if (!d)
		return 77;
	for (int i = 0; i < N_ALERTS; i++)
		dates[i] = now - 3600 * (N_ALERTS - i);
	test_once_stores_and_sets_the_watermark();
	test_unauthorized_is_noperm();
	test_unavailable_after_retries();
	test_no_account_is_config();
	test_open_store();
	MHD_stop_daemon(d);
	return test_done();
}

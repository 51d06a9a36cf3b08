/* SPDX-License-Identifier: MIT */
/*
 * bench-triggers: the cost of trigger evaluation per cycle. Builds a database
 * of N synthetic alerts spread over 30 days (store_upsert_alert, 10,000 rows
 * per transaction), writes a configuration with 100 triggers of every kind
 * (codes, levels, accounts, regex, host globs, `where`, group_by, windows
 * from 1m to 24h), evaluates once (the one-time rebuild of every trigger's
 * hits), then runs C cycles that each add one poll's worth of new alerts and
 * evaluate, and reports the wall time of the evaluations; then one cycle of a
 * hundred times as many new alerts (a storm).
 * Run by hand, see tests/bench/RESULTS.md; it is not a meson test.
 *
 *   bench-triggers [-n ALERTS] [-c CYCLES] [-d DIR]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/alert.h"
#include "base/config.h"
#include "base/log.h"
#include "store/store.h"
#include "trigger/trigger.h"
#include "trigger/trigger-backtest.h"
#include "trigger/trigger-note.h"
#include "trigger/trigger-rule.h"
#include "base/util.h"

#define DAYS 30
#define BATCH 10000
#define N_TRIGGERS 100

static const char *const accounts[] = {"AC00000000000000000000000000000001",
                                       "AC00000000000000000000000000000002",
                                       "AC00000000000000000000000000000003"};
static const int64_t codes[] = {11200, 11200, 11200, 11205, 11205, 11750, 13227,
                                21610, 30003, 30008, 30008, 82002, 12100, 11100};
static const char *const hosts[] = {"api.example.com",   "voice.example.com", "sms.example.net",
                                    "hooks.example.org", "ivr.example.com",   "status.example.io",
                                    "app.example.com",   "cb.example.net"};
static const char *const msgs[] = {"HTTP retrieval failure", "Response does not contain content",
                                   "An attempt to retrieve content timed out",
                                   "Unreachable destination handset",
                                   "Message Delivery - Unknown error"};

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* One synthetic alert at @created, in @buf (strings live there until the next call). */
static void make(struct alert *a, int64_t created, char buf[6][160])
{
	uint64_t x = next();
	const char *host = hosts[x % ARRAY_SIZE(hosts)];
	int code_i = (int)((x >> 8) % ARRAY_SIZE(codes));

	memset(a, 0, sizeof(*a));
	snprintf(buf[0], 160, "NO%016llx%016llx", (unsigned long long)next(),
	         (unsigned long long)next());
	snprintf(buf[1], 160, "CA%016llx%016llx", (unsigned long long)next(),
	         (unsigned long long)(x >> 3));
	snprintf(buf[2], 160, "https://%s/twilio/%s", host, (x >> 20) % 2 ? "voice" : "status");
	snprintf(buf[3], 160, "Msg=%s&httpResponse=%d&url=https%%3A%%2F%%2F%s%%2F",
	         msgs[(x >> 24) % ARRAY_SIZE(msgs)], (x >> 28) % 3 ? 502 : 404, host);
	snprintf(buf[4], 160, "%s", msgs[(x >> 24) % ARRAY_SIZE(msgs)]);
	a->sid = buf[0];
	a->account_sid = accounts[(x >> 32) % ARRAY_SIZE(accounts)];
	a->has_error_code = true;
	a->error_code = codes[code_i];
	a->log_level = (x >> 36) % 10 < 7 ? "error" : "warning";
	a->alert_text = buf[3];
	a->more_info = "https://www.twilio.com/docs/errors/11200";
	a->request_method = "POST";
	a->request_url = buf[2];
	a->resource_sid = buf[1];
	a->api_version = "2010-04-01";
	a->url = "https://monitor.twilio.com/v1/Alerts/x";
	util_format_time(created, a->date_created);
	util_format_time(created, a->date_updated);
	a->created = created;
	a->msg = buf[4];
	a->has_http_response = true;
	a->http_response = (x >> 28) % 3 ? 502 : 404;
	snprintf(a->request_host, sizeof(a->request_host), "%s", host);
	a->source = "poll";
}

static int fill(struct store *s, int64_t n, int64_t from, int64_t to, double *ms)
{
	struct timespec t0;
	char buf[6][160];
	struct alert a;
	int r = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int64_t i = 0; i < n && r == 0; i++) {
		if (i % BATCH == 0)
			r = store_begin(s);
		make(&a, from + (to - from) * i / (n > 1 ? n - 1 : 1), buf);
		if (r == 0)
			r = store_upsert_alert(s, &a, to, NULL);
		if (r == 0 && (i % BATCH == BATCH - 1 || i == n - 1))
			r = store_commit(s);
	}
	*ms = ms_since(&t0);
	return r;
}

/* 100 triggers: every matcher kind, grouping and a spread of windows. */
static int write_config(const char *path, const char *db, const char *token)
{
	static const char *const windows[] = {"1m",  "5m", "5m", "10m", "15m",
	                                      "30m", "1h", "1h", "6h",  "24h"};
	static const char *const groups[] = {"", "error_code", "account", "request_host",
	                                     "resource_sid"};
	FILE *f = fopen(token, "w");

	if (!f)
		return -errno;
	fchmod(fileno(f), 0600);
	fputs("0123456789abcdef0123456789abcdef\n", f);
	fclose(f);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fchmod(fileno(f), 0600);
	fprintf(f, "[agent]\ndatabase = %s\nlisten =\n", db);
	for (size_t i = 0; i < ARRAY_SIZE(accounts); i++)
		fprintf(f, "[account a%zu]\naccount_sid = %s\nauth_token_file = %s\n", i,
		        accounts[i], token);
	fprintf(f, "[notify hook]\ntype = exec\ncommand = /bin/true\n");
	for (int i = 0; i < N_TRIGGERS; i++) {
		const char *win = windows[i % ARRAY_SIZE(windows)];

		fprintf(f, "[trigger t%03d]\nthreshold = %d\nwindow = %s\nnotify = hook\n", i,
		        5 + (i * 7) % 200, win);
		/* resource_sid groups are one per call: only with short windows, as in practice. */
		if (i % 5 != 4 || strcmp(win, "5m") == 0 || strcmp(win, "1m") == 0)
			fprintf(f, "group_by = %s\n", groups[i % 5]);
		switch (i % 10) {
		case 0:
		case 1:
		case 2:
			fprintf(f, "error_code = %lld, %lld\n",
			        (long long)codes[i % ARRAY_SIZE(codes)],
			        (long long)codes[(i + 3) % ARRAY_SIZE(codes)]);
			break;
		case 3:
			fprintf(f, "log_level = %s\naccount = a%d\n", i % 2 ? "warning" : "error",
			        i % 3);
			break;
		case 4:
			fprintf(f, "text = httpResponse=(502|503)\nerror_code = 11200\n");
			break;
		case 5:
			fprintf(f, "request_host = *.example.com\nlog_level = error\n");
			break;
		case 6:
			fprintf(f, "where = http_response >= 500 AND msg LIKE '%%retriev%%'\n");
			break;
		case 7:
			fprintf(f, "error_code = %lld\nrequest_host = voice.*\n",
			        (long long)codes[i % ARRAY_SIZE(codes)]);
			break;
		case 8:
			fprintf(f, "account = a%d, a%d\nerror_code = 30008, 30003\n", i % 3,
			        (i + 1) % 3);
			break;
		default:
			break; /* everything */
		}
	}
	fclose(f);
	return 0;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

int main(int argc, char **argv)
{
	int64_t n = 1000000, cycles = 30, now = util_now(), per_cycle;
	char dir[256] = "/tmp", db[300], conf[300], token[300];
	struct config_problems p = {0};
	struct trigger_result res;
	struct config *cfg = NULL;
	struct store *s = NULL;
	struct timespec t0;
	double ms, *times;
	sqlite3 *raw;
	int c, r;

	while ((c = getopt(argc, argv, "n:c:d:")) != -1) {
		if (c == 'n')
			n = atoll(optarg);
		else if (c == 'c')
			cycles = atoll(optarg);
		else if (c == 'd')
			snprintf(dir, sizeof(dir), "%s", optarg);
		else
			return 64;
	}
	log_init(LOG_LEVEL_WARN, 0);
	snprintf(db, sizeof(db), "%s/bench-triggers.db", dir);
	snprintf(conf, sizeof(conf), "%s/bench-triggers.conf", dir);
	snprintf(token, sizeof(token), "%s/bench-triggers.token", dir);
	unlink(db);
	if (write_config(conf, db, token) < 0 || config_load(conf, &cfg, &p) < 0) {
		for (size_t i = 0; i < p.n; i++)
			fprintf(stderr, "%s\n", p.lines[i]);
		return 1;
	}
	/* Alerts arrive at this rate; a cycle (a poll every minute) brings one minute of them. */
	per_cycle = n / (DAYS * 24 * 60) + 1;

	if (store_open(db, false, &s) < 0)
		return 1;
	r = fill(s, n, now - DAYS * 86400, now - 60, &ms);
	printf("stored %lld synthetic alerts over %d days in %.1f s\n", (long long)n, DAYS,
	       ms / 1000);
	if (r < 0) {
		fprintf(stderr, "fill: %s\n", store_errmsg(s));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (trigger_evaluate(s, cfg, now, &res) < 0) {
		fprintf(stderr, "evaluate: %s\n", store_errmsg(s));
		return 1;
	}
	ms = ms_since(&t0);
	printf("%lld alerts, %d triggers: first evaluation (rebuild of %lld triggers' hits) %.0f "
	       "ms,"
	       " %lld fired\n",
	       (long long)n, N_TRIGGERS, (long long)res.rebuilt, ms, (long long)res.fired);
	times = calloc((size_t)cycles, sizeof(*times));
	for (int64_t i = 0; i < cycles; i++) {
		int64_t t = now + (i + 1) * 60;
		char buf[6][160];
		struct alert a;

		store_begin(s);
		for (int64_t k = 0; k < per_cycle; k++) {
			make(&a, t - 60 + k * 60 / per_cycle, buf);
			store_upsert_alert(s, &a, t, NULL);
		}
		store_commit(s);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (trigger_evaluate(s, cfg, t, &res) < 0) {
			fprintf(stderr, "evaluate: %s\n", store_errmsg(s));
			return 1;
		}
		times[i] = ms_since(&t0);
	}
	/* A storm: a hundred cycles' worth of new alerts at once. */
	{
		int64_t t = now + (cycles + 1) * 60, burst = per_cycle * 100;
		char buf[6][160];
		struct alert a;

		store_begin(s);
		for (int64_t k = 0; k < burst; k++) {
			make(&a, t - 60 + k * 60 / burst, buf);
			store_upsert_alert(s, &a, t, NULL);
		}
		store_commit(s);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (trigger_evaluate(s, cfg, t, &res) < 0)
			return 1;
		printf("a cycle with %lld new alerts (a storm): evaluation %.1f ms, %lld fired\n",
		       (long long)burst, ms_since(&t0), (long long)res.fired);
	}
	qsort(times, (size_t)cycles, sizeof(*times), cmp_double);
	printf("%lld cycles of %lld new alerts each: evaluation median %.1f ms, p90 %.1f ms,"
	       " max %.1f ms\n",
	       (long long)cycles, (long long)per_cycle, times[cycles / 2], times[cycles * 9 / 10],
	       times[cycles - 1]);
	sqlite3_open(db, &raw);
	{
		sqlite3_stmt *st;

		sqlite3_prepare_v2(raw,
		                   "SELECT (SELECT count(*) FROM trigger_hits),"
		                   " (SELECT count(*) FROM trigger_state),"
		                   " (SELECT count(*) FROM outbox)",
		                   -1, &st, NULL);
		if (sqlite3_step(st) == SQLITE_ROW)
			printf("trigger_hits %lld rows, trigger_state %lld rows, outbox %lld "
			       "rows\n",
			       (long long)sqlite3_column_int64(st, 0),
			       (long long)sqlite3_column_int64(st, 1),
			       (long long)sqlite3_column_int64(st, 2));
		sqlite3_finalize(st);
	}
	sqlite3_close(raw);
	free(times);
	store_close(s);
	config_free(cfg);
	config_problems_finish(&p);
	unlink(db);
	unlink(conf);
	unlink(token);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * bench-insert: the SQLite floor under the agent's write path. Fetches every
 * page of a Monitor Alerts listing once, parses each item with alert_from_json
 * (the pages stay alive, the structs borrow from them), then inserts those rows
 * into a fresh database through store_open + store_upsert_alert, -t rows per
 * transaction, and reports the CPU time (getrusage) of that insert phase only.
 * It also times the parse paths alone on the kept response bodies: the
 * agent's (scan_page in place, scan_items_finish) and the jansson fallback
 * (json_loadb, alert_from_json, json_decref), to split the agent's cost.
 * Run by hand, see tests/bench/RESULTS.md; it is not a meson test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "base/alert.h"
#include "base/log.h"
#include "ingest/scan.h"
#include "store/store.h"
#include "base/util.h"

#define PAGE_CAP (64u << 20) /* bytes of one response page */
#define URL_CAP 8192         /* bytes of one next_page_url */
#define SCAN_PASS_ITEMS 1000 /* alerts of one page for scan_pass (Twilio's largest page) */

struct body {
	char *p;
	size_t len;
	size_t cap;
	bool too_big;
};

/* Everything fetched: the parsed pages (owners) and the rows borrowing from them. */
struct dataset {
	json_t **pages;
	size_t n_pages, cap_pages;
	struct alert *rows;
	size_t n_rows, cap_rows;
	/* The raw response bodies, for the parse-only pass. */
	char **bodies;
	size_t *lens;
	size_t n_bodies, cap_bodies, cap_lens;
};

static size_t on_data(char *data, size_t size, size_t n, void *user)
{
	struct body *b = user;
	size_t add = size * n;

	if (b->len + add + 1 > PAGE_CAP) {
		b->too_big = true;
		return 0;
	}
	if (b->len + add + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 20;
		char *q;

		while (cap < b->len + add + 1)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q)
			return 0;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, add);
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* Keep @page and turn its items into rows. Returns 0 or -errno. */
static int add_page(struct dataset *d, json_t *page)
{
	json_t *list = json_object_get(page, "alerts"), *item;
	size_t i;

	if (grow((void **)&d->pages, &d->cap_pages, d->n_pages + 1, sizeof(*d->pages)) < 0)
		return -ENOMEM;
	d->pages[d->n_pages++] = page;
	if (!json_is_array(list))
		return -EPROTO;
	if (grow((void **)&d->rows, &d->cap_rows, d->n_rows + json_array_size(list),
	         sizeof(*d->rows)) < 0)
		return -ENOMEM;
	json_array_foreach(list, i, item)
	{
		const char *why = NULL;

		if (alert_from_json(&d->rows[d->n_rows], item, &why) < 0) {
			fprintf(stderr, "bench-insert: skipped an alert: %s\n", why ? why : "?");
			continue;
		}
		d->n_rows++;
	}
	return 0;
}

static void dataset_finish(struct dataset *d)
{
	for (size_t i = 0; i < d->n_rows; i++)
		alert_finish(&d->rows[i]);
	for (size_t i = 0; i < d->n_pages; i++)
		json_decref(d->pages[i]);
	for (size_t i = 0; i < d->n_bodies; i++)
		free(d->bodies[i]);
	free(d->rows);
	free(d->pages);
	free(d->bodies);
	free(d->lens);
}

static int keep_body(struct dataset *d, const char *p, size_t len)
{
	char *copy;

	if (grow((void **)&d->bodies, &d->cap_bodies, d->n_bodies + 1, sizeof(*d->bodies)) < 0 ||
	    grow((void **)&d->lens, &d->cap_lens, d->n_bodies + 1, sizeof(*d->lens)) < 0)
		return -ENOMEM;
	copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, p, len);
	d->bodies[d->n_bodies] = copy;
	d->lens[d->n_bodies++] = len;
	return 0;
}

/* Page through @url (following meta.next_page_url verbatim) into @d. */
static int fetch_all(const char *url, const char *userpwd, struct dataset *d)
{
	struct body b = {0};
	char *next = malloc(URL_CAP);
	CURL *h = curl_easy_init();
	int r = -ENOMEM;

	if (!next || !h)
		goto out;
	snprintf(next, URL_CAP, "%s", url);
	curl_easy_setopt(h, CURLOPT_USERPWD, userpwd);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	for (;;) {
		json_error_t err;
		json_t *page;
		const char *n;
		long status = 0;
		CURLcode rc;

		b.len = 0;
		curl_easy_setopt(h, CURLOPT_URL, next);
		rc = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (rc != CURLE_OK || status != 200 || !b.p) {
			fprintf(stderr, "bench-insert: %s: %s, HTTP %ld%s\n", next,
			        curl_easy_strerror(rc), status, b.too_big ? ", page too big" : "");
			r = -EIO;
			goto out;
		}
		r = keep_body(d, b.p, b.len);
		if (r < 0)
			goto out;
		page = json_loadb(b.p, b.len, 0, &err);
		if (!page) {
			fprintf(stderr, "bench-insert: bad JSON: %s\n", err.text);
			r = -EPROTO;
			goto out;
		}
		r = add_page(d, page);
		if (r < 0)
			goto out;
		n = json_string_value(
		        json_object_get(json_object_get(page, "meta"), "next_page_url"));
		if (!n || !*n)
			break;
		snprintf(next, URL_CAP, "%s", n);
	}
	r = 0;
out:
	if (h)
		curl_easy_cleanup(h);
	free(next);
	free(b.p);
	return r;
}

/* CPU seconds of this process, user + system; *@sys (may be NULL) gets the system part. */
static double cpu_s_sys(double *sys)
{
	struct rusage ru;
	double s;

	getrusage(RUSAGE_SELF, &ru);
	s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	if (sys)
		*sys = s;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + s;
}

static double cpu_s(void)
{
	return cpu_s_sys(NULL);
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void remove_db(const char *path)
{
	char p[4096];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/*
 * The agent's parse path alone, on the kept bodies: json_loadb of a page, then
 * alert_from_json + alert_finish of each item, then json_decref, each timed.
 */
static int parse_pass(const struct dataset *d)
{
	double load = 0, conv = 0, drop = 0, bytes = 0, c0, c1;
	size_t n = 0;

	for (size_t p = 0; p < d->n_bodies; p++) {
		json_t *page, *item;
		size_t i;

		c0 = cpu_s();
		page = json_loadb(d->bodies[p], d->lens[p], 0, NULL);
		c1 = cpu_s();
		load += c1 - c0;
		bytes += (double)d->lens[p];
		if (!page)
			return -EPROTO;
		json_array_foreach(json_object_get(page, "alerts"), i, item)
		{
			struct alert a;

			if (alert_from_json(&a, item, NULL) == 0) {
				alert_finish(&a);
				n++;
			}
		}
		c0 = cpu_s();
		conv += c0 - c1;
		json_decref(page);
		drop += cpu_s() - c0;
	}
	if (n == 0)
		return -EPROTO;
	printf("parse only: %zu rows, %.0f bytes/row: json_loadb %.2f, alert_from_json %.2f, "
	       "json_decref %.2f, total %.2f cpu-us/row (json_loadb %.1f MB/s)\n",
	       n, bytes / (double)n, load * 1e6 / (double)n, conv * 1e6 / (double)n,
	       drop * 1e6 / (double)n, (load + conv + drop) * 1e6 / (double)n, bytes / load / 1e6);
	printf("RESULT parse rows=%zu loadb_us=%.3f from_json_us=%.3f decref_us=%.3f\n", n,
	       load * 1e6 / (double)n, conv * 1e6 / (double)n, drop * 1e6 / (double)n);
	fflush(stdout);
	return 0;
}

/*
 * The agent's list-page path alone: scan_page over a fresh copy of each kept
 * body (the copy is not timed), then scan_items_finish.
 */
static int scan_pass(const struct dataset *d)
{
	double scan = 0, drop = 0, bytes = 0, c0, c1;
	struct scan_item *items = calloc(SCAN_PASS_ITEMS, sizeof(*items));
	char *copy = NULL;
	size_t n = 0, cap = 0;
	int r = -ENOMEM;

	if (!items)
		goto out;
	for (size_t p = 0; p < d->n_bodies; p++) {
		const char *next, *why = NULL;
		size_t got;

		if (d->lens[p] + 1 > cap) {
			free(copy);
			cap = d->lens[p] + 1;
			copy = malloc(cap);
			if (!copy)
				goto out;
		}
		memcpy(copy, d->bodies[p], d->lens[p]);
		copy[d->lens[p]] = '\0';
		c0 = cpu_s();
		r = scan_page(copy, d->lens[p], items, SCAN_PASS_ITEMS, &got, &next, &why);
		c1 = cpu_s();
		if (r < 0) {
			fprintf(stderr, "bench-insert: scan_page: %s\n", why ? why : strerror(-r));
			goto out;
		}
		for (size_t i = 0; i < got; i++)
			n += items[i].skip == NULL;
		scan_items_finish(items, got);
		drop += cpu_s() - c1;
		scan += c1 - c0;
		bytes += (double)d->lens[p];
	}
	r = n ? 0 : -EPROTO;
	if (r < 0)
		goto out;
	printf("scan only: %zu rows: scan_page %.2f, scan_items_finish %.2f cpu-us/row "
	       "(scan_page %.1f MB/s)\n",
	       n, scan * 1e6 / (double)n, drop * 1e6 / (double)n, bytes / scan / 1e6);
	printf("RESULT scan rows=%zu scan_us=%.3f finish_us=%.3f\n", n, scan * 1e6 / (double)n,
	       drop * 1e6 / (double)n);
	fflush(stdout);
out:
	free(copy);
	free(items);
	return r;
}

/*
 * One pass: a fresh database, then every row upserted, a commit after each
 * @per_txn rows. Only begin..last commit is timed; open and close are reported
 * apart (the close checkpoints the WAL).
 */
static int insert_pass(const struct dataset *d, const char *path, long per_txn, int pass)
{
	struct store *s = NULL;
	double c0, w0, c1, w1, c2, s0, s1;
	int64_t now = util_now(), count = 0;
	size_t in_txn = 0;
	int r;

	remove_db(path);
	r = store_open(path, false, &s);
	if (r < 0)
		goto out;
	c0 = cpu_s_sys(&s0);
	w0 = wall_s();
	for (size_t i = 0; i < d->n_rows; i++) {
		if (in_txn == 0) {
			r = store_begin(s);
			if (r < 0)
				goto out;
		}
		r = store_upsert_alert(s, &d->rows[i], now, NULL);
		if (r < 0)
			goto out;
		if (++in_txn == (size_t)per_txn) {
			r = store_commit(s);
			if (r < 0)
				goto out;
			in_txn = 0;
		}
	}
	if (in_txn) {
		r = store_commit(s);
		if (r < 0)
			goto out;
	}
	c1 = cpu_s_sys(&s1);
	w1 = wall_s();
	r = store_count_alerts(s, NULL, &count);
	if (r < 0)
		goto out;
	c2 = cpu_s();
	store_close(s);
	s = NULL;
	c2 = cpu_s() - c2;
	printf("pass %d: %zu rows, %ld rows/txn: insert cpu %.3f s (sys %.3f) = %.2f cpu-us/row, "
	       "wall %.3f s; close %.3f s cpu; rows in db %lld\n",
	       pass, d->n_rows, per_txn, c1 - c0, s1 - s0, (c1 - c0) * 1e6 / (double)d->n_rows,
	       w1 - w0, c2, (long long)count);
	printf("RESULT insert rows=%zu per_txn=%ld cpu_s=%.4f us_per_row=%.3f wall_s=%.4f\n",
	       d->n_rows, per_txn, c1 - c0, (c1 - c0) * 1e6 / (double)d->n_rows, w1 - w0);
	fflush(stdout);
	if (count != (int64_t)d->n_rows) {
		fprintf(stderr, "bench-insert: %lld rows in the database, expected %zu\n",
		        (long long)count, d->n_rows);
		r = -EIO;
	}
out:
	store_close(s);
	remove_db(path);
	return r;
}

int main(int argc, char **argv)
{
	const char *userpwd = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:sim-token";
	char default_path[64];
	const char *path = NULL;
	long per_txn[8], n_txn = 0, passes = 1;
	struct dataset d = {0};
	double c0, w0;
	int c, r, ret = 1;

	while ((c = getopt(argc, argv, "u:t:r:o:")) != -1) {
		switch (c) {
		case 'u':
			userpwd = optarg;
			break;
		case 't':
			if (n_txn == (long)ARRAY_SIZE(per_txn))
				goto usage;
			per_txn[n_txn] = atol(optarg);
			if (per_txn[n_txn++] < 1)
				goto usage;
			break;
		case 'r':
			passes = atol(optarg);
			break;
		case 'o':
			path = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc || passes < 1)
		goto usage;
	if (n_txn == 0)
		per_txn[n_txn++] = 10000;
	if (!path) {
		snprintf(default_path, sizeof(default_path), "/tmp/bench-insert-%ld.db",
		         (long)getpid());
		path = default_path;
	}
	log_init(0, 0);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		goto out;

	c0 = cpu_s();
	w0 = wall_s();
	r = fetch_all(argv[optind], userpwd, &d);
	if (r < 0) {
		fprintf(stderr, "bench-insert: fetching failed: %s\n", strerror(-r));
		goto out;
	}
	printf("fetched and parsed %zu pages, %zu rows: cpu %.3f s, wall %.3f s\n", d.n_pages,
	       d.n_rows, cpu_s() - c0, wall_s() - w0);
	if (parse_pass(&d) < 0 || scan_pass(&d) < 0) {
		fprintf(stderr, "bench-insert: a kept page does not parse\n");
		goto out;
	}
	/* Passes alternate between the transaction sizes, so noise hits them alike. */
	for (long p = 0; p < passes; p++)
		for (long t = 0; t < n_txn; t++)
			if (insert_pass(&d, path, per_txn[t], (int)(p + 1)) < 0)
				goto out;
	ret = 0;
	goto out;
usage:
	fprintf(stderr,
	        "usage: bench-insert [-u USER:PASS] [-t ROWS_PER_TXN]... [-r PASSES] "
	        "[-o DB_PATH] 'http://127.0.0.1:PORT/v1/Alerts?PageSize=1000'\n"
	        "defaults: the simulator's built-in account, -t 10000 (repeat -t to compare\n"
	        "sizes), -r 1, -o /tmp/bench-insert-PID.db (removed afterwards)\n");
	ret = 2;
out:
	dataset_finish(&d);
	curl_global_cleanup();
	return ret;
}

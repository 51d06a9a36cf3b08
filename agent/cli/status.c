// SPDX-License-Identifier: MIT
/*
 * `check-config` and `status`: what the configuration says, what the store
 * knows of each account's sync and of the outbox, as text or as the JSON
 * document of /api/status, and the /healthz verdict as the exit status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/config.h"
#include "cli/cli.h"
#include "web/health.h"
#include "web/http.h"
#include "base/log.h"
#include "cli/status.h"
#include "store/store.h"
#include "web/summary.h"
#include "base/util.h"

int status_check_config(const char *path)
{
	struct config *cfg = cli_load_config(path);

	if (!cfg)
		return EXIT_CONFIG;
	/* The installed default has no account yet: valid, but say what it means. */
	if (!cfg->n_accounts)
		log_warnx("%s: no accounts configured yet: nothing will be polled until an "
		          "[account NAME] section is added",
		          cfg->path ? cfg->path : CONFIG_DEFAULT_PATH);
	printf("configuration %s is valid: %zu account(s), %zu trigger(s), %zu channel(s)\n",
	       cfg->path ? cfg->path : "(environment)", cfg->n_accounts, cfg->n_triggers,
	       cfg->n_notifies);
	config_free(cfg);
	return 0;
}

/* How long `status` waits for the alert counts of its JSON (a first pass over the week). */
#define STATUS_SUMMARY_WAIT_MS 60000

static void print_when(const char *label, int64_t t, int64_t now, const char *never)
{
	char buf[UTIL_TIME_LEN];

	if (!t) {
		printf("  %-14s %s\n", label, never);
		return;
	}
	util_format_time(t, buf);
	printf("  %-14s %s (%llds ago)\n", label, buf, (long long)(now - t));
}

static void print_account(const char *name, const char *sid, bool configured,
                          const struct store_sync_state *st, int64_t rows, int64_t now)
{
	char le[UTIL_TIME_LEN] = "";

	printf("%s (%s)%s\n", name, sid && *sid ? sid : "no account SID",
	       configured ? "" : " [not configured]");
	print_when("last success", st ? st->last_success : 0, now, "never");
	print_when("newest alert", st && st->has_watermark ? st->watermark : 0, now, "none yet");
	if (st && st->last_error[0]) {
		util_format_time(st->last_error_time, le);
		printf("  %-14s %s at %s\n", "last error", st->last_error, le);
	}
	if (rows >= 0)
		printf("  %-14s %lld\n", "rows", (long long)rows);
}

static int64_t rows_of(const struct summary_view *v, const char *sid)
{
	for (size_t i = 0; v && sid && i < v->n_accounts; i++)
		if (strcmp(v->accounts[i].account_sid, sid) == 0)
			return v->accounts[i].rows;
	return v ? 0 : -1;
}

/* The outbox by channel, with the times as stored; orphaned rows said to be so. */
static void print_outbox(const struct config *cfg, const struct store_http_triggers *tr)
{
	struct health_outbox ob;
	char a[UTIL_TIME_LEN], b[UTIL_TIME_LEN];

	health_outbox(cfg, tr, &ob);
	printf("outbox: %lld waiting, %lld failing, %lld orphaned, %lld delivered (kept)\n",
	       (long long)ob.waiting, (long long)ob.failing, (long long)ob.orphaned,
	       (long long)tr->delivered);
	for (size_t i = 0; i < tr->n_channels; i++) {
		const struct store_http_channel *c = &tr->channels[i];

		util_format_time(c->oldest, a);
		util_format_time(c->next_attempt, b);
		if (health_orphaned(cfg, c)) {
			printf("  channel %s: %lld orphaned (no [notify %s] any more: not "
			       "attempted), "
			       "oldest queued %s; see `twilio-alertd outbox list --channel %s`\n",
			       c->channel, (long long)c->pending, c->channel, a, c->channel);
			continue;
		}
		printf("  channel %s: %lld waiting, oldest queued %s, next attempt %s", c->channel,
		       (long long)c->pending, a, b);
		if (c->failed && c->last_error[0])
			printf("; %lld failed, last error: %s", (long long)c->failed,
			       c->last_error);
		printf("\n");
	}
}

/* The document with nothing from a database (no file, or it cannot be read). */
static void print_json(const struct config *cfg, struct store *s, const struct health_data *d,
                       const struct summary_view *v, int64_t now, const char *problem)
{
	json_t *doc = http_status_doc(cfg, s, d, v, now, problem);

	if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2)) < 0)
		printf("{\"healthy\": false, \"problem\": \"out of memory\"}");
	putchar('\n');
	json_decref(doc);
}

int status_print(const char *path, bool json)
{
	struct config *cfg = cli_load_config(path);
	struct health_data *d = malloc(sizeof(*d));
	struct summary_view *v = NULL;
	struct summary *sm = NULL;
	struct store *s = NULL;
	char problem[HEALTH_REASON_MAX] = "";
	int64_t now = util_now();
	int status = 0, r;

	if (!cfg) {
		status = EXIT_CONFIG;
		snprintf(problem, sizeof(problem), "the configuration has errors (see above)");
		goto out;
	}
	if (!d) {
		status = EXIT_TEMPFAIL;
		snprintf(problem, sizeof(problem), "out of memory");
		goto out;
	}
	r = store_open(cfg->database, true, &s);
	if (r == -ENOENT && access(cfg->database, F_OK) < 0 && errno == ENOENT) {
		snprintf(problem, sizeof(problem),
		         "no database at %s yet: nothing synced (`twilio-alertd once` or the "
		         "service creates it)",
		         cfg->database);
		log_warnx("%s", problem);
		status = EXIT_NOINPUT;
		goto out;
	}
	if (r < 0) {
		/* store_open said why; `status` never creates or migrates the file. */
		snprintf(problem, sizeof(problem), "cannot open the database %s: %s", cfg->database,
		         strerror(-r));
		status = cli_store_status(r);
		if (access(cfg->database, R_OK) < 0 && errno == EACCES)
			status = EXIT_NOPERM;
		goto out;
	}
	r = health_read(s, d);
	if (r < 0) {
		snprintf(problem, sizeof(problem), "cannot read the database: %s", store_errmsg(s));
		log_warnx("%s", problem);
		status = EXIT_TEMPFAIL;
		goto out;
	}
	/* The alert counts (the rows per account) are the page's and the API's. */
	v = malloc(sizeof(*v));
	if (v && (summary_create(cfg->database, &sm) < 0 ||
	          summary_view(sm, s, now, STATUS_SUMMARY_WAIT_MS, v) < 0)) {
		free(v);
		v = NULL;
	}
	health_verdict(cfg, d, NULL, now, 0, problem, sizeof(problem));
	if (!json) {
		for (size_t i = 0; i < cfg->n_accounts; i++) {
			const struct config_account *a = &cfg->accounts[i];

			print_account(a->name, a->account_sid, true, health_sync(d, a->name),
			              rows_of(v, a->account_sid), now);
		}
		for (size_t i = 0; i < d->n_sync; i++)
			if (!config_find_account(cfg, d->sync[i].account))
				print_account(d->sync[i].account, d->sync[i].st.account_sid, false,
				              &d->sync[i].st, rows_of(v, d->sync[i].st.account_sid),
				              now);
		for (size_t i = 0; i < d->n_terr; i++) {
			char at[UTIL_TIME_LEN];

			util_format_time(d->terr[i].when, at);
			printf("trigger %s: not evaluated (last tried %s): %s\n",
			       d->terr[i].trigger, at, d->terr[i].error);
		}
		if (d->tr.available)
			print_outbox(cfg, &d->tr);
		printf("health: %s%s\n", problem[0] ? "DEGRADED: " : "ok", problem);
	}
	if (problem[0]) {
		fprintf(stderr, "twilio-alertd: degraded: %s\n", problem);
		status = STATUS_DEGRADED;
	}
out:
	if (json)
		print_json(cfg, s, status == 0 || status == STATUS_DEGRADED ? d : NULL, v, now,
		           problem);
	summary_destroy(sm);
	free(v);
	free(d);
	store_close(s);
	config_free(cfg);
	return status;
}

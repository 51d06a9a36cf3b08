// SPDX-License-Identifier: MIT
/*
 * `check-config` and `status`: what the configuration says and what the
 * store knows of each account's sync, as text or JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "status.h"
#include "store.h"
#include "trigger.h"
#include "util.h"

int status_check_config(const char *path)
{
	struct config *cfg = daemon_load_config(path);

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

struct status_ctx {
	const struct config *cfg;
	json_t *list;
	int64_t now;
};

static void print_time(const char *label, int64_t t)
{
	char buf[UTIL_TIME_LEN];

	if (!t) {
		printf("  %-13s never\n", label);
		return;
	}
	util_format_time(t, buf);
	printf("  %-13s %s\n", label, buf);
}

static int status_one(const char *name, const struct store_sync_state *st, void *arg)
{
	struct status_ctx *c = arg;
	char wm[UTIL_TIME_LEN] = "", ls[UTIL_TIME_LEN] = "", le[UTIL_TIME_LEN] = "";
	bool configured = config_find_account(c->cfg, name) != NULL;

	if (st->has_watermark)
		util_format_time(st->watermark, wm);
	if (st->last_success)
		util_format_time(st->last_success, ls);
	if (st->last_error_time)
		util_format_time(st->last_error_time, le);
	if (c->list) {
		json_t *o = json_pack("{s:s, s:s, s:b, s:s?, s:s?, s:s?, s:s?, s:I}", "account", name,
				      "account_sid", st->account_sid, "configured", configured,
				      "watermark", wm[0] ? wm : NULL, "last_success",
				      ls[0] ? ls : NULL, "last_error",
				      st->last_error[0] ? st->last_error : NULL, "last_error_time",
				      le[0] ? le : NULL, "rows", (json_int_t)st->rows);

		if (!o)
			return -ENOMEM;
		json_object_set_new(o, "lag_seconds",
				    st->has_watermark ? json_integer(c->now - st->watermark)
						      : json_null());
		json_array_append_new(c->list, o);
		return 0;
	}
	printf("%s (%s)%s\n", name, st->account_sid, configured ? "" : " [not configured]");
	print_time("last success", st->last_success);
	if (st->last_error[0])
		printf("  %-13s %s at %s\n", "last error", st->last_error, le);
	if (st->has_watermark)
		printf("  %-13s %llds (newest alert %s)\n", "lag",
		       (long long)(c->now - st->watermark), wm);
	printf("  %-13s %lld\n", "rows", (long long)st->rows);
	return 0;
}

int status_print(const char *path, bool json)
{
	struct config *cfg = daemon_load_config(path);
	struct status_ctx c = {.cfg = cfg, .now = util_now()};
	struct store *s = NULL;
	int status = 0, r;

	if (!cfg)
		return EXIT_CONFIG;
	r = store_open(cfg->database, true, &s);
	if (r == -ENOENT) {
		fprintf(stderr, "twilio-alertd: no database at %s yet: nothing synced\n",
			cfg->database);
		status = EXIT_UNAVAILABLE;
		goto out;
	}
	if (r < 0) {
		/* store_open said why; `status` never creates or migrates the file. */
		status = daemon_store_status(r);
		goto out;
	}
	if (json)
		c.list = json_array();
	r = store_sync_list(s, status_one, &c);
	if (r < 0) {
		log_warnx("cannot read the sync state: %s", store_errmsg(s));
		status = EXIT_TEMPFAIL;
		goto out;
	}
	if (!json && trigger_status(s, NULL) < 0)
		status = EXIT_TEMPFAIL;
	if (json) {
		json_t *doc = json_pack("{s:s, s:o}", "database", cfg->database, "accounts", c.list);

		c.list = NULL;
		if (trigger_status(s, doc) < 0)
			status = EXIT_TEMPFAIL;
		json_dumpf(doc, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(doc);
	}
out:
	json_decref(c.list);
	store_close(s);
	config_free(cfg);
	return status;
}


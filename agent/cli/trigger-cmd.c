// SPDX-License-Identifier: MIT
/*
 * The `triggers` commands, which only read: `list` (state per trigger and
 * group, outbox backlog), `test NAME` (evaluate now from the alerts table and
 * print what would be sent) and `backtest NAME` (print what
 * trigger-backtest.c replays from the stored history).
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/config.h"
#include "cli/cli.h"
#include "base/log.h"
#include "notify/notify.h"
#include "notify/notify-msg.h"
#include "store/store-trigger.h"
#include "cli/trigger-cmd.h"
#include "trigger/trigger-backtest.h"
#include "trigger/trigger-note.h"
#include "trigger/trigger-rule.h"
#include "base/util.h"

static const char *const group_by_words[] = {"", "error_code", "account", "request_host",
                                             "resource_sid"};

static void fmt_duration(int64_t s, char *out, size_t size)
{
	if (s && s % 86400 == 0)
		snprintf(out, size, "%lldd", (long long)(s / 86400));
	else if (s && s % 3600 == 0)
		snprintf(out, size, "%lldh", (long long)(s / 3600));
	else if (s && s % 60 == 0)
		snprintf(out, size, "%lldm", (long long)(s / 60));
	else
		snprintf(out, size, "%llds", (long long)s);
}

static const char *when(int64_t t, char buf[UTIL_TIME_LEN])
{
	if (!t)
		return "never";
	util_format_time(t, buf);
	return buf;
}

static void describe_trigger(const struct config_trigger *t)
{
	static const char *const sev[] = {"info", "warning", "critical"};
	char win[32], fr[32], rep[32];

	fmt_duration(t->window, win, sizeof(win));
	fmt_duration(t->for_, fr, sizeof(fr));
	fmt_duration(t->repeat, rep, sizeof(rep));
	printf("trigger %s: %lld alert%s in %s", t->name, (long long)t->threshold,
	       t->threshold == 1 ? "" : "s", win);
	if (t->group_by)
		printf(" per %s", group_by_words[t->group_by]);
	printf(", for %s, repeat %s, resolve %s, severity %s ->", fr, t->repeat ? rep : "never",
	       t->resolve ? "yes" : "no", sev[t->severity]);
	for (size_t i = 0; i < t->n_notify; i++)
		printf("%s %s", i ? "," : "", t->notify[i]);
	printf("\n");
}

struct list_ctx {
	const struct config_trigger *t;
	size_t shown;
};

static int list_state(const struct store_trigger_state *st, void *arg)
{
	struct list_ctx *c = arg;
	char a[UTIL_TIME_LEN], b[UTIL_TIME_LEN], d[UTIL_TIME_LEN];

	c->shown++;
	printf("  %s%s: %s since %s, %lld alert%s at %s; last fired %s",
	       c->t->group_by ? "group " : "", c->t->group_by ? st->group : "state",
	       trigger_state_name(st->state), when(st->since, a), (long long)st->count,
	       st->count == 1 ? "" : "s", when(st->updated, b), when(st->started, d));
	if (st->state == STORE_TRIGGER_FIRING && st->repeats)
		printf(", %lld repeat%s", (long long)st->repeats, st->repeats == 1 ? "" : "s");
	if (st->state != STORE_TRIGGER_FIRING && st->last_resolved)
		printf(", resolved %s", when(st->last_resolved, a));
	printf("\n");
	return 0;
}

static void print_outbox(const char *indent, const struct store_outbox_summary *sum)
{
	char a[UTIL_TIME_LEN];

	printf("%soutbox: %lld pending, %lld failing, %lld delivered", indent,
	       (long long)sum->pending, (long long)sum->failing, (long long)sum->delivered);
	if (sum->pending)
		printf("; next attempt %s", when(sum->next_attempt, a));
	if (sum->failing && sum->last_error[0])
		printf("; last error (%s): %s", sum->last_error_channel, sum->last_error);
	printf("\n");
}

static int cmd_list(const struct config *cfg, struct store *s)
{
	struct store_outbox_summary sum;
	int r = 0;

	if (!cfg->n_triggers)
		printf("no [trigger NAME] section in the configuration\n");
	for (size_t i = 0; r == 0 && i < cfg->n_triggers; i++) {
		struct list_ctx c = {.t = &cfg->triggers[i]};

		describe_trigger(c.t);
		if (!s) {
			printf("  (no database yet)\n");
			continue;
		}
		r = store_trigger_state_list(s, c.t->name, false, list_state, &c);
		if (r == 0 && !c.shown)
			printf("  %s: ok (never reached the threshold)\n",
			       c.t->group_by ? "every group" : "state");
		if (r == 0) {
			char err[256];
			int64_t when;

			r = store_trigger_def_error(s, c.t->name, err, sizeof(err), &when);
			if (r == 0) {
				char at[UTIL_TIME_LEN];

				util_format_time(when, at);
				printf("  not evaluated (last tried %s): %s\n", at, err);
			}
			if (r == -ENOENT)
				r = 0;
		}
		if (r == 0)
			r = store_outbox_summarize(s, c.t->name, &sum);
		if (r == 0)
			print_outbox("  ", &sum);
	}
	if (r == 0 && s) {
		r = store_outbox_summarize(s, NULL, &sum);
		if (r == 0)
			print_outbox("all triggers: ", &sum);
	}
	if (r < 0)
		log_warnx("cannot read the trigger state: %s", store_errmsg(s));
	return r < 0 ? EXIT_TEMPFAIL : 0;
}

/* `triggers test`: every matching alert's group, counted after the scan. */
struct test_scan {
	const struct trigger_compiled *c;
	char **groups;
	size_t n, cap;
	const char *only; /* details pass: this group's alerts into @details */
	struct trigger_details *details;
};

static int test_collect(const struct store_trigger_alert *a, void *arg)
{
	struct test_scan *ts = arg;
	char group[STORE_GROUP_MAX];
	int r;

	if (!trigger_match(ts->c, a))
		return 0;
	trigger_group(ts->c, a, group);
	if (ts->only)
		return strcmp(group, ts->only) == 0 ? trigger_details_add(a, ts->details) : 0;
	r = UTIL_GROW(ts->groups, ts->cap, ts->n + 1);
	if (r < 0)
		return r;
	ts->groups[ts->n] = strdup(group);
	return ts->groups[ts->n++] ? 0 : -ENOMEM;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

struct states {
	struct store_trigger_state *v;
	size_t n, cap;
};

static int take_state(const struct store_trigger_state *st, void *arg)
{
	struct states *ss = arg;
	int r = UTIL_GROW(ss->v, ss->cap, ss->n + 1);

	if (r < 0)
		return r;
	ss->v[ss->n++] = *st;
	return 0;
}

/* Step one group on a copy of its state and print what would be sent. */
static int test_group(const struct config *cfg, struct store *s, struct test_scan *ts,
                      struct store_trigger_state st, int64_t count, int64_t now, int *sent)
{
	const struct trigger_compiled *c = ts->c;
	const char *before = trigger_state_name(st.state), *group = st.group;
	enum trigger_event ev = trigger_step(c->t, &st, count, now);
	struct trigger_details *d = NULL;
	char key[TRIGGER_KEY_MAX], *payload = NULL;
	json_t *note = NULL;
	int r = 0;

	printf("%s%s: %lld alert%s (threshold %lld): %s -> %s%s%s\n",
	       c->t->group_by ? "group " : "", c->t->group_by ? group : "state", (long long)count,
	       count == 1 ? "" : "s", (long long)c->t->threshold, before,
	       trigger_state_name(st.state), ev ? ", would send " : "",
	       ev ? trigger_event_name(ev) : "");
	if (ev == TRIGGER_NONE)
		return 0;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	ts->only = group;
	ts->details = d;
	r = store_trigger_scan(s, c->t->where, now - c->t->window, 0, false, test_collect, ts);
	ts->only = NULL;
	if (r == 0) {
		note = trigger_notification(cfg, c, group, &st, ev, count, now, d, key);
		payload = note ? json_dumps(note, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
		r = payload ? 0 : -ENOMEM;
	}
	if (r == 0) {
		(*sent)++;
		printf("  notification JSON:\n%s\n", payload);
	}
	for (size_t i = 0; r == 0 && i < c->t->n_notify; i++) {
		const struct config_notify *n = notify_find(cfg, c->t->notify[i]);

		if (n)
			r = notify_describe(stdout, cfg, n, payload);
	}
	json_decref(note);
	free(payload);
	free(d);
	return r;
}

static int cmd_test(const struct config *cfg, struct store *s, const struct trigger_compiled *c)
{
	struct test_scan ts = {.c = c};
	struct states ss = {0};
	int64_t now = util_now();
	char win[32];
	int sent = 0, r;
	size_t i = 0, k;

	assert(c->t); /* the usage check wants a trigger name for `test` */
	fmt_duration(c->t->window, win, sizeof(win));
	printf("trigger %s evaluated at %s over the last %s (nothing is sent or changed)\n",
	       c->t->name, when(now, (char[UTIL_TIME_LEN]){0}), win);
	r = store_trigger_state_list(s, c->t->name, false, take_state, &ss);
	if (r == 0)
		r = store_trigger_scan(s, c->t->where, now - c->t->window, 0, false, test_collect,
		                       &ts);
	if (r < 0)
		goto out;
	if (ts.n > 1)
		qsort(ts.groups, ts.n, sizeof(*ts.groups), cmp_str);
	/* Runs of equal groups are the counts; groups not ok but with no alert count 0. */
	while (r == 0 && i < ts.n) {
		struct store_trigger_state st = {.state = STORE_TRIGGER_OK};
		size_t j = i;

		while (j < ts.n && strcmp(ts.groups[j], ts.groups[i]) == 0)
			j++;
		snprintf(st.group, sizeof(st.group), "%s", ts.groups[i]);
		for (k = 0; k < ss.n; k++)
			if (strcmp(ss.v[k].group, st.group) == 0)
				st = ss.v[k];
		if ((int64_t)(j - i) >= c->t->threshold || st.state != STORE_TRIGGER_OK)
			r = test_group(cfg, s, &ts, st, (int64_t)(j - i), now, &sent);
		else
			printf("%s%s: %zu alert%s (threshold %lld): ok\n",
			       c->t->group_by ? "group " : "", c->t->group_by ? st.group : "state",
			       j - i, j - i == 1 ? "" : "s", (long long)c->t->threshold);
		i = j;
	}
	for (k = 0; r == 0 && k < ss.n; k++) {
		char *g = ss.v[k].group;

		if (ss.v[k].state != STORE_TRIGGER_OK &&
		    (!ts.n || !bsearch(&g, ts.groups, ts.n, sizeof(*ts.groups), cmp_str)))
			r = test_group(cfg, s, &ts, ss.v[k], 0, now, &sent);
	}
	if (r == 0 && !ts.n && !ss.n)
		printf("no matching alert in the window\n");
	if (r == 0)
		printf("%s\n", sent ? "(not sent: this was a test)" : "nothing would be sent now");
out:
	if (r < 0)
		log_warnx("trigger %s: cannot evaluate: %s", c->t->name,
		          r == -ENOMEM ? "out of memory" : store_errmsg(s));
	for (k = 0; k < ts.n; k++)
		free(ts.groups[k]);
	free(ts.groups);
	free(ss.v);
	return r < 0 ? EXIT_TEMPFAIL : 0;
}

struct bt_tally {
	int64_t fired, repeats, resolved;
	bool grouped;
};

static int print_event(const struct trigger_backtest_event *e, void *arg)
{
	struct bt_tally *bt = arg;
	char at[UTIL_TIME_LEN];

	bt->fired += e->ev == TRIGGER_FIRED;
	bt->repeats += e->ev == TRIGGER_REPEAT;
	bt->resolved += e->ev == TRIGGER_RESOLVED;
	util_format_time(e->at, at);
	printf("%s  %-8s  %s%s%s%lld alert%s\n", at, trigger_event_name(e->ev),
	       bt->grouped ? "group " : "", bt->grouped ? e->group : "", bt->grouped ? "  " : "",
	       (long long)e->count, e->count == 1 ? "" : "s");
	return 0;
}

static int cmd_backtest(const struct config *cfg, struct store *s, const struct trigger_compiled *c,
                        int64_t days)
{
	struct bt_tally bt;
	int64_t to = util_now(), from = to - days * 86400, firing = 0, matched = 0;
	char a[UTIL_TIME_LEN], b[UTIL_TIME_LEN], win[32];
	int r;

	assert(c->t); /* the usage check wants a trigger name for `backtest` */
	bt = (struct bt_tally){.grouped = c->t->group_by != CONFIG_GROUP_NONE};
	fmt_duration(c->t->window, win, sizeof(win));
	printf("backtest of trigger %s from %s to %s (%lld day%s), %lld alert%s in %s%s%s\n",
	       c->t->name, when(from, a), when(to, b), (long long)days, days == 1 ? "" : "s",
	       (long long)c->t->threshold, c->t->threshold == 1 ? "" : "s", win,
	       c->t->group_by ? " per " : "", group_by_words[c->t->group_by]);
	fflush(stdout);
	r = trigger_backtest(s, c, from, to, print_event, &bt, &firing, &matched);
	if (r == -E2BIG) {
		log_warnx("trigger %s: more than %d alerts match: use a shorter --days", c->t->name,
		          TRIGGER_BACKTEST_MAX);
		return EXIT_USAGE;
	}
	if (r < 0) {
		log_warnx("trigger %s: cannot replay: %s", c->t->name,
		          r == -ENOMEM ? "out of memory" : store_errmsg(s));
		return EXIT_TEMPFAIL;
	}
	printf("%lld matching alert%s; %lld fired, %lld repeat%s, %lld resolved; %lld still firing"
	       " at the end\n",
	       (long long)matched, matched == 1 ? "" : "s", (long long)bt.fired,
	       (long long)bt.repeats, bt.repeats == 1 ? "" : "s", (long long)bt.resolved,
	       (long long)firing);
	return 0;
}

static const struct config_trigger *find_trigger(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_triggers; i++)
		if (strcmp(cfg->triggers[i].name, name) == 0)
			return &cfg->triggers[i];
	return NULL;
}

static int usage_error(const char *what)
{
	fprintf(stderr, "twilio-alertd: triggers: %s; try 'twilio-alertd triggers --help'\n", what);
	return EXIT_USAGE;
}

int trigger_command(const char *path, int argc, char **argv, const char *days_text)
{
	const struct config_trigger *t = NULL;
	struct trigger_compiled c = {0};
	struct config *cfg = NULL;
	struct store *s = NULL;
	const char *sub = argc > 0 ? argv[0] : NULL;
	int64_t days = 0;
	int status = 0, r;
	char what[160];

	if (!sub)
		return usage_error("missing list, test NAME or backtest NAME");
	if (strcmp(sub, "list") != 0 && strcmp(sub, "test") != 0 && strcmp(sub, "backtest") != 0) {
		snprintf(what, sizeof(what), "unknown command '%.64s' (list, test or backtest)",
		         sub);
		return usage_error(what);
	}
	if (strcmp(sub, "list") != 0 && argc < 2) {
		snprintf(what, sizeof(what), "%s needs the NAME of a trigger", sub);
		return usage_error(what);
	}
	if (argc > (strcmp(sub, "list") == 0 ? 1 : 2)) {
		snprintf(what, sizeof(what), "unexpected argument '%.64s'",
		         argv[strcmp(sub, "list") == 0 ? 1 : 2]);
		return usage_error(what);
	}
	if (days_text && strcmp(sub, "backtest") != 0)
		return usage_error("option '--days' goes with backtest only");
	if (days_text) {
		char *end;

		days = strtoll(days_text, &end, 10);
		if (end == days_text || *end || days < 1 || days > 3650)
			return usage_error("--days needs a whole number of days, 1 to 3650");
	}
	cfg = cli_load_config(path);
	if (!cfg)
		return EXIT_CONFIG;
	if (!days)
		days = (cfg->retention + 86399) / 86400;
	if (argc >= 2) {
		t = find_trigger(cfg, argv[1]);
		if (!t) {
			fprintf(stderr, "twilio-alertd: no [trigger %s] in %s\n", argv[1],
			        cfg->path ? cfg->path : "the configuration");
			status = EXIT_USAGE;
			goto out;
		}
		r = trigger_compile(cfg, t, &c);
		if (r < 0) {
			log_warnx("trigger %s: %s", t->name, strerror(-r));
			status = EXIT_CONFIG;
			goto out;
		}
	}
	r = store_open(cfg->database, true, &s);
	if (r == -ENOENT && strcmp(sub, "list") == 0) {
		r = 0;
	} else if (r == -ENOENT) {
		fprintf(stderr, "twilio-alertd: no database at %s yet: run `once` first\n",
		        cfg->database);
		status = EXIT_UNAVAILABLE;
		goto out;
	} else if (r < 0) {
		status = r == -EACCES ? EXIT_NOPERM : EXIT_TEMPFAIL;
		goto out;
	}
	if (strcmp(sub, "list") == 0)
		status = cmd_list(cfg, s);
	else if (strcmp(sub, "test") == 0)
		status = cmd_test(cfg, s, &c);
	else
		status = cmd_backtest(cfg, s, &c, days);
out:
	trigger_compiled_finish(&c);
	store_close(s);
	config_free(cfg);
	return status;
}

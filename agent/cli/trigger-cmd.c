// SPDX-License-Identifier: MIT
/*
 * The `triggers` commands, which only read: `list` (state per trigger and
 * group, outbox backlog), `test NAME` (evaluate now from the alerts table and
 * print what would be sent) and `backtest NAME` (replay the stored history
 * through the same state machine as the live evaluation).
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/config.h"
#include "cli/daemon.h"
#include "base/log.h"
#include "notify/notify.h"
#include "notify/notify-msg.h"
#include "store/store-trigger.h"
#include "trigger/trigger.h"
#include "base/util.h"

/* ---- backtest -------------------------------------------------------- */

/* Group names interned in an open-addressing table (a backtest may see many). */
struct interned {
	char **names;
	size_t n;
	uint32_t *slots; /* index + 1; 0 = empty */
	size_t n_slots;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int intern(struct interned *in, const char *name, uint32_t *out)
{
	size_t i;

	if ((in->n + 1) * 2 > in->n_slots) {
		size_t n_slots = in->n_slots ? in->n_slots * 2 : 64;
		uint32_t *slots = calloc(n_slots, sizeof(*slots));
		char **names = realloc(in->names, n_slots / 2 * sizeof(*names));

		if (names)
			in->names = names;
		if (!slots || !names) {
			free(slots);
			return -ENOMEM;
		}
		for (size_t k = 0; k < in->n; k++) {
			for (i = hash(in->names[k]) % n_slots; slots[i]; i = (i + 1) % n_slots)
				;
			slots[i] = (uint32_t)k + 1;
		}
		free(in->slots);
		in->slots = slots;
		in->n_slots = n_slots;
	}
	for (i = hash(name) % in->n_slots; in->slots[i]; i = (i + 1) % in->n_slots) {
		if (strcmp(in->names[in->slots[i] - 1], name) == 0) {
			*out = in->slots[i] - 1;
			return 0;
		}
	}
	in->names[in->n] = strdup(name);
	if (!in->names[in->n])
		return -ENOMEM;
	in->slots[i] = (uint32_t)in->n + 1;
	*out = (uint32_t)in->n++;
	return 0;
}

static void interned_finish(struct interned *in)
{
	for (size_t i = 0; i < in->n; i++)
		free(in->names[i]);
	free(in->names);
	free(in->slots);
}

struct hit {
	int64_t t;
	uint32_t group;
};

struct replay {
	const struct trigger_compiled *c;
	struct interned groups;
	struct hit *hits;
	size_t n, cap;
	struct trigger_backtest_event *events;
	size_t n_events, cap_events;
};

static int collect(const struct store_trigger_alert *a, void *arg)
{
	struct replay *rp = arg;
	char group[STORE_GROUP_MAX];
	int r;

	if (!trigger_match(rp->c, a))
		return 0;
	if (rp->n == TRIGGER_BACKTEST_MAX)
		return -E2BIG;
	if (rp->n == rp->cap) {
		size_t cap = rp->cap ? rp->cap * 2 : 1024;
		struct hit *more = realloc(rp->hits, cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		rp->hits = more;
		rp->cap = cap;
	}
	trigger_group(rp->c, a, group);
	r = intern(&rp->groups, group, &rp->hits[rp->n].group);
	if (r == 0)
		rp->hits[rp->n++].t = a->created;
	return r;
}

static int cmp_hit(const void *x, const void *y)
{
	const struct hit *a = x, *b = y;

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	return a->t < b->t ? -1 : a->t > b->t;
}

static int emit(struct replay *rp, int64_t at, enum trigger_event ev, uint32_t group, int64_t count)
{
	if (rp->n_events == rp->cap_events) {
		size_t cap = rp->cap_events ? rp->cap_events * 2 : 64;
		struct trigger_backtest_event *more = realloc(rp->events, cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		rp->events = more;
		rp->cap_events = cap;
	}
	rp->events[rp->n_events++] = (struct trigger_backtest_event){
	        .at = at, .ev = ev, .group = rp->groups.names[group], .count = count};
	return 0;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/*
 * One group's alerts (@h, sorted by time) through trigger_step at every moment
 * the window count changes or `for`/`repeat` falls due, from @from to @to.
 */
static int sweep(struct replay *rp, const struct hit *h, size_t n, int64_t from, int64_t to,
                 bool *firing)
{
	const struct config_trigger *t = rp->c->t;
	struct store_trigger_state st = {.state = STORE_TRIGGER_OK};
	size_t lo = 0, hi = 0;
	int64_t now = from;
	int r = 0;

	for (;;) {
		enum trigger_event ev;
		int64_t next = INT64_MAX;

		while (hi < n && h[hi].t <= now)
			hi++;
		while (lo < hi && h[lo].t <= now - t->window)
			lo++;
		ev = trigger_step(t, &st, (int64_t)(hi - lo), now);
		if (ev != TRIGGER_NONE) {
			r = emit(rp, now, ev, h[0].group, (int64_t)(hi - lo));
			if (r < 0)
				return r;
		}
		if (hi < n)
			next = h[hi].t;
		if (lo < hi)
			next = min64(next, h[lo].t + t->window);
		if (st.state == STORE_TRIGGER_PENDING)
			next = min64(next, st.since + t->for_);
		if (st.state == STORE_TRIGGER_FIRING && t->repeat > 0)
			next = min64(next, st.last_notified + t->repeat);
		if (next > to || next <= now)
			break;
		now = next;
	}
	*firing = st.state == STORE_TRIGGER_FIRING;
	return 0;
}

static int cmp_event(const void *x, const void *y)
{
	const struct trigger_backtest_event *a = x, *b = y;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return strcmp(a->group, b->group);
}

int trigger_backtest(struct store *s, const struct trigger_compiled *c, int64_t from, int64_t to,
                     int (*fn)(const struct trigger_backtest_event *e, void *arg), void *arg,
                     int64_t *still_firing, int64_t *matched)
{
	struct replay rp = {.c = c};
	int64_t firing = 0;
	size_t i = 0;
	int r;

	/* The window before @from is loaded too: at @from it already counts. */
	r = store_trigger_scan(s, c->t->where, from - c->t->window, to, true, collect, &rp);
	if (r < 0)
		goto out;
	if (rp.n > 1)
		qsort(rp.hits, rp.n, sizeof(*rp.hits), cmp_hit);
	while (r == 0 && i < rp.n) {
		size_t j = i;
		bool on = false;

		while (j < rp.n && rp.hits[j].group == rp.hits[i].group)
			j++;
		r = sweep(&rp, rp.hits + i, j - i, from, to, &on);
		firing += on;
		i = j;
	}
	if (rp.n_events > 1)
		qsort(rp.events, rp.n_events, sizeof(*rp.events), cmp_event);
	for (size_t k = 0; r == 0 && k < rp.n_events; k++)
		r = fn(&rp.events[k], arg);
	if (still_firing)
		*still_firing = firing;
	if (matched)
		*matched = (int64_t)rp.n;
out:
	interned_finish(&rp.groups);
	free(rp.hits);
	free(rp.events);
	return r;
}

/* ---- the commands ------------------------------------------------------ */

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

	if (!trigger_match(ts->c, a))
		return 0;
	trigger_group(ts->c, a, group);
	if (ts->only)
		return strcmp(group, ts->only) == 0 ? trigger_details_add(a, ts->details) : 0;
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 256;
		char **more = realloc(ts->groups, cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		ts->groups = more;
		ts->cap = cap;
	}
	ts->groups[ts->n] = strdup(group);
	return ts->groups[ts->n++] ? 0 : -ENOMEM;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

struct states {
	struct store_trigger_state *v;
	size_t n;
};

static int take_state(const struct store_trigger_state *st, void *arg)
{
	struct states *ss = arg;
	struct store_trigger_state *more = realloc(ss->v, (ss->n + 1) * sizeof(*more));

	if (!more)
		return -ENOMEM;
	ss->v = more;
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
	cfg = daemon_load_config(path);
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

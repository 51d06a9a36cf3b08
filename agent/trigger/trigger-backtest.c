// SPDX-License-Identifier: MIT
/*
 * The backtest: a trigger's stored alerts are loaded once (with the window
 * before the start), grouped, and each group is swept through trigger_step
 * at every moment its count changes and when `for` and `repeat` fall due,
 * so the replay sends what the live evaluation would have sent.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/store-trigger.h"
#include "trigger/trigger-backtest.h"
#include "trigger/trigger-rule.h"

/* Group names interned in an open-addressing table (a backtest may see many). */
struct interned {
	char **names;
	size_t n, cap_names;
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
		int r = UTIL_GROW(in->names, in->cap_names, n_slots / 2);

		if (!slots || r < 0) {
			free(slots);
			return r < 0 ? r : -ENOMEM;
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
	r = UTIL_GROW(rp->hits, rp->cap, rp->n + 1);
	if (r < 0)
		return r;
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
	int r = UTIL_GROW(rp->events, rp->cap_events, rp->n_events + 1);

	if (r < 0)
		return r;
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

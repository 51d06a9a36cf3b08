// SPDX-License-Identifier: MIT
/*
 * Trigger evaluation. The alerts each trigger matches are kept in
 * trigger_hits (only inside its window), maintained from the alerts stored
 * since the last evaluation (by rowid), so a cycle reads short index
 * ranges, never the alerts table as a whole. Matching is done in C
 * (trigger-rule.c); only a `where` expression runs in SQLite, under the
 * store's authorizer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/config.h"
#include "base/log.h"
#include "store/store-trigger.h"
#include "trigger/trigger.h"
#include "trigger/trigger-note.h"
#include "trigger/trigger-rule.h"
#include "base/util.h"

/* ---- evaluation ---------------------------------------------------------- */

/* A hit found before the write transaction: what add_hits would have written. */
struct hit {
	char *sid;
	char *date_created;
	char *group;  /* NULL: only the recheck of an incomplete push */
	bool recheck; /* an incomplete push: match it again once a poll completes it */
};

/*
 * What a `where` trigger's scan found in the read transaction before the
 * write one (prepare_where), so that the slow part runs without the write
 * lock and a webhook push is never kept waiting by it.
 */
struct pre {
	enum { PRE_NONE, PRE_NEW, PRE_REBUILD } mode;
	struct hit *hits;
	size_t n, cap;
	int err; /* the scan's -ETIME / -EFBIG (e->failed is set), 0 = none */
};

struct eval {
	struct store *s;
	const struct config *cfg;
	int64_t now;
	struct trigger_compiled *ct;
	size_t n;
	bool *rebuild;             /* per trigger */
	bool *failed;              /* per trigger: its `where` went over its budget this time */
	char (*why)[256];          /* per trigger: why it failed */
	bool rebuilding;           /* which set a scan feeds: rebuilt triggers or all */
	size_t only;               /* SIZE_MAX = every trigger without `where`, else this one */
	struct pre *collect;       /* non-NULL: add_hits appends here instead of writing */
	struct pre *pre;           /* per trigger, from prepare_where; NULL = none */
	int64_t pre_last, pre_max; /* the cursor prepare_where saw */
	struct trigger_result res;
};

static int collect_hit(struct pre *p, const struct store_trigger_alert *a, const char *group,
                       bool recheck)
{
	struct hit *h;
	int r;

	if (p->n == TRIGGER_COLLECT_MAX)
		return -E2BIG;
	r = UTIL_GROW(p->hits, p->cap, p->n + 1);
	if (r < 0)
		return r;
	h = &p->hits[p->n];
	h->sid = strdup(a->sid);
	h->date_created = strdup(a->date_created);
	h->group = group ? strdup(group) : NULL;
	h->recheck = recheck;
	p->n++;
	if (!h->sid || !h->date_created || (group && !h->group))
		return -ENOMEM;
	return 0;
}

static void pre_clear(struct pre *p)
{
	for (size_t k = 0; k < p->n; k++) {
		free(p->hits[k].sid);
		free(p->hits[k].date_created);
		free(p->hits[k].group);
	}
	free(p->hits);
	memset(p, 0, sizeof(*p));
}

/* A scanned alert: add a hit for each trigger (of the current set) it matches. */
static int add_hits(const struct store_trigger_alert *a, void *arg)
{
	struct eval *e = arg;
	char group[STORE_GROUP_MAX];
	size_t first = e->only == SIZE_MAX ? 0 : e->only;
	size_t last = e->only == SIZE_MAX ? e->n : e->only + 1;

	/* A push not completed by a poll yet is matched as it is, and again later. */
	if (store_trigger_incomplete(a)) {
		int r = e->collect ? collect_hit(e->collect, a, NULL, true)
		                   : store_trigger_recheck_add(e->s, a->sid, a->date_created);

		if (r < 0)
			return r;
	}

	for (size_t i = first; i < last; i++) {
		const struct config_trigger *t = e->ct[i].t;
		int r;

		if (e->only == SIZE_MAX && t->where)
			continue;
		/* A rebuilt trigger gets its hits from one scan of its window, not from both. */
		if (e->rebuilding != e->rebuild[i])
			continue;
		if (a->created <= e->now - t->window || !trigger_match(&e->ct[i], a))
			continue;
		trigger_group(&e->ct[i], a, group);
		if (e->collect)
			r = collect_hit(e->collect, a, group, false);
		else
			r = store_trigger_hit_add(e->s, t->name, a->date_created, group, a->sid);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * After a scan with trigger @i's `where`: over its budget (-ETIME, -EFBIG),
 * the trigger is left out of this evaluation, said in one line, and
 * recorded (finish_failed); the others go on. Other results pass through.
 */
static int where_outcome(struct eval *e, size_t i, int r)
{
	if (r != -ETIME && r != -EFBIG)
		return r;
	if (!e->failed[i]) {
		snprintf(e->why[i], sizeof(e->why[i]), "%s", store_errmsg(e->s));
		log_warnx("trigger %s: not evaluated: %s; its hits are rebuilt at the next "
		          "evaluation",
		          e->ct[i].t->name, e->why[i]);
	}
	e->failed[i] = true;
	return 0;
}

/* Replay what prepare_where found for trigger @i, in the write transaction. */
static int replay(struct eval *e, size_t i)
{
	const struct pre *p = &e->pre[i];
	int r = 0;

	if (p->err)
		return 0; /* e->failed[i] is set */
	for (size_t k = 0; r == 0 && k < p->n; k++) {
		const struct hit *h = &p->hits[k];

		if (h->recheck)
			r = store_trigger_recheck_add(e->s, h->sid, h->date_created);
		else
			r = store_trigger_hit_add(e->s, e->ct[i].t->name, h->date_created, h->group,
			                          h->sid);
	}
	return r;
}

/* Whether prepare_where has trigger @i's hits of the kind of scan about to run. */
static bool prepared(const struct eval *e, size_t i, int mode)
{
	return e->pre && (int)e->pre[i].mode == mode;
}

/*
 * The alerts stored since the last evaluation are matched by every trigger.
 * An alert is matched once, when it is first seen (with its details when the
 * poll fetched them); a later change to a stored alert is not matched again.
 */
static int match_new(struct eval *e, int64_t after)
{
	int r;

	e->rebuilding = false;
	e->only = SIZE_MAX;
	r = store_trigger_scan_new(e->s, NULL, after, add_hits, e);
	for (size_t i = 0; r == 0 && i < e->n; i++) {
		if (!e->ct[i].t->where || e->rebuild[i] || e->failed[i])
			continue;
		e->only = i;
		if (prepared(e, i, PRE_NEW)) {
			r = replay(e, i);
			continue;
		}
		r = store_trigger_scan_new(e->s, e->ct[i].t->where, after, add_hits, e);
		r = where_outcome(e, i, r);
	}
	return r;
}

struct probe {
	bool found;
	bool incomplete;
	int64_t created;
};

static int probe(const struct store_trigger_alert *a, void *arg)
{
	struct probe *p = arg;

	p->found = true;
	p->incomplete = store_trigger_incomplete(a);
	p->created = a->created;
	return 0;
}

/*
 * Pushed alerts that a poll has completed since (an UPDATE the cursor does not
 * see) are matched again: their hits so far came from the push's fields.
 */
static int recheck(struct eval *e, int64_t longest)
{
	const char **names = calloc(e->n + 1, sizeof(*names));
	char **pairs = NULL;
	size_t n = 0;
	int r = names ? store_trigger_recheck_list(e->s, &pairs, &n) : -ENOMEM;

	for (size_t i = 0; names && i < e->n; i++)
		names[i] = e->ct[i].t->name;
	for (size_t k = 0; r == 0 && k < n; k += 2) {
		const char *sid = pairs[k], *matched = pairs[k + 1];
		struct probe p = {0};

		r = store_trigger_scan_sid(e->s, NULL, sid, probe, &p);
		if (r < 0)
			break;
		if (p.found && p.incomplete && p.created > e->now - longest)
			continue;
		r = store_trigger_recheck_drop(e->s, sid);
		if (r < 0 || !p.found || p.incomplete)
			continue;
		r = store_trigger_hits_forget(e->s, names, e->n, sid, matched);
		e->rebuilding = false;
		e->only = SIZE_MAX;
		if (r == 0)
			r = store_trigger_scan_sid(e->s, NULL, sid, add_hits, e);
		for (size_t i = 0; r == 0 && i < e->n; i++) {
			if (!e->ct[i].t->where || e->rebuild[i] || e->failed[i])
				continue;
			e->only = i;
			r = store_trigger_scan_sid(e->s, e->ct[i].t->where, sid, add_hits, e);
			r = where_outcome(e, i, r);
		}
	}
	for (size_t k = 0; k < n; k++)
		free(pairs[k]);
	free(pairs);
	free(names);
	return r;
}

/*
 * Which triggers are new or edited (by fingerprint), or all when @all; their
 * hits are dropped, and so are those of triggers no longer configured.
 */
static int mark_rebuild(struct eval *e, bool all)
{
	const char **names = calloc(e->n + 1, sizeof(*names));
	char fp[SIGN_SHA256_HEX_LEN];
	int r = names ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i < e->n; i++) {
		const struct config_trigger *t = e->ct[i].t;

		names[i] = t->name;
		r = store_trigger_def_get(e->s, t->name, fp, sizeof(fp));
		if (r < 0 || (!all && strcmp(fp, e->ct[i].fingerprint) == 0))
			continue;
		e->rebuild[i] = true;
		e->res.rebuilt++;
		r = store_trigger_hits_delete(e->s, t->name, INT64_MAX);
	}
	if (r == 0)
		r = store_trigger_defs_retain(e->s, names, e->n);
	free(names);
	return r;
}

/* The marked triggers get their hits from the alerts of their window. */
static int rebuild(struct eval *e)
{
	int64_t oldest = 0;
	bool plain = false;
	int r = 0;

	for (size_t i = 0; i < e->n; i++) {
		if (e->rebuild[i] && !e->ct[i].t->where &&
		    (!plain || e->now - e->ct[i].t->window < oldest)) {
			oldest = e->now - e->ct[i].t->window;
			plain = true;
		}
	}
	e->rebuilding = true;
	e->only = SIZE_MAX;
	/* One pass over the longest window serves every rebuilt trigger without `where`. */
	if (plain)
		r = store_trigger_scan(e->s, NULL, oldest, 0, false, add_hits, e);
	for (size_t i = 0; r == 0 && i < e->n; i++) {
		const struct config_trigger *t = e->ct[i].t;

		if (!e->rebuild[i])
			continue;
		if (t->where && !e->failed[i]) {
			e->only = i;
			if (prepared(e, i, PRE_REBUILD)) {
				r = replay(e, i);
			} else {
				r = store_trigger_scan(e->s, t->where, e->now - t->window, 0, false,
				                       add_hits, e);
				r = where_outcome(e, i, r);
			}
		}
		if (r == 0 && e->failed[i])
			continue;
		if (r == 0)
			r = store_trigger_def_set(e->s, t->name, e->ct[i].fingerprint, e->now);
		if (r == 0)
			log_info("trigger %s: matched the stored alerts (new or changed trigger)",
			         t->name);
	}
	return r;
}

/* Queue @ev of @group for every channel of the trigger, in the caller's transaction. */
static int notify_group(struct eval *e, const struct trigger_compiled *c, const char *group,
                        const struct store_trigger_state *st, enum trigger_event ev, int64_t count)
{
	const struct config_trigger *t = c->t;
	struct trigger_details *d = calloc(1, sizeof(*d));
	char *payload = NULL, key[TRIGGER_KEY_MAX];
	json_t *note = NULL;
	int r = d ? 0 : -ENOMEM;

	/* Newest first: a storm's notifications read the newest alerts only. */
	if (r == 0) {
		d->limit = TRIGGER_DETAILS_MAX;
		r = store_trigger_hits_alerts(e->s, t->name, group, e->now - t->window, INT64_MAX,
		                              trigger_details_add, d);
		if (r == 1)
			r = 0;
	}
	if (r == 0) {
		note = trigger_notification(e->cfg, c, group, st, ev, count, e->now, d, key);
		payload = note ? json_dumps(note, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		r = payload ? 0 : -ENOMEM;
	}
	for (size_t i = 0; r == 0 && i < t->n_notify; i++) {
		struct store_outbox o = {
		        .idempotency_key = key,
		        .channel = t->notify[i],
		        .trigger_name = t->name,
		        .group = group,
		        .kind = trigger_event_name(ev),
		        .created = e->now,
		        .payload = payload,
		};

		r = store_outbox_add(e->s, &o);
		if (r == 0)
			e->res.queued++;
	}
	if (r == 0)
		log_info("trigger %s%s%s: %s (%lld alert%s, threshold %lld)", t->name,
		         *group ? " group " : "", group, trigger_event_name(ev), (long long)count,
		         count == 1 ? "" : "s", (long long)t->threshold);
	json_decref(note);
	free(payload);
	free(d);
	return r;
}

/* The groups one trigger must step: over the threshold, or not ok. */
struct group_count {
	char group[STORE_GROUP_MAX];
	int64_t count;
};

struct candidates {
	const struct config_trigger *t;
	struct store_trigger_state *active;
	size_t n_active, cap_active;
	struct group_count *list;
	size_t n, cap;
};

static int take_active(const struct store_trigger_state *st, void *arg)
{
	struct candidates *c = arg;
	int r = UTIL_GROW(c->active, c->cap_active, c->n_active + 1);

	if (r < 0)
		return r;
	c->active[c->n_active++] = *st;
	return 0;
}

static int cmp_state(const void *key, const void *elem)
{
	return strcmp(key, ((const struct store_trigger_state *)elem)->group);
}

static int take_count(const char *group, int64_t count, void *arg)
{
	struct candidates *c = arg;
	int r = UTIL_GROW(c->list, c->cap, c->n + 1);

	if (r < 0)
		return r;
	snprintf(c->list[c->n].group, STORE_GROUP_MAX, "%s", group);
	c->list[c->n++].count = count;
	return 0;
}

static int cmp_count(const void *key, const void *elem)
{
	return strcmp(key, ((const struct group_count *)elem)->group);
}

/* Step one group and write what changed. */
static int step_group(struct eval *e, const struct trigger_compiled *c,
                      struct store_trigger_state *st, int64_t count)
{
	enum trigger_event ev = trigger_step(c->t, st, count, e->now);
	int r;

	st->count = count;
	st->updated = e->now;
	r = store_trigger_state_put(e->s, c->t->name, st);
	if (r < 0 || ev == TRIGGER_NONE)
		return r;
	e->res.fired += ev == TRIGGER_FIRED;
	e->res.repeats += ev == TRIGGER_REPEAT;
	e->res.resolved += ev == TRIGGER_RESOLVED;
	return notify_group(e, c, st->group, st, ev, count);
}

static int evaluate_one(struct eval *e, const struct trigger_compiled *c)
{
	const struct config_trigger *t = c->t;
	struct candidates cand = {.t = t};
	struct store_trigger_state st;
	int r;

	r = store_trigger_hits_delete(e->s, t->name, e->now - t->window);
	if (r == 0)
		r = store_trigger_state_list(e->s, t->name, true, take_active, &cand);
	/*
	 * The counts cover every hit after the window's start: an alert stamped a
	 * little ahead of this clock counts already.
	 */
	if (r == 0)
		r = store_trigger_counts(e->s, t->name, t->threshold, take_count, &cand);
	for (size_t i = 0; r == 0 && i < cand.n; i++) {
		struct store_trigger_state *known = NULL;

		if (cand.n_active)
			known = bsearch(cand.list[i].group, cand.active, cand.n_active,
			                sizeof(*cand.active), cmp_state);

		if (known) {
			st = *known;
		} else {
			r = store_trigger_state_get(e->s, t->name, cand.list[i].group, &st);
			if (r == -ENOENT)
				r = 0;
		}
		if (r == 0)
			r = step_group(e, c, &st, cand.list[i].count);
	}
	/* Active groups under the threshold now. */
	for (size_t i = 0; r == 0 && i < cand.n_active; i++) {
		int64_t count;

		if (cand.n &&
		    bsearch(cand.active[i].group, cand.list, cand.n, sizeof(*cand.list), cmp_count))
			continue;
		st = cand.active[i];
		r = store_trigger_count_get(e->s, t->name, st.group, &count);
		if (r == 0)
			r = step_group(e, c, &st, count);
	}
	free(cand.active);
	free(cand.list);
	return r;
}

/*
 * Before the write transaction: run every `where` trigger's scan (of the new
 * alerts, or of its window when it is to be rebuilt) in a read transaction,
 * keeping the hits in memory. A slow `where` then holds no write lock, and
 * webhook pushes and the other writers go on meanwhile. Anything unusual
 * (a store error, too many hits) leaves the trigger to the live scan in the
 * write transaction, which gives the same result. Returns 0 or -EINTR.
 */
static int prepare_where(struct eval *e)
{
	char fp[SIGN_SHA256_HEX_LEN];
	int64_t last = 0, max = 0;
	bool any = false, valid = true, all, rb;
	int r;

	for (size_t i = 0; i < e->n; i++)
		any = any || e->ct[i].t->where;
	if (!any)
		return 0;
	e->pre = calloc(e->n, sizeof(*e->pre));
	if (!e->pre)
		return 0;
	r = store_begin_read(e->s);
	if (r == 0)
		r = store_trigger_cursor(e->s, &last, &max, &valid);
	all = !valid || max - last > TRIGGER_NEW_ROWS_MAX;
	for (size_t i = 0; r == 0 && i < e->n; i++) {
		const struct config_trigger *t = e->ct[i].t;
		struct pre *p = &e->pre[i];

		if (!t->where)
			continue;
		r = store_trigger_def_get(e->s, t->name, fp, sizeof(fp));
		if (r < 0)
			break;
		rb = all || strcmp(fp, e->ct[i].fingerprint) != 0;
		/* add_hits feeds trigger i when rebuilding == rebuild[i]. */
		e->rebuild[i] = e->rebuilding = rb;
		e->only = i;
		e->collect = p;
		if (rb)
			r = store_trigger_scan(e->s, t->where, e->now - t->window, 0, false,
			                       add_hits, e);
		else if (max > last)
			r = store_trigger_scan_new(e->s, t->where, last, add_hits, e);
		e->collect = NULL;
		e->rebuild[i] = false;
		if (r == -ETIME || r == -EFBIG) {
			/* Said now, while the other triggers' scans are still to come. */
			p->err = r;
			r = where_outcome(e, i, r);
		} else if (r < 0 && r != -EINTR) {
			/* Left to the live scan, which reports it. */
			pre_clear(p);
			r = 0;
			continue;
		}
		if (r == 0)
			p->mode = rb ? PRE_REBUILD : PRE_NEW;
	}
	store_rollback(e->s); /* the read transaction: nothing to keep */
	e->pre_last = last;
	e->pre_max = max;
	if (r < 0) {
		for (size_t i = 0; i < e->n; i++)
			pre_clear(&e->pre[i]);
		free(e->pre);
		e->pre = NULL;
	}
	return r == -EINTR ? r : 0;
}

/* The triggers whose `where` went over budget: no hits kept, the reason recorded. */
static int finish_failed(struct eval *e)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < e->n; i++) {
		if (!e->failed[i])
			continue;
		r = store_trigger_hits_delete(e->s, e->ct[i].t->name, INT64_MAX);
		if (r == 0)
			r = store_trigger_def_fail(e->s, e->ct[i].t->name, e->why[i], e->now);
	}
	return r;
}

int trigger_evaluate(struct store *s, const struct config *cfg, int64_t now,
                     struct trigger_result *res)
{
	struct eval e = {.s = s, .cfg = cfg, .now = now, .n = cfg->n_triggers};
	int64_t last, max, longest = 0;
	bool begun = false, valid;
	int r = 0;

	e.ct = calloc(e.n + 1, sizeof(*e.ct));
	e.rebuild = calloc(e.n + 1, sizeof(*e.rebuild));
	e.failed = calloc(e.n + 1, sizeof(*e.failed));
	e.why = calloc(e.n + 1, sizeof(*e.why));
	if (!e.ct || !e.rebuild || !e.failed || !e.why) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; r == 0 && i < e.n; i++) {
		r = trigger_compile(cfg, &cfg->triggers[i], &e.ct[i]);
		if (cfg->triggers[i].window > longest)
			longest = cfg->triggers[i].window;
	}
	if (r < 0)
		goto out;
	r = prepare_where(&e);
	if (r < 0)
		goto out;
	r = store_begin(s);
	if (r < 0)
		goto out;
	begun = true;
	r = store_trigger_cursor(s, &last, &max, &valid);
	/*
	 * One evaluator at a time (the run lock): a cursor that moved since
	 * prepare_where means its hits are stale; the live scans run instead.
	 */
	if (r == 0 && e.pre && (last != e.pre_last || max < e.pre_max)) {
		for (size_t i = 0; i < e.n; i++)
			pre_clear(&e.pre[i]);
		free(e.pre);
		e.pre = NULL;
	}
	/* The prepared hits cover the rows up to the cursor they saw; the rest is next time's. */
	if (r == 0 && e.pre)
		max = e.pre_max;
	if (r == 0 && !valid)
		log_info("stored alerts were removed or renumbered: matching them again");
	/*
	 * After a backfill, reading the longest window by date costs less than reading
	 * every new row: rebuild instead, with the same result.
	 */
	if (r == 0)
		r = mark_rebuild(&e, !valid || max - last > TRIGGER_NEW_ROWS_MAX);
	if (r == 0 && e.res.rebuilt < (int64_t)e.n && max > last)
		r = match_new(&e, last);
	if (r == 0)
		r = recheck(&e, longest);
	if (r == 0)
		r = rebuild(&e);
	if (r == 0 && max != last)
		r = store_trigger_cursor_set(s, max);
	if (r == 0)
		r = finish_failed(&e);
	for (size_t i = 0; r == 0 && i < e.n; i++) {
		if (e.failed[i])
			continue;
		r = evaluate_one(&e, &e.ct[i]);
		e.res.evaluated++;
	}
	if (r == 0)
		r = store_trigger_prune(s, now - cfg->retention);
	if (r == 0)
		r = store_commit(s);
out:
	if (r < 0 && begun)
		store_rollback(s);
	for (size_t i = 0; e.ct && i < e.n; i++)
		trigger_compiled_finish(&e.ct[i]);
	for (size_t i = 0; e.pre && i < e.n; i++)
		pre_clear(&e.pre[i]);
	free(e.pre);
	free(e.ct);
	free(e.rebuild);
	free(e.failed);
	free(e.why);
	if (res)
		*res = e.res;
	return r;
}

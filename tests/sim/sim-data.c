/* SPDX-License-Identifier: MIT */
/*
 * The simulator's data: accounts with their credentials and, per account, an
 * array of compact alert records ordered by (date_created, sid) plus a sid index
 * for fetches. Generated alerts are deterministic for a seed and the sim clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sim.h"

int sim_init(struct sim *s)
{
	memset(s, 0, sizeof(*s));
	if (pthread_rwlock_init(&s->lock, NULL) != 0)
		return -ENOMEM;
	if (pthread_mutex_init(&s->fault_lock, NULL) != 0) {
		pthread_rwlock_destroy(&s->lock);
		return -ENOMEM;
	}
	if (pthread_mutex_init(&s->log_lock, NULL) != 0) {
		pthread_mutex_destroy(&s->fault_lock);
		pthread_rwlock_destroy(&s->lock);
		return -ENOMEM;
	}
	s->seed = 1;
	s->max_results = 10000;
	s->log = xcalloc(SIM_LOG_CAP, sizeof(*s->log));
	return 0;
}

static void account_destroy(struct sim_account *a)
{
	if (!a)
		return;
	free(a->token);
	for (size_t i = 0; i < a->nkeys; i++)
		free(a->keys[i].secret);
	free(a->keys);
	for (size_t i = 0; i < a->nextras; i++)
		for (int f = 0; f < SIM_F_COUNT; f++)
			free(a->extras[i].field[f]);
	free(a->extras);
	free(a->recs);
	free(a->index);
	free(a);
}

void sim_finish(struct sim *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->naccounts; i++)
		account_destroy(s->accounts[i]);
	free(s->accounts);
	free(s->faults);
	if (s->log) {
		for (size_t i = 0; i < SIM_LOG_CAP; i++) {
			free(s->log[i].method);
			free(s->log[i].path);
		}
		free(s->log);
	}
	pthread_mutex_destroy(&s->log_lock);
	pthread_mutex_destroy(&s->fault_lock);
	pthread_rwlock_destroy(&s->lock);
}

int64_t sim_now(const struct sim *s)
{
	return (int64_t)time(NULL) + s->clock_offset;
}

struct sim_account *sim_account_find(struct sim *s, const char *sid)
{
	for (size_t i = 0; i < s->naccounts; i++)
		if (strcasecmp(s->accounts[i]->sid, sid) == 0)
			return s->accounts[i];
	return NULL;
}

struct sim_account *sim_account_add(struct sim *s, const char *sid, const char *token)
{
	struct sim_account *a = sim_account_find(s, sid);

	if (a) {
		free(a->token);
		a->token = xstrdup(token);
		return a;
	}
	a = xcalloc(1, sizeof(*a));
	snprintf(a->sid, sizeof(a->sid), "%s", sid);
	a->token = xstrdup(token);
	s->accounts = xrealloc(s->accounts, (s->naccounts + 1) * sizeof(*s->accounts));
	s->accounts[s->naccounts++] = a;
	return a;
}

void sim_account_add_key(struct sim_account *a, const char *sid, const char *secret)
{
	for (size_t i = 0; i < a->nkeys; i++) {
		if (strcmp(a->keys[i].sid, sid) == 0) {
			free(a->keys[i].secret);
			a->keys[i].secret = xstrdup(secret);
			return;
		}
	}
	a->keys = xrealloc(a->keys, (a->nkeys + 1) * sizeof(*a->keys));
	snprintf(a->keys[a->nkeys].sid, sizeof(a->keys[a->nkeys].sid), "%s", sid);
	a->keys[a->nkeys].secret = xstrdup(secret);
	a->nkeys++;
}

struct sim_account *sim_authenticate(struct sim *s, const char *user, const char *pass)
{
	for (size_t i = 0; i < s->naccounts; i++) {
		struct sim_account *a = s->accounts[i];

		if (strcmp(a->sid, user) == 0)
			return strcmp(a->token, pass) == 0 ? a : NULL;
		for (size_t k = 0; k < a->nkeys; k++)
			if (strcmp(a->keys[k].sid, user) == 0)
				return strcmp(a->keys[k].secret, pass) == 0 ? a : NULL;
	}
	return NULL;
}

int sim_rec_cmp(const struct sim_rec *x, const struct sim_rec *y)
{
	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return memcmp(x->sid, y->sid, 16);
}

static int rec_qsort_cmp(const void *x, const void *y)
{
	return sim_rec_cmp(x, y);
}

static uint64_t sid_key(const uint8_t sid[16])
{
	uint64_t k;

	memcpy(&k, sid, sizeof(k));
	return k;
}

static size_t slot_of(uint64_t key, size_t cap)
{
	uint64_t h = key;

	return (size_t)(sim_rand(&h) & (cap - 1));
}

static void index_put_raw(struct sim_slot *tab, size_t cap, uint64_t key, int64_t created)
{
	size_t i = slot_of(key, cap);

	while (tab[i].created != INT64_MIN)
		i = (i + 1) & (cap - 1);
	tab[i].key = key;
	tab[i].created = created;
}

/* Keeps the load factor at or below one half so probes stay short. */
static void index_put(struct sim_account *a, const uint8_t sid[16], int64_t created)
{
	if ((a->index_used + 1) * 2 > a->index_cap) {
		size_t cap = a->index_cap ? a->index_cap * 2 : 1024;
		struct sim_slot *tab = xmalloc(cap * sizeof(*tab));

		for (size_t i = 0; i < cap; i++)
			tab[i].created = INT64_MIN;
		for (size_t i = 0; i < a->index_cap; i++)
			if (a->index[i].created != INT64_MIN)
				index_put_raw(tab, cap, a->index[i].key, a->index[i].created);
		free(a->index);
		a->index = tab;
		a->index_cap = cap;
	}
	index_put_raw(a->index, a->index_cap, sid_key(sid), created);
	a->index_used++;
}

bool sim_contains_prefix(const struct sim_account *a, const uint8_t sid[16])
{
	uint64_t key = sid_key(sid);

	if (!a->index_cap)
		return false;
	for (size_t i = slot_of(key, a->index_cap); a->index[i].created != INT64_MIN;
	     i = (i + 1) & (a->index_cap - 1))
		if (a->index[i].key == key)
			return true;
	return false;
}

size_t sim_lower_bound(const struct sim_account *a, int64_t t, const uint8_t *sid)
{
	static const uint8_t zero[16];
	struct sim_rec probe = {.created = t};
	size_t lo = 0, hi = a->nrecs;

	memcpy(probe.sid, sid ? sid : zero, 16);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sim_rec_cmp(&a->recs[mid], &probe) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t sim_upper_bound(const struct sim_account *a, int64_t t, const uint8_t *sid)
{
	struct sim_rec probe = {.created = t};
	size_t lo = 0, hi = a->nrecs;

	if (sid)
		memcpy(probe.sid, sid, 16);
	else
		memset(probe.sid, 0xff, 16);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sim_rec_cmp(&a->recs[mid], &probe) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

long sim_find_alert(const struct sim_account *a, const uint8_t sid[16])
{
	uint64_t key = sid_key(sid);

	if (!a->index_cap)
		return -1;
	for (size_t i = slot_of(key, a->index_cap); a->index[i].created != INT64_MIN;
	     i = (i + 1) & (a->index_cap - 1)) {
		size_t pos;

		if (a->index[i].key != key)
			continue;
		pos = sim_lower_bound(a, a->index[i].created, sid);
		if (pos < a->nrecs && a->recs[pos].created == a->index[i].created &&
		    memcmp(a->recs[pos].sid, sid, 16) == 0)
			return (long)pos;
	}
	return -1;
}

/*
 * Merges sorted @add into recs from the back, in place: the common case (new
 * alerts newer than everything) degenerates into an append.
 */
static void merge_recs(struct sim_account *a, struct sim_rec *add, size_t n)
{
	size_t i, j, k;

	if (a->nrecs + n > a->caprecs) {
		size_t cap = a->caprecs ? a->caprecs : 1024;

		while (cap < a->nrecs + n)
			cap *= 2;
		a->recs = xrealloc(a->recs, cap * sizeof(*a->recs));
		a->caprecs = cap;
	}
	i = a->nrecs;
	j = n;
	k = a->nrecs + n;
	while (j > 0) {
		if (i > 0 && sim_rec_cmp(&a->recs[i - 1], &add[j - 1]) > 0)
			a->recs[--k] = a->recs[--i];
		else
			a->recs[--k] = add[--j];
	}
	a->nrecs += n;
}

void sim_insert(struct sim_account *a, struct sim_rec *recs, size_t n)
{
	qsort(recs, n, sizeof(*recs), rec_qsort_cmp);
	for (size_t i = 0; i < n; i++)
		index_put(a, recs[i].sid, recs[i].created);
	merge_recs(a, recs, n);
}

uint32_t sim_extra_new(struct sim_account *a)
{
	if (a->nextras == a->capextras) {
		a->capextras = a->capextras ? a->capextras * 2 : 64;
		a->extras = xrealloc(a->extras, a->capextras * sizeof(*a->extras));
	}
	memset(&a->extras[a->nextras], 0, sizeof(a->extras[0]));
	return (uint32_t)a->nextras++;
}

size_t sim_generate(struct sim *s, struct sim_account *a, size_t count, double days, uint64_t seed)
{
	int64_t now = sim_now(s);
	int64_t span = (int64_t)(days * 86400.0);
	uint64_t state = seed ^ sim_hash(a->sid, strlen(a->sid));
	struct sim_rec *recs;

	if (span < 1)
		span = 1;
	if (!count)
		return 0;
	recs = xmalloc(count * sizeof(*recs));
	for (size_t i = 0; i < count; i++) {
		struct sim_rec *r = &recs[i];
		uint64_t w[2];

		/* Redraw on a prefix clash so the index key stays nearly unique. */
		do {
			w[0] = sim_rand(&state);
			w[1] = sim_rand(&state);
			memcpy(r->sid, w, 16);
		} while (sim_contains_prefix(a, r->sid));
		r->created = now - (int64_t)(sim_rand(&state) % (uint64_t)span);
		r->extra = SIM_NO_EXTRA;
		r->level = sim_level_for(r->sid, NULL);
		index_put(a, r->sid, r->created);
	}
	qsort(recs, count, sizeof(*recs), rec_qsort_cmp);
	merge_recs(a, recs, count);
	free(recs);
	return count;
}

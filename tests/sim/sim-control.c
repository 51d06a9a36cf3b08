/* SPDX-License-Identifier: MIT */
/*
 * The /_sim/ control API (only with --control): add accounts and alerts, generate
 * data, move the clock, queue faults for the next /v1/ requests, read the request
 * log and the truth of which alerts exist. JSON bodies are parsed with jansson.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "sim.h"

#define ALERTS_PER_POST_CAP 1000000 /* alerts in one POST /_sim/alerts */
#define GENERATE_CAP 20000000       /* alerts in one generate call */

static const char *const fault_names[] = {
        [SIM_FAULT_429] = "429",     [SIM_FAULT_500] = "500",   [SIM_FAULT_503] = "503",
        [SIM_FAULT_SLOW] = "slow",   [SIM_FAULT_CUT] = "cut",   [SIM_FAULT_BADJSON] = "badjson",
        [SIM_FAULT_RESET] = "reset", [SIM_FAULT_STEP] = "step", [SIM_FAULT_LATE] = "late",
};

const char *sim_fault_name(enum sim_fault_type t)
{
	return fault_names[t];
}

static void fail(struct sim_reply *r, int status, const char *msg)
{
	r->status = status;
	r->body.len = 0;
	buf_adds(&r->body, "{\"error\": ");
	buf_json_strz(&r->body, msg);
	buf_printf(&r->body, ", \"status\": %d}", status);
}

/* Replies with @j (which it consumes) serialised. */
static void reply_json(struct sim_reply *r, int status, json_t *j)
{
	char *txt = json_dumps(j, JSON_COMPACT);

	r->status = status;
	r->body.len = 0;
	buf_adds(&r->body, txt ? txt : "{}");
	free(txt);
	json_decref(j);
}

static json_t *parse_body(const struct sim_request *rq, struct sim_reply *r)
{
	json_error_t err;
	json_t *j = json_loadb(rq->body ? rq->body : "", rq->body_len, 0, &err);
	struct buf m;

	if (j && json_is_object(j))
		return j;
	json_decref(j);
	buf_init(&m);
	buf_printf(&m, "body must be a JSON object: %s", j ? "not an object" : err.text);
	fail(r, 400, m.p);
	buf_finish(&m);
	return NULL;
}

static void clock_reply(struct sim *s, struct sim_reply *r)
{
	struct buf b;
	int64_t now = sim_now(s);

	buf_init(&b);
	buf_iso8601(&b, now);
	reply_json(r, 200,
	           json_pack("{s:s, s:I, s:I}", "now", b.p, "epoch", (json_int_t)now, "offset",
	                     (json_int_t)s->clock_offset));
	buf_finish(&b);
}

static void do_clock(struct sim *s, const struct sim_request *rq, struct sim_reply *r)
{
	json_t *j, *v;
	int64_t t;

	if (strcmp(rq->method, "GET") == 0) {
		pthread_rwlock_rdlock(&s->lock);
		clock_reply(s, r);
		pthread_rwlock_unlock(&s->lock);
		return;
	}
	j = parse_body(rq, r);
	if (!j)
		return;
	pthread_rwlock_wrlock(&s->lock);
	if ((v = json_object_get(j, "now"))) {
		if (json_is_integer(v)) {
			t = json_integer_value(v);
		} else if (!json_is_string(v) || sim_parse_time(json_string_value(v), &t, NULL)) {
			fail(r, 400, "now must be an ISO 8601 UTC time or a Unix time");
			goto out;
		}
		s->clock_offset = t - (sim_now(s) - s->clock_offset);
	} else if ((v = json_object_get(j, "advance")) && json_is_number(v)) {
		s->clock_offset += (int64_t)json_number_value(v);
	} else {
		fail(r, 400, "expected {\"now\": TIME} or {\"advance\": SECONDS}");
		goto out;
	}
	clock_reply(s, r);
out:
	pthread_rwlock_unlock(&s->lock);
	json_decref(j);
}

static void do_accounts(struct sim *s, const struct sim_request *rq, struct sim_reply *r)
{
	json_t *j, *keys, *k, *out;
	const char *sid, *token;
	struct sim_account *a;
	size_t i;

	if (strcmp(rq->method, "GET") == 0) {
		out = json_array();
		pthread_rwlock_rdlock(&s->lock);
		for (i = 0; i < s->naccounts; i++) {
			json_t *ks = json_array();

			for (size_t n = 0; n < s->accounts[i]->nkeys; n++)
				json_array_append_new(ks, json_string(s->accounts[i]->keys[n].sid));
			json_array_append_new(out, json_pack("{s:s, s:I, s:o}", "sid",
			                                     s->accounts[i]->sid, "alerts",
			                                     (json_int_t)s->accounts[i]->nrecs,
			                                     "api_keys", ks));
		}
		pthread_rwlock_unlock(&s->lock);
		reply_json(r, 200, json_pack("{s:o}", "accounts", out));
		return;
	}
	j = parse_body(rq, r);
	if (!j)
		return;
	sid = json_string_value(json_object_get(j, "sid"));
	token = json_string_value(json_object_get(j, "token"));
	keys = json_object_get(j, "api_keys");
	if (!sim_valid_sid(sid, "AC") || !token || !*token) {
		fail(r, 400, "expected {\"sid\": \"AC + 32 hex\", \"token\": \"...\"}");
		goto out;
	}
	json_array_foreach(keys, i, k)
	{
		const char *ks = json_string_value(json_object_get(k, "sid"));
		const char *sec = json_string_value(json_object_get(k, "secret"));

		if (!sim_valid_sid(ks, "SK") || !sec || !*sec) {
			fail(r, 400, "api_keys entries are {\"sid\": \"SK + 32 hex\", \"secret\"}");
			goto out;
		}
	}
	pthread_rwlock_wrlock(&s->lock);
	a = sim_account_add(s, sid, token);
	json_array_foreach(keys, i, k)
	        sim_account_add_key(a, json_string_value(json_object_get(k, "sid")),
	                            json_string_value(json_object_get(k, "secret")));
	pthread_rwlock_unlock(&s->lock);
	reply_json(r, 201, json_pack("{s:s}", "sid", sid));
out:
	json_decref(j);
}

static struct sim_account *account_arg(struct sim *s, const char *sid, struct sim_reply *r)
{
	struct sim_account *a;

	if (!sid && s->naccounts > 0)
		return s->accounts[0];
	a = sid ? sim_account_find(s, sid) : NULL;
	if (!a)
		fail(r, 404, "unknown account_sid");
	return a;
}

struct pending {
	struct sim_rec rec;
	struct sim_extra ex;
	bool has_ex;
	const char *code;
};

static void pending_free(struct pending *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++)
		for (int f = 0; f < SIM_F_COUNT; f++)
			free(p[i].ex.field[f]);
	free(p);
}

static int sid_cmp(const void *x, const void *y)
{
	return memcmp(((const struct pending *)x)->rec.sid, ((const struct pending *)y)->rec.sid,
	              16);
}

/*
 * The "raw" member of an added alert: field name -> hex of the bytes to
 * paste as that field's JSON value (invalid JSON or UTF-8 included, so a
 * test can serve what no JSON encoder would write). No NUL bytes.
 */
static const char *parse_raw(json_t *raw, struct pending *p)
{
	const char *key;
	json_t *val;

	if (!json_is_object(raw))
		return "raw must be an object of field: hex";
	json_object_foreach(raw, key, val)
	{
		const char *hex = json_string_value(val);
		size_t n = hex ? strlen(hex) / 2 : 0;
		uint8_t *bytes;
		int f;

		for (f = 0; f < SIM_F_COUNT; f++)
			if (strcmp(key, sim_field_names[f]) == 0)
				break;
		if (f == SIM_F_COUNT || f == SIM_F_ERROR_CODE)
			return "raw: unknown alert field (error_code cannot be raw)";
		if (!hex || !n || strlen(hex) % 2)
			return "raw: values must be non-empty hex strings";
		bytes = xmalloc(n + 1);
		if (sim_parse_hex(hex, bytes, n) < 0 || memchr(bytes, 0, n)) {
			free(bytes);
			return "raw: values must be hex, without 00 bytes";
		}
		bytes[n] = 0;
		free(p->ex.field[f]);
		p->ex.field[f] = (char *)bytes;
		p->has_ex = true;
		p->ex.given |= 1u << f;
		p->ex.is_raw |= 1u << f;
		p->ex.is_null &= ~(1u << f);
	}
	return NULL;
}

/* Parses one alert object into @p; returns an error message or NULL. */
static const char *parse_alert(json_t *o, int64_t now, uint64_t *rnd, struct pending *p)
{
	const char *key, *v;
	json_t *val;
	int level = -1;

	if (!json_is_object(o))
		return "each alert must be an object";
	p->rec.created = now;
	p->rec.extra = SIM_NO_EXTRA;
	json_object_foreach(o, key, val)
	{
		int f;

		if (strcmp(key, "account_sid") == 0 || strcmp(key, "url") == 0)
			continue;
		if (strcmp(key, "sid") == 0) {
			v = json_string_value(val);
			if (!sim_valid_sid(v, "NO"))
				return "sid must be NO + 32 hex digits";
			sim_parse_hex(v + 2, p->rec.sid, 16);
			continue;
		}
		if (strcmp(key, "age") == 0) {
			if (!json_is_number(val))
				return "age must be a number of seconds";
			p->rec.created = now - (int64_t)json_number_value(val);
			continue;
		}
		if (strncmp(key, "date_", 5) == 0) {
			int64_t t;

			v = json_string_value(val);
			if (!v || sim_parse_time(v, &t, NULL) < 0)
				return "dates must be YYYY-MM-DDThh:mm:ssZ";
			if (strcmp(key, "date_created") == 0) {
				p->rec.created = t;
			} else if (strcmp(key, "date_generated") == 0) {
				p->ex.generated = t;
				p->ex.has_generated = p->has_ex = true;
			} else if (strcmp(key, "date_updated") == 0) {
				p->ex.updated = t;
				p->ex.has_updated = p->has_ex = true;
			} else {
				return "unknown date field";
			}
			continue;
		}
		if (strcmp(key, "raw") == 0) {
			/* {"field": "hex"}: the bytes of the field's JSON value, valid or not. */
			const char *err = parse_raw(val, p);

			if (err)
				return err;
			continue;
		}
		if (strcmp(key, "log_level") == 0) {
			v = json_string_value(val);
			level = v ? sim_level_parse(v) : SIM_LEVEL_NONE;
			if (level == SIM_LEVEL_NONE)
				return "log_level must be error, warning, notice or debug";
			continue;
		}
		for (f = 0; f < SIM_F_COUNT; f++)
			if (strcmp(key, sim_field_names[f]) == 0)
				break;
		if (f == SIM_F_COUNT)
			return "unknown alert field";
		p->has_ex = true;
		p->ex.given |= 1u << f;
		p->ex.is_raw &= ~(1u << f);
		free(p->ex.field[f]); /* a "raw" one given before */
		p->ex.field[f] = NULL;
		if (json_is_null(val)) {
			p->ex.is_null |= 1u << f;
		} else if (json_is_string(val)) {
			p->ex.field[f] = xstrdup(json_string_value(val));
		} else if (f == SIM_F_ERROR_CODE && json_is_integer(val)) {
			char num[32];

			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(val));
			p->ex.field[f] = xstrdup(num);
		} else {
			return "alert fields must be strings or null";
		}
	}
	if (!json_object_get(o, "sid")) {
		uint64_t w[2] = {sim_rand(rnd), sim_rand(rnd)};

		memcpy(p->rec.sid, w, 16);
	}
	if (p->ex.given & (1u << SIM_F_ERROR_CODE))
		p->code = p->ex.field[SIM_F_ERROR_CODE];
	p->rec.level = level >= 0 ? (uint8_t)level : sim_level_for(p->rec.sid, p->code);
	return NULL;
}

static void add_alerts(struct sim *s, const struct sim_request *rq, struct sim_reply *r)
{
	json_t *j, *arr, *o, *sids;
	struct sim_account *a;
	struct pending *p = NULL, *sorted = NULL;
	struct sim_rec *recs = NULL;
	const char *err = NULL;
	size_t n = 0, i;
	uint64_t rnd;
	int64_t now;

	j = parse_body(rq, r);
	if (!j)
		return;
	arr = json_object_get(j, "alerts");
	if (!json_is_array(arr) || json_array_size(arr) > ALERTS_PER_POST_CAP) {
		fail(r, 400, "expected {\"account_sid\": ..., \"alerts\": [{...}, ...]}");
		json_decref(j);
		return;
	}
	pthread_rwlock_wrlock(&s->lock);
	a = account_arg(s, json_string_value(json_object_get(j, "account_sid")), r);
	if (!a)
		goto out;
	now = sim_now(s);
	rnd = s->seed ^ sim_hash(a->sid, strlen(a->sid)) ^ (++s->generate_calls << 32);
	n = json_array_size(arr);
	p = xcalloc(n, sizeof(*p));
	json_array_foreach(arr, i, o)
	{
		if ((err = parse_alert(o, now, &rnd, &p[i]))) {
			fail(r, 400, err);
			goto out;
		}
	}
	/* Reject duplicates within the request and against what exists. */
	sorted = xmalloc(n * sizeof(*sorted));
	memcpy(sorted, p, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), sid_cmp);
	for (i = 0; i < n; i++) {
		if ((i > 0 && sid_cmp(&sorted[i - 1], &sorted[i]) == 0) ||
		    sim_find_alert(a, p[i].rec.sid) >= 0) {
			fail(r, 409, "duplicate alert sid");
			goto out;
		}
	}
	recs = xmalloc(n * sizeof(*recs));
	sids = json_array();
	for (i = 0; i < n; i++) {
		struct buf sb;

		if (p[i].has_ex) {
			p[i].rec.extra = sim_extra_new(a);
			a->extras[p[i].rec.extra] = p[i].ex;
			memset(&p[i].ex, 0, sizeof(p[i].ex));
		}
		recs[i] = p[i].rec;
		buf_init(&sb);
		buf_adds(&sb, "NO");
		buf_hex(&sb, p[i].rec.sid, 16);
		json_array_append_new(sids, json_string(sb.p));
		buf_finish(&sb);
	}
	sim_insert(a, recs, n);
	reply_json(r, 201,
	           json_pack("{s:s, s:o, s:I}", "account_sid", a->sid, "sids", sids, "count",
	                     (json_int_t)n));
out:
	pthread_rwlock_unlock(&s->lock);
	pending_free(p, n);
	free(sorted);
	free(recs);
	json_decref(j);
}

static void list_sids(struct sim *s, const struct sim_request *rq, struct sim_reply *r)
{
	struct sim_account *a;
	size_t lo, count = 0;
	const char *v;
	bool dates;

	pthread_rwlock_rdlock(&s->lock);
	a = account_arg(s, sim_request_arg(rq, "account_sid"), r);
	if (!a)
		goto out;
	lo = sim_lower_bound(a, sim_now(s) - SIM_WINDOW_SECS, NULL);
	dates = (v = sim_request_arg(rq, "dates")) && strcmp(v, "1") == 0;
	r->status = 200;
	buf_reserve(&r->body, (a->nrecs - lo) * (dates ? 60 : 37) + 64);
	buf_adds(&r->body, "{\"sids\":[");
	for (size_t i = a->nrecs; i > lo; i--, count++) {
		if (count)
			buf_addc(&r->body, ',');
		buf_adds(&r->body, "\"NO");
		buf_hex(&r->body, a->recs[i - 1].sid, 16);
		buf_addc(&r->body, '"');
	}
	/* ?dates=1: the date_created of each, in the same order (a test's oracle). */
	if (dates) {
		buf_adds(&r->body, "],\"dates\":[");
		for (size_t i = a->nrecs; i > lo; i--) {
			if (i != a->nrecs)
				buf_addc(&r->body, ',');
			buf_addc(&r->body, '"');
			buf_iso8601(&r->body, a->recs[i - 1].created);
			buf_addc(&r->body, '"');
		}
	}
	buf_printf(&r->body, "],\"count\":%zu}", count);
out:
	pthread_rwlock_unlock(&s->lock);
}

static void clear_alerts(struct sim *s, const struct sim_request *rq, struct sim_reply *r)
{
	struct sim_account *a;
	size_t n;

	pthread_rwlock_wrlock(&s->lock);
	a = account_arg(s, sim_request_arg(rq, "account_sid"), r);
	if (a) {
		n = a->nrecs;
		for (size_t i = 0; i < a->nextras; i++)
			for (int f = 0; f < SIM_F_COUNT; f++)
				free(a->extras[i].field[f]);
		a->nextras = 0;
		a->nrecs = 0;
		for (size_t i = 0; i < a->index_cap; i++)
			a->index[i].created = INT64_MIN;
		a->index_used = 0;
		reply_json(r, 200, json_pack("{s:I}", "deleted", (json_int_t)n));
	}
	pthread_rwlock_unlock(&s->lock);
}

static void do_generate(struct sim *s, const struct sim_request *rq, struct sim_reply *r)
{
	json_t *j = parse_body(rq, r), *v;
	struct sim_account *a;
	json_int_t count;
	double days = 30;
	uint64_t seed;
	size_t added;

	if (!j)
		return;
	count = json_integer_value(json_object_get(j, "count"));
	if ((v = json_object_get(j, "days")) && json_is_number(v))
		days = json_number_value(v);
	if (count < 0 || count > GENERATE_CAP || days <= 0 || days > 3650) {
		fail(r, 400, "expected {\"account_sid\", \"count\": 0..20000000, \"days\" > 0}");
		json_decref(j);
		return;
	}
	pthread_rwlock_wrlock(&s->lock);
	a = account_arg(s, json_string_value(json_object_get(j, "account_sid")), r);
	if (a) {
		v = json_object_get(j, "seed");
		seed = json_is_integer(v) ? (uint64_t)json_integer_value(v)
		                          : s->seed + 0x632be59bd9b4e019ULL * ++s->generate_calls;
		added = sim_generate(s, a, (size_t)count, days, seed);
		reply_json(r, 200,
		           json_pack("{s:s, s:I, s:I}", "account_sid", a->sid, "count",
		                     (json_int_t)added, "total", (json_int_t)a->nrecs));
	}
	pthread_rwlock_unlock(&s->lock);
	json_decref(j);
}

static int fault_type(json_t *v, enum sim_fault_type *out)
{
	char num[16];
	const char *t = json_string_value(v);

	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		t = num;
	}
	for (size_t i = 0; t && i < sizeof(fault_names) / sizeof(fault_names[0]); i++) {
		if (strcasecmp(t, fault_names[i]) == 0) {
			*out = (enum sim_fault_type)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void faults_reply(struct sim *s, struct sim_reply *r)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < s->fault_len; i++) {
		const struct sim_fault *f = &s->faults[(s->fault_head + i) % s->fault_cap];
		json_t *o = json_pack("{s:s}", "type", fault_names[f->type]);

		if (f->type == SIM_FAULT_429 && f->retry_after >= 0)
			json_object_set_new(o, "retry_after", json_integer(f->retry_after));
		if (f->ms > 0)
			json_object_set_new(o, "ms", json_integer(f->ms));
		if (f->type == SIM_FAULT_STEP)
			json_object_set_new(o, "seconds", json_integer(f->seconds));
		if (f->type == SIM_FAULT_LATE)
			json_object_set_new(o, "age", json_integer(f->age));
		json_array_append_new(arr, o);
	}
	reply_json(r, 200,
	           json_pack("{s:o, s:I}", "faults", arr, "count", (json_int_t)s->fault_len));
}

static void fault_push(struct sim *s, const struct sim_fault *f)
{
	if (s->fault_len == s->fault_cap) {
		size_t cap = s->fault_cap ? s->fault_cap * 2 : 16;
		struct sim_fault *q = xmalloc(cap * sizeof(*q));

		for (size_t i = 0; i < s->fault_len; i++)
			q[i] = s->faults[(s->fault_head + i) % s->fault_cap];
		free(s->faults);
		s->faults = q;
		s->fault_cap = cap;
		s->fault_head = 0;
	}
	s->faults[(s->fault_head + s->fault_len) % s->fault_cap] = *f;
	s->fault_len++;
}

bool sim_fault_pop(struct sim *s, struct sim_fault *out)
{
	bool got = false;

	pthread_mutex_lock(&s->fault_lock);
	if (s->fault_len > 0) {
		*out = s->faults[s->fault_head];
		s->fault_head = (s->fault_head + 1) % s->fault_cap;
		s->fault_len--;
		got = true;
	}
	pthread_mutex_unlock(&s->fault_lock);
	return got;
}

int sim_add_late(struct sim *s, const char *account_sid, int64_t age)
{
	struct sim_account *a;
	struct sim_rec rec = {0};
	uint64_t rnd, w[2];

	pthread_rwlock_wrlock(&s->lock);
	a = sim_account_find(s, account_sid);
	if (!a) {
		pthread_rwlock_unlock(&s->lock);
		return -ENOENT;
	}
	rnd = s->seed ^ sim_hash(a->sid, strlen(a->sid)) ^ (++s->generate_calls << 32);
	do {
		w[0] = sim_rand(&rnd);
		w[1] = sim_rand(&rnd);
		memcpy(rec.sid, w, 16);
	} while (sim_find_alert(a, rec.sid) >= 0);
	rec.created = sim_now(s) - age;
	rec.extra = SIM_NO_EXTRA;
	rec.level = sim_level_for(rec.sid, NULL);
	sim_insert(a, &rec, 1);
	pthread_rwlock_unlock(&s->lock);
	return 0;
}

static void do_faults(struct sim *s, const struct sim_request *rq, struct sim_reply *r)
{
	json_t *j, *arr, *o;
	struct sim_fault *list = NULL;
	size_t i, total = 0, nlist = 0;

	if (strcmp(rq->method, "POST") != 0) {
		pthread_mutex_lock(&s->fault_lock);
		if (strcmp(rq->method, "DELETE") == 0)
			s->fault_len = 0;
		faults_reply(s, r);
		pthread_mutex_unlock(&s->fault_lock);
		return;
	}
	j = parse_body(rq, r);
	if (!j)
		return;
	arr = json_object_get(j, "faults");
	if (!json_is_array(arr)) {
		fail(r, 400, "expected {\"faults\": [{\"type\": ...}]}");
		goto out;
	}
	list = xcalloc(json_array_size(arr) + 1, sizeof(*list));
	json_array_foreach(arr, i, o)
	{
		struct sim_fault *f = &list[nlist];
		json_t *c = json_object_get(o, "count"), *ra = json_object_get(o, "retry_after");

		json_t *ms = json_object_get(o, "ms");

		if (fault_type(json_object_get(o, "type"), &f->type) < 0) {
			fail(r, 400,
			     "fault type must be 429, 500, 503, slow, cut, badjson, reset, step or "
			     "late");
			goto out;
		}
		f->retry_after = json_is_integer(ra) ? (int)json_integer_value(ra) : -1;
		f->ratelimit_headers = json_is_true(json_object_get(o, "ratelimit_headers"));
		/* Any fault may wait first: a slow 503, a reset after a stall. */
		if ((ms && !json_is_integer(ms)) ||
		    (ms && (json_integer_value(ms) < 0 || json_integer_value(ms) > 600000)) ||
		    (f->type == SIM_FAULT_SLOW && (!ms || json_integer_value(ms) < 1))) {
			fail(r, 400, "\"ms\" is 0..600000 (slow faults: 1..600000)");
			goto out;
		}
		f->ms = ms ? (int)json_integer_value(ms) : 0;
		if (f->type == SIM_FAULT_STEP) {
			json_t *sec = json_object_get(o, "seconds");

			if (!json_is_integer(sec) || json_integer_value(sec) < -SIM_WINDOW_SECS ||
			    json_integer_value(sec) > SIM_WINDOW_SECS) {
				fail(r, 400, "step faults need \"seconds\": -2592000..2592000");
				goto out;
			}
			f->seconds = json_integer_value(sec);
		}
		if (f->type == SIM_FAULT_LATE) {
			json_t *age = json_object_get(o, "age");

			if (!json_is_integer(age) || json_integer_value(age) < 0 ||
			    json_integer_value(age) > SIM_WINDOW_SECS) {
				fail(r, 400, "late faults need \"age\": 0..2592000 seconds");
				goto out;
			}
			f->age = json_integer_value(age);
		}
		total += c ? (size_t)json_integer_value(c) : 1;
		if (c && (json_integer_value(c) < 1 || total > SIM_FAULT_CAP)) {
			fail(r, 400, "fault count must be 1..100000 in total");
			goto out;
		}
		nlist++;
	}
	pthread_mutex_lock(&s->fault_lock);
	if (s->fault_len + total > SIM_FAULT_CAP) {
		pthread_mutex_unlock(&s->fault_lock);
		fail(r, 400, "fault queue full");
		goto out;
	}
	json_array_foreach(arr, i, o)
	{
		json_t *c = json_object_get(o, "count");
		json_int_t reps = c ? json_integer_value(c) : 1;

		for (json_int_t k = 0; k < reps; k++)
			fault_push(s, &list[i]);
	}
	faults_reply(s, r);
	pthread_mutex_unlock(&s->fault_lock);
out:
	free(list);
	json_decref(j);
}

void sim_log_request(struct sim *s, const struct sim_request *rq, const struct sim_reply *r)
{
	struct sim_logent *e;
	int64_t now;

	pthread_rwlock_rdlock(&s->lock);
	now = sim_now(s);
	pthread_rwlock_unlock(&s->lock);
	pthread_mutex_lock(&s->log_lock);
	if (s->log_len == SIM_LOG_CAP) {
		e = &s->log[s->log_head];
		s->log_head = (s->log_head + 1) % SIM_LOG_CAP;
	} else {
		e = &s->log[(s->log_head + s->log_len) % SIM_LOG_CAP];
		s->log_len++;
	}
	free(e->method);
	free(e->path);
	e->method = xstrdup(rq->method);
	e->path = xstrdup(rq->raw_uri);
	snprintf(e->account, sizeof(e->account), "%s", r->account);
	e->status = r->delivery == SIM_DELIVER_RESET ? 0 : r->status;
	e->fault = r->fault;
	e->time = now;
	pthread_mutex_unlock(&s->log_lock);
}

static void do_requests(struct sim *s, const struct sim_request *rq, struct sim_reply *r)
{
	struct buf *b = &r->body;

	pthread_mutex_lock(&s->log_lock);
	r->status = 200;
	buf_adds(b, "{\"requests\":[");
	for (size_t i = 0; i < s->log_len; i++) {
		const struct sim_logent *e = &s->log[(s->log_head + i) % SIM_LOG_CAP];

		if (i)
			buf_addc(b, ',');
		buf_adds(b, "{\"method\":");
		buf_json_strz(b, e->method);
		buf_adds(b, ",\"path\":");
		buf_json_strz(b, e->path);
		buf_adds(b, ",\"account\":");
		buf_json_strz(b, e->account[0] ? e->account : NULL);
		if (e->status)
			buf_printf(b, ",\"status\":%d", e->status);
		else
			buf_adds(b, ",\"status\":null");
		buf_adds(b, ",\"fault\":");
		buf_json_strz(b, e->fault);
		buf_printf(b, ",\"time\":%lld}", (long long)e->time);
	}
	buf_printf(b, "],\"count\":%zu}", s->log_len);
	if (strcmp(rq->method, "DELETE") == 0)
		s->log_len = 0;
	pthread_mutex_unlock(&s->log_lock);
}

static void do_config(struct sim *s, const struct sim_request *rq, struct sim_reply *r)
{
	json_t *j = NULL, *v;

	if (strcmp(rq->method, "POST") == 0) {
		j = parse_body(rq, r);
		if (!j)
			return;
		v = json_object_get(j, "max_results");
		if (!json_is_integer(v) || json_integer_value(v) < 1) {
			fail(r, 400, "expected {\"max_results\": N >= 1}");
			json_decref(j);
			return;
		}
		pthread_rwlock_wrlock(&s->lock);
		s->max_results = (long)json_integer_value(v);
		pthread_rwlock_unlock(&s->lock);
		json_decref(j);
	}
	pthread_rwlock_rdlock(&s->lock);
	reply_json(r, 200, json_pack("{s:I}", "max_results", (json_int_t)s->max_results));
	pthread_rwlock_unlock(&s->lock);
}

struct route {
	const char *path;
	const char *methods; /* space-separated */
	void (*fn)(struct sim *s, const struct sim_request *rq, struct sim_reply *r);
};

static void do_alerts(struct sim *s, const struct sim_request *rq, struct sim_reply *r)
{
	if (strcmp(rq->method, "POST") == 0)
		add_alerts(s, rq, r);
	else if (strcmp(rq->method, "DELETE") == 0)
		clear_alerts(s, rq, r);
	else
		list_sids(s, rq, r);
}

static const struct route routes[] = {
        {"/_sim/accounts", " GET POST ", do_accounts},
        {"/_sim/alerts", " GET POST DELETE ", do_alerts},
        {"/_sim/generate", " POST ", do_generate},
        {"/_sim/clock", " GET POST ", do_clock},
        {"/_sim/faults", " GET POST DELETE ", do_faults},
        {"/_sim/requests", " GET DELETE ", do_requests},
        {"/_sim/config", " GET POST ", do_config},
};

void control_handle(struct sim *s, const struct sim_request *rq, struct sim_reply *r)
{
	char m[16];

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(rq->path, routes[i].path) != 0)
			continue;
		snprintf(m, sizeof(m), " %s ", rq->method);
		if (!strstr(routes[i].methods, m)) {
			fail(r, 405, "method not allowed");
			return;
		}
		routes[i].fn(s, rq, r);
		return;
	}
	fail(r, 404, "unknown control endpoint");
}

/* SPDX-License-Identifier: MIT */
/*
 * The Monitor v1 API: HTTP Basic authentication (Account SID + auth token or API
 * key + secret), GET /v1/Alerts with Twilio's filters and keyset page tokens, and
 * GET /v1/Alerts/{Sid}. Errors use Twilio's JSON error body.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim.h"

#define TOKEN_LEN (2 + 16 + 32) /* "PA"/"PB", created as 16 hex, sid as 32 hex */
#define AUTH_CAP 1024           /* bytes of a decoded Authorization value */

struct query {
	long page_size;
	long page;
	int level; /* -1: no filter */
	const char *log_level;
	const char *start_raw;
	const char *end_raw;
	const char *token_raw;
	bool has_start;
	bool start_date_only;
	bool has_end;
	int64_t start;
	int64_t end;
	char token_dir; /* 0, 'A' (older than) or 'B' (newer than) */
	int64_t tok_t;
	uint8_t tok_sid[16];
};

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decodes base64 into @out (NUL-terminated); -EINVAL on bad input or overflow. */
static int b64_decode(const char *in, char *out, size_t cap)
{
	unsigned acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *in && *in != '='; in++) {
		int v = b64val(*in);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= cap)
				return -EINVAL;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	return 0;
}

static struct sim_account *authenticate(struct sim *s, const struct sim_request *rq)
{
	char dec[AUTH_CAP], *colon;
	const char *p = rq->auth;

	if (!p || strncasecmp(p, "Basic ", 6) != 0)
		return NULL;
	p += 6;
	while (*p == ' ')
		p++;
	if (b64_decode(p, dec, sizeof(dec)) < 0)
		return NULL;
	colon = strchr(dec, ':');
	if (!colon)
		return NULL;
	*colon = '\0';
	return sim_authenticate(s, dec, colon + 1);
}

static int parse_long(const char *s, long max, long *out)
{
	long v = 0;

	if (!*s || strlen(s) > 9)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_token(const char *s, struct query *q)
{
	uint8_t t[8];
	uint64_t v = 0;

	if (strlen(s) != TOKEN_LEN || s[0] != 'P' || (s[1] != 'A' && s[1] != 'B'))
		return -EINVAL;
	if (sim_parse_hex(s + 2, t, 8) < 0 || sim_parse_hex(s + 18, q->tok_sid, 16) < 0)
		return -EINVAL;
	for (int i = 0; i < 8; i++)
		v = v << 8 | t[i];
	q->tok_t = (int64_t)v;
	q->token_dir = s[1];
	return 0;
}

static void put_token(struct buf *b, char dir, const struct sim_rec *r)
{
	uint8_t t[8];
	uint64_t v = (uint64_t)r->created;

	for (int i = 7; i >= 0; i--) {
		t[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
	buf_addc(b, 'P');
	buf_addc(b, dir);
	buf_hex(b, t, 8);
	buf_hex(b, r->sid, 16);
}

/* Returns 0, or fills @r with a 400 and returns -EINVAL. */
static int parse_query(const struct sim_request *rq, struct query *q, struct sim_reply *r)
{
	const char *v;
	bool date_only;

	memset(q, 0, sizeof(*q));
	q->page_size = 50;
	q->level = -1;
	v = sim_request_arg(rq, "PageSize");
	if (v && parse_long(v, SIM_PAGE_SIZE_MAX, &q->page_size) < 0) {
		sim_error(r, 400, 20001, "Invalid PageSize: must be an integer between 1 and 1000",
		          NULL);
		return -EINVAL;
	}
	if (q->page_size < 1) {
		sim_error(r, 400, 20001, "Invalid PageSize: must be an integer between 1 and 1000",
		          NULL);
		return -EINVAL;
	}
	v = sim_request_arg(rq, "Page");
	if (v && parse_long(v, 100000000, &q->page) < 0) {
		sim_error(r, 400, 20001, "Invalid Page: must be a non-negative integer", NULL);
		return -EINVAL;
	}
	v = sim_request_arg(rq, "PageToken");
	if (v && *v) {
		if (parse_token(v, q) < 0) {
			sim_error(r, 400, 20001, "Invalid PageToken", NULL);
			return -EINVAL;
		}
		q->token_raw = v;
	}
	v = sim_request_arg(rq, "LogLevel");
	if (v && *v) {
		q->log_level = v;
		q->level = sim_level_parse(v);
	}
	v = sim_request_arg(rq, "StartDate");
	if (v && *v) {
		if (sim_parse_time(v, &q->start, &date_only) < 0) {
			sim_error(r, 400, 20001,
			          "Invalid StartDate: use YYYY-MM-DD or "
			          "YYYY-MM-DDThh:mm:ssZ",
			          NULL);
			return -EINVAL;
		}
		q->start_raw = v;
		q->has_start = true;
		q->start_date_only = date_only;
	}
	v = sim_request_arg(rq, "EndDate");
	if (v && *v) {
		if (sim_parse_time(v, &q->end, &date_only) < 0) {
			sim_error(r, 400, 20001,
			          "Invalid EndDate: use YYYY-MM-DD or "
			          "YYYY-MM-DDThh:mm:ssZ",
			          NULL);
			return -EINVAL;
		}
		/* A bare date means the whole day, so EndDate=D includes D itself. */
		if (date_only)
			q->end += 86399;
		q->end_raw = v;
		q->has_end = true;
	}
	return 0;
}

/* "http://HOST/v1/Alerts?filters&PageSize=N&Page=P[&PageToken=T]" as a JSON string. */
static void put_page_url(struct buf *b, const struct sim_request *rq, const struct query *q,
                         long page, char dir, const struct sim_rec *tok, const char *raw_token)
{
	struct buf u;

	buf_init(&u);
	buf_adds(&u, "http://");
	buf_adds(&u, rq->host);
	buf_adds(&u, "/v1/Alerts?");
	if (q->log_level) {
		buf_adds(&u, "LogLevel=");
		buf_url_enc(&u, q->log_level);
		buf_addc(&u, '&');
	}
	if (q->start_raw) {
		buf_adds(&u, "StartDate=");
		buf_url_enc(&u, q->start_raw);
		buf_addc(&u, '&');
	}
	if (q->end_raw) {
		buf_adds(&u, "EndDate=");
		buf_url_enc(&u, q->end_raw);
		buf_addc(&u, '&');
	}
	buf_printf(&u, "PageSize=%ld&Page=%ld", q->page_size, page);
	if (tok) {
		buf_adds(&u, "&PageToken=");
		put_token(&u, dir, tok);
	} else if (raw_token) {
		buf_adds(&u, "&PageToken=");
		buf_url_enc(&u, raw_token);
	}
	buf_json_str(b, u.p, u.len);
	buf_finish(&u);
}

static bool level_ok(const struct query *q, const struct sim_rec *r)
{
	return q->level < 0 || r->level == q->level;
}

static void list_alerts(struct sim *s, struct sim_account *a, const struct sim_request *rq,
                        struct sim_reply *r)
{
	struct query q;
	size_t lo, lo_base, hi, *sel = NULL, n = 0;
	long long limit;
	int64_t now, floor_t;
	bool older = false;
	struct buf prefix;

	if (parse_query(rq, &q, r) < 0)
		return;
	buf_init(&prefix);
	pthread_rwlock_rdlock(&s->lock);
	now = sim_now(s);
	floor_t = now - SIM_WINDOW_SECS;
	/* A bare StartDate names a day: refuse it only when that whole day is too old. */
	if ((q.has_start && q.start + (q.start_date_only ? 86399 : 0) < floor_t) ||
	    (q.has_end && q.end < floor_t)) {
		sim_error(r, 400, 20001, "Queries for alerts older than 30 days are not supported",
		          NULL);
		goto out;
	}
	lo = sim_lower_bound(a, q.has_start && q.start > floor_t ? q.start : floor_t, NULL);
	hi = q.has_end ? sim_upper_bound(a, q.end, NULL) : a->nrecs;
	lo_base = lo;
	if (q.token_dir == 'A') {
		size_t t = sim_lower_bound(a, q.tok_t, q.tok_sid);

		if (t < hi)
			hi = t;
	} else if (q.token_dir == 'B') {
		size_t t = sim_upper_bound(a, q.tok_t, q.tok_sid);

		if (t > lo)
			lo = t;
	}
	limit = (long long)s->max_results - (long long)q.page * q.page_size;
	if (limit > q.page_size)
		limit = q.page_size;
	if (limit < 0)
		limit = 0;
	sel = xmalloc(((size_t)limit + 1) * sizeof(*sel));
	if (q.token_dir == 'B') {
		/* Newer than the token: take the nearest matches, then present them newest first.
		 */
		for (size_t i = lo; i < hi && n < (size_t)limit; i++)
			if (level_ok(&q, &a->recs[i]))
				sel[n++] = i;
		for (size_t i = 0; i < n / 2; i++) {
			size_t t = sel[i];

			sel[i] = sel[n - 1 - i];
			sel[n - 1 - i] = t;
		}
	} else {
		long long skip = q.token_dir ? 0 : (long long)q.page * q.page_size;

		for (size_t i = hi; i > lo && n < (size_t)limit;) {
			i--;
			if (!level_ok(&q, &a->recs[i]))
				continue;
			if (skip > 0)
				skip--;
			else
				sel[n++] = i;
		}
	}
	if (n > 0) {
		for (size_t i = sel[n - 1]; i > lo_base;) {
			i--;
			if (level_ok(&q, &a->recs[i])) {
				older = true;
				break;
			}
		}
	}

	buf_adds(&prefix, "http://");
	buf_adds(&prefix, rq->host);
	buf_adds(&prefix, "/v1/Alerts/");
	{
		/* The prefix is pasted into JSON strings, so escape it once here. */
		struct buf esc;

		buf_init(&esc);
		buf_json_str(&esc, prefix.p, prefix.len);
		prefix.len = 0;
		buf_add(&prefix, esc.p + 1, esc.len - 2);
		buf_finish(&esc);
	}
	r->status = 200;
	buf_reserve(&r->body, n * 900 + 1024);
	buf_adds(&r->body, "{\"alerts\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(&r->body, ',');
		sim_render_alert(&r->body, a, &a->recs[sel[i]], prefix.p, false);
	}
	buf_adds(&r->body, "],\"meta\":{\"first_page_url\":");
	put_page_url(&r->body, rq, &q, 0, 0, NULL, NULL);
	buf_adds(&r->body, ",\"key\":\"alerts\",\"next_page_url\":");
	if (older && n == (size_t)q.page_size &&
	    (long long)q.page * q.page_size + (long long)n < s->max_results)
		put_page_url(&r->body, rq, &q, q.page + 1, 'A', &a->recs[sel[n - 1]], NULL);
	else
		buf_adds(&r->body, "null");
	buf_printf(&r->body, ",\"page\":%ld,\"page_size\":%ld,\"previous_page_url\":", q.page,
	           q.page_size);
	if (q.page > 0 && n > 0)
		put_page_url(&r->body, rq, &q, q.page - 1, 'B', &a->recs[sel[0]], NULL);
	else
		buf_adds(&r->body, "null");
	buf_adds(&r->body, ",\"url\":");
	put_page_url(&r->body, rq, &q, q.page, 0, NULL, q.token_raw);
	buf_adds(&r->body, "}}");
out:
	pthread_rwlock_unlock(&s->lock);
	free(sel);
	buf_finish(&prefix);
}

static void not_found(struct sim_reply *r, const char *path)
{
	struct buf m;

	buf_init(&m);
	buf_printf(&m, "The requested resource %s was not found", path);
	sim_error(r, 404, 20404, m.p, NULL);
	buf_finish(&m);
}

static void fetch_alert(struct sim *s, struct sim_account *a, const struct sim_request *rq,
                        const char *sid, struct sim_reply *r)
{
	uint8_t bin[16];
	long pos;
	struct buf prefix, esc;

	if (!sim_valid_sid(sid, "NO") || sim_parse_hex(sid + 2, bin, 16) < 0) {
		not_found(r, rq->path);
		return;
	}
	buf_init(&prefix);
	buf_init(&esc);
	pthread_rwlock_rdlock(&s->lock);
	pos = sim_find_alert(a, bin);
	if (pos < 0 || a->recs[pos].created < sim_now(s) - SIM_WINDOW_SECS) {
		not_found(r, rq->path);
		goto out;
	}
	buf_printf(&prefix, "http://%s/v1/Alerts/", rq->host);
	buf_json_str(&esc, prefix.p, prefix.len);
	esc.p[esc.len - 1] = '\0';
	r->status = 200;
	sim_render_alert(&r->body, a, &a->recs[pos], esc.p + 1, true);
out:
	pthread_rwlock_unlock(&s->lock);
	buf_finish(&prefix);
	buf_finish(&esc);
}

void api_handle(struct sim *s, const struct sim_request *rq, struct sim_reply *r)
{
	struct sim_account *a;

	pthread_rwlock_rdlock(&s->lock);
	a = authenticate(s, rq);
	if (a)
		snprintf(r->account, sizeof(r->account), "%s", a->sid);
	pthread_rwlock_unlock(&s->lock);
	/* Accounts are never removed, so the pointer stays valid after unlocking. */
	if (!a) {
		sim_error(r, 401, 20003, "Authenticate",
		          "Your AccountSid or AuthToken was incorrect.");
		sim_reply_header(r, "WWW-Authenticate", "Basic realm=\"Twilio API\"");
		return;
	}
	if (strcmp(rq->path, "/v1/Alerts") != 0 && strncmp(rq->path, "/v1/Alerts/", 11) != 0) {
		not_found(r, rq->path);
		return;
	}
	if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
		sim_error(r, 405, 20004, "Method not allowed", NULL);
		sim_reply_header(r, "Allow", "GET");
		return;
	}
	if (strcmp(rq->path, "/v1/Alerts") == 0)
		list_alerts(s, a, rq, r);
	else
		fetch_alert(s, a, rq, rq->path + 11, r);
}

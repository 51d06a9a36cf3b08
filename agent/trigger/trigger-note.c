// SPDX-License-Identifier: MIT
/*
 * The notification JSON (README.md, "Notifications"): built when a group
 * fires, repeats or resolves, from its state and the alerts in its window,
 * and stored as it is in the outbox so that every retry sends the same
 * bytes. Its idempotency key names the trigger, group, firing and kind.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/config.h"
#include "store/store-trigger.h"
#include "trigger/trigger-note.h"
#include "trigger/trigger-rule.h"
#include "base/util.h"
#include "version.h"

static const char *const group_by_names[] = {
        [CONFIG_GROUP_NONE] = NULL,
        [CONFIG_GROUP_ERROR_CODE] = "error_code",
        [CONFIG_GROUP_ACCOUNT] = "account",
        [CONFIG_GROUP_REQUEST_HOST] = "request_host",
        [CONFIG_GROUP_RESOURCE_SID] = "resource_sid",
};

static const char *const severity_names[] = {"info", "warning", "critical"};

int trigger_details_add(const struct store_trigger_alert *a, void *arg)
{
	struct trigger_details *d = arg;
	struct trigger_example *x;
	size_t i, pos;

	if (d->limit && d->total >= d->limit)
		return 1;
	d->total++;
	for (i = 0; i < d->n_codes; i++)
		if (d->codes[i].has == a->has_error_code &&
		    (!a->has_error_code || d->codes[i].code == a->error_code))
			break;
	if (i == d->n_codes && i < ARRAY_SIZE(d->codes)) {
		d->codes[i].has = a->has_error_code;
		d->codes[i].code = a->error_code;
		d->n_codes++;
	}
	if (i < d->n_codes)
		d->codes[i].n++;
	else
		d->other_codes++;
	for (i = 0; a->account_sid && i < d->n_accounts; i++)
		if (strcmp(d->accounts[i], a->account_sid) == 0)
			break;
	if (a->account_sid && i == d->n_accounts && i < TRIGGER_ACCOUNTS_MAX)
		snprintf(d->accounts[d->n_accounts++], sizeof(d->accounts[0]), "%s",
		         a->account_sid);
	/* Keep the newest examples, newest first, whatever order the alerts come in. */
	for (pos = 0; pos < d->n_examples; pos++)
		if (strcmp(a->date_created, d->examples[pos].date_created) > 0)
			break;
	if (pos == TRIGGER_EXAMPLES)
		return 0;
	if (d->n_examples < TRIGGER_EXAMPLES)
		d->n_examples++;
	memmove(&d->examples[pos + 1], &d->examples[pos],
	        (d->n_examples - 1 - pos) * sizeof(d->examples[0]));
	x = &d->examples[pos];
	memset(x, 0, sizeof(*x));
	snprintf(x->sid, sizeof(x->sid), "%s", a->sid);
	snprintf(x->date_created, sizeof(x->date_created), "%s", a->date_created);
	x->has_error_code = a->has_error_code;
	x->error_code = a->error_code;
	snprintf(x->log_level, sizeof(x->log_level), "%s", a->log_level ? a->log_level : "");
	snprintf(x->account_sid, sizeof(x->account_sid), "%s",
	         a->account_sid ? a->account_sid : "");
	trigger_copy_text(x->msg, sizeof(x->msg), a->msg ? a->msg : "");
	trigger_copy_text(x->request_method, sizeof(x->request_method),
	                  a->request_method ? a->request_method : "");
	trigger_copy_text(x->request_url, sizeof(x->request_url),
	                  a->request_url ? a->request_url : "");
	return 0;
}

/* Percent-encode @v into @sb so the key is safe in a header, an argv and a file name. */
static int put_key_part(struct strbuf *sb, const char *v)
{
	char esc[4];
	int r = 0;

	for (const char *p = v; r == 0 && *p; p++) {
		if (isalnum((unsigned char)*p) || strchr("-._:", *p)) {
			r = strbuf_append(sb, p, 1);
		} else {
			snprintf(esc, sizeof(esc), "%%%02X", (unsigned char)*p);
			r = strbuf_append(sb, esc, 3);
		}
	}
	return r;
}

static int make_key(const char *name, const char *group, int64_t started, enum trigger_event ev,
                    int64_t repeats, char key[TRIGGER_KEY_MAX])
{
	char tail[UTIL_TIME_LEN + 40], when[UTIL_TIME_LEN];
	struct strbuf sb;
	int r;

	util_format_time(started, when);
	if (ev == TRIGGER_REPEAT)
		snprintf(tail, sizeof(tail), "/%s/repeat-%lld", when, (long long)repeats);
	else
		snprintf(tail, sizeof(tail), "/%s/%s", when, trigger_event_name(ev));
	strbuf_init(&sb, TRIGGER_KEY_MAX - 1);
	r = put_key_part(&sb, name);
	if (r == 0)
		r = strbuf_append(&sb, "/", 1);
	if (r == 0)
		r = *group ? put_key_part(&sb, group) : strbuf_append(&sb, "*", 1);
	if (r == 0)
		r = strbuf_append(&sb, tail, strlen(tail));
	if (r == 0)
		snprintf(key, TRIGGER_KEY_MAX, "%s", sb.buf);
	strbuf_finish(&sb);
	return r;
}

static const char *account_name(const struct config *cfg, const char *sid)
{
	for (size_t i = 0; i < cfg->n_accounts; i++)
		if (strcmp(cfg->accounts[i].account_sid, sid) == 0)
			return cfg->accounts[i].name;
	return NULL;
}

/* An SQL text literal ('' for a quote) for the query shown in a notification. */
static int put_sql_literal(struct strbuf *sb, const char *v)
{
	int r = strbuf_append(sb, "'", 1);

	for (const char *p = v; r == 0 && *p; p++)
		r = *p == '\'' ? strbuf_append(sb, "''", 2) : strbuf_append(sb, p, 1);
	return r ? r : strbuf_append(sb, "'", 1);
}

/*
 * The query that lists this group's alerts of the window: the matchers as SQL
 * (text with REGEXP and request_host with GLOB, as the sqlite3 shell has them).
 */
static char *window_query(const struct trigger_compiled *c, const char *group, int64_t from)
{
	const struct config_trigger *t = c->t;
	char num[64], when[UTIL_TIME_LEN];
	const char *gcol = group_by_names[t->group_by];
	struct strbuf sb;
	char *out = NULL;
	int r = 0;

	strbuf_init(&sb, 16 * 1024);
	util_format_time(from, when);
#define PUT(str) (r = r ? r : strbuf_append(&sb, (str), strlen(str)))
#define LIT(str) (r = r ? r : put_sql_literal(&sb, (str)))
	PUT("SELECT date_created, error_code, msg, request_method, request_url, sid FROM alerts"
	    " WHERE date_created > ");
	LIT(when);
	if (t->n_error_codes) {
		PUT(" AND error_code IN (");
		for (size_t i = 0; i < t->n_error_codes; i++) {
			snprintf(num, sizeof(num), "%s%lld", i ? ", " : "",
			         (long long)t->error_codes[i]);
			PUT(num);
		}
		PUT(")");
	}
	if (t->log_level) {
		PUT(" AND log_level = ");
		LIT(t->log_level);
	}
	if (c->n_account_sids) {
		PUT(" AND account_sid IN (");
		for (size_t i = 0; i < c->n_account_sids; i++) {
			PUT(i ? ", " : "");
			LIT(c->account_sids[i]);
		}
		PUT(")");
	}
	if (c->host_glob) {
		PUT(" AND request_host GLOB ");
		LIT(c->host_glob);
	}
	if (t->text) {
		PUT(" AND alert_text REGEXP ");
		LIT(t->text);
	}
	if (t->where) {
		PUT(" AND (");
		PUT(t->where);
		PUT(")");
	}
	if (gcol) {
		PUT(" AND ");
		PUT(t->group_by == CONFIG_GROUP_ACCOUNT ? "account_sid" : gcol);
		if (strcmp(group, "-") == 0) {
			PUT(" IS NULL");
		} else if (t->group_by == CONFIG_GROUP_ERROR_CODE) {
			PUT(" = ");
			PUT(group);
		} else {
			PUT(" = ");
			LIT(group);
		}
	}
	PUT(" ORDER BY date_created DESC");
#undef PUT
#undef LIT
	if (r == 0)
		out = strdup(sb.buf);
	strbuf_finish(&sb);
	return out;
}

struct code_count {
	int64_t n;
	bool has;
	int64_t code;
};

/* Most frequent first; equal counts by code. */
static int cmp_codes(const void *x, const void *y)
{
	const struct code_count *a = x, *b = y;

	if (a->n != b->n)
		return a->n < b->n ? 1 : -1;
	return a->code < b->code ? -1 : a->code > b->code;
}

json_t *trigger_notification(const struct config *cfg, const struct trigger_compiled *c,
                             const char *group, const struct store_trigger_state *st,
                             enum trigger_event ev, int64_t count, int64_t now,
                             const struct trigger_details *d, char key[TRIGGER_KEY_MAX])
{
	const struct config_trigger *t = c->t;
	char at[UTIL_TIME_LEN], started[UTIL_TIME_LEN], resolved[UTIL_TIME_LEN], win[32];
	char host[256] = "";
	struct code_count top[ARRAY_SIZE(d->codes)];
	json_t *o = NULL, *codes, *sids, *examples, *accounts;
	char *query = NULL;
	size_t n_top = d->n_codes;

	if (make_key(t->name, group, st->started, ev, st->repeats, key) < 0)
		return NULL;
	util_format_time(now, at);
	util_format_time(st->started, started);
	util_format_time(st->last_resolved, resolved);
	if (t->window % 86400 == 0)
		snprintf(win, sizeof(win), "%lldd", (long long)(t->window / 86400));
	else if (t->window % 3600 == 0)
		snprintf(win, sizeof(win), "%lldh", (long long)(t->window / 3600));
	else if (t->window % 60 == 0)
		snprintf(win, sizeof(win), "%lldm", (long long)(t->window / 60));
	else
		snprintf(win, sizeof(win), "%llds", (long long)t->window);
	gethostname(host, sizeof(host) - 1);
	query = window_query(c, group, now - t->window);
	codes = json_array();
	sids = json_array();
	examples = json_array();
	accounts = json_array();
	o = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s, s:I, s:I, s:s, s:I, s:I,"
	              " s:I, s:s, s:s?, s:s, s:I, s:o, s:o, s:o, s:o, s:s?, s:s, s:s, s:s}",
	              "schema", "twilio-alertd.notification", "version", TRIGGER_SCHEMA_VERSION,
	              "kind", trigger_event_name(ev), "idempotency_key", key, "trigger", t->name,
	              "group_by", group_by_names[t->group_by], "group",
	              t->group_by == CONFIG_GROUP_NONE ? NULL : group, "state",
	              trigger_state_name(st->state), "severity", severity_names[t->severity],
	              "count", (json_int_t)count, "threshold", (json_int_t)t->threshold, "window",
	              win, "window_seconds", (json_int_t)t->window, "for_seconds",
	              (json_int_t)t->for_, "repeat_seconds", (json_int_t)t->repeat, "started",
	              started, "resolved", ev == TRIGGER_RESOLVED ? resolved : NULL, "at", at,
	              "repeat", (json_int_t)(ev == TRIGGER_REPEAT ? st->repeats : 0), "accounts",
	              accounts, "top_error_codes", codes, "example_sids", sids, "examples",
	              examples, "query", query, "database", cfg->database, "host", host,
	              "agent_version", ALERTD_VERSION);
	free(query);
	if (!o)
		return NULL;
	for (size_t i = 0; i < n_top; i++) {
		top[i].n = d->codes[i].n;
		top[i].has = d->codes[i].has;
		top[i].code = d->codes[i].code;
	}
	qsort(top, n_top, sizeof(top[0]), cmp_codes);
	for (size_t i = 0; i < n_top && i < TRIGGER_TOP_CODES; i++) {
		char url[80];

		snprintf(url, sizeof(url), "https://www.twilio.com/docs/errors/%lld",
		         (long long)top[i].code);
		json_array_append_new(codes, top[i].has
		                                     ? json_pack("{s:I, s:I, s:s}", "code",
		                                                 (json_int_t)top[i].code, "count",
		                                                 (json_int_t)top[i].n, "url", url)
		                                     : json_pack("{s:n, s:I, s:n}", "code", "count",
		                                                 (json_int_t)top[i].n, "url"));
	}
	for (size_t i = 0; i < d->n_accounts; i++)
		json_array_append_new(accounts, json_pack("{s:s?, s:s}", "name",
		                                          account_name(cfg, d->accounts[i]),
		                                          "account_sid", d->accounts[i]));
	for (size_t i = 0; i < d->n_examples; i++) {
		const struct trigger_example *x = &d->examples[i];
		json_t *e = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?}", "sid", x->sid,
		                      "date_created", x->date_created, "log_level",
		                      x->log_level[0] ? x->log_level : NULL, "account_sid",
		                      x->account_sid[0] ? x->account_sid : NULL, "msg",
		                      x->msg[0] ? x->msg : NULL, "request_method",
		                      x->request_method[0] ? x->request_method : NULL,
		                      "request_url", x->request_url[0] ? x->request_url : NULL);

		if (e)
			json_object_set_new(e, "error_code",
			                    x->has_error_code ? json_integer(x->error_code)
			                                      : json_null());
		json_array_append_new(examples, e);
		json_array_append_new(sids, json_string(x->sid));
	}
	return o;
}

// SPDX-License-Identifier: MIT
/*
 * One trigger's rule, the base of the trigger stage: the state machine of a
 * group (trigger_step), a trigger compiled for matching (regex, account
 * SIDs, host glob, the fingerprint that says its definition changed), the
 * matchers and the group of an alert. Nothing here touches the store.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/sign.h"
#include "store/store-trigger.h"
#include "trigger/trigger-rule.h"
#include "base/util.h"

const char *trigger_event_name(enum trigger_event ev)
{
	switch (ev) {
	case TRIGGER_FIRED:
		return "fired";
	case TRIGGER_REPEAT:
		return "repeat";
	case TRIGGER_RESOLVED:
		return "resolved";
	default:
		return "none";
	}
}

const char *trigger_state_name(enum store_trigger_status state)
{
	return state == STORE_TRIGGER_FIRING    ? "firing"
	       : state == STORE_TRIGGER_PENDING ? "pending"
	                                        : "ok";
}

static enum trigger_event fire(struct store_trigger_state *st, int64_t now)
{
	st->state = STORE_TRIGGER_FIRING;
	st->since = now;
	st->started = now;
	st->last_notified = now;
	st->repeats = 0;
	return TRIGGER_FIRED;
}

enum trigger_event trigger_step(const struct config_trigger *t, struct store_trigger_state *st,
                                int64_t count, int64_t now)
{
	bool over = count >= t->threshold;

	switch (st->state) {
	case STORE_TRIGGER_OK:
		if (!over)
			return TRIGGER_NONE;
		if (t->for_ <= 0)
			return fire(st, now);
		st->state = STORE_TRIGGER_PENDING;
		st->since = now;
		return TRIGGER_NONE;
	case STORE_TRIGGER_PENDING:
		if (!over) {
			st->state = STORE_TRIGGER_OK;
			st->since = now;
			return TRIGGER_NONE;
		}
		return now - st->since >= t->for_ ? fire(st, now) : TRIGGER_NONE;
	case STORE_TRIGGER_FIRING:
		if (!over) {
			st->state = STORE_TRIGGER_OK;
			st->since = now;
			st->last_resolved = now;
			return t->resolve ? TRIGGER_RESOLVED : TRIGGER_NONE;
		}
		if (t->repeat > 0 && now - st->last_notified >= t->repeat) {
			st->last_notified = now;
			st->repeats++;
			return TRIGGER_REPEAT;
		}
		return TRIGGER_NONE;
	}
	return TRIGGER_NONE;
}

/* The canonical text of what decides matching and grouping; its hash names the hits. */
static int fingerprint(const struct trigger_compiled *c)
{
	const struct config_trigger *t = c->t;
	struct strbuf sb;
	char num[64];
	int r = 0;

	strbuf_init(&sb, 64 * 1024);
#define PUT(str) (r = r ? r : strbuf_append(&sb, (str), strlen(str)))
	PUT("v1\ncodes=");
	for (size_t i = 0; i < t->n_error_codes; i++) {
		snprintf(num, sizeof(num), "%lld,", (long long)t->error_codes[i]);
		PUT(num);
	}
	PUT("\nlevel=");
	PUT(t->log_level ? t->log_level : "");
	PUT("\naccounts=");
	for (size_t i = 0; i < c->n_account_sids; i++) {
		PUT(c->account_sids[i]);
		PUT(",");
	}
	PUT("\ntext=");
	PUT(t->text ? t->text : "");
	PUT("\nhost=");
	PUT(c->host_glob ? c->host_glob : "");
	PUT("\nwhere=");
	PUT(t->where ? t->where : "");
	snprintf(num, sizeof(num), "\ngroup=%d\nwindow=%lld\n", (int)t->group_by,
	         (long long)t->window);
	PUT(num);
#undef PUT
	if (r == 0)
		r = sign_sha256_hex(sb.buf, sb.len, (char *)c->fingerprint);
	strbuf_finish(&sb);
	return r;
}

int trigger_compile(const struct config *cfg, const struct config_trigger *t,
                    struct trigger_compiled *c)
{
	int r = 0;

	memset(c, 0, sizeof(*c));
	c->t = t;
	if (t->text) {
		if (regcomp(&c->re, t->text, REG_EXTENDED | REG_NOSUB) != 0)
			return -EINVAL;
		c->has_re = true;
	}
	if (t->n_accounts > ARRAY_SIZE(c->account_sids)) {
		r = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < t->n_accounts; i++) {
		const struct config_account *a = config_find_account(cfg, t->accounts[i]);

		if (!a) {
			r = -EINVAL;
			goto out;
		}
		c->account_sids[c->n_account_sids++] = a->account_sid;
	}
	if (t->request_host) {
		c->host_glob = strdup(t->request_host);
		if (!c->host_glob) {
			r = -ENOMEM;
			goto out;
		}
		for (char *p = c->host_glob; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	r = fingerprint(c);
out:
	if (r < 0)
		trigger_compiled_finish(c);
	return r;
}

void trigger_compiled_finish(struct trigger_compiled *c)
{
	if (!c)
		return;
	if (c->has_re)
		regfree(&c->re);
	free(c->host_glob);
	memset(c, 0, sizeof(*c));
}

bool trigger_match(const struct trigger_compiled *c, const struct store_trigger_alert *a)
{
	const struct config_trigger *t = c->t;

	if (t->n_error_codes) {
		size_t i = 0;

		if (!a->has_error_code)
			return false;
		while (i < t->n_error_codes && t->error_codes[i] != a->error_code)
			i++;
		if (i == t->n_error_codes)
			return false;
	}
	if (t->log_level && (!a->log_level || strcmp(t->log_level, a->log_level) != 0))
		return false;
	if (c->n_account_sids) {
		size_t i = 0;

		if (!a->account_sid)
			return false;
		while (i < c->n_account_sids && strcmp(c->account_sids[i], a->account_sid) != 0)
			i++;
		if (i == c->n_account_sids)
			return false;
	}
	if (c->host_glob && (!a->request_host || fnmatch(c->host_glob, a->request_host, 0) != 0))
		return false;
	if (c->has_re && (!a->alert_text || regexec(&c->re, a->alert_text, 0, NULL, 0) != 0))
		return false;
	return true;
}

void trigger_group(const struct trigger_compiled *c, const struct store_trigger_alert *a,
                   char out[STORE_GROUP_MAX])
{
	const char *v = NULL;

	switch (c->t->group_by) {
	case CONFIG_GROUP_NONE:
		out[0] = '\0';
		return;
	case CONFIG_GROUP_ERROR_CODE:
		if (a->has_error_code) {
			snprintf(out, STORE_GROUP_MAX, "%lld", (long long)a->error_code);
			return;
		}
		break;
	case CONFIG_GROUP_ACCOUNT:
		v = a->account_sid;
		break;
	case CONFIG_GROUP_REQUEST_HOST:
		v = a->request_host;
		break;
	case CONFIG_GROUP_RESOURCE_SID:
		v = a->resource_sid;
		break;
	}
	trigger_copy_text(out, STORE_GROUP_MAX, v && *v ? v : "-");
}

/* A cut UTF-8 character would make the JSON invalid: jansson refuses it. */
void trigger_copy_text(char *out, size_t size, const char *v)
{
	size_t n = strlen(v);

	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)v[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, v, n);
	out[n] = '\0';
}

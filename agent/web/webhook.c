// SPDX-License-Identifier: MIT
/*
 * The Debugger webhook. The form is split into decoded pairs, the account
 * found by AccountSid (or ParentAccountSid, for a subaccount's event sent
 * to its parent's webhook), the signature checked over the account's
 * public_url and every pair, and only then the Payload parsed. Every
 * refusal before the signature is good answers the same 403 text, so the
 * answers tell nobody which accounts have the receiver on; the log gets
 * the reason. The push becomes a JSON object in the Monitor API's field
 * names, so the same alert_from_json as the poller's normalises it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "base/alert.h"
#include "base/form.h"
#include "base/log.h"
#include "base/sign.h"
#include "store/store-read.h"
#include "web/webhook.h"

__attribute__((format(printf, 3, 4))) static void answer(struct webhook_result *res, int status,
                                                         const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

/* The one answer of every refused signature check, whatever the reason. */
#define FORBIDDEN "forbidden: not a request signed by Twilio for an account with webhook = yes"

/* 403 with the uniform answer, and @fmt as the reason for the log. */
__attribute__((format(printf, 2, 3))) static void forbid(struct webhook_result *res,
                                                         const char *fmt, ...)
{
	va_list ap;

	answer(res, 403, "%s", FORBIDDEN);
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
}

/* The configured account (webhook on or not) whose SID is @sid, or NULL. */
static const struct config_account *account_by_sid(const struct config *cfg, const char *sid)
{
	for (size_t i = 0; sid && i < cfg->n_accounts; i++)
		if (cfg->accounts[i].account_sid && strcmp(cfg->accounts[i].account_sid, sid) == 0)
			return &cfg->accounts[i];
	return NULL;
}

/* The account with the webhook on whose SID is the form's @field, or NULL. */
static const struct config_account *find_account(const struct config *cfg, const struct form *f,
                                                 const char *field)
{
	const char *sid = form_get(f, field);

	for (size_t i = 0; sid && i < cfg->n_accounts; i++) {
		const struct config_account *a = &cfg->accounts[i];

		if (a->webhook && a->public_url && a->webhook_token && a->account_sid &&
		    strcmp(a->account_sid, sid) == 0)
			return a;
	}
	return NULL;
}

static bool is_sid(const char *v)
{
	size_t i = 0;

	if (!v || !isalpha((unsigned char)v[0]) || !isalpha((unsigned char)v[1]))
		return false;
	for (i = 2; i < 34 && isxdigit((unsigned char)v[i]); i++)
		;
	return i == 34 && !v[i];
}

/* Twilio's LogLevel words; the Debugger sends Error/Warning (older: INFO, DEBUG). */
static const char *level_of(const char *level)
{
	static const char *const words[][2] = {
	        {"error", "error"},   {"warning", "warning"}, {"warn", "warning"},
	        {"notice", "notice"}, {"info", "notice"},     {"debug", "debug"},
	};

	for (size_t i = 0; level && i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(level, words[i][0]) == 0)
			return words[i][1];
	return NULL;
}

/* A string (or number, for codes) member of @obj at @path "a.b.c", or NULL. */
static json_t *member(json_t *obj, const char *a, const char *b, const char *c)
{
	obj = json_object_get(obj, a);
	if (b)
		obj = json_object_get(obj, b);
	if (c)
		obj = json_object_get(obj, c);
	return obj;
}

static const char *str(json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/*
 * The alert in the Monitor API's field names. The inner layout of more_info
 * and webhook is not documented: known names are used when they are there,
 * and the whole Payload is kept as the alert_text until a poll replaces it.
 */
static json_t *to_alert(const struct form *f, json_t *payload, const char *raw, int64_t now)
{
	const char *ts = form_get(f, "Timestamp"),
	           *more = str(member(payload, "more_info", NULL, NULL));
	json_t *o = json_object(), *code = json_object_get(payload, "error_code");
	char when[UTIL_TIME_LEN], docs[96];
	int64_t t;

	if (!ts)
		ts = form_get(f, "TimeStamp");
	/* A push without a usable time is still an alert: file it at its arrival. */
	if (!ts || util_parse_time(ts, &t) < 0)
		t = now;
	util_format_time(t, when);
	if (!o)
		return NULL;
	json_object_set_new(o, "sid", json_string(form_get(f, "Sid")));
	json_object_set_new(o, "account_sid", json_string(form_get(f, "AccountSid")));
	json_object_set_new(o, "date_created", json_string(when));
	json_object_set_new(o, "date_generated", json_string(when));
	if (level_of(form_get(f, "Level")))
		json_object_set_new(o, "log_level", json_string(level_of(form_get(f, "Level"))));
	if (json_is_integer(code) || json_is_string(code))
		json_object_set(o, "error_code", code);
	if (!more && json_is_integer(code)) {
		snprintf(docs, sizeof(docs), "https://www.twilio.com/docs/errors/%lld",
		         (long long)json_integer_value(code));
		more = docs;
	} else if (!more && str(code) && strspn(str(code), "0123456789") == strlen(str(code)) &&
	           strlen(str(code)) < 20) {
		snprintf(docs, sizeof(docs), "https://www.twilio.com/docs/errors/%s", str(code));
		more = docs;
	}
	if (more)
		json_object_set_new(o, "more_info", json_string(more));
	if (str(member(payload, "resource_sid", NULL, NULL)))
		json_object_set(o, "resource_sid", member(payload, "resource_sid", NULL, NULL));
	if (str(member(payload, "service_sid", NULL, NULL)))
		json_object_set(o, "service_sid", member(payload, "service_sid", NULL, NULL));
	if (str(member(payload, "webhook", "request", "url")))
		json_object_set(o, "request_url", member(payload, "webhook", "request", "url"));
	if (str(member(payload, "webhook", "request", "method")))
		json_object_set(o, "request_method",
		                member(payload, "webhook", "request", "method"));
	json_object_set_new(o, "alert_text", json_string(raw));
	return o;
}

/* Msg for the page: from more_info when it is an object that has one. */
static int push_msg(json_t *payload, struct alert *a)
{
	static const char *const keys[] = {"Msg", "msg", "message", "parserMessage"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *m = str(member(payload, "more_info", keys[i], NULL));

		if (m && !a->msg) {
			a->msg = strdup(m);
			return a->msg ? 0 : -ENOMEM;
		}
	}
	return 0;
}

static void push_http_response(json_t *payload, struct alert *a)
{
	json_t *v = member(payload, "webhook", "response", "status_code");
	char *end;
	long long n;

	if (!v)
		v = member(payload, "webhook", "response", "status");
	if (json_is_integer(v)) {
		a->has_http_response = true;
		a->http_response = json_integer_value(v);
	} else if (str(v)) {
		n = strtoll(str(v), &end, 10);
		if (*str(v) && !*end) {
			a->has_http_response = true;
			a->http_response = n;
		}
	}
}

void webhook_receive(const struct config *cfg, struct store *rw, const char *content_type,
                     const char *signature, const char *body, size_t len, int64_t now,
                     struct webhook_result *res)
{
	static const char *const fields[] = {"AccountSid", "ParentAccountSid"};
	const struct config_account *acct = NULL, *known = NULL, *owner;
	struct sign_param *params = NULL;
	const char *sub_sid;
	struct form f = {0};
	json_t *payload = NULL, *obj = NULL;
	const char *raw, *why = NULL;
	struct alert a = {0};
	json_error_t jerr;
	int r;

	memset(res, 0, sizeof(*res));
	if (!content_type ||
	    strncasecmp(content_type, "application/x-www-form-urlencoded", 33) != 0) {
		answer(res, 400, "expected an application/x-www-form-urlencoded body");
		goto out;
	}
	r = form_parse(body, len, &f);
	if (r < 0) {
		answer(res, r == -ENOMEM ? 503 : 400, "the body is not a usable form: %s",
		       r == -E2BIG    ? "too many parameters"
		       : r == -EILSEQ ? "a NUL byte"
		                      : strerror(-r));
		goto out;
	}
	params = calloc(f.n + 1, sizeof(*params));
	if (!params) {
		answer(res, 503, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < f.n; i++) {
		params[i].name = f.fields[i].name;
		params[i].value = f.fields[i].value;
	}
	/*
	 * The alert's own account, else its parent's: a subaccount's event sent to
	 * the parent's webhook is signed with the parent's token, also when the
	 * subaccount has a webhook of its own here.
	 */
	for (size_t k = 0; k < 2 && !acct; k++) {
		const struct config_account *c = find_account(cfg, &f, fields[k]);

		known = known ? known : c;
		if (c && signature && *signature &&
		    sign_twilio_valid(c->webhook_token, c->public_url, params, f.n, signature))
			acct = c;
	}
	if (!known) {
		/* As long as a signature check: the time tells nothing either. */
		if (signature)
			sign_twilio_valid("-", "https://unknown.invalid/", params, f.n, signature);
		forbid(res,
		       "no [account] with webhook = yes has AccountSid %.40s or "
		       "ParentAccountSid %.40s",
		       form_get(&f, "AccountSid") ? form_get(&f, "AccountSid") : "(none)",
		       form_get(&f, "ParentAccountSid") ? form_get(&f, "ParentAccountSid")
		                                        : "(none)");
		goto out;
	}
	if (!signature || !*signature) {
		snprintf(res->account, sizeof(res->account), "%s", known->name);
		forbid(res, "[account %s]: no X-Twilio-Signature", known->name);
		goto out;
	}
	if (!acct) {
		snprintf(res->account, sizeof(res->account), "%s", known->name);
		forbid(res,
		       "[account %s]: X-Twilio-Signature does not match (check public_url: it "
		       "must be the exact URL set in Twilio's Console)",
		       known->name);
		goto out;
	}
	/*
	 * Signed with the parent's token for another AccountSid: whoever holds
	 * that token could name any account, so the alert is stored as the
	 * subaccount's only when the configuration says that it is one.
	 */
	owner = acct;
	sub_sid = form_get(&f, "AccountSid");
	if (!sub_sid || strcmp(sub_sid, acct->account_sid) != 0) {
		owner = account_by_sid(cfg, sub_sid);
		if (!owner || !owner->parent_account ||
		    strcmp(owner->parent_account, acct->name) != 0) {
			snprintf(res->account, sizeof(res->account), "%s", acct->name);
			forbid(res,
			       "[account %s] signed a push for AccountSid %.40s, which is not a "
			       "configured subaccount of it (parent_account = %s in its section)",
			       acct->name, sub_sid ? sub_sid : "(none)", acct->name);
			goto out;
		}
	}
	snprintf(res->account, sizeof(res->account), "%s", owner->name);
	/* Signed by Twilio: from here on a problem is Twilio's format, not an attack. */
	if (!is_sid(form_get(&f, "Sid"))) {
		answer(res, 400, "Sid is missing or not a SID");
		goto out;
	}
	raw = form_get(&f, "Payload");
	if (!raw) {
		answer(res, 400, "Payload is missing");
		goto out;
	}
	if (strlen(raw) > WEBHOOK_PAYLOAD_MAX) {
		answer(res, 400, "Payload is larger than %d bytes", WEBHOOK_PAYLOAD_MAX);
		goto out;
	}
	payload = json_loadb(raw, strlen(raw), 0, &jerr);
	if (!payload) {
		answer(res, 400, "Payload is not JSON: %s (line %d, column %d)", jerr.text,
		       jerr.line, jerr.column);
		goto out;
	}
	if (!json_is_object(payload)) {
		answer(res, 400, "Payload is not a JSON object");
		goto out;
	}
	obj = to_alert(&f, payload, raw, now);
	r = obj ? alert_from_json(&a, obj, &why) : -ENOMEM;
	if (r < 0) {
		answer(res, r == -ENOMEM ? 503 : 400, "Payload: %s", why ? why : "out of memory");
		goto out;
	}
	a.source = "push";
	push_http_response(payload, &a);
	r = push_msg(payload, &a);
	if (r == 0)
		r = store_http_insert_push(rw, &a, now, &res->stored);
	if (r < 0) {
		answer(res, 503, "cannot store the alert now: %s", store_errmsg(rw));
		goto out;
	}
	answer(res, 200, "%s %s", a.sid, res->stored ? "stored" : "already stored");
out:
	alert_finish(&a);
	json_decref(obj);
	json_decref(payload);
	free(params);
	form_finish(&f);
}

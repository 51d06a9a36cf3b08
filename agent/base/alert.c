// SPDX-License-Identifier: MIT
/*
 * Turning one alert object of the Monitor API into a struct alert.
 * Tolerant of what the API may vary (see twilio-monitor-api.md): string or
 * numeric error_code, several date forms, nulls and unknown fields. The
 * per-member logic is shared by jansson objects and the page scanner.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alert.h"
#include "base/form.h"

/* Parse a decimal integer that must fill the whole string. */
static bool parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end != '\0')
		return false;
	*out = v;
	return true;
}

static bool key_is(const char *key, const char *name, size_t len)
{
	return memcmp(key, name, len) == 0;
}

/* Every key is looked up once per member of every alert: dispatch on length first. */
int alert_field_lookup(const char *k, size_t len)
{
	switch (len) {
	case 3:
		if (key_is(k, "sid", 3))
			return ALERT_FIELD_SID;
		if (key_is(k, "url", 3))
			return ALERT_FIELD_URL;
		break;
	case 9:
		if (key_is(k, "log_level", 9))
			return ALERT_FIELD_LOG_LEVEL;
		if (key_is(k, "more_info", 9))
			return ALERT_FIELD_MORE_INFO;
		break;
	case 10:
		if (key_is(k, "alert_text", 10))
			return ALERT_FIELD_ALERT_TEXT;
		if (key_is(k, "error_code", 10))
			return ALERT_FIELD_ERROR_CODE;
		break;
	case 11:
		if (key_is(k, "account_sid", 11))
			return ALERT_FIELD_ACCOUNT_SID;
		if (key_is(k, "api_version", 11))
			return ALERT_FIELD_API_VERSION;
		if (key_is(k, "request_url", 11))
			return ALERT_FIELD_REQUEST_URL;
		if (key_is(k, "service_sid", 11))
			return ALERT_FIELD_SERVICE_SID;
		break;
	case 12:
		if (key_is(k, "date_created", 12))
			return ALERT_FIELD_DATE_CREATED;
		if (key_is(k, "date_updated", 12))
			return ALERT_FIELD_DATE_UPDATED;
		if (key_is(k, "resource_sid", 12))
			return ALERT_FIELD_RESOURCE_SID;
		break;
	case 13:
		if (key_is(k, "response_body", 13))
			return ALERT_FIELD_RESPONSE_BODY;
		break;
	case 14:
		if (key_is(k, "request_method", 14))
			return ALERT_FIELD_REQUEST_METHOD;
		if (key_is(k, "date_generated", 14))
			return ALERT_FIELD_DATE_GENERATED;
		break;
	case 15:
		if (key_is(k, "request_headers", 15))
			return ALERT_FIELD_REQUEST_HEADERS;
		break;
	case 16:
		if (key_is(k, "response_headers", 16))
			return ALERT_FIELD_RESPONSE_HEADERS;
		break;
	case 17:
		if (key_is(k, "request_variables", 17))
			return ALERT_FIELD_REQUEST_VARIABLES;
		break;
	}
	return -1;
}

void alert_init(struct alert *a)
{
	memset(a, 0, sizeof(*a));
	a->source = "poll";
}

/* Normalise one date into @out ("" if not a string or unparseable). */
static void set_date(enum alert_kind kind, const char *s, char out[UTIL_TIME_LEN], int64_t *t)
{
	int64_t v;

	out[0] = '\0';
	if (t)
		*t = 0;
	if (kind != ALERT_KIND_STRING || util_parse_time(s, &v) < 0)
		return;
	util_format_time(v, out);
	if (t)
		*t = v;
}

void alert_set_field(struct alert *a, enum alert_field f, enum alert_kind kind, const char *s,
                     int64_t i)
{
	const char *str = kind == ALERT_KIND_STRING ? s : NULL;

	switch (f) {
	case ALERT_FIELD_SID:
		a->sid = str;
		break;
	case ALERT_FIELD_ACCOUNT_SID:
		a->account_sid = str;
		break;
	case ALERT_FIELD_LOG_LEVEL:
		a->log_level = str;
		break;
	case ALERT_FIELD_ALERT_TEXT:
		a->alert_text = str;
		break;
	case ALERT_FIELD_MORE_INFO:
		a->more_info = str;
		break;
	case ALERT_FIELD_REQUEST_METHOD:
		a->request_method = str;
		break;
	case ALERT_FIELD_REQUEST_URL:
		a->request_url = str;
		break;
	case ALERT_FIELD_RESOURCE_SID:
		a->resource_sid = str;
		break;
	case ALERT_FIELD_SERVICE_SID:
		a->service_sid = str;
		break;
	case ALERT_FIELD_API_VERSION:
		a->api_version = str;
		break;
	case ALERT_FIELD_URL:
		a->url = str;
		break;
	case ALERT_FIELD_REQUEST_VARIABLES:
		a->request_variables = str;
		break;
	case ALERT_FIELD_RESPONSE_BODY:
		a->response_body = str;
		break;
	case ALERT_FIELD_RESPONSE_HEADERS:
		a->response_headers = str;
		break;
	case ALERT_FIELD_REQUEST_HEADERS:
		a->request_headers = str;
		break;
	case ALERT_FIELD_ERROR_CODE:
		/* The spec says string; older payloads and the Debugger push may use a number. */
		a->error_code = kind == ALERT_KIND_INTEGER ? i : 0;
		a->has_error_code =
		        kind == ALERT_KIND_INTEGER || (str && parse_int(str, &a->error_code));
		break;
	case ALERT_FIELD_DATE_CREATED:
		set_date(kind, s, a->date_created, &a->created);
		break;
	case ALERT_FIELD_DATE_GENERATED:
		set_date(kind, s, a->date_generated, NULL);
		break;
	case ALERT_FIELD_DATE_UPDATED:
		set_date(kind, s, a->date_updated, NULL);
		break;
	}
}

int alert_finish_fields(struct alert *a, const char **why)
{
	static const char *const names[] = {"Msg", "parserMessage", "httpResponse"};
	char *v[3];
	int r;

	if (!a->sid || !*a->sid) {
		if (why)
			*why = "alert has no sid";
		return -EINVAL;
	}
	if (!a->date_created[0]) {
		if (why)
			*why = "alert has no valid date_created";
		return -EINVAL;
	}
	if (a->request_url &&
	    util_url_host(a->request_url, a->request_host, sizeof(a->request_host)) < 0)
		a->request_host[0] = '\0';

	if (a->alert_text) {
		/*
		 * Read as the alert page and the webhook read a form (form.c): a text
		 * form_parse refuses gives no msg and no http_response, and alert_text
		 * itself is kept whole.
		 */
		r = form_lookup(a->alert_text, strlen(a->alert_text), names, ARRAY_SIZE(names), v);
		if (r == -ENOMEM)
			goto nomem;
		a->msg = v[0] ? v[0] : v[1];
		if (v[0])
			free(v[1]);
		if (v[2])
			a->has_http_response = parse_int(v[2], &a->http_response);
		free(v[2]);
	}
	return 0;
nomem:
	alert_finish(a);
	if (why)
		*why = "out of memory";
	return -ENOMEM;
}

int alert_from_json(struct alert *a, json_t *obj, const char **why)
{
	const char *key;
	json_t *v;

	alert_init(a);
	if (!json_is_object(obj)) {
		if (why)
			*why = "alert is not a JSON object";
		return -EINVAL;
	}
	json_object_foreach(obj, key, v)
	{
		int f = alert_field_lookup(key, strlen(key));
		enum alert_kind kind = ALERT_KIND_OTHER;

		if (f < 0)
			continue;
		if (json_is_string(v))
			kind = ALERT_KIND_STRING;
		else if (json_is_integer(v))
			kind = ALERT_KIND_INTEGER;
		else if (json_is_null(v))
			kind = ALERT_KIND_NULL;
		alert_set_field(a, (enum alert_field)f, kind, json_string_value(v),
		                kind == ALERT_KIND_INTEGER ? json_integer_value(v) : 0);
	}
	return alert_finish_fields(a, why);
}

void alert_finish(struct alert *a)
{
	if (!a)
		return;
	free(a->msg);
	a->msg = NULL;
}

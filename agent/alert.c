// SPDX-License-Identifier: MIT
/*
 * Turning one alert object of the Monitor API into a struct alert.
 * Tolerant of what the API may vary (see twilio-monitor-api.md): string or
 * numeric error_code, several date forms, nulls and unknown fields.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"

/* A string member, or NULL for null, absent or non-string values. */
static const char *str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Normalise one date member into @out ("" if absent or unparseable). */
static int date(json_t *obj, const char *key, char out[UTIL_TIME_LEN], int64_t *t)
{
	const char *s = str(obj, key);
	int64_t v;

	out[0] = '\0';
	if (!s || util_parse_time(s, &v) < 0)
		return -EINVAL;
	util_format_time(v, out);
	if (t)
		*t = v;
	return 0;
}

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

int alert_from_json(struct alert *a, json_t *obj, const char **why)
{
	json_t *code;
	char *resp = NULL;
	int r;

	memset(a, 0, sizeof(*a));
	if (!json_is_object(obj)) {
		if (why)
			*why = "alert is not a JSON object";
		return -EINVAL;
	}
	a->sid = str(obj, "sid");
	if (!a->sid || !*a->sid) {
		if (why)
			*why = "alert has no sid";
		return -EINVAL;
	}
	if (date(obj, "date_created", a->date_created, &a->created) < 0) {
		if (why)
			*why = "alert has no valid date_created";
		return -EINVAL;
	}
	date(obj, "date_generated", a->date_generated, NULL);
	date(obj, "date_updated", a->date_updated, NULL);

	a->account_sid = str(obj, "account_sid");
	a->log_level = str(obj, "log_level");
	a->alert_text = str(obj, "alert_text");
	a->more_info = str(obj, "more_info");
	a->request_method = str(obj, "request_method");
	a->request_url = str(obj, "request_url");
	a->resource_sid = str(obj, "resource_sid");
	a->service_sid = str(obj, "service_sid");
	a->api_version = str(obj, "api_version");
	a->url = str(obj, "url");
	a->request_variables = str(obj, "request_variables");
	a->response_body = str(obj, "response_body");
	a->response_headers = str(obj, "response_headers");
	a->request_headers = str(obj, "request_headers");
	a->source = "poll";

	/* The spec says string; older payloads and the Debugger push may use a number. */
	code = json_object_get(obj, "error_code");
	if (json_is_integer(code)) {
		a->error_code = json_integer_value(code);
		a->has_error_code = true;
	} else if (json_is_string(code)) {
		a->has_error_code = parse_int(json_string_value(code), &a->error_code);
	}

	if (a->request_url && util_url_host(a->request_url, a->request_host,
					    sizeof(a->request_host)) < 0)
		a->request_host[0] = '\0';

	if (a->alert_text) {
		r = util_form_get(a->alert_text, "Msg", &a->msg);
		if (r == -ENOENT)
			r = util_form_get(a->alert_text, "parserMessage", &a->msg);
		if (r == -ENOMEM)
			goto nomem;
		r = util_form_get(a->alert_text, "httpResponse", &resp);
		if (r == -ENOMEM)
			goto nomem;
		if (r == 0)
			a->has_http_response = parse_int(resp, &a->http_response);
		free(resp);
	}
	return 0;
nomem:
	alert_finish(a);
	if (why)
		*why = "out of memory";
	return -ENOMEM;
}

void alert_finish(struct alert *a)
{
	if (!a)
		return;
	free(a->msg);
	a->msg = NULL;
}

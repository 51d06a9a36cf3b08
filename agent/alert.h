/* SPDX-License-Identifier: MIT */
/*
 * One Monitor Alert as the agent stores it: the API's fields, dates
 * normalised to UTC "YYYY-MM-DDTHH:MM:SSZ", and the fields users filter on
 * most parsed out of alert_text and request_url.
 */
#ifndef ALERTD_ALERT_H
#define ALERTD_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "util.h"

/* A host name is at most 253 bytes (RFC 1035). */
#define ALERT_HOST_MAX 256

struct alert {
	/* Borrowed from the JSON object given to alert_from_json (NULL = JSON null/absent). */
	const char *sid;
	const char *account_sid;
	const char *log_level;
	const char *alert_text;
	const char *more_info;
	const char *request_method;
	const char *request_url;
	const char *resource_sid;
	const char *service_sid;
	const char *api_version;
	const char *url;
	/* Only in a fetched instance; NULL in list items. */
	const char *request_variables;
	const char *response_body;
	const char *response_headers;
	const char *request_headers;

	bool has_error_code;
	int64_t error_code;

	/* Normalised dates; "" when absent or unparseable. */
	char date_created[UTIL_TIME_LEN];
	char date_generated[UTIL_TIME_LEN];
	char date_updated[UTIL_TIME_LEN];
	int64_t created;	/* date_created in epoch seconds */

	/* Parsed from alert_text / request_url; owned, freed by alert_finish. */
	char *msg;		/* Msg (or parserMessage); NULL if absent */
	bool has_http_response;
	int64_t http_response;	/* httpResponse, when numeric */
	char request_host[ALERT_HOST_MAX];	/* "" when no usable URL */
	const char *source;	/* "poll" or "push" (static string) */
};

/*
 * alert_from_json - fill @a from one alert object of a list page or a
 * fetch. Tolerant: error_code as string or number, dates in any form
 * util_parse_time accepts, null or missing fields, unknown fields ignored.
 * String pointers borrow from @obj, which must outlive @a.
 * Returns 0, -EINVAL when @obj is not an object or has no string sid or
 * no parseable date_created (the reason in *@why if not NULL, static
 * text), or -ENOMEM. On error @a needs no alert_finish.
 */
int alert_from_json(struct alert *a, json_t *obj, const char **why);

/* alert_finish - free what alert_from_json allocated; zeroed @a is fine. */
void alert_finish(struct alert *a);

#endif

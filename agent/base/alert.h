/* SPDX-License-Identifier: MIT */
/*
 * One Monitor Alert as the agent stores it: the API's fields, dates
 * normalised to UTC "YYYY-MM-DDTHH:MM:SSZ", and the fields users filter on
 * most parsed out of alert_text and request_url.
 */
#ifndef ALERTD_ALERT_H
#define ALERTD_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/util.h"

/* A host name is at most 253 bytes (RFC 1035). */
#define ALERT_HOST_MAX 256

struct alert {
	/* Borrowed from the JSON text or object parsed (NULL = JSON null/absent). */
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
	int64_t created; /* date_created in epoch seconds */

	/* Parsed from alert_text / request_url; owned, freed by alert_finish. */
	char *msg; /* Msg (or parserMessage); NULL if absent */
	bool has_http_response;
	int64_t http_response;             /* httpResponse, when numeric */
	char request_host[ALERT_HOST_MAX]; /* "" when no usable URL */
	const char *source;                /* "poll" or "push" (static string) */
};

/* The members of an alert object the agent keeps; others are ignored. */
enum alert_field {
	ALERT_FIELD_SID,
	ALERT_FIELD_ACCOUNT_SID,
	ALERT_FIELD_LOG_LEVEL,
	ALERT_FIELD_ALERT_TEXT,
	ALERT_FIELD_MORE_INFO,
	ALERT_FIELD_REQUEST_METHOD,
	ALERT_FIELD_REQUEST_URL,
	ALERT_FIELD_RESOURCE_SID,
	ALERT_FIELD_SERVICE_SID,
	ALERT_FIELD_API_VERSION,
	ALERT_FIELD_URL,
	ALERT_FIELD_REQUEST_VARIABLES,
	ALERT_FIELD_RESPONSE_BODY,
	ALERT_FIELD_RESPONSE_HEADERS,
	ALERT_FIELD_REQUEST_HEADERS,
	ALERT_FIELD_ERROR_CODE,
	ALERT_FIELD_DATE_CREATED,
	ALERT_FIELD_DATE_GENERATED,
	ALERT_FIELD_DATE_UPDATED,
};

/* The JSON type of a member's value, as far as the fields care. */
enum alert_kind {
	ALERT_KIND_NULL,
	ALERT_KIND_STRING,
	ALERT_KIND_INTEGER, /* a number without fraction or exponent, in int64 range */
	ALERT_KIND_OTHER,   /* true, false, a real, an object or an array */
};

/*
 * alert_from_json - fill @a from one alert object of a list page or a
 * fetch. Tolerant: error_code as string or number, dates in any form
 * util_parse_time accepts, null or missing fields, unknown fields ignored.
 * String pointers borrow from @obj, which must outlive @a.
 * Returns 0, -EINVAL when @obj is not an object or has no string sid or
 * no parseable date_created (the reason in *@why if not NULL, static
 * text), or -ENOMEM. On error @a needs no alert_finish.
 * Built from the calls below, which other parsers (scan.c) share.
 */
int alert_from_json(struct alert *a, json_t *obj, const char **why);

/* alert_init - start an alert for alert_set_field: all fields absent. */
void alert_init(struct alert *a);

/*
 * alert_field_lookup - the field named by the member key @key of @len bytes
 * (not necessarily NUL-terminated; exact, case-sensitive match), or -1 for
 * a member the agent ignores.
 */
int alert_field_lookup(const char *key, size_t len);

/*
 * alert_set_field - set field @f from a member's value: @kind, and @s (a
 * NUL-terminated string, for ALERT_KIND_STRING; borrowed, it must outlive
 * @a) or @i (for ALERT_KIND_INTEGER). A later call for the same field
 * replaces the earlier one entirely (JSON's last duplicate wins). Values of
 * the wrong kind make the field absent, except that error_code takes an
 * integer or a string of decimal digits. Dates are normalised here.
 */
void alert_set_field(struct alert *a, enum alert_field f, enum alert_kind kind, const char *s,
                     int64_t i);

/*
 * alert_finish_fields - after the last alert_set_field: check that the
 * alert has a non-empty sid and a valid date_created, then derive msg,
 * http_response and request_host. msg and http_response are read from
 * alert_text with form_parse (the decoder the page uses): a text it refuses
 * gives neither. Returns 0, -EINVAL (reason in *@why if
 * not NULL, static text) or -ENOMEM. On error @a needs no alert_finish
 * (calling it is harmless).
 */
int alert_finish_fields(struct alert *a, const char **why);

/* alert_finish - free what alert_finish_fields allocated; zeroed @a is fine. */
void alert_finish(struct alert *a);

#endif

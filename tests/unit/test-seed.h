/* SPDX-License-Identifier: MIT */
/*
 * Alerts for the unit tests of the readers (store-read, summary, page):
 * one call stores one alert with the fields a test cares about, through
 * the same alert_set_field / store_upsert_alert path a poll takes.
 */
#ifndef ALERTD_TEST_SEED_H
#define ALERTD_TEST_SEED_H

#include <stdio.h>
#include <unistd.h>

#include "base/alert.h"
#include "store/store.h"

struct seed {
	int n;           /* the SID is "NO" and n in 32 digits */
	int64_t created; /* epoch seconds */
	const char *account_sid;
	const char *level;
	int64_t code;
	const char *alert_text;   /* may be NULL */
	const char *request_url;  /* may be NULL */
	const char *resource_sid; /* may be NULL */
};

/* Store @a inside the caller's transaction (or autocommit). Returns 0 or -errno. */
static inline int seed_alert(struct store *s, const struct seed *a)
{
	char sid[40], date[UTIL_TIME_LEN];
	struct alert al;
	int r;

	alert_init(&al);
	snprintf(sid, sizeof(sid), "NO%032d", a->n);
	util_format_time(a->created, date);
	alert_set_field(&al, ALERT_FIELD_SID, ALERT_KIND_STRING, sid, 0);
	alert_set_field(&al, ALERT_FIELD_ACCOUNT_SID, ALERT_KIND_STRING, a->account_sid, 0);
	alert_set_field(&al, ALERT_FIELD_DATE_CREATED, ALERT_KIND_STRING, date, 0);
	alert_set_field(&al, ALERT_FIELD_LOG_LEVEL, ALERT_KIND_STRING, a->level, 0);
	alert_set_field(&al, ALERT_FIELD_ERROR_CODE, ALERT_KIND_INTEGER, NULL, a->code);
	if (a->alert_text)
		alert_set_field(&al, ALERT_FIELD_ALERT_TEXT, ALERT_KIND_STRING, a->alert_text, 0);
	if (a->request_url)
		alert_set_field(&al, ALERT_FIELD_REQUEST_URL, ALERT_KIND_STRING, a->request_url, 0);
	if (a->resource_sid)
		alert_set_field(&al, ALERT_FIELD_RESOURCE_SID, ALERT_KIND_STRING, a->resource_sid,
		                0);
	al.source = "poll";
	r = alert_finish_fields(&al, NULL);
	if (r == 0)
		r = store_upsert_alert(s, &al, a->created, NULL);
	alert_finish(&al);
	return r;
}

/* Remove database @db and its -wal / -shm files, then folder @dir. */
static inline void seed_cleanup(const char *dir, const char *db)
{
	static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
	char p[256];

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", db, ext[i]);
		unlink(p);
	}
	rmdir(dir);
}

#endif

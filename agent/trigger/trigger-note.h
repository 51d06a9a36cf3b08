/* SPDX-License-Identifier: MIT */
/*
 * The notification JSON of a trigger event (trigger-note.c, README
 * "Notifications"): what a group's window holds (codes, accounts, the
 * newest examples) and the idempotency key that a receiver deduplicates on.
 */
#ifndef ALERTD_TRIGGER_NOTE_H
#define ALERTD_TRIGGER_NOTE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "base/config.h"
#include "base/util.h"
#include "store/store-trigger.h"
#include "trigger/trigger-rule.h"

/* Version of the notification JSON documented in README.md ("Notifications"). */
#define TRIGGER_SCHEMA_VERSION 1
/* Example alerts in a notification, and error codes listed. */
#define TRIGGER_EXAMPLES 10
#define TRIGGER_TOP_CODES 5
#define TRIGGER_ACCOUNTS_MAX 16
/* A notification's codes and accounts come from at most this many of the newest alerts. */
#define TRIGGER_DETAILS_MAX 1000
/* Longest idempotency key (trigger, group, started and kind, percent-encoded). */
#define TRIGGER_KEY_MAX 900

/* What a group's window holds, for a notification. */
struct trigger_example {
	char sid[40];
	char date_created[UTIL_TIME_LEN];
	bool has_error_code;
	int64_t error_code;
	char log_level[16];
	char account_sid[40];
	char msg[256];
	char request_method[12];
	char request_url[512];
};

struct trigger_details {
	int64_t limit; /* stop after this many alerts (0 = all) */
	int64_t total;
	struct {
		bool has;
		int64_t code;
		int64_t n;
	} codes[64];
	size_t n_codes;
	int64_t other_codes; /* alerts whose code did not fit in codes[] */
	char accounts[TRIGGER_ACCOUNTS_MAX][40];
	size_t n_accounts;
	struct trigger_example examples[TRIGGER_EXAMPLES]; /* newest first */
	size_t n_examples;
};

/*
 * trigger_details_add - count @a into @d (a store_alert_fn; @arg is @d).
 * Returns 0, or 1 (stop) once @d->limit alerts are counted.
 */
int trigger_details_add(const struct store_trigger_alert *a, void *arg);

/*
 * trigger_notification - the notification JSON (README "Notifications") of
 * @ev for @group of @c at @now, with the state after the step, the count
 * and the window's details. *@key gets the idempotency key. Returns a new
 * reference, or NULL when out of memory.
 */
json_t *trigger_notification(const struct config *cfg, const struct trigger_compiled *c,
                             const char *group, const struct store_trigger_state *st,
                             enum trigger_event ev, int64_t count, int64_t now,
                             const struct trigger_details *d, char key[TRIGGER_KEY_MAX]);

#endif

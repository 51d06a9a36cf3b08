/* SPDX-License-Identifier: MIT */
/*
 * Triggers: local alarms over the stored alerts. Each [trigger NAME] counts
 * its matching alerts over a sliding window, per group, and moves each group
 * through ok -> (pending ->) firing -> ok. Every transition that notifies,
 * and every repeat, goes into the outbox in the transaction that changes the
 * state; notify.c delivers it. `triggers list|test|backtest` live here too.
 */
#ifndef ALERTD_TRIGGER_H
#define ALERTD_TRIGGER_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "base/config.h"
#include "base/sign.h"
#include "store/store-trigger.h"
#include "store/store.h"

/* Version of the notification JSON documented in README.md ("Notifications"). */
#define TRIGGER_SCHEMA_VERSION 1
/* Example alerts in a notification, and error codes listed. */
#define TRIGGER_EXAMPLES 10
#define TRIGGER_TOP_CODES 5
#define TRIGGER_ACCOUNTS_MAX 16
/* A notification's codes and accounts come from at most this many of the newest alerts. */
#define TRIGGER_DETAILS_MAX 1000
/* More new alerts than this since the last evaluation: rebuild from the windows instead. */
#define TRIGGER_NEW_ROWS_MAX 50000
/* Hits of one `where` trigger found before the write transaction, at most (else found in it). */
#define TRIGGER_COLLECT_MAX 262144
/* Longest idempotency key (trigger, group, started and kind, percent-encoded). */
#define TRIGGER_KEY_MAX 900

enum trigger_event {
	TRIGGER_NONE = 0,
	TRIGGER_FIRED,
	TRIGGER_REPEAT,
	TRIGGER_RESOLVED,
};

/*
 * trigger_step - the state machine of one trigger for one group: @count
 * matching alerts are in the window at @now. Updates *@st (state, since,
 * started, last_notified, repeats, last_resolved; not count or updated) and
 * returns the notification it causes, if any:
 *   ok      + count >= threshold: firing (FIRED), or pending when `for` > 0
 *   pending + below:              ok, silently
 *   pending + held for `for`:     firing (FIRED)
 *   firing  + still over:         REPEAT when `repeat` > 0 has passed since the last one
 *   firing  + below:              ok (RESOLVED when `resolve` = yes)
 */
enum trigger_event trigger_step(const struct config_trigger *t, struct store_trigger_state *st,
                                int64_t count, int64_t now);

/* "fired", "repeat", "resolved" ("none" for TRIGGER_NONE). */
const char *trigger_event_name(enum trigger_event ev);
/* "ok", "pending", "firing". */
const char *trigger_state_name(enum store_trigger_status state);

/* A trigger ready to match alerts: regex compiled, account names resolved to SIDs. */
struct trigger_compiled {
	const struct config_trigger *t;
	regex_t re;
	bool has_re;
	const char *account_sids[64];
	size_t n_account_sids;
	char *host_glob; /* lower case, NULL = any */
	char fingerprint[SIGN_SHA256_HEX_LEN];
};

/*
 * trigger_compile - prepare @t (of @cfg, which must outlive @c) for
 * matching. Returns 0, -EINVAL (regex or more than 64 accounts; the config
 * loader refuses both first) or -ENOMEM. Free with trigger_compiled_finish.
 */
int trigger_compile(const struct config *cfg, const struct config_trigger *t,
                    struct trigger_compiled *c);

/* trigger_compiled_finish - free what trigger_compile made; a zeroed @c is fine. */
void trigger_compiled_finish(struct trigger_compiled *c);

/*
 * trigger_match - whether @a passes every matcher of @c except `where`,
 * which the store applies in SQL.
 */
bool trigger_match(const struct trigger_compiled *c, const struct store_trigger_alert *a);

/*
 * trigger_group - the group of @a under @c's group_by into @out: "" without
 * group_by, "-" when the alert has no value for it.
 */
void trigger_group(const struct trigger_compiled *c, const struct store_trigger_alert *a,
                   char out[STORE_GROUP_MAX]);

/*
 * trigger_copy_text - @v into @out (@size > 0), cut if need be at a UTF-8
 * character boundary, never inside a character.
 */
void trigger_copy_text(char *out, size_t size, const char *v);

struct trigger_result {
	int64_t evaluated; /* triggers */
	int64_t fired;
	int64_t repeats;
	int64_t resolved;
	int64_t queued;  /* outbox rows written */
	int64_t rebuilt; /* triggers whose hits were rebuilt (new or edited) */
};

/*
 * trigger_evaluate - one evaluation of every trigger of @cfg at @now, in
 * one transaction: match the alerts stored since the last one, rebuild the
 * hits of new or edited triggers, step every group that is over the
 * threshold or not ok, write states and outbox rows, prune old states and
 * delivered rows. The `where` scans run first, in a read transaction, so a
 * slow `where` holds no write lock. A trigger whose `where` goes over its
 * budget (STORE_WHERE_STEPS_MAX, STORE_HEAP_MAX) is left out, logged
 * in one line and recorded (store_trigger_def_fail); the others are
 * evaluated. *@res (may be NULL) gets the tally. Returns 0 or -errno
 * (nothing changed; store_errmsg says why); -EINTR when the store's stop
 * flag (store_set_stop) ended a `where`.
 */
int trigger_evaluate(struct store *s, const struct config *cfg, int64_t now,
                     struct trigger_result *res);

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

/* One notification a backtest finds. */
struct trigger_backtest_event {
	int64_t at;
	enum trigger_event ev;
	const char *group;
	int64_t count;
};

/*
 * trigger_backtest - replay the stored alerts of @c from @from to @to as if
 * the trigger had been evaluated at every moment the count changed (and
 * when `for` and `repeat` fall due), starting with every group ok and the
 * alerts of the window before @from already counted. Calls @fn for each
 * notification in time order; *@still_firing (may be NULL) gets the number
 * of groups firing at @to and *@matched the alerts matched. Works on a
 * read-only store. Returns 0, @fn's value, -E2BIG (more than
 * TRIGGER_BACKTEST_MAX alerts match) or -errno.
 */
#define TRIGGER_BACKTEST_MAX 5000000
int trigger_backtest(struct store *s, const struct trigger_compiled *c, int64_t from, int64_t to,
                     int (*fn)(const struct trigger_backtest_event *e, void *arg), void *arg,
                     int64_t *still_firing, int64_t *matched);

/*
 * trigger_command - `twilio-alertd [-c FILE] triggers list | test NAME |
 * backtest NAME [--days N]` with @argv the operands after "triggers" (no
 * options) and @days_text the value of --days (NULL when not given).
 * Prints to stdout; a usage error is one line on stderr. Returns an exit
 * status.
 */
int trigger_command(const char *path, int argc, char **argv, const char *days_text);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The store's queries for triggers and the notification outbox (schema
 * 0002-triggers.sql): alerts as triggers see them, the hits kept per
 * trigger inside its window, the state per trigger and group, the outbox.
 * The `where` sandbox they run under is store-where.h.
 */
#ifndef ALERTD_STORE_TRIGGER_H
#define ALERTD_STORE_TRIGGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The triggers queue into the outbox: its users get store-outbox.h through this header too. */
#include "store/store-outbox.h"
#include "store/store-where.h"
#include "store/store.h"

/* A group value (error code, account SID, host, resource SID) is cut to this. */
#define STORE_GROUP_MAX 256

/* One alert as the trigger code sees it. Strings are borrowed until the callback returns. */
struct store_trigger_alert {
	const char *sid;
	const char *date_created;
	int64_t created; /* date_created in epoch seconds */
	bool has_error_code;
	int64_t error_code;
	const char *log_level; /* the rest may be NULL */
	const char *account_sid;
	const char *alert_text;
	const char *request_host;
	const char *resource_sid;
	const char *msg;
	const char *request_method;
	const char *request_url;
	const char *source; /* "poll" or "push" */
	int64_t rowid;      /* of the alerts table (0 from store_trigger_hits_alerts) */
};

/*
 * store_trigger_incomplete - whether @a was stored from a webhook push and
 * not completed by a poll yet (its alert_text is still the Payload JSON).
 */
bool store_trigger_incomplete(const struct store_trigger_alert *a);

/* Called per alert; a non-zero return stops the scan and is returned by it. */
typedef int (*store_alert_fn)(const struct store_trigger_alert *a, void *arg);

/*
 * store_trigger_scan - call @fn for each alert with @from < date_created
 * (and date_created <= @to when @to > 0), in date_created order when
 * @ordered, restricted by @where (NULL = none; an expression that passed
 * store_trigger_check_where) which runs under the read-only authorizer.
 * Works on a read-only store. Returns 0, @fn's non-zero value, or -errno.
 * An alert on which @where fails at run time (malformed JSON, a bad REGEXP
 * pattern) does not match; the scan goes on (logged once per scan), here
 * and in the two functions below. A scan with @where is bounded: -ETIME
 * when it ran more than STORE_WHERE_STEPS_MAX VM steps, -EFBIG when it
 * needed more than SQLite's heap limit (STORE_HEAP_MAX), -EINTR when the stop
 * flag (store_set_stop) was raised; store_errmsg says which.
 */
int store_trigger_scan(struct store *s, const char *where, int64_t from, int64_t to, bool ordered,
                       store_alert_fn fn, void *arg);

/*
 * store_trigger_scan_new - call @fn for each alert stored after rowid
 * @after (alerts get increasing rowids as they are stored), restricted by
 * @where as above. Returns 0, @fn's non-zero value, or -errno.
 */
int store_trigger_scan_new(struct store *s, const char *where, int64_t after, store_alert_fn fn,
                           void *arg);

/*
 * store_trigger_scan_sid - call @fn for alert @sid if it is stored (and
 * passes @where). Returns 0, @fn's non-zero value, or -errno.
 */
int store_trigger_scan_sid(struct store *s, const char *where, const char *sid, store_alert_fn fn,
                           void *arg);

/*
 * The pushed alerts to match again once a poll completes them:
 * store_trigger_recheck_add and _drop add and remove one (with the
 * date_created it was matched with); store_trigger_recheck_list gives all
 * of them in *@pairs, sid then date_created (*@n strings; the caller frees
 * each and the array). store_trigger_hits_forget deletes the hits of alert
 * @sid (matched with @date_created) of the triggers in @names, taking them
 * off the counts. Return 0 or -errno.
 */
int store_trigger_recheck_add(struct store *s, const char *sid, const char *date_created);
int store_trigger_recheck_drop(struct store *s, const char *sid);
int store_trigger_recheck_list(struct store *s, char ***pairs, size_t *n);
int store_trigger_hits_forget(struct store *s, const char *const *names, size_t n_names,
                              const char *sid, const char *date_created);

/*
 * store_trigger_cursor - where the last evaluation stopped: *@last (0 =
 * nowhere yet), *@max the highest rowid now in alerts (0 = empty), and
 * *@valid false when the rows after *@last cannot be told apart any more
 * (the alert at *@last is gone or is another one: rowids reused after a
 * delete, or renumbered by VACUUM); the caller must then rebuild.
 * Returns 0 or -errno.
 */
int store_trigger_cursor(struct store *s, int64_t *last, int64_t *max, bool *valid);

/* store_trigger_cursor_set - remember @rowid (and its sid) as matched. 0 or -errno. */
int store_trigger_cursor_set(struct store *s, int64_t rowid);

/*
 * store_trigger_def_get - the fingerprint stored for @name into @fp
 * ("" when none). store_trigger_def_set records it (now = rebuild time).
 * store_trigger_defs_retain deletes the defs and hits of every trigger not
 * in @names. Return 0 or -errno.
 */
int store_trigger_def_get(struct store *s, const char *name, char *fp, size_t size);
int store_trigger_def_set(struct store *s, const char *name, const char *fp, int64_t now);
int store_trigger_defs_retain(struct store *s, const char *const *names, size_t n);

/*
 * store_trigger_def_fail - record that trigger @name was not evaluated at
 * @now because of @error (one line), and clear its fingerprint so the next
 * evaluation rebuilds its hits; store_trigger_def_set clears the error.
 * store_trigger_def_error - the error recorded for @name into @error and
 * *@when; -ENOENT when there is none. Return 0 or -errno.
 */
int store_trigger_def_fail(struct store *s, const char *name, const char *error, int64_t now);
int store_trigger_def_error(struct store *s, const char *name, char *error, size_t size,
                            int64_t *when);
/*
 * store_trigger_def_errors - call @fn for every trigger with an error
 * recorded, in name order (strings borrowed for the call). Returns 0,
 * @fn's non-zero value, or -errno. Works on a read-only store.
 */
int store_trigger_def_errors(struct store *s,
                             int (*fn)(const char *name, const char *error, int64_t when,
                                       void *arg),
                             void *arg);

/*
 * store_trigger_hit_add - record that alert @sid (of @date_created) matches
 * trigger @name in @group, and count it in the group (once: a hit already
 * recorded changes nothing). store_trigger_hits_delete - delete @name's hits
 * with date_created <= @until (INT64_MAX = all), taking them off the
 * counts. Inside the caller's transaction. Return 0 or -errno.
 */
int store_trigger_hit_add(struct store *s, const char *name, const char *date_created,
                          const char *group, const char *sid);
int store_trigger_hits_delete(struct store *s, const char *name, int64_t until);

/*
 * store_trigger_counts - call @fn with each group of trigger @name that
 * has at least @min hits, and the number, in group order. Returns 0, @fn's
 * non-zero value, or -errno. store_trigger_count_get - one group's number
 * of hits (0 when none). Returns 0 or -errno.
 */
int store_trigger_counts(struct store *s, const char *name, int64_t min,
                         int (*fn)(const char *group, int64_t count, void *arg), void *arg);
int store_trigger_count_get(struct store *s, const char *name, const char *group, int64_t *count);

/*
 * store_trigger_hits_alerts - call @fn for the alerts of @name's hits in
 * @group with @from < date_created <= @to, newest first. Returns as above.
 */
int store_trigger_hits_alerts(struct store *s, const char *name, const char *group, int64_t from,
                              int64_t to, store_alert_fn fn, void *arg);

enum store_trigger_status {
	STORE_TRIGGER_OK = 0,
	STORE_TRIGGER_PENDING,
	STORE_TRIGGER_FIRING,
};

/* The state of one trigger for one group (times in epoch seconds, 0 = never). */
struct store_trigger_state {
	char group[STORE_GROUP_MAX];
	enum store_trigger_status state;
	int64_t since;
	int64_t started;
	int64_t last_notified;
	int64_t repeats;
	int64_t last_resolved;
	int64_t count;
	int64_t updated;
};

/*
 * store_trigger_state_list - call @fn for @name's states in group order:
 * all of them, or only pending and firing ones when @active. Returns 0,
 * @fn's value, or -errno. @fn must not use the store.
 */
int store_trigger_state_list(struct store *s, const char *name, bool active,
                             int (*fn)(const struct store_trigger_state *st, void *arg), void *arg);

/* store_trigger_state_get - @name/@group's state; -ENOENT (zeroed *@st) when none. */
int store_trigger_state_get(struct store *s, const char *name, const char *group,
                            struct store_trigger_state *st);

/* store_trigger_state_put - insert or replace @name/@st->group's state. 0 or -errno. */
int store_trigger_state_put(struct store *s, const char *name,
                            const struct store_trigger_state *st);

/*
 * store_trigger_prune - delete 'ok' states not updated since @before and
 * delivered outbox rows delivered before @before. Returns 0 or -errno.
 */
int store_trigger_prune(struct store *s, int64_t before);

#endif

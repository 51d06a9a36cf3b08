/* SPDX-License-Identifier: MIT */
/*
 * One trigger's rule (trigger-rule.c), the base of the trigger stage: the
 * state machine of one group, a trigger compiled for matching, the matchers
 * and an alert's group. The evaluation, the notification JSON and the
 * backtest are built on it.
 */
#ifndef ALERTD_TRIGGER_RULE_H
#define ALERTD_TRIGGER_RULE_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "base/sign.h"
#include "store/store-trigger.h"

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

#endif

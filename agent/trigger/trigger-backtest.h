/* SPDX-License-Identifier: MIT */
/*
 * The backtest (trigger-backtest.c): a trigger's stored history replayed
 * through the same state machine as the live evaluation, for `triggers
 * backtest`. Only reads.
 */
#ifndef ALERTD_TRIGGER_BACKTEST_H
#define ALERTD_TRIGGER_BACKTEST_H

#include <stdint.h>

#include "store/store.h"
#include "trigger/trigger-rule.h"

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

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Triggers: local alarms over the stored alerts. Each [trigger NAME] counts
 * its matching alerts over a sliding window, per group, and moves each group
 * through ok -> (pending ->) firing -> ok. trigger_evaluate returns what is
 * due: every transition that notifies, and every repeat, goes into the
 * outbox in the transaction that changes the state, and the driver has the
 * notify stage deliver it. The stage, bottom to top: trigger-rule.h (one
 * trigger's rule), trigger-note.h (the notification JSON), this file (the
 * evaluation) and trigger-backtest.h (replaying history).
 */
#ifndef ALERTD_TRIGGER_H
#define ALERTD_TRIGGER_H

#include <stdint.h>

#include "base/config.h"
#include "store/store.h"

/* More new alerts than this since the last evaluation: rebuild from the windows instead. */
#define TRIGGER_NEW_ROWS_MAX 50000
/* Hits of one `where` trigger found before the write transaction, at most (else found in it). */
#define TRIGGER_COLLECT_MAX 262144

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

#endif

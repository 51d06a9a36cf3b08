/* SPDX-License-Identifier: MIT */
/*
 * The store's queries behind `twilio-alertd outbox list|retry|drop`: the
 * undelivered rows of the outbox (schema/0002-triggers.sql), chosen by
 * channel and/or id, listed with their stored times, made due again, or
 * deleted. Delivered rows are never touched here.
 */
#ifndef ALERTD_STORE_OUTBOX_H
#define ALERTD_STORE_OUTBOX_H

#include <stdint.h>

#include "store/store-trigger.h"
#include "store/store.h"

/* Which undelivered rows: @channel NULL = every channel, @id 0 = every id. */
struct store_outbox_pick {
	const char *channel;
	int64_t id;
};

/*
 * store_outbox_list - call @fn for each undelivered row @pick chooses, by
 * id (payload NULL; strings valid during the call). Returns 0, @fn's
 * non-zero value, or -errno. @fn must not use the store.
 */
int store_outbox_list(struct store *s, const struct store_outbox_pick *pick,
                      int (*fn)(const struct store_outbox *o, void *arg), void *arg);

/*
 * store_outbox_reschedule - set next_attempt to @when on the undelivered
 * rows @pick chooses (attempts and last_error stay), in the caller's
 * transaction or its own. *@changed gets how many. Returns 0 or -errno.
 */
int store_outbox_reschedule(struct store *s, const struct store_outbox_pick *pick, int64_t when,
                            int64_t *changed);

/*
 * store_outbox_delete - delete the undelivered rows @pick chooses.
 * *@changed gets how many. Returns 0 or -errno.
 */
int store_outbox_delete(struct store *s, const struct store_outbox_pick *pick, int64_t *changed);

#endif

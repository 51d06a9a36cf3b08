/* SPDX-License-Identifier: MIT */
/*
 * The outbox (schema/0002-triggers.sql): notifications the triggers queue
 * and the notifier delivers, its summary, and the queries behind
 * `twilio-alertd outbox list|retry|drop`: the undelivered rows chosen by
 * channel and/or id, listed with their stored times, made due again, or
 * deleted (delivered rows are never touched by those).
 */
#ifndef ALERTD_STORE_OUTBOX_H
#define ALERTD_STORE_OUTBOX_H

#include <stdint.h>

#include "store/store.h"

/* One outbox row. Strings are borrowed (from the caller, or until the callback returns). */
struct store_outbox {
	int64_t id;
	const char *idempotency_key;
	const char *channel;
	const char *trigger_name;
	const char *group;
	const char *kind; /* fired | repeat | resolved */
	int64_t created;
	const char *payload;
	int64_t attempts;
	int64_t next_attempt;
	const char *last_error; /* NULL = none */
	int64_t last_attempt;   /* 0 = never (store_outbox_list only) */
};

/*
 * store_outbox_add - queue @o (id, attempts, last_error ignored; next
 * attempt = created) in the caller's transaction. A row with the same
 * idempotency key and channel already queued is kept as it is.
 * Returns 0 or -errno.
 */
int store_outbox_add(struct store *s, const struct store_outbox *o);

/*
 * store_outbox_pending - call @fn for every undelivered row, by channel
 * then id. Returns 0, @fn's value, or -errno. @fn must not use the store.
 */
int store_outbox_pending(struct store *s, int (*fn)(const struct store_outbox *o, void *arg),
                         void *arg);

/*
 * store_outbox_done - record an attempt at row @id made at @now: @error NULL
 * = delivered; else one more failed attempt, not retried before @next.
 * Returns 0 or -errno.
 */
int store_outbox_done(struct store *s, int64_t id, int64_t now, const char *error, int64_t next);

/* The outbox in numbers, for `status` and `triggers list`. */
struct store_outbox_summary {
	int64_t pending;        /* not delivered yet */
	int64_t failing;        /* of those, with at least one failed attempt */
	int64_t delivered;      /* delivered rows still kept */
	int64_t oldest_pending; /* created, 0 = none */
	int64_t next_attempt;   /* earliest next attempt, 0 = none */
	char last_error[256];   /* of the most recently failed pending row */
	char last_error_channel[64];
};

/* store_outbox_summarize - for trigger @name, or all when NULL. 0 or -errno. */
int store_outbox_summarize(struct store *s, const char *name, struct store_outbox_summary *sum);

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

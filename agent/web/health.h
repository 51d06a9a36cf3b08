/* SPDX-License-Identifier: MIT */
/*
 * The health verdict, made in one place for /healthz, the status page,
 * /metrics, /api/status and `status`: every configured account polled
 * successfully within HEALTH_INTERVALS intervals, and no notification for
 * a configured channel waiting that long. Outbox rows of a channel that is
 * no longer configured are "orphaned": reported by name, never a failure.
 */
#ifndef ALERTD_HEALTH_H
#define ALERTD_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "store/store-read.h"

/* An account is unhealthy after this many intervals without a successful poll. */
#define HEALTH_INTERVALS 3
/* Bytes of a verdict's reason, NUL included. */
#define HEALTH_REASON_MAX 600
/* Accounts' sync states read. */
#define HEALTH_SYNC_MAX 64

/* What the verdict is made of: read by health_read, or filled by the caller. */
/* Triggers left out of their last evaluation (a `where` over its budget) read. */
#define HEALTH_TRIGGER_ERRORS_MAX 32
struct health_trigger_error {
	char trigger[128];
	char error[256];
	int64_t when; /* when it was last tried */
};
struct health_data {
	struct store_http_sync sync[HEALTH_SYNC_MAX];
	size_t n_sync;
	struct store_http_triggers tr;
	struct health_trigger_error terr[HEALTH_TRIGGER_ERRORS_MAX];
	size_t n_terr;
};

/*
 * health_read - the sync states, the trigger/outbox numbers and the
 * triggers left out of their last evaluation (the first
 * HEALTH_TRIGGER_ERRORS_MAX, by name) of @s into @d (zeroed first). Returns 0 or -errno
 * (store_errmsg says why).
 */
int health_read(struct store *s, struct health_data *d);

/* health_sync - @name's sync state in @d, or NULL when it was never polled. */
const struct store_sync_state *health_sync(const struct health_data *d, const char *name);

/* health_orphaned - whether @c's rows are for a channel @cfg does not configure. */
bool health_orphaned(const struct config *cfg, const struct store_http_channel *c);

/* The outbox split by whether the channel is still configured. */
struct health_outbox {
	int64_t waiting;            /* undelivered rows of configured channels */
	int64_t failing;            /* of those, with at least one failed attempt */
	int64_t oldest_waiting;     /* created time of the oldest of them, 0 = none */
	const char *oldest_channel; /* its channel (points into the data), NULL = none */
	int64_t orphaned;           /* undelivered rows of channels no longer configured */
	size_t orphaned_channels;
};

/* health_outbox - split @tr's channels under @cfg into *@out. */
void health_outbox(const struct config *cfg, const struct store_http_triggers *tr,
                   struct health_outbox *out);

/*
 * health_verdict - the verdict at @now into @reason (@size bytes): "" when
 * healthy, else one line naming the first problem found. An account never
 * polled successfully counts from @started (the server's start), or is a
 * problem at once when @started is 0 (`status`, which cannot know when the
 * daemon started). @d NULL: the database could not be read, @db_error says
 * why.
 */
void health_verdict(const struct config *cfg, const struct health_data *d, const char *db_error,
                    int64_t now, int64_t started, char *reason, size_t size);

#endif

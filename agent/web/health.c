// SPDX-License-Identifier: MIT
/*
 * The health verdict (health.h). It reads what the status page reads (the
 * sync states, the outbox per channel) and nothing else, so every surface
 * that shows health gives the same answer for the same database.
 */
#include <stdio.h>
#include <string.h>

#include "web/health.h"
#include "notify/notify.h"
#include "store/store-trigger.h"

static int keep_trigger_error(const char *name, const char *error, int64_t when, void *arg)
{
	struct health_data *d = arg;
	struct health_trigger_error *e;

	if (d->n_terr >= HEALTH_TRIGGER_ERRORS_MAX)
		return 0;
	e = &d->terr[d->n_terr++];
	snprintf(e->trigger, sizeof(e->trigger), "%s", name);
	snprintf(e->error, sizeof(e->error), "%s", error);
	e->when = when;
	return 0;
}

int health_read(struct store *s, struct health_data *d)
{
	int r;

	memset(d, 0, sizeof(*d));
	r = store_http_sync_list(s, d->sync, HEALTH_SYNC_MAX, &d->n_sync);
	if (r == 0)
		r = store_http_triggers(s, &d->tr);
	if (r == 0)
		r = store_trigger_def_errors(s, keep_trigger_error, d);
	return r;
}

const struct store_sync_state *health_sync(const struct health_data *d, const char *name)
{
	for (size_t i = 0; d && name && i < d->n_sync; i++)
		if (strcmp(d->sync[i].account, name) == 0)
			return &d->sync[i].st;
	return NULL;
}

bool health_orphaned(const struct config *cfg, const struct store_http_channel *c)
{
	return !cfg || !notify_find(cfg, c->channel);
}

void health_outbox(const struct config *cfg, const struct store_http_triggers *tr,
                   struct health_outbox *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; tr && i < tr->n_channels; i++) {
		const struct store_http_channel *c = &tr->channels[i];

		if (health_orphaned(cfg, c)) {
			out->orphaned += c->pending;
			out->orphaned_channels++;
			continue;
		}
		out->waiting += c->pending;
		out->failing += c->failed;
		if (c->oldest && (!out->oldest_waiting || c->oldest < out->oldest_waiting)) {
			out->oldest_waiting = c->oldest;
			out->oldest_channel = c->channel;
		}
	}
}

void health_verdict(const struct config *cfg, const struct health_data *d, const char *db_error,
                    int64_t now, int64_t started, char *reason, size_t size)
{
	int64_t limit = cfg ? HEALTH_INTERVALS * cfg->interval : 0;
	struct health_outbox ob;

	if (size)
		reason[0] = '\0';
	if (!cfg) {
		snprintf(reason, size, "no valid configuration");
		return;
	}
	if (!d) {
		snprintf(reason, size, "cannot read the database: %s",
		         db_error && *db_error ? db_error : "unknown error");
		return;
	}
	for (size_t i = 0; i < cfg->n_accounts; i++) {
		const struct config_account *a = &cfg->accounts[i];
		const struct store_sync_state *st = health_sync(d, a->name);
		const char *err = st && st->last_error[0] ? st->last_error : NULL;
		size_t n = strlen(a->name);
		int64_t ref = started;

		/* The poller's errors already name the account: do not say it twice. */
		if (err && strncmp(err, "account ", 8) == 0 && strncmp(err + 8, a->name, n) == 0 &&
		    strncmp(err + 8 + n, ": ", 2) == 0)
			err += 8 + n + 2;

		if (st && st->last_success > ref)
			ref = st->last_success;
		if (!ref) {
			snprintf(reason, size, "account %s: never polled successfully%s%s", a->name,
			         err ? ": " : "", err ? err : "");
			return;
		}
		if (now - ref <= limit)
			continue;
		snprintf(reason, size, "account %s: no successful poll for %llds (limit %llds)%s%s",
		         a->name, (long long)(now - ref), (long long)limit, err ? ": " : "",
		         err ? err : "");
		return;
	}
	health_outbox(cfg, &d->tr, &ob);
	if (ob.waiting && now - ob.oldest_waiting > limit) {
		const struct store_http_channel *c = NULL;

		for (size_t i = 0; i < d->tr.n_channels; i++)
			if (d->tr.channels[i].channel == ob.oldest_channel)
				c = &d->tr.channels[i];
		if (!c) /* health_outbox names one of these channels: not reached */
			snprintf(reason, size, "outbox not draining: %lld notification(s) waiting",
			         (long long)ob.waiting);
		else
			snprintf(reason, size,
			         "outbox not draining: channel %s: %lld notification(s) waiting, "
			         "the "
			         "oldest for %llds%s%s",
			         c->channel, (long long)c->pending, (long long)(now - c->oldest),
			         c->last_error[0] ? ": last error: " : "", c->last_error);
	}
}

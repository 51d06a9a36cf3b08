// SPDX-License-Identifier: MIT
/*
 * The outbox rows by hand (store-outbox.h). Commands run these once, so the
 * statements are prepared and finalized per call rather than cached.
 */
#include <errno.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store-outbox.h"
#include "store/store-private.h"

/* ?1 channel or NULL, ?2 id or NULL: one WHERE serves every pick. */
#define PICK " WHERE delivered IS NULL AND (?1 IS NULL OR channel = ?1) AND (?2 IS NULL OR id = ?2)"

static int prepare(struct store *s, const char *sql, const struct store_outbox_pick *pick,
                   sqlite3_stmt **out)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, out, NULL);

	if (rc != SQLITE_OK)
		return store_fail(s, rc, "outbox");
	store_bind_text(*out, 1, pick->channel);
	if (pick->id > 0)
		sqlite3_bind_int64(*out, 2, pick->id);
	return 0;
}

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

int store_outbox_list(struct store *s, const struct store_outbox_pick *pick,
                      int (*fn)(const struct store_outbox *o, void *arg), void *arg)
{
	sqlite3_stmt *st = NULL;
	struct store_outbox o;
	int rc, r;

	r = prepare(s,
	            "SELECT id, idempotency_key, channel, trigger_name, group_value, kind, created,"
	            " attempts, next_attempt, last_error, last_attempt FROM outbox" PICK
	            " ORDER BY id",
	            pick, &st);
	if (r < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&o, 0, sizeof(o));
		o.id = sqlite3_column_int64(st, 0);
		o.idempotency_key = col(st, 1);
		o.channel = col(st, 2);
		o.trigger_name = col(st, 3);
		o.group = col(st, 4);
		o.kind = col(st, 5);
		o.created = store_column_time(st, 6, NULL);
		o.attempts = sqlite3_column_int64(st, 7);
		o.next_attempt = store_column_time(st, 8, NULL);
		o.last_error = col(st, 9);
		o.last_attempt = store_column_time(st, 10, NULL);
		r = fn(&o, arg);
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(s, rc, "outbox");
out:
	sqlite3_finalize(st);
	return r;
}

/* Run @sql (an UPDATE or DELETE ending in PICK) with ?3 bound to @when when it is not 0. */
static int change(struct store *s, const char *sql, const struct store_outbox_pick *pick,
                  int64_t when, int64_t *changed)
{
	sqlite3_stmt *st = NULL;
	int r = prepare(s, sql, pick, &st);

	*changed = 0;
	if (r == 0 && when)
		store_bind_time(st, 3, when);
	if (r == 0)
		r = store_step_done(s, st, "outbox");
	if (r == 0)
		*changed = sqlite3_changes(s->db);
	sqlite3_finalize(st);
	return r;
}

int store_outbox_reschedule(struct store *s, const struct store_outbox_pick *pick, int64_t when,
                            int64_t *changed)
{
	return change(s, "UPDATE outbox SET next_attempt = ?3" PICK, pick, when, changed);
}

int store_outbox_delete(struct store *s, const struct store_outbox_pick *pick, int64_t *changed)
{
	return change(s, "DELETE FROM outbox" PICK, pick, 0, changed);
}

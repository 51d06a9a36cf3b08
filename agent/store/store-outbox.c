// SPDX-License-Identifier: MIT
/*
 * The outbox (store-outbox.h): the triggers queue rows, the notifier takes
 * and marks them, `status` sums them up (cached statements). The rows by
 * hand of `twilio-alertd outbox` run once per command, so those statements
 * are prepared and finalized per call.
 */
#include <errno.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store-outbox.h"
#include "store/store-private.h"

enum { X_OUTBOX_ADD, X_OUTBOX_PENDING, X_OUTBOX_DONE, X_OUTBOX_SUMMARY, X__COUNT };

/* clang-format off */
/* The outbox in numbers; the last failure is that of the pending row attempted last. */
#define SUMMARY_SQL \
	"SELECT count(*) FILTER (WHERE delivered IS NULL)," \
	" count(*) FILTER (WHERE delivered IS NULL AND attempts > 0)," \
	" count(*) FILTER (WHERE delivered IS NOT NULL)," \
	" min(created) FILTER (WHERE delivered IS NULL)," \
	" min(next_attempt) FILTER (WHERE delivered IS NULL)," \
	" (SELECT last_error FROM outbox AS o WHERE o.delivered IS NULL" \
	"  AND o.attempts > 0 AND (?1 IS NULL OR o.trigger_name = ?1)" \
	"  ORDER BY o.last_attempt DESC, o.id DESC LIMIT 1)," \
	" (SELECT channel FROM outbox AS o WHERE o.delivered IS NULL" \
	"  AND o.attempts > 0 AND (?1 IS NULL OR o.trigger_name = ?1)" \
	"  ORDER BY o.last_attempt DESC, o.id DESC LIMIT 1)" \
	" FROM outbox WHERE ?1 IS NULL OR trigger_name = ?1"

static const char *const stmt_sql[X__COUNT] = {
	[X_OUTBOX_ADD] = "INSERT OR IGNORE INTO outbox (idempotency_key, channel, trigger_name,"
			 " group_value, kind, created, payload, next_attempt)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6)",
	[X_OUTBOX_PENDING] = "SELECT id, idempotency_key, channel, trigger_name, group_value, kind,"
			     " created, payload, attempts, next_attempt, last_error FROM outbox"
			     " WHERE delivered IS NULL ORDER BY channel, id",
	[X_OUTBOX_DONE] = "UPDATE outbox SET last_attempt = ?2,"
			  " delivered = CASE WHEN ?3 IS NULL THEN ?2 END,"
			  " attempts = attempts + (?3 IS NOT NULL),"
			  " last_error = coalesce(?3, last_error),"
			  " next_attempt = CASE WHEN ?3 IS NULL THEN next_attempt ELSE ?4 END"
			  " WHERE id = ?1",
	[X_OUTBOX_SUMMARY] = SUMMARY_SQL,
};
/* clang-format on */

/*
 * The trigger cycle queues rows on the connection that runs the `where`s:
 * prepared after store_where_init, these are not expired by it later.
 */
static const struct store_sql stmts = STORE_SQL_TABLE(STORE_SQL_OUTBOX, stmt_sql, true);

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

int store_outbox_add(struct store *s, const struct store_outbox *o)
{
	sqlite3_stmt *st;
	int r = store_stmt(s, &stmts, X_OUTBOX_ADD, &st);

	if (r < 0)
		return r;
	STORE_BIND(st, 1, STORE_TEXT(o->idempotency_key), STORE_TEXT(o->channel),
	           STORE_TEXT(o->trigger_name), STORE_TEXT(o->group), STORE_TEXT(o->kind),
	           STORE_WHEN(o->created), STORE_TEXT(o->payload));
	return store_step_done(s, st, "outbox");
}

int store_outbox_pending(struct store *s, int (*fn)(const struct store_outbox *o, void *arg),
                         void *arg)
{
	struct store_outbox o;
	sqlite3_stmt *st;
	int rc, r = store_stmt(s, &stmts, X_OUTBOX_PENDING, &st);

	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&o, 0, sizeof(o));
		o.id = sqlite3_column_int64(st, 0);
		o.idempotency_key = col(st, 1);
		o.channel = col(st, 2);
		o.trigger_name = col(st, 3);
		o.group = col(st, 4);
		o.kind = col(st, 5);
		o.created = store_column_time(st, 6, NULL);
		o.payload = col(st, 7);
		o.attempts = sqlite3_column_int64(st, 8);
		o.next_attempt = store_column_time(st, 9, NULL);
		o.last_error = col(st, 10);
		if (!o.idempotency_key || !o.channel || !o.trigger_name || !o.group || !o.kind ||
		    !o.payload)
			continue;
		r = fn(&o, arg);
		if (r != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail(s, rc, "outbox");
	sqlite3_reset(st);
	return r;
}

int store_outbox_done(struct store *s, int64_t id, int64_t now, const char *error, int64_t next)
{
	sqlite3_stmt *st;
	int r = store_stmt(s, &stmts, X_OUTBOX_DONE, &st);

	if (r < 0)
		return r;
	STORE_BIND(st, 1, STORE_I64(id), STORE_WHEN(now), STORE_TEXT(error), STORE_WHEN(next));
	return store_step_done(s, st, "outbox");
}

int store_outbox_summarize(struct store *s, const char *name, struct store_outbox_summary *sum)
{
	sqlite3_stmt *st = NULL;
	int rc, r = store_stmt(s, &stmts, X_OUTBOX_SUMMARY, &st);

	memset(sum, 0, sizeof(*sum));
	if (r < 0)
		return r;
	store_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sum->pending = sqlite3_column_int64(st, 0);
		sum->failing = sqlite3_column_int64(st, 1);
		sum->delivered = sqlite3_column_int64(st, 2);
		sum->oldest_pending = store_column_time(st, 3, NULL);
		sum->next_attempt = store_column_time(st, 4, NULL);
		store_column_copy(st, 5, sum->last_error, sizeof(sum->last_error));
		store_column_copy(st, 6, sum->last_error_channel, sizeof(sum->last_error_channel));
	} else {
		r = store_fail(s, rc == SQLITE_DONE ? SQLITE_ERROR : rc, "outbox summary");
	}
	sqlite3_reset(st);
	return r;
}

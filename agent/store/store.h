/* SPDX-License-Identifier: MIT */
/*
 * The SQLite store: alerts, per-account sync state, the poll-run log.
 * The only module that includes <sqlite3.h>. WAL mode, a busy timeout,
 * migrations from schema/ applied by PRAGMA user_version at open.
 * Not thread-safe: one struct store per thread.
 */
#ifndef ALERTD_STORE_H
#define ALERTD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/alert.h"

struct store;

/*
 * SQLite's memory in the whole process, all connections together, in bytes
 * (sqlite3_hard_heap_limit64, SQLite 3.31+; Debian 12 has 3.40.1): above
 * it an allocation fails with "out of memory" instead of growing without end.
 */
#define STORE_HEAP_MAX (256LL * 1024 * 1024)

/* How long a statement waits for another process's lock before -EBUSY. */
#define STORE_BUSY_TIMEOUT_MS 10000
/*
 * Bytes kept of one text field of an alert (alert_text, msg, the URLs, the
 * fetched details), from the poll and the webhook alike: a longer value is
 * cut (at a UTF-8 character boundary) and ends with STORE_TRUNCATED_MARK
 * and its full size, e.g. " [truncated by twilio-alertd from 10485760 bytes]".
 */
#define STORE_FIELD_MAX (64 * 1024)
#define STORE_TRUNCATED_MARK " [truncated by twilio-alertd from "

enum store_upsert_result {
	STORE_UNCHANGED = 0,
	STORE_INSERTED = 1,
	STORE_UPDATED = 2,
};

/*
 * store_open - open or create the database at @path (file mode 0600,
 * parent directory must exist), set WAL, busy timeout, page cache, and
 * apply pending migrations. @readonly opens without creating or migrating
 * (for `status`): a missing file is -ENOENT.
 * Returns 0 and *@out, or -errno (-ENOENT, -EACCES, -EBUSY, -ENOSPC, -EIO),
 * having logged one line with the reason (not for a read-only missing file). -EPROTO: the schema is
 * newer than this binary, or (@readonly) not the version it expects.
 * -EUCLEAN: the file is damaged or not an SQLite database (permanent; every
 * store function returns it when SQLite finds corruption later).
 * @readonly: a reader that cannot create the -shm file (directory not
 * writable for it) opens a WAL database without a -wal file as immutable.
 */
int store_open(const char *path, bool readonly, struct store **out);

/*
 * store_set_stop - statements that run a trigger's `where` on @s end with
 * -EINTR once *@stop is non-zero (SIGTERM/SIGINT), checked every few
 * thousand SQLite VM steps. @stop may be NULL (none); it must outlive @s.
 */
void store_set_stop(struct store *s, volatile int *stop);

/* store_close - finish statements and close; NULL is fine. */
void store_close(struct store *s);

/*
 * store_set_busy_timeout - wait at most @ms milliseconds for another
 * connection's lock before -EBUSY (instead of STORE_BUSY_TIMEOUT_MS).
 * For tests and tools.
 */
void store_set_busy_timeout(struct store *s, int ms);

/*
 * store_errmsg - the text of this store's last failure ("what: SQLite
 * message"), still there after a store_rollback; "no error" if none.
 */
const char *store_errmsg(struct store *s);

/* Transactions: BEGIN IMMEDIATE / COMMIT / ROLLBACK. 0 or -errno. */
int store_begin(struct store *s);
/* store_begin_read - a deferred transaction: one snapshot for the reads that follow. */
int store_begin_read(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* The alerts, the sync state and the poll-run log (store-alerts.c). */
#include "store/store-alerts.h"

#endif

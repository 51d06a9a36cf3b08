/* SPDX-License-Identifier: MIT */
/*
 * The store module's insides, shared by store.c and the store-*.c files
 * that add queries for other modules (triggers, the HTTP server). Only
 * these files include <sqlite3.h>; nothing outside the store includes this.
 */
#ifndef ALERTD_STORE_PRIVATE_H
#define ALERTD_STORE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/store.h"

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_UPSERT,
	ST_DETAILS,
	ST_SYNC_GET,
	ST_SYNC_WATERMARK,
	ST_SYNC_RECORD,
	ST_SYNC_LIST,
	ST_RUN_LOG,
	ST_PRUNE,
	ST_PRUNE_FUTURE,
	ST_PRUNE_RUNS,
	ST_VACUUM,
	ST_COUNT_ALL,
	ST_COUNT_ACCOUNT,
	ST__COUNT
};

/*
 * Statement slots of the other store-*.c files: each file owns a range, so
 * files can be added without touching store.c. store_close finalizes all.
 */
enum store_extra_id {
	STORE_X_TRIGGER_FIRST = 0,	/* store-trigger.c: 0..31 */
	STORE_X_HTTP_FIRST = 32,	/* store-http.c: 32..63 */
	STORE_X__COUNT = 64
};

/* The statement slot whose presence says a connection has the `where` functions and authorizer. */
#define STORE_WHERE_SLOT (STORE_X_TRIGGER_FIRST + 31)

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[ST__COUNT];
	/* Cached statements of the other store-*.c files, by their STORE_X_* slots. */
	sqlite3_stmt *extra[STORE_X__COUNT];
	/* first_seen text of the last @now given to store_upsert_alert. */
	int64_t seen_time;
	char seen_text[UTIL_TIME_LEN];
	/* SQLite's text for the last failure, kept across the rollback that follows it. */
	char errmsg[256];
	/* While a `where` runs (store-where.c): the stop flag, the steps left, why it stopped. */
	volatile int *stop;
	bool in_where;
	int64_t where_ticks;	/* progress-handler calls left in the budget */
	int where_stopped;	/* 0, -ETIME (budget) or -EINTR (stop flag) */
};

/* store_fail - keep SQLite's message for store_errmsg(), return -errno for @rc. */
int store_fail(struct store *s, int rc, const char *what);

/*
 * store_prepare_extra - the cached statement in slot @id, prepared from
 * @sql on first use (the same @sql every time). 0 or -errno.
 */
int store_prepare_extra(struct store *s, enum store_extra_id id, const char *sql,
			sqlite3_stmt **out);

/* Binding helpers: NULL binds NULL; bind_opt also maps "" to NULL; text is not copied. */
int store_bind_text(sqlite3_stmt *st, int i, const char *v);
int store_bind_opt(sqlite3_stmt *st, int i, const char *v);
/*
 * store_bind_field - an alert's text field: as store_bind_text, but a value
 * over STORE_FIELD_MAX bytes is bound cut, with STORE_TRUNCATED_MARK (a copy
 * SQLite frees; without memory for it, the cut alone). An SQLite code.
 */
int store_bind_field(sqlite3_stmt *st, int i, const char *v);
int store_bind_int(sqlite3_stmt *st, int i, bool has, int64_t v);
/* store_bind_time - @t as "YYYY-MM-DDTHH:MM:SSZ" (copied), 0 as NULL. */
int store_bind_time(sqlite3_stmt *st, int i, int64_t t);
/* store_column_time - a date column as epoch seconds, 0 (and *@has untouched) if NULL. */
int64_t store_column_time(sqlite3_stmt *st, int i, bool *has);
/* store_column_copy - a text column into @out ("" for NULL), truncated to @size. */
void store_column_copy(sqlite3_stmt *st, int i, char *out, size_t size);
/*
 * store_bind_list_fields - bind the alert's list fields as ?1..?15 in the
 * order of the alerts table (sid .. date_updated); the caller binds the rest.
 */
void store_bind_list_fields(sqlite3_stmt *st, const struct alert *a);
/* store_step_done - step @st to completion and reset it; 0 or -errno. */
int store_step_done(struct store *s, sqlite3_stmt *st, const char *what);
/* store_exec - run one or more statements without results; 0 or -errno. */
int store_exec(struct store *s, const char *sql, const char *what);
/* store_query_value - the first column of the first row of @sql; @text may be NULL. */
int store_query_value(struct store *s, const char *sql, int64_t *value, char *text,
		      size_t size);

#endif

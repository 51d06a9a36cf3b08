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

/*
 * Cached statements. Each store*.c file that keeps statements lists them in
 * an enum, their SQL in a table in the same order, and names the table with
 * its STORE_SQL_* file below; struct store holds STORE_SQL_MAX statements per
 * file. store_stmt prepares one on first use; store_close finalizes them all.
 */
enum store_sql_file {
	STORE_SQL_STORE,   /* store.c */
	STORE_SQL_ALERTS,  /* store-alerts.c */
	STORE_SQL_TRIGGER, /* store-trigger.c */
	STORE_SQL_OUTBOX,  /* store-outbox.c */
	STORE_SQL_READ,    /* store-read.c */
	STORE_SQL__COUNT
};
#define STORE_SQL_MAX 32

struct store_sql {
	enum store_sql_file file;
	const char *const *text; /* the SQL of statement i; n entries, n <= STORE_SQL_MAX */
	size_t n;
	bool where; /* store_where_init first: the connection may run a trigger's `where` */
};
/* clang-format off */
#define STORE_SQL_TABLE(file_, table, where_) \
	{.file = (file_), .text = (table), .n = ARRAY_SIZE(table), .where = (where_)}
/* clang-format on */

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[STORE_SQL__COUNT][STORE_SQL_MAX]; /* see store_stmt */
	/* first_seen text of the last @now given to store_upsert_alert. */
	int64_t seen_time;
	char seen_text[UTIL_TIME_LEN];
	/* SQLite's text for the last failure, kept across the rollback that follows it. */
	char errmsg[256];
	/* While a `where` runs (store-where.c): the stop flag, the steps left, why it stopped. */
	volatile int *stop;
	bool in_where;
	bool where_ready;    /* store_where_init has run on this connection */
	int64_t where_ticks; /* progress-handler calls left in the budget */
	int where_stopped;   /* 0, -ETIME (budget) or -EINTR (stop flag) */
};

/* store_fail - keep SQLite's message for store_errmsg(), return -errno for @rc. */
int store_fail(struct store *s, int rc, const char *what);

/*
 * store_stmt - statement @i of the file's table @q, prepared on first use
 * and kept until store_close; the caller resets it after use. 0 or -errno.
 */
int store_stmt(struct store *s, const struct store_sql *q, int i, sqlite3_stmt **out);

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
/* store_bind_when - a time bound as date text: 0 is the epoch, INT64_MAX the end of time. */
int store_bind_when(sqlite3_stmt *st, int i, int64_t t);
/*
 * One value to bind, by the helper above that binds it: STORE_TEXT
 * store_bind_text, STORE_OPT store_bind_opt, STORE_FIELD store_bind_field,
 * STORE_INT store_bind_int, STORE_I64 sqlite3_bind_int64, STORE_TIME
 * store_bind_time, STORE_WHEN store_bind_when.
 */
enum store_val_kind {
	STORE_V_TEXT,
	STORE_V_OPT,
	STORE_V_FIELD,
	STORE_V_INT,
	STORE_V_I64,
	STORE_V_TIME,
	STORE_V_WHEN,
};
struct store_val {
	enum store_val_kind kind;
	const char *s;
	int64_t n;
	bool has;
};
/* clang-format off */
#define STORE_TEXT(v) {.kind = STORE_V_TEXT, .s = (v)}
#define STORE_OPT(v) {.kind = STORE_V_OPT, .s = (v)}
#define STORE_FIELD(v) {.kind = STORE_V_FIELD, .s = (v)}
#define STORE_INT(has_, v) {.kind = STORE_V_INT, .has = (has_), .n = (v)}
#define STORE_I64(v) {.kind = STORE_V_I64, .n = (v)}
#define STORE_TIME(t) {.kind = STORE_V_TIME, .n = (t)}
#define STORE_WHEN(t) {.kind = STORE_V_WHEN, .n = (t)}
/* clang-format on */

/*
 * store_bind - bind the @n values @v to parameters ?@first..?@first+n-1.
 * Returns SQLITE_OK or the first failing bind's SQLite code (which the step
 * reports too). STORE_BIND(st, first, ...) binds the values listed.
 */
int store_bind(sqlite3_stmt *st, int first, const struct store_val *v, size_t n);
#define STORE_BIND(st, first, ...)                                                                 \
	store_bind((st), (first), (const struct store_val[]){__VA_ARGS__},                         \
	           sizeof((const struct store_val[]){__VA_ARGS__}) / sizeof(struct store_val))
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
int store_query_value(struct store *s, const char *sql, int64_t *value, char *text, size_t size);

#endif

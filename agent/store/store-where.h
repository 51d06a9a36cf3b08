/* SPDX-License-Identifier: MIT */
/*
 * The `where` sandbox (store-where.c): the check of a trigger's `where` at
 * configuration load, which anyone may call, and the runtime side for the
 * store-*.c files only (they hold the connection and <sqlite3.h>; here the
 * statement type is only named).
 */
#ifndef ALERTD_STORE_WHERE_H
#define ALERTD_STORE_WHERE_H

#include <stddef.h>

struct sqlite3_stmt;
struct store;

/* A `where` expression longer than this is refused. */
#define STORE_WHERE_MAX 4096
/*
 * The budget of one scan that runs a `where`, in SQLite VM steps: about a
 * second of CPU (a 30-day rebuild over a million alerts with a
 * json_extract() takes a small part of it). A scan over it ends with -ETIME;
 * one whose values need more than SQLite's heap limit (STORE_HEAP_MAX)
 * with -EFBIG: the trigger exceeded its budget.
 */
#define STORE_WHERE_STEPS_MAX 250000000LL

/*
 * store_trigger_check_where - check a trigger's `where` expression on a
 * private in-memory database with this agent's schema: it must be one SQL
 * expression (balanced parentheses, no statement after it, no parameters)
 * that only reads the alerts table and calls functions; an authorizer
 * refuses everything else (other tables, writes, ATTACH, PRAGMA). Needs no
 * database file. Returns 0, or -EINVAL with the reason in @why (one line),
 * or -ENOMEM.
 */
int store_trigger_check_where(const char *where, char *why, size_t size);

/* ---- for the store-*.c files ---- */

/*
 * store_where_init - once per connection: register regexp() and install the
 * authorizer (which allows everything except while store_where_prepare
 * runs). Returns 0 or -errno.
 */
int store_where_init(struct store *s);

/*
 * store_where_prepare - prepare "@base AND (@where)@suffix" into *@out under
 * the strict policy (reads of alerts and functions only); the caller
 * finalizes it. @where must have passed store_trigger_check_where.
 * Returns 0 or -errno (store_errmsg says why).
 */
int store_where_prepare(struct store *s, const char *base, const char *where, const char *suffix,
                        struct sqlite3_stmt **out);

/*
 * store_where_begin - before stepping statements that embed a `where`: a
 * budget of STORE_WHERE_STEPS_MAX VM steps for all of them together and
 * the stop flag checked as they run (progress handler); memory is bounded
 * by STORE_HEAP_MAX. store_where_end removes the handler (a no-op when not
 * begun).
 */
void store_where_begin(struct store *s);
void store_where_end(struct store *s);

/*
 * store_where_failure - for the result code @rc of a step under
 * store_where_begin: -EINTR (stop flag), -ETIME (step budget) or -EFBIG
 * (heap limit reached, or a value too big), with store_errmsg set; 0 for any other code.
 */
int store_where_failure(struct store *s, int rc);

#endif

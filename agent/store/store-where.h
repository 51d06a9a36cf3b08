/* SPDX-License-Identifier: MIT */
/*
 * The `where` sandbox (store-where.c), for the store-*.c files only: it
 * needs <sqlite3.h>. store_trigger_check_where, the check at load, is
 * declared in store-trigger.h.
 */
#ifndef ALERTD_STORE_WHERE_H
#define ALERTD_STORE_WHERE_H

#include "store/store-private.h"

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
                        sqlite3_stmt **out);

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

// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for a trigger's `where` expression, two checkers of one
 * input: store_trigger_check_where (at load, on a private in-memory copy
 * of the schema) and the runtime sandbox store_where_prepare (on a real
 * database, with the scan's own query around it). What the first accepts
 * the second must prepare, as a read-only statement; the first must give a
 * reason for what it refuses. Statements are prepared, never run
 * (bounding a slow evaluation is the trigger code's business).
 */
#include <errno.h>

#include <sqlite3.h>

#include "fuzz.h"
#include "store/store-trigger.h"
#include "store/store-where.h"

#define FUZZ_INPUT_MAX 4096

static struct store *db;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/where.db", fuzz_dir());
	if (store_open(path, false, &db) < 0 || store_where_init(db) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256] = "", *where;
	sqlite3_stmt *st = NULL;
	int r;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	where = fuzz_strndup(data, size);
	r = store_trigger_check_where(where, why, sizeof(why));
	FUZZ_CHECK(r == 0 || r == -EINVAL, "check_where %d", r);
	if (r < 0) {
		/* SQLite's message may quote the input, CR included: config.c's problem() makes
		 * it one line. */
		FUZZ_CHECK(why[0], "refused without a reason");
	} else {
		r = store_where_prepare(db, "SELECT sid FROM alerts WHERE date_created > ?1", where,
		                        " ORDER BY date_created", &st);
		FUZZ_CHECK(r == 0, "check_where accepted \"%s\", the sandbox refused it: %s", where,
		           store_errmsg(db));
		FUZZ_CHECK(sqlite3_stmt_readonly(st), "\"%s\" writes", where);
		sqlite3_finalize(st);
	}
	free(where);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * The sandbox of a trigger's `where`, which is user SQL. It is checked once,
 * at configuration load, on an in-memory copy of the schema under a strict
 * authorizer (reads of the alerts table and functions only), and every
 * statement that embeds it is prepared under the same policy on the agent's
 * connection. Also the regexp() function, so `x REGEXP 'y'` works in it.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store-private.h"
#include "store/store-where.h"
#include "base/util.h"

/* Generated from schema/ by schema/embed.py. */
extern const char *const store_migrations[];
extern const unsigned store_n_migrations;

/*
 * While a statement embedding a `where` is prepared, the connection's
 * authorizer applies the strict policy; the rest of the time it allows
 * everything. A flag per thread, because the authorizer is installed once per
 * connection (installing it expires every prepared statement).
 */
static _Thread_local bool strict_where;

/* What the strict policy refused first, for the error message. */
struct refusal {
	char why[160];
};

static int where_policy(struct refusal *ref, int action, const char *a1, const char *a2)
{
	const char *what = NULL;

	/*
	 * SQLite itself reports a table-valued function (pragma_*, json_each) as
	 * changes to the schema table while it sets the function's table up.
	 */
	if (a1 && (strcmp(a1, "sqlite_master") == 0 || strcmp(a1, "sqlite_temp_master") == 0) &&
	    action != SQLITE_READ) {
		if (!ref->why[0])
			snprintf(ref->why, sizeof(ref->why),
			         "it uses the schema or a table-valued function: only the alerts"
			         " table may be read");
		return SQLITE_DENY;
	}
	switch (action) {
	case SQLITE_SELECT:
		return SQLITE_OK;
	case SQLITE_READ:
		if (a1 && strcmp(a1, "alerts") == 0)
			return SQLITE_OK;
		if (!ref->why[0])
			snprintf(ref->why, sizeof(ref->why),
			         "it reads table %s: only the alerts table may be read",
			         a1 ? a1 : "?");
		return SQLITE_DENY;
	case SQLITE_FUNCTION:
		/* The only built-in functions with an effect outside the expression. */
		if (a2 && strcmp(a2, "load_extension") != 0 && strcmp(a2, "fts3_tokenizer") != 0)
			return SQLITE_OK;
		what = "calls a function that is not allowed";
		break;
	case SQLITE_INSERT:
	case SQLITE_UPDATE:
	case SQLITE_DELETE:
	case SQLITE_CREATE_TABLE:
	case SQLITE_CREATE_TEMP_TABLE:
	case SQLITE_DROP_TABLE:
		what = "writes to the database";
		break;
	case SQLITE_ATTACH:
	case SQLITE_DETACH:
		what = "attaches a database";
		break;
	case SQLITE_PRAGMA:
		what = "runs a PRAGMA";
		break;
	case SQLITE_RECURSIVE:
		what = "uses a recursive query";
		break;
	default:
		what = "does something other than reading alerts";
		break;
	}
	if (!ref->why[0])
		snprintf(ref->why, sizeof(ref->why), "it %s", what);
	return SQLITE_DENY;
}

static _Thread_local struct refusal runtime_refusal;

static int runtime_authorizer(void *arg, int action, const char *a1, const char *a2, const char *db,
                              const char *view)
{
	if (!strict_where)
		return SQLITE_OK;
	return where_policy(&runtime_refusal, action, a1, a2);
}

static int check_authorizer(void *arg, int action, const char *a1, const char *a2, const char *db,
                            const char *view)
{
	return where_policy(arg, action, a1, a2);
}

/* SQLite VM steps between two calls of the progress handler. */
#define WHERE_TICK 10000

/* Every WHERE_TICK steps of a `where` statement: stop it over budget or on SIGTERM. */
static int where_progress(void *arg)
{
	struct store *s = arg;

	if (s->stop && *s->stop) {
		s->where_stopped = -EINTR;
		return 1;
	}
	if (--s->where_ticks <= 0) {
		s->where_stopped = -ETIME;
		return 1;
	}
	return 0;
}

void store_where_begin(struct store *s)
{
	s->in_where = true;
	s->where_ticks = STORE_WHERE_STEPS_MAX / WHERE_TICK;
	s->where_stopped = 0;
	sqlite3_progress_handler(s->db, WHERE_TICK, where_progress, s);
}

void store_where_end(struct store *s)
{
	if (!s->in_where)
		return;
	sqlite3_progress_handler(s->db, 0, NULL, NULL);
	s->in_where = false;
}

int store_where_failure(struct store *s, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_INTERRUPT:
		if (s->where_stopped == -EINTR) {
			snprintf(s->errmsg, sizeof(s->errmsg), "stopped (SIGTERM or SIGINT)");
			return -EINTR;
		}
		snprintf(s->errmsg, sizeof(s->errmsg),
		         "its where ran past the budget of %lld SQLite VM steps",
		         (long long)STORE_WHERE_STEPS_MAX);
		return -ETIME;
	case SQLITE_TOOBIG:
	case SQLITE_NOMEM:
		snprintf(s->errmsg, sizeof(s->errmsg),
		         "its where needed more memory than allowed (%s; SQLite may use %lld MiB"
		         " in all)",
		         sqlite3_errstr(rc),
		         (long long)(sqlite3_hard_heap_limit64(-1) / (1024 * 1024)));
		return -EFBIG;
	default:
		return 0;
	}
}

/* regexp(PATTERN, TEXT): POSIX extended, so `text REGEXP '...'` works in a `where`. */
static void regexp_free(void *p)
{
	regfree(p);
	free(p);
}

static void regexp_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *pat = (const char *)sqlite3_value_text(argv[0]);
	const char *text = (const char *)sqlite3_value_text(argv[1]);
	regex_t *re = sqlite3_get_auxdata(ctx, 0);

	if (!pat || !text)
		return; /* NULL */
	if (!re) {
		re = malloc(sizeof(*re));
		if (!re) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
		if (regcomp(re, pat, REG_EXTENDED | REG_NOSUB) != 0) {
			free(re);
			sqlite3_result_error(ctx, "invalid regular expression", -1);
			return;
		}
		/* SQLite keeps the compiled pattern while the argument stays the same. */
		sqlite3_set_auxdata(ctx, 0, re, regexp_free);
		re = sqlite3_get_auxdata(ctx, 0);
		if (!re) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
	}
	sqlite3_result_int(ctx, regexec(re, text, 0, NULL, 0) == 0);
}

static int add_functions(sqlite3 *db)
{
	return sqlite3_create_function_v2(db, "regexp", 2,
	                                  SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
	                                  NULL, regexp_func, NULL, NULL, NULL);
}

/* Once per connection: the functions and the authorizer. */
int store_where_init(struct store *s)
{
	int rc;

	if (s->where_ready)
		return 0;
	rc = add_functions(s->db);
	if (rc == SQLITE_OK)
		rc = sqlite3_set_authorizer(s->db, runtime_authorizer, NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "trigger functions");
	s->where_ready = true;
	return 0;
}

/*
 * The user's text must stay inside the parentheses the agent puts around it:
 * depth never below zero, zero at the end, outside quotes and comments. Then no
 * text can close the expression and append clauses or statements.
 */
static const char *balanced(const char *w)
{
	int depth = 0;

	for (const char *p = w; *p; p++) {
		char close;

		switch (*p) {
		case '\'':
		case '"':
		case '`':
		case '[':
			close = *p == '[' ? ']' : *p;
			p = strchr(p + 1, close);
			if (!p)
				return "it has an unterminated quote";
			break;
		case '-':
			if (p[1] == '-')
				return "it has a comment (--)";
			break;
		case '/':
			if (p[1] == '*')
				return "it has a comment (/*)";
			break;
		case ';':
			return "it has a ';' (it must be one expression, not statements)";
		case '(':
			depth++;
			break;
		case ')':
			if (--depth < 0)
				return "it closes a parenthesis it did not open";
			break;
		default:
			break;
		}
	}
	return depth ? "it has an unclosed parenthesis" : NULL;
}

int store_trigger_check_where(const char *where, char *why, size_t size)
{
	struct refusal ref = {{0}};
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	const char *bad, *tail = NULL;
	char *text = NULL;
	int rc, r = -EINVAL;

	snprintf(why, size, "it is not valid");
	if (!where || strspn(where, " \t") == strlen(where)) {
		snprintf(why, size, "it is empty");
		goto out;
	}
	if (strlen(where) > STORE_WHERE_MAX) {
		snprintf(why, size, "it is longer than %d bytes", STORE_WHERE_MAX);
		goto out;
	}
	bad = balanced(where);
	if (bad) {
		snprintf(why, size, "%s", bad);
		goto out;
	}
	rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, NULL);
	if (rc != SQLITE_OK) {
		r = -ENOMEM;
		goto out;
	}
	/* The real schema, so the expression is checked against the real columns. */
	for (unsigned i = 0; i < store_n_migrations; i++) {
		if (sqlite3_exec(db, store_migrations[i], NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(why, size, "schema: %s", sqlite3_errmsg(db));
			r = -EIO;
			goto out;
		}
	}
	if (add_functions(db) != SQLITE_OK ||
	    asprintf(&text, "SELECT 1 FROM alerts WHERE (%s\n)", where) < 0) {
		text = NULL;
		r = -ENOMEM;
		goto out;
	}
	sqlite3_set_authorizer(db, check_authorizer, &ref);
	rc = sqlite3_prepare_v2(db, text, -1, &st, &tail);
	if (rc != SQLITE_OK) {
		snprintf(why, size, "%s", ref.why[0] ? ref.why : sqlite3_errmsg(db));
		goto out;
	}
	if (tail && tail[strspn(tail, " \t\r\n")]) {
		snprintf(why, size, "it must be one expression, not statements");
		goto out;
	}
	if (sqlite3_bind_parameter_count(st) > 0) {
		snprintf(why, size, "it has a parameter (?, :name, @name or $name)");
		goto out;
	}
	if (!sqlite3_stmt_readonly(st)) {
		snprintf(why, size, "it writes to the database");
		goto out;
	}
	r = 0;
	snprintf(why, size, "ok");
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(text);
	return r;
}

int store_where_prepare(struct store *s, const char *base, const char *where, const char *suffix,
                        sqlite3_stmt **out)
{
	char *text = NULL;
	int rc, r;

	r = store_where_init(s);
	if (r < 0)
		return r;
	if (asprintf(&text, "%s AND (%s\n)%s", base, where, suffix) < 0)
		return -ENOMEM;
	memset(&runtime_refusal, 0, sizeof(runtime_refusal));
	strict_where = true;
	rc = sqlite3_prepare_v2(s->db, text, -1, out, NULL);
	strict_where = false;
	free(text);
	if (rc != SQLITE_OK) {
		r = store_fail(s, rc, "trigger where");
		if (runtime_refusal.why[0])
			snprintf(s->errmsg, sizeof(s->errmsg), "trigger where: %s",
			         runtime_refusal.why);
		return r;
	}
	return 0;
}

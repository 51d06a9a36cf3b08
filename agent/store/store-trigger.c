// SPDX-License-Identifier: MIT
/*
 * The store's queries for triggers (schema/0002-triggers.sql): alerts as the
 * triggers read them, the hits and counts per trigger and group, the cursor
 * over new alerts, and the states (the outbox is store-outbox.c's).
 * Statements that embed a trigger's `where` come from store-where.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/log.h"
#include "store/store-private.h"
#include "store/store-trigger.h"
#include "store/store-where.h"
#include "base/util.h"

/* Statements of this file, in the order of their SQL in stmt_sql. */
enum {
	X_SCAN,
	X_SCAN_NEW,
	X_CURSOR_GET,
	X_CURSOR_CHECK,
	X_CURSOR_SET,
	X_DEF_GET,
	X_DEF_SET,
	X_HIT_ADD,
	X_HITS_DELETE,
	X_COUNTS_OVER,
	X_COUNT_GET,
	X_COUNT_ADD,
	X_COUNT_SUB,
	X_COUNT_DROP,
	X_COUNTS_DELETE,
	X_HITS_LEAVING,
	X_HITS_ALERTS,
	X_STATE_LIST,
	X_STATE_ACTIVE,
	X_STATE_GET,
	X_STATE_PUT,
	X_SCAN_SID,
	X_RECHECK_ADD,
	X_RECHECK_DROP,
	X_HITS_OF_SID,
	X_HITS_DELETE_SID,
	X_DEF_FAIL,
	X_DEF_ERROR,
	X__COUNT
};
_Static_assert(X__COUNT <= STORE_SQL_MAX, "store-trigger.c has STORE_SQL_MAX statements");

/* SQL text is laid out by hand. */
/* clang-format off */
#define ALERT_COLS                                                                                 \
	"sid, date_created, error_code, log_level, account_sid, alert_text, request_host,"         \
	" resource_sid, msg, request_method, request_url, source, rowid"
/*
 * Scans deliver rows in one total order (ties on date_created by rowid), the same with or
 * without a `where`, so a scan whose `where` failed on a row can resume after the last row
 * it delivered (see scan_where).
 */
#define SCAN_ORDER " ORDER BY date_created, rowid"
#define NEW_ORDER " ORDER BY rowid"
#define SCAN_SQL "SELECT " ALERT_COLS " FROM alerts WHERE date_created > ?1 AND date_created <= ?2"
#define NEW_SQL "SELECT " ALERT_COLS " FROM alerts WHERE rowid > ?1"
#define SID_SQL "SELECT " ALERT_COLS " FROM alerts WHERE sid = ?1"

#define STATE_COLS                                                                                 \
	"group_value, state, since, started, last_notified, repeats, last_resolved, count, updated"

static const char *const stmt_sql[X__COUNT] = {
	[X_SCAN] = SCAN_SQL SCAN_ORDER,
	[X_SCAN_NEW] = NEW_SQL NEW_ORDER,
	[X_CURSOR_GET] = "SELECT last_rowid, last_sid, (SELECT max(rowid) FROM alerts)"
			 " FROM trigger_cursor WHERE id = 1",
	[X_CURSOR_CHECK] = "SELECT sid FROM alerts WHERE rowid = ?1",
	[X_CURSOR_SET] = "UPDATE trigger_cursor SET last_rowid = ?1,"
			 " last_sid = (SELECT sid FROM alerts WHERE rowid = ?1) WHERE id = 1",
	[X_DEF_GET] = "SELECT fingerprint FROM trigger_defs WHERE trigger_name = ?1",
	[X_DEF_SET] = "INSERT OR REPLACE INTO trigger_defs (trigger_name, fingerprint, built)"
		      " VALUES (?1, ?2, ?3)",
	[X_HIT_ADD] = "INSERT OR IGNORE INTO trigger_hits (trigger_name, date_created, group_value,"
		      " sid) VALUES (?1, ?2, ?3, ?4)",
	[X_HITS_DELETE] = "DELETE FROM trigger_hits WHERE trigger_name = ?1 AND date_created <= ?2",
	[X_COUNTS_OVER] = "SELECT group_value, count FROM trigger_counts WHERE trigger_name = ?1"
			  " AND count >= ?2 ORDER BY group_value",
	[X_COUNT_GET] = "SELECT count FROM trigger_counts WHERE trigger_name = ?1"
			" AND group_value = ?2",
	[X_COUNT_ADD] = "INSERT INTO trigger_counts (trigger_name, group_value, count)"
			" VALUES (?1, ?2, 1) ON CONFLICT (trigger_name, group_value)"
			" DO UPDATE SET count = count + 1",
	[X_COUNT_SUB] = "UPDATE trigger_counts SET count = count - ?3 WHERE trigger_name = ?1"
			" AND group_value = ?2",
	[X_COUNT_DROP] = "DELETE FROM trigger_counts WHERE trigger_name = ?1 AND group_value = ?2"
			 " AND count <= 0",
	[X_COUNTS_DELETE] = "DELETE FROM trigger_counts WHERE trigger_name = ?1",
	[X_HITS_LEAVING] = "SELECT group_value, count(*) FROM trigger_hits WHERE trigger_name = ?1"
			   " AND date_created <= ?2 GROUP BY group_value",
	[X_HITS_ALERTS] = "SELECT a.sid, a.date_created, a.error_code, a.log_level, a.account_sid,"
			  " a.alert_text, a.request_host, a.resource_sid, a.msg, a.request_method,"
			  " a.request_url, a.source FROM trigger_hits AS h JOIN alerts AS a ON a.sid = h.sid"
			  " WHERE h.trigger_name = ?1 AND h.group_value = ?2"
			  " AND h.date_created > ?3 AND h.date_created <= ?4"
			  " ORDER BY h.date_created DESC, h.sid",
	[X_STATE_LIST] = "SELECT " STATE_COLS " FROM trigger_state WHERE trigger_name = ?1"
			 " ORDER BY group_value",
	[X_STATE_ACTIVE] = "SELECT " STATE_COLS " FROM trigger_state WHERE trigger_name = ?1"
			   " AND state != 'ok' ORDER BY group_value",
	[X_STATE_GET] = "SELECT " STATE_COLS " FROM trigger_state WHERE trigger_name = ?1"
			" AND group_value = ?2",
	[X_STATE_PUT] = "INSERT OR REPLACE INTO trigger_state (trigger_name, " STATE_COLS ")"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[X_SCAN_SID] = SID_SQL,
	[X_RECHECK_ADD] = "INSERT OR IGNORE INTO trigger_recheck (sid, date_created) VALUES (?1, ?2)",
	[X_RECHECK_DROP] = "DELETE FROM trigger_recheck WHERE sid = ?1",
	[X_HITS_OF_SID] = "SELECT group_value FROM trigger_hits WHERE trigger_name = ?1"
			  " AND date_created = ?2 AND sid = ?3",
	[X_DEF_FAIL] = "INSERT INTO trigger_defs (trigger_name, fingerprint, built, last_error,"
		       " last_error_time) VALUES (?1, '', ?3, ?2, ?3) ON CONFLICT (trigger_name)"
		       " DO UPDATE SET fingerprint = '', last_error = ?2, last_error_time = ?3",
	[X_DEF_ERROR] = "SELECT last_error, last_error_time FROM trigger_defs"
			" WHERE trigger_name = ?1 AND last_error IS NOT NULL",
	[X_HITS_DELETE_SID] = "DELETE FROM trigger_hits WHERE trigger_name = ?1"
			      " AND date_created = ?2 AND sid = ?3",
};
/* clang-format on */

/* Trigger queries may run a `where`: the connection needs its functions and authorizer. */
static const struct store_sql stmts = STORE_SQL_TABLE(STORE_SQL_TRIGGER, stmt_sql, true);

/* A statement run once per evaluation or command: not worth a cached slot. Finalize it. */
static int adhoc(struct store *s, const char *text, sqlite3_stmt **out)
{
	int r = store_where_init(s), rc;

	if (r < 0)
		return r;
	rc = sqlite3_prepare_v2(s->db, text, -1, out, NULL);
	return rc == SQLITE_OK ? 0 : store_fail(s, rc, "prepare");
}

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Step @st (bound) and give each alert row to @fn; resets @st. */
static int each_alert(struct store *s, sqlite3_stmt *st, store_alert_fn fn, void *arg)
{
	struct store_trigger_alert a;
	int rc, r = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&a, 0, sizeof(a));
		a.sid = col(st, 0);
		a.date_created = col(st, 1);
		if (!a.sid || !a.date_created || util_parse_time(a.date_created, &a.created) < 0)
			continue;
		a.has_error_code = sqlite3_column_type(st, 2) == SQLITE_INTEGER;
		a.error_code = sqlite3_column_int64(st, 2);
		a.log_level = col(st, 3);
		a.account_sid = col(st, 4);
		a.alert_text = col(st, 5);
		a.request_host = col(st, 6);
		a.resource_sid = col(st, 7);
		a.msg = col(st, 8);
		a.request_method = col(st, 9);
		a.request_url = col(st, 10);
		a.source = col(st, 11);
		a.rowid = sqlite3_column_int64(st, 12);
		r = fn(&a, arg);
		if (r != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		r = store_fail(s, rc, "trigger scan");
		/* A `where` over its budget, or stopped: the trigger's failure, not the row's. */
		if (s->in_where && store_where_failure(s, rc) < 0)
			r = store_where_failure(s, rc);
		/* An error of the statement (a `where` failing on a row), not of the store. */
		else if ((rc & 0xff) == SQLITE_ERROR || (rc & 0xff) == SQLITE_TOOBIG)
			r = -EDOM;
	}
	sqlite3_reset(st);
	return r;
}

/* Where a scan with a `where` got to: the last row it gave to the callback. */
struct resume {
	store_alert_fn fn;
	void *arg;
	bool by_date; /* the order: (date_created, rowid), else rowid */
	bool started; /* a row was given */
	int64_t rowid;
	char date_created[64];
};

static int resume_note(const struct store_trigger_alert *a, void *arg)
{
	struct resume *rs = arg;

	rs->started = true;
	rs->rowid = a->rowid;
	snprintf(rs->date_created, sizeof(rs->date_created), "%s", a->date_created);
	return rs->fn(a, rs->arg);
}

struct one_by_one {
	struct resume *rs;
	sqlite3_stmt *one; /* the `where` for one rowid */
	struct store *s;
	int64_t failed;
};

/* The fallback's rows: those after the resume point that pass the `where` on their own. */
static int one_row(const struct store_trigger_alert *a, void *arg)
{
	struct one_by_one *ob = arg;
	struct resume *rs = ob->rs;
	int rc, c;

	if (rs->started) {
		c = rs->by_date ? strcmp(a->date_created, rs->date_created) : 0;
		if (c < 0 || (c == 0 && a->rowid <= rs->rowid))
			return 0;
	}
	sqlite3_bind_int64(ob->one, 1, a->rowid);
	rc = sqlite3_step(ob->one);
	sqlite3_reset(ob->one);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW) {
		if (store_where_failure(ob->s, rc) < 0)
			return store_where_failure(ob->s, rc);
		if ((rc & 0xff) != SQLITE_ERROR && (rc & 0xff) != SQLITE_TOOBIG)
			return store_fail(ob->s, rc, "trigger where");
		ob->failed++;
		return 0;
	}
	return rs->fn(a, rs->arg);
}

/*
 * Run @st (a `where` statement, bound, in the order of @rs) and, if the
 * expression fails on a row (malformed JSON, a bad pattern, a blob too big),
 * go on from the last row given with @base (the same scan without the
 * `where`), testing the expression row by row: a row it fails on does not
 * match, and one bad alert cannot stop every trigger at every evaluation.
 */
static int scan_where(struct store *s, sqlite3_stmt *st, sqlite3_stmt *base, const char *where,
                      struct resume *rs)
{
	struct one_by_one ob = {.rs = rs, .s = s};
	char msg[sizeof(s->errmsg)];
	int r = each_alert(s, st, resume_note, rs);

	if (r != -EDOM)
		return r;
	snprintf(msg, sizeof(msg), "%s", s->errmsg);
	r = store_where_prepare(s, "SELECT 1 FROM alerts WHERE rowid = ?1", where, "", &ob.one);
	if (r == 0)
		r = each_alert(s, base, one_row, &ob);
	sqlite3_finalize(ob.one);
	if (r == 0)
		log_warnx("trigger where (%s): %s; %lld alert%s it fails on do not match", where,
		          msg, (long long)ob.failed, ob.failed == 1 ? "" : "s");
	return r == -EDOM ? -EIO : r;
}

/* What a scan binds: a date range (?1, ?2), a rowid (?1) or a sid (?1). */
struct scan_args {
	enum { SCAN_RANGE, SCAN_AFTER, SCAN_SID } kind;
	int64_t from, to;
	const char *sid;
};

static void bind_args(sqlite3_stmt *st, const struct scan_args *a)
{
	switch (a->kind) {
	case SCAN_RANGE:
		STORE_BIND(st, 1, STORE_WHEN(a->from), STORE_WHEN(a->to > 0 ? a->to : INT64_MAX));
		break;
	case SCAN_AFTER:
		sqlite3_bind_int64(st, 1, a->from);
		break;
	case SCAN_SID:
		store_bind_text(st, 1, a->sid);
		break;
	}
}

/*
 * One scan: the cached statement in @slot without a `where`, else @query with
 * the expression (prepared for this scan), falling back row by row when the
 * expression fails at run time (scan_where).
 */
static int scan(struct store *s, int slot, const char *query, const char *order, const char *where,
                bool by_date, const struct scan_args *a, store_alert_fn fn, void *arg)
{
	struct resume rs = {.fn = fn, .arg = arg, .by_date = by_date};
	sqlite3_stmt *base = NULL, *st = NULL;
	int r;

	r = store_stmt(s, &stmts, slot, &base);
	if (r == 0 && where)
		r = store_where_prepare(s, query, where, order, &st);
	if (r < 0)
		return r;
	bind_args(base, a);
	if (!where)
		return each_alert(s, base, fn, arg);
	bind_args(st, a);
	store_where_begin(s);
	r = scan_where(s, st, base, where, &rs);
	store_where_end(s);
	sqlite3_finalize(st);
	return r;
}

int store_trigger_scan(struct store *s, const char *where, int64_t from, int64_t to, bool ordered,
                       store_alert_fn fn, void *arg)
{
	struct scan_args a = {.kind = SCAN_RANGE, .from = from, .to = to};

	(void)ordered; /* always in date_created order */
	return scan(s, X_SCAN, SCAN_SQL, SCAN_ORDER, where, true, &a, fn, arg);
}

int store_trigger_scan_new(struct store *s, const char *where, int64_t after, store_alert_fn fn,
                           void *arg)
{
	struct scan_args a = {.kind = SCAN_AFTER, .from = after};

	return scan(s, X_SCAN_NEW, NEW_SQL, NEW_ORDER, where, false, &a, fn, arg);
}

/* Take @n hits off @name/@group's count; a count that reaches 0 goes. */
static int count_sub(struct store *s, const char *name, const char *group, int64_t n)
{
	sqlite3_stmt *st;
	int r = store_stmt(s, &stmts, X_COUNT_SUB, &st);

	if (r == 0) {
		STORE_BIND(st, 1, STORE_TEXT(name), STORE_TEXT(group), STORE_I64(n));
		r = store_step_done(s, st, "trigger counts");
	}
	if (r == 0)
		r = store_stmt(s, &stmts, X_COUNT_DROP, &st);
	if (r == 0) {
		STORE_BIND(st, 1, STORE_TEXT(name), STORE_TEXT(group));
		r = store_step_done(s, st, "trigger counts");
	}
	return r;
}

struct leaving {
	char **groups;
	int64_t *n;
	size_t len, cap_groups, cap_n;
};

bool store_trigger_incomplete(const struct store_trigger_alert *a)
{
	/* webhook.c keeps the push's Payload JSON as alert_text until a poll replaces it. */
	return a->source && strcmp(a->source, "push") == 0 && a->alert_text &&
	       a->alert_text[0] == '{';
}

int store_trigger_scan_sid(struct store *s, const char *where, const char *sid, store_alert_fn fn,
                           void *arg)
{
	struct scan_args a = {.kind = SCAN_SID, .sid = sid};

	return scan(s, X_SCAN_SID, SID_SQL, "", where, false, &a, fn, arg);
}

static int sid_op(struct store *s, int id, const char *sid, const char *what)
{
	sqlite3_stmt *st;
	int r = store_stmt(s, &stmts, id, &st);

	if (r < 0)
		return r;
	store_bind_text(st, 1, sid);
	return store_step_done(s, st, what);
}

int store_trigger_recheck_add(struct store *s, const char *sid, const char *date_created)
{
	sqlite3_stmt *st;
	int r = store_stmt(s, &stmts, X_RECHECK_ADD, &st);

	if (r < 0)
		return r;
	STORE_BIND(st, 1, STORE_TEXT(sid), STORE_TEXT(date_created));
	return store_step_done(s, st, "trigger recheck");
}

int store_trigger_recheck_drop(struct store *s, const char *sid)
{
	return sid_op(s, X_RECHECK_DROP, sid, "trigger recheck");
}

int store_trigger_recheck_list(struct store *s, char ***sids, size_t *n)
{
	sqlite3_stmt *st = NULL;
	char **v = NULL;
	size_t len = 0, cap = 0;
	int rc, r = adhoc(s, "SELECT sid, date_created FROM trigger_recheck", &st);

	/* Pairs: sid, date_created. */
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = UTIL_GROW(v, cap, len + 2);
		if (r < 0)
			break;
		v[len] = strdup(col(st, 0) ? col(st, 0) : "");
		v[len + 1] = strdup(col(st, 1) ? col(st, 1) : "");
		len += 2;
		if (!v[len - 2] || !v[len - 1]) {
			r = -ENOMEM;
			break;
		}
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail(s, rc, "trigger recheck");
	sqlite3_finalize(st);
	*sids = v;
	*n = len;
	return r;
}

int store_trigger_hits_forget(struct store *s, const char *const *names, size_t n_names,
                              const char *sid, const char *date_created)
{
	char group[STORE_GROUP_MAX];
	sqlite3_stmt *st;
	int rc, r = 0;

	for (size_t i = 0; r == 0 && i < n_names; i++) {
		r = store_stmt(s, &stmts, X_HITS_OF_SID, &st);
		if (r < 0)
			break;
		STORE_BIND(st, 1, STORE_TEXT(names[i]), STORE_TEXT(date_created), STORE_TEXT(sid));
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			store_column_copy(st, 0, group, sizeof(group));
		else if (rc != SQLITE_DONE)
			r = store_fail(s, rc, "trigger hits");
		sqlite3_reset(st);
		if (r < 0 || rc != SQLITE_ROW)
			continue;
		r = count_sub(s, names[i], group, 1);
		if (r == 0)
			r = store_stmt(s, &stmts, X_HITS_DELETE_SID, &st);
		if (r == 0) {
			STORE_BIND(st, 1, STORE_TEXT(names[i]), STORE_TEXT(date_created),
			           STORE_TEXT(sid));
			r = store_step_done(s, st, "trigger hits");
		}
	}
	return r;
}

int store_trigger_cursor(struct store *s, int64_t *last, int64_t *max, bool *valid)
{
	char want[64] = "", got[64] = "";
	sqlite3_stmt *st;
	int rc, r = store_stmt(s, &stmts, X_CURSOR_GET, &st);

	*last = *max = 0;
	*valid = true;
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*last = sqlite3_column_int64(st, 0);
		store_column_copy(st, 1, want, sizeof(want));
		*max = sqlite3_column_int64(st, 2);
	} else {
		r = store_fail(s, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, "trigger cursor");
	}
	sqlite3_reset(st);
	if (r < 0 || *last == 0)
		return r;
	r = store_stmt(s, &stmts, X_CURSOR_CHECK, &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, *last);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		store_column_copy(st, 0, got, sizeof(got));
	else if (rc != SQLITE_DONE)
		r = store_fail(s, rc, "trigger cursor");
	sqlite3_reset(st);
	*valid = r == 0 && rc == SQLITE_ROW && strcmp(want, got) == 0;
	return r;
}

int store_trigger_cursor_set(struct store *s, int64_t rowid)
{
	sqlite3_stmt *st;
	int r = store_stmt(s, &stmts, X_CURSOR_SET, &st);

	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, rowid);
	return store_step_done(s, st, "trigger cursor");
}

int store_trigger_def_get(struct store *s, const char *name, char *fp, size_t size)
{
	sqlite3_stmt *st;
	int rc, r = store_stmt(s, &stmts, X_DEF_GET, &st);

	fp[0] = '\0';
	if (r < 0)
		return r;
	store_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		store_column_copy(st, 0, fp, size);
	else if (rc != SQLITE_DONE)
		r = store_fail(s, rc, "trigger def");
	sqlite3_reset(st);
	return r;
}

int store_trigger_def_set(struct store *s, const char *name, const char *fp, int64_t now)
{
	sqlite3_stmt *st;
	int r = store_stmt(s, &stmts, X_DEF_SET, &st);

	if (r < 0)
		return r;
	STORE_BIND(st, 1, STORE_TEXT(name), STORE_TEXT(fp), STORE_WHEN(now));
	return store_step_done(s, st, "trigger def");
}

int store_trigger_def_fail(struct store *s, const char *name, const char *error, int64_t now)
{
	sqlite3_stmt *st;
	int r = store_stmt(s, &stmts, X_DEF_FAIL, &st);

	if (r < 0)
		return r;
	STORE_BIND(st, 1, STORE_TEXT(name), STORE_TEXT(error), STORE_WHEN(now));
	return store_step_done(s, st, "trigger def");
}

int store_trigger_def_error(struct store *s, const char *name, char *error, size_t size,
                            int64_t *when)
{
	sqlite3_stmt *st;
	int rc, r = store_stmt(s, &stmts, X_DEF_ERROR, &st);

	error[0] = '\0';
	*when = 0;
	if (r < 0)
		return r;
	store_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		store_column_copy(st, 0, error, size);
		*when = store_column_time(st, 1, NULL);
	} else if (rc == SQLITE_DONE) {
		r = -ENOENT;
	} else {
		r = store_fail(s, rc, "trigger def");
	}
	sqlite3_reset(st);
	return r;
}

int store_trigger_def_errors(struct store *s,
                             int (*fn)(const char *name, const char *error, int64_t when,
                                       void *arg),
                             void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc, r = adhoc(s,
	                  "SELECT trigger_name, last_error, last_error_time FROM trigger_defs"
	                  " WHERE last_error IS NOT NULL ORDER BY trigger_name",
	                  &st);

	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = fn(col(st, 0) ? col(st, 0) : "", col(st, 1) ? col(st, 1) : "",
		       store_column_time(st, 2, NULL), arg);
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail(s, rc, "trigger defs");
	sqlite3_finalize(st);
	return r;
}

/* The hits about to leave the window, per group (few: those of one cycle). */
static int take_leaving(struct store *s, const char *name, int64_t until, struct leaving *lv)
{
	sqlite3_stmt *st;
	int rc, r = store_stmt(s, &stmts, X_HITS_LEAVING, &st);

	if (r < 0)
		return r;
	STORE_BIND(st, 1, STORE_TEXT(name), STORE_WHEN(until));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = UTIL_GROW(lv->groups, lv->cap_groups, lv->len + 1);
		if (r == 0)
			r = UTIL_GROW(lv->n, lv->cap_n, lv->len + 1);
		if (r < 0)
			break;
		if (!(lv->groups[lv->len] = strdup(col(st, 0) ? col(st, 0) : ""))) {
			r = -ENOMEM;
			break;
		}
		lv->n[lv->len++] = sqlite3_column_int64(st, 1);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail(s, rc, "trigger hits");
	sqlite3_reset(st);
	return r;
}

int store_trigger_hits_delete(struct store *s, const char *name, int64_t until)
{
	struct leaving lv = {0};
	sqlite3_stmt *st;
	int r = 0;

	/* Every hit: the counts go as a whole. Else each group loses what leaves. */
	if (until == INT64_MAX) {
		r = store_stmt(s, &stmts, X_COUNTS_DELETE, &st);
		if (r == 0) {
			store_bind_text(st, 1, name);
			r = store_step_done(s, st, "trigger counts");
		}
	} else {
		r = take_leaving(s, name, until, &lv);
	}
	for (size_t i = 0; r == 0 && i < lv.len; i++)
		r = count_sub(s, name, lv.groups[i], lv.n[i]);
	if (r == 0)
		r = store_stmt(s, &stmts, X_HITS_DELETE, &st);
	if (r == 0) {
		STORE_BIND(st, 1, STORE_TEXT(name), STORE_WHEN(until));
		r = store_step_done(s, st, "trigger hits");
	}
	for (size_t i = 0; i < lv.len; i++)
		free(lv.groups[i]);
	free(lv.groups);
	free(lv.n);
	return r;
}

int store_trigger_defs_retain(struct store *s, const char *const *names, size_t n)
{
	char **gone = NULL;
	size_t n_gone = 0, cap_gone = 0;
	sqlite3_stmt *st;
	int rc, r;

	r = adhoc(s, "SELECT trigger_name FROM trigger_defs", &st);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = col(st, 0);
		size_t i = 0;

		while (name && i < n && strcmp(names[i], name) != 0)
			i++;
		if (!name || i < n)
			continue;
		r = UTIL_GROW(gone, cap_gone, n_gone + 1);
		if (r < 0)
			break;
		if (!(gone[n_gone] = strdup(name))) {
			r = -ENOMEM;
			break;
		}
		n_gone++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail(s, rc, "trigger defs");
	sqlite3_finalize(st);
	st = NULL;
	if (r == 0 && n_gone)
		r = adhoc(s, "DELETE FROM trigger_defs WHERE trigger_name = ?1", &st);
	for (size_t i = 0; r == 0 && i < n_gone; i++) {
		r = store_trigger_hits_delete(s, gone[i], INT64_MAX);
		if (r == 0) {
			store_bind_text(st, 1, gone[i]);
			r = store_step_done(s, st, "trigger defs");
		}
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n_gone; i++)
		free(gone[i]);
	free(gone);
	return r;
}

int store_trigger_hit_add(struct store *s, const char *name, const char *date_created,
                          const char *group, const char *sid)
{
	sqlite3_stmt *st;
	int r = store_stmt(s, &stmts, X_HIT_ADD, &st);

	if (r < 0)
		return r;
	STORE_BIND(st, 1, STORE_TEXT(name), STORE_TEXT(date_created), STORE_TEXT(group),
	           STORE_TEXT(sid));
	r = store_step_done(s, st, "trigger hit");
	/* Counted once: the same hit may come from a rebuild and from the new rows. */
	if (r < 0 || sqlite3_changes(s->db) == 0)
		return r;
	r = store_stmt(s, &stmts, X_COUNT_ADD, &st);
	if (r < 0)
		return r;
	STORE_BIND(st, 1, STORE_TEXT(name), STORE_TEXT(group));
	return store_step_done(s, st, "trigger counts");
}

int store_trigger_counts(struct store *s, const char *name, int64_t min,
                         int (*fn)(const char *group, int64_t count, void *arg), void *arg)
{
	sqlite3_stmt *st;
	int rc, r = store_stmt(s, &stmts, X_COUNTS_OVER, &st);

	if (r < 0)
		return r;
	STORE_BIND(st, 1, STORE_TEXT(name), STORE_I64(min));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *g = col(st, 0);

		r = fn(g ? g : "", sqlite3_column_int64(st, 1), arg);
		if (r != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail(s, rc, "trigger counts");
	sqlite3_reset(st);
	return r;
}

int store_trigger_count_get(struct store *s, const char *name, const char *group, int64_t *count)
{
	sqlite3_stmt *st;
	int rc, r = store_stmt(s, &stmts, X_COUNT_GET, &st);

	*count = 0;
	if (r < 0)
		return r;
	STORE_BIND(st, 1, STORE_TEXT(name), STORE_TEXT(group));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		r = store_fail(s, rc, "trigger counts");
	sqlite3_reset(st);
	return r;
}

int store_trigger_hits_alerts(struct store *s, const char *name, const char *group, int64_t from,
                              int64_t to, store_alert_fn fn, void *arg)
{
	sqlite3_stmt *st;
	int r = store_stmt(s, &stmts, X_HITS_ALERTS, &st);

	if (r < 0)
		return r;
	STORE_BIND(st, 1, STORE_TEXT(name), STORE_TEXT(group), STORE_WHEN(from), STORE_WHEN(to));
	return each_alert(s, st, fn, arg);
}

static const char *const state_names[] = {"ok", "pending", "firing"};

static void state_from_row(sqlite3_stmt *st, struct store_trigger_state *out)
{
	const char *state = col(st, 1);

	memset(out, 0, sizeof(*out));
	store_column_copy(st, 0, out->group, sizeof(out->group));
	for (size_t i = 0; state && i < ARRAY_SIZE(state_names); i++)
		if (strcmp(state, state_names[i]) == 0)
			out->state = (enum store_trigger_status)i;
	out->since = store_column_time(st, 2, NULL);
	out->started = store_column_time(st, 3, NULL);
	out->last_notified = store_column_time(st, 4, NULL);
	out->repeats = sqlite3_column_int64(st, 5);
	out->last_resolved = store_column_time(st, 6, NULL);
	out->count = sqlite3_column_int64(st, 7);
	out->updated = store_column_time(st, 8, NULL);
}

int store_trigger_state_list(struct store *s, const char *name, bool active,
                             int (*fn)(const struct store_trigger_state *st, void *arg), void *arg)
{
	struct store_trigger_state state;
	sqlite3_stmt *st;
	int rc, r = store_stmt(s, &stmts, active ? X_STATE_ACTIVE : X_STATE_LIST, &st);

	if (r < 0)
		return r;
	store_bind_text(st, 1, name);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		state_from_row(st, &state);
		r = fn(&state, arg);
		if (r != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail(s, rc, "trigger states");
	sqlite3_reset(st);
	return r;
}

int store_trigger_state_get(struct store *s, const char *name, const char *group,
                            struct store_trigger_state *out)
{
	sqlite3_stmt *st;
	int rc, r = store_stmt(s, &stmts, X_STATE_GET, &st);

	memset(out, 0, sizeof(*out));
	if (r < 0)
		return r;
	STORE_BIND(st, 1, STORE_TEXT(name), STORE_TEXT(group));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		state_from_row(st, out);
	else if (rc == SQLITE_DONE)
		r = -ENOENT;
	else
		r = store_fail(s, rc, "trigger state");
	sqlite3_reset(st);
	if (r == -ENOENT)
		snprintf(out->group, sizeof(out->group), "%s", group);
	return r;
}

int store_trigger_state_put(struct store *s, const char *name, const struct store_trigger_state *in)
{
	sqlite3_stmt *st;
	int r = store_stmt(s, &stmts, X_STATE_PUT, &st);

	if (r < 0)
		return r;
	STORE_BIND(st, 1, STORE_TEXT(name), STORE_TEXT(in->group),
	           STORE_TEXT(state_names[in->state]), STORE_WHEN(in->since),
	           STORE_TIME(in->started), STORE_TIME(in->last_notified), STORE_I64(in->repeats),
	           STORE_TIME(in->last_resolved), STORE_I64(in->count), STORE_WHEN(in->updated));
	return store_step_done(s, st, "trigger state");
}

int store_trigger_prune(struct store *s, int64_t before)
{
	static const char *const text[] = {
	        "DELETE FROM trigger_state WHERE state = 'ok' AND updated < ?1",
	        "DELETE FROM outbox WHERE delivered IS NOT NULL AND delivered < ?1",
	};
	sqlite3_stmt *st = NULL;
	int r = 0;

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(text); i++) {
		r = adhoc(s, text[i], &st);
		if (r == 0) {
			store_bind_when(st, 1, before);
			r = store_step_done(s, st, "trigger prune");
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	return r;
}

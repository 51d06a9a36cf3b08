// SPDX-License-Identifier: MIT
/*
 * The SQLite store. Opens the database in WAL mode, applies the migrations
 * embedded from schema/ (PRAGMA user_version counts the ones applied) and
 * recreates the views. Statements are prepared once and kept in struct store;
 * SQLite result codes become -errno here and go no further.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/log.h"
#include "store/store-private.h"
#include "store/store-where.h"
#include "base/util.h"

/* Generated from schema/ by schema/embed.py. */
extern const char *const store_migrations[];
extern const unsigned store_n_migrations;
extern const char store_views_sql[];

/*
 * The page cache is the store's main memory cost: 2 MiB keeps a backfill of a
 * million alerts inside the agent's 16 MiB budget and still holds the hot upper
 * levels of the indexes (4 MiB was measured at most a few percent faster; see
 * tests/bench/RESULTS.md).
 */
#define STORE_CACHE_KIB 2048
/* Checkpoint every ~4 MiB of WAL (4096-byte pages) and truncate it back to that size. */
#define STORE_WAL_CHECKPOINT_PAGES 1000
#define STORE_WAL_LIMIT_BYTES (4 * 1024 * 1024)

enum stmt_id { ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST__COUNT };

static const char *const stmt_sql[ST__COUNT] = {
        [ST_BEGIN] = "BEGIN IMMEDIATE",
        [ST_COMMIT] = "COMMIT",
        [ST_ROLLBACK] = "ROLLBACK",
};
static const struct store_sql stmts = STORE_SQL_TABLE(STORE_SQL_STORE, stmt_sql, false);
_Static_assert(ST__COUNT <= STORE_SQL_MAX, "store.c has STORE_SQL_MAX statements");

/* Map a SQLite result code to -errno; CANTOPEN and IOERR look at the OS error behind them. */
static int sql_errno(sqlite3 *db, int rc)
{
	int sys = db ? sqlite3_system_errno(db) : 0;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		return sys == ENOENT ? -ENOENT : sys == EROFS ? -EROFS : -EACCES;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		/* Permanent: retrying cannot mend the file (store.h: -EUCLEAN). */
		return -EUCLEAN;
	case SQLITE_IOERR:
		return sys == ENOSPC || sys == EDQUOT ? -ENOSPC : -EIO;
	default:
		return -EIO;
	}
}

/*
 * Keep SQLite's own message for store_errmsg() and translate the code. Callers
 * report it in their one line; here it is only a debug line.
 */
int store_fail(struct store *s, int rc, const char *what)
{
	snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", what,
	         s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	log_debug("store: %s: %s", s->path, s->errmsg);
	return sql_errno(s->db, rc);
}

int store_stmt(struct store *s, const struct store_sql *q, int i, sqlite3_stmt **out)
{
	sqlite3_stmt **slot;
	int r, rc;

	if (i < 0 || (size_t)i >= q->n || q->n > STORE_SQL_MAX)
		return -EINVAL;
	/* Before the prepare: installing the authorizer expires prepared statements. */
	if (q->where && (r = store_where_init(s)) < 0)
		return r;
	slot = &s->stmt[q->file][i];
	if (!*slot) {
		rc = sqlite3_prepare_v3(s->db, q->text[i], -1, SQLITE_PREPARE_PERSISTENT, slot,
		                        NULL);
		if (rc != SQLITE_OK)
			return store_fail(s, rc, "prepare");
	}
	*out = *slot;
	return 0;
}

/*
 * Bind text that outlives the step (SQLITE_STATIC: no copy); NULL binds NULL.
 * "" stays "": the API sends empty strings (api_version) and users see them as sent.
 */
int store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (!v)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

int store_bind_field(sqlite3_stmt *st, int i, const char *v)
{
	size_t len = v ? strlen(v) : 0, keep = STORE_FIELD_MAX;
	char tail[80], *cut;
	int n;

	if (len <= STORE_FIELD_MAX)
		return store_bind_text(st, i, v);
	/* Back over continuation bytes: the cut never splits a character. */
	while (keep > 0 && ((unsigned char)v[keep] & 0xc0) == 0x80)
		keep--;
	n = snprintf(tail, sizeof(tail), "%s%zu bytes]", STORE_TRUNCATED_MARK, len);
	cut = malloc(keep + (size_t)n + 1);
	if (!cut) /* still cut, only without the mark */
		return sqlite3_bind_text(st, i, v, (int)keep, SQLITE_STATIC);
	memcpy(cut, v, keep);
	memcpy(cut + keep, tail, (size_t)n + 1);
	return sqlite3_bind_text(st, i, cut, -1, free);
}

/* Like bind_text, for the agent's own fields where "" means "not known". */
int store_bind_opt(sqlite3_stmt *st, int i, const char *v)
{
	return store_bind_text(st, i, v && *v ? v : NULL);
}

int store_bind_int(sqlite3_stmt *st, int i, bool has, int64_t v)
{
	return has ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
}

/* Bind @t as UTC text ("YYYY-MM-DDTHH:MM:SSZ"), 0 as NULL; SQLite copies @buf. */
int store_bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	char buf[UTIL_TIME_LEN];

	if (t == 0)
		return sqlite3_bind_null(st, i);
	util_format_time(t, buf);
	return sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
}

#define NO_END "9999-12-31T23:59:59Z"

/* A time bound as date text: unlike store_bind_time, 0 is the epoch, not NULL. */
int store_bind_when(sqlite3_stmt *st, int i, int64_t t)
{
	char buf[UTIL_TIME_LEN];

	if (t == INT64_MAX)
		return sqlite3_bind_text(st, i, NO_END, -1, SQLITE_STATIC);
	util_format_time(t, buf);
	return sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
}

int store_bind(sqlite3_stmt *st, int first, const struct store_val *v, size_t n)
{
	int rc = SQLITE_OK;

	for (size_t i = 0; i < n; i++) {
		int at = first + (int)i, r = SQLITE_MISUSE;

		switch (v[i].kind) {
		case STORE_V_TEXT:
			r = store_bind_text(st, at, v[i].s);
			break;
		case STORE_V_OPT:
			r = store_bind_opt(st, at, v[i].s);
			break;
		case STORE_V_FIELD:
			r = store_bind_field(st, at, v[i].s);
			break;
		case STORE_V_INT:
			r = store_bind_int(st, at, v[i].has, v[i].n);
			break;
		case STORE_V_I64:
			r = sqlite3_bind_int64(st, at, v[i].n);
			break;
		case STORE_V_TIME:
			r = store_bind_time(st, at, v[i].n);
			break;
		case STORE_V_WHEN:
			r = store_bind_when(st, at, v[i].n);
			break;
		}
		if (rc == SQLITE_OK)
			rc = r;
	}
	return rc;
}

int64_t store_column_time(sqlite3_stmt *st, int i, bool *has)
{
	const char *text = (const char *)sqlite3_column_text(st, i);
	int64_t t = 0;

	if (text && util_parse_time(text, &t) == 0) {
		if (has)
			*has = true;
		return t;
	}
	return 0;
}

void store_column_copy(sqlite3_stmt *st, int i, char *out, size_t size)
{
	const char *text = (const char *)sqlite3_column_text(st, i);

	snprintf(out, size, "%s", text ? text : "");
}

/* Run a statement that returns no rows (or whose rows are not needed) to completion. */
int store_step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, what);
	return 0;
}

int store_exec(struct store *s, const char *sql, const char *what)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return store_fail(s, rc, what);
	return 0;
}

/* Run a one-value query such as "PRAGMA user_version"; *@text may be NULL. */
int store_query_value(struct store *s, const char *sql, int64_t *value, char *text, size_t size)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = store_fail(s, rc == SQLITE_DONE ? SQLITE_ERROR : rc, sql);
		goto out;
	}
	if (value)
		*value = sqlite3_column_int64(st, 0);
	if (text)
		store_column_copy(st, 0, text, size);
out:
	sqlite3_finalize(st);
	return r;
}

int store_begin(struct store *s)
{
	sqlite3_stmt *st = NULL;
	int r = store_stmt(s, &stmts, ST_BEGIN, &st);

	return r < 0 ? r : store_step_done(s, st, "begin");
}

int store_commit(struct store *s)
{
	sqlite3_stmt *st = NULL;
	int r = store_stmt(s, &stmts, ST_COMMIT, &st);

	return r < 0 ? r : store_step_done(s, st, "commit");
}

int store_begin_read(struct store *s)
{
	return store_exec(s, "BEGIN DEFERRED", "begin");
}

void store_rollback(struct store *s)
{
	sqlite3_stmt *st = NULL;

	/* An error may already have rolled the transaction back (SQLITE_FULL does). */
	if (!s || !s->db || sqlite3_get_autocommit(s->db))
		return;
	if (store_stmt(s, &stmts, ST_ROLLBACK, &st) == 0)
		store_step_done(s, st, "rollback");
}

/*
 * Apply the migrations the file lacks, each in its own transaction with its
 * user_version bump, so a crash leaves the database at a whole version. The
 * version is read again under the write lock: another agent may have just
 * migrated the same file.
 */
static int migrate(struct store *s)
{
	int64_t version = 0; /* set when r == 0; initialised for the analyzer (scan-build) */
	int r;

	for (unsigned n = 1; n <= store_n_migrations; n++) {
		char sql[64];

		r = store_begin(s);
		if (r < 0)
			goto out;
		r = store_query_value(s, "PRAGMA user_version", &version, NULL, 0);
		if (r < 0)
			goto out;
		if (version > (int64_t)store_n_migrations) {
			snprintf(s->errmsg, sizeof(s->errmsg),
			         "schema version %lld is newer than this agent's %u; upgrade "
			         "twilio-alertd",
			         (long long)version, store_n_migrations);
			r = -EPROTO;
			goto out;
		}
		if (version < (int64_t)n) {
			r = store_exec(s, store_migrations[n - 1], "migration");
			if (r < 0)
				goto out;
			snprintf(sql, sizeof(sql), "PRAGMA user_version = %u", n);
			r = store_exec(s, sql, "migration");
			if (r < 0)
				goto out;
			log_info("store: %s: schema migrated to version %u", s->path, n);
		}
		r = store_commit(s);
		if (r < 0)
			goto out;
	}
	/* The views are recreated each time, so they always match this binary. */
	r = store_begin(s);
	if (r < 0)
		goto out;
	r = store_exec(s, store_views_sql, "views");
	if (r < 0)
		goto out;
	r = store_commit(s);
out:
	if (r < 0)
		store_rollback(s);
	return r;
}

/*
 * Settings that are per connection. synchronous=NORMAL is safe in WAL mode: a
 * committed transaction survives a crash of the process; only a power loss or OS
 * crash may lose the last transactions (never corrupt the file), and the
 * watermark rules make the next poll fetch those alerts again.
 */
static int configure(struct store *s, bool readonly)
{
	char sql[128], mode[16];
	int64_t tables = 0; /* set when r == 0; initialised for the analyzer (scan-build) */
	int r;

	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d", STORE_CACHE_KIB);
	r = store_exec(s, sql, "cache_size");
	if (r < 0 || readonly)
		goto out;
	r = store_query_value(s, "SELECT count(*) FROM sqlite_schema", &tables, NULL, 0);
	if (r < 0)
		goto out;
	/* Only an empty file can take auto_vacuum; store_prune needs it to shrink the file. */
	if (tables == 0) {
		r = store_exec(s, "PRAGMA auto_vacuum = INCREMENTAL", "auto_vacuum");
		if (r < 0)
			goto out;
	}
	r = store_query_value(s, "PRAGMA journal_mode = WAL", NULL, mode, sizeof(mode));
	if (r < 0)
		goto out;
	if (strcmp(mode, "wal") != 0)
		log_warnx("store: %s: journal_mode is %s, not wal (file system without"
		          " shared memory?)",
		          s->path, mode);
	snprintf(sql, sizeof(sql),
	         "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
	         " PRAGMA wal_autocheckpoint = %d; PRAGMA journal_size_limit = %d",
	         STORE_WAL_CHECKPOINT_PAGES, STORE_WAL_LIMIT_BYTES);
	r = store_exec(s, sql, "pragma");
	if (r < 0)
		goto out;
	r = migrate(s);
out:
	return r;
}

/* A read-only open must find the schema this binary knows, and does not change it. */
static int check_version(struct store *s)
{
	int64_t version = 0; /* set when r == 0; initialised for the analyzer (scan-build) */
	int r = store_query_value(s, "PRAGMA user_version", &version, NULL, 0);

	if (r < 0)
		return r;
	if (version != (int64_t)store_n_migrations) {
		snprintf(s->errmsg, sizeof(s->errmsg), "schema version %lld, this agent needs %u%s",
		         (long long)version, store_n_migrations,
		         version < (int64_t)store_n_migrations ? " (run the agent once to migrate)"
		                                               : " (upgrade twilio-alertd)");
		return -EPROTO;
	}
	return 0;
}

/* Open @name (a path, or a URI with SQLITE_OPEN_URI) into s->db and set it up. */
static int connect(struct store *s, const char *name, int flags, bool readonly)
{
	int rc, r;

	rc = sqlite3_open_v2(name, &s->db, flags, NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "open");
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	r = configure(s, readonly);
	if (r == 0 && readonly)
		r = check_version(s);
	return r;
}

static bool wal_exists(const char *path)
{
	char wal[4096];

	if (snprintf(wal, sizeof(wal), "%s-wal", path) >= (int)sizeof(wal))
		return true; /* cannot tell: do not take the immutable path */
	return access(wal, F_OK) == 0 || errno != ENOENT;
}

/* "file:PATH?immutable=1", with the characters a URI path may not hold escaped. */
static int immutable_uri(const char *path, char **out)
{
	struct strbuf sb;
	int r = 0;

	strbuf_init(&sb, 3 * strlen(path) + 32);
	r = strbuf_append(&sb, "file:", 5);
	for (const char *p = path; r == 0 && *p; p++) {
		if (*p == '?' || *p == '#' || *p == '%' || (unsigned char)*p < 0x21)
			strbuf_addf(&sb, &r, "%%%02X", (unsigned)(unsigned char)*p);
		else
			r = strbuf_append(&sb, p, 1);
	}
	if (r == 0)
		r = strbuf_append(&sb, "?immutable=1", 12);
	if (r < 0) {
		strbuf_finish(&sb);
		return -ENOMEM;
	}
	*out = sb.buf;
	return 0;
}

int store_open(const char *path, bool readonly, struct store **out)
{
	struct store *s = NULL;
	int flags, fd, r;

	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		r = -ENOMEM;
		goto out;
	}
	if (readonly) {
		flags = SQLITE_OPEN_READONLY;
		if (access(path, F_OK) < 0) {
			r = -errno;
			goto out;
		}
	} else {
		/*
		 * Create a new file ourselves so it is born 0600: SQLite would use 0644,
		 * and gives the -wal and -shm files the mode of the database file. Never
		 * open an existing file: closing any descriptor of it drops every POSIX
		 * lock this process holds on it, and another process's connection could
		 * then think it is the last one and delete the WAL under our feet.
		 */
		flags = SQLITE_OPEN_READWRITE;
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
		if (fd >= 0) {
			close(fd);
		} else if (errno != EEXIST || access(path, R_OK | W_OK) < 0) {
			r = -errno;
			goto out;
		}
	}
	/*
	 * All of SQLite's memory in this process, every connection together: a
	 * `where` that builds a huge value fails with "out of memory" at this line
	 * instead of taking the machine's memory (a lower SQLITE_LIMIT_LENGTH would
	 * not do: printf() then returns NULL, no error). Setting it again is harmless.
	 */
	sqlite3_hard_heap_limit64((sqlite3_int64)STORE_HEAP_MAX);
	/* NOMUTEX: a connection is used by one thread at a time (see store.h). */
	flags |= SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	r = connect(s, path, flags, readonly);
	if (r < 0 && readonly && r != -ENOMEM && r != -EUCLEAN && r != -EPROTO &&
	    access(path, R_OK) == 0 && !wal_exists(path)) {
		char first[sizeof(s->errmsg)], *uri = NULL;

		/*
		 * A reader that may not create the -shm file (the directory is not
		 * writable for it) cannot open a WAL database, unless there is no WAL to
		 * read: then the file alone is the whole database, and opening it as
		 * immutable is exact. With a -wal file a writer is at work: the first
		 * error stands.
		 */
		snprintf(first, sizeof(first), "%s", s->errmsg);
		r = immutable_uri(path, &uri);
		if (r == 0) {
			sqlite3_close(s->db);
			s->db = NULL;
			r = connect(s, uri, flags | SQLITE_OPEN_URI, readonly);
		}
		free(uri);
		if (r < 0)
			snprintf(s->errmsg, sizeof(s->errmsg), "%s", first);
		else
			log_debug("store: %s: opened as immutable (no WAL, -shm not creatable)",
			          path);
	}
	/* The file is there: what is missing is a -wal or -shm file, not the database. */
	if (r == -ENOENT && access(path, F_OK) == 0)
		r = -EACCES;
	if (r < 0)
		goto out;
	*out = s;
	s = NULL;
out:
	/* One line for the user; a missing file for `status` is the caller's to explain. */
	if (r == -EUCLEAN)
		log_warnx("cannot open the database %s: it is damaged or not an SQLite database"
		          " (%s); move it aside (a new one is then made and backfilled) or restore"
		          " a backup",
		          path, s && s->errmsg[0] ? s->errmsg : "corrupt");
	else if (r < 0 && !(readonly && r == -ENOENT))
		log_warnx("cannot open the database %s: %s", path,
		          s && s->errmsg[0] ? s->errmsg : strerror(-r));
	store_close(s);
	return r;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (size_t f = 0; f < STORE_SQL__COUNT; f++)
		for (size_t i = 0; i < STORE_SQL_MAX; i++)
			sqlite3_finalize(s->stmt[f][i]);
	/* Closing the last connection checkpoints the WAL and removes -wal and -shm. */
	if (s->db && sqlite3_close(s->db) != SQLITE_OK)
		log_warnx("store: %s: close: %s", s->path, sqlite3_errmsg(s->db));
	free(s->path);
	free(s);
}

const char *store_errmsg(struct store *s)
{
	if (!s)
		return "no database";
	return s->errmsg[0] ? s->errmsg : "no error";
}

void store_set_stop(struct store *s, volatile int *stop)
{
	s->stop = stop;
}

void store_set_busy_timeout(struct store *s, int ms)
{
	sqlite3_busy_timeout(s->db, ms);
}

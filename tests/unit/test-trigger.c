// SPDX-License-Identifier: MIT
/*
 * Unit tests for the trigger stage (evaluation, rule, notification,
 * backtest) and store-trigger.c: the state machine (threshold edges, for,
 * repeat, resolve), matching and grouping, the `where` check, and
 * evaluations on a temporary database at chosen times (window sliding,
 * grouping, new rows and rebuilds, outbox in the same transaction as the
 * state) and the backtest against a brute force replay.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "base/config.h"
#include "store/store-trigger.h"
#include "store/store.h"
#include "test.h"
#include "trigger/trigger.h"
#include "trigger/trigger-backtest.h"
#include "trigger/trigger-note.h"
#include "trigger/trigger-rule.h"
#include "base/util.h"

#define SID_A "AC0123456789abcdef0123456789abcdef"
#define SID_B "ACfedcba9876543210fedcba9876543210"
#define T0 1760000000 /* 2025-10-09T08:53:20Z */

static char dir[] = "/tmp/test-trigger-XXXXXX";
static char db_path[128];
static int n_conf;

static struct config *load(const char *body)
{
	struct config_problems p = {0};
	struct config *cfg = NULL;
	char path[160], tok[160];
	FILE *f;

	snprintf(tok, sizeof(tok), "%s/token", dir);
	f = fopen(tok, "w");
	fputs("0123456789abcdef0123456789abcdef\n", f);
	fclose(f);
	chmod(tok, 0600);
	snprintf(path, sizeof(path), "%s/c%d.conf", dir, n_conf++);
	f = fopen(path, "w");
	fprintf(f,
	        "[agent]\ndatabase = %s\nlisten =\n"
	        "[account a]\naccount_sid = " SID_A "\nauth_token_file = %s\n"
	        "[account b]\naccount_sid = " SID_B "\nauth_token_file = %s\n"
	        "[notify n1]\ntype = exec\ncommand = /bin/true\n"
	        "[notify n2]\ntype = syslog\n%s",
	        db_path, tok, tok, body);
	fclose(f);
	if (config_load(path, &cfg, &p) < 0) {
		for (size_t i = 0; i < p.n; i++)
			fprintf(stderr, "config: %s\n", p.lines[i]);
		config_problems_finish(&p);
		fprintf(stderr, "test config does not load\n");
		exit(1);
	}
	config_problems_finish(&p);
	return cfg;
}

static struct config_trigger plain(int64_t threshold, int64_t window)
{
	return (struct config_trigger){
	        .name = (char *)"t", .threshold = threshold, .window = window, .resolve = true};
}

static void test_step_threshold_and_resolve(void)
{
	struct config_trigger t = plain(3, 300);
	struct store_trigger_state st = {.state = STORE_TRIGGER_OK};

	CHECK_INT(trigger_step(&t, &st, 0, T0), TRIGGER_NONE);
	CHECK_INT(trigger_step(&t, &st, 2, T0 + 1), TRIGGER_NONE); /* threshold - 1 */
	CHECK_INT(st.state, STORE_TRIGGER_OK);
	CHECK_INT(trigger_step(&t, &st, 3, T0 + 2), TRIGGER_FIRED); /* reaching it fires */
	CHECK_INT(st.state, STORE_TRIGGER_FIRING);
	CHECK_INT(st.started, T0 + 2);
	CHECK_INT(st.since, T0 + 2);
	/* Still over: no repeat configured, nothing more. */
	for (int i = 0; i < 5; i++)
		CHECK_INT(trigger_step(&t, &st, 10, T0 + 100 + i), TRIGGER_NONE);
	CHECK_INT(trigger_step(&t, &st, 3, T0 + 200), TRIGGER_NONE); /* at it: still firing */
	CHECK_INT(trigger_step(&t, &st, 2, T0 + 201), TRIGGER_RESOLVED);
	CHECK_INT(st.state, STORE_TRIGGER_OK);
	CHECK_INT(st.last_resolved, T0 + 201);
	CHECK_INT(st.started, T0 + 2);                               /* kept: "last fired" */
	CHECK_INT(trigger_step(&t, &st, 0, T0 + 202), TRIGGER_NONE); /* resolves once */
	/* A new firing has a new start, hence new idempotency keys. */
	CHECK_INT(trigger_step(&t, &st, 4, T0 + 300), TRIGGER_FIRED);
	CHECK_INT(st.started, T0 + 300);

	/* resolve = no: back to ok silently. */
	t.resolve = false;
	CHECK_INT(trigger_step(&t, &st, 0, T0 + 400), TRIGGER_NONE);
	CHECK_INT(st.state, STORE_TRIGGER_OK);
	CHECK_INT(st.last_resolved, T0 + 400);

	/* threshold 1: the first alert fires. */
	t = plain(1, 60);
	memset(&st, 0, sizeof(st));
	CHECK_INT(trigger_step(&t, &st, 1, T0), TRIGGER_FIRED);
}

static void test_step_for(void)
{
	struct config_trigger t = plain(2, 300);
	struct store_trigger_state st = {.state = STORE_TRIGGER_OK};

	t.for_ = 120;
	CHECK_INT(trigger_step(&t, &st, 5, T0), TRIGGER_NONE);
	CHECK_INT(st.state, STORE_TRIGGER_PENDING);
	CHECK_INT(st.since, T0);
	CHECK_INT(trigger_step(&t, &st, 5, T0 + 119), TRIGGER_NONE); /* not yet */
	CHECK_INT(st.state, STORE_TRIGGER_PENDING);
	CHECK_INT(trigger_step(&t, &st, 2, T0 + 120), TRIGGER_FIRED); /* held exactly `for` */
	CHECK_INT(st.started, T0 + 120);

	/* A dip below the threshold while pending starts over (against flapping). */
	memset(&st, 0, sizeof(st));
	CHECK_INT(trigger_step(&t, &st, 5, T0), TRIGGER_NONE);
	CHECK_INT(trigger_step(&t, &st, 1, T0 + 60), TRIGGER_NONE);
	CHECK_INT(st.state, STORE_TRIGGER_OK);
	CHECK_INT(trigger_step(&t, &st, 5, T0 + 100), TRIGGER_NONE);
	CHECK_INT(trigger_step(&t, &st, 5, T0 + 200), TRIGGER_NONE);
	CHECK_INT(st.state, STORE_TRIGGER_PENDING);
	CHECK_INT(trigger_step(&t, &st, 5, T0 + 220), TRIGGER_FIRED);
	/* A pending group that never fired resolves nothing. */
	memset(&st, 0, sizeof(st));
	CHECK_INT(trigger_step(&t, &st, 5, T0), TRIGGER_NONE);
	CHECK_INT(trigger_step(&t, &st, 0, T0 + 10), TRIGGER_NONE);
	CHECK_INT(st.started, 0);
}

static void test_step_repeat(void)
{
	struct config_trigger t = plain(1, 300);
	struct store_trigger_state st = {.state = STORE_TRIGGER_OK};

	t.repeat = 3600;
	CHECK_INT(trigger_step(&t, &st, 1, T0), TRIGGER_FIRED);
	CHECK_INT(trigger_step(&t, &st, 1, T0 + 3599), TRIGGER_NONE);
	CHECK_INT(trigger_step(&t, &st, 1, T0 + 3600), TRIGGER_REPEAT);
	CHECK_INT(st.repeats, 1);
	CHECK_INT(st.started, T0); /* the firing is the same */
	CHECK_INT(trigger_step(&t, &st, 1, T0 + 3700), TRIGGER_NONE);
	/* Counted from the last notification, not from a fixed grid. */
	CHECK_INT(trigger_step(&t, &st, 1, T0 + 7300), TRIGGER_REPEAT);
	CHECK_INT(st.repeats, 2);
	CHECK_INT(trigger_step(&t, &st, 0, T0 + 7301), TRIGGER_RESOLVED);
	CHECK_INT(trigger_step(&t, &st, 1, T0 + 8000), TRIGGER_FIRED);
	CHECK_INT(st.repeats, 0);
	CHECK_STR(trigger_event_name(TRIGGER_REPEAT), "repeat");
	CHECK_STR(trigger_state_name(STORE_TRIGGER_PENDING), "pending");
}

static struct store_trigger_alert alert(const char *sid, int64_t code, const char *level,
                                        const char *account, const char *host, const char *text)
{
	static char dates[64][UTIL_TIME_LEN];
	static int k;
	struct store_trigger_alert a = {.sid = sid,
	                                .has_error_code = code >= 0,
	                                .error_code = code,
	                                .log_level = level,
	                                .account_sid = account,
	                                .request_host = host,
	                                .alert_text = text,
	                                .resource_sid = "CA11111111111111111111111111111111",
	                                .created = T0};

	util_format_time(T0, dates[k % 64]);
	a.date_created = dates[k++ % 64];
	return a;
}

static void test_match_and_group(void)
{
	struct config *cfg =
	        load("[trigger m]\nerror_code = 11200, 11205\nlog_level = error\n"
	             "account = b\nrequest_host = *.Example.com\n"
	             "text = Msg=HTTP\\+(retrieval|connection)\ngroup_by = request_host\n"
	             "notify = n1\n"
	             "[trigger g]\ngroup_by = error_code\nnotify = n1\n");
	struct trigger_compiled c, g;
	struct store_trigger_alert a;
	char group[STORE_GROUP_MAX];

	CHECK_INT(trigger_compile(cfg, &cfg->triggers[0], &c), 0);
	a = alert("NO1", 11205, "error", SID_B, "api.example.com", "Msg=HTTP+retrieval+failure");
	CHECK(trigger_match(&c, &a));
	trigger_group(&c, &a, group);
	CHECK_STR(group, "api.example.com");
	a.error_code = 11201;
	CHECK(!trigger_match(&c, &a));
	a.error_code = 11200;
	a.has_error_code = false;
	CHECK(!trigger_match(&c, &a));
	a.has_error_code = true;
	a.log_level = "warning";
	CHECK(!trigger_match(&c, &a));
	a.log_level = "error";
	a.account_sid = SID_A;
	CHECK(!trigger_match(&c, &a));
	a.account_sid = SID_B;
	a.request_host = "example.com"; /* the glob wants a subdomain */
	CHECK(!trigger_match(&c, &a));
	a.request_host = NULL;
	CHECK(!trigger_match(&c, &a));
	a.request_host = "x.example.com";
	a.alert_text = "Msg=HTTP+timeout";
	CHECK(!trigger_match(&c, &a));
	a.alert_text = NULL;
	CHECK(!trigger_match(&c, &a));
	a.alert_text = "x&Msg=HTTP+connection+failure";
	CHECK(trigger_match(&c, &a));
	a.request_host = NULL;
	CHECK_INT(trigger_compile(cfg, &cfg->triggers[1], &g), 0);
	trigger_group(&c, &a, group);
	CHECK_STR(group, "-");
	CHECK(trigger_match(&g, &a)); /* no matcher: everything */
	trigger_group(&g, &a, group);
	CHECK_STR(group, "11200");
	a.has_error_code = false;
	trigger_group(&g, &a, group);
	CHECK_STR(group, "-");
	/* The fingerprint follows matching and grouping, not threshold or channels. */
	CHECK(strcmp(c.fingerprint, g.fingerprint) != 0);
	CHECK_INT(strlen(c.fingerprint), 64);
	trigger_compiled_finish(&c);
	trigger_compiled_finish(&g);
	trigger_compiled_finish(NULL);
	config_free(cfg);
}

static void test_where_check(void)
{
	static const char *const good[] = {
	        "http_response >= 500",
	        "error_code IN (11200, 11205) AND msg LIKE '%timeout%'",
	        "request_url NOT LIKE 'https://internal.%' OR (log_level = 'error')",
	        "alert_text REGEXP 'Msg=HTTP'",
	        "length(msg) > 3 AND sid != ')'",
	        "(SELECT count(*) FROM alerts AS x WHERE x.error_code = alerts.error_code) > 1",
	};
	static const struct {
		const char *where, *why;
	} bad[] = {
	        {"(SELECT count(*) FROM sync_state) > 0", "reads table sync_state"},
	        {"EXISTS (SELECT 1 FROM sqlite_schema)", "reads table sqlite_schema"},
	        {"(SELECT count(*) FROM outbox) >= 0", "reads table outbox"},
	        {"1); DELETE FROM alerts; SELECT (1", "closes a parenthesis"},
	        {"1) OR (1", "closes a parenthesis"},
	        {"1; ATTACH DATABASE '/tmp/x.db' AS x", "';'"},
	        {"(DELETE FROM alerts RETURNING 1)", "syntax error"},
	        {"(SELECT count(*) FROM pragma_table_info('alerts')) > 0", "only the alerts table"},
	        {"EXISTS (SELECT 1 FROM json_each('[1]'))", "only the alerts table"},
	        {"load_extension('/tmp/x.so') IS NULL", "function"},
	        {"error_code = ?1", "parameter"},
	        {"error_code = :code", "parameter"},
	        {"1 -- comment", "comment"},
	        {"1 /* c */", "comment"},
	        {"no_such_column = 1", "no such column"},
	        {"msg = 'unterminated", "unterminated"},
	        {"(1", "unclosed"},
	        {"   ", "empty"},
	        {"1 GROUP BY sid", "syntax error"},
	};
	char why[256];

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		int r = store_trigger_check_where(good[i], why, sizeof(why));

		if (r != 0)
			fprintf(stderr, "refused %s: %s\n", good[i], why);
		CHECK_INT(r, 0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = store_trigger_check_where(bad[i].where, why, sizeof(why));

		CHECK_INT(r, -EINVAL);
		if (!strstr(why, bad[i].why))
			fprintf(stderr, "%s: reason '%s' lacks '%s'\n", bad[i].where, why,
			        bad[i].why);
		CHECK(strstr(why, bad[i].why) != NULL);
	}
}

/*
 * Text cut to fit (an example's msg, a long group) must stay valid UTF-8, or
 * the notification JSON cannot be built: the example would be lost, and a
 * group would fail the whole evaluation at every cycle.
 */
static void test_cut_text_stays_utf8(void)
{
	struct config *cfg = load("[trigger u]\ngroup_by = request_host\nnotify = n1\n");
	struct trigger_details *d = calloc(1, sizeof(*d));
	struct store_trigger_state st = {.state = STORE_TRIGGER_FIRING, .started = T0};
	struct trigger_compiled c;
	struct store_trigger_alert a;
	char key[TRIGGER_KEY_MAX], group[STORE_GROUP_MAX], msg[601];
	json_t *note;

	for (int i = 0; i < 300; i++)
		memcpy(msg + 2 * i, "\xc3\xa9",
		       2); /* U+00E9, 2 bytes: cuts at odd sizes split it */
	msg[600] = '\0';
	CHECK_INT(trigger_compile(cfg, &cfg->triggers[0], &c), 0);
	a = alert("NO1", 11200, "error", SID_A, msg, "Msg=x");
	a.msg = msg;
	a.request_url = msg;
	trigger_group(&c, &a, group);
	CHECK(strlen(group) % 2 == 0 && strlen(group) >= STORE_GROUP_MAX - 2);
	CHECK_INT(trigger_details_add(&a, d), 0);
	note = trigger_notification(cfg, &c, group, &st, TRIGGER_FIRED, 1, T0, d, key);
	CHECK(note != NULL);
	CHECK_INT(json_array_size(json_object_get(note, "examples")), 1);
	json_decref(note);
	trigger_compiled_finish(&c);
	free(d);
	config_free(cfg);
}

/* ---- on a database ---- */

static void add(struct store *s, const char *sid, int64_t created, int64_t code,
                const char *account, const char *host)
{
	struct alert a;

	memset(&a, 0, sizeof(a));
	a.sid = sid;
	a.account_sid = account;
	a.has_error_code = code >= 0;
	a.error_code = code;
	a.log_level = "error";
	a.alert_text = "Msg=HTTP+retrieval+failure";
	a.msg = (char *)"HTTP retrieval failure";
	a.request_url = "https://h.example/voice";
	a.request_method = "POST";
	snprintf(a.request_host, sizeof(a.request_host), "%s", host ? host : "");
	util_format_time(created, a.date_created);
	a.created = created;
	a.source = "poll";
	if (store_upsert_alert(s, &a, created, NULL) < 0)
		fprintf(stderr, "upsert %s: %s\n", sid, store_errmsg(s));
}

static int64_t q_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	sqlite3_open(db_path, &db);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static const char *q_text(const char *sql)
{
	static char buf[4096];
	sqlite3 *db;
	sqlite3_stmt *st;

	snprintf(buf, sizeof(buf), "(none)");
	sqlite3_open(db_path, &db);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, sizeof(buf), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return buf;
}

/* trigger_counts always equals trigger_hits counted per trigger and group. */
static void check_counts(void)
{
	CHECK_INT(q_int("SELECT count(*) FROM (SELECT trigger_name, group_value, count(*) AS n"
	                " FROM trigger_hits GROUP BY 1, 2) AS h FULL JOIN trigger_counts AS c"
	                " USING (trigger_name, group_value) WHERE h.n IS NOT c.count"),
	          0);
}

static void fresh_db(struct store **s)
{
	char wal[160];

	store_close(*s);
	*s = NULL;
	unlink(db_path);
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", db_path);
	unlink(wal);
	if (store_open(db_path, false, s) < 0)
		exit(1);
}

static void eval(struct store *s, const struct config *cfg, int64_t now, struct trigger_result *res)
{
	int r = trigger_evaluate(s, cfg, now, res);

	if (r < 0)
		fprintf(stderr, "evaluate: %s\n", store_errmsg(s));
	CHECK_INT(r, 0);
	check_counts();
}

static void test_fires_once_resolves_once(void)
{
	struct config *cfg = load("[trigger w]\nerror_code = 11200\nthreshold = 3\nwindow = 5m\n"
	                          "notify = n1, n2\n");
	struct trigger_result res;
	struct store *s = NULL;
	json_t *note;

	fresh_db(&s);
	eval(s, cfg, T0, &res);
	CHECK_INT(res.rebuilt, 1);
	add(s, "NO01", T0 + 10, 11200, SID_A, "h.example");
	add(s, "NO02", T0 + 20, 11200, SID_A, "h.example");
	add(s, "NO03", T0 + 25, 11205, SID_A, "h.example"); /* another code */
	eval(s, cfg, T0 + 30, &res);
	CHECK_INT(res.fired, 0);
	CHECK_INT(res.rebuilt, 0);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_hits"), 2);
	add(s, "NO04", T0 + 40, 11200, SID_A, "h.example");
	eval(s, cfg, T0 + 60, &res);
	CHECK_INT(res.fired, 1);
	CHECK_INT(res.queued, 2); /* one row per channel */
	/* Fires once, not on every evaluation. */
	for (int i = 1; i <= 5; i++) {
		eval(s, cfg, T0 + 60 + i * 10, &res);
		CHECK_INT(res.fired + res.repeats + res.resolved, 0);
	}
	CHECK_INT(q_int("SELECT count(*) FROM outbox"), 2);
	CHECK_STR(q_text("SELECT state FROM trigger_state WHERE trigger_name = 'w'"), "firing");
	note = json_loads(q_text("SELECT payload FROM outbox WHERE channel = 'n1'"), 0, NULL);
	CHECK(note != NULL);
	CHECK_STR(json_string_value(json_object_get(note, "kind")), "fired");
	CHECK_INT(json_integer_value(json_object_get(note, "count")), 3);
	CHECK_INT(json_integer_value(json_object_get(note, "threshold")), 3);
	CHECK_INT(json_integer_value(json_object_get(note, "version")), TRIGGER_SCHEMA_VERSION);
	CHECK_STR(json_string_value(json_object_get(note, "window")), "5m");
	CHECK_STR(json_string_value(json_object_get(note, "idempotency_key")),
	          "w/*/2025-10-09T08:54:20Z/fired");
	CHECK(json_is_null(json_object_get(note, "group")));
	CHECK_INT(json_array_size(json_object_get(note, "example_sids")), 3);
	CHECK_STR(json_string_value(json_array_get(json_object_get(note, "example_sids"), 0)),
	          "NO04"); /* newest first */
	CHECK_INT(json_integer_value(json_object_get(
	                  json_array_get(json_object_get(note, "top_error_codes"), 0), "code")),
	          11200);
	CHECK_STR(json_string_value(json_object_get(
	                  json_array_get(json_object_get(note, "top_error_codes"), 0), "url")),
	          "https://www.twilio.com/docs/errors/11200");
	CHECK_STR(json_string_value(json_object_get(
	                  json_array_get(json_object_get(note, "accounts"), 0), "name")),
	          "a");
	CHECK(strstr(json_string_value(json_object_get(note, "query")), "error_code IN (11200)") !=
	      NULL);
	json_decref(note);
	/*
	 * Window sliding: NO01 (T0+10) is out at T0+310 exactly (the window is
	 * (now - 5m, now]), leaving 2 < 3.
	 */
	eval(s, cfg, T0 + 309, &res);
	CHECK_INT(res.resolved, 0);
	eval(s, cfg, T0 + 310, &res);
	CHECK_INT(res.resolved, 1);
	CHECK_INT(q_int("SELECT count(*) FROM outbox WHERE kind = 'resolved'"), 2);
	CHECK_STR(q_text("SELECT idempotency_key FROM outbox WHERE kind = 'resolved'"),
	          "w/*/2025-10-09T08:54:20Z/resolved");
	CHECK_INT(q_int("SELECT count FROM trigger_state"), 2);
	eval(s, cfg, T0 + 320, &res);
	eval(s, cfg, T0 + 400, &res);
	CHECK_INT(q_int("SELECT count(*) FROM outbox"), 4); /* resolved once */
	CHECK_STR(q_text("SELECT state FROM trigger_state"), "ok");
	/* The hits outside every window are gone. */
	CHECK_INT(q_int("SELECT count(*) FROM trigger_hits"), 0);
	store_close(s);
	config_free(cfg);
}

static void test_grouping_and_cursor(void)
{
	struct config *cfg = load("[trigger g]\nthreshold = 2\nwindow = 1m\ngroup_by = account\n"
	                          "notify = n1\n");
	struct trigger_result res;
	struct store *s = NULL;

	fresh_db(&s);
	eval(s, cfg, T0, &res);
	add(s, "NOa1", T0 + 1, 1, SID_A, NULL);
	add(s, "NOb1", T0 + 2, 1, SID_B, NULL);
	add(s, "NOa2", T0 + 3, 1, SID_A, NULL);
	eval(s, cfg, T0 + 5, &res);
	CHECK_INT(res.fired, 1);
	CHECK_STR(q_text("SELECT group_value FROM trigger_state WHERE state = 'firing'"), SID_A);
	CHECK_STR(q_text("SELECT idempotency_key FROM outbox"),
	          "g/" SID_A "/2025-10-09T08:53:25Z/fired");
	/* New alerts are found by rowid: only those after the last evaluation are read. */
	CHECK_INT(q_int("SELECT last_rowid FROM trigger_cursor"),
	          q_int("SELECT max(rowid) FROM alerts"));
	add(s, "NOb2", T0 + 6, 1, SID_B, NULL);
	eval(s, cfg, T0 + 7, &res);
	CHECK_INT(res.fired, 1);
	CHECK_INT(res.rebuilt, 0);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_state WHERE state = 'firing'"), 2);
	/*
	 * The alert the cursor stands on is deleted (by hand here): rowids may now be
	 * reused, so every trigger is rebuilt from the alerts, with the same counts.
	 */
	{
		sqlite3 *db;

		sqlite3_open(db_path, &db);
		sqlite3_exec(db, "DELETE FROM alerts WHERE sid = 'NOb2'", NULL, NULL, NULL);
		sqlite3_close(db);
	}
	add(s, "NOb3", T0 + 8, 1, SID_B, NULL);
	eval(s, cfg, T0 + 9, &res);
	CHECK_INT(res.rebuilt, 1);
	CHECK_INT(res.fired + res.resolved, 0);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_hits"), 4);
	/* A backfill of many rows: read by window instead of row by row, same result. */
	CHECK_INT(store_begin(s), 0);
	for (int i = 0; i < TRIGGER_NEW_ROWS_MAX + 10; i++) {
		char sid[32];

		snprintf(sid, sizeof(sid), "NOold%06d", i);
		add(s, sid, T0 - 7200 - i, 1, SID_A, NULL);
	}
	CHECK_INT(store_commit(s), 0);
	add(s, "NOb4", T0 + 10, 1, SID_B, NULL);
	eval(s, cfg, T0 + 11, &res);
	CHECK_INT(res.rebuilt, 1);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_hits"), 5);
	CHECK_INT(q_int("SELECT count FROM trigger_state WHERE group_value = '" SID_B "'"), 3);
	store_close(s);
	config_free(cfg);
}

static void test_rebuild_and_where(void)
{
	struct config *one = load("[trigger r]\nthreshold = 2\nwindow = 10m\nnotify = n1\n"
	                          "[trigger gone]\nnotify = n1\n");
	struct config *two = load("[trigger r]\nthreshold = 2\nwindow = 10m\nnotify = n1\n"
	                          "where = http_response IS NULL AND request_host = 'x.example'\n");
	struct config *three =
	        load("[trigger r]\nthreshold = 5\nwindow = 10m\nnotify = n2\n"
	             "where = http_response IS NULL AND request_host = 'x.example'\n");
	struct trigger_result res;
	struct store *s = NULL;

	fresh_db(&s);
	add(s, "NO1", T0 - 100, 5, SID_A, "x.example");
	add(s, "NO2", T0 - 50, 5, SID_A, "y.example");
	eval(s, one, T0, &res);
	CHECK_INT(res.rebuilt, 2); /* stored before the trigger existed: still counted */
	CHECK_INT(res.fired, 2);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_hits WHERE trigger_name = 'r'"), 2);
	/* Edited matchers: the hits are rebuilt; the removed trigger's hits go. */
	eval(s, two, T0 + 1, &res);
	CHECK_INT(res.rebuilt, 1);
	CHECK_INT(res.resolved, 1); /* only NO1 matches the `where` now */
	CHECK_INT(q_int("SELECT count(*) FROM trigger_hits WHERE trigger_name = 'r'"), 1);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_hits WHERE trigger_name = 'gone'"), 0);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_defs"), 1);
	/* New alerts reach a `where` trigger too. */
	add(s, "NO3", T0 + 2, 5, SID_B, "x.example");
	eval(s, two, T0 + 3, &res);
	CHECK_INT(res.fired, 1);
	/* Threshold and channels are not part of the fingerprint: no rebuild. */
	eval(s, three, T0 + 4, &res);
	CHECK_INT(res.rebuilt, 0);
	CHECK_INT(res.resolved, 1);
	store_close(s);
	config_free(one);
	config_free(two);
	config_free(three);
}

/*
 * A `where` that fails at run time on one alert (json_extract of text that is
 * not JSON) must not stop the evaluation: that alert does not match, the
 * others do, and the other triggers go on firing.
 */
static void test_where_runtime_error(void)
{
	struct config *cfg =
	        load("[trigger j]\nthreshold = 2\nwindow = 10m\nnotify = n1\n"
	             "where = CASE WHEN sid LIKE 'NOBAD%' THEN json_extract(alert_text, '$.x')"
	             " ELSE 1 END = 1\n"
	             "[trigger p]\nthreshold = 1\nwindow = 10m\nnotify = n1\n");
	struct trigger_result res;
	struct store *s = NULL;

	fresh_db(&s);
	add(s, "NOA1", T0 - 100, 5, SID_A, "x.example");
	add(s, "NOBAD1", T0 - 90, 5, SID_A, "x.example");
	add(s, "NOA3", T0 - 80, 5, SID_A, "x.example");
	/* Rebuild: a scan of the window by date. */
	eval(s, cfg, T0, &res);
	CHECK_INT(res.rebuilt, 2);
	CHECK_INT(res.fired, 2);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_hits WHERE trigger_name = 'j'"), 2);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_hits WHERE trigger_name = 'j'"
	                " AND sid LIKE 'NOBAD%'"),
	          0);
	/* New rows: a scan by rowid. */
	add(s, "NOA4", T0 + 1, 5, SID_A, "x.example");
	add(s, "NOBAD2", T0 + 2, 5, SID_A, "x.example");
	add(s, "NOA5", T0 + 3, 5, SID_A, "x.example");
	eval(s, cfg, T0 + 5, &res);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_hits WHERE trigger_name = 'j'"), 4);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_hits WHERE trigger_name = 'p'"), 6);
	CHECK_INT(q_int("SELECT last_rowid FROM trigger_cursor"),
	          q_int("SELECT max(rowid) FROM alerts"));
	store_close(s);
	config_free(cfg);
}

/*
 * A `where` over its step budget: the scan ends with -ETIME, the evaluation
 * leaves that trigger out (recorded with its reason, no hits, no state) and
 * evaluates the others; the stop flag ends a scan with -EINTR and the whole
 * evaluation changes nothing.
 */
static int count_rows(const struct store_trigger_alert *a, void *arg)
{
	(*(int64_t *)arg)++;
	return 0;
}

static void test_where_budget(void)
{
	struct config *cfg =
	        load("[trigger join]\nthreshold = 1\nwindow = 1d\nnotify = n1\n"
	             "where = (SELECT count(*) FROM alerts AS a, alerts AS b, alerts AS c,"
	             " alerts AS d) > 0\n"
	             "[trigger p]\nthreshold = 1\nwindow = 1d\nnotify = n1\n");
	struct trigger_result res;
	struct store *s = NULL;
	volatile int stop = 0;
	int64_t n = 0;
	char sid[40];

	fresh_db(&s);
	for (int i = 0; i < 200; i++) {
		snprintf(sid, sizeof(sid), "NOJ%d", i);
		add(s, sid, T0 - 1000 + i, 5, SID_A, "x.example");
	}
	CHECK_INT(
	        store_trigger_scan(s, cfg->triggers[0].where, T0 - 86400, 0, true, count_rows, &n),
	        -ETIME);
	CHECK(strstr(store_errmsg(s), "budget") != NULL);
	CHECK_INT(n, 0);
	eval(s, cfg, T0, &res);
	CHECK_INT(res.evaluated, 1);
	CHECK_INT(res.fired, 1);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_hits WHERE trigger_name = 'join'"), 0);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_state WHERE trigger_name = 'join'"), 0);
	CHECK(strstr(q_text("SELECT last_error FROM trigger_defs WHERE trigger_name = 'join'"),
	             "budget of") != NULL);
	CHECK_STR(q_text("SELECT fingerprint FROM trigger_defs WHERE trigger_name = 'join'"), "");
	/* The stop flag, raised before the scan: it ends at the first check. */
	stop = 1;
	store_set_stop(s, &stop);
	CHECK_INT(trigger_evaluate(s, cfg, T0 + 60, &res), -EINTR);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_state WHERE trigger_name = 'p'"), 1);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_cursor WHERE last_rowid ="
	                " (SELECT max(rowid) FROM alerts)"),
	          1);
	store_set_stop(s, NULL);
	store_close(s);
	config_free(cfg);
}

/*
 * A pushed alert is stored with the push's Payload JSON as alert_text and no
 * host; the poll that completes it later is an UPDATE, which the rowid
 * cursor cannot see: the recheck list makes the triggers match it again.
 */
static void test_push_completed_by_poll(void)
{
	struct config *cfg =
	        load("[trigger t]\ntext = httpResponse=502\nrequest_host = *.example\n"
	             "threshold = 2\nnotify = n1\n"
	             "[trigger w]\nwhere = http_response = 502\nthreshold = 2\nnotify = n1\n"
	             "[trigger any]\nthreshold = 2\ngroup_by = request_host\nnotify = n1\n");
	struct trigger_result res;
	struct store *s = NULL;
	struct alert a;

	fresh_db(&s);
	eval(s, cfg, T0, &res);
	for (int i = 0; i < 2; i++) {
		memset(&a, 0, sizeof(a));
		a.sid = i ? "NOpush2" : "NOpush1";
		a.account_sid = SID_A;
		a.has_error_code = true;
		a.error_code = 11200;
		a.log_level = "error";
		a.alert_text = "{\"error_code\":\"11200\",\"more_info\":{}}";
		util_format_time(T0 + 1 + i, a.date_created);
		a.created = T0 + 1 + i;
		a.source = "push";
		CHECK_INT(store_upsert_alert(s, &a, T0 + 1, NULL), 0);
	}
	eval(s, cfg, T0 + 3, &res);
	CHECK_INT(res.fired, 1); /* only `any`, in group "-" (no host yet) */
	CHECK_INT(q_int("SELECT count(*) FROM trigger_recheck"), 2);
	eval(s, cfg, T0 + 4, &res);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_recheck"), 2); /* still incomplete */
	/* The poll brings the API's fields for the same SIDs. */
	add(s, "NOpush1", T0 + 1, 11200, SID_A, "h.example");
	add(s, "NOpush2", T0 + 2, 11200, SID_A, "h.example");
	{
		sqlite3 *db;

		sqlite3_open(db_path, &db);
		sqlite3_exec(db,
		             "UPDATE alerts SET alert_text = 'Msg=x&httpResponse=502',"
		             " http_response = 502 WHERE sid LIKE 'NOpush%'",
		             NULL, NULL, NULL);
		sqlite3_close(db);
	}
	CHECK_STR(q_text("SELECT source FROM alerts WHERE sid = 'NOpush1'"), "push");
	eval(s, cfg, T0 + 5, &res);
	CHECK_INT(res.rebuilt, 0);
	CHECK_INT(res.fired, 3);    /* t and w now match; `any` fires for h.example */
	CHECK_INT(res.resolved, 1); /* and group "-" of `any` is empty */
	CHECK_INT(q_int("SELECT count(*) FROM trigger_recheck"), 0);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_hits WHERE group_value = '-'"), 0);
	store_close(s);
	config_free(cfg);
}

/* The state change and its outbox rows commit together or not at all. */
static void test_outbox_same_transaction(void)
{
	struct config *cfg = load("[trigger x]\nnotify = n1\n");
	struct trigger_result res;
	struct store *s = NULL;
	sqlite3 *db;

	fresh_db(&s);
	eval(s, cfg, T0, &res);
	add(s, "NO1", T0 + 1, 5, SID_A, NULL);
	sqlite3_open(db_path, &db);
	CHECK_INT(sqlite3_exec(db,
	                       "CREATE TRIGGER outbox_fail BEFORE INSERT ON outbox"
	                       " BEGIN SELECT RAISE(ABORT, 'test: outbox full'); END",
	                       NULL, NULL, NULL),
	          SQLITE_OK);
	CHECK(trigger_evaluate(s, cfg, T0 + 2, &res) < 0);
	CHECK(strstr(store_errmsg(s), "outbox full") != NULL);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_state"), 0);
	CHECK_INT(q_int("SELECT last_rowid FROM trigger_cursor"), 0); /* matched again next time */
	sqlite3_exec(db, "DROP TRIGGER outbox_fail", NULL, NULL, NULL);
	sqlite3_close(db);
	eval(s, cfg, T0 + 3, &res);
	CHECK_INT(res.fired, 1);
	CHECK_INT(q_int("SELECT count(*) FROM trigger_state WHERE state = 'firing'"), 1);
	CHECK_INT(q_int("SELECT count(*) FROM outbox"), 1);
	store_close(s);
	config_free(cfg);
}

/* ---- backtest against a brute force replay, second by second ---- */

struct bt_log {
	int64_t at[512];
	int ev[512];
	char group[512][8];
	size_t n;
};

static int log_event(const struct trigger_backtest_event *e, void *arg)
{
	struct bt_log *l = arg;

	if (l->n < ARRAY_SIZE(l->at)) {
		l->at[l->n] = e->at;
		l->ev[l->n] = e->ev;
		snprintf(l->group[l->n], sizeof(l->group[0]), "%s", e->group);
		l->n++;
	}
	return 0;
}

static void test_backtest(void)
{
	struct config *cfg = load("[trigger b]\nthreshold = 3\nwindow = 2m\nfor = 30s\n"
	                          "repeat = 5m\ngroup_by = error_code\nnotify = n1\n");
	enum { SPAN = 6 * 3600, N = 400 };
	static int64_t times[N], codes[N];
	struct trigger_compiled c;
	struct bt_log got = {0}, want = {0};
	struct store *s = NULL;
	int64_t from = T0, to = T0 + SPAN, firing = 0, matched = 0;
	uint64_t x = 12345;

	fresh_db(&s);
	/* Bursts and quiet stretches, two codes; some alerts before @from. */
	for (int i = 0; i < N; i++) {
		char sid[16];

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		times[i] = from - 120 + (int64_t)((x >> 33) % (SPAN + 120));
		if ((x >> 20) % 4 == 0)
			times[i] = from + 3600 + (int64_t)((x >> 40) % 600); /* a burst */
		codes[i] = (x >> 10) % 2 ? 11200 : 11205;
		snprintf(sid, sizeof(sid), "NO%04d", i);
		add(s, sid, times[i], codes[i], SID_A, NULL);
	}
	CHECK_INT(trigger_compile(cfg, &cfg->triggers[0], &c), 0);
	CHECK_INT(trigger_backtest(s, &c, from, to, log_event, &got, &firing, &matched), 0);
	CHECK_INT(matched, N);
	/* The same rules, evaluated at every second, group by group. */
	for (int gi = 0; gi < 2; gi++) {
		int64_t code = gi ? 11205 : 11200;
		struct store_trigger_state st = {.state = STORE_TRIGGER_OK};

		for (int64_t t = from; t <= to; t++) {
			int64_t n = 0;
			enum trigger_event ev;

			for (int i = 0; i < N; i++)
				n += codes[i] == code && times[i] > t - 120 && times[i] <= t;
			ev = trigger_step(c.t, &st, n, t);
			if (ev && want.n < ARRAY_SIZE(want.at)) {
				want.at[want.n] = t;
				want.ev[want.n] = ev;
				snprintf(want.group[want.n], 8, "%lld", (long long)code);
				want.n++;
			}
		}
	}
	CHECK(want.n > 4);
	CHECK_INT(got.n, want.n);
	for (size_t i = 0; i < want.n; i++) {
		size_t j = 0;

		while (j < got.n && !(got.at[j] == want.at[i] && got.ev[j] == want.ev[i] &&
		                      strcmp(got.group[j], want.group[i]) == 0))
			j++;
		CHECK(j < got.n);
	}
	for (size_t i = 1; i < got.n; i++)
		CHECK(got.at[i - 1] <= got.at[i]);
	trigger_compiled_finish(&c);
	store_close(s);
	config_free(cfg);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(db_path, sizeof(db_path), "%s/alerts.db", dir);
	test_step_threshold_and_resolve();
	test_step_for();
	test_step_repeat();
	test_match_and_group();
	test_where_check();
	test_cut_text_stays_utf8();
	test_fires_once_resolves_once();
	test_grouping_and_cursor();
	test_rebuild_and_where();
	test_where_runtime_error();
	test_where_budget();
	test_outbox_same_transaction();
	test_push_completed_by_poll();
	test_backtest();
	if (!getenv("KEEP_TEST_DIRS")) {
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return test_done();
}

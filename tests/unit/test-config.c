// SPDX-License-Identifier: MIT
/*
 * Unit tests for config.c: temporary configuration and secret files under
 * /tmp, loaded with config_load; every problem is checked for its FILE:LINE
 * and a key phrase, and no problem line may ever carry a secret value.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/config.h"
#include "test.h"

#define SID1 "AC0123456789abcdef0123456789abcdef"
#define SID2 "ACfedcba9876543210fedcba9876543210"
#define KEY "SK00112233445566778899aabbccddeeff"
#define TOKEN "f00dfacecafebeef0123456789abcd01"
#define KEY_SECRET "keysecret-7b1f3c9e0d2a4b6c8e0f1a2b"
#define INLINE_TOKEN "inlinetoken-5e6f7a8b9c0d1e2f3a4b5c6d"
#define INLINE_SECRET "inlinesecret-0a1b2c3d4e5f60718293a4b5"
#define SMTP_PASS "smtp-password-9f8e7d6c5b4a"
#define HOOK_SECRET "hook-secret-1a2b3c4d5e6f"

static char dir[] = "/tmp/test-config-XXXXXX";
static char tok[300], keysec[300], smtp_pass[300], hook_sec[300];
static int n_conf;

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void make_secret(char *path, size_t size, const char *name, const char *text, mode_t mode)
{
	snprintf(path, size, "%s/%s", dir, name);
	write_file(path, text, mode);
}

/* No problem line may contain any secret this test ever writes. */
static bool no_secret(const struct config_problems *p)
{
	static const char *const secrets[] = {TOKEN,         KEY_SECRET, INLINE_TOKEN,
	                                      INLINE_SECRET, SMTP_PASS,  HOOK_SECRET};

	for (size_t i = 0; i < p->n; i++)
		for (size_t j = 0; j < sizeof(secrets) / sizeof(secrets[0]); j++)
			if (strstr(p->lines[i], secrets[j]))
				return false;
	return true;
}

/* Write a configuration (printf-style) with @mode and load it. */
__attribute__((format(printf, 5, 6))) static int
load(char *path, struct config **cfg, struct config_problems *p, mode_t mode, const char *fmt, ...);

static int load(char *path, struct config **cfg, struct config_problems *p, mode_t mode,
                const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0)
		exit(1);
	snprintf(path, 300, "%s/c%d.conf", dir, ++n_conf);
	write_file(path, text, mode);
	free(text);
	*cfg = NULL;
	r = config_load(path, cfg, p);
	CHECK(no_secret(p));
	return r;
}

static bool has_problem(const struct config_problems *p, const char *path, int line,
                        const char *phrase)
{
	char prefix[400];

	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", path);
	for (size_t i = 0; i < p->n; i++)
		if (strncmp(p->lines[i], prefix, strlen(prefix)) == 0 &&
		    strstr(p->lines[i], phrase))
			return true;
	fprintf(stderr, "no problem '%s%s' among:\n", prefix, phrase);
	for (size_t i = 0; i < p->n; i++)
		fprintf(stderr, "  %s\n", p->lines[i]);
	return false;
}

/* Load a file that must fail with a problem at @line containing @phrase. */
#define EXPECT(line, phrase, ...)                                                                  \
	do {                                                                                       \
		struct config_problems p_ = {0};                                                   \
		struct config *c_;                                                                 \
		char path_[300];                                                                   \
		CHECK_INT(load(path_, &c_, &p_, 0644, __VA_ARGS__), -EINVAL);                      \
		CHECK(c_ == NULL);                                                                 \
		CHECK(has_problem(&p_, path_, line, phrase));                                      \
		config_problems_finish(&p_);                                                       \
	} while (0)

/* Lines 1-3: a valid account. */
#define ACCOUNT "[account a]\naccount_sid = " SID1 "\nauth_token_file = %s\n"

static void test_full(void)
{
	struct config_problems p = {0};
	struct config *cfg;
	const struct config_account *a;
	const struct config_trigger *t;
	const struct config_notify *n;
	char path[300];
	int r;

	r = load(path, &cfg, &p, 0600,
	         "[agent]\n"
	         "database = /tmp/x/alerts.db\n"
	         "interval = 2m\n"
	         "retention = 7d\n"
	         "overlap = 15m\n"
	         "listen = [::1]:9000\n"
	         "http_timeout = 45s\n"
	         "max_retries = 7\n"
	         "\n"
	         "[account main]\n" /* line 10 */
	         "account_sid = " SID1 "\n"
	         "auth_token_file = %s\n"
	         "api_base = https://monitor.example.com/\n"
	         "log_level = error\n"
	         "fetch_details = yes\n"
	         "[account sub]\n"
	         "account_sid = " SID2 "\n"
	         "api_key_sid = " KEY "\n"
	         "api_key_secret_file = %s\n"
	         "api_base = http://127.0.0.1:8080\n"
	         "[account inline]\n"
	         "account_sid = " SID2 "\n"
	         "auth_token = " INLINE_TOKEN "\n" /* line 23 */
	         "[account inline-key]\n"
	         "account_sid = " SID1 "\n"
	         "api_key_sid = " KEY "\n"
	         "api_key_secret = " INLINE_SECRET "\n"
	         "api_base = http://localhost:1234\n"
	         "[trigger everything]\n"
	         "error_code = 11200, 11205\n"
	         "log_level = warning\n"
	         "account = main, sub\n"
	         "text = ^Got HTTP (4|5)[0-9]{2}\n"
	         "request_host = *.example.com\n"
	         "where = error_code > 11000\n"
	         "threshold = 3\n"
	         "window = 15m\n"
	         "group_by = resource_sid\n"
	         "for = 2m\n"
	         "repeat = 1h\n"
	         "resolve = no\n"
	         "severity = critical\n"
	         "notify = mail, hook, pager, log\n"
	         "[notify mail]\n"
	         "type = email\n"
	         "url = smtp://localhost:587\n"
	         "starttls = optional\n"
	         "from = alertd@example.com\n"
	         "to = a@example.com, b@example.com\n"
	         "cc = c@example.com\n"
	         "username = alertd\n"
	         "password_file = %s\n"
	         "timeout = 20s\n"
	         "[notify mail2]\n"
	         "type = email\n"
	         "sendmail = /usr/sbin/sendmail\n"
	         "from = x@example.com\n"
	         "to = y@example.com\n"
	         "[notify hook]\n"
	         "type = webhook\n"
	         "url = https://hooks.example.com/alertd\n"
	         "secret_file = %s\n"
	         "timeout = 5s\n"
	         "[notify pager]\n"
	         "type = exec\n"
	         "command = /usr/local/bin/page-oncall  --team\ttwilio\n"
	         "timeout = 1m\n"
	         "[notify log]\n"
	         "type = syslog\n"
	         "facility = local3\n"
	         "ident = alertd-test\n",
	         tok, keysec, smtp_pass, hook_sec);
	CHECK_INT(r, 0);
	CHECK_INT(p.n, 0);
	if (r < 0)
		goto out;
	CHECK_STR(cfg->path, path);
	CHECK_STR(cfg->database, "/tmp/x/alerts.db");
	CHECK_INT(cfg->interval, 120);
	CHECK_INT(cfg->retention, 7 * 86400);
	CHECK_INT(cfg->overlap, 900);
	CHECK_STR(cfg->listen, "[::1]:9000");
	CHECK_INT(cfg->http_timeout, 45);
	CHECK_INT(cfg->max_retries, 7);

	CHECK_INT(cfg->n_accounts, 4);
	a = config_find_account(cfg, "main");
	CHECK(a != NULL);
	if (a) {
		CHECK_STR(a->account_sid, SID1);
		CHECK_STR(a->username, SID1);
		CHECK_STR(a->secret, TOKEN);
		CHECK(strncmp(a->secret_source, "file ", 5) == 0 && strstr(a->secret_source, tok));
		CHECK_STR(a->api_base, "https://monitor.example.com");
		CHECK_STR(a->log_level, "error");
		CHECK(a->fetch_details);
		CHECK_INT(a->line, 10);
	}
	a = config_find_account(cfg, "sub");
	CHECK(a != NULL);
	if (a) {
		CHECK_STR(a->account_sid, SID2);
		CHECK_STR(a->username, KEY);
		CHECK_STR(a->secret, KEY_SECRET);
		CHECK_STR(a->api_base, "http://127.0.0.1:8080");
		CHECK(a->log_level == NULL);
		CHECK(!a->fetch_details);
	}
	a = config_find_account(cfg, "inline");
	CHECK(a != NULL);
	if (a) {
		char want[400];

		snprintf(want, sizeof(want), "auth_token in %s:23", path);
		CHECK_STR(a->secret, INLINE_TOKEN);
		CHECK_STR(a->secret_source, want);
		CHECK_STR(a->username, SID2);
		CHECK_STR(a->api_base, "https://monitor.twilio.com");
	}
	a = config_find_account(cfg, "inline-key");
	CHECK(a != NULL);
	if (a) {
		CHECK_STR(a->username, KEY);
		CHECK_STR(a->secret, INLINE_SECRET);
	}
	CHECK(config_find_account(cfg, "nope") == NULL);

	CHECK_INT(cfg->n_triggers, 1);
	t = &cfg->triggers[0];
	CHECK_STR(t->name, "everything");
	CHECK_INT(t->n_error_codes, 2);
	if (t->n_error_codes == 2) {
		CHECK_INT(t->error_codes[0], 11200);
		CHECK_INT(t->error_codes[1], 11205);
	}
	CHECK_STR(t->log_level, "warning");
	CHECK_INT(t->n_accounts, 2);
	if (t->n_accounts == 2) {
		CHECK_STR(t->accounts[0], "main");
		CHECK_STR(t->accounts[1], "sub");
	}
	CHECK_STR(t->text, "^Got HTTP (4|5)[0-9]{2}");
	CHECK_STR(t->request_host, "*.example.com");
	CHECK_STR(t->where, "error_code > 11000");
	CHECK_INT(t->threshold, 3);
	CHECK_INT(t->window, 900);
	CHECK_INT(t->group_by, CONFIG_GROUP_RESOURCE_SID);
	CHECK_INT(t->for_, 120);
	CHECK_INT(t->repeat, 3600);
	CHECK(!t->resolve);
	CHECK_INT(t->severity, CONFIG_SEVERITY_CRITICAL);
	CHECK_INT(t->n_notify, 4);
	if (t->n_notify == 4)
		CHECK_STR(t->notify[3], "log");

	CHECK_INT(cfg->n_notifies, 5);
	if (cfg->n_notifies != 5)
		goto out;
	n = &cfg->notifies[0];
	CHECK_STR(n->name, "mail");
	CHECK_INT(n->type, CONFIG_NOTIFY_EMAIL);
	CHECK_STR(n->url, "smtp://localhost:587");
	CHECK_INT(n->starttls, CONFIG_STARTTLS_OPTIONAL);
	CHECK_STR(n->from, "alertd@example.com");
	CHECK_INT(n->n_to, 2);
	if (n->n_to == 2)
		CHECK_STR(n->to[1], "b@example.com");
	CHECK_INT(n->n_cc, 1);
	if (n->n_cc == 1)
		CHECK_STR(n->cc[0], "c@example.com");
	CHECK_STR(n->username, "alertd");
	CHECK_STR(n->password, SMTP_PASS);
	CHECK_INT(n->timeout, 20);
	n = &cfg->notifies[1];
	CHECK_STR(n->sendmail, "/usr/sbin/sendmail");
	CHECK(n->url == NULL);
	CHECK_INT(n->timeout, 10);
	n = &cfg->notifies[2];
	CHECK_INT(n->type, CONFIG_NOTIFY_WEBHOOK);
	CHECK_STR(n->url, "https://hooks.example.com/alertd");
	CHECK_STR(n->secret, HOOK_SECRET);
	CHECK_INT(n->timeout, 5);
	n = &cfg->notifies[3];
	CHECK_INT(n->type, CONFIG_NOTIFY_EXEC);
	CHECK(n->argv != NULL);
	if (n->argv) {
		CHECK_STR(n->argv[0], "/usr/local/bin/page-oncall");
		CHECK_STR(n->argv[1], "--team");
		CHECK_STR(n->argv[2], "twilio");
		CHECK(n->argv[3] == NULL);
	}
	CHECK_INT(n->timeout, 60);
	n = &cfg->notifies[4];
	CHECK_INT(n->type, CONFIG_NOTIFY_SYSLOG);
	CHECK_STR(n->facility, "local3");
	CHECK_STR(n->ident, "alertd-test");
out:
	config_free(cfg);
	config_problems_finish(&p);
}

/* DESIGN.md's own example blocks, inline '#' comments included. */
static void test_design_example(void)
{
	struct config_problems p = {0};
	struct config *cfg;
	char path[300];
	int r;

	r = load(path, &cfg, &p, 0644,
	         "[agent]\n"
	         "database  = %s/alerts.db\n"
	         "interval  = 60s          # daemon poll period (jittered)\n"
	         "retention = 30d          # alerts older than this (by date_created) are deleted\n"
	         "overlap   = 10m          # look-back re-queried each poll for late alerts\n"
	         "listen    = 127.0.0.1:8790   # status page; empty = off\n"
	         "\n"
	         "[account main]           # one section per monitored (sub)account\n"
	         "account_sid     = " SID1 "\n"
	         "auth_token_file = %s   # or auth_token, or api_key_sid + api_key_secret(_file)\n"
	         "api_base        = https://monitor.twilio.com      # region/edge host, or a "
	         "simulator\n"
	         "log_level       =        # optional LogLevel filter\n"
	         "fetch_details   = no     # yes: fetch each new alert for request/response data\n"
	         "\n"
	         "[trigger webhook-failures]\n"
	         "error_code = 11200, 11205    # and/or log_level = error, text = REGEX, account = "
	         "NAME\n"
	         "threshold  = 10\n"
	         "window     = 5m\n"
	         "group_by   =                 # optional: error_code | account | request_host\n"
	         "repeat     = 1h              # re-notify while still firing; 0 = never\n"
	         "notify     = ops-mail, local-syslog\n"
	         "\n"
	         "[notify ops-mail]            # a channel\n"
	         "type     = exec          # syslog | email | exec | webhook\n"
	         "command  = /usr/local/bin/page-oncall --team twilio   # exec: argv split on "
	         "spaces, no shell\n"
	         "timeout  = 10s           # exec, email, webhook\n"
	         "# email:   url = smtp://host:587 | smtps://host:465, starttls = "
	         "required|optional|no,\n"
	         "#          from, to (comma list), username, password_file   (or sendmail = "
	         "/usr/sbin/sendmail)\n"
	         "# webhook: url, secret_file (HMAC-SHA256 of the body, hex, in "
	         "X-Alertd-Signature)\n"
	         "# syslog:  facility = daemon|local0..local7|user, ident = twilio-alertd\n"
	         "\n"
	         "[notify local-syslog]\n"
	         "type = syslog\n",
	         dir, tok);
	CHECK_INT(r, 0);
	CHECK_INT(p.n, 0);
	if (r < 0)
		goto out;
	CHECK_INT(cfg->interval, 60);
	CHECK_INT(cfg->retention, 30 * 86400);
	CHECK_INT(cfg->overlap, 600);
	CHECK_STR(cfg->listen, "127.0.0.1:8790");
	CHECK_STR(cfg->accounts[0].secret, TOKEN);
	CHECK_STR(cfg->accounts[0].api_base, "https://monitor.twilio.com");
	CHECK(cfg->accounts[0].log_level == NULL);
	CHECK(!cfg->accounts[0].fetch_details);
	CHECK_INT(cfg->triggers[0].n_error_codes, 2);
	CHECK_INT(cfg->triggers[0].threshold, 10);
	CHECK_INT(cfg->triggers[0].window, 300);
	CHECK_INT(cfg->triggers[0].group_by, CONFIG_GROUP_NONE);
	CHECK_INT(cfg->triggers[0].repeat, 3600);
	CHECK_INT(cfg->triggers[0].n_notify, 2);
	CHECK_STR(cfg->notifies[0].argv[2], "twilio");
	CHECK(cfg->notifies[0].argv[3] == NULL);
	CHECK_INT(cfg->notifies[0].timeout, 10);
out:
	config_free(cfg);
	config_problems_finish(&p);
}

static void test_defaults(void)
{
	struct config_problems p = {0};
	struct config *cfg;
	char path[300];
	int r;

	r = load(path, &cfg, &p, 0644,
	         ACCOUNT "[trigger t]\nnotify = n\n[notify n]\ntype = syslog\n[notify e]\n"
	                 "type = email\nurl = smtps://mail.example.com\nfrom = a@b\nto = c@d\n"
	                 "[agent]\nlisten =\n",
	         tok);
	CHECK_INT(r, 0);
	if (r < 0)
		goto out;
	CHECK_STR(cfg->database, CONFIG_DEFAULT_DATABASE);
	CHECK_INT(cfg->interval, 60);
	CHECK_INT(cfg->retention, 30 * 86400);
	CHECK_INT(cfg->overlap, 600);
	CHECK(cfg->listen == NULL);
	CHECK_INT(cfg->http_timeout, 30);
	CHECK_INT(cfg->max_retries, 5);
	CHECK_STR(cfg->accounts[0].api_base, CONFIG_DEFAULT_API_BASE);
	CHECK(!cfg->accounts[0].fetch_details);
	CHECK_INT(cfg->accounts[0].line, 1);
	CHECK_INT(cfg->triggers[0].threshold, 1);
	CHECK_INT(cfg->triggers[0].window, 300);
	CHECK_INT(cfg->triggers[0].group_by, CONFIG_GROUP_NONE);
	CHECK_INT(cfg->triggers[0].for_, 0);
	CHECK_INT(cfg->triggers[0].repeat, 0);
	CHECK(cfg->triggers[0].resolve);
	CHECK_INT(cfg->triggers[0].severity, CONFIG_SEVERITY_WARNING);
	CHECK_INT(cfg->triggers[0].n_error_codes, 0);
	CHECK_INT(cfg->triggers[0].n_accounts, 0);
	CHECK_INT(cfg->triggers[0].line, 4);
	CHECK_STR(cfg->notifies[0].facility, "daemon");
	CHECK_STR(cfg->notifies[0].ident, "twilio-alertd");
	CHECK_INT(cfg->notifies[1].timeout, 10);
	CHECK_INT(cfg->notifies[1].starttls, CONFIG_STARTTLS_REQUIRED);
out:
	config_free(cfg);
	config_problems_finish(&p);

	/* Only an [account]: the rest is all defaults, listen included. */
	r = load(path, &cfg, &p, 0644, ACCOUNT, tok);
	CHECK_INT(r, 0);
	if (r == 0)
		CHECK_STR(cfg->listen, CONFIG_DEFAULT_LISTEN);
	config_free(cfg);
	config_problems_finish(&p);
}

static void test_problems(void)
{
	char bad[300], empty[300];

	/* Syntax and structure. */
	EXPECT(5, "unknown key 'foo' in [agent]", ACCOUNT "[agent]\nfoo = 1\n", tok);
	EXPECT(5, "unknown key 'colour' in [account b]", ACCOUNT "[account b]\ncolour = red\n",
	       tok);
	EXPECT(4, "unknown section [bogus x]", ACCOUNT "[bogus x]\nkey = 1\n", tok);
	EXPECT(4, "unknown section [accounts", ACCOUNT "[accounts b]\n", tok);
	EXPECT(4, "needs a name", ACCOUNT "[notify]\ntype = syslog\n", tok);
	EXPECT(4, "[agent] takes no name", ACCOUNT "[agent main]\n", tok);
	EXPECT(5, "duplicate section [account a] (first on line 1)",
	       ACCOUNT "\n[account a]\naccount_sid = " SID1 "\n", tok);
	EXPECT(5, "duplicate section [agent]", "[agent]\n" ACCOUNT "[agent]\n", tok);
	EXPECT(4, "duplicate key 'account_sid' in [account a] (first on line 2)",
	       ACCOUNT "account_sid = " SID2 "\n", tok);
	EXPECT(4, "expected 'key = value'", ACCOUNT "just some words\n", tok);
	EXPECT(4, "[kind NAME], alone", ACCOUNT "[agent\n", tok);
	EXPECT(1, "before any [section]", "interval = 10s\n" ACCOUNT, tok);
	/* No account yet (the installed default) loads: check-config warns, once/run refuse. */
	{
		struct config_problems p0 = {0};
		struct config *c0 = NULL;
		char path0[300];

		CHECK_INT(load(path0, &c0, &p0, 0640, "[agent]\ninterval = 10m\n"), 0);
		CHECK(c0 && c0->n_accounts == 0 && c0->interval == 600);
		config_free(c0);
		CHECK_INT(load(path0, &c0, &p0, 0640, "# nothing but a comment\n"), 0);
		CHECK(c0 && c0->n_accounts == 0);
		config_free(c0);
		CHECK_INT(p0.n, 0);
		config_problems_finish(&p0);
	}

	/* Line too long: reported, not split into two lines. */
	{
		char longline[400];

		memset(longline, 'x', sizeof(longline));
		memcpy(longline, "where = ", 8);
		longline[sizeof(longline) - 1] = '\0';
		EXPECT(5, "line too long",
		       ACCOUNT "[trigger t]\n%s\nnotify = n\n[notify n]\n"
		               "type = syslog\n",
		       tok, longline);
	}

	/* Values. */
	EXPECT(5, "interval '5x' is not a duration", ACCOUNT "[agent]\ninterval = 5x\n", tok);
	/* Unbounded, interval * 1000 (the run loop's milliseconds) overflowed. */
	EXPECT(5, "interval 100000000000000d is more than the maximum 1d",
	       ACCOUNT "[agent]\ninterval = 100000000000000d\n", tok);
	EXPECT(5, "interval 5s is less than the minimum 10s", ACCOUNT "[agent]\ninterval = 5s\n",
	       tok);
	EXPECT(6, "30 days", ACCOUNT "[agent]\n\nretention = 31d\n", tok);
	EXPECT(5, "retention 1h is less than the minimum 1d", ACCOUNT "[agent]\nretention = 1h\n",
	       tok);
	EXPECT(6, "overlap 2d is longer than retention (1d)",
	       ACCOUNT "[agent]\nretention = 1d\noverlap = 2d\n", tok);
	EXPECT(5, "max_retries 21 is more than the maximum 20",
	       ACCOUNT "[agent]\nmax_retries = 21\n", tok);
	EXPECT(5, "http_timeout", ACCOUNT "[agent]\nhttp_timeout = 11m\n", tok);
	EXPECT(5, "listen '127.0.0.1' is not HOST:PORT", ACCOUNT "[agent]\nlisten = 127.0.0.1\n",
	       tok);
	EXPECT(5, "listen", ACCOUNT "[agent]\nlisten = 127.0.0.1:70000\n", tok);
	EXPECT(5, "listen", ACCOUNT "[agent]\nlisten = ::1:8790\n", tok);
	EXPECT(2, "account_sid is not an account SID",
	       "[account a]\naccount_sid = AC123\n"
	       "auth_token_file = %s\n",
	       tok);
	EXPECT(4, "log_level 'fatal' is not one of error|warning|notice|debug",
	       ACCOUNT "log_level = fatal\n", tok);
	EXPECT(4, "fetch_details 'maybe' is not yes or no", ACCOUNT "fetch_details = maybe\n", tok);

	/* Credentials. */
	EXPECT(5, "more than one credential",
	       ACCOUNT "api_key_sid = " KEY "\napi_key_secret_file = %s\n", tok, keysec);
	EXPECT(4, "more than one credential", ACCOUNT "auth_token = " INLINE_TOKEN "\n", tok);
	EXPECT(1, "[account a] has no credential", "[account a]\naccount_sid = " SID1 "\n");
	EXPECT(1, "needs account_sid", "[account a]\nauth_token_file = %s\n", tok);
	EXPECT(3, "api_key_sid needs api_key_secret_file",
	       "[account a]\naccount_sid = " SID1 "\napi_key_sid = " KEY "\n");
	EXPECT(3, "api_key_sid is not an API key SID",
	       "[account a]\naccount_sid = " SID1 "\napi_key_sid = SKxyz\n"
	       "api_key_secret_file = %s\n",
	       keysec);
	EXPECT(4, "in clear", ACCOUNT "api_base = http://monitor.example.com\n", tok);
	EXPECT(4, "in clear", ACCOUNT "api_base = http://10.0.0.1:8080\n", tok);
	EXPECT(4, "api_base must start with https://", ACCOUNT "api_base = ftp://x\n", tok);
	EXPECT(4, "without '@', '?', '#'", ACCOUNT "api_base = https://m.example.com/?x=1\n", tok);
	EXPECT(4, "without '@', '?', '#'", ACCOUNT "api_base = https://m.example.com#f\n", tok);
	make_secret(bad, sizeof(bad), "bad.token", TOKEN "\n", 0644);
	{
		char want[400];

		snprintf(want, sizeof(want),
		         "auth_token_file %s is readable by others (mode 0644); "
		         "chmod 600 or 640",
		         bad);
		EXPECT(3, want, "[account a]\naccount_sid = " SID1 "\nauth_token_file = %s\n", bad);
	}
	make_secret(bad, sizeof(bad), "bad2.token", TOKEN "\n", 0602);
	EXPECT(3, "is writable by others (mode 0602)", ACCOUNT, bad);
	snprintf(bad, sizeof(bad), "%s/missing.token", dir);
	EXPECT(3, "No such file or directory", ACCOUNT, bad);
	make_secret(empty, sizeof(empty), "empty.token", " \n\n", 0600);
	EXPECT(3, "is empty", ACCOUNT, empty);
	/* An inline token in a configuration file others can read is refused. */
	EXPECT(3, "auth_token is written in",
	       "[account a]\naccount_sid = " SID1 "\nauth_token = " INLINE_TOKEN "\n");
	/* A token pasted where a SID belongs is not echoed either. */
	EXPECT(2, "account_sid is not",
	       "[account a]\naccount_sid = " TOKEN "\nauth_token_file = %s\n", tok);

	/* parent_account names another [account] section. */
	EXPECT(4, "unknown account 'p' (no [account p])", ACCOUNT "parent_account = p\n", tok);
	EXPECT(4, "parent_account names this section itself", ACCOUNT "parent_account = a\n", tok);
	{
		struct config_problems p0 = {0};
		struct config *c0 = NULL;
		char path0[300];

		CHECK_INT(load(path0, &c0, &p0, 0640,
		               "[account a]\naccount_sid = " SID1 "\nauth_token_file = %s\n"
		               "[account b]\naccount_sid = " SID2 "\nauth_token_file = %s\n"
		               "parent_account = a\n",
		               tok, tok),
		          0);
		CHECK(c0 && c0->n_accounts == 2 && !c0->accounts[0].parent_account);
		CHECK(c0 && c0->accounts[1].parent_account &&
		      strcmp(c0->accounts[1].parent_account, "a") == 0);
		config_free(c0);
		config_problems_finish(&p0);
	}

	/* Triggers. */
	EXPECT(5, "unknown notify 'nope' (no [notify nope])",
	       ACCOUNT "[trigger t]\nnotify = nope\n", tok);
	EXPECT(4, "[trigger t] needs notify", ACCOUNT "[trigger t]\nthreshold = 2\n", tok);
	EXPECT(5, "unknown account 'b'",
	       ACCOUNT "[trigger t]\naccount = a, b\nnotify = n\n"
	               "[notify n]\ntype = syslog\n",
	       tok);
	EXPECT(5, "text is not a valid extended regular expression",
	       ACCOUNT "[trigger t]\ntext = (unclosed\nnotify = n\n[notify n]\ntype = syslog\n",
	       tok);
	EXPECT(5, "error_code 'abc' is not an error code",
	       ACCOUNT
	       "[trigger t]\nerror_code = 11200, abc\nnotify = n\n[notify n]\ntype = syslog\n",
	       tok);
	EXPECT(5, "threshold 0 is less than the minimum 1",
	       ACCOUNT "[trigger t]\nthreshold = 0\nnotify = n\n[notify n]\ntype = syslog\n", tok);
	EXPECT(7, "window 30d is longer than retention (7d)",
	       "[agent]\nretention = 7d\n" ACCOUNT "[trigger t]\nwindow = 30d\nnotify = n\n"
	       "[notify n]\ntype = syslog\n",
	       tok);
	EXPECT(5, "window 30s is less than the minimum 1m",
	       ACCOUNT "[trigger t]\nwindow = 30s\nnotify = n\n[notify n]\ntype = syslog\n", tok);
	EXPECT(5, "group_by 'host' is not one of error_code|account|request_host|resource_sid",
	       ACCOUNT "[trigger t]\ngroup_by = host\nnotify = n\n[notify n]\ntype = syslog\n",
	       tok);
	EXPECT(5, "notify has an empty item",
	       ACCOUNT "[trigger t]\nnotify = n,,\n[notify n]\ntype = syslog\n", tok);

	/* Notification channels. */
	EXPECT(6, "key 'command' is not valid for type = syslog",
	       ACCOUNT "[notify n]\ntype = syslog\ncommand = /bin/true\n", tok);
	EXPECT(6, "key 'facility' is not valid for type = exec",
	       ACCOUNT "[notify n]\ncommand = /bin/true\nfacility = user\ntype = exec\n", tok);
	EXPECT(4, "[notify n] needs type", ACCOUNT "[notify n]\n", tok);
	EXPECT(5, "type 'pager' is not one of syslog|email|exec|webhook",
	       ACCOUNT "[notify n]\ntype = pager\n", tok);
	EXPECT(4, "[notify n] needs command", ACCOUNT "[notify n]\ntype = exec\n", tok);
	EXPECT(6, "command must start with an absolute path",
	       ACCOUNT "[notify n]\ntype = exec\ncommand = page-oncall --now\n", tok);
	EXPECT(6, "not both",
	       ACCOUNT "[notify n]\ntype = email\nurl = smtp://h\n"
	               "sendmail = /usr/sbin/sendmail\nfrom = a@b\nto = c@d\n",
	       tok);
	EXPECT(4, "not neither", ACCOUNT "[notify n]\ntype = email\nfrom = a@b\nto = c@d\n", tok);
	EXPECT(6, "url must start with smtp:// or smtps://",
	       ACCOUNT "[notify n]\ntype = email\nurl = http://h\n"
	               "from = a@b\nto = c@d\n",
	       tok);
	EXPECT(7, "starttls applies only to url = smtp://",
	       ACCOUNT "[notify n]\ntype = email\n"
	               "url = smtps://h\nstarttls = no\nfrom = a@b\nto = c@d\n",
	       tok);
	EXPECT(4, "[notify n] needs to",
	       ACCOUNT "[notify n]\ntype = email\nurl = smtp://h\n"
	               "from = a@b\n",
	       tok);
	EXPECT(9, "username and password_file go together",
	       ACCOUNT "[notify n]\ntype = email\n"
	               "url = smtp://h\nfrom = a@b\nto = c@d\nusername = me\n",
	       tok);
	/* A password over smtp:// without STARTTLS required could travel in clear. */
	EXPECT(7,
	       "username with starttls = no could send the password in clear to h; use "
	       "starttls = required, or url = smtps://",
	       ACCOUNT "[notify n]\ntype = email\nurl = smtp://h:587\nstarttls = no\nfrom = a@b\n"
	               "to = c@d\nusername = me\npassword_file = %s\n",
	       tok, tok);
	EXPECT(7, "username with starttls = optional could send the password in clear",
	       ACCOUNT "[notify n]\ntype = email\nurl = smtp://h:587\nstarttls = optional\n"
	               "from = a@b\nto = c@d\nusername = me\npassword_file = %s\n",
	       tok, tok);
	/* Durations need their unit; only 0 goes without. */
	EXPECT(2, "interval 60 has no unit: write 60s (seconds), 60m, 60h or 60d",
	       "[agent]\ninterval = 60\n" ACCOUNT, tok);
	EXPECT(5, "window 300 has no unit",
	       ACCOUNT "[trigger t]\nwindow = 300\nnotify = n\n"
	               "[notify n]\ntype = syslog\n",
	       tok);
	EXPECT(7, "timeout 5 has no unit",
	       ACCOUNT "[notify n]\ntype = exec\ncommand = /bin/true\ntimeout = 5\n", tok);
	EXPECT(4, "[notify n] needs secret_file",
	       ACCOUNT "[notify n]\ntype = webhook\n"
	               "url = https://h/x\n",
	       tok);
	EXPECT(7, "secret_file",
	       ACCOUNT "[notify n]\ntype = webhook\nurl = https://h/x\n"
	               "secret_file = %s\n",
	       tok, bad);
	EXPECT(7, "timeout 0s is less than the minimum 1s",
	       ACCOUNT "[notify n]\ntype = exec\ncommand = /bin/true\ntimeout = 0s\n", tok);
	EXPECT(5, "facility 'kern' is not one of",
	       ACCOUNT "[notify n]\nfacility = kern\n"
	               "type = syslog\n",
	       tok);
}

static void test_several_problems(void)
{
	struct config_problems p = {0};
	struct config *cfg;
	char path[300];

	CHECK_INT(load(path, &cfg, &p, 0644,
	               "[agent]\n"
	               "interval = soon\n" /* 2 */
	               "colour = blue\n"   /* 3 */
	               "[account a]\n"     /* 4 */
	               "account_sid = " SID1 "\n"
	               "auth_token = " INLINE_TOKEN "\n" /* 6: file mode 0644 */
	               "api_base = http://example.com\n" /* 7 */
	               "[trigger t]\n"
	               "notify = ghost\n" /* 9 */
	               "[weird]\n"        /* 10 */
	               "[notify n]\n"
	               "type = syslog\n"
	               "url = https://x\n"), /* 13 */
	          -EINVAL);
	CHECK(cfg == NULL);
	CHECK(has_problem(&p, path, 2, "interval 'soon'"));
	CHECK(has_problem(&p, path, 3, "unknown key 'colour'"));
	CHECK(has_problem(&p, path, 6, "auth_token is written in"));
	CHECK(has_problem(&p, path, 7, "in clear"));
	CHECK(has_problem(&p, path, 9, "unknown notify 'ghost'"));
	CHECK(has_problem(&p, path, 10, "unknown section [weird]"));
	CHECK(has_problem(&p, path, 13, "key 'url' is not valid for type = syslog"));
	CHECK_INT(p.n, 7);
	/* In file order, whichever check found them. */
	CHECK(p.n == 7 && strstr(p.lines[0], ".conf:2: ") && strstr(p.lines[6], ".conf:13: "));
	CHECK(no_secret(&p));
	config_problems_finish(&p);
}

/* A `where` checker standing in for the store's: it refuses "bad". */
static int check_where(const char *where, char *why, size_t size)
{
	if (strstr(where, "bad")) {
		snprintf(why, size, "no such column: bad");
		return -EINVAL;
	}
	return 0;
}

/*
 * One load reports every problem with the line of its key: the `where`
 * lines (not their section's), secret files behind a bad account_sid or a
 * second credential, durations without a unit, SMTP in clear; one problem
 * never hides another.
 */
static void test_every_problem_in_one_pass(void)
{
	struct config_problems p = {.check_where = check_where};
	struct config *cfg;
	char path[300], missing[300], want[400];

	snprintf(missing, sizeof(missing), "%s/missing.token", dir);
	CHECK_INT(load(path, &cfg, &p, 0600,
	               "[agent]\n"
	               "interval = 60\n"   /* 2 */
	               "retention = 90d\n" /* 3 */
	               "[account a]\n"
	               "account_sid = ACnope\n" /* 5 */
	               "auth_token_file = %s\n" /* 6 */
	               "[account b]\n"
	               "account_sid = " SID1 "\n"
	               "auth_token_file = %s\n" /* 9 */
	               "api_key_sid = SK"
	               "0123456789abcdef0123456789abcdef\n"
	               "api_key_secret_file = %s\n" /* 11 */
	               "[notify n]\n"
	               "type = syslog\n"
	               "[trigger t1]\n" /* 14 */
	               "notify = n\n"
	               "where = bad = 1\n" /* 16 */
	               "[trigger t2]\n"
	               "where = error_code = 1\n"
	               "notify = n\n"
	               "[trigger t3]\n" /* 20 */
	               "threshold = 2\n"
	               "where = bad\n" /* 22 */
	               "notify = n\n",
	               missing, missing, missing),
	          -EINVAL);
	CHECK(cfg == NULL);
	CHECK(has_problem(&p, path, 2, "interval 60 has no unit"));
	CHECK(has_problem(&p, path, 3, "retention 90d is more than the maximum 30d"));
	CHECK(has_problem(&p, path, 5, "account_sid is not an account SID"));
	snprintf(want, sizeof(want), "auth_token_file %s: cannot read", missing);
	CHECK(has_problem(&p, path, 6, want));
	CHECK(has_problem(&p, path, 9, want));
	CHECK(has_problem(&p, path, 11, "more than one credential"));
	snprintf(want, sizeof(want), "api_key_secret_file %s: cannot read", missing);
	CHECK(has_problem(&p, path, 11, want));
	CHECK(has_problem(&p, path, 16, "[trigger t1] where is refused: no such column: bad"));
	CHECK(has_problem(&p, path, 22, "[trigger t3] where is refused: no such column: bad"));
	CHECK_INT(p.n, 9);
	config_problems_finish(&p);
}

static void test_indented(void)
{
	struct config_problems p = {0};
	struct config *cfg;
	char path[300];
	int r;

	r = load(path, &cfg, &p, 0644,
	         "  [agent]\n"
	         "    interval = 30s\n"
	         "\tretention = 2d\n"
	         "[account a]\n"
	         "    account_sid = " SID1 "\n"
	         "\t  auth_token_file = %s\n"
	         "  \n"
	         "    ; an indented comment\n"
	         "    # and another\n"
	         "\tfetch_details = on\n",
	         tok);
	CHECK_INT(r, 0);
	if (r == 0) {
		CHECK_INT(cfg->interval, 30);
		CHECK_INT(cfg->retention, 2 * 86400);
		CHECK_STR(cfg->accounts[0].secret, TOKEN);
		CHECK(cfg->accounts[0].fetch_details);
	}
	config_free(cfg);
	config_problems_finish(&p);
}

static void test_missing_file(void)
{
	struct config_problems p = {0};
	struct config *cfg = NULL;
	char path[300];

	snprintf(path, sizeof(path), "%s/does-not-exist.conf", dir);
	CHECK_INT(config_load(path, &cfg, &p), -EINVAL);
	CHECK(cfg == NULL);
	CHECK(has_problem(&p, path, 0, "cannot open: No such file or directory"));
	config_problems_finish(&p);
}

static void env_clear(void)
{
	unsetenv("TWILIO_ACCOUNT_SID");
	unsetenv("TWILIO_AUTH_TOKEN");
	unsetenv("TWILIO_API_KEY");
	unsetenv("TWILIO_API_SECRET");
	unsetenv("TWILIO_ALERTD_DATABASE");
}

static void test_env(void)
{
	struct config_problems p = {0};
	struct config *cfg = NULL;
	int r;

	if (access(CONFIG_DEFAULT_PATH, F_OK) == 0) {
		fprintf(stderr, "# %s exists: environment mode not tested\n", CONFIG_DEFAULT_PATH);
		return;
	}
	env_clear();
	setenv("TWILIO_ACCOUNT_SID", SID1, 1);
	setenv("TWILIO_AUTH_TOKEN", TOKEN, 1);
	r = config_load(NULL, &cfg, &p);
	CHECK_INT(r, 0);
	if (r == 0) {
		CHECK(cfg->path == NULL);
		CHECK_STR(cfg->database, CONFIG_DEFAULT_DATABASE);
		CHECK_STR(cfg->listen, CONFIG_DEFAULT_LISTEN);
		CHECK_INT(cfg->n_accounts, 1);
		CHECK_STR(cfg->accounts[0].name, "default");
		CHECK_STR(cfg->accounts[0].account_sid, SID1);
		CHECK_STR(cfg->accounts[0].username, SID1);
		CHECK_STR(cfg->accounts[0].secret, TOKEN);
		CHECK_STR(cfg->accounts[0].secret_source, "env TWILIO_AUTH_TOKEN");
		CHECK_STR(cfg->accounts[0].api_base, CONFIG_DEFAULT_API_BASE);
		CHECK_INT(cfg->accounts[0].line, 0);
		CHECK_INT(cfg->n_triggers, 0);
	}
	config_free(cfg);
	cfg = NULL;

	env_clear();
	setenv("TWILIO_ACCOUNT_SID", SID2, 1);
	setenv("TWILIO_API_KEY", KEY, 1);
	setenv("TWILIO_API_SECRET", KEY_SECRET, 1);
	setenv("TWILIO_ALERTD_DATABASE", "/tmp/alertd-test.db", 1);
	r = config_load(NULL, &cfg, &p);
	CHECK_INT(r, 0);
	if (r == 0) {
		CHECK_STR(cfg->database, "/tmp/alertd-test.db");
		CHECK_STR(cfg->accounts[0].account_sid, SID2);
		CHECK_STR(cfg->accounts[0].username, KEY);
		CHECK_STR(cfg->accounts[0].secret, KEY_SECRET);
		CHECK_STR(cfg->accounts[0].secret_source, "env TWILIO_API_SECRET");
	}
	config_free(cfg);
	cfg = NULL;

	/* An API key names no account: the SID is still needed. */
	unsetenv("TWILIO_ACCOUNT_SID");
	CHECK_INT(config_load(NULL, &cfg, &p), -EINVAL);
	CHECK(cfg == NULL);
	CHECK_INT(p.n, 1);
	if (p.n == 1)
		CHECK(strstr(p.lines[0], "TWILIO_ACCOUNT_SID is not") != NULL);
	CHECK(no_secret(&p));
	config_problems_finish(&p);

	env_clear();
	CHECK_INT(config_load(NULL, &cfg, &p), -EINVAL);
	CHECK_INT(p.n, 1);
	if (p.n == 1)
		CHECK_STR(p.lines[0],
		          "no configuration file " CONFIG_DEFAULT_PATH
		          " and no TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN in the environment");
	config_problems_finish(&p);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	make_secret(tok, sizeof(tok), "main.token", TOKEN "\n", 0600);
	make_secret(keysec, sizeof(keysec), "key.secret", KEY_SECRET, 0640);
	make_secret(smtp_pass, sizeof(smtp_pass), "smtp.pass", SMTP_PASS "\r\n", 0600);
	make_secret(hook_sec, sizeof(hook_sec), "hook.secret", HOOK_SECRET "\n", 0400);

	config_free(NULL);
	config_problems_finish(NULL);
	test_full();
	test_design_example();
	test_defaults();
	test_problems();
	test_several_problems();
	test_every_problem_in_one_pass();
	test_indented();
	test_missing_file();
	test_env();

	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return test_done();
}

// SPDX-License-Identifier: MIT
/*
 * Unit tests for the web stage's pieces that need no server: webhook_receive
 * against a temporary store, the receiver's config keys, the counters'
 * Prometheus text (metrics.c), and the health verdict (health.c) over
 * hand-made sync and outbox states. http.c, page.c and summary.c have their
 * own test-*.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/config.h"
#include "web/health.h"
#include "web/metrics.h"
#include "base/sign.h"
#include "store/store-read.h"
#include "store/store.h"
#include "test.h"
#include "web/webhook.h"

#define URL "https://alerts.example.com/twilio/debugger"
#define ACCT "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SID "NO0123456789abcdef0123456789abcdef"
#define SUB "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define OTHER "ACcccccccccccccccccccccccccccccccc"

/* The form of @n params @p and its signature under @token over URL. */
static void signed_form(const char *token, const struct sign_param *p, size_t n, char *body,
                        size_t size, char sig[SIGN_SHA1_B64_LEN])
{
	struct strbuf sb;

	strbuf_init(&sb, size);
	for (size_t i = 0; i < n; i++) {
		strbuf_append(&sb, i ? "&" : "", i ? 1 : 0);
		strbuf_append(&sb, p[i].name, strlen(p[i].name));
		strbuf_append(&sb, "=", 1);
		for (const char *c = p[i].value; *c; c++) {
			char esc[4];

			snprintf(esc, sizeof(esc), "%%%02X", (unsigned char)*c);
			strbuf_append(&sb, esc, 3);
		}
	}
	snprintf(body, size, "%s", sb.buf);
	strbuf_finish(&sb);
	sign_twilio_compute(token, URL, p, n, sig);
}

/* A push of @payload for ACCT and its signature under @token over URL. */
static void signed_body(const char *token, const char *payload, char *body, size_t size,
                        char sig[SIGN_SHA1_B64_LEN])
{
	struct sign_param p[] = {
	        {"Sid", SID},
	        {"AccountSid", ACCT},
	        {"Timestamp", "2026-01-02T03:04:05Z"},
	        {"Level", "Warning"},
	        {"PayloadType", "application/json"},
	        {"Payload", payload},
	};

	signed_form(token, p, 6, body, size, sig);
}

/*
 * A subaccount's event sent to the parent's webhook is signed with the
 * parent's token: stored as the subaccount's only when the subaccount is a
 * configured account whose parent_account is that parent, also when it has
 * a webhook of its own; a signature under neither token is refused, and so
 * is a parent's push naming an account that is not its subaccount.
 */
static void test_webhook_parent(void)
{
	char dir[] = "/tmp/test-http-XXXXXX", db[64], body[4096], sig[SIGN_SHA1_B64_LEN];
	struct config_account accts[] = {
	        {.name = (char *)"main",
	         .account_sid = (char *)ACCT,
	         .webhook = true,
	         .public_url = (char *)URL,
	         .webhook_token = (char *)"tok"},
	        {.name = (char *)"sub",
	         .account_sid = (char *)SUB,
	         .webhook = true,
	         .public_url = (char *)URL "/sub",
	         .webhook_token = (char *)"subtok"},
	};
	struct config cfg = {.accounts = accts, .n_accounts = 2, .interval = 60};
	struct sign_param p[] = {
	        {"Sid", SID},
	        {"AccountSid", SUB},
	        {"ParentAccountSid", ACCT},
	        {"Level", "Error"},
	        {"Payload", "{\"error_code\": 11200}"},
	};
	const char *form_type = "application/x-www-form-urlencoded";
	struct webhook_result res;
	struct store *s = NULL;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(db, sizeof(db), "%s/a.db", dir);
	CHECK_INT(store_open(db, false, &s), 0);
	if (!s)
		return;
	struct sign_param q[] = {
	        {"Sid", SID},
	        {"AccountSid", OTHER},
	        {"ParentAccountSid", ACCT},
	        {"Level", "Error"},
	        {"Payload", "{\"error_code\": 11200}"},
	};
	char forbidden[sizeof(res.reason)];

	signed_form("other", p, 5, body, sizeof(body), sig);
	webhook_receive(&cfg, s, form_type, sig, body, strlen(body), 1000, &res);
	CHECK_INT(res.status, 403);
	CHECK(!res.stored);
	snprintf(forbidden, sizeof(forbidden), "%s", res.reason);
	/* Signed by the parent, but "sub" does not say it is main's subaccount. */
	signed_form("tok", p, 5, body, sizeof(body), sig);
	webhook_receive(&cfg, s, form_type, sig, body, strlen(body), 1000, &res);
	CHECK_INT(res.status, 403);
	CHECK(!res.stored);
	CHECK_STR(res.reason, forbidden);
	CHECK(strstr(res.detail, "not a configured subaccount") != NULL);
	/* An AccountSid that is no configured account at all: the same. */
	signed_form("tok", q, 5, body, sizeof(body), sig);
	webhook_receive(&cfg, s, form_type, sig, body, strlen(body), 1000, &res);
	CHECK_INT(res.status, 403);
	CHECK(!res.stored);
	CHECK_STR(res.reason, forbidden);
	/* With parent_account = main the parent's push is the subaccount's alert. */
	accts[1].parent_account = (char *)"main";
	signed_form("tok", p, 5, body, sizeof(body), sig);
	webhook_receive(&cfg, s, form_type, sig, body, strlen(body), 1000, &res);
	CHECK_INT(res.status, 200);
	CHECK(res.stored);
	CHECK_STR(res.account, "sub");
	/* A subaccount of another parent: main's signature is not enough. */
	accts[1].parent_account = (char *)"elsewhere";
	signed_form("tok", p, 5, body, sizeof(body), sig);
	webhook_receive(&cfg, s, form_type, sig, body, strlen(body), 1000, &res);
	CHECK_INT(res.status, 403);
	store_close(s);
	unlink(db);
	rmdir(dir);
}

static void test_webhook(void)
{
	char dir[] = "/tmp/test-http-XXXXXX", db[64], body[4096], sig[SIGN_SHA1_B64_LEN];
	char forbidden[sizeof(((struct webhook_result *)0)->reason)];
	struct config_account acct = {.name = (char *)"main",
	                              .account_sid = (char *)ACCT,
	                              .webhook = true,
	                              .public_url = (char *)URL,
	                              .webhook_token = (char *)"tok"};
	struct config cfg = {.accounts = &acct, .n_accounts = 1, .interval = 60};
	const char *form_type = "application/x-www-form-urlencoded";
	struct webhook_result res;
	struct store *s = NULL;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(db, sizeof(db), "%s/a.db", dir);
	CHECK_INT(store_open(db, false, &s), 0);
	if (!s)
		return;
	signed_body("tok", "{\"error_code\": 11200, \"resource_sid\": \"CA1\"}", body, sizeof(body),
	            sig);
	webhook_receive(&cfg, s, form_type, sig, body, strlen(body), 1000, &res);
	CHECK_INT(res.status, 200);
	CHECK(res.stored);
	CHECK_STR(res.account, "main");
	webhook_receive(&cfg, s, form_type, sig, body, strlen(body), 1000, &res);
	CHECK_INT(res.status, 200);
	CHECK(!res.stored);
	/*
	 * Bad signature, no signature, a changed body, the receiver off: 403,
	 * every time with the same text (no oracle for which accounts are on).
	 */
	webhook_receive(&cfg, s, form_type, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", body, strlen(body), 1,
	                &res);
	CHECK_INT(res.status, 403);
	snprintf(forbidden, sizeof(forbidden), "%s", res.reason);
	CHECK(strstr(res.detail, "does not match") != NULL);
	webhook_receive(&cfg, s, form_type, NULL, body, strlen(body), 1, &res);
	CHECK_INT(res.status, 403);
	CHECK_STR(res.reason, forbidden);
	CHECK(strstr(res.detail, "no X-Twilio-Signature") != NULL);
	webhook_receive(&cfg, s, form_type, "", body, strlen(body), 1, &res);
	CHECK_INT(res.status, 403);
	CHECK_STR(res.reason, forbidden);
	body[strlen(body) - 1] = 'A';
	webhook_receive(&cfg, s, form_type, sig, body, strlen(body), 1, &res);
	CHECK_INT(res.status, 403);
	CHECK_STR(res.reason, forbidden);
	acct.webhook = false;
	signed_body("tok", "{}", body, sizeof(body), sig);
	webhook_receive(&cfg, s, form_type, sig, body, strlen(body), 1, &res);
	CHECK_INT(res.status, 403);
	CHECK_STR(res.reason, forbidden);
	CHECK(strstr(res.detail, "no [account] with webhook = yes") != NULL);
	acct.webhook = true;
	/* Signed but malformed: 400 with the reason. */
	signed_body("tok", "{\"error_code\": ", body, sizeof(body), sig);
	webhook_receive(&cfg, s, form_type, sig, body, strlen(body), 1, &res);
	CHECK_INT(res.status, 400);
	CHECK(strstr(res.reason, "Payload is not JSON") != NULL);
	webhook_receive(&cfg, s, "application/json", sig, body, strlen(body), 1, &res);
	CHECK_INT(res.status, 400);
	store_close(s);
	unlink(db);
	rmdir(dir);
}

static void test_metrics(void)
{
	struct monitor_stats st = {
	        .requests = 3, .http_errors = 1, .status_2xx = 2, .status_5xx = 1};
	struct strbuf sb;

	metrics_reset();
	metrics_note_poll("main", 0, &st, 5, 1);
	metrics_note_poll("main", -EAGAIN, NULL, 0, 0);
	metrics_note_push("main", 200, true);
	metrics_note_notification("mail", false);
	strbuf_init(&sb, 1 << 20);
	CHECK_INT(metrics_render(&sb), 0);
	CHECK(strstr(sb.buf, "twilio_alertd_polls_total{account=\"main\",outcome=\"ok\"} 1\n"));
	CHECK(strstr(sb.buf, "{account=\"main\",outcome=\"unavailable\"} 1\n"));
	CHECK(strstr(sb.buf, "{account=\"main\",status_class=\"5xx\"} 1\n"));
	CHECK(strstr(sb.buf,
	             "twilio_alertd_alerts_ingested_total{account=\"main\",source=\"push\"} 1"));
	CHECK(strstr(sb.buf, "twilio_alertd_notifications_failed_total{channel=\"mail\"} 1\n"));
	CHECK(strstr(sb.buf, "# TYPE twilio_alertd_polls_total counter\n"));
	strbuf_finish(&sb);
}

/* Label values are escaped: a quote, backslash or newline cannot break a line. */
static void test_metrics_labels(void)
{
	struct strbuf sb;
	char label[8];

	metrics_reset();
	metrics_note_poll("we\"ird\\na\nme", 0, NULL, 1, 0);
	metrics_note_notification("ch\"an", true);
	strbuf_init(&sb, 1 << 20);
	CHECK_INT(metrics_render(&sb), 0);
	CHECK(strstr(sb.buf, "{account=\"we\\\"ird\\\\na\\nme\",outcome=\"ok\"} 1\n"));
	CHECK(strstr(sb.buf, "_sent_total{channel=\"ch\\\"an\"} 1\n"));
	strbuf_finish(&sb);
	metrics_label("ab\"cdef", label, sizeof(label));
	CHECK_STR(label, "ab\\\"cde");
	metrics_label("abcdef\"", label, sizeof(label));
	CHECK_STR(label, "abcdef");
}

/* Load @text as a config file; the number of problems, and the first in @first. */
static size_t load(const char *dir, const char *text, struct config **cfg, char *first, size_t size)
{
	struct config_problems pr = {0};
	char path[128];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/c.conf", dir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
	*cfg = NULL;
	config_load(path, cfg, &pr);
	n = pr.n;
	snprintf(first, size, "%s", n ? pr.lines[0] : "");
	config_problems_finish(&pr);
	return n;
}

static void test_config_keys(void)
{
	char dir[] = "/tmp/test-http-XXXXXX", text[2048], why[512], tok[128];
	struct config *cfg;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(tok, sizeof(tok), "%s/tok", dir);
	f = fopen(tok, "w");
	fputs("s3cret\n", f);
	fclose(f);
	chmod(tok, 0600);
#define ACCOUNT_SECTION "[account a]\naccount_sid = " ACCT "\nauth_token_file = %s\n"
	/* The receiver takes the auth token of the account, and its public URL. */
	snprintf(text, sizeof(text), ACCOUNT_SECTION "webhook = yes\npublic_url = " URL "\n", tok);
	CHECK_INT(load(dir, text, &cfg, why, sizeof(why)), 0);
	if (cfg) {
		CHECK(cfg->accounts[0].webhook);
		CHECK_STR(cfg->accounts[0].public_url, URL);
		CHECK_STR(cfg->accounts[0].webhook_token, "s3cret");
		config_free(cfg);
	}
	snprintf(text, sizeof(text), ACCOUNT_SECTION "webhook = yes\n", tok);
	CHECK_INT(load(dir, text, &cfg, why, sizeof(why)), 1);
	CHECK(strstr(why, "webhook = yes needs public_url") != NULL);
	snprintf(text, sizeof(text),
	         "[account a]\naccount_sid = " ACCT "\napi_key_sid = SK%032d\n"
	         "api_key_secret_file = %s\nwebhook = yes\npublic_url = " URL "\n",
	         0, tok);
	CHECK_INT(load(dir, text, &cfg, why, sizeof(why)), 1);
	CHECK(strstr(why, "webhook_auth_token_file") != NULL);
	snprintf(text, sizeof(text), ACCOUNT_SECTION "public_url = ftp://x\n", tok);
	CHECK_INT(load(dir, text, &cfg, why, sizeof(why)), 1);
	/* Listening beyond loopback needs Basic auth; loopback does not. */
	snprintf(text, sizeof(text), "[agent]\nlisten = 0.0.0.0:8790\n" ACCOUNT_SECTION, tok);
	CHECK_INT(load(dir, text, &cfg, why, sizeof(why)), 1);
	CHECK(strstr(why, "not a loopback address") != NULL);
	snprintf(text, sizeof(text), "[agent]\nlisten = [::1]:8790\n" ACCOUNT_SECTION, tok);
	CHECK_INT(load(dir, text, &cfg, why, sizeof(why)), 0);
	config_free(cfg);
	snprintf(text, sizeof(text),
	         "[agent]\nlisten = 0.0.0.0:8790\nlisten_user = oncall\nlisten_password_file = "
	         "%s\n" ACCOUNT_SECTION,
	         tok, tok);
	CHECK_INT(load(dir, text, &cfg, why, sizeof(why)), 0);
	if (cfg) {
		CHECK_STR(cfg->listen_user, "oncall");
		CHECK_STR(cfg->listen_password, "s3cret");
		config_free(cfg);
	}
	snprintf(text, sizeof(text), "[agent]\nlisten_user = oncall\n" ACCOUNT_SECTION, tok);
	CHECK_INT(load(dir, text, &cfg, why, sizeof(why)), 1);
	CHECK(strstr(why, "go together") != NULL);
	snprintf(text, sizeof(text), "%s/c.conf", dir);
	unlink(text);
	unlink(tok);
	rmdir(dir);
}

static void test_health_verdict(void)
{
	struct config_account acct = {.name = (char *)"main", .account_sid = (char *)ACCT};
	struct config_notify mail = {.name = (char *)"mail"};
	struct config cfg = {.interval = 60,
	                     .accounts = &acct,
	                     .n_accounts = 1,
	                     .notifies = &mail,
	                     .n_notifies = 1};
	struct health_data *d = calloc(1, sizeof(*d));
	struct store_http_channel *gone, *live;
	struct health_outbox ob;
	int64_t now = 1000000;
	char why[HEALTH_REASON_MAX];

	if (!d)
		return;
	/* Never polled: a problem for `status` (no start time), not yet for a fresh server. */
	health_verdict(&cfg, d, NULL, now, 0, why, sizeof(why));
	CHECK_STR(why, "account main: never polled successfully");
	health_verdict(&cfg, d, NULL, now, now - 10, why, sizeof(why));
	CHECK_STR(why, "");
	health_verdict(&cfg, NULL, "disk I/O error", now, now, why, sizeof(why));
	CHECK_STR(why, "cannot read the database: disk I/O error");
	/* Polled 100 s ago: healthy within 3 intervals; the error is said once, not twice. */
	snprintf(d->sync[0].account, sizeof(d->sync[0].account), "main");
	d->sync[0].st.last_success = now - 100;
	snprintf(d->sync[0].st.last_error, sizeof(d->sync[0].st.last_error),
	         "account main: HTTP 503");
	d->n_sync = 1;
	health_verdict(&cfg, d, NULL, now, 0, why, sizeof(why));
	CHECK_STR(why, "");
	d->sync[0].st.last_success = now - 181;
	health_verdict(&cfg, d, NULL, now, 0, why, sizeof(why));
	CHECK_STR(why, "account main: no successful poll for 181s (limit 180s): HTTP 503");
	d->sync[0].st.last_success = now - 5;
	/* An old row of a removed channel is orphaned, never a failure... */
	d->tr.available = true;
	gone = &d->tr.channels[d->tr.n_channels++];
	snprintf(gone->channel, sizeof(gone->channel), "removed");
	gone->pending = 3;
	gone->oldest = now - 86400;
	live = &d->tr.channels[d->tr.n_channels++];
	snprintf(live->channel, sizeof(live->channel), "mail");
	live->pending = 1;
	live->oldest = now - 60;
	health_outbox(&cfg, &d->tr, &ob);
	CHECK_INT(ob.orphaned, 3);
	CHECK_INT(ob.orphaned_channels, 1);
	CHECK_INT(ob.waiting, 1);
	CHECK_INT(ob.oldest_waiting, now - 60);
	CHECK(health_orphaned(&cfg, gone));
	CHECK(!health_orphaned(&cfg, live));
	health_verdict(&cfg, d, NULL, now, 0, why, sizeof(why));
	CHECK_STR(why, "");
	/* ...while one of a configured channel waiting as long is. */
	live->oldest = now - 200;
	live->failed = 1;
	snprintf(live->last_error, sizeof(live->last_error), "SMTP 451");
	health_verdict(&cfg, d, NULL, now, 0, why, sizeof(why));
	CHECK_STR(why, "outbox not draining: channel mail: 1 notification(s) waiting, the oldest "
	               "for 200s: last error: SMTP 451");
	free(d);
}

int main(void)
{
	test_health_verdict();
	test_config_keys();
	test_webhook();
	test_webhook_parent();
	test_metrics();
	test_metrics_labels();
	return test_done();
}

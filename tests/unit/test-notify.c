// SPDX-License-Identifier: MIT
/*
 * Unit tests for notify.c and notify-msg.c: backoff, addresses, the syslog
 * line and datagram (through a socket of the test's own), the email message
 * (headers, RFC 2047 subject, quoted-printable body), exec and sendmail
 * programs (stdin, environment, exit status, timeout), refused connections,
 * and outbox delivery order with retries on a temporary database.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "base/config.h"
#include "notify/notify.h"
#include "notify/notify-msg.h"
#include "store/store-trigger.h"
#include "store/store.h"
#include "test.h"
#include "base/util.h"

#define SID_A "AC0123456789abcdef0123456789abcdef"
#define PASSWORD "smtp-pass-never-in-a-message-77"
#define HOOK_SECRET "hook-secret-never-in-a-message-88"

static char dir[] = "/tmp/test-notify-XXXXXX";
static char db_path[160];
static int n_conf;

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		exit(1);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static char *read_all(const char *name)
{
	char path[256], *text = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (util_read_file(path, 1 << 20, &text, NULL) < 0)
		return strdup("");
	return text;
}

static struct config *load(const char *body)
{
	struct config_problems p = {0};
	struct config *cfg = NULL;
	char path[200], text[8192];

	write_file("token", "0123456789abcdef0123456789abcdef\n", 0600);
	write_file("pass", PASSWORD "\n", 0600);
	write_file("secret", HOOK_SECRET "\n", 0600);
	snprintf(text, sizeof(text),
	         "[agent]\ndatabase = %s\nlisten =\n[account a]\naccount_sid = " SID_A
	         "\nauth_token_file = %s/token\n%s",
	         db_path, dir, body);
	snprintf(path, sizeof(path), "c%d.conf", n_conf++);
	write_file(path, text, 0600);
	snprintf(path, sizeof(path), "%s/c%d.conf", dir, n_conf - 1);
	if (config_load(path, &cfg, &p) < 0) {
		for (size_t i = 0; i < p.n; i++)
			fprintf(stderr, "config: %s\n", p.lines[i]);
		exit(1);
	}
	config_problems_finish(&p);
	return cfg;
}

/* A notification as trigger.c writes it (the fields the renderers read). */
static char *note_text(const char *kind, const char *group, const char *msg, const char *key)
{
	json_t *examples = json_array(), *o;
	char *text;

	for (int i = 0; i < 12 && i < 10; i++)
		json_array_append_new(
		        examples, json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "sid",
		                            "NO0123456789abcdef0123456789abcdef", "date_created",
		                            "2025-10-09T08:53:00Z", "error_code", 11200, "msg", msg,
		                            "request_method", "POST", "request_url",
		                            "https://h.example/"
		                            "voice?with=a&long=query-string-that-goes-on-and-on-"
		                            "and-on-past-the-seventy-six-characters-of-a-quoted-"
		                            "printable-line"));
	o = json_pack(
	        "{s:s, s:i, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s, s:i, s:i, s:s, s:i,"
	        " s:s, s:s, s:o, s:[{s:i, s:i, s:s}], s:[{s:s, s:s}], s:s, s:s, s:s, s:s}",
	        "schema", "twilio-alertd.notification", "version", 1, "kind", kind,
	        "idempotency_key", key ? key : "webhook-failures/11200/2025-10-09T08:53:20Z/fired",
	        "trigger", "webhook-failures", "group_by", group ? "error_code" : NULL, "group",
	        group, "state", strcmp(kind, "resolved") ? "firing" : "ok", "severity", "critical",
	        "count", 12, "threshold", 10, "window", "5m", "window_seconds", 300, "started",
	        "2025-10-09T08:53:20Z", "at", "2025-10-09T08:53:20Z", "examples", examples,
	        "top_error_codes", "code", 11200, "count", 12, "url",
	        "https://www.twilio.com/docs/errors/11200", "accounts", "name", "a", "account_sid",
	        SID_A, "query",
	        "SELECT sid FROM alerts WHERE error_code IN (11200) AND msg != \"$x\"", "database",
	        "/var/lib/twilio-alertd/alerts.db", "host", "box1", "agent_version", "0.1.0");
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

static void test_backoff_and_address(void)
{
	char out[64];

	for (int i = 0; i < 50; i++) {
		int64_t b1 = notify_backoff(1), b2 = notify_backoff(2), b9 = notify_backoff(30);

		CHECK(b1 >= NOTIFY_RETRY_FIRST && b1 <= NOTIFY_RETRY_FIRST * 6 / 5);
		CHECK(b2 >= 2 * NOTIFY_RETRY_FIRST && b2 <= 2 * NOTIFY_RETRY_FIRST * 6 / 5);
		CHECK(b9 >= NOTIFY_RETRY_MAX && b9 <= NOTIFY_RETRY_MAX * 6 / 5);
	}
	CHECK_INT(notify_address("Ops <ops@example.com>", out, sizeof(out)), 0);
	CHECK_STR(out, "ops@example.com");
	CHECK_INT(notify_address("  a@b.example ", out, sizeof(out)), 0);
	CHECK_STR(out, "a@b.example");
	CHECK_INT(notify_address("no-at-sign", out, sizeof(out)), -EINVAL);
	CHECK_INT(notify_address("Ops <ops@example.com", out, sizeof(out)), -EINVAL);
	CHECK_INT(notify_address("a b@example.com", out, sizeof(out)), -EINVAL);
	CHECK_INT(notify_address("<>", out, sizeof(out)), -EINVAL);
	CHECK_INT(notify_address(
	                  "x@yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy",
	                  out, sizeof(out)),
	          -EINVAL);
}

static void test_syslog_line(void)
{
	char *text = note_text("fired", "11200", "x", NULL), line[NOTIFY_SYSLOG_MAX];
	json_t *note = json_loads(text, 0, NULL);

	CHECK_INT(notify_syslog_line(note, line, sizeof(line)), LOG_CRIT);
	CHECK_STR(line, "trigger webhook-failures (error_code 11200) FIRING: 12 alerts >= threshold"
	                " 10 in 5m (severity critical, since 2025-10-09T08:53:20Z, key"
	                " webhook-failures/11200/2025-10-09T08:53:20Z/fired)");
	json_object_set_new(note, "kind", json_string("resolved"));
	json_object_set_new(note, "group", json_string("a\nb"));
	CHECK_INT(notify_syslog_line(note, line, sizeof(line)), LOG_NOTICE);
	CHECK(strstr(line, "RESOLVED: 12 alerts < threshold 10") != NULL);
	CHECK(strchr(line, '\n') == NULL); /* never a second line */
	json_object_set_new(note, "group", json_string("CA1\r\nBcc: x\x1b[31m"));
	CHECK_INT(notify_syslog_line(note, line, sizeof(line)), LOG_NOTICE);
	CHECK(strstr(line, "CA1\\r\\nBcc: x\\x1b[31m") != NULL);
	json_object_set_new(note, "kind", json_string("repeat"));
	json_object_set_new(note, "severity", json_string("info"));
	CHECK_INT(notify_syslog_line(note, line, sizeof(line)), LOG_INFO);
	CHECK(strstr(line, "STILL FIRING") != NULL);
	json_object_set_new(note, "severity", json_string("warning"));
	CHECK_INT(notify_syslog_line(note, line, sizeof(line)), LOG_WARNING);
	json_decref(note);
	free(text);
}

static int b64val(char c)
{
	const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(tab, c) : NULL;

	return p ? (int)(p - tab) : -1;
}

/* Decode "=?UTF-8?B?...?=" words (the test's own decoder). */
static void decode_subject(const char *v, char *out, size_t size)
{
	size_t o = 0;

	while ((v = strstr(v, "=?UTF-8?B?")) != NULL) {
		unsigned bits = 0;
		int nbits = 0;

		for (v += 10; *v && *v != '?'; v++) {
			int x = b64val(*v);

			if (x < 0)
				continue;
			bits = (bits << 6) | (unsigned)x;
			nbits += 6;
			if (nbits >= 8 && o + 1 < size) {
				nbits -= 8;
				out[o++] = (char)((bits >> nbits) & 0xff);
			}
		}
	}
	out[o] = '\0';
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void test_email(void)
{
	char conf[1024], subject[512], *decoded = malloc(NOTIFY_MESSAGE_MAX), *hdr_end, *p;
	char *text = note_text("fired", "11200", "Fehler \xc3\xbc\xc3\xa4 timeout", NULL);
	json_t *note = json_loads(text, 0, NULL);
	size_t o = 0, longest = 0, len = 0;
	struct strbuf msg, body;
	struct config *cfg;

	snprintf(conf, sizeof(conf),
	         "[notify mail]\ntype = email\nurl = smtp://127.0.0.1:1\n"
	         "from = Twilio alerts <alerts@example.com>\n"
	         "to = ops@example.com, Pager <pager@example.com>\ncc = boss@example.com\n"
	         "username = u\npassword_file = %s/pass\n",
	         dir);
	cfg = load(conf);
	strbuf_init(&msg, NOTIFY_MESSAGE_MAX);
	strbuf_init(&body, NOTIFY_MESSAGE_MAX);
	CHECK_INT(notify_email(cfg, &cfg->notifies[0], note, true, &msg), 0);
	CHECK(strstr(msg.buf, "Date: Thu, 09 Oct 2025 08:53:20 +0000\r\n") == msg.buf);
	CHECK(strstr(msg.buf, "\r\nFrom: Twilio alerts <alerts@example.com>\r\n") != NULL);
	CHECK(strstr(msg.buf, "\r\nTo: ops@example.com,Pager <pager@example.com>\r\n") != NULL);
	CHECK(strstr(msg.buf, "\r\nCc: boss@example.com\r\n") != NULL);
	CHECK(strstr(msg.buf, "\r\nMIME-Version: 1.0\r\n") != NULL);
	CHECK(strstr(msg.buf, "\r\nContent-Type: text/plain; charset=UTF-8\r\n") != NULL);
	CHECK(strstr(msg.buf, "\r\nContent-Transfer-Encoding: quoted-printable\r\n") != NULL);
	CHECK(strstr(msg.buf, "\r\nMessage-ID: <") != NULL);
	CHECK(strstr(msg.buf, ".mail@box1>\r\n") != NULL);
	CHECK(strstr(msg.buf, PASSWORD) == NULL);
	/* Every line ends in CRLF, none is longer than 78 characters. */
	for (p = msg.buf; *p; p++) {
		if (*p == '\n') {
			CHECK(p > msg.buf && p[-1] == '\r');
			if (len > 78)
				fprintf(stderr, "long line: %.*s\n", (int)len, p - len);
			longest = len > longest ? len : longest;
			len = 0;
		} else {
			len++;
		}
	}
	CHECK(longest <= 78);
	/* The subject is RFC 2047 and says what fired, with the count against the threshold. */
	p = strstr(msg.buf, "\r\nSubject:");
	CHECK(p != NULL);
	decode_subject(p ? p : "", subject, sizeof(subject));
	CHECK_STR(subject,
	          "[twilio-alertd] FIRING: webhook-failures (error_code 11200) 12 \xe2\x89\xa5"
	          " 10 in 5m");
	/* The quoted-printable body decodes to the plain body. */
	hdr_end = strstr(msg.buf, "\r\n\r\n");
	CHECK(hdr_end != NULL);
	for (p = hdr_end ? hdr_end + 4 : msg.buf; *p; p++) {
		if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
			p += 2;
		} else if (p[0] == '=' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			decoded[o++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
		} else if (p[0] == '\r' && p[1] == '\n') {
			decoded[o++] = '\n';
			p++;
		} else {
			decoded[o++] = *p;
		}
	}
	decoded[o] = '\0';
	CHECK_INT(notify_email_body(cfg, note, &body), 0);
	CHECK_STR(decoded, body.buf);
	CHECK(strstr(body.buf, "12 matching alerts in the last 5m: the threshold is 10.") != NULL);
	CHECK(strstr(body.buf, "11200      12 alerts  https://www.twilio.com/docs/errors/11200") !=
	      NULL);
	CHECK(strstr(body.buf, "Latest alerts (10 of 12):") != NULL);
	CHECK(strstr(body.buf, "2025-10-09T08:53:00Z  11200  Fehler \xc3\xbc\xc3\xa4 timeout") !=
	      NULL);
	CHECK(strstr(body.buf, "sqlite3 -readonly -box \"/var/lib/twilio-alertd/alerts.db\"") !=
	      NULL);
	CHECK(strstr(body.buf, "AND msg != \\\"\\$x\\\"\"") != NULL); /* shell-quoted */
	CHECK(strstr(body.buf, "Account: a (" SID_A ")") != NULL);
	/* The same notification gives the same message (Message-ID included) on a retry. */
	strbuf_reset(&body);
	CHECK_INT(notify_email(cfg, &cfg->notifies[0], note, true, &body), 0);
	CHECK_STR(body.buf, msg.buf);
	/* For a sendmail program, plain LF. */
	strbuf_reset(&body);
	CHECK_INT(notify_email(cfg, &cfg->notifies[0], note, false, &body), 0);
	CHECK(strchr(body.buf, '\r') == NULL);
	/* A resolved notice says so. */
	json_object_set_new(note, "kind", json_string("resolved"));
	strbuf_reset(&body);
	CHECK_INT(notify_email_body(cfg, note, &body), 0);
	CHECK(strstr(body.buf, "has RESOLVED") != NULL);
	CHECK(strstr(body.buf, "under the threshold of 10") != NULL);
	strbuf_finish(&msg);
	strbuf_finish(&body);
	json_decref(note);
	free(decoded);
	free(text);
	config_free(cfg);
}

/*
 * A subject cut to fit (a long group of multi-byte characters) may end inside
 * a character: the encoder must stop there, not read past the end, and the
 * headers must go on after the Subject (no blank line inside them).
 */
static void test_long_subject(void)
{
	char conf[256], group[1300], decoded[2048], *text, *hdr_end;
	struct config *cfg;
	struct strbuf msg;
	json_t *note;

	snprintf(conf, sizeof(conf),
	         "[notify mail]\ntype = email\nurl = smtp://127.0.0.1:1\n"
	         "from = alerts@example.com\nto = ops@example.com\n");
	cfg = load(conf);
	for (int odd = 0; odd < 2; odd++) {
		size_t n = 0, c3 = 0, a9 = 0;

		if (odd)
			group[n++] = 'x';
		for (int i = 0; i < 600; i++, n += 2)
			memcpy(group + n, "\xc3\xa9", 2);
		group[n] = '\0';
		text = note_text("fired", group, "m", NULL);
		note = json_loads(text, 0, NULL);
		strbuf_init(&msg, NOTIFY_MESSAGE_MAX);
		CHECK_INT(notify_email(cfg, &cfg->notifies[0], note, true, &msg), 0);
		hdr_end = strstr(msg.buf, "\r\n\r\n");
		CHECK(hdr_end != NULL);
		CHECK(strstr(msg.buf, "\r\nMessage-ID: <") < hdr_end);
		*hdr_end = '\0';
		decode_subject(msg.buf, decoded, sizeof(decoded));
		CHECK(strlen(decoded) > 500);
		for (const char *p = decoded; *p; p++) {
			c3 += (unsigned char)*p == 0xc3;
			a9 += (unsigned char)*p == 0xa9;
		}
		CHECK(c3 > 200 && c3 == a9); /* whole characters only */
		strbuf_finish(&msg);
		json_decref(note);
		free(text);
	}
	config_free(cfg);
}

static void test_exec(void)
{
	char conf[2048], err[NOTIFY_ERROR_MAX], *got;
	struct config *cfg;
	char *payload = note_text("fired", NULL, "m", NULL);
	int64_t t0;

	write_file("ok.sh",
	           "#!/bin/sh\ncat > \"$(dirname \"$0\")/stdin.out\"\n"
	           "env > \"$(dirname \"$0\")/env.out\"\nexit 0\n",
	           0755);
	write_file("fail.sh", "#!/bin/sh\necho 'receiver says no' >&2\nexit 3\n", 0755);
	write_file("slow.sh", "#!/bin/sh\nsleep 30 &\nsleep 30\n", 0755);
	snprintf(conf, sizeof(conf),
	         "[notify ok]\ntype = exec\ncommand = %s/ok.sh --flag\n"
	         "[notify fail]\ntype = exec\ncommand = %s/fail.sh\n"
	         "[notify slow]\ntype = exec\ncommand = %s/slow.sh\ntimeout = 1s\n"
	         "[notify missing]\ntype = exec\ncommand = %s/no-such-program\n",
	         dir, dir, dir, dir);
	cfg = load(conf);
	setenv("TWILIO_AUTH_TOKEN", "inherited-secret-must-not-pass", 1);
	CHECK_INT(notify_send(cfg, &cfg->notifies[0], payload, NULL, err, sizeof(err)), 0);
	got = read_all("stdin.out");
	CHECK_STR(got, payload);
	free(got);
	got = read_all("env.out");
	CHECK(strstr(got, "TWILIO_ALERTD_KIND=fired\n") != NULL);
	CHECK(strstr(got, "TWILIO_ALERTD_TRIGGER=webhook-failures\n") != NULL);
	CHECK(strstr(got, "TWILIO_ALERTD_COUNT=12\n") != NULL);
	CHECK(strstr(got, "TWILIO_ALERTD_THRESHOLD=10\n") != NULL);
	CHECK(strstr(got, "TWILIO_ALERTD_WINDOW_SECONDS=300\n") != NULL);
	CHECK(strstr(got, "TWILIO_ALERTD_IDEMPOTENCY_KEY=webhook-failures/11200/") != NULL);
	CHECK(strstr(got, "TWILIO_AUTH_TOKEN") == NULL);
	free(got);
	unsetenv("TWILIO_AUTH_TOKEN");
	CHECK_INT(notify_send(cfg, &cfg->notifies[1], payload, NULL, err, sizeof(err)), -EIO);
	CHECK(strstr(err, "exit status 3: receiver says no") != NULL);
	t0 = util_mono_ms();
	CHECK_INT(notify_send(cfg, &cfg->notifies[2], payload, NULL, err, sizeof(err)), -ETIMEDOUT);
	CHECK(util_mono_ms() - t0 < 5000);
	CHECK(strstr(err, "timed out after 1s") != NULL);
	CHECK_INT(notify_send(cfg, &cfg->notifies[3], payload, NULL, err, sizeof(err)), -EIO);
	CHECK(strstr(err, "exit status 127") != NULL);
	free(payload);
	config_free(cfg);
}

static void test_sendmail(void)
{
	char conf[1024], err[NOTIFY_ERROR_MAX], *got;
	char *payload = note_text("fired", "11200", "m", NULL);
	struct config *cfg;

	write_file("sendmail",
	           "#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/argv.out\"\n"
	           "cat > \"$(dirname \"$0\")/mail.out\"\n",
	           0755);
	snprintf(conf, sizeof(conf),
	         "[notify sm]\ntype = email\nsendmail = %s/sendmail\nfrom = A <a@example.com>\n"
	         "to = b@example.com\ncc = C <c@example.com>\n",
	         dir);
	cfg = load(conf);
	CHECK_INT(notify_send(cfg, &cfg->notifies[0], payload, NULL, err, sizeof(err)), 0);
	got = read_all("argv.out");
	CHECK_STR(got, "-i -f a@example.com -- b@example.com c@example.com\n");
	free(got);
	got = read_all("mail.out");
	CHECK(strstr(got, "Subject: ") != NULL);
	CHECK(strstr(got, "\nMIME-Version: 1.0\n") != NULL);
	CHECK(strchr(got, '\r') == NULL);
	free(got);
	free(payload);
	config_free(cfg);
}

static void test_syslog_socket(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char conf[512], err[NOTIFY_ERROR_MAX], buf[2048], expect[64];
	char *payload = note_text("fired", "11200", "m", NULL);
	struct config *cfg;
	ssize_t n;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/log.sock", dir);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	snprintf(conf, sizeof(conf),
	         "[notify sl]\ntype = syslog\nfacility = local3\nident = alertd-test\n");
	cfg = load(conf);
	setenv(NOTIFY_SYSLOG_SOCKET_ENV, sa.sun_path, 1);
	CHECK_INT(notify_send(cfg, &cfg->notifies[0], payload, NULL, err, sizeof(err)), 0);
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	/* local3 (19) * 8 + LOG_CRIT (2) */
	CHECK(strncmp(buf, "<154>", 5) == 0);
	snprintf(expect, sizeof(expect), " alertd-test[%d]: trigger webhook-failures",
	         (int)getpid());
	CHECK(strstr(buf, expect) != NULL);
	close(fd);
	/* Nobody listening: a failure with the reason, so the row is retried. */
	CHECK_INT(notify_send(cfg, &cfg->notifies[0], payload, NULL, err, sizeof(err)), -EIO);
	CHECK(strstr(err, "log.sock") != NULL);
	unsetenv(NOTIFY_SYSLOG_SOCKET_ENV);
	free(payload);
	config_free(cfg);
}

/* A loopback port nobody listens on. */
static int closed_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(fd, (struct sockaddr *)&sa, &len);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void test_refused(void)
{
	char conf[1024], err[NOTIFY_ERROR_MAX];
	char *payload = note_text("fired", "11200", "m", NULL);
	struct config *cfg;
	int port = closed_port();

	snprintf(conf, sizeof(conf),
	         "[notify hook]\ntype = webhook\nurl = http://127.0.0.1:%d/hook\n"
	         "secret_file = %s/secret\ntimeout = 2s\n"
	         "[notify mail]\ntype = email\nurl = smtp://127.0.0.1:%d\nstarttls = no\n"
	         "from = a@example.com\nto = b@example.com\nusername = u\n"
	         "password_file = %s/pass\ntimeout = 2s\n",
	         port, dir, port, dir);
	cfg = load(conf);
	CHECK_INT(notify_send(cfg, &cfg->notifies[0], payload, NULL, err, sizeof(err)), -EIO);
	CHECK(strncmp(err, "webhook: ", 9) == 0);
	CHECK(strstr(err, HOOK_SECRET) == NULL);
	CHECK_INT(notify_send(cfg, &cfg->notifies[1], payload, NULL, err, sizeof(err)), -EIO);
	CHECK(strncmp(err, "SMTP: ", 6) == 0);
	CHECK(strstr(err, PASSWORD) == NULL);
	CHECK_INT(notify_send(cfg, &cfg->notifies[0], "not json", NULL, err, sizeof(err)), -EINVAL);
	free(payload);
	config_free(cfg);
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
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void queue(struct store *s, const char *key, const char *channel, int64_t created)
{
	char *payload = note_text("fired", "11200", "m", key);
	struct store_outbox o = {.idempotency_key = key,
	                         .channel = channel,
	                         .trigger_name = "webhook-failures",
	                         .group = "11200",
	                         .kind = "fired",
	                         .created = created,
	                         .payload = payload};

	CHECK_INT(store_outbox_add(s, &o), 0);
	free(payload);
}

/* What notify_deliver told its caller, attempt by attempt: "r-" failed, "r+" delivered. */
static void note_attempt(const char *channel, bool delivered, void *arg)
{
	struct strbuf *sb = arg;
	int r = 0;

	strbuf_addf(sb, &r, "%s%c ", channel, delivered ? '+' : '-');
}

static void test_deliver(void)
{
	struct strbuf attempts;
	char conf[1024], *got;
	struct notify_result res;
	struct store_outbox_summary sum;
	struct config *cfg;
	struct store *s = NULL;
	int64_t now = util_now();

	/* The receiver appends each msg it gets; it refuses while "down" exists. */
	write_file("recv.sh",
	           "#!/bin/sh\nd=$(dirname \"$0\")\n[ -e \"$d/down\" ] && { echo down; exit 1; }\n"
	           "echo \"$TWILIO_ALERTD_IDEMPOTENCY_KEY\" >> \"$d/recv.out\"\n",
	           0755);
	write_file("down", "", 0644);
	snprintf(conf, sizeof(conf), "[notify r]\ntype = exec\ncommand = %s/recv.sh\n", dir);
	cfg = load(conf);
	CHECK_INT(store_open(db_path, false, &s), 0);
	queue(s, "k1", "r", now - 10);
	queue(s, "k2", "r", now - 5);
	queue(s, "k1", "r", now - 5);    /* the same key and channel again: kept once */
	queue(s, "k3", "gone", now - 5); /* a channel no longer configured */
	CHECK_INT(q_int("SELECT count(*) FROM outbox"), 3);
	strbuf_init(&attempts, 256);
	CHECK_INT(notify_deliver(s, cfg, now, NULL, note_attempt, &attempts, &res), 0);
	CHECK_STR(attempts.buf ? attempts.buf : "", "r- ");
	CHECK_INT(res.delivered, 0);
	CHECK_INT(res.failed, 1); /* k1 tried and failed; k2 waits behind it */
	CHECK_INT(res.waiting, 1);
	CHECK_INT(res.unknown, 1);
	CHECK_INT(q_int("SELECT attempts FROM outbox WHERE idempotency_key = 'k1'"), 1);
	CHECK_INT(q_int("SELECT attempts FROM outbox WHERE idempotency_key = 'k2'"), 0);
	CHECK_INT(q_int("SELECT unixepoch(next_attempt) - unixepoch(last_attempt) FROM outbox"
	                " WHERE idempotency_key = 'k1'") >= NOTIFY_RETRY_FIRST,
	          1);
	CHECK_INT(store_outbox_summarize(s, NULL, &sum), 0);
	CHECK_INT(sum.pending, 3);
	CHECK_INT(sum.failing, 1);
	CHECK(strstr(sum.last_error, "exit status 1: down") != NULL);
	CHECK_STR(sum.last_error_channel, "r");
	/* Not due yet: nothing is attempted. */
	CHECK_INT(notify_deliver(s, cfg, now + 1, NULL, NULL, NULL, &res), 0);
	CHECK_INT(res.failed + res.delivered, 0);
	CHECK_INT(res.waiting, 2);
	/* Up again and due: both, in order, once. */
	unlink(strcat(strcpy(conf, dir), "/down"));
	CHECK_INT(notify_deliver(s, cfg, now + 3600 * 2, NULL, note_attempt, &attempts, &res), 0);
	CHECK_STR(attempts.buf ? attempts.buf : "", "r- r+ r+ ");
	strbuf_finish(&attempts);
	CHECK_INT(res.delivered, 2);
	got = read_all("recv.out");
	CHECK_STR(got, "k1\nk2\n");
	free(got);
	CHECK_INT(notify_deliver(s, cfg, now + 3600 * 3, NULL, NULL, NULL, &res), 0);
	CHECK_INT(res.delivered, 0);
	CHECK_INT(q_int("SELECT count(*) FROM outbox WHERE delivered IS NOT NULL"), 2);
	/* Delivered rows go with the retention, pending ones never do. */
	CHECK_INT(store_trigger_prune(s, now + 86400), 0);
	CHECK_INT(q_int("SELECT count(*) FROM outbox"), 1);
	store_close(s);
	config_free(cfg);
}

/*
 * A channel with a backlog longer than a delivery round (a mail server down
 * for a day) must not starve the channels after it in the outbox's order.
 */
static void test_backlog_does_not_starve(void)
{
	struct config *cfg = load("[notify a-down]\ntype = exec\ncommand = /bin/false\n"
	                          "[notify b-up]\ntype = exec\ncommand = /bin/true\n");
	struct notify_result res;
	struct store *s = NULL;
	int64_t now = util_now();
	char key[32];

	unlink(db_path);
	CHECK_INT(store_open(db_path, false, &s), 0);
	CHECK_INT(store_begin(s), 0);
	for (int i = 0; i < NOTIFY_BATCH + 5; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		queue(s, key, "a-down", now - 100);
	}
	queue(s, "kb", "b-up", now - 50);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(notify_deliver(s, cfg, now, NULL, NULL, NULL, &res), 0);
	CHECK_INT(res.failed, 1);
	CHECK_INT(res.delivered, 1);
	CHECK_INT(q_int("SELECT count(*) FROM outbox WHERE channel = 'b-up'"
	                " AND delivered IS NOT NULL"),
	          1);
	store_close(s);
	config_free(cfg);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(db_path, sizeof(db_path), "%s/alerts.db", dir);
	test_backoff_and_address();
	test_syslog_line();
	test_email();
	test_long_subject();
	test_exec();
	test_sendmail();
	test_syslog_socket();
	test_refused();
	test_deliver();
	test_backlog_does_not_starve();
	if (!getenv("KEEP_TEST_DIRS")) {
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return test_done();
}

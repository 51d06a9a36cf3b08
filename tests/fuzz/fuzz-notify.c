// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the notification renderers (notify-msg.c): the
 * email message, its body and the syslog line, for a notification whose
 * Twilio-derived parts come from the input (NUL-separated: the group, then
 * per example alert sid, account_sid, msg, request_method, request_url,
 * url). Checks: the email has the same header fields whatever the input
 * (CR and LF from the input never add or split one: the input with CR and
 * LF replaced by 'a' gives the same field names in order), every line
 * ends in CRLF, the body is quoted-printable (printable ASCII and tab, at
 * most 76 columns);
 * the syslog line holds no control character.
 */
#include <errno.h>

#include "fuzz.h"
#include "notify/notify.h"
#include "notify/notify-msg.h"

#define FUZZ_INPUT_MAX (64 * 1024)
#define EX_FIELDS 6
#define NF (1 + 4 * EX_FIELDS)

static char *to[] = {(char *)"ops <ops@example.com>"};
static struct config_notify chan = {.name = (char *)"mail",
                                    .type = CONFIG_NOTIFY_EMAIL,
                                    .from = (char *)"alertd@example.com",
                                    .to = to,
                                    .n_to = 1};

static json_t *note_of(const char *const *f, size_t n, int shape)
{
	static const char *const ex[EX_FIELDS] = {
	        "sid", "account_sid", "msg", "request_method", "request_url", "url"};
	static const char *const by[] = {"error_code", "account", "request_host", "resource_sid"};
	json_t *examples = json_array(), *accounts = json_array(), *note;

	for (size_t k = 1; k + EX_FIELDS <= n; k += EX_FIELDS) {
		json_t *e = json_object();

		for (size_t i = 0; i < EX_FIELDS; i++)
			json_object_set_new(e, ex[i], json_string(f[k + i]));
		json_object_set_new(e, "date_created", json_string("2026-01-02T03:04:05Z"));
		json_array_append_new(examples, e);
	}
	json_array_append_new(accounts, json_pack("{s:s, s:s, s:I}", "name", "main", "account_sid",
	                                          f[0], "count", (json_int_t)3));
	note = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:o, s:o,"
	                 " s:s, s:s}",
	                 "kind", shape & 1 ? "resolved" : "firing", "idempotency_key",
	                 "0123456789abcdef", "trigger", "errors", "group_by", by[shape / 2 % 4],
	                 "group", f[0], "severity", "warning", "count", (json_int_t)7, "threshold",
	                 (json_int_t)5, "window", "1h", "started", "2026-01-02T03:00:00Z", "at",
	                 "2026-01-02T03:04:05Z", "state", "firing", "examples", examples,
	                 "accounts", accounts, "host", "alerts.example.com", "database",
	                 "/var/lib/twilio-alertd/alerts.db");
	/* NULL when a field is not UTF-8: the agent's notes are jansson's, so always are. */
	return note;
}

/*
 * The names of @msg's header fields, in order, into @names (every line must
 * end in CRLF; a line that starts with a space or tab continues a field).
 */
static void header_names(const struct strbuf *msg, struct strbuf *names)
{
	size_t i = 0;

	while (i < msg->len) {
		const char *line = msg->buf + i, *nl = memchr(line, '\n', msg->len - i), *colon;
		size_t len;

		FUZZ_CHECK(nl && nl > line && nl[-1] == '\r', "a line without CRLF");
		len = (size_t)(nl - line) - 1;
		FUZZ_CHECK(!memchr(line, '\r', len), "a bare CR");
		if (len == 0) {
			i += 2;
			break;
		}
		if (line[0] != ' ' && line[0] != '\t') {
			colon = memchr(line, ':', len);
			FUZZ_CHECK(colon && colon > line, "header line without a name: %.*s",
			           (int)len, line);
			strbuf_append(names, line, (size_t)(colon - line) + 1);
		}
		i += len + 2;
	}
	/* The body: quoted-printable, printable ASCII, short lines. */
	for (size_t j = i, col = 0; j < msg->len; j++) {
		unsigned char c = (unsigned char)msg->buf[j];

		if (c == '\n') {
			col = 0;
			continue;
		}
		FUZZ_CHECK(c == '\r' || c == '\t' || (c >= 0x20 && c < 0x7f), "body byte 0x%02x",
		           c);
		FUZZ_CHECK(c == '\r' || ++col <= 76, "body line longer than 76");
	}
}

static void render(const char *const *f, size_t n, int shape, struct strbuf *names)
{
	struct config cfg = {.interval = 60,
	                     .database = (char *)"/var/lib/twilio-alertd/alerts.db"};
	json_t *note = note_of(f, n, shape);
	struct strbuf msg, body;
	char line[NOTIFY_SYSLOG_MAX];
	int r;

	if (!note)
		return;
	strbuf_init(&msg, NOTIFY_MESSAGE_MAX);
	strbuf_init(&body, NOTIFY_MESSAGE_MAX);
	r = notify_email(&cfg, &chan, note, true, &msg);
	FUZZ_CHECK(r == 0 || r == -EMSGSIZE, "notify_email %d", r);
	if (r == 0)
		header_names(&msg, names);
	r = notify_email_body(&cfg, note, &body);
	FUZZ_CHECK(r == 0 || r == -EMSGSIZE, "notify_email_body %d", r);
	notify_syslog_line(note, line, sizeof(line));
	for (const char *p = line; *p; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, "syslog byte 0x%02x",
		           (unsigned char)*p);
	strbuf_finish(&msg);
	strbuf_finish(&body);
	json_decref(note);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *f[NF], *g[NF];
	char *buf, *clean[NF];
	struct strbuf na, nb;
	int shape;
	size_t n;

	if (size < 1 || size > FUZZ_INPUT_MAX)
		return 0;
	shape = data[0];
	buf = fuzz_strndup(data + 1, size - 1);
	n = fuzz_fields(buf, size - 1, f, NF);
	for (size_t i = 0; i < NF; i++)
		g[i] = clean[i] = fuzz_defang(f[i], "\r\n");
	strbuf_init(&na, 4096);
	strbuf_init(&nb, 4096);
	render(f, n, shape, &na);
	render(g, n, shape, &nb);
	FUZZ_CHECK(na.len == nb.len && (!na.len || memcmp(na.buf, nb.buf, na.len) == 0),
	           "CR/LF from the input changes the header fields: %.*s vs %.*s", (int)na.len,
	           na.buf, (int)nb.len, nb.buf);
	strbuf_finish(&na);
	strbuf_finish(&nb);
	for (size_t i = 0; i < NF; i++)
		free(clean[i]);
	free(buf);
	return 0;
}

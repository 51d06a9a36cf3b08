// SPDX-License-Identifier: MIT
/*
 * What the channels send, rendered from the notification JSON stored in the
 * outbox: the syslog line, the email (RFC 5322 headers, RFC 2047 subject,
 * quoted-printable body a person can act on), the exec program's
 * environment, and the description that `triggers test` prints instead of
 * sending.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/log.h"
#include "notify/notify-msg.h"
#include "base/sign.h"
#include "base/util.h"
#include "version.h"

/* " (request_host api.example.com)": a group value is at most STORE_GROUP_MAX. */
#define GROUP_TEXT_MAX 512

static const char *str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

static long long num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* "FIRING", "STILL FIRING", "RESOLVED". */
static const char *headline(json_t *note)
{
	const char *kind = str(note, "kind");

	return strcmp(kind, "resolved") == 0 ? "RESOLVED"
	       : strcmp(kind, "repeat") == 0 ? "STILL FIRING"
	                                     : "FIRING";
}

/* A text cut by snprintf may end inside a UTF-8 character: drop that part. */
static void trim_cut_char(char *s)
{
	size_t n = strlen(s), i = n;

	while (i > 0 && n - i < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i > 0 && (unsigned char)s[i - 1] >= 0xc0) {
		unsigned char lead = (unsigned char)s[i - 1];
		size_t len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;

		if (n - (i - 1) < len)
			s[i - 1] = '\0';
	}
}

/* " (error_code 11200)" or "" when the trigger has no group_by. */
static void group_text(json_t *note, char *out, size_t size)
{
	const char *group = json_string_value(json_object_get(note, "group"));
	const char *by = str(note, "group_by");

	if (!group) {
		out[0] = '\0';
		return;
	}
	/* An account group is its SID; name the section too when the window has it. */
	if (strcmp(by, "account") == 0) {
		json_t *a;
		size_t i;

		json_array_foreach(json_object_get(note, "accounts"), i, a)
		{
			if (strcmp(str(a, "account_sid"), group) == 0 &&
			    json_string_value(json_object_get(a, "name"))) {
				snprintf(out, size, " (account %s %s)", str(a, "name"), group);
				trim_cut_char(out);
				return;
			}
		}
	}
	snprintf(out, size, " (%s %s)", by, group);
	trim_cut_char(out);
}

int notify_syslog_line(json_t *note, char *out, size_t size)
{
	const char *kind = str(note, "kind"), *sev = str(note, "severity");
	bool resolved = strcmp(kind, "resolved") == 0;
	char group[GROUP_TEXT_MAX], raw[NOTIFY_SYSLOG_MAX];

	group_text(note, group, sizeof(group));
	snprintf(raw, sizeof(raw),
	         "trigger %s%s %s: %lld alert%s %s threshold %lld in %s (severity %s, since %s,"
	         " key %s)",
	         str(note, "trigger"), group, headline(note), num(note, "count"),
	         num(note, "count") == 1 ? "" : "s", resolved ? "<" : ">=", num(note, "threshold"),
	         str(note, "window"), sev, str(note, "started"), str(note, "idempotency_key"));
	/*
	 * No control character or invalid UTF-8 may reach the log, whatever a
	 * group (a resource_sid, say) holds: escaped as in the agent's own log.
	 */
	log_escape(raw, out, size);
	if (resolved)
		return LOG_NOTICE;
	return strcmp(sev, "critical") == 0 ? LOG_CRIT
	       : strcmp(sev, "info") == 0   ? LOG_INFO
	                                    : LOG_WARNING;
}

int notify_address(const char *v, char *out, size_t size)
{
	const char *lt = strchr(v, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	const char *start = lt ? lt + 1 : v, *end = gt ? gt : v + strlen(v);
	size_t len;

	if (lt && !gt)
		return -EINVAL;
	while (start < end && isspace((unsigned char)*start))
		start++;
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	len = (size_t)(end - start);
	if (!len || len >= size || !memchr(start, '@', len))
		return -EINVAL;
	for (const char *p = start; p < end; p++)
		if ((unsigned char)*p <= 0x20 || *p == '<' || *p == '>')
			return -EINVAL;
	memcpy(out, start, len);
	out[len] = '\0';
	return 0;
}

/* Quote @v for a POSIX shell's double quotes. */
static void put_shell_quoted(struct strbuf *sb, int *r, const char *v)
{
	strbuf_addf(sb, r, "\"");
	for (const char *p = v; *p && !*r; p++) {
		if (strchr("\\\"$`", *p))
			strbuf_addf(sb, r, "\\");
		strbuf_addf(sb, r, "%c", *p);
	}
	strbuf_addf(sb, r, "\"");
}

int notify_email_body(const struct config *cfg, json_t *note, struct strbuf *out)
{
	const char *kind = str(note, "kind");
	json_t *codes = json_object_get(note, "top_error_codes");
	json_t *examples = json_object_get(note, "examples"), *v;
	long long count = num(note, "count"), threshold = num(note, "threshold");
	char group[GROUP_TEXT_MAX];
	int r = 0;
	size_t i;

	group_text(note, group, sizeof(group));
	if (strcmp(kind, "resolved") == 0) {
		strbuf_addf(out, &r, "Trigger %s%s has RESOLVED at %s.\n\n", str(note, "trigger"),
		            group, str(note, "at"));
		strbuf_addf(out, &r,
		            "%lld matching alert%s in the last %s, under the threshold of %lld.\n"
		            "It was firing since %s.\n",
		            count, count == 1 ? "" : "s", str(note, "window"), threshold,
		            str(note, "started"));
	} else {
		strbuf_addf(out, &r, "Trigger %s%s is %s (severity %s) at %s.\n\n",
		            str(note, "trigger"), group,
		            strcmp(kind, "repeat") == 0 ? "STILL FIRING" : "FIRING",
		            str(note, "severity"), str(note, "at"));
		strbuf_addf(out, &r,
		            "%lld matching alert%s in the last %s: the threshold is %lld.\n"
		            "Firing since %s%s.\n",
		            count, count == 1 ? "" : "s", str(note, "window"), threshold,
		            str(note, "started"), strcmp(kind, "repeat") == 0 ? " (reminder)" : "");
	}
	if (json_array_size(json_object_get(note, "accounts"))) {
		strbuf_addf(out, &r, "Account%s:",
		            json_array_size(json_object_get(note, "accounts")) > 1 ? "s" : "");
		json_array_foreach(json_object_get(note, "accounts"), i, v)
		{
			if (json_string_value(json_object_get(v, "name")))
				strbuf_addf(out, &r, " %s (%s)", str(v, "name"),
				            str(v, "account_sid"));
			else
				strbuf_addf(out, &r, " %s", str(v, "account_sid"));
		}
		strbuf_addf(out, &r, "\n");
	}
	if (json_array_size(codes)) {
		strbuf_addf(out, &r, "\nTop error codes:\n");
		json_array_foreach(codes, i, v)
		{
			if (json_is_integer(json_object_get(v, "code")))
				strbuf_addf(out, &r, "  %-6lld %6lld alert%s  %s\n", num(v, "code"),
				            num(v, "count"), num(v, "count") == 1 ? " " : "s",
				            str(v, "url"));
			else
				strbuf_addf(out, &r, "  (none) %6lld alert%s\n", num(v, "count"),
				            num(v, "count") == 1 ? " " : "s");
		}
	}
	if (json_array_size(examples)) {
		strbuf_addf(out, &r, "\n%s alerts (%zu of %lld):\n",
		            strcmp(kind, "resolved") == 0 ? "Remaining" : "Latest",
		            json_array_size(examples), count);
		json_array_foreach(examples, i, v)
		{
			json_t *code = json_object_get(v, "error_code");
			char code_text[32] = "-";

			if (json_is_integer(code))
				snprintf(code_text, sizeof(code_text), "%lld",
				         (long long)json_integer_value(code));
			strbuf_addf(out, &r, "  %s  %s  %s\n", str(v, "date_created"), code_text,
			            str(v, "msg"));
			if (*str(v, "request_url"))
				strbuf_addf(out, &r, "      %s %s\n", str(v, "request_method"),
				            str(v, "request_url"));
			strbuf_addf(out, &r, "      %s\n", str(v, "sid"));
		}
	}
	strbuf_addf(out, &r,
	            "\nEvery alert of this window, newest first:\n  sqlite3 -readonly -box ");
	put_shell_quoted(out, &r,
	                 *str(note, "database") || !cfg ? str(note, "database") : cfg->database);
	strbuf_addf(out, &r, " \\\n    ");
	put_shell_quoted(out, &r, str(note, "query"));
	strbuf_addf(out, &r, "\n\nThe state of every trigger: twilio-alertd triggers list\n");
	strbuf_addf(out, &r, "Idempotency key: %s\n", str(note, "idempotency_key"));
	strbuf_addf(out, &r, "\n-- \ntwilio-alertd %s on %s\n", str(note, "agent_version"),
	            str(note, "host"));
	return r;
}

/* Date: in RFC 5322 form, in UTC, independent of the locale. */
static void rfc5322_date(int64_t t, char *out, size_t size)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	snprintf(out, size, "%.3s, %02d %.3s %04d %02d:%02d:%02d +0000", days + 3 * tm.tm_wday,
	         tm.tm_mday, months + 3 * tm.tm_mon, tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	         tm.tm_sec);
}

static void base64(const unsigned char *in, size_t len, char *out)
{
	static const char tab[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		out[o++] = tab[in[i] >> 2];
		out[o++] = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		out[o++] = tab[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		out[o++] = tab[in[i + 2] & 63];
	}
	if (i < len) {
		out[o++] = tab[in[i] >> 2];
		if (i + 1 < len) {
			out[o++] = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			out[o++] = tab[(in[i + 1] & 15) << 2];
		} else {
			out[o++] = tab[(in[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	out[o] = '\0';
}

/*
 * Subject: as RFC 2047 encoded words when it holds anything but printable
 * ASCII, each word at most 75 characters and never splitting a UTF-8
 * character, folded onto continuation lines.
 */
static void put_subject(struct strbuf *sb, int *r, const char *subject, const char *eol)
{
	const unsigned char *p = (const unsigned char *)subject;
	bool plain = true;
	char enc[80];

	for (const unsigned char *q = p; *q; q++)
		if (*q < 0x20 || *q > 0x7e)
			plain = false;
	if (plain && strlen(subject) <= 900) {
		strbuf_addf(sb, r, "Subject: %s%s", subject, eol);
		return;
	}
	strbuf_addf(sb, r, "Subject:");
	/*
	 * 45 bytes give 60 base64 characters: 73 with " =?UTF-8?B?...?=" on a
	 * continuation line; the first line also holds "Subject:", so 42 there.
	 */
	/* A character cut at the end (a subject cut to fit) is dropped, never read past. */
	for (size_t max = 42, left = strlen(subject); left && !*r; max = 45) {
		size_t n = 0;

		while (n < left && n < max) {
			size_t len = p[n] < 0x80 ? 1 : p[n] >= 0xf0 ? 4 : p[n] >= 0xe0 ? 3 : 2;

			if (n + len > left)
				left = n;
			else if (n + len <= max)
				n += len;
			else
				break;
		}
		if (!n)
			break;
		base64(p, n, enc);
		strbuf_addf(sb, r, " =?UTF-8?B?%s?=%s", enc, n < left ? eol : "");
		p += n;
		left -= n;
	}
	strbuf_addf(sb, r, "%s", eol);
}

/* Quoted-printable (RFC 2045) of @text, LF-separated lines, each output line <= 76. */
static void put_qp(struct strbuf *sb, int *r, const char *text, const char *eol)
{
	size_t col = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p && !*r; p++) {
		char tok[4];
		bool line_end = p[1] == '\n' || p[1] == '\0';

		if (*p == '\n') {
			strbuf_addf(sb, r, "%s", eol);
			col = 0;
			continue;
		}
		if ((*p >= 33 && *p <= 126 && *p != '=') ||
		    ((*p == ' ' || *p == '\t') && !line_end))
			snprintf(tok, sizeof(tok), "%c", *p);
		else
			snprintf(tok, sizeof(tok), "=%02X", *p);
		if (col + strlen(tok) > 75) {
			strbuf_addf(sb, r, "=%s", eol);
			col = 0;
		}
		strbuf_addf(sb, r, "%s", tok);
		col += strlen(tok);
	}
}

static void put_list_header(struct strbuf *sb, int *r, const char *name, char **list, size_t n,
                            const char *eol)
{
	if (!n)
		return;
	strbuf_addf(sb, r, "%s: ", name);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(sb, r, "%s%s", i ? "," : "", list[i]);
	strbuf_addf(sb, r, "%s", eol);
}

/*
 * The message of notify_email; @decoded (for `triggers test`) writes the
 * Subject and the body as a person reads them, not as they are encoded.
 */
static int email_message(const struct config *cfg, const struct config_notify *n, json_t *note,
                         const char *eol, bool decoded, struct strbuf *out)
{
	const char *key = str(note, "idempotency_key");
	char date[64], hash[SIGN_SHA256_HEX_LEN], host[256] = "", subject[1024],
	                                          group[GROUP_TEXT_MAX];
	struct strbuf body;
	int64_t at = 0;
	int r = 0;

	strbuf_init(&body, NOTIFY_MESSAGE_MAX);
	util_parse_time(str(note, "at"), &at);
	rfc5322_date(at, date, sizeof(date));
	if (sign_sha256_hex(key, strlen(key), hash) < 0)
		return -EIO;
	/* A Message-ID of letters, digits, '.' and '-' only: the host name may hold anything. */
	snprintf(host, sizeof(host), "%s", str(note, "host"));
	for (char *p = host; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			*p = '-';
	group_text(note, group, sizeof(group));
	snprintf(subject, sizeof(subject), "[twilio-alertd] %s: %s%s %lld %s %lld in %s",
	         headline(note), str(note, "trigger"), group, num(note, "count"),
	         strcmp(str(note, "kind"), "resolved") == 0 ? "<" : "\u2265",
	         num(note, "threshold"), str(note, "window"));
	trim_cut_char(subject);
	strbuf_addf(out, &r, "Date: %s%s", date, eol);
	strbuf_addf(out, &r, "From: %s%s", n->from, eol);
	put_list_header(out, &r, "To", n->to, n->n_to, eol);
	put_list_header(out, &r, "Cc", n->cc, n->n_cc, eol);
	if (decoded)
		strbuf_addf(out, &r, "Subject: %s%s", subject, eol);
	else
		put_subject(out, &r, subject, eol);
	/* The same notification on the same channel keeps its Message-ID: mail readers merge
	 * repeats. */
	strbuf_addf(out, &r, "Message-ID: <%.32s.%s@%s>%s", hash, n->name,
	            host[0] ? host : "localhost", eol);
	strbuf_addf(out, &r, "MIME-Version: 1.0%s", eol);
	strbuf_addf(out, &r, "Content-Type: text/plain; charset=UTF-8%s", eol);
	strbuf_addf(out, &r, "Content-Transfer-Encoding: quoted-printable%s", eol);
	strbuf_addf(out, &r, "Auto-Submitted: auto-generated%s", eol);
	strbuf_addf(out, &r, "X-Alertd-Idempotency-Key: %s%s", key, eol);
	strbuf_addf(out, &r, "%s", eol);
	if (r == 0)
		r = notify_email_body(cfg, note, &body);
	if (decoded)
		strbuf_addf(out, &r, "%s", body.buf ? body.buf : "");
	else
		put_qp(out, &r, body.buf ? body.buf : "", eol);
	strbuf_finish(&body);
	return r;
}

int notify_email(const struct config *cfg, const struct config_notify *n, json_t *note, bool crlf,
                 struct strbuf *out)
{
	return email_message(cfg, n, note, crlf ? "\r\n" : "\n", false, out);
}

static const char *const types[] = {"syslog", "email", "exec", "webhook"};

/* NAME=value into @env[*@n] (allocated). */
static int add_env(char **env, size_t *n, const char *name, const char *value)
{
	if (asprintf(&env[*n], "TWILIO_ALERTD_%s=%s", name, value ? value : "") < 0)
		return -ENOMEM;
	(*n)++;
	return 0;
}

/*
 * The program's environment is built from nothing: the agent's own may hold
 * TWILIO_AUTH_TOKEN and the like.
 */
int notify_exec_env(const struct config_notify *n, json_t *note, char **env)
{
	static const char *const fields[] = {"kind",  "trigger",  "group",
	                                     "state", "severity", "started",
	                                     "at",    "window",   "idempotency_key"};
	static const char *const numbers[][2] = {{"COUNT", "count"},
	                                         {"THRESHOLD", "threshold"},
	                                         {"WINDOW_SECONDS", "window_seconds"}};
	char upper[32], numbuf[32];
	size_t k = 0;
	int r = 0;

	_Static_assert(1 + ARRAY_SIZE(fields) + ARRAY_SIZE(numbers) + 2 == NOTIFY_EXEC_ENV_MAX,
	               "NOTIFY_EXEC_ENV_MAX is the number of variables");
	env[k] = strdup("PATH=" NOTIFY_EXEC_PATH);
	r = env[k++] ? 0 : -ENOMEM;
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(fields); i++) {
		size_t j;

		for (j = 0; fields[i][j] && j + 1 < sizeof(upper); j++)
			upper[j] = (char)(fields[i][j] >= 'a' && fields[i][j] <= 'z'
			                          ? fields[i][j] - 32
			                          : fields[i][j]);
		upper[j] = '\0';
		r = add_env(env, &k, upper, json_string_value(json_object_get(note, fields[i])));
	}
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(numbers); i++) {
		snprintf(numbuf, sizeof(numbuf), "%lld",
		         (long long)json_integer_value(json_object_get(note, numbers[i][1])));
		r = add_env(env, &k, numbers[i][0], numbuf);
	}
	if (r == 0)
		r = add_env(env, &k, "CHANNEL", n->name);
	if (r == 0)
		r = add_env(env, &k, "SCHEMA_VERSION", "1");
	env[k] = NULL;
	if (r < 0) {
		for (size_t i = 0; i < k; i++)
			free(env[i]);
		env[0] = NULL;
		return r;
	}
	return (int)k;
}

int notify_describe(FILE *f, const struct config *cfg, const struct config_notify *n,
                    const char *payload)
{
	json_t *note = json_loads(payload, 0, NULL);
	char line[NOTIFY_SYSLOG_MAX], addr[320], *env[NOTIFY_EXEC_ENV_MAX + 1];
	struct strbuf msg;
	int r = 0;

	strbuf_init(&msg, NOTIFY_MESSAGE_MAX);
	if (!note)
		return -EINVAL;
	fprintf(f, "  via [notify %s] (type %s):\n", n->name, types[n->type]);
	switch (n->type) {
	case CONFIG_NOTIFY_SYSLOG:
		r = notify_syslog_line(note, line, sizeof(line));
		fprintf(f, "    syslog facility %s, ident %s, priority %d:\n    %s\n", n->facility,
		        n->ident, r, line);
		r = 0;
		break;
	case CONFIG_NOTIFY_EMAIL:
		if (n->sendmail)
			fprintf(f, "    through %s -i -f ADDRESS -- RECIPIENTS\n", n->sendmail);
		else
			fprintf(f, "    through %s (STARTTLS %s%s)\n", n->url,
			        n->starttls == CONFIG_STARTTLS_REQUIRED   ? "required"
			        : n->starttls == CONFIG_STARTTLS_OPTIONAL ? "optional"
			                                                  : "off",
			        n->username ? ", with AUTH" : "");
		if (notify_address(n->from, addr, sizeof(addr)) == 0)
			fprintf(f, "    envelope from <%s>\n", addr);
		r = email_message(cfg, n, note, "\n", true, &msg);
		if (r == 0) {
			/* Sent as RFC 2047 and quoted-printable; shown as they read. */
			fprintf(f, "    ---- message (Subject and body decoded) ----\n");
			fputs(msg.buf, f);
			fprintf(f, "    ---- end of message ----\n");
		}
		break;
	case CONFIG_NOTIFY_EXEC:
		fprintf(f, "    run");
		for (char **a = n->argv; a && *a; a++)
			fprintf(f, " %s", *a);
		fprintf(f,
		        " (timeout %llds), the notification JSON above on stdin,\n"
		        "    with this environment and nothing else:\n",
		        (long long)n->timeout);
		r = notify_exec_env(n, note, env);
		for (int i = 0; i < r; i++) {
			fprintf(f, "      %s\n", env[i]);
			free(env[i]);
		}
		r = r < 0 ? r : 0;
		break;
	case CONFIG_NOTIFY_WEBHOOK:
		fprintf(f,
		        "    POST to the url of [notify %s] (timeout %llds), the notification JSON"
		        " above as the body,\n    X-Alertd-Signature: HMAC-SHA256 of the body "
		        "under secret_file,"
		        "\n    X-Alertd-Idempotency-Key: %s\n",
		        n->name, (long long)n->timeout, str(note, "idempotency_key"));
		break;
	}
	strbuf_finish(&msg);
	json_decref(note);
	return r;
}

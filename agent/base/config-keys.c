// SPDX-License-Identifier: MIT
/*
 * Configuration keys: one table of keys per section kind, and the
 * interpretation of a raw value by its key's kind (durations, ranges, lists,
 * regular expressions, secret files). Secret values are read here and never
 * copied into a problem line or a log.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/config-keys.h"
#include "base/config-private.h"
#include "base/log.h"
#include "base/util.h"

/* One table per section kind, one line per key where it fits. */
/* clang-format off */
#define AG(f) offsetof(struct config, f)
static const struct key agent_keys[] = {
	[AG_DATABASE] = {"database", K_STR, AG(database)},
	[AG_INTERVAL] = {"interval", K_DUR, AG(interval), .min = 10, .max = DAY,
			 .hint = "poll at least daily, well inside Twilio's 30 days"},
	[AG_RETENTION] = {"retention", K_DUR, AG(retention), .min = DAY, .max = 30 * DAY,
			  .hint = "Twilio keeps alerts for 30 days only"},
	[AG_OVERLAP] = {"overlap", K_DUR, AG(overlap)},
	[AG_LISTEN] = {"listen", K_RAW},
	[AG_HTTP_TIMEOUT] = {"http_timeout", K_DUR, AG(http_timeout), .min = 1, .max = 600},
	[AG_RETRIES] = {"max_retries", K_INT, AG(max_retries), .max = 20},
	[AG_LISTEN_USER] = {"listen_user", K_STR, AG(listen_user)},
	[AG_LISTEN_PASSWORD_FILE] = {"listen_password_file", K_SECRET, AG(listen_password)},
};

#define AC(f) offsetof(struct config_account, f)
static const struct key account_keys[] = {
	[AC_SID] = {"account_sid", K_RAW, .req = T_ALL},
	[AC_TOKEN] = {"auth_token", K_RAW},
	[AC_TOKEN_FILE] = {"auth_token_file", K_RAW},
	[AC_KEY_SID] = {"api_key_sid", K_RAW},
	[AC_KEY_SECRET] = {"api_key_secret", K_RAW},
	[AC_KEY_SECRET_FILE] = {"api_key_secret_file", K_RAW},
	[AC_API_BASE] = {"api_base", K_RAW},
	[AC_LOG_LEVEL] = {"log_level", K_LEVEL, AC(log_level)},
	[AC_FETCH] = {"fetch_details", K_BOOL, AC(fetch_details)},
	[AC_WEBHOOK] = {"webhook", K_BOOL, AC(webhook)},
	[AC_PUBLIC_URL] = {"public_url", K_RAW},
	[AC_WEBHOOK_TOKEN_FILE] = {"webhook_auth_token_file", K_SECRET, AC(webhook_token)},
	[AC_PARENT] = {"parent_account", K_STR, AC(parent_account)},
};

#define TR(f) offsetof(struct config_trigger, f)
static const struct key trigger_keys[] = {
	[TR_CODE] = {"error_code", K_CODES, TR(error_codes), TR(n_error_codes)},
	[TR_LEVEL] = {"log_level", K_LEVEL, TR(log_level)},
	[TR_ACCOUNT] = {"account", K_LIST, TR(accounts), TR(n_accounts)},
	[TR_TEXT] = {"text", K_REGEX, TR(text)},
	[TR_HOST] = {"request_host", K_STR, TR(request_host)},
	[TR_WHERE] = {"where", K_STR, TR(where)},
	[TR_THRESHOLD] = {"threshold", K_INT, TR(threshold), .min = 1},
	[TR_WINDOW] = {"window", K_DUR, TR(window), .min = 60},
	[TR_GROUP_BY] = {"group_by", K_ENUM, TR(group_by),
			 .words = "|error_code|account|request_host|resource_sid"},
	[TR_FOR] = {"for", K_DUR, TR(for_)},
	[TR_REPEAT] = {"repeat", K_DUR, TR(repeat)},
	[TR_RESOLVE] = {"resolve", K_BOOL, TR(resolve)},
	[TR_SEVERITY] = {"severity", K_ENUM, TR(severity), .words = "info|warning|critical"},
	[TR_NOTIFY] = {"notify", K_LIST, TR(notify), TR(n_notify), .req = T_ALL},
};

#define NO(f) offsetof(struct config_notify, f)
static const struct key notify_keys[] = {
	[NO_TYPE] = {"type", K_RAW},
	[NO_TIMEOUT] = {"timeout", K_DUR, NO(timeout), .min = 1, .max = 600,
			.types = T_EMAIL | T_EXEC | T_WEBHOOK},
	[NO_COMMAND] = {"command", K_ARGV, NO(argv), .types = T_EXEC, .req = T_EXEC},
	[NO_URL] = {"url", K_RAW, .types = T_EMAIL | T_WEBHOOK, .req = T_WEBHOOK},
	[NO_SENDMAIL] = {"sendmail", K_PATH, NO(sendmail), .types = T_EMAIL},
	[NO_STARTTLS] = {"starttls", K_ENUM, NO(starttls), .words = "required|optional|no",
			 .types = T_EMAIL},
	[NO_FROM] = {"from", K_STR, NO(from), .types = T_EMAIL, .req = T_EMAIL},
	[NO_TO] = {"to", K_LIST, NO(to), NO(n_to), .types = T_EMAIL, .req = T_EMAIL},
	[NO_CC] = {"cc", K_LIST, NO(cc), NO(n_cc), .types = T_EMAIL},
	[NO_USERNAME] = {"username", K_STR, NO(username), .types = T_EMAIL},
	[NO_PASSWORD_FILE] = {"password_file", K_SECRET, NO(password), .types = T_EMAIL},
	[NO_SECRET_FILE] = {"secret_file", K_SECRET, NO(secret), .types = T_WEBHOOK,
			    .req = T_WEBHOOK},
	[NO_FACILITY] = {"facility", K_WORD, NO(facility), .types = T_SYSLOG,
			 .words = "daemon|user|local0|local1|local2|local3|local4|local5|local6|"
				  "local7"},
	[NO_IDENT] = {"ident", K_STR, NO(ident), .types = T_SYSLOG},
};

/* clang-format on */

/* In the order of enum sect_kind. */
const struct sect_def sect_defs[] = {
        [SECT_AGENT] = {"agent", agent_keys, ARRAY_SIZE(agent_keys)},
        [SECT_ACCOUNT] = {"account", account_keys, ARRAY_SIZE(account_keys)},
        [SECT_TRIGGER] = {"trigger", trigger_keys, ARRAY_SIZE(trigger_keys)},
        [SECT_NOTIFY] = {"notify", notify_keys, ARRAY_SIZE(notify_keys)},
};

_Static_assert(ARRAY_SIZE(trigger_keys) <= MAX_KEYS && ARRAY_SIZE(notify_keys) <= MAX_KEYS,
               "a section has more keys than struct section holds");

/* The index of @v among the '|'-separated @words, or -1. */
int word_index(const char *words, const char *v)
{
	size_t len = strlen(v);

	for (int i = 0;; i++) {
		size_t n = strcspn(words, "|");

		if (n == len && strncmp(words, v, len) == 0)
			return i;
		if (!words[n])
			return -1;
		words += n + 1;
	}
}

/* A duration in its largest whole unit, as a user would write it. */
void fmt_dur(int64_t s, char *buf, size_t size)
{
	static const int64_t units[] = {DAY, 3600, 60, 1};
	size_t i = 0;

	while (units[i] > 1 && (s == 0 || s % units[i]))
		i++;
	snprintf(buf, size, "%lld%c", (long long)(s / units[i]), "dhms"[i]);
}

static bool parse_int(const char *v, int64_t *out)
{
	char *end;

	if (!isdigit((unsigned char)v[*v == '-']))
		return false;
	errno = 0;
	*out = strtoll(v, &end, 10);
	return !errno && !*end;
}

/*
 * Split @v at any of @seps into a NULL-terminated array of trimmed items.
 * Empty items are skipped with @skip_empty, else they are an error.
 * Returns 0, -EINVAL (an empty item) or -ENOMEM.
 */
static int split(const char *v, const char *seps, bool skip_empty, char ***out, size_t *n_out)
{
	char *copy = strdup(v), **items = calloc(strlen(v) + 2, sizeof(char *));
	size_t n = 0;
	int r = -ENOMEM;

	if (!copy || !items)
		goto out;
	for (char *p = copy, *next; p; p = next) {
		size_t len = strcspn(p, seps);
		char *item;

		next = p[len] ? p + len + 1 : NULL;
		p[len] = '\0';
		item = util_trim(p);
		if (!*item && skip_empty)
			continue;
		if (!*item) {
			r = -EINVAL;
			goto out;
		}
		if (!(items[n++] = strdup(item)))
			goto out;
	}
	*out = items;
	*n_out = n;
	items = NULL;
	r = 0;
out:
	free_strv(items);
	free(copy);
	return r;
}

/*
 * Read the secret in file @path (named by @key) into *@dst. A file that
 * others may read or write is refused: its content would not stay a secret.
 */
static void read_secret(struct loader *ld, const char *key, const char *path, int line, char **dst)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int r = 0;

	if (stat(path, &st) < 0)
		problem(ld, line, "%s %s: cannot read: %s", key, path, strerror(errno));
	else if (st.st_mode & 007)
		problem(ld, line, "%s %s is %s by others (mode %04o); chmod 600 or 640", key, path,
		        st.st_mode & 004 ? "readable" : "writable", (unsigned)(st.st_mode & 07777));
	else
		r = util_read_file(path, CONFIG_SECRET_MAX, &buf, &len);
	if (r == -ENOMEM)
		ld->err = r;
	else if (r == -EFBIG)
		problem(ld, line, "%s %s is larger than %d bytes", key, path, CONFIG_SECRET_MAX);
	else if (r < 0)
		problem(ld, line, "%s %s: cannot read: %s", key, path, strerror(-r));
	if (!buf)
		return;
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	if (len == 0 || strlen(buf) != len) {
		problem(ld, line, "%s %s is %s", key, path, len ? "not text" : "empty");
		explicit_bzero(buf, len);
		free(buf);
		return;
	}
	wipe(*dst);
	*dst = buf;
}

/* Interpret one value by its key's kind, into the struct at @base. */
static void parse_value(struct loader *ld, const struct key *k, const char *v, int line, void *base)
{
	void *dst = (char *)base + k->off, *count = (char *)base + k->off2;
	char buf[128], lo[32], hi[32];
	char **list = NULL;
	size_t items = 0;
	regex_t re;
	int64_t n;
	int r;

	if (!*v && k->kind != K_RAW && k->kind != K_LEVEL && k->kind != K_ENUM &&
	    ((k->kind != K_LIST && k->kind != K_CODES) || k->req)) {
		problem(ld, line, "%s is empty", k->name);
		return;
	}
	switch (k->kind) {
	case K_RAW:
		break;
	case K_PATH:
	case K_STR:
		if (k->kind == K_PATH && *v != '/')
			problem(ld, line, "%s must be an absolute path", k->name);
		else
			set_str(ld, dst, v);
		break;
	case K_LEVEL:
		if (*v && word_index(LEVELS, v) < 0)
			problem(ld, line, "%s '%s' is not one of %s", k->name, v, LEVELS);
		else if (*v)
			set_str(ld, dst, v);
		break;
	case K_DUR:
	case K_INT:
		if (k->kind == K_DUR ? util_parse_duration(v, &n) < 0 : !parse_int(v, &n)) {
			problem(ld, line, "%s '%s' is not %s", k->name, v,
			        k->kind == K_DUR ? "a duration like 30s, 10m, 1h or 30d"
			                         : "an integer");
			break;
		}
		/* A bare number could mean seconds or minutes: only 0 needs no unit. */
		if (k->kind == K_DUR && n != 0 && isdigit((unsigned char)v[strlen(v) - 1])) {
			problem(ld, line, "%s %s has no unit: write %ss (seconds), %sm, %sh or %sd",
			        k->name, v, v, v, v, v);
			break;
		}
		if (k->kind == K_DUR) {
			fmt_dur(k->min, lo, sizeof(lo));
			fmt_dur(k->max, hi, sizeof(hi));
		} else {
			snprintf(lo, sizeof(lo), "%lld", (long long)k->min);
			snprintf(hi, sizeof(hi), "%lld", (long long)k->max);
		}
		if (n < k->min)
			problem(ld, line, "%s %s is less than the minimum %s", k->name, v, lo);
		else if (k->max && n > k->max)
			problem(ld, line, "%s %s is more than the maximum %s%s%s", k->name, v, hi,
			        k->hint ? ": " : "", k->hint ? k->hint : "");
		else
			*(int64_t *)dst = n;
		break;
	case K_BOOL:
		r = word_index("no|yes|false|true|0|1|off|on", v);
		if (r < 0)
			problem(ld, line, "%s '%s' is not yes or no", k->name, v);
		else
			*(bool *)dst = r % 2;
		break;
	case K_ENUM:
	case K_WORD:
		r = word_index(k->words, v);
		if (r < 0)
			problem(ld, line, "%s '%s' is not one of %s%s", k->name, v,
			        k->words + (*k->words == '|'), *k->words == '|' ? " or empty" : "");
		else if (k->kind == K_ENUM)
			*(int *)dst = r;
		else
			set_str(ld, dst, v);
		break;
	case K_LIST:
	case K_CODES:
	case K_ARGV:
		if (!*v)
			break;
		r = split(v, k->kind == K_ARGV ? " \t" : ",", k->kind == K_ARGV, &list, &items);
		if (r == -ENOMEM) {
			ld->err = r;
		} else if (r < 0) {
			problem(ld, line, "%s has an empty item", k->name);
		} else if (k->kind == K_ARGV && (!items || list[0][0] != '/')) {
			problem(ld, line, "%s must start with an absolute path (there is no shell)",
			        k->name);
		} else if (k->kind == K_CODES) {
			int64_t *codes = calloc(items, sizeof(*codes));
			size_t i = 0;

			while (codes && i < items && parse_int(list[i], &codes[i]) && codes[i] >= 0)
				i++;
			if (!codes)
				ld->err = -ENOMEM;
			else if (i < items)
				problem(ld, line, "%s '%s' is not an error code", k->name, list[i]);
			else
				*(size_t *)count = items;
			*(int64_t **)dst = i < items ? NULL : codes;
			if (i < items)
				free(codes);
		} else {
			*(char ***)dst = list;
			if (k->kind == K_LIST)
				*(size_t *)count = items;
			list = NULL;
		}
		break;
	case K_REGEX:
		r = regcomp(&re, v, REG_EXTENDED | REG_NOSUB);
		if (r == 0) {
			regfree(&re);
			set_str(ld, dst, v);
			break;
		}
		regerror(r, &re, buf, sizeof(buf));
		problem(ld, line, "%s is not a valid extended regular expression: %s", k->name,
		        buf);
		break;
	case K_SECRET:
		read_secret(ld, k->name, v, line, dst);
		break;
	}
	free_strv(list);
}

/* Interpret every value of @s by its table; @types selects [notify] keys. */
void apply_keys(struct loader *ld, struct section *s, void *base, unsigned types, const char *type)
{
	const struct sect_def *def = &sect_defs[s->kind];

	for (size_t i = 0; i < def->n_keys; i++) {
		const struct key *k = &def->keys[i];

		if (!s->val[i] && (k->req & types))
			problem(ld, s->line, "%s needs %s", s->label, k->name);
		else if (s->val[i] && k->types && types && !(k->types & types))
			problem(ld, s->vline[i], "key '%s' is not valid for type = %s", k->name,
			        type);
		else if (s->val[i])
			parse_value(ld, k, s->val[i], s->vline[i], base);
	}
}

/* The account's secret from key @idx: a file, or (discouraged) the value itself. */
void take_secret(struct loader *ld, struct section *s, int idx, struct config_account *a)
{
	const char *key = account_keys[idx].name, *v = s->val[idx];
	int line = s->vline[idx], r = 0;

	free(a->secret_source);
	a->secret_source = NULL;
	if (idx == AC_TOKEN_FILE || idx == AC_KEY_SECRET_FILE) {
		read_secret(ld, key, v, line, &a->secret);
		if (a->secret)
			r = asprintf(&a->secret_source, "file %s", v);
	} else if (!*v) {
		problem(ld, line, "%s is empty", key);
	} else if (ld->mode & 007) {
		problem(ld, line,
		        "%s is written in %s, which is %s by others (mode %04o); use "
		        "%s_file, or chmod 600 or 640 %s",
		        key, ld->path, ld->mode & 004 ? "readable" : "writable",
		        (unsigned)(ld->mode & 07777), key, ld->path);
	} else {
		if (!ld->warned_inline)
			log_warnx("%s:%d: %s is written in the configuration file; "
			          "%s_file is better",
			          ld->path, line, key, key);
		ld->warned_inline = true;
		set_str(ld, &a->secret, v);
		r = asprintf(&a->secret_source, "%s in %s:%d", key, ld->path, line);
	}
	if (r < 0) {
		a->secret_source = NULL;
		ld->err = -ENOMEM;
	}
}

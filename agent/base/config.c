// SPDX-License-Identifier: MIT
/*
 * Configuration loading. inih splits the file into key = value pairs; each
 * section's raw values are kept with their line numbers and interpreted once
 * the whole file is read (key order never matters) through one table of keys
 * per section kind. Every problem becomes one "FILE:LINE: ..." line; secret
 * values are read here and never copied into a problem line or a log.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/config.h"
#include "base/log.h"
#include "base/util.h"

#define DAY 86400
#define MAX_KEYS 16

enum sect_kind { SECT_AGENT, SECT_ACCOUNT, SECT_TRIGGER, SECT_NOTIFY };

enum kind {
	K_RAW,   /* interpreted by the section's own code */
	K_STR,   /* non-empty string */
	K_PATH,  /* absolute path */
	K_LEVEL, /* a Twilio LogLevel; empty = any */
	K_DUR,   /* duration in seconds, min..max (max 0 = no upper limit) */
	K_INT,   /* integer, min..max (max 0 = no upper limit) */
	K_BOOL,
	K_ENUM,   /* one of words, stored as its index into an enum */
	K_WORD,   /* one of words, stored as a string */
	K_LIST,   /* comma list: NULL-terminated char ** at off, size_t count at off2 */
	K_CODES,  /* comma list of integers: int64_t * at off, size_t count at off2 */
	K_REGEX,  /* POSIX ERE, kept as text */
	K_ARGV,   /* command split on blanks, argv[0] absolute */
	K_SECRET, /* path of a file holding a secret; the content goes to off */
};

#define T_SYSLOG (1u << CONFIG_NOTIFY_SYSLOG)
#define T_EMAIL (1u << CONFIG_NOTIFY_EMAIL)
#define T_EXEC (1u << CONFIG_NOTIFY_EXEC)
#define T_WEBHOOK (1u << CONFIG_NOTIFY_WEBHOOK)
#define T_ALL (T_SYSLOG | T_EMAIL | T_EXEC | T_WEBHOOK)

struct key {
	const char *name;
	enum kind kind;
	size_t off, off2;
	int64_t min, max;
	const char *words;
	unsigned types;   /* [notify] types that accept the key; 0 = any */
	unsigned req;     /* types that require it (T_ALL outside [notify]) */
	const char *hint; /* why the range is what it is */
};

/* One table per section kind, one line per key where it fits. */
/* clang-format off */
/* Choices are '|'-separated, in the order of their enum; a leading '|' allows "". */
#define LEVELS "error|warning|notice|debug"
#define NOTIFY_TYPES "syslog|email|exec|webhook"

enum { AG_DATABASE, AG_INTERVAL, AG_RETENTION, AG_OVERLAP, AG_LISTEN, AG_HTTP_TIMEOUT, AG_RETRIES,
       AG_LISTEN_USER, AG_LISTEN_PASSWORD_FILE };
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

enum { AC_SID, AC_TOKEN, AC_TOKEN_FILE, AC_KEY_SID, AC_KEY_SECRET, AC_KEY_SECRET_FILE, AC_API_BASE,
       AC_LOG_LEVEL, AC_FETCH, AC_WEBHOOK, AC_PUBLIC_URL, AC_WEBHOOK_TOKEN_FILE, AC_PARENT };
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

enum { TR_CODE, TR_LEVEL, TR_ACCOUNT, TR_TEXT, TR_HOST, TR_WHERE, TR_THRESHOLD, TR_WINDOW,
       TR_GROUP_BY, TR_FOR, TR_REPEAT, TR_RESOLVE, TR_SEVERITY, TR_NOTIFY };
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

enum { NO_TYPE, NO_TIMEOUT, NO_COMMAND, NO_URL, NO_SENDMAIL, NO_STARTTLS, NO_FROM, NO_TO, NO_CC,
       NO_USERNAME, NO_PASSWORD_FILE, NO_SECRET_FILE, NO_FACILITY, NO_IDENT };
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

struct sect_def {
	const char *word;
	const struct key *keys;
	size_t n_keys;
};

/* In the order of enum sect_kind. */
#define SECTIONS "agent|account|trigger|notify"
static const struct sect_def sect_defs[] = {
        [SECT_AGENT] = {"agent", agent_keys, ARRAY_SIZE(agent_keys)},
        [SECT_ACCOUNT] = {"account", account_keys, ARRAY_SIZE(account_keys)},
        [SECT_TRIGGER] = {"trigger", trigger_keys, ARRAY_SIZE(trigger_keys)},
        [SECT_NOTIFY] = {"notify", notify_keys, ARRAY_SIZE(notify_keys)},
};

_Static_assert(ARRAY_SIZE(trigger_keys) <= MAX_KEYS && ARRAY_SIZE(notify_keys) <= MAX_KEYS,
               "a section has more keys than struct section holds");

/* One section as written: its raw values (comment stripped) and their lines. */
struct section {
	enum sect_kind kind;
	char *name; /* "" for [agent] */
	char label[INI_MAX_LINE + 2];
	int line;
	char *val[MAX_KEYS];
	int vline[MAX_KEYS];
};

struct loader {
	const char *path; /* for messages; NULL in environment mode */
	FILE *f;
	char iobuf[4096]; /* f's buffer: the file may hold secrets, wiped at the end */
	char *buf;
	size_t bufsize;
	int lineno;
	mode_t mode;
	struct section *sects;
	size_t n_sects;
	struct section *cur; /* where keys go; NULL before any section or after a bad one */
	bool bad_section;    /* keys after a rejected header are ignored, not reported */
	bool warned_inline;
	int err; /* -ENOMEM, sticky */
	struct config_problems *problems;
	size_t first; /* this load's first problem */
	int *plines;  /* and the line of each of this load's problems */
};

__attribute__((format(printf, 3, 4))) static void problem(struct loader *ld, int line,
                                                          const char *fmt, ...);

static void problem(struct loader *ld, int line, const char *fmt, ...)
{
	struct config_problems *p = ld->problems;
	size_t mine = p->n - ld->first, i = mine;
	char msg[512], at[16] = "", *s, **lines;
	int *plines;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line each, whatever a quoted value or SQLite's message holds (fuzz-config). */
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (line > 0)
		snprintf(at, sizeof(at), ":%d", line);
	if (ld->path ? asprintf(&s, "%s%s: %s", ld->path, at, msg) < 0 : !(s = strdup(msg))) {
		ld->err = -ENOMEM;
		return;
	}
	lines = realloc(p->lines, (p->n + 1) * sizeof(*lines));
	if (lines)
		p->lines = lines;
	plines = realloc(ld->plines, (mine + 1) * sizeof(*plines));
	if (plines)
		ld->plines = plines;
	if (!lines || !plines) {
		free(s);
		ld->err = -ENOMEM;
		return;
	}
	/* Keep this load's problems in file order, whichever check found them. */
	while (i > 0 && plines[i - 1] > line)
		i--;
	lines += ld->first;
	memmove(&lines[i + 1], &lines[i], (mine - i) * sizeof(*lines));
	memmove(&plines[i + 1], &plines[i], (mine - i) * sizeof(*plines));
	lines[i] = s;
	plines[i] = line;
	p->n++;
}

static void set_str(struct loader *ld, char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s) {
		ld->err = -ENOMEM;
		return;
	}
	free(*dst);
	*dst = s;
}

static void wipe(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* The index of @v among the '|'-separated @words, or -1. */
static int word_index(const char *words, const char *v)
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
static void fmt_dur(int64_t s, char *buf, size_t size)
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

static bool is_sid(const char *v, const char *prefix)
{
	size_t i = 2;

	/* The prefix first: a value shorter than it must not be read past its end (fuzz-config). */
	if (strncmp(v, prefix, 2) != 0)
		return false;
	while (i < 34 && isxdigit((unsigned char)v[i]))
		i++;
	return i == 34 && !v[i];
}

static bool is_loopback(const char *host)
{
	struct in_addr a;

	if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
		return true;
	return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

/* Whether the host of a valid listen value is a loopback address. */
static bool listen_is_loopback(const char *v)
{
	char host[INI_MAX_LINE];
	size_t n = v[0] == '[' ? strcspn(v + 1, "]") : strcspn(v, ":");

	snprintf(host, sizeof(host), "%.*s", (int)n, v + (v[0] == '['));
	return is_loopback(host);
}

/* HOST:PORT, or [IPv6]:PORT, with a port of 1..65535. */
static bool valid_listen(const char *v)
{
	char host[INI_MAX_LINE], extra;
	struct in6_addr a6;
	unsigned port;
	int at = 0;

	if (sscanf(v, v[0] == '[' ? "[%199[0-9A-Fa-f:.]]:%n%5u%c" : "%199[0-9A-Za-z.-]:%n%5u%c",
	           host, &at, &port, &extra) != 2)
		return false;
	if (v[0] == '[' && inet_pton(AF_INET6, host, &a6) != 1)
		return false;
	return isdigit((unsigned char)v[at]) && port >= 1 && port <= 65535;
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
static void apply_keys(struct loader *ld, struct section *s, void *base, unsigned types,
                       const char *type)
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
static void take_secret(struct loader *ld, struct section *s, int idx, struct config_account *a)
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

static void check_api_base(struct loader *ld, const char *v, int line, struct config_account *a)
{
	bool http = strncmp(v, "http://", 7) == 0;
	char host[256];
	size_t len;

	if (!http && strncmp(v, "https://", 8) != 0)
		problem(ld, line,
		        "api_base must start with https:// (or http:// to a local simulator)");
	else if (strpbrk(v, "@?# \t") || util_url_host(v, host, sizeof(host)) < 0)
		problem(ld, line,
		        "api_base must be https://HOST[:PORT], without '@', '?', '#' or blanks");
	else if (http && !is_loopback(host))
		problem(ld, line,
		        "api_base http://%s would send the credentials over the network "
		        "in clear; use https:// (http:// is only for 127.0.0.1, localhost or "
		        "[::1])",
		        host);
	else
		set_str(ld, &a->api_base, v);
	len = a->api_base ? strlen(a->api_base) : 0;
	while (len > 0 && a->api_base[len - 1] == '/')
		a->api_base[--len] = '\0';
}

/*
 * The Debugger webhook receiver: Twilio signs with the account's auth token
 * over the URL set in its Console, so both must be known; with API key
 * credentials the token comes from a file of its own.
 */
static void check_webhook(struct loader *ld, struct section *s, bool apikey,
                          struct config_account *a)
{
	const char *url = s->val[AC_PUBLIC_URL];
	char host[256];

	if (url && ((strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) ||
	            strpbrk(url, " \t#") || util_url_host(url, host, sizeof(host)) < 0))
		problem(ld, s->vline[AC_PUBLIC_URL],
		        "public_url must be the full http(s):// URL set for the Debugger webhook "
		        "in Twilio's Console");
	else if (url)
		set_str(ld, &a->public_url, url);
	if (!a->webhook)
		return;
	if (!url)
		problem(ld, s->vline[AC_WEBHOOK],
		        "webhook = yes needs public_url: the exact URL set for the Debugger webhook "
		        "in Twilio's Console (e.g. https://alerts.example.com/twilio/debugger)");
	if (!a->webhook_token && apikey)
		problem(ld, s->vline[AC_WEBHOOK],
		        "webhook = yes with API key credentials needs webhook_auth_token_file: "
		        "Twilio signs the webhook with the account's auth token");
	else if (!a->webhook_token && a->secret)
		set_str(ld, &a->webhook_token, a->secret);
}

static void build_account(struct loader *ld, struct section *s, struct config_account *a)
{
	char **val = s->val;
	int *vl = s->vline, last = 0, choices;
	bool apikey = val[AC_KEY_SID] || val[AC_KEY_SECRET] || val[AC_KEY_SECRET_FILE];

	a->line = s->line;
	set_str(ld, &a->name, s->name);
	set_str(ld, &a->api_base, CONFIG_DEFAULT_API_BASE);
	apply_keys(ld, s, a, T_ALL, NULL);
	if (val[AC_SID] && !is_sid(val[AC_SID], "AC"))
		problem(ld, vl[AC_SID], "account_sid is not an account SID (AC and 32 hex digits)");
	else if (val[AC_SID])
		set_str(ld, &a->account_sid, val[AC_SID]);
	if (val[AC_API_BASE])
		check_api_base(ld, val[AC_API_BASE], vl[AC_API_BASE], a);

	/* Exactly one credential; a conflict is reported on the last line involved. */
	for (int i = AC_TOKEN; i <= AC_KEY_SECRET_FILE; i++)
		last = val[i] && vl[i] > last ? vl[i] : last;
	choices = !!val[AC_TOKEN] + !!val[AC_TOKEN_FILE] + apikey;
	if (choices == 0)
		problem(ld, s->line,
		        "%s has no credential: set auth_token_file (or auth_token, "
		        "or api_key_sid with api_key_secret_file)",
		        s->label);
	else if (choices > 1 || (val[AC_KEY_SECRET] && val[AC_KEY_SECRET_FILE]))
		problem(ld, last,
		        "%s has more than one credential: keep one of auth_token, "
		        "auth_token_file, api_key_sid + api_key_secret(_file)",
		        s->label);
	else if (apikey && !val[AC_KEY_SID])
		problem(ld, last, "%s needs api_key_sid",
		        val[AC_KEY_SECRET] ? "api_key_secret" : "api_key_secret_file");
	else if (apikey && !is_sid(val[AC_KEY_SID], "SK"))
		problem(ld, vl[AC_KEY_SID],
		        "api_key_sid is not an API key SID (SK and 32 hex digits)");
	else if (apikey && !val[AC_KEY_SECRET] && !val[AC_KEY_SECRET_FILE])
		problem(ld, vl[AC_KEY_SID],
		        "api_key_sid needs api_key_secret_file or api_key_secret");
	else if (apikey)
		set_str(ld, &a->username, val[AC_KEY_SID]);
	else if (a->account_sid)
		set_str(ld, &a->username, a->account_sid);
	/* Every secret named is read, so that a missing file is reported with the rest. */
	for (int i = AC_TOKEN; i <= AC_KEY_SECRET_FILE; i++)
		if (i != AC_KEY_SID && val[i])
			take_secret(ld, s, i, a);
	check_webhook(ld, s, apikey, a);
}

/* The value is never echoed: a webhook URL often carries a token of its own. */
static void check_url(struct loader *ld, struct section *s, const char *scheme,
                      struct config_notify *n)
{
	const char *v = s->val[NO_URL];
	size_t len = strlen(scheme);
	char host[256];

	if (strncmp(v, scheme, len) != 0 ||
	    (strncmp(v + len, "://", 3) != 0 && strncmp(v + len, "s://", 4) != 0) ||
	    strpbrk(v, " \t") || util_url_host(v, host, sizeof(host)) < 0)
		problem(ld, s->vline[NO_URL], "url must start with %s:// or %ss:// and a host",
		        scheme, scheme);
	else if (strchr(v, '@'))
		problem(ld, s->vline[NO_URL], "url must not carry credentials%s",
		        n->type == CONFIG_NOTIFY_EMAIL ? "; use username and password_file" : "");
	else
		set_str(ld, &n->url, v);
}

static void build_notify(struct loader *ld, struct section *s, struct config_notify *n)
{
	const char *type = s->val[NO_TYPE];
	char **val = s->val, host[256];
	int *vl = s->vline, t = type ? word_index(NOTIFY_TYPES, type) : -1;

	n->line = s->line;
	n->timeout = 10;
	n->starttls = CONFIG_STARTTLS_REQUIRED;
	n->type = t < 0 ? CONFIG_NOTIFY_SYSLOG : (enum config_notify_type)t;
	set_str(ld, &n->name, s->name);
	set_str(ld, &n->facility, "daemon");
	set_str(ld, &n->ident, "twilio-alertd");
	if (!type)
		problem(ld, s->line, "%s needs type = %s", s->label, NOTIFY_TYPES);
	else if (t < 0)
		problem(ld, vl[NO_TYPE], "type '%s' is not one of %s", type, NOTIFY_TYPES);
	apply_keys(ld, s, n, t < 0 ? 0 : 1u << t, type);
	if (t == CONFIG_NOTIFY_WEBHOOK && val[NO_URL])
		check_url(ld, s, "http", n);
	if (t != CONFIG_NOTIFY_EMAIL)
		return;
	if (!val[NO_URL] == !val[NO_SENDMAIL])
		problem(ld, val[NO_URL] ? vl[NO_URL] : s->line,
		        "%s needs either url = smtp(s)://HOST:PORT or sendmail = /PATH, not %s",
		        s->label, val[NO_URL] ? "both" : "neither");
	else if (val[NO_URL])
		check_url(ld, s, "smtp", n);
	if (val[NO_STARTTLS] && (!val[NO_URL] || strncmp(val[NO_URL], "smtp://", 7) != 0))
		problem(ld, vl[NO_STARTTLS], "starttls applies only to url = smtp://");
	else if (val[NO_USERNAME] && n->url && strncmp(n->url, "smtp://", 7) == 0 &&
	         n->starttls != CONFIG_STARTTLS_REQUIRED &&
	         util_url_host(n->url, host, sizeof(host)) == 0 && !is_loopback(host))
		problem(ld, vl[NO_STARTTLS],
		        "username with starttls = %s could send the password in clear to %s; use "
		        "starttls = required, or url = smtps://",
		        val[NO_STARTTLS], host);
	if (!val[NO_USERNAME] != !val[NO_PASSWORD_FILE])
		problem(ld, vl[val[NO_USERNAME] ? NO_USERNAME : NO_PASSWORD_FILE],
		        "username and password_file go together");
}

static void build_trigger(struct loader *ld, struct config *cfg, struct section *s,
                          struct config_trigger *t)
{
	char lim[32];

	t->line = s->line;
	t->threshold = 1;
	t->window = 300;
	t->resolve = true;
	t->severity = CONFIG_SEVERITY_WARNING;
	set_str(ld, &t->name, s->name);
	apply_keys(ld, s, t, T_ALL, NULL);
	fmt_dur(cfg->retention, lim, sizeof(lim));
	if (t->window > cfg->retention)
		problem(ld, s->vline[TR_WINDOW], "window %s is longer than retention (%s)",
		        s->val[TR_WINDOW], lim);
	if (t->where && ld->problems->check_where) {
		char why[256] = "it is not valid";
		int r = ld->problems->check_where(t->where, why, sizeof(why));

		if (r == -ENOMEM)
			ld->err = r;
		else if (r < 0)
			problem(ld, s->vline[TR_WHERE], "%s where is refused: %s", s->label, why);
	}
	for (size_t i = 0; i < t->n_accounts; i++)
		if (!config_find_account(cfg, t->accounts[i]))
			problem(ld, s->vline[TR_ACCOUNT], "unknown account '%s' (no [account %s])",
			        t->accounts[i], t->accounts[i]);
	for (size_t i = 0; i < t->n_notify; i++) {
		size_t j = 0;

		/* A name is NULL only after an allocation failed (ld->err is set then). */
		while (j < cfg->n_notifies &&
		       (!cfg->notifies[j].name || strcmp(cfg->notifies[j].name, t->notify[i]) != 0))
			j++;
		if (j == cfg->n_notifies)
			problem(ld, s->vline[TR_NOTIFY], "unknown notify '%s' (no [notify %s])",
			        t->notify[i], t->notify[i]);
	}
}

/* parent_account names another [account] section (whose pushes may carry this one's alerts). */
static void check_parent(struct loader *ld, const struct config *cfg, struct section *s,
                         const struct config_account *a)
{
	const struct config_account *p = config_find_account(cfg, a->parent_account);

	if (!a->parent_account)
		return;
	if (!p)
		problem(ld, s->vline[AC_PARENT], "unknown account '%s' (no [account %s])",
		        a->parent_account, a->parent_account);
	else if (p == a)
		problem(ld, s->vline[AC_PARENT], "parent_account names this section itself");
	else if (p->account_sid && a->account_sid && strcmp(p->account_sid, a->account_sid) == 0)
		problem(ld, s->vline[AC_PARENT],
		        "parent_account [account %s] has the same account_sid", a->parent_account);
}

static void build_agent(struct loader *ld, struct config *cfg, struct section *s)
{
	const char *listen = s->val[AG_LISTEN];
	char lim[32];

	apply_keys(ld, s, cfg, T_ALL, NULL);
	if (listen && *listen && !valid_listen(listen))
		problem(ld, s->vline[AG_LISTEN],
		        "listen '%s' is not HOST:PORT with a port of "
		        "1..65535 (IPv6 as [::1]:8790; empty = off)",
		        listen);
	else if (listen && *listen)
		set_str(ld, &cfg->listen, listen);
	else if (listen) {
		free(cfg->listen);
		cfg->listen = NULL;
	}
	if (!cfg->listen_user != !cfg->listen_password)
		problem(ld, s->vline[cfg->listen_user ? AG_LISTEN_USER : AG_LISTEN_PASSWORD_FILE],
		        "listen_user and listen_password_file go together");
	else if (cfg->listen && !cfg->listen_user && !listen_is_loopback(cfg->listen))
		problem(ld, s->vline[AG_LISTEN],
		        "listen %s is not a loopback address: set listen_user and "
		        "listen_password_file, so that the status page asks for a password",
		        cfg->listen);
	fmt_dur(cfg->retention, lim, sizeof(lim));
	if (cfg->overlap > cfg->retention)
		problem(ld, s->vline[AG_OVERLAP], "overlap %s is longer than retention (%s)",
		        s->val[AG_OVERLAP], lim);
}

/* Build the configuration from the sections read, in dependency order. */
static void build(struct loader *ld, struct config *cfg)
{
	size_t n[4] = {0}, k[4] = {0};

	for (size_t i = 0; i < ld->n_sects; i++)
		n[ld->sects[i].kind]++;
	cfg->accounts = calloc(n[SECT_ACCOUNT] + 1, sizeof(*cfg->accounts));
	cfg->triggers = calloc(n[SECT_TRIGGER] + 1, sizeof(*cfg->triggers));
	cfg->notifies = calloc(n[SECT_NOTIFY] + 1, sizeof(*cfg->notifies));
	if (!cfg->accounts || !cfg->triggers || !cfg->notifies) {
		ld->err = -ENOMEM;
		return;
	}
	cfg->n_accounts = n[SECT_ACCOUNT];
	cfg->n_triggers = n[SECT_TRIGGER];
	cfg->n_notifies = n[SECT_NOTIFY];
	for (size_t i = 0; i < ld->n_sects; i++) {
		struct section *s = &ld->sects[i];

		if (s->kind == SECT_AGENT)
			build_agent(ld, cfg, s);
		else if (s->kind == SECT_ACCOUNT)
			build_account(ld, s, &cfg->accounts[k[SECT_ACCOUNT]++]);
		else if (s->kind == SECT_NOTIFY)
			build_notify(ld, s, &cfg->notifies[k[SECT_NOTIFY]++]);
	}
	for (size_t i = 0, j = 0; i < ld->n_sects; i++)
		if (ld->sects[i].kind == SECT_ACCOUNT)
			check_parent(ld, cfg, &ld->sects[i], &cfg->accounts[j++]);
	/* Triggers last: they refer to accounts, channels and the retention. */
	for (size_t i = 0; i < ld->n_sects; i++)
		if (ld->sects[i].kind == SECT_TRIGGER)
			build_trigger(ld, cfg, &ld->sects[i], &cfg->triggers[k[SECT_TRIGGER]++]);
	/*
	 * No [account] at all is not a problem here: it is the packaged default
	 * before anyone configured it. check-config warns, once and run refuse
	 * (daemon_require_accounts).
	 */
}

/* A "[kind NAME]" line (@line is changed): start a section or say why not. */
static void open_section(struct loader *ld, char *line)
{
	static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                                 "0123456789-_.";
	char word[INI_MAX_LINE], name[INI_MAX_LINE] = "", extra, *end = strchr(line, ']');
	struct section *s, *dup = NULL;
	int n = 0, kind = -1;

	ld->cur = NULL;
	ld->bad_section = true;
	if (end) {
		*end++ = '\0';
		end += strspn(end, " \t");
		n = sscanf(line + 1, "%199s %199s %c", word, name, &extra);
		kind = n > 0 ? word_index(SECTIONS, word) : -1;
	}
	/* By index: ld->sects is NULL before the first section, and NULL + 0 is undefined. */
	for (size_t i = 0; kind >= 0 && i < ld->n_sects; i++)
		if (ld->sects[i].kind == (enum sect_kind)kind &&
		    strcmp(ld->sects[i].name, name) == 0)
			dup = &ld->sects[i];
	if (n < 1 || n > 2 || (*end && *end != '#' && *end != ';')) {
		problem(ld, ld->lineno,
		        "a section header is [kind] or [kind NAME], alone on its line");
	} else if (kind < 0) {
		problem(ld, ld->lineno, "unknown section [%s] (agent, account, trigger or notify)",
		        line + 1);
	} else if (kind == SECT_AGENT && n == 2) {
		problem(ld, ld->lineno, "[agent] takes no name");
	} else if (kind != SECT_AGENT && n == 1) {
		problem(ld, ld->lineno, "[%s] needs a name: [%s NAME]", word, word);
	} else if (name[strspn(name, name_chars)]) {
		problem(ld, ld->lineno,
		        "section name '%s' may use only letters, digits, '-', '_' and '.'", name);
	} else if (dup) {
		problem(ld, ld->lineno, "duplicate section %s (first on line %d)", dup->label,
		        dup->line);
	} else if (!(s = realloc(ld->sects, (ld->n_sects + 1) * sizeof(*s)))) {
		ld->err = -ENOMEM;
	} else {
		ld->sects = s;
		s = memset(&s[ld->n_sects], 0, sizeof(*s));
		s->kind = (enum sect_kind)kind;
		s->line = ld->lineno;
		snprintf(s->label, sizeof(s->label), "[%s%s%s]", word, n > 1 ? " " : "", name);
		if (!(s->name = strdup(name))) {
			ld->err = -ENOMEM;
			return;
		}
		ld->n_sects++;
		ld->cur = s;
		ld->bad_section = false;
	}
}

/*
 * inih's reader: one line per call, so ld->lineno is the line of the key the
 * handler sees. Leading blanks go (Debian's inih would take an indented key
 * for the continuation of the previous value); headers, over-long lines and
 * lines inih would reject are handled here, so that every one is reported.
 */
static char *reader(char *str, int num, void *stream)
{
	struct loader *ld = stream;
	ssize_t n = getline(&ld->buf, &ld->bufsize, ld->f);
	char *p = ld->buf;
	size_t i = 0;
	bool nul;

	if (n < 0)
		return NULL;
	ld->lineno++;
	nul = strlen(p) != (size_t)n;
	if (ld->lineno == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	p = util_trim(p);
	/* inih's own test for a pair: '=' or ':' before any inline "; comment". */
	while (p[i] && !strchr("=:", p[i]) &&
	       !(i && p[i] == ';' && isblank((unsigned char)p[i - 1])))
		i++;
	*str = '\0';
	if (nul)
		problem(ld, ld->lineno, "line contains a NUL byte");
	else if (strlen(p) >= (size_t)num)
		problem(ld, ld->lineno, "line too long (more than %d characters)", num - 1);
	else if (*p == '[')
		open_section(ld, p);
	else if (*p && *p != '#' && *p != ';' && !p[i])
		problem(ld, ld->lineno, "expected 'key = value', '[section]' or a comment");
	else if (*p && *p != '#' && *p != ';')
		memcpy(str, p, strlen(p) + 1);
	return str;
}

/*
 * Strip a "# comment" (a '#' that starts the value or follows a blank) and
 * the blanks before it; the start does not move, inih removed those blanks.
 */
static void strip_comment(char *v)
{
	char *c = v;

	while (*c && !(*c == '#' && (c == v || isspace((unsigned char)c[-1]))))
		c++;
	*c = '\0';
	util_trim(v);
}

/* inih's handler: file the raw value under its section; it is read later. */
static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct loader *ld = user;
	struct section *s = ld->cur;
	const struct sect_def *def = s ? &sect_defs[s->kind] : NULL;
	size_t i = 0;

	while (def && i < def->n_keys && strcmp(def->keys[i].name, name) != 0)
		i++;
	if (ld->bad_section)
		return 1;
	if (!s)
		problem(ld, ld->lineno, "key '%s' before any [section]", name);
	else if (i == def->n_keys)
		problem(ld, ld->lineno, "unknown key '%s' in %s", name, s->label);
	else if (s->val[i])
		problem(ld, ld->lineno, "duplicate key '%s' in %s (first on line %d)", name,
		        s->label, s->vline[i]);
	else if (!(s->val[i] = strdup(value)))
		ld->err = -ENOMEM;
	else {
		strip_comment(s->val[i]);
		s->vline[i] = ld->lineno;
	}
	return 1;
}

static void parse_file(struct loader *ld, struct config *cfg)
{
	struct stat st;
	int r;

	ld->f = fopen(ld->path, "re");
	if (!ld->f) {
		problem(ld, 0, "cannot open: %s", strerror(errno));
		return;
	}
	setvbuf(ld->f, ld->iobuf, _IOFBF, sizeof(ld->iobuf));
	if (fstat(fileno(ld->f), &st) == 0)
		ld->mode = st.st_mode;
	r = ini_parse_stream(reader, ld, handler, ld);
	if (ferror(ld->f))
		problem(ld, 0, "cannot read: %s", strerror(errno));
	else if (r < 0)
		ld->err = -ENOMEM;
	/* The reader hands inih only lines it can parse: this is a safety net. */
	else if (r > 0)
		problem(ld, r, "syntax error");
	if (!ld->err && !ferror(ld->f))
		build(ld, cfg);
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/*
 * Without a configuration file: one account "default" from TWILIO_* and
 * defaults for the rest. TWILIO_ALERTD_DATABASE, honoured only in this
 * mode, moves the database (a file says database = instead).
 */
static void load_env(struct loader *ld, struct config *cfg)
{
	const char *sid = env("TWILIO_ACCOUNT_SID"), *token = env("TWILIO_AUTH_TOKEN");
	const char *key = env("TWILIO_API_KEY"), *secret = env("TWILIO_API_SECRET");
	const char *db = env("TWILIO_ALERTD_DATABASE");
	struct config_account *a;

	if (!token && !(key && secret)) {
		problem(ld, 0,
		        "no configuration file %s and no TWILIO_ACCOUNT_SID/"
		        "TWILIO_AUTH_TOKEN in the environment",
		        CONFIG_DEFAULT_PATH);
		return;
	}
	if (!sid) {
		problem(ld, 0,
		        "%s is set but TWILIO_ACCOUNT_SID is not: it names the account to watch",
		        token ? "TWILIO_AUTH_TOKEN" : "TWILIO_API_KEY");
		return;
	}
	if (!is_sid(sid, "AC"))
		problem(ld, 0, "TWILIO_ACCOUNT_SID is not an account SID (AC and 32 hex digits)");
	if (!token && !is_sid(key, "SK"))
		problem(ld, 0, "TWILIO_API_KEY is not an API key SID (SK and 32 hex digits)");
	cfg->accounts = calloc(1, sizeof(*cfg->accounts));
	if (!cfg->accounts) {
		ld->err = -ENOMEM;
		return;
	}
	cfg->n_accounts = 1;
	a = &cfg->accounts[0];
	set_str(ld, &a->name, "default");
	set_str(ld, &a->account_sid, sid);
	set_str(ld, &a->username, token ? sid : key);
	set_str(ld, &a->secret, token ? token : secret);
	set_str(ld, &a->secret_source, token ? "env TWILIO_AUTH_TOKEN" : "env TWILIO_API_SECRET");
	set_str(ld, &a->api_base, CONFIG_DEFAULT_API_BASE);
	if (db)
		set_str(ld, &cfg->database, db);
}

static void loader_finish(struct loader *ld)
{
	for (size_t i = 0; i < ld->n_sects; i++) {
		for (size_t j = 0; j < MAX_KEYS; j++)
			wipe(ld->sects[i].val[j]);
		free(ld->sects[i].name);
	}
	free(ld->sects);
	free(ld->plines);
	if (ld->buf)
		explicit_bzero(ld->buf, ld->bufsize);
	free(ld->buf);
	if (ld->f)
		fclose(ld->f);
	explicit_bzero(ld->iobuf, sizeof(ld->iobuf));
}

int config_load(const char *path, struct config **out, struct config_problems *problems)
{
	struct loader ld = {.problems = problems, .first = problems->n};
	struct config *cfg = calloc(1, sizeof(*cfg));
	struct stat st;
	int r = -ENOMEM;

	if (!cfg)
		goto out;
	cfg->interval = 60;
	cfg->retention = 30 * DAY;
	cfg->overlap = 600;
	cfg->http_timeout = 30;
	cfg->max_retries = 5;
	set_str(&ld, &cfg->database, CONFIG_DEFAULT_DATABASE);
	set_str(&ld, &cfg->listen, CONFIG_DEFAULT_LISTEN);
	if (!path && stat(CONFIG_DEFAULT_PATH, &st) < 0 && errno == ENOENT) {
		load_env(&ld, cfg);
	} else {
		ld.path = path ? path : CONFIG_DEFAULT_PATH;
		set_str(&ld, &cfg->path, ld.path);
		parse_file(&ld, cfg);
	}
	r = ld.err ? ld.err : problems->n > ld.first ? -EINVAL : 0;
	if (r == 0) {
		*out = cfg;
		cfg = NULL;
	}
out:
	loader_finish(&ld);
	config_free(cfg);
	return r;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; cfg->accounts && i < cfg->n_accounts; i++) {
		struct config_account *a = &cfg->accounts[i];

		free(a->name);
		free(a->account_sid);
		free(a->username);
		wipe(a->secret);
		free(a->secret_source);
		free(a->api_base);
		free(a->log_level);
		free(a->public_url);
		wipe(a->webhook_token);
		free(a->parent_account);
	}
	for (size_t i = 0; cfg->triggers && i < cfg->n_triggers; i++) {
		struct config_trigger *t = &cfg->triggers[i];

		free(t->name);
		free(t->error_codes);
		free(t->log_level);
		free_strv(t->accounts);
		free(t->text);
		free(t->request_host);
		free(t->where);
		free_strv(t->notify);
	}
	for (size_t i = 0; cfg->notifies && i < cfg->n_notifies; i++) {
		struct config_notify *n = &cfg->notifies[i];

		free(n->name);
		free_strv(n->argv);
		free(n->url);
		free(n->from);
		free_strv(n->to);
		free_strv(n->cc);
		free(n->username);
		wipe(n->password);
		free(n->sendmail);
		wipe(n->secret);
		free(n->facility);
		free(n->ident);
	}
	free(cfg->accounts);
	free(cfg->triggers);
	free(cfg->notifies);
	free(cfg->path);
	free(cfg->database);
	free(cfg->listen);
	free(cfg->listen_user);
	wipe(cfg->listen_password);
	free(cfg);
}

void config_problems_finish(struct config_problems *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->lines[i]);
	free(p->lines);
	p->lines = NULL;
	p->n = 0;
}

const struct config_account *config_find_account(const struct config *cfg, const char *name)
{
	for (size_t i = 0; cfg && name && i < cfg->n_accounts; i++)
		if (cfg->accounts[i].name && strcmp(cfg->accounts[i].name, name) == 0)
			return &cfg->accounts[i];
	return NULL;
}

// SPDX-License-Identifier: MIT
/*
 * Configuration loading. inih splits the file into key = value pairs; each
 * section's raw values are kept with their line numbers and interpreted once
 * the whole file is read (key order never matters) through one table of keys
 * per section kind (config-keys.c), then each section is built and checked
 * (config-check.c). Every problem becomes one "FILE:LINE: ..." line; secret
 * values are never copied into a problem line or a log.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/config-check.h"
#include "base/config-keys.h"
#include "base/config-private.h"
#include "base/util.h"

void problem(struct loader *ld, int line, const char *fmt, ...)
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
	if (UTIL_GROW(p->lines, p->cap, p->n + 1) < 0 ||
	    UTIL_GROW(ld->plines, ld->cap_plines, mine + 1) < 0) {
		free(s);
		ld->err = -ENOMEM;
		return;
	}
	lines = p->lines;
	plines = ld->plines;
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

void set_str(struct loader *ld, char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s) {
		ld->err = -ENOMEM;
		return;
	}
	free(*dst);
	*dst = s;
}

void wipe(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
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
	} else if (UTIL_GROW(ld->sects, ld->cap_sects, ld->n_sects + 1) < 0) {
		ld->err = -ENOMEM;
	} else {
		s = memset(&ld->sects[ld->n_sects], 0, sizeof(*s));
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
	p->cap = 0;
}

const struct config_account *config_find_account(const struct config *cfg, const char *name)
{
	for (size_t i = 0; cfg && name && i < cfg->n_accounts; i++)
		if (cfg->accounts[i].name && strcmp(cfg->accounts[i].name, name) == 0)
			return &cfg->accounts[i];
	return NULL;
}

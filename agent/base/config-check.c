// SPDX-License-Identifier: MIT
/*
 * Configuration checks: each section kind built from its raw values once the
 * whole file is read (key order never matters), in dependency order, with
 * the checks that span keys or sections (credentials, URLs, listen address,
 * parent accounts, trigger references).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config-check.h"
#include "base/config-keys.h"
#include "base/config-private.h"
#include "base/util.h"

bool is_sid(const char *v, const char *prefix)
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
		        "webhook = yes needs public_url: the exact URL set for the Debugger "
		        "webhook "
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
void build(struct loader *ld, struct config *cfg)
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

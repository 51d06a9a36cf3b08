/* SPDX-License-Identifier: MIT */
/*
 * Configuration: the INI file of DESIGN.md (or, without a file, the
 * TWILIO_* environment), validated completely at load so that every
 * problem is reported at once with its file:line. Secrets are read from
 * their files here and kept only in memory.
 */
#ifndef ALERTD_CONFIG_H
#define ALERTD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_DEFAULT_PATH "/etc/twilio-alertd/twilio-alertd.conf"
#define CONFIG_DEFAULT_DATABASE "/var/lib/twilio-alertd/alerts.db"
#define CONFIG_DEFAULT_API_BASE "https://monitor.twilio.com"
#define CONFIG_DEFAULT_LISTEN "127.0.0.1:8790"
/* Secret files larger than this are refused (a token is 32 bytes). */
#define CONFIG_SECRET_MAX 4096

struct config_account {
	char *name;          /* section name; "default" for the environment */
	char *account_sid;   /* AC..., required */
	char *username;      /* Basic auth user: account_sid or api_key_sid */
	char *secret;        /* auth token or API key secret: never log it */
	char *secret_source; /* "file /etc/x.token", "auth_token", "env TWILIO_AUTH_TOKEN" */
	char *api_base;      /* scheme://host[:port], no trailing slash */
	char *log_level;     /* NULL = every level; else error|warning|notice|debug */
	bool fetch_details;
	/* The Debugger webhook receiver (POST /twilio/debugger). */
	bool webhook;        /* webhook = yes: accept signed pushes for this account */
	char *public_url;    /* the URL set in Twilio's Console, signed by Twilio */
	char *webhook_token; /* auth token that signs them: never log it */
	/*
	 * The [account NAME] of this account's parent, NULL = none: a push
	 * signed by the parent for this account's AccountSid is stored as this
	 * account's (Twilio sends a subaccount's events to the parent's webhook).
	 */
	char *parent_account;
	int line; /* line of the section header, 0 for the environment */
};

enum config_group_by {
	CONFIG_GROUP_NONE = 0,
	CONFIG_GROUP_ERROR_CODE,
	CONFIG_GROUP_ACCOUNT,
	CONFIG_GROUP_REQUEST_HOST,
	CONFIG_GROUP_RESOURCE_SID,
};

enum config_severity {
	CONFIG_SEVERITY_INFO = 0,
	CONFIG_SEVERITY_WARNING,
	CONFIG_SEVERITY_CRITICAL,
};

/* A [trigger NAME] section; matchers are ANDed, NULL/0 = not set. */
struct config_trigger {
	char *name;
	int64_t *error_codes;
	size_t n_error_codes;
	char *log_level;
	char **accounts; /* account section names; each must exist */
	size_t n_accounts;
	char *text;         /* POSIX ERE, checked with regcomp at load */
	char *request_host; /* glob */
	char *where;        /* SQL expression; checked by problems->check_where */
	int64_t threshold;  /* default 1 */
	int64_t window;     /* seconds, default 300, 60..retention */
	enum config_group_by group_by;
	int64_t for_;                  /* seconds, default 0 */
	int64_t repeat;                /* seconds, default 0 = never */
	bool resolve;                  /* default yes */
	enum config_severity severity; /* default warning */
	char **notify;                 /* channel names; each must exist */
	size_t n_notify;
	int line;
};

enum config_notify_type {
	CONFIG_NOTIFY_SYSLOG = 0,
	CONFIG_NOTIFY_EMAIL,
	CONFIG_NOTIFY_EXEC,
	CONFIG_NOTIFY_WEBHOOK,
};

enum config_starttls {
	CONFIG_STARTTLS_REQUIRED = 0,
	CONFIG_STARTTLS_OPTIONAL,
	CONFIG_STARTTLS_NO,
};

/* A [notify NAME] section. Keys not of its type are errors. */
struct config_notify {
	char *name;
	enum config_notify_type type;
	int64_t timeout; /* seconds, default 10 */
	/* exec */
	char **argv; /* command split on spaces, NULL-terminated */
	/* email */
	char *url; /* email: smtp(s)://; webhook: http(s):// */
	enum config_starttls starttls;
	char *from;
	char **to;
	size_t n_to;
	char **cc;
	size_t n_cc;
	char *username;
	char *password; /* from password_file: never log it */
	char *sendmail; /* path; instead of url */
	/* webhook */
	char *secret; /* from secret_file: never log it */
	/* syslog */
	char *facility; /* daemon (default), user, local0..local7 */
	char *ident;    /* default twilio-alertd */
	int line;
};

struct config {
	char *path; /* file loaded, NULL when built from the environment */
	char *database;
	int64_t interval;      /* seconds, default 60 */
	int64_t retention;     /* seconds, default 30d, 1d..30d */
	int64_t overlap;       /* seconds, default 10m */
	char *listen;          /* NULL = status page off */
	char *listen_user;     /* HTTP Basic auth for every page but the webhook; */
	char *listen_password; /* required when listen is not loopback: never log it */
	int64_t http_timeout;  /* seconds, total per request, default 30 */
	int64_t max_retries;   /* per request, for 429/5xx/network, default 5 */
	struct config_account *accounts;
	size_t n_accounts;
	struct config_trigger *triggers;
	size_t n_triggers;
	struct config_notify *notifies;
	size_t n_notifies;
};

/*
 * A check of a trigger's `where` that only the store can make (this module
 * has no SQL): 0 when @where is acceptable, -EINVAL with the reason in
 * @why (@size bytes), -ENOMEM, or another -errno (reported with @why).
 */
typedef int config_check_where_fn(const char *where, char *why, size_t size);

/* Every problem found by one load, each a line like "FILE:LINE: message". */
struct config_problems {
	char **lines;
	size_t n;
	size_t cap; /* of lines */
	/* Set by the caller, or NULL: every `where` is checked with it at load. */
	config_check_where_fn *check_where;
};

/*
 * config_load - load and validate the configuration.
 * @path: the file to read; NULL means CONFIG_DEFAULT_PATH, and when that
 *   file does not exist, a configuration with one account "default" built
 *   from TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN, or TWILIO_API_KEY +
 *   TWILIO_API_SECRET (+ TWILIO_ACCOUNT_SID), and defaults for the rest.
 *   An explicit @path that does not exist is an error.
 * Every problem (syntax, unknown section or key, bad value, a duration
 * without its unit, missing required key, unreadable secret file, secret
 * file readable by others, duplicate names, unknown references, a `where`
 * refused by @problems->check_where) is appended to @problems, in file
 * order with the line of the key at fault (the caller zero-initialises it,
 * may set check_where, and frees it with config_problems_finish). One
 * problem never hides another: every section and key is checked.
 * A file without any [account NAME] section loads with n_accounts 0 (the
 * installed default configuration): callers that poll must refuse it.
 * Returns 0 and *@out (free with config_free), or -EINVAL when there was
 * any problem (nothing in *@out), or -ENOMEM.
 */
int config_load(const char *path, struct config **out, struct config_problems *problems);

/* config_free - free a configuration and wipe its secrets; NULL is fine. */
void config_free(struct config *cfg);

/* config_problems_finish - free the problem lines; NULL is fine. */
void config_problems_finish(struct config_problems *p);

/* config_find_account - the account section named @name, or NULL. */
const struct config_account *config_find_account(const struct config *cfg, const char *name);

#endif

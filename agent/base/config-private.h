/* SPDX-License-Identifier: MIT */
/*
 * Internal to base/config*.c, not for other modules: the loader state, the
 * key table types and config.c's helpers the three files share.
 * config-keys.c has the tables and interprets values by kind
 * (config-keys.h), config-check.c builds and checks each section kind
 * (config-check.h), config.c reads the file or the environment.
 */
#ifndef ALERTD_CONFIG_PRIVATE_H
#define ALERTD_CONFIG_PRIVATE_H

#include <ini.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/config.h"

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

/* Choices are '|'-separated, in the order of their enum; a leading '|' allows "". */
#define LEVELS "error|warning|notice|debug"
#define NOTIFY_TYPES "syslog|email|exec|webhook"

/* Each table's keys by index: struct section's val[] and vline[] follow them. */
/* clang-format off */
enum { AG_DATABASE, AG_INTERVAL, AG_RETENTION, AG_OVERLAP, AG_LISTEN, AG_HTTP_TIMEOUT, AG_RETRIES,
       AG_LISTEN_USER, AG_LISTEN_PASSWORD_FILE };

enum { AC_SID, AC_TOKEN, AC_TOKEN_FILE, AC_KEY_SID, AC_KEY_SECRET, AC_KEY_SECRET_FILE, AC_API_BASE,
       AC_LOG_LEVEL, AC_FETCH, AC_WEBHOOK, AC_PUBLIC_URL, AC_WEBHOOK_TOKEN_FILE, AC_PARENT };

enum { TR_CODE, TR_LEVEL, TR_ACCOUNT, TR_TEXT, TR_HOST, TR_WHERE, TR_THRESHOLD, TR_WINDOW,
       TR_GROUP_BY, TR_FOR, TR_REPEAT, TR_RESOLVE, TR_SEVERITY, TR_NOTIFY };

enum { NO_TYPE, NO_TIMEOUT, NO_COMMAND, NO_URL, NO_SENDMAIL, NO_STARTTLS, NO_FROM, NO_TO, NO_CC,
       NO_USERNAME, NO_PASSWORD_FILE, NO_SECRET_FILE, NO_FACILITY, NO_IDENT };
/* clang-format on */

struct sect_def {
	const char *word;
	const struct key *keys;
	size_t n_keys;
};

/* In the order of enum sect_kind. */
#define SECTIONS "agent|account|trigger|notify"
extern const struct sect_def sect_defs[];

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
	size_t n_sects, cap_sects;
	struct section *cur; /* where keys go; NULL before any section or after a bad one */
	bool bad_section;    /* keys after a rejected header are ignored, not reported */
	bool warned_inline;
	int err; /* -ENOMEM, sticky */
	struct config_problems *problems;
	size_t first; /* this load's first problem */
	int *plines;  /* and the line of each of this load's problems */
	size_t cap_plines;
};

/*
 * config.c: problem() adds one "FILE:LINE: ..." line to the load's problems
 * (in line order; ld->err = -ENOMEM when it cannot); set_str replaces *@dst
 * with a copy of @v; wipe zeroes and frees a secret; free_strv frees a
 * NULL-terminated list. All accept NULL where a value may be absent.
 */
__attribute__((format(printf, 3, 4))) void problem(struct loader *ld, int line, const char *fmt,
                                                   ...);
void set_str(struct loader *ld, char **dst, const char *v);
void wipe(char *s);
void free_strv(char **v);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The drivers of the engine: `once` (one cycle, for cron) and `run` (the
 * cycle every interval, in the foreground, for systemd), and the helpers
 * the other commands share with them.
 */
#ifndef ALERTD_DAEMON_H
#define ALERTD_DAEMON_H

#include "base/config.h"
#include "store/store.h"

/* sysexits(3) codes named in DESIGN.md. */
#define EXIT_USAGE 64
#define EXIT_DATAERR 65	/* the database file is damaged or not SQLite: permanent */
#define EXIT_NOINPUT 66
#define EXIT_UNAVAILABLE 69
#define EXIT_TEMPFAIL 75
#define EXIT_NOPERM 77
#define EXIT_CONFIG 78

/*
 * daemon_load_config - config_load() that logs every problem, one line
 * each. Returns the configuration, or NULL when it has problems.
 */
struct config *daemon_load_config(const char *path);

/*
 * daemon_require_accounts - true when @cfg has an account to poll; else
 * logs one line saying how to add one (the installed default has none)
 * and returns false: `once` and `run` then exit EXIT_CONFIG.
 */
bool daemon_require_accounts(const struct config *cfg);

/*
 * daemon_open_store - open the read-write store of @cfg (store_open logs
 * why it failed). Returns 0, or the exit status for the failure.
 */
int daemon_open_store(const struct config *cfg, struct store **out);

/*
 * daemon_store_status - the exit status for @r, what store_open returned
 * (0 for 0). Opens nothing: `status` maps its read-only failures with it.
 */
int daemon_store_status(int r);

/*
 * daemon_once - one cycle of every account, then prune; SIGTERM or SIGINT
 * ends it after the current transaction, with exit 0. Returns an exit status.
 */
int daemon_once(const char *path);

/*
 * daemon_run - cycles every `interval` (+-10% jitter) until SIGTERM or
 * SIGINT (exit 0); SIGHUP reloads @path, keeping the old configuration if
 * the new one has problems. Returns an exit status.
 */
int daemon_run(const char *path);

#endif

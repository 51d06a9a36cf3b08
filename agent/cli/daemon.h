/* SPDX-License-Identifier: MIT */
/*
 * The drivers of the engine: `once` (one cycle, for cron) and `run` (the
 * cycle every interval, in the foreground, for systemd). What they share
 * with the other commands is in cli.h.
 */
#ifndef ALERTD_DAEMON_H
#define ALERTD_DAEMON_H

#include "base/config.h"
#include "store/store.h"

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

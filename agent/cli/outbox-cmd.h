/* SPDX-License-Identifier: MIT */
/*
 * The `outbox` command (outbox-cmd.c): the undelivered notifications by hand. `list`
 * shows them with their stored times (and which are orphaned: their
 * channel is no longer configured), `retry` makes them due now, `drop`
 * deletes them.
 */
#ifndef ALERTD_OUTBOX_CMD_H
#define ALERTD_OUTBOX_CMD_H

/* IDs one command takes. */
#define OUTBOX_IDS_MAX 1000

/*
 * outbox_command - `twilio-alertd [-c FILE] outbox list|retry|drop
 * [--channel NAME] [ID...]`: @channel the --channel value (NULL = every
 * channel), @argv the subcommand and the IDs (main.c took the options out;
 * a "--channel NAME" left in @argv is taken too). Prints to
 * stdout, one line per problem to stderr. Returns an exit status: 0, 64
 * (usage), 65 (an ID that is not an undelivered notification, or nothing
 * to retry), 66 (no database yet), or that of the configuration or store.
 */
int outbox_command(const char *path, const char *channel, int argc, char **argv);

#endif

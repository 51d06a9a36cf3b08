/* SPDX-License-Identifier: MIT */
/*
 * The `triggers` commands (trigger-cmd.c), which only read: `list`, `test
 * NAME` (what would be sent now, printed instead of sent) and `backtest
 * NAME` (the stored history replayed).
 */
#ifndef ALERTD_TRIGGER_CMD_H
#define ALERTD_TRIGGER_CMD_H

/*
 * trigger_command - `twilio-alertd [-c FILE] triggers list | test NAME |
 * backtest NAME [--days N]` with @argv the operands after "triggers" (no
 * options) and @days_text the value of --days (NULL when not given).
 * Prints to stdout; a usage error is one line on stderr. Returns an exit
 * status.
 */
int trigger_command(const char *path, int argc, char **argv, const char *days_text);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * What main.c's command line parser hands a command: the global options
 * and the command's own options and operands, wherever they were written
 * (before or after the command word). A command is one line of the table
 * in main.c: its name, a function taking this, and its option names. Also
 * what every command shares (cli.c): the exit codes, loading the
 * configuration, the exit status of a store that did not open.
 */
#ifndef ALERTD_CLI_H
#define ALERTD_CLI_H

#include <stddef.h>

#include "base/config.h"

/* Options a command may declare (the words of its option list). */
#define CLI_OPTS_MAX 8

struct cli {
	const char *name;   /* the command word, "once", "status", ... */
	const char *config; /* -c FILE / --config FILE; NULL = the default */
	int verbose;        /* how many -v */
	int argc;           /* the operands after the command, options removed, */
	char **argv;        /* in the order given; argv[argc] is NULL */
	/*
	 * Each option of the command's list, by its position there: its
	 * argument, "" for a flag that was given, NULL when absent (the last
	 * of a repeated option wins).
	 */
	const char *opt[CLI_OPTS_MAX];
};

/* sysexits(3) codes named in DESIGN.md. */
#define EXIT_USAGE 64
#define EXIT_DATAERR 65 /* the database file is damaged or not SQLite: permanent */
#define EXIT_NOINPUT 66
#define EXIT_UNAVAILABLE 69
#define EXIT_TEMPFAIL 75
#define EXIT_NOPERM 77
#define EXIT_CONFIG 78

/*
 * cli_load_config - config_load() that logs every problem, one line
 * each. Returns the configuration, or NULL when it has problems.
 */
struct config *cli_load_config(const char *path);

/*
 * cli_store_status - the exit status for @r, what store_open returned
 * (0 for 0). Opens nothing: `status` maps its read-only failures with it.
 */
int cli_store_status(int r);

#endif

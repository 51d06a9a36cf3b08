/* SPDX-License-Identifier: MIT */
/*
 * What main.c's command line parser hands a command: the global options
 * and the command's own options and operands, wherever they were written
 * (before or after the command word). A command is one line of the table
 * in main.c: its name, a function taking this, and its option names.
 */
#ifndef ALERTD_CLI_H
#define ALERTD_CLI_H

#include <stddef.h>

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

#endif

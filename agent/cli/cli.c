// SPDX-License-Identifier: MIT
/*
 * What the commands share (cli.h): loading the configuration with every
 * problem logged, and the exit status of a store that did not open. The
 * once/run drivers and the status, triggers and outbox commands all start
 * here, so none of them calls into another's file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "cli/cli.h"
#include "store/store-where.h"

struct config *cli_load_config(const char *path)
{
	/* What only the store can check, each trigger's `where`, in the same pass. */
	struct config_problems problems = {.check_where = store_trigger_check_where};
	struct config *cfg = NULL;
	int r;

	r = config_load(path, &cfg, &problems);
	for (size_t i = 0; i < problems.n; i++)
		log_warnx("%s", problems.lines[i]);
	if (r < 0 && problems.n == 0)
		log_warnx("cannot load the configuration: %s", strerror(-r));
	config_problems_finish(&problems);
	return r < 0 ? NULL : cfg;
}

int cli_store_status(int r)
{
	if (r == 0)
		return 0;
	/* store_open said why in one line. */
	if (r == -EACCES || r == -EROFS || r == -EPERM)
		return EXIT_NOPERM;
	if (r == -ENOENT)
		return EXIT_CONFIG;
	/* A damaged file is not temporary: cron must not retry it forever. */
	if (r == -EUCLEAN)
		return EXIT_DATAERR;
	return EXIT_TEMPFAIL;
}

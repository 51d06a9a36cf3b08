// SPDX-License-Identifier: MIT
/*
 * twilio-alertd: command line and mode dispatch only. `once` runs one
 * cycle for cron, `run` repeats it in the foreground for systemd, and
 * `demo` drives the same engine against the bundled simulator.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "demo.h"
#include "log.h"
#include "outbox.h"
#include "status.h"
#include "trigger.h"
#include "version.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: twilio-alertd [-c FILE] [-v] COMMAND\n"
		"\n"
		"commands:\n"
		"  once            poll every account once, evaluate the triggers, deliver\n"
		"                  due notifications, prune, exit (for cron)\n"
		"  run             poll every `interval` in the foreground (for systemd)\n"
		"  check-config    validate the configuration and exit\n"
		"  status [--json] per account: last success, last error, lag, rows\n"
		"  triggers list   each trigger and group: state, last fired, outbox backlog\n"
		"  triggers test NAME\n"
		"                  evaluate NAME now and print what would be sent (sends nothing)\n"
		"  triggers backtest NAME [--days N]\n"
		"                  replay the stored alerts: when NAME would have fired and resolved\n"
		"  outbox list|retry|drop [--channel NAME] [ID...]\n"
		"                  undelivered notifications: show, make due now, delete\n"
		"  demo [--once]   the agent against the bundled Monitor API simulator, then its\n"
		"                  status page until Ctrl-C (--once: sync, status, query, exit)\n"
		"\n"
		"options:\n"
		"  -c FILE         configuration file (default %s;\n"
		"                  without it, TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN are used)\n"
		"  -v              more output (repeat for debug)\n"
		"  -h, --help      this text\n"
		"  -V, --version   the version\n"
		"\n"
		"exit status: 0 ok, 64 usage, 69 Twilio unavailable, 75 temporary failure,\n"
		"77 credentials refused or no permission, 78 configuration error\n",
		CONFIG_DEFAULT_PATH);
}

/*
 * Root works (the demo, a quick test) but the packaged service runs as its
 * own user, which cannot write what root creates: say so once, and only
 * for `run` and `demo`, so that a root cron job's `once` stays quiet.
 */
static void warn_if_root(const char *what)
{
	if (geteuid() == 0)
		log_warnx("running as root: %s; the packaged service runs as user twilio-alertd, "
			  "so chown -R twilio-alertd: a database folder root created before the "
			  "service uses it",
			  what);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"config", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL, *cmd;
	int verbose = 0, c;

	while ((c = getopt_long(argc, argv, "+c:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("twilio-alertd %s\n", ALERTD_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind++];
	umask(077);
	if (strcmp(cmd, "once") == 0 && optind == argc) {
		log_init(LOG_LEVEL_WARN + verbose, 0);
		return daemon_once(path);
	}
	if (strcmp(cmd, "run") == 0 && optind == argc) {
		log_init(LOG_LEVEL_INFO + verbose, 0);
		warn_if_root("it works");
		return daemon_run(path);
	}
	if (strcmp(cmd, "check-config") == 0 && optind == argc) {
		log_init(LOG_LEVEL_WARN + verbose, 0);
		return status_check_config(path);
	}
	if (strcmp(cmd, "status") == 0) {
		bool json = optind < argc && strcmp(argv[optind], "--json") == 0;

		if (argc - optind > (json ? 1 : 0)) {
			usage(stderr);
			return EXIT_USAGE;
		}
		log_init(LOG_LEVEL_WARN + verbose, 0);
		return status_print(path, json);
	}
	if (strcmp(cmd, "triggers") == 0) {
		log_init(LOG_LEVEL_WARN + verbose, 0);
		return trigger_command(path, argc - optind, argv + optind);
	}
	if (strcmp(cmd, "outbox") == 0) {
		log_init(LOG_LEVEL_WARN + verbose, 0);
		return outbox_command(path, argc - optind, argv + optind);
	}
	if (strcmp(cmd, "demo") == 0 &&
	    (optind == argc || (optind + 1 == argc && strcmp(argv[optind], "--once") == 0))) {
		log_init(LOG_LEVEL_WARN + verbose, 0);
		warn_if_root("fine for the demo");
		return demo_run("/proc/self/exe", optind < argc);
	}
	fprintf(stderr, "twilio-alertd: unknown command or extra arguments: %s\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}

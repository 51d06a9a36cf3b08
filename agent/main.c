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
#include "status.h"
#include "version.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: twilio-alertd [-c FILE] [-v] COMMAND\n"
		"\n"
		"commands:\n"
		"  once            poll every account once, prune, exit (for cron)\n"
		"  run             poll every `interval` in the foreground (for systemd)\n"
		"  check-config    validate the configuration and exit\n"
		"  status [--json] per account: last success, last error, lag, rows\n"
		"  demo            sync from the bundled Monitor API simulator (no credentials)\n"
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
	if (strcmp(cmd, "demo") == 0 && optind == argc) {
		log_init(LOG_LEVEL_WARN + verbose, 0);
		return demo_run("/proc/self/exe");
	}
	fprintf(stderr, "twilio-alertd: unknown command or extra arguments: %s\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}

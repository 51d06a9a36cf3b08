// SPDX-License-Identifier: MIT
/*
 * twilio-alertd: command line and mode dispatch only. The global options
 * (-c, -v, -h, -V) are accepted before or after the command word; each
 * command declares its own options in the table below, so adding a command
 * is one line there plus the function it names.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "base/config.h"
#include "cli/daemon.h"
#include "cli/demo.h"
#include "base/log.h"
#include "cli/outbox-cmd.h"
#include "cli/status.h"
#include "cli/trigger-cmd.h"
#include "base/util.h"
#include "version.h"

/* Bytes of a command's option list ("json", "days= once"), names included. */
#define OPTS_TEXT_MAX 128
/* getopt_long values of a command's own options: OPT_BASE + their position. */
#define OPT_BASE 256

struct command {
	const char *name;
	int (*run)(const struct cli *c);
	const char *opts;    /* its long options, blank-separated; "name=" takes an argument */
	int max_args;        /* operands it takes at most; -1 = it checks them itself */
	const char *args;    /* the synopsis after the name */
	const char *summary; /* one line for --help */
	const char *help;    /* COMMAND --help: what it does and its options */
};

static int cmd_once(const struct cli *c);
static int cmd_run(const struct cli *c);
static int cmd_check_config(const struct cli *c);
static int cmd_status(const struct cli *c);
static int cmd_triggers(const struct cli *c);
static int cmd_outbox(const struct cli *c);
static int cmd_demo(const struct cli *c);
static int cmd_help(const struct cli *c);

/* clang-format off */
static const struct command commands[] = {
	{"once", cmd_once, NULL, 0, "",
	 "one cycle: poll, evaluate triggers, deliver, prune; exit (cron)",
	 "Poll every account once, evaluate the triggers, deliver the notifications that\n"
	 "are due and prune alerts older than the retention, then exit. Silent on success\n"
	 "(-v: a line per account); one line per problem on stderr otherwise. Exits 75\n"
	 "when a notification could not be delivered (the next run retries it).\n"},
	{"run", cmd_run, NULL, 0, "",
	 "the same cycle every `interval`, in the foreground (systemd)",
	 "Run the cycle of `once` every `interval` (jittered), in the foreground, with the\n"
	 "status page on `listen`. SIGTERM stops it (exit 0), SIGHUP reloads the\n"
	 "configuration. Under systemd it speaks sd_notify (Type=notify, watchdog).\n"},
	{"check-config", cmd_check_config, NULL, 0, "",
	 "report every problem of the configuration, each with file:line",
	 "Load and validate the configuration: print every problem as FILE:LINE: message\n"
	 "and exit 78, or print a summary and exit 0.\n"},
	{"status", cmd_status, "json", 0, "[--json]",
	 "per account: last success, newest alert, errors, rows; outbox; health",
	 "Per account, from the database: the last success and its age, the newest alert\n"
	 "and its age, the last error, the rows stored; then the outbox per channel and\n"
	 "the /healthz verdict. Reads only. Exits 0 healthy, 1 degraded (the reason on\n"
	 "stderr), 66 without a database, 77 when it cannot read it.\n"
	 "\n"
	 "  --json    one JSON document on stdout instead of text\n"},
	{"triggers", cmd_triggers, "days=", 2, "list | test NAME | backtest NAME [--days N]",
	 "list the triggers; test NAME now; replay NAME over the stored alerts",
	 "  list                 each trigger and group: state, last fired, outbox backlog\n"
	 "  test NAME            evaluate NAME now and print what each channel would be\n"
	 "                       sent (sends nothing, changes nothing)\n"
	 "  backtest NAME        replay the stored alerts: when NAME would have fired and\n"
	 "                       resolved\n"
	 "    --days N           the last N days only (default: the retention)\n"},
	{"outbox", cmd_outbox, "channel=", -1, "list|retry|drop [--channel NAME] [ID...]",
	 "undelivered notifications: list, make due now, drop",
	 "  list      each undelivered notification with its stored times; orphaned ones\n"
	 "            (their [notify NAME] is gone) are never attempted\n"
	 "  retry     make them due now (the next cycle of run, or once, delivers them)\n"
	 "  drop      delete them for good (needs --channel NAME or IDs)\n"
	 "    --channel NAME   only the notifications of channel NAME\n"},
	{"demo", cmd_demo, "once", 0, "[--once]",
	 "the agent against the bundled Monitor API simulator",
	 "Start the bundled Monitor API simulator, sync from it into a database under /tmp,\n"
	 "print the status and a sqlite3 query, then serve the status page until Ctrl-C.\n"
	 "No credentials are needed.\n"
	 "\n"
	 "  --once    stop after the sync, the status and the query\n"},
	{"help", cmd_help, NULL, 1, "[COMMAND]",
	 "this text, or the usage of COMMAND",
	 "Print the usage of twilio-alertd, or of COMMAND (the same as COMMAND --help).\n"},
};
/* clang-format on */

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* The summary column of --help. */
#define SUMMARY_COL 20

static void usage(void)
{
	printf("usage: twilio-alertd [-c FILE] [-v] COMMAND [ARGS]\n"
	       "\n"
	       "commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const struct command *cmd = &commands[i];
		int n = printf("  %s%s%s", cmd->name, *cmd->args ? " " : "", cmd->args);

		if (n < SUMMARY_COL)
			printf("%*s%s\n", SUMMARY_COL - n, "", cmd->summary);
		else
			printf("\n%*s%s\n", SUMMARY_COL, "", cmd->summary);
	}
	printf("\n"
	       "options (before or after the command):\n"
	       "  -c, --config FILE the configuration (default %s;\n"
	       "                    without that file, TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN)\n"
	       "  -v, --verbose     more output (repeat for debug)\n"
	       "  -h, --help        this text; COMMAND --help: the usage of COMMAND\n"
	       "  -V, --version     the version\n"
	       "\n"
	       "exit status: 0 ok, 64 usage, 69 Twilio unavailable, 75 temporary failure,\n"
	       "77 credentials refused or no permission, 78 configuration error\n",
	       CONFIG_DEFAULT_PATH);
}

static void command_usage(const struct command *cmd)
{
	printf("usage: twilio-alertd [-c FILE] [-v] %s%s%s\n\n%s", cmd->name, *cmd->args ? " " : "",
	       cmd->args, cmd->help);
	printf("\n-c FILE, -v: see 'twilio-alertd --help'\n");
}

/* One line on stderr; @cmd names the command whose usage helps, NULL for the global one. */
__attribute__((format(printf, 2, 3))) static int usage_error(const struct command *cmd,
                                                             const char *fmt, ...);

static int usage_error(const struct command *cmd, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "twilio-alertd: %s%s%s; try 'twilio-alertd %s%s--help'\n",
	        cmd ? cmd->name : "", cmd ? ": " : "", msg, cmd ? cmd->name : "", cmd ? " " : "");
	return EXIT_USAGE;
}

/*
 * Root works (the demo, a quick test) but the packaged service runs as its
 * own user, which cannot write what root creates: say so once, and only
 * for `run` and `demo`, so that a root cron job's `once` stays quiet.
 */
static void warn_if_root(void)
{
	if (geteuid() == 0)
		log_warnx(
		        "running as root: the packaged service runs as user twilio-alertd, which "
		        "cannot write a database root created; chown -R twilio-alertd: its folder "
		        "before the service uses it");
}

static int cmd_once(const struct cli *c)
{
	return daemon_once(c->config);
}

static int cmd_run(const struct cli *c)
{
	log_init(LOG_LEVEL_INFO + c->verbose, 0);
	warn_if_root();
	return daemon_run(c->config);
}

static int cmd_check_config(const struct cli *c)
{
	return status_check_config(c->config);
}

static int cmd_status(const struct cli *c)
{
	return status_print(c->config, c->opt[0] != NULL);
}

static int cmd_triggers(const struct cli *c)
{
	return trigger_command(c->config, c->argc, c->argv, c->opt[0]);
}

static int cmd_outbox(const struct cli *c)
{
	return outbox_command(c->config, c->opt[0], c->argc, c->argv);
}

static int cmd_demo(const struct cli *c)
{
	warn_if_root();
	return demo_run("/proc/self/exe", c->opt[0] != NULL);
}

static int cmd_help(const struct cli *c)
{
	const struct command *cmd = c->argc ? find_command(c->argv[0]) : NULL;

	if (c->argc && !cmd)
		return usage_error(NULL, "help: unknown command '%s'", c->argv[0]);
	if (cmd)
		command_usage(cmd);
	else
		usage();
	return 0;
}

/* What both parsing phases record. */
struct parsed {
	struct cli cli;
	bool help;
};

/* A global option (from either phase); false when @c is not one. */
static bool global_option(int c, struct parsed *p)
{
	switch (c) {
	case 'c':
		p->cli.config = optarg;
		return true;
	case 'v':
		p->cli.verbose++;
		return true;
	case 'h':
		p->help = true;
		return true;
	case 'V':
		printf("twilio-alertd %s\n", ALERTD_VERSION);
		exit(0);
	}
	return false;
}

/* The word getopt_long stopped at: a long option as written, else the letter. */
static const char *bad_word(char **argv, char *buf, size_t size)
{
	const char *w = argv[optind - 1];

	if (strncmp(w, "--", 2) == 0 || optopt <= 0 || optopt >= OPT_BASE)
		snprintf(buf, size, "%.*s", (int)strcspn(w, "="), w);
	else
		snprintf(buf, size, "-%c", optopt);
	return buf;
}

static const struct option global_longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
};

/*
 * The words after the command: the global options and the command's own,
 * in any order, and its operands (in their order, into @operands, which
 * has room for argc). "--" ends the options. Returns 0 or an exit status.
 */
static int parse_command(const struct command *cmd, int argc, char **argv, char **operands,
                         struct parsed *p)
{
	struct option longopts[ARRAY_SIZE(global_longopts) + CLI_OPTS_MAX + 1] = {{0}};
	char names[OPTS_TEXT_MAX] = "", word[64], *save = NULL;
	size_t n = 0;
	int c;

	memcpy(longopts, global_longopts, sizeof(global_longopts));
	if (cmd->opts)
		snprintf(names, sizeof(names), "%s", cmd->opts);
	for (char *w = strtok_r(names, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		size_t len = strlen(w);
		struct option *o = &longopts[ARRAY_SIZE(global_longopts) + n];

		if (n == CLI_OPTS_MAX)
			abort(); /* the table declares more options than struct cli holds */
		o->has_arg = w[len - 1] == '=' ? required_argument : no_argument;
		if (o->has_arg)
			w[len - 1] = '\0';
		o->name = w;
		o->val = OPT_BASE + (int)n++;
	}
	p->cli.argc = 0;
	opterr = 0;
	optind = 0; /* argv[0] is the command word; 0 restarts getopt from scratch */
	while ((c = getopt_long(argc, argv, "-:c:vhV", longopts, NULL)) != -1) {
		if (c == 1)
			operands[p->cli.argc++] = optarg;
		else if (c >= OPT_BASE)
			p->cli.opt[c - OPT_BASE] = optarg ? optarg : "";
		else if (c == ':')
			return usage_error(cmd, "option '%s' needs an argument",
			                   bad_word(argv, word, sizeof(word)));
		else if (!global_option(c, p))
			return usage_error(cmd, "unknown option '%s'",
			                   bad_word(argv, word, sizeof(word)));
	}
	while (optind < argc)
		operands[p->cli.argc++] = argv[optind++];
	operands[p->cli.argc] = NULL;
	p->cli.argv = operands;
	return 0;
}

int main(int argc, char **argv)
{
	struct parsed p = {{0}};
	const struct command *cmd;
	char **operands, word[64];
	int c, status;

	/* Before any secret is read: a core of this process would hold them all. */
	if ((status = util_no_core_dumps()) < 0)
		fprintf(stderr, "twilio-alertd: cannot disable core dumps: %s\n",
		        strerror(-status));
	/* Phase one: the global options before the command word. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:vhV", global_longopts, NULL)) != -1) {
		if (c == ':')
			return usage_error(NULL, "option '%s' needs an argument",
			                   bad_word(argv, word, sizeof(word)));
		if (!global_option(c, &p))
			return usage_error(NULL, "unknown option '%s'",
			                   bad_word(argv, word, sizeof(word)));
	}
	if (optind >= argc) {
		if (p.help) {
			usage();
			return 0;
		}
		return usage_error(NULL, "no command given");
	}
	cmd = find_command(argv[optind]);
	if (!cmd)
		return usage_error(NULL, "unknown command '%s'", argv[optind]);
	/* Phase two: the command's words, its own options and the global ones. */
	operands = calloc((size_t)(argc - optind) + 1, sizeof(*operands));
	if (!operands) {
		fprintf(stderr, "twilio-alertd: out of memory\n");
		return EXIT_TEMPFAIL;
	}
	status = parse_command(cmd, argc - optind, argv + optind, operands, &p);
	p.cli.name = cmd->name;
	if (status == 0 && p.help) {
		command_usage(cmd);
	} else if (status == 0 && cmd->max_args >= 0 && p.cli.argc > cmd->max_args && p.cli.argv) {
		status = usage_error(cmd, "unexpected argument '%s'", p.cli.argv[cmd->max_args]);
	} else if (status == 0) {
		umask(077);
		log_init(LOG_LEVEL_WARN + p.cli.verbose, 0);
		status = cmd->run(&p.cli);
	}
	free(operands);
	return status;
}

// SPDX-License-Identifier: MIT
/*
 * twilio-alertd: command line and mode dispatch only. `once` runs one
 * cycle for cron, `run` repeats it in the foreground for systemd, and
 * `demo` drives the same engine against the bundled simulator.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "demo.h"
#include "log.h"
#include "monitor.h"
#include "poll.h"
#include "store.h"
#include "util.h"
#include "version.h"

/* sysexits(3) codes named in DESIGN.md. */
#define EXIT_USAGE 64
#define EXIT_UNAVAILABLE 69
#define EXIT_TEMPFAIL 75
#define EXIT_NOPERM 77
#define EXIT_CONFIG 78

#define PRUNE_BATCH 1000

static volatile int stop_flag;
static volatile int reload_flag;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_flag = 1;
	else
		stop_flag = 1;
}

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

/* Load the configuration, printing every problem; NULL on failure. */
static struct config *load_config(const char *path)
{
	struct config_problems problems = {0};
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

/* Worse outcomes win when several accounts fail in one cycle. */
static int worse(int a, int b)
{
	static const int rank[] = {0, EXIT_TEMPFAIL, EXIT_UNAVAILABLE, EXIT_NOPERM};
	int ra = 0, rb = 0;

	for (int i = 0; i < (int)ARRAY_SIZE(rank); i++) {
		if (rank[i] == a)
			ra = i;
		if (rank[i] == b)
			rb = i;
	}
	return rb > ra ? b : a;
}

static int exit_code_of(int r)
{
	switch (r) {
	case 0:
		return 0;
	case -EACCES:
		return EXIT_NOPERM;
	case -EAGAIN:
	case -EPROTO:
	case -ENOENT:
		return EXIT_UNAVAILABLE;
	default:
		return EXIT_TEMPFAIL;
	}
}

static int open_store(const struct config *cfg, struct store **out)
{
	int r = store_open(cfg->database, false, out);

	if (r == 0)
		return 0;
	/* store_open said why in one line. */
	if (r == -EACCES || r == -EROFS || r == -EPERM)
		return EXIT_NOPERM;
	if (r == -ENOENT)
		return EXIT_CONFIG;
	return EXIT_TEMPFAIL;
}

static int take_lock(const struct config *cfg, int *fd)
{
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s.lock", cfg->database);
	r = util_lock_file(path, fd);
	if (r == -EWOULDBLOCK) {
		log_warnx("another twilio-alertd is working on %s (lock %s held); not starting",
			  cfg->database, path);
		return EXIT_TEMPFAIL;
	}
	if (r < 0) {
		log_warnx("cannot create the lock file %s: %s", path, strerror(-r));
		return r == -EACCES ? EXIT_NOPERM : r == -ENOENT ? EXIT_CONFIG : EXIT_TEMPFAIL;
	}
	return 0;
}

/* One cycle: poll every account, then prune. Returns an exit status. */
static int cycle(const struct config *cfg, struct store *s)
{
	int64_t deleted = 0;
	int status = 0, r;

	for (size_t i = 0; i < cfg->n_accounts && !stop_flag; i++) {
		const struct config_account *a = &cfg->accounts[i];
		struct poll_result res;
		struct monitor *m = NULL;

		r = monitor_create(a, cfg->http_timeout, (int)cfg->max_retries, &stop_flag, &m);
		if (r < 0) {
			log_warnx("account %s: cannot set up the HTTP client: %s", a->name,
				  strerror(-r));
			status = worse(status, EXIT_TEMPFAIL);
			continue;
		}
		r = poll_account(s, m, cfg, a, POLL_QUERY_CAP, &stop_flag, &res);
		monitor_destroy(m);
		if (r == -EINTR)
			break;
		if (r < 0) {
			log_warnx("%s", res.error);
			status = worse(status, exit_code_of(r));
			continue;
		}
		log_info("account %s: %lld new, %lld updated, %lld pages", a->name,
			 (long long)res.inserted, (long long)res.updated, (long long)res.pages);
	}
	if (!stop_flag) {
		r = store_prune(s, util_now() - cfg->retention, PRUNE_BATCH, &stop_flag, &deleted);
		if (r < 0) {
			log_warnx("pruning old alerts failed: %s", store_errmsg(s));
			status = worse(status, EXIT_TEMPFAIL);
		} else if (deleted) {
			log_info("pruned %lld alerts older than the retention", (long long)deleted);
		}
	}
	return status;
}

static int cmd_once(const char *path)
{
	struct config *cfg = load_config(path);
	struct store *s = NULL;
	int lock = -1, status;

	if (!cfg)
		return EXIT_CONFIG;
	status = take_lock(cfg, &lock);
	if (status)
		goto out;
	status = open_store(cfg, &s);
	if (status)
		goto out;
	status = cycle(cfg, s);
out:
	store_close(s);
	if (lock >= 0)
		close(lock);
	config_free(cfg);
	return status;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* SIGHUP: a configuration that does not load keeps the old one running. */
static void reload(const char *path, struct config **cfg)
{
	struct config *fresh;

	reload_flag = 0;
	log_info("reloading the configuration");
	fresh = load_config(path);
	if (!fresh) {
		log_warnx("the new configuration has problems; keeping the old one");
		return;
	}
	if (strcmp(fresh->database, (*cfg)->database) != 0) {
		log_warnx("database cannot change on reload (restart instead); keeping %s",
			  (*cfg)->database);
		free(fresh->database);
		fresh->database = strdup((*cfg)->database);
		if (!fresh->database) {
			config_free(fresh);
			return;
		}
	}
	config_free(*cfg);
	*cfg = fresh;
}

static int cmd_run(const char *path)
{
	struct config *cfg = load_config(path);
	struct store *s = NULL;
	int lock = -1, status;

	if (!cfg)
		return EXIT_CONFIG;
	status = take_lock(cfg, &lock);
	if (status)
		goto out;
	status = open_store(cfg, &s);
	if (status)
		goto out;
	install_signals();
	log_info("started: %zu account(s), polling every %llds", cfg->n_accounts,
		 (long long)cfg->interval);
	while (!stop_flag) {
		int64_t wait;

		cycle(cfg, s);
		/* +-10% jitter so many agents do not poll Twilio in lockstep. */
		wait = cfg->interval * 1000;
		wait += (int64_t)util_random((uint64_t)wait / 5 + 1) - wait / 10;
		while (!stop_flag && !reload_flag && wait > 0) {
			int64_t step = wait < 1000 ? wait : 1000;

			util_sleep_ms(step, &stop_flag);
			wait -= step;
		}
		if (reload_flag && !stop_flag)
			reload(path, &cfg);
	}
	log_info("stopping");
	status = 0;
out:
	store_close(s);
	if (lock >= 0)
		close(lock);
	config_free(cfg);
	return status;
}

static int cmd_check_config(const char *path)
{
	struct config *cfg = load_config(path);

	if (!cfg)
		return EXIT_CONFIG;
	printf("configuration %s is valid: %zu account(s), %zu trigger(s), %zu channel(s)\n",
	       cfg->path ? cfg->path : "(environment)", cfg->n_accounts, cfg->n_triggers,
	       cfg->n_notifies);
	config_free(cfg);
	return 0;
}

struct status_ctx {
	const struct config *cfg;
	json_t *list;
	int64_t now;
};

static void print_time(const char *label, int64_t t)
{
	char buf[UTIL_TIME_LEN];

	if (!t) {
		printf("  %-13s never\n", label);
		return;
	}
	util_format_time(t, buf);
	printf("  %-13s %s\n", label, buf);
}

static int status_one(const char *name, const struct store_sync_state *st, void *arg)
{
	struct status_ctx *c = arg;
	char wm[UTIL_TIME_LEN] = "", ls[UTIL_TIME_LEN] = "", le[UTIL_TIME_LEN] = "";
	bool configured = config_find_account(c->cfg, name) != NULL;

	if (st->has_watermark)
		util_format_time(st->watermark, wm);
	if (st->last_success)
		util_format_time(st->last_success, ls);
	if (st->last_error_time)
		util_format_time(st->last_error_time, le);
	if (c->list) {
		json_t *o = json_pack("{s:s, s:s, s:b, s:s?, s:s?, s:s?, s:s?, s:I}", "account", name,
				      "account_sid", st->account_sid, "configured", configured,
				      "watermark", wm[0] ? wm : NULL, "last_success",
				      ls[0] ? ls : NULL, "last_error",
				      st->last_error[0] ? st->last_error : NULL, "last_error_time",
				      le[0] ? le : NULL, "rows", (json_int_t)st->rows);

		if (!o)
			return -ENOMEM;
		json_object_set_new(o, "lag_seconds",
				    st->has_watermark ? json_integer(c->now - st->watermark)
						      : json_null());
		json_array_append_new(c->list, o);
		return 0;
	}
	printf("%s (%s)%s\n", name, st->account_sid, configured ? "" : " [not configured]");
	print_time("last success", st->last_success);
	if (st->last_error[0])
		printf("  %-13s %s at %s\n", "last error", st->last_error, le);
	if (st->has_watermark)
		printf("  %-13s %llds (newest alert %s)\n", "lag",
		       (long long)(c->now - st->watermark), wm);
	printf("  %-13s %lld\n", "rows", (long long)st->rows);
	return 0;
}

static int cmd_status(const char *path, bool json)
{
	struct config *cfg = load_config(path);
	struct status_ctx c = {.cfg = cfg, .now = util_now()};
	struct store *s = NULL;
	int status = 0, r;

	if (!cfg)
		return EXIT_CONFIG;
	r = store_open(cfg->database, true, &s);
	if (r == -ENOENT) {
		fprintf(stderr, "twilio-alertd: no database at %s yet: nothing synced\n",
			cfg->database);
		status = EXIT_UNAVAILABLE;
		goto out;
	}
	if (r < 0) {
		status = open_store(cfg, &s);
		goto out;
	}
	if (json)
		c.list = json_array();
	r = store_sync_list(s, status_one, &c);
	if (r < 0) {
		log_warnx("cannot read the sync state: %s", store_errmsg(s));
		status = EXIT_TEMPFAIL;
		goto out;
	}
	if (json) {
		json_t *doc = json_pack("{s:s, s:o}", "database", cfg->database, "accounts", c.list);

		c.list = NULL;
		json_dumpf(doc, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(doc);
	}
out:
	json_decref(c.list);
	store_close(s);
	config_free(cfg);
	return status;
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
		return cmd_once(path);
	}
	if (strcmp(cmd, "run") == 0 && optind == argc) {
		log_init(LOG_LEVEL_INFO + verbose, 0);
		return cmd_run(path);
	}
	if (strcmp(cmd, "check-config") == 0 && optind == argc) {
		log_init(LOG_LEVEL_WARN + verbose, 0);
		return cmd_check_config(path);
	}
	if (strcmp(cmd, "status") == 0) {
		bool json = optind < argc && strcmp(argv[optind], "--json") == 0;

		if (argc - optind > (json ? 1 : 0)) {
			usage(stderr);
			return EXIT_USAGE;
		}
		log_init(LOG_LEVEL_WARN + verbose, 0);
		return cmd_status(path, json);
	}
	if (strcmp(cmd, "demo") == 0 && optind == argc) {
		log_init(LOG_LEVEL_WARN + verbose, 0);
		return demo_run("/proc/self/exe");
	}
	fprintf(stderr, "twilio-alertd: unknown command or extra arguments: %s\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}

// SPDX-License-Identifier: MIT
/*
 * The engine's drivers: one cycle (poll every account, prune) for `once`,
 * the same cycle on a jittered interval for `run`, with the run lock,
 * signals (SIGTERM/SIGINT stop, SIGHUP reload) and exit statuses.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "cli/cli.h"
#include "cli/daemon.h"
#include "web/http.h"
#include "base/log.h"
#include "web/metrics.h"
#include "ingest/monitor.h"
#include "ingest/poll.h"
#include "notify/notify.h"
#include "cli/sdnotify.h"
#include "store/store.h"
#include "trigger/trigger.h"
#include "base/util.h"

#define PRUNE_BATCH 1000

static volatile int stop_flag;
static volatile int reload_flag;
/* The clock warning was given and holds until the clock agrees with Twilio's again. */
static bool clock_warned;
/* Twilio's time minus ours while the local clock is off (else 0): the triggers' clock. */
static int64_t clock_skew;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_flag = 1;
	else
		stop_flag = 1;
}

/* What one cycle tells systemd: how many accounts synced, the first failure. */
struct cycle_result {
	size_t ok;
	char first_error[512];
};

bool daemon_require_accounts(const struct config *cfg)
{
	if (cfg->n_accounts)
		return true;
	log_warnx("%s: no [account NAME] section: nothing to poll; add one with account_sid and "
	          "auth_token_file (see twilio-alertd.conf(5)), then run check-config",
	          cfg->path ? cfg->path : CONFIG_DEFAULT_PATH);
	return false;
}

/* Worse outcomes win when several accounts fail in one cycle. */
static int worse(int a, int b)
{
	static const int rank[] = {0, EXIT_TEMPFAIL, EXIT_UNAVAILABLE, EXIT_NOPERM, EXIT_DATAERR};
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
	case -EUCLEAN:
		return EXIT_DATAERR;
	case -EAGAIN:
	case -EPROTO:
	case -ENOENT:
		return EXIT_UNAVAILABLE;
	default:
		return EXIT_TEMPFAIL;
	}
}

int daemon_open_store(const struct config *cfg, struct store **out)
{
	return cli_store_status(store_open(cfg->database, false, out));
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

/* What the cycle's answers from Twilio said about the local clock. */
struct cycle_clock {
	bool heard;    /* a response had a valid Date header */
	bool answered; /* some HTTP response came at all */
	int64_t skew;  /* Twilio's time minus ours (of the first Date heard) */
};

static void note_clock(struct cycle_clock *ck, const struct poll_result *res,
                       const struct monitor_stats *ms)
{
	if (ms->status_2xx + ms->status_4xx + ms->status_5xx > 0)
		ck->answered = true;
	if (res->has_skew && !ck->heard) {
		ck->heard = true;
		ck->skew = res->skew;
	}
}

/*
 * The "now" pruning may go by, in *@now: the local clock when Twilio's Date
 * agrees (or a server that answered sent none), Twilio's time when they
 * disagree by more than POLL_CLOCK_SKEW_MAX (warned once, until they agree
 * again). False when no server answered: nothing confirms the local clock,
 * and a clock jumped ahead must not delete the store, so this cycle does not prune.
 */
static bool prune_now(const struct cycle_clock *ck, int64_t *now)
{
	char ours[UTIL_TIME_LEN], theirs[UTIL_TIME_LEN];
	int64_t local = util_now();

	if (!ck->heard) {
		*now = local;
		if (!ck->answered)
			log_debug("no answer from Twilio to check the local clock by: not pruning");
		return ck->answered;
	}
	if (llabs(ck->skew) <= POLL_CLOCK_SKEW_MAX) {
		if (clock_warned)
			log_info("the local clock agrees with Twilio's Date header again");
		clock_warned = false;
		clock_skew = 0;
		*now = local;
		return true;
	}
	clock_skew = ck->skew;
	*now = local + ck->skew;
	if (!clock_warned) {
		util_format_time(local, ours);
		util_format_time(*now, theirs);
		log_warnx("the local clock (%s) is %lld s (%.1f days) %s Twilio's (%s, its Date "
		          "header): the watermark and pruning follow Twilio's time until the clock "
		          "is corrected",
		          ours, (long long)llabs(ck->skew), (double)llabs(ck->skew) / 86400,
		          ck->skew < 0 ? "ahead of" : "behind", theirs);
		clock_warned = true;
	}
	return true;
}

/* notify_deliver tells the driver of each attempt: /metrics counts them. */
static void note_attempt(const char *channel, bool delivered, void *arg)
{
	(void)arg;
	metrics_note_notification(channel, delivered);
}

/*
 * The triggers' part of the cycle: trigger_evaluate at the current time plus
 * @skew seconds (Twilio's time minus the local one when the local clock is
 * off, else 0) writes what is due into the outbox in the transaction that
 * changes the states; then the notify stage delivers what is due at that
 * time. Each failure is logged in one line. Returns 0, or EXIT_TEMPFAIL when
 * the evaluation failed or a delivery did not succeed (it is retried later);
 * 0 when *@stop ended the evaluation (nothing changed).
 */
static int run_triggers(struct store *s, const struct config *cfg, int64_t skew, volatile int *stop)
{
	struct trigger_result tr;
	struct notify_result nr;
	int status = 0, r;

	r = trigger_evaluate(s, cfg, util_now() + skew, &tr);
	if (r == -EINTR) {
		log_info("evaluating the triggers: stopped (SIGTERM or SIGINT); nothing changed");
		return 0;
	}
	if (r < 0) {
		log_warnx("evaluating the triggers failed: %s",
		          r == -ENOMEM ? "out of memory" : store_errmsg(s));
		status = EXIT_TEMPFAIL;
	} else if (tr.fired || tr.repeats || tr.resolved) {
		log_info("triggers: %lld fired, %lld repeated, %lld resolved", (long long)tr.fired,
		         (long long)tr.repeats, (long long)tr.resolved);
	}
	/* Due notifications go out even when this evaluation failed. */
	if (stop && *stop)
		return status;
	r = notify_deliver(s, cfg, util_now() + skew, stop, note_attempt, NULL, &nr);
	if (r < 0) {
		log_warnx("delivering notifications failed: %s",
		          r == -ENOMEM ? "out of memory" : store_errmsg(s));
		status = EXIT_TEMPFAIL;
	} else if (nr.failed) {
		status = EXIT_TEMPFAIL;
	}
	return status;
}

/* poll_account's progress: a long backfill keeps systemd's watchdog fed. */
static void feed_watchdog(void *arg)
{
	(void)arg;
	sdnotify_watchdog();
}

/*
 * One cycle: poll every account, evaluate triggers, deliver, prune. Returns
 * an exit status; *@out (may be NULL) gets the accounts' outcome.
 */
static int cycle(const struct config *cfg, struct store *s, struct cycle_result *out)
{
	struct cycle_clock ck = {0};
	int64_t deleted = 0, now;
	bool can_prune;
	int status = 0, r;

	for (size_t i = 0; i < cfg->n_accounts && !stop_flag; i++) {
		const struct config_account *a = &cfg->accounts[i];
		struct poll_result res;
		struct monitor *m = NULL;

		sdnotify_watchdog();
		r = monitor_create(a, cfg->http_timeout, (int)cfg->max_retries, &stop_flag, &m);
		if (r < 0) {
			log_warnx("account %s: cannot set up the HTTP client: %s", a->name,
			          strerror(-r));
			status = worse(status, EXIT_TEMPFAIL);
			continue;
		}
		r = poll_account(s, m, cfg, a, POLL_QUERY_CAP, &stop_flag, feed_watchdog, NULL,
		                 &res);
		metrics_note_poll(a->name, r, monitor_stats(m), res.inserted, res.updated);
		note_clock(&ck, &res, monitor_stats(m));
		monitor_destroy(m);
		if (r == -EINTR)
			break;
		if (r < 0) {
			log_warnx("%s", res.error);
			status = worse(status, exit_code_of(r));
			if (out && !out->first_error[0])
				snprintf(out->first_error, sizeof(out->first_error), "%s",
				         res.error);
			continue;
		}
		if (out)
			out->ok++;
		log_info("account %s: %lld new, %lld updated, %lld page%s", a->name,
		         (long long)res.inserted, (long long)res.updated, (long long)res.pages,
		         res.pages == 1 ? "" : "s");
	}
	/*
	 * The clock verdict first: the triggers' windows and the pruning go by
	 * Twilio's time when the local clock is off.
	 */
	can_prune = prune_now(&ck, &now);
	/* On what is stored, even when a poll failed: alerting must not wait for Twilio. */
	if (!stop_flag)
		status = worse(status, run_triggers(s, cfg, clock_skew, &stop_flag));
	if (!stop_flag && can_prune) {
		r = store_prune(s, now - cfg->retention, now, PRUNE_BATCH, &stop_flag, &deleted);
		if (r < 0) {
			log_warnx("pruning old alerts failed: %s", store_errmsg(s));
			status = worse(status, r == -EUCLEAN ? EXIT_DATAERR : EXIT_TEMPFAIL);
		} else if (deleted) {
			log_info("pruned %lld alert%s older than the retention", (long long)deleted,
			         deleted == 1 ? "" : "s");
		}
	}
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

/*
 * What `once` and `run` do before their first cycle: load @path, refuse a
 * configuration without accounts, take the run lock, open the store, then
 * catch SIGTERM/SIGINT (finish the current transaction, exit 0) and SIGHUP.
 * Returns 0 with *@cfg, *@lock and *@s set, or an exit status; whatever was
 * set up is in the out parameters either way, for finish() to release.
 */
static int start(const char *path, struct config **cfg, int *lock, struct store **s)
{
	int status;

	*cfg = cli_load_config(path);
	if (!*cfg) {
		sdnotify_status("the configuration has problems; see the log");
		return EXIT_CONFIG;
	}
	if (!daemon_require_accounts(*cfg)) {
		sdnotify_status("no account configured: add an [account NAME] section");
		return EXIT_CONFIG;
	}
	status = take_lock(*cfg, lock);
	if (status == 0)
		status = daemon_open_store(*cfg, s);
	if (status == 0) {
		/* A slow trigger `where` ends on SIGTERM/SIGINT too, not only the polls. */
		store_set_stop(*s, &stop_flag);
		install_signals();
	}
	return status;
}

static void finish(struct config *cfg, int lock, struct store *s)
{
	store_close(s);
	if (lock >= 0)
		close(lock);
	config_free(cfg);
}

int daemon_once(const char *path)
{
	struct config *cfg = NULL;
	struct store *s = NULL;
	int lock = -1, status;

	status = start(path, &cfg, &lock, &s);
	if (status == 0)
		status = cycle(cfg, s, NULL);
	finish(cfg, lock, s);
	return status;
}

/* SIGHUP: a configuration that does not load keeps the old one running. */
static void reload(const char *path, struct config **cfg, struct http_server *srv)
{
	struct config *fresh;

	reload_flag = 0;
	log_info("reloading the configuration");
	sdnotify_send("RELOADING=1");
	fresh = cli_load_config(path);
	if (fresh && !daemon_require_accounts(fresh)) {
		config_free(fresh);
		fresh = NULL;
	}
	if (!fresh) {
		log_warnx("the new configuration has problems; keeping the old one");
		sdnotify_status("reload refused: the new configuration has problems; see the log");
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
	/* The status page moves to the new configuration before the old one goes. */
	http_set_config(srv, fresh);
	config_free(*cfg);
	*cfg = fresh;
}

/*
 * The webhook stored pushes while the poller waited: the triggers see them
 * now (within the wait loop's one-second step), not at the next poll.
 */
static void after_pushes(const struct config *cfg, struct store *s)
{
	log_debug("webhook pushes stored: evaluating the triggers");
	run_triggers(s, cfg, clock_skew, &stop_flag);
}

/* After a cycle under systemd: one STATUS= line for `systemctl status`. */
static void notify_cycle(const struct config *cfg, const struct cycle_result *res)
{
	char when[UTIL_TIME_LEN];

	util_format_time(util_now(), when);
	if (res->ok == cfg->n_accounts)
		sdnotify_status("last poll %s: %zu account(s) ok", when, res->ok);
	else
		sdnotify_status("last poll %s: %zu of %zu account(s) failing%s%s", when,
		                cfg->n_accounts - res->ok, cfg->n_accounts,
		                res->first_error[0] ? "; " : "", res->first_error);
}

int daemon_run(const char *path)
{
	bool notify = sdnotify_init();
	struct config *cfg = NULL;
	struct http_server *srv = NULL;
	struct store *s = NULL;
	int lock = -1, status, r;

	status = start(path, &cfg, &lock, &s);
	if (status)
		goto out;
	if (cfg->listen && (r = http_start(cfg, &srv)) < 0) {
		status = r == -EADDRINUSE ? EXIT_TEMPFAIL : EXIT_CONFIG;
		goto out;
	}
	sdnotify_send("READY=1");
	log_info("started: %zu account(s), polling every %llds", cfg->n_accounts,
	         (long long)cfg->interval);
	while (!stop_flag) {
		struct cycle_result res = {0};
		int64_t wait;

		cycle(cfg, s, &res);
		http_note_cycle(srv);
		if (notify && !stop_flag)
			notify_cycle(cfg, &res);
		/* +-10% jitter so many agents do not poll Twilio in lockstep. */
		wait = cfg->interval * 1000;
		wait += (int64_t)util_random((uint64_t)wait / 5 + 1) - wait / 10;
		while (!stop_flag && !reload_flag && wait > 0) {
			int64_t step = wait < 1000 ? wait : 1000;

			sdnotify_watchdog();
			if (http_take_pushes(srv))
				after_pushes(cfg, s);
			util_sleep_ms(step, &stop_flag);
			wait -= step;
		}
		if (reload_flag && !stop_flag) {
			reload(path, &cfg, srv);
			sdnotify_send("READY=1");
		}
	}
	sdnotify_send("STOPPING=1");
	log_info("stopping");
	status = 0;
out:
	http_stop(srv);
	finish(cfg, lock, s);
	return status;
}

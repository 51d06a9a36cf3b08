// SPDX-License-Identifier: MIT
/*
 * `twilio-alertd outbox list|retry|drop [--channel NAME] [ID...]`. The rows
 * are read first and every ID checked, so a typo changes nothing; the
 * changes of one command are one transaction. A running daemon is not in
 * the way: SQLite serialises the writers, and a retried row is simply due.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "cli/cli.h"
#include "base/log.h"
#include "notify/notify.h"
#include "cli/outbox-cmd.h"
#include "store/store-outbox.h"
#include "base/util.h"

struct row {
	int64_t id;
	char channel[64];
	bool orphaned;
};

struct picked {
	const struct config *cfg;
	bool print;
	struct row *v;
	size_t n, cap;
};

static const char *when(int64_t t, char buf[UTIL_TIME_LEN])
{
	if (!t)
		return "-";
	util_format_time(t, buf);
	return buf;
}

static int take(const struct store_outbox *o, void *arg)
{
	struct picked *p = arg;
	char a[UTIL_TIME_LEN], b[UTIL_TIME_LEN], c[UTIL_TIME_LEN];
	bool orphaned = !notify_find(p->cfg, o->channel);
	struct row *x;

	int r = UTIL_GROW(p->v, p->cap, p->n + 1);

	if (r < 0)
		return r;
	x = &p->v[p->n++];
	x->id = o->id;
	x->orphaned = orphaned;
	snprintf(x->channel, sizeof(x->channel), "%s", o->channel ? o->channel : "");
	if (!p->print)
		return 0;
	printf("%-6lld %-16s %-8s %-20s %-8s %-20s %-20s %-20s %lld", (long long)o->id,
	       o->channel ? o->channel : "",
	       orphaned      ? "orphaned"
	       : o->attempts ? "failing"
	                     : "waiting",
	       o->trigger_name ? o->trigger_name : "", o->kind ? o->kind : "", when(o->created, a),
	       when(o->next_attempt, b), when(o->last_attempt, c), (long long)o->attempts);
	if (o->group && *o->group)
		printf("  group %s", o->group);
	if (o->last_error && *o->last_error)
		printf("  last error: %s", o->last_error);
	printf("\n");
	return 0;
}

/* A notification ID: a positive decimal number. */
static bool parse_id(const char *v, int64_t *out)
{
	size_t n = strspn(v, "0123456789");

	if (!n || v[n] || n > 18)
		return false;
	*out = strtoll(v, NULL, 10);
	return *out > 0;
}

/* The rows the command acts on, all of them checked before anything changes. */
static int pick(struct store *s, const char *channel, const int64_t *ids, size_t n_ids,
                struct picked *p)
{
	struct store_outbox_pick k = {.channel = channel};
	int r = 0;

	if (!n_ids)
		return store_outbox_list(s, &k, take, p);
	for (size_t i = 0; r == 0 && i < n_ids; i++) {
		size_t before = p->n;

		k.id = ids[i];
		r = store_outbox_list(s, &k, take, p);
		if (r == 0 && p->n == before) {
			fprintf(stderr,
			        "twilio-alertd: outbox: no undelivered notification %lld%s%s\n",
			        (long long)ids[i], channel ? " on channel " : "",
			        channel ? channel : "");
			r = EXIT_DATAERR;
		}
	}
	return r;
}

static int act(struct store *s, bool drop, const struct picked *p, int64_t *done)
{
	int64_t now = util_now(), n;
	int r = store_begin(s);

	*done = 0;
	for (size_t i = 0; r == 0 && i < p->n; i++) {
		struct store_outbox_pick k = {.id = p->v[i].id};

		if (!drop && p->v[i].orphaned)
			continue;
		r = drop ? store_outbox_delete(s, &k, &n) : store_outbox_reschedule(s, &k, now, &n);
		*done += n;
	}
	if (r == 0)
		r = store_commit(s);
	else
		store_rollback(s);
	return r;
}

/* Retry skips the rows no channel would take: say whose they are, once per channel. */
static void say_skipped(const struct picked *p)
{
	for (size_t i = 0; i < p->n; i++) {
		size_t n = 0;
		bool seen = false;

		if (!p->v[i].orphaned)
			continue;
		for (size_t j = 0; j < p->n; j++) {
			bool same =
			        p->v[j].orphaned && strcmp(p->v[j].channel, p->v[i].channel) == 0;

			seen = seen || (same && j < i);
			n += same;
		}
		if (!seen)
			fprintf(stderr,
			        "twilio-alertd: outbox: %zu notification(s) of channel %s not "
			        "retried: "
			        "there is no [notify %s] (add it back, or drop them)\n",
			        n, p->v[i].channel, p->v[i].channel);
	}
}

int outbox_command(const char *path, const char *channel, int argc, char **argv)
{
	int64_t ids[OUTBOX_IDS_MAX], done = 0;
	struct picked p = {0};
	struct config *cfg = NULL;
	struct store *s = NULL;
	const char *verb = argc > 0 ? argv[0] : NULL;
	size_t n_ids = 0;
	bool list, drop;
	int status = 0, r;

	list = verb && strcmp(verb, "list") == 0;
	drop = verb && strcmp(verb, "drop") == 0;
	if (!list && !drop && !(verb && strcmp(verb, "retry") == 0)) {
		fprintf(stderr, "twilio-alertd: outbox: %s%s%s (list, retry or drop)\n",
		        verb ? "unknown subcommand '" : "a subcommand is needed", verb ? verb : "",
		        verb ? "'" : "");
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--channel") == 0 && i + 1 < argc) {
			channel = argv[++i];
		} else if (strncmp(argv[i], "--channel=", 10) == 0) {
			channel = argv[i] + 10;
		} else if (n_ids < OUTBOX_IDS_MAX && parse_id(argv[i], &ids[n_ids])) {
			n_ids++;
		} else {
			fprintf(stderr, "twilio-alertd: outbox %s: '%s' is %s; try --help\n", verb,
			        argv[i],
			        strcmp(argv[i], "--channel") == 0 ? "missing its NAME"
			        : n_ids == OUTBOX_IDS_MAX         ? "one ID too many"
			                                  : "neither --channel NAME nor an ID");
			return EXIT_USAGE;
		}
	}
	if (drop && !channel && !n_ids) {
		fprintf(stderr,
		        "twilio-alertd: outbox drop deletes notifications for good: name them "
		        "with --channel NAME or their IDs (see outbox list)\n");
		return EXIT_USAGE;
	}
	cfg = cli_load_config(path);
	if (!cfg)
		return EXIT_CONFIG;
	p.cfg = cfg;
	if (access(cfg->database, F_OK) < 0 && errno == ENOENT) {
		fprintf(stderr, "twilio-alertd: no database at %s yet: no notification to show\n",
		        cfg->database);
		status = EXIT_NOINPUT;
		goto out;
	}
	/* Only list is read-only; retry and drop change rows (and migrate an old schema). */
	r = store_open(cfg->database, list, &s);
	if (r < 0) {
		status = cli_store_status(r);
		goto out;
	}
	p.print = list;
	if (list)
		printf("%-6s %-16s %-8s %-20s %-8s %-20s %-20s %-20s %s\n", "ID", "CHANNEL",
		       "STATE", "TRIGGER", "KIND", "CREATED", "NEXT ATTEMPT", "LAST ATTEMPT",
		       "ATTEMPTS");
	r = pick(s, channel, ids, n_ids, &p);
	if (r == EXIT_DATAERR) {
		status = r;
		goto out;
	}
	if (r == 0 && list) {
		if (!p.n)
			printf("(no undelivered notification%s%s)\n", channel ? " on channel " : "",
			       channel ? channel : "");
		goto out;
	}
	if (r == 0)
		r = act(s, drop, &p, &done);
	if (r < 0) {
		log_warnx("outbox: %s", r == -ENOMEM ? "out of memory" : store_errmsg(s));
		status = EXIT_TEMPFAIL;
		goto out;
	}
	if (!drop)
		say_skipped(&p);
	if (drop)
		printf("outbox: dropped %lld notification(s)\n", (long long)done);
	else
		printf("outbox: %lld notification(s) due now; the next cycle of `run` (or `once`) "
		       "delivers them\n",
		       (long long)done);
	if (!done && p.n)
		status = EXIT_DATAERR;
out:
	free(p.v);
	store_close(s);
	config_free(cfg);
	return status;
}

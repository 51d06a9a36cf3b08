// SPDX-License-Identifier: MIT
/*
 * /metrics: the Prometheus text of the agent's health, sync state, stored
 * alerts, triggers and outbox, after metrics.c's live counters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-read.h"
#include "version.h"
#include "web/http-metrics.h"
#include "web/http-private.h"
#include "web/metrics.h"
#include "web/summary.h"

/* --- metrics -------------------------------------------------------------------- */

#define HELP(sb, r, name, help)                                                                    \
	strbuf_addf(sb, r, "# HELP twilio_alertd_%s %s\n# TYPE twilio_alertd_%s gauge\n", name,    \
	            help, name)

/* The name of the [account] section with @sid, or NULL. */
static const char *account_of(const struct config *cfg, const char *sid)
{
	for (size_t i = 0; sid && i < cfg->n_accounts; i++)
		if (cfg->accounts[i].account_sid && strcmp(cfg->accounts[i].account_sid, sid) == 0)
			return cfg->accounts[i].name;
	return NULL;
}

void metrics(struct http_server *srv, const struct config *cfg, struct store *s, struct reply *rp)
{
	struct summary_view *v = malloc(sizeof(*v));
	struct health_data *d = malloc(sizeof(*d));
	struct strbuf *sb = &rp->body;
	struct health_outbox ob;
	int64_t now = util_now(), other = 0;
	char problem[HEALTH_REASON_MAX], label[METRICS_LABEL_MAX];
	int r = v && d ? metrics_render(sb) : -ENOMEM, q;
	bool read;

	health(srv, cfg, now, problem, sizeof(problem));
	q = r ? r : health_read(s, d);
	read = q == 0; /* *d is filled in (a later -EAGAIN is the summary's) */
	HELP(sb, &r, "healthy", "1 when /healthz answers 200.");
	strbuf_addf(sb, &r, "twilio_alertd_healthy %d\n", !problem[0]);
	HELP(sb, &r, "build_info", "The agent's version, as a label.");
	strbuf_addf(sb, &r, "twilio_alertd_build_info{version=\"%s\"} 1\n", ALERTD_VERSION);
	HELP(sb, &r, "last_success_timestamp_seconds",
	     "End of the last successful poll of the account (Unix time; 0 = never).");
	for (size_t i = 0; q == 0 && i < cfg->n_accounts; i++) {
		const struct store_sync_state *st = health_sync(d, cfg->accounts[i].name);

		metrics_label(cfg->accounts[i].name, label, sizeof(label));
		strbuf_addf(sb, &r,
		            "twilio_alertd_last_success_timestamp_seconds{account=\"%s\"} %lld\n",
		            label, (long long)(st ? st->last_success : 0));
	}
	HELP(sb, &r, "last_success_age_seconds",
	     "Seconds since the last successful poll of the account (absent: never polled).");
	for (size_t i = 0; q == 0 && i < cfg->n_accounts; i++) {
		const struct store_sync_state *st = health_sync(d, cfg->accounts[i].name);

		if (!st || !st->last_success)
			continue;
		metrics_label(cfg->accounts[i].name, label, sizeof(label));
		strbuf_addf(sb, &r, "twilio_alertd_last_success_age_seconds{account=\"%s\"} %lld\n",
		            label, (long long)(now - st->last_success));
	}
	HELP(sb, &r, "newest_alert_age_seconds",
	     "Age of the newest alert the account's last complete query returned (a quiet account "
	     "grows old here while it syncs fine; absent: no alert yet).");
	for (size_t i = 0; q == 0 && i < cfg->n_accounts; i++) {
		const struct store_sync_state *st = health_sync(d, cfg->accounts[i].name);

		if (!st || !st->has_watermark)
			continue;
		metrics_label(cfg->accounts[i].name, label, sizeof(label));
		strbuf_addf(sb, &r, "twilio_alertd_newest_alert_age_seconds{account=\"%s\"} %lld\n",
		            label, (long long)(now - st->watermark));
	}
	q = q ? q : summary_view(srv->sm, s, now, 5000, v);
	if (q == 0) {
		HELP(sb, &r, "alerts_stored",
		     "Alert rows in the database, by account (rows of an account SID no [account] "
		     "has are summed as account=\"(unconfigured)\").");
		for (size_t i = 0; i < cfg->n_accounts; i++) {
			int64_t n = 0;

			for (size_t j = 0; j < v->n_accounts; j++)
				if (cfg->accounts[i].account_sid &&
				    strcmp(v->accounts[j].account_sid,
				           cfg->accounts[i].account_sid) == 0)
					n = v->accounts[j].rows;
			metrics_label(cfg->accounts[i].name, label, sizeof(label));
			strbuf_addf(sb, &r, "twilio_alertd_alerts_stored{account=\"%s\"} %lld\n",
			            label, (long long)n);
		}
		for (size_t j = 0; j < v->n_accounts; j++)
			if (!account_of(cfg, v->accounts[j].account_sid))
				other += v->accounts[j].rows;
		if (other)
			strbuf_addf(
			        sb, &r,
			        "twilio_alertd_alerts_stored{account=\"(unconfigured)\"} %lld\n",
			        (long long)other);
		HELP(sb, &r, "alerts_recent",
		     "Alerts created in the last hour, day or week, by level.");
		for (int k = 0; k < SUMMARY_WINDOWS; k++)
			for (int l = 0; l < SUMMARY_LEVELS; l++)
				strbuf_addf(sb, &r,
				            "twilio_alertd_alerts_recent{window=\"%s\",log_level="
				            "\"%s\"} "
				            "%lld\n",
				            summary_window_names[k], summary_level_names[l],
				            (long long)v->levels[k][l]);
	}
	if (read && (q == 0 || q == -EAGAIN)) {
		health_outbox(cfg, &d->tr, &ob);
		HELP(sb, &r, "triggers_firing", "Trigger groups in state firing.");
		strbuf_addf(sb, &r, "twilio_alertd_triggers_firing %lld\n",
		            (long long)d->tr.firing);
		HELP(sb, &r, "outbox_backlog",
		     "Notifications not delivered yet, for channels that are configured.");
		strbuf_addf(sb, &r, "twilio_alertd_outbox_backlog %lld\n", (long long)ob.waiting);
		HELP(sb, &r, "outbox_oldest_age_seconds",
		     "How long the oldest of those has waited (0 = none).");
		strbuf_addf(sb, &r, "twilio_alertd_outbox_oldest_age_seconds %lld\n",
		            (long long)(ob.waiting ? now - ob.oldest_waiting : 0));
		HELP(sb, &r, "outbox_orphaned",
		     "Notifications kept for channels no longer configured (never attempted; see "
		     "`twilio-alertd outbox list`).");
		strbuf_addf(sb, &r, "twilio_alertd_outbox_orphaned %lld\n", (long long)ob.orphaned);
	}
	free(v);
	free(d);
	if (r < 0 || (q < 0 && q != -EAGAIN)) {
		text(rp, 503, r < 0 ? "cannot render the metrics" : store_errmsg(s));
		return;
	}
	rp->status = 200;
	rp->type = "text/plain; version=0.0.4; charset=utf-8";
}

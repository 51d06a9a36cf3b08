// SPDX-License-Identifier: MIT
/*
 * Outbox delivery and the channel transports. Rows are delivered in id order
 * per channel; the first failure on a channel reschedules that row with
 * exponential backoff and holds the rest of the channel back, so receivers
 * see notifications in the order they happened. The syslog channel is
 * here; programs (exec, sendmail) are in notify-exec.c, SMTP and the
 * webhook in notify-curl.c. Secrets never go to a log line, an argv or the
 * database.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/log.h"
#include "notify/notify.h"
#include "notify/notify-msg.h"
#include "notify/notify-private.h"
#include "store/store-trigger.h"
#include "base/util.h"
#include "notify/notify-curl.h"
#include "notify/notify-exec.h"

int64_t notify_backoff(int64_t failures)
{
	int64_t delay = NOTIFY_RETRY_FIRST;

	for (int64_t i = 1; i < failures && delay < NOTIFY_RETRY_MAX; i++)
		delay *= 2;
	if (delay > NOTIFY_RETRY_MAX)
		delay = NOTIFY_RETRY_MAX;
	return delay + (int64_t)util_random((uint64_t)delay / 5 + 1);
}

const struct config_notify *notify_find(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_notifies; i++)
		if (strcmp(cfg->notifies[i].name, name) == 0)
			return &cfg->notifies[i];
	return NULL;
}

/* The first line of @text, printable ASCII only, for an error message. */
void notify_first_line(const char *text, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < size && text[i] != '\n'; i++)
		out[o++] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : ' ';
	out[o] = '\0';
}

/* ---- syslog ---------------------------------------------------------- */

static int facility_code(const char *f)
{
	static const char *const local[] = {"local0", "local1", "local2", "local3",
	                                    "local4", "local5", "local6", "local7"};

	if (f && strcmp(f, "user") == 0)
		return LOG_USER;
	for (size_t i = 0; f && i < ARRAY_SIZE(local); i++)
		if (strcmp(f, local[i]) == 0)
			return (16 + (int)i) << 3;
	return LOG_DAEMON;
}

/*
 * One datagram in the format glibc's syslog(3) sends to /dev/log
 * ("<PRI>Mmm dd hh:mm:ss IDENT[PID]: MESSAGE"), written here rather than
 * through openlog(3) so that the channel's ident and facility do not change
 * the agent's own logging, and so that a failure is seen and retried.
 */
static int send_syslog(const struct config_notify *n, json_t *note, char *err, size_t size)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *path = getenv(NOTIFY_SYSLOG_SOCKET_ENV);
	char line[NOTIFY_SYSLOG_MAX], msg[NOTIFY_SYSLOG_MAX + 128];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	time_t now = time(NULL);
	struct tm tm;
	int pri, fd = -1, len, r = 0;

	if (!path || !*path)
		path = "/dev/log";
	pri = notify_syslog_line(note, line, sizeof(line)) | facility_code(n->facility);
	localtime_r(&now, &tm);
	len = snprintf(msg, sizeof(msg), "<%d>%.3s %2d %02d:%02d:%02d %s[%d]: %s", pri,
	               months + 3 * tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	               n->ident, (int)getpid(), line);
	if (len < 0 || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, size, "syslog socket path too long");
		return -EINVAL;
	}
	if ((size_t)len >= sizeof(msg))
		len = sizeof(msg) - 1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	for (int type = SOCK_DGRAM;; type = SOCK_STREAM) {
		fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			r = -errno;
			break;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			/* A stream socket takes the NUL as the end of the message. */
			if (send(fd, msg, (size_t)len + (type == SOCK_STREAM), MSG_NOSIGNAL) < 0)
				r = -errno;
			break;
		}
		r = -errno;
		close(fd);
		fd = -1;
		if (r != -EPROTOTYPE || type == SOCK_STREAM)
			break;
		r = 0;
	}
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		snprintf(err, size, "syslog socket %s: %s", path, strerror(-r));
		return -EIO;
	}
	return 0;
}

int notify_send(const struct config *cfg, const struct config_notify *n, const char *payload,
                volatile int *stop, char *err, size_t size)
{
	json_t *note = json_loads(payload, 0, NULL);
	const char *key, *kind;
	struct strbuf msg;
	int r;

	err[0] = '\0';
	strbuf_init(&msg, NOTIFY_MESSAGE_MAX);
	if (!json_is_object(note)) {
		snprintf(err, size, "the stored notification is not JSON");
		r = -EINVAL;
		goto out;
	}
	switch (n->type) {
	case CONFIG_NOTIFY_SYSLOG:
		r = send_syslog(n, note, err, size);
		break;
	case CONFIG_NOTIFY_EXEC:
		r = notify_exec_send(n, note, payload, stop, err, size);
		break;
	case CONFIG_NOTIFY_WEBHOOK:
		key = json_string_value(json_object_get(note, "idempotency_key"));
		kind = json_string_value(json_object_get(note, "kind"));
		r = notify_webhook_send(n, payload, key ? key : "", kind ? kind : "", stop, err,
		                        size);
		break;
	case CONFIG_NOTIFY_EMAIL:
		/* SMTP wants CRLF; a sendmail program takes the local convention. */
		r = notify_email(cfg, n, note, n->sendmail == NULL, &msg);
		if (r < 0) {
			snprintf(err, size, "cannot build the message: %s", strerror(-r));
			break;
		}
		r = n->sendmail ? notify_sendmail_send(n, msg.buf, stop, err, size)
		                : notify_smtp_send(n, msg.buf, stop, err, size);
		break;
	default:
		snprintf(err, size, "unknown channel type");
		r = -EINVAL;
		break;
	}
out:
	strbuf_finish(&msg);
	json_decref(note);
	return r;
}

/* ---- the outbox ------------------------------------------------------- */

struct row {
	int64_t id;
	int64_t attempts;
	int64_t next_attempt;
	char *channel;
	char *trigger_name;
	char *group;
	char *kind;
	char *payload;
};

struct rows {
	struct row *v;
	size_t n, cap;
	size_t in_channel; /* rows taken of the channel of v[n - 1] */
};

static int take_row(const struct store_outbox *o, void *arg)
{
	struct rows *rows = arg;
	struct row *x;
	int r;

	/*
	 * A cap per channel, not in all: a channel with a long backlog (a mail
	 * server down for a day) must not keep the channels after it from being
	 * loaded at all. The rest of a channel waits for the next round.
	 */
	if (rows->n && strcmp(rows->v[rows->n - 1].channel, o->channel) == 0) {
		if (rows->in_channel == NOTIFY_BATCH)
			return 0;
	} else {
		rows->in_channel = 0;
	}
	r = UTIL_GROW(rows->v, rows->cap, rows->n + 1);
	if (r < 0)
		return r;
	rows->in_channel++;
	x = &rows->v[rows->n];
	memset(x, 0, sizeof(*x));
	x->id = o->id;
	x->attempts = o->attempts;
	x->next_attempt = o->next_attempt;
	x->channel = strdup(o->channel);
	x->trigger_name = strdup(o->trigger_name);
	x->group = strdup(o->group);
	x->kind = strdup(o->kind);
	x->payload = strdup(o->payload);
	rows->n++;
	if (!x->channel || !x->trigger_name || !x->group || !x->kind || !x->payload)
		return -ENOMEM;
	return 0;
}

int notify_deliver(struct store *s, const struct config *cfg, int64_t now, volatile int *stop,
                   notify_attempt_fn fn, void *arg, struct notify_result *res)
{
	struct notify_result tally = {0};
	struct rows rows = {0};
	char err[NOTIFY_ERROR_MAX];
	size_t i = 0;
	int r;

	/*
	 * A receiver that closes its connection must not kill `once` with SIGPIPE
	 * (libcurl is told not to touch signals); programs get SIG_DFL back.
	 */
	signal(SIGPIPE, SIG_IGN);
	r = store_outbox_pending(s, take_row, &rows);
	if (r < 0)
		goto out;
	while (i < rows.n) {
		const char *channel = rows.v[i].channel;
		const struct config_notify *n = notify_find(cfg, channel);
		bool held = false;

		/* Rows come by channel then id: this inner loop is one channel's queue. */
		for (; i < rows.n && strcmp(rows.v[i].channel, channel) == 0; i++) {
			struct row *x = &rows.v[i];
			int64_t next;

			if (!n) {
				tally.unknown++;
				continue;
			}
			if (held || x->next_attempt > now || (stop && *stop)) {
				held = true;
				tally.waiting++;
				continue;
			}
			r = notify_send(cfg, n, x->payload, stop, err, sizeof(err));
			if (r == -EINTR) {
				/* Stopped: the row stays as it was, for the next run. */
				r = 0;
				held = true;
				tally.waiting++;
				continue;
			}
			if (r == 0) {
				r = store_outbox_done(s, x->id, util_now(), NULL, 0);
				tally.delivered++;
				if (fn)
					fn(channel, true, arg);
				log_info("notify %s: delivered %s of trigger %s%s%s", channel,
				         x->kind, x->trigger_name, *x->group ? " group " : "",
				         x->group);
			} else {
				next = util_now() + notify_backoff(x->attempts + 1);
				r = store_outbox_done(s, x->id, util_now(), err, next);
				tally.failed++;
				if (fn)
					fn(channel, false, arg);
				held = true;
				log_warnx("notify %s: %s of trigger %s not delivered (attempt "
				          "%lld, will"
				          " retry): %s",
				          channel, x->kind, x->trigger_name,
				          (long long)x->attempts + 1, err);
			}
			if (r < 0)
				goto out;
		}
		if (!n)
			log_debug("notify %s: outbox rows for a channel that is not configured",
			          channel);
	}
out:
	for (size_t k = 0; rows.v && k < rows.n; k++) {
		free(rows.v[k].channel);
		free(rows.v[k].trigger_name);
		free(rows.v[k].group);
		free(rows.v[k].kind);
		free(rows.v[k].payload);
	}
	free(rows.v);
	if (res)
		*res = tally;
	return r;
}

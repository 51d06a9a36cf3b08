// SPDX-License-Identifier: MIT
/*
 * Outbox delivery and the channel transports. Rows are delivered in id order
 * per channel; the first failure on a channel reschedules that row with
 * exponential backoff and holds the rest of the channel back, so receivers
 * see notifications in the order they happened. With monitor.c the HTTP
 * client code: SMTP and the webhook POST run on handles set up by
 * base/net.c; secrets go to libcurl and OpenSSL only, never to a log line,
 * an argv or the database.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "base/log.h"
#include "base/net.h"
#include "web/metrics.h"
#include "notify/notify.h"
#include "base/sign.h"
#include "store/store-trigger.h"
#include "base/util.h"
#include "version.h"

#define EXEC_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define CONNECT_TIMEOUT_MAX 10

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
static void first_line(const char *text, size_t len, char *out, size_t size)
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

/* ---- programs: exec and sendmail --------------------------------------- */

/* A sealed-off copy of @data to hand to a child as its stdin (no pipe to fill). */
static int input_fd(const char *data, size_t len)
{
	int fd = memfd_create("twilio-alertd-input", MFD_CLOEXEC);
	size_t done = 0;

	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;

			close(fd);
			return e;
		}
		done += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/*
 * Run @argv with @envp (no shell), @input on stdin, its output kept (capped)
 * for the error line. After @timeout seconds, or when *@stop is set, its
 * whole process group is killed. Exit status 0 is success.
 */
static int run_program(char *const argv[], char *const envp[], const char *input, size_t len,
                       int64_t timeout, volatile int *stop, char *err, size_t size)
{
	char out[NOTIFY_OUTPUT_MAX], line[160];
	int64_t deadline = util_mono_ms() + timeout * 1000;
	int in = -1, pipefd[2] = {-1, -1}, status = 0, r = 0;
	size_t got = 0;
	bool exited = false, killed = false;
	pid_t pid;

	in = input_fd(input, len);
	if (in < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
		r = in < 0 ? in : -errno;
		snprintf(err, size, "cannot start %s: %s", argv[0], strerror(-r));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		snprintf(err, size, "cannot start %s: %s", argv[0], strerror(-r));
		goto out;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls from here to execve. */
		char msg[] = "cannot execute the program\n";

		setpgid(0, 0);
		if (dup2(in, 0) < 0 || dup2(pipefd[1], 1) < 0 || dup2(pipefd[1], 2) < 0)
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		execve(argv[0], argv, envp);
		if (write(2, msg, sizeof(msg) - 1) < 0)
			_exit(127);
		_exit(127);
	}
	/* Also from here, so that a kill right after fork reaches the group. */
	setpgid(pid, pid);
	close(pipefd[1]);
	pipefd[1] = -1;
	while (!exited) {
		struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
		int64_t left = deadline - util_mono_ms();
		pid_t w;

		if (left <= 0 || (stop && *stop)) {
			killed = true;
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		if (pipefd[0] >= 0 && poll(&p, 1, left < 100 ? (int)left : 100) > 0) {
			char buf[1024];
			ssize_t n = read(pipefd[0], buf, sizeof(buf));

			if (n > 0 && got < sizeof(out)) {
				size_t take = (size_t)n < sizeof(out) - got ? (size_t)n
				                                            : sizeof(out) - got;

				memcpy(out + got, buf, take);
				got += take;
			} else if (n == 0) {
				/* Closed: only waitpid is left to do. */
				close(pipefd[0]);
				pipefd[0] = -1;
			}
		} else if (pipefd[0] < 0) {
			util_sleep_ms(20, NULL);
		}
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			exited = true;
	}
	first_line(out, got, line, sizeof(line));
	if (killed && stop && *stop) {
		snprintf(err, size, "%s: interrupted", argv[0]);
		r = -EINTR;
	} else if (killed) {
		snprintf(err, size, "%s: timed out after %llds (killed)", argv[0],
		         (long long)timeout);
		r = -ETIMEDOUT;
	} else if (WIFSIGNALED(status)) {
		snprintf(err, size, "%s: killed by signal %d%s%s", argv[0], WTERMSIG(status),
		         line[0] ? ": " : "", line);
		r = -EIO;
	} else if (WEXITSTATUS(status) != 0) {
		snprintf(err, size, "%s: exit status %d%s%s", argv[0], WEXITSTATUS(status),
		         line[0] ? ": " : "", line);
		r = -EIO;
	}
out:
	if (in >= 0)
		close(in);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	return r;
}

/* NAME=value into @env[*@n] (allocated). */
static int add_env(char **env, size_t *n, const char *name, const char *value)
{
	if (asprintf(&env[*n], "TWILIO_ALERTD_%s=%s", name, value ? value : "") < 0)
		return -ENOMEM;
	(*n)++;
	return 0;
}

/*
 * The program's environment is built from nothing: the agent's own may hold
 * TWILIO_AUTH_TOKEN and the like.
 */
int notify_exec_env(const struct config_notify *n, json_t *note, char **env)
{
	static const char *const fields[] = {"kind",  "trigger",  "group",
	                                     "state", "severity", "started",
	                                     "at",    "window",   "idempotency_key"};
	static const char *const numbers[][2] = {{"COUNT", "count"},
	                                         {"THRESHOLD", "threshold"},
	                                         {"WINDOW_SECONDS", "window_seconds"}};
	char upper[32], numbuf[32];
	size_t k = 0;
	int r = 0;

	_Static_assert(1 + ARRAY_SIZE(fields) + ARRAY_SIZE(numbers) + 2 == NOTIFY_EXEC_ENV_MAX,
	               "NOTIFY_EXEC_ENV_MAX is the number of variables");
	env[k] = strdup("PATH=" EXEC_PATH);
	r = env[k++] ? 0 : -ENOMEM;
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(fields); i++) {
		size_t j;

		for (j = 0; fields[i][j] && j + 1 < sizeof(upper); j++)
			upper[j] = (char)(fields[i][j] >= 'a' && fields[i][j] <= 'z'
			                          ? fields[i][j] - 32
			                          : fields[i][j]);
		upper[j] = '\0';
		r = add_env(env, &k, upper, json_string_value(json_object_get(note, fields[i])));
	}
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(numbers); i++) {
		snprintf(numbuf, sizeof(numbuf), "%lld",
		         (long long)json_integer_value(json_object_get(note, numbers[i][1])));
		r = add_env(env, &k, numbers[i][0], numbuf);
	}
	if (r == 0)
		r = add_env(env, &k, "CHANNEL", n->name);
	if (r == 0)
		r = add_env(env, &k, "SCHEMA_VERSION", "1");
	env[k] = NULL;
	if (r < 0) {
		for (size_t i = 0; i < k; i++)
			free(env[i]);
		env[0] = NULL;
		return r;
	}
	return (int)k;
}

static int send_exec(const struct config_notify *n, json_t *note, const char *payload,
                     volatile int *stop, char *err, size_t size)
{
	char *env[NOTIFY_EXEC_ENV_MAX + 1] = {NULL};
	int r = notify_exec_env(n, note, env);

	if (r < 0)
		snprintf(err, size, "out of memory");
	else
		r = run_program(n->argv, env, payload, strlen(payload), n->timeout, stop, err,
		                size);
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
	return r;
}

static int send_sendmail(const struct config_notify *n, const char *message, volatile int *stop,
                         char *err, size_t size)
{
	char *argv[8 + 64] = {NULL}, from[320], rcpt[64][320];
	char *env[] = {(char *)"PATH=" EXEC_PATH, NULL};
	size_t k = 0, nr = 0;

	if (notify_address(n->from, from, sizeof(from)) < 0) {
		snprintf(err, size, "from is not an address");
		return -EINVAL;
	}
	argv[k++] = n->sendmail;
	argv[k++] = (char *)"-i";
	argv[k++] = (char *)"-f";
	argv[k++] = from;
	argv[k++] = (char *)"--";
	for (size_t i = 0; i < n->n_to + n->n_cc && nr < ARRAY_SIZE(rcpt); i++) {
		const char *v = i < n->n_to ? n->to[i] : n->cc[i - n->n_to];

		if (notify_address(v, rcpt[nr], sizeof(rcpt[nr])) < 0) {
			snprintf(err, size, "recipient %zu is not an address", i + 1);
			return -EINVAL;
		}
		argv[k++] = rcpt[nr++];
	}
	return run_program(argv, env, message, strlen(message), n->timeout, stop, err, size);
}

/* ---- libcurl: SMTP and the webhook ------------------------------------ */

struct upload {
	const char *data;
	size_t len, pos;
};

static size_t on_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->len - u->pos)
		n = u->len - u->pos;
	memcpy(buf, u->data + u->pos, n);
	u->pos += n;
	return n;
}

/* A response is only read for its first line: keep NOTIFY_OUTPUT_MAX bytes, drop the rest. */
static size_t on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct strbuf *sb = arg;
	size_t n = size * nmemb, room = sb->max - sb->len;

	strbuf_append(sb, data, n < room ? n : room);
	return n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	volatile int *stop = arg;

	return stop && *stop;
}

/* A handle for channel @n: net.c's common setup, then what every channel adds. */
static CURL *easy_create(const struct config_notify *n, enum net_use use, volatile int *stop,
                         char *errbuf)
{
	long connect = (long)(n->timeout < CONNECT_TIMEOUT_MAX ? n->timeout : CONNECT_TIMEOUT_MAX);
	CURL *e;

	if (net_easy_create(use, (long)n->timeout, connect, &e) < 0)
		return NULL;
	errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_URL, n->url);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, stop);
	return e;
}

static int curl_failure(CURLcode rc, const char *errbuf, volatile int *stop, const char *what,
                        char *err, size_t size)
{
	if (rc == CURLE_ABORTED_BY_CALLBACK && stop && *stop) {
		snprintf(err, size, "%s: interrupted", what);
		return -EINTR;
	}
	snprintf(err, size, "%s: %s", what, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	return rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO;
}

static int send_smtp(const struct config_notify *n, const char *message, volatile int *stop,
                     char *err, size_t size)
{
	static const long use_ssl[] = {
	        [CONFIG_STARTTLS_REQUIRED] = (long)CURLUSESSL_ALL,
	        [CONFIG_STARTTLS_OPTIONAL] = (long)CURLUSESSL_TRY,
	        [CONFIG_STARTTLS_NO] = (long)CURLUSESSL_NONE,
	};
	char errbuf[CURL_ERROR_SIZE], from[330], addr[320], rcpt[330];
	struct upload up = {.data = message, .len = strlen(message)};
	struct curl_slist *rcpts = NULL, *more;
	CURL *e = NULL;
	CURLcode rc;
	int r = 0;

	if (notify_address(n->from, addr, sizeof(addr)) < 0) {
		snprintf(err, size, "from is not an address");
		return -EINVAL;
	}
	snprintf(from, sizeof(from), "<%s>", addr);
	for (size_t i = 0; i < n->n_to + n->n_cc; i++) {
		const char *v = i < n->n_to ? n->to[i] : n->cc[i - n->n_to];

		if (notify_address(v, addr, sizeof(addr)) < 0) {
			snprintf(err, size, "recipient %zu is not an address", i + 1);
			r = -EINVAL;
			goto out;
		}
		snprintf(rcpt, sizeof(rcpt), "<%s>", addr);
		more = curl_slist_append(rcpts, rcpt);
		if (!more) {
			r = -ENOMEM;
			goto out;
		}
		rcpts = more;
	}
	e = easy_create(n, NET_USE_SMTP, stop, errbuf);
	if (!e) {
		snprintf(err, size, "cannot set up libcurl");
		r = -ENOMEM;
		goto out;
	}
	/* smtps:// is TLS from the start; for smtp:// this says whether STARTTLS must happen. */
	curl_easy_setopt(e, CURLOPT_USE_SSL, use_ssl[n->starttls]);
	curl_easy_setopt(e, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(e, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(e, CURLOPT_READDATA, &up);
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	if (n->username) {
		curl_easy_setopt(e, CURLOPT_USERNAME, n->username);
		curl_easy_setopt(e, CURLOPT_PASSWORD, n->password);
	}
	rc = curl_easy_perform(e);
	if (rc != CURLE_OK)
		r = curl_failure(rc, errbuf, stop, "SMTP", err, size);
out:
	curl_easy_cleanup(e);
	curl_slist_free_all(rcpts);
	if (r == -ENOMEM)
		snprintf(err, size, "out of memory");
	return r;
}

static int send_webhook(const struct config_notify *n, const char *payload, const char *key,
                        const char *kind, volatile int *stop, char *err, size_t size)
{
	char errbuf[CURL_ERROR_SIZE], sig[SIGN_SHA256_HEX_LEN], line[160];
	char h_sig[128], h_key[1024], h_kind[64], ua[96];
	struct curl_slist *headers = NULL, *more;
	struct strbuf resp;
	const char *list[6];
	long status = 0;
	CURL *e = NULL;
	CURLcode rc;
	int r = 0;

	strbuf_init(&resp, NOTIFY_OUTPUT_MAX);
	if (sign_hmac_sha256_hex(n->secret, strlen(n->secret), payload, strlen(payload), sig) < 0) {
		snprintf(err, size, "cannot sign the body");
		r = -EIO;
		goto out;
	}
	snprintf(h_sig, sizeof(h_sig), "X-Alertd-Signature: %s", sig);
	snprintf(h_key, sizeof(h_key), "X-Alertd-Idempotency-Key: %s", key);
	snprintf(h_kind, sizeof(h_kind), "X-Alertd-Event: %s", kind);
	snprintf(ua, sizeof(ua), "User-Agent: twilio-alertd/%s", ALERTD_VERSION);
	list[0] = "Content-Type: application/json";
	list[1] = h_sig;
	list[2] = h_key;
	list[3] = h_kind;
	list[4] = ua;
	list[5] = "Expect:";
	for (size_t i = 0; i < ARRAY_SIZE(list); i++) {
		more = curl_slist_append(headers, list[i]);
		if (!more) {
			snprintf(err, size, "out of memory");
			r = -ENOMEM;
			goto out;
		}
		headers = more;
	}
	e = easy_create(n, NET_USE_HTTP, stop, errbuf);
	if (!e) {
		snprintf(err, size, "cannot set up libcurl");
		r = -ENOMEM;
		goto out;
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, payload);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(payload));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &resp);
	rc = curl_easy_perform(e);
	if (rc != CURLE_OK) {
		r = curl_failure(rc, errbuf, stop, "webhook", err, size);
		goto out;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		first_line(resp.buf ? resp.buf : "", resp.len, line, sizeof(line));
		snprintf(err, size, "webhook: HTTP status %ld%s%s", status, line[0] ? ": " : "",
		         line);
		r = -EIO;
	}
out:
	curl_easy_cleanup(e);
	curl_slist_free_all(headers);
	strbuf_finish(&resp);
	return r;
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
		r = send_exec(n, note, payload, stop, err, size);
		break;
	case CONFIG_NOTIFY_WEBHOOK:
		key = json_string_value(json_object_get(note, "idempotency_key"));
		kind = json_string_value(json_object_get(note, "kind"));
		r = send_webhook(n, payload, key ? key : "", kind ? kind : "", stop, err, size);
		break;
	case CONFIG_NOTIFY_EMAIL:
		/* SMTP wants CRLF; a sendmail program takes the local convention. */
		r = notify_email(cfg, n, note, n->sendmail == NULL, &msg);
		if (r < 0) {
			snprintf(err, size, "cannot build the message: %s", strerror(-r));
			break;
		}
		r = n->sendmail ? send_sendmail(n, msg.buf, stop, err, size)
		                : send_smtp(n, msg.buf, stop, err, size);
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
	if (rows->n == rows->cap) {
		size_t cap = rows->cap ? rows->cap * 2 : 64;
		struct row *more = realloc(rows->v, cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		rows->v = more;
		rows->cap = cap;
	}
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
                   struct notify_result *res)
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
				metrics_note_notification(channel, true);
				log_info("notify %s: delivered %s of trigger %s%s%s", channel,
				         x->kind, x->trigger_name, *x->group ? " group " : "",
				         x->group);
			} else {
				next = util_now() + notify_backoff(x->attempts + 1);
				r = store_outbox_done(s, x->id, util_now(), err, next);
				tally.failed++;
				metrics_note_notification(channel, false);
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

// SPDX-License-Identifier: MIT
/*
 * The channels that run a program: exec (the notification JSON on stdin,
 * TWILIO_ALERTD_* in an environment built from nothing) and email through a
 * sendmail program. No shell; the program's process group is killed at its
 * timeout or on stop, and the first line of its output names a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "notify/notify-exec.h"
#include "notify/notify-msg.h"
#include "notify/notify-private.h"

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
	notify_first_line(out, got, line, sizeof(line));
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

int notify_exec_send(const struct config_notify *n, json_t *note, const char *payload,
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

int notify_sendmail_send(const struct config_notify *n, const char *message, volatile int *stop,
                         char *err, size_t size)
{
	char *argv[8 + 64] = {NULL}, from[320], rcpt[64][320];
	char *env[] = {(char *)"PATH=" NOTIFY_EXEC_PATH, NULL};
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

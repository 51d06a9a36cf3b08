// SPDX-License-Identifier: MIT
/*
 * Unit tests for sdnotify.c: messages reach a datagram socket this test
 * binds (a path and an abstract '@' name), the environment is cleared for
 * children, bad socket names and oversized messages are refused, and the
 * watchdog honours WATCHDOG_USEC, WATCHDOG_PID and its rate limit.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/sdnotify.h"
#include "test.h"

/* Bind a datagram socket to @name ("/path" or "@abstract"); -1 on failure. */
static int bind_socket(const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);

	if (fd < 0 || len >= sizeof(sa.sun_path))
		goto fail;
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	else
		salen++;
	if (bind(fd, (struct sockaddr *)&sa, salen) < 0)
		goto fail;
	return fd;
fail:
	perror(name);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The next datagram on @fd as a string, "" when none is waiting. */
static const char *next_msg(int fd)
{
	static char buf[SDNOTIFY_MSG_MAX + 16];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_not_under_systemd(void)
{
	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "1000000", 1);
	CHECK(!sdnotify_init());
	CHECK_INT(sdnotify_send("READY=1"), 0);
	CHECK_INT(sdnotify_status("x %d", 1), 0);
	CHECK_INT(sdnotify_watchdog_ms(), 0);
	CHECK_INT(sdnotify_watchdog(), 0);
	CHECK(getenv("WATCHDOG_USEC") == NULL);
}

static void test_path_socket(const char *dir)
{
	char path[256], long_status[SDNOTIFY_MSG_MAX * 2];
	int fd;

	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = bind_socket(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	setenv("NOTIFY_SOCKET", path, 1);
	unsetenv("WATCHDOG_USEC");
	CHECK(sdnotify_init());
	/* Children must not inherit the socket. */
	CHECK(getenv("NOTIFY_SOCKET") == NULL);
	CHECK_INT(sdnotify_send("READY=1"), 1);
	CHECK_STR(next_msg(fd), "READY=1");
	CHECK_INT(sdnotify_status("polled %d account(s)\nsecond line", 2), 1);
	CHECK_STR(next_msg(fd), "STATUS=polled 2 account(s) second line");
	/* A long status is cut to fit, never refused. */
	memset(long_status, 'x', sizeof(long_status) - 1);
	long_status[sizeof(long_status) - 1] = '\0';
	CHECK_INT(sdnotify_status("%s", long_status), 1);
	CHECK_INT(strlen(next_msg(fd)), SDNOTIFY_MSG_MAX);
	CHECK_INT(sdnotify_send(long_status), -EMSGSIZE);
	/* The watchdog is off without WATCHDOG_USEC. */
	CHECK_INT(sdnotify_watchdog_ms(), 0);
	CHECK_INT(sdnotify_watchdog(), 0);
	CHECK_STR(next_msg(fd), "");
	CHECK_INT(sdnotify_send("STOPPING=1"), 1);
	CHECK_STR(next_msg(fd), "STOPPING=1");
	close(fd);
	/* Nobody listening any more: the error comes back, nothing crashes. */
	unlink(path);
	CHECK_INT(sdnotify_send("STATUS=gone"), -ENOENT);
	/* A second init sees the cleared environment and turns everything off. */
	CHECK(!sdnotify_init());
	CHECK_INT(sdnotify_send("READY=1"), 0);
}

static void test_abstract_socket_and_watchdog(void)
{
	char name[64], pid[32];
	int fd;

	snprintf(name, sizeof(name), "@alertd-test-sdnotify-%ld", (long)getpid());
	fd = bind_socket(name);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	setenv("NOTIFY_SOCKET", name, 1);
	setenv("WATCHDOG_USEC", "400000", 1);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	CHECK(sdnotify_init());
	CHECK(getenv("WATCHDOG_USEC") == NULL && getenv("WATCHDOG_PID") == NULL);
	CHECK_INT(sdnotify_watchdog_ms(), 400);
	CHECK_INT(sdnotify_send("READY=1"), 1);
	CHECK_STR(next_msg(fd), "READY=1");
	/* The first keep-alive goes at once; the next only after a quarter period. */
	CHECK_INT(sdnotify_watchdog(), 1);
	CHECK_STR(next_msg(fd), "WATCHDOG=1");
	CHECK_INT(sdnotify_watchdog(), 0);
	CHECK_STR(next_msg(fd), "");
	usleep(120 * 1000);
	CHECK_INT(sdnotify_watchdog(), 1);
	CHECK_STR(next_msg(fd), "WATCHDOG=1");

	/* A watchdog meant for another process (the PID of a parent) is not ours. */
	setenv("NOTIFY_SOCKET", name, 1);
	setenv("WATCHDOG_USEC", "400000", 1);
	setenv("WATCHDOG_PID", "1", 1);
	CHECK(sdnotify_init());
	CHECK_INT(sdnotify_watchdog_ms(), 0);
	/* Nonsense in WATCHDOG_USEC turns it off too. */
	setenv("NOTIFY_SOCKET", name, 1);
	setenv("WATCHDOG_USEC", "12x", 1);
	CHECK(sdnotify_init());
	CHECK_INT(sdnotify_watchdog_ms(), 0);
	setenv("NOTIFY_SOCKET", name, 1);
	setenv("WATCHDOG_USEC", "-5", 1);
	CHECK(sdnotify_init());
	CHECK_INT(sdnotify_watchdog_ms(), 0);
	close(fd);
}

static void test_bad_names(void)
{
	char huge[300];

	setenv("NOTIFY_SOCKET", "relative/path", 1);
	CHECK(sdnotify_init());
	CHECK_INT(sdnotify_send("READY=1"), -EINVAL);
	setenv("NOTIFY_SOCKET", "@", 1);
	CHECK(sdnotify_init());
	CHECK_INT(sdnotify_send("READY=1"), -EINVAL);
	memset(huge, 'a', sizeof(huge) - 1);
	huge[0] = '/';
	huge[sizeof(huge) - 1] = '\0';
	setenv("NOTIFY_SOCKET", huge, 1);
	CHECK(sdnotify_init());
	CHECK_INT(sdnotify_send("READY=1"), -EINVAL);
	huge[0] = '@';
	huge[109] = '\0'; /* 108 bytes of name after the '@': one too many */
	setenv("NOTIFY_SOCKET", huge, 1);
	CHECK(sdnotify_init());
	CHECK_INT(sdnotify_send("READY=1"), -EINVAL);
	huge[108] = '\0'; /* exactly sun_path: fits (nobody listens) */
	setenv("NOTIFY_SOCKET", huge, 1);
	CHECK(sdnotify_init());
	CHECK_INT(sdnotify_send("READY=1"), -ECONNREFUSED);
}

int main(void)
{
	char dir[] = "/tmp/alertd-sdnotify.XXXXXX";

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_not_under_systemd();
	test_path_socket(dir);
	test_abstract_socket_and_watchdog();
	test_bad_names();
	rmdir(dir);
	return test_done();
}

/* SPDX-License-Identifier: MIT */
/*
 * bench-rusage: run a command and write its own CPU time and peak RSS to a
 * file. Linux carries the RSS of the process that forked (or vforked) a
 * command into that command's ru_maxrss across exec, so a command started
 * straight from Python reports at least Python's RSS (about 20 MiB for
 * /bin/true under bench-sync.py). Started from this small process instead,
 * the figure is the command's. Used by bench-sync.py; not a meson test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static double seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	FILE *out;
	pid_t pid;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: bench-rusage OUTPUT_FILE COMMAND [ARG]...\n");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("bench-rusage: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "bench-rusage: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("bench-rusage: wait4");
			return 1;
		}
	out = fopen(argv[1], "w");
	if (!out) {
		perror("bench-rusage: output file");
		return 1;
	}
	fprintf(out, "RUSAGE user_s=%.6f sys_s=%.6f maxrss_kib=%ld\n", seconds(ru.ru_utime),
	        seconds(ru.ru_stime), ru.ru_maxrss);
	fclose(out);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// SPDX-License-Identifier: MIT
/*
 * A main() for the fuzz targets when there is no libFuzzer (a gcc build):
 * every file named on the command line, and every file in every directory
 * named, goes through LLVMFuzzerTestOneInput once, in name order. Options
 * starting with '-' (libFuzzer's) are ignored. So the corpus runs as a
 * regression test in every build. No input at all is a failure: a corpus
 * that vanished must not pass.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"

/* The largest input replayed; libFuzzer's default -max_len is far below. */
#define FUZZ_MAIN_INPUT_MAX (16 * 1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path, size_t *n)
{
	char *buf = NULL;
	size_t len = 0;
	int r = util_read_file(path, FUZZ_MAIN_INPUT_MAX, &buf, &len);

	if (r < 0) {
		fprintf(stderr, "fuzz-main: %s: %s\n", path, strerror(-r));
		return r;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	free(buf);
	(*n)++;
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int run_dir(const char *dir, size_t *n)
{
	struct dirent **list = NULL;
	int k = scandir(dir, &list, NULL, by_name), r = 0;

	if (k < 0) {
		fprintf(stderr, "fuzz-main: %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < k; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (r == 0 && list[i]->d_name[0] != '.' && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode))
			r = run_file(path, n);
		free(list[i]);
	}
	free(list);
	return r;
}

int main(int argc, char **argv)
{
	size_t n = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int r;

		if (argv[i][0] == '-')
			continue;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "fuzz-main: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		r = S_ISDIR(st.st_mode) ? run_dir(argv[i], &n) : run_file(argv[i], &n);
		if (r < 0)
			return 1;
	}
	printf("fuzz-main: %zu inputs replayed\n", n);
	return n ? 0 : 1;
}

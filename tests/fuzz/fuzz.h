/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the fuzz targets: a NUL-terminated copy of the input,
 * splitting it into NUL-separated fields, a scratch directory removed at
 * exit, and the check that a renderer escapes what it is given (a byte of
 * the input must never reach the output as itself).
 */
#ifndef ALERTD_FUZZ_H
#define ALERTD_FUZZ_H

#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Report a broken invariant and abort (libFuzzer keeps the input). */
#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);   \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A NUL-terminated copy of @size bytes of @data (abort on ENOMEM; free it). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * Split @buf (@size bytes, NUL-terminated one past) at its NUL bytes into at
 * most @n fields; missing ones point at "". Returns how many were present.
 */
static inline size_t fuzz_fields(char *buf, size_t size, const char **f, size_t n)
{
	size_t k = 0;
	char *p = buf, *end = buf + size;

	for (size_t i = 0; i < n; i++)
		f[i] = "";
	while (k < n && p <= end) {
		f[k++] = p;
		p += strlen(p) + 1;
	}
	return k;
}

static int fuzz_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static char fuzz_dir_path[64];

static void fuzz_dir_remove(void)
{
	if (fuzz_dir_path[0])
		nftw(fuzz_dir_path, fuzz_rm, 8, FTW_DEPTH | FTW_PHYS);
}

/* A private scratch directory, made once and removed at exit. */
static inline const char *fuzz_dir(void)
{
	if (!fuzz_dir_path[0]) {
		const char *tmp = getenv("TMPDIR");

		snprintf(fuzz_dir_path, sizeof(fuzz_dir_path), "%.40s/alertd-fuzz-XXXXXX",
		         tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(fuzz_dir_path))
			abort();
		atexit(fuzz_dir_remove);
	}
	return fuzz_dir_path;
}

/* How often @c occurs in @len bytes of @s. */
static inline size_t fuzz_count(const char *s, size_t len, char c)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == c;
	return n;
}

/* @s with every byte of @bad replaced by 'a' (a new string; free it). */
static inline char *fuzz_defang(const char *s, const char *bad)
{
	char *d = strdup(s ? s : "");

	if (!d)
		abort();
	for (char *p = d; *p; p++)
		if (strchr(bad, *p))
			*p = 'a';
	return d;
}

#endif

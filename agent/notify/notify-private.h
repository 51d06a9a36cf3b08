/* SPDX-License-Identifier: MIT */
/*
 * What the files of notify/ share and nothing else uses (defined in
 * notify.c).
 */
#ifndef ALERTD_NOTIFY_PRIVATE_H
#define ALERTD_NOTIFY_PRIVATE_H

#include <stddef.h>

/* Bytes of a program's output or an HTTP response kept for the error line. */
#define NOTIFY_OUTPUT_MAX 4096

/*
 * notify_first_line - the first line of @len bytes of @text into @out of
 * @size bytes (NUL-terminated), printable ASCII only, for an error line.
 */
void notify_first_line(const char *text, size_t len, char *out, size_t size);

#endif

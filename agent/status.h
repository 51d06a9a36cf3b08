/* SPDX-License-Identifier: MIT */
/* The `check-config` and `status` commands. */
#ifndef ALERTD_STATUS_H
#define ALERTD_STATUS_H

#include <stdbool.h>

/* status_check_config - validate @path, print a summary. Returns an exit status. */
int status_check_config(const char *path);

/*
 * status_print - per account: last success, last error, lag, rows; as
 * text, or as JSON when @json. Returns an exit status.
 */
int status_print(const char *path, bool json);

#endif

/* SPDX-License-Identifier: MIT */
/* The `check-config` and `status` commands. */
#ifndef ALERTD_STATUS_H
#define ALERTD_STATUS_H

#include <stdbool.h>

/* status_check_config - validate @path, print a summary. Returns an exit status. */
int status_check_config(const char *path);

/* `status` exits with this when the verdict is "degraded" (the reason on stderr). */
#define STATUS_DEGRADED 1

/*
 * status_print - per account: last success, newest alert, last error,
 * rows; the outbox per channel; the health verdict of /healthz. As text,
 * or with @json as the document of /api/status (printed in every case,
 * errors included). Returns 0 healthy, STATUS_DEGRADED with the reason on
 * one stderr line, or a sysexits code: EXIT_NOINPUT (no database yet),
 * EXIT_NOPERM (cannot read it), EXIT_CONFIG, EXIT_TEMPFAIL.
 */
int status_print(const char *path, bool json);

#endif

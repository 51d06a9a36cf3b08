/* SPDX-License-Identifier: MIT */
/*
 * The sync engine: one account's alerts from the Monitor API into the
 * store, following DESIGN.md's sync rules (watermark, overlap, oldest-first
 * time slices under Twilio's per-query cap, crash safety).
 */
#ifndef ALERTD_POLL_H
#define ALERTD_POLL_H

#include <stdint.h>

#include "base/config.h"
#include "ingest/monitor.h"
#include "store/store.h"

/* Twilio's documented cap on the alerts one query can page through. */
#define POLL_QUERY_CAP 10000
/* Pages a query may take beyond cap / PageSize before its paging is refused. */
#define POLL_PAGES_MARGIN 2
/* Rows per store transaction during a backfill, and the longest a
 * transaction stays open across page fetches (other writers wait). */
#define POLL_BATCH_ROWS 10000
#define POLL_BATCH_MS 2000
/* Twilio refuses StartDate older than 30 days: stay this far inside. */
#define POLL_WINDOW_MARGIN (15 * 60)
/* The longest backfill slice (a quiet stretch may take one slice). */
#define POLL_SLICE_MAX (30 * 86400)

/*
 * Twilio's Date header and the local clock may disagree by this much (in
 * seconds) before the sync stops trusting the local clock and takes
 * Twilio's time as "now" for the query window and the watermark cap.
 */
#define POLL_CLOCK_SKEW_MAX (5 * 60)

struct poll_result {
	int64_t slices; /* queries run */
	int64_t pages;
	int64_t inserted;
	int64_t updated;
	int64_t details;   /* instances fetched for fetch_details */
	int64_t repaired;  /* strings mended with U+FFFD (invalid UTF-8, \u0000) */
	int64_t watermark; /* after the run; 0 = none yet */
	bool has_skew;     /* a response told Twilio's time (Date header) */
	int64_t skew;      /* Twilio's time minus the local time, in seconds */
	char error[512];   /* "" on success, else one line naming the problem */
};

/* Told of progress: called after every page a sync stored, with its argument. */
typedef void (*poll_progress_fn)(void *arg);

/*
 * poll_account - sync @acct once: query StartDate = watermark - overlap
 * (or the retention window on the first run) as one query, split into
 * oldest-first slices only when it reaches @cap or its first pages say it
 * would (after an unfinished run: when it has a second page), upsert every
 * page, move the watermark only over completely committed queries, record the
 * attempt in sync_state and poll_runs. When Twilio's Date header and the
 * local clock disagree by more than POLL_CLOCK_SKEW_MAX, the query window,
 * first_seen and the watermark cap follow Twilio's time, not the local
 * clock (the first page is fetched again then); res->skew tells by how
 * much, for the caller to warn and prune by. A malformed alert (no sid, a sid
 * or account_sid not of Twilio's pattern, no date) is skipped with a
 * warning; strings no parser takes are stored with U+FFFD (res->repaired).
 * Paging that cycles or runs past cap / MONITOR_PAGE_SIZE +
 * POLL_PAGES_MARGIN pages, or a page of more than MONITOR_PAGE_SIZE alerts,
 * fails the query with -EPROTO. @cap is the per-query cap
 * (POLL_QUERY_CAP unless testing). @stop aborts between pages. @progress
 * (may be NULL) is called with @progress_arg after every stored page, so a
 * long backfill can feed a watchdog.
 * Returns 0, or the failure: -EACCES (credentials refused), -EAGAIN (API
 * unavailable after retries), -EPROTO (API refused the query or answered
 * nonsense), -EINTR (stopped), or a store error (-EBUSY, -ENOSPC, -EIO,
 * -ENOMEM); res->error names it.
 */
int poll_account(struct store *s, struct monitor *m, const struct config *cfg,
                 const struct config_account *acct, int64_t cap, volatile int *stop,
                 poll_progress_fn progress, void *progress_arg, struct poll_result *res);

#endif

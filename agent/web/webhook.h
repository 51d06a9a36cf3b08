/* SPDX-License-Identifier: MIT */
/*
 * The Console Debugger webhook receiver: one form-encoded POST per alert,
 * signed with X-Twilio-Signature. A push is checked (account, signature,
 * then payload) and stored at once as an alert row with source 'push';
 * the next poll brings the same sid's full data into that row.
 */
#ifndef ALERTD_WEBHOOK_H
#define ALERTD_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "store/store.h"

/* Bytes of the Payload JSON parsed (the body cap bounds it too). */
#define WEBHOOK_PAYLOAD_MAX (128 * 1024)

struct webhook_result {
	int status;        /* HTTP status to answer */
	char reason[256];  /* one line for the answer's body (and the log) */
	char detail[256];  /* for the log only: why a 403 was given, "" otherwise */
	bool stored;       /* a new alert row was written */
	char account[128]; /* the [account NAME] it was for, "" when unknown */
};

/*
 * webhook_receive - handle one request body @body (@len bytes, not
 * NUL-terminated) with @content_type and @signature (the header values,
 * NULL when absent). Fills @res: 200 stored or already known; 400 not a
 * form, malformed Payload or no Sid (nothing stored); 403 unknown account,
 * webhook not enabled for it, missing or bad signature, or a push signed
 * by a parent for an AccountSid that is not a configured account with
 * parent_account naming it (checked before anything else is parsed,
 * nothing stored; every 403 has the same @res->reason, the cause is in
 * @res->detail); 503 when the store failed. @res->account is the
 * [account] the alert is stored for (the subaccount's, for a parent's push).
 * @rw is a read-write store of the caller's thread.
 */
void webhook_receive(const struct config *cfg, struct store *rw, const char *content_type,
                     const char *signature, const char *body, size_t len, int64_t now,
                     struct webhook_result *res);

#endif

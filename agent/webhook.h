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

#include "config.h"
#include "store.h"

/* Bytes of the Payload JSON parsed (the body cap bounds it too). */
#define WEBHOOK_PAYLOAD_MAX (128 * 1024)

struct webhook_result {
	int status;		/* HTTP status to answer */
	char reason[256];	/* one line for the answer's body and the log */
	bool stored;		/* a new alert row was written */
	char account[128];	/* the [account NAME] it was for, "" when unknown */
};

/*
 * webhook_receive - handle one request body @body (@len bytes, not
 * NUL-terminated) with @content_type and @signature (the header values,
 * NULL when absent). Fills @res: 200 stored or already known; 400 not a
 * form, malformed Payload or no Sid (nothing stored); 403 unknown account,
 * webhook not enabled for it, missing or bad signature (checked before
 * anything else is parsed, nothing stored); 503 when the store failed.
 * @rw is a read-write store of the caller's thread.
 */
void webhook_receive(const struct config *cfg, struct store *rw, const char *content_type,
		     const char *signature, const char *body, size_t len, int64_t now,
		     struct webhook_result *res);

#endif

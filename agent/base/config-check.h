/* SPDX-License-Identifier: MIT */
/*
 * Internal to base/config*.c: building each section kind from its raw values
 * and the checks that span keys or sections.
 */
#ifndef ALERTD_CONFIG_CHECK_H
#define ALERTD_CONFIG_CHECK_H

#include <stdbool.h>

#include "base/config-private.h"

/* is_sid - whether @v is @prefix (2 letters) and 32 hex digits. */
bool is_sid(const char *v, const char *prefix);

/*
 * build - build @cfg from the sections ld has read, in dependency order
 * (agent, accounts, notifies, then triggers, which refer to them). Problems
 * go to @ld; ld->err = -ENOMEM when memory ran out.
 */
void build(struct loader *ld, struct config *cfg);

#endif

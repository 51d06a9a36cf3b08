/* SPDX-License-Identifier: MIT */
/*
 * Internal to base/config*.c: the key tables (sect_defs in config-private.h)
 * and the interpretation of raw values by their key's kind.
 */
#ifndef ALERTD_CONFIG_KEYS_H
#define ALERTD_CONFIG_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "base/config-private.h"

/* word_index - the index of @v among the '|'-separated @words, or -1. */
int word_index(const char *words, const char *v);

/* fmt_dur - duration @s in its largest whole unit ("90s", "2h", "30d") into @buf. */
void fmt_dur(int64_t s, char *buf, size_t size);

/*
 * apply_keys - interpret every value of section @s by its table into the
 * struct at @base; @types selects the [notify] keys valid for @type (0 =
 * unknown type: required keys are not asked for). Problems go to @ld.
 */
void apply_keys(struct loader *ld, struct section *s, void *base, unsigned types, const char *type);

/*
 * take_secret - the account's secret from key @idx (one of AC_TOKEN ..
 * AC_KEY_SECRET_FILE): read from its file, or (discouraged, and refused in a
 * file others may read) the value itself; sets a->secret and
 * a->secret_source. Problems go to @ld.
 */
void take_secret(struct loader *ld, struct section *s, int idx, struct config_account *a);

#endif

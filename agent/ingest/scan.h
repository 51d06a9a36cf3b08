/* SPDX-License-Identifier: MIT */
/*
 * An in-place scanner for one Monitor Alerts list page: it checks the whole
 * body as strict JSON (RFC 8259) without building a tree, then fills struct
 * alerts whose strings are unescaped inside the body buffer. A page it does
 * not expect is refused with the body untouched, so the caller can hand the
 * same bytes to a general JSON parser instead.
 */
#ifndef ALERTD_SCAN_H
#define ALERTD_SCAN_H

#include <stddef.h>

#include "base/alert.h"

/* Deepest nesting of arrays and objects accepted; the page object is level 1. */
#define SCAN_DEPTH_MAX 64
/* Most members of the page's top-level object (Twilio sends two). */
#define SCAN_MEMBERS_MAX 16

/* One element of the page's list. */
struct scan_item {
	struct alert alert; /* valid when skip is NULL */
	const char *skip;   /* why the element is not a usable alert (static text), or NULL */
};

/*
 * scan_page - parse the Monitor list page in @body: @len bytes followed by
 * a NUL (the NUL is not part of the JSON). The list is the member named by
 * meta.key when that is a string, else "alerts"; its elements fill
 * items[0 .. *@n - 1] (@cap entries available). Each element gets the same
 * fields, and the same skip reason, that alert_from_json gives the
 * jansson parse of the same text: unknown members and nested values are
 * ignored, error_code may be a string or an integer. *@next_page_url is
 * meta.next_page_url when that is a string (possibly ""), else NULL.
 * All strings point into @body, which is rewritten in place and must
 * outlive the items. Duplicate members: the last one counts, as in jansson.
 * Beyond RFC 8259, what jansson refuses is refused too: \u0000, unpaired
 * surrogates, integers outside int64, reals that overflow a double.
 * Returns:
 *   0         success; call scan_items_finish(@items, *@n) when done;
 *   -EBADMSG  not valid JSON, or not the expected page (not an object, no
 *             list under the key, more than @cap elements, more than
 *             SCAN_MEMBERS_MAX top-level members, nesting deeper than
 *             SCAN_DEPTH_MAX); *@why is a short static reason and @body is
 *             unchanged, so another parser may still read it;
 *   -ENOMEM   (@body may have been rewritten).
 * On error nothing needs freeing.
 */
int scan_page(char *body, size_t len, struct scan_item *items, size_t cap, size_t *n,
              const char **next_page_url, const char **why);

/*
 * scan_repair - copy the JSON text @body (@len bytes) into @out (reset
 * first; NUL-terminated), mending what would make a parser refuse a whole
 * page for the sake of one string: each ill-formed UTF-8 sequence (its
 * maximal subpart, as Unicode recommends) becomes U+FFFD, and each \u0000
 * escape or unpaired surrogate escape becomes \uFFFD (RFC 8259 allows
 * both escapes; C strings and SQLite text cannot hold U+0000, and jansson
 * refuses lone surrogates). Everything else is copied as it is, so valid
 * JSON stays equivalent and invalid JSON stays invalid. Backslash pairs are
 * followed from the start, so "\\u0000" (an escaped backslash) is left alone.
 * Returns the number of replacements (0: @out is an exact copy), or
 * -EMSGSIZE when @out's cap is too small (up to 3 * @len bytes are needed),
 * or -ENOMEM.
 */
int scan_repair(const char *body, size_t len, struct strbuf *out);

/* scan_items_finish - alert_finish every one of the @n items; NULL with 0 is fine. */
void scan_items_finish(struct scan_item *items, size_t n);

#endif

// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the HTML renderers (html.c, page-status.c, page-alert.c): one alert's page,
 * a row of the latest-alerts table, the status page's head and tail with the filters of a query
 * string, and the error page. Input: NUL-separated fields, the alert's columns (store-read.h order)
 * then the filters; a column that is absent is NULL. The escaping check: the same input with every
 * < > " ' replaced by 'a' must give an output with exactly as many of each, i.e. none of those
 * bytes from the input reaches the HTML as itself.
 */
#include <errno.h>

#include "fuzz.h"
#include "web/html.h"
#include "web/page-alert.h"
#include "web/page-status.h"

#define FUZZ_INPUT_MAX (64 * 1024)
#define NF (SH_COLS + 8)
#define BAD "<>\"'"

static struct config_account fuzz_acct = {
        .name = (char *)"main", .account_sid = (char *)"AC0123456789abcdef0123456789abcdef"};

/* Every page for the fields @f (@n present) into @sb. */
static void render(const char *const *f, size_t n, struct strbuf *sb)
{
	struct config cfg = {.accounts = &fuzz_acct, .n_accounts = 1, .interval = 60};
	struct store_http_triggers tr = {0};
	struct store_http_alert row = {0};
	struct page_status p = {.cfg = &cfg, .now = 1700000000, .tr = &tr};
	struct page_rows rows = {.sb = sb, .cfg = &cfg};

	for (int i = 0; i < SH_COLS; i++)
		row.col[i] = (size_t)i < n ? f[i] : NULL;
	p.f_code = n > SH_COLS ? f[SH_COLS] : NULL;
	p.f_level = n > SH_COLS + 1 ? f[SH_COLS + 1] : NULL;
	p.f_account = n > SH_COLS + 2 ? f[SH_COLS + 2] : NULL;
	p.f_error = n > SH_COLS + 3 ? f[SH_COLS + 3] : NULL;
	p.f_resource = n > SH_COLS + 4 ? f[SH_COLS + 4] : NULL;
	p.f_since = n > SH_COLS + 5 ? f[SH_COLS + 5] : NULL;
	p.f_until = n > SH_COLS + 6 ? f[SH_COLS + 6] : NULL;
	p.f_cursor = n > SH_COLS + 7 ? f[SH_COLS + 7] : NULL;
	p.limit = 1;
	p.problem = row.col[SH_MSG];
	row.origin = n % 2 ? "webhook" : NULL;
	FUZZ_CHECK(page_alert(sb, &row, &cfg, 1700000000) == 0, "page_alert");
	FUZZ_CHECK(page_status_head(sb, &p) == 0, "page_status_head");
	FUZZ_CHECK(page_alert_row(&row, &rows) == 0, "page_alert_row");
	FUZZ_CHECK(page_status_tail(sb, &p, &rows) == 0, "page_status_tail");
	FUZZ_CHECK(page_error(sb, 404, row.col[SH_ALERT_TEXT] ? row.col[SH_ALERT_TEXT] : "") == 0,
	           "page_error");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *f[NF], *g[NF];
	char *buf, *clean[NF];
	struct strbuf a, b;
	size_t n;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	buf = fuzz_strndup(data, size);
	n = fuzz_fields(buf, size, f, NF);
	for (size_t i = 0; i < NF; i++)
		g[i] = clean[i] = fuzz_defang(f[i], BAD);
	strbuf_init(&a, 16 * 1024 * 1024);
	strbuf_init(&b, 16 * 1024 * 1024);
	render(f, n, &a);
	render(g, n, &b);
	for (const char *c = BAD; *c; c++) {
		size_t na = fuzz_count(a.buf, a.len, *c), nb = fuzz_count(b.buf, b.len, *c);

		FUZZ_CHECK(na == nb, "'%c' from the input reaches the HTML (%zu vs %zu)", *c, na,
		           nb);
	}
	strbuf_finish(&a);
	strbuf_finish(&b);
	for (size_t i = 0; i < NF; i++)
		free(clean[i]);
	free(buf);
	return 0;
}

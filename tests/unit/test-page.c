// SPDX-License-Identifier: MIT
/*
 * Unit tests for page.c, the HTML: every text from Twilio or a request is
 * escaped (rows, the alert report, the refused filter, error pages); the
 * alert report decodes alert_text and leaves out the fields it shows above;
 * the docs link of an error code; the latest-alerts table's "older" link
 * (a cursor from the last row) exactly when a page is full; the page while
 * the first count runs.
 */
#include <string.h>

#include "test.h"
#include "web/page.h"

#define SID "NO0123456789abcdef0123456789abcdef"

static int row_html(struct strbuf *sb, const char *msg)
{
	struct store_http_alert row = {0};

	row.col[SH_SID] = SID;
	row.col[SH_MSG] = msg;
	row.col[SH_REQUEST_URL] = "https://x/\"><script>";
	row.col[SH_LOG_LEVEL] = "error";
	return page_alert_row(&row, &(struct page_rows){.sb = sb});
}

static void test_escaping(void)
{
	struct strbuf sb;

	strbuf_init(&sb, 1 << 20);
	CHECK_INT(row_html(&sb, "<script>alert('x')</script>&"), 0);
	CHECK(strstr(sb.buf, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;") != NULL);
	CHECK(strstr(sb.buf, "&quot;&gt;&lt;script&gt;") != NULL);
	CHECK(strstr(sb.buf, "<script") == NULL);
	strbuf_finish(&sb);
	strbuf_init(&sb, 1 << 20);
	CHECK_INT(page_error(&sb, 404, "no alert <b>\"x\"</b>"), 0);
	CHECK(strstr(sb.buf, "<h2>404</h2>") != NULL);
	CHECK(strstr(sb.buf, "no alert &lt;b&gt;&quot;x&quot;&lt;/b&gt;") != NULL);
	CHECK(strstr(sb.buf, "<b>") == NULL);
	strbuf_finish(&sb);
}

static void test_docs_url(void)
{
	char url[96];

	page_docs_url(11200, url, sizeof(url));
	CHECK_STR(url, "https://www.twilio.com/docs/errors/11200");
	page_docs_url(-1, url, sizeof(url));
	CHECK_STR(url, "");
}

static void test_alert_report(void)
{
	struct store_http_alert row = {.origin = "webhook"};
	struct strbuf sb;

	row.col[SH_SID] = SID;
	row.col[SH_ERROR_CODE] = "11200";
	row.col[SH_LOG_LEVEL] = "error";
	row.col[SH_MSG] = "HTTP retrieval failure";
	row.col[SH_DATE_CREATED] = "2026-01-02T03:04:05Z";
	row.col[SH_ALERT_TEXT] = "Msg=HTTP+retrieval+failure&ErrorCode=11200&"
	                         "sourceComponent=%3Cevil%3E&httpResponse=502";
	row.col[SH_HTTP_RESPONSE] = "502";
	strbuf_init(&sb, 1 << 20);
	CHECK_INT(page_alert(&sb, &row, NULL, 1767323045), 0);
	CHECK(strstr(sb.buf, "https://www.twilio.com/docs/errors/11200") != NULL);
	CHECK(strstr(sb.buf, "Webhook failure") != NULL);
	/* The other field is decoded and escaped; the ones shown above are not repeated. */
	CHECK(strstr(sb.buf, ">sourceComponent<") != NULL);
	CHECK(strstr(sb.buf, "&lt;evil&gt;") != NULL);
	CHECK(strstr(sb.buf, "<evil") == NULL);
	CHECK(strstr(sb.buf, ">ErrorCode<") == NULL);
	CHECK(strstr(sb.buf, "Not fetched") != NULL);
	strbuf_finish(&sb);
}

/* The tail after @n rows of a page of @limit, the last row's cursor set. */
static void tail(struct strbuf *sb, size_t n, int limit, const char *f_error)
{
	struct page_status p = {.limit = limit, .f_error = f_error};
	struct page_rows rows = {.sb = sb, .n = n};

	snprintf(rows.last_date, sizeof(rows.last_date), "2026-01-02T03:04:05Z");
	snprintf(rows.last_sid, sizeof(rows.last_sid), "%s", SID);
	strbuf_init(sb, 1 << 20);
	CHECK_INT(page_status_tail(sb, &p, &rows), 0);
}

static void test_pager(void)
{
	struct strbuf sb;

	tail(&sb, 50, 50, NULL);
	CHECK(strstr(sb.buf, "id=\"older\"") != NULL);
	CHECK(strstr(sb.buf, "cursor=2026-01-02T03%3A04%3A05Z_" SID) != NULL);
	strbuf_finish(&sb);
	tail(&sb, 49, 50, NULL);
	CHECK(strstr(sb.buf, "id=\"older\"") == NULL);
	strbuf_finish(&sb);
	tail(&sb, 0, 50, NULL);
	CHECK(strstr(sb.buf, "No alert matches.") != NULL);
	strbuf_finish(&sb);
	tail(&sb, 50, 50, "since <is> not a date");
	CHECK(strstr(sb.buf, "the filter above was refused") != NULL);
	CHECK(strstr(sb.buf, "id=\"older\"") == NULL);
	strbuf_finish(&sb);
}

static void test_head(void)
{
	struct config cfg = {.interval = 60};
	struct page_status p = {.cfg = &cfg,
	                        .now = 1767323045,
	                        .limit = 50,
	                        .f_error = "since <is> not a date",
	                        .problem = "account <x> failing"};
	struct strbuf sb;

	strbuf_init(&sb, 1 << 20);
	CHECK_INT(page_status_head(&sb, &p), 0);
	CHECK(strstr(sb.buf, "PROBLEM: account &lt;x&gt; failing") != NULL);
	CHECK(strstr(sb.buf, "since &lt;is&gt; not a date") != NULL);
	/* No aggregates yet (the first pass runs): the page says so instead of counts. */
	CHECK(strstr(sb.buf, "Counting the stored alerts") != NULL);
	CHECK(strstr(sb.buf, "<is>") == NULL);
	strbuf_finish(&sb);
}

int main(void)
{
	test_escaping();
	test_docs_url();
	test_alert_report();
	test_pager();
	test_head();
	return test_done();
}

// SPDX-License-Identifier: MIT
/* Unit tests for util.c: durations, dates in every accepted form, buffers, growth, hosts. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "test.h"
#include "base/util.h"

static void test_duration(void)
{
	int64_t v;

	CHECK_INT(util_parse_duration("30s", &v), 0);
	CHECK_INT(v, 30);
	CHECK_INT(util_parse_duration("10m", &v), 0);
	CHECK_INT(v, 600);
	CHECK_INT(util_parse_duration("1h", &v), 0);
	CHECK_INT(v, 3600);
	CHECK_INT(util_parse_duration("30d", &v), 0);
	CHECK_INT(v, 30 * 86400);
	CHECK_INT(util_parse_duration("2w", &v), 0);
	CHECK_INT(v, 14 * 86400);
	CHECK_INT(util_parse_duration("0", &v), 0);
	CHECK_INT(v, 0);
	CHECK_INT(util_parse_duration("45", &v), 0);
	CHECK_INT(v, 45);
	CHECK_INT(util_parse_duration("", &v), -EINVAL);
	CHECK_INT(util_parse_duration("-5m", &v), -EINVAL);
	CHECK_INT(util_parse_duration("5x", &v), -EINVAL);
	CHECK_INT(util_parse_duration("5m3", &v), -EINVAL);
	CHECK_INT(util_parse_duration("m", &v), -EINVAL);
	CHECK_INT(util_parse_duration("99999999999999999999d", &v), -EINVAL);
	CHECK_INT(util_parse_duration("9999999999999999d", &v), -EINVAL);
}

static void check_time(const char *in, const char *want)
{
	char out[UTIL_TIME_LEN];
	int64_t t = 0;
	int r = util_parse_time(in, &t);

	CHECK_INT(r, 0);
	util_format_time(t, out);
	if (r == 0)
		CHECK_STR(out, want);
}

static void test_time(void)
{
	int64_t t;

	check_time("2015-07-30T20:00:00Z", "2015-07-30T20:00:00Z");
	check_time("2025-01-01T00:00:00.000Z", "2025-01-01T00:00:00Z");
	check_time("2025-01-01T00:00:00.123456Z", "2025-01-01T00:00:00Z");
	check_time("2025-01-01T01:30:00+01:30", "2025-01-01T00:00:00Z");
	check_time("2024-12-31T19:00:00-0500", "2025-01-01T00:00:00Z");
	check_time("2025-01-01 00:00:00", "2025-01-01T00:00:00Z");
	check_time("2016-01-01", "2016-01-01T00:00:00Z");
	check_time("2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z");
	check_time("Tue, 09 Feb 2010 01:23:53 +0000", "2010-02-09T01:23:53Z");
	check_time("09 Feb 2010 01:23:53 GMT", "2010-02-09T01:23:53Z");
	check_time("Sun, 06 Sep 2015 12:58:45 -0700", "2015-09-06T19:58:45Z");
	check_time("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z");
	check_time("2099-12-31T23:59:59Z", "2099-12-31T23:59:59Z");
	CHECK_INT(util_parse_time("2015-07-30T20:00:00Z", &t), 0);
	CHECK_INT(t, 1438286400);
	CHECK_INT(util_parse_time("", &t), -EINVAL);
	CHECK_INT(util_parse_time("yesterday", &t), -EINVAL);
	CHECK_INT(util_parse_time("2023-02-29T00:00:00Z", &t), -EINVAL);
	CHECK_INT(util_parse_time("2023-13-01T00:00:00Z", &t), -EINVAL);
	CHECK_INT(util_parse_time("2023-01-01T25:00:00Z", &t), -EINVAL);
	CHECK_INT(util_parse_time("2023-01-01T00:00:00Zjunk", &t), -EINVAL);
	CHECK_INT(util_parse_time("2023-01-01T00:00:00.Z", &t), -EINVAL);
	CHECK_INT(util_parse_time("Tue, 32 Feb 2010 01:23:53 +0000", &t), -EINVAL);
	CHECK_INT(util_parse_time("Tue, 09 Foo 2010 01:23:53 +0000", &t), -EINVAL);

	/* Out of the four-digit years after the offset: refused, never stored as another date. */
	CHECK_INT(util_parse_time("9999-12-31T23:59:59-01:00", &t), -EINVAL);
	CHECK_INT(util_parse_time("1970-01-01T00:00:00+02", &t), -EINVAL);
	check_time("1970-01-01T02:00:00+02:00", "1970-01-01T00:00:00Z");
	check_time("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z");

	/* Nothing depends on the machine's time zone. */
	setenv("TZ", "America/Los_Angeles", 1);
	check_time("2015-07-30T20:00:00Z", "2015-07-30T20:00:00Z");
	unsetenv("TZ");

	/* Every day over a few years round-trips. */
	for (int64_t d = 0; d < 3 * 366; d++) {
		char buf[UTIL_TIME_LEN];
		int64_t x = 1700000000 + d * 86400 + 3723, back = 0;

		util_format_time(x, buf);
		CHECK_INT(util_parse_time(buf, &back), 0);
		CHECK_INT(back, x);
	}
}

/* The Date header: the IMF-fixdate and the two obsolete forms, nothing looser. */
static void test_http_date(void)
{
	static const char *const bad[] = {
	        "",
	        "Sun, 6 Nov 1994 08:49:37 GMT",  /* one-digit day */
	        "Sun, 06 Nov 1994 08:49:37 UTC", /* not GMT */
	        "Sun, 06 Nov 1994 08:49:37 +0000",
	        "sun, 06 nov 1994 08:49:37 GMT",  /* case */
	        "Sun,  06 Nov 1994 08:49:37 GMT", /* spacing */
	        "Sun, 06 Nov 1994 08:49:37 GMT ",
	        "Mon, 06 Nov 1994 08:49:37 GMT", /* wrong day name */
	        "Sun, 31 Nov 1994 08:49:37 GMT", /* no such date */
	        "Sun, 06 Nov 1994 24:49:37 GMT",
	        "Sun, 06 Nov 1994 08:49 GMT",
	        "Sunday, 06 Nov 1994 08:49:37 GMT", /* long name with the fixdate */
	        "Sun, 06-Nov-94 08:49:37 GMT",      /* short name with RFC 850 */
	        "Sun Nov 6 08:49:37 1994",          /* asctime wants two columns for the day */
	        "1994-11-06T08:49:37Z",
	        "784111777",
	};
	int64_t t = 0;

	CHECK_INT(util_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
	CHECK_INT(t, 784111777);
	t = 0;
	CHECK_INT(util_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &t), 0);
	CHECK_INT(t, 784111777);
	t = 0;
	CHECK_INT(util_parse_http_date("Sun Nov  6 08:49:37 1994", &t), 0);
	CHECK_INT(t, 784111777);
	CHECK_INT(util_parse_http_date("Thu, 01 Jan 2026 00:00:00 GMT", &t), 0);
	CHECK_INT(t, 1767225600);
	CHECK_INT(util_parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT", &t), 0);
	CHECK_INT(util_parse_http_date(NULL, &t), -EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		t = 42;
		if (util_parse_http_date(bad[i], &t) != -EINVAL || t != 42)
			fprintf(stderr, "accepted bad Date: \"%s\"\n", bad[i]);
		CHECK(util_parse_http_date(bad[i], &t) == -EINVAL && t == 42);
	}
}

static void test_strbuf(void)
{
	struct strbuf sb;

	strbuf_init(&sb, 10);
	CHECK_INT(strbuf_append(&sb, "hello", 5), 0);
	CHECK_INT(strbuf_append(&sb, "world", 5), 0);
	CHECK_STR(sb.buf, "helloworld");
	CHECK_INT(strbuf_append(&sb, "!", 1), -EMSGSIZE);
	CHECK_INT(sb.len, 10);
	strbuf_reset(&sb);
	CHECK_INT(sb.len, 0);
	CHECK_STR(sb.buf, "");
	strbuf_finish(&sb);
	strbuf_finish(&sb);

	/* Formatted appends: long lines, and the first error sticks. */
	{
		char big[2000];
		int err = 0;

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		strbuf_init(&sb, 2010);
		strbuf_addf(&sb, &err, "%d:", 42);
		strbuf_addf(&sb, &err, "%s", big);
		CHECK_INT(err, 0);
		CHECK_INT(sb.len, 3 + 1999);
		strbuf_addf(&sb, &err, "%s", "0123456789");
		CHECK_INT(err, -EMSGSIZE);
		strbuf_addf(&sb, &err, "%s", "z");
		CHECK_INT(err, -EMSGSIZE);
		CHECK_INT(sb.len, 3 + 1999);
		strbuf_finish(&sb);
	}
	CHECK_INT(util_hexval('a'), 10);
	CHECK_INT(util_hexval('F'), 15);
	CHECK_INT(util_hexval('g'), -1);
	/* SIDs: the two letters, then exactly 32 hex digits. */
	CHECK(util_is_sid("NO0123456789abcdefABCDEF0123456789", "NO"));
	CHECK(!util_is_sid("NO0123456789abcdefABCDEF0123456789", "AC"));
	CHECK(!util_is_sid("no0123456789abcdefABCDEF0123456789", "NO"));
	CHECK(!util_is_sid("NO0123456789abcdefABCDEF012345678", "NO"));
	CHECK(!util_is_sid("NO0123456789abcdefABCDEF01234567890", "NO"));
	CHECK(!util_is_sid("NO0123456789abcdefABCDEF 123456789", "NO"));
	CHECK(!util_is_sid("NO0123456789abcdefABCDEFg123456789", "NO"));
	CHECK(!util_is_sid("", "NO"));
	CHECK(!util_is_sid(NULL, "NO"));
}

static void test_grow(void)
{
	int *v = NULL, *before;
	size_t cap = 0;

	/* Empty: the first capacity, then doubling, then @need when it is larger. */
	CHECK_INT(UTIL_GROW(v, cap, 1), 0);
	CHECK(v != NULL);
	CHECK_INT(cap, UTIL_GROW_MIN);
	for (int i = 0; i < UTIL_GROW_MIN; i++)
		v[i] = i;
	before = v;
	CHECK_INT(UTIL_GROW(v, cap, UTIL_GROW_MIN), 0);
	CHECK(v == before);
	CHECK_INT(cap, UTIL_GROW_MIN);
	CHECK_INT(UTIL_GROW(v, cap, UTIL_GROW_MIN + 1), 0);
	CHECK_INT(cap, 2 * UTIL_GROW_MIN);
	CHECK_INT(v[UTIL_GROW_MIN - 1], UTIL_GROW_MIN - 1);
	CHECK_INT(UTIL_GROW(v, cap, 5 * UTIL_GROW_MIN), 0);
	CHECK_INT(cap, 5 * UTIL_GROW_MIN);
	CHECK_INT(v[3], 3);
	/* A size past size_t is refused, and the array is left as it was. */
	before = v;
	CHECK_INT(util_grow(&v, &cap, SIZE_MAX / 2, 4), -EOVERFLOW);
	CHECK(v == before);
	CHECK_INT(cap, 5 * UTIL_GROW_MIN);
	CHECK_INT(util_grow(&v, &cap, 1000, 0), -EINVAL);
	free(v);
}

static void test_host(void)
{
	char h[32];

	CHECK_INT(util_url_host("https://Example.COM:8443/x?y", h, sizeof(h)), 0);
	CHECK_STR(h, "example.com");
	CHECK_INT(util_url_host("http://user:pw@host.example/p", h, sizeof(h)), 0);
	CHECK_STR(h, "host.example");
	CHECK_INT(util_url_host("http://[::1]:8080/", h, sizeof(h)), 0);
	CHECK_STR(h, "::1");
	CHECK_INT(util_url_host("https://a.example", h, sizeof(h)), 0);
	CHECK_STR(h, "a.example");
	CHECK_INT(util_url_host("not a url", h, sizeof(h)), -EINVAL);
	CHECK_INT(util_url_host("http:///path", h, sizeof(h)), -EINVAL);
	CHECK_INT(util_url_host("http://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/", h, sizeof(h)),
	          -ENAMETOOLONG);
}

static void test_files(void)
{
	char dir[] = "/tmp/test-util.XXXXXX", path[64], *data = NULL;
	size_t len = 0;
	int fd, fd2, st;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	CHECK(write(fd, "0123456789", 10) == 10);
	close(fd);
	CHECK_INT(util_read_file(path, 10, &data, &len), 0);
	CHECK_INT(len, 10);
	CHECK_STR(data, "0123456789");
	free(data);
	CHECK_INT(util_read_file(path, 9, &data, &len), -EFBIG);
	snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK_INT(util_read_file(path, 9, &data, &len), -ENOENT);

	/* The lock is exclusive across processes. */
	snprintf(path, sizeof(path), "%s/lock", dir);
	CHECK_INT(util_lock_file(path, &fd), 0);
	if (fork() == 0)
		_exit(util_lock_file(path, &fd2) == -EWOULDBLOCK ? 0 : 1);
	wait(&st);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(fd);
	CHECK_INT(util_lock_file(path, &fd2), 0);
	close(fd2);
	unlink(path);
	snprintf(path, sizeof(path), "%s/f", dir);
	unlink(path);
	rmdir(dir);
}

static void test_random(void)
{
	int seen[4] = {0};

	for (int i = 0; i < 400; i++) {
		uint64_t r = util_random(4);

		CHECK(r < 4);
		if (r < 4)
			seen[r]++;
	}
	for (int i = 0; i < 4; i++)
		CHECK(seen[i] > 0);
	CHECK_INT(util_random(1), 0);
}

/* Control characters and invalid UTF-8 never reach a log line raw. */
static void test_log_escape(void)
{
	char out[64], tiny[6];

	log_escape("a\r\nBcc: x\x1b[31m\t\x7f", out, sizeof(out));
	CHECK_STR(out, "a\\r\\nBcc: x\\x1b[31m\\t\\x7f");
	log_escape("caf\xc3\xa9 \xe2\x82\xac ok", out, sizeof(out));
	CHECK_STR(out, "caf\xc3\xa9 \xe2\x82\xac ok");
	/* A lone continuation byte, a cut sequence, an overlong form, a C1 CSI. */
	log_escape("\x80|\xc3|\xc0\xaf|\xc2\x9b", out, sizeof(out));
	CHECK_STR(out, "\\x80|\\xc3|\\xc0\\xaf|\\xc2\\x9b");
	/* Cut at a whole escape, never inside one. */
	log_escape("ab\ncd", tiny, 5);
	CHECK_STR(tiny, "ab\\n");
	log_escape("ab\xe2\x82\xac", tiny, sizeof(tiny));
	CHECK_STR(tiny, "ab\xe2\x82\xac");
	log_escape("abc\xe2\x82\xac", tiny, sizeof(tiny));
	CHECK_STR(tiny, "abc");
}

int main(void)
{
	test_duration();
	test_time();
	test_http_date();
	test_strbuf();
	test_grow();
	test_host();
	test_files();
	test_random();
	test_log_escape();
	return test_done();
}

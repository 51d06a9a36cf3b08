// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the dates and waits a server or a push sends:
 * util_parse_time (Twilio's ISO 8601 and RFC 2822 dates, a push's
 * Timestamp, the API's since/until), util_parse_duration, and monitor.c's
 * response-header callback for Retry-After / X-RateLimit-Retry-After /
 * X-RateLimit-Reset with the wait computed from them. Checks: an accepted
 * date formats and parses back to the same second; where glibc's strptime
 * reads the strict forms too, both agree; a wait is never negative and
 * never longer than MONITOR_RETRY_AFTER_MAX.
 */
#include <time.h>

#include "fuzz.h"

/*
 * monitor.c's header callback and backoff are static: the target compiles
 * the file itself (the core library's copy is then not linked).
 */
#include "../../agent/ingest/monitor.c"

#define FUZZ_INPUT_MAX 4096

/* strptime with @fmt over all of @s; true and the UTC time when it matches. */
static bool strict(const char *s, const char *fmt, int64_t *t)
{
	struct tm tm = {0};
	const char *end = strptime(s, fmt, &tm);

	if (!end || *end || tm.tm_year < -1900 + 1 || tm.tm_year > 9999 - 1900 || tm.tm_sec > 59)
		return false;
	*t = (int64_t)timegm(&tm);
	return true;
}

static void check_time(const char *s)
{
	char out[UTIL_TIME_LEN];
	int64_t t, again, ref;

	if (util_parse_time(s, &t) < 0)
		return;
	util_format_time(t, out);
	FUZZ_CHECK(util_parse_time(out, &again) == 0, "\"%s\" formats as unparseable \"%s\"", s,
	           out);
	FUZZ_CHECK(again == t, "\"%s\": %lld, but \"%s\" is %lld", s, (long long)t, out,
	           (long long)again);
	/* Only digits in fixed places: strptime's %Y etc. take fewer digits than ours. */
	if (strlen(s) == 20 && strspn(s, "0123456789") == 4 &&
	    strict(s, "%Y-%m-%dT%H:%M:%SZ", &ref))
		FUZZ_CHECK(ref == t, "\"%s\": %lld, strptime %lld", s, (long long)t,
		           (long long)ref);
}

static void check_header(const char *line, size_t len)
{
	struct xfer x = {.hdr = {.retry_after = -1, .ratelimit_reset = -1}};
	int64_t ms;

	on_header((char *)line, 1, len, &x);
	FUZZ_CHECK(x.hdr.retry_after >= -1, "retry_after %lld", (long long)x.hdr.retry_after);
	FUZZ_CHECK(x.hdr.ratelimit_reset == -1 || x.hdr.ratelimit_reset > 0, "ratelimit_reset %lld",
	           (long long)x.hdr.ratelimit_reset);
	ms = backoff_ms(3, &x.hdr);
	FUZZ_CHECK(ms >= 0 && ms <= MONITOR_RETRY_AFTER_MAX * 1000 + 100,
	           "wait %lld ms for \"%.*s\"", (long long)ms, (int)len, line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
	        "Retry-After: ", "X-RateLimit-Retry-After: ", "X-RateLimit-Reset: "};
	char *s, line[FUZZ_INPUT_MAX + 64];
	int64_t d;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	s = fuzz_strndup(data, size);
	check_time(s);
	if (util_parse_duration(s, &d) == 0)
		FUZZ_CHECK(d >= 0, "duration \"%s\" is %lld", s, (long long)d);
	/* As it is (a whole header line), and as the value of each header curl hands over. */
	check_header(s, size);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		int n = snprintf(line, sizeof(line), "%s%s\r\n", names[i], s);

		check_header(line, (size_t)n);
	}
	free(s);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * Unit tests for monitor.c against a scripted HTTP server (libmicrohttpd)
 * on 127.0.0.1: status handling, retries, Retry-After, caps, refused URLs,
 * parallel instance fetches, and that the secret only travels as Basic auth.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "base/config.h"
#include "ingest/monitor.h"
#include "test.h"
#include "base/util.h"

#define SECRET "s3cr3t-token-value"
/* The instance the scripted server says is gone. */
#define SID(c) "NO" c "0000000000000000000000000000000"
#define GONE_SID "NO40400000000000000000000000000000"

struct reply {
	unsigned status;
	const char *body;
	const char *retry_after;
	const char *location;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct reply script[16];
static int n_script, next_reply, requests;
static char last_auth[256], last_agent[256], last_url[512];

static void set_script(const struct reply *r, int n)
{
	pthread_mutex_lock(&lock);
	if (n)
		memcpy(script, r, sizeof(*r) * (size_t)n);
	n_script = n;
	next_reply = 0;
	requests = 0;
	pthread_mutex_unlock(&lock);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **state)
{
	static const struct reply dflt = {200, "{\"ok\": true}", NULL};
	struct MHD_Response *resp;
	const char *v;
	struct reply r;
	enum MHD_Result ret;

	pthread_mutex_lock(&lock);
	requests++;
	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	snprintf(last_auth, sizeof(last_auth), "%s", v ? v : "");
	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
	snprintf(last_agent, sizeof(last_agent), "%s", v ? v : "");
	snprintf(last_url, sizeof(last_url), "%s", url);
	r = next_reply < n_script ? script[next_reply++] : dflt;
	pthread_mutex_unlock(&lock);

	/* Instances: /v1/Alerts/NO404 is gone, others echo their sid. */
	if (strncmp(url, "/v1/Alerts/NO", 13) == 0) {
		char body[128]; /* one per request: the server answers on several threads */
		bool gone = strcmp(url + 11, GONE_SID) == 0;
		/* This one answers with another alert's instance. */
		bool other = strcmp(url + 11, SID("e")) == 0;

		snprintf(body, sizeof(body), "{\"sid\": \"%s\", \"date_created\": \"2025-01-01\"}",
		         other ? SID("f") : url + 11);
		r.status = gone ? 404 : 200;
		r.body = gone ? "{\"code\": 20404, \"message\": \"not found\"}" : body;
		resp = MHD_create_response_from_buffer(strlen(r.body), (void *)r.body,
		                                       MHD_RESPMEM_MUST_COPY);
		ret = MHD_queue_response(c, r.status, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	resp = MHD_create_response_from_buffer(strlen(r.body), (void *)r.body,
	                                       MHD_RESPMEM_PERSISTENT);
	if (r.retry_after)
		MHD_add_response_header(resp, "Retry-After", r.retry_after);
	if (r.location)
		MHD_add_response_header(resp, "Location", r.location);
	ret = MHD_queue_response(c, r.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static struct config_account account(const char *base)
{
	struct config_account a = {
	        .name = (char *)"test",
	        .account_sid = (char *)"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	        .username = (char *)"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	        .secret = (char *)SECRET,
	        .api_base = (char *)base,
	        .log_level = (char *)"error",
	};
	return a;
}

/* monitor_get's parser for the tests: refuses bodies starting with "bad", fails on "nomem". */
struct raw {
	int calls;
	char *body;
	size_t len;
};

static int parse_raw(char *body, size_t len, void *arg, const char **why)
{
	struct raw *raw = arg;

	raw->calls++;
	if (body[len] != '\0')
		return -EINVAL;
	if (strncmp(body, "bad", 3) == 0) {
		*why = "starts with bad";
		return -EBADMSG;
	}
	if (strncmp(body, "nomem", 5) == 0)
		return -ENOMEM;
	if (len)
		body[0] = 'X'; /* the body is the parser's to rewrite */
	raw->body = body;
	raw->len = len;
	return 0;
}

static int count_calls(json_t *obj, void *arg)
{
	int *n = arg;

	(*n)++;
	return json_is_string(json_object_get(obj, "sid")) ? 0 : -EINVAL;
}

/* One URL against one api_base: 0 allowed, -EPERM refused, with a reason either way. */
static void check_url(const char *base, const char *url, int want, const char *why_has)
{
	char why[256] = "";
	int r = monitor_url_check(base, url, why, sizeof(why));

	CHECK_INT(r, want);
	if (r != want)
		fprintf(stderr, "  api_base %s, URL \"%s\": %s\n", base, url, why);
	if (why_has)
		CHECK(strstr(why, why_has));
}

/* The attack URLs: every way a next_page_url could send the credentials elsewhere. */
static void test_url_check(void)
{
	const char *tw = "https://monitor.twilio.com";

	/* The same origin, however it is spelled. */
	check_url(tw, "https://monitor.twilio.com/v1/Alerts?Page=1&PageToken=PAx", 0, NULL);
	check_url(tw, "https://monitor.twilio.com", 0, NULL);
	check_url(tw, "HTTPS://MONITOR.Twilio.COM/v1/Alerts", 0, NULL);
	check_url(tw, "https://monitor.twilio.com:443/v1/Alerts", 0, NULL);
	check_url("https://monitor.twilio.com:443", "https://monitor.twilio.com/v1/Alerts", 0,
	          NULL);
	check_url(tw, "https://monitor.twilio.com/v1/Alerts#@evil.example", 0, NULL);
	/* libcurl decodes the host and connects to the decoded name: the same one. */
	check_url(tw, "https://monitor%2etwilio.com/v1/Alerts", 0, NULL);

	/* IPv6 zone id: libcurl connects to [::1], our old parser saw "...twilio.com". */
	check_url(tw, "https://[::1%25.twilio.com]:9443/v1/Alerts?Page=1", -EPERM, "zone id");
	check_url("http://[::1]:8080", "http://[::1%25lo]:8080/v1/Alerts", -EPERM, "zone id");
	/* Userinfo, with or without a backslash before the '@'. */
	check_url(tw, "https://monitor.twilio.com@evil.example/v1/Alerts", -EPERM, "user name");
	check_url(tw, "https://monitor.twilio.com\\@evil.example/", -EPERM, "user name");
	check_url(tw, "https://u:p@monitor.twilio.com/v1/Alerts", -EPERM, "user name");
	check_url(tw, "https://:p@monitor.twilio.com/v1/Alerts", -EPERM, "user name");
	check_url(tw, "https://monitor.twilio.com\\evil.example/", -EPERM, NULL);
	/* Other hosts: suffixes, a trailing dot, other Twilio hosts, encoded dots, IP literals. */
	check_url(tw, "https://monitor.twilio.com.evil.example/v1/Alerts", -EPERM, NULL);
	check_url(tw, "https://monitor%2etwilio.com%2eevil.example/", -EPERM, "evil.example");
	check_url(tw, "https://monitor.twilio.com./v1/Alerts", -EPERM, "monitor.twilio.com.:443");
	check_url(tw, "https://api.twilio.com/v1/Alerts", -EPERM, "https://api.twilio.com:443");
	check_url(tw, "https://evil.example#@monitor.twilio.com/", -EPERM, "evil.example");
	check_url(tw, "https://evil.example?@monitor.twilio.com/", -EPERM, "evil.example");
	check_url(tw, "https://[::1]/v1/Alerts", -EPERM, "[::1]");
	check_url(tw, "https://127.0.0.1/v1/Alerts", -EPERM, NULL);
	check_url(tw, "https://m\xc3\xb6nitor.twilio.com/", -EPERM, NULL);
	/* Ports: explicit default is the same, anything else is not. */
	check_url(tw, "https://monitor.twilio.com:8443/v1/Alerts", -EPERM, ":8443");
	check_url("https://monitor.twilio.com:8443", "https://monitor.twilio.com/", -EPERM, ":443");
	/* Downgrade and other schemes. */
	check_url(tw, "http://monitor.twilio.com/v1/Alerts", -EPERM,
	          "http://monitor.twilio.com:80");
	check_url(tw, "http://monitor.twilio.com:443/v1/Alerts", -EPERM, NULL);
	check_url("http://127.0.0.1:8080", "https://127.0.0.1:8080/v1/Alerts", -EPERM, NULL);
	check_url(tw, "ftp://monitor.twilio.com/v1/Alerts", -EPERM, NULL);
	check_url(tw, "file:///etc/passwd", -EPERM, NULL);
	/* Relative references are not fetched against anything. */
	check_url(tw, "//evil.example/v1/Alerts", -EPERM, NULL);
	check_url(tw, "/v1/Alerts?Page=1", -EPERM, NULL);
	check_url(tw, "monitor.twilio.com/v1/Alerts", -EPERM, NULL);
	check_url(tw, "", -EPERM, NULL);
	/* Whitespace and control characters anywhere. */
	check_url(tw, " https://monitor.twilio.com/v1/Alerts", -EPERM, NULL);
	check_url(tw, "https://monitor.twilio.com /v1/Alerts", -EPERM, NULL);
	check_url(tw, "https://monitor.twilio.com/v1/Alerts?a b", -EPERM, NULL);
	check_url(tw, "https://monitor.twilio.com/v1/Alerts\n", -EPERM, NULL);
	check_url(tw, "https://monitor.twilio.com\r\nHost: evil/", -EPERM, NULL);
	check_url(tw, "https://monitor.twilio.com%00.evil.example/", -EPERM, NULL);
	/* A loopback simulator, as the tests configure it. */
	check_url("http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/Alerts?Page=2", 0, NULL);
	check_url("http://127.0.0.1:8080", "http://127.0.0.1:8081/v1/Alerts", -EPERM, NULL);
	check_url("http://127.0.0.1:8080", "http://localhost:8080/v1/Alerts", -EPERM, NULL);
	check_url("http://[::1]:8080", "http://[0:0::1]:8080/v1/Alerts", 0, NULL);
	/* An api_base libcurl cannot read allows nothing. */
	check_url("https://exa mple.com", "https://exa mple.com/", -EPERM, "api_base");
}

int main(void)
{
	struct MHD_Daemon *d;
	struct monitor *m = NULL;
	struct config_account a;
	char base[64], url[256], big[4096];
	const union MHD_DaemonInfo *info;
	json_t *j = NULL;
	volatile int stop = 0;
	int64_t t0;
	int calls = 0;

	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
	                     NULL, NULL, handler, NULL, MHD_OPTION_END);
	if (!d)
		return 77;
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", info->port);
	a = account(base);
	CHECK_INT(monitor_create(&a, 5, 2, &stop, &m), 0);
	snprintf(url, sizeof(url), "%s/v1/Alerts", base);

	/* The first-page URL carries the window, level and page size. */
	CHECK_INT(monitor_list_url(m, 1438286400, 0, big, sizeof(big)), 0);
	CHECK(strstr(big,
	             "/v1/Alerts?StartDate=2015-07-30T20:00:00Z&LogLevel=error&PageSize=1000"));
	CHECK(strstr(big, "EndDate") == NULL);
	CHECK_INT(monitor_list_url(m, 1438286400, 1438290000, big, sizeof(big)), 0);
	CHECK(strstr(big, "&EndDate=2015-07-30T21:00:00Z"));
	CHECK_INT(monitor_list_url(m, 0, 0, big, 10), -ENAMETOOLONG);

	/* Success; the secret travels only as Basic auth. */
	set_script((struct reply[]){{200, "{\"alerts\": []}", NULL}}, 1);
	CHECK_INT(monitor_get_json(m, url, &j), 0);
	CHECK(json_is_array(json_object_get(j, "alerts")));
	json_decref(j);
	j = NULL;
	/* base64("ACaaa...:s3cr3t-token-value") */
	CHECK(strncmp(last_auth, "Basic ", 6) == 0);
	CHECK(strstr(last_agent, "twilio-alertd/") == last_agent);

	/* 500, 503 then 200: two retries, success. */
	set_script((struct reply[]){{500, "oops", NULL},
	                            {503, "busy", NULL},
	                            {200, "{\"x\": 1}", NULL}},
	           3);
	CHECK_INT(monitor_get_json(m, url, &j), 0);
	CHECK_INT(requests, 3);
	CHECK_INT(monitor_stats(m)->retries, 2);
	json_decref(j);
	j = NULL;

	/* 429 with Retry-After: waits at least that long, then succeeds. */
	set_script((struct reply[]){{429, "{\"code\": 20429, \"message\": \"Too many requests\"}",
	                             "1"},
	                            {200, "{}", NULL}},
	           2);
	t0 = util_mono_ms();
	CHECK_INT(monitor_get_json(m, url, &j), 0);
	CHECK(util_mono_ms() - t0 >= 950);
	json_decref(j);
	j = NULL;

	/* Still failing after the retries: -EAGAIN, with Twilio's message. */
	set_script((struct reply[]){{503, "{\"code\": 20503, \"message\": \"Down\"}", NULL},
	                            {503, "{\"code\": 20503, \"message\": \"Down\"}", NULL},
	                            {503, "{\"code\": 20503, \"message\": \"Down\"}", NULL}},
	           3);
	CHECK_INT(monitor_get_json(m, url, &j), -EAGAIN);
	CHECK(strstr(monitor_error(m), "HTTP 503"));
	CHECK(strstr(monitor_error(m), "Down"));
	CHECK(strstr(monitor_error(m), "gave up after 3 tries"));

	/* Invalid JSON is retried like a fault, then reported. */
	set_script((struct reply[]){{200, "{\"alerts\": [", NULL},
	                            {200, "not json", NULL},
	                            {200, "[1]", NULL}},
	           3);
	CHECK_INT(monitor_get_json(m, url, &j), -EAGAIN);
	CHECK(strstr(monitor_error(m), "invalid JSON"));

	/* monitor_get: the raw body, kept until the next request; -EBADMSG is retried. */
	{
		struct raw raw = {0};

		set_script((struct reply[]){{200, "bad 1", NULL}, {200, "good body", NULL}}, 2);
		CHECK_INT(monitor_get(m, url, parse_raw, &raw), 0);
		CHECK_INT(requests, 2);
		CHECK_INT(raw.calls, 2);
		CHECK_INT(raw.len, 9);
		CHECK(raw.body && strcmp(raw.body, "Xood body") == 0);

		raw.calls = 0;
		set_script((struct reply[]){{200, "bad 1", NULL},
		                            {200, "bad 2", NULL},
		                            {200, "bad 3", NULL}},
		           3);
		CHECK_INT(monitor_get(m, url, parse_raw, &raw), -EAGAIN);
		CHECK_INT(raw.calls, 3);
		CHECK(strstr(monitor_error(m), "invalid JSON in response: starts with bad"));
		CHECK(strstr(monitor_error(m), "gave up after 3 tries"));

		/* Other parser errors end the call at once. */
		raw.calls = 0;
		set_script((struct reply[]){{200, "nomem", NULL}}, 1);
		CHECK_INT(monitor_get(m, url, parse_raw, &raw), -ENOMEM);
		CHECK_INT(requests, 1);
		CHECK_INT(raw.calls, 1);

		/* An empty body reaches the parser as "" too. */
		raw.calls = 0;
		set_script((struct reply[]){{200, "", NULL}}, 1);
		CHECK_INT(monitor_get(m, url, parse_raw, &raw), 0);
		CHECK_INT(raw.len, 0);
		CHECK(raw.body && raw.body[0] == '\0');
		/* Statuses are judged before the parser runs. */
		raw.calls = 0;
		/* An error body without a numeric code: the message, no "error 0". */
		set_script(
		        (struct reply[]){{400,
		                          "{\"title\": \"Bad Request\", \"detail\": \"PageSize\"}",
		                          NULL}},
		        1);
		CHECK_INT(monitor_get_json(m, url, &j), -EPROTO);
		CHECK(strstr(monitor_error(m), "(Bad Request: PageSize)"));
		CHECK(strstr(monitor_error(m), "error 0") == NULL);
		set_script((struct reply[]){{404, "{}", NULL}}, 1);
		CHECK_INT(monitor_get(m, url, parse_raw, &raw), -ENOENT);
		CHECK_INT(raw.calls, 0);
	}

	/* 401: no retry, one clear line, no secret. */
	set_script(
	        (struct reply[]){
	                {401,
	                 "{\"code\": 20003, \"detail\": \"Your AccountSid or AuthToken "
	                 "was incorrect.\", \"message\": \"Authenticate\", \"status\": 401}",
	                 NULL}},
	        1);
	CHECK_INT(monitor_get_json(m, url, &j), -EACCES);
	CHECK_INT(requests, 1);
	CHECK(strstr(monitor_error(m), "20003"));
	CHECK(strstr(monitor_error(m), "refused the credentials"));
	CHECK(strstr(monitor_error(m), SECRET) == NULL);

	/* Other 4xx: no retry, Twilio's message shown. */
	set_script((struct reply[]){{400, "{\"code\": 20001, \"message\": \"Invalid PageSize\"}",
	                             NULL}},
	           1);
	CHECK_INT(monitor_get_json(m, url, &j), -EPROTO);
	CHECK_INT(requests, 1);
	CHECK(strstr(monitor_error(m), "Invalid PageSize"));
	/* An error body without a numeric code: the message, no "error 0". */
	set_script((struct reply[]){{400, "{\"title\": \"Bad Request\", \"detail\": \"PageSize\"}",
	                             NULL}},
	           1);
	CHECK_INT(monitor_get_json(m, url, &j), -EPROTO);
	CHECK(strstr(monitor_error(m), "(Bad Request: PageSize)"));
	CHECK(strstr(monitor_error(m), "error 0") == NULL);
	set_script((struct reply[]){{404, "{}", NULL}}, 1);
	CHECK_INT(monitor_get_json(m, url, &j), -ENOENT);

	/* Credentials never go to another host. */
	{
		/* Twilio's own host as api_base: the zone id leak of issue 10, and others. */
		struct config_account tw = account("https://monitor.twilio.com");
		struct monitor *mt = NULL;
		char leak[128];

		CHECK_INT(monitor_create(&tw, 5, 0, &stop, &mt), 0);
		/* libcurl would connect to [::1] on this closed port: refused before that. */
		snprintf(leak, sizeof(leak), "https://[::1%%25.twilio.com]:%u/v1/Alerts?Page=1",
		         info->port);
		CHECK_INT(monitor_get_json(mt, leak, &j), -EPROTO);
		CHECK(strstr(monitor_error(mt), "refusing to send account test's credentials"));
		CHECK(strstr(monitor_error(mt), "zone id"));
		CHECK(strstr(monitor_error(mt), SECRET) == NULL);
		CHECK_INT(monitor_get_json(mt, "https://evil.twilio.com/v1/Alerts", &j), -EPROTO);
		CHECK(strstr(monitor_error(mt), "https://evil.twilio.com:443"));
		monitor_destroy(mt);
	}
	test_url_check();
	/* A redirect is an answer, never followed (with or without the credentials). */
	set_script((struct reply[]){{302, "{}", NULL, "/v1/Elsewhere"}}, 1);
	CHECK_INT(monitor_get_json(m, url, &j), -EPROTO);
	CHECK_INT(requests, 1);
	CHECK_STR(last_url, "/v1/Alerts");
	CHECK(strstr(monitor_error(m), "HTTP 302"));
	/* The same on the wire: nothing reaches even a server on the right address. */
	set_script(NULL, 0);
	CHECK_INT(monitor_get_json(m, "http://127.0.0.2:1/v1/Alerts", &j), -EPROTO);
	CHECK(strstr(monitor_error(m), "refusing"));
	CHECK_INT(monitor_get_json(m, "https://evil.example/v1/Alerts", &j), -EPROTO);
	CHECK_INT(requests, 0);

	/* A body over the cap is refused. */
	{
		static char huge[MONITOR_RESPONSE_MAX + 100];

		memset(huge, ' ', sizeof(huge) - 1);
		huge[0] = '{';
		huge[sizeof(huge) - 2] = '}';
		set_script((struct reply[]){{200, huge, NULL}}, 1);
		CHECK_INT(monitor_get_json(m, url, &j), -EPROTO);
		CHECK(strstr(monitor_error(m), "larger than"));
		CHECK_INT(requests, 1);
	}

	/* Instances in parallel; a 404 is skipped. */
	{
		const char *sids[] = {SID("1"), SID("2"), GONE_SID, SID("3"),
		                      SID("4"), SID("5"), SID("6")};
		/* Not sids: skipped with a warning, never a request, never the end of the others.
		 */
		const char *mixed[] = {"NO1 2", SID("a"), "../../evil", SID("b"),
		                       "",      SID("c"), SID("e")};

		set_script(NULL, 0);
		CHECK_INT(monitor_fetch_many(m, sids, ARRAY_SIZE(sids), count_calls, &calls), 0);
		CHECK_INT(calls, 6);
		calls = 0;
		CHECK_INT(monitor_fetch_many(m, mixed, ARRAY_SIZE(mixed), count_calls, &calls), 0);
		CHECK_INT(calls, 3);
		CHECK_INT(requests, 11);
	}
	monitor_destroy(m);
	m = NULL;

	/* The stop flag ends a backoff wait at once. */
	CHECK_INT(monitor_create(&a, 5, 5, &stop, &m), 0);
	set_script((struct reply[]){{429, "{}", "60"}}, 1);
	stop = 1;
	t0 = util_mono_ms();
	CHECK_INT(monitor_get_json(m, url, &j), -EINTR);
	monitor_destroy(m);
	monitor_destroy(NULL);
	MHD_stop_daemon(d);
	return test_done();
}

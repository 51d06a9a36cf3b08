/* SPDX-License-Identifier: MIT */
/*
 * twilio-monitor-sim: a simulator of Twilio's Monitor v1 Alerts API for tests.
 * This file is the CLI and the libmicrohttpd driver (thread per connection, so a
 * "slow" fault only stalls its own connection); it applies queued faults and
 * hands requests to sim-api.c or, with --control, sim-control.c.
 *
 * Choices where Twilio documents nothing:
 * - Without --account there is one account ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
 *   whose auth token is "sim-token".
 * - StartDate=YYYY-MM-DD means 00:00:00Z of that day, EndDate=YYYY-MM-DD means
 *   23:59:59Z of that day; both bounds are inclusive. A bare StartDate is refused
 *   as "older than 30 days" only when the whole day is.
 * - PageToken is "PA" (older than) or "PB" (newer than, for previous_page_url)
 *   + date_created as 16 hex digits + the sid's 32 hex digits: keyset paging, so
 *   alerts added meanwhile never shift a page. Page without PageToken skips
 *   Page*PageSize matches; Page also counts towards --max-results.
 * - The clock is time(NULL) plus an offset (--now, POST /_sim/clock, a "step"
 *   fault); the Date header of every reply follows it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "sim.h"

#define DEFAULT_ACCOUNT "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DEFAULT_TOKEN "sim-token"
#define CUT_BLOCK (16 * 1024)

static struct sim sim;
static atomic_bool stopping;
static atomic_ullong request_ids;
static char default_host[80]; /* "127.0.0.1:PORT", when a request has no Host */

/* Per-request state, created by the URI log callback before any header is parsed. */
struct req_ctx {
	char *uri;
	struct buf body;
	bool started;
	bool too_big;
};

struct cut_state {
	char *data;
	size_t half;
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: twilio-monitor-sim [--listen 127.0.0.1] [--port N] [--port-file FILE]\n"
	        "         [--control] [--account AC...:TOKEN]... [--api-key "
	        "SK...:SECRET:AC...]...\n"
	        "         [--seed N] [--generate ACCOUNT:COUNT:DAYS]... [--max-results N]\n"
	        "         [--now YYYY-MM-DDThh:mm:ssZ] [--trickle SECONDS] [--quiet]\n"
	        "Without --account, one account " DEFAULT_ACCOUNT " with auth token\n"
	        "\"" DEFAULT_TOKEN "\" exists. --port 0 picks a free port; --port-file gets it.\n");
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct req_ctx *x = xcalloc(1, sizeof(*x));

	x->uri = xstrdup(uri ? uri : "");
	buf_init(&x->body);
	return x;
}

static void request_done(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct req_ctx *x = *req_cls;

	if (!x)
		return;
	free(x->uri);
	buf_finish(&x->body);
	free(x);
	*req_cls = NULL;
}

struct argvec {
	struct sim_kv *v;
	size_t n;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
	struct argvec *a = cls;

	a->v = xrealloc(a->v, (a->n + 1) * sizeof(*a->v));
	a->v[a->n].key = xstrdup(key ? key : "");
	a->v[a->n].value = xstrdup(value ? value : "");
	a->n++;
	return MHD_YES;
}

static ssize_t cut_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct cut_state *st = cls;
	size_t n;

	if (pos >= st->half)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = st->half - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(out, st->data + pos, n);
	return (ssize_t)n;
}

static void cut_free(void *cls)
{
	struct cut_state *st = cls;

	free(st->data);
	free(st);
}

/* Sleeps @ms, returning early when the simulator shuts down. */
static void slow_sleep(int ms)
{
	while (ms > 0 && !atomic_load(&stopping)) {
		int step = ms < 50 ? ms : 50;
		struct timespec ts = {0, (long)step * 1000000L};

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* --trickle SECONDS: a new alert "now" for the first account every SECONDS (the demo). */
static unsigned long trickle_s;

static void *trickle(void *arg)
{
	for (uint64_t n = 1; !atomic_load(&stopping); n++) {
		slow_sleep((int)trickle_s * 1000);
		if (atomic_load(&stopping))
			break;
		pthread_rwlock_wrlock(&sim.lock);
		if (sim.naccounts)
			sim_generate(&sim, sim.accounts[0], 1, 1.0 / 86400,
			             sim.seed + 0x51ed27 * n);
		pthread_rwlock_unlock(&sim.lock);
	}
	return NULL;
}

static void apply_fault(const struct sim_fault *f, const struct sim_request *rq,
                        struct sim_reply *r)
{
	char num[32];

	r->fault = sim_fault_name(f->type);
	if (f->type != SIM_FAULT_SLOW)
		slow_sleep(f->ms);
	switch (f->type) {
	case SIM_FAULT_429:
		sim_error(r, 429, 20429, "Too many requests", NULL);
		if (f->retry_after >= 0) {
			snprintf(num, sizeof(num), "%d", f->retry_after);
			sim_reply_header(r, "Retry-After", num);
		}
		if (f->ratelimit_headers) {
			snprintf(num, sizeof(num), "%lld",
			         (long long)time(NULL) + (f->retry_after > 0 ? f->retry_after : 1));
			sim_reply_header(r, "X-RateLimit-Reset", num);
			sim_reply_header(r, "X-RateLimit-Remaining", "0");
			sim_reply_header(r, "X-RateLimit-Limit", "100");
		}
		return;
	case SIM_FAULT_500:
		sim_error(r, 500, 20500, "Internal Server Error", NULL);
		return;
	case SIM_FAULT_503:
		sim_error(r, 503, 20503, "Service Unavailable", NULL);
		return;
	case SIM_FAULT_SLOW:
		slow_sleep(f->ms);
		api_handle(&sim, rq, r);
		return;
	case SIM_FAULT_CUT:
		api_handle(&sim, rq, r);
		r->delivery = SIM_DELIVER_CUT;
		return;
	case SIM_FAULT_BADJSON:
		r->status = 200;
		r->body.len = 0;
		buf_adds(&r->body,
		         "{\"alerts\": [{\"sid\": \"NO0123\", \"date_created\": 2024-01-01,"
		         " ], \"meta\": {\"key\": alerts");
		return;
	case SIM_FAULT_RESET:
		r->delivery = SIM_DELIVER_RESET;
		return;
	case SIM_FAULT_STEP:
		pthread_rwlock_wrlock(&sim.lock);
		sim.clock_offset += f->seconds;
		pthread_rwlock_unlock(&sim.lock);
		api_handle(&sim, rq, r);
		return;
	case SIM_FAULT_LATE:
		/* Served first, so this very query may miss it: an alert filed mid-sync. */
		api_handle(&sim, rq, r);
		if (r->account[0])
			sim_add_late(&sim, r->account, f->age);
		return;
	}
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct sim_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	struct buf date;
	char rid[40];

	if (r->delivery == SIM_DELIVER_CUT && r->body.len > 1) {
		struct cut_state *st = xmalloc(sizeof(*st));

		st->data = r->body.p;
		st->half = r->body.len / 2;
		resp = MHD_create_response_from_callback(r->body.len, CUT_BLOCK, cut_reader, st,
		                                         cut_free);
		if (!resp)
			cut_free(st);
		buf_init(&r->body);
	} else {
		resp = MHD_create_response_from_buffer(
		        r->body.len, r->body.p ? r->body.p : (char *)"",
		        r->body.p ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
		buf_init(&r->body);
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        r->content_type ? r->content_type : "application/json");
	/* The Date header follows the sim clock, so a clock step shows in it too. */
	pthread_rwlock_rdlock(&sim.lock);
	buf_init(&date);
	buf_http_date(&date, sim_now(&sim));
	pthread_rwlock_unlock(&sim.lock);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_DATE, date.p);
	buf_finish(&date);
	snprintf(rid, sizeof(rid), "RQ%016llx%016llx", (unsigned long long)sim.seed,
	         (unsigned long long)atomic_fetch_add(&request_ids, 1));
	MHD_add_response_header(resp, "Twilio-Request-Id", rid);
	for (size_t i = 0; i < r->nheaders; i++)
		MHD_add_response_header(resp, r->hname[i], r->hvalue[i]);
	ret = MHD_queue_response(conn, (unsigned int)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
	struct req_ctx *x = *req_cls;
	struct sim_request rq = {0};
	struct sim_reply r = {0};
	struct argvec args = {0};
	struct sim_fault f;
	enum MHD_Result ret;
	bool control_path, faultable, logged;

	if (!x->started) {
		x->started = true;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (x->body.len + *upload_data_size > SIM_BODY_CAP)
			x->too_big = true;
		else
			buf_add(&x->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &args);
	rq.method = method;
	rq.path = url;
	rq.raw_uri = x->uri;
	rq.host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (!rq.host || !*rq.host)
		rq.host = default_host;
	rq.auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	rq.args = args.v;
	rq.nargs = args.n;
	rq.body = x->body.p;
	rq.body_len = x->body.len;
	buf_init(&r.body);

	control_path = strcmp(url, "/_sim") == 0 || strncmp(url, "/_sim/", 6) == 0;
	faultable = strncmp(url, "/v1/", 4) == 0;
	logged = !control_path;
	if (control_path && sim.control) {
		if (x->too_big) {
			r.status = 413;
			buf_adds(&r.body,
			         "{\"error\": \"request body too large\", \"status\": 413}");
		} else {
			control_handle(&sim, &rq, &r);
		}
	} else if (control_path) {
		struct buf m;

		buf_init(&m);
		buf_printf(&m, "The requested resource %s was not found", url);
		sim_error(&r, 404, 20404, m.p, NULL);
		buf_finish(&m);
	} else if (faultable && sim_fault_pop(&sim, &f)) {
		apply_fault(&f, &rq, &r);
	} else {
		api_handle(&sim, &rq, &r);
	}
	if (logged)
		sim_log_request(&sim, &rq, &r);
	if (r.delivery == SIM_DELIVER_RESET)
		ret = MHD_NO; /* libmicrohttpd closes the socket without a response */
	else
		ret = send_reply(conn, &r);
	sim_reply_finish(&r);
	for (size_t i = 0; i < args.n; i++) {
		free(args.v[i].key);
		free(args.v[i].value);
	}
	free(args.v);
	return ret;
}

static int write_port_file(const char *path, unsigned port)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "%u\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		int e = -errno;

		unlink(tmp);
		return e;
	}
	return 0;
}

struct key_opt {
	char *sid;
	char *secret;
	char *account;
};

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || *s == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

static int setup_accounts(char **accounts, size_t naccounts, struct key_opt *keys, size_t nkeys)
{
	for (size_t i = 0; i < naccounts; i++) {
		char *colon = strchr(accounts[i], ':');

		if (!colon || !colon[1]) {
			fprintf(stderr, "twilio-monitor-sim: --account wants AC...:TOKEN\n");
			return -EINVAL;
		}
		*colon = '\0';
		if (!sim_valid_sid(accounts[i], "AC")) {
			fprintf(stderr, "twilio-monitor-sim: bad account sid %s\n", accounts[i]);
			return -EINVAL;
		}
		sim_account_add(&sim, accounts[i], colon + 1);
	}
	if (!naccounts)
		sim_account_add(&sim, DEFAULT_ACCOUNT, DEFAULT_TOKEN);
	for (size_t i = 0; i < nkeys; i++) {
		struct sim_account *a = sim_account_find(&sim, keys[i].account);

		if (!a || !sim_valid_sid(keys[i].sid, "SK")) {
			fprintf(stderr,
			        "twilio-monitor-sim: --api-key %s: bad key sid or unknown "
			        "account %s\n",
			        keys[i].sid, keys[i].account);
			return -EINVAL;
		}
		sim_account_add_key(a, keys[i].sid, keys[i].secret);
	}
	return 0;
}

static int generate_opt(char *spec, size_t nth)
{
	char *acct = spec, *count = strchr(spec, ':'), *days = NULL, *end;
	struct sim_account *a;
	unsigned long n;
	double d;

	if (count) {
		*count++ = '\0';
		days = strchr(count, ':');
	}
	if (!days) {
		fprintf(stderr, "twilio-monitor-sim: --generate wants ACCOUNT:COUNT:DAYS\n");
		return -EINVAL;
	}
	*days++ = '\0';
	d = strtod(days, &end);
	a = sim_account_find(&sim, acct);
	if (!a || parse_ulong(count, 100000000, &n) < 0 || *end || d <= 0) {
		fprintf(stderr,
		        "twilio-monitor-sim: --generate %s: unknown account or bad "
		        "count/days\n",
		        acct);
		return -EINVAL;
	}
	sim_generate(&sim, a, n, d, sim.seed + 0x9e3779b97f4a7c15ULL * nth);
	if (!sim.quiet)
		fprintf(stderr, "twilio-monitor-sim: generated %lu alerts for %s over %g days\n", n,
		        a->sid, d);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"listen", required_argument, NULL, 'l'},
	        {"port", required_argument, NULL, 'p'},
	        {"port-file", required_argument, NULL, 'f'},
	        {"control", no_argument, NULL, 'c'},
	        {"account", required_argument, NULL, 'a'},
	        {"api-key", required_argument, NULL, 'k'},
	        {"seed", required_argument, NULL, 's'},
	        {"generate", required_argument, NULL, 'g'},
	        {"max-results", required_argument, NULL, 'm'},
	        {"now", required_argument, NULL, 'n'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"trickle", required_argument, NULL, 't'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *listen = "127.0.0.1", *port_file = NULL, *now = NULL;
	char **accounts = NULL, **gens = NULL;
	struct key_opt *keys = NULL;
	size_t naccounts = 0, ngens = 0, nkeys = 0;
	unsigned long port = 0, ul;
	struct sockaddr_in sin = {0};
	struct sockaddr_in6 sin6 = {0};
	struct sockaddr *sa;
	struct MHD_Daemon *d = NULL;
	const union MHD_DaemonInfo *info;
	pthread_t trickle_thread;
	bool trickling = false;
	unsigned int flags;
	sigset_t set;
	int c, sig, ret = 1;

	if (sim_init(&sim) < 0) {
		fprintf(stderr, "twilio-monitor-sim: cannot initialise locks\n");
		return 1;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen = optarg;
			break;
		case 'p':
			if (parse_ulong(optarg, 65535, &port) < 0)
				goto bad;
			break;
		case 'f':
			port_file = optarg;
			break;
		case 'c':
			sim.control = true;
			break;
		case 'a':
			accounts = xrealloc(accounts, (naccounts + 1) * sizeof(*accounts));
			accounts[naccounts++] = optarg;
			break;
		case 'k': {
			char *p1 = strchr(optarg, ':'), *p2 = p1 ? strchr(p1 + 1, ':') : NULL;

			if (!p2)
				goto bad;
			*p1 = *p2 = '\0';
			keys = xrealloc(keys, (nkeys + 1) * sizeof(*keys));
			keys[nkeys].sid = optarg;
			keys[nkeys].secret = p1 + 1;
			keys[nkeys].account = p2 + 1;
			nkeys++;
			break;
		}
		case 's':
			if (parse_ulong(optarg, ~0UL, &ul) < 0)
				goto bad;
			sim.seed = ul;
			break;
		case 'g':
			gens = xrealloc(gens, (ngens + 1) * sizeof(*gens));
			gens[ngens++] = optarg;
			break;
		case 'm':
			if (parse_ulong(optarg, 1000000000, &ul) < 0 || ul < 1)
				goto bad;
			sim.max_results = (long)ul;
			break;
		case 'n':
			now = optarg;
			break;
		case 'q':
			sim.quiet = true;
			break;
		case 't':
			if (parse_ulong(optarg, 86400, &trickle_s) < 0 || trickle_s < 1)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto out;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (setup_accounts(accounts, naccounts, keys, nkeys) < 0)
		goto out;
	if (now) {
		int64_t t;

		if (sim_parse_time(now, &t, NULL) < 0)
			goto bad;
		sim.clock_offset = t - (int64_t)time(NULL);
	}
	for (size_t i = 0; i < ngens; i++)
		if (generate_opt(gens[i], i) < 0)
			goto out;

	/* Signals are taken synchronously by sigwait(); every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* MHD's own Date header would tell the machine's clock, not the sim's. */
	flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	        MHD_USE_SUPPRESS_DATE_NO_CLOCK;
	if (!sim.quiet)
		flags |= MHD_USE_ERROR_LOG;
	if (inet_pton(AF_INET, listen, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, listen, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		fprintf(stderr, "twilio-monitor-sim: --listen wants an IPv4 or IPv6 address\n");
		goto out;
	}
	d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR,
	                     sa, MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL,
	                     MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
	                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "twilio-monitor-sim: cannot listen on %s port %lu\n", listen, port);
		goto out;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	port = info ? info->port : port;
	if (sa->sa_family == AF_INET6)
		snprintf(default_host, sizeof(default_host), "[%s]:%lu", listen, port);
	else
		snprintf(default_host, sizeof(default_host), "%s:%lu", listen, port);
	if (port_file && write_port_file(port_file, (unsigned)port) < 0) {
		fprintf(stderr, "twilio-monitor-sim: cannot write %s\n", port_file);
		goto out;
	}
	printf("twilio-monitor-sim listening on http://%s\n", default_host);
	fflush(stdout);
	if (trickle_s && pthread_create(&trickle_thread, NULL, trickle, NULL) == 0)
		trickling = true;

	do {
		if (sigwait(&set, &sig) != 0)
			break;
	} while (sig != SIGTERM && sig != SIGINT);
	ret = 0;
	goto out;
bad:
	usage(stderr);
	ret = 2;
out:
	atomic_store(&stopping, true);
	if (trickling)
		pthread_join(trickle_thread, NULL);
	if (d)
		MHD_stop_daemon(d);
	free(accounts);
	free(gens);
	free(keys);
	sim_finish(&sim);
	return ret;
}

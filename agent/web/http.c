// SPDX-License-Identifier: MIT
/*
 * The HTTP server: libmicrohttpd with a small thread pool on a socket bound
 * here (so a busy port is reported as such), with a cap per client address
 * and http-guard.c's deadlines and eviction against slow clients. Readers take a read-only store
 * from a pool (one per thread at a time); the webhook writes through one
 * read-write store under a mutex. The page's aggregates come from summary.c,
 * the health verdict is cached for a second, and the configuration is read
 * under a rwlock so that a reload can swap it. The handlers live in
 * http-page.c (HTML), http-api.c (JSON) and http-metrics.c (/metrics).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "base/form.h"
#include "web/health.h"
#include "web/http.h"
#include "web/http-api.h"
#include "web/http-guard.h"
#include "web/http-metrics.h"
#include "web/http-page.h"
#include "web/http-private.h"
#include "base/log.h"
#include "web/metrics.h"
#include "web/page.h"
#include "base/sign.h"
#include "web/summary.h"
#include "web/webhook.h"

/* Security headers of every answer: nothing but the page's own inline style runs. */
#define CSP                                                                                        \
	"default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "       \
	"base-uri 'none'; frame-ancestors 'none'"

/* --- helpers ------------------------------------------------------------- */

struct store *store_get(struct http_server *srv)
{
	struct store *s = NULL;

	pthread_mutex_lock(&srv->pool_lock);
	if (srv->n_pool)
		s = srv->pool[--srv->n_pool];
	pthread_mutex_unlock(&srv->pool_lock);
	if (!s && store_open(srv->db_path, true, &s) < 0)
		return NULL;
	return s;
}

void store_put(struct http_server *srv, struct store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&srv->pool_lock);
	if (srv->n_pool < POOL_MAX) {
		srv->pool[srv->n_pool++] = s;
		s = NULL;
	}
	pthread_mutex_unlock(&srv->pool_lock);
	store_close(s);
}

void text(struct reply *rp, int status, const char *msg)
{
	rp->status = status;
	rp->type = "text/plain; charset=utf-8";
	strbuf_reset(&rp->body);
	if (strbuf_append(&rp->body, msg, strlen(msg)) == 0)
		strbuf_append(&rp->body, "\n", 1);
}

void html_error(struct reply *rp, int status, const char *reason)
{
	rp->status = status;
	rp->type = "text/html; charset=utf-8";
	strbuf_reset(&rp->body);
	if (page_error(&rp->body, status, reason) < 0)
		text(rp, status, reason);
}

/* Serialise @doc (stolen) as the answer. */
void json_reply(struct reply *rp, int status, json_t *doc)
{
	char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	strbuf_reset(&rp->body);
	if (!s || strbuf_append(&rp->body, s, strlen(s)) < 0 ||
	    strbuf_append(&rp->body, "\n", 1) < 0) {
		free(s);
		text(rp, 500, "out of memory");
		return;
	}
	free(s);
	rp->status = status;
	rp->type = "application/json";
}

void json_error(struct reply *rp, int status, const char *msg)
{
	json_reply(rp, status, json_pack("{s:s, s:i}", "error", msg, "status", status));
}

/*
 * The request http_serve_request hands to route() with no connection (NULL);
 * per thread, so that concurrent callers each see their own.
 */
static _Thread_local const struct http_request_in *local_rq;

/* A header or query argument of @c, or of local_rq when @c is NULL. */
static const char *conn_value(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *name)
{
	const struct form *f;

	if (c)
		return MHD_lookup_connection_value(c, kind, name);
	f = !local_rq ? NULL : kind == MHD_GET_ARGUMENT_KIND ? local_rq->query : local_rq->headers;
	for (size_t i = 0; f && i < f->n; i++)
		if (kind == MHD_GET_ARGUMENT_KIND ? strcmp(f->fields[i].name, name) == 0
		                                  : strcasecmp(f->fields[i].name, name) == 0)
			return f->fields[i].value;
	return NULL;
}

const char *arg(struct MHD_Connection *c, const char *name)
{
	const char *v = conn_value(c, MHD_GET_ARGUMENT_KIND, name);

	return v && *v ? v : NULL;
}
/* A whole decimal number of at most 9 digits (error codes, limits). */
bool parse_small(const char *v, int64_t *out)
{
	size_t n = v ? strspn(v, "0123456789") : 0;

	if (!n || v[n] || n > 9)
		return false;
	*out = strtoll(v, NULL, 10);
	return true;
}

/* Whether @v is one of the log levels the filters take. */
bool valid_level(const char *v)
{
	return strcmp(v, "error") == 0 || strcmp(v, "warning") == 0 || strcmp(v, "notice") == 0 ||
	       strcmp(v, "debug") == 0;
}

bool valid_sid(const char *v)
{
	size_t n =
	        v ? strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") : 0;

	return n >= 2 && n <= 64 && !v[n];
}

/* --- health ---------------------------------------------------------------- */

/*
 * The /healthz verdict into @reason ("" = healthy): health_verdict over
 * what the store says, accounts never polled counting from the server's
 * start. Made at most once a second; callers in between share it.
 */
void health(struct http_server *srv, const struct config *cfg, int64_t now, char *reason,
            size_t size)
{
	struct health_data *d = NULL;
	struct store *s = NULL;

	pthread_mutex_lock(&srv->health_lock);
	if (srv->health_ms && util_mono_ms() - srv->health_ms < 1000)
		goto out;
	d = malloc(sizeof(*d));
	s = d ? store_get(srv) : NULL;
	if (!s || health_read(s, d) < 0)
		health_verdict(cfg, NULL, d ? store_errmsg(s) : "out of memory", now, srv->started,
		               srv->health, sizeof(srv->health));
	else
		health_verdict(cfg, d, NULL, now, srv->started, srv->health, sizeof(srv->health));
	srv->health_ms = util_mono_ms();
out:
	snprintf(reason, size, "%s", srv->health);
	pthread_mutex_unlock(&srv->health_lock);
	store_put(srv, s);
	free(d);
}
/* --- webhook -------------------------------------------------------------------- */

static void webhook(struct http_server *srv, const struct config *cfg, struct MHD_Connection *c,
                    struct request *rq, struct reply *rp)
{
	struct webhook_result res = {0};

	if (rq->too_big) {
		res.status = 413;
		snprintf(res.reason, sizeof(res.reason), "body larger than %d bytes",
		         HTTP_WEBHOOK_BODY_MAX);
	} else {
		pthread_mutex_lock(&srv->rw_lock);
		if (!srv->rw && store_open(srv->db_path, false, &srv->rw) < 0) {
			res.status = 503;
			snprintf(res.reason, sizeof(res.reason), "cannot open the database");
		} else {
			webhook_receive(
			        cfg, srv->rw,
			        conn_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
			        conn_value(c, MHD_HEADER_KIND, "X-Twilio-Signature"),
			        rq->body.buf ? rq->body.buf : "", rq->body.len, util_now(), &res);
		}
		pthread_mutex_unlock(&srv->rw_lock);
	}
	if (res.stored) {
		atomic_store(&srv->pushed, true);
		summary_poke(srv->sm);
	}
	if (res.status == 200)
		log_info("webhook: account %s: %s", res.account, res.reason);
	else if (res.status == 400 || res.status >= 500)
		log_warnx("webhook: answered %d: %s", res.status, res.reason);
	else
		log_info("webhook: refused (%d): %s", res.status,
		         res.detail[0] ? res.detail : res.reason);
	metrics_note_push(res.account[0] ? res.account : NULL, res.status, res.stored);
	text(rp, res.status, res.reason);
}

/* --- dispatch ------------------------------------------------------------------- */

static bool authorized(struct http_server *srv, struct MHD_Connection *c)
{
	const char *h = conn_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

	if (!srv->auth)
		return true;
	/* The scheme's case is free (RFC 7617); the credentials compare in constant time. */
	return h && strncasecmp(h, "Basic ", 6) == 0 && sign_equal(h + 6, srv->auth + 6);
}

static void route(struct http_server *srv, struct MHD_Connection *c, const char *url,
                  const char *method, struct request *rq, struct reply *rp)
{
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	const struct config *cfg = srv->cfg;
	struct store *s = NULL;
	char reason[600];

	if (strcmp(url, "/twilio/debugger") == 0) {
		if (strcmp(method, "POST") == 0) {
			webhook(srv, cfg, c, rq, rp);
			return;
		}
		rp->allow = "POST";
		text(rp, 405, "the Debugger webhook takes POST");
		goto count;
	}
	if (!authorized(srv, c)) {
		rp->challenge = true;
		text(rp, 401, "authorization required");
		goto count;
	}
	if (!get) {
		rp->allow = "GET, HEAD";
		text(rp, 405, "only GET and HEAD");
		goto count;
	}
	if (strcmp(url, "/healthz") == 0) {
		health(srv, cfg, util_now(), reason, sizeof(reason));
		text(rp, reason[0] ? 503 : 200, reason[0] ? reason : "ok");
		goto count;
	}
	s = store_get(srv);
	if (!s) {
		text(rp, 503, "cannot open the database");
		goto count;
	}
	if (strcmp(url, "/") == 0)
		status_page(srv, cfg, s, c, rp);
	else if (strcmp(url, "/api/status") == 0)
		api_status(srv, cfg, s, rp);
	else if (strcmp(url, "/api/alerts") == 0)
		api_alerts(cfg, s, c, rp);
	else if (strncmp(url, "/api/alerts/", 12) == 0)
		alert_one(cfg, s, url + 12, true, rp);
	else if (strncmp(url, "/alerts/", 8) == 0)
		alert_one(cfg, s, url + 8, false, rp);
	else if (strcmp(url, "/metrics") == 0)
		metrics(srv, cfg, s, rp);
	else
		html_error(rp, 404, "There is no such page here.");
	store_put(srv, s);
count:
	metrics_note_http(rp->status);
}

static enum MHD_Result send_reply(struct MHD_Connection *c, struct reply *rp)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(
	        rp->body.len, rp->body.buf ? rp->body.buf : (char *)"",
	        rp->body.buf ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	rp->body.buf = NULL; /* libmicrohttpd frees it */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rp->type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	if (rp->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rp->allow);
	if (rp->challenge)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		                        "Basic realm=\"twilio-alertd\", charset=\"UTF-8\"");
	ret = MHD_queue_response(c, (unsigned int)rp->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The guard's slot of @c (libmicrohttpd's socket context), or NULL. */
static void *socket_context(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
	struct http_server *srv = cls;
	struct request *rq = *req_cls;
	struct reply rp = {.status = 500, .type = "text/plain; charset=utf-8"};
	enum MHD_Result ret;

	if (!rq) {
		const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		                                              MHD_HTTP_HEADER_CONTENT_LENGTH);

		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		strbuf_init(&rq->body, HTTP_WEBHOOK_BODY_MAX);
		*req_cls = rq;
		/* Refuse a declared oversize body before reading it. */
		if (len && strtoull(len, NULL, 10) > HTTP_WEBHOOK_BODY_MAX)
			rq->too_big = true;
		else
			return MHD_YES;
	}
	if (*upload_size) {
		/* Only the webhook reads a body; it stops growing at its cap. */
		if (!rq->too_big && (strcmp(url, "/twilio/debugger") != 0 ||
		                     strbuf_append(&rq->body, upload, *upload_size) < 0))
			rq->too_big = strcmp(url, "/twilio/debugger") == 0;
		*upload_size = 0;
		return MHD_YES;
	}
	http_guard_request_read(srv->guard, socket_context(c));
	strbuf_init(&rp.body, HTTP_RESPONSE_MAX);
	pthread_rwlock_rdlock(&srv->cfg_lock);
	if (rq->too_big && strcmp(url, "/twilio/debugger") != 0)
		text(&rp, 413, "request body too large");
	else
		route(srv, c, url, method, rq, &rp);
	pthread_rwlock_unlock(&srv->cfg_lock);
	ret = send_reply(c, &rp);
	strbuf_finish(&rp.body);
	return ret;
}

static void request_done(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct request *rq = *req_cls;

	http_guard_reply_done(srv->guard, socket_context(c));
	if (!rq)
		return;
	strbuf_finish(&rq->body);
	free(rq);
	*req_cls = NULL;
}

static void connection_event(void *cls, struct MHD_Connection *c, void **ctx,
                             enum MHD_ConnectionNotificationCode what)
{
	struct http_server *srv = cls;
	const union MHD_ConnectionInfo *ci;

	if (what == MHD_CONNECTION_NOTIFY_CLOSED) {
		http_guard_closed(srv->guard, ctx);
		return;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci)
		http_guard_opened(srv->guard, ci->connect_fd, ctx);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("http: %s", line);
}

/* --- lifecycle ------------------------------------------------------------------- */

/* The "Basic ..." header value @cfg's listen_user/listen_password make, or NULL. */
static int make_auth(const struct config *cfg, char **out)
{
	char *pair = NULL, *b64 = NULL;
	size_t len, size = 0;
	int r = 0;

	*out = NULL;
	if (!cfg->listen_user || !cfg->listen_password)
		return 0;
	if (asprintf(&pair, "%s:%s", cfg->listen_user, cfg->listen_password) < 0)
		return -ENOMEM;
	len = strlen(pair);
	size = 6 + 4 * ((len + 2) / 3) + 1;
	b64 = malloc(size);
	if (!b64) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(b64, "Basic ", 6);
	r = sign_base64(pair, len, b64 + 6, size - 6);
	if (r == 0) {
		*out = b64;
		b64 = NULL;
	}
out:
	explicit_bzero(pair, strlen(pair));
	free(pair);
	if (b64)
		explicit_bzero(b64, size);
	free(b64);
	return r;
}

/* A listening socket on cfg->listen ("HOST:PORT" or "[V6]:PORT"). */
static int bind_listen(const char *addr, int *fd_out)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV},
	                *ai = NULL;
	char host[256], port[8];
	const char *colon = strrchr(addr, ':');
	int fd = -1, one = 1, r;

	if (!colon || (size_t)(colon - addr) >= sizeof(host) || strlen(colon + 1) >= sizeof(port))
		return -EINVAL;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	snprintf(port, sizeof(port), "%s", colon + 1);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	r = getaddrinfo(host, port, &hints, &ai);
	if (r != 0) {
		log_warnx("status page: listen %s: %s", addr, gai_strerror(r));
		return -EADDRNOTAVAIL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 256) < 0) {
		r = -errno;
		log_warnx("status page: cannot listen on %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return r;
	}
	freeaddrinfo(ai);
	*fd_out = fd;
	return 0;
}

int http_start(const struct config *cfg, struct http_server **out)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	sigset_t block, old;
	int fd = -1, r = -ENOMEM;

	if (!srv)
		return r;
	pthread_rwlock_init(&srv->cfg_lock, NULL);
	pthread_mutex_init(&srv->pool_lock, NULL);
	pthread_mutex_init(&srv->rw_lock, NULL);
	pthread_mutex_init(&srv->health_lock, NULL);
	srv->cfg = cfg;
	srv->started = util_now();
	if (!(srv->db_path = strdup(cfg->database)))
		goto out;
	r = make_auth(cfg, &srv->auth);
	if (r == 0)
		r = bind_listen(cfg->listen, &fd);
	if (r < 0)
		goto out;
	/* The server's threads leave SIGTERM, SIGINT and SIGHUP to the main thread. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	r = summary_create(srv->db_path, &srv->sm);
	if (r == 0)
		r = http_guard_create(HTTP_CONNECTIONS_MAX, HTTP_REQUEST_DEADLINE_S * 1000,
		                      HTTP_REPLY_DEADLINE_S * 1000,
		                      HTTP_CONNECTIONS_MAX - HTTP_CONNECTIONS_SPARE, &srv->guard);
	if (r == 0) {
		srv->d = MHD_start_daemon(
		        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0,
		        NULL, NULL, handle, srv, MHD_OPTION_LISTEN_SOCKET, fd,
		        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HTTP_THREADS,
		        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONNECTIONS_MAX,
		        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_PER_IP_MAX,
		        MHD_OPTION_NOTIFY_CONNECTION, connection_event, srv,
		        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
		        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_HEADERS_MAX,
		        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)256,
		        MHD_OPTION_NOTIFY_COMPLETED, request_done, srv, MHD_OPTION_EXTERNAL_LOGGER,
		        mhd_log, NULL, MHD_OPTION_END);
		r = srv->d ? 0 : -EIO;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		log_warnx("status page: cannot start the HTTP server on %s", cfg->listen);
		goto out;
	}
	fd = -1; /* libmicrohttpd closes it */
	log_info("status page on http://%s/", cfg->listen);
	*out = srv;
	srv = NULL;
out:
	if (fd >= 0)
		close(fd);
	http_stop(srv);
	return r;
}

void http_stop(struct http_server *srv)
{
	if (!srv)
		return;
	if (srv->d)
		MHD_stop_daemon(srv->d);
	http_guard_destroy(srv->guard);
	summary_destroy(srv->sm);
	for (size_t i = 0; i < srv->n_pool; i++)
		store_close(srv->pool[i]);
	store_close(srv->rw);
	if (srv->auth)
		explicit_bzero(srv->auth, strlen(srv->auth));
	free(srv->auth);
	free(srv->db_path);
	pthread_rwlock_destroy(&srv->cfg_lock);
	pthread_mutex_destroy(&srv->pool_lock);
	pthread_mutex_destroy(&srv->rw_lock);
	pthread_mutex_destroy(&srv->health_lock);
	free(srv);
}

void http_set_config(struct http_server *srv, const struct config *cfg)
{
	char *auth = NULL;

	if (!srv)
		return;
	if (make_auth(cfg, &auth) < 0)
		log_warnx("status page: out of memory; keeping the old password");
	pthread_rwlock_wrlock(&srv->cfg_lock);
	srv->cfg = cfg;
	if (auth || !cfg->listen_user) {
		if (srv->auth)
			explicit_bzero(srv->auth, strlen(srv->auth));
		free(srv->auth);
		srv->auth = auth;
	}
	pthread_rwlock_unlock(&srv->cfg_lock);
	pthread_mutex_lock(&srv->health_lock);
	srv->health_ms = 0;
	pthread_mutex_unlock(&srv->health_lock);
}

void http_note_cycle(struct http_server *srv)
{
	if (srv)
		summary_poke(srv->sm);
}

bool http_take_pushes(struct http_server *srv)
{
	return srv && atomic_exchange(&srv->pushed, false);
}

/* --- without a socket (tests, fuzzing) ------------------------------------------- */

int http_open_local(const struct config *cfg, struct http_server **out)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	int r = -ENOMEM;

	if (!srv)
		return r;
	pthread_rwlock_init(&srv->cfg_lock, NULL);
	pthread_mutex_init(&srv->pool_lock, NULL);
	pthread_mutex_init(&srv->rw_lock, NULL);
	pthread_mutex_init(&srv->health_lock, NULL);
	srv->cfg = cfg;
	srv->started = util_now();
	if ((srv->db_path = strdup(cfg->database)))
		r = make_auth(cfg, &srv->auth);
	if (r == 0)
		r = summary_create(srv->db_path, &srv->sm);
	if (r < 0) {
		http_stop(srv);
		return r;
	}
	*out = srv;
	return 0;
}

void http_serve_request(struct http_server *srv, const struct http_request_in *in,
                        struct http_answer *out)
{
	bool webhook_path = strcmp(in->path, "/twilio/debugger") == 0;
	struct request rq = {.too_big = in->len > HTTP_WEBHOOK_BODY_MAX};
	struct reply rp = {.status = 500, .type = "text/plain; charset=utf-8"};

	/* As handle() does: only the webhook keeps a body. */
	strbuf_init(&rq.body, HTTP_WEBHOOK_BODY_MAX);
	if (!rq.too_big && webhook_path && in->len &&
	    strbuf_append(&rq.body, in->body, in->len) < 0)
		rq.too_big = true;
	strbuf_init(&rp.body, HTTP_RESPONSE_MAX);
	local_rq = in;
	pthread_rwlock_rdlock(&srv->cfg_lock);
	if (rq.too_big && !webhook_path)
		text(&rp, 413, "request body too large");
	else
		route(srv, NULL, in->path, in->method, &rq, &rp);
	pthread_rwlock_unlock(&srv->cfg_lock);
	local_rq = NULL;
	strbuf_finish(&rq.body);
	out->status = rp.status;
	out->type = rp.type;
	out->allow = rp.allow;
	out->challenge = rp.challenge;
	out->body = rp.body;
}

/* SPDX-License-Identifier: MIT */
/*
 * twilio-monitor-sim: shared declarations of the Monitor v1 Alerts simulator.
 * twilio-monitor-sim.c drives libmicrohttpd and turns each HTTP request into a
 * struct sim_request; sim-api.c (the /v1/ API) and sim-control.c (/_sim/) fill a
 * struct sim_reply. sim-data.c owns accounts and alerts, sim-render.c writes JSON.
 */
#ifndef SIM_H
#define SIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_WINDOW_SECS (30 * 86400) /* Twilio answers queries for the last 30 days only */
#define SIM_LOG_CAP 100000           /* entries kept in the request log */
#define SIM_BODY_CAP (64u << 20)     /* bytes of one control request body */
#define SIM_FAULT_CAP 100000         /* queued faults */
#define SIM_PAGE_SIZE_MAX 1000
#define SIM_NO_EXTRA UINT32_MAX

/* Growable byte buffer; allocation failure aborts (this is a test tool). */
struct buf {
	char *p;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
/* buf_finish - free the storage; accepts an initialised or zeroed buffer. */
void buf_finish(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* buf_json_str - append @s (@n bytes) as a quoted, escaped JSON string. */
void buf_json_str(struct buf *b, const char *s, size_t n);
/* buf_json_strz - like buf_json_str for a C string; NULL is written as null. */
void buf_json_strz(struct buf *b, const char *s);
/* buf_url_enc - append @s percent-encoded for a query component (':' kept). */
void buf_url_enc(struct buf *b, const char *s);
/* buf_iso8601 - append "YYYY-MM-DDThh:mm:ssZ" for @t (no quotes). */
void buf_iso8601(struct buf *b, int64_t t);
/* buf_http_date - append an RFC 7231 date "Tue, 09 Feb 2010 01:23:53 GMT". */
void buf_http_date(struct buf *b, int64_t t);
/* buf_form_enc - append @s form-encoded (space as '+'); output is JSON-safe. */
void buf_form_enc(struct buf *b, const char *s);
/* buf_hex - append @n bytes as lowercase hex. */
void buf_hex(struct buf *b, const uint8_t *p, size_t n);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/*
 * sim_parse_time - parse "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ss[.fff]Z" (UTC).
 * Returns 0 and sets *out (and *date_only when not NULL), or -EINVAL.
 */
int sim_parse_time(const char *s, int64_t *out, bool *date_only);
/* sim_parse_hex - decode exactly @n bytes from 2*@n hex digits; returns 0 or -EINVAL. */
int sim_parse_hex(const char *s, uint8_t *out, size_t n);
/* sim_valid_sid - true when @s is @prefix followed by 32 hex digits. */
bool sim_valid_sid(const char *s, const char *prefix);

/* splitmix64 step: a small deterministic generator for the synthetic data. */
uint64_t sim_rand(uint64_t *state);
uint64_t sim_hash(const void *p, size_t n);

enum sim_level {
	SIM_LEVEL_ERROR = 0,
	SIM_LEVEL_WARNING = 1,
	SIM_LEVEL_NOTICE = 2,
	SIM_LEVEL_DEBUG = 3,
	SIM_LEVEL_NONE = 255, /* a LogLevel filter value that matches nothing */
};

const char *sim_level_name(int level);
/* sim_level_parse - case-insensitive; SIM_LEVEL_NONE for anything else. */
int sim_level_parse(const char *s);

/* Alert fields a caller may set explicitly (sim-control.c POST /_sim/alerts). */
enum sim_field {
	SIM_F_ALERT_TEXT,
	SIM_F_API_VERSION,
	SIM_F_ERROR_CODE,
	SIM_F_MORE_INFO,
	SIM_F_REQUEST_METHOD,
	SIM_F_REQUEST_URL,
	SIM_F_RESOURCE_SID,
	SIM_F_SERVICE_SID,
	SIM_F_REQUEST_VARIABLES,
	SIM_F_RESPONSE_BODY,
	SIM_F_RESPONSE_HEADERS,
	SIM_F_REQUEST_HEADERS,
	SIM_F_COUNT,
};

extern const char *const sim_field_names[SIM_F_COUNT];

/*
 * One alert, 32 bytes. Generated alerts are nothing but this record: every other
 * field is derived from the sid when rendered. Explicitly added alerts point at a
 * struct sim_extra holding the fields the caller gave.
 */
struct sim_rec {
	int64_t created; /* date_created, Unix seconds */
	uint8_t sid[16]; /* the 32 hex digits after "NO" */
	uint32_t extra;  /* index into sim_account.extras or SIM_NO_EXTRA */
	uint8_t level;   /* enum sim_level, copied here for fast filtering */
};

struct sim_extra {
	char *field[SIM_F_COUNT]; /* NULL: not given (or JSON null, see is_null) */
	uint32_t given;           /* bit per enum sim_field */
	uint32_t is_null;         /* bit per enum sim_field: given as JSON null */
	uint32_t is_raw;          /* bit per enum sim_field: field[] is JSON text, pasted as is */
	int64_t generated;        /* date_generated, valid when has_generated */
	int64_t updated;          /* date_updated, valid when has_updated */
	bool has_generated;
	bool has_updated;
};

struct sim_key {
	char sid[35];
	char *secret;
};

struct sim_slot {
	uint64_t key;    /* first 8 sid bytes */
	int64_t created; /* INT64_MIN: empty slot */
};

struct sim_account {
	char sid[35];
	char *token;
	struct sim_key *keys;
	size_t nkeys;
	struct sim_rec *recs; /* ordered by (created, sid) ascending */
	size_t nrecs;
	size_t caprecs;
	struct sim_extra *extras;
	size_t nextras;
	size_t capextras;
	struct sim_slot *index; /* sid -> created, open addressing */
	size_t index_cap;
	size_t index_used;
};

enum sim_fault_type {
	SIM_FAULT_429,
	SIM_FAULT_500,
	SIM_FAULT_503,
	SIM_FAULT_SLOW,
	SIM_FAULT_CUT,
	SIM_FAULT_BADJSON,
	SIM_FAULT_RESET,
	SIM_FAULT_STEP, /* move the clock by `seconds`, then answer normally */
	SIM_FAULT_LATE, /* answer normally, then add an alert dated `age` seconds ago */
};

struct sim_fault {
	enum sim_fault_type type;
	int retry_after;        /* seconds, -1: no Retry-After header */
	int ms;                 /* delay before the reply (the whole point of "slow") */
	bool ratelimit_headers; /* 429: also send X-RateLimit-* */
	int64_t seconds;        /* step: clock change, may be negative */
	int64_t age;            /* late: how far in the past the new alert is dated */
};

struct sim_logent {
	char *method;
	char *path;
	char account[35];  /* "" = no authenticated account */
	int status;        /* 0: connection reset, no response */
	const char *fault; /* static name or NULL */
	int64_t time;
};

struct sim {
	pthread_rwlock_t lock; /* accounts, alerts, clock and config */
	struct sim_account **accounts;
	size_t naccounts;
	int64_t clock_offset; /* sim clock = time(NULL) + clock_offset */
	uint64_t seed;
	uint64_t generate_calls;
	long max_results;
	bool control;
	bool quiet;

	pthread_mutex_t fault_lock;
	struct sim_fault *faults; /* FIFO ring */
	size_t fault_head;
	size_t fault_len;
	size_t fault_cap;

	pthread_mutex_t log_lock;
	struct sim_logent *log; /* ring of SIM_LOG_CAP */
	size_t log_head;
	size_t log_len;
};

struct sim_kv {
	char *key;
	char *value;
};

/* One HTTP request, independent of libmicrohttpd. */
struct sim_request {
	const char *method;
	const char *path;    /* decoded path, no query */
	const char *raw_uri; /* request target as received */
	const char *host;    /* Host header, or the listen address */
	struct sim_kv *args; /* decoded query arguments, in order */
	size_t nargs;
	const char *auth; /* Authorization header or NULL */
	const char *body;
	size_t body_len;
};

enum sim_delivery {
	SIM_DELIVER_NORMAL,
	SIM_DELIVER_CUT,   /* announce the full length, send half, close */
	SIM_DELIVER_RESET, /* close without any response */
};

#define SIM_MAX_HEADERS 6

struct sim_reply {
	int status;
	struct buf body;
	const char *content_type;
	char *hname[SIM_MAX_HEADERS];
	char *hvalue[SIM_MAX_HEADERS];
	size_t nheaders;
	enum sim_delivery delivery;
	char account[35]; /* authenticated account, for the request log */
	const char *fault;
};

void sim_reply_header(struct sim_reply *r, const char *name, const char *value);
void sim_reply_finish(struct sim_reply *r);
/* sim_request_arg - first query argument named @name, or NULL. */
const char *sim_request_arg(const struct sim_request *rq, const char *name);

/* sim-data.c; callers hold sim.lock (read for lookups, write for changes). */
int sim_init(struct sim *s);
void sim_finish(struct sim *s);
int64_t sim_now(const struct sim *s);
struct sim_account *sim_account_find(struct sim *s, const char *sid);
/* sim_account_add - add or update (token, keys appended); returns the account. */
struct sim_account *sim_account_add(struct sim *s, const char *sid, const char *token);
void sim_account_add_key(struct sim_account *a, const char *sid, const char *secret);
/* sim_authenticate - the account for a Basic user/password pair, or NULL. */
struct sim_account *sim_authenticate(struct sim *s, const char *user, const char *pass);
/* sim_find_alert - index of the alert in a->recs, or -1. */
long sim_find_alert(const struct sim_account *a, const uint8_t sid[16]);
/* sim_contains_prefix - true if some alert's sid starts with the 8 bytes of @sid. */
bool sim_contains_prefix(const struct sim_account *a, const uint8_t sid[16]);
/*
 * sim_insert - add @n records (any order, sids unique and not yet present) and
 * keep recs ordered. The caller already appended their extras.
 */
void sim_insert(struct sim_account *a, struct sim_rec *recs, size_t n);
uint32_t sim_extra_new(struct sim_account *a);
/*
 * sim_generate - add @count alerts spread over the @days days before the sim
 * clock, deterministic for (@seed, account sid, clock). Returns the number added.
 */
size_t sim_generate(struct sim *s, struct sim_account *a, size_t count, double days, uint64_t seed);
/* sim_lower_bound - first index whose (created, sid) >= (t, sid); sid NULL = all-zero. */
size_t sim_lower_bound(const struct sim_account *a, int64_t t, const uint8_t *sid);
/* sim_upper_bound - first index whose (created, sid) > (t, sid); sid NULL = all-0xff. */
size_t sim_upper_bound(const struct sim_account *a, int64_t t, const uint8_t *sid);
int sim_rec_cmp(const struct sim_rec *x, const struct sim_rec *y);

/* sim-render.c */
/*
 * sim_level_for - the log level an alert with this sid gets when none is given;
 * @error_code (NULL: derived from the sid too) picks the code's usual levels.
 */
uint8_t sim_level_for(const uint8_t sid[16], const char *error_code);
/*
 * sim_render_alert - append one alert object. @url_prefix is the already
 * JSON-escaped "http://HOST/v1/Alerts/". @full adds the four instance-only fields.
 */
void sim_render_alert(struct buf *b, const struct sim_account *a, const struct sim_rec *r,
                      const char *url_prefix, bool full);
/* sim_error_body - a Twilio error body: code, [detail,] message, more_info, status. */
void sim_error(struct sim_reply *r, int status, int code, const char *message, const char *detail);

/* sim-api.c */
void api_handle(struct sim *s, const struct sim_request *rq, struct sim_reply *r);

/* sim-control.c */
void control_handle(struct sim *s, const struct sim_request *rq, struct sim_reply *r);
/* fault queue and request log, used by twilio-monitor-sim.c */
bool sim_fault_pop(struct sim *s, struct sim_fault *out);
const char *sim_fault_name(enum sim_fault_type t);
/*
 * sim_add_late - add one alert dated @age seconds before the sim clock to the
 * account @account_sid (a "late" fault); takes sim.lock itself. Returns 0, or
 * -ENOENT for an unknown account.
 */
int sim_add_late(struct sim *s, const char *account_sid, int64_t age);
void sim_log_request(struct sim *s, const struct sim_request *rq, const struct sim_reply *r);

#endif

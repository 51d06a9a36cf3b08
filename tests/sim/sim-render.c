/* SPDX-License-Identifier: MIT */
/*
 * Rendering of alerts as Twilio's JSON. A generated alert is only its sid and
 * date: every other field is derived from a hash of the sid here, so a million
 * alerts cost 32 bytes each and render identically every time. Fields given
 * explicitly (struct sim_extra) win over derived ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

const char *const sim_field_names[SIM_F_COUNT] = {
        [SIM_F_ALERT_TEXT] = "alert_text",
        [SIM_F_API_VERSION] = "api_version",
        [SIM_F_ERROR_CODE] = "error_code",
        [SIM_F_MORE_INFO] = "more_info",
        [SIM_F_REQUEST_METHOD] = "request_method",
        [SIM_F_REQUEST_URL] = "request_url",
        [SIM_F_RESOURCE_SID] = "resource_sid",
        [SIM_F_SERVICE_SID] = "service_sid",
        [SIM_F_REQUEST_VARIABLES] = "request_variables",
        [SIM_F_RESPONSE_BODY] = "response_body",
        [SIM_F_RESPONSE_HEADERS] = "response_headers",
        [SIM_F_REQUEST_HEADERS] = "request_headers",
};

enum kind {
	K_WEBHOOK,  /* Twilio requested the customer's URL and the answer was bad */
	K_DIAL,     /* a TwiML verb failed */
	K_API,      /* the customer's REST API call was refused */
	K_CARRIER,  /* message delivery failed downstream */
	K_FUNCTION, /* a Twilio Function failed */
};

struct code_info {
	const char *code;
	unsigned weight;        /* relative frequency */
	unsigned warn_permille; /* share logged as warning rather than error */
	enum kind kind;
	const char *res;       /* resource sid prefix */
	const char *svc;       /* service sid prefix, NULL: never a service */
	unsigned svc_permille; /* share that has a service sid */
	const char *component; /* sourceComponent in alert_text */
	const char *msg;       /* Msg, already form-encoded */
	int status;            /* httpResponse for webhooks, 0: none */
	const char *body;      /* response_body for webhooks */
	const char *ctype;     /* Content-Type of that body, form-encoded */
};

/* Frequencies skew towards webhook failures and undelivered messages, as in real accounts. */
static const struct code_info codes[] = {
        {"11200", 300, 40, K_WEBHOOK, "CA", NULL, 0, "12000", "HTTP+retrieval+failure", 502,
         "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad "
         "Gateway</h1></body></html>",
         "text%2Fhtml"},
        {"11205", 150, 20, K_WEBHOOK, "CA", NULL, 0, "13400",
         "HTTP+Connection+Failure+-+Read+timed+out", 502, "", "text%2Fhtml"},
        {"11750", 30, 100, K_WEBHOOK, "CA", NULL, 0, "12000", "TwiML+response+body+too+large", 200,
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>Your call is important to us"
         "</Say><Pause length=\"1\"/></Response>",
         "text%2Fxml"},
        {"12100", 80, 30, K_WEBHOOK, "CA", NULL, 0, "12000", "Document+parse+failure", 200,
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Say>Hello<Say></Response>",
         "text%2Fxml"},
        {"12300", 50, 30, K_WEBHOOK, "SM", "MG", 400, "12000", "Invalid+Content-Type", 200,
         "{\"status\": \"ok\"}", "application%2Fjson"},
        {"13227", 40, 50, K_DIAL, "CA", NULL, 0, "13200", "Dial%3A+No+International+Authorization",
         0, NULL, NULL},
        {"13224", 30, 600, K_DIAL, "CA", NULL, 0, "13200", "Dial%3A+Invalid+phone+number", 0, NULL,
         NULL},
        {"21610", 100, 0, K_API, "SM", "MG", 500, "14100",
         "Attempt+to+send+to+unsubscribed+recipient", 0, NULL, NULL},
        {"14107", 20, 900, K_API, "SM", "MG", 300, "14100", "SMS+send+rate+limit+exceeded", 0, NULL,
         NULL},
        {"30003", 120, 100, K_CARRIER, "SM", "MG", 600, "14100", "Unreachable+destination+handset",
         0, NULL, NULL},
        {"30005", 60, 100, K_CARRIER, "SM", "MG", 600, "14100", "Unknown+destination+handset", 0,
         NULL, NULL},
        {"30007", 80, 300, K_CARRIER, "SM", "MG", 700, "14100", "Message+filtered", 0, NULL, NULL},
        {"30008", 60, 100, K_CARRIER, "SM", "MG", 600, "14100", "Unknown+error", 0, NULL, NULL},
        {"30034", 40, 200, K_CARRIER, "SM", "MG", 800, "14100",
         "Message+from+an+unregistered+number", 0, NULL, NULL},
        {"63016", 20, 100, K_API, "SM", "MG", 300, "14100",
         "Failed+to+send+freeform+message+outside+the+allowed+window", 0, NULL, NULL},
        {"32015", 25, 200, K_DIAL, "CA", "TK", 1000, "32000", "SIP+trunking+request+failed", 0,
         NULL, NULL},
        {"82002", 50, 50, K_FUNCTION, "ZH", "ZS", 1000, "82000",
         "Error+on+Twilio+Function+response", 500, "", "application%2Fjson"},
};

#define NCODES (sizeof(codes) / sizeof(codes[0]))

static const struct code_info generic_code = {
        NULL, 1, 100, K_DIAL, "CA", NULL, 0, "10000", "Unknown+error", 0, NULL, NULL};

static const char *const hosts[] = {
        "example.com",       "api.example.org", "hooks.acme-shop.example",
        "voice.example.net", "ivr.example.io",
};

static const char *const voice_paths[] = {"/voice", "/twilio/voice/incoming", "/ivr/menu",
                                          "/calls/answer"};
static const char *const sms_paths[] = {"/sms", "/twilio/sms/incoming", "/messages/inbound"};

/* Everything a rendered alert derives from its sid. */
struct gen {
	const struct code_info *ci;
	const char *code;
	int level;
	const char *host;
	const char *path;
	bool post;
	bool api_version;
	bool has_svc;
	uint8_t res[16];
	uint8_t svc[16];
	int gen_delta;
	int upd_delta;
	unsigned from, to; /* last four digits of +1415555.... numbers */
	uint64_t noise;
};

static unsigned total_weight(void)
{
	unsigned t = 0;

	for (size_t i = 0; i < NCODES; i++)
		t += codes[i].weight;
	return t;
}

static const struct code_info *code_lookup(const char *code)
{
	for (size_t i = 0; i < NCODES; i++)
		if (strcmp(codes[i].code, code) == 0)
			return &codes[i];
	return &generic_code;
}

static void derive(const uint8_t sid[16], const char *code, struct gen *g)
{
	uint64_t st = sim_hash(sid, 16), w;
	unsigned pick = (unsigned)(sim_rand(&st) % total_weight()), lv, rare;
	size_t i;

	for (i = 0; i + 1 < NCODES && pick >= codes[i].weight; i++)
		pick -= codes[i].weight;
	g->ci = &codes[i];
	g->code = codes[i].code;
	if (code) {
		g->ci = code_lookup(code);
		g->code = code;
	}
	lv = (unsigned)(sim_rand(&st) % 1000);
	rare = (unsigned)(sim_rand(&st) % 1000);
	g->level = lv < g->ci->warn_permille ? SIM_LEVEL_WARNING : SIM_LEVEL_ERROR;
	if (rare < 4)
		g->level = SIM_LEVEL_DEBUG;
	else if (rare < 15)
		g->level = SIM_LEVEL_NOTICE;
	w = sim_rand(&st);
	g->host = hosts[w % (sizeof(hosts) / sizeof(hosts[0]))];
	w >>= 8;
	if (strcmp(g->ci->res, "SM") == 0)
		g->path = sms_paths[w % (sizeof(sms_paths) / sizeof(sms_paths[0]))];
	else
		g->path = voice_paths[w % (sizeof(voice_paths) / sizeof(voice_paths[0]))];
	w >>= 8;
	g->post = g->ci->kind == K_API || (w % 10) < 8;
	w >>= 8;
	g->api_version = g->ci->kind != K_FUNCTION && (w % 10) != 0;
	w >>= 8;
	g->has_svc = g->ci->svc && (w % 1000) < g->ci->svc_permille;
	w >>= 10;
	g->gen_delta = 1 + (int)(w % 8);
	w >>= 4;
	g->upd_delta = (w % 10) < 7 ? 0 : 1 + (int)((w >> 4) % 3);
	w = sim_rand(&st);
	g->from = (unsigned)(w % 10000);
	g->to = (unsigned)((w >> 16) % 10000);
	w = sim_rand(&st);
	memcpy(g->res, &w, 8);
	w = sim_rand(&st);
	memcpy(g->res + 8, &w, 8);
	w = sim_rand(&st);
	memcpy(g->svc, &w, 8);
	w = sim_rand(&st);
	memcpy(g->svc + 8, &w, 8);
	g->noise = sim_rand(&st);
}

uint8_t sim_level_for(const uint8_t sid[16], const char *error_code)
{
	struct gen g;

	derive(sid, error_code, &g);
	return (uint8_t)g.level;
}

#define ADD(b, lit) buf_add((b), (lit), sizeof(lit) - 1)

static bool given(const struct sim_extra *e, enum sim_field f)
{
	return e && (e->given & (1u << f));
}

/* Writes an explicitly given field as JSON; false when the caller must derive it. */
static bool put_given(struct buf *b, const struct sim_extra *e, enum sim_field f)
{
	if (!given(e, f))
		return false;
	if (e->is_null & (1u << f))
		ADD(b, "null");
	else if (e->is_raw & (1u << f))
		buf_adds(b, e->field[f]);
	else
		buf_json_strz(b, e->field[f]);
	return true;
}

static void put_level_upper(struct buf *b, int level)
{
	static const char *const up[] = {"ERROR", "WARNING", "NOTICE", "DEBUG"};

	buf_adds(b, up[level <= SIM_LEVEL_DEBUG ? level : 0]);
}

/* The request URL without quotes; every piece is URL-safe and JSON-safe. */
static void put_url(struct buf *b, const struct sim_account *a, const struct gen *g)
{
	switch (g->ci->kind) {
	case K_API:
		ADD(b, "https://api.twilio.com/2010-04-01/Accounts/");
		buf_adds(b, a->sid);
		ADD(b, "/Messages.json");
		break;
	case K_FUNCTION:
		ADD(b, "https://hooks-4821.twil.io/handler");
		break;
	case K_CARRIER:
		ADD(b, "https://");
		buf_adds(b, g->host);
		ADD(b, "/messages/status");
		break;
	case K_WEBHOOK:
	case K_DIAL:
		ADD(b, "https://");
		buf_adds(b, g->host);
		buf_adds(b, g->path);
		break;
	}
}

static void put_alert_text(struct buf *b, const struct sim_account *a, const struct gen *g,
                           int level)
{
	struct buf u;

	ADD(b, "\"EmailNotification=false&LogLevel=");
	put_level_upper(b, level);
	ADD(b, "&sourceComponent=");
	buf_adds(b, g->ci->component);
	ADD(b, "&Msg=");
	buf_adds(b, g->ci->msg);
	ADD(b, "&ErrorCode=");
	buf_form_enc(b, g->code);
	if (g->ci->kind == K_WEBHOOK || g->ci->kind == K_FUNCTION) {
		buf_init(&u);
		put_url(&u, a, g);
		ADD(b, "&url=");
		buf_form_enc(b, u.p);
		buf_finish(&u);
		if (g->ci->status)
			buf_printf(b, "&httpResponse=%d", g->ci->status);
	}
	buf_addc(b, '"');
}

static void put_phone(struct buf *b, unsigned last4)
{
	buf_printf(b, "%%2B1415555%04u", last4);
}

static void put_sid(struct buf *b, const char *prefix, const uint8_t *hex16)
{
	buf_addc(b, '"');
	buf_adds(b, prefix);
	buf_hex(b, hex16, 16);
	buf_addc(b, '"');
}

static void put_request_variables(struct buf *b, const struct sim_account *a, const struct gen *g)
{
	buf_addc(b, '"');
	if (g->ci->kind == K_FUNCTION) {
		buf_addc(b, '"');
		return;
	}
	ADD(b, "AccountSid=");
	buf_adds(b, a->sid);
	ADD(b, "&ApiVersion=2010-04-01");
	if (strcmp(g->ci->res, "CA") == 0) {
		ADD(b, "&CallSid=CA");
		buf_hex(b, g->res, 16);
		ADD(b, "&CallStatus=ringing&Called=");
		put_phone(b, g->to);
		ADD(b, "&Caller=");
		put_phone(b, g->from);
		ADD(b, "&Direction=inbound");
	} else if (g->ci->kind == K_CARRIER) {
		ADD(b, "&ErrorCode=");
		buf_form_enc(b, g->code);
		ADD(b, "&MessageSid=SM");
		buf_hex(b, g->res, 16);
		ADD(b, "&MessageStatus=undelivered");
	} else {
		ADD(b, "&Body=Hello+from+the+simulator&MessageSid=SM");
		buf_hex(b, g->res, 16);
		ADD(b, "&NumMedia=0&SmsStatus=received");
	}
	ADD(b, "&From=");
	put_phone(b, g->from);
	ADD(b, "&To=");
	put_phone(b, g->to);
	buf_addc(b, '"');
}

static void put_response_headers(struct buf *b, const struct gen *g, int64_t created)
{
	struct buf d;

	if (!g->ci->status || !g->ci->body || !g->ci->body[0]) {
		ADD(b, "\"\"");
		return;
	}
	buf_init(&d);
	buf_http_date(&d, created);
	ADD(b, "\"Date=");
	buf_form_enc(b, d.p);
	ADD(b, "&Content-Type=");
	buf_adds(b, g->ci->ctype);
	buf_printf(b, "&Content-Length=%zu&Server=nginx\"", strlen(g->ci->body));
	buf_finish(&d);
}

static void put_request_headers(struct buf *b, const struct gen *g)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	uint64_t st = g->noise;

	if (g->ci->kind == K_API) {
		ADD(b, "\"User-Agent=twilio-python%2F7.7.1+%28Linux+x86_64%29+Python%2F3.11"
		       "&Content-Type=application%2Fx-www-form-urlencoded&Accept=application%"
		       "2Fjson\"");
		return;
	}
	if (g->ci->kind == K_FUNCTION) {
		ADD(b, "\"\"");
		return;
	}
	ADD(b, "\"X-Twilio-Signature=");
	for (int i = 0; i < 27; i++)
		buf_addc(b, b64[sim_rand(&st) % (sizeof(b64) - 1)]);
	ADD(b, "%3D&User-Agent=TwilioProxy%2F1.1"
	       "&Content-Type=application%2Fx-www-form-urlencoded&I-Twilio-Idempotency-Token=");
	buf_printf(b, "%016llx", (unsigned long long)sim_rand(&st));
	ADD(b, "&X-Home-Region=us1\"");
}

static void put_date(struct buf *b, int64_t t)
{
	buf_addc(b, '"');
	buf_iso8601(b, t);
	buf_addc(b, '"');
}

void sim_render_alert(struct buf *b, const struct sim_account *a, const struct sim_rec *r,
                      const char *url_prefix, bool full)
{
	const struct sim_extra *e = r->extra != SIM_NO_EXTRA ? &a->extras[r->extra] : NULL;
	const char *code = NULL;
	struct gen g;

	if (given(e, SIM_F_ERROR_CODE) && !(e->is_null & (1u << SIM_F_ERROR_CODE)))
		code = e->field[SIM_F_ERROR_CODE];
	derive(r->sid, code, &g);
	buf_reserve(b, 2048);

	ADD(b, "{\"account_sid\":\"");
	buf_adds(b, a->sid);
	ADD(b, "\",\"alert_text\":");
	if (!put_given(b, e, SIM_F_ALERT_TEXT))
		put_alert_text(b, a, &g, r->level);
	ADD(b, ",\"api_version\":");
	if (!put_given(b, e, SIM_F_API_VERSION)) {
		if (g.api_version)
			ADD(b, "\"2010-04-01\"");
		else
			ADD(b, "\"\"");
	}
	ADD(b, ",\"date_created\":");
	put_date(b, r->created);
	ADD(b, ",\"date_generated\":");
	put_date(b, e && e->has_generated ? e->generated : r->created - g.gen_delta);
	ADD(b, ",\"date_updated\":");
	put_date(b, e && e->has_updated ? e->updated : r->created + g.upd_delta);
	ADD(b, ",\"error_code\":");
	if (!put_given(b, e, SIM_F_ERROR_CODE)) {
		buf_addc(b, '"');
		buf_adds(b, g.code);
		buf_addc(b, '"');
	}
	ADD(b, ",\"log_level\":\"");
	buf_adds(b, sim_level_name(r->level));
	ADD(b, "\",\"more_info\":");
	if (!put_given(b, e, SIM_F_MORE_INFO)) {
		ADD(b, "\"https://www.twilio.com/docs/errors/");
		buf_url_enc(b, g.code);
		buf_addc(b, '"');
	}
	ADD(b, ",\"request_method\":");
	if (!put_given(b, e, SIM_F_REQUEST_METHOD)) {
		if (g.post)
			ADD(b, "\"POST\"");
		else
			ADD(b, "\"GET\"");
	}
	ADD(b, ",\"request_url\":");
	if (!put_given(b, e, SIM_F_REQUEST_URL)) {
		buf_addc(b, '"');
		put_url(b, a, &g);
		buf_addc(b, '"');
	}
	if (full) {
		ADD(b, ",\"request_variables\":");
		if (!put_given(b, e, SIM_F_REQUEST_VARIABLES))
			put_request_variables(b, a, &g);
	}
	ADD(b, ",\"resource_sid\":");
	if (!put_given(b, e, SIM_F_RESOURCE_SID))
		put_sid(b, g.ci->res, g.res);
	if (full) {
		ADD(b, ",\"response_body\":");
		if (!put_given(b, e, SIM_F_RESPONSE_BODY))
			buf_json_strz(b, g.ci->body ? g.ci->body : "");
		ADD(b, ",\"response_headers\":");
		if (!put_given(b, e, SIM_F_RESPONSE_HEADERS))
			put_response_headers(b, &g, r->created);
		ADD(b, ",\"request_headers\":");
		if (!put_given(b, e, SIM_F_REQUEST_HEADERS))
			put_request_headers(b, &g);
	}
	ADD(b, ",\"sid\":\"NO");
	buf_hex(b, r->sid, 16);
	ADD(b, "\",\"url\":\"");
	buf_adds(b, url_prefix);
	ADD(b, "NO");
	buf_hex(b, r->sid, 16);
	ADD(b, "\",\"service_sid\":");
	if (!put_given(b, e, SIM_F_SERVICE_SID)) {
		if (g.has_svc)
			put_sid(b, g.ci->svc, g.svc);
		else
			ADD(b, "null");
	}
	buf_addc(b, '}');
}

void sim_error(struct sim_reply *r, int status, int code, const char *message, const char *detail)
{
	r->status = status;
	r->body.len = 0;
	buf_printf(&r->body, "{\"code\": %d, ", code);
	if (detail) {
		ADD(&r->body, "\"detail\": ");
		buf_json_strz(&r->body, detail);
		ADD(&r->body, ", ");
	}
	ADD(&r->body, "\"message\": ");
	buf_json_strz(&r->body, message);
	buf_printf(&r->body,
	           ", \"more_info\": \"https://www.twilio.com/docs/errors/%d\", \"status\": %d}",
	           code, status);
}

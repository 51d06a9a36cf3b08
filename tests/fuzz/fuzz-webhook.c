// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the Debugger webhook (webhook.c with form.c and
 * sign.c) against a scratch database. Input: a mode byte, then the form
 * body. Mode 0 and 1: the harness signs the body the way Twilio does
 * (over the decoded pairs form_parse finds, for the account's public_url,
 * in mode 1 with the port the official libraries also accept), so the
 * fuzzer reaches the Payload; mode 2: the body's first line is sent as the
 * signature; mode 3: no signature. Checks: the status is one webhook_receive
 * documents, its reason one line; nothing unsigned is ever stored or
 * answered 200; a 403 or 400 stores nothing.
 */
#include <errno.h>

#include "base/form.h"
#include "fuzz.h"
#include "base/sign.h"
#include "web/webhook.h"

#define FUZZ_INPUT_MAX (64 * 1024)
#define ACCT "AC0123456789abcdef0123456789abcdef"
#define SUB "ACfedcba9876543210fedcba9876543210"
#define URL "https://alerts.example.com/twilio/debugger"

static struct config_account accts[] = {
        {.name = (char *)"main",
         .account_sid = (char *)ACCT,
         .webhook = true,
         .public_url = (char *)URL,
         .webhook_token = (char *)"tok"},
        {.name = (char *)"sub",
         .account_sid = (char *)SUB,
         .webhook = true,
         .public_url = (char *)URL "?sub=1",
         .webhook_token = (char *)"subtok"},
};
static struct config cfg = {.accounts = accts, .n_accounts = 2, .interval = 60};
static struct store *db;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/webhook.db", fuzz_dir());
	if (store_open(path, false, &db) < 0)
		abort();
	return 0;
}

/* Twilio's signature of @body for @a (false when the body is no form). */
static bool sign(const struct config_account *a, const char *url, const char *body, size_t len,
                 char sig[SIGN_SHA1_B64_LEN])
{
	struct sign_param p[FORM_FIELDS_MAX];
	struct form f;
	bool ok = form_parse(body, len, &f) == 0;

	for (size_t i = 0; ok && i < f.n; i++)
		p[i] = (struct sign_param){f.fields[i].name, f.fields[i].value};
	ok = ok && sign_twilio_compute(a->webhook_token, url, p, f.n, sig) == 0;
	form_finish(&f);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {"application/x-www-form-urlencoded",
	                                    "application/x-www-form-urlencoded; charset=utf-8"};
	char sig[SIGN_SHA1_B64_LEN] = "", line[128];
	const char *body = (const char *)data + 1, *signature = sig;
	size_t len = size - 1;
	struct webhook_result res;
	bool genuine = false;
	int mode;

	if (size < 1 || size > FUZZ_INPUT_MAX)
		return 0;
	mode = data[0] % 4;
	if (mode < 2) {
		/* Signed for whichever account the form names (the main one by default). */
		const struct config_account *a =
		        memmem(body, len, SUB, strlen(SUB)) ? &accts[1] : &accts[0];

		genuine = sign(
		        a, mode ? "https://alerts.example.com:443/twilio/debugger" : a->public_url,
		        body, len, sig);
	} else if (mode == 2) {
		const char *nl = memchr(body, '\n', len);

		snprintf(line, sizeof(line), "%.*s", (int)(nl ? (size_t)(nl - body) : len), body);
		signature = line;
		genuine = false;
	} else {
		signature = NULL;
	}
	webhook_receive(&cfg, db, types[data[0] / 4 % 2], signature, body, len, 1700000000, &res);
	FUZZ_CHECK(res.status == 200 || res.status == 400 || res.status == 403 || res.status == 503,
	           "status %d", res.status);
	FUZZ_CHECK(res.reason[0] && !strpbrk(res.reason, "\r\n"), "reason \"%s\"", res.reason);
	FUZZ_CHECK(res.status != 503, "the store failed: %s", res.reason);
	if (!genuine)
		FUZZ_CHECK(res.status != 200 && !res.stored, "unsigned push answered %d: %s",
		           res.status, res.reason);
	if (res.status != 200)
		FUZZ_CHECK(!res.stored, "stored with %d", res.status);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * The HTML pages of the HTTP server: the status page (its latest-alerts
 * filters and cursor read from the query string) and one alert's page
 * (or its JSON), rendered by page.c from what the store and summary.c say.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-read.h"
#include "web/http-page.h"
#include "web/http-private.h"
#include "web/page.h"
#include "web/summary.h"

/* --- pages ------------------------------------------------------------------ */

int collect_firing(const struct store_http_firing *f, void *arg)
{
	struct page_status *p = arg;
	struct page_firing *pf = (struct page_firing *)&p->firing[p->n_firing++];

	snprintf(pf->trigger, sizeof(pf->trigger), "%s", f->trigger ? f->trigger : "");
	snprintf(pf->group, sizeof(pf->group), "%s", f->group ? f->group : "");
	snprintf(pf->since, sizeof(pf->since), "%s", f->since ? f->since : "");
	pf->count = f->count;
	return p->n_firing == PAGE_FIRING_MAX;
}

/* Room for the normalised dates and the cursor's SID of the page's filters. */
struct page_filter_buf {
	char since[UTIL_TIME_LEN], until[UTIL_TIME_LEN], after[UTIL_TIME_LEN];
	char sid[PAGE_SID_MAX];
};

/*
 * A date of the page's filters into @out: what util_parse_time takes, and
 * "YYYY-MM-DD HH:MM" / "YYYY-MM-DDTHH:MM" (a datetime-local field), all UTC.
 */
static bool page_date(const char *v, char out[UTIL_TIME_LEN])
{
	char buf[UTIL_TIME_LEN + 8];
	int64_t t;

	if (strlen(v) == 16 && v[13] == ':') {
		snprintf(buf, sizeof(buf), "%s:00", v);
		v = buf;
	}
	if (util_parse_time(v, &t) < 0)
		return false;
	util_format_time(t, out);
	return true;
}

/*
 * The latest-alerts filters and cursor of the page's query string into @f.
 * Returns NULL, or why one is refused (then the page lists nothing and
 * answers 400): a filter that is not applied must not look applied.
 */
static const char *page_filters(struct MHD_Connection *c, const struct config *cfg,
                                struct page_status *p, struct store_http_filter *f,
                                struct page_filter_buf *b)
{
	const struct config_account *a;
	const char *cur;

	p->f_code = arg(c, "error_code");
	p->f_level = arg(c, "log_level");
	p->f_account = arg(c, "account");
	p->f_resource = arg(c, "resource_sid");
	p->f_since = arg(c, "since");
	p->f_until = arg(c, "until");
	p->f_cursor = cur = arg(c, "cursor");
	p->limit = f->limit = HTTP_LATEST_ROWS;
	if (p->f_code && !parse_small(p->f_code, &f->error_code))
		return "error code must be a whole number such as 11200";
	f->has_error_code = p->f_code != NULL;
	if (p->f_level && !valid_level(p->f_level))
		return "level must be error, warning, notice or debug";
	f->log_level = p->f_level;
	a = config_find_account(cfg, p->f_account);
	if (p->f_account && !a &&
	    (strncmp(p->f_account, "AC", 2) != 0 || strlen(p->f_account) != 34 ||
	     !valid_sid(p->f_account)))
		return "account is neither an [account] name nor an account SID (AC...)";
	f->account_sid = a ? a->account_sid : p->f_account;
	if (p->f_resource && !valid_sid(p->f_resource))
		return "resource SID must be letters and digits, such as CA0123...";
	f->resource_sid = p->f_resource;
	if (p->f_since && !page_date(p->f_since, b->since))
		return "from is not a date (YYYY-MM-DD, YYYY-MM-DD HH:MM or YYYY-MM-DDTHH:MM:SSZ)";
	f->since = p->f_since ? b->since : NULL;
	if (p->f_until && !page_date(p->f_until, b->until))
		return "until is not a date (YYYY-MM-DD, YYYY-MM-DD HH:MM or YYYY-MM-DDTHH:MM:SSZ)";
	f->until = p->f_until ? b->until : NULL;
	if (f->since && f->until && strcmp(f->since, f->until) >= 0)
		return "from must be before until";
	/* The cursor is the last row's "DATE_SID", as in /api/alerts. */
	if (cur &&
	    (strlen(cur) < UTIL_TIME_LEN + 2 || cur[UTIL_TIME_LEN - 1] != '_' ||
	     !valid_sid(cur + UTIL_TIME_LEN) ||
	     (snprintf(b->after, sizeof(b->after), "%.20s", cur), !param_date(b->after, b->after))))
		return "cursor is not one this page gave (follow the \"older\" link)";
	if (cur) {
		snprintf(b->sid, sizeof(b->sid), "%s", cur + UTIL_TIME_LEN);
		f->after_date = b->after;
		f->after_sid = b->sid;
	}
	return NULL;
}

void status_page(struct http_server *srv, const struct config *cfg, struct store *s,
                 struct MHD_Connection *c, struct reply *rp)
{
	struct page_firing firing[PAGE_FIRING_MAX];
	struct store_http_sync sync[SYNC_MAX];
	struct store_http_filter f = {0};
	struct store_http_triggers tr;
	struct summary_view *v = malloc(sizeof(*v));
	struct page_status p = {
	        .cfg = cfg, .now = util_now(), .sync = sync, .tr = &tr, .firing = firing};
	struct page_rows rows = {.sb = &rp->body, .cfg = cfg};
	struct page_filter_buf fb;
	char problem[600];
	int r = -ENOMEM;

	if (!v)
		goto out;
	p.f_error = page_filters(c, cfg, &p, &f, &fb);
	health(srv, cfg, p.now, problem, sizeof(problem));
	p.problem = problem[0] ? problem : NULL;
	r = store_http_sync_list(s, sync, SYNC_MAX, &p.n_sync);
	if (r == 0)
		r = summary_view(srv->sm, s, p.now, 5000, v);
	/* Before the first count is done the page shows the rest and says so. */
	if (r == 0)
		p.v = v;
	if (r == 0 || r == -EAGAIN)
		r = store_http_triggers(s, &tr);
	if (r == 0 && tr.available)
		r = store_http_firing_list(s, PAGE_FIRING_MAX, collect_firing, &p);
	if (r == 0)
		r = page_status_head(&rp->body, &p);
	if (r == 0 && !p.f_error)
		r = store_http_alerts(s, &f, page_alert_row, &rows);
	if (r == 0)
		r = page_status_tail(&rp->body, &p, &rows);
out:
	free(v);
	if (r < 0) {
		html_error(rp, 503, r == -EMSGSIZE ? "the page is too large" : store_errmsg(s));
		return;
	}
	rp->status = p.f_error ? 400 : 200;
	rp->type = "text/html; charset=utf-8";
}

struct alert_ctx {
	struct reply *rp;
	const struct config *cfg;
	bool json;
};

json_t *alert_json(const struct store_http_alert *row, int ncols)
{
	json_t *o = json_object();

	for (int i = 0; o && i < ncols; i++) {
		const char *v = row->col[i];
		json_t *j;

		if (v && (i == SH_ERROR_CODE || i == SH_HTTP_RESPONSE))
			j = json_integer(strtoll(v, NULL, 10));
		else
			j = json_str(v);
		json_object_set_new(o, store_http_col_names[i], j);
	}
	return o;
}

static int one_alert(const struct store_http_alert *row, void *arg)
{
	struct alert_ctx *x = arg;

	if (x->json) {
		json_reply(x->rp, 200, alert_json(row, SH_COLS));
		return 0;
	}
	x->rp->status = 200;
	x->rp->type = "text/html; charset=utf-8";
	return page_alert(&x->rp->body, row, x->cfg, util_now());
}

void alert_one(const struct config *cfg, struct store *s, const char *sid, bool json,
               struct reply *rp)
{
	struct alert_ctx x = {.rp = rp, .cfg = cfg, .json = json};
	int r = valid_sid(sid) ? store_http_alert_get(s, sid, one_alert, &x) : -ENOENT;

	if (r == -ENOENT && json)
		json_error(rp, 404, "no such alert");
	else if (r == -ENOENT)
		html_error(rp, 404, "No alert with this SID is stored.");
	else if (r < 0 && json)
		json_error(rp, 503, store_errmsg(s));
	else if (r < 0)
		html_error(rp, 503, store_errmsg(s));
}

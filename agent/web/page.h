/* SPDX-License-Identifier: MIT */
/*
 * The HTML pages, for the server (web/http.c): the status page
 * (page-status.h), one alert's page (page-alert.h), the error page and the
 * shared helpers (html.h). Server-rendered, no script and no external asset;
 * every text that comes from Twilio, the database or a request is
 * HTML-escaped. This header declares nothing itself: once the server is
 * split, its files can include the page headers they use instead.
 */
#ifndef ALERTD_PAGE_H
#define ALERTD_PAGE_H

#include "web/html.h"
#include "web/page-alert.h"
#include "web/page-status.h"

#endif

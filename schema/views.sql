-- SPDX-License-Identifier: MIT
-- Views for common questions, dropped and recreated each time the agent opens the
-- database read-write, so they always match the binary. Time windows compare
-- date_created with strftime('%Y-%m-%dT%H:%M:%SZ', ...): the stored text format,
-- so the comparison is a plain text comparison that uses the date_created index.

-- Alerts per error code over the last hour and the last day, most frequent first.
DROP VIEW IF EXISTS alerts_by_code_1h;
CREATE VIEW alerts_by_code_1h AS
SELECT error_code, count(*) AS alerts, max(date_created) AS last_seen
FROM alerts
WHERE date_created >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-1 hour')
GROUP BY error_code
ORDER BY alerts DESC, error_code;

DROP VIEW IF EXISTS alerts_by_code_24h;
CREATE VIEW alerts_by_code_24h AS
SELECT error_code, count(*) AS alerts, max(date_created) AS last_seen
FROM alerts
WHERE date_created >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-1 day')
GROUP BY error_code
ORDER BY alerts DESC, error_code;

-- Where an alert comes from. request_url names either a URL of yours that Twilio
-- requested (a webhook: voice or messaging URL, status callback, Function) or the
-- Twilio REST API URL that your own code called. A host of Twilio's REST API is
-- twilio.com or a name under it (api.twilio.com, api.dublin.ie1.twilio.com,
-- messaging.twilio.com ...); twil.io (Functions) is your code, so a webhook.
--
-- A REST API error: request_host is a Twilio API host (e.g. 21610 on a POST to
-- .../Messages.json). A webhook failure: request_host is one of yours, and either
-- your URL answered with a status outside 200-299 (http_response, from the alert's
-- httpResponse) or the error code is in Twilio's HTTP (11xxx: retrieval failure,
-- connection failure, timeout, TLS...) or TwiML-document (12xxx: parse failure,
-- invalid Content-Type ...) ranges, which are about the request itself even when
-- the status was 200 (a 200 with unparsable TwiML is still a failure of your URL).
-- Other alerts that name one of your URLs (a carrier's 30003 on a message whose
-- status callback is that URL, a <Dial> 13227) are neither: your URL worked.
-- The HTTP server's page uses the same rule (agent/store/store-read.c).

-- Every webhook failure and every REST API error, any age (no ORDER BY, so that
-- SQLite can fold the views into a query and use the date_created index: add
-- ORDER BY date_created DESC yourself).
DROP VIEW IF EXISTS webhook_failures;
CREATE VIEW webhook_failures AS
SELECT sid, date_created, account_sid, error_code, log_level, msg, request_method,
	request_url, request_host, http_response
FROM alerts
WHERE request_host IS NOT NULL AND request_host != ''
	AND request_host != 'twilio.com' AND request_host NOT LIKE '%.twilio.com'
	AND ((http_response IS NOT NULL AND http_response NOT BETWEEN 200 AND 299)
		OR error_code BETWEEN 11000 AND 12999);

DROP VIEW IF EXISTS rest_api_errors;
CREATE VIEW rest_api_errors AS
SELECT sid, date_created, account_sid, error_code, log_level, msg, request_method,
	request_url, request_host
FROM alerts
WHERE request_host = 'twilio.com' OR request_host LIKE '%.twilio.com';

-- Your URLs that Twilio had trouble with over the last day, one row per URL (a
-- host with several failing URLs has several rows: sum them per request_host).
-- last_http_response and last_error_code are those of the newest failure (SQLite
-- takes bare columns from the row that gave max()).
DROP VIEW IF EXISTS failing_webhooks;
CREATE VIEW failing_webhooks AS
SELECT request_url, request_host, count(*) AS alerts, max(date_created) AS last_seen,
	http_response AS last_http_response, error_code AS last_error_code,
	msg AS last_msg, group_concat(DISTINCT error_code) AS error_codes
FROM webhook_failures
WHERE date_created >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-1 day')
GROUP BY request_url
ORDER BY alerts DESC, request_url;

-- Your REST API calls that Twilio refused over the last day, one row per error
-- code, method and API URL; last_msg is that of the newest.
DROP VIEW IF EXISTS failing_api_calls;
CREATE VIEW failing_api_calls AS
SELECT error_code, request_method, request_url, count(*) AS alerts,
	max(date_created) AS last_seen, msg AS last_msg
FROM rest_api_errors
WHERE date_created >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-1 day')
GROUP BY error_code, request_method, request_url
ORDER BY alerts DESC, error_code, request_url;

-- The newest 100 alerts with the columns worth reading in a terminal.
DROP VIEW IF EXISTS latest_alerts;
CREATE VIEW latest_alerts AS
SELECT sid, date_created, account_sid, error_code, log_level, msg, request_method,
	request_url, http_response, more_info, first_seen, source
FROM alerts
ORDER BY date_created DESC, sid
LIMIT 100;

-- Poll health per configured account: state is 'never' (not polled yet), 'failing'
-- (the last poll failed) or 'ok'; alerts = rows stored for its account_sid.
DROP VIEW IF EXISTS sync_status;
CREATE VIEW sync_status AS
SELECT account, account_sid,
	CASE
		WHEN last_attempt IS NULL THEN 'never'
		WHEN last_error_time IS NOT NULL
			AND (last_success IS NULL OR last_error_time > last_success) THEN 'failing'
		ELSE 'ok'
	END AS state,
	watermark, last_success, last_attempt, last_error, last_error_time,
	(SELECT count(*) FROM alerts AS a WHERE a.account_sid = s.account_sid) AS alerts
FROM sync_state AS s
ORDER BY account;

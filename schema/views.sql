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

-- Your URLs that Twilio had trouble with over the last day: every alert that names a
-- request_url is about a request Twilio made to it. http_response is the one of the
-- newest alert (SQLite takes bare columns from the row that gave max()).
DROP VIEW IF EXISTS failing_webhooks;
CREATE VIEW failing_webhooks AS
SELECT request_host, request_url, count(*) AS alerts, max(date_created) AS last_seen,
	http_response AS last_http_response, group_concat(DISTINCT error_code) AS error_codes
FROM alerts
WHERE date_created >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-1 day')
	AND request_url IS NOT NULL
GROUP BY request_url
ORDER BY alerts DESC, request_url;

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

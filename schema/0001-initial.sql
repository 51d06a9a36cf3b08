-- SPDX-License-Identifier: MIT
-- Migration 1: the alerts, per-account sync state and the poll-run log.
-- Applied by the agent in one transaction together with PRAGMA user_version = 1.
-- The agent sets PRAGMA auto_vacuum = INCREMENTAL on the empty file before this
-- runs (it only takes effect before the first table exists); do the same when
-- building a database by hand. Dates are UTC text 'YYYY-MM-DDTHH:MM:SSZ'.

-- One row per Monitor Alert, columns named as the API's fields, then the agent's own.
CREATE TABLE alerts (
	sid               TEXT PRIMARY KEY NOT NULL,
	account_sid       TEXT,
	error_code        INTEGER,
	log_level         TEXT,
	alert_text        TEXT,
	more_info         TEXT,
	request_method    TEXT,
	request_url       TEXT,
	resource_sid      TEXT,
	service_sid       TEXT,
	api_version       TEXT,
	url               TEXT,
	date_created      TEXT NOT NULL,
	date_generated    TEXT,
	date_updated      TEXT,
	request_variables TEXT,		-- the four details: NULL until fetched
	response_body     TEXT,
	response_headers  TEXT,
	request_headers   TEXT,
	first_seen        TEXT NOT NULL,	-- when the agent first stored the alert
	msg               TEXT,		-- Msg (or parserMessage) from alert_text
	http_response     INTEGER,	-- httpResponse from alert_text, when numeric
	request_host      TEXT,		-- host of request_url, lower case
	source            TEXT NOT NULL CHECK (source IN ('poll', 'push'))
);

-- Retention (date_created < cutoff) and every time window (views, triggers).
CREATE INDEX alerts_date_created ON alerts (date_created);
-- Per-account counts and windows. Rows arrive in rowid order per account, so this
-- index grows at its end and costs little on insert.
CREATE INDEX alerts_account_sid ON alerts (account_sid);

-- Sync state of each [account NAME] section of the configuration.
CREATE TABLE sync_state (
	account         TEXT PRIMARY KEY NOT NULL,	-- the config section name
	account_sid     TEXT,
	watermark       TEXT,	-- newest date_created of the last complete query; NULL = none
	last_success    TEXT,	-- end of the last successful poll; NULL = never
	last_attempt    TEXT,	-- end of the last poll, successful or not
	last_error      TEXT,	-- one-line reason of the last failed poll (kept after success)
	last_error_time TEXT	-- when that failure ended
);

-- One row per poll of one account.
CREATE TABLE poll_runs (
	id          INTEGER PRIMARY KEY,
	account     TEXT NOT NULL,
	started     TEXT NOT NULL,
	finished    TEXT,
	pages       INTEGER NOT NULL DEFAULT 0,
	requests    INTEGER NOT NULL DEFAULT 0,
	inserted    INTEGER NOT NULL DEFAULT 0,
	updated     INTEGER NOT NULL DEFAULT 0,
	http_errors INTEGER NOT NULL DEFAULT 0,
	outcome     TEXT NOT NULL,	-- ok | auth | unavailable | error | interrupted
	error       TEXT
);

CREATE INDEX poll_runs_account ON poll_runs (account, started);

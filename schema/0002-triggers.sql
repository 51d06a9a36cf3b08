-- SPDX-License-Identifier: MIT
-- Migration 2: local triggers (their matching alerts, their state per group) and the
-- notification outbox. Applied in one transaction with PRAGMA user_version = 2.
-- Dates are UTC text 'YYYY-MM-DDTHH:MM:SSZ' like everywhere else.

-- One row per configured trigger whose matches are kept in trigger_hits. The
-- fingerprint covers everything that decides which alerts match and in which group;
-- when it changes (the configuration was edited), the agent rebuilds that trigger's
-- hits from the alerts table.
CREATE TABLE trigger_defs (
	trigger_name TEXT PRIMARY KEY NOT NULL,	-- the [trigger NAME] section name
	fingerprint  TEXT NOT NULL,		-- SHA-256 hex of the matchers, group_by and window
	built        TEXT NOT NULL		-- when its hits were last rebuilt from alerts
);

-- The alerts every trigger matches, kept only inside the trigger's window, so that a
-- cycle counts them with one short index range instead of reading the alerts.
CREATE TABLE trigger_hits (
	trigger_name TEXT NOT NULL,
	date_created TEXT NOT NULL,	-- the alert's date_created
	group_value  TEXT NOT NULL,	-- the group (see schema/README.md); '' without group_by
	sid          TEXT NOT NULL,	-- the alert's sid
	PRIMARY KEY (trigger_name, date_created, group_value, sid)
) WITHOUT ROWID;

-- The number of hits per trigger and group, kept up to date as hits enter and leave
-- the window, so an evaluation reads one short row per group. A group with no hit
-- left has no row.
CREATE TABLE trigger_counts (
	trigger_name TEXT NOT NULL,
	group_value  TEXT NOT NULL,
	count        INTEGER NOT NULL,	-- rows of trigger_hits for this trigger and group
	PRIMARY KEY (trigger_name, group_value)
) WITHOUT ROWID;

-- How far the triggers have looked: alerts get increasing rowids as they are stored,
-- so each evaluation matches only the rows after last_rowid. Nothing is added to the
-- alerts table's insert path. If the row at last_rowid is gone or is another alert
-- (rowids reused after deletes, or renumbered by VACUUM), every trigger is rebuilt.
CREATE TABLE trigger_cursor (
	id        INTEGER PRIMARY KEY CHECK (id = 1),
	last_rowid INTEGER NOT NULL,	-- the alerts rowid matched last; 0 = none
	last_sid   TEXT			-- the sid of that row
);
INSERT INTO trigger_cursor (id, last_rowid, last_sid) VALUES (1, 0, NULL);

-- Alerts stored from a Debugger webhook push that no poll has completed yet (their
-- alert_text is still the push's Payload JSON). They were matched as they are; once a
-- poll fills in the API's fields, they are matched again and leave this table.
CREATE TABLE trigger_recheck (
	sid          TEXT PRIMARY KEY NOT NULL,
	date_created TEXT NOT NULL	-- as matched: its hits are found by it
) WITHOUT ROWID;

-- The state of each trigger per group. A row appears when a group first reaches the
-- threshold and stays (state 'ok' again after it resolves) so that the last firing
-- can be shown; 'ok' rows untouched for longer than the retention are deleted.
CREATE TABLE trigger_state (
	trigger_name  TEXT NOT NULL,
	group_value   TEXT NOT NULL,
	state         TEXT NOT NULL CHECK (state IN ('ok', 'pending', 'firing')),
	since         TEXT NOT NULL,	-- when it entered this state
	started       TEXT,		-- start of the current (or last) firing; NULL = never fired
	last_notified TEXT,		-- last fired or repeat notification of this firing
	repeats       INTEGER NOT NULL DEFAULT 0,	-- repeat notifications of this firing
	last_resolved TEXT,		-- end of the last firing
	count         INTEGER NOT NULL,	-- matching alerts in the window at the last evaluation
	updated       TEXT NOT NULL,	-- the last evaluation that looked at this group
	PRIMARY KEY (trigger_name, group_value)
) WITHOUT ROWID;

-- Notifications waiting for delivery or delivered: one row per notification and
-- channel, written in the same transaction as the state change that caused it.
CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY,	-- delivery order within a channel
	idempotency_key TEXT NOT NULL,		-- trigger/group/started/kind (see README)
	channel         TEXT NOT NULL,		-- the [notify NAME] section name
	trigger_name    TEXT NOT NULL,
	group_value     TEXT NOT NULL,
	kind            TEXT NOT NULL CHECK (kind IN ('fired', 'repeat', 'resolved')),
	created         TEXT NOT NULL,
	payload         TEXT NOT NULL,		-- the notification JSON, exactly as delivered
	attempts        INTEGER NOT NULL DEFAULT 0,	-- failed attempts so far
	next_attempt    TEXT NOT NULL,		-- not retried before this time
	last_attempt    TEXT,
	last_error      TEXT,			-- one line: why the last attempt failed
	delivered       TEXT,			-- NULL until delivered
	UNIQUE (idempotency_key, channel)
);
CREATE INDEX outbox_pending ON outbox (channel, id) WHERE delivered IS NULL;

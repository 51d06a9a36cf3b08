-- SPDX-License-Identifier: MIT
-- Why a trigger was not evaluated: its `where` ran past the step budget or the
-- memory limit. Cleared when the trigger's hits are rebuilt successfully.
ALTER TABLE trigger_defs ADD COLUMN last_error TEXT;		-- one line, NULL = none
ALTER TABLE trigger_defs ADD COLUMN last_error_time TEXT;	-- when it happened

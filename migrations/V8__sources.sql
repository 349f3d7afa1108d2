-- Version 8: sources. Every sample keeps its source (`device`, a label: a Takeout data
-- source, or what the API says of the point; see src/sources.rs), several sources may
-- hold samples at the same instant, and the hourly max counts the sources the account's
-- policy counts.

-- A sample of a second (third, ...) source at an instant `sample` holds for another one.
CREATE TABLE sample_more (
    key            INTEGER NOT NULL,      -- as sample.key
    device_id      INTEGER NOT NULL REFERENCES device (id),
    bpm            INTEGER NOT NULL,
    utc_offset_min INTEGER,
    PRIMARY KEY (key, device_id)
) WITHOUT ROWID;

-- The sources each account's samples came from, and whether its hourly max counts them
-- (the default rule, or the user's choice in source_choice).
CREATE TABLE account_source (
    account_id INTEGER NOT NULL REFERENCES account (id),
    device_id  INTEGER NOT NULL REFERENCES device (id),
    counted    INTEGER NOT NULL,
    PRIMARY KEY (account_id, device_id)
) WITHOUT ROWID;

-- The user's choices, by label; shared with the remote (the later choice wins).
CREATE TABLE source_choice (
    account_id INTEGER NOT NULL REFERENCES account (id),
    source     TEXT    NOT NULL,
    counted    INTEGER NOT NULL,
    changed_at TEXT    NOT NULL,          -- RFC 3339
    PRIMARY KEY (account_id, source)
) WITHOUT ROWID;

-- The version of the policy (src/sources.rs, Policy::version) each hour was computed under,
-- or that the remote's copy said for an hour merged from it; NULL when unknown (hours of
-- version 7 and before, recomputed when the store is next opened for writing).
ALTER TABLE hour_max ADD COLUMN policy INTEGER;

-- The policy version under which the account's hours were last recomputed; NULL: never.
ALTER TABLE account ADD COLUMN policy INTEGER;

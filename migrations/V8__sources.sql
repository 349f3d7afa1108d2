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

-- Every sample of every source, with whether the account's hourly max counts it.
DROP VIEW samples;
CREATE VIEW samples AS
SELECT a.name                                                  AS account,
       s.key - a.id * 34359738368                              AS ts_utc,
       strftime('%Y-%m-%dT%H:%M:%SZ', s.key - a.id * 34359738368, 'unixepoch') AS time_utc,
       s.bpm                                                   AS bpm,
       s.utc_offset_min * 60                                   AS utc_offset_s,
       d.name                                                  AS device,
       coalesce(src.counted, 1)                                AS counted
FROM (SELECT key, bpm, utc_offset_min, device_id FROM sample
      UNION ALL
      SELECT key, bpm, utc_offset_min, device_id FROM sample_more) s
JOIN account a ON a.id = s.key / 34359738368
LEFT JOIN device d ON d.id = s.device_id
LEFT JOIN account_source src ON src.account_id = a.id AND src.device_id = s.device_id;

-- Version 10: where the local time of hours whose samples state no offset comes from.

-- The source of each offset span: 'day_files' (the bounds of Takeout's per-local-day
-- files) or 'zone' (the user's time zone, account_zone.zone). NULL for spans written before
-- this version (day files, or the zone of an import); the next import or sync writes it.
ALTER TABLE offset_span ADD COLUMN source TEXT;

-- The time zone the account's offsets were last computed with, and where it came from:
-- 'given' (import --timezone), 'export' (the export's UserDemographicData.csv), 'config'
-- (the account's or the file's `timezone`), 'this_machine'.
CREATE TABLE account_zone (
    account_id INTEGER PRIMARY KEY REFERENCES account (id),
    zone       TEXT NOT NULL,
    source     TEXT NOT NULL
);

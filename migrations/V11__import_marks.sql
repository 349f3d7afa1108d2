-- Version 11: what each import brought, and removals (src/removals.rs). Imports made
-- before this version kept no marks and cannot be removed; their samples stay as they are.

-- The import's id, the same on every machine once it is removed (16 hex digits); NULL
-- for imports before this version.
ALTER TABLE import_run ADD COLUMN uid TEXT;
-- When the import was removed (or moved), and the account it was moved to.
ALTER TABLE import_run ADD COLUMN removed_at TEXT;
ALTER TABLE import_run ADD COLUMN moved_to TEXT;

-- The readings an import wrote first: for each UTC day (day number) and source label
-- ('' for readings that name none), the seconds of the day, as removals::Seconds writes
-- them. Written in the transaction that writes the samples, so an import cut short still
-- has marks for what it stored (under its uid, before its import_run row exists).
CREATE TABLE import_mark (
    uid        TEXT    NOT NULL,
    account_id INTEGER NOT NULL REFERENCES account (id),
    day        INTEGER NOT NULL,
    source     TEXT    NOT NULL,
    seconds    TEXT    NOT NULL,
    PRIMARY KEY (uid, day, source)
) WITHOUT ROWID;

-- Removals applied to this store (made here or merged from the remote's removals.csv), and
-- their marks: the account's readings they name are deleted, and stay out of every part
-- read from the lake.
CREATE TABLE removal (
    account_id INTEGER NOT NULL REFERENCES account (id),
    uid        TEXT    NOT NULL,
    removed_at TEXT    NOT NULL,
    PRIMARY KEY (account_id, uid)
) WITHOUT ROWID;

CREATE TABLE removal_mark (
    account_id INTEGER NOT NULL,
    uid        TEXT    NOT NULL,
    day        INTEGER NOT NULL,
    source     TEXT    NOT NULL,
    seconds    TEXT    NOT NULL,
    PRIMARY KEY (account_id, day, uid, source),
    FOREIGN KEY (account_id, uid) REFERENCES removal (account_id, uid)
) WITHOUT ROWID;

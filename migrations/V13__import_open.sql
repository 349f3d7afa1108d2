-- Version 13: imports under way. An import writes its row here when it starts and removes
-- it when it finishes, with its import_run row, so an import cut short (a crash, a laptop
-- closed mid-import, Ctrl-C) is known: what it stored is kept (its marks are under its
-- uid), `status` and `imports` say so, and the next import of the same inputs takes its
-- marks over. Imports cut short before this version are not known.
CREATE TABLE import_open (
    uid        TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES account (id),
    started_at TEXT    NOT NULL,
    inputs     TEXT    NOT NULL    -- the paths given, absolute, sorted, one per line
) WITHOUT ROWID;

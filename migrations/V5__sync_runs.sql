-- Version 5: finished syncs, for `fitpipe doctor` and `service status`.
CREATE TABLE sync_run (
    id          INTEGER PRIMARY KEY,
    finished_at TEXT NOT NULL,           -- RFC 3339 UTC
    pulled      INTEGER NOT NULL,        -- new samples pulled
    pushed      INTEGER NOT NULL         -- 1 when a remote was synced
);

-- Sync state, version 2.
--
-- lake_dirty: UTC days (epoch day numbers) of an account whose local samples may not all be
-- in the remote lake yet. Every local write marks its days; a sync clears a day once the
-- remote holds all of its samples.
CREATE TABLE lake_dirty (
    account_id INTEGER NOT NULL REFERENCES account (id),
    day        INTEGER NOT NULL,
    PRIMARY KEY (account_id, day)
) WITHOUT ROWID;

-- lake_part: remote part objects whose samples are merged into the local store already.
CREATE TABLE lake_part (
    account_id INTEGER NOT NULL REFERENCES account (id),
    name       TEXT NOT NULL,             -- the object name below the account's prefix
    PRIMARY KEY (account_id, name)
) WITHOUT ROWID;

-- Samples stored before this version have never been uploaded.
INSERT OR IGNORE INTO lake_dirty (account_id, day)
SELECT key / 34359738368, (key % 34359738368) / 86400 FROM sample GROUP BY 1, 2;

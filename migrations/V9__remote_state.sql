-- Version 9: what this store knows of each remote's objects, so an hourly sync asks the
-- remote only what changed.

-- A counter bumped by every change of hour_max, and the last value per account and UTC
-- year: a remote object written (or read and merged) at counter N holds every local hour
-- of its scope as of N.
CREATE TABLE master_seq (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO master_seq (id, seq) VALUES (1, 0);

CREATE TABLE master_change (
    account_id INTEGER NOT NULL,
    year       INTEGER NOT NULL,          -- UTC year of the hours
    seq        INTEGER NOT NULL,
    PRIMARY KEY (account_id, year)
) WITHOUT ROWID;

-- The hours already here changed before any remote object was remembered.
INSERT INTO master_change (account_id, year, seq)
SELECT account_id, CAST(strftime('%Y', hour, 'unixepoch') AS INTEGER), 1
  FROM hour_max GROUP BY 1, 2;
UPDATE master_seq SET seq = 1 WHERE EXISTS (SELECT 1 FROM hour_max);

CREATE TRIGGER hour_max_inserted AFTER INSERT ON hour_max BEGIN
    UPDATE master_seq SET seq = seq + 1 WHERE id = 1;
    INSERT INTO master_change (account_id, year, seq)
    VALUES (NEW.account_id, CAST(strftime('%Y', NEW.hour, 'unixepoch') AS INTEGER),
            (SELECT seq FROM master_seq WHERE id = 1))
    ON CONFLICT (account_id, year) DO UPDATE SET seq = excluded.seq;
END;

CREATE TRIGGER hour_max_updated AFTER UPDATE ON hour_max BEGIN
    UPDATE master_seq SET seq = seq + 1 WHERE id = 1;
    INSERT INTO master_change (account_id, year, seq)
    VALUES (NEW.account_id, CAST(strftime('%Y', NEW.hour, 'unixepoch') AS INTEGER),
            (SELECT seq FROM master_seq WHERE id = 1))
    ON CONFLICT (account_id, year) DO UPDATE SET seq = excluded.seq;
END;

CREATE TRIGGER hour_max_deleted AFTER DELETE ON hour_max BEGIN
    UPDATE master_seq SET seq = seq + 1 WHERE id = 1;
    INSERT INTO master_change (account_id, year, seq)
    VALUES (OLD.account_id, CAST(strftime('%Y', OLD.hour, 'unixepoch') AS INTEGER),
            (SELECT seq FROM master_seq WHERE id = 1))
    ON CONFLICT (account_id, year) DO UPDATE SET seq = excluded.seq;
END;

-- Per remote (its URL) and object (its name below the remote's prefix): the version this
-- store last wrote or read and merged, the year's master_change.seq at that moment, and
-- how many hours it holds. Forgotten after any
-- doubt; the remote is the truth.
CREATE TABLE remote_object (
    remote  TEXT    NOT NULL,
    name    TEXT    NOT NULL,
    e_tag   TEXT,
    version TEXT,
    seq     INTEGER NOT NULL,
    hours   INTEGER NOT NULL,             -- hours the object holds (master objects)
    PRIMARY KEY (remote, name)
) WITHOUT ROWID;

-- When this store last listed every part of a remote (UTC epoch seconds): between two such
-- listings an hourly sync lists only the days where new parts are expected.
CREATE TABLE remote_listing (
    remote    TEXT    NOT NULL PRIMARY KEY,
    listed_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The remote this store last synced its lake with. The days a sync marks clean are clean
-- for that remote only: a sync with another one first marks every day dirty, so that each
-- remote is checked for every sample once after a switch.
CREATE TABLE lake_remote (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    remote TEXT    NOT NULL
);

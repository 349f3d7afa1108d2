-- Version 7: what the API's hourly roll-up said of each recent hour when the pull last read
-- that hour's chunk. Each sync asks for the roll-up of the late window (a week by default)
-- in one request and reads again only the chunks whose hours it shows changed: samples a
-- watch uploads days late.
CREATE TABLE pull_hour (
    account_id INTEGER NOT NULL REFERENCES account (id),
    hour       INTEGER NOT NULL,    -- UTC epoch seconds of the hour start
    max_bpm    REAL    NOT NULL,    -- the roll-up's figures, compared exactly
    min_bpm    REAL    NOT NULL,
    avg_bpm    REAL    NOT NULL,
    PRIMARY KEY (account_id, hour)
) WITHOUT ROWID;

-- The earliest instant the pull has been asked for (the first pull's start, or an older
-- `--since`): the late check never reads before it. Unknown (NULL) for pulls made before
-- this version.
ALTER TABLE pull_state ADD COLUMN floor INTEGER;

-- fitpipe schema, version 1.
--
-- Raw samples are kept compact: a year of 5-second samples must stay under 16 bytes a
-- sample on disk. The account and the UTC instant are packed into the rowid
-- (key = account_id * 2^35 + epoch seconds), so a sample row is a rowid plus three small
-- columns and needs no separate unique index. The `samples` view unpacks it.

CREATE TABLE account (
    id         INTEGER PRIMARY KEY CHECK (id BETWEEN 0 AND 255),
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE device (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE sample (
    key            INTEGER PRIMARY KEY,   -- account_id * 34359738368 + UTC epoch seconds
    bpm            INTEGER NOT NULL,
    utc_offset_min INTEGER,               -- the user's UTC offset at this sample, when known
    device_id      INTEGER                -- device.id, when known
);

-- The master table: one row per (account, UTC hour) that has samples.
CREATE TABLE hour_max (
    account_id     INTEGER NOT NULL REFERENCES account (id),
    hour           INTEGER NOT NULL,      -- UTC epoch seconds of the hour start
    max_bpm        INTEGER NOT NULL,
    sample_count   INTEGER NOT NULL,
    utc_offset_min INTEGER,               -- offset carried by the hour's samples, when known
    PRIMARY KEY (account_id, hour)
) WITHOUT ROWID;

-- Takeout writes one heart-rate JSON file per *local* day with UTC stamps. The first and
-- last stamp of each file bound the user's UTC offset on that day; offset_span holds the
-- offsets inferred from them, used for hours whose samples carry no offset of their own.
CREATE TABLE day_file (
    account_id INTEGER NOT NULL REFERENCES account (id),
    local_date TEXT NOT NULL,             -- YYYY-MM-DD, from the file name
    first_ts   INTEGER NOT NULL,
    last_ts    INTEGER NOT NULL,
    PRIMARY KEY (account_id, local_date)
) WITHOUT ROWID;

CREATE TABLE offset_span (
    account_id     INTEGER NOT NULL REFERENCES account (id),
    start_ts       INTEGER NOT NULL,
    end_ts         INTEGER NOT NULL,      -- exclusive
    utc_offset_min INTEGER NOT NULL,
    PRIMARY KEY (account_id, start_ts)
) WITHOUT ROWID;

CREATE TABLE import_run (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES account (id),
    started_at      TEXT NOT NULL,
    finished_at     TEXT NOT NULL,
    files           INTEGER NOT NULL,
    samples_new     INTEGER NOT NULL,
    samples_present INTEGER NOT NULL,
    rejected        INTEGER NOT NULL,
    hours_touched   INTEGER NOT NULL
);

CREATE VIEW samples AS
SELECT a.name                                                  AS account,
       s.key - a.id * 34359738368                              AS ts_utc,
       strftime('%Y-%m-%dT%H:%M:%SZ', s.key - a.id * 34359738368, 'unixepoch') AS time_utc,
       s.bpm                                                   AS bpm,
       s.utc_offset_min * 60                                   AS utc_offset_s,
       d.name                                                  AS device
FROM sample s
JOIN account a ON a.id = s.key / 34359738368
LEFT JOIN device d ON d.id = s.device_id;

CREATE VIEW hourly_max AS
WITH k AS (
    SELECT hm.account_id, hm.hour, hm.max_bpm, hm.sample_count,
           coalesce(hm.utc_offset_min,
                    (SELECT o.utc_offset_min FROM offset_span o
                      WHERE o.account_id = hm.account_id
                        AND o.start_ts <= hm.hour AND o.end_ts > hm.hour
                      ORDER BY o.start_ts DESC LIMIT 1)) AS off
    FROM hour_max hm
)
SELECT a.name                                                   AS account,
       strftime('%Y-%m-%dT%H:00:00Z', k.hour, 'unixepoch')      AS hour_start_utc,
       k.max_bpm                                                AS max_bpm,
       k.sample_count                                           AS sample_count,
       CASE WHEN k.off IS NULL THEN NULL
            ELSE strftime('%Y-%m-%dT%H:%M:00', k.hour + k.off * 60, 'unixepoch')
                 || CASE WHEN k.off < 0 THEN '-' ELSE '+' END
                 || printf('%02d:%02d', abs(k.off) / 60, abs(k.off) % 60)
       END                                                      AS hour_start_local,
       k.off                                                    AS utc_offset_min,
       k.hour                                                   AS hour_epoch
FROM k
JOIN account a ON a.id = k.account_id;

CREATE VIEW daily_summary AS
SELECT account,
       substr(coalesce(hour_start_local, hour_start_utc), 1, 10) AS local_date,
       max(max_bpm)                                               AS max_bpm,
       round(avg(max_bpm), 2)                                     AS mean_hourly_max,
       count(*)                                                   AS hours_covered,
       sum(sample_count)                                          AS sample_count
FROM hourly_max
GROUP BY account, local_date;

-- Version 12: where each hour's offset came from, so that copies of an hour from several
-- machines keep the local time of the best evidence (model::Provenance) and a later choice
-- of zone replaces an earlier one on every machine, also where it moves offsets down.

-- hour_max.utc_offset_min is the offset the hour's samples state, or one merged from
-- another machine's copy: 'stated', 'day_files' or 'zone' (NULL: unknown, or merged from
-- a copy written before this version); offset_chosen_at: when the zone that offset was
-- computed with was chosen (UTC epoch seconds; NULL when unknown).
ALTER TABLE hour_max ADD COLUMN offset_from TEXT;
ALTER TABLE hour_max ADD COLUMN offset_chosen_at INTEGER;

-- When the account's zone was chosen (UTC epoch seconds; NULL for choices made before this
-- version, which order before every later one).
ALTER TABLE account_zone ADD COLUMN chosen_at INTEGER;

-- The offsets this machine's samples state. Those merged from elsewhere stay unknown: the
-- offsets this machine infers (day files, its zone) now take their place.
UPDATE hour_max SET offset_from = 'stated'
 WHERE utc_offset_min IS NOT NULL
   AND (EXISTS (SELECT 1 FROM sample s
                 WHERE s.key >= hour_max.account_id * 34359738368 + hour_max.hour
                   AND s.key < hour_max.account_id * 34359738368 + hour_max.hour + 3600
                   AND s.utc_offset_min IS NOT NULL)
        OR EXISTS (SELECT 1 FROM sample_more s
                    WHERE s.key >= hour_max.account_id * 34359738368 + hour_max.hour
                      AND s.key < hour_max.account_id * 34359738368 + hour_max.hour + 3600
                      AND s.utc_offset_min IS NOT NULL));

DROP VIEW daily_summary;
DROP VIEW hourly_max;

-- An hour's offset: the one hour_max holds, or the one of the span that covers the hour
-- where its evidence is stronger, or as strong and of a later choice of zone, or both and
-- larger (store::master::for_each_hour_in is the fast path, tested equal to this view).
CREATE VIEW hourly_max AS
WITH k AS (
    SELECT hm.account_id, hm.hour, hm.max_bpm, hm.sample_count,
           coalesce(
               (SELECT CASE WHEN o.end_ts > hm.hour
                             AND (hm.utc_offset_min IS NULL
                                  OR (CASE o.source WHEN 'zone' THEN 1 ELSE 2 END,
                                      coalesce((SELECT z.chosen_at FROM account_zone z
                                                 WHERE z.account_id = hm.account_id), 0),
                                      o.utc_offset_min)
                                     > (CASE hm.offset_from WHEN 'stated' THEN 3
                                            WHEN 'day_files' THEN 2 WHEN 'zone' THEN 1
                                            ELSE 0 END,
                                        coalesce(hm.offset_chosen_at, 0),
                                        hm.utc_offset_min))
                            THEN o.utc_offset_min END
                  FROM offset_span o
                 WHERE o.account_id = hm.account_id AND o.start_ts <= hm.hour
                 ORDER BY o.start_ts DESC LIMIT 1),
               hm.utc_offset_min) AS off
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

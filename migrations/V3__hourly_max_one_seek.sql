-- Version 3: the hourly_max view looks up an hour's inferred offset with one index seek.
-- Version 1 filtered on end_ts inside the seek, which walked back through every earlier
-- span when an hour fell in a gap between spans (seconds for a ten-year history).

DROP VIEW daily_summary;
DROP VIEW hourly_max;

CREATE VIEW hourly_max AS
WITH k AS (
    SELECT hm.account_id, hm.hour, hm.max_bpm, hm.sample_count,
           coalesce(hm.utc_offset_min,
                    (SELECT CASE WHEN o.end_ts > hm.hour THEN o.utc_offset_min END
                       FROM offset_span o
                      WHERE o.account_id = hm.account_id AND o.start_ts <= hm.hour
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

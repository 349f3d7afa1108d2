-- The hourly max computed from the lake, as fitpipe computes it: per account and UTC hour,
-- the highest rate and the number of samples (each instant and source once, however many
-- parts hold it) of the sources the account counts. sources/NAME.csv says which sources each
-- account counts; a sample that names no source, or names one not listed there, counts.
-- Portable SQL (BigQuery and DuckDB run it as written); ${samples} and ${sources} name the
-- tables over PREFIX/samples and PREFIX/sources.
SELECT s.account,
       s.ts - MOD(s.ts, 3600) AS hour_start_epoch,
       MAX(s.bpm) AS max_bpm,
       COUNT(DISTINCT CONCAT(CAST(s.ts AS STRING), '|', IFNULL(s.device, ''))) AS sample_count
FROM ${samples} AS s
LEFT JOIN ${sources} AS c ON c.account = s.account AND c.source = s.device
WHERE c.counted IS NULL OR c.counted
GROUP BY s.account, hour_start_epoch

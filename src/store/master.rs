//! The master table, `hour_max`: its one definition ([`HOURLY_MAX`]), kept up to date
//! incrementally as samples are written (and wholly when the account's source policy
//! changes), read back for export, sync and report, and merged with a remote copy. To
//! change what "the hourly max" means, change [`HOURLY_MAX`]; the
//! `hourly_max` view (a migration) only presents `hour_max` with names and text times, and
//! [`Store::for_each_hour`] is its fast path, tested equal to it for every hour.

use std::sync::LazyLock;

use rusqlite::{params, Transaction};

use super::{AccountId, Result, Store};
use crate::model::Hour;

/// The hourly max, defined once, over one table of samples (`{table}`: `sample`, or
/// `sample_more` for the second sources at an instant): for the samples of account `?1` in
/// the UTC hour that starts at `?3` (epoch seconds; `?2` is the account's key base) whose
/// source the account's policy counts (`account_source`; a sample without a source
/// counts): the hour start, the highest bpm, the number of samples, and the offset they
/// carry (they agree but for the rare hour in which the user changed zone; then the larger
/// one; samples without an offset do not count). One row, with a count of 0 when the hour
/// has no such samples. `?6` is 1 when the account leaves no source out, which spares the
/// look-up of each sample's source (SQLite stops at the first true term of an OR). One hour
/// a statement, not a `GROUP BY` over a range: the rows come in key order, so the hour
/// needs no sort (a `GROUP BY` sorted every sample it computed again, a quarter of an
/// import's instructions). `?4` (the end of the range being computed) is not used.
const HOURLY_MAX: &str = "SELECT ?3 AS hour, max(bpm) AS max_bpm,
        count(*) AS sample_count, max(utc_offset_min) AS utc_offset_min
   FROM {table}
  WHERE key >= ?2 + ?3 AND key < ?2 + ?3 + 3600
    AND (?6 OR device_id IS NULL
         OR device_id NOT IN (SELECT device_id FROM account_source
                               WHERE account_id = ?1 AND counted = 0))";

/// [`HOURLY_MAX`] over `table`.
pub(crate) fn hourly_max(table: &str) -> String {
    HOURLY_MAX.replace("{table}", table)
}

/// The hours of account `?1` in `[?3, ?4)`, forgotten before they are computed again.
const FORGET: &str = "DELETE FROM hour_max WHERE account_id = ?1 AND hour >= ?2 AND hour < ?3";

/// [`HOURLY_MAX`] of `sample` written to `hour_max` for account `?1`, under policy `?5`.
static RECOMPUTE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO hour_max (account_id, hour, max_bpm, sample_count, utc_offset_min, policy)
         SELECT ?1, hour, max_bpm, sample_count, utc_offset_min, ?5 FROM ({}) WHERE sample_count > 0",
        hourly_max("sample")
    )
});

/// [`HOURLY_MAX`] of `sample_more` folded in: the higher max, the counts added (both are
/// counts of the hour's counted samples, disjoint), the larger offset.
static RECOMPUTE_MORE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO hour_max (account_id, hour, max_bpm, sample_count, utc_offset_min, policy)
         SELECT ?1, hour, max_bpm, sample_count, utc_offset_min, ?5 FROM ({}) WHERE sample_count > 0
          ON CONFLICT (account_id, hour) DO UPDATE
             SET max_bpm = max(hour_max.max_bpm, excluded.max_bpm),
                 sample_count = hour_max.sample_count + excluded.sample_count,
                 utc_offset_min = coalesce(max(hour_max.utc_offset_min, excluded.utc_offset_min),
                                           hour_max.utc_offset_min, excluded.utc_offset_min)",
        hourly_max("sample_more")
    )
});

/// Computes `hour_max` again for the given hour ranges of one account, under the policy
/// of version `policy`: every hour in them must hold samples (of any source), so that its
/// row is a function of the samples and the policy alone. An hour whose samples the
/// policy no longer counts loses its row; one raised by merging another machine's copy
/// comes down to what the samples here give (the next sync merges the copy again).
pub(super) fn recompute_hours(
    tx: &Transaction<'_>,
    account: AccountId,
    ranges: &[(i64, i64)],
    policy: u64,
) -> Result<()> {
    let mut forget = tx.prepare_cached(FORGET)?;
    let mut main = tx.prepare_cached(&RECOMPUTE)?;
    let mut more = tx.prepare_cached(&RECOMPUTE_MORE)?;
    let any_more: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM sample_more WHERE key >= ?1 AND key < ?2)")?
        .query_row(
            params![
                account.key_base(),
                account.key_base() + super::ACCOUNT_FACTOR
            ],
            |r| r.get(0),
        )?;
    let all_counted: bool = tx
        .prepare_cached(
            "SELECT NOT EXISTS (SELECT 1 FROM account_source WHERE account_id = ?1 AND counted = 0)",
        )?
        .query_row([account.0], |r| r.get(0))?;
    // SQLite keeps integers as signed 64-bit values: the version's bits, as they are.
    let policy = policy as i64;
    for &(start, end) in ranges {
        forget.execute(params![account.0, start, end])?;
        for hour in (start..end).step_by(crate::model::HOUR as usize) {
            let p = params![
                account.0,
                account.key_base(),
                hour,
                end,
                policy,
                all_counted
            ];
            main.execute(p)?;
            if any_more {
                more.execute(p)?;
            }
        }
    }
    Ok(())
}

impl Store {
    /// The master table, sorted by account then hour, for `account` or all accounts: each
    /// hour with the offset the `hourly_max` view gives it (its samples' own, else one
    /// inferred from the account's offset spans).
    ///
    /// The same rows as `SELECT ... FROM hourly_max ORDER BY account, hour_epoch`, read
    /// here because the export and every sync read the whole table: the hours come in key
    /// order and meet the offset spans in one pass, with no per-row SQL formatting.
    pub fn for_each_hour<E>(
        &self,
        account: Option<&str>,
        f: impl FnMut(&str, &Hour) -> std::result::Result<(), E>,
    ) -> Result<std::result::Result<(), E>> {
        self.for_each_hour_in(account, i64::MIN..i64::MAX, f)
    }

    /// [`Store::for_each_hour`] for the hours that start in `range`.
    pub fn for_each_hour_in<E>(
        &self,
        account: Option<&str>,
        range: std::ops::Range<i64>,
        mut f: impl FnMut(&str, &Hour) -> std::result::Result<(), E>,
    ) -> Result<std::result::Result<(), E>> {
        let mut accounts = self
            .conn
            .prepare("SELECT id, name FROM account WHERE ?1 IS NULL OR name = ?1 ORDER BY name")?;
        let accounts = accounts
            .query_map([account], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut spans_stmt = self.conn.prepare(
            "SELECT start_ts, end_ts, utc_offset_min FROM offset_span
              WHERE account_id = ?1 AND end_ts > ?2 AND start_ts < ?3 ORDER BY start_ts",
        )?;
        let mut hours_stmt = self.conn.prepare(
            "SELECT hour, max_bpm, sample_count, utc_offset_min, policy FROM hour_max
              WHERE account_id = ?1 AND hour >= ?2 AND hour < ?3 ORDER BY hour",
        )?;
        for (id, name) in accounts {
            let spans = spans_stmt
                .query_map(params![id, range.start, range.end], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i16>(2)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut next_span = 0usize;
            let mut rows = hours_stmt.query(params![id, range.start, range.end])?;
            while let Some(r) = rows.next()? {
                let hour: i64 = r.get(0)?;
                // The span with the greatest start at or before the hour, if it covers it.
                while next_span < spans.len() && spans[next_span].0 <= hour {
                    next_span += 1;
                }
                let inferred = next_span
                    .checked_sub(1)
                    .map(|i| spans[i])
                    .filter(|s| s.1 > hour)
                    .map(|s| s.2);
                let h = Hour {
                    hour,
                    max_bpm: r.get(1)?,
                    sample_count: r.get(2)?,
                    utc_offset_min: r.get::<_, Option<i16>>(3)?.or(inferred),
                    policy: r.get::<_, Option<i64>>(4)?.map(|v| v as u64),
                };
                if let Err(e) = f(&name, &h) {
                    return Ok(Err(e));
                }
            }
        }
        Ok(Ok(()))
    }

    /// `account`'s hours with `since <= hour < until`, oldest first, as the `hourly_max`
    /// view gives them.
    pub fn hours(
        &self,
        account: &str,
        since: Option<i64>,
        until: Option<i64>,
    ) -> Result<Vec<Hour>> {
        let mut stmt = self.conn.prepare(
            "SELECT hour_epoch, max_bpm, sample_count, utc_offset_min FROM hourly_max
              WHERE account = ?1 AND hour_epoch >= ?2 AND hour_epoch < ?3
              ORDER BY hour_epoch",
        )?;
        let rows = stmt
            .query_map(
                params![
                    account,
                    since.unwrap_or(i64::MIN),
                    until.unwrap_or(i64::MAX)
                ],
                |r| {
                    Ok(Hour {
                        hour: r.get(0)?,
                        max_bpm: r.get(1)?,
                        sample_count: r.get(2)?,
                        utc_offset_min: r.get(3)?,
                        policy: None,
                    })
                },
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The newest hour start of `account`, if it has any.
    pub fn last_hour(&self, account: &str) -> Result<Option<i64>> {
        Ok(self.conn.query_row(
            "SELECT max(hm.hour) FROM hour_max hm JOIN account a ON a.id = hm.account_id
              WHERE a.name = ?1",
            [account],
            |r| r.get(0),
        )?)
    }

    /// Merges hours from the remote master into the local one. An hour of the same policy
    /// version as the local one keeps the larger max and count; one of another version (the
    /// merge chose it: computed under the account's current policy) replaces the local one;
    /// a stated offset replaces the local one. Returns how many hours changed.
    pub fn merge_master_hours(&mut self, account: AccountId, hours: &[Hour]) -> Result<usize> {
        let tx = self.begin()?;
        let mut changed = 0;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO hour_max (account_id, hour, max_bpm, sample_count, utc_offset_min, policy)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (account_id, hour) DO UPDATE
                    SET max_bpm = CASE WHEN hour_max.policy IS excluded.policy
                                       THEN max(hour_max.max_bpm, excluded.max_bpm)
                                       ELSE excluded.max_bpm END,
                        sample_count = CASE WHEN hour_max.policy IS excluded.policy
                                       THEN max(hour_max.sample_count, excluded.sample_count)
                                       ELSE excluded.sample_count END,
                        utc_offset_min = coalesce(excluded.utc_offset_min, hour_max.utc_offset_min),
                        policy = excluded.policy
                  WHERE hour_max.policy IS NOT excluded.policy
                     OR hour_max.max_bpm < excluded.max_bpm
                     OR hour_max.sample_count < excluded.sample_count
                     OR (excluded.utc_offset_min IS NOT NULL
                         AND hour_max.utc_offset_min IS NOT excluded.utc_offset_min)",
            )?;
            for h in hours {
                changed += stmt.execute(params![
                    account.0,
                    h.hour,
                    h.max_bpm,
                    h.sample_count,
                    h.utc_offset_min,
                    h.policy.map(|v| v as i64)
                ])?;
            }
        }
        tx.commit()?;
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::model::{format_hour_local, format_utc, Sample, HOUR};

    const T0: i64 = 1_735_689_600; // 2025-01-01T00:00:00Z

    /// Samples of two accounts over three days, each instant once, in batches.
    fn arb_batches() -> impl Strategy<Value = Vec<Vec<(usize, Sample)>>> {
        let offsets = [None, Some(-300), Some(60), Some(330)];
        proptest::collection::btree_map(
            (0..2usize, 0..3 * 86_400i64),
            (20u16..=300, 0..offsets.len(), 0..4usize),
            1..300,
        )
        .prop_map(move |m| {
            let mut batches = vec![Vec::new(); 4];
            for ((acct, t), (bpm, off, batch)) in m {
                batches[batch].push((
                    acct,
                    Sample {
                        ts: T0 + t,
                        bpm,
                        utc_offset_min: offsets[off],
                        device: None,
                    },
                ));
            }
            batches
        })
    }

    /// The hourly max computed in Rust from the sample set, independently of the store:
    /// (account, hour) -> (max, count, largest offset).
    type Expected = BTreeMap<(String, i64), (i64, i64, Option<i16>)>;

    fn independent(batches: &[Vec<(usize, Sample)>]) -> Expected {
        let mut out = Expected::new();
        for (acct, s) in batches.iter().flatten() {
            let e = out
                .entry((["a", "b"][*acct].to_string(), s.ts.div_euclid(HOUR) * HOUR))
                .or_insert((0, 0, None));
            e.0 = e.0.max(s.bpm as i64);
            e.1 += 1;
            e.2 = e.2.max(s.utc_offset_min);
        }
        out
    }

    fn store_with(batches: &[Vec<(usize, Sample)>]) -> Store {
        let mut store = Store::open_in_memory().unwrap();
        let ids = [
            store.ensure_account("a", "now").unwrap(),
            store.ensure_account("b", "now").unwrap(),
        ];
        // Each batch is its own transaction, so hours are recomputed incrementally, one
        // batch after another, as imports and pulls do.
        for batch in batches {
            for (acct, id) in ids.iter().enumerate() {
                let mut w = store.sample_writer(*id).unwrap();
                for (_, s) in batch.iter().filter(|(a, _)| *a == acct) {
                    w.insert(s).unwrap();
                }
                w.commit().unwrap();
            }
        }
        store
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        // The incremental recompute, batch after batch, gives what the view shows, and both
        // equal the definition applied once over all samples and a computation in Rust.
        #[test]
        fn incremental_hours_equal_the_definition(batches in arb_batches()) {
            let store = store_with(&batches);
            let mut stmt = store.conn.prepare(
                "SELECT account, hour_epoch, max_bpm, sample_count, utc_offset_min FROM hourly_max",
            ).unwrap();
            let view: Expected = stmt
                .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?, r.get(4)?))))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            prop_assert_eq!(&view, &independent(&batches));

            let mut once = Expected::new();
            for name in ["a", "b"] {
                let base = store.account(name).unwrap().unwrap().key_base();
                let id = store.account(name).unwrap().unwrap().0;
                let mut stmt = store.conn.prepare(&hourly_max("sample")).unwrap();
                for hour in (T0 - 2 * HOUR..T0 + 200 * HOUR).step_by(HOUR as usize) {
                    let (max, count, off): (Option<i64>, i64, Option<i16>) = stmt
                        .query_row(params![id, base, hour, 0, 0, false], |r| {
                            Ok((r.get(1)?, r.get(2)?, r.get(3)?))
                        })
                        .unwrap();
                    if count > 0 {
                        once.insert((name.to_string(), hour), (max.unwrap(), count, off));
                    }
                }
            }
            prop_assert_eq!(&view, &once);
        }

        // The export's fast path gives, for every hour, exactly the view's row, offset spans
        // (inferred offsets, gaps between them) included.
        #[test]
        fn the_fast_path_equals_the_view(
            batches in arb_batches(),
            spans in proptest::collection::vec((0..80i64, 1..30i64, -600i16..840), 0..6),
        ) {
            let mut store = store_with(&batches);
            let id = store.account("a").unwrap().unwrap();
            let mut spans: Vec<(i64, i64, i16)> = spans
                .into_iter()
                .map(|(start, len, off)| (T0 + start * HOUR, T0 + (start + len) * HOUR, off))
                .collect();
            spans.sort_unstable();
            spans.dedup_by_key(|s| s.0);
            // Spans do not overlap: each ends where the next begins at the latest.
            for i in 1..spans.len() {
                spans[i - 1].1 = spans[i - 1].1.min(spans[i].0);
            }
            store.replace_offset_spans(id, &spans).unwrap();

            let mut fast = Vec::new();
            store
                .for_each_hour(None, |account, h| {
                    fast.push((
                        account.to_string(),
                        format_utc(h.hour),
                        h.utc_offset_min.map(|o| format_hour_local(h.hour, o as i64)),
                        h.max_bpm,
                        h.sample_count,
                    ));
                    Ok::<_, ()>(())
                })
                .unwrap()
                .unwrap();
            let mut stmt = store.conn.prepare(
                "SELECT account, hour_start_utc, hour_start_local, max_bpm, sample_count
                   FROM hourly_max ORDER BY account, hour_epoch",
            ).unwrap();
            let view: Vec<(String, String, Option<String>, i64, i64)> = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            prop_assert_eq!(fast, view);
        }
    }
}

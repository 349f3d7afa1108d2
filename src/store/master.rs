//! The master table, `hour_max`: its one definition ([`HOURLY_MAX`]), kept up to date
//! incrementally as samples are written (and wholly when the account's source policy
//! changes), read back for export, sync and report, and merged with a remote copy. To
//! change what "the hourly max" means, change [`HOURLY_MAX`]; the
//! `hourly_max` view (a migration) only presents `hour_max` with names and text times, and
//! [`Store::for_each_hour`] is its fast path, tested equal to it for every hour.

use std::sync::LazyLock;

use rusqlite::{params, OptionalExtension, Transaction};

use super::{AccountId, Result, Store};
use crate::model::{Hour, LocalFrom, Provenance};

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
        "INSERT INTO hour_max (account_id, hour, max_bpm, sample_count, utc_offset_min, policy,
                               offset_from)
         SELECT ?1, hour, max_bpm, sample_count, utc_offset_min, ?5,
                CASE WHEN utc_offset_min IS NOT NULL THEN 'stated' END
           FROM ({}) WHERE sample_count > 0",
        hourly_max("sample")
    )
});

/// [`HOURLY_MAX`] of `sample_more` folded in: the higher max, the counts added (both are
/// counts of the hour's counted samples, disjoint), the larger offset.
static RECOMPUTE_MORE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO hour_max (account_id, hour, max_bpm, sample_count, utc_offset_min, policy,
                               offset_from)
         SELECT ?1, hour, max_bpm, sample_count, utc_offset_min, ?5,
                CASE WHEN utc_offset_min IS NOT NULL THEN 'stated' END
           FROM ({}) WHERE sample_count > 0
          ON CONFLICT (account_id, hour) DO UPDATE
             SET max_bpm = max(hour_max.max_bpm, excluded.max_bpm),
                 sample_count = hour_max.sample_count + excluded.sample_count,
                 utc_offset_min = coalesce(max(hour_max.utc_offset_min, excluded.utc_offset_min),
                                           hour_max.utc_offset_min, excluded.utc_offset_min),
                 offset_from = coalesce(hour_max.offset_from, excluded.offset_from)",
        hourly_max("sample_more")
    )
});

/// Whether the copy of an hour being merged in (`excluded`) brings an offset that replaces
/// the one `hour_max` holds: it has one, and the copies' policies differ (the merge chose
/// this one whole), or the held one is unknown, or the new one rests on stronger evidence,
/// or as strong and of a later choice of zone, or both and larger (model::Provenance).
static BEATS: LazyLock<String> = LazyLock::new(|| {
    let side = |t: &str| {
        format!(
            "({}, coalesce({t}.offset_chosen_at, 0), {t}.utc_offset_min)",
            rank_of(&format!("{t}.offset_from"))
        )
    };
    format!(
        "(excluded.utc_offset_min IS NOT NULL
          AND (hour_max.policy IS NOT excluded.policy
               OR hour_max.utc_offset_min IS NULL
               OR {} > {}))",
        side("excluded"),
        side("hour_max"),
    )
});

/// SQL for the rank of the `LocalFrom` named in column `column` (its order in
/// `model::LocalFrom`; NULL and unknown names rank as `Unknown`).
fn rank_of(column: &str) -> String {
    let mut sql = format!("CASE {column}");
    for (rank, from) in LocalFrom::ALL.into_iter().enumerate().skip(1) {
        sql += &format!(" WHEN '{}' THEN {rank}", from.as_str());
    }
    sql + " ELSE 0 END"
}

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
    let (any_more, all_counted) = what_counts(tx, account)?;
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

/// Whether `account` has samples beside others (`sample_more`), and whether its policy
/// counts every source: when it has none and counts all, an hour's row is the max, count
/// and largest offset of its samples in `sample` ([`HOURLY_MAX`]), and
/// [`write_hours`] may write it from the samples as they were inserted.
pub(super) fn what_counts(tx: &Transaction<'_>, account: AccountId) -> Result<(bool, bool)> {
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
    Ok((any_more, all_counted))
}

/// One hour's figures gathered as its samples were inserted, every one of them by the
/// transaction: the highest bpm, the number of samples, the largest offset they state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Gathered {
    pub hour: i64,
    pub max_bpm: i64,
    pub sample_count: i64,
    pub utc_offset_min: Option<i16>,
}

/// Writes hours of `account` in place of what `hour_max` held for them, as
/// [`recompute_hours`] would under policy `policy` where [`what_counts`] says the samples
/// in `sample` are all an hour counts (tested equal to it).
pub(super) fn write_hours(
    tx: &Transaction<'_>,
    account: AccountId,
    hours: &[Gathered],
    policy: u64,
) -> Result<()> {
    let mut put = tx.prepare_cached(
        "INSERT OR REPLACE INTO hour_max (account_id, hour, max_bpm, sample_count,
                                          utc_offset_min, policy, offset_from)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for h in hours {
        put.execute(params![
            account.0,
            h.hour,
            h.max_bpm,
            h.sample_count,
            h.utc_offset_min,
            policy as i64,
            h.utc_offset_min.map(|_| LocalFrom::Stated.as_str()),
        ])?;
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
            "SELECT start_ts, end_ts, utc_offset_min, source = 'zone' FROM offset_span
              WHERE account_id = ?1 AND end_ts > ?2 AND start_ts < ?3 ORDER BY start_ts",
        )?;
        let mut chosen_stmt = self
            .conn
            .prepare("SELECT coalesce(chosen_at, 0) FROM account_zone WHERE account_id = ?1")?;
        let mut hours_stmt = self.conn.prepare(
            "SELECT hour, max_bpm, sample_count, utc_offset_min, policy, offset_from,
                    offset_chosen_at
               FROM hour_max
              WHERE account_id = ?1 AND hour >= ?2 AND hour < ?3 ORDER BY hour",
        )?;
        for (id, name) in accounts {
            let chosen_at: i64 = chosen_stmt
                .query_row([id], |r| r.get(0))
                .optional()?
                .unwrap_or(0);
            let spans = spans_stmt
                .query_map(params![id, range.start, range.end], |r| {
                    let from = if r.get::<_, Option<bool>>(3)?.unwrap_or(false) {
                        LocalFrom::Zone
                    } else {
                        LocalFrom::DayFiles
                    };
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        (Provenance { from, chosen_at }, r.get::<_, i16>(2)?),
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
                let held = match r.get::<_, Option<i16>>(3)? {
                    Some(off) => {
                        let from = match r.get_ref(5)? {
                            rusqlite::types::ValueRef::Text(t) => {
                                std::str::from_utf8(t).ok().and_then(LocalFrom::parse)
                            }
                            _ => None,
                        };
                        let from = from.unwrap_or_default();
                        let chosen_at = r.get::<_, Option<i64>>(6)?.unwrap_or(0);
                        Some((Provenance { from, chosen_at }, off))
                    }
                    None => None,
                };
                // The stronger evidence (model::Provenance), as the hourly_max view.
                let (local, utc_offset_min) = match held.max(inferred) {
                    Some((p, off)) => (p, Some(off)),
                    None => (Provenance::default(), None),
                };
                let h = Hour {
                    hour,
                    max_bpm: r.get(1)?,
                    sample_count: r.get(2)?,
                    utc_offset_min,
                    policy: r.get::<_, Option<i64>>(4)?.map(|v| v as u64),
                    local,
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
                        local: Provenance::default(),
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
    /// an offset replaces the one held where it rests on stronger evidence, or a later
    /// choice of zone (model::Provenance). Returns how many hours changed.
    pub fn merge_master_hours(&mut self, account: AccountId, hours: &[Hour]) -> Result<usize> {
        let tx = self.begin()?;
        let mut changed = 0;
        {
            let sql = format!(
                "INSERT INTO hour_max (account_id, hour, max_bpm, sample_count, utc_offset_min, policy,
                                       offset_from, offset_chosen_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (account_id, hour) DO UPDATE
                    SET max_bpm = CASE WHEN hour_max.policy IS excluded.policy
                                       THEN max(hour_max.max_bpm, excluded.max_bpm)
                                       ELSE excluded.max_bpm END,
                        sample_count = CASE WHEN hour_max.policy IS excluded.policy
                                       THEN max(hour_max.sample_count, excluded.sample_count)
                                       ELSE excluded.sample_count END,
                        utc_offset_min = CASE WHEN {beats} THEN excluded.utc_offset_min
                                              ELSE hour_max.utc_offset_min END,
                        offset_from = CASE WHEN {beats} THEN excluded.offset_from
                                           ELSE hour_max.offset_from END,
                        offset_chosen_at = CASE WHEN {beats} THEN excluded.offset_chosen_at
                                                ELSE hour_max.offset_chosen_at END,
                        policy = excluded.policy
                  WHERE hour_max.policy IS NOT excluded.policy
                     OR hour_max.max_bpm < excluded.max_bpm
                     OR hour_max.sample_count < excluded.sample_count
                     OR {beats}",
                beats = BEATS.as_str()
            );
            let mut stmt = tx.prepare(&sql)?;
            for h in hours {
                let known = h.utc_offset_min.is_some();
                changed += stmt.execute(params![
                    account.0,
                    h.hour,
                    h.max_bpm,
                    h.sample_count,
                    h.utc_offset_min,
                    h.policy.map(|v| v as i64),
                    Some(h.local.from.as_str()).filter(|f| known && !f.is_empty()),
                    Some(h.local.chosen_at).filter(|&t| known && t != 0),
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
            zone_spans in 0..64u8,
            chosen_at in proptest::option::of(0..3i64),
            merged in proptest::collection::vec((0..80i64, 0..4usize, 0..3i64, -600i16..840), 0..20),
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
            // Some spans from the zone, chosen at some time; copies of hours from another
            // machine, of every provenance, merged in.
            for (i, s) in spans.iter().enumerate() {
                if zone_spans & (1 << i) != 0 {
                    store.conn.execute(
                        "UPDATE offset_span SET source = 'zone' WHERE account_id = ?1 AND start_ts = ?2",
                        params![id.0, s.0],
                    ).unwrap();
                }
            }
            if let Some(at) = chosen_at {
                store.conn.execute(
                    "INSERT INTO account_zone (account_id, zone, source, chosen_at)
                     VALUES (?1, 'Europe/Berlin', 'config', ?2)",
                    params![id.0, at],
                ).unwrap();
            }
            let froms = LocalFrom::ALL;
            let held: BTreeMap<i64, Hour> = store
                .hours("a", None, None)
                .unwrap()
                .into_iter()
                .map(|h| (h.hour, h))
                .collect();
            let copies: Vec<Hour> = merged
                .iter()
                .filter_map(|&(h, from, at, off)| {
                    let mut copy = *held.get(&(T0 + h * HOUR))?;
                    copy.policy = Some(crate::sources::Policy::default().version());
                    copy.utc_offset_min = Some(off);
                    copy.local = Provenance { from: froms[from], chosen_at: at };
                    Some(copy)
                })
                .collect();
            store.merge_master_hours(id, &copies).unwrap();

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

    /// A store of version 11 held offsets merged from another machine's copies as if its
    /// samples stated them, so a zone chosen here later did not move those hours. From
    /// version 12 the samples' own offsets stay stated and the merged ones give way.
    #[test]
    fn a_store_from_version_11_keeps_stated_offsets_and_lets_merged_ones_give_way() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v11.db");
        let (t, hour) = (T0, T0 / HOUR * HOUR);
        {
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            super::super::embedded::migrations::runner()
                .set_target(refinery::Target::Version(11))
                .run(&mut conn)
                .unwrap();
            // Hour 0's sample states -300; hour 1's offset (+60) came from another machine;
            // a span of the zone (+540) covers both.
            conn.execute_batch(&format!(
                "INSERT INTO account (id, name, created_at) VALUES (0, 'a', 'then');
                 INSERT INTO sample (key, bpm, utc_offset_min) VALUES ({t}, 70, -300),
                                                                      ({t} + 3600, 71, NULL);
                 INSERT INTO hour_max (account_id, hour, max_bpm, sample_count, utc_offset_min)
                 VALUES (0, {hour}, 70, 1, -300), (0, {hour} + 3600, 71, 1, 60);
                 INSERT INTO offset_span (account_id, start_ts, end_ts, utc_offset_min, source)
                 VALUES (0, {hour}, {hour} + 7200, 540, 'zone');
                 INSERT INTO account_zone (account_id, zone, source)
                 VALUES (0, 'Asia/Tokyo', 'config');"
            ))
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let offsets: Vec<(Option<i16>, Provenance)> = store
            .hours("a", None, None)
            .unwrap()
            .iter()
            .map(|h| (h.utc_offset_min, h.local))
            .collect();
        let view: Vec<Option<i16>> = offsets.iter().map(|o| o.0).collect();
        assert_eq!(view, vec![Some(-300), Some(540)]);
        let mut fast = Vec::new();
        store
            .for_each_hour(Some("a"), |_, h| {
                fast.push((h.utc_offset_min, h.local));
                Ok::<_, ()>(())
            })
            .unwrap()
            .unwrap();
        let zone = Provenance {
            from: LocalFrom::Zone,
            chosen_at: 0,
        };
        assert_eq!(
            fast,
            vec![(Some(-300), Provenance::STATED), (Some(540), zone)]
        );
    }
}

//! Sources in the store: the user's choices (`source_choice`), which of an account's
//! sources its hourly max counts (`account_source`), and recomputing an account's hours
//! when its policy changes.

use rusqlite::{params, OptionalExtension, Transaction};

use super::{AccountId, HourRanges, Result, Store};
use crate::sources::{Choice, Policy};

/// One source of an account, as `fitpipe sources` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceInfo {
    /// The label (`None`: samples that say nothing of their source).
    pub source: Option<String>,
    pub samples: u64,
    /// Whether the hourly max counts it now.
    pub counted: bool,
    /// Whether it would by default.
    pub counted_by_default: bool,
    /// When the user chose, if they did.
    pub chosen_at: Option<String>,
}

/// The policy of `account` as the choices in `tx` give it.
pub(super) fn load_policy(tx: &rusqlite::Connection, account: AccountId) -> Result<Policy> {
    let mut stmt = tx.prepare_cached(
        "SELECT source, counted, changed_at FROM source_choice WHERE account_id = ?1",
    )?;
    let choices = stmt
        .query_map([account.0], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Choice {
                    counted: r.get(1)?,
                    changed_at: r.get(2)?,
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let removed = tx
        .prepare_cached("SELECT uid FROM removal WHERE account_id = ?1")?
        .query_map([account.0], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Policy { choices, removed })
}

/// Sets `counted` of every source `account` has in `account_source` as `policy` says.
fn apply_to_sources(tx: &Transaction<'_>, account: AccountId, policy: &Policy) -> Result<()> {
    // Every source of the account's samples has a row (versions before 8 kept none).
    let base = account.key_base();
    let end = base + super::ACCOUNT_FACTOR;
    tx.execute(
        "INSERT OR IGNORE INTO account_source (account_id, device_id, counted)
         SELECT DISTINCT ?1, device_id, 1 FROM sample
          WHERE key >= ?2 AND key < ?3 AND device_id IS NOT NULL
         UNION SELECT DISTINCT ?1, device_id, 1 FROM sample_more WHERE key >= ?2 AND key < ?3",
        params![account.0, base, end],
    )?;
    let rows: Vec<(i64, String, bool)> = tx
        .prepare(
            "SELECT s.device_id, d.name, s.counted FROM account_source s
               JOIN device d ON d.id = s.device_id WHERE s.account_id = ?1",
        )?
        .query_map([account.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut set = tx.prepare(
        "UPDATE account_source SET counted = ?3 WHERE account_id = ?1 AND device_id = ?2",
    )?;
    for (id, label, counted) in rows {
        let now = policy.counts(Some(&label));
        if now != counted {
            set.execute(params![account.0, id, now])?;
        }
    }
    Ok(())
}

/// The hours of `account` that hold samples of any source, as ranges of at most a day
/// (so that computing one range again sorts a day of samples at most). Found with one index
/// seek per hour with samples, not by reading every sample.
fn hours_with_samples(tx: &Transaction<'_>, account: AccountId) -> Result<Vec<(i64, i64)>> {
    let base = account.key_base();
    let end = base + super::ACCOUNT_FACTOR;
    let mut hours = HourRanges::default();
    for table in ["sample", "sample_more"] {
        let mut next = tx.prepare(&format!(
            "SELECT min(key) - ?1 FROM {table} WHERE key >= ?2 AND key < ?3"
        ))?;
        let mut from = base;
        while let Some(ts) =
            next.query_row(params![base, from, end], |r| r.get::<_, Option<i64>>(0))?
        {
            hours.add_ts(ts);
            from = base + ts - ts.rem_euclid(crate::model::HOUR) + crate::model::HOUR;
        }
    }
    let mut out = Vec::new();
    for &(start, stop) in hours.ranges() {
        let mut s = start;
        while s < stop {
            let e = (s + crate::model::DAY).min(stop);
            out.push((s, e));
            s = e;
        }
    }
    Ok(out)
}

impl Store {
    /// The policy of `account`: its choices.
    pub fn source_policy(&self, account: AccountId) -> Result<Policy> {
        load_policy(&self.conn, account)
    }

    /// Records the user's choice of `source` for `account` (`counted`, at `changed_at`),
    /// unless a later one is recorded already (a merged choice of another machine), and
    /// brings the account's hours up to the policy. Returns whether the hours changed
    /// policy.
    pub fn choose_source(
        &mut self,
        account: AccountId,
        source: &str,
        choice: &Choice,
    ) -> Result<bool> {
        let mut theirs = Policy::default();
        theirs.choices.insert(source.to_string(), choice.clone());
        self.merge_source_policy(account, &theirs)
    }

    /// Merges another machine's choices for `account` into the store's (the later choice
    /// of each source wins) and brings the account's hours up to the merged policy.
    /// Returns whether the hours changed policy.
    pub fn merge_source_policy(&mut self, account: AccountId, theirs: &Policy) -> Result<bool> {
        let tx = self.begin()?;
        let mut policy = load_policy(&tx, account)?;
        let before = policy.clone();
        policy.merge(theirs);
        if policy != before {
            let mut put = tx.prepare(
                "INSERT OR REPLACE INTO source_choice (account_id, source, counted, changed_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (source, c) in &policy.choices {
                if before.choices.get(source) != Some(c) {
                    put.execute(params![account.0, source, c.counted, c.changed_at])?;
                }
            }
        }
        tx.commit()?;
        self.apply_source_policy(account)
    }

    /// Brings `account`'s hours up to its policy: when they were computed under another
    /// version (or before versions were kept), every source's `counted` is set again and
    /// every hour that holds samples is computed again. Returns whether it did.
    pub fn apply_source_policy(&mut self, account: AccountId) -> Result<bool> {
        let tx = self.begin()?;
        let policy = load_policy(&tx, account)?;
        let version = policy.version() as i64;
        let applied: Option<i64> = tx
            .query_row(
                "SELECT policy FROM account WHERE id = ?1",
                [account.0],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        if applied == Some(version) {
            return Ok(false);
        }
        apply_to_sources(&tx, account, &policy)?;
        let hours = hours_with_samples(&tx, account)?;
        super::master::recompute_hours(&tx, account, &hours, policy.version())?;
        tx.execute(
            "UPDATE account SET policy = ?2 WHERE id = ?1",
            params![account.0, version],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Every account's policy (its choices, maybe none), by account name.
    pub fn source_policies(&self) -> Result<std::collections::BTreeMap<String, Policy>> {
        let accounts: Vec<(i64, String)> = self
            .conn
            .prepare("SELECT id, name FROM account ORDER BY name")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        accounts
            .into_iter()
            .map(|(id, name)| Ok((name, load_policy(&self.conn, AccountId(id))?)))
            .collect()
    }

    /// Brings every account's hours up to its policy (see [`Store::apply_source_policy`]):
    /// at an open, this happens once after an upgrade that changed the rules, and reads
    /// every sample of the account (about 4 s a year of samples at 5 s), so it says so.
    pub fn apply_source_policies(&mut self) -> Result<()> {
        let stale: Vec<(i64, String)> = self
            .conn
            .prepare("SELECT id, name, policy FROM account")?
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, Option<i64>>(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .filter(|(id, _, applied)| {
                let version = load_policy(&self.conn, AccountId(*id))
                    .map(|p| p.version() as i64)
                    .ok();
                *applied != version
            })
            .map(|(id, name, _)| (id, name))
            .collect();
        for (id, name) in stale {
            tracing::warn!(
                account = %name,
                "computing the account's hourly max again under its source policy (once after an upgrade; it reads every sample)"
            );
            self.apply_source_policy(AccountId(id))?;
        }
        Ok(())
    }

    /// Every source `account`'s samples name, with whether its hourly max counts it, by
    /// label (the sources table the store keeps, so no sample is read).
    pub fn counted_sources(&self, account: AccountId) -> Result<Vec<(String, bool)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.name, s.counted FROM account_source s JOIN device d ON d.id = s.device_id
              WHERE s.account_id = ?1 ORDER BY d.name",
        )?;
        let rows = stmt
            .query_map([account.0], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The sources of `account`'s samples: how many samples each, and whether the hourly
    /// max counts it. Sorted by label, the unlabelled first.
    pub fn sources(&self, account: AccountId) -> Result<Vec<SourceInfo>> {
        let policy = load_policy(&self.conn, account)?;
        let base = account.key_base();
        let mut stmt = self.conn.prepare(
            "SELECT d.name, n FROM (
                 SELECT device_id, count(*) AS n FROM sample WHERE key >= ?1 AND key < ?2
                  GROUP BY device_id
                 UNION ALL
                 SELECT device_id, count(*) FROM sample_more WHERE key >= ?1 AND key < ?2
                  GROUP BY device_id) c
             LEFT JOIN device d ON d.id = c.device_id",
        )?;
        let mut counts: std::collections::BTreeMap<Option<String>, u64> = Default::default();
        let rows = stmt.query_map(params![base, base + super::ACCOUNT_FACTOR], |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?))
        })?;
        for r in rows {
            let (label, n) = r?;
            *counts.entry(label).or_default() += n as u64;
        }
        // Chosen sources without samples here (yet) are listed too.
        for label in policy.choices.keys() {
            counts.entry(Some(label.clone())).or_default();
        }
        Ok(counts
            .into_iter()
            .map(|(source, samples)| SourceInfo {
                counted: policy.counts(source.as_deref()),
                counted_by_default: crate::sources::counted_by_default(source.as_deref()),
                chosen_at: source
                    .as_ref()
                    .and_then(|s| policy.choices.get(s))
                    .map(|c| c.changed_at.clone()),
                source,
                samples,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::{Sample, HOUR};

    const T0: i64 = 1_780_000_000 / HOUR * HOUR;
    const WATCH: &str = "Pixel Watch 3";
    const PHONE: &str = "Phone Health Connect";

    /// A watch every 5 s for six hours, and a phone app reading 50 bpm higher beside every
    /// 37th of them: at the same second (odd ones) or the next.
    fn samples() -> Vec<Sample> {
        let mut out = Vec::new();
        for i in 0..(6 * HOUR / 5) {
            let ts = T0 + i * 5;
            let bpm = 60 + (i * 7 % 41) as u16;
            out.push(Sample {
                device: Some(WATCH.into()),
                ..Sample::new(ts, bpm)
            });
            if i % 37 == 0 {
                out.push(Sample {
                    device: Some(PHONE.into()),
                    ..Sample::new(ts + (i / 37 % 2), bpm + 50)
                });
            }
        }
        out
    }

    /// (hour -> (max, count)) computed here from the samples of the sources in `counted`.
    fn expected(samples: &[Sample], counted: &[&str]) -> BTreeMap<i64, (i64, i64)> {
        let mut out: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
        for s in samples {
            if counted.contains(&s.device.as_deref().unwrap()) {
                let e = out.entry(s.ts / HOUR * HOUR).or_default();
                e.0 = e.0.max(i64::from(s.bpm));
                e.1 += 1;
            }
        }
        out
    }

    fn stored(store: &Store) -> BTreeMap<i64, (i64, i64)> {
        store
            .conn
            .prepare("SELECT hour_epoch, max_bpm, sample_count FROM hourly_max")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    fn choice(counted: bool, at: &str) -> Choice {
        Choice {
            counted,
            changed_at: at.into(),
        }
    }

    #[test]
    fn the_hourly_max_counts_the_wearable_and_follows_the_choices() {
        let mut store = Store::open_in_memory().unwrap();
        let a = store.ensure_account("a", "now").unwrap();
        let all = samples();
        // In two transactions, the phone's first, as a pull and an import might.
        let (phone, watch): (Vec<_>, Vec<_>) = all
            .iter()
            .cloned()
            .partition(|s| s.device.as_deref() == Some(PHONE));
        for batch in [&phone, &watch] {
            let mut w = store.sample_writer(a).unwrap();
            for s in batch.iter() {
                w.insert(s).unwrap();
            }
            w.commit().unwrap();
        }
        let watch_only = expected(&all, &[WATCH]);
        assert_eq!(stored(&store), watch_only);
        let n_phone = phone.len() as u64;
        assert!(n_phone > 100);
        assert_eq!(
            store.sources(a).unwrap(),
            vec![
                SourceInfo {
                    source: Some(PHONE.into()),
                    samples: n_phone,
                    counted: false,
                    counted_by_default: false,
                    chosen_at: None
                },
                SourceInfo {
                    source: Some(WATCH.into()),
                    samples: watch.len() as u64,
                    counted: true,
                    counted_by_default: true,
                    chosen_at: None
                },
            ]
        );

        // The user counts the phone: every hour goes up; then not: every hour comes down.
        assert!(store
            .choose_source(a, PHONE, &choice(true, "2026-12-01T10:00:00Z"))
            .unwrap());
        let both = expected(&all, &[WATCH, PHONE]);
        assert_ne!(both, watch_only);
        assert_eq!(stored(&store), both);
        // An older choice (another machine's, merged late) does not undo a newer one.
        assert!(!store
            .choose_source(a, PHONE, &choice(false, "2026-12-01T09:00:00Z"))
            .unwrap());
        assert_eq!(stored(&store), both);
        assert!(store
            .choose_source(a, PHONE, &choice(false, "2026-12-01T11:00:00Z"))
            .unwrap());
        assert_eq!(stored(&store), watch_only);
        // Excluding the watch too leaves no hour.
        store
            .choose_source(a, WATCH, &choice(false, "2026-12-01T12:00:00Z"))
            .unwrap();
        assert!(stored(&store).is_empty());
        // New samples follow the policy as they arrive.
        store
            .choose_source(a, WATCH, &choice(true, "2026-12-01T13:00:00Z"))
            .unwrap();
        let mut w = store.sample_writer(a).unwrap();
        let late = Sample {
            device: Some(PHONE.into()),
            ..Sample::new(T0 + 2, 250)
        };
        w.insert(&late).unwrap();
        w.commit().unwrap();
        assert_eq!(stored(&store), watch_only);
    }

    #[test]
    fn an_upgraded_store_recomputes_its_hours_under_the_default_policy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v7.db");
        let all = samples();
        {
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            super::super::embedded::migrations::runner()
                .set_target(refinery::Target::Version(7))
                .run(&mut conn)
                .unwrap();
            // What version 7 stored: one sample an instant (the first source to arrive),
            // every source counted, as its own GROUP BY computed.
            conn.execute_batch(
                "INSERT INTO account VALUES (0, 'a', 'then');
                 INSERT INTO device VALUES (1, 'Pixel Watch 3'), (2, 'Phone Health Connect');",
            )
            .unwrap();
            let mut kept = BTreeMap::new();
            for s in &all {
                kept.entry(s.ts).or_insert(s.clone());
            }
            for s in kept.values() {
                let d = if s.device.as_deref() == Some(WATCH) {
                    1
                } else {
                    2
                };
                conn.execute(
                    "INSERT INTO sample (key, bpm, device_id) VALUES (?1, ?2, ?3)",
                    params![s.ts, s.bpm, d],
                )
                .unwrap();
            }
            conn.execute_batch(
                "INSERT INTO hour_max (account_id, hour, max_bpm, sample_count)
                 SELECT 0, key / 3600 * 3600, max(bpm), count(*) FROM sample GROUP BY 1, 2;",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        // The instants the phone took first are the phone's; the watch's readings there
        // were never stored, so only the watch's samples that were are counted.
        let mut first = BTreeMap::new();
        for s in &all {
            first.entry(s.ts).or_insert(s.clone());
        }
        let kept: Vec<Sample> = first.into_values().collect();
        assert_eq!(stored(&store), expected(&kept, &[WATCH]));
        let versions: Vec<Option<i64>> = store
            .conn
            .prepare("SELECT DISTINCT policy FROM hour_max")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(versions, vec![Some(Policy::default().version() as i64)]);
    }
}

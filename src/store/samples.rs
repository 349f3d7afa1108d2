//! Writing samples and keeping the hourly-max master table up to date.
//!
//! A [`SampleWriter`] is one write transaction. It remembers which UTC hours its writes
//! touched, and on commit recomputes exactly those hours, one aggregate per hour, so an
//! import of one day into a year-long history stays cheap; an hour whose every sample it
//! inserted as fresh history takes the figures gathered as they were inserted.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension, Transaction};

use super::{AccountId, Result, Store, StoreError, ACCOUNT_FACTOR};
use crate::model::{hour_of, Sample, HOUR};

/// What one insert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// A sample the store did not hold.
    New,
    /// The instant was stored already; this reading added its offset or device.
    Enriched,
    /// The instant was stored already with everything this reading knows.
    Present,
    /// A removal of the account names this reading (`crate::removals`): it is not stored,
    /// here or anywhere, since every machine leaves it out of the lake.
    Removed,
}

/// A set of UTC hour starts, kept as sorted, disjoint, half-open ranges `[start, end)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HourRanges {
    ranges: Vec<(i64, i64)>,
    sorted: bool,
}

impl HourRanges {
    /// Adds the hour that holds `ts`. Cheap when hours arrive in order.
    pub fn add_ts(&mut self, ts: i64) {
        let h = hour_of(ts);
        if let Some(last) = self.ranges.last_mut() {
            if last.0 <= h && h < last.1 {
                return;
            }
            if h == last.1 {
                last.1 = h + HOUR;
                return;
            }
            if h < last.0 {
                self.sorted = false;
            }
        }
        self.ranges.push((h, h + HOUR));
    }

    /// Sorted, merged ranges.
    pub fn ranges(&mut self) -> &[(i64, i64)] {
        if !self.sorted {
            self.ranges.sort_unstable();
            let mut merged: Vec<(i64, i64)> = Vec::with_capacity(self.ranges.len());
            for &(s, e) in &self.ranges {
                match merged.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            self.ranges = merged;
            self.sorted = true;
        }
        &self.ranges
    }

    /// Number of distinct hours.
    pub fn hour_count(&mut self) -> i64 {
        self.ranges().iter().map(|(s, e)| (e - s) / HOUR).sum()
    }

    pub fn extend(&mut self, mut other: HourRanges) {
        let extra = other.ranges().to_vec();
        if !extra.is_empty() {
            self.ranges.extend(extra);
            self.sorted = false;
        }
    }
}

/// The hours a [`SampleWriter`] touched, and the figures of those whose every sample it
/// inserted itself through its fast path for fresh history: those hours' rows are written
/// from the figures, not computed again from the samples (a fifth of an import's work on
/// the store's thread, docs/PERFORMANCE.md).
#[derive(Debug, Default)]
struct Touched {
    hours: HourRanges,
    /// By hour start: `Some` for an hour that held no sample when the fast path first
    /// wrote to it and that nothing else has touched since; `None` for one touched
    /// otherwise.
    gathered: HashMap<i64, Option<super::master::Gathered>>,
}

impl Touched {
    /// Adds the hour that holds `ts`, touched other than by inserting fresh history.
    fn add_ts(&mut self, ts: i64) {
        self.hours.add_ts(ts);
        self.gathered.insert(hour_of(ts), None);
    }

    /// Adds the hours of a run of increasing instants about to be inserted, none of them
    /// held, with their figures. An hour met first holds samples already or not, as
    /// `held(hour)` says.
    fn add_fresh(
        &mut self,
        run: &[&Sample],
        mut held: impl FnMut(i64) -> Result<bool>,
    ) -> Result<()> {
        let mut rest = run;
        while let Some(first) = rest.first() {
            let hour = hour_of(first.ts);
            let n = rest.partition_point(|s| s.ts < hour + HOUR);
            let (these, after) = rest.split_at(n);
            rest = after;
            self.hours.add_ts(first.ts);
            let entry = match self.gathered.entry(hour) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let fresh = !held(hour)?;
                    e.insert(fresh.then_some(super::master::Gathered {
                        hour,
                        max_bpm: i64::MIN,
                        sample_count: 0,
                        utc_offset_min: None,
                    }))
                }
            };
            if let Some(g) = entry {
                for s in these {
                    g.max_bpm = g.max_bpm.max(i64::from(s.bpm));
                    g.utc_offset_min = g.utc_offset_min.max(s.utc_offset_min);
                }
                g.sample_count += these.len() as i64;
            }
        }
        Ok(())
    }
}

/// One Takeout per-local-day file: its date and the first and last UTC stamps in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayFile {
    pub local_date: chrono::NaiveDate,
    pub first_ts: i64,
    pub last_ts: i64,
}

/// A span of UTC time `[start, end)` with the user's offset (minutes) in force, from the
/// day files or (`from_zone`) from the user's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetSpan {
    pub start: i64,
    pub end: i64,
    pub offset: i16,
    pub from_zone: bool,
}

/// The UTC ranges in which two sorted, non-overlapping span lists give an instant different
/// offsets (or one gives none), merged; a change of source alone is no change.
fn changed_ranges(a: &[OffsetSpan], b: &[OffsetSpan]) -> Vec<(i64, i64)> {
    let mut cuts: Vec<i64> = a.iter().chain(b).flat_map(|s| [s.start, s.end]).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let at = |spans: &[OffsetSpan], t: i64| {
        let i = spans.partition_point(|s| s.start <= t);
        i.checked_sub(1)
            .map(|i| spans[i])
            .filter(|s| s.end > t)
            .map(|s| s.offset)
    };
    let mut out: Vec<(i64, i64)> = Vec::new();
    for w in cuts.windows(2) {
        if at(a, w[0]) != at(b, w[0]) {
            match out.last_mut() {
                Some(last) if last.1 == w[0] => last.1 = w[1],
                _ => out.push((w[0], w[1])),
            }
        }
    }
    out
}

/// The parts of a [`SampleWriter`] its fast path for held runs uses.
struct HeldRun<'w, 's> {
    tx: &'w Transaction<'s>,
    devices: &'w mut HashMap<String, i64>,
    wearables: &'w mut HashMap<i64, bool>,
    touched: &'w mut Touched,
    renamed: &'w mut HourRanges,
    account: AccountId,
    policy: &'w crate::sources::Policy,
}

impl HeldRun<'_, '_> {
    /// The fast path for a run of increasing instants that are all held already, one
    /// reading each, as a Takeout export's JSON and CSV twins meet when they arrive apart
    /// (a .tgz, a second import): what the one-by-one path would do, with one read of the
    /// run and at most one write. It applies when the run names no offset and one source
    /// for all (or none), and every instant is held by a sample that is the same reading:
    /// one that names no source or the run's, and for a run that names none, a wearable's.
    /// The held samples that name no source gain the run's (`Enriched`); the others are
    /// `Present`. `None`: another case, for the one-by-one path.
    fn apply(self, run: &[&Sample]) -> Result<Option<Vec<InsertOutcome>>> {
        let label = run[0].device.as_ref();
        if run
            .iter()
            .any(|s| s.utc_offset_min.is_some() || s.device.as_ref() != label)
        {
            return Ok(None);
        }
        let device = match label {
            Some(name) => {
                let d = device_id(self.tx, self.devices, (self.account, self.policy), name)?;
                if !wearable(self.tx, self.wearables, d)? {
                    return Ok(None);
                }
                Some(d)
            }
            None => None,
        };
        let base = self.account.key_base();
        let (first, last) = (base + run[0].ts, base + run[run.len() - 1].ts);
        let held: Vec<(i64, Option<i64>)> = self
            .tx
            .prepare_cached(
                "SELECT key, device_id FROM sample WHERE key BETWEEN ?1 AND ?2 LIMIT ?3",
            )?
            .query_map(params![first, last, 2 * run.len() as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        // A run that spans a gap holding many other samples (two days far apart) is not one.
        if held.len() == 2 * run.len() {
            return Ok(None);
        }
        // The held samples of the run's instants (others of the span, held and not in the
        // run, are left as they are); an instant of the run that is not held ends the path.
        let exact = held.len() == run.len();
        let mut outcomes = Vec::with_capacity(run.len());
        let mut enriched: Vec<i64> = Vec::new();
        let mut h = held.iter().peekable();
        for sample in run {
            let key = base + sample.ts;
            while h.peek().is_some_and(|(k, _)| *k < key) {
                h.next();
            }
            let Some(&&(k, held_by)) = h.peek() else {
                return Ok(None);
            };
            if k != key {
                return Ok(None);
            }
            let o = match (device, held_by) {
                (Some(_), None) => {
                    enriched.push(key);
                    InsertOutcome::Enriched
                }
                (Some(d), Some(h)) if d == h => InsertOutcome::Present,
                (None, None) => InsertOutcome::Present,
                (None, Some(h)) if wearable(self.tx, self.wearables, h)? => InsertOutcome::Present,
                _ => return Ok(None),
            };
            outcomes.push(o);
        }
        if exact && !enriched.is_empty() {
            self.tx
                .prepare_cached(
                    "UPDATE sample SET device_id = ?3
                      WHERE key BETWEEN ?1 AND ?2 AND device_id IS NULL",
                )?
                .execute(params![first, last, device])?;
        } else {
            let mut one = self.tx.prepare_cached(
                "UPDATE sample SET device_id = ?2 WHERE key = ?1 AND device_id IS NULL",
            )?;
            for &key in &enriched {
                one.execute(params![key, device])?;
            }
        }
        // A sample without a source counts, so one gaining a source the policy counts
        // leaves its hour as it was.
        let counted = label.is_some_and(|l| self.policy.counts(Some(l)));
        for key in enriched {
            if counted {
                self.renamed.add_ts(key - base);
            } else {
                self.touched.add_ts(key - base);
            }
        }
        Ok(Some(outcomes))
    }
}

/// A write transaction that inserts samples for one account.
pub struct SampleWriter<'s> {
    pub(super) tx: Transaction<'s>,
    pub(super) account: AccountId,
    devices: HashMap<String, i64>,
    /// The account's source policy, for the sources it meets first in this transaction.
    policy: crate::sources::Policy,
    /// Whether each source met is a wearable's own, by id.
    wearables: HashMap<i64, bool>,
    touched: Touched,
    /// Hours whose samples changed in a way their hourly max does not see (a reading that
    /// named no source gained one the policy counts): their days change in the lake, their
    /// rows in `hour_max` stay.
    renamed: HourRanges,
    /// Samples that came from the remote lake do not make their days dirty.
    from_remote: bool,
    /// The marks of the account's removals, by day, as met (`None`: it has none).
    removed: Option<HashMap<i64, crate::removals::DayMarks>>,
}

impl Store {
    /// Starts a write transaction for `account`'s samples.
    pub fn sample_writer(&mut self, account: AccountId) -> Result<SampleWriter<'_>> {
        let tx = self.begin()?;
        let policy = super::sources::load_policy(&tx, account)?;
        let removed = (!policy.removed.is_empty()).then(HashMap::new);
        Ok(SampleWriter {
            tx,
            account,
            devices: HashMap::new(),
            policy,
            wearables: HashMap::new(),
            touched: Touched::default(),
            renamed: HourRanges::default(),
            from_remote: false,
            removed,
        })
    }

    /// Like [`Store::sample_writer`], for samples read back from the remote lake.
    pub fn sample_writer_from_remote(&mut self, account: AccountId) -> Result<SampleWriter<'_>> {
        let mut w = self.sample_writer(account)?;
        w.from_remote = true;
        Ok(w)
    }

    /// Day files recorded for `account`, by date.
    pub fn day_files(&self, account: AccountId) -> Result<Vec<DayFile>> {
        let mut stmt = self.conn.prepare(
            "SELECT local_date, first_ts, last_ts FROM day_file
             WHERE account_id = ?1 ORDER BY local_date",
        )?;
        let rows = stmt
            .query_map([account.0], |r| {
                let d: String = r.get(0)?;
                Ok((d, r.get(1)?, r.get(2)?))
            })?
            .collect::<Result<Vec<(String, i64, i64)>, _>>()?;
        rows.into_iter()
            .map(|(d, first_ts, last_ts)| {
                let local_date = crate::formats::date(&d)
                    .ok_or_else(|| StoreError::Query(format!("bad day_file date {d:?}")))?;
                Ok(DayFile {
                    local_date,
                    first_ts,
                    last_ts,
                })
            })
            .collect()
    }

    /// Replaces the offset spans of `account` (all from day files; see
    /// [`Store::set_offsets`]).
    pub fn replace_offset_spans(
        &mut self,
        account: AccountId,
        spans: &[(i64, i64, i16)],
    ) -> Result<()> {
        let spans: Vec<OffsetSpan> = spans
            .iter()
            .map(|&(start, end, offset)| OffsetSpan {
                start,
                end,
                offset,
                from_zone: false,
            })
            .collect();
        self.set_offsets(account, &spans, None)
    }

    /// Replaces the offset spans of `account` (sorted, not overlapping), and records the
    /// zone they were computed with (`zone`: its name, where it came from, and now, the time
    /// of the choice if it is a new one: UTC epoch seconds). The UTC years
    /// in which an hour's offset changed count as changed for the remote's master objects,
    /// so that the next sync writes their new local times.
    pub fn set_offsets(
        &mut self,
        account: AccountId,
        spans: &[OffsetSpan],
        zone: Option<(&str, &str, i64)>,
    ) -> Result<()> {
        let tx = self.begin()?;
        let old: Vec<OffsetSpan> = tx
            .prepare(
                "SELECT start_ts, end_ts, utc_offset_min, source = 'zone' FROM offset_span
                  WHERE account_id = ?1 ORDER BY start_ts",
            )?
            .query_map([account.0], |r| {
                Ok(OffsetSpan {
                    start: r.get(0)?,
                    end: r.get(1)?,
                    offset: r.get(2)?,
                    from_zone: r.get::<_, Option<bool>>(3)?.unwrap_or(false),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        tx.execute("DELETE FROM offset_span WHERE account_id = ?1", [account.0])?;
        {
            let mut stmt = tx.prepare(
                "INSERT OR REPLACE INTO offset_span (account_id, start_ts, end_ts, utc_offset_min, source)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for s in spans {
                let source = if s.from_zone { "zone" } else { "day_files" };
                stmt.execute(params![account.0, s.start, s.end, s.offset, source])?;
            }
        }
        let mut bump = tx.prepare(
            "UPDATE master_seq SET seq = seq + 1 WHERE id = 1
              AND EXISTS (SELECT 1 FROM hour_max WHERE account_id = ?1 AND hour >= ?2 AND hour < ?3)",
        )?;
        let mut note = tx.prepare(
            "INSERT INTO master_change (account_id, year, seq)
             SELECT ?1, ?2, seq FROM master_seq WHERE id = 1
             ON CONFLICT (account_id, year) DO UPDATE SET seq = excluded.seq",
        )?;
        // A zone chosen now gives every hour it places the time of this choice: all of them
        // change for the remote, or another machine's copy of an earlier choice would win.
        let held: Option<String> = tx
            .query_row(
                "SELECT zone FROM account_zone WHERE account_id = ?1",
                [account.0],
                |r| r.get(0),
            )
            .optional()?;
        let chosen_now = zone.is_some_and(|(name, _, _)| held.as_deref() != Some(name));
        let mut changed = changed_ranges(&old, spans);
        if let (true, Some(first), Some(last)) = (chosen_now, spans.first(), spans.last()) {
            changed.push((first.start, last.end));
        }
        for (from, to) in changed {
            let (first, last) = (crate::model::year_of(from), crate::model::year_of(to - 1));
            for year in first..=last {
                let (a, b) = (
                    crate::model::year_start(year).max(from),
                    crate::model::year_start(year + 1).min(to),
                );
                if bump.execute(params![account.0, a, b])? > 0 {
                    note.execute(params![account.0, year])?;
                }
            }
        }
        drop((bump, note));
        match zone {
            // A zone chosen now takes the time of the choice, after the one it replaces even
            // within a second or with the clock set back; the same zone keeps its time.
            Some((name, source, now)) => tx.execute(
                "INSERT INTO account_zone (account_id, zone, source, chosen_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (account_id) DO UPDATE
                    SET zone = excluded.zone, source = excluded.source,
                        chosen_at = CASE WHEN account_zone.zone IS excluded.zone
                                         THEN account_zone.chosen_at
                                         ELSE max(excluded.chosen_at,
                                                  coalesce(account_zone.chosen_at, 0) + 1) END",
                params![account.0, name, source, now],
            )?,
            None => tx.execute(
                "DELETE FROM account_zone WHERE account_id = ?1",
                [account.0],
            )?,
        };
        tx.commit()?;
        Ok(())
    }

    /// The zone `account`'s offsets were last computed with, and where it came from.
    pub fn account_zone(&self, account: AccountId) -> Result<Option<(String, String)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT zone, source FROM account_zone WHERE account_id = ?1",
                [account.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Records a finished import (`uid`: its id, under which its marks were recorded).
    #[allow(clippy::too_many_arguments)]
    pub fn record_import_run(
        &mut self,
        uid: &str,
        account: AccountId,
        started_at: &str,
        finished_at: &str,
        files: u64,
        samples_new: u64,
        samples_present: u64,
        rejected: u64,
        hours_touched: i64,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        // It is no longer under way (`Store::open_import`).
        tx.execute("DELETE FROM import_open WHERE uid = ?1", [uid])?;
        tx.execute(
            "INSERT INTO import_run (account_id, started_at, finished_at, files, samples_new,
                                     samples_present, rejected, hours_touched, uid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                account.0,
                started_at,
                finished_at,
                files as i64,
                samples_new as i64,
                samples_present as i64,
                rejected as i64,
                hours_touched,
                uid
            ],
        )?;
        tx.commit()?;
        Ok(())
    }
}

impl SampleWriter<'_> {
    /// Inserts one sample; an instant already stored keeps its bpm and gains what it lacked.
    pub fn insert(&mut self, s: &Sample) -> Result<InsertOutcome> {
        let mut outcome = None;
        self.insert_many(std::iter::once(s), |_, o| {
            outcome = Some(o);
            Ok(())
        })?;
        outcome.expect("one sample gives one outcome")
    }

    /// Inserts samples, handing each one's outcome to `each` (which may stop the batch by
    /// returning an error). The statements are prepared once for the whole batch.
    pub fn insert_many<'a>(
        &mut self,
        samples: impl IntoIterator<Item = &'a Sample>,
        mut each: impl FnMut(&'a Sample, Result<InsertOutcome>) -> Result<()>,
    ) -> Result<()> {
        self.insert_runs(samples, |run, outcome| match outcome {
            Ok(o) => run.iter().try_for_each(|s| each(s, Ok(o))),
            Err(e) => each(run[0], Err(e)),
        })
    }

    /// [`SampleWriter::insert_many`], handing the outcome once for a run of samples that
    /// had the same one (an error for one sample at a time): a fresh run of history is
    /// told of in one call, not one a sample.
    pub fn insert_runs<'a>(
        &mut self,
        samples: impl IntoIterator<Item = &'a Sample>,
        mut each: impl FnMut(&[&'a Sample], Result<InsertOutcome>) -> Result<()>,
    ) -> Result<()> {
        let mut insert = self.tx.prepare_cached(
            "INSERT OR IGNORE INTO sample (key, bpm, utc_offset_min, device_id)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        let mut fill = self.tx.prepare_cached(
            "UPDATE sample
                SET utc_offset_min = coalesce(utc_offset_min, ?2),
                    device_id = coalesce(device_id, ?3)
              WHERE key = ?1
                AND ((utc_offset_min IS NULL AND ?2 IS NOT NULL)
                  OR (device_id IS NULL AND ?3 IS NOT NULL))",
        )?;
        let mut held_by = self
            .tx
            .prepare_cached("SELECT device_id FROM sample WHERE key = ?1")?;

        let base = self.account.key_base();
        let mut samples: Vec<&'a Sample> = samples.into_iter().collect();
        if let Some(by_day) = &mut self.removed {
            let mut kept = Vec::with_capacity(samples.len());
            for s in samples {
                let day = s.ts.div_euclid(crate::model::DAY);
                let marks = match by_day.entry(day) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(super::removals::marks_of_day(&self.tx, self.account, day)?)
                    }
                };
                if crate::removals::names(marks, s) {
                    each(&[s], Ok(InsertOutcome::Removed))?;
                } else {
                    kept.push(s);
                }
            }
            samples = kept;
        }
        let mut multi: Option<rusqlite::CachedStatement<'_>> = None;
        let mut multi_no_offset: Option<rusqlite::CachedStatement<'_>> = None;
        let mut rest: &[&'a Sample] = &samples;
        // After a run the fast paths could not take, its samples go one by one.
        let mut slow_left = 0usize;
        while !rest.is_empty() {
            // Fast path for fresh history: a run of increasing instants none of which is
            // stored yet goes in with one multi-row statement.
            if slow_left == 0 && rest.len() >= CHUNK {
                let chunk = &rest[..CHUNK];
                let (first, last) = (chunk[0].ts, chunk[CHUNK - 1].ts);
                let increasing = chunk.windows(2).all(|w| w[0].ts < w[1].ts);
                if increasing && first >= 0 && last < ACCOUNT_FACTOR {
                    let mut held_in = self.tx.prepare_cached(
                        "SELECT EXISTS (SELECT 1 FROM sample WHERE key BETWEEN ?1 AND ?2)",
                    )?;
                    let taken: bool =
                        held_in.query_row([base + first, base + last], |r| r.get(0))?;
                    if taken {
                        slow_left = CHUNK;
                        let run = HeldRun {
                            tx: &self.tx,
                            devices: &mut self.devices,
                            wearables: &mut self.wearables,
                            touched: &mut self.touched,
                            renamed: &mut self.renamed,
                            account: self.account,
                            policy: &self.policy,
                        };
                        if let Some(outcomes) = run.apply(chunk)? {
                            for (s, o) in chunk.iter().zip(outcomes) {
                                each(std::slice::from_ref(s), Ok(o))?;
                            }
                            rest = &rest[CHUNK..];
                            slow_left = 0;
                            continue;
                        }
                    }
                    if !taken {
                        // Bound in place: a vector of values cost a tenth of the writer's
                        // instructions (docs/PERFORMANCE.md).
                        // Most history states no offset: its statement binds none.
                        let offsets = chunk.iter().any(|s| s.utc_offset_min.is_some());
                        let (multi, width, sql) = if offsets {
                            (&mut multi, 4, &MULTI_INSERT)
                        } else {
                            (&mut multi_no_offset, 3, &MULTI_INSERT_NO_OFFSET)
                        };
                        if multi.is_none() {
                            *multi = Some(self.tx.prepare_cached(sql)?);
                        }
                        let multi = multi.as_mut().expect("prepared above");
                        // Sources come in runs: the last one's id is kept at hand.
                        let mut last: Option<(&std::sync::Arc<str>, i64)> = None;
                        for (i, s) in chunk.iter().enumerate() {
                            let device = match &s.device {
                                Some(name) => Some(match last {
                                    Some((l, id)) if l == name => id,
                                    _ => {
                                        let id = device_id(
                                            &self.tx,
                                            &mut self.devices,
                                            (self.account, &self.policy),
                                            name,
                                        )?;
                                        last = Some((name, id));
                                        id
                                    }
                                }),
                                None => None,
                            };
                            let at = width * i + 1;
                            multi.raw_bind_parameter(at, base + s.ts)?;
                            multi.raw_bind_parameter(at + 1, i64::from(s.bpm))?;
                            if offsets {
                                multi
                                    .raw_bind_parameter(at + 2, s.utc_offset_min.map(i64::from))?;
                            }
                            multi.raw_bind_parameter(at + width - 1, device)?;
                        }
                        self.touched.add_fresh(chunk, |hour| {
                            let hour = [base + hour, base + hour + HOUR - 1];
                            Ok(held_in.query_row(hour, |r| r.get(0))?)
                        })?;
                        let n = multi.raw_execute()?;
                        debug_assert_eq!(n, CHUNK);
                        each(chunk, Ok(InsertOutcome::New))?;
                        rest = &rest[CHUNK..];
                        continue;
                    }
                }
            }
            let s = rest[0];
            rest = &rest[1..];
            slow_left = slow_left.saturating_sub(1);
            if s.ts < 0 || s.ts >= ACCOUNT_FACTOR {
                each(&[s], Err(StoreError::TimeOutOfRange(s.ts)))?;
                continue;
            }
            let key = base + s.ts;
            let device = match &s.device {
                Some(name) => Some(device_id(
                    &self.tx,
                    &mut self.devices,
                    (self.account, &self.policy),
                    name,
                )?),
                None => None,
            };
            let outcome = if insert.execute(params![key, s.bpm, s.utc_offset_min, device])? == 1 {
                self.touched.add_ts(s.ts);
                InsertOutcome::New
            } else {
                // The instant is held: by this source; by a sample that names none, which
                // is the wearable's own (a Takeout day file's): the same reading, when this
                // one names a wearable, and it gains the name; or by another source.
                let held: Option<i64> = held_by.query_row([key], |r| r.get(0))?;
                let held_wearable = match held {
                    None => true,
                    Some(h) => wearable(&self.tx, &mut self.wearables, h)?,
                };
                match (device, held) {
                    (Some(d), Some(h)) if d != h => {
                        another(&self.tx, &mut self.touched, key, d, s)?
                    }
                    (Some(d), None) if !wearable(&self.tx, &mut self.wearables, d)? => {
                        another(&self.tx, &mut self.touched, key, d, s)?
                    }
                    // The wearable's unnamed reading where another source's is held: it
                    // takes the instant, and the other moves beside it.
                    (None, Some(h)) if !held_wearable => {
                        self.tx
                            .prepare_cached(
                                "INSERT OR IGNORE INTO sample_more (key, device_id, bpm, utc_offset_min)
                                 SELECT key, device_id, bpm, utc_offset_min FROM sample WHERE key = ?1",
                            )?
                            .execute([key])?;
                        self.tx
                            .prepare_cached(
                                "UPDATE sample SET bpm = ?2, utc_offset_min = ?3, device_id = NULL
                                  WHERE key = ?1 AND device_id = ?4",
                            )?
                            .execute(params![key, s.bpm, s.utc_offset_min, h])?;
                        self.touched.add_ts(s.ts);
                        InsertOutcome::New
                    }
                    _ if s.utc_offset_min.is_none() && device.is_none() => InsertOutcome::Present,
                    _ if fill.execute(params![key, s.utc_offset_min, device])? == 1 => {
                        // A new offset or source changes what the hour shows or counts.
                        self.touched.add_ts(s.ts);
                        InsertOutcome::Enriched
                    }
                    _ => InsertOutcome::Present,
                }
            };
            each(&[s], Ok(outcome))?;
        }
        Ok(())
    }

    /// Records (or widens) the bounds of a Takeout per-local-day file.
    pub fn record_day_file(&mut self, day: &DayFile) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO day_file (account_id, local_date, first_ts, last_ts)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (account_id, local_date) DO UPDATE
                    SET first_ts = min(first_ts, excluded.first_ts),
                        last_ts = max(last_ts, excluded.last_ts)",
            )?
            .execute(params![
                self.account.0,
                day.local_date.to_string(),
                day.first_ts,
                day.last_ts
            ])?;
        Ok(())
    }

    /// Recomputes the touched hours, commits, and returns the hours touched.
    pub fn commit(self) -> Result<HourRanges> {
        let Self {
            tx,
            account,
            policy,
            touched: Touched {
                mut hours,
                gathered,
            },
            mut renamed,
            from_remote,
            ..
        } = self;
        let (any_more, all_counted) = super::master::what_counts(&tx, account)?;
        let mut again = HourRanges::default();
        let mut written = Vec::new();
        for &(start, end) in hours.ranges() {
            for hour in (start..end).step_by(HOUR as usize) {
                match gathered.get(&hour) {
                    Some(Some(g)) if all_counted && !any_more => written.push(*g),
                    _ => again.add_ts(hour),
                }
            }
        }
        super::master::recompute_hours(&tx, account, again.ranges(), policy.version())?;
        super::master::write_hours(&tx, account, &written, policy.version())?;
        if !from_remote {
            let mut mark = tx.prepare_cached(
                "INSERT OR IGNORE INTO lake_dirty (account_id, day) VALUES (?1, ?2)",
            )?;
            for &(start, end) in hours.ranges().iter().chain(renamed.ranges()) {
                for day in
                    start.div_euclid(crate::model::DAY)..=(end - 1).div_euclid(crate::model::DAY)
                {
                    mark.execute(params![account.0, day])?;
                }
            }
        }
        tx.commit()?;
        Ok(hours)
    }
}

/// Whether source `id` is a wearable's own (counted by default), from its label.
fn wearable(tx: &Transaction<'_>, cache: &mut HashMap<i64, bool>, id: i64) -> Result<bool> {
    if let Some(&w) = cache.get(&id) {
        return Ok(w);
    }
    let name: Option<String> = tx
        .prepare_cached("SELECT name FROM device WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let w = crate::sources::counted_by_default(name.as_deref());
    cache.insert(id, w);
    Ok(w)
}

/// Stores `s` of source `d` beside the sample another source holds at `key`.
fn another(
    tx: &Transaction<'_>,
    touched: &mut Touched,
    key: i64,
    d: i64,
    s: &Sample,
) -> Result<InsertOutcome> {
    let new = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO sample_more (key, device_id, bpm, utc_offset_min)
                 VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![key, d, s.bpm, s.utc_offset_min])?;
    if new == 1 {
        touched.add_ts(s.ts);
        return Ok(InsertOutcome::New);
    }
    let filled = tx
        .prepare_cached(
            "UPDATE sample_more SET utc_offset_min = ?3
                  WHERE key = ?1 AND device_id = ?2 AND utc_offset_min IS NULL AND ?3 IS NOT NULL",
        )?
        .execute(params![key, d, s.utc_offset_min])?;
    if filled == 1 {
        touched.add_ts(s.ts);
        return Ok(InsertOutcome::Enriched);
    }
    Ok(InsertOutcome::Present)
}

/// Rows per multi-row insert.
const CHUNK: usize = 128;

static MULTI_INSERT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| multi_insert("?"));

/// [`MULTI_INSERT`] for rows that state no offset.
static MULTI_INSERT_NO_OFFSET: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| multi_insert("NULL"));

/// An insert of [`CHUNK`] rows of key, bpm, `offset` (a parameter or a literal), source.
fn multi_insert(offset: &str) -> String {
    let rows = vec![format!("(?,?,{offset},?)"); CHUNK].join(",");
    format!("INSERT INTO sample (key, bpm, utc_offset_min, device_id) VALUES {rows}")
}

/// The id of source `name`, adding it when new, and recorded as one of `account`'s sources
/// with whether its policy counts it; `cache` spares repeated look-ups.
fn device_id(
    tx: &Transaction<'_>,
    cache: &mut HashMap<String, i64>,
    (account, policy): (AccountId, &crate::sources::Policy),
    name: &str,
) -> Result<i64> {
    if let Some(&id) = cache.get(name) {
        return Ok(id);
    }
    let found: Option<i64> = tx
        .query_row("SELECT id FROM device WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?;
    let id = match found {
        Some(id) => id,
        None => {
            // Ids start at 1: SQLite stores the integers 0 and 1 in no bytes at all.
            tx.execute(
                "INSERT INTO device (id, name)
                 VALUES ((SELECT coalesce(max(id), 0) + 1 FROM device), ?1)",
                [name],
            )?;
            tx.last_insert_rowid()
        }
    };
    tx.prepare_cached(
        "INSERT OR IGNORE INTO account_source (account_id, device_id, counted) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![account.0, id, policy.counts(Some(name))])?;
    cache.insert(name.to_string(), id);
    Ok(id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn changed_ranges_are_where_the_offset_of_an_instant_differs() {
        let span = |start, end, offset, from_zone| OffsetSpan {
            start,
            end,
            offset,
            from_zone,
        };
        let a = [span(0, 100, -300, false), span(100, 200, -240, true)];
        // The same offsets from another source, and one span longer: only the extension.
        let b = [span(0, 100, -300, true), span(100, 250, -240, false)];
        assert_eq!(changed_ranges(&a, &b), vec![(200, 250)]);
        // A different offset inside, and a span gone.
        let c = [span(0, 50, -300, false), span(50, 100, 60, false)];
        assert_eq!(changed_ranges(&a, &c), vec![(50, 200)]);
        assert_eq!(changed_ranges(&a, &a), vec![]);
    }

    use super::*;

    fn sample(ts: i64, bpm: u16) -> Sample {
        Sample::new(ts, bpm)
    }

    #[test]
    fn hour_ranges_merge_in_and_out_of_order() {
        let mut r = HourRanges::default();
        for ts in [0, 10, 3600, 7300, 36_000, 3599, 100_000] {
            r.add_ts(ts);
        }
        assert_eq!(
            r.ranges(),
            &[(0, 10_800), (36_000, 39_600), (97_200, 100_800)]
        );
        assert_eq!(r.hour_count(), 5);
    }

    #[test]
    fn insert_is_idempotent_and_fills_missing_attributes() {
        let mut store = Store::open_in_memory().unwrap();
        let acct = store.ensure_account("default", "t").unwrap();
        let mut w = store.sample_writer(acct).unwrap();
        assert_eq!(w.insert(&sample(1000, 60)).unwrap(), InsertOutcome::New);
        assert_eq!(w.insert(&sample(1000, 61)).unwrap(), InsertOutcome::Present);
        let richer = Sample {
            device: Some("Pixel Watch 3".into()),
            ..sample(1000, 62)
        };
        assert_eq!(w.insert(&richer).unwrap(), InsertOutcome::Enriched);
        assert_eq!(w.insert(&richer).unwrap(), InsertOutcome::Present);
        w.commit().unwrap();
        let (bpm, dev): (i64, String) = store
            .conn
            .query_row("SELECT bpm, device FROM samples", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((bpm, dev.as_str()), (60, "Pixel Watch 3"));
    }

    /// Everything a store holds of samples and hours, to compare two stores.
    fn contents(store: &Store) -> Vec<String> {
        let mut out = Vec::new();
        for sql in [
            "SELECT ts_utc, bpm, utc_offset_s, device, counted FROM samples ORDER BY 1, 4",
            "SELECT account_id, day FROM lake_dirty ORDER BY 1, 2",
            "SELECT account, hour_epoch, max_bpm, sample_count FROM hourly_max ORDER BY 1, 2",
        ] {
            let mut stmt = store.conn.prepare(sql).unwrap();
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    Ok((0..n)
                        .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                        .collect::<Vec<_>>()
                        .join(","))
                })
                .unwrap()
                .collect::<rusqlite::Result<Vec<_>>>()
                .unwrap();
            out.extend(rows);
        }
        out
    }

    #[test]
    fn fresh_runs_keep_their_offsets_and_sources_as_given() {
        // Runs long enough for the multi-row inserts: with offsets (an API page's), without
        // (a Takeout file's), and one that mixes both; read back one by one.
        let mut store = Store::open_in_memory().unwrap();
        let acct = store.ensure_account("default", "t").unwrap();
        let mut given = Vec::new();
        for i in 0..3 * CHUNK as i64 {
            let offset = match i / CHUNK as i64 {
                0 => Some(-300),
                1 => None,
                _ => (i % 3 == 0).then_some(330),
            };
            given.push(Sample {
                utc_offset_min: offset,
                device: (i % 2 == 0).then(|| "Pixel Watch 3".into()),
                ..sample(1_700_000_000 + 5 * i, 50 + (i % 100) as u16)
            });
        }
        let mut w = store.sample_writer(acct).unwrap();
        let mut outcomes = Vec::new();
        w.insert_many(&given, |_, o| {
            outcomes.push(o?);
            Ok(())
        })
        .unwrap();
        w.commit().unwrap();
        assert!(outcomes.iter().all(|o| *o == InsertOutcome::New));
        let stored: Vec<(i64, i64, Option<i64>, Option<String>)> = store
            .conn
            .prepare(
                "SELECT s.key, s.bpm, s.utc_offset_min, d.name
                   FROM sample s LEFT JOIN device d ON d.id = s.device_id ORDER BY s.key",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let expected: Vec<(i64, i64, Option<i64>, Option<String>)> = given
            .iter()
            .map(|s| {
                let key = acct.key_base() + s.ts;
                let device = s.device.as_deref().map(String::from);
                (
                    key,
                    i64::from(s.bpm),
                    s.utc_offset_min.map(i64::from),
                    device,
                )
            })
            .collect();
        assert_eq!(stored, expected);
    }

    #[test]
    fn held_runs_end_as_the_one_by_one_path_leaves_them() {
        // A day file's readings (no source), then the CSV twin naming the watch, with gaps
        // on both sides, a phone app holding some instants first, and a run whose source
        // the account leaves out.
        let watch = |ts: i64, bpm: u16| Sample {
            device: Some("Pixel Watch 3".into()),
            ..sample(ts, bpm)
        };
        let phone = |ts: i64, bpm: u16| Sample {
            device: Some("Phone Health Connect".into()),
            ..sample(ts, bpm)
        };
        let ring = |ts: i64, bpm: u16| Sample {
            device: Some("Oura Ring".into()),
            ..sample(ts, bpm)
        };
        let json: Vec<Sample> = (0..3000)
            .filter(|i| i % 97 != 5)
            .map(|i| sample(1_700_000_000 + 5 * i, 60 + (i % 40) as u16))
            .collect();
        let apps: Vec<Sample> = (0..3000)
            .filter(|i| i % 331 == 7)
            .map(|i| phone(1_700_000_000 + 5 * i, 120))
            .collect();
        let csv: Vec<Sample> = (0..3000)
            .filter(|i| i % 89 != 3)
            .map(|i| watch(1_700_000_000 + 5 * i, 60 + (i % 40) as u16))
            .collect();
        let rings: Vec<Sample> = (3000..3600)
            .map(|i| ring(1_700_000_000 + 5 * i, 70))
            .collect();
        let ring_twins: Vec<Sample> = (3000..3600)
            .map(|i| sample(1_700_000_000 + 5 * i, 70))
            .collect();
        let run = |one_by_one: bool| {
            let mut store = Store::open_in_memory().unwrap();
            let acct = store.ensure_account("default", "t").unwrap();
            store
                .choose_source(
                    acct,
                    "Oura Ring",
                    &crate::sources::Choice {
                        counted: false,
                        changed_at: "t".into(),
                    },
                )
                .unwrap();
            let mut outcomes = Vec::new();
            for batch in [&apps, &json, &csv, &ring_twins, &rings] {
                let mut w = store.sample_writer(acct).unwrap();
                if one_by_one {
                    for s in batch.iter() {
                        outcomes.push(format!("{:?}", w.insert(s).unwrap()));
                    }
                } else {
                    w.insert_many(batch.iter(), |_, o| {
                        outcomes.push(format!("{:?}", o.unwrap()));
                        Ok(())
                    })
                    .unwrap();
                }
                w.commit().unwrap();
            }
            (outcomes, contents(&store))
        };
        let (fast, slow) = (run(false), run(true));
        assert_eq!(fast.0, slow.0, "outcomes");
        assert_eq!(fast.1, slow.1, "contents");
        assert!(fast.0.iter().filter(|o| *o == "Enriched").count() > 2000);
    }

    #[test]
    fn hourly_max_is_recomputed_for_touched_hours_only_and_per_account() {
        let mut store = Store::open_in_memory().unwrap();
        let a = store.ensure_account("a", "t").unwrap();
        let b = store.ensure_account("b", "t").unwrap();
        let mut w = store.sample_writer(a).unwrap();
        for (ts, bpm) in [(0, 50), (100, 70), (3600, 80), (7199, 90)] {
            w.insert(&sample(ts, bpm)).unwrap();
        }
        w.commit().unwrap();
        let mut w = store.sample_writer(b).unwrap();
        w.insert(&sample(50, 120)).unwrap();
        w.commit().unwrap();
        // Tamper with an untouched hour; a later write elsewhere must leave it alone.
        store
            .conn
            .execute(
                "UPDATE hour_max SET max_bpm = 1 WHERE account_id = 0 AND hour = 0",
                [],
            )
            .unwrap();
        let mut w = store.sample_writer(a).unwrap();
        w.insert(&sample(3700, 95)).unwrap();
        w.commit().unwrap();
        let rows: Vec<(String, String, i64, i64)> = store
            .conn
            .prepare("SELECT account, hour_start_utc, max_bpm, sample_count FROM hourly_max ORDER BY 1, 2")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                ("a".into(), "1970-01-01T00:00:00Z".into(), 1, 2),
                ("a".into(), "1970-01-01T01:00:00Z".into(), 95, 3),
                ("b".into(), "1970-01-01T00:00:00Z".into(), 120, 1),
            ]
        );
    }

    #[test]
    fn local_hour_uses_sample_offset_then_inferred_span() {
        let mut store = Store::open_in_memory().unwrap();
        let a = store.ensure_account("a", "t").unwrap();
        let mut w = store.sample_writer(a).unwrap();
        w.insert(&Sample {
            utc_offset_min: Some(330),
            ..sample(1_700_000_000, 80)
        })
        .unwrap();
        w.insert(&sample(1_700_010_000, 80)).unwrap();
        w.commit().unwrap();
        store
            .replace_offset_spans(a, &[(1_700_006_400, 1_700_092_800, -300)])
            .unwrap();
        let locals: Vec<Option<String>> = store
            .conn
            .prepare("SELECT hour_start_local FROM hourly_max ORDER BY hour_epoch")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            locals,
            vec![
                Some("2023-11-15T03:30:00+05:30".to_string()),
                Some("2023-11-14T20:00:00-05:00".to_string())
            ]
        );
    }
}

#[cfg(test)]
mod batch_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever mix of fresh, stored and repeated instants arrives, the multi-row fast
        /// path and the row-by-row path give the same table and the same outcome counts as a
        /// plain set computation.
        #[test]
        fn batches_agree_with_a_set_model(
            before in proptest::collection::btree_set(0i64..2000, 0..300),
            batch in proptest::collection::vec(0i64..2000, 0..700),
            sorted in any::<bool>(),
        ) {
            let mut store = Store::open_in_memory().unwrap();
            let acct = store.ensure_account("a", "t").unwrap();
            let mk = |ts: i64| Sample { ts, bpm: (40 + ts % 100) as u16, utc_offset_min: None, device: None };
            let mut w = store.sample_writer(acct).unwrap();
            for &ts in &before {
                w.insert(&mk(ts)).unwrap();
            }
            w.commit().unwrap();
            let mut batch = batch;
            if sorted {
                batch.sort();
                batch.dedup();
            }
            let samples: Vec<Sample> = batch.iter().map(|&ts| mk(ts)).collect();
            let mut new = 0;
            let mut w = store.sample_writer(acct).unwrap();
            w.insert_many(&samples, |_, o| {
                if o.unwrap() == InsertOutcome::New {
                    new += 1;
                }
                Ok(())
            })
            .unwrap();
            w.commit().unwrap();
            let mut all = before.clone();
            let mut expected_new = 0;
            for ts in &batch {
                if all.insert(*ts) {
                    expected_new += 1;
                }
            }
            prop_assert_eq!(new, expected_new);
            let count: i64 = store.conn.query_row("SELECT count(*) FROM sample", [], |r| r.get(0)).unwrap();
            prop_assert_eq!(count as usize, all.len());
            let hours: i64 = store.conn.query_row("SELECT sum(sample_count) FROM hour_max", [], |r| r.get(0)).unwrap_or(0);
            prop_assert_eq!(hours as usize, all.len());
        }
    }

    proptest! {
        /// The rows written from the figures gathered as fresh history is inserted are the
        /// rows computed from the stored samples: a GROUP BY over the table, and the one
        /// definition (`recompute_hours`) run again over every hour that holds samples. Runs
        /// of fresh instants land in hours that earlier writes, or this one, left partly
        /// filled; another machine's copy of an hour no sample here falls in stays as merged.
        #[test]
        fn hours_of_fresh_history_are_the_hours_of_their_samples(
            earlier in proptest::collection::btree_set(0i64..4 * HOUR, 0..60),
            runs in proptest::collection::vec((0i64..4 * HOUR, 1i64..40, 0usize..500), 1..4),
            scattered in proptest::collection::vec(0i64..4 * HOUR, 0..40),
            offsets in proptest::collection::vec(proptest::option::of(-600i16..600), 1..5),
            merged_first in any::<bool>(),
        ) {
            let mut store = Store::open_in_memory().unwrap();
            let acct = store.ensure_account("a", "t").unwrap();
            let mk = |ts: i64| Sample {
                ts,
                bpm: (40 + (ts * 7919) % 150) as u16,
                utc_offset_min: offsets[(ts as usize / 997) % offsets.len()],
                device: None,
            };
            if merged_first {
                // Another machine's copy of an hour, merged before any sample was here.
                let hour = crate::model::Hour {
                    hour: HOUR,
                    max_bpm: 250,
                    sample_count: 9,
                    utc_offset_min: Some(60),
                    policy: None,
                    local: Default::default(),
                };
                store.merge_master_hours(acct, &[hour]).unwrap();
            }
            let mut w = store.sample_writer(acct).unwrap();
            for &ts in &earlier {
                w.insert(&mk(ts)).unwrap();
            }
            w.commit().unwrap();
            for (start, step, len) in runs {
                let mut batch: Vec<Sample> = (0..len as i64).map(|i| mk(start + i * step)).collect();
                batch.extend(scattered.iter().map(|&ts| mk(ts)));
                let mut w = store.sample_writer(acct).unwrap();
                w.insert_many(&batch, |_, o| o.map(|_| ())).unwrap();
                w.commit().unwrap();
            }
            let rows = |s: &Store, sql: &str| -> Vec<(i64, i64, i64, Option<i64>)> {
                let mut stmt = s.conn.prepare(sql).unwrap();
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .unwrap()
                    .collect::<rusqlite::Result<_>>()
                    .unwrap()
            };
            let held = |s: &Store| {
                rows(s, "SELECT hour, max_bpm, sample_count, utc_offset_min FROM hour_max ORDER BY hour")
            };
            let written = held(&store);
            let mut expected = rows(
                &store,
                "SELECT key / 3600 * 3600, max(bpm), count(*), max(utc_offset_min)
                   FROM sample GROUP BY 1 ORDER BY 1",
            );
            // The hours that hold samples here; the merged copy stays as it came where
            // no sample of this machine landed in its hour.
            let sampled: Vec<(i64, i64)> = expected.iter().map(|r| (r.0, r.0 + HOUR)).collect();
            if merged_first && !expected.iter().any(|r| r.0 == HOUR) {
                expected.push((HOUR, 250, 9, Some(60)));
                expected.sort();
            }
            prop_assert_eq!(&written, &expected);
            // Each hour's policy and the provenance of its offset.
            type Rest = (i64, Option<i64>, Option<String>, Option<i64>);
            let full = |s: &Store| -> Vec<Rest> {
                let mut stmt = s.conn
                    .prepare("SELECT hour, policy, offset_from, offset_chosen_at FROM hour_max ORDER BY hour")
                    .unwrap();
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .unwrap()
                    .collect::<rusqlite::Result<_>>()
                    .unwrap()
            };
            let before = full(&store);
            let tx = store.begin().unwrap();
            let version = super::super::sources::load_policy(&tx, acct).unwrap().version();
            super::super::master::recompute_hours(&tx, acct, &sampled, version).unwrap();
            tx.commit().unwrap();
            prop_assert_eq!(held(&store), written);
            prop_assert_eq!(full(&store), before);
        }
    }

    #[test]
    fn a_zone_chosen_anew_is_later_and_changes_every_year_it_places() {
        let mut store = Store::open_in_memory().unwrap();
        let acct = store.ensure_account("a", "t").unwrap();
        // Hours in 2024 and 2025 (1_704_067_200 is 2024-01-01, 1_735_689_600 is 2025-01-01).
        let mut w = store.sample_writer(acct).unwrap();
        for ts in [1_710_000_000, 1_740_000_000] {
            w.insert(&crate::model::Sample::new(ts, 70)).unwrap();
        }
        w.commit().unwrap();
        let span = OffsetSpan {
            start: 1_704_067_200,
            end: 1_767_225_600,
            offset: 60,
            from_zone: true,
        };
        let chosen = |s: &Store| -> i64 {
            s.conn
                .query_row("SELECT chosen_at FROM account_zone", [], |r| r.get(0))
                .unwrap()
        };
        let years = |s: &Store| {
            (
                s.master_year_seq(acct, 2024).unwrap(),
                s.master_year_seq(acct, 2025).unwrap(),
            )
        };
        // Every choice is made at the same second.
        let choose = |s: &mut Store, zone: &str| {
            s.set_offsets(acct, &[span], Some((zone, "config", 1_800_000_000)))
                .unwrap()
        };
        choose(&mut store, "Europe/Berlin");
        let (first, seqs) = (chosen(&store), years(&store));
        // The same zone again: the same time, nothing changed for the remote.
        choose(&mut store, "Europe/Berlin");
        assert_eq!((chosen(&store), years(&store)), (first, seqs));
        // Another zone of the same offsets, within the same second: a later choice, and
        // both years change, though no offset did.
        choose(&mut store, "Africa/Lagos");
        assert!(chosen(&store) > first);
        let now = years(&store);
        assert!(now.0 > seqs.0 && now.1 > seqs.1, "{seqs:?} -> {now:?}");
    }
}

//! Imports and their removals in the store: the marks an import writes with its samples
//! (`import_mark`), the removals applied (`removal`, `removal_mark`), deleting the readings
//! a removal names, and moving an import's readings to another account. See
//! `crate::removals` for what an import's readings are.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension, Transaction};

use super::{AccountId, HourRanges, Result, SampleWriter, Store, StoreError};
use crate::model::{Sample, DAY};
use crate::removals::{Marks, Removal, Seconds, Steps};

/// One import, as `fitpipe imports` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportInfo {
    /// The store's number for it (what `fitpipe imports remove` takes).
    pub id: i64,
    /// Its id on every machine; `None` for imports made before imports kept their marks.
    pub uid: Option<String>,
    pub account: String,
    pub started_at: String,
    pub finished_at: String,
    pub files: i64,
    pub samples_new: i64,
    pub samples_present: i64,
    pub rejected: i64,
    /// When it was removed or moved.
    pub removed_at: Option<String>,
    pub moved_to: Option<String>,
    /// Readings its marks name (what a removal would delete, where they are still held).
    pub marked: u64,
}

/// An import that started and did not finish (cut short by a crash, a laptop closed
/// mid-import, Ctrl-C): what it stored is kept, under its marks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InterruptedImport {
    pub uid: String,
    pub account: String,
    pub started_at: String,
    /// The paths it was given.
    pub inputs: Vec<String>,
    /// Readings its marks name.
    pub marked: u64,
}

/// What applying a removal did here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemovalApplied {
    /// Readings deleted from the store.
    pub readings: u64,
    /// UTC hours computed again.
    pub hours: i64,
}

/// The text a mark's source is stored as: the label, or '' for readings that name none.
fn source_text(label: &Option<String>) -> &str {
    label.as_deref().unwrap_or("")
}

fn source_label(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

fn read_marks(tx: &rusqlite::Connection, sql: &str, p: impl rusqlite::Params) -> Result<Marks> {
    let mut marks = Marks::new();
    let rows: Vec<(i64, String, String)> = tx
        .prepare_cached(sql)?
        .query_map(p, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (day, source, text) in rows {
        let seconds = Steps::parse(&text)
            .map_err(|e| StoreError::Query(format!("a stored mark of day {day}: {e}")))?;
        marks.insert((day, source_label(source)), seconds);
    }
    Ok(marks)
}

impl SampleWriter<'_> {
    /// Records that import `uid` wrote the readings of `marks` first, with the samples of
    /// this transaction (added to what it recorded before).
    pub fn record_marks(
        &mut self,
        uid: &str,
        marks: std::collections::BTreeMap<crate::removals::MarkKey, Seconds>,
    ) -> Result<()> {
        add_marks(&self.tx, uid, self.account, marks)
    }
}

/// Adds `marks` to import `uid`'s, a union with those it has.
fn add_marks(
    tx: &rusqlite::Connection,
    uid: &str,
    account: AccountId,
    marks: impl IntoIterator<Item = (crate::removals::MarkKey, Seconds)>,
) -> Result<()> {
    let mut get = tx.prepare_cached(
        "SELECT seconds FROM import_mark WHERE uid = ?1 AND day = ?2 AND source = ?3",
    )?;
    let mut put = tx.prepare_cached(
        "INSERT OR REPLACE INTO import_mark (uid, account_id, day, source, seconds)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for ((day, label), seconds) in marks {
        let source = source_text(&label);
        let held: Option<String> = get
            .query_row(params![uid, day, source], |r| r.get(0))
            .optional()?;
        let all = match held {
            Some(text) => Steps::parse(&text)
                .map_err(|e| StoreError::Query(format!("a stored mark: {e}")))?
                .decode()
                .union(&seconds),
            None => seconds,
        };
        put.execute(params![uid, account.0, day, source, all.encode().as_str()])?;
    }
    Ok(())
}

/// Readings a mark names are found by sets: the mark's instants go into the temporary table
/// `marked`, the ids of the sources that are a wearable's own into `wearable`.
fn prepare_marked(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS marked (key INTEGER PRIMARY KEY);
         CREATE TEMP TABLE IF NOT EXISTS wearable (id INTEGER PRIMARY KEY);
         DELETE FROM temp.wearable;",
    )?;
    let devices: Vec<(i64, String)> = tx
        .prepare("SELECT id, name FROM device")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut put = tx.prepare("INSERT INTO temp.wearable (id) VALUES (?1)")?;
    for (id, name) in devices {
        if crate::sources::counted_by_default(Some(&name)) {
            put.execute([id])?;
        }
    }
    Ok(())
}

/// One mark, loaded: its source's id (`None`: it names readings of no source, or of a
/// wearable's, `crate::removals::names_source`) and the hours of its instants.
struct Loaded {
    device: Option<i64>,
    hours: HourRanges,
}

impl Loaded {
    /// The condition on a `sample` row for the reading the mark names at its instant.
    fn main_condition(&self) -> String {
        match self.device {
            Some(d) => format!("device_id = {d}"),
            None => "(device_id IS NULL OR device_id IN (SELECT id FROM temp.wearable))".into(),
        }
    }
}

/// Visits each mark of `marks` (of `account`) with its instants in `temp.marked`; marks of
/// a source no sample ever named are skipped.
fn for_each_mark(
    tx: &Transaction<'_>,
    account: AccountId,
    marks: &Marks,
    mut f: impl FnMut(&Transaction<'_>, &Loaded) -> Result<()>,
) -> Result<()> {
    prepare_marked(tx)?;
    let base = account.key_base();
    for ((day, label), steps) in marks {
        let device = match label {
            Some(l) => match device_of(tx, l)? {
                Some(d) => Some(d),
                None => continue,
            },
            None => None,
        };
        tx.execute("DELETE FROM temp.marked", [])?;
        let mut hours = HourRanges::default();
        {
            let mut put = tx.prepare_cached("INSERT INTO temp.marked (key) VALUES (?1)")?;
            for &second in steps.decode().as_slice() {
                let ts = day * DAY + i64::from(second);
                put.execute([base + ts])?;
                hours.add_ts(ts);
            }
        }
        f(tx, &Loaded { device, hours })?;
    }
    Ok(())
}

/// A reading a mark names: key, bpm, offset, source id.
type Named = (i64, u16, Option<i16>, Option<i64>);

/// The readings a loaded mark names.
fn named_readings(tx: &Transaction<'_>, mark: &Loaded) -> Result<Vec<Named>> {
    let mut sql = format!(
        "SELECT key, bpm, utc_offset_min, device_id FROM sample
          WHERE key IN (SELECT key FROM temp.marked) AND {}",
        mark.main_condition()
    );
    if let Some(d) = mark.device {
        sql.push_str(&format!(
            " UNION ALL SELECT key, bpm, utc_offset_min, device_id FROM sample_more
               WHERE key IN (SELECT key FROM temp.marked) AND device_id = {d}"
        ));
    }
    let rows = tx
        .prepare_cached(&sql)?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Deletes the readings a loaded mark names; another source's reading of an instant whose
/// reading in `sample` went takes its place. Returns how many went.
fn delete_named(tx: &Transaction<'_>, mark: &Loaded) -> Result<u64> {
    let mut n = 0;
    if let Some(d) = mark.device {
        n += tx
            .prepare_cached(&format!(
                "DELETE FROM sample_more WHERE key IN (SELECT key FROM temp.marked) AND device_id = {d}"
            ))?
            .execute([])?;
    }
    let main = tx
        .prepare_cached(&format!(
            "DELETE FROM sample WHERE key IN (SELECT key FROM temp.marked) AND {}",
            mark.main_condition()
        ))?
        .execute([])?;
    if main > 0 {
        tx.prepare_cached(
            "INSERT INTO sample (key, bpm, utc_offset_min, device_id)
             SELECT m.key, m.bpm, m.utc_offset_min, m.device_id FROM sample_more m
              WHERE m.key IN (SELECT key FROM temp.marked)
                AND NOT EXISTS (SELECT 1 FROM sample s WHERE s.key = m.key)
                AND m.device_id = (SELECT min(x.device_id) FROM sample_more x WHERE x.key = m.key)",
        )?
        .execute([])?;
        tx.prepare_cached(
            "DELETE FROM sample_more WHERE key IN (SELECT key FROM temp.marked)
                AND EXISTS (SELECT 1 FROM sample s
                             WHERE s.key = sample_more.key AND s.device_id = sample_more.device_id)",
        )?
        .execute([])?;
    }
    Ok((n + main) as u64)
}

/// The device id of `label`, if any sample ever named it.
fn device_of(tx: &Transaction<'_>, label: &str) -> Result<Option<i64>> {
    Ok(tx
        .prepare_cached("SELECT id FROM device WHERE name = ?1")?
        .query_row([label], |r| r.get(0))
        .optional()?)
}

/// The marks of `account`'s removals on UTC day `day`.
pub(super) fn marks_of_day(
    conn: &rusqlite::Connection,
    account: AccountId,
    day: i64,
) -> Result<crate::removals::DayMarks> {
    let rows: Vec<(String, String)> = conn
        .prepare_cached(
            "SELECT source, seconds FROM removal_mark WHERE account_id = ?1 AND day = ?2",
        )?
        .query_map(params![account.0, day], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(source, text)| {
            let s = Steps::parse(&text)
                .map_err(|e| StoreError::Query(format!("a stored removal mark: {e}")))?;
            Ok((source_label(source), s.decode()))
        })
        .collect()
}

impl Store {
    /// A new import id: 16 hex digits from SQLite's random source.
    pub fn new_import_uid(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("SELECT lower(hex(randomblob(8)))", [], |r| r.get(0))?)
    }

    /// The imports of every account, oldest first.
    pub fn imports(&self) -> Result<Vec<ImportInfo>> {
        let mut stmt = self.conn.prepare(
            "SELECT r.id, r.uid, a.name, r.started_at, r.finished_at, r.files, r.samples_new,
                    r.samples_present, r.rejected, r.removed_at, r.moved_to
               FROM import_run r JOIN account a ON a.id = r.account_id ORDER BY r.id",
        )?;
        let mut out: Vec<ImportInfo> = stmt
            .query_map([], |r| {
                Ok(ImportInfo {
                    id: r.get(0)?,
                    uid: r.get(1)?,
                    account: r.get(2)?,
                    started_at: r.get(3)?,
                    finished_at: r.get(4)?,
                    files: r.get(5)?,
                    samples_new: r.get(6)?,
                    samples_present: r.get(7)?,
                    rejected: r.get(8)?,
                    removed_at: r.get(9)?,
                    moved_to: r.get(10)?,
                    marked: 0,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        for i in &mut out {
            if let Some(uid) = &i.uid {
                let marks = read_marks(
                    &self.conn,
                    "SELECT day, source, seconds FROM import_mark WHERE uid = ?1",
                    [uid],
                )?;
                i.marked = marks.values().map(|s| s.len() as u64).sum();
            }
        }
        Ok(out)
    }

    /// Notes that import `uid` of `account` has started on `inputs` (one path a line): until
    /// its [`Store::record_import_run`], it is an interrupted import.
    pub fn open_import(
        &self,
        uid: &str,
        account: AccountId,
        started_at: &str,
        inputs: &str,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO import_open (uid, account_id, started_at, inputs) VALUES (?1, ?2, ?3, ?4)",
            params![uid, account.0, started_at, inputs],
        )?;
        Ok(())
    }

    /// Import `uid` ends without having stored anything: it is not one cut short.
    pub fn forget_open_import(&self, uid: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM import_open WHERE uid = ?1", [uid])?;
        Ok(())
    }

    /// The imports that started and did not finish, oldest first; `except`: one under way.
    pub fn interrupted_imports(&self, except: Option<&str>) -> Result<Vec<InterruptedImport>> {
        let mut stmt = self.conn.prepare(
            "SELECT o.uid, a.name, o.started_at, o.inputs
               FROM import_open o JOIN account a ON a.id = o.account_id
              WHERE o.uid IS NOT ?1
              ORDER BY o.started_at, o.uid",
        )?;
        let mut out: Vec<InterruptedImport> = stmt
            .query_map([except], |r| {
                let inputs: String = r.get(3)?;
                Ok(InterruptedImport {
                    uid: r.get(0)?,
                    account: r.get(1)?,
                    started_at: r.get(2)?,
                    inputs: inputs.lines().map(str::to_string).collect(),
                    marked: 0,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        for i in &mut out {
            let marks = read_marks(
                &self.conn,
                "SELECT day, source, seconds FROM import_mark WHERE uid = ?1",
                [&i.uid],
            )?;
            i.marked = marks.values().map(|s| s.len() as u64).sum();
        }
        Ok(out)
    }

    /// Import `uid` of `account`, about to finish, takes over the imports of the same
    /// account and `inputs` that were cut short: their marks become its own (what they
    /// stored is what it would have stored first), so that removing it removes theirs too.
    /// Returns when each of them had started, and how many readings they had stored first.
    pub fn take_over_interrupted(
        &mut self,
        uid: &str,
        account: AccountId,
        inputs: &str,
    ) -> Result<Vec<(String, u64)>> {
        let tx = self.conn.transaction()?;
        let cut: Vec<(String, String)> = tx
            .prepare(
                "SELECT uid, started_at FROM import_open
                  WHERE account_id = ?1 AND inputs = ?2 AND uid <> ?3
                  ORDER BY started_at",
            )?
            .query_map(params![account.0, inputs, uid], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut taken = Vec::with_capacity(cut.len());
        for (old, at) in &cut {
            let theirs = read_marks(
                &tx,
                "SELECT day, source, seconds FROM import_mark WHERE uid = ?1",
                [old],
            )?;
            taken.push((at.clone(), theirs.values().map(|s| s.len() as u64).sum()));
            add_marks(
                &tx,
                uid,
                account,
                theirs.into_iter().map(|(k, steps)| (k, steps.decode())),
            )?;
            tx.execute("DELETE FROM import_mark WHERE uid = ?1", [old])?;
            tx.execute("DELETE FROM import_open WHERE uid = ?1", [old])?;
        }
        tx.commit()?;
        Ok(taken)
    }

    /// The removal of import `id` (its number here), made at `removed_at`: `None` when
    /// there is no such import.
    pub fn import_removal(&self, id: i64, removed_at: &str) -> Result<Option<Removal>> {
        let found: Option<(Option<String>, String)> = self
            .conn
            .query_row(
                "SELECT r.uid, a.name FROM import_run r JOIN account a ON a.id = r.account_id
                  WHERE r.id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((uid, account)) = found else {
            return Ok(None);
        };
        let Some(uid) = uid else {
            return Ok(Some(Removal {
                id: String::new(),
                account,
                removed_at: removed_at.to_string(),
                marks: Marks::new(),
            }));
        };
        let marks = read_marks(
            &self.conn,
            "SELECT day, source, seconds FROM import_mark WHERE uid = ?1",
            [&uid],
        )?;
        Ok(Some(Removal {
            id: uid,
            account,
            removed_at: removed_at.to_string(),
            marks,
        }))
    }

    /// How many removals were applied here.
    pub fn removal_count(&self) -> Result<usize> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM removal", [], |r| r.get::<_, i64>(0))?
            as usize)
    }

    /// Every removal applied here, by account and id.
    pub fn removals(&self) -> Result<Vec<Removal>> {
        let heads: Vec<(i64, String, String, String)> = self
            .conn
            .prepare(
                "SELECT r.account_id, a.name, r.uid, r.removed_at FROM removal r
                   JOIN account a ON a.id = r.account_id ORDER BY a.name, r.uid",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        heads
            .into_iter()
            .map(|(account_id, account, id, removed_at)| {
                let marks = read_marks(
                    &self.conn,
                    "SELECT day, source, seconds FROM removal_mark WHERE account_id = ?1 AND uid = ?2",
                    params![account_id, id],
                )?;
                Ok(Removal {
                    id,
                    account,
                    removed_at,
                    marks,
                })
            })
            .collect()
    }

    /// The marks of `account`'s removals on UTC day `day`: what a part of that day read
    /// from the lake must leave out.
    pub fn removal_marks_of_day(
        &self,
        account: AccountId,
        day: i64,
    ) -> Result<crate::removals::DayMarks> {
        marks_of_day(&self.conn, account, day)
    }

    /// Applies `r` to account `account`: records it, deletes the readings it names, and
    /// computes the hours they were in again, under the account's new policy version (which
    /// names the removal). `None` when it was applied before. `origin`: made here, so the
    /// lake's days of its marks are written again (their parts lose the readings).
    pub fn apply_removal(
        &mut self,
        account: AccountId,
        r: &Removal,
        origin: bool,
    ) -> Result<Option<RemovalApplied>> {
        let tx = self.begin()?;
        let known: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM removal WHERE account_id = ?1 AND uid = ?2)",
            params![account.0, r.id],
            |row| row.get(0),
        )?;
        if known {
            return Ok(None);
        }
        let before = super::sources::load_policy(&tx, account)?.version() as i64;
        let applied: Option<i64> = tx.query_row(
            "SELECT policy FROM account WHERE id = ?1",
            [account.0],
            |row| row.get(0),
        )?;
        tx.execute(
            "INSERT INTO removal (account_id, uid, removed_at) VALUES (?1, ?2, ?3)",
            params![account.0, r.id, r.removed_at],
        )?;
        {
            let mut put = tx.prepare(
                "INSERT INTO removal_mark (account_id, uid, day, source, seconds)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for ((day, label), seconds) in &r.marks {
                put.execute(params![
                    account.0,
                    r.id,
                    day,
                    source_text(label),
                    seconds.as_str()
                ])?;
            }
        }
        let mut touched = HourRanges::default();
        let mut readings = 0u64;
        for_each_mark(&tx, account, &r.marks, |tx, mark| {
            let n = delete_named(tx, mark)?;
            if n > 0 {
                readings += n;
                touched.extend(mark.hours.clone());
            }
            Ok(())
        })?;
        let version = super::sources::load_policy(&tx, account)?.version();
        super::master::recompute_hours(&tx, account, touched.ranges(), version)?;
        // The other hours are what they were: they only take the new version's name. (A
        // store whose hours were under another version yet computes them all again below.)
        let relabel = applied == Some(before);
        if relabel {
            tx.execute(
                "UPDATE hour_max SET policy = ?2 WHERE account_id = ?1 AND policy IS NOT ?2",
                params![account.0, version as i64],
            )?;
            tx.execute(
                "UPDATE account SET policy = ?2 WHERE id = ?1",
                params![account.0, version as i64],
            )?;
        }
        if origin {
            // Every remote's copy of the removals lacks this one: the next sync reads it.
            tx.execute(
                "DELETE FROM remote_object WHERE name = ?1",
                [crate::removals::REMOTE_OBJECT],
            )?;
            let mut mark =
                tx.prepare("INSERT OR IGNORE INTO lake_dirty (account_id, day) VALUES (?1, ?2)")?;
            let mut last = None;
            for (day, _) in r.marks.keys() {
                if last != Some(*day) {
                    mark.execute(params![account.0, day])?;
                    last = Some(*day);
                }
            }
        }
        let hours = touched.hour_count();
        tx.commit()?;
        if !relabel {
            self.apply_source_policy(account)?;
        }
        Ok(Some(RemovalApplied { readings, hours }))
    }

    /// Records that import `id` was removed at `removed_at` (and moved to `moved_to`).
    pub fn mark_import_removed(
        &mut self,
        id: i64,
        removed_at: &str,
        moved_to: Option<&str>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE import_run SET removed_at = ?2, moved_to = ?3 WHERE id = ?1",
            params![id, removed_at, moved_to],
        )?;
        Ok(())
    }

    /// Copies the readings `r` names (of its account, `from`) into account `to`, as import
    /// `uid` there: readings `to` holds already stay as they are. Returns the readings
    /// copied, the new ones and the hours touched; or, copying nothing, how many of them a
    /// removal of `to` names (they cannot be put back there).
    pub fn copy_named_readings(
        &mut self,
        from: AccountId,
        r: &Removal,
        to: AccountId,
        uid: &str,
    ) -> Result<std::result::Result<(u64, u64, HourRanges), u64>> {
        let mut copied = 0u64;
        let mut new = 0u64;
        let mut removed = 0u64;
        let mut w = self.sample_writer(to)?;
        let mut marks = crate::removals::MarkBuilder::default();
        let mut names: HashMap<i64, std::sync::Arc<str>> = HashMap::new();
        // A day at a time, so memory holds one day's readings.
        let days: Vec<i64> = {
            let mut d: Vec<i64> = r.marks.keys().map(|(day, _)| *day).collect();
            d.dedup();
            d
        };
        for day in days {
            let of_day: Marks = r
                .of_day(day)
                .map(|(label, steps)| ((day, label.clone()), steps.clone()))
                .collect();
            let mut samples: Vec<Sample> = Vec::new();
            for_each_mark(&w.tx, from, &of_day, |tx, mark| {
                for (key, bpm, offset, device) in named_readings(tx, mark)? {
                    // The reading's label now (a reading of no source that a later twin
                    // named keeps that name).
                    let device = match device {
                        Some(h) => Some(match names.get(&h) {
                            Some(n) => n.clone(),
                            None => {
                                let n: std::sync::Arc<str> = tx
                                    .prepare_cached("SELECT name FROM device WHERE id = ?1")?
                                    .query_row([h], |row| row.get::<_, String>(0))?
                                    .into();
                                names.insert(h, n.clone());
                                n
                            }
                        }),
                        None => None,
                    };
                    samples.push(Sample {
                        ts: key - from.key_base(),
                        bpm,
                        utc_offset_min: offset,
                        device,
                    });
                }
                Ok(())
            })?;
            samples.sort_by(|a, b| (a.ts, &a.device).cmp(&(b.ts, &b.device)));
            copied += samples.len() as u64;
            w.insert_many(&samples, |s, o| {
                match o? {
                    super::InsertOutcome::New => {
                        new += 1;
                        marks.add(s.ts, s.device.as_deref());
                    }
                    super::InsertOutcome::Removed => removed += 1,
                    _ => {}
                }
                Ok(())
            })?;
        }
        if removed > 0 {
            // Dropped without a commit: nothing was copied.
            return Ok(Err(removed));
        }
        w.record_marks(uid, marks.take())?;
        let hours = w.commit()?;
        Ok(Ok((copied, new, hours)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::removals::MarkBuilder;

    const WATCH: &str = "Pixel Watch 3";
    const PHONE: &str = "Fitbit App";

    fn s(ts: i64, bpm: u16, device: Option<&str>) -> Sample {
        Sample {
            ts,
            bpm,
            utc_offset_min: None,
            device: device.map(std::sync::Arc::from),
        }
    }

    /// Writes `samples` as import `uid`, marking what it wrote first, as `import::run` does.
    fn import(store: &mut Store, account: AccountId, uid: &str, samples: &[Sample]) {
        let mut marks = MarkBuilder::default();
        let mut w = store.sample_writer(account).unwrap();
        w.insert_many(samples, |s, o| {
            if o? == super::super::InsertOutcome::New {
                marks.add(s.ts, s.device.as_deref());
            }
            Ok(())
        })
        .unwrap();
        w.record_marks(uid, marks.take()).unwrap();
        w.commit().unwrap();
        store
            .record_import_run(uid, account, "t", "t", 1, samples.len() as u64, 0, 0, 1)
            .unwrap();
    }

    fn readings(store: &Store) -> Vec<(i64, u16, Option<String>)> {
        let mut stmt = store
            .conn
            .prepare("SELECT ts_utc, bpm, device FROM samples ORDER BY 1, 3")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn a_removal_deletes_what_the_import_wrote_first_and_nothing_else() {
        let mut store = Store::open_in_memory().unwrap();
        let me = store.ensure_account("me", "t").unwrap();
        // Mine, written by a sync: the watch at 0 and 3600, a phone app at 40.
        let mine = [
            s(0, 70, Some(WATCH)),
            s(40, 120, Some(PHONE)),
            s(3600, 71, Some(WATCH)),
        ];
        let mut w = store.sample_writer(me).unwrap();
        w.insert_many(&mine, |_, o| o.map(|_| ())).unwrap();
        w.commit().unwrap();
        // Someone else's export: the same watch at 20, their phone app at my watch's
        // instant, a reading naming no source at my phone app's instant (it takes the
        // instant; mine moves beside it), their watch at my watch's instant (the same
        // reading: not theirs), and an hour of their own.
        let theirs = [
            s(0, 150, Some(PHONE)),
            s(0, 99, Some(WATCH)),
            s(20, 90, Some(WATCH)),
            s(40, 91, None),
            s(7200, 92, Some(WATCH)),
        ];
        import(&mut store, me, "00000000000000a1", &theirs);
        // A later import names their unnamed reading (a CSV twin): still theirs.
        import(
            &mut store,
            me,
            "00000000000000a2",
            &[s(40, 91, Some(WATCH))],
        );
        let info = store.imports().unwrap();
        assert_eq!(info[0].marked, 4, "{info:?}");
        assert_eq!(
            info[1].marked, 0,
            "a twin that only names a reading brings none"
        );

        let removal = store
            .import_removal(info[0].id, "2026-12-01T10:00:00Z")
            .unwrap()
            .unwrap();
        let before = store.source_policy(me).unwrap().version();
        let done = store.apply_removal(me, &removal, true).unwrap().unwrap();
        assert_eq!(done.readings, 4);
        assert_eq!(
            readings(&store),
            vec![
                (0, 70, Some(WATCH.to_string())),
                (40, 120, Some(PHONE.to_string())),
                (3600, 71, Some(WATCH.to_string())),
            ]
        );
        // My phone app's reading is back in its instant's place.
        let held: i64 = store
            .conn
            .query_row(
                "SELECT count(*) FROM sample WHERE key = ?1",
                [me.key_base() + 40],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(held, 1);
        // The hours: my watch's, under a new policy version that every hour carries.
        let after = store.source_policy(me).unwrap().version();
        assert_ne!(after, before);
        let hours: Vec<(i64, i64, i64, i64)> = store
            .conn
            .prepare("SELECT hour, max_bpm, sample_count, policy FROM hour_max ORDER BY 1")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            hours,
            vec![(0, 70, 1, after as i64), (3600, 71, 1, after as i64)]
        );
        // Applied once: again is nothing.
        assert!(store.apply_removal(me, &removal, false).unwrap().is_none());
        // The lake's days of its marks are written again.
        assert_eq!(store.dirty_days(me).unwrap(), vec![0]);
    }

    #[test]
    fn imports_of_a_store_from_version_10_are_listed_and_not_removable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v10.db");
        {
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            super::super::embedded::migrations::runner()
                .set_target(refinery::Target::Version(10))
                .run(&mut conn)
                .unwrap();
            conn.execute_batch(
                "INSERT INTO account (id, name, created_at) VALUES (0, 'a', 'then');
                 INSERT INTO sample (key, bpm) VALUES (0, 70), (5, 71);
                 INSERT INTO import_run (account_id, started_at, finished_at, files, samples_new,
                                         samples_present, rejected, hours_touched)
                 VALUES (0, 'then', 'then', 1, 2, 0, 0, 1);",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let info = store.imports().unwrap();
        assert_eq!(info.len(), 1);
        assert_eq!((info[0].uid.as_deref(), info[0].marked), (None, 0));
        let r = store.import_removal(info[0].id, "now").unwrap().unwrap();
        assert!(r.id.is_empty() && r.marks.is_empty(), "{r:?}");
        assert_eq!(store.import_removal(99, "now").unwrap(), None);
    }

    #[test]
    fn an_import_cut_short_is_known_from_version_13_and_taken_over_by_the_same_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v12.db");
        let mark = |seconds: Vec<u32>| {
            Seconds::from_unsorted(seconds)
                .encode()
                .as_str()
                .to_string()
        };
        {
            // Version 12: an import cut short left marks and no import_run row.
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            super::super::embedded::migrations::runner()
                .set_target(refinery::Target::Version(12))
                .run(&mut conn)
                .unwrap();
            conn.execute_batch(
                "INSERT INTO account (id, name, created_at) VALUES (0, 'a', 'then');",
            )
            .unwrap();
            conn.execute(
                "INSERT INTO import_mark (uid, account_id, day, source, seconds) VALUES ('old', 0, 0, '', ?1)",
                [mark(vec![0, 5])],
            )
            .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        // Cut short before imports noted their start: not known, nothing listed.
        assert_eq!(store.interrupted_imports(None).unwrap(), vec![]);
        assert_eq!(store.imports().unwrap(), vec![]);

        let a = AccountId(0);
        store.open_import("cut", a, "t1", "/x.tgz").unwrap();
        store.open_import("other", a, "t2", "/y.tgz").unwrap();
        for (uid, seconds) in [("cut", vec![10, 20]), ("new", vec![20, 30])] {
            store
                .conn
                .execute(
                    "INSERT INTO import_mark (uid, account_id, day, source, seconds) VALUES (?1, 0, 0, '', ?2)",
                    params![uid, mark(seconds)],
                )
                .unwrap();
        }
        store.open_import("new", a, "t3", "/x.tgz").unwrap();
        let cut = store.interrupted_imports(Some("new")).unwrap();
        let named: Vec<(&str, &str, u64)> = cut
            .iter()
            .map(|i| (i.uid.as_str(), i.started_at.as_str(), i.marked))
            .collect();
        assert_eq!(named, vec![("cut", "t1", 2), ("other", "t2", 0)]);
        assert_eq!(cut[0].inputs, vec!["/x.tgz".to_string()]);

        // The import of the same inputs takes the one cut short over; the other stays.
        let taken = store.take_over_interrupted("new", a, "/x.tgz").unwrap();
        assert_eq!(taken, vec![("t1".to_string(), 2)]);
        let marks = read_marks(
            &store.conn,
            "SELECT day, source, seconds FROM import_mark WHERE uid = ?1",
            ["new"],
        )
        .unwrap();
        assert_eq!(marks[&(0, None)].decode().as_slice(), &[10, 20, 30]);
        store
            .record_import_run("new", a, "t3", "t4", 1, 3, 0, 0, 1)
            .unwrap();
        let left: Vec<String> = store
            .interrupted_imports(None)
            .unwrap()
            .into_iter()
            .map(|i| i.uid)
            .collect();
        assert_eq!(left, vec!["other".to_string()]);
        let cut_marks: i64 = store
            .conn
            .query_row(
                "SELECT count(*) FROM import_mark WHERE uid = 'cut'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(cut_marks, 0);
    }
}

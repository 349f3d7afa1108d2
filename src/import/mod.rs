//! Backfilling history from files: Google Takeout exports (a .zip or a folder), plain
//! `time,bpm` CSVs and saved Google Health API pages.
//!
//! One thread reads and parses files (decompressing zip entries as it goes; two for a
//! .tgz); the calling thread, the merging thread, merges what it gets and hands it to the
//! store's thread (`import/write`), which writes it while the next write is merged. Files
//! are read in date order, and the samples of a date are held back until no later file can
//! describe the same instants, so Takeout's JSON and CSV twins of one sample are merged in
//! memory and written once, in key order. Each date is one committed transaction: an
//! interrupted import keeps every finished date, and importing again is always safe.

mod csv_file;
mod discover;
mod google_fit;
pub(crate) mod health_page;
pub mod offsets;
mod read;
pub(crate) mod takeout_json;
mod twins;
mod write;
pub mod zone;

use std::fmt;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

pub use discover::{discover, Discovery, Kind, Unit};

use crate::model::Sample;
use crate::store::{AccountId, DayFile, Store, StoreError};

/// What a parser yields: a sample, or a reason some input was refused.
#[derive(Debug)]
pub enum Item {
    Sample(Sample),
    /// Boxed: rejects are rare, and an unboxed one would more than double every item.
    Reject(Box<Reject>),
    /// A measurement with no value (an empty or not-a-number cell): counted, not refused.
    NoReading,
}

impl Item {
    /// A reject of input in `file` (at `line`, when known).
    pub fn reject(file: &str, line: Option<u64>, reason: impl Into<String>) -> Item {
        Item::Reject(Box::new(Reject::new(file, line, reason)))
    }
}

/// Input that was refused, with where it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    pub file: String,
    pub line: Option<u64>,
    pub reason: String,
}

impl Reject {
    pub fn new(file: &str, line: Option<u64>, reason: impl Into<String>) -> Reject {
        Reject {
            file: file.to_string(),
            line,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.reason),
            None => write!(f, "{}: {}", self.file, self.reason),
        }
    }
}

/// The 1-based line of the first `needle` at or after byte `from`, and where it ends.
pub(crate) fn line_of(bytes: &[u8], needle: &[u8], from: usize) -> Option<(u64, usize)> {
    if needle.is_empty() || from >= bytes.len() {
        return None;
    }
    let pos = bytes[from..]
        .windows(needle.len())
        .position(|w| w == needle)?
        + from;
    let line = 1 + bytes[..pos].iter().filter(|&&b| b == b'\n').count() as u64;
    Some((line, pos + needle.len()))
}

/// What can stop an import before it starts or while it writes.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}: no such file or folder")]
    NotFound(PathBuf),
    #[error(
        "{0}: not a Takeout export, a .zip, a .tgz, a .tar, a .csv or a Google Health API page (.json)"
    )]
    Unsupported(PathBuf),
    #[error("read {path}: {message}")]
    Unreadable { path: PathBuf, message: String },
    #[error("no heart-rate files found in {0}")]
    NothingFound(String),
    #[error("{0:?} is not a time zone (give an IANA name such as America/New_York)")]
    BadZone(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Figures of one import, for the summary line and `import_run`.
#[derive(Debug, Default, Serialize)]
pub struct ImportSummary {
    pub files: u64,
    pub entries_skipped: u64,
    pub samples_new: u64,
    pub samples_enriched: u64,
    pub samples_present: u64,
    /// Readings a removal of the account names (`fitpipe imports remove`): not stored.
    pub samples_removed: u64,
    pub rejected: u64,
    /// The first rejects in full; `rejected` counts them all.
    pub rejects: Vec<Reject>,
    /// Measurements without a value (empty or not-a-number cells), which are normal.
    pub no_readings: u64,
    /// The first files that have such measurements, with how many each.
    pub no_reading_files: Vec<NoReadings>,
    pub hours_touched: i64,
    /// The zone that gave local times to hours whose files state no offset.
    pub zone: Option<ZoneUsed>,
    /// The imports of the same inputs that were cut short (a crash, a laptop closed): when
    /// each had started and how many readings it had stored, which are this one's now.
    pub finished_interrupted: Vec<(String, u64)>,
    #[serde(serialize_with = "as_secs")]
    pub elapsed: Duration,
}

/// A time zone the import used, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoneUsed {
    pub name: String,
    pub source: zone::ZoneSource,
}

fn as_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// How far an import has got, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub files_done: u64,
    pub files_total: u64,
    pub samples_read: u64,
}

/// The measurements without a value in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoReadings {
    pub file: String,
    pub count: u64,
}

/// How many rejects are kept in full.
pub const REJECTS_SHOWN: usize = 50;
/// Samples parsed ahead of the merging thread are sent in batches of this many items.
const BATCH: usize = 16 * 1024;
/// The widest a local day reaches before its UTC date: UTC+14.
const MAX_LEAD: i64 = 14 * 3600;

enum Msg {
    /// What a reader of `lane` parsed: samples, rejects, and how many measurements had no
    /// value (apart, so that the merging thread takes the samples as they are).
    Items {
        lane: twins::Lane,
        samples: Vec<Sample>,
        rejects: Vec<Reject>,
        no_readings: u64,
    },
    Done {
        unit: usize,
        day: Option<DayFile>,
    },
    /// A heart-rate member of a streamed archive was read (`Done` follows the archive).
    Member {
        lane: twins::Lane,
        name: String,
        day: Option<DayFile>,
    },
    /// The reader of a lane of a streamed archive has ended.
    LaneEnd(twins::Lane),
    /// A member of a streamed archive that holds no heart rate.
    Skipped,
    /// The bytes of a `UserDemographicData.csv` found in a streamed archive.
    Demographics(Vec<u8>),
}

/// Samples are written whenever this many wait, whatever their dates (a streamed archive's
/// members come in the archive's order, one file may hold years; readings of one instant
/// that arrive apart are merged by the store), so memory does not grow with the input.
const STREAM_FLUSH: usize = 1 << 17;
/// The room a `.tgz`'s buffer is given, 10 MB: twice [`STREAM_FLUSH`] and half of it again
/// for what one member brings (a day file and its CSV at 5 s are 35 Ki readings).
const TGZ_BUF: usize = 2 * STREAM_FLUSH + (STREAM_FLUSH >> 1);

/// Imports `units` (from [`discover`]) into `account`.
pub fn run(
    store: &mut Store,
    account: AccountId,
    discovery: &Discovery,
    prefs: zone::ZonePrefs<'_>,
    now: &str,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportSummary, ImportError> {
    let started = Instant::now();
    let units = &discovery.units;
    let mut summary = ImportSummary {
        entries_skipped: discovery.skipped,
        rejected: discovery.unreadable.len() as u64,
        rejects: discovery
            .unreadable
            .iter()
            .take(REJECTS_SHOWN)
            .cloned()
            .collect(),
        ..ImportSummary::default()
    };
    let mut pending = Pending::default();
    // A .tgz's buffer holds up to twice STREAM_FLUSH (the days that have not met all their
    // twins) and then what one member brings: room for that from the start, so that it is
    // not doubled past it (a four-year .tgz in no order reached 553 Ki, 17.7 MB).
    if units.iter().any(|u| u.kind == discover::Kind::Tar) {
        pending.buf.reserve_exact(TGZ_BUF);
    }
    let mut samples_read = 0u64;
    // Per lane (a .tgz is read by two readers at once, `import/twins`): measurements
    // without a value in the file being read, its readings when it is a .tgz member, and
    // whether they went on to be written already (too many to hold).
    let mut no_readings = [0u64; 2];
    let mut member: [Vec<Sample>; 2] = Default::default();
    let mut spilled = [false; 2];
    let mut streamed_demographics: Vec<Vec<u8>> = Vec::new();
    let uid = store.new_import_uid()?;
    // Under way until recorded: one cut short is told of, and finished by the next import
    // of the same inputs.
    let inputs = discovery.inputs.join("\n");
    store.open_import(&uid, account, now, &inputs)?;
    // 8 MB of page cache, not 16: a .tgz of two years in no order peaked at 96-102 MB
    // with 16, 89-91 MB with 8, in the same time (docs/PERFORMANCE.md).
    store.set_page_cache_kib(8000)?;
    let mut unit_at = 0usize;
    let mut twins = twins::Twins::default();
    let throttle = twins::Throttle::default();

    let written = std::thread::scope(|scope| -> Result<write::Written, ImportError> {
        // Room for two writes' worth of samples (STREAM_FLUSH), so that the parser goes on
        // while the store writes (docs/PERFORMANCE.md: a .tgz took turns); 32 batches held
        // 10 MB more at the peak and were no faster.
        let (tx, rx) = mpsc::sync_channel::<Msg>(16);
        let throttle = &throttle;
        scope.spawn(move || read::read_all(units, &tx, throttle));
        // The store writes one part while the next is merged here (no room: a part waits
        // only as long as the store is busy with the one before).
        let (to_store, batches, spent) = write::channel(0);
        let uid = uid.as_str();
        let store_thread = scope.spawn({
            let store = &mut *store;
            move || write::write_all(store, (account, uid), batches, spent)
        });
        // However this loop ends, no reader is left waiting for room.
        let _open = twins::OpenOnDrop(throttle);
        // What each reader sent is held until it goes on to be written: the readers wait on it.
        let note_held = |twins: &twins::Twins, member: &[Vec<Sample>; 2]| {
            for lane in [twins::Lane::Rest, twins::Lane::DayFiles] {
                throttle.noted(lane, 0, member[lane as usize].len() + twins.held(lane));
            }
        };
        let to = &to_store;
        // `Err(Gone)`: the store's thread stopped, and says why when joined.
        let merged = (|| -> Result<(), write::Gone> {
            for msg in rx {
                match msg {
                    Msg::Items {
                        lane,
                        mut samples,
                        rejects,
                        no_readings: none,
                    } => {
                        let l = lane as usize;
                        let streamed = units[unit_at].kind == discover::Kind::Tar;
                        let received = samples.len();
                        if streamed {
                            member[l].append(&mut samples);
                        } else {
                            pending.buf.append(&mut samples);
                        }
                        summary.rejected += rejects.len() as u64;
                        let room = REJECTS_SHOWN.saturating_sub(summary.rejects.len());
                        summary.rejects.extend(rejects.into_iter().take(room));
                        no_readings[l] += none;
                        samples_read += received as u64;
                        // A member too big to hold goes on to be written as it comes.
                        if member[l].len() >= STREAM_FLUSH {
                            pending.buf.append(&mut member[l]);
                            spilled[l] = true;
                        }
                        throttle.noted(lane, received, member[l].len() + twins.held(lane));
                        let twins = streamed.then_some(&twins);
                        pending.write_full(twins, to)?;
                    }
                    Msg::Member { lane, name, day } => {
                        let l = lane as usize;
                        // A day file and its CSV twin wait for each other, to meet in memory.
                        let readings = std::mem::take(&mut member[l]);
                        if std::mem::take(&mut spilled[l]) {
                            pending.buf.extend(readings);
                        } else {
                            twins.member(
                                discover::classify_name(&name),
                                readings,
                                &mut pending.buf,
                            );
                        }
                        pending.release(&mut twins, false, to)?;
                        note_held(&twins, &member);
                        pending.write_full(Some(&twins), to)?;
                        summary.files += 1;
                        note_no_readings(&mut summary, &mut no_readings[l], &name);
                        pending.days.extend(day);
                        progress(Progress {
                            files_done: summary.files,
                            files_total: units.len() as u64,
                            samples_read,
                        });
                    }
                    Msg::LaneEnd(lane) => {
                        // The files that waited for this reader's: none will come, unless
                        // the next unit is another part of the download (its lane goes on).
                        if !more_parts(units, unit_at) {
                            twins.ended(lane);
                            pending.release(&mut twins, false, to)?;
                            note_held(&twins, &member);
                        }
                    }
                    Msg::Skipped => summary.entries_skipped += 1,
                    Msg::Demographics(bytes) => streamed_demographics.push(bytes),
                    Msg::Done { unit, day } => {
                        unit_at = unit + 1;
                        if units[unit].kind != discover::Kind::Tar {
                            summary.files += 1;
                        }
                        // What an archive cut short left, a write's worth at a time.
                        for m in &mut member {
                            pending.buf.append(m);
                        }
                        spilled = [false; 2];
                        // Held files wait for twins in the parts still to come.
                        if !more_parts(units, unit) {
                            pending.release(&mut twins, true, to)?;
                            twins.reset();
                        }
                        note_held(&twins, &member);
                        for n in &mut no_readings {
                            note_no_readings(&mut summary, n, &units[unit].display);
                        }
                        pending.days.extend(day);
                        if let Some(bound) = flush_bound(units, unit) {
                            pending.write(to, bound)?;
                        }
                        progress(Progress {
                            files_done: summary.files,
                            files_total: units.len() as u64,
                            samples_read,
                        });
                    }
                }
            }
            pending.write(to, i64::MAX)
        })();
        drop(to_store);
        let written = store_thread
            .join()
            .expect("the store's thread does not panic")?;
        debug_assert!(merged.is_ok(), "a store's thread that stops has failed");
        Ok(written)
    })?;
    written.add_to(&mut summary);
    // Archives read whole without one heart-rate member (an export of other products, an
    // empty download) are what discovery says of a zip without one.
    if summary.files == 0 && summary.rejected == 0 {
        store.forget_open_import(&uid)?;
        let names: Vec<&str> = units.iter().map(|u| u.display.as_str()).collect();
        return Err(ImportError::NothingFound(names.join(", ")));
    }

    // Offsets for hours whose samples carry none: the day files' bounds, and around them
    // the user's zone when one is known.
    let stated = || {
        discovery
            .demographics
            .iter()
            .filter_map(|(_, loc)| read::read_small(loc).ok())
            .chain(streamed_demographics)
            .find_map(|b| zone::from_demographics(&b))
    };
    // A zone given to an earlier import, or stated by its export, still holds.
    let known = stored_zone(store, account)?;
    let given_before = known
        .as_ref()
        .filter(|(_, s)| *s == zone::ZoneSource::Given)
        .map(|(z, _)| z.as_str());
    let prefs = zone::ZonePrefs {
        given: prefs.given.or(given_before),
        ..prefs
    };
    let chosen = zone::choose(prefs, || {
        stated().or_else(|| {
            known
                .as_ref()
                .filter(|(_, s)| *s == zone::ZoneSource::Export)
                .map(|(z, _)| z.clone())
        })
    });
    // This machine's zone is the last resort, taken once: a later import on a laptop that
    // travelled keeps the zone the history was placed with.
    let chosen = match (chosen, known) {
        (Some((_, zone::ZoneSource::ThisMachine)), Some(k)) => Some(k),
        (None, Some(k)) => Some(k),
        (c, _) => c,
    };
    summary.finished_interrupted = store.take_over_interrupted(&uid, account, &inputs)?;
    refresh_offsets(store, account, chosen.clone())?;
    summary.zone = chosen.map(|(name, source)| ZoneUsed { name, source });
    summary.elapsed = started.elapsed();
    // What the imports it finished had stored counts as its own, not as found stored.
    let present = summary.samples_present + summary.samples_enriched;
    let taken: u64 = summary.finished_interrupted.iter().map(|(_, n)| n).sum();
    let taken = taken.min(present);
    store.record_import_run(
        &uid,
        account,
        now,
        &crate::clock::now_rfc3339(),
        summary.files,
        summary.samples_new + taken,
        present - taken,
        summary.rejected,
        summary.hours_touched,
    )?;
    Ok(summary)
}

/// What removing (or moving) an import did.
#[derive(Debug, Clone, Serialize)]
pub struct Removed {
    pub import: i64,
    /// The import's id on every machine.
    pub uid: String,
    pub account: String,
    /// Readings deleted from `account`.
    pub readings: u64,
    /// UTC hours of `account` computed again.
    pub hours: i64,
    /// The account it was moved to, with the readings copied there and how many of them
    /// that account did not hold yet.
    pub moved_to: Option<String>,
    pub copied: u64,
    pub copied_new: u64,
    /// Readings the import found stored already: they were not its own, and stay.
    pub samples_present: i64,
}

/// Why an import cannot be removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotRemovable {
    Unknown,
    /// Made before imports kept what they brought (database version 11).
    Unmarked,
    /// Removed (or moved) already, at this time.
    Removed(String),
    /// A move whose target account had these many of the readings removed before: a
    /// removal is final for the readings it names, so nothing was moved.
    RemovedFromTarget(u64),
}

/// Removes import `id` (its number in this store) from its account, or with `to` moves its
/// readings to account `to`: the readings it wrote first are copied there (as an import of
/// that account, which can be removed or moved again) and then deleted from its account,
/// as a removal the next sync takes to the remote and every other machine. Copying comes
/// first, so a removal cut short leaves readings in both accounts and never in neither;
/// running it again finishes it.
///
/// The moved readings' local times come from the offsets they carry, else from the zone of
/// account `to`: the one its offsets were computed with, else `configured` (the
/// configuration's for it), else the first account's.
pub fn remove(
    store: &mut Store,
    id: i64,
    (to, configured): (Option<&str>, Option<&str>),
    now: &str,
) -> Result<Result<Removed, NotRemovable>, ImportError> {
    let Some(info) = store.imports()?.into_iter().find(|i| i.id == id) else {
        return Ok(Err(NotRemovable::Unknown));
    };
    if let Some(at) = &info.removed_at {
        return Ok(Err(NotRemovable::Removed(at.clone())));
    }
    let Some(removal) = store.import_removal(id, now)? else {
        return Ok(Err(NotRemovable::Unknown));
    };
    if removal.id.is_empty() {
        return Ok(Err(NotRemovable::Unmarked));
    }
    let from = store
        .account(&info.account)?
        .ok_or_else(|| StoreError::UnknownAccount(info.account.clone()))?;
    let (mut copied, mut copied_new) = (0, 0);
    if let Some(to) = to {
        let target = store.ensure_account(to, now)?;
        let uid = store.new_import_uid()?;
        let (c, n, hours) = match store.copy_named_readings(from, &removal, target, &uid)? {
            Ok(done) => done,
            Err(removed) => return Ok(Err(NotRemovable::RemovedFromTarget(removed))),
        };
        (copied, copied_new) = (c, n);
        let mut hours = hours;
        store.record_import_run(
            &uid,
            target,
            now,
            &crate::clock::now_rfc3339(),
            info.files as u64,
            n,
            c - n,
            0,
            hours.hour_count(),
        )?;
        let zone = match stored_zone(store, target)? {
            Some(z) => Some(z),
            None => match configured {
                Some(c) => Some((c.to_string(), zone::ZoneSource::Config)),
                None => stored_zone(store, from)?,
            },
        };
        refresh_offsets(store, target, zone)?;
    }
    let applied = store
        .apply_removal(from, &removal, true)?
        .unwrap_or_default();
    store.mark_import_removed(id, now, to)?;
    Ok(Ok(Removed {
        import: id,
        uid: removal.id,
        account: info.account,
        readings: applied.readings,
        hours: applied.hours,
        moved_to: to.map(str::to_string),
        copied,
        copied_new,
        samples_present: info.samples_present,
    }))
}

/// The zone `account`'s offsets were last computed with, and where it came from.
pub fn stored_zone(
    store: &Store,
    account: AccountId,
) -> Result<Option<(String, zone::ZoneSource)>, ImportError> {
    Ok(store
        .account_zone(account)?
        .and_then(|(z, s)| zone::ZoneSource::parse(&s).map(|s| (z, s))))
}

/// Computes `account`'s offset spans again from its day files and `chosen` zone, and
/// records the zone. Hours whose offset changes count as changed for the remote's master.
pub fn refresh_offsets(
    store: &mut Store,
    account: AccountId,
    chosen: Option<(String, zone::ZoneSource)>,
) -> Result<(), ImportError> {
    let day_files = store.day_files(account)?;
    let range = match (store.first_sample(account)?, store.last_sample(account)?) {
        (Some(a), Some(b)) => Some((a, b + 1)),
        _ => None,
    };
    let tz = match &chosen {
        Some((name, _)) => {
            Some(zone::parse(name).ok_or_else(|| ImportError::BadZone(name.clone()))?)
        }
        None => None,
    };
    let spans = zone::offset_spans(&day_files, tz, range);
    store.set_offsets(
        account,
        &spans,
        chosen
            .as_ref()
            .map(|(z, s)| (z.as_str(), s.as_str(), crate::clock::now().timestamp())),
    )?;
    Ok(())
}

/// Computes the offsets of `account` again when the configuration names a zone for it
/// (`configured`) that they were not computed with: after a change of `timezone` in the
/// configuration. A zone given to an import or stated by its export stays, and so do the
/// offsets when the configuration names none: this machine's zone is not followed, since a
/// laptop's zone follows its owner's travels and would move years of history with them.
/// Returns whether they were computed again.
pub fn follow_configured_zone(
    store: &mut Store,
    account: AccountId,
    configured: Option<&str>,
) -> Result<bool, ImportError> {
    let Some(configured) = configured else {
        return Ok(false);
    };
    let known = stored_zone(store, account)?;
    let wanted = (configured.to_string(), zone::ZoneSource::Config);
    let sticky = known
        .as_ref()
        .is_some_and(|(_, s)| matches!(s, zone::ZoneSource::Given | zone::ZoneSource::Export));
    if sticky || known.as_ref() == Some(&wanted) || store.first_sample(account)?.is_none() {
        return Ok(false);
    }
    refresh_offsets(store, account, Some(wanted))?;
    Ok(true)
}

/// Counts a file's measurements without a value into the summary.
fn note_no_readings(summary: &mut ImportSummary, pending: &mut u64, file: &str) {
    if *pending > 0 {
        summary.no_readings += *pending;
        if summary.no_reading_files.len() < REJECTS_SHOWN {
            summary.no_reading_files.push(NoReadings {
                file: file.to_string(),
                count: *pending,
            });
        }
        *pending = 0;
    }
}

/// Whether unit `i` is a `.tgz` and the next one too: parts of one download, whose files
/// wait across them for their twins (Takeout spreads one folder's files over several parts).
fn more_parts(units: &[Unit], i: usize) -> bool {
    let tgz = |u: Option<&Unit>| u.is_some_and(|u| u.kind == discover::Kind::Tar);
    tgz(units.get(i)) && tgz(units.get(i + 1))
}

/// After unit `i`, the instant below which no later unit can bring a sample of the same
/// date, or `None` to keep buffering (the next unit shares the date).
fn flush_bound(units: &[Unit], i: usize) -> Option<i64> {
    let Some(date) = units[i].date else {
        return Some(i64::MAX);
    };
    match units.get(i + 1).map(|u| u.date) {
        None | Some(None) => Some(i64::MAX),
        Some(Some(next)) if next == date => None,
        Some(Some(next)) => Some(crate::model::midnight_utc(next) - MAX_LEAD),
    }
}

/// What an import has read and not handed to the store's thread yet.
#[derive(Debug, Default)]
struct Pending {
    buf: Vec<Sample>,
    days: Vec<DayFile>,
    /// [`twins::Twins::changes`] and how many readings waited when they were last asked
    /// whether they may be written.
    tried: Option<(u64, usize)>,
}

impl Pending {
    /// Takes the files `twins` lets go of (with `all`, every one), writing a write's worth
    /// at a time.
    fn release(
        &mut self,
        twins: &mut twins::Twins,
        all: bool,
        to: &write::ToStore,
    ) -> Result<(), write::Gone> {
        while let Some(readings) = twins.release(all) {
            self.buf.extend(readings);
            self.write_full(Some(twins), to)?;
        }
        Ok(())
    }

    /// Writes once a write's worth waits, so that one huge file or a streamed archive does
    /// not make memory grow. For a `.tgz` (`twins`), only the readings of the days that
    /// have met all their twins ([`twins::Twins::complete`]), so that readings at the edge
    /// of a date, whose twins are in the next date's file, still meet them in memory; all
    /// of it when twice that waits, and twins that come later meet in the store.
    fn write_full(
        &mut self,
        twins: Option<&twins::Twins>,
        to: &write::ToStore,
    ) -> Result<(), write::Gone> {
        if self.buf.len() < STREAM_FLUSH {
            return Ok(());
        }
        match twins {
            Some(t) if self.buf.len() < 2 * STREAM_FLUSH => {
                // Nothing that waited can have become ready, and nothing came: a reader's
                // next batch (a .tgz member's readings wait beside the buffer) leaves it so.
                if self.tried == Some((t.changes(), self.buf.len())) {
                    return Ok(());
                }
                // Samples come in runs of a day: its answer is kept at hand.
                let mut last: Option<(i64, bool)> = None;
                self.write_if(to, |ts| {
                    let day = ts.div_euclid(crate::model::DAY);
                    match last {
                        Some((d, complete)) if d == day => complete,
                        _ => {
                            let complete = t.complete(day);
                            last = Some((day, complete));
                            complete
                        }
                    }
                })?;
                self.tried = Some((t.changes(), self.buf.len()));
                Ok(())
            }
            _ => self.write(to, i64::MAX),
        }
    }

    /// Hands what waits before `bound` to the store's thread ([`Pending::write_if`]).
    fn write(&mut self, to: &write::ToStore, bound: i64) -> Result<(), write::Gone> {
        self.write_if(to, |ts| ts < bound)
    }

    /// Hands the readings that `ready` says may go to the store's thread in time order,
    /// the readings of one instant merged ([`Merge`]), together with the day files read so
    /// far: one transaction, handed over in parts of [`WRITE_MAX`] samples, so that what
    /// waits for the store stays small. `ready` is asked in time order, the same answer
    /// for every reading of an instant; the others wait for the next write.
    fn write_if(
        &mut self,
        to: &write::ToStore,
        mut ready: impl FnMut(i64) -> bool,
    ) -> Result<(), write::Gone> {
        self.buf.sort_by_key(|s| s.ts);
        let mut days = std::mem::take(&mut self.days);
        let mut merge = Merge::new(to.vec(self.buf.len().min(WRITE_MAX)));
        for s in self.buf.extract_if(.., |s| ready(s.ts)) {
            if merge.full_before(s.ts) {
                let part = write::Part {
                    samples: merge.take(to.vec(WRITE_MAX)),
                    days: std::mem::take(&mut days),
                    last: false,
                };
                to.send(part)?;
            }
            merge.push(s);
        }
        // Nothing ready and no day file: no write (a part sent leaves a reading merged).
        if merge.out.is_empty() && days.is_empty() {
            return Ok(());
        }
        let part = write::Part {
            samples: merge.take(Vec::new()),
            days,
            last: true,
        };
        to.send(part)
    }
}

/// Samples a part of a write holds at most, bar the readings of its last instant: 1 MB, so
/// that the part waiting for the store and the one it writes hold little (a .tgz of two
/// years in no order peaked at 102-107 MB when whole writes, up to 256 Ki samples, waited).
const WRITE_MAX: usize = 1 << 15;

/// Readings in time order, merged as they come: those of one instant that are one reading
/// (Takeout's JSON and CSV twins: the same source, or an unnamed one and a wearable's)
/// become one sample; other sources' readings of the instant stay samples of their own,
/// the wearable's first.
struct Merge {
    out: Vec<Sample>,
    /// Where the readings of the last instant start in `out`.
    group_start: usize,
    /// Sources come in runs: whether one is a wearable's is worked out once a run.
    last: Option<(std::sync::Arc<str>, bool)>,
}

impl Merge {
    /// Merges into `out` (empty).
    fn new(out: Vec<Sample>) -> Merge {
        Merge {
            out,
            group_start: 0,
            last: None,
        }
    }

    /// Whether [`WRITE_MAX`] samples are merged and a reading at `ts` starts a new instant.
    fn full_before(&self, ts: i64) -> bool {
        self.out.len() >= WRITE_MAX && self.out.last().is_some_and(|l| l.ts != ts)
    }

    fn push(&mut self, s: Sample) {
        if self.out.last().is_some_and(|last| last.ts != s.ts) {
            self.group_start = self.out.len();
        }
        let last = &mut self.last;
        let mut wearable = |label: &std::sync::Arc<str>| match last {
            Some((prev, w)) if prev == label => *w,
            _ => {
                let w = crate::sources::counted_by_default(Some(label));
                *last = Some((label.clone(), w));
                w
            }
        };
        let group = &mut self.out[self.group_start..];
        let found = group
            .iter()
            .position(|m| same_reading(m.device.as_ref(), s.device.as_ref(), &mut wearable));
        match found {
            Some(i) => group[i].absorb(s),
            None => {
                self.out.push(s);
                let group = &mut self.out[self.group_start..];
                if group.len() > 1 {
                    group.sort_by_key(|m| !m.device.as_ref().is_none_or(&mut wearable));
                }
            }
        }
    }

    /// The samples merged so far; the next reading starts afresh, in `room` (empty).
    fn take(&mut self, room: Vec<Sample>) -> Vec<Sample> {
        self.group_start = 0;
        std::mem::replace(&mut self.out, room)
    }
}

/// Whether two readings of one instant, from sources `a` and `b`, are one reading: the same
/// source, or an unnamed one (a Takeout day file's, the wearable's own) and a wearable's
/// (`wearable` says which sources are).
fn same_reading<L: PartialEq>(
    a: Option<&L>,
    b: Option<&L>,
    mut wearable: impl FnMut(&L) -> bool,
) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        (None, None) => true,
        (None, Some(x)) | (Some(x), None) => wearable(x),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_sync_follows_the_configured_zone_and_never_the_machines() {
        let mut store = Store::open_in_memory().unwrap();
        let acct = store.ensure_account("default", "t").unwrap();
        let mut w = store.sample_writer(acct).unwrap();
        w.insert(&Sample::new(1_709_942_400, 70)).unwrap(); // 2024-03-09T00:00:00Z
        w.commit().unwrap();
        refresh_offsets(
            &mut store,
            acct,
            Some(("America/New_York".into(), zone::ZoneSource::ThisMachine)),
        )
        .unwrap();
        let offset = |store: &Store| -> Option<i16> {
            store.hours("default", None, None).unwrap()[0].utc_offset_min
        };
        assert_eq!(offset(&store), Some(-300));
        // No zone configured: whatever this machine's zone is now, nothing moves.
        assert!(!follow_configured_zone(&mut store, acct, None).unwrap());
        assert_eq!(offset(&store), Some(-300));
        // A configured zone is followed, once.
        assert!(follow_configured_zone(&mut store, acct, Some("Europe/Berlin")).unwrap());
        assert_eq!(offset(&store), Some(60));
        assert!(!follow_configured_zone(&mut store, acct, Some("Europe/Berlin")).unwrap());
        assert_eq!(
            stored_zone(&store, acct).unwrap(),
            Some(("Europe/Berlin".into(), zone::ZoneSource::Config))
        );
        // A zone given to an import stays, whatever the configuration says.
        refresh_offsets(
            &mut store,
            acct,
            Some(("Asia/Kolkata".into(), zone::ZoneSource::Given)),
        )
        .unwrap();
        assert!(!follow_configured_zone(&mut store, acct, Some("Europe/Berlin")).unwrap());
        assert_eq!(offset(&store), Some(330));
    }

    use super::*;

    #[test]
    fn readings_of_one_instant_merge_only_when_they_are_one_reading() {
        let same = |a: Option<&str>, b: Option<&str>| {
            same_reading(a.as_ref(), b.as_ref(), |x| {
                crate::sources::counted_by_default(Some(x))
            })
        };
        assert!(same(None, Some("Pixel Watch 3")));
        assert!(same(Some("Charge 5"), Some("Charge 5")));
        assert!(same(None, None));
        assert!(!same(None, Some("Phone Health Connect")));
        assert!(!same(Some("Charge 5"), Some("Pixel Watch 3")));
    }

    #[test]
    fn a_big_write_goes_in_parts_that_never_split_an_instant() {
        // Twins (an unnamed reading and a watch's) at every 5 s, then a phone's reading of
        // every 40th instant, shuffled: the parts must hold whole instants, in time order,
        // and together exactly what a plain grouping of the readings gives.
        let n = 3 * WRITE_MAX as i64 + 7;
        let mut buf: Vec<Sample> = Vec::new();
        for i in 0..n {
            let ts = 1_700_000_000 + 5 * i;
            buf.push(Sample::new(ts, 60 + (i % 90) as u16));
            buf.push(Sample {
                device: Some("Pixel Watch 3".into()),
                ..Sample::new(ts, 61)
            });
            if i % 40 == 0 {
                buf.push(Sample {
                    device: Some("Phone Health Connect".into()),
                    ..Sample::new(ts, 99)
                });
            }
        }
        buf.reverse();
        buf.swap(0, 12_345);
        let bound = 1_700_000_000 + 5 * (n - 3);
        let day = DayFile {
            local_date: chrono::NaiveDate::from_ymd_opt(2023, 11, 14).unwrap(),
            first_ts: 1_700_000_000,
            last_ts: 1_700_000_100,
        };
        let mut pending = Pending {
            buf,
            days: vec![day],
            tried: None,
        };
        let (tx, rx, _spent) = write::channel(64);
        pending.write(&tx, bound).unwrap();
        drop(tx);
        let parts: Vec<write::Part> = rx.iter().collect();
        assert!(parts.len() >= 3, "{} parts", parts.len());
        let lasts: Vec<bool> = parts.iter().map(|p| p.last).collect();
        assert_eq!(lasts.iter().filter(|l| **l).count(), 1);
        assert!(lasts[lasts.len() - 1]);
        assert_eq!(parts[0].days, vec![day]);
        assert!(parts[1..].iter().all(|p| p.days.is_empty()));
        let all: Vec<&Sample> = parts.iter().flat_map(|p| &p.samples).collect();
        for w in parts.windows(2) {
            let (a, b) = (w[0].samples.last().unwrap(), &w[1].samples[0]);
            assert!(a.ts < b.ts, "an instant is split between two parts");
        }
        // Expected, counted apart: every instant before the bound once for the twins
        // (the watch's name, the first's bpm), once more for the phone every 40th.
        let kept = n - 3;
        let phones = (0..kept).filter(|i| i % 40 == 0).count() as i64;
        assert_eq!(all.len() as i64, kept + phones);
        assert!(all.windows(2).all(|w| w[0].ts <= w[1].ts));
        for (j, s) in all.iter().enumerate() {
            let i = (s.ts - 1_700_000_000) / 5;
            match s.device.as_deref() {
                Some("Pixel Watch 3") => {
                    assert!(s.bpm == 60 + (i % 90) as u16 || s.bpm == 61);
                    assert!(
                        j == 0 || all[j - 1].ts < s.ts,
                        "the watch's reading comes first"
                    );
                }
                Some("Phone Health Connect") => assert_eq!((s.bpm, i % 40), (99, 0)),
                other => panic!("unexpected source {other:?}"),
            }
        }
        // What is at or past the bound waits for the next write.
        assert_eq!(pending.buf.len(), 6);
        assert!(pending.buf.iter().all(|s| s.ts >= bound));
    }

    #[test]
    fn a_tgz_write_waits_while_nothing_changed_and_goes_once_its_days_are_complete() {
        // A write's worth of one UTC day's readings, no file of either lane read yet: the
        // day may still meet twins, so nothing goes, asked once or again.
        let start = 1_740_787_200; // 2025-03-01T00:00:00Z
        let mut twins = twins::Twins::default();
        let mut pending = Pending {
            buf: (0..STREAM_FLUSH as i64)
                .map(|i| Sample::new(start + i % 86_400, 70))
                .collect(),
            ..Pending::default()
        };
        let (tx, rx, _spent) = write::channel(64);
        pending.write_full(Some(&twins), &tx).unwrap();
        pending.write_full(Some(&twins), &tx).unwrap();
        assert!(
            rx.try_recv().is_err(),
            "a day still to meet its twins was written"
        );
        assert_eq!(pending.buf.len(), STREAM_FLUSH);
        // Both readers end: no twin can come, the same buffer goes at the next ask.
        twins.ended(twins::Lane::DayFiles);
        twins.ended(twins::Lane::Rest);
        pending.write_full(Some(&twins), &tx).unwrap();
        drop(tx);
        let written: usize = rx.iter().map(|p| p.samples.len()).sum();
        // One sample an instant of the day (the readings of one instant merge).
        assert_eq!(written, 86_400);
        assert!(pending.buf.is_empty());
    }

    #[test]
    fn a_store_that_fails_mid_import_stops_it_and_keeps_the_dates_before() {
        // Ten files of a day each (each its own write); the store refuses the hours of the
        // sixth day on.
        let dir = tempfile::tempdir().unwrap();
        let start = 1_740_787_200; // 2025-03-01T00:00:00Z
        let paths: Vec<PathBuf> = (0..10)
            .map(|d| {
                let path = dir.path().join(format!("day{d}.csv"));
                let mut text = String::from("time,bpm\n");
                for i in 0..1440 {
                    let ts = start + d * 86_400 + i * 60;
                    text.push_str(&format!("{ts},{}\n", 60 + i % 50));
                }
                std::fs::write(&path, text).unwrap();
                path
            })
            .collect();
        let cut = start + 5 * 86_400;
        let mut store = Store::open(&dir.path().join("f.db")).unwrap();
        let acct = store.ensure_account("default", "t").unwrap();
        let tx = store.begin().unwrap();
        tx.execute_batch(&format!(
            "CREATE TRIGGER sick BEFORE INSERT ON hour_max WHEN NEW.hour >= {cut}
             BEGIN SELECT RAISE(ABORT, 'disk is sick'); END;"
        ))
        .unwrap();
        tx.commit().unwrap();
        let discovery = discover(&paths).unwrap();
        let prefs = zone::ZonePrefs {
            given: Some("America/New_York"),
            configured: None,
        };
        let r = run(&mut store, acct, &discovery, prefs, "t", &mut |_| {});
        let e = r.expect_err("the store's error ends the import");
        assert!(e.to_string().contains("disk is sick"), "{e}");
        // The five days before the failure are whole; nothing at or past the cut.
        let hours = store.hours("default", None, None).unwrap();
        assert_eq!(hours.len(), 5 * 24);
        assert!(hours.iter().all(|h| h.hour < cut));
        let stored: i64 = store
            .begin()
            .unwrap()
            .query_row("SELECT count(*) FROM sample", [], |r| r.get(0))
            .unwrap();
        let counted: i64 = hours.iter().map(|h| h.sample_count).sum();
        assert_eq!((stored, counted), (5 * 1440, 5 * 1440));
    }

    #[test]
    fn line_of_finds_lines() {
        let b = b"a\nbb\nccc bb\n";
        assert_eq!(line_of(b, b"bb", 0), Some((2, 4)));
        assert_eq!(line_of(b, b"bb", 4), Some((3, 11)));
        assert_eq!(line_of(b, b"zz", 0), None);
    }
}

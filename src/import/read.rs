//! The parse thread: opens each unit in order (a file, or an entry of a zip archive),
//! hands it to the parser of its kind (the one dispatch from a kind of file to its reader)
//! and sends what the parser finds to the merging thread in batches. A `.tgz` is read by two
//! readers at once, one for its day files and one for the rest (`import/twins`).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::sync::mpsc::SyncSender;

use super::discover::{
    classify_name, classify_undated, is_demographics, not_an_archive, Kind, Location, Unit,
};
use super::twins::{Lane, Throttle};
use super::{csv_file, health_page, takeout_json, Item, Msg, Reject, BATCH};
use crate::model::Sample;
use crate::store::DayFile;

/// Largest single file read whole into memory (one Takeout day is a few MB).
const MAX_FILE: u64 = 1 << 30;
/// A Takeout JSON file bigger than this is parsed as a stream instead of read whole.
const STREAM_JSON_OVER: u64 = 64 << 20;

/// Rejects are sent at most this many at a time (a file of garbage gives one a line).
const REJECTS_BATCH: usize = 1024;

/// Sends what a parser finds in batches; remembers whether the merging thread has gone.
struct Sender<'a> {
    tx: &'a SyncSender<Msg>,
    lane: Lane,
    /// A `.tgz` reader's, told of every reading it sends.
    throttle: Option<&'a Throttle>,
    samples: Vec<Sample>,
    rejects: Vec<Reject>,
    no_readings: u64,
    closed: bool,
    bounds: Option<(i64, i64)>,
}

impl<'a> Sender<'a> {
    fn new(tx: &'a SyncSender<Msg>, lane: Lane, throttle: Option<&'a Throttle>) -> Sender<'a> {
        Sender {
            tx,
            lane,
            throttle,
            samples: Vec::with_capacity(BATCH),
            rejects: Vec::new(),
            no_readings: 0,
            closed: false,
            bounds: None,
        }
    }

    fn push(&mut self, item: Item) {
        match item {
            Item::Sample(s) => {
                self.bounds = Some(match self.bounds {
                    None => (s.ts, s.ts),
                    Some((lo, hi)) => (lo.min(s.ts), hi.max(s.ts)),
                });
                self.samples.push(s);
                if self.samples.len() >= BATCH {
                    self.send_batch();
                }
            }
            Item::Reject(r) => {
                self.rejects.push(*r);
                if self.rejects.len() >= REJECTS_BATCH {
                    self.send_batch();
                }
            }
            Item::NoReading => self.no_readings += 1,
        }
    }

    fn send_batch(&mut self) {
        if self.closed
            || (self.samples.is_empty() && self.rejects.is_empty() && self.no_readings == 0)
        {
            return;
        }
        if let Some(t) = self.throttle {
            t.sent(self.lane, self.samples.len());
        }
        let msg = Msg::Items {
            lane: self.lane,
            samples: std::mem::replace(&mut self.samples, Vec::with_capacity(BATCH)),
            rejects: std::mem::take(&mut self.rejects),
            no_readings: std::mem::take(&mut self.no_readings),
        };
        self.closed = self.tx.send(msg).is_err();
    }

    /// The span of the file just sent, when it is a Takeout day file of `date`.
    fn day_file(&self, kind: Kind, date: Option<chrono::NaiveDate>) -> Option<DayFile> {
        match (kind, date, self.bounds) {
            (Kind::TakeoutJson, Some(local_date), Some((first_ts, last_ts))) => Some(DayFile {
                local_date,
                first_ts,
                last_ts,
            }),
            _ => None,
        }
    }

    fn send(&mut self, msg: Msg) {
        self.closed = self.closed || self.tx.send(msg).is_err();
    }
}

fn read_bytes(mut r: impl Read, size_hint: u64) -> std::io::Result<Vec<u8>> {
    if size_hint > MAX_FILE {
        return Err(std::io::Error::other(format!(
            "file is larger than {MAX_FILE} bytes"
        )));
    }
    let mut buf = Vec::with_capacity(size_hint as usize);
    r.by_ref().take(MAX_FILE + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_FILE {
        return Err(std::io::Error::other(format!(
            "file is larger than {MAX_FILE} bytes"
        )));
    }
    Ok(buf)
}

fn parse_reader(
    kind: Kind,
    r: impl Read,
    size: u64,
    name: &str,
    out: &mut dyn FnMut(Item),
) -> std::io::Result<()> {
    match kind {
        Kind::TakeoutCsv => csv_file::parse(r, name, false, out),
        Kind::Csv => csv_file::parse(r, name, true, out),
        // A day file is small and read whole (fast, and a report can name its line); one
        // that is not is read as a stream.
        Kind::TakeoutJson if size > STREAM_JSON_OVER => takeout_json::parse_stream(r, name, out),
        Kind::TakeoutJson => takeout_json::parse(&read_bytes(r, size)?, name, out),
        Kind::HealthPage => health_page::parse(&read_bytes(r, size)?, name, out),
        Kind::GoogleFit => super::google_fit::parse(r, name, out),
        Kind::Tar => unreachable!("archives are read member by member"),
    }
    Ok(())
}

/// Reads a `.tgz` archive as one stream, member by member (memory does not grow with the
/// archive), parsing the members of `s`'s lane: each heart-rate member is parsed and its
/// end reported like a file's; the rest reader counts other members as skipped.
fn read_tgz(path: &std::path::Path, display: &str, s: &mut Sender<'_>) -> Result<(), String> {
    let mut file = BufReader::new(File::open(path).map_err(|e| e.to_string())?);
    // Compressed or not by its first bytes: a `.tgz` whose gzip encoding a browser undid
    // on download is a tar under the same name.
    let head = file.fill_buf().map_err(|e| e.to_string())?;
    let gzipped = head.starts_with(&[0x1f, 0x8b]);
    if let Some(words) = not_an_archive(head).filter(|_| !gzipped) {
        return Err(words.to_string());
    }
    let stream: Box<dyn Read> = if gzipped {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut archive = tar::Archive::new(stream);
    let entries = archive.entries().map_err(|e| e.to_string())?;
    let mut members = 0u64;
    for entry in entries {
        if s.closed {
            return Ok(());
        }
        // The tar library's report of a first header that is garbage (kind `Other`; the
        // decompressor's are not) quotes the garbage: it is said in words of our own.
        let mut entry = entry.map_err(|e| match (members, gzipped) {
            _ if members > 0 && cut_short(&e) => format!(
                "cut short after {members} member(s) (an interrupted download?): what came before the cut was imported; download this part again"
            ),
            (0, false) => "not a .tgz or .tar archive: neither gzip-compressed nor a tar".into(),
            (0, true) if e.kind() == std::io::ErrorKind::Other => {
                "not a .tgz archive: gzip-compressed, but not a tar inside".into()
            }
            (0, true) => format!("not a readable .tgz archive: {e}"),
            _ => format!("not a readable .tgz or .tar archive: {e}"),
        })?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        members += 1;
        let member = entry
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let kind_date = classify_name(&member)
            .map(|(k, d)| (k, Some(d)))
            .or_else(|| classify_undated(&member).map(|k| (k, None)));
        if !s.lane.takes(kind_date) {
            continue;
        }
        let name = format!("{display}/{member}");
        let size = entry.size();
        if let Some((kind, date)) = kind_date {
            if let Some(t) = s.throttle {
                t.wait_for_room(s.lane);
            }
            s.bounds = None;
            let r = parse_reader(kind, &mut entry, size, &name, &mut |it| s.push(it));
            if let Err(e) = r {
                let reason = if cut_short(&e) {
                    "cut short: the archive ends inside this member".to_string()
                } else {
                    format!("could not read: {e}")
                };
                s.push(Item::reject(&name, None, reason));
            }
            s.send_batch();
            let day = s.day_file(kind, date);
            s.send(Msg::Member {
                lane: s.lane,
                name,
                day,
            });
        } else if is_demographics(&member) {
            if let Ok(bytes) = read_bytes(&mut entry, size) {
                s.send(Msg::Demographics(bytes));
            }
        } else {
            s.send(Msg::Skipped);
        }
    }
    Ok(())
}

/// Whether a read failed because its stream ended too soon: the decompressor's end of
/// input inside a block, or the tar library's inside a member it skips.
fn cut_short(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::UnexpectedEof || e.to_string().contains("unexpected EOF")
}

/// Reads a `.tgz` with two readers at once: the day files on a thread of their own, the
/// rest here (the one that reports what is wrong with the archive: the other reads the
/// same bytes). Each reader's end is sent, so that nothing waits for it any longer.
fn read_tgz_twice<'a>(
    path: &std::path::Path,
    display: &str,
    s: &mut Sender<'a>,
    throttle: &'a Throttle,
) -> Result<(), String> {
    throttle.restart();
    s.throttle = Some(throttle);
    let tx = s.tx;
    let r = std::thread::scope(|scope| {
        scope.spawn(|| {
            give_way();
            let mut days = Sender::new(tx, Lane::DayFiles, Some(throttle));
            // What is wrong with the archive is the rest reader's to report.
            let _ = read_tgz(path, display, &mut days);
            throttle.ended(Lane::DayFiles);
            days.send_batch();
            days.send(Msg::LaneEnd(Lane::DayFiles));
        });
        let r = read_tgz(path, display, s);
        throttle.ended(Lane::Rest);
        s.send_batch();
        s.send(Msg::LaneEnd(Lane::Rest));
        r
    });
    s.throttle = None;
    r
}

/// How far a reader's thread gives way to the import's others (a nice value, 0 to 19).
const READER_NICE: i32 = 10;

/// Lowers the calling reader's priority, so that the store's thread (the import's
/// bottleneck) and the merging thread that feeds it get a core first when all want one: on
/// a year's .tgz the store's thread waited 0.8 s runnable while the readers held its core,
/// 0.4 s with them at 10 (docs/PERFORMANCE.md). Readers still run whenever a core is free,
/// and they bring what the store needs before it waits, since they work ahead. Linux keeps
/// a nice value per thread (and, with autogroups, weighs it against the same session's
/// threads only); elsewhere it is the whole process's, so there readers keep theirs.
fn give_way() {
    #[cfg(target_os = "linux")]
    // SAFETY: getpriority and setpriority take plain integers; on Linux `0` names the
    // calling thread. A thread already nicer is left so; a refusal leaves it as it was.
    unsafe {
        if libc::getpriority(libc::PRIO_PROCESS, 0) < READER_NICE {
            libc::setpriority(libc::PRIO_PROCESS, 0, READER_NICE);
        }
    }
}

/// The bytes of one small file where discovery found it (a file, or a zip entry).
pub(super) fn read_small(location: &Location) -> Result<Vec<u8>, String> {
    match location {
        Location::File(p) => File::open(p)
            .and_then(|f| read_bytes(f, 0))
            .map_err(|e| e.to_string()),
        Location::Zip { archive, entry } => {
            let mut file = BufReader::new(File::open(archive).map_err(|e| e.to_string())?);
            let member = entry.open(&mut file)?;
            let size = member.size();
            read_bytes(member, size).map_err(|e| e.to_string())
        }
    }
}

/// The parse thread: reads every unit in order and sends what it finds.
pub(super) fn read_all<'a>(units: &[Unit], tx: &'a SyncSender<Msg>, throttle: &'a Throttle) {
    give_way();
    let mut archives: HashMap<PathBuf, BufReader<File>> = HashMap::new();
    for (i, unit) in units.iter().enumerate() {
        let mut s = Sender::new(tx, Lane::Rest, None);
        let name = unit.display.as_str();
        let result: Result<(), String> = match &unit.location {
            Location::File(p) if unit.kind == Kind::Tar => {
                read_tgz_twice(p, name, &mut s, throttle)
            }
            Location::File(p) => File::open(p)
                .and_then(|f| {
                    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
                    parse_reader(unit.kind, BufReader::new(f), size, name, &mut |it| {
                        s.push(it)
                    })
                })
                .map_err(|e| e.to_string()),
            Location::Zip { archive, entry } => {
                // One open file per part, not its directory: the entry is discovery's.
                let file = match archives.entry(archive.clone()) {
                    std::collections::hash_map::Entry::Occupied(o) => Ok(o.into_mut()),
                    std::collections::hash_map::Entry::Vacant(v) => File::open(archive)
                        .map(|f| v.insert(BufReader::new(f)))
                        .map_err(|e| e.to_string()),
                };
                file.and_then(|file| {
                    let member = entry.open(file)?;
                    let size = member.size();
                    parse_reader(unit.kind, member, size, name, &mut |it| s.push(it))
                        .map_err(|e| e.to_string())
                })
            }
        };
        if let Err(message) = result {
            s.push(Item::reject(
                name,
                None,
                format!("could not read: {message}"),
            ));
        }
        s.send_batch();
        let day = s.day_file(unit.kind, unit.date);
        if s.closed || tx.send(Msg::Done { unit: i, day }).is_err() {
            return;
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The nice value of the calling thread.
    fn nice() -> i32 {
        // SAFETY: as in `give_way`; getpriority's answer is the value, errno is not needed
        // since no nice value here is -1.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
    }

    #[test]
    fn a_reader_gives_way_and_only_its_own_thread() {
        let before = nice();
        let reader = std::thread::spawn(|| {
            give_way();
            nice()
        })
        .join()
        .unwrap();
        assert_eq!(reader, READER_NICE.max(before));
        // The thread that started it (the merging thread, the store's) keeps its own.
        assert_eq!(nice(), before);
    }
}

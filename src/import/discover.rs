//! Finding heart-rate files in what the user named, and reading them on the parse thread.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::SyncSender;

use chrono::NaiveDate;

use super::{csv_file, health_page, takeout_json, ImportError, Item, Msg, Reject, BATCH};
use crate::store::DayFile;

/// The kinds of file fitpipe reads. The order is the read order within one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `heart_rate-YYYY-MM-DD.json`, one per local day.
    TakeoutJson,
    /// `heart_rate_YYYY-MM-DD.csv`.
    TakeoutCsv,
    /// Any other heart-rate CSV (`time,bpm`).
    Csv,
    /// A saved Google Health API page.
    HealthPage,
}

#[derive(Debug, Clone)]
enum Location {
    File(PathBuf),
    Zip { archive: PathBuf, index: usize },
}

/// One file to read.
#[derive(Debug, Clone)]
pub struct Unit {
    pub kind: Kind,
    /// The date in the file name, when it has one.
    pub date: Option<NaiveDate>,
    /// How the file is named in reports.
    pub display: String,
    location: Location,
}

/// Everything found under the paths the user named.
#[derive(Debug, Default)]
pub struct Discovery {
    pub units: Vec<Unit>,
    /// Files in folders and archives that hold no heart rate (steps, sleep...).
    pub skipped: u64,
}

/// Largest single file read whole into memory (one Takeout day is a few MB).
const MAX_FILE: u64 = 1 << 30;

fn classify_name(name: &str) -> Option<(Kind, NaiveDate)> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let date = crate::formats::date;
    if let Some(d) = base
        .strip_prefix("heart_rate-")
        .and_then(|r| r.strip_suffix(".json"))
    {
        return date(d).map(|d| (Kind::TakeoutJson, d));
    }
    if let Some(d) = base
        .strip_prefix("heart_rate_")
        .and_then(|r| r.strip_suffix(".csv"))
    {
        return date(d).map(|d| (Kind::TakeoutCsv, d));
    }
    None
}

fn has_ext(p: &Path, ext: &str) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// Lists the heart-rate files in `paths`: folders are searched recursively, zip archives
/// (also inside folders) are listed without extracting, and a file named directly is read
/// by its kind. The result is in read order: dated files by date, then the rest.
pub fn discover(paths: &[PathBuf]) -> Result<Discovery, ImportError> {
    let mut found = Discovery::default();
    for path in paths {
        if !path.exists() {
            return Err(ImportError::NotFound(path.clone()));
        }
        if path.is_dir() {
            walk(path, &mut found)?;
        } else if has_ext(path, "zip") {
            list_zip(path, &mut found)?;
        } else {
            let kind_date = classify_name(&path.to_string_lossy());
            let (kind, date) = match kind_date {
                Some((k, d)) => (k, Some(d)),
                None if has_ext(path, "csv") => (Kind::Csv, None),
                None if has_ext(path, "json") => (Kind::HealthPage, None),
                None => return Err(ImportError::Unsupported(path.clone())),
            };
            found.units.push(Unit {
                kind,
                date,
                display: path.display().to_string(),
                location: Location::File(path.clone()),
            });
        }
    }
    if found.units.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(ImportError::NothingFound(names.join(", ")));
    }
    found.units.sort_by(|a, b| {
        (a.date.is_none(), a.date, a.kind, &a.display).cmp(&(
            b.date.is_none(),
            b.date,
            b.kind,
            &b.display,
        ))
    });
    Ok(found)
}

fn walk(dir: &Path, found: &mut Discovery) -> Result<(), ImportError> {
    let unreadable = |e: std::io::Error| ImportError::Unreadable {
        path: dir.to_path_buf(),
        message: e.to_string(),
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(unreadable)?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, found)?;
        } else if has_ext(&p, "zip") {
            list_zip(&p, found)?;
        } else if let Some((kind, date)) = classify_name(&p.to_string_lossy()) {
            found.units.push(Unit {
                kind,
                date: Some(date),
                display: p.display().to_string(),
                location: Location::File(p),
            });
        } else {
            found.skipped += 1;
        }
    }
    Ok(())
}

fn open_zip(path: &Path) -> Result<zip::ZipArchive<BufReader<File>>, ImportError> {
    let file = File::open(path).map_err(|e| ImportError::Unreadable {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    zip::ZipArchive::new(BufReader::new(file)).map_err(|e| ImportError::Unreadable {
        path: path.to_path_buf(),
        message: format!("not a readable zip archive: {e}"),
    })
}

fn list_zip(path: &Path, found: &mut Discovery) -> Result<(), ImportError> {
    let archive = open_zip(path)?;
    for index in 0..archive.len() {
        let Some(name) = archive.name_for_index(index) else {
            continue;
        };
        if name.ends_with('/') {
            continue;
        }
        match classify_name(name) {
            Some((kind, date)) => found.units.push(Unit {
                kind,
                date: Some(date),
                display: format!("{}/{}", path.display(), name),
                location: Location::Zip {
                    archive: path.to_path_buf(),
                    index,
                },
            }),
            None => found.skipped += 1,
        }
    }
    Ok(())
}

/// Sends items in batches; remembers whether the writer has gone away.
struct Sender<'a> {
    tx: &'a SyncSender<Msg>,
    batch: Vec<Item>,
    closed: bool,
    bounds: Option<(i64, i64)>,
}

impl Sender<'_> {
    fn push(&mut self, item: Item) {
        if let Item::Sample(s) = &item {
            self.bounds = Some(match self.bounds {
                None => (s.ts, s.ts),
                Some((lo, hi)) => (lo.min(s.ts), hi.max(s.ts)),
            });
        }
        self.batch.push(item);
        if self.batch.len() >= BATCH {
            self.send_batch();
        }
    }

    fn send_batch(&mut self) {
        if !self.batch.is_empty() && !self.closed {
            let b = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
            self.closed = self.tx.send(Msg::Items(b)).is_err();
        }
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
        Kind::TakeoutJson => takeout_json::parse(&read_bytes(r, size)?, name, out),
        Kind::HealthPage => health_page::parse(&read_bytes(r, size)?, name, out),
    }
    Ok(())
}

/// The parse thread: reads every unit in order and sends what it finds.
pub(super) fn read_all(units: &[Unit], tx: &SyncSender<Msg>) {
    let mut archives: HashMap<PathBuf, zip::ZipArchive<BufReader<File>>> = HashMap::new();
    for (i, unit) in units.iter().enumerate() {
        let mut s = Sender {
            tx,
            batch: Vec::with_capacity(BATCH),
            closed: false,
            bounds: None,
        };
        let name = unit.display.as_str();
        let result: Result<(), String> = match &unit.location {
            Location::File(p) => File::open(p)
                .and_then(|f| {
                    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
                    parse_reader(unit.kind, BufReader::new(f), size, name, &mut |it| {
                        s.push(it)
                    })
                })
                .map_err(|e| e.to_string()),
            Location::Zip { archive, index } => {
                if !archives.contains_key(archive) {
                    match open_zip(archive) {
                        Ok(a) => {
                            archives.insert(archive.clone(), a);
                        }
                        Err(e) => {
                            s.push(Item::Reject(Reject::new(name, None, e.to_string())));
                        }
                    }
                }
                match archives.get_mut(archive) {
                    None => Ok(()),
                    Some(a) => match a.by_index(*index) {
                        Ok(entry) => {
                            let size = entry.size();
                            parse_reader(unit.kind, entry, size, name, &mut |it| s.push(it))
                                .map_err(|e| e.to_string())
                        }
                        Err(e) => Err(e.to_string()),
                    },
                }
            }
        };
        if let Err(message) = result {
            s.push(Item::Reject(Reject::new(
                name,
                None,
                format!("could not read: {message}"),
            )));
        }
        s.send_batch();
        let day = match (unit.kind, unit.date, s.bounds) {
            (Kind::TakeoutJson, Some(local_date), Some((first_ts, last_ts))) => Some(DayFile {
                local_date,
                first_ts,
                last_ts,
            }),
            _ => None,
        };
        if s.closed || tx.send(Msg::Done { unit: i, day }).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takeout_names_are_recognised() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 10).unwrap();
        assert_eq!(
            classify_name("Takeout/Google Health/Global Export Data/heart_rate-2024-03-10.json"),
            Some((Kind::TakeoutJson, d))
        );
        assert_eq!(
            classify_name("x/heart_rate_2024-03-10.csv"),
            Some((Kind::TakeoutCsv, d))
        );
        assert_eq!(
            classify_name("x/heart_rate_variability_2024-03-10.csv"),
            None
        );
        assert_eq!(classify_name("x/resting_heart_rate-2024-03-01.json"), None);
        assert_eq!(classify_name("x/heart_rate_readme.txt"), None);
    }
}

//! Finding heart-rate files in what the user named: folders, zip archives (their central
//! directory only), the kind of each file and the order they are read in.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;

use super::{ImportError, Reject};

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
    /// Google Fit's `raw_com.google.heart_rate.bpm*.json`: one data source, years long.
    GoogleFit,
    /// A `.tgz` / `.tar.gz` / `.tar` archive, read as a stream: its heart-rate members in
    /// the order they are stored. Compressed or not is told by its first bytes, not its
    /// name (a browser that undoes a download's gzip encoding saves a `.tgz` as a tar).
    Tar,
}

/// Where a unit's bytes are.
#[derive(Debug, Clone)]
pub(super) enum Location {
    File(PathBuf),
    Zip { archive: PathBuf, entry: ZipEntry },
}

/// One member of a zip, as its central directory describes it: kept from discovery so
/// that it is read without the directory of the whole archive, which for a full Takeout
/// (one entry per photo) is hundreds of MB in memory (docs/PERFORMANCE.md). Read once.
#[derive(Debug, Clone)]
pub(super) struct ZipEntry(Arc<Mutex<Option<zip::read::ZipFileEntry<'static>>>>);

impl ZipEntry {
    /// The member's reader over `file` (its archive); a second read is refused.
    pub(super) fn open<'a>(
        &self,
        file: &'a mut BufReader<File>,
    ) -> Result<zip::read::ZipFile<'a, BufReader<File>>, String> {
        let entry = self
            .0
            .lock()
            .expect("a reader does not panic holding it")
            .take()
            .ok_or("read already")?;
        entry
            .with_reader(file, zip::read::ZipReadOptions::new())
            .map_err(|e| e.to_string())
    }
}

/// One file to read.
#[derive(Debug, Clone)]
pub struct Unit {
    pub kind: Kind,
    /// The date in the file name, when it has one.
    pub date: Option<NaiveDate>,
    /// How the file is named in reports.
    pub display: String,
    pub(super) location: Location,
}

/// Everything found under the paths the user named.
#[derive(Debug, Default)]
pub struct Discovery {
    pub units: Vec<Unit>,
    /// `UserDemographicData.csv` files, which state the user's time zone: (name, where).
    pub(super) demographics: Vec<(String, Location)>,
    /// Files in folders and archives that hold no heart rate (steps, sleep...).
    pub skipped: u64,
    /// What could not be read at all (a zip cut short or a web page in its place, a part
    /// still downloading): rejected, while the rest of what was named is imported.
    pub(super) unreadable: Vec<Reject>,
    /// The paths given, absolute and sorted: what an import of them is known by (an
    /// import cut short is finished by the next one of the same inputs).
    pub inputs: Vec<String>,
}

/// Google Fit's heart-rate files carry no date in their names.
pub(super) fn classify_undated(name: &str) -> Option<Kind> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    super::google_fit::is_fit_heart_rate(base).then_some(Kind::GoogleFit)
}

pub(super) fn classify_name(name: &str) -> Option<(Kind, NaiveDate)> {
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

/// Whether `name` is the export's profile file that states the user's time zone.
pub(super) fn is_demographics(name: &str) -> bool {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.eq_ignore_ascii_case("UserDemographicData.csv")
}

/// Whether `p` names a tar archive, gzip-compressed (`.tgz`, `.tar.gz`) or not (`.tar`).
fn is_tar(p: &Path) -> bool {
    let name = p.to_string_lossy().to_ascii_lowercase();
    name.ends_with(".tgz") || name.ends_with(".tar.gz") || name.ends_with(".tar")
}

/// The endings browsers give a download while it is under way, and keep when it stops
/// (Chrome's and Edge's, Firefox's, Safari's, which is a folder, and older Edge's).
const UNFINISHED: [&str; 4] = [".crdownload", ".part", ".download", ".partial"];

/// The file an unfinished download of a browser will be, when `p` is one.
fn unfinished(p: &Path) -> Option<PathBuf> {
    let name = p.file_name()?.to_string_lossy().to_ascii_lowercase();
    let end = UNFINISHED.iter().find(|e| name.ends_with(*e))?;
    let full = p.to_string_lossy();
    Some(PathBuf::from(&full[..full.len() - end.len()]))
}

/// Notes an unfinished download as rejected: what it will be, and what to do.
fn reject_unfinished(p: &Path, finished: &Path, found: &mut Discovery) {
    let name = finished.file_name().map_or_else(
        || finished.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    found.unreadable.push(Reject::new(
        &p.display().to_string(),
        None,
        format!(
            "an unfinished download (the browser is still writing it, or it stopped): once it has finished, import {name}"
        ),
    ));
}

/// Whether a file of this name is one discovery reads: an archive or a heart-rate file.
fn is_read(p: &Path) -> bool {
    let name = p.to_string_lossy();
    has_ext(p, "zip")
        || is_tar(p)
        || classify_name(&name).is_some()
        || classify_undated(&name).is_some()
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
        let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        found.inputs.push(absolute.display().to_string());
        if let Some(finished) = unfinished(path) {
            reject_unfinished(path, &finished, &mut found);
        } else if path.is_dir() {
            walk(path, &mut found)?;
        } else if has_ext(path, "zip") {
            list_zip(path, &mut found)?;
        } else if is_tar(path) {
            found.units.push(tar_unit(path));
        } else {
            let kind_date = classify_name(&path.to_string_lossy());
            let (kind, date) = match kind_date {
                Some((k, d)) => (k, Some(d)),
                None if classify_undated(&path.to_string_lossy()).is_some() => {
                    (Kind::GoogleFit, None)
                }
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
    if found.units.is_empty() && found.unreadable.is_empty() {
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
    found.inputs.sort();
    found.inputs.dedup();
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
        // A part still downloading beside the others is said, not skipped unseen.
        if let Some(finished) = unfinished(&p).filter(|f| is_read(f)) {
            reject_unfinished(&p, &finished, found);
        } else if p.is_dir() {
            walk(&p, found)?;
        } else if has_ext(&p, "zip") {
            list_zip(&p, found)?;
        } else if is_tar(&p) {
            found.units.push(tar_unit(&p));
        } else if let Some((kind, date)) = classify_name(&p.to_string_lossy()) {
            found.units.push(Unit {
                kind,
                date: Some(date),
                display: p.display().to_string(),
                location: Location::File(p),
            });
        } else if let Some(kind) = classify_undated(&p.to_string_lossy()) {
            found.units.push(Unit {
                kind,
                date: None,
                display: p.display().to_string(),
                location: Location::File(p),
            });
        } else if is_demographics(&p.to_string_lossy()) {
            found
                .demographics
                .push((p.display().to_string(), Location::File(p)));
        } else {
            found.skipped += 1;
        }
    }
    Ok(())
}

fn tar_unit(path: &Path) -> Unit {
    Unit {
        kind: Kind::Tar,
        date: None,
        display: path.display().to_string(),
        location: Location::File(path.to_path_buf()),
    }
}

/// The first bytes of a zip local header: how a zip, even one cut short, begins.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// Words for a download that is not the archive it is named as, by its first bytes:
/// nothing at all, or a web page saved in its place (a download link that had expired or
/// asked to sign in).
pub(super) fn not_an_archive(head: &[u8]) -> Option<&'static str> {
    if head.is_empty() {
        Some("empty (0 bytes): download it again")
    } else if head.trim_ascii_start().starts_with(b"<") {
        Some("a web page, saved in the archive's place (a download link that had expired or asked to sign in?): download it again")
    } else {
        None
    }
}

/// Why a zip that did not open is unreadable, in words: a zip is read from its end, where
/// the list of its members is, so one that begins as a zip but did not open was cut short.
fn zip_fault(path: &Path, message: &str) -> String {
    let mut head = Vec::with_capacity(512);
    if File::open(path)
        .and_then(|f| f.take(512).read_to_end(&mut head))
        .is_err()
    {
        return message.to_string();
    }
    match not_an_archive(&head) {
        Some(words) => words.to_string(),
        None if head.starts_with(ZIP_MAGIC) => "cut short (an interrupted download?): the list of its members, at the end of a zip, is missing, so nothing was read from it: download this part again".to_string(),
        None => "not a zip archive: download it again".to_string(),
    }
}

/// Lists a zip's heart-rate members, one entry of its central directory at a time (only
/// theirs are kept); one that cannot be opened is noted as rejected.
fn list_zip(path: &Path, found: &mut Discovery) -> Result<(), ImportError> {
    let file = File::open(path).map_err(|e| ImportError::Unreadable {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut archive = match zip::unstable::read::ZipIterable::try_new(
        BufReader::new(file),
        zip::read::Config::default(),
    ) {
        Ok(archive) => archive,
        Err(e) => {
            let reason = zip_fault(path, &e.to_string());
            found
                .unreadable
                .push(Reject::new(&path.display().to_string(), None, reason));
            return Ok(());
        }
    };
    let reject = |found: &mut Discovery, e: zip::result::ZipError| {
        found.unreadable.push(Reject::new(
            &path.display().to_string(),
            None,
            format!("not a readable zip archive: {e}"),
        ));
    };
    let entries = match archive.files() {
        Ok(entries) => entries,
        Err(e) => {
            reject(found, e);
            return Ok(());
        }
    };
    for entry in entries {
        // A directory damaged part way: rejected, as one that does not open is, and the
        // members listed before the damage are read.
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                reject(found, e);
                break;
            }
        };
        let Ok(name) = entry.name().map(|n| n.into_owned()) else {
            found.skipped += 1;
            continue;
        };
        if name.ends_with('/') {
            continue;
        }
        let display = format!("{}/{}", path.display(), name);
        let location = || Location::Zip {
            archive: path.to_path_buf(),
            entry: ZipEntry(Arc::new(Mutex::new(Some(entry)))),
        };
        match classify_name(&name) {
            Some((kind, date)) => found.units.push(Unit {
                kind,
                date: Some(date),
                display,
                location: location(),
            }),
            None if classify_undated(&name).is_some() => found.units.push(Unit {
                kind: Kind::GoogleFit,
                date: None,
                display,
                location: location(),
            }),
            None if is_demographics(&name) => found.demographics.push((display, location())),
            None => found.skipped += 1,
        }
    }
    Ok(())
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

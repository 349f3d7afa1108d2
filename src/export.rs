//! fitpipe's own CSV: the master table (stable columns, sorted rows, written atomically:
//! temp file in the same folder, fsync, rename, so identical data gives byte-identical
//! files and a reader never sees half a file), the one writer configuration every CSV
//! fitpipe writes uses, and the strict reader of what fitpipe wrote (the remote's objects).
//! People's CSV files are read by `import`.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::model::{push_hour_local, push_utc, Hour};
use crate::store::{Store, StoreError};

/// The export's columns, in order.
pub const COLUMNS: [&str; 5] = [
    "account",
    "hour_start_utc",
    "hour_start_local",
    "max_bpm",
    "sample_count",
];

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A CSV writer's error as the I/O error it is, when it is one (its kind kept: a closed
/// pipe stays `BrokenPipe`); any other CSV error as an I/O error of kind `Other`.
pub fn csv_io_error(e: csv::Error) -> std::io::Error {
    if !matches!(e.kind(), csv::ErrorKind::Io(_)) {
        return std::io::Error::other(e);
    }
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        _ => unreachable!("checked above"),
    }
}

/// A CSV writer as fitpipe writes every CSV: `\n` line ends, quotes only where needed.
pub fn csv_writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w)
}

/// Reads a CSV object fitpipe wrote, strictly: the header must be `columns`, every record
/// must have that many fields, and `row` sees each record with its 1-based line. Any
/// deviation is an error naming the line.
pub fn read_strict(
    bytes: &[u8],
    columns: &[&str],
    mut row: impl FnMut(usize, &csv::StringRecord) -> Result<(), String>,
) -> Result<(), String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = rdr.records();
    match rows.next() {
        None => return Err("empty file (expected a header line)".into()),
        Some(Err(e)) => return Err(format!("line 1: {e}")),
        Some(Ok(h)) if h.iter().ne(columns.iter().copied()) => {
            return Err(format!("line 1: header is not {}", columns.join(",")));
        }
        Some(Ok(_)) => {}
    }
    for (i, rec) in rows.enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("line {line}: {e}"))?;
        if rec.len() != columns.len() {
            return Err(format!(
                "line {line}: expected {} fields, found {}",
                columns.len(),
                rec.len()
            ));
        }
        row(line, &rec)?;
    }
    Ok(())
}

/// Writes hours as rows of [`COLUMNS`] (the UTC hour start, the local one when the offset
/// is known, else empty, the max and the sample count), reusing its buffers from row to row.
/// The one row format of the master table: the export and the remote's copy, which adds
/// each hour's source policy version and where its local time came from
/// ([`RowWriter::for_remote`]).
#[derive(Default)]
pub struct RowWriter {
    utc: String,
    local: String,
    max: String,
    count: String,
    /// The remote copy's fields: the policy version, the local time's evidence and when
    /// its zone was chosen.
    remote: Option<[String; 2]>,
}

impl RowWriter {
    /// A writer that adds three fields: the hour's policy version (16 hex digits), where its
    /// local time came from (`model::LocalFrom`) and when the zone it was computed with was
    /// chosen (RFC 3339); each empty when unknown.
    pub fn for_remote() -> RowWriter {
        RowWriter {
            remote: Some(Default::default()),
            ..RowWriter::default()
        }
    }

    pub fn write<W: Write>(
        &mut self,
        out: &mut csv::Writer<W>,
        account: &str,
        h: &Hour,
    ) -> csv::Result<()> {
        use std::fmt::Write as _;
        self.utc.clear();
        push_utc(&mut self.utc, h.hour);
        self.local.clear();
        if let Some(o) = h.utc_offset_min {
            push_hour_local(&mut self.local, h.hour, o as i64);
        }
        self.max.clear();
        let _ = write!(self.max, "{}", h.max_bpm);
        self.count.clear();
        let _ = write!(self.count, "{}", h.sample_count);
        let fields = [
            account,
            self.utc.as_str(),
            self.local.as_str(),
            self.max.as_str(),
            self.count.as_str(),
        ];
        match &mut self.remote {
            None => out.write_record(fields),
            Some([policy, chosen]) => {
                policy.clear();
                if let Some(v) = h.policy {
                    let _ = write!(policy, "{v:016x}");
                }
                chosen.clear();
                if h.local.chosen_at != 0 {
                    push_utc(chosen, h.local.chosen_at);
                }
                let from = h.local.from.as_str();
                out.write_record(fields.iter().copied().chain([
                    policy.as_str(),
                    from,
                    chosen.as_str(),
                ]))
            }
        }
    }
}

/// Writes the master table (or one account of it) as CSV to `w`; returns the row count.
pub fn write_csv<W: Write>(store: &Store, account: Option<&str>, w: W) -> Result<u64, ExportError> {
    let io = |source: std::io::Error| ExportError::Io {
        path: PathBuf::from("-"),
        source,
    };
    let mut out = csv_writer(w);
    out.write_record(COLUMNS).map_err(|e| io(e.into()))?;
    let mut n = 0u64;
    let mut rows = RowWriter::default();
    store
        .for_each_hour(account, |name, h| {
            n += 1;
            rows.write(&mut out, name, h).map_err(csv_io_error)
        })?
        .map_err(io)?;
    out.flush().map_err(io)?;
    Ok(n)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, fsync, rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    write_file_atomically(path, |w| {
        w.write_all(bytes).map_err(|source| ExportError::Io {
            path: path.to_path_buf(),
            source,
        })
    })
}

/// Writes the export to `path` atomically; returns the row count.
pub fn export_to_file(
    store: &Store,
    account: Option<&str>,
    path: &Path,
) -> Result<u64, ExportError> {
    let mut n = 0;
    write_file_atomically(path, |w| {
        n = write_csv(store, account, w).map_err(|e| match e {
            ExportError::Io { source, .. } => ExportError::Io {
                path: path.to_path_buf(),
                source,
            },
            other => other,
        })?;
        Ok(())
    })?;
    Ok(n)
}

fn write_file_atomically(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    crate::files::write_atomically(path, fill).map_err(|source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    })?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Sample;

    #[test]
    fn export_is_sorted_stable_and_byte_identical() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("f.db")).unwrap();
        let b = store.ensure_account("b", "t").unwrap();
        let a = store.ensure_account("a", "t").unwrap();
        for (acct, ts, bpm, off) in [
            (b, 7200, 90, None),
            (a, 3700, 80, Some(-300)),
            (a, 10, 70, None),
        ] {
            let mut w = store.sample_writer(acct).unwrap();
            w.insert(&Sample {
                ts,
                bpm,
                utc_offset_min: off,
                device: None,
            })
            .unwrap();
            w.commit().unwrap();
        }
        let p1 = dir.path().join("out/one.csv");
        let p2 = dir.path().join("out/two.csv");
        assert_eq!(export_to_file(&store, None, &p1).unwrap(), 3);
        export_to_file(&store, None, &p2).unwrap();
        let one = std::fs::read_to_string(&p1).unwrap();
        assert_eq!(one, std::fs::read_to_string(&p2).unwrap());
        assert_eq!(
            one,
            "account,hour_start_utc,hour_start_local,max_bpm,sample_count\n\
             a,1970-01-01T00:00:00Z,,70,1\n\
             a,1970-01-01T01:00:00Z,1969-12-31T20:00:00-05:00,80,1\n\
             b,1970-01-01T02:00:00Z,,90,1\n"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("out")).unwrap().collect();
        assert_eq!(leftovers.len(), 2, "no temp file is left behind");
    }
}

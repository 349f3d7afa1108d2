//! `fitpipe query "SQL" [--format table|csv|json|ndjson]`: rows are written as SQLite
//! produces them, through a buffered writer, so memory does not depend on the result's size.
//! The table, for people at a terminal, shows the first [`TABLE_ROWS`] rows and says how
//! many more there are.

use std::io::Write;

use clap::{Args, ValueEnum};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use crate::config::Settings;
use crate::error::Error;
use crate::store::{Cell, Row, Rows, Store};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// One read-only SQL statement, e.g. "SELECT * FROM hourly_max LIMIT 5".
    pub sql: String,

    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// The most rows a table shows: its column widths come from them, and nothing past them is
/// held in memory.
pub const TABLE_ROWS: usize = 500;

/// Writes a cell as CSV and the table show it: integers and reals as Rust prints them, text
/// as it is, blobs in hex, NULL as nothing.
fn push_text(out: &mut String, c: &Cell<'_>) {
    use std::fmt::Write as _;
    match c {
        Cell::Null => {}
        Cell::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Cell::Real(f) => {
            let _ = write!(out, "{f}");
        }
        Cell::Text(t) => out.push_str(t),
        Cell::Blob(b) => {
            for x in *b {
                let _ = write!(out, "{x:02x}");
            }
        }
    }
}

/// A cell as JSON: SQLite's type kept (integers stay integers, NULL is null), a real that is
/// not finite as null, a blob as hex text.
struct JsonCell<'c, 'a>(&'c Cell<'a>);

impl serde::Serialize for JsonCell<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Cell::Null => s.serialize_unit(),
            Cell::Integer(i) => s.serialize_i64(*i),
            Cell::Real(f) if f.is_finite() => s.serialize_f64(*f),
            Cell::Real(_) => s.serialize_unit(),
            Cell::Text(t) => s.serialize_str(t),
            Cell::Blob(_) => {
                let mut hex = String::new();
                push_text(&mut hex, self.0);
                s.serialize_str(&hex)
            }
        }
    }
}

/// A row as a JSON object. A name that appears twice is one key, at its first place, with
/// its last value (what a JSON object of the result would hold).
struct JsonRow<'r, 'a> {
    keys: &'a [(String, usize)],
    row: &'r Row<'r>,
}

impl serde::Serialize for JsonRow<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.keys.len()))?;
        for (name, i) in self.keys {
            m.serialize_entry(name, &JsonCell(&self.row.cell(*i)))?;
        }
        m.end()
    }
}

/// The keys of a JSON row: each distinct column name, in the order it first appears, with
/// the index of its last column.
fn json_keys(columns: &[String]) -> Vec<(String, usize)> {
    let mut keys: Vec<(String, usize)> = Vec::with_capacity(columns.len());
    for (i, c) in columns.iter().enumerate() {
        match keys.iter_mut().find(|(k, _)| k == c) {
            Some(k) => k.1 = i,
            None => keys.push((c.clone(), i)),
        }
    }
    keys
}

/// Why writing stopped: the output failed, or its reader went away (`| head`), which is
/// not a failure.
enum Stop {
    Io(std::io::Error),
    ReaderGone,
}

impl From<std::io::Error> for Stop {
    fn from(e: std::io::Error) -> Stop {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Stop::ReaderGone
        } else {
            Stop::Io(e)
        }
    }
}

impl From<serde_json::Error> for Stop {
    fn from(e: serde_json::Error) -> Stop {
        std::io::Error::from(e).into()
    }
}

/// Runs `sql` and writes its rows to `out` in `format`.
pub fn write_query(
    store: &Store,
    sql: &str,
    format: Format,
    out: &mut impl Write,
) -> Result<(), Error> {
    let mut rows = store.prepare_query(sql)?;
    let written = match format {
        Format::Csv => write_csv(&mut rows, out)?,
        Format::Json => write_json(&mut rows, out)?,
        Format::Ndjson => write_ndjson(&mut rows, out)?,
        Format::Table => write_table(&mut rows, out)?,
    };
    match written.and_then(|()| out.flush().map_err(Stop::from)) {
        Ok(()) | Err(Stop::ReaderGone) => Ok(()),
        Err(Stop::Io(e)) => Err(super::output::io_err(e)),
    }
}

fn write_csv(rows: &mut Rows<'_>, out: &mut impl Write) -> Result<Result<(), Stop>, Error> {
    let mut w = crate::export::csv_writer(&mut *out);
    if let Err(e) = w.write_record(rows.columns()) {
        return Ok(Err(crate::export::csv_io_error(e).into()));
    }
    let mut cell = String::new();
    let r = rows.for_each(|row| {
        for i in 0..row.len() {
            cell.clear();
            push_text(&mut cell, &row.cell(i));
            w.write_field(&cell).map_err(crate::export::csv_io_error)?;
        }
        w.write_record(None::<&[u8]>)
            .map_err(crate::export::csv_io_error)?;
        Ok::<_, Stop>(())
    })?;
    Ok(r.and_then(|()| w.flush().map_err(Stop::from)))
}

fn write_json(rows: &mut Rows<'_>, out: &mut impl Write) -> Result<Result<(), Stop>, Error> {
    let keys = json_keys(rows.columns());
    let mut ser = serde_json::Serializer::pretty(&mut *out);
    let mut seq = match (&mut ser).serialize_seq(None) {
        Ok(s) => s,
        Err(e) => return Ok(Err(e.into())),
    };
    let r = rows.for_each(|row| {
        seq.serialize_element(&JsonRow { keys: &keys, row })?;
        Ok::<_, Stop>(())
    })?;
    if let Err(e) = r {
        return Ok(Err(e));
    }
    // serde_json writes `[]` for a sequence that got no element.
    if let Err(e) = SerializeSeq::end(seq) {
        return Ok(Err(e.into()));
    }
    Ok(writeln!(out).map_err(Stop::from))
}

fn write_ndjson(rows: &mut Rows<'_>, out: &mut impl Write) -> Result<Result<(), Stop>, Error> {
    let keys = json_keys(rows.columns());
    Ok(rows.for_each(|row| {
        serde_json::to_writer(&mut *out, &JsonRow { keys: &keys, row })?;
        out.write_all(b"\n")?;
        Ok::<_, Stop>(())
    })?)
}

fn write_table(rows: &mut Rows<'_>, out: &mut impl Write) -> Result<Result<(), Stop>, Error> {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_header(rows.columns());
    let full = TABLE_ROWS as u64;
    let mut n = 0u64;
    let r = rows.for_each(|row| {
        n += 1;
        if n <= full {
            t.add_row((0..row.len()).map(|i| {
                let mut s = String::new();
                push_text(&mut s, &row.cell(i));
                s
            }));
            // The table is full: show it now, and only count the rest.
            if n == full {
                writeln!(out, "{t}")?;
                out.flush()?;
            }
        }
        Ok::<_, Stop>(())
    })?;
    if let Err(e) = r {
        return Ok(Err(e));
    }
    let rows = format!("({n} row{})", if n == 1 { "" } else { "s" });
    let footer = match n.cmp(&full) {
        std::cmp::Ordering::Greater => format!(
            "(the first {full} of {n} rows; use --format csv, json or ndjson for all of them)"
        ),
        // Shown already, as soon as it was full.
        std::cmp::Ordering::Equal => rows,
        std::cmp::Ordering::Less => format!("{t}\n{rows}"),
    };
    Ok(writeln!(out, "{footer}").map_err(Stop::from))
}

pub fn run(settings: &Settings, args: QueryArgs) -> Result<(), Error> {
    let store = Store::open_read_only(&settings.db)?;
    // Stdout is line-buffered: a block buffer in front of it saves a write per row.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    write_query(&store, &args.sql, args.format, &mut out)
}

//! The lake's part objects: their codecs, their content-derived names, and day numbers.
//! Pure.
//!
//! Parts are written as Parquet ([`write_part`]): one row group, sorted by time, with the
//! encodings chosen for heart-rate samples (the instants and the rates delta-encoded, the
//! offset and the source dictionary-encoded, so a constant column costs next to nothing),
//! Snappy-compressed, statistics per column chunk. Parts an earlier fitpipe wrote as CSV are
//! still read ([`parse_part`] goes by the name's extension), strictly in both forms.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use parquet::basic::{Compression, Encoding};
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use sha2::{Digest, Sha256};

use super::layout::{self, PartFormat};
use crate::model::Sample;
use crate::model::DAY;

/// The columns of a part, in both forms.
pub const PART_COLUMNS: [&str; 5] = ["ts", "time_utc", "bpm", "utc_offset_min", "device"];

/// The Parquet schema of a part: `ts` in epoch seconds, `time_utc` the same instant as a
/// UTC timestamp for engines' time functions, the rate and the UTC offset (minutes) as
/// 16-bit integers, the source as a string; offset and source may be null.
const PARQUET_SCHEMA: &str = "message sample {
    required int64 ts (INTEGER(64, true));
    required int64 time_utc (TIMESTAMP(MILLIS, true));
    required int32 bpm (INTEGER(16, true));
    optional int32 utc_offset_min (INTEGER(16, true));
    optional binary device (STRING);
}";

/// A day number's date.
pub fn date_of(day: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(day * DAY, 0)
        .expect("in range")
        .date_naive()
}

/// A date's day number.
pub fn day_of(date: NaiveDate) -> i64 {
    use chrono::Datelike;
    crate::model::days_from_civil(date.year() as i64, date.month(), date.day())
}

fn sorted(samples: &[Sample]) -> Vec<&Sample> {
    let mut sorted: Vec<&Sample> = samples.iter().collect();
    sorted.sort_by(|a, b| (a.ts, &a.device, a.bpm).cmp(&(b.ts, &b.device, b.bpm)));
    sorted
}

fn writer_properties() -> WriterProperties {
    let delta = |b: parquet::file::properties::WriterPropertiesBuilder, c: &str| {
        b.set_column_encoding(ColumnPath::from(c), Encoding::DELTA_BINARY_PACKED)
            .set_column_dictionary_enabled(ColumnPath::from(c), false)
    };
    let mut b = WriterProperties::builder()
        // Version 1 data pages: what every engine reads; the encodings are set per column.
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::SNAPPY)
        .set_statistics_enabled(EnabledStatistics::Chunk);
    for c in ["ts", "time_utc", "bpm"] {
        b = delta(b, c);
    }
    b.build()
}

/// Writes samples as a Parquet part, sorted by time (and source).
pub fn write_part(samples: &[Sample]) -> Vec<u8> {
    let rows = sorted(samples);
    let ts: Vec<i64> = rows.iter().map(|s| s.ts).collect();
    let ms: Vec<i64> = rows.iter().map(|s| s.ts * 1000).collect();
    let bpm: Vec<i32> = rows.iter().map(|s| i32::from(s.bpm)).collect();
    let (off_defs, offs): (Vec<i16>, Vec<i32>) = (
        rows.iter()
            .map(|s| i16::from(s.utc_offset_min.is_some()))
            .collect(),
        rows.iter()
            .filter_map(|s| s.utc_offset_min.map(i32::from))
            .collect(),
    );
    let (dev_defs, devs): (Vec<i16>, Vec<ByteArray>) = (
        rows.iter().map(|s| i16::from(s.device.is_some())).collect(),
        rows.iter()
            .filter_map(|s| {
                s.device
                    .as_deref()
                    .map(|d| ByteArray::from(d.as_bytes().to_vec()))
            })
            .collect(),
    );
    let schema = Arc::new(
        parquet::schema::parser::parse_message_type(PARQUET_SCHEMA).expect("a valid schema"),
    );
    let mut buf = Vec::new();
    let mem = "writing Parquet to memory";
    let mut w =
        SerializedFileWriter::new(&mut buf, schema, Arc::new(writer_properties())).expect(mem);
    let mut rg = w.next_row_group().expect(mem);
    let mut i = 0;
    while let Some(mut c) = rg.next_column().expect(mem) {
        match PART_COLUMNS[i] {
            "ts" => c.typed::<Int64Type>().write_batch(&ts, None, None),
            "time_utc" => c.typed::<Int64Type>().write_batch(&ms, None, None),
            "bpm" => c.typed::<Int32Type>().write_batch(&bpm, None, None),
            "utc_offset_min" => c
                .typed::<Int32Type>()
                .write_batch(&offs, Some(&off_defs), None),
            _ => c
                .typed::<ByteArrayType>()
                .write_batch(&devs, Some(&dev_defs), None),
        }
        .expect(mem);
        c.close().expect(mem);
        i += 1;
    }
    rg.close().expect(mem);
    w.close().expect(mem);
    buf
}

/// Reads a part, in the form its name says ([`PartFormat`]), strictly: an error says what
/// is wrong (and for CSV, on which line).
pub fn parse_part(name: &str, bytes: &[u8]) -> Result<Vec<Sample>, String> {
    match layout::part_format(name) {
        Some(PartFormat::Csv) => parse_csv_part(bytes),
        Some(PartFormat::Parquet) => parse_parquet_part(bytes),
        None => Err("not a part's name".into()),
    }
}

fn parse_parquet_part(bytes: &[u8]) -> Result<Vec<Sample>, String> {
    use parquet::column::reader::get_typed_column_reader;
    let err = |e: parquet::errors::ParquetError| format!("not a Parquet part: {e}");
    let reader = SerializedFileReader::new(bytes::Bytes::copy_from_slice(bytes)).map_err(err)?;
    let meta = reader.metadata();
    let schema = meta.file_metadata().schema_descr();
    let want = parquet::schema::parser::parse_message_type(PARQUET_SCHEMA).expect("valid");
    let want = parquet::schema::types::SchemaDescriptor::new(Arc::new(want));
    let same = schema.num_columns() == want.num_columns()
        && (0..want.num_columns()).all(|i| {
            let (a, b) = (schema.column(i), want.column(i));
            a.name() == b.name()
                && a.physical_type() == b.physical_type()
                && a.max_def_level() == b.max_def_level()
                && a.max_rep_level() == 0
        });
    if !same {
        return Err(format!(
            "its columns are not {} (ts, time_utc, bpm, utc_offset_min, device)",
            "fitpipe's"
        ));
    }
    let mut out = Vec::with_capacity(meta.file_metadata().num_rows().max(0) as usize);
    for g in 0..reader.num_row_groups() {
        let rg = reader.get_row_group(g).map_err(err)?;
        let n = rg.metadata().num_rows().max(0) as usize;
        let read_i64 = |i: usize| -> Result<Vec<i64>, String> {
            let mut r = get_typed_column_reader::<Int64Type>(rg.get_column_reader(i).map_err(err)?);
            let mut v = Vec::with_capacity(n);
            let (rows, _, _) = r.read_records(n, None, None, &mut v).map_err(err)?;
            (rows == n)
                .then_some(v)
                .ok_or_else(|| format!("column {} is short", PART_COLUMNS[i]))
        };
        let read_i32 = |i: usize, defs: Option<&mut Vec<i16>>| -> Result<Vec<i32>, String> {
            let mut r = get_typed_column_reader::<Int32Type>(rg.get_column_reader(i).map_err(err)?);
            let mut v = Vec::with_capacity(n);
            let (rows, _, _) = r.read_records(n, defs, None, &mut v).map_err(err)?;
            (rows == n)
                .then_some(v)
                .ok_or_else(|| format!("column {} is short", PART_COLUMNS[i]))
        };
        let ts = read_i64(0)?;
        let ms = read_i64(1)?;
        let bpm = read_i32(2, None)?;
        let mut off_defs = Vec::with_capacity(n);
        let offs = read_i32(3, Some(&mut off_defs))?;
        let mut dev_defs = Vec::with_capacity(n);
        let mut devs: Vec<ByteArray> = Vec::new();
        {
            let mut r =
                get_typed_column_reader::<ByteArrayType>(rg.get_column_reader(4).map_err(err)?);
            let (rows, _, _) = r
                .read_records(n, Some(&mut dev_defs), None, &mut devs)
                .map_err(err)?;
            if rows != n {
                return Err("column device is short".into());
            }
        }
        let (mut offs, mut devs) = (offs.into_iter(), devs.into_iter());
        // One shared string per source, as the store hands them out.
        let mut names: Vec<(ByteArray, Arc<str>)> = Vec::new();
        for row in 0..n {
            let (ts, bpm) = (ts[row], bpm[row]);
            if !crate::store::storable(ts) {
                return Err(format!("row {row}: ts {ts} is out of range"));
            }
            if ms[row] != ts * 1000 {
                return Err(format!("row {row}: time_utc is not ts"));
            }
            let bpm = u16::try_from(bpm)
                .ok()
                .filter(|b| {
                    (crate::model::MIN_BPM..=crate::model::MAX_BPM).contains(&i64::from(*b))
                })
                .ok_or_else(|| format!("row {row}: bpm {bpm} is outside the plausible range"))?;
            let utc_offset_min =
                match off_defs[row] {
                    0 => None,
                    _ => Some(offs.next().and_then(|o| i16::try_from(o).ok()).ok_or_else(
                        || format!("row {row}: utc_offset_min is not a 16-bit integer"),
                    )?),
                };
            let device = match dev_defs[row] {
                0 => None,
                _ => {
                    let d = devs.next().ok_or("column device is short")?;
                    Some(match names.iter().find(|(b, _)| *b == d) {
                        Some((_, s)) => s.clone(),
                        None => {
                            let s: Arc<str> = std::str::from_utf8(d.data())
                                .map_err(|_| format!("row {row}: device is not UTF-8"))?
                                .into();
                            names.push((d, s.clone()));
                            s
                        }
                    })
                }
            };
            out.push(Sample {
                ts,
                bpm,
                utc_offset_min,
                device,
            });
        }
    }
    Ok(out)
}

/// Reads a CSV part (the form written before Parquet) strictly; an error names the line.
fn parse_csv_part(bytes: &[u8]) -> Result<Vec<Sample>, String> {
    let mut out = Vec::new();
    crate::export::read_strict(bytes, &PART_COLUMNS, |line, rec| {
        let ts: i64 = rec[0]
            .parse()
            .map_err(|_| format!("line {line}: ts {:?} is not an integer", &rec[0]))?;
        if !crate::store::storable(ts) {
            return Err(format!("line {line}: ts {ts} is out of range"));
        }
        let bpm = crate::model::parse_bpm(&rec[2]).map_err(|e| format!("line {line}: {e}"))?;
        let utc_offset_min = match &rec[3] {
            "" => None,
            o => Some(
                o.parse::<i16>()
                    .map_err(|_| format!("line {line}: utc_offset_min {o:?} is not an integer"))?,
            ),
        };
        let device = (!rec[4].is_empty()).then(|| rec[4].into());
        out.push(Sample {
            ts,
            bpm,
            utc_offset_min,
            device,
        });
        Ok(())
    })?;
    Ok(out)
}

/// A part holding `samples` of `day`, named by the hash of its content (so an upload
/// repeated after a failure writes the same object): its name and bytes.
pub fn part_object(account: &str, day: i64, samples: &[Sample]) -> (String, Vec<u8>) {
    let bytes = write_part(samples);
    let hash = Sha256::digest(&bytes);
    let hex: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
    (layout::part(account, date_of(day), &hex), bytes)
}

/// Part names by day number (one account's).
pub type ByDay = BTreeMap<i64, Vec<String>>;

/// Groups part names by day number.
pub fn parts_by_day(names: &[String]) -> ByDay {
    let mut out = ByDay::new();
    for n in names {
        if let Some((_, date)) = layout::parse_part(n) {
            out.entry(day_of(date)).or_default().push(n.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(ts: i64, bpm: u16) -> Sample {
        Sample::new(ts, bpm)
    }

    #[test]
    fn parts_round_trip_and_refuse_garbage() {
        let v = vec![
            Sample {
                ts: 100,
                bpm: 70,
                utc_offset_min: Some(-300),
                device: Some("Pixel Watch 3".into()),
            },
            s(90, 65),
        ];
        let back = parse_part("part-x.parquet", &write_part(&v)).unwrap();
        assert_eq!(back, vec![s(90, 65), v[0].clone()]);
        assert!(parse_part("part-x.parquet", b"ts,bpm\n1,2\n").is_err());
        assert!(parse_part("part-x.parquet", &write_part(&v)[..40]).is_err());
        // The CSV form of earlier parts.
        let csv = "ts,time_utc,bpm,utc_offset_min,device\n\
                   90,1970-01-01T00:01:30Z,65,,\n\
                   100,1970-01-01T00:01:40Z,70,-300,Pixel Watch 3\n";
        assert_eq!(parse_part("part-x.csv", csv.as_bytes()).unwrap(), back);
        assert!(parse_part("part-x.csv", b"ts,bpm\n1,2\n").is_err());
        let err = parse_part(
            "part-x.csv",
            b"ts,time_utc,bpm,utc_offset_min,device\n1,x,abc,,\n",
        )
        .unwrap_err();
        assert!(err.starts_with("line 2"), "{err}");
        assert!(parse_part("notes.txt", csv.as_bytes()).is_err());
    }
}

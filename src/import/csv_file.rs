//! Heart-rate CSV files: Takeout's `heart_rate_YYYY-MM-DD.csv`
//! (`timestamp,beats per minute[,data source]`, ISO UTC stamps, bpm as a float) and a plain
//! `time,bpm` CSV (with or without a header). Read as a stream, one record at a time.

use std::borrow::Cow;
use std::io::Read;
use std::sync::Arc;

use super::Item;
use crate::formats::{is_no_reading, Stamps};
use crate::model::{parse_bpm, Sample};

const TIME_NAMES: &[&str] = &[
    "timestamp",
    "time",
    "datetime",
    "date_time",
    "time_utc",
    "ts",
];
const BPM_NAMES: &[&str] = &[
    "beats per minute",
    "bpm",
    "heart_rate",
    "heart rate",
    "value",
];
const DEVICE_NAMES: &[&str] = &["data source", "device", "source"];

struct Columns {
    time: usize,
    bpm: usize,
    device: Option<usize>,
}

fn header_columns(rec: &csv::ByteRecord) -> Option<Columns> {
    let names: Vec<String> = rec
        .iter()
        .map(|f| {
            String::from_utf8_lossy(f)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_ascii_lowercase()
        })
        .collect();
    let find = |set: &[&str]| names.iter().position(|n| set.contains(&n.as_str()));
    Some(Columns {
        time: find(TIME_NAMES)?,
        bpm: find(BPM_NAMES)?,
        device: find(DEVICE_NAMES),
    })
}

fn text(f: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(f) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(f),
    }
}

/// Parses one heart-rate CSV from `reader`.
///
/// `stamp_offsets`: whether an offset written in a stamp is the user's (a plain CSV) or only
/// a way of writing UTC (Takeout's files, whose offset fitpipe infers from the day files).
pub fn parse(reader: impl Read, file: &str, stamp_offsets: bool, out: &mut dyn FnMut(Item)) {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut rec = csv::ByteRecord::new();
    let mut stamps = Stamps::default();
    let mut cols: Option<Columns> = None;
    let mut first = true;
    let mut last_device: Option<Arc<str>> = None;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line());
                out(Item::reject(file, line, format!("unreadable CSV: {e}")));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        }
        let line = rec.position().map(|p| p.line());
        if first {
            first = false;
            if let Some(c) = header_columns(&rec) {
                cols = Some(c);
                continue;
            }
            cols = Some(Columns {
                time: 0,
                bpm: 1,
                device: None,
            });
        }
        let c = cols
            .as_ref()
            .expect("columns are known after the first record");
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.trim_ascii().is_empty()) {
            continue;
        }
        let result = match (rec.get(c.time).map(text), rec.get(c.bpm).map(text)) {
            (Some(t), Some(b)) => match stamps.loose(&t) {
                None => Err(format!("unparseable time stamp {:?}", t.trim())),
                // The sensor had no reading: a normal cell, not malformed input.
                Some(_) if is_no_reading(&b) => {
                    out(Item::NoReading);
                    continue;
                }
                Some((ts, off)) => parse_bpm(&b).map_err(|e| e.to_string()).map(|bpm| Sample {
                    ts,
                    bpm,
                    utc_offset_min: off.filter(|_| stamp_offsets),
                    device: c.device.and_then(|i| {
                        let cell = rec.get(i)?.trim_ascii();
                        // Sources come in runs: the last one's bytes are compared first.
                        if let Some(d) = last_device.as_ref().filter(|d| d.as_bytes() == cell) {
                            return Some(d.clone());
                        }
                        let name = text(cell);
                        let name = name.trim();
                        if name.is_empty() {
                            return None;
                        }
                        let d: Arc<str> = name.into();
                        last_device = Some(d.clone());
                        Some(d)
                    }),
                }),
            },
            _ => Err(format!(
                "expected at least {} columns",
                c.time.max(c.bpm) + 1
            )),
        };
        match result {
            Ok(s) => out(Item::Sample(s)),
            Err(reason) => out(Item::reject(file, line, reason)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Reject;

    fn run(text: &str) -> (Vec<Sample>, Vec<Reject>) {
        let mut s = Vec::new();
        let mut r = Vec::new();
        parse(text.as_bytes(), "f.csv", true, &mut |i| match i {
            Item::Sample(x) => s.push(x),
            Item::Reject(x) => r.push(*x),
            Item::NoReading => {}
        });
        (s, r)
    }

    #[test]
    fn takeout_csv_with_and_without_source() {
        let (s, r) = run(include_str!(
            "../../tests/data/takeout_heart_rate_example.csv"
        ));
        assert!(r.is_empty());
        assert_eq!(s.len(), 6);
        assert_eq!(
            (s[0].ts, s[0].bpm, s[0].device.clone()),
            (1_729_987_204, 65, None)
        );
        let (s, r) = run(include_str!(
            "../../tests/data/takeout_heart_rate_example_with_source.csv"
        ));
        assert!(r.is_empty());
        assert_eq!(s[0].device.as_deref(), Some("Pixel Watch 3"));
        assert_eq!(s[0].utc_offset_min, None);
    }

    #[test]
    fn plain_csv_forms() {
        let (s, r) =
            run("time,bpm\n2024-03-10T05:00:02-05:00,70\n2024-03-10 10:00:05,71\n1710064806,72\n03/10/24 10:00:07,73\n");
        assert!(r.is_empty(), "{r:?}");
        assert_eq!(s[3].ts, 1_710_064_807);
        assert_eq!(s[0].ts, 1_710_064_802);
        assert_eq!(s[0].utc_offset_min, Some(-300));
        assert_eq!(s[1].ts, 1_710_064_805);
        assert_eq!(s[2].ts, 1_710_064_806);
        let (s, _) = run("2024-03-10T05:00:02Z,70\n");
        assert_eq!(s.len(), 1, "a headerless file starts with data");
    }

    #[test]
    fn takeout_stamps_carry_no_user_offset() {
        let mut got = Vec::new();
        parse(
            "timestamp,beats per minute\n2024-10-27 00:00:04+00:00,65.0\n".as_bytes(),
            "t.csv",
            false,
            &mut |i| {
                if let Item::Sample(s) = i {
                    got.push(s);
                }
            },
        );
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].ts, got[0].utc_offset_min), (1_729_987_204, None));
    }

    #[test]
    fn bad_rows_are_reported_by_line() {
        let (s, r) = run("timestamp,beats per minute\n2024-10-27T00:00:04Z,abc\nnot a time,60\n2024-10-27T00:00:14Z,400\n2024-10-27T00:00:19Z,62.0\n2024-10-27T00:00:24Z\n");
        assert_eq!(s.len(), 1);
        let lines: Vec<_> = r.iter().map(|x| x.line).collect();
        assert_eq!(lines, vec![Some(2), Some(3), Some(4), Some(6)]);
    }

    #[test]
    fn empty_and_not_a_number_cells_are_no_readings_not_rejects() {
        let text = "timestamp,beats per minute,data source\n2024-10-27T00:00:04Z,65.0,Charge 5\n2024-10-27T00:00:08Z,,Charge 5\n2024-10-27T00:00:09Z,NaN,x\n2024-10-27T00:00:10Z, nan ,\nbad,,x\n2024-10-27T00:00:11Z,abc,x\n";
        let (mut s, mut r, mut none) = (0, Vec::new(), 0);
        parse(text.as_bytes(), "f.csv", false, &mut |i| match i {
            Item::Sample(_) => s += 1,
            Item::Reject(x) => r.push(*x),
            Item::NoReading => none += 1,
        });
        assert_eq!((s, none), (1, 3));
        // A bad stamp and a bad value are still refused, with their lines.
        let lines: Vec<_> = r.iter().map(|x| x.line).collect();
        assert_eq!(lines, vec![Some(6), Some(7)]);
    }
}

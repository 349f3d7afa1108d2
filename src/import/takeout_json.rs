//! Takeout's `heart_rate-YYYY-MM-DD.json`: one JSON array per *local* day of
//! `{"dateTime": "MM/DD/YY HH:MM:SS", "value": {"bpm": 72, "confidence": 3}}` with UTC stamps.
//!
//! Elements are read one at a time into the sink, so a file cut short still yields the
//! elements before the cut, and a bad element is reported without losing its neighbours.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use super::{line_of, Item, Reject};
use crate::formats::{takeout_stamp, LooseNumber, Text};
use crate::model::Sample;

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(rename = "dateTime", borrow, default)]
    date_time: Option<Text<'a>>,
    #[serde(default)]
    value: Option<EntryValue>,
}

#[derive(Deserialize)]
struct EntryValue {
    /// Absent: `None`; present, `null` included: `Some`.
    #[serde(default, deserialize_with = "present")]
    bpm: Option<LooseNumber>,
}

/// A field that is present, whatever its value (serde reads `null` as an absent `Option`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<LooseNumber>, D::Error> {
    LooseNumber::deserialize(d).map(Some)
}

struct Elements<'s, 'f> {
    file: &'s str,
    bytes: &'s [u8],
    out: &'f mut dyn FnMut(Item),
}

impl<'de> DeserializeSeed<'de> for Elements<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Elements<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array of heart-rate entries")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        let mut search_from = 0usize;
        while let Some(entry) = seq.next_element::<Entry<'de>>()? {
            let stamp = entry.date_time.as_deref();
            let result = match (stamp, entry.value.and_then(|v| v.bpm)) {
                (None, _) => Err("entry has no dateTime".to_string()),
                (Some(_), None) => Err("entry has no value.bpm".to_string()),
                (Some(st), Some(bpm)) => match takeout_stamp(st) {
                    None => Err(format!(
                        "unparseable dateTime {st:?} (expected MM/DD/YY HH:MM:SS)"
                    )),
                    Some(_) if bpm == LooseNumber::Missing => {
                        (self.out)(Item::NoReading);
                        index += 1;
                        continue;
                    }
                    Some(ts) => bpm.to_bpm().map(|bpm| Sample {
                        ts,
                        bpm,
                        utc_offset_min: None,
                        device: None,
                    }),
                },
            };
            match result {
                Ok(s) => (self.out)(Item::Sample(s)),
                Err(reason) => {
                    // Locate the entry for the report; rejects are rare, so search lazily.
                    let line = stamp.and_then(|st| {
                        let (line, end) = line_of(self.bytes, st.as_bytes(), search_from)?;
                        search_from = end;
                        Some(line)
                    });
                    let reason = if line.is_none() {
                        format!("entry {index}: {reason}")
                    } else {
                        reason
                    };
                    (self.out)(Item::Reject(Reject::new(self.file, line, reason)));
                }
            }
            index += 1;
        }
        Ok(())
    }
}

/// Parses one Takeout heart-rate JSON file. A syntax error (such as a file cut short) is
/// reported once, with its line; the entries before it are kept.
pub fn parse(bytes: &[u8], file: &str, out: &mut dyn FnMut(Item)) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = Elements { file, bytes, out };
    let res = seed.deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = res {
        out(syntax_reject(file, &e));
    }
}

/// The one report of a file whose JSON stops making sense: a cut, or invalid syntax.
fn syntax_reject(file: &str, e: &serde_json::Error) -> Item {
    let reason = if e.is_eof() {
        format!("file is cut short ({e}); entries before this point were read")
    } else {
        format!("invalid JSON ({e}); entries before this point were read")
    };
    Item::Reject(Reject::new(file, Some(e.line() as u64), reason))
}

/// Like [`parse`], reading from `r` as it goes, for a file too big to hold (a report names
/// the entry by its index, not its line).
pub fn parse_stream(r: impl std::io::Read, file: &str, out: &mut dyn FnMut(Item)) {
    use std::io::Read;
    let mut r = std::io::BufReader::new(r);
    let mut head = [0u8; 3];
    let mut got = 0;
    while got < 3 {
        match r.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(_) => break,
        }
    }
    let head = if head[..got] == *b"\xEF\xBB\xBF" {
        &[][..]
    } else {
        &head[..got]
    };
    let mut de = serde_json::Deserializer::from_reader(head.chain(r));
    let seed = Elements {
        file,
        bytes: &[],
        out,
    };
    let res = seed.deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = res {
        out(syntax_reject(file, &e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_reads_what_the_bytes_give() {
        let text = include_str!("../../tests/data/takeout_heart_rate_example.json");
        let (a, ra) = run(text);
        let mut b = Vec::new();
        let mut rb = Vec::new();
        let with_bom = format!("\u{feff}{text}");
        parse_stream(with_bom.as_bytes(), "f.json", &mut |i| match i {
            Item::Sample(x) => b.push(x),
            Item::Reject(x) => rb.push(x),
            Item::NoReading => {}
        });
        assert!(!a.is_empty());
        assert_eq!(a, b);
        assert_eq!(ra.len(), rb.len());
        let cut = &text[..text.len() / 2];
        let mut n = 0;
        let mut rejects = Vec::new();
        parse_stream(cut.as_bytes(), "f.json", &mut |i| match i {
            Item::Sample(_) => n += 1,
            Item::Reject(r) => rejects.push(r),
            Item::NoReading => {}
        });
        assert!(n > 0 && n < a.len());
        assert_eq!(rejects.len(), 1);
    }

    fn run(text: &str) -> (Vec<Sample>, Vec<Reject>) {
        let mut s = Vec::new();
        let mut r = Vec::new();
        parse(text.as_bytes(), "f.json", &mut |i| match i {
            Item::Sample(x) => s.push(x),
            Item::Reject(x) => r.push(x),
            Item::NoReading => {}
        });
        (s, r)
    }

    #[test]
    fn reads_the_documented_example() {
        let text = include_str!("../../tests/data/takeout_heart_rate_example.json");
        let (s, r) = run(text);
        assert!(r.is_empty(), "{r:?}");
        assert_eq!(s.len(), 8);
        // 03/10/24 05:00:02 UTC
        assert_eq!(s[0].ts, 1_710_046_802);
        assert_eq!(s[0].bpm, 58);
        assert_eq!(s[7].bpm, 64);
    }

    #[test]
    fn bad_entries_are_reported_with_their_line_and_the_rest_kept() {
        let text = r#"[
  {"dateTime": "03/10/24 05:00:02", "value": {"bpm": 58, "confidence": 3}},
  {"dateTime": "03/10/24 05:00:12", "value": {"bpm": "abc", "confidence": 3}},
  {"dateTime": "03/10/24 05:00:22", "value": {"bpm": 0}},
  {"dateTime": "03/10/24 05:00:32", "value": {"bpm": 400}},
  {"dateTime": "13/45/24 05:00:42", "value": {"bpm": 60}},
  {"dateTime": "03/10/24 05:00:52", "value": {"bpm": 61.0}}
]"#;
        let (s, r) = run(text);
        assert_eq!(s.iter().map(|x| x.bpm).collect::<Vec<_>>(), vec![58, 61]);
        let lines: Vec<_> = r.iter().map(|x| x.line).collect();
        assert_eq!(lines, vec![Some(3), Some(4), Some(5), Some(6)]);
        assert!(r[0].reason.contains("abc"));
        assert!(r[3].reason.contains("13/45/24"));
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let (s, r) =
            run("\u{feff}[{\"dateTime\": \"03/10/24 05:00:02\", \"value\": {\"bpm\": 58}}]");
        assert_eq!((s.len(), r.len()), (1, 0));
    }

    #[test]
    fn a_truncated_file_keeps_what_came_before() {
        let text = "[\n{\"dateTime\": \"03/10/24 05:00:02\", \"value\": {\"bpm\": 58}},\n{\"dateTime\": \"03/10/24 05:0";
        let (s, r) = run(text);
        assert_eq!(s.len(), 1);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].line, Some(3));
        assert!(r[0].reason.contains("cut short"));
    }

    #[test]
    fn null_empty_and_nan_bpm_are_no_readings_a_missing_one_is_refused() {
        let text = r#"[
  {"dateTime": "03/10/24 05:00:02", "value": {"bpm": 58}},
  {"dateTime": "03/10/24 05:00:12", "value": {"bpm": null}},
  {"dateTime": "03/10/24 05:00:22", "value": {"bpm": ""}},
  {"dateTime": "03/10/24 05:00:32", "value": {"bpm": "NaN"}},
  {"dateTime": "03/10/24 05:00:42", "value": {"confidence": 0}},
  {"dateTime": "03/10/24 05:00:52", "value": {"bpm": "abc"}}
]"#;
        let (mut s, mut r, mut none) = (0, Vec::new(), 0);
        parse(text.as_bytes(), "f.json", &mut |i| match i {
            Item::Sample(_) => s += 1,
            Item::Reject(x) => r.push(x),
            Item::NoReading => none += 1,
        });
        assert_eq!((s, none), (1, 3));
        let lines: Vec<_> = r.iter().map(|x| x.line).collect();
        assert_eq!(lines, vec![Some(6), Some(7)], "{r:?}");
    }
}

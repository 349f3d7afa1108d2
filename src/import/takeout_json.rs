//! Takeout's `heart_rate-YYYY-MM-DD.json`: one JSON array per *local* day of
//! `{"dateTime": "MM/DD/YY HH:MM:SS", "value": {"bpm": 72, "confidence": 3}}` with UTC stamps.
//!
//! Elements are read one at a time into the sink, so a file cut short still yields the
//! elements before the cut, and a bad element is reported without losing its neighbours.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use super::{line_of, Item};
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
                    (self.out)(Item::reject(self.file, line, reason));
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
    if let Some(samples) = fast(bytes) {
        for s in samples {
            out(Item::Sample(s));
        }
        return;
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = Elements { file, bytes, out };
    let res = seed.deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = res {
        out(syntax_reject(file, &e));
    }
}

/// A cursor over a day file's bytes for [`fast`].
struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scan<'a> {
    fn ws(&mut self) {
        while self
            .b
            .get(self.i)
            .is_some_and(|c| matches!(c, b' ' | b'\n' | b'\r' | b'\t'))
        {
            self.i += 1;
        }
    }

    fn next(&mut self) -> Option<u8> {
        let c = *self.b.get(self.i)?;
        self.i += 1;
        Some(c)
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }

    /// A string of printable ASCII with no escapes, its quotes taken.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        let len = self.b[start..].iter().position(|&c| c == b'"')?;
        let text = &self.b[start..start + len];
        if text
            .iter()
            .any(|&c| c == b'\\' || !(0x20..0x7f).contains(&c))
        {
            return None;
        }
        self.i = start + len + 1;
        Some(text)
    }

    /// Whether `"name"` (a name with no quote or escape) comes next; if so, taken.
    fn name(&mut self, name: &[u8]) -> bool {
        let rest = &self.b[self.i.min(self.b.len())..];
        let found = rest.len() >= name.len() + 2
            && rest[0] == b'"'
            && rest[1..=name.len()] == *name
            && rest[name.len() + 1] == b'"';
        if found {
            self.i += name.len() + 2;
        }
        found
    }

    /// Whitespace, a colon, whitespace.
    fn colon(&mut self) -> Option<()> {
        self.ws();
        self.eat(b':')?;
        self.ws();
        Some(())
    }

    /// `"name"`, whitespace, a colon, whitespace.
    fn key(&mut self, name: &[u8]) -> Option<()> {
        self.name(name).then_some(())?;
        self.colon()
    }

    /// A JSON integer of at most 9 digits, with no sign, fraction or exponent.
    fn int(&mut self) -> Option<i64> {
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        let digits = &self.b[start..self.i];
        if digits.is_empty() || digits.len() > 9 || (digits.len() > 1 && digits[0] == b'0') {
            return None;
        }
        if self
            .b
            .get(self.i)
            .is_some_and(|c| matches!(c, b'.' | b'e' | b'E'))
        {
            return None;
        }
        Some(digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    }
}

/// The fast path for a day file as Takeout writes it: an array of
/// `{"dateTime": "MM/DD/YY HH:MM:SS", "value": {"bpm": N, "confidence": N}}` (the value's
/// keys in either order, `confidence` optional, any whitespace), every stamp and bpm valid.
/// `None` for anything else (an escape, a float, a null, another key, a bad value, a cut):
/// the file is read again by serde, which says what is wrong where. What it returns is what
/// serde's path gives for the same bytes (tested).
fn fast(bytes: &[u8]) -> Option<Vec<Sample>> {
    let mut p = Scan { b: bytes, i: 0 };
    let mut stamps = crate::formats::Stamps::default();
    let mut out = Vec::with_capacity(bytes.len() / 64);
    p.ws();
    p.eat(b'[')?;
    p.ws();
    if p.b.get(p.i) == Some(&b']') {
        p.i += 1;
    } else {
        loop {
            p.eat(b'{')?;
            p.ws();
            p.key(b"dateTime")?;
            let ts = stamps.takeout_bytes(p.string()?)?;
            p.ws();
            p.eat(b',')?;
            p.ws();
            p.key(b"value")?;
            p.eat(b'{')?;
            p.ws();
            let (mut bpm, mut confidence) = (None, false);
            loop {
                // The value's keys as Takeout writes them; any other is serde's to read.
                let is_bpm = if p.name(b"bpm") {
                    true
                } else if p.name(b"confidence") {
                    false
                } else {
                    return None;
                };
                p.colon()?;
                let n = p.int()?;
                match is_bpm {
                    true if bpm.is_none() => bpm = Some(n),
                    false if !confidence => confidence = true,
                    _ => return None,
                }
                p.ws();
                match p.next()? {
                    b',' => p.ws(),
                    b'}' => break,
                    _ => return None,
                }
            }
            let bpm =
                bpm.filter(|b| (crate::model::MIN_BPM..=crate::model::MAX_BPM).contains(b))?;
            p.ws();
            p.eat(b'}')?;
            p.ws();
            out.push(Sample {
                ts,
                bpm: bpm as u16,
                utc_offset_min: None,
                device: None,
            });
            match p.next()? {
                b',' => p.ws(),
                b']' => break,
                _ => return None,
            }
        }
    }
    p.ws();
    (p.i == bytes.len()).then_some(out)
}

/// The one report of a file whose JSON stops making sense: a cut, or invalid syntax.
fn syntax_reject(file: &str, e: &serde_json::Error) -> Item {
    let reason = if e.is_eof() {
        format!("file is cut short ({e}); entries before this point were read")
    } else {
        format!("invalid JSON ({e}); entries before this point were read")
    };
    Item::reject(file, Some(e.line() as u64), reason)
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
    use crate::import::Reject;
    use proptest::prelude::*;

    #[test]
    fn a_stream_reads_what_the_bytes_give() {
        let text = include_str!("../../tests/data/takeout_heart_rate_example.json");
        let (a, ra) = run(text);
        let mut b = Vec::new();
        let mut rb = Vec::new();
        let with_bom = format!("\u{feff}{text}");
        parse_stream(with_bom.as_bytes(), "f.json", &mut |i| match i {
            Item::Sample(x) => b.push(x),
            Item::Reject(x) => rb.push(*x),
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
            Item::Reject(r) => rejects.push(*r),
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
            Item::Reject(x) => r.push(*x),
            Item::NoReading => {}
        });
        (s, r)
    }

    /// What serde's path alone gives.
    fn slow(bytes: &[u8]) -> Vec<String> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let mut items = Vec::new();
        let seed = Elements {
            file: "f.json",
            bytes,
            out: &mut |i| items.push(format!("{i:?}")),
        };
        if let Err(e) = seed.deserialize(&mut de).and_then(|()| de.end()) {
            items.push(format!("{:?}", syntax_reject("f.json", &e)));
        }
        items
    }

    fn element() -> impl Strategy<Value = String> {
        let ws = prop::sample::select(vec!["", " ", "\n  ", "\t", "\r\n"]);
        let stamp = prop::sample::select(vec![
            "03/10/24 05:00:02",
            "12/31/25 23:59:59",
            "02/30/24 05:00:00",
            "13/45/24 05:00:42",
            "3/10/24 5:00:02",
            "03\\/10/24 05:00:02",
        ]);
        let bpm = prop::sample::select(vec![
            "58",
            "20",
            "300",
            "19",
            "301",
            "0",
            "058",
            "61.0",
            "6e1",
            "null",
            "\"72\"",
            "-5",
            "1234567890",
        ]);
        let value = prop::sample::select(vec![
            "{W\"bpm\"W:WBW,W\"confidence\"W:W3W}",
            "{\"confidence\": 2, \"bpm\": B}",
            "{\"bpm\": B}",
            "{\"confidence\": 2}",
            "{\"bpm\": B, \"bpm\": 70}",
            "{\"bpm\": B, \"other\": 1}",
            "[]",
        ]);
        (ws.clone(), ws, stamp, bpm, value).prop_map(|(w1, w2, st, b, v)| {
            let v = v.replace('W', w2).replace('B', b);
            format!("{{{w1}\"dateTime\"{w1}:{w2}\"{st}\",{w1}\"value\":{w2}{v}{w1}}}")
        })
    }

    /// An element as Takeout writes it, in some whitespace.
    fn good_element() -> impl Strategy<Value = String> {
        let ws = prop::sample::select(vec!["", " ", "\n    "]);
        (ws, 0..86_400i64, 20..=300u16, proptest::bool::ANY).prop_map(|(w, t, bpm, conf)| {
            let stamp = format!("03/10/24 {:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
            let conf = if conf { format!(",{w}\"confidence\"{w}:{w}3") } else { String::new() };
            format!("{{{w}\"dateTime\" : \"{stamp}\",{w}\"value\" : {{{w}\"bpm\" : {bpm}{conf}{w}}}{w}}}")
        })
    }

    proptest::proptest! {
        #[test]
        fn the_fast_path_gives_what_serde_gives(
            elements in proptest::collection::vec(
                prop_oneof![6 => good_element(), 1 => element()], 0..12),
            sep in prop::sample::select(vec![",", ",\n", " , "]),
            cut in 0..3usize,
        ) {
            let mut text = format!("[{}]", elements.join(sep));
            if cut == 1 {
                text.truncate(text.len() * 2 / 3);
            }
            if cut == 2 {
                text.push_str(" x");
            }
            if let Some(fast) = fast(text.as_bytes()) {
                let fast: Vec<String> = fast.into_iter().map(|s| format!("{:?}", Item::Sample(s))).collect();
                proptest::prop_assert_eq!(fast, slow(text.as_bytes()), "{}", text);
            }
        }
    }

    #[test]
    fn the_fast_path_takes_the_files_takeout_writes() {
        let text = include_str!("../../tests/data/takeout_heart_rate_example.json");
        assert_eq!(fast(text.as_bytes()).map(|v| v.len()), Some(8));
        let compact = "[{\"dateTime\" : \"03/16/25 18:30:00\",\n  \"value\" : {\n    \"bpm\" : 50,\n    \"confidence\" : 2\n  }\n},{\"dateTime\":\"03/16/25 18:30:05\",\"value\":{\"bpm\":51,\"confidence\":3}}]";
        assert_eq!(fast(compact.as_bytes()).map(|v| v.len()), Some(2));
        assert_eq!(fast(b"[]").map(|v| v.len()), Some(0));
        assert_eq!(fast(b" [ ] \n").map(|v| v.len()), Some(0));
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
            Item::Reject(x) => r.push(*x),
            Item::NoReading => none += 1,
        });
        assert_eq!((s, none), (1, 3));
        let lines: Vec<_> = r.iter().map(|x| x.line).collect();
        assert_eq!(lines, vec![Some(6), Some(7)], "{r:?}");
    }
}

//! Pure parsers that the API page reader, the importers, the remote's readers and the command
//! line share: one parser per time format, Google's durations, and the loosely typed JSON
//! values of exports and pages. No I/O; uses nothing of fitpipe's but `model`.
//!
//! Formatting lives beside the types it formats, in `model` (`format_utc`,
//! `format_hour_local`, `format_date`).

use std::borrow::Cow;
use std::fmt;

use chrono::NaiveDate;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;

use crate::model::{check_bpm_float, check_bpm_int, epoch_of, parse_bpm};

/// The digits of `b` as a number, or `None` when any byte is not a digit.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |v, c| {
        c.is_ascii_digit().then(|| v * 10 + (c - b'0') as u32)
    })
}

/// UTC epoch seconds of `YYYY-MM-DDThh:mm:ss` at `b[..19]`, a real date and time of day.
fn civil(b: &[u8]) -> Option<i64> {
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let f = |r: std::ops::Range<usize>| digits(&b[r]);
    epoch_of(
        f(0..4)? as i64,
        f(5..7)?,
        f(8..10)?,
        f(11..13)?,
        f(14..16)?,
        f(17..19)?,
    )
}

/// An RFC 3339 date-time: the instant (UTC epoch seconds, fractions dropped) and the offset
/// it is written in, in minutes (`Z` is 0). The forms fitpipe and Google write
/// (`...:SSZ`, `...:SS+HH:MM`) are read without chrono; every other valid form through it.
pub fn rfc3339(s: &str) -> Option<(i64, i16)> {
    let b = s.as_bytes();
    if b.len() == 20 && b[19] == b'Z' {
        if let Some(ts) = civil(b) {
            return Some((ts, 0));
        }
    }
    if b.len() == 25 && matches!(b[19], b'+' | b'-') && b[22] == b':' {
        let (h, m) = (digits(&b[20..22]), digits(&b[23..25]));
        if let (Some(ts), Some(h @ 0..=23), Some(m @ 0..=59)) = (civil(b), h, m) {
            let off = (h * 60 + m) as i16 * if b[19] == b'-' { -1 } else { 1 };
            return Some((ts - off as i64 * 60, off));
        }
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| (d.timestamp(), (d.offset().local_minus_utc() / 60) as i16))
}

/// The start of a UTC hour written `YYYY-MM-DDTHH:00:00Z`, as epoch seconds.
pub fn utc_hour(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() == 20 && &b[13..] == b":00:00Z" {
        civil(b)
    } else {
        None
    }
}

/// A calendar date written `YYYY-MM-DD`.
pub fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Fitbit's `MM/DD/YY HH:MM:SS` (UTC) as epoch seconds; two-digit years are 20YY.
pub fn takeout_stamp(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    if b.len() != 17
        || b[2] != b'/'
        || b[5] != b'/'
        || b[8] != b' '
        || b[11] != b':'
        || b[14] != b':'
    {
        return None;
    }
    let n = |i: usize| digits(&b[i..i + 2]);
    epoch_of(2000 + n(6)? as i64, n(0)?, n(3)?, n(9)?, n(12)?, n(15)?)
}

/// Reads the stamps of one file after another, remembering the last date read: stamps of
/// one day (a day file, a CSV's rows in order) cost the time of day only. Gives exactly
/// what [`takeout_stamp`] and [`loose_stamp`] give (property-tested).
#[derive(Debug, Default)]
pub struct Stamps {
    date: [u8; 10],
    len: usize,
    day: i64,
}

impl Stamps {
    /// The epoch seconds of midnight of the date `key` names, computed by `compute` when it
    /// is not the last one.
    fn midnight(&mut self, key: &[u8], compute: impl FnOnce() -> Option<i64>) -> Option<i64> {
        if self.len == key.len() && self.date[..key.len()] == *key {
            return Some(self.day);
        }
        let day = compute()?;
        self.date[..key.len()].copy_from_slice(key);
        self.len = key.len();
        self.day = day;
        Some(day)
    }

    /// `HH:MM:SS` as seconds of the day.
    fn time_of_day(b: &[u8]) -> Option<i64> {
        if b[2] != b':' || b[5] != b':' {
            return None;
        }
        let (h, m, s) = (digits(&b[0..2])?, digits(&b[3..5])?, digits(&b[6..8])?);
        (h <= 23 && m <= 59 && s <= 59).then(|| i64::from(h * 3600 + m * 60 + s))
    }

    /// [`takeout_stamp`].
    pub fn takeout(&mut self, s: &str) -> Option<i64> {
        self.takeout_bytes(s.as_bytes())
    }

    /// [`takeout_stamp`] of bytes, which need no UTF-8 check when they are the usual form.
    pub fn takeout_bytes(&mut self, b: &[u8]) -> Option<i64> {
        if b.len() == 17 && b[2] == b'/' && b[5] == b'/' && b[8] == b' ' {
            let day = self.midnight(&b[..8], || {
                let n = |i: usize| digits(&b[i..i + 2]);
                epoch_of(2000 + n(6)? as i64, n(0)?, n(3)?, 0, 0, 0)
            });
            if let (Some(day), Some(t)) = (day, Self::time_of_day(&b[9..17])) {
                return Some(day + t);
            }
        }
        takeout_stamp(std::str::from_utf8(b).ok()?)
    }

    /// [`loose_stamp`].
    pub fn loose(&mut self, s: &str) -> Option<(i64, Option<i16>)> {
        let b = s.as_bytes();
        if b.len() == 20 && b[19] == b'Z' && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' {
            let day = self.midnight(&b[..10], || {
                let f = |r: std::ops::Range<usize>| digits(&b[r]);
                epoch_of(f(0..4)? as i64, f(5..7)?, f(8..10)?, 0, 0, 0)
            });
            if let (Some(day), Some(t)) = (day, Self::time_of_day(&b[11..19])) {
                return Some((day + t, None));
            }
        }
        loose_stamp(s)
    }
}

/// A time stamp in any of the forms people's CSV files use: RFC 3339 (`Z` or an offset), a
/// naive `YYYY-MM-DD[T ]HH:MM[:SS[.f]]` read as UTC, Fitbit's `MM/DD/YY HH:MM:SS` (UTC), or
/// epoch seconds / milliseconds. Returns the instant and, when the stamp carries an explicit
/// numeric offset, that offset in minutes.
pub fn loose_stamp(s: &str) -> Option<(i64, Option<i16>)> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) {
        let v: i64 = s.parse().ok()?;
        return Some((if s.len() >= 13 { v / 1000 } else { v }, None));
    }
    if let Some((ts, off)) = rfc3339(s) {
        let explicit = !(s.ends_with('Z') || s.ends_with('z'));
        return Some((ts, explicit.then_some(off)));
    }
    if let Some(ts) = takeout_stamp(s) {
        return Some((ts, None));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(n) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some((n.and_utc().timestamp(), None));
        }
    }
    None
}

/// A google-duration such as `"-18000s"` or `"19800.5s"`, as an offset in whole minutes
/// (at most 18 hours either way).
pub fn google_offset(s: &str) -> Option<i16> {
    let secs: f64 = s.trim().strip_suffix('s')?.parse().ok()?;
    if !secs.is_finite() || secs.abs() > 18.0 * 3600.0 {
        return None;
    }
    Some((secs / 60.0).round() as i16)
}

/// A JSON string borrowed from the input when it has no escapes, owned when it has: serde
/// only borrows a `Cow` field that is not wrapped (an `Option<Cow<str>>` always allocates).
#[derive(Debug)]
pub struct Text<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A bpm that may arrive as a JSON number or a string (read in place); anything else is
/// named by its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum LooseNumber {
    Int(i64),
    Float(f64),
    Text(Result<u16, String>),
    /// No reading: `null`, an empty string or `NaN`, as exports write for a sensor that had
    /// none. Not a malformed value.
    Missing,
    Other(&'static str),
}

/// Whether a cell says "no reading": empty, or not-a-number (`NaN`, `nan`).
pub fn is_no_reading(cell: &str) -> bool {
    let t = cell.trim();
    t.is_empty() || t.eq_ignore_ascii_case("nan")
}

impl LooseNumber {
    /// The value as a checked bpm, or why it is not one.
    pub fn to_bpm(&self) -> Result<u16, String> {
        match self {
            // The value is written out for the message only.
            LooseNumber::Int(v) => check_bpm_int(*v, "")
                .or_else(|_| check_bpm_int(*v, &v.to_string()))
                .map_err(|e| e.to_string()),
            LooseNumber::Float(v) => check_bpm_float(*v, &v.to_string()).map_err(|e| e.to_string()),
            LooseNumber::Text(parsed) => parsed.clone(),
            LooseNumber::Missing => Err("no reading (the bpm is empty or not a number)".into()),
            LooseNumber::Other(kind) => Err(format!("bpm is {kind}, not a number")),
        }
    }
}

impl<'de> Deserialize<'de> for LooseNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LooseNumber;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E>(self, v: i64) -> Result<LooseNumber, E> {
                Ok(LooseNumber::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<LooseNumber, E> {
                Ok(i64::try_from(v).map_or(LooseNumber::Float(v as f64), LooseNumber::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<LooseNumber, E> {
                Ok(LooseNumber::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<LooseNumber, E> {
                if is_no_reading(v) {
                    return Ok(LooseNumber::Missing);
                }
                Ok(LooseNumber::Text(parse_bpm(v).map_err(|e| e.to_string())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<LooseNumber, E> {
                Ok(LooseNumber::Other("a boolean"))
            }
            fn visit_unit<E>(self) -> Result<LooseNumber, E> {
                Ok(LooseNumber::Missing)
            }
            fn visit_none<E>(self) -> Result<LooseNumber, E> {
                Ok(LooseNumber::Missing)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<LooseNumber, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LooseNumber::Other("an object"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<LooseNumber, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LooseNumber::Other("an array"))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Stamps near the forms the cache takes: good and bad dates and times, other forms.
    fn stamp_like() -> impl Strategy<Value = String> {
        let year = prop::sample::select(vec!["2024", "2025", "1999", "2100", "20x5"]);
        let md = prop::sample::select(vec!["01", "02", "12", "13", "00", "1x"]);
        let day = prop::sample::select(vec!["01", "28", "29", "30", "31", "00", "3x"]);
        let hms = prop::sample::select(vec![
            "00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "1x:00:00", "12-00-00",
        ]);
        let form = 0..6usize;
        (year, md, day, hms, form).prop_map(|(y, m, d, t, form)| match form {
            0 => format!("{y}-{m}-{d}T{t}Z"),
            1 => format!("{m}/{d}/{} {t}", &y[2..]),
            2 => format!(" {y}-{m}-{d}T{t}Z"),
            3 => format!("{y}-{m}-{d}T{t}.5Z"),
            4 => format!("{y}-{m}-{d} {t}"),
            _ => format!("{m}/{d}/{} {t} ", &y[2..]),
        })
    }

    proptest! {
        #[test]
        fn the_stamp_cache_gives_what_the_parsers_give(
            stamps in proptest::collection::vec(stamp_like(), 1..20),
        ) {
            let mut cache = Stamps::default();
            for s in &stamps {
                prop_assert_eq!(cache.takeout(s), takeout_stamp(s), "{}", s);
                prop_assert_eq!(cache.loose(s), loose_stamp(s), "{}", s);
            }
        }
    }

    #[test]
    fn rfc3339_reads_every_form_and_keeps_the_offset() {
        assert_eq!(rfc3339("2026-11-26T14:00:14Z"), Some((1_795_701_614, 0)));
        assert_eq!(
            rfc3339("2026-11-26T14:00:14.250Z"),
            Some((1_795_701_614, 0))
        );
        assert_eq!(
            rfc3339("2026-11-26T09:00:14-05:00"),
            Some((1_795_701_614, -300))
        );
        assert_eq!(
            rfc3339("2026-11-26T19:30:14+05:30"),
            Some((1_795_701_614, 330))
        );
        assert_eq!(rfc3339("2026-11-26T14:00:14"), None);
        assert_eq!(rfc3339("1795701614"), None);
        assert_eq!(rfc3339("2026-13-26T14:00:14Z"), None);
        assert_eq!(rfc3339("2026-11-26T14:00:14+24:00"), None);
    }

    proptest! {
        // The fast paths agree with chrono on every instant and offset they read.
        #[test]
        fn takeout_stamps_read_back(ts in 946_684_800i64..4_102_444_799) {
            let mut stamp = String::new();
            crate::model::push_takeout_stamp(&mut stamp, ts);
            prop_assert_eq!(takeout_stamp(&stamp), Some(ts));
        }

        #[test]
        fn rfc3339_agrees_with_chrono(ts in -62_135_596_800i64..253_402_300_799, off in -1439i32..1439) {
            let utc = chrono::DateTime::from_timestamp(ts, 0).unwrap();
            let z = utc.format("%Y-%m-%dT%H:%M:%SZ").to_string();
            prop_assert_eq!(rfc3339(&z), Some((ts, 0)));
            let tz = chrono::FixedOffset::east_opt(off * 60).unwrap();
            let local = utc.with_timezone(&tz).format("%Y-%m-%dT%H:%M:%S%:z").to_string();
            prop_assume!(local.len() == 25);
            let by_chrono = chrono::DateTime::parse_from_rfc3339(&local).unwrap();
            prop_assert_eq!(rfc3339(&local), Some((by_chrono.timestamp(), off as i16)));
        }
    }

    #[test]
    fn utc_hours_are_whole_hours_only() {
        assert_eq!(utc_hour("2026-11-26T14:00:00Z"), Some(1_795_701_600));
        assert_eq!(utc_hour("2026-11-26T14:00:01Z"), None);
        assert_eq!(utc_hour("2026-11-26T14:00:00+00:00"), None);
        assert_eq!(utc_hour("2026-02-30T14:00:00Z"), None);
    }

    #[test]
    fn takeout_stamps_parse_only_in_the_documented_form() {
        assert_eq!(
            takeout_stamp("01/01/70 00:00:00"),
            epoch_of(2070, 1, 1, 0, 0, 0)
        );
        assert_eq!(takeout_stamp("03/10/24 05:00:02"), Some(1_710_046_802));
        assert_eq!(takeout_stamp("2024-03-10 05:00:02"), None);
        assert_eq!(takeout_stamp("03/10/24 25:00:02"), None);
    }

    #[test]
    fn loose_stamps_read_the_plain_csv_forms() {
        assert_eq!(
            loose_stamp("2024-03-10T05:00:02-05:00"),
            Some((1_710_064_802, Some(-300)))
        );
        assert_eq!(
            loose_stamp("2024-03-10T10:00:02Z"),
            Some((1_710_064_802, None))
        );
        assert_eq!(
            loose_stamp("2024-03-10 10:00:05"),
            Some((1_710_064_805, None))
        );
        assert_eq!(
            loose_stamp("2024-03-10 10:00:05.5"),
            Some((1_710_064_805, None))
        );
        assert_eq!(loose_stamp("2024-03-10 10:00"), Some((1_710_064_800, None)));
        assert_eq!(loose_stamp("1710064806"), Some((1_710_064_806, None)));
        assert_eq!(loose_stamp("1710064806123"), Some((1_710_064_806, None)));
        assert_eq!(
            loose_stamp("03/10/24 10:00:07"),
            Some((1_710_064_807, None))
        );
        assert_eq!(loose_stamp("not a time"), None);
        assert_eq!(loose_stamp(""), None);
    }

    #[test]
    fn google_offsets_parse() {
        assert_eq!(google_offset("-18000s"), Some(-300));
        assert_eq!(google_offset("19800s"), Some(330));
        assert_eq!(google_offset("0s"), Some(0));
        assert_eq!(google_offset("3600"), None);
        assert_eq!(google_offset("90000s"), None);
    }

    #[test]
    fn dates_parse() {
        assert_eq!(date("2025-03-09"), NaiveDate::from_ymd_opt(2025, 3, 9));
        assert_eq!(date("2025-02-30"), None);
        assert_eq!(date("20250309"), None);
    }
}

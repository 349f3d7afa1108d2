//! Pure domain types: samples, hours, accounts. No I/O and no wire formats here.

use std::fmt;
use std::sync::Arc;

/// Lowest heart rate fitpipe accepts as a real measurement (beats per minute).
pub const MIN_BPM: i64 = 20;
/// Highest heart rate fitpipe accepts as a real measurement (beats per minute).
pub const MAX_BPM: i64 = 300;

/// Seconds in one hour.
pub const HOUR: i64 = 3600;
/// Seconds in one day.
pub const DAY: i64 = 86_400;

/// One heart-rate measurement as read from some source, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sample {
    /// The instant, UTC epoch seconds.
    pub ts: i64,
    pub bpm: u16,
    /// The user's UTC offset at that instant in minutes, when the source says.
    pub utc_offset_min: Option<i16>,
    /// The recording device, when the source says (shared: one export names few devices).
    pub device: Option<Arc<str>>,
}

impl Sample {
    /// A reading of `bpm` at `ts` with no offset or device.
    pub fn new(ts: i64, bpm: u16) -> Sample {
        Sample {
            ts,
            bpm,
            utc_offset_min: None,
            device: None,
        }
    }

    /// Combines two readings of the same instant: `self` wins on bpm, the other fills in what
    /// `self` lacks. The result does not depend on which twin was read first except for bpm.
    pub fn absorb(&mut self, other: Sample) {
        if self.utc_offset_min.is_none() {
            self.utc_offset_min = other.utc_offset_min;
        }
        if self.device.is_none() {
            self.device = other.device;
        }
    }
}

/// One hour of the master table: the UTC hour, the highest bpm and the number of samples in
/// it, and the user's UTC offset in it when known. Store, sync, export and report all speak
/// of hours in this one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hour {
    /// UTC epoch seconds of the hour start.
    pub hour: i64,
    pub max_bpm: i64,
    pub sample_count: i64,
    pub utc_offset_min: Option<i16>,
    /// The version of the source policy the hour was computed under (`sources::Policy`),
    /// when known: hours of the same version count the same sources.
    pub policy: Option<u64>,
    /// Where `utc_offset_min` came from (the default when it is unknown, or was stated by a
    /// copy written before provenance was kept).
    pub local: Provenance,
}

/// The evidence an hour's UTC offset rests on, weakest first: copies of an hour that
/// disagree on its local time keep the offset of the strongest evidence, then of the later
/// choice of zone, then the larger offset (a total order, so that the merge of copies stays
/// commutative, associative and idempotent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum LocalFrom {
    /// Unknown, or merged from a copy written before provenance was kept.
    #[default]
    Unknown,
    /// The user's time zone (`--timezone`, the export's, `timezone` in the config, the
    /// machine's).
    Zone,
    /// The bounds of Takeout's per-local-day files (travel days), checked against the zone.
    DayFiles,
    /// The samples' own offsets (API pages).
    Stated,
}

impl LocalFrom {
    /// Its name in the store and the remote master (`""` for unknown).
    pub fn as_str(self) -> &'static str {
        match self {
            LocalFrom::Unknown => "",
            LocalFrom::Zone => "zone",
            LocalFrom::DayFiles => "day_files",
            LocalFrom::Stated => "stated",
        }
    }

    /// Every kind, weakest first.
    pub const ALL: [LocalFrom; 4] = [
        LocalFrom::Unknown,
        LocalFrom::Zone,
        LocalFrom::DayFiles,
        LocalFrom::Stated,
    ];

    pub fn parse(s: &str) -> Option<LocalFrom> {
        LocalFrom::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Where an hour's offset came from, and when the zone it was computed with was chosen
/// (UTC epoch seconds; 0 when unknown or not a matter of zone). Ordered as it is merged:
/// the evidence first, then the later choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Provenance {
    pub from: LocalFrom,
    pub chosen_at: i64,
}

impl Provenance {
    pub const STATED: Provenance = Provenance {
        from: LocalFrom::Stated,
        chosen_at: 0,
    };
}

/// Why a heart-rate value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BpmError {
    NotANumber(String),
    OutOfRange(String),
}

impl fmt::Display for BpmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BpmError::NotANumber(v) => write!(f, "bpm {v:?} is not a number"),
            BpmError::OutOfRange(v) => {
                write!(
                    f,
                    "bpm {v} is outside the plausible range {MIN_BPM}..={MAX_BPM}"
                )
            }
        }
    }
}

/// Validates a bpm given as text ("72", "65.0"); fractional values round to the nearest beat.
pub fn parse_bpm(text: &str) -> Result<u16, BpmError> {
    let t = text.trim();
    if let Some(v) = plain_bpm(t.as_bytes()) {
        return check_bpm_int(v, t);
    }
    if let Ok(v) = t.parse::<i64>() {
        return check_bpm_int(v, t);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => check_bpm_float(v, t),
        _ => Err(BpmError::NotANumber(t.to_string())),
    }
}

/// A bpm written as up to three digits, with or without a fraction of zeros (`72`,
/// `72.0`, as Takeout's CSVs write it): the value [`parse_bpm`]'s general path gives,
/// without parsing a float.
fn plain_bpm(b: &[u8]) -> Option<i64> {
    let (int, frac) = match b.iter().position(|&c| c == b'.') {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &b[..0]),
    };
    if int.is_empty()
        || int.len() > 3
        || !int.iter().all(u8::is_ascii_digit)
        || !frac.iter().all(|&c| c == b'0')
    {
        return None;
    }
    Some(int.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
}

/// Validates an integer bpm.
pub fn check_bpm_int(v: i64, shown: &str) -> Result<u16, BpmError> {
    if (MIN_BPM..=MAX_BPM).contains(&v) {
        Ok(v as u16)
    } else {
        Err(BpmError::OutOfRange(shown.to_string()))
    }
}

/// Validates a floating-point bpm, rounding to the nearest beat.
pub fn check_bpm_float(v: f64, shown: &str) -> Result<u16, BpmError> {
    let r = v.round();
    if r.is_finite() && r >= MIN_BPM as f64 && r <= MAX_BPM as f64 {
        Ok(r as u16)
    } else {
        Err(BpmError::OutOfRange(shown.to_string()))
    }
}

/// Start of the UTC hour holding `ts`.
pub fn hour_of(ts: i64) -> i64 {
    ts.div_euclid(HOUR) * HOUR
}

/// An account name as the user typed it: letters, digits, `-`, `_`, `.`, `@`, 1 to 64 chars.
pub fn validate_account_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "account name {name:?} must be 1-64 characters of letters, digits, '-', '_', '.', '@'"
        ))
    }
}

/// Formats an offset in minutes as `+HH:MM` / `-HH:MM`.
pub fn format_offset(min: i16) -> String {
    let mut out = String::with_capacity(6);
    push_offset(&mut out, min as i64);
    out
}

/// [`format_offset`], appended to `out`.
fn push_offset(out: &mut String, min: i64) {
    use std::fmt::Write;
    let sign = if min < 0 { '-' } else { '+' };
    let a = min.unsigned_abs();
    let _ = write!(out, "{sign}{:02}:{:02}", a / 60, a % 60);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bpm_parsing_accepts_ints_and_floats_and_rejects_garbage() {
        assert_eq!(parse_bpm("72"), Ok(72));
        assert_eq!(parse_bpm(" 65.0 "), Ok(65));
        assert_eq!(parse_bpm("64.6"), Ok(65));
        assert!(matches!(parse_bpm("abc"), Err(BpmError::NotANumber(_))));
        assert!(matches!(parse_bpm("0"), Err(BpmError::OutOfRange(_))));
        assert!(matches!(parse_bpm("400"), Err(BpmError::OutOfRange(_))));
        assert!(matches!(parse_bpm("NaN"), Err(BpmError::NotANumber(_))));
        assert!(matches!(parse_bpm("inf"), Err(BpmError::NotANumber(_))));
    }

    #[test]
    fn hours_floor_towards_minus_infinity() {
        assert_eq!(hour_of(7199), 3600);
        assert_eq!(hour_of(7200), 7200);
        assert_eq!(hour_of(-1), -3600);
    }

    #[test]
    fn offsets_format_with_sign() {
        assert_eq!(format_offset(330), "+05:30");
        assert_eq!(format_offset(-300), "-05:00");
        assert_eq!(format_offset(0), "+00:00");
    }

    #[test]
    fn account_names_are_checked() {
        assert!(validate_account_name("default").is_ok());
        assert!(validate_account_name("me@example.com").is_ok());
        assert!(validate_account_name("").is_err());
        assert!(validate_account_name("a b").is_err());
    }
}

/// The civil date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn push_civil(out: &mut String, ts: i64) {
    let (y, m, d) = civil_from_days(ts.div_euclid(DAY));
    let s = ts.rem_euclid(DAY);
    let (h, mi, se) = (s / 3600, s / 60 % 60, s % 60);
    if (0..=9999).contains(&y) {
        // Digit by digit: this runs for every hour of every master-table write.
        let two = |v: i64| [b'0' + (v / 10) as u8, b'0' + (v % 10) as u8];
        let (yh, yl) = (two(y / 100), two(y % 100));
        let (m, d, h, mi, se) = (two(m as i64), two(d as i64), two(h), two(mi), two(se));
        let b = [
            yh[0], yh[1], yl[0], yl[1], b'-', m[0], m[1], b'-', d[0], d[1], b'T', h[0], h[1], b':',
            mi[0], mi[1], b':', se[0], se[1],
        ];
        out.push_str(std::str::from_utf8(&b).expect("ASCII digits"));
    } else {
        use std::fmt::Write;
        let _ = write!(out, "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{se:02}");
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for UTC epoch seconds; outside years 0000–9999, the number itself.
pub fn format_utc(ts: i64) -> String {
    let mut out = String::with_capacity(20);
    push_utc(&mut out, ts);
    out
}

/// [`format_utc`], appended to `out`.
pub fn push_utc(out: &mut String, ts: i64) {
    // 0000-01-01T00:00:00Z ..= 9999-12-31T23:59:59Z
    if !(-62_167_219_200..=253_402_300_799).contains(&ts) {
        use std::fmt::Write;
        let _ = write!(out, "{ts}");
        return;
    }
    push_civil(out, ts);
    out.push('Z');
}

/// `YYYY-MM-DD`, the UTC date of epoch seconds `ts`; outside years 0000–9999, the number.
pub fn format_date(ts: i64) -> String {
    let mut s = format_utc(ts);
    if s.len() == 20 {
        s.truncate(10);
    }
    s
}

/// `YYYY-MM`, the UTC month of epoch seconds `ts` (a report's month label).
pub fn format_month(ts: i64) -> String {
    let mut s = format_date(ts);
    s.truncate(7);
    s
}

/// `MM-DD HH:00`, the UTC hour of epoch seconds `ts` within its year (a report's hour label).
pub fn format_short_hour(ts: i64) -> String {
    let s = format_utc(ts);
    format!("{}:00", &s[5..13].replace('T', " "))
}

/// Fitbit's `MM/DD/YY HH:MM:SS` of epoch seconds `ts` (the stamps of Takeout's JSON day
/// files; `formats::takeout_stamp` reads them), appended to `out`.
pub fn push_takeout_stamp(out: &mut String, ts: i64) {
    let mut s = String::with_capacity(19);
    push_civil(&mut s, ts);
    out.push_str(&s[5..7]);
    out.push('/');
    out.push_str(&s[8..10]);
    out.push('/');
    out.push_str(&s[2..4]);
    out.push(' ');
    out.push_str(&s[11..19]);
}

/// RFC 3339 local time of the hour start at `hour`, with an offset in minutes.
pub fn format_hour_local(hour: i64, offset_min: i64) -> String {
    let mut out = String::with_capacity(25);
    push_hour_local(&mut out, hour, offset_min);
    out
}

/// [`format_hour_local`], appended to `out`.
pub fn push_hour_local(out: &mut String, hour: i64, offset_min: i64) {
    push_civil(out, hour + offset_min * 60);
    push_offset(out, offset_min);
}

/// The UTC year of epoch seconds `ts`.
pub fn year_of(ts: i64) -> i64 {
    civil_from_days(ts.div_euclid(DAY)).0
}

/// Epoch seconds of the start of UTC year `year`.
pub fn year_start(year: i64) -> i64 {
    days_from_civil(year, 1, 1) * DAY
}

/// UTC midnight starting `date`, in epoch seconds.
pub fn midnight_utc(date: chrono::NaiveDate) -> i64 {
    use chrono::Datelike;
    days_from_civil(date.year() as i64, date.month(), date.day()) * DAY
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// UTC epoch seconds of a civil date and time, after checking each field's range.
pub fn epoch_of(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<i64> {
    if !(1..=12).contains(&mo) || d == 0 || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d > dim[(mo - 1) as usize] {
        return None;
    }
    Some(days_from_civil(y, mo, d) * DAY + (h * 3600 + mi * 60 + s) as i64)
}

#[cfg(test)]
mod civil_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn epoch_of_agrees_with_chrono(ts in 0i64..4_102_444_800) {
            let dt = chrono::DateTime::from_timestamp(ts, 0).unwrap().naive_utc();
            use chrono::{Datelike, Timelike};
            let got = epoch_of(dt.year() as i64, dt.month(), dt.day(), dt.hour(), dt.minute(), dt.second());
            prop_assert_eq!(got, Some(ts));
        }
    }

    proptest! {
        #[test]
        fn utc_formats_agree_with_chrono(ts in -62_167_219_200i64..=253_402_300_799) {
            let utc = chrono::DateTime::from_timestamp(ts, 0).unwrap();
            prop_assert_eq!(format_utc(ts), utc.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        }
    }

    proptest! {
        #[test]
        fn dates_agree_with_chrono(ts in -62_167_219_200i64..=253_402_300_799) {
            let utc = chrono::DateTime::from_timestamp(ts, 0).unwrap();
            prop_assert_eq!(format_date(ts), utc.format("%Y-%m-%d").to_string());
        }
    }

    proptest! {
        /// The plain form agrees with reading the text as a number and rounding it, the
        /// way the general path reads any other form.
        #[test]
        fn plain_bpm_agrees_with_a_float_read(
            text in "[ ]?[0-9]{0,4}(\\.[0-9]{0,3})?[ ]?|[0-9]{1,3}\\.0+|\\+?[0-9]{1,3}\\.[05]|0[0-9]{2}"
        ) {
            let reference = match text.trim().parse::<f64>() {
                Ok(v) if v.is_finite() && (MIN_BPM as f64..=MAX_BPM as f64).contains(&v.round()) => {
                    Some(v.round() as u16)
                }
                _ => None,
            };
            prop_assert_eq!(parse_bpm(&text).ok(), reference, "{:?}", text);
        }
    }

    #[test]
    fn instants_past_four_digit_years_are_written_as_numbers() {
        assert_eq!(format_utc(253_402_300_800), "253402300800");
        assert_eq!(format_utc(-62_167_219_201), "-62167219201");
    }

    proptest! {
        #[test]
        fn labels_and_stamps_agree_with_chrono(ts in 946_684_800i64..4_102_444_800) {
            let utc = chrono::DateTime::from_timestamp(ts, 0).unwrap();
            prop_assert_eq!(format_month(ts), utc.format("%Y-%m").to_string());
            prop_assert_eq!(format_short_hour(ts), utc.format("%m-%d %H:00").to_string());
            let mut stamp = String::new();
            push_takeout_stamp(&mut stamp, ts);
            prop_assert_eq!(&stamp, &utc.format("%m/%d/%y %H:%M:%S").to_string());
        }

        #[test]
        fn hour_formats_agree_with_chrono(hour in 0i64..9_544_000, off in -720i64..840) {
            let h = hour * 3600;
            let utc = chrono::DateTime::from_timestamp(h, 0).unwrap();
            prop_assert_eq!(format_utc(h), utc.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            let tz = chrono::FixedOffset::east_opt((off * 60) as i32).unwrap();
            prop_assert_eq!(format_hour_local(h, off), utc.with_timezone(&tz).format("%Y-%m-%dT%H:%M:%S%:z").to_string());
        }
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert_eq!(epoch_of(2023, 2, 29, 0, 0, 0), None);
        assert!(epoch_of(2024, 2, 29, 0, 0, 0).is_some());
        assert_eq!(epoch_of(2024, 13, 1, 0, 0, 0), None);
        assert_eq!(epoch_of(2024, 1, 1, 24, 0, 0), None);
    }
}

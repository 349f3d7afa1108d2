//! Local time for samples whose files give no offset: from the user's time zone, taken
//! from the best evidence there is. Takeout's per-local-day JSON files bound the offset
//! day by day (`offsets`); exports with CSV files only have no such files, so their hours
//! get the offsets of a zone instead: the one given (`--timezone`, `timezone` in the
//! config), else the one the export states (`UserDemographicData.csv`), else this machine's
//! (unless it is plain UTC, which says nothing of the user).

use chrono::{Offset, TimeZone};

use super::offsets::Span;
use crate::model::HOUR;
use crate::store::OffsetSpan;

/// Where the zone came from, as the import summary and `status` say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneSource {
    /// `fitpipe import --timezone`.
    Given,
    /// The export's `UserDemographicData.csv`.
    Export,
    /// `timezone` in the configuration (the account's, else the file's).
    Config,
    /// This machine's zone.
    ThisMachine,
}

impl ZoneSource {
    /// Its name in the store (`account_zone.source`).
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneSource::Given => "given",
            ZoneSource::Export => "export",
            ZoneSource::Config => "config",
            ZoneSource::ThisMachine => "this_machine",
        }
    }

    pub fn parse(s: &str) -> Option<ZoneSource> {
        [
            ZoneSource::Given,
            ZoneSource::Export,
            ZoneSource::Config,
            ZoneSource::ThisMachine,
        ]
        .into_iter()
        .find(|z| z.as_str() == s)
    }
}

/// What the user said of their zone.
#[derive(Debug, Clone, Copy, Default)]
pub struct ZonePrefs<'a> {
    /// `fitpipe import --timezone`.
    pub given: Option<&'a str>,
    /// The configuration's zone for the account.
    pub configured: Option<&'a str>,
}

/// The zone for hours whose samples state no offset, from the best evidence: the one given
/// on the command line, else the one the export states, else the configured one, else
/// this machine's (unless it is plain UTC, which says nothing of the user).
pub fn choose(
    prefs: ZonePrefs<'_>,
    stated_by_export: impl FnOnce() -> Option<String>,
) -> Option<(String, ZoneSource)> {
    if let Some(z) = prefs.given {
        return Some((z.to_string(), ZoneSource::Given));
    }
    if let Some(z) = stated_by_export() {
        return Some((z, ZoneSource::Export));
    }
    if let Some(z) = prefs.configured {
        return Some((z.to_string(), ZoneSource::Config));
    }
    of_this_machine().map(|z| (z, ZoneSource::ThisMachine))
}

/// A zone by its IANA name, checked.
pub fn parse(name: &str) -> Option<chrono_tz::Tz> {
    name.trim().parse().ok()
}

/// The zone `UserDemographicData.csv` states (its `timezone` column), when it is one.
pub fn from_demographics(bytes: &[u8]) -> Option<String> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let col = rdr
        .headers()
        .ok()?
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case("timezone"))?;
    rdr.records()
        .filter_map(Result::ok)
        .filter_map(|r| r.get(col).map(|v| v.trim().to_string()))
        .find(|v| parse(v).is_some())
}

/// This machine's zone, unless it is plain UTC: the one the `TZ` variable names, when it
/// is set, as the C library takes it for every program's local time; else the system's
/// setting (`/etc/localtime` and the like), which `iana-time-zone` reads and which does
/// not look at `TZ` on Linux (its issue #118).
pub fn of_this_machine() -> Option<String> {
    let name = match std::env::var("TZ").ok().map(|v| from_tz_variable(&v)) {
        Some(TzVariable::Zone(name)) => name,
        Some(TzVariable::Utc) => return None,
        Some(TzVariable::System) | None => iana_time_zone::get_timezone().ok()?,
    };
    let utc = [
        "UTC",
        "Etc/UTC",
        "Etc/Universal",
        "Universal",
        "Etc/Zulu",
        "Zulu",
        "GMT",
        "Etc/GMT",
    ];
    (!utc.contains(&name.as_str()) && parse(&name).is_some()).then_some(name)
}

/// What a value of `TZ` says of the zone.
#[derive(Debug, PartialEq, Eq)]
enum TzVariable {
    /// A zone of the tz database, by its name.
    Zone(String),
    /// UTC: the variable is set but empty.
    Utc,
    /// Nothing fitpipe can apply (the system's own file, a POSIX rule such as
    /// `CET-1CEST,M3.5.0,M10.5.0/3`): the system's setting stands.
    System,
}

/// Reads a value of `TZ` as POSIX and the GNU C library define it: a zone's name, with or
/// without a leading `:`, or the path of its file in a `zoneinfo` folder; a value that
/// is neither is left to the system's setting.
fn from_tz_variable(value: &str) -> TzVariable {
    let v = value.trim();
    let v = v.strip_prefix(':').unwrap_or(v);
    if v.is_empty() {
        return TzVariable::Utc;
    }
    let name = match v.rfind("zoneinfo/") {
        Some(at) => &v[at + "zoneinfo/".len()..],
        None if v.starts_with('/') => return TzVariable::System,
        None => v,
    };
    // The tz database's `posix/` and `right/` trees hold the same zones (the latter counts
    // leap seconds, which leave a zone's offsets as they are).
    let name = ["posix/", "right/"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name);
    match parse(name) {
        Some(_) => TzVariable::Zone(name.to_string()),
        None => TzVariable::System,
    }
}

/// The offsets of `tz` over `[from, to)`, as spans of one offset each, hour by hour (zones
/// change their offset on the hour, or on the half hour for a few, which an hourly table
/// places at the hour it falls in).
pub fn spans(tz: chrono_tz::Tz, from: i64, to: i64) -> Vec<Span> {
    let offset_at = |ts: i64| -> i16 {
        let utc = chrono::DateTime::from_timestamp(ts, 0)
            .expect("in range")
            .naive_utc();
        (tz.offset_from_utc_datetime(&utc).fix().local_minus_utc() / 60) as i16
    };
    let mut out: Vec<Span> = Vec::new();
    let mut h = from - from.rem_euclid(HOUR);
    while h < to {
        let off = offset_at(h);
        match out.last_mut() {
            Some(last) if last.2 == off => last.1 = h + HOUR,
            _ => out.push((h, h + HOUR, off)),
        }
        h += HOUR;
    }
    out
}

/// Whether `tz` explains a day file: it puts the file's first and last sample on the file's
/// local date. Such a day's offsets are the zone's, exactly (a clock change at its instant);
/// a day it does not explain was spent elsewhere (travel), and its own bounds tell.
pub fn agrees(tz: chrono_tz::Tz, day: &crate::store::DayFile) -> bool {
    let local_date = |ts: i64| {
        chrono::DateTime::from_timestamp(ts, 0).map(|utc| utc.with_timezone(&tz).date_naive())
    };
    local_date(day.first_ts) == Some(day.local_date)
        && local_date(day.last_ts) == Some(day.local_date)
}

/// The offsets of an account's hours whose samples state none, from its day files and the
/// user's zone (`tz`, when known) over `range` (the account's samples, UTC): days the zone
/// explains take its offsets, exactly; the others (travel) their own bounds, and the days
/// those cannot settle keep no local time rather than the zone's; hours with no day file
/// take the zone's.
pub fn offset_spans(
    days: &[crate::store::DayFile],
    tz: Option<chrono_tz::Tz>,
    range: Option<(i64, i64)>,
) -> Vec<OffsetSpan> {
    let mut away = Vec::new();
    let day_spans = super::offsets::infer(days, &|d| tz.is_some_and(|tz| agrees(tz, d)), &mut away);
    let zone_spans = match (tz, range) {
        (Some(tz), Some((from, to))) => without(&spans(tz, from, to), &away),
        _ => Vec::new(),
    };
    fill_gaps(&day_spans, &zone_spans)
}

/// `spans` with the time of `holes` cut out (sorted or not; they may overlap).
pub fn without(spans: &[Span], holes: &[(i64, i64)]) -> Vec<Span> {
    let mut holes = holes.to_vec();
    holes.sort_unstable();
    let mut out = Vec::new();
    for &(s, e, o) in spans {
        let mut from = s;
        for &(hs, he) in &holes {
            if he <= from || hs >= e {
                continue;
            }
            if hs > from {
                out.push((from, hs, o));
            }
            from = from.max(he);
            if from >= e {
                break;
            }
        }
        if from < e {
            out.push((from, e, o));
        }
    }
    out
}

/// `day` spans (from day files, the better evidence) with the gaps between and around them
/// filled from `zone` spans. Both sorted and non-overlapping; so is the result.
pub fn fill_gaps(day: &[Span], zone: &[Span]) -> Vec<OffsetSpan> {
    let mut out: Vec<OffsetSpan> = Vec::new();
    let mut cursor = i64::MIN;
    let span = |start, end, offset, from_zone| OffsetSpan {
        start,
        end,
        offset,
        from_zone,
    };
    let push_zone = |out: &mut Vec<OffsetSpan>, from: i64, to: i64| {
        for &(s, e, o) in zone {
            let (s, e) = (s.max(from), e.min(to));
            if s < e {
                out.push(span(s, e, o, true));
            }
        }
    };
    for &(s, e, o) in day {
        push_zone(&mut out, cursor, s);
        out.push(span(s, e, o, false));
        cursor = e;
    }
    push_zone(&mut out, cursor, i64::MAX);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tz_variable_is_read_as_the_c_library_reads_it() {
        let zone = |z: &str| TzVariable::Zone(z.to_string());
        assert_eq!(from_tz_variable("Europe/Berlin"), zone("Europe/Berlin"));
        assert_eq!(
            from_tz_variable(":America/New_York"),
            zone("America/New_York")
        );
        assert_eq!(
            from_tz_variable("/usr/share/zoneinfo/Asia/Kolkata"),
            zone("Asia/Kolkata")
        );
        assert_eq!(
            from_tz_variable(":/usr/share/zoneinfo/posix/America/Chicago"),
            zone("America/Chicago")
        );
        assert_eq!(from_tz_variable("EST5EDT"), zone("EST5EDT"));
        assert_eq!(from_tz_variable(""), TzVariable::Utc);
        assert_eq!(from_tz_variable(":"), TzVariable::Utc);
        assert_eq!(from_tz_variable(":/etc/localtime"), TzVariable::System);
        assert_eq!(
            from_tz_variable("CET-1CEST,M3.5.0,M10.5.0/3"),
            TzVariable::System
        );
        assert_eq!(from_tz_variable("Mars/Olympus"), TzVariable::System);
    }

    #[test]
    fn new_york_changes_its_offset_on_the_documented_days() {
        let tz = parse("America/New_York").unwrap();
        // 2024: EDT from 2024-03-10 07:00Z, EST again from 2024-11-03 06:00Z.
        let jan = 1_704_067_200; // 2024-01-01T00:00:00Z
        let dec = 1_735_689_600; // 2025-01-01T00:00:00Z
        assert_eq!(
            spans(tz, jan, dec),
            vec![
                (jan, 1_710_054_000, -300),
                (1_710_054_000, 1_730_613_600, -240),
                (1_730_613_600, dec, -300)
            ]
        );
        assert_eq!(
            spans(parse("Asia/Kolkata").unwrap(), jan, jan + 2 * HOUR),
            vec![(jan, jan + 2 * HOUR, 330)]
        );
    }

    #[test]
    fn day_files_win_and_the_zone_fills_around_them() {
        let zone = vec![(0, 100, -300), (100, 300, -240)];
        let day = vec![(50, 120, -600)];
        assert_eq!(
            tuples(&fill_gaps(&day, &zone)),
            vec![
                ((0, 50, -300), true),
                ((50, 120, -600), false),
                ((120, 300, -240), true)
            ]
        );
        assert_eq!(
            tuples(&fill_gaps(&[], &zone)),
            zone.iter().map(|s| (*s, true)).collect::<Vec<_>>()
        );
    }

    /// The offset `spans` give the instant `ts`.
    fn offset_at(spans: &[OffsetSpan], ts: i64) -> Option<i16> {
        spans
            .iter()
            .find(|s| s.start <= ts && ts < s.end)
            .map(|s| s.offset)
    }

    fn tuples(spans: &[OffsetSpan]) -> Vec<(Span, bool)> {
        spans
            .iter()
            .map(|s| ((s.start, s.end, s.offset), s.from_zone))
            .collect()
    }

    #[test]
    fn a_known_zone_places_a_clock_change_at_its_instant() {
        // Berlin, 2024-10-27: CEST (+02:00) until 01:00Z, then CET (+01:00). Day files of a
        // sample every minute pin both offsets, but not when the clocks changed; the rule
        // of thumb (02:00 local of the old offset, the US instant) says 00:00Z.
        let p = |s: &str| crate::formats::rfc3339(s).unwrap().0;
        let d = |date: &str, first: &str, last: &str| crate::store::DayFile {
            local_date: crate::formats::date(date).unwrap(),
            first_ts: p(first),
            last_ts: p(last),
        };
        let days = [
            d("2024-10-26", "2024-10-25T22:00:30Z", "2024-10-26T21:59:30Z"),
            d("2024-10-27", "2024-10-26T22:00:30Z", "2024-10-27T22:59:30Z"),
            d("2024-10-28", "2024-10-27T23:00:30Z", "2024-10-28T22:59:30Z"),
        ];
        let from = p("2024-10-25T22:00:00Z");
        let range = Some((from, p("2024-10-28T23:00:00Z")));
        let berlin = parse("Europe/Berlin");
        let known = offset_spans(&days, berlin, range);
        let guessed = offset_spans(&days, None, range);
        let half_past_midnight = p("2024-10-27T00:30:00Z");
        assert_eq!(offset_at(&known, half_past_midnight), Some(120));
        assert_eq!(offset_at(&guessed, half_past_midnight), Some(60));
        for ts in [
            p("2024-10-26T12:00:00Z"),
            p("2024-10-27T12:00:00Z"),
            p("2024-10-28T12:00:00Z"),
        ] {
            assert_eq!(offset_at(&known, ts), offset_at(&guessed, ts));
        }
        // A day in New York during that stay is the day files' (travel), not Berlin's.
        let mut trip = days.to_vec();
        trip.push(d(
            "2024-10-29",
            "2024-10-29T04:00:30Z",
            "2024-10-30T03:59:30Z",
        ));
        let spans = offset_spans(&trip, berlin, Some((from, p("2024-10-30T04:00:00Z"))));
        assert_eq!(offset_at(&spans, p("2024-10-29T12:00:00Z")), Some(-240));
    }

    #[test]
    fn holes_are_cut_out_of_spans() {
        let spans = vec![(0, 100, -300), (100, 300, -240)];
        assert_eq!(
            without(&spans, &[(250, 400), (50, 60), (55, 120)]),
            vec![(0, 50, -300), (120, 250, -240)]
        );
        assert_eq!(without(&spans, &[]), spans);
    }

    #[test]
    fn the_export_states_its_zone() {
        let csv = b"gender,height,timezone,weight\nFEMALE,170,America/New_York,60\n";
        assert_eq!(from_demographics(csv).as_deref(), Some("America/New_York"));
        assert_eq!(from_demographics(b"gender,timezone\nX,Mars/Base\n"), None);
        assert_eq!(from_demographics(b"gender\nX\n"), None);
    }
}

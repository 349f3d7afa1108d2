//! Local time for samples whose files give no offset: from the user's time zone, taken
//! from the best evidence there is. Takeout's per-local-day JSON files bound the offset
//! day by day (`offsets`); exports with CSV files only have no such files, so their hours
//! get the offsets of a zone instead: the one given (`--timezone`, `timezone` in the
//! config), else the one the export states (`UserDemographicData.csv`), else this machine's
//! (unless it is plain UTC, which says nothing of the user).

use chrono::{Offset, TimeZone};

use super::offsets::Span;
use crate::model::HOUR;

/// Where the zone came from, as the import summary says it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneSource {
    Given,
    Export,
    ThisMachine,
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

/// This machine's zone, unless it is plain UTC.
pub fn of_this_machine() -> Option<String> {
    let name = iana_time_zone::get_timezone().ok()?;
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

/// `day` spans (from day files, the better evidence) with the gaps between and around them
/// filled from `zone` spans. Both sorted and non-overlapping; so is the result.
pub fn fill_gaps(day: &[Span], zone: &[Span]) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut cursor = i64::MIN;
    let push_zone = |out: &mut Vec<Span>, from: i64, to: i64| {
        for &(s, e, o) in zone {
            let (s, e) = (s.max(from), e.min(to));
            if s < e {
                out.push((s, e, o));
            }
        }
    };
    for &(s, e, o) in day {
        push_zone(&mut out, cursor, s);
        out.push((s, e, o));
        cursor = e;
    }
    push_zone(&mut out, cursor, i64::MAX);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
            fill_gaps(&day, &zone),
            vec![(0, 50, -300), (50, 120, -600), (120, 300, -240)]
        );
        assert_eq!(fill_gaps(&[], &zone), zone);
    }

    #[test]
    fn the_export_states_its_zone() {
        let csv = b"gender,height,timezone,weight\nFEMALE,170,America/New_York,60\n";
        assert_eq!(from_demographics(csv).as_deref(), Some("America/New_York"));
        assert_eq!(from_demographics(b"gender,timezone\nX,Mars/Base\n"), None);
        assert_eq!(from_demographics(b"gender\nX\n"), None);
    }
}

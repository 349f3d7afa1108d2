//! Inferring the user's UTC offset from Takeout's per-local-day files.
//!
//! A file named for local date D holds UTC stamps that all fall on D in the user's zone, so
//! its first and last stamps bound the offset: `D 00:00 <= t + offset < D+1 00:00`. A well
//! covered day pins the offset to one quarter hour; a sparse day leaves a range, settled by
//! its neighbours; a day whose bounds admit no single offset had a clock change (25-hour
//! days), and a day whose neighbours differ inside its range had one too (23-hour days).
//! Without a zone database the instant of a change is not in the data: it is placed at
//! 02:00 local time of the old offset, when the US and EU (spring) change their clocks.
//! Only offsets some real zone uses are candidates (whole and half hours, and Nepal's,
//! Eucla's and the Chatham Islands' quarter hours): a sparse day (a sample every half hour,
//! or a watch off the wrist for the night) bounds the offset loosely, and the quarter hour
//! it would pin (-04:45) is no zone's.

use crate::model::DAY;
use crate::store::DayFile;

const STEP: i64 = 900;
const MIN_OFFSET: i64 = -12 * 3600;
const MAX_OFFSET: i64 = 14 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    Fixed(i64),
    Range(i64, i64),
    Changed { lo: i64, hi: i64 },
}

/// A span of UTC time `[start, end)` with the offset (minutes) in force.
pub type Span = (i64, i64, i16);

/// Quarter-hour offsets (seconds) that zones in use have: +05:45, +08:45, +12:45, +13:45.
const QUARTER_HOURS: [i64; 4] = [345 * 60, 525 * 60, 765 * 60, 825 * 60];

/// Whether some zone uses offset `o` (seconds).
fn is_real(o: i64) -> bool {
    o.rem_euclid(2 * STEP) == 0 || QUARTER_HOURS.contains(&o)
}

/// The smallest offset some zone uses at or above `x`.
fn ceil_real(x: i64) -> i64 {
    let mut o = x.div_euclid(STEP) * STEP + if x.rem_euclid(STEP) == 0 { 0 } else { STEP };
    while !is_real(o) {
        o += STEP;
    }
    o
}

/// The largest offset some zone uses at or below `x`.
fn floor_real(x: i64) -> i64 {
    let mut o = x.div_euclid(STEP) * STEP;
    while !is_real(o) {
        o -= STEP;
    }
    o
}

fn bound(day: &DayFile) -> Bound {
    let m = crate::model::midnight_utc(day.local_date);
    let lo = (m - day.first_ts).max(MIN_OFFSET);
    let hi = (m + DAY - 1 - day.last_ts).min(MAX_OFFSET);
    let lo_c = ceil_real(lo);
    let hi_c = floor_real(hi);
    match lo_c.cmp(&hi_c) {
        std::cmp::Ordering::Equal => Bound::Fixed(lo_c),
        std::cmp::Ordering::Less => Bound::Range(lo_c, hi_c),
        std::cmp::Ordering::Greater => Bound::Changed { lo: lo_c, hi: hi_c },
    }
}

/// The one whole- or half-hour offset in `[lo, hi]`, if there is exactly one: the other
/// candidates are quarter hours, which only Nepal, Eucla and the Chatham Islands use (a
/// day of a sample every half hour in India bounds its offset to +05:30..+05:45).
fn only_half_hour(lo: i64, hi: i64) -> Option<i64> {
    let first = lo.div_euclid(2 * STEP) * 2 * STEP
        + if lo.rem_euclid(2 * STEP) == 0 {
            0
        } else {
            2 * STEP
        };
    (first <= hi && first + 2 * STEP > hi).then_some(first)
}

fn in_range(v: Option<i64>, lo: i64, hi: i64) -> Option<i64> {
    v.filter(|v| (lo..=hi).contains(v))
}

/// Offset spans for a date-sorted list of day files. Days whose offset cannot be told get
/// no span (their hours keep an unknown local time), and so do the days `left_to_zone`
/// names: days the user's known zone explains, whose offsets (with the instant of a clock
/// change) the zone gives better than these bounds (see `zone::agrees`). A day the zone
/// does not explain is evidence of travel, and is inferred here.
///
/// A day that neither its bounds nor its neighbours settle, and that the zone does not
/// explain, is pushed to `unknown` (the hours its samples fall in): its hours were spent away
/// from the zone, and the zone must not be used for them.
pub fn infer(
    days: &[DayFile],
    left_to_zone: &dyn Fn(&DayFile) -> bool,
    unknown: &mut Vec<(i64, i64)>,
) -> Vec<Span> {
    let bounds: Vec<Bound> = days.iter().map(bound).collect();
    let mut next_fixed = vec![None; days.len()];
    let mut seen = None;
    for i in (0..days.len()).rev() {
        next_fixed[i] = seen;
        if let Bound::Fixed(o) = bounds[i] {
            seen = Some(o);
        }
    }
    let mut spans = Vec::new();
    let mut prev: Option<i64> = None;
    for (i, day) in days.iter().enumerate() {
        let m = crate::model::midnight_utc(day.local_date);
        let next = next_fixed[i];
        let (start, end) = match bounds[i] {
            Bound::Fixed(o) => (o, o),
            Bound::Range(lo, hi) => match (in_range(prev, lo, hi), in_range(next, lo, hi)) {
                (Some(p), Some(n)) => (p, n),
                (Some(p), None) => (p, p),
                (None, Some(n)) => (n, n),
                (None, None) => match only_half_hour(lo, hi) {
                    Some(o) if !left_to_zone(day) => (o, o),
                    _ => {
                        prev = None;
                        if !left_to_zone(day) {
                            // The hours its samples fall in.
                            unknown.push((
                                day.first_ts - day.first_ts.rem_euclid(3600),
                                day.last_ts + 1,
                            ));
                        }
                        continue;
                    }
                },
            },
            Bound::Changed { lo, hi } => (
                prev.filter(|p| *p >= lo).unwrap_or(lo),
                next.filter(|n| *n <= hi).unwrap_or(hi),
            ),
        };
        if !(MIN_OFFSET..=MAX_OFFSET).contains(&start) || !(MIN_OFFSET..=MAX_OFFSET).contains(&end)
        {
            prev = None;
            continue;
        }
        let day_start = m - start;
        let day_end = m + DAY - end;
        if left_to_zone(day) {
            prev = Some(end);
            continue;
        }
        if start == end {
            spans.push((day_start, day_end, (start / 60) as i16));
        } else {
            let switch = (m + 2 * 3600 - start).clamp(day_start + 1, day_end - 1);
            spans.push((day_start, switch, (start / 60) as i16));
            spans.push((switch, day_end, (end / 60) as i16));
        }
        prev = Some(end);
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(date: &str, first: &str, last: &str) -> DayFile {
        let p = |s: &str| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                .unwrap()
                .and_utc()
                .timestamp()
        };
        DayFile {
            local_date: NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
            first_ts: p(first),
            last_ts: p(last),
        }
    }

    fn ts(s: &str) -> i64 {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp()
    }

    #[test]
    fn full_days_pin_the_offset() {
        let spans = infer(
            &[day(
                "2024-05-01",
                "2024-04-30 18:30:04",
                "2024-05-01 18:29:58",
            )],
            &|_| false,
            &mut Vec::new(),
        );
        assert_eq!(
            spans,
            vec![(ts("2024-04-30 18:30:00"), ts("2024-05-01 18:30:00"), 330)]
        );
    }

    #[test]
    fn us_spring_forward_and_fall_back() {
        let days = [
            day("2024-03-09", "2024-03-09 05:00:01", "2024-03-10 04:59:55"),
            day("2024-03-10", "2024-03-10 05:00:02", "2024-03-11 03:59:52"),
            day("2024-03-11", "2024-03-11 04:00:03", "2024-03-12 03:59:58"),
        ];
        let spans = infer(&days, &|_| false, &mut Vec::new());
        assert_eq!(
            spans[1],
            (ts("2024-03-10 05:00:00"), ts("2024-03-10 07:00:00"), -300)
        );
        assert_eq!(
            spans[2],
            (ts("2024-03-10 07:00:00"), ts("2024-03-11 04:00:00"), -240)
        );
        let days = [
            day("2024-11-02", "2024-11-02 04:00:01", "2024-11-03 03:59:55"),
            day("2024-11-03", "2024-11-03 04:00:02", "2024-11-04 04:59:52"),
            day("2024-11-04", "2024-11-04 05:00:03", "2024-11-05 04:59:58"),
        ];
        let spans = infer(&days, &|_| false, &mut Vec::new());
        assert_eq!(
            spans[1],
            (ts("2024-11-03 04:00:00"), ts("2024-11-03 06:00:00"), -240)
        );
        assert_eq!(
            spans[2],
            (ts("2024-11-03 06:00:00"), ts("2024-11-04 05:00:00"), -300)
        );
    }

    #[test]
    fn a_sparse_day_pins_no_offset_that_no_zone_has() {
        // A sample every half hour at :15 and :45, New York in winter: the first sample of
        // the local day is at 00:15 and the last at 23:45, which alone bound the offset to
        // -05:15..-04:45; of the offsets zones use, only -05:00 lies between.
        let days = [day(
            "2024-01-10",
            "2024-01-10 05:15:00",
            "2024-01-11 04:45:00",
        )];
        let spans = infer(&days, &|_| false, &mut Vec::new());
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].2, -300);
        // Nepal's quarter hour still pins.
        let nepal = [day(
            "2024-01-10",
            "2024-01-09 18:15:04",
            "2024-01-10 18:14:58",
        )];
        assert_eq!(infer(&nepal, &|_| false, &mut Vec::new())[0].2, 345);
        assert!(is_real(-9 * 1800) && !is_real(-285 * 60) && is_real(525 * 60));
    }

    #[test]
    fn sparse_days_follow_their_neighbours_or_stay_unknown() {
        let days = [
            day("2024-05-01", "2024-05-01 05:00:01", "2024-05-02 04:59:55"),
            day("2024-05-02", "2024-05-02 12:00:00", "2024-05-02 13:00:00"),
        ];
        let spans = infer(&days, &|_| false, &mut Vec::new());
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[1].2, -300);
        assert!(infer(
            &[day(
                "2024-05-02",
                "2024-05-02 12:00:00",
                "2024-05-02 13:00:00"
            )],
            &|_| false,
            &mut Vec::new()
        )
        .is_empty());
    }

    #[test]
    fn days_the_zone_explains_are_left_to_it_and_travel_days_are_kept() {
        // New York's fall change (2024-11-03 06:00Z): a day file with a sample every 30
        // minutes pins nothing exactly; a day in Berlin (+01:00) is travel.
        let days = [
            day("2024-11-02", "2024-11-02 04:10:00", "2024-11-03 03:40:00"),
            day("2024-11-03", "2024-11-03 04:10:00", "2024-11-04 04:40:00"),
            day("2024-11-10", "2024-11-09 23:10:00", "2024-11-10 22:40:00"),
        ];
        let ny = crate::import::zone::parse("America/New_York").unwrap();
        let left: Vec<bool> = days
            .iter()
            .map(|d| crate::import::zone::agrees(ny, d))
            .collect();
        assert_eq!(left, [true, true, false]);
        let spans = infer(
            &days,
            &|d| crate::import::zone::agrees(ny, d),
            &mut Vec::new(),
        );
        // Only the Berlin day has a span of its own, at +01:00.
        assert_eq!(
            spans,
            vec![(ts("2024-11-09 23:00:00"), ts("2024-11-10 23:00:00"), 60)]
        );
        // Without a zone every day has its spans.
        assert!(infer(&days, &|_| false, &mut Vec::new()).len() >= 3);
    }
}

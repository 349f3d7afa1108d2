//! The report's numbers, computed from the master table's hours with no I/O.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::model::Hour;
use crate::model::HOUR;

/// A value and the hour it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AtHour {
    pub hour: i64,
    pub bpm: i64,
}

/// The numbers at the top of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Headline {
    /// The max of the latest hour in the range.
    pub current_max: Option<AtHour>,
    /// The mean of the hourly max over the range.
    pub mean_hourly_max: Option<f64>,
    /// The highest hourly max in the range (the earliest hour, on a tie).
    pub highest_max: Option<AtHour>,
    pub hours_with_samples: usize,
    /// Hours from the first to the last hour with samples, both included.
    pub hours_in_range: i64,
    pub samples: i64,
}

/// One local day: the min, max and mean of its hourly max.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayStat {
    pub date: NaiveDate,
    pub min: i64,
    pub max: i64,
    pub mean: f64,
    pub hours: u32,
}

/// One ISO week of local days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekStat {
    /// Monday of the week.
    pub monday: NaiveDate,
    pub max: i64,
    pub mean: f64,
    pub hours: u32,
}

/// Hours without samples between two hours with samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// First hour with no samples.
    pub from: i64,
    /// The next hour with samples.
    pub until: i64,
    pub hours: i64,
}

/// A column of the heat map: a day, or a week when the range is long.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatColumn {
    pub first_day: NaiveDate,
    /// Max of the hourly max per local hour of day.
    pub cells: [Option<i64>; 24],
}

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportData {
    pub account: String,
    pub hours: Vec<Hour>,
    pub headline: Headline,
    pub days: Vec<DayStat>,
    pub weeks: Vec<WeekStat>,
    pub gaps: Vec<Gap>,
    pub heat: Vec<HeatColumn>,
    /// Whether the heat map has one column a week (long ranges) instead of a day.
    pub heat_by_week: bool,
}

/// How many of the longest gaps are listed.
pub const GAPS_SHOWN: usize = 5;

/// The local date and hour of day of an hour (UTC when its offset is unknown).
pub fn local_day_hour(p: &Hour) -> (NaiveDate, u32) {
    let local = p.hour + p.utc_offset_min.unwrap_or(0) as i64 * 60;
    let dt = chrono::DateTime::from_timestamp(local, 0).expect("hours are in range");
    (dt.date_naive(), chrono::Timelike::hour(&dt))
}

fn mean(v: impl Iterator<Item = i64>) -> Option<f64> {
    let (sum, n) = v.fold((0i64, 0u32), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| sum as f64 / n as f64)
}

/// Computes the report from `hours` (oldest first).
pub fn compute(account: &str, hours: Vec<Hour>) -> ReportData {
    let headline = Headline {
        current_max: hours.last().map(|p| AtHour {
            hour: p.hour,
            bpm: p.max_bpm,
        }),
        mean_hourly_max: mean(hours.iter().map(|p| p.max_bpm)),
        highest_max: hours
            .iter()
            .fold(None::<&Hour>, |best, p| match best {
                Some(b) if b.max_bpm >= p.max_bpm => Some(b),
                _ => Some(p),
            })
            .map(|p| AtHour {
                hour: p.hour,
                bpm: p.max_bpm,
            }),
        hours_with_samples: hours.len(),
        hours_in_range: match (hours.first(), hours.last()) {
            (Some(a), Some(b)) => (b.hour - a.hour) / HOUR + 1,
            _ => 0,
        },
        samples: hours.iter().map(|p| p.sample_count).sum(),
    };

    let mut by_day: BTreeMap<NaiveDate, Vec<(u32, i64)>> = BTreeMap::new();
    for p in &hours {
        let (d, h) = local_day_hour(p);
        by_day.entry(d).or_default().push((h, p.max_bpm));
    }
    let days: Vec<DayStat> = by_day
        .iter()
        .map(|(date, v)| DayStat {
            date: *date,
            min: v.iter().map(|x| x.1).min().expect("non-empty"),
            max: v.iter().map(|x| x.1).max().expect("non-empty"),
            mean: mean(v.iter().map(|x| x.1)).expect("non-empty"),
            hours: v.len() as u32,
        })
        .collect();

    let mut by_week: BTreeMap<NaiveDate, Vec<i64>> = BTreeMap::new();
    for (date, v) in &by_day {
        let monday = *date - chrono::Days::new(date.weekday().num_days_from_monday() as u64);
        by_week
            .entry(monday)
            .or_default()
            .extend(v.iter().map(|x| x.1));
    }
    let weeks = by_week
        .into_iter()
        .map(|(monday, v)| WeekStat {
            monday,
            max: *v.iter().max().expect("non-empty"),
            mean: mean(v.iter().copied()).expect("non-empty"),
            hours: v.len() as u32,
        })
        .collect();

    let mut gaps: Vec<Gap> = hours
        .windows(2)
        .filter(|w| w[1].hour - w[0].hour > HOUR)
        .map(|w| Gap {
            from: w[0].hour + HOUR,
            until: w[1].hour,
            hours: (w[1].hour - w[0].hour) / HOUR - 1,
        })
        .collect();
    gaps.sort_by(|a, b| b.hours.cmp(&a.hours).then(a.from.cmp(&b.from)));
    gaps.truncate(GAPS_SHOWN);

    let heat_by_week = by_day.len() > 366;
    let mut heat: BTreeMap<NaiveDate, [Option<i64>; 24]> = BTreeMap::new();
    for (date, v) in &by_day {
        let key = if heat_by_week {
            *date - chrono::Days::new(date.weekday().num_days_from_monday() as u64)
        } else {
            *date
        };
        let cells = heat.entry(key).or_insert([None; 24]);
        for &(h, bpm) in v {
            let c = &mut cells[h as usize];
            *c = Some(c.map_or(bpm, |x| x.max(bpm)));
        }
    }
    let heat = heat
        .into_iter()
        .map(|(first_day, cells)| HeatColumn { first_day, cells })
        .collect();

    ReportData {
        account: account.to_string(),
        hours,
        headline,
        days,
        weeks,
        gaps,
        heat,
        heat_by_week,
    }
}

/// A sparkline of values, a blank where there is none.
pub fn sparkline(values: &[Option<i64>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let present = values.iter().flatten();
    let (Some(lo), Some(hi)) = (present.clone().min(), present.max()) else {
        return " ".repeat(values.len());
    };
    values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(v) if hi == lo => BARS[3],
            Some(v) => BARS[((v - lo) * 7 / (hi - lo)) as usize],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(hour: i64, max: i64, off: Option<i16>) -> Hour {
        Hour {
            hour: hour * HOUR,
            max_bpm: max,
            sample_count: 10,
            utc_offset_min: off,
            policy: None,
        }
    }

    #[test]
    fn headline_days_and_gaps() {
        // Hours 0,1,2 then a 3-hour gap, then 6, then a 1-hour gap, then 8.
        let hours = vec![
            p(0, 60, Some(-300)),
            p(1, 90, Some(-300)),
            p(2, 70, None),
            p(6, 90, None),
            p(8, 50, None),
        ];
        let r = compute("a", hours);
        assert_eq!(
            r.headline.current_max,
            Some(AtHour {
                hour: 8 * HOUR,
                bpm: 50
            })
        );
        assert_eq!(
            r.headline.highest_max,
            Some(AtHour {
                hour: HOUR,
                bpm: 90
            })
        );
        assert_eq!(r.headline.mean_hourly_max, Some(72.0));
        assert_eq!(r.headline.hours_in_range, 9);
        assert_eq!(r.headline.samples, 50);
        assert_eq!(
            r.gaps,
            vec![
                Gap {
                    from: 3 * HOUR,
                    until: 6 * HOUR,
                    hours: 3
                },
                Gap {
                    from: 7 * HOUR,
                    until: 8 * HOUR,
                    hours: 1
                }
            ]
        );
        // Hours 0 and 1 at -05:00 fall on 1969-12-31 local time.
        assert_eq!(r.days.len(), 2);
        assert_eq!((r.days[0].min, r.days[0].max, r.days[0].hours), (60, 90, 2));
        assert_eq!(r.heat[0].cells[19], Some(60));
        assert_eq!(r.heat[1].cells[2], Some(70));
    }

    #[test]
    fn empty_history_has_no_numbers() {
        let r = compute("a", vec![]);
        assert_eq!(r.headline.current_max, None);
        assert_eq!(r.headline.mean_hourly_max, None);
        assert!(r.days.is_empty() && r.gaps.is_empty());
    }

    #[test]
    fn sparkline_scales_and_leaves_holes() {
        assert_eq!(sparkline(&[Some(50), None, Some(100), Some(75)]), "▁ █▄");
        assert_eq!(sparkline(&[None, None]), "  ");
        assert_eq!(sparkline(&[Some(3)]), "▄");
    }
}

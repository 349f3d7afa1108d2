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

/// A column of the heat map: a day, a week or a month, as the range's length asks.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatColumn {
    pub first_day: NaiveDate,
    /// Max of the hourly max per local hour of day.
    pub cells: [Option<i64>; 24],
}

/// The step of the time series, chosen from the range so that no series has more points
/// than the chart has room for: hours up to about a week, days up to half a year, weeks up
/// to three years, months beyond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Hour,
    Day,
    Week,
    Month,
}

impl Step {
    /// The step for a range of `days` local days.
    pub fn for_days(days: i64) -> Step {
        match days {
            ..=8 => Step::Hour,
            9..=183 => Step::Day,
            184..=1096 => Step::Week,
            _ => Step::Month,
        }
    }

    /// Steps a rolling mean spans: about a week of days, two months of weeks, half a year
    /// of months; none for hours.
    pub fn rolling(self) -> Option<usize> {
        match self {
            Step::Hour => None,
            Step::Day => Some(7),
            Step::Week => Some(8),
            Step::Month => Some(6),
        }
    }

    /// The first local day of the step that holds local day `d`.
    pub fn start_of(self, d: NaiveDate) -> NaiveDate {
        match self {
            Step::Hour | Step::Day => d,
            Step::Week => d - chrono::Days::new(d.weekday().num_days_from_monday() as u64),
            Step::Month => d.with_day(1).expect("the first exists"),
        }
    }

    /// The first local day of the step after the one starting at `start`.
    pub fn next(self, start: NaiveDate) -> NaiveDate {
        match self {
            Step::Hour | Step::Day => start + chrono::Days::new(1),
            Step::Week => start + chrono::Days::new(7),
            Step::Month => start + chrono::Months::new(1),
        }
    }
}

/// One step of the time series: the lowest and highest hourly max in it, their mean, and
/// how many of its hours have samples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepStat {
    /// Where the step starts on a local clock: epoch seconds of its local start read as
    /// if it were UTC (the chart's x axis, whose labels are local times).
    pub x: i64,
    /// The step as people name it: `2024-03-10 14:00`, `2024-03-10`, `week of 2024-03-04`,
    /// `2024-03`.
    pub label: String,
    pub min: i64,
    pub max: i64,
    pub mean: f64,
    pub hours: u32,
    /// Hours with samples over the hours of the step (24 a day), at most 1.
    pub coverage: f64,
    /// The rolling mean of the step means ending here, for long ranges.
    pub rolling_mean: Option<f64>,
}

/// The local clock time of an hour as epoch seconds read as UTC (UTC when its offset is
/// unknown).
pub fn local_clock(p: &Hour) -> i64 {
    p.hour + p.utc_offset_min.unwrap_or(0) as i64 * 60
}

/// The time series of `hours` (oldest first) in steps of `step`, with the rolling mean.
pub fn series(hours: &[Hour], step: Step) -> Vec<StepStat> {
    let mut groups: BTreeMap<i64, (String, i64, Vec<i64>)> = BTreeMap::new();
    for p in hours {
        let (day, hour) = local_day_hour(p);
        let (x, label, span_hours) = match step {
            Step::Hour => {
                let x = local_clock(p);
                (x, format!("{day} {hour:02}:00"), 1)
            }
            _ => {
                let start = step.start_of(day);
                let days = (step.next(start) - start).num_days();
                let x = start
                    .and_hms_opt(0, 0, 0)
                    .expect("midnight")
                    .and_utc()
                    .timestamp();
                let label = match step {
                    Step::Week => format!("week of {start}"),
                    Step::Month => crate::model::format_month(x),
                    _ => start.to_string(),
                };
                (x, label, days * 24)
            }
        };
        groups
            .entry(x)
            .or_insert_with(|| (label, span_hours, Vec::new()))
            .2
            .push(p.max_bpm);
    }
    let mut out: Vec<StepStat> = groups
        .into_iter()
        .map(|(x, (label, span, v))| StepStat {
            x,
            label,
            min: *v.iter().min().expect("non-empty"),
            max: *v.iter().max().expect("non-empty"),
            mean: mean(v.iter().copied()).expect("non-empty"),
            hours: v.len() as u32,
            coverage: (v.len() as f64 / span as f64).min(1.0),
            rolling_mean: None,
        })
        .collect();
    if let Some(n) = step.rolling() {
        // Over the steps that have samples, the window's steps weighted alike.
        for i in 0..out.len() {
            let from = (i + 1).saturating_sub(n);
            let w = &out[from..=i];
            out[i].rolling_mean = Some(w.iter().map(|s| s.mean).sum::<f64>() / w.len() as f64);
        }
    }
    out
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
    /// What one heat-map column is: a day, a week (ranges over half a year) or a month
    /// (over three years).
    pub heat_step: Step,
    /// The step of the time series and its steps.
    pub step: Step,
    pub series: Vec<StepStat>,
    /// The distinct UTC offsets (minutes) the hours carry, in order of first appearance;
    /// empty when none is known.
    pub offsets: Vec<i16>,
    /// Whether some hours carry no offset (shown in UTC).
    pub some_without_offset: bool,
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

    let span_days = match (by_day.keys().next(), by_day.keys().next_back()) {
        (Some(a), Some(b)) => (*b - *a).num_days() + 1,
        _ => 0,
    };
    let step = Step::for_days(span_days);
    let heat_step = match step {
        Step::Hour | Step::Day => Step::Day,
        other => other,
    };
    let mut heat: BTreeMap<NaiveDate, [Option<i64>; 24]> = BTreeMap::new();
    for (date, v) in &by_day {
        let key = heat_step.start_of(*date);
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

    let series = series(&hours, step);
    let mut offsets: Vec<i16> = Vec::new();
    for o in hours.iter().filter_map(|p| p.utc_offset_min) {
        if !offsets.contains(&o) {
            offsets.push(o);
        }
    }
    let some_without_offset = hours.iter().any(|p| p.utc_offset_min.is_none());

    ReportData {
        account: account.to_string(),
        hours,
        headline,
        days,
        weeks,
        gaps,
        heat,
        heat_step,
        step,
        series,
        offsets,
        some_without_offset,
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
            local: Default::default(),
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
    fn the_step_follows_the_range_and_the_series_is_computed_per_local_step() {
        assert_eq!(Step::for_days(7), Step::Hour);
        assert_eq!(Step::for_days(61), Step::Day);
        assert_eq!(Step::for_days(366), Step::Week);
        assert_eq!(Step::for_days(3653), Step::Month);
        // Two local days at -05:00 (1970-01-01 05:00Z is local midnight), hour by hour.
        let hours: Vec<Hour> = (5..53)
            .filter(|h| h % 7 != 0)
            .map(|h| p(h, 50 + h % 11, Some(-300)))
            .collect();
        let days = series(&hours, Step::Day);
        assert_eq!(days.len(), 2);
        // Computed here from the hours' own values: day 1 holds hours 5..29.
        let day1: Vec<i64> = hours
            .iter()
            .filter(|h| h.hour < 29 * HOUR)
            .map(|h| h.max_bpm)
            .collect();
        assert_eq!(days[0].label, "1970-01-01");
        assert_eq!(days[0].min, *day1.iter().min().unwrap());
        assert_eq!(days[0].max, *day1.iter().max().unwrap());
        assert!((days[0].mean - day1.iter().sum::<i64>() as f64 / day1.len() as f64).abs() < 1e-9);
        assert_eq!(days[0].hours as usize, day1.len());
        assert!((days[0].coverage - day1.len() as f64 / 24.0).abs() < 1e-9);
        assert_eq!(days[0].rolling_mean, Some(days[0].mean));
        assert!((days[1].rolling_mean.unwrap() - (days[0].mean + days[1].mean) / 2.0).abs() < 1e-9);
        let by_hour = series(&hours, Step::Hour);
        assert_eq!(by_hour.len(), hours.len());
        assert_eq!(by_hour[0].label, "1970-01-01 00:00");
        assert!(by_hour.iter().all(|s| s.rolling_mean.is_none()));
        let months = series(&hours, Step::Month);
        assert_eq!((months.len(), months[0].label.as_str()), (1, "1970-01"));
        assert_eq!(
            Step::Week.start_of(NaiveDate::from_ymd_opt(2024, 3, 10).unwrap()),
            NaiveDate::from_ymd_opt(2024, 3, 4).unwrap()
        );
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

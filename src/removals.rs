//! What an import brought, and its removal. Pure.
//!
//! An import's samples are the readings it wrote first: for each UTC day and source label
//! (`None`: readings that name none, a Takeout day file's), the seconds of the day at which
//! it stored a reading the store did not hold ([`Seconds`], kept per import as the import
//! writes). A reading another import or a sync had stored already is not the import's, and
//! stays when the import goes.
//!
//! A [`Removal`] is those marks, under the import's id: removing an import (or moving it to
//! another account) deletes, on every machine that learns of the removal and in the lake,
//! the readings of the account that a mark names. A mark of a source names the reading of
//! that source at its instant; a mark of no source names the instant's reading that names
//! none or a wearable's (the same reading, named by a later twin: see
//! `sources::counted_by_default`). Removals are replicated as a grow-only set, so machines
//! that exchange them in any order end with the same samples; every removal id is part of
//! the account's policy version, so the hours it lowers replace every other copy.

use std::collections::BTreeMap;

use crate::model::DAY;

/// The remote's object of every account's removals (see `sync::removals`). A removal made
/// here makes every remote's copy unknown, so that the next sync reads, merges and writes it.
pub const REMOTE_OBJECT: &str = "removals.csv";

/// Seconds of one UTC day, sorted and distinct.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seconds(Vec<u32>);

impl Seconds {
    /// From seconds in any order (duplicates are dropped).
    pub fn from_unsorted(mut v: Vec<u32>) -> Seconds {
        v.sort_unstable();
        v.dedup();
        Seconds(v)
    }

    pub fn as_slice(&self) -> &[u32] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, second: u32) -> bool {
        self.0.binary_search(&second).is_ok()
    }

    /// Both sets' seconds.
    pub fn union(&self, other: &Seconds) -> Seconds {
        let mut v = Vec::with_capacity(self.0.len() + other.0.len());
        let (mut a, mut b) = (self.0.iter().peekable(), other.0.iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (None, None) => break,
                (Some(&&x), None) => {
                    a.next();
                    x
                }
                (None, Some(&&y)) => {
                    b.next();
                    y
                }
                (Some(&&x), Some(&&y)) => {
                    if x <= y {
                        a.next();
                    }
                    if y <= x {
                        b.next();
                    }
                    x.min(y)
                }
            };
            v.push(next);
        }
        Seconds(v)
    }

    /// The text form ([`Steps`]).
    pub fn encode(&self) -> Steps {
        let mut out = String::new();
        let mut prev: Option<u32> = None;
        let mut run: Option<(u32, u32)> = None;
        let put = |out: &mut String, (step, count): (u32, u32)| {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(&step.to_string());
            if count > 1 {
                out.push('*');
                out.push_str(&count.to_string());
            }
        };
        for &s in &self.0 {
            let step = s - prev.unwrap_or(0);
            prev = Some(s);
            run = match run {
                Some((st, n)) if st == step => Some((st, n + 1)),
                Some(r) => {
                    put(&mut out, r);
                    Some((step, 1))
                }
                None => Some((step, 1)),
            };
        }
        if let Some(r) = run {
            put(&mut out, r);
        }
        Steps {
            text: out,
            count: self.0.len(),
        }
    }
}

/// Seconds of one day as text: the steps from one second to the next (the first from
/// second 0), comma-separated, a run of equal steps written `step*count`. A day of samples
/// every 5 s from midnight is `0,5*17279`. Removals are kept and exchanged in this form and
/// decoded a day at a time, so memory follows one day's marks, not an import's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Steps {
    text: String,
    count: usize,
}

impl Steps {
    /// Checks `text` strictly (every second inside the day, increasing) without decoding it.
    pub fn parse(text: &str) -> Result<Steps, String> {
        let mut count = 0usize;
        Self::walk(text, |_| count += 1)?;
        Ok(Steps {
            text: text.to_string(),
            count,
        })
    }

    fn walk(text: &str, mut each: impl FnMut(u32)) -> Result<(), String> {
        if text.is_empty() {
            return Ok(());
        }
        let mut last: Option<u32> = None;
        for token in text.split(',') {
            let (step, count) = match token.split_once('*') {
                Some((s, n)) => (s, n),
                None => (token, "1"),
            };
            let step: u32 = step
                .parse()
                .map_err(|_| format!("{token:?} is not a step of seconds"))?;
            let count: u32 = count
                .parse()
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| format!("{token:?} has no count of at least 1"))?;
            if last.is_some() && step == 0 {
                return Err(format!("{token:?}: a step of 0 repeats a second"));
            }
            let first = last.map_or(step, |l| l.saturating_add(step));
            let end = i64::from(first) + i64::from(step) * (i64::from(count) - 1);
            if end >= DAY {
                return Err(format!("{token:?} goes past the end of the day"));
            }
            if count > 1 && step == 0 {
                return Err(format!("{token:?}: a step of 0 repeats a second"));
            }
            for i in 0..count {
                each(first + step * i);
            }
            last = Some(end as u32);
        }
        Ok(())
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// How many seconds it names.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The seconds.
    pub fn decode(&self) -> Seconds {
        let mut v = Vec::with_capacity(self.count);
        Self::walk(&self.text, |s| v.push(s)).expect("checked when made");
        Seconds(v)
    }

    /// Both sets' seconds.
    pub fn union(&self, other: &Steps) -> Steps {
        if self == other {
            return self.clone();
        }
        self.decode().union(&other.decode()).encode()
    }
}

/// Where one mark applies: the UTC day number and the source label (`None`: no source).
pub type MarkKey = (i64, Option<String>);

/// What an import wrote first, as marks by day and source.
pub type Marks = BTreeMap<MarkKey, Steps>;

/// Collects an import's marks as its readings are written, in any order. Readings come in
/// runs of one day and source: the run being collected is kept apart from the map, so a
/// reading costs a comparison and a push.
#[derive(Debug, Default)]
pub struct MarkBuilder {
    pending: BTreeMap<MarkKey, Vec<u32>>,
    current: Option<(MarkKey, Vec<u32>)>,
}

impl MarkBuilder {
    /// Notes that the reading at `ts` of source `label` was written first.
    pub fn add(&mut self, ts: i64, label: Option<&str>) {
        let day = ts.div_euclid(DAY);
        let second = ts.rem_euclid(DAY) as u32;
        if let Some(((d, l), v)) = &mut self.current {
            if *d == day && l.as_deref() == label {
                v.push(second);
                return;
            }
        }
        self.end_run();
        self.current = Some(((day, label.map(str::to_string)), vec![second]));
    }

    /// [`MarkBuilder::add`] for each reading of `run` (instant, source), in order.
    pub fn add_run<'a>(&mut self, run: impl IntoIterator<Item = (i64, Option<&'a str>)>) {
        let mut run = run.into_iter().peekable();
        while let Some((ts, label)) = run.next() {
            self.add(ts, label);
            // The rest of the run's readings of this day and source go straight on.
            let Some(((day, _), seconds)) = &mut self.current else {
                continue;
            };
            let day = *day;
            while let Some(&(ts, l)) = run.peek() {
                if ts.div_euclid(DAY) != day || !same_label(l, label) {
                    break;
                }
                seconds.push(ts.rem_euclid(DAY) as u32);
                run.next();
            }
        }
    }

    fn end_run(&mut self) {
        if let Some((key, v)) = self.current.take() {
            self.pending.entry(key).or_default().extend(v);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty() && self.current.is_none()
    }

    /// The marks noted since the last take.
    pub fn take(&mut self) -> BTreeMap<MarkKey, Seconds> {
        self.end_run();
        std::mem::take(&mut self.pending)
            .into_iter()
            .map(|(k, v)| (k, Seconds::from_unsorted(v)))
            .collect()
    }
}

/// Whether two sources are one: the same text (compared by address first, as the readings
/// of a run share theirs).
fn same_label(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => std::ptr::eq(a, b) || a == b,
        (a, b) => a.is_none() && b.is_none(),
    }
}

/// The removal of one import's readings from an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// The import's id (16 hex digits), the same on every machine.
    pub id: String,
    pub account: String,
    /// When it was removed (RFC 3339).
    pub removed_at: String,
    pub marks: Marks,
}

impl Removal {
    /// How many readings its marks name.
    pub fn readings(&self) -> usize {
        self.marks.values().map(Steps::len).sum()
    }

    /// The marks of one UTC day.
    pub fn of_day(&self, day: i64) -> impl Iterator<Item = (&Option<String>, &Steps)> {
        self.marks
            .range((day, None)..)
            .take_while(move |((d, _), _)| *d == day)
            .map(|((_, l), s)| (l, s))
    }
}

/// The marks of one UTC day: for each, its source and seconds.
pub type DayMarks = Vec<(Option<String>, Seconds)>;

/// Whether the marks of the day of `sample` (`of_day`) name it (see the module
/// documentation): the one test the sample writer and the lake's parts apply.
pub fn names(of_day: &DayMarks, sample: &crate::model::Sample) -> bool {
    let second = sample.ts.rem_euclid(DAY) as u32;
    of_day.iter().any(|(mark, seconds)| {
        seconds.contains(second)
            && names_source(mark.as_deref(), sample.device.as_deref(), |l| {
                crate::sources::counted_by_default(Some(l))
            })
    })
}

/// Whether a mark of source `mark` names a reading of source `label` at its instant.
pub fn names_source(
    mark: Option<&str>,
    label: Option<&str>,
    wearable: impl FnOnce(&str) -> bool,
) -> bool {
    match (mark, label) {
        (Some(m), Some(l)) => m == l,
        (Some(_), None) => false,
        (None, None) => true,
        (None, Some(l)) => wearable(l),
    }
}

/// Checks an import or removal id: 16 lowercase hex digits.
pub fn valid_id(id: &str) -> bool {
    id.len() == 16
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn seconds_are_written_as_steps() {
        let every5 = Seconds::from_unsorted((0..17280).map(|i| i * 5).collect());
        assert_eq!(every5.encode().as_str(), "0,5*17279");
        let read = Steps::parse("0,5*17279").unwrap();
        assert_eq!(read.len(), 17280);
        assert_eq!(read.decode(), every5);
        let odd = Seconds::from_unsorted(vec![86_399, 7, 3, 3, 10]);
        assert_eq!(odd.encode().as_str(), "3,4,3,86389");
        assert_eq!(Steps::parse("").unwrap().decode(), Seconds::default());
        for bad in [
            "x",
            "5*0",
            "1,0",
            "86400",
            "86399,1",
            "5*",
            "-1",
            "3*2*2",
            "0*2",
            "1,5*17280",
        ] {
            assert!(Steps::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn marks_name_the_same_reading() {
        let at = |ts: i64, label: Option<&str>| crate::model::Sample {
            device: label.map(std::sync::Arc::from),
            ..crate::model::Sample::new(DAY + ts, 70)
        };
        let unnamed: DayMarks = vec![(None, Seconds::from_unsorted(vec![10]))];
        let phone: DayMarks = vec![(Some("Fitbit App".into()), Seconds::from_unsorted(vec![10]))];
        assert!(names(&unnamed, &at(10, None)));
        assert!(
            names(&unnamed, &at(10, Some("Pixel Watch 3"))),
            "a wearable's twin"
        );
        assert!(!names(&unnamed, &at(10, Some("Fitbit App"))));
        assert!(names(&phone, &at(10, Some("Fitbit App"))));
        assert!(!names(&phone, &at(10, None)));
        assert!(!names(&unnamed, &at(11, None)));
    }

    #[test]
    fn the_builder_groups_by_day_and_source() {
        let mut b = MarkBuilder::default();
        for ts in [DAY + 5, DAY + 1, 2 * DAY + 3] {
            b.add(ts, Some("w"));
        }
        b.add(DAY + 1, None);
        let m = b.take();
        assert!(b.is_empty());
        assert_eq!(m[&(1, Some("w".into()))].as_slice(), &[1, 5]);
        assert_eq!(m[&(2, Some("w".into()))].as_slice(), &[3]);
        assert_eq!(m[&(1, None)].as_slice(), &[1]);
        let r = Removal {
            id: "0123456789abcdef".into(),
            account: "me".into(),
            removed_at: "2026-12-01T10:00:00Z".into(),
            marks: m.into_iter().map(|(k, v)| (k, v.encode())).collect(),
        };
        assert_eq!(r.readings(), 4);
        assert_eq!(r.of_day(1).count(), 2);
        assert_eq!(r.of_day(3).count(), 0);
        assert!(valid_id(&r.id) && !valid_id("0123456789ABCDEF") && !valid_id("12"));
    }

    proptest! {
        /// Marks added a run at a time are the marks added one reading at a time: the
        /// expected marks are gathered apart, in a map of sets.
        #[test]
        fn marks_of_a_run_are_its_readings_marks(
            readings in proptest::collection::vec((0..4i64, 0..86_400i64, 0..3usize), 0..400),
        ) {
            let labels = [None, Some("Charge 5"), Some("Fitbit App")];
            let run: Vec<(i64, Option<&str>)> = readings
                .iter()
                .map(|&(day, second, l)| (day * DAY + second, labels[l]))
                .collect();
            let mut expected: BTreeMap<MarkKey, std::collections::BTreeSet<u32>> = BTreeMap::new();
            for &(ts, label) in &run {
                expected
                    .entry((ts.div_euclid(DAY), label.map(str::to_string)))
                    .or_default()
                    .insert(ts.rem_euclid(DAY) as u32);
            }
            let mut b = MarkBuilder::default();
            b.add(5 * DAY, None);
            b.add_run(run.iter().copied());
            let mut got = b.take();
            prop_assert_eq!(got.remove(&(5, None)).map(|s| s.as_slice().to_vec()), Some(vec![0]));
            let got: BTreeMap<MarkKey, std::collections::BTreeSet<u32>> = got
                .into_iter()
                .map(|(k, v)| (k, v.as_slice().iter().copied().collect()))
                .collect();
            prop_assert_eq!(got, expected);
        }

        #[test]
        fn seconds_round_trip_and_union(
            a in proptest::collection::vec(0..86_400u32, 0..300),
            b in proptest::collection::vec(0..86_400u32, 0..300),
        ) {
            let (sa, sb) = (Seconds::from_unsorted(a.clone()), Seconds::from_unsorted(b.clone()));
            prop_assert_eq!(Steps::parse(sa.encode().as_str()).unwrap().decode(), sa.clone());
            prop_assert_eq!(sa.encode().len(), sa.len());
            let all: std::collections::BTreeSet<u32> = a.into_iter().chain(b).collect();
            let want: Vec<u32> = all.into_iter().collect();
            let got = sa.union(&sb);
            prop_assert_eq!(got.as_slice(), want.as_slice());
            let steps = sa.encode().union(&sb.encode()).decode();
            prop_assert_eq!(steps.as_slice(), want.as_slice());
        }
    }
}

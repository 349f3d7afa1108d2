//! Where a `.tgz`'s twins wait for each other. A tar keeps its members in directory order,
//! so every JSON day file of an export lies far from the CSV of the same date, and readings
//! that meet only in the store cost a second write each (the first .tgz import took four
//! times the zip's time). Two readers therefore go through the archive at once, one for the
//! day files and one for the rest ([`Lane`]); what one brings waits here, packed, until the
//! other brings its twin, and both go on to be written together. The readings of each that
//! lie outside the other's span have their twins in the file of the date before or after
//! (a day file spans a local day, a CSV a UTC day): they wait for it too, and go on with it.
//! Memory is bounded three times: a reader waits while too much of what it sent is held
//! ([`Throttle`]), past a limit the oldest held file goes on alone (its twin then meets it
//! in the store), and past another the oldest readings that wait for a file next to theirs.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Condvar, Mutex};

use chrono::NaiveDate;

use super::discover::Kind;
use super::STREAM_FLUSH;
use crate::model::Sample;

/// The readings of day files at which the day-file reader waits (counting what is on its
/// way to be held): 16 MB, eight months of day files at 5 s.
pub(super) const DAY_FILES_MAX: usize = 4 << 20;
/// The readings the day files may hold: [`DAY_FILES_MAX`] and one member more (a member
/// of [`STREAM_FLUSH`] readings or more is written as it comes, not held), so that the
/// member a reader read before waiting sends no held file on alone: past this, the oldest
/// goes. With one limit of 4 Mi for both, 538,612 readings of a four-year .tgz in date
/// order met their twins in the store; with this margin none did (docs/PERFORMANCE.md).
const DAY_FILES_HELD_MAX: usize = DAY_FILES_MAX + STREAM_FLUSH;
/// The readings CSV files may hold while their day files have not been read (7.5 MB).
const CSVS_MAX: usize = 3 << 19;

/// Which members of a `.tgz` a reader parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lane {
    /// Everything but the JSON day files (and every input that is not a `.tgz`).
    Rest = 0,
    /// The JSON day files (`heart_rate-YYYY-MM-DD.json`).
    DayFiles = 1,
}

impl Lane {
    /// Whether a member of kind `kind` (and date, when named) is this lane's.
    pub(super) fn takes(self, kind: Option<(Kind, Option<NaiveDate>)>) -> bool {
        let day_file = matches!(kind, Some((Kind::TakeoutJson, Some(_))));
        day_file == (self == Lane::DayFiles)
    }
}

/// The readings of held files by date: per file its first instant and, per reading, its
/// offset from it (22 bits) and its bpm (10 bits), and the reading's source as an index
/// into the file's sources (none held when no reading names one).
#[derive(Debug, Default)]
struct Held {
    files: BTreeMap<NaiveDate, Packed>,
    /// The dates in the order they were held.
    order: VecDeque<NaiveDate>,
    readings: usize,
}

#[derive(Debug)]
struct Packed {
    base: i64,
    readings: Vec<u32>,
    /// Per reading, 0 for none or 1 + the index of its source; empty when none has one.
    source: Vec<u8>,
    sources: Vec<Arc<str>>,
}

impl Held {
    /// Holds the readings of the file of `date`, or gives them back when they do not pack
    /// (an offset named, a span over 48 days, over 255 sources, a date held already).
    fn hold(&mut self, date: NaiveDate, samples: Vec<Sample>) -> Result<(), Vec<Sample>> {
        let Some(base) = samples.iter().map(|s| s.ts).min() else {
            return Ok(());
        };
        if self.files.contains_key(&date) {
            return Err(samples);
        }
        let mut packed = Packed {
            base,
            readings: Vec::with_capacity(samples.len()),
            source: Vec::new(),
            sources: Vec::new(),
        };
        for (i, s) in samples.iter().enumerate() {
            if s.utc_offset_min.is_some() || s.ts - base >= 1 << 22 || s.bpm >= 1 << 10 {
                return Err(samples);
            }
            packed
                .readings
                .push(((s.ts - base) as u32) << 10 | u32::from(s.bpm));
            let Some(device) = &s.device else {
                if !packed.source.is_empty() {
                    packed.source.push(0);
                }
                continue;
            };
            let index = match packed.sources.iter().position(|d| d == device) {
                Some(at) => at,
                None if packed.sources.len() < 255 => {
                    packed.sources.push(device.clone());
                    packed.sources.len() - 1
                }
                None => return Err(samples),
            };
            if packed.source.is_empty() {
                packed.source.resize(i, 0);
            }
            packed.source.push(index as u8 + 1);
        }
        self.readings += packed.readings.len();
        self.files.insert(date, packed);
        self.order.push_back(date);
        Ok(())
    }

    /// The readings held for `date`, no longer held.
    fn take(&mut self, date: NaiveDate) -> Option<Vec<Sample>> {
        let p = self.files.remove(&date)?;
        self.readings -= p.readings.len();
        Some(
            p.readings
                .iter()
                .enumerate()
                .map(|(i, r)| Sample {
                    device: match p.source.get(i) {
                        Some(&n) if n > 0 => Some(p.sources[usize::from(n) - 1].clone()),
                        _ => None,
                    },
                    ..Sample::new(p.base + i64::from(r >> 10), (r & 0x3ff) as u16)
                })
                .collect(),
        )
    }

    /// The readings of the file held longest, and its date, no longer held.
    fn take_oldest(&mut self) -> Option<(NaiveDate, Vec<Sample>)> {
        while let Some(date) = self.order.pop_front() {
            if let Some(r) = self.take(date) {
                return Some((date, r));
            }
        }
        None
    }

    /// Holds `samples` for `date` after what is held for it already, or gives them back
    /// when they do not pack together.
    fn add(&mut self, date: NaiveDate, samples: Vec<Sample>) -> Result<(), Vec<Sample>> {
        let Some(mut all) = self.take(date) else {
            return self.hold(date, samples);
        };
        let before = all.len();
        all.extend(samples);
        self.hold(date, all).map_err(|mut all| {
            // What was held goes back to be held alone; it packed before.
            let samples = all.split_off(before);
            let held = self.hold(date, all);
            debug_assert!(held.is_ok());
            samples
        })
    }
}

/// The readings at the edges of files that met their twin, which wait for the file of the
/// date next to it: 1.5 Mi, 6 to 7.5 MB packed (a year in no order at 5 s had 1.1 Mi).
const EDGES_MAX: usize = 3 << 19;

/// The files of the `.tgz` being read that wait for their twins.
#[derive(Debug)]
pub(super) struct Twins {
    day_files: Held,
    csvs: Held,
    /// Per lane, the readings of the other's files that wait for a file of this lane, by
    /// its date: the readings of a day file that lie outside its CSV twin's span belong
    /// to the CSV of the day before or after, and a CSV's outside its day file's to the
    /// day file of the day before or after (a day file spans a local day, a CSV a UTC day).
    waiting: [Held; 2],
    /// Whether each lane's reader still reads (a file of the other lane waits only then).
    reading: [bool; 2],
    /// The dates each lane's reader brought a file of.
    brought: [BTreeSet<NaiveDate>; 2],
    /// Whether each lane brought its files in date order so far.
    in_order: [bool; 2],
    /// How many times what [`Twins::complete`] answers may have changed.
    changes: u64,
}

impl Default for Twins {
    fn default() -> Twins {
        Twins {
            day_files: Held::default(),
            csvs: Held::default(),
            waiting: Default::default(),
            reading: [true; 2],
            brought: Default::default(),
            in_order: [true; 2],
            changes: 0,
        }
    }
}

impl Twins {
    /// A member of kind `kind` was read whole with `readings`: what can be written now
    /// is appended to `out` (both twins when the other waited, else nothing while this one
    /// can wait for its twin).
    pub(super) fn member(
        &mut self,
        kind: Option<(Kind, NaiveDate)>,
        readings: Vec<Sample>,
        out: &mut Vec<Sample>,
    ) {
        self.changes += 1;
        let (date, other) = match kind {
            Some((Kind::TakeoutJson, date)) => (date, Lane::Rest),
            Some((Kind::TakeoutCsv, date)) => (date, Lane::DayFiles),
            _ => {
                out.extend(readings);
                return;
            }
        };
        let mine = 1 - other as usize;
        if self.brought[mine].last().is_some_and(|&last| last > date) {
            self.in_order[mine] = false;
        }
        self.brought[mine].insert(date);
        let (held_mine, held_other) = match other {
            Lane::Rest => (&mut self.day_files, &mut self.csvs),
            Lane::DayFiles => (&mut self.csvs, &mut self.day_files),
        };
        if let Some(twin) = held_other.take(date) {
            let (day_file, csv) = match other {
                Lane::Rest => (readings, twin),
                Lane::DayFiles => (twin, readings),
            };
            self.pair(date, day_file, csv, out);
        } else if self.reading[other as usize] && !self.brought[other as usize].contains(&date) {
            // (A twin that came and went, past the limits of memory, is in the store.)
            if let Err(back) = held_mine.hold(date, readings) {
                out.extend(back);
            }
        } else {
            let lane = [Lane::Rest, Lane::DayFiles][mine];
            self.going_alone(lane, date, readings, out);
        }
    }

    /// A day file and its CSV twin of `date` met: out go both, with the readings that
    /// waited for either, but for those of each outside the other's span, which wait for
    /// the file next to it when it may still come or is held. The day files' readings
    /// first, as a zip's or a folder's are read: the first of two readings of one instant
    /// wins on bpm.
    fn pair(
        &mut self,
        date: NaiveDate,
        day_file: Vec<Sample>,
        csv: Vec<Sample>,
        out: &mut Vec<Sample>,
    ) {
        let span =
            |r: &[Sample]| Some((r.iter().map(|s| s.ts).min()?, r.iter().map(|s| s.ts).max()?));
        let (day_span, csv_span) = (span(&day_file), span(&csv));
        if let Some(waited) = self.waiting[Lane::Rest as usize].take(date) {
            out.extend(waited);
        }
        self.keep_edges(Lane::Rest, date, day_file, csv_span, out);
        self.keep_edges(Lane::DayFiles, date, csv, day_span, out);
        if let Some(waited) = self.waiting[Lane::DayFiles as usize].take(date) {
            out.extend(waited);
        }
    }

    /// Appends to `out` the readings of a file of `date` that lie within `span` (its
    /// twin's, of `lane`), and those whose file of `lane` for the date before or after has
    /// gone; the others wait for that file.
    fn keep_edges(
        &mut self,
        lane: Lane,
        date: NaiveDate,
        readings: Vec<Sample>,
        span: Option<(i64, i64)>,
        out: &mut Vec<Sample>,
    ) {
        let Some((first, last)) = span else {
            out.extend(readings);
            return;
        };
        let (before, after) = if readings.is_sorted_by_key(|s| s.ts) {
            // As files are: the span's readings go on in one piece.
            let mut readings = readings;
            let from = readings.partition_point(|s| s.ts < first);
            let to = readings.partition_point(|s| s.ts <= last);
            out.extend(readings.drain(from..to));
            let after = readings.split_off(from);
            (readings, after)
        } else {
            let (mut before, mut after) = (Vec::new(), Vec::new());
            for s in readings {
                if s.ts < first {
                    before.push(s);
                } else if s.ts > last {
                    after.push(s);
                } else {
                    out.push(s);
                }
            }
            (before, after)
        };
        for (edge, next) in [(before, date.pred_opt()), (after, date.succ_opt())] {
            let Some(next) = next.filter(|&n| !edge.is_empty() && self.may_come(lane, n)) else {
                out.extend(edge);
                continue;
            };
            if let Err(back) = self.waiting[lane as usize].add(next, edge) {
                out.extend(back);
            }
        }
    }

    /// Whether the file of `lane` for `date` is held or may still come.
    fn may_come(&self, lane: Lane, date: NaiveDate) -> bool {
        let l = lane as usize;
        self.files_of(lane).files.contains_key(&date)
            || (self.reading[l] && !self.brought[l].contains(&date))
    }

    /// Appends to `out` the readings of `lane`'s file of `date`, which goes without its
    /// twin, with those that waited for it (the day files' first).
    fn going_alone(
        &mut self,
        lane: Lane,
        date: NaiveDate,
        readings: Vec<Sample>,
        out: &mut Vec<Sample>,
    ) {
        let waited = self.waiting[lane as usize].take(date).unwrap_or_default();
        match lane {
            Lane::Rest => {
                out.extend(waited);
                out.extend(readings);
            }
            Lane::DayFiles => {
                out.extend(readings);
                out.extend(waited);
            }
        }
    }

    /// The reader of `lane` has ended: nothing waits for it any longer.
    pub(super) fn ended(&mut self, lane: Lane) {
        self.changes += 1;
        self.reading[lane as usize] = false;
    }

    /// The readings of a file held although no twin can come any more (its twin's reader
    /// ended), or over the limits of memory, or with `all` any held file: the caller writes
    /// them, a write's worth at a time.
    pub(super) fn release(&mut self, all: bool) -> Option<Vec<Sample>> {
        self.changes += 1;
        let mut out = Vec::new();
        if all || !self.reading[Lane::Rest as usize] || self.day_files.readings > DAY_FILES_HELD_MAX
        {
            if let Some((date, r)) = self.day_files.take_oldest() {
                self.going_alone(Lane::DayFiles, date, r, &mut out);
                return Some(out);
            }
        }
        if all || !self.reading[Lane::DayFiles as usize] || self.csvs.readings > CSVS_MAX {
            if let Some((date, r)) = self.csvs.take_oldest() {
                self.going_alone(Lane::Rest, date, r, &mut out);
                return Some(out);
            }
        }
        // What waits for files that can no longer come (the lane's reader ended, and none
        // of its files is held), or past the limit of memory.
        let over = self.waiting[0].readings + self.waiting[1].readings > EDGES_MAX;
        for lane in [Lane::Rest, Lane::DayFiles] {
            let l = lane as usize;
            let gone = !self.reading[l] && self.files_of(lane).files.is_empty();
            if all || gone || (over && self.waiting[l].readings > 0) {
                if let Some((_, r)) = self.waiting[l].take_oldest() {
                    return Some(r);
                }
            }
        }
        None
    }

    /// Whether the readings of UTC day `day` (days since 1970) have met every twin they
    /// may have: a reading of a UTC day can have twins in the files of the day before, the
    /// day and the day after (a day file spans a local day), of either lane. Each of those
    /// dates is settled for a lane when its file came, when the lane's reader has ended, or
    /// when the lane brings its files in date order (as Takeout stores them) and has gone
    /// past the date, no file of it waiting for its twin. Members in no order (a folder
    /// packed by `tar`, a download whose parts split a folder) thus hold back only the days
    /// next to a file still to come, not every day after it.
    pub(super) fn complete(&self, day: i64) -> bool {
        let date = |d: i64| {
            chrono::DateTime::from_timestamp(d * crate::model::DAY, 0).map(|t| t.date_naive())
        };
        (day - 1..=day + 1).all(|d| {
            let Some(date) = date(d) else {
                return true;
            };
            [Lane::Rest, Lane::DayFiles].into_iter().all(|lane| {
                let l = lane as usize;
                let waits_for_it = match lane {
                    Lane::Rest => self.day_files.files.contains_key(&date),
                    Lane::DayFiles => self.csvs.files.contains_key(&date),
                };
                !self.reading[l]
                    || self.brought[l].contains(&date)
                    || (self.in_order[l]
                        && !waits_for_it
                        && self.brought[l].last().is_some_and(|&last| last > date))
            })
        })
    }

    /// A count that moves whenever what [`Twins::complete`] answers may have.
    pub(super) fn changes(&self) -> u64 {
        self.changes
    }

    /// The readings of `lane`'s files held.
    pub(super) fn held(&self, lane: Lane) -> usize {
        self.files_of(lane).readings
    }

    /// The held files of `lane`.
    fn files_of(&self, lane: Lane) -> &Held {
        match lane {
            Lane::Rest => &self.csvs,
            Lane::DayFiles => &self.day_files,
        }
    }

    /// Ready for the next archive.
    pub(super) fn reset(&mut self) {
        self.changes += 1;
        debug_assert_eq!(
            self.day_files.readings
                + self.csvs.readings
                + self.waiting[0].readings
                + self.waiting[1].readings,
            0
        );
        self.reading = [true; 2];
        self.brought = Default::default();
        self.in_order = [true; 2];
    }
}

/// Keeps each reader of a `.tgz` from running further ahead of the other than memory allows:
/// a reader waits while what it sent and the merging thread has not let go of reaches its
/// lane's limit ([`CSVS_MAX`], [`DAY_FILES_MAX`]), unless the other reader waits too (then
/// it reads on, and the merging thread lets the oldest held file go alone) or has ended.
#[derive(Debug, Default)]
pub(super) struct Throttle {
    state: Mutex<ThrottleState>,
    room: Condvar,
}

#[derive(Debug, Default)]
struct ThrottleState {
    lanes: [LaneState; 2],
    /// No waiting: the merging thread stopped.
    open: bool,
}

#[derive(Debug, Default, Clone, Copy)]
struct LaneState {
    /// Readings the lane's reader sent, and of them the merging thread received, in all.
    sent: usize,
    received: usize,
    /// Of those received, the ones held now.
    held: usize,
    waiting: bool,
    ended: bool,
}

impl Throttle {
    /// The reader of `lane`, before a member: waits for room.
    pub(super) fn wait_for_room(&self, lane: Lane) {
        let (me, other) = (lane as usize, 1 - lane as usize);
        let limit = [CSVS_MAX, DAY_FILES_MAX][me];
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let l = s.lanes[me];
            let full = l.sent - l.received + l.held >= limit;
            if !full || s.open || s.lanes[other].waiting || s.lanes[other].ended {
                return;
            }
            s.lanes[me].waiting = true;
            s = self.room.wait(s).unwrap_or_else(|e| e.into_inner());
            s.lanes[me].waiting = false;
        }
    }

    /// The reader of `lane` sent `n` readings.
    pub(super) fn sent(&self, lane: Lane, n: usize) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).lanes[lane as usize].sent += n;
    }

    /// The writer received `n` more of `lane`'s readings and holds `held` of them.
    pub(super) fn noted(&self, lane: Lane, n: usize, held: usize) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let l = &mut s.lanes[lane as usize];
        l.received += n;
        l.held = held;
        self.room.notify_all();
    }

    /// The reader of `lane` has ended: the other waits for it no longer.
    pub(super) fn ended(&self, lane: Lane) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).lanes[lane as usize].ended = true;
        self.room.notify_all();
    }

    /// No more waiting at all (the merging thread stopped).
    pub(super) fn open(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).open = true;
        self.room.notify_all();
    }

    /// Ready for the next archive: both readers read, none waits.
    pub(super) fn restart(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for l in &mut s.lanes {
            l.ended = false;
            l.waiting = false;
        }
    }
}

/// Opens a throttle when dropped: a merging thread that stops, for whatever reason, leaves
/// no reader waiting.
pub(super) struct OpenOnDrop<'a>(pub(super) &'a Throttle);

impl Drop for OpenOnDrop<'_> {
    fn drop(&mut self) {
        self.0.open();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, day).unwrap()
    }

    fn day(first: i64, n: i64, device: Option<&str>) -> Vec<Sample> {
        (0..n)
            .map(|i| Sample {
                device: device.map(Arc::from),
                ..Sample::new(first + i * 5, 20 + (i % 281) as u16)
            })
            .collect()
    }

    /// One more day of CSVs at 5 s than they may hold, from the 1st; how many days.
    fn csvs_past_their_limit(t: &mut Twins, out: &mut Vec<Sample>) -> usize {
        let per = 17_280;
        let csvs = CSVS_MAX / per as usize + 1;
        for n in 0..csvs {
            let date = d(1) + chrono::Days::new(n as u64);
            let c = day(n as i64 * 86_400, per, Some("Charge 5"));
            t.member(Some((Kind::TakeoutCsv, date)), c, out);
        }
        csvs
    }

    #[test]
    fn held_files_give_back_what_they_held() {
        let mut held = Held::default();
        let day1 = day(1_740_787_200, 1000, None);
        held.hold(d(1), day1.clone()).unwrap();
        assert_eq!(held.readings, 1000);
        // Sources pack, one or several, and readings without one beside them.
        let mut mixed = day(1_740_873_600, 10, Some("Pixel Watch 3"));
        mixed[0].device = None;
        mixed[4].device = Some("Phone Health Connect".into());
        mixed[9].device = None;
        held.hold(d(2), mixed.clone()).unwrap();
        // What does not pack is given back whole: an offset, a date held already, a span
        // over 48 days, a bpm over 1023, a 256th source.
        let offset = vec![Sample {
            utc_offset_min: Some(60),
            ..Sample::new(1_740_873_600, 70)
        }];
        assert_eq!(held.hold(d(5), offset.clone()).unwrap_err(), offset);
        assert_eq!(
            held.hold(d(1), day1[..3].to_vec()).unwrap_err(),
            day1[..3].to_vec()
        );
        let far = vec![Sample::new(0, 70), Sample::new(1 << 22, 70)];
        assert_eq!(held.hold(d(3), far.clone()).unwrap_err(), far);
        let high = vec![Sample::new(0, 1024)];
        assert_eq!(held.hold(d(6), high.clone()).unwrap_err(), high);
        let many: Vec<Sample> = (0..256)
            .map(|i| Sample {
                device: Some(Arc::from(format!("source {i}"))),
                ..Sample::new(i, 70)
            })
            .collect();
        assert_eq!(held.hold(d(7), many.clone()).unwrap_err(), many);
        held.hold(d(4), vec![Sample::new(1_741_046_400, 300)])
            .unwrap();
        assert_eq!(held.take(d(1)).unwrap(), day1);
        assert_eq!(held.take(d(1)), None);
        assert_eq!(held.take_oldest().unwrap(), (d(2), mixed));
        assert_eq!(
            held.take_oldest().unwrap(),
            (d(4), vec![Sample::new(1_741_046_400, 300)])
        );
        assert_eq!((held.take_oldest(), held.readings), (None, 0));
    }

    #[test]
    fn twins_meet_whichever_reader_brings_its_file_first() {
        let json = |n| Some((Kind::TakeoutJson, d(n)));
        let csv = |n| Some((Kind::TakeoutCsv, d(n)));
        let mut t = Twins::default();
        let mut out = Vec::new();
        let (j1, c1) = (day(0, 3, None), day(0, 3, Some("Charge 5")));
        let (j2, c2) = (day(86_400, 2, None), day(86_400, 2, Some("Charge 5")));
        // A day file first: it waits; its CSV brings both.
        t.member(json(1), j1.clone(), &mut out);
        assert!(out.is_empty());
        assert_eq!(t.held(Lane::DayFiles), 3);
        t.member(csv(1), c1.clone(), &mut out);
        assert_eq!(out, [j1, c1].concat());
        out.clear();
        // A CSV first: the same the other way round.
        t.member(csv(2), c2.clone(), &mut out);
        assert!(out.is_empty());
        t.member(json(2), j2.clone(), &mut out);
        assert_eq!(out, [j2, c2].concat());
        out.clear();
        // Other members pass; nothing is held for a reader that has ended.
        t.member(None, day(0, 4, None), &mut out);
        assert_eq!(out.len(), 4);
        out.clear();
        let c3 = day(2 * 86_400, 2, Some("Charge 5"));
        t.member(csv(3), c3.clone(), &mut out);
        assert_eq!(t.release(false), None);
        t.ended(Lane::DayFiles);
        assert_eq!(t.release(false), Some(c3));
        let c4 = day(3 * 86_400, 2, Some("Charge 5"));
        t.member(csv(4), c4.clone(), &mut out);
        assert_eq!(out, c4);
        assert_eq!(t.release(true), None);
    }

    /// Day files spanning local days at UTC-5 and CSVs spanning UTC days, of the 1st and
    /// 2nd, their readings every 60 s: the day files' readings at UTC -5 h.
    fn local_and_utc_days(n: u32) -> (Vec<Sample>, Vec<Sample>) {
        let start = (n as i64 - 1) * 86_400;
        let json = day(start + 5 * 3600, 1440, None)
            .into_iter()
            .map(|s| Sample {
                ts: start + 5 * 3600 + (s.ts - start - 5 * 3600) * 12,
                ..s
            })
            .collect();
        let csv = day(start, 1440, Some("Charge 5"))
            .into_iter()
            .map(|s| Sample {
                ts: start + (s.ts - start) * 12,
                ..s
            })
            .collect();
        (json, csv)
    }

    #[test]
    fn the_edges_of_a_pair_wait_for_the_file_next_to_it_and_meet_their_twins_there() {
        let json = |n| Some((Kind::TakeoutJson, d(n)));
        let csv = |n| Some((Kind::TakeoutCsv, d(n)));
        let (j1, c1) = local_and_utc_days(1);
        let (j2, c2) = local_and_utc_days(2);
        let mut t = Twins::default();
        // Each call's output is one batch, in which twins meet.
        let mut batches: Vec<Vec<Sample>> = Vec::new();
        let mut member = |t: &mut Twins, kind, r: Vec<Sample>| {
            let mut out = Vec::new();
            t.member(kind, r, &mut out);
            batches.push(out);
        };
        member(&mut t, json(1), j1.clone());
        member(&mut t, csv(2), c2.clone());
        member(&mut t, csv(1), c1.clone());
        // The 1st's day file readings of the 2nd UTC day wait for the 2nd's CSV, held.
        assert_eq!(t.waiting[Lane::Rest as usize].readings, 300);
        // The 1st's CSV readings before its day file wait for the last of February's.
        assert_eq!(t.waiting[Lane::DayFiles as usize].readings, 300);
        member(&mut t, json(2), j2.clone());
        t.ended(Lane::DayFiles);
        t.ended(Lane::Rest);
        while let Some(r) = t.release(false) {
            batches.push(r);
        }
        assert_eq!(t.waiting[0].readings + t.waiting[1].readings, 0);
        // Every reading comes out once.
        let mut all: Vec<Sample> = batches.concat();
        all.sort_by_key(|s| (s.ts, s.device.is_some()));
        let mut want = [j1, c1, j2, c2].concat();
        want.sort_by_key(|s| (s.ts, s.device.is_some()));
        assert_eq!(all, want);
        // Each instant read by both comes out in one batch, the day file's reading first.
        let batch_of = |ts: i64, named: bool| {
            batches
                .iter()
                .enumerate()
                .find_map(|(b, r)| {
                    r.iter()
                        .position(|s| s.ts == ts && s.device.is_some() == named)
                        .map(|at| (b, at))
                })
                .unwrap()
        };
        let both: BTreeSet<i64> = want
            .iter()
            .filter(|s| s.device.is_none())
            .map(|s| s.ts)
            .filter(|ts| want.iter().any(|c| c.ts == *ts && c.device.is_some()))
            .collect();
        assert_eq!(both.len(), 2 * 1440 - 300);
        for ts in both {
            let (jb, ja) = batch_of(ts, false);
            let (cb, ca) = batch_of(ts, true);
            assert_eq!(jb, cb, "the readings at {ts} meet");
            assert!(ja < ca, "the day file's first at {ts}");
        }
    }

    #[test]
    fn past_their_limit_the_oldest_edges_go() {
        let mut t = Twins::default();
        let mut out = Vec::new();
        // Day files whose readings reach far past their CSV's one: the rest waits for the
        // next day's CSV, which may come.
        let per = 1 << 17;
        let mut n = 0u64;
        while t.waiting[Lane::Rest as usize].readings <= EDGES_MAX {
            assert_eq!(t.release(false), None);
            let date = d(1) + chrono::Days::new(2 * n);
            let start = 2 * n as i64 * 86_400;
            let csv = vec![Sample {
                device: Some("Charge 5".into()),
                ..Sample::new(start, 70)
            }];
            t.member(Some((Kind::TakeoutCsv, date)), csv, &mut out);
            t.member(
                Some((Kind::TakeoutJson, date)),
                day(start, per, None),
                &mut out,
            );
            n += 1;
        }
        let oldest = t.release(false).unwrap();
        assert_eq!((oldest.len(), oldest[0].ts), (per as usize - 1, 5));
        assert!(t.waiting[Lane::Rest as usize].readings <= EDGES_MAX);
        assert_eq!(t.release(false), None);
    }

    #[test]
    fn a_file_whose_twin_went_alone_does_not_wait() {
        let mut t = Twins::default();
        let mut out = Vec::new();
        let per = 17_280;
        csvs_past_their_limit(&mut t, &mut out);
        // Past its limit the oldest CSV goes alone; its day file then goes at once.
        let first = t.release(false).unwrap();
        let j = day(0, per, None);
        t.member(Some((Kind::TakeoutJson, d(1))), j.clone(), &mut out);
        assert_eq!(out, j);
        assert_eq!(t.held(Lane::DayFiles), 0);
        assert_eq!(first[0].ts, 0);
        // The next day file meets its CSV, which still waits.
        out.clear();
        t.member(
            Some((Kind::TakeoutJson, d(2))),
            day(86_400, per, None),
            &mut out,
        );
        assert_eq!(out.len(), 2 * per as usize);
    }

    /// The UTC day of the 2025-03-`n` (days since 1970).
    fn utc_day(n: u32) -> i64 {
        crate::model::midnight_utc(d(n)).div_euclid(crate::model::DAY)
    }

    #[test]
    fn a_day_is_complete_once_the_files_next_to_it_came_or_cannot_come() {
        let mut t = Twins::default();
        let mut out = Vec::new();
        let base = crate::model::midnight_utc(d(1));
        let json = |t: &mut Twins, out: &mut Vec<Sample>, n: u32| {
            let first = base + i64::from(n - 1) * 86_400;
            t.member(Some((Kind::TakeoutJson, d(n))), day(first, 3, None), out);
        };
        let csv = |t: &mut Twins, out: &mut Vec<Sample>, n: u32| {
            let first = base + i64::from(n - 1) * 86_400;
            t.member(
                Some((Kind::TakeoutCsv, d(n))),
                day(first, 3, Some("Charge 5")),
                out,
            );
        };
        // Nothing to go by until both readers have brought a file.
        json(&mut t, &mut out, 1);
        assert!(!t.complete(utc_day(1)));
        // Day files of the 1st to the 6th; CSVs of the 1st, 2nd, 4th, 5th and 6th, in date
        // order: the 3rd's day file waits for a CSV that does not come.
        for n in 2..=6 {
            json(&mut t, &mut out, n);
        }
        for n in [1, 2, 4, 5, 6] {
            csv(&mut t, &mut out, n);
        }
        // The 1st: its neighbours came, or lie before what came in date order.
        assert!(t.complete(utc_day(1)));
        // The 2nd, 3rd and 4th have the 3rd's file next to them, waiting for its twin; the
        // 5th is complete; the 6th waits for the 7th's files, which may still come.
        for (n, complete) in [(2, false), (3, false), (4, false), (5, true), (6, false)] {
            assert_eq!(t.complete(utc_day(n)), complete, "the {n}th");
        }
        // The CSV reader ends: the 3rd's twin cannot come; the 6th still waits for the
        // day file of the 7th, until its reader ends too.
        t.ended(Lane::Rest);
        assert!((1..=5).all(|n| t.complete(utc_day(n))));
        assert!(!t.complete(utc_day(6)));
        t.ended(Lane::DayFiles);
        assert!((1..=7).all(|n| t.complete(utc_day(n))));

        // Out of order, only the files that came count: the 2nd's CSV before the 1st's.
        let mut t = Twins::default();
        for n in 1..=3 {
            json(&mut t, &mut out, n);
        }
        csv(&mut t, &mut out, 2);
        csv(&mut t, &mut out, 1);
        assert!(!t.complete(utc_day(2)), "the 3rd's CSV may still come");
        csv(&mut t, &mut out, 3);
        assert!(t.complete(utc_day(2)));
        assert!(
            !t.complete(utc_day(1)),
            "the last of February's may still come"
        );
    }

    #[test]
    fn past_their_limits_the_oldest_held_files_go() {
        let mut t = Twins::default();
        let mut out = Vec::new();
        let per = 17_280;
        // CSVs beyond their limit, with few day files held: the oldest CSV goes.
        let csvs = csvs_past_their_limit(&mut t, &mut out);
        assert!(out.is_empty());
        let first = t.release(false).unwrap();
        assert_eq!(first[0].ts, 0);
        assert_eq!(t.release(false), None);
        // The rest go when asked for all.
        let mut rest = 0;
        while let Some(r) = t.release(true) {
            rest += r.len();
        }
        assert_eq!(rest, (csvs - 1) * per as usize);
    }

    #[test]
    fn the_throttle_waits_for_room_and_never_both_readers() {
        let t = Throttle::default();
        t.sent(Lane::DayFiles, DAY_FILES_MAX);
        t.sent(Lane::Rest, CSVS_MAX);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| t.wait_for_room(Lane::DayFiles));
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(!waiter.is_finished());
            // The other reader, as full, reads on while this one waits.
            t.wait_for_room(Lane::Rest);
            // Received and let go of: room again.
            t.noted(Lane::DayFiles, DAY_FILES_MAX, 0);
            waiter.join().unwrap();
        });
        // Full again: the other reader's end, or the merging thread's stop, lets it go on.
        t.noted(Lane::DayFiles, 0, DAY_FILES_MAX);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| t.wait_for_room(Lane::DayFiles));
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(!waiter.is_finished());
            t.ended(Lane::Rest);
            waiter.join().unwrap();
        });
        t.restart();
        t.open();
        t.wait_for_room(Lane::DayFiles);
    }
}

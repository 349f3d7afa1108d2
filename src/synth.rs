//! A realistic, made-up heart-rate history written as a Google Takeout export, so fitpipe
//! can be tried (and measured) with no account: a resting rhythm, sleep, exercise bouts,
//! off-wrist gaps, a US daylight-saving change and a week in a +05:30 zone.
//!
//! The generator hands every sample it writes to a callback as well, so tests can compare
//! what fitpipe computes with what was written, independently of the import code.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, Weekday};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::model::DAY;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// First local day.
    pub start: NaiveDate,
    pub days: u32,
    /// Seconds between samples: each gap is drawn from this inclusive range.
    pub cadence: (u32, u32),
    pub seed: u64,
    /// Whether to spend a week in a +05:30 zone, a third of the way in.
    pub trip: bool,
    pub device: String,
}

impl Spec {
    /// `days` local days ending yesterday, widened to include the latest US clock change.
    pub fn recent(today: NaiveDate, days: u32) -> Spec {
        let end = today.pred_opt().unwrap_or(today);
        let mut start = end - chrono::Days::new(days.saturating_sub(1) as u64);
        let change = latest_us_change(end);
        if change < start {
            start = change - chrono::Days::new(3);
        }
        Spec {
            start,
            days: (end - start).num_days() as u32 + 1,
            cadence: (5, 15),
            seed: 7,
            trip: days >= 21,
            device: "Pixel Watch 3".into(),
        }
    }

    pub fn trip_range(&self) -> Option<(i64, i64)> {
        if !self.trip {
            return None;
        }
        let m = crate::model::midnight_utc(self.start) + (self.days as i64 / 3) * DAY;
        Some((m, m + 7 * DAY))
    }

    /// The generated person's UTC offset (minutes) at UTC instant `ts`.
    pub fn offset_at(&self, ts: i64) -> i16 {
        match self.trip_range() {
            Some((a, b)) if (a..b).contains(&ts) => 330,
            _ => us_eastern_offset(ts),
        }
    }
}

fn nth_sunday(year: i32, month: u32, n: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, n as u8).expect("valid")
}

/// America/New_York since 2007: EDT from the second Sunday of March 02:00 EST to the
/// first Sunday of November 02:00 EDT.
pub fn us_eastern_offset(ts: i64) -> i16 {
    let year = chrono::DateTime::from_timestamp(ts, 0).map_or(2000, |d| d.year());
    let on = crate::model::midnight_utc(nth_sunday(year, 3, 2)) + 7 * 3600;
    let off = crate::model::midnight_utc(nth_sunday(year, 11, 1)) + 6 * 3600;
    if (on..off).contains(&ts) {
        -240
    } else {
        -300
    }
}

fn latest_us_change(end: NaiveDate) -> NaiveDate {
    let y = end.year();
    [
        nth_sunday(y, 11, 1),
        nth_sunday(y, 3, 2),
        nth_sunday(y - 1, 11, 1),
    ]
    .into_iter()
    .find(|d| *d <= end)
    .expect("one of them is before the end")
}

/// One generated sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    pub ts: i64,
    pub bpm: u16,
    pub utc_offset_min: i16,
}

struct DayPlan {
    exercise: Option<(i64, i64, f64)>,
    gap: Option<(i64, i64)>,
    resting: f64,
}

fn plan_day(spec: &Spec, local_day: i64) -> DayPlan {
    let mut rng =
        SmallRng::seed_from_u64(spec.seed ^ (local_day as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let exercise = rng.random_bool(0.6).then(|| {
        let start = if rng.random_bool(0.5) {
            7 * 3600
        } else {
            18 * 3600
        } + rng.random_range(0..3600);
        (
            start,
            start + rng.random_range(1800..4200),
            rng.random_range(135.0..178.0),
        )
    });
    let gap = rng.random_bool(0.35).then(|| {
        let start = rng.random_range(8 * 3600..20 * 3600);
        (start, start + rng.random_range(1800..3 * 3600))
    });
    DayPlan {
        exercise,
        gap,
        resting: rng.random_range(54.0..64.0),
    }
}

fn heart_rate(plan: &DayPlan, sec_of_day: i64, rng: &mut SmallRng, drift: &mut f64) -> u16 {
    let h = sec_of_day as f64 / 3600.0;
    let asleep = !(6.5..23.0).contains(&h);
    let mut target = if asleep {
        plan.resting - 6.0 + 3.0 * ((h * 0.9).sin())
    } else {
        plan.resting + 14.0 + 6.0 * ((h / 24.0 * std::f64::consts::TAU).sin())
    };
    if let Some((a, b, peak)) = plan.exercise {
        if (a..b).contains(&sec_of_day) {
            let ramp = ((sec_of_day - a) as f64 / 300.0)
                .min(1.0)
                .min((b - sec_of_day) as f64 / 300.0);
            target += (peak - target) * ramp.max(0.0);
        }
    }
    *drift = 0.9 * *drift + rng.random_range(-1.5..1.5);
    (target + *drift + rng.random_range(-2.0..2.0))
        .round()
        .clamp(38.0, 205.0) as u16
}

/// Calls `f` for every sample of the history, in time order.
pub fn for_each_sample(spec: &Spec, mut f: impl FnMut(Generated)) {
    let first = crate::model::midnight_utc(spec.start);
    let mut t = first - spec.offset_at(first) as i64 * 60;
    let last_day = first + spec.days as i64 * DAY;
    let end = last_day - spec.offset_at(last_day) as i64 * 60;
    let mut rng = SmallRng::seed_from_u64(spec.seed);
    let mut drift = 0.0;
    let mut plan_for = i64::MIN;
    let mut plan = plan_day(spec, 0);
    while t < end {
        let off = spec.offset_at(t);
        let local = t + off as i64 * 60;
        let day = local.div_euclid(DAY);
        if day != plan_for {
            plan = plan_day(spec, day);
            plan_for = day;
        }
        let sec = local.rem_euclid(DAY);
        let off_wrist = plan.gap.is_some_and(|(a, b)| (a..b).contains(&sec));
        if !off_wrist {
            let bpm = heart_rate(&plan, sec, &mut rng, &mut drift);
            f(Generated {
                ts: t,
                bpm,
                utc_offset_min: off,
            });
        }
        let (lo, hi) = spec.cadence;
        t += if lo == hi {
            lo as i64
        } else {
            rng.random_range(lo..=hi) as i64
        };
    }
}

/// Paths of a generated export.
#[derive(Debug, Clone)]
pub struct Written {
    pub root: PathBuf,
    pub json_files: u32,
    pub csv_files: u32,
    pub samples: u64,
}

struct DayWriter {
    dir: PathBuf,
    day: i64,
    out: Option<BufWriter<File>>,
    first: bool,
    json: bool,
    files: u32,
}

impl DayWriter {
    fn new(dir: PathBuf, json: bool) -> DayWriter {
        DayWriter {
            dir,
            day: i64::MIN,
            out: None,
            first: true,
            json,
            files: 0,
        }
    }

    fn roll(&mut self, day: i64) -> std::io::Result<&mut BufWriter<File>> {
        if day != self.day || self.out.is_none() {
            self.close()?;
            let date = chrono::DateTime::from_timestamp(day * DAY, 0)
                .expect("in range")
                .date_naive();
            let name = if self.json {
                format!("heart_rate-{date}.json")
            } else {
                format!("heart_rate_{date}.csv")
            };
            let path = self.dir.join(name);
            // A local date comes back after travel westwards: continue its file.
            let again = path.exists();
            let file = if again {
                let f = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&path)?;
                if self.json {
                    let len = f.metadata()?.len();
                    f.set_len(len.saturating_sub(2))?; // drop "]\n"
                }
                let mut f = f;
                std::io::Seek::seek(&mut f, std::io::SeekFrom::End(0))?;
                f
            } else {
                File::create(&path)?
            };
            let mut w = BufWriter::with_capacity(1 << 16, file);
            if !again {
                w.write_all(if self.json {
                    b"["
                } else {
                    b"timestamp,beats per minute,data source\n"
                })?;
                self.files += 1;
            }
            self.out = Some(w);
            self.day = day;
            self.first = !again;
        }
        Ok(self.out.as_mut().expect("just opened"))
    }

    fn close(&mut self) -> std::io::Result<()> {
        if let Some(mut w) = self.out.take() {
            if self.json {
                w.write_all(b"]\n")?;
            }
            w.flush()?;
        }
        Ok(())
    }
}

/// Writes the history as a Takeout folder under `root` (`Takeout/Google Health/...`):
/// JSON files per local day and CSV twins per UTC day, holding the same samples.
pub fn write_takeout(spec: &Spec, root: &Path) -> std::io::Result<Written> {
    let base = root.join("Takeout").join("Google Health");
    let json_dir = base.join("Global Export Data");
    let csv_dir = base.join("Physical Activity_GoogleData");
    std::fs::create_dir_all(&json_dir)?;
    std::fs::create_dir_all(&csv_dir)?;
    std::fs::write(
        csv_dir.join("heart_rate_readme.txt"),
        "heart_rate_YYYY-MM-DD.csv: timestamp (UTC), beats per minute, data source\n",
    )?;
    std::fs::write(json_dir.join("steps-2000-01-01.json"), "[]\n")?;
    let mut json = DayWriter::new(json_dir, true);
    let mut csv = DayWriter::new(csv_dir, false);
    let mut samples = 0u64;
    let mut err: Option<std::io::Error> = None;
    let mut line = String::with_capacity(128);
    for_each_sample(spec, |g| {
        if err.is_some() {
            return;
        }
        let local_day = (g.ts + g.utc_offset_min as i64 * 60).div_euclid(DAY);
        let res = (|| -> std::io::Result<()> {
            json.roll(local_day)?;
            let sep = if json.first { "" } else { "," };
            let w = json.out.as_mut().expect("rolled");
            line.clear();
            use std::fmt::Write as _;
            line.push_str(sep);
            line.push_str("{\n  \"dateTime\" : \"");
            crate::model::push_takeout_stamp(&mut line, g.ts);
            let _ = write!(
                line,
                "\",\n  \"value\" : {{\n    \"bpm\" : {},\n    \"confidence\" : {}\n  }}\n}}",
                g.bpm,
                2 + (g.ts % 2)
            );
            w.write_all(line.as_bytes())?;
            json.first = false;
            let w = csv.roll(g.ts.div_euclid(DAY))?;
            line.clear();
            crate::model::push_utc(&mut line, g.ts);
            let _ = writeln!(line, ",{}.0,{}", g.bpm, spec.device);
            w.write_all(line.as_bytes())?;
            Ok(())
        })();
        match res {
            Ok(()) => samples += 1,
            Err(e) => err = Some(e),
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    json.close()?;
    csv.close()?;
    Ok(Written {
        root: root.to_path_buf(),
        json_files: json.files,
        csv_files: csv.files,
        samples,
    })
}

/// Packs the folder `src` into the zip archive `dest`, entries sorted by name, as Takeout
/// delivers an export.
pub fn zip_folder(src: &Path, dest: &Path) -> std::io::Result<()> {
    let file = std::fs::File::create(dest)?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut stack = vec![src.to_path_buf()];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    for p in files {
        let name = p
            .strip_prefix(src)
            .expect("below src")
            .to_string_lossy()
            .replace('\\', "/");
        zip.start_file(name, opts).map_err(std::io::Error::other)?;
        std::io::copy(&mut std::fs::File::open(&p)?, &mut zip)?;
    }
    zip.finish().map_err(std::io::Error::other)?.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn us_eastern_rule_matches_known_changes() {
        let p = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp();
        assert_eq!(us_eastern_offset(p("2024-03-10T06:59:59Z")), -300);
        assert_eq!(us_eastern_offset(p("2024-03-10T07:00:00Z")), -240);
        assert_eq!(us_eastern_offset(p("2024-11-03T05:59:59Z")), -240);
        assert_eq!(us_eastern_offset(p("2024-11-03T06:00:00Z")), -300);
        assert_eq!(us_eastern_offset(p("2026-11-01T06:00:00Z")), -300);
    }

    #[test]
    fn recent_window_always_holds_a_clock_change() {
        let s = Spec::recent(NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(), 30);
        assert!(s.start <= NaiveDate::from_ymd_opt(2026, 3, 8).unwrap());
        let s = Spec::recent(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(), 60);
        assert_eq!(s.start, NaiveDate::from_ymd_opt(2026, 9, 28).unwrap());
        assert_eq!(s.days, 60);
    }

    #[test]
    fn samples_are_plausible_ordered_and_have_gaps() {
        let spec = Spec {
            start: NaiveDate::from_ymd_opt(2024, 3, 8).unwrap(),
            days: 4,
            cadence: (5, 15),
            seed: 1,
            trip: false,
            device: "w".into(),
        };
        let mut v = Vec::new();
        for_each_sample(&spec, |g| v.push(g));
        assert!(v.windows(2).all(|w| w[0].ts < w[1].ts));
        assert!(v.iter().all(|g| (38..=205).contains(&g.bpm)));
        let max_gap = v.windows(2).map(|w| w[1].ts - w[0].ts).max().unwrap();
        assert!(max_gap > 15, "an off-wrist gap is expected in four days");
        assert!(
            v.iter().any(|g| g.utc_offset_min == -240)
                && v.iter().any(|g| g.utc_offset_min == -300)
        );
    }
}

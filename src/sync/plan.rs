//! Deciding what to move, with no I/O: which remote parts to read, and what a dirty day
//! must upload. The apply step (`sync::run`) performs the result.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::layout;
use crate::model::Sample;
use crate::model::DAY;

/// The columns of a part file.
pub const PART_COLUMNS: [&str; 5] = ["ts", "time_utc", "bpm", "utc_offset_min", "device"];

/// A day number's date.
pub fn date_of(day: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(day * DAY, 0)
        .expect("in range")
        .date_naive()
}

/// A date's day number.
pub fn day_of(date: NaiveDate) -> i64 {
    use chrono::Datelike;
    crate::model::days_from_civil(date.year() as i64, date.month(), date.day())
}

/// Parts to read for one account: those not merged locally yet, and every part of a dirty
/// day (its content decides what the day still has to upload). Sorted, no repeats.
pub fn parts_to_fetch(
    listing: &[String],
    known: &HashSet<String>,
    dirty_days: &[i64],
) -> Vec<String> {
    let dirty: HashSet<i64> = dirty_days.iter().copied().collect();
    let mut out: BTreeSet<String> = BTreeSet::new();
    for name in listing {
        let Some((_, date)) = layout::parse_part(name) else {
            continue;
        };
        if !known.contains(name) || dirty.contains(&day_of(date)) {
            out.insert(name.clone());
        }
    }
    out.into_iter().collect()
}

/// Writes samples as a part file, sorted by time.
pub fn write_part(samples: &[Sample]) -> Vec<u8> {
    let mut sorted: Vec<&Sample> = samples.iter().collect();
    sorted.sort_by_key(|s| s.ts);
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(PART_COLUMNS).expect("writing to memory");
    for s in sorted {
        w.write_record([
            s.ts.to_string(),
            crate::model::format_utc(s.ts),
            s.bpm.to_string(),
            s.utc_offset_min.map(|o| o.to_string()).unwrap_or_default(),
            s.device.as_deref().unwrap_or_default().to_string(),
        ])
        .expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// Reads a part file strictly; an error names the line.
pub fn parse_part(bytes: &[u8]) -> Result<Vec<Sample>, String> {
    let mut out = Vec::new();
    super::strict_csv(bytes, &PART_COLUMNS, |line, rec| {
        let ts: i64 = rec[0]
            .parse()
            .map_err(|_| format!("line {line}: ts {:?} is not an integer", &rec[0]))?;
        if !crate::store::storable(ts) {
            return Err(format!("line {line}: ts {ts} is out of range"));
        }
        let bpm = crate::model::parse_bpm(&rec[2]).map_err(|e| format!("line {line}: {e}"))?;
        let utc_offset_min = match &rec[3] {
            "" => None,
            o => Some(
                o.parse::<i16>()
                    .map_err(|_| format!("line {line}: utc_offset_min {o:?} is not an integer"))?,
            ),
        };
        let device = (!rec[4].is_empty()).then(|| rec[4].into());
        out.push(Sample {
            ts,
            bpm,
            utc_offset_min,
            device,
        });
        Ok(())
    })?;
    Ok(out)
}

/// The part a dirty day still has to upload: the local samples whose instants no remote
/// part holds, named by the hash of their content; `None` when the remote has them all.
pub fn day_upload(
    account: &str,
    day: i64,
    local: &[Sample],
    remote: &[Sample],
) -> Option<(String, Vec<u8>)> {
    let held: HashSet<i64> = remote.iter().map(|s| s.ts).collect();
    let missing: Vec<Sample> = local
        .iter()
        .filter(|s| !held.contains(&s.ts))
        .cloned()
        .collect();
    if missing.is_empty() {
        return None;
    }
    let bytes = write_part(&missing);
    let hash = Sha256::digest(&bytes);
    let hex: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Some((layout::part(account, date_of(day), &hex), bytes))
}

/// Groups part names by day number.
pub fn parts_by_day(names: &[String]) -> BTreeMap<i64, Vec<String>> {
    let mut out: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for n in names {
        if let Some((_, date)) = layout::parse_part(n) {
            out.entry(day_of(date)).or_default().push(n.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(ts: i64, bpm: u16) -> Sample {
        Sample {
            ts,
            bpm,
            utc_offset_min: None,
            device: None,
        }
    }

    fn p(date: &str, h: &str) -> String {
        format!("samples/account=a/date={date}/part-{h}.csv")
    }

    #[test]
    fn fetch_table() {
        let d1 = day_of(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
        let listing = vec![
            p("2025-01-01", "x"),
            p("2025-01-01", "y"),
            p("2025-01-02", "z"),
            "samples/account=a/junk.txt".to_string(),
        ];
        let known: HashSet<String> = [p("2025-01-01", "x"), p("2025-01-02", "z")]
            .into_iter()
            .collect();
        // (known parts, dirty days) -> parts to read
        let cases: Vec<(HashSet<String>, Vec<i64>, Vec<String>)> = vec![
            (
                HashSet::new(),
                vec![],
                vec![
                    p("2025-01-01", "x"),
                    p("2025-01-01", "y"),
                    p("2025-01-02", "z"),
                ],
            ),
            (known.clone(), vec![], vec![p("2025-01-01", "y")]),
            (
                known.clone(),
                vec![d1],
                vec![p("2025-01-01", "x"), p("2025-01-01", "y")],
            ),
            (listing.iter().cloned().collect(), vec![d1 + 5], vec![]),
        ];
        for (known, dirty, want) in cases {
            assert_eq!(parts_to_fetch(&listing, &known, &dirty), want);
        }
    }

    #[test]
    fn upload_table() {
        let day = 20_000;
        let t = day * DAY;
        // (local, remote) -> instants uploaded
        type Case = (Vec<Sample>, Vec<Sample>, Option<Vec<i64>>);
        let cases: Vec<Case> = vec![
            (vec![], vec![], None),
            (vec![s(t, 60)], vec![], Some(vec![t])),
            (
                vec![s(t, 60), s(t + 5, 61)],
                vec![s(t, 60)],
                Some(vec![t + 5]),
            ),
            (vec![s(t, 60)], vec![s(t, 60), s(t + 9, 70)], None),
            (vec![s(t + 5, 61), s(t, 60)], vec![], Some(vec![t, t + 5])),
        ];
        for (local, remote, want) in cases {
            let got = day_upload("a", day, &local, &remote);
            match (got, want) {
                (None, None) => {}
                (Some((name, bytes)), Some(ts)) => {
                    assert!(
                        name.starts_with("samples/account=a/date=2024-10-04/part-"),
                        "{name}"
                    );
                    let parsed = parse_part(&bytes).unwrap();
                    assert_eq!(parsed.iter().map(|x| x.ts).collect::<Vec<_>>(), ts);
                }
                (g, w) => panic!("got {g:?}, want {w:?}"),
            }
        }
        // The name is the content's: the same samples give the same object.
        let a = day_upload("a", day, &[s(t, 60)], &[]).unwrap();
        let b = day_upload("a", day, &[s(t, 60)], &[]).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.0, day_upload("a", day, &[s(t, 61)], &[]).unwrap().0);
    }

    #[test]
    fn parts_round_trip_and_refuse_garbage() {
        let v = vec![
            Sample {
                ts: 100,
                bpm: 70,
                utc_offset_min: Some(-300),
                device: Some("Pixel Watch 3".into()),
            },
            s(90, 65),
        ];
        let back = parse_part(&write_part(&v)).unwrap();
        assert_eq!(back, vec![s(90, 65), v[0].clone()]);
        assert!(parse_part(b"ts,bpm\n1,2\n").is_err());
        let err = parse_part(b"ts,time_utc,bpm,utc_offset_min,device\n1,x,abc,,\n").unwrap_err();
        assert!(err.starts_with("line 2"), "{err}");
    }
}

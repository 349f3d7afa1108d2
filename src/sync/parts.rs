//! The lake's part objects: their CSV codec (written sorted, read strictly), their
//! content-derived names, and day numbers. Pure.

use std::collections::BTreeMap;

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

/// Writes samples as a part file, sorted by time.
pub fn write_part(samples: &[Sample]) -> Vec<u8> {
    let mut sorted: Vec<&Sample> = samples.iter().collect();
    sorted.sort_by_key(|s| s.ts);
    let mut w = crate::export::csv_writer(Vec::new());
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
    crate::export::read_strict(bytes, &PART_COLUMNS, |line, rec| {
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

/// A part holding `samples` of `day`, named by the hash of its content (so an upload
/// repeated after a failure writes the same object): its name and bytes.
pub fn part_object(account: &str, day: i64, samples: &[Sample]) -> (String, Vec<u8>) {
    let bytes = write_part(samples);
    let hash = Sha256::digest(&bytes);
    let hex: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
    (layout::part(account, date_of(day), &hex), bytes)
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
        Sample::new(ts, bpm)
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

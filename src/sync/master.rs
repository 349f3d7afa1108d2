//! The master table as the remote holds it: parsing (strictly: a hand-edited or corrupt file
//! is refused, never overwritten), merging, and writing. All pure.
//!
//! The merge keeps, for every (account, hour) on either side, the larger max and the larger
//! sample count, and of the two UTC offsets (the local times) the known one, or the larger
//! when both are known. Each of these is a maximum over a total order, so the merge is
//! commutative, associative and idempotent, and any number of machines converge.

use std::collections::BTreeMap;

use crate::export::COLUMNS;
use crate::formats;
use crate::model::{validate_account_name, Hour, MAX_BPM, MIN_BPM};

/// (account, UTC hour start) -> the hour, in export order.
pub type Master = BTreeMap<(String, i64), Hour>;

/// Parses the master CSV. Any deviation from the format fitpipe writes is an error naming
/// the line.
pub fn parse(bytes: &[u8]) -> Result<Master, String> {
    let mut out = Master::new();
    crate::export::read_strict(bytes, &COLUMNS, |line, rec| {
        let (account, hour, local) = (&rec[0], &rec[1], &rec[2]);
        validate_account_name(account).map_err(|e| format!("line {line}: {e}"))?;
        let Some(hour_epoch) = formats::utc_hour(hour) else {
            return Err(format!(
                "line {line}: hour_start_utc {hour:?} is not YYYY-MM-DDTHH:00:00Z"
            ));
        };
        let utc_offset_min = match local {
            "" => None,
            local => match formats::rfc3339(local) {
                Some((_, off)) => Some(off),
                None => {
                    return Err(format!(
                        "line {line}: hour_start_local {local:?} is not RFC 3339"
                    ))
                }
            },
        };
        let max: i64 = rec[3]
            .parse()
            .map_err(|_| format!("line {line}: max_bpm {:?} is not an integer", &rec[3]))?;
        if !(MIN_BPM..=MAX_BPM).contains(&max) {
            return Err(format!(
                "line {line}: max_bpm {max} is outside {MIN_BPM}..={MAX_BPM}"
            ));
        }
        let count: i64 = rec[4]
            .parse()
            .map_err(|_| format!("line {line}: sample_count {:?} is not an integer", &rec[4]))?;
        if count < 1 {
            return Err(format!("line {line}: sample_count {count} is below 1"));
        }
        let key = (account.to_string(), hour_epoch);
        if out.contains_key(&key) {
            return Err(format!(
                "line {line}: hour {hour} of account {account} appears twice"
            ));
        }
        out.insert(
            key,
            Hour {
                hour: hour_epoch,
                max_bpm: max,
                sample_count: count,
                utc_offset_min,
            },
        );
        Ok(())
    })?;
    Ok(out)
}

/// Writes the master CSV, byte for byte as `fitpipe export` does.
pub fn write(m: &Master) -> Vec<u8> {
    let mut w = crate::export::csv_writer(Vec::new());
    w.write_record(COLUMNS).expect("writing to memory");
    let mut rows = crate::export::RowWriter::default();
    for ((account, _), h) in m {
        rows.write(&mut w, account, h).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

fn merge_hour(a: &Hour, b: &Hour) -> Hour {
    Hour {
        hour: a.hour,
        max_bpm: a.max_bpm.max(b.max_bpm),
        sample_count: a.sample_count.max(b.sample_count),
        // `None` orders below every offset.
        utc_offset_min: a.utc_offset_min.max(b.utc_offset_min),
    }
}

/// Merges two copies, walking both in key order.
pub fn merge(a: &Master, b: &Master) -> Master {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let (mut ia, mut ib) = (a.iter().peekable(), b.iter().peekable());
    loop {
        let order = match (ia.peek(), ib.peek()) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some((ka, _)), Some((kb, _))) => ka.cmp(kb),
        };
        out.push(match order {
            std::cmp::Ordering::Less => ia.next().map(|(k, e)| (k.clone(), *e)).expect("peeked"),
            std::cmp::Ordering::Greater => ib.next().map(|(k, e)| (k.clone(), *e)).expect("peeked"),
            std::cmp::Ordering::Equal => {
                let (k, ea) = ia.next().expect("peeked");
                let (_, eb) = ib.next().expect("peeked");
                (k.clone(), merge_hour(ea, eb))
            }
        });
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Hours of 2025-01-01 given as they are written: (account, hour of day, max, count,
    /// local start or "").
    fn m(rows: &[(&str, u32, i64, i64, &str)]) -> Master {
        rows.iter()
            .map(|(a, h, mx, c, l)| {
                let hour = formats::utc_hour(&format!("2025-01-01T{h:02}:00:00Z")).unwrap();
                (
                    (a.to_string(), hour),
                    Hour {
                        hour,
                        max_bpm: *mx,
                        sample_count: *c,
                        utc_offset_min: formats::rfc3339(l).map(|(_, off)| off),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn round_trip_and_merge_rules() {
        let a = m(&[
            ("a", 1, 80, 10, ""),
            ("a", 2, 90, 5, "2025-01-01T03:00:00+01:00"),
        ]);
        let b = m(&[
            ("a", 1, 85, 7, "2025-01-01T02:00:00+01:00"),
            ("b", 1, 60, 3, ""),
        ]);
        assert_eq!(parse(&write(&a)).unwrap(), a);
        let ab = merge(&a, &b);
        assert_eq!(
            ab,
            m(&[
                ("a", 1, 85, 10, "2025-01-01T02:00:00+01:00"),
                ("a", 2, 90, 5, "2025-01-01T03:00:00+01:00"),
                ("b", 1, 60, 3, "")
            ])
        );
    }

    #[test]
    fn corrupt_copies_are_refused_with_the_line() {
        let good = "account,hour_start_utc,hour_start_local,max_bpm,sample_count\na,2025-01-01T01:00:00Z,,80,10\n";
        assert!(parse(good.as_bytes()).is_ok());
        for (bad, want) in [
            ("", "empty"),
            ("time,bpm\n", "line 1"),
            ("account,hour_start_utc,hour_start_local,max_bpm,sample_count\na,2025-01-01T01:30:00Z,,80,10\n", "line 2"),
            ("account,hour_start_utc,hour_start_local,max_bpm,sample_count\na,2025-01-01T01:00:00Z,,eighty,10\n", "line 2: max_bpm"),
            ("account,hour_start_utc,hour_start_local,max_bpm,sample_count\na,2025-01-01T01:00:00Z,,80,10\na,2025-01-01T01:00:00Z,,81,10\n", "twice"),
            ("account,hour_start_utc,hour_start_local,max_bpm,sample_count\na,2025-01-01T01:00:00Z,,80\n", "fields"),
            ("account,hour_start_utc,hour_start_local,max_bpm,sample_count\na,2025-01-01T01:00:00Z,yesterday,80,3\n", "RFC 3339"),
        ] {
            let err = parse(bad.as_bytes()).unwrap_err();
            assert!(err.contains(want), "{bad:?}: {err}");
        }
    }

    fn arb_master() -> impl Strategy<Value = Master> {
        proptest::collection::vec((0..2usize, 0..6u32, 40..200i64, 1..50i64, 0..3usize), 0..12)
            .prop_map(|v| {
                let offsets = [None, Some(60), Some(120)];
                v.into_iter()
                    .map(|(a, h, mx, c, l)| {
                        let hour = 1_735_689_600 + h as i64 * 3600;
                        (
                            (["a", "b"][a].to_string(), hour),
                            Hour {
                                hour,
                                max_bpm: mx,
                                sample_count: c,
                                utc_offset_min: offsets[l],
                            },
                        )
                    })
                    .collect()
            })
    }

    proptest! {
        #[test]
        fn merge_is_commutative_associative_idempotent(a in arb_master(), b in arb_master(), c in arb_master()) {
            prop_assert_eq!(merge(&a, &b), merge(&b, &a));
            prop_assert_eq!(merge(&merge(&a, &b), &c), merge(&a, &merge(&b, &c)));
            prop_assert_eq!(merge(&a, &a), a.clone());
            prop_assert_eq!(parse(&write(&a)).unwrap(), a);
        }
    }
}

//! The master table as the remote holds it: parsing (strictly: a hand-edited or corrupt file
//! is refused, never overwritten), merging, and writing. All pure.
//!
//! Each hour carries the version of the source policy it was computed under (`policy`;
//! empty in copies written before sources were kept). Two copies of an hour computed under
//! the same policy are merged as the hour's samples grow: the larger max and the larger
//! sample count, and of the two UTC offsets (the local times) the known one, or the larger
//! when both are known; each a maximum over a total order, so this merge is commutative,
//! associative and idempotent, and any number of machines that only add samples converge.
//! Under different policies, the copy computed under the account's current policy wins
//! whole: that is how a correction (a source left out, an import removed, so hours come
//! down) reaches every machine. A copy of an hour that is under another policy than the
//! account's current one, where no copy is under the current one, is dropped: the machines
//! that hold the hour's samples (every one, once it has read the lake, which a sync reads
//! before the master) compute it under the current policy, and an hour whose samples the
//! policy no longer counts, or that were removed, must go. Dropping such copies before or
//! after a merge gives the same result, so the merge stays commutative and associative.

use std::collections::BTreeMap;

use crate::export::COLUMNS;

/// The remote copy's columns: the export's, the policy version of each hour, and where its
/// local time came from (model::Provenance: the evidence, and when the zone it was computed
/// with was chosen).
pub const MASTER_COLUMNS: [&str; 8] = [
    COLUMNS[0],
    COLUMNS[1],
    COLUMNS[2],
    COLUMNS[3],
    COLUMNS[4],
    "policy",
    "local_from",
    "local_chosen_at",
];

/// The columns of copies written before the local time's provenance was kept.
const POLICY_COLUMNS: [&str; 6] = [
    COLUMNS[0], COLUMNS[1], COLUMNS[2], COLUMNS[3], COLUMNS[4], "policy",
];
use crate::formats;
use crate::model::{validate_account_name, Hour, LocalFrom, Provenance, MAX_BPM, MIN_BPM};

/// (account, UTC hour start) -> the hour, in export order.
pub type Master = BTreeMap<(String, i64), Hour>;

/// Parses the master CSV: [`MASTER_COLUMNS`], or the first six of them of copies written
/// before the local time's provenance was kept, or the export's [`COLUMNS`] of copies
/// written before sources were kept. Any deviation from the format fitpipe writes is an
/// error naming the line.
pub fn parse(bytes: &[u8]) -> Result<Master, String> {
    let header = |c: &[&str]| bytes.starts_with(format!("{}\n", c.join(",")).as_bytes());
    let columns: &[&str] = if header(&COLUMNS) {
        &COLUMNS
    } else if header(&POLICY_COLUMNS) {
        &POLICY_COLUMNS
    } else {
        &MASTER_COLUMNS
    };
    let mut out = Master::new();
    crate::export::read_strict(bytes, columns, |line, rec| {
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
        let policy = match rec.get(5) {
            None | Some("") => None,
            Some(p) => Some(
                crate::sources::parse_version(p)
                    .ok_or_else(|| format!("line {line}: policy {p:?} is not 16 hex digits"))?,
            ),
        };
        let from = match rec.get(6) {
            None => LocalFrom::Unknown,
            Some(f) => LocalFrom::parse(f).ok_or_else(|| {
                format!("line {line}: local_from {f:?} is not stated, day_files, zone or empty")
            })?,
        };
        let chosen_at = match rec.get(7) {
            None | Some("") => 0,
            Some(t) => formats::rfc3339(t)
                .map(|(at, _)| at)
                .ok_or_else(|| format!("line {line}: local_chosen_at {t:?} is not RFC 3339"))?,
        };
        if utc_offset_min.is_none() && (from != LocalFrom::Unknown || chosen_at != 0) {
            return Err(format!(
                "line {line}: local_from or local_chosen_at without hour_start_local"
            ));
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
                policy,
                local: Provenance { from, chosen_at },
            },
        );
        Ok(())
    })?;
    Ok(out)
}

/// Writes the master CSV: the rows as `fitpipe export` writes them, and each hour's policy.
pub fn write(m: &Master) -> Vec<u8> {
    let mut w = crate::export::csv_writer(Vec::new());
    w.write_record(MASTER_COLUMNS).expect("writing to memory");
    let mut rows = crate::export::RowWriter::for_remote();
    for ((account, _), h) in m {
        rows.write(&mut w, account, h).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

fn merge_hour(a: &Hour, b: &Hour, current: Option<u64>) -> Hour {
    if a.policy != b.policy {
        if a.policy.is_some() && a.policy == current {
            return *a;
        }
        if b.policy.is_some() && b.policy == current {
            return *b;
        }
    }
    // The local time of the stronger evidence, then of the later choice, then the larger
    // offset (`None` orders below every offset).
    let (local, utc_offset_min) = (a.local, a.utc_offset_min).max((b.local, b.utc_offset_min));
    Hour {
        hour: a.hour,
        max_bpm: a.max_bpm.max(b.max_bpm),
        sample_count: a.sample_count.max(b.sample_count),
        utc_offset_min,
        policy: a.policy.max(b.policy),
        local,
    }
}

/// Each account's current policy version (an account missing has none yet).
pub type Policies = BTreeMap<String, u64>;

/// Whether copy `h` of an hour of `account` is under another policy than the account's
/// current one (when that is known).
fn stale(account: &str, h: &Hour, current: &Policies) -> bool {
    current.get(account).is_some_and(|&c| h.policy != Some(c))
}

/// Merges two copies, walking both in key order, under the accounts' `current` policies;
/// hours left with no copy under the current policy are dropped.
pub fn merge(a: &Master, b: &Master, current: &Policies) -> Master {
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
                (k.clone(), merge_hour(ea, eb, current.get(&k.0).copied()))
            }
        });
    }
    out.retain(|((account, _), h)| !stale(account, h, current));
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
                        policy: None,
                        local: Provenance::default(),
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
        let none = Policies::new();
        let ab = merge(&a, &b, &none);
        assert_eq!(
            ab,
            m(&[
                ("a", 1, 85, 10, "2025-01-01T02:00:00+01:00"),
                ("a", 2, 90, 5, "2025-01-01T03:00:00+01:00"),
                ("b", 1, 60, 3, "")
            ])
        );

        // A copy of an hour computed under the account's current policy wins over one of
        // another (or of none, written before sources were kept), even when lower.
        let with = |m: &Master, p: Option<u64>| -> Master {
            m.iter()
                .map(|(k, h)| (k.clone(), Hour { policy: p, ..*h }))
                .collect()
        };
        let current: Policies = [("a".to_string(), 7)].into_iter().collect();
        let corrected = with(&m(&[("a", 1, 70, 9, "")]), Some(7));
        for stale in [with(&a, None), with(&a, Some(3))] {
            let got = merge(&stale, &corrected, &current);
            assert_eq!(
                got[&("a".to_string(), a.keys().next().unwrap().1)],
                corrected.values().next().copied().unwrap()
            );
            assert_eq!(got, merge(&corrected, &stale, &current));
            // The stale copy's hour 2, which no copy under the current policy holds, goes.
            assert_eq!(got.len(), 1, "{got:?}");
        }
        // The legacy form (no policy column) is still read.
        let legacy = "account,hour_start_utc,hour_start_local,max_bpm,sample_count\na,2025-01-01T01:00:00Z,,80,10\n";
        let read = parse(legacy.as_bytes()).unwrap();
        assert_eq!(read.values().next().unwrap().policy, None);
        let written = String::from_utf8(write(&with(&read, Some(0xfa00_7dcd_6559_ffed)))).unwrap();
        assert_eq!(
            written,
            "account,hour_start_utc,hour_start_local,max_bpm,sample_count,policy,local_from,local_chosen_at\n\
             a,2025-01-01T01:00:00Z,,80,10,fa007dcd6559ffed,,\n"
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
            ("account,hour_start_utc,hour_start_local,max_bpm,sample_count,policy\na,2025-01-01T01:00:00Z,,80,3,xyz\n", "policy"),
            ("account,hour_start_utc,hour_start_local,max_bpm,sample_count,policy\na,2025-01-01T01:00:00Z,,80,3\n", "fields"),
            ("account,hour_start_utc,hour_start_local,max_bpm,sample_count,policy,local_from,local_chosen_at\na,2025-01-01T01:00:00Z,2025-01-01T02:00:00+01:00,80,3,,guessed,\n", "local_from"),
            ("account,hour_start_utc,hour_start_local,max_bpm,sample_count,policy,local_from,local_chosen_at\na,2025-01-01T01:00:00Z,2025-01-01T02:00:00+01:00,80,3,,zone,monday\n", "local_chosen_at"),
            ("account,hour_start_utc,hour_start_local,max_bpm,sample_count,policy,local_from,local_chosen_at\na,2025-01-01T01:00:00Z,,80,3,,zone,\n", "without hour_start_local"),
        ] {
            let err = parse(bad.as_bytes()).unwrap_err();
            assert!(err.contains(want), "{bad:?}: {err}");
        }
    }

    fn arb_master() -> impl Strategy<Value = Master> {
        let row = (
            0..2usize,
            0..6u32,
            40..200i64,
            1..50i64,
            0..3usize,
            0..4usize,
            0..3i64,
        );
        proptest::collection::vec(row, 0..12).prop_map(|v| {
            let offsets = [None, Some(60), Some(120)];
            let froms = LocalFrom::ALL;
            v.into_iter()
                .map(|(a, h, mx, c, l, from, at)| {
                    let hour = 1_735_689_600 + h as i64 * 3600;
                    let utc_offset_min = offsets[l];
                    let local = match utc_offset_min {
                        Some(_) => Provenance {
                            from: froms[from],
                            chosen_at: at * 1_000_000_000,
                        },
                        None => Provenance::default(),
                    };
                    (
                        (["a", "b"][a].to_string(), hour),
                        Hour {
                            hour,
                            max_bpm: mx,
                            sample_count: c,
                            utc_offset_min,
                            policy: [None, Some(1), Some(2)][(h as usize + mx as usize) % 3],
                            local,
                        },
                    )
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn merge_is_commutative_associative_idempotent(
            a in arb_master(), b in arb_master(), c in arb_master(), current in 0..3u64,
        ) {
            // Account a's current policy: none known, 1 or 2; b's: always 1.
            let mut p = Policies::new();
            if current > 0 {
                p.insert("a".into(), current);
            }
            p.insert("b".into(), 1);
            prop_assert_eq!(merge(&a, &b, &p), merge(&b, &a, &p));
            prop_assert_eq!(merge(&merge(&a, &b, &p), &c, &p), merge(&a, &merge(&b, &c, &p), &p));
            let m = merge(&a, &b, &p);
            prop_assert_eq!(merge(&m, &m, &p), m.clone());
            // What is left is under the current policy, where one is known.
            prop_assert!(m.iter().all(|((acc, _), h)| !stale(acc, h, &p)));
            prop_assert_eq!(parse(&write(&a)).unwrap(), a);
        }
    }

    #[test]
    fn the_local_time_of_stronger_evidence_then_of_the_later_choice_wins() {
        let hour = 1_735_693_200; // 2025-01-01T01:00:00Z
        let copy = |off: i16, from: LocalFrom, chosen_at: i64| {
            let h = Hour {
                hour,
                max_bpm: 80,
                sample_count: 10,
                utc_offset_min: Some(off),
                policy: Some(1),
                local: Provenance { from, chosen_at },
            };
            Master::from([(("a".to_string(), hour), h)])
        };
        let p = Policies::from([("a".to_string(), 1)]);
        let off = |m: &Master| m[&("a".to_string(), hour)].utc_offset_min;
        // A zone chosen later moves the hour down as well as up.
        let (berlin, new_york) = (
            copy(60, LocalFrom::Zone, 1_700_000_000),
            copy(-300, LocalFrom::Zone, 1_800_000_000),
        );
        assert_eq!(off(&merge(&berlin, &new_york, &p)), Some(-300));
        assert_eq!(off(&merge(&new_york, &berlin, &p)), Some(-300));
        // Day files (a travel day) beat any choice of zone; a stated offset beats both.
        let tokyo = copy(540, LocalFrom::DayFiles, 0);
        assert_eq!(off(&merge(&new_york, &tokyo, &p)), Some(540));
        let stated = copy(-360, LocalFrom::Stated, 0);
        assert_eq!(off(&merge(&tokyo, &stated, &p)), Some(-360));
        // A copy written before provenance was kept loses to every known evidence, and is
        // read from the old six columns.
        let old = b"account,hour_start_utc,hour_start_local,max_bpm,sample_count,policy\n\
a,2025-01-01T01:00:00Z,2025-01-01T03:00:00+02:00,80,10,0000000000000001\n";
        let old = parse(old).unwrap();
        assert_eq!(old[&("a".to_string(), hour)].local, Provenance::default());
        assert_eq!(off(&merge(&old, &new_york, &p)), Some(-300));
        // The provenance goes to the remote and back.
        let written = String::from_utf8(write(&new_york)).unwrap();
        assert!(
            written.ends_with(",0000000000000001,zone,2027-01-15T08:00:00Z\n"),
            "{written}"
        );
        assert_eq!(parse(written.as_bytes()).unwrap(), new_york);
    }
}

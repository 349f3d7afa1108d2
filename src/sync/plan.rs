//! Deciding what a sync does, with no I/O: from local state (parts merged, dirty days, the
//! local master table) and what the remote holds (its listing, the parts read, its master
//! table), the [`Operation`]s to perform. `sync::run` reads what the plan needs, asks these
//! functions, records every operation in the report (which `--dry-run` prints) and applies
//! them in one place, where a dry run stops.

use std::collections::{BTreeMap, HashSet};

use super::choices::{self, Choices};
use super::master::{self, Master};
use super::{layout, parts};
use crate::model::{Hour, Sample, DAY};

/// One change a sync makes to the local store or the remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// Merge the samples of remote parts this store has not merged yet into the local store.
    MergeParts {
        account: String,
        parts: Vec<String>,
        samples: usize,
    },
    /// Write the local samples of a day that no remote part holds, as a new part.
    Upload {
        account: String,
        day: i64,
        object: String,
        samples: usize,
        bytes: Vec<u8>,
    },
    /// The remote holds every local sample of the day: it is clean.
    MarkClean { account: String, day: i64 },
    /// Add, raise or correct hours of the local master table from the remote's.
    MergeHours { hours: BTreeMap<String, Vec<Hour>> },
    /// Write a master object (an account's hours of one year) as merged, conditional on
    /// the copy read.
    WriteMaster {
        object: String,
        hours: usize,
        bytes: Vec<u8>,
    },
    /// The master object is the merged one already.
    MasterUpToDate { object: String, hours: usize },
    /// Take the remote's source choices that are later than the local ones (the accounts'
    /// hours are computed again under the merged policy).
    MergeChoices { choices: Choices },
    /// Write the merged source choices, conditional on the copy read.
    WriteChoices { choices: usize, bytes: Vec<u8> },
    /// Write an account's sources and whether each is counted (`sources/NAME.csv`), which
    /// the remote lacks or holds otherwise.
    WriteSources {
        object: String,
        sources: usize,
        bytes: Vec<u8>,
    },
    /// Replace the parts of a day by one part holding their union: write it (unless it is
    /// one of them already), read it back, check that it holds every sample of the parts
    /// it replaces, and only then delete those.
    Compact {
        account: String,
        day: i64,
        object: String,
        samples: usize,
        /// The parts the new one replaces (never `object` itself).
        replaces: Vec<String>,
        /// The new part's bytes, or `None` when `object` exists already (it is one of the
        /// day's parts).
        bytes: Option<Vec<u8>>,
    },
    /// Delete the parts of a day that hold no reading once the removed ones are left out.
    DropParts {
        account: String,
        day: i64,
        parts: Vec<String>,
    },
}

impl Operation {
    /// The line `--dry-run` prints for it (`name` gives an object's full name), or `None`
    /// for bookkeeping that changes no data.
    pub fn describe(&self, name: impl Fn(&str) -> String) -> Option<String> {
        Some(match self {
            Operation::MergeParts {
                account,
                parts,
                samples,
            } => format!(
                "merge {samples} samples from {} remote part(s) of account {account} into the local store",
                parts.len()
            ),
            Operation::Upload {
                object, samples, ..
            } => format!("upload {} ({samples} samples)", name(object)),
            Operation::MarkClean { .. } => return None,
            Operation::MergeHours { hours } => format!(
                "merge {} hour(s) from the remote master table into the local one",
                hours.values().map(Vec::len).sum::<usize>()
            ),
            Operation::WriteMaster { object, hours, .. } => {
                format!("write {} ({hours} hours)", name(object))
            }
            Operation::MasterUpToDate { object, hours } => {
                format!("{} is up to date ({hours} hours)", name(object))
            }
            Operation::MergeChoices { choices } => format!(
                "take {} source choice(s) of account(s) {} from the remote",
                choices.values().map(|p| p.choices.len()).sum::<usize>(),
                choices.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
            Operation::WriteChoices { choices, .. } => {
                format!("write {} ({choices} source choices)", name(layout::CHOICES))
            }
            Operation::WriteSources {
                object, sources, ..
            } => format!("write {} ({sources} sources)", name(object)),
            Operation::DropParts { account, day, parts } => format!(
                "delete {} part(s) of account {account}, {}: every reading they held was removed",
                parts.len(),
                parts::date_of(*day)
            ),
            Operation::Compact {
                object,
                samples,
                replaces,
                ..
            } => format!(
                "compact {} part(s) into {} ({samples} samples), then delete the {} it replaces",
                replaces.len() + usize::from(self.writes_nothing()),
                name(object),
                replaces.len()
            ),
        })
    }

    /// A compaction whose union is one of the day's parts already.
    fn writes_nothing(&self) -> bool {
        matches!(self, Operation::Compact { bytes: None, .. })
    }
}

/// Parts to read for one account (its `listing`, by day): those not merged locally yet,
/// and every part of a dirty day (its content decides what the day still has to upload).
/// By day, each day's sorted.
pub fn parts_to_fetch(
    listing: &parts::ByDay,
    known: &HashSet<String>,
    dirty_days: &[i64],
) -> parts::ByDay {
    let dirty: HashSet<i64> = dirty_days.iter().copied().collect();
    listing
        .iter()
        .filter_map(|(day, names)| {
            let read: Vec<String> = names
                .iter()
                .filter(|n| dirty.contains(day) || !known.contains(*n))
                .cloned()
                .collect();
            (!read.is_empty()).then_some((*day, read))
        })
        .collect()
}

/// Whether a day's parts (names) are to be compacted into one: when there are several and
/// the day is `closed` (older than the late window, so no more parts are expected), or when
/// any of them is in the CSV form of earlier fitpipes, whose day is rewritten as Parquet
/// at once.
pub fn needs_compaction(parts: &[String], closed: bool) -> bool {
    (closed && parts.len() > 1)
        || parts
            .iter()
            .any(|p| layout::part_format(p) == Some(layout::PartFormat::Csv))
}

/// The days of a listing to compact ([`needs_compaction`]); a day is closed when it ended
/// at or before the instant `closed_before` (epoch seconds). Sorted.
pub fn days_to_compact(listing: &parts::ByDay, closed_before: i64) -> Vec<i64> {
    listing
        .iter()
        .filter(|(day, names)| needs_compaction(names, (*day + 1) * DAY <= closed_before))
        .map(|(day, _)| *day)
        .collect()
}

/// One part for a day's parts: their samples' union (a sample that two parts hold is held
/// once), named by its content. `None` when the day has one part and it is that union.
pub fn compact(account: &str, day: i64, parts: &BTreeMap<&str, &[Sample]>) -> Option<Operation> {
    let mut union: Vec<Sample> = parts.values().flat_map(|p| p.iter().cloned()).collect();
    union.sort_by(|a, b| {
        (a.ts, &a.device, a.bpm, a.utc_offset_min).cmp(&(b.ts, &b.device, b.bpm, b.utc_offset_min))
    });
    union.dedup();
    if union.is_empty() {
        return (!parts.is_empty()).then(|| Operation::DropParts {
            account: account.to_string(),
            day,
            parts: parts.keys().map(|p| p.to_string()).collect(),
        });
    }
    let (object, bytes) = parts::part_object(account, day, &union);
    let replaces: Vec<String> = parts
        .keys()
        .filter(|p| **p != object)
        .map(|p| p.to_string())
        .collect();
    if replaces.is_empty() {
        return None;
    }
    let exists = parts.contains_key(object.as_str());
    Some(Operation::Compact {
        account: account.to_string(),
        day,
        samples: union.len(),
        replaces,
        bytes: (!exists).then_some(bytes),
        object,
    })
}

/// Days with local hours for which the remote lists no part at all: a new remote, an
/// emptied one, or a day whose parts were deleted. They are dirty whatever this store
/// remembers, because the remote is the truth for what it holds. Sorted.
pub fn unlisted_days(local_days: &[i64], listing: &parts::ByDay) -> Vec<i64> {
    let mut days: Vec<i64> = local_days
        .iter()
        .copied()
        .filter(|d| !listing.contains_key(d))
        .collect();
    days.sort_unstable();
    days.dedup();
    days
}

/// The parts read that this store has not merged yet, as one operation.
pub fn merge_parts(
    account: &str,
    known: &HashSet<String>,
    fetched: &BTreeMap<String, Vec<Sample>>,
) -> Option<Operation> {
    let new: Vec<&String> = fetched.keys().filter(|n| !known.contains(*n)).collect();
    (!new.is_empty()).then(|| Operation::MergeParts {
        account: account.to_string(),
        samples: new.iter().map(|p| fetched[*p].len()).sum(),
        parts: new.into_iter().cloned().collect(),
    })
}

/// The merges of one account's parts, day by day, summed for the one line that lists them.
#[derive(Debug, Default)]
pub struct MergeTotal {
    parts: Vec<String>,
    samples: usize,
}

impl MergeTotal {
    /// Adds a day's [`Operation::MergeParts`].
    pub fn add(&mut self, op: &Operation) {
        if let Operation::MergeParts { parts, samples, .. } = op {
            self.parts.extend(parts.iter().cloned());
            self.samples += samples;
        }
    }

    /// The sum, as one operation (for its description), if anything was merged.
    pub fn operation(self, account: &str) -> Option<Operation> {
        (!self.parts.is_empty()).then(|| Operation::MergeParts {
            account: account.to_string(),
            parts: self.parts,
            samples: self.samples,
        })
    }
}

/// What a dirty day needs when pushing: an upload of the local samples whose instants no
/// remote part holds, or, when the remote has them all, to be marked clean. A restore
/// (`push` false) leaves dirty days as they are.
pub fn day(
    account: &str,
    day: i64,
    local: &[Sample],
    remote: &[Sample],
    push: bool,
) -> Option<Operation> {
    if !push {
        return None;
    }
    // A sample is one source's reading at one instant. A part's sample that names no
    // source (the wearable's own) holds the instant for a local one that names a wearable:
    // the same reading, as the store takes it (`SampleWriter::insert_many`).
    let held: HashSet<(i64, Option<&str>)> =
        remote.iter().map(|s| (s.ts, s.device.as_deref())).collect();
    let missing: Vec<Sample> = local
        .iter()
        .filter(|s| {
            let same = held.contains(&(s.ts, s.device.as_deref()));
            let unlabelled_twin = held.contains(&(s.ts, None))
                && crate::sources::counted_by_default(s.device.as_deref());
            !(same || unlabelled_twin)
        })
        .cloned()
        .collect();
    if missing.is_empty() {
        return Some(Operation::MarkClean {
            account: account.to_string(),
            day,
        });
    }
    let (object, bytes) = parts::part_object(account, day, &missing);
    Some(Operation::Upload {
        account: account.to_string(),
        day,
        object,
        samples: missing.len(),
        bytes,
    })
}

/// The source choices' operations: the remote's choices that change the local ones are
/// taken, and the merged choices written unless the remote copy is them byte for byte or
/// this is a restore. Returns them with the merged choices.
pub fn choices(
    ours: &Choices,
    theirs: &Choices,
    theirs_bytes: Option<&[u8]>,
    push: bool,
) -> (Vec<Operation>, Choices) {
    let merged = choices::merge(ours, theirs);
    let mut ops = Vec::new();
    let taken: Choices = merged
        .iter()
        .filter(|(a, p)| ours.get(*a) != Some(*p))
        .map(|(a, p)| (a.clone(), p.clone()))
        .collect();
    if !taken.is_empty() {
        ops.push(Operation::MergeChoices { choices: taken });
    }
    let bytes = choices::write(&merged);
    let empty = merged.is_empty() && theirs_bytes.is_none();
    if push && !empty && theirs_bytes != Some(bytes.as_slice()) {
        ops.push(Operation::WriteChoices {
            choices: merged.values().map(|p| p.choices.len()).sum(),
            bytes,
        });
    }
    (ops, merged)
}

/// The operations of one master object (`object`; `ours` and `theirs` hold the hours it
/// covers), under the accounts' `current` source policies: hours the remote adds, raises
/// or corrects go into the local table; then the merged hours are written, unless the
/// remote copy (`theirs_bytes`, as read) is byte for byte the merged one or this is a
/// restore (`push` false). A copy that is not written to (the master of earlier fitpipes)
/// is read with `push` false.
pub fn master(
    object: &str,
    ours: &Master,
    theirs: &Master,
    current: &master::Policies,
    theirs_bytes: Option<&[u8]>,
    push: bool,
) -> Vec<Operation> {
    let merged = master::merge(ours, theirs, current);
    let mut ops = Vec::new();
    let mut hours: BTreeMap<String, Vec<Hour>> = BTreeMap::new();
    for (key, h) in &merged {
        if ours.get(key) != Some(h) {
            hours.entry(key.0.clone()).or_default().push(*h);
        }
    }
    if !hours.is_empty() {
        ops.push(Operation::MergeHours { hours });
    }
    let bytes = master::write(&merged);
    if theirs_bytes == Some(bytes.as_slice()) {
        ops.push(Operation::MasterUpToDate {
            object: object.to_string(),
            hours: merged.len(),
        });
    } else if push {
        ops.push(Operation::WriteMaster {
            object: object.to_string(),
            hours: merged.len(),
            bytes,
        });
    }
    ops
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn s(ts: i64, bpm: u16) -> Sample {
        Sample::new(ts, bpm)
    }

    fn p(date: &str, h: &str) -> String {
        format!("samples/account=a/date={date}/part-{h}.csv")
    }

    #[test]
    fn fetch_table() {
        let d1 = parts::day_of(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
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
            let got: Vec<String> = parts_to_fetch(&parts::parts_by_day(&listing), &known, &dirty)
                .into_values()
                .flatten()
                .collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn unlisted_table() {
        let d1 = parts::day_of(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
        let listing = vec![
            p("2025-01-01", "x"),
            p("2025-01-01", "y"),
            p("2025-01-03", "z"),
            "samples/account=a/junk.txt".to_string(),
        ];
        // (local days, listing) -> days the remote lacks
        let cases: Vec<(Vec<i64>, Vec<String>, Vec<i64>)> = vec![
            (vec![], listing.clone(), vec![]),
            (vec![d1, d1 + 2], listing.clone(), vec![]),
            (
                vec![d1, d1 + 1, d1 + 2, d1 + 3],
                listing.clone(),
                vec![d1 + 1, d1 + 3],
            ),
            // A new or emptied remote lacks every day.
            (vec![d1 + 3, d1, d1], vec![], vec![d1, d1 + 3]),
        ];
        for (local, listing, want) in cases {
            assert_eq!(unlisted_days(&local, &parts::parts_by_day(&listing)), want);
        }
    }

    fn of<'a>(v: &[(&'a str, &'a [Sample])]) -> BTreeMap<&'a str, &'a [Sample]> {
        v.iter().map(|(n, s)| (*n, *s)).collect()
    }

    #[test]
    fn compaction_table() {
        let pq = |h: &str| format!("samples/account=a/date=2025-01-01/part-{h}.parquet");
        let d1 = parts::day_of(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
        // (parts, closed) -> compact?
        let cases: Vec<(Vec<String>, bool, bool)> = vec![
            (vec![pq("x")], false, false),
            (vec![pq("x")], true, false),
            (vec![pq("x"), pq("y")], false, false),
            (vec![pq("x"), pq("y")], true, true),
            // A CSV part of an earlier fitpipe is rewritten at once, closed or not.
            (vec![p("2025-01-01", "x")], false, true),
            (vec![p("2025-01-01", "x"), pq("y")], false, true),
        ];
        for (names, closed, want) in cases {
            assert_eq!(
                needs_compaction(&names, closed),
                want,
                "{names:?} closed {closed}"
            );
        }
        let listing = vec![pq("x"), pq("y"), p("2025-01-02", "z")];
        // The first day is closed once it ended, the second is a CSV part.
        let listing = parts::parts_by_day(&listing);
        assert_eq!(days_to_compact(&listing, (d1 + 1) * DAY), vec![d1, d1 + 1]);
        assert_eq!(days_to_compact(&listing, (d1 + 1) * DAY - 1), vec![d1 + 1]);

        let t = d1 * DAY;
        let x = vec![s(t, 60), s(t + 5, 61)];
        let y = vec![s(t + 5, 61), s(t + 9, 70)];
        let (nx, ny) = (pq("x"), pq("y"));
        let Some(Operation::Compact {
            object,
            samples,
            replaces,
            bytes: Some(bytes),
            ..
        }) = compact("a", d1, &of(&[(&nx, &x), (&ny, &y)]))
        else {
            panic!("two parts compact into a new one");
        };
        assert_eq!(samples, 3, "the shared sample once");
        assert_eq!(replaces, vec![nx.clone(), ny.clone()]);
        let union = parts::parse_part(&object, &bytes).unwrap();
        assert_eq!(union, vec![s(t, 60), s(t + 5, 61), s(t + 9, 70)]);
        // The union already stored as one of the parts: only the others go.
        let both: Vec<Sample> = union.clone();
        assert_eq!(
            compact("a", d1, &of(&[(&object, &both), (&nx, &x)])),
            Some(Operation::Compact {
                account: "a".into(),
                day: d1,
                object: object.clone(),
                samples: 3,
                replaces: vec![nx.clone()],
                bytes: None,
            })
        );
        assert_eq!(compact("a", d1, &of(&[(&object, &both)])), None);
    }

    #[test]
    fn merge_table() {
        let fetched: BTreeMap<String, Vec<Sample>> = [
            (p("2025-01-01", "x"), vec![s(1, 60), s(2, 61)]),
            (p("2025-01-01", "y"), vec![s(3, 62)]),
        ]
        .into_iter()
        .collect();
        // known parts -> the merge operation
        type Case = (Vec<String>, Option<(Vec<String>, usize)>);
        let cases: Vec<Case> = vec![
            (
                vec![],
                Some((vec![p("2025-01-01", "x"), p("2025-01-01", "y")], 3)),
            ),
            (
                vec![p("2025-01-01", "x")],
                Some((vec![p("2025-01-01", "y")], 1)),
            ),
            (vec![p("2025-01-01", "x"), p("2025-01-01", "y")], None),
        ];
        for (known, want) in cases {
            let known: HashSet<String> = known.into_iter().collect();
            let want = want.map(|(parts, samples)| Operation::MergeParts {
                account: "a".into(),
                parts,
                samples,
            });
            assert_eq!(merge_parts("a", &known, &fetched), want);
        }
    }

    #[test]
    fn day_table() {
        let d = 20_000;
        let t = d * DAY;
        // (local, remote, push) -> instants uploaded, or marked clean, or nothing
        #[derive(Debug)]
        enum Want {
            Upload(Vec<i64>),
            Clean,
            Nothing,
        }
        let cases: Vec<(Vec<Sample>, Vec<Sample>, bool, Want)> = vec![
            (vec![], vec![], true, Want::Clean),
            (vec![s(t, 60)], vec![], true, Want::Upload(vec![t])),
            (
                vec![s(t, 60), s(t + 5, 61)],
                vec![s(t, 60)],
                true,
                Want::Upload(vec![t + 5]),
            ),
            (
                vec![s(t, 60)],
                vec![s(t, 60), s(t + 9, 70)],
                true,
                Want::Clean,
            ),
            (
                vec![s(t + 5, 61), s(t, 60)],
                vec![],
                true,
                Want::Upload(vec![t, t + 5]),
            ),
            (vec![s(t, 60)], vec![], false, Want::Nothing),
        ];
        for (local, remote, push, want) in cases {
            match (day("a", d, &local, &remote, push), &want) {
                (None, Want::Nothing) => {}
                (Some(Operation::MarkClean { day: got, .. }), Want::Clean) => assert_eq!(got, d),
                (
                    Some(Operation::Upload {
                        object,
                        bytes,
                        samples,
                        ..
                    }),
                    Want::Upload(ts),
                ) => {
                    assert!(
                        object.starts_with("samples/account=a/date=2024-10-04/part-"),
                        "{object}"
                    );
                    let parsed = parts::parse_part(&object, &bytes).unwrap();
                    assert_eq!(parsed.iter().map(|x| x.ts).collect::<Vec<_>>(), *ts);
                    assert_eq!(samples, ts.len());
                }
                (g, w) => panic!("got {g:?}, want {w:?}"),
            }
        }
        // The name is the content's: the same samples give the same object.
        let a = day("a", d, &[s(t, 60)], &[], true).unwrap();
        let b = day("a", d, &[s(t, 60)], &[], true).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, day("a", d, &[s(t, 61)], &[], true).unwrap());
    }

    #[test]
    fn master_table() {
        let hour = |h: i64, max: i64, count: i64, off: Option<i16>| Hour {
            hour: 1_735_689_600 + h * 3600,
            max_bpm: max,
            sample_count: count,
            utc_offset_min: off,
            policy: None,
            local: Default::default(),
        };
        let m = |rows: &[(&str, Hour)]| -> Master {
            rows.iter()
                .map(|(a, h)| ((a.to_string(), h.hour), *h))
                .collect()
        };
        let ours = m(&[
            ("a", hour(0, 80, 10, None)),
            ("a", hour(1, 90, 5, Some(60))),
        ]);
        let theirs = m(&[("a", hour(0, 85, 7, Some(60))), ("b", hour(0, 60, 3, None))]);
        let none = master::Policies::new();
        let merged = master::merge(&ours, &theirs, &none);
        let merged_bytes = master::write(&merged);
        let ours_bytes = master::write(&ours);

        // The remote raises a's hour 0 and adds b's: both go into the local table, and the
        // merged table is written.
        let ops = master(
            "m",
            &ours,
            &theirs,
            &none,
            Some(&master::write(&theirs)),
            true,
        );
        assert_eq!(
            ops,
            vec![
                Operation::MergeHours {
                    hours: [
                        ("a".to_string(), vec![hour(0, 85, 10, Some(60))]),
                        ("b".to_string(), vec![hour(0, 60, 3, None)]),
                    ]
                    .into_iter()
                    .collect()
                },
                Operation::WriteMaster {
                    object: "m".into(),
                    hours: 3,
                    bytes: merged_bytes.clone()
                },
            ]
        );
        // (theirs, bytes read, push) -> the operations' kinds
        type Case = (Master, Option<Vec<u8>>, bool, Vec<&'static str>);
        let cases: Vec<Case> = vec![
            // No remote copy yet: write ours.
            (Master::new(), None, true, vec!["write"]),
            // The remote copy is ours byte for byte.
            (
                ours.clone(),
                Some(ours_bytes.clone()),
                true,
                vec!["up to date"],
            ),
            // Same hours, written differently (a hand-edited form): rewritten.
            (ours.clone(), Some(b"x".to_vec()), true, vec!["write"]),
            // A restore merges hours in but never writes.
            (
                theirs.clone(),
                Some(master::write(&theirs)),
                false,
                vec!["merge"],
            ),
            (Master::new(), None, false, vec![]),
        ];
        for (theirs, bytes, push, want) in cases {
            let ops = master("m", &ours, &theirs, &none, bytes.as_deref(), push);
            let kinds: Vec<&str> = ops
                .iter()
                .map(|o| match o {
                    Operation::MergeHours { .. } => "merge",
                    Operation::WriteMaster { .. } => "write",
                    Operation::MasterUpToDate { .. } => "up to date",
                    _ => "other",
                })
                .collect();
            assert_eq!(kinds, want, "theirs {theirs:?}, push {push}");
        }
    }
}

//! The removals as the remote holds them (`removals.csv`): every removed import of every
//! account with its marks (`crate::removals`), so that a removal made on one machine
//! deletes the same readings on every other and keeps them out of the lake. A grow-only
//! set, merged by union. Pure.

use std::collections::BTreeMap;

use crate::model::validate_account_name;
use crate::removals::{valid_id, Removal, Steps};

/// The columns of `removals.csv`: one row per removal, UTC day and source.
pub const COLUMNS: [&str; 6] = [
    "account",
    "removal",
    "removed_at",
    "day",
    "source",
    "seconds",
];

/// Every removal, by (account, id).
pub type Removals = BTreeMap<(String, String), Removal>;

/// Parses `removals.csv` strictly; an error names the line.
pub fn parse(bytes: &[u8]) -> Result<Removals, String> {
    let mut out = Removals::new();
    crate::export::read_strict(bytes, &COLUMNS, |line, rec| {
        let account = &rec[0];
        validate_account_name(account).map_err(|e| format!("line {line}: {e}"))?;
        let id = &rec[1];
        if !valid_id(id) {
            return Err(format!("line {line}: removal {id:?} is not 16 hex digits"));
        }
        let removed_at = &rec[2];
        if crate::formats::rfc3339(removed_at).is_none() {
            return Err(format!(
                "line {line}: removed_at {removed_at:?} is not RFC 3339"
            ));
        }
        let day = crate::formats::date(&rec[3])
            .map(super::parts::day_of)
            .ok_or_else(|| format!("line {line}: day {:?} is not a date", &rec[3]))?;
        let source = (!rec[4].is_empty()).then(|| rec[4].to_string());
        let seconds = Steps::parse(&rec[5]).map_err(|e| format!("line {line}: seconds {e}"))?;
        let r = out
            .entry((account.to_string(), id.to_string()))
            .or_insert_with(|| Removal {
                id: id.to_string(),
                account: account.to_string(),
                removed_at: removed_at.to_string(),
                marks: Default::default(),
            });
        if r.removed_at != *removed_at {
            return Err(format!(
                "line {line}: removal {id} of {account} has two removed_at times"
            ));
        }
        if r.marks.insert((day, source), seconds).is_some() {
            return Err(format!(
                "line {line}: the day and source of removal {id} appear twice"
            ));
        }
        Ok(())
    })?;
    Ok(out)
}

/// Writes `removals.csv`, sorted by account, removal, day and source.
pub fn write(removals: &Removals) -> Vec<u8> {
    let mut w = crate::export::csv_writer(Vec::new());
    w.write_record(COLUMNS).expect("writing to memory");
    for r in removals.values() {
        for ((day, source), seconds) in &r.marks {
            w.write_record([
                r.account.as_str(),
                r.id.as_str(),
                r.removed_at.as_str(),
                &super::parts::date_of(*day).to_string(),
                source.as_deref().unwrap_or(""),
                seconds.as_str(),
            ])
            .expect("writing to memory");
        }
    }
    w.into_inner().expect("writing to memory")
}

/// Both sides' removals: the union, a removal on both sides with the union of its marks and
/// the earlier time.
pub fn merge(a: &Removals, b: &Removals) -> Removals {
    let mut out = a.clone();
    for (key, theirs) in b {
        match out.get_mut(key) {
            None => {
                out.insert(key.clone(), theirs.clone());
            }
            Some(ours) => {
                for (k, s) in &theirs.marks {
                    let all = match ours.marks.get(k) {
                        Some(o) => o.union(s),
                        None => s.clone(),
                    };
                    ours.marks.insert(k.clone(), all);
                }
                if theirs.removed_at < ours.removed_at {
                    ours.removed_at = theirs.removed_at.clone();
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn removal(
        account: &str,
        id: &str,
        at: &str,
        marks: &[(i64, Option<&str>, &[u32])],
    ) -> Removal {
        Removal {
            id: id.into(),
            account: account.into(),
            removed_at: at.into(),
            marks: marks
                .iter()
                .map(|(d, s, v)| {
                    (
                        (*d, s.map(str::to_string)),
                        crate::removals::Seconds::from_unsorted(v.to_vec()).encode(),
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn removals_round_trip_merge_and_refuse_what_fitpipe_did_not_write() {
        let a: Removals = [removal(
            "me",
            "00000000000000aa",
            "2026-12-01T10:00:00Z",
            &[
                (20_000, None, &[0, 5, 10]),
                (20_000, Some("Charge 6, left"), &[7]),
            ],
        )]
        .into_iter()
        .map(|r| ((r.account.clone(), r.id.clone()), r))
        .collect();
        let text = String::from_utf8(write(&a)).unwrap();
        assert_eq!(
            text,
            "account,removal,removed_at,day,source,seconds\n\
             me,00000000000000aa,2026-12-01T10:00:00Z,2024-10-04,,\"0,5*2\"\n\
             me,00000000000000aa,2026-12-01T10:00:00Z,2024-10-04,\"Charge 6, left\",7\n"
        );
        assert_eq!(parse(text.as_bytes()).unwrap(), a);

        let b: Removals = [
            removal(
                "me",
                "00000000000000aa",
                "2026-12-01T09:00:00Z",
                &[(20_000, None, &[15])],
            ),
            removal(
                "you",
                "00000000000000bb",
                "2026-12-01T11:00:00Z",
                &[(20_001, None, &[1])],
            ),
        ]
        .into_iter()
        .map(|r| ((r.account.clone(), r.id.clone()), r))
        .collect();
        let m = merge(&a, &b);
        assert_eq!(m, merge(&b, &a));
        assert_eq!(merge(&m, &a), m);
        let me = &m[&("me".to_string(), "00000000000000aa".to_string())];
        assert_eq!(
            me.marks[&(20_000, None)].decode().as_slice(),
            &[0, 5, 10, 15]
        );
        assert_eq!(me.removed_at, "2026-12-01T09:00:00Z");
        assert_eq!(m.len(), 2);

        let head = "account,removal,removed_at,day,source,seconds\n";
        for (bad, want) in [
            ("account,removal\n".to_string(), "line 1"),
            (format!("{head}me,xyz,2026-12-01T10:00:00Z,2024-10-04,,0\n"), "16 hex"),
            (format!("{head}me,00000000000000aa,today,2024-10-04,,0\n"), "removed_at"),
            (format!("{head}me,00000000000000aa,2026-12-01T10:00:00Z,someday,,0\n"), "day"),
            (format!("{head}me,00000000000000aa,2026-12-01T10:00:00Z,2024-10-04,,99999\n"), "seconds"),
            (
                format!("{head}me,00000000000000aa,2026-12-01T10:00:00Z,2024-10-04,,0\nme,00000000000000aa,2026-12-01T10:00:00Z,2024-10-04,,1\n"),
                "twice",
            ),
            (
                format!("{head}me,00000000000000aa,2026-12-01T10:00:00Z,2024-10-04,,0\nme,00000000000000aa,2026-12-01T11:00:00Z,2024-10-05,,1\n"),
                "two removed_at",
            ),
        ] {
            let err = parse(bad.as_bytes()).unwrap_err();
            assert!(err.contains(want), "{bad:?}: {err}");
        }
    }
}

//! The source choices as the remote holds them (`sources.csv`): every account's choices of
//! which sources its hourly max counts, so that a choice made on one machine reaches every
//! other. Merged by the later choice of each source (`sources::Policy::merge`). Pure.

use std::collections::BTreeMap;

use crate::model::validate_account_name;
use crate::sources::{Choice, Policy};

/// The columns of `sources.csv`.
pub const COLUMNS: [&str; 4] = ["account", "source", "counted", "changed_at"];

/// Every account's choices, by account.
pub type Choices = BTreeMap<String, Policy>;

/// Parses `sources.csv` strictly; an error names the line.
pub fn parse(bytes: &[u8]) -> Result<Choices, String> {
    let mut out = Choices::new();
    crate::export::read_strict(bytes, &COLUMNS, |line, rec| {
        let account = &rec[0];
        validate_account_name(account).map_err(|e| format!("line {line}: {e}"))?;
        let source = &rec[1];
        if source.is_empty() {
            return Err(format!("line {line}: the source is empty"));
        }
        let counted = match &rec[2] {
            "true" => true,
            "false" => false,
            other => {
                return Err(format!(
                    "line {line}: counted {other:?} is not true or false"
                ))
            }
        };
        let changed_at = &rec[3];
        if crate::formats::rfc3339(changed_at).is_none() {
            return Err(format!(
                "line {line}: changed_at {changed_at:?} is not RFC 3339"
            ));
        }
        let policy = out.entry(account.to_string()).or_default();
        if policy.choices.contains_key(source) {
            return Err(format!(
                "line {line}: source {source:?} of account {account} appears twice"
            ));
        }
        policy.choices.insert(
            source.to_string(),
            Choice {
                counted,
                changed_at: changed_at.to_string(),
            },
        );
        Ok(())
    })?;
    Ok(out)
}

/// Writes `sources.csv`, sorted by account and source.
pub fn write(c: &Choices) -> Vec<u8> {
    let mut w = crate::export::csv_writer(Vec::new());
    w.write_record(COLUMNS).expect("writing to memory");
    for (account, policy) in c {
        for (source, choice) in &policy.choices {
            w.write_record([
                account.as_str(),
                source.as_str(),
                if choice.counted { "true" } else { "false" },
                choice.changed_at.as_str(),
            ])
            .expect("writing to memory");
        }
    }
    w.into_inner().expect("writing to memory")
}

/// The columns of `sources/NAME.csv`.
pub const COUNTED_COLUMNS: [&str; 3] = ["account", "source", "counted"];

/// Writes `sources/NAME.csv`: every source of `account` and whether its hourly max counts
/// it (samples that name no source always count), sorted by source.
pub fn write_counted(account: &str, sources: &[(String, bool)]) -> Vec<u8> {
    let mut w = crate::export::csv_writer(Vec::new());
    w.write_record(COUNTED_COLUMNS).expect("writing to memory");
    for (source, counted) in sources {
        w.write_record([account, source, if *counted { "true" } else { "false" }])
            .expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// Checks that `bytes` is a `sources/NAME.csv` as fitpipe writes it (for `account`), so
/// that a copy fitpipe did not write is named and left alone rather than overwritten.
pub fn check_counted(account: &str, bytes: &[u8]) -> Result<(), String> {
    crate::export::read_strict(bytes, &COUNTED_COLUMNS, |line, rec| {
        if &rec[0] != account {
            return Err(format!(
                "line {line}: account {:?} is not {account:?}",
                &rec[0]
            ));
        }
        if !matches!(&rec[2], "true" | "false") {
            return Err(format!(
                "line {line}: counted {:?} is not true or false",
                &rec[2]
            ));
        }
        Ok(())
    })
}

/// Both sides' choices merged, account by account.
pub fn merge(a: &Choices, b: &Choices) -> Choices {
    let mut out = a.clone();
    for (account, p) in b {
        out.entry(account.clone()).or_default().merge(p);
    }
    out.retain(|_, p| !p.choices.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_round_trip_merge_and_refuse_what_fitpipe_did_not_write() {
        let text = "account,source,counted,changed_at\n\
                    a,\"Phone, Health Connect\",false,2026-12-01T10:00:00Z\n\
                    a,Pixel Watch 3,true,2026-12-01T09:00:00Z\n\
                    b,Fitbit App,true,2026-11-30T08:00:00Z\n";
        let c = parse(text.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(write(&c)).unwrap(), text);
        assert!(!c["a"].counts(Some("Phone, Health Connect")));
        let mut later = Choices::new();
        later.entry("a".into()).or_default().choices.insert(
            "Phone, Health Connect".into(),
            Choice {
                counted: true,
                changed_at: "2026-12-01T11:00:00Z".into(),
            },
        );
        let m = merge(&c, &later);
        assert_eq!(m, merge(&later, &c));
        assert!(m["a"].counts(Some("Phone, Health Connect")));
        assert_eq!(m["b"], c["b"]);
        for (bad, want) in [
            ("source,account\n", "line 1"),
            ("account,source,counted,changed_at\na,x,yes,2026-12-01T10:00:00Z\n", "counted"),
            ("account,source,counted,changed_at\na,x,true,today\n", "changed_at"),
            ("account,source,counted,changed_at\na,,true,2026-12-01T10:00:00Z\n", "empty"),
            (
                "account,source,counted,changed_at\na,x,true,2026-12-01T10:00:00Z\na,x,false,2026-12-01T10:00:00Z\n",
                "twice",
            ),
        ] {
            let err = parse(bad.as_bytes()).unwrap_err();
            assert!(err.contains(want), "{bad:?}: {err}");
        }
    }

    #[test]
    fn counted_sources_are_written_and_checked() {
        let sources = vec![
            ("Fitbit App".to_string(), false),
            ("Pixel Watch 3".to_string(), true),
        ];
        let bytes = write_counted("me", &sources);
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "account,source,counted\nme,Fitbit App,false\nme,Pixel Watch 3,true\n"
        );
        assert!(check_counted("me", &bytes).is_ok());
        assert!(check_counted("you", &bytes).unwrap_err().contains("line 2"));
        assert!(check_counted("me", b"source,counted\nx,true\n").is_err());
        assert!(check_counted("me", b"account,source,counted\nme,x,maybe\n")
            .unwrap_err()
            .contains("counted"));
    }
}

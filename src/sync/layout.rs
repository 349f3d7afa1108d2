//! Object names in the remote (pure). Everything lives below the remote's prefix:
//!
//! ```text
//! PREFIX/hourly_max.csv                                            the master table
//! PREFIX/sources.csv                                               the source choices
//! PREFIX/samples/account=NAME/date=YYYY-MM-DD/part-<hash>.csv      the raw-sample lake
//! PREFIX/.fitpipe.lock                                             file:// remotes only
//! ```
//!
//! Parts are immutable and named by a hash of their content, so uploading one twice is
//! harmless and two machines uploading the same samples write the same object.

use chrono::NaiveDate;

/// The master table's object name.
pub const MASTER: &str = "hourly_max.csv";
/// The object of every account's source choices.
pub const CHOICES: &str = "sources.csv";

/// Joins the prefix and a relative name.
pub fn join(prefix: &str, rel: &str) -> String {
    if prefix.is_empty() {
        rel.to_string()
    } else {
        format!("{prefix}/{rel}")
    }
}

/// `samples/account=NAME/`, relative to the prefix.
pub fn account_dir(account: &str) -> String {
    format!("samples/account={account}/")
}

/// `samples/account=NAME/date=YYYY-MM-DD/part-HASH.csv`, relative to the prefix.
pub fn part(account: &str, date: NaiveDate, hash: &str) -> String {
    format!(
        "{}date={}/part-{hash}.csv",
        account_dir(account),
        date.format("%Y-%m-%d")
    )
}

/// A part's account and date, from its name relative to the prefix.
pub fn parse_part(rel: &str) -> Option<(String, NaiveDate)> {
    let rest = rel.strip_prefix("samples/account=")?;
    let (account, rest) = rest.split_once('/')?;
    let rest = rest.strip_prefix("date=")?;
    let (date, file) = rest.split_once('/')?;
    if !(file.starts_with("part-") && file.ends_with(".csv")) || file.contains('/') {
        return None;
    }
    let date = crate::formats::date(date)?;
    crate::model::validate_account_name(account).ok()?;
    Some((account.to_string(), date))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let d = NaiveDate::from_ymd_opt(2025, 3, 9).unwrap();
        let p = part("me@x.org", d, "ab12");
        assert_eq!(p, "samples/account=me@x.org/date=2025-03-09/part-ab12.csv");
        assert_eq!(parse_part(&p), Some(("me@x.org".into(), d)));
        assert_eq!(join("fit/pipe", MASTER), "fit/pipe/hourly_max.csv");
        assert_eq!(join("", MASTER), "hourly_max.csv");
        assert_eq!(
            parse_part("samples/account=a/date=2025-13-01/part-x.csv"),
            None
        );
        assert_eq!(
            parse_part("samples/account=a/date=2025-01-01/notes.txt"),
            None
        );
        assert_eq!(parse_part("hourly_max.csv"), None);
    }
}

//! Object names in the remote (pure). Everything lives below the remote's prefix:
//!
//! ```text
//! PREFIX/hourly_max.csv                                            the master table
//! PREFIX/sources.csv                                               the source choices
//! PREFIX/samples/account=NAME/date=YYYY-MM-DD/part-<hash>.parquet  the raw-sample lake
//!                                                       (part-<hash>.csv before Parquet)
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

/// The form of a part, from its name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartFormat {
    /// `part-HASH.csv`, written by fitpipe before the lake was Parquet; still read.
    Csv,
    /// `part-HASH.parquet`.
    Parquet,
}

/// The form of the part named `rel`, if it is a part's file name at all.
pub fn part_format(rel: &str) -> Option<PartFormat> {
    let file = rel.rsplit('/').next()?.strip_prefix("part-")?;
    if file.ends_with(".parquet") {
        Some(PartFormat::Parquet)
    } else if file.ends_with(".csv") {
        Some(PartFormat::Csv)
    } else {
        None
    }
}

/// `samples/account=NAME/date=YYYY-MM-DD/part-HASH.parquet`, relative to the prefix.
pub fn part(account: &str, date: NaiveDate, hash: &str) -> String {
    format!(
        "{}date={}/part-{hash}.parquet",
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
    if part_format(file).is_none() || file.contains('/') {
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
        assert_eq!(
            p,
            "samples/account=me@x.org/date=2025-03-09/part-ab12.parquet"
        );
        assert_eq!(parse_part(&p), Some(("me@x.org".into(), d)));
        assert_eq!(part_format(&p), Some(PartFormat::Parquet));
        // Parts written before the lake was Parquet.
        let old = "samples/account=me@x.org/date=2025-03-09/part-ab12.csv";
        assert_eq!(parse_part(old), Some(("me@x.org".into(), d)));
        assert_eq!(part_format(old), Some(PartFormat::Csv));
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

//! Object names in the remote (pure). Everything lives below the remote's prefix:
//!
//! ```text
//! PREFIX/hourly_max/NAME/YYYY.csv                                  the master table: one
//!                                                       object per account and UTC year
//! PREFIX/hourly_max.csv                                            the master table of
//!                                                       earlier fitpipes (read, not written)
//! PREFIX/sources.csv                                               the source choices
//! PREFIX/sources/NAME.csv                                          each account's sources,
//!                                                       counted or not (for engines)
//! PREFIX/samples/account=NAME/date=YYYY-MM-DD/part-<hash>.parquet  the raw-sample lake
//!                                                       (part-<hash>.csv before Parquet)
//! PREFIX/.fitpipe.lock                                             file:// remotes only
//! ```
//!
//! Parts are immutable and named by a hash of their content, so uploading one twice is
//! harmless and two machines uploading the same samples write the same object.

use chrono::NaiveDate;

/// The one master object of every account that fitpipe wrote before the master was kept
/// per account and year: still read (merged into the local table), never written.
pub const LEGACY_MASTER: &str = "hourly_max.csv";

/// The folder of the accounts' counted sources.
pub const SOURCES_DIR: &str = "sources/";

/// `sources/NAME.csv`: every source of `account`'s samples and whether its hourly max
/// counts it, for engines that compute the hourly max from the lake.
pub fn sources_object(account: &str) -> String {
    format!("{SOURCES_DIR}{account}.csv")
}

/// The folder of the master objects.
pub const MASTER_DIR: &str = "hourly_max/";

/// `hourly_max/NAME/`: one account's master objects.
pub fn master_dir(account: &str) -> String {
    format!("{MASTER_DIR}{account}/")
}

/// `hourly_max/NAME/YYYY.csv`: the hours of `account` in UTC year `year`.
pub fn master_object(account: &str, year: i32) -> String {
    format!("{}{year:04}.csv", master_dir(account))
}

/// A master object's account and year, from its name relative to the prefix.
pub fn parse_master_object(rel: &str) -> Option<(String, i32)> {
    let rest = rel.strip_prefix(MASTER_DIR)?;
    let (account, file) = rest.split_once('/')?;
    let year = file.strip_suffix(".csv")?;
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    crate::model::validate_account_name(account).ok()?;
    Some((account.to_string(), year.parse().ok()?))
}

/// The first instant (epoch seconds) of UTC year `year`, and of the next.
pub fn year_range(year: i32) -> std::ops::Range<i64> {
    let start = |y: i32| crate::model::days_from_civil(i64::from(y), 1, 1) * crate::model::DAY;
    start(year)..start(year + 1)
}

/// The UTC year of instant `ts`.
pub fn year_of(ts: i64) -> i32 {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp(ts, 0).map_or(1970, |d| d.year())
}
/// The object of every account's source choices.
pub const CHOICES: &str = "sources.csv";
/// The object of every account's removed imports.
pub const REMOVALS: &str = crate::removals::REMOTE_OBJECT;

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

/// The start of the names of `account`'s parts of day number `day` and after
/// (`samples/account=NAME/date=YYYY-MM-DD`; names sort by day); for a day before any
/// date, the account's folder.
pub fn part_prefix(account: &str, day: i64) -> String {
    match chrono::DateTime::from_timestamp(day.saturating_mul(crate::model::DAY), 0) {
        Some(t) if day >= 0 => format!("{}date={}", account_dir(account), t.date_naive()),
        _ => account_dir(account),
    }
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
    format!("{}date={date}/part-{hash}.parquet", account_dir(account))
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

    fn parts_day(y: i64, m: u32, d: u32) -> i64 {
        crate::model::days_from_civil(y, m, d)
    }

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
        assert_eq!(join("fit/pipe", LEGACY_MASTER), "fit/pipe/hourly_max.csv");
        assert_eq!(join("", LEGACY_MASTER), "hourly_max.csv");
        let m = master_object("me@x.org", 2026);
        assert_eq!(m, "hourly_max/me@x.org/2026.csv");
        assert_eq!(parse_master_object(&m), Some(("me@x.org".into(), 2026)));
        assert_eq!(parse_master_object("hourly_max/me/26.csv"), None);
        assert_eq!(parse_master_object("hourly_max/me/2026.txt"), None);
        assert_eq!(parse_master_object("hourly_max.csv"), None);
        assert_eq!(
            part_prefix("a", parts_day(2025, 3, 9)),
            "samples/account=a/date=2025-03-09"
        );
        assert!(part_prefix("a", parts_day(2025, 3, 9)) <= p.replace("me@x.org", "a"));
        assert_eq!(part_prefix("a", i64::MIN), "samples/account=a/");
        let r = year_range(2024);
        assert_eq!((r.start, r.end), (1_704_067_200, 1_735_689_600));
        assert_eq!(
            (year_of(r.start), year_of(r.end - 1), year_of(r.end)),
            (2024, 2024, 2025)
        );
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

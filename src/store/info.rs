//! Read-side summaries: status figures and the rows of the master-table export.

use rusqlite::OptionalExtension;
use serde::Serialize;

use super::{Result, Store};

/// Figures about one account.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AccountStatus {
    pub account: String,
    pub samples: i64,
    pub hours: i64,
    pub first_sample_utc: Option<String>,
    pub last_sample_utc: Option<String>,
    pub last_import_at: Option<String>,
}

/// Figures about the whole store.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StoreStatus {
    pub database: String,
    pub schema_version: i64,
    pub size_bytes: u64,
    pub accounts: Vec<AccountStatus>,
}

/// One row of the master table, as exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    pub account: String,
    pub hour_start_utc: String,
    pub hour_start_local: Option<String>,
    pub max_bpm: i64,
    pub sample_count: i64,
}

impl Store {
    /// Counts and bounds for every account.
    pub fn status(&self) -> Result<StoreStatus> {
        let mut accounts = Vec::new();
        let mut stmt = self
            .conn
            .prepare("SELECT id, name FROM account ORDER BY name")?;
        let ids = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        for (id, name) in ids {
            let base = id * super::ACCOUNT_FACTOR;
            let end = base + super::ACCOUNT_FACTOR;
            // min/max over the rowid range are single b-tree seeks; the count is a scan.
            let (samples, first, last): (i64, Option<i64>, Option<i64>) = self.conn.query_row(
                "SELECT count(*), min(key) - ?1, max(key) - ?1 FROM sample
                  WHERE key >= ?1 AND key < ?2",
                [base, end],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let hours: i64 = self.conn.query_row(
                "SELECT count(*) FROM hour_max WHERE account_id = ?1",
                [id],
                |r| r.get(0),
            )?;
            let last_import_at: Option<String> = self
                .conn
                .query_row(
                    "SELECT max(finished_at) FROM import_run WHERE account_id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            accounts.push(AccountStatus {
                account: name,
                samples,
                hours,
                first_sample_utc: first.map(format_utc),
                last_sample_utc: last.map(format_utc),
                last_import_at,
            });
        }
        let size_bytes = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        Ok(StoreStatus {
            database: self.path.display().to_string(),
            schema_version: self.schema_version()?,
            size_bytes,
            accounts,
        })
    }

    /// The master table, sorted by account then hour, for `account` or all accounts.
    pub fn for_each_export_row(
        &self,
        account: Option<&str>,
        mut f: impl FnMut(&ExportRow) -> std::io::Result<()>,
    ) -> Result<Result<(), std::io::Error>> {
        let mut stmt = self.conn.prepare(
            "SELECT account, hour_start_utc, hour_start_local, max_bpm, sample_count
               FROM hourly_max
              WHERE ?1 IS NULL OR account = ?1
              ORDER BY account, hour_epoch",
        )?;
        let mut rows = stmt.query([account])?;
        while let Some(r) = rows.next()? {
            let row = ExportRow {
                account: r.get(0)?,
                hour_start_utc: r.get(1)?,
                hour_start_local: r.get(2)?,
                max_bpm: r.get(3)?,
                sample_count: r.get(4)?,
            };
            if let Err(e) = f(&row) {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for UTC epoch seconds.
pub fn format_utc(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| ts.to_string())
}

/// One hour of the master table, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourPoint {
    /// UTC epoch seconds of the hour start.
    pub hour: i64,
    pub max_bpm: i64,
    pub sample_count: i64,
    pub utc_offset_min: Option<i16>,
}

impl Store {
    /// `account`'s hours with `since <= hour < until`, oldest first.
    pub fn hour_points(
        &self,
        account: &str,
        since: Option<i64>,
        until: Option<i64>,
    ) -> Result<Vec<HourPoint>> {
        let mut stmt = self.conn.prepare(
            "SELECT hour_epoch, max_bpm, sample_count, utc_offset_min FROM hourly_max
              WHERE account = ?1 AND hour_epoch >= ?2 AND hour_epoch < ?3
              ORDER BY hour_epoch",
        )?;
        let rows = stmt
            .query_map(
                rusqlite::params![
                    account,
                    since.unwrap_or(i64::MIN),
                    until.unwrap_or(i64::MAX)
                ],
                |r| {
                    Ok(HourPoint {
                        hour: r.get(0)?,
                        max_bpm: r.get(1)?,
                        sample_count: r.get(2)?,
                        utc_offset_min: r.get(3)?,
                    })
                },
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The newest hour start of `account`, if it has any.
    pub fn last_hour(&self, account: &str) -> Result<Option<i64>> {
        Ok(self.conn.query_row(
            "SELECT max(hm.hour) FROM hour_max hm JOIN account a ON a.id = hm.account_id
              WHERE a.name = ?1",
            [account],
            |r| r.get(0),
        )?)
    }
}

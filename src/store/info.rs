//! Read-side summaries: status figures and the rows of the master-table export.

use rusqlite::OptionalExtension;
use serde::Serialize;

use super::{Result, Store};
use crate::model::format_utc;

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
    ///
    /// Gives the same rows as `SELECT ... FROM hourly_max ORDER BY account, hour_epoch`,
    /// computed here because the export and every sync read the whole table: the hours come
    /// in key order and meet the offset spans in one pass, with no per-row SQL formatting.
    pub fn for_each_export_row(
        &self,
        account: Option<&str>,
        mut f: impl FnMut(ExportRow) -> std::io::Result<()>,
    ) -> Result<Result<(), std::io::Error>> {
        let mut accounts = self
            .conn
            .prepare("SELECT id, name FROM account WHERE ?1 IS NULL OR name = ?1 ORDER BY name")?;
        let accounts = accounts
            .query_map([account], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut spans_stmt = self.conn.prepare(
            "SELECT start_ts, end_ts, utc_offset_min FROM offset_span
              WHERE account_id = ?1 ORDER BY start_ts",
        )?;
        let mut hours_stmt = self.conn.prepare(
            "SELECT hour, max_bpm, sample_count, utc_offset_min FROM hour_max
              WHERE account_id = ?1 ORDER BY hour",
        )?;
        for (id, name) in accounts {
            let spans = spans_stmt
                .query_map([id], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut next_span = 0usize;
            let mut rows = hours_stmt.query([id])?;
            while let Some(r) = rows.next()? {
                let hour: i64 = r.get(0)?;
                // The span with the greatest start at or before the hour, if it covers it.
                while next_span < spans.len() && spans[next_span].0 <= hour {
                    next_span += 1;
                }
                let inferred = next_span
                    .checked_sub(1)
                    .map(|i| spans[i])
                    .filter(|s| s.1 > hour)
                    .map(|s| s.2);
                let offset = r.get::<_, Option<i64>>(3)?.or(inferred);
                let row = ExportRow {
                    account: name.clone(),
                    hour_start_utc: format_utc(hour),
                    hour_start_local: offset.map(|o| crate::model::format_hour_local(hour, o)),
                    max_bpm: r.get(1)?,
                    sample_count: r.get(2)?,
                };
                if let Err(e) = f(row) {
                    return Ok(Err(e));
                }
            }
        }
        Ok(Ok(()))
    }
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

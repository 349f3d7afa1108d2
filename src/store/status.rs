//! Status figures of the store and its accounts.

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
}

/// What SQLite's `quick_check` says of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result", content = "problems")]
pub enum Integrity {
    Ok,
    /// The first problems SQLite names.
    Damaged(Vec<String>),
    /// The check did not finish within its time (a very large file on a slow disk).
    Unfinished,
}

/// How many of `quick_check`'s lines are kept.
const PROBLEMS_KEPT: usize = 5;

impl Store {
    /// Runs `PRAGMA quick_check`, interrupted after `budget`.
    pub fn quick_check(&self, budget: std::time::Duration) -> Integrity {
        use std::sync::mpsc::{channel, RecvTimeoutError};
        let handle = self.conn.get_interrupt_handle();
        let (done, timer) = channel::<()>();
        std::thread::scope(|s| {
            s.spawn(move || {
                if timer.recv_timeout(budget) == Err(RecvTimeoutError::Timeout) {
                    handle.interrupt();
                }
            });
            let result = (|| -> rusqlite::Result<Vec<String>> {
                let mut stmt = self.conn.prepare("PRAGMA quick_check")?;
                let mut rows = stmt.query([])?;
                let mut lines = Vec::new();
                while let Some(r) = rows.next()? {
                    if lines.len() < PROBLEMS_KEPT {
                        lines.push(r.get::<_, String>(0)?);
                    }
                }
                Ok(lines)
            })();
            let _ = done.send(());
            match result {
                Ok(lines) if lines == ["ok"] => Integrity::Ok,
                Ok(lines) => Integrity::Damaged(lines),
                Err(rusqlite::Error::SqliteFailure(f, _))
                    if f.code == rusqlite::ErrorCode::OperationInterrupted =>
                {
                    Integrity::Unfinished
                }
                Err(e) => Integrity::Damaged(vec![e.to_string()]),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sound_database_passes_quick_check() {
        let s = Store::open_in_memory().unwrap();
        assert_eq!(
            s.quick_check(std::time::Duration::from_secs(10)),
            Integrity::Ok
        );
    }
}

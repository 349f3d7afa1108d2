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
    /// Imports that started and did not finish (their readings are kept).
    pub interrupted_imports: Vec<super::InterruptedImport>,
    /// Where the local times of the account's hours come from.
    pub local_time: LocalTimeSources,
}

/// How many of an account's hours have a local time, and from what.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct LocalTimeSources {
    /// Hours whose samples state their offset (API pages).
    pub hours_stated: i64,
    /// Hours whose offset came from a copy of the master (another machine's, through the
    /// remote) that does not say what it rests on: written before copies said so.
    pub hours_remote: i64,
    /// Hours whose offset the export's per-local-day files bound.
    pub hours_day_files: i64,
    /// Hours that take the zone's offset.
    pub hours_zone: i64,
    /// Hours without a local time.
    pub hours_unknown: i64,
    /// The zone, and where it came from (`given`, `export`, `config`, `this_machine`).
    pub zone: Option<String>,
    pub zone_source: Option<String>,
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
        let mut interrupted = self.interrupted_imports(None)?;
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
            // As the master table gives each hour its offset (model::Provenance).
            let mut local_time = LocalTimeSources {
                hours_stated: 0,
                hours_remote: 0,
                hours_day_files: 0,
                hours_zone: 0,
                hours_unknown: 0,
                zone: None,
                zone_source: None,
            };
            self.for_each_hour(Some(&name), |_, h| {
                use crate::model::LocalFrom;
                let n = match (h.utc_offset_min, h.local.from) {
                    (None, _) => &mut local_time.hours_unknown,
                    (Some(_), LocalFrom::Stated) => &mut local_time.hours_stated,
                    (Some(_), LocalFrom::Unknown) => &mut local_time.hours_remote,
                    (Some(_), LocalFrom::DayFiles) => &mut local_time.hours_day_files,
                    (Some(_), LocalFrom::Zone) => &mut local_time.hours_zone,
                };
                *n += 1;
                Ok::<_, ()>(())
            })?
            .unwrap_or(());
            if let Some((zone, source)) = self.account_zone(super::AccountId(id))? {
                local_time.zone = Some(zone);
                local_time.zone_source = Some(source);
            }
            let interrupted_imports = interrupted.extract_if(.., |i| i.account == name).collect();
            accounts.push(AccountStatus {
                account: name,
                interrupted_imports,
                samples,
                hours,
                first_sample_utc: first.map(format_utc),
                last_sample_utc: last.map(format_utc),
                last_import_at,
                local_time,
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
    fn the_local_times_of_a_store_from_version_9_are_counted_by_source() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v9.db");
        {
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            super::super::embedded::migrations::runner()
                .set_target(refinery::Target::Version(9))
                .run(&mut conn)
                .unwrap();
            // Five hours: one whose samples stated -04:00, two inside a day file's span,
            // one outside any span, one whose -03:00 no sample here states (merged from
            // another machine's copy of the master).
            conn.execute_batch(
                "INSERT INTO account (id, name, created_at) VALUES (0, 'a', 'then');
                 INSERT INTO sample (key, bpm, utc_offset_min) VALUES (60, 80, -240);
                 INSERT INTO hour_max (account_id, hour, max_bpm, sample_count, utc_offset_min)
                 VALUES (0, 0, 80, 1, -240), (0, 3600, 81, 1, NULL), (0, 7200, 82, 1, NULL),
                        (0, 36000, 83, 1, NULL), (0, 50400, 84, 1, -180);
                 INSERT INTO offset_span (account_id, start_ts, end_ts, utc_offset_min)
                 VALUES (0, 0, 10800, -300);",
            )
            .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        let lt = |s: &Store| s.status().unwrap().accounts[0].local_time.clone();
        assert_eq!(
            lt(&store),
            LocalTimeSources {
                hours_stated: 1,
                hours_remote: 1,
                hours_day_files: 2,
                hours_zone: 0,
                hours_unknown: 1,
                zone: None,
                zone_source: None,
            }
        );
        // The zone fills the rest and takes the place of the copy's offset, which says
        // nothing of what it rests on; a span of the same offset only changes its source.
        let span = |start, end, offset, from_zone| crate::store::OffsetSpan {
            start,
            end,
            offset,
            from_zone,
        };
        store
            .set_offsets(
                crate::store::AccountId(0),
                &[
                    span(0, 3600 * 5, -300, false),
                    span(3600 * 5, 3600 * 20, -300, true),
                ],
                Some(("America/New_York", "config", 1_800_000_000)),
            )
            .unwrap();
        let now = lt(&store);
        assert_eq!(
            (
                now.hours_stated,
                now.hours_remote,
                now.hours_day_files,
                now.hours_zone,
                now.hours_unknown
            ),
            (1, 0, 2, 2, 0)
        );
        assert_eq!(now.zone.as_deref(), Some("America/New_York"));
        assert_eq!(now.zone_source.as_deref(), Some("config"));
    }

    #[test]
    fn a_sound_database_passes_quick_check() {
        let s = Store::open_in_memory().unwrap();
        assert_eq!(
            s.quick_check(std::time::Duration::from_secs(10)),
            Integrity::Ok
        );
    }
}

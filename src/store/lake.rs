//! Local state for syncing with the remote lake: dirty days, merged parts, a day's samples.

use std::collections::HashSet;

use rusqlite::params;

use super::{AccountId, Result, Store, ACCOUNT_FACTOR};
use crate::model::{Sample, DAY};

impl Store {
    /// Days (epoch day numbers) of `account` whose samples may not all be in the lake.
    pub fn dirty_days(&self, account: AccountId) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn
            .prepare("SELECT day FROM lake_dirty WHERE account_id = ?1 ORDER BY day")?;
        let days = stmt
            .query_map([account.0], |r| r.get(0))?
            .collect::<Result<Vec<i64>, _>>()?;
        Ok(days)
    }

    /// Days (epoch day numbers, from day `from` on) on which `account` has hours in the
    /// master table.
    pub fn days_with_hours(&self, account: AccountId, from: i64) -> Result<Vec<i64>> {
        // One index seek per day (from each day to the next hour stored), rather than a
        // scan of every hour and a sort.
        let mut stmt = self.conn.prepare_cached(
            "WITH RECURSIVE d(day) AS (
                 SELECT (SELECT min(hour) FROM hour_max
                          WHERE account_id = ?1 AND hour >= ?2 * 86400) / 86400
                 UNION ALL
                 SELECT (SELECT min(hour) FROM hour_max
                          WHERE account_id = ?1 AND hour >= (d.day + 1) * 86400) / 86400
                   FROM d WHERE d.day IS NOT NULL)
             SELECT day FROM d WHERE day IS NOT NULL",
        )?;
        let days = stmt
            .query_map(params![account.0, from], |r| r.get(0))?
            .collect::<Result<Vec<i64>, _>>()?;
        Ok(days)
    }

    /// Marks days of `account` as possibly missing from the lake.
    pub fn mark_days_dirty(&mut self, account: AccountId, days: &[i64]) -> Result<()> {
        let tx = self.begin()?;
        {
            let mut stmt =
                tx.prepare("INSERT OR IGNORE INTO lake_dirty (account_id, day) VALUES (?1, ?2)")?;
            for d in days {
                stmt.execute(params![account.0, d])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The lake holds every sample of `day` now.
    pub fn mark_day_clean(&mut self, account: AccountId, day: i64) -> Result<()> {
        self.conn.execute(
            "DELETE FROM lake_dirty WHERE account_id = ?1 AND day = ?2",
            params![account.0, day],
        )?;
        Ok(())
    }

    /// Part objects already merged into the local store, of the names from `from` on
    /// (part names sort by account and day, so a day's name bounds the days after it).
    pub fn known_parts(&self, account: AccountId, from: &str) -> Result<HashSet<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name FROM lake_part WHERE account_id = ?1 AND name >= ?2")?;
        let names = stmt
            .query_map(params![account.0, from], |r| r.get(0))?
            .collect::<Result<HashSet<String>, _>>()?;
        Ok(names)
    }

    /// The first part (by name) merged into the local store, of the names before `before`.
    pub fn first_known_part(&self, account: AccountId, before: &str) -> Result<Option<String>> {
        Ok(self.conn.query_row(
            "SELECT min(name) FROM lake_part WHERE account_id = ?1 AND name < ?2",
            params![account.0, before],
            |r| r.get(0),
        )?)
    }

    /// Remembers that these parts are merged.
    pub fn record_parts(&mut self, account: AccountId, names: &[String]) -> Result<()> {
        let tx = self.begin()?;
        {
            let mut stmt =
                tx.prepare("INSERT OR IGNORE INTO lake_part (account_id, name) VALUES (?1, ?2)")?;
            for n in names {
                stmt.execute(params![account.0, n])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Forgets parts that are gone from the remote (compacted into another).
    pub fn forget_part_names(&mut self, account: AccountId, names: &[String]) -> Result<()> {
        let tx = self.begin()?;
        {
            let mut stmt =
                tx.prepare("DELETE FROM lake_part WHERE account_id = ?1 AND name = ?2")?;
            for n in names {
                stmt.execute(params![account.0, n])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Forgets what is known of the remote's parts, so the next sync re-reads them all.
    pub fn forget_parts(&mut self, account: AccountId) -> Result<()> {
        self.conn
            .execute("DELETE FROM lake_part WHERE account_id = ?1", [account.0])?;
        Ok(())
    }

    /// The samples of one UTC day, of every source, by time (and source).
    pub fn day_samples(&self, account: AccountId, day: i64) -> Result<Vec<Sample>> {
        let base = account.key_base();
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.key - ?1 AS ts, s.bpm, s.utc_offset_min, d.name AS device
               FROM sample s LEFT JOIN device d ON d.id = s.device_id
              WHERE s.key >= ?1 + ?2 AND s.key < ?1 + ?3
             UNION ALL
             SELECT m.key - ?1, m.bpm, m.utc_offset_min, d.name
               FROM sample_more m JOIN device d ON d.id = m.device_id
              WHERE m.key >= ?1 + ?2 AND m.key < ?1 + ?3
              ORDER BY ts, device",
        )?;
        let rows = stmt
            .query_map(params![base, day * DAY, (day + 1) * DAY], |r| {
                Ok(Sample {
                    ts: r.get(0)?,
                    bpm: r.get(1)?,
                    utc_offset_min: r.get(2)?,
                    device: r.get::<_, Option<String>>(3)?.map(Into::into),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

/// Whether `ts` can be stored.
pub fn storable(ts: i64) -> bool {
    (0..ACCOUNT_FACTOR).contains(&ts)
}

/// What this store knows of one remote object: the version it last wrote, or read and
/// merged, and the master table's change counter ([`Store::master_seq`]) at that moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteObjectState {
    pub e_tag: Option<String>,
    pub version: Option<String>,
    pub seq: i64,
    /// Hours the object holds (master objects).
    pub hours: usize,
}

impl Store {
    /// The master table's change counter: it grows with every change of `hour_max`.
    pub fn master_seq(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT seq FROM master_seq WHERE id = 1", [], |r| r.get(0))?)
    }

    /// The UTC years in which `account` has (or had) hours, with the change counter of
    /// the last change to each.
    pub fn master_years(&self, account: AccountId) -> Result<Vec<(i32, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT year, seq FROM master_change WHERE account_id = ?1 ORDER BY year",
        )?;
        let rows = stmt
            .query_map([account.0], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The change counter of the last change to `account`'s hours of UTC year `year`.
    pub fn master_year_seq(&self, account: AccountId, year: i32) -> Result<i64> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row(
                "SELECT seq FROM master_change WHERE account_id = ?1 AND year = ?2",
                params![account.0, year],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }

    /// Hours of `account` that start in `range`.
    pub fn hour_count_in(&self, account: AccountId, range: std::ops::Range<i64>) -> Result<usize> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM hour_max WHERE account_id = ?1 AND hour >= ?2 AND hour < ?3",
            params![account.0, range.start, range.end],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }

    /// The remote this store last synced its lake with, if any.
    pub fn lake_remote(&self) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row("SELECT remote FROM lake_remote WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Switches the lake's dirty days to `remote`: when it is not the remote they were
    /// kept for, every day with hours is dirty again (for every account), since the days
    /// marked clean were clean for the other one.
    pub fn switch_lake_remote(&mut self, remote: &str) -> Result<bool> {
        let previous = self.lake_remote()?;
        if previous.as_deref() == Some(remote) {
            return Ok(false);
        }
        let tx = self.begin()?;
        if previous.is_some() {
            tx.execute(
                "INSERT OR IGNORE INTO lake_dirty (account_id, day)
                 SELECT DISTINCT account_id, hour / 86400 FROM hour_max",
                [],
            )?;
        }
        tx.execute(
            "INSERT INTO lake_remote (id, remote) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET remote = excluded.remote",
            [remote],
        )?;
        tx.commit()?;
        Ok(previous.is_some())
    }

    /// When this store last listed every part of `remote` (epoch seconds), if ever.
    pub fn full_listing_at(&self, remote: &str) -> Result<Option<i64>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row(
                "SELECT listed_at FROM remote_listing WHERE remote = ?1",
                [remote],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Remembers a listing of every part of `remote` at `at` (epoch seconds).
    pub fn set_full_listing_at(&mut self, remote: &str, at: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO remote_listing (remote, listed_at) VALUES (?1, ?2)
             ON CONFLICT (remote) DO UPDATE SET listed_at = excluded.listed_at",
            params![remote, at],
        )?;
        Ok(())
    }

    /// What is known of object `name` of remote `remote`.
    pub fn remote_object(&self, remote: &str, name: &str) -> Result<Option<RemoteObjectState>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row(
                "SELECT e_tag, version, seq, hours FROM remote_object WHERE remote = ?1 AND name = ?2",
                params![remote, name],
                |r| {
                    Ok(RemoteObjectState {
                        e_tag: r.get(0)?,
                        version: r.get(1)?,
                        seq: r.get(2)?,
                        hours: r.get::<_, i64>(3)? as usize,
                    })
                },
            )
            .optional()?)
    }

    /// Remembers what object `name` of remote `remote` is now.
    pub fn set_remote_object(
        &mut self,
        remote: &str,
        name: &str,
        state: &RemoteObjectState,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO remote_object (remote, name, e_tag, version, seq, hours)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (remote, name) DO UPDATE
                SET e_tag = excluded.e_tag, version = excluded.version, seq = excluded.seq,
                    hours = excluded.hours",
            params![
                remote,
                name,
                state.e_tag,
                state.version,
                state.seq,
                state.hours as i64
            ],
        )?;
        Ok(())
    }

    /// Forgets what is known of object `name` of remote `remote`.
    pub fn forget_remote_object(&mut self, remote: &str, name: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM remote_object WHERE remote = ?1 AND name = ?2",
            params![remote, name],
        )?;
        Ok(())
    }
}

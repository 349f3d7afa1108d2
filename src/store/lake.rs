//! Local state for syncing with the remote: dirty days, merged parts, a day's samples, and
//! merging the remote master table into the local one.

use std::collections::HashSet;

use rusqlite::params;

use super::{AccountId, Result, Store, ACCOUNT_FACTOR};
use crate::model::DAY;

/// A stored sample with its device name, as the lake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeSample {
    pub ts: i64,
    pub bpm: u16,
    pub utc_offset_min: Option<i16>,
    pub device: Option<String>,
}

/// One hour of the master table as the remote copy states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterHour {
    pub hour: i64,
    pub max_bpm: i64,
    pub sample_count: i64,
    pub utc_offset_min: Option<i16>,
}

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

    /// The lake holds every sample of `day` now.
    pub fn mark_day_clean(&mut self, account: AccountId, day: i64) -> Result<()> {
        self.conn.execute(
            "DELETE FROM lake_dirty WHERE account_id = ?1 AND day = ?2",
            params![account.0, day],
        )?;
        Ok(())
    }

    /// Part objects already merged into the local store.
    pub fn known_parts(&self, account: AccountId) -> Result<HashSet<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM lake_part WHERE account_id = ?1")?;
        let names = stmt
            .query_map([account.0], |r| r.get(0))?
            .collect::<Result<HashSet<String>, _>>()?;
        Ok(names)
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

    /// Forgets what is known of the remote's parts, so the next sync re-reads them all.
    pub fn forget_parts(&mut self, account: AccountId) -> Result<()> {
        self.conn
            .execute("DELETE FROM lake_part WHERE account_id = ?1", [account.0])?;
        Ok(())
    }

    /// The samples of one UTC day, by time.
    pub fn day_samples(&self, account: AccountId, day: i64) -> Result<Vec<LakeSample>> {
        let base = account.key_base();
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.key - ?1, s.bpm, s.utc_offset_min, d.name
               FROM sample s LEFT JOIN device d ON d.id = s.device_id
              WHERE s.key >= ?1 + ?2 AND s.key < ?1 + ?3
              ORDER BY s.key",
        )?;
        let rows = stmt
            .query_map(params![base, day * DAY, (day + 1) * DAY], |r| {
                Ok(LakeSample {
                    ts: r.get(0)?,
                    bpm: r.get(1)?,
                    utc_offset_min: r.get(2)?,
                    device: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Merges hours from the remote master into the local one: the larger max and count
    /// win, and a stated offset replaces the local one. Returns how many hours changed.
    pub fn merge_master_hours(
        &mut self,
        account: AccountId,
        hours: &[MasterHour],
    ) -> Result<usize> {
        let tx = self.begin()?;
        let mut changed = 0;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO hour_max (account_id, hour, max_bpm, sample_count, utc_offset_min)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account_id, hour) DO UPDATE
                    SET max_bpm = max(hour_max.max_bpm, excluded.max_bpm),
                        sample_count = max(hour_max.sample_count, excluded.sample_count),
                        utc_offset_min = coalesce(excluded.utc_offset_min, hour_max.utc_offset_min)
                  WHERE hour_max.max_bpm < excluded.max_bpm
                     OR hour_max.sample_count < excluded.sample_count
                     OR (excluded.utc_offset_min IS NOT NULL
                         AND hour_max.utc_offset_min IS NOT excluded.utc_offset_min)",
            )?;
            for h in hours {
                changed += stmt.execute(params![
                    account.0,
                    h.hour,
                    h.max_bpm,
                    h.sample_count,
                    h.utc_offset_min
                ])?;
            }
        }
        tx.commit()?;
        Ok(changed)
    }
}

/// Whether `ts` can be stored.
pub fn storable(ts: i64) -> bool {
    (0..ACCOUNT_FACTOR).contains(&ts)
}

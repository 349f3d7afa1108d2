//! Local state of the Google Health API pull: who is logged in, and how far the pull got.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension};

use super::{AccountId, Result, SampleWriter, Store};

/// A committed page of the pull, known by a hash of its content (`health_api::fingerprint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownPage {
    pub content: u128,
    /// Valid samples on the page, all stored.
    pub samples: u32,
    /// Points on it that are not valid samples.
    pub rejected: u32,
    /// The page's next-page token, kept when the page was hashed whole (token included).
    pub next_token: Option<String>,
}

/// An account's login record (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Login {
    pub account: String,
    pub token_store: String,
    pub scope: String,
    pub logged_in_at: String,
}

impl Store {
    /// Records that `account` has a Google login.
    pub fn record_login(
        &mut self,
        account: AccountId,
        token_store: &str,
        scope: &str,
        now: &str,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO auth_login (account_id, token_store, scope, logged_in_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (account_id) DO UPDATE
                SET token_store = excluded.token_store, scope = excluded.scope,
                    logged_in_at = excluded.logged_in_at",
            params![account.0, token_store, scope, now],
        )?;
        Ok(())
    }

    /// Forgets `account`'s login.
    pub fn remove_login(&mut self, account: AccountId) -> Result<()> {
        self.conn
            .execute("DELETE FROM auth_login WHERE account_id = ?1", [account.0])?;
        Ok(())
    }

    /// Every account with a login, by name.
    pub fn logins(&self) -> Result<Vec<Login>> {
        let mut stmt = self.conn.prepare(
            "SELECT a.name, l.token_store, l.scope, l.logged_in_at
               FROM auth_login l JOIN account a ON a.id = l.account_id ORDER BY a.name",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Login {
                    account: r.get(0)?,
                    token_store: r.get(1)?,
                    scope: r.get(2)?,
                    logged_in_at: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The pull's cursor and its floor (the earliest instant it was asked for; `None` when
    /// the pulls that set it predate version 7), if `account` was pulled.
    pub fn pull_state(&self, account: AccountId) -> Result<Option<(i64, Option<i64>)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT cursor, floor FROM pull_state WHERE account_id = ?1",
                [account.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }
}

impl SampleWriter<'_> {
    /// Moves the pull cursor forward (never back) in this transaction, so it advances only
    /// together with the samples that justify it; `floor`, the start of the pull that
    /// commits, lowers the pull's floor (a floor unknown from an older version stays so).
    pub fn advance_pull_cursor(&mut self, cursor: i64, floor: i64, now: &str) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO pull_state (account_id, cursor, last_pull_at, floor) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (account_id) DO UPDATE
                    SET cursor = max(pull_state.cursor, excluded.cursor),
                        last_pull_at = excluded.last_pull_at,
                        floor = min(pull_state.floor, excluded.floor)",
            )?
            .execute(params![self.account.0, cursor, now, floor])?;
        Ok(())
    }

    /// Remembers the pages of a chunk ending at `chunk_end` that this transaction commits,
    /// and forgets those of chunks that ended before `forget_before`.
    pub fn remember_pages(
        &mut self,
        pages: &[KnownPage],
        chunk_end: i64,
        forget_before: i64,
    ) -> Result<()> {
        let mut put = self.tx.prepare_cached(
            "INSERT INTO pull_page (account_id, content, chunk_end, samples, rejected, next_token)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (account_id, content) DO UPDATE
                SET chunk_end = max(pull_page.chunk_end, excluded.chunk_end)",
        )?;
        for p in pages {
            put.execute(params![
                self.account.0,
                p.content.to_be_bytes(),
                chunk_end,
                p.samples,
                p.rejected,
                p.next_token
            ])?;
        }
        self.tx
            .prepare_cached("DELETE FROM pull_page WHERE account_id = ?1 AND chunk_end < ?2")?
            .execute(params![self.account.0, forget_before])?;
        Ok(())
    }
}

/// An hour as the API's roll-up summarised it when its chunk was last read: the hour start
/// and its maximum, minimum and mean bpm.
pub type HourFigures = (i64, [f64; 3]);

impl Store {
    /// The roll-up figures remembered for `account`'s hours in `[from, to)`, by hour.
    pub fn pulled_hours(
        &self,
        account: AccountId,
        from: i64,
        to: i64,
    ) -> Result<HashMap<i64, [f64; 3]>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT hour, max_bpm, min_bpm, avg_bpm FROM pull_hour
              WHERE account_id = ?1 AND hour >= ?2 AND hour < ?3",
        )?;
        let rows = stmt
            .query_map(params![account.0, from, to], |r| {
                Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?]))
            })?
            .collect::<rusqlite::Result<HashMap<_, _>>>()?;
        Ok(rows)
    }
}

impl SampleWriter<'_> {
    /// Remembers the roll-up figures of the hours in `[from, to)` (a chunk this transaction
    /// commits) as `figures` gives them, an hour missing from it forgotten, and forgets the
    /// hours before `forget_before`.
    pub fn remember_hours(
        &mut self,
        from: i64,
        to: i64,
        figures: impl IntoIterator<Item = HourFigures>,
        forget_before: i64,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "DELETE FROM pull_hour WHERE account_id = ?1 AND (hour < ?2 OR (hour >= ?3 AND hour < ?4))",
            )?
            .execute(params![self.account.0, forget_before, from, to])?;
        let mut put = self.tx.prepare_cached(
            "INSERT OR REPLACE INTO pull_hour (account_id, hour, max_bpm, min_bpm, avg_bpm)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (hour, [max, min, avg]) in figures {
            if (from..to).contains(&hour) && hour >= forget_before {
                put.execute(params![self.account.0, hour, max, min, avg])?;
            }
        }
        Ok(())
    }
}

impl Store {
    /// Samples of `account` stored in `[from, to)`, in time order: each instant, whether
    /// it has an offset, and its source's id (`None`: it names none); an instant held by
    /// several sources comes once for each. Lets a pull skip, without a write statement,
    /// what it re-fetched.
    pub fn stored_in(
        &self,
        account: AccountId,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, bool, Option<i64>)>> {
        let base = account.key_base();
        let mut stmt = self.conn.prepare_cached(
            "SELECT key - ?1 AS ts, utc_offset_min IS NOT NULL, device_id
               FROM sample WHERE key >= ?1 + ?2 AND key < ?1 + ?3
             UNION ALL
             SELECT key - ?1, utc_offset_min IS NOT NULL, device_id
               FROM sample_more WHERE key >= ?1 + ?2 AND key < ?1 + ?3
             ORDER BY ts",
        )?;
        let rows = stmt
            .query_map(
                params![base, from.max(0), to.min(super::ACCOUNT_FACTOR)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The id of every source label the store knows.
    pub fn source_ids(&self) -> Result<HashMap<String, i64>> {
        let mut stmt = self.conn.prepare_cached("SELECT name, id FROM device")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

impl Store {
    /// The committed pages of `account`'s pull that are still remembered, by content hash.
    pub fn known_pages(&self, account: AccountId) -> Result<HashMap<u128, KnownPage>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT content, samples, rejected, next_token FROM pull_page WHERE account_id = ?1",
        )?;
        let mut rows = stmt.query([account.0])?;
        let mut out = HashMap::new();
        while let Some(r) = rows.next()? {
            let bytes: Vec<u8> = r.get(0)?;
            // A hash of another length cannot come from this version: leave it unmatched.
            let Ok(bytes) = <[u8; 16]>::try_from(bytes.as_slice()) else {
                continue;
            };
            let content = u128::from_be_bytes(bytes);
            out.insert(
                content,
                KnownPage {
                    content,
                    samples: r.get(1)?,
                    rejected: r.get(2)?,
                    next_token: r.get(3)?,
                },
            );
        }
        Ok(out)
    }
}

impl Store {
    /// Records a finished sync.
    pub fn record_sync_run(&mut self, finished_at: &str, pulled: u64, pushed: bool) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sync_run (finished_at, pulled, pushed) VALUES (?1, ?2, ?3)",
            params![finished_at, pulled as i64, pushed],
        )?;
        Ok(())
    }

    /// When the last sync finished, if one did.
    pub fn last_sync(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT max(finished_at) FROM sync_run", [], |r| r.get(0))?)
    }

    /// The newest sample instant of every account.
    pub fn last_samples(&self) -> Result<Vec<(String, Option<i64>)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, name FROM account ORDER BY name")?;
        let accounts = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::new();
        for (id, name) in accounts {
            out.push((name, self.last_sample(AccountId(id))?));
        }
        Ok(out)
    }

    /// The oldest sample instant of `account`, if it has one.
    pub fn first_sample(&self, account: AccountId) -> Result<Option<i64>> {
        let base = account.key_base();
        Ok(self.conn.query_row(
            "SELECT min(key) - ?1 FROM sample WHERE key >= ?1 AND key < ?1 + ?2",
            params![base, super::ACCOUNT_FACTOR],
            |r| r.get(0),
        )?)
    }

    /// The newest sample instant of `account`, if it has one.
    pub fn last_sample(&self, account: AccountId) -> Result<Option<i64>> {
        let base = account.key_base();
        Ok(self.conn.query_row(
            "SELECT max(key) - ?1 FROM sample WHERE key >= ?1 AND key < ?1 + ?2",
            params![base, super::ACCOUNT_FACTOR],
            |r| r.get(0),
        )?)
    }

    /// The newest migration this build knows.
    pub fn latest_schema_version() -> i64 {
        super::embedded_latest()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(content: u128, samples: u32) -> KnownPage {
        KnownPage {
            content,
            samples,
            rejected: 1,
            next_token: (content == 2).then(|| "t".to_string()),
        }
    }

    #[test]
    fn pages_are_remembered_per_account_and_forgotten_with_their_chunk() {
        let mut store = Store::open_in_memory().unwrap();
        let a = store.ensure_account("a", "2026-11-27T00:00:00Z").unwrap();
        let b = store.ensure_account("b", "2026-11-27T00:00:00Z").unwrap();
        let mut w = store.sample_writer(a).unwrap();
        w.remember_pages(&[page(1, 10), page(u128::MAX, 20)], 100, 0)
            .unwrap();
        w.commit().unwrap();
        let mut w = store.sample_writer(a).unwrap();
        // Seen again in a later chunk: kept as long as that one.
        w.remember_pages(&[page(2, 30), page(1, 10)], 200, 150)
            .unwrap();
        drop(w); // not committed: nothing of it holds
        let mut kept: Vec<u128> = store.known_pages(a).unwrap().into_keys().collect();
        kept.sort();
        assert_eq!(kept, vec![1, u128::MAX]);
        let mut w = store.sample_writer(a).unwrap();
        w.remember_pages(&[page(2, 30), page(1, 10)], 200, 150)
            .unwrap();
        w.commit().unwrap();
        let known = store.known_pages(a).unwrap();
        let mut got: Vec<_> = known.values().cloned().collect();
        got.sort_by_key(|p| p.content);
        assert_eq!(got, vec![page(1, 10), page(2, 30)]);
        assert!(store.known_pages(b).unwrap().is_empty());
    }
}

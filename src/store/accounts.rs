//! Accounts: a name the user chooses, mapped to a small id packed into sample keys.

use rusqlite::{params, OptionalExtension};

use super::{Result, Store, StoreError, ACCOUNT_FACTOR};

/// The store's id for an account (0 to 255).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccountId(pub(crate) i64);

impl AccountId {
    /// The first sample key of this account.
    pub(crate) fn key_base(self) -> i64 {
        self.0 * ACCOUNT_FACTOR
    }
}

impl Store {
    /// The id of `name`, when the account exists.
    pub fn account(&self, name: &str) -> Result<Option<AccountId>> {
        Ok(self
            .conn
            .query_row("SELECT id FROM account WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?
            .map(AccountId))
    }

    /// The id of `name`, creating the account when needed.
    pub fn ensure_account(&mut self, name: &str, now: &str) -> Result<AccountId> {
        if let Some(id) = self.account(name)? {
            return Ok(id);
        }
        let tx = self.begin()?;
        let free: Option<i64> = tx.query_row(
            "SELECT min(n) FROM (SELECT 0 AS n UNION ALL SELECT id + 1 FROM account)
             WHERE n NOT IN (SELECT id FROM account) AND n < 256",
            [],
            |r| r.get(0),
        )?;
        let id = free.ok_or(StoreError::TooManyAccounts)?;
        // A new account has no choices: its hours are computed under the default policy
        // from the first sample on.
        tx.execute(
            "INSERT INTO account (id, name, created_at, policy) VALUES (?1, ?2, ?3, ?4)",
            params![
                id,
                name,
                now,
                crate::sources::Policy::default().version() as i64
            ],
        )?;
        tx.commit()?;
        Ok(AccountId(id))
    }

    /// All account names, sorted.
    pub fn account_names(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM account ORDER BY name")?;
        let names = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_get_small_stable_ids() {
        let mut s = Store::open_in_memory().unwrap();
        let a = s.ensure_account("default", "t").unwrap();
        let b = s.ensure_account("other", "t").unwrap();
        assert_eq!(a, AccountId(0));
        assert_eq!(b, AccountId(1));
        assert_eq!(s.ensure_account("default", "t").unwrap(), a);
        assert_eq!(s.account_names().unwrap(), vec!["default", "other"]);
        assert_eq!(s.account("nobody").unwrap(), None);
    }
}

//! The local SQLite store: opening, pragmas, migrations, and the typed reads and writes the
//! rest of fitpipe uses. rusqlite lives here and nowhere else; nothing here prints.

mod accounts;
mod lake;
mod master;
mod pull;
mod query;
mod removals;
mod samples;
mod sources;
mod status;

pub use accounts::AccountId;
pub use lake::{storable, RemoteObjectState};
pub use pull::{HourFigures, KnownPage, Login};
pub use query::{Cell, Row, Rows};
pub use removals::{ImportInfo, InterruptedImport, RemovalApplied};
pub use samples::{DayFile, HourRanges, InsertOutcome, OffsetSpan, SampleWriter};
pub use sources::SourceInfo;
pub use status::{AccountStatus, Integrity, LocalTimeSources, StoreStatus};

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// Sample keys pack the account into the bits above the epoch seconds.
pub(crate) const ACCOUNT_FACTOR: i64 = 1 << 35;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("open the database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("create {path}: {source}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no database at {0}")]
    Missing(PathBuf),
    #[error("migrate the database schema: {0}")]
    Migrate(String),
    #[error("the database is locked by another fitpipe process")]
    Busy,
    #[error("too many accounts (at most 256)")]
    TooManyAccounts,
    #[error("unknown account {0:?}")]
    UnknownAccount(String),
    #[error("timestamp {0} is outside the range the store can hold")]
    TimeOutOfRange(i64),
    #[error("query: {0}")]
    Query(String),
    /// SQLite found the file damaged (cut short, pages overwritten) or not a database.
    #[error("the database file is damaged: {0}")]
    Damaged(String),
    #[error("{0}")]
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::classify(e)
    }
}

/// Whether an error, or any of its causes, is SQLite saying the file is damaged.
fn is_damage(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(e) = cur {
        if let Some(rusqlite::Error::SqliteFailure(f, _)) = e.downcast_ref::<rusqlite::Error>() {
            if matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase
            ) {
                return true;
            }
        }
        cur = e.source();
    }
    false
}

impl StoreError {
    fn classify(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, _) = &e {
            if matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) {
                return StoreError::Busy;
            }
        }
        if is_damage(&e) {
            return StoreError::Damaged(e.to_string());
        }
        StoreError::Sqlite(e)
    }

    /// An error of an ad-hoc query: damage is named as such, anything else is the query's.
    pub(crate) fn query(e: rusqlite::Error) -> Self {
        if is_damage(&e) {
            StoreError::Damaged(e.to_string())
        } else {
            StoreError::Query(e.to_string())
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

fn open_error(path: &Path, source: rusqlite::Error) -> StoreError {
    if is_damage(&source) {
        StoreError::Damaged(source.to_string())
    } else {
        StoreError::Open {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// An open fitpipe database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating when needed, mode 0600) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Create {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        create_private(path)?;
        let conn = Connection::open(path).map_err(|source| open_error(path, source))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.configure()?;
        store.migrate()?;
        // Hours computed under another source policy (or before sources were kept, or by
        // older rules) are computed again, once.
        store.apply_source_policies()?;
        Ok(store)
    }

    /// Opens an existing database so that no statement can write to it. A database an
    /// older fitpipe wrote is migrated first, so reads see the current views.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        let latest = embedded_latest();
        let ro = Self::open_read_only_as_is(path)?;
        let current: i64 = ro
            .conn
            .query_row(
                "SELECT coalesce(max(version), 0) FROM refinery_schema_history",
                [],
                |r| r.get(0),
            )
            .unwrap_or(0);
        if current >= latest {
            return Ok(ro);
        }
        drop(ro);
        drop(Store::open(path)?);
        Self::open_read_only_as_is(path)
    }

    fn open_read_only_as_is(path: &Path) -> Result<Store> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|source| open_error(path, source))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "query_only", true)?;
        // A damaged page is reported as damage instead of being read as garbage.
        conn.pragma_update(None, "cell_size_check", true)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// An in-memory database with the real schema, for tests.
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        let mut store = Store {
            conn,
            path: PathBuf::from(":memory:"),
        };
        store.configure()?;
        store.migrate()?;
        // Hours computed under another source policy (or before sources were kept, or by
        // older rules) are computed again, once.
        store.apply_source_policies()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sets SQLite's page cache to `kib` KiB for what this connection does next (an
    /// import, whose other buffers are what its memory goes to, takes less than the 16 MB
    /// every command starts with).
    pub fn set_page_cache_kib(&self, kib: u32) -> Result<()> {
        self.conn
            .pragma_update(None, "cache_size", -i64::from(kib))
            .map_err(StoreError::classify)
    }

    fn configure(&self) -> Result<()> {
        self.conn
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(StoreError::classify)?;
        // journal_mode answers with a row; query it rather than "update" it.
        let _mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(StoreError::classify)?;
        self.conn
            .execute_batch(
                "PRAGMA synchronous = NORMAL;
                 PRAGMA foreign_keys = ON;
                 PRAGMA cell_size_check = ON;
                 PRAGMA temp_store = MEMORY;
                 PRAGMA cache_size = -16000;",
            )
            .map_err(StoreError::classify)?;
        Ok(())
    }

    fn migrate(&mut self) -> Result<()> {
        embedded::migrations::runner()
            .run(&mut self.conn)
            .map_err(|e| {
                if is_damage(&e) {
                    StoreError::Damaged(e.to_string())
                } else {
                    StoreError::Migrate(e.to_string())
                }
            })?;
        Ok(())
    }

    /// The newest applied migration version.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT coalesce(max(version), 0) FROM refinery_schema_history",
            [],
            |r| r.get(0),
        )?)
    }

    /// Starts a write transaction that takes the write lock at once.
    pub(crate) fn begin(&mut self) -> Result<rusqlite::Transaction<'_>> {
        self.conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::classify)
    }
}

/// The newest migration compiled in.
pub(crate) fn embedded_latest() -> i64 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| m.version() as i64)
        .max()
        .unwrap_or(0)
}

/// Creates the database file with mode 0600 when it does not exist yet, so SQLite (which
/// gives its -wal and -shm files the database's mode) never makes it world-readable.
fn create_private(path: &Path) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::Create {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The newest version among the files in migrations/ (as a test reads them, independently
/// of the embedded runner).
#[cfg(test)]
fn newest_migration_file() -> i64 {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_prefix('V')?.split_once("__")?.0.parse().ok()
        })
        .max()
        .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_and_are_recorded() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.schema_version().unwrap(), newest_migration_file());
    }

    #[cfg(unix)]
    #[test]
    fn new_database_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/fitpipe.db");
        let store = Store::open(&path).unwrap();
        drop(store);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // Reopening an existing database migrates nothing and keeps it.
        let again = Store::open(&path).unwrap();
        assert_eq!(again.schema_version().unwrap(), newest_migration_file());
    }

    #[test]
    fn read_only_connection_refuses_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.db");
        drop(Store::open(&path).unwrap());
        let ro = Store::open_read_only(&path).unwrap();
        let err = ro
            .conn
            .execute("INSERT INTO device (name) VALUES ('x')", [])
            .unwrap_err();
        assert!(err.to_string().contains("readonly") || err.to_string().contains("read"));
    }
}

#[cfg(test)]
mod upgrade_tests {
    use super::*;

    #[test]
    fn a_read_only_open_migrates_an_older_database_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            embedded::migrations::runner()
                .set_target(refinery::Target::Version(1))
                .run(&mut conn)
                .unwrap();
        }
        let ro = Store::open_read_only(&path).unwrap();
        assert_eq!(ro.schema_version().unwrap(), newest_migration_file());
    }
}

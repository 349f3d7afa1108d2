//! The lock that keeps two runs of `fitpipe sync` (or `restore`) on one database from
//! overlapping: an OS file lock on `DB.sync.lock`, released by the kernel when the process
//! ends, however it ends.

use std::path::{Path, PathBuf};

use super::ServiceError;

/// Holds the per-database sync lock for as long as it lives.
pub struct SyncLock(#[allow(dead_code)] std::fs::File);

/// Takes the lock of the database at `db`: waits for it with `wait`, else fails at once with
/// [`ServiceError::Locked`] when another process holds it.
pub fn lock(db: &Path, wait: bool) -> Result<SyncLock, ServiceError> {
    let path = db.with_extension("sync.lock");
    let io = |op: &'static str, path: &Path| {
        let path: PathBuf = path.to_path_buf();
        move |source| ServiceError::LockFile { op, path, source }
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io("create", dir))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io("open", &path))?;
    match file.try_lock() {
        Ok(()) => Ok(SyncLock(file)),
        Err(std::fs::TryLockError::WouldBlock) if wait => {
            file.lock().map_err(io("lock", &path))?;
            Ok(SyncLock(file))
        }
        Err(std::fs::TryLockError::WouldBlock) => Err(ServiceError::Locked(db.to_path_buf())),
        Err(std::fs::TryLockError::Error(e)) => Err(io("lock", &path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_of_one_database_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("sub/fitpipe.db");
        let first = lock(&db, false).unwrap();
        assert!(matches!(lock(&db, false), Err(ServiceError::Locked(p)) if p == db));
        drop(first);
        assert!(lock(&db, false).is_ok());
    }
}

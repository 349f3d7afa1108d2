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

/// Who holds a lock that other processes, on this machine or others, can see (the folder
/// remote's lock object): enough for the machine that wrote it to tell whether its writer
/// still runs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Holder {
    pub host: String,
    /// The kernel's id of this boot (Linux), so a pid is not confused across reboots.
    pub boot_id: Option<String>,
    pub pid: u32,
    /// When the lock was taken (RFC 3339).
    pub at: String,
}

impl Holder {
    /// This process, now (`at`).
    pub fn current(at: &str) -> Holder {
        let read = |p: &str| {
            std::fs::read_to_string(p)
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        Holder {
            host: read("/proc/sys/kernel/hostname")
                .or_else(|| read("/etc/hostname"))
                .unwrap_or_else(|| "unknown host".into()),
            boot_id: read("/proc/sys/kernel/random/boot_id"),
            pid: std::process::id(),
            at: at.to_string(),
        }
    }

    /// The text a lock object holds.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("a holder serializes")
    }

    /// Reads a lock object's text; `None` for one fitpipe did not write this way (an older
    /// fitpipe wrote a line of plain text).
    pub fn parse(text: &str) -> Option<Holder> {
        serde_json::from_str(text).ok()
    }

    /// Whether the lock was written by a process of this machine, in this boot, that no
    /// longer runs: then nobody holds it. `false` wherever that cannot be told.
    pub fn is_dead_here(&self) -> bool {
        let me = Holder::current("");
        self.host == me.host
            && self.boot_id.is_some()
            && self.boot_id == me.boot_id
            && !Path::new(&format!("/proc/{}", self.pid)).exists()
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "process {} on {} since {}", self.pid, self.host, self.at)
    }
}

#[cfg(test)]
mod holder_tests {
    use super::*;

    #[test]
    fn a_holder_of_this_machine_is_dead_once_its_process_ended() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let me = Holder::current("2026-12-01T00:00:00Z");
        assert_eq!(Holder::parse(&me.to_text()), Some(me.clone()));
        assert!(!me.is_dead_here(), "this process runs");
        if me.boot_id.is_some() {
            let gone = Holder { pid, ..me.clone() };
            assert!(gone.is_dead_here());
            // Another machine's, or another boot's, is never taken for dead.
            let other = Holder {
                host: format!("{}-other", me.host),
                ..gone.clone()
            };
            assert!(!other.is_dead_here());
            let rebooted = Holder {
                boot_id: Some("another boot".into()),
                ..gone
            };
            assert!(!rebooted.is_dead_here());
        }
        assert_eq!(Holder::parse("pid 12 at 2026-11-01T00:00:00Z"), None);
    }
}

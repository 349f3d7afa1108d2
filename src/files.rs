//! Files fitpipe writes whole: the one atomic write (a temporary file beside the target,
//! fsync, rename, fsync of the folder), so that a crash leaves the old file or the new one,
//! never half of one. The temporary file is created with mode 0600 and the rename keeps it:
//! token files, exports and state are readable by their owner only.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `path` atomically with what `fill` writes (buffered). The folder is created when
/// missing. The outer error is the file's (create, write, sync, rename); the inner one is
/// `fill`'s own, which leaves `path` untouched.
pub fn write_atomically<E>(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<(), E>,
) -> io::Result<Result<(), E>> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".fitpipe-")
        .tempfile_in(&dir)?;
    {
        let mut buf = io::BufWriter::new(tmp.as_file_mut());
        if let Err(e) = fill(&mut buf) {
            return Ok(Err(e));
        }
        buf.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    // Make the rename itself durable.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(Ok(()))
}

/// [`write_atomically`] of `bytes`.
pub fn write_bytes_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomically(path, |w| w.write_all(bytes))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_fill_leaves_the_old_file_and_no_temporary_one() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/state.json");
        write_bytes_atomically(&p, b"old").unwrap();
        let r = write_atomically(&p, |w| {
            w.write_all(b"half").unwrap();
            Err("gave up")
        })
        .unwrap();
        assert_eq!(r, Err("gave up"));
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
        write_bytes_atomically(&p, b"new").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

//! Resolved settings. What the user typed (flags, with `FITPIPE_*` environment variables
//! folded in by clap) becomes absolute paths here, once; nothing below `cli` reads the
//! environment or invents paths.
//!
//! Precedence: defaults < environment (`FITPIPE_DB`, `FITPIPE_ACCOUNT`) < flags.
//! The default data folder is `$XDG_DATA_HOME/fitpipe` (`~/.local/share/fitpipe`), or the
//! platform's equivalent.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::model::validate_account_name;

/// Settings every command shares.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub db: PathBuf,
    pub account: String,
}

/// The platform's data folder for fitpipe.
pub fn default_data_dir() -> Result<PathBuf, Error> {
    directories::ProjectDirs::from("", "", "fitpipe")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| Error::Usage("no home folder found; give --db PATH".into()))
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

impl Settings {
    /// Resolves the shared settings from the parsed flags.
    pub fn resolve(db: Option<&Path>, account: &str) -> Result<Settings, Error> {
        validate_account_name(account).map_err(Error::Usage)?;
        let (data_dir, db) = match db {
            Some(db) => {
                let db = absolute(db);
                let dir = db
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| PathBuf::from("."));
                (dir, db)
            }
            None => {
                let dir = default_data_dir()?;
                let db = dir.join("fitpipe.db");
                (dir, db)
            }
        };
        Ok(Settings {
            data_dir,
            db,
            account: account.to_string(),
        })
    }
}

//! Errors a user can cause, one variant each, with an exit code and a hint.
//!
//! | code | meaning |
//! |-----:|---------|
//! | 0 | success |
//! | 1 | unexpected internal error |
//! | 2 | command-line usage error |
//! | 3 | import finished, but some input was rejected (the rest is stored) |
//! | 4 | input cannot be read: missing path, not an export, unreadable archive |
//! | 5 | the database cannot be opened or migrated |
//! | 6 | the database is busy: another fitpipe process is writing |
//! | 7 | the SQL query was refused or failed |
//! | 8 | an output file cannot be written |
//! | 9 | another `fitpipe sync` is running on this database |
//! | 10 | the remote cannot be reached, or refused the request (credentials, permission, bucket) |
//! | 11 | an object in the remote is corrupt; it was not overwritten, local data is untouched |
//! | 12 | the configuration is invalid |
//! | 13 | a Google login is needed: none yet, or the refresh token was revoked or expired |
//! | 14 | the Google Health API refused the request (scope, project, account setup) |
//! | 15 | the Google Health API or the token endpoint kept failing, or sent a malformed page |
//! | 16 | `fitpipe doctor` found something that needs attention |
//! | 17 | the service manager (systemctl, launchctl) failed |
//! | 130 | interrupted (Ctrl-C); what was committed before stays, and a re-run resumes |

use std::fmt;

use crate::export::ExportError;
use crate::import::ImportError;
use crate::store::StoreError;

/// A failure reported to the user.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    #[error("{rejected} input record(s) or file(s) were rejected; everything else was imported")]
    InputRejected { rejected: u64 },
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Database(String),
    #[error("{0}")]
    Busy(String),
    #[error("{0}")]
    Query(String),
    #[error("{0}")]
    Output(String),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Locked(String),
    #[error("{0}")]
    Remote(String, &'static str),
    #[error("{0}")]
    RemoteCorrupt(String),
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    LoginNeeded(String),
    #[error("{0}")]
    ApiRefused(String, &'static str),
    #[error("{0}")]
    ApiFailed(String),
    #[error("{0}")]
    NeedsAttention(String),
    #[error("{0}")]
    Service(String),
    #[error("{0}")]
    Interrupted(String),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Internal(_) => 1,
            Error::Usage(_) => 2,
            Error::InputRejected { .. } => 3,
            Error::Input(_) => 4,
            Error::Database(_) => 5,
            Error::Busy(_) => 6,
            Error::Query(_) => 7,
            Error::Output(_) => 8,
            Error::Locked(_) => 9,
            Error::Remote(..) => 10,
            Error::RemoteCorrupt(_) => 11,
            Error::Config(_) => 12,
            Error::LoginNeeded(_) => 13,
            Error::ApiRefused(..) => 14,
            Error::ApiFailed(_) => 15,
            Error::NeedsAttention(_) => 16,
            Error::Service(_) => 17,
            Error::Interrupted(_) => 130,
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            Error::InputRejected { .. } => {
                "fix or remove the files named above and import again; samples already stored are kept and re-importing is safe"
            }
            Error::Input(_) => {
                "give a Takeout .zip or folder, a heart_rate CSV, or a saved Google Health API page"
            }
            Error::Database(_) => {
                "check the path given by --db / FITPIPE_DB, its permissions and free disk space"
            }
            Error::Busy(_) => "wait for the other fitpipe run to finish, then try again",
            Error::Query(_) => {
                "queries are read-only; list the tables with: fitpipe query \"SELECT name FROM sqlite_master\""
            }
            Error::Output(_) => "check that the output folder exists, is writable and has space",
            Error::Usage(_) => "see fitpipe --help",
            Error::Locked(_) => "wait for the running sync to finish (or pass --wait), then try again",
            Error::Remote(_, hint) => hint,
            Error::RemoteCorrupt(_) => {
                "restore the object from the bucket's noncurrent versions, or move it aside; fitpipe will write a fresh one from the merged local data on the next sync"
            }
            Error::Config(_) => "fix the file named above; `fitpipe config default` prints a commented example",
            Error::LoginNeeded(_) => {
                "run `fitpipe auth login`; apps in Google's \"Testing\" status lose their refresh token 7 days after consent (README: personal use)"
            }
            Error::ApiRefused(_, hint) => hint,
            Error::NeedsAttention(_) => "see the items marked above",
            Error::Service(_) => {
                "check that a user session manager runs (`systemctl --user status`, or launchctl on macOS); `fitpipe service install --dry-run` prints the files and commands to apply by hand"
            }
            Error::ApiFailed(_) => {
                "nothing of the failed window was stored and the cursor did not move; run `fitpipe sync` again later"
            }
            Error::Interrupted(_) => {
                "everything committed before the interruption is kept; run the same command again to go on from there"
            }
            Error::Internal(_) => return None,
        })
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Busy => Error::Busy(e.to_string()),
            StoreError::Query(m) => Error::Query(m),
            StoreError::Missing(p) => Error::Database(format!(
                "no database at {}; import something first (fitpipe import PATH, or fitpipe demo)",
                p.display()
            )),
            StoreError::UnknownAccount(a) => Error::Usage(format!("unknown account {a:?}")),
            other => Error::Database(format!("database: {other}")),
        }
    }
}

impl From<ImportError> for Error {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Store(s) => s.into(),
            other => Error::Input(other.to_string()),
        }
    }
}

impl From<ExportError> for Error {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Store(s) => s.into(),
            other => Error::Output(other.to_string()),
        }
    }
}

/// Renders an error for the terminal: the message, then the hint.
pub struct Report<'a>(pub &'a Error);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.0)?;
        if let Some(h) = self.0.hint() {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_a_distinct_code() {
        let all = [
            Error::Internal(String::new()),
            Error::Usage(String::new()),
            Error::InputRejected { rejected: 1 },
            Error::Input(String::new()),
            Error::Database(String::new()),
            Error::Busy(String::new()),
            Error::Query(String::new()),
            Error::Output(String::new()),
            Error::Locked(String::new()),
            Error::Remote(String::new(), "x"),
            Error::RemoteCorrupt(String::new()),
            Error::Config(String::new()),
            Error::LoginNeeded(String::new()),
            Error::ApiRefused(String::new(), "x"),
            Error::ApiFailed(String::new()),
            Error::NeedsAttention(String::new()),
            Error::Service(String::new()),
            Error::Interrupted(String::new()),
        ];
        let mut codes: Vec<i32> = all.iter().map(Error::exit_code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert!(all.iter().filter(|e| e.hint().is_none()).count() == 1);
    }
}

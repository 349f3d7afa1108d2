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
//! | 18 | the database file is damaged (cut short, overwritten, not a database) |
//! | 130 | interrupted (Ctrl-C); what was committed before stays, and a re-run resumes |

use std::fmt;

use crate::auth::AuthError;
use crate::config::ConfigError;
use crate::export::ExportError;
use crate::health_api::ApiError;
use crate::import::ImportError;
use crate::pull::PullError;
use crate::service::ServiceError;
use crate::store::StoreError;
use crate::sync::{RemoteFailure, SyncError};

/// The process exit codes, named (the table above).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitCode {
    Success = 0,
    Internal = 1,
    Usage = 2,
    InputRejected = 3,
    Input = 4,
    Database = 5,
    Busy = 6,
    Query = 7,
    Output = 8,
    Locked = 9,
    Remote = 10,
    RemoteCorrupt = 11,
    Config = 12,
    LoginNeeded = 13,
    ApiRefused = 14,
    ApiFailed = 15,
    NeedsAttention = 16,
    Service = 17,
    DatabaseDamaged = 18,
    Interrupted = 130,
}

impl From<ExitCode> for i32 {
    fn from(c: ExitCode) -> i32 {
        c as i32
    }
}

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
    DatabaseDamaged(String),
    #[error("{0}")]
    Interrupted(String),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Internal(_) => ExitCode::Internal,
            Error::Usage(_) => ExitCode::Usage,
            Error::InputRejected { .. } => ExitCode::InputRejected,
            Error::Input(_) => ExitCode::Input,
            Error::Database(_) => ExitCode::Database,
            Error::Busy(_) => ExitCode::Busy,
            Error::Query(_) => ExitCode::Query,
            Error::Output(_) => ExitCode::Output,
            Error::Locked(_) => ExitCode::Locked,
            Error::Remote(..) => ExitCode::Remote,
            Error::RemoteCorrupt(_) => ExitCode::RemoteCorrupt,
            Error::Config(_) => ExitCode::Config,
            Error::LoginNeeded(_) => ExitCode::LoginNeeded,
            Error::ApiRefused(..) => ExitCode::ApiRefused,
            Error::ApiFailed(_) => ExitCode::ApiFailed,
            Error::NeedsAttention(_) => ExitCode::NeedsAttention,
            Error::Service(_) => ExitCode::Service,
            Error::DatabaseDamaged(_) => ExitCode::DatabaseDamaged,
            Error::Interrupted(_) => ExitCode::Interrupted,
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            Error::InputRejected { .. } => {
                "fix or remove the files named above and import again; samples already stored are kept and re-importing is safe"
            }
            Error::Input(_) => {
                "give a Takeout .zip, .tgz or folder, a heart_rate CSV, or a saved Google Health API page"
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
            Error::DatabaseDamaged(_) => {
                "keep the damaged file aside (move it, with its -wal file, out of the way), then `fitpipe restore` into a new database from the remote, or re-import your Takeout export: what the remote or the export holds comes back; samples pulled since the last sync do not (the next sync pulls the last days again)"
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
            StoreError::Damaged(_) => Error::DatabaseDamaged(e.to_string()),
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

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        match e {
            ConfigError::Usage(m) => Error::Usage(m),
            other => Error::Config(other.to_string()),
        }
    }
}

impl From<AuthError> for Error {
    fn from(e: AuthError) -> Self {
        let m = e.to_string();
        match e {
            AuthError::NoClient | AuthError::BadUrl { .. } => Error::Config(m),
            AuthError::NotLoggedIn(_) | AuthError::InvalidGrant { .. } => Error::LoginNeeded(m),
            AuthError::Login(_) => Error::LoginNeeded(m),
            AuthError::TokenEndpoint(_) | AuthError::TokenEndpointUnavailable(_) => {
                Error::ApiFailed(m)
            }
            AuthError::Keyring(_) | AuthError::TokenFile { .. } => Error::Config(m),
        }
    }
}

impl From<PullError> for Error {
    fn from(e: PullError) -> Self {
        let m = e.to_string();
        match e {
            PullError::Auth(a) => a.into(),
            PullError::Api(ApiError::Refused {
                status,
                reason,
                message,
                ..
            }) => Error::ApiRefused(m, api_hint(status, &reason, &message)),
            PullError::Api(ApiError::Unauthorized { .. }) => Error::LoginNeeded(m),
            PullError::Api(_) | PullError::GaveUp { .. } | PullError::PagingLoop { .. } => {
                Error::ApiFailed(m)
            }
            PullError::Store(s) => s.into(),
        }
    }
}

/// What the user can do about each documented refusal of the Google Health API.
fn api_hint(status: u16, reason: &str, message: &str) -> &'static str {
    if status == 400 {
        // A 400 refusal is the account's missing Google Health profile (see the client).
        return api_hint(403, "ACCOUNT_NOT_LINKED", message);
    }
    // A login made with a legacy Fitbit account has no reason of its own, only this message.
    if message.contains("Could not mint") {
        return "this login was made with a legacy Fitbit account, not a Google Account: move the Fitbit account to a Google Account (in the Fitbit app), then run `fitpipe auth login` and sign in with that Google Account";
    }
    match reason {
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT" | "MISSING_OAUTH_SCOPE" => {
            "the heart-rate scope was not granted: run `fitpipe auth login` and allow access to heart rate"
        }
        "DISALLOWED_OAUTH_SCOPES" => {
            "one of two causes: the scope .../auth/googlehealth.health_metrics_and_measurements.readonly is not registered on your consent screen's Data Access page (Google Auth Platform): register it; or the login also carries scopes that are not googlehealth.* (another app's, or legacy fitness.* ones): remove fitpipe's access at myaccount.google.com/connections. Then run `fitpipe auth login`"
        }
        "API_PRIVATE_PREVIEW_ACCESS_DENIED" => {
            "Google has not admitted your Cloud project to the Google Health API; this cannot be fixed on this machine: ask Google for access, and meanwhile import Takeout exports with `fitpipe import`"
        }
        "SERVICE_DISABLED" => {
            "enable the Google Health API in your Cloud project (APIs & Services > Library), wait a few minutes, then sync again"
        }
        "ACCOUNT_NOT_LINKED" => {
            "this Google account has no Google Health (Fitbit) profile: set one up in the Fitbit app, then sync again"
        }
        "RESOURCE_PERMISSION_DENIED" | "DATA_ACCESS_DENIED" => {
            "remove fitpipe's access at myaccount.google.com/connections, then run `fitpipe auth login` again"
        }
        _ => "check the Google Cloud project's setup (README: creating the OAuth client), then run `fitpipe auth login`",
    }
}

impl From<SyncError> for Error {
    fn from(e: SyncError) -> Self {
        let msg = e.to_string();
        match e {
            SyncError::Remote { kind, .. } => Error::Remote(
                msg,
                match kind {
                    RemoteFailure::Permission => {
                        "give the account fitpipe uses object access on the bucket (roles/storage.objectAdmin; terraform/ sets this up), or check the folder's permissions"
                    }
                    RemoteFailure::Credentials => {
                        "set GOOGLE_APPLICATION_CREDENTIALS to a service-account key, set remote.service_account_key, or run `gcloud auth application-default login`"
                    }
                    RemoteFailure::Missing => {
                        "check the bucket name in remote.url and that the bucket exists (terraform/ creates it)"
                    }
                    RemoteFailure::Other => "check the network and remote.url, then run the sync again; re-running is safe",
                },
            ),
            SyncError::Corrupt { .. } => Error::RemoteCorrupt(msg),
            SyncError::Contention { .. } => Error::Remote(msg, "run the sync again; re-running is safe"),
            SyncError::LockHeld { .. } => Error::Locked(msg),
            SyncError::Store(s) => s.into(),
        }
    }
}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        let m = e.to_string();
        match e {
            ServiceError::NoHome => Error::Usage(m),
            ServiceError::Command { .. } => Error::Service(m),
            ServiceError::File { .. } => Error::Output(m),
            ServiceError::LockFile { .. } => Error::Database(m),
            ServiceError::Locked(_) => Error::Locked(m),
        }
    }
}

impl From<crate::runtime::StartError> for Error {
    fn from(e: crate::runtime::StartError) -> Self {
        Error::Internal(e.to_string())
    }
}

impl From<crate::runtime::Interrupted> for Error {
    fn from(e: crate::runtime::Interrupted) -> Self {
        Error::Interrupted(e.to_string())
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
        let m = |s: &str| s.to_string();
        let all = [
            Error::Internal(m("start the async runtime: no threads")),
            Error::Usage(m("unknown account \"x\"")),
            Error::InputRejected { rejected: 1 },
            Error::Input(m("no heart-rate file in /tmp/x")),
            Error::Database(m("database: disk I/O error")),
            Error::Busy(m("the database is locked by another fitpipe process")),
            Error::Query(m("no such table: x")),
            Error::Output(m("write out.csv: No space left on device")),
            Error::Locked(m("another fitpipe sync is running on /tmp/fitpipe.db")),
            Error::Remote(m("could not list gs://b/samples/: 403"), "check the remote"),
            Error::RemoteCorrupt(m(
                "remote object gs://b/hourly_max.csv is not valid: line 2",
            )),
            Error::Config(m("/tmp/c.toml: expected `]`")),
            Error::LoginNeeded(m("no Google login for account default")),
            Error::ApiRefused(
                m("GET ...: Google Health API refused: denied [SERVICE_DISABLED]"),
                "enable the API",
            ),
            Error::ApiFailed(m("GET ... still failed after 10 tries: HTTP 503")),
            Error::NeedsAttention(m("1 item(s) need attention")),
            Error::Service(m(
                "`systemctl --user daemon-reload` failed (exit status: 1)",
            )),
            Error::DatabaseDamaged(m(
                "the database file is damaged: database disk image is malformed",
            )),
            Error::Interrupted(m("the pull interrupted (Ctrl-C)")),
        ];
        // What the terminal shows for each, with its exit code.
        let shown: String = all
            .iter()
            .map(|e| format!("[exit {}]\n{}\n", e.exit_code() as i32, Report(e)))
            .collect();
        insta::assert_snapshot!("every_error_with_its_hint", shown);
        let mut codes: Vec<ExitCode> = all.iter().map(Error::exit_code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert!(all.iter().filter(|e| e.hint().is_none()).count() == 1);
    }

    #[test]
    fn every_remote_and_api_hint() {
        let mut shown = String::new();
        for kind in [
            RemoteFailure::Permission,
            RemoteFailure::Credentials,
            RemoteFailure::Missing,
            RemoteFailure::Other,
        ] {
            let e: Error = SyncError::Remote {
                op: "list".into(),
                object: "gs://b/samples/".into(),
                kind,
                source: "the cause".into(),
            }
            .into();
            shown.push_str(&format!(
                "[{kind:?} -> exit {}]\n{}\n",
                e.exit_code() as i32,
                Report(&e)
            ));
        }
        for (status, reason) in [
            (403, "ACCESS_TOKEN_SCOPE_INSUFFICIENT"),
            (403, "MISSING_OAUTH_SCOPE"),
            (403, "DISALLOWED_OAUTH_SCOPES"),
            (403, "API_PRIVATE_PREVIEW_ACCESS_DENIED"),
            (403, "SERVICE_DISABLED"),
            (403, "ACCOUNT_NOT_LINKED"),
            (403, "RESOURCE_PERMISSION_DENIED"),
            (403, "DATA_ACCESS_DENIED"),
            (403, "SOMETHING_NEW"),
            (400, "FAILED_PRECONDITION"),
            (
                403,
                "PERMISSION_DENIED: Could not mint UberMint from GaiaMint",
            ),
        ] {
            let (reason, message) = reason.split_once(": ").unwrap_or((reason, "refused"));
            let e: Error = PullError::Api(ApiError::Refused {
                request: "GET /v4/users/me/dataTypes/heart-rate/dataPoints".into(),
                status,
                reason: reason.into(),
                message: message.into(),
            })
            .into();
            shown.push_str(&format!(
                "[{status} {reason} -> exit {}]\n{}\n",
                e.exit_code() as i32,
                Report(&e)
            ));
        }
        insta::assert_snapshot!("every_remote_and_api_hint", shown);
    }
}

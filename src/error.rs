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

/// A failure reported to the user: a module's own error, kept whole with its causes
/// (`source()`), or one of the command line's own. [`Error::exit_code`] and [`Error::hint`]
/// classify every one of them, here and nowhere else.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{rejected} input record(s) or file(s) were rejected; everything else was imported")]
    InputRejected { rejected: u64 },
    /// What was typed on the command line cannot be done.
    #[error("{0}")]
    Usage(String),
    /// Writing the command's output (stdout, a file it was asked to write) failed.
    #[error("{what}: {source}")]
    Output {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// `fitpipe doctor` found something.
    #[error("{0}")]
    NeedsAttention(String),
    /// A setting the command needs is missing.
    #[error("{0}")]
    Unconfigured(String),
    /// A bug: what fitpipe itself should not have produced.
    #[error("{0}")]
    Internal(String),
    #[error("{}", store_message(.0))]
    Store(#[source] StoreError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Pull(#[from] PullError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Runtime(#[from] crate::runtime::StartError),
    #[error(transparent)]
    Interrupted(#[from] crate::runtime::Interrupted),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}

/// How a store error reads to the user.
fn store_message(e: &StoreError) -> String {
    match e {
        StoreError::Busy | StoreError::Damaged(_) => e.to_string(),
        StoreError::Query(m) => m.clone(),
        StoreError::Missing(p) => format!(
            "no database at {}; import something first (fitpipe import PATH, or fitpipe demo)",
            p.display()
        ),
        StoreError::UnknownAccount(_) => e.to_string(),
        other => format!("database: {other}"),
    }
}

/// What a failure means to the user: its exit code and what they can do about it.
type Meaning = (ExitCode, Option<&'static str>);

const REJECTED: &str = "fix or remove the files named above and import again; samples already stored are kept and re-importing is safe";
const INPUT: &str =
    "give a Takeout .zip, .tgz, .tar or folder, a heart_rate CSV, or a saved Google Health API page";
const DATABASE: &str =
    "check the path given by --db / FITPIPE_DB, its permissions and free disk space";
const BUSY: &str = "wait for the other fitpipe run to finish, then try again";
const QUERY: &str =
    "queries are read-only; list the tables with: fitpipe query \"SELECT name FROM sqlite_master\"";
const OUTPUT: &str = "check that the output folder exists, is writable and has space";
const USAGE: &str = "see fitpipe --help";
const LOCKED: &str = "wait for the running sync to finish (or pass --wait), then try again";
const REMOTE_CORRUPT: &str = "restore the object from the bucket's noncurrent versions, or move it aside; fitpipe will write a fresh one from the merged local data on the next sync";
const CONFIG: &str =
    "fix the file named above; `fitpipe config default` prints a commented example";
const LOGIN: &str = "run `fitpipe auth login`; apps in Google's \"Testing\" status lose their refresh token 7 days after consent (README: personal use)";
const ATTENTION: &str = "see the items marked above";
const SERVICE: &str = "check that a user session manager runs (`systemctl --user status`, or launchctl on macOS); `fitpipe service install --dry-run` prints the files and commands to apply by hand";
const DAMAGED: &str = "keep the damaged file aside (move it, with its -wal file, out of the way), then `fitpipe restore` into a new database from the remote, or re-import your Takeout export: what the remote or the export holds comes back; samples pulled since the last sync do not (the next sync pulls the last days again)";
const API_FAILED: &str = "nothing of the failed window was stored and the cursor did not move; run `fitpipe sync` again later";
const INTERRUPTED: &str = "everything committed before the interruption is kept; run the same command again to go on from there";

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        self.meaning().0
    }

    /// What the user can do about it.
    pub fn hint(&self) -> Option<&'static str> {
        self.meaning().1
    }

    fn meaning(&self) -> Meaning {
        use ExitCode as C;
        match self {
            Error::InputRejected { .. } => (C::InputRejected, Some(REJECTED)),
            Error::Usage(_) => (C::Usage, Some(USAGE)),
            Error::Output { .. } => (C::Output, Some(OUTPUT)),
            Error::NeedsAttention(_) => (C::NeedsAttention, Some(ATTENTION)),
            Error::Unconfigured(_) => (C::Config, Some(CONFIG)),
            Error::Internal(_) | Error::Runtime(_) => (C::Internal, None),
            Error::Interrupted(_) => (C::Interrupted, Some(INTERRUPTED)),
            Error::Store(e) => store_meaning(e),
            Error::Config(e) => config_meaning(e),
            Error::Auth(e) => auth_meaning(e),
            Error::Pull(e) => pull_meaning(e),
            Error::Sync(e) => sync_meaning(e),
            Error::Service(e) => match e {
                ServiceError::NoHome => (C::Usage, Some(USAGE)),
                ServiceError::Command { .. } => (C::Service, Some(SERVICE)),
                ServiceError::File { .. } => (C::Output, Some(OUTPUT)),
                ServiceError::LockFile { .. } => (C::Database, Some(DATABASE)),
                ServiceError::Locked(_) => (C::Locked, Some(LOCKED)),
            },
            Error::Import(ImportError::Store(e)) | Error::Export(ExportError::Store(e)) => {
                store_meaning(e)
            }
            Error::Import(_) => (C::Input, Some(INPUT)),
            Error::Export(_) => (C::Output, Some(OUTPUT)),
        }
    }

    /// Writing `what` failed with `source`.
    pub fn output(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::Output {
            what: what.into(),
            source,
        }
    }

    /// Whether this is the command's output failing because its reader went away
    /// (`fitpipe query ... | head`), which is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

fn store_meaning(e: &StoreError) -> Meaning {
    use ExitCode as C;
    match e {
        StoreError::Busy => (C::Busy, Some(BUSY)),
        StoreError::Damaged(_) => (C::DatabaseDamaged, Some(DAMAGED)),
        StoreError::Query(_) => (C::Query, Some(QUERY)),
        StoreError::UnknownAccount(_) => (C::Usage, Some(USAGE)),
        _ => (C::Database, Some(DATABASE)),
    }
}

fn config_meaning(e: &ConfigError) -> Meaning {
    match e {
        ConfigError::Usage(_) => (ExitCode::Usage, Some(USAGE)),
        _ => (ExitCode::Config, Some(CONFIG)),
    }
}

fn auth_meaning(e: &AuthError) -> Meaning {
    use ExitCode as C;
    match e {
        AuthError::NoClient | AuthError::BadUrl { .. } => (C::Config, Some(CONFIG)),
        AuthError::NotLoggedIn(_) | AuthError::InvalidGrant { .. } | AuthError::Login(_) => {
            (C::LoginNeeded, Some(LOGIN))
        }
        AuthError::TokenEndpoint(_) | AuthError::TokenEndpointUnavailable(_) => {
            (C::ApiFailed, Some(API_FAILED))
        }
        AuthError::Keyring(_) | AuthError::TokenFile { .. } => (C::Config, Some(CONFIG)),
    }
}

fn pull_meaning(e: &PullError) -> Meaning {
    use ExitCode as C;
    match e {
        PullError::Auth(a) => auth_meaning(a),
        PullError::Api(ApiError::Refused {
            status,
            reason,
            message,
            ..
        }) => (C::ApiRefused, Some(api_hint(*status, reason, message))),
        PullError::Api(ApiError::Unauthorized { .. }) => (C::LoginNeeded, Some(LOGIN)),
        PullError::Api(_) | PullError::GaveUp { .. } | PullError::PagingLoop { .. } => {
            (C::ApiFailed, Some(API_FAILED))
        }
        PullError::Store(s) => store_meaning(s),
    }
}

fn sync_meaning(e: &SyncError) -> Meaning {
    use ExitCode as C;
    match e {
        SyncError::Remote { kind, .. } => (
            C::Remote,
            Some(match kind {
                RemoteFailure::Permission => {
                    "give the account fitpipe uses object access on the bucket (roles/storage.objectAdmin; terraform/ sets this up), or check the folder's permissions"
                }
                RemoteFailure::Credentials => {
                    "set GOOGLE_APPLICATION_CREDENTIALS to a service-account key, set remote.service_account_key, or run `gcloud auth application-default login`"
                }
                RemoteFailure::Missing => {
                    "check the bucket name in remote.url and that the bucket exists (terraform/ creates it)"
                }
                RemoteFailure::Other => {
                    "check the network and remote.url, then run the sync again; re-running is safe"
                }
            }),
        ),
        SyncError::Corrupt { .. } => (C::RemoteCorrupt, Some(REMOTE_CORRUPT)),
        SyncError::Contention { .. } => {
            (C::Remote, Some("run the sync again; re-running is safe"))
        }
        SyncError::LockHeld { .. } => (C::Locked, Some(LOCKED)),
        SyncError::Store(s) => store_meaning(s),
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
        let io = |k: std::io::ErrorKind, s: &str| std::io::Error::new(k, s.to_string());
        let all: Vec<Error> = vec![
            crate::runtime::StartError(std::io::Error::other("no threads")).into(),
            StoreError::UnknownAccount(m("x")).into(),
            Error::InputRejected { rejected: 1 },
            ImportError::NothingFound(m("/tmp/x")).into(),
            StoreError::Migrate(m("disk I/O error")).into(),
            StoreError::Busy.into(),
            StoreError::Query(m("no such table: x")).into(),
            Error::Output {
                what: m("write out.csv"),
                source: io(std::io::ErrorKind::StorageFull, "No space left on device"),
            },
            ServiceError::Locked("/tmp/fitpipe.db".into()).into(),
            SyncError::Remote {
                op: m("list"),
                object: m("gs://b/samples/"),
                kind: RemoteFailure::Other,
                source: "403".into(),
            }
            .into(),
            SyncError::Corrupt {
                object: m("gs://b/hourly_max.csv"),
                message: m("line 2"),
            }
            .into(),
            ConfigError::Invalid(m("/tmp/c.toml: expected `]`")).into(),
            AuthError::NotLoggedIn(m("default")).into(),
            PullError::Api(ApiError::Refused {
                request: m("GET ..."),
                status: 403,
                reason: m("SERVICE_DISABLED"),
                message: m("denied"),
            })
            .into(),
            PullError::GaveUp {
                request: m("GET ..."),
                tries: 10,
                message: m("HTTP 503"),
            }
            .into(),
            Error::NeedsAttention(m("1 item(s) need attention")),
            ServiceError::Command {
                command: m("systemctl --user daemon-reload"),
                outcome: m(" (exit status: 1)"),
            }
            .into(),
            StoreError::Damaged(m("database disk image is malformed")).into(),
            crate::runtime::Interrupted(m("the pull")).into(),
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
    fn causes_are_kept() {
        use std::error::Error as _;
        let cause = || std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let e: Error = StoreError::Create {
            path: "/tmp/x.db".into(),
            source: cause(),
        }
        .into();
        let store = e.source().expect("the store's error");
        let io = store.source().expect("its cause");
        assert_eq!(io.to_string(), "denied");
        let e: Error = ExportError::Io {
            path: "/tmp/x.csv".into(),
            source: cause(),
        }
        .into();
        assert_eq!(e.source().map(|c| c.to_string()).as_deref(), Some("denied"));
        assert_eq!(e.exit_code(), ExitCode::Output);
        let pipe = Error::output("write output", std::io::ErrorKind::BrokenPipe.into());
        assert!(pipe.is_broken_pipe());
        assert!(!Error::output("write output", cause()).is_broken_pipe());
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

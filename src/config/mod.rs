//! Resolved settings. What the user typed (flags, with `FITPIPE_*` environment variables
//! folded in by clap), the configuration file, and the few outside environment variables the
//! `cli` layer hands over become absolute paths and validated values here, once; nothing
//! below `cli` reads the environment or invents paths.
//!
//! Precedence, lowest first: built-in defaults < config file < environment < flags.
//! The data folder defaults to `$XDG_DATA_HOME/fitpipe` (`~/.local/share/fitpipe`), the
//! config file to `$XDG_CONFIG_HOME/fitpipe/config.toml`, or the platform's equivalents.

pub mod file;

use std::path::{Path, PathBuf};

use crate::model::validate_account_name;

/// Why the settings cannot be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    /// A value in the file (or the flag or variable that overrides it) is not valid.
    #[error("{0}")]
    Invalid(String),
    /// What was typed on the command line is not valid.
    #[error("{0}")]
    Usage(String),
}

/// Where `fitpipe sync` keeps its copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteUrl {
    /// `gs://BUCKET/PREFIX`
    Gcs { bucket: String, prefix: String },
    /// `file:///PATH`: a local or mounted folder.
    File { root: PathBuf },
}

impl RemoteUrl {
    /// Parses `gs://BUCKET[/PREFIX]` or `file:///ABSOLUTE/PATH`.
    pub fn parse(url: &str) -> Result<RemoteUrl, String> {
        if let Some(rest) = url.strip_prefix("gs://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(format!("remote URL {url:?} names no bucket"));
            }
            return Ok(RemoteUrl::Gcs {
                bucket: bucket.to_string(),
                prefix: prefix.trim_matches('/').to_string(),
            });
        }
        if let Some(rest) = url.strip_prefix("file://") {
            let root = PathBuf::from(rest);
            if !root.is_absolute() {
                return Err(format!(
                    "remote URL {url:?} needs an absolute path: file:///PATH"
                ));
            }
            return Ok(RemoteUrl::File { root });
        }
        Err(format!(
            "remote URL {url:?} must start with gs:// or file://"
        ))
    }
}

impl std::fmt::Display for RemoteUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RemoteUrl::Gcs { bucket, prefix } if prefix.is_empty() => write!(f, "gs://{bucket}"),
            RemoteUrl::Gcs { bucket, prefix } => write!(f, "gs://{bucket}/{prefix}"),
            RemoteUrl::File { root } => write!(f, "file://{}", root.display()),
        }
    }
}

/// Everything needed to reach the remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSettings {
    pub url: RemoteUrl,
    pub service_account_key: Option<PathBuf>,
    /// A GCS-compatible server instead of Google's: from the config file, or
    /// `STORAGE_EMULATOR_HOST` as Google's client libraries read it.
    pub gcs_base_url: Option<String>,
    /// Whether a server other than Google's is used: then no credentials are sent unless
    /// `remote.service_account_key` names a key.
    pub emulator: bool,
    /// `GOOGLE_APPLICATION_CREDENTIALS`, or else gcloud's application-default credentials
    /// file when it exists (`gcloud auth application-default login`).
    pub application_credentials: Option<PathBuf>,
    /// The accounts this machine syncs, when not every account of the remote and of the
    /// store (`remote.accounts`: a laptop of a cohort sharing a bucket).
    pub accounts: Option<Vec<String>>,
}

/// Which token store holds OAuth tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenStoreKind {
    Keyring,
    File,
}

/// The Google side: the user's OAuth client, endpoints, pacing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleSettings {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub api_base_url: String,
    pub auth_url: String,
    pub token_url: String,
    pub revoke_url: String,
    pub token_store: TokenStoreKind,
    pub backfill_days: u32,
    /// Days behind now that every sync checks for late uploads (0 turns the check off).
    pub late_window_days: u32,
    pub retry_base_ms: u64,
    pub max_tries: u32,
    pub min_request_interval_ms: u64,
    pub login_timeout_secs: u64,
}

/// Devices keep about a week of samples before they must reach their phone.
pub const DEFAULT_LATE_WINDOW_DAYS: u32 = 7;

/// Settings every command shares.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub db: PathBuf,
    pub account: String,
    pub config_file: PathBuf,
    pub config_found: bool,
    pub remote: Option<RemoteSettings>,
    pub google: GoogleSettings,
    pub notify: NotifySettings,
    /// The user's time zone (`timezone`), when set.
    pub timezone: Option<String>,
    /// Accounts whose time zone is not `timezone` (`[accounts.NAME] timezone`).
    pub account_timezones: std::collections::BTreeMap<String, String>,
}

impl Settings {
    /// The time zone the configuration gives `account`: its own, else the file's.
    pub fn timezone_for(&self, account: &str) -> Option<&str> {
        self.account_timezones
            .get(account)
            .or(self.timezone.as_ref())
            .map(String::as_str)
    }
}

/// What scheduled runs tell the user, and how (`[notify]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifySettings {
    pub desktop: bool,
    pub ping_url: Option<String>,
    pub ping_start: bool,
    pub ping_timeout_secs: u64,
    pub login_expiry: bool,
    pub stale_data: bool,
}

/// What the command line said (clap has folded `FITPIPE_*` variables in already).
#[derive(Debug, Default, Clone)]
pub struct Flags {
    pub config: Option<PathBuf>,
    pub db: Option<PathBuf>,
    pub account: String,
    pub remote_url: Option<String>,
}

/// Outside environment variables that Google's tools define.
#[derive(Debug, Default, Clone)]
pub struct Env {
    pub storage_emulator_host: Option<String>,
    pub google_application_credentials: Option<PathBuf>,
    /// gcloud's application-default credentials file, when it exists.
    pub gcloud_adc_file: Option<PathBuf>,
    /// `FITPIPE_GOOGLE_CLIENT_ID` / `FITPIPE_GOOGLE_CLIENT_SECRET`.
    pub google_client_id: Option<String>,
    pub google_client_secret: Option<String>,
}

/// The user's home folder and configuration folder (`$XDG_CONFIG_HOME`, or the platform's),
/// when there is a home.
pub fn home_dirs() -> Option<(PathBuf, PathBuf)> {
    directories::BaseDirs::new().map(|b| (b.home_dir().to_path_buf(), b.config_dir().to_path_buf()))
}

fn project_dirs() -> Result<directories::ProjectDirs, ConfigError> {
    directories::ProjectDirs::from("", "", "fitpipe").ok_or_else(|| {
        ConfigError::Usage("no home folder found; give --db PATH and --config PATH".into())
    })
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

impl Settings {
    /// Resolves the settings from flags, the config file and the environment.
    pub fn resolve(flags: &Flags, env: &Env) -> Result<Settings, ConfigError> {
        validate_account_name(&flags.account).map_err(ConfigError::Usage)?;
        let dirs = project_dirs();
        let (config_file, must_exist) = match &flags.config {
            Some(p) => (absolute(p), true),
            None => (
                dirs.as_ref()
                    .map_err(|e| ConfigError::Usage(e.to_string()))?
                    .config_dir()
                    .join("config.toml"),
                false,
            ),
        };
        let raw = file::load(&config_file, must_exist)?;
        let config_found = config_file.exists();

        let (data_dir, db) = match flags.db.as_ref().or(raw.db.as_ref()) {
            Some(db) => {
                let db = absolute(db);
                let dir = db
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| PathBuf::from("."));
                (dir, db)
            }
            None => {
                let dir = dirs?.data_dir().to_path_buf();
                let db = dir.join("fitpipe.db");
                (dir, db)
            }
        };

        let remote = match flags.remote_url.as_ref().or(raw.remote.url.as_ref()) {
            None => None,
            Some(url) => {
                let url = RemoteUrl::parse(url).map_err(ConfigError::Invalid)?;
                let emulator = env.storage_emulator_host.as_ref().map(|h| {
                    if h.starts_with("http://") || h.starts_with("https://") {
                        h.trim_end_matches('/').to_string()
                    } else {
                        format!("http://{}", h.trim_end_matches('/'))
                    }
                });
                if let Some(accounts) = &raw.remote.accounts {
                    for a in accounts {
                        crate::model::validate_account_name(a).map_err(|e| {
                            ConfigError::Invalid(format!(
                                "{}: remote.accounts: {e}",
                                config_file.display()
                            ))
                        })?;
                    }
                }
                Some(RemoteSettings {
                    accounts: raw.remote.accounts.clone(),
                    url,
                    service_account_key: raw.remote.service_account_key.as_deref().map(absolute),
                    // A server other than Google's (an emulator, a test server) is reached
                    // without credentials unless a key is configured.
                    emulator: emulator.is_some() || raw.remote.gcs_base_url.is_some(),
                    // The environment beats the file, as everywhere.
                    gcs_base_url: emulator.or_else(|| raw.remote.gcs_base_url.clone()),
                    application_credentials: env
                        .google_application_credentials
                        .clone()
                        .or_else(|| env.gcloud_adc_file.clone()),
                })
            }
        };

        let g = &raw.google;
        let token_store = match g.token_store.as_deref() {
            None | Some("keyring") => TokenStoreKind::Keyring,
            Some("file") => TokenStoreKind::File,
            Some(other) => {
                return Err(ConfigError::Invalid(format!(
                    "{}: google.token_store must be \"keyring\" or \"file\", not {other:?}",
                    config_file.display()
                )))
            }
        };
        let google = GoogleSettings {
            client_id: env.google_client_id.clone().or_else(|| g.client_id.clone()),
            client_secret: env
                .google_client_secret
                .clone()
                .or_else(|| g.client_secret.clone()),
            api_base_url: g
                .api_base_url
                .clone()
                .unwrap_or_else(|| "https://health.googleapis.com".into())
                .trim_end_matches('/')
                .to_string(),
            auth_url: g
                .auth_url
                .clone()
                .unwrap_or_else(|| "https://accounts.google.com/o/oauth2/v2/auth".into()),
            token_url: g
                .token_url
                .clone()
                .unwrap_or_else(|| "https://oauth2.googleapis.com/token".into()),
            revoke_url: g
                .revoke_url
                .clone()
                .unwrap_or_else(|| "https://oauth2.googleapis.com/revoke".into()),
            token_store,
            backfill_days: g.backfill_days.unwrap_or(7),
            late_window_days: g.late_window_days.unwrap_or(DEFAULT_LATE_WINDOW_DAYS),
            retry_base_ms: g.retry_base_ms.unwrap_or(1000),
            max_tries: g.max_tries.unwrap_or(10).max(1),
            min_request_interval_ms: g.min_request_interval_ms.unwrap_or(400),
            login_timeout_secs: g.login_timeout_secs.unwrap_or(300),
        };

        let zone = |z: &Option<String>, key: &str| -> Result<Option<String>, ConfigError> {
            let Some(z) = z.as_deref().map(str::trim).filter(|z| !z.is_empty()) else {
                return Ok(None);
            };
            z.parse::<chrono_tz::Tz>().map_err(|_| {
                ConfigError::Invalid(format!(
                    "{}: {key} = {z:?} is not a time zone (an IANA name such as America/New_York)",
                    config_file.display()
                ))
            })?;
            Ok(Some(z.to_string()))
        };
        let timezone = zone(&raw.timezone, "timezone")?;
        let mut account_timezones = std::collections::BTreeMap::new();
        for (name, a) in &raw.accounts {
            if let Some(z) = zone(&a.timezone, &format!("[accounts.{name}] timezone"))? {
                account_timezones.insert(name.clone(), z);
            }
        }

        Ok(Settings {
            data_dir,
            db,
            account: flags.account.clone(),
            config_file,
            config_found,
            remote,
            google,
            timezone,
            account_timezones,
            notify: NotifySettings {
                desktop: raw.notify.desktop.unwrap_or(true),
                ping_url: raw.notify.ping_url.clone().filter(|u| !u.is_empty()),
                ping_start: raw.notify.ping_start.unwrap_or(false),
                ping_timeout_secs: raw.notify.ping_timeout_secs.unwrap_or(5).max(1),
                login_expiry: raw.notify.login_expiry.unwrap_or(true),
                stale_data: raw.notify.stale_data.unwrap_or(true),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_urls_parse() {
        assert_eq!(
            RemoteUrl::parse("gs://b/fit/pipe/").unwrap(),
            RemoteUrl::Gcs {
                bucket: "b".into(),
                prefix: "fit/pipe".into()
            }
        );
        assert_eq!(
            RemoteUrl::parse("gs://b").unwrap(),
            RemoteUrl::Gcs {
                bucket: "b".into(),
                prefix: "".into()
            }
        );
        assert_eq!(
            RemoteUrl::parse("file:///srv/x").unwrap(),
            RemoteUrl::File {
                root: "/srv/x".into()
            }
        );
        assert!(RemoteUrl::parse("file://relative").is_err());
        assert!(RemoteUrl::parse("s3://b").is_err());
        assert!(RemoteUrl::parse("gs://").is_err());
    }

    #[test]
    fn precedence_is_defaults_file_env_flags() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("c.toml");
        std::fs::write(
            &cfg,
            "db = \"/from/file.db\"\n[remote]\nurl = \"file:///from/file\"\n",
        )
        .unwrap();
        let mut flags = Flags {
            config: Some(cfg.clone()),
            account: "default".into(),
            ..Flags::default()
        };
        let s = Settings::resolve(&flags, &Env::default()).unwrap();
        assert_eq!(s.db, PathBuf::from("/from/file.db"));
        assert_eq!(
            s.remote.unwrap().url,
            RemoteUrl::File {
                root: "/from/file".into()
            }
        );
        flags.db = Some("/from/flag.db".into());
        flags.remote_url = Some("gs://flag/p".into());
        let env = Env {
            storage_emulator_host: Some("127.0.0.1:4443".into()),
            ..Env::default()
        };
        let s = Settings::resolve(&flags, &env).unwrap();
        assert_eq!(s.db, PathBuf::from("/from/flag.db"));
        let r = s.remote.unwrap();
        assert_eq!(
            r.url,
            RemoteUrl::Gcs {
                bucket: "flag".into(),
                prefix: "p".into()
            }
        );
        assert_eq!(r.gcs_base_url.as_deref(), Some("http://127.0.0.1:4443"));
        assert!(r.emulator);
    }

    #[test]
    fn a_named_config_file_must_exist_and_parse() {
        let flags = Flags {
            config: Some("/nonexistent/c.toml".into()),
            account: "default".into(),
            ..Flags::default()
        };
        assert!(matches!(
            Settings::resolve(&flags, &Env::default()),
            Err(ConfigError::Read { .. })
        ));
    }
}

//! The configuration file, `config.toml`: its raw shape and the commented example that ships
//! inside the binary.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ConfigError;

/// The commented example configuration (`fitpipe config default`).
pub const EXAMPLE: &str = include_str!("../../packaging/config.toml");

/// The file as written; every key is optional.
#[derive(Debug, Default, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Database file; default `$XDG_DATA_HOME/fitpipe/fitpipe.db`.
    pub db: Option<PathBuf>,
    /// The user's time zone (IANA name), for local times that imported files do not state.
    pub timezone: Option<String>,
    #[serde(default)]
    pub remote: RawRemote,
    #[serde(default)]
    pub google: RawGoogle,
    #[serde(default)]
    pub notify: RawNotify,
    /// Per-account settings (`[accounts.NAME]`).
    #[serde(default)]
    pub accounts: std::collections::BTreeMap<String, RawAccount>,
}

/// One account's settings.
#[derive(Debug, Default, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RawAccount {
    /// The account's time zone (IANA name), when it is not the file's `timezone`.
    pub timezone: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RawNotify {
    /// Desktop notifications from scheduled runs (default true).
    pub desktop: Option<bool>,
    /// A health-check URL pinged after each scheduled run.
    pub ping_url: Option<String>,
    /// Also ping `URL/start` when a scheduled run starts (default false).
    pub ping_start: Option<bool>,
    pub ping_timeout_secs: Option<u64>,
    /// Warn when the Google login expires within 48 hours (default true).
    pub login_expiry: Option<bool>,
    /// Warn when an account got no new sample for a day (default true).
    pub stale_data: Option<bool>,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RawGoogle {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub api_base_url: Option<String>,
    pub auth_url: Option<String>,
    pub token_url: Option<String>,
    pub revoke_url: Option<String>,
    /// "keyring" (default) or "file".
    pub token_store: Option<String>,
    pub backfill_days: Option<u32>,
    /// How many days late a watch's upload is still picked up by an ordinary sync.
    pub late_window_days: Option<u32>,
    pub retry_base_ms: Option<u64>,
    pub max_tries: Option<u32>,
    pub min_request_interval_ms: Option<u64>,
    pub login_timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RawRemote {
    /// `gs://BUCKET/PREFIX` or `file:///PATH`.
    pub url: Option<String>,
    /// A service-account key file for GCS.
    pub service_account_key: Option<PathBuf>,
    /// A GCS-compatible server to use instead of Google's (for tests and emulators).
    pub gcs_base_url: Option<String>,
    /// The accounts this machine syncs (a cohort sharing a bucket); every account when unset.
    pub accounts: Option<Vec<String>>,
}

/// Reads `path`; a missing file is an empty configuration only when `must_exist` is false.
pub fn load(path: &Path, must_exist: bool) -> Result<RawConfig, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
            Ok(RawConfig::default())
        }
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_of_the_example_is_in_its_table() {
        // Uncommented (the first example of each key), the example is a valid file: no key
        // sits in a table it does not belong to.
        let mut text = String::new();
        let mut seen = std::collections::HashSet::new();
        let mut table = String::new();
        for line in EXAMPLE.lines() {
            let l = line.strip_prefix("# ").unwrap_or(line);
            let is_table = l.starts_with('[') && l.ends_with(']');
            let key = l.split_once(" = ").map(|(k, _)| k);
            if is_table {
                table = l.to_string();
                text.push_str(l);
                text.push('\n');
            } else if let Some(k) =
                key.filter(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            {
                if seen.insert(format!("{table}.{k}")) {
                    let value = l.split_once(" = ").unwrap().1;
                    let value = value.split("  #").next().unwrap().trim();
                    text.push_str(&format!("{k} = {value}\n"));
                }
            }
        }
        let c: RawConfig = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(c.timezone.as_deref(), Some("America/New_York"));
        assert_eq!(c.notify.ping_timeout_secs, Some(5));
        assert!(c.google.late_window_days.is_some());
    }

    #[test]
    fn the_example_parses_and_sets_nothing_by_default() {
        let c: RawConfig = toml::from_str(EXAMPLE).unwrap();
        assert_eq!(c, RawConfig::default());
        // Uncommenting the remote lines gives a valid remote.
        let on: String = EXAMPLE
            .lines()
            .map(|l| {
                l.strip_prefix("# url = \"file")
                    .map_or(l.to_string(), |r| format!("url = \"file{r}"))
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c: RawConfig = toml::from_str(&on).unwrap();
        assert!(c.remote.url.unwrap().starts_with("file://"));
    }

    #[test]
    fn unknown_keys_are_errors() {
        assert!(toml::from_str::<RawConfig>("[remote]\nulr = \"x\"").is_err());
    }
}

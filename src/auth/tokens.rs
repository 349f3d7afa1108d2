//! Token sets and the stores that keep them.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::AuthError;

/// An account's tokens.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: String,
    /// UTC epoch seconds.
    pub access_expires_at: i64,
    pub refresh_token: String,
    /// UTC epoch seconds, when the token response announced one (apps in "Testing" status).
    pub refresh_expires_at: Option<i64>,
    pub scope: String,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"<hidden>")
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh_token", &"<hidden>")
            .field("refresh_expires_at", &self.refresh_expires_at)
            .field("scope", &self.scope)
            .finish()
    }
}

/// Where tokens are kept.
pub trait TokenStore: Send + Sync {
    fn load(&self, account: &str) -> Result<Option<TokenSet>, AuthError>;
    fn save(&self, account: &str, tokens: &TokenSet) -> Result<(), AuthError>;
    fn delete(&self, account: &str) -> Result<(), AuthError>;
    /// "keyring" or "file", as `auth status` reports it.
    fn kind(&self) -> &'static str;
}

/// The OS keyring: Secret Service on Linux, Keychain on macOS.
pub struct KeyringTokenStore {
    service: String,
}

impl KeyringTokenStore {
    pub fn new() -> KeyringTokenStore {
        KeyringTokenStore {
            service: "fitpipe".into(),
        }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, AuthError> {
        keyring::Entry::new(&self.service, &format!("google:{account}")).map_err(keyring_err)
    }
}

impl Default for KeyringTokenStore {
    fn default() -> Self {
        Self::new()
    }
}

fn keyring_err(e: keyring::Error) -> AuthError {
    let hint = match &e {
        keyring::Error::NoDefaultStore | keyring::Error::NoStorageAccess(_) => {
            " (no Secret Service / Keychain reachable, or it is locked; unlock it, or set google.token_store = \"file\")"
        }
        _ => "",
    };
    AuthError::Keyring(format!("{e}{hint}"))
}

impl TokenStore for KeyringTokenStore {
    fn load(&self, account: &str) -> Result<Option<TokenSet>, AuthError> {
        match self.entry(account)?.get_password() {
            Ok(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| AuthError::Keyring(format!("the stored tokens are unreadable: {e}"))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_err(e)),
        }
    }

    fn save(&self, account: &str, tokens: &TokenSet) -> Result<(), AuthError> {
        let json = serde_json::to_string(tokens).expect("serializable");
        self.entry(account)?
            .set_password(&json)
            .map_err(keyring_err)
    }

    fn delete(&self, account: &str) -> Result<(), AuthError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_err(e)),
        }
    }

    fn kind(&self) -> &'static str {
        "keyring"
    }
}

/// A 0600 file per account, written atomically: the explicit choice for machines with no
/// keyring.
pub struct FileTokenStore {
    dir: PathBuf,
}

impl FileTokenStore {
    pub fn new(dir: PathBuf) -> FileTokenStore {
        FileTokenStore { dir }
    }

    fn path(&self, account: &str) -> PathBuf {
        self.dir.join(format!("{account}.json"))
    }

    fn err(&self, account: &str, e: impl fmt::Display) -> AuthError {
        AuthError::TokenFile {
            path: self.path(account).display().to_string(),
            message: e.to_string(),
        }
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self, account: &str) -> Result<Option<TokenSet>, AuthError> {
        match std::fs::read_to_string(self.path(account)) {
            Ok(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| self.err(account, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.err(account, e)),
        }
    }

    fn save(&self, account: &str, tokens: &TokenSet) -> Result<(), AuthError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| self.err(account, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700));
        }
        // Written 0600 (files::write_atomically's mode).
        crate::files::write_atomically(&self.path(account), |w| serde_json::to_writer(w, tokens))
            .map_err(|e| self.err(account, e))?
            .map_err(|e| self.err(account, e))
    }

    fn delete(&self, account: &str) -> Result<(), AuthError> {
        match std::fs::remove_file(self.path(account)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.err(account, e)),
        }
    }

    fn kind(&self) -> &'static str {
        "file"
    }
}

/// Tokens in memory, for tests.
#[derive(Default)]
pub struct MemoryTokenStore {
    map: Mutex<HashMap<String, TokenSet>>,
}

impl TokenStore for MemoryTokenStore {
    fn load(&self, account: &str) -> Result<Option<TokenSet>, AuthError> {
        Ok(self.map.lock().expect("not poisoned").get(account).cloned())
    }

    fn save(&self, account: &str, tokens: &TokenSet) -> Result<(), AuthError> {
        self.map
            .lock()
            .expect("not poisoned")
            .insert(account.to_string(), tokens.clone());
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<(), AuthError> {
        self.map.lock().expect("not poisoned").remove(account);
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> TokenSet {
        TokenSet {
            access_token: "ya29.SECRET-ACCESS".into(),
            access_expires_at: 100,
            refresh_token: "1//SECRET-REFRESH".into(),
            refresh_expires_at: Some(200),
            scope: "s".into(),
        }
    }

    #[test]
    fn debug_output_hides_the_tokens() {
        let d = format!("{:?}", tokens());
        assert!(!d.contains("SECRET"), "{d}");
    }

    #[cfg(unix)]
    #[test]
    fn file_store_round_trips_privately() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let s = FileTokenStore::new(dir.path().join("tokens"));
        assert_eq!(s.load("a").unwrap(), None);
        s.save("a", &tokens()).unwrap();
        assert_eq!(s.load("a").unwrap(), Some(tokens()));
        let mode = std::fs::metadata(dir.path().join("tokens/a.json"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        s.delete("a").unwrap();
        assert_eq!(s.load("a").unwrap(), None);
    }

    /// Runs against the real Secret Service when one is reachable (CI starts gnome-keyring
    /// under dbus-run-session and sets FITPIPE_REQUIRE_KEYRING).
    #[test]
    fn keyring_store_round_trips() {
        let s = KeyringTokenStore {
            service: format!("fitpipe-test-{}", std::process::id()),
        };
        match s.load("a") {
            Err(e) => {
                assert!(
                    std::env::var_os("FITPIPE_REQUIRE_KEYRING").is_none(),
                    "keyring required: {e}"
                );
                eprintln!("skipped: {e}");
                return;
            }
            Ok(v) => assert_eq!(v, None),
        }
        s.save("a", &tokens()).unwrap();
        assert_eq!(s.load("a").unwrap(), Some(tokens()));
        s.delete("a").unwrap();
        assert_eq!(s.load("a").unwrap(), None);
    }
}

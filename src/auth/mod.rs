//! Google OAuth for the installed-app flow, and where the tokens live.
//!
//! Tokens are secrets: [`TokenSet`]'s `Debug` hides them, nothing here logs them, and they
//! are stored only in a [`TokenStore`] (the OS keyring, or a 0600 file when the user chose
//! that), never in the database, the config folder or an error message.

mod loopback;
pub mod oauth;
pub mod tokens;

pub use oauth::{LoginRequest, OAuth, SCOPE};
pub use tokens::{FileTokenStore, KeyringTokenStore, MemoryTokenStore, TokenSet, TokenStore};

/// The token store the settings choose: the OS keyring, or the 0600 files in the data folder.
pub fn token_store(settings: &crate::config::Settings) -> Box<dyn TokenStore> {
    match settings.google.token_store {
        crate::config::TokenStoreKind::Keyring => Box::new(KeyringTokenStore::new()),
        crate::config::TokenStoreKind::File => {
            Box::new(FileTokenStore::new(settings.data_dir.join("tokens")))
        }
    }
}

/// What can go wrong with logins and tokens.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no Google OAuth client configured: set google.client_id and google.client_secret (or FITPIPE_GOOGLE_CLIENT_ID / FITPIPE_GOOGLE_CLIENT_SECRET)")]
    NoClient,
    #[error("account {0:?} is not logged in to Google")]
    NotLoggedIn(String),
    #[error("Google refused the refresh token of account {account:?} ({detail}): it was revoked or expired")]
    InvalidGrant { account: String, detail: String },
    #[error("the login was not completed: {0}")]
    Login(String),
    #[error("the token endpoint answered: {0}")]
    TokenEndpoint(String),
    /// The token endpoint could not be reached or answered 429/5xx: worth trying again.
    #[error("the token endpoint is not available: {0}")]
    TokenEndpointUnavailable(String),
    #[error("the OS keyring is not available: {0}")]
    Keyring(String),
    #[error("token file {path}: {message}")]
    TokenFile { path: String, message: String },
    #[error("bad endpoint URL {url:?}: {message}")]
    BadUrl { url: String, message: String },
}

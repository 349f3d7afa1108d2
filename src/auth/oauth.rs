//! The OAuth client: the installed-app login (PKCE S256, a checked `state`, a loopback
//! redirect on 127.0.0.1), refreshing, and revoking. Built on the oauth2 crate, with a
//! small adapter so it sends through the one reqwest in the tree.

use std::time::Duration;

use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, PkceCodeChallenge, RedirectUrl, RefreshToken, RequestTokenError,
    Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

use super::loopback::Loopback;
use super::{AuthError, TokenSet};
use crate::config::GoogleSettings;

/// The only scope fitpipe asks for: read heart rate.
pub const SCOPE: &str =
    "https://www.googleapis.com/auth/googlehealth.health_metrics_and_measurements.readonly";

/// Google adds `refresh_token_expires_in` for apps in "Testing" status.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct GoogleExtra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_in: Option<u64>,
}

impl ExtraTokenFields for GoogleExtra {}

type GoogleTokenResponse = StandardTokenResponse<GoogleExtra, BasicTokenType>;
type Client = oauth2::Client<
    BasicErrorResponse,
    GoogleTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// An HTTP error from the adapter: the request did not reach the token endpoint, or the
/// endpoint answered with a status worth trying again (429, 5xx).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct HttpError {
    message: String,
    transient: bool,
}

impl HttpError {
    fn fatal(message: String) -> HttpError {
        HttpError {
            message,
            transient: false,
        }
    }
}

/// The OAuth side of Google, as configured.
pub struct OAuth {
    settings: GoogleSettings,
    /// Built on first use: most syncs never talk to the token endpoint.
    http: std::sync::OnceLock<reqwest::Client>,
}

/// A login in progress: the URL to open, and how to finish.
pub struct LoginRequest {
    pub url: String,
    loopback: Loopback,
    state: CsrfToken,
    verifier: oauth2::PkceCodeVerifier,
    redirect_uri: String,
}

fn bad_url(url: &str, e: impl std::fmt::Display) -> AuthError {
    AuthError::BadUrl {
        url: url.to_string(),
        message: e.to_string(),
    }
}

impl OAuth {
    pub fn new(settings: &GoogleSettings) -> Result<OAuth, AuthError> {
        if settings.client_id.is_none() || settings.client_secret.is_none() {
            return Err(AuthError::NoClient);
        }
        Ok(OAuth {
            settings: settings.clone(),
            http: std::sync::OnceLock::new(),
        })
    }

    fn http(&self) -> Result<reqwest::Client, AuthError> {
        if let Some(c) = self.http.get() {
            return Ok(c.clone());
        }
        // Redirects are never followed for token calls (oauth2's advice: SSRF).
        let c = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| AuthError::TokenEndpoint(e.to_string()))?;
        Ok(self.http.get_or_init(|| c).clone())
    }

    fn client(&self, redirect_uri: Option<&str>) -> Result<Client, AuthError> {
        let s = &self.settings;
        let mut c = oauth2::Client::new(ClientId::new(s.client_id.clone().unwrap_or_default()))
            .set_client_secret(ClientSecret::new(
                s.client_secret.clone().unwrap_or_default(),
            ))
            .set_auth_uri(AuthUrl::new(s.auth_url.clone()).map_err(|e| bad_url(&s.auth_url, e))?)
            .set_token_uri(
                TokenUrl::new(s.token_url.clone()).map_err(|e| bad_url(&s.token_url, e))?,
            )
            // Google's documented form: client_id and client_secret in the body.
            .set_auth_type(AuthType::RequestBody);
        if let Some(r) = redirect_uri {
            c = c.set_redirect_uri(RedirectUrl::new(r.to_string()).map_err(|e| bad_url(r, e))?);
        }
        Ok(c)
    }

    async fn send(
        http: reqwest::Client,
        req: oauth2::HttpRequest,
    ) -> Result<oauth2::HttpResponse, HttpError> {
        let req = reqwest::Request::try_from(req).map_err(|e| HttpError::fatal(e.to_string()))?;
        let resp = http.execute(req).await.map_err(|e| HttpError {
            message: e.without_url().to_string(),
            transient: true,
        })?;
        let status = resp.status();
        if status.as_u16() == 429 || status.is_server_error() {
            let body = resp.text().await.unwrap_or_default();
            return Err(HttpError {
                message: format!(
                    "HTTP {}: {}",
                    status.as_u16(),
                    body.chars().take(200).collect::<String>()
                ),
                transient: true,
            });
        }
        let mut b = http::Response::builder().status(resp.status());
        for (k, v) in resp.headers() {
            b = b.header(k, v);
        }
        let body = resp.bytes().await.map_err(|e| HttpError {
            message: e.to_string(),
            transient: true,
        })?;
        b.body(body.to_vec())
            .map_err(|e| HttpError::fatal(e.to_string()))
    }

    /// Starts a login: binds the loopback port and builds the authorization URL.
    pub fn start_login(&self) -> Result<LoginRequest, AuthError> {
        let loopback = Loopback::bind()?;
        let redirect_uri = loopback.redirect_uri();
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .client(Some(&redirect_uri))?
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new(SCOPE.into()))
            .set_pkce_challenge(challenge)
            .add_extra_param("access_type", "offline")
            .add_extra_param("prompt", "consent")
            .url();
        Ok(LoginRequest {
            url: url.to_string(),
            loopback,
            state,
            verifier,
            redirect_uri,
        })
    }

    /// Waits for the browser's redirect, checks `state`, and exchanges the code.
    pub async fn finish_login(&self, req: LoginRequest, now: i64) -> Result<TokenSet, AuthError> {
        let timeout = Duration::from_secs(self.settings.login_timeout_secs);
        let loopback = req.loopback;
        let redirect = crate::runtime::blocking(move || loopback.wait(timeout)).await?;
        if redirect.state != *req.state.secret() {
            return Err(AuthError::Login(
                "the redirect's state did not match this login (a stale or forged redirect)".into(),
            ));
        }
        self.exchange(&req.redirect_uri, redirect.code, req.verifier, now)
            .await
    }

    /// Finishes a login from what the user pasted: the address the browser was sent to
    /// (checked against the login's `state`), or the code alone (bound to this login by
    /// its PKCE verifier all the same).
    pub async fn finish_login_pasted(
        &self,
        req: LoginRequest,
        pasted: &str,
        now: i64,
    ) -> Result<TokenSet, AuthError> {
        let code = pasted_code(pasted, req.state.secret())?;
        self.exchange(&req.redirect_uri, code, req.verifier, now)
            .await
    }

    async fn exchange(
        &self,
        redirect_uri: &str,
        code: String,
        verifier: oauth2::PkceCodeVerifier,
        now: i64,
    ) -> Result<TokenSet, AuthError> {
        let http = self.http()?;
        let send = move |r| Self::send(http.clone(), r);
        let resp = self
            .client(Some(redirect_uri))?
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(verifier)
            .request_async(&send)
            .await
            .map_err(|e| token_error(e, ""))?;
        let refresh = resp
            .refresh_token()
            .map(|r| r.secret().clone())
            .ok_or_else(|| {
                AuthError::TokenEndpoint(
                    "no refresh token in the answer (was access_type=offline honoured?)".into(),
                )
            })?;
        Ok(token_set(&resp, refresh, now))
    }

    /// A fresh access token for `tokens`; keeps the refresh token unless Google sends a new one.
    pub async fn refresh(
        &self,
        account: &str,
        tokens: &TokenSet,
        now: i64,
    ) -> Result<TokenSet, AuthError> {
        let http = self.http()?;
        let send = move |r| Self::send(http.clone(), r);
        let resp = self
            .client(None)?
            .exchange_refresh_token(&RefreshToken::new(tokens.refresh_token.clone()))
            .request_async(&send)
            .await
            .map_err(|e| token_error(e, account))?;
        let refresh = resp
            .refresh_token()
            .map(|r| r.secret().clone())
            .unwrap_or_else(|| tokens.refresh_token.clone());
        let mut t = token_set(&resp, refresh, now);
        if resp.extra_fields().refresh_token_expires_in.is_none() {
            t.refresh_expires_at = tokens.refresh_expires_at;
        }
        if t.scope.is_empty() {
            t.scope = tokens.scope.clone();
        }
        Ok(t)
    }

    /// Revokes the refresh token (which ends the whole grant).
    pub async fn revoke(&self, tokens: &TokenSet) -> Result<(), AuthError> {
        let resp = self
            .http()?
            .post(&self.settings.revoke_url)
            .form(&[("token", tokens.refresh_token.as_str())])
            .send()
            .await
            .map_err(|e| AuthError::TokenEndpoint(e.without_url().to_string()))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let body = resp.text().await.unwrap_or_default();
        if body.contains("invalid_token") {
            return Ok(()); // already revoked or expired
        }
        Err(AuthError::TokenEndpoint(format!(
            "revoke answered {status}: {}",
            body.chars().take(200).collect::<String>()
        )))
    }
}

/// The authorization code in what the user pasted: the address the browser was sent to,
/// whose `state` must be this login's, or a bare code.
fn pasted_code(pasted: &str, state: &str) -> Result<String, AuthError> {
    let text = pasted.trim();
    if text.is_empty() {
        return Err(AuthError::Login("nothing was pasted".into()));
    }
    if !text.contains("://") && !text.contains('?') {
        return Ok(text.to_string());
    }
    let url = url::Url::parse(text)
        .map_err(|e| AuthError::Login(format!("the pasted address cannot be read: {e}")))?;
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    if let Some(err) = q.get("error") {
        return Err(AuthError::Login(format!(
            "Google answered {err:?} (consent refused?)"
        )));
    }
    if q.get("state").map(String::as_str) != Some(state) {
        return Err(AuthError::Login(
            "the pasted address's state does not match this login (an address from another login, or altered); run `fitpipe auth login --manual` again and paste the address it leads to".into(),
        ));
    }
    q.get("code")
        .cloned()
        .ok_or_else(|| AuthError::Login("the pasted address carries no code".into()))
}

fn token_set(resp: &GoogleTokenResponse, refresh_token: String, now: i64) -> TokenSet {
    TokenSet {
        access_token: resp.access_token().secret().clone(),
        access_expires_at: now + resp.expires_in().map_or(3600, |d| d.as_secs() as i64),
        refresh_token,
        refresh_expires_at: resp
            .extra_fields()
            .refresh_token_expires_in
            .map(|s| now + s as i64),
        scope: resp
            .scopes()
            .map(|s| {
                s.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_else(|| SCOPE.to_string()),
    }
}

fn token_error(e: RequestTokenError<HttpError, BasicErrorResponse>, account: &str) -> AuthError {
    match e {
        RequestTokenError::ServerResponse(r)
            if *r.error() == BasicErrorResponseType::InvalidGrant =>
        {
            AuthError::InvalidGrant {
                account: account.to_string(),
                detail: r
                    .error_description()
                    .cloned()
                    .unwrap_or_else(|| "invalid_grant".into()),
            }
        }
        RequestTokenError::ServerResponse(r) => AuthError::TokenEndpoint(format!(
            "{}{}",
            r.error(),
            r.error_description()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        )),
        RequestTokenError::Request(e) if e.transient => {
            AuthError::TokenEndpointUnavailable(e.message)
        }
        RequestTokenError::Request(e) => AuthError::TokenEndpoint(e.to_string()),
        RequestTokenError::Parse(e, _) => {
            AuthError::TokenEndpoint(format!("unreadable answer: {e}"))
        }
        RequestTokenError::Other(m) => AuthError::TokenEndpoint(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_address_gives_its_code_only_with_this_logins_state() {
        let at = "http://127.0.0.1:41234/?state=s1&code=4%2Fabc&scope=x";
        assert_eq!(pasted_code(at, "s1").unwrap(), "4/abc");
        assert_eq!(pasted_code("  4/0Abc-d_e \n", "s1").unwrap(), "4/0Abc-d_e");
        for (bad, want) in [
            (at, "state does not match"),
            (
                "http://127.0.0.1:41234/?error=access_denied&state=s1",
                "access_denied",
            ),
            ("http://127.0.0.1:41234/?state=s2", "no code"),
            ("", "nothing was pasted"),
            ("http://[bad", "cannot be read"),
        ] {
            let state = if bad.contains("state=s2") {
                "s2"
            } else {
                "other"
            };
            let state = if bad.contains("access_denied") {
                "s1"
            } else {
                state
            };
            let err = pasted_code(bad, state).unwrap_err().to_string();
            assert!(err.contains(want), "{bad}: {err}");
        }
    }
}

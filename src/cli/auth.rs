//! `fitpipe auth login|status|logout`

use std::io::Write;

use clap::{Args, Subcommand};

use super::output::io_err;
use crate::config::Settings;
use crate::error::Error;
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Let fitpipe read your heart rate: opens Google's consent page.
    Login(LoginArgs),
    /// Show the logins, their scope and token expiry (never the tokens).
    Status(StatusArgs),
    /// Revoke the account's grant at Google, then delete its tokens.
    Logout,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Print the URL only; do not open a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// For a machine without a browser (a server, over SSH): open the printed URL on any
    /// machine, then paste back the address the browser was sent to (or its code).
    #[arg(long, conflicts_with = "no_browser")]
    pub manual: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

fn expiry_line(now: i64, at: i64) -> String {
    let left = at - now;
    if left <= 0 {
        format!("expired at {}", crate::model::format_utc(at))
    } else {
        format!(
            "{} (in {} h {} min)",
            crate::model::format_utc(at),
            left / 3600,
            left % 3600 / 60
        )
    }
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let _ = std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

pub fn run(settings: &Settings, cmd: AuthCommand) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    let clients = crate::app::Clients::new(settings);
    let tokens = clients.tokens();
    let now = || crate::clock::now().timestamp();
    match cmd {
        AuthCommand::Login(args) => {
            let oauth = clients.oauth()?;
            let req = oauth.start_login()?;
            writeln!(
                out,
                "Open this address in a browser and allow fitpipe to read your heart rate:\n\n{}\n",
                req.url
            )
            .map_err(io_err)?;
            let set = if args.manual {
                writeln!(
                    out,
                    "The browser may be on any machine. After you allow access it is sent to an address\n\
                     that starts with http://127.0.0.1 and does not load there: copy that whole address from\n\
                     the address bar and paste it here (or only its code), then press Enter:"
                )
                .map_err(io_err)?;
                out.flush().map_err(io_err)?;
                let mut pasted = String::new();
                std::io::stdin().read_line(&mut pasted).map_err(io_err)?;
                crate::runtime::Runtime::new()?.block_on(oauth.finish_login_pasted(
                    req,
                    &pasted,
                    now(),
                ))?
            } else {
                writeln!(
                    out,
                    "Waiting for the browser (up to {} s)...\n\
                     If the browser shows redirect_uri_mismatch, the OAuth client is not of the type \"Desktop app\":\n\
                     create one (README, \"Google login\"). Without a browser on this machine: `fitpipe auth login --manual`.",
                    settings.google.login_timeout_secs
                )
                .map_err(io_err)?;
                out.flush().map_err(io_err)?;
                if !args.no_browser {
                    open_browser(&req.url);
                }
                crate::runtime::Runtime::new()?.block_on(oauth.finish_login(req, now()))?
            };
            tokens.save(&settings.account, &set)?;
            let mut store = Store::open(&settings.db)?;
            let id = store.ensure_account(&settings.account, &crate::clock::now_rfc3339())?;
            store.record_login(id, tokens.kind(), &set.scope, &crate::clock::now_rfc3339())?;
            writeln!(
                out,
                "logged in: account {}, tokens in the {}",
                settings.account,
                tokens.kind()
            )
            .map_err(io_err)?;
            if let Some(at) = set.refresh_expires_at {
                writeln!(
                    out,
                    "note: Google will expire this login on {} (apps in \"Testing\" status get 7-day refresh tokens); run `fitpipe auth login` again before then, or publish the app (README)",
                    crate::model::format_utc(at)
                )
                .map_err(io_err)?;
            }
            Ok(())
        }
        AuthCommand::Status(args) => {
            let logins = if settings.db.exists() {
                Store::open_read_only(&settings.db)?.logins()?
            } else {
                Vec::new()
            };
            let mut items = Vec::new();
            for l in logins {
                let set = tokens.load(&l.account).ok().flatten();
                let expiring = crate::doctor::login_expiring(
                    set.as_ref().and_then(|t| t.refresh_expires_at),
                    now(),
                );
                items.push(serde_json::json!({
                    "account": l.account,
                    "token_store": l.token_store,
                    "tokens_found": set.is_some(),
                    "scope": l.scope,
                    "logged_in_at": l.logged_in_at,
                    "access_token_expires_at": set.as_ref().map(|t| crate::model::format_utc(t.access_expires_at)),
                    "refresh_token_expires_at": set.as_ref().and_then(|t| t.refresh_expires_at).map(crate::model::format_utc),
                    "warning": expiring.map(|_| "the refresh token expires within 48 hours: run `fitpipe auth login`"),
                }));
            }
            if args.json {
                super::output::print_json(&mut out, &items)?;
                return Ok(());
            }
            if items.is_empty() {
                writeln!(out, "no Google login; run `fitpipe auth login`").map_err(io_err)?;
            }
            for l in &tokens_summary(&items, now()) {
                writeln!(out, "{l}").map_err(io_err)?;
            }
            Ok(())
        }
        AuthCommand::Logout => {
            let mut store = Store::open(&settings.db)?;
            let set = tokens.load(&settings.account)?;
            if let Some(set) = &set {
                if let Ok(oauth) = clients.oauth() {
                    if let Err(e) = crate::runtime::Runtime::new()?.block_on(oauth.revoke(set)) {
                        writeln!(out, "warning: could not revoke at Google ({e}); remove fitpipe at myaccount.google.com/connections").map_err(io_err)?;
                    }
                }
            }
            tokens.delete(&settings.account)?;
            if let Some(id) = store.account(&settings.account)? {
                store.remove_login(id)?;
            }
            writeln!(
                out,
                "{}: account {}",
                if set.is_some() {
                    "logged out and revoked"
                } else {
                    "no tokens were stored"
                },
                settings.account
            )
            .map_err(io_err)
        }
    }
}

fn tokens_summary(items: &[serde_json::Value], now: i64) -> Vec<String> {
    let mut lines = Vec::new();
    for i in items {
        lines.push(format!(
            "account {}: tokens in the {}{}",
            i["account"].as_str().unwrap_or(""),
            i["token_store"].as_str().unwrap_or(""),
            if i["tokens_found"] == true {
                ""
            } else {
                " (missing: run `fitpipe auth login`)"
            }
        ));
        lines.push(format!(
            "  scope:          {}",
            i["scope"].as_str().unwrap_or("")
        ));
        let expiry = |at: &str| {
            let ts = crate::formats::rfc3339(at).map_or(now, |(ts, _)| ts);
            expiry_line(now, ts)
        };
        if let Some(at) = i["access_token_expires_at"].as_str() {
            lines.push(format!("  access token:   {}", expiry(at)));
        }
        match i["refresh_token_expires_at"].as_str() {
            Some(at) => lines.push(format!("  refresh token:  {}", expiry(at))),
            None => lines.push("  refresh token:  no expiry announced".into()),
        }
        if let Some(w) = i["warning"].as_str() {
            lines.push(format!("  warning: {w}"));
        }
    }
    lines
}

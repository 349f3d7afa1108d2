//! `fitpipe doctor [--json]`: is everything in place, and is the history still growing?

use std::io::Write;

use clap::Args;

use super::output::io_err;
use crate::auth::{KeyringTokenStore, TokenStore};
use crate::config::{Settings, TokenStoreKind};
use crate::error::Error;
use crate::store::Store;

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print as JSON (stable keys).
    #[arg(long)]
    pub json: bool,
}

/// A series that got no new sample for this long has stopped.
const STALE_AFTER_HOURS: i64 = 24;

pub fn run(settings: &Settings, args: DoctorArgs) -> Result<(), Error> {
    let now = crate::clock::now().timestamp();
    let mut attention: Vec<String> = Vec::new();

    let store = if settings.db.exists() {
        Store::open_read_only(&settings.db).ok()
    } else {
        None
    };
    let version = store.as_ref().and_then(|s| s.schema_version().ok());
    let latest = Store::latest_schema_version();
    if store.is_none() {
        attention.push(format!(
            "no database at {}: run `fitpipe import` or `fitpipe sync`",
            settings.db.display()
        ));
    }

    let keyring = match settings.google.token_store {
        TokenStoreKind::File => {
            serde_json::json!({"used": false, "reachable": null, "detail": "google.token_store = \"file\""})
        }
        TokenStoreKind::Keyring => match KeyringTokenStore::new().load("doctor-probe") {
            Ok(_) => serde_json::json!({"used": true, "reachable": true, "detail": null}),
            Err(e) => {
                attention.push(format!("keyring: {e}"));
                serde_json::json!({"used": true, "reachable": false, "detail": e.to_string()})
            }
        },
    };

    let tokens = super::auth::token_store(settings);
    let mut token_items = Vec::new();
    for l in store
        .as_ref()
        .map(|s| s.logins().unwrap_or_default())
        .unwrap_or_default()
    {
        let set = tokens.load(&l.account).ok().flatten();
        let refresh_left_h = set
            .as_ref()
            .and_then(|t| t.refresh_expires_at)
            .map(|at| (at - now) / 3600);
        if set.is_none() {
            attention.push(format!("account {}: logged in, but its tokens are missing from the {}: run `fitpipe auth login`", l.account, l.token_store));
        }
        if let Some(h) = refresh_left_h.filter(|h| *h < 48) {
            attention.push(format!(
                "account {}: the Google login expires in {h} h: run `fitpipe auth login`",
                l.account
            ));
        }
        token_items.push(serde_json::json!({
            "account": l.account,
            "token_store": l.token_store,
            "tokens_found": set.is_some(),
            "access_token_expires_at": set.as_ref().map(|t| crate::model::format_utc(t.access_expires_at)),
            "refresh_token_expires_at": set.as_ref().and_then(|t| t.refresh_expires_at).map(crate::model::format_utc),
        }));
    }

    let remote = match &settings.remote {
        None => {
            serde_json::json!({"configured": false, "url": null, "reachable": null, "detail": null})
        }
        Some(rs) => {
            let probe = crate::sync::Remote::open(rs)
                .map_err(|e| e.to_string())
                .and_then(|r| {
                    let rt = super::runtime::runtime().map_err(|e| e.to_string())?;
                    rt.block_on(async {
                        tokio::time::timeout(std::time::Duration::from_secs(20), r.list("samples/"))
                            .await
                            .map_err(|_| "no answer within 20 s".to_string())?
                            .map_err(|e| e.to_string())
                    })
                });
            if let Err(e) = &probe {
                attention.push(format!("remote {}: {e}", rs.url));
            }
            serde_json::json!({"configured": true, "url": rs.url.to_string(), "reachable": probe.is_ok(), "detail": probe.err()})
        }
    };

    let dirs = crate::service::UserDirs::current()?;
    let timer = serde_json::to_value(super::service::status(
        settings,
        crate::service::Platform::current(),
        &dirs,
    ))
    .map_err(|e| Error::Internal(format!("service status as JSON: {e}")))?;

    let last_sync = store.as_ref().and_then(|s| s.last_sync().ok().flatten());
    let sync_ago_h = last_sync
        .as_deref()
        .and_then(crate::formats::rfc3339)
        .map(|(t, _)| (now - t) / 3600);
    if timer["installed"] == true && sync_ago_h.is_none_or(|h| h > 25) {
        attention.push("the timer is installed but no sync finished in the last 25 h: see `fitpipe service status` and the journal".into());
    }

    let mut series = Vec::new();
    for (account, last) in store
        .as_ref()
        .map(|s| s.last_samples().unwrap_or_default())
        .unwrap_or_default()
    {
        let hours = last.map(|l| (now - l) / 3600);
        let stale = hours.is_none_or(|h| h >= STALE_AFTER_HOURS);
        if stale {
            attention.push(format!(
                "account {account}: no new samples for {}: is the watch syncing, and is the pull running?",
                hours.map_or("ever".to_string(), |h| format!("{h} h"))
            ));
        }
        series.push(serde_json::json!({
            "account": account,
            "last_sample_utc": last.map(crate::model::format_utc),
            "hours_since_last_sample": hours,
            "stale": stale,
        }));
    }

    let report = serde_json::json!({
        "ok": attention.is_empty(),
        "paths": {
            "data_dir": settings.data_dir.display().to_string(),
            "database": settings.db.display().to_string(),
            "config_file": settings.config_file.display().to_string(),
        },
        "config": {"found": settings.config_found},
        "database": {"exists": store.is_some(), "schema_version": version, "latest_schema_version": latest},
        "keyring": keyring,
        "tokens": token_items,
        "remote": remote,
        "timer": timer,
        "last_sync": {"at": last_sync, "hours_ago": sync_ago_h},
        "series": series,
        "attention": attention,
    });
    let mut out = std::io::stdout().lock();
    if args.json {
        super::output::print_json(&mut out, &report)?;
    } else {
        let mark = |ok: bool| if ok { "ok  " } else { "WARN" };
        let lines = [
            (
                true,
                format!(
                    "database  {} (schema {} of {})",
                    settings.db.display(),
                    version.map_or("-".into(), |v| v.to_string()),
                    latest
                ),
            ),
            (
                true,
                format!(
                    "config    {}{}",
                    settings.config_file.display(),
                    if settings.config_found {
                        ""
                    } else {
                        " (not found: defaults)"
                    }
                ),
            ),
            (
                report["keyring"]["reachable"] != false,
                format!(
                    "keyring   {}",
                    if report["keyring"]["used"] == true {
                        if report["keyring"]["reachable"] == true {
                            "reachable"
                        } else {
                            "NOT reachable"
                        }
                    } else {
                        "not used (token file)"
                    }
                ),
            ),
            (
                report["remote"]["reachable"] != false,
                format!(
                    "remote    {}",
                    report["remote"]["url"]
                        .as_str()
                        .unwrap_or("none configured")
                ),
            ),
            (
                true,
                format!(
                    "timer     {}",
                    if timer["installed"] == true {
                        "installed"
                    } else {
                        "not installed"
                    }
                ),
            ),
            (
                true,
                format!("last sync {}", last_sync.as_deref().unwrap_or("never")),
            ),
        ];
        for (ok, l) in lines {
            writeln!(out, "{} {l}", mark(ok)).map_err(io_err)?;
        }
        for a in &attention {
            writeln!(out, "attention: {a}").map_err(io_err)?;
        }
    }
    if attention.is_empty() {
        Ok(())
    } else {
        Err(Error::NeedsAttention(format!(
            "{} item(s) need attention",
            attention.len()
        )))
    }
}

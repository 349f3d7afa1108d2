//! `fitpipe service install|uninstall|status`

use std::io::Write;

use clap::{Args, Subcommand};

use super::output::io_err;
use crate::config::Settings;
use crate::error::Error;
use crate::service::{self, Every, Plan, Platform, ServiceStatus, UserDirs};

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Install and start the timer that runs `fitpipe sync`.
    Install(InstallArgs),
    /// Stop the timer and remove every file `install` wrote.
    Uninstall(DryRun),
    /// Whether the timer is installed, its last run and result, its next run.
    Status(StatusArgs),
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// How often: 15m, 30m, 1h, 6h, 1d...
    #[arg(long, default_value = "1h", value_parser = Every::parse)]
    pub every: Every,
    /// Print the files and commands instead of acting.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct DryRun {
    /// Print the files and commands instead of acting.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The command line the timer runs: this binary, the database and config in use, `sync`.
fn sync_args(settings: &Settings) -> Vec<String> {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "fitpipe".into());
    let mut args = vec![exe, "--db".into(), settings.db.display().to_string()];
    if settings.config_found {
        args.push("--config".into());
        args.push(settings.config_file.display().to_string());
    }
    args.push("sync".into());
    args
}

fn show(out: &mut impl Write, plan: &Plan, writing: bool) -> std::io::Result<()> {
    for f in &plan.files {
        if writing {
            writeln!(out, "# {}\n{}", f.path.display(), f.contents)?;
        } else {
            writeln!(out, "remove {}", f.path.display())?;
        }
    }
    for c in &plan.commands {
        writeln!(out, "$ {}", c.join(" "))?;
    }
    Ok(())
}

pub fn run(settings: &Settings, cmd: ServiceCommand) -> Result<(), Error> {
    let d = UserDirs::current()?;
    let platform = Platform::current();
    let mut out = std::io::stdout().lock();
    match cmd {
        ServiceCommand::Install(a) => {
            let args = sync_args(settings);
            if a.dry_run {
                let plan =
                    service::plan_install(platform, &d.home, &d.config_home, d.uid, &args, a.every);
                return show(&mut out, &plan, true).map_err(io_err);
            }
            let done = service::install(platform, &d, &args, a.every)?;
            if let Some(e) = done.enabled_by_link {
                writeln!(
                    out,
                    "note: {e}; the timer is enabled and starts with your next login session (or run `systemctl --user start {}` in one)",
                    service::TIMER_NAME
                )
                .map_err(io_err)?;
            }
            let files = done
                .plan
                .files
                .iter()
                .map(|f| f.path.display().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            writeln!(
                out,
                "installed: `fitpipe sync` every {} ({files})",
                a.every.label()
            )
            .map_err(io_err)
        }
        ServiceCommand::Uninstall(a) => {
            if a.dry_run {
                let plan = service::plan_uninstall(platform, &d.home, &d.config_home, d.uid);
                return show(&mut out, &plan, false).map_err(io_err);
            }
            for path in service::uninstall(platform, &d)? {
                writeln!(out, "removed {}", path.display()).map_err(io_err)?;
            }
            Ok(())
        }
        ServiceCommand::Status(a) => {
            let s = status(settings, platform, &d);
            let (scheduled, lines) = super::status::scheduled(settings);
            if a.json {
                let mut v = serde_json::to_value(&s).expect("serializable");
                v["scheduled"] = scheduled;
                return super::output::print_json(&mut out, &v);
            }
            writeln!(
                out,
                "timer: {} ({})",
                if s.installed {
                    "installed"
                } else {
                    "not installed"
                },
                serde_json::to_value(s.platform)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            )
            .map_err(io_err)?;
            for (k, v) in [
                ("last_run", &s.last_run),
                ("last_result", &s.last_result),
                ("next_run", &s.next_run),
                ("last_sync", &s.last_sync),
            ] {
                if let Some(x) = v {
                    writeln!(out, "{k:<12} {x}").map_err(io_err)?;
                }
            }
            for line in lines {
                writeln!(out, "{line}").map_err(io_err)?;
            }
            Ok(())
        }
    }
}

/// The service's state, with the database's last sync (also used by `doctor`).
pub(crate) fn status(settings: &Settings, platform: Platform, d: &UserDirs) -> ServiceStatus {
    let last_sync = crate::store::Store::open_read_only(&settings.db)
        .ok()
        .and_then(|s| s.last_sync().ok().flatten());
    service::status(platform, d, last_sync)
}

//! `fitpipe service install|uninstall|status`

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{Args, Subcommand};

use super::output::io_err;
use crate::config::Settings;
use crate::error::Error;
use crate::service::{self, Every, Plan, Platform};

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

pub(crate) struct Dirs {
    home: PathBuf,
    config_home: PathBuf,
    uid: u32,
}

fn dirs() -> Result<Dirs, Error> {
    let b =
        directories::BaseDirs::new().ok_or_else(|| Error::Usage("no home folder found".into()))?;
    #[cfg(unix)]
    let uid = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(b.home_dir())
            .map(|m| m.uid())
            .unwrap_or(0)
    };
    #[cfg(not(unix))]
    let uid = 0;
    Ok(Dirs {
        home: b.home_dir().to_path_buf(),
        config_home: b.config_dir().to_path_buf(),
        uid,
    })
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

fn run_commands(plan: &Plan, tolerate_failure_of_first: bool) -> Result<(), Error> {
    for (i, c) in plan.commands.iter().enumerate() {
        let status = Command::new(&c[0]).args(&c[1..]).status();
        let ok = matches!(&status, Ok(s) if s.success());
        let tolerated = tolerate_failure_of_first && i == 0;
        if !ok && !tolerated {
            return Err(Error::Service(format!(
                "`{}` failed{}",
                c.join(" "),
                match status {
                    Ok(s) => format!(" ({s})"),
                    Err(e) => format!(": {e}"),
                }
            )));
        }
    }
    Ok(())
}

fn write_file(path: &Path, contents: &str) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Output(format!("write {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(path, contents).map_err(io)
}

/// Where `systemctl --user enable` links the timer.
fn wants_link(config_home: &Path) -> PathBuf {
    config_home
        .join("systemd/user/timers.target.wants")
        .join(service::TIMER_NAME)
}

/// Enables the timer without a running user manager: the link `enable` would make.
fn enable_by_link(config_home: &Path) -> std::io::Result<()> {
    let link = wants_link(config_home);
    if link.symlink_metadata().is_ok() {
        return Ok(());
    }
    std::fs::create_dir_all(link.parent().expect("has a parent"))?;
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(format!("../{}", service::TIMER_NAME), &link)
    }
    #[cfg(not(unix))]
    {
        Err(std::io::Error::other("symlinks need unix"))
    }
}

/// What `systemctl --user show` says of a unit, as key -> value.
fn systemctl_show(unit: &str, props: &str) -> Option<std::collections::BTreeMap<String, String>> {
    let out = Command::new("systemctl")
        .args(["--user", "show", unit, "-p", props])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                l.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            })
            .collect(),
    )
}

pub fn run(settings: &Settings, cmd: ServiceCommand) -> Result<(), Error> {
    let d = dirs()?;
    let platform = Platform::current();
    let mut out = std::io::stdout().lock();
    match cmd {
        ServiceCommand::Install(a) => {
            let plan = service::plan_install(
                platform,
                &d.home,
                &d.config_home,
                d.uid,
                &sync_args(settings),
                a.every,
            );
            if a.dry_run {
                return show(&mut out, &plan, true).map_err(io_err);
            }
            for f in &plan.files {
                write_file(&f.path, &f.contents)?;
            }
            if platform == Platform::Launchd {
                // launchd does not create the folder of StandardOutPath.
                let logs = d.home.join("Library/Logs/fitpipe");
                std::fs::create_dir_all(&logs)
                    .map_err(|e| Error::Output(format!("create {}: {e}", logs.display())))?;
            }
            let files = plan
                .files
                .iter()
                .map(|f| f.path.display().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            match run_commands(&plan, platform == Platform::Launchd) {
                Ok(()) => {}
                // No user manager right now (an SSH or container session): enable the timer
                // the way `systemctl enable` does, so it starts with the next login session.
                Err(e)
                    if platform == Platform::Systemd && enable_by_link(&d.config_home).is_ok() =>
                {
                    writeln!(
                        out,
                        "note: {e}; the timer is enabled and starts with your next login session (or run `systemctl --user start {}` in one)",
                        service::TIMER_NAME
                    )
                    .map_err(io_err)?;
                }
                Err(e) => return Err(e),
            }
            writeln!(
                out,
                "installed: `fitpipe sync` every {} ({files})",
                a.every.label()
            )
            .map_err(io_err)
        }
        ServiceCommand::Uninstall(a) => {
            let plan = service::plan_uninstall(platform, &d.home, &d.config_home, d.uid);
            if a.dry_run {
                return show(&mut out, &plan, false).map_err(io_err);
            }
            // Stopping may fail when it was never started; the files go regardless.
            let _ = run_commands(&plan, true);
            for f in &plan.files {
                match std::fs::remove_file(&f.path) {
                    Ok(()) => writeln!(out, "removed {}", f.path.display()).map_err(io_err)?,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(Error::Output(format!("remove {}: {e}", f.path.display())))
                    }
                }
            }
            if platform == Platform::Systemd {
                let link = wants_link(&d.config_home);
                if link.symlink_metadata().is_ok() {
                    std::fs::remove_file(&link)
                        .map_err(|e| Error::Output(format!("remove {}: {e}", link.display())))?;
                    writeln!(out, "removed {}", link.display()).map_err(io_err)?;
                }
                let _ = Command::new("systemctl")
                    .args(["--user", "daemon-reload"])
                    .status();
            }
            Ok(())
        }
        ServiceCommand::Status(a) => {
            let v = status_json(settings, platform, &d);
            if a.json {
                return super::output::print_json(&mut out, &v);
            }
            writeln!(
                out,
                "timer: {} ({})",
                if v["installed"] == true {
                    "installed"
                } else {
                    "not installed"
                },
                v["platform"].as_str().unwrap_or("")
            )
            .map_err(io_err)?;
            for k in ["last_run", "last_result", "next_run", "last_sync"] {
                if let Some(x) = v[k].as_str() {
                    writeln!(out, "{k:<12} {x}").map_err(io_err)?;
                }
            }
            Ok(())
        }
    }
}

/// The service's state, with stable keys (also used by `doctor`).
pub(crate) fn status_json(settings: &Settings, platform: Platform, d: &Dirs) -> serde_json::Value {
    let files: Vec<PathBuf> = service::plan_uninstall(platform, &d.home, &d.config_home, d.uid)
        .files
        .into_iter()
        .map(|f| f.path)
        .collect();
    let installed = files.iter().all(|f| f.exists());
    let (mut last_run, mut last_result, mut next_run) = (None, None, None);
    if installed && platform == Platform::Systemd {
        if let Some(s) = systemctl_show(
            service::SERVICE_NAME,
            "Result,ExecMainStatus,ExecMainExitTimestamp",
        ) {
            last_run = s
                .get("ExecMainExitTimestamp")
                .filter(|v| !v.is_empty())
                .cloned();
            last_result = s.get("Result").map(|r| {
                format!(
                    "{r} (exit status {})",
                    s.get("ExecMainStatus").map_or("?", |v| v)
                )
            });
        }
        if let Some(s) = systemctl_show(service::TIMER_NAME, "NextElapseUSecRealtime") {
            next_run = s
                .get("NextElapseUSecRealtime")
                .filter(|v| !v.is_empty())
                .cloned();
        }
    }
    let last_sync = crate::store::Store::open_read_only(&settings.db)
        .ok()
        .and_then(|s| s.last_sync().ok().flatten());
    serde_json::json!({
        "platform": platform,
        "installed": installed,
        "files": files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "last_run": last_run,
        "last_result": last_result,
        "next_run": next_run,
        "last_sync": last_sync,
    })
}

pub(crate) fn current_dirs() -> Result<(Platform, Dirs), Error> {
    Ok((Platform::current(), dirs()?))
}

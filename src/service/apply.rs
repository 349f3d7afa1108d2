//! Performing the plans of this module: writing and removing the unit files, running the
//! service manager's commands, and reading back the timer's state. The only part of
//! `service` that touches the file system or starts processes.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{plan_install, plan_uninstall, Every, Plan, Platform, ServiceError, TIMER_NAME};

/// The user's folders the unit files go in, and the uid launchd's domain is named by.
pub struct UserDirs {
    pub home: PathBuf,
    pub config_home: PathBuf,
    pub uid: u32,
}

impl UserDirs {
    /// This user's folders.
    pub fn current() -> Result<UserDirs, ServiceError> {
        let (home, config_home) = crate::config::home_dirs().ok_or(ServiceError::NoHome)?;
        #[cfg(unix)]
        let uid = {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(&home).map(|m| m.uid()).unwrap_or(0)
        };
        #[cfg(not(unix))]
        let uid = 0;
        Ok(UserDirs {
            home,
            config_home,
            uid,
        })
    }
}

/// What an install did.
pub struct Installed {
    pub plan: Plan,
    /// The service manager could not be reached (an SSH or container session): the timer is
    /// enabled by its link and starts with the next login session. Holds why.
    pub enabled_by_link: Option<ServiceError>,
}

/// Writes the unit files for running `sync_args` every `every`, and enables them.
pub fn install(
    platform: Platform,
    d: &UserDirs,
    sync_args: &[String],
    every: Every,
) -> Result<Installed, ServiceError> {
    let plan = plan_install(platform, &d.home, &d.config_home, d.uid, sync_args, every);
    for f in &plan.files {
        write_file(&f.path, &f.contents)?;
    }
    if platform == Platform::Launchd {
        // launchd does not create the folder of StandardOutPath.
        let logs = d.home.join("Library/Logs/fitpipe");
        std::fs::create_dir_all(&logs).map_err(|source| ServiceError::File {
            op: "create",
            path: logs,
            source,
        })?;
    }
    let enabled_by_link = match run_commands(&plan, platform == Platform::Launchd) {
        Ok(()) => None,
        // No user manager right now: enable the timer the way `systemctl enable` does.
        Err(e) if platform == Platform::Systemd && enable_by_link(&d.config_home).is_ok() => {
            Some(e)
        }
        Err(e) => return Err(e),
    };
    Ok(Installed {
        plan,
        enabled_by_link,
    })
}

/// Stops the timer and removes every file install wrote; returns the files removed.
pub fn uninstall(platform: Platform, d: &UserDirs) -> Result<Vec<PathBuf>, ServiceError> {
    let plan = plan_uninstall(platform, &d.home, &d.config_home, d.uid);
    // Stopping may fail when it was never started; the files go regardless.
    let _ = run_commands(&plan, true);
    let mut removed = Vec::new();
    let remove = |path: &Path, removed: &mut Vec<PathBuf>| match std::fs::remove_file(path) {
        Ok(()) => {
            removed.push(path.to_path_buf());
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(ServiceError::File {
            op: "remove",
            path: path.to_path_buf(),
            source,
        }),
    };
    for f in &plan.files {
        remove(&f.path, &mut removed)?;
    }
    if platform == Platform::Systemd {
        let link = wants_link(&d.config_home);
        if link.symlink_metadata().is_ok() {
            remove(&link, &mut removed)?;
        }
        let _ = Command::new("systemctl")
            .args(["--user", "daemon-reload"])
            .status();
    }
    Ok(removed)
}

/// The timer's state as the service manager reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServiceStatus {
    pub platform: Platform,
    pub installed: bool,
    pub files: Vec<String>,
    pub last_run: Option<String>,
    pub last_result: Option<String>,
    pub next_run: Option<String>,
    /// The last finished sync of the database, from the database (not the service manager).
    pub last_sync: Option<String>,
}

/// Reads the timer's state; `last_sync` comes from the database and is passed in.
pub fn status(platform: Platform, d: &UserDirs, last_sync: Option<String>) -> ServiceStatus {
    let files: Vec<PathBuf> = plan_uninstall(platform, &d.home, &d.config_home, d.uid)
        .files
        .into_iter()
        .map(|f| f.path)
        .collect();
    let installed = files.iter().all(|f| f.exists());
    let (mut last_run, mut last_result, mut next_run) = (None, None, None);
    if installed && platform == Platform::Systemd {
        if let Some(s) = systemctl_show(
            super::SERVICE_NAME,
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
        if let Some(s) = systemctl_show(TIMER_NAME, "NextElapseUSecRealtime") {
            next_run = s
                .get("NextElapseUSecRealtime")
                .filter(|v| !v.is_empty())
                .cloned();
        }
    }
    ServiceStatus {
        platform,
        installed,
        files: files.iter().map(|f| f.display().to_string()).collect(),
        last_run,
        last_result,
        next_run,
        last_sync,
    }
}

fn run_commands(plan: &Plan, tolerate_failure_of_first: bool) -> Result<(), ServiceError> {
    for (i, c) in plan.commands.iter().enumerate() {
        let status = Command::new(&c[0]).args(&c[1..]).status();
        let ok = matches!(&status, Ok(s) if s.success());
        let tolerated = tolerate_failure_of_first && i == 0;
        if !ok && !tolerated {
            return Err(ServiceError::Command {
                command: c.join(" "),
                outcome: match status {
                    Ok(s) => format!(" ({s})"),
                    Err(e) => format!(": {e}"),
                },
            });
        }
    }
    Ok(())
}

fn write_file(path: &Path, contents: &str) -> Result<(), ServiceError> {
    let io = |source| ServiceError::File {
        op: "write",
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(path, contents).map_err(io)
}

/// Where `systemctl --user enable` links the timer.
fn wants_link(config_home: &Path) -> PathBuf {
    config_home
        .join("systemd/user/timers.target.wants")
        .join(TIMER_NAME)
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
        std::os::unix::fs::symlink(format!("../{TIMER_NAME}"), &link)
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

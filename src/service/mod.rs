//! Running `fitpipe sync` on a timer: a systemd user service and timer on Linux, a launchd
//! agent on macOS. The unit files are the templates in `packaging/`, compiled in, so what a
//! package ships and what `fitpipe service install` writes are the same text. Planning (what
//! files, what commands) is pure and lives here; `apply` performs a plan and reads the
//! timer's state; `lock` keeps two syncs of one database apart.

mod apply;
mod lock;

use std::path::{Path, PathBuf};

pub use apply::{install, status, uninstall, Installed, ServiceStatus, UserDirs};
pub use lock::{lock, Holder, SyncLock};

/// What can go wrong installing, reading or locking.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("no home folder found")]
    NoHome,
    #[error("`{command}` failed{outcome}")]
    Command { command: String, outcome: String },
    #[error("{op} {path}: {source}")]
    File {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{op} {path}: {source}")]
    LockFile {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("another fitpipe sync is running on {}", .0.display())]
    Locked(PathBuf),
}

pub const SERVICE_TEMPLATE: &str = include_str!("../../packaging/systemd/fitpipe-sync.service");
pub const TIMER_TEMPLATE: &str = include_str!("../../packaging/systemd/fitpipe-sync.timer");
pub const PLIST_TEMPLATE: &str = include_str!("../../packaging/launchd/dev.fitpipe.sync.plist");

pub const SERVICE_NAME: &str = "fitpipe-sync.service";
pub const TIMER_NAME: &str = "fitpipe-sync.timer";
pub const PLIST_LABEL: &str = "dev.fitpipe.sync";

/// Which service manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Systemd,
    Launchd,
}

impl Platform {
    pub fn current() -> Platform {
        if cfg!(target_os = "macos") {
            Platform::Launchd
        } else {
            Platform::Systemd
        }
    }
}

/// A run interval, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Every(pub u32);

impl Every {
    /// Parses `15m`, `30min`, `1h`, `2h`, `90m`, `1d`.
    pub fn parse(s: &str) -> Result<Every, String> {
        let s = s.trim();
        let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
        let n: u32 = num
            .parse()
            .map_err(|_| format!("interval {s:?}: expected a number and a unit, e.g. 1h or 30m"))?;
        let minutes = match unit {
            "m" | "min" | "minutes" => n,
            "h" | "hour" | "hours" => n * 60,
            "d" | "day" | "days" => n * 1440,
            _ => return Err(format!("interval {s:?}: the unit must be m, h or d")),
        };
        if minutes < 5 {
            return Err(format!("interval {s:?}: at least 5 minutes (the API allows 300 requests a minute, but a sync every few seconds helps nobody)"));
        }
        let e = Every(minutes);
        e.on_calendar().ok_or_else(|| format!("interval {s:?}: use minutes that divide an hour, hours that divide a day, or whole days"))?;
        Ok(e)
    }

    /// The systemd calendar expression (calendar-based, so `Persistent=` catches up after sleep).
    pub fn on_calendar(self) -> Option<String> {
        let m = self.0;
        if m < 60 && 60_u32.is_multiple_of(m) {
            Some(format!("*-*-* *:00/{m}:00"))
        } else if m.is_multiple_of(60) && m < 1440 && 1440_u32.is_multiple_of(m) {
            Some(format!("*-*-* 00/{}:00:00", m / 60))
        } else if m.is_multiple_of(1440) {
            Some(if m == 1440 {
                "daily".into()
            } else {
                format!("*-*-01/{} 00:00:00", m / 1440)
            })
        } else {
            None
        }
    }

    pub fn label(self) -> String {
        match self.0 {
            m if m.is_multiple_of(1440) => format!("{} day(s)", m / 1440),
            m if m.is_multiple_of(60) => format!("{} hour(s)", m / 60),
            m => format!("{m} minutes"),
        }
    }
}

/// A file the service install writes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlannedFile {
    pub path: PathBuf,
    pub contents: String,
}

/// What installing means on this platform: files and commands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Plan {
    pub platform: Platform,
    pub files: Vec<PlannedFile>,
    pub commands: Vec<Vec<String>>,
}

/// Quotes an argument for systemd's ExecStart (C-style double quotes when needed).
fn systemd_quote(a: &str) -> String {
    if !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-=+:@,".contains(c))
    {
        a.to_string()
    } else {
        format!(
            "\"{}\"",
            a.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('%', "%%")
        )
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The install plan. `args` is the command line the timer runs (program first).
pub fn plan_install(
    platform: Platform,
    home: &Path,
    config_home: &Path,
    uid: u32,
    args: &[String],
    every: Every,
) -> Plan {
    match platform {
        Platform::Systemd => {
            let dir = config_home.join("systemd/user");
            let exec = args
                .iter()
                .map(|a| systemd_quote(a))
                .collect::<Vec<_>>()
                .join(" ");
            let on_calendar = every.on_calendar().expect("validated interval");
            Plan {
                platform,
                files: vec![
                    PlannedFile {
                        path: dir.join(SERVICE_NAME),
                        contents: SERVICE_TEMPLATE.replace("@EXEC@", &exec),
                    },
                    PlannedFile {
                        path: dir.join(TIMER_NAME),
                        contents: TIMER_TEMPLATE
                            .replace("@ON_CALENDAR@", &on_calendar)
                            .replace("@EVERY@", &every.label()),
                    },
                ],
                commands: vec![
                    vec!["systemctl".into(), "--user".into(), "daemon-reload".into()],
                    vec![
                        "systemctl".into(),
                        "--user".into(),
                        "enable".into(),
                        "--now".into(),
                        TIMER_NAME.into(),
                    ],
                ],
            }
        }
        Platform::Launchd => {
            let path = home
                .join("Library/LaunchAgents")
                .join(format!("{PLIST_LABEL}.plist"));
            let log = home.join("Library/Logs/fitpipe/sync.log");
            let arg_lines = args
                .iter()
                .map(|a| format!("    <string>{}</string>", xml_escape(a)))
                .collect::<Vec<_>>()
                .join("\n");
            let contents = PLIST_TEMPLATE
                .replace("@ARGS@", &arg_lines)
                .replace("@SECONDS@", &(every.0 as u64 * 60).to_string())
                .replace("@LOG@", &xml_escape(&log.display().to_string()));
            let target = format!("gui/{uid}");
            Plan {
                platform,
                files: vec![PlannedFile {
                    path: path.clone(),
                    contents,
                }],
                commands: vec![
                    // Unload an older version first; harmless when none is loaded.
                    vec![
                        "launchctl".into(),
                        "bootout".into(),
                        target.clone(),
                        path.display().to_string(),
                    ],
                    vec![
                        "launchctl".into(),
                        "bootstrap".into(),
                        target,
                        path.display().to_string(),
                    ],
                ],
            }
        }
    }
}

/// The uninstall plan: the files to remove (after the commands).
pub fn plan_uninstall(platform: Platform, home: &Path, config_home: &Path, uid: u32) -> Plan {
    match platform {
        Platform::Systemd => {
            let dir = config_home.join("systemd/user");
            Plan {
                platform,
                files: vec![
                    PlannedFile {
                        path: dir.join(TIMER_NAME),
                        contents: String::new(),
                    },
                    PlannedFile {
                        path: dir.join(SERVICE_NAME),
                        contents: String::new(),
                    },
                ],
                commands: vec![
                    vec![
                        "systemctl".into(),
                        "--user".into(),
                        "disable".into(),
                        "--now".into(),
                        TIMER_NAME.into(),
                    ],
                    vec!["systemctl".into(), "--user".into(), "daemon-reload".into()],
                ],
            }
        }
        Platform::Launchd => {
            let path = home
                .join("Library/LaunchAgents")
                .join(format!("{PLIST_LABEL}.plist"));
            Plan {
                platform,
                files: vec![PlannedFile {
                    path: path.clone(),
                    contents: String::new(),
                }],
                commands: vec![vec![
                    "launchctl".into(),
                    "bootout".into(),
                    format!("gui/{uid}"),
                    path.display().to_string(),
                ]],
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(
            Every::parse("1h").unwrap().on_calendar().unwrap(),
            "*-*-* 00/1:00:00"
        );
        assert_eq!(
            Every::parse("15m").unwrap().on_calendar().unwrap(),
            "*-*-* *:00/15:00"
        );
        assert_eq!(
            Every::parse("6h").unwrap().on_calendar().unwrap(),
            "*-*-* 00/6:00:00"
        );
        assert_eq!(Every::parse("1d").unwrap().on_calendar().unwrap(), "daily");
        assert!(Every::parse("7m").is_err());
        assert!(Every::parse("1m").is_err());
        assert!(Every::parse("5h").is_err());
        assert!(Every::parse("soon").is_err());
    }

    #[test]
    fn systemd_plan_fills_the_templates() {
        let p = plan_install(
            Platform::Systemd,
            Path::new("/home/u"),
            Path::new("/home/u/.config"),
            1000,
            &["/opt/fit pipe/fitpipe".into(), "sync".into()],
            Every(60),
        );
        assert_eq!(
            p.files[0].path,
            PathBuf::from("/home/u/.config/systemd/user/fitpipe-sync.service")
        );
        assert!(p.files[0]
            .contents
            .contains("ExecStart=\"/opt/fit pipe/fitpipe\" sync\n"));
        assert!(p.files[1]
            .contents
            .contains("OnCalendar=*-*-* 00/1:00:00\n"));
        assert!(p.files[1].contents.contains("Persistent=true"));
        assert!(
            !p.files.iter().any(|f| f.contents.contains('@')),
            "every placeholder is filled"
        );
    }

    #[test]
    fn launchd_plan_fills_the_template() {
        let p = plan_install(
            Platform::Launchd,
            Path::new("/Users/u"),
            Path::new("/Users/u/.config"),
            501,
            &["/usr/local/bin/fitpipe".into(), "sync".into()],
            Every(30),
        );
        let c = &p.files[0].contents;
        assert!(c.contains("<integer>1800</integer>"));
        assert!(c.contains("<string>/usr/local/bin/fitpipe</string>\n    <string>sync</string>"));
        assert!(c.contains("/Users/u/Library/Logs/fitpipe/sync.log"));
        assert_eq!(
            p.commands[1],
            vec![
                "launchctl",
                "bootstrap",
                "gui/501",
                "/Users/u/Library/LaunchAgents/dev.fitpipe.sync.plist"
            ]
        );
    }
}

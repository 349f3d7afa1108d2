//! Packaging: generated files do not drift, the units pass `systemd-analyze verify`, the
//! plist parses, install/uninstall leave nothing behind, `doctor --json` keeps its keys.

use std::path::Path;

use predicates::prelude::*;

use crate::support::Sandbox;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn generated_completions_and_man_page_match_the_checked_in_files() {
    let sb = Sandbox::new();
    for (args, file) in [
        (
            vec!["completions", "bash"],
            "packaging/completions/fitpipe.bash",
        ),
        (vec!["completions", "zsh"], "packaging/completions/_fitpipe"),
        (
            vec!["completions", "fish"],
            "packaging/completions/fitpipe.fish",
        ),
        (vec!["man"], "packaging/man/man1/fitpipe.1"),
    ] {
        let out = sb.cmd().args(&args).output().unwrap();
        assert!(out.status.success());
        let want = std::fs::read(Path::new(ROOT).join(file)).unwrap();
        assert!(
            out.stdout == want,
            "{file} is out of date: run scripts/gen-assets.sh"
        );
    }
    let out = sb.cmd().args(["config", "default"]).output().unwrap();
    assert_eq!(
        out.stdout,
        std::fs::read(Path::new(ROOT).join("packaging/config.toml")).unwrap()
    );
}

/// Splits `service install --dry-run` output into (path, contents) and the commands.
fn dry_run_files(text: &str) -> (Vec<(String, String)>, Vec<String>) {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut commands = Vec::new();
    let mut current: Option<usize> = None;
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("# /") {
            files.push((format!("/{p}"), String::new()));
            current = Some(files.len() - 1);
        } else if let Some(c) = line.strip_prefix("$ ") {
            commands.push(c.to_string());
            current = None;
        } else if let Some(i) = current {
            files[i].1.push_str(line);
            files[i].1.push('\n');
        }
    }
    (files, commands)
}

fn has(cmd: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(cmd).is_file()))
}

#[test]
fn the_units_pass_systemd_analyze_verify() {
    let sb = Sandbox::new();
    let out = sb
        .cmd()
        .args(["service", "install", "--every", "1h", "--dry-run"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let (files, commands) = dry_run_files(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(files.len(), 2);
    assert!(
        files[0]
            .0
            .ends_with(".config/systemd/user/fitpipe-sync.service"),
        "{}",
        files[0].0
    );
    assert!(files[0].1.contains(" sync\n") && files[0].1.contains("ExecStart=/"));
    assert!(files[1].1.contains("Persistent=true") && files[1].1.contains("RandomizedDelaySec="));
    assert_eq!(
        commands,
        vec![
            "systemctl --user daemon-reload",
            "systemctl --user enable --now fitpipe-sync.timer"
        ]
    );
    if !has("systemd-analyze") {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have systemd-analyze"
        );
        eprintln!("skipped: no systemd-analyze");
        return;
    }
    let dir = sb.path("units");
    std::fs::create_dir_all(&dir).unwrap();
    for (p, c) in &files {
        std::fs::write(dir.join(Path::new(p).file_name().unwrap()), c).unwrap();
    }
    let v = std::process::Command::new("systemd-analyze")
        .current_dir(&dir)
        .env("MANPATH", Path::new(ROOT).join("packaging/man"))
        .args(["verify", "./fitpipe-sync.service", "./fitpipe-sync.timer"])
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "systemd-analyze verify: {}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}

#[test]
fn the_launchd_plist_parses_and_runs_sync() {
    let plan = fitpipe::service::plan_install(
        fitpipe::service::Platform::Launchd,
        Path::new("/Users/me"),
        Path::new("/Users/me/.config"),
        501,
        &[
            "/usr/local/bin/fitpipe".into(),
            "--db".into(),
            "/Users/me/h&r.db".into(),
            "sync".into(),
        ],
        fitpipe::service::Every(60),
    );
    let sb = Sandbox::new();
    let p = sb.path("agent.plist");
    std::fs::write(&p, &plan.files[0].contents).unwrap();
    let out = std::process::Command::new("python3")
        .args(["-c", "import plistlib,sys,json; d=plistlib.load(open(sys.argv[1],'rb')); print(json.dumps(d))"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["Label"], "dev.fitpipe.sync");
    assert_eq!(
        v["ProgramArguments"],
        serde_json::json!(["/usr/local/bin/fitpipe", "--db", "/Users/me/h&r.db", "sync"])
    );
    assert_eq!(v["StartInterval"], 3600);
    assert_eq!(v["RunAtLoad"], true);
    assert_eq!(
        v["StandardOutPath"],
        "/Users/me/Library/Logs/fitpipe/sync.log"
    );
}

/// A stand-in `systemctl` (no user systemd runs here) with the given shell body, first on
/// PATH; returns that PATH.
#[cfg(unix)]
fn fake_systemctl(sb: &Sandbox, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let bin = sb.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("systemctl"), format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(
        bin.join("systemctl"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap())
}

/// No user systemd runs here, so a stand-in `systemctl` on PATH records what it is asked.
#[cfg(unix)]
#[test]
fn install_twice_then_uninstall_leaves_no_file_behind() {
    let sb = Sandbox::new();
    let log = sb.path("systemctl.log");
    let path = fake_systemctl(&sb, &format!("echo \"$*\" >> {}", log.display()));
    let before: Vec<_> = walk(&sb.path("home"));
    for _ in 0..2 {
        sb.cmd()
            .env("PATH", &path)
            .args(["service", "install", "--every", "30m"])
            .assert()
            .success();
    }
    let unit_dir = sb.path("home/.config/systemd/user");
    assert!(unit_dir.join("fitpipe-sync.timer").exists());
    assert!(std::fs::read_to_string(unit_dir.join("fitpipe-sync.timer"))
        .unwrap()
        .contains("OnCalendar=*-*-* *:00/30:00"));
    sb.cmd()
        .env("PATH", &path)
        .args(["service", "status", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"installed\": true"));
    sb.cmd()
        .env("PATH", &path)
        .args(["service", "uninstall"])
        .assert()
        .success();
    let after: Vec<_> = walk(&sb.path("home"))
        .into_iter()
        .filter(|p| p.is_file())
        .collect();
    let before_files: Vec<_> = before.into_iter().filter(|p| p.is_file()).collect();
    assert_eq!(
        after, before_files,
        "uninstall removed everything install wrote"
    );
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.contains("--user enable --now fitpipe-sync.timer"));
    assert!(calls.contains("--user disable --now fitpipe-sync.timer"));
}

/// Without a user manager (`systemctl --user` cannot reach one), install still enables the
/// timer, with the link `systemctl enable` would make, and says so.
#[cfg(unix)]
#[test]
fn install_without_a_user_manager_enables_by_link() {
    let sb = Sandbox::new();
    let path = fake_systemctl(&sb, "echo 'Failed to connect to bus' >&2\nexit 1");
    sb.cmd()
        .env("PATH", &path)
        .args(["service", "install"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "starts with your next login session",
        ));
    let link = sb.path("home/.config/systemd/user/timers.target.wants/fitpipe-sync.timer");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("../fitpipe-sync.timer")
    );
    sb.cmd()
        .env("PATH", &path)
        .args(["service", "uninstall"])
        .assert()
        .success();
    assert!(link.symlink_metadata().is_err());
    assert!(walk(&sb.path("home"))
        .iter()
        .all(|p| !p.to_string_lossy().contains("fitpipe-sync")));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn doctor_reports_each_item_with_stable_keys() {
    let sb = Sandbox::new();
    // Nothing set up yet: attention needed.
    let out = sb.cmd().args(["doctor", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(16));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "ok",
        "paths",
        "config",
        "database",
        "keyring",
        "tokens",
        "remote",
        "timer",
        "last_sync",
        "series",
        "attention",
    ] {
        assert!(v.get(key).is_some(), "doctor --json lacks {key}");
    }
    assert_eq!(v["ok"], false);
    // A fresh sample, a folder remote, a token file store: all is well.
    let now = fitpipe::clock::now().format("%Y-%m-%dT%H:%M:%SZ");
    std::fs::write(sb.path("s.csv"), format!("time,bpm\n{now},70\n")).unwrap();
    sb.cmd()
        .arg("import")
        .arg(sb.path("s.csv"))
        .assert()
        .success();
    std::fs::create_dir_all(sb.path("home/.config/fitpipe")).unwrap();
    std::fs::write(
        sb.path("home/.config/fitpipe/config.toml"),
        format!(
            "[remote]\nurl = \"file://{}\"\n[google]\ntoken_store = \"file\"\n",
            sb.path("remote").display()
        ),
    )
    .unwrap();
    sb.cmd().arg("sync").assert().success();
    let out = sb.cmd().args(["doctor", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["attention"], serde_json::json!([]), "{v:#}");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(v["remote"]["reachable"], true);
    assert_eq!(
        v["database"]["schema_version"],
        v["database"]["latest_schema_version"]
    );
    assert_eq!(v["series"][0]["stale"], false);
    assert!(v["last_sync"]["at"].is_string());
}

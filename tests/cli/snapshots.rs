//! Snapshots of the text people read: `status`, `doctor`, `sync --dry-run`, `auth status`,
//! and errors with their hints, as the real binary prints them. The sandbox's path, the
//! database's size and the time of the run are replaced by placeholders; every other
//! character is compared with `tests/cli/snapshots/` (`cargo insta review` after a change
//! on purpose).

use super::support::Sandbox;

/// A database holding the documented Takeout CSV example (one account, one hour).
fn imported() -> Sandbox {
    let sb = Sandbox::new();
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/takeout_heart_rate_example_with_source.csv"
    );
    sb.cmd().args(["import", data]).assert().success();
    sb
}

/// Stdout, then stderr and the exit code, of one run.
fn run(sb: &Sandbox, args: &[&str]) -> String {
    let out = sb.cmd().args(args).output().unwrap();
    let mut text = String::from_utf8(out.stdout).unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    if !err.is_empty() {
        text.push_str("--- stderr\n");
        text.push_str(&err);
    }
    text.push_str(&format!(
        "--- exit code {}\n",
        out.status.code().unwrap_or(-1)
    ));
    text
}

fn settings(sb: &Sandbox) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.add_filter(&regex::escape(sb.dir.path().to_str().unwrap()), "[SANDBOX]");
    s.add_filter(r"[\d,]+ bytes on disk", "[SIZE] bytes on disk");
    s.add_filter(r"last import: \S+", "last import: [NOW]");
    // How long ago the data's newest sample is grows with the clock.
    s.add_filter(r"no new samples for \d+ h", "no new samples for [AGE] h");
    s
}

#[test]
fn status() {
    let sb = imported();
    settings(&sb).bind(|| insta::assert_snapshot!("status", run(&sb, &["status"])));
}

#[test]
fn doctor() {
    let sb = imported();
    // The file token store, so the report does not depend on a keyring being reachable.
    std::fs::create_dir_all(sb.path("home/.config/fitpipe")).unwrap();
    std::fs::write(
        sb.path("home/.config/fitpipe/config.toml"),
        "[google]\ntoken_store = \"file\"\n",
    )
    .unwrap();
    settings(&sb).bind(|| insta::assert_snapshot!("doctor", run(&sb, &["doctor"])));
}

#[test]
fn sync_dry_run() {
    let sb = imported();
    let remote = format!("file://{}", sb.path("remote").display());
    settings(&sb).bind(|| {
        insta::assert_snapshot!(
            "sync_dry_run",
            run(&sb, &["--remote", &remote, "sync", "--dry-run"])
        )
    });
}

#[test]
fn auth_status() {
    let sb = imported();
    settings(&sb).bind(|| insta::assert_snapshot!("auth_status", run(&sb, &["auth", "status"])));
}

#[test]
fn errors_with_their_hints() {
    let sb = imported();
    std::fs::write(sb.path("bad.toml"), "[google\n").unwrap();
    let bad_config = sb.path("bad.toml").display().to_string();
    let missing = sb.path("nothing-here").display().to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec!["import", &missing],
        vec!["query", "DELETE FROM sample"],
        vec!["query", "SELECT * FROM no_such_table"],
        vec!["--config", &bad_config, "status"],
        vec!["--remote", "s3://bucket", "sync"],
        vec!["--account", "a b", "status"],
        vec!["report", "--since", "yesterday"],
    ];
    // No database yet.
    let empty = Sandbox::new();
    let mut text = "$ fitpipe query \"SELECT 1\" (no database yet)\n".to_string();
    text.push_str(
        &run(&empty, &["query", "SELECT 1"])
            .replace(empty.dir.path().to_str().unwrap(), "[EMPTY SANDBOX]"),
    );
    text.push('\n');
    for args in cases {
        text.push_str(&format!("$ fitpipe {}\n", args.join(" ")));
        text.push_str(&run(&sb, &args));
        text.push('\n');
    }
    settings(&sb).bind(|| insta::assert_snapshot!("errors", text));
}

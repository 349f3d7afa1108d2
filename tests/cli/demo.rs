//! `fitpipe demo`, the embedded default.

use predicates::prelude::*;

use crate::support::{query_one, Sandbox};

#[test]
fn demo_runs_in_a_fresh_folder_and_says_where_things_are() {
    let sb = Sandbox::new();
    let dir = sb.path("home/.local/share/fitpipe/demo");
    for _ in 0..2 {
        let mut c = assert_cmd::Command::cargo_bin("fitpipe").unwrap();
        c.env_clear()
            .env("HOME", sb.path("home"))
            .env("XDG_DATA_HOME", sb.path("home/.local/share"))
            .args(["demo", "--days", "10"])
            .assert()
            .success()
            .stdout(predicate::str::contains("master table:"))
            .stdout(predicate::str::contains(
                dir.join("hourly_max.csv").display().to_string(),
            ))
            .stdout(predicate::str::contains("0 rejected"));
    }
    let db = dir.join("fitpipe.db");
    let hours: i64 = query_one(&db, "SELECT count(*) FROM hourly_max");
    assert!(hours > 200, "{hours}");
    let csv = std::fs::read_to_string(dir.join("hourly_max.csv")).unwrap();
    assert_eq!(csv.lines().count() as i64, hours + 1);
}

#[test]
fn demo_refuses_a_folder_it_did_not_make() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.path("mine")).unwrap();
    std::fs::write(sb.path("mine/precious.txt"), "keep").unwrap();
    sb.cmd()
        .args(["demo", "--days", "2", "--dir"])
        .arg(sb.path("mine"))
        .assert()
        .code(2);
    assert!(sb.path("mine/precious.txt").exists());
}

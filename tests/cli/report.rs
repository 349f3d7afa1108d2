//! `fitpipe report`: numbers checked against SQL, the page rendered in headless Chromium.

use std::path::{Path, PathBuf};
use std::process::Command;

use predicates::prelude::*;

use crate::support::{query_one, Sandbox};

/// A history with a known shape: the demo generator, imported for real.
fn history() -> Sandbox {
    let sb = Sandbox::new();
    sb.demo_history(&["--days", "40", "--start", "2024-02-20"], "takeout");
    sb
}

fn numbers(html: &str) -> serde_json::Value {
    let start = html
        .find(r#"<script type="application/json" id="fitpipe-numbers">"#)
        .unwrap();
    let rest = &html[start..];
    let body = &rest[rest.find('>').unwrap() + 1..rest.find("</script>").unwrap()];
    serde_json::from_str(body).unwrap()
}

#[test]
fn headline_numbers_equal_the_sql_answers() {
    let sb = history();
    let out = sb.path("r/report.html");
    sb.cmd()
        .args(["report", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains(out.display().to_string()));
    let html = std::fs::read_to_string(&out).unwrap();
    let n = numbers(&html);
    let db = sb.db();
    let current: i64 = query_one(
        &db,
        "SELECT max_bpm FROM hourly_max ORDER BY hour_epoch DESC LIMIT 1",
    );
    let mean: f64 = query_one(&db, "SELECT avg(max_bpm) FROM hourly_max");
    let highest: i64 = query_one(&db, "SELECT max(max_bpm) FROM hourly_max");
    let hours: i64 = query_one(&db, "SELECT count(*) FROM hourly_max");
    let samples: i64 = query_one(&db, "SELECT count(*) FROM sample");
    assert_eq!(n["current_max"]["bpm"], current);
    assert!((n["mean_hourly_max"].as_f64().unwrap() - mean).abs() < 1e-9);
    assert_eq!(n["highest_max"]["bpm"], highest);
    assert_eq!(n["hours_with_samples"], hours);
    assert_eq!(n["samples"], samples);
    // The cards show the same numbers.
    assert!(html.contains(&format!(
        r#"<div class="card" id="highest-max"><div class="v">{highest}</div>"#
    )));
    assert!(html.contains(&format!(
        r#"<div class="card" id="mean-hourly-max"><div class="v">{mean:.1}</div>"#
    )));
    // Self-contained: nothing is fetched when the page opens.
    for needle in ["src=\"http", "href=\"http", "@import", "url(http", "<link"] {
        assert!(!html.contains(needle), "report references {needle}");
    }

    // A range picks its hours.
    let ranged = sb.path("r/ranged.html");
    sb.cmd()
        .args([
            "report",
            "--since",
            "2024-03-01",
            "--until",
            "2024-03-07",
            "--out",
        ])
        .arg(&ranged)
        .assert()
        .success();
    let n = numbers(&std::fs::read_to_string(&ranged).unwrap());
    let highest: i64 = query_one(
        &db,
        "SELECT max(max_bpm) FROM hourly_max WHERE hour_start_utc >= '2024-03-01' AND hour_start_utc < '2024-03-08'",
    );
    assert_eq!(n["highest_max"]["bpm"], highest);
}

#[test]
fn terminal_view_shows_the_last_day() {
    let sb = history();
    let last24: String = query_one::<i64>(
        &sb.db(),
        "SELECT max(max_bpm) FROM hourly_max WHERE hour_epoch > (SELECT max(hour_epoch) FROM hourly_max) - 86400",
    )
    .to_string();
    sb.cmd()
        .args(["report", "--terminal"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("max {last24} ")))
        .stdout(predicate::str::is_match("last 24 h: +[▁▂▃▄▅▆▇█ ]{24} ").unwrap());
    sb.cmd()
        .arg("status")
        .assert()
        .success()
        .stdout(predicate::str::contains("last 24 h:"));
}

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("FITPIPE_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn headless(browser: &Path, profile: &Path) -> Command {
    let mut c = Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

#[test]
fn the_page_renders_in_headless_chromium_without_script_errors() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("FITPIPE_REQUIRE_CHROMIUM").is_none(),
            "FITPIPE_REQUIRE_CHROMIUM is set but no chromium was found"
        );
        eprintln!(
            "skipped: no chromium on PATH (set FITPIPE_REQUIRE_CHROMIUM=1 to make this fail)"
        );
        return;
    };
    let sb = history();
    let page = sb.path("report.html");
    sb.cmd()
        .args(["report", "--out"])
        .arg(&page)
        .assert()
        .success();
    let url = format!("file://{}", page.display());
    let shot = sb.path("shot.png");
    let out = headless(&browser, &sb.path("profile1"))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1400,1000")
        .arg(&url)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    let png = std::fs::read(&shot).unwrap_or_default();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "no screenshot; chromium said:\n{log}"
    );
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(
        console
            .iter()
            .all(|l| !l.contains("Uncaught") && !l.contains("Error")),
        "{console:?}"
    );

    // The page's own script ran: the DOM after it shows the viewer's zone.
    let dom = headless(&browser, &sb.path("profile2"))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("viewed in "), "the page script did not run");
    assert_eq!(
        dom.matches("<svg").count(),
        2,
        "both charts are in the page"
    );
}

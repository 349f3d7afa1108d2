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

/// The points of every line, band and marker in an SVG chart, per element.
fn svg_series_sizes(svg: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for tag in ["<polyline", "<polygon"] {
        let mut rest = svg;
        while let Some(i) = rest.find(tag) {
            let el = &rest[i..rest[i..].find('>').map_or(rest.len(), |e| i + e)];
            let pts = el
                .split("points=\"")
                .nth(1)
                .and_then(|p| p.split('"').next())
                .unwrap_or("");
            out.push(pts.split_whitespace().count());
            rest = &rest[i + tag.len()..];
        }
    }
    out.push(svg.matches("<circle").count());
    out
}

/// The lowest and highest hourly max of the local days `from..=to` (`YYYY-MM-DD`), and of
/// one local hour of day in them, as SQL gives them.
fn sql_range(db: &Path, from: &str, to: &str, hour: Option<u32>) -> Option<(i64, i64)> {
    let local = "coalesce(hour_start_local, hour_start_utc)";
    let hour_filter = hour
        .map(|h| format!(" AND substr({local}, 12, 2) = '{h:02}'"))
        .unwrap_or_default();
    let sql = format!(
        "SELECT min(max_bpm), max(max_bpm) FROM hourly_max WHERE substr({local}, 1, 10) BETWEEN '{from}' AND '{to}'{hour_filter}"
    );
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(&sql, [], |r| {
        Ok(r.get::<_, Option<i64>>(0)?.zip(r.get::<_, Option<i64>>(1)?))
    })
    .unwrap()
}

/// The last local day of the step (a day, a week, a month) named `label` or starting on
/// `first`.
fn step_days(unit: &str, first: &str) -> (String, String) {
    let d = chrono::NaiveDate::parse_from_str(first, "%Y-%m-%d").unwrap();
    let last = match unit {
        "day" => d,
        "week" => d + chrono::Days::new(6),
        "month" => d + chrono::Months::new(1) - chrono::Days::new(1),
        other => panic!("unit {other}"),
    };
    (first.to_string(), last.to_string())
}

/// What a test page script found by hovering over the middle step of the time series and a
/// cell of the heat map: it dispatches the mouse events a person's pointer would and reads
/// the tooltip back, knowing nothing of how the page computes it.
const PROBE: &str = r#"<script>
(function () {
  var d = JSON.parse(document.getElementById("fitpipe-series").textContent);
  function at(el, x, y) {
    var svg = el.ownerSVGElement, pt = svg.createSVGPoint();
    pt.x = x; pt.y = y;
    var c = pt.matrixTransform(svg.getScreenCTM());
    el.dispatchEvent(new MouseEvent("mousemove", {clientX: c.x, clientY: c.y, bubbles: true}));
    return document.getElementById("tip").innerText;
  }
  var ts = document.getElementById("ts-hit"), p = d.points[Math.floor(d.points.length / 2)];
  var out = {ts_label: p.label, ts_text: at(ts, p.x, +ts.getAttribute("y") + +ts.getAttribute("height") / 2)};
  var hm = document.getElementById("hm-hit"), n = d.heat.columns.length, col = Math.floor(n / 2), row = 14;
  var x0 = +hm.getAttribute("x"), y0 = +hm.getAttribute("y"), w = +hm.getAttribute("width"), h = +hm.getAttribute("height");
  out.hm_col = d.heat.columns[col]; out.hm_row = row; out.hm_unit = d.heat.unit;
  out.hm_text = at(hm, x0 + (col + 0.5) * w / n, y0 + (23 - row + 0.5) * h / 24);
  var pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"#;

#[test]
fn charts_pick_their_step_by_range_and_hover_shows_the_values() {
    let browser = chromium();
    if browser.is_none() {
        assert!(
            std::env::var_os("FITPIPE_REQUIRE_CHROMIUM").is_none(),
            "FITPIPE_REQUIRE_CHROMIUM is set but no chromium was found"
        );
    }
    for (days, cadence, step) in [
        ("61", "600", "day"),
        ("365", "1800", "week"),
        ("3652", "1800", "month"),
    ] {
        let sb = Sandbox::new();
        sb.demo_history(&["--days", days, "--cadence", cadence], "takeout");
        let page = sb.path("report.html");
        sb.cmd()
            .args(["report", "--out"])
            .arg(&page)
            .assert()
            .success();
        let html = std::fs::read_to_string(&page).unwrap();
        assert!(html.len() < 5_000_000, "{days} days: {} bytes", html.len());
        let n = numbers(&html);
        assert_eq!(n["step"], step, "{days} days");
        // The keys of before are all still there.
        for key in [
            "account",
            "current_max",
            "mean_hourly_max",
            "highest_max",
            "hours_with_samples",
            "hours_in_range",
            "samples",
        ] {
            assert!(n.get(key).is_some(), "{key}");
        }
        let times = n["times"].as_str().unwrap();
        assert!(times.starts_with("Times are local"), "{times}");
        assert!(html.contains(&format!("<p class=\"sub\" id=\"times\">{times}</p>")));
        for svg in html.split("<svg").skip(1) {
            let sizes = svg_series_sizes(svg.split("</svg>").next().unwrap());
            assert!(sizes.iter().all(|s| *s <= 1000), "{days} days: {sizes:?}");
        }
        let Some(browser) = &browser else { continue };
        let probe_page = sb.path("probe.html");
        std::fs::write(
            &probe_page,
            html.replace("</body>", &format!("{PROBE}</body>")),
        )
        .unwrap();
        let url = format!("file://{}", probe_page.display());
        let out = headless(browser, &sb.path("profile"))
            .arg("--window-size=1300,1000")
            .arg("--dump-dom")
            .arg(&url)
            .output()
            .unwrap();
        let dom = String::from_utf8_lossy(&out.stdout);
        let probe = dom
            .split("<pre id=\"probe\">")
            .nth(1)
            .and_then(|p| p.split("</pre>").next())
            .unwrap_or_else(|| {
                panic!(
                    "{days} days: the probe did not run: {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            })
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        let p: serde_json::Value = serde_json::from_str(&probe).unwrap();
        // The time series: the step's label, and its lowest and highest hourly max as SQL
        // computes them over the step's local days.
        let label = p["ts_label"].as_str().unwrap();
        let text = p["ts_text"].as_str().unwrap();
        let first = match step {
            "day" => label.to_string(),
            "week" => label.trim_start_matches("week of ").to_string(),
            _ => format!("{label}-01"),
        };
        let (from, to) = step_days(step, &first);
        let (lo, hi) = sql_range(&sb.db(), &from, &to, None).unwrap();
        assert!(text.starts_with(label), "{text}");
        assert!(
            text.contains(&format!("max {hi} bpm")),
            "{days} days, {label}: {text}"
        );
        assert!(
            text.contains(&format!("lowest {lo} bpm")),
            "{days} days, {label}: {text}"
        );
        assert!(text.contains("coverage "), "{text}");
        // The heat map: the cell's column and local hour, and its max as SQL gives it.
        let unit = p["hm_unit"].as_str().unwrap();
        let (from, to) = step_days(unit, p["hm_col"].as_str().unwrap());
        let row = p["hm_row"].as_u64().unwrap() as u32;
        let text = p["hm_text"].as_str().unwrap();
        match sql_range(&sb.db(), &from, &to, Some(row)) {
            Some((_, hi)) => assert!(
                text.contains(&format!("max {hi} bpm")),
                "{days} days: {text}"
            ),
            None => assert!(text.contains("no samples"), "{text}"),
        }
        assert!(text.contains(&format!("{row}:00")), "{text}");
        let log = String::from_utf8_lossy(&out.stderr);
        let console: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(":CONSOLE") && (l.contains("Uncaught") || l.contains("Error")))
            .collect();
        assert!(console.is_empty(), "{console:?}");
    }
}

//! `fitpipe query`, `export` and `status`.

use predicates::prelude::*;

use crate::support::{query_one, Sandbox};

fn seeded() -> Sandbox {
    let sb = Sandbox::new();
    std::fs::write(
        sb.path("s.csv"),
        "time,bpm\n2024-01-01T00:00:00Z,60\n2024-01-01T00:30:00Z,90\n2024-01-01T01:45:00+01:00,70\n",
    )
    .unwrap();
    sb.cmd()
        .arg("import")
        .arg(sb.path("s.csv"))
        .assert()
        .success();
    sb
}

#[test]
fn write_statements_fail_and_change_nothing() {
    let sb = seeded();
    for sql in [
        "DELETE FROM sample",
        "DELETE FROM hour_max",
        "DROP VIEW hourly_max",
        "UPDATE sample SET bpm = 1",
        "SELECT 1; DELETE FROM sample",
        "ATTACH DATABASE '/tmp/x.db' AS x",
        "PRAGMA journal_mode = DELETE",
    ] {
        sb.cmd()
            .args(["query", sql])
            .assert()
            .code(7)
            .stderr(predicate::str::contains("error:"));
    }
    let n: i64 = query_one(&sb.db(), "SELECT count(*) FROM sample");
    assert_eq!(n, 3);
}

#[test]
fn output_formats() {
    let sb = seeded();
    let sql = "SELECT hour_start_utc, max_bpm, sample_count FROM hourly_max ORDER BY 1";
    sb.cmd()
        .args(["query", "--format", "csv", sql])
        .assert()
        .success()
        .stdout("hour_start_utc,max_bpm,sample_count\n2024-01-01T00:00:00Z,90,3\n");
    let out = sb
        .cmd()
        .args(["query", "--format", "json", sql])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{"hour_start_utc": "2024-01-01T00:00:00Z", "max_bpm": 90, "sample_count": 3}])
    );
    sb.cmd().args(["query", sql]).assert().success().stdout(
        predicate::str::contains("2024-01-01T00:00:00Z").and(predicate::str::contains("(1 row)")),
    );
}

#[test]
fn export_writes_a_file_and_status_reports() {
    let sb = seeded();
    let out = sb.path("out/hourly.csv");
    sb.cmd()
        .args(["export", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "account,hour_start_utc,hour_start_local,max_bpm,sample_count\ndefault,2024-01-01T00:00:00Z,2024-01-01T01:00:00+01:00,90,3\n"
    );
    let st = sb.cmd().args(["status", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&st.stdout).unwrap();
    assert_eq!(v["accounts"][0]["samples"], 3);
    assert_eq!(v["accounts"][0]["hours"], 1);
    assert_eq!(v["accounts"][0]["first_sample_utc"], "2024-01-01T00:00:00Z");
    assert!(v["accounts"][0]["last_import_at"].is_string());
}

#[test]
fn a_missing_database_is_explained() {
    let sb = Sandbox::new();
    sb.cmd()
        .args(["query", "SELECT 1"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("no database at"));
    sb.cmd()
        .arg("status")
        .assert()
        .success()
        .stdout(predicate::str::contains("no database yet"));
}

#[cfg(unix)]
#[test]
fn the_database_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let sb = seeded();
    let mode = std::fs::metadata(sb.db()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

/// A database whose columns hold every SQLite type and the CSV and JSON edge cases.
fn typed() -> Sandbox {
    let sb = seeded();
    std::fs::write(
        sb.path("d.csv"),
        "timestamp,beats per minute,data source\n2024-01-02T00:00:00Z,61,\"Watch, \"\"Pro\"\"\"\n2024-01-02T00:00:05Z,62,Montre é\n2024-01-02T00:00:10Z,63,\n",
    )
    .unwrap();
    sb.cmd()
        .args(["import"])
        .arg(sb.path("d.csv"))
        .assert()
        .success();
    sb
}

/// Queries whose CSV and JSON output is pinned byte for byte.
const PINNED: &[&str] = &[
    "SELECT * FROM samples ORDER BY ts_utc",
    "SELECT * FROM hourly_max ORDER BY hour_epoch",
    "SELECT * FROM daily_summary",
    "SELECT 1 AS i, 2.5 AS r, 1e300 * 1e300 AS inf, 0.1 + 0.2 AS f, NULL AS n, x'00ff10' AS b, 'a\nb' AS nl, '' AS e, 'x' AS i",
    "SELECT * FROM samples WHERE bpm > 1000",
];

#[test]
fn csv_and_json_output_is_pinned() {
    let sb = typed();
    let mut text = String::new();
    for sql in PINNED {
        for format in ["csv", "json"] {
            let out = sb
                .cmd()
                .args(["query", "--format", format, sql])
                .output()
                .unwrap();
            assert!(out.status.success(), "{sql}: {out:?}");
            text.push_str(&format!("$ query --format {format} {sql:?}\n"));
            text.push_str(&String::from_utf8(out.stdout).unwrap());
            text.push_str("$ end\n");
        }
    }
    insta::assert_snapshot!("query_formats", text);
}

#[test]
fn ndjson_holds_the_json_arrays_objects_one_a_line() {
    let sb = typed();
    for sql in PINNED {
        let json = sb
            .cmd()
            .args(["query", "--format", "json", sql])
            .output()
            .unwrap();
        let nd = sb
            .cmd()
            .args(["query", "--format", "ndjson", sql])
            .output()
            .unwrap();
        assert!(nd.status.success());
        let array: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
        let text = String::from_utf8(nd.stdout).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines, array, "{sql}");
        assert_eq!(text.lines().count(), array.len());
    }
    // Integers stay integers, NULL is null, text is text.
    let nd = sb
        .cmd()
        .args([
            "query",
            "--format",
            "ndjson",
            "SELECT 7 AS i, NULL AS n, '7' AS t, 0.5 AS r",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(nd.stdout).unwrap(),
        "{\"i\":7,\"n\":null,\"t\":\"7\",\"r\":0.5}\n"
    );
}

/// `n` rows of one column, 1 to n, made by SQLite itself.
fn counting(n: u64) -> String {
    format!(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT {n}) SELECT x FROM c"
    )
}

#[test]
fn a_long_table_shows_its_first_rows_and_says_how_many_more() {
    let sb = seeded();
    let out = sb.cmd().args(["query", &counting(1234)]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.ends_with(
            "(the first 500 of 1234 rows; use --format csv, json or ndjson for all of them)\n"
        ),
        "{}",
        &text[text.len().saturating_sub(300)..]
    );
    let shown: Vec<u64> = text
        .lines()
        .filter_map(|l| l.trim_matches(|c: char| !c.is_ascii_digit()).parse().ok())
        .collect();
    assert_eq!(shown, (1..=500).collect::<Vec<u64>>());
    // A short result is shown whole, as before; one that just fills the table, once.
    let out = sb.cmd().args(["query", &counting(3)]).output().unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .ends_with("(3 rows)\n"));
    let out = sb.cmd().args(["query", &counting(500)]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.ends_with("(500 rows)\n"), "{text}");
    assert_eq!(text.matches("│ 500 │").count(), 1, "{text}");
    assert_eq!(text.matches("│ x ").count(), 1, "the header once");
}

/// Starts a query of a hundred million rows, reads its first lines, and returns the child.
fn endless(sb: &Sandbox, format: &str) -> (std::process::Child, Vec<String>) {
    use std::io::BufRead;
    let mut child = sb
        .std_cmd()
        .args(["query", "--format", format, &counting(100_000_000)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let mut r = std::io::BufReader::new(child.stdout.take().unwrap());
    for _ in 0..2 {
        let mut l = String::new();
        r.read_line(&mut l).unwrap();
        lines.push(l);
    }
    // The reader goes away, as `head` does.
    drop(r);
    (child, lines)
}

/// Waits for a query that should end at once.
fn wait(child: std::process::Child) -> std::process::ExitStatus {
    crate::support::wait_at_most(child, std::time::Duration::from_secs(60), "the query")
}

#[test]
fn a_closed_pipe_ends_the_query_with_success() {
    let sb = seeded();
    for format in ["csv", "ndjson", "json"] {
        let (child, lines) = endless(&sb, format);
        match format {
            "csv" => assert_eq!(lines, ["x\n", "1\n"]),
            "ndjson" => assert_eq!(lines, ["{\"x\":1}\n", "{\"x\":2}\n"]),
            _ => assert_eq!(lines, ["[\n", "  {\n"]),
        }
        let mut stderr = String::new();
        let mut child = child;
        let err = child.stderr.take().unwrap();
        let status = wait(child);
        std::io::Read::read_to_string(&mut { err }, &mut stderr).unwrap();
        assert_eq!(status.code(), Some(0), "{format}: {stderr}");
        assert!(stderr.is_empty(), "{format}: {stderr}");
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_query() {
    let sb = seeded();
    use std::io::BufRead;
    // The reader stays, so the query is still writing (into a full pipe) when interrupted.
    let mut child = sb
        .std_cmd()
        .args(["query", "--format", "csv", &counting(100_000_000)])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut r = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut l = String::new();
    r.read_line(&mut l).unwrap();
    let pid = child.id() as i32;
    std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    let status = wait(child);
    use std::os::unix::process::ExitStatusExt;
    assert!(
        status.signal() == Some(2) || status.code() == Some(130),
        "{status:?}"
    );
}

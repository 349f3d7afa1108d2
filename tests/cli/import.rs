//! Importing Takeout exports, plain CSVs and API pages.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use fitpipe::synth::{self, Spec};
use predicates::prelude::*;

use crate::support::{query_one, reference_hourly, stored_hourly, Sandbox};

fn spec(start: (i32, u32, u32), days: u32, trip: bool) -> Spec {
    Spec {
        start: NaiveDate::from_ymd_opt(start.0, start.1, start.2).unwrap(),
        days,
        cadence: (5, 15),
        seed: 42,
        trip,
        device: "Pixel Watch 3".into(),
    }
}

fn truth(spec: &Spec) -> Vec<synth::Generated> {
    let mut v = Vec::new();
    synth::for_each_sample(spec, |g| v.push(g));
    v
}

#[test]
fn takeout_twins_with_dst_and_travel_match_an_independent_computation() {
    let sb = Sandbox::new();
    // 2024-03-10 is a US spring-forward day; the trip puts a week at +05:30.
    let spec = spec((2024, 3, 1), 24, true);
    synth::write_takeout(&spec, &sb.path("export")).unwrap();
    let samples = truth(&spec);

    sb.cmd()
        .args(["import"])
        .arg(sb.path("export"))
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "{} new samples",
            thousands(samples.len())
        )));

    let expected = reference_hourly(samples.iter().map(|g| (g.ts, g.bpm)));
    let got = stored_hourly(&sb.db(), "default");
    assert_eq!(got.len(), expected.len());
    assert_eq!(got, expected);
    let stored: i64 = query_one(&sb.db(), "SELECT count(*) FROM samples");
    assert_eq!(
        stored as usize,
        samples.len(),
        "JSON and CSV twins count once"
    );
    let devices: i64 = query_one(
        &sb.db(),
        "SELECT count(*) FROM samples WHERE device = 'Pixel Watch 3'",
    );
    assert_eq!(
        devices as usize,
        samples.len(),
        "the CSV twin's device is kept"
    );

    // Local hours: the offset each hour was really in, from the generator.
    let conn = rusqlite::Connection::open(sb.db()).unwrap();
    let mut stmt = conn
        .prepare("SELECT hour_epoch, hour_start_local FROM hourly_max")
        .unwrap();
    let locals: BTreeMap<i64, Option<String>> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut wrong = Vec::new();
    for (hour, local) in &locals {
        let off = spec.offset_at(*hour);
        let want = chrono::DateTime::from_timestamp(hour + off as i64 * 60, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:00")
            .to_string()
            + &fitpipe::model::format_offset(off);
        if local.as_deref() != Some(want.as_str()) {
            wrong.push((hour, local.clone(), want));
        }
    }
    // The DST change is placed exactly; only the two travel days may be off (the instant
    // of a flight is not in the data).
    assert!(
        wrong.len() <= 48,
        "{} hours with a wrong local time: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
    let dst_day: Vec<_> = wrong
        .iter()
        .filter(|(h, _, _)| (1_710_028_800..1_710_201_600).contains(*h))
        .collect();
    assert!(dst_day.is_empty(), "DST change misplaced: {dst_day:?}");

    // The export (computed in Rust, for speed) gives exactly the rows of the SQL view.
    let export = sb.export();
    let view = sb
        .cmd()
        .args([
            "query",
            "--format",
            "csv",
            "SELECT account, hour_start_utc, hour_start_local, max_bpm, sample_count FROM hourly_max ORDER BY account, hour_epoch",
        ])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(
        String::from_utf8(export).unwrap(),
        String::from_utf8(view).unwrap()
    );

    // Importing again changes nothing.
    let before = std::fs::read(sb.db()).map(|b| b.len()).unwrap();
    let export1 = sb.export();
    sb.cmd()
        .args(["import"])
        .arg(sb.path("export"))
        .assert()
        .success()
        .stdout(predicate::str::contains(" 0 new samples"))
        .stdout(predicate::str::contains(" 0 hour(s) updated"));
    let export2 = sb.export();
    assert_eq!(export1, export2);
    assert!(std::fs::read(sb.db()).unwrap().len() <= before + 64 * 1024);
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn a_plain_csv_of_the_same_samples_gives_the_same_table() {
    let sb = Sandbox::new();
    let spec = spec((2024, 10, 30), 6, false);
    synth::write_takeout(&spec, &sb.path("export")).unwrap();
    let mut csv = String::from("time,bpm\n");
    for g in truth(&spec) {
        let t = chrono::DateTime::from_timestamp(g.ts, 0).unwrap();
        csv.push_str(&format!("{},{}\n", t.format("%Y-%m-%dT%H:%M:%SZ"), g.bpm));
    }
    std::fs::write(sb.path("plain.csv"), csv).unwrap();
    sb.cmd()
        .arg("import")
        .arg(sb.path("export"))
        .assert()
        .success();
    sb.cmd()
        .args(["--account", "plain", "import"])
        .arg(sb.path("plain.csv"))
        .assert()
        .success();
    let takeout = stored_hourly(&sb.db(), "default");
    assert!(!takeout.is_empty());
    assert_eq!(takeout, stored_hourly(&sb.db(), "plain"));
}

#[test]
fn a_zip_export_imports_like_the_folder() {
    let sb = Sandbox::new();
    sb.demo_history(
        &["--days", "3", "--start", "2024-11-02", "--zip"],
        "takeout.zip",
    );
    let spec = Spec {
        seed: 7,
        ..spec((2024, 11, 2), 3, false)
    };
    let expected = reference_hourly(truth(&spec).iter().map(|g| (g.ts, g.bpm)));
    assert_eq!(stored_hourly(&sb.db(), "default"), expected);
}

#[test]
fn corrupt_files_are_reported_and_the_rest_is_imported() {
    let sb = Sandbox::new();
    let root = sb.path("export/Takeout/Google Health");
    let json_dir = root.join("Global Export Data");
    let csv_dir = root.join("Physical Activity_GoogleData");
    std::fs::create_dir_all(&json_dir).unwrap();
    std::fs::create_dir_all(&csv_dir).unwrap();
    std::fs::write(
        json_dir.join("heart_rate-2024-03-10.json"),
        include_str!("../data/takeout_heart_rate_example.json"),
    )
    .unwrap();
    // Cut short in the middle of an entry.
    std::fs::write(
        json_dir.join("heart_rate-2024-03-11.json"),
        "[{\n  \"dateTime\" : \"03/11/24 05:00:00\",\n  \"value\" : {\n    \"bpm\" : 66,\n    \"confidence\" : 3\n  }\n},{\n  \"dateTime\" : \"03/11/24 05:0",
    )
    .unwrap();
    std::fs::write(
        csv_dir.join("heart_rate_2024-03-12.csv"),
        "timestamp,beats per minute\n2024-03-12T10:00:00Z,abc\n2024-03-12T10:00:05Z,0\n2024-03-12T10:00:10Z,400\nyesterday,70\n2024-03-12T10:00:20Z,71.0\n",
    )
    .unwrap();
    // A first import of good data, which must survive the bad one.
    std::fs::write(sb.path("good.csv"), "time,bpm\n2024-01-01T00:00:00Z,60\n").unwrap();
    sb.cmd()
        .arg("import")
        .arg(sb.path("good.csv"))
        .assert()
        .success();

    sb.cmd()
        .arg("import")
        .arg(sb.path("export"))
        .assert()
        .code(3)
        .stdout(predicate::str::contains("10 new samples"))
        .stderr(predicate::str::contains(
            "heart_rate-2024-03-11.json:8: file is cut short",
        ))
        .stderr(predicate::str::contains(
            "heart_rate_2024-03-12.csv:2: bpm \"abc\" is not a number",
        ))
        .stderr(predicate::str::contains(
            "heart_rate_2024-03-12.csv:3: bpm 0 is outside",
        ))
        .stderr(predicate::str::contains(
            "heart_rate_2024-03-12.csv:4: bpm 400 is outside",
        ))
        .stderr(predicate::str::contains(
            "heart_rate_2024-03-12.csv:5: unparseable time stamp \"yesterday\"",
        ))
        .stderr(predicate::str::contains("hint:"));
    let n: i64 = query_one(&sb.db(), "SELECT count(*) FROM samples");
    assert_eq!(n, 1 + 8 + 1 + 1);
}

#[test]
fn api_pages_keep_offset_and_device() {
    let sb = Sandbox::new();
    sb.cmd()
        .arg("import")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/health_heart_rate_example.json"
        ))
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/health_heart_rate_example_page2.json"
        ))
        .assert()
        .success();
    let local: String = query_one(
        &sb.db(),
        "SELECT hour_start_local FROM hourly_max WHERE hour_start_utc = '2026-11-26T14:00:00Z'",
    );
    assert_eq!(local, "2026-11-26T09:00:00-05:00");
    let (max, count): (i64, i64) = rusqlite::Connection::open(sb.db())
        .unwrap()
        .query_row("SELECT max_bpm, sample_count FROM hourly_max WHERE hour_start_utc = '2026-11-26T14:00:00Z'", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    // 14:00:00..14:00:14 in the two pages: 74,73,73,72,71 and 71,70.
    assert_eq!((max, count), (74, 7));
}

#[test]
fn missing_and_unsupported_inputs_fail_clearly() {
    let sb = Sandbox::new();
    sb.cmd()
        .args(["import", "/nonexistent/takeout.zip"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("no such file or folder"));
    std::fs::write(sb.path("notes.txt"), "hello").unwrap();
    sb.cmd()
        .arg("import")
        .arg(sb.path("notes.txt"))
        .assert()
        .code(4);
    // A file named .zip that is not one is rejected as a garbage .tgz is (exit 3: other
    // parts given with it would be imported).
    std::fs::write(sb.path("bad.zip"), "not a zip").unwrap();
    sb.cmd()
        .arg("import")
        .arg(sb.path("bad.zip"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("bad.zip: not a zip archive"));
}

#[test]
fn a_clean_export_with_empty_cells_imports_with_success() {
    let sb = Sandbox::new();
    let dir = sb.path("export/Takeout/Fitbit/Physical Activity_GoogleData");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("heart_rate_2024-10-27.csv"),
        "timestamp,beats per minute,data source\n2024-10-27T00:00:04Z,65.0,Charge 5\n2024-10-27T00:00:08Z,,Charge 5\n2024-10-27T00:00:13Z,NaN,Charge 5\n2024-10-27T00:00:18Z,67.0,Charge 5\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("heart_rate_2024-10-28.csv"),
        "timestamp,beats per minute,data source\n2024-10-28T00:00:04Z,nan,Charge 5\n",
    )
    .unwrap();
    let out = sb
        .cmd()
        .arg("import")
        .arg(sb.path("export"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("2 new samples"), "{stdout}");
    assert!(stdout.contains(", 0 rejected"), "{stdout}");
    assert!(
        stdout.contains("no reading: 3 measurement(s)")
            && stdout.contains("heart_rate_2024-10-27.csv (2)")
            && stdout.contains("heart_rate_2024-10-28.csv (1)"),
        "{stdout}"
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stored: i64 = query_one(&sb.db(), "SELECT count(*) FROM sample");
    assert_eq!(stored, 2);
}

/// A Takeout whose CSV has a phone app beside the watch, some rows at the watch's own
/// seconds (before or after the watch's row), and a JSON day file (which names no source)
/// with the watch's samples: the hourly max is the watch's, each source's readings are
/// kept, and importing it again changes nothing.
#[test]
fn a_phone_app_beside_the_watch_in_a_takeout_leaves_the_watch_max() {
    let sb = Sandbox::new();
    let t0 = 1_780_000_000 / 3600 * 3600; // 2026-05-28T20:00:00Z
    let day = chrono::DateTime::from_timestamp(t0, 0).unwrap();
    let mut csv = String::from("timestamp,beats per minute,data source\n");
    let mut json = Vec::new();
    let mut watch = Vec::new();
    let mut phone = Vec::new();
    for i in 0..(4 * 3600 / 5) {
        let ts = t0 + i * 5;
        let bpm = 60 + (i * 13 % 45) as u16;
        let at = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        };
        let w = format!("{},{bpm}.0,Pixel Watch 3\n", at(ts));
        if i % 23 == 0 {
            // The app's reading at the watch's second, written before or after it.
            let p = format!("{},{}.0,Phone Health Connect\n", at(ts), bpm + 60);
            if i % 2 == 0 {
                csv.push_str(&p);
                csv.push_str(&w);
            } else {
                csv.push_str(&w);
                csv.push_str(&p);
            }
            phone.push((ts, bpm + 60));
        } else {
            csv.push_str(&w);
        }
        watch.push((ts, bpm));
        json.push(serde_json::json!({
            "dateTime": chrono::DateTime::from_timestamp(ts, 0).unwrap().format("%m/%d/%y %H:%M:%S").to_string(),
            "value": {"bpm": bpm, "confidence": 2}
        }));
    }
    let root = sb.path("export/Takeout/Fitbit");
    std::fs::create_dir_all(root.join("Physical Activity_GoogleData")).unwrap();
    std::fs::create_dir_all(root.join("Global Export Data")).unwrap();
    std::fs::write(
        root.join(format!(
            "Physical Activity_GoogleData/heart_rate_{}.csv",
            day.format("%Y-%m-%d")
        )),
        &csv,
    )
    .unwrap();
    std::fs::write(
        root.join(format!(
            "Global Export Data/heart_rate-{}.json",
            day.format("%Y-%m-%d")
        )),
        serde_json::to_string(&json).unwrap(),
    )
    .unwrap();
    for _ in 0..2 {
        sb.cmd()
            .args(["import"])
            .arg(sb.path("export"))
            .assert()
            .success();
        assert_eq!(
            stored_hourly(&sb.db(), "default"),
            reference_hourly(watch.iter().copied())
        );
        let n: i64 = query_one(&sb.db(), "SELECT count(*) FROM samples");
        assert_eq!(n as usize, watch.len() + phone.len());
        let apps: i64 = query_one(
            &sb.db(),
            "SELECT count(*) FROM samples WHERE device = 'Phone Health Connect' AND counted = 0",
        );
        assert_eq!(apps as usize, phone.len());
    }
}

/// An export with heart-rate CSVs only (no JSON day files, so no offsets of its own) gets
/// local times from the zone its UserDemographicData.csv states, across the DST change, or
/// from `--timezone`.
#[test]
fn a_csv_only_export_gets_local_times_from_the_users_zone() {
    let sb = Sandbox::new();
    csv_only_export(&sb.path("export"));
    let root = sb.path("export/Takeout/Google Health");
    std::fs::create_dir_all(root.join("Account")).unwrap();
    let change = 1_710_054_000; // 2024-03-10T07:00:00Z: New York moves to -04:00
    std::fs::write(
        root.join("Account/UserDemographicData.csv"),
        "gender,height,weight,timezone\nFEMALE,170,60,America/New_York\n",
    )
    .unwrap();
    sb.cmd()
        .arg("import")
        .arg(sb.path("export"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "zone America/New_York (stated by the export's UserDemographicData.csv)",
        ));
    // Each hour's local start, computed here from the known change instant.
    let expected = |hour: i64| {
        let off = if hour < change { -5 } else { -4 };
        chrono::DateTime::from_timestamp(hour, 0)
            .unwrap()
            .with_timezone(&chrono::FixedOffset::east_opt(off * 3600).unwrap())
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    };
    let rows = local_starts_stored(&sb.db());
    assert_eq!(rows.len(), 48);
    for (hour, local) in &rows {
        assert_eq!(
            local.as_deref(),
            Some(expected(*hour).as_str()),
            "hour {hour}"
        );
    }
    // Local days follow: the hours of the day of the change, counted here.
    let want = rows
        .iter()
        .filter(|(h, _)| expected(*h).starts_with("2024-03-10"))
        .count() as i64;
    let day: i64 = query_one(
        &sb.db(),
        "SELECT hours_covered FROM daily_summary WHERE local_date = '2024-03-10'",
    );
    assert_eq!(day, want);

    // A zone given on the command line wins.
    sb.cmd()
        .args(["import", "--timezone", "Asia/Kolkata"])
        .arg(sb.path("export"))
        .assert()
        .success();
    let local: String = query_one(
        &sb.db(),
        "SELECT hour_start_local FROM hourly_max ORDER BY hour_epoch LIMIT 1",
    );
    assert_eq!(local, "2024-03-09T05:30:00+05:30");
    sb.cmd()
        .args(["import", "--timezone", "Mars/Olympus"])
        .arg(sb.path("export"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a time zone"));
}

/// The same day files and CSVs under every root and folder layout people's exports have
/// (Google Health's and Fitbit's Takeout, the `Heart Rate/` subfolder, Fitbit.com's
/// `MyFitbitData/<Name>` and older `user-site-export` archives) give the same hourly table,
/// and with the readings' sources when the CSVs come along.
#[test]
fn every_export_layout_gives_the_same_hours() {
    let sb = Sandbox::new();
    let spec = Spec {
        start: NaiveDate::from_ymd_opt(2024, 5, 1).unwrap(),
        days: 4,
        cadence: (5, 60),
        seed: 3,
        trip: false,
        device: "Charge 5".into(),
    };
    let src = sb.path("src");
    synth::write_takeout(&spec, &src).unwrap();
    let files = |dir: &str| -> Vec<std::path::PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(src.join("Takeout/Google Health").join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("heart_rate")
            })
            .collect();
        v.sort();
        v
    };
    let (json, csv) = (
        files("Global Export Data"),
        files("Physical Activity_GoogleData"),
    );
    assert!(json.len() >= 4 && csv.len() >= 4);
    let place = |name: &str, json_dir: &str, csv_dir: Option<&str>| {
        let root = sb.path(name);
        for (dir, list) in [(Some(json_dir), &json), (csv_dir, &csv)] {
            let Some(dir) = dir else { continue };
            let to = root.join(dir);
            std::fs::create_dir_all(&to).unwrap();
            for f in list.iter() {
                std::fs::copy(f, to.join(f.file_name().unwrap())).unwrap();
            }
        }
        let other = Sandbox::new();
        other.cmd().arg("import").arg(&root).assert().success();
        let sources: i64 = query_one(
            &other.db(),
            "SELECT count(DISTINCT device) FROM samples WHERE device IS NOT NULL",
        );
        (stored_hourly(&other.db(), "default"), sources)
    };
    let google = place(
        "google",
        "Takeout/Google Health/Global Export Data",
        Some("Takeout/Google Health/Physical Activity_GoogleData/Heart Rate"),
    );
    let fitbit = place(
        "fitbit",
        "Takeout/Fitbit/Global Export Data",
        Some("Takeout/Fitbit/Physical Activity_GoogleData"),
    );
    let mine = place("mine", "MyFitbitData/Alex/Physical Activity", None);
    let old = place("old", "user-site-export", None);
    assert!(google.0.len() >= 90, "{} hours", google.0.len());
    assert_eq!(fitbit.0, google.0);
    assert_eq!(mine.0, google.0);
    assert_eq!(old.0, google.0);
    // The CSVs name the watch; the day files alone name nothing.
    assert_eq!((google.1, fitbit.1, mine.1, old.1), (1, 1, 0, 0));
}

/// On a machine set to the user's zone by the `TZ` variable (as a shell profile, a systemd
/// unit or a container sets it), a CSV-only export takes that zone's local times; an empty
/// `TZ` is UTC, which says nothing of the user.
#[test]
fn the_tz_variable_is_this_machines_zone() {
    let import_with = |sb: &Sandbox, tz: &str| {
        sb.cmd()
            .env("TZ", tz)
            .arg("import")
            .arg(sb.path("export"))
            .assert()
            .success()
    };
    let sb = Sandbox::new();
    csv_only_export(&sb.path("export"));
    for value in ["", "UTC"] {
        import_with(&sb, value).stdout(predicate::str::contains("zone ").not());
        assert!(local_starts_stored(&sb.db())
            .iter()
            .all(|(_, l)| l.is_none()));
    }
    for (value, zone) in [
        (":America/New_York", "America/New_York"),
        ("/usr/share/zoneinfo/Europe/Berlin", "Europe/Berlin"),
    ] {
        let sb = Sandbox::new();
        csv_only_export(&sb.path("export"));
        import_with(&sb, value).stdout(predicate::str::contains(format!(
            "zone {zone} (this machine's"
        )));
        let rows = local_starts_stored(&sb.db());
        assert_eq!(rows.len(), 48);
        for (hour, local) in rows {
            let utc = fitpipe::model::format_utc(hour);
            assert_eq!(local, Some(local_start_in(&utc, zone)), "{value}: {utc}");
        }
    }
}

/// Writes a CSV-only export of 2024-03-09 and 2024-03-10 (a sample every 10 minutes, no day
/// files, no stated zone) under `dir`.
fn csv_only_export(dir: &std::path::Path) {
    let hr = dir.join("Takeout/Google Health/Physical Activity_GoogleData/Heart Rate");
    std::fs::create_dir_all(&hr).unwrap();
    let start = 1_709_942_400; // 2024-03-09T00:00:00Z
    for (day, from) in [("2024-03-09", start), ("2024-03-10", start + 86_400)] {
        let mut csv = String::from("timestamp,beats per minute,data source\n");
        for t in (from..from + 86_400).step_by(600) {
            csv.push_str(&format!(
                "{},{}.0,Pixel Watch 3\n",
                fitpipe::model::format_utc(t),
                60 + t % 50
            ));
        }
        std::fs::write(hr.join(format!("heart_rate_{day}.csv")), csv).unwrap();
    }
}

/// The hour starts and local starts of a master table in the export's columns.
fn local_starts(csv: &str) -> Vec<(String, String)> {
    csv.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].to_string(), f[2].to_string())
        })
        .collect()
}

/// The local start of UTC hour `hour` (RFC 3339) in `zone`, by chrono-tz.
fn local_start_in(hour: &str, zone: &str) -> String {
    let tz: chrono_tz::Tz = zone.parse().unwrap();
    chrono::DateTime::parse_from_rfc3339(hour)
        .unwrap()
        .with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// A CSV-only export takes its account's zone from `[accounts.NAME] timezone`; when the
/// configuration changes, the next sync computes the local times again, and the bucket's
/// master table and a fresh restore follow.
#[test]
fn the_accounts_configured_zone_gives_local_times_and_a_change_reaches_the_bucket() {
    let sb = Sandbox::new();
    csv_only_export(&sb.path("export"));
    let config = sb.path("home/.config/fitpipe/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    let set_zone = |zone: &str| {
        std::fs::write(
            &config,
            format!("timezone = \"Asia/Tokyo\"\n\n[accounts.default]\ntimezone = \"{zone}\"\n"),
        )
        .unwrap()
    };
    let remote = sb.path("bucket");
    let url = format!("file://{}", remote.display());
    set_zone("America/New_York");
    sb.cmd()
        .arg("import")
        .arg(sb.path("export"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "zone America/New_York (the configuration's timezone)",
        ));
    sb.cmd().args(["--remote", &url, "sync"]).assert().success();
    let check = |zone: &str| {
        let local = String::from_utf8(sb.export()).unwrap();
        let hours = local_starts(&local);
        assert_eq!(hours.len(), 48);
        for (utc, start) in &hours {
            assert_eq!(start, &local_start_in(utc, zone), "{utc}");
        }
        let bucket = String::from_utf8(crate::support::master_as_export(
            &crate::support::remote_master_file(&remote),
        ))
        .unwrap();
        assert_eq!(local_starts(&bucket), hours, "the bucket's master");
    };
    let check_local = |zone: &str| {
        let local = String::from_utf8(sb.export()).unwrap();
        for (utc, start) in &local_starts(&local) {
            assert_eq!(start, &local_start_in(utc, zone), "{utc}");
        }
    };
    check("America/New_York");
    sb.cmd()
        .arg("status")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "local time:  48 h from America/New_York (the configuration's timezone)",
        ));

    set_zone("Europe/Berlin");
    sb.cmd().args(["--remote", &url, "sync"]).assert().success();
    check("Europe/Berlin");

    // A zone that is no zone is the configuration's error, named, before anything runs.
    set_zone("Mars/Olympus");
    sb.cmd()
        .args(["--remote", &url, "sync"])
        .assert()
        .code(12)
        .stderr(predicate::str::contains(
            "[accounts.default] timezone = \"Mars/Olympus\" is not a time zone",
        ));
    set_zone("Europe/Berlin");

    // A fresh machine restoring from the bucket gets the corrected local times.
    let other = Sandbox::new();
    other
        .cmd()
        .args(["--remote", &url, "restore"])
        .assert()
        .success();
    let restored = String::from_utf8(other.export()).unwrap();
    let hours = local_starts(&restored);
    assert_eq!(hours.len(), 48);
    for (utc, start) in &hours {
        assert_eq!(start, &local_start_in(utc, "Europe/Berlin"), "{utc}");
    }

    // Without the key, a later import (on a machine whose zone says nothing: plain UTC here)
    // keeps the zone the history was placed with.
    std::fs::write(&config, "").unwrap();
    sb.cmd()
        .arg("import")
        .arg(sb.path("export"))
        .assert()
        .success();
    check_local("Europe/Berlin");
}

/// A change of zone on the machine that imported moves the local times on every machine
/// that shares the bucket, back down as well as up, and a sync does not bring the old ones
/// back: each hour's copy says where its local time came from and when its zone was chosen.
#[test]
fn a_zone_change_reaches_every_machine_down_as_well_as_up() {
    let (a, b) = (Sandbox::new(), Sandbox::new());
    csv_only_export(&a.path("export"));
    let config = a.path("home/.config/fitpipe/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    let set_zone = |zone: &str| {
        std::fs::write(
            &config,
            format!("[accounts.default]\ntimezone = \"{zone}\"\n"),
        )
        .unwrap()
    };
    let url = format!("file://{}", a.path("bucket").display());
    let sync = |sb: &Sandbox| {
        sb.cmd().args(["--remote", &url, "sync"]).assert().success();
    };
    let check = |sb: &Sandbox, zone: &str, who: &str| {
        let hours = local_starts(&String::from_utf8(sb.export()).unwrap());
        assert_eq!(hours.len(), 48, "{who}");
        for (utc, start) in &hours {
            assert_eq!(start, &local_start_in(utc, zone), "{who}: {utc}");
        }
    };
    set_zone("America/New_York");
    a.cmd()
        .arg("import")
        .arg(a.path("export"))
        .assert()
        .success();
    sync(&a);
    sync(&b);
    check(&b, "America/New_York", "the other machine");
    for zone in [
        "Europe/Berlin",
        "America/Los_Angeles",
        "Asia/Kolkata",
        "America/New_York",
    ] {
        set_zone(zone);
        sync(&a);
        sync(&b);
        check(&b, zone, "the other machine");
        // The other machine's copy, merged back, does not undo the change here.
        sync(&a);
        check(&a, zone, "the machine that changed");
        let bucket = String::from_utf8(crate::support::master_as_export(
            &crate::support::remote_master_file(&a.path("bucket")),
        ))
        .unwrap();
        for (utc, start) in &local_starts(&bucket) {
            assert_eq!(start, &local_start_in(utc, zone), "the bucket: {utc}");
        }
    }
}

/// What `fitpipe import PATHS` printed in `sb`, which must succeed.
fn imported(sb: &Sandbox, paths: &[std::path::PathBuf]) -> String {
    let out = sb.cmd().arg("import").args(paths).assert().success();
    String::from_utf8_lossy(&out.get_output().stdout).into_owned()
}

/// `tar -czf` of part of a folder: the members named by `filter` (paths relative to `dir`).
fn tgz(dir: &std::path::Path, out: &std::path::Path, filter: &str) {
    tgz_in_order(dir, out, filter, "sort")
}

/// The same, its members in the order `order` (a shell filter) puts their paths.
fn tgz_in_order(dir: &std::path::Path, out: &std::path::Path, filter: &str, order: &str) {
    let list = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cd '{}' && find . -type f | grep -e '{filter}' | {order} > '{list}' && tar -czf '{}' -T '{list}'",
            dir.display(),
            out.display(),
            // Beside the archive: tests building archives at once each have their own.
            list = format!("{}.list", out.display()),
        ))
        .status()
        .unwrap();
    assert!(list.success());
}

/// A Takeout downloaded as .tgz, in two parts (the JSON day files in one, the CSVs and the
/// rest in the other), imported in one command: the same table, samples and local times as
/// the unpacked folder, the day files of the first part meeting their CSVs of the second in
/// memory (none "already present"); a part cut short is named, and the rest is imported.
#[test]
fn tgz_parts_import_like_the_folder() {
    let sb = Sandbox::new();
    let spec = spec((2024, 3, 1), 12, true);
    synth::write_takeout(&spec, &sb.path("export")).unwrap();
    let samples = truth(&spec);
    let export = sb.path("export");
    tgz(&export, &sb.path("takeout-1.tgz"), "\\.json$");
    tgz(&export, &sb.path("takeout-2.tar.gz"), "\\.csv$");
    let out = imported(
        &sb,
        &[sb.path("takeout-1.tgz"), sb.path("takeout-2.tar.gz")],
    );
    assert!(
        out.contains(&format!(
            "{} new samples, 0 already present",
            thousands(samples.len())
        )),
        "{out}"
    );
    let folder = Sandbox::new();
    folder
        .cmd()
        .args(["import"])
        .arg(&export)
        .assert()
        .success();
    let expected = reference_hourly(samples.iter().map(|g| (g.ts, g.bpm)));
    assert_eq!(stored_hourly(&sb.db(), "default"), expected);
    let q = "SELECT group_concat(hour_epoch || ' ' || coalesce(hour_start_local, '-'), ';') FROM (SELECT * FROM hourly_max ORDER BY hour_epoch)";
    assert_eq!(
        query_one::<String>(&sb.db(), q),
        query_one::<String>(&folder.db(), q),
        "the same local times"
    );
    let n: i64 = query_one(&sb.db(), "SELECT count(*) FROM samples");
    assert_eq!(n as usize, samples.len(), "twins across parts count once");

    // One .tgz of it all, the day files first (as Takeout stores them), or the CSVs first,
    // or in no order at all (as `tar` stores a folder's files): the day files and their CSVs
    // wait for each other and meet in memory (nothing is "already present", which twins that
    // met in the store would be); the same samples, sources and local times.
    let every = "SELECT group_concat(ts_utc || ' ' || bpm || ' ' || coalesce(device, '-') || ' ' || coalesce(utc_offset_s, '-'), ';') FROM (SELECT * FROM samples ORDER BY ts_utc, device)";
    let unnamed = "SELECT count(*) FROM samples WHERE device IS NULL";
    for order in ["sort", "sort -r", "sort -R --random-source=/dev/zero"] {
        tgz_in_order(&export, &sb.path("takeout-all.tgz"), ".", order);
        let one = Sandbox::new();
        let out = imported(&one, &[sb.path("takeout-all.tgz")]);
        assert!(
            out.contains(&format!(
                "{} new samples, 0 already present",
                thousands(samples.len())
            )),
            "{order}: {out}"
        );
        assert_eq!(
            query_one::<String>(&one.db(), every),
            query_one::<String>(&folder.db(), every),
            "{order}"
        );
        assert_eq!(
            query_one::<String>(&one.db(), q),
            query_one::<String>(&folder.db(), q),
            "{order}"
        );
        assert_eq!(
            query_one::<i64>(&one.db(), unnamed),
            query_one::<i64>(&folder.db(), unnamed),
            "{order}"
        );
    }

    // A part cut short: named, exit 3, and what it held before the cut is kept.
    let whole = std::fs::read(sb.path("takeout-2.tar.gz")).unwrap();
    std::fs::write(sb.path("cut.tgz"), &whole[..whole.len() / 2]).unwrap();
    let cut = Sandbox::new();
    cut.cmd()
        .args(["import"])
        .arg(sb.path("cut.tgz"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("cut.tgz"));
    let kept: i64 = query_one(&cut.db(), "SELECT count(*) FROM samples");
    assert!(kept > 0 && (kept as usize) < samples.len(), "{kept}");
}

/// A tar not gzip-compressed (a `.tgz` whose gzip encoding the browser undid on download,
/// under its own name, or one unpacked to `.tar`) reads as the `.tgz` does; an archive
/// with no heart-rate member, an empty download, or garbage says so and loses nothing.
#[test]
fn a_tar_reads_as_its_tgz_and_an_archive_without_heart_rate_says_so() {
    let sb = Sandbox::new();
    let spec = spec((2024, 3, 1), 5, false);
    synth::write_takeout(&spec, &sb.path("export")).unwrap();
    let samples = truth(&spec);
    let expected = reference_hourly(samples.iter().map(|g| (g.ts, g.bpm)));
    tgz(&sb.path("export"), &sb.path("takeout.tgz"), ".");
    let gz = std::fs::read(sb.path("takeout.tgz")).unwrap();
    let mut tar = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut tar).unwrap();
    assert_eq!(&tar[257..262], b"ustar", "a plain tar");
    for name in ["takeout-undone.tgz", "takeout-001.tar"] {
        std::fs::write(sb.path(name), &tar).unwrap();
        let one = Sandbox::new();
        let out = imported(&one, &[sb.path(name)]);
        assert!(
            out.contains(&format!("{} new samples", thousands(samples.len()))),
            "{name}: {out}"
        );
        assert_eq!(stored_hourly(&one.db(), "default"), expected, "{name}");
    }

    // No heart-rate member: what a zip without one gets (exit 4).
    std::fs::create_dir_all(sb.path("other/Takeout/Drive")).unwrap();
    std::fs::write(sb.path("other/Takeout/Drive/notes.txt"), "hi").unwrap();
    tgz(&sb.path("other"), &sb.path("other.tgz"), ".");
    let none = Sandbox::new();
    none.cmd()
        .arg("import")
        .arg(sb.path("other.tgz"))
        .assert()
        .code(4)
        .stderr(predicate::str::contains(format!(
            "no heart-rate files found in {}",
            sb.path("other.tgz").display()
        )));

    // Garbage, compressed or not, beside a good archive: the good one is imported, the
    // garbage named in words (not quoted: its bytes would reach the terminal), exit 3.
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(sb.path("junk.tar"), &garbage).unwrap();
    let mut junk_gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut junk_gz, &garbage).unwrap();
    std::fs::write(sb.path("junk.tgz"), junk_gz.finish().unwrap()).unwrap();
    let mixed = Sandbox::new();
    let out = mixed
        .cmd()
        .arg("import")
        .args([sb.path("junk.tar"), sb.path("junk.tgz"), sb.path("takeout.tgz")])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "junk.tar: could not read: not a .tgz or .tar archive: neither gzip-compressed nor a tar",
        ))
        .stderr(predicate::str::contains(
            "junk.tgz: could not read: not a .tgz archive: gzip-compressed, but not a tar inside",
        ));
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        !err.chars().any(|c| c.is_control() && c != '\n'),
        "no control character reaches the terminal: {err:?}"
    );
    assert_eq!(stored_hourly(&mixed.db(), "default"), expected);
}

/// A .tgz in date order whose export lacks one day's CSV (its day file has no twin to meet):
/// every other day file and CSV still meet in memory (none "already present"), through more
/// days after the gap than the import buffers, and the table is the unpacked folder's.
/// Downloads that went wrong, beside a good part: a zip cut short (its list of members, at
/// its end, is missing), a web page saved under an archive's name (an expired link), an
/// empty file, a .tgz cut short. Each is rejected with what happened and what to do, and
/// the good part is imported whole (exit 3); a cut zip alone is rejected, not "not found".
/// A part still downloading is named with the file it will be.
#[test]
fn downloads_that_went_wrong_are_named_with_what_to_do_and_the_rest_is_imported() {
    let sb = Sandbox::new();
    let spec = spec((2024, 5, 1), 4, false);
    synth::write_takeout(&spec, &sb.path("export")).unwrap();
    let expected = reference_hourly(truth(&spec).iter().map(|g| (g.ts, g.bpm)));
    synth::zip_folder(&sb.path("export"), &sb.path("good.zip")).unwrap();
    let zip = std::fs::read(sb.path("good.zip")).unwrap();
    std::fs::write(sb.path("cut.zip"), &zip[..zip.len() / 2]).unwrap();
    tgz(&sb.path("export"), &sb.path("whole.tgz"), ".");
    let gz = std::fs::read(sb.path("whole.tgz")).unwrap();
    std::fs::write(sb.path("cut.tgz"), &gz[..gz.len() / 2]).unwrap();
    let page = b"\n<!DOCTYPE html><html><body>Sign in to continue</body></html>";
    std::fs::write(sb.path("page.zip"), page).unwrap();
    std::fs::write(sb.path("page.tgz"), page).unwrap();
    std::fs::write(sb.path("empty.zip"), b"").unwrap();
    std::fs::write(sb.path("empty.tgz"), b"").unwrap();

    let all = Sandbox::new();
    let broken = ["cut.zip", "page.zip", "empty.zip", "page.tgz", "empty.tgz"];
    let out = all
        .cmd()
        .arg("import")
        .args(broken.iter().map(|n| sb.path(n)))
        .arg(sb.path("good.zip"))
        .assert()
        .code(3);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(stored_hourly(&all.db(), "default"), expected, "{err}");
    for (name, words) in [
        ("cut.zip", "cut short"),
        ("page.zip", "a web page"),
        ("empty.zip", "empty (0 bytes)"),
        ("page.tgz", "a web page"),
        ("empty.tgz", "empty (0 bytes)"),
    ] {
        let line = err
            .lines()
            .find(|l| l.starts_with(&format!("rejected: {}", sb.path(name).display())))
            .unwrap_or_else(|| panic!("{name} not named: {err}"));
        assert!(line.contains(words), "{name}: {line}");
        assert!(line.contains("download"), "{name}: {line}");
    }
    assert!(
        err.contains("5 input record(s) or file(s) were rejected"),
        "{err}"
    );

    // Parts still downloading, named or in a folder beside a finished part: named with the
    // file they will be; an unrelated unfinished download in the folder is not heart rate.
    std::fs::write(sb.path("takeout-002.zip.crdownload"), &zip[..zip.len() / 3]).unwrap();
    std::fs::create_dir_all(sb.path("downloads/takeout-003.tgz.download")).unwrap();
    std::fs::write(sb.path("downloads/takeout-004.tgz.part"), &gz[..100]).unwrap();
    std::fs::write(sb.path("downloads/notes.pdf.part"), b"%PDF").unwrap();
    std::fs::copy(sb.path("good.zip"), sb.path("downloads/takeout-001.zip")).unwrap();
    let downloading = Sandbox::new();
    let out = downloading
        .cmd()
        .arg("import")
        .arg(sb.path("takeout-002.zip.crdownload"))
        .arg(sb.path("downloads"))
        .assert()
        .code(3);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(
        stored_hourly(&downloading.db(), "default"),
        expected,
        "{err}"
    );
    for (name, finished) in [
        ("takeout-002.zip.crdownload", "takeout-002.zip"),
        ("downloads/takeout-003.tgz.download", "takeout-003.tgz"),
        ("downloads/takeout-004.tgz.part", "takeout-004.tgz"),
    ] {
        let said = format!(
            "rejected: {}: an unfinished download (the browser is still writing it, or it stopped): once it has finished, import {finished}",
            sb.path(name).display()
        );
        assert!(err.contains(&said), "{name}: {err}");
    }
    assert!(
        err.contains("3 input record(s) or file(s) were rejected"),
        "{err}"
    );

    // A zip whose directory is damaged part way (a header's signature overwritten): named,
    // exit 3, the members listed before the damage imported.
    let mut damaged = zip.clone();
    let headers: Vec<usize> = (0..damaged.len() - 4)
        .filter(|&i| damaged[i..i + 4] == *b"PK\x01\x02")
        .collect();
    let at = headers[headers.len() / 2];
    damaged[at..at + 4].copy_from_slice(b"XXXX");
    std::fs::write(sb.path("damaged.zip"), &damaged).unwrap();
    let part_way = Sandbox::new();
    let out = part_way
        .cmd()
        .arg("import")
        .arg(sb.path("damaged.zip"))
        .assert()
        .code(3);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let said = format!(
        "rejected: {}: not a readable zip archive",
        sb.path("damaged.zip").display()
    );
    assert!(err.contains(&said), "{err}");
    let kept: i64 = query_one(&part_way.db(), "SELECT count(*) FROM samples");
    assert!(kept > 0, "{err}");

    // A zip cut short, alone: rejected (exit 3), nothing stored, the database usable.
    let alone = Sandbox::new();
    alone
        .cmd()
        .arg("import")
        .arg(sb.path("cut.zip"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("download this part again"));
    assert_eq!(
        query_one::<i64>(&alone.db(), "SELECT count(*) FROM samples"),
        0
    );

    // A .tgz cut short says how far it got; what came before the cut is kept.
    let cut = Sandbox::new();
    let out = cut
        .cmd()
        .arg("import")
        .arg(sb.path("cut.tgz"))
        .assert()
        .code(3);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("cut short after"), "{err}");
    let kept: i64 = query_one(&cut.db(), "SELECT count(*) FROM samples");
    assert!(kept > 0, "{err}");
}

#[test]
fn a_day_without_its_csv_holds_back_only_its_own_days() {
    let sb = Sandbox::new();
    let spec = spec((2024, 3, 1), 24, false);
    let export = sb.path("export");
    synth::write_takeout(&spec, &export).unwrap();
    let gap = walkdir(&export)
        .into_iter()
        .find(|p| p.ends_with("heart_rate_2024-03-03.csv"))
        .expect("the CSV of the 3rd");
    std::fs::remove_file(gap).unwrap();
    tgz(&export, &sb.path("takeout.tgz"), ".");
    let out = imported(&sb, &[sb.path("takeout.tgz")]);
    let folder = Sandbox::new();
    let from_folder = imported(&folder, std::slice::from_ref(&export));
    let new = |out: &str| {
        let (n, _) = out
            .split_once(" new samples")
            .expect("a count of new samples");
        n.rsplit(' ').next().unwrap().to_string()
    };
    assert!(out.contains("new samples, 0 already present"), "{out}");
    assert_eq!(new(&out), new(&from_folder), "{out} / {from_folder}");
    assert_eq!(
        stored_hourly(&sb.db(), "default"),
        stored_hourly(&folder.db(), "default")
    );
}

/// Every file under `dir`.
fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A file longer than what the import holds in memory is written as it is read; its twin in
/// a second file, read after the first has been written, still counts once.
#[test]
fn a_file_longer_than_the_buffer_and_its_twin_count_once() {
    let sb = Sandbox::new();
    let dir = sb.path("export");
    std::fs::create_dir_all(&dir).unwrap();
    let t0 = 1_700_000_000;
    let n = 300_000i64; // more than the 262,144 samples the import buffers
    let mut csv = String::from("timestamp,beats per minute,data source\n");
    let mut samples = Vec::new();
    for i in 0..n {
        let t = t0 + i * 5;
        let bpm = 50 + (i * 7 % 97) as u16;
        let at = chrono::DateTime::from_timestamp(t, 0).unwrap();
        csv.push_str(&format!(
            "{},{bpm}.0,Pixel Watch 3\n",
            at.format("%Y-%m-%dT%H:%M:%SZ")
        ));
        samples.push((t, bpm));
    }
    std::fs::write(dir.join("a.csv"), &csv).unwrap();
    std::fs::write(dir.join("b.csv"), &csv).unwrap();
    sb.cmd()
        .arg("import")
        .arg(dir.join("a.csv"))
        .arg(dir.join("b.csv"))
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "{} new samples",
            thousands(n as usize)
        )));
    assert_eq!(
        stored_hourly(&sb.db(), "default"),
        reference_hourly(samples.iter().copied())
    );
    let stored: i64 = query_one(&sb.db(), "SELECT count(*) FROM samples");
    assert_eq!(stored, n);
}

/// Google Fit's Takeout, in a folder of another language: the raw heart-rate file of each
/// source is read (nanosecond stamps, the source named), the derived merge is not.
#[test]
fn google_fit_raw_heart_rate_is_read_and_the_derived_merge_is_not() {
    let sb = Sandbox::new();
    let dir = sb.path("export/Takeout/Fit/Alle gegevens");
    std::fs::create_dir_all(&dir).unwrap();
    let t0: i64 = 1_715_771_700;
    let mut points = Vec::new();
    let mut truth = Vec::new();
    for i in 0..2_000i64 {
        let t = t0 + i * 61;
        let bpm = 55 + (i * 13 % 80) as u16;
        points.push(serde_json::json!({
            "dataTypeName": "com.google.heart_rate.bpm",
            "startTimeNanos": (t as u64) * 1_000_000_000 + 123_456_789,
            "endTimeNanos": (t as u64) * 1_000_000_000 + 123_456_789,
            "fitValue": [{"value": {"fpVal": bpm as f64}}],
        }));
        truth.push((t, bpm));
    }
    let raw = serde_json::json!({
        "Data Source": "raw:com.google.heart_rate.bpm:com.mobvoi.ticwear:watch",
        "Data Points": points,
    });
    std::fs::write(
        dir.join("raw_com.google.heart_rate.bpm_com.mobvoi.ticwear.json"),
        raw.to_string(),
    )
    .unwrap();
    // The merged stream holds the same readings again, and one more that must not count.
    let mut merged = raw.clone();
    merged["Data Source"] =
        "derived:com.google.heart_rate.bpm:com.google.android.gms:merge_heart_rate_bpm".into();
    merged["Data Points"].as_array_mut().unwrap().push(serde_json::json!({
        "startTimeNanos": (t0 as u64 + 30) * 1_000_000_000, "fitValue": [{"value": {"fpVal": 199.0}}]
    }));
    std::fs::write(
        dir.join("derived_com.google.heart_rate.bpm_com.google.android.gms.json"),
        merged.to_string(),
    )
    .unwrap();
    sb.cmd()
        .arg("import")
        .arg(sb.path("export"))
        .assert()
        .success()
        .stdout(predicate::str::contains("2,000 new samples"));
    assert_eq!(
        stored_hourly(&sb.db(), "default"),
        reference_hourly(truth.iter().copied())
    );
    let device: String = query_one(&sb.db(), "SELECT DISTINCT device FROM samples");
    assert_eq!(
        device,
        "raw:com.google.heart_rate.bpm:com.mobvoi.ticwear:watch"
    );
}

/// Each hour's start and local start in `db`'s `hourly_max`, by hour.
fn local_starts_stored(db: &std::path::Path) -> Vec<(i64, Option<String>)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT hour_epoch, hour_start_local FROM hourly_max ORDER BY hour_epoch")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows
}

/// The hours of `sb`'s database whose `hour_start_local` is the generator's true local time,
/// and all of them.
fn true_local_hours(sb: &Sandbox, spec: &Spec) -> (usize, usize) {
    let (right, wrong) = local_hours(sb, spec);
    (right, right + wrong.len())
}

/// How many hours of `sb`'s database have the generator's true local time, and the hour
/// starts of those that do not.
fn local_hours(sb: &Sandbox, spec: &Spec) -> (usize, Vec<i64>) {
    let locals = local_starts_stored(&sb.db());
    let (right, wrong): (Vec<_>, Vec<_>) = locals.iter().partition(|(hour, local)| {
        let off = spec.offset_at(*hour);
        let want = chrono::DateTime::from_timestamp(hour + off as i64 * 60, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:00")
            .to_string()
            + &fitpipe::model::format_offset(off);
        local.as_deref() == Some(want.as_str())
    });
    (right.len(), wrong.into_iter().map(|(h, _)| *h).collect())
}

/// 2024 at a sample every 30 minutes, with or without a week in India.
fn sparse_year(trip: bool) -> Spec {
    Spec {
        start: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        days: 366,
        cadence: (1800, 1800),
        seed: 9,
        trip,
        device: "Pixel Watch 3".into(),
    }
}

/// The same sparse history with a trip to India (+05:30), imported with the user's zone:
/// the days the zone explains take its offsets (a clock change at its exact instant), the
/// days abroad keep what their day files say.
#[test]
fn a_known_zone_gives_the_home_days_and_the_day_files_the_trip() {
    let sb = Sandbox::new();
    let spec = sparse_year(true);
    synth::write_takeout(&spec, &sb.path("export")).unwrap();
    sb.cmd()
        .arg("import")
        .arg("--timezone")
        .arg("America/New_York")
        .arg(sb.path("export"))
        .assert()
        .success();
    let (right, wrong) = local_hours(&sb, &spec);
    let total = right + wrong.len();
    assert!(total > 8000, "{total}");
    assert!(
        right * 100 >= total * 99,
        "{right} of {total} hours have their true local time"
    );
    // Only the travel days themselves (flights, a local date lived twice on the way back)
    // can be wrong: every hour a day or more away from the trip has its true local time,
    // the clock changes included.
    let (a, b) = spec.trip_range().unwrap();
    let day = 86_400;
    let far: Vec<String> = wrong
        .iter()
        .filter(|h| **h < a - day || **h >= b + day)
        .map(|h| fitpipe::model::format_utc(*h))
        .collect();
    assert!(far.is_empty(), "wrong away from the trip: {far:?}");
    // The trip's hours are at +05:30: the day files, not the zone, gave them.
    let trip: i64 = query_one(
        &sb.db(),
        "SELECT count(*) FROM hourly_max WHERE utc_offset_min = 330",
    );
    assert!(trip >= 24, "{trip} hours at +05:30");
}

/// A history sampled every 30 minutes (a watch that records sparsely, or days with the
/// watch charged overnight) across both DST changes: the day files bound each offset only
/// loosely, yet nearly every hour gets the generator's true local time (before, whole
/// winters came out at -04:45 and whole summers without one).
#[test]
fn a_sparse_history_gets_real_offsets_from_its_day_files() {
    let sb = Sandbox::new();
    let spec = sparse_year(false);
    synth::write_takeout(&spec, &sb.path("export")).unwrap();
    sb.cmd()
        .arg("import")
        .arg(sb.path("export"))
        .assert()
        .success();
    let (right, total) = true_local_hours(&sb, &spec);
    assert!(
        right * 100 >= total * 99,
        "{right} of {total} hours have their true local time"
    );
}

/// An export imported into the wrong account is moved where it belongs, on this machine and,
/// through a folder remote, on another; the commands name what they did and refuse what
/// they cannot do.
#[test]
fn an_import_into_the_wrong_account_is_moved_and_another_machine_follows() {
    let a = Sandbox::new();
    let b = Sandbox::new();
    let remote = format!("file://{}", a.path("remote").display());
    let sync = |sb: &Sandbox| {
        sb.cmd()
            .args(["--remote", &remote, "sync"])
            .assert()
            .success();
    };
    // Mine: every 30 s for 3 hours; theirs: 10 s later, and an hour more.
    let mine: Vec<(i64, u16)> = (0..360)
        .map(|i| (1_735_689_600 + i * 30, 60 + (i % 50) as u16))
        .collect();
    let theirs: Vec<(i64, u16)> = (0..480)
        .map(|i| (1_735_689_610 + i * 30, 90 + (i % 70) as u16))
        .collect();
    let csv = |rows: &[(i64, u16)]| {
        let mut s = String::from("time,bpm\n");
        for &(ts, bpm) in rows {
            s.push_str(&format!("{},{bpm}\n", fitpipe::model::format_utc(ts)));
        }
        s
    };
    std::fs::write(a.path("mine.csv"), csv(&mine)).unwrap();
    std::fs::write(a.path("theirs.csv"), csv(&theirs)).unwrap();
    for f in ["mine.csv", "theirs.csv"] {
        a.cmd()
            .args(["import", "--timezone", "America/New_York"])
            .arg(a.path(f))
            .assert()
            .success();
    }
    sync(&a);
    sync(&b);
    let both: Vec<(i64, u16)> = mine.iter().chain(&theirs).copied().collect();
    assert_eq!(stored_hourly(&b.db(), "default"), reference_hourly(both));

    a.cmd()
        .arg("imports")
        .assert()
        .success()
        .stdout(predicate::str::contains("2 import(s)"))
        .stdout(predicate::str::contains("480 readings its own"));
    let out = a.cmd().args(["imports", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["imports"][1]["samples_new"], 480, "{v}");
    let id = v["imports"][1]["id"].as_i64().unwrap().to_string();
    a.cmd()
        .args(["imports", "move", &id, "--to", "partner"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "moved import 2 from account default to partner: 480 readings copied (480 new there), 480 deleted from default",
        ));
    a.cmd()
        .args(["imports", "remove", &id])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("was removed (or moved) at"));
    a.cmd()
        .args(["imports", "remove", "99"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no import 99"));
    a.cmd()
        .args(["imports", "move", "1", "--to", "default"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("in account default already"));
    for sb in [&a, &b, &a] {
        sync(sb);
    }
    for sb in [&a, &b] {
        assert_eq!(
            stored_hourly(&sb.db(), "default"),
            reference_hourly(mine.clone())
        );
        assert_eq!(
            stored_hourly(&sb.db(), "partner"),
            reference_hourly(theirs.clone())
        );
    }
    // The moved hours take the zone the readings were imported with.
    let unplaced: i64 = query_one(
        &a.db(),
        "SELECT count(*) FROM hourly_max WHERE account = 'partner'
            AND (hour_start_local IS NULL OR hour_start_local NOT LIKE '%-05:00')",
    );
    assert_eq!(unplaced, 0);
    // Doctor knows the removals' object.
    let out = a
        .cmd()
        .args(["--remote", &remote, "doctor", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["remote"]["bucket"]["unknown"],
        serde_json::json!([]),
        "{v}"
    );
    // A removal is final for the readings it names: imported again into the account they
    // left, they are not stored, and the move back is refused, changing nothing.
    a.cmd()
        .arg("import")
        .arg(a.path("theirs.csv"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "not stored: 480 reading(s) an earlier removal of this account names",
        ));
    a.cmd()
        .args(["imports", "move", "3", "--to", "default"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "480 of import 3's readings were removed from account default before",
        ));
    assert_eq!(
        stored_hourly(&a.db(), "default"),
        reference_hourly(mine.clone())
    );
    assert_eq!(
        stored_hourly(&a.db(), "partner"),
        reference_hourly(theirs.clone())
    );
    // The moved readings are an import of partner's, which can be removed in turn.
    a.cmd()
        .args(["imports", "remove", "3"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "removed import 3 from account partner: 480 readings deleted",
        ));
    sync(&a);
    sync(&b);
    assert!(stored_hourly(&b.db(), "partner").is_empty());
    // The parts that held nothing else are gone from the lake.
    let mut parts = Vec::new();
    let mut dirs = vec![a.path("remote/samples")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                parts.push(p.display().to_string());
            }
        }
    }
    assert!(!parts.is_empty());
    assert!(
        parts.iter().all(|p| p.contains("account=default")),
        "{parts:?}"
    );
    assert_eq!(stored_hourly(&b.db(), "default"), reference_hourly(mine));
}

/// The readings stored so far, when the database has its tables yet.
fn stored_so_far(db: &std::path::Path) -> Option<i64> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .ok()?;
    conn.query_row("SELECT count(*) FROM sample", [], |r| r.get(0))
        .ok()
}

/// An import killed part way (a crash, a laptop closed mid-import): `status` and `imports`
/// say it was cut short and what to do, and what it stored is kept. Importing the same
/// files again finishes it: the table is the export's, every hour has its local time, and
/// the finished import owns every reading, so removing it removes them all.
#[test]
fn an_import_killed_part_way_is_told_of_and_the_same_import_finishes_it() {
    let sb = Sandbox::new();
    let spec = Spec {
        cadence: (5, 5),
        ..spec((2024, 3, 1), 60, true)
    };
    synth::write_takeout(&spec, &sb.path("export")).unwrap();
    let samples = truth(&spec);
    let expected = reference_hourly(samples.iter().map(|g| (g.ts, g.bpm)));

    let mut child = sb
        .std_cmd()
        .arg("import")
        .arg(sb.path("export"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it could be cut short: give it a bigger export"
        );
        if stored_so_far(&sb.db()).is_some_and(|n| n > 0) {
            break;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(120));
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let kept = stored_so_far(&sb.db()).unwrap();
    assert!(kept > 0 && (kept as usize) < samples.len(), "{kept}");

    let status = sb.cmd().arg("status").assert().success();
    let status = String::from_utf8_lossy(&status.get_output().stdout).into_owned();
    let export = std::fs::canonicalize(sb.path("export")).unwrap();
    assert!(
        status.contains(&format!(
            "did not finish ({}): what it stored is kept; import the same files again to finish it",
            export.display()
        )),
        "{status}"
    );
    assert!(
        status.contains("an import was cut short before it set local times"),
        "{status}"
    );
    sb.cmd()
        .arg("doctor")
        .assert()
        .stdout(
            predicate::str::contains("was cut short").and(predicate::str::contains(
                "import the same files again to finish it",
            )),
        );
    let listed = sb.cmd().args(["imports", "--json"]).assert().success();
    let listed: serde_json::Value = serde_json::from_slice(&listed.get_output().stdout).unwrap();
    assert_eq!(listed["imports"].as_array().unwrap().len(), 0, "{listed}");
    assert_eq!(listed["interrupted"][0]["marked"], kept, "{listed}");

    // The same import again finishes it.
    let again = sb
        .cmd()
        .arg("import")
        .arg(sb.path("export"))
        .assert()
        .success();
    let out = String::from_utf8_lossy(&again.get_output().stdout).into_owned();
    assert!(
        out.contains("finished the import of the same files that started at"),
        "{out}"
    );
    assert_eq!(stored_hourly(&sb.db(), "default"), expected);
    let unknown: i64 = query_one(
        &sb.db(),
        "SELECT count(*) FROM hourly_max WHERE hour_start_local IS NULL",
    );
    assert_eq!(unknown, 0);
    let status = sb.cmd().arg("status").assert().success();
    let status = String::from_utf8_lossy(&status.get_output().stdout).into_owned();
    assert!(!status.contains("cut short"), "{status}");
    let listed = sb.cmd().args(["imports", "--json"]).assert().success();
    let listed: serde_json::Value = serde_json::from_slice(&listed.get_output().stdout).unwrap();
    assert_eq!(
        listed["interrupted"].as_array().unwrap().len(),
        0,
        "{listed}"
    );
    let run = &listed["imports"][0];
    assert_eq!(run["samples_new"], samples.len(), "{listed}");
    assert_eq!(run["samples_present"], 0, "{listed}");
    assert_eq!(run["marked"], samples.len(), "{listed}");

    // Removing it removes what the import cut short had stored too.
    sb.cmd().args(["imports", "remove", "1"]).assert().success();
    assert_eq!(stored_so_far(&sb.db()), Some(0));
}

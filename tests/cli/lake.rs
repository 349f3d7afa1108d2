//! The lake: Parquet parts, one part per day once the day is closed, parts of earlier
//! fitpipes (CSV) read and rewritten, and engines (DuckDB, Spark) reading what a series of
//! hourly syncs wrote.

use std::collections::BTreeMap;

use fitpipe::model::DAY;
use fitpipe::store::Store;
use fitpipe::sync::{self, layout, parts, Remote, SyncOptions};

use super::sync::{add, assert_converged, backends, figures, opts, reference, restored};

/// Late uploads older than this are not expected; days that ended before are closed.
const WINDOW: i64 = 2 * DAY;

fn opts_at(now: i64) -> SyncOptions {
    SyncOptions {
        closed_before: now - WINDOW,
        ..opts()
    }
}

/// Samples every `every` seconds (plus a little jitter) within `[from, to)`.
fn samples(seed: u64, from: i64, to: i64, every: i64) -> Vec<(i64, u16)> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::new();
    let mut t = from;
    while t < to {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push((t, 45 + (x % 140) as u16));
        t += every + (x >> 61) as i64;
    }
    out
}

type Truth = BTreeMap<String, BTreeMap<i64, u16>>;

/// A folder remote (`file://`) at `dir`.
fn folder_remote(dir: &std::path::Path) -> Remote {
    Remote::new(
        std::sync::Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir).unwrap()),
        "",
        fitpipe::sync::Concurrency::LockObject,
        "file://",
    )
}

/// A new store restored from `remote`.
fn feed(store: &mut Store, account: &str, s: &[(i64, u16)], truth: &mut Truth) {
    for &(ts, bpm) in s {
        let old = truth
            .entry(account.to_string())
            .or_default()
            .insert(ts, bpm);
        assert!(old.is_none(), "the test feeds each instant once");
    }
    add(store, account, s);
}

/// Every sample in the lake, by account and instant, checking that copies agree.
async fn lake(remote: &Remote) -> (Truth, BTreeMap<i64, Vec<String>>) {
    let listing = remote.list("samples/").await.unwrap();
    let mut out = Truth::new();
    for name in &listing {
        let (account, _) = layout::parse_part(name).expect("only parts in the lake");
        for s in parts::parse_part(name, &remote.get(name).await.unwrap()).unwrap() {
            let old = out.entry(account.clone()).or_default().insert(s.ts, s.bpm);
            assert!(old.is_none() || old == Some(s.bpm), "{name}: {s:?}");
        }
    }
    (out, parts::parts_by_day(&listing))
}

/// Two laptops sync every three hours for six days, one writing the first hour of each
/// block, the other the second, with late uploads for days already closed; at the end
/// every closed day has one part, the lake holds every sample, and a restore has every hour.
async fn hourly_rounds(remote: &Remote, name: &str) -> (Truth, i64) {
    let (mut a, mut b) = (
        Store::open_in_memory().unwrap(),
        Store::open_in_memory().unwrap(),
    );
    let mut truth = Truth::new();
    let t0 = 1_735_689_600; // 2025-01-01
    let (mut compacted, mut removed) = (0, 0);
    let mut now = t0;
    for round in 0..48i64 {
        let block = t0 + round * 3 * 3600;
        now = block + 3 * 3600;
        feed(
            &mut a,
            "me",
            &samples(round as u64, block, block + 3600, 20),
            &mut truth,
        );
        feed(
            &mut b,
            "me",
            &samples(1000 + round as u64, block + 3600, block + 7200, 30),
            &mut truth,
        );
        if round % 8 == 7 {
            // A watch that reached its phone late: the third hour of a block three days ago.
            let late = block - 3 * DAY + 2 * 3600;
            feed(
                &mut b,
                "me",
                &samples(2000 + round as u64, late, late + 1800, 15),
                &mut truth,
            );
        }
        if round % 5 == 0 {
            feed(
                &mut b,
                "partner",
                &samples(3000 + round as u64, block, block + 3600, 60),
                &mut truth,
            );
        }
        for store in [&mut a, &mut b] {
            let r = sync::run(store, remote, &opts_at(now), "t").await.unwrap();
            compacted += r.days_compacted;
            removed += r.parts_removed;
        }
    }
    for store in [&mut a, &mut b] {
        sync::run(store, remote, &opts_at(now), "t").await.unwrap();
    }
    sync::run(&mut a, remote, &opts_at(now), "t").await.unwrap();
    assert!(
        compacted >= 4 && removed > compacted,
        "{name}: {compacted} days compacted, {removed} parts removed"
    );
    let want = reference(&truth);
    assert_converged(remote, &[("a", &a), ("b", &b)], &want, name).await;

    let (held, by_day) = lake(remote).await;
    assert_eq!(
        held, truth,
        "{name}: the lake holds every sample, once each"
    );
    let mut closed = 0;
    for (day, names) in &by_day {
        if (day + 1) * DAY <= now - WINDOW {
            closed += 1;
            let mine: Vec<_> = names.iter().filter(|n| n.contains("account=me/")).collect();
            assert!(
                mine.len() <= 1,
                "{name}: closed day {day} has parts {mine:?}"
            );
        }
        assert!(names.iter().all(|n| n.ends_with(".parquet")), "{names:?}");
    }
    assert!(closed >= 3, "{name}: {closed} closed days");

    let fresh = restored(remote).await;
    assert_eq!(
        figures(&sync::local_master(&fresh).unwrap()),
        want,
        "{name}: restored"
    );
    (truth, now)
}

#[tokio::test]
async fn hourly_syncs_of_two_laptops_leave_one_part_per_closed_day_on_every_backend() {
    for (name, remote, _server, _dir) in backends().await {
        hourly_rounds(&remote, name).await;
    }
}

/// A part as fitpipe wrote it before the lake was Parquet (the columns LAKE.md gave).
fn csv_part(samples: &[(i64, u16)]) -> Vec<u8> {
    let mut out = String::from("ts,time_utc,bpm,utc_offset_min,device\n");
    for &(ts, bpm) in samples {
        let t = chrono::DateTime::from_timestamp(ts, 0).unwrap();
        out.push_str(&format!(
            "{ts},{},{bpm},-300,\n",
            t.format("%Y-%m-%dT%H:%M:%SZ")
        ));
    }
    out.into_bytes()
}

#[tokio::test]
async fn a_bucket_of_csv_parts_is_read_and_rewritten_as_parquet() {
    for (name, remote, _server, _dir) in backends().await {
        // Three days as an earlier fitpipe left them: CSV parts, two on the second day,
        // and the master table in its five columns.
        let t0 = 1_735_689_600;
        let mut truth = Truth::new();
        let mut master =
            String::from("account,hour_start_utc,hour_start_local,max_bpm,sample_count\n");
        for (i, (from, to)) in [
            (0, 3600),
            (DAY, DAY + 1800),
            (DAY + 1800, DAY + 3600),
            (2 * DAY, 2 * DAY + 3600),
        ]
        .into_iter()
        .enumerate()
        {
            let s = samples(i as u64, t0 + from, t0 + to, 10);
            let day = (t0 + from) / DAY;
            let object = format!(
                "samples/account=me/date={}/part-old{i}.csv",
                parts::date_of(day).format("%Y-%m-%d")
            );
            remote.put_new(&object, csv_part(&s)).await.unwrap();
            truth.entry("me".into()).or_default().extend(s);
        }
        for ((account, hour), (max, count)) in reference(&truth) {
            master.push_str(&format!("{account},{hour},,{max},{count}\n"));
        }
        assert!(
            remote
                .put_versioned("hourly_max.csv", master.into_bytes(), None)
                .await
                .unwrap()
                .is_some(),
            "{name}: the old master table is written"
        );
        let want = reference(&truth);

        // A new laptop restores from it.
        let mut fresh = restored(&remote).await;
        assert_eq!(
            figures(&sync::local_master(&fresh).unwrap()),
            want,
            "{name}: restored"
        );
        let (held, _) = lake(&remote).await;
        assert_eq!(held, truth, "{name}: a restore changes nothing remote");

        // Its first sync rewrites every day as one Parquet part, and deletes the CSV ones.
        let now = t0 + 3 * DAY;
        let r = sync::run(&mut fresh, &remote, &opts_at(now), "t")
            .await
            .unwrap();
        assert_eq!((r.days_compacted, r.parts_removed), (3, 4), "{name}");
        let (held, by_day) = lake(&remote).await;
        assert_eq!(held, truth, "{name}: every sample, now in Parquet");
        assert_eq!(by_day.len(), 3);
        for names in by_day.values() {
            assert_eq!(names.len(), 1, "{name}: {names:?}");
            assert!(names[0].ends_with(".parquet"), "{name}: {names:?}");
        }
        // A second laptop that had merged the CSV parts follows without reading them again.
        let again = sync::run(&mut fresh, &remote, &opts_at(now), "t")
            .await
            .unwrap();
        assert_eq!(
            (again.days_compacted, again.parts_uploaded.len()),
            (0, 0),
            "{name}"
        );
        assert_converged(&remote, &[("fresh", &fresh)], &want, name).await;
    }
}

/// Runs `script` with python3; `None` (the test is skipped) when the module it needs is not
/// installed, unless FITPIPE_REQUIRE_ENGINES is set.
fn python(module: &str, script: &str, args: &[&str]) -> Option<String> {
    let have = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        assert!(
            std::env::var_os("FITPIPE_REQUIRE_ENGINES").is_none(),
            "FITPIPE_REQUIRE_ENGINES is set but python3 has no {module}"
        );
        eprintln!(
            "skipped: python3 has no {module} (set FITPIPE_REQUIRE_ENGINES=1 to make this fail)"
        );
        return None;
    }
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{module}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

/// `account,hour epoch,max,distinct instants,rows whose time_utc is not ts` lines, as the
/// engines print them, in the reference's shape.
fn engine_figures(text: &str) -> BTreeMap<(String, String), (i64, i64)> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 5, "{l}");
            assert_eq!(f[4], "0", "{l}: time_utc disagrees with ts");
            let hour = chrono::DateTime::from_timestamp(f[1].parse().unwrap(), 0)
                .unwrap()
                .format("%Y-%m-%dT%H:00:00Z")
                .to_string();
            (
                (f[0].to_string(), hour),
                (f[2].parse().unwrap(), f[3].parse().unwrap()),
            )
        })
        .collect()
}

const DUCKDB: &str = r#"
import sys, duckdb
rows = duckdb.sql(f"""
  SELECT account, ts // 3600 * 3600 AS hour, max(bpm), count(DISTINCT ts),
         count(*) FILTER (WHERE epoch(time_utc)::BIGINT <> ts)
  FROM read_parquet('{sys.argv[1]}/samples/*/*/*.parquet', hive_partitioning = true)
  GROUP BY ALL ORDER BY ALL""").fetchall()
for r in rows:
    print(",".join(str(v) for v in r))
"#;

const SPARK: &str = r#"
import sys
from pyspark.sql import SparkSession, functions as F
spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
         .config("spark.sql.session.timeZone", "UTC").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
df = spark.read.parquet(sys.argv[1] + "/samples")   # account and date from the paths
rows = (df.groupBy("account", (F.floor(F.col("ts") / 3600) * 3600).cast("long").alias("hour"))
          .agg(F.max("bpm"), F.countDistinct("ts"),
               F.sum((F.unix_timestamp("time_utc") != F.col("ts")).cast("int")))
          .orderBy("account", "hour").collect())
for r in rows:
    print(",".join(str(v) for v in r))
"#;

#[tokio::test]
async fn duckdb_and_spark_read_the_hourly_max_from_the_lake() {
    let dir = tempfile::tempdir().unwrap();
    let remote = folder_remote(dir.path());
    let (truth, _) = hourly_rounds(&remote, "folder").await;
    let want = reference(&truth);
    let root = dir.path().to_str().unwrap();
    if let Some(out) = python("duckdb", DUCKDB, &[root]) {
        assert_eq!(engine_figures(&out), want, "DuckDB");
    }
    if let Some(out) = python("pyspark", SPARK, &[root]) {
        assert_eq!(engine_figures(&out), want, "Spark");
    }
}

async fn sync_at(store: &mut Store, remote: &Remote, now: i64) -> sync::SyncReport {
    sync::run(store, remote, &opts_at(now), "t").await.unwrap()
}

/// Between full listings an hourly sync lists only the recent days; another machine's part
/// for an old day is still found, by the master objects it changed, and a day the remote
/// lost is found by the next full listing.
#[tokio::test]
async fn hourly_syncs_list_the_recent_days_and_still_miss_nothing() {
    for (name, remote, _server, _dir) in backends().await {
        let now = fitpipe::clock::now().timestamp();
        let hour = now - now.rem_euclid(3600);
        let (mut a, mut b) = (
            Store::open_in_memory().unwrap(),
            Store::open_in_memory().unwrap(),
        );
        let mut truth = Truth::new();
        // Two old weeks and the last two days, on machine a.
        let old = hour - 120 * DAY;
        feed(
            &mut a,
            "me",
            &samples(1, old, old + 14 * DAY, 600),
            &mut truth,
        );
        feed(
            &mut a,
            "me",
            &samples(2, hour - 2 * DAY, hour - 3600, 300),
            &mut truth,
        );
        assert!(
            sync_at(&mut a, &remote, now).await.full_listing,
            "{name}: the first sync lists everything"
        );
        assert!(sync_at(&mut b, &remote, now).await.full_listing, "{name}");

        // Hourly: new samples of the current hour on a, then b.
        feed(&mut a, "me", &samples(3, hour, hour + 1800, 60), &mut truth);
        let r = sync_at(&mut a, &remote, now).await;
        assert!(
            !r.full_listing,
            "{name}: an hourly sync lists the recent days"
        );
        let r = sync_at(&mut b, &remote, now).await;
        assert!(
            !r.full_listing && r.samples_from_remote > 0,
            "{name}: {r:?}"
        );
        assert_converged(&remote, &[("a", &a), ("b", &b)], &reference(&truth), name).await;

        // A late import of an old day on a: its own sync lists the account to upload it,
        // and b finds it because a's master object of that year changed.
        let late = old + 40 * DAY;
        feed(&mut a, "me", &samples(4, late, late + 3600, 30), &mut truth);
        sync_at(&mut a, &remote, now).await;
        let r = sync_at(&mut b, &remote, now).await;
        assert!(
            !r.full_listing && r.samples_from_remote >= 100,
            "{name}: {r:?}"
        );
        assert_converged(&remote, &[("a", &a), ("b", &b)], &reference(&truth), name).await;

        // The remote loses an old day's parts (deleted by hand): an hourly sync does not
        // look there, the next full listing does, and the day is uploaded again.
        let lost: Vec<String> = remote
            .list("samples/")
            .await
            .unwrap()
            .into_iter()
            .filter(|n| {
                n.contains(&format!(
                    "date={}",
                    parts::date_of(old / DAY + 3).format("%Y-%m-%d")
                ))
            })
            .collect();
        assert!(!lost.is_empty(), "{name}");
        for p in &lost {
            remote.delete(p).await.unwrap();
        }
        assert!(
            sync_at(&mut a, &remote, now)
                .await
                .parts_uploaded
                .is_empty(),
            "{name}: not looked at hourly"
        );
        a.set_full_listing_at(remote.display(), now - fitpipe::sync::FULL_LISTING_EVERY)
            .unwrap();
        let r = sync_at(&mut a, &remote, now).await;
        assert!(
            r.full_listing && r.parts_uploaded.len() == 1,
            "{name}: {r:?}"
        );
        let (held, _) = lake(&remote).await;
        assert_eq!(held, truth, "{name}: the lake holds every sample again");
    }
}

/// A cohort sharing one bucket: each laptop syncs its own account (`remote.accounts`),
/// reads and writes only that account's objects, and a restore of one account gets it alone.
#[tokio::test]
async fn a_cohort_shares_a_bucket_and_each_laptop_touches_its_own_account() {
    let gcs = crate::gcs_standin::FakeGcs::default();
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(gcs.clone())
        .mount(&server)
        .await;
    let remote = super::sync::standin_remote(&server.uri(), "study");
    let now = fitpipe::clock::now().timestamp();
    let hour = now - now.rem_euclid(3600);
    let only = |a: &str| SyncOptions {
        accounts: Some([a.to_string()].into_iter().collect()),
        ..opts_at(now)
    };
    let people = ["p01", "p02", "p03"];
    let mut laptops = Vec::new();
    let mut truth = Truth::new();
    for (i, who) in people.iter().enumerate() {
        let mut store = Store::open_in_memory().unwrap();
        let s = samples(i as u64, hour - 3 * DAY, hour, 120);
        feed(&mut store, who, &s, &mut truth);
        sync::run(&mut store, &remote, &only(who), "t")
            .await
            .unwrap();
        laptops.push(store);
    }
    // An hour later each adds an hour; p02's sync must not touch the others' objects.
    for (i, who) in people.iter().enumerate() {
        let s = samples(10 + i as u64, hour, hour + 1800, 60);
        feed(&mut laptops[i], who, &s, &mut truth);
    }
    let before = {
        let st = gcs.state.lock().unwrap();
        (st.conditions.len(), st.downloads.len())
    };
    sync::run(&mut laptops[1], &remote, &only("p02"), "t")
        .await
        .unwrap();
    {
        let st = gcs.state.lock().unwrap();
        let touched: Vec<&String> = st.conditions[before.0..]
            .iter()
            .map(|(o, _)| o)
            .chain(&st.downloads[before.1..])
            .collect();
        assert!(!touched.is_empty());
        for o in touched {
            assert!(o.contains("p02"), "p02's laptop touched {o}");
        }
    }
    assert_eq!(laptops[1].account_names().unwrap(), vec!["p02".to_string()]);
    // An account of the database that remote.accounts leaves out is named, not synced.
    let mut extra = Store::open_in_memory().unwrap();
    feed(
        &mut extra,
        "p09",
        &samples(99, hour, hour + 600, 60),
        &mut Truth::new(),
    );
    feed(
        &mut extra,
        "p01",
        &samples(98, hour + 3000, hour + 3400, 60),
        &mut truth,
    );
    let r = sync::run(&mut extra, &remote, &only("p01"), "t")
        .await
        .unwrap();
    assert_eq!(r.accounts_left_out, vec!["p09".to_string()]);
    assert_eq!(r.accounts, vec!["p01".to_string()]);
    for (i, who) in people.iter().enumerate() {
        sync::run(&mut laptops[i], &remote, &only(who), "t")
            .await
            .unwrap();
    }
    // The bucket holds everyone; a restore of one account gets that account only.
    let want = reference(&truth);
    assert_eq!(figures(&super::sync::remote_master(&remote).await), want);
    let mut fresh = Store::open_in_memory().unwrap();
    let restore = SyncOptions {
        push: false,
        ..only("p03")
    };
    sync::run(&mut fresh, &remote, &restore, "t").await.unwrap();
    let p03: BTreeMap<_, _> = want.into_iter().filter(|((a, _), _)| a == "p03").collect();
    assert_eq!(figures(&sync::local_master(&fresh).unwrap()), p03);
}

/// The view terraform creates over the lake (terraform/hourly_max_from_samples.sql), run by
/// DuckDB over a lake of several sources: its hourly max equals an independent computation
/// over the sources the account counts, before and after a source is left out.
#[tokio::test]
async fn the_bigquery_views_sql_gives_the_hourly_max_in_duckdb() {
    use super::sync::{add_sourced, reference_sourced, sourced, GALAXY, WATCH};
    let dir = tempfile::tempdir().unwrap();
    let remote = folder_remote(dir.path());
    let mut store = Store::open_in_memory().unwrap();
    let s = sourced(9, 1_735_689_600, 30);
    let mut truth: BTreeMap<(i64, &'static str), u16> = BTreeMap::new();
    for &(ts, bpm, src) in &s {
        truth.entry((ts, src)).or_insert(bpm);
    }
    add_sourced(&mut store, "me", &s);
    sync::run(&mut store, &remote, &opts(), "t").await.unwrap();

    let sql = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("terraform/hourly_max_from_samples.sql"),
    )
    .unwrap();
    let root = dir.path().to_str().unwrap();
    let query = sql
        .replace(
            "${samples}",
            &format!("read_parquet('{root}/samples/*/*/*.parquet', hive_partitioning = true)"),
        )
        .replace(
            "${sources}",
            &format!(
                "read_csv('{root}/sources/*.csv', header = true, columns = {{'account': 'VARCHAR', 'source': 'VARCHAR', 'counted': 'BOOLEAN'}})"
            ),
        );
    let script = format!(
        "import duckdb\nfor r in duckdb.sql({query:?}).fetchall():\n    print(f'{{r[0]}},{{r[1]}},{{r[2]}},{{r[3]}},0')\n"
    );
    let Some(out) = python("duckdb", &script, &[]) else {
        return;
    };
    assert_eq!(
        engine_figures(&out),
        reference_sourced(&truth, &[WATCH, GALAXY]),
        "by default"
    );

    // Leave the second watch out: the sync writes the account's sources again.
    let me = store.account("me").unwrap().unwrap();
    let out = fitpipe::sources::Choice {
        counted: false,
        changed_at: "2026-12-01T10:00:00Z".into(),
    };
    assert!(store.choose_source(me, GALAXY, &out).unwrap());
    let r = sync::run(&mut store, &remote, &opts(), "t").await.unwrap();
    assert!(
        r.plan.iter().any(|l| l.contains("sources/me.csv")),
        "the account's sources are written again: {:?}",
        r.plan
    );
    let out = python("duckdb", &script, &[]).unwrap();
    let want = reference_sourced(&truth, &[WATCH]);
    assert_eq!(engine_figures(&out), want, "the second watch left out");
    assert_eq!(
        figures(&sync::local_master(&store).unwrap()),
        want,
        "fitpipe's own"
    );
}

/// A store that syncs with one remote, then another, then the first again: samples added
/// while it synced with the second reach the first too (the days the second made clean were
/// clean for the second only), and each remote restores to the same table.
#[tokio::test]
async fn switching_remotes_leaves_neither_without_a_sample() {
    let mem = |name: &str| {
        Remote::new(
            std::sync::Arc::new(object_store::memory::InMemory::new()),
            "",
            fitpipe::sync::Concurrency::Generation,
            name,
        )
    };
    let (first, second) = (mem("memory://first"), mem("memory://second"));
    let t0 = 1_735_689_600;
    let mut store = Store::open_in_memory().unwrap();
    let mut truth = Truth::new();
    feed(
        &mut store,
        "me",
        &samples(1, t0, t0 + 2 * DAY, 300),
        &mut truth,
    );
    sync::run(&mut store, &first, &opts(), "t").await.unwrap();
    // New samples of a day the first remote has parts for, synced to the second only.
    feed(
        &mut store,
        "me",
        &samples(2, t0 + 3600 + 7, t0 + 7200, 301),
        &mut truth,
    );
    sync::run(&mut store, &second, &opts(), "t").await.unwrap();
    let r = sync::run(&mut store, &first, &opts(), "t").await.unwrap();
    assert!(r.full_listing && r.samples_uploaded > 0, "{r:?}");
    for remote in [&first, &second] {
        let (held, _) = lake(remote).await;
        assert_eq!(held, truth, "{}", remote.display());
        let fresh = restored(remote).await;
        assert_eq!(
            figures(&sync::local_master(&fresh).unwrap()),
            reference(&truth),
            "{}",
            remote.display()
        );
    }
    // Back on the first, nothing is left to check or upload.
    let r = sync::run(&mut store, &first, &opts(), "t").await.unwrap();
    assert!(r.parts_uploaded.is_empty(), "{r:?}");
}

/// A compaction killed at any of its writes or deletes leaves nothing lost, and the next
/// sync finishes it: the day ends with one part holding every sample.
#[tokio::test]
async fn a_compaction_killed_at_any_step_is_finished_by_the_next_sync() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let t0 = 1_735_689_600;
    let now = t0 + 10 * DAY;
    let mut steps_needed = (0, 0);
    for (fail_put, fail_delete) in (1..=4)
        .map(|n| (Some(n), None))
        .chain((1..=4).map(|n| (None, Some(n))))
    {
        let inner: Arc<dyn object_store::ObjectStore> =
            Arc::new(object_store::memory::InMemory::new());
        let plain = Remote::new(
            inner.clone(),
            "",
            fitpipe::sync::Concurrency::Generation,
            "memory://",
        );
        // Three laptops each left a part for the same day, now closed.
        let mut truth = Truth::new();
        for i in 0..3 {
            let mut laptop = Store::open_in_memory().unwrap();
            let from = t0 + i * 4 * 3600;
            feed(
                &mut laptop,
                "me",
                &samples(i as u64, from, from + 3600, 30),
                &mut truth,
            );
            sync::run(&mut laptop, &plain, &opts(), "t").await.unwrap();
        }
        let mut mine = Store::open_in_memory().unwrap();
        let faulty = Arc::new(super::sync::Faulty {
            inner: inner.clone(),
            puts: AtomicUsize::new(0),
            fail_at: fail_put,
            deletes: AtomicUsize::new(0),
            fail_delete_at: fail_delete,
        });
        let remote = Remote::new(
            faulty.clone(),
            "",
            fitpipe::sync::Concurrency::Generation,
            "memory://",
        );
        let first = sync::run(&mut mine, &remote, &opts_at(now), "t").await;
        if first.is_ok() {
            steps_needed = (
                faulty.puts.load(Ordering::SeqCst),
                faulty.deletes.load(Ordering::SeqCst),
            );
        }
        // Whatever the failure left, nothing is lost, and a plain sync finishes.
        let (held, _) = lake(&plain).await;
        assert_eq!(
            held, truth,
            "after a failure at put {fail_put:?} / delete {fail_delete:?}"
        );
        sync::run(&mut mine, &plain, &opts_at(now), "t")
            .await
            .unwrap();
        let (held, by_day) = lake(&plain).await;
        assert_eq!(held, truth, "put {fail_put:?} / delete {fail_delete:?}");
        assert_eq!(by_day.len(), 1);
        assert_eq!(
            by_day.values().next().unwrap().len(),
            1,
            "put {fail_put:?} / delete {fail_delete:?}: {by_day:?}"
        );
        assert_converged(
            &plain,
            &[("mine", &mine)],
            &reference(&truth),
            "after the kill",
        )
        .await;
    }
    assert!(
        steps_needed.0 >= 1 && steps_needed.1 >= 2,
        "the kills reached the compaction: {steps_needed:?}"
    );
}

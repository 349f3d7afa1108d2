//! `cargo bench --bench reconcile`: a sync against a remote that already holds a 10-year
//! master table (87,600 hours), with nothing new, and the reconcile of one year's master
//! object (what a sync that changed an hour reads and merges, when another machine wrote it)
//! on its own.
//! The remote is object_store's InMemory, so the figures are fitpipe's own CPU work.

use std::sync::Arc;
use std::time::Instant;

use fitpipe::model::Sample;
use fitpipe::store::Store;
use fitpipe::sync::{self, master, Concurrency, Remote, SyncOptions};

/// User + system CPU seconds of this process so far (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn main() {
    let hours: i64 = 87_600;
    let t0 = 1_451_606_400; // 2016-01-01
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("bench.db")).unwrap();
    let id = store.ensure_account("default", "t").unwrap();
    let samples: Vec<Sample> = (0..hours)
        .flat_map(|h| {
            [
                (t0 + h * 3600 + 60, 60 + (h % 90) as u16),
                (t0 + h * 3600 + 1800, 70 + (h % 70) as u16),
            ]
        })
        .map(|(ts, bpm)| Sample {
            ts,
            bpm,
            utc_offset_min: Some(-300),
            device: None,
        })
        .collect();
    let mut w = store.sample_writer(id).unwrap();
    w.insert_many(&samples, |_, o| o.map(|_| ())).unwrap();
    w.commit().unwrap();

    let remote = Remote::new(
        Arc::new(object_store::memory::InMemory::new()),
        "p",
        Concurrency::Generation,
        "memory://",
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let opts = SyncOptions {
        push: true,
        dry_run: false,
        holder: "bench".into(),
        wait: false,
        closed_before: i64::MIN,
        accounts: None,
        verify: false,
    };
    let first = rt
        .block_on(sync::run(&mut store, &remote, &opts, "t"))
        .unwrap();
    println!(
        "master table: {} hours; first sync wrote {} parts",
        first.master_hours,
        first.parts_uploaded.len()
    );

    for run in 1..=5 {
        let (c0, w0) = (cpu_seconds(), Instant::now());
        let r = rt
            .block_on(sync::run(&mut store, &remote, &opts, "t"))
            .unwrap();
        assert!(!r.master_written && r.parts_uploaded.is_empty());
        println!(
            "sync, nothing new, run {run}: {:.1} ms wall, {:.0} ms CPU",
            w0.elapsed().as_secs_f64() * 1e3,
            (cpu_seconds() - c0) * 1e3
        );
    }
    // The reconcile's own steps for one year's object: read the local hours, parse the
    // remote ones, merge, write.
    let object = sync::layout::master_object("default", 2025);
    let remote_bytes = rt.block_on(remote.get(&object)).unwrap();
    let year = sync::layout::year_range(2025);
    let local_year =
        |store: &Store| sync::local_hours(store, Some("default"), year.clone()).unwrap();
    {
        let t = Instant::now();
        let ours = local_year(&store);
        let a = t.elapsed();
        let t = Instant::now();
        let theirs = master::parse(&remote_bytes).unwrap();
        let b = t.elapsed();
        let t = Instant::now();
        let merged = master::merge(&ours, &theirs, &master::Policies::new());
        let c = t.elapsed();
        let t = Instant::now();
        let bytes = master::write(&merged);
        let d = t.elapsed();
        assert_eq!(bytes, remote_bytes.as_ref());
        println!("steps: local {a:?}, parse {b:?}, merge {c:?}, write {d:?}");
    }
    for run in 1..=5 {
        let (c0, w0) = (cpu_seconds(), Instant::now());
        let ours = local_year(&store);
        let theirs = master::parse(&remote_bytes).unwrap();
        let merged = master::merge(&ours, &theirs, &master::Policies::new());
        let same = master::write(&merged) == remote_bytes.as_ref();
        assert!(same);
        println!(
            "reconcile steps alone, run {run}: {:.1} ms wall, {:.0} ms CPU",
            w0.elapsed().as_secs_f64() * 1e3,
            (cpu_seconds() - c0) * 1e3
        );
    }
}

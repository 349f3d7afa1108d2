//! Sync: one conformance suite over every backend (object_store's InMemory, a local folder,
//! and the GCS XML wire behaviour through an HTTP stand-in), convergence of two machines,
//! crashes at every write, and what an hourly sync uploads.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::BoxStream;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};

use fitpipe::model::Sample;
use fitpipe::store::Store;
use fitpipe::sync::{self, master, Concurrency, Remote, SyncOptions};

use crate::gcs_standin::FakeGcs;

/// A store that counts writes and deletes and can fail the n-th one, like a sync killed
/// there.
#[derive(Debug)]
pub(super) struct Faulty {
    pub(super) inner: Arc<dyn ObjectStore>,
    pub(super) puts: AtomicUsize,
    pub(super) fail_at: Option<usize>,
    pub(super) deletes: AtomicUsize,
    pub(super) fail_delete_at: Option<usize>,
}

impl std::fmt::Display for Faulty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Faulty({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for Faulty {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        let n = self.puts.fetch_add(1, Ordering::SeqCst) + 1;
        if Some(n) == self.fail_at {
            return Err(object_store::Error::Generic {
                store: "faulty",
                source: "killed".into(),
            });
        }
        self.inner.put_opts(location, payload, opts).await
    }
    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }
    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }
    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        use futures::StreamExt;
        let n = self.deletes.fetch_add(1, Ordering::SeqCst) + 1;
        if Some(n) == self.fail_delete_at {
            return futures::stream::once(async {
                Err(object_store::Error::Generic {
                    store: "faulty",
                    source: "killed".into(),
                })
            })
            .boxed();
        }
        self.inner.delete_stream(locations)
    }
    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }
    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }
    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

pub(super) fn opts() -> SyncOptions {
    SyncOptions {
        push: true,
        dry_run: false,
        holder: "test".into(),
        wait: false,
        closed_before: i64::MIN,
        accounts: None,
        verify: false,
    }
}

/// A deterministic pseudo-random history: (ts, bpm) for `hours` hours from `start`.
pub(super) fn history(seed: u64, start: i64, hours: i64, every: i64) -> Vec<(i64, u16)> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut out = Vec::new();
    let mut t = start;
    while t < start + hours * 3600 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.push((t, 50 + (x >> 33) as u16 % 120));
        t += every + (x >> 60) as i64;
    }
    out
}

pub(super) fn add(store: &mut Store, account: &str, samples: &[(i64, u16)]) {
    let id = store.ensure_account(account, "t").unwrap();
    let v: Vec<Sample> = samples
        .iter()
        .map(|&(ts, bpm)| Sample {
            ts,
            bpm,
            utc_offset_min: None,
            device: None,
        })
        .collect();
    let mut w = store.sample_writer(id).unwrap();
    w.insert_many(&v, |_, o| o.map(|_| ())).unwrap();
    w.commit().unwrap();
}

/// (account, hour) -> (max, count) computed from raw samples, the first reading of an
/// instant counting.
pub(super) fn reference(
    samples: &BTreeMap<String, BTreeMap<i64, u16>>,
) -> BTreeMap<(String, String), (i64, i64)> {
    let mut out = BTreeMap::new();
    for (account, by_ts) in samples {
        for (&ts, &bpm) in by_ts {
            let h = chrono::DateTime::from_timestamp(ts - ts.rem_euclid(3600), 0)
                .unwrap()
                .format("%Y-%m-%dT%H:00:00Z")
                .to_string();
            let e = out.entry((account.clone(), h)).or_insert((0i64, 0i64));
            e.0 = e.0.max(bpm as i64);
            e.1 += 1;
        }
    }
    out
}

pub(super) fn figures(m: &master::Master) -> BTreeMap<(String, String), (i64, i64)> {
    m.iter()
        .map(|((account, hour), e)| {
            (
                (account.clone(), fitpipe::model::format_utc(*hour)),
                (e.max_bpm, e.sample_count),
            )
        })
        .collect()
}

/// The remote master and each machine's local master all equal `want`.
pub(super) async fn assert_converged(
    remote: &Remote,
    machines: &[(&str, &Store)],
    want: &BTreeMap<(String, String), (i64, i64)>,
    what: &str,
) {
    assert_eq!(
        &figures(&remote_master(remote).await),
        want,
        "{what}: remote master"
    );
    for (name, store) in machines {
        assert_eq!(
            &figures(&sync::local_master(store).unwrap()),
            want,
            "{what}: machine {name}"
        );
    }
}

/// A new machine's store, filled from `remote` by a restore.
pub(super) async fn restored(remote: &Remote) -> Store {
    let mut fresh = Store::open_in_memory().unwrap();
    let restore = SyncOptions {
        push: false,
        ..opts()
    };
    sync::run(&mut fresh, remote, &restore, "t").await.unwrap();
    fresh
}

pub(super) async fn remote_master(remote: &Remote) -> master::Master {
    let mut out = master::Master::new();
    let names = remote.list("hourly_max/").await.unwrap();
    assert!(!names.is_empty(), "no master object");
    for name in names {
        let (account, year) = fitpipe::sync::layout::parse_master_object(&name).unwrap();
        let m = master::parse(&remote.get(&name).await.unwrap()).unwrap();
        for (key, h) in m {
            assert_eq!(
                (key.0.as_str(), fitpipe::sync::layout::year_of(key.1)),
                (account.as_str(), year),
                "{name}"
            );
            out.insert(key, h);
        }
    }
    out
}

/// A GCS remote pointed at the HTTP stand-in, reached as an emulator (no credentials).
pub(super) fn standin_remote(uri: &str, prefix: &str) -> Remote {
    Remote::open(&fitpipe::config::RemoteSettings {
        accounts: None,
        url: fitpipe::config::RemoteUrl::Gcs {
            bucket: "bkt".into(),
            prefix: prefix.into(),
        },
        service_account_key: None,
        gcs_base_url: Some(uri.to_string()),
        emulator: true,
        application_credentials: None,
    })
    .unwrap()
}

/// The backends under test. The stand-in server must outlive the remote.
pub(super) async fn backends() -> Vec<(
    &'static str,
    Remote,
    Option<wiremock::MockServer>,
    Option<tempfile::TempDir>,
)> {
    let mem = Remote::new(
        Arc::new(InMemory::new()),
        "fitpipe",
        Concurrency::Generation,
        "memory://",
    );
    let dir = tempfile::tempdir().unwrap();
    let local = Remote::new(
        Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir.path()).unwrap()),
        "",
        Concurrency::LockObject,
        "file://",
    );
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(FakeGcs::default())
        .mount(&server)
        .await;
    let gcs = standin_remote(&server.uri(), "p/q");
    vec![
        ("memory", mem, None, None),
        ("folder", local, None, Some(dir)),
        ("gcs-standin", gcs, Some(server), None),
    ]
}

#[tokio::test]
async fn conformance_of_every_backend() {
    for (name, remote, _server, _dir) in backends().await {
        let obj = "hourly_max/a/2025.csv";
        assert!(remote.get_versioned(obj).await.unwrap().is_none(), "{name}");
        assert!(
            remote
                .put_versioned(obj, b"one".to_vec(), None)
                .await
                .unwrap()
                .is_some(),
            "{name}"
        );
        let first = remote.get_versioned(obj).await.unwrap().unwrap();
        assert_eq!(first.bytes.as_ref(), b"one", "{name}");
        if remote.concurrency() == Concurrency::Generation {
            assert!(
                remote
                    .put_versioned(obj, b"x".to_vec(), None)
                    .await
                    .unwrap()
                    .is_none(),
                "{name}: must-not-exist is refused"
            );
            assert!(
                remote
                    .put_versioned(obj, b"two".to_vec(), Some(&first))
                    .await
                    .unwrap()
                    .is_some(),
                "{name}"
            );
            assert!(
                remote
                    .put_versioned(obj, b"stale".to_vec(), Some(&first))
                    .await
                    .unwrap()
                    .is_none(),
                "{name}: a stale generation is refused"
            );
            assert_eq!(
                remote
                    .get_versioned(obj)
                    .await
                    .unwrap()
                    .unwrap()
                    .bytes
                    .as_ref(),
                b"two",
                "{name}"
            );
        } else {
            assert!(remote.try_lock("a").await.unwrap(), "{name}");
            assert!(
                !remote.try_lock("b").await.unwrap(),
                "{name}: the lock excludes a second writer"
            );
            let (holder, age) = remote.read_lock().await.unwrap().expect("the lock exists");
            assert_eq!(holder, "a", "{name}: the first writer holds it");
            assert!(age.num_minutes() < 1, "{name}");
            remote.unlock().await.unwrap();
            assert!(remote.try_lock("b").await.unwrap(), "{name}");
            remote.unlock().await.unwrap();
        }
        let part = "samples/account=a/date=2025-01-01/part-abc.csv";
        remote.put_new(part, b"data".to_vec()).await.unwrap();
        remote.put_new(part, b"data".to_vec()).await.unwrap();
        assert_eq!(
            remote.list("samples/").await.unwrap(),
            vec![part.to_string()],
            "{name}"
        );
        assert_eq!(remote.get(part).await.unwrap().as_ref(), b"data", "{name}");
    }
}

#[tokio::test]
async fn two_machines_converge_over_twenty_rounds_on_every_backend() {
    for (name, remote, _server, _dir) in backends().await {
        let mut a = Store::open_in_memory().unwrap();
        let mut b = Store::open_in_memory().unwrap();
        let mut truth: BTreeMap<String, BTreeMap<i64, u16>> = BTreeMap::new();
        let feed = |store: &mut Store,
                    account: &str,
                    s: Vec<(i64, u16)>,
                    truth: &mut BTreeMap<String, BTreeMap<i64, u16>>| {
            for &(ts, bpm) in &s {
                truth
                    .entry(account.to_string())
                    .or_default()
                    .entry(ts)
                    .or_insert(bpm);
            }
            add(store, account, &s);
        };
        let t0 = 1_735_689_600; // 2025-01-01
                                // Different, overlapping histories: the same samples on both, and some only on one.
        let shared = history(1, t0, 30, 60);
        feed(&mut a, "me", shared.clone(), &mut truth);
        feed(&mut b, "me", shared, &mut truth);
        feed(&mut a, "me", history(2, t0 + 30 * 3600, 10, 45), &mut truth);
        feed(&mut b, "partner", history(3, t0, 12, 90), &mut truth);
        for round in 0..20i64 {
            let at = t0 + (40 + round) * 3600;
            feed(
                &mut a,
                "me",
                history(10 + round as u64, at, 1, 50),
                &mut truth,
            );
            sync::run(&mut a, &remote, &opts(), "t").await.unwrap();
            feed(
                &mut b,
                "me",
                history(100 + round as u64, at + 1800, 1, 70),
                &mut truth,
            );
            sync::run(&mut b, &remote, &opts(), "t").await.unwrap();
        }
        sync::run(&mut a, &remote, &opts(), "t").await.unwrap();
        let want = reference(&truth);
        assert_converged(&remote, &[("a", &a), ("b", &b)], &want, name).await;
        // A new machine restores everything from the bucket alone.
        let fresh = restored(&remote).await;
        assert_eq!(
            figures(&sync::local_master(&fresh).unwrap()),
            want,
            "{name}: restored"
        );
        let n: usize = truth.values().map(BTreeMap::len).sum();
        let mut restored = None;
        fresh
            .prepare_query("SELECT count(*) FROM sample")
            .unwrap()
            .for_each(|r| {
                restored = Some(format!("{:?}", r.cell(0)));
                Ok::<_, ()>(())
            })
            .unwrap()
            .unwrap();
        assert_eq!(
            restored,
            Some(format!("{:?}", fitpipe::store::Cell::Integer(n as i64))),
            "{name}: restored samples"
        );
    }
}

#[tokio::test]
async fn a_sync_killed_at_any_write_is_completed_by_the_next() {
    let t0 = 1_735_689_600;
    let mut writes_needed = 0;
    for fail_at in 1..=12 {
        let inner: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        // Something in the bucket already, from another machine.
        let mut other = Store::open_in_memory().unwrap();
        add(&mut other, "me", &history(7, t0, 20, 300));
        let plain = Remote::new(inner.clone(), "", Concurrency::Generation, "memory://");
        sync::run(&mut other, &plain, &opts(), "t").await.unwrap();

        let mut mine = Store::open_in_memory().unwrap();
        add(&mut mine, "me", &history(8, t0 + 10 * 3600, 30, 200));
        let faulty = Arc::new(Faulty {
            inner: inner.clone(),
            puts: AtomicUsize::new(0),
            fail_at: Some(fail_at),
            deletes: AtomicUsize::new(0),
            fail_delete_at: None,
        });
        let remote = Remote::new(faulty.clone(), "", Concurrency::Generation, "memory://");
        let first = sync::run(&mut mine, &remote, &opts(), "t").await;
        if first.is_ok() {
            writes_needed = faulty.puts.load(Ordering::SeqCst);
            assert!(
                fail_at > writes_needed,
                "a sync reported success although write {fail_at} failed"
            );
            break;
        }
        sync::run(&mut mine, &plain, &opts(), "t").await.unwrap();
        sync::run(&mut other, &plain, &opts(), "t").await.unwrap();
        let mut truth: BTreeMap<String, BTreeMap<i64, u16>> = BTreeMap::new();
        for (ts, bpm) in
            history(7, t0, 20, 300)
                .into_iter()
                .chain(history(8, t0 + 10 * 3600, 30, 200))
        {
            truth
                .entry("me".into())
                .or_default()
                .entry(ts)
                .or_insert(bpm);
        }
        let want = reference(&truth);
        assert_converged(
            &plain,
            &[("other", &other), ("mine", &mine)],
            &want,
            &format!("killed at write {fail_at}"),
        )
        .await;
    }
    assert!(
        writes_needed > 2,
        "the loop reached a sync with no failure ({writes_needed} writes)"
    );
}

#[tokio::test]
async fn an_hourly_sync_uploads_one_master_and_at_most_one_day() {
    let inner: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let counting = Arc::new(Faulty {
        inner,
        puts: AtomicUsize::new(0),
        fail_at: None,
        deletes: AtomicUsize::new(0),
        fail_delete_at: None,
    });
    let remote = Remote::new(counting.clone(), "p", Concurrency::Generation, "memory://");
    let mut store = Store::open_in_memory().unwrap();
    let t0 = 1_735_689_600;
    add(&mut store, "me", &history(1, t0, 24 * 20, 30));
    sync::run(&mut store, &remote, &opts(), "t").await.unwrap();
    assert_eq!(
        counting.puts.load(Ordering::SeqCst),
        21,
        "20 days and the master"
    );
    let before = counting.puts.load(Ordering::SeqCst);
    add(
        &mut store,
        "me",
        &[
            (t0 + 24 * 20 * 3600 + 10, 99),
            (t0 + 24 * 20 * 3600 + 20, 101),
        ],
    );
    let r = sync::run(&mut store, &remote, &opts(), "t").await.unwrap();
    assert_eq!(
        counting.puts.load(Ordering::SeqCst) - before,
        2,
        "one part and the master"
    );
    assert_eq!(r.parts_uploaded.len(), 1);
    assert_eq!(r.samples_uploaded, 2);
    // Nothing new: nothing written.
    let before = counting.puts.load(Ordering::SeqCst);
    sync::run(&mut store, &remote, &opts(), "t").await.unwrap();
    assert_eq!(counting.puts.load(Ordering::SeqCst), before);
}

/// An hourly sync asks for the master object only if it changed: with nothing new it
/// downloads and writes nothing; after a local change it writes on the generation it
/// remembers without reading; after another machine's write it reads and merges.
#[tokio::test]
async fn an_hourly_sync_reads_the_master_only_when_another_machine_changed_it() {
    let gcs = FakeGcs::default();
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(gcs.clone())
        .mount(&server)
        .await;
    let remote = standin_remote(&server.uri(), "p");
    let master = "p/hourly_max/me/2025.csv";
    let t0 = 1_735_689_600;
    let mut mine = Store::open_in_memory().unwrap();
    add(&mut mine, "me", &history(1, t0, 48, 120));
    sync::run(&mut mine, &remote, &opts(), "t").await.unwrap();
    let first = downloads_writes(&gcs, master);
    assert_eq!(first, (0, 1), "a new bucket: written once, nothing to read");

    let r = sync::run(&mut mine, &remote, &opts(), "t").await.unwrap();
    assert_eq!(
        downloads_writes(&gcs, master),
        first,
        "nothing new: not read, not written"
    );
    assert_eq!(r.master_hours, 48);

    let generation = gcs.state.lock().unwrap().objects[master].1.to_string();
    add(&mut mine, "me", &[(t0 + 48 * 3600 + 5, 90)]);
    sync::run(&mut mine, &remote, &opts(), "t").await.unwrap();
    assert_eq!(
        downloads_writes(&gcs, master),
        (0, 2),
        "one new hour: written, not read"
    );
    assert_eq!(
        gcs.state
            .lock()
            .unwrap()
            .conditions
            .last()
            .unwrap()
            .1
            .as_deref(),
        Some(generation.as_str()),
        "conditional on the generation this machine wrote"
    );

    // Another machine adds an hour: the next sync reads the master and takes it.
    let mut other = Store::open_in_memory().unwrap();
    add(&mut other, "me", &[(t0 + 60 * 3600, 101)]);
    sync::run(&mut other, &remote, &opts(), "t").await.unwrap();
    let before = downloads_writes(&gcs, master);
    let r = sync::run(&mut mine, &remote, &opts(), "t").await.unwrap();
    assert_eq!(downloads_writes(&gcs, master).0, before.0 + 1, "read once");
    assert_eq!(r.master_hours, 50);
    assert_eq!(
        figures(&sync::local_master(&mine).unwrap()),
        figures(&remote_master(&remote).await)
    );
}

fn downloads_writes(gcs: &FakeGcs, master: &str) -> (usize, usize) {
    let st = gcs.state.lock().unwrap();
    (
        st.downloads.iter().filter(|o| *o == master).count(),
        st.conditions.iter().filter(|(o, _)| o == master).count(),
    )
}

#[tokio::test]
async fn the_wire_carries_generation_conditions() {
    let server = wiremock::MockServer::start().await;
    let fake = FakeGcs::default();
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    let remote = standin_remote(&server.uri(), "");
    let mut a = Store::open_in_memory().unwrap();
    add(&mut a, "me", &history(1, 1_735_689_600, 3, 60));
    sync::run(&mut a, &remote, &opts(), "t").await.unwrap();
    // Another machine's write lands between this machine's read and write.
    add(&mut a, "me", &[(1_735_689_600 + 4 * 3600, 150)]);
    // (Written under the account's current policy, as a machine of this version writes it:
    // a copy under no policy, of an hour whose samples no machine holds, is dropped.)
    let version = fitpipe::sources::format_version(fitpipe::sources::Policy::default().version());
    fake.state.lock().unwrap().interfere_once =
        Some(format!("me,2025-01-01T10:00:00Z,,77,5,{version},,\n"));
    sync::run(&mut a, &remote, &opts(), "t").await.unwrap();
    let st = fake.state.lock().unwrap();
    assert_eq!(st.rejected, 1, "the stale write got a 412");
    let master_puts: Vec<&Option<String>> = st
        .conditions
        .iter()
        .filter(|(o, _)| o == "hourly_max/me/2025.csv")
        .map(|(_, c)| c)
        .collect();
    assert_eq!(
        master_puts[0].as_deref(),
        Some("0"),
        "the first master write must not overwrite"
    );
    assert!(
        master_puts.iter().all(|c| c.is_some()),
        "every master write is conditional"
    );
    let parts: BTreeSet<&Option<String>> = st
        .conditions
        .iter()
        .filter(|(o, _)| o.starts_with("samples/"))
        .map(|(_, c)| c)
        .collect();
    assert_eq!(
        parts.into_iter().collect::<Vec<_>>(),
        vec![&Some("0".to_string())]
    );
    let m = master::parse(&st.objects["hourly_max/me/2025.csv"].0).unwrap();
    assert!(
        m.contains_key(&(
            "me".to_string(),
            fitpipe::formats::utc_hour("2025-01-01T10:00:00Z").unwrap()
        )),
        "the other machine's hour survived"
    );
    assert!(m.contains_key(&(
        "me".to_string(),
        fitpipe::formats::utc_hour("2025-01-01T04:00:00Z").unwrap()
    )));
}

mod cli {
    use predicates::prelude::*;

    use crate::support::Sandbox;

    fn tree(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    fn seeded(sb: &Sandbox) -> String {
        std::fs::write(
            sb.path("a.csv"),
            "time,bpm\n2025-01-01T00:00:00Z,60\n2025-01-01T00:30:00Z,90\n2025-01-02T10:00:00Z,70\n",
        )
        .unwrap();
        sb.cmd()
            .arg("import")
            .arg(sb.path("a.csv"))
            .assert()
            .success();
        format!("file://{}", sb.path("remote").display())
    }

    /// Doctor shows what the bucket holds: a closed day waiting for compaction, CSV parts,
    /// the master of earlier fitpipes, objects that are not fitpipe's; the next sync
    /// compacts the day and rewrites the CSV part.
    #[test]
    fn doctor_shows_the_buckets_state() {
        let sb = Sandbox::new();
        let remote = seeded(&sb);
        sb.cmd()
            .args(["--remote", &remote, "sync"])
            .assert()
            .success();
        let day = sb.path("remote/samples/account=default/date=2025-01-01");
        let part = std::fs::read_dir(&day)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        // A second copy of the day's part, a CSV part of another day, a legacy master and
        // a stray file.
        std::fs::copy(&part, day.join("part-copy.parquet")).unwrap();
        let old = sb.path("remote/samples/account=default/date=2025-01-05");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(
            old.join("part-old.csv"),
            "ts,time_utc,bpm,utc_offset_min,device\n1736035200,2025-01-05T00:00:00Z,88,,\n",
        )
        .unwrap();
        std::fs::write(
            sb.path("remote/hourly_max.csv"),
            "account,hour_start_utc,hour_start_local,max_bpm,sample_count\n",
        )
        .unwrap();
        std::fs::write(sb.path("remote/notes.txt"), "mine").unwrap();
        let out = sb
            .cmd()
            .args(["--remote", &remote, "doctor"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        for want in [
            "bucket    1 account(s), 4 part(s), 1 master object(s); last master write ",
            "hourly_max/default/2025.csv",
            "1 closed day(s) wait for compaction into one part (the daily full listing of a sync does it; now: `fitpipe sync --verify`): default 2025-01-01 (2 parts)",
            "1 part(s) in the CSV form of earlier fitpipes",
            "hourly_max.csv of earlier fitpipes is still there",
            "1 object(s) fitpipe does not know (left alone): notes.txt",
        ] {
            assert!(text.contains(want), "{want:?} in\n{text}");
        }
        sb.cmd()
            .args(["--remote", &remote, "sync", "--verify"])
            .assert()
            .success();
        let out = sb
            .cmd()
            .args(["--remote", &remote, "doctor", "--json"])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let b = &v["remote"]["bucket"];
        assert_eq!(b["waiting_for_compaction"], serde_json::json!([]), "{b}");
        assert_eq!(b["csv_parts"], 0, "{b}");
        assert_eq!(b["parts"], 3, "{b}");
        assert_eq!(b["unknown"], serde_json::json!(["notes.txt"]), "{b}");
    }

    #[test]
    fn dry_run_changes_nothing_and_prints_the_plan() {
        let sb = Sandbox::new();
        let remote = seeded(&sb);
        sb.cmd()
            .args(["--remote", &remote, "sync"])
            .assert()
            .success();
        std::fs::write(sb.path("b.csv"), "time,bpm\n2025-01-03T00:00:00Z,99\n").unwrap();
        sb.cmd()
            .arg("import")
            .arg(sb.path("b.csv"))
            .assert()
            .success();
        let before = (tree(&sb.path("remote")), std::fs::read(sb.db()).unwrap());
        sb.cmd()
            .args(["--remote", &remote, "sync", "--dry-run"])
            .assert()
            .success()
            .stdout(predicate::str::contains("plan (dry run, nothing changed)"))
            .stdout(predicate::str::contains("date=2025-01-03/part-"))
            .stdout(predicate::str::contains("write file://"));
        assert_eq!(
            before,
            (tree(&sb.path("remote")), std::fs::read(sb.db()).unwrap())
        );
    }

    #[test]
    fn a_corrupt_remote_master_is_named_and_left_alone() {
        let sb = Sandbox::new();
        let remote = seeded(&sb);
        sb.cmd()
            .args(["--remote", &remote, "sync"])
            .assert()
            .success();
        let master = sb.path("remote/hourly_max.csv");
        let edited = "account,hour_start_utc,hour_start_local,max_bpm,sample_count\ndefault,2025-01-01T00:00:00Z,,ninety,2\n";
        std::fs::write(&master, edited).unwrap();
        let export_before = sb.export();
        sb.cmd()
            .args(["--remote", &remote, "sync"])
            .assert()
            .code(11)
            .stderr(predicate::str::contains(
                "hourly_max.csv is not valid: line 2: max_bpm",
            ));
        assert_eq!(
            std::fs::read_to_string(&master).unwrap(),
            edited,
            "not overwritten"
        );
        assert_eq!(sb.export(), export_before);
    }

    #[test]
    fn a_second_sync_waits_or_says_why() {
        let sb = Sandbox::new();
        let remote = seeded(&sb);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(sb.db().with_extension("sync.lock"))
            .unwrap();
        lock.lock().unwrap();
        sb.cmd()
            .args(["--remote", &remote, "sync"])
            .assert()
            .code(9)
            .stderr(predicate::str::contains("another fitpipe sync is running"));
        drop(lock);
        sb.cmd()
            .args(["--remote", &remote, "sync"])
            .assert()
            .success();
    }

    #[test]
    fn without_a_remote_sync_says_so_and_restore_refuses() {
        let sb = Sandbox::new();
        seeded(&sb);
        sb.cmd()
            .arg("sync")
            .assert()
            .success()
            .stdout(predicate::str::contains("no remote configured"));
        sb.cmd().arg("restore").assert().code(12);
    }

    #[test]
    fn a_new_laptop_restores_from_the_remote_named_in_its_config_file() {
        let sb = Sandbox::new();
        let remote = seeded(&sb);
        sb.cmd()
            .args(["--remote", &remote, "sync"])
            .assert()
            .success();
        let fresh = Sandbox::new();
        std::fs::create_dir_all(fresh.path("home/.config/fitpipe")).unwrap();
        std::fs::write(
            fresh.path("home/.config/fitpipe/config.toml"),
            format!("[remote]\nurl = \"{remote}\"\n"),
        )
        .unwrap();
        fresh
            .cmd()
            .arg("restore")
            .assert()
            .success()
            .stdout(predicate::str::contains("3 samples"));
        let a = sb.export();
        let b = fresh.export();
        assert_eq!(a, b);
        assert!(String::from_utf8(b)
            .unwrap()
            .contains("default,2025-01-01T00:00:00Z,,90,2"));
    }

    #[test]
    fn a_bucket_without_credentials_names_the_fix() {
        let sb = Sandbox::new();
        seeded(&sb);
        sb.cmd()
            .args(["--remote", "gs://some-bucket/fitpipe", "sync"])
            .assert()
            .code(10)
            .stderr(predicate::str::contains("no Google credentials found"))
            .stderr(predicate::str::contains("GOOGLE_APPLICATION_CREDENTIALS"));
    }

    /// The same through the command line: two data folders, one folder remote, 20 rounds of
    /// new (overlapping) samples imported and synced alternately.
    #[test]
    fn two_data_folders_converge_through_the_cli() {
        let a = Sandbox::new();
        let b = Sandbox::new();
        let remote = format!("file://{}", a.path("shared-remote").display());
        let mut truth: std::collections::BTreeMap<i64, u16> = std::collections::BTreeMap::new();
        let t0 = 1_735_689_600i64;
        for round in 0..20i64 {
            for (who, sb) in [(0i64, &a), (1, &b)] {
                let mut csv = String::from("time,bpm\n");
                // Each machine adds its own samples and some the other one also has.
                for k in 0..30i64 {
                    let ts = t0 + round * 5400 + who * 900 + k * 97;
                    let bpm = (50 + (ts * 7 + who) % 120) as u16;
                    let shared = t0 + round * 5400 + 3000 + k;
                    let shared_bpm = (60 + shared % 90) as u16;
                    truth.entry(ts).or_insert(bpm);
                    truth.entry(shared).or_insert(shared_bpm);
                    csv.push_str(&format!("{ts},{bpm}\n{shared},{shared_bpm}\n"));
                }
                std::fs::write(sb.path("new.csv"), csv).unwrap();
                sb.cmd()
                    .arg("import")
                    .arg(sb.path("new.csv"))
                    .assert()
                    .success();
                sb.cmd()
                    .args(["--remote", &remote, "sync"])
                    .assert()
                    .success();
            }
        }
        a.cmd()
            .args(["--remote", &remote, "sync"])
            .assert()
            .success();
        let want = crate::support::reference_hourly(truth.iter().map(|(t, b)| (*t, *b)));
        for sb in [&a, &b] {
            assert_eq!(crate::support::stored_hourly(&sb.db(), "default"), want);
        }
        let master = crate::support::remote_master_file(&a.path("shared-remote"));
        assert_eq!(
            crate::support::master_as_export(&master),
            a.export(),
            "the remote master is machine a's export"
        );
        assert_eq!(
            crate::support::master_as_export(&master),
            b.export(),
            "and machine b's"
        );
    }
}

/// Issue 14: a database file cut short, or with pages overwritten, is named as damaged by
/// every command, with what to do; a restore into a new file brings every hour back.
#[test]
fn a_damaged_database_is_named_and_a_restore_recovers_it() {
    use crate::support::Sandbox;
    let sb = Sandbox::new();
    sb.demo_history(&["--days", "5", "--start", "2025-01-06"], "takeout");
    let remote = format!("file://{}", sb.path("remote").display());
    sb.cmd()
        .args(["--remote", &remote, "sync"])
        .assert()
        .success();
    let hours = sb.export();
    // Everything in the main file, so that the bytes below are the whole database.
    rusqlite::Connection::open(sb.db())
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let good = std::fs::read(sb.db()).unwrap();
    assert!(good.len() > 200_000, "a database of many pages");

    let truncated = good[..good.len() / 2].to_vec();
    let mut overwritten = good.clone();
    // Pages in the middle of the sample table, overwritten with garbage.
    for b in &mut overwritten[good.len() / 2..good.len() / 2 + 16_384] {
        *b = 0xa5;
    }
    for (name, bytes) in [("cut short", truncated), ("overwritten", overwritten)] {
        for ext in ["db-wal", "db-shm"] {
            let _ = std::fs::remove_file(sb.db().with_extension(ext));
        }
        std::fs::write(sb.db(), &bytes).unwrap();
        let doctor = sb.cmd().args(["doctor", "--json"]).output().unwrap();
        assert_eq!(doctor.status.code(), Some(16), "{name}");
        let v: serde_json::Value = serde_json::from_slice(&doctor.stdout).unwrap();
        assert_eq!(
            v["database"]["integrity"]["result"], "damaged",
            "{name}: {v}"
        );
        assert!(
            v["attention"][0].as_str().unwrap().contains("is damaged"),
            "{name}: {v}"
        );
        let text = sb.cmd().arg("doctor").output().unwrap();
        assert!(
            String::from_utf8(text.stdout)
                .unwrap()
                .starts_with("WARN database"),
            "{name}"
        );
        let csv = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/takeout_heart_rate_example.csv"
        );
        // Every command that reads a damaged page says so. A file cut short loses pages
        // every command reads; overwritten sample pages are read by these two (a sync that
        // finds nothing to upload reads only the intact master table and lake state, and an
        // import of other days writes into intact leaves).
        let mut commands = vec![vec!["status"], vec!["query", "SELECT count(*) FROM sample"]];
        if name == "cut short" {
            commands.push(vec!["--remote", remote.as_str(), "sync"]);
            commands.push(vec!["import", csv]);
            commands.push(vec!["export"]);
        }
        for args in commands {
            let out = sb.cmd().args(&args).output().unwrap();
            let err = String::from_utf8(out.stderr).unwrap();
            assert_eq!(out.status.code(), Some(18), "{name}: {args:?}: {err}");
            assert!(
                err.contains("the database file is damaged") && err.contains("fitpipe restore"),
                "{name}: {args:?}: {err}"
            );
        }
    }

    // The way out the hint gives: a new database, restored from the remote.
    let fresh = Sandbox::new();
    fresh
        .cmd()
        .args(["--remote", &remote, "restore"])
        .assert()
        .success();
    assert_eq!(fresh.export(), hours);
}

/// Issue 13: a folder remote's lock that a killed sync left behind does not block the next
/// one; a live holder is named, and waited for with `--wait`.
#[cfg(target_os = "linux")]
mod remote_lock {
    use crate::support::Sandbox;
    use fitpipe::service::Holder;

    fn synced() -> (Sandbox, String) {
        let sb = Sandbox::new();
        sb.demo_history(&["--days", "2", "--start", "2025-01-06"], "takeout");
        let remote = format!("file://{}", sb.path("remote").display());
        sb.cmd()
            .args(["--remote", &remote, "sync"])
            .assert()
            .success();
        (sb, remote)
    }

    fn plant(sb: &Sandbox, text: &str) -> std::path::PathBuf {
        let lock = sb.path("remote/.fitpipe.lock");
        std::fs::write(&lock, text).unwrap();
        lock
    }

    /// Runs a sync that the lock must refuse (exit code 9); its error text.
    fn refused(sb: &Sandbox, remote: &str) -> String {
        let out = sb
            .cmd()
            .args(["--remote", remote, "sync"])
            .output()
            .unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(9), "{err}");
        err
    }

    /// A new local sample, so that the sync has something to write and takes the lock.
    fn new_sample(sb: &Sandbox, n: u32) {
        let csv = sb.path(&format!("new{n}.csv"));
        std::fs::write(&csv, format!("time,bpm\n2025-01-09T00:00:{n:02}Z,70\n")).unwrap();
        sb.cmd().arg("import").arg(&csv).assert().success();
    }

    #[test]
    fn a_lock_left_by_a_dead_process_of_this_machine_is_broken_at_once() {
        let (sb, remote) = synced();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let holder = Holder {
            pid,
            ..Holder::current("2026-12-01T00:00:00Z")
        };
        assert!(holder.boot_id.is_some(), "Linux names its boot");
        let lock = plant(&sb, &holder.to_text());
        new_sample(&sb, 1);
        sb.cmd()
            .args(["--remote", &remote, "sync"])
            .assert()
            .success();
        assert!(!lock.exists(), "released after the sync");
    }

    #[test]
    fn a_live_holder_is_named_and_waited_for() {
        let (sb, remote) = synced();
        let mut child = std::process::Command::new("sleep")
            .arg("3")
            .spawn()
            .unwrap();
        let holder = Holder {
            pid: child.id(),
            ..Holder::current("2026-12-01T00:00:00Z")
        };
        plant(&sb, &holder.to_text());
        new_sample(&sb, 2);
        let err = refused(&sb, &remote);
        assert!(
            err.contains(&format!("process {} on {}", holder.pid, holder.host)),
            "{err}"
        );
        // --wait waits until the holder is gone, then syncs.
        let waiting = sb
            .std_cmd()
            .args(["--remote", &remote, "sync", "--wait"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.wait().unwrap();
        // It ends a poll after the holder did (not after the stale rule's ten minutes).
        let status = crate::support::wait_at_most(
            waiting,
            std::time::Duration::from_secs(30),
            "sync --wait, after the lock's holder ended,",
        );
        assert_eq!(status.code(), Some(0));
        assert!(!sb.path("remote/.fitpipe.lock").exists());
    }

    #[test]
    fn an_older_fitpipes_lock_keeps_the_ten_minute_rule() {
        let (sb, remote) = synced();
        plant(&sb, "pid 1 at 2026-12-01T00:00:00Z");
        new_sample(&sb, 3);
        let err = refused(&sb, &remote);
        assert!(
            err.contains("held by pid 1 at 2026-12-01T00:00:00Z"),
            "{err}"
        );
    }

    #[test]
    fn syncs_killed_at_random_moments_leave_the_next_sync_free_to_run() {
        let (sb, remote) = synced();
        // Deterministic pseudo-random delays over the span of one sync.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for round in 0..12u32 {
            new_sample(&sb, 10 + round);
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let delay = std::time::Duration::from_millis(x % 250);
            let mut child = sb
                .std_cmd()
                .args(["--remote", &remote, "sync"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(delay);
            let _ = child.kill();
            child.wait().unwrap();
        }
        // A kill during an upload leaves the folder backend's staging file beside the
        // object (`YYYY.csv#N`), cut short: one is planted, whatever the kills left.
        for account in std::fs::read_dir(sb.path("remote/hourly_max")).unwrap() {
            std::fs::write(
                account.unwrap().path().join("2026.csv#3"),
                "hour_start_utc,acc",
            )
            .unwrap();
        }
        // Whatever the kills left, a plain sync succeeds at once, and the remote master
        // then holds what the local one does.
        sb.cmd()
            .args(["--remote", &remote, "sync"])
            .assert()
            .success();
        let local = sb.export();
        let remote_master = crate::support::remote_master_file(&sb.path("remote"));
        assert_eq!(crate::support::master_as_export(&remote_master), local);
    }
}

/// Issue 13: a store pointed at a new remote, or at one whose lake was emptied, uploads
/// every day the remote lacks, so a restore from it has every sample and hour.
#[test]
fn a_new_or_emptied_remote_receives_every_sample() {
    use crate::support::{query_one, Sandbox};
    let sb = Sandbox::new();
    sb.demo_history(&["--days", "4", "--start", "2025-01-06"], "takeout");
    let samples: i64 = query_one(&sb.db(), "SELECT count(*) FROM sample");
    let hours = sb.export();
    let first = format!("file://{}", sb.path("first").display());
    let second = format!("file://{}", sb.path("second").display());
    sb.cmd()
        .args(["--remote", &first, "sync"])
        .assert()
        .success();
    // The same store, another remote: its lake was never written.
    sb.cmd()
        .args(["--remote", &second, "sync"])
        .assert()
        .success();
    // The first remote's lake emptied (a bucket cleared by hand).
    std::fs::remove_dir_all(sb.path("first/samples")).unwrap();
    sb.cmd()
        .args(["--remote", &first, "sync"])
        .assert()
        .success();
    for remote in [&first, &second] {
        let fresh = Sandbox::new();
        fresh
            .cmd()
            .args(["--remote", remote, "restore"])
            .assert()
            .success();
        let restored: i64 = query_one(&fresh.db(), "SELECT count(*) FROM sample");
        assert_eq!(restored, samples, "{remote}");
        assert_eq!(fresh.export(), hours, "{remote}");
    }
    // Nothing is left to upload: a further sync to either writes no part.
    for remote in [&first, &second] {
        let out = sb
            .cmd()
            .args(["--remote", remote, "sync", "--json"])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["push"]["parts_uploaded"], serde_json::json!([]), "{v}");
    }
}

/// Samples of several sources: (ts, bpm, source).
pub(super) type Sourced = Vec<(i64, u16, &'static str)>;

pub(super) fn add_sourced(store: &mut Store, account: &str, samples: &Sourced) {
    let id = store.ensure_account(account, "t").unwrap();
    let v: Vec<Sample> = samples
        .iter()
        .map(|&(ts, bpm, source)| Sample {
            device: Some(source.into()),
            ..Sample::new(ts, bpm)
        })
        .collect();
    let mut w = store.sample_writer(id).unwrap();
    w.insert_many(&v, |_, o| o.map(|_| ())).unwrap();
    w.commit().unwrap();
}

/// (account "me", hour) -> (max, count) over the samples of the `counted` sources, each
/// (instant, source) once: computed here, not by fitpipe.
pub(super) fn reference_sourced(
    samples: &BTreeMap<(i64, &'static str), u16>,
    counted: &[&str],
) -> BTreeMap<(String, String), (i64, i64)> {
    let mut out = BTreeMap::new();
    for (&(ts, source), &bpm) in samples {
        if !counted.contains(&source) {
            continue;
        }
        let h = fitpipe::model::format_utc(ts - ts.rem_euclid(3600));
        let e = out.entry(("me".to_string(), h)).or_insert((0i64, 0i64));
        e.0 = e.0.max(bpm as i64);
        e.1 += 1;
    }
    out
}

pub(super) const WATCH: &str = "Pixel Watch 3";
pub(super) const PHONE: &str = "Fitbit App";
pub(super) const STRAP: &str = "H10 (HEALTH_CONNECT, CHEST_STRAP)";
pub(super) const GALAXY: &str = "Galaxy Watch7 (HEALTH_CONNECT, WATCH)";

/// A watch every minute, and beside it a phone app, a chest strap and a second watch, some
/// at the watch's own instants, all reading higher.
pub(super) fn sourced(seed: u64, start: i64, hours: i64) -> Sourced {
    let mut out = Vec::new();
    for (i, (ts, bpm)) in history(seed, start, hours, 60).into_iter().enumerate() {
        out.push((ts, bpm, WATCH));
        match i % 11 {
            0 => out.push((ts, bpm + 40, PHONE)),
            3 => out.push((ts + 1, bpm + 30, STRAP)),
            7 => out.push((ts, bpm + 20, GALAXY)),
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn a_source_choice_on_one_machine_corrects_every_copy() {
    for (name, remote, _server, _dir) in backends().await {
        let mut a = Store::open_in_memory().unwrap();
        let mut b = Store::open_in_memory().unwrap();
        let mut truth: BTreeMap<(i64, &'static str), u16> = BTreeMap::new();
        let t0 = 1_735_689_600;
        let feed =
            |store: &mut Store, s: Sourced, truth: &mut BTreeMap<(i64, &'static str), u16>| {
                for &(ts, bpm, src) in &s {
                    truth.entry((ts, src)).or_insert(bpm);
                }
                add_sourced(store, "me", &s);
            };
        let shared = sourced(1, t0, 6);
        feed(&mut a, shared.clone(), &mut truth);
        feed(&mut b, shared, &mut truth);
        feed(&mut a, sourced(2, t0 + 6 * 3600, 3), &mut truth);
        feed(&mut b, sourced(3, t0 + 9 * 3600, 3), &mut truth);
        // An hour in which only the second watch was worn: it goes when that watch is left
        // out, though no copy of it under the new policy says so.
        let galaxy_only: Sourced = (0..60)
            .map(|m| (t0 + 15 * 3600 + m * 60, 70 + (m % 7) as u16, GALAXY))
            .collect();
        feed(&mut a, galaxy_only, &mut truth);
        sync::run(&mut a, &remote, &opts(), "t").await.unwrap();
        sync::run(&mut b, &remote, &opts(), "t").await.unwrap();
        sync::run(&mut a, &remote, &opts(), "t").await.unwrap();
        // By default: the watches count, the phone app and the strap do not.
        let default = reference_sourced(&truth, &[WATCH, GALAXY]);
        assert_converged(&remote, &[("a", &a), ("b", &b)], &default, name).await;

        // a writes the bucket's copy last, so b's next sync reads and merges it.
        feed(&mut a, sourced(6, t0 + 16 * 3600, 1), &mut truth);
        sync::run(&mut a, &remote, &opts(), "t").await.unwrap();

        // On b, the second watch is left out: every hour it raised comes down, on b, in
        // the bucket and on a.
        let me = b.account("me").unwrap().unwrap();
        let out = fitpipe::sources::Choice {
            counted: false,
            changed_at: "2026-12-01T10:00:00Z".into(),
        };
        assert!(b.choose_source(me, GALAXY, &out).unwrap());
        sync::run(&mut b, &remote, &opts(), "t").await.unwrap();
        let report = sync::run(&mut a, &remote, &opts(), "t").await.unwrap();
        assert_eq!(report.accounts_recomputed, 1, "{name}");
        let watch_only = reference_sourced(&truth, &[WATCH]);
        assert_ne!(watch_only, default);
        assert_converged(&remote, &[("a", &a), ("b", &b)], &watch_only, name).await;

        // On a, the phone app is counted, while b adds samples: both meet again.
        let me_a = a.account("me").unwrap().unwrap();
        let count = fitpipe::sources::Choice {
            counted: true,
            changed_at: "2026-12-01T11:00:00Z".into(),
        };
        a.choose_source(me_a, PHONE, &count).unwrap();
        feed(&mut b, sourced(4, t0 + 12 * 3600, 2), &mut truth);
        sync::run(&mut b, &remote, &opts(), "t").await.unwrap();
        sync::run(&mut a, &remote, &opts(), "t").await.unwrap();
        sync::run(&mut b, &remote, &opts(), "t").await.unwrap();
        let chosen = reference_sourced(&truth, &[WATCH, PHONE]);
        assert_converged(&remote, &[("a", &a), ("b", &b)], &chosen, name).await;

        // A new machine restores the choices with the samples.
        let fresh = restored(&remote).await;
        assert_eq!(
            figures(&sync::local_master(&fresh).unwrap()),
            chosen,
            "{name}: restored"
        );
    }
}

#[tokio::test]
async fn a_bucket_written_before_sources_is_corrected_by_one_sync() {
    for (name, remote, _server, _dir) in backends().await {
        let t0 = 1_735_689_600;
        let samples = sourced(5, t0, 8);
        let mut truth: BTreeMap<(i64, &'static str), u16> = BTreeMap::new();
        for &(ts, bpm, src) in &samples {
            truth.entry((ts, src)).or_insert(bpm);
        }
        // What the bucket of an older fitpipe holds: the lake's parts (with each sample's
        // source, as they always had) and a master table of five columns in which every
        // source counted.
        let mut laptop = Store::open_in_memory().unwrap();
        add_sourced(&mut laptop, "me", &samples);
        sync::run(&mut laptop, &remote, &opts(), "t").await.unwrap();
        let inflated = reference_sourced(&truth, &[WATCH, PHONE, STRAP, GALAXY]);
        let mut legacy =
            String::from("account,hour_start_utc,hour_start_local,max_bpm,sample_count\n");
        for ((account, hour), (max, count)) in &inflated {
            legacy.push_str(&format!("{account},{hour},,{max},{count}\n"));
        }
        // (Earlier fitpipes kept every account's hours in one object.)
        assert!(remote
            .put_versioned("hourly_max.csv", legacy.into_bytes(), None)
            .await
            .unwrap()
            .is_some());

        // A machine of this version restores from it, and one sync corrects the bucket.
        let want = reference_sourced(&truth, &[WATCH, GALAXY]);
        assert_ne!(want, inflated);
        let fresh = restored(&remote).await;
        assert_eq!(
            figures(&sync::local_master(&fresh).unwrap()),
            want,
            "{name}: restored"
        );
        sync::run(&mut laptop, &remote, &opts(), "t").await.unwrap();
        assert_converged(
            &remote,
            &[("laptop", &laptop), ("fresh", &fresh)],
            &want,
            name,
        )
        .await;
    }
}

/// (account, hour) -> (max, count) over `readings` (account, ts, source, bpm), counting
/// what fitpipe counts by default (a watch, or no source named): computed here.
fn reference_by_account(
    readings: &BTreeSet<(&'static str, i64, Option<&'static str>, u16)>,
) -> BTreeMap<(String, String), (i64, i64)> {
    let mut out = BTreeMap::new();
    for &(account, ts, source, bpm) in readings {
        if source.is_some_and(|s| s != WATCH) {
            continue;
        }
        let h = fitpipe::model::format_utc(ts - ts.rem_euclid(3600));
        let e = out.entry((account.to_string(), h)).or_insert((0i64, 0i64));
        e.0 = e.0.max(bpm as i64);
        e.1 += 1;
    }
    out
}

/// Every reading the lake's parts of `account` hold: (ts, source, bpm).
async fn lake_readings(remote: &Remote, account: &str) -> BTreeSet<(i64, Option<String>, u16)> {
    let mut out = BTreeSet::new();
    for name in remote
        .list(&fitpipe::sync::layout::account_dir(account))
        .await
        .unwrap()
    {
        let bytes = remote.get(&name).await.unwrap();
        for s in fitpipe::sync::parts::parse_part(&name, &bytes).unwrap() {
            assert!(
                out.insert((s.ts, s.device.as_deref().map(str::to_string), s.bpm)),
                "{name}: a reading held twice"
            );
        }
    }
    out
}

#[tokio::test]
async fn an_import_moved_to_another_account_leaves_every_copy_of_the_first() {
    for (name, remote, _server, _dir) in backends().await {
        let t0 = 1_735_689_600;
        let mut truth: BTreeSet<(&'static str, i64, Option<&'static str>, u16)> = BTreeSet::new();
        // Mine: a watch every minute for 8 hours, and a phone app 40 s after some minutes.
        let mut mine: Sourced = Vec::new();
        for (i, (ts, bpm)) in history(7, t0, 8, 60).into_iter().enumerate() {
            mine.push((ts, bpm, WATCH));
            if i % 5 == 0 {
                mine.push((ts + 40, bpm + 30, PHONE));
            }
        }
        for &(ts, bpm, src) in &mine {
            truth.insert(("me", ts, Some(src), bpm));
        }
        let mut a = Store::open_in_memory().unwrap();
        let mut b = Store::open_in_memory().unwrap();
        add_sourced(&mut a, "me", &mine);
        sync::run(&mut a, &remote, &opts(), "t").await.unwrap();
        sync::run(&mut b, &remote, &opts(), "t").await.unwrap();

        // A partner's export, imported into "me" by mistake on a: the same watch model 20 s
        // after each of my minutes and alone for two more hours, readings that name no
        // source at my phone app's instants, and their phone app at my watch's.
        let dir = tempfile::tempdir().unwrap();
        let mut named = String::from("timestamp,beats per minute,data source\n");
        let mut unnamed = String::from("timestamp,beats per minute\n");
        let mut theirs: Vec<(i64, Option<&'static str>, u16)> = Vec::new();
        for (i, &(ts, bpm, _)) in mine.iter().filter(|m| m.2 == WATCH).enumerate() {
            theirs.push((ts + 20, Some(WATCH), bpm + 25));
            if i % 7 == 0 {
                theirs.push((ts, Some(PHONE), bpm + 50));
            }
            if i % 5 == 0 && (120..300).contains(&i) {
                theirs.push((ts + 40, None, bpm + 45));
            }
        }
        for (ts, bpm) in history(8, t0 + 8 * 3600, 2, 60) {
            theirs.push((ts + 20, Some(WATCH), bpm));
        }
        for &(ts, src, bpm) in &theirs {
            let line = format!("{},{bpm}.0", fitpipe::model::format_utc(ts));
            match src {
                Some(s) => named.push_str(&format!("{line},{s}\n")),
                None => unnamed.push_str(&format!("{line}\n")),
            }
            truth.insert(("partner", ts, src, bpm));
        }
        let files = [dir.path().join("named.csv"), dir.path().join("unnamed.csv")];
        std::fs::write(&files[0], named).unwrap();
        std::fs::write(&files[1], unnamed).unwrap();
        let me = a.account("me").unwrap().unwrap();
        let discovery = fitpipe::import::discover(&files).unwrap();
        let prefs = fitpipe::import::zone::ZonePrefs {
            given: Some("UTC"),
            configured: None,
        };
        let summary =
            fitpipe::import::run(&mut a, me, &discovery, prefs, "t", &mut |_| {}).unwrap();
        assert_eq!(summary.samples_new, theirs.len() as u64, "{name}");
        sync::run(&mut a, &remote, &opts(), "t").await.unwrap();
        sync::run(&mut b, &remote, &opts(), "t").await.unwrap();
        let mixed: BTreeSet<_> = truth
            .iter()
            .map(|&(_, ts, s, bpm)| ("me", ts, s, bpm))
            .collect();
        assert_converged(
            &remote,
            &[("a", &a), ("b", &b)],
            &reference_by_account(&mixed),
            name,
        )
        .await;

        // b writes the bucket's master last, so a reads and merges it after the move.
        let later: Sourced = history(9, t0 + 12 * 3600, 1, 60)
            .into_iter()
            .map(|(ts, bpm)| (ts, bpm, WATCH))
            .collect();
        for &(ts, bpm, src) in &later {
            truth.insert(("me", ts, Some(src), bpm));
        }
        add_sourced(&mut b, "me", &later);
        sync::run(&mut b, &remote, &opts(), "t").await.unwrap();

        // Moved where it belongs: both machines, the bucket's master and its lake, and a
        // fresh restore hold each account's own readings.
        let import = a.imports().unwrap().last().unwrap().id;
        let moved = fitpipe::import::remove(
            &mut a,
            import,
            (Some("partner"), None),
            "2026-12-01T12:00:00Z",
        )
        .unwrap()
        .unwrap();
        assert_eq!(moved.readings, theirs.len() as u64, "{name}");
        assert_eq!(moved.copied_new, theirs.len() as u64, "{name}");
        sync::run(&mut a, &remote, &opts(), "t").await.unwrap();
        let report = sync::run(&mut b, &remote, &opts(), "t").await.unwrap();
        assert_eq!(report.removals_applied, 1, "{name}");
        sync::run(&mut a, &remote, &opts(), "t").await.unwrap();
        let want = reference_by_account(&truth);
        assert!(want.keys().any(|(acc, _)| acc == "partner"));
        assert_converged(&remote, &[("a", &a), ("b", &b)], &want, name).await;
        for (account, store_name) in [("me", "a"), ("partner", "a")] {
            let lake = lake_readings(&remote, account).await;
            let expected: BTreeSet<(i64, Option<String>, u16)> = truth
                .iter()
                .filter(|r| r.0 == account)
                .map(|&(_, ts, s, bpm)| (ts, s.map(str::to_string), bpm))
                .collect();
            assert_eq!(
                lake, expected,
                "{name}: the lake of {account} ({store_name})"
            );
        }
        let fresh = restored(&remote).await;
        assert_eq!(
            figures(&sync::local_master(&fresh).unwrap()),
            want,
            "{name}: restored"
        );
        // Again: nothing changes.
        assert!(fitpipe::import::remove(&mut a, import, (None, None), "t")
            .unwrap()
            .is_err());
    }
}

/// Imports `readings` (ts, bpm) of source WATCH into `account` as one import, through the
/// importer; returns its number.
fn import_csv(store: &mut Store, account: &str, readings: &[(i64, u16)]) -> i64 {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("timestamp,beats per minute,data source\n");
    for &(ts, bpm) in readings {
        text.push_str(&format!(
            "{},{bpm}.0,{WATCH}\n",
            fitpipe::model::format_utc(ts)
        ));
    }
    let file = dir.path().join("hr.csv");
    std::fs::write(&file, text).unwrap();
    let id = store.ensure_account(account, "t").unwrap();
    let discovery = fitpipe::import::discover(&[file]).unwrap();
    let prefs = fitpipe::import::zone::ZonePrefs {
        given: Some("UTC"),
        configured: None,
    };
    fitpipe::import::run(store, id, &discovery, prefs, "t", &mut |_| {}).unwrap();
    store.imports().unwrap().last().unwrap().id
}

#[tokio::test]
async fn removals_are_read_when_they_change_and_a_cohort_laptop_keeps_the_others() {
    let server = wiremock::MockServer::start().await;
    let fake = FakeGcs::default();
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    let remote = standin_remote(&server.uri(), "");
    let t0 = 1_735_689_600;
    let mut a = Store::open_in_memory().unwrap();
    let me = import_csv(&mut a, "me", &history(1, t0, 2, 60));
    let you = import_csv(&mut a, "you", &history(2, t0, 2, 60));
    let keep = history(3, t0 + 5 * 3600, 1, 60);
    import_csv(&mut a, "me", &keep);
    for id in [me, you] {
        fitpipe::import::remove(&mut a, id, (None, None), "2026-12-01T10:00:00Z")
            .unwrap()
            .unwrap();
    }
    sync::run(&mut a, &remote, &opts(), "t").await.unwrap();
    let removals_read = || {
        fake.state
            .lock()
            .unwrap()
            .downloads
            .iter()
            .filter(|o| o.ends_with("removals.csv"))
            .count()
    };
    // Nothing new: the copy is not read again (a 304).
    let before = removals_read();
    sync::run(&mut a, &remote, &opts(), "t").await.unwrap();
    assert_eq!(removals_read(), before, "read again though unchanged");

    // A laptop of a cohort that syncs "me" only applies me's removal and leaves you's in
    // the bucket.
    let mut c = Store::open_in_memory().unwrap();
    let only = SyncOptions {
        accounts: Some(["me".to_string()].into_iter().collect()),
        ..opts()
    };
    let report = sync::run(&mut c, &remote, &only, "t").await.unwrap();
    assert_eq!(report.removals_applied, 1);
    assert_eq!(report.accounts_left_out, Vec::<String>::new());
    let held = fitpipe::sync::removals::parse(&remote.get("removals.csv").await.unwrap()).unwrap();
    let accounts: BTreeSet<&str> = held.keys().map(|(a, _)| a.as_str()).collect();
    assert_eq!(accounts, ["me", "you"].into_iter().collect());
    let mine = crate::support::reference_hourly(keep);
    let want: BTreeMap<(String, String), (i64, i64)> = mine
        .into_iter()
        .map(|(h, v)| (("me".to_string(), h), v))
        .collect();
    assert_eq!(figures(&sync::local_master(&c).unwrap()), want);
    // A removal made later on a is read by the next sync of c.
    let more = import_csv(&mut a, "me", &history(4, t0 + 8 * 3600, 1, 60));
    sync::run(&mut a, &remote, &opts(), "t").await.unwrap();
    fitpipe::import::remove(&mut a, more, (None, None), "2026-12-01T11:00:00Z")
        .unwrap()
        .unwrap();
    sync::run(&mut a, &remote, &opts(), "t").await.unwrap();
    let report = sync::run(&mut c, &remote, &only, "t").await.unwrap();
    assert_eq!(report.removals_applied, 1);
    assert_eq!(figures(&sync::local_master(&c).unwrap()), want);
    // The same laptop syncing every account applies the other account's removal too.
    let report = sync::run(&mut c, &remote, &opts(), "t").await.unwrap();
    assert_eq!(report.removals_applied, 1);
}

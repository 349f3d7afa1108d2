//! End-to-end restore from a real GCS emulator (fake-gcs-server), reached the way Google's
//! client libraries reach one: `STORAGE_EMULATOR_HOST`. The emulator serves reads and
//! listings (it does not accept object_store's XML writes; those are covered by the HTTP
//! stand-in in `sync`). `.ci/run` installs it and sets FITPIPE_FAKE_GCS to its binary.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;

use crate::support::Sandbox;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

#[test]
fn restore_from_a_seeded_emulator_bucket() {
    let Some(bin) = std::env::var_os("FITPIPE_FAKE_GCS") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set FITPIPE_FAKE_GCS (see .ci/run)"
        );
        eprintln!("skipped: FITPIPE_FAKE_GCS is not set");
        return;
    };
    // A machine syncs its history to a folder; that folder becomes the emulator's bucket.
    let sb = Sandbox::new();
    sb.demo_history(
        &["--days", "4", "--start", "2025-03-07", "--cadence", "20-40"],
        "takeout",
    );
    let folder = format!("file://{}", sb.path("remote").display());
    sb.cmd()
        .args(["--remote", &folder, "sync"])
        .assert()
        .success();
    copy_tree(&sb.path("remote"), &sb.path("seed/fitpipe-bkt/lake"));

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let host = format!("127.0.0.1:{port}");
    let _server = Server(
        Command::new(bin)
            .args([
                "-scheme",
                "http",
                "-host",
                "127.0.0.1",
                "-port",
                &port.to_string(),
                "-backend",
                "memory",
                "-data",
            ])
            .arg(sb.path("seed"))
            .args([
                "-public-host",
                &host,
                "-external-url",
                &format!("http://{host}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while TcpStream::connect(&host).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "fake-gcs-server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let fresh = Sandbox::new();
    fresh
        .cmd()
        .env("STORAGE_EMULATOR_HOST", &host)
        .args(["--remote", "gs://fitpipe-bkt/lake", "restore"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "restored from gs://fitpipe-bkt/lake",
        ));
    let original = sb.export();
    let restored = fresh.export();
    assert!(original.len() > 1000);
    assert_eq!(
        String::from_utf8(restored).unwrap(),
        String::from_utf8(original).unwrap()
    );
    let count = |s: &Sandbox| {
        s.cmd()
            .args(["query", "--format", "csv", "SELECT count(*) FROM sample"])
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(count(&fresh), count(&sb));

    // A wrong bucket gets a message that names the fix.
    fresh
        .cmd()
        .env("STORAGE_EMULATOR_HOST", &host)
        .args(["--remote", "gs://no-such-bucket/lake", "restore"])
        .assert()
        .code(10)
        .stderr(predicate::str::contains("hint: check the bucket name"));
}

//! Helpers: a sandboxed command and an independent hourly-max computation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn db(&self) -> PathBuf {
        self.path("data/fitpipe.db")
    }

    /// `fitpipe` with HOME and the XDG folders inside the sandbox and `--db` set.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("fitpipe").unwrap();
        c.env_clear()
            .env("HOME", self.path("home"))
            .env("XDG_DATA_HOME", self.path("home/.local/share"))
            .env("XDG_CONFIG_HOME", self.path("home/.config"))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        for v in ["DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"] {
            if let Some(x) = std::env::var_os(v) {
                c.env(v, x);
            }
        }
        c.arg("--db").arg(self.db());
        c
    }
}

impl Sandbox {
    /// The same command as [`Sandbox::cmd`], as a std process to drive interactively.
    pub fn std_cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("fitpipe"));
        c.env_clear()
            .env("HOME", self.path("home"))
            .env("XDG_DATA_HOME", self.path("home/.local/share"))
            .env("XDG_CONFIG_HOME", self.path("home/.config"))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .arg("--db")
            .arg(self.db());
        // A keyring daemon, when the test run has one.
        for v in ["DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"] {
            if let Some(x) = std::env::var_os(v) {
                c.env(v, x);
            }
        }
        c
    }
}

impl Sandbox {
    /// Generates a made-up Takeout export with `fitpipe demo --generate-only` into
    /// `SANDBOX/demo` (`--days`, `--start` and any further demo flags in `args`) and imports
    /// `SANDBOX/demo/<import>` (`takeout` or `takeout.zip`).
    pub fn demo_history(&self, args: &[&str], import: &str) {
        self.cmd()
            .arg("demo")
            .args(args)
            .args(["--generate-only", "--dir"])
            .arg(self.path("demo"))
            .assert()
            .success();
        self.cmd()
            .arg("import")
            .arg(self.path("demo").join(import))
            .assert()
            .success();
    }

    /// The bytes `fitpipe export --out -` prints.
    pub fn export(&self) -> Vec<u8> {
        let out = self.cmd().args(["export", "--out", "-"]).output().unwrap();
        assert!(out.status.success());
        out.stdout
    }
}

/// (hour_start_utc, max_bpm, sample_count) per hour, computed from raw (ts, bpm) pairs
/// without SQL: the reference the store's `hourly_max` is compared with.
pub fn reference_hourly(
    samples: impl IntoIterator<Item = (i64, u16)>,
) -> BTreeMap<String, (i64, i64)> {
    let mut by_ts: BTreeMap<i64, u16> = BTreeMap::new();
    for (ts, bpm) in samples {
        by_ts.entry(ts).or_insert(bpm);
    }
    let mut out: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (ts, bpm) in by_ts {
        let hour = ts - ts.rem_euclid(3600);
        let key = chrono::DateTime::from_timestamp(hour, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:00:00Z")
            .to_string();
        let e = out.entry(key).or_insert((0, 0));
        e.0 = e.0.max(bpm as i64);
        e.1 += 1;
    }
    out
}

/// The store's `hourly_max` as the same map.
pub fn stored_hourly(db: &Path, account: &str) -> BTreeMap<String, (i64, i64)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT hour_start_utc, max_bpm, sample_count FROM hourly_max WHERE account = ?1")
        .unwrap();
    stmt.query_map([account], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

pub fn query_one<T: rusqlite::types::FromSql>(db: &Path, sql: &str) -> T {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

/// Waits for `child` to end, failing the test if it has not within `limit`: the limit only
/// keeps a regression from hanging the suite, it is not a measurement.
pub fn wait_at_most(
    mut child: std::process::Child,
    limit: std::time::Duration,
    what: &str,
) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("{what} did not end within {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The remote's master table in the export's form: each line without its last field (the
/// policy version, which the export does not carry). Checks the header it drops.
/// The master table a folder remote holds (`hourly_max/NAME/YYYY.csv`), as one CSV: the
/// header once, then every object's rows, by account and year.
/// A sync killed mid-upload may leave its staging file (`YYYY.csv#N`, digits after the `#`)
/// beside the object: the folder backend lists no such file as an object, nor does this.
pub fn remote_master_file(remote: &std::path::Path) -> Vec<u8> {
    let mut files = Vec::new();
    for account in std::fs::read_dir(remote.join("hourly_max")).unwrap() {
        for year in std::fs::read_dir(account.unwrap().path()).unwrap() {
            let path = year.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let staged = name
                .split_once('#')
                .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if !staged {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut out = String::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let (header, rows) = text.split_once('\n').unwrap();
        if out.is_empty() {
            out.push_str(header);
            out.push('\n');
        }
        out.push_str(rows);
    }
    out.into_bytes()
}

pub fn master_as_export(master: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(master).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        // The export's five columns; the remote adds the policy and the local time's
        // provenance.
        let fields: Vec<&str> = line.split(',').collect();
        if i == 0 {
            assert_eq!(
                fields[5..],
                ["policy", "local_from", "local_chosen_at"],
                "{line}"
            );
        }
        out.push_str(&fields[..5].join(","));
        out.push('\n');
    }
    out.into_bytes()
}

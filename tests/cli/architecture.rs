//! The structure docs/ARCHITECTURE.md describes, read from the source: which of fitpipe's
//! modules each module uses, where each outside library is used, and that the document
//! names every module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and the modules it may use: the layers, bottom first. A module
/// uses only modules of lower layers.
const LAYERS: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("runtime", &[]),
    ("files", &[]),
    ("sources", &[]),
    ("removals", &["model", "sources"]),
    ("formats", &["model"]),
    ("clock", &["model"]),
    ("config", &["model"]),
    ("service", &["config"]),
    ("store", &["formats", "model", "removals", "sources"]),
    ("health_api", &["formats", "model", "sources"]),
    ("report", &["model"]),
    ("synth", &["model"]),
    ("auth", &["config", "files", "runtime"]),
    ("export", &["files", "model", "store"]),
    (
        "import",
        &[
            "clock",
            "formats",
            "health_api",
            "model",
            "removals",
            "sources",
            "store",
        ],
    ),
    (
        "pull",
        &[
            "auth",
            "clock",
            "config",
            "health_api",
            "model",
            "runtime",
            "sources",
            "store",
        ],
    ),
    (
        "sync",
        &[
            "clock", "config", "export", "formats", "model", "removals", "runtime", "service",
            "sources", "store",
        ],
    ),
    ("notify", &["config", "files"]),
    (
        "doctor",
        &[
            "auth", "clock", "config", "formats", "model", "notify", "service", "store", "sync",
        ],
    ),
    (
        "error",
        &[
            "auth",
            "config",
            "export",
            "health_api",
            "import",
            "pull",
            "runtime",
            "service",
            "store",
            "sync",
        ],
    ),
    (
        "app",
        &[
            "auth",
            "clock",
            "config",
            "doctor",
            "error",
            "health_api",
            "import",
            "model",
            "notify",
            "pull",
            "runtime",
            "service",
            "store",
            "sync",
        ],
    ),
    (
        "cli",
        &[
            "app",
            "auth",
            "clock",
            "config",
            "doctor",
            "error",
            "export",
            "formats",
            "health_api",
            "import",
            "model",
            "notify",
            "pull",
            "report",
            "runtime",
            "service",
            "sources",
            "store",
            "sync",
            "synth",
        ],
    ),
];

/// Outside libraries with a home: the only modules that may name them.
const HOMES: &[(&str, &[&str])] = &[
    ("rusqlite", &["store"]),
    ("tokio", &["runtime"]),
    ("tempfile", &["files"]),
    ("tracing_subscriber", &["cli"]),
    ("futures", &["sync"]),
    ("bytes", &["sync"]),
    // The OAuth redirect and endpoint addresses.
    ("http", &["auth"]),
    ("url", &["auth"]),
    // The retry's jitter, and the made-up history.
    ("rand", &["pull", "synth"]),
    ("refinery", &["store"]),
    ("object_store", &["sync"]),
    ("reqwest", &["health_api", "auth", "notify"]),
    ("notify_rust", &["notify"]),
    ("oauth2", &["auth"]),
    ("keyring", &["auth"]),
    ("clap", &["cli"]),
    ("clap_complete", &["cli"]),
    ("clap_mangen", &["cli"]),
    ("indicatif", &["cli"]),
    ("comfy_table", &["cli"]),
    ("plotters", &["report"]),
    // Page fingerprints, and the version of a source policy.
    ("xxhash_rust", &["health_api", "sources"]),
    // Gzip: the API's compressed pages, and .tgz archives.
    ("flate2", &["health_api", "import"]),
    ("tar", &["import"]),
    ("toml", &["config"]),
    ("directories", &["config"]),
    ("sha2", &["sync"]),
    ("parquet", &["sync"]),
    // The readers and the writers.
    ("zip", &["import", "synth"]),
    ("csv", &["import", "export"]),
    // Time zones: the offsets of hours whose files state none.
    ("chrono_tz", &["import", "config"]),
    ("iana_time_zone", &["import"]),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Top-level module -> the text of its files, comments left out.
fn modules() -> BTreeMap<String, String> {
    modules_of(true)
}

/// [`modules`], with or without each file's unit tests (the `#[cfg(test)]` module that
/// ends a file), which may use any library as an independent check.
fn modules_of(with_tests: bool) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    for f in files {
        let rel = f.strip_prefix(src()).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let top = top.trim_end_matches(".rs").to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let text = match text.find("\n#[cfg(test)]\nmod tests") {
            Some(i) if !with_tests => &text[..i],
            _ => &text[..],
        };
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(|l| format!("{l}\n"))
            .collect();
        out.entry(top).or_default().push_str(&code);
    }
    out
}

/// The names `word::` is followed by, preceded by `prefix` (e.g. `crate::`), in `code`.
fn uses(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        out.insert(name);
    }
    out
}

#[test]
fn no_module_uses_one_above_it() {
    let layers: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mods = modules();
    for (m, code) in &mods {
        let allowed = layers
            .get(m.as_str())
            .unwrap_or_else(|| panic!("module {m} has no layer in tests/cli/architecture.rs"));
        for used in uses(code, "crate::") {
            assert!(
                used == *m || allowed.contains(&used.as_str()),
                "module {m} uses crate::{used}, which is not below it"
            );
        }
    }
    // The table itself is a strict order: a module only lists modules listed before it.
    for (i, (m, allowed)) in LAYERS.iter().enumerate() {
        for a in *allowed {
            assert!(
                LAYERS[..i].iter().any(|(n, _)| n == a),
                "{m} may use {a}, which is not in a lower layer"
            );
        }
    }
}

/// Libraries of the whole program's vocabulary, which any module may name: serialization
/// (serde's derives, and serde_json, the format of every file and page that is JSON),
/// error types (thiserror), logging (tracing), and chrono's date types and calendar
/// arithmetic. Reading and writing times as text is not vocabulary: see
/// `times_are_read_and_written_as_text_in_formats_and_model`.
const VOCABULARY: &[&str] = &["serde", "serde_json", "thiserror", "tracing", "chrono"];

/// The dependencies of Cargo.toml, as Rust names them.
fn dependencies() -> Vec<String> {
    let toml =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let section = toml
        .split("\n[dependencies]\n")
        .nth(1)
        .unwrap()
        .split("\n[")
        .next()
        .unwrap();
    section
        .lines()
        .filter_map(|l| l.split_once('=').map(|(name, _)| name.trim()))
        .filter(|n| !n.is_empty() && !n.starts_with('#'))
        .map(|n| n.replace('-', "_"))
        .collect()
}

#[test]
fn every_dependency_has_a_home_or_is_vocabulary() {
    let deps = dependencies();
    assert!(deps.len() > 20, "{deps:?}");
    for d in deps {
        assert!(
            VOCABULARY.contains(&d.as_str()) || HOMES.iter().any(|(lib, _)| *lib == d),
            "the dependency {d} has no home in tests/cli/architecture.rs (HOMES) and is not vocabulary"
        );
    }
}

#[test]
fn times_are_read_and_written_as_text_in_formats_and_model() {
    for (m, code) in modules_of(false) {
        if m == "formats" || m == "model" {
            continue;
        }
        for pattern in [
            "parse_from_str",
            "parse_from_rfc3339",
            "parse_from_rfc2822",
            ".format(\"%",
            "to_rfc3339",
        ] {
            assert!(
                !code.contains(pattern),
                "module {m} reads or writes a time as text ({pattern}); that is formats' or model's"
            );
        }
    }
}

#[test]
fn each_outside_library_lives_in_its_module() {
    for (m, code) in modules_of(false) {
        for (lib, homes) in HOMES {
            let named = !uses(&code, &format!("{lib}::")).is_empty()
                || code.contains(&format!("use {lib};"));
            assert!(
                !named || homes.contains(&m.as_str()),
                "{lib} is used in module {m}; it belongs to {homes:?}"
            );
        }
    }
}

#[test]
fn the_architecture_document_names_every_module() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ARCHITECTURE.md"))
            .unwrap();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    for f in files {
        let rel = f.strip_prefix(src()).unwrap().to_string_lossy().to_string();
        if rel == "lib.rs" || rel == "main.rs" || rel.ends_with("/mod.rs") {
            continue;
        }
        let name = rel.trim_end_matches(".rs");
        assert!(
            doc.contains(&format!("`{name}`")) || doc.contains(&format!("`{name}.rs`")),
            "docs/ARCHITECTURE.md does not name src/{rel} (as `{name}`)"
        );
    }
}

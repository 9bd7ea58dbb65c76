//! Helpers for the end-to-end tests: run the real `ttkg` binary on a
//! workspace and query the store it wrote.
#![allow(dead_code)]

pub mod server;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};

use polars::prelude::*;

use ttkg_graph::KnowledgeStore;

/// The folder of ttkg-cli's Cargo.toml, read when the test runs: a test
/// binary built in another clone that shares the build folder (CI) must not
/// look at that clone's files.
pub fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// The repository's root folder.
pub fn root() -> PathBuf {
    manifest_dir()
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

/// What a run of `ttkg` printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `ttkg --root ROOT ARGS...`.
pub fn ttkg(root: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_ttkg"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env_remove("TTKG_STORE")
        .env_remove("TTKG_ROOT")
        .output()
        .expect("the ttkg binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The demo import, done once for the whole test binary. The store admits
/// one process at a time, so the tests take turns through the lock.
pub fn demo() -> (MutexGuard<'static, ()>, &'static Path) {
    struct Demo {
        _dir: tempfile::TempDir,
        store: PathBuf,
    }
    static DEMO: OnceLock<Demo> = OnceLock::new();
    static TURN: Mutex<()> = Mutex::new(());
    let turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let demo = DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = dir.path().join("store");
        let run = import(&root(), &store, &[]);
        assert_eq!(
            run.code, 0,
            "import failed:\n{}\n{}",
            run.stdout, run.stderr
        );
        Demo { _dir: dir, store }
    });
    (turn, &demo.store)
}

/// A copy of the demo store at `to`, for a test that changes it or keeps a
/// process on it for long (a server): the shared store is held only while it
/// is copied, and no import is run again.
pub fn copy_demo_store(to: &Path) {
    let (_turn, store) = demo();
    copy_dir(store, to);
}

/// A private copy of the demo store, for a test that holds a store for
/// seconds (a server, a browser): the shared store stays free for the
/// others, which would otherwise queue behind it (a Virtuoso test waited
/// 40 s of a 110 s run for the report page's tests).
pub fn demo_store_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("store");
    copy_demo_store(&store);
    (dir, store)
}

/// A scratch workspace (see `scratch_workspace`) with the demo store copied
/// to its `store/`: what importing its data there would write.
pub fn scratch_workspace_with_demo_store() -> (tempfile::TempDir, PathBuf) {
    let ws = scratch_workspace();
    let store = ws.path().join("store");
    copy_demo_store(&store);
    (ws, store)
}

/// `ttkg --store STORE ARGS...` on the demo store.
pub fn on_demo(args: &[&str]) -> Run {
    let (_turn, store) = demo();
    on_store(store, args)
}

/// `ttkg --store STORE ARGS...` in the repository's workspace.
pub fn on_store(store: &Path, args: &[&str]) -> Run {
    let mut all = vec!["--store", store.to_str().expect("UTF-8")];
    all.extend_from_slice(args);
    ttkg(&root(), &all)
}

/// The rows of CSV text (a header first) as text, read with polars.
pub fn csv_rows(csv: String) -> Vec<Vec<String>> {
    let frame = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .into_reader_with_file_handle(std::io::Cursor::new(csv.into_bytes()))
        .finish()
        .expect("SPARQL CSV results parse");
    frame_rows(&frame)
}

/// Every cell as text, missing values as "".
pub fn frame_rows(frame: &DataFrame) -> Vec<Vec<String>> {
    (0..frame.height())
        .map(|i| {
            frame
                .columns()
                .iter()
                .map(|c| match c.get(i).expect("in range") {
                    AnyValue::Null => String::new(),
                    AnyValue::String(s) => s.to_owned(),
                    AnyValue::StringOwned(s) => s.to_string(),
                    AnyValue::Float64(f) => f.to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// Imports `root`'s data into `store` and checks that it succeeded.
pub fn import(root: &Path, store: &Path, extra: &[&str]) -> Run {
    let store = store.to_str().expect("UTF-8 temp path");
    let quarantine = Path::new(store).with_extension("quarantine");
    let mut args = vec![
        "import",
        "--store",
        store,
        "--quarantine",
        quarantine.to_str().expect("UTF-8"),
    ];
    args.extend_from_slice(extra);
    ttkg(root, &args)
}

/// One SELECT's rows, each value as text.
pub fn select(store: &KnowledgeStore, sparql: &str) -> Vec<Vec<String>> {
    store
        .select(sparql)
        .unwrap_or_else(|e| panic!("query failed: {e}\n{sparql}"))
        .into_iter()
        .map(|row| row.into_iter().map(Option::unwrap_or_default).collect())
        .collect()
}

/// The single value of a one-row, one-column SELECT.
pub fn value(store: &KnowledgeStore, sparql: &str) -> String {
    let rows = select(store, sparql);
    assert_eq!(
        rows.len(),
        1,
        "expected one row from\n{sparql}\ngot {rows:?}"
    );
    rows[0][0].clone()
}

pub fn number(store: &KnowledgeStore, sparql: &str) -> f64 {
    let v = value(store, sparql);
    v.parse()
        .unwrap_or_else(|_| panic!("`{v}` is not a number"))
}

/// Copies a folder tree (to give a test its own workspace).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("folder entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// A scratch workspace holding a copy of the repository's ontology,
/// pipelines and data.
pub fn scratch_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for part in ["ontology", "pipelines", "data", "queries", "reports"] {
        copy_dir(&root().join(part), &dir.path().join(part));
    }
    dir
}

/// The header line of a Vietnamese agreements report, as
/// `pipelines/vietnam-agreements.toml` reads it.
pub const VIETNAMESE_AGREEMENTS_HEADER: &str = "STT,Số hợp đồng,Tên công nghệ,Đơn vị phía Trung Quốc,Đơn vị phía Việt Nam,Lĩnh vực,Loại hợp đồng,Giá trị hợp đồng (VND),Ngày ký,Sự kiện ký kết";

/// A fixture folder of `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// A workspace with the repository's ontology and reference data and the
/// fixture's `pipelines/` and `data/`.
pub fn workspace_from(fixture_dir: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("ontology"), &dir.path().join("ontology"));
    copy_dir(
        &root().join("data/reference"),
        &dir.path().join("data/reference"),
    );
    copy_dir(
        &fixture_dir.join("pipelines"),
        &dir.path().join("pipelines"),
    );
    if fixture_dir.join("data").exists() {
        copy_dir(&fixture_dir.join("data"), &dir.path().join("data"));
    }
    dir
}

/// Runs a Python script of the repository (a path from its root) with the
/// interpreter that has SPARQLWrapper, rdflib, pyshacl and Selenium
/// (scripts/test makes a virtual environment and sets TTKG_PYTHON), and
/// checks that it succeeded.
pub fn python(script: &str, args: &[&str]) -> std::process::Output {
    let python = std::env::var("TTKG_PYTHON").unwrap_or_else(|_| "python3".into());
    let output = Command::new(&python)
        .arg(root().join(script))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{python} runs ({e}); scripts/test installs it"));
    assert!(
        output.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs `ttkg ARGS...` in the folder `dir`, without --root: the workspace
/// is found from there (or named by `env`).
pub fn ttkg_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ttkg"));
    command
        .current_dir(dir)
        .args(args)
        .env_remove("TTKG_STORE")
        .env_remove("TTKG_ROOT");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("the ttkg binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The names of the saved questions (`queries/*.rq`) of the workspace `ws`,
/// sorted.
pub fn saved_question_names(ws: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(ws.join("queries"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|x| x == "rq"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

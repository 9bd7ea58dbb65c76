//! The committed demo reports are exactly what the generator writes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository, from ttkg-demo's folder as it is when the test runs (CI
/// clones share a build folder, so the path at build time may be gone).
fn repository_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
        .join("../..")
}

#[test]
fn regenerating_the_demo_reports_gives_identical_bytes() {
    let root = repository_root();
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_ttkg-demo"))
        .arg("--out")
        .arg(out.path())
        .arg("--rates")
        .arg(root.join("data/reference/exchange-rates.csv"))
        .status()
        .unwrap();
    assert!(status.success());
    let list = |dir: &Path| -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let committed = root.join("data/reports");
    let generated = out.path().join("reports");
    assert_eq!(list(&committed), list(&generated), "the same files");
    for name in list(&generated) {
        let a = std::fs::read(committed.join(&name)).unwrap();
        let b = std::fs::read(generated.join(&name)).unwrap();
        assert!(a == b, "{name} differs from what `ttkg-demo` writes; run `cargo run -p ttkg-demo` and commit the result");
    }
}

#[test]
fn regenerating_the_messy_corpus_gives_identical_bytes() {
    let root = repository_root();
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_ttkg-demo"))
        .arg("--messy")
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());
    let committed = root.join("tests/fixtures/messy/data");
    let files = |dir: &Path| -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .flat_map(|sub| {
                let sub = sub.unwrap();
                std::fs::read_dir(sub.path()).unwrap().map(move |f| {
                    format!(
                        "{}/{}",
                        sub.file_name().to_string_lossy(),
                        f.unwrap().file_name().to_string_lossy()
                    )
                })
            })
            .collect()
    };
    assert_eq!(files(&committed), files(out.path()), "the same files");
    for name in files(out.path()) {
        let a = std::fs::read(committed.join(&name)).unwrap();
        let b = std::fs::read(out.path().join(&name)).unwrap();
        assert!(a == b, "{name} differs from what `ttkg-demo --messy` writes; run `cargo run -p ttkg-demo -- --messy tests/fixtures/messy/data` and commit the result");
    }
}

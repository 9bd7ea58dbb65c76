//! Crash safety: an import killed with SIGKILL at any moment leaves a store
//! that opens, holds every source either wholly or not at all, and that a
//! re-run brings to exactly the contents of an uninterrupted import.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ttkg_graph::oxigraph::model::GraphName;
use ttkg_graph::KnowledgeStore;

/// How many moments the import is killed at.
const KILL_POINTS: u32 = 20;

/// The store's facts by graph, as sorted N-Triples lines; the runs graph and
/// the run records in the default graph are left out (they differ by time).
fn contents(store: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let store = KnowledgeStore::open(store).expect("the store opens");
    let run = format!("<{}run/", ttkg_vocab::ID);
    let mut graphs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for quad in store.store().iter() {
        let quad = quad.expect("readable");
        let graph = match &quad.graph_name {
            // Nothing is stored there: questions see the named graphs' union.
            GraphName::DefaultGraph => "stored default".to_owned(),
            other => other.to_string(),
        };
        if graph == format!("<{}>", ttkg_vocab::RUNS_GRAPH) {
            continue;
        }
        let triple = format!("{} {} {} .", quad.subject, quad.predicate, quad.object);
        if triple.starts_with(&run) {
            continue;
        }
        graphs.entry(graph).or_default().insert(triple);
    }
    // The default graph as questions see it.
    for triple in store.union_triples().expect("the union") {
        let triple = triple.expect("readable");
        let text = format!(
            "{} {} {} .",
            triple.subject, triple.predicate, triple.object
        );
        if !text.starts_with(&run) {
            graphs.entry("default".to_owned()).or_default().insert(text);
        }
    }
    graphs
}

fn import_command(root: &Path, store: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ttkg"));
    command
        .arg("--root")
        .arg(root)
        .args(["import", "--store"])
        .arg(store)
        .arg("--quarantine")
        .arg(store.with_extension("quarantine"))
        .env_remove("TTKG_STORE")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// The repository's workspace without the membership list and the Guangxi
/// workbook, nine tenths of the demo's facts: the other reports (workbooks
/// and CSV files, new and replaced graphs) exercise the same loading at a
/// fifth of the cost.
fn small_workspace() -> tempfile::TempDir {
    let ws = common::scratch_workspace();
    for big in ["network-members.xlsx", "guangxi-agreements-2014-2016.xlsx"] {
        std::fs::remove_file(ws.path().join("data/reports").join(big)).unwrap();
    }
    ws
}

/// Starts `command` and kills it (SIGKILL) after `delay`.
fn kill_after(mut command: Command, delay: Duration) {
    let mut child = command.spawn().unwrap();
    std::thread::sleep(delay);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn an_import_killed_at_20_moments_leaves_whole_sources_and_converges() {
    let ws = small_workspace();
    let reference = ws.path().join("reference");
    let started = Instant::now();
    let status = import_command(ws.path(), &reference).status().unwrap();
    let full = started.elapsed();
    assert!(status.success());
    let expected = contents(&reference);
    assert!(expected.len() > 5, "several graphs: {:?}", expected.keys());

    // Two kill points at a time: the machine has two cores.
    std::thread::scope(|scope| {
        for lane in 0..2 {
            let (root, expected) = (ws.path(), &expected);
            scope.spawn(move || {
                for point in (lane..KILL_POINTS).step_by(2) {
                    kill_and_rerun(root, expected, full, point);
                }
            });
        }
    });
}

/// A report of 3,000 Vietnamese agreements numbered `VN-CN/{series}/N`:
/// about 54,000 facts that all change when the series does.
fn bulk_report(series: &str) -> String {
    let mut csv = format!("{}\n", common::VIETNAMESE_AGREEMENTS_HEADER);
    for i in 1..=3_000 {
        csv.push_str(&format!(
            "{i},VN-CN/{series}/{i},Giống lúa lai năng suất cao {},广州工业职业技术学院,Công ty Cổ phần Năng lượng Hải Phòng {},Giống cây trồng,Hợp tác đầu tư,{}.{:03}.000,20/02/2016,\n",
            i % 50,
            i % 40,
            i % 999 + 1,
            i % 1000
        ));
    }
    csv
}

/// A replacement too large for one transaction within the import's memory
/// (108,000 changed facts, in steps of 4,800 at `--memory 64M`) is written
/// in steps behind a rollback point: killed at any moment, the store opens
/// holding the old report or the new one, wholly, and a re-run converges.
#[test]
fn a_large_replacement_killed_at_4_moments_leaves_the_old_report_or_the_new() {
    let ws = small_workspace();
    let report = ws.path().join("data/reports/vietnam-agreements-bulk.csv");
    std::fs::write(&report, bulk_report("B")).unwrap();
    let before = ws.path().join("before");
    assert!(import_command(ws.path(), &before)
        .status()
        .unwrap()
        .success());
    let old = contents(&before);
    std::fs::write(&report, bulk_report("C")).unwrap();
    let import = |store: &Path| {
        let mut command = import_command(ws.path(), store);
        command.args(["--memory", "64M"]);
        command
    };
    // Finished, with the warning that 64M is less than the program holds.
    let finished = |mut command: std::process::Command| command.status().unwrap().code() == Some(8);
    let reference = ws.path().join("reference");
    common::copy_dir(&before, &reference);
    let started = Instant::now();
    assert!(finished(import(&reference)));
    let full = started.elapsed();
    let new = contents(&reference);
    assert!(old != new);
    const POINTS: u32 = 4;
    std::thread::scope(|scope| {
        for lane in 0..2 {
            let (before, old, new, import, finished) = (&before, &old, &new, &import, &finished);
            scope.spawn(move || {
                for point in (1 + lane..=POINTS).step_by(2) {
                    let store = before.with_file_name(format!("replaced-{point}"));
                    common::copy_dir(before, &store);
                    let delay = full.mul_f64(f64::from(point) / f64::from(POINTS + 1));
                    kill_after(import(&store), delay);
                    let after_kill = contents(&store);
                    assert!(
                        after_kill == *old || after_kill == *new,
                        "kill point {point} ({delay:?}): the store holds neither the old report nor the new one"
                    );
                    assert!(finished(import(&store)));
                    assert!(
                        contents(&store) == *new,
                        "kill point {point} ({delay:?}): the re-run did not converge"
                    );
                    std::fs::remove_dir_all(&store).unwrap();
                }
            });
        }
    });
}

/// Kills an import of `root` into a fresh store at `point`/20 of `full`,
/// checks what is left, re-runs it and compares with `expected`.
fn kill_and_rerun(
    root: &Path,
    expected: &BTreeMap<String, BTreeSet<String>>,
    full: Duration,
    point: u32,
) {
    let store = root.join(format!("killed-{point}"));
    // Spread the kills over the whole import, from its first moments on.
    let delay = full.mul_f64(f64::from(point) / f64::from(KILL_POINTS)) + Duration::from_millis(20);
    kill_after(import_command(root, &store), delay);

    if store.exists() {
        // Each source graph there is complete: exactly the uninterrupted import's.
        let after_kill = contents(&store);
        let mut union = BTreeSet::new();
        assert!(
            !after_kill.contains_key("stored default"),
            "kill point {point} ({delay:?}): facts stored in the default graph"
        );
        for (graph, triples) in after_kill.iter().filter(|(g, _)| *g != "default") {
            assert_eq!(
                Some(triples),
                expected.get(graph),
                "kill point {point} ({delay:?}): graph {graph} is partial"
            );
            union.extend(triples.iter().cloned());
        }
        // And the default graph is the union of what is there: no half-done merge.
        let default = after_kill.get("default").cloned().unwrap_or_default();
        assert!(
            default == union,
            "kill point {point} ({delay:?}): the default graph differs from the union of the loaded graphs ({} vs {} facts)",
            default.len(),
            union.len()
        );
    }
    // A re-run converges to the uninterrupted import's contents.
    let status = import_command(root, &store).status().unwrap();
    assert!(status.success(), "kill point {point}: the re-run failed");
    assert!(
        contents(&store) == *expected,
        "kill point {point} ({delay:?}): the re-run did not converge"
    );
    std::fs::remove_dir_all(&store).unwrap();
}

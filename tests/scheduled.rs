//! Imports as a scheduler runs them: one at a time, incremental, retracting
//! files that disappeared, with a dry run that changes nothing.

use crate::common;

use std::path::Path;

use common::{import, ttkg, value};
use ttkg_graph::KnowledgeStore;

fn count(store: &Path, class: &str) -> String {
    value(
        &KnowledgeStore::open(store).unwrap(),
        &format!("SELECT (COUNT(?e) AS ?n) WHERE {{ ?e a {class} }}"),
    )
}

/// The summary line of `file` (its second column, or its first in `runs show`).
fn status_of<'a>(stdout: &'a str, file: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| {
            let mut words = l.split_whitespace();
            let (first, second) = (words.next(), words.next());
            second == Some(file) || first.is_some_and(|w| w.contains(file))
        })
        .unwrap_or_else(|| panic!("{file} not in\n{stdout}"))
}

#[test]
fn a_second_import_exits_with_code_9_or_waits_for_the_first() {
    let ws = common::scratch_workspace();
    let store = ws.path().join("store");
    let held =
        ttkg_import::ImportLock::acquire(&store, ttkg_import::LockWait::FailFast, |_| {}).unwrap();
    let run = import(ws.path(), &store, &[]);
    assert_eq!(run.code, 9, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("another import is running on this store"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("process {}", std::process::id())),
        "names the holder: {}",
        run.stderr
    );
    let root = ws.path().to_owned();
    let waiting = {
        let store = store.clone();
        std::thread::spawn(move || import(&root, &store, &["--wait"]))
    };
    std::thread::sleep(std::time::Duration::from_secs(2));
    drop(held);
    let run = waiting.join().unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("waiting for the import already running"),
        "{}",
        run.stderr
    );
}

#[test]
fn unchanged_files_are_skipped_changed_ones_replaced_and_missing_ones_retracted() {
    let (ws, store) = common::scratch_workspace_with_demo_store();
    let events = ws.path().join("data/reports/transfer-events-2014-2016.csv");
    let courses = ws
        .path()
        .join("data/reports/training-courses-2013-2016.csv");
    // Change one course's trainee count, remove the events report.
    let text = std::fs::read_to_string(&courses).unwrap();
    let changed = text.replacen(",14,", ",15,", 1);
    assert_ne!(text, changed, "the fixture has a count to change");
    std::fs::write(&courses, changed).unwrap();
    std::fs::remove_file(&events).unwrap();

    // A dry run says what would happen and changes nothing.
    let dry = import(ws.path(), &store, &["--dry-run"]);
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    assert!(
        status_of(&dry.stdout, "reports/training-courses-2013-2016.csv").contains("would replace")
    );
    assert!(
        status_of(&dry.stdout, "reports/transfer-events-2014-2016.csv").contains("would retract")
    );
    assert!(
        status_of(&dry.stdout, "reports/guangxi-agreements-2014-2016.xlsx").contains("unchanged")
    );
    assert!(dry.stdout.contains("dry run: nothing was changed"));
    assert_eq!(count(&store, "ttkg:Event"), "22");

    // --keep-missing keeps the events.
    let kept = import(ws.path(), &store, &["--keep-missing"]);
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    assert!(status_of(&kept.stdout, "reports/training-courses-2013-2016.csv").contains("replaced"));
    assert!(!kept.stdout.contains("transfer-events"), "{}", kept.stdout);
    assert_eq!(count(&store, "ttkg:Event"), "22");

    // A plain run retracts them.
    let run = import(ws.path(), &store, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = status_of(&run.stdout, "reports/transfer-events-2014-2016.csv");
    assert!(line.contains("retracted"), "{line}");
    assert_eq!(count(&store, "ttkg:Event"), "0");
    assert!(status_of(&run.stdout, "reports/training-courses-2013-2016.csv").contains("unchanged"));
    // The other reports' data stays.
    assert_eq!(count(&store, "ttkg:NetworkMembership"), "1763");
    // The history: three runs (the dry run changed nothing and is not one).
    let runs = ttkg(ws.path(), &["--store", store.to_str().unwrap(), "runs"]);
    assert_eq!(runs.code, 0, "{}", runs.stderr);
    let lines: Vec<&str> = runs
        .stdout
        .lines()
        .filter(|l| l.starts_with("run/"))
        .collect();
    assert_eq!(lines.len(), 3, "{}", runs.stdout);
    assert!(lines[0].contains("succeeded"), "{}", lines[0]);
    let last = ttkg(
        ws.path(),
        &["--store", store.to_str().unwrap(), "runs", "show", "last"],
    );
    assert_eq!(last.code, 0, "{}", last.stderr);
    assert!(
        status_of(&last.stdout, "transfer-events").contains("retracted"),
        "{}",
        last.stdout
    );
    let id = lines[2].split_whitespace().next().unwrap();
    let first = ttkg(
        ws.path(),
        &["--store", store.to_str().unwrap(), "runs", "show", id],
    );
    assert_eq!(
        first
            .stdout
            .lines()
            .filter(|l| l.starts_with("reports/") && l.contains(" loaded "))
            .count(),
        9,
        "{}",
        first.stdout
    );
    let unknown = ttkg(
        ws.path(),
        &[
            "--store",
            store.to_str().unwrap(),
            "runs",
            "show",
            "run/nope",
        ],
    );
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    // Nothing left of the file, its provenance included.
    let store = KnowledgeStore::open(&store).unwrap();
    assert_eq!(
        value(&store, "SELECT (COUNT(*) AS ?n) WHERE { ?f a ttkg:SourceFile ; ttkg:filePath \"reports/transfer-events-2014-2016.csv\" }"),
        "0"
    );
}

#[test]
fn the_lock_file_of_a_finished_import_does_not_block_the_next() {
    let ws = common::scratch_workspace();
    let store = ws.path().join("store");
    let file = ws.path().join("data/reports/transfer-events-2014-2016.csv");
    assert_eq!(import(ws.path(), &store, &[file.to_str().unwrap()]).code, 0);
    assert!(
        store.join(ttkg_import::LOCK_FILE).exists(),
        "the lock file stays, unlocked"
    );
    let run = ttkg(
        ws.path(),
        &[
            "--store",
            store.to_str().unwrap(),
            "import",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn json_logs_give_one_object_per_event() {
    let ws = common::scratch_workspace();
    let store = ws.path().join("store");
    let file = ws.path().join("data/reports/transfer-events-2014-2016.csv");
    let run = import(
        ws.path(),
        &store,
        &["--log-format", "json", file.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "", "everything is in the JSON events");
    let events: Vec<serde_json::Value> = run
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"stage_start") && kinds.contains(&"file"),
        "{kinds:?}"
    );
    let last = events.last().unwrap();
    assert_eq!(last["event"], "run");
    assert_eq!(last["outcome"], "succeeded");
    assert_eq!(last["exit_code"], 0);
    assert_eq!(last["files_loaded"], 1);
    assert!(events
        .iter()
        .all(|e| e["time"].as_str().is_some_and(|t| t.ends_with('Z'))));
    let file_event = events.iter().find(|e| e["event"] == "file").unwrap();
    assert_eq!(file_event["rows_loaded"], 22);
    // Errors too.
    let bad = ttkg(
        ws.path(),
        &[
            "--log-format",
            "json",
            "--store",
            store.to_str().unwrap(),
            "import",
            "no-such-pipeline",
        ],
    );
    assert_eq!(bad.code, 2);
    let error: serde_json::Value =
        serde_json::from_str(bad.stderr.lines().last().unwrap()).unwrap();
    assert_eq!(error["event"], "error");
    assert_eq!(error["exit_code"], 2);
}

#[test]
fn a_changed_reference_table_or_pipeline_re_imports_what_depends_on_it() {
    let (ws, store) = common::scratch_workspace_with_demo_store();
    // A new exchange rate can change any amount: every file is read again.
    let rates = ws.path().join("data/reference/exchange-rates.csv");
    let mut table = std::fs::read_to_string(&rates).unwrap();
    table.push_str("2018,THB,32.31\n");
    std::fs::write(&rates, table).unwrap();
    let run = import(ws.path(), &store, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.matches(" replaced ").count(),
        9,
        "{}",
        run.stdout
    );
    // A changed pipeline re-imports its own files only.
    let pipeline = ws.path().join("pipelines/transfer-events.toml");
    let text = std::fs::read_to_string(&pipeline).unwrap();
    std::fs::write(&pipeline, format!("{text}\n# a comment is a change too\n")).unwrap();
    let run = import(ws.path(), &store, &[]);
    assert_eq!(
        run.stdout.matches(" replaced ").count(),
        1,
        "{}",
        run.stdout
    );
    assert!(status_of(&run.stdout, "reports/transfer-events-2014-2016.csv").contains("replaced"));
}

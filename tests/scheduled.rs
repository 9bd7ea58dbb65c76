//! Imports as a scheduler runs them: one at a time, incremental, retracting
//! files that disappeared, with a dry run that changes nothing.

mod common;

use std::path::Path;

use common::{import, ttkg, value};
use ttkg_graph::KnowledgeStore;

fn count(store: &Path, class: &str) -> String {
    value(
        &KnowledgeStore::open(store).unwrap(),
        &format!("SELECT (COUNT(?e) AS ?n) WHERE {{ ?e a {class} }}"),
    )
}

fn status_of<'a>(stdout: &'a str, file: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(file))
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
    let ws = common::scratch_workspace();
    let store = ws.path().join("store");
    assert_eq!(import(ws.path(), &store, &[]).code, 0);
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
    // Nothing left of the file, its provenance included.
    let store = KnowledgeStore::open(&store).unwrap();
    assert_eq!(
        value(&store, "SELECT (COUNT(*) AS ?n) WHERE { ?f ttkg:filePath \"reports/transfer-events-2014-2016.csv\" }"),
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

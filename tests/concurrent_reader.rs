//! Queries during an import see each source either before or after its
//! load, never a mix: a reader in the same process checks, snapshot by
//! snapshot, that every source graph is absent or complete and that the
//! default graph agrees with the graphs loaded so far.

use crate::common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::select;
use ttkg_graph::KnowledgeStore;
use ttkg_import::{ImportOptions, LockWait, Selection, Workspace};

fn options(root: &std::path::Path, store: &std::path::Path) -> ImportOptions {
    ImportOptions {
        workspace: Workspace {
            root: root.to_owned(),
            data_dir: root.join("data"),
            pipelines_dir: root.join("pipelines"),
            ontology_dir: root.join("ontology"),
        },
        store: store.to_owned(),
        quarantine_dir: store.with_extension("quarantine"),
        selection: Selection::All,
        force: false,
        validate: false,
        keep_missing: false,
        dry_run: false,
        wait: LockWait::FailFast,
        max_quarantined: None,
        memory: ttkg_import::DEFAULT_MEMORY,
    }
}

/// Triples per source graph, and agreements per source graph, in one snapshot.
fn snapshot(store: &KnowledgeStore) -> (BTreeMap<String, u64>, u64, u64) {
    let rows = select(
        store,
        "SELECT ?g (COUNT(*) AS ?n) (SUM(?agreement) AS ?a) ?total ?merged WHERE {
           { SELECT (COUNT(DISTINCT ?x) AS ?total) WHERE { ?x a ttkg:Agreement } }
           { SELECT (COUNT(DISTINCT ?y) AS ?merged) WHERE { GRAPH ?h { ?y a ttkg:Agreement } } }
           GRAPH ?g { ?s ?p ?o }
           FILTER(STRSTARTS(STR(?g), 'https://w3id.org/ttkg/graph/'))
           BIND(IF(?p = rdf:type && ?o = ttkg:Agreement, 1, 0) AS ?agreement)
         } GROUP BY ?g ?total ?merged",
    );
    let total = rows.first().map_or(0, |r| r[3].parse().unwrap());
    let merged = rows.first().map_or(0, |r| r[4].parse().unwrap());
    (
        rows.into_iter()
            .map(|r| (r[0].clone(), r[1].parse().unwrap()))
            .collect(),
        total,
        merged,
    )
}

#[test]
fn a_concurrent_reader_sees_each_source_whole_or_not_at_all() {
    let ws = common::scratch_workspace();
    // The complete graphs, from an import nobody watches.
    let reference_path = ws.path().join("reference");
    let reference = KnowledgeStore::open(&reference_path).unwrap();
    ttkg_import::run_on(
        &reference,
        &options(ws.path(), &reference_path),
        &ttkg_import::NoProgress,
    )
    .unwrap();
    let (complete, agreements, _) = snapshot(&reference);
    assert_eq!(agreements, 393);

    let path = ws.path().join("watched");
    let store = Arc::new(KnowledgeStore::open(&path).unwrap());
    let done = Arc::new(AtomicBool::new(false));
    let importer = {
        let (store, done, root, path) = (
            store.clone(),
            done.clone(),
            ws.path().to_owned(),
            path.clone(),
        );
        std::thread::spawn(move || {
            let report =
                ttkg_import::run_on(&store, &options(&root, &path), &ttkg_import::NoProgress);
            done.store(true, Ordering::SeqCst);
            report.map(|r| r.files.len())
        })
    };
    let mut snapshots = 0;
    let mut partial_states = 0;
    loop {
        let finished = done.load(Ordering::SeqCst);
        let (graphs, total, merged) = snapshot(&store);
        for (graph, triples) in &graphs {
            assert_eq!(
                Some(triples),
                complete.get(graph),
                "snapshot {snapshots}: {graph} is partial"
            );
        }
        assert_eq!(
            total, merged,
            "snapshot {snapshots}: the default graph disagrees with the loaded graphs"
        );
        if !graphs.is_empty() && graphs.len() < complete.len() {
            partial_states += 1;
        }
        snapshots += 1;
        if finished {
            break;
        }
    }
    assert_eq!(importer.join().unwrap().unwrap(), 9);
    assert_eq!(snapshot(&store).0, complete);
    assert!(snapshots > 2, "the reader ran during the import ({snapshots} snapshots, {partial_states} between sources)");
}

/// The analyst's commands while `ttkg import` (another process) holds the
/// store: each answers from the state last published, whole sources only,
/// and says so; none waits for the import or fails.
#[test]
fn the_commands_read_the_last_published_state_while_an_import_runs() {
    let ws = common::scratch_workspace();
    let store = ws.path().join("store");
    let vietnam = "reports/vietnam-agreements-2016.csv";
    let held = ws.path().join("vietnam.csv");
    std::fs::rename(ws.path().join("data").join(vietnam), &held).unwrap();
    assert_eq!(common::import(ws.path(), &store, &[]).code, 0);
    std::fs::rename(&held, ws.path().join("data").join(vietnam)).unwrap();

    let store_arg = store.to_str().unwrap().to_owned();
    let quarantine = ws.path().join("quarantine");
    // --force re-reads every file: an import long enough to read during.
    let mut import = std::process::Command::new(env!("CARGO_BIN_EXE_ttkg"))
        .args(["--root", ws.path().to_str().unwrap(), "import", "--force"])
        .args([
            "--store",
            &store_arg,
            "--quarantine",
            quarantine.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(ws.path().join("import.log")).unwrap())
        .spawn()
        .unwrap();
    let count = "SELECT (COUNT(?a) AS ?n) WHERE { ?a a ttkg:Agreement }";
    let mut answers = std::collections::BTreeSet::new();
    let mut during = 0;
    let mut other_commands = false;
    loop {
        let finished = import.try_wait().unwrap().is_some();
        let query = common::ttkg(
            ws.path(),
            &["--store", &store_arg, "query", "--format", "csv", count],
        );
        assert_eq!(query.code, 0, "{}", query.stderr);
        answers.insert(query.stdout.clone());
        if query.stderr.contains("an import") && query.stderr.contains("last published") {
            during += 1;
            if !other_commands {
                other_commands = true;
                for args in [
                    vec!["stats"],
                    vec!["runs"],
                    vec!["export", "technologies", "--format", "csv", "--output"],
                ] {
                    let mut args: Vec<String> = args.into_iter().map(str::to_owned).collect();
                    if args[0] == "export" {
                        args.push(ws.path().join("export").to_string_lossy().into_owned());
                    }
                    let mut all = vec!["--store".to_owned(), store_arg.clone()];
                    all.extend(args);
                    let all: Vec<&str> = all.iter().map(String::as_str).collect();
                    let run = common::ttkg(ws.path(), &all);
                    assert_eq!(
                        run.code, 0,
                        "ttkg {all:?} during the import:\n{}",
                        run.stderr
                    );
                }
                let validate = common::ttkg(ws.path(), &["--store", &store_arg, "validate"]);
                assert!(
                    [0, 7].contains(&validate.code),
                    "validate during the import: {}\n{}",
                    validate.code,
                    validate.stderr
                );
            }
        }
        if finished {
            break;
        }
    }
    assert!(
        import.wait().unwrap().success(),
        "{}",
        std::fs::read_to_string(ws.path().join("import.log")).unwrap()
    );
    let expected: std::collections::BTreeSet<String> =
        ["n\r\n343\r\n".to_owned(), "n\r\n393\r\n".to_owned()].into();
    assert!(
        answers.is_subset(&expected),
        "before or after, never between: {answers:?}"
    );
    assert!(during > 0, "a query ran while the import held the store");
    assert!(other_commands);
    let after = common::ttkg(
        ws.path(),
        &["--store", &store_arg, "query", "--format", "csv", count],
    );
    assert_eq!(after.stdout, "n\r\n393\r\n");
}

/// Like git: from any folder inside the workspace, ttkg finds it; outside
/// one it says how to name it.
#[test]
fn the_workspace_is_found_from_any_folder_inside_it() {
    let (ws, store) = common::scratch_workspace_with_demo_store();
    let inside = ws.path().join("data").join("reports");
    let run = common::ttkg_in(
        &inside,
        &[
            "--store",
            store.to_str().unwrap(),
            "query",
            "--saved",
            "headline-figures",
            "--format",
            "csv",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("1763"), "{}", run.stdout);

    let outside = tempfile::tempdir().unwrap();
    let run = common::ttkg_in(
        outside.path(),
        &[
            "--store",
            store.to_str().unwrap(),
            "query",
            "--saved",
            "headline-figures",
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--root") && run.stderr.contains("TTKG_ROOT"),
        "{}",
        run.stderr
    );
    let named = common::ttkg_in(
        outside.path(),
        &[
            "--store",
            store.to_str().unwrap(),
            "query",
            "--saved",
            "headline-figures",
            "--format",
            "csv",
        ],
        &[("TTKG_ROOT", ws.path().to_str().unwrap())],
    );
    assert_eq!(named.code, 0, "{}", named.stderr);
}

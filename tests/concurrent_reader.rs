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

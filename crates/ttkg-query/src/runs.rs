//! The import runs recorded in the runs graph: a list, and one run's detail.

use ttkg_graph::KnowledgeStore;
use ttkg_vocab::{ID, RUNS_GRAPH};

use crate::stats::select_table as table;
use crate::{QueryError, StatsTable};

/// Every run, newest first: id, times, outcome and totals.
pub fn runs(store: &KnowledgeStore) -> Result<StatsTable, QueryError> {
    let sparql = format!(
        "SELECT ?run ?started ?ended ?outcome ?imported ?replaced ?skipped ?retracted ?failed ?rows ?quarantined ?added ?removed
         WHERE {{ GRAPH <{RUNS_GRAPH}> {{
           ?run a ttkg:ImportRun ; prov:startedAtTime ?started ; prov:endedAtTime ?ended .
           OPTIONAL {{ ?run ttkg:outcome ?outcome ; ttkg:filesImported ?imported ; ttkg:filesReplaced ?replaced ;
             ttkg:filesSkipped ?skipped ; ttkg:filesRetracted ?retracted ; ttkg:filesFailed ?failed ;
             ttkg:rowsLoaded ?rows ; ttkg:rowsQuarantined ?quarantined ; ttkg:triplesAdded ?added ; ttkg:triplesRemoved ?removed }}
         }} }} ORDER BY DESC(?started)"
    );
    table(
        store,
        "import runs",
        &[
            "run",
            "started",
            "ended",
            "outcome",
            "imported",
            "replaced",
            "skipped",
            "retracted",
            "failed",
            "rows loaded",
            "quarantined",
            "+triples",
            "-triples",
        ],
        &sparql,
    )
}

/// One run's files: what it did with each it changed or failed on.
pub fn run_detail(store: &KnowledgeStore, id: &str) -> Result<StatsTable, QueryError> {
    let iri = run_iri(store, id)?;
    let sparql = format!(
        "SELECT ?file ?pipeline ?change ?rows ?quarantined ?added ?removed ?message
           (GROUP_CONCAT(?warning; SEPARATOR=\" | \") AS ?warnings)
         WHERE {{ GRAPH <{RUNS_GRAPH}> {{
           <{iri}> ttkg:change ?c . ?c ttkg:filePath ?file ; ttkg:pipeline ?pipeline ; ttkg:changeKind ?change ;
             ttkg:rowsLoaded ?rows ; ttkg:rowsQuarantined ?quarantined ; ttkg:triplesAdded ?added ; ttkg:triplesRemoved ?removed .
           OPTIONAL {{ ?c ttkg:message ?message }}
           OPTIONAL {{ ?c ttkg:warning ?warning }}
         }} }}
         GROUP BY ?file ?pipeline ?change ?rows ?quarantined ?added ?removed ?message
         ORDER BY ?change ?file ?pipeline"
    );
    table(
        store,
        "files changed",
        &[
            "file",
            "pipeline",
            "change",
            "rows loaded",
            "quarantined",
            "+triples",
            "-triples",
            "message",
            "warnings",
        ],
        &sparql,
    )
}

/// The run `id` names: its full IRI, the part after `run/`, or `last`.
fn run_iri(store: &KnowledgeStore, id: &str) -> Result<String, QueryError> {
    let all = runs(store)?;
    let ids: Vec<&str> = all.rows.iter().map(|r| r[0].as_str()).collect();
    let wanted = if id == "last" {
        ids.first().copied()
    } else {
        ids.iter()
            .copied()
            .find(|r| *r == id || r.trim_start_matches("run/") == id)
    };
    wanted
        .map(|short| format!("{ID}{short}"))
        .ok_or_else(|| QueryError::UnknownRun {
            id: id.to_owned(),
            available: ids.iter().take(10).copied().collect::<Vec<_>>().join(", "),
        })
}

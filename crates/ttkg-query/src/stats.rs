//! What the store holds: entities per class, facts per source file, and the
//! import runs.

use ttkg_graph::KnowledgeStore;
use ttkg_vocab::{ID, ONTOLOGY_GRAPH, RUNS_GRAPH};

use crate::QueryError;

/// One table of `ttkg stats`.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsTable {
    pub title: &'static str,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Counts per class, per source file and per run.
pub fn stats(store: &KnowledgeStore) -> Result<Vec<StatsTable>, QueryError> {
    let classes = format!(
        "SELECT ?class (COUNT(DISTINCT ?s) AS ?entities) WHERE {{
           GRAPH ?g {{ ?s a ?class }}
           FILTER(?g NOT IN (<{ONTOLOGY_GRAPH}>, <{RUNS_GRAPH}>))
         }} GROUP BY ?class ORDER BY DESC(?entities) ?class"
    );
    let sources =
        "SELECT ?file ?pipeline ?rows_read ?rows_quarantined (COUNT(*) AS ?triples) WHERE {
           ?f a ttkg:SourceFile ; ttkg:filePath ?file ; ttkg:pipeline ?pipeline ;
              ttkg:rowsRead ?rows_read ; ttkg:rowsQuarantined ?rows_quarantined ;
              ttkg:producedGraph ?g .
           GRAPH ?g { ?s ?p ?o }
         } GROUP BY ?file ?pipeline ?rows_read ?rows_quarantined ORDER BY ?file";
    let runs = format!(
        "SELECT ?run ?started ?ended (COUNT(DISTINCT ?file) AS ?files) WHERE {{
           GRAPH <{RUNS_GRAPH}> {{
             ?run a ttkg:ImportRun ; prov:startedAtTime ?started ; prov:endedAtTime ?ended .
             OPTIONAL {{ ?run prov:used ?file }}
           }}
         }} GROUP BY ?run ?started ?ended ORDER BY DESC(?started)"
    );
    let table = |title: &'static str, header: &[&str], sparql: &str| {
        select_table(store, title, header, sparql)
    };
    Ok(vec![
        table("entities per class", &["class", "entities"], &classes)?,
        table(
            "source files",
            &[
                "file",
                "pipeline",
                "rows read",
                "rows quarantined",
                "triples",
            ],
            sources,
        )?,
        table("import runs", &["run", "started", "ended", "files"], &runs)?,
    ])
}

/// The rows of `sparql` as a titled table of text, IRIs shortened: terms
/// of the predeclared prefixes as prefixed names (`ttkg:Local`,
/// `org:Membership`), instances without the instance base (`run/…`).
pub(crate) fn select_table(
    store: &KnowledgeStore,
    title: &'static str,
    header: &[&str],
    sparql: &str,
) -> Result<StatsTable, QueryError> {
    let rows = store
        .select(sparql)?
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|v| {
                    let v = v.unwrap_or_default();
                    if let Some(instance) = v.strip_prefix(ID) {
                        instance.to_owned()
                    } else if v.contains("://") {
                        // Any predeclared prefix (ttkg:, skos:, org:, prov:, …).
                        let compact = ttkg_vocab::compact(&v);
                        if compact.starts_with('<') {
                            v
                        } else {
                            compact
                        }
                    } else {
                        v
                    }
                })
                .collect()
        })
        .collect();
    Ok(StatsTable {
        title,
        header: header.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    })
}

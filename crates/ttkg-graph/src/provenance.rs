//! Provenance, in one place: the row a fact came from, the file a source's
//! graph was read from, and the import run that loaded it, as PROV-O and
//! ttkg terms. The mapper, the importer and the store write these and
//! nothing else of the kind, so `fact-provenance` and `ttkg runs` read one
//! shape.

use oxigraph::model::{Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use ttkg_vocab::{public, ttkg};

fn named(iri: &str) -> NamedNode {
    NamedNode::new_unchecked(iri)
}

fn term(local: &str) -> NamedNode {
    named(&ttkg::iri(local))
}

fn text(value: &str) -> Term {
    Literal::new_simple_literal(value).into()
}

fn integer(value: impl ToString) -> Term {
    Literal::new_typed_literal(value.to_string(), named(public::XSD_INTEGER)).into()
}

fn facts(subject: &NamedNode, facts: Vec<(NamedNode, Term)>) -> Vec<Triple> {
    let s = NamedOrBlankNode::NamedNode(subject.clone());
    facts
        .into_iter()
        .map(|(p, o)| Triple::new(s.clone(), p, o))
        .collect()
}

/// Where a row's entities came from: each `prov:wasDerivedFrom` the row's
/// node, which names its file, sheet and number. When a file is published,
/// only the links of entities the row states something new about are kept
/// (see [`crate::consistency::kept_triples`]).
///
/// The node is a `ttkg:SourceRow` by the domain of `ttkg:rowNumber` and
/// `ttkg:sourceFile`, not by a stated type: a million-row import would
/// spend a million quads, a twentieth of its store, saying so.
pub fn row(
    described: impl IntoIterator<Item = NamedNode>,
    row: &NamedNode,
    file: &NamedNode,
    number: i64,
    sheet: Option<&str>,
) -> Vec<Triple> {
    let derived_from = named(public::PROV_WAS_DERIVED_FROM);
    let mut out: Vec<Triple> = described
        .into_iter()
        .map(|subject| Triple::new(subject, derived_from.clone(), row.clone()))
        .collect();
    let mut about = vec![
        (term(ttkg::SOURCE_FILE_PROP), file.clone().into()),
        (term(ttkg::ROW_NUMBER), integer(number)),
    ];
    if let Some(sheet) = sheet {
        about.push((term(ttkg::SHEET), text(sheet)));
    }
    out.extend(facts(row, about));
    out
}

/// A source file as its graph records it.
#[derive(Debug, Clone)]
pub struct SourceFile<'a> {
    pub node: &'a NamedNode,
    /// The path under the data folder, with `/`.
    pub path: &'a str,
    pub bytes: u64,
    pub sha256: &'a str,
    pub pipeline: &'a str,
    pub pipeline_version: &'a str,
    /// The graph its facts are in.
    pub graph: &'a NamedNode,
    pub rows_read: usize,
    pub rows_quarantined: usize,
}

/// The file's provenance, stored in its own graph so it is replaced with it.
pub fn file(source: &SourceFile) -> Vec<Triple> {
    facts(
        source.node,
        vec![
            (named(public::RDF_TYPE), term(ttkg::SOURCE_FILE).into()),
            // Stated as well as implied by the subclass axiom, so that plain
            // PROV-O queries (`?f a prov:Entity`) find the files.
            (named(public::RDF_TYPE), named(public::PROV_ENTITY).into()),
            (term(ttkg::FILE_PATH), text(source.path)),
            (term(ttkg::BYTE_SIZE), integer(source.bytes)),
            (term(ttkg::SHA256), text(source.sha256)),
            (term(ttkg::PIPELINE), text(source.pipeline)),
            (term(ttkg::PIPELINE_VERSION), text(source.pipeline_version)),
            (term(ttkg::PRODUCED_GRAPH), source.graph.clone().into()),
            (term(ttkg::ROWS_READ), integer(source.rows_read)),
            (
                term(ttkg::ROWS_QUARANTINED),
                integer(source.rows_quarantined),
            ),
        ],
    )
}

/// One run of the importer, for the runs graph.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub iri: NamedNode,
    /// xsd:dateTime lexical forms.
    pub started: String,
    pub ended: String,
    pub tool_version: String,
    /// Source-file nodes the run read, with the graph each produced.
    pub used: Vec<(NamedNode, NamedNode)>,
    /// succeeded, succeeded with quarantined rows, some sources failed.
    pub outcome: String,
    /// Totals, as (ttkg property local name, value): filesImported, rowsLoaded, …
    pub totals: Vec<(&'static str, usize)>,
    /// What the run did with each file it changed (or failed on).
    pub changes: Vec<FileChange>,
}

/// One file an import run loaded, replaced, retracted or failed on.
#[derive(Debug, Clone)]
pub struct FileChange {
    pub pipeline: String,
    pub file: String,
    /// loaded, replaced, retracted, failed.
    pub kind: &'static str,
    pub rows_loaded: usize,
    pub rows_quarantined: usize,
    pub triples_added: usize,
    pub triples_removed: usize,
    /// Why it failed.
    pub message: Option<String>,
    /// What needs a look although it loaded (a declared column it lacks).
    pub warnings: Vec<String>,
}

/// The run as a `ttkg:ImportRun` (a `prov:Activity`) with its times, the
/// files it used and the graphs they produced, its outcome and totals, and
/// a `ttkg:FileChange` per file it changed.
pub fn run(run: &RunRecord) -> Vec<Triple> {
    let date_time =
        |v: &str| -> Term { Literal::new_typed_literal(v, named(public::XSD_DATE_TIME)).into() };
    let mut about = vec![
        (named(public::RDF_TYPE), term(ttkg::IMPORT_RUN).into()),
        (named(public::RDF_TYPE), named(public::PROV_ACTIVITY).into()),
        (named(public::PROV_STARTED), date_time(&run.started)),
        (named(public::PROV_ENDED), date_time(&run.ended)),
        (term(ttkg::TOOL_VERSION), text(&run.tool_version)),
        (term(ttkg::OUTCOME), text(&run.outcome)),
    ];
    for (file, graph) in &run.used {
        about.push((named(public::PROV_USED), file.clone().into()));
        about.push((term(ttkg::PRODUCED_GRAPH), graph.clone().into()));
    }
    for (property, value) in &run.totals {
        about.push((term(property), integer(*value)));
    }
    let mut out = Vec::new();
    for (i, change) in run.changes.iter().enumerate() {
        let node = named(&format!("{}/change/{}", run.iri.as_str(), i + 1));
        about.push((term(ttkg::CHANGE), node.clone().into()));
        out.extend(facts(&node, change_facts(change)));
    }
    out.extend(facts(&run.iri, about));
    out
}

fn change_facts(change: &FileChange) -> Vec<(NamedNode, Term)> {
    let mut about = vec![
        (named(public::RDF_TYPE), term(ttkg::FILE_CHANGE).into()),
        (term(ttkg::PIPELINE), text(&change.pipeline)),
        (term(ttkg::FILE_PATH), text(&change.file)),
        (term(ttkg::CHANGE_KIND), text(change.kind)),
        (term(ttkg::ROWS_LOADED), integer(change.rows_loaded)),
        (
            term(ttkg::ROWS_QUARANTINED),
            integer(change.rows_quarantined),
        ),
        (term(ttkg::TRIPLES_ADDED), integer(change.triples_added)),
        (term(ttkg::TRIPLES_REMOVED), integer(change.triples_removed)),
    ];
    if let Some(message) = &change.message {
        about.push((term(ttkg::MESSAGE), text(message)));
    }
    for warning in &change.warnings {
        about.push((term(ttkg::WARNING), text(warning)));
    }
    about
}

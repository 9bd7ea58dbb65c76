use std::path::PathBuf;

/// Failures of the ontology, the mapping or the store.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("{}: cannot read the ontology file: {source}", path.display())]
    OntologyIo {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: the ontology file is not valid Turtle: {message}", path.display())]
    OntologySyntax { path: PathBuf, message: String },
    #[error("cannot open the store at {}: {message}. If another ttkg command is running on it, wait for it to finish; otherwise check the folder's permissions", path.display())]
    Open { path: PathBuf, message: String },
    #[error("store error: {0}")]
    Storage(#[from] oxigraph::store::StorageError),
    #[error("query error: {0}")]
    Query(#[from] oxigraph::sparql::QueryEvaluationError),
    #[error("SPARQL syntax error: {0}")]
    Syntax(#[from] oxigraph::sparql::SparqlSyntaxError),
    #[error("pipeline `{pipeline}`, entity `{entity}`: {message}")]
    Mapping {
        pipeline: String,
        entity: String,
        message: String,
    },
    #[error("reading or writing RDF failed: {0}")]
    Io(String),
    #[error("reading the normalised table failed: {0}")]
    Polars(#[from] polars::prelude::PolarsError),
}

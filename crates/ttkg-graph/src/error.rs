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
    /// Another process has the store open (RocksDB takes one process per folder).
    #[error("cannot open the store at {}: another ttkg process (an import, a query, an export or `ttkg serve`) has it open; wait for it to finish and try again ({message})", path.display())]
    Held { path: PathBuf, message: String },
    /// A replacement written in steps failed after some of them.
    #[error("replacing graph <{graph}> failed half-way ({message}); nothing more is written, and the store at {} goes back to how it was before this file when it is next opened: run the import again once the cause is fixed", path.display())]
    HalfWritten {
        graph: String,
        path: PathBuf,
        message: String,
    },
    #[error("the store's rollback point at {}: {message}; check the store folder's permissions and free space", path.display())]
    Rollback { path: PathBuf, message: String },
    #[error("the store at {} was left half-written by a failed replacement earlier in this run; it goes back to how it was before that file when it is next opened: run the import again", path.display())]
    StoreHalfWritten { path: PathBuf },
    #[error("store error: {0}")]
    Storage(#[from] oxigraph::store::StorageError),
    #[error("query error: {0}")]
    Query(#[from] oxigraph::sparql::QueryEvaluationError),
    #[error("the query is nested too deeply (limit {limit}): more than {limit} levels of brackets at line {line}, column {column}; write it with fewer nested parentheses or groups")]
    TooDeep {
        limit: usize,
        line: usize,
        column: usize,
    },
    #[error("SPARQL syntax error: {0}")]
    Syntax(#[from] oxigraph::sparql::SparqlSyntaxError),
    #[error("pipeline `{pipeline}`, entity `{entity}`: {message}")]
    Mapping {
        pipeline: String,
        entity: String,
        message: String,
    },
    /// A write the store does not take (it would break the union default graph, say).
    #[error("{0}")]
    WriteRefused(String),
    #[error("the update failed: {0}")]
    Update(String),
    #[error("the answer has more than {limit} rows or triples, the server's limit; narrow the question (LIMIT, FILTER) or ask for a larger limit")]
    TooLarge { limit: usize },
    #[error("the answer is larger than {limit} bytes, the server's limit; narrow the question (LIMIT, FILTER, fewer columns) or ask for a larger limit")]
    TooBig { limit: usize },
    #[error("reading or writing RDF failed: {0}")]
    Io(String),
    /// A question to a remote store (`--endpoint`) that failed there.
    #[error("the remote store: {0}")]
    Remote(String),
    #[error("reading the normalised table failed: {0}")]
    Polars(#[from] polars::prelude::PolarsError),
}

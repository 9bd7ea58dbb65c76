//! The knowledge graph: the ontology and its vocabularies, the mapping of
//! normalised rows to RDF, and the embedded oxigraph store.
//!
//! Each (pipeline, source file) pair owns one named graph. Loading replaces
//! that graph in a single store transaction, so a query sees either the old
//! version of a file's facts or the new one, never a mix or a half. The
//! default graph is their union, merged at query time (see [`union`]).

pub mod columns;
pub mod consistency;
mod dump;
mod entities;
mod error;
mod mapper;
pub mod nesting;
mod ontology;
pub mod provenance;
mod rollback;
pub mod snapshot;
pub mod stamps;
pub mod store;
mod terms;
mod union;
mod writes;

pub use consistency::{Conflict, Duplicate, Origin, SingleValued};
pub use error::GraphError;
pub use mapper::{
    decimal_text, map_rows, MappedRow, MappedTable, SourceRef, Terms, TripleIds, NO_COLUMN,
};
pub use ontology::{parse_turtle, Ontology, PropertyDescription};
pub use provenance::{FileChange, RunRecord, SourceFile};
pub use stamps::GraphStamps;
pub use store::{check_query, GraphSelection, KnowledgeStore, Preview, Queryable, ReplaceStats};
pub use writes::{parse_triples, UpdateDelta};

pub use oxigraph;

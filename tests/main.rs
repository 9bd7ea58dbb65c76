//! The end-to-end tests: the real `ttkg` binary on real files in temporary
//! workspaces, answers checked with SPARQL. One test binary, so that polars,
//! oxigraph and RocksDB are linked once rather than once per file.
//!
//! `cargo test -p ttkg-cli --test end_to_end trust::` runs one file of them.

mod common;

mod analyst;
mod browser;
mod concurrent_reader;
mod crash;
mod draft;
mod hostile;
mod import_behaviour;
mod import_demo;
mod messy;
mod ontology;
mod plans;
mod publish;
mod report;
mod scheduled;
mod security;
mod serve;
mod trust;

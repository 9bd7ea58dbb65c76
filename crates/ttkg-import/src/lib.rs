//! The import: runs pipelines over report files and loads the results.
//!
//! Work happens in three stages. *Prepare* loads the ontology, reference
//! tables and pipelines and refuses to start if any pipeline is invalid.
//! *Read* takes every (pipeline, file) pair in parallel (rayon): hash, read,
//! normalise, map to triples and check the rows against each other, in
//! memory ([`prepare`](crate::prepare)). *Publish* then takes each source in
//! turn: its rows are checked against the other sources, a file that lost
//! too many rows to quarantine fails, and the rest replaces the source's
//! named graph in one step ([`publish`](crate::publish)). A file that failed
//! anywhere leaves its previous graph untouched; a file that succeeded is
//! visible whole.

mod budget;
mod fingerprint;
mod gate;
mod lock;
mod prepare;
mod publish;
mod quarantine;
mod report;
mod run;
mod settings;
mod sources;
mod workspace;

pub use lock::{import_holder, ImportLock, LockWait, LOCK_FILE};
pub use quarantine::{NameResolution, QuarantineRecord, SkippedRow};
pub use report::{outcome, FileReport, FileStatus, ImportReport, Timings};
pub use run::{check_files, run, run_on, READER_PATIENCE};
pub use settings::{Settings, TargetSettings, SETTINGS_FILE};
pub use sources::{Selection, WorkUnit};
pub use workspace::{default_store, prepare, reference_warnings, Workspace};

use std::path::PathBuf;

use ttkg_graph::GraphError;
use ttkg_pipeline::PipelineErrors;

/// What to import and how.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub workspace: Workspace,
    pub store: PathBuf,
    /// Folder for the per-run quarantine files.
    pub quarantine_dir: PathBuf,
    pub selection: Selection,
    /// Re-read files even when their content and pipeline are unchanged.
    pub force: bool,
    /// Check each source against `ontology/shapes.ttl` before publishing
    /// it; a source that does not conform is not loaded.
    pub validate: bool,
    /// Keep the data of files that are no longer in the data folder (by
    /// default it is retracted when every pipeline, or the file's, runs).
    pub keep_missing: bool,
    /// Say what would be imported, replaced and retracted; change nothing.
    pub dry_run: bool,
    /// When another import holds the store: wait for it, or fail at once.
    pub wait: LockWait,
    /// The share of a file's rows that may be quarantined before the file
    /// fails, for every pipeline (each pipeline's `max_quarantined` otherwise).
    pub max_quarantined: Option<f64>,
    /// Bytes the run aims to stay within: it sets how many files are read
    /// at once, how much of a file's facts may be held and how much
    /// oxigraph's bulk loader holds ([`DEFAULT_MEMORY`] unless given). For
    /// [`run`] and [`check_files`] it is what the whole process may hold,
    /// what it holds as the run begins included; for [`run_on`] (an import
    /// within a server) what the import's work adds.
    pub memory: u64,
}

/// The memory an import aims to stay within unless told otherwise: 1.5 GiB.
pub const DEFAULT_MEMORY: u64 = 1536 << 20;

/// The stages progress is reported for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Read,
    Load,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::Read => "read + normalise",
            Stage::Load => "load",
        }
    }
}

/// Receives progress; the CLI draws bars or prints lines.
pub trait Progress: Sync {
    fn start(&self, stage: Stage, total: u64);
    fn advance(&self, stage: Stage, message: &str);
    fn finish(&self, stage: Stage);
}

/// Progress that goes nowhere (tests, libraries).
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: Stage, _: u64) {}
    fn advance(&self, _: Stage, _: &str) {}
    fn finish(&self, _: Stage) {}
}

/// Reasons the import as a whole cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the pipelines have errors; nothing was imported:\n{0}")]
    Pipelines(PipelineErrors),
    #[error("the ontology cannot be loaded: {0}")]
    Ontology(#[source] GraphError),
    #[error("{0}")]
    Store(#[source] GraphError),
    /// A reference file (the exchange rates, the alias table, the shapes,
    /// ttkg.toml) that cannot be read; the cause is kept.
    #[error("{path}: {source}")]
    Reference {
        path: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("{0}")]
    Selection(String),
    #[error("cannot write the quarantine file {}: {message}", path.display())]
    Quarantine { path: PathBuf, message: String },
    #[error("the shapes cannot be used for --validate: {0}")]
    Shapes(#[source] ttkg_validate::ValidateError),
    #[error("another import is running on this store ({holder}; lock file {}); try again when it has finished, or pass --wait", path.display())]
    Lock { path: PathBuf, holder: String },
}

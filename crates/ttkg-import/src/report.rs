//! What a run did: per (pipeline, file) and in total, in the words the
//! summary, the JSON log and the runs graph share.

use std::path::PathBuf;
use std::time::Duration;

use ttkg_graph::oxigraph::model::NamedNode;
use ttkg_vocab::ttkg;

use crate::quarantine::{NameResolution, QuarantineRecord, SkippedRow};

/// What happened to one (pipeline, file) pair.
#[derive(Debug, Clone, PartialEq)]
pub enum FileStatus {
    Loaded,
    /// Same content and pipeline as the loaded version; not read again.
    Unchanged,
    /// The file is gone from the data folder; its data was taken out of the graph.
    Retracted,
    /// Nothing of this file was loaded; its previous graph (if any) stays.
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct FileReport {
    pub pipeline: String,
    /// Path relative to the data folder.
    pub file: String,
    pub graph: String,
    pub sheets: usize,
    /// Every row below the header: loaded + quarantined + skipped + blank + duplicates.
    pub rows_read: usize,
    pub rows_loaded: usize,
    pub rows_quarantined: usize,
    /// Rows left out by skip rules (totals and the like).
    pub rows_skipped: usize,
    pub blank_rows: usize,
    /// Rows that repeat an earlier row's facts: loaded once, listed.
    pub rows_duplicate: usize,
    pub triples_added: usize,
    pub triples_removed: usize,
    pub encoding: Option<String>,
    /// The store held a version of this file before the run.
    pub replaced: bool,
    /// What the analyst should look at although the file loaded: a declared
    /// column the file lacks, a hidden sheet passed over.
    pub warnings: Vec<String>,
    pub status: FileStatus,
    /// The failure as the run history records it, when that must say less
    /// than the summary (no text of a file that may not be a report).
    pub recorded_message: Option<String>,
}

/// Time spent per stage.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    pub prepare: Duration,
    pub read: Duration,
    pub load: Duration,
    /// Retracting the sources whose file is gone, recording the run and
    /// publishing the store's snapshot. Recording the run waits until
    /// RocksDB has merged the files a large load added (38 s after a
    /// 500,000-row report), so that questions read a compact store.
    pub finish: Duration,
    pub total: Duration,
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub run: String,
    pub files: Vec<FileReport>,
    pub quarantine: Vec<QuarantineRecord>,
    /// The CSV and XLSX quarantine files, when rows were quarantined.
    pub quarantine_files: Option<(PathBuf, PathBuf)>,
    /// With `--validate`: the shape violations of the sources left out, by file.
    pub violations: Vec<(String, ttkg_validate::Violation)>,
    /// Names that `resolve` rules changed or found ambiguous, and the file listing them.
    pub resolutions: Vec<NameResolution>,
    pub resolutions_file: Option<PathBuf>,
    /// Rows left out on purpose (blank, totals, skip rules, duplicates), and
    /// the file listing them.
    pub skipped: Vec<SkippedRow>,
    pub skipped_file: Option<PathBuf>,
    /// Nothing was changed: the report says what an import would do.
    pub dry_run: bool,
    /// About the reference data, for the whole run (see [`crate::reference_warnings`]).
    pub warnings: Vec<String>,
    pub timings: Timings,
}

impl FileReport {
    /// A report with nothing counted yet, for `file` read by `pipeline` into `graph`.
    pub fn new(pipeline: String, file: String, graph: &NamedNode, status: FileStatus) -> Self {
        FileReport {
            pipeline,
            file,
            graph: graph.as_str().to_owned(),
            sheets: 0,
            rows_read: 0,
            rows_loaded: 0,
            rows_quarantined: 0,
            rows_skipped: 0,
            blank_rows: 0,
            rows_duplicate: 0,
            triples_added: 0,
            triples_removed: 0,
            encoding: None,
            replaced: false,
            warnings: Vec::new(),
            status,
            recorded_message: None,
        }
    }

    /// What the run did with the file, in the words the runs graph, the
    /// JSON log and the summary use: loaded, replaced, unchanged,
    /// retracted or failed.
    pub fn change(&self) -> &'static str {
        match &self.status {
            FileStatus::Loaded if self.replaced => "replaced",
            FileStatus::Loaded => "loaded",
            FileStatus::Unchanged => "unchanged",
            FileStatus::Retracted => "retracted",
            FileStatus::Failed(_) => "failed",
        }
    }

    /// Rows the file holds data in: loaded, quarantined, or duplicates of
    /// loaded ones (blank and skipped rows are not data).
    pub fn data_rows(&self) -> usize {
        self.rows_loaded + self.rows_quarantined + self.rows_duplicate
    }
}

impl ImportReport {
    pub fn failed(&self) -> impl Iterator<Item = &FileReport> {
        self.files
            .iter()
            .filter(|f| matches!(f.status, FileStatus::Failed(_)))
    }

    /// Whether anything besides failures needs a look: quarantined rows or
    /// warnings (exit code 8).
    pub fn needs_attention(&self) -> bool {
        !self.warnings.is_empty()
            || self
                .files
                .iter()
                .any(|f| f.rows_quarantined > 0 || !f.warnings.is_empty())
    }
}

/// How a run ended, in the words the runs graph records.
pub fn outcome(files: &[FileReport]) -> &'static str {
    if files
        .iter()
        .any(|f| matches!(f.status, FileStatus::Failed(_)))
    {
        "some sources failed"
    } else if files.iter().any(|f| f.rows_quarantined > 0) {
        "succeeded with quarantined rows"
    } else if files.iter().any(|f| !f.warnings.is_empty()) {
        "succeeded with warnings"
    } else {
        "succeeded"
    }
}

pub(crate) fn totals(files: &[FileReport]) -> Vec<(&'static str, usize)> {
    let count = |change: &str| files.iter().filter(|r| r.change() == change).count();
    let sum = |f: fn(&FileReport) -> usize| files.iter().map(f).sum();
    vec![
        (ttkg::FILES_IMPORTED, count("loaded")),
        (ttkg::FILES_REPLACED, count("replaced")),
        (ttkg::FILES_SKIPPED, count("unchanged")),
        (ttkg::FILES_RETRACTED, count("retracted")),
        (ttkg::FILES_FAILED, count("failed")),
        (ttkg::ROWS_LOADED, sum(|r| r.rows_loaded)),
        (ttkg::ROWS_QUARANTINED, sum(|r| r.rows_quarantined)),
        (ttkg::TRIPLES_ADDED, sum(|r| r.triples_added)),
        (ttkg::TRIPLES_REMOVED, sum(|r| r.triples_removed)),
    ]
}

pub(crate) fn change_of(report: &FileReport) -> Option<ttkg_graph::FileChange> {
    let message = match &report.status {
        FileStatus::Unchanged => return None,
        FileStatus::Failed(m) => Some(report.recorded_message.clone().unwrap_or_else(|| m.clone())),
        _ => None,
    };
    Some(ttkg_graph::FileChange {
        pipeline: report.pipeline.clone(),
        file: report.file.clone(),
        kind: report.change(),
        rows_loaded: report.rows_loaded,
        rows_quarantined: report.rows_quarantined,
        triples_added: report.triples_added,
        triples_removed: report.triples_removed,
        message,
        warnings: report.warnings.clone(),
    })
}

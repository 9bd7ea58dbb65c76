//! The last checks before a source is published: its rows against the other
//! sources (conflicts), the share of its rows that were quarantined, and
//! then the triples that replace its graph, provenance included.

use std::collections::BTreeSet;

use ttkg_graph::consistency::{self, KeptTriples, QuadReader, RunFacts};
use ttkg_graph::oxigraph::model::Triple;
use ttkg_graph::{GraphError, SingleValued};

use crate::prepare::Prepared;
use crate::report::FileStatus;

/// Checks `prepared` against the sources `reader` holds (none: no such
/// check) and the run's earlier files (`run`), and counts its rows; its
/// facts are noted in `run` for the files after it when `note_in_run`.
/// Returns the triples to publish, or `None` when the file does not load
/// (failed before, or now: too many rows quarantined, or no data rows at
/// all).
pub(crate) fn finalize<R: QuadReader>(
    prepared: &mut Prepared,
    reader: Option<&R>,
    single: &SingleValued,
    max_quarantined: f64,
    run: Option<&mut RunFacts>,
    note_in_run: bool,
) -> Result<Option<KeptTriples>, GraphError> {
    if prepared.report.status != FileStatus::Loaded {
        return Ok(None);
    }
    if let Some(reader) = reader {
        let conflicts = consistency::check_against(
            reader,
            &prepared.unit.graph,
            &prepared.terms,
            &prepared.tables,
            single,
            &mut prepared.excluded,
            run.as_deref(),
        )?;
        prepared.quarantine_conflicts(conflicts);
    }
    let mapped: usize = prepared.tables.iter().map(|t| t.rows.len()).sum();
    let quarantined: BTreeSet<(Option<&str>, u32)> = prepared
        .quarantine
        .iter()
        .map(|q| (q.sheet.as_deref(), q.row))
        .collect();
    let report = &mut prepared.report;
    report.rows_quarantined = quarantined.len();
    // Excluded: duplicates, conflicts and rows that gave no entity.
    report.rows_loaded = mapped - prepared.excluded.len();
    if let Some(message) = refusal(report, max_quarantined) {
        report.rows_loaded = 0;
        report.status = FileStatus::Failed(message);
        return Ok(None);
    }
    if let Some(run) = run.filter(|_| note_in_run) {
        run.record(
            &prepared.unit.relative,
            &prepared.unit.graph,
            &prepared.terms,
            &prepared.tables,
            &prepared.excluded,
            single,
        );
    }
    crate::prepare::note_memory(&prepared.report.file, "checked against the store");
    let file = file_facts(prepared);
    let kept = consistency::kept_triples(
        std::mem::take(&mut prepared.terms),
        &mut prepared.tables,
        &prepared.excluded,
        file,
    );
    // The rows are in `kept` now: what they were mapped to is not held
    // while the loader writes them (at 500,000 rows, the row numbers and
    // subjects of the consistency checks are about 100 MB).
    prepared.tables = Vec::new();
    prepared.excluded = Default::default();
    crate::prepare::note_memory(&prepared.report.file, "kept triples gathered");
    if kept.is_none() {
        let report = &mut prepared.report;
        report.rows_loaded = 0;
        report.status = FileStatus::Failed(
            "the file has more distinct values than one report may hold (2^32 of them, or 4 GiB of their text); split it into smaller files".into(),
        );
    }
    Ok(kept)
}

/// Why a file must not replace what the store holds, if it must not: it
/// has no data rows, or lost more of them to quarantine than allowed.
fn refusal(report: &crate::FileReport, max_quarantined: f64) -> Option<String> {
    let (quarantined, data) = (report.rows_quarantined, report.data_rows());
    let previous = if report.replaced {
        "the previous version of this file stays"
    } else {
        "nothing of it was loaded"
    };
    if data == 0 {
        return Some(format!(
            "the file has no data rows ({} blank, {} left out by skip rules); {previous}. To withdraw a file's data, delete the file from the data folder",
            report.blank_rows, report.rows_skipped
        ));
    }
    let share = quarantined as f64 / data as f64;
    if quarantined == data || share > max_quarantined {
        return Some(format!(
            "{quarantined} of {data} rows quarantined ({:.0}%, more than the {:.0}% a file may lose); {previous}. The quarantined values name the rows to correct (an import lists them in its quarantine files; ttkg check and --dry-run print them); if losing them is right, set max_quarantined in the pipeline's [source] or pass --max-quarantined",
            share * 100.0,
            max_quarantined * 100.0
        ));
    }
    None
}

/// The source file's provenance (see [`ttkg_graph::provenance::file`]).
fn file_facts(prepared: &Prepared) -> Vec<Triple> {
    let unit = &prepared.unit;
    ttkg_graph::provenance::file(&ttkg_graph::SourceFile {
        node: &unit.file_node,
        path: &unit.relative,
        bytes: std::fs::metadata(&unit.path).map_or(0, |m| m.len()),
        sha256: &prepared.sha,
        pipeline: &unit.pipeline.name,
        pipeline_version: &prepared.version,
        graph: &unit.graph,
        rows_read: prepared.report.rows_read,
        rows_quarantined: prepared.report.rows_quarantined,
    })
}

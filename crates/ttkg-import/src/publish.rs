//! The last checks before a source is published: its rows against the other
//! sources (conflicts), the share of its rows that were quarantined, and
//! then the triples that replace its graph, provenance included.

use std::collections::BTreeSet;

use ttkg_graph::consistency::{self, QuadReader, RunFacts};
use ttkg_graph::oxigraph::model::{Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use ttkg_graph::{GraphError, SingleValued};
use ttkg_vocab::{public, ttkg};

use crate::prepare::Prepared;
use crate::report::FileStatus;

/// Checks `prepared` against the sources `reader` holds (none: no such
/// check) and counts its rows. Returns the triples to publish, or `None`
/// when the file does not load (failed before, or now: too many rows
/// quarantined, or no data rows at all).
pub(crate) fn finalize<R: QuadReader>(
    prepared: &mut Prepared,
    reader: Option<&R>,
    single: &SingleValued,
    max_quarantined: f64,
    run: Option<&mut RunFacts>,
) -> Result<Option<Vec<Triple>>, GraphError> {
    if prepared.report.status != FileStatus::Loaded {
        return Ok(None);
    }
    if let Some(reader) = reader {
        let conflicts = consistency::check_against(
            reader,
            &prepared.unit.graph,
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
    if let Some(run) = run {
        run.record(&prepared.tables, &prepared.excluded, single);
    }
    let mut triples = consistency::kept_triples(&mut prepared.tables, &prepared.excluded);
    triples.extend(file_facts(prepared));
    Ok(Some(triples))
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
            "{quarantined} of {data} rows quarantined ({:.0}%, more than the {:.0}% a file may lose); {previous}. The quarantine file lists the rows to correct; if losing them is right, set max_quarantined in the pipeline's [source] or pass --max-quarantined",
            share * 100.0,
            max_quarantined * 100.0
        ));
    }
    None
}

/// The source file's provenance, stored in its own graph so it is replaced with it.
fn file_facts(prepared: &Prepared) -> Vec<Triple> {
    let unit = &prepared.unit;
    let report = &prepared.report;
    let s = NamedOrBlankNode::NamedNode(unit.file_node.clone());
    let p = |iri: &str| NamedNode::new_unchecked(iri);
    let t = |iri: String| p(&iri);
    let string = |v: &str| Term::Literal(Literal::new_simple_literal(v));
    let integer = |v: usize| {
        Term::Literal(Literal::new_typed_literal(
            v.to_string(),
            p(public::XSD_INTEGER),
        ))
    };
    let size = std::fs::metadata(&unit.path)
        .map(|m| m.len() as usize)
        .unwrap_or(0);
    [
        (
            p(public::RDF_TYPE),
            Term::from(t(ttkg::iri(ttkg::SOURCE_FILE))),
        ),
        // Stated as well as implied by the subclass axiom, so that plain
        // PROV-O queries (`?f a prov:Entity`) find the files.
        (p(public::RDF_TYPE), Term::from(p(public::PROV_ENTITY))),
        (t(ttkg::iri(ttkg::FILE_PATH)), string(&unit.relative)),
        (t(ttkg::iri(ttkg::BYTE_SIZE)), integer(size)),
        (t(ttkg::iri(ttkg::SHA256)), string(&prepared.sha)),
        (t(ttkg::iri(ttkg::PIPELINE)), string(&unit.pipeline.name)),
        (
            t(ttkg::iri(ttkg::PIPELINE_VERSION)),
            string(&prepared.version),
        ),
        (
            t(ttkg::iri(ttkg::PRODUCED_GRAPH)),
            Term::from(unit.graph.clone()),
        ),
        (t(ttkg::iri(ttkg::ROWS_READ)), integer(report.rows_read)),
        (
            t(ttkg::iri(ttkg::ROWS_QUARANTINED)),
            integer(report.rows_quarantined),
        ),
    ]
    .into_iter()
    .map(|(predicate, object)| Triple::new(s.clone(), predicate, object))
    .collect()
}

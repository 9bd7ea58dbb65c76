//! The import's summary table and validation reports.

use std::io::Write;
use std::path::Path;

use polars::prelude::{Column, DataFrame};
use ttkg_import::{FileStatus, ImportReport};
use ttkg_validate::Violation;

use crate::{exit, Failure};

/// The violations as an aligned table, where they came from first.
pub fn violations_table(violations: &[Violation]) -> String {
    let header: Vec<String> = ["source", "shape", "node", "property", "problem"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rows: Vec<Vec<String>> = violations
        .iter()
        .map(|v| {
            vec![
                sources_text(v),
                v.shape.clone(),
                v.focus.clone(),
                v.path.clone(),
                v.message.clone(),
            ]
        })
        .collect();
    ttkg_query::render_table(&header, &rows)
}

fn sources_text(v: &Violation) -> String {
    if v.sources.is_empty() {
        "(no source row)".to_owned()
    } else {
        v.sources
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Writes the violations as CSV (with a BOM, for Excel) or XLSX, by extension.
pub fn write_violations(violations: &[Violation], path: &Path) -> Result<(), Failure> {
    let first = |v: &Violation| v.sources.first().cloned();
    let text = |name: &str, f: &dyn Fn(&Violation) -> Option<String>| {
        Column::new(name.into(), violations.iter().map(f).collect::<Vec<_>>())
    };
    let rows: Vec<Option<u64>> = violations
        .iter()
        .map(|v| first(v).and_then(|s| s.row))
        .collect();
    let frame = DataFrame::new(
        violations.len(),
        vec![
            text("file", &|v| first(v).map(|s| s.file)),
            text("sheet", &|v| first(v).and_then(|s| s.sheet)),
            Column::new("row".into(), rows),
            text("other sources", &|v| {
                (v.sources.len() > 1).then(|| {
                    v.sources[1..]
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                })
            }),
            text("shape", &|v| Some(v.shape.clone())),
            text("node", &|v| Some(v.focus.clone())),
            text("property", &|v| Some(v.path.clone())),
            text("constraint", &|v| Some(v.constraint.clone())),
            text("problem", &|v| Some(v.message.clone())),
        ],
    )
    .map_err(|e| (exit::FAILURE, format!("{}: {e}", path.display())))?;
    let written = match path.extension().and_then(|x| x.to_str()) {
        Some("xlsx") => ttkg_tables::write_xlsx(&[("violations", &frame)], path),
        Some("csv") => ttkg_tables::write_csv(
            &frame,
            path,
            ttkg_tables::CsvOptions {
                bom: true,
                ..Default::default()
            },
        ),
        _ => {
            return Err((
                exit::USAGE,
                format!("{}: give a file ending in .csv or .xlsx", path.display()),
            ))
        }
    };
    written.map_err(|e| (exit::FAILURE, e.to_string()))
}

/// What a quarantine rule checks, for the summary.
fn rule_in_words(rule: &str) -> String {
    match rule {
        "required" => "required value missing".into(),
        "duplicate" => "value repeated where it must be unique".into(),
        "number" => "not a number".into(),
        "date" => "not a date, or a date that does not exist".into(),
        "concept" => "unknown country, field or other listed value".into(),
        "range" => "number out of range (negative amounts and the like)".into(),
        "currency" => "unknown currency".into(),
        "exchange-rate" => "no exchange rate for the currency and year".into(),
        "error-cell" => "spreadsheet error in the cell (#DIV/0!, #N/A …)".into(),
        other => other.to_owned(),
    }
}

/// Lines of the summary; a closed pipe or a full disk is not worth failing an import for.
macro_rules! w {
    ($to:expr, $($arg:tt)*) => { let _ = writeln!($to, $($arg)*); };
}
macro_rules! wr {
    ($to:expr, $($arg:tt)*) => { let _ = write!($to, $($arg)*); };
}

/// The summary for `out` (standard output); failed files and violations
/// are repeated for `err` (standard error).
pub fn write_summary(report: &ImportReport, out: &mut dyn Write, err: &mut dyn Write) {
    let header: Vec<String> = [
        "pipeline",
        "file",
        "status",
        "rows read",
        "loaded",
        "quarantined",
        "skipped",
        "+triples",
        "-triples",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<Vec<String>> = report
        .files
        .iter()
        .map(|f| {
            let status = match (report.dry_run, f.change()) {
                (_, "failed") => "FAILED",
                (true, "loaded") => "would load",
                (true, "replaced") => "would replace",
                (true, "retracted") => "would retract",
                (_, change) => change,
            }
            .to_owned();
            vec![
                f.pipeline.clone(),
                f.file.clone(),
                status,
                f.rows_read.to_string(),
                f.rows_loaded.to_string(),
                f.rows_quarantined.to_string(),
                (f.rows_skipped + f.blank_rows).to_string(),
                f.triples_added.to_string(),
                f.triples_removed.to_string(),
            ]
        })
        .collect();
    wr!(out, "{}", ttkg_query::render_table(&header, &rows));
    let sum = |f: fn(&ttkg_import::FileReport) -> usize| report.files.iter().map(f).sum::<usize>();
    w!(out,
        "\n{} file(s): {} rows read, {} loaded, {} quarantined, {} skipped; {} triples added, {} removed",
        report.files.len(),
        sum(|f| f.rows_read),
        sum(|f| f.rows_loaded),
        sum(|f| f.rows_quarantined),
        sum(|f| f.rows_skipped + f.blank_rows),
        sum(|f| f.triples_added),
        sum(|f| f.triples_removed),
    );
    if report.dry_run {
        w!(
            out,
            "dry run: nothing was changed; the rows above are what an import would read"
        );
    }
    let t = report.timings;
    w!(
        out,
        "time: prepare {:.2}s, read + normalise {:.2}s, load {:.2}s, total {:.2}s",
        t.prepare.as_secs_f64(),
        t.read.as_secs_f64(),
        t.load.as_secs_f64(),
        t.total.as_secs_f64()
    );
    for f in &report.files {
        if let Some(encoding) = f.encoding.as_deref().filter(|e| *e != "UTF-8") {
            w!(out, "{}: read as {encoding}", f.file);
        }
    }
    if !report.quarantine.is_empty() {
        let mut by_rule: std::collections::BTreeMap<&str, usize> = Default::default();
        for q in &report.quarantine {
            *by_rule.entry(q.rule.as_str()).or_default() += 1;
        }
        w!(out, "quarantined values by rule:");
        for (rule, n) in by_rule {
            w!(out, "  {n:>6}  {}", rule_in_words(rule));
        }
    }
    if !report.resolutions.is_empty() {
        let mut by_rule: std::collections::BTreeMap<&str, usize> = Default::default();
        for r in &report.resolutions {
            let rule = r.rule.split(':').next().unwrap_or(&r.rule);
            *by_rule.entry(rule).or_default() += 1;
        }
        w!(out, "organisation names resolved:");
        for (rule, n) in by_rule {
            w!(out, "  {n:>6}  {rule}");
        }
    }
    if let Some(names) = &report.resolutions_file {
        w!(
            out,
            "each resolved name is listed in {} (file, row, as written, resolved to, rule)",
            names.display()
        );
    }
    if let Some((csv, xlsx)) = &report.quarantine_files {
        w!(
            out,
            "quarantined values are listed in {} and {} (file, sheet, row, column, value, reason)",
            csv.display(),
            xlsx.display()
        );
    }
    if !report.violations.is_empty() {
        let shown: Vec<Violation> = report
            .violations
            .iter()
            .take(20)
            .map(|(_, v)| v.clone())
            .collect();
        let more = if report.violations.len() > shown.len() {
            "; the first 20 follow"
        } else {
            ""
        };
        w!(
            err,
            "\nsources left out by --validate: {} violation(s) of ontology/shapes.ttl{more}",
            report.violations.len()
        );
        wr!(err, "{}", violations_table(&shown));
    }
    for note in report.files.iter().flat_map(|f| &f.notes) {
        w!(err, "warning: {note}");
    }
    for warning in &report.warnings {
        w!(err, "warning: {warning}");
    }
    for failed in report.failed() {
        if let FileStatus::Failed(message) = &failed.status {
            w!(
                err,
                "error: {} ({}): {message}",
                failed.file,
                failed.pipeline
            );
        }
    }
}

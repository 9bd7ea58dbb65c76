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
        "not-unique" => "value repeated with different facts where it must be unique".into(),
        "number" => "not a number, or more precise than ttkg keeps".into(),
        "date" => "not a date, a date that does not exist, or a time a date would drop".into(),
        "concept" => "unknown country, field or other listed value".into(),
        "range" => "number out of range (negative amounts and the like)".into(),
        "currency" => "unknown currency".into(),
        "no-currency" => "no currency given (or its column missing)".into(),
        "no-date" => "no date to choose the exchange rate by (or its column missing)".into(),
        "exchange-rate" => "no exchange rate for the currency and year".into(),
        "error-cell" => "spreadsheet error in the cell (#DIV/0!, #N/A …)".into(),
        "columns" => "row not split into the header's columns (an unquoted comma?)".into(),
        "conflict" => "a second value for something that has one (another source or row)".into(),
        "no-entity" => "row gives no entity (the columns of its IRIs are empty)".into(),
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
    wr!(out, "{}", files_table(report));
    write_totals(report, out);
    write_listings(report, out);
    write_problems(report, err);
}

/// One line per file: its status, rows and triples.
fn files_table(report: &ImportReport) -> String {
    let header: Vec<String> = [
        "pipeline",
        "file",
        "status",
        "rows read",
        "loaded",
        "quarantined",
        "skipped",
        "duplicates",
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
                f.rows_duplicate.to_string(),
                f.triples_added.to_string(),
                f.triples_removed.to_string(),
            ]
        })
        .collect();
    ttkg_query::render_table(&header, &rows)
}

/// The run's totals, timings and the encodings files were read in.
fn write_totals(report: &ImportReport, out: &mut dyn Write) {
    let sum = |f: fn(&ttkg_import::FileReport) -> usize| report.files.iter().map(f).sum::<usize>();
    w!(out,
        "\n{} file(s): {} rows read, {} loaded, {} quarantined, {} skipped, {} duplicates; {} triples added, {} removed",
        report.files.len(),
        sum(|f| f.rows_read),
        sum(|f| f.rows_loaded),
        sum(|f| f.rows_quarantined),
        sum(|f| f.rows_skipped + f.blank_rows),
        sum(|f| f.rows_duplicate),
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
    // Reading the next files while loading others makes the parts add up
    // to more than the whole; say so rather than leave it looking wrong.
    let at_once = if t.prepare + t.read + t.load + t.finish > t.total {
        " (reading and loading partly at once)"
    } else {
        ""
    };
    w!(
        out,
        "time: prepare {:.2}s, read + normalise {:.2}s, load {:.2}s{at_once}, record + snapshot {:.2}s, total {:.2}s",
        t.prepare.as_secs_f64(),
        t.read.as_secs_f64(),
        t.load.as_secs_f64(),
        t.finish.as_secs_f64(),
        t.total.as_secs_f64()
    );
    for f in &report.files {
        if let Some(encoding) = f.encoding.as_deref().filter(|e| *e != "UTF-8") {
            w!(out, "{}: read as {encoding}", f.file);
        }
    }
}

/// Quarantined values and resolved names by rule, and the files that list them.
fn write_listings(report: &ImportReport, out: &mut dyn Write) {
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
    if report.dry_run && report.quarantine_files.is_none() {
        let files = report
            .files
            .iter()
            .map(|f| (f, quarantined_rows(report, f)));
        for (f, lines) in files.filter(|(_, lines)| !lines.is_empty()) {
            w!(
                out,
                "{} (pipeline {}), rows an import would quarantine:",
                f.file,
                f.pipeline
            );
            for line in lines {
                w!(out, "  {line}");
            }
        }
    }
    if !report.resolutions.is_empty() {
        let mut by_rule: std::collections::BTreeMap<&str, usize> = Default::default();
        for r in &report.resolutions {
            for rule in r.rule.split("; ") {
                let rule = rule.split(':').next().unwrap_or(rule);
                *by_rule.entry(rule).or_default() += 1;
            }
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
    if let Some(skipped) = &report.skipped_file {
        w!(
            out,
            "rows left out on purpose (blank, totals, skip rules, duplicates of earlier rows) are listed in {} (file, sheet, row, rule, reason)",
            skipped.display()
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
}

/// Violations of the shapes, warnings and failed files, for standard error.
fn write_problems(report: &ImportReport, err: &mut dyn Write) {
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
    for f in &report.files {
        for warning in &f.warnings {
            w!(err, "warning: {} ({}): {warning}", f.file, f.pipeline);
        }
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

/// What `ttkg check FILE…` found, file by file: whether each would load,
/// its rows, its warnings, and the first quarantined values.
pub fn write_check(report: &ImportReport, out: &mut dyn Write, err: &mut dyn Write) {
    for f in &report.files {
        let verdict = match &f.status {
            FileStatus::Failed(message) => format!("would FAIL: {message}"),
            _ if f.rows_quarantined > 0 || !f.warnings.is_empty() => {
                "would load, with the problems below".to_owned()
            }
            _ => "would load".to_owned(),
        };
        w!(out, "{} (pipeline {}): {verdict}", f.file, f.pipeline);
        w!(
            out,
            "  rows: {} read, {} would load, {} quarantined, {} skipped, {} blank, {} duplicates",
            f.rows_read,
            f.rows_loaded,
            f.rows_quarantined,
            f.rows_skipped,
            f.blank_rows,
            f.rows_duplicate
        );
        for warning in &f.warnings {
            w!(out, "  warning: {warning}");
        }
        for line in quarantined_rows(report, f) {
            w!(out, "  {line}");
        }
    }
    if report.files.is_empty() {
        w!(
            err,
            "no pipeline takes these files; check the pipelines' `files` patterns"
        );
    }
    for warning in &report.warnings {
        w!(err, "warning: {warning}");
    }
}

/// `f`'s quarantined rows, one line per distinct problem (at most ten,
/// with at most twelve rows each): what `ttkg check` and a dry run print,
/// since neither writes a quarantine file.
fn quarantined_rows(report: &ImportReport, f: &ttkg_import::FileReport) -> Vec<String> {
    let mut problems: Vec<(String, &str, Vec<String>)> = Vec::new();
    for q in report
        .quarantine
        .iter()
        .filter(|q| q.file == f.file && q.pipeline == f.pipeline)
    {
        let sheet = q
            .sheet
            .as_deref()
            .map(|s| format!("sheet '{s}', "))
            .unwrap_or_default();
        let place = format!("{sheet}column '{}'", q.column);
        let row = q.row.to_string();
        match problems
            .iter_mut()
            .find(|(p, reason, _)| *p == place && *reason == q.reason)
        {
            Some((_, _, rows)) => rows.push(row),
            None => problems.push((place, &q.reason, vec![row])),
        }
    }
    let mut lines: Vec<String> = problems
        .iter()
        .take(10)
        .map(|(place, reason, rows)| {
            let shown: Vec<&str> = rows.iter().take(12).map(String::as_str).collect();
            let more = if rows.len() > shown.len() { " …" } else { "" };
            format!(
                "quarantined: {place}, row{} {}{more}: {reason}",
                if rows.len() == 1 { "" } else { "s" },
                shown.join(", ")
            )
        })
        .collect();
    if problems.len() > 10 {
        lines.push(format!(
            "… and {} more kinds of problem",
            problems.len() - 10
        ));
    }
    lines
}

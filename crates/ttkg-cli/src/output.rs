//! Printing summaries and query results.

use ttkg_graph::oxigraph::model::Term;
use ttkg_graph::oxigraph::sparql::QueryResults;
use ttkg_import::{FileStatus, ImportReport};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for reading.
    Table,
    /// Comma-separated values with a header row.
    Csv,
}

/// Pads to a display width, counting CJK characters as two columns.
fn pad(text: &str, width: usize) -> String {
    let w = display_width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

fn table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| display_width(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(display_width(cell));
        }
    }
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| pad(c, *w))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = line(header);
    out.push('\n');
    out.push_str(
        &widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  "),
    );
    out.push('\n');
    for row in rows {
        out.push_str(&line(row));
        out.push('\n');
    }
    out
}

pub fn print_summary(report: &ImportReport) {
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
            let status = match &f.status {
                FileStatus::Loaded => "loaded".to_owned(),
                FileStatus::Unchanged => "unchanged".to_owned(),
                FileStatus::Failed(_) => "FAILED".to_owned(),
            };
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
    print!("{}", table(&header, &rows));
    let sum = |f: fn(&ttkg_import::FileReport) -> usize| report.files.iter().map(f).sum::<usize>();
    println!(
        "\n{} file(s): {} rows read, {} loaded, {} quarantined, {} skipped; {} triples added, {} removed",
        report.files.len(),
        sum(|f| f.rows_read),
        sum(|f| f.rows_loaded),
        sum(|f| f.rows_quarantined),
        sum(|f| f.rows_skipped + f.blank_rows),
        sum(|f| f.triples_added),
        sum(|f| f.triples_removed),
    );
    let t = report.timings;
    println!(
        "time: prepare {:.2}s, read + normalise {:.2}s, load {:.2}s, total {:.2}s",
        t.prepare.as_secs_f64(),
        t.read.as_secs_f64(),
        t.load.as_secs_f64(),
        t.total.as_secs_f64()
    );
    if let Some((csv, xlsx)) = &report.quarantine_files {
        println!(
            "quarantined values are listed in {} and {} (file, sheet, row, column, value, reason)",
            csv.display(),
            xlsx.display()
        );
    }
    for failed in report.failed() {
        if let FileStatus::Failed(message) = &failed.status {
            eprintln!("error: {} ({}): {message}", failed.file, failed.pipeline);
        }
    }
}

fn term(t: &Term) -> String {
    ttkg_graph::store::term_text(t)
}

pub fn print_results(results: QueryResults<'static>, format: Format) -> Result<(), String> {
    match results {
        QueryResults::Boolean(b) => {
            println!("{b}");
            Ok(())
        }
        QueryResults::Solutions(solutions) => {
            let header: Vec<String> = solutions
                .variables()
                .iter()
                .map(|v| v.as_str().to_owned())
                .collect();
            let variables = solutions.variables().to_vec();
            let mut rows = Vec::new();
            for solution in solutions {
                let solution = solution.map_err(|e| e.to_string())?;
                rows.push(
                    variables
                        .iter()
                        .map(|v| solution.get(v).map(term).unwrap_or_default())
                        .collect::<Vec<_>>(),
                );
            }
            match format {
                Format::Table => print!("{}", table(&header, &rows)),
                Format::Csv => {
                    let field = |s: &str| {
                        if s.contains([',', '"', '\n']) {
                            format!("\"{}\"", s.replace('"', "\"\""))
                        } else {
                            s.to_owned()
                        }
                    };
                    println!("{}", header.join(","));
                    for row in rows {
                        println!(
                            "{}",
                            row.iter().map(|c| field(c)).collect::<Vec<_>>().join(",")
                        );
                    }
                }
            }
            Ok(())
        }
        QueryResults::Graph(triples) => {
            // CONSTRUCT and DESCRIBE: one N-Triples statement per line.
            for triple in triples {
                println!("{} .", triple.map_err(|e| e.to_string())?);
            }
            Ok(())
        }
    }
}

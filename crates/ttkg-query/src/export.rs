//! Cleaned datasets: the result of each table query written as CSV,
//! Parquet or one XLSX workbook.

use std::path::{Path, PathBuf};

use ttkg_graph::KnowledgeStore;
use ttkg_tables::CsvOptions;

use crate::{ask, solutions_to_frame, Deadline, QueryError, SavedQuery};

/// The file formats of `ttkg export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One CSV file per table.
    Csv { bom: bool },
    /// One Parquet file per table.
    Parquet,
    /// One workbook, one sheet per table.
    Xlsx,
}

/// Runs each table query and writes its rows under `out`: CSV and Parquet
/// as `out/NAME.csv` or `out/NAME.parquet`, XLSX as the single workbook
/// `out` (when it ends in `.xlsx`) or `out/ttkg-export.xlsx`. Returns the
/// files written with their row counts. Nothing is written unless every
/// query succeeds.
pub fn export_tables(
    store: &KnowledgeStore,
    tables: &[SavedQuery],
    params: &[(String, String)],
    format: ExportFormat,
    out: &Path,
    deadline: &Deadline,
) -> Result<Vec<(PathBuf, usize)>, QueryError> {
    let mut frames = Vec::with_capacity(tables.len());
    for table in tables {
        // Each table gets the parameters it declares.
        let given: Vec<(String, String)> = params
            .iter()
            .filter(|(name, _)| table.params.iter().any(|p| &p.name == name))
            .cloned()
            .collect();
        let bindings = table.bindings(&given)?;
        let frame = solutions_to_frame(ask(store, &table.text, &bindings, deadline)?).map_err(
            |e| match e {
                QueryError::NotSelect => QueryError::SavedFile {
                    path: table.path.clone(),
                    message: "an export table must be a SELECT query".into(),
                },
                other => other,
            },
        )?;
        frames.push((table.name.as_str(), frame));
    }
    let written = |e: ttkg_tables::TableError| QueryError::Write(e.to_string());
    let folder = |dir: &Path| {
        std::fs::create_dir_all(dir)
            .map_err(|e| QueryError::Write(format!("{}: {e}", dir.display())))
    };
    let mut files = Vec::new();
    match format {
        ExportFormat::Xlsx => {
            let path = if out.extension().is_some_and(|x| x == "xlsx") {
                if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
                    folder(parent)?;
                }
                out.to_owned()
            } else {
                folder(out)?;
                out.join("ttkg-export.xlsx")
            };
            let sheets: Vec<_> = frames.iter().map(|(n, f)| (*n, f)).collect();
            ttkg_tables::write_xlsx(&sheets, &path).map_err(written)?;
            files.push((path, frames.iter().map(|(_, f)| f.height()).sum()));
        }
        ExportFormat::Csv { bom } => {
            folder(out)?;
            for (name, frame) in &frames {
                let path = out.join(format!("{name}.csv"));
                let options = CsvOptions {
                    bom,
                    ..CsvOptions::default()
                };
                ttkg_tables::write_csv(frame, &path, options).map_err(written)?;
                files.push((path, frame.height()));
            }
        }
        ExportFormat::Parquet => {
            folder(out)?;
            for (name, frame) in &frames {
                let path = out.join(format!("{name}.parquet"));
                ttkg_tables::write_parquet(frame, &path).map_err(written)?;
                files.push((path, frame.height()));
            }
        }
    }
    Ok(files)
}

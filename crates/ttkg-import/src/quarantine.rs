//! The quarantine files of a run: one CSV (for tools) and one XLSX (to send
//! back to the report's sender), listing every value that was not loaded.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;
use ttkg_tables::CsvOptions;

use crate::ImportError;

/// One value that kept its row out of the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantineRecord {
    pub pipeline: String,
    /// Relative to the data folder.
    pub file: String,
    pub sheet: Option<String>,
    /// The row number as the sender sees it.
    pub row: u32,
    /// The column's header as the sender wrote it.
    pub column: String,
    pub value: Option<String>,
    pub rule: String,
    pub reason: String,
}

impl QuarantineRecord {
    /// The records as a table with the sender's view first.
    fn table(records: &[QuarantineRecord]) -> Result<DataFrame, PolarsError> {
        let text = |f: fn(&QuarantineRecord) -> Option<&str>| -> Vec<Option<&str>> {
            records.iter().map(f).collect()
        };
        df!(
            "file" => text(|r| Some(&r.file)),
            "sheet" => text(|r| r.sheet.as_deref()),
            "row" => records.iter().map(|r| r.row).collect::<Vec<u32>>(),
            "column" => text(|r| Some(&r.column)),
            "value" => text(|r| r.value.as_deref()),
            "rule" => text(|r| Some(&r.rule)),
            "reason" => text(|r| Some(&r.reason)),
            "pipeline" => text(|r| Some(&r.pipeline)),
        )
    }
}

/// A name a `resolve` rule changed (or found ambiguous), with where it was
/// written. The texts are shared: a report whose every row names a partner
/// by another spelling gives one of these a row, and as owned strings a
/// 1,000,000-row CSV file's took about 560 MB.
#[derive(Debug, Clone, PartialEq)]
pub struct NameResolution {
    pub pipeline: Arc<str>,
    pub file: Arc<str>,
    pub sheet: Option<Arc<str>>,
    pub row: u32,
    /// The column's header as the sender wrote it.
    pub column: Arc<str>,
    pub written: Arc<str>,
    pub resolved: Arc<str>,
    pub rule: Arc<str>,
}

/// Texts kept once, shared by every [`NameResolution`] that has them.
#[derive(Debug, Default)]
pub(crate) struct SharedTexts(std::collections::HashSet<Arc<str>>);

impl SharedTexts {
    pub fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        self.0.insert(shared.clone());
        shared
    }
}

/// Writes `names-STAMP.csv` into `dir`: every name resolved to another
/// spelling, so each merge can be checked.
pub(crate) fn write_resolutions(
    dir: &Path,
    stamp: &str,
    records: &[NameResolution],
) -> Result<PathBuf, ImportError> {
    let text = |f: fn(&NameResolution) -> &str| -> Vec<&str> { records.iter().map(f).collect() };
    let table = df!(
        "file" => text(|r| &r.file),
        "sheet" => records.iter().map(|r| r.sheet.as_deref()).collect::<Vec<_>>(),
        "row" => records.iter().map(|r| r.row).collect::<Vec<u32>>(),
        "column" => text(|r| &r.column),
        "written" => text(|r| &r.written),
        "resolved to" => text(|r| &r.resolved),
        "rule" => text(|r| &r.rule),
        "pipeline" => text(|r| &r.pipeline),
    )
    .map_err(|e| failed(dir, e.to_string()))?;
    csv_for_excel(dir, &format!("names-{stamp}.csv"), &table)
}

/// Writes `table` as `dir/name`, UTF-8 with a BOM so that Excel shows
/// Chinese and Thai text, creating `dir` if needed.
fn csv_for_excel(dir: &Path, name: &str, table: &DataFrame) -> Result<PathBuf, ImportError> {
    std::fs::create_dir_all(dir).map_err(|e| failed(dir, e.to_string()))?;
    let path = dir.join(name);
    let options = CsvOptions {
        bom: true,
        ..CsvOptions::default()
    };
    ttkg_tables::write_csv(table, &path, options).map_err(|e| failed(&path, e.to_string()))?;
    Ok(path)
}

fn failed(path: &Path, message: String) -> ImportError {
    ImportError::Quarantine {
        path: path.to_owned(),
        message,
    }
}

/// Writes `quarantine-STAMP.csv` (UTF-8 with BOM, so Excel shows Chinese and
/// Thai correctly) and `quarantine-STAMP.xlsx` into `dir`.
pub(crate) fn write(
    dir: &Path,
    stamp: &str,
    records: &[QuarantineRecord],
) -> Result<(PathBuf, PathBuf), ImportError> {
    let table = QuarantineRecord::table(records).map_err(|e| failed(dir, e.to_string()))?;
    let csv_path = csv_for_excel(dir, &format!("quarantine-{stamp}.csv"), &table)?;
    let xlsx_path = dir.join(format!("quarantine-{stamp}.xlsx"));
    ttkg_tables::write_xlsx(&[("quarantine", &table)], &xlsx_path)
        .map_err(|e| failed(&xlsx_path, e.to_string()))?;
    Ok((csv_path, xlsx_path))
}

/// A row left out on purpose: blank, a totals row or another skip rule, or
/// a duplicate of an earlier row (whose facts are loaded once).
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedRow {
    pub pipeline: String,
    pub file: String,
    pub sheet: Option<String>,
    pub row: u32,
    /// blank, skip, duplicate.
    pub rule: String,
    pub reason: String,
    /// For a duplicate: the row it repeats.
    pub same_as: Option<u32>,
}

/// Writes `skipped-STAMP.csv` into `dir`: every row left out on purpose, so
/// that each row of every file is accounted for.
pub(crate) fn write_skipped(
    dir: &Path,
    stamp: &str,
    records: &[SkippedRow],
) -> Result<PathBuf, ImportError> {
    let text = |f: fn(&SkippedRow) -> &str| -> Vec<&str> { records.iter().map(f).collect() };
    let table = df!(
        "file" => text(|r| &r.file),
        "sheet" => records.iter().map(|r| r.sheet.as_deref()).collect::<Vec<_>>(),
        "row" => records.iter().map(|r| r.row).collect::<Vec<u32>>(),
        "rule" => text(|r| &r.rule),
        "reason" => text(|r| &r.reason),
        "same as row" => records.iter().map(|r| r.same_as).collect::<Vec<Option<u32>>>(),
        "pipeline" => text(|r| &r.pipeline),
    )
    .map_err(|e| failed(dir, e.to_string()))?;
    csv_for_excel(dir, &format!("skipped-{stamp}.csv"), &table)
}

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
/// 1,000,000-row CSV file's took about 560 MB (see [`FileResolutions`]).
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

/// The names one file's rows resolved, held compactly while the file is
/// checked and loaded (about 24 bytes a name, where [`NameResolution`]s
/// take about 120): each text once, numbered.
#[derive(Debug, Default)]
pub(crate) struct FileResolutions {
    texts: Vec<Arc<str>>,
    numbers: std::collections::HashMap<Arc<str>, u32>,
    /// The row, then the numbers of the sheet ([`NO_SHEET`] for none), the
    /// column's header, the name as written, what it resolved to and the
    /// rule.
    records: Vec<[u32; 6]>,
    /// The bytes of `texts`, counted as they come: [`Self::used_bytes`] is
    /// asked after every batch.
    text_bytes: usize,
}

const NO_SHEET: u32 = u32::MAX;

impl FileResolutions {
    fn number(&mut self, text: &str) -> u32 {
        if let Some(&n) = self.numbers.get(text) {
            return n;
        }
        // Fewer texts than rows, and rows fit in u32.
        let n = u32::try_from(self.texts.len()).unwrap_or(u32::MAX - 1);
        let shared: Arc<str> = Arc::from(text);
        self.text_bytes += text.len();
        self.texts.push(shared.clone());
        self.numbers.insert(shared, n);
        n
    }

    pub fn push(
        &mut self,
        sheet: Option<&str>,
        row: u32,
        column: &str,
        written: &str,
        resolved: &str,
        rule: &str,
    ) {
        let sheet = sheet.map_or(NO_SHEET, |s| self.number(s));
        let record = [
            row,
            sheet,
            self.number(column),
            self.number(written),
            self.number(resolved),
            self.number(rule),
        ];
        self.records.push(record);
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// What the resolutions take, in bytes, about: their records and each
    /// text with its two entries.
    pub fn used_bytes(&self) -> usize {
        let texts = self.text_bytes + self.texts.len() * 64;
        self.records.len() * std::mem::size_of::<[u32; 6]>() + texts
    }

    /// The names as the run reports them, for `pipeline`'s `file`.
    pub fn into_records(self, pipeline: &str, file: &str) -> impl Iterator<Item = NameResolution> {
        let (pipeline, file): (Arc<str>, Arc<str>) = (Arc::from(pipeline), Arc::from(file));
        let texts = self.texts;
        self.records
            .into_iter()
            .map(move |[row, sheet, column, written, resolved, rule]| {
                let text = |n: u32| texts[n as usize].clone();
                NameResolution {
                    pipeline: pipeline.clone(),
                    file: file.clone(),
                    sheet: (sheet != NO_SHEET).then(|| text(sheet)),
                    row,
                    column: text(column),
                    written: text(written),
                    resolved: text(resolved),
                    rule: text(rule),
                }
            })
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

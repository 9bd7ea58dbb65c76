//! The quarantine files of a run: one CSV (for tools) and one XLSX (to send
//! back to the report's sender), listing every value that was not loaded.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Format, Workbook};

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

const HEADER: [&str; 8] = [
    "file", "sheet", "row", "column", "value", "rule", "reason", "pipeline",
];

impl QuarantineRecord {
    fn fields(&self) -> [String; 8] {
        [
            self.file.clone(),
            self.sheet.clone().unwrap_or_default(),
            self.row.to_string(),
            self.column.clone(),
            self.value.clone().unwrap_or_default(),
            self.rule.clone(),
            self.reason.clone(),
            self.pipeline.clone(),
        ]
    }
}

/// Quotes a CSV field when needed and neutralises text a spreadsheet would
/// run as a formula.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// Writes `quarantine-STAMP.csv` (UTF-8 with BOM, so Excel shows Chinese and
/// Thai correctly) and `quarantine-STAMP.xlsx` into `dir`.
pub(crate) fn write(
    dir: &Path,
    stamp: &str,
    records: &[QuarantineRecord],
) -> Result<(PathBuf, PathBuf), ImportError> {
    let failed = |path: &Path, message: String| ImportError::Quarantine {
        path: path.to_owned(),
        message,
    };
    std::fs::create_dir_all(dir).map_err(|e| failed(dir, e.to_string()))?;
    let csv_path = dir.join(format!("quarantine-{stamp}.csv"));
    let mut csv = String::from("\u{FEFF}");
    csv.push_str(&HEADER.join(","));
    csv.push_str("\r\n");
    for record in records {
        let fields: Vec<String> = record.fields().iter().map(|f| csv_field(f)).collect();
        csv.push_str(&fields.join(","));
        csv.push_str("\r\n");
    }
    std::fs::write(&csv_path, csv).map_err(|e| failed(&csv_path, e.to_string()))?;

    let xlsx_path = dir.join(format!("quarantine-{stamp}.xlsx"));
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let xlsx_error = |e: rust_xlsxwriter::XlsxError| failed(&xlsx_path, e.to_string());
    sheet.set_name("quarantine").map_err(xlsx_error)?;
    let bold = Format::new().set_bold();
    for (c, title) in HEADER.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *title, &bold)
            .map_err(xlsx_error)?;
    }
    for (r, record) in records.iter().enumerate() {
        let row = r as u32 + 1;
        for (c, field) in record.fields().iter().enumerate() {
            if c == 2 {
                sheet
                    .write_number(row, c as u16, record.row as f64)
                    .map_err(xlsx_error)?;
            } else {
                // write_string never turns text into a formula.
                sheet
                    .write_string(row, c as u16, field)
                    .map_err(xlsx_error)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    sheet.autofit();
    workbook.save(&xlsx_path).map_err(xlsx_error)?;
    Ok((csv_path, xlsx_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formula_safe() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("-5"), "'-5");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}

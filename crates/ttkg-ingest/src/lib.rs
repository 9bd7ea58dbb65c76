//! Reads report files into string tables that remember where each value came from.
//!
//! Workbooks (xlsx, xls, ods) are read with calamine, CSV with polars after
//! decoding to UTF-8 with encoding_rs. Whatever the format, the result is a
//! [`Table`]: one polars `String` column per declared column key, found by
//! matching header texts (in any of their languages) rather than by position,
//! plus [`ROW_COLUMN`] holding the row number as the sender sees it in Excel.
//! Values are not interpreted here; that is `ttkg-normalise`'s job.

mod chunks;
mod csv;
mod error;
mod header;
mod limits;
mod workbook;

pub use error::IngestError;
pub use header::{combine as combine_header_rows, header_key, ExpectedColumn};
pub use limits::{check_file, ReadLimits};

use std::path::{Path, PathBuf};

use polars::prelude::*;

/// Name of the column holding each row's 1-based row number in its sheet or file.
pub const ROW_COLUMN: &str = "__row";

/// The file formats ttkg reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Csv,
    Xlsx,
    Xls,
    Ods,
}

/// Which sheets of a workbook to read.
#[derive(Debug, Clone)]
pub enum SheetChoice {
    /// The first visible sheet.
    First,
    /// A sheet by position, 0 being the first.
    Index(usize),
    /// Every sheet whose name matches a glob pattern (`协议*`, `Sheet1`).
    Pattern(String),
}

/// How to read one file.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub format: SourceFormat,
    pub sheet: SheetChoice,
    /// A WHATWG encoding label for CSV; `None`: the byte-order mark's, else
    /// UTF-8 when the bytes are valid UTF-8, else a guess (GB18030,
    /// Windows-1258, Windows-874, ...).
    pub encoding: Option<String>,
    /// CSV field separator; `None` tries comma, semicolon, tab and bar and
    /// keeps the one under which the header row is found.
    pub delimiter: Option<u8>,
    /// Rows from the top in which to look for the header row.
    pub header_search_rows: usize,
    /// What reading the file may cost.
    pub limits: ReadLimits,
    /// Rows in each chunk of the table's columns: a reader that takes the
    /// rows this many at a time frees each chunk as it goes (see the
    /// importer's batches). `usize::MAX` keeps each column whole.
    pub chunk_rows: usize,
    /// The most a workbook's sheets read may hold together before the next
    /// is read ([`IngestError::SheetsTooLarge`]): the sheets a pipeline
    /// takes are all read before the first is normalised. `usize::MAX`:
    /// only the [`ReadLimits`].
    pub max_table_bytes: usize,
}

/// One sheet (or CSV file) with its columns matched to the pipeline's keys.
#[derive(Debug, Clone)]
pub struct Table {
    pub file: PathBuf,
    /// `None` for CSV.
    pub sheet: Option<String>,
    /// 1-based row number of the header row.
    pub header_row: usize,
    /// For each expected column: the header text as written, or `None` when
    /// an optional column is absent (its values are then all null).
    pub headers: Vec<(String, Option<String>)>,
    /// [`ROW_COLUMN`] (UInt32) and one String column per expected key.
    pub frame: DataFrame,
    /// The encoding a CSV file was decoded from (`UTF-8`, `GB18030`, …).
    pub encoding: Option<&'static str>,
    /// Declared columns whose header the file does not have.
    pub missing: Vec<MissingColumn>,
    /// Rows that could not be split into the header's columns (CSV records
    /// with too many or too few fields, broken quoting): not in `frame`.
    pub rejected: Vec<RejectedRow>,
}

/// A declared column the file lacks, and the header that looks most like it.
#[derive(Debug, Clone, PartialEq)]
pub struct MissingColumn {
    /// The pipeline's key.
    pub key: String,
    /// The header texts the pipeline looks for.
    pub wanted: Vec<String>,
    /// The file's unclaimed header most like one of them, if any is close.
    pub closest: Option<String>,
    /// Every header of the file's header row, as written.
    pub found: Vec<String>,
}

impl MissingColumn {
    /// `'Giá trị hợp đồng (VND)' not found; closest header: 'Giá trị hợp đồng (VNĐ)'`.
    pub fn describe(&self) -> String {
        let wanted: Vec<String> = self.wanted.iter().map(|h| format!("'{h}'")).collect();
        match &self.closest {
            Some(c) => format!("{} not found; closest header: '{c}'", wanted.join(" / ")),
            None => format!(
                "{} not found; the headers are: {}",
                wanted.join(" / "),
                self.found
                    .iter()
                    .map(|h| format!("'{h}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A row the reader could not split into the header's columns.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedRow {
    /// The line (CSV) it starts on, as an editor numbers them.
    pub row: u32,
    /// What is wrong and what to do, in words.
    pub reason: String,
    /// The row's text, cut to 200 characters, for the quarantine file.
    pub text: String,
}

impl Table {
    /// `file.xlsx, sheet '协议'` or `file.csv`, for messages.
    pub fn location(&self) -> String {
        location(&self.file, self.sheet.as_deref())
    }

    /// The header text the sender used for a column key, for reports; the
    /// key itself when the file has no such column.
    pub fn column_name(&self, key: &str) -> String {
        self.headers
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, h)| h.clone())
            .unwrap_or_else(|| key.to_owned())
    }
}

pub(crate) fn location(file: &Path, sheet: Option<&str>) -> String {
    match sheet {
        Some(s) => format!("{}, sheet '{s}'", file.display()),
        None => file.display().to_string(),
    }
}

/// What was read from one file.
#[derive(Debug)]
pub struct Read {
    pub tables: Vec<Table>,
    /// What was passed over and why (hidden sheets), for the run's report.
    pub notes: Vec<String>,
}

/// Reads the sheets of `path` that `options` selects.
pub fn read(
    path: &Path,
    options: &ReadOptions,
    expected: &[ExpectedColumn],
) -> Result<Read, IngestError> {
    match options.format {
        SourceFormat::Csv => csv::read(path, options, expected).map(|t| Read {
            tables: vec![t],
            notes: Vec::new(),
        }),
        SourceFormat::Xlsx | SourceFormat::Xls | SourceFormat::Ods => {
            workbook::read(path, options, expected)
        }
    }
}

/// The first rows of a report as text, for drafting a pipeline for it:
/// one per visible sheet of a workbook, one for a CSV file.
#[derive(Debug, Clone)]
pub struct Preview {
    pub sheet: Option<String>,
    /// The encoding a CSV file was decoded from.
    pub encoding: Option<&'static str>,
    /// The CSV field separator found.
    pub delimiter: Option<u8>,
    /// Non-empty rows with their 1-based numbers, cells as text.
    pub rows: Vec<(u32, Vec<Option<String>>)>,
}

/// Reads the first `max_rows` rows of each sheet of `path` (every visible
/// sheet; `options.sheet` is not used), held to the same limits as [`read`].
pub fn preview(
    path: &Path,
    options: &ReadOptions,
    max_rows: usize,
) -> Result<Vec<Preview>, IngestError> {
    match options.format {
        SourceFormat::Csv => csv::preview(path, options, max_rows).map(|p| vec![p]),
        SourceFormat::Xlsx | SourceFormat::Xls | SourceFormat::Ods => {
            workbook::preview(path, options, max_rows)
        }
    }
}

/// Checks an encoding label before anything is read.
pub fn check_encoding(label: &str) -> Result<(), String> {
    encoding_rs::Encoding::for_label(label.as_bytes())
        .map(|_| ())
        .ok_or_else(|| format!("`{label}` is not an encoding name ttkg knows; use a label such as utf-8, gb18030, gbk, utf-16le, windows-1258, windows-874"))
}

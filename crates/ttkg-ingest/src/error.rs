//! What can go wrong while reading a report file.

use std::path::PathBuf;

/// A file that cannot be read as a table. Each message names the file (and
/// sheet) and says what the analyst can do about it.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{}: cannot read the file: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: this is {kind}, not a report file; it was not read (remove it from the data folder)", path.display())]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("{}: not read: {what}. If the report really is this large, raise the limit in ttkg.toml's [limits]", path.display())]
    TooLarge { path: PathBuf, what: String },
    #[error("{}: not read: its sheets read so far ({sheets}) hold {held_mib} MiB, more than the {max_mib} MiB one file may hold under the memory budget, with more sheets still to read", path.display())]
    SheetsTooLarge {
        path: PathBuf,
        sheets: String,
        held_mib: usize,
        max_mib: usize,
    },
    #[error("{}: the file is empty; ask the sender for the complete report", path.display())]
    Empty { path: PathBuf },
    #[error("{}: cannot open it as a {format} workbook ({message}); check that it is not password-protected or damaged, and that its extension matches its content (re-save it from Excel if in doubt)", path.display())]
    Workbook {
        path: PathBuf,
        format: &'static str,
        message: String,
    },
    #[error("{}: this is a password-protected workbook (or an old .xls file renamed .xlsx); open it in Excel, remove the password (File > Info > Protect Workbook) or save it as .xlsx, and send it again", path.display())]
    Protected { path: PathBuf },
    #[error("{}: no sheet matches {wanted}; the workbook's sheets are: {available}; change `sheet` in the pipeline's [source]", path.display())]
    NoSheet {
        path: PathBuf,
        wanted: String,
        available: String,
    },
    #[error("{location}: the sheet is empty")]
    EmptySheet { location: String },
    #[error("{}: the text is not valid {encoding} (first bad byte at offset {offset}); set `encoding` in the pipeline's [source], for example \"gb18030\" for CSV saved by Chinese Excel", path.display())]
    Encoding {
        path: PathBuf,
        encoding: &'static str,
        offset: usize,
    },
    #[error("{}: this is not a text file (it holds binary data at offset {offset}); is it a workbook saved with a .csv name? Rename it to .xlsx or export it again as CSV", path.display())]
    Binary { path: PathBuf, offset: usize },
    #[error("{}: cannot be parsed as CSV: {message}", path.display())]
    Csv { path: PathBuf, message: String },
    #[error("{location}: no header row found in the first {rows} rows; expected columns: {expected}. Check that this is the right kind of report, or add the sender's header texts to the pipeline's `headers`")]
    NoHeader {
        location: String,
        rows: usize,
        expected: String,
    },
    #[error("{location}: the header (row {row}) lacks required columns: {missing}. Headers found: {found}. Add the sender's header text to the pipeline's `headers` for that column")]
    MissingColumns {
        location: String,
        row: u32,
        missing: String,
        found: String,
        /// The pipeline's keys of the missing columns.
        keys: Vec<String>,
    },
    #[error("{location}: the header (row {row}) names '{parent}' for column `{key}`, but '{parent}' spans {} columns: write {} in the pipeline's `headers` (the row below it is a second header row, not data)", children.len(), children.iter().map(|c| format!("'{parent}/{c}'")).collect::<Vec<_>>().join(" or "))]
    MergedParent {
        location: String,
        row: u32,
        /// The pipeline's key of the column that named the parent.
        key: String,
        parent: String,
        children: Vec<String>,
    },
    #[error("{location}: internal error while building the table: {message}")]
    Internal { location: String, message: String },
}

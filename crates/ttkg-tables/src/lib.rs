//! Tables out of ttkg, for Excel, Power BI and pandas: CSV (optionally with
//! a byte-order mark so Excel reads Chinese and Thai text), Parquet, and
//! XLSX with one typed sheet per table.
//!
//! Everything written is safe to open in a spreadsheet: a text value that
//! starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be run as
//! a formula by Excel, so CSV gets it with a leading apostrophe and XLSX as a
//! string cell. Numbers and dates keep their types.
//!
//! Every file is written whole or not at all ([`PartialFile`]): a failed
//! export never leaves half a workbook where the last good one was.

mod partial;

use std::io::Write;
use std::path::{Path, PathBuf};

pub use partial::{remove_partial_files, write_whole, PartialFile};
use polars::prelude::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

/// What can go wrong writing a table.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("{path}: {message}")]
    Write { path: PathBuf, message: String },
    #[error(
        "{path}: table `{table}` has {rows} rows, more than an XLSX sheet holds \
         ({XLSX_MAX_ROWS} below the header); export it as CSV or Parquet instead"
    )]
    TooManyRows {
        path: PathBuf,
        table: String,
        rows: usize,
    },
}

/// The most data rows an XLSX sheet holds under its header row.
pub const XLSX_MAX_ROWS: usize = 1_048_575;

/// The characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// True when a spreadsheet would run `text` as a formula.
pub fn looks_like_formula(text: &str) -> bool {
    text.starts_with(FORMULA_STARTS)
}

/// The table with every text value that looks like a formula prefixed with
/// an apostrophe, which spreadsheets show as plain text.
pub fn neutralise_formulas(frame: &DataFrame) -> Result<DataFrame, PolarsError> {
    let text_columns: Vec<Expr> = frame
        .columns()
        .iter()
        .filter(|c| c.dtype() == &DataType::String)
        .map(|c| {
            let name = c.name().clone();
            let starts = FORMULA_STARTS
                .iter()
                .map(|p| col(name.clone()).str().starts_with(lit(p.to_string())))
                .reduce(|a, b| a.or(b))
                .expect("at least one formula start");
            when(starts)
                .then(lit("'") + col(name.clone()))
                .otherwise(col(name.clone()))
                .alias(name)
        })
        .collect();
    if text_columns.is_empty() {
        return Ok(frame.clone());
    }
    frame.clone().lazy().with_columns(text_columns).collect()
}

/// Options for CSV output.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvOptions {
    /// Start with a UTF-8 byte-order mark, which Excel needs to tell UTF-8.
    pub bom: bool,
    /// Use a tab instead of a comma.
    pub tab_separated: bool,
}

/// Writes `frame` as CSV to `writer` (formula-safe; dates as ISO 8601).
pub fn write_csv_to(
    frame: &DataFrame,
    writer: impl Write,
    options: CsvOptions,
) -> Result<(), PolarsError> {
    let mut safe = neutralise_formulas(frame)?;
    CsvWriter::new(writer)
        .include_bom(options.bom)
        .with_separator(if options.tab_separated { b'\t' } else { b',' })
        .with_line_terminator("\r\n".into())
        .finish(&mut safe)
}

/// Writes `frame` as a CSV file.
pub fn write_csv(frame: &DataFrame, path: &Path, options: CsvOptions) -> Result<(), TableError> {
    let file = csv_file(frame, path, options)?;
    file.commit().map_err(|e| write_failed(path, e))
}

/// [`write_csv`], the file left uncommitted: a set of files is put in
/// place together once each is written.
pub fn csv_file(
    frame: &DataFrame,
    path: &Path,
    options: CsvOptions,
) -> Result<PartialFile, TableError> {
    let mut file = PartialFile::create(path).map_err(|e| write_failed(path, e))?;
    write_csv_to(frame, file.writer(), options).map_err(|e| write_failed(path, e))?;
    Ok(file)
}

fn write_failed(path: &Path, error: impl std::fmt::Display) -> TableError {
    TableError::Write {
        path: path.to_owned(),
        message: error.to_string(),
    }
}

/// Writes `frame` as a Parquet file (zstd-compressed, column types kept).
pub fn write_parquet(frame: &DataFrame, path: &Path) -> Result<(), TableError> {
    let file = parquet_file(frame, path)?;
    file.commit().map_err(|e| write_failed(path, e))
}

/// [`write_parquet`], the file left uncommitted (see [`csv_file`]).
pub fn parquet_file(frame: &DataFrame, path: &Path) -> Result<PartialFile, TableError> {
    let mut file = PartialFile::create(path).map_err(|e| write_failed(path, e))?;
    let mut frame = frame.clone();
    ParquetWriter::new(file.writer())
        .with_compression(ParquetCompression::Zstd(None))
        .finish(&mut frame)
        .map_err(|e| write_failed(path, e))?;
    Ok(file)
}

/// Writes one sheet per `(name, table)` into an XLSX workbook: header row in
/// bold and frozen, numbers as numbers, dates as dates, text as text cells
/// (never formulas), columns sized to their content.
pub fn write_xlsx(tables: &[(&str, &DataFrame)], path: &Path) -> Result<(), TableError> {
    let mut workbook = workbook(tables, path)?;
    let file = PartialFile::create(path).map_err(|e| write_failed(path, e))?;
    workbook
        .save(file.partial_path())
        .map_err(|e| write_failed(path, e))?;
    file.commit().map_err(|e| write_failed(path, e))
}

/// [`write_xlsx`] into memory (a workbook to send over HTTP).
pub fn xlsx_bytes(tables: &[(&str, &DataFrame)]) -> Result<Vec<u8>, TableError> {
    let path = Path::new("(download)");
    let mut workbook = workbook(tables, path)?;
    workbook.save_to_buffer().map_err(|e| write_failed(path, e))
}

fn workbook(tables: &[(&str, &DataFrame)], path: &Path) -> Result<Workbook, TableError> {
    let xlsx = |e: XlsxError| write_failed(path, e);
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let mut used_names: Vec<String> = Vec::new();
    for (name, frame) in tables {
        if frame.height() > XLSX_MAX_ROWS {
            return Err(TableError::TooManyRows {
                path: path.to_owned(),
                table: (*name).to_owned(),
                rows: frame.height(),
            });
        }
        let sheet = workbook.add_worksheet();
        sheet
            .set_name(sheet_name(name, &mut used_names))
            .map_err(xlsx)?;
        for (c, column) in frame.columns().iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| write_failed(path, "more than 65,535 columns"))?;
            sheet
                .write_string_with_format(0, c, column.name().as_str(), &bold)
                .map_err(xlsx)?;
            write_column(sheet, c, column.as_materialized_series(), &date)
                .map_err(|e| write_failed(path, e))?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
        sheet.autofit();
        if frame.width() > 0 {
            let last = u16::try_from(frame.width() - 1).unwrap_or(u16::MAX);
            sheet
                .autofilter(0, 0, frame.height() as u32, last)
                .map_err(xlsx)?;
        }
    }
    if tables.is_empty() {
        workbook.add_worksheet();
    }
    Ok(workbook)
}

/// Writes one column's values below its header, each as its type's cell.
fn write_column(
    sheet: &mut Worksheet,
    c: u16,
    series: &Series,
    date: &Format,
) -> Result<(), Box<dyn std::error::Error>> {
    /// Writes the non-null values of a column, row 1 onwards.
    fn cells<T>(
        values: impl Iterator<Item = Option<T>>,
        mut write: impl FnMut(u32, T) -> Result<(), XlsxError>,
    ) -> Result<(), XlsxError> {
        for (r, v) in values.enumerate() {
            if let Some(v) = v {
                write(r as u32 + 1, v)?;
            }
        }
        Ok(())
    }
    match series.dtype() {
        DataType::Date => {
            cells(
                series
                    .date()?
                    .physical()
                    .iter()
                    .map(|d| d.and_then(excel_date)),
                |r, day| sheet.write_date_with_format(r, c, &day, date).map(|_| ()),
            )?;
            sheet.set_column_width(c, 11)?;
        }
        DataType::Boolean => cells(series.bool()?.iter(), |r, v| {
            sheet.write_boolean(r, c, v).map(|_| ())
        })?,
        dtype if dtype.is_primitive_numeric() => {
            let numbers = series.cast(&DataType::Float64)?;
            let numbers = numbers.f64()?;
            let format = number_format(dtype.is_integer(), numbers);
            cells(numbers.iter(), |r, v| {
                sheet.write_number_with_format(r, c, v, &format).map(|_| ())
            })?
        }
        _ => {
            let text = series.cast(&DataType::String)?;
            // write_string stores text as text, whatever it starts with.
            cells(text.str()?.iter(), |r, v| {
                sheet.write_string(r, c, v).map(|_| ())
            })?
        }
    }
    Ok(())
}

/// Thousands separators, and as many decimal places as the column needs:
/// none for whole numbers (a count, a year is not a number with a
/// separator: 2016, not 2,016), two for amounts in yuan and fen, up to six
/// for areas. The cell keeps its exact value whatever the format shows.
fn number_format(integer: bool, numbers: &Float64Chunked) -> Format {
    let values = || numbers.iter().flatten();
    let looks_like_years = integer
        && values().all(|v| v.fract() == 0.0 && (1900.0..=2100.0).contains(&v))
        && values().next().is_some();
    if looks_like_years {
        return Format::new().set_num_format("0");
    }
    let places = values()
        .map(|v| {
            let text = format!("{v}");
            text.split_once('.').map_or(0, |(_, f)| f.len())
        })
        .max()
        .unwrap_or(0);
    let pattern = match (integer, places) {
        (true, _) | (false, 0) => "#,##0".to_owned(),
        (false, 1 | 2) => "#,##0.00".to_owned(),
        (false, n) => format!("#,##0.00{}", "#".repeat(n.min(10) - 2)),
    };
    Format::new().set_num_format(pattern)
}

/// A polars date (days since 1970-01-01) as an Excel date.
fn excel_date(days: i32) -> Option<ExcelDateTime> {
    use chrono::Datelike;
    let day = chrono::NaiveDate::from_num_days_from_ce_opt(days.checked_add(719_163)?)?;
    ExcelDateTime::from_ymd(
        u16::try_from(day.year()).ok()?,
        day.month() as u8,
        day.day() as u8,
    )
    .ok()
}

/// A valid, unique XLSX sheet name: at most 31 characters, none of `[]:*?/\`,
/// not one of `used` in any case; added to `used`.
pub fn sheet_name(wanted: &str, used: &mut Vec<String>) -> String {
    let clean: String = wanted
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    let clean = clean.trim_matches('\'');
    let base: String = if clean.is_empty() { "table" } else { clean }
        .chars()
        .take(31)
        .collect();
    let mut name = base.clone();
    let mut n = 2;
    while used.iter().any(|u| u.eq_ignore_ascii_case(&name)) {
        let suffix = format!("~{n}");
        name = base
            .chars()
            .take(31 - suffix.chars().count())
            .collect::<String>()
            + &suffix;
        n += 1;
    }
    used.push(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{open_workbook, Data, Reader, Xlsx};

    fn sample() -> DataFrame {
        df!(
            "name" => ["=HYPERLINK(\"x\")", "广西农科院", "-5 units"],
            "amount" => [Some(1.5), None, Some(-2.0)],
            "count" => [1i64, 2, 3],
        )
        .unwrap()
    }

    #[test]
    fn csv_neutralises_text_formulas_but_not_numbers() {
        let mut out = Vec::new();
        write_csv_to(
            &sample(),
            &mut out,
            CsvOptions {
                bom: true,
                ..Default::default()
            },
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with('\u{FEFF}'));
        let lines: Vec<&str> = text.trim_start_matches('\u{FEFF}').lines().collect();
        assert_eq!(lines[0], "name,amount,count");
        assert_eq!(lines[1], "\"'=HYPERLINK(\"\"x\"\")\",1.5,1");
        assert_eq!(lines[2], "广西农科院,,2");
        assert_eq!(lines[3], "'-5 units,-2.0,3");
    }

    #[test]
    fn xlsx_keeps_types_and_writes_formulas_as_text() {
        let _writing = partial::TEST_FILES
            .read()
            .unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.xlsx");
        write_xlsx(&[("agreements", &sample())], &path).unwrap();
        let mut workbook: Xlsx<_> = open_workbook(&path).unwrap();
        let range = workbook.worksheet_range("agreements").unwrap();
        assert_eq!(
            range.get((1, 0)),
            Some(&Data::String("=HYPERLINK(\"x\")".into()))
        );
        assert_eq!(range.get((1, 1)), Some(&Data::Float(1.5)));
        assert_eq!(range.get((3, 1)), Some(&Data::Float(-2.0)));
        let formulas = workbook.worksheet_formula("agreements").unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
    }

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut used = Vec::new();
        assert_eq!(sheet_name("a/b", &mut used), "a_b");
        assert_eq!(sheet_name("A_B", &mut used), "A_B~2");
        let long = "x".repeat(40);
        assert_eq!(sheet_name(&long, &mut used).chars().count(), 31);
    }
}

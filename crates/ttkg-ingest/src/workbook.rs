//! Workbooks (xlsx, xls, ods) through calamine.

use std::ops::ControlFlow;
use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader, SheetVisible, Sheets};

use crate::chunks::{SheetRow, TableBuilder};
use crate::error::IngestError;
use crate::header::ExpectedColumn;
use crate::limits::ReadLimits;
use crate::{Read, ReadOptions, SheetChoice, SourceFormat, Table};

pub(crate) fn read(
    path: &Path,
    options: &ReadOptions,
    expected: &[ExpectedColumn],
) -> Result<Read, IngestError> {
    let (mut workbook, format) = open(path, options)?;
    let sheets: Vec<(String, bool)> = workbook
        .sheets_metadata()
        .iter()
        .map(|s| (s.name.clone(), s.visible == SheetVisible::Visible))
        .collect();
    let (chosen, notes) = choose_sheets(path, &sheets, &options.sheet)?;
    let mut tables: Vec<Table> = Vec::with_capacity(chosen.len());
    let mut held = 0usize;
    for name in chosen {
        if held > options.max_table_bytes {
            let sheets: Vec<String> = tables
                .iter()
                .filter_map(|t| t.sheet.as_ref().map(|s| format!("'{s}'")))
                .collect();
            return Err(IngestError::SheetsTooLarge {
                path: path.to_owned(),
                sheets: sheets.join(", "),
                held_mib: held.div_ceil(1 << 20),
                max_mib: options.max_table_bytes >> 20,
            });
        }
        let table = read_sheet(&mut workbook, path, format, &name, options, expected)?;
        held = held.saturating_add(table.frame.estimated_size());
        tables.push(table);
    }
    Ok(Read { tables, notes })
}

/// One sheet as a table. An xlsx sheet's rows go to the table as they are
/// read, so that only the cells of the expected columns are held, in chunks
/// (see [`crate::chunks`]); rows stored out of order, which Excel does not
/// write, and the other formats are read whole first.
fn read_sheet(
    workbook: &mut Workbook,
    path: &Path,
    format: &'static str,
    name: &str,
    options: &ReadOptions,
    expected: &[ExpectedColumn],
) -> Result<Table, IngestError> {
    let empty = || IngestError::EmptySheet {
        location: crate::location(path, Some(name)),
    };
    if let Sheets::Xlsx(xlsx) = workbook {
        let mut builder = TableBuilder::new(path, Some(name), options, expected);
        let mut cells = SheetCells::new(path, format, name, &options.limits);
        if stream_xlsx_rows(xlsx, &mut cells, &mut |row| builder.push(row))? {
            if builder.rows() == 0 {
                return Err(empty());
            }
            return builder.finish();
        }
    }
    let rows = sheet_rows(workbook, path, format, name, &options.limits)?;
    if rows.is_empty() {
        return Err(empty());
    }
    let mut builder = TableBuilder::new(path, Some(name), options, expected);
    for row in rows {
        builder.push(row)?;
    }
    builder.finish()
}

type Workbook = Sheets<std::io::BufReader<std::fs::File>>;

/// Opens a workbook after the checks that keep a hostile one from
/// exhausting the machine (size, unpacked size, extent, encryption).
fn open(path: &Path, options: &ReadOptions) -> Result<(Workbook, &'static str), IngestError> {
    let format = match options.format {
        SourceFormat::Xlsx => "xlsx",
        SourceFormat::Xls => "xls",
        SourceFormat::Ods => "ods",
        SourceFormat::Csv => "csv",
    };
    let size = crate::limits::check_file(path, &options.limits)?;
    if size == 0 {
        return Err(IngestError::Empty {
            path: path.to_owned(),
        });
    }
    if format != "xls" && starts_with(path, &[0xD0, 0xCF, 0x11, 0xE0]) {
        // Office saves password-protected workbooks as OLE compound files.
        return Err(IngestError::Protected {
            path: path.to_owned(),
        });
    }
    if format != "xls" {
        crate::limits::check_unpacked(path, &options.limits)?;
    }
    if format == "ods" {
        crate::limits::check_ods_extent(path, &options.limits)?;
    }
    let workbook = open_workbook_auto(path).map_err(|e| IngestError::Workbook {
        path: path.to_owned(),
        format,
        message: e.to_string(),
    })?;
    Ok((workbook, format))
}

/// The first `max_rows` non-empty rows of each visible sheet: what `ttkg
/// draft` reads a report by.
pub(crate) fn preview(
    path: &Path,
    options: &ReadOptions,
    max_rows: usize,
) -> Result<Vec<crate::Preview>, IngestError> {
    let (mut workbook, format) = open(path, options)?;
    let visible: Vec<String> = workbook
        .sheets_metadata()
        .iter()
        .filter(|s| s.visible == SheetVisible::Visible)
        .map(|s| s.name.clone())
        .collect();
    let mut previews = Vec::with_capacity(visible.len());
    for name in visible {
        let mut rows = sheet_rows(&mut workbook, path, format, &name, &options.limits)?;
        rows.truncate(max_rows);
        previews.push(crate::Preview {
            sheet: Some(name),
            encoding: None,
            delimiter: None,
            rows,
        });
    }
    Ok(previews)
}

/// What reading a sheet's cells may cost, counted as they are read: the
/// cell, column, span and time bounds of [`ReadLimits`].
struct SheetCells<'a> {
    path: &'a Path,
    format: &'static str,
    name: &'a str,
    limits: &'a ReadLimits,
    started: std::time::Instant,
    read: usize,
    /// Cells the rows span, each dense up to its last cell.
    spanned: usize,
}

impl<'a> SheetCells<'a> {
    fn new(path: &'a Path, format: &'static str, name: &'a str, limits: &'a ReadLimits) -> Self {
        SheetCells {
            path,
            format,
            name,
            limits,
            started: std::time::Instant::now(),
            read: 0,
            spanned: 0,
        }
    }

    fn failed(&self, message: String) -> IngestError {
        IngestError::Workbook {
            path: self.path.to_owned(),
            format: self.format,
            message: format!("sheet '{}': {message}", self.name),
        }
    }

    fn too_large(&self, what: String) -> IngestError {
        IngestError::TooLarge {
            path: self.path.to_owned(),
            what: format!("sheet '{}': {what}", self.name),
        }
    }

    /// Counts a cell read from the file, empty or not.
    fn count(&mut self) -> Result<(), IngestError> {
        self.read += 1;
        if self.read.is_multiple_of(65_536)
            && self.started.elapsed().as_secs() > self.limits.max_seconds
        {
            return Err(self.too_large(format!(
                "reading it took more than {} s",
                self.limits.max_seconds
            )));
        }
        if self.read > self.limits.max_cells {
            return Err(self.too_large(format!("it has more than {} cells", self.limits.max_cells)));
        }
        Ok(())
    }

    /// Adds a cell to its row, refusing columns past the bound.
    fn push(
        &self,
        cells: &mut Vec<(usize, String)>,
        row: u32,
        column: usize,
        text: String,
    ) -> Result<(), IngestError> {
        if column >= self.limits.max_columns {
            return Err(self.too_large(format!(
                "it has a value in column {} (row {}), beyond the {} columns ttkg reads; delete the stray cells far to the right",
                column + 1,
                row + 1,
                self.limits.max_columns
            )));
        }
        // Cells come in order within a row, but make sure.
        match cells.binary_search_by_key(&column, |(c, _)| *c) {
            Ok(i) => cells[i].1 = text,
            Err(i) => cells.insert(i, (column, text)),
        }
        Ok(())
    }

    /// A row as the header finder and the table builder read it: dense up
    /// to its last cell, the number being Excel's (1-based).
    fn dense(&mut self, row: u32, cells: Vec<(usize, String)>) -> Result<SheetRow, IngestError> {
        let width = cells.last().map_or(0, |(c, _)| c + 1);
        self.spanned = self.spanned.saturating_add(width);
        if self.spanned > self.limits.max_cells {
            return Err(self.too_large(format!(
                "its rows span more than the {} cells ttkg reads in one sheet",
                self.limits.max_cells
            )));
        }
        let mut dense = vec![None; width];
        for (column, text) in cells {
            dense[column] = Some(text);
        }
        Ok((row + 1, dense))
    }
}

type Xlsx = calamine::Xlsx<std::io::BufReader<std::fs::File>>;

/// Takes a cell's row, column and text (see [`for_each_xlsx_cell`]).
type CellVisitor<'a> =
    dyn FnMut(&mut SheetCells<'_>, u32, usize, String) -> Result<ControlFlow<()>, IngestError> + 'a;

/// Gives `each` the position and text of every non-empty cell of an xlsx
/// sheet, in the order stored, counting every cell against the bounds;
/// stops early when `each` breaks.
fn for_each_xlsx_cell(
    xlsx: &mut Xlsx,
    bounds: &mut SheetCells<'_>,
    each: &mut CellVisitor<'_>,
) -> Result<ControlFlow<()>, IngestError> {
    let mut cells = xlsx
        .worksheet_cells_reader(bounds.name)
        .map_err(|e| bounds.failed(e.to_string()))?;
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| bounds.failed(e.to_string()))?
    {
        bounds.count()?;
        let (row, column) = cell.get_position();
        if let Some(text) = cell_text(&Data::from(cell.get_value().clone())) {
            if each(bounds, row, column as usize, text)?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// Gives each non-empty row of an xlsx sheet to `take` as soon as it is
/// read. `false` when a row comes after a later one: the sheet must then be
/// read whole, in the order of its rows. What `take` refuses (no header in
/// the first rows given) holds only for rows in order, so it is returned
/// once the rest of the sheet is known to be.
fn stream_xlsx_rows(
    xlsx: &mut Xlsx,
    bounds: &mut SheetCells<'_>,
    take: &mut dyn FnMut(SheetRow) -> Result<(), IngestError>,
) -> Result<bool, IngestError> {
    let mut current: Option<(u32, Vec<(usize, String)>)> = None;
    let mut refused: Option<IngestError> = None;
    let mut give = |bounds: &mut SheetCells<'_>, at: u32, cells| -> Result<(), IngestError> {
        let row = bounds.dense(at, cells)?;
        if refused.is_none() {
            refused = take(row).err();
        }
        Ok(())
    };
    let read = for_each_xlsx_cell(xlsx, bounds, &mut |bounds, row, column, text| {
        match &mut current {
            Some((at, cells)) if *at == row => bounds.push(cells, row, column, text)?,
            Some((at, _)) if *at > row => return Ok(ControlFlow::Break(())),
            _ => {
                if let Some((at, cells)) = current.take() {
                    give(bounds, at, cells)?;
                }
                let mut cells = Vec::new();
                bounds.push(&mut cells, row, column, text)?;
                current = Some((row, cells));
            }
        }
        Ok(ControlFlow::Continue(()))
    })?;
    if read.is_break() {
        return Ok(false);
    }
    if let Some((at, cells)) = current {
        give(bounds, at, cells)?;
    }
    match refused {
        Some(e) => Err(e),
        None => Ok(true),
    }
}

/// The non-empty rows of a sheet, each with its 1-based row number and its
/// cells as text, read whole. An xlsx sheet is read cell by cell, never as
/// a grid, so that a stray cell at XFD1048576 costs one cell, not a
/// billion; every sheet is held to the cell, column and time bounds.
fn sheet_rows(
    workbook: &mut Workbook,
    path: &Path,
    format: &'static str,
    name: &str,
    limits: &ReadLimits,
) -> Result<Vec<SheetRow>, IngestError> {
    let mut bounds = SheetCells::new(path, format, name, limits);
    let mut rows: std::collections::BTreeMap<u32, Vec<(usize, String)>> = Default::default();
    match workbook {
        Sheets::Xlsx(xlsx) => {
            // Every cell is taken: this never stops early.
            let _ = for_each_xlsx_cell(xlsx, &mut bounds, &mut |bounds, row, column, text| {
                bounds.push(rows.entry(row).or_default(), row, column, text)?;
                Ok(ControlFlow::Continue(()))
            })?;
        }
        other => {
            let range = other
                .worksheet_range(name)
                .map_err(|e| bounds.failed(e.to_string()))?;
            let (first_row, first_column) = range.start().unwrap_or((0, 0));
            for (i, cells) in range.rows().enumerate() {
                for (j, cell) in cells.iter().enumerate() {
                    if let Some(text) = cell_text(cell) {
                        let (row, column) = (first_row + i as u32, first_column as usize + j);
                        bounds.push(rows.entry(row).or_default(), row, column, text)?;
                    }
                }
            }
        }
    }
    rows.into_iter()
        .map(|(row, cells)| bounds.dense(row, cells))
        .collect()
}

/// Whether the file begins with `magic`.
fn starts_with(path: &Path, magic: &[u8]) -> bool {
    use std::io::Read;
    let mut head = vec![0; magic.len()];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == magic)
}

fn choose_sheets(
    path: &Path,
    sheets: &[(String, bool)],
    choice: &SheetChoice,
) -> Result<(Vec<String>, Vec<String>), IngestError> {
    let no_sheet = |wanted: String| IngestError::NoSheet {
        path: path.to_owned(),
        wanted,
        available: sheets
            .iter()
            .map(|(n, visible)| {
                if *visible {
                    format!("'{n}'")
                } else {
                    format!("'{n}' (hidden)")
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    match choice {
        SheetChoice::First => sheets
            .iter()
            .find(|(_, visible)| *visible)
            .map(|(n, _)| (vec![n.clone()], Vec::new()))
            .ok_or_else(|| no_sheet("a visible sheet".into())),
        SheetChoice::Index(i) => sheets
            .get(*i)
            .map(|(n, _)| (vec![n.clone()], Vec::new()))
            .ok_or_else(|| no_sheet(format!("sheet number {} (counting from 0)", i))),
        SheetChoice::Pattern(pattern) => {
            let glob = globset::Glob::new(pattern)
                .map_err(|e| no_sheet(format!("the pattern '{pattern}' ({e})")))?
                .compile_matcher();
            let matching: Vec<&(String, bool)> = sheets
                .iter()
                .filter(|(n, _)| glob.is_match(n) || n.trim() == pattern.trim())
                .collect();
            // Senders hide sheets of workings and old versions; a hidden
            // sheet is read only when the pattern names it exactly.
            let mut notes = Vec::new();
            let names: Vec<String> = matching
                .iter()
                .filter(|(n, visible)| {
                    let wanted = *visible || n.trim() == pattern.trim();
                    if !wanted {
                        notes.push(format!(
                            "{}: sheet '{n}' matches '{pattern}' but is hidden, so it is not read; name it exactly in the pipeline's `sheet` to read it",
                            path.display()
                        ));
                    }
                    wanted
                })
                .map(|(n, _)| n.clone())
                .collect();
            if names.is_empty() {
                Err(no_sheet(format!("the pattern '{pattern}'")))
            } else {
                Ok((names, notes))
            }
        }
    }
}

/// A cell as the text an analyst would see, dates as ISO 8601.
fn cell_text(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty => None,
        Data::String(s) => (!s.trim().is_empty()).then(|| s.clone()),
        Data::Int(i) => Some(i.to_string()),
        Data::Float(f) => Some(float_text(*f)),
        Data::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.to_owned()),
        Data::DateTime(dt) => Some(match dt.as_datetime() {
            Some(t) if t.time() == chrono_midnight() => t.format("%Y-%m-%d").to_string(),
            Some(t) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => float_text(dt.as_f64()),
        }),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Some(s.clone()),
        Data::Error(e) => Some(e.to_string()),
    }
}

fn chrono_midnight() -> chrono::NaiveTime {
    chrono::NaiveTime::MIN
}

/// Integral floats without a trailing `.0`; others in shortest round-trip form.
fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_read_as_written() {
        assert_eq!(float_text(150.0), "150");
        assert_eq!(float_text(150.25), "150.25");
        assert_eq!(float_text(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn sheet_patterns_and_hidden_sheets() {
        let sheets = vec![
            ("说明".to_owned(), true),
            ("协议2016".to_owned(), true),
            ("旧".to_owned(), false),
        ];
        let p = Path::new("x.xlsx");
        assert_eq!(
            choose_sheets(p, &sheets, &SheetChoice::Pattern("协议*".into()))
                .unwrap()
                .0,
            ["协议2016"]
        );
        assert_eq!(
            choose_sheets(p, &sheets, &SheetChoice::First).unwrap().0,
            ["说明"]
        );
        let e = choose_sheets(p, &sheets, &SheetChoice::Pattern("Agreements".into()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("'旧' (hidden)"), "{e}");
        let (names, notes) = choose_sheets(p, &sheets, &SheetChoice::Pattern("*".into())).unwrap();
        assert_eq!(names, ["说明", "协议2016"]);
        assert!(
            notes[0].contains("sheet '旧' matches '*' but is hidden"),
            "{notes:?}"
        );
    }
}

//! Workbooks (xlsx, xls, ods) through calamine.

use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader, SheetVisible, Sheets};

use crate::error::IngestError;
use crate::header::ExpectedColumn;
use crate::limits::ReadLimits;
use crate::{table_from_rows, Read, ReadOptions, SheetChoice, SourceFormat};

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
    let mut tables = Vec::with_capacity(chosen.len());
    for name in chosen {
        let rows = sheet_rows(&mut workbook, path, format, &name, &options.limits)?;
        if rows.is_empty() {
            return Err(IngestError::EmptySheet {
                location: crate::location(path, Some(&name)),
            });
        }
        tables.push(table_from_rows(
            path,
            Some(&name),
            &rows,
            options,
            expected,
        )?);
    }
    Ok(Read { tables, notes })
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

/// A sheet row: its 1-based number and its cells as text.
type SheetRow = (u32, Vec<Option<String>>);

/// The non-empty rows of a sheet, each with its 1-based row number and its
/// cells as text. An xlsx sheet is read cell by cell, never as a grid, so
/// that a stray cell at XFD1048576 costs one cell, not a billion; every
/// sheet is held to the cell, column and time bounds.
fn sheet_rows(
    workbook: &mut Workbook,
    path: &Path,
    format: &'static str,
    name: &str,
    limits: &ReadLimits,
) -> Result<Vec<SheetRow>, IngestError> {
    let failed = |message: String| IngestError::Workbook {
        path: path.to_owned(),
        format,
        message: format!("sheet '{name}': {message}"),
    };
    let too_large = |what: String| IngestError::TooLarge {
        path: path.to_owned(),
        what: format!("sheet '{name}': {what}"),
    };
    let started = std::time::Instant::now();
    let mut rows: std::collections::BTreeMap<u32, Vec<(usize, String)>> = Default::default();
    match workbook {
        Sheets::Xlsx(xlsx) => {
            let mut cells = xlsx
                .worksheet_cells_reader(name)
                .map_err(|e| failed(e.to_string()))?;
            let mut read = 0usize;
            while let Some(cell) = cells.next_cell().map_err(|e| failed(e.to_string()))? {
                read += 1;
                if read.is_multiple_of(65_536) && started.elapsed().as_secs() > limits.max_seconds {
                    return Err(too_large(format!(
                        "reading it took more than {} s",
                        limits.max_seconds
                    )));
                }
                if read > limits.max_cells {
                    return Err(too_large(format!(
                        "it has more than {} cells",
                        limits.max_cells
                    )));
                }
                let (row, column) = cell.get_position();
                let Some(text) = cell_text(&Data::from(cell.get_value().clone())) else {
                    continue;
                };
                push_cell(&mut rows, row, column as usize, text, limits).map_err(too_large)?;
            }
        }
        other => {
            let range = other
                .worksheet_range(name)
                .map_err(|e| failed(e.to_string()))?;
            let (first_row, first_column) = range.start().unwrap_or((0, 0));
            for (i, cells) in range.rows().enumerate() {
                for (j, cell) in cells.iter().enumerate() {
                    if let Some(text) = cell_text(cell) {
                        let (row, column) = (first_row + i as u32, first_column as usize + j);
                        push_cell(&mut rows, row, column, text, limits).map_err(too_large)?;
                    }
                }
            }
        }
    }
    // Rows as the header finder and the table builder read them: dense up
    // to each row's last cell, the number being Excel's (1-based).
    let spanned: usize = rows
        .values()
        .map(|cells| cells.last().map_or(0, |(c, _)| c + 1))
        .sum();
    if spanned > limits.max_cells {
        return Err(too_large(format!(
            "its rows span {spanned} cells, more than the {} ttkg reads in one sheet",
            limits.max_cells
        )));
    }
    Ok(rows
        .into_iter()
        .map(|(row, cells)| {
            let width = cells.last().map_or(0, |(c, _)| c + 1);
            let mut dense = vec![None; width];
            for (column, text) in cells {
                dense[column] = Some(text);
            }
            (row + 1, dense)
        })
        .collect())
}

/// Adds a cell to its row, refusing columns past the bound.
fn push_cell(
    rows: &mut std::collections::BTreeMap<u32, Vec<(usize, String)>>,
    row: u32,
    column: usize,
    text: String,
    limits: &ReadLimits,
) -> Result<(), String> {
    if column >= limits.max_columns {
        return Err(format!(
            "it has a value in column {} (row {}), beyond the {} columns ttkg reads; delete the stray cells far to the right",
            column + 1,
            row + 1,
            limits.max_columns
        ));
    }
    let cells = rows.entry(row).or_default();
    // Cells come in order within a row, but make sure.
    match cells.binary_search_by_key(&column, |(c, _)| *c) {
        Ok(i) => cells[i].1 = text,
        Err(i) => cells.insert(i, (column, text)),
    }
    Ok(())
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

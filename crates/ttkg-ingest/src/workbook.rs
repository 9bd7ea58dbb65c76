//! Workbooks (xlsx, xls, ods) through calamine.

use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader, SheetVisible};

use crate::error::IngestError;
use crate::header::ExpectedColumn;
use crate::{table_from_rows, Read, ReadOptions, SheetChoice, SourceFormat};

pub(crate) fn read(
    path: &Path,
    options: &ReadOptions,
    expected: &[ExpectedColumn],
) -> Result<Read, IngestError> {
    let format = match options.format {
        SourceFormat::Xlsx => "xlsx",
        SourceFormat::Xls => "xls",
        SourceFormat::Ods => "ods",
        SourceFormat::Csv => "csv",
    };
    match std::fs::metadata(path) {
        Ok(m) if m.len() == 0 => {
            return Err(IngestError::Empty {
                path: path.to_owned(),
            })
        }
        Ok(_) => {}
        Err(source) => {
            return Err(IngestError::Io {
                path: path.to_owned(),
                source,
            })
        }
    }
    if format != "xls" && starts_with(path, &[0xD0, 0xCF, 0x11, 0xE0]) {
        // Office saves password-protected workbooks as OLE compound files.
        return Err(IngestError::Protected {
            path: path.to_owned(),
        });
    }
    let mut workbook = open_workbook_auto(path).map_err(|e| IngestError::Workbook {
        path: path.to_owned(),
        format,
        message: e.to_string(),
    })?;
    let sheets: Vec<(String, bool)> = workbook
        .sheets_metadata()
        .iter()
        .map(|s| (s.name.clone(), s.visible == SheetVisible::Visible))
        .collect();
    let (chosen, notes) = choose_sheets(path, &sheets, &options.sheet)?;
    let mut tables = Vec::with_capacity(chosen.len());
    for name in chosen {
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| IngestError::Workbook {
                path: path.to_owned(),
                format,
                message: format!("sheet '{name}': {e}"),
            })?;
        let first_row = range.start().map_or(0, |(row, _)| row);
        let first_col = range.start().map_or(0, |(_, col)| col) as usize;
        let rows: Vec<(u32, Vec<Option<String>>)> = range
            .rows()
            .enumerate()
            .map(|(i, cells)| {
                let mut row: Vec<Option<String>> = vec![None; first_col];
                row.extend(cells.iter().map(cell_text));
                (first_row + i as u32 + 1, row)
            })
            .filter(|(_, cells)| cells.iter().any(Option::is_some))
            .collect();
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

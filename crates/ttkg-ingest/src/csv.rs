//! CSV: decode to UTF-8, find the header line, then let polars read the rest.
//!
//! polars requires UTF-8 and a rectangular file, while senders' CSV files come
//! in GB18030 or UTF-16 and often start with a title line. So the bytes are
//! decoded first (encoding_rs), the header is located in the first lines, and
//! polars reads from the header line on with every column as a string.

use std::io::Cursor;
use std::path::Path;

use encoding_rs::{Encoding, UTF_8};
use polars::prelude::*;

use crate::chunks::{internal, ChunkedColumns};
use crate::error::IngestError;
use crate::header::{self, ExpectedColumn};
use crate::{ReadOptions, RejectedRow, Table};

pub(crate) fn read(
    path: &Path,
    options: &ReadOptions,
    expected: &[ExpectedColumn],
) -> Result<Table, IngestError> {
    let (text, encoding) = file_text(path, options)?;
    let location = path.display().to_string();
    let (delimiter, found) = find_header(&location, &text, options, expected)?;
    let body = Body::split(&text, delimiter, found.row);
    let height = body.records.len();
    let width = found.cells.len().max(1);
    if height.saturating_mul(width) > options.limits.max_cells {
        return Err(IngestError::TooLarge {
            path: path.to_owned(),
            what: format!(
                "{height} rows of {width} columns are more than the {} cells ttkg reads in one file",
                options.limits.max_cells
            ),
        });
    }
    // polars reads the records a chunk at a time, and only the expected
    // columns of each are kept (see `crate::chunks`).
    let mut columns = ChunkedColumns::new(location.clone(), expected);
    let chunk = options.chunk_rows.max(1);
    let mut start = 0;
    while start < height {
        let end = height.min(start.saturating_add(chunk));
        let frame = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_raise_if_empty(false)
            .map_parse_options(|o| o.with_separator(delimiter))
            .into_reader_with_file_handle(Cursor::new(body.text(start..end).into_bytes()))
            .finish()
            .map_err(|e| IngestError::Csv {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
        if frame.height() != end - start {
            // The records were split once here and once by polars; if the
            // two disagree, no row number can be trusted, so nothing is
            // loaded.
            return Err(IngestError::Csv {
                path: path.to_owned(),
                message: format!(
                    "from line {} on, {} records were found but {} could be read; check the file's quoting",
                    body.records[start].0,
                    end - start,
                    frame.height()
                ),
            });
        }
        let source_columns = frame.columns();
        let mut chunk_columns = Vec::with_capacity(expected.len());
        for (column, index) in expected.iter().zip(&found.indexes) {
            let values = match index.and_then(|i| source_columns.get(i)) {
                Some(c) => c
                    .cast(&DataType::String)
                    .map_err(|e| internal(&location, e))?
                    .as_materialized_series()
                    // polars splits what it parses by thread; one array a
                    // chunk of rows ends where the batches do.
                    .rechunk()
                    .with_name(column.key.as_str().into()),
                None => {
                    Series::full_null(column.key.as_str().into(), end - start, &DataType::String)
                }
            };
            chunk_columns.push(values);
        }
        let numbers = body.records[start..end]
            .iter()
            .map(|(line, _)| *line)
            .collect();
        columns.push(numbers, chunk_columns)?;
        start = end;
    }
    let frame = columns.finish()?;
    Ok(Table {
        file: path.to_owned(),
        sheet: None,
        header_row: found.row as usize,
        missing: found.missing(expected),
        headers: expected
            .iter()
            .zip(found.texts)
            .map(|(c, t)| (c.key.clone(), t))
            .collect(),
        frame,
        encoding: Some(encoding.name()),
        rejected: body.rejected,
    })
}

/// The file's text: size checked, decoded (see [`decode`]), Vietnamese
/// tone marks composed, one line ending, not empty.
fn file_text(
    path: &Path,
    options: &ReadOptions,
) -> Result<(String, &'static Encoding), IngestError> {
    crate::limits::check_file(path, &options.limits)?;
    let bytes = std::fs::read(path).map_err(|source| IngestError::Io {
        path: path.to_owned(),
        source,
    })?;
    if bytes.is_empty() {
        return Err(IngestError::Empty {
            path: path.to_owned(),
        });
    }
    let (text, encoding) = decode(path, bytes, options.encoding.as_deref())?;
    // Windows-1258 (and Mac exports) keep Vietnamese tone marks apart from
    // their letters; compose them so they compare equal to typed text. Text
    // already composed is not copied (a file's text is up to 256 MiB).
    let text = if text.is_ascii() || unicode_normalization::is_nfc(&text) {
        text
    } else {
        use unicode_normalization::UnicodeNormalization;
        text.nfc().collect()
    };
    if let Some(offset) = text.find('\0') {
        return Err(IngestError::Binary {
            path: path.to_owned(),
            offset,
        });
    }
    // One line ending, so that line numbers and records agree with what an
    // editor shows (Excel on Windows writes CR LF, old Mac exports CR).
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text
    };
    if text.trim().is_empty() {
        return Err(IngestError::Empty {
            path: path.to_owned(),
        });
    }
    Ok((text, encoding))
}

/// The first `max_rows` records of a CSV file split into cells, under the
/// declared delimiter or the one that splits the most lines into the same
/// number of fields (more than one): what `ttkg draft` reads a report by.
pub(crate) fn preview(
    path: &Path,
    options: &ReadOptions,
    max_rows: usize,
) -> Result<crate::Preview, IngestError> {
    let (text, encoding) = file_text(path, options)?;
    let delimiter = options.delimiter.unwrap_or_else(|| {
        let consistent = |d: u8| {
            let widths: Vec<usize> = records(&text, d)
                .iter()
                .take(max_rows)
                .filter(|r| !r.text.trim().is_empty())
                .map(|r| r.fields)
                .collect();
            let mut counts = std::collections::BTreeMap::new();
            for w in widths.iter().filter(|w| **w > 1) {
                *counts.entry(*w).or_insert(0usize) += 1;
            }
            counts
                .into_iter()
                .map(|(w, n)| (n, w))
                .max()
                .unwrap_or((0, 0))
        };
        DELIMITERS
            .into_iter()
            .max_by_key(|d| {
                (
                    consistent(*d),
                    std::cmp::Reverse(DELIMITERS.iter().position(|x| x == d)),
                )
            })
            .unwrap_or(b',')
    });
    let rows = records(&text, delimiter)
        .iter()
        .filter(|r| r.broken.is_none() && r.fields <= options.limits.max_columns)
        .take(max_rows)
        .map(|r| {
            let cells = split_line(r.text, delimiter as char)
                .into_iter()
                .map(|c| c.map(str::to_owned))
                .collect();
            (r.line, cells)
        })
        .collect();
    Ok(crate::Preview {
        sheet: None,
        encoding: Some(encoding.name()),
        delimiter: Some(delimiter),
        rows,
    })
}

/// The data records below the header line, split as RFC 4180 reads them:
/// a field that starts with a double quote may hold separators, line breaks
/// and doubled quotes. Records with another number of fields than the
/// header, or with broken quoting, are rejected one by one, with their line,
/// so that one sender's unquoted comma costs one row and not the file.
struct Body<'t> {
    /// The header line.
    header: &'t str,
    /// The good records as polars is to read them, each with the line it
    /// starts on; `None` for an empty line (a blank row).
    records: Vec<(u32, Option<&'t str>)>,
    /// An empty line's record: the header's number of empty fields.
    blank: String,
    rejected: Vec<RejectedRow>,
}

/// One record of a CSV text.
#[derive(Debug, PartialEq)]
struct Record<'a> {
    /// 1-based line the record starts on.
    line: u32,
    /// Lines it spans (more than one when a quoted value holds a line break).
    lines: u32,
    text: &'a str,
    fields: usize,
    /// Quoting the record breaks, in words.
    broken: Option<String>,
}

impl<'t> Body<'t> {
    fn split(text: &'t str, delimiter: u8, header_line: u32) -> Body<'t> {
        let records = records(text, delimiter);
        let header = records
            .iter()
            .position(|r| r.line >= header_line)
            .unwrap_or(records.len());
        let Some(head) = records.get(header) else {
            return Body {
                header: "",
                records: Vec::new(),
                blank: String::new(),
                rejected: Vec::new(),
            };
        };
        let expected = head.fields;
        let mut body = Body {
            header: head.text,
            records: Vec::new(),
            blank: String::from(delimiter as char).repeat(expected.saturating_sub(1)),
            rejected: Vec::new(),
        };
        for record in &records[header + 1..] {
            let trailing_empty = record.fields > expected
                && record
                    .text
                    .as_bytes()
                    .ends_with(&vec![delimiter; record.fields - expected]);
            let reason = if let Some(broken) = &record.broken {
                Some(broken.clone())
            } else if record.text.trim().is_empty() {
                // An empty line: a blank row, counted as such.
                body.records.push((record.line, None));
                continue;
            } else if record.fields == expected || trailing_empty {
                None
            } else {
                Some(ragged_reason(record, expected, delimiter))
            };
            match reason {
                Some(reason) => body.rejected.push(RejectedRow {
                    row: record.line,
                    reason,
                    text: record.text.chars().take(200).collect(),
                }),
                None => {
                    let kept = if trailing_empty {
                        &record.text[..record.text.len() - (record.fields - expected)]
                    } else {
                        record.text
                    };
                    body.records.push((record.line, Some(kept)));
                }
            }
        }
        body
    }

    /// What polars reads for the records in `range`: the header line, then
    /// each record on a line of its own.
    fn text(&self, range: std::ops::Range<usize>) -> String {
        let records = &self.records[range];
        let length: usize = records
            .iter()
            .map(|(_, r)| r.map_or(self.blank.len(), str::len) + 1)
            .sum();
        let mut text = String::with_capacity(self.header.len() + 1 + length);
        text.push_str(self.header);
        text.push('\n');
        for (_, record) in records {
            text.push_str(record.unwrap_or(&self.blank));
            text.push('\n');
        }
        text
    }
}

fn ragged_reason(record: &Record<'_>, expected: usize, delimiter: u8) -> String {
    let separator = match delimiter {
        b',' => "comma".to_owned(),
        b';' => "semicolon".to_owned(),
        b'\t' => "tab".to_owned(),
        other => format!("'{}'", other as char),
    };
    let place = if record.lines > 1 {
        format!("lines {}-{}", record.line, record.line + record.lines - 1)
    } else {
        format!("line {}", record.line)
    };
    let hint = if record.fields > expected {
        format!("a value with an unquoted {separator}? Put that value in double quotes, or remove the {separator}")
    } else {
        format!("a missing {separator}, or a value broken over two lines without quotes?")
    };
    format!(
        "{place} has {} fields, the header {expected}: {hint} The row was not loaded.",
        record.fields
    )
}

/// Splits `text` into records, honouring double quotes at the start of a
/// field the way polars' CSV reader does.
fn records(text: &str, delimiter: u8) -> Vec<Record<'_>> {
    let bytes = text.as_bytes();
    let mut records = Vec::new();
    let mut line = 1u32;
    let mut start = 0;
    let mut start_line = 1u32;
    let mut fields = 1;
    let mut broken: Option<String> = None;
    let mut i = 0;
    let mut field_start = true;
    while i < bytes.len() {
        let b = bytes[i];
        if field_start && b == b'"' {
            // A quoted field: up to the quote that is not doubled.
            let opened = line;
            i += 1;
            loop {
                match bytes.get(i) {
                    None => {
                        broken.get_or_insert(format!(
                            "a quoted value starting on line {opened} never ends (a double quote is missing); everything after it was not loaded"
                        ));
                        break;
                    }
                    Some(b'"') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b'\n') => {
                        line += 1;
                        i += 1;
                    }
                    Some(_) => i += 1,
                }
            }
            field_start = false;
            if let Some(&next) = bytes.get(i) {
                if next != delimiter && next != b'\n' {
                    broken.get_or_insert(format!(
                        "line {line} has text after the closing double quote of a value; quote the whole value (doubling the quotes inside it) and send it again"
                    ));
                }
            }
            continue;
        }
        match b {
            b'\n' => {
                records.push(Record {
                    line: start_line,
                    lines: line - start_line + 1,
                    text: &text[start..i],
                    fields,
                    broken: broken.take(),
                });
                line += 1;
                start = i + 1;
                start_line = line;
                fields = 1;
                field_start = true;
            }
            b if b == delimiter => {
                fields += 1;
                field_start = true;
            }
            b'"' => {
                broken.get_or_insert(format!(
                    "line {line} has a double quote inside a value that does not start with one (such as 5\" screen); quote the whole value, doubling the quote inside it, or remove it"
                ));
                field_start = false;
            }
            _ => field_start = false,
        }
        i += 1;
    }
    if start < bytes.len() {
        records.push(Record {
            line: start_line,
            lines: line - start_line + 1,
            text: &text[start..],
            fields,
            broken,
        });
    }
    records
}

/// The delimiters tried when the pipeline declares none, most common first.
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// The header row under the declared delimiter, or under whichever
/// candidate finds it with the most expected columns.
fn find_header(
    location: &str,
    text: &str,
    options: &ReadOptions,
    expected: &[ExpectedColumn],
) -> Result<(u8, header::FoundHeader), IngestError> {
    let attempt = |delimiter: u8| {
        // A line of more fields than a report has columns is no header (and
        // splitting a line of 25 million fields would take gigabytes).
        let max = options.limits.max_columns;
        let head: Vec<(u32, Vec<Option<&str>>)> = text
            .lines()
            .take(options.header_search_rows)
            .enumerate()
            .map(|(i, line)| {
                let fields = line.bytes().filter(|b| *b == delimiter).count() + 1;
                let cells = if fields > max {
                    Vec::new()
                } else {
                    split_line(line, delimiter as char)
                };
                (i as u32 + 1, cells)
            })
            .collect();
        // polars reads the body under one header line, so CSV headers are one row.
        header::find(location, &head, expected, false).map(|found| (delimiter, found))
    };
    if let Some(declared) = options.delimiter {
        return attempt(declared);
    }
    let mut first_error = None;
    let mut best: Option<(u8, header::FoundHeader)> = None;
    for delimiter in DELIMITERS {
        match attempt(delimiter) {
            Ok((d, found)) => {
                let matched = |f: &header::FoundHeader| f.indexes.iter().flatten().count();
                if best
                    .as_ref()
                    .is_none_or(|(_, b)| matched(&found) > matched(b))
                {
                    best = Some((d, found));
                }
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match (best, first_error) {
        (Some(found), _) => Ok(found),
        (None, Some(e)) => Err(e),
        (None, None) => unreachable!("at least one delimiter is tried"),
    }
}

/// Decodes with the BOM's encoding, else the declared one, else UTF-8 when
/// the bytes are UTF-8, else chardetng's guess.
fn decode(
    path: &Path,
    mut bytes: Vec<u8>,
    declared: Option<&str>,
) -> Result<(String, &'static Encoding), IngestError> {
    let looks_binary =
        bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    if looks_binary {
        return Err(IngestError::Binary {
            path: path.to_owned(),
            offset: 0,
        });
    }
    let (encoding, bom) = match Encoding::for_bom(&bytes) {
        Some((encoding, bom)) => (encoding, bom),
        None => {
            let encoding = match declared.and_then(|l| Encoding::for_label(l.as_bytes())) {
                Some(declared) => declared,
                None if std::str::from_utf8(&bytes).is_ok() => UTF_8,
                None => {
                    let mut detector = chardetng::EncodingDetector::new();
                    detector.feed(&bytes, true);
                    detector.guess(None, true)
                }
            };
            (encoding, 0)
        }
    };
    if encoding == UTF_8 {
        // The bytes become the text, without a copy.
        bytes.drain(..bom);
        return String::from_utf8(bytes)
            .map_err(|e| IngestError::Encoding {
                path: path.to_owned(),
                encoding: "UTF-8",
                offset: e.utf8_error().valid_up_to() + bom,
            })
            .map(|text| (text, encoding));
    }
    let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
    if had_errors {
        let offset = text.find('\u{FFFD}').unwrap_or(0);
        return Err(IngestError::Encoding {
            path: path.to_owned(),
            encoding: encoding.name(),
            offset,
        });
    }
    Ok((text.into_owned(), encoding))
}

/// Splits one line into fields for header search, honouring double quotes.
fn split_line(line: &str, delimiter: char) -> Vec<Option<&str>> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    for (i, c) in line.char_indices() {
        if c == '"' {
            in_quotes = !in_quotes;
        } else if c == delimiter && !in_quotes {
            fields.push(&line[start..i]);
            start = i + c.len_utf8();
        }
    }
    fields.push(&line[start..]);
    fields
        .into_iter()
        .map(|f| {
            let f = f.trim().trim_matches('"');
            (!f.is_empty()).then_some(f)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_fields() {
        assert_eq!(
            split_line("a,\"b,c\",,d", ','),
            vec![Some("a"), Some("b,c"), None, Some("d")]
        );
    }

    fn shape(text: &str) -> Vec<(u32, u32, usize, bool)> {
        records(text, b',')
            .iter()
            .map(|r| (r.line, r.lines, r.fields, r.broken.is_some()))
            .collect()
    }

    #[test]
    fn records_follow_quotes_and_lines() {
        assert_eq!(
            shape("a,b,c\n1,\"x, y\",3\n2,\"two\nlines\",4\n3,\"say \"\"hi\"\"\",5"),
            vec![
                (1, 1, 3, false),
                (2, 1, 3, false),
                (3, 2, 3, false),
                (5, 1, 3, false)
            ]
        );
        // A stray quote, text after a closing quote, and a quote never closed.
        assert_eq!(
            shape("a,b\n5\" screen,1\n\"x\"y,2\n\"open,3\n4,5"),
            vec![
                (1, 1, 2, false),
                (2, 1, 2, true),
                (3, 1, 2, true),
                (4, 2, 1, true)
            ]
        );
    }

    #[test]
    fn ragged_records_are_rejected_with_their_line() {
        let body = Body::split("t\nh1,h2,h3\n1,2,3\n4,5,6,7\n8,9\n\n10,11,12,,\n", b',', 2);
        let lines: Vec<u32> = body.records.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, vec![3, 6, 7]);
        assert_eq!(body.text(0..3), "h1,h2,h3\n1,2,3\n,,\n10,11,12\n");
        assert_eq!(body.text(1..3), "h1,h2,h3\n,,\n10,11,12\n");
        let reasons: Vec<(u32, &str)> = body
            .rejected
            .iter()
            .map(|r| (r.row, r.reason.as_str()))
            .collect();
        assert_eq!(reasons[0].0, 4);
        assert!(
            reasons[0]
                .1
                .starts_with("line 4 has 4 fields, the header 3: a value with an unquoted comma?"),
            "{}",
            reasons[0].1
        );
        assert_eq!(reasons[1].0, 5);
        assert!(
            reasons[1].1.contains("has 2 fields, the header 3"),
            "{}",
            reasons[1].1
        );
    }

    #[test]
    fn decodes_bom_and_declared_encodings() {
        let p = Path::new("x.csv");
        let (t, e) = decode(p, b"\xEF\xBB\xBFa,b".to_vec(), None).unwrap();
        assert_eq!((t.as_str(), e.name()), ("a,b", "UTF-8"));
        let gbk = encoding_rs::GB18030.encode("协议编号").0;
        let (t, e) = decode(p, gbk.to_vec(), Some("gb18030")).unwrap();
        assert_eq!((t.as_str(), e.name()), ("协议编号", "gb18030"));
        // Without a BOM or a declaration, the encoding is guessed.
        let (t, e) = decode(p, gbk.to_vec(), None).unwrap();
        assert_eq!((t.as_str(), e.name()), ("协议编号", "GBK"));
        let thai = encoding_rs::WINDOWS_874.encode("วันที่ลงนาม,มูลค่า").0;
        let (t, e) = decode(p, thai.to_vec(), None).unwrap();
        assert_eq!((t.as_str(), e.name()), ("วันที่ลงนาม,มูลค่า", "windows-874"));
        // A declared encoding that does not fit is an error naming it.
        let err = decode(p, b"a,\xC3\x28".to_vec(), Some("utf-8"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("UTF-8"), "{err}");
    }
}

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

use crate::error::IngestError;
use crate::header::{self, ExpectedColumn};
use crate::{ReadOptions, Table, ROW_COLUMN};

pub(crate) fn read(
    path: &Path,
    options: &ReadOptions,
    expected: &[ExpectedColumn],
) -> Result<Table, IngestError> {
    let bytes = std::fs::read(path).map_err(|source| IngestError::Io {
        path: path.to_owned(),
        source,
    })?;
    if bytes.is_empty() {
        return Err(IngestError::Empty {
            path: path.to_owned(),
        });
    }
    let (text, encoding) = decode(path, &bytes, options.encoding.as_deref())?;
    // Windows-1258 (and Mac exports) keep Vietnamese tone marks apart from
    // their letters; compose them so they compare equal to typed text.
    let text = if text.is_ascii() {
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
    if text.trim().is_empty() {
        return Err(IngestError::Empty {
            path: path.to_owned(),
        });
    }
    let location = path.display().to_string();
    let (delimiter, found) = find_header(&location, &text, options, expected)?;
    let header_index = found.row as usize - 1;

    let frame = CsvReadOptions::default()
        .with_has_header(true)
        .with_skip_rows(header_index)
        .with_infer_schema_length(Some(0))
        .with_raise_if_empty(false)
        .map_parse_options(|o| o.with_separator(delimiter))
        .into_reader_with_file_handle(Cursor::new(text.into_bytes()))
        .finish()
        .map_err(|e| IngestError::Csv {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
    let height = frame.height();
    let first_data_row = found.row + 1;
    let mut columns = Vec::with_capacity(expected.len() + 1);
    columns.push(Column::new(
        ROW_COLUMN.into(),
        (first_data_row..first_data_row + height as u32).collect::<Vec<u32>>(),
    ));
    let source_columns = frame.columns();
    for (column, index) in expected.iter().zip(&found.indexes) {
        let values = match index.and_then(|i| source_columns.get(i)) {
            Some(c) => c
                .cast(&DataType::String)
                .map_err(|e| IngestError::Internal {
                    location: location.clone(),
                    message: e.to_string(),
                })?
                .with_name(column.key.as_str().into()),
            None => Column::full_null(column.key.as_str().into(), height, &DataType::String),
        };
        columns.push(values);
    }
    let frame = DataFrame::new(height, columns).map_err(|e| IngestError::Internal {
        location: location.clone(),
        message: e.to_string(),
    })?;
    Ok(Table {
        file: path.to_owned(),
        sheet: None,
        header_row: found.row as usize,
        headers: expected
            .iter()
            .zip(found.texts)
            .map(|(c, t)| (c.key.clone(), t))
            .collect(),
        frame,
        encoding: Some(encoding.name()),
    })
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
        let head: Vec<(u32, Vec<Option<&str>>)> = text
            .lines()
            .take(options.header_search_rows)
            .enumerate()
            .map(|(i, line)| (i as u32 + 1, split_line(line, delimiter as char)))
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
    bytes: &[u8],
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
    let (encoding, body) = match Encoding::for_bom(bytes) {
        Some((encoding, bom)) => (encoding, &bytes[bom..]),
        None => {
            let encoding = match declared.and_then(|l| Encoding::for_label(l.as_bytes())) {
                Some(declared) => declared,
                None if std::str::from_utf8(bytes).is_ok() => UTF_8,
                None => {
                    let mut detector = chardetng::EncodingDetector::new();
                    detector.feed(bytes, true);
                    detector.guess(None, true)
                }
            };
            (encoding, bytes)
        }
    };
    if encoding == UTF_8 {
        return match std::str::from_utf8(body) {
            Ok(s) => Ok((s.to_owned(), encoding)),
            Err(e) => Err(IngestError::Encoding {
                path: path.to_owned(),
                encoding: "UTF-8",
                offset: e.valid_up_to() + (bytes.len() - body.len()),
            }),
        };
    }
    let (text, had_errors) = encoding.decode_without_bom_handling(body);
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

    #[test]
    fn decodes_bom_and_declared_encodings() {
        let p = Path::new("x.csv");
        let (t, e) = decode(p, b"\xEF\xBB\xBFa,b", None).unwrap();
        assert_eq!((t.as_str(), e.name()), ("a,b", "UTF-8"));
        let gbk = encoding_rs::GB18030.encode("协议编号").0;
        let (t, e) = decode(p, &gbk, Some("gb18030")).unwrap();
        assert_eq!((t.as_str(), e.name()), ("协议编号", "gb18030"));
        // Without a BOM or a declaration, the encoding is guessed.
        let (t, e) = decode(p, &gbk, None).unwrap();
        assert_eq!((t.as_str(), e.name()), ("协议编号", "GBK"));
        let thai = encoding_rs::WINDOWS_874.encode("วันที่ลงนาม,มูลค่า").0;
        let (t, e) = decode(p, &thai, None).unwrap();
        assert_eq!((t.as_str(), e.name()), ("วันที่ลงนาม,มูลค่า", "windows-874"));
        // A declared encoding that does not fit is an error naming it.
        let err = decode(p, b"a,\xC3\x28", Some("utf-8"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("UTF-8"), "{err}");
    }
}

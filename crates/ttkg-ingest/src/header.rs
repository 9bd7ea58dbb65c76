//! Finding the header row and the columns in it.
//!
//! Senders put titles, notes and blank rows above the header and order
//! columns as they like, so the header row is the first row (within the
//! search window) that names every required column, and each column is found
//! by its header text in any of the languages the pipeline lists.

use crate::error::IngestError;

/// A column the pipeline expects, with the header texts that name it.
#[derive(Debug, Clone)]
pub struct ExpectedColumn {
    pub key: String,
    pub headers: Vec<String>,
    pub required: bool,
}

#[derive(Debug)]
pub(crate) struct FoundHeader {
    /// 1-based row number of the header row.
    pub row: u32,
    /// For each expected column, its cell index in the row.
    pub indexes: Vec<Option<usize>>,
    /// For each expected column, the header text as written.
    pub texts: Vec<Option<String>>,
}

/// The comparison key of a header text: full-width forms folded to ASCII,
/// lower-cased, whitespace removed. So `协议金额（万元）`, `协议金额(万元)` and
/// ` 协议金额 (万元)` all match.
pub fn header_key(text: &str) -> String {
    text.chars()
        .map(fold_width)
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Full-width ASCII variants (U+FF01–U+FF5E) to ASCII, the ideographic space
/// to a space; other characters unchanged.
fn fold_width(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    }
}

pub(crate) fn find(
    location: &str,
    rows: &[(u32, Vec<Option<&str>>)],
    expected: &[ExpectedColumn],
) -> Result<FoundHeader, IngestError> {
    let wanted: Vec<Vec<String>> = expected
        .iter()
        .map(|c| c.headers.iter().map(|h| header_key(h)).collect())
        .collect();
    let mut best: Option<(usize, u32, Vec<Option<usize>>)> = None;
    for (row, cells) in rows {
        let keys: Vec<Option<String>> = cells.iter().map(|c| c.map(header_key)).collect();
        let indexes: Vec<Option<usize>> = wanted
            .iter()
            .map(|names| {
                keys.iter().position(|k| {
                    k.as_ref()
                        .is_some_and(|k| !k.is_empty() && names.contains(k))
                })
            })
            .collect();
        let matched = indexes.iter().filter(|i| i.is_some()).count();
        let all_required = expected
            .iter()
            .zip(&indexes)
            .all(|(c, i)| !c.required || i.is_some());
        if all_required && matched > 0 {
            let texts = indexes
                .iter()
                .map(|i| i.and_then(|i| cells[i].map(|s| s.trim().to_owned())))
                .collect();
            return Ok(FoundHeader {
                row: *row,
                indexes,
                texts,
            });
        }
        if best.as_ref().is_none_or(|(m, _, _)| matched > *m) {
            best = Some((matched, *row, indexes));
        }
    }
    let describe = |c: &ExpectedColumn| format!("{} (one of: {})", c.key, c.headers.join(" / "));
    match best {
        Some((matched, row, indexes)) if matched > 0 => {
            let missing: Vec<&ExpectedColumn> = expected
                .iter()
                .zip(&indexes)
                .filter(|(c, i)| c.required && i.is_none())
                .map(|(c, _)| c)
                .collect();
            let found: Vec<String> = rows
                .iter()
                .find(|(n, _)| *n == row)
                .map(|(_, cells)| {
                    cells
                        .iter()
                        .flatten()
                        .map(|s| format!("'{}'", s.trim()))
                        .collect()
                })
                .unwrap_or_default();
            Err(IngestError::MissingColumns {
                location: location.to_owned(),
                row,
                missing: missing
                    .iter()
                    .map(|c| describe(c))
                    .collect::<Vec<_>>()
                    .join("; "),
                found: found.join(", "),
                keys: missing.iter().map(|c| c.key.clone()).collect(),
            })
        }
        _ => Err(IngestError::NoHeader {
            location: location.to_owned(),
            rows: rows.len(),
            expected: expected
                .iter()
                .filter(|c| c.required)
                .map(describe)
                .collect::<Vec<_>>()
                .join("; "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(key: &str, headers: &[&str], required: bool) -> ExpectedColumn {
        ExpectedColumn {
            key: key.into(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            required,
        }
    }

    #[test]
    fn header_keys_fold_width_case_and_space() {
        assert_eq!(header_key("协议金额（万元）"), header_key("协议金额(万元)"));
        assert_eq!(header_key(" Agreement　No. "), "agreementno.");
        assert_eq!(header_key("ＡＢＣ１２"), "abc12");
    }

    #[test]
    fn skips_title_rows_and_finds_columns_in_any_order() {
        let rows = vec![
            (1, vec![Some("2016年协议汇总表"), None, None]),
            (2, vec![Some("金额单位：万元"), None, None]),
            (3, vec![Some("金额(万元)"), Some("序号"), Some("协议编号")]),
        ];
        let expected = [
            col("number", &["协议编号", "Agreement No."], true),
            col("amount", &["金额（万元）"], false),
            col("note", &["备注"], false),
        ];
        let found = find("f.xlsx", &rows, &expected).unwrap();
        assert_eq!(found.row, 3);
        assert_eq!(found.indexes, vec![Some(2), Some(0), None]);
        assert_eq!(found.texts[1].as_deref(), Some("金额(万元)"));
    }

    #[test]
    fn missing_required_column_names_what_was_found() {
        let rows = vec![(1, vec![Some("协议编号"), Some("项目名称")])];
        let expected = [
            col("number", &["协议编号"], true),
            col("amount", &["协议金额（万元）"], true),
        ];
        let err = find("f.xlsx, sheet 'S'", &rows, &expected)
            .unwrap_err()
            .to_string();
        assert!(err.contains("row 1"), "{err}");
        assert!(err.contains("amount (one of: 协议金额（万元）)"), "{err}");
        assert!(err.contains("'项目名称'"), "{err}");
    }
}

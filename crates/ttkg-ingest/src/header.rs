//! Finding the header row and the columns in it.
//!
//! Senders put titles, notes and blank rows above the header and order
//! columns as they like, so the header row is the first row (within the
//! search window) that names every required column, and each column is found
//! by its header text in any of the languages the pipeline lists.
//!
//! Workbooks may also have a two-row header: a parent cell merged across
//! sub-columns (协议金额 over 金额 and 币种). Its columns are named
//! `parent/child` (协议金额/币种); a cell merged down over both rows keeps
//! its own name.

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

/// The comparison key of a header text: Unicode composed (NFC), full-width
/// forms folded to ASCII, lower-cased, whitespace removed. So `协议金额（万元）`, `协议金额(万元)` and
/// ` 协议金额 (万元)` all match.
pub fn header_key(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfc()
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

/// The columns of `expected` found among `cells`: their indexes, how many
/// matched, and whether every required one did.
fn match_cells(
    cells: &[Option<String>],
    wanted: &[Vec<String>],
    expected: &[ExpectedColumn],
) -> (Vec<Option<usize>>, usize, bool) {
    let keys: Vec<Option<String>> = cells.iter().map(|c| c.as_deref().map(header_key)).collect();
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
    (indexes, matched, all_required)
}

/// One header from two rows: `parent/child` under a parent merged across
/// its children, the single text where only one row has one.
fn combine(parent: &[Option<&str>], child: &[Option<&str>]) -> Vec<Option<String>> {
    let width = parent.len().max(child.len());
    let mut spanning: Option<&str> = None;
    (0..width)
        .map(|i| {
            let p = parent.get(i).copied().flatten().map(str::trim);
            let c = child.get(i).copied().flatten().map(str::trim);
            // A merged parent has children under each of its columns; a cell
            // merged down over both rows has none and spans nothing.
            spanning = match (p, c) {
                (Some(p), Some(_)) => Some(p),
                (None, Some(_)) => spanning,
                _ => None,
            };
            match (p.or(c.and(spanning)), c) {
                (Some(p), Some(c)) => Some(format!("{p}/{c}")),
                (Some(p), None) => Some(p.to_owned()),
                (None, Some(c)) => Some(c.to_owned()),
                (None, None) => None,
            }
        })
        .collect()
}

/// Finds the header row; with `two_row_headers`, a header over two rows
/// is taken when it names more of the expected columns than one row does.
pub(crate) fn find(
    location: &str,
    rows: &[(u32, Vec<Option<&str>>)],
    expected: &[ExpectedColumn],
    two_row_headers: bool,
) -> Result<FoundHeader, IngestError> {
    let wanted: Vec<Vec<String>> = expected
        .iter()
        .map(|c| c.headers.iter().map(|h| header_key(h)).collect())
        .collect();
    let mut best: Option<(usize, u32, Vec<Option<usize>>)> = None;
    for (i, (row, cells)) in rows.iter().enumerate() {
        let single: Vec<Option<String>> = cells.iter().map(|c| c.map(str::to_owned)).collect();
        let mut candidates = vec![(*row, single)];
        if let Some((next, below)) = rows.get(i + 1).filter(|_| two_row_headers) {
            if *next == row + 1 {
                candidates.push((*next, combine(cells, below)));
            }
        }
        let scored: Vec<_> = candidates
            .into_iter()
            .map(|(row, cells)| {
                let (indexes, matched, all_required) = match_cells(&cells, &wanted, expected);
                (row, cells, indexes, matched, all_required)
            })
            .collect();
        // The two-row reading wins only by naming more columns.
        let chosen = scored
            .iter()
            .filter(|c| c.4 && c.3 > 0)
            .max_by(|a, b| a.3.cmp(&b.3).then(b.0.cmp(&a.0)));
        if let Some((row, cells, indexes, _, _)) = chosen {
            let texts = indexes
                .iter()
                .map(|i| i.and_then(|i| cells[i].clone()))
                .collect();
            return Ok(FoundHeader {
                row: *row,
                indexes: indexes.clone(),
                texts,
            });
        }
        let (matched, indexes) = (scored[0].3, scored[0].2.clone());
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
        let found = find("f.xlsx", &rows, &expected, true).unwrap();
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
        let err = find("f.xlsx, sheet 'S'", &rows, &expected, true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("row 1"), "{err}");
        assert!(err.contains("amount (one of: 协议金额（万元）)"), "{err}");
        assert!(err.contains("'项目名称'"), "{err}");
    }

    #[test]
    fn two_row_headers_under_merged_parents() {
        let rows = vec![
            (1, vec![Some("协议汇总"), None, None, None]),
            (
                2,
                vec![Some("序号"), Some("协议金额"), None, Some("签约日期")],
            ),
            (3, vec![None, Some("金额"), Some("币种"), None]),
            (
                4,
                vec![Some("1"), Some("500"), Some("CNY"), Some("2016-06-16")],
            ),
        ];
        let expected = [
            col("seq", &["序号"], false),
            col("amount", &["协议金额/金额"], true),
            col("currency", &["协议金额/币种"], true),
            col("signed", &["签约日期"], true),
        ];
        let found = find("f.xlsx", &rows, &expected, true).unwrap();
        assert_eq!(found.row, 3, "data starts below the second header row");
        assert_eq!(found.indexes, vec![Some(0), Some(1), Some(2), Some(3)]);
        assert_eq!(found.texts[2].as_deref(), Some("协议金额/币种"));
        // A one-row header is still read as one row.
        let flat = find("f.xlsx", &rows[1..2], &expected[..1], true).unwrap();
        assert_eq!(flat.row, 2);
    }
}

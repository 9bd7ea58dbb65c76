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
use crate::MissingColumn;

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
    /// Every cell of the header row (`parent/child` under merged parents).
    pub cells: Vec<Option<String>>,
}

impl FoundHeader {
    /// The expected columns this header lacks, each with the unclaimed
    /// header that looks most like it.
    pub fn missing(&self, expected: &[ExpectedColumn]) -> Vec<MissingColumn> {
        let claimed: Vec<usize> = self.indexes.iter().flatten().copied().collect();
        let unclaimed: Vec<&str> = self
            .cells
            .iter()
            .enumerate()
            .filter(|(i, _)| !claimed.contains(i))
            .filter_map(|(_, c)| c.as_deref())
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        let found: Vec<String> = self
            .cells
            .iter()
            .flatten()
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect();
        expected
            .iter()
            .zip(&self.indexes)
            .filter(|(_, i)| i.is_none())
            .map(|(column, _)| MissingColumn {
                key: column.key.clone(),
                wanted: column.headers.clone(),
                closest: closest(&column.headers, &unclaimed).map(str::to_owned),
                found: found.clone(),
            })
            .collect()
    }
}

/// The header among `candidates` most like one of `wanted`, if any is close:
/// one contains the other (`Ngày ký` / `Ngày ký hợp đồng`), or they differ
/// in a few characters (`(VND)` / `(VNĐ)`).
fn closest<'a>(wanted: &[String], candidates: &[&'a str]) -> Option<&'a str> {
    let score = |w: &str, c: &str| {
        let (w, c) = (header_key(w), header_key(c));
        if w.is_empty() || c.is_empty() {
            0.0
        } else if w.contains(&c) || c.contains(&w) {
            0.9
        } else {
            strsim::normalized_levenshtein(&w, &c)
        }
    };
    candidates
        .iter()
        .map(|c| {
            let best = wanted.iter().map(|w| score(w, c)).fold(0.0, f64::max);
            (best, *c)
        })
        .filter(|(s, _)| *s >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// With the header taken from `cells` alone, a matched header that is the
/// parent of a merged two-row group (协议金额 over 金额 | 币种): its
/// neighbours in the header row are empty while the row below names a
/// sub-column under each. Naming the parent alone would read the second
/// header row as data and leave the column ambiguous.
fn merged_parent(
    cells: &[Option<&str>],
    below: &[Option<&str>],
    indexes: &[Option<usize>],
    expected: &[ExpectedColumn],
) -> Option<(String, String, Vec<String>)> {
    let is_label = |c: Option<&str>| {
        c.map(str::trim).is_some_and(|t| {
            !t.is_empty()
                && !t
                    .chars()
                    .all(|ch| ch.is_ascii_digit() || ".,-/ ".contains(ch))
        })
    };
    for (column, index) in expected.iter().zip(indexes) {
        let Some(i) = *index else { continue };
        if !is_label(below.get(i).copied().flatten()) {
            continue;
        }
        let mut children = vec![below[i].unwrap_or_default().trim().to_owned()];
        let mut j = i + 1;
        while cells.get(j).copied().flatten().is_none() && is_label(below.get(j).copied().flatten())
        {
            children.push(below[j].unwrap_or_default().trim().to_owned());
            j += 1;
        }
        if children.len() > 1 {
            let parent = cells[i].unwrap_or_default().trim().to_owned();
            return Some((column.key.clone(), parent, children));
        }
    }
    None
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
pub fn combine(parent: &[Option<&str>], child: &[Option<&str>]) -> Vec<Option<String>> {
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
        if let Some((chosen_row, chosen_cells, indexes, _, _)) = chosen {
            if let Some((_, below)) = rows
                .get(i + 1)
                .filter(|(n, _)| two_row_headers && *n == row + 1)
            {
                if *chosen_row == *row {
                    if let Some((key, parent, children)) =
                        merged_parent(cells, below, indexes, expected)
                    {
                        return Err(IngestError::MergedParent {
                            location: location.to_owned(),
                            row: *row,
                            key,
                            parent,
                            children,
                        });
                    }
                }
            }
            let texts = indexes
                .iter()
                .map(|i| i.and_then(|i| chosen_cells[i].clone()))
                .collect();
            return Ok(FoundHeader {
                row: *chosen_row,
                indexes: indexes.clone(),
                texts,
                cells: chosen_cells.clone(),
            });
        }
        let (matched, indexes) = (scored[0].3, scored[0].2.clone());
        if best.as_ref().is_none_or(|(m, _, _)| matched > *m) {
            best = Some((matched, *row, indexes));
        }
    }
    Err(not_found(location, rows, expected, best))
}

/// Why no header row was taken: the best row lacks required columns, or
/// no row names any expected column.
fn not_found(
    location: &str,
    rows: &[(u32, Vec<Option<&str>>)],
    expected: &[ExpectedColumn],
    best: Option<(usize, u32, Vec<Option<usize>>)>,
) -> IngestError {
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
            IngestError::MissingColumns {
                location: location.to_owned(),
                row,
                missing: missing
                    .iter()
                    .map(|c| describe(c))
                    .collect::<Vec<_>>()
                    .join("; "),
                found: found.join(", "),
                keys: missing.iter().map(|c| c.key.clone()).collect(),
            }
        }
        _ => IngestError::NoHeader {
            location: location.to_owned(),
            rows: rows.len(),
            expected: expected
                .iter()
                .filter(|c| c.required)
                .map(describe)
                .collect::<Vec<_>>()
                .join("; "),
        },
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
    fn a_merged_parent_named_alone_is_an_error_naming_its_children() {
        let rows = vec![
            (
                1,
                vec![Some("协议编号"), Some("协议金额"), None, Some("签约日期")],
            ),
            (2, vec![None, Some("金额"), Some("币种"), None]),
            (
                3,
                vec![Some("A-1"), Some("500"), Some("USD"), Some("2016-06-16")],
            ),
        ];
        let expected = [
            col("number", &["协议编号"], true),
            col("amount", &["协议金额"], true),
            col("currency", &["币种"], false),
        ];
        let err = find("f.xlsx", &rows, &expected, true)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("'协议金额' spans 2 columns: write '协议金额/金额' or '协议金额/币种'"),
            "{err}"
        );
        // A data row under a one-row header is not a sub-header.
        let flat = vec![
            (1, vec![Some("协议编号"), Some("协议金额"), None]),
            (2, vec![Some("A-1"), Some("500"), Some("12.5")]),
        ];
        assert_eq!(find("f.xlsx", &flat, &expected[..2], true).unwrap().row, 1);
    }

    #[test]
    fn missing_columns_name_the_closest_header() {
        let rows = vec![(
            1,
            vec![
                Some("Số hợp đồng"),
                Some("Giá trị hợp đồng (VNĐ)"),
                Some("Ngày ký hợp đồng"),
                Some("Ghi chú"),
            ],
        )];
        let expected = [
            col("number", &["Số hợp đồng"], true),
            col("amount", &["Giá trị hợp đồng (VND)"], false),
            col("signed", &["Ngày ký"], false),
            col("event", &["Sự kiện ký kết"], false),
        ];
        let found = find("f.csv", &rows, &expected, false).unwrap();
        let missing = found.missing(&expected);
        let closest: Vec<(&str, Option<&str>)> = missing
            .iter()
            .map(|m| (m.key.as_str(), m.closest.as_deref()))
            .collect();
        assert_eq!(
            closest,
            vec![
                ("amount", Some("Giá trị hợp đồng (VNĐ)")),
                ("signed", Some("Ngày ký hợp đồng")),
                ("event", None)
            ]
        );
        assert_eq!(
            missing[0].describe(),
            "'Giá trị hợp đồng (VND)' not found; closest header: 'Giá trị hợp đồng (VNĐ)'"
        );
        assert!(
            missing[2].describe().contains("'Ghi chú'"),
            "{}",
            missing[2].describe()
        );
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

//! Where a report's table is: the sheet, the header row (one or two rows
//! under a merged parent), the data rows below it and the totals rows among
//! them.

use regex::Regex;
use ttkg_ingest::{combine_header_rows, header_key, Preview};

use crate::known::Known;

/// How many rows are read to draft a pipeline; the header is looked for in
/// the first [`HEADER_SEARCH_ROWS`].
pub const SAMPLE_ROWS: usize = 500;
pub const HEADER_SEARCH_ROWS: usize = 30;

/// A sheet's table as found.
#[derive(Debug, Clone)]
pub struct Layout {
    pub sheet: Option<String>,
    pub encoding: Option<&'static str>,
    pub delimiter: Option<u8>,
    /// The header row (the lower one of a two-row header).
    pub header_row: u32,
    /// Rows above the header (titles, notes) that are passed over.
    pub rows_above: usize,
    pub two_row_header: bool,
    /// Each column's index and header text (`parent/child` under a merged parent).
    pub headers: Vec<(usize, String)>,
    /// Data rows (number, cells) below the header, totals rows excluded.
    pub data: Vec<(u32, Vec<Option<String>>)>,
    /// Rows that say they are totals, with what they say.
    pub totals: Vec<(u32, String)>,
}

impl Layout {
    /// The non-empty values of column `index` in the data rows.
    pub fn values(&self, index: usize) -> Vec<String> {
        self.data
            .iter()
            .filter_map(|(_, cells)| cells.get(index).cloned().flatten())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// How many data rows leave column `index` empty.
    pub fn empty_cells(&self, index: usize) -> usize {
        self.data
            .iter()
            .filter(|(_, cells)| {
                cells
                    .get(index)
                    .and_then(|c| c.as_deref())
                    .is_none_or(|c| c.trim().is_empty())
            })
            .count()
    }
}

/// A header candidate and how well it reads as one.
struct Candidate {
    row: u32,
    position: usize,
    two_rows: bool,
    cells: Vec<Option<String>>,
    score: (usize, usize),
}

/// Finds the table of the sheet whose header reads best (the most known
/// headers, then the most text cells), or none when no sheet has a row of
/// at least two text cells.
pub fn find(previews: Vec<Preview>, known: &Known) -> Option<Layout> {
    let totals = Regex::new(ttkg_normalise::TOTALS).expect("the totals pattern compiles");
    previews
        .into_iter()
        .filter_map(|preview| {
            let candidate = best_header(&preview.rows, known)?;
            Some((candidate, preview))
        })
        .max_by_key(|(c, p)| (c.score, p.rows.len()))
        .map(|(candidate, preview)| layout(candidate, preview, &totals))
}

fn layout(candidate: Candidate, preview: Preview, totals: &Regex) -> Layout {
    let headers: Vec<(usize, String)> = candidate
        .cells
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some((i, c.as_deref()?.trim().to_owned())))
        .filter(|(_, h)| !h.is_empty())
        .collect();
    let mut data = Vec::new();
    let mut totals_rows = Vec::new();
    for (number, cells) in preview.rows.into_iter().skip(candidate.position + 1) {
        let said = cells
            .iter()
            .flatten()
            .map(|c| c.trim())
            .find(|c| totals.is_match(c));
        match said {
            Some(text) => totals_rows.push((number, text.to_owned())),
            None if cells.iter().flatten().any(|c| !c.trim().is_empty()) => {
                data.push((number, cells))
            }
            None => {}
        }
    }
    Layout {
        sheet: preview.sheet,
        encoding: preview.encoding,
        delimiter: preview.delimiter,
        header_row: candidate.row,
        rows_above: candidate.position - usize::from(candidate.two_rows),
        two_row_header: candidate.two_rows,
        headers,
        data,
        totals: totals_rows,
    }
}

/// Whether a cell looks like a value rather than a header: a number, a
/// date, a code.
fn looks_like_value(cell: &str) -> bool {
    let digits = cell.chars().filter(char::is_ascii_digit).count();
    digits * 2 > cell.chars().count()
}

/// The row (or pair of rows) in the first [`HEADER_SEARCH_ROWS`] that
/// reads best as a header.
fn best_header(rows: &[(u32, Vec<Option<String>>)], known: &Known) -> Option<Candidate> {
    let score = |cells: &[Option<String>]| {
        let texts: Vec<&str> = cells
            .iter()
            .flatten()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .collect();
        let headers = texts.iter().filter(|c| !looks_like_value(c)).count();
        let matched = texts.iter().filter(|c| known.has(&header_key(c))).count();
        (matched, headers)
    };
    let mut best: Option<Candidate> = None;
    for (i, (row, cells)) in rows.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        let single = score(cells);
        if single.1 < 2 {
            continue;
        }
        let mut candidate = Candidate {
            row: *row,
            position: i,
            two_rows: false,
            cells: cells.clone(),
            score: single,
        };
        if let Some((next, below)) = rows.get(i + 1).filter(|(n, _)| *n == row + 1) {
            let parents: Vec<Option<&str>> = cells.iter().map(|c| c.as_deref()).collect();
            let children: Vec<Option<&str>> = below.iter().map(|c| c.as_deref()).collect();
            // A merged parent leaves cells empty beside it that the row
            // below fills with its children, which are headers too.
            let gaps = (0..below.len())
                .filter(|&j| parents.get(j).copied().flatten().is_none() && children[j].is_some())
                .count();
            let below_score = score(below);
            if gaps > 0 && below_score.1 == below.iter().flatten().count() {
                let combined = combine_header_rows(&parents, &children);
                let both = score(&combined);
                if both.0 >= single.0 {
                    candidate = Candidate {
                        row: *next,
                        position: i + 1,
                        two_rows: true,
                        cells: combined,
                        score: (both.0, both.1),
                    };
                }
            }
        }
        // The first row that names the most known headers; among rows that
        // name none, the first with the most text cells.
        if best.as_ref().is_none_or(|b| candidate.score > b.score) {
            best = Some(candidate);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: u32, cells: &[&str]) -> (u32, Vec<Option<String>>) {
        (
            n,
            cells
                .iter()
                .map(|c| (!c.is_empty()).then(|| c.to_string()))
                .collect(),
        )
    }

    #[test]
    fn a_title_row_is_passed_over_and_a_merged_parent_combined() {
        let rows = vec![
            row(1, &["广西技术转移协议汇总表"]),
            row(2, &["序号", "协议编号", "协议金额", ""]),
            row(3, &["", "", "金额", "币种"]),
            row(4, &["1", "GX-2016-001", "78.82", "CNY"]),
            row(5, &["合计", "", "78.82", ""]),
        ];
        let preview = Preview {
            sheet: Some("协议".into()),
            encoding: None,
            delimiter: None,
            rows,
        };
        let layout = find(vec![preview], &Known::default()).unwrap();
        assert_eq!(layout.header_row, 3);
        assert!(layout.two_row_header);
        assert_eq!(layout.rows_above, 1);
        let headers: Vec<&str> = layout.headers.iter().map(|(_, h)| h.as_str()).collect();
        assert_eq!(
            headers,
            ["序号", "协议编号", "协议金额/金额", "协议金额/币种"]
        );
        assert_eq!(layout.data.len(), 1);
        assert_eq!(layout.totals, [(5, "合计".to_owned())]);
    }
}

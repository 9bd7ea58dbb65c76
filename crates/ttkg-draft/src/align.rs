//! Lining a report's columns up with a known pipeline's: a report of the
//! same kind from another sender (Thai headers where the pipelines know
//! Chinese and Vietnamese ones) has the same columns in much the same order
//! with the same types — agreement number, technology, two organisations,
//! field, type, amount, date. Each pair scores by header (the same header
//! counts most) or by type (a concept of the same scheme, an amount, a
//! date …), and the order is kept (a weighted longest common subsequence).

use ttkg_pipeline::{ColumnSpec, Pipeline};

use crate::infer::Kind;
use crate::known::KnownColumn;

/// A column of the report as the aligner sees it.
pub(crate) struct Seen<'s, 'k> {
    pub kind: &'s Kind,
    /// Known columns with the same header.
    pub named: &'s [KnownColumn<'k>],
}

/// How well a report column of `kind` fits a pipeline column: 0 when it
/// cannot be the same column.
fn fit(kind: &Kind, spec: &ColumnSpec) -> u32 {
    match (kind, Kind::of(spec)) {
        (Kind::Concept { scheme: a, .. }, Kind::Concept { scheme: b, .. }) if *a == b => 5,
        (Kind::Money { .. }, Kind::Money { .. }) | (Kind::Area { .. }, Kind::Area { .. }) => 4,
        (Kind::Date { .. }, Kind::Date { .. }) => 3,
        (
            Kind::Text {
                resolve: Some(a), ..
            },
            Kind::Text {
                resolve: Some(b), ..
            },
        ) if *a == b => 3,
        (Kind::Integer { .. }, Kind::Integer { .. })
        | (Kind::Decimal { .. }, Kind::Decimal { .. }) => 2,
        (Kind::Text { .. }, Kind::Text { .. }) => 1,
        // Sequence numbers and codes written as numbers.
        (Kind::Integer { .. }, Kind::Text { resolve: None, .. }) => 1,
        _ => 0,
    }
}

/// The pipeline's read columns in the order the file declares them.
fn declared(pipeline: &Pipeline) -> Vec<(&str, &ColumnSpec)> {
    let mut columns: Vec<_> = pipeline
        .spec
        .columns
        .iter()
        .filter(|(_, c)| c.is_read())
        .map(|(k, c)| (k.span().start, k.get_ref().as_str(), c))
        .collect();
    columns.sort_by_key(|(at, _, _)| *at);
    columns.into_iter().map(|(_, k, c)| (k, c)).collect()
}

/// The best order-keeping pairing of the report's columns with the
/// pipeline's: its score, and for each report column the pipeline column
/// it lines up with.
pub(crate) fn align<'k>(
    seen: &[Seen<'_, 'k>],
    pipeline: &'k Pipeline,
) -> (u32, Vec<Option<KnownColumn<'k>>>) {
    let columns = declared(pipeline);
    let score = |i: usize, j: usize| -> u32 {
        let (key, spec) = columns[j];
        let named = seen[i]
            .named
            .iter()
            .any(|k| k.pipeline.name == pipeline.name && k.key == key);
        // A shared header counts a little more than a fitting type, so that
        // the pipeline that covers most of the report wins over one that
        // shares two common headers (合作国家, 技术领域) with it.
        match (named, fit(seen[i].kind, spec)) {
            (true, f) => 3 + f.max(1),
            (false, f) => f,
        }
    };
    let (n, m) = (seen.len(), columns.len());
    let mut best = vec![vec![0u32; m + 1]; n + 1];
    for i in 1..=n {
        for j in 1..=m {
            let pair = match score(i - 1, j - 1) {
                0 => 0,
                s => best[i - 1][j - 1] + s,
            };
            best[i][j] = pair.max(best[i - 1][j]).max(best[i][j - 1]);
        }
    }
    let mut pairs = vec![None; n];
    let (mut i, mut j) = (n, m);
    while i > 0 && j > 0 {
        let s = score(i - 1, j - 1);
        if s > 0 && best[i][j] == best[i - 1][j - 1] + s {
            let (key, spec) = columns[j - 1];
            let named = seen[i - 1]
                .named
                .iter()
                .find(|k| k.pipeline.name == pipeline.name && k.key == key);
            pairs[i - 1] = Some(named.copied().unwrap_or(KnownColumn {
                pipeline,
                key,
                spec,
                header: spec.headers.first().map_or("", String::as_str),
            }));
            i -= 1;
            j -= 1;
        } else if best[i][j] == best[i - 1][j] {
            i -= 1;
        } else {
            j -= 1;
        }
    }
    (best[n][m], pairs)
}

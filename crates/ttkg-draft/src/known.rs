//! The headers the existing pipelines already know, and what they make of
//! them.

use std::collections::HashMap;

use ttkg_graph::PropertyDescription;
use ttkg_ingest::header_key;
use ttkg_pipeline::{ColumnSpec, Pipeline};

/// One known column: a pipeline's declaration of a header.
#[derive(Debug, Clone, Copy)]
pub struct KnownColumn<'a> {
    pub pipeline: &'a Pipeline,
    pub key: &'a str,
    pub spec: &'a ColumnSpec,
    /// The header text as the pipeline lists it.
    pub header: &'a str,
}

impl KnownColumn<'_> {
    /// Whether the pipeline maps the column to facts (a sequence number
    /// read only to skip totals rows says nothing of what a report is).
    pub fn is_mapped(&self) -> bool {
        self.pipeline.plan.mapped_columns().contains(self.key)
    }
}

/// Every read column of the given pipelines, by header key.
#[derive(Debug, Default)]
pub struct Known<'a> {
    by_header: HashMap<String, Vec<KnownColumn<'a>>>,
    /// Header keys with any unit in parentheses taken off, for a second look.
    by_stem: HashMap<String, Vec<KnownColumn<'a>>>,
}

/// `金额（万元）` → `金额`: the header without a trailing parenthesised unit.
fn stem(key: &str) -> String {
    match key.find(['(', '（', '[']) {
        Some(i) if i > 0 => key[..i].to_owned(),
        _ => key.to_owned(),
    }
}

impl<'a> Known<'a> {
    pub fn new(pipelines: &'a [Pipeline]) -> Self {
        let mut known = Known::default();
        for pipeline in pipelines {
            for (key, spec) in &pipeline.spec.columns {
                for header in &spec.headers {
                    let column = KnownColumn {
                        pipeline,
                        key: key.get_ref(),
                        spec,
                        header,
                    };
                    let k = header_key(header);
                    known.by_stem.entry(stem(&k)).or_default().push(column);
                    known.by_header.entry(k).or_default().push(column);
                }
            }
        }
        known
    }

    /// Whether some pipeline lists this header key.
    pub fn has(&self, key: &str) -> bool {
        self.by_header.contains_key(key)
    }

    /// The known columns a header names: the same header, else the same
    /// header without its unit (`金额（美元）` for `金额（万元）`), else the
    /// closest header when it is very close (a letter or a mark apart).
    pub fn find(&self, header: &str) -> Vec<KnownColumn<'a>> {
        let key = header_key(header);
        if let Some(found) = self.by_header.get(&key) {
            return found.clone();
        }
        if let Some(found) = self.by_stem.get(&stem(&key)) {
            return found.clone();
        }
        let close = self
            .by_header
            .iter()
            .map(|(k, columns)| (strsim::normalized_levenshtein(k, &key), k, columns))
            .filter(|(similarity, k, _)| *similarity >= 0.85 && k.chars().count() >= 4)
            .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)));
        close.map(|(_, _, c)| c.clone()).unwrap_or_default()
    }
}

/// The ontology property a header names by one of its labels: the header
/// is the label (`开始日期`), or holds it (`参会机构数（家）` holds
/// `参会机构数`; a Latin label only as whole words). The longest label wins.
pub fn by_label<'p>(
    header: &str,
    properties: &'p [PropertyDescription],
) -> Option<&'p PropertyDescription> {
    let key = header_key(header);
    let words = |text: &str| -> Vec<String> {
        text.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let header_words = words(header);
    properties
        .iter()
        .flat_map(|p| p.labels.iter().map(move |l| (p, l)))
        .filter(|(_, label)| {
            if label.is_ascii() {
                let label_words = words(label);
                !label_words.is_empty()
                    && header_words
                        .windows(label_words.len())
                        .any(|w| w == label_words.as_slice())
            } else {
                let label = header_key(label);
                label.chars().count() >= 2
                    && (key == label
                        || stem(&key) == label
                        || key.contains(label.as_str())
                        || same_date(&stem(&key), &label))
            }
        })
        .max_by_key(|(_, label)| label.chars().count())
        .map(|(p, _)| p)
}

/// `加入时间` and `加入日期`: Chinese says a date with 时间 or 日期 alike.
fn same_date(header: &str, label: &str) -> bool {
    let date = |t: &str| {
        ["时间", "日期"]
            .iter()
            .find_map(|w| t.strip_suffix(w))
            .map(str::to_owned)
    };
    match (date(header), date(label)) {
        (Some(h), Some(l)) => !h.is_empty() && h == l,
        _ => false,
    }
}

//! How close a draft comes to a hand-written pipeline for the same report:
//! for each column the hand-written one reads from the file, whether the
//! draft gives it the same type and settings and maps it to the same
//! properties of the same classes.

use std::collections::BTreeSet;

use ttkg_ingest::header_key;
use ttkg_pipeline::{ColumnType, DateOrder, IriPart, Pipeline, ValuePlan};

use crate::Draft;

/// One column of the hand-written pipeline, as each pipeline maps it.
#[derive(Debug, Clone)]
pub struct ColumnComparison {
    pub header: String,
    pub written: String,
    /// None when the draft does not have the column.
    pub drafted: Option<String>,
}

impl ColumnComparison {
    pub fn same(&self) -> bool {
        self.drafted.as_deref() == Some(self.written.as_str())
    }
}

/// The columns of `written` whose header the report has (as `draft` found
/// them), each with the mapping of the same header in `drafted` (the draft
/// as parsed). A date order counts as the same when the draft's values
/// read the same in the written one (ISO dates read alike in every order).
pub fn compare(written: &Pipeline, drafted: &Pipeline, draft: &Draft) -> Vec<ColumnComparison> {
    let found: BTreeSet<String> = draft
        .columns
        .iter()
        .map(|c| header_key(&c.header))
        .collect();
    let mut out = Vec::new();
    for (key, spec) in &written.spec.columns {
        let Some(header) = spec.headers.iter().find(|h| found.contains(&header_key(h))) else {
            continue;
        };
        let same_header = |h: &String| header_key(h) == header_key(header);
        let mut signed = drafted.spec.columns.iter().find_map(|(k, c)| {
            c.headers
                .iter()
                .any(same_header)
                .then(|| signature(drafted, k.get_ref()))
        });
        let orders = draft
            .columns
            .iter()
            .find(|c| same_header(&c.header))
            .map(|c| c.date_orders.clone())
            .unwrap_or_default();
        if let (ColumnType::Date(w) | ColumnType::DateTime(w), Some(text)) =
            (&spec.kind, &mut signed)
        {
            if orders.contains(&w.date_order) {
                for other in [DateOrder::Ymd, DateOrder::Dmy, DateOrder::Mdy] {
                    *text = text.replace(
                        &format!("date {other:?} "),
                        &format!("date {:?} ", w.date_order),
                    );
                }
            }
        }
        out.push(ColumnComparison {
            header: header.clone(),
            written: signature(written, key.get_ref()),
            drafted: signed,
        });
    }
    out
}

/// A column's type and settings and the (class, property) pairs it gives,
/// as one comparable text: `money CNY ×10000 | ttkg:Agreement ttkg:amount`;
/// `not mapped` for a column that reaches no fact (a sequence number read
/// only to skip totals rows).
pub fn signature(pipeline: &Pipeline, key: &str) -> String {
    let Some(spec) = pipeline.spec.column(key) else {
        return String::new();
    };
    let multiplier = spec
        .multiplier()
        .map(|m| format!(" ×{m}"))
        .unwrap_or_default();
    let kind = match &spec.kind {
        ColumnType::Text(t) => format!(
            "text{}",
            t.resolve
                .map(|r| format!(" resolve {}", r.name()))
                .unwrap_or_default()
        ),
        ColumnType::Integer(_) => format!("integer{multiplier}"),
        ColumnType::Decimal(_) => format!("decimal{multiplier}"),
        ColumnType::Date(d) | ColumnType::DateTime(d) => {
            format!("date {:?} {:?}", d.date_order, d.date_system)
        }
        ColumnType::Money(m) => format!(
            "money {}{multiplier}",
            m.currency.clone().unwrap_or_else(|| "per row".into())
        ),
        ColumnType::Area(a) => format!("area {}", a.unit.name()),
        ColumnType::Concept(c) => format!("concept {}", c.scheme),
    };
    let plan = &pipeline.plan;
    let Some(index) = plan.columns.iter().position(|c| c == key) else {
        return kind;
    };
    let mut uses = BTreeSet::new();
    for entity in &plan.entities {
        let class = entity
            .class
            .as_deref()
            .map(ttkg_vocab::compact)
            .unwrap_or_else(|| "link".into());
        if entity.iri.contains(&IriPart::Column(index)) {
            uses.insert(format!("{class} iri"));
        }
        for property in &entity.properties {
            for value in &property.values {
                if let ValuePlan::Column {
                    column, companion, ..
                } = value
                {
                    if *column == index {
                        let companion = companion
                            .map(|c| format!(".{}", c.name()))
                            .unwrap_or_default();
                        uses.insert(format!(
                            "{class} {}{companion}",
                            ttkg_vocab::compact(&property.predicate)
                        ));
                    }
                }
            }
        }
    }
    // A column no entity reads reaches no fact, whatever its type.
    if uses.is_empty() {
        return "not mapped".into();
    }
    let uses: Vec<String> = uses.into_iter().collect();
    format!("{kind} | {}", uses.join(", "))
}

//! Rows to RDF: each row of a normalised table becomes the entities its
//! pipeline declares, every one linked to the source row it came from.

use std::collections::BTreeMap;

use oxigraph::model::{Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use polars::prelude::*;
use ttkg_normalise::MULTI_SEPARATOR;
use ttkg_pipeline::template::iri_key;
use ttkg_pipeline::{ColumnKind, Pipeline, PropertySource, TemplatePart};
use ttkg_vocab::{public, ttkg, ID};

use crate::error::GraphError;
use crate::ontology::Ontology;

/// Where the rows come from.
#[derive(Debug, Clone)]
pub struct SourceRef {
    /// The ttkg:SourceFile node; row nodes are minted under it.
    pub file_node: NamedNode,
    pub sheet: Option<String>,
}

/// What [`map_rows`] produced.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MapStats {
    pub rows: usize,
    pub entities: usize,
    pub quads: usize,
}

/// One cell's typed value.
enum Value {
    Text(String),
    Number(f64),
    Integer(i64),
}

/// Column access by row index, whatever the column's type.
enum Accessor {
    Str(StringChunked),
    F64(Float64Chunked),
    I64(Int64Chunked),
}

impl Accessor {
    fn new(column: &Column) -> PolarsResult<Self> {
        Ok(match column.dtype() {
            DataType::Float64 => Accessor::F64(column.f64()?.rechunk().into_owned()),
            DataType::Int64 => Accessor::I64(column.i64()?.rechunk().into_owned()),
            DataType::String => Accessor::Str(column.str()?.rechunk().into_owned()),
            _ => Accessor::Str(
                column
                    .cast(&DataType::String)?
                    .str()?
                    .rechunk()
                    .into_owned(),
            ),
        })
    }

    fn get(&self, row: usize) -> Option<Value> {
        match self {
            Accessor::Str(c) => c.get(row).map(|s| Value::Text(s.to_owned())),
            Accessor::F64(c) => c.get(row).filter(|f| f.is_finite()).map(Value::Number),
            Accessor::I64(c) => c.get(row).map(Value::Integer),
        }
    }

    fn text(&self, row: usize) -> Option<String> {
        match self.get(row)? {
            Value::Text(s) => Some(s),
            Value::Number(f) => Some(decimal_text(f)),
            Value::Integer(i) => Some(i.to_string()),
        }
    }
}

/// Shortest exact decimal form: 150, 1500000.5.
fn decimal_text(f: f64) -> String {
    let s = format!("{f}");
    if s.contains('e') {
        format!("{f:.6}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned()
    } else {
        s
    }
}

/// Yuan rounded to fen.
fn money_text(f: f64) -> String {
    let s = format!("{f:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn named(iri: &str) -> NamedNode {
    NamedNode::new_unchecked(iri)
}

fn typed(value: String, datatype: &str) -> Term {
    Literal::new_typed_literal(value, named(datatype)).into()
}

fn date_literal(iso: &str) -> Term {
    let datatype = match iso.len() {
        4 => public::XSD_G_YEAR,
        7 => public::XSD_G_YEAR_MONTH,
        _ => public::XSD_DATE,
    };
    typed(iso.to_owned(), datatype)
}

/// Maps every row of `frame` (a normalised table) to triples; the loader
/// puts them in the source's graph.
pub fn map_rows(
    pipeline: &Pipeline,
    frame: &DataFrame,
    ontology: &Ontology,
    source: &SourceRef,
    out: &mut Vec<Triple>,
) -> Result<MapStats, GraphError> {
    let spec = &pipeline.spec;
    let mut accessors: BTreeMap<String, Accessor> = BTreeMap::new();
    for column in frame.columns() {
        accessors.insert(column.name().to_string(), Accessor::new(column)?);
    }
    let rows = accessors
        .get(ttkg_normalise::ROW_COLUMN)
        .ok_or_else(|| mapping_error(pipeline, "-", "the table has no row numbers"))?;
    let start = out.len();
    let rdf_type = named(public::RDF_TYPE);
    let derived_from = named(public::PROV_WAS_DERIVED_FROM);
    let row_prefix = match &source.sheet {
        Some(sheet) => format!("{}/{}/row/", source.file_node.as_str(), iri_key(sheet)),
        None => format!("{}/row/", source.file_node.as_str()),
    };
    let mut stats = MapStats::default();
    let mut iris: BTreeMap<&str, Vec<NamedNode>> = BTreeMap::new();
    for i in 0..frame.height() {
        let row_number = match rows.get(i) {
            Some(Value::Integer(n)) => n,
            Some(Value::Number(n)) => n as i64,
            _ => rows.text(i).and_then(|t| t.parse().ok()).unwrap_or(0),
        };
        let row_node = named(&format!("{row_prefix}{row_number}"));
        iris.clear();
        for (entity, template) in spec.entities.iter().zip(&pipeline.templates) {
            let name = entity.name.get_ref().as_str();
            let each = entity.for_each.as_ref().map(|c| c.get_ref().as_str());
            let parts: Vec<Option<String>> = match each {
                Some(c) => accessors
                    .get(c)
                    .and_then(|a| a.text(i))
                    .map(|v| {
                        v.split(MULTI_SEPARATOR)
                            .map(|p| Some(p.to_owned()))
                            .collect()
                    })
                    .unwrap_or_default(),
                None => vec![None],
            };
            let mut minted = Vec::with_capacity(parts.len());
            'part: for part in parts {
                let mut iri = String::from(ID);
                for piece in &template.parts {
                    match piece {
                        TemplatePart::Text(t) => iri.push_str(t),
                        TemplatePart::Column(c) => {
                            let value = if Some(c.as_str()) == each {
                                part.clone()
                            } else {
                                accessors.get(c.as_str()).and_then(|a| a.text(i))
                            };
                            match value.filter(|v| !v.trim().is_empty()) {
                                Some(v) => iri.push_str(&iri_key(&v)),
                                None => continue 'part,
                            }
                        }
                    }
                }
                let node = NamedNode::new(&iri).map_err(|e| {
                    mapping_error(
                        pipeline,
                        name,
                        &format!("row {row_number} gives the invalid IRI <{iri}>: {e}"),
                    )
                })?;
                minted.push(node);
            }
            iris.insert(name, minted);
        }
        let mut row_used = false;
        for entity in &spec.entities {
            let name = entity.name.get_ref().as_str();
            let Some(class) = &entity.class else { continue };
            let class = named(&ttkg_vocab::expand(class.get_ref()).unwrap_or_default());
            let each = entity.for_each.as_ref().map(|c| c.get_ref().as_str());
            for (index, subject) in iris
                .get(name)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .enumerate()
            {
                row_used = true;
                stats.entities += 1;
                let s = NamedOrBlankNode::NamedNode(subject.clone());
                out.push(Triple::new(s.clone(), rdf_type.clone(), class.clone()));
                out.push(Triple::new(
                    s.clone(),
                    derived_from.clone(),
                    row_node.clone(),
                ));
                for (property, value) in &entity.properties {
                    let predicate =
                        named(&ttkg_vocab::expand(property.get_ref()).unwrap_or_default());
                    let mut objects: Vec<Term> = Vec::new();
                    for source in value.get_ref().sources() {
                        match source {
                            PropertySource::Entity(other) => {
                                objects.extend(
                                    iris.get(other.as_str())
                                        .into_iter()
                                        .flatten()
                                        .cloned()
                                        .map(Term::from),
                                );
                            }
                            PropertySource::Iri(iri) => {
                                if let Some(class) = ontology.implied_class(&iri) {
                                    out.push(Triple::new(
                                        s.clone(),
                                        rdf_type.clone(),
                                        named(class),
                                    ));
                                }
                                objects.push(named(&iri).into());
                            }
                            PropertySource::Literal {
                                value,
                                datatype,
                                lang,
                            } => objects.push(match (datatype, lang) {
                                (_, Some(lang)) => Literal::new_language_tagged_literal_unchecked(
                                    value,
                                    lang.to_ascii_lowercase(),
                                )
                                .into(),
                                (Some(dt), None) => typed(value, &dt),
                                (None, None) => Literal::new_simple_literal(value).into(),
                            }),
                            PropertySource::Column { column, lang } => {
                                let (base, suffix) = match column.split_once('.') {
                                    Some((b, s)) => (b, Some(s)),
                                    None => (column.as_str(), None),
                                };
                                let Some(spec_column) = spec.column(base) else {
                                    continue;
                                };
                                let Some(accessor) = accessors.get(column.as_str()) else {
                                    continue;
                                };
                                let Some(value) = accessor.get(i) else {
                                    continue;
                                };
                                // A for_each entity reads its own part of a split column.
                                let value = match (each, &value) {
                                    (Some(c), Value::Text(t)) if c == base && suffix.is_none() => {
                                        Value::Text(
                                            t.split(MULTI_SEPARATOR)
                                                .nth(index)
                                                .unwrap_or_default()
                                                .to_owned(),
                                        )
                                    }
                                    _ => value,
                                };
                                let kind = if suffix.is_some() {
                                    None
                                } else {
                                    Some(spec_column.kind)
                                };
                                if kind == Some(ColumnKind::Money) {
                                    let node = named(&format!(
                                        "{}/{}",
                                        subject.as_str(),
                                        local_name(predicate.as_str())
                                    ));
                                    money_node(&node, base, spec_column, &accessors, i, out);
                                    objects.push(node.into());
                                    continue;
                                }
                                push_values(
                                    &mut objects,
                                    value,
                                    kind,
                                    lang.as_deref(),
                                    spec_column.split.is_some(),
                                )
                                .map_err(|e| {
                                    mapping_error(pipeline, name, &format!("row {row_number}: {e}"))
                                })?;
                                if kind == Some(ColumnKind::Concept) {
                                    let classes: Vec<Term> = objects
                                        .iter()
                                        .filter_map(|o| match o {
                                            Term::NamedNode(n) => {
                                                ontology.implied_class(n.as_str())
                                            }
                                            _ => None,
                                        })
                                        .map(|c| named(c).into())
                                        .collect();
                                    for c in classes {
                                        out.push(Triple::new(s.clone(), rdf_type.clone(), c));
                                    }
                                }
                            }
                        }
                    }
                    for object in objects {
                        out.push(Triple::new(s.clone(), predicate.clone(), object));
                    }
                }
            }
        }
        if row_used {
            stats.rows += 1;
            let r = NamedOrBlankNode::NamedNode(row_node.clone());
            out.push(Triple::new(
                r.clone(),
                rdf_type.clone(),
                named(&ttkg::iri(ttkg::SOURCE_ROW)),
            ));
            out.push(Triple::new(
                r.clone(),
                named(&ttkg::iri(ttkg::SOURCE_FILE_PROP)),
                source.file_node.clone(),
            ));
            out.push(Triple::new(
                r.clone(),
                named(&ttkg::iri(ttkg::ROW_NUMBER)),
                typed(row_number.to_string(), public::XSD_INTEGER),
            ));
            if let Some(sheet) = &source.sheet {
                out.push(Triple::new(
                    r,
                    named(&ttkg::iri(ttkg::SHEET)),
                    Literal::new_simple_literal(sheet),
                ));
            }
        }
    }
    stats.quads = out.len() - start;
    Ok(stats)
}

fn local_name(iri: &str) -> &str {
    iri.rsplit(['#', '/']).next().unwrap_or(iri)
}

fn push_values(
    objects: &mut Vec<Term>,
    value: Value,
    kind: Option<ColumnKind>,
    lang: Option<&str>,
    split: bool,
) -> Result<(), String> {
    match (kind, value) {
        (Some(ColumnKind::Concept), Value::Text(t)) => {
            for part in t.split(MULTI_SEPARATOR).filter(|p| !p.is_empty()) {
                let iri = NamedNode::new(part)
                    .map_err(|e| format!("`{part}` is not a concept IRI ({e})"))?;
                objects.push(iri.into());
            }
        }
        (Some(ColumnKind::Date), Value::Text(t)) => objects.push(date_literal(&t)),
        (_, Value::Integer(n)) => objects.push(typed(n.to_string(), public::XSD_INTEGER)),
        (_, Value::Number(f)) => objects.push(typed(decimal_text(f), public::XSD_DECIMAL)),
        (_, Value::Text(t)) => {
            let parts: Vec<&str> = if split {
                t.split(MULTI_SEPARATOR).collect()
            } else {
                vec![t.as_str()]
            };
            for p in parts.into_iter().filter(|p| !p.is_empty()) {
                objects.push(match lang {
                    Some(l) => {
                        Literal::new_language_tagged_literal_unchecked(p, l.to_ascii_lowercase())
                            .into()
                    }
                    None => Literal::new_simple_literal(p).into(),
                });
            }
        }
    }
    Ok(())
}

/// A ttkg:MonetaryAmount: value and currency as reported, value in yuan, and the text as written.
fn money_node(
    node: &NamedNode,
    key: &str,
    column: &ttkg_pipeline::ColumnSpec,
    accessors: &BTreeMap<String, Accessor>,
    row: usize,
    out: &mut Vec<Triple>,
) {
    let s = NamedOrBlankNode::NamedNode(node.clone());
    let mut add = |p: &str, o: Term| out.push(Triple::new(s.clone(), named(p), o));
    add(
        public::RDF_TYPE,
        named(&ttkg::iri(ttkg::MONETARY_AMOUNT)).into(),
    );
    let get = |suffix: &str| {
        accessors
            .get(&format!("{key}{suffix}"))
            .and_then(|a| a.get(row))
    };
    if let Some(Value::Number(v)) = get("") {
        add(
            public::SCHEMA_VALUE,
            typed(decimal_text(v), public::XSD_DECIMAL),
        );
    }
    let currency = match get(".currency") {
        Some(Value::Text(c)) => {
            add(
                public::SCHEMA_CURRENCY,
                Literal::new_simple_literal(&c).into(),
            );
            c
        }
        _ => String::new(),
    };
    if let Some(Value::Number(v)) = get(".cny") {
        add(
            &ttkg::iri(ttkg::VALUE_CNY),
            typed(money_text(v), public::XSD_DECIMAL),
        );
    }
    if let Some(Value::Text(t)) = get(".text") {
        add(
            &ttkg::iri(ttkg::SOURCE_TEXT),
            Literal::new_simple_literal(t).into(),
        );
    }
    let multiplier = column.multiplier.unwrap_or(1.0);
    let unit = match multiplier {
        1e4 => format!("万 {currency}"),
        1e8 => format!("亿 {currency}"),
        1.0 => currency,
        m => format!("{m} {currency}"),
    };
    if !unit.is_empty() {
        add(
            &ttkg::iri(ttkg::SOURCE_UNIT),
            Literal::new_simple_literal(unit).into(),
        );
    }
}

fn mapping_error(pipeline: &Pipeline, entity: &str, message: &str) -> GraphError {
    GraphError::Mapping {
        pipeline: pipeline.name.clone(),
        entity: entity.to_owned(),
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_plain() {
        assert_eq!(decimal_text(150.0), "150");
        assert_eq!(decimal_text(1500000.5), "1500000.5");
        assert_eq!(decimal_text(1e21), "1000000000000000000000");
        assert_eq!(money_text(1234.5678), "1234.57");
        assert_eq!(money_text(100.0), "100");
    }
}

//! Rows to RDF: each row of a normalised table becomes the entities its
//! pipeline declares, every one linked to the source row it came from.

use std::collections::BTreeMap;
use std::ops::Range;

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

/// The triples of one table, grouped by the row that gave them, so that a
/// row can still be taken out (a conflict with another source, a duplicate)
/// after mapping.
#[derive(Debug, Clone, Default)]
pub struct MappedTable {
    pub sheet: Option<String>,
    pub triples: Vec<Triple>,
    /// For each triple, the index in `columns` of the column whose value it
    /// states, or [`NO_COLUMN`] (a type, a link, a fixed value).
    pub origins: Vec<u16>,
    /// The pipeline's column keys, in declaration order.
    pub columns: Vec<String>,
    pub rows: Vec<MappedRow>,
}

/// [`MappedTable::origins`] of a triple that states no column's value.
pub const NO_COLUMN: u16 = u16::MAX;

/// One row's part of a [`MappedTable`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedRow {
    /// The row number as the sender sees it.
    pub number: u32,
    /// The facts about the row's entities.
    pub facts: Range<usize>,
    /// Where they came from: `prov:wasDerivedFrom` links and the row node.
    pub provenance: Range<usize>,
    /// The IRI of the first entity the row describes (the pipeline's first
    /// `[[entity]]` with a class), if it describes one.
    pub subject: Option<NamedNode>,
}

impl MappedTable {
    /// The column key a triple states the value of.
    pub fn column_of(&self, triple: usize) -> Option<&str> {
        match self.origins.get(triple) {
            Some(&NO_COLUMN) | None => None,
            Some(&i) => self.columns.get(usize::from(i)).map(String::as_str),
        }
    }

    /// The facts of one row.
    pub fn facts(&self, row: &MappedRow) -> &[Triple] {
        &self.triples[row.facts.clone()]
    }
}

/// One cell's typed value.
enum Value {
    Text(String),
    /// A decimal, as exact text without trailing zeros (`788200`, `0.15`).
    Decimal(String),
    Integer(i64),
}

/// Column access by row index, whatever the column's type.
enum Accessor {
    Str(StringChunked),
    Decimal(Int128Chunked, usize),
    I64(Int64Chunked),
}

impl Accessor {
    fn new(column: &Column) -> PolarsResult<Self> {
        Ok(match column.dtype() {
            DataType::Decimal(_, scale) => {
                let scale = *scale;
                let decimals = column.decimal()?;
                Accessor::Decimal(decimals.physical().rechunk().into_owned(), scale)
            }
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
            Accessor::Decimal(c, scale) => {
                c.get(row).map(|v| Value::Decimal(decimal_text(v, *scale)))
            }
            Accessor::I64(c) => c.get(row).map(Value::Integer),
        }
    }

    fn text(&self, row: usize) -> Option<String> {
        match self.get(row)? {
            Value::Text(s) | Value::Decimal(s) => Some(s),
            Value::Integer(i) => Some(i.to_string()),
        }
    }
}

/// The exact decimal `value / 10^scale` in its shortest form: `788200`,
/// `1500000.5`, `-0.07`.
pub fn decimal_text(value: i128, scale: usize) -> String {
    let digits = value.unsigned_abs().to_string();
    let sign = if value < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

fn named(iri: &str) -> NamedNode {
    NamedNode::new_unchecked(iri)
}

fn typed(value: String, datatype: &str) -> Term {
    Literal::new_typed_literal(value, named(datatype)).into()
}

/// A date at the precision it was given: a year, a month, a day, or a day
/// and a time.
fn date_literal(iso: &str) -> Term {
    let datatype = match iso.len() {
        4 => public::XSD_G_YEAR,
        7 => public::XSD_G_YEAR_MONTH,
        10 => public::XSD_DATE,
        _ => public::XSD_DATE_TIME,
    };
    typed(iso.to_owned(), datatype)
}

/// Maps every row of `frame` (a normalised table) to triples, grouped by row;
/// the loader puts them in the source's graph.
pub fn map_rows(
    pipeline: &Pipeline,
    frame: &DataFrame,
    ontology: &Ontology,
    source: &SourceRef,
) -> Result<MappedTable, GraphError> {
    let spec = &pipeline.spec;
    let mut accessors: BTreeMap<String, Accessor> = BTreeMap::new();
    for column in frame.columns() {
        accessors.insert(column.name().to_string(), Accessor::new(column)?);
    }
    let rows = accessors
        .get(ttkg_normalise::ROW_COLUMN)
        .ok_or_else(|| mapping_error(pipeline, "-", "the table has no row numbers"))?;
    let columns: Vec<String> = spec.columns.keys().map(|k| k.get_ref().clone()).collect();
    let column_index = |key: &str| -> u16 {
        columns
            .iter()
            .position(|c| c == key)
            .and_then(|i| u16::try_from(i).ok())
            .unwrap_or(NO_COLUMN)
    };
    let mut table = MappedTable {
        sheet: source.sheet.clone(),
        columns: columns.clone(),
        ..MappedTable::default()
    };
    let out = &mut table.triples;
    let origins = &mut table.origins;
    let rdf_type = named(public::RDF_TYPE);
    let derived_from = named(public::PROV_WAS_DERIVED_FROM);
    let row_prefix = match &source.sheet {
        Some(sheet) => format!("{}/{}/row/", source.file_node.as_str(), iri_key(sheet)),
        None => format!("{}/row/", source.file_node.as_str()),
    };
    let mut iris: BTreeMap<&str, Vec<NamedNode>> = BTreeMap::new();
    for i in 0..frame.height() {
        let row_number = match rows.get(i) {
            Some(Value::Integer(n)) => n,
            _ => rows.text(i).and_then(|t| t.parse().ok()).unwrap_or(0),
        };
        let row_node = named(&format!("{row_prefix}{row_number}"));
        let facts_start = out.len();
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
                            // A resolved name's identity (`c.id`, see
                            // `resolve`) makes the IRI; the column's value
                            // as written stays the label.
                            let value = if Some(c.as_str()) == each {
                                part.clone()
                            } else {
                                accessors
                                    .get(&format!("{c}.id"))
                                    .or_else(|| accessors.get(c.as_str()))
                                    .and_then(|a| a.text(i))
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
        let mut described: Vec<NamedNode> = Vec::new();
        let mut subject_of_row = None;
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
                subject_of_row.get_or_insert_with(|| subject.clone());
                described.push(subject.clone());
                let s = NamedOrBlankNode::NamedNode(subject.clone());
                out.push(Triple::new(s.clone(), rdf_type.clone(), class.clone()));
                origins.push(NO_COLUMN);
                for (property, value) in &entity.properties {
                    let predicate =
                        named(&ttkg_vocab::expand(property.get_ref()).unwrap_or_default());
                    let mut objects: Vec<(Term, u16)> = Vec::new();
                    for source in value.get_ref().sources() {
                        match source {
                            PropertySource::Entity(other) => {
                                objects.extend(
                                    iris.get(other.as_str())
                                        .into_iter()
                                        .flatten()
                                        .cloned()
                                        .map(|n| (Term::from(n), NO_COLUMN)),
                                );
                            }
                            PropertySource::Iri(iri) => {
                                if let Some(class) = ontology.implied_class(&iri) {
                                    out.push(Triple::new(
                                        s.clone(),
                                        rdf_type.clone(),
                                        named(class),
                                    ));
                                    origins.push(NO_COLUMN);
                                }
                                objects.push((named(&iri).into(), NO_COLUMN));
                            }
                            PropertySource::Literal {
                                value,
                                datatype,
                                lang,
                            } => objects.push((
                                match (datatype, lang) {
                                    (_, Some(lang)) => {
                                        Literal::new_language_tagged_literal_unchecked(
                                            value,
                                            lang.to_ascii_lowercase(),
                                        )
                                        .into()
                                    }
                                    (Some(dt), None) => typed(value, &dt),
                                    (None, None) => Literal::new_simple_literal(value).into(),
                                },
                                NO_COLUMN,
                            )),
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
                                let origin = column_index(base);
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
                                    let before = out.len();
                                    money_node(&node, base, spec_column, &accessors, i, out);
                                    origins.resize(origins.len() + out.len() - before, origin);
                                    objects.push((node.into(), origin));
                                    continue;
                                }
                                let before = objects.len();
                                let mut values = Vec::new();
                                push_values(
                                    &mut values,
                                    value,
                                    kind,
                                    lang.as_deref(),
                                    spec_column.split.is_some(),
                                )
                                .map_err(|e| {
                                    mapping_error(pipeline, name, &format!("row {row_number}: {e}"))
                                })?;
                                objects.extend(values.into_iter().map(|v| (v, origin)));
                                if kind == Some(ColumnKind::Concept) {
                                    let classes: Vec<Term> = objects[before..]
                                        .iter()
                                        .filter_map(|(o, _)| match o {
                                            Term::NamedNode(n) => {
                                                ontology.implied_class(n.as_str())
                                            }
                                            _ => None,
                                        })
                                        .map(|c| named(c).into())
                                        .collect();
                                    for c in classes {
                                        out.push(Triple::new(s.clone(), rdf_type.clone(), c));
                                        origins.push(NO_COLUMN);
                                    }
                                }
                            }
                        }
                    }
                    for (object, origin) in objects {
                        out.push(Triple::new(s.clone(), predicate.clone(), object));
                        origins.push(origin);
                    }
                }
            }
        }
        let facts_end = out.len();
        if !described.is_empty() {
            for subject in described {
                out.push(Triple::new(subject, derived_from.clone(), row_node.clone()));
            }
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
        origins.resize(out.len(), NO_COLUMN);
        table.rows.push(MappedRow {
            number: u32::try_from(row_number).unwrap_or(0),
            facts: facts_start..facts_end,
            provenance: facts_end..out.len(),
            subject: subject_of_row,
        });
    }
    Ok(table)
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
        (Some(ColumnKind::Date | ColumnKind::DateTime), Value::Text(t)) => {
            objects.push(date_literal(&t))
        }
        (_, Value::Integer(n)) => objects.push(typed(n.to_string(), public::XSD_INTEGER)),
        (_, Value::Decimal(d)) => objects.push(typed(d, public::XSD_DECIMAL)),
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
    if let Some(Value::Decimal(v)) = get("") {
        add(public::SCHEMA_VALUE, typed(v, public::XSD_DECIMAL));
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
    if let Some(Value::Decimal(v)) = get(".cny") {
        add(&ttkg::iri(ttkg::VALUE_CNY), typed(v, public::XSD_DECIMAL));
    }
    if let Some(Value::Text(t)) = get(".text") {
        add(
            &ttkg::iri(ttkg::SOURCE_TEXT),
            Literal::new_simple_literal(t).into(),
        );
    }
    if let Some(Value::Decimal(v)) = get(".source") {
        add(
            &ttkg::iri(ttkg::REPORTED_VALUE),
            typed(v, public::XSD_DECIMAL),
        );
    }
    // The unit of the figure as written: per row (万 in the cell), or the
    // column's multiplier where the cell has no figure.
    let scale = match get(".scale") {
        Some(Value::Decimal(scale)) => scale,
        _ => column.multiplier_text(),
    };
    let unit = source_unit(&scale, &currency);
    if !unit.is_empty() {
        add(
            &ttkg::iri(ttkg::SOURCE_UNIT),
            Literal::new_simple_literal(unit).into(),
        );
    }
}

/// The unit a figure was written in, as a reader of the report says it:
/// 万元, 亿元 and 元 for yuan, `万 USD` or `USD` for other currencies.
fn source_unit(scale: &str, currency: &str) -> String {
    let scale = match scale.contains('.') {
        true => scale.trim_end_matches('0').trim_end_matches('.'),
        false => scale,
    };
    let (prefix, yuan) = match scale {
        "10000" | "1" if currency == "CNY" => (if scale == "1" { "" } else { "万" }, true),
        "100000000" if currency == "CNY" => ("亿", true),
        "10000" => ("万", false),
        "100000000" => ("亿", false),
        "1" | "" => ("", false),
        other => return format!("{other} {currency}").trim().to_owned(),
    };
    if yuan {
        format!("{prefix}元")
    } else {
        format!("{prefix} {currency}").trim().to_owned()
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
    use proptest::prelude::*;
    use ttkg_pipeline::NumberStyle;

    #[test]
    fn decimals_are_exact_and_plain() {
        assert_eq!(decimal_text(788_200_000_000_000_000, 12), "788200");
        assert_eq!(decimal_text(1_500_000_500_000_000_000, 12), "1500000.5");
        assert_eq!(decimal_text(-70_000_000_000, 12), "-0.07");
        assert_eq!(decimal_text(150, 0), "150");
        assert_eq!(decimal_text(0, 12), "0");
        assert_eq!(decimal_text(1, 12), "0.000000000001");
    }

    static ONTOLOGY: std::sync::LazyLock<crate::Ontology> = std::sync::LazyLock::new(|| {
        crate::Ontology::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ontology"),
        )
        .unwrap()
    });

    /// A pipeline with one amount in CNY, scaled by `multiplier`.
    fn money_pipeline(multiplier: &str, style: NumberStyle) -> Pipeline {
        let style = match style {
            NumberStyle::Point => "point",
            NumberStyle::Comma => "comma",
        };
        let text = format!(
            r#"
[pipeline]
version = "1"
[source]
files = ["*.csv"]
format = "csv"
[columns]
number = {{ headers = ["No."], required = true }}
amount = {{ headers = ["Amount"], type = "money", currency = "CNY", multiplier = {multiplier}, number_style = "{style}" }}
[[entity]]
name = "agreement"
class = "ttkg:Agreement"
iri = "agreement/{{number}}"
[entity.properties]
"ttkg:amount" = "amount"
"#
        );
        Pipeline::parse(std::path::Path::new("p.toml"), &text).unwrap()
    }

    /// `int.frac × 10^shift` as exact decimal text, by moving the point.
    fn shifted(int: &str, frac: &str, shift: usize) -> String {
        let digits = format!("{int}{frac}");
        let point = int.len() + shift;
        let digits = format!("{digits:0<point$}");
        let (whole, fraction) = digits.split_at(point);
        let whole = whole.trim_start_matches('0');
        let whole = if whole.is_empty() { "0" } else { whole };
        match fraction.trim_end_matches('0') {
            "" => whole.to_owned(),
            f => format!("{whole}.{f}"),
        }
    }

    /// `int` with thousands separators of `style`, and the decimal mark.
    fn written(int: &str, frac: &str, style: NumberStyle, grouped: bool) -> String {
        let (group, mark) = match style {
            NumberStyle::Point => (',', '.'),
            NumberStyle::Comma => ('.', ','),
        };
        let int = int.trim_start_matches('0');
        let int = if int.is_empty() { "0" } else { int };
        let mut text = String::new();
        for (i, c) in int.chars().enumerate() {
            if grouped && i > 0 && (int.len() - i) % 3 == 0 {
                text.push(group);
            }
            text.push(c);
        }
        if !frac.is_empty() {
            text.push(mark);
            text.push_str(frac);
        }
        text
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Whatever the digits, separators and multiplier, the stored
        /// schema:value and ttkg:valueCny are exact decimal arithmetic:
        /// 78.82 × 10,000 is 788200, never 788199.9999999999.
        #[test]
        fn scaled_amounts_are_stored_exactly(
            // Up to 10 digits before the point: scaled by 10^8 they stay under
            // the 10^18 bound past which a value is refused as too large.
            values in proptest::collection::vec(("[0-9]{1,10}", "[0-9]{0,10}", any::<bool>()), 1..12),
            shift in prop::sample::select(vec![0usize, 4, 8]),
            comma in any::<bool>(),
        ) {
            let style = if comma { NumberStyle::Comma } else { NumberStyle::Point };
            let multiplier = format!("1{}", "0".repeat(shift));
            let pipeline = money_pipeline(&multiplier, style);
            let texts: Vec<String> = values
                .iter()
                .map(|(int, frac, grouped)| written(int, frac, style, *grouped))
                .collect();
            let numbers: Vec<String> = (1..=values.len()).map(|i| format!("A{i}")).collect();
            let rows: Vec<u32> = (2..2 + values.len() as u32).collect();
            let frame = df!(
                ttkg_normalise::ROW_COLUMN => rows,
                "number" => numbers,
                "amount" => texts.clone(),
            )
            .unwrap();
            let normalised = ttkg_normalise::normalise(
                frame,
                &pipeline.spec,
                &ttkg_normalise::References::default(),
                &[],
            )
            .unwrap();
            prop_assert!(normalised.problems.is_empty(), "{:?} {:?}", texts, normalised.problems);
            let ontology = &*ONTOLOGY;
            let source = SourceRef {
                file_node: named("https://w3id.org/ttkg/id/source/p/t.csv"),
                sheet: None,
            };
            let mapped = map_rows(&pipeline, &normalised.frame, ontology, &source).unwrap();
            for (i, (int, frac, _)) in values.iter().enumerate() {
                let node = format!("https://w3id.org/ttkg/id/agreement/a{}/amount", i + 1);
                let stated = |property: &str| {
                    mapped
                        .triples
                        .iter()
                        .find(|t| t.subject.to_string() == format!("<{node}>") && t.predicate.as_str() == property)
                        .map(|t| t.object.clone())
                };
                let expected = shifted(int, frac, shift);
                prop_assert_eq!(
                    stated(public::SCHEMA_VALUE),
                    Some(typed(expected.clone(), public::XSD_DECIMAL)),
                    "{} × {}", &texts[i], &multiplier
                );
                // In yuan, rounded half away from zero to the fen.
                let cny = stated(&ttkg::iri(ttkg::VALUE_CNY)).unwrap();
                let Term::Literal(cny) = cny else { panic!("a literal") };
                prop_assert_eq!(cny.value(), fen(&expected));
            }
        }
    }

    /// Exact decimal text rounded half away from zero to two places.
    fn fen(exact: &str) -> String {
        let (whole, fraction) = exact.split_once('.').unwrap_or((exact, ""));
        let fraction = format!("{fraction:0<3}");
        let mut cents: u128 = format!("{whole}{}", &fraction[..2]).parse().unwrap();
        if fraction.as_bytes()[2] >= b'5' {
            cents += 1;
        }
        decimal_text(cents as i128, 2)
    }
}

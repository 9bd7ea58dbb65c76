//! Rows to RDF: each row of a normalised table becomes the entities its
//! pipeline declares, every one linked to the source row it came from.

use std::collections::BTreeMap;
use std::ops::Range;

use oxigraph::model::{Literal, NamedNode, Term, Triple, TripleRef};
use polars::prelude::*;
use rayon::prelude::*;
use ttkg_normalise::MULTI_SEPARATOR;
use ttkg_pipeline::template::iri_key;
use ttkg_pipeline::{ColumnKind, Companion, IriPart, Pipeline, ValuePlan};
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

pub use crate::terms::{Terms, TripleIds};

/// The triples of one table, grouped by the row that gave them, so that a
/// row can still be taken out (a conflict with another source, a duplicate)
/// after mapping. Their terms are in the file's [`Terms`].
#[derive(Debug, Clone, Default)]
pub struct MappedTable {
    pub sheet: Option<String>,
    pub triples: Vec<TripleIds>,
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
    pub fn facts<'a>(&self, terms: &'a Terms, row: &MappedRow) -> Vec<TripleRef<'a>> {
        self.triples[row.facts.clone()]
            .iter()
            .map(|ids| terms.triple(*ids))
            .collect()
    }

    /// The `i`th triple.
    pub fn triple<'a>(&self, terms: &'a Terms, i: usize) -> TripleRef<'a> {
        terms.triple(self.triples[i])
    }

    /// Makes room for `more` rows like those mapped so far, at once: grown
    /// by doubling as batches came, the triples of a 1,000,000-row sheet
    /// (408 MB) could take twice that, and the copy at each doubling as
    /// much again.
    pub fn reserve_rows(&mut self, more: usize) {
        let Some(per_row) = self.triples.len().checked_div(self.rows.len()) else {
            return;
        };
        // A hundredth and one more than the mean so far: a later row may
        // fill an optional column the first batch's rows left empty.
        let triples = more.saturating_mul(per_row + per_row / 100 + 1);
        self.triples.reserve_exact(triples);
        self.origins.reserve_exact(triples);
        self.rows.reserve_exact(more);
    }

    /// What the table takes, in bytes: its triples, their origins and its
    /// rows (their length, not the room made for more).
    pub fn used_bytes(&self) -> usize {
        use std::mem::size_of;
        self.triples.len() * size_of::<TripleIds>()
            + self.origins.len() * size_of::<u16>()
            + self.rows.len() * size_of::<MappedRow>()
    }

    /// Puts the rows of `next` (the next batch of the same sheet, mapped
    /// into the same [`Terms`]) after these.
    pub fn append(&mut self, next: MappedTable) {
        let offset = self.triples.len();
        let shift = |range: Range<usize>| range.start + offset..range.end + offset;
        self.triples.extend(next.triples);
        self.origins.extend(next.origins);
        self.rows.extend(next.rows.into_iter().map(|row| MappedRow {
            facts: shift(row.facts),
            provenance: shift(row.provenance),
            ..row
        }));
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

/// A plan's IRIs as nodes and its column references as accessors into one
/// normalised table, made once per table so the row loop only reads cells.
struct TableMap {
    entities: Vec<EntityMap>,
    /// The table's columns the plan reads, by slot.
    slots: Vec<Accessor>,
}

struct EntityMap {
    name: String,
    class: Option<NamedNode>,
    iri: Vec<IriSlot>,
    /// The split column (index into the plan's columns) and its slot.
    for_each: Option<(usize, usize)>,
    properties: Vec<PropertyMap>,
}

enum IriSlot {
    Text(String),
    /// A column's identity (a resolved name's `key.id`, else its value).
    Column {
        column: usize,
        slot: Option<usize>,
    },
}

struct PropertyMap {
    predicate: NamedNode,
    /// The money node's name under its subject (`…/agreement/x/amount`).
    local_name: String,
    values: Vec<ValueMap>,
}

enum ValueMap {
    /// Another entity's IRIs (index into the entities).
    Entity(usize),
    /// A fixed IRI and the class a concept IRI implies.
    Iri(NamedNode, Option<NamedNode>),
    Literal(Term),
    Column(ColumnMap),
}

struct ColumnMap {
    /// Index into the plan's columns (for origins).
    column: u16,
    slot: Option<usize>,
    /// The column's type; none for a companion, which is typed by its cells.
    kind: Option<ColumnKind>,
    lang: Option<String>,
    split: bool,
    money: Option<MoneySlots>,
}

/// The slots of a money column's value and companions.
struct MoneySlots {
    value: Option<usize>,
    currency: Option<usize>,
    cny: Option<usize>,
    text: Option<usize>,
    source: Option<usize>,
    scale: Option<usize>,
    multiplier: String,
}

/// The normalised table's columns a plan reads, each turned into an
/// [`Accessor`] once, by name.
struct Slots<'f> {
    frame: &'f DataFrame,
    accessors: Vec<Accessor>,
    names: BTreeMap<String, usize>,
}

impl Slots<'_> {
    /// The slot of the table's column `name`; none when the table lacks it
    /// (a column missing from the file).
    fn of(&mut self, name: String) -> Result<Option<usize>, GraphError> {
        if let Some(&i) = self.names.get(&name) {
            return Ok(Some(i));
        }
        let Ok(column) = self.frame.column(&name) else {
            return Ok(None);
        };
        self.accessors.push(Accessor::new(column)?);
        self.names.insert(name, self.accessors.len() - 1);
        Ok(Some(self.accessors.len() - 1))
    }
}

impl TableMap {
    fn new(
        pipeline: &Pipeline,
        frame: &DataFrame,
        ontology: &Ontology,
    ) -> Result<Self, GraphError> {
        let plan = &pipeline.plan;
        let mut slots = Slots {
            frame,
            accessors: Vec::new(),
            names: BTreeMap::new(),
        };
        let mut entities = Vec::new();
        for entity in &plan.entities {
            let mut iri = Vec::new();
            for part in &entity.iri {
                iri.push(match part {
                    IriPart::Text(t) => IriSlot::Text(t.clone()),
                    // A resolved name's identity (`key.id`) makes the IRI;
                    // the name as written stays the label.
                    IriPart::Column(c) => {
                        let key = &plan.columns[*c];
                        let slot = match slots.of(ttkg_normalise::identity_of(key))? {
                            Some(s) => Some(s),
                            None => slots.of(key.clone())?,
                        };
                        IriSlot::Column { column: *c, slot }
                    }
                });
            }
            let for_each = match entity.for_each {
                Some(c) => slots.of(plan.columns[c].clone())?.map(|s| (c, s)),
                None => None,
            };
            let mut properties = Vec::new();
            for property in &entity.properties {
                let mut values = Vec::new();
                for value in &property.values {
                    values.push(value_map(
                        pipeline,
                        &entity.name,
                        value,
                        ontology,
                        &mut slots,
                    )?);
                }
                properties.push(PropertyMap {
                    predicate: named(&property.predicate),
                    local_name: local_name(&property.predicate).to_owned(),
                    values,
                });
            }
            entities.push(EntityMap {
                name: entity.name.clone(),
                class: entity.class.as_deref().map(named),
                iri,
                for_each,
                properties,
            });
        }
        Ok(TableMap {
            entities,
            slots: slots.accessors,
        })
    }
}

/// One value of a property, with its nodes made and its cells found.
fn value_map(
    pipeline: &Pipeline,
    entity: &str,
    value: &ValuePlan,
    ontology: &Ontology,
    slots: &mut Slots,
) -> Result<ValueMap, GraphError> {
    let (column, companion, lang) = match value {
        ValuePlan::Entity(e) => return Ok(ValueMap::Entity(*e)),
        ValuePlan::Iri(i) => {
            return Ok(ValueMap::Iri(
                named(i),
                ontology.implied_class(i).map(named),
            ))
        }
        ValuePlan::Literal {
            value,
            datatype,
            lang,
        } => {
            return Ok(ValueMap::Literal(match (datatype, lang) {
                (_, Some(lang)) => {
                    Literal::new_language_tagged_literal_unchecked(value, lang.to_ascii_lowercase())
                        .into()
                }
                (Some(dt), None) => typed(value.clone(), dt),
                (None, None) => Literal::new_simple_literal(value).into(),
            }))
        }
        ValuePlan::Column {
            column,
            companion,
            lang,
        } => (*column, *companion, lang),
    };
    let plan = &pipeline.plan;
    let key = &plan.columns[column];
    let spec = pipeline
        .spec
        .column(key)
        .ok_or_else(|| mapping_error(pipeline, entity, &format!("no column `{key}`")))?;
    let kind = companion.is_none().then(|| spec.kind());
    let money = match kind {
        Some(ColumnKind::Money) => Some(MoneySlots {
            value: slots.of(key.clone())?,
            currency: slots.of(Companion::Currency.column(key))?,
            cny: slots.of(Companion::Cny.column(key))?,
            text: slots.of(Companion::Text.column(key))?,
            source: slots.of(Companion::Source.column(key))?,
            scale: slots.of(Companion::Scale.column(key))?,
            multiplier: spec.multiplier_text(),
        }),
        _ => None,
    };
    Ok(ValueMap::Column(ColumnMap {
        column: u16::try_from(column).unwrap_or(NO_COLUMN),
        slot: slots.of(plan.column_ref(column, companion).frame_column())?,
        kind,
        lang: lang.clone(),
        split: spec.split().is_some(),
        money,
    }))
}

/// Maps every row of `frame` (a normalised table) to triples, grouped by row,
/// their terms kept in `terms` (one for all tables of a file); the loader
/// puts them in the source's graph.
///
/// Stretches of rows are mapped on every core, each with terms of its own,
/// and then joined in row order: a term's number is where it first appears
/// in the table, as if the rows had been mapped one after the other.
/// Mapping alone was three seconds of one core per 100,000 rows.
pub fn map_rows(
    pipeline: &Pipeline,
    frame: &DataFrame,
    ontology: &Ontology,
    source: &SourceRef,
    terms: &mut Terms,
) -> Result<MappedTable, GraphError> {
    map_rows_by(pipeline, frame, ontology, source, terms, ROWS_PER_STRETCH)
}

/// [`map_rows`], `rows_per_stretch` rows to a core at a time.
fn map_rows_by(
    pipeline: &Pipeline,
    frame: &DataFrame,
    ontology: &Ontology,
    source: &SourceRef,
    terms: &mut Terms,
    rows_per_stretch: usize,
) -> Result<MappedTable, GraphError> {
    let map = TableMap::new(pipeline, frame, ontology)?;
    let rows = frame
        .column(ttkg_normalise::ROW_COLUMN)
        .ok()
        .map(Accessor::new)
        .transpose()?
        .ok_or_else(|| mapping_error(pipeline, "-", "the table has no row numbers"))?;
    let mut table = MappedTable {
        sheet: source.sheet.clone(),
        columns: pipeline.plan.columns.clone(),
        ..MappedTable::default()
    };
    let row_prefix = match &source.sheet {
        Some(sheet) => format!("{}/{}/row/", source.file_node.as_str(), iri_key(sheet)),
        None => format!("{}/row/", source.file_node.as_str()),
    };
    let stretch = Stretch {
        pipeline,
        map: &map,
        rows: &rows,
        ontology,
        source,
        row_prefix: &row_prefix,
    };
    let starts: Vec<usize> = (0..frame.height()).step_by(rows_per_stretch).collect();
    let map_wave = |wave: &[usize]| -> Vec<Result<MappedStretch, GraphError>> {
        wave.par_iter()
            .map(|&start| {
                stretch.map(start..start.saturating_add(rows_per_stretch).min(frame.height()))
            })
            .collect()
    };
    let join_wave = |mapped: Vec<Result<MappedStretch, GraphError>>,
                     table: &mut MappedTable,
                     terms: &mut Terms| {
        mapped
            .into_iter()
            .try_for_each(|part| part?.join_into(table, terms, pipeline))
    };
    // A stretch per core at a time, joined while the next ones are mapped:
    // their terms of their own are never many more than the table's.
    let mut mapped = Vec::new();
    for wave in starts.chunks(rayon::current_num_threads().max(1)) {
        let previous = std::mem::take(&mut mapped);
        let (joined, next) =
            rayon::join(|| join_wave(previous, &mut table, terms), || map_wave(wave));
        joined?;
        mapped = next;
    }
    join_wave(mapped, &mut table, terms)?;
    Ok(table)
}

/// How many rows a core maps at a time.
const ROWS_PER_STRETCH: usize = 4096;

/// What mapping any stretch of a table's rows needs.
struct Stretch<'a> {
    pipeline: &'a Pipeline,
    map: &'a TableMap,
    rows: &'a Accessor,
    ontology: &'a Ontology,
    source: &'a SourceRef,
    row_prefix: &'a str,
}

/// A stretch of rows mapped with terms of its own.
struct MappedStretch {
    terms: Terms,
    triples: Vec<TripleIds>,
    origins: Vec<u16>,
    /// Their ranges count from the stretch's first triple.
    rows: Vec<MappedRow>,
}

impl Stretch<'_> {
    fn map(&self, range: Range<usize>) -> Result<MappedStretch, GraphError> {
        let pipeline = self.pipeline;
        let mut out = MappedStretch {
            terms: Terms::default(),
            triples: Vec::new(),
            origins: Vec::new(),
            rows: Vec::new(),
        };
        // One row's triples at a time; then their terms go to `terms`.
        let mut scratch = Vec::new();
        let mut row = RowWriter {
            map: self.map,
            ontology: self.ontology,
            out: &mut scratch,
            origins: &mut out.origins,
            iris: Vec::new(),
            rdf_type: named(public::RDF_TYPE),
        };
        for i in range {
            let number = match self.rows.get(i) {
                Some(Value::Integer(n)) => n,
                _ => self.rows.text(i).and_then(|t| t.parse().ok()).unwrap_or(0),
            };
            row.mint(i).map_err(|e| {
                mapping_error(
                    pipeline,
                    &e.0,
                    &format!("row {number} gives the invalid IRI <{}>: {}", e.1, e.2),
                )
            })?;
            let described = row
                .facts(i)
                .map_err(|e| mapping_error(pipeline, &e.0, &format!("row {number}: {}", e.1)))?;
            let facts = row.out.len();
            let row_node = named(&format!("{}{number}", self.row_prefix));
            row.provenance(described, row_node, number, self.source);
            let start = out.triples.len();
            row.origins.resize(start + row.out.len(), NO_COLUMN);
            for triple in row.out.drain(..) {
                let ids = out
                    .terms
                    .intern(triple)
                    .ok_or_else(|| too_many_terms(pipeline, number))?;
                out.triples.push(ids);
            }
            out.rows.push(MappedRow {
                number: u32::try_from(number).unwrap_or(0),
                facts: start..start + facts,
                provenance: start + facts..out.triples.len(),
            });
        }
        Ok(out)
    }
}

impl MappedStretch {
    /// Adds the stretch's rows to `table` and its terms to the file's.
    fn join_into(
        self,
        table: &mut MappedTable,
        terms: &mut Terms,
        pipeline: &Pipeline,
    ) -> Result<(), GraphError> {
        // A term past the file's 2^32 has no number; its first row is the
        // one a mapping row after row would have stopped at.
        let numbers: Vec<Option<u32>> = self.terms.iter().map(|t| terms.id(t)).collect();
        let base = table.triples.len();
        for row in self.rows {
            for ids in &self.triples[row.facts.start..row.provenance.end] {
                let [Some(s), Some(p), Some(o)] = ids.map(|id| numbers[id as usize]) else {
                    return Err(too_many_terms(pipeline, i64::from(row.number)));
                };
                table.triples.push([s, p, o]);
            }
            table.rows.push(MappedRow {
                facts: base + row.facts.start..base + row.facts.end,
                provenance: base + row.provenance.start..base + row.provenance.end,
                ..row
            });
        }
        table.origins.extend(self.origins);
        Ok(())
    }
}

fn too_many_terms(pipeline: &Pipeline, number: i64) -> GraphError {
    mapping_error(
        pipeline,
        "-",
        &format!("row {number}: the file has more distinct values than one report may hold (2^32 of them, or 4 GiB of their text)"),
    )
}

/// Writes one row at a time into a table's triples.
struct RowWriter<'a> {
    map: &'a TableMap,
    ontology: &'a Ontology,
    out: &'a mut Vec<Triple>,
    origins: &'a mut Vec<u16>,
    /// Each entity's IRIs in the current row.
    iris: Vec<Vec<NamedNode>>,
    rdf_type: NamedNode,
}

impl RowWriter<'_> {
    fn cell(&self, slot: Option<usize>, row: usize) -> Option<Value> {
        self.map.slots[slot?].get(row)
    }

    fn text(&self, slot: Option<usize>, row: usize) -> Option<String> {
        self.map.slots[slot?].text(row)
    }

    /// The IRIs of the row's entities: one per entity, one per value of a
    /// `for_each` column, none where a placeholder's cell is empty. An
    /// error is (entity, IRI, why).
    fn mint(&mut self, row: usize) -> Result<(), (String, String, String)> {
        self.iris.clear();
        for entity in &self.map.entities {
            let parts: Vec<Option<String>> = match entity.for_each {
                Some((_, slot)) => self
                    .text(Some(slot), row)
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
                for piece in &entity.iri {
                    match piece {
                        IriSlot::Text(t) => iri.push_str(t),
                        IriSlot::Column { column, slot } => {
                            let value = match entity.for_each {
                                Some((each, _)) if each == *column => part.clone(),
                                _ => self.text(*slot, row),
                            };
                            match value.filter(|v| !v.trim().is_empty()) {
                                Some(v) => iri.push_str(&iri_key(&v)),
                                None => continue 'part,
                            }
                        }
                    }
                }
                let node = NamedNode::new(&iri)
                    .map_err(|e| (entity.name.clone(), iri.clone(), e.to_string()))?;
                minted.push(node);
            }
            self.iris.push(minted);
        }
        Ok(())
    }

    /// The facts about the row's entities that have a class; returns them,
    /// in order. An error is (entity, why).
    fn facts(&mut self, row: usize) -> Result<Vec<NamedNode>, (String, String)> {
        let map = self.map;
        let mut described = Vec::new();
        for (e, entity) in map.entities.iter().enumerate() {
            let Some(class) = &entity.class else { continue };
            for (index, subject) in self.iris[e].clone().into_iter().enumerate() {
                described.push(subject.clone());
                self.push(
                    &subject,
                    &self.rdf_type.clone(),
                    class.clone().into(),
                    NO_COLUMN,
                );
                for property in &entity.properties {
                    let mut objects: Vec<(Term, u16)> = Vec::new();
                    for value in &property.values {
                        self.value(entity, &subject, property, value, row, index, &mut objects)
                            .map_err(|why| (entity.name.clone(), why))?;
                    }
                    for (object, origin) in objects {
                        self.push(&subject, &property.predicate, object, origin);
                    }
                }
            }
        }
        Ok(described)
    }

    fn push(&mut self, subject: &NamedNode, predicate: &NamedNode, object: Term, origin: u16) {
        self.out
            .push(Triple::new(subject.clone(), predicate.clone(), object));
        self.origins.push(origin);
    }

    /// The objects one value of a property gives `subject` (the `index`th
    /// of its entity's IRIs in the row).
    #[allow(clippy::too_many_arguments)]
    fn value(
        &mut self,
        entity: &EntityMap,
        subject: &NamedNode,
        property: &PropertyMap,
        value: &ValueMap,
        row: usize,
        index: usize,
        objects: &mut Vec<(Term, u16)>,
    ) -> Result<(), String> {
        let column = match value {
            ValueMap::Entity(other) => {
                objects.extend(
                    self.iris[*other]
                        .iter()
                        .map(|n| (n.clone().into(), NO_COLUMN)),
                );
                return Ok(());
            }
            ValueMap::Iri(iri, class) => {
                if let Some(class) = class {
                    self.push(
                        subject,
                        &self.rdf_type.clone(),
                        class.clone().into(),
                        NO_COLUMN,
                    );
                }
                objects.push((iri.clone().into(), NO_COLUMN));
                return Ok(());
            }
            ValueMap::Literal(term) => {
                objects.push((term.clone(), NO_COLUMN));
                return Ok(());
            }
            ValueMap::Column(column) => column,
        };
        let Some(cell) = self.cell(column.slot, row) else {
            return Ok(());
        };
        if let Some(money) = &column.money {
            let node = named(&format!("{}/{}", subject.as_str(), property.local_name));
            let before = self.out.len();
            self.money_node(&node, money, row);
            self.origins
                .resize(self.origins.len() + self.out.len() - before, column.column);
            objects.push((node.into(), column.column));
            return Ok(());
        }
        // A for_each entity reads its own part of a split column.
        let cell = match (entity.for_each, &cell) {
            (Some((each, _)), Value::Text(t))
                if usize::from(column.column) == each && column.kind.is_some() =>
            {
                Value::Text(
                    t.split(MULTI_SEPARATOR)
                        .nth(index)
                        .unwrap_or_default()
                        .to_owned(),
                )
            }
            _ => cell,
        };
        let before = objects.len();
        let mut values = Vec::new();
        push_values(
            &mut values,
            cell,
            column.kind,
            column.lang.as_deref(),
            column.split,
        )?;
        objects.extend(values.into_iter().map(|v| (v, column.column)));
        if column.kind == Some(ColumnKind::Concept) {
            let classes: Vec<Term> = objects[before..]
                .iter()
                .filter_map(|(o, _)| match o {
                    Term::NamedNode(n) => self.ontology.implied_class(n.as_str()),
                    _ => None,
                })
                .map(|c| named(c).into())
                .collect();
            for class in classes {
                self.push(subject, &self.rdf_type.clone(), class, NO_COLUMN);
            }
        }
        Ok(())
    }

    /// A ttkg:MonetaryAmount: value and currency as reported, value in
    /// yuan, the figure as reported, its unit and the text as written.
    fn money_node(&mut self, node: &NamedNode, money: &MoneySlots, row: usize) {
        let mut facts: Vec<(String, Term)> = vec![(
            public::RDF_TYPE.to_owned(),
            named(&ttkg::iri(ttkg::MONETARY_AMOUNT)).into(),
        )];
        if let Some(Value::Decimal(v)) = self.cell(money.value, row) {
            facts.push((
                public::SCHEMA_VALUE.to_owned(),
                typed(v, public::XSD_DECIMAL),
            ));
        }
        let currency = match self.cell(money.currency, row) {
            Some(Value::Text(c)) => {
                facts.push((
                    public::SCHEMA_CURRENCY.to_owned(),
                    Literal::new_simple_literal(&c).into(),
                ));
                c
            }
            _ => String::new(),
        };
        if let Some(Value::Decimal(v)) = self.cell(money.cny, row) {
            facts.push((ttkg::iri(ttkg::VALUE_CNY), typed(v, public::XSD_DECIMAL)));
        }
        if let Some(Value::Text(t)) = self.cell(money.text, row) {
            facts.push((
                ttkg::iri(ttkg::SOURCE_TEXT),
                Literal::new_simple_literal(t).into(),
            ));
        }
        if let Some(Value::Decimal(v)) = self.cell(money.source, row) {
            facts.push((
                ttkg::iri(ttkg::REPORTED_VALUE),
                typed(v, public::XSD_DECIMAL),
            ));
        }
        // The unit of the figure as written: per row (万 in the cell), or the
        // column's multiplier where the cell has no figure.
        let scale = match self.cell(money.scale, row) {
            Some(Value::Decimal(scale)) => scale,
            _ => money.multiplier.clone(),
        };
        let unit = source_unit(&scale, &currency);
        if !unit.is_empty() {
            facts.push((
                ttkg::iri(ttkg::SOURCE_UNIT),
                Literal::new_simple_literal(unit).into(),
            ));
        }
        for (predicate, object) in facts {
            self.out
                .push(Triple::new(node.clone(), named(&predicate), object));
        }
    }

    /// Where the row's entities came from (see [`crate::provenance::row`]).
    fn provenance(
        &mut self,
        described: Vec<NamedNode>,
        row_node: NamedNode,
        number: i64,
        source: &SourceRef,
    ) {
        if described.is_empty() {
            return;
        }
        self.out.extend(crate::provenance::row(
            described,
            &row_node,
            &source.file_node,
            number,
            source.sheet.as_deref(),
        ));
    }
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
            &std::env::var_os("CARGO_MANIFEST_DIR")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
                .join("../../ontology"),
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

    /// `money_pipeline`'s table of agreement numbers and amounts, from
    /// row 2 on, normalised.
    fn normalised_table(
        pipeline: &Pipeline,
        numbers: Vec<String>,
        amounts: Vec<String>,
    ) -> ttkg_normalise::Normalised {
        let rows: Vec<u32> = (2..2 + numbers.len() as u32).collect();
        let frame = df!(
            ttkg_normalise::ROW_COLUMN => rows,
            "number" => numbers,
            "amount" => amounts,
        )
        .unwrap();
        ttkg_normalise::normalise(frame, pipeline, &ttkg_normalise::References::default(), &[])
            .unwrap()
    }

    fn csv_source() -> SourceRef {
        SourceRef {
            file_node: named("https://w3id.org/ttkg/id/source/p/t.csv"),
            sheet: None,
        }
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
            let normalised = normalised_table(&pipeline, numbers, texts.clone());
            prop_assert!(normalised.problems.is_empty(), "{:?} {:?}", texts, normalised.problems);
            let ontology = &*ONTOLOGY;
            let source = csv_source();
            let mut terms = Terms::default();
            let mapped = map_rows(&pipeline, &normalised.frame, ontology, &source, &mut terms).unwrap();
            for (i, (int, frac, _)) in values.iter().enumerate() {
                let node = format!("https://w3id.org/ttkg/id/agreement/a{}/amount", i + 1);
                let stated = |property: &str| {
                    mapped
                        .triples
                        .iter()
                        .map(|ids| terms.triple(*ids))
                        .find(|t| t.subject.to_string() == format!("<{node}>") && t.predicate.as_str() == property)
                        .map(|t| t.object.into_owned())
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

    /// Rows mapped in stretches on several cores give the same triples,
    /// rows and term numbers as rows mapped one after the other, including
    /// terms that first appear in a later stretch and recur in earlier ones.
    #[test]
    fn stretches_of_rows_map_as_the_whole_table_does() {
        let pipeline = money_pipeline("10000", NumberStyle::Point);
        let count = 20;
        let numbers: Vec<String> = (0..count).map(|i| format!("A{}", i % 7)).collect();
        let amounts: Vec<String> = (0..count).map(|i| format!("{}.5", i % 4)).collect();
        let normalised = normalised_table(&pipeline, numbers, amounts);
        let source = csv_source();
        let mapped = |rows_per_stretch| {
            // A term the file already has from an earlier table.
            let mut terms = Terms::default();
            terms
                .id(named("https://example.org/earlier").as_ref().into())
                .unwrap();
            let table = map_rows_by(
                &pipeline,
                &normalised.frame,
                &ONTOLOGY,
                &source,
                &mut terms,
                rows_per_stretch,
            )
            .unwrap();
            let terms: Vec<String> = terms.iter().map(|t| t.to_string()).collect();
            (table.triples, table.origins, table.rows, terms)
        };
        let whole = mapped(usize::MAX);
        assert_eq!(whole.2.len(), 20);
        assert!(whole.0.len() > 100, "{} triples", whole.0.len());
        for rows_per_stretch in [1, 3, 8] {
            assert_eq!(
                mapped(rows_per_stretch),
                whole,
                "{rows_per_stretch} rows a stretch"
            );
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

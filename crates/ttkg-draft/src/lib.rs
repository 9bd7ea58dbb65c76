//! Drafts a pipeline for a report nobody has written one for.
//!
//! The report is read as text ([`ttkg_ingest::preview`]); its table found
//! (sheet, title rows, a header over one or two rows, totals rows); each
//! column matched to the headers the existing pipelines know, or typed from
//! what its header says and what its values read as with ttkg's own
//! parsers; and the entity blocks of the pipeline whose headers it shares
//! most are adapted to it. What could not be placed is said in a comment
//! on its line. The draft is a starting point an analyst checks with
//! `ttkg check --pipeline DRAFT FILE`, not a pipeline to trust unread.

mod align;
mod entities;
mod infer;
mod known;
mod layout;
mod render;

pub mod compare;

pub use infer::{Currency, Kind};
pub use layout::Layout;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ttkg_graph::PropertyDescription;
use ttkg_ingest::{ReadLimits, ReadOptions, SheetChoice, SourceFormat};
use ttkg_normalise::ConceptTable;
use ttkg_pipeline::Pipeline;

use crate::infer::Readings;
use crate::known::{Known, KnownColumn};

/// What the drafter knows besides the report.
pub struct Knowledge<'a> {
    /// The existing pipelines, whose headers and mappings are reused.
    pub pipelines: &'a [Pipeline],
    /// The concept schemes' labels, to tell a column of countries or fields.
    pub concepts: &'a ConceptTable,
    /// Each class's required properties (full IRIs), from the shapes.
    pub required: &'a BTreeMap<String, Vec<String>>,
    /// The ontology's properties, whose labels (签约日期, 参会机构数) name
    /// headers no pipeline knows.
    pub properties: &'a [PropertyDescription],
    /// Each class's superclasses, to tell which properties a class may have.
    pub superclasses: &'a BTreeMap<String, Vec<String>>,
}

impl Knowledge<'_> {
    /// Whether an entity of `class` (compact or full) may have `property`:
    /// the ontology gives it no domain, or the class or a superclass (as
    /// its `rdfs:domain`, else among its `schema:domainIncludes`).
    pub(crate) fn may_have(&self, class: &str, property: &str) -> bool {
        let class = ttkg_vocab::expand(class).unwrap_or_else(|| class.to_owned());
        let property = ttkg_vocab::expand(property).unwrap_or_else(|| property.to_owned());
        let Some(p) = self.properties.iter().find(|p| p.iri == property) else {
            return false;
        };
        let applies = |d: &String| {
            *d == class || self.superclasses.get(&class).is_some_and(|s| s.contains(d))
        };
        match (p.domains.is_empty(), p.domain_includes.is_empty()) {
            (true, true) => true,
            (false, _) => p.domains.iter().any(applies),
            (true, false) => p.domain_includes.iter().any(applies),
        }
    }
}

/// Why no draft could be made.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error("{}: ttkg drafts pipelines for .csv, .tsv, .txt, .xlsx, .xlsm, .xls and .ods files", path.display())]
    Format { path: PathBuf },
    #[error(transparent)]
    Read(#[from] ttkg_ingest::IngestError),
    #[error("{}: no sheet has a row of two or more headers in its first {} rows; is this a table?", path.display(), layout::HEADER_SEARCH_ROWS)]
    NoHeader { path: PathBuf },
    #[error("{}: reading the values failed: {source}", path.display())]
    Values {
        path: PathBuf,
        #[source]
        source: polars::prelude::PolarsError,
    },
}

/// One drafted column.
#[derive(Debug, Clone)]
pub struct DraftColumn {
    pub key: String,
    /// The header as the report writes it.
    pub header: String,
    pub kind: Kind,
    pub required: bool,
    pub unique: bool,
    /// The known column it matches: (pipeline, key, header).
    pub matched: Option<(String, String, String)>,
    /// Why it has its type, in words.
    pub why: String,
    /// Data rows that leave it empty, of those read.
    pub empty: usize,
    /// For a date column, the orders that read its values equally well
    /// (all three for ISO dates): the draft's is one of them.
    pub date_orders: Vec<ttkg_pipeline::DateOrder>,
    /// Whether its values name currencies (a column of each row's currency).
    pub currencies: bool,
    /// The ontology property its header is a label of, if no pipeline
    /// knows the header.
    pub labelled: Option<String>,
    /// Whether every row read gives it a value no other row gives: a
    /// column that can name each row's entity.
    pub names_rows: bool,
    /// Whether most of its values are numbers (sequence numbers name rows
    /// but are no names).
    pub numbers: bool,
    /// Which scripts its values are written in, to check a language tag
    /// copied from another pipeline.
    pub writing: ttkg_normalise::writing::Writing,
}

/// One drafted `[[entity]]`.
#[derive(Debug, Clone)]
pub struct DraftEntity {
    pub name: String,
    /// The class as the pipelines write it (`ttkg:Agreement`).
    pub class: Option<String>,
    pub iri: String,
    pub for_each: Option<String>,
    /// (property as written, value as TOML).
    pub properties: Vec<(String, String)>,
    /// Fixed values the adapted pipeline gives every row of its own
    /// sender's reports (`"ttkg:partnerCountry" = { iri = "vocab:country/TH" }`):
    /// written commented out, to be checked.
    pub fixed: Vec<(String, String)>,
    /// The pipeline the block was adapted from.
    pub source: Option<String>,
    /// Required properties of the class no column gives, said in a
    /// comment above the block.
    pub missing: Vec<String>,
    /// Properties placed by their column's type alone (a date as the start
    /// date), marked to be checked.
    pub guessed: Vec<String>,
    /// (property as written, what to check of its value): a language tag
    /// of another pipeline that the report's values do not show.
    pub checks: Vec<(String, String)>,
}

impl DraftEntity {
    /// Whether a property (as written, `ttkg:place`) is among its properties.
    pub(crate) fn has(&self, property: &str) -> bool {
        self.properties.iter().any(|(p, _)| p == property)
    }

    /// Adds a property placed by its column's type alone (`property` a
    /// full IRI), marked for the analyst to check.
    pub(crate) fn guess(&mut self, property: &str, value: String) {
        let property = ttkg_vocab::compact(property);
        self.guessed.push(property.clone());
        self.properties.push((property, value));
    }
}

/// A drafted pipeline.
#[derive(Debug, Clone)]
pub struct Draft {
    pub file: PathBuf,
    /// The `files` pattern: the path under the data folder when the file is
    /// in it, else the file's name.
    pub pattern: String,
    pub format: SourceFormat,
    pub layout: Layout,
    /// Visible sheets of the workbook.
    pub sheets: usize,
    pub columns: Vec<DraftColumn>,
    pub entities: Vec<DraftEntity>,
    /// The pipeline whose entity blocks were adapted.
    pub base: Option<String>,
}

impl Draft {
    /// The draft as a pipeline file, with a comment on every line that
    /// needs the analyst's eye.
    pub fn to_toml(&self) -> String {
        render::pipeline(self)
    }
}

/// The format a file name says.
pub fn format_of(path: &Path) -> Option<SourceFormat> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match extension.as_str() {
        "csv" | "tsv" | "txt" => SourceFormat::Csv,
        "xlsx" | "xlsm" => SourceFormat::Xlsx,
        "xls" => SourceFormat::Xls,
        "ods" => SourceFormat::Ods,
        _ => return None,
    })
}

/// Drafts a pipeline for `path`; `data_dir` makes the `files` pattern
/// relative to the data folder when the file is in it.
pub fn draft(
    path: &Path,
    data_dir: Option<&Path>,
    knowledge: &Knowledge,
    limits: ReadLimits,
) -> Result<Draft, DraftError> {
    let format = format_of(path).ok_or_else(|| DraftError::Format {
        path: path.to_owned(),
    })?;
    let options = ReadOptions {
        format,
        sheet: SheetChoice::First,
        encoding: None,
        delimiter: None,
        header_search_rows: layout::HEADER_SEARCH_ROWS,
        limits,
        chunk_rows: usize::MAX,
        max_table_bytes: usize::MAX,
    };
    let previews = ttkg_ingest::preview(path, &options, layout::SAMPLE_ROWS)?;
    let sheets = previews.len();
    let known = Known::new(knowledge.pipelines);
    let layout = layout::find(previews, &known).ok_or_else(|| DraftError::NoHeader {
        path: path.to_owned(),
    })?;
    let evidence =
        Evidence::gather(&layout, &known, knowledge).map_err(|source| DraftError::Values {
            path: path.to_owned(),
            source,
        })?;
    let (base, aligned) = best_alignment(&evidence, knowledge.pipelines);
    let (base, aligned) = match base {
        Some(b) if !fits_labels(b, &evidence, &aligned, knowledge) => {
            (None, vec![None; aligned.len()])
        }
        _ => (base, aligned),
    };
    let (mut columns, chosen) = draft_columns(&layout, &evidence, base, &aligned, knowledge);
    resolve_references(&mut columns, &chosen);
    let entities = entities::draft(&columns, &chosen, base, knowledge);
    Ok(Draft {
        file: path.to_owned(),
        pattern: pattern(path, data_dir),
        format,
        layout,
        sheets,
        columns,
        entities,
        base: base.map(str::to_owned),
    })
}

/// What is known of each column of the report before it is drafted.
struct Evidence<'k, 'o> {
    /// The known columns with its header.
    matches: Vec<Vec<KnownColumn<'k>>>,
    readings: Vec<Readings>,
    /// The kind its header and values give, and why.
    inferred: Vec<(Kind, String)>,
    /// The ontology property its header is a label of.
    labelled: Vec<Option<&'o PropertyDescription>>,
}

impl<'k, 'o> Evidence<'k, 'o> {
    fn gather(
        layout: &Layout,
        known: &Known<'k>,
        knowledge: &Knowledge<'o>,
    ) -> polars::prelude::PolarsResult<Self> {
        let mut evidence = Evidence {
            matches: Vec::new(),
            readings: Vec::new(),
            inferred: Vec::new(),
            labelled: Vec::new(),
        };
        let values: Vec<Vec<String>> = layout
            .headers
            .iter()
            .map(|(i, _)| layout.values(*i))
            .collect();
        evidence.readings = Readings::of_all(&values, knowledge.concepts)?;
        for ((_, header), readings) in layout.headers.iter().zip(&evidence.readings) {
            evidence.inferred.push(infer::infer(header, readings));
            evidence.matches.push(known.find(header));
            evidence
                .labelled
                .push(known::by_label(header, knowledge.properties));
        }
        Ok(evidence)
    }
}

/// Each column drafted, with the known column it follows.
fn draft_columns<'k>(
    layout: &Layout,
    evidence: &Evidence<'k, '_>,
    base: Option<&str>,
    aligned: &[Option<KnownColumn<'k>>],
    knowledge: &Knowledge,
) -> (Vec<DraftColumn>, Vec<Option<KnownColumn<'k>>>) {
    let main = base
        .and_then(|b| knowledge.pipelines.iter().find(|p| p.name == b))
        .and_then(main_class);
    let mut columns = Vec::new();
    let mut chosen = Vec::new();
    for (i, (index, header)) in layout.headers.iter().enumerate() {
        let matches = &evidence.matches[i];
        let named = matches.iter().any(|k| {
            aligned[i].is_some_and(|a| a.pipeline.name == k.pipeline.name && a.key == k.key)
        });
        // A header several pipelines know: the one of the same kind of
        // report, else one that maps it, else any.
        let pick = aligned[i]
            .or(matches
                .iter()
                .find(|k| k.is_mapped() && main_class(k.pipeline) == main)
                .copied())
            .or(matches.iter().find(|k| k.is_mapped()).copied())
            .or(matches.first().copied());
        let guess = Guess {
            inferred: evidence.inferred[i].clone(),
            readings: &evidence.readings[i],
            known: pick,
            named: named || (aligned[i].is_none() && pick.is_some()),
        };
        let mut drafted = column(header, *index, layout, guess, &columns);
        if let Some(p) = evidence.labelled[i] {
            drafted.labelled = Some(p.iri.clone());
            if pick.is_none() {
                drafted.why = format!(
                    "no pipeline knows this header, which names the ontology's {}; {}",
                    ttkg_vocab::compact(&p.iri),
                    drafted
                        .why
                        .trim_start_matches("no pipeline knows this header; ")
                );
            }
        }
        columns.push(drafted);
        chosen.push(pick);
    }
    (columns, chosen)
}

/// The class of a pipeline's first entity: what its rows are.
fn main_class(pipeline: &Pipeline) -> Option<String> {
    pipeline.plan.entities.iter().find_map(|e| e.class.clone())
}

/// Below this, a pipeline's columns line up with the report's by chance
/// (a text column and a date line up with almost anything).
const MIN_ALIGNMENT: u32 = 12;

/// The pipeline whose columns line up best with the report's (by header,
/// else by type, in order), and the pairing; none when none lines up well.
fn best_alignment<'k>(
    evidence: &Evidence<'k, '_>,
    pipelines: &'k [Pipeline],
) -> (Option<&'k str>, Vec<Option<KnownColumn<'k>>>) {
    let (inferred, matches, labelled) = (&evidence.inferred, &evidence.matches, &evidence.labelled);
    let seen: Vec<align::Seen> = inferred
        .iter()
        .zip(matches)
        .map(|((kind, _), named)| align::Seen { kind, named })
        .collect();
    // The kind of report: the class whose pipelines know the most of its
    // headers (each header votes once for each class whose pipelines
    // know it), or, with none, what the headers' ontology labels say.
    let mut votes: BTreeMap<String, usize> = BTreeMap::new();
    for (named, label) in matches.iter().zip(labelled) {
        let classes: std::collections::BTreeSet<String> = named
            .iter()
            .filter(|k| k.is_mapped())
            .filter_map(|k| main_class(k.pipeline))
            .collect();
        for class in classes {
            *votes.entry(class).or_default() += 1;
        }
        // The ontology's own word for a header weighs more than a header
        // some pipeline also reads.
        if let Some(domain) = label.and_then(|p| p.domains.first()) {
            *votes.entry(domain.clone()).or_default() += 2;
        }
    }
    let winner = votes.into_iter().max_by_key(|(_, n)| *n).map(|(c, _)| c);
    let candidates: Vec<&Pipeline> = match &winner {
        Some(class) => pipelines
            .iter()
            .filter(|p| main_class(p).as_ref() == Some(class))
            .collect(),
        None => pipelines.iter().collect(),
    };
    let best = candidates
        .into_iter()
        .map(|p| (p, align::align(&seen, p)))
        .max_by_key(|(p, (score, _))| (*score, std::cmp::Reverse(p.name.as_str())));
    match best {
        Some((p, (score, pairs)))
            if score >= MIN_ALIGNMENT || shares_a_header(p, matches, &pairs) =>
        {
            (Some(p.name.as_str()), pairs)
        }
        _ => (None, vec![None; inferred.len()]),
    }
}

/// Whether a column of the report lines up with a column of `pipeline`
/// that has its header.
fn shares_a_header(
    pipeline: &Pipeline,
    matches: &[Vec<KnownColumn>],
    pairs: &[Option<KnownColumn>],
) -> bool {
    pairs.iter().zip(matches).any(|(a, m)| {
        a.is_some_and(|a| {
            a.pipeline.name == pipeline.name
                && a.is_mapped()
                && m.iter()
                    .any(|k| k.pipeline.name == a.pipeline.name && k.key == a.key)
        })
    })
}

/// Whether a pipeline that lines up with the report by type alone (no
/// header in common) describes what the headers' ontology labels say the
/// rows are: a report of events lines up with one of training courses by
/// its dates and names, but its 参会机构数 and 活动类型 are an event's.
fn fits_labels(
    base: &str,
    evidence: &Evidence,
    aligned: &[Option<KnownColumn>],
    knowledge: &Knowledge,
) -> bool {
    let (matches, labelled) = (&evidence.matches, &evidence.labelled);
    let Some(pipeline) = knowledge.pipelines.iter().find(|p| p.name == base) else {
        return false;
    };
    if shares_a_header(pipeline, matches, aligned) {
        return true;
    }
    let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
    for p in labelled.iter().flatten() {
        if let Some(domain) = p.domains.first() {
            *votes.entry(domain.as_str()).or_default() += 1;
        }
    }
    let Some((class, n)) = votes.into_iter().max_by_key(|(_, n)| *n) else {
        return true;
    };
    let classes: Vec<String> = knowledge
        .pipelines
        .iter()
        .filter(|p| p.name == base)
        .flat_map(|p| &p.plan.entities)
        .filter_map(|e| e.class.clone())
        .collect();
    n < 2 || classes.iter().any(|c| c == class)
}

/// What is known of one column before it is drafted.
struct Guess<'a, 'k> {
    /// The kind its header and values give, and why.
    inferred: (Kind, String),
    readings: &'a Readings,
    /// The known column it matches or lines up with.
    known: Option<KnownColumn<'k>>,
    /// Whether the known column has its header (else it lines up by type and place).
    named: bool,
}

fn column(
    header: &str,
    index: usize,
    layout: &Layout,
    guess: Guess,
    before: &[DraftColumn],
) -> DraftColumn {
    let (inferred, why) = guess.inferred;
    let empty = layout.empty_cells(index);
    let (kind, why, key, required, unique) = match guess.known {
        Some(k) => {
            let exact =
                guess.named && ttkg_ingest::header_key(k.header) == ttkg_ingest::header_key(header);
            let kind = infer::adapt(
                Kind::of(k.spec),
                exact,
                header,
                guess.readings,
                inferred.clone(),
            );
            let how = if guess.named {
                format!("matches '{}' of pipeline {}", k.header, k.pipeline.name)
            } else {
                format!(
                    "lines up by its type and place with `{}` ('{}') of pipeline {}",
                    k.key, k.header, k.pipeline.name
                )
            };
            let why = if kind == inferred || kind == Kind::of(k.spec) {
                how
            } else {
                format!("{how}, but its values say otherwise: {why}")
            };
            (
                kind,
                why,
                k.key.to_owned(),
                k.spec.required && empty == 0,
                k.spec.unique,
            )
        }
        None => (
            inferred,
            format!("no pipeline knows this header; {why}"),
            slug(header, index),
            false,
            false,
        ),
    };
    let mut key = key;
    let mut n = 2;
    while before.iter().any(|c| c.key == key) {
        key = format!(
            "{}_{n}",
            key.trim_end_matches(|c: char| c.is_ascii_digit() || c == '_')
        );
        n += 1;
    }
    DraftColumn {
        key,
        header: header.to_owned(),
        kind,
        required,
        unique,
        matched: guess.known.map(|k| {
            (
                k.pipeline.name.clone(),
                k.key.to_owned(),
                k.header.to_owned(),
            )
        }),
        why,
        empty,
        date_orders: guess.readings.date_orders(),
        currencies: guess.readings.is_currency(),
        labelled: None,
        names_rows: empty == 0 && guess.readings.distinct && guess.readings.values > 0,
        numbers: guess.readings.numbers().1 >= 0.5,
        writing: guess.readings.writing,
    }
}

/// A key from a header: its ASCII words joined by `_`, or `column_N`.
fn slug(header: &str, index: usize) -> String {
    let words: Vec<String> = header
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let ascii = header.chars().filter(|c| c.is_ascii_alphabetic()).count();
    if words.is_empty()
        || ascii * 2 < header.chars().count()
        || words[0].starts_with(|c: char| c.is_ascii_digit())
    {
        format!("column_{}", index + 1)
    } else {
        words.join("_")
    }
}

/// Money columns name a date column (the exchange rate's year) and maybe
/// a currency column by key: the keys of the known pipeline become this
/// draft's, or the first date column, or the currency the header names.
fn resolve_references(columns: &mut [DraftColumn], chosen: &[Option<KnownColumn>]) {
    let renamed = |pipeline: &str, key: &str, columns: &[DraftColumn]| {
        columns
            .iter()
            .zip(chosen)
            .find(|(_, k)| k.is_some_and(|k| k.pipeline.name == pipeline && k.key == key))
            .map(|(c, _)| c.key.clone())
    };
    let first_date = columns
        .iter()
        .find(|c| matches!(c.kind, Kind::Date { .. }))
        .map(|c| c.key.clone());
    for i in 0..columns.len() {
        let Kind::Money {
            currency,
            date_column,
            ..
        } = &columns[i].kind
        else {
            continue;
        };
        let pipeline = columns[i]
            .matched
            .as_ref()
            .map(|(p, _, _)| p.clone())
            .unwrap_or_default();
        let date = match date_column {
            Some(key) => renamed(&pipeline, key, columns).or(first_date.clone()),
            None => first_date.clone(),
        };
        // A column of currencies beside the amount gives each row's, unless
        // the amount's header names one.
        let currency_column = columns
            .iter()
            .find(|c| c.currencies && c.key != columns[i].key)
            .map(|c| c.key.clone());
        let named = infer::header_currency(&columns[i].header);
        let currency = match (currency, named, currency_column) {
            (_, Some(code), _) => Currency::Code(code.to_owned()),
            (Currency::Column(key), None, found) => {
                match renamed(&pipeline, key, columns).or(found) {
                    Some(k) => Currency::Column(k),
                    None => Currency::Code("CNY".to_owned()),
                }
            }
            (_, None, Some(found)) => Currency::Column(found),
            (code, None, None) => code.clone(),
        };
        if let Kind::Money {
            currency: c,
            date_column: d,
            ..
        } = &mut columns[i].kind
        {
            *c = currency;
            *d = date;
        }
    }
}

/// The `files` pattern for the report.
fn pattern(path: &Path, data_dir: Option<&Path>) -> String {
    let relative = data_dir
        .and_then(|d| d.canonicalize().ok())
        .zip(path.canonicalize().ok())
        .and_then(|(dir, file)| file.strip_prefix(&dir).ok().map(Path::to_owned));
    match relative {
        Some(r) => r
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        None => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

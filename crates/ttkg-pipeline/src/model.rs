//! The shape of a pipeline file, and its structural checks.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::error::PipelineError;
use crate::template::Template;

/// The whole of `pipelines/NAME.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    pub pipeline: Meta,
    pub source: SourceSpec,
    /// Column key (used in templates and properties) to its declaration.
    pub columns: BTreeMap<Spanned<String>, ColumnSpec>,
    /// Rows to leave out, such as totals rows, each counted in the summary.
    #[serde(default, rename = "skip")]
    pub skips: Vec<SkipRule>,
    #[serde(rename = "entity")]
    pub entities: Vec<EntitySpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Defaults to the file stem.
    pub name: Option<String>,
    /// Recorded in provenance; bump it when the mapping changes meaning.
    pub version: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Glob patterns relative to the input folder, such as `reports/gx-*.xlsx`.
    pub files: Vec<String>,
    pub format: Format,
    /// Which sheet(s) of a workbook: an index (0 = first) or a name pattern (`协议*`).
    pub sheet: Option<SheetSelector>,
    /// Text encoding of CSV files (a WHATWG label such as `gb18030`); default:
    /// the byte-order mark's, else UTF-8 if the bytes are UTF-8, else guessed
    /// (the summary says which).
    pub encoding: Option<String>,
    /// CSV field separator; default: comma, semicolon, tab or bar, whichever
    /// finds the header row.
    pub delimiter: Option<char>,
    /// How many rows from the top to search for the header row.
    #[serde(default = "default_header_search_rows")]
    pub header_search_rows: usize,
    /// Keep rows that say they are totals (合计, Total, Tổng cộng, รวม …),
    /// which are otherwise left out and counted in the summary.
    #[serde(default)]
    pub keep_totals: bool,
    /// The largest share of a file's data rows (0 to 1) that may be
    /// quarantined before the whole file counts as failed: a re-sent report
    /// that lost most of its rows must not replace the good version. Default
    /// 0.5; `ttkg import --max-quarantined` overrides it. A file whose every
    /// row is quarantined always fails.
    pub max_quarantined: Option<f64>,
    /// What a declared optional column missing from a file does: `warn`
    /// (the default: the file loads and the run reports the column) or
    /// `fail` (the file fails). A missing required column always fails.
    pub on_missing: Option<OnMissing>,
}

/// The share of quarantined rows past which a file fails, unless the
/// pipeline or the command line says otherwise.
pub const DEFAULT_MAX_QUARANTINED: f64 = 0.5;

/// What happens when a declared column's header is not in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnMissing {
    /// The file loads without the column; the run reports it.
    Warn,
    /// The file fails; its previous version stays.
    Fail,
}

fn default_header_search_rows() -> usize {
    30
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
    Xls,
    Ods,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SheetSelector {
    Index(usize),
    Name(String),
}

/// One column of the report and how its values are normalised.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// Header texts that name this column, in any language; matched ignoring
    /// case, spaces and full-/half-width differences. None for a computed
    /// column.
    #[serde(default)]
    pub headers: Vec<String>,
    /// Computes this column from other columns of the row instead of reading
    /// it (`compute = { sum = ["trainees_cn", "trainees_vn"] }`); its value is
    /// then typed, checked and quarantined like a read column's.
    pub compute: Option<Compute>,
    /// A row without a value here is quarantined.
    #[serde(default)]
    pub required: bool,
    /// Each value may appear in one row only (agreement numbers): rows that
    /// share a value would describe one entity twice, so all are quarantined.
    #[serde(default)]
    pub unique: bool,
    #[serde(default, rename = "type")]
    pub kind: ColumnKind,
    /// `concept`: the SKOS scheme under https://w3id.org/ttkg/vocab/ (country, field, …).
    pub scheme: Option<String>,
    /// `money`: the ISO 4217 code when the whole column is in one currency.
    pub currency: Option<String>,
    /// `money`: a column holding the currency per row (codes or symbols).
    pub currency_column: Option<String>,
    /// `money`, `decimal`: multiply by this (10000 for 万元).
    pub multiplier: Option<f64>,
    /// `money`: the date column whose year picks the exchange rate.
    pub date_column: Option<String>,
    /// `area`: the unit the report uses.
    pub unit: Option<AreaUnit>,
    /// How numbers are written: `1,500.50` (point) or `1.500,50` (comma).
    #[serde(default)]
    pub number_style: NumberStyle,
    /// `date`: the order of day, month and year in numeric dates like 16/06/2016.
    #[serde(default)]
    pub date_order: DateOrder,
    /// `date`: the day Excel serial numbers count from, `"1900"` (Windows,
    /// the default) or `"1904"` (old Mac workbooks), for serials in CSV files.
    #[serde(default)]
    pub date_system: DateSystem,
    /// Characters that separate several values in one cell (`、；;`).
    pub split: Option<String>,
    /// Smallest accepted value of a number (`money` defaults to 0).
    pub min: Option<f64>,
    /// An empty cell takes the value of the cell above: for columns whose
    /// cells the sender merged down over several rows.
    #[serde(default)]
    pub fill_down: bool,
    /// `text`: resolve names to one entity per real-world thing with the
    /// alias table data/reference/aliases.csv (`kind,name,alias,note`).
    /// `"organisation"`: the name becomes the table's name (then 有限责任公司
    /// is written 有限公司). `"technology"`, `"event"`, `"platform"`,
    /// `"project"`: the name stays as written (the label, in the report's
    /// language) and the entity's IRI is made from the table's name, so one
    /// technology named in Chinese and in Vietnamese is one entity with both
    /// labels. Each merge is listed with its rule.
    pub resolve: Option<Resolve>,
    /// What this column's absence from a file does (overrides `[source] on_missing`).
    pub on_missing: Option<OnMissing>,
}

/// How a computed column is made from other columns of the same row.
///
/// `sum`, `difference` and `product` take the values of integer or decimal
/// columns, after their own normalisation (multipliers, number styles), and
/// give an integer or decimal column. The others take the columns' text as
/// written, and their result is then read as the column's `type` (a date,
/// a concept, …) like a cell of the report.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Compute {
    /// The sum of the columns; empty cells count as nothing, as in a
    /// spreadsheet's SUM, and the result is empty only when all are.
    Sum(Vec<String>),
    /// The first column minus the second; empty when either is.
    Difference(Vec<String>),
    /// The product of the columns; empty when any is.
    Product(Vec<String>),
    /// The texts one after the other, empty ones left out.
    Concat(Vec<String>),
    /// The first column that is not empty.
    Coalesce(Vec<String>),
    /// A text with `{column}` placeholders (`"{surname} {given_name}"`);
    /// empty when any placeholder is.
    Template(String),
    /// One column's text or another's, depending on a third.
    When(WhenSpec),
}

/// `compute = { when = { column = "unit", equals = "ha", then = "area_ha", else = "area_mu" } }`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhenSpec {
    /// The column tested.
    pub column: String,
    /// The text it is compared with (ignoring case and surrounding spaces);
    /// without it, the test is whether the column has a value.
    pub equals: Option<String>,
    /// The column taken when the test holds.
    pub then: String,
    /// The column taken otherwise (empty when not given).
    #[serde(rename = "else")]
    pub otherwise: Option<String>,
}

impl Compute {
    /// The operation's name as the pipeline writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Compute::Sum(_) => "sum",
            Compute::Difference(_) => "difference",
            Compute::Product(_) => "product",
            Compute::Concat(_) => "concat",
            Compute::Coalesce(_) => "coalesce",
            Compute::Template(_) => "template",
            Compute::When(_) => "when",
        }
    }

    /// Whether it works on numbers (after the inputs are normalised) rather
    /// than on text (before).
    pub fn is_arithmetic(&self) -> bool {
        matches!(
            self,
            Compute::Sum(_) | Compute::Difference(_) | Compute::Product(_)
        )
    }

    /// The columns it reads.
    pub fn inputs(&self) -> Vec<String> {
        match self {
            Compute::Sum(c)
            | Compute::Difference(c)
            | Compute::Product(c)
            | Compute::Concat(c)
            | Compute::Coalesce(c) => c.clone(),
            Compute::Template(t) => Template::parse(t)
                .map(|t| t.columns().map(str::to_owned).collect())
                .unwrap_or_default(),
            Compute::When(w) => [Some(&w.column), Some(&w.then), w.otherwise.as_ref()]
                .into_iter()
                .flatten()
                .cloned()
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    #[default]
    Text,
    Integer,
    Decimal,
    Date,
    /// A date with a time of day (`2016-03-12T10:30:00`); values without a
    /// time stay dates.
    DateTime,
    Money,
    Area,
    Concept,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AreaUnit {
    /// 亩: 1/15 hectare.
    Mu,
    Hectare,
    /// Thai rai: 0.16 hectare.
    Rai,
    SquareMetre,
}

impl AreaUnit {
    /// Every unit, in the order companions are listed.
    pub const ALL: [AreaUnit; 4] = [
        AreaUnit::Mu,
        AreaUnit::Hectare,
        AreaUnit::Rai,
        AreaUnit::SquareMetre,
    ];

    /// The unit's name in pipelines (`unit = "mu"`) and as a companion
    /// column (`area.mu`).
    pub fn name(self) -> &'static str {
        match self {
            AreaUnit::Mu => "mu",
            AreaUnit::Hectare => "hectare",
            AreaUnit::Rai => "rai",
            AreaUnit::SquareMetre => "squaremetre",
        }
    }

    /// Hectares per unit as an exact fraction (numerator, denominator):
    /// 1 亩 is 1/15 ha, which no decimal writes exactly.
    pub fn hectares_per_unit(self) -> (u32, u32) {
        match self {
            AreaUnit::Mu => (1, 15),
            AreaUnit::Hectare => (1, 1),
            AreaUnit::Rai => (16, 100),
            AreaUnit::SquareMetre => (1, 10_000),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AreaUnit::Mu => "亩",
            AreaUnit::Hectare => "ha",
            AreaUnit::Rai => "ไร่",
            AreaUnit::SquareMetre => "m²",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NumberStyle {
    #[default]
    Point,
    Comma,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateOrder {
    #[default]
    Ymd,
    Dmy,
    Mdy,
}

/// What a `resolve` column's names are resolved as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resolve {
    Organisation,
    Technology,
    Event,
    Platform,
    Project,
}

impl Resolve {
    /// The kind's name in the alias table's `kind` column.
    pub fn name(self) -> &'static str {
        match self {
            Resolve::Organisation => "organisation",
            Resolve::Technology => "technology",
            Resolve::Event => "event",
            Resolve::Platform => "platform",
            Resolve::Project => "project",
        }
    }
}

/// The epoch of Excel serial dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum DateSystem {
    #[default]
    #[serde(rename = "1900")]
    Excel1900,
    #[serde(rename = "1904")]
    Excel1904,
}

/// Leave out rows whose `column` matches the regular expression `matches`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkipRule {
    pub column: Spanned<String>,
    pub matches: Spanned<String>,
    /// Said in the summary, such as "totals row".
    pub reason: String,
}

/// What one row becomes: a resource with a class, an IRI and properties.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitySpec {
    pub name: Spanned<String>,
    /// Without a class the entity is only a link target (an event named in
    /// an agreement row is described by the events pipeline).
    pub class: Option<Spanned<String>>,
    /// IRI template relative to https://w3id.org/ttkg/id/.
    pub iri: Spanned<String>,
    /// A column with `split`: one entity per value in the cell.
    pub for_each: Option<Spanned<String>>,
    #[serde(default)]
    pub properties: BTreeMap<Spanned<String>, Spanned<PropertyValue>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum PropertyValue {
    /// A column key: the normalised value, typed by the column's type.
    Column(String),
    Table(PropertyTable),
    /// Several values for the same property, such as two founding organisations.
    List(Vec<PropertyValue>),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertyTable {
    pub column: Option<String>,
    pub lang: Option<String>,
    pub entity: Option<String>,
    pub iri: Option<String>,
    pub value: Option<String>,
    pub datatype: Option<String>,
}

/// A property value after validation.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertySource {
    /// A column (optionally `key.text` or `key.source`), with a language tag for text.
    Column {
        column: String,
        lang: Option<String>,
    },
    /// The IRI of another entity of the same row.
    Entity(String),
    /// A fixed IRI.
    Iri(String),
    /// A fixed literal.
    Literal {
        value: String,
        datatype: Option<String>,
        lang: Option<String>,
    },
}

impl PropertyValue {
    /// Resolves the value(s); the pipeline has been validated, so the shape is known good.
    pub fn sources(&self) -> Vec<PropertySource> {
        match self {
            PropertyValue::List(items) => items.iter().flat_map(PropertyValue::sources).collect(),
            single => vec![single.source()],
        }
    }

    fn source(&self) -> PropertySource {
        match self {
            PropertyValue::List(_) => unreachable!("lists are flattened by sources()"),
            PropertyValue::Column(c) => PropertySource::Column {
                column: c.clone(),
                lang: None,
            },
            PropertyValue::Table(t) => {
                if let Some(c) = &t.column {
                    PropertySource::Column {
                        column: c.clone(),
                        lang: t.lang.clone(),
                    }
                } else if let Some(e) = &t.entity {
                    PropertySource::Entity(e.clone())
                } else if let Some(i) = &t.iri {
                    PropertySource::Iri(expand_iri(i))
                } else {
                    PropertySource::Literal {
                        value: t.value.clone().unwrap_or_default(),
                        datatype: t.datatype.as_deref().map(expand_iri),
                        lang: t.lang.clone(),
                    }
                }
            }
        }
    }
}

/// Expands a compact IRI, a `vocab:`-relative concept (`country/CN`) or a full IRI.
fn expand_iri(value: &str) -> String {
    if let Some(rest) = value.strip_prefix("vocab:") {
        return format!("{}{rest}", ttkg_vocab::VOCAB);
    }
    if let Some(rest) = value.strip_prefix("id:") {
        return format!("{}{rest}", ttkg_vocab::ID);
    }
    ttkg_vocab::expand(value).unwrap_or_else(|| value.to_owned())
}

impl ColumnSpec {
    /// The companion columns normalisation puts next to this column's value,
    /// which properties may read as `key.NAME`: `text` (the cell as written,
    /// tidied), `source` (the figure as reported, before multipliers and
    /// conversions), one per area unit (`area.mu`, `area.hectare`, …; the
    /// value itself is in hectares), and for money the `currency`, the
    /// `year` whose rate applies, the amount in yuan (`cny`) and the `scale`
    /// the figure was written in (万 = 10000).
    pub fn companions(&self) -> Vec<&'static str> {
        let mut names = vec!["text"];
        match self.kind {
            ColumnKind::Integer | ColumnKind::Decimal => names.push("source"),
            ColumnKind::Area => {
                names.push("source");
                names.extend(AreaUnit::ALL.iter().map(|u| u.name()));
            }
            ColumnKind::Money => names.extend(["source", "currency", "year", "cny", "scale"]),
            _ => {}
        }
        names
    }

    /// Whether the column is read from the report (not computed).
    pub fn is_read(&self) -> bool {
        self.compute.is_none()
    }

    /// The multiplier as the decimal the pipeline wrote (`10000`, `0.001`):
    /// the shortest text that reads back as the same number, so scaling by it
    /// is exact decimal arithmetic.
    pub fn multiplier_text(&self) -> String {
        self.multiplier
            .map_or_else(|| "1".to_owned(), |m| format!("{m}"))
    }
}

impl PipelineSpec {
    pub fn column(&self, key: &str) -> Option<&ColumnSpec> {
        self.columns.get(key)
    }

    /// The share of quarantined data rows past which a file fails.
    pub fn max_quarantined(&self) -> f64 {
        self.source
            .max_quarantined
            .unwrap_or(DEFAULT_MAX_QUARANTINED)
    }

    /// What the absence of column `key` from a file does.
    pub fn on_missing(&self, key: &str) -> OnMissing {
        match self.columns.get(key) {
            Some(c) if c.required => OnMissing::Fail,
            Some(c) => c
                .on_missing
                .or(self.source.on_missing)
                .unwrap_or(OnMissing::Warn),
            None => OnMissing::Warn,
        }
    }

    /// The columns whose values reach the graph: named by an entity's IRI
    /// template, a property, or a `for_each`.
    pub fn mapped_columns(&self) -> BTreeSet<String> {
        let mut used = BTreeSet::new();
        for entity in &self.entities {
            if let Ok(template) = Template::parse(entity.iri.get_ref()) {
                used.extend(template.columns().map(str::to_owned));
            }
            if let Some(each) = &entity.for_each {
                used.insert(each.get_ref().clone());
            }
            for value in entity.properties.values() {
                for source in value.get_ref().sources() {
                    if let PropertySource::Column { column, .. } = source {
                        let base = column.split_once('.').map_or(column.as_str(), |(b, _)| b);
                        used.insert(base.to_owned());
                    }
                }
            }
        }
        used
    }

    /// Structural checks; returns the parsed templates (valid only when no error was pushed).
    pub(crate) fn validate(
        &self,
        path: &Path,
        text: &str,
        errors: &mut Vec<PipelineError>,
    ) -> Vec<Template> {
        let mut err = |span: Range<usize>, key: &str, message: String, expected: &str| {
            errors.push(PipelineError::at(path, text, span, key, message, expected));
        };
        if self.pipeline.version.trim().is_empty() {
            err(
                0..0,
                "pipeline.version",
                "the pipeline has an empty version".into(),
                "a version such as \"1.0\"",
            );
        }
        if let Some(share) = self.source.max_quarantined {
            if !(0.0..=1.0).contains(&share) {
                err(
                    0..0,
                    "source.max_quarantined",
                    format!("max_quarantined = {share} is not a share between 0 and 1"),
                    "a share such as 0.2 (20% of a file's rows)",
                );
            }
        }
        if self.source.files.is_empty() {
            err(
                0..0,
                "source.files",
                "no file patterns given".into(),
                "at least one glob such as \"reports/*.xlsx\"",
            );
        }
        let declared: BTreeSet<&str> = self.columns.keys().map(|k| k.get_ref().as_str()).collect();
        for (key, spec) in &self.columns {
            let span = key.span();
            let k = key.get_ref();
            if k.contains('.') || k.contains('{') || k.contains('}') {
                err(
                    span.clone(),
                    k,
                    format!("column key `{k}` contains `.`, `{{` or `}}`"),
                    "letters, digits and _",
                );
            }
            match &spec.compute {
                None if spec.headers.is_empty()
                    || spec.headers.iter().any(|h| h.trim().is_empty()) =>
                {
                    err(
                        span.clone(),
                        k,
                        format!("column `{k}` has no header text"),
                        "headers = [\"协议编号\", \"Agreement No.\"], or compute = { … } for a column made from others",
                    );
                }
                None => {}
                Some(compute) => {
                    for (problem, hint) in compute_problems(k, spec, compute, &self.columns) {
                        err(span.clone(), k, problem, &hint);
                    }
                }
            }
            let not_kind = |allowed: &[ColumnKind]| !allowed.contains(&spec.kind);
            match spec.kind {
                ColumnKind::Concept if spec.scheme.is_none() => {
                    err(span.clone(), k, format!("concept column `{k}` names no scheme"), "scheme = \"country\" (or field, province, organisation-type, agreement-type)");
                }
                ColumnKind::Money => {
                    if spec.currency.is_some() == spec.currency_column.is_some() {
                        err(span.clone(), k, format!("money column `{k}` needs exactly one of currency and currency_column"), "currency = \"CNY\" or currency_column = \"<column key>\"");
                    }
                    for (field, other) in [
                        ("currency_column", &spec.currency_column),
                        ("date_column", &spec.date_column),
                    ] {
                        if let Some(other) = other {
                            if !declared.contains(other.as_str()) {
                                err(span.clone(), k, format!("{field} `{other}` of column `{k}` is not a declared column"), "the key of another [columns] entry");
                            }
                        }
                    }
                    if let Some(code) = &spec.currency {
                        if code.len() != 3 || !code.chars().all(|c| c.is_ascii_uppercase()) {
                            err(
                                span.clone(),
                                k,
                                format!(
                                    "currency `{code}` of column `{k}` is not an ISO 4217 code"
                                ),
                                "three capital letters such as CNY, VND, THB",
                            );
                        }
                    }
                }
                ColumnKind::Area if spec.unit.is_none() => {
                    err(
                        span.clone(),
                        k,
                        format!("area column `{k}` names no unit"),
                        "unit = \"mu\", \"hectare\", \"rai\" or \"squaremetre\"",
                    );
                }
                _ => {}
            }
            if let Some(m) = spec.multiplier {
                let places = format!("{m}").split_once('.').map_or(0, |(_, f)| f.len());
                if !(m > 0.0 && m <= 1e12) || multiplier_digits(m) > 12 || places > 6 {
                    err(
                        span.clone(),
                        k,
                        format!("multiplier {m} of column `{k}` is not a positive decimal up to 10^12 with at most 12 digits and 6 decimal places"),
                        "multiplier = 10000 (万), 100000000 (亿) or 0.001",
                    );
                }
            }
            if spec.required && spec.on_missing == Some(OnMissing::Warn) {
                err(
                    span.clone(),
                    k,
                    format!("column `{k}` is required, so a file without it always fails; `on_missing = \"warn\"` cannot apply"),
                    "remove on_missing, or required = true",
                );
            }
            if spec.scheme.is_some() && not_kind(&[ColumnKind::Concept]) {
                err(
                    span.clone(),
                    k,
                    format!("`scheme` only applies to concept columns, and `{k}` is not one"),
                    "type = \"concept\"",
                );
            }
            if spec.unit.is_some() && not_kind(&[ColumnKind::Area]) {
                err(
                    span.clone(),
                    k,
                    format!("`unit` only applies to area columns, and `{k}` is not one"),
                    "type = \"area\"",
                );
            }
            if (spec.currency.is_some()
                || spec.currency_column.is_some()
                || spec.date_column.is_some())
                && not_kind(&[ColumnKind::Money])
            {
                err(
                    span.clone(),
                    k,
                    format!("currency settings only apply to money columns, and `{k}` is not one"),
                    "type = \"money\"",
                );
            }
            if spec.multiplier.is_some()
                && not_kind(&[ColumnKind::Money, ColumnKind::Decimal, ColumnKind::Integer])
            {
                err(
                    span.clone(),
                    k,
                    format!("`multiplier` only applies to numeric columns, and `{k}` is not one"),
                    "type = \"money\", \"decimal\" or \"integer\"",
                );
            }
        }
        for skip in &self.skips {
            if !declared.contains(skip.column.get_ref().as_str()) {
                err(
                    skip.column.span(),
                    skip.column.get_ref(),
                    format!(
                        "skip rule names undeclared column `{}`",
                        skip.column.get_ref()
                    ),
                    "a key of [columns]",
                );
            }
            if let Err(e) = regex::Regex::new(skip.matches.get_ref()) {
                err(
                    skip.matches.span(),
                    skip.matches.get_ref(),
                    format!(
                        "`{}` is not a valid regular expression: {e}",
                        skip.matches.get_ref()
                    ),
                    "a regular expression such as \"^(合计|小计|Total)$\"",
                );
            }
        }
        let entity_names: BTreeSet<&str> = self
            .entities
            .iter()
            .map(|e| e.name.get_ref().as_str())
            .collect();
        if entity_names.len() != self.entities.len() {
            err(
                0..0,
                "entity.name",
                "two [[entity]] blocks share a name".into(),
                "unique entity names",
            );
        }
        if self.entities.is_empty() {
            err(
                0..0,
                "entity",
                "the pipeline declares no [[entity]]".into(),
                "at least one [[entity]] with a class, an iri and properties",
            );
        }
        let column_ref_ok = |c: &str| match c.split_once('.') {
            None => declared.contains(c),
            Some((base, suffix)) => self
                .column(base)
                .is_some_and(|column| column.companions().contains(&suffix)),
        };
        let companions_of =
            |c: &str| match c.split_once('.').and_then(|(base, _)| self.column(base)) {
                Some(column) => format!(
                    "a key of [columns], or one of its companions: {}",
                    column
                        .companions()
                        .iter()
                        .map(|s| format!("{}.{s}", c.split_once('.').map_or(c, |(b, _)| b)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => "a key of [columns], optionally with a companion such as .text or .source"
                    .to_owned(),
            };
        let mut templates = Vec::new();
        for entity in &self.entities {
            let name = entity.name.get_ref();
            match Template::parse(entity.iri.get_ref()) {
                Ok(t) => {
                    for c in t.columns() {
                        if !declared.contains(c) {
                            err(
                                entity.iri.span(),
                                entity.iri.get_ref(),
                                format!(
                                    "IRI template of entity `{name}` uses undeclared column `{c}`"
                                ),
                                "a key of [columns]",
                            );
                        }
                    }
                    templates.push(t);
                }
                Err(e) => {
                    err(
                        entity.iri.span(),
                        entity.iri.get_ref(),
                        format!("bad IRI template for entity `{name}`: {e}"),
                        "text with {column} placeholders, such as \"org/{partner}\"",
                    );
                    templates.push(Template { parts: Vec::new() });
                }
            }
            if let Some(class) = &entity.class {
                if ttkg_vocab::expand(class.get_ref()).is_none() {
                    errors_push_prefix(path, text, class, &mut err);
                }
            }
            if let Some(each) = &entity.for_each {
                match self.columns.get(each.get_ref().as_str()) {
                    Some(c) if c.split.is_some() => {}
                    Some(_) => err(
                        each.span(),
                        each.get_ref(),
                        format!("for_each column `{}` has no `split`", each.get_ref()),
                        "split = \"、；;\" on that column",
                    ),
                    None => err(
                        each.span(),
                        each.get_ref(),
                        format!("for_each names undeclared column `{}`", each.get_ref()),
                        "a key of [columns]",
                    ),
                }
            }
            for (property, value) in &entity.properties {
                if ttkg_vocab::expand(property.get_ref()).is_none() {
                    errors_push_prefix(path, text, property, &mut err);
                }
                let span = value.span();
                let mut flat = Vec::new();
                flatten(value.get_ref(), &mut flat);
                for item in flat {
                    match item {
                        PropertyValue::Column(c) => {
                            if !column_ref_ok(c) {
                                err(span.clone(), c, format!("property {} of entity `{name}` reads undeclared column `{c}`", property.get_ref()), &companions_of(c));
                            }
                        }
                        PropertyValue::Table(t) => {
                            let given = [
                                t.column.is_some(),
                                t.entity.is_some(),
                                t.iri.is_some(),
                                t.value.is_some(),
                            ];
                            if given.iter().filter(|g| **g).count() != 1 {
                                err(span.clone(), property.get_ref(), format!("property {} of entity `{name}` must set exactly one of column, entity, iri, value", property.get_ref()), "{ column = \"title\", lang = \"zh\" } or { entity = \"partner\" } or { iri = \"vocab:country/CN\" } or { value = \"…\" }");
                            }
                            if let Some(c) = &t.column {
                                if !column_ref_ok(c) {
                                    err(span.clone(), c, format!("property {} of entity `{name}` reads undeclared column `{c}`", property.get_ref()), &companions_of(c));
                                }
                            }
                            if let Some(e) = &t.entity {
                                if !entity_names.contains(e.as_str()) || e == name {
                                    err(span.clone(), e, format!("property {} of entity `{name}` links to `{e}`, which is not another [[entity]] of this pipeline", property.get_ref()), "the name of another [[entity]]");
                                }
                            }
                            if t.lang.is_some() && t.column.is_none() && t.value.is_none() {
                                err(
                                    span.clone(),
                                    property.get_ref(),
                                    "`lang` only applies to text from a column or a value".into(),
                                    "{ column = \"title\", lang = \"zh\" }",
                                );
                            }
                            if t.datatype.is_some() && t.value.is_none() {
                                err(
                                    span.clone(),
                                    property.get_ref(),
                                    "`datatype` only applies to a fixed `value`".into(),
                                    "{ value = \"true\", datatype = \"xsd:boolean\" }",
                                );
                            }
                            for v in [&t.iri, &t.datatype].into_iter().flatten() {
                                let ok = v.starts_with("vocab:")
                                    || v.starts_with("id:")
                                    || ttkg_vocab::expand(v).is_some();
                                if !ok {
                                    err(
                                        span.clone(),
                                        v,
                                        format!("`{v}` is not a known compact IRI"),
                                        "prefix:name, vocab:scheme/concept, id:path or <full-iri>",
                                    );
                                }
                            }
                        }
                        PropertyValue::List(_) => unreachable!("flatten() removes lists"),
                    }
                }
            }
        }
        templates
    }
}

/// Significant digits of a multiplier as written in shortest form (`10000` has 1, `0.0125` has 3).
fn multiplier_digits(m: f64) -> usize {
    let text = format!("{m}");
    text.chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .trim_matches('0')
        .len()
}

fn flatten<'a>(value: &'a PropertyValue, out: &mut Vec<&'a PropertyValue>) {
    match value {
        PropertyValue::List(items) => items.iter().for_each(|i| flatten(i, out)),
        single => out.push(single),
    }
}

/// What is wrong with a computed column: inputs that are not read columns
/// of the pipeline, a type the operation cannot give, settings that apply to
/// read columns only. (message, what to write instead) pairs.
fn compute_problems(
    key: &str,
    column: &ColumnSpec,
    compute: &Compute,
    columns: &BTreeMap<Spanned<String>, ColumnSpec>,
) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let find = |name: &str| {
        columns
            .iter()
            .find(|(k, _)| k.get_ref() == name)
            .map(|(_, c)| c)
    };
    let op = compute.name();
    if !column.headers.is_empty() {
        problems.push((
            format!("column `{key}` is computed ({op}) and also has headers; a column is either read or computed"),
            "remove headers, or remove compute".to_owned(),
        ));
    }
    if column.fill_down
        || column.split.is_some()
        || column.multiplier.is_some()
        || column.on_missing.is_some()
    {
        problems.push((
            format!("column `{key}` is computed ({op}); fill_down, split, multiplier and on_missing apply to columns read from the report"),
            "set them on the columns it is computed from".to_owned(),
        ));
    }
    if let Compute::Template(text) = compute {
        if let Err(e) = Template::parse(text) {
            problems.push((
                format!("the template of computed column `{key}` cannot be read: {e}"),
                "a text with {column} placeholders, such as \"{surname} {given_name}\"".to_owned(),
            ));
        }
    }
    let inputs = compute.inputs();
    let wanted = match compute {
        Compute::Difference(_) => 2..=2,
        Compute::Sum(_) | Compute::Product(_) | Compute::Concat(_) | Compute::Coalesce(_) => {
            2..=usize::MAX
        }
        Compute::Template(_) | Compute::When(_) => 1..=usize::MAX,
    };
    if !wanted.contains(&inputs.len()) {
        problems.push((
            format!(
                "computed column `{key}` ({op}) names {} column(s); {op} takes {}",
                inputs.len(),
                if matches!(compute, Compute::Difference(_)) {
                    "exactly two"
                } else {
                    "two or more"
                }
            ),
            format!("{op} = [\"first\", \"second\"]"),
        ));
    }
    for input in &inputs {
        match find(input) {
            None => problems.push((
                format!("computed column `{key}` reads `{input}`, which is not a declared column"),
                "the key of another [columns] entry".to_owned(),
            )),
            Some(other) if other.compute.is_some() => problems.push((
                format!("computed column `{key}` reads `{input}`, which is computed too; compute from read columns"),
                "the key of a column read from the report".to_owned(),
            )),
            Some(other)
                if compute.is_arithmetic()
                    && !matches!(other.kind, ColumnKind::Integer | ColumnKind::Decimal) =>
            {
                problems.push((
                    format!("computed column `{key}` ({op}) reads `{input}`, which is not an integer or decimal column"),
                    format!("type = \"integer\" or \"decimal\" on `{input}`"),
                ))
            }
            Some(_) => {}
        }
    }
    if compute.is_arithmetic() && !matches!(column.kind, ColumnKind::Integer | ColumnKind::Decimal)
    {
        problems.push((
            format!("computed column `{key}` ({op}) gives a number, so its type must be integer or decimal"),
            "type = \"integer\" or type = \"decimal\"".to_owned(),
        ));
    }
    if column.kind == ColumnKind::Money {
        problems.push((
            format!("computed column `{key}` is of type money, which is read from the report only (it needs its currency and date)"),
            "compute the figure as a decimal column, or read the money column".to_owned(),
        ));
    }
    problems
}

fn errors_push_prefix(
    path: &Path,
    text: &str,
    term: &Spanned<String>,
    err: &mut impl FnMut(Range<usize>, &str, String, &str),
) {
    let e = crate::unknown_prefix(path, text, term);
    err(term.span(), term.get_ref(), e.message, &e.expected);
}

#[cfg(test)]
mod tests {
    use crate::Pipeline;
    use std::path::Path;

    const GOOD: &str = r#"
[pipeline]
version = "1"

[source]
files = ["a/*.csv"]
format = "csv"

[columns]
number = { headers = ["编号"], required = true }
partner = { headers = ["外方单位"] }
amount = { headers = ["金额（万元）"], type = "money", currency = "CNY", multiplier = 10000 }

[[entity]]
name = "agreement"
class = "ttkg:Agreement"
iri = "agreement/{number}"
[entity.properties]
"ttkg:agreementNumber" = "number"
"ttkg:amount" = "amount"
"ttkg:transferee" = { entity = "partner" }

[[entity]]
name = "partner"
class = "ttkg:Organisation"
iri = "org/{partner}"
[entity.properties]
"skos:prefLabel" = { column = "partner", lang = "zh" }
"#;

    fn parse(text: &str) -> Result<Pipeline, String> {
        Pipeline::parse(Path::new("pipelines/t.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn accepts_a_good_pipeline_and_names_it_after_the_file() {
        let p = parse(GOOD).unwrap();
        assert_eq!(p.name, "t");
        assert_eq!(p.spec.entities.len(), 2);
    }

    #[test]
    fn unknown_key_names_line_and_allowed_keys() {
        let bad = GOOD.replace("required = true", "requird = true");
        let e = parse(&bad).unwrap_err();
        assert!(e.starts_with("pipelines/t.toml:10:30:"), "{e}");
        assert!(e.contains("unknown key `requird`"), "{e}");
        assert!(e.contains("expected"), "{e}");
    }

    #[test]
    fn template_with_undeclared_column_is_an_error_with_its_line() {
        let bad = GOOD.replace("agreement/{number}", "agreement/{numbr}");
        let e = parse(&bad).unwrap_err();
        assert!(e.contains("t.toml:17:7:"), "{e}");
        assert!(e.contains("undeclared column `numbr`"), "{e}");
    }

    #[test]
    fn bad_template_link_and_prefix_are_all_reported() {
        let bad = GOOD
            .replace("org/{partner}", "org/{partner")
            .replace("entity = \"partner\"", "entity = \"nobody\"")
            .replace("ttkg:Organisation", "foaf:Organization");
        let e = parse(&bad).unwrap_err();
        assert!(e.contains("never closed"), "{e}");
        assert!(e.contains("links to `nobody`"), "{e}");
        assert!(
            e.contains("`foaf:Organization` is not a known compact IRI"),
            "{e}"
        );
    }

    #[test]
    fn unknown_terms_are_reported_against_the_ontology() {
        let p = parse(&GOOD.replace("ttkg:agreementNumber", "ttkg:agreementNo")).unwrap();
        let e = p
            .check_terms(|iri| !iri.ends_with("agreementNo"), |_| true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.toml:19:1:"), "{e}");
        assert!(
            e.contains("unknown ontology property <https://w3id.org/ttkg/ontology#agreementNo>"),
            "{e}"
        );
    }

    #[test]
    fn money_needs_a_currency() {
        let e = parse(&GOOD.replace(", currency = \"CNY\"", "")).unwrap_err();
        assert!(
            e.contains("needs exactly one of currency and currency_column"),
            "{e}"
        );
    }
}

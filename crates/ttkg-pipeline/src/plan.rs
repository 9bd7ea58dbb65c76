//! A pipeline resolved for running: built once from the declaration, with
//! IRIs expanded, column references resolved to indices and companions,
//! and entity links resolved to entities, so that the per-row work parses
//! no names and expands no IRIs. Building it is also where the declaration's
//! checks that serde cannot make (references between keys) are made.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use crate::column::{ColumnRef, ColumnSpec, ColumnType, Companion, Compute};
use crate::error::PipelineError;
use crate::model::{OnMissing, PipelineSpec, PropertyTable, PropertyValue};
use crate::template::{Template, TemplatePart};

/// What the rows of one pipeline become.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The column keys in declaration order; [`ColumnRef`]s and indices
    /// below name these.
    pub columns: Vec<String>,
    pub entities: Vec<EntityPlan>,
}

/// One `[[entity]]`, resolved.
#[derive(Debug, Clone)]
pub struct EntityPlan {
    pub name: String,
    /// The class's full IRI; none for an entity that is only a link target.
    pub class: Option<String>,
    /// The IRI template as written, for messages.
    pub template: String,
    /// The IRI after `https://w3id.org/ttkg/id/`, piece by piece.
    pub iri: Vec<IriPart>,
    /// The index of the split column that gives one entity per value.
    pub for_each: Option<usize>,
    pub properties: Vec<PropertyPlan>,
}

/// A piece of an entity's IRI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IriPart {
    Text(String),
    /// The value of the column with this index.
    Column(usize),
}

/// One property of an entity, with its full IRI and its values.
#[derive(Debug, Clone)]
pub struct PropertyPlan {
    pub predicate: String,
    pub values: Vec<ValuePlan>,
}

/// Where one value of a property comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValuePlan {
    /// A column's value (index into [`Plan::columns`]) or one of its
    /// companions, with a language tag for text.
    Column {
        column: usize,
        companion: Option<Companion>,
        lang: Option<String>,
    },
    /// The IRI(s) of another entity of the row (index into [`Plan::entities`]).
    Entity(usize),
    /// A fixed IRI, expanded.
    Iri(String),
    /// A fixed literal; the datatype expanded.
    Literal {
        value: String,
        datatype: Option<String>,
        lang: Option<String>,
    },
}

impl Plan {
    /// The keys of the columns whose values reach the graph: named by an
    /// entity's IRI, a property or a `for_each`.
    pub fn mapped_columns(&self) -> BTreeSet<&str> {
        let mut used = BTreeSet::new();
        for entity in &self.entities {
            used.extend(entity.iri.iter().filter_map(|p| match p {
                IriPart::Column(c) => Some(*c),
                IriPart::Text(_) => None,
            }));
            used.extend(entity.for_each);
            for property in &entity.properties {
                used.extend(property.values.iter().filter_map(|v| match v {
                    ValuePlan::Column { column, .. } => Some(*column),
                    _ => None,
                }));
            }
        }
        used.into_iter().map(|c| self.columns[c].as_str()).collect()
    }

    /// The column reference a [`ValuePlan::Column`] reads.
    pub fn column_ref(&self, column: usize, companion: Option<Companion>) -> ColumnRef {
        ColumnRef {
            key: self.columns[column].clone(),
            companion,
        }
    }
}

/// Problems found while building a plan, with their places in the file.
struct Problems<'a> {
    path: &'a Path,
    text: &'a str,
    errors: &'a mut Vec<PipelineError>,
}

impl Problems<'_> {
    fn push(&mut self, span: Range<usize>, key: &str, message: String, expected: &str) {
        self.errors.push(PipelineError::at(
            self.path, self.text, span, key, message, expected,
        ));
    }

    fn unknown_prefix(&mut self, term: &Spanned<String>) {
        self.errors
            .push(crate::unknown_prefix(self.path, self.text, term));
    }
}

/// Expands a compact IRI, a `vocab:`-relative concept (`country/CN`), an
/// `id:` path or a full IRI; none when the prefix is unknown.
pub fn expand_iri(value: &str) -> Option<String> {
    if let Some(rest) = value.strip_prefix("vocab:") {
        return Some(format!("{}{rest}", ttkg_vocab::VOCAB));
    }
    if let Some(rest) = value.strip_prefix("id:") {
        return Some(format!("{}{rest}", ttkg_vocab::ID));
    }
    ttkg_vocab::expand(value)
}

impl PipelineSpec {
    /// Checks what serde cannot (references between keys, values in range)
    /// and resolves the declaration into a [`Plan`] (complete only when no
    /// error was pushed).
    pub(crate) fn plan(&self, path: &Path, text: &str, errors: &mut Vec<PipelineError>) -> Plan {
        let mut problems = Problems { path, text, errors };
        self.check_source(&mut problems);
        for (key, column) in &self.columns {
            self.check_column(key, column, &mut problems);
        }
        self.check_skips(&mut problems);
        let columns: Vec<String> = self.columns.keys().map(|k| k.get_ref().clone()).collect();
        let entities = self.plan_entities(&columns, &mut problems);
        Plan { columns, entities }
    }

    fn check_source(&self, problems: &mut Problems) {
        if self.pipeline.version.trim().is_empty() {
            problems.push(
                0..0,
                "pipeline.version",
                "the pipeline has an empty version".into(),
                "a version such as \"1.0\"",
            );
        }
        if let Some(share) = self.source.max_quarantined {
            if !(0.0..=1.0).contains(&share) {
                problems.push(
                    0..0,
                    "source.max_quarantined",
                    format!("max_quarantined = {share} is not a share between 0 and 1"),
                    "a share such as 0.2 (20% of a file's rows)",
                );
            }
        }
        if self.source.files.is_empty() {
            problems.push(
                0..0,
                "source.files",
                "no file patterns given".into(),
                "at least one glob such as \"reports/*.xlsx\"",
            );
        }
        if self.entities.is_empty() {
            problems.push(
                0..0,
                "entity",
                "the pipeline declares no [[entity]]".into(),
                "at least one [[entity]] with a class, an iri and properties",
            );
        }
    }

    fn check_column(&self, key: &Spanned<String>, spec: &ColumnSpec, problems: &mut Problems) {
        let span = key.span();
        let k = key.get_ref();
        if k.contains('.') || k.contains('{') || k.contains('}') {
            problems.push(
                span.clone(),
                k,
                format!("column key `{k}` contains `.`, `{{` or `}}`"),
                "letters, digits and _",
            );
        }
        match &spec.compute {
            None if spec.headers.is_empty() || spec.headers.iter().any(|h| h.trim().is_empty()) => {
                problems.push(
                    span.clone(),
                    k,
                    format!("column `{k}` has no header text"),
                    "headers = [\"协议编号\", \"Agreement No.\"], or compute = { … } for a column made from others",
                );
            }
            None => {}
            Some(compute) => {
                for (problem, hint) in self.compute_problems(k, spec, compute) {
                    problems.push(span.clone(), k, problem, &hint);
                }
            }
        }
        if let ColumnType::Money(money) = &spec.kind {
            if money.currency.is_some() == money.currency_column.is_some() {
                problems.push(
                    span.clone(),
                    k,
                    format!("money column `{k}` needs exactly one of currency and currency_column"),
                    "currency = \"CNY\" or currency_column = \"<column key>\"",
                );
            }
            for (field, other) in [
                ("currency_column", &money.currency_column),
                ("date_column", &money.date_column),
            ] {
                if let Some(other) = other {
                    if self.column(other).is_none() {
                        problems.push(
                            span.clone(),
                            k,
                            format!("{field} `{other}` of column `{k}` is not a declared column"),
                            "the key of another [columns] entry",
                        );
                    }
                }
            }
            if let Some(code) = &money.currency {
                if code.len() != 3 || !code.chars().all(|c| c.is_ascii_uppercase()) {
                    problems.push(
                        span.clone(),
                        k,
                        format!("currency `{code}` of column `{k}` is not an ISO 4217 code"),
                        "three capital letters such as CNY, VND, THB",
                    );
                }
            }
        }
        if let Some(m) = spec.multiplier() {
            let places = format!("{m}").split_once('.').map_or(0, |(_, f)| f.len());
            if !(m > 0.0 && m <= 1e12) || multiplier_digits(m) > 12 || places > 6 {
                problems.push(
                    span.clone(),
                    k,
                    format!("multiplier {m} of column `{k}` is not a positive decimal up to 10^12 with at most 12 digits and 6 decimal places"),
                    "multiplier = 10000 (万), 100000000 (亿) or 0.001",
                );
            }
        }
        if spec.required && spec.on_missing == Some(OnMissing::Warn) {
            problems.push(
                span,
                k,
                format!("column `{k}` is required, so a file without it always fails; `on_missing = \"warn\"` cannot apply"),
                "remove on_missing, or required = true",
            );
        }
    }

    fn check_skips(&self, problems: &mut Problems) {
        for skip in &self.skips {
            let column = skip.column.get_ref();
            if self.column(column).is_none() {
                problems.push(
                    skip.column.span(),
                    column,
                    format!("skip rule names undeclared column `{column}`"),
                    "a key of [columns]",
                );
            }
            if let Err(e) = regex::Regex::new(skip.matches.get_ref()) {
                problems.push(
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
    }

    fn plan_entities(&self, columns: &[String], problems: &mut Problems) -> Vec<EntityPlan> {
        let names: Vec<&str> = self
            .entities
            .iter()
            .map(|e| e.name.get_ref().as_str())
            .collect();
        if names.iter().collect::<BTreeSet<_>>().len() != names.len() {
            problems.push(
                0..0,
                "entity.name",
                "two [[entity]] blocks share a name".into(),
                "unique entity names",
            );
        }
        let index = |key: &str| columns.iter().position(|c| c == key);
        let mut planned = Vec::new();
        for entity in &self.entities {
            let name = entity.name.get_ref();
            let iri = self.plan_iri(name, &entity.iri, &index, problems);
            let class = entity.class.as_ref().and_then(|class| {
                let iri = ttkg_vocab::expand(class.get_ref());
                if iri.is_none() {
                    problems.unknown_prefix(class);
                }
                iri
            });
            let for_each = entity.for_each.as_ref().and_then(|each| {
                let key = each.get_ref();
                let hint = match self.column(key) {
                    Some(c) if c.split().is_some() => return index(key),
                    Some(_) => (
                        format!("for_each column `{key}` has no `split`"),
                        "split = \"、；;\" on that column",
                    ),
                    None => (
                        format!("for_each names undeclared column `{key}`"),
                        "a key of [columns]",
                    ),
                };
                problems.push(each.span(), key, hint.0, hint.1);
                None
            });
            let mut properties = Vec::new();
            for (property, value) in &entity.properties {
                let predicate = ttkg_vocab::expand(property.get_ref()).unwrap_or_else(|| {
                    problems.unknown_prefix(property);
                    String::new()
                });
                let values = value
                    .get_ref()
                    .items()
                    .into_iter()
                    .filter_map(|item| {
                        self.plan_value(
                            name,
                            property.get_ref(),
                            value.span(),
                            item,
                            &names,
                            &index,
                            problems,
                        )
                    })
                    .collect();
                properties.push(PropertyPlan { predicate, values });
            }
            planned.push(EntityPlan {
                name: name.clone(),
                class,
                template: entity.iri.get_ref().clone(),
                iri,
                for_each,
                properties,
            });
        }
        planned
    }

    fn plan_iri(
        &self,
        name: &str,
        template: &Spanned<String>,
        index: &impl Fn(&str) -> Option<usize>,
        problems: &mut Problems,
    ) -> Vec<IriPart> {
        let parsed = match Template::parse(template.get_ref()) {
            Ok(t) => t,
            Err(e) => {
                problems.push(
                    template.span(),
                    template.get_ref(),
                    format!("bad IRI template for entity `{name}`: {e}"),
                    "text with {column} placeholders, such as \"org/{partner}\"",
                );
                return Vec::new();
            }
        };
        let mut parts = Vec::new();
        for part in parsed.parts {
            match part {
                TemplatePart::Text(t) => parts.push(IriPart::Text(t)),
                TemplatePart::Column(c) => match index(&c) {
                    Some(i) => parts.push(IriPart::Column(i)),
                    None => problems.push(
                        template.span(),
                        template.get_ref(),
                        format!("IRI template of entity `{name}` uses undeclared column `{c}`"),
                        "a key of [columns]",
                    ),
                },
            }
        }
        parts
    }

    #[allow(clippy::too_many_arguments)]
    fn plan_value(
        &self,
        entity: &str,
        property: &str,
        span: Range<usize>,
        value: &PropertyValue,
        entities: &[&str],
        index: &impl Fn(&str) -> Option<usize>,
        problems: &mut Problems,
    ) -> Option<ValuePlan> {
        let column = |c: &str, lang: Option<&String>, problems: &mut Problems| {
            let (key, companion) = match c.split_once('.') {
                Some((key, name)) => (key, Some(name)),
                None => (c, None),
            };
            let found = self.column(key).and_then(|spec| match companion {
                None => Some(None),
                Some(name) => spec.companion(name).map(Some),
            });
            match (found, index(key)) {
                (Some(companion), Some(column)) => Some(ValuePlan::Column {
                    column,
                    companion,
                    lang: lang.cloned(),
                }),
                _ => {
                    problems.push(
                        span.clone(),
                        c,
                        format!("property {property} of entity `{entity}` reads undeclared column `{c}`"),
                        &self.companions_hint(key),
                    );
                    None
                }
            }
        };
        let table = match value {
            PropertyValue::Column(c) => return column(c, None, problems),
            PropertyValue::Table(table) => table,
            PropertyValue::List(_) => unreachable!("items() flattens lists"),
        };
        let expand = |v: &str, problems: &mut Problems| {
            let iri = expand_iri(v);
            if iri.is_none() {
                problems.push(
                    span.clone(),
                    v,
                    format!("`{v}` is not a known compact IRI"),
                    "prefix:name, vocab:scheme/concept, id:path or <full-iri>",
                );
            }
            iri
        };
        match table {
            PropertyTable::Column { column: c, lang } => column(c, lang.as_ref(), problems),
            PropertyTable::Entity(other) => match entities.iter().position(|e| e == other) {
                Some(i) if other != entity => Some(ValuePlan::Entity(i)),
                _ => {
                    problems.push(
                        span.clone(),
                        other,
                        format!("property {property} of entity `{entity}` links to `{other}`, which is not another [[entity]] of this pipeline"),
                        "the name of another [[entity]]",
                    );
                    None
                }
            },
            PropertyTable::Iri(iri) => expand(iri, problems).map(ValuePlan::Iri),
            PropertyTable::Value {
                value,
                datatype,
                lang,
            } => {
                let datatype = match datatype {
                    Some(d) => Some(expand(d, problems)?),
                    None => None,
                };
                Some(ValuePlan::Literal {
                    value: value.clone(),
                    datatype,
                    lang: lang.clone(),
                })
            }
        }
    }

    /// What a reference to column `key` may be: the key, or one of its companions.
    fn companions_hint(&self, key: &str) -> String {
        match self.column(key) {
            Some(column) => format!(
                "a key of [columns], or one of its companions: {}",
                column
                    .companions()
                    .iter()
                    .map(|c| c.column(key))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "a key of [columns], optionally with a companion such as .text or .source"
                .to_owned(),
        }
    }

    /// What is wrong with a computed column: inputs that are not read
    /// columns of the pipeline, a type the operation cannot give. (message,
    /// what to write instead) pairs.
    fn compute_problems(
        &self,
        key: &str,
        column: &ColumnSpec,
        compute: &Compute,
    ) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let op = compute.name();
        if let Compute::Template(text) = compute {
            if let Err(e) = Template::parse(text) {
                problems.push((
                    format!("the template of computed column `{key}` cannot be read: {e}"),
                    "a text with {column} placeholders, such as \"{surname} {given_name}\""
                        .to_owned(),
                ));
            }
        }
        let inputs = compute.inputs();
        let (wanted, said) = match compute {
            Compute::Difference(_) => (2..=2, "exactly two"),
            Compute::Sum(_) | Compute::Product(_) | Compute::Concat(_) | Compute::Coalesce(_) => {
                (2..=usize::MAX, "two or more")
            }
            Compute::Template(_) | Compute::When(_) => (1..=usize::MAX, "one or more"),
        };
        if !wanted.contains(&inputs.len()) {
            problems.push((
                format!(
                    "computed column `{key}` ({op}) names {} column(s); {op} takes {said}",
                    inputs.len()
                ),
                format!("{op} = [\"first\", \"second\"]"),
            ));
        }
        let is_number =
            |c: &ColumnSpec| matches!(c.kind, ColumnType::Integer(_) | ColumnType::Decimal(_));
        for input in &inputs {
            match self.column(input) {
                None => problems.push((
                    format!("computed column `{key}` reads `{input}`, which is not a declared column"),
                    "the key of another [columns] entry".to_owned(),
                )),
                Some(other) if other.compute.is_some() => problems.push((
                    format!("computed column `{key}` reads `{input}`, which is computed too; compute from read columns"),
                    "the key of a column read from the report".to_owned(),
                )),
                Some(other) if compute.is_arithmetic() && !is_number(other) => problems.push((
                    format!("computed column `{key}` ({op}) reads `{input}`, which is not an integer or decimal column"),
                    format!("type = \"integer\" or \"decimal\" on `{input}`"),
                )),
                Some(_) => {}
            }
        }
        if compute.is_arithmetic() && !is_number(column) {
            problems.push((
                format!("computed column `{key}` ({op}) gives a number, so its type must be integer or decimal"),
                "type = \"integer\" or type = \"decimal\"".to_owned(),
            ));
        }
        if matches!(column.kind, ColumnType::Money(_)) {
            problems.push((
                format!("computed column `{key}` is of type money, which is read from the report only (it needs its currency and date)"),
                "compute the figure as a decimal column, or read the money column".to_owned(),
            ));
        }
        problems
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

//! The shape of a pipeline file, and its structural checks.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::column::ColumnSpec;

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

/// A property's value as the pipeline writes it.
#[derive(Debug, Clone)]
pub enum PropertyValue {
    /// A column key (`"title"`, `"amount.cny"`): the normalised value,
    /// typed by the column's type.
    Column(String),
    Table(PropertyTable),
    /// Several values for the same property, such as two founding organisations.
    List(Vec<PropertyValue>),
}

/// A property value written as a table: exactly one of `column`, `entity`,
/// `iri` and `value`, and the settings that apply to it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "PropertyKeys")]
pub enum PropertyTable {
    /// `{ column = "title", lang = "zh" }`
    Column {
        column: String,
        lang: Option<String>,
    },
    /// `{ entity = "partner" }`: the IRI of another entity of the same row.
    Entity(String),
    /// `{ iri = "vocab:country/CN" }`: a fixed IRI.
    Iri(String),
    /// `{ value = "true", datatype = "xsd:boolean" }`: a fixed literal.
    Value {
        value: String,
        datatype: Option<String>,
        lang: Option<String>,
    },
}

/// The keys a property value's table may have; [`PropertyTable`] is made
/// from them when they fit together.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PropertyKeys {
    column: Option<String>,
    lang: Option<String>,
    entity: Option<String>,
    iri: Option<String>,
    value: Option<String>,
    datatype: Option<String>,
}

impl TryFrom<PropertyKeys> for PropertyTable {
    type Error = String;

    fn try_from(keys: PropertyKeys) -> Result<Self, String> {
        let PropertyKeys {
            column,
            lang,
            entity,
            iri,
            value,
            datatype,
        } = keys;
        let only = |what: &str, extra: &[(&str, bool)]| {
            match extra.iter().find(|(_, given)| *given) {
            Some((key, _)) => Err(format!(
                "`{key}` does not apply to {what}; `lang` applies to a column's text or a value, `datatype` to a value"
            )),
            None => Ok(()),
        }
        };
        match (column, entity, iri, value) {
            (Some(column), None, None, None) => {
                only("a column", &[("datatype", datatype.is_some())])?;
                Ok(PropertyTable::Column { column, lang })
            }
            (None, Some(entity), None, None) => {
                only("a link to an entity", &[("lang", lang.is_some()), ("datatype", datatype.is_some())])?;
                Ok(PropertyTable::Entity(entity))
            }
            (None, None, Some(iri), None) => {
                only("a fixed IRI", &[("lang", lang.is_some()), ("datatype", datatype.is_some())])?;
                Ok(PropertyTable::Iri(iri))
            }
            (None, None, None, Some(value)) => {
                if lang.is_some() && datatype.is_some() {
                    return Err("a value has a language or a datatype, not both".into());
                }
                Ok(PropertyTable::Value { value, datatype, lang })
            }
            _ => Err("a property value's table sets exactly one of column, entity, iri, value: { column = \"title\", lang = \"zh\" }, { entity = \"partner\" }, { iri = \"vocab:country/CN\" } or { value = \"…\" }".into()),
        }
    }
}

impl<'de> Deserialize<'de> for PropertyValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        PropertyValue::from_toml(toml::Value::deserialize(deserializer)?)
            .map_err(serde::de::Error::custom)
    }
}

impl PropertyValue {
    fn from_toml(value: toml::Value) -> Result<Self, String> {
        match value {
            toml::Value::String(column) => Ok(PropertyValue::Column(column)),
            toml::Value::Array(items) => items
                .into_iter()
                .map(PropertyValue::from_toml)
                .collect::<Result<_, _>>()
                .map(PropertyValue::List),
            table @ toml::Value::Table(_) => table
                .try_into()
                .map(PropertyValue::Table)
                .map_err(|e: toml::de::Error| e.message().to_owned()),
            other => Err(format!(
                "a property value is a column key (\"title\"), a table or a list of them, not a {}",
                other.type_str()
            )),
        }
    }

    /// The single values, lists flattened.
    pub fn items(&self) -> Vec<&PropertyValue> {
        match self {
            PropertyValue::List(items) => items.iter().flat_map(PropertyValue::items).collect(),
            single => vec![single],
        }
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

    #[test]
    fn a_key_of_another_type_points_at_itself() {
        let bad = GOOD.replace(
            "currency = \"CNY\", multiplier",
            "currency = \"CNY\", unit = \"mu\", multiplier",
        );
        let e = parse(&bad).unwrap_err();
        assert!(e.starts_with("pipelines/t.toml:12:"), "{e}");
        assert!(
            e.contains("unknown key `unit` for a money column (it applies to area columns"),
            "{e}"
        );
    }

    #[test]
    fn a_property_table_with_two_sources_or_a_stray_setting_is_refused_at_its_place() {
        let e = parse(&GOOD.replace(
            "{ entity = \"partner\" }",
            "{ entity = \"partner\", column = \"partner\" }",
        ))
        .unwrap_err();
        assert!(e.contains("t.toml:21:"), "{e}");
        assert!(
            e.contains("sets exactly one of column, entity, iri, value"),
            "{e}"
        );
        let e = parse(&GOOD.replace(
            "{ entity = \"partner\" }",
            "{ entity = \"partner\", lang = \"zh\" }",
        ))
        .unwrap_err();
        assert!(
            e.contains("`lang` does not apply to a link to an entity"),
            "{e}"
        );
    }

    #[test]
    fn the_plan_resolves_columns_companions_links_and_iris() {
        use crate::{Companion, IriPart, ValuePlan};
        let p = parse(&GOOD.replace(
            "\"ttkg:amount\" = \"amount\"",
            "\"ttkg:amount\" = \"amount\"\n\"ttkg:valueCny\" = \"amount.cny\"",
        ))
        .unwrap();
        let plan = &p.plan;
        assert_eq!(plan.columns, ["amount", "number", "partner"]);
        let agreement = &plan.entities[0];
        assert_eq!(
            agreement.class.as_deref(),
            Some("https://w3id.org/ttkg/ontology#Agreement")
        );
        assert_eq!(
            agreement.iri,
            [IriPart::Text("agreement/".into()), IriPart::Column(1)]
        );
        let values: Vec<&ValuePlan> = agreement
            .properties
            .iter()
            .flat_map(|p| &p.values)
            .collect();
        assert!(values.contains(&&ValuePlan::Column {
            column: 0,
            companion: Some(Companion::Cny),
            lang: None
        }));
        assert!(values.contains(&&ValuePlan::Entity(1)));
        assert_eq!(
            plan.mapped_columns().into_iter().collect::<Vec<_>>(),
            ["amount", "number", "partner"]
        );
        let e = parse(&GOOD.replace(
            "\"ttkg:amount\" = \"amount\"",
            "\"ttkg:amount\" = \"amount.mu\"",
        ))
        .unwrap_err();
        assert!(e.contains("reads undeclared column `amount.mu`"), "{e}");
        assert!(e.contains("amount.cny, amount.scale"), "{e}");
    }
}

//! A column of a pipeline: what every column may say, and what its `type`
//! lets it say. Serde selects the settings by `type` (as vector selects a
//! component's configuration), so a key that does not apply to a kind of
//! column is refused where it is written.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::model::OnMissing;
use crate::template::Template;

/// One column of the report and how its values are normalised.
#[derive(Debug, Clone)]
pub struct ColumnSpec {
    /// Header texts that name this column, in any language; matched ignoring
    /// case, spaces and full-/half-width differences. None for a computed
    /// column.
    pub headers: Vec<String>,
    /// Computes this column from other columns of the row instead of reading
    /// it (`compute = { sum = ["trainees_cn", "trainees_vn"] }`); its value is
    /// then typed, checked and quarantined like a read column's.
    pub compute: Option<Compute>,
    /// A row without a value here is quarantined.
    pub required: bool,
    /// Each value may appear in one row only (agreement numbers): rows that
    /// share a value would describe one entity twice, so all are quarantined.
    pub unique: bool,
    /// An empty cell takes the value of the cell above: for columns whose
    /// cells the sender merged down over several rows.
    pub fill_down: bool,
    /// What this column's absence from a file does (overrides `[source] on_missing`).
    pub on_missing: Option<OnMissing>,
    /// The column's type and the settings that belong to it.
    pub kind: ColumnType,
}

/// The keys every column takes, whatever its type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommonKeys {
    #[serde(default)]
    headers: Vec<String>,
    compute: Option<Compute>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    unique: bool,
    #[serde(default)]
    fill_down: bool,
    on_missing: Option<OnMissing>,
}

/// The names of [`CommonKeys`]' fields (a test checks them against serde's).
pub const COMMON_COLUMN_KEYS: &[&str] = &[
    "headers",
    "compute",
    "required",
    "unique",
    "fill_down",
    "on_missing",
];

/// A column's type with the settings that apply to it; `type` selects the
/// variant and defaults to `text`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ColumnType {
    Text(TextColumn),
    Integer(NumberColumn),
    Decimal(NumberColumn),
    Date(DateColumn),
    /// A date with a time of day (`2016-03-12T10:30:00`); values without a
    /// time stay dates.
    DateTime(DateColumn),
    Money(MoneyColumn),
    Area(AreaColumn),
    Concept(ConceptColumn),
}

/// `type = "text"` (the default).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextColumn {
    /// Resolve names to one entity per real-world thing with the alias
    /// table data/reference/aliases.csv (`kind,name,alias,note`).
    /// `"organisation"`: the name becomes the table's name (then 有限责任公司
    /// is written 有限公司). `"technology"`, `"event"`, `"platform"`,
    /// `"project"`: the name stays as written (the label, in the report's
    /// language) and the entity's IRI is made from the table's name, so one
    /// technology named in Chinese and in Vietnamese is one entity with both
    /// labels. Each merge is listed with its rule.
    pub resolve: Option<Resolve>,
    /// Characters that separate several values in one cell (`、；;`).
    pub split: Option<String>,
}

/// `type = "integer"` or `"decimal"`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberColumn {
    /// Multiply by this (10000 for a count in 万).
    pub multiplier: Option<f64>,
    /// Smallest accepted value.
    pub min: Option<f64>,
    /// How numbers are written: `1,500.50` (point) or `1.500,50` (comma).
    #[serde(default)]
    pub number_style: NumberStyle,
}

/// `type = "date"` or `"datetime"`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateColumn {
    /// The order of day, month and year in numeric dates like 16/06/2016.
    #[serde(default)]
    pub date_order: DateOrder,
    /// The day Excel serial numbers count from, `"1900"` (Windows, the
    /// default) or `"1904"` (old Mac workbooks), for serials in CSV files.
    #[serde(default)]
    pub date_system: DateSystem,
}

/// `type = "money"`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoneyColumn {
    /// The ISO 4217 code when the whole column is in one currency.
    pub currency: Option<String>,
    /// A column holding the currency per row (codes, symbols or words).
    pub currency_column: Option<String>,
    /// Multiply by this (10000 for 万元).
    pub multiplier: Option<f64>,
    /// The date column whose year picks the exchange rate.
    pub date_column: Option<String>,
    /// Smallest accepted value (default 0).
    pub min: Option<f64>,
    /// How numbers are written: `1,500.50` (point) or `1.500,50` (comma).
    #[serde(default)]
    pub number_style: NumberStyle,
}

/// `type = "area"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaColumn {
    /// The unit the report uses.
    pub unit: AreaUnit,
    /// Smallest accepted value.
    pub min: Option<f64>,
    /// How numbers are written: `1,500.50` (point) or `1.500,50` (comma).
    #[serde(default)]
    pub number_style: NumberStyle,
}

/// `type = "concept"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConceptColumn {
    /// The SKOS scheme under https://w3id.org/ttkg/vocab/ (country, field, …).
    pub scheme: String,
    /// Characters that separate several values in one cell (`、；;`).
    pub split: Option<String>,
}

impl ColumnType {
    /// Each type's name and the keys it takes besides the common ones (a
    /// test checks them against serde's).
    pub const KEYS: &'static [(&'static str, &'static [&'static str])] = &[
        ("text", &["resolve", "split"]),
        ("integer", &["multiplier", "min", "number_style"]),
        ("decimal", &["multiplier", "min", "number_style"]),
        ("date", &["date_order", "date_system"]),
        ("datetime", &["date_order", "date_system"]),
        (
            "money",
            &[
                "currency",
                "currency_column",
                "multiplier",
                "date_column",
                "min",
                "number_style",
            ],
        ),
        ("area", &["unit", "min", "number_style"]),
        ("concept", &["scheme", "split"]),
    ];
}

impl<'de> Deserialize<'de> for ColumnSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut typed = toml::Table::deserialize(deserializer)?;
        let mut common = toml::Table::new();
        for key in COMMON_COLUMN_KEYS {
            if let Some(value) = typed.remove(*key) {
                common.insert((*key).to_owned(), value);
            }
        }
        let kind_name = match typed.get("type") {
            None => "text".to_owned(),
            Some(toml::Value::String(name)) => name.clone(),
            Some(other) => {
                return Err(D::Error::custom(format!(
                    "`type` is a {}, not a text such as \"money\"",
                    other.type_str()
                )))
            }
        };
        typed
            .entry("type")
            .or_insert_with(|| toml::Value::String(kind_name.clone()));
        if let Some(stray) = typed.keys().find(|k| {
            *k != "type" && !kind_keys(&kind_name).is_some_and(|ks| ks.contains(&k.as_str()))
        }) {
            return Err(D::Error::custom(stray_key_message(stray, &kind_name)));
        }
        if common.contains_key("compute") {
            let read_only = ["headers", "fill_down", "on_missing", "split", "multiplier"];
            let given = read_only
                .iter()
                .find(|k| common.contains_key(**k) || typed.contains_key(**k));
            if let Some(key) = given {
                return Err(D::Error::custom(format!(
                    "`{key}` applies to columns read from the report, and this column is computed: set it on the columns it is computed from, or remove compute"
                )));
            }
        }
        let shared: CommonKeys = toml::Value::Table(common)
            .try_into()
            .map_err(|e: toml::de::Error| D::Error::custom(e.message()))?;
        let kind: ColumnType = toml::Value::Table(typed)
            .try_into()
            .map_err(|e: toml::de::Error| D::Error::custom(e.message()))?;
        Ok(ColumnSpec {
            headers: shared.headers,
            compute: shared.compute,
            required: shared.required,
            unique: shared.unique,
            fill_down: shared.fill_down,
            on_missing: shared.on_missing,
            kind,
        })
    }
}

fn kind_keys(kind: &str) -> Option<&'static [&'static str]> {
    ColumnType::KEYS
        .iter()
        .find(|(name, _)| *name == kind)
        .map(|(_, keys)| *keys)
}

/// A key the column's type does not take: said as serde says an unknown
/// field (so the error names its place and the accepted keys), and, when
/// another type takes it, which.
fn stray_key_message(key: &str, kind: &str) -> String {
    let Some(own) = kind_keys(kind) else {
        // An unknown type: serde's "unknown variant" names the types.
        return format!(
            "unknown variant `{kind}`, expected one of {}",
            backticked(ColumnType::KEYS.iter().map(|(name, _)| *name))
        );
    };
    let accepted = backticked(
        COMMON_COLUMN_KEYS
            .iter()
            .chain(own)
            .copied()
            .chain(["type"]),
    );
    let owners: Vec<&str> = ColumnType::KEYS
        .iter()
        .filter(|(_, keys)| keys.contains(&key))
        .map(|(name, _)| *name)
        .collect();
    if owners.is_empty() {
        format!("unknown field `{key}`, expected one of {accepted}")
    } else {
        format!(
            "unknown field `{key}` for a {kind} column (it applies to {} columns: add type = \"{}\", or remove it), expected one of {accepted}",
            owners.join(" and "),
            owners[0]
        )
    }
}

fn backticked<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A companion column: a second value normalisation puts next to a
/// column's own, which properties read as `key.NAME`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Companion {
    /// The cell as written, tidied.
    Text,
    /// The figure as reported, before multipliers and conversions.
    Source,
    /// The area in one unit (the value itself is in hectares).
    Area(AreaUnit),
    /// Money: the ISO 4217 code.
    Currency,
    /// Money: the year whose exchange rate applies.
    Year,
    /// Money: the amount in yuan.
    Cny,
    /// Money: the unit the figure was written in (10000 for 万).
    Scale,
}

impl Companion {
    /// The companion's name after the column key (`amount.cny`).
    pub fn name(self) -> &'static str {
        match self {
            Companion::Text => "text",
            Companion::Source => "source",
            Companion::Area(unit) => unit.name(),
            Companion::Currency => "currency",
            Companion::Year => "year",
            Companion::Cny => "cny",
            Companion::Scale => "scale",
        }
    }

    /// The name of the normalised table's column that holds it.
    pub fn column(self, key: &str) -> String {
        format!("{key}.{}", self.name())
    }
}

/// A reference to a column's value or one of its companions, as a property
/// or a template names it (`amount`, `amount.cny`), resolved once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ColumnRef {
    pub key: String,
    pub companion: Option<Companion>,
}

impl ColumnRef {
    /// The name of the normalised table's column that holds it.
    pub fn frame_column(&self) -> String {
        match self.companion {
            None => self.key.clone(),
            Some(c) => c.column(&self.key),
        }
    }
}

impl ColumnSpec {
    /// The companion columns normalisation puts next to this column's value:
    /// `text` for every column; `source` for numbers; one per area unit for
    /// areas (`area.mu`, `area.hectare`, …); and for money the `currency`,
    /// the `year` whose rate applies, the amount in yuan (`cny`) and the
    /// `scale` the figure was written in.
    pub fn companions(&self) -> Vec<Companion> {
        let mut all = vec![Companion::Text];
        match self.kind {
            ColumnType::Integer(_) | ColumnType::Decimal(_) => all.push(Companion::Source),
            ColumnType::Area(_) => {
                all.push(Companion::Source);
                all.extend(AreaUnit::ALL.map(Companion::Area));
            }
            ColumnType::Money(_) => all.extend([
                Companion::Source,
                Companion::Currency,
                Companion::Year,
                Companion::Cny,
                Companion::Scale,
            ]),
            _ => {}
        }
        all
    }

    /// The companion named `name`, if this column has it.
    pub fn companion(&self, name: &str) -> Option<Companion> {
        self.companions().into_iter().find(|c| c.name() == name)
    }

    /// Whether the column is read from the report (not computed).
    pub fn is_read(&self) -> bool {
        self.compute.is_none()
    }

    /// The type without its settings.
    pub fn kind(&self) -> ColumnKind {
        match self.kind {
            ColumnType::Text(_) => ColumnKind::Text,
            ColumnType::Integer(_) => ColumnKind::Integer,
            ColumnType::Decimal(_) => ColumnKind::Decimal,
            ColumnType::Date(_) => ColumnKind::Date,
            ColumnType::DateTime(_) => ColumnKind::DateTime,
            ColumnType::Money(_) => ColumnKind::Money,
            ColumnType::Area(_) => ColumnKind::Area,
            ColumnType::Concept(_) => ColumnKind::Concept,
        }
    }

    /// How the column's numbers are written (point style for non-numbers).
    pub fn number_style(&self) -> NumberStyle {
        match &self.kind {
            ColumnType::Integer(n) | ColumnType::Decimal(n) => n.number_style,
            ColumnType::Money(m) => m.number_style,
            ColumnType::Area(a) => a.number_style,
            _ => NumberStyle::default(),
        }
    }

    /// The order of numeric dates (year first for non-dates).
    pub fn date_order(&self) -> DateOrder {
        match &self.kind {
            ColumnType::Date(d) | ColumnType::DateTime(d) => d.date_order,
            _ => DateOrder::default(),
        }
    }

    /// The epoch of Excel serial dates in the column.
    pub fn date_system(&self) -> DateSystem {
        match &self.kind {
            ColumnType::Date(d) | ColumnType::DateTime(d) => d.date_system,
            _ => DateSystem::default(),
        }
    }

    /// The multiplier of a numeric column.
    pub fn multiplier(&self) -> Option<f64> {
        match &self.kind {
            ColumnType::Integer(n) | ColumnType::Decimal(n) => n.multiplier,
            ColumnType::Money(m) => m.multiplier,
            _ => None,
        }
    }

    /// The multiplier as the decimal the pipeline wrote (`10000`, `0.001`):
    /// the shortest text that reads back as the same number, so scaling by it
    /// is exact decimal arithmetic.
    pub fn multiplier_text(&self) -> String {
        self.multiplier()
            .map_or_else(|| "1".to_owned(), |m| format!("{m}"))
    }

    /// The smallest accepted value of a number (money: 0 unless given).
    pub fn min(&self) -> Option<f64> {
        match &self.kind {
            ColumnType::Integer(n) | ColumnType::Decimal(n) => n.min,
            ColumnType::Money(m) => Some(m.min.unwrap_or(0.0)),
            ColumnType::Area(a) => a.min,
            _ => None,
        }
    }

    /// A concept column's scheme.
    pub fn scheme(&self) -> Option<&str> {
        match &self.kind {
            ColumnType::Concept(c) => Some(&c.scheme),
            _ => None,
        }
    }

    /// An area column's unit.
    pub fn unit(&self) -> Option<AreaUnit> {
        match &self.kind {
            ColumnType::Area(a) => Some(a.unit),
            _ => None,
        }
    }

    /// What a text column's names are resolved as.
    pub fn resolve(&self) -> Option<Resolve> {
        match &self.kind {
            ColumnType::Text(t) => t.resolve,
            _ => None,
        }
    }

    /// The separators of several values in one cell.
    pub fn split(&self) -> Option<&str> {
        match &self.kind {
            ColumnType::Text(t) => t.split.as_deref(),
            ColumnType::Concept(c) => c.split.as_deref(),
            _ => None,
        }
    }

    /// A money column's settings.
    pub fn money(&self) -> Option<&MoneyColumn> {
        match &self.kind {
            ColumnType::Money(m) => Some(m),
            _ => None,
        }
    }
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

/// A column's type without its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys serde says `T` accepts, asked with an unknown one.
    fn serde_keys<T: for<'de> Deserialize<'de> + std::fmt::Debug>(table: &str) -> Vec<String> {
        let message = toml::from_str::<T>(table).unwrap_err().message().to_owned();
        let list = message.split("expected one of ").nth(1).unwrap_or_else(|| {
            message
                .split("expected ")
                .nth(1)
                .unwrap_or_else(|| panic!("{message}"))
        });
        list.replace(" or ", ", ")
            .split(", ")
            .filter_map(|k| k.trim().strip_prefix('`')?.split('`').next())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_key_lists_are_serde_s() {
        assert_eq!(
            serde_keys::<CommonKeys>("zz_unknown = 1"),
            COMMON_COLUMN_KEYS
        );
        for (kind, keys) in ColumnType::KEYS {
            let mut said = serde_keys::<ColumnType>(&format!("type = \"{kind}\"\nzz_unknown = 1"));
            let mut listed = keys.to_vec();
            said.sort();
            listed.sort();
            assert_eq!(said, listed, "{kind}");
        }
    }

    fn column(text: &str) -> Result<ColumnSpec, String> {
        toml::from_str::<ColumnSpec>(text).map_err(|e| e.message().to_owned())
    }

    #[test]
    fn a_key_of_another_type_is_refused_naming_the_type_it_belongs_to() {
        let e = column("headers = [\"面积\"]\ntype = \"money\"\ncurrency = \"CNY\"\nunit = \"mu\"")
            .unwrap_err();
        assert!(
            e.starts_with("unknown field `unit` for a money column (it applies to area columns"),
            "{e}"
        );
        assert!(
            e.contains("`currency_column`") && e.contains("`headers`"),
            "{e}"
        );
        let e = column("headers = [\"x\"]\nscheme = \"country\"").unwrap_err();
        assert!(
            e.contains("for a text column (it applies to concept columns: add type = \"concept\""),
            "{e}"
        );
        let e = column("headers = [\"x\"]\nzz = 1").unwrap_err();
        assert!(
            e.starts_with("unknown field `zz`, expected one of `headers`"),
            "{e}"
        );
    }

    #[test]
    fn required_settings_of_a_type_are_serde_s_to_ask_for() {
        let e = column("headers = [\"x\"]\ntype = \"area\"").unwrap_err();
        assert!(e.contains("missing field `unit`"), "{e}");
        let e = column("headers = [\"x\"]\ntype = \"concept\"").unwrap_err();
        assert!(e.contains("missing field `scheme`"), "{e}");
        let e = column("headers = [\"x\"]\ntype = \"moneys\"").unwrap_err();
        assert!(
            e.contains("unknown variant `moneys`, expected one of `text`"),
            "{e}"
        );
    }

    #[test]
    fn a_computed_column_takes_no_reading_settings() {
        let e = column("compute = { sum = [\"a\", \"b\"] }\ntype = \"integer\"\nmultiplier = 10")
            .unwrap_err();
        assert!(
            e.starts_with("`multiplier` applies to columns read from the report"),
            "{e}"
        );
        let c = column("compute = { sum = [\"a\", \"b\"] }\ntype = \"integer\"").unwrap();
        assert_eq!(c.kind(), ColumnKind::Integer);
        assert_eq!(c.companion("source"), Some(Companion::Source));
        assert_eq!(c.companion("cny"), None);
    }

    #[test]
    fn a_column_without_a_type_is_text() {
        let c = column("headers = [\"名称\"]\nresolve = \"organisation\"").unwrap();
        assert_eq!(c.kind(), ColumnKind::Text);
        assert_eq!(c.resolve(), Some(Resolve::Organisation));
        assert_eq!(c.number_style(), NumberStyle::Point);
    }
}

//! Reference data the rules look values up in: concept labels from the
//! ontology's SKOS schemes, and yearly exchange rates.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use polars::prelude::*;

use crate::exprs::concept_key;
use crate::{null_str, NormaliseError};

/// Each value of `key` found in `from` becomes the value at the same place
/// in `to`; anything else becomes null. One hash lookup per value, in polars.
pub(crate) fn lookup(key: Expr, from: &Series, to: &Series) -> Expr {
    key.replace_strict(
        lit(from.clone()),
        lit(to.clone()),
        Some(lit(NULL).cast(to.dtype().clone())),
        Some(to.dtype().clone()),
    )
}

/// Everything the rules look up.
#[derive(Debug, Clone, Default)]
pub struct References {
    pub concepts: ConceptTable,
    pub rates: RateTable,
    pub aliases: Aliases,
}

/// The alias table, `data/reference/aliases.csv`: `kind,name,alias,note`
/// rows saying that `alias` (a name in another language, an abbreviation,
/// an old name) is written for the entity of `kind` (`organisation`,
/// `technology`, `event`, `platform`, `project`) that the graph knows as
/// `name`. Pipeline columns with `resolve = "KIND"` look their names up in
/// the kind's rows. The older `organisation-aliases.csv` (`name,alias,note`)
/// is read as organisation rows.
#[derive(Debug, Clone, Default)]
pub struct Aliases {
    tables: BTreeMap<String, NameTable>,
}

impl Aliases {
    /// Reads the alias tables that exist: `aliases.csv` (with a `kind`
    /// column) and `organisation-aliases.csv` (organisations only).
    pub fn from_files(aliases: &Path, organisations: &Path) -> Result<Self, NormaliseError> {
        let mut rows: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for (path, kind) in [(aliases, None), (organisations, Some("organisation"))] {
            if !path.exists() {
                continue;
            }
            for (k, name, alias) in read_alias_rows(path, kind)? {
                rows.entry(k).or_default().push((name, alias));
            }
        }
        let mut tables = BTreeMap::new();
        for (kind, rows) in rows {
            let table = NameTable::from_rows(&rows, kind == "organisation")?;
            tables.insert(kind, table);
        }
        Ok(Aliases { tables })
    }

    /// The table of one kind (empty when the files have no rows of it).
    pub fn of(&self, kind: &str) -> NameTable {
        self.tables.get(kind).cloned().unwrap_or_default()
    }

    /// How many aliases the tables hold, by kind.
    pub fn counts(&self) -> Vec<(String, usize)> {
        self.tables
            .iter()
            .map(|(k, t)| (k.clone(), t.len()))
            .collect()
    }
}

/// A reference table as text columns (`#` lines are comments).
fn read_reference_csv(path: &Path) -> Result<DataFrame, NormaliseError> {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .map_parse_options(|o| o.with_comment_prefix(Some("#")))
        .try_into_reader_with_file_path(Some(path.to_owned()))
        .and_then(|r| r.finish())
        .map_err(|e| NormaliseError::Reference {
            path: path.display().to_string(),
            message: e.to_string(),
        })
}

/// (kind, name, alias) rows of an alias file; `kind` given for a file with
/// no kind column.
fn read_alias_rows(
    path: &Path,
    kind: Option<&str>,
) -> Result<Vec<(String, String, String)>, NormaliseError> {
    let reference = |message: String| NormaliseError::Reference {
        path: path.display().to_string(),
        message,
    };
    let frame = read_reference_csv(path)?;
    let expected = if kind.is_some() {
        "name,alias,note"
    } else {
        "kind,name,alias,note"
    };
    let needed: &[&str] = if kind.is_some() {
        &["name", "alias"]
    } else {
        &["kind", "name", "alias"]
    };
    for column in needed {
        if frame.column(column).is_err() {
            return Err(reference(format!(
                "the table has no `{column}` column; expected the header {expected}"
            )));
        }
    }
    let text = |name: &str| -> Result<Vec<Option<String>>, NormaliseError> {
        Ok(frame
            .column(name)?
            .str()?
            .iter()
            .map(|v| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()))
            .collect())
    };
    let names = text("name")?;
    let aliases = text("alias")?;
    let kinds = match kind {
        Some(kind) => vec![Some(kind.to_owned()); names.len()],
        None => text("kind")?,
    };
    let mut rows = Vec::with_capacity(names.len());
    for (line, ((kind, name), alias)) in kinds.into_iter().zip(names).zip(aliases).enumerate() {
        let missing = if kind.is_none() { "kind" } else { "name" };
        let (Some(kind), Some(name)) = (kind, name) else {
            return Err(reference(format!(
                "row {} has no {missing}; every row needs a kind and a name",
                line + 2,
            )));
        };
        let kind = kind.to_lowercase();
        if !RESOLVE_KINDS.contains(&kind.as_str()) {
            return Err(reference(format!(
                "row {}: `{kind}` is not a kind of entity; use one of {}",
                line + 2,
                RESOLVE_KINDS.join(", ")
            )));
        }
        rows.push((kind, name.clone(), alias.unwrap_or(name)));
    }
    Ok(rows)
}

/// The kinds of entity the alias table may name (and `resolve` may say).
pub const RESOLVE_KINDS: &[&str] = &["organisation", "technology", "event", "platform", "project"];

/// One kind's aliases: each alias (and each name) by its key, to the name
/// the graph uses. Lookups go by a key that ignores case, spaces and
/// punctuation (and, for organisations, legal-form spellings).
#[derive(Debug, Clone)]
pub struct NameTable {
    organisation: bool,
    keys: Series,
    names: Series,
    /// Keys the table gives several entities for, with their names.
    ambiguous_keys: Series,
    ambiguous_names: Series,
}

impl Default for NameTable {
    fn default() -> Self {
        let empty = |name: &str| Series::new_empty(name.into(), &DataType::String);
        NameTable {
            organisation: false,
            keys: empty("key"),
            names: empty("name"),
            ambiguous_keys: empty("key"),
            ambiguous_names: empty("names"),
        }
    }
}

impl NameTable {
    /// From `(name, alias)` rows; each name is also an alias of itself.
    fn from_rows(rows: &[(String, String)], organisation: bool) -> Result<Self, NormaliseError> {
        let frame = df!(
            "name" => rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
            "alias" => rows.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(),
        )?;
        let key = |e: Expr| {
            if organisation {
                organisation_key(e)
            } else {
                concept_key(e)
            }
        };
        // Keys are computed by the same expression as the data's, so they match.
        let keyed = frame
            .lazy()
            .select([
                crate::exprs::clean_text(col("name")).alias("name"),
                key(crate::exprs::clean_text(col("alias"))).alias("alias_key"),
                key(crate::exprs::clean_text(col("name"))).alias("name_key"),
            ])
            .collect()?;
        let mut by_key: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let names = keyed.column("name")?.str()?;
        let alias_keys = keyed.column("alias_key")?.str()?;
        let name_keys = keyed.column("name_key")?.str()?;
        for ((name, alias_key), name_key) in
            names.iter().zip(alias_keys.iter()).zip(name_keys.iter())
        {
            let Some(name) = name else { continue };
            for key in [alias_key, name_key].into_iter().flatten() {
                by_key
                    .entry(key.to_owned())
                    .or_default()
                    .insert(name.to_owned());
            }
        }
        let (single, several): (Vec<_>, Vec<_>) =
            by_key.into_iter().partition(|(_, n)| n.len() == 1);
        let column = |name: &str, values: Vec<String>| Series::new(name.into(), values);
        Ok(NameTable {
            organisation,
            keys: column("key", single.iter().map(|(k, _)| k.clone()).collect()),
            names: column(
                "name",
                single
                    .iter()
                    .map(|(_, n)| n.iter().next().cloned().unwrap_or_default())
                    .collect(),
            ),
            ambiguous_keys: column("key", several.iter().map(|(k, _)| k.clone()).collect()),
            ambiguous_names: column(
                "names",
                several
                    .iter()
                    .map(|(_, n)| n.iter().cloned().collect::<Vec<_>>().join(" | "))
                    .collect(),
            ),
        })
    }

    /// The key a name is looked up by.
    pub fn key(&self, name: Expr) -> Expr {
        if self.organisation {
            organisation_key(name)
        } else {
            concept_key(name)
        }
    }

    /// The name for each key, or null.
    pub fn lookup(&self, key: Expr) -> Expr {
        lookup(key, &self.keys, &self.names)
    }

    /// For keys the table gives several entities for: their names.
    pub fn ambiguity(&self, key: Expr) -> Expr {
        lookup(key, &self.ambiguous_keys, &self.ambiguous_names)
    }

    /// How many aliases (names included) resolve to one entity.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The key organisation names are compared on: lower case, one legal-form
/// spelling (有限责任公司 → 有限公司, Company Limited → co ltd, TNHH …),
/// without spaces or punctuation.
pub fn organisation_key(name: Expr) -> Expr {
    const LEGAL_FORMS: &[(&str, &str)] = &[
        ("有限责任公司", "有限公司"),
        (r"\bcompany\s+limited\b", "co ltd"),
        (r"\blimited\b", "ltd"),
        (r"\bcompany\b", "co"),
        (r"\bcorporation\b", "corp"),
        (r"\btrách nhiệm hữu hạn\b", "tnhh"),
        (r"\bperseroan terbatas\b", "pt"),
    ];
    let lower = name.str().to_lowercase();
    let unified = LEGAL_FORMS.iter().fold(lower, |e, (from, to)| {
        e.str().replace_all(lit(*from), lit(*to), false)
    });
    crate::exprs::concept_key(unified)
}

/// Concept labels by scheme, keyed by [`concept_key`].
#[derive(Debug, Clone, Default)]
pub struct ConceptTable {
    schemes: BTreeMap<String, (Series, Series)>,
    /// Labels that name more than one concept of a scheme: (scheme, label key, concepts).
    /// They are left out of the lookup, so such a value is quarantined rather than guessed.
    pub ambiguous: Vec<(String, String, Vec<String>)>,
}

impl ConceptTable {
    /// Builds the table from (scheme name, label, concept IRI) triples, the
    /// scheme name being the last segment of its IRI (`country`, `field`).
    pub fn from_labels(labels: &[(String, String, String)]) -> Result<Self, NormaliseError> {
        let frame = df!(
            "scheme" => labels.iter().map(|l| l.0.as_str()).collect::<Vec<_>>(),
            "label" => labels.iter().map(|l| l.1.as_str()).collect::<Vec<_>>(),
            "concept" => labels.iter().map(|l| l.2.as_str()).collect::<Vec<_>>(),
        )?;
        let keyed = frame
            .lazy()
            .with_column(concept_key(crate::exprs::clean_text(col("label"))).alias("key"))
            .collect()?;
        let mut by_scheme: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
        let schemes = keyed.column("scheme")?.str()?;
        let keys = keyed.column("key")?.str()?;
        let concepts = keyed.column("concept")?.str()?;
        for ((scheme, key), concept) in schemes.iter().zip(keys.iter()).zip(concepts.iter()) {
            if let (Some(s), Some(k), Some(c)) = (scheme, key, concept) {
                if !k.is_empty() {
                    by_scheme
                        .entry(s.to_owned())
                        .or_default()
                        .entry(k.to_owned())
                        .or_default()
                        .insert(c.to_owned());
                }
            }
        }
        let mut table = ConceptTable::default();
        for (scheme, entries) in by_scheme {
            let mut keys = Vec::new();
            let mut iris = Vec::new();
            for (key, concepts) in entries {
                if concepts.len() == 1 {
                    keys.push(key);
                    iris.extend(concepts);
                } else {
                    table
                        .ambiguous
                        .push((scheme.clone(), key, concepts.into_iter().collect()));
                }
            }
            table.schemes.insert(
                scheme,
                (
                    Series::new("key".into(), keys),
                    Series::new("iri".into(), iris),
                ),
            );
        }
        Ok(table)
    }

    /// The concept IRI for each key, or null.
    pub fn lookup(&self, scheme: &str, key: Expr) -> Expr {
        match self.schemes.get(scheme) {
            Some((keys, iris)) => lookup(key, keys, iris),
            None => null_str(),
        }
    }

    /// Every key a lookup finds, with its scheme (`key`, `scheme`): for
    /// counting the values of many columns that each scheme knows with one
    /// join instead of a lookup per column and scheme.
    pub fn keys_by_scheme(&self) -> PolarsResult<DataFrame> {
        let (mut keys, mut schemes) = (Vec::new(), Vec::new());
        for (scheme, (key, _)) in &self.schemes {
            for k in key.str()?.iter().flatten() {
                keys.push(k);
                schemes.push(scheme.as_str());
            }
        }
        df!("key" => keys, "scheme" => schemes)
    }

    /// Scheme names that have labels.
    pub fn schemes(&self) -> impl Iterator<Item = &str> {
        self.schemes.keys().map(String::as_str)
    }
}

/// The ontology file a scheme's labels live in, for messages.
pub(crate) fn scheme_file(scheme: &str) -> String {
    match scheme {
        "country" => "countries.ttl".into(),
        "province" => "provinces.ttl".into(),
        "field" => "technology-fields.ttl".into(),
        other => format!("{other}s.ttl"),
    }
}

/// Yearly exchange rates: units of the yuan and of each currency per US
/// dollar, kept as the decimals the table writes so that conversions to
/// yuan are decimal arithmetic.
#[derive(Debug, Clone)]
pub struct RateTable {
    keys: Series,
    cny_per_usd: Series,
    currency_per_usd: Series,
}

impl Default for RateTable {
    fn default() -> Self {
        let empty = |name: &str| Series::new_empty(name.into(), &DataType::String);
        RateTable {
            keys: empty("key"),
            cny_per_usd: empty("cny_per_usd"),
            currency_per_usd: empty("per_usd"),
        }
    }
}

/// A rate the table may hold: positive, under a million per dollar, at
/// most six decimal places (so conversions stay exact within [`crate::DECIMAL`]).
const RATE: &str = r"^\d{1,6}(\.\d{1,6})?$";

impl RateTable {
    /// Reads `year,currency,per_usd` (units of the currency per US dollar,
    /// yearly average).
    pub fn from_csv(path: &Path) -> Result<Self, NormaliseError> {
        let reference = |message: String| NormaliseError::Reference {
            path: path.display().to_string(),
            message,
        };
        let frame = read_reference_csv(path)?;
        for needed in ["year", "currency", "per_usd"] {
            if frame.column(needed).is_err() {
                return Err(reference(format!(
                    "the table has no `{needed}` column; expected the header year,currency,per_usd"
                )));
            }
        }
        let rates = frame
            .lazy()
            .select([
                col("year").str().strip_chars(lit(NULL)).alias("year"),
                col("currency")
                    .str()
                    .strip_chars(lit(NULL))
                    .str()
                    .to_uppercase()
                    .alias("currency"),
                col("per_usd").str().strip_chars(lit(NULL)).alias("per_usd"),
            ])
            .collect()?;
        let bad = rates
            .clone()
            .lazy()
            .filter(
                col("per_usd")
                    .str()
                    .contains(lit(RATE), false)
                    .not()
                    .or(col("year").str().contains(lit(r"^\d{4}$"), false).not()),
            )
            .collect()?;
        if bad.height() > 0 {
            let year = bad.column("year")?.str()?.get(0).unwrap_or("");
            let currency = bad.column("currency")?.str()?.get(0).unwrap_or("");
            let rate = bad.column("per_usd")?.str()?.get(0).unwrap_or("");
            return Err(reference(format!(
                "the line `{year},{currency},{rate}` is not a four-digit year and a rate written as a positive decimal under 1,000,000 with at most six decimal places (such as 6.6423); correct it"
            )));
        }
        let cny = rates
            .clone()
            .lazy()
            .filter(col("currency").eq(lit("CNY")))
            .select([col("year"), col("per_usd").alias("cny_per_usd")]);
        let joined = rates
            .lazy()
            .join(
                cny,
                [col("year")],
                [col("year")],
                JoinArgs::new(JoinType::Inner),
            )
            .select([
                concat_str([col("currency"), col("year")], "|", false).alias("key"),
                col("cny_per_usd"),
                col("per_usd"),
            ])
            .collect()?;
        let series = |name: &str| -> Result<Series, NormaliseError> {
            Ok(joined.column(name)?.as_materialized_series().clone())
        };
        Ok(RateTable {
            keys: series("key")?,
            cny_per_usd: series("cny_per_usd")?,
            currency_per_usd: series("per_usd")?,
        })
    }

    /// For each `CUR|YEAR` key: (yuan per dollar, currency per dollar) as
    /// decimals, or nulls.
    pub fn lookup(&self, key: Expr) -> (Expr, Expr) {
        (
            lookup(key.clone(), &self.keys, &self.cny_per_usd).cast(crate::DECIMAL),
            lookup(key, &self.keys, &self.currency_per_usd).cast(crate::DECIMAL),
        )
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

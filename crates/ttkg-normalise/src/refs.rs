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
    pub organisations: OrganisationNames,
}

/// The alias table of organisation names: `name,alias` rows saying that
/// `alias` (an English name, an abbreviation, an old name) is written for
/// the organisation called `name`. Lookups go by [`organisation_key`], so
/// case, spaces, punctuation and legal-form spellings do not matter.
#[derive(Debug, Clone)]
pub struct OrganisationNames {
    keys: Series,
    names: Series,
    /// Keys the table gives several organisations for, with their names.
    ambiguous_keys: Series,
    ambiguous_names: Series,
}

impl Default for OrganisationNames {
    fn default() -> Self {
        let empty = |name: &str| Series::new_empty(name.into(), &DataType::String);
        OrganisationNames {
            keys: empty("key"),
            names: empty("name"),
            ambiguous_keys: empty("key"),
            ambiguous_names: empty("names"),
        }
    }
}

impl OrganisationNames {
    /// Reads `name,alias[,note]`; each name is also an alias of itself.
    pub fn from_csv(path: &Path) -> Result<Self, NormaliseError> {
        let reference = |message: String| NormaliseError::Reference {
            path: path.display().to_string(),
            message,
        };
        let frame = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .map_parse_options(|o| o.with_comment_prefix(Some("#")))
            .try_into_reader_with_file_path(Some(path.to_owned()))
            .and_then(|r| r.finish())
            .map_err(|e| reference(e.to_string()))?;
        for needed in ["name", "alias"] {
            if frame.column(needed).is_err() {
                return Err(reference(format!(
                    "the table has no `{needed}` column; expected the header name,alias,note"
                )));
            }
        }
        // Keys are computed by the same expression as the data's, so they match.
        let keyed = frame
            .lazy()
            .select([
                crate::exprs::clean_text(col("name")).alias("name"),
                organisation_key(crate::exprs::clean_text(col("alias"))).alias("alias_key"),
                organisation_key(crate::exprs::clean_text(col("name"))).alias("name_key"),
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
        Ok(OrganisationNames {
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

    /// The organisation's name for each key, or null.
    pub fn lookup(&self, key: Expr) -> Expr {
        lookup(key, &self.keys, &self.names)
    }

    /// For keys the table gives several organisations for: their names.
    pub fn ambiguity(&self, key: Expr) -> Expr {
        lookup(key, &self.ambiguous_keys, &self.ambiguous_names)
    }

    /// Pairs of names the table merges.
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
        let frame = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .map_parse_options(|o| o.with_comment_prefix(Some("#")))
            .try_into_reader_with_file_path(Some(path.to_owned()))
            .and_then(|r| r.finish())
            .map_err(|e| reference(e.to_string()))?;
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

//! The blocks of saved questions that the columnar copy answers.
//!
//! A question marks a block with a comment line `# @columnar NAME` just
//! before it. When the block's text is word for word the SPARQL of the
//! block NAME here (comments and spacing aside) and the store has a whole
//! copy, the block is answered from the copy and handed to oxigraph as a
//! `VALUES` table of the same variables: the rest of the question is
//! evaluated as written. A block whose text differs (an analyst edited it),
//! a question that names graphs or declares prefixes, a parameter used in
//! the block, or a value the copy cannot compute with exactly as SPARQL
//! does leaves the question to SPARQL alone.
//!
//! Each block computes what SPARQL would: one row per solution of its
//! joins (a fact stated by several sources counted once), sums started at
//! the integer 0 and added as XML Schema integers and decimals exactly, the
//! year read from the first four characters of the date.

use std::collections::HashMap;
use std::str::FromStr;

use oxigraph::model::{Literal, Term, Variable};
use oxsdatatypes::{Decimal, Integer};
use ttkg_vocab::public;

use super::{for_reading, Copy, Fact, Pairs};
use crate::error::GraphError;
use crate::store::KnowledgeStore;

const MARKER: &str = "# @columnar ";

/// A block's rows: one term (or none: UNDEF) per variable.
type Rows = Vec<Vec<Option<Term>>>;

struct Block {
    name: &'static str,
    sparql: &'static str,
    variables: &'static [&'static str],
    /// `None`: the copy cannot answer exactly; SPARQL will.
    answer: fn(&Copy) -> Result<Option<Rows>, GraphError>,
}

/// `agreements-by-country`: agreements, value and agreements without a
/// value per partner country and year of signing.
const COUNTRY_YEAR: &str = "{
    SELECT ?c ?year (COUNT(?a) AS ?n) (SUM(COALESCE(?cny, 0)) AS ?v) (COUNT(?a) - COUNT(?cny) AS ?w) WHERE {
      { SELECT ?a WHERE { ?a a ttkg:Agreement } }
      { SELECT ?a ?c WHERE { ?a ttkg:partnerCountry ?c } }
      OPTIONAL {
        SELECT ?a ?cny WHERE {
          { SELECT ?a ?m WHERE { ?a ttkg:amount ?m } }
          { SELECT ?m ?cny WHERE { ?m ttkg:valueCny ?cny } }
        }
      }
      OPTIONAL { SELECT ?a ?signed WHERE { ?a ttkg:signingDate ?signed } }
      BIND(xsd:integer(SUBSTR(STR(?signed), 1, 4)) AS ?year)
    }
    GROUP BY ?c ?year
  }";

/// `period-agreements`: the same per partner country (if any) and
/// signing date, for agreements with a date.
const COUNTRY_DATE: &str = "{
    SELECT ?country ?d (COUNT(?a) AS ?n) (SUM(COALESCE(?cny, 0)) AS ?v) (COUNT(?a) - COUNT(?cny) AS ?w) WHERE {
      { SELECT ?a WHERE { ?a a ttkg:Agreement } }
      { SELECT ?a ?d WHERE { ?a ttkg:signingDate ?d } }
      OPTIONAL {
        SELECT ?a ?cny WHERE {
          { SELECT ?a ?m WHERE { ?a ttkg:amount ?m } }
          { SELECT ?m ?cny WHERE { ?m ttkg:valueCny ?cny } }
        }
      }
      OPTIONAL { SELECT ?a ?country WHERE { ?a ttkg:partnerCountry ?country } }
    }
    GROUP BY ?country ?d
  }";

/// `top-organisations`: the same per organisation, in either role.
const ORGANISATION: &str = "{
    SELECT ?o (COUNT(?a) AS ?n) (SUM(COALESCE(?cny, 0)) AS ?v) (COUNT(?a) - COUNT(?cny) AS ?w) WHERE {
      {
        SELECT DISTINCT ?o ?a WHERE {
          { SELECT ?a WHERE { ?a a ttkg:Agreement } }
          { SELECT ?a ?o WHERE { { ?a ttkg:transferor ?o } UNION { ?a ttkg:transferee ?o } } }
        }
      }
      OPTIONAL {
        SELECT ?a ?cny WHERE {
          { SELECT ?a ?m WHERE { ?a ttkg:amount ?m } }
          { SELECT ?m ?cny WHERE { ?m ttkg:valueCny ?cny } }
        }
      }
    }
    GROUP BY ?o
  }";

const BLOCKS: &[Block] = &[
    Block {
        name: "country-year",
        sparql: COUNTRY_YEAR,
        variables: &["c", "year", "n", "v", "w"],
        answer: country_year,
    },
    Block {
        name: "country-date",
        sparql: COUNTRY_DATE,
        variables: &["country", "d", "n", "v", "w"],
        answer: country_date,
    },
    Block {
        name: "organisation",
        sparql: ORGANISATION,
        variables: &["o", "n", "v", "w"],
        answer: organisation,
    },
];

/// `sparql` with its marked blocks answered from `store`'s copy, or `None`
/// when no block is (see the module).
pub(crate) fn rewrite(
    store: &KnowledgeStore,
    sparql: &str,
    bindings: &[(Variable, Term)],
) -> Option<String> {
    if !sparql.contains(MARKER)
        || !store.answers_from_columns()
        || std::env::var("TTKG_COLUMNS").is_ok_and(|v| v == "off")
    {
        return None;
    }
    // What would change the blocks' meaning from outside them: other
    // graphs, other prefixes, a federated part.
    let words = without_comments(sparql).to_ascii_uppercase();
    let outside = ["GRAPH", "FROM", "PREFIX", "BASE", "SERVICE"];
    if words
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .any(|word| outside.contains(&word))
    {
        return None;
    }
    let mut copy: Option<Option<Copy>> = None;
    let mut text = sparql.to_owned();
    for (name, span) in marked_blocks(sparql).into_iter().rev() {
        let Some(block) = BLOCKS.iter().find(|b| b.name == name) else {
            continue;
        };
        let written = &sparql[span.clone()];
        let sparql_alone = |why: &str| tracing::info!(block = name, "evaluated as SPARQL: {why}");
        if normalised(written) != normalised(block.sparql) {
            sparql_alone("its text is not ttkg's, word for word");
            continue;
        }
        if bindings.iter().any(|(v, _)| mentions(written, v.as_str())) {
            sparql_alone("a parameter is bound inside it");
            continue;
        }
        let Some(copy) = copy.get_or_insert_with(|| for_reading(store)).as_ref() else {
            sparql_alone("the store has no columnar copy of its current state");
            return None;
        };
        let rows = match (block.answer)(copy) {
            Ok(Some(rows)) => rows,
            Ok(None) => {
                sparql_alone("a value the copy cannot compute exactly");
                continue;
            }
            Err(e) => {
                tracing::warn!(
                    "the columnar copy could not be read ({e}); answering with SPARQL alone"
                );
                return None;
            }
        };
        let Some(values) = values(block.variables, &rows) else {
            sparql_alone("a blank node in its answer");
            continue;
        };
        text.replace_range(span, &values);
        tracing::info!(
            block = name,
            rows = rows.len(),
            "answered from the columnar copy"
        );
    }
    (text != sparql).then_some(text)
}

/// The blocks marked in `sparql`: their names and where their text is
/// (from the `{` after the marker's line to its matching `}`).
fn marked_blocks(sparql: &str) -> Vec<(&str, std::ops::Range<usize>)> {
    let mut blocks = Vec::new();
    let mut from = 0;
    while let Some(found) = sparql[from..].find(MARKER) {
        let at = from + found;
        let line_end = sparql[at..].find('\n').map_or(sparql.len(), |n| at + n);
        let name = sparql[at + MARKER.len()..line_end].trim();
        from = line_end;
        let Some(open) = sparql[line_end..].find(|c: char| !c.is_whitespace()) else {
            break;
        };
        let start = line_end + open;
        if !sparql[start..].starts_with('{') {
            continue;
        }
        let mut depth = 0usize;
        let mut end = None;
        for (i, c) in sparql[start..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(start + i + 1);
                        break;
                    }
                }
                _ => {}
            }
        }
        if let Some(end) = end {
            blocks.push((name, start..end));
            from = end;
        }
    }
    blocks
}

/// `text` without `#` comments (a `#` after a space or at a line's start:
/// inside an IRI it follows a letter). A string holding " #" loses its end,
/// so it can never equal a block's text, which holds no string.
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| {
            let cut = line
                .char_indices()
                .find(|&(i, c)| c == '#' && (i == 0 || line[..i].ends_with(char::is_whitespace)))
                .map_or(line.len(), |(i, _)| i);
            &line[..cut]
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The words of `text` without comments, one space between them.
fn normalised(text: &str) -> String {
    without_comments(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `text` names the variable `name` (`?name` or `$name`).
fn mentions(text: &str, name: &str) -> bool {
    ['?', '$'].iter().any(|sigil| {
        let variable = format!("{sigil}{name}");
        text.match_indices(&variable).any(|(i, _)| {
            !text[i + variable.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
        })
    })
}

/// `rows` as a group holding a `VALUES` table; `None` for a blank node,
/// which `VALUES` cannot hold.
fn values(variables: &[&str], rows: &Rows) -> Option<String> {
    let mut text = String::from("{ VALUES (");
    for variable in variables {
        text.push_str(&format!(" ?{variable}"));
    }
    text.push_str(" ) {\n");
    for row in rows {
        text.push_str("  (");
        for term in row {
            match term {
                Some(Term::BlankNode(_)) => return None,
                Some(term) => text.push_str(&format!(" {term}")),
                None => text.push_str(" UNDEF"),
            }
        }
        text.push_str(" )\n");
    }
    text.push_str("} }");
    Some(text)
}

/// An XML Schema number as SPARQL's SUM adds it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Number {
    Integer(Integer),
    Decimal(Decimal),
}

impl Number {
    /// The integer 0: where SPARQL's SUM starts, and what COALESCE(?cny, 0)
    /// adds for a solution without a value.
    fn zero() -> Number {
        Number::Integer(Integer::default())
    }

    /// An `xsd:decimal` or `xsd:integer` literal in N-Triples, well formed;
    /// `None` for anything else (SPARQL's sum of it is not computed here).
    fn parse(text: &str) -> Option<Number> {
        let Ok(Term::Literal(literal)) = Term::from_str(text) else {
            return None;
        };
        match literal.datatype().as_str() {
            public::XSD_DECIMAL => Decimal::from_str(literal.value()).ok().map(Number::Decimal),
            public::XSD_INTEGER => Integer::from_str(literal.value()).ok().map(Number::Integer),
            _ => None,
        }
    }

    /// `self + other` as SPARQL adds them: integers stay integers, an
    /// integer and a decimal make a decimal; `None` past their range.
    fn add(self, other: Number) -> Option<Number> {
        Some(match (self, other) {
            (Number::Integer(a), Number::Integer(b)) => Number::Integer(a.checked_add(b)?),
            (Number::Integer(a), Number::Decimal(b)) => {
                Number::Decimal(Decimal::from(a).checked_add(b)?)
            }
            (Number::Decimal(a), Number::Integer(b)) => {
                Number::Decimal(a.checked_add(Decimal::from(b))?)
            }
            (Number::Decimal(a), Number::Decimal(b)) => Number::Decimal(a.checked_add(b)?),
        })
    }

    fn term(self) -> Term {
        match self {
            Number::Integer(n) => Literal::from(n).into(),
            Number::Decimal(n) => Literal::from(n).into(),
        }
    }
}

/// COUNT(?a), SUM(COALESCE(?cny, 0)) and COUNT(?a) - COUNT(?cny) of a
/// group, one solution at a time.
#[derive(Debug, Clone, Copy)]
struct Tally {
    rows: i64,
    valued: i64,
    sum: Number,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            rows: 0,
            valued: 0,
            sum: Number::zero(),
        }
    }

    /// Adds a solution; `None` when the sum leaves its range.
    fn add(&mut self, value: Option<Number>) -> Option<()> {
        self.rows += 1;
        if let Some(value) = value {
            self.valued += 1;
            self.sum = self.sum.add(value)?;
        } else {
            self.sum = self.sum.add(Number::zero())?;
        }
        Some(())
    }

    fn terms(&self) -> [Option<Term>; 3] {
        let integer = |n: i64| Some(Term::from(Literal::from(Integer::from(n))));
        [
            integer(self.rows),
            Some(self.sum.term()),
            integer(self.rows - self.valued),
        ]
    }
}

/// The objects of `subject` in `pairs` (sorted by subject).
fn objects(pairs: &Pairs, subject: u128) -> impl Iterator<Item = u128> + '_ {
    let start = pairs.partition_point(|&(s, _)| s < subject);
    pairs[start..]
        .iter()
        .take_while(move |&&(s, _)| s == subject)
        .map(|&(_, o)| o)
}

/// Each agreement's values in yuan, one per solution of `?a ttkg:amount
/// ?m . ?m ttkg:valueCny ?cny`, sorted by agreement; `None` when a value
/// is not a number the sum takes exactly.
fn values_by_agreement(copy: &Copy) -> Result<Option<Vec<(u128, Number)>>, GraphError> {
    let amounts = copy.pairs(Fact::Amount)?;
    let values = copy.pairs(Fact::ValueCny)?;
    let texts = copy.texts(Fact::ValueCny)?;
    let mut numbers: HashMap<u128, Number> = HashMap::new();
    let mut by_agreement = Vec::new();
    for &(agreement, amount) in &amounts {
        for value in objects(&values, amount) {
            let number = match numbers.get(&value) {
                Some(number) => *number,
                None => {
                    let Some(number) = texts.get(&value).and_then(|t| Number::parse(t)) else {
                        return Ok(None);
                    };
                    numbers.insert(value, number);
                    number
                }
            };
            by_agreement.push((agreement, number));
        }
    }
    Ok(Some(by_agreement))
}

/// The values of `agreement` in `by_agreement`, or one missing value (the
/// OPTIONAL that matched nothing).
fn optional_values(by_agreement: &[(u128, Number)], agreement: u128) -> Vec<Option<Number>> {
    let start = by_agreement.partition_point(|&(a, _)| a < agreement);
    let found: Vec<Option<Number>> = by_agreement[start..]
        .iter()
        .take_while(|&&(a, _)| a == agreement)
        .map(|&(_, n)| Some(n))
        .collect();
    if found.is_empty() {
        vec![None]
    } else {
        found
    }
}

/// The objects of `subject`, or one missing object (an OPTIONAL).
fn optional_objects(pairs: &Pairs, subject: u128) -> Vec<Option<u128>> {
    let found: Vec<Option<u128>> = objects(pairs, subject).map(Some).collect();
    if found.is_empty() {
        vec![None]
    } else {
        found
    }
}

/// The agreements: subjects of `?a a ttkg:Agreement`.
fn agreements(copy: &Copy) -> Result<Vec<u128>, GraphError> {
    Ok(copy
        .pairs(Fact::Agreement)?
        .into_iter()
        .map(|(a, _)| a)
        .collect())
}

/// The term whose text is `texts[hash]`.
fn term(texts: &HashMap<u128, String>, hash: u128) -> Option<Term> {
    Term::from_str(texts.get(&hash)?).ok()
}

/// `xsd:integer(SUBSTR(STR(?date), 1, 4))` for a literal whose first four
/// characters are digits; `None` otherwise (SPARQL's cast of anything else
/// is not computed here).
fn year(date: &Term) -> Option<Integer> {
    let Term::Literal(literal) = date else {
        return None;
    };
    let digits: String = literal.value().chars().take(4).collect();
    if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Integer::from_str(&digits).ok()
}

/// Groups to rows: the key's terms, then the tally's.
fn rows<K>(
    groups: HashMap<K, Tally>,
    key: impl Fn(&K) -> Option<Vec<Option<Term>>>,
) -> Option<Rows> {
    let mut rows = Vec::with_capacity(groups.len());
    for (k, tally) in &groups {
        let mut row = key(k)?;
        row.extend(tally.terms());
        rows.push(row);
    }
    Some(rows)
}

fn country_year(copy: &Copy) -> Result<Option<Rows>, GraphError> {
    let Some(values) = values_by_agreement(copy)? else {
        return Ok(None);
    };
    let countries = copy.pairs(Fact::PartnerCountry)?;
    let country_texts = copy.texts(Fact::PartnerCountry)?;
    let dates = copy.pairs(Fact::SigningDate)?;
    let date_texts = copy.texts(Fact::SigningDate)?;
    let mut years: HashMap<u128, Integer> = HashMap::new();
    let mut groups: HashMap<(u128, Option<Integer>), Tally> = HashMap::new();
    for agreement in agreements(copy)? {
        let values = optional_values(&values, agreement);
        let dates = optional_objects(&dates, agreement);
        for country in objects(&countries, agreement) {
            for value in &values {
                for date in &dates {
                    let year = match date {
                        None => None,
                        Some(date) => match years.get(date) {
                            Some(year) => Some(*year),
                            None => {
                                let Some(year) = term(&date_texts, *date).and_then(|d| year(&d))
                                else {
                                    return Ok(None);
                                };
                                years.insert(*date, year);
                                Some(year)
                            }
                        },
                    };
                    let tally = groups.entry((country, year)).or_insert_with(Tally::new);
                    if tally.add(*value).is_none() {
                        return Ok(None);
                    }
                }
            }
        }
    }
    Ok(rows(groups, |(country, year)| {
        Some(vec![
            Some(term(&country_texts, *country)?),
            year.map(|y| Literal::from(y).into()),
        ])
    }))
}

fn country_date(copy: &Copy) -> Result<Option<Rows>, GraphError> {
    let Some(values) = values_by_agreement(copy)? else {
        return Ok(None);
    };
    let countries = copy.pairs(Fact::PartnerCountry)?;
    let country_texts = copy.texts(Fact::PartnerCountry)?;
    let dates = copy.pairs(Fact::SigningDate)?;
    let date_texts = copy.texts(Fact::SigningDate)?;
    let mut groups: HashMap<(Option<u128>, u128), Tally> = HashMap::new();
    for agreement in agreements(copy)? {
        let values = optional_values(&values, agreement);
        let countries = optional_objects(&countries, agreement);
        for date in objects(&dates, agreement) {
            for value in &values {
                for country in &countries {
                    let tally = groups.entry((*country, date)).or_insert_with(Tally::new);
                    if tally.add(*value).is_none() {
                        return Ok(None);
                    }
                }
            }
        }
    }
    Ok(rows(groups, |(country, date)| {
        let country = match country {
            Some(country) => Some(term(&country_texts, *country)?),
            None => None,
        };
        Some(vec![country, Some(term(&date_texts, *date)?)])
    }))
}

fn organisation(copy: &Copy) -> Result<Option<Rows>, GraphError> {
    let Some(values) = values_by_agreement(copy)? else {
        return Ok(None);
    };
    let transferors = copy.pairs(Fact::Transferor)?;
    let transferees = copy.pairs(Fact::Transferee)?;
    let mut texts = copy.texts(Fact::Transferor)?;
    texts.extend(copy.texts(Fact::Transferee)?);
    let mut groups: HashMap<u128, Tally> = HashMap::new();
    for agreement in agreements(copy)? {
        // SELECT DISTINCT ?o ?a: an organisation in both roles once.
        let mut parties: Vec<u128> = objects(&transferors, agreement)
            .chain(objects(&transferees, agreement))
            .collect();
        parties.sort_unstable();
        parties.dedup();
        if parties.is_empty() {
            continue;
        }
        let values = optional_values(&values, agreement);
        for party in parties {
            let tally = groups.entry(party).or_insert_with(Tally::new);
            for value in &values {
                if tally.add(*value).is_none() {
                    return Ok(None);
                }
            }
        }
    }
    Ok(rows(groups, |party| {
        Some(vec![Some(term(&texts, *party)?)])
    }))
}

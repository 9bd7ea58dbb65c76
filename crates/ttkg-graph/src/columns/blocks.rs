//! The blocks of saved questions that the columnar copy answers.
//!
//! A question marks a block with a comment line `# @columnar NAME` just
//! before it. When the block's text is token for token the SPARQL of the
//! block NAME here (comments and spacing aside, strings and IRIs exactly)
//! and the store has a whole copy, the block is answered from the copy and
//! handed to oxigraph as a `VALUES` table of the same variables: the rest
//! of the question is evaluated as written. A block whose text differs (an
//! analyst edited it), a question that names graphs or declares prefixes, a
//! parameter used in the block, or a value the copy cannot compute with
//! exactly as SPARQL does leaves the block to SPARQL.
//!
//! Each block computes what SPARQL would: one row per solution of its
//! joins (a fact stated by several sources counted once), distinct counts
//! of distinct terms, sums started at the integer 0 and added as XML
//! Schema integers and decimals exactly, the year read from the first four
//! characters of the date.

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

/// `period-figures`: agreements per signing date (none: undated).
const AGREEMENT_DATE: &str = "{
        SELECT ?d (COUNT(?x) AS ?k) WHERE {
          { SELECT ?x WHERE { ?x a ttkg:Agreement } }
          OPTIONAL { SELECT ?x ?d WHERE { ?x ttkg:signingDate ?d } }
        }
        GROUP BY ?d
      }";

/// `period-figures`: agreements with a value, and the sum of their values,
/// per signing date (none: undated).
const VALUE_DATE: &str = "{
        SELECT ?d (COUNT(?x) AS ?k) (SUM(?value) AS ?cny) WHERE {
          { SELECT ?x WHERE { ?x a ttkg:Agreement } }
          {
            SELECT ?x ?value WHERE {
              { SELECT ?x ?m WHERE { ?x ttkg:amount ?m } }
              { SELECT ?m ?value WHERE { ?m ttkg:valueCny ?value } }
            }
          }
          OPTIONAL { SELECT ?x ?d WHERE { ?x ttkg:signingDate ?d } }
        }
        GROUP BY ?d
      }";

/// `headline-figures`: the sum of every agreement's values.
const VALUE: &str = "{
      SELECT (SUM(?cny) AS ?total) WHERE {
        { SELECT ?a WHERE { ?a a ttkg:Agreement } }
        {
          SELECT ?a ?cny WHERE {
            { SELECT ?a ?m WHERE { ?a ttkg:amount ?m } }
            { SELECT ?m ?cny WHERE { ?m ttkg:valueCny ?cny } }
          }
        }
      }
    }";

/// The joins of `technologies-to-country`'s two blocks: each agreement's
/// partner country, named technology and field ("(no field)" for none).
macro_rules! technology_joins {
    () => {
        "{ SELECT ?a ?c WHERE { ?a ttkg:partnerCountry ?c } }
        { SELECT ?a WHERE { ?a a ttkg:Agreement } }
        { SELECT ?a ?t WHERE { ?a ttkg:technology ?t } }
        { SELECT ?t WHERE { ?t a ttkg:Technology } }
        OPTIONAL { SELECT ?a ?field WHERE { ?a ttkg:technologyField ?field } }
        BIND(COALESCE(?field, \"(no field)\") AS ?f)"
    };
}

/// `technologies-to-country`: per partner country and technology field,
/// the agreements that transferred a technology and the technologies.
const FIELD_AGREEMENTS: &str = concat!(
    "{ SELECT ?c ?f (COUNT(DISTINCT ?a) AS ?agreements) (COUNT(DISTINCT ?t) AS ?technologies) WHERE {\n",
    technology_joins!(),
    "\n} GROUP BY ?c ?f }"
);

/// `technologies-to-country`: the technologies of each partner country
/// and field.
const FIELD_TECHNOLOGIES: &str = concat!(
    "{ SELECT DISTINCT ?c ?f ?t WHERE {\n",
    technology_joins!(),
    "\n} }"
);

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
    Block {
        name: "agreement-date",
        sparql: AGREEMENT_DATE,
        variables: &["d", "k"],
        answer: agreement_date,
    },
    Block {
        name: "value-date",
        sparql: VALUE_DATE,
        variables: &["d", "k", "cny"],
        answer: value_date,
    },
    Block {
        name: "value",
        sparql: VALUE,
        variables: &["total"],
        answer: value,
    },
    Block {
        name: "field-agreements",
        sparql: FIELD_AGREEMENTS,
        variables: &["c", "f", "agreements", "technologies"],
        answer: field_agreements,
    },
    Block {
        name: "field-technologies",
        sparql: FIELD_TECHNOLOGIES,
        variables: &["c", "f", "t"],
        answer: field_technologies,
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
    let outside = ["GRAPH", "FROM", "PREFIX", "BASE", "SERVICE"];
    if tokens(sparql).iter().any(|token| match token {
        Token::Code(code) => code
            .to_ascii_uppercase()
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .any(|word| outside.contains(&word)),
        Token::Quoted(_) => false,
    }) {
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
        if tokens(written) != tokens(block.sparql) {
            sparql_alone("its text is not ttkg's, token for token");
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

/// `text` as SPARQL's lexer sees it, in tokens: comments dropped, each
/// string literal and each IRI one token as written, the rest split at
/// white space. So "base" in the string "demonstration bases" is no
/// `BASE`, a `#` inside a string or an IRI starts no comment, and two
/// blocks are the same whatever their spacing and comments, but not if a
/// string in them differs by a space. A string left open runs to the end
/// (the parser rejects such a question anyway).
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, tokens: &mut Vec<Token>| {
        if !word.is_empty() {
            tokens.push(Token::Code(std::mem::take(word)));
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '#' => {
                flush(&mut word, &mut tokens);
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '"' | '\'' => {
                flush(&mut word, &mut tokens);
                let start = i;
                let long = chars[i..].starts_with(&[c, c, c]);
                i += if long { 3 } else { 1 };
                while i < chars.len() {
                    if chars[i] == '\\' {
                        i += 2;
                    } else if long && chars[i..].starts_with(&[c, c, c]) {
                        i += 3;
                        break;
                    } else if !long && chars[i] == c {
                        i += 1;
                        break;
                    } else {
                        i += 1;
                    }
                }
                let end = i.min(chars.len());
                tokens.push(Token::Quoted(chars[start..end].iter().collect()));
            }
            // An IRI reference holds no space, quote or angle bracket; a
            // `<` followed by anything else is the operator.
            '<' => match chars[i + 1..]
                .iter()
                .position(|&c| c == '>' || c.is_whitespace() || "<\"{}|^`\\".contains(c))
                .map(|n| i + 1 + n)
            {
                Some(end) if chars[end] == '>' => {
                    flush(&mut word, &mut tokens);
                    tokens.push(Token::Quoted(chars[i..=end].iter().collect()));
                    i = end + 1;
                }
                _ => {
                    word.push(c);
                    i += 1;
                }
            },
            c if c.is_whitespace() => {
                flush(&mut word, &mut tokens);
                i += 1;
            }
            _ => {
                word.push(c);
                i += 1;
            }
        }
    }
    flush(&mut word, &mut tokens);
    tokens
}

/// A token of [`tokens`].
#[derive(Debug, PartialEq, Eq)]
enum Token {
    /// Keywords, names, variables and punctuation.
    Code(String),
    /// A string literal or an IRI, as written.
    Quoted(String),
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
        [
            Some(integer(self.rows)),
            Some(self.sum.term()),
            Some(integer(self.rows - self.valued)),
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
    for &(agreement, amount) in amounts {
        for value in objects(values, amount) {
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

/// The values of `agreement` in `by_agreement` (sorted by agreement).
fn values_of(
    by_agreement: &[(u128, Number)],
    agreement: u128,
) -> impl Iterator<Item = Number> + '_ {
    let start = by_agreement.partition_point(|&(a, _)| a < agreement);
    by_agreement[start..]
        .iter()
        .take_while(move |&&(a, _)| a == agreement)
        .map(|&(_, n)| n)
}

/// The values of `agreement` in `by_agreement`, or one missing value (the
/// OPTIONAL that matched nothing).
fn optional_values(by_agreement: &[(u128, Number)], agreement: u128) -> Vec<Option<Number>> {
    let found: Vec<Option<Number>> = values_of(by_agreement, agreement).map(Some).collect();
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
        .iter()
        .map(|&(a, _)| a)
        .collect())
}

/// The term whose text is `texts[hash]`.
fn term(texts: &HashMap<u128, String>, hash: u128) -> Option<Term> {
    Term::from_str(texts.get(&hash)?).ok()
}

/// The term of an optional object: `Some(None)` for none (UNDEF), `None`
/// for a hash without text.
fn optional_term(texts: &HashMap<u128, String>, hash: Option<u128>) -> Option<Option<Term>> {
    match hash {
        Some(hash) => Some(Some(term(texts, hash)?)),
        None => Some(None),
    }
}

/// An `xsd:integer`, as SPARQL's COUNT gives it.
fn integer(n: i64) -> Term {
    Literal::from(Integer::from(n)).into()
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
        let dates = optional_objects(dates, agreement);
        for country in objects(countries, agreement) {
            for value in &values {
                for date in &dates {
                    let year = match date {
                        None => None,
                        Some(date) => match years.get(date) {
                            Some(year) => Some(*year),
                            None => {
                                let Some(year) = term(date_texts, *date).and_then(|d| year(&d))
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
            Some(term(country_texts, *country)?),
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
        let countries = optional_objects(countries, agreement);
        for date in objects(dates, agreement) {
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
        Some(vec![
            optional_term(country_texts, *country)?,
            Some(term(date_texts, *date)?),
        ])
    }))
}

fn organisation(copy: &Copy) -> Result<Option<Rows>, GraphError> {
    let Some(values) = values_by_agreement(copy)? else {
        return Ok(None);
    };
    let transferors = copy.pairs(Fact::Transferor)?;
    let transferees = copy.pairs(Fact::Transferee)?;
    let (transferor_texts, transferee_texts) =
        (copy.texts(Fact::Transferor)?, copy.texts(Fact::Transferee)?);
    let mut groups: HashMap<u128, Tally> = HashMap::new();
    for agreement in agreements(copy)? {
        // SELECT DISTINCT ?o ?a: an organisation in both roles once.
        let mut parties: Vec<u128> = objects(transferors, agreement)
            .chain(objects(transferees, agreement))
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
        // A hash's text is the same in either role.
        let party = term(transferor_texts, *party).or_else(|| term(transferee_texts, *party));
        Some(vec![Some(party?)])
    }))
}

fn agreement_date(copy: &Copy) -> Result<Option<Rows>, GraphError> {
    let dates = copy.pairs(Fact::SigningDate)?;
    let date_texts = copy.texts(Fact::SigningDate)?;
    let mut groups: HashMap<Option<u128>, i64> = HashMap::new();
    for agreement in agreements(copy)? {
        for date in optional_objects(dates, agreement) {
            *groups.entry(date).or_default() += 1;
        }
    }
    let mut rows = Vec::with_capacity(groups.len());
    for (date, count) in groups {
        let Some(date) = optional_term(date_texts, date) else {
            return Ok(None);
        };
        rows.push(vec![date, Some(integer(count))]);
    }
    Ok(Some(rows))
}

fn value_date(copy: &Copy) -> Result<Option<Rows>, GraphError> {
    let Some(values) = values_by_agreement(copy)? else {
        return Ok(None);
    };
    let dates = copy.pairs(Fact::SigningDate)?;
    let date_texts = copy.texts(Fact::SigningDate)?;
    // COUNT(?x) and SUM(?value): every solution has a value.
    let mut groups: HashMap<Option<u128>, (i64, Number)> = HashMap::new();
    for agreement in agreements(copy)? {
        for value in values_of(&values, agreement) {
            for date in optional_objects(dates, agreement) {
                let (count, sum) = groups.entry(date).or_insert((0, Number::zero()));
                *count += 1;
                let Some(added) = sum.add(value) else {
                    return Ok(None);
                };
                *sum = added;
            }
        }
    }
    let mut rows = Vec::with_capacity(groups.len());
    for (date, (count, sum)) in groups {
        let Some(date) = optional_term(date_texts, date) else {
            return Ok(None);
        };
        rows.push(vec![date, Some(integer(count)), Some(sum.term())]);
    }
    Ok(Some(rows))
}

fn value(copy: &Copy) -> Result<Option<Rows>, GraphError> {
    let Some(values) = values_by_agreement(copy)? else {
        return Ok(None);
    };
    let agreements = agreements(copy)?;
    // SUM over no solution is the integer 0, as SPARQL's.
    let mut total = Number::zero();
    for &(agreement, value) in &values {
        if agreements.binary_search(&agreement).is_ok() {
            let Some(added) = total.add(value) else {
                return Ok(None);
            };
            total = added;
        }
    }
    Ok(Some(vec![vec![Some(total.term())]]))
}

/// What an agreement without a technology field is counted under.
const NO_FIELD: &str = "(no field)";

/// The solutions of `technologies-to-country`'s joins, one per partner
/// country, field (or [`NO_FIELD`]) and named technology of each
/// agreement, handed to `each` as (country, field, agreement, technology).
fn country_field_technologies(
    copy: &Copy,
    mut each: impl FnMut(u128, Option<u128>, u128, u128),
) -> Result<(), GraphError> {
    let countries = copy.pairs(Fact::PartnerCountry)?;
    let technologies = copy.pairs(Fact::Technology)?;
    let fields = copy.pairs(Fact::TechnologyField)?;
    let typed: Vec<u128> = copy
        .pairs(Fact::TechnologyType)?
        .iter()
        .map(|&(t, _)| t)
        .collect();
    for agreement in agreements(copy)? {
        let named: Vec<u128> = objects(technologies, agreement)
            .filter(|t| typed.binary_search(t).is_ok())
            .collect();
        if named.is_empty() {
            continue;
        }
        let fields = optional_objects(fields, agreement);
        for country in objects(countries, agreement) {
            for field in &fields {
                for technology in &named {
                    each(country, *field, agreement, *technology);
                }
            }
        }
    }
    Ok(())
}

/// The terms of a (country, field) key; `None` for a term without text.
fn country_field_terms(
    country_texts: &HashMap<u128, String>,
    field_texts: &HashMap<u128, String>,
    (country, field): (u128, Option<u128>),
) -> Option<[Option<Term>; 2]> {
    let field = match field {
        Some(field) => term(field_texts, field)?,
        None => Literal::new_simple_literal(NO_FIELD).into(),
    };
    Some([Some(term(country_texts, country)?), Some(field)])
}

fn field_agreements(copy: &Copy) -> Result<Option<Rows>, GraphError> {
    // COUNT(DISTINCT ?a) and COUNT(DISTINCT ?t) per country and field.
    type Distinct = (Vec<u128>, Vec<u128>);
    let mut groups: HashMap<(u128, Option<u128>), Distinct> = HashMap::new();
    country_field_technologies(copy, |country, field, agreement, technology| {
        let (agreements, technologies) = groups.entry((country, field)).or_default();
        // Agreements come in order, each with all its solutions at once.
        if agreements.last() != Some(&agreement) {
            agreements.push(agreement);
        }
        technologies.push(technology);
    })?;
    let country_texts = copy.texts(Fact::PartnerCountry)?;
    let field_texts = copy.texts(Fact::TechnologyField)?;
    let mut rows = Vec::with_capacity(groups.len());
    for (key, (agreements, mut technologies)) in groups {
        technologies.sort_unstable();
        technologies.dedup();
        let Some(terms) = country_field_terms(country_texts, field_texts, key) else {
            return Ok(None);
        };
        let count = |n: usize| Some(integer(n as i64));
        let mut row = terms.to_vec();
        row.extend([count(agreements.len()), count(technologies.len())]);
        rows.push(row);
    }
    Ok(Some(rows))
}

fn field_technologies(copy: &Copy) -> Result<Option<Rows>, GraphError> {
    // SELECT DISTINCT ?c ?f ?t.
    let mut distinct: Vec<(u128, Option<u128>, u128)> = Vec::new();
    country_field_technologies(copy, |country, field, _, technology| {
        distinct.push((country, field, technology));
    })?;
    distinct.sort_unstable();
    distinct.dedup();
    let country_texts = copy.texts(Fact::PartnerCountry)?;
    let field_texts = copy.texts(Fact::TechnologyField)?;
    let technology_texts = copy.texts(Fact::Technology)?;
    let mut rows = Vec::with_capacity(distinct.len());
    for (country, field, technology) in distinct {
        let (Some(terms), Some(technology)) = (
            country_field_terms(country_texts, field_texts, (country, field)),
            term(technology_texts, technology),
        ) else {
            return Ok(None);
        };
        let mut row = terms.to_vec();
        row.push(Some(technology));
        rows.push(row);
    }
    Ok(Some(rows))
}

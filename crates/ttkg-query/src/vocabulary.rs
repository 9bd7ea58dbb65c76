//! The ontology as the store holds it (its ontology graph): the classes and
//! properties a question may name, and the concepts a parameter may take.
//! Used to warn about a `ttkg:` term the ontology does not define (an empty
//! answer with no reason is worse than a warning) and to check parameters.

use std::collections::BTreeMap;

use ttkg_graph::store::term_text;
use ttkg_graph::Queryable;
use ttkg_vocab::{ONTOLOGY_GRAPH, TTKG, VOCAB};

use crate::QueryError;

/// A concept of a scheme, with every name it is known by.
#[derive(Debug, Clone, PartialEq)]
pub struct Concept {
    pub iri: String,
    /// Its ISO code, when it has one (countries).
    pub code: Option<String>,
    /// Preferred and alternative labels, in every language.
    pub labels: Vec<String>,
    /// The preferred labels in Chinese and English, for lists.
    pub zh: Option<String>,
    pub en: Option<String>,
}

impl Concept {
    /// `TH 泰国 / Thailand`: a code and its Chinese and English names (or
    /// the first two others), for lists.
    pub fn shown(&self) -> String {
        let mut labels: Vec<&str> = [&self.zh, &self.en]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if labels.is_empty() {
            labels = self.labels.iter().map(String::as_str).take(2).collect();
        }
        match &self.code {
            Some(code) => format!("{code} {}", labels.join(" / ")),
            None => labels.join(" / "),
        }
    }
}

/// What the ontology graph declares.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    /// Class IRI to its English label, if any.
    pub classes: BTreeMap<String, Option<String>>,
    /// Property IRI to its English label, if any.
    pub properties: BTreeMap<String, Option<String>>,
    /// Scheme name (`country`) to its concepts.
    pub schemes: BTreeMap<String, Vec<Concept>>,
}

impl Vocabulary {
    /// The distinct values of `property` in the store, sorted, at most
    /// `limit` (one more tells the caller the list was cut): what a saved
    /// question's `# @choices` offers as the analyst types.
    pub fn values_of(
        store: &dyn Queryable,
        property: &str,
        limit: usize,
    ) -> Result<Vec<String>, QueryError> {
        let property = ttkg_graph::oxigraph::model::NamedNode::new(property)
            .map_err(|e| QueryError::Evaluation(format!("`{property}` is not an IRI: {e}")))?;
        Ok(store
            .select_terms(&format!(
                "SELECT DISTINCT ?v WHERE {{ ?s {property} ?v }} ORDER BY ?v LIMIT {}",
                limit + 1
            ))
            .map_err(QueryError::from)?
            .into_iter()
            .filter_map(|row| row.first().cloned().flatten().map(|t| term_text(&t)))
            .collect())
    }

    /// The years and months anything in `store` is dated in (agreements,
    /// memberships, projects, events, courses), newest first: what a
    /// `period` parameter is offered.
    pub fn periods_with_data(store: &dyn Queryable) -> Result<Vec<crate::Period>, QueryError> {
        let rows = store
            .select_terms(
                "SELECT DISTINCT ?p WHERE {
                   { ?s ttkg:signingDate|ttkg:joinedOn|ttkg:startDate ?d . BIND(SUBSTR(STR(?d), 1, 4) AS ?p) }
                   UNION
                   { ?s ttkg:signingDate|ttkg:joinedOn|ttkg:startDate ?d . FILTER(STRLEN(STR(?d)) >= 7)
                     BIND(SUBSTR(STR(?d), 1, 7) AS ?p) }
                 }",
            )
            .map_err(QueryError::from)?;
        let mut periods: Vec<crate::Period> = rows
            .iter()
            .filter_map(|row| row.first().cloned().flatten())
            .filter_map(|t| crate::Period::parse(&term_text(&t)))
            .collect();
        // Newest year first, each year before its months, newest month first.
        periods.sort_by_key(|p| match *p {
            crate::Period::Year(y) => (std::cmp::Reverse(y), 0, std::cmp::Reverse(0)),
            crate::Period::Month(y, m) => (std::cmp::Reverse(y), 1, std::cmp::Reverse(m)),
        });
        Ok(periods)
    }

    /// Reads the ontology graph of `store` (empty before the first import),
    /// the local store or a remote one.
    pub fn load(store: &dyn Queryable) -> Result<Self, QueryError> {
        let rows = |sparql: String| -> Result<Vec<Vec<Option<String>>>, QueryError> {
            Ok(store
                .select_terms(&sparql)
                .map_err(QueryError::from)?
                .into_iter()
                .map(|row| row.iter().map(|t| t.as_ref().map(term_text)).collect())
                .collect())
        };
        let mut vocabulary = Vocabulary::default();
        for row in rows(format!(
            "SELECT ?t ?kind (SAMPLE(?l) AS ?label) WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{
               ?t a ?kind . FILTER(?kind IN (owl:Class, owl:ObjectProperty, owl:DatatypeProperty, owl:AnnotationProperty))
               OPTIONAL {{ ?t rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), \"en\")) }} }} }} GROUP BY ?t ?kind"
        ))? {
            let (Some(term), Some(kind)) = (&row[0], &row[1]) else {
                continue;
            };
            let label = row[2].clone();
            if kind.ends_with("#Class") {
                vocabulary.classes.insert(term.clone(), label);
            } else {
                vocabulary.properties.insert(term.clone(), label);
            }
        }
        for row in rows(format!(
            "SELECT ?c ?scheme ?code ?label ?zh ?en WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{
               ?c skos:inScheme ?scheme .
               OPTIONAL {{ ?c ttkg:isoCode ?code }}
               OPTIONAL {{ ?c skos:prefLabel|skos:altLabel|skos:notation ?label }}
               OPTIONAL {{ ?c skos:prefLabel ?zh FILTER(LANGMATCHES(LANG(?zh), \"zh\")) }}
               OPTIONAL {{ ?c skos:prefLabel ?en FILTER(LANGMATCHES(LANG(?en), \"en\")) }} }} }}
             ORDER BY ?c"
        ))? {
            let (Some(iri), Some(scheme)) = (&row[0], &row[1]) else {
                continue;
            };
            let Some(name) = scheme.strip_prefix(VOCAB) else {
                continue;
            };
            let concepts = vocabulary.schemes.entry(name.to_owned()).or_default();
            if concepts.last().is_none_or(|c| &c.iri != iri) {
                concepts.push(Concept {
                    iri: iri.clone(),
                    code: row[2].clone(),
                    labels: Vec::new(),
                    zh: row[4].clone(),
                    en: row[5].clone(),
                });
            }
            let concept = concepts.last_mut().expect("pushed above");
            if let Some(label) = &row[3] {
                if !concept.labels.contains(label) {
                    concept.labels.push(label.clone());
                }
            }
        }
        Ok(vocabulary)
    }

    /// Whether the store holds an ontology at all (not before an import).
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty() && self.properties.is_empty()
    }

    /// The concept of `scheme` that `given` names: its code in any case, or
    /// any of its labels, ignoring case and spaces.
    pub fn concept(&self, scheme: &str, given: &str) -> Result<&Concept, Vec<&Concept>> {
        let key = |s: &str| -> String {
            s.chars()
                .filter(|c| !c.is_whitespace())
                .flat_map(char::to_lowercase)
                .collect()
        };
        let wanted = key(given);
        let concepts = self.schemes.get(scheme).map(Vec::as_slice).unwrap_or(&[]);
        concepts
            .iter()
            .find(|c| {
                c.code.as_deref().is_some_and(|code| key(code) == wanted)
                    || c.labels.iter().any(|l| key(l) == wanted)
            })
            .ok_or_else(|| concepts.iter().collect())
    }

    /// Warnings about the `ttkg:` classes and properties `sparql` names that
    /// the ontology does not define, each with the closest defined names.
    pub fn unknown_terms(&self, sparql: &str) -> Vec<String> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut warnings = Vec::new();
        let mut seen = Vec::new();
        for local in ontology_terms(sparql) {
            if seen.contains(&local) {
                continue;
            }
            seen.push(local.clone());
            let iri = format!("{TTKG}{local}");
            let is_class = local.chars().next().is_some_and(char::is_uppercase);
            let (known, kind) = if is_class {
                (&self.classes, "class")
            } else {
                (&self.properties, "property")
            };
            if known.contains_key(&iri)
                || self.classes.contains_key(&iri)
                || self.properties.contains_key(&iri)
            {
                continue;
            }
            let closest = closest(&local, known);
            let hint = match closest.as_slice() {
                [] => "see the ontology (ontology/ttkg.ttl) for the terms it defines".to_owned(),
                [one] => format!("did you mean ttkg:{one}?"),
                several => format!(
                    "did you mean {}?",
                    several
                        .iter()
                        .map(|c| format!("ttkg:{c}"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            };
            warnings.push(format!(
                "ttkg:{local} is not a {kind} the ontology defines, so nothing in the store has it; {hint}"
            ));
        }
        warnings
    }
}

/// The closest names among `known` to `local`: one containing the other
/// (`Member`, `NetworkMembership`), or alike letter for letter
/// (`joinDate`, `joinedOn`), compared on lower case, with the labels too.
fn closest(local: &str, known: &BTreeMap<String, Option<String>>) -> Vec<String> {
    let want = local.to_lowercase();
    let mut scored: Vec<(f64, String)> = known
        .iter()
        .filter_map(|(iri, label)| {
            let name = iri.strip_prefix(TTKG)?;
            let lower = name.to_lowercase();
            let mut score = strsim::jaro_winkler(&want, &lower);
            if want.len() >= 4 && (lower.contains(&want) || want.contains(&lower)) {
                score = score.max(0.9);
            }
            if let Some(label) = label {
                let label: String = label.to_lowercase().split_whitespace().collect();
                score = score.max(strsim::jaro_winkler(&want, &label));
            }
            (score >= 0.8).then(|| (score, name.to_owned()))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(2).map(|(_, n)| n).collect()
}

/// The local names of `ttkg:` terms in a query (prefixed or as full IRIs),
/// outside strings and comments.
pub fn ontology_terms(sparql: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let chars: Vec<char> = sparql.chars().collect();
    let mut i = 0;
    let word = |from: usize| -> (String, usize) {
        let mut end = from;
        while end < chars.len() && (chars[end].is_alphanumeric() || "_-".contains(chars[end])) {
            end += 1;
        }
        (chars[from..end].iter().collect(), end)
    };
    while i < chars.len() {
        match chars[i] {
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            quote @ ('"' | '\'') => {
                i += 1;
                while i < chars.len() && chars[i] != quote {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            '<' => {
                let end = chars[i..]
                    .iter()
                    .position(|c| *c == '>' || c.is_whitespace());
                match end {
                    Some(end) if chars[i + end] == '>' => {
                        let iri: String = chars[i + 1..i + end].iter().collect();
                        if let Some(local) = iri.strip_prefix(TTKG) {
                            if !local.is_empty() {
                                terms.push(local.to_owned());
                            }
                        }
                        i += end + 1;
                    }
                    _ => i += 1,
                }
            }
            _ => {
                let starts = chars[i..].starts_with(&['t', 't', 'k', 'g', ':'])
                    && (i == 0
                        || !(chars[i - 1].is_alphanumeric() || "_?$:".contains(chars[i - 1])));
                if starts {
                    let (local, end) = word(i + 5);
                    if !local.is_empty() {
                        terms.push(local);
                    }
                    i = end;
                } else {
                    i += 1;
                }
            }
        }
    }
    terms
}

/// Why a saved question's parameter value is refused, with the values it takes.
pub fn not_a_concept(param: &str, scheme: &str, given: &str, concepts: &[&Concept]) -> QueryError {
    let mut listed: Vec<String> = concepts.iter().map(|c| c.shown()).collect();
    listed.sort();
    QueryError::BadParam {
        param: param.to_owned(),
        message: format!(
            "`{given}` is not a {scheme} ttkg knows; give one of (code or any name, in any case): {}",
            listed.join("; ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttkg_terms_are_found_outside_strings_and_comments() {
        let q = "PREFIX x: <http://x/>\nSELECT ?m WHERE { ?m a ttkg:Member ; <https://w3id.org/ttkg/ontology#joinDate> ?d ; ttkg:country ?c\n # ttkg:Commented\n FILTER(?d != \"ttkg:Quoted\") }";
        assert_eq!(ontology_terms(q), vec!["Member", "joinDate", "country"]);
    }

    #[test]
    fn unknown_terms_get_the_closest_defined_names() {
        let mut vocabulary = Vocabulary::default();
        for class in ["NetworkMembership", "Organisation", "Agreement"] {
            vocabulary.classes.insert(format!("{TTKG}{class}"), None);
        }
        for property in ["joinedOn", "country", "signingDate"] {
            vocabulary
                .properties
                .insert(format!("{TTKG}{property}"), None);
        }
        let warnings = vocabulary
            .unknown_terms("SELECT * { ?m a ttkg:Member ; ttkg:joinDate ?d ; ttkg:country ?c }");
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].contains("ttkg:Member is not a class")
                && warnings[0].contains("did you mean ttkg:NetworkMembership?"),
            "{}",
            warnings[0]
        );
        assert!(
            warnings[1].contains("ttkg:joinDate is not a property")
                && warnings[1].contains("ttkg:joinedOn"),
            "{}",
            warnings[1]
        );
    }
}

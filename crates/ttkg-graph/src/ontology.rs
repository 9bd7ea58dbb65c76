//! The ontology and vocabularies of `ontology/`, loaded once per run.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{NamedOrBlankNode, Term, Triple};
use ttkg_vocab::{public, ttkg, OWL, RDF, RDFS, SCHEMA, SKOS, VOCAB};

use crate::error::GraphError;

/// What the importer needs from `ontology/`: the triples (to load them into
/// their own graph), the declared terms (to check pipelines), concept labels
/// (to normalise values) and the classes that type concepts imply.
#[derive(Debug, Clone)]
pub struct Ontology {
    pub triples: Vec<Triple>,
    pub files: Vec<PathBuf>,
    declared: BTreeSet<String>,
    schemes: BTreeSet<String>,
    implied: BTreeMap<String, String>,
    labels: Vec<(String, String, String)>,
}

impl Ontology {
    /// Loads `dir/*.ttl` and `dir/vocab/*.ttl` (not `shapes.ttl`, which
    /// describes data rather than the domain).
    pub fn load(dir: &Path) -> Result<Self, GraphError> {
        let mut files = ttl_files(dir)?;
        files.retain(|f| f.file_name().is_none_or(|n| n != "shapes.ttl"));
        files.extend(ttl_files(&dir.join("vocab"))?);
        let mut triples = Vec::new();
        for file in &files {
            triples.extend(parse_turtle(file)?);
        }
        Ok(Self::from_triples(triples, files))
    }

    fn from_triples(triples: Vec<Triple>, files: Vec<PathBuf>) -> Self {
        let rdf_type = format!("{RDF}type");
        let declaring = [
            format!("{OWL}Class"),
            format!("{OWL}ObjectProperty"),
            format!("{OWL}DatatypeProperty"),
            format!("{OWL}AnnotationProperty"),
        ];
        let scheme_class = format!("{SKOS}ConceptScheme");
        let in_scheme = public::SKOS_IN_SCHEME;
        let implies = ttkg::iri(ttkg::IMPLIES_CLASS);
        let iso = ttkg::iri(ttkg::ISO_CODE);
        let notation = format!("{SKOS}notation");
        let mut declared = BTreeSet::new();
        let mut schemes = BTreeSet::new();
        let mut implied = BTreeMap::new();
        let mut concept_scheme: BTreeMap<String, String> = BTreeMap::new();
        let mut names: Vec<(String, String)> = Vec::new();
        for q in &triples {
            let subject = q.subject.to_string();
            let subject = subject
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned();
            let predicate = q.predicate.as_str();
            match &q.object {
                Term::NamedNode(o)
                    if predicate == rdf_type && declaring.iter().any(|d| d == o.as_str()) =>
                {
                    declared.insert(subject);
                }
                Term::NamedNode(o) if predicate == rdf_type && o.as_str() == scheme_class => {
                    schemes.insert(subject);
                }
                Term::NamedNode(o) if predicate == in_scheme => {
                    concept_scheme.insert(subject, o.as_str().to_owned());
                }
                Term::NamedNode(o) if predicate == implies => {
                    implied.insert(subject, o.as_str().to_owned());
                }
                Term::Literal(l)
                    if predicate == public::SKOS_PREF_LABEL
                        || predicate == public::SKOS_ALT_LABEL
                        || predicate == iso
                        || predicate == notation =>
                {
                    names.push((subject, l.value().to_owned()));
                }
                _ => {}
            }
        }
        let labels = names
            .into_iter()
            .filter_map(|(concept, label)| {
                let scheme = concept_scheme.get(&concept)?;
                let name = scheme.strip_prefix(VOCAB)?.to_owned();
                Some((name, label, concept))
            })
            .collect();
        Ontology {
            triples,
            files,
            declared,
            schemes,
            implied,
            labels,
        }
    }

    /// Whether a class or property is declared (in ttkg.ttl, including the
    /// public terms it declares for reuse).
    pub fn declares(&self, iri: &str) -> bool {
        self.declared.contains(iri)
    }

    /// Whether `vocab/NAME` is a declared concept scheme.
    pub fn has_scheme(&self, name: &str) -> bool {
        self.schemes.contains(&format!("{VOCAB}{name}"))
    }

    /// (scheme name, label, concept IRI) for every label, notation and ISO code.
    pub fn concept_labels(&self) -> &[(String, String, String)] {
        &self.labels
    }

    /// The class a type concept implies (organisation type → ttkg:University).
    pub fn implied_class(&self, concept: &str) -> Option<&str> {
        self.implied.get(concept).map(String::as_str)
    }

    /// Every declared term, for reporting.
    pub fn declared_terms(&self) -> impl Iterator<Item = &str> {
        self.declared.iter().map(String::as_str)
    }

    /// Each declared property with its labels (`rdfs:label` and the
    /// `skos:altLabel`s reports also write, any language), domains and
    /// range: what `ttkg draft` matches a new report's headers against.
    pub fn properties(&self) -> Vec<PropertyDescription> {
        let label = format!("{RDFS}label");
        let alt_label = format!("{SKOS}altLabel");
        let domain = format!("{RDFS}domain");
        let domain_includes = format!("{SCHEMA}domainIncludes");
        let range = format!("{RDFS}range");
        let kinds = [
            format!("{OWL}ObjectProperty"),
            format!("{OWL}DatatypeProperty"),
        ];
        let rdf_type = format!("{RDF}type");
        let mut found: BTreeMap<String, PropertyDescription> = BTreeMap::new();
        for t in &self.triples {
            let NamedOrBlankNode::NamedNode(subject) = &t.subject else {
                continue;
            };
            let p = t.predicate.as_str();
            if p == rdf_type
                && !matches!(&t.object, Term::NamedNode(o) if kinds.iter().any(|k| k == o.as_str()))
            {
                continue;
            }
            let entry =
                found
                    .entry(subject.as_str().to_owned())
                    .or_insert_with(|| PropertyDescription {
                        iri: subject.as_str().to_owned(),
                        ..PropertyDescription::default()
                    });
            match &t.object {
                Term::NamedNode(_) if p == rdf_type => entry.is_property = true,
                Term::Literal(l) if p == label || p == alt_label => {
                    entry.labels.push(l.value().to_owned())
                }
                Term::NamedNode(o) if p == domain => entry.domains.push(o.as_str().to_owned()),
                Term::NamedNode(o) if p == domain_includes => {
                    entry.domain_includes.push(o.as_str().to_owned())
                }
                Term::NamedNode(o) if p == range => entry.range = Some(o.as_str().to_owned()),
                _ => {}
            }
        }
        found.into_values().filter(|p| p.is_property).collect()
    }
}

impl Ontology {
    /// Each class's superclasses, transitively (`ttkg:DemonstrationBase` →
    /// `ttkg:Project`, …), from `rdfs:subClassOf`.
    pub fn superclasses(&self) -> BTreeMap<String, Vec<String>> {
        let sub_class_of = format!("{RDFS}subClassOf");
        let mut direct: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for t in &self.triples {
            if let (NamedOrBlankNode::NamedNode(s), Term::NamedNode(o)) = (&t.subject, &t.object) {
                if t.predicate.as_str() == sub_class_of {
                    direct
                        .entry(s.as_str().to_owned())
                        .or_default()
                        .push(o.as_str().to_owned());
                }
            }
        }
        let mut all = BTreeMap::new();
        for class in direct.keys() {
            let mut found: Vec<String> = Vec::new();
            let mut next = direct[class].clone();
            while let Some(c) = next.pop() {
                if !found.contains(&c) {
                    next.extend(direct.get(&c).cloned().unwrap_or_default());
                    found.push(c);
                }
            }
            all.insert(class.clone(), found);
        }
        all
    }
}

/// A property of the ontology as `ttkg draft` sees it.
#[derive(Debug, Clone, Default)]
pub struct PropertyDescription {
    pub iri: String,
    pub labels: Vec<String>,
    pub domains: Vec<String>,
    /// Classes whose instances it is used on, where it has no single
    /// domain (`schema:domainIncludes`: a start date is a project's or an
    /// event's, not an agreement's).
    pub domain_includes: Vec<String>,
    pub range: Option<String>,
    is_property: bool,
}

fn ttl_files(dir: &Path) -> Result<Vec<PathBuf>, GraphError> {
    let entries = std::fs::read_dir(dir).map_err(|source| GraphError::OntologyIo {
        path: dir.to_owned(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ttl"))
        .collect();
    files.sort();
    Ok(files)
}

/// Parses one Turtle file.
pub fn parse_turtle(path: &Path) -> Result<Vec<Triple>, GraphError> {
    let file = File::open(path).map_err(|source| GraphError::OntologyIo {
        path: path.to_owned(),
        source,
    })?;
    RdfParser::from_format(RdfFormat::Turtle)
        .for_reader(BufReader::new(file))
        .map(|q| q.map(Triple::from))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| GraphError::OntologySyntax {
            path: path.to_owned(),
            message: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ontology() -> Ontology {
        // Read when the test runs, not when it was built: CI clones share a build folder.
        let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
        Ontology::load(&crate_dir.join("../../ontology")).unwrap()
    }

    #[test]
    fn declares_classes_properties_and_reused_terms() {
        let o = ontology();
        assert!(o.declares("https://w3id.org/ttkg/ontology#Agreement"));
        assert!(o.declares("https://w3id.org/ttkg/ontology#signingDate"));
        assert!(o.declares(public::SKOS_PREF_LABEL));
        assert!(!o.declares("https://w3id.org/ttkg/ontology#Nothing"));
        assert!(o.has_scheme("country"));
    }

    #[test]
    fn country_labels_cover_chinese_english_local_names_and_codes() {
        let o = ontology();
        let vn = "https://w3id.org/ttkg/vocab/country/VN";
        for label in ["越南", "Vietnam", "Việt Nam", "VN"] {
            assert!(
                o.concept_labels()
                    .iter()
                    .any(|(s, l, c)| s == "country" && l == label && c == vn),
                "{label}"
            );
        }
        assert_eq!(
            o.implied_class("https://w3id.org/ttkg/vocab/organisation-type/university"),
            Some("https://w3id.org/ttkg/ontology#University")
        );
    }
}

//! The ontology is the single source of truth for terms: every file parses,
//! every term is labelled in English and Chinese, and everything the
//! pipelines and the code use is declared.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use ttkg_graph::oxigraph::io::{RdfFormat, RdfParser};
use ttkg_graph::oxigraph::model::{Quad, Term};
use ttkg_graph::Ontology;

fn ontology_files() -> Vec<PathBuf> {
    let dir = common::root().join("ontology");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .chain(std::fs::read_dir(dir.join("vocab")).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ttl"))
        .collect();
    files.sort();
    files
}

fn parse(path: &PathBuf) -> Vec<Quad> {
    RdfParser::from_format(RdfFormat::Turtle)
        .for_reader(BufReader::new(File::open(path).unwrap()))
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_ontology_file_parses() {
    let files = ontology_files();
    let names: BTreeSet<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "ttkg.ttl",
        "shapes.ttl",
        "countries.ttl",
        "technology-fields.ttl",
        "organisation-types.ttl",
        "agreement-types.ttl",
    ] {
        assert!(names.contains(expected), "missing {expected}");
    }
    for file in &files {
        assert!(!parse(file).is_empty(), "{} is empty", file.display());
    }
}

#[test]
fn every_class_and_property_has_english_and_chinese_labels_and_a_comment() {
    let quads = parse(&common::root().join("ontology/ttkg.ttl"));
    let declaring = [
        "Class",
        "ObjectProperty",
        "DatatypeProperty",
        "AnnotationProperty",
    ]
    .map(|t| format!("http://www.w3.org/2002/07/owl#{t}"));
    let mut terms: BTreeMap<String, (BTreeSet<String>, bool)> = BTreeMap::new();
    for q in &quads {
        let s = q.subject.to_string();
        match (q.predicate.as_str(), &q.object) {
            ("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", Term::NamedNode(o))
                if declaring.iter().any(|d| d == o.as_str()) =>
            {
                terms.entry(s).or_default();
            }
            _ => {}
        }
    }
    for q in &quads {
        let s = q.subject.to_string();
        let Some(entry) = terms.get_mut(&s) else {
            continue;
        };
        match (q.predicate.as_str(), &q.object) {
            ("http://www.w3.org/2000/01/rdf-schema#label", Term::Literal(l)) => {
                entry.0.insert(l.language().unwrap_or("").to_owned());
            }
            ("http://www.w3.org/2000/01/rdf-schema#comment", _) => entry.1 = true,
            _ => {}
        }
    }
    assert!(terms.len() > 60, "{} terms", terms.len());
    for (term, (languages, commented)) in &terms {
        assert!(
            languages.contains("en") && languages.contains("zh"),
            "{term} lacks an English or Chinese label"
        );
        assert!(commented, "{term} has no rdfs:comment");
    }
}

#[test]
fn pipelines_and_code_use_only_declared_terms() {
    let root = common::root();
    let ontology = Ontology::load(&root.join("ontology")).unwrap();
    let pipelines = ttkg_pipeline::load_dir(&root.join("pipelines")).unwrap();
    assert!(pipelines.len() >= 9);
    for p in &pipelines {
        if let Err(e) = p.check_terms(|iri| ontology.declares(iri), |s| ontology.has_scheme(s)) {
            panic!("{e}");
        }
    }
    for term in ttkg_vocab::ttkg::all() {
        assert!(
            ontology.declares(&term),
            "the code uses {term}, which ontology/ttkg.ttl does not declare"
        );
    }
}

#[test]
fn countries_have_iso_codes_and_english_chinese_and_own_language_labels() {
    let quads = parse(&common::root().join("ontology/vocab/countries.ttl"));
    let mut countries: BTreeMap<String, (Option<String>, BTreeSet<String>)> = BTreeMap::new();
    for q in &quads {
        let entry = countries.entry(q.subject.to_string());
        match (q.predicate.as_str(), &q.object) {
            ("https://w3id.org/ttkg/ontology#isoCode", Term::Literal(l)) => {
                entry.or_default().0 = Some(l.value().to_owned())
            }
            ("http://www.w3.org/2004/02/skos/core#prefLabel", Term::Literal(l)) => {
                entry
                    .or_default()
                    .1
                    .insert(l.language().unwrap_or("").to_owned());
            }
            _ => {}
        }
    }
    let codes: BTreeSet<String> = countries.values().filter_map(|(c, _)| c.clone()).collect();
    for code in [
        "CN", "BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN", "US", "BR", "CZ", "IT",
    ] {
        assert!(codes.contains(code), "no country {code}");
    }
    for (iri, (code, languages)) in countries.iter().filter(|(_, (c, _))| c.is_some()) {
        let code = code.as_deref().unwrap();
        assert!(
            languages.contains("en") && languages.contains("zh"),
            "{iri}: {languages:?}"
        );
        // China's and the United States' own languages are Chinese and English.
        assert!(
            languages.len() >= 3 || matches!(code, "CN" | "US"),
            "{iri} has no label in its own language: {languages:?}"
        );
    }
}

#[test]
fn technology_fields_cover_the_article() {
    let ontology = Ontology::load(&common::root().join("ontology")).unwrap();
    let fields: BTreeSet<&str> = ontology
        .concept_labels()
        .iter()
        .filter(|(scheme, _, _)| scheme == "field")
        .map(|(_, label, _)| label.as_str())
        .collect();
    for label in [
        "现代农业",
        "农作物品种",
        "农业机械",
        "新能源与可再生能源",
        "节能环保",
        "海洋生态",
        "民族医药",
        "生物医药",
        "新材料",
        "铝合金",
        "生物质能源",
        "信息技术",
    ] {
        assert!(
            fields.contains(label),
            "no technology field labelled {label}"
        );
    }
}

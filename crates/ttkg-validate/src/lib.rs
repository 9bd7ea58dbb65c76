//! Checks the knowledge graph against the SHACL shapes of `ontology/shapes.ttl`.
//!
//! Each constraint of a shape becomes one SPARQL query listing the nodes
//! that violate it, run on the store or on a [`Preview`] of sources about to
//! be published. Only the SHACL Core components below are understood; a
//! shapes file using any other is refused when it is read, never silently
//! half-checked:
//! `sh:targetClass`, `sh:property` with an IRI `sh:path`, `sh:minCount`,
//! `sh:maxCount`, `sh:datatype` (the datatype and a lexical form valid for
//! it, as SHACL requires: `"2016-02-30"^^xsd:date` is a violation), `sh:or`
//! of `sh:datatype` alternatives,
//! `sh:class`, `sh:minInclusive`, `sh:minExclusive`, `sh:maxInclusive`,
//! `sh:maxExclusive`, `sh:pattern` (with `sh:flags`), and `sh:name`,
//! `sh:description`, `sh:message`, `rdfs:label`, `rdfs:comment` as
//! documentation.
//!
//! [`Preview`]: ttkg_graph::Preview

mod lexical;
mod shapes;

use std::collections::BTreeMap;
use std::path::PathBuf;

use ttkg_graph::oxigraph::model::{NamedNode, Term};
use ttkg_graph::{GraphError, Queryable};
use ttkg_vocab::compact;

pub use shapes::{Constraint, NodeShape, PropertyShape, Shapes};

/// What can go wrong validating.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error("{}: shape {shape}: {message}", file.display())]
    Shapes {
        file: PathBuf,
        shape: String,
        message: String,
    },
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// One node that does not conform to one constraint.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The node checked (an IRI).
    pub focus: String,
    /// The node shape, compacted (`shapes:Agreement`).
    pub shape: String,
    /// The property, compacted (`ttkg:signingDate`).
    pub path: String,
    /// The constraint, as written in the shapes (`sh:minCount 1`).
    pub constraint: String,
    /// What is wrong, in words.
    pub message: String,
    /// Where the node's facts came from: up to [`MAX_SOURCES`] rows.
    pub sources: Vec<SourceRow>,
}

/// A row of a source file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceRow {
    pub file: String,
    pub sheet: Option<String>,
    pub row: Option<u64>,
}

impl std::fmt::Display for SourceRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(sheet) = &self.sheet {
            write!(f, ", sheet {sheet}")?;
        }
        if let Some(row) = self.row {
            write!(f, ", row {row}")?;
        }
        Ok(())
    }
}

/// The most source rows listed per violation.
pub const MAX_SOURCES: usize = 3;

/// Checks every shape on `data`. With `scope`, only nodes stated in those
/// named graphs are checked (their links to other graphs still count).
pub fn validate(
    data: &dyn Queryable,
    shapes: &Shapes,
    scope: &[NamedNode],
) -> Result<Vec<Violation>, ValidateError> {
    let hierarchy = class_hierarchy(data)?;
    let subclasses = |class: &str| -> Vec<String> {
        let mut all = vec![class.to_owned()];
        let mut i = 0;
        while i < all.len() {
            for (sub, sup) in &hierarchy {
                if *sup == all[i] && !all.contains(sub) {
                    all.push(sub.clone());
                }
            }
            i += 1;
        }
        all
    };
    let mut violations = Vec::new();
    for shape in &shapes.shapes {
        for property in &shape.properties {
            for constraint in &property.constraints {
                let sparql =
                    constraint.query(&shape.target_class, &property.path, scope, &subclasses);
                for row in data.select_terms(&sparql)? {
                    let focus = match row.first() {
                        Some(Some(Term::NamedNode(n))) => n.as_str().to_owned(),
                        Some(Some(other)) => other.to_string(),
                        _ => continue,
                    };
                    let found = row.get(1).cloned().flatten();
                    if constraint.admits(found.as_ref()) {
                        continue;
                    }
                    violations.push(Violation {
                        focus,
                        shape: compact(&shape.iri),
                        path: compact(&property.path),
                        constraint: constraint.to_string(),
                        message: property
                            .message
                            .clone()
                            .unwrap_or_else(|| constraint.explain(&property.path, found.as_ref())),
                        sources: Vec::new(),
                    });
                }
            }
        }
    }
    attach_sources(data, &mut violations)?;
    violations.sort_by(|a, b| {
        (&a.sources, &a.shape, &a.focus, &a.path).cmp(&(&b.sources, &b.shape, &b.focus, &b.path))
    });
    Ok(violations)
}

/// Every (subclass, class) pair the data states with rdfs:subClassOf.
fn class_hierarchy(data: &dyn Queryable) -> Result<Vec<(String, String)>, ValidateError> {
    Ok(data
        .select_terms("SELECT DISTINCT ?sub ?sup WHERE { ?sub rdfs:subClassOf ?sup }")?
        .into_iter()
        .filter_map(|row| match (row.first(), row.get(1)) {
            (Some(Some(Term::NamedNode(sub))), Some(Some(Term::NamedNode(sup)))) => {
                Some((sub.as_str().to_owned(), sup.as_str().to_owned()))
            }
            _ => None,
        })
        .collect())
}

/// Which of `graphs` state something about each violation's node: the
/// sources a violation is held against, as (violation index, graph) pairs.
pub fn graphs_stating(
    data: &dyn Queryable,
    violations: &[Violation],
    graphs: &[NamedNode],
) -> Result<Vec<(usize, NamedNode)>, ValidateError> {
    let mut nodes: Vec<&str> = violations.iter().map(|v| v.focus.as_str()).collect();
    nodes.sort_unstable();
    nodes.dedup();
    let in_graphs: String = graphs
        .iter()
        .map(|g| format!("<{}> ", g.as_str()))
        .collect();
    let mut stating: BTreeMap<String, Vec<NamedNode>> = BTreeMap::new();
    for chunk in nodes.chunks(200) {
        let values: String = chunk
            .iter()
            .filter(|n| NamedNode::new(**n).is_ok())
            .map(|n| format!("<{n}> "))
            .collect();
        let sparql = format!(
            "SELECT DISTINCT ?focus ?g WHERE {{ VALUES ?focus {{ {values} }} VALUES ?g {{ {in_graphs} }} GRAPH ?g {{ ?focus ?p ?o }} }}"
        );
        for row in data.select_terms(&sparql)? {
            if let (Some(Some(Term::NamedNode(focus))), Some(Some(Term::NamedNode(g)))) =
                (row.first(), row.get(1))
            {
                stating
                    .entry(focus.as_str().to_owned())
                    .or_default()
                    .push(g.clone());
            }
        }
    }
    Ok(violations
        .iter()
        .enumerate()
        .flat_map(|(i, v)| {
            stating
                .get(&v.focus)
                .into_iter()
                .flatten()
                .map(move |g| (i, g.clone()))
        })
        .collect())
}

/// Finds the source rows of each violation's node: its own
/// `prov:wasDerivedFrom`, or that of the entity that points to it (an
/// amount has the provenance of its agreement), or, for a source file, the
/// file itself.
fn attach_sources(data: &dyn Queryable, violations: &mut [Violation]) -> Result<(), ValidateError> {
    let mut nodes: Vec<&str> = violations
        .iter()
        .map(|v| v.focus.as_str())
        .filter(|f| NamedNode::new(*f).is_ok())
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    let mut found: BTreeMap<String, Vec<SourceRow>> = BTreeMap::new();
    for chunk in nodes.chunks(200) {
        let values: String = chunk.iter().map(|n| format!("<{n}> ")).collect();
        let sparql = format!(
            "SELECT DISTINCT ?focus ?file ?sheet ?row WHERE {{
               VALUES ?focus {{ {values} }}
               {{ ?focus prov:wasDerivedFrom ?r }}
               UNION {{ ?owner ?link ?focus . ?owner prov:wasDerivedFrom ?r . FILTER NOT EXISTS {{ ?focus prov:wasDerivedFrom ?own }} }}
               UNION {{ ?focus ttkg:filePath ?file }}
               OPTIONAL {{ ?r ttkg:sourceFile/ttkg:filePath ?file ; ttkg:rowNumber ?row . OPTIONAL {{ ?r ttkg:sheet ?sheet }} }}
               FILTER(BOUND(?file))
             }} ORDER BY ?focus ?file ?sheet ?row"
        );
        for row in data.select_terms(&sparql)? {
            let text = |i: usize| match row.get(i) {
                Some(Some(Term::Literal(l))) => Some(l.value().to_owned()),
                Some(Some(Term::NamedNode(n))) => Some(n.as_str().to_owned()),
                _ => None,
            };
            let (Some(focus), Some(file)) = (text(0), text(1)) else {
                continue;
            };
            let rows = found.entry(focus).or_default();
            let source = SourceRow {
                file,
                sheet: text(2),
                row: text(3).and_then(|r| r.parse().ok()),
            };
            if !rows.contains(&source) {
                rows.push(source);
            }
        }
    }
    for violation in violations {
        if let Some(rows) = found.get(&violation.focus) {
            let mut rows = rows.clone();
            rows.sort();
            rows.truncate(MAX_SOURCES);
            violation.sources = rows;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ttkg_graph::KnowledgeStore;

    const SHAPES: &str = r#"
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        @prefix ttkg: <https://w3id.org/ttkg/ontology#> .
        @prefix schema: <https://schema.org/> .
        @prefix shapes: <https://w3id.org/ttkg/shapes#> .
        shapes:Agreement a sh:NodeShape ; sh:targetClass ttkg:Agreement ;
            sh:property [ sh:path ttkg:agreementNumber ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype xsd:string ; sh:pattern "^GX-" ] ;
            sh:property [ sh:path ttkg:signingDate ; sh:or ( [ sh:datatype xsd:date ] [ sh:datatype xsd:gYear ] ) ] ;
            sh:property [ sh:path ttkg:partnerCountry ; sh:class ttkg:Country ] ;
            sh:property [ sh:path ttkg:amount ; sh:maxCount 1 ] .
        shapes:MonetaryAmount a sh:NodeShape ; sh:targetClass ttkg:MonetaryAmount ;
            sh:property [ sh:path schema:value ; sh:minInclusive 0 ] .
    "#;

    const DATA: &str = r#"
        @prefix ttkg: <https://w3id.org/ttkg/ontology#> .
        @prefix schema: <https://schema.org/> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        @prefix prov: <http://www.w3.org/ns/prov#> .
        @prefix id: <https://w3id.org/ttkg/id/> .
        ttkg:SpecialAgreement rdfs:subClassOf ttkg:Agreement .
        id:VN a ttkg:Country .
        id:good a ttkg:SpecialAgreement ; ttkg:agreementNumber "GX-1" ; ttkg:signingDate "2016"^^xsd:gYear ;
            ttkg:partnerCountry id:VN ; ttkg:amount id:good-amount .
        id:good-amount a ttkg:MonetaryAmount ; schema:value 5.0 .
        id:bad a ttkg:Agreement ; ttkg:agreementNumber "VN-1" , "VN-2" ; ttkg:signingDate "16/06/2016" ;
            ttkg:partnerCountry id:Atlantis ; ttkg:amount id:bad-amount ; prov:wasDerivedFrom id:row7 .
        id:bad-amount a ttkg:MonetaryAmount ; schema:value -3.0 .
        id:row7 ttkg:sourceFile id:file ; ttkg:sheet "协议" ; ttkg:rowNumber 7 .
        id:file ttkg:filePath "reports/x.xlsx" .
        id:none a ttkg:Agreement .
    "#;

    fn store_with(turtle: &str) -> KnowledgeStore {
        let store = KnowledgeStore::in_memory().unwrap();
        store
            .bulk_load(
                turtle.as_bytes(),
                ttkg_graph::oxigraph::io::RdfFormat::Turtle,
            )
            .unwrap();
        store
    }

    fn shapes() -> Shapes {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shapes.ttl");
        std::fs::write(&path, SHAPES).unwrap();
        Shapes::load(&path).unwrap()
    }

    #[test]
    fn each_kind_of_violation_is_found_with_its_source_row() {
        let violations = validate(&store_with(DATA), &shapes(), &[]).unwrap();
        let found: Vec<(String, String, String)> = violations
            .iter()
            .map(|v| {
                (
                    v.focus.rsplit('/').next().unwrap().to_owned(),
                    v.path.clone(),
                    v.constraint.clone(),
                )
            })
            .collect();
        let expect = |focus: &str, path: &str, constraint: &str| {
            assert!(
                found.contains(&(focus.into(), path.into(), constraint.into())),
                "{focus} {path} {constraint} not in {found:#?}"
            );
        };
        expect("bad", "ttkg:agreementNumber", "sh:maxCount 1");
        expect("bad", "ttkg:agreementNumber", "sh:pattern \"^GX-\"");
        expect(
            "bad",
            "ttkg:signingDate",
            "sh:datatype xsd:date or xsd:gYear",
        );
        expect("bad", "ttkg:partnerCountry", "sh:class ttkg:Country");
        expect("bad-amount", "schema:value", "sh:minInclusive 0");
        expect("none", "ttkg:agreementNumber", "sh:minCount 1");
        assert!(
            !found.iter().any(|(f, _, _)| f.starts_with("good")),
            "{found:#?}"
        );
        assert_eq!(found.len(), 7, "{found:#?}");
        // The amount has its agreement's source row.
        let amount = violations
            .iter()
            .find(|v| v.focus.ends_with("bad-amount"))
            .unwrap();
        assert_eq!(
            amount.sources[0].to_string(),
            "reports/x.xlsx, sheet 协议, row 7"
        );
        assert!(amount.message.contains("-3"), "{}", amount.message);
    }

    #[test]
    fn a_scope_limits_the_check_to_the_nodes_of_some_graphs() {
        let store = store_with(DATA);
        let graph = NamedNode::new_unchecked("https://w3id.org/ttkg/graph/test");
        let clean = validate(&store, &shapes(), &[graph]).unwrap();
        assert!(clean.is_empty(), "{clean:#?}");
    }

    #[test]
    fn unsupported_components_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shapes.ttl");
        std::fs::write(
            &path,
            "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://x/> .
             ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:uniqueLang true ] .",
        )
        .unwrap();
        let err = Shapes::load(&path).unwrap_err().to_string();
        assert!(err.contains("sh:uniqueLang"), "{err}");
        assert!(err.contains("<http://x/S>"), "{err}");
    }
}

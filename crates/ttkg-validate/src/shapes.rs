//! Reading SHACL shapes, and the SPARQL query that checks each constraint.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use ttkg_graph::oxigraph::model::{Literal, NamedNode, Term, Triple};
use ttkg_vocab::{compact, RDF, RDFS, SH};

use crate::ValidateError;

/// The node shapes of a shapes file.
#[derive(Debug, Clone)]
pub struct Shapes {
    pub file: PathBuf,
    pub shapes: Vec<NodeShape>,
}

/// A shape for the instances of one class (and its subclasses).
#[derive(Debug, Clone)]
pub struct NodeShape {
    pub iri: String,
    pub target_class: String,
    pub properties: Vec<PropertyShape>,
}

/// The constraints on one property of the target nodes.
#[derive(Debug, Clone)]
pub struct PropertyShape {
    pub path: String,
    pub constraints: Vec<Constraint>,
    /// `sh:message`, replacing the generated explanation.
    pub message: Option<String>,
}

/// One SHACL Core constraint component.
#[derive(Debug, Clone, PartialEq)]
pub enum Constraint {
    MinCount(u64),
    MaxCount(u64),
    /// `sh:datatype`, or an `sh:or` of them: the value has one of these datatypes.
    Datatype(Vec<String>),
    Class(String),
    MinInclusive(Literal),
    MinExclusive(Literal),
    MaxInclusive(Literal),
    MaxExclusive(Literal),
    Pattern {
        regex: String,
        flags: Option<String>,
    },
}

/// Predicates that document a shape and need no check.
const DOCUMENTATION: [&str; 5] = ["name", "description", "order", "group", "severity"];

impl Shapes {
    /// Each target class's properties with `sh:minCount` of one or more
    /// (full IRIs), in the file's order.
    pub fn required_properties(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        let mut required: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for shape in &self.shapes {
            for property in &shape.properties {
                let needed = property
                    .constraints
                    .iter()
                    .any(|c| matches!(c, Constraint::MinCount(n) if *n > 0));
                if needed {
                    required
                        .entry(shape.target_class.clone())
                        .or_default()
                        .push(property.path.clone());
                }
            }
        }
        required
    }

    /// Reads a Turtle shapes file.
    pub fn load(path: &Path) -> Result<Self, ValidateError> {
        let triples = ttkg_graph::parse_turtle(path)?;
        Self::from_triples(path, &triples)
    }

    fn from_triples(path: &Path, triples: &[Triple]) -> Result<Self, ValidateError> {
        let graph = Graph::new(triples);
        let sh = |local: &str| format!("{SH}{local}");
        let rdf_type = format!("{RDF}type");
        let mut shapes = Vec::new();
        let node_shape = sh("NodeShape");
        let mut shape_nodes: Vec<&Term> = graph.subjects_with(&rdf_type, &node_shape).collect();
        shape_nodes.sort_by_key(|t| t.to_string());
        for node in shape_nodes {
            let name = display(node);
            let fail = |message: String| ValidateError::Shapes {
                file: path.to_owned(),
                shape: name.clone(),
                message,
            };
            let mut target_class = None;
            let mut properties = Vec::new();
            for (predicate, object) in graph.about(node) {
                match local(predicate, SH) {
                    Some("targetClass") => target_class = Some(iri(object).ok_or_else(|| fail("sh:targetClass must be an IRI".into()))?),
                    Some("property") => properties.push(property_shape(&graph, object).map_err(fail)?),
                    Some("message") => {}
                    Some(l) if DOCUMENTATION.contains(&l) => {}
                    _ if predicate == rdf_type => {}
                    _ if is_rdfs_documentation(predicate) => {}
                    _ => {
                        return Err(fail(format!(
                            "{} is not supported by ttkg validate (it understands sh:targetClass and sh:property on node shapes)",
                            compact(predicate)
                        )))
                    }
                }
            }
            let target_class = target_class.ok_or_else(|| {
                fail(
                    "has no sh:targetClass; ttkg validate checks shapes that target a class".into(),
                )
            })?;
            properties.sort_by(|a: &PropertyShape, b| a.path.cmp(&b.path));
            shapes.push(NodeShape {
                iri: name_iri(node),
                target_class,
                properties,
            });
        }
        Ok(Shapes {
            file: path.to_owned(),
            shapes,
        })
    }
}

fn is_rdfs_documentation(predicate: &str) -> bool {
    predicate == format!("{RDFS}label") || predicate == format!("{RDFS}comment")
}

fn property_shape(graph: &Graph<'_>, node: &Term) -> Result<PropertyShape, String> {
    let mut path = None;
    let mut constraints = Vec::new();
    let mut message = None;
    let mut pattern = None;
    let mut flags = None;
    let number = |object: &Term, what: &str| -> Result<u64, String> {
        literal(object)
            .and_then(|l| l.value().parse().ok())
            .ok_or_else(|| format!("{what} must be a non-negative integer"))
    };
    for (predicate, object) in graph.about(node) {
        match local(predicate, SH) {
            Some("path") => {
                path = Some(iri(object).ok_or_else(|| {
                    "property paths other than a single IRI are not supported by ttkg validate"
                        .to_owned()
                })?)
            }
            Some("minCount") => match number(object, "sh:minCount")? {
                0 => {}
                n => constraints.push(Constraint::MinCount(n)),
            },
            Some("maxCount") => constraints.push(Constraint::MaxCount(number(object, "sh:maxCount")?)),
            Some("datatype") => constraints.push(Constraint::Datatype(vec![
                iri(object).ok_or("sh:datatype must be an IRI")?,
            ])),
            Some("class") => constraints.push(Constraint::Class(
                iri(object).ok_or("sh:class must be an IRI")?,
            )),
            Some("or") => constraints.push(Constraint::Datatype(datatype_alternatives(graph, object)?)),
            Some(bound @ ("minInclusive" | "minExclusive" | "maxInclusive" | "maxExclusive")) => {
                let value = literal(object)
                    .cloned()
                    .ok_or_else(|| format!("sh:{bound} must be a literal"))?;
                constraints.push(match bound {
                    "minInclusive" => Constraint::MinInclusive(value),
                    "minExclusive" => Constraint::MinExclusive(value),
                    "maxInclusive" => Constraint::MaxInclusive(value),
                    _ => Constraint::MaxExclusive(value),
                });
            }
            Some("pattern") => {
                pattern = Some(
                    literal(object)
                        .map(|l| l.value().to_owned())
                        .ok_or("sh:pattern must be a string")?,
                )
            }
            Some("flags") => flags = literal(object).map(|l| l.value().to_owned()),
            Some("message") => message = literal(object).map(|l| l.value().to_owned()),
            Some(l) if DOCUMENTATION.contains(&l) => {}
            _ if is_rdfs_documentation(predicate) => {}
            _ => {
                return Err(format!(
                    "{} is not supported by ttkg validate; it understands sh:path, sh:minCount, sh:maxCount, \
                     sh:datatype, sh:or of sh:datatype, sh:class, sh:min/maxInclusive, sh:min/maxExclusive, sh:pattern",
                    compact(predicate)
                ))
            }
        }
    }
    if let Some(regex) = pattern {
        constraints.push(Constraint::Pattern { regex, flags });
    }
    let path = path.ok_or("a property shape without sh:path")?;
    Ok(PropertyShape {
        path,
        constraints,
        message,
    })
}

/// `sh:or ( [ sh:datatype A ] [ sh:datatype B ] )` as the list [A, B].
fn datatype_alternatives(graph: &Graph<'_>, list: &Term) -> Result<Vec<String>, String> {
    let refuse =
        || "sh:or is supported only as a list of [ sh:datatype ... ] alternatives".to_owned();
    let mut datatypes = Vec::new();
    for member in graph.list(list).ok_or_else(refuse)? {
        let about = graph.about(member);
        match about.as_slice() {
            [(p, dt)] if local(p, SH) == Some("datatype") => {
                datatypes.push(iri(dt).ok_or_else(refuse)?)
            }
            _ => return Err(refuse()),
        }
    }
    if datatypes.is_empty() {
        return Err(refuse());
    }
    Ok(datatypes)
}

impl Constraint {
    /// A SELECT listing `?focus` (and, for value constraints, the offending
    /// `?value`) for each instance of `class` that violates this constraint
    /// on `path`; with `scope`, only nodes stated in those graphs.
    ///
    /// `subclasses` gives each class with its subclasses (from the data's
    /// rdfs:subClassOf), so the queries match types by lookup instead of
    /// following property paths.
    pub fn query(
        &self,
        class: &str,
        path: &str,
        scope: &[NamedNode],
        subclasses: &dyn Fn(&str) -> Vec<String>,
    ) -> String {
        let any_of = |class: &str| -> String {
            subclasses(class)
                .iter()
                .map(|c| format!("<{c}> "))
                .collect()
        };
        let scope = if scope.is_empty() {
            String::new()
        } else {
            let graphs: String = scope.iter().map(|g| format!("<{}> ", g.as_str())).collect();
            format!(
                "FILTER EXISTS {{ VALUES ?scope {{ {graphs}}} GRAPH ?scope {{ ?focus ?sp ?so }} }}"
            )
        };
        let targets = format!(
            "{{ SELECT DISTINCT ?focus WHERE {{ VALUES ?class {{ {} }} ?focus rdf:type ?class . {scope} }} }}",
            any_of(class)
        );
        let p = format!("<{path}>");
        let values = |condition: String| {
            format!("SELECT DISTINCT ?focus ?value WHERE {{ {targets} ?focus {p} ?value . FILTER({condition}) }}")
        };
        let compare = |op: &str, bound: &Literal| {
            // A value that cannot be compared (text where a number belongs) is a violation too.
            values(format!("!COALESCE(?value {op} {bound}, false)"))
        };
        match self {
            Constraint::MinCount(n) => format!(
                "SELECT ?focus (COUNT(DISTINCT ?value) AS ?count) WHERE {{ {targets} OPTIONAL {{ ?focus {p} ?value }} }}
                 GROUP BY ?focus HAVING (COUNT(DISTINCT ?value) < {n})"
            ),
            Constraint::MaxCount(n) => format!(
                "SELECT ?focus (COUNT(DISTINCT ?value) AS ?count) WHERE {{ {targets} ?focus {p} ?value }}
                 GROUP BY ?focus HAVING (COUNT(DISTINCT ?value) > {n})"
            ),
            Constraint::Datatype(datatypes) => {
                let list: Vec<String> = datatypes.iter().map(|d| format!("<{d}>")).collect();
                // A value of the right datatype is a candidate too unless the
                // store reads it back as the same value of that datatype; the
                // candidates' lexical forms are then checked exactly
                // ([`Constraint::admits`]), as SHACL's sh:datatype requires.
                let reads_back: Vec<String> = datatypes
                    .iter()
                    .map(|d| match d.starts_with(ttkg_vocab::XSD) {
                        true => format!("sameTerm(?value, <{d}>(STR(?value)))"),
                        // rdf:langString and other datatypes have no lexical rule.
                        false => format!("DATATYPE(?value) = <{d}>"),
                    })
                    .collect();
                values(format!(
                    "!isLiteral(?value) || DATATYPE(?value) NOT IN ({}) || !COALESCE({}, false)",
                    list.join(", "),
                    reads_back.join(" || ")
                ))
            }
            Constraint::Class(class) => values(format!(
                "NOT EXISTS {{ VALUES ?kind {{ {} }} ?value rdf:type ?kind }}",
                any_of(class)
            )),
            Constraint::MinInclusive(b) => compare(">=", b),
            Constraint::MinExclusive(b) => compare(">", b),
            Constraint::MaxInclusive(b) => compare("<=", b),
            Constraint::MaxExclusive(b) => compare("<", b),
            Constraint::Pattern { regex, flags } => {
                let flags = flags
                    .as_ref()
                    .map(|f| format!(", {}", Literal::new_simple_literal(f)))
                    .unwrap_or_default();
                values(format!(
                    "isBlank(?value) || !REGEX(STR(?value), {}{flags})",
                    Literal::new_simple_literal(regex)
                ))
            }
        }
    }

    /// Whether a value the constraint's query found conforms after all: for
    /// `sh:datatype`, a literal of one of the datatypes whose lexical form is
    /// valid for it (the query also lists values in a non-canonical form,
    /// such as `"1.50"^^xsd:decimal`). Every other constraint's query lists
    /// violations only.
    pub fn admits(&self, found: Option<&Term>) -> bool {
        match (self, found) {
            (Constraint::Datatype(datatypes), Some(Term::Literal(literal))) => {
                let datatype = literal.datatype().as_str();
                datatypes.iter().any(|d| d == datatype)
                    && crate::lexical::is_valid(datatype, literal.value())
            }
            _ => false,
        }
    }

    /// What a violation means, in words; `found` is the offending value or count.
    pub fn explain(&self, path: &str, found: Option<&Term>) -> String {
        let path = compact(path);
        let value = found.map(shown).unwrap_or_default();
        match self {
            Constraint::MinCount(n) => format!("needs at least {n} {path}, has {value}"),
            Constraint::MaxCount(n) => format!("may have at most {n} {path}, has {value}"),
            Constraint::Datatype(d) if matches!(found, Some(Term::Literal(l)) if d.iter().any(|d| d == l.datatype().as_str())) =>
            {
                format!(
                    "{path} {value} is not a valid {}: the text cannot be read as one",
                    found
                        .and_then(|t| match t {
                            Term::Literal(l) => Some(compact(l.datatype().as_str())),
                            _ => None,
                        })
                        .unwrap_or_default()
                )
            }
            Constraint::Datatype(d) => format!(
                "{path} {value} is not {}",
                d.iter()
                    .map(|d| compact(d))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            Constraint::Class(c) => format!("{path} {value} is not a {}", compact(c)),
            Constraint::MinInclusive(b) => format!("{path} {value} is below {}", b.value()),
            Constraint::MinExclusive(b) => format!("{path} {value} is not above {}", b.value()),
            Constraint::MaxInclusive(b) => format!("{path} {value} is above {}", b.value()),
            Constraint::MaxExclusive(b) => format!("{path} {value} is not below {}", b.value()),
            Constraint::Pattern { regex, .. } => format!("{path} {value} does not match {regex}"),
        }
    }
}

fn shown(term: &Term) -> String {
    match term {
        Term::NamedNode(n) => compact(n.as_str()),
        Term::Literal(l) if l.datatype().as_str().ends_with("#integer") => l.value().to_owned(),
        Term::Literal(l)
            if l.language().is_some() || l.datatype().as_str().ends_with("#string") =>
        {
            format!("\"{}\"", l.value())
        }
        Term::Literal(l) => format!("\"{}\" ({})", l.value(), compact(l.datatype().as_str())),
        other => other.to_string(),
    }
}

impl fmt::Display for Constraint {
    /// As the shapes file writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Constraint::MinCount(n) => write!(f, "sh:minCount {n}"),
            Constraint::MaxCount(n) => write!(f, "sh:maxCount {n}"),
            Constraint::Datatype(d) => write!(
                f,
                "sh:datatype {}",
                d.iter()
                    .map(|d| compact(d))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            Constraint::Class(c) => write!(f, "sh:class {}", compact(c)),
            Constraint::MinInclusive(b) => write!(f, "sh:minInclusive {}", b.value()),
            Constraint::MinExclusive(b) => write!(f, "sh:minExclusive {}", b.value()),
            Constraint::MaxInclusive(b) => write!(f, "sh:maxInclusive {}", b.value()),
            Constraint::MaxExclusive(b) => write!(f, "sh:maxExclusive {}", b.value()),
            Constraint::Pattern { regex, .. } => write!(f, "sh:pattern \"{regex}\""),
        }
    }
}

/// The triples of the shapes file, by subject.
struct Graph<'a> {
    by_subject: HashMap<Term, Vec<(&'a str, &'a Term)>>,
    triples: &'a [Triple],
}

impl<'a> Graph<'a> {
    fn new(triples: &'a [Triple]) -> Self {
        let mut by_subject: HashMap<Term, Vec<(&str, &Term)>> = HashMap::new();
        for t in triples {
            by_subject
                .entry(Term::from(t.subject.clone()))
                .or_default()
                .push((t.predicate.as_str(), &t.object));
        }
        Graph {
            by_subject,
            triples,
        }
    }

    fn about(&self, node: &Term) -> Vec<(&'a str, &'a Term)> {
        self.by_subject.get(node).cloned().unwrap_or_default()
    }

    fn subjects_with<'s>(
        &'s self,
        predicate: &'s str,
        object: &'s str,
    ) -> impl Iterator<Item = &'s Term> + 's {
        self.by_subject.iter().filter_map(move |(s, pos)| {
            pos.iter()
                .any(|(p, o)| *p == predicate && iri(o).as_deref() == Some(object))
                .then_some(s)
        })
    }

    /// The members of an RDF list.
    fn list(&self, head: &'a Term) -> Option<Vec<&'a Term>> {
        let (first, rest, nil) = (
            format!("{RDF}first"),
            format!("{RDF}rest"),
            format!("{RDF}nil"),
        );
        let mut members = Vec::new();
        let mut node = head;
        for _ in 0..=self.triples.len() {
            if iri(node).as_deref() == Some(nil.as_str()) {
                return Some(members);
            }
            let about = self.about(node);
            let value = about.iter().find(|(p, _)| *p == first)?.1;
            members.push(value);
            node = about.iter().find(|(p, _)| *p == rest)?.1;
        }
        None
    }
}

fn local<'a>(iri: &'a str, namespace: &str) -> Option<&'a str> {
    iri.strip_prefix(namespace)
}

fn iri(term: &Term) -> Option<String> {
    match term {
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        _ => None,
    }
}

fn literal(term: &Term) -> Option<&Literal> {
    match term {
        Term::Literal(l) => Some(l),
        _ => None,
    }
}

fn name_iri(node: &Term) -> String {
    iri(node).unwrap_or_else(|| node.to_string())
}

fn display(node: &Term) -> String {
    match node {
        Term::NamedNode(n) => compact(n.as_str()),
        other => other.to_string(),
    }
}

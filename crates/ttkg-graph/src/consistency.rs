//! What sources may not do silently: state a second value for a property
//! that has one (an agreement's signing date, an amount's value), or repeat
//! a row.
//!
//! A property is single-valued for a class when a shape of
//! `ontology/shapes.ttl` targeting the class (or a superclass) gives it
//! `sh:maxCount 1`, or the ontology declares it `owl:FunctionalProperty`.
//! When a row states such a property of an entity that an earlier row of
//! the same file, or another source in the store, already gives another
//! value, the row is in conflict: it is quarantined, naming the other row
//! and both values. Rows that repeat an earlier row's facts exactly are
//! duplicates: loaded once and listed.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;

use oxigraph::model::{
    GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Term, TermRef,
    Triple, TripleRef,
};
use oxigraph::store::Store;
use polars::prelude::{PlHashMap, PlHashSet};
use ttkg_vocab::{public, ttkg, OWL, RDF, RDFS, SH};

use crate::error::GraphError;
use crate::mapper::{MappedRow, MappedTable, Terms, TripleIds};
use crate::ontology::{parse_turtle, Ontology};

/// The (class, property) pairs that take one value.
#[derive(Debug, Clone, Default)]
pub struct SingleValued {
    /// Class IRI to the properties single-valued for it (its superclasses' included).
    by_class: HashMap<String, HashSet<String>>,
    /// Properties single-valued whatever the class (owl:FunctionalProperty).
    functional: HashSet<String>,
}

impl SingleValued {
    /// Reads `sh:maxCount 1` from the shapes file (if there is one) and
    /// `owl:FunctionalProperty` and `rdfs:subClassOf` from the ontology.
    pub fn load(shapes: &Path, ontology: &Ontology) -> Result<Self, GraphError> {
        let shape_triples = if shapes.exists() {
            parse_turtle(shapes)?
        } else {
            Vec::new()
        };
        Ok(Self::from_triples(&shape_triples, &ontology.triples))
    }

    fn from_triples(shapes: &[Triple], ontology: &[Triple]) -> Self {
        let iri = |t: &Term| match t {
            Term::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        };
        let subject_key = |s: &NamedOrBlankNode| s.to_string();
        let object_key = |o: &Term| o.to_string();
        let (target, property, path, max) = (
            format!("{SH}targetClass"),
            format!("{SH}property"),
            format!("{SH}path"),
            format!("{SH}maxCount"),
        );
        let mut targets: HashMap<String, Vec<String>> = HashMap::new();
        let mut properties: HashMap<String, Vec<String>> = HashMap::new();
        let mut paths: HashMap<String, String> = HashMap::new();
        let mut single: HashSet<String> = HashSet::new();
        for t in shapes {
            let s = subject_key(&t.subject);
            let p = t.predicate.as_str();
            if p == target {
                targets.entry(s).or_default().extend(iri(&t.object));
            } else if p == property {
                properties.entry(s).or_default().push(object_key(&t.object));
            } else if p == path {
                if let Some(o) = iri(&t.object) {
                    paths.insert(s, o);
                }
            } else if p == max {
                if let Term::Literal(l) = &t.object {
                    if l.value() == "1" {
                        single.insert(s);
                    }
                }
            }
        }
        let mut direct: HashMap<String, HashSet<String>> = HashMap::new();
        for (shape, classes) in &targets {
            for property in properties.get(shape).into_iter().flatten() {
                if let (true, Some(path)) = (single.contains(property), paths.get(property)) {
                    for class in classes {
                        direct
                            .entry(class.clone())
                            .or_default()
                            .insert(path.clone());
                    }
                }
            }
        }
        let (rdf_type, sub_class, functional_property) = (
            format!("{RDF}type"),
            format!("{RDFS}subClassOf"),
            format!("{OWL}FunctionalProperty"),
        );
        let mut parents: HashMap<String, Vec<String>> = HashMap::new();
        let mut functional = HashSet::new();
        for t in ontology {
            let NamedOrBlankNode::NamedNode(s) = &t.subject else {
                continue;
            };
            if t.predicate.as_str() == sub_class {
                parents
                    .entry(s.as_str().to_owned())
                    .or_default()
                    .extend(iri(&t.object));
            } else if t.predicate.as_str() == rdf_type
                && iri(&t.object).as_deref() == Some(functional_property.as_str())
            {
                functional.insert(s.as_str().to_owned());
            }
        }
        let classes: HashSet<&String> = direct.keys().chain(parents.keys()).collect();
        let mut by_class = HashMap::new();
        for class in classes {
            let mut seen = HashSet::new();
            let mut todo = vec![class.clone()];
            let mut props = HashSet::new();
            while let Some(c) = todo.pop() {
                if !seen.insert(c.clone()) {
                    continue;
                }
                props.extend(direct.get(&c).into_iter().flatten().cloned());
                todo.extend(parents.get(&c).into_iter().flatten().cloned());
            }
            if !props.is_empty() {
                by_class.insert(class.clone(), props);
            }
        }
        SingleValued {
            by_class,
            functional,
        }
    }

    /// Whether `property` takes one value on nodes of some class.
    fn is_ever_single(&self, property: &str) -> bool {
        self.functional.contains(property)
            || self.by_class.values().any(|props| props.contains(property))
    }

    /// Whether `property` takes one value on a node of any of `classes`.
    fn is_single(&self, classes: &[&str], property: &str) -> bool {
        self.functional.contains(property)
            || classes.iter().any(|c| {
                self.by_class
                    .get(*c)
                    .is_some_and(|props| props.contains(property))
            })
    }

    /// The facts of `facts` that state a single-valued property (the
    /// subjects' classes read from the same facts), as indexes into `facts`.
    fn single_valued_facts(&self, facts: &[TripleRef<'_>]) -> Vec<usize> {
        let rdf_type = public::RDF_TYPE;
        let mut classes: HashMap<NamedOrBlankNodeRef<'_>, Vec<&str>> = HashMap::new();
        for t in facts.iter().filter(|t| t.predicate.as_str() == rdf_type) {
            if let TermRef::NamedNode(c) = t.object {
                classes.entry(t.subject).or_default().push(c.as_str());
            }
        }
        facts
            .iter()
            .enumerate()
            .filter(|(_, t)| t.predicate.as_str() != rdf_type)
            .filter(|(_, t)| {
                classes
                    .get(&t.subject)
                    .is_some_and(|c| self.is_single(c, t.predicate.as_str()))
            })
            .map(|(i, _)| i)
            .collect()
    }
}

/// Where a value came from: a file (relative to the data folder), its
/// sheet and row when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub sheet: Option<String>,
    pub row: Option<u32>,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(sheet) = &self.sheet {
            write!(f, ", sheet '{sheet}'")?;
        }
        if let Some(row) = self.row {
            write!(f, ", row {row}")?;
        }
        Ok(())
    }
}

/// A row that gives an entity another value for a single-valued property.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The row's sheet (None for CSV) and number.
    pub sheet: Option<String>,
    pub row: u32,
    /// The column whose value conflicts, when one does.
    pub column: Option<String>,
    pub subject: String,
    pub property: String,
    /// This row's value, and the other source's.
    pub value: String,
    pub other_value: String,
    pub other: Origin,
}

impl Conflict {
    /// The quarantine reason, in words.
    pub fn reason(&self) -> String {
        format!(
            "{} already has {} {} from {}, and this row gives {}; one value is allowed, so the row was not loaded: correct whichever source is wrong",
            self.subject,
            self.property,
            self.other_value,
            self.other,
            self.value
        )
    }
}

/// A row that repeats an earlier row of the same file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub sheet: Option<String>,
    pub row: u32,
    /// The earlier row with the same facts.
    pub first: u32,
    pub first_sheet: Option<String>,
}

/// What the check of one file's rows found.
#[derive(Debug, Default)]
pub struct RowFindings {
    pub conflicts: Vec<Conflict>,
    pub duplicates: Vec<Duplicate>,
    /// (table index, row index) of the rows not to load.
    pub excluded: HashSet<(usize, usize)>,
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// How a person reads a term in a message: a prefixed name, a number or
/// date as written, text in quotes.
fn shown(term: TermRef<'_>) -> String {
    match term {
        TermRef::NamedNode(n) => shown_iri(n.as_str()),
        TermRef::Literal(l)
            if l.language().is_none() && l.datatype().as_str() != public::XSD_STRING =>
        {
            l.value().to_owned()
        }
        TermRef::Literal(l) => format!("\"{}\"", l.value()),
        other => other.to_string(),
    }
}

/// How a person reads the subject of a fact: a node that only carries a
/// value for another (an agreement's amount) is named through its owner,
/// as `the ttkg:amount of id:agreement/2`.
fn shown_subject_in(subject: NamedOrBlankNodeRef<'_>, facts: &[TripleRef<'_>]) -> String {
    let owner = facts.iter().find(|t| match t.object {
        TermRef::NamedNode(n) => matches!(subject, NamedOrBlankNodeRef::NamedNode(s) if s == n),
        _ => false,
    });
    match owner {
        Some(t) => format!(
            "the {} of {}",
            ttkg_vocab::compact(t.predicate.as_str()),
            shown_subject(t.subject)
        ),
        None => shown_subject(subject),
    }
}

fn shown_iri(iri: &str) -> String {
    if let Some(local) = iri.strip_prefix(ttkg_vocab::ID) {
        return format!("id:{local}");
    }
    if let Some(local) = iri.strip_prefix(ttkg_vocab::VOCAB) {
        return format!("vocab:{local}");
    }
    ttkg_vocab::compact(iri)
}

/// Checks the rows of one file (its tables, their terms in `terms`), in
/// order: a row whose facts equal an earlier row's is a duplicate; a row
/// that gives an entity a second value for a single-valued property is a
/// conflict with the row that gave the first. `file` is the file's path
/// relative to the data folder. Terms are numbered once per file, so facts
/// compare by their numbers.
pub fn check_rows(
    terms: &Terms,
    tables: &[MappedTable],
    single: &SingleValued,
    file: &str,
) -> RowFindings {
    let mut findings = RowFindings::default();
    // Row fact sets by a 128-bit hash: the first row that gave each,
    // (table, row). A row's sorted facts as the key took about 300 bytes a
    // row, 300 MB for a file of 1,000,000 rows.
    let mut seen_rows: PlHashMap<u128, (u32, u32)> = PlHashMap::default();
    // (subject, property): (table, triple index, row number) of the first
    // value, of the subjects that more than one row states facts of: the
    // others cannot conflict with another row.
    let shared = subjects_of_many_rows(tables, terms.len());
    let mut stated: PlHashMap<[u32; 2], [u32; 3]> = PlHashMap::default();
    let index = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
    for (t, table) in tables.iter().enumerate() {
        for (r, row) in table.rows.iter().enumerate() {
            let ids = &table.triples[row.facts.clone()];
            if ids.is_empty() {
                continue;
            }
            let sorted = sorted_facts(ids);
            let fingerprint = facts_hash(&sorted);
            let earlier = seen_rows.get(&fingerprint).copied().filter(|&(et, er)| {
                // The same hash with other facts is taken for other facts.
                let first = &tables[et as usize];
                sorted_facts(&first.triples[first.rows[er as usize].facts.clone()]) == sorted
            });
            if let Some((et, er)) = earlier {
                let (et, er) = (et as usize, er as usize);
                findings.duplicates.push(Duplicate {
                    sheet: table.sheet.clone(),
                    row: row.number,
                    first: tables[et].rows[er].number,
                    first_sheet: tables[et].sheet.clone(),
                });
                findings.excluded.insert((t, r));
                continue;
            }
            let facts = table.facts(terms, row);
            let mut row_conflicts = Vec::new();
            let mut claims = Vec::new();
            for i in single.single_valued_facts(&facts) {
                let fact = facts[i];
                let at = row.facts.start + i;
                let [subject, property, object] = ids[i];
                if !shared.get(subject as usize).copied().unwrap_or(true) {
                    continue;
                }
                match stated.get(&[subject, property]) {
                    Some(&[ot, oi, number])
                        if tables[ot as usize].triples[oi as usize][2] != object =>
                    {
                        let (ot, oi) = (ot as usize, oi as usize);
                        row_conflicts.push(Conflict {
                            sheet: table.sheet.clone(),
                            row: row.number,
                            column: table.column_of(at).map(str::to_owned),
                            subject: shown_subject_in(fact.subject, &facts),
                            property: ttkg_vocab::compact(fact.predicate.as_str()),
                            value: shown(fact.object),
                            other_value: shown(tables[ot].triple(terms, oi).object),
                            other: Origin {
                                file: file.to_owned(),
                                sheet: tables[ot].sheet.clone(),
                                row: Some(number),
                            },
                        })
                    }
                    Some(_) => {}
                    None => claims.push(([subject, property], [index(t), index(at), row.number])),
                }
            }
            if row_conflicts.is_empty() {
                seen_rows.entry(fingerprint).or_insert((index(t), index(r)));
                for (key, claim) in claims {
                    stated.entry(key).or_insert(claim);
                }
            } else {
                findings.excluded.insert((t, r));
                findings.conflicts.extend(row_conflicts);
            }
        }
    }
    findings
}

/// A row's facts sorted, each once: equal for rows that state the same.
fn sorted_facts(ids: &[TripleIds]) -> Vec<TripleIds> {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sorted
}

/// A 128-bit hash of a row's sorted facts.
fn facts_hash(sorted: &[TripleIds]) -> u128 {
    use siphasher::sip128::{Hasher128, SipHasher13};
    let mut hasher = SipHasher13::new_with_keys(0x7474_6b67_2d72_6f77, 0x732d_6661_6374_7331);
    for triple in sorted {
        for id in triple {
            std::hash::Hasher::write_u32(&mut hasher, *id);
        }
    }
    hasher.finish128().as_u128()
}

/// For each term number below `terms`, whether facts about it as a subject
/// come from more than one row of `tables`: only such a subject can be
/// given a value by one row and another by another, or have a fact stated
/// by two rows. About five bytes a term, where a set of the facts stated
/// took about twenty-five a fact.
fn subjects_of_many_rows(tables: &[MappedTable], terms: usize) -> Vec<bool> {
    let mut last_row = vec![0u32; terms];
    let mut shared = vec![false; terms];
    let mut row_number = 0u32;
    for table in tables {
        for row in &table.rows {
            row_number = row_number.saturating_add(1);
            for &[subject, ..] in &table.triples[row.facts.clone()] {
                let s = subject as usize;
                match last_row.get(s) {
                    Some(&last) if last != 0 && last != row_number => shared[s] = true,
                    Some(_) => last_row[s] = row_number,
                    None => {}
                }
            }
        }
    }
    shared
}

fn shown_subject(subject: NamedOrBlankNodeRef<'_>) -> String {
    match subject {
        NamedOrBlankNodeRef::NamedNode(n) => shown_iri(n.as_str()),
        other => other.to_string(),
    }
}

/// Reads quads for the conflict check: the store, or a transaction that
/// holds this run's earlier sources before they are published.
pub trait QuadReader {
    /// The objects of (subject, predicate) other than `object` in the
    /// named graphs other than `own`, with their graphs.
    fn other_objects(
        &self,
        subject: NamedOrBlankNodeRef<'_>,
        predicate: NamedNodeRef<'_>,
        object: TermRef<'_>,
        own: &NamedNode,
    ) -> Result<Vec<(Term, NamedNode)>, GraphError>;
    /// Whether `subject` is stated in a named graph other than `own`.
    fn described_elsewhere(
        &self,
        subject: NamedOrBlankNodeRef<'_>,
        own: &NamedNode,
    ) -> Result<bool, GraphError>;
    /// Triples of one graph matching a pattern.
    fn in_graph(
        &self,
        subject: Option<NamedOrBlankNodeRef<'_>>,
        predicate: Option<NamedNodeRef<'_>>,
        object: Option<TermRef<'_>>,
        graph: &NamedNode,
    ) -> Result<Vec<Triple>, GraphError>;
}

/// The check's two lookups as SPARQL: oxigraph evaluates them on the
/// terms' numbers and decodes only the answers, where reading the quads
/// decodes every term of every quad of the subject (the default graph's
/// too) from RocksDB: a re-sent 2,000-row file's check took 6.7 s of a
/// 7.8 s re-run of 100 files that way. The objects' lookup leaves out, on
/// the numbers too, what agrees with the row and what its own graph says:
/// an organisation named alike in a hundred reports was decoded a hundred
/// times per row (3.5 s of a 4.8 s re-run).
struct Lookups {
    elsewhere: oxigraph::sparql::PreparedSparqlQuery,
    objects: oxigraph::sparql::PreparedSparqlQuery,
}

fn lookups() -> &'static Lookups {
    static LOOKUPS: std::sync::OnceLock<Lookups> = std::sync::OnceLock::new();
    LOOKUPS.get_or_init(|| {
        let parse = |sparql: &str| {
            oxigraph::sparql::SparqlEvaluator::new()
                .parse_query(sparql)
                .expect("a valid query")
        };
        Lookups {
            // oxigraph substitutes only variables the query selects.
            elsewhere: parse(
                "SELECT ?s ?own WHERE { GRAPH ?g { ?s ?p ?o } FILTER(!sameTerm(?g, ?own)) } LIMIT 1",
            ),
            objects: parse(
                "SELECT ?s ?p ?o ?own ?other ?g WHERE { GRAPH ?g { ?s ?p ?other } FILTER(!sameTerm(?g, ?own) && !sameTerm(?other, ?o)) }",
            ),
        }
    })
}

fn variable(name: &str) -> oxigraph::sparql::Variable {
    oxigraph::sparql::Variable::new_unchecked(name)
}

macro_rules! quad_reader {
    ($type:ty, $bind:ident) => {
        impl QuadReader for $type {
            fn other_objects(
                &self,
                subject: NamedOrBlankNodeRef<'_>,
                predicate: NamedNodeRef<'_>,
                object: TermRef<'_>,
                own: &NamedNode,
            ) -> Result<Vec<(Term, NamedNode)>, GraphError> {
                let mut found = Vec::new();
                if subject.is_blank_node() || object.is_blank_node() {
                    // A blank node in a query is a variable, not this node.
                    for quad in self.quads_for_pattern(Some(subject), Some(predicate), None, None) {
                        let quad = quad?;
                        if let oxigraph::model::GraphName::NamedNode(g) = quad.graph_name {
                            if &g != own && quad.object.as_ref() != object {
                                found.push((quad.object, g));
                            }
                        }
                    }
                    return Ok(found);
                }
                let query = lookups()
                    .objects
                    .clone()
                    .substitute_variable(variable("s"), Term::from(subject.into_owned()))
                    .substitute_variable(variable("p"), predicate.into_owned())
                    .substitute_variable(variable("o"), object.into_owned())
                    .substitute_variable(variable("own"), own.clone());
                let oxigraph::sparql::QueryResults::Solutions(solutions) =
                    query.$bind(self).execute()?
                else {
                    unreachable!("a SELECT has solutions")
                };
                for solution in solutions {
                    let solution = solution?;
                    if let (Some(object), Some(Term::NamedNode(graph))) =
                        (solution.get("other"), solution.get("g"))
                    {
                        found.push((object.clone(), graph.clone()));
                    }
                }
                Ok(found)
            }

            fn described_elsewhere(
                &self,
                subject: NamedOrBlankNodeRef<'_>,
                own: &NamedNode,
            ) -> Result<bool, GraphError> {
                if subject.is_blank_node() {
                    for quad in self.quads_for_pattern(Some(subject), None, None, None) {
                        match quad?.graph_name {
                            oxigraph::model::GraphName::NamedNode(g) if &g != own => {
                                return Ok(true)
                            }
                            _ => {}
                        }
                    }
                    return Ok(false);
                }
                let query = lookups()
                    .elsewhere
                    .clone()
                    .substitute_variable(variable("s"), Term::from(subject.into_owned()))
                    .substitute_variable(variable("own"), own.clone());
                let oxigraph::sparql::QueryResults::Solutions(mut solutions) =
                    query.$bind(self).execute()?
                else {
                    unreachable!("a SELECT has solutions")
                };
                Ok(solutions.next().transpose()?.is_some())
            }

            fn in_graph(
                &self,
                subject: Option<NamedOrBlankNodeRef<'_>>,
                predicate: Option<NamedNodeRef<'_>>,
                object: Option<TermRef<'_>>,
                graph: &NamedNode,
            ) -> Result<Vec<Triple>, GraphError> {
                self.quads_for_pattern(
                    subject,
                    predicate,
                    object,
                    Some(GraphNameRef::NamedNode(graph.as_ref())),
                )
                .map(|q| q.map(Triple::from).map_err(GraphError::from))
                .collect()
            }
        }
    };
}

quad_reader!(Store, on_store);
quad_reader!(oxigraph::store::Transaction<'_>, on_transaction);

/// The graphs that are not sources: what the ontology and run history say
/// is never a conflicting value.
fn is_source_graph(graph: &NamedNode) -> bool {
    graph.as_str() != ttkg_vocab::ONTOLOGY_GRAPH && graph.as_str() != ttkg_vocab::RUNS_GRAPH
}

/// The single-valued facts of the sources published so far in a run, as
/// hashes of (subject, property) and of the value.
///
/// On a store that held no sources as the run began they stand in for it:
/// a fact whose (subject, property) no earlier source states, or states
/// with the same value, cannot conflict, and the store need not be asked
/// (asking decodes every value each earlier source gives, which grows with
/// every file of a large first import). Only a different value (or a hash
/// collision) goes to the store for the details.
///
/// A dry run publishes nothing, so its earlier files are in no store to
/// ask: its facts keep, besides, how each value reads and the row it came
/// from ([`RunFacts::for_dry_run`]), and a later file's different value is
/// a conflict with that row, as the import would find it in the store.
///
/// They grow with the run (about 30 MB a 100,000-row agreement report), so
/// they are kept within a limit: past it they are dropped, and the files
/// after are checked against the store alone, which holds the run's
/// earlier files by then, but in a dry run ([`RunFacts::dropped_at`]).
#[derive(Debug)]
pub struct RunFacts {
    values: PlHashMap<u64, u64>,
    /// In a dry run: where each kept value came from and how it reads.
    details: Option<RunDetails>,
    /// Whether the store held no sources as the run began, so that a fact
    /// these do not show differing needs no lookup.
    stand_for_store: bool,
    /// The most bytes the facts may take.
    limit: usize,
    /// Past `limit`, the file whose facts took them there: nothing is kept
    /// or answered any more.
    dropped_at: Option<String>,
    /// In a dry run: the graphs of the run's earlier files. The store still
    /// holds their previous versions, which an import would have replaced
    /// by the time a later file is checked: a value only those give is no
    /// conflict (kept past `limit`: one name a file).
    replaced: PlHashSet<NamedNode>,
}

/// What a dry run keeps of its earlier files' values, to name them in a
/// conflict.
#[derive(Debug, Default)]
struct RunDetails {
    /// Per (subject, property) key: the file (index into `files`), sheet
    /// (index into `sheets`, [`NO_SHEET`] for CSV) and row of the value.
    origins: PlHashMap<u64, (u32, u32, u32)>,
    /// Per value hash: the value as a person reads it ([`shown`]).
    texts: PlHashMap<u64, Box<str>>,
    text_bytes: usize,
    files: Vec<String>,
    sheets: Vec<String>,
}

/// [`RunDetails`]' sheet index of a CSV file's rows.
const NO_SHEET: u32 = u32::MAX;

impl RunDetails {
    fn held_bytes(&self) -> usize {
        let origins = self.origins.capacity() * (std::mem::size_of::<(u64, (u32, u32, u32))>() + 1);
        let texts = self.texts.capacity() * (std::mem::size_of::<(u64, Box<str>)>() + 1);
        origins + texts + self.text_bytes
    }

    fn index_of(names: &mut Vec<String>, name: &str) -> u32 {
        match names.iter().position(|n| n == name) {
            Some(i) => i as u32,
            None => {
                names.push(name.to_owned());
                (names.len() - 1) as u32
            }
        }
    }
}

impl RunFacts {
    /// Facts kept while they take at most `limit` bytes, for a run that
    /// began on a store without sources: the run's sources are in the
    /// store by the time a later file is checked.
    pub fn within(limit: usize) -> Self {
        RunFacts {
            values: PlHashMap::default(),
            details: None,
            stand_for_store: true,
            limit,
            dropped_at: None,
            replaced: PlHashSet::default(),
        }
    }

    /// Facts of a dry run, with their values' text and rows, kept while
    /// they take at most `limit` bytes; `store_has_sources`: the store is
    /// asked about every fact as well.
    pub fn for_dry_run(limit: usize, store_has_sources: bool) -> Self {
        RunFacts {
            details: Some(RunDetails::default()),
            stand_for_store: !store_has_sources,
            ..RunFacts::within(limit)
        }
    }

    /// Whether the facts are still kept, and so stand for the run's
    /// earlier files.
    pub fn is_kept(&self) -> bool {
        self.dropped_at.is_none()
    }

    /// The file whose facts took them past their limit, if they were
    /// dropped: in a dry run, the files after it are not checked against
    /// the run's earlier files.
    pub fn dropped_at(&self) -> Option<&str> {
        self.dropped_at.as_deref()
    }

    /// What the facts take: each entry two numbers and a control byte.
    fn held_bytes(&self) -> usize {
        let details = self.details.as_ref().map_or(0, RunDetails::held_bytes);
        self.values.capacity() * (2 * std::mem::size_of::<u64>() + 1) + details
    }

    /// Notes the facts of single-valued properties in the rows of `tables`
    /// not in `excluded`, of a source (`file`, relative to the data folder,
    /// its graph `graph`) about to be published; past the limit, drops
    /// them all.
    pub fn record(
        &mut self,
        file: &str,
        graph: &NamedNode,
        terms: &Terms,
        tables: &[MappedTable],
        excluded: &HashSet<(usize, usize)>,
        single: &SingleValued,
    ) {
        if self.details.is_some() {
            self.replaced.insert(graph.clone());
        }
        if self.dropped_at.is_some() {
            return;
        }
        // A term recurs in many facts (a property in every row, an
        // organisation in many): each is hashed, and each property looked
        // up, once, by its number. Hashing every fact's text was a twentieth
        // of a large import (perf).
        let mut hashes = TermHashes::new(terms);
        let mut single_by_id: PlHashMap<u32, bool> = PlHashMap::default();
        let file_index = match &mut self.details {
            Some(details) => RunDetails::index_of(&mut details.files, file),
            None => 0,
        };
        for (t, table) in tables.iter().enumerate() {
            let sheet = match (&mut self.details, &table.sheet) {
                (Some(details), Some(sheet)) => RunDetails::index_of(&mut details.sheets, sheet),
                _ => NO_SHEET,
            };
            for (r, row) in table.rows.iter().enumerate() {
                if excluded.contains(&(t, r)) {
                    continue;
                }
                // Every property single-valued for some class, whatever this
                // row says the subject is: a later row may say it is one.
                for &[subject, predicate, object] in &table.triples[row.facts.clone()] {
                    let is_single = *single_by_id.entry(predicate).or_insert_with(|| {
                        let TermRef::NamedNode(p) = terms.term(predicate) else {
                            return false;
                        };
                        single.is_ever_single(p.as_str())
                    });
                    if !is_single {
                        continue;
                    }
                    let key = fact_key(hashes.of(subject), hashes.of(predicate));
                    let value = hashes.of(object);
                    let mut first = false;
                    self.values.entry(key).or_insert_with(|| {
                        first = true;
                        value
                    });
                    if let Some(details) = self.details.as_mut().filter(|_| first) {
                        details.origins.insert(key, (file_index, sheet, row.number));
                        details.texts.entry(value).or_insert_with(|| {
                            let text = shown(terms.term(object));
                            details.text_bytes += text.len();
                            text.into_boxed_str()
                        });
                    }
                }
            }
        }
        tracing::debug!(
            facts = self.values.len(),
            mib = self.held_bytes() >> 20,
            "the run's single-valued facts"
        );
        if self.held_bytes() > self.limit {
            tracing::info!(
                facts = self.values.len(),
                mib = self.held_bytes() >> 20,
                "the run's single-valued facts take more than their share of the memory budget: the files after are checked against the store"
            );
            self.values = PlHashMap::default();
            self.details = self.details.take().map(|_| RunDetails::default());
            self.dropped_at = Some(file.to_owned());
        }
    }

    /// Whether an earlier source of the run may give the subject and
    /// property of the fact `ids` (in `hashes`' terms) another value.
    fn may_differ(
        &self,
        hashes: &mut TermHashes<'_>,
        [subject, predicate, object]: TripleIds,
    ) -> bool {
        let key = fact_key(hashes.of(subject), hashes.of(predicate));
        self.values
            .get(&key)
            .is_some_and(|value| *value != hashes.of(object))
    }

    /// In a dry run, the other value an earlier file of the run gives the
    /// subject and property of the fact `ids`, as a person reads it, and
    /// the row it came from.
    fn earlier_value(
        &self,
        hashes: &mut TermHashes<'_>,
        [subject, predicate, object]: TripleIds,
    ) -> Option<(String, Origin)> {
        let details = self.details.as_ref()?;
        let key = fact_key(hashes.of(subject), hashes.of(predicate));
        let value = *self.values.get(&key)?;
        if value == hashes.of(object) {
            return None;
        }
        let &(file, sheet, row) = details.origins.get(&key)?;
        let origin = Origin {
            file: details.files[file as usize].clone(),
            sheet: (sheet != NO_SHEET).then(|| details.sheets[sheet as usize].clone()),
            row: Some(row),
        };
        Some((details.texts.get(&value)?.to_string(), origin))
    }
}

/// The hashes [`RunFacts`] keeps of a file's terms, each computed when first
/// asked for.
struct TermHashes<'a> {
    terms: &'a Terms,
    hashes: Vec<Option<u64>>,
}

impl<'a> TermHashes<'a> {
    fn new(terms: &'a Terms) -> Self {
        TermHashes {
            terms,
            hashes: vec![None; terms.len()],
        }
    }

    fn of(&mut self, id: u32) -> u64 {
        let terms = self.terms;
        *self.hashes[id as usize].get_or_insert_with(|| hash_of(&terms.term(id)))
    }
}

/// [`RunFacts`]' key of a (subject, property) pair, from their hashes.
fn fact_key(subject: u64, predicate: u64) -> u64 {
    hash_of(&(subject, predicate))
}

/// Whether `store` holds no graph a conflict could come from (none but the
/// ontology and the run history): then [`RunFacts`] can stand in for it.
pub fn holds_no_sources(store: &Store) -> Result<bool, GraphError> {
    for graph in store.named_graphs() {
        if let oxigraph::model::NamedOrBlankNode::NamedNode(graph) = graph? {
            if is_source_graph(&graph) {
                return Ok(false);
            }
        } else {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Checks the rows of one source (its graph `own`; rows in `excluded` are
/// already out) against the other sources `reader` holds, and returns the
/// conflicts; the rows with one are added to `excluded`. With `run`, the
/// run's earlier sources: on a store that held no sources as the run
/// began, only facts to which they may give another value are looked up;
/// in a dry run, a value they give otherwise is a conflict with their row
/// (unless the run's facts were dropped, see [`RunFacts::within`]), and
/// what the store holds of their previous versions is none.
pub fn check_against<R: QuadReader>(
    reader: &R,
    own: &NamedNode,
    terms: &Terms,
    tables: &[MappedTable],
    single: &SingleValued,
    excluded: &mut HashSet<(usize, usize)>,
    run: Option<&RunFacts>,
) -> Result<Vec<Conflict>, GraphError> {
    let mut elsewhere: HashMap<u32, bool> = HashMap::new();
    let mut origins: HashMap<(NamedNode, u32), Origin> = HashMap::new();
    // A dry run's earlier files: what the store holds of them is replaced.
    let replaced = |graph: &NamedNode| run.is_some_and(|run| run.replaced.contains(graph));
    let mut run = run
        .filter(|run| run.is_kept())
        .map(|run| (run, TermHashes::new(terms)));
    let filtering = run.as_ref().is_some_and(|(run, _)| run.stand_for_store);
    // For the row at hand, when filtering: whether each fact may conflict.
    let mut may_differ: Vec<bool> = Vec::new();
    let mut conflicts = Vec::new();
    for (t, table) in tables.iter().enumerate() {
        for (r, row) in table.rows.iter().enumerate() {
            if excluded.contains(&(t, r)) {
                continue;
            }
            let ids = &table.triples[row.facts.clone()];
            // With the run's facts standing for the store, which of the
            // row's facts may conflict; most rows of a first import have
            // none, and their properties are not even looked up.
            if let Some((run, hashes)) = run.as_mut().filter(|_| filtering) {
                may_differ.clear();
                may_differ.extend(ids.iter().map(|&fact| run.may_differ(hashes, fact)));
                if !may_differ.contains(&true) {
                    continue;
                }
            }
            let facts = table.facts(terms, row);
            let mut row_conflicts = Vec::new();
            for i in single.single_valued_facts(&facts) {
                let conflict = |other_value: String, other: Origin| Conflict {
                    sheet: table.sheet.clone(),
                    row: row.number,
                    column: table.column_of(row.facts.start + i).map(str::to_owned),
                    subject: shown_subject_in(facts[i].subject, &facts),
                    property: ttkg_vocab::compact(facts[i].predicate.as_str()),
                    value: shown(facts[i].object),
                    other_value,
                    other,
                };
                // A dry run's earlier file, which no store holds.
                if let Some((value, origin)) = run
                    .as_mut()
                    .and_then(|(run, hashes)| run.earlier_value(hashes, ids[i]))
                {
                    row_conflicts.push(conflict(value, origin));
                    continue;
                }
                if filtering && !may_differ[i] {
                    continue;
                }
                let fact = facts[i];
                // Terms are numbered once per file: the number names the subject.
                let subject = ids[i][0];
                let known = match elsewhere.get(&subject) {
                    Some(known) => *known,
                    None => {
                        let known = reader.described_elsewhere(fact.subject, own)?;
                        elsewhere.insert(subject, known);
                        known
                    }
                };
                if !known {
                    continue;
                }
                let others =
                    reader.other_objects(fact.subject, fact.predicate, fact.object, own)?;
                let Some((value, graph)) = others
                    .into_iter()
                    .find(|(_, g)| is_source_graph(g) && !replaced(g))
                else {
                    continue;
                };
                let key = (graph.clone(), subject);
                let origin = match origins.get(&key) {
                    Some(o) => o.clone(),
                    None => {
                        let o = origin_of(reader, &graph, fact.subject)?;
                        origins.insert(key, o.clone());
                        o
                    }
                };
                row_conflicts.push(conflict(shown(value.as_ref()), origin));
            }
            if !row_conflicts.is_empty() {
                excluded.insert((t, r));
                conflicts.extend(row_conflicts);
            }
        }
    }
    Ok(conflicts)
}

/// The file, sheet and row of `graph` that state `subject` (or, for a node
/// such as an amount that has no row of its own, the entity that links to it).
fn origin_of<R: QuadReader>(
    reader: &R,
    graph: &NamedNode,
    subject: NamedOrBlankNodeRef<'_>,
) -> Result<Origin, GraphError> {
    let p = |iri: &str| NamedNode::new_unchecked(iri);
    let derived_from = p(public::PROV_WAS_DERIVED_FROM);
    let file_path = p(&ttkg::iri(ttkg::FILE_PATH));
    let produced = p(&ttkg::iri(ttkg::PRODUCED_GRAPH));
    let row_number = p(&ttkg::iri(ttkg::ROW_NUMBER));
    let sheet = p(&ttkg::iri(ttkg::SHEET));
    let literal = |triples: Vec<Triple>| {
        triples.into_iter().find_map(|t| match t.object {
            Term::Literal(l) => Some(l.value().to_owned()),
            _ => None,
        })
    };
    let file = reader
        .in_graph(
            None,
            Some(produced.as_ref()),
            Some(graph.as_ref().into()),
            graph,
        )?
        .into_iter()
        .next()
        .map(|t| {
            reader.in_graph(
                Some(t.subject.as_ref()),
                Some(file_path.as_ref()),
                None,
                graph,
            )
        })
        .transpose()?
        .and_then(literal)
        .unwrap_or_else(|| format!("the graph <{}>", graph.as_str()));
    let mut rows = reader.in_graph(Some(subject), Some(derived_from.as_ref()), None, graph)?;
    if rows.is_empty() {
        let owners = reader.in_graph(None, None, Some(subject.into()), graph)?;
        for owner in owners {
            rows = reader.in_graph(
                Some(owner.subject.as_ref()),
                Some(derived_from.as_ref()),
                None,
                graph,
            )?;
            if !rows.is_empty() {
                break;
            }
        }
    }
    let mut best: Option<(u32, Option<String>)> = None;
    for row in rows {
        let Term::NamedNode(node) = row.object else {
            continue;
        };
        let node = NamedOrBlankNode::NamedNode(node);
        let number = literal(reader.in_graph(
            Some(node.as_ref()),
            Some(row_number.as_ref()),
            None,
            graph,
        )?)
        .and_then(|n| n.parse().ok());
        let sheet_name =
            literal(reader.in_graph(Some(node.as_ref()), Some(sheet.as_ref()), None, graph)?);
        if let Some(n) = number {
            if best.as_ref().is_none_or(|(b, _)| n < *b) {
                best = Some((n, sheet_name));
            }
        }
    }
    Ok(Origin {
        file,
        sheet: best.as_ref().and_then(|(_, s)| s.clone()),
        row: best.map(|(n, _)| n),
    })
}

/// The triples a source publishes: the rows of its tables not in
/// `excluded`, then `extra` (the file's own facts), each once. They stay
/// numbers until the loader takes them one by one, so a large report's
/// facts are never all held as strings at once.
#[derive(Debug)]
pub struct KeptTriples {
    terms: Terms,
    ids: std::vec::IntoIter<TripleIds>,
}

impl Iterator for KeptTriples {
    type Item = Triple;

    fn next(&mut self) -> Option<Triple> {
        self.ids
            .next()
            .map(|ids| self.terms.triple(ids).into_owned())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ids.size_hint()
    }
}

impl ExactSizeIterator for KeptTriples {}

impl KeptTriples {
    /// The triples still to come, without taking them.
    pub fn refs(&self) -> impl Iterator<Item = TripleRef<'_>> {
        self.ids
            .as_slice()
            .iter()
            .map(|ids| self.terms.triple(*ids))
    }

    /// Where `triple` is among the triples still to come, if it is one.
    pub fn position(&self, triple: TripleRef<'_>) -> Option<usize> {
        let ids = [
            self.terms.find(triple.subject.into())?,
            self.terms.find(triple.predicate.into())?,
            self.terms.find(triple.object)?,
        ];
        self.ids.as_slice().binary_search(&ids).ok()
    }

    /// The triples still to come but those whose [`Self::position`] is
    /// marked in `marked`.
    pub fn unmarked(self, marked: &[bool]) -> Vec<Triple> {
        let KeptTriples { terms, ids } = self;
        ids.as_slice()
            .iter()
            .zip(marked.iter().chain(std::iter::repeat(&false)))
            .filter(|(_, marked)| !**marked)
            .map(|(ids, _)| terms.triple(*ids).into_owned())
            .collect()
    }
}

/// [`KeptTriples`] of a file: takes its terms and the tables' triples,
/// which are spent afterwards. `None` when `extra` brings more distinct
/// terms than a file may have.
///
/// An entity is `prov:wasDerivedFrom` the rows that first state one of its
/// facts in the file, not every row that repeats them: an organisation
/// named by 5,000 agreement rows of a report leads to the row that
/// introduced it (and to any row that added a fact), and each of the 5,000
/// agreements to its own row. So every fact still leads to a row that
/// states it, for three quads a row fewer on an agreement report; a row
/// that states nothing new gets no row node.
pub fn kept_triples(
    mut terms: Terms,
    tables: &mut [MappedTable],
    excluded: &HashSet<(usize, usize)>,
    extra: Vec<Triple>,
) -> Option<KeptTriples> {
    let derived_from =
        terms.find(NamedNodeRef::new_unchecked(public::PROV_WAS_DERIVED_FROM).into());
    let mut ids: Vec<TripleIds> = Vec::new();
    // The facts of the kept rows so far about subjects that more than one
    // row states facts of (every fact about another is new: its own row's
    // repeats go with the sorting below), and the subjects the current row
    // gives a fact no earlier row gave.
    let shared = subjects_of_many_rows(tables, terms.len());
    let mut stated: PlHashSet<TripleIds> = PlHashSet::default();
    let mut introduced: Vec<u32> = Vec::new();
    for (t, table) in tables.iter_mut().enumerate() {
        // The triples kept are moved to the front of the table's own
        // vector, in place: a row's facts come before its provenance, and
        // each row after the one before, so a triple is only ever moved
        // back over ones already read. A second vector of them grew to
        // about 290 MB at 500,000 rows, over what the table held.
        // Tables mapped otherwise are read from a copy.
        let mut triples = std::mem::take(&mut table.triples);
        let copy = (!stored_in_row_order(&table.rows)).then(|| triples.clone());
        let read = |triples: &[TripleIds], i: usize| copy.as_ref().map_or(triples[i], |c| c[i]);
        let mut kept = 0;
        for (r, row) in table.rows.iter().enumerate() {
            if excluded.contains(&(t, r)) {
                continue;
            }
            introduced.clear();
            for i in row.facts.clone() {
                let fact = read(&triples, i);
                let shared = shared.get(fact[0] as usize).copied().unwrap_or(true);
                if !shared || stated.insert(fact) {
                    triples[kept] = fact;
                    kept += 1;
                    if !introduced.contains(&fact[0]) {
                        introduced.push(fact[0]);
                    }
                }
            }
            if introduced.is_empty() {
                continue;
            }
            // The links of the entities the row introduced, and the row's
            // own node (file, sheet, number).
            for i in row.provenance.clone() {
                let link = read(&triples, i);
                if Some(link[1]) != derived_from || introduced.contains(&link[0]) {
                    triples[kept] = link;
                    kept += 1;
                }
            }
        }
        triples.truncate(kept);
        if ids.is_empty() {
            ids = triples;
        } else {
            ids.extend_from_slice(&triples);
        }
    }
    drop(stated);
    ids.reserve_exact(extra.len());
    for triple in extra {
        ids.push(terms.intern(triple)?);
    }
    // Terms are numbered once per file: equal triples have equal numbers.
    ids.sort_unstable();
    ids.dedup();
    ids.shrink_to_fit();
    Some(KeptTriples {
        terms,
        ids: ids.into_iter(),
    })
}

/// Whether each row's facts, then its provenance, come after the row
/// before's in the table's triples, as the mapper stores them.
fn stored_in_row_order(rows: &[MappedRow]) -> bool {
    let mut end = 0;
    rows.iter().all(|row| {
        let in_order = row.facts.start >= end && row.provenance.start >= row.facts.end;
        end = end.max(row.facts.end).max(row.provenance.end);
        in_order
    })
}

/// Rows that gave no entity at all (every column an IRI is made of empty).
pub fn empty_rows(tables: &[MappedTable]) -> Vec<(usize, usize, &MappedRow)> {
    tables
        .iter()
        .enumerate()
        .flat_map(|(t, table)| {
            table
                .rows
                .iter()
                .enumerate()
                .filter(|(_, row)| row.facts.is_empty())
                .map(move |(r, row)| (t, r, row))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::Literal;

    fn n(iri: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("http://x/{iri}"))
    }

    fn single() -> SingleValued {
        let mut by_class = HashMap::new();
        by_class.insert(
            "http://x/Agreement".to_owned(),
            HashSet::from(["http://x/date".to_owned()]),
        );
        SingleValued {
            by_class,
            functional: HashSet::new(),
        }
    }

    fn table(terms: &mut Terms, rows: &[(u32, &str, &str)]) -> MappedTable {
        let mut table = MappedTable::default();
        for (number, subject, date) in rows {
            let start = table.triples.len();
            for triple in [
                Triple::new(
                    n(subject),
                    NamedNode::new_unchecked(public::RDF_TYPE),
                    n("Agreement"),
                ),
                Triple::new(n(subject), n("date"), Literal::new_simple_literal(*date)),
            ] {
                table.triples.push(terms.intern(triple).unwrap());
            }
            table.origins.extend([crate::mapper::NO_COLUMN; 2]);
            table.rows.push(MappedRow {
                number: *number,
                facts: start..table.triples.len(),
                provenance: table.triples.len()..table.triples.len(),
            });
        }
        table
    }

    /// The rows not excluded, of every table, and the file's own facts,
    /// each triple once however many rows, sheets or extras state it.
    #[test]
    fn kept_triples_are_every_tables_rows_not_excluded_then_the_extra_each_once() {
        let mut terms = Terms::default();
        let mut tables = [
            table(
                &mut terms,
                &[(2, "a1", "2016-01-01"), (3, "a2", "2016-02-01")],
            ),
            table(
                &mut terms,
                &[
                    (2, "b1", "2017-01-01"),
                    (3, "b2", "2017-02-01"),
                    (4, "a1", "2016-01-01"),
                ],
            ),
        ];
        let file = Triple::new(n("file"), n("rows"), Literal::from(4));
        let excluded = HashSet::from([(0, 1), (1, 0)]);
        let kept: Vec<Triple> = kept_triples(
            terms,
            &mut tables,
            &excluded,
            vec![file.clone(), file.clone()],
        )
        .unwrap()
        .collect();
        let subjects: HashSet<String> = kept.iter().map(|t| t.subject.to_string()).collect();
        assert_eq!(kept.len(), 5);
        assert_eq!(
            subjects,
            ["a1", "b2", "file"]
                .map(|s| n(s).to_string())
                .into_iter()
                .collect()
        );
        assert!(kept.contains(&file));
        assert!(tables.iter().all(|t| t.triples.is_empty()));
    }

    /// An entity that many rows name leads to the rows that first state
    /// each of its facts; each row's own entity to that row; a row that
    /// states nothing new gets no row node.
    #[test]
    fn an_entity_is_derived_from_the_rows_that_first_state_its_facts() {
        let derived = || NamedNode::new_unchecked(public::PROV_WAS_DERIVED_FROM);
        let number = || NamedNode::new_unchecked(ttkg::iri(ttkg::ROW_NUMBER));
        let mut terms = Terms::default();
        let mut table = MappedTable::default();
        // (row number, the entities it describes, its facts).
        type Row<'a> = (u32, &'a [&'a str], &'a [(&'a str, &'a str, &'a str)]);
        let rows: [Row; 4] = [
            (
                2,
                &["a2", "org"],
                &[("a2", "party", "org"), ("org", "label", "O")],
            ),
            (
                3,
                &["a3", "org"],
                &[("a3", "party", "org"), ("org", "label", "O")],
            ),
            (
                4,
                &["a4", "org"],
                &[("a4", "party", "org"), ("org", "country", "X")],
            ),
            (5, &["org"], &[("org", "label", "O")]),
        ];
        for (row, described, facts) in rows {
            let start = table.triples.len();
            for (s, p, o) in facts {
                let triple = Triple::new(n(s), n(p), Literal::new_simple_literal(*o));
                table.triples.push(terms.intern(triple).unwrap());
            }
            let provenance = table.triples.len();
            let node = n(&format!("row/{row}"));
            let links = described
                .iter()
                .map(|d| Triple::new(n(d), derived(), node.clone()));
            for triple in links.chain([Triple::new(node.clone(), number(), Literal::from(row))]) {
                table.triples.push(terms.intern(triple).unwrap());
            }
            table.rows.push(MappedRow {
                number: row,
                facts: start..provenance,
                provenance: provenance..table.triples.len(),
            });
        }
        // The same rows with the first row's triples stored last: read
        // from a copy, not moved in place over triples not yet read.
        let mut moved = table.clone();
        let first = moved.rows[0].clone();
        let len = first.provenance.end;
        moved.triples.rotate_left(len);
        for row in &mut moved.rows[1..] {
            row.facts = row.facts.start - len..row.facts.end - len;
            row.provenance = row.provenance.start - len..row.provenance.end - len;
        }
        let end = moved.triples.len();
        moved.rows[0].facts = end - len..end - len + first.facts.len();
        moved.rows[0].provenance = end - len + first.facts.len()..end;
        assert!(stored_in_row_order(&table.rows) && !stored_in_row_order(&moved.rows));
        let kept_of = |table: MappedTable| -> HashSet<Triple> {
            kept_triples(terms.clone(), &mut [table], &HashSet::new(), vec![])
                .unwrap()
                .collect()
        };
        let kept = kept_of(table);
        assert_eq!(kept_of(moved), kept);
        let links: HashSet<(String, String)> = kept
            .iter()
            .filter(|t| t.predicate == derived())
            .map(|t| (t.subject.to_string(), t.object.to_string()))
            .collect();
        let link = |s: &str, row: u32| (n(s).to_string(), n(&format!("row/{row}")).to_string());
        assert_eq!(
            links,
            HashSet::from([
                link("a2", 2),
                link("org", 2),
                link("a3", 3),
                link("a4", 4),
                link("org", 4)
            ])
        );
        let row_nodes: HashSet<String> = kept
            .iter()
            .filter(|t| t.predicate == number())
            .map(|t| t.subject.to_string())
            .collect();
        assert_eq!(
            row_nodes,
            ["row/2", "row/3", "row/4"].map(|r| n(r).to_string()).into()
        );
        // Facts: the label once, the country, three parties; links five; row nodes three.
        assert_eq!(kept.len(), 5 + 5 + 3);
    }

    #[test]
    fn repeated_rows_are_duplicates_and_second_values_conflicts() {
        let mut terms = Terms::default();
        let mut tables = [table(
            &mut terms,
            &[
                (2, "a1", "2016-01-01"),
                (3, "a2", "2016-02-01"),
                (4, "a1", "2016-01-01"),
                (5, "a1", "2016-03-01"),
            ],
        )];
        let found = check_rows(&terms, &tables, &single(), "r.csv");
        assert_eq!(
            found.duplicates,
            vec![Duplicate {
                sheet: None,
                row: 4,
                first: 2,
                first_sheet: None
            }]
        );
        assert_eq!(found.conflicts.len(), 1);
        let conflict = &found.conflicts[0];
        assert_eq!((conflict.row, conflict.other.row), (5, Some(2)));
        assert!(
            conflict
                .reason()
                .contains("\"2016-01-01\" from r.csv, row 2, and this row gives \"2016-03-01\""),
            "{}",
            conflict.reason()
        );
        assert_eq!(found.excluded, HashSet::from([(0, 2), (0, 3)]));
        assert_eq!(
            kept_triples(terms, &mut tables, &found.excluded, vec![])
                .unwrap()
                .len(),
            4
        );
    }

    /// Only subjects that more than one row (of any sheet) states facts of
    /// are followed across rows: a second sheet's row still conflicts with
    /// the first's, and a row that states its own entity's fact twice
    /// loads it once.
    #[test]
    fn subjects_are_followed_across_sheets_and_within_a_row() {
        let mut terms = Terms::default();
        let mut tables = [
            table(
                &mut terms,
                &[(2, "a1", "2016-01-01"), (3, "a2", "2016-02-01")],
            ),
            table(
                &mut terms,
                &[(2, "a1", "2016-05-01"), (3, "a3", "2016-03-01")],
            ),
        ];
        let repeated = tables[1].triples[tables[1].rows[1].facts.clone()][1];
        let row = &mut tables[1].rows[1];
        tables[1].triples.insert(row.facts.end, repeated);
        tables[1].origins.push(crate::mapper::NO_COLUMN);
        row.facts.end += 1;
        row.provenance = row.facts.end..row.facts.end;
        let found = check_rows(&terms, &tables, &single(), "r.xlsx");
        assert_eq!(found.conflicts.len(), 1);
        let conflict = &found.conflicts[0];
        assert_eq!(conflict.row, 2);
        assert_eq!(conflict.other.sheet, tables[0].sheet);
        assert_eq!(found.excluded, HashSet::from([(1, 0)]));
        let kept: Vec<Triple> = kept_triples(terms, &mut tables, &found.excluded, vec![])
            .unwrap()
            .collect();
        // a1 and a2 from the first sheet, a3 from the second: each its type
        // and date, once.
        assert_eq!(kept.len(), 6);
    }

    #[test]
    fn shapes_and_subclasses_give_single_valued_properties() {
        let shapes = oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::Turtle)
            .for_slice(
                br#"@prefix sh: <http://www.w3.org/ns/shacl#> .
                <http://x/S> sh:targetClass <http://x/Agreement> ;
                  sh:property [ sh:path <http://x/date> ; sh:maxCount 1 ] ;
                  sh:property [ sh:path <http://x/party> ; sh:minCount 1 ] ."#,
            )
            .map(|q| Triple::from(q.unwrap()))
            .collect::<Vec<_>>();
        let ontology = vec![Triple::new(
            n("Licence"),
            NamedNode::new_unchecked(format!("{RDFS}subClassOf")),
            n("Agreement"),
        )];
        let single = SingleValued::from_triples(&shapes, &ontology);
        assert!(single.is_single(&["http://x/Licence"], "http://x/date"));
        assert!(!single.is_single(&["http://x/Licence"], "http://x/party"));
        assert!(!single.is_single(&["http://x/Other"], "http://x/date"));
    }

    /// The run's facts stand for the store while kept: a fact no earlier
    /// source of the run states is not looked up. Dropped past their limit,
    /// the store is asked again, and a conflict with a source in it found.
    #[test]
    fn the_runs_facts_dropped_past_their_limit_leave_the_checks_to_the_store() {
        let store = Store::new().unwrap();
        let earlier = n("earlier");
        for quad in [
            oxigraph::model::Quad::new(
                n("a1"),
                NamedNode::new_unchecked(public::RDF_TYPE),
                n("Agreement"),
                earlier.clone(),
            ),
            oxigraph::model::Quad::new(
                n("a1"),
                n("date"),
                Literal::new_simple_literal("2016-01-01"),
                earlier.clone(),
            ),
        ] {
            store.insert(&quad).unwrap();
        }
        let mut terms = Terms::default();
        let tables = [table(&mut terms, &[(2, "a1", "2016-03-01")])];
        let own = n("later");
        let conflicts = |run: Option<&RunFacts>| {
            let mut excluded = HashSet::new();
            check_against(&store, &own, &terms, &tables, &single(), &mut excluded, run)
                .unwrap()
                .len()
        };
        assert_eq!(conflicts(None), 1, "the store is asked");
        let kept = RunFacts::within(usize::MAX);
        assert_eq!(conflicts(Some(&kept)), 0, "no earlier source of the run");
        let mut tight = RunFacts::within(0);
        let mut other_terms = Terms::default();
        let other = [table(&mut other_terms, &[(2, "a9", "2016-05-01")])];
        tight.record(
            "other.csv",
            &n("other"),
            &other_terms,
            &other,
            &HashSet::new(),
            &single(),
        );
        assert!(!tight.is_kept());
        assert_eq!(conflicts(Some(&tight)), 1, "dropped: the store is asked");
        let mut roomy = RunFacts::within(usize::MAX);
        roomy.record(
            "other.csv",
            &n("other"),
            &other_terms,
            &other,
            &HashSet::new(),
            &single(),
        );
        assert!(roomy.is_kept() && roomy.values.len() == 1);
    }

    /// The conflicts of `tables`, the source "later", with `store` and
    /// `run`, and the rows they exclude.
    fn checked_as_later(
        store: &Store,
        terms: &Terms,
        tables: &[MappedTable],
        run: &RunFacts,
    ) -> (Vec<Conflict>, HashSet<(usize, usize)>) {
        let mut excluded = HashSet::new();
        let conflicts = check_against(
            store,
            &n("later"),
            terms,
            tables,
            &single(),
            &mut excluded,
            Some(run),
        )
        .unwrap();
        (conflicts, excluded)
    }

    /// A dry run's earlier files are in no store: its facts name their
    /// value and row, and a later file's other value is a conflict with
    /// it, whether the store holds sources or not. Dropped, they say after
    /// which file.
    #[test]
    fn a_dry_runs_facts_name_the_earlier_files_value_and_row() {
        let store = Store::new().unwrap();
        let mut earlier_terms = Terms::default();
        let earlier = [table(&mut earlier_terms, &[(5, "a1", "2016-01-01")])];
        let mut terms = Terms::default();
        let tables = [table(
            &mut terms,
            &[(2, "a1", "2016-03-01"), (3, "a2", "2016-04-01")],
        )];
        for has_sources in [false, true] {
            let mut run = RunFacts::for_dry_run(usize::MAX, has_sources);
            run.record(
                "reports/earlier.csv",
                &n("earlier"),
                &earlier_terms,
                &earlier,
                &HashSet::new(),
                &single(),
            );
            let (conflicts, excluded) = checked_as_later(&store, &terms, &tables, &run);
            assert_eq!(conflicts.len(), 1, "{conflicts:?}");
            assert_eq!(conflicts[0].row, 2);
            assert_eq!(
                conflicts[0].other,
                Origin {
                    file: "reports/earlier.csv".into(),
                    sheet: None,
                    row: Some(5)
                }
            );
            assert!(
                conflicts[0].reason().contains("2016-01-01"),
                "{}",
                conflicts[0].reason()
            );
            assert_eq!(excluded, HashSet::from([(0, 0)]));
        }
        let mut tight = RunFacts::for_dry_run(0, false);
        tight.record(
            "reports/earlier.csv",
            &n("earlier"),
            &earlier_terms,
            &earlier,
            &HashSet::new(),
            &single(),
        );
        assert_eq!(tight.dropped_at(), Some("reports/earlier.csv"));
    }

    /// In a dry run on a store with sources, the store still holds the
    /// previous version of a file the run has already read: a later file
    /// that agrees with its new version conflicts with nothing (the import
    /// replaces the old one first), but with an untouched source it does.
    #[test]
    fn a_dry_run_does_not_check_against_what_its_earlier_files_replace() {
        let store = Store::new().unwrap();
        for graph in ["earlier", "untouched"] {
            let date = Literal::new_simple_literal("2016-01-01");
            for (p, o) in [
                (
                    NamedNode::new_unchecked(public::RDF_TYPE),
                    Term::from(n("Agreement")),
                ),
                (n("date"), Term::from(date)),
            ] {
                let quad = oxigraph::model::Quad::new(n("a1"), p, o, n(graph));
                store.insert(&quad).unwrap();
            }
        }
        let mut new_terms = Terms::default();
        let new_version = [table(&mut new_terms, &[(2, "a1", "2016-03-01")])];
        let mut terms = Terms::default();
        let tables = [table(&mut terms, &[(4, "a1", "2016-03-01")])];
        let conflicts_after = |earlier: &[&str]| {
            let mut run = RunFacts::for_dry_run(usize::MAX, true);
            for graph in earlier {
                run.record(
                    "reports/earlier.csv",
                    &n(graph),
                    &new_terms,
                    &new_version,
                    &HashSet::new(),
                    &single(),
                );
            }
            checked_as_later(&store, &terms, &tables, &run).0
        };
        let with_both = conflicts_after(&[]);
        assert_eq!(with_both.len(), 1, "the store is asked: {with_both:?}");
        let found = conflicts_after(&["earlier"]);
        assert_eq!(found.len(), 1, "the untouched source: {found:?}");
        assert!(
            found[0].reason().contains("2016-01-01"),
            "{}",
            found[0].reason()
        );
        assert!(conflicts_after(&["earlier", "untouched"]).is_empty());
    }
}
#[cfg(test)]
mod lookups_tests {
    use super::*;
    use oxigraph::model::{GraphName, Literal, Quad};

    /// The store and a transaction answer alike: other named graphs count,
    /// the subject's own graph and the default graph do not.
    #[test]
    fn lookups_see_the_other_named_graphs_only() {
        let store = Store::new().unwrap();
        let (s, p) = (
            NamedNode::new_unchecked("urn:s"),
            NamedNode::new_unchecked("urn:p"),
        );
        let quad = |value: &str, graph: GraphName| {
            Quad::new(
                s.clone(),
                p.clone(),
                Literal::new_simple_literal(value),
                graph,
            )
        };
        let (g1, g2) = (
            NamedNode::new_unchecked("urn:g1"),
            NamedNode::new_unchecked("urn:g2"),
        );
        store.insert(&quad("one", g1.clone().into())).unwrap();
        store
            .insert(&quad("default", GraphName::DefaultGraph))
            .unwrap();
        let subject = NamedOrBlankNodeRef::from(s.as_ref());
        assert!(!store.described_elsewhere(subject, &g1).unwrap());
        assert!(store.described_elsewhere(subject, &g2).unwrap());
        let literal = |v: &str| Term::from(Literal::new_simple_literal(v));
        let other = |reader: &dyn QuadReader, object: &str, own: &NamedNode| {
            let mut found = reader
                .other_objects(subject, p.as_ref(), literal(object).as_ref(), own)
                .unwrap();
            found.sort_by(|a, b| a.1.as_str().cmp(b.1.as_str()));
            found
        };
        // Another graph's differing value; not one that agrees, not the own
        // graph's, never the default graph's.
        assert_eq!(other(&store, "zero", &g2), [(literal("one"), g1.clone())]);
        assert_eq!(other(&store, "one", &g2), []);
        assert_eq!(other(&store, "zero", &g1), []);
        let mut transaction = store.start_transaction().unwrap();
        transaction.insert(&quad("two", g2.clone().into()));
        assert!(transaction.described_elsewhere(subject, &g1).unwrap());
        assert_eq!(
            other(&transaction, "one", &g1),
            [(literal("two"), g2.clone())]
        );
        let g3 = NamedNode::new_unchecked("urn:g3");
        assert_eq!(
            other(&transaction, "three", &g3),
            [(literal("one"), g1.clone()), (literal("two"), g2.clone())]
        );
        drop(transaction);

        // A number agrees with the same value written otherwise, as the
        // store keeps it ("10.0" is kept as 10).
        let decimal = |v: &str| {
            Term::from(Literal::new_typed_literal(
                v,
                oxigraph::model::vocab::xsd::DECIMAL,
            ))
        };
        let amount = NamedNode::new_unchecked("urn:amount");
        store
            .insert(&Quad::new(
                s.clone(),
                amount.clone(),
                decimal("10.0"),
                g1.clone(),
            ))
            .unwrap();
        let others = |v: &str| {
            store
                .other_objects(subject, amount.as_ref(), decimal(v).as_ref(), &g2)
                .unwrap()
        };
        assert_eq!(others("10"), []);
        assert_eq!(others("11").len(), 1);
    }
}

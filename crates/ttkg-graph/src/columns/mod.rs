//! A columnar copy of the facts that the heaviest saved questions group
//! over, kept in step with each named graph.
//!
//! oxigraph joins a million agreements to their countries, values and dates
//! at about two seconds a join, so a question that groups every agreement
//! takes ten. The copy holds, for each named graph at each of its stamps
//! (see [`crate::stamps`]), the pairs (subject, object) of a few predicates
//! ([`Fact`]) as 128-bit hashes of the terms' N-Triples text, and the text of
//! the objects a question shows, in Parquet files under
//! `STORE/columns/<key>/`. A graph's files are written once for a stamp and
//! never changed: the stamp changes before the graph may, so files whose
//! key matches the stamp hold the graph as it is.
//!
//! The union of the graphs' pairs is the default graph's as long as the
//! store's own default graph holds nothing, so that the default graph is
//! the union of the named graphs (see [`crate::union`]); where it holds
//! facts (a `ttkg load` of another dataset) there is no copy.
//!
//! Each published snapshot links in the copy of its own state
//! ([`KnowledgeStore::publish_snapshot`]), so that query workers read the
//! copy that matches what they query. A question uses the copy only through
//! the blocks of its text that [`blocks`] knows word for word; everything
//! else is evaluated by oxigraph as written, and anything the copy cannot
//! answer exactly leaves the question to SPARQL.

mod blocks;

use std::cell::OnceCell;
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use oxigraph::model::{GraphNameRef, Literal, NamedNode, NamedNodeRef, Term, TermRef, TripleRef};
use polars::prelude::*;
use siphasher::sip128::{Hasher128, SipHasher13};
use ttkg_vocab::{public, ttkg};

use crate::error::GraphError;
use crate::stamps::GraphStamps;
use crate::store::KnowledgeStore;

pub(crate) use blocks::rewrite;

/// The copy's folder, in a store's folder and in each snapshot's.
pub const COLUMNS: &str = "columns";
/// In a snapshot's copy: the keys of its graphs, written last, so that a
/// copy without it is not whole.
const KEYS: &str = "keys";
const STAGING: &str = "tmp-";

/// The facts the copy keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Fact {
    /// `?a a ttkg:Agreement`.
    Agreement,
    PartnerCountry,
    Amount,
    ValueCny,
    SigningDate,
    Transferor,
    Transferee,
    /// `?a ttkg:technology ?t`.
    Technology,
    /// `?t a ttkg:Technology`.
    TechnologyType,
    TechnologyField,
}

impl Fact {
    const ALL: [Fact; 10] = [
        Fact::Agreement,
        Fact::PartnerCountry,
        Fact::Amount,
        Fact::ValueCny,
        Fact::SigningDate,
        Fact::Transferor,
        Fact::Transferee,
        Fact::Technology,
        Fact::TechnologyType,
        Fact::TechnologyField,
    ];

    fn file(self) -> &'static str {
        match self {
            Fact::Agreement => "agreement",
            Fact::PartnerCountry => "partner-country",
            Fact::Amount => "amount",
            Fact::ValueCny => "value-cny",
            Fact::SigningDate => "signing-date",
            Fact::Transferor => "transferor",
            Fact::Transferee => "transferee",
            Fact::Technology => "technology",
            Fact::TechnologyType => "technology-type",
            Fact::TechnologyField => "technology-field",
        }
    }

    fn predicate(self) -> NamedNode {
        NamedNode::new_unchecked(self.predicate_iri())
    }

    fn predicate_iri(self) -> &'static str {
        static IRIS: OnceLock<[String; Fact::ALL.len()]> = OnceLock::new();
        let iris = IRIS.get_or_init(|| {
            Fact::ALL.map(|fact| match fact {
                Fact::Agreement | Fact::TechnologyType => public::RDF_TYPE.to_owned(),
                Fact::PartnerCountry => ttkg::iri("partnerCountry"),
                Fact::Amount => ttkg::iri("amount"),
                Fact::ValueCny => ttkg::iri(ttkg::VALUE_CNY),
                Fact::SigningDate => ttkg::iri("signingDate"),
                Fact::Transferor => ttkg::iri("transferor"),
                Fact::Transferee => ttkg::iri("transferee"),
                Fact::Technology => ttkg::iri("technology"),
                Fact::TechnologyField => ttkg::iri("technologyField"),
            })
        });
        &iris[self as usize]
    }

    /// The object when the pattern fixes it.
    fn object(self) -> Option<NamedNode> {
        match self {
            Fact::Agreement => Some(NamedNode::new_unchecked(ttkg::iri("Agreement"))),
            Fact::TechnologyType => Some(NamedNode::new_unchecked(ttkg::iri("Technology"))),
            _ => None,
        }
    }

    /// Whether a question shows or computes with the objects' values (the
    /// others are only joined on).
    fn keeps_text(self) -> bool {
        !matches!(self, Fact::Agreement | Fact::Amount | Fact::TechnologyType)
    }
}

/// The hash a term is kept by: SipHash-1-3, 128 bits, of its N-Triples
/// text (oxigraph keys its strings by 128-bit SipHash too).
pub(crate) fn hash(text: &str) -> u128 {
    let mut hasher = SipHasher13::new_with_keys(0x7474_6b67_2d63_6f6c, 0x756d_6e73_2d76_3031);
    std::hash::Hasher::write(&mut hasher, text.as_bytes());
    hasher.finish128().as_u128()
}

/// The copy's layout, part of every folder's key: a folder written with
/// other facts is never read, and the next publish writes the graph's
/// files again.
const LAYOUT: &str = "facts 2";

/// The folder name of `graph`'s files at `stamp`.
fn key(graph: &str, stamp: &str) -> String {
    format!("{:032x}", hash(&format!("{LAYOUT}\n{graph}\n{stamp}")))
}

/// Whether `dir` holds a file of every fact (a snapshot's list may name
/// folders of an older layout).
fn is_whole(dir: &Path) -> bool {
    Fact::ALL
        .iter()
        .all(|fact| dir.join(format!("{}.parquet", fact.file())).is_file())
}

fn io(path: &Path, e: impl std::fmt::Display) -> GraphError {
    GraphError::Io(format!("the columnar copy, {}: {e}", path.display()))
}

/// The copy of a store's state: the folders of its graphs, and what has
/// been read of them (a question's blocks share their facts: the two of
/// `technologies-to-country` read five of them each).
pub(crate) struct Copy {
    dirs: Vec<PathBuf>,
    pairs: [OnceCell<Pairs>; Fact::ALL.len()],
    texts: [OnceCell<HashMap<u128, String>>; Fact::ALL.len()],
}

/// A fact's pairs over every graph, sorted by subject, each pair once.
pub(crate) type Pairs = Vec<(u128, u128)>;

impl Copy {
    fn new(dirs: Vec<PathBuf>) -> Copy {
        Copy {
            dirs,
            pairs: Default::default(),
            texts: Default::default(),
        }
    }

    /// The pairs of `fact` in the union of the graphs, read once.
    pub(crate) fn pairs(&self, fact: Fact) -> Result<&Pairs, GraphError> {
        let cell = &self.pairs[fact as usize];
        if let Some(pairs) = cell.get() {
            return Ok(pairs);
        }
        let pairs = self.read_pairs(fact)?;
        Ok(cell.get_or_init(|| pairs))
    }

    /// The text of every object of `fact`, by hash, read once.
    pub(crate) fn texts(&self, fact: Fact) -> Result<&HashMap<u128, String>, GraphError> {
        let cell = &self.texts[fact as usize];
        if let Some(texts) = cell.get() {
            return Ok(texts);
        }
        let texts = self.read_texts(fact)?;
        Ok(cell.get_or_init(|| texts))
    }

    fn read_pairs(&self, fact: Fact) -> Result<Pairs, GraphError> {
        let mut pairs = Vec::new();
        for dir in &self.dirs {
            let path = dir.join(format!("{}.parquet", fact.file()));
            let frame = read_frame(&path)?;
            let column = |name: &str| -> Result<Vec<u64>, GraphError> {
                let values = frame
                    .column(name)
                    .and_then(|c| c.u64().cloned())
                    .map_err(|e| io(&path, e))?;
                values
                    .iter()
                    .map(|v| v.ok_or_else(|| io(&path, "a missing hash")))
                    .collect()
            };
            let (s_hi, s_lo, o_hi, o_lo) = (
                column("s_hi")?,
                column("s_lo")?,
                column("o_hi")?,
                column("o_lo")?,
            );
            for i in 0..s_hi.len() {
                pairs.push((join(s_hi[i], s_lo[i]), join(o_hi[i], o_lo[i])));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        Ok(pairs)
    }

    fn read_texts(&self, fact: Fact) -> Result<HashMap<u128, String>, GraphError> {
        let mut texts = HashMap::new();
        for dir in &self.dirs {
            let path = dir.join(format!("{}.terms.parquet", fact.file()));
            let frame = read_frame(&path)?;
            let hashes = |name: &str| {
                frame
                    .column(name)
                    .and_then(|c| c.u64().cloned())
                    .map_err(|e| io(&path, e))
            };
            let (hi, lo) = (hashes("hi")?, hashes("lo")?);
            let text = frame
                .column("text")
                .and_then(|c| c.str().cloned())
                .map_err(|e| io(&path, e))?;
            for ((hi, lo), text) in hi.iter().zip(lo.iter()).zip(text.iter()) {
                let (Some(hi), Some(lo), Some(text)) = (hi, lo, text) else {
                    return Err(io(&path, "a missing term"));
                };
                texts.entry(join(hi, lo)).or_insert_with(|| text.to_owned());
            }
        }
        Ok(texts)
    }
}

fn join(hi: u64, lo: u64) -> u128 {
    (u128::from(hi) << 64) | u128::from(lo)
}

fn split(value: u128) -> (u64, u64) {
    ((value >> 64) as u64, value as u64)
}

fn read_frame(path: &Path) -> Result<DataFrame, GraphError> {
    let file = File::open(path).map_err(|e| io(path, e))?;
    ParquetReader::new(file).finish().map_err(|e| io(path, e))
}

fn write_frame(mut frame: DataFrame, path: &Path) -> Result<(), GraphError> {
    let mut file = File::create(path).map_err(|e| io(path, e))?;
    ParquetWriter::new(&mut file)
        .finish(&mut frame)
        .map_err(|e| io(path, e))?;
    file.sync_all().map_err(|e| io(path, e))
}

/// The copy that answers for `store`, if it has a whole one: a snapshot's
/// own, or for the store itself the files of its graphs at their stamps.
pub(crate) fn for_reading(store: &KnowledgeStore) -> Option<Copy> {
    let dir = store.path()?;
    let columns = dir.join(COLUMNS);
    if !store.is_writable() {
        let keys = std::fs::read_to_string(columns.join(KEYS)).ok()?;
        let dirs: Vec<PathBuf> = keys.lines().map(|key| columns.join(key)).collect();
        return dirs.iter().all(|d| is_whole(d)).then(|| Copy::new(dirs));
    }
    let stamps = store.graph_stamps().ok()??;
    if !store.stored_default_graph_is_empty().ok()? {
        return None;
    }
    let (_, keys) = current_keys(store, &stamps).ok()?;
    let dirs: Vec<PathBuf> = keys.iter().map(|key| columns.join(key)).collect();
    dirs.iter().all(|d| is_whole(d)).then(|| Copy::new(dirs))
}

/// The store's named graphs and the keys of their files at `stamps`.
fn current_keys(
    store: &KnowledgeStore,
    stamps: &GraphStamps,
) -> Result<(Vec<NamedNode>, Vec<String>), GraphError> {
    let mut graphs = Vec::new();
    for graph in store.store().named_graphs() {
        match graph? {
            oxigraph::model::NamedOrBlankNode::NamedNode(graph) => graphs.push(graph),
            // Never written by ttkg; its facts are in no file.
            oxigraph::model::NamedOrBlankNode::BlankNode(_) => {
                return Err(GraphError::Io("a graph named by a blank node".into()))
            }
        }
    }
    let keys = graphs
        .iter()
        .map(|g| key(g.as_str(), &stamps.of(g.as_str())))
        .collect();
    Ok((graphs, keys))
}

/// Brings the copy in step with the store, which this process holds for
/// writing: writes the files of every graph at a stamp that has none,
/// removes those of stamps gone, and returns the keys of the store's state
/// (`None`: no copy answers for it, and questions run as SPARQL).
pub(crate) fn refresh(store: &KnowledgeStore) -> Result<Option<Vec<String>>, GraphError> {
    let (Some(dir), Some(stamps)) = (store.path(), store.graph_stamps()?) else {
        return Ok(None);
    };
    let columns = dir.join(COLUMNS);
    let _turn = WRITING.lock().unwrap_or_else(|p| p.into_inner());
    std::fs::create_dir_all(&columns).map_err(|e| io(&columns, e))?;
    let (graphs, keys) = current_keys(store, &stamps)?;
    let missing: Vec<(&NamedNode, &String)> = graphs
        .iter()
        .zip(&keys)
        .filter(|(_, key)| !columns.join(key).is_dir())
        .collect();
    if !missing.is_empty() {
        tracing::info!(graphs = missing.len(), "writing the columnar copy");
    }
    extract_all(store, &missing, &columns)?;
    let union = store.stored_default_graph_is_empty()?;
    remove_stale(&columns, &keys);
    Ok(union.then_some(keys))
}

/// Writes the files of the graphs `missing`, on as many threads as there
/// are cores (a graph's time goes to reading its terms back as text).
fn extract_all(
    store: &KnowledgeStore,
    missing: &[(&NamedNode, &String)],
    columns: &Path,
) -> Result<(), GraphError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(missing.len());
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> Result<(), GraphError> {
                    while let Some((graph, key)) = missing.get(next.fetch_add(1, Ordering::Relaxed))
                    {
                        extract(store, graph.as_ref(), columns, key)?;
                    }
                    Ok(())
                })
            })
            .collect();
        workers.into_iter().try_for_each(|worker| {
            worker
                .join()
                .unwrap_or_else(|_| Err(GraphError::Io("the columnar copy's writer failed".into())))
        })
    })
}

/// Writes `graph`'s files under `columns/<key>`, read back from the store
/// (each term decoded from RocksDB: 8 s for 100,000 agreements, where a
/// write that hands its triples over ([`Extract::add`]) spends a tenth).
fn extract(
    store: &KnowledgeStore,
    graph: NamedNodeRef<'_>,
    columns: &Path,
    key: &str,
) -> Result<(), GraphError> {
    let mut extract = Extract::default();
    for fact in Fact::ALL {
        let predicate = fact.predicate();
        let object = fact.object().map(Term::from);
        for quad in store.store().quads_for_pattern(
            None,
            Some(predicate.as_ref()),
            object.as_ref().map(Term::as_ref),
            Some(GraphNameRef::NamedNode(graph)),
        ) {
            let quad = quad?;
            extract.push(fact, &quad.subject.to_string(), quad.object.to_string());
        }
    }
    extract.write(graph, columns, key)
}

/// The copy's facts of one graph, gathered from its triples before they
/// are written to a file.
#[derive(Default)]
pub(crate) struct Extract {
    /// Per [`Fact`]: the hashes of subjects and objects.
    pairs: [[Vec<u64>; 4]; Fact::ALL.len()],
    /// Per [`Fact`] that keeps them: the objects' text by hash.
    texts: [HashMap<u128, String>; Fact::ALL.len()],
}

/// The N-Triples text of `term` as the store gives it back: oxigraph keeps
/// a literal of an XSD type it parses by its value, so that `"10.0"` of
/// `xsd:decimal` comes back as `"10"`, and `"5"` of `xsd:int` as an
/// `xsd:integer` (the mapping of oxigraph 0.5's `numeric_encoder`).
fn as_stored(term: TermRef<'_>) -> String {
    use oxigraph::model::vocab::xsd;
    use oxsdatatypes::*;
    let TermRef::Literal(literal) = term else {
        return term.to_string();
    };
    let (value, datatype) = (literal.value(), literal.datatype());
    fn parsed<T: std::str::FromStr>(value: &str) -> Option<Literal>
    where
        Literal: From<T>,
    {
        value.parse::<T>().ok().map(Literal::from)
    }
    let integers = [
        xsd::INTEGER,
        xsd::BYTE,
        xsd::SHORT,
        xsd::INT,
        xsd::LONG,
        xsd::UNSIGNED_BYTE,
        xsd::UNSIGNED_SHORT,
        xsd::UNSIGNED_INT,
        xsd::UNSIGNED_LONG,
        xsd::POSITIVE_INTEGER,
        xsd::NEGATIVE_INTEGER,
        xsd::NON_POSITIVE_INTEGER,
        xsd::NON_NEGATIVE_INTEGER,
    ];
    let canonical = if literal.language().is_some() {
        None
    } else if integers.contains(&datatype) {
        parsed::<Integer>(value)
    } else if datatype == xsd::BOOLEAN {
        parsed::<Boolean>(value)
    } else if datatype == xsd::FLOAT {
        parsed::<Float>(value)
    } else if datatype == xsd::DOUBLE {
        parsed::<Double>(value)
    } else if datatype == xsd::DECIMAL {
        parsed::<Decimal>(value)
    } else if datatype == xsd::DATE_TIME || datatype == xsd::DATE_TIME_STAMP {
        parsed::<DateTime>(value)
    } else if datatype == xsd::TIME {
        parsed::<Time>(value)
    } else if datatype == xsd::DATE {
        parsed::<Date>(value)
    } else if datatype == xsd::G_YEAR_MONTH {
        parsed::<GYearMonth>(value)
    } else if datatype == xsd::G_YEAR {
        parsed::<GYear>(value)
    } else if datatype == xsd::G_MONTH_DAY {
        parsed::<GMonthDay>(value)
    } else if datatype == xsd::G_DAY {
        parsed::<GDay>(value)
    } else if datatype == xsd::G_MONTH {
        parsed::<GMonth>(value)
    } else if datatype == xsd::DURATION {
        parsed::<Duration>(value)
    } else if datatype == xsd::YEAR_MONTH_DURATION {
        parsed::<YearMonthDuration>(value)
    } else if datatype == xsd::DAY_TIME_DURATION {
        parsed::<DayTimeDuration>(value)
    } else {
        None
    };
    match canonical {
        Some(literal) => literal.to_string(),
        None => term.to_string(),
    }
}

impl Extract {
    /// Takes `triple` in when it states one of the facts.
    pub(crate) fn add(&mut self, triple: TripleRef<'_>) {
        let predicate = triple.predicate.as_str();
        for fact in Fact::ALL {
            if fact.predicate_iri() != predicate {
                continue;
            }
            if fact
                .object()
                .is_some_and(|o| TermRef::from(o.as_ref()) != triple.object)
            {
                continue;
            }
            self.push(fact, &triple.subject.to_string(), as_stored(triple.object));
        }
    }

    /// What the copy holds, in bytes (its vectors' and texts' room).
    pub(crate) fn held_bytes(&self) -> usize {
        let pairs: usize = self.pairs.iter().flatten().map(|c| c.capacity() * 8).sum();
        let texts: usize = self
            .texts
            .iter()
            .map(|t| t.capacity() * 48 + t.values().map(String::capacity).sum::<usize>())
            .sum();
        pairs + texts
    }

    fn push(&mut self, fact: Fact, subject: &str, object: String) {
        let i = fact as usize;
        let (s_hi, s_lo) = split(hash(subject));
        let o = hash(&object);
        let (o_hi, o_lo) = split(o);
        for (column, value) in self.pairs[i].iter_mut().zip([s_hi, s_lo, o_hi, o_lo]) {
            column.push(value);
        }
        if fact.keeps_text() {
            self.texts[i].entry(o).or_insert(object);
        }
    }

    /// Writes the files of `graph` under `columns/<key>`, whole or not at
    /// all (through a staging folder renamed last).
    pub(crate) fn write(
        self,
        graph: NamedNodeRef<'_>,
        columns: &Path,
        key: &str,
    ) -> Result<(), GraphError> {
        let staging = columns.join(format!("{STAGING}{key}"));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| io(&staging, e))?;
        }
        std::fs::create_dir_all(&staging).map_err(|e| io(&staging, e))?;
        for ((fact, pairs), texts) in Fact::ALL.into_iter().zip(self.pairs).zip(self.texts) {
            let [s_hi, s_lo, o_hi, o_lo] = pairs;
            let frame = DataFrame::new(
                s_hi.len(),
                vec![
                    Column::new("s_hi".into(), s_hi),
                    Column::new("s_lo".into(), s_lo),
                    Column::new("o_hi".into(), o_hi),
                    Column::new("o_lo".into(), o_lo),
                ],
            )
            .map_err(|e| io(&staging, e))?;
            write_frame(frame, &staging.join(format!("{}.parquet", fact.file())))?;
            if fact.keeps_text() {
                let (mut hi, mut lo, mut text) = (Vec::new(), Vec::new(), Vec::new());
                for (hash, value) in texts {
                    let (h, l) = split(hash);
                    hi.push(h);
                    lo.push(l);
                    text.push(value);
                }
                let frame = DataFrame::new(
                    hi.len(),
                    vec![
                        Column::new("hi".into(), hi),
                        Column::new("lo".into(), lo),
                        Column::new("text".into(), text),
                    ],
                )
                .map_err(|e| io(&staging, e))?;
                write_frame(
                    frame,
                    &staging.join(format!("{}.terms.parquet", fact.file())),
                )?;
            }
        }
        let named = staging.join("graph");
        std::fs::write(&named, format!("{graph}\n")).map_err(|e| io(&named, e))?;
        let target = columns.join(key);
        if target.is_dir() {
            // Written for this stamp already (the same graph, so the same files).
            return std::fs::remove_dir_all(&staging).map_err(|e| io(&staging, e));
        }
        std::fs::rename(&staging, &target).map_err(|e| io(&target, e))
    }
}

/// One at a time: the copy's folders are written by a graph's write and by
/// [`refresh`], which also removes what it finds half-written.
static WRITING: Mutex<()> = Mutex::new(());

/// The copy of a graph that a write of ttkg's is giving new content, from
/// the triples it writes (no copy where the store keeps no stamps).
pub(crate) struct GraphCopy(Option<(GraphStamps, Extract)>);

impl GraphCopy {
    /// For a write that stamped the store with `stamps`.
    pub(crate) fn for_write(stamps: Option<GraphStamps>) -> Self {
        GraphCopy(stamps.map(|stamps| (stamps, Extract::default())))
    }

    /// Whether the triples given to [`Self::add`] are kept (the store keeps
    /// stamps), and so take memory as they come.
    pub(crate) fn is_gathering(&self) -> bool {
        self.0.is_some()
    }

    /// Takes in a triple of the graph's new content.
    pub(crate) fn add(&mut self, triple: TripleRef<'_>) {
        if let Some((_, extract)) = &mut self.0 {
            extract.add(triple);
        }
    }

    /// Writes the files once the write has committed `graph`'s content.
    /// A failure is only warned of: the next snapshot reads the graph back
    /// from the store instead.
    pub(crate) fn finish(self, store: &KnowledgeStore, graph: NamedNodeRef<'_>) {
        let (Some((stamps, extract)), Some(dir)) = (self.0, store.path()) else {
            return;
        };
        tracing::debug!(
            graph = graph.as_str(),
            mib = extract.held_bytes() >> 20,
            "the columnar copy's facts gathered"
        );
        let columns = dir.join(COLUMNS);
        let _turn = WRITING.lock().unwrap_or_else(|p| p.into_inner());
        let written = std::fs::create_dir_all(&columns)
            .map_err(|e| io(&columns, e))
            .and_then(|()| {
                extract.write(
                    graph,
                    &columns,
                    &key(graph.as_str(), &stamps.of(graph.as_str())),
                )
            });
        if let Err(e) = written {
            tracing::warn!("{e}: the copy of {graph} is read back from the store when the next snapshot is published");
        }
    }
}

/// Removes the files of stamps that are gone (and what a stopped writer
/// left half-written).
fn remove_stale(columns: &Path, keys: &[String]) {
    let Ok(entries) = std::fs::read_dir(columns) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && !keys.contains(&name) {
            if let Err(e) = std::fs::remove_dir_all(entry.path()) {
                tracing::warn!("cannot remove {}: {e}", entry.path().display());
            }
        }
    }
}

/// Links the copy of `keys` (in `store_dir`'s copy) into the snapshot
/// folder `snapshot`, the list of keys last.
pub(crate) fn link_into(
    store_dir: &Path,
    keys: &[String],
    snapshot: &Path,
) -> Result<(), GraphError> {
    let columns = store_dir.join(COLUMNS);
    let target = snapshot.join(COLUMNS);
    std::fs::create_dir(&target).map_err(|e| io(&target, e))?;
    for key in keys {
        let (from, to) = (columns.join(key), target.join(key));
        std::fs::create_dir(&to).map_err(|e| io(&to, e))?;
        for entry in std::fs::read_dir(&from).map_err(|e| io(&from, e))? {
            let entry = entry.map_err(|e| io(&from, e))?;
            let to = to.join(entry.file_name());
            std::fs::hard_link(entry.path(), &to).map_err(|e| io(&to, e))?;
        }
    }
    let list = target.join(KEYS);
    std::fs::write(
        &list,
        keys.iter().map(|k| format!("{k}\n")).collect::<String>(),
    )
    .map_err(|e| io(&list, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Snapshot;
    use oxigraph::io::RdfFormat;
    use oxigraph::model::{Literal, Variable};
    use oxigraph::sparql::QueryResults;

    const PREFIXES: &str = "@prefix ttkg: <https://w3id.org/ttkg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix : <urn:x:> .
";

    /// Reference data, then two reports: a fact both state counts once;
    /// agreements without a value, a date or a country, in two countries,
    /// with two amounts, a party in both roles, dates of three kinds; with
    /// two technologies, one untyped, a technology without a name, without
    /// a field, in two fields, a field with two English labels and one
    /// with none.
    const GRAPHS: &[(&str, &str)] = &[
        (
            "urn:g:ref",
            r#"
<https://w3id.org/ttkg/vocab/country/VN> ttkg:isoCode "VN" ; skos:prefLabel "Viet Nam"@en, "越南"@zh .
<https://w3id.org/ttkg/vocab/country/TH> ttkg:isoCode "TH" ; skos:prefLabel "Thailand"@en .
:o1 skos:prefLabel "Org one" ; ttkg:country <https://w3id.org/ttkg/vocab/country/VN> .
:o2 skos:prefLabel "Org two" .
:o3 skos:prefLabel "Org three" .
:t2 a ttkg:Technology .
:f1 skos:prefLabel "Field one"@en, "领域一"@zh .
:f2 skos:prefLabel "Field two"@en, "Field deux"@en .
:f3 skos:prefLabel "Field three"@fr .
"#,
        ),
        (
            "urn:g:one",
            r#"
:a1 a ttkg:Agreement ; ttkg:partnerCountry <https://w3id.org/ttkg/vocab/country/VN> ;
    ttkg:amount :m1 ; ttkg:signingDate "2016-05-01"^^xsd:date ; ttkg:transferor :o1 ; ttkg:transferee :o2 .
:m1 ttkg:valueCny 100.5 .
:a2 a ttkg:Agreement ; ttkg:partnerCountry <https://w3id.org/ttkg/vocab/country/VN> ;
    ttkg:signingDate "2016-07-01"^^xsd:date ; ttkg:transferor :o1 ; ttkg:transferee :o1 .
:a3 a ttkg:Agreement ; ttkg:partnerCountry <https://w3id.org/ttkg/vocab/country/TH> ;
    ttkg:amount :m3 ; ttkg:transferor :o2 .
:m3 ttkg:valueCny 200 .
:a4 a ttkg:Agreement ; ttkg:partnerCountry <https://w3id.org/ttkg/vocab/country/VN>, <https://w3id.org/ttkg/vocab/country/TH> ;
    ttkg:amount :m4a, :m4b ; ttkg:signingDate "2015"^^xsd:gYear ; ttkg:transferor :o3 .
:m4a ttkg:valueCny 10.0 .
:m4b ttkg:valueCny "020"^^xsd:int .
:a5 a ttkg:Agreement ; ttkg:signingDate "2016-01-02"^^xsd:date ; ttkg:transferee :o3 .
:a1 ttkg:technology :t1, :t2 ; ttkg:technologyField :f1 .
:a2 ttkg:technology :t1 .
:a3 ttkg:technology :t3 ; ttkg:technologyField :f2 .
:a4 ttkg:technology :t2, :t3 ; ttkg:technologyField :f1, :f2 .
:a5 ttkg:technology :t1 ; ttkg:technologyField :f1 .
:t1 a ttkg:Technology ; skos:prefLabel "Tech one"@en, "技术一"@zh .
:x1 ttkg:technology :t1 ; ttkg:partnerCountry <https://w3id.org/ttkg/vocab/country/VN> ; ttkg:signingDate "2016-01-02"^^xsd:date .
"#,
        ),
        (
            "urn:g:two",
            r#"
:a1 a ttkg:Agreement ; ttkg:partnerCountry <https://w3id.org/ttkg/vocab/country/VN> ;
    ttkg:amount :m1 ; ttkg:signingDate "2016-05-01"^^xsd:date ; ttkg:transferor :o1 ; ttkg:transferee :o2 .
:m1 ttkg:valueCny 100.5 .
:a6 a ttkg:Agreement ; ttkg:partnerCountry <https://w3id.org/ttkg/vocab/country/VN> ;
    ttkg:amount :m6 ; ttkg:signingDate "2017-03-03"^^xsd:date ; ttkg:transferor :o2 .
:m6 ttkg:valueCny 0.25 .
:a1 ttkg:technology :t1 ; ttkg:technologyField :f1 .
:a6 ttkg:technology :t1 ; ttkg:technologyField :f3 .
:t1 a ttkg:Technology ; skos:prefLabel "Tech one"@en .
"#,
        ),
    ];

    fn triples(turtle: &str) -> Vec<oxigraph::model::Triple> {
        crate::parse_triples(format!("{PREFIXES}{turtle}").as_bytes(), RdfFormat::Turtle).unwrap()
    }

    fn store_with(graphs: &[(&str, &str)]) -> (tempfile::TempDir, KnowledgeStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = KnowledgeStore::open(dir.path()).unwrap();
        for (graph, turtle) in graphs {
            store
                .replace_graph(&NamedNode::new_unchecked(*graph), &triples(turtle))
                .unwrap();
        }
        (dir, store)
    }

    /// The questions with a marked block, and their parameters.
    fn questions() -> Vec<(String, Vec<(Variable, Term)>)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries");
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        let period = |p: &str| {
            vec![(
                Variable::new_unchecked("period"),
                Literal::new_simple_literal(p).into(),
            )]
        };
        let country = |code: &str| {
            vec![(
                Variable::new_unchecked("country"),
                Literal::new_simple_literal(code).into(),
            )]
        };
        vec![
            (read("agreements-by-country.rq"), vec![]),
            (read("top-organisations.rq"), vec![]),
            (read("period-agreements.rq"), period("2016")),
            (read("period-agreements.rq"), period("2016-05")),
            (read("period-figures.rq"), period("2016")),
            (read("period-figures.rq"), period("2015-11")),
            (read("period-figures.rq"), period("2016-06")),
            (read("headline-figures.rq"), vec![]),
            (read("technologies-to-country.rq"), country("VN")),
            (read("technologies-to-country.rq"), country("TH")),
        ]
    }

    fn answer(
        store: &KnowledgeStore,
        sparql: &str,
        bindings: &[(Variable, Term)],
    ) -> Vec<Vec<Option<String>>> {
        let QueryResults::Solutions(solutions) = store.query_with(sparql, bindings, None).unwrap()
        else {
            panic!("a SELECT")
        };
        let variables = solutions.variables().to_vec();
        solutions
            .map(|s| {
                let s = s.unwrap();
                variables
                    .iter()
                    .map(|v| s.get(v).map(Term::to_string))
                    .collect()
            })
            .collect()
    }

    /// Each question answers from the copy (its text is rewritten) exactly
    /// what SPARQL alone answers, on the store and on its snapshot.
    fn assert_same_answers(store: &KnowledgeStore, rewritten: bool) {
        for (sparql, bindings) in questions() {
            let title = sparql.lines().next().unwrap().to_owned();
            assert_eq!(
                store.columnar_rewrite(&sparql, &bindings).is_some(),
                rewritten,
                "{title}"
            );
            let columnar = answer(store, &sparql, &bindings);
            store.set_answers_from_columns(false);
            let plain = answer(store, &sparql, &bindings);
            store.set_answers_from_columns(true);
            assert!(!plain.is_empty(), "{title}");
            assert_eq!(columnar, plain, "{title}");
        }
    }

    #[test]
    fn marked_blocks_answer_from_the_copy_exactly_what_sparql_answers() {
        let (dir, store) = store_with(GRAPHS);
        // Each write wrote its graph's copy.
        assert_same_answers(&store, true);
        store.publish_snapshot().unwrap();
        let snapshot = Snapshot::open_latest(dir.path()).unwrap();
        assert_same_answers(&snapshot.store, true);

        // The figures themselves, so that both being wrong alike fails too:
        // Viet Nam 2016 holds a1 once (stated twice) and a2 without a value.
        let (sparql, _) = &questions()[0];
        let rows = answer(&store, sparql, &[]);
        let row = |country: &str, year: &str| {
            rows.iter()
                .find(|r| r[0].as_deref() == Some(country) && r[2].as_deref() == Some(year))
                .cloned()
                .unwrap_or_else(|| panic!("{country} {year} in {rows:?}"))
        };
        let integer = |n: &str| format!("\"{n}\"^^<http://www.w3.org/2001/XMLSchema#integer>");
        let decimal = |n: &str| format!("\"{n}\"^^<http://www.w3.org/2001/XMLSchema#decimal>");
        let vn2016 = row("\"Viet Nam\"@en", &integer("2016"));
        assert_eq!(
            vn2016[3..],
            [
                Some(integer("2")),
                Some(decimal("100.5")),
                Some(integer("1"))
            ]
        );
        // a4 in both countries, with both its amounts: 10.0 + 20.
        let th2015 = row("\"Thailand\"@en", &integer("2015"));
        assert_eq!(
            th2015[3..],
            [Some(integer("2")), Some(decimal("30")), Some(integer("0"))]
        );

        // Technologies to Viet Nam: a1 (stated twice) and a4 in Field one,
        // with t1 named in Chinese and t2 by its IRI; a4's untyped t3 left
        // out; a2 without a field; a6's field without an English label by
        // its IRI; the non-agreement x1 nowhere.
        let (sparql, bindings) = &questions()[8];
        let rewritten = store.columnar_rewrite(sparql, bindings).unwrap();
        assert!(!rewritten.contains("ttkg:technologyField"), "both blocks");
        let plain = |s: &str| Some(format!("\"{s}\""));
        let en = |s: &str| Some(format!("\"{s}\"@en"));
        let rows: Vec<Vec<Option<String>>> = answer(&store, sparql, bindings)
            .into_iter()
            .map(|row| row[..4].to_vec())
            .collect();
        assert_eq!(
            rows,
            [
                [
                    en("Field one"),
                    Some(integer("2")),
                    Some(integer("2")),
                    plain("urn:x:t2; 技术一")
                ],
                [
                    plain("(no field)"),
                    Some(integer("1")),
                    Some(integer("1")),
                    plain("技术一")
                ],
                [
                    en("Field deux"),
                    Some(integer("1")),
                    Some(integer("1")),
                    plain("urn:x:t2")
                ],
                [
                    plain("urn:x:f3"),
                    Some(integer("1")),
                    Some(integer("1")),
                    plain("技术一")
                ],
            ]
        );
    }

    #[test]
    fn a_write_gives_its_graph_the_copy_that_reading_the_store_back_gives() {
        let (dir, store) = store_with(GRAPHS);
        let stamps = store.graph_stamps().unwrap().unwrap();
        let read_back = tempfile::tempdir().unwrap();
        for (graph, _) in GRAPHS {
            let key = key(graph, &stamps.of(graph));
            let graph = NamedNode::new_unchecked(*graph);
            extract(&store, graph.as_ref(), read_back.path(), &key).unwrap();
            let written = Copy::new(vec![dir.path().join(COLUMNS).join(&key)]);
            let read = Copy::new(vec![read_back.path().join(&key)]);
            for fact in Fact::ALL {
                let pairs = written.pairs(fact).unwrap();
                assert_eq!(pairs, read.pairs(fact).unwrap(), "{graph} {fact:?}");
                if graph.as_str() == "urn:g:one" {
                    assert!(!pairs.is_empty(), "{fact:?}");
                }
                if fact.keeps_text() {
                    assert_eq!(written.texts(fact).unwrap(), read.texts(fact).unwrap());
                }
            }
        }
    }

    #[test]
    fn a_changed_graph_is_answered_by_sparql_until_its_copy_is_written() {
        let (_dir, store) = store_with(GRAPHS);
        store.publish_snapshot().unwrap();
        let (sparql, _) = &questions()[0];
        assert!(store.columnar_rewrite(sparql, &[]).is_some());
        // A write that gathers no copy (a SPARQL update's, say).
        let more = triples(":m6 ttkg:valueCny 7 .");
        store
            .add_to_graph(&NamedNode::new_unchecked("urn:g:two"), &more)
            .unwrap();
        assert!(
            store.columnar_rewrite(sparql, &[]).is_none(),
            "the copy of the old stamp is not used"
        );
        store.publish_snapshot().unwrap();
        assert_same_answers(&store, true);
        // A write that does: the copy answers straight away.
        store
            .replace_graph(
                &NamedNode::new_unchecked("urn:g:two"),
                &triples(GRAPHS[2].1.replace("0.25", "9").as_str()),
            )
            .unwrap();
        assert_same_answers(&store, true);
        store.publish_snapshot().unwrap();
        // The old stamps' files are gone.
        let folders = std::fs::read_dir(store.path().unwrap().join(COLUMNS))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_dir())
            .count();
        assert_eq!(folders, GRAPHS.len());
    }

    #[test]
    fn a_value_that_is_not_a_number_leaves_the_question_to_sparql() {
        let mut graphs = GRAPHS.to_vec();
        let odd = GRAPHS[2].1.replace("0.25", "\"about 3\"^^xsd:decimal");
        graphs[2].1 = &odd;
        let (_dir, store) = store_with(&graphs);
        store.publish_snapshot().unwrap();
        for (sparql, bindings) in questions() {
            // Blocks without a value (period-figures' count of agreements)
            // may still be answered from the copy; none with one is.
            let rewritten = store.columnar_rewrite(&sparql, &bindings);
            assert!(
                rewritten.is_none_or(|text| text.matches("ttkg:valueCny").count()
                    == sparql.matches("ttkg:valueCny").count()),
                "{sparql}"
            );
            let columnar = answer(&store, &sparql, &bindings);
            store.set_answers_from_columns(false);
            assert_eq!(columnar, answer(&store, &sparql, &bindings));
            store.set_answers_from_columns(true);
        }
    }

    #[test]
    fn keywords_are_found_outside_strings_iris_and_comments_only() {
        let (_dir, store) = store_with(GRAPHS);
        store.publish_snapshot().unwrap();
        let (sparql, _) = &questions()[0];
        let with = |extra: &str| sparql.replacen("WHERE {", &format!("WHERE {{ {extra}"), 1);
        // Words in a string, an IRI or a comment are no keywords.
        for harmless in [
            r#"BIND("demonstration bases # graph" AS ?s1)"#,
            r#"BIND('''from a ' base''' AS ?s2)"#,
            "BIND(<urn:x:graph#base> AS ?s3)",
            "BIND(1 AS ?s4) # GRAPH <urn:g:one>\n",
            "FILTER(1 <3)",
        ] {
            assert!(
                store.columnar_rewrite(&with(harmless), &[]).is_some(),
                "{harmless}"
            );
        }
        // A keyword after a string holding " #", or after an IRI, is one.
        for meaningful in [
            r#"BIND(" #" AS ?s1) GRAPH <urn:g:one> { ?g1 ?g2 ?g3 }"#,
            r#"BIND('x\' #' AS ?s1) GRAPH <urn:g:one> { ?g1 ?g2 ?g3 }"#,
            "BIND(<urn:x:a#> AS ?s3) SERVICE <urn:x:s> { ?g1 ?g2 ?g3 }",
        ] {
            assert!(
                store.columnar_rewrite(&with(meaningful), &[]).is_none(),
                "{meaningful}"
            );
        }
    }

    #[test]
    fn an_edited_block_or_a_named_graph_leaves_the_question_to_sparql() {
        let (_dir, store) = store_with(GRAPHS);
        store.publish_snapshot().unwrap();
        let (sparql, _) = &questions()[0];
        let edited = sparql.replace("?a ttkg:partnerCountry ?c", "?a ttkg:hostCountry ?c");
        assert!(store.columnar_rewrite(&edited, &[]).is_none());
        let from = sparql.replacen("WHERE {", "FROM <urn:g:one> WHERE {", 1);
        assert!(store.columnar_rewrite(&from, &[]).is_none());
        // A parameter bound inside the block.
        let bound = [(
            Variable::new_unchecked("c"),
            Term::from(NamedNode::new_unchecked("urn:c")),
        )];
        assert!(store.columnar_rewrite(sparql, &bound).is_none());
        // Nor a string changed by as little as a space.
        let (technologies, bindings) = &questions()[8];
        let spaced = technologies.replace("\"(no field)\"", "\"(no  field)\"");
        assert!(store.columnar_rewrite(&spaced, bindings).is_none());
        // Comments and spacing do not matter.
        let spaced = sparql.replace(
            "{ SELECT ?a WHERE",
            "{\n  # agreements\n  SELECT ?a   WHERE",
        );
        assert!(store.columnar_rewrite(&spaced, &[]).is_some());
    }

    #[test]
    fn a_loaded_store_whose_default_graph_states_facts_of_its_own_has_no_copy() {
        let dir = tempfile::tempdir().unwrap();
        let store = KnowledgeStore::open(dir.path()).unwrap();
        // Facts in a named graph, and one more in the default graph alone.
        let nquads = "<urn:x:a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/ttkg/ontology#Agreement> <urn:g:one> .
<urn:x:a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/ttkg/ontology#Agreement> .
<urn:x:a> <https://w3id.org/ttkg/ontology#partnerCountry> <https://w3id.org/ttkg/vocab/country/VN> <urn:g:one> .
<urn:x:a> <https://w3id.org/ttkg/ontology#partnerCountry> <https://w3id.org/ttkg/vocab/country/VN> .
<urn:x:b> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/ttkg/ontology#Agreement> .
";
        store
            .bulk_load(nquads.as_bytes(), RdfFormat::NQuads)
            .unwrap();
        store.publish_snapshot().unwrap();
        let (sparql, _) = &questions()[0];
        assert!(store.columnar_rewrite(sparql, &[]).is_none());

        // The same without the stray fact: the copy of the union goes, and
        // the copy answers.
        let dir = tempfile::tempdir().unwrap();
        let store = KnowledgeStore::open(dir.path()).unwrap();
        let union: String = nquads.lines().take(4).map(|l| format!("{l}\n")).collect();
        store
            .bulk_load(union.as_bytes(), RdfFormat::NQuads)
            .unwrap();
        store.publish_snapshot().unwrap();
        assert!(store.columnar_rewrite(sparql, &[]).is_some());
    }
}

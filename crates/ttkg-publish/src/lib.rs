//! Publishing the knowledge graph to a remote SPARQL store: every named
//! graph of the local store (one per source file, and the ontology, the
//! vocabularies and the run history) is mirrored into the remote store with
//! the same promises the local store keeps.
//!
//! - **Atomic per graph**: a graph that fits in one request is replaced by
//!   one Graph Store `PUT`; a larger one is loaded in chunks into a staging
//!   graph and swapped in by one update (a `MOVE` that is safe to send
//!   again, see `swap_in`), and the staging graph is dropped
//!   whatever happens. A remote reader never sees half a source.
//! - **Incremental**: a publish record per target (in the store folder,
//!   `publish/TARGET.json`) keeps each graph's digest and size as last
//!   published; an unchanged graph is not sent, and a graph the local store
//!   no longer has (a retracted source) is deleted remotely. A changed graph
//!   the remote holds goes as one update of the triples that changed, when
//!   that is small (see `change`).
//! - **Verified**: after each graph, the remote's triple count is compared
//!   with the local one; a mismatch fails that graph.
//! - **Resumable**: the record is written after each graph, so a publish
//!   that is stopped half-way is finished by the next.
//!
//! The default graph: locally it is the union of the named graphs, merged
//! when it is read (and not stored). Remote stores that answer their default graph as the union of
//! the named graphs without counting a fact twice may be told so
//! ([`DefaultGraph::Union`]); otherwise the copy is published too
//! ([`DefaultGraph::Copy`], the default), since Oxigraph 0.5.13's union
//! counts a fact two sources state twice. The copy is kept in step on the
//! server graph by graph: a graph new to the remote store is added to it
//! there (`ADD`), a changed one changes it in the same request as its own
//! change, and only when that cannot be known (a graph the remote holds
//! sent whole, a failure) is the copy sent whole at the end.

mod change;
mod remote;

use std::collections::BTreeMap;

use change::Change;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ttkg_graph::oxigraph::model::{GraphName, GraphNameRef, NamedNode, NamedOrBlankNode, Quad};
use ttkg_graph::KnowledgeStore;

pub use remote::{Auth, Endpoints, Remote, RemoteGraph, ServerKind};

/// What can go wrong publishing.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{0}")]
    Usage(String),
    #[error("{url}: no answer after {attempts} attempts ({message})")]
    Unreachable {
        url: String,
        attempts: u32,
        message: String,
    },
    #[error("{url}: {what} was refused with HTTP {status}: {message}")]
    Refused {
        what: String,
        url: String,
        status: u16,
        message: String,
    },
    #[error("reading the local store: {0}")]
    Store(#[from] ttkg_graph::GraphError),
    #[error("the publish record {path}: {message}")]
    Record { path: PathBuf, message: String },
}

impl PublishError {
    /// Whether the error stops the whole publish (the remote cannot be
    /// reached or refuses the account), rather than one graph.
    pub fn stops_everything(&self) -> bool {
        matches!(
            self,
            PublishError::Unreachable { .. }
                | PublishError::Usage(_)
                | PublishError::Store(_)
                | PublishError::Record { .. }
                | PublishError::Refused {
                    status: 401 | 403 | 404,
                    ..
                }
        )
    }
}

/// How the remote store's default graph is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DefaultGraph {
    /// Published as a copy of the union of the named graphs.
    #[default]
    Copy,
    /// Left to the remote store, configured to answer it as the union.
    Union,
    /// The copy published as the named graph [`DEFAULT_GRAPH_COPY`], which
    /// questions name as their default graph (`default-graph-uri`): for
    /// Virtuoso, whose default graph is every graph it holds, its own
    /// included, a fact of two sources counted twice.
    Named,
}

/// The named graph a copy of the default graph is published as, in
/// [`DefaultGraph::Named`].
pub const DEFAULT_GRAPH_COPY: &str = "https://w3id.org/ttkg/graph/default";

/// How to publish.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// A name for the target, for its publish record.
    pub target: String,
    /// The most bytes of N-Triples one request carries; a larger graph goes
    /// in chunks through a staging graph.
    pub chunk_bytes: usize,
    pub default_graph: DefaultGraph,
}

/// A graph's content, summarised: its size and a digest that does not
/// depend on the order triples are read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphState {
    pub triples: u64,
    /// The sum of the triples' SHA-256 (first 16 bytes), hex.
    #[serde(with = "hex_u128")]
    pub digest: u128,
}

mod hex_u128 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:032x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let text = String::deserialize(d)?;
        u128::from_str_radix(&text, 16).map_err(serde::de::Error::custom)
    }
}

/// What the remote store holds, as far as the last publishes know.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    /// The graph store address the record is about.
    graph_store: String,
    /// Graph IRI (or `DEFAULT`) to its state as published.
    graphs: BTreeMap<String, GraphState>,
    /// The copy was kept in step on the remote store with graphs sent
    /// since its triples were last counted there: its recorded digest is
    /// right, its recorded size is not.
    #[serde(default)]
    copy_uncounted: bool,
}

/// The digest of the default graph: the local default graph is the union
/// of the named graphs, so it is a digest of their states, which costs
/// nothing to find (reading the default graph back costs as much as the
/// named graphs). The record's copy has the digest of the named graphs the
/// record lists exactly when the remote copy is their union.
fn union_digest(graphs: &BTreeMap<String, GraphState>) -> u128 {
    let mut hash = Sha256::new();
    for (graph, state) in graphs.iter().filter(|(g, _)| *g != DEFAULT_KEY) {
        hash.update(format!(
            "{graph}\t{}\t{:032x}\n",
            state.triples, state.digest
        ));
    }
    let mut first = [0u8; 16];
    first.copy_from_slice(&hash.finalize()[..16]);
    u128::from_be_bytes(first)
}

const DEFAULT_KEY: &str = "DEFAULT";

/// What a publish did.
#[derive(Debug, Default)]
pub struct PublishReport {
    /// Graphs sent, with their triple counts (`DEFAULT` for the default graph).
    pub sent: Vec<(String, u64)>,
    /// Graphs sent in chunks through a staging graph.
    pub chunked: Vec<String>,
    /// Graphs brought up to date by one update of the triples that changed,
    /// rather than sent whole.
    pub changed: Vec<String>,
    pub unchanged: usize,
    /// Graphs removed from the remote store (no longer in the local one).
    pub deleted: Vec<String>,
    /// Graphs that failed, with why; the others were published.
    pub failed: Vec<(String, String)>,
}

/// The local graphs: every named graph with its state, and the default
/// graph's under [`DEFAULT_KEY`] when it is published as a copy, its digest
/// the [`union_digest`] of theirs. A graph whose write stamp is the one its
/// state was last found at keeps that state (see [`KnownStates`]); the
/// others are read back, on all cores: reading the store back is most of
/// what a publish that sends little does.
fn local_graphs(
    store: &KnowledgeStore,
    store_dir: &Path,
    default_graph: DefaultGraph,
) -> Result<BTreeMap<String, GraphState>, PublishError> {
    let names: Vec<NamedOrBlankNode> = store
        .store()
        .named_graphs()
        .collect::<Result<_, _>>()
        .map_err(|e| PublishError::Store(e.into()))?;
    let stamps = store.graph_stamps().map_err(PublishError::Store)?;
    let known_path = store_dir.join(KNOWN_STATES);
    let known = match &stamps {
        Some(_) => KnownStates::load(&known_path),
        None => KnownStates::default(),
    };
    let stamped: Vec<(String, Option<String>, GraphState)> = names
        .into_par_iter()
        .filter_map(|name| match name {
            NamedOrBlankNode::NamedNode(iri) => Some(iri),
            NamedOrBlankNode::BlankNode(_) => None,
        })
        .map(|iri| {
            let stamp = stamps.as_ref().map(|s| s.of(iri.as_str()));
            let state = match (&stamp, known.graphs.get(iri.as_str())) {
                (Some(stamp), Some(seen)) if &seen.stamp == stamp => seen.state,
                _ => state_of(store, GraphNameRef::NamedNode(iri.as_ref()))?,
            };
            Ok((iri.into_string(), stamp, state))
        })
        .collect::<Result<_, PublishError>>()?;
    let mut graphs = BTreeMap::new();
    let mut seen = BTreeMap::new();
    for (graph, stamp, state) in stamped {
        if let Some(stamp) = stamp {
            seen.insert(graph.clone(), SeenState { stamp, state });
        }
        graphs.insert(graph, state);
    }
    if stamps.is_some() {
        KnownStates { graphs: seen }.save(&known_path)?;
    }
    if default_graph != DefaultGraph::Union {
        let state = GraphState {
            triples: store.default_graph_len()? as u64,
            digest: union_digest(&graphs),
        };
        graphs.insert(DEFAULT_KEY.into(), state);
    }
    Ok(graphs)
}

/// Where the states of the local graphs found by the last publish are kept,
/// in the store's folder (not in `publish/`, where a target could have the
/// name).
const KNOWN_STATES: &str = "published-graph-states.json";

/// The local graphs' states as the last publish found them, each with the
/// write stamp ([`ttkg_graph::stamps`]) it was found at: while a graph's
/// stamp is the same, so is its state, and it need not be read back.
#[derive(Debug, Default, Serialize, Deserialize)]
struct KnownStates {
    graphs: BTreeMap<String, SeenState>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SeenState {
    stamp: String,
    state: GraphState,
}

impl KnownStates {
    /// What was found last time; nothing when the file is missing or
    /// unreadable (every graph is then read back, which is always right).
    fn load(path: &Path) -> KnownStates {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    fn save(&self, path: &Path) -> Result<(), PublishError> {
        write_json(path, self)
    }
}

/// The quads of a local graph; the default graph's are the union of the
/// named graphs, each triple once (it is not stored, see `ttkg_graph`).
fn quads_of<'a>(
    store: &'a KnowledgeStore,
    graph: GraphNameRef<'a>,
) -> Box<dyn Iterator<Item = Result<Quad, PublishError>> + 'a> {
    if graph.is_default_graph() {
        return match store.union_triples() {
            Ok(triples) => Box::new(triples.map(|t| {
                t.map(|t| t.in_graph(GraphName::DefaultGraph))
                    .map_err(PublishError::Store)
            })),
            Err(e) => Box::new(std::iter::once(Err(PublishError::Store(e)))),
        };
    }
    Box::new(
        store
            .store()
            .quads_for_pattern(None, None, None, Some(graph))
            .map(|q| q.map_err(|e| PublishError::Store(e.into()))),
    )
}

fn state_of(store: &KnowledgeStore, graph: GraphNameRef) -> Result<GraphState, PublishError> {
    let mut state = GraphState {
        triples: 0,
        digest: 0,
    };
    for quad in quads_of(store, graph) {
        let line = ntriples_line(&quad?);
        state.digest = state.digest.wrapping_add(change::triple_hash(&line));
        state.triples += 1;
    }
    Ok(state)
}

fn ntriples_line(quad: &Quad) -> String {
    format!("{} {} {} .\n", quad.subject, quad.predicate, quad.object)
}

/// Where the record of publishing to `target` is kept.
fn record_path(store_dir: &Path, target: &str) -> PathBuf {
    let name: String = target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    store_dir.join("publish").join(format!("{name}.json"))
}

fn load_record(path: &Path, graph_store: &str) -> Result<Record, PublishError> {
    let bad = |message: String| PublishError::Record {
        path: path.to_owned(),
        message,
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            let record: Record = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
            // Another store at the same name: what it holds is not known.
            if record.graph_store != graph_store {
                return Ok(Record {
                    graph_store: graph_store.to_owned(),
                    ..Record::default()
                });
            }
            Ok(record)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Record {
            graph_store: graph_store.to_owned(),
            ..Record::default()
        }),
        Err(e) => Err(bad(e.to_string())),
    }
}

/// Writes the record through a file beside it, so a stop never leaves half.
fn save_record(path: &Path, record: &Record) -> Result<(), PublishError> {
    write_json(path, record)
}

/// Writes `value` as JSON to `path` through a file beside it.
fn write_json(path: &Path, value: &impl Serialize) -> Result<(), PublishError> {
    let bad = |e: std::io::Error| PublishError::Record {
        path: path.to_owned(),
        message: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(bad)?;
    }
    let partial = path.with_extension("json.partial");
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| PublishError::Record {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    std::fs::write(&partial, bytes).map_err(bad)?;
    std::fs::rename(&partial, path).map_err(bad)
}

/// Publishes `store` (whose folder is `store_dir`) to `remote`.
pub fn publish(
    store: &KnowledgeStore,
    store_dir: &Path,
    remote: &Remote,
    options: &PublishOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<PublishReport, PublishError> {
    let local = local_graphs(store, store_dir, options.default_graph)?;
    let path = record_path(store_dir, &options.target);
    let mut record = load_record(&path, &remote.endpoints.graph_store)?;
    if options.default_graph != DefaultGraph::Union && record.graphs.is_empty() {
        // Nothing published to this target yet (as far as its record
        // knows): the copy starts empty, the union of no graphs, and grows
        // on the server as each graph goes in.
        let copy = copy_target(options.default_graph).in_update();
        remote.update(&format!("DROP SILENT {copy}"))?;
        let empty = GraphState {
            triples: 0,
            digest: union_digest(&record.graphs),
        };
        record.graphs.insert(DEFAULT_KEY.into(), empty);
        record.copy_uncounted = false;
        save_record(&path, &record)?;
    }
    // The copy of the default graph is kept in step on the server only
    // while it is the union of the named graphs the remote store holds, as
    // recorded; otherwise it goes whole at the end.
    let copy_known = options.default_graph != DefaultGraph::Union
        && record
            .graphs
            .get(DEFAULT_KEY)
            .is_some_and(|copy| copy.digest == union_digest(&record.graphs));
    let mut run = Publication {
        store,
        remote,
        options,
        path,
        record,
        report: PublishReport::default(),
        copy_known,
        copy_step: CopyStep::default(),
        progress,
    };
    run.delete_retracted(&local)?;
    if options.default_graph == DefaultGraph::Union
        && run.record.graphs.remove(DEFAULT_KEY).is_some()
    {
        // A copy published before as a named graph would be read as the
        // default graph by `--endpoint` questions: it goes.
        remote.update(&format!("DROP SILENT GRAPH <{DEFAULT_GRAPH_COPY}>"))?;
        run.save()?;
    }
    // The named graphs first and the default graph last, so that what the
    // default graph says is in the named graphs too.
    let order = local
        .iter()
        .filter(|(g, _)| g.as_str() != DEFAULT_KEY)
        .chain(local.iter().filter(|(g, _)| g.as_str() == DEFAULT_KEY));
    for (key, state) in order {
        let counted = key != DEFAULT_KEY || !run.record.copy_uncounted;
        if counted && run.record.graphs.get(key) == Some(state) {
            run.report.unchanged += 1;
        } else {
            run.publish_graph(key, state)?;
        }
    }
    Ok(run.report)
}

/// Where the copy of the default graph is on the remote store, when it is
/// kept `how`.
fn copy_target(how: DefaultGraph) -> RemoteGraph<'static> {
    match how {
        DefaultGraph::Named => RemoteGraph::Named(DEFAULT_GRAPH_COPY),
        _ => RemoteGraph::Default,
    }
}

/// One publish: what it has recorded and reported so far.
struct Publication<'a> {
    store: &'a KnowledgeStore,
    remote: &'a Remote,
    options: &'a PublishOptions,
    /// Where the record of what the remote store holds is kept.
    path: PathBuf,
    record: Record,
    report: PublishReport,
    /// Whether the remote copy of the default graph is the union of the
    /// named graphs the record lists, and so can be kept in step with them
    /// graph by graph (see `publish`).
    copy_known: bool,
    /// What this publish changed of the copy so far.
    copy_step: CopyStep,
    progress: &'a mut dyn FnMut(&str),
}

/// How the copy of the default graph was kept in step during one publish.
#[derive(Debug, Default)]
struct CopyStep {
    removed: usize,
    added: usize,
    /// Graphs new to the remote store added to it there.
    graphs_added: usize,
}

impl Publication<'_> {
    fn save(&self) -> Result<(), PublishError> {
        save_record(&self.path, &self.record)
    }

    fn copy_target(&self) -> RemoteGraph<'static> {
        copy_target(self.options.default_graph)
    }

    /// The update that brings the copy in step with a named graph's
    /// change: every triple added, and those removed that the local default
    /// graph no longer has. Sent in the same request as the graph's own
    /// change, and before it: a publish stopped in between finds the graph
    /// still changed next time and sends both again, which changes nothing
    /// twice. None when the copy is not kept in step or nothing changes.
    fn copy_update(&mut self, change: &Change) -> Result<Option<String>, PublishError> {
        if !self.copy_known {
            return Ok(None);
        }
        let copy = change::copy_change(self.store, change)?;
        if copy.is_empty() {
            return Ok(None);
        }
        self.copy_step.removed += copy.removed.len();
        self.copy_step.added += copy.added.len();
        Ok(Some(copy.update(self.copy_target())))
    }

    /// Deletes remotely the sources retracted locally (a default graph no
    /// longer published as a copy is left to the remote store); what they
    /// held leaves the copy unless another source states it.
    fn delete_retracted(
        &mut self,
        local: &BTreeMap<String, GraphState>,
    ) -> Result<(), PublishError> {
        let budget = self.options.chunk_bytes;
        let gone: Vec<String> = self
            .record
            .graphs
            .keys()
            .filter(|g| !local.contains_key(*g) && g.as_str() != DEFAULT_KEY)
            .cloned()
            .collect();
        for graph in gone {
            if self.copy_known {
                let held = change::remote_all_of(self.remote, RemoteGraph::Named(&graph), budget);
                let taken_out = match held {
                    Ok(Some(all)) => match self.copy_update(&all)? {
                        Some(update) => self.remote.update(&update).map(|()| true),
                        None => Ok(true),
                    },
                    // Larger than a chunk, or with a blank node.
                    Ok(None) => Ok(false),
                    Err(e) => Err(e),
                };
                match taken_out {
                    Ok(true) => {}
                    Err(e) if e.stops_everything() => return Err(e),
                    // The copy goes whole at the end.
                    Ok(false) | Err(_) => self.copy_known = false,
                }
            }
            self.remote.delete(RemoteGraph::Named(&graph))?;
            self.record.graphs.remove(&graph);
            self.record_copy_in_step();
            self.save()?;
            (self.progress)(&format!("deleted {graph}"));
            self.report.deleted.push(graph);
        }
        Ok(())
    }

    /// Sends one graph whose state the remote store does not have: as its
    /// change where that can be found, else whole; records how it went.
    fn publish_graph(&mut self, key: &str, state: &GraphState) -> Result<(), PublishError> {
        let (graph_name, remote_graph) = if key == DEFAULT_KEY {
            (GraphNameRef::DefaultGraph, self.copy_target())
        } else {
            let name = ttkg_graph::oxigraph::model::NamedNodeRef::new_unchecked(key);
            (GraphNameRef::NamedNode(name), RemoteGraph::Named(key))
        };
        let new_to_remote = key != DEFAULT_KEY && !self.record.graphs.contains_key(key);
        let change = self.change_of(key, graph_name, remote_graph)?;
        // A named graph the remote store holds, sent whole: what it held is
        // not known, so neither is how the copy changes.
        if key != DEFAULT_KEY && !new_to_remote && change.is_none() {
            self.copy_known = false;
        }
        let copy_update = match &change {
            Some(change) if key != DEFAULT_KEY => self.copy_update(change)?,
            _ => None,
        };
        let (store, remote, options) = (self.store, self.remote, self.options);
        let whole = || {
            send(store, remote, graph_name, remote_graph, state, options)
                .map(|chunked| Sent::Whole { chunked })
        };
        let sent = match change {
            Some(change) => match apply(remote, &change, copy_update, remote_graph, state) {
                Ok(true) if key == DEFAULT_KEY => Ok(Sent::InStep),
                Ok(true) => Ok(Sent::Changed(change)),
                // Not what was expected: the remote graph was not what it
                // was read as. Sent whole, which is right whatever it held.
                Ok(false) => whole(),
                Err(e) => Err(e),
            },
            None => whole(),
        };
        if sent.is_ok() && new_to_remote {
            self.add_to_copy(key)?;
        }
        self.settle(key, state, sent)
    }

    /// Adds a graph new to the remote store, just sent, to the copy of the
    /// default graph there, by one update on the server (`ADD`): nothing is
    /// sent again, the copy stays the union of whole sources at every
    /// moment, and no update ever carries the whole copy (at 1,000,000 rows
    /// a swap of the 25.7 million triples ran past every timeout). On a
    /// failure the copy is sent whole at the end.
    fn add_to_copy(&mut self, key: &str) -> Result<(), PublishError> {
        if !self.copy_known {
            return Ok(());
        }
        let to = self.copy_target().in_update();
        match self
            .remote
            .update(&format!("ADD SILENT GRAPH <{key}> TO {to}"))
        {
            Ok(()) => {
                self.copy_step.graphs_added += 1;
                Ok(())
            }
            Err(e) if e.stops_everything() => Err(e),
            Err(e) => {
                tracing::warn!("{key} could not be added to the copy of the default graph on the remote store, which is sent whole at the end: {e}");
                self.copy_known = false;
                Ok(())
            }
        }
    }

    /// What to change of a graph: for a named graph the remote store holds,
    /// found by comparing it with the local one; for the copy kept in step,
    /// nothing more (it is counted). None: send it whole.
    fn change_of(
        &mut self,
        key: &str,
        graph_name: GraphNameRef<'_>,
        remote_graph: RemoteGraph<'_>,
    ) -> Result<Option<Change>, PublishError> {
        let budget = self.options.chunk_bytes;
        if key == DEFAULT_KEY {
            let in_step = self.copy_known && self.report.failed.is_empty();
            return Ok(in_step.then(Change::default));
        }
        if !self.record.graphs.contains_key(key) {
            return Ok(None);
        }
        match change::change_of(self.store, graph_name, self.remote, remote_graph, budget) {
            Ok(change) => Ok(change),
            Err(e) if e.stops_everything() => Err(e),
            Err(e) => {
                tracing::warn!("{key} is sent whole: what the remote store holds of it could not be read ({e})");
                Ok(None)
            }
        }
    }

    /// Records that the copy is the union of the graphs now recorded, while
    /// it is kept in step; its size is then counted at the end.
    fn record_copy_in_step(&mut self) {
        if !self.copy_known {
            return;
        }
        let digest = union_digest(&self.record.graphs);
        if let Some(copy) = self.record.graphs.get_mut(DEFAULT_KEY) {
            copy.digest = digest;
            self.record.copy_uncounted = true;
        }
    }

    /// Records and reports how a graph went; a failure that concerns only
    /// this graph is reported and the publish goes on.
    fn settle(
        &mut self,
        key: &str,
        state: &GraphState,
        sent: Result<Sent, PublishError>,
    ) -> Result<(), PublishError> {
        match sent {
            Ok(sent) => {
                self.record.graphs.insert(key.to_owned(), *state);
                if key == DEFAULT_KEY {
                    self.record.copy_uncounted = false;
                } else {
                    self.record_copy_in_step();
                }
                self.save()?;
                let how = match &sent {
                    Sent::Whole { chunked: false } => String::new(),
                    Sent::Whole { chunked: true } => {
                        self.report.chunked.push(key.to_owned());
                        ", in chunks".into()
                    }
                    Sent::Changed(change) => {
                        self.report.changed.push(key.to_owned());
                        format!(
                            ", changed: {} removed, {} added",
                            change.removed.len(),
                            change.added.len()
                        )
                    }
                    Sent::InStep => {
                        let step = &self.copy_step;
                        let mut parts = Vec::new();
                        if step.removed + step.added > 0 {
                            self.report.changed.push(key.to_owned());
                            parts.push(format!(
                                "changed: {} removed, {} added",
                                step.removed, step.added
                            ));
                        }
                        if step.graphs_added > 0 {
                            parts.push(format!(
                                "{} graph{} added to it",
                                step.graphs_added,
                                if step.graphs_added == 1 { "" } else { "s" }
                            ));
                        }
                        parts.push("kept in step on the remote store".into());
                        format!(", {}", parts.join(", "))
                    }
                };
                (self.progress)(&format!("sent {key} ({} triples{how})", state.triples));
                self.report.sent.push((key.to_owned(), state.triples));
                Ok(())
            }
            Err(e) if e.stops_everything() => Err(e),
            Err(e) => {
                // What the remote holds of it is no longer known.
                self.record.graphs.remove(key);
                self.save()?;
                self.copy_known = false;
                (self.progress)(&format!("failed {key}: {e}"));
                self.report.failed.push((key.to_owned(), e.to_string()));
                Ok(())
            }
        }
    }
}

/// How a graph went.
enum Sent {
    Whole {
        chunked: bool,
    },
    Changed(Change),
    /// The copy of the default graph, kept in step on the remote store with
    /// each graph as it went: its remote size was found to be the local one.
    InStep,
}

/// Sends `change` to `target` (after `first`, the copy's update, in the
/// same request) and checks the remote's count: false when it is not the
/// local one (then the graph is sent whole).
fn apply(
    remote: &Remote,
    change: &Change,
    first: Option<String>,
    target: RemoteGraph,
    state: &GraphState,
) -> Result<bool, PublishError> {
    let update = first
        .into_iter()
        .chain((!change.is_empty()).then(|| change.update(target)))
        .collect::<Vec<_>>()
        .join(";\n");
    if !update.is_empty() {
        remote.update(&update)?;
    }
    let found = remote.count(target)?;
    if found != state.triples {
        tracing::warn!(
            "after the change the remote store holds {found} triples of the graph, the local store {}: it is sent whole",
            state.triples
        );
    }
    Ok(found == state.triples)
}

/// The staging graph a large graph is loaded into before it is swapped in.
fn staging_graph(key: &str) -> NamedNode {
    let hash = Sha256::digest(key.as_bytes());
    let hex: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
    NamedNode::new_unchecked(format!("https://w3id.org/ttkg/graph/staging/{hex}"))
}

/// The update that replaces `target` with the staging graph and drops it:
/// what `MOVE` does, but a no-op once the staging graph is gone. A request
/// is sent again when its answer is lost (a timeout while a large graph is
/// swapped in), and a second `MOVE` of a graph already moved would empty
/// the target. The guard is a one-row subquery joined to the target, not
/// `FILTER EXISTS`, which Virtuoso 7.2 evaluates per triple (200,000
/// triples: 10 s against over 120 s; `MOVE` itself 3.6 s).
fn swap_in(staging: &NamedNode, target: RemoteGraph) -> String {
    let (open, close) = match target {
        RemoteGraph::Named(iri) => (format!("GRAPH <{iri}> {{"), "}"),
        RemoteGraph::Default => (String::new(), ""),
    };
    format!(
        "DELETE {{ {open} ?s ?p ?o {close} }} WHERE {{ {{ SELECT ?staged WHERE {{ GRAPH {staging} {{ ?staged ?b ?c }} }} LIMIT 1 }} {open} ?s ?p ?o {close} }} ;\n\
         INSERT {{ {open} ?s ?p ?o {close} }} WHERE {{ GRAPH {staging} {{ ?s ?p ?o }} }} ;\n\
         DROP SILENT GRAPH {staging}"
    )
}

/// Sends one graph whole and checks the remote's count; true when it went
/// in chunks. One chunk is held in memory at a time, whatever the graph's
/// size: a graph that fills more than one goes through the staging graph.
fn send(
    store: &KnowledgeStore,
    remote: &Remote,
    graph: GraphNameRef,
    target: RemoteGraph,
    state: &GraphState,
    options: &PublishOptions,
) -> Result<bool, PublishError> {
    let key = match target {
        RemoteGraph::Named(iri) => iri,
        RemoteGraph::Default => DEFAULT_KEY,
    };
    let staging = staging_graph(key);
    let mut chunk: Vec<u8> = Vec::new();
    let mut staged = false;
    let streamed = (|| {
        for quad in quads_of(store, graph) {
            let line = ntriples_line(&quad?);
            if !chunk.is_empty() && chunk.len() + line.len() > options.chunk_bytes {
                if !staged {
                    staged = true;
                    remote.update(&format!("DROP SILENT GRAPH {staging}"))?;
                }
                remote.post(RemoteGraph::Named(staging.as_str()), &chunk)?;
                chunk.clear();
            }
            chunk.extend_from_slice(line.as_bytes());
        }
        if !staged {
            return remote.put(target, &chunk);
        }
        remote.post(RemoteGraph::Named(staging.as_str()), &chunk)?;
        remote.update(&swap_in(&staging, target))
    })();
    // The staging graph goes, whatever happened.
    if staged {
        if let Err(e) = remote.update(&format!("DROP SILENT GRAPH {staging}")) {
            tracing::warn!("the staging graph {staging} could not be dropped: {e}");
        }
    }
    streamed?;
    let chunked = staged;
    let found = remote.count(target)?;
    if found != state.triples {
        return Err(PublishError::Refused {
            what: "checking the graph".into(),
            url: remote.endpoints.query.clone(),
            status: 200,
            message: format!(
                "the remote store holds {found} triples of it, the local store {}: it will be sent again next time",
                state.triples
            ),
        });
    }
    Ok(chunked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ttkg_graph::oxigraph::store::Store;

    fn count(store: &Store, graph: &str) -> usize {
        let sparql = match graph {
            "" => "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }".to_owned(),
            g => format!("SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}"),
        };
        let ttkg_graph::oxigraph::sparql::QueryResults::Solutions(mut rows) =
            ttkg_graph::oxigraph::sparql::SparqlEvaluator::new()
                .parse_query(&sparql)
                .unwrap()
                .on_store(store)
                .execute()
                .unwrap()
        else {
            panic!("a table")
        };
        let row = rows.next().unwrap().unwrap();
        match row.get("n") {
            Some(ttkg_graph::oxigraph::model::Term::Literal(n)) => n.value().parse().unwrap(),
            other => panic!("{other:?}"),
        }
    }

    pub(crate) fn update(store: &Store, sparql: &str) {
        ttkg_graph::oxigraph::sparql::SparqlEvaluator::new()
            .parse_update(sparql)
            .unwrap()
            .on_store(store)
            .execute()
            .unwrap();
    }

    /// The swap replaces the target with the staging graph; sent again (its
    /// answer lost), it changes nothing, where a second MOVE would empty
    /// the target.
    #[test]
    fn a_swap_sent_twice_keeps_the_graph() {
        let staging = staging_graph("urn:g");
        for (target, name) in [
            (RemoteGraph::Named("urn:g"), "urn:g"),
            (RemoteGraph::Default, ""),
        ] {
            let store = Store::new().unwrap();
            let into = |triples: &str| match target {
                RemoteGraph::Named(g) => format!("INSERT DATA {{ GRAPH <{g}> {{ {triples} }} }}"),
                RemoteGraph::Default => format!("INSERT DATA {{ {triples} }}"),
            };
            update(&store, &into("<urn:old> <urn:p> 1 ."));
            update(
                &store,
                &format!("INSERT DATA {{ GRAPH {staging} {{ <urn:a> <urn:p> 1 . <urn:b> <urn:p> 2 . }} }}"),
            );
            update(&store, &swap_in(&staging, target));
            assert_eq!(count(&store, name), 2, "{name}: replaced");
            assert_eq!(count(&store, staging.as_str()), 0, "staging dropped");
            update(&store, &swap_in(&staging, target));
            assert_eq!(
                count(&store, name),
                2,
                "{name}: the second swap changes nothing"
            );
            let moved_again = match target {
                RemoteGraph::Named(g) => format!("MOVE SILENT GRAPH {staging} TO GRAPH <{g}>"),
                RemoteGraph::Default => format!("MOVE SILENT GRAPH {staging} TO DEFAULT"),
            };
            update(&store, &moved_again);
            assert_eq!(count(&store, name), 0, "{name}: what a second MOVE does");
        }
    }
}

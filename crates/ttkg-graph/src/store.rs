//! The embedded oxigraph store (RocksDB on disk).

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use oxigraph::io::{RdfFormat, RdfParser, RdfSerializer};
use oxigraph::model::{
    GraphName, GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNode, Term, Triple, TripleRef,
    Variable,
};
use oxigraph::sparql::{CancellationToken, QueryDataset, QueryResults, SparqlEvaluator};
use oxigraph::store::Store;
use ttkg_vocab::ttkg;

use crate::columns::GraphCopy;
use crate::consistency::KeptTriples;
use crate::error::GraphError;
use crate::rollback::{self, OpenLock};
use crate::stamps::Written;

/// The knowledge graph on disk.
pub struct KnowledgeStore {
    store: Store,
    path: Option<PathBuf>,
    /// Opened for writing (not a read-only snapshot): see [`crate::stamps`].
    writable: bool,
    /// The megabytes a write may have the whole process hold (an import's
    /// `--memory`; 0: no budget): oxigraph's bulk loader takes a share of
    /// it ([`loader_share`]; without a budget its own default, 2 GB a
    /// thread), and half of it bounds a replacement's steps (without a
    /// budget one transaction, however large).
    memory_budget_mb: AtomicUsize,
    /// Held while the store is open for writing (see [`crate::rollback`]).
    _open_lock: Option<OpenLock>,
    /// A write in steps failed half-way: the store stays as it is until it
    /// is next opened, which puts it back as it was before that write.
    half_written: AtomicBool,
    /// Whether questions may answer their marked blocks from the columnar
    /// copy (see [`crate::columns`]).
    columns: AtomicBool,
}

/// Changed triples a step of a replacement writes, per megabyte of the
/// load budget: RocksDB held about 3.5 KB per changed triple until the
/// commit (its write batch and memtable, in every index) when each was
/// written to its graph and to the default graph, so that a step held about
/// half the load budget. Each is now written once; the step was not
/// measured again, and holds less.
const CHANGED_TRIPLES_PER_MB: usize = 150;

/// The least megabytes the bulk loader is given: oxigraph wants a few a
/// thread, and every batch it sorts becomes a file RocksDB must merge.
const MIN_LOADER_MB: usize = 16;

/// The megabytes oxigraph's bulk loader is given within a budget of
/// `budget` when the process already uses `in_use` and the write will
/// gather `gathering` more beside the loader (the source's columnar copy,
/// [`COPY_BYTES_PER_TRIPLE`]): half the budget, or less when what the
/// process uses (the source's facts, the next files being read, RocksDB's
/// caches) leaves less room than that; an eighth at least, so that a
/// source larger than the budget still loads, in more and smaller batches.
/// A tenth of the budget is kept back, and each megabyte given counts as
/// 1.5: while the benchmark's two 500,000-row reports loaded (698 and 801
/// MB in use when each started), the process's resident memory peaked 765
/// and 692 MB above that with 685 and 583 MB given, and 748 and 637 above
/// with 548 and 464 given (the loader's batches as quads of text, its
/// threads' sorting, the columnar copy, and what the allocator keeps to
/// reuse).
fn loader_share(budget: usize, in_use: Option<usize>, gathering: usize) -> usize {
    let half = budget / 2;
    let room = match in_use {
        Some(used) => {
            let held = used.saturating_add(gathering).saturating_add(budget / 10);
            budget.saturating_sub(held) / 3 * 2
        }
        None => half,
    };
    room.clamp(budget / 8, half).max(MIN_LOADER_MB)
}

/// What a source's columnar copy ([`crate::columns`]) holds while its
/// triples go to the bulk loader, per triple: 43 MiB for each of the
/// benchmark's 100,000-row reports (2.09 million triples). Left out of the
/// loader's share, the copy of a 1,000,000-row report (about 430 MiB) took
/// its import to 1,515 MiB against a budget of 1,536.
const COPY_BYTES_PER_TRIPLE: usize = 22;

/// The graphs a query runs over when a request names them: the SPARQL
/// protocol's `default-graph-uri` (merged into the default graph) and
/// `named-graph-uri` (the graphs `GRAPH` may match). Empty: the store's own
/// dataset, whose default graph is the union of the named graphs, every
/// fact once.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GraphSelection {
    pub default_graphs: Vec<NamedNode>,
    pub named_graphs: Vec<NamedNode>,
}

impl GraphSelection {
    pub fn is_empty(&self) -> bool {
        self.default_graphs.is_empty() && self.named_graphs.is_empty()
    }
}

/// What replacing one graph changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReplaceStats {
    pub added: usize,
    pub removed: usize,
}

pub use crate::provenance::{FileChange, RunRecord};

impl KnowledgeStore {
    /// Opens (creating if needed) the store in `path`.
    pub fn open(path: &Path) -> Result<Self, GraphError> {
        std::fs::create_dir_all(path).map_err(|e| GraphError::Open {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let open_lock = OpenLock::take(path)?;
        if rollback::recover(path)? {
            tracing::warn!(
                store = %path.display(),
                "an import was stopped while it wrote a large file in steps; the store was put back as it was before that file: run the import again to load it"
            );
        }
        let store = Store::open(path).map_err(|e| {
            let message = e.to_string();
            // RocksDB allows one process per folder and says so with "lock".
            if message.to_lowercase().contains("lock") {
                GraphError::Held {
                    path: path.to_owned(),
                    message,
                }
            } else {
                GraphError::Open {
                    path: path.to_owned(),
                    message,
                }
            }
        })?;
        let opened = KnowledgeStore {
            store,
            path: Some(path.to_owned()),
            writable: true,
            memory_budget_mb: AtomicUsize::new(0),
            _open_lock: Some(open_lock),
            half_written: AtomicBool::new(false),
            columns: AtomicBool::new(true),
        };
        opened.settle_default_graph()?;
        Ok(opened)
    }

    /// Opens the store in `path` for writing, waiting up to `patience` while
    /// another process (a query or an export, which take seconds) has it
    /// open; `waiting` is called once when the wait begins. A scheduled
    /// import must not fail because an analyst ran a query at that moment.
    pub fn open_waiting(
        path: &Path,
        patience: std::time::Duration,
        waiting: impl FnOnce(),
    ) -> Result<Self, GraphError> {
        let start = std::time::Instant::now();
        let mut pause = std::time::Duration::from_millis(20);
        let mut waiting = Some(waiting);
        loop {
            match Self::open(path) {
                Err(GraphError::Held { .. }) if start.elapsed() < patience => {
                    if let Some(waiting) = waiting.take() {
                        waiting();
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(std::time::Duration::from_secs(1));
                }
                opened => return opened,
            }
        }
    }

    /// A read-only store opened on `path` (a snapshot, see [`crate::snapshot`]).
    pub(crate) fn from_read_only(store: Store, path: PathBuf) -> Self {
        KnowledgeStore {
            store,
            path: Some(path),
            writable: false,
            memory_budget_mb: AtomicUsize::new(0),
            _open_lock: None,
            half_written: AtomicBool::new(false),
            columns: AtomicBool::new(true),
        }
    }

    /// A store in memory, for tests.
    pub fn in_memory() -> Result<Self, GraphError> {
        Ok(KnowledgeStore {
            store: Store::new()?,
            path: None,
            writable: true,
            memory_budget_mb: AtomicUsize::new(0),
            _open_lock: None,
            half_written: AtomicBool::new(false),
            columns: AtomicBool::new(true),
        })
    }

    /// Keeps the writes of an import within `bytes`, what the whole
    /// process may hold (`--memory`): oxigraph's bulk loader sorts a new
    /// source's quads in batches of about a thousand per megabyte it is
    /// given, and writes each out before the next; it is given what the
    /// process leaves of the budget when it starts ([`loader_share`]).
    pub fn limit_load_memory(&self, bytes: u64) {
        let mb = usize::try_from(bytes >> 20).unwrap_or(usize::MAX);
        self.memory_budget_mb.store(mb.max(1), Ordering::Relaxed);
    }

    /// The megabytes oxigraph's bulk loader may take now (0: its default),
    /// loading `triples` whose columnar copy is gathered meanwhile.
    fn loader_memory_mb(&self, triples: usize, copied: bool) -> usize {
        match self.memory_budget_mb.load(Ordering::Relaxed) {
            0 => 0,
            budget => {
                let in_use = ttkg_memory::in_use().map(|b| b >> 20);
                let gathering = match copied {
                    true => triples.saturating_mul(COPY_BYTES_PER_TRIPLE) >> 20,
                    false => 0,
                };
                let mb = loader_share(budget, in_use, gathering);
                tracing::debug!(
                    budget,
                    in_use,
                    gathering,
                    mb,
                    "the bulk loader's share of the budget (MiB)"
                );
                mb
            }
        }
    }

    /// Whether questions answer the blocks they mark from the columnar copy
    /// (the default) or evaluate every part as SPARQL (`false`: to compare
    /// the two, or to rule the copy out). The environment variable
    /// `TTKG_COLUMNS=off` does the same for a whole process.
    pub fn set_answers_from_columns(&self, on: bool) {
        self.columns.store(on, Ordering::Relaxed);
    }

    pub fn answers_from_columns(&self) -> bool {
        self.columns.load(Ordering::Relaxed)
    }

    /// What [`Self::query_in`] evaluates for `sparql`: the text with its
    /// marked blocks answered from the columnar copy, or `None` when it is
    /// evaluated as written.
    pub fn columnar_rewrite(&self, sparql: &str, bindings: &[(Variable, Term)]) -> Option<String> {
        crate::columns::rewrite(self, sparql, bindings)
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Whether this process may write the store (not a read-only snapshot).
    pub fn is_writable(&self) -> bool {
        self.writable
    }

    /// The underlying oxigraph store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Replaces the whole content of `graph` with `triples` in one transaction:
    /// readers see the old graph until the commit, then the new one.
    ///
    /// Questions see the default graph as the set union of all named graphs
    /// (what SPARQL calls the RDF merge, see [`Self::query_in`]): a fact
    /// stated by three reports is counted once, and stays while any report
    /// still states it. Each fact is written once, in its source's graph.
    pub fn replace_graph(
        &self,
        graph: &NamedNode,
        triples: &[Triple],
    ) -> Result<ReplaceStats, GraphError> {
        let mut copy =
            GraphCopy::for_write(self.stamp_before_writing(Written::Graphs(&[graph.as_ref()]))?);
        triples.iter().for_each(|t| copy.add(t.as_ref()));
        let stats = if self.store.contains_named_graph(graph.as_ref())? {
            self.replace_existing(graph, triples)?
        } else {
            // A triple stated twice goes to the loader once.
            let mut seen = HashSet::with_capacity(triples.len());
            let distinct: Vec<&Triple> = triples.iter().filter(|t| seen.insert(*t)).collect();
            drop(seen);
            // The copy is whole already: nothing is gathered beside the
            // loader.
            self.load_new_graph(
                graph,
                distinct.len(),
                distinct.into_iter().cloned(),
                false,
                &mut || {},
            )?
        };
        copy.finish(self, graph.as_ref());
        Ok(stats)
    }

    /// [`Self::replace_graph`] from triples that are each given once,
    /// taken one at a time: a new graph's go straight into the bulk loader,
    /// so an import never holds a large file's facts as a list of triples
    /// (a graph the store has is compared with them, and that needs them
    /// all).
    pub fn replace_graph_with_distinct(
        &self,
        graph: &NamedNode,
        triples: impl ExactSizeIterator<Item = Triple>,
    ) -> Result<ReplaceStats, GraphError> {
        let mut copy =
            GraphCopy::for_write(self.stamp_before_writing(Written::Graphs(&[graph.as_ref()]))?);
        let copied = copy.is_gathering();
        let triples = triples.inspect(|t| copy.add(t.as_ref()));
        let stats = if self.store.contains_named_graph(graph.as_ref())? {
            self.replace_existing(graph, &triples.collect::<Vec<_>>())?
        } else {
            self.load_new_graph(graph, triples.len(), triples, copied, &mut || {})?
        };
        copy.finish(self, graph.as_ref());
        Ok(stats)
    }

    /// [`Self::replace_graph`] with a file's kept triples: a new graph's
    /// go straight into the bulk loader, and a graph the store has is read
    /// once and compared with them by their numbers in the file's terms, so
    /// only what changed is ever held as triples (the whole old graph and
    /// the whole new one were: a changed 100,000-row report took 3,964 MiB).
    pub fn replace_graph_with_kept(
        &self,
        graph: &NamedNode,
        kept: KeptTriples,
    ) -> Result<ReplaceStats, GraphError> {
        self.replace_graph_with_kept_while(graph, kept, || {})
    }

    /// [`Self::replace_graph_with_kept`] that runs `meanwhile` (once,
    /// whatever happens) on this thread as soon as the store no longer
    /// needs it: a new graph's, once all its triples are handed to the bulk
    /// loader, while the loader's threads sort and write the last of them
    /// (a few seconds for a large report, with a core idle); another's
    /// after the write.
    pub fn replace_graph_with_kept_while(
        &self,
        graph: &NamedNode,
        kept: KeptTriples,
        meanwhile: impl FnOnce(),
    ) -> Result<ReplaceStats, GraphError> {
        let mut meanwhile = Some(meanwhile);
        let mut run_meanwhile = || {
            if let Some(work) = meanwhile.take() {
                work();
            }
        };
        let written = self
            .stamp_before_writing(Written::Graphs(&[graph.as_ref()]))
            .and_then(|stamps| {
                let mut copy = GraphCopy::for_write(stamps);
                let stats = if self.store.contains_named_graph(graph.as_ref())? {
                    kept.refs().for_each(|t| copy.add(t));
                    self.replace_existing_with_kept(graph, kept)?
                } else {
                    // The columnar copy takes each triple on its way to the
                    // loader, while this thread would wait for its threads.
                    let (added, copied) = (kept.len(), copy.is_gathering());
                    let triples = kept.inspect(|t| copy.add(t.as_ref()));
                    self.load_new_graph(graph, added, triples, copied, &mut run_meanwhile)?
                };
                copy.finish(self, graph.as_ref());
                Ok(stats)
            });
        run_meanwhile();
        written
    }

    /// Writes what changed between `graph`, which the store has, and `kept`.
    fn replace_existing_with_kept(
        &self,
        graph: &NamedNode,
        kept: KeptTriples,
    ) -> Result<ReplaceStats, GraphError> {
        let mut transaction = self.store.start_transaction()?;
        let mut still_stated = vec![false; kept.len()];
        let mut removed = Vec::new();
        for quad in transaction.quads_for_pattern(None, None, None, Some(graph.as_ref().into())) {
            let quad = quad?;
            match kept.position(TripleRef::from(quad.as_ref())) {
                Some(i) => still_stated[i] = true,
                None => removed.push(Triple::from(quad)),
            }
        }
        let added = kept.unmarked(&still_stated);
        drop(still_stated);
        let step = self.replacement_step();
        if added.len() + removed.len() > step {
            // Nothing is written yet: the transaction only read.
            drop(transaction);
            return self.replace_in_steps(graph, &added, &removed, step);
        }
        let stats = stage_changes(
            &mut transaction,
            graph,
            &added.iter().collect::<Vec<_>>(),
            &removed.iter().collect::<Vec<_>>(),
        )?;
        transaction.commit()?;
        Ok(stats)
    }

    /// How many changed triples one transaction of a replacement may write:
    /// bounded by the load budget ([`Self::limit_load_memory`]) in a store
    /// on disk, else unbounded.
    fn replacement_step(&self) -> usize {
        match self.memory_budget_mb.load(Ordering::Relaxed) {
            0 => usize::MAX,
            _ if self.path.is_none() => usize::MAX,
            budget => (budget / 2)
                .max(MIN_LOADER_MB)
                .saturating_mul(CHANGED_TRIPLES_PER_MB)
                .max(1_000),
        }
    }

    /// Writes a replacement too large for one bounded transaction in steps
    /// of `step` triples (the removed first, as in [`stage_changes`]),
    /// behind a rollback point ([`Self::in_steps`]).
    fn replace_in_steps(
        &self,
        graph: &NamedNode,
        added: &[Triple],
        removed: &[Triple],
        step: usize,
    ) -> Result<ReplaceStats, GraphError> {
        tracing::info!(
            graph = graph.as_str(),
            added = added.len(),
            removed = removed.len(),
            step,
            "a replacement too large for one bounded transaction: written in steps behind a rollback point"
        );
        self.in_steps(graph, || {
            for chunk in removed.chunks(step) {
                self.write_step(graph, &[], chunk)?;
            }
            for chunk in added.chunks(step) {
                self.write_step(graph, chunk, &[])?;
            }
            Ok(ReplaceStats {
                added: added.len(),
                removed: removed.len(),
            })
        })
    }

    /// Runs `steps`, several transactions that write `graph`, behind a
    /// rollback point ([`crate::rollback`]): killed or failed half-way, the
    /// store goes back to how it was before when it is next opened, and
    /// until then this process writes nothing more. A store in memory has
    /// no rollback point (and no budget that asks for steps).
    fn in_steps(
        &self,
        graph: &NamedNode,
        steps: impl FnOnce() -> Result<ReplaceStats, GraphError>,
    ) -> Result<ReplaceStats, GraphError> {
        let Some(dir) = self.path.clone() else {
            return steps();
        };
        rollback::make(&self.store, &dir)?;
        // On disk before the rollback point goes. Until it has gone, the
        // store is half-written: the next open would put it back.
        let written = steps().and_then(|stats| {
            self.flush()?;
            rollback::discard(&dir)?;
            Ok(stats)
        });
        match written {
            Ok(stats) => Ok(stats),
            Err(e) => {
                self.half_written.store(true, Ordering::SeqCst);
                Err(GraphError::HalfWritten {
                    graph: graph.as_str().to_owned(),
                    path: dir,
                    message: e.to_string(),
                })
            }
        }
    }

    /// One step of a write in steps: `added` and `removed` in `graph` (and
    /// its mirror in the default graph) in a transaction of their own, then
    /// its memtables written out: RocksDB keeps up to two 64 MB memtables
    /// for each of oxigraph's eleven column families, and steps that each
    /// touch all of them would otherwise fill them all (a 100,000-row
    /// replacement grew by 1.2 GB over its steps).
    fn write_step(
        &self,
        graph: &NamedNode,
        added: &[Triple],
        removed: &[Triple],
    ) -> Result<(), GraphError> {
        let mut transaction = self.store.start_transaction()?;
        stage_changes(&mut transaction, graph, &refs(added), &refs(removed))?;
        transaction.commit()?;
        self.flush()
    }

    /// Up to `limit` triples of `graph`.
    fn some_of_graph(&self, graph: &NamedNode, limit: usize) -> Result<Vec<Triple>, GraphError> {
        self.store
            .quads_for_pattern(None, None, None, Some(graph.as_ref().into()))
            .take(limit)
            .map(|q| q.map(Triple::from).map_err(GraphError::from))
            .collect()
    }

    /// Refuses to write after a write in steps failed half-way.
    pub(crate) fn check_whole(&self) -> Result<(), GraphError> {
        if self.half_written.load(Ordering::SeqCst) {
            return Err(GraphError::StoreHalfWritten {
                path: self.path.clone().unwrap_or_default(),
            });
        }
        Ok(())
    }

    fn replace_existing(
        &self,
        graph: &NamedNode,
        triples: &[Triple],
    ) -> Result<ReplaceStats, GraphError> {
        let mut transaction = self.store.start_transaction()?;
        let stats = stage_replacement(&mut transaction, graph, triples)?;
        transaction.commit()?;
        Ok(stats)
    }

    /// Removes `graph` and what only it stated, in one transaction; a graph
    /// larger than one bounded transaction (see [`Self::limit_load_memory`])
    /// in steps, behind a rollback point.
    pub fn retract_graph(&self, graph: &NamedNode) -> Result<ReplaceStats, GraphError> {
        self.stamp_before_writing(Written::Graphs(&[graph.as_ref()]))?;
        let step = self.replacement_step();
        let first = self.some_of_graph(graph, step.saturating_add(1))?;
        if first.len() <= step {
            let mut transaction = self.store.start_transaction()?;
            let stats = stage_changes(&mut transaction, graph, &[], &refs(&first))?;
            transaction.remove_named_graph(graph.as_ref())?;
            transaction.commit()?;
            return Ok(stats);
        }
        tracing::info!(
            graph = graph.as_str(),
            step,
            "a retraction too large for one bounded transaction: written in steps behind a rollback point"
        );
        self.in_steps(graph, || {
            let mut removed = 0;
            // The triples already read first, then what is left of the
            // graph, a step at a time.
            let mut chunk = first;
            while !chunk.is_empty() {
                self.write_step(graph, &[], &chunk)?;
                // Never round again over what would not go.
                if self
                    .store
                    .contains(chunk[0].as_ref().in_graph(graph.as_ref()))?
                {
                    return Err(GraphError::Io(format!(
                        "a fact of <{}> stayed after it was removed",
                        graph.as_str()
                    )));
                }
                removed += chunk.len();
                chunk = self.some_of_graph(graph, step)?;
            }
            let mut transaction = self.store.start_transaction()?;
            transaction.remove_named_graph(graph.as_ref())?;
            transaction.commit()?;
            Ok(ReplaceStats { added: 0, removed })
        })
    }

    /// Every source the store holds: (pipeline, file path relative to the
    /// data folder, its graph).
    pub fn sources(&self) -> Result<Vec<(String, String, NamedNode)>, GraphError> {
        let rows = self.select_terms(
            "SELECT ?pipeline ?path ?g WHERE { GRAPH ?g { ?f a ttkg:SourceFile ; ttkg:pipeline ?pipeline ; ttkg:filePath ?path } } ORDER BY ?pipeline ?path",
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|row| match (&row[0], &row[1], &row[2]) {
                (Some(Term::Literal(p)), Some(Term::Literal(f)), Some(Term::NamedNode(g))) => {
                    Some((p.value().to_owned(), f.value().to_owned(), g.clone()))
                }
                _ => None,
            })
            .collect())
    }

    /// Runs `check` on the store as it would be with `graphs` replaced, then
    /// forgets the changes: nothing is written, and other readers never see
    /// them. Used to validate sources before publishing them.
    pub fn preview<R, E: From<GraphError>>(
        &self,
        graphs: &[(&NamedNode, &[Triple])],
        check: impl FnOnce(&Preview<'_>) -> Result<R, E>,
    ) -> Result<R, E> {
        let mut transaction = self.store.start_transaction().map_err(GraphError::from)?;
        for (graph, triples) in graphs {
            stage_replacement(&mut transaction, graph, triples)?;
        }
        let preview = Preview { transaction };
        // Dropping the transaction without committing discards it.
        check(&preview)
    }

    /// Runs `work` on a view of the store in which it may stage graph
    /// replacements one at a time ([`Preview::stage`]), reading what it
    /// staged so far; then forgets them. Nothing is written, and other
    /// readers never see the staged graphs.
    pub fn preview_staged<R, E: From<GraphError>>(
        &self,
        work: impl FnOnce(&mut Preview<'_>) -> Result<R, E>,
    ) -> Result<R, E> {
        let transaction = self.store.start_transaction().map_err(GraphError::from)?;
        let mut preview = Preview { transaction };
        work(&mut preview)
    }

    /// A graph the store does not have yet goes in through oxigraph's bulk
    /// loader, which writes sorted files and adds them in one atomic step: as
    /// safe as a transaction and several times faster for large reports.
    /// `meanwhile` runs on this thread once every triple is handed over;
    /// `copied`: the triples' columnar copy is gathered as they go.
    fn load_new_graph(
        &self,
        graph: &NamedNode,
        added: usize,
        distinct: impl Iterator<Item = Triple>,
        copied: bool,
        meanwhile: &mut dyn FnMut(),
    ) -> Result<ReplaceStats, GraphError> {
        let name = GraphName::NamedNode(graph.clone());
        // Counted by the caller rather than read back from the store, which
        // would decode every quad of the graph again (a fifth of an
        // import's time).
        let mut loader = self.store.bulk_loader();
        match self.loader_memory_mb(added, copied) {
            0 => {}
            mb => loader = loader.with_max_memory_size_in_megabytes(mb),
        }
        loader.load_quads(distinct.map(|t| t.in_graph(name.clone())))?;
        // The loader's threads still sort and write its last batches, one
        // of them alone at the end: `meanwhile` takes the idle core.
        std::thread::scope(|scope| {
            let committing = scope.spawn(move || loader.commit());
            meanwhile();
            committing.join()
        })
        .map_err(|_| GraphError::Io("oxigraph's bulk loader stopped while writing".to_owned()))??;
        // An empty source still gets its (empty) graph, so that it counts
        // as loaded; the loader names the graph of the others. Not written
        // when it need not be: the first write after a large load waits
        // until RocksDB has merged the files the loader added (38 s after
        // a 500,000-row report), and the next file can be read meanwhile.
        if added == 0 {
            self.store.insert_named_graph(graph.as_ref())?;
        }
        Ok(ReplaceStats { added, removed: 0 })
    }

    /// Writes the store (a dataset format: every named graph and the default
    /// graph, read on every core, see [`crate::dump`]) or one graph (`graph`,
    /// in any format) to `writer`.
    pub fn dump(
        &self,
        writer: impl Write,
        format: RdfFormat,
        graph: Option<&NamedNode>,
    ) -> Result<(), GraphError> {
        let serializer = RdfSerializer::from_format(format);
        let result = match graph {
            Some(g) => self
                .store
                .dump_graph_to_writer(g.as_ref(), serializer, writer),
            None if format.supports_datasets() => {
                return crate::dump::dump_dataset(&self.store, writer, format);
            }
            None => {
                let mut out = serializer.for_writer(writer);
                for triple in self.union_triples()? {
                    out.serialize_triple(triple?.as_ref())
                        .map_err(|e| GraphError::Io(e.to_string()))?;
                }
                return out
                    .finish()
                    .map(|_| ())
                    .map_err(|e| GraphError::Io(e.to_string()));
            }
        };
        result
            .map(|_| ())
            .map_err(|e| GraphError::Io(e.to_string()))
    }

    /// The default graph's triples: the union of the named graphs, each
    /// triple once, streamed.
    pub fn union_triples(
        &self,
    ) -> Result<impl Iterator<Item = Result<Triple, GraphError>>, GraphError> {
        match self.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")? {
            QueryResults::Graph(triples) => Ok(triples.map(|t| t.map_err(GraphError::from))),
            _ => Err(GraphError::Io(
                "a CONSTRUCT question gave no triples".to_owned(),
            )),
        }
    }

    /// Loads RDF with oxigraph's bulk loader, atomically. A default graph
    /// that only repeats the named graphs (an earlier version's dump) is
    /// then removed, see [`crate::union`].
    pub fn bulk_load(&self, reader: impl Read, format: RdfFormat) -> Result<(), GraphError> {
        self.stamp_before_writing(Written::Any)?;
        let mut loader = self.store.bulk_loader();
        loader
            .load_from_reader(
                RdfParser::from_format(format),
                crate::entities::guarded(reader, format),
            )
            .map_err(|e| GraphError::Io(e.to_string()))?;
        loader.commit()?;
        self.settle_default_graph()
    }

    /// The SHA-256 and pipeline version recorded for a source file node, if loaded.
    pub fn recorded_source(
        &self,
        file_node: &NamedNode,
    ) -> Result<Option<(String, String)>, GraphError> {
        let value = |p: &str| -> Result<Option<String>, GraphError> {
            let predicate = NamedNode::new_unchecked(p);
            let found = self
                .store
                .quads_for_pattern(
                    Some(file_node.as_ref().into()),
                    Some(predicate.as_ref()),
                    None,
                    None,
                )
                .next()
                .transpose()?;
            Ok(found.and_then(|q| match q.object {
                Term::Literal(l) => Some(l.value().to_owned()),
                _ => None,
            }))
        };
        Ok(
            match (
                value(&ttkg::iri(ttkg::SHA256))?,
                value(&ttkg::iri(ttkg::PIPELINE_VERSION))?,
            ) {
                (Some(sha), Some(version)) => Some((sha, version)),
                _ => None,
            },
        )
    }

    /// Adds a run to the runs graph (see [`crate::provenance::run`]).
    pub fn record_run(&self, run: &RunRecord) -> Result<(), GraphError> {
        let graph = NamedNode::new_unchecked(ttkg_vocab::RUNS_GRAPH);
        self.stamp_before_writing(Written::Graphs(&[graph.as_ref()]))?;
        let mut transaction = self.store.start_transaction()?;
        for triple in crate::provenance::run(run) {
            transaction.insert(triple.as_ref().in_graph(graph.as_ref()));
        }
        transaction.commit()?;
        Ok(())
    }

    /// Runs a SPARQL query with the ontology's prefixes declared. The
    /// default graph is the union of the named graphs, every fact once;
    /// `GRAPH ?g` tells which source file stated it.
    pub fn query(&self, sparql: &str) -> Result<QueryResults<'static>, GraphError> {
        self.query_with(sparql, &[], None)
    }

    /// [`Self::query`] with variables bound to values before evaluation (the
    /// parameters of saved queries) and a token that cancels it (timeouts).
    ///
    /// The prefixes are given to the parser rather than pasted above the
    /// text, so syntax errors point at the analyst's own line and column.
    pub fn query_with(
        &self,
        sparql: &str,
        bindings: &[(Variable, Term)],
        cancel: Option<CancellationToken>,
    ) -> Result<QueryResults<'static>, GraphError> {
        self.query_in(sparql, bindings, cancel, &GraphSelection::default())
    }

    /// [`Self::query_with`] over the graphs `selection` names (the SPARQL
    /// protocol's `default-graph-uri` and `named-graph-uri`), which replace
    /// the query's own FROM and FROM NAMED when given. Without either, the
    /// default graph is the union of the named graphs, merged as it is read
    /// (each triple once: vendor/README.md), so each fact is stored once.
    pub fn query_in(
        &self,
        sparql: &str,
        bindings: &[(Variable, Term)],
        cancel: Option<CancellationToken>,
        selection: &GraphSelection,
    ) -> Result<QueryResults<'static>, GraphError> {
        crate::nesting::check_nesting(sparql)?;
        let rewritten = if selection.is_empty() {
            crate::columns::rewrite(self, sparql, bindings)
        } else {
            None
        };
        let mut prepared = evaluator(cancel).parse_query(rewritten.as_deref().unwrap_or(sparql))?;
        for (variable, value) in bindings {
            prepared = prepared.substitute_variable(variable.clone(), value.clone());
        }
        if !selection.is_empty() {
            let dataset = prepared.dataset_mut();
            dataset.set_default_graph(
                selection
                    .default_graphs
                    .iter()
                    .map(|g| GraphName::NamedNode(g.clone()))
                    .collect(),
            );
            dataset.set_available_named_graphs(
                selection
                    .named_graphs
                    .iter()
                    .map(|g| NamedOrBlankNode::NamedNode(g.clone()))
                    .collect(),
            );
        } else {
            let grouped = self.path.is_some() && self.stored_default_graph_is_empty()?;
            union_by_default(prepared.dataset_mut(), grouped);
        }
        Ok(prepared.on_store(&self.store).execute()?)
    }

    /// The rows of a SELECT query as strings (IRIs bare, literals by value).
    pub fn select(&self, sparql: &str) -> Result<Vec<Vec<Option<String>>>, GraphError> {
        let QueryResults::Solutions(solutions) = self.query(sparql)? else {
            return Ok(Vec::new());
        };
        let variables: Vec<_> = solutions.variables().to_vec();
        let mut rows = Vec::new();
        for solution in solutions {
            let solution = solution?;
            rows.push(
                variables
                    .iter()
                    .map(|v| solution.get(v).map(term_text))
                    .collect(),
            );
        }
        Ok(rows)
    }

    /// Number of quads in the whole store: each source's facts, each once
    /// in its graph (the default graph, their union, is not stored).
    pub fn len(&self) -> Result<usize, GraphError> {
        Ok(self.store.len()?)
    }

    pub fn is_empty(&self) -> Result<bool, GraphError> {
        Ok(self.store.is_empty()?)
    }

    /// Number of quads in one graph.
    pub fn graph_len(&self, graph: NamedNodeRef<'_>) -> Result<usize, GraphError> {
        Ok(self
            .store
            .quads_for_pattern(None, None, None, Some(GraphNameRef::NamedNode(graph)))
            .count())
    }

    /// Number of triples in the default graph (the union of the named
    /// graphs, each triple once), counted by a question, which reads the
    /// store's indexes without spelling out any term.
    pub fn default_graph_len(&self) -> Result<usize, GraphError> {
        let rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")?;
        let count = rows.first().and_then(|row| row.first()).cloned().flatten();
        count
            .as_deref()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| GraphError::Io(format!("counting the default graph gave {count:?}")))
    }

    /// Flushes to disk.
    pub fn flush(&self) -> Result<(), GraphError> {
        if self.path.is_some() {
            self.store.flush()?;
        }
        Ok(())
    }
}

/// The triples of a slice, lent.
fn refs(triples: &[Triple]) -> Vec<&Triple> {
    triples.iter().collect()
}

/// Replaces `graph` with `triples` inside `transaction`.
fn stage_replacement(
    transaction: &mut oxigraph::store::Transaction<'_>,
    graph: &NamedNode,
    triples: &[Triple],
) -> Result<ReplaceStats, GraphError> {
    let old = graph_content(transaction, graph)?;
    let new: HashSet<&Triple> = triples.iter().collect();
    // Only the difference is written, so a re-sent file with the same
    // facts costs next to nothing.
    let added: Vec<&Triple> = new.iter().copied().filter(|t| !old.contains(*t)).collect();
    let removed: Vec<&Triple> = old.iter().filter(|t| !new.contains(t)).collect();
    stage_changes(transaction, graph, &added, &removed)
}

/// States `added` in `graph` (creating it) and takes `removed` out of it,
/// inside `transaction`.
pub(crate) fn stage_changes(
    transaction: &mut oxigraph::store::Transaction<'_>,
    graph: &NamedNode,
    added: &[&Triple],
    removed: &[&Triple],
) -> Result<ReplaceStats, GraphError> {
    let name = GraphNameRef::NamedNode(graph.as_ref());
    transaction.insert_named_graph(graph.as_ref());
    // Removed first: a value the store keeps in its canonical form ("1.5")
    // and sent as written ("1.50") is one triple to the store, found both
    // removed and added; added last, it stays.
    for triple in removed {
        transaction.remove(triple.as_ref().in_graph(name));
    }
    for triple in added {
        transaction.insert(triple.as_ref().in_graph(name));
    }
    Ok(ReplaceStats {
        added: added.len(),
        removed: removed.len(),
    })
}

/// The triples of one named graph as the transaction sees it.
pub(crate) fn graph_content(
    transaction: &oxigraph::store::Transaction<'_>,
    graph: &NamedNode,
) -> Result<HashSet<Triple>, GraphError> {
    Ok(transaction
        .quads_for_pattern(None, None, None, Some(graph.as_ref().into()))
        .map(|q| q.map(Triple::from))
        .collect::<Result<_, _>>()?)
}

/// The store with some graphs replaced, visible only to [`Queryable`] checks.
pub struct Preview<'a> {
    transaction: oxigraph::store::Transaction<'a>,
}

impl<'a> Preview<'a> {
    /// Replaces `graph` with `triples` in the preview.
    pub fn stage(&mut self, graph: &NamedNode, triples: &[Triple]) -> Result<(), GraphError> {
        stage_replacement(&mut self.transaction, graph, triples).map(|_| ())
    }

    /// The preview's quads, for reading.
    pub fn transaction(&self) -> &oxigraph::store::Transaction<'a> {
        &self.transaction
    }
}

/// What SPARQL SELECT checks run on: the store, or a [`Preview`] of it.
pub trait Queryable {
    /// The rows of a SELECT query (the ontology's prefixes predeclared).
    fn select_terms(&self, sparql: &str) -> Result<Vec<Vec<Option<Term>>>, GraphError>;
}

impl Queryable for KnowledgeStore {
    fn select_terms(&self, sparql: &str) -> Result<Vec<Vec<Option<Term>>>, GraphError> {
        solution_rows(self.query(sparql)?)
    }
}

impl Queryable for Preview<'_> {
    fn select_terms(&self, sparql: &str) -> Result<Vec<Vec<Option<Term>>>, GraphError> {
        crate::nesting::check_nesting(sparql)?;
        let mut prepared = evaluator(None).parse_query(sparql)?;
        union_by_default(prepared.dataset_mut(), false);
        let results = prepared.on_transaction(&self.transaction).execute()?;
        solution_rows(results)
    }
}

fn solution_rows(results: QueryResults<'_>) -> Result<Vec<Vec<Option<Term>>>, GraphError> {
    let QueryResults::Solutions(solutions) = results else {
        return Ok(Vec::new());
    };
    let variables: Vec<_> = solutions.variables().to_vec();
    solutions
        .map(|solution| {
            let solution = solution?;
            Ok(variables.iter().map(|v| solution.get(v).cloned()).collect())
        })
        .collect()
}

/// A SPARQL evaluator with the ontology's prefixes declared.
/// Reads `sparql` as the store would (predeclared prefixes, nesting limit)
/// without running it: for a question another store is to answer, so that
/// a mistake is explained here, with its position, rather than in that
/// store's words.
pub fn check_query(sparql: &str) -> Result<(), GraphError> {
    crate::nesting::check_nesting(sparql)?;
    let _prepared = evaluator(None).parse_query(sparql)?;
    Ok(())
}

/// Makes the default graph of a question that names none (no FROM) the
/// union of the named graphs: ttkg stores each fact once, in its source's
/// graph, and never in the default graph itself.
///
/// `grouped`: the dataset is a store on disk whose own default graph is
/// empty. oxigraph's RocksDB storage gives the quads of one triple one after
/// the other when a term but no graph is asked for (its indexes spog, posg
/// and ospg end with the graph), so the union gives each triple of such a
/// pattern once by comparing it with the one before, holding nothing (the
/// fingerprints the evaluator otherwise remembers made the saved questions
/// 13–42% slower at a million rows). See vendor/README.md.
pub(crate) fn union_by_default(dataset: &mut QueryDataset, grouped: bool) {
    if !dataset.is_default_dataset() {
        return;
    }
    if grouped {
        dataset.set_default_graph_as_union_of_grouped_quads();
    } else {
        dataset.set_default_graph_as_union();
    }
}

pub(crate) fn evaluator(cancel: Option<CancellationToken>) -> SparqlEvaluator {
    let mut evaluator = SparqlEvaluator::new();
    for (prefix, namespace) in ttkg_vocab::PREFIXES {
        evaluator = evaluator
            .with_prefix(*prefix, *namespace)
            .expect("the vocabulary's namespaces are valid IRIs");
    }
    if let Some(token) = cancel {
        evaluator = evaluator.with_cancellation_token(token);
    }
    evaluator
}

/// An IRI without brackets, a literal's lexical value, a blank node's id.
pub fn term_text(term: &Term) -> String {
    match term {
        Term::NamedNode(n) => n.as_str().to_owned(),
        Term::Literal(l) => l.value().to_owned(),
        Term::BlankNode(b) => format!("_:{}", b.as_str()),
        #[allow(unreachable_patterns)]
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{Literal, NamedNodeRef, QuadRef};

    fn fact(s: &str) -> Triple {
        Triple::new(
            NamedNode::new_unchecked(s),
            NamedNode::new_unchecked("http://x/p"),
            Literal::new_simple_literal("o"),
        )
    }

    #[test]
    fn replacing_a_graph_swaps_its_content_and_counts() {
        let store = KnowledgeStore::in_memory().unwrap();
        let g = NamedNode::new_unchecked("http://x/g");
        let first = store
            .replace_graph(&g, &[fact("http://x/a"), fact("http://x/b")])
            .unwrap();
        assert_eq!(
            first,
            ReplaceStats {
                added: 2,
                removed: 0
            }
        );
        let second = store
            .replace_graph(&g, &[fact("http://x/a"), fact("http://x/c")])
            .unwrap();
        assert_eq!(
            second,
            ReplaceStats {
                added: 1,
                removed: 1
            }
        );
        let rows = store
            .select("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s")
            .unwrap();
        assert_eq!(
            rows,
            vec![
                vec![Some("http://x/a".to_owned())],
                vec![Some("http://x/c".to_owned())]
            ]
        );
    }

    /// A value the store keeps in its canonical form ("1.50" as 1.5) and
    /// sent again as written: the old and the new triple are one triple to
    /// the store, and the replacement keeps it.
    #[test]
    fn a_value_written_differently_from_the_stores_form_is_kept() {
        let store = KnowledgeStore::in_memory().unwrap();
        let g = NamedNode::new_unchecked("http://x/g");
        let amount = |lexical: &str| {
            Triple::new(
                NamedNode::new_unchecked("http://x/a"),
                NamedNode::new_unchecked("http://x/amount"),
                Literal::new_typed_literal(lexical, oxigraph::model::vocab::xsd::DECIMAL),
            )
        };
        store.replace_graph(&g, &[amount("1.50")]).unwrap();
        store.replace_graph(&g, &[amount("1.50")]).unwrap();
        assert_eq!(store.graph_len(g.as_ref()).unwrap(), 1);
        assert_eq!(store.default_graph_len().unwrap(), 1);
    }

    /// A graph the store has, replaced by a file's kept triples: only the
    /// difference is written, a fact another source states stays in the
    /// default graph, and a value in a form the store writes differently
    /// is kept.
    #[test]
    fn a_graph_replaced_by_kept_triples_changes_by_the_difference() {
        let store = KnowledgeStore::in_memory().unwrap();
        let (g, other) = (
            NamedNode::new_unchecked("http://x/g"),
            NamedNode::new_unchecked("http://x/other"),
        );
        let amount = Triple::new(
            NamedNode::new_unchecked("http://x/a"),
            NamedNode::new_unchecked("http://x/amount"),
            Literal::new_typed_literal("1.50", oxigraph::model::vocab::xsd::DECIMAL),
        );
        let (a, b, c) = (fact("http://x/a"), fact("http://x/b"), fact("http://x/c"));
        store
            .replace_graph(&g, &[a.clone(), b.clone(), amount.clone()])
            .unwrap();
        store
            .replace_graph(&other, std::slice::from_ref(&b))
            .unwrap();
        let kept = |triples: &[&Triple]| {
            crate::consistency::kept_triples(
                crate::mapper::Terms::default(),
                &mut [],
                &HashSet::new(),
                triples.iter().map(|t| (*t).clone()).collect(),
            )
            .unwrap()
        };
        let stats = store
            .replace_graph_with_kept(&g, kept(&[&a, &c, &amount, &b]))
            .unwrap();
        assert_eq!(stats.removed, stats.added - 1, "{stats:?}: c added");
        let stats = store
            .replace_graph_with_kept(&g, kept(&[&a, &c, &amount]))
            .unwrap();
        assert!(stats.removed >= 1, "{stats:?}: b removed");
        assert_eq!(store.graph_len(g.as_ref()).unwrap(), 3);
        // a, c, the amount, and b, which the other source still states.
        assert_eq!(store.default_graph_len().unwrap(), 4);
        let rows = store
            .select("SELECT ?o WHERE { GRAPH <http://x/g> { <http://x/a> <http://x/amount> ?o } }")
            .unwrap();
        assert_eq!(rows, vec![vec![Some("1.5".to_owned())]]);
    }

    /// A new graph's triples lent (a triple stated twice counted and stored
    /// once) or handed over one at a time, each once (the import's way),
    /// load alike: each once, in its graph (the default graph, their union,
    /// is not stored).
    #[test]
    fn a_new_graph_loads_the_same_whether_its_triples_are_lent_or_given() {
        let triples = vec![fact("http://x/a"), fact("http://x/b"), fact("http://x/a")];
        let lent = KnowledgeStore::in_memory().unwrap();
        let given = KnowledgeStore::in_memory().unwrap();
        let g = NamedNode::new_unchecked("http://x/g");
        let stats = [
            lent.replace_graph(&g, &triples).unwrap(),
            given
                .replace_graph_with_distinct(&g, triples[..2].iter().cloned())
                .unwrap(),
        ];
        for (store, stats) in [&lent, &given].into_iter().zip(stats) {
            assert_eq!(
                stats,
                ReplaceStats {
                    added: 2,
                    removed: 0
                }
            );
            assert_eq!(store.graph_len(g.as_ref()).unwrap(), 2);
            assert_eq!(store.default_graph_len().unwrap(), 2);
            assert_eq!(store.len().unwrap(), 2);
        }
    }

    #[test]
    fn default_graph_counts_a_fact_once_and_keeps_it_while_any_source_states_it() {
        let store = KnowledgeStore::in_memory().unwrap();
        let g1 = NamedNode::new_unchecked("http://x/g1");
        let g2 = NamedNode::new_unchecked("http://x/g2");
        store.replace_graph(&g1, &[fact("http://x/a")]).unwrap();
        store.replace_graph(&g2, &[fact("http://x/a")]).unwrap();
        let count = |s: &KnowledgeStore| {
            s.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
                .unwrap()
        };
        assert_eq!(count(&store), vec![vec![Some("1".to_owned())]]);
        store.replace_graph(&g1, &[]).unwrap();
        assert_eq!(count(&store), vec![vec![Some("1".to_owned())]]);
        store.replace_graph(&g2, &[]).unwrap();
        assert_eq!(count(&store), vec![vec![Some("0".to_owned())]]);
    }

    /// The default graph is the union of the named graphs, answered at
    /// query time: a fact two reports state counts once, in COUNT and SUM,
    /// whether the graphs are merged as the union or named by FROM, and in
    /// memory as on disk (their quads come in different orders). oxigraph
    /// 0.5.13 counted it once per graph (issue 1919): vendor/README.md.
    #[test]
    fn the_union_default_graph_counts_a_fact_once() {
        let dir = tempfile::tempdir().unwrap();
        for store in [
            KnowledgeStore::in_memory().unwrap(),
            KnowledgeStore::open(dir.path()).unwrap(),
        ] {
            // Interleaved, so that a triple's quads are not written together.
            for (o, g) in [(10, "g1"), (5, "g2"), (10, "g2"), (7, "g1"), (10, "g3")] {
                store
                    .store()
                    .insert(QuadRef::new(
                        NamedNodeRef::new_unchecked("http://x/a"),
                        NamedNodeRef::new_unchecked("http://x/p"),
                        &Literal::from(o),
                        NamedNodeRef::new_unchecked(&format!("http://x/{g}")),
                    ))
                    .unwrap();
            }
            for (question, expected) in [
                ("SELECT (COUNT(*) AS ?n) (SUM(?o) AS ?sum) WHERE { ?s ?p ?o }", ["3", "22"]),
                ("SELECT (COUNT(*) AS ?n) (SUM(?o) AS ?sum) FROM <http://x/g1> FROM <http://x/g2> WHERE { ?s ?p ?o }", ["3", "22"]),
                ("SELECT (COUNT(*) AS ?n) (SUM(?o) AS ?sum) WHERE { <http://x/a> <http://x/p> ?o }", ["3", "22"]),
                ("SELECT (COUNT(*) AS ?n) (SUM(10) AS ?sum) WHERE { ?s ?p 10 }", ["1", "10"]),
                ("SELECT (COUNT(*) AS ?n) (SUM(?o) AS ?sum) WHERE { <http://x/a> <http://x/p>+ ?o }", ["3", "22"]),
                ("SELECT (COUNT(*) AS ?n) (SUM(?o) AS ?sum) WHERE { GRAPH ?g { ?s ?p ?o } }", ["5", "42"]),
            ] {
                assert_eq!(
                    store.select(question).unwrap(),
                    vec![vec![Some(expected[0].to_owned()), Some(expected[1].to_owned())]],
                    "{question}"
                );
            }
        }
    }

    /// Every quad of a store, as sorted text.
    fn all_quads(store: &KnowledgeStore) -> Vec<String> {
        let mut quads: Vec<String> = store
            .store()
            .iter()
            .map(|q| q.unwrap().to_string())
            .collect();
        quads.sort();
        quads
    }

    fn numbered(from: usize, to: usize) -> Vec<Triple> {
        (from..to).map(|i| fact(&format!("http://x/{i}"))).collect()
    }

    fn kept(triples: Vec<Triple>) -> KeptTriples {
        crate::consistency::kept_triples(
            crate::mapper::Terms::default(),
            &mut [],
            &HashSet::new(),
            triples,
        )
        .unwrap()
    }

    /// The work given to run meanwhile runs once, whether the graph is new
    /// (during the bulk loader's last writes, reading the store as the next
    /// file's reading may) or replaced, and the graph is written all the same.
    #[test]
    fn work_run_meanwhile_runs_once_and_the_graph_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = KnowledgeStore::open(dir.path()).unwrap();
        let (g, other) = (
            NamedNode::new_unchecked("http://x/g"),
            NamedNode::new_unchecked("http://x/other"),
        );
        store.replace_graph(&other, &numbered(0, 10)).unwrap();
        for (from, to) in [(0, 5_000), (2_000, 6_000)] {
            let mut seen = Vec::new();
            let stats = store
                .replace_graph_with_kept_while(&g, kept(numbered(from, to)), || {
                    seen.push(store.graph_len(other.as_ref()).unwrap());
                })
                .unwrap();
            assert_eq!(seen, [10], "run once, reading the store");
            assert_eq!(stats.added, if from == 0 { 5_000 } else { 1_000 });
            assert_eq!(store.graph_len(g.as_ref()).unwrap(), to - from);
        }
    }

    /// The bulk loader gets half the budget while the process uses little,
    /// two thirds of what is left (less a tenth, and less the columnar copy
    /// gathered meanwhile) once it uses more, and an eighth when the source
    /// alone holds more than the budget.
    #[test]
    fn the_loader_gets_what_the_process_leaves_of_the_budget() {
        use super::loader_share;
        assert_eq!(loader_share(1536, None, 0), 768, "no figure: half");
        assert_eq!(loader_share(1536, Some(100), 0), 768, "at most half");
        assert_eq!(loader_share(1536, Some(200), 0), 768, "room for half");
        assert_eq!(loader_share(1536, Some(800), 0), (1536 - 800 - 153) / 3 * 2);
        assert_eq!(
            loader_share(1536, Some(500), 200),
            (1536 - 700 - 153) / 3 * 2,
            "the copy gathered meanwhile is left room for"
        );
        assert_eq!(
            loader_share(1536, Some(693), 420),
            192,
            "a 1,000,000-row report's copy"
        );
        assert_eq!(loader_share(1536, Some(1400), 0), 192, "an eighth at least");
        assert_eq!(loader_share(1536, Some(usize::MAX), usize::MAX), 192);
        assert_eq!(loader_share(20, Some(0), 0), 16, "what oxigraph needs");
    }

    /// A replacement or a retraction larger than the load budget allows in
    /// one transaction is written in steps and ends exactly as one
    /// transaction would leave the store: a fact another graph states stays
    /// in the default graph, and no rollback point is left behind.
    #[test]
    fn a_replacement_or_retraction_in_steps_ends_as_one_transaction_would() {
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let (g, other) = (
            NamedNode::new_unchecked("http://x/g"),
            NamedNode::new_unchecked("http://x/other"),
        );
        let mut answers = Vec::new();
        for (dir, budget) in dirs.iter().zip([Some(1), None]) {
            let store = KnowledgeStore::open(dir.path()).unwrap();
            store.replace_graph(&g, &numbered(0, 6_000)).unwrap();
            store
                .replace_graph(&other, &numbered(2_900, 3_100))
                .unwrap();
            if let Some(mb) = budget {
                // 16 MB at least: steps of 2,400 changed triples, so two
                // of removals and two of additions.
                store.limit_load_memory(mb << 20);
                assert_eq!(store.replacement_step(), 2_400);
            }
            let stats = store
                .replace_graph_with_kept(&g, kept(numbered(3_000, 9_000)))
                .unwrap();
            assert_eq!(
                stats,
                ReplaceStats {
                    added: 3_000,
                    removed: 3_000
                }
            );
            assert!(!dir.path().join(rollback::ROLLBACK).exists());
            assert_eq!(store.graph_len(g.as_ref()).unwrap(), 6_000);
            // 3,000..9,000 from g, and other's 2,900..2,999.
            assert_eq!(store.default_graph_len().unwrap(), 6_100);
            answers.push(all_quads(&store));
            // Retracted in steps too: what only g stated leaves.
            let stats = store.retract_graph(&g).unwrap();
            assert_eq!(stats.removed, 6_000);
            assert!(!store.store().contains_named_graph(g.as_ref()).unwrap());
            assert_eq!(store.default_graph_len().unwrap(), 200);
            assert!(!dir.path().join(rollback::ROLLBACK).exists());
            answers.push(all_quads(&store));
        }
        assert!(answers[0] == answers[2], "the same quads either way");
        assert!(answers[1] == answers[3], "the same quads either way");
        assert!(KnowledgeStore::in_memory().unwrap().replacement_step() == usize::MAX);
    }

    /// A store left with a rollback point (a write in steps killed
    /// half-way) is put back as it was before the write when it is opened
    /// again, and a second open while it is open is refused.
    #[test]
    fn a_store_killed_half_way_through_a_write_in_steps_is_put_back() {
        let dir = tempfile::tempdir().unwrap();
        let g = NamedNode::new_unchecked("http://x/g");
        let before = {
            let store = KnowledgeStore::open(dir.path()).unwrap();
            store.replace_graph(&g, &numbered(0, 100)).unwrap();
            assert!(matches!(
                KnowledgeStore::open(dir.path()),
                Err(GraphError::Held { .. })
            ));
            let before = all_quads(&store);
            // What a write in steps does before its first step, then some
            // of the steps, and no end: as if killed.
            rollback::make(store.store(), dir.path()).unwrap();
            let mut transaction = store.store().start_transaction().unwrap();
            stage_changes(&mut transaction, &g, &[], &refs(&numbered(0, 50))).unwrap();
            transaction.commit().unwrap();
            store.flush().unwrap();
            assert_eq!(store.graph_len(g.as_ref()).unwrap(), 50);
            before
        };
        let store = KnowledgeStore::open(dir.path()).unwrap();
        assert_eq!(all_quads(&store), before);
        assert!(!dir.path().join(rollback::ROLLBACK).exists());
        assert!(
            dir.path().join("graph-stamps").exists(),
            "ttkg's own files stay"
        );
        drop(store);
        // Nothing to put back the second time.
        let store = KnowledgeStore::open(dir.path()).unwrap();
        assert_eq!(all_quads(&store), before);
    }

    /// After a write in steps failed half-way, the store takes no more
    /// writes and publishes no snapshot in this process.
    #[test]
    fn a_store_half_written_takes_no_more_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = KnowledgeStore::open(dir.path()).unwrap();
        store.half_written.store(true, Ordering::SeqCst);
        let g = NamedNode::new_unchecked("http://x/g");
        assert!(matches!(
            store.replace_graph(&g, &numbered(0, 1)),
            Err(GraphError::StoreHalfWritten { .. })
        ));
        assert!(matches!(
            store.publish_snapshot(),
            Err(GraphError::StoreHalfWritten { .. })
        ));
    }
}

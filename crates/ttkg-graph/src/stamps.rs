//! Write stamps: which named graphs may have changed, without reading them.
//!
//! A publish must tell which graphs differ from what it sent last time.
//! Reading every graph back to digest it decodes every quad (41 s of CPU for
//! a 9.9 M-quad store), so each write gives the graphs it writes a new stamp
//! first, in `STORE/graph-stamps`, and a reader that has seen a graph at one
//! stamp knows it unchanged while the stamp is the same.
//!
//! The stamp is written before the commit, never after: a write that fails
//! or is killed between the two leaves a new stamp on an unchanged graph
//! (read again for nothing), never an old stamp on a changed one. A write
//! that cannot say which graphs it changes (`ttkg load`) starts a new epoch,
//! which changes every stamp. Stamps are only trusted by a process that
//! holds the store for itself ([`KnowledgeStore::graph_stamps`]), so that no
//! writer can come between reading a stamp and reading its graph.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use oxigraph::model::NamedNodeRef;

use crate::error::GraphError;
use crate::store::KnowledgeStore;

/// The file of stamps, in the store's folder.
pub const STAMPS_FILE: &str = "graph-stamps";
/// The epoch line's flag for [`GraphStamps::union_kept`].
const UNION_KEPT: &str = "union-kept";

/// The graphs a write changes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Written<'a> {
    Graphs(&'a [NamedNodeRef<'a>]),
    /// Any graph: every stamp changes.
    Any,
}

/// The stamps of a store's named graphs as they stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphStamps {
    epoch: String,
    /// The epoch began with a write of ttkg's own on an empty store, so
    /// the stored default graph has held nothing but facts of the named
    /// graphs throughout it: nothing at all, or (written by an earlier
    /// version) their union (no write of ttkg touches it; a `ttkg load` may,
    /// and begins a new epoch without this). See [`crate::union`].
    union_kept: bool,
    graphs: HashMap<String, String>,
}

impl GraphStamps {
    /// The stamp of `graph` (its IRI): the same as long as the graph is.
    pub fn of(&self, graph: &str) -> String {
        match self.graphs.get(graph) {
            Some(stamp) => format!("{}/{stamp}", self.epoch),
            None => format!("{}/-", self.epoch),
        }
    }

    /// The epoch: it changes when every stamp does.
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// Whether the stored default graph is known to have repeated only
    /// facts of the named graphs since the epoch began (see the field).
    pub fn union_kept(&self) -> bool {
        self.union_kept
    }

    fn read(path: &Path) -> Result<Option<GraphStamps>, GraphError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(path, e)),
        };
        let mut lines = text.lines();
        let epoch = lines
            .next()
            .and_then(|l| l.strip_prefix("epoch\t"))
            .filter(|e| !e.is_empty());
        let Some(epoch) = epoch else {
            // Not written by this module: trust nothing in it.
            return Ok(None);
        };
        // Files written before the flag have none: their epoch is unknown.
        let (epoch, union_kept) = match epoch.split_once('\t') {
            Some((epoch, flag)) => (epoch, flag == UNION_KEPT),
            None => (epoch, false),
        };
        let mut graphs = HashMap::new();
        for line in lines {
            let Some((graph, stamp)) = line.split_once('\t') else {
                return Ok(None);
            };
            graphs.insert(graph.to_owned(), stamp.to_owned());
        }
        Ok(Some(GraphStamps {
            epoch: epoch.to_owned(),
            union_kept,
            graphs,
        }))
    }

    /// Writes the stamps through a file beside them, synced, so that a stop
    /// leaves the old stamps or the new, whole.
    fn write(&self, path: &Path) -> Result<(), GraphError> {
        let mut text = format!("epoch\t{}", self.epoch);
        if self.union_kept {
            text.push('\t');
            text.push_str(UNION_KEPT);
        }
        text.push('\n');
        for (graph, stamp) in &self.graphs {
            // IRIs hold no whitespace, so a tab and a newline delimit them.
            text.push_str(&format!("{graph}\t{stamp}\n"));
        }
        let partial = path.with_extension("partial");
        let mut file = std::fs::File::create(&partial).map_err(|e| io(&partial, e))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| io(&partial, e))?;
        std::fs::rename(&partial, path).map_err(|e| io(path, e))?;
        if let Some(dir) = path.parent() {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| io(dir, e))?;
        }
        Ok(())
    }
}

fn io(path: &Path, e: std::io::Error) -> GraphError {
    GraphError::Io(format!("{}: {e}", path.display()))
}

/// A stamp no other write has had: the time, the process and a counter.
fn fresh() -> String {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{nanos:x}.{:x}.{:x}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    )
}

impl KnowledgeStore {
    /// The stamps of the named graphs, when they can be trusted: this
    /// process holds the store for writing (no other writer can change a
    /// graph while they are read), and every write since the stamps began
    /// kept them. `None` for a read-only snapshot, a store in memory, or a
    /// store never written since stamps were kept.
    pub fn graph_stamps(&self) -> Result<Option<GraphStamps>, GraphError> {
        match (self.is_writable(), self.path()) {
            (true, Some(dir)) => GraphStamps::read(&dir.join(STAMPS_FILE)),
            _ => Ok(None),
        }
    }

    /// Gives the graphs a write is about to change new stamps; called
    /// before the write commits (see the module). Returns the stamps as
    /// written, `None` where none are kept.
    pub(crate) fn stamp_before_writing(
        &self,
        written: Written<'_>,
    ) -> Result<Option<GraphStamps>, GraphError> {
        self.check_whole()?;
        let Some(dir) = self.path().filter(|_| self.is_writable()) else {
            return Ok(None);
        };
        // Read, changed and written whole: two writers at once in this
        // process (the server's handlers) must not lose each other's stamp.
        static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        let path = dir.join(STAMPS_FILE);
        // A name the file cannot hold on one line (IRIs have no whitespace,
        // but a name may come unchecked) is not written in: the write
        // renews every stamp instead, never leaving a changed graph's alone.
        let unwritable = |g: &NamedNodeRef<'_>| g.as_str().contains(['\t', '\n', '\r']);
        let stamps = match (written, GraphStamps::read(&path)?) {
            (Written::Graphs(graphs), Some(mut stamps)) if !graphs.iter().any(unwritable) => {
                for graph in graphs {
                    stamps.graphs.insert(graph.as_str().to_owned(), fresh());
                }
                stamps
            }
            // A new epoch: every graph's stamp is new, whatever it was. A
            // write of named graphs leaves the stored default graph alone;
            // on an empty store it has been empty from the start.
            _ => GraphStamps {
                epoch: fresh(),
                union_kept: matches!(written, Written::Graphs(_)) && self.store().is_empty()?,
                graphs: HashMap::new(),
            },
        };
        stamps.write(&path)?;
        Ok(Some(stamps))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::RdfFormat;
    use oxigraph::model::{NamedNode, Triple};

    fn fact(s: &str) -> Triple {
        Triple::new(
            NamedNode::new_unchecked(format!("urn:{s}")),
            NamedNode::new_unchecked("urn:p"),
            NamedNode::new_unchecked("urn:o"),
        )
    }

    fn stamps(store: &KnowledgeStore) -> GraphStamps {
        store.graph_stamps().unwrap().expect("stamps kept")
    }

    #[test]
    fn every_write_restamps_the_graphs_it_writes_and_only_those() {
        let dir = tempfile::tempdir().unwrap();
        let store = KnowledgeStore::open(dir.path()).unwrap();
        assert_eq!(store.graph_stamps().unwrap(), None, "nothing written yet");
        let (a, b) = (
            NamedNode::new_unchecked("urn:a"),
            NamedNode::new_unchecked("urn:b"),
        );
        store.replace_graph(&a, &[fact("1")]).unwrap();
        store.replace_graph(&b, &[fact("2")]).unwrap();
        let before = stamps(&store);

        type Write<'a> = Box<dyn Fn() -> Result<crate::ReplaceStats, GraphError> + 'a>;
        let writes: Vec<(&str, Write)> = vec![
            (
                "replace",
                Box::new(|| store.replace_graph(&a, &[fact("3")])),
            ),
            ("add", Box::new(|| store.add_to_graph(&a, &[fact("4")]))),
            (
                "update",
                Box::new(|| {
                    store.update("INSERT DATA { GRAPH <urn:a> { <urn:5> <urn:p> <urn:o> } }")
                }),
            ),
            ("retract", Box::new(|| store.retract_graph(&a))),
        ];
        let mut last = before.clone();
        for (what, write) in writes {
            write().unwrap();
            let now = stamps(&store);
            assert_ne!(
                now.of("urn:a"),
                last.of("urn:a"),
                "{what} restamps its graph"
            );
            assert_eq!(
                now.of("urn:b"),
                before.of("urn:b"),
                "{what} leaves the others"
            );
            last = now;
        }

        // A load can write any graph: every stamp changes.
        let nquads = "<urn:6> <urn:p> <urn:o> <urn:c> .\n";
        store
            .bulk_load(nquads.as_bytes(), RdfFormat::NQuads)
            .unwrap();
        let loaded = stamps(&store);
        assert_ne!(loaded.of("urn:b"), before.of("urn:b"));
        assert_ne!(loaded.of("urn:c"), last.of("urn:c"));
    }

    #[test]
    fn a_refused_write_may_restamp_but_a_stamp_never_outlives_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let store = KnowledgeStore::open(dir.path()).unwrap();
        let a = NamedNode::new_unchecked("urn:a");
        store.replace_graph(&a, &[fact("1")]).unwrap();
        let before = stamps(&store);
        // Refused before anything is stamped or written.
        assert!(store.update("CLEAR ALL").is_err());
        assert_eq!(stamps(&store), before);
        // A file that is not ours (or is damaged) is not trusted.
        std::fs::write(dir.path().join(STAMPS_FILE), "garbage").unwrap();
        assert_eq!(store.graph_stamps().unwrap(), None);
        store.replace_graph(&a, &[fact("2")]).unwrap();
        assert!(
            store.graph_stamps().unwrap().is_some(),
            "a new epoch begins"
        );
        // A graph name that would break a line of the file renews every
        // stamp, the graph's own included.
        let odd = NamedNode::new_unchecked("urn:a\tb");
        let before = stamps(&store);
        store.replace_graph(&odd, &[fact("3")]).unwrap();
        let after = stamps(&store);
        assert_ne!(after.of("urn:a"), before.of("urn:a"));
        assert_ne!(after.of(odd.as_str()), before.of(odd.as_str()));
        assert_eq!(after.of(odd.as_str()), after.of("urn:unwritten"));
    }

    #[test]
    fn writes_from_several_threads_each_keep_their_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let store = KnowledgeStore::open(dir.path()).unwrap();
        let graphs: Vec<NamedNode> = (0..8)
            .map(|i| NamedNode::new_unchecked(format!("urn:g{i}")))
            .collect();
        store.replace_graph(&graphs[0], &[fact("0")]).unwrap();
        let before = stamps(&store);
        std::thread::scope(|scope| {
            for graph in &graphs {
                let store = &store;
                scope.spawn(move || store.add_to_graph(graph, &[fact("1")]).unwrap());
            }
        });
        let after = stamps(&store);
        for graph in &graphs {
            assert_ne!(
                after.of(graph.as_str()),
                before.of(graph.as_str()),
                "{graph}"
            );
        }
    }

    #[test]
    fn snapshots_and_stores_in_memory_have_no_trusted_stamps() {
        let dir = tempfile::tempdir().unwrap();
        let store = KnowledgeStore::open(dir.path()).unwrap();
        store
            .replace_graph(&NamedNode::new_unchecked("urn:a"), &[fact("1")])
            .unwrap();
        store.publish_snapshot().unwrap();
        let snapshot = crate::snapshot::Snapshot::open_latest(dir.path()).unwrap();
        assert_eq!(snapshot.store.graph_stamps().unwrap(), None);
        let memory = KnowledgeStore::in_memory().unwrap();
        memory
            .replace_graph(&NamedNode::new_unchecked("urn:a"), &[fact("1")])
            .unwrap();
        assert_eq!(memory.graph_stamps().unwrap(), None);
    }
}

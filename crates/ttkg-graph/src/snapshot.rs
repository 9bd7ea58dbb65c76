//! Read-only snapshots of the store for readers in other processes.
//!
//! One process holds a RocksDB store for writing. Readers that must be
//! isolated from it — query workers that may be killed at a time limit, a
//! query while an import runs — open a *snapshot* instead: a RocksDB
//! checkpoint of the committed store (hard links, so cheap), published by
//! the writer after each change into `STORE/snapshots/<generation>`, with
//! `STORE/snapshots/current` naming the newest. Files in a snapshot never
//! change, so opening it read-only is safe whatever the writer does.
//!
//! A reader holds a shared lock on its snapshot's `reader.lock` while it
//! reads; the writer removes an old snapshot only when it can lock that file
//! for itself, so nothing is deleted under a reader.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use oxigraph::store::Store;

use crate::columns;
use crate::error::GraphError;
use crate::stamps::GraphStamps;
use crate::store::KnowledgeStore;

/// The snapshots folder inside a store folder.
pub const SNAPSHOTS: &str = "snapshots";
const CURRENT: &str = "current";
const READER_LOCK: &str = "reader.lock";

fn io(path: &Path, e: std::io::Error) -> GraphError {
    GraphError::Open {
        path: path.to_owned(),
        message: format!("snapshot: {e}"),
    }
}

impl KnowledgeStore {
    /// Publishes the committed store as the newest snapshot, and removes
    /// the older ones no reader holds. Returns the new generation's name.
    pub fn publish_snapshot(&self) -> Result<String, GraphError> {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        let Some(store_dir) = self.path() else {
            return Err(GraphError::Io(
                "an in-memory store has no snapshots".to_owned(),
            ));
        };
        // Never a store with a replacement half-written.
        self.check_whole()?;
        let dir = store_dir.join(SNAPSHOTS);
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        self.flush()?;
        let generation = format!(
            "{}-{}-{}",
            chrono_millis(),
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        );
        let staging = dir.join(format!("tmp-{generation}"));
        let stamps = self.graph_stamps()?;
        self.store().backup(&staging)?;
        self.link_columns(store_dir, stamps, &staging);
        File::create(staging.join(READER_LOCK)).map_err(|e| io(&staging, e))?;
        let target = dir.join(&generation);
        std::fs::rename(&staging, &target).map_err(|e| io(&target, e))?;
        let pointer = dir.join(format!("{CURRENT}.tmp"));
        std::fs::write(&pointer, &generation).map_err(|e| io(&pointer, e))?;
        std::fs::rename(&pointer, dir.join(CURRENT)).map_err(|e| io(&pointer, e))?;
        remove_unused(&dir, &generation);
        Ok(generation)
    }
}

impl KnowledgeStore {
    /// Brings the columnar copy in step and links it into the snapshot
    /// being made in `staging`, when it is the copy of the state backed up
    /// there: the stamps read before the backup are still the stamps (each
    /// write restamps before it commits). Without a copy the snapshot's
    /// questions run as SPARQL alone, so a failure is only warned of.
    fn link_columns(&self, store_dir: &Path, before: Option<GraphStamps>, staging: &Path) {
        let linked = (|| -> Result<(), GraphError> {
            let Some(keys) = columns::refresh(self)? else {
                return Ok(());
            };
            if before.is_none() || self.graph_stamps()? != before {
                return Ok(());
            }
            columns::link_into(store_dir, &keys, staging)
        })();
        if let Err(e) = linked {
            tracing::warn!("the columnar copy was not published ({e}): questions run as SPARQL alone until the next import");
            let _ = std::fs::remove_dir_all(staging.join(columns::COLUMNS));
        }
    }
}

fn chrono_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// Removes every snapshot but `keep` that no reader holds (and any staging
/// folder a killed writer left).
fn remove_unused(dir: &Path, keep: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == keep || !path.is_dir() {
            continue;
        }
        // The exclusive lock is held until the folder is gone: a reader that
        // opened the lock file meanwhile waits, then finds it removed and
        // moves on to the current snapshot (instead of opening half-deleted
        // table files).
        let lock = File::open(path.join(READER_LOCK)).ok();
        let free = match &lock {
            Some(lock) => lock.try_lock().is_ok(),
            // A staging folder, or a snapshot whose lock file is gone.
            None => true,
        };
        if free {
            if let Err(e) = std::fs::remove_dir_all(&path) {
                tracing::warn!("cannot remove the old snapshot {}: {e}", path.display());
            }
        }
        drop(lock);
    }
}

/// A snapshot opened for reading, locked against removal while held.
pub struct Snapshot {
    pub store: KnowledgeStore,
    pub generation: String,
    _lock: File,
}

/// The name of the newest snapshot of the store in `store_dir`, if any.
pub fn current_generation(store_dir: &Path) -> Option<String> {
    std::fs::read_to_string(store_dir.join(SNAPSHOTS).join(CURRENT))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

impl Snapshot {
    /// Opens the newest snapshot of the store in `store_dir`.
    pub fn open_latest(store_dir: &Path) -> Result<Snapshot, GraphError> {
        let dir = store_dir.join(SNAPSHOTS);
        // The writer may replace it between reading the name and locking it.
        for _ in 0..20 {
            let Some(generation) = current_generation(store_dir) else {
                return Err(GraphError::Open {
                    path: dir,
                    message: "the store has no snapshot for readers yet; run `ttkg import` (or `ttkg serve`) once to make one".into(),
                });
            };
            let path = dir.join(&generation);
            let Ok(lock) = OpenOptions::new().read(true).open(path.join(READER_LOCK)) else {
                std::thread::sleep(std::time::Duration::from_millis(5));
                continue;
            };
            if lock.lock_shared().is_err() || !path.join(READER_LOCK).exists() {
                // Replaced and removed since we read its name: a newer one is
                // current; give the writer a moment to name it.
                std::thread::sleep(std::time::Duration::from_millis(5));
                continue;
            }
            let store = Store::open_read_only(&path).map_err(|e| GraphError::Open {
                path: path.clone(),
                message: e.to_string(),
            })?;
            return Ok(Snapshot {
                store: KnowledgeStore::from_read_only(store, path),
                generation,
                _lock: lock,
            });
        }
        Err(GraphError::Open {
            path: dir,
            message: "the snapshots changed too fast to open one; try again".into(),
        })
    }

    /// Whether a newer snapshot than this one has been published.
    pub fn is_stale(&self, store_dir: &Path) -> bool {
        current_generation(store_dir).is_some_and(|g| g != self.generation)
    }
}

/// A writable copy of a snapshot, for evaluating an update without touching
/// the snapshot (its table files are shared as hard links, which the copy
/// never changes: it is read and dropped, never committed to). Removed when
/// dropped.
pub struct Scratch {
    pub store: KnowledgeStore,
    dir: PathBuf,
    _lock: File,
}

impl Snapshot {
    /// A [`Scratch`] copy of this snapshot, inside the snapshots folder.
    pub fn scratch_copy(&self) -> Result<Scratch, GraphError> {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        let source = self.store.path().map(Path::to_owned).unwrap_or_default();
        let parent = source.parent().map(Path::to_owned).unwrap_or_default();
        let dir = parent.join(format!(
            "scratch-{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&dir).map_err(|e| io(&dir, e))?;
        // Held from the start, so that a writer cleaning up leaves it alone.
        let lock = File::create(dir.join(READER_LOCK)).map_err(|e| io(&dir, e))?;
        lock.lock_shared().map_err(|e| io(&dir, e))?;
        let copy = || -> std::io::Result<()> {
            for entry in std::fs::read_dir(&source)? {
                let entry = entry?;
                let name = entry.file_name();
                if name == READER_LOCK || !entry.file_type()?.is_file() {
                    continue;
                }
                let to = dir.join(&name);
                let immutable = name.to_string_lossy().ends_with(".sst")
                    || name.to_string_lossy().ends_with(".blob");
                if !(immutable && std::fs::hard_link(entry.path(), &to).is_ok()) {
                    std::fs::copy(entry.path(), &to)?;
                }
            }
            Ok(())
        };
        let scratch = |store| Scratch {
            store,
            dir: dir.clone(),
            _lock: lock,
        };
        match copy()
            .map_err(|e| io(&dir, e))
            .and_then(|()| KnowledgeStore::open(&dir))
        {
            Ok(store) => Ok(scratch(store)),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                Err(e)
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // The store is closed before its folder goes: replace it with an
        // empty in-memory one first.
        if let Ok(empty) = KnowledgeStore::in_memory() {
            drop(std::mem::replace(&mut self.store, empty));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The folder of snapshot `generation` (for tests and messages).
pub fn snapshot_dir(store_dir: &Path, generation: &str) -> PathBuf {
    store_dir.join(SNAPSHOTS).join(generation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{Literal, NamedNode, Triple};

    #[test]
    fn readers_see_the_published_state_and_hold_it_against_removal() {
        let dir = tempfile::tempdir().unwrap();
        let store = KnowledgeStore::open(dir.path()).unwrap();
        let g = NamedNode::new_unchecked("http://x/g");
        let fact = |o: &str| {
            Triple::new(
                NamedNode::new_unchecked("http://x/s"),
                NamedNode::new_unchecked("http://x/p"),
                Literal::new_simple_literal(o),
            )
        };
        store.replace_graph(&g, &[fact("one")]).unwrap();
        let first = store.publish_snapshot().unwrap();
        let reader = Snapshot::open_latest(dir.path()).unwrap();
        assert_eq!(reader.generation, first);
        store.replace_graph(&g, &[fact("two")]).unwrap();
        let second = store.publish_snapshot().unwrap();
        assert!(reader.is_stale(dir.path()));
        assert!(
            snapshot_dir(dir.path(), &first).exists(),
            "a held snapshot is not removed"
        );
        let count = |s: &KnowledgeStore| s.select("SELECT ?o WHERE { ?s ?p ?o }").unwrap();
        assert_eq!(count(&reader.store), vec![vec![Some("one".to_owned())]]);
        // An update evaluated on a scratch copy changes neither the
        // snapshot nor the store; its difference applies to the store.
        let scratch = reader.scratch_copy().unwrap();
        let delta = scratch
            .store
            .update_delta(
                "INSERT DATA { GRAPH <http://x/g> { <http://x/s> <http://x/p> \"three\" } }",
                None,
            )
            .unwrap();
        drop(scratch);
        assert_eq!(count(&reader.store), vec![vec![Some("one".to_owned())]]);
        assert_eq!(delta.added.len(), 1);
        drop(reader);
        assert_eq!(
            std::fs::read_dir(dir.path().join(SNAPSHOTS))
                .unwrap()
                .filter(|e| e
                    .as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("scratch-"))
                .count(),
            0,
            "the scratch copy is removed"
        );
        store.publish_snapshot().unwrap();
        assert!(!snapshot_dir(dir.path(), &first).exists());
        assert!(!snapshot_dir(dir.path(), &second).exists());
        let latest = Snapshot::open_latest(dir.path()).unwrap();
        assert_eq!(count(&latest.store), vec![vec![Some("two".to_owned())]]);
    }
}

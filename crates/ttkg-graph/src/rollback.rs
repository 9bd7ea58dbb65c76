//! A write too large for one transaction, made whole or not at all.
//!
//! oxigraph's transaction holds everything it writes in memory until the
//! commit (a changed 100,000-row report: about 3 GiB), and its bulk loader,
//! which is bounded, cannot remove facts. So a large replacement is written
//! in bounded steps behind a *rollback point*: a RocksDB checkpoint of the
//! committed store (hard links, so cheap) in `STORE/rollback`, made before
//! the first step and removed after the last. A process killed in between
//! leaves the folder; whoever opens the store next puts the checkpoint's
//! files back first, so the store is as it was before the write began.
//!
//! Readers in other processes never see the steps: they read snapshots,
//! published only after a whole import ([`crate::snapshot`]). Opening the
//! store for writing takes `STORE/ttkg-open.lock` for as long as it is open,
//! so that no process restores files under another that has the store open.

use std::fs::{File, OpenOptions};
use std::path::Path;

use oxigraph::store::Store;

use crate::error::GraphError;

/// The rollback point's folder, inside the store's.
pub const ROLLBACK: &str = "rollback";
/// A rollback point being made (not yet usable) or being removed (no
/// longer needed): either way deleted when found.
const ROLLBACK_MAKING: &str = "rollback.making";
const ROLLBACK_DISCARDED: &str = "rollback.discarded";
/// Held, exclusively, by the process that has the store open for writing.
const OPEN_LOCK: &str = "ttkg-open.lock";
/// How long a held open lock is tried again before it counts as another
/// process's (see [`OpenLock::take`]).
const HELD_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

fn io(path: &Path, what: &str, e: std::io::Error) -> GraphError {
    GraphError::Rollback {
        path: path.to_owned(),
        message: format!("{what}: {e}"),
    }
}

/// Removes the folder `path` if it is there.
fn remove_dir_if_there(path: &Path) -> Result<(), GraphError> {
    if path.exists() {
        std::fs::remove_dir_all(path).map_err(|e| io(path, "removing", e))?;
    }
    Ok(())
}

/// The store folder's open lock, held while the store is open for writing.
#[derive(Debug)]
pub(crate) struct OpenLock {
    _file: File,
}

impl OpenLock {
    /// Takes the lock on `dir`'s store, or says who may hold it.
    pub(crate) fn take(dir: &Path) -> Result<OpenLock, GraphError> {
        let path = dir.join(OPEN_LOCK);
        let failed = |e: std::io::Error| GraphError::Open {
            path: dir.to_owned(),
            message: format!("{}: {e}", path.display()),
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(failed)?;
        // A process that another thread of this one starts (a command, a
        // query worker) holds a copy of every descriptor until it has
        // started its program, and with it any lock this process has just
        // released: a store closed and opened again at once can find its
        // own lock held for that moment. So a held lock is tried again for
        // a while before it is taken for another process's.
        let deadline = std::time::Instant::now() + HELD_GRACE;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(OpenLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(GraphError::Held {
                        path: dir.to_owned(),
                        message: format!("{} is locked", path.display()),
                    })
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(failed(e)),
            }
        }
    }
}

/// Whether `name` is one of RocksDB's own files in a store folder (not
/// ttkg's: the snapshots, the stamps, the locks).
fn is_rocksdb_file(name: &str) -> bool {
    name.ends_with(".sst")
        || name.ends_with(".log")
        || name.ends_with(".blob")
        || name.ends_with(".dbtmp")
        || name.starts_with("MANIFEST-")
        || name.starts_with("OPTIONS-")
        || name.starts_with("LOG")
        || matches!(name, "CURRENT" | "IDENTITY" | "LOCK")
}

/// Puts the store in `dir` back as it was before a write that was
/// interrupted (its rollback point is still there), and clears what a
/// rollback point left half made or half removed. Called with the open
/// lock held and before RocksDB opens the folder. Returns whether the store
/// was put back. Safe to repeat: killed half-way, it starts again.
pub(crate) fn recover(dir: &Path) -> Result<bool, GraphError> {
    for leftover in [ROLLBACK_MAKING, ROLLBACK_DISCARDED] {
        remove_dir_if_there(&dir.join(leftover))?;
    }
    let point = dir.join(ROLLBACK);
    if !point.exists() {
        return Ok(false);
    }
    let entries = |d: &Path| -> Result<Vec<String>, GraphError> {
        std::fs::read_dir(d)
            .map_err(|e| io(d, "reading the folder", e))?
            .map(|e| {
                e.map(|e| e.file_name().to_string_lossy().into_owned())
                    .map_err(|e| io(d, "reading the folder", e))
            })
            .collect()
    };
    for name in entries(dir)?.iter().filter(|n| is_rocksdb_file(n)) {
        let path = dir.join(name);
        std::fs::remove_file(&path).map_err(|e| io(&path, "removing", e))?;
    }
    for name in entries(&point)?.iter().filter(|n| is_rocksdb_file(n)) {
        let (from, to) = (point.join(name), dir.join(name));
        // Sorted files never change: linked. The others (the manifest, the
        // log) RocksDB appends to: copied, so the rollback point stays as
        // it was until it is removed.
        let done = if name.ends_with(".sst") {
            std::fs::hard_link(&from, &to).or_else(|_| std::fs::copy(&from, &to).map(|_| ()))
        } else {
            std::fs::copy(&from, &to).map(|_| ())
        };
        done.map_err(|e| io(&to, "restoring from the rollback point", e))?;
    }
    sync_dir(dir)?;
    discard(dir)?;
    Ok(true)
}

/// Removes the rollback point: renamed first (one step), then deleted, so
/// that a kill during the deletion never leaves a partial one to restore.
pub(crate) fn discard(dir: &Path) -> Result<(), GraphError> {
    let (point, discarded) = (dir.join(ROLLBACK), dir.join(ROLLBACK_DISCARDED));
    if point.exists() {
        std::fs::rename(&point, &discarded).map_err(|e| io(&point, "removing", e))?;
        sync_dir(dir)?;
    }
    remove_dir_if_there(&discarded)
}

/// Makes the rollback point of `store`, whose folder is `dir`: its
/// committed state, flushed and checkpointed into a folder of its own that
/// becomes the rollback point, by one rename, only once it is complete.
pub(crate) fn make(store: &Store, dir: &Path) -> Result<(), GraphError> {
    let (making, point) = (dir.join(ROLLBACK_MAKING), dir.join(ROLLBACK));
    remove_dir_if_there(&making)?;
    store.flush()?;
    store.backup(&making)?;
    std::fs::rename(&making, &point).map_err(|e| io(&point, "making it", e))?;
    sync_dir(dir)
}

/// Makes a folder's renames and new entries durable.
fn sync_dir(dir: &Path) -> Result<(), GraphError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io(dir, "syncing the folder", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rocksdbs_files_are_replaced() {
        for name in [
            "000011.sst",
            "000232.log",
            "CURRENT",
            "IDENTITY",
            "LOCK",
            "LOG",
            "LOG.old.1796534142662148",
            "MANIFEST-000233",
            "OPTIONS-000235",
        ] {
            assert!(is_rocksdb_file(name), "{name}");
        }
        for name in [
            "graph-stamps",
            "snapshots",
            "ttkg-import.lock",
            OPEN_LOCK,
            ROLLBACK,
        ] {
            assert!(!is_rocksdb_file(name), "{name}");
        }
    }
}

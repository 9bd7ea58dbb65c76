//! One import at a time per store: an advisory lock on a file in the store
//! folder. The operating system releases it when the holder exits, however
//! it exits (a SIGKILL included), so a lock left by a killed import is never
//! an obstacle: the file is still there, with the dead holder's details, but
//! nobody holds its lock, and the next import takes it and rewrites it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::ImportError;

/// The lock file's name inside the store folder.
pub const LOCK_FILE: &str = "ttkg-import.lock";

/// Held while an import runs; released when dropped.
#[derive(Debug)]
pub struct ImportLock {
    file: File,
    pub path: PathBuf,
}

/// Whether to wait for a running import or give up at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockWait {
    FailFast,
    Wait,
}

impl ImportLock {
    /// Takes the lock of the store at `store`. With [`LockWait::Wait`],
    /// `waiting` is called once with the holder's details before blocking.
    pub fn acquire(
        store: &Path,
        wait: LockWait,
        waiting: impl FnOnce(&str),
    ) -> Result<ImportLock, ImportError> {
        let io = |e: std::io::Error| ImportError::Lock {
            path: store.join(LOCK_FILE),
            holder: format!("the lock file cannot be used: {e}"),
        };
        std::fs::create_dir_all(store).map_err(io)?;
        let path = store.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = holder(&mut file);
                match wait {
                    LockWait::FailFast => return Err(ImportError::Lock { path, holder }),
                    LockWait::Wait => {
                        waiting(&holder);
                        file.lock().map_err(io)?;
                    }
                }
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        // Ours now: say who holds it, for the next import's message.
        let me = format!(
            "process {} (started {})",
            std::process::id(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(me.as_bytes()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(ImportLock { file, path })
    }
}

/// Who last held the import lock of `store`, as it wrote itself
/// (`process 123 (started …)`), when that process still runs: for
/// messages of readers that find the store held. Takes no lock.
pub fn import_holder(store: &Path) -> Option<String> {
    let text = std::fs::read_to_string(store.join(LOCK_FILE)).ok()?;
    let pid: u32 = text
        .strip_prefix("process ")?
        .split(' ')
        .next()?
        .parse()
        .ok()?;
    Path::new(&format!("/proc/{pid}"))
        .exists()
        .then(|| text.trim().to_owned())
}

impl Drop for ImportLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first says so plainly.
        let _ = self.file.unlock();
    }
}

fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind().and_then(|_| file.read_to_string(&mut text));
    let text = text.trim();
    if text.is_empty() {
        "another import".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_import_fails_fast_or_waits_and_a_released_lock_is_free() {
        let dir = tempfile::tempdir().unwrap();
        let first = ImportLock::acquire(dir.path(), LockWait::FailFast, |_| {}).unwrap();
        let err = ImportLock::acquire(dir.path(), LockWait::FailFast, |_| {}).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("process {}", std::process::id())),
            "{err}"
        );
        let store = dir.path().to_owned();
        let waiter = std::thread::spawn(move || {
            let (tx, rx) = std::sync::mpsc::channel();
            let lock =
                ImportLock::acquire(&store, LockWait::Wait, |h| tx.send(h.to_owned()).unwrap());
            (lock.is_ok(), rx.try_recv().is_ok())
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        drop(first);
        assert_eq!(waiter.join().unwrap(), (true, true), "waited, then took it");
        // Left behind by a holder that is gone: free to take.
        assert!(ImportLock::acquire(dir.path(), LockWait::FailFast, |_| {}).is_ok());
    }
}

//! Files written whole or not at all: each is written as `NAME.partial`
//! next to its place and renamed over it once complete, so a failed or
//! stopped write never leaves half a file where a whole one was (an
//! analyst's last good export) or is expected.
//!
//! The files being written are listed, so that a process that must end at
//! once — a query past its time or memory budget — can remove them first
//! ([`remove_partial_files`]); destructors do not run then.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

static IN_PROGRESS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A file being written next to `path`, put in its place by [`PartialFile::commit`];
/// dropped without it, the partial file is removed.
pub struct PartialFile {
    path: PathBuf,
    partial: PathBuf,
    writer: Option<BufWriter<File>>,
    committed: bool,
}

impl PartialFile {
    /// Creates `PATH.partial` (replacing a leftover one).
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let partial = partial_path(path);
        // Listed before it exists, so that an abrupt end never misses it.
        list(&partial);
        match File::create(&partial) {
            Ok(file) => Ok(Self {
                path: path.to_owned(),
                partial,
                writer: Some(BufWriter::new(file)),
                committed: false,
            }),
            Err(e) => {
                unlist(&partial);
                Err(e)
            }
        }
    }

    /// Where the bytes go until [`PartialFile::commit`], for writers that
    /// take a path rather than a stream (they replace the file).
    pub fn partial_path(&self) -> &Path {
        &self.partial
    }

    /// The partial file's buffered writer.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer.as_mut().expect("present until commit")
    }

    /// Flushes and puts the file in its place.
    pub fn commit(mut self) -> std::io::Result<()> {
        if let Some(writer) = self.writer.take() {
            let file = writer.into_inner().map_err(|e| e.into_error())?;
            drop(file);
        }
        std::fs::rename(&self.partial, &self.path)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        drop(self.writer.take());
        if !self.committed {
            let _ = std::fs::remove_file(&self.partial);
        }
        unlist(&self.partial);
    }
}

/// Writes `bytes` to `path` whole or not at all.
pub fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = PartialFile::create(path)?;
    file.writer().write_all(bytes)?;
    file.commit()
}

/// Removes every partial file still being written, for a process that is
/// about to end without running destructors. Skipped if the list is in use
/// at that moment (a write just starting or finishing on this thread).
pub fn remove_partial_files() {
    if let Ok(files) = IN_PROGRESS.try_lock() {
        for partial in files.iter() {
            let _ = std::fs::remove_file(partial);
        }
    }
}

/// `PATH.partial`.
fn partial_path(path: &Path) -> PathBuf {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    PathBuf::from(partial)
}

fn list(partial: &Path) {
    let mut files = IN_PROGRESS.lock().unwrap_or_else(|p| p.into_inner());
    files.push(partial.to_owned());
}

fn unlist(partial: &Path) {
    let mut files = IN_PROGRESS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(i) = files.iter().position(|f| f == partial) {
        files.swap_remove(i);
    }
}

/// The tests of this crate write files while one of them removes every
/// file being written: they share this lock, that one alone.
#[cfg(test)]
pub(crate) static TEST_FILES: std::sync::RwLock<()> = std::sync::RwLock::new(());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_committed_file_replaces_the_old_one_and_a_dropped_one_leaves_it() {
        let _writing = TEST_FILES.read().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agreements.csv");
        std::fs::write(&path, "old").unwrap();

        let mut file = PartialFile::create(&path).unwrap();
        file.writer().write_all(b"half").unwrap();
        drop(file);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert!(!partial_path(&path).exists(), "the partial file is removed");

        let mut file = PartialFile::create(&path).unwrap();
        file.writer().write_all(b"new").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "old",
            "not before commit"
        );
        file.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn files_being_written_can_be_removed_at_once() {
        let _alone = TEST_FILES.write().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ttkg-export.xlsx");
        let mut file = PartialFile::create(&path).unwrap();
        file.writer().write_all(b"half").unwrap();
        file.writer().flush().unwrap();
        assert!(partial_path(&path).exists());
        remove_partial_files();
        assert!(!partial_path(&path).exists());
        assert!(!path.exists());
        drop(file);
    }

    #[test]
    fn a_file_that_cannot_be_created_is_not_listed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-folder").join("t.csv");
        assert!(PartialFile::create(&path).is_err());
        let files = IN_PROGRESS.lock().unwrap();
        assert!(!files.iter().any(|f| f.starts_with(dir.path())));
    }
}

//! Which files each pipeline takes, and the graph each (pipeline, file) pair owns.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use ttkg_graph::oxigraph::model::NamedNode;
use ttkg_pipeline::Pipeline;

use crate::ImportError;

/// What the analyst asked to import.
#[derive(Debug, Clone)]
pub enum Selection {
    /// Every pipeline over every file it takes.
    All,
    /// These pipelines, by name.
    Pipelines(Vec<String>),
    /// These files, each with the pipelines whose patterns take it.
    Files(Vec<PathBuf>),
}

/// One (pipeline, file) pair to import.
#[derive(Debug, Clone)]
pub struct WorkUnit {
    pub pipeline: Pipeline,
    pub path: PathBuf,
    /// Path relative to the data folder, with `/` separators.
    pub relative: String,
    pub graph: NamedNode,
    pub file_node: NamedNode,
    /// Why the file is not read although a pipeline takes it (a link out of
    /// the data folder, a name that is not UTF-8 …).
    pub refused: Option<String>,
}

fn globs(pipeline: &Pipeline) -> Result<GlobSet, ImportError> {
    let mut builder = GlobSetBuilder::new();
    for pattern in &pipeline.spec.source.files {
        let glob = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| {
                ImportError::Selection(format!(
                    "{}: bad file pattern `{pattern}`: {e}",
                    pipeline.path.display()
                ))
            })?;
        builder.add(glob);
    }
    builder
        .build()
        .map_err(|e| ImportError::Selection(format!("{}: {e}", pipeline.path.display())))
}

/// A file found in the data folder.
#[derive(Debug, Clone)]
struct Found {
    /// Relative to the data folder, as it is on disk.
    path: PathBuf,
    /// The same with `/` separators, for patterns and messages (a name that
    /// is not UTF-8 is shown with U+FFFD).
    relative: String,
    refused: Option<String>,
}

/// Every file under `dir`, relative, sorted; hidden files and the
/// `reference/` tables are not reports. Symbolic links are not followed
/// unless `follow_links`; a link to a file inside the data folder is read
/// either way, one leading out of it, nowhere, or in a loop is listed as
/// refused. Folders are never visited twice.
fn walk(dir: &Path, follow_links: bool) -> Result<Vec<Found>, ImportError> {
    struct Walk<'a> {
        root: &'a Path,
        canonical_root: PathBuf,
        follow_links: bool,
        visited: std::collections::HashSet<PathBuf>,
        out: Vec<Found>,
    }
    impl Walk<'_> {
        fn visit(&mut self, dir: &Path) -> std::io::Result<()> {
            for entry in std::fs::read_dir(dir)? {
                let entry = entry?;
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') || name.starts_with("~$") {
                    continue;
                }
                let kind = entry.file_type()?;
                let mut refused = None;
                let mut is_dir = kind.is_dir();
                if kind.is_symlink() {
                    match path.canonicalize() {
                        Err(e) => {
                            refused = Some(format!(
                                "a symbolic link that leads nowhere or in a loop ({e}); it was not read"
                            ))
                        }
                        Ok(target) => {
                            is_dir = target.is_dir();
                            let inside = target.starts_with(&self.canonical_root);
                            if !self.follow_links && (!inside || is_dir) {
                                refused = Some(format!(
                                    "a symbolic link to {}{}; ttkg follows links only when ttkg.toml says follow_links = true",
                                    target.display(),
                                    if inside { "" } else { ", outside the data folder" }
                                ));
                                is_dir = false;
                            }
                        }
                    }
                }
                if is_dir {
                    if path == self.root.join("reference") {
                        continue;
                    }
                    let canonical = path.canonicalize()?;
                    if self.visited.insert(canonical) {
                        self.visit(&path)?;
                    }
                    continue;
                }
                let Ok(relative) = path.strip_prefix(self.root) else {
                    continue;
                };
                let shown = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                self.out.push(Found {
                    path: relative.to_owned(),
                    relative: shown,
                    refused,
                });
            }
            Ok(())
        }
    }
    let canonical_root = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    let mut walk = Walk {
        root: dir,
        visited: [canonical_root.clone()].into_iter().collect(),
        canonical_root,
        follow_links,
        out: Vec::new(),
    };
    walk.visit(dir).map_err(|e| {
        ImportError::Selection(format!(
            "cannot list the data folder {}: {e}",
            dir.display()
        ))
    })?;
    let mut out = walk.out;
    out.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(out)
}

/// Percent-encodes what IRIs cannot hold, keeping case, `/` and non-ASCII
/// letters; a name that is not UTF-8 is encoded byte by byte.
fn path_key(path: &Path) -> String {
    match path.to_str() {
        Some(text) => ttkg_vocab::iri_escape(text, &['/']),
        None => {
            #[cfg(unix)]
            let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
            #[cfg(not(unix))]
            let bytes = path.to_string_lossy().into_owned().into_bytes();
            bytes
                .iter()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~/".contains(b) {
                        (*b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect()
        }
    }
}

fn unit(pipeline: &Pipeline, data_dir: &Path, found: &Found) -> WorkUnit {
    let key = format!(
        "{}/{}",
        path_key(Path::new(&pipeline.name)),
        path_key(&found.path)
    );
    WorkUnit {
        pipeline: pipeline.clone(),
        path: data_dir.join(&found.path),
        relative: found.relative.clone(),
        refused: found.refused.clone(),
        graph: NamedNode::new_unchecked(format!("{}{key}", ttkg_vocab::GRAPH)),
        file_node: NamedNode::new_unchecked(format!("{}source/{key}", ttkg_vocab::ID)),
    }
}

/// The report files under the data folder that no pipeline takes (the
/// reference tables and drafts of `ttkg draft` aside): a report dropped
/// into data/ that nothing imports is said, not silently passed over.
pub fn untaken(
    pipelines: &[Pipeline],
    data_dir: &Path,
    follow_links: bool,
) -> Result<Vec<String>, ImportError> {
    let sets: Vec<GlobSet> = pipelines.iter().map(globs).collect::<Result<_, _>>()?;
    Ok(walk(data_dir, follow_links)?
        .into_iter()
        .map(|f| f.relative)
        .filter(|r| !r.starts_with("reference/") && !r.ends_with(".draft.toml"))
        .filter(|r| !sets.iter().any(|set| set.is_match(r.as_str())))
        .collect())
}

/// The work units of a selection, in a stable order.
pub fn select(
    pipelines: &[Pipeline],
    data_dir: &Path,
    selection: &Selection,
    follow_links: bool,
) -> Result<Vec<WorkUnit>, ImportError> {
    let sets: Vec<GlobSet> = pipelines.iter().map(globs).collect::<Result<_, _>>()?;
    let mut units = Vec::new();
    match selection {
        Selection::All | Selection::Pipelines(_) => {
            if let Selection::Pipelines(names) = selection {
                for name in names {
                    if !pipelines.iter().any(|p| &p.name == name) {
                        let known: Vec<&str> = pipelines.iter().map(|p| p.name.as_str()).collect();
                        return Err(ImportError::Selection(format!(
                            "there is no pipeline named `{name}`; the pipelines are: {}",
                            known.join(", ")
                        )));
                    }
                }
            }
            let files = walk(data_dir, follow_links)?;
            for (pipeline, set) in pipelines.iter().zip(&sets) {
                if let Selection::Pipelines(names) = selection {
                    if !names.contains(&pipeline.name) {
                        continue;
                    }
                }
                for file in files.iter().filter(|f| set.is_match(f.relative.as_str())) {
                    units.push(unit(pipeline, data_dir, file));
                }
            }
        }
        Selection::Files(paths) => {
            let root = data_dir.canonicalize().map_err(|e| {
                ImportError::Selection(format!(
                    "cannot open the data folder {}: {e}",
                    data_dir.display()
                ))
            })?;
            for path in paths {
                let full = path
                    .canonicalize()
                    .map_err(|e| ImportError::Selection(format!("{}: {e}", path.display())))?;
                let relative = full.strip_prefix(&root).map_err(|_| {
                    ImportError::Selection(format!("{} is not inside the data folder {}; copy it there (pipelines' file patterns are relative to it) or pass --data", path.display(), data_dir.display()))
                })?;
                let found = Found {
                    path: relative.to_owned(),
                    relative: relative
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/"),
                    refused: None,
                };
                let relative = found.relative.clone();
                let before = units.len();
                for (pipeline, set) in pipelines.iter().zip(&sets) {
                    if set.is_match(relative.as_str()) {
                        units.push(unit(pipeline, &root, &found));
                    }
                }
                if units.len() == before {
                    return Err(ImportError::Selection(format!("no pipeline takes {relative}; check the `files` patterns in pipelines/, or add a pipeline for this kind of report")));
                }
            }
        }
    }
    Ok(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_keys_keep_case_and_letters() {
        assert_eq!(
            path_key(Path::new("reports/GX 2016/协议.xlsx")),
            "reports/GX%202016/协议.xlsx"
        );
        // U+FFFD and tag characters are not IRI characters: encoded.
        assert_eq!(
            path_key(Path::new("r/a\u{FFFD}b\u{E0041}.csv")),
            "r/a%EF%BF%BDb%F3%A0%81%81.csv"
        );
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let raw = std::ffi::OsStr::from_bytes(b"r/caf\xE9.csv");
            assert_eq!(path_key(Path::new(raw)), "r/caf%E9.csv");
        }
    }
}

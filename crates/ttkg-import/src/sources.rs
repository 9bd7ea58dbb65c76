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

/// Every file under `dir`, relative, sorted; hidden files and the
/// `reference/` tables are not reports.
fn walk(dir: &Path) -> Result<Vec<String>, ImportError> {
    fn visit(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with('.') || name.starts_with("~$") {
                continue;
            }
            if path.is_dir() {
                if path != root.join("reference") {
                    visit(root, &path, out)?;
                }
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    visit(dir, dir, &mut out).map_err(|e| {
        ImportError::Selection(format!(
            "cannot list the data folder {}: {e}",
            dir.display()
        ))
    })?;
    out.sort();
    Ok(out)
}

/// Percent-encodes what IRIs cannot hold, keeping case and non-ASCII letters.
fn path_key(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '.' | '_' | '~' | '/' => out.push(c),
            c if !c.is_ascii() && !c.is_whitespace() && !c.is_control() => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

fn unit(pipeline: &Pipeline, data_dir: &Path, relative: &str) -> WorkUnit {
    let key = format!("{}/{}", path_key(&pipeline.name), path_key(relative));
    WorkUnit {
        pipeline: pipeline.clone(),
        path: data_dir.join(relative),
        relative: relative.to_owned(),
        graph: NamedNode::new_unchecked(format!("{}{key}", ttkg_vocab::GRAPH)),
        file_node: NamedNode::new_unchecked(format!("{}source/{key}", ttkg_vocab::ID)),
    }
}

/// The work units of a selection, in a stable order.
pub fn select(
    pipelines: &[Pipeline],
    data_dir: &Path,
    selection: &Selection,
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
            let files = walk(data_dir)?;
            for (pipeline, set) in pipelines.iter().zip(&sets) {
                if let Selection::Pipelines(names) = selection {
                    if !names.contains(&pipeline.name) {
                        continue;
                    }
                }
                for file in files.iter().filter(|f| set.is_match(f.as_str())) {
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
                let relative = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let before = units.len();
                for (pipeline, set) in pipelines.iter().zip(&sets) {
                    if set.is_match(relative.as_str()) {
                        units.push(unit(pipeline, &root, &relative));
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
            path_key("reports/GX 2016/协议.xlsx"),
            "reports/GX%202016/协议.xlsx"
        );
    }
}

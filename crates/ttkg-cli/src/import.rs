//! `ttkg import`: run here, or — when `ttkg serve` holds the store — in
//! the server, which prints nothing itself and sends back what this command
//! would have printed and its exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ttkg_graph::KnowledgeStore;
use ttkg_import::{ImportError, ImportLock, ImportOptions, ImportReport, LockWait, Selection};
use ttkg_serve::{ForwardError, Forwarded, ServeFile};

use crate::{events, exit, output, progress, Failure};

/// The arguments of `ttkg import`.
#[derive(Debug, Clone, clap::Args, Serialize, Deserialize)]
pub struct ImportArgs {
    /// Pipeline names or report files; none means every pipeline over every file.
    pub targets: Vec<String>,
    /// Re-read files even when their content and pipeline have not changed.
    #[arg(long)]
    pub force: bool,
    /// Folder of report files. Default: ROOT/data.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Folder for the quarantine files of each run. Default: ROOT/quarantine.
    #[arg(long)]
    pub quarantine: Option<PathBuf>,
    /// Check each source against ontology/shapes.ttl first; sources that do not conform are not loaded.
    #[arg(long)]
    pub validate: bool,
    /// Keep the data of files that are gone from the data folder (default: retract it).
    #[arg(long)]
    pub keep_missing: bool,
    /// Report what would be imported, replaced and retracted, and the rows
    /// an import would quarantine, with their reasons; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// If another import is running on the store, wait for it instead of exiting (code 9).
    #[arg(long)]
    pub wait: bool,
    /// The share of a file's rows (0 to 1) that may be quarantined before the
    /// whole file fails and keeps its previous version; overrides every
    /// pipeline's `max_quarantined` (default 0.5).
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    pub max_quarantined: Option<f64>,
    /// The memory the import aims to stay within (`1.5G`, `800M`), the
    /// whole process's: of what it leaves beside what the program holds
    /// whatever it imports (about 110 MiB), it sets how many files are
    /// read at once, how many rows of a sheet are read and normalised at a
    /// time, how much the store's bulk loader holds (at most half, less
    /// when the file it loads already uses much of the rest), and how large
    /// a step of a large replacement or retraction is. Default 1.5G; below
    /// about 320M the run warns that it may go past. A file is checked and
    /// loaded whole, so its facts are held until the loader has them (about
    /// a kilobyte a row): a file whose facts would take more than two
    /// thirds of what is left fails, keeps its previous version, and the
    /// message says what budget it needs.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    #[serde(default)]
    pub memory: Option<u64>,
}

/// A size in bytes: a number with K, M, G (powers of 1024), or bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let upper = trimmed.to_uppercase();
    let upper = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (number, scale) = match upper.chars().last() {
        Some('K') => (&upper[..upper.len() - 1], 1u64 << 10),
        Some('M') => (&upper[..upper.len() - 1], 1 << 20),
        Some('G') => (&upper[..upper.len() - 1], 1 << 30),
        _ => (upper, 1),
    };
    match number.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v * (scale as f64) >= (64u64 << 20) as f64 => {
            Ok((v * scale as f64).min(u64::MAX as f64) as u64)
        }
        Ok(v) if v.is_finite() && v > 0.0 => Err(format!(
            "`{trimmed}` is less than the 64M an import needs at the least"
        )),
        _ => Err(format!("`{trimmed}` is not a size (such as 1.5G or 800M)")),
    }
}

/// A share between 0 and 1 (`0.2`, or `20%`).
pub fn parse_share(text: &str) -> Result<f64, String> {
    let (number, scale) = match text.trim().strip_suffix('%') {
        Some(percent) => (percent, 100.0),
        None => (text.trim(), 1.0),
    };
    match number.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&(v / scale)) => Ok(v / scale),
        _ => Err(format!(
            "`{text}` is not a share between 0 and 1 (such as 0.2 or 20%)"
        )),
    }
}

/// What `ttkg import` was asked, with every path absolute so that a server
/// started elsewhere reads the same files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportRequest {
    pub root: PathBuf,
    pub json_logs: bool,
    #[serde(flatten)]
    pub args: ImportArgs,
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

impl ImportRequest {
    /// Makes the paths absolute (existing report files among the targets too).
    pub fn anchored(mut self) -> Self {
        self.root = absolute(&self.root);
        let args = &mut self.args;
        args.data = args.data.as_deref().map(absolute);
        args.quarantine = args.quarantine.as_deref().map(absolute);
        for target in &mut args.targets {
            if Path::new(target).is_file() {
                *target = absolute(Path::new(target)).display().to_string();
            }
        }
        self
    }

    fn options(&self, store: PathBuf, wait: LockWait) -> ImportOptions {
        let args = &self.args;
        ImportOptions {
            workspace: crate::workspace(&self.root, args.data.clone()),
            store,
            quarantine_dir: args
                .quarantine
                .clone()
                .unwrap_or_else(|| self.root.join("quarantine")),
            selection: selection(&args.targets),
            force: args.force,
            validate: args.validate,
            keep_missing: args.keep_missing,
            dry_run: args.dry_run,
            wait,
            max_quarantined: args.max_quarantined,
            memory: args.memory.unwrap_or(ttkg_import::DEFAULT_MEMORY),
        }
    }
}

/// Existing paths are files to import; anything else names a pipeline.
fn selection(targets: &[String]) -> Selection {
    if targets.is_empty() {
        return Selection::All;
    }
    if targets.iter().all(|t| Path::new(t).is_file()) {
        Selection::Files(targets.iter().map(PathBuf::from).collect())
    } else {
        Selection::Pipelines(targets.to_vec())
    }
}

pub fn import_failure(error: ImportError) -> Failure {
    let code = match &error {
        ImportError::Pipelines(_)
        | ImportError::Ontology(_)
        | ImportError::Reference { .. }
        | ImportError::Shapes(_) => exit::INVALID_SETUP,
        ImportError::Selection(_) => exit::USAGE,
        ImportError::Store(_) => exit::STORE,
        ImportError::Quarantine { .. } => exit::FAILURE,
        ImportError::Lock { .. } => exit::LOCKED,
    };
    (code, error.to_string())
}

pub fn exit_code(report: &ImportReport) -> u8 {
    if report.failed().next().is_some() {
        exit::SOME_FILES_FAILED
    } else if report.needs_attention() {
        exit::QUARANTINED
    } else {
        0
    }
}

/// The summary (text) or the `file` and `run` events (JSON) of a finished run.
fn tell(report: &ImportReport, json: bool, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let code = exit_code(report);
    if json {
        events::report(report, code, err);
    } else {
        output::write_summary(report, out, err);
    }
    code
}

/// Runs an import (here, or in the `ttkg serve` holding the store) and
/// returns its exit code.
pub fn import(request: ImportRequest, store: PathBuf) -> Result<u8, Failure> {
    let wait = if request.args.wait {
        LockWait::Wait
    } else {
        LockWait::FailFast
    };
    let waiting = |holder: &str| {
        tracing::warn!("waiting for the import already running on this store ({holder}) to finish");
    };
    match ServeFile::read(&store) {
        Err(why) => tracing::warn!("{why}; importing directly"),
        Ok(Some(server)) if !server.is_alive() => {
            tracing::warn!(
                "{} names a server (process {}) that is no longer running; removed it, importing directly",
                store.join(ServeFile::NAME).display(),
                server.pid
            );
            ServeFile::remove_stale(&store);
        }
        Ok(Some(server)) => {
            // The lock keeps scheduled imports one at a time, served or not.
            let _lock = ImportLock::acquire(&store, wait, waiting).map_err(import_failure)?;
            let body = serde_json::to_value(&request).expect("an import request is plain data");
            match ttkg_serve::forward_import(&server, &body) {
                Ok(Forwarded {
                    exit_code,
                    stdout,
                    stderr,
                }) => {
                    print!("{stdout}");
                    eprint!("{stderr}");
                    return Ok(exit_code);
                }
                Err(e @ (ForwardError::Unreachable(_) | ForwardError::Impostor(_))) => {
                    tracing::warn!(
                        "{e} (named by {}); importing directly",
                        store.join(ServeFile::NAME).display()
                    );
                }
                Err(e) => return Err((exit::STORE, e.to_string())),
            }
        }
        Ok(None) => {}
    }
    let options = request.options(store, wait);
    let progress: Box<dyn ttkg_import::Progress> = if request.json_logs {
        Box::new(events::JsonProgress)
    } else {
        progress::for_terminal(std::io::stderr().is_terminal())
    };
    let report = ttkg_import::run(&options, progress.as_ref()).map_err(import_failure)?;
    let code = tell(
        &report,
        request.json_logs,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    Ok(code)
}

/// Why a handed-over import is refused: it names another workspace, data
/// folder or quarantine folder than the server's own. A client says which
/// pipelines and files to import, never where the workspace is.
fn foreign(request: &ImportRequest, root: &Path) -> Option<String> {
    let own = absolute(root);
    if absolute(&request.root) != own {
        return Some(format!(
            "this server imports into its own workspace {}, not {}; run `ttkg import` there, or stop the server",
            own.display(),
            request.root.display()
        ));
    }
    let args = &request.args;
    if args
        .data
        .as_deref()
        .is_some_and(|d| absolute(d) != own.join("data"))
    {
        return Some(
            "this server imports from its own data folder; --data is not taken through it".into(),
        );
    }
    if args
        .quarantine
        .as_deref()
        .is_some_and(|q| absolute(q) != own.join("quarantine"))
    {
        return Some(
            "this server writes its own quarantine folder; --quarantine is not taken through it"
                .into(),
        );
    }
    None
}

/// Runs an import handed over by `ttkg import` on the store of the server
/// serving the workspace `root`.
pub fn run_forwarded(root: &Path, store: &KnowledgeStore, body: serde_json::Value) -> Forwarded {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let parsed = serde_json::from_value::<ImportRequest>(body).map_err(|e| {
        format!("the import request is not one this version of ttkg understands ({e}); run the same ttkg version as the server")
    });
    let parsed = parsed.and_then(|r| match foreign(&r, root) {
        Some(why) => Err(why),
        None => Ok(r),
    });
    let (code, json) = match parsed {
        Err(why) => {
            let _ = writeln!(err, "error: {why}");
            (exit::USAGE, false)
        }
        Ok(request) => {
            let json = request.json_logs;
            let store_path = store.path().map(Path::to_owned).unwrap_or_default();
            let options = request.options(store_path, LockWait::FailFast);
            let code = match ttkg_import::run_on(store, &options, &ttkg_import::NoProgress) {
                Ok(report) => tell(&report, json, &mut out, &mut err),
                Err(e) => {
                    let (code, message) = import_failure(e);
                    if json {
                        events::emit_to(
                            &mut err,
                            serde_json::json!({
                                "event": "error", "message": message, "exit_code": code,
                            }),
                        );
                    } else {
                        let _ = writeln!(err, "error: {message}");
                    }
                    code
                }
            };
            (code, json)
        }
    };
    if !json {
        tracing::info!("ran an import handed over by `ttkg import` (exit code {code})");
    }
    Forwarded {
        exit_code: code,
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_read_with_their_unit_and_too_small_ones_are_refused() {
        assert_eq!(parse_size("1.5G"), Ok(1536 << 20));
        assert_eq!(parse_size("800M"), Ok(800 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert!(parse_size("10M").unwrap_err().contains("64M"));
        assert!(parse_size("lots").unwrap_err().contains("not a size"));
        assert!(parse_size("-1G").is_err());
    }
}

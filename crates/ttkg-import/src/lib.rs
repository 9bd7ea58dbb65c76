//! The import: runs pipelines over report files and loads the results.
//!
//! Work happens in three stages. *Prepare* loads the ontology, reference
//! tables and pipelines and refuses to start if any pipeline is invalid.
//! *Read* takes every (pipeline, file) pair in parallel (rayon): hash, read,
//! normalise, map to quads, entirely in memory. *Load* then replaces each
//! source's named graph in its own transaction, one source at a time, so a
//! file that failed anywhere leaves its previous graph untouched and a file
//! that succeeded is visible whole.

mod lock;
mod quarantine;
mod sources;

pub use lock::{ImportLock, LockWait, LOCK_FILE};
pub use quarantine::{NameResolution, QuarantineRecord};
pub use sources::{Selection, WorkUnit};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use ttkg_graph::oxigraph::model::{Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use ttkg_graph::{GraphError, KnowledgeStore, Ontology, RunRecord, SourceRef};
use ttkg_ingest::{ExpectedColumn, ReadOptions, SheetChoice, SourceFormat};
use ttkg_normalise::{ConceptTable, OrganisationNames, RateTable, References};
use ttkg_pipeline::{Format, Pipeline, PipelineErrors, SheetSelector};
use ttkg_vocab::{public, ttkg};

/// Where things are.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// Report files; pipeline globs are relative to it. Holds `reference/`.
    pub data_dir: PathBuf,
    pub pipelines_dir: PathBuf,
    pub ontology_dir: PathBuf,
}

impl Workspace {
    /// The exchange-rate table.
    pub fn rates_file(&self) -> PathBuf {
        self.data_dir.join("reference").join("exchange-rates.csv")
    }

    /// The alias table of organisation names (optional).
    pub fn organisation_aliases_file(&self) -> PathBuf {
        self.data_dir
            .join("reference")
            .join("organisation-aliases.csv")
    }
}

/// What to import and how.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub workspace: Workspace,
    pub store: PathBuf,
    /// Folder for the per-run quarantine files.
    pub quarantine_dir: PathBuf,
    pub selection: Selection,
    /// Re-read files even when their content and pipeline are unchanged.
    pub force: bool,
    /// Check each source against `ontology/shapes.ttl` before publishing
    /// it; a source that does not conform is not loaded.
    pub validate: bool,
    /// Keep the data of files that are no longer in the data folder (by
    /// default it is retracted when every pipeline, or the file's, runs).
    pub keep_missing: bool,
    /// Say what would be imported, replaced and retracted; change nothing.
    pub dry_run: bool,
    /// When another import holds the store: wait for it, or fail at once.
    pub wait: LockWait,
}

/// The stages progress is reported for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Read,
    Load,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::Read => "read + normalise",
            Stage::Load => "load",
        }
    }
}

/// Receives progress; the CLI draws bars or prints lines.
pub trait Progress: Sync {
    fn start(&self, stage: Stage, total: u64);
    fn advance(&self, stage: Stage, message: &str);
    fn finish(&self, stage: Stage);
}

/// Progress that goes nowhere (tests, libraries).
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: Stage, _: u64) {}
    fn advance(&self, _: Stage, _: &str) {}
    fn finish(&self, _: Stage) {}
}

/// What happened to one (pipeline, file) pair.
#[derive(Debug, Clone, PartialEq)]
pub enum FileStatus {
    Loaded,
    /// Same content and pipeline as the loaded version; not read again.
    Unchanged,
    /// The file is gone from the data folder; its data was taken out of the graph.
    Retracted,
    /// Nothing of this file was loaded; its previous graph (if any) stays.
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct FileReport {
    pub pipeline: String,
    /// Path relative to the data folder.
    pub file: String,
    pub graph: String,
    pub sheets: usize,
    pub rows_read: usize,
    pub rows_loaded: usize,
    pub rows_quarantined: usize,
    /// Rows left out by skip rules (totals and the like).
    pub rows_skipped: usize,
    pub blank_rows: usize,
    pub triples_added: usize,
    pub triples_removed: usize,
    pub encoding: Option<String>,
    /// The store held a version of this file before the run.
    pub replaced: bool,
    /// What the reader passed over and why (a hidden sheet, say).
    pub notes: Vec<String>,
    pub status: FileStatus,
}

/// Time spent per stage.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    pub prepare: Duration,
    pub read: Duration,
    pub load: Duration,
    pub total: Duration,
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub run: String,
    pub files: Vec<FileReport>,
    pub quarantine: Vec<QuarantineRecord>,
    /// The CSV and XLSX quarantine files, when rows were quarantined.
    pub quarantine_files: Option<(PathBuf, PathBuf)>,
    /// With `--validate`: the shape violations of the sources left out, by file.
    pub violations: Vec<(String, ttkg_validate::Violation)>,
    /// Names that `resolve` rules changed or found ambiguous, and the file listing them.
    pub resolutions: Vec<NameResolution>,
    pub resolutions_file: Option<PathBuf>,
    /// Nothing was changed: the report says what an import would do.
    pub dry_run: bool,
    /// About the reference data, for the whole run (see [`reference_warnings`]).
    pub warnings: Vec<String>,
    pub timings: Timings,
}

impl FileReport {
    /// A report with nothing counted yet, for `file` read by `pipeline` into `graph`.
    pub fn new(pipeline: String, file: String, graph: &NamedNode, status: FileStatus) -> Self {
        FileReport {
            pipeline,
            file,
            graph: graph.as_str().to_owned(),
            sheets: 0,
            rows_read: 0,
            rows_loaded: 0,
            rows_quarantined: 0,
            rows_skipped: 0,
            blank_rows: 0,
            triples_added: 0,
            triples_removed: 0,
            encoding: None,
            replaced: false,
            notes: Vec::new(),
            status,
        }
    }

    /// What the run did with the file, in the words the runs graph, the
    /// JSON log and the summary use: loaded, replaced, unchanged,
    /// retracted or failed.
    pub fn change(&self) -> &'static str {
        match &self.status {
            FileStatus::Loaded if self.replaced => "replaced",
            FileStatus::Loaded => "loaded",
            FileStatus::Unchanged => "unchanged",
            FileStatus::Retracted => "retracted",
            FileStatus::Failed(_) => "failed",
        }
    }
}

impl ImportReport {
    pub fn failed(&self) -> impl Iterator<Item = &FileReport> {
        self.files
            .iter()
            .filter(|f| matches!(f.status, FileStatus::Failed(_)))
    }
}

/// Reasons the import as a whole cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the pipelines have errors; nothing was imported:\n{0}")]
    Pipelines(PipelineErrors),
    #[error("the ontology cannot be loaded: {0}")]
    Ontology(GraphError),
    #[error("{0}")]
    Store(GraphError),
    #[error("{path}: {message}")]
    Reference { path: String, message: String },
    #[error("{0}")]
    Selection(String),
    #[error("cannot write the quarantine file {}: {message}", path.display())]
    Quarantine { path: PathBuf, message: String },
    #[error("the shapes cannot be used for --validate: {0}")]
    Shapes(ttkg_validate::ValidateError),
    #[error("another import is running on this store ({holder}; lock file {}); try again when it has finished, or pass --wait", path.display())]
    Lock { path: PathBuf, holder: String },
}

/// What the analyst should know about the reference data: labels that
/// name several concepts, whose values are quarantined.
pub fn reference_warnings(refs: &References) -> Vec<String> {
    refs.concepts
        .ambiguous
        .iter()
        .map(|(scheme, key, concepts)| {
            format!(
                "label `{key}` names several {scheme} concepts ({}); values spelt so are quarantined",
                concepts.join(", ")
            )
        })
        .collect()
}

/// Loads the ontology, reference tables and pipelines, checking everything.
pub fn prepare(
    workspace: &Workspace,
) -> Result<(Ontology, References, Vec<Pipeline>), ImportError> {
    let ontology = Ontology::load(&workspace.ontology_dir).map_err(ImportError::Ontology)?;
    let concepts = ConceptTable::from_labels(ontology.concept_labels()).map_err(|e| {
        ImportError::Reference {
            path: workspace.ontology_dir.display().to_string(),
            message: e.to_string(),
        }
    })?;
    let rates_file = workspace.rates_file();
    let rates = if rates_file.exists() {
        RateTable::from_csv(&rates_file).map_err(|e| ImportError::Reference {
            path: rates_file.display().to_string(),
            message: e.to_string(),
        })?
    } else {
        RateTable::default()
    };
    let pipelines =
        ttkg_pipeline::load_dir(&workspace.pipelines_dir).map_err(ImportError::Pipelines)?;
    let mut errors = Vec::new();
    for pipeline in &pipelines {
        if let Err(PipelineErrors(e)) =
            pipeline.check_terms(|iri| ontology.declares(iri), |s| ontology.has_scheme(s))
        {
            errors.extend(e);
        }
        if let Some(label) = &pipeline.spec.source.encoding {
            if let Err(message) = ttkg_ingest::check_encoding(label) {
                errors.push(ttkg_pipeline::PipelineError {
                    path: pipeline.path.clone(),
                    line: None,
                    column: None,
                    key: "source.encoding".into(),
                    message,
                    expected: String::new(),
                });
            }
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Pipelines(PipelineErrors(errors)));
    }
    let aliases_file = workspace.organisation_aliases_file();
    let organisations = if aliases_file.exists() {
        OrganisationNames::from_csv(&aliases_file).map_err(|e| ImportError::Reference {
            path: aliases_file.display().to_string(),
            message: e.to_string(),
        })?
    } else {
        OrganisationNames::default()
    };
    Ok((
        ontology,
        References {
            concepts,
            rates,
            organisations,
        },
        pipelines,
    ))
}

/// Runs an import.
pub fn run(options: &ImportOptions, progress: &dyn Progress) -> Result<ImportReport, ImportError> {
    let _lock = ImportLock::acquire(&options.store, options.wait, |holder| {
        tracing::warn!("waiting for the import already running on this store ({holder}) to finish");
    })?;
    let store = KnowledgeStore::open(&options.store).map_err(ImportError::Store)?;
    run_on(&store, options, progress)
}

/// [`run`] on a store already open (and locked by the caller), so that the
/// same process can query it while the import runs: each query sees every
/// source either before or after its load, never half of it.
pub fn run_on(
    store: &KnowledgeStore,
    options: &ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    let (ontology, refs, pipelines) = prepare(&options.workspace)?;
    let units = sources::select(&pipelines, &options.workspace.data_dir, &options.selection)?;
    let ontology_graph = NamedNode::new_unchecked(ttkg_vocab::ONTOLOGY_GRAPH);
    if !options.dry_run {
        store
            .replace_graph(&ontology_graph, &ontology.triples)
            .map_err(ImportError::Store)?;
    }
    let missing = missing_sources(store, options, &units)?;
    let inputs = reference_digest(&options.workspace, &ontology)?;
    let prepare_time = started.elapsed();

    let shapes = if options.validate {
        let path = options.workspace.ontology_dir.join("shapes.ttl");
        Some(ttkg_validate::Shapes::load(&path).map_err(ImportError::Shapes)?)
    } else {
        None
    };

    // Files are prepared in parallel a few at a time and each batch is
    // loaded before the next is read, so memory holds a handful of files'
    // quads rather than the whole run's. Validation needs every source of
    // the run at once (an agreement's event may come from another report),
    // so it takes them in one batch.
    let batch = if shapes.is_some() {
        units.len().max(1)
    } else {
        rayon::current_num_threads().max(1)
    };
    let mut violations = Vec::new();
    progress.start(Stage::Read, units.len() as u64);
    progress.start(Stage::Load, units.len() as u64);
    let mut read_time = Duration::ZERO;
    let mut load_time = Duration::ZERO;
    let mut files = Vec::with_capacity(units.len());
    let mut quarantine = Vec::new();
    let mut resolutions = Vec::new();
    let mut used = Vec::new();
    for chunk in units.chunks(batch) {
        let read_started = Instant::now();
        let prepared: Vec<Prepared> = chunk
            .par_iter()
            .map(|unit| {
                let outcome = prepare_unit(unit, &ontology, &refs, &inputs, store, options.force);
                progress.advance(Stage::Read, &unit.relative);
                outcome
            })
            .collect();
        read_time += read_started.elapsed();
        let load_started = Instant::now();
        let mut prepared = prepared;
        if options.dry_run {
            for p in prepared {
                progress.advance(Stage::Load, &p.report.file);
                files.push(p.report);
            }
            continue;
        }
        if let Some(shapes) = &shapes {
            violations.extend(hold_back_nonconforming(store, shapes, &mut prepared)?);
        }
        for p in prepared {
            let mut report = p.report;
            if report.status == FileStatus::Loaded {
                match store.replace_graph(&p.graph, &p.triples) {
                    Ok(stats) => {
                        report.triples_added = stats.added;
                        report.triples_removed = stats.removed;
                        quarantine.extend(p.quarantine);
                        resolutions.extend(p.resolutions);
                        used.push((p.file_node, p.graph));
                    }
                    Err(e) => {
                        report.status =
                            FileStatus::Failed(format!("loading into the store failed: {e}"))
                    }
                }
            } else if report.status == FileStatus::Unchanged {
                used.push((p.file_node, p.graph));
            }
            progress.advance(Stage::Load, &report.file);
            files.push(report);
        }
        load_time += load_started.elapsed();
    }
    progress.finish(Stage::Read);
    progress.finish(Stage::Load);
    for (pipeline, file, graph) in missing {
        let mut report = FileReport::new(pipeline, file, &graph, FileStatus::Retracted);
        report.replaced = true;
        if !options.dry_run {
            match store.retract_graph(&graph) {
                Ok(stats) => report.triples_removed = stats.removed,
                Err(e) => {
                    report.status = FileStatus::Failed(format!(
                        "the file is gone, but retracting its data failed: {e}; it stays until the next run"
                    ))
                }
            }
        }
        files.push(report);
    }
    if options.dry_run {
        return Ok(ImportReport {
            run: String::new(),
            files,
            quarantine,
            quarantine_files: None,
            violations: Vec::new(),
            resolutions,
            resolutions_file: None,
            dry_run: true,
            warnings: reference_warnings(&refs),
            timings: Timings {
                prepare: prepare_time,
                read: read_time,
                load: load_time,
                total: started.elapsed(),
            },
        });
    }

    let stamp = started_at.format("%Y%m%dT%H%M%S%.3fZ").to_string();
    let quarantine_files = if quarantine.is_empty() {
        None
    } else {
        Some(quarantine::write(
            &options.quarantine_dir,
            &stamp,
            &quarantine,
        )?)
    };
    let resolutions_file = if resolutions.is_empty() {
        None
    } else {
        Some(quarantine::write_resolutions(
            &options.quarantine_dir,
            &stamp,
            &resolutions,
        )?)
    };
    let run_iri = NamedNode::new_unchecked(format!("{}run/{stamp}", ttkg_vocab::ID));
    store
        .record_run(&RunRecord {
            iri: run_iri.clone(),
            started: started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ended: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            used,
            outcome: outcome(&files).to_owned(),
            totals: totals(&files),
            changes: files.iter().filter_map(change_of).collect(),
        })
        .map_err(ImportError::Store)?;
    store.flush().map_err(ImportError::Store)?;
    Ok(ImportReport {
        run: run_iri.as_str().to_owned(),
        files,
        quarantine,
        quarantine_files,
        violations,
        resolutions,
        resolutions_file,
        dry_run: false,
        warnings: reference_warnings(&refs),
        timings: Timings {
            prepare: prepare_time,
            read: read_time,
            load: load_time,
            total: started.elapsed(),
        },
    })
}

/// How a run ended, in the words the runs graph records.
pub fn outcome(files: &[FileReport]) -> &'static str {
    if files
        .iter()
        .any(|f| matches!(f.status, FileStatus::Failed(_)))
    {
        "some sources failed"
    } else if files.iter().any(|f| f.rows_quarantined > 0) {
        "succeeded with quarantined rows"
    } else {
        "succeeded"
    }
}

fn totals(files: &[FileReport]) -> Vec<(&'static str, usize)> {
    let count = |change: &str| files.iter().filter(|r| r.change() == change).count();
    let sum = |f: fn(&FileReport) -> usize| files.iter().map(f).sum();
    vec![
        (ttkg::FILES_IMPORTED, count("loaded")),
        (ttkg::FILES_REPLACED, count("replaced")),
        (ttkg::FILES_SKIPPED, count("unchanged")),
        (ttkg::FILES_RETRACTED, count("retracted")),
        (ttkg::FILES_FAILED, count("failed")),
        (ttkg::ROWS_LOADED, sum(|r| r.rows_loaded)),
        (ttkg::ROWS_QUARANTINED, sum(|r| r.rows_quarantined)),
        (ttkg::TRIPLES_ADDED, sum(|r| r.triples_added)),
        (ttkg::TRIPLES_REMOVED, sum(|r| r.triples_removed)),
    ]
}

fn change_of(report: &FileReport) -> Option<ttkg_graph::FileChange> {
    let message = match &report.status {
        FileStatus::Unchanged => return None,
        FileStatus::Failed(m) => Some(m.clone()),
        _ => None,
    };
    Some(ttkg_graph::FileChange {
        pipeline: report.pipeline.clone(),
        file: report.file.clone(),
        kind: report.change(),
        rows_loaded: report.rows_loaded,
        rows_quarantined: report.rows_quarantined,
        triples_added: report.triples_added,
        triples_removed: report.triples_removed,
        message,
    })
}

/// The sources in the store whose file is gone from what the run covers:
/// with every pipeline, any source not selected; with some pipelines, their
/// sources not selected; with named files, none.
fn missing_sources(
    store: &KnowledgeStore,
    options: &ImportOptions,
    units: &[WorkUnit],
) -> Result<Vec<(String, String, NamedNode)>, ImportError> {
    let covers = |pipeline: &str| match &options.selection {
        _ if options.keep_missing => false,
        Selection::All => true,
        Selection::Pipelines(names) => names.iter().any(|n| n == pipeline),
        Selection::Files(_) => false,
    };
    Ok(store
        .sources()
        .map_err(ImportError::Store)?
        .into_iter()
        .filter(|(pipeline, file, _)| {
            covers(pipeline)
                && !units
                    .iter()
                    .any(|u| &u.pipeline.name == pipeline && &u.relative == file)
        })
        .collect())
}

/// Checks the run's sources against the shapes, on a preview of the store
/// with all of them in place, and marks those that do not conform as failed
/// so they are not loaded. Returns their violations.
fn hold_back_nonconforming(
    store: &KnowledgeStore,
    shapes: &ttkg_validate::Shapes,
    prepared: &mut [Prepared],
) -> Result<Vec<(String, ttkg_validate::Violation)>, ImportError> {
    let loading: Vec<usize> = (0..prepared.len())
        .filter(|i| prepared[*i].report.status == FileStatus::Loaded)
        .collect();
    let graphs: Vec<(&NamedNode, &[Triple])> = loading
        .iter()
        .map(|i| (&prepared[*i].graph, prepared[*i].triples.as_slice()))
        .collect();
    let scope: Vec<NamedNode> = loading.iter().map(|i| prepared[*i].graph.clone()).collect();
    // One pass over all of them, then each violation is held against every
    // source that states something about its node.
    let (violations, stating) = store
        .preview(&graphs, |view| {
            let violations = ttkg_validate::validate(view, shapes, &scope)?;
            let stating = ttkg_validate::graphs_stating(view, &violations, &scope)?;
            Ok((violations, stating))
        })
        .map_err(|e| match e {
            ttkg_validate::ValidateError::Graph(g) => ImportError::Store(g),
            other => ImportError::Shapes(other),
        })?;
    let mut held_back = Vec::new();
    for i in loading {
        let graph = &prepared[i].graph;
        let own: Vec<&ttkg_validate::Violation> = stating
            .iter()
            .filter(|(_, g)| g == graph)
            .map(|(v, _)| &violations[*v])
            .collect();
        let Some(first) = own.first() else {
            continue;
        };
        let report = &mut prepared[i].report;
        report.status = FileStatus::Failed(format!(
            "does not conform to ontology/shapes.ttl ({} violation{}, first: {} {}: {}); not loaded, its previous data stays",
            own.len(),
            if own.len() == 1 { "" } else { "s" },
            first.shape,
            first.focus,
            first.message
        ));
        held_back.extend(own.into_iter().map(|v| (report.file.clone(), v.clone())));
    }
    Ok(held_back)
}

struct Prepared {
    report: FileReport,
    graph: NamedNode,
    file_node: NamedNode,
    triples: Vec<Triple>,
    quarantine: Vec<QuarantineRecord>,
    resolutions: Vec<NameResolution>,
}

impl Prepared {
    /// `report` for `unit`, with nothing read yet.
    fn nothing(unit: &WorkUnit, report: FileReport) -> Self {
        Prepared {
            report,
            graph: unit.graph.clone(),
            file_node: unit.file_node.clone(),
            triples: Vec::new(),
            quarantine: Vec::new(),
            resolutions: Vec::new(),
        }
    }
}

fn read_options(pipeline: &Pipeline) -> ReadOptions {
    let source = &pipeline.spec.source;
    ReadOptions {
        format: match source.format {
            Format::Csv => SourceFormat::Csv,
            Format::Xlsx => SourceFormat::Xlsx,
            Format::Xls => SourceFormat::Xls,
            Format::Ods => SourceFormat::Ods,
        },
        sheet: match &source.sheet {
            None => SheetChoice::First,
            Some(SheetSelector::Index(i)) => SheetChoice::Index(*i),
            Some(SheetSelector::Name(n)) => SheetChoice::Pattern(n.clone()),
        },
        encoding: source.encoding.clone(),
        delimiter: source.delimiter.map(|c| c as u8),
        header_search_rows: source.header_search_rows,
    }
}

fn expected_columns(pipeline: &Pipeline) -> Vec<ExpectedColumn> {
    pipeline
        .spec
        .columns
        .iter()
        .map(|(k, c)| ExpectedColumn {
            key: k.get_ref().clone(),
            headers: c.headers.clone(),
            required: c.required,
        })
        .collect()
}

/// The pipeline's version as recorded: its declared version and a digest of
/// its file, so that editing a pipeline makes its files load again.
/// What a file's facts depend on besides the file: its pipeline's text and
/// `inputs` (the ontology, vocabularies and reference tables), so that a
/// changed pipeline, exchange rate or country label re-imports the files.
fn pipeline_version(pipeline: &Pipeline, inputs: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(pipeline.text.as_bytes());
    hasher.update(inputs.as_bytes());
    let digest = hex(&hasher.finalize());
    format!("{}+{}", pipeline.version(), &digest[..12])
}

/// The SHA-256 of the ontology files and the reference tables, in order.
fn reference_digest(workspace: &Workspace, ontology: &Ontology) -> Result<String, ImportError> {
    let mut hasher = Sha256::new();
    let mut files = ontology.files.clone();
    files.push(workspace.rates_file());
    files.push(workspace.organisation_aliases_file());
    for path in files.iter().filter(|p| p.exists()) {
        let bytes = std::fs::read(path).map_err(|e| ImportError::Reference {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        // Names, not paths: moving the workspace changes nothing.
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        hasher.update(name.as_bytes());
        hasher.update(Sha256::digest(&bytes));
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn prepare_unit(
    unit: &WorkUnit,
    ontology: &Ontology,
    refs: &References,
    inputs: &str,
    store: &KnowledgeStore,
    force: bool,
) -> Prepared {
    let pipeline = &unit.pipeline;
    let mut report = FileReport::new(
        pipeline.name.clone(),
        unit.relative.clone(),
        &unit.graph,
        FileStatus::Loaded,
    );
    let recorded = store.recorded_source(&unit.file_node).ok().flatten();
    report.replaced = recorded.is_some();
    let mut prepared = Prepared::nothing(unit, report.clone());
    let failed = |mut report: FileReport, message: String| {
        report.status = FileStatus::Failed(message);
        Prepared::nothing(unit, report)
    };
    let bytes = match std::fs::read(&unit.path) {
        Ok(b) => b,
        Err(e) => {
            return failed(
                report,
                format!("{}: cannot read the file: {e}", unit.relative),
            )
        }
    };
    let sha = hex(&Sha256::digest(&bytes));
    let version = pipeline_version(pipeline, inputs);
    if !force {
        if let Some((old_sha, old_version)) = recorded {
            if old_sha == sha && old_version == version {
                prepared.report.status = FileStatus::Unchanged;
                return prepared;
            }
        }
    }
    drop(bytes);
    let tables = match ttkg_ingest::read(
        &unit.path,
        &read_options(pipeline),
        &expected_columns(pipeline),
    ) {
        Ok(read) => {
            report.notes = read.notes;
            read.tables
        }
        Err(e) => {
            let mut message = e.to_string();
            if let ttkg_ingest::IngestError::MissingColumns { keys, .. } = &e {
                let places: Vec<String> = keys
                    .iter()
                    .map(|k| format!("`{k}` at {}", pipeline.column_place(k)))
                    .collect();
                message.push_str(&format!(" (the pipeline declares {})", places.join(", ")));
            }
            return failed(report, message);
        }
    };
    report.sheets = tables.len();
    let mut triples = Vec::new();
    let mut quarantine = Vec::new();
    let mut resolutions = Vec::new();
    for table in tables {
        report.encoding = table.encoding.map(str::to_owned);
        let normalised = match ttkg_normalise::normalise(table.frame.clone(), &pipeline.spec, refs)
        {
            Ok(n) => n,
            Err(e) => return failed(report, format!("{}: {e}", table.location())),
        };
        report.rows_read += normalised.rows_read;
        report.blank_rows += normalised.blank_rows;
        report.rows_skipped += normalised.skipped.len();
        report.rows_quarantined += normalised.quarantined_rows().len();
        report.rows_loaded += normalised.frame.height();
        for r in &normalised.resolutions {
            resolutions.push(NameResolution {
                pipeline: pipeline.name.clone(),
                file: unit.relative.clone(),
                sheet: table.sheet.clone(),
                row: r.row,
                column: table.column_name(&r.column),
                written: r.written.clone(),
                resolved: r.resolved.clone(),
                rule: r.rule.clone(),
            });
        }
        for problem in &normalised.problems {
            quarantine.push(QuarantineRecord {
                pipeline: pipeline.name.clone(),
                file: unit.relative.clone(),
                sheet: table.sheet.clone(),
                row: problem.row,
                column: table.column_name(&problem.column),
                value: problem.value.clone(),
                rule: problem.rule.clone(),
                reason: problem.reason.clone(),
            });
        }
        let source = SourceRef {
            file_node: unit.file_node.clone(),
            sheet: table.sheet.clone(),
        };
        if let Err(e) =
            ttkg_graph::map_rows(pipeline, &normalised.frame, ontology, &source, &mut triples)
        {
            return failed(report, format!("{}: {e}", table.location()));
        }
    }
    triples.extend(file_facts(unit, &sha, &version, &report));
    prepared.report = report;
    prepared.triples = triples;
    prepared.quarantine = quarantine;
    prepared.resolutions = resolutions;
    prepared
}

/// The source file's provenance, stored in its own graph so it is replaced with it.
fn file_facts(unit: &WorkUnit, sha: &str, version: &str, report: &FileReport) -> Vec<Triple> {
    let s = NamedOrBlankNode::NamedNode(unit.file_node.clone());
    let p = |iri: &str| NamedNode::new_unchecked(iri);
    let t = |iri: String| p(&iri);
    let string = |v: &str| Term::Literal(Literal::new_simple_literal(v));
    let integer = |v: usize| {
        Term::Literal(Literal::new_typed_literal(
            v.to_string(),
            p(public::XSD_INTEGER),
        ))
    };
    let size = std::fs::metadata(&unit.path)
        .map(|m| m.len() as usize)
        .unwrap_or(0);
    [
        (
            p(public::RDF_TYPE),
            Term::from(t(ttkg::iri(ttkg::SOURCE_FILE))),
        ),
        // Stated as well as implied by the subclass axiom, so that plain
        // PROV-O queries (`?f a prov:Entity`) find the files.
        (p(public::RDF_TYPE), Term::from(p(public::PROV_ENTITY))),
        (t(ttkg::iri(ttkg::FILE_PATH)), string(&unit.relative)),
        (t(ttkg::iri(ttkg::BYTE_SIZE)), integer(size)),
        (t(ttkg::iri(ttkg::SHA256)), string(sha)),
        (t(ttkg::iri(ttkg::PIPELINE)), string(&unit.pipeline.name)),
        (t(ttkg::iri(ttkg::PIPELINE_VERSION)), string(version)),
        (
            t(ttkg::iri(ttkg::PRODUCED_GRAPH)),
            Term::from(unit.graph.clone()),
        ),
        (t(ttkg::iri(ttkg::ROWS_READ)), integer(report.rows_read)),
        (
            t(ttkg::iri(ttkg::ROWS_QUARANTINED)),
            integer(report.rows_quarantined),
        ),
    ]
    .into_iter()
    .map(|(predicate, object)| Triple::new(s.clone(), predicate, object))
    .collect()
}

/// The default store folder of a workspace, unless `--store` or `TTKG_STORE` say otherwise.
pub fn default_store(root: &Path) -> PathBuf {
    root.join("store")
}

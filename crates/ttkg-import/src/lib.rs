//! The import: runs pipelines over report files and loads the results.
//!
//! Work happens in three stages. *Prepare* loads the ontology, reference
//! tables and pipelines and refuses to start if any pipeline is invalid.
//! *Read* takes every (pipeline, file) pair in parallel (rayon): hash, read,
//! normalise, map to triples and check the rows against each other, in
//! memory ([`prepare`](crate::prepare)). *Publish* then takes each source in
//! turn: its rows are checked against the other sources, a file that lost
//! too many rows to quarantine fails, and the rest replaces the source's
//! named graph in one step ([`publish`](crate::publish)). A file that failed
//! anywhere leaves its previous graph untouched; a file that succeeded is
//! visible whole.

mod fingerprint;
mod gate;
mod lock;
mod prepare;
mod publish;
mod quarantine;
mod report;
mod settings;
mod sources;

pub use lock::{import_holder, ImportLock, LockWait, LOCK_FILE};
pub use quarantine::{NameResolution, QuarantineRecord, SkippedRow};
pub use report::{outcome, FileReport, FileStatus, ImportReport, Timings};
pub use settings::{Settings, SETTINGS_FILE};
pub use sources::{Selection, WorkUnit};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use ttkg_graph::consistency::{self, RunFacts};
use ttkg_graph::oxigraph::model::{NamedNode, Triple};
use ttkg_graph::{GraphError, KnowledgeStore, Ontology, RunRecord, SingleValued};
use ttkg_normalise::{Aliases, ConceptTable, RateTable, References};
use ttkg_pipeline::{Pipeline, PipelineErrors};

use crate::prepare::{Context, Prepared};

/// Where things are.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace folder (holds `ttkg.toml`, when there is one).
    pub root: PathBuf,
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

    /// The alias table of names of any kind of entity (optional).
    pub fn aliases_file(&self) -> PathBuf {
        self.data_dir.join("reference").join("aliases.csv")
    }

    /// The older alias table of organisation names only (optional, read
    /// as organisation rows of [`Self::aliases_file`]).
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
    /// The share of a file's rows that may be quarantined before the file
    /// fails, for every pipeline (each pipeline's `max_quarantined` otherwise).
    pub max_quarantined: Option<f64>,
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

/// Checks each pipeline's terms against the ontology and its encoding.
fn check_pipelines(pipelines: &[Pipeline], ontology: &Ontology) -> Result<(), ImportError> {
    let mut errors = Vec::new();
    for pipeline in pipelines {
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
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ImportError::Pipelines(PipelineErrors(errors)))
    }
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
    check_pipelines(&pipelines, &ontology)?;
    let aliases_file = workspace.aliases_file();
    let aliases = Aliases::from_files(&aliases_file, &workspace.organisation_aliases_file())
        .map_err(|e| match e {
            ttkg_normalise::NormaliseError::Reference { path, message } => {
                ImportError::Reference { path, message }
            }
            other => ImportError::Reference {
                path: aliases_file.display().to_string(),
                message: other.to_string(),
            },
        })?;
    Ok((
        ontology,
        References {
            concepts,
            rates,
            aliases,
        },
        pipelines,
    ))
}

/// How long an import waits for a reader (a query or an export) that has
/// the store open, before failing with the reason.
pub const READER_PATIENCE: std::time::Duration = std::time::Duration::from_secs(600);

/// Runs an import.
pub fn run(options: &ImportOptions, progress: &dyn Progress) -> Result<ImportReport, ImportError> {
    let _lock = ImportLock::acquire(&options.store, options.wait, |holder| {
        tracing::warn!("waiting for the import already running on this store ({holder}) to finish");
    })?;
    let store = KnowledgeStore::open_waiting(&options.store, READER_PATIENCE, || {
        tracing::warn!(
            "waiting for another ttkg command reading this store (a query, an export) to close it"
        );
    })
    .map_err(ImportError::Store)?;
    run_on(&store, options, progress)
}

/// What a run keeps while it goes through the batches.
#[derive(Default)]
struct Outcome {
    files: Vec<FileReport>,
    quarantine: Vec<QuarantineRecord>,
    resolutions: Vec<NameResolution>,
    skipped: Vec<SkippedRow>,
    violations: Vec<(String, ttkg_validate::Violation)>,
    /// Source-file nodes the run read, with the graph each produced.
    used: Vec<(NamedNode, NamedNode)>,
}

impl Outcome {
    /// Takes in a source's report and lists, once it is published or failed.
    fn record(&mut self, p: Prepared) {
        self.quarantine.extend(p.quarantine);
        if p.report.status == FileStatus::Loaded {
            self.resolutions.extend(p.resolutions);
            self.skipped.extend(p.skipped);
        }
        if matches!(p.report.status, FileStatus::Loaded | FileStatus::Unchanged) {
            self.used.push((p.unit.file_node, p.unit.graph));
        }
        self.files.push(p.report);
    }

    /// The report of a run that changed nothing: what it would do.
    fn into_dry_report(self, refs: &References, timings: Timings) -> ImportReport {
        ImportReport {
            run: String::new(),
            files: self.files,
            quarantine: self.quarantine,
            quarantine_files: None,
            violations: self.violations,
            resolutions: self.resolutions,
            resolutions_file: None,
            skipped: self.skipped,
            skipped_file: None,
            dry_run: true,
            warnings: reference_warnings(refs),
            timings,
        }
    }
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
    let settings = Settings::load(&options.workspace.root)?;
    let units = sources::select(
        &pipelines,
        &options.workspace.data_dir,
        &options.selection,
        settings.import.follow_links,
    )?;
    let ontology_graph = NamedNode::new_unchecked(ttkg_vocab::ONTOLOGY_GRAPH);
    if !options.dry_run {
        store
            .replace_graph(&ontology_graph, &ontology.triples)
            .map_err(ImportError::Store)?;
    }
    let missing = missing_sources(store, options, &units)?;
    let inputs = fingerprint::reference_digest(&options.workspace, &ontology)?;
    let single = single_valued(&options.workspace, &ontology)?;
    let prepare_time = started.elapsed();
    let shapes = validation_shapes(options)?;
    let context = Context {
        ontology: &ontology,
        refs: &refs,
        single: &single,
        inputs: &inputs,
        store: Some(store),
        force: options.force,
        limits: settings.read_limits(),
    };

    // Files are prepared in parallel a few at a time and each batch is
    // published before the next is read, so memory holds a handful of
    // files' triples rather than the whole run's. Validation needs every
    // source of the run at once (an agreement's event may come from another
    // report), so it takes them in one batch.
    let batch = if shapes.is_some() {
        units.len().max(1)
    } else {
        rayon::current_num_threads().max(1)
    };
    progress.start(Stage::Read, units.len() as u64);
    progress.start(Stage::Load, units.len() as u64);
    let (mut read_time, mut load_time) = (Duration::ZERO, Duration::ZERO);
    let mut outcome = Outcome::default();
    // On a store without sources, conflicts can only be with this run's.
    let mut run_facts = consistency::holds_no_sources(store.store())
        .map_err(ImportError::Store)?
        .then(RunFacts::default);
    let loading = Loading {
        store,
        options,
        shapes: shapes.as_ref(),
        single: &single,
        progress,
    };
    for chunk in units.chunks(batch) {
        let read_started = Instant::now();
        let prepared: Vec<Prepared> = chunk
            .par_iter()
            .map(|unit| {
                let prepared = prepare::prepare_unit(unit, &context);
                progress.advance(Stage::Read, &unit.relative);
                prepared
            })
            .collect();
        read_time += read_started.elapsed();
        let load_started = Instant::now();
        loading.load(prepared, &mut outcome, run_facts.as_mut())?;
        load_time += load_started.elapsed();
    }
    progress.finish(Stage::Read);
    progress.finish(Stage::Load);
    retract_missing(store, missing, options.dry_run, &mut outcome);
    let timings = |total: Duration| Timings {
        prepare: prepare_time,
        read: read_time,
        load: load_time,
        total,
    };
    if options.dry_run {
        return Ok(outcome.into_dry_report(&refs, timings(started.elapsed())));
    }
    finish(
        store,
        options,
        &refs,
        outcome,
        started_at,
        timings(started.elapsed()),
    )
}

/// The shapes every source must pass, with `--validate`.
fn validation_shapes(
    options: &ImportOptions,
) -> Result<Option<ttkg_validate::Shapes>, ImportError> {
    if !options.validate {
        return Ok(None);
    }
    let path = options.workspace.ontology_dir.join("shapes.ttl");
    ttkg_validate::Shapes::load(&path)
        .map(Some)
        .map_err(ImportError::Shapes)
}

/// What loading a batch of prepared files needs.
struct Loading<'a> {
    store: &'a KnowledgeStore,
    options: &'a ImportOptions,
    /// With `--validate`, the shapes every source must pass.
    shapes: Option<&'a ttkg_validate::Shapes>,
    single: &'a SingleValued,
    progress: &'a dyn Progress,
}

impl Loading<'_> {
    /// Finalises each prepared file (conflicts, the quarantine share) and,
    /// unless this is a dry run, publishes it; with shapes, the batch is
    /// validated first and a source that breaks them is left out.
    fn load(
        &self,
        prepared: Vec<Prepared>,
        outcome: &mut Outcome,
        mut run_facts: Option<&mut RunFacts>,
    ) -> Result<(), ImportError> {
        let (store, options, single, progress) =
            (self.store, self.options, self.single, self.progress);
        match self.shapes {
            _ if options.dry_run => {
                for mut p in prepared {
                    let limit = max_quarantined(options, &p.unit.pipeline);
                    publish::finalize(&mut p, Some(store.store()), single, limit, None)
                        .map_err(ImportError::Store)?;
                    progress.advance(Stage::Load, &p.report.file);
                    outcome.record(p);
                }
            }
            Some(shapes) => {
                let gated = gate::finalize_and_validate(store, shapes, single, options, prepared)?;
                for (p, triples) in gated.sources {
                    publish_one(store, p, triples, outcome);
                    progress.advance(Stage::Load, &outcome.files[outcome.files.len() - 1].file);
                }
                outcome.violations.extend(gated.violations);
            }
            None => {
                for mut p in prepared {
                    let limit = max_quarantined(options, &p.unit.pipeline);
                    let triples = publish::finalize(
                        &mut p,
                        Some(store.store()),
                        single,
                        limit,
                        run_facts.as_deref_mut(),
                    )
                    .map_err(ImportError::Store)?;
                    progress.advance(Stage::Load, &p.report.file);
                    publish_one(store, p, triples, outcome);
                }
            }
        }
        Ok(())
    }
}

/// The run's end: its report files written, the run recorded in the
/// store's history, the store flushed and its snapshot published.
fn finish(
    store: &KnowledgeStore,
    options: &ImportOptions,
    refs: &References,
    outcome: Outcome,
    started_at: chrono::DateTime<chrono::Utc>,
    timings: Timings,
) -> Result<ImportReport, ImportError> {
    let stamp = started_at.format("%Y%m%dT%H%M%S%.3fZ").to_string();
    let dir = &options.quarantine_dir;
    let quarantine_files = (!outcome.quarantine.is_empty())
        .then(|| quarantine::write(dir, &stamp, &outcome.quarantine))
        .transpose()?;
    let resolutions_file = (!outcome.resolutions.is_empty())
        .then(|| quarantine::write_resolutions(dir, &stamp, &outcome.resolutions))
        .transpose()?;
    let skipped_file = (!outcome.skipped.is_empty())
        .then(|| quarantine::write_skipped(dir, &stamp, &outcome.skipped))
        .transpose()?;
    let run_iri = NamedNode::new_unchecked(format!("{}run/{stamp}", ttkg_vocab::ID));
    store
        .record_run(&RunRecord {
            iri: run_iri.clone(),
            started: started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ended: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            used: outcome.used,
            outcome: report::outcome(&outcome.files).to_owned(),
            totals: report::totals(&outcome.files),
            changes: outcome.files.iter().filter_map(report::change_of).collect(),
        })
        .map_err(ImportError::Store)?;
    store.flush().map_err(ImportError::Store)?;
    // Readers in other processes (query workers) see the run once published.
    let mut warnings = reference_warnings(refs);
    if store.path().is_some() {
        if let Err(e) = store.publish_snapshot() {
            warnings.push(format!(
                "the import is complete, but the snapshot that `ttkg serve`'s queries read could not be written ({e}); they answer from the previous one until the next run"
            ));
        }
    }
    Ok(ImportReport {
        run: run_iri.as_str().to_owned(),
        files: outcome.files,
        quarantine: outcome.quarantine,
        quarantine_files,
        violations: outcome.violations,
        resolutions: outcome.resolutions,
        resolutions_file,
        skipped: outcome.skipped,
        skipped_file,
        dry_run: false,
        warnings,
        timings,
    })
}

/// The sources whose file is gone from what the run covers: their graphs
/// retracted (not in a dry run), each listed as such.
fn retract_missing(
    store: &KnowledgeStore,
    missing: Vec<(String, String, NamedNode)>,
    dry_run: bool,
    outcome: &mut Outcome,
) {
    for (pipeline, file, graph) in missing {
        let mut report = FileReport::new(pipeline, file, &graph, FileStatus::Retracted);
        report.replaced = true;
        if !dry_run {
            match store.retract_graph(&graph) {
                Ok(stats) => report.triples_removed = stats.removed,
                Err(e) => {
                    report.status = FileStatus::Failed(format!(
                        "the file is gone, but retracting its data failed: {e}; it stays until the next run"
                    ))
                }
            }
        }
        outcome.files.push(report);
    }
}

/// Replaces the source's graph with `triples` (when it loads) and records it.
fn publish_one(
    store: &KnowledgeStore,
    mut p: Prepared,
    triples: Option<Vec<Triple>>,
    outcome: &mut Outcome,
) {
    if let Some(triples) = triples {
        match store.replace_graph(&p.unit.graph, &triples) {
            Ok(stats) => {
                p.report.triples_added = stats.added;
                p.report.triples_removed = stats.removed;
            }
            Err(e) => {
                p.report.rows_loaded = 0;
                p.report.status = FileStatus::Failed(format!(
                    "loading into the store failed: {e}; its previous version stays"
                ))
            }
        }
    }
    outcome.record(p);
}

/// The share of quarantined rows past which a file of `pipeline` fails.
fn max_quarantined(options: &ImportOptions, pipeline: &Pipeline) -> f64 {
    options
        .max_quarantined
        .unwrap_or_else(|| pipeline.spec.max_quarantined())
}

/// The single-valued properties of `ontology/shapes.ttl` and the ontology.
fn single_valued(workspace: &Workspace, ontology: &Ontology) -> Result<SingleValued, ImportError> {
    let shapes = workspace.ontology_dir.join("shapes.ttl");
    SingleValued::load(&shapes, ontology).map_err(|e| ImportError::Reference {
        path: shapes.display().to_string(),
        message: e.to_string(),
    })
}

/// What `ttkg check FILE…` reports: each (pipeline, file) pair the files
/// select (or, with `pipeline`, that pipeline file for each), read and
/// checked as an import would (missing columns,
/// quarantined rows, duplicates, conflicts within the file, whether it would
/// load), without a store.
pub fn check_files(
    workspace: &Workspace,
    files: &[PathBuf],
    max_quarantined_override: Option<f64>,
    pipeline: Option<&Path>,
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let (ontology, refs, mut pipelines) = prepare(workspace)?;
    if let Some(path) = pipeline {
        // A pipeline not (yet) in pipelines/, such as a draft: it alone.
        let only = Pipeline::load(path).map_err(ImportError::Pipelines)?;
        check_pipelines(std::slice::from_ref(&only), &ontology)?;
        pipelines = vec![only];
    }
    let settings = Settings::load(&workspace.root)?;
    let units = sources::select(
        &pipelines,
        &workspace.data_dir,
        &Selection::Files(files.to_vec()),
        settings.import.follow_links,
    )?;
    let inputs = fingerprint::reference_digest(workspace, &ontology)?;
    let single = single_valued(workspace, &ontology)?;
    let context = Context {
        ontology: &ontology,
        refs: &refs,
        single: &single,
        inputs: &inputs,
        store: None,
        force: true,
        limits: settings.read_limits(),
    };
    let mut outcome = Outcome::default();
    let prepared: Vec<Prepared> = units
        .par_iter()
        .map(|unit| prepare::prepare_unit(unit, &context))
        .collect();
    for mut p in prepared {
        let limit =
            max_quarantined_override.unwrap_or_else(|| p.unit.pipeline.spec.max_quarantined());
        publish::finalize::<ttkg_graph::oxigraph::store::Store>(&mut p, None, &single, limit, None)
            .map_err(ImportError::Store)?;
        outcome.record(p);
    }
    Ok(outcome.into_dry_report(
        &refs,
        Timings {
            total: started.elapsed(),
            ..Timings::default()
        },
    ))
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

/// The default store folder of a workspace, unless `--store` or `TTKG_STORE` say otherwise.
pub fn default_store(root: &Path) -> PathBuf {
    root.join("store")
}

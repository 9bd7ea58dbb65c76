//! A run: every (pipeline, file) pair read in parallel, published batch by
//! batch (the next read while one loads), the files gone from the data
//! folder retracted, and the run recorded; and `ttkg check`'s dry reading
//! of some files.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use ttkg_graph::consistency::{self, RunFacts};
use ttkg_graph::oxigraph::model::NamedNode;
use ttkg_graph::{GraphError, KnowledgeStore, Ontology, ReplaceStats, RunRecord, SingleValued};
use ttkg_normalise::References;
use ttkg_pipeline::Pipeline;

use crate::budget::Budget;
use crate::prepare;
use crate::prepare::{Context, Prepared};
use crate::workspace::{check_pipelines, reference_warnings};
use crate::{
    fingerprint, gate, publish, quarantine, report, sources, FileReport, FileStatus, ImportError,
    ImportLock, ImportOptions, ImportReport, NameResolution, Progress, QuarantineRecord, Selection,
    Settings, SkippedRow, Stage, Timings, WorkUnit, Workspace,
};

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
    run_within(
        &store,
        options,
        progress,
        Budget::of_process(options.memory),
    )
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
    /// What the run found that needs a look besides the files' own
    /// warnings (a report no pipeline takes).
    warnings: Vec<String>,
}

impl Outcome {
    /// Takes in a source's report and lists, once it is published or failed.
    fn record(&mut self, p: Prepared) {
        self.quarantine.extend(p.quarantine);
        if p.report.status == FileStatus::Loaded {
            let names = p
                .resolutions
                .into_records(&p.unit.pipeline.name, &p.unit.relative);
            self.resolutions.extend(names);
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
            warnings: reference_warnings(refs)
                .into_iter()
                .chain(self.warnings)
                .collect(),
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
    run_within(store, options, progress, Budget::of_work(options.memory))
}

/// [`run_on`] within `budget`.
fn run_within(
    store: &KnowledgeStore,
    options: &ImportOptions,
    progress: &dyn Progress,
    budget: Budget,
) -> Result<ImportReport, ImportError> {
    let work = budget.work();
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
    if !options.dry_run {
        let graph = NamedNode::new_unchecked(ttkg_vocab::ONTOLOGY_GRAPH);
        store
            .replace_graph(&graph, &ontology.triples)
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
        batch_rows: prepare::rows_per_batch(work),
        budget,
    };
    // Files are prepared in parallel a few at a time and each batch is
    // published before the next but one is read, so memory holds a handful
    // of files' triples rather than the whole run's. While a batch loads,
    // the next is read on the other cores when both fit in half the budget
    // together (many small reports); large ones go one after the other.
    // Validation needs every source of the run at once (an agreement's
    // event may come from another report), so it takes them in one batch.
    store.limit_load_memory(work);
    let needs: Vec<u64> = units.iter().map(expected_memory).collect();
    let batches = batches_of(&needs, shapes.is_some(), work);
    progress.start(Stage::Read, units.len() as u64);
    progress.start(Stage::Load, units.len() as u64);
    let mut outcome = Outcome::default();
    if matches!(options.selection, Selection::All) {
        outcome.warnings = untaken(&pipelines, &options.workspace, &settings)?;
    }
    outcome.warnings.extend(budget.warning());
    // The run's earlier files, for the conflict check of the later ones: on
    // a store without sources, standing for it; in a dry run, which
    // publishes nothing, with their values and rows. They take at most an
    // eighth of the budget (about 1,500,000 rows' at the default).
    let run_limit = usize::try_from(work / 8).unwrap_or(usize::MAX);
    let no_sources = consistency::holds_no_sources(store.store()).map_err(ImportError::Store)?;
    let mut run_facts = match options.dry_run {
        true => Some(RunFacts::for_dry_run(run_limit, !no_sources)),
        false => no_sources.then(|| RunFacts::within(run_limit)),
    };
    let loading = Loading {
        store,
        options,
        shapes: shapes.as_ref(),
        single: &single,
        progress,
    };
    let (read_time, load_time) = loading.read_and_load(
        &units,
        &needs,
        batches,
        &context,
        &mut outcome,
        run_facts.as_mut(),
    )?;
    progress.finish(Stage::Read);
    progress.finish(Stage::Load);
    let finish_started = Instant::now();
    retract_missing(store, missing, options.dry_run, &mut outcome);
    let timings = Timings {
        prepare: prepare_time,
        read: read_time,
        load: load_time,
        ..Timings::default()
    };
    if let Some(file) = run_facts.as_ref().and_then(RunFacts::dropped_at) {
        if options.dry_run {
            outcome.warnings.push(format!(
                "this dry run checked the files after {file} for conflicts with the store only, not with the run's earlier files: their facts took more than an eighth of what --memory leaves; an import checks them all, and a larger --memory lets a dry run do so"
            ));
        }
    }
    let mut report = if options.dry_run {
        outcome.into_dry_report(&refs, timings)
    } else {
        finish(store, options, &refs, outcome, started_at, timings)?
    };
    report.timings.finish = finish_started.elapsed();
    report.timings.total = started.elapsed();
    Ok(report)
}

/// The run's batches: one for a validated run (the shapes need every
/// source at once), else as [`batch_sizes`] fits them to the memory budget.
fn batches_of(needs: &[u64], validated: bool, memory: u64) -> Vec<usize> {
    if needs.is_empty() {
        Vec::new()
    } else if validated {
        vec![needs.len()]
    } else {
        batch_sizes(needs, rayon::current_num_threads(), memory)
    }
}

/// How many files each batch reads at once: as many as there are threads,
/// while the memory their reading and mapping is expected to take stays
/// within half the budget (the other half is the bulk loader's and
/// RocksDB's); a file too large for that alone is read alone.
fn batch_sizes(needs: &[u64], threads: usize, memory: u64) -> Vec<usize> {
    let threads = threads.max(1);
    let mut sizes = Vec::new();
    let (mut count, mut held) = (0usize, 0u64);
    for &need in needs {
        if count > 0 && (count == threads || held.saturating_add(need) > memory / 2) {
            sizes.push(count);
            (count, held) = (0, 0);
        }
        count += 1;
        held = held.saturating_add(need);
    }
    if count > 0 {
        sizes.push(count);
    }
    sizes
}

/// What reading, normalising and mapping a file holds at its peak, from
/// its size on disk: about 60 times a CSV file and 250 times a workbook,
/// whose cells are compressed (measured on the synthetic agreement reports
/// of `scripts/bench`: 100,000 rows are a 22 MB CSV file or a 5.7 MB
/// workbook, and about 1.3 GB of tables and triples). Since the compact
/// facts and jemalloc it overstates about three times (`ttkg check` of one
/// such file peaks at 449 MiB for the CSV and 474 MiB for the workbook);
/// it stays, as "Memory" in docs/benchmarks.md says why.
fn expected_memory(unit: &WorkUnit) -> u64 {
    let bytes = std::fs::metadata(&unit.path).map_or(0, |m| m.len());
    let factor = match unit.pipeline.spec.source.format {
        ttkg_pipeline::Format::Csv => 60,
        _ => 250,
    };
    bytes.saturating_mul(factor)
}

/// A warning for each report in the data folder that no pipeline takes.
fn untaken(
    pipelines: &[Pipeline],
    workspace: &Workspace,
    settings: &Settings,
) -> Result<Vec<String>, ImportError> {
    let data = &workspace.data_dir;
    Ok(sources::untaken(pipelines, data, settings.import.follow_links)?
        .into_iter()
        .map(|file| {
            format!(
                "{file}: no pipeline takes this file, so it was not imported; `ttkg draft {}` drafts a pipeline for it",
                data.join(&file).display()
            )
        })
        .collect())
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
    /// Reads and loads `units` in `batches`, each batch read while the one
    /// before loads when both fit in half the memory budget, else, when its
    /// estimate fits in the budget, while the bulk loader writes the last of
    /// the one before;
    /// how long the reading and the loading took, each in all.
    fn read_and_load(
        &self,
        units: &[WorkUnit],
        needs: &[u64],
        batches: Vec<usize>,
        context: &Context,
        outcome: &mut Outcome,
        mut run_facts: Option<&mut RunFacts>,
    ) -> Result<(Duration, Duration), ImportError> {
        let (mut read_time, mut load_time) = (Duration::ZERO, Duration::ZERO);
        // The batch read and not yet loaded, with its expected memory.
        let mut pending: Option<(Vec<Prepared>, u64)> = None;
        let mut start = 0;
        for size in batches {
            let (chunk, need) = (
                &units[start..start + size],
                needs[start..start + size].iter().sum(),
            );
            start += size;
            let read_next = || {
                let read_started = Instant::now();
                (self.read(chunk, context), read_started.elapsed())
            };
            let (read, took) = match pending.take() {
                None => read_next(),
                Some((previous, held)) => {
                    let load_previous = |meanwhile| {
                        let load_started = Instant::now();
                        self.load(
                            previous,
                            outcome,
                            run_facts.as_deref_mut(),
                            meanwhile,
                            false,
                        )
                        .map(|()| load_started.elapsed())
                    };
                    let work = context.budget.work();
                    if held.saturating_add(need) <= work / 2 {
                        let (loaded, next) = rayon::join(|| load_previous(None), read_next);
                        load_time += loaded?;
                        next
                    } else if need <= work {
                        // Read once the batch before is handed to the bulk
                        // loader: its triples are gone then, and the loader
                        // keeps to its share of the budget (at most half,
                        // less when the process uses more). The estimate is
                        // about three times what a batch takes (see
                        // `expected_memory`), so one within the whole budget
                        // takes about a third of it; a larger one waits (two
                        // files of 500,000 rows peaked at 2,203 MiB
                        // overlapping, 1,863 MiB one after the other).
                        let mut next = None;
                        load_time += load_previous(Some(&mut || next = Some(read_next())))?;
                        next.unwrap_or_else(read_next)
                    } else {
                        load_time += load_previous(None)?;
                        read_next()
                    }
                }
            };
            read_time += took;
            pending = Some((read, need));
        }
        if let Some((last, _)) = pending {
            let load_started = Instant::now();
            // The run's last file has no later file to check against.
            self.load(last, outcome, run_facts, None, true)?;
            load_time += load_started.elapsed();
        }
        Ok((read_time, load_time))
    }

    /// Reads, normalises and maps a batch of files in parallel.
    fn read(&self, chunk: &[WorkUnit], context: &Context) -> Vec<Prepared> {
        chunk
            .par_iter()
            .map(|unit| {
                let prepared = prepare::prepare_unit(unit, context);
                self.progress.advance(Stage::Read, &unit.relative);
                prepared
            })
            .collect()
    }

    /// Finalises each prepared file (conflicts, the quarantine share) and,
    /// unless this is a dry run, publishes it; with shapes, the batch is
    /// validated first and a source that breaks them is left out.
    /// `meanwhile` runs once the last file no longer needs this thread
    /// (see [`KnowledgeStore::replace_graph_with_kept_while`]), or at the end.
    /// The facts of the run's last file (`ends_run`) are not noted in
    /// `run_facts`: no file after it is checked against them, and at
    /// 1,000,000 rows they took about 300 MB.
    fn load(
        &self,
        prepared: Vec<Prepared>,
        outcome: &mut Outcome,
        mut run_facts: Option<&mut RunFacts>,
        mut meanwhile: Option<&mut dyn FnMut()>,
        ends_run: bool,
    ) -> Result<(), ImportError> {
        let (store, options, single, progress) =
            (self.store, self.options, self.single, self.progress);
        match self.shapes {
            _ if options.dry_run => {
                let count = prepared.len();
                for (i, mut p) in prepared.into_iter().enumerate() {
                    let limit = max_quarantined(options, &p.unit.pipeline);
                    // On a store without sources, the run's facts spare
                    // asking the store about every subject (three seconds
                    // a 100,000-row file): nothing there can conflict, and
                    // a dry run's earlier files are not in it either.
                    let run = run_facts.as_deref_mut();
                    let last = ends_run && i + 1 == count;
                    publish::finalize(&mut p, Some(store.store()), single, limit, run, !last)
                        .map_err(ImportError::Store)?;
                    progress.advance(Stage::Load, &p.report.file);
                    outcome.record(p);
                }
            }
            Some(shapes) => {
                let gated = gate::finalize_and_validate(store, shapes, single, options, prepared)?;
                for (p, triples) in gated.sources {
                    let replaced = triples
                        .map(|t| store.replace_graph_with_distinct(&p.unit.graph, t.into_iter()));
                    publish_one(p, replaced, outcome);
                    progress.advance(Stage::Load, &outcome.files[outcome.files.len() - 1].file);
                }
                outcome.violations.extend(gated.violations);
            }
            None => {
                let count = prepared.len();
                for (i, mut p) in prepared.into_iter().enumerate() {
                    let limit = max_quarantined(options, &p.unit.pipeline);
                    let run = run_facts.as_deref_mut();
                    let last = ends_run && i + 1 == count;
                    let triples =
                        publish::finalize(&mut p, Some(store.store()), single, limit, run, !last)
                            .map_err(ImportError::Store)?;
                    progress.advance(Stage::Load, &p.report.file);
                    let replaced = triples.map(|t| {
                        let last = (i + 1 == count).then(|| meanwhile.take()).flatten();
                        store.replace_graph_with_kept_while(&p.unit.graph, t, || {
                            last.into_iter().for_each(|work| work());
                        })
                    });
                    publish_one(p, replaced, outcome);
                }
            }
        }
        if let Some(work) = meanwhile {
            work();
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
    warnings.extend(outcome.warnings);
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

/// Records the source and how replacing its graph went (`None`: it does
/// not load).
fn publish_one(
    mut p: Prepared,
    replaced: Option<Result<ReplaceStats, GraphError>>,
    outcome: &mut Outcome,
) {
    if let Some(replaced) = replaced {
        match replaced {
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
        source: e.into(),
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
    memory: u64,
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
    let budget = Budget::of_process(memory);
    let context = Context {
        ontology: &ontology,
        refs: &refs,
        single: &single,
        inputs: &inputs,
        store: None,
        force: true,
        limits: settings.read_limits(),
        batch_rows: prepare::rows_per_batch(budget.work()),
        budget,
    };
    let mut outcome = Outcome::default();
    outcome.warnings.extend(budget.warning());
    let prepared: Vec<Prepared> = units
        .par_iter()
        .map(|unit| prepare::prepare_unit(unit, &context))
        .collect();
    for mut p in prepared {
        let limit =
            max_quarantined_override.unwrap_or_else(|| p.unit.pipeline.spec.max_quarantined());
        publish::finalize::<ttkg_graph::oxigraph::store::Store>(
            &mut p, None, &single, limit, None, false,
        )
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

#[cfg(test)]
mod tests {
    use super::batch_sizes;

    #[test]
    fn files_are_read_together_while_they_fit_in_half_the_budget() {
        let mb = 1u64 << 20;
        // Small files: as many at once as there are threads.
        assert_eq!(batch_sizes(&[mb; 5], 2, 1536 * mb), vec![2, 2, 1]);
        // Two large files do not fit together: one at a time.
        assert_eq!(
            batch_sizes(&[600 * mb, 600 * mb, mb], 2, 1536 * mb),
            vec![1, 2]
        );
        // A file larger than the budget is still read, alone.
        assert_eq!(batch_sizes(&[4000 * mb, mb], 2, 1536 * mb), vec![1, 1]);
        assert_eq!(batch_sizes(&[], 2, 1536 * mb), Vec::<usize>::new());
    }
}

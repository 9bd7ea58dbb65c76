//! One (pipeline, file) pair read, normalised, mapped to triples and checked
//! against itself, in memory, before anything reaches the store. Runs in
//! parallel (rayon) over a run's files.

use std::collections::HashSet;

use ttkg_graph::consistency::{self, Conflict};
use ttkg_graph::{KnowledgeStore, MappedTable, Ontology, SingleValued, SourceRef, Terms};
use ttkg_ingest::{ReadLimits, ReadOptions, SheetChoice, SourceFormat, Table};
use ttkg_normalise::References;
use ttkg_pipeline::{Format, OnMissing, Pipeline, SheetSelector};

use crate::budget::Budget;
use crate::fingerprint::{pipeline_version, sha256};
use crate::quarantine::{FileResolutions, QuarantineRecord, SkippedRow};
use crate::report::{FileReport, FileStatus};
use crate::WorkUnit;

/// A file read and mapped, waiting to be checked against the other sources
/// and published.
pub(crate) struct Prepared {
    pub report: FileReport,
    pub unit: WorkUnit,
    pub sha: String,
    pub version: String,
    /// The mapped rows of each sheet (one for CSV), with the sender's
    /// header for each column key.
    pub tables: Vec<MappedTable>,
    /// The terms of all its tables' triples, each kept once.
    pub terms: Terms,
    pub headers: Vec<Vec<(String, Option<String>)>>,
    /// (table, row) of mapped rows not to load: duplicates and conflicts.
    pub excluded: HashSet<(usize, usize)>,
    pub quarantine: Vec<QuarantineRecord>,
    pub resolutions: FileResolutions,
    pub skipped: Vec<SkippedRow>,
}

impl Prepared {
    /// `report` for `unit`, with nothing read.
    fn nothing(unit: &WorkUnit, report: FileReport) -> Self {
        Prepared {
            report,
            unit: unit.clone(),
            sha: String::new(),
            version: String::new(),
            tables: Vec::new(),
            terms: Terms::default(),
            headers: Vec::new(),
            excluded: HashSet::new(),
            quarantine: Vec::new(),
            resolutions: FileResolutions::default(),
            skipped: Vec::new(),
        }
    }

    fn failed(mut self, message: String) -> Self {
        self.report.status = FileStatus::Failed(message);
        self.tables.clear();
        self.terms = Terms::default();
        self
    }

    /// A quarantine record of this file.
    pub fn record(
        &self,
        sheet: Option<String>,
        row: u32,
        column: String,
        value: Option<String>,
        rule: &str,
        reason: String,
    ) -> QuarantineRecord {
        QuarantineRecord {
            pipeline: self.unit.pipeline.name.clone(),
            file: self.unit.relative.clone(),
            sheet,
            row,
            column,
            value,
            rule: rule.to_owned(),
            reason,
        }
    }

    /// The sender's header for a column key of table `t`.
    pub fn header(&self, t: usize, key: Option<&str>) -> String {
        let Some(key) = key else {
            return "(the whole row)".to_owned();
        };
        self.headers
            .get(t)
            .and_then(|h| h.iter().find(|(k, _)| k == key))
            .and_then(|(_, h)| h.clone())
            .unwrap_or_else(|| key.to_owned())
    }

    /// Quarantines the rows of `conflicts` (found in table `t` or by sheet).
    pub fn quarantine_conflicts(&mut self, conflicts: Vec<Conflict>) {
        for conflict in conflicts {
            let t = self
                .tables
                .iter()
                .position(|table| table.sheet == conflict.sheet)
                .unwrap_or(0);
            let column = self.header(t, conflict.column.as_deref());
            let record = self.record(
                conflict.sheet.clone(),
                conflict.row,
                column,
                Some(conflict.value.clone()),
                "conflict",
                conflict.reason(),
            );
            self.quarantine.push(record);
        }
    }
}

/// What every unit of a run shares.
pub(crate) struct Context<'a> {
    pub ontology: &'a Ontology,
    pub refs: &'a References,
    pub single: &'a SingleValued,
    /// The digest of the ontology and reference tables.
    pub inputs: &'a str,
    /// The store, to skip files whose recorded version is current; `None`
    /// reads every file (`ttkg check`).
    pub store: Option<&'a KnowledgeStore>,
    pub force: bool,
    /// What reading one file may cost.
    pub limits: ReadLimits,
    /// Rows of a sheet normalised and mapped at a time ([`rows_per_batch`]),
    /// and the chunks files are read in.
    pub batch_rows: usize,
    /// The run's memory budget, which sets smaller batches for a sheet whose
    /// facts take much of it ([`rows_per_sheet_batch`]) and what a file's
    /// facts may hold ([`file_allowance`]).
    pub budget: Budget,
}

/// Reads, normalises and maps one file, and checks its rows against each
/// other. Nothing here touches the store but to read the recorded version.
pub(crate) fn prepare_unit(unit: &WorkUnit, context: &Context<'_>) -> Prepared {
    let pipeline = &unit.pipeline;
    let mut report = FileReport::new(
        pipeline.name.clone(),
        unit.relative.clone(),
        &unit.graph,
        FileStatus::Loaded,
    );
    let recorded = context
        .store
        .and_then(|s| s.recorded_source(&unit.file_node).ok().flatten());
    report.replaced = recorded.is_some();
    let mut prepared = Prepared::nothing(unit, report);
    if let Some(why) = &unit.refused {
        return prepared.failed(format!("{}: {why}", unit.relative));
    }
    if let Err(e) = ttkg_ingest::check_file(&unit.path, &context.limits) {
        return prepared.failed(e.to_string());
    }
    let bytes = match std::fs::read(&unit.path) {
        Ok(b) => b,
        Err(e) => {
            return prepared.failed(format!("{}: cannot read the file: {e}", unit.relative));
        }
    };
    prepared.sha = sha256(&bytes);
    prepared.version = pipeline_version(pipeline, context.inputs);
    if !context.force {
        if let Some((old_sha, old_version)) = recorded {
            if old_sha == prepared.sha && old_version == prepared.version {
                prepared.report.status = FileStatus::Unchanged;
                return prepared;
            }
        }
    }
    drop(bytes);
    let tables = match ttkg_ingest::read(
        &unit.path,
        &read_options(
            pipeline,
            context.limits,
            context.batch_rows,
            context.budget.work(),
        ),
        &ttkg_normalise::expected_columns(pipeline),
    ) {
        Ok(read) => {
            prepared.report.warnings = read.notes;
            read.tables
        }
        Err(e) => {
            let message = read_failure(&mut prepared, &e, &context.budget);
            return prepared.failed(message);
        }
    };
    prepared.report.sheets = tables.len();
    note_memory(&unit.relative, "read");
    if let Err(message) = account_for_missing(&mut prepared, &tables) {
        return prepared.failed(message);
    }
    let file_rows: usize = tables.iter().map(|t| t.frame.height()).sum();
    // The sheets after the one being mapped wait, read, meanwhile.
    let mut waiting: usize = tables.iter().map(|t| t.frame.estimated_size()).sum();
    for table in tables {
        waiting = waiting.saturating_sub(table.frame.estimated_size());
        let sizes = FileSizes {
            rows: file_rows,
            waiting,
        };
        if let Err(message) = prepare_table(&mut prepared, table, sizes, context) {
            return prepared.failed(message);
        }
    }
    tracing::debug!(
        file = unit.relative,
        terms = prepared.terms.len(),
        triples = prepared
            .tables
            .iter()
            .map(|t| t.triples.len())
            .sum::<usize>(),
        resolutions = prepared.resolutions.len(),
        held_mib = held_facts(&prepared, None) >> 20,
        allowance_mib = file_allowance(context.budget.work()) >> 20,
        "mapped"
    );
    note_memory(&unit.relative, "normalised and mapped");
    check_rows(&mut prepared, context);
    note_memory(&unit.relative, "checked against itself");
    prepared
}

/// Logs (`TTKG_LOG=ttkg_import=debug`) what the process holds once a step of
/// a file is done: where a large file's memory goes.
pub(crate) fn note_memory(file: &str, step: &str) {
    if tracing::enabled!(tracing::Level::DEBUG) {
        let in_use = ttkg_memory::in_use().map(|b| b >> 20);
        tracing::debug!(file, step, in_use, "memory in use (MiB)");
    }
}

/// Why a file could not be read, with the pipeline's lines for the columns
/// the error names; for missing columns, the run history is told less.
fn read_failure(prepared: &mut Prepared, e: &ttkg_ingest::IngestError, budget: &Budget) -> String {
    let pipeline = &prepared.unit.pipeline;
    let mut message = e.to_string();
    match e {
        ttkg_ingest::IngestError::MissingColumns {
            keys,
            row,
            location,
            ..
        } => {
            let places: Vec<String> = keys
                .iter()
                .map(|k| format!("`{k}` at {}", pipeline.column_place(k)))
                .collect();
            message.push_str(&format!(" (the pipeline declares {})", places.join(", ")));
            // The run history keeps no text of a file that is maybe
            // not a report at all: the headers found stay out of it.
            prepared.report.recorded_message = Some(format!(
                "{location}: the header (row {row}) lacks required columns ({}); the headers found are in that run's summary",
                keys.join(", ")
            ));
        }
        ttkg_ingest::IngestError::MergedParent { key, .. } => {
            message.push_str(&format!(" ({})", pipeline.column_place(key)));
        }
        ttkg_ingest::IngestError::SheetsTooLarge { .. } => {
            message.push_str(&format!(
                " ({}). Nothing of this file was loaded; its previous version, if any, stays. Import it with a larger --memory, split its sheets into several files, or narrow `sheet` in the pipeline's [source] (`ttkg check --memory SIZE FILE` tries a budget)",
                budget.describe_allowance()
            ));
        }
        _ => {}
    }
    message
}

/// The rows checked against each other: conflicts with another row,
/// duplicates (loaded once, listed) and rows that make no entity.
fn check_rows(prepared: &mut Prepared, context: &Context<'_>) {
    let name = prepared.unit.pipeline.name.clone();
    let relative = prepared.unit.relative.clone();
    // The IRI templates of the entities a row describes, for the reason.
    let templates: Vec<String> = prepared
        .unit
        .pipeline
        .spec
        .entities
        .iter()
        .filter(|e| e.class.is_some())
        .map(|e| format!("`{}`", e.iri.get_ref()))
        .collect();
    let findings = consistency::check_rows(
        &prepared.terms,
        &prepared.tables,
        context.single,
        &prepared.unit.relative,
    );
    prepared.excluded = findings.excluded;
    prepared.quarantine_conflicts(findings.conflicts);
    for duplicate in findings.duplicates {
        prepared.report.rows_duplicate += 1;
        prepared.skipped.push(SkippedRow {
            pipeline: name.clone(),
            file: relative.clone(),
            sheet: duplicate.sheet,
            row: duplicate.row,
            rule: "duplicate".into(),
            reason: match &duplicate.first_sheet {
                Some(sheet) => format!(
                    "the same facts as row {} of sheet '{sheet}'; loaded once",
                    duplicate.first
                ),
                None => format!("the same facts as row {}; loaded once", duplicate.first),
            },
            same_as: Some(duplicate.first),
        });
    }
    let empty: Vec<(usize, usize, Option<String>, u32)> = consistency::empty_rows(&prepared.tables)
        .into_iter()
        .map(|(t, r, row)| (t, r, prepared.tables[t].sheet.clone(), row.number))
        .collect();
    for (t, r, sheet, row) in empty {
        prepared.excluded.insert((t, r));
        let record = prepared.record(
            sheet,
            row,
            prepared.header(t, None),
            None,
            "no-entity",
            format!(
                "the row gives none of the pipeline's entities: the columns their IRIs are made of ({}) are empty; fill them in or remove the row",
                templates.join(", ")
            ),
        );
        prepared.quarantine.push(record);
    }
}

/// Every declared column the file lacks is a warning, or fails the file
/// when the pipeline says `on_missing = "fail"`.
fn account_for_missing(prepared: &mut Prepared, tables: &[Table]) -> Result<(), String> {
    let pipeline = &prepared.unit.pipeline;
    for table in tables {
        for missing in &table.missing {
            let place = pipeline.column_place(&missing.key);
            let what = format!(
                "{}: column `{}` {}",
                table.location(),
                missing.key,
                missing.describe()
            );
            match pipeline.spec.on_missing(&missing.key) {
                OnMissing::Fail => {
                    return Err(format!(
                        "{what}; the pipeline says on_missing = \"fail\", so nothing of this file was loaded and its previous version stays. Add the sender's header to `headers` ({place})"
                    ));
                }
                OnMissing::Warn => prepared.report.warnings.push(format!(
                    "{what}; its values are read as empty. If that is the column, add its header to `headers` ({place}); to refuse such files, set on_missing = \"fail\""
                )),
            }
        }
    }
    Ok(())
}

/// Normalises and maps one sheet a batch of rows at a time (so that what
/// normalising holds is set by the batch, not by the sheet), recording what
/// it quarantined and left out. Fails the file ([`FileTooLarge`]) once what
/// its rows map to, with the sheets waiting, holds more than
/// [`file_allowance`]: the rest of its rows would not fit either.
fn prepare_table(
    prepared: &mut Prepared,
    mut table: Table,
    file: FileSizes,
    context: &Context<'_>,
) -> Result<(), String> {
    let pipeline = &prepared.unit.pipeline;
    let relative = prepared.unit.relative.clone();
    let location = table.location();
    let sheet = table.sheet.clone();
    prepared.report.encoding = table.encoding.map(str::to_owned);
    let absent: Vec<String> = table.missing.iter().map(|m| m.key.clone()).collect();
    let source = SourceRef {
        file_node: prepared.unit.file_node.clone(),
        sheet: sheet.clone(),
    };
    // The batches own the cells; the table keeps its headers and rejects.
    let frame = std::mem::take(&mut table.frame);
    let height = frame.height();
    let work = context.budget.work();
    let batch_rows = rows_per_sheet_batch(context.batch_rows, height, work);
    let mut batches =
        ttkg_normalise::Batches::new(frame, pipeline, context.refs, &absent, batch_rows)
            .map_err(|e| format!("{location}: {e}"))?;
    let mut mapped: Option<MappedTable> = None;
    let (mut blank_rows, mut skipped_rows) = (Vec::new(), Vec::new());
    let allowance = file_allowance(work);
    let mut tagged = TaggedColumns::of(pipeline);
    for batch in batches.by_ref() {
        let batch = batch.map_err(|e| format!("{location}: {e}"))?;
        tagged.count(&batch.frame);
        let rows_before = prepared.report.rows_read;
        prepared.report.rows_read += batch.rows_read;
        blank_rows.extend(batch.blank_row_numbers);
        skipped_rows.extend(batch.skipped);
        for r in batch.resolutions {
            let column = table.column_name(&r.column);
            prepared.resolutions.push(
                sheet.as_deref(),
                r.row,
                &column,
                &r.written,
                &r.resolved,
                &r.rule,
            );
        }
        let next = ttkg_graph::map_rows(
            pipeline,
            &batch.frame,
            context.ontology,
            &source,
            &mut prepared.terms,
        )
        .map_err(|e| format!("{location}: {e}"))?;
        match &mut mapped {
            Some(table) => table.append(next),
            None => {
                // The first batch shows what a row takes: room for the
                // rest is made once, for no more rows than the triples of
                // fit in the allowance (a file that goes past it fails
                // anyway). The triples of a row vary little; a small first
                // batch overstates the terms a row adds, so they do not
                // limit the room (made too small, the triples grew by
                // doubling, and a 1,000,000-row workbook under --memory 1G
                // peaked 270 MiB above what it used, old and new copy held
                // at once). Later rows name fewer new terms (the partners
                // and properties recur), so the terms' room is an upper
                // bound.
                let mut first = next;
                let (done, more) = (first.rows.len(), height.saturating_sub(first.rows.len()));
                if let Some(per_row) = first.used_bytes().checked_div(done) {
                    let room = allowance
                        .saturating_sub(file.waiting)
                        .saturating_sub(held_facts(prepared, Some(&first)));
                    let more = more.min(room / per_row.max(1));
                    first.reserve_rows(more);
                    if prepared.tables.is_empty() {
                        prepared.terms.reserve_like(more as f64 / done as f64);
                    }
                }
                mapped = Some(first);
            }
        }
        let held = held_facts(prepared, mapped.as_ref());
        if held.saturating_add(file.waiting) > allowance {
            let too_large = FileTooLarge {
                held,
                waiting: file.waiting,
                allowance,
                budget: context.budget,
                rows_mapped: rows_before + batch.rows_read,
                file_rows: file.rows,
            };
            return Err(format!("{location}: {too_large}"));
        }
    }
    let problems = batches.finish();
    let report = &mut prepared.report;
    report
        .warnings
        .extend(tagged.misfits(pipeline, &location, |key| table.column_name(key)));
    report.rows_read += table.rejected.len();
    report.blank_rows += blank_rows.len();
    report.rows_skipped += skipped_rows.len();
    for rejected in &table.rejected {
        let record = prepared.record(
            sheet.clone(),
            rejected.row,
            "(the whole row)".into(),
            Some(rejected.text.clone()),
            "columns",
            rejected.reason.clone(),
        );
        prepared.quarantine.push(record);
    }
    for problem in problems {
        let record = prepared.record(
            sheet.clone(),
            problem.row,
            table.column_name(&problem.column),
            problem.value,
            problem.rule.name(),
            problem.reason,
        );
        prepared.quarantine.push(record);
    }
    let skipped = blank_rows
        .iter()
        .map(|row| {
            (
                *row,
                "blank",
                "no value in any column the pipeline reads".to_owned(),
            )
        })
        .chain(skipped_rows.into_iter().map(|s| (s.row, "skip", s.reason)));
    for (row, rule, reason) in skipped {
        prepared.skipped.push(SkippedRow {
            pipeline: pipeline.name.clone(),
            file: relative.clone(),
            sheet: sheet.clone(),
            row,
            rule: rule.into(),
            reason,
            same_as: None,
        });
    }
    prepared.tables.extend(mapped);
    prepared.headers.push(table.headers);
    Ok(())
}

/// The columns a pipeline gives a language tag (`{ column = "technology",
/// lang = "vi" }`), and the letters of their values read so far: a
/// sender who starts writing a column in another language (technology
/// names in English in a Vietnamese report) would otherwise have them
/// labelled in the pipeline's language without a word.
struct TaggedColumns {
    /// (column key, tag, property as written).
    columns: Vec<(String, String, String)>,
    writing: Vec<ttkg_normalise::writing::Writing>,
}

impl TaggedColumns {
    fn of(pipeline: &Pipeline) -> Self {
        let mut columns: Vec<(String, String, String)> = Vec::new();
        for entity in &pipeline.spec.entities {
            for (property, value) in &entity.properties {
                for item in value.get_ref().items() {
                    if let ttkg_pipeline::PropertyValue::Table(
                        ttkg_pipeline::PropertyTable::Column {
                            column,
                            lang: Some(lang),
                        },
                    ) = item
                    {
                        if !columns.iter().any(|(c, l, _)| c == column && l == lang) {
                            columns.push((
                                column.clone(),
                                lang.clone(),
                                property.get_ref().clone(),
                            ));
                        }
                    }
                }
            }
        }
        let writing = vec![Default::default(); columns.len()];
        TaggedColumns { columns, writing }
    }

    /// Counts the letters of a normalised batch's values.
    fn count(&mut self, frame: &polars::prelude::DataFrame) {
        for ((key, _, _), writing) in self.columns.iter().zip(&mut self.writing) {
            let Some(values) = frame.column(key).ok().and_then(|c| c.str().ok()) else {
                continue;
            };
            values.iter().flatten().for_each(|v| writing.add(v));
        }
    }

    /// A warning for each column whose values do not show its tag's letters.
    fn misfits(
        &self,
        pipeline: &Pipeline,
        location: &str,
        header: impl Fn(&str) -> String,
    ) -> Vec<String> {
        self.columns
            .iter()
            .zip(&self.writing)
            .filter_map(|((key, lang, property), writing)| {
                let misfit = writing.misfit(lang)?;
                Some(format!(
                    "{location}: column '{}': pipeline {} labels its values in \"{lang}\" ({property}), but {}; they load with that tag. If the sender now writes them in another language, change `lang` of {property} in {}",
                    header(key),
                    pipeline.name,
                    misfit.why,
                    pipeline.path.display(),
                ))
            })
            .collect()
    }
}

/// What a file's rows mapped so far take while the file waits to be
/// checked and loaded: its terms, its tables' triples (`current`: the one
/// being mapped) and the names it resolved. Counted by length, not by the
/// room made for more, so that a first batch's room for a whole sheet
/// does not fail the file.
fn held_facts(prepared: &Prepared, current: Option<&MappedTable>) -> usize {
    let tables: usize = prepared
        .tables
        .iter()
        .chain(current)
        .map(MappedTable::used_bytes)
        .sum();
    prepared.terms.used_bytes() + tables + prepared.resolutions.used_bytes()
}

/// The most a file's mapped facts may take when the run's work may hold
/// `memory` ([`Budget::work`]): two thirds of it. A file is checked and loaded whole, so its facts are held
/// until the loader has them, and beside them go a batch being normalised,
/// the checks' own tables, the loader's share and the columnar copy (see
/// [`ttkg_graph::KnowledgeStore::limit_load_memory`]): `ttkg check` of a
/// 1,000,000-row CSV file, whose facts take 805 MiB, peaked 430 MiB above
/// them. The largest files the default read limits admit take 782 MiB (a
/// 1,000,000-row workbook) and 805 MiB (that CSV file) of the 1,024 the
/// default budget allows.
pub(crate) fn file_allowance(memory: u64) -> usize {
    usize::try_from(memory / 3 * 2).unwrap_or(usize::MAX)
}

/// The rows of a file's sheets, and what the sheets not yet mapped hold
/// (read, they wait while the one before is mapped).
#[derive(Debug, Clone, Copy)]
struct FileSizes {
    rows: usize,
    waiting: usize,
}

/// A file whose facts would hold more than [`file_allowance`]: it fails
/// alone, with what to do, rather than take the process past its budget.
struct FileTooLarge {
    /// What the rows mapped so far take.
    held: usize,
    /// What the sheets read and not yet mapped take.
    waiting: usize,
    allowance: usize,
    budget: Budget,
    rows_mapped: usize,
    file_rows: usize,
}

impl std::fmt::Display for FileTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MIB: f64 = (1u64 << 20) as f64;
        let FileTooLarge {
            held,
            waiting,
            allowance,
            budget,
            rows_mapped,
            file_rows,
        } = *self;
        let rows = rows_mapped.max(1) as f64;
        // What the whole file would hold, at what its rows so far took, and
        // the work that leaves it its two thirds.
        let expected = held as f64 / rows * file_rows.max(rows_mapped) as f64;
        // In steps of 64 MiB up to a gigabyte, of 256 above.
        let work = (expected / 2.0 * 3.0) as u64;
        let needed = match budget.total_for(work, 64) {
            small if small <= 1024 => small,
            _ => budget.total_for(work, 256),
        };
        let rows_that_fit = (rows * allowance as f64 / held.max(1) as f64 * 0.9) as usize;
        let rows_that_fit = (rows_that_fit / 1000 * 1000).max(rows_that_fit.min(1000));
        let mib = |bytes: usize| (bytes as f64 / MIB).ceil();
        let waiting = match waiting {
            0 => String::new(),
            w => format!(
                " and its sheets read but not yet mapped {} MiB more",
                mib(w)
            ),
        };
        write!(
            f,
            "the file is too large for the memory budget: after {rows_mapped} of its {file_rows} rows, what they map to holds {} MiB{waiting}, more than the {} MiB a file may hold ({}) while it waits to be checked and loaded whole. Nothing of this file was loaded; its previous version, if any, stays. Import it with --memory {needed}M or more, or split it into files of at most about {rows_that_fit} rows",
            mib(held),
            (allowance as f64 / MIB).floor(),
            budget.describe_allowance(),
        )
    }
}

/// Rows normalised and mapped at a time under a `memory` budget. At its
/// peak a batch's normalisation holds about 2 KB a row (`ttkg check` of a
/// 500,000-row report went from 0.8 to 1.8 GB while normalising it whole),
/// and two files are read at once: each batch takes at most a seventh of
/// the budget, 112,347 rows of 1.5 GiB, so that the reports of up to
/// 100,000 rows senders send are one batch.
pub(crate) fn rows_per_batch(memory: u64) -> usize {
    usize::try_from(memory / 7 / 2048)
        .unwrap_or(usize::MAX)
        .clamp(1_000, 10_000_000)
}

/// Rows of a sheet of `rows` rows normalised and mapped at a time:
/// `batch_rows`, or a half, a third, ... of it when the sheet's compact
/// facts (about 1.3 KB a row, held until the file is loaded) leave less
/// than two batches' peak (2 KB a row) of the `memory` budget. A
/// 1,000,000-row CSV file held 1,200 MiB once mapped, and the last of its
/// batches of 112,347 rows took the process to 1,430 MiB.
pub(crate) fn rows_per_sheet_batch(batch_rows: usize, rows: usize, memory: u64) -> usize {
    let held = (rows as u64).saturating_mul(1300);
    let room = memory.saturating_sub(held) / 2;
    let wanted = usize::try_from(room / 2048).unwrap_or(usize::MAX);
    if wanted >= batch_rows {
        return batch_rows;
    }
    let parts = batch_rows.div_ceil(wanted.max(1));
    batch_rows.div_ceil(parts).max(1_000.min(batch_rows))
}

/// How to read `pipeline`'s files: in chunks of `batch_rows` rows, the
/// batches that normalise them, so that each batch frees its cells; a
/// workbook's sheets read stop at what a file may hold under `memory`
/// ([`file_allowance`]).
fn read_options(
    pipeline: &Pipeline,
    limits: ReadLimits,
    batch_rows: usize,
    memory: u64,
) -> ReadOptions {
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
        limits,
        chunk_rows: batch_rows,
        max_table_bytes: file_allowance(memory),
    }
}

#[cfg(test)]
mod tests {
    use super::{file_allowance, rows_per_batch, rows_per_sheet_batch, FileTooLarge};
    use crate::budget::Budget;

    /// The budget a file too large needs is what its rows so far took, for
    /// all its rows, as two thirds of a budget rounded up to 256 MiB; the
    /// parts to split it into fit with a tenth to spare.
    #[test]
    fn a_file_too_large_is_told_the_budget_it_needs_and_the_parts_that_fit() {
        const MIB: usize = 1 << 20;
        let budget = Budget::of_work(crate::DEFAULT_MEMORY);
        assert_eq!(file_allowance(budget.work()), 1024 * MIB);
        let told = |held, waiting, rows_mapped, file_rows| {
            FileTooLarge {
                held,
                waiting,
                allowance: file_allowance(budget.work()),
                budget,
                rows_mapped,
                file_rows,
            }
            .to_string()
        };
        let message = told(1100 * MIB, 0, 1_100_000, 1_300_000);
        assert!(
            message.contains("after 1100000 of its 1300000 rows, what they map to holds 1100 MiB, more than the 1024 MiB a file may hold (two thirds of --memory, 1536 MiB)"),
            "{message}"
        );
        // 1,300 MiB for all its rows, 1,950 MiB of budget for them.
        assert!(message.contains("--memory 2048M or more"), "{message}");
        assert!(message.contains("at most about 921000 rows"), "{message}");
        let waiting = told(900 * MIB, 200 * MIB, 1_000_000, 2_000_000);
        assert!(
            waiting.contains("holds 900 MiB and its sheets read but not yet mapped 200 MiB more, more than the 1024 MiB"),
            "{waiting}"
        );
        // 1,800 MiB once all its rows are mapped (the waiting sheets' cells
        // are gone by then): 2,700 MiB of budget.
        assert!(waiting.contains("--memory 2816M or more"), "{waiting}");
        // A process that holds 105 MiB as the run begins: the file's share
        // is of what is left, and the budget named leaves it beside them.
        let budget = Budget {
            total: crate::DEFAULT_MEMORY,
            floor: 105 << 20,
        };
        let told = FileTooLarge {
            held: 1100 * MIB,
            waiting: 0,
            allowance: file_allowance(budget.work()),
            budget,
            rows_mapped: 1_100_000,
            file_rows: 1_300_000,
        }
        .to_string();
        assert!(
            told.contains("more than the 954 MiB a file may hold (two thirds of the 1431 MiB that --memory 1536M leaves beside the 105 MiB the program and its store hold)"),
            "{told}"
        );
        // 1,950 MiB for the facts' share and 105 beside.
        assert!(told.contains("--memory 2304M or more"), "{told}");
    }

    /// Sheets of the sizes senders send keep the run's batches; one whose
    /// facts take most of the budget is normalised in smaller ones.
    #[test]
    fn a_sheet_that_holds_much_of_the_budget_has_smaller_batches() {
        let memory = crate::DEFAULT_MEMORY;
        let batch = rows_per_batch(memory);
        assert_eq!(rows_per_sheet_batch(batch, 100_000, memory), batch);
        assert_eq!(rows_per_sheet_batch(batch, 500_000, memory), batch);
        assert_eq!(rows_per_sheet_batch(batch, 1_000_000, memory), 56_174);
        assert_eq!(rows_per_sheet_batch(batch, 2_000_000, memory), 1_000);
        assert_eq!(rows_per_sheet_batch(500, 2_000_000, memory), 500);
    }

    #[test]
    fn batches_are_set_by_the_memory_budget() {
        assert_eq!(rows_per_batch(crate::DEFAULT_MEMORY), 112_347);
        // The end-to-end test of batches imports 10,000 rows under 64M.
        assert_eq!(rows_per_batch(64 << 20), 4_681);
        assert_eq!(rows_per_batch(1 << 20), 1_000);
    }
}

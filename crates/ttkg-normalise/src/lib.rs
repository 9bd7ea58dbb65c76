//! Normalisation of report values as polars expressions.
//!
//! A [`Table`](ttkg_ingest)'s string columns go in; out come typed, normalised
//! columns (numbers in base units, ISO dates, concept IRIs for countries and
//! fields, amounts converted to yuan), the rows that were left out and why,
//! and one [`Problem`] per value that could not be normalised. Rows with a
//! problem are quarantined whole: a row is loaded completely or not at all.
//!
//! Everything is one lazy polars plan per table; the Rust code here only
//! builds expressions and, at the end, lists the problems it found.

mod computed;
mod exprs;
mod problems;
mod refs;
pub mod writing;

pub use exprs::{
    clean_text, concept_key, currency_of, decimal, parse_date, parse_number, parse_time,
    AREA_DECIMAL_PLACES, CURRENCY_WORDS, DECIMAL, MAX_DECIMAL_PLACES,
};
pub use refs::{
    organisation_key, Aliases, ConceptTable, NameTable, RateTable, References, RESOLVE_KINDS,
};

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::Hasher;

use siphasher::sip128::{Hasher128, SipHasher13};

use polars::prelude::*;
use ttkg_pipeline::{ColumnKind, Companion, Pipeline, PipelineSpec};

pub use problems::Rule;
use problems::{column_problems, Context};

/// Separator of the values of a multi-valued (`split`) column after normalisation.
pub const MULTI_SEPARATOR: char = '\u{1F}';

/// Name of the input column holding row numbers, as ttkg-ingest writes it.
pub use ttkg_ingest::ROW_COLUMN;

const PROBLEM_SEPARATOR: &str = "\u{1E}";

/// A value that could not be normalised, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub row: u32,
    /// The pipeline's column key.
    pub column: String,
    /// The value as found (after trimming), if there was one.
    pub value: Option<String>,
    /// Which check the value failed.
    pub rule: Rule,
    /// A plain-language reason with what to do.
    pub reason: String,
}

/// A row left out on purpose (blank, or matched a skip rule).
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub row: u32,
    pub reason: String,
}

/// A name resolved to another spelling (see `resolve` in the pipeline).
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    pub row: u32,
    pub column: String,
    /// As the report wrote it (stray spaces and full-width forms included).
    pub written: String,
    /// What it became.
    pub resolved: String,
    /// The rule that applied, in words.
    pub rule: String,
}

/// The outcome of normalising one table.
#[derive(Debug)]
pub struct Normalised {
    /// Rows without problems: [`ROW_COLUMN`], and for each column key `key`
    /// (normalised), `key.text` (as written, trimmed) and where relevant
    /// `key.source` (number before unit conversion), `key.currency`, `key.cny`.
    pub frame: DataFrame,
    pub problems: Vec<Problem>,
    pub skipped: Vec<Skipped>,
    /// Rows with no value in any declared column.
    pub blank_rows: usize,
    /// Their row numbers.
    pub blank_row_numbers: Vec<u32>,
    /// Rows in, before anything was left out.
    pub rows_read: usize,
    /// Names of loaded rows that `resolve` rules changed or found ambiguous.
    pub resolutions: Vec<Resolution>,
}

impl Normalised {
    /// Row numbers that were quarantined.
    pub fn quarantined_rows(&self) -> std::collections::BTreeSet<u32> {
        self.problems.iter().map(|p| p.row).collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NormaliseError {
    #[error("normalisation failed inside polars: {0}")]
    Polars(#[from] PolarsError),
    #[error("{path}: {message}")]
    Reference { path: String, message: String },
    /// A fault in ttkg itself, not in the report.
    #[error("internal error in normalisation: {0}")]
    Internal(String),
}

/// A cell that says a row is a total (合计, Total, Tổng cộng, รวม, Jumlah …), as a regular expression.
pub const TOTALS: &str = r"(?i)^(合计|合計|小计|小計|总计|總計|共计|总和|total|totals|subtotal|sub-total|grand total|tổng cộng|tổng số|tổng|cộng|รวม|รวมทั้งสิ้น|รวมทั้งหมด|jumlah|jumlah total|total keseluruhan|kabuuan|សរុប|စုစုပေါင်း|ລວມ)\s*[:：]?$";

// The names of the normalised table's columns besides the companions
// (ttkg_pipeline::Companion), in one place.

fn text_of(key: &str) -> String {
    Companion::Text.column(key)
}

/// The column holding the identity a `resolve` column's name resolved to
/// (technologies, events, …), from which entity IRIs are made; the name as
/// written stays the value and the label.
pub fn identity_of(key: &str) -> String {
    format!("{key}.id")
}

/// The columns `pipeline` reads from a report, as the reader matches them
/// to the report's headers (computed columns are made, not read).
pub fn expected_columns(pipeline: &Pipeline) -> Vec<ttkg_ingest::ExpectedColumn> {
    pipeline
        .spec
        .columns
        .iter()
        .filter(|(_, c)| c.is_read())
        .map(|(k, c)| ttkg_ingest::ExpectedColumn {
            key: k.get_ref().clone(),
            headers: c.headers.clone(),
            required: c.required,
        })
        .collect()
}

/// The column naming the rule that resolved a name, if one did.
fn rule_of(key: &str) -> String {
    format!("{key}.rule")
}

fn raw_of(key: &str) -> String {
    format!("__raw.{key}")
}

fn problem_of(key: &str) -> String {
    format!("__problem.{key}")
}

fn null_str() -> Expr {
    lit(NULL).cast(DataType::String)
}

/// Normalises `frame` (as read by ttkg-ingest) according to the pipeline's
/// columns, all its rows at once. `absent` are the declared columns the file
/// does not have: a value that depends on one is reported as missing that
/// column, not as a problem of its own.
pub fn normalise(
    frame: DataFrame,
    pipeline: &Pipeline,
    refs: &References,
    absent: &[String],
) -> Result<Normalised, NormaliseError> {
    let rows = frame.height();
    normalise_in_batches(frame, pipeline, refs, absent, rows)
}

/// [`normalise`] through [`Batches`] of `batch_rows` rows, put back
/// together: the same answer, which the tests and the fuzzer hold it to.
pub fn normalise_in_batches(
    frame: DataFrame,
    pipeline: &Pipeline,
    refs: &References,
    absent: &[String],
    batch_rows: usize,
) -> Result<Normalised, NormaliseError> {
    let mut batches = Batches::new(frame, pipeline, refs, absent, batch_rows)?;
    let mut whole: Option<Normalised> = None;
    for batch in batches.by_ref() {
        let batch = batch?;
        match &mut whole {
            None => {
                whole = Some(Normalised {
                    frame: batch.frame,
                    problems: Vec::new(),
                    skipped: batch.skipped,
                    blank_rows: 0,
                    blank_row_numbers: batch.blank_row_numbers,
                    rows_read: batch.rows_read,
                    resolutions: batch.resolutions,
                })
            }
            Some(whole) => {
                whole.frame.vstack_mut(&batch.frame)?;
                whole.skipped.extend(batch.skipped);
                whole.blank_row_numbers.extend(batch.blank_row_numbers);
                whole.rows_read += batch.rows_read;
                whole.resolutions.extend(batch.resolutions);
            }
        }
    }
    let mut whole = whole.ok_or_else(|| {
        NormaliseError::Internal("a table gave no batch, not even an empty one".into())
    })?;
    whole.blank_rows = whole.blank_row_numbers.len();
    whole.problems = batches.finish();
    Ok(whole)
}

/// One batch of a table's rows, normalised: the rows kept and what was left
/// out of them. Its problems are kept by [`Batches`] until the end, since a
/// `not-unique` problem names rows of other batches.
#[derive(Debug)]
pub struct Batch {
    /// The rows kept, as [`Normalised::frame`].
    pub frame: DataFrame,
    pub skipped: Vec<Skipped>,
    /// Rows with no value in any declared column.
    pub blank_row_numbers: Vec<u32>,
    /// Rows in, before anything was left out.
    pub rows_read: usize,
    pub resolutions: Vec<Resolution>,
}

/// A table normalised `batch_rows` rows at a time, so that what normalising
/// holds at its peak (about 2 KB a row in the reports of `scripts/bench`)
/// is set by the batch rather than by the size of the file. The batches give
/// the same rows, values and problems as the whole table at once: what
/// crosses rows is carried from one batch to the next (the last value of a
/// `fill_down` column) or found over the whole table first (the values of a
/// `unique` column that rows give with different mapped values).
pub struct Batches<'a> {
    /// The batches still to normalise: slices of the table, which share
    /// its memory.
    slices: VecDeque<DataFrame>,
    pipeline: &'a Pipeline,
    refs: &'a References,
    absent: &'a [String],
    /// `None` when the table is one batch (its rows then see each other).
    not_unique: Option<Vec<(String, Series)>>,
    carry: Vec<(String, Option<String>)>,
    problems: Vec<Problem>,
}

impl<'a> Batches<'a> {
    /// Looks over the whole of `frame` for what crosses rows; the rows are
    /// normalised as the batches are taken.
    pub fn new(
        frame: DataFrame,
        pipeline: &'a Pipeline,
        refs: &'a References,
        absent: &'a [String],
        batch_rows: usize,
    ) -> Result<Self, NormaliseError> {
        let slices = row_slices(&frame, batch_rows);
        let not_unique = if slices.len() > 1 {
            Some(not_unique_values(&slices, pipeline, refs, absent)?)
        } else {
            None
        };
        Ok(Batches {
            slices,
            pipeline,
            refs,
            absent,
            not_unique,
            carry: Vec::new(),
            problems: Vec::new(),
        })
    }

    /// Every problem of the rows taken so far, by row and column; a
    /// `not-unique` one names the other rows that give its value.
    pub fn finish(mut self) -> Vec<Problem> {
        name_other_rows(&mut self.problems);
        self.problems
            .sort_by(|a, b| (a.row, &a.column).cmp(&(b.row, &b.column)));
        self.problems
    }

    fn context(&self) -> Context<'_> {
        Context::new(self.pipeline, self.absent, self.not_unique.as_deref())
    }

    fn normalise_batch(&mut self, batch: DataFrame) -> Result<Batch, NormaliseError> {
        let spec = &self.pipeline.spec;
        let rows_read = batch.height();
        let lf = cells(batch.lazy(), spec, &self.carry)?;
        let full = typed(lf, &self.context(), self.refs)?.collect()?;
        self.carry = carried(&full, spec, &self.carry)?;
        let (batch, problems) = split_rows(full, spec)?;
        self.problems.extend(problems);
        Ok(Batch { rows_read, ..batch })
    }
}

impl Iterator for Batches<'_> {
    type Item = Result<Batch, NormaliseError>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = self.slices.pop_front()?;
        Some(self.normalise_batch(batch))
    }
}

/// `frame` in slices of at most `rows` rows (at least one); an empty frame
/// is one empty slice, with the columns of any other.
fn row_slices(frame: &DataFrame, rows: usize) -> VecDeque<DataFrame> {
    let rows = rows.max(1);
    let count = frame.height().div_ceil(rows).max(1);
    (0..count)
        .map(|i| frame.slice((i * rows) as i64, rows))
        .collect()
}

/// For each `unique` column, the values (as text) that rows of the whole
/// table give with different mapped values, read a slice at a time: the
/// value and a 128-bit hash of the row's mapped cells are all that is kept
/// of a row.
fn not_unique_values(
    slices: &VecDeque<DataFrame>,
    pipeline: &Pipeline,
    refs: &References,
    absent: &[String],
) -> Result<Vec<(String, Series)>, NormaliseError> {
    let spec = &pipeline.spec;
    let unique: Vec<&str> = spec
        .columns
        .iter()
        .filter(|(_, c)| c.unique)
        .map(|(k, _)| k.get_ref().as_str())
        .collect();
    if unique.is_empty() {
        return Ok(Vec::new());
    }
    let cx = Context::new(pipeline, absent, None);
    let signature = problems::signature(&cx).alias("__signature");
    let filled: Vec<Expr> = fill_down_keys(spec).map(|k| col(text_of(k))).collect();
    // value -> (the first row's hash, whether another row's differs)
    let mut seen: Vec<HashMap<String, (u128, bool)>> = vec![HashMap::new(); unique.len()];
    let mut carry = Vec::new();
    for batch in slices {
        let lf = typed(cells(batch.clone().lazy(), spec, &carry)?, &cx, refs)?;
        let mut selected: Vec<Expr> = unique
            .iter()
            .map(|k| col(*k).cast(DataType::String).alias(format!("__value.{k}")))
            .collect();
        selected.push(signature.clone());
        selected.extend(filled.iter().cloned());
        let part = lf.select(selected).collect()?;
        carry = carried(&part, spec, &carry)?;
        let signatures = part.column("__signature")?.str()?;
        for (k, seen) in unique.iter().zip(seen.iter_mut()) {
            let values = part.column(&format!("__value.{k}"))?.str()?;
            for (value, signature) in values.iter().zip(signatures.iter()) {
                let (Some(value), Some(signature)) = (value, signature) else {
                    continue;
                };
                let hash = signature_hash(signature);
                match seen.get_mut(value) {
                    Some((first, differs)) => *differs |= *first != hash,
                    None => {
                        seen.insert(value.to_owned(), (hash, false));
                    }
                }
            }
        }
    }
    Ok(unique
        .iter()
        .zip(seen)
        .map(|(k, seen)| {
            let values: Vec<String> = seen
                .into_iter()
                .filter_map(|(value, (_, differs))| differs.then_some(value))
                .collect();
            ((*k).to_owned(), Series::new((*k).into(), values))
        })
        .collect())
}

fn signature_hash(signature: &str) -> u128 {
    let mut hasher = SipHasher13::new_with_keys(0x7474_6b67_2d75_6e69, 0x7175_652d_726f_7773);
    hasher.write(signature.as_bytes());
    hasher.finish128().as_u128()
}

fn fill_down_keys(spec: &PipelineSpec) -> impl Iterator<Item = &str> {
    spec.columns
        .iter()
        .filter(|(_, c)| c.fill_down)
        .map(|(k, _)| k.get_ref().as_str())
}

/// The last value of each `fill_down` column in `frame` (the cells as text,
/// after filling), else the one `before` it, for the first empty cells of
/// the next batch.
fn carried(
    frame: &DataFrame,
    spec: &PipelineSpec,
    before: &[(String, Option<String>)],
) -> Result<Vec<(String, Option<String>)>, NormaliseError> {
    fill_down_keys(spec)
        .map(|k| {
            let texts = frame.column(&text_of(k))?.str()?;
            let last = texts.iter().rev().flatten().next().map(str::to_owned);
            let last = last.or_else(|| {
                before
                    .iter()
                    .find(|(c, _)| c == k)
                    .and_then(|(_, v)| v.clone())
            });
            Ok((k.to_owned(), last))
        })
        .collect()
}

/// The cells as text: computed columns made from the others, names kept as
/// written for `resolve`, every cell tidied (`key.text`), blank and skipped
/// rows marked (`__blank`, `__skip`), merged-down cells filled (from
/// `carry`, the batch before's last values, where the batch starts empty).
fn cells(
    lf: LazyFrame,
    spec: &PipelineSpec,
    carry: &[(String, Option<String>)],
) -> PolarsResult<LazyFrame> {
    // Blank and totals rows are told by the cells read, not by computed ones.
    let read_keys: Vec<&str> = spec
        .columns
        .iter()
        .filter(|(_, c)| c.is_read())
        .map(|(k, _)| k.get_ref().as_str())
        .collect();
    // Computed columns enter as cells made from the others (arithmetic ones
    // empty until the values they add up are known).
    let computed_cells: Vec<Expr> = spec
        .columns
        .iter()
        .filter_map(|(k, c)| Some(computed::cell(c.compute.as_ref()?).alias(k.get_ref().as_str())))
        .collect();
    let raw: Vec<Expr> = spec
        .columns
        .iter()
        .filter(|(_, c)| c.resolve().is_some())
        .map(|(k, _)| col(k.get_ref().as_str()).alias(raw_of(k.get_ref())))
        .collect();
    let texts: Vec<Expr> = spec
        .columns
        .iter()
        .map(|(k, c)| {
            let cleaned = clean_text(col(k.get_ref().as_str()));
            let cleaned = match (c.split(), c.kind()) {
                (Some(seps), ColumnKind::Text) => exprs::canonical_separators(cleaned, seps),
                _ => cleaned,
            };
            cleaned.alias(text_of(k.get_ref()))
        })
        .collect();
    let blank = all_horizontal(
        read_keys
            .iter()
            .map(|k| col(text_of(k)).is_null())
            .collect::<Vec<_>>(),
    )?;
    let lf = lf
        .with_columns(computed_cells)
        .with_columns(raw)
        .with_columns(texts)
        .with_columns([
            blank.alias("__blank"),
            skip_reason(spec, &read_keys)?.alias("__skip"),
        ]);
    // Cells merged down over several rows: empty cells take the value above
    // (after blank rows are known, so a blank row stays blank).
    let filled: Vec<Expr> = spec
        .columns
        .iter()
        .filter(|(_, c)| c.fill_down)
        .map(|(k, _)| {
            let t = text_of(k.get_ref());
            let mut filled =
                col(t.as_str()).fill_null_with_strategy(FillNullStrategy::Forward(None));
            if let Some((_, Some(last))) = carry.iter().find(|(c, _)| c == k.get_ref()) {
                filled = filled.fill_null(lit(last.clone()));
            }
            when(col("__blank"))
                .then(null_str())
                .otherwise(filled)
                .alias(t)
        })
        .collect();
    Ok(if filled.is_empty() {
        lf
    } else {
        lf.with_columns(filled)
    })
}

/// Why a row is left out: a totals row (unless the source keeps them), or
/// the first `[[skip]]` rule it matches; null for a data row.
fn skip_reason(spec: &PipelineSpec, read_keys: &[&str]) -> PolarsResult<Expr> {
    // Totals and subtotals rows, in the senders' languages, are never data.
    let totals_row = if spec.source.keep_totals {
        lit(false)
    } else {
        any_horizontal(
            read_keys
                .iter()
                .map(|k| {
                    col(text_of(k))
                        .str()
                        .contains(lit(TOTALS), false)
                        .fill_null(lit(false))
                })
                .collect::<Vec<_>>(),
        )?
    };
    let totals = when(totals_row)
        .then(lit("totals row"))
        .otherwise(null_str());
    Ok(spec.skips.iter().rev().fold(totals, |acc, s| {
        when(
            col(text_of(s.column.get_ref()))
                .str()
                .contains(lit(s.matches.get_ref().as_str()), false)
                .fill_null(lit(false)),
        )
        .then(lit(s.reason.as_str()))
        .otherwise(acc)
    }))
}

/// The typed values and their problems (`__problem.key`): every column but
/// money first, then sums and differences over the values just typed, then
/// money (which needs dates and currencies), whose problems come last so
/// that one whose date or currency is itself a problem is not reported again.
fn typed(mut lf: LazyFrame, cx: &Context, refs: &References) -> PolarsResult<LazyFrame> {
    let spec = cx.spec;
    let mut values = Vec::new();
    let mut problems = Vec::new();
    let mut arithmetic = Vec::new();
    for (key, column) in &spec.columns {
        let key = key.get_ref().as_str();
        match &column.compute {
            _ if column.money().is_some() => continue,
            Some(compute) if compute.is_arithmetic() => arithmetic.push((key, column, compute)),
            _ if column.kind() == ColumnKind::Concept && column.split().is_some() => {
                lf = exprs::split_concepts(lf, key, column, refs)?;
            }
            _ => values.extend(exprs::normalise_column(key, column, refs)),
        }
        problems.push(column_problems(key, column, cx)?.alias(problem_of(key)));
    }
    lf = lf.with_columns(values);
    if !arithmetic.is_empty() {
        lf = lf
            .with_columns(
                arithmetic
                    .iter()
                    .map(|(key, _, compute)| computed::number_text(compute).alias(text_of(key)))
                    .collect::<Vec<_>>(),
            )
            .with_columns(
                arithmetic
                    .iter()
                    .flat_map(|(key, column, _)| exprs::normalise_column(key, column, refs))
                    .collect::<Vec<_>>(),
            );
    }
    let mut money = Vec::new();
    let mut money_problems = Vec::new();
    for (key, column) in &spec.columns {
        if let Some(settings) = column.money() {
            let key = key.get_ref().as_str();
            money.extend(exprs::normalise_money(key, column, settings, spec, refs));
            money_problems.push(column_problems(key, column, cx)?.alias(problem_of(key)));
        }
    }
    Ok(lf
        .with_columns(money)
        .with_columns(problems)
        .with_columns(money_problems))
}

/// The rows apart: blank ones counted, skipped ones listed with their
/// reason, those with a problem listed per value, the others kept.
fn split_rows(
    full: DataFrame,
    spec: &PipelineSpec,
) -> Result<(Batch, Vec<Problem>), NormaliseError> {
    let keys: Vec<&str> = spec.columns.keys().map(|k| k.get_ref().as_str()).collect();
    let blank = full.column("__blank")?.bool()?;
    let blank_row_numbers: Vec<u32> = full
        .column(ROW_COLUMN)?
        .u32()?
        .iter()
        .zip(blank.iter())
        .filter_map(|(row, b)| row.filter(|_| b == Some(true)))
        .collect();
    let kept = full.lazy().filter(col("__blank").not()).collect()?;
    let rows = kept.column(ROW_COLUMN)?.u32()?;
    let skips = kept.column("__skip")?.str()?;
    let mut skipped: Vec<Skipped> = rows
        .iter()
        .zip(skips.iter())
        .filter_map(|(row, reason)| {
            Some(Skipped {
                row: row?,
                reason: reason?.to_owned(),
            })
        })
        .collect();
    skipped.sort_by_key(|s| s.row);
    let problems = listed_problems(&kept, &keys)?;
    let no_problem = all_horizontal(
        keys.iter()
            .map(|k| col(problem_of(k)).is_null())
            .chain([col("__skip").is_null()])
            .collect::<Vec<_>>(),
    )?;
    let internal: Vec<String> = keys
        .iter()
        .map(|k| problem_of(k))
        .chain(["__blank".to_owned(), "__skip".to_owned()])
        .chain(
            spec.columns
                .iter()
                .filter(|(_, c)| c.resolve().is_some())
                .map(|(k, _)| raw_of(k.get_ref())),
        )
        .collect();
    let sorted = kept
        .lazy()
        .filter(no_problem)
        .sort([ROW_COLUMN], SortMultipleOptions::default())
        .collect()?;
    let resolutions = resolutions(&sorted, spec)?;
    let frame = sorted
        .lazy()
        .drop(by_name(internal, true, false))
        .collect()?;
    Ok((
        Batch {
            frame,
            resolutions,
            skipped,
            blank_row_numbers,
            rows_read: 0,
        },
        problems,
    ))
}

/// One [`Problem`] per value with one, in rows not skipped, by row and column.
fn listed_problems(kept: &DataFrame, keys: &[&str]) -> Result<Vec<Problem>, NormaliseError> {
    let rows = kept.column(ROW_COLUMN)?.u32()?;
    let skips = kept.column("__skip")?.str()?;
    let mut found = Vec::new();
    for key in keys {
        let reasons = kept.column(&problem_of(key))?.str()?;
        let values = kept.column(&text_of(key))?.str()?;
        for ((row, reason), (value, skip)) in rows
            .iter()
            .zip(reasons.iter())
            .zip(values.iter().zip(skips.iter()))
        {
            if let (Some(row), Some(reason), None) = (row, reason, skip) {
                let (rule, reason) = reason
                    .split_once(PROBLEM_SEPARATOR)
                    .and_then(|(rule, reason)| Some((Rule::parse(rule)?, reason)))
                    .ok_or_else(|| {
                        NormaliseError::Internal(format!("a problem without its rule: {reason}"))
                    })?;
                found.push(Problem {
                    row,
                    column: (*key).to_owned(),
                    value: value.map(str::to_owned),
                    rule,
                    reason: reason.to_owned(),
                });
            }
        }
    }
    found.sort_by(|a, b| (a.row, &a.column).cmp(&(b.row, &b.column)));
    Ok(found)
}

/// A `not-unique` problem names the other rows that share its value.
fn name_other_rows(problems: &mut [Problem]) {
    let mut rows: BTreeMap<(String, Option<String>), Vec<u32>> = BTreeMap::new();
    for p in problems.iter().filter(|p| p.rule == Rule::NotUnique) {
        rows.entry((p.column.clone(), p.value.clone()))
            .or_default()
            .push(p.row);
    }
    for p in problems.iter_mut().filter(|p| p.rule == Rule::NotUnique) {
        let others: Vec<String> = rows[&(p.column.clone(), p.value.clone())]
            .iter()
            .filter(|r| **r != p.row)
            .map(u32::to_string)
            .collect();
        p.reason = format!(
            "{} (also in row{} {}); each row would describe the same thing, and ttkg cannot tell which is right: correct or remove the others",
            p.reason,
            if others.len() == 1 { "" } else { "s" },
            others.join(", ")
        );
    }
}

/// Every name of a `resolve` column that reaches the graph spelt otherwise
/// than the report wrote it, with what changed it: stray spaces and
/// full-width forms tidied, the alias table, the legal-form rule.
fn resolutions(frame: &DataFrame, spec: &PipelineSpec) -> Result<Vec<Resolution>, NormaliseError> {
    let mut resolutions = Vec::new();
    for (key, _) in spec.columns.iter().filter(|(_, c)| c.resolve().is_some()) {
        let key = key.get_ref().as_str();
        let rows = frame.column(ROW_COLUMN)?.u32()?;
        let raw = frame.column(&raw_of(key))?.str()?;
        let cleaned = frame.column(&text_of(key))?.str()?;
        // Organisations take the resolved name; other kinds keep the name
        // as written and resolve their identity (`key.id`).
        let resolved = match frame.column(&identity_of(key)) {
            Ok(id) => id.str()?,
            Err(_) => frame.column(key)?.str()?,
        };
        let rules = frame.column(&rule_of(key))?.str()?;
        for (((row, raw), (cleaned, resolved)), rule) in rows
            .iter()
            .zip(raw.iter())
            .zip(cleaned.iter().zip(resolved.iter()))
            .zip(rules.iter())
        {
            let (Some(row), Some(raw), Some(cleaned), Some(resolved)) =
                (row, raw, cleaned, resolved)
            else {
                continue;
            };
            let tidied = if raw == cleaned {
                None
            } else if raw.split_whitespace().collect::<Vec<_>>().join(" ") == cleaned {
                Some("stray spaces removed")
            } else {
                Some("full-width letters, digits or spaces written in their usual form")
            };
            let rule: Vec<&str> = tidied.into_iter().chain(rule).collect();
            if !rule.is_empty() {
                resolutions.push(Resolution {
                    row,
                    column: key.to_owned(),
                    written: raw.to_owned(),
                    resolved: resolved.to_owned(),
                    rule: rule.join("; "),
                });
            }
        }
    }
    resolutions.sort_by(|a, b| (a.row, &a.column).cmp(&(b.row, &b.column)));
    Ok(resolutions)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table read in chunks of the batches' size (see `ttkg_ingest`'s
    /// `chunk_rows`) is sliced at the chunks' ends: each batch then holds
    /// its own chunk only, freed when the batch is done.
    #[test]
    fn batches_of_a_table_in_chunks_hold_one_chunk_each() {
        let mut values = Series::new("v".into(), ["a", "b", "c"]);
        values
            .append(&Series::new("v".into(), ["d", "e", "f"]))
            .unwrap();
        values.append(&Series::new("v".into(), ["g"])).unwrap();
        let frame = DataFrame::new(7, vec![values.into_column()]).unwrap();
        let slices = row_slices(&frame, 3);
        assert_eq!(slices.len(), 3);
        for slice in &slices {
            let column = slice.column("v").unwrap().as_materialized_series();
            assert_eq!(column.n_chunks(), 1);
        }
        assert_eq!(
            slices[2].column("v").unwrap().str().unwrap().get(0),
            Some("g")
        );
    }
}

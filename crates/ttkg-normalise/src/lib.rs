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
mod refs;

pub use exprs::{
    clean_text, concept_key, decimal, parse_date, parse_number, parse_time, AREA_DECIMAL_PLACES,
    DECIMAL, MAX_DECIMAL_PLACES,
};
pub use refs::{
    organisation_key, Aliases, ConceptTable, NameTable, RateTable, References, RESOLVE_KINDS,
};

use std::collections::BTreeMap;

use polars::prelude::*;
use ttkg_pipeline::{ColumnKind, ColumnSpec, Compute, DateOrder, PipelineSpec};

/// Separator of the values of a multi-valued (`split`) column after normalisation.
pub const MULTI_SEPARATOR: char = '\u{1F}';

/// Name of the input column holding row numbers (as written by ttkg-ingest).
pub const ROW_COLUMN: &str = "__row";

const PROBLEM_SEPARATOR: &str = "\u{1E}";

/// A value that could not be normalised, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub row: u32,
    /// The pipeline's column key.
    pub column: String,
    /// The value as found (after trimming), if there was one.
    pub value: Option<String>,
    /// A short rule name: required, not-unique, number, date, concept, range,
    /// currency, no-currency, no-date, exchange-rate, error-cell.
    pub rule: String,
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
}

/// What spreadsheets show when a formula fails.
const SPREADSHEET_ERRORS: &str =
    r"^#(DIV/0!|N/A|VALUE!|REF!|NAME\?|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA)$";

/// A cell that says a row is a total (合计, Total, Tổng cộng, รวม, Jumlah …).
const TOTALS: &str = r"(?i)^(合计|合計|小计|小計|总计|總計|共计|总和|total|totals|subtotal|sub-total|grand total|tổng cộng|tổng số|tổng|cộng|รวม|รวมทั้งสิ้น|รวมทั้งหมด|jumlah|jumlah total|total keseluruhan|kabuuan|សរុប|စုစုပေါင်း|ລວມ)\s*[:：]?$";

fn text_of(key: &str) -> String {
    format!("{key}.text")
}

fn raw_of(key: &str) -> String {
    format!("__raw.{key}")
}

fn problem_of(key: &str) -> String {
    format!("__problem.{key}")
}

fn problem(rule: &str, reason: &str) -> Expr {
    lit(format!("{rule}{PROBLEM_SEPARATOR}{reason}"))
}

/// `rule<RS>` followed by the concatenation of `parts`.
fn problem_with(rule: &str, parts: Vec<Expr>) -> Expr {
    let mut all = vec![lit(format!("{rule}{PROBLEM_SEPARATOR}"))];
    all.extend(parts);
    concat_str(all, "", true)
}

fn null_str() -> Expr {
    lit(NULL).cast(DataType::String)
}

/// `key` (its first header), for reasons that name another column.
fn named(spec: &PipelineSpec, key: &str) -> String {
    match spec.column(key).and_then(|c| c.headers.first()) {
        Some(header) => format!("`{key}` ('{header}')"),
        None => format!("`{key}`"),
    }
}

/// Normalises `frame` (as read by ttkg-ingest) according to the pipeline's
/// columns. `absent` are the declared columns the file does not have: a value
/// that depends on one is reported as missing that column, not as a problem
/// of its own.
pub fn normalise(
    frame: DataFrame,
    spec: &PipelineSpec,
    refs: &References,
    absent: &[String],
) -> Result<Normalised, NormaliseError> {
    let rows_read = frame.height();
    let keys: Vec<&str> = spec.columns.keys().map(|k| k.get_ref().as_str()).collect();
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
        .filter_map(|(k, c)| {
            c.compute
                .as_ref()
                .map(|compute| computed::cell(compute).alias(k.get_ref().as_str()))
        })
        .collect();
    let arithmetic: Vec<(&str, &ColumnSpec, &Compute)> = spec
        .columns
        .iter()
        .filter_map(|(k, c)| match &c.compute {
            Some(compute) if compute.is_arithmetic() => Some((k.get_ref().as_str(), c, compute)),
            _ => None,
        })
        .collect();
    let raw: Vec<Expr> = spec
        .columns
        .iter()
        .filter(|(_, c)| c.resolve.is_some())
        .map(|(k, _)| col(k.get_ref().as_str()).alias(raw_of(k.get_ref())))
        .collect();
    let texts: Vec<Expr> = spec
        .columns
        .iter()
        .map(|(k, c)| {
            let cleaned = clean_text(col(k.get_ref().as_str()));
            let cleaned = match (&c.split, c.kind) {
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
    let skip = spec.skips.iter().rev().fold(totals, |acc, s| {
        when(
            col(text_of(s.column.get_ref()))
                .str()
                .contains(lit(s.matches.get_ref().as_str()), false)
                .fill_null(lit(false)),
        )
        .then(lit(s.reason.as_str()))
        .otherwise(acc)
    });

    // Stage 1: every column but money (money needs dates and currencies first).
    let mut lf = frame
        .lazy()
        .with_columns(computed_cells)
        .with_columns(raw)
        .with_columns(texts)
        .with_columns([blank.alias("__blank"), skip.alias("__skip")]);
    // Cells merged down over several rows: empty cells take the value above
    // (after blank rows are known, so a blank row stays blank).
    let filled: Vec<Expr> = spec
        .columns
        .iter()
        .filter(|(_, c)| c.fill_down)
        .map(|(k, _)| {
            let t = text_of(k.get_ref());
            when(col("__blank"))
                .then(null_str())
                .otherwise(col(t.as_str()).fill_null_with_strategy(FillNullStrategy::Forward(None)))
                .alias(t)
        })
        .collect();
    if !filled.is_empty() {
        lf = lf.with_columns(filled);
    }
    let mut stage1 = Vec::new();
    let mut problems = Vec::new();
    for (key, column) in &spec.columns {
        let key = key.get_ref().as_str();
        if column.kind == ColumnKind::Money {
            continue;
        }
        if column.compute.as_ref().is_some_and(Compute::is_arithmetic) {
            problems.push(column_problems(key, column, spec, absent)?.alias(problem_of(key)));
            continue;
        }
        if column.kind == ColumnKind::Concept && column.split.is_some() {
            lf = exprs::split_concepts(lf, key, column, refs)?;
        } else {
            stage1.extend(exprs::normalise_column(key, column, refs));
        }
        problems.push(column_problems(key, column, spec, absent)?.alias(problem_of(key)));
    }
    lf = lf.with_columns(stage1);
    // Arithmetic over the values just normalised, then read as its type.
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
    let money: Vec<Expr> = spec
        .columns
        .iter()
        .filter(|(_, c)| c.kind == ColumnKind::Money)
        .flat_map(|(k, c)| exprs::normalise_money(k.get_ref(), c, spec, refs))
        .collect();
    // Money problems come after the others: one whose date or currency is
    // itself a problem is not reported again as a money problem.
    let mut money_problems = Vec::new();
    for (key, column) in spec
        .columns
        .iter()
        .filter(|(_, c)| c.kind == ColumnKind::Money)
    {
        money_problems.push(
            column_problems(key.get_ref(), column, spec, absent)?.alias(problem_of(key.get_ref())),
        );
    }
    let full = lf
        .with_columns(money)
        .with_columns(problems)
        .with_columns(money_problems)
        .collect()?;

    // Split the rows: blank, skipped, quarantined, good.
    let blank_rows = full.column("__blank")?.bool()?.sum().unwrap_or(0) as usize;
    let blank_row_numbers: Vec<u32> = {
        let rows = full.column(ROW_COLUMN)?.u32()?;
        let blank = full.column("__blank")?.bool()?;
        rows.iter()
            .zip(blank.iter())
            .filter_map(|(row, b)| row.filter(|_| b == Some(true)))
            .collect()
    };
    let kept = full.lazy().filter(col("__blank").not()).collect()?;
    let rows = kept.column(ROW_COLUMN)?.u32()?.clone();
    let mut skipped = Vec::new();
    let skip_col = kept.column("__skip")?.str()?.clone();
    for (row, reason) in rows.iter().zip(skip_col.iter()) {
        if let (Some(row), Some(reason)) = (row, reason) {
            skipped.push(Skipped {
                row,
                reason: reason.to_owned(),
            });
        }
    }
    skipped.sort_by_key(|s| s.row);
    let mut found = Vec::new();
    for key in &keys {
        let reasons = kept.column(&problem_of(key))?.str()?;
        let values = kept.column(&text_of(key))?.str()?;
        let skips = kept.column("__skip")?.str()?;
        for ((row, reason), (value, skip)) in rows
            .iter()
            .zip(reasons.iter())
            .zip(values.iter().zip(skips.iter()))
        {
            if let (Some(row), Some(reason), None) = (row, reason, skip) {
                let (rule, reason) = reason
                    .split_once(PROBLEM_SEPARATOR)
                    .unwrap_or(("value", reason));
                found.push(Problem {
                    row,
                    column: (*key).to_owned(),
                    value: value.map(str::to_owned),
                    rule: rule.to_owned(),
                    reason: reason.to_owned(),
                });
            }
        }
    }
    name_other_rows(&mut found);
    found.sort_by(|a, b| (a.row, &a.column).cmp(&(b.row, &b.column)));
    let no_problem = all_horizontal(
        keys.iter()
            .map(|k| col(problem_of(k)).is_null())
            .chain([col("__skip").is_null()])
            .collect::<Vec<_>>(),
    )?;
    let drop: Vec<String> = keys
        .iter()
        .map(|k| problem_of(k))
        .chain(["__blank".to_owned(), "__skip".to_owned()])
        .collect();
    let frame = kept
        .lazy()
        .filter(no_problem)
        .drop(by_name(drop, true, false))
        .sort([ROW_COLUMN], SortMultipleOptions::default())
        .collect()?;
    let resolutions = resolutions(&frame, spec)?;
    let raw: Vec<String> = spec
        .columns
        .iter()
        .filter(|(_, c)| c.resolve.is_some())
        .map(|(k, _)| raw_of(k.get_ref()))
        .collect();
    let frame = frame.lazy().drop(by_name(raw, true, false)).collect()?;
    Ok(Normalised {
        frame,
        problems: found,
        resolutions,
        skipped,
        blank_rows,
        blank_row_numbers,
        rows_read,
    })
}

/// A `not-unique` problem names the other rows that share its value.
fn name_other_rows(problems: &mut [Problem]) {
    let mut rows: BTreeMap<(String, Option<String>), Vec<u32>> = BTreeMap::new();
    for p in problems.iter().filter(|p| p.rule == "not-unique") {
        rows.entry((p.column.clone(), p.value.clone()))
            .or_default()
            .push(p.row);
    }
    for p in problems.iter_mut().filter(|p| p.rule == "not-unique") {
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
    for (key, _) in spec.columns.iter().filter(|(_, c)| c.resolve.is_some()) {
        let key = key.get_ref().as_str();
        let rows = frame.column(ROW_COLUMN)?.u32()?;
        let raw = frame.column(&raw_of(key))?.str()?;
        let cleaned = frame.column(&text_of(key))?.str()?;
        // Organisations take the resolved name; other kinds keep the name
        // as written and resolve their identity (`key.id`).
        let resolved = match frame.column(&format!("{key}.id")) {
            Ok(id) => id.str()?,
            Err(_) => frame.column(key)?.str()?,
        };
        let rules = frame.column(&format!("{key}.rule"))?.str()?;
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

/// The first problem of a column in a row, as `rule<RS>reason`, or null.
/// Checks are listed in the order their causes come: a value that cannot
/// be read is not also reported out of range, and a conversion whose input
/// (a date, a currency) is missing names that input.
fn column_problems(
    key: &str,
    column: &ColumnSpec,
    spec: &PipelineSpec,
    absent: &[String],
) -> PolarsResult<Expr> {
    let text = col(text_of(key));
    let value = col(key);
    let mut checks: Vec<(Expr, Expr)> = Vec::new();
    // A formula that failed in the sender's workbook (or its CSV export).
    checks.push((
        text.clone()
            .str()
            .contains(lit(SPREADSHEET_ERRORS), false)
            .fill_null(lit(false)),
        problem_with(
            "error-cell",
            vec![
                lit("the cell holds the spreadsheet error "),
                text.clone(),
                lit(" instead of a value; ask the sender to fix the formula"),
            ],
        ),
    ));
    match &column.compute {
        // A sum is empty when all it adds up is; an input that cannot be
        // read is that input's problem, not the sum's.
        Some(compute) if column.required && compute.is_arithmetic() => {
            let inputs = compute.inputs();
            let all_empty = inputs
                .iter()
                .map(|c| col(text_of(c)).is_null())
                .reduce(|a, b| a.and(b))
                .unwrap_or(lit(true));
            checks.push((
                text.clone().is_null().and(all_empty),
                problem(
                    "required",
                    &format!(
                        "this column is required and computed ({}) from {}, which are all empty in this row; fill one in or remove the row",
                        compute.name(),
                        inputs.iter().map(|c| named(spec, c)).collect::<Vec<_>>().join(", ")
                    ),
                ),
            ));
        }
        _ if column.required => {
            checks.push((
                text.clone().is_null(),
                problem(
                    "required",
                    "this column is required but the row has no value; fill it in or remove the row",
                ),
            ));
        }
        _ => {}
    }
    if column.unique {
        // Rows that repeat the value with the same mapped values are
        // duplicates (loaded once, listed); rows that differ are a problem.
        let signature = concat_str(
            spec.mapped_columns()
                .iter()
                .map(|k| col(text_of(k)).fill_null(lit("\u{0}")))
                .collect::<Vec<_>>(),
            "\u{1F}",
            false,
        );
        checks.push((
            value
                .clone()
                .is_not_null()
                .and(signature.n_unique().over([value.clone()])?.gt(lit(1)))
                .fill_null(lit(false)),
            problem(
                "not-unique",
                "this value must be unique, but other rows give it with different values",
            ),
        ));
    }
    let unparsed = text.clone().is_not_null().and(value.clone().is_null());
    let numeric = matches!(
        column.kind,
        ColumnKind::Integer | ColumnKind::Decimal | ColumnKind::Area | ColumnKind::Money
    );
    let reason = match column.kind {
        ColumnKind::Text => None,
        ColumnKind::Integer => Some(problem("number", "not a whole number")),
        ColumnKind::Decimal | ColumnKind::Area | ColumnKind::Money => {
            Some(problem("number", exprs::number_hint(column.number_style)))
        }
        ColumnKind::Date | ColumnKind::DateTime => {
            Some(problem("date", exprs::date_hint(column.date_order)))
        }
        ColumnKind::Concept => {
            let scheme = column.scheme.as_deref().unwrap_or("");
            Some(problem(
                "concept",
                &format!("not a known {scheme}; if it is a correct spelling, add it as a skos:altLabel to the concept in ontology/vocab/ ({})", refs::scheme_file(scheme)),
            ))
        }
    };
    if column.kind == ColumnKind::Date {
        // A date column keeps no time: 2016-03-12T10:30 would lose its 10:30.
        let time = exprs::parse_time(text.clone(), column.date_order);
        checks.push((
            exprs::has_time_of_day(text.clone(), column.date_order),
            problem_with(
                "date",
                vec![
                    text.clone(),
                    lit(" has a time of day ("),
                    time,
                    lit(") that this date column would drop; set type = \"datetime\" on the column to keep it, or leave the time out"),
                ],
            ),
        ));
    }
    if matches!(column.kind, ColumnKind::Date | ColumnKind::DateTime) {
        // Written like a date, but no such day: say so rather than "unrecognised".
        // (16/06/2016 in a year-first column is a matter of date_order, not existence.)
        let pattern = match column.date_order {
            DateOrder::Ymd => r"^\s*\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?",
            DateOrder::Dmy | DateOrder::Mdy => {
                r"^\s*(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})"
            }
        };
        let shaped = text.clone().str().contains(lit(pattern), false);
        checks.push((
            unparsed.clone().and(shaped).fill_null(lit(false)),
            problem_with(
                "date",
                vec![
                    lit("date "),
                    text.clone(),
                    lit(" does not exist (there is no such day in that month); check the day and month"),
                ],
            ),
        ));
    }
    if numeric {
        checks.push((
            exprs::too_precise(text.clone(), column.number_style),
            problem_with(
                "number",
                vec![
                    text.clone(),
                    lit(format!(
                        " has more than {} decimal places or {} digits, more than ttkg keeps without rounding; round it in the report and send it again",
                        exprs::MAX_DECIMAL_PLACES,
                        exprs::MAX_INTEGER_DIGITS
                    )),
                ],
            ),
        ));
        let (other, hint) = exprs::other_style_hint(column.number_style);
        checks.push((
            unparsed
                .clone()
                .and(exprs::parse_number(text.clone(), other).is_not_null())
                .fill_null(lit(false)),
            problem_with("number", vec![text.clone(), lit(hint)]),
        ));
    }
    if let Some(reason) = reason {
        checks.push((unparsed, reason));
    }
    if numeric {
        checks.push((
            {
                let magnitude = value.clone().cast(DataType::Float64);
                magnitude
                    .clone()
                    .gt_eq(lit(1e18))
                    .or(magnitude.lt_eq(lit(-1e18)))
                    .fill_null(lit(false))
            },
            problem(
                "number",
                "the value is 10^18 or more once scaled (万, 亿, multiplier): too large to be an amount, area or count; check the figure and its unit",
            ),
        ));
    }
    let min = column
        .min
        .or((column.kind == ColumnKind::Money).then_some(0.0));
    if let Some(min) = min {
        let what = if column.kind == ColumnKind::Money && min == 0.0 {
            "negative amount; amounts must be zero or more".to_owned()
        } else {
            format!("below the smallest accepted value {min}")
        };
        checks.push((
            value
                .clone()
                .cast(DataType::Float64)
                .lt(lit(min))
                .fill_null(lit(false)),
            problem("range", &what),
        ));
    }
    if column.kind == ColumnKind::Money {
        checks.extend(money_input_problems(key, column, spec, absent));
    }
    Ok(checks
        .into_iter()
        .rev()
        .fold(null_str(), |acc, (cond, reason)| {
            when(cond).then(reason).otherwise(acc)
        }))
}

/// A money value's currency and conversion, in the order their inputs come:
/// a currency column the file lacks or the row leaves empty, an unknown
/// currency, then a date the file lacks or the row leaves empty (a date
/// that is wrong is reported on the date column alone), then a missing rate.
fn money_input_problems(
    key: &str,
    column: &ColumnSpec,
    spec: &PipelineSpec,
    absent: &[String],
) -> Vec<(Expr, Expr)> {
    let value = col(key);
    let currency = col(format!("{key}.currency"));
    let mut checks = Vec::new();
    let has_value = value.clone().is_not_null();
    if let Some(source) = &column.currency_column {
        let written = col(text_of(source));
        let why = if absent.contains(source) {
            format!(
                "the amount's currency comes from {}, a column this file does not have (see the run's missing-column warning); add the sender's header for it to the pipeline",
                named(spec, source)
            )
        } else {
            format!(
                "the row gives no currency in {}; fill it in (CNY, VND, THB, USD …)",
                named(spec, source)
            )
        };
        checks.push((
            has_value.clone().and(written.clone().is_null()),
            problem("no-currency", &why),
        ));
        checks.push((
            has_value.clone().and(currency.clone().is_null()),
            problem_with(
                "currency",
                vec![
                    lit("unknown currency '"),
                    written,
                    lit("'; write an ISO code such as CNY, VND, THB, USD"),
                ],
            ),
        ));
    }
    let converts = has_value
        .clone()
        .and(currency.clone().is_not_null())
        .and(currency.clone().neq(lit("CNY")));
    let year = col(format!("{key}.year"));
    // "converting VND to yuan needs …": the reason names the missing input.
    let no_date = |tail: Vec<Expr>| {
        let mut parts = vec![lit("converting "), currency.clone()];
        parts.extend(tail);
        problem_with("no-date", parts)
    };
    match &column.date_column {
        None => checks.push((
            converts.clone(),
            no_date(vec![lit(" to yuan needs a year, and the pipeline names no date_column for this amount; add date_column = \"<the signing date's column>\"")]),
        )),
        Some(date) if absent.contains(date) => checks.push((
            converts.clone(),
            no_date(vec![lit(format!(
                " to yuan needs the year of {}, a column this file does not have (see the run's missing-column warning); add the sender's header for it to the pipeline",
                named(spec, date)
            ))]),
        )),
        Some(date) => {
            let written = col(text_of(date));
            checks.push((
                converts.clone().and(written.clone().is_null()),
                no_date(vec![lit(format!(
                    " to yuan needs the year of {}, which this row leaves empty; fill it in",
                    named(spec, date)
                ))]),
            ));
            let date_is_typed = spec
                .column(date)
                .is_some_and(|c| matches!(c.kind, ColumnKind::Date | ColumnKind::DateTime));
            if date_is_typed {
                // The date column reports its own problem; nothing more here.
                checks.push((
                    converts.clone().and(col(problem_of(date)).is_not_null()),
                    lit(NULL).cast(DataType::String),
                ));
            } else {
                checks.push((
                    converts.clone().and(year.clone().is_null()),
                    no_date(vec![
                        lit(" to yuan needs a year, and '"),
                        written,
                        lit(format!("' in {} is not a date", named(spec, date))),
                    ]),
                ));
            }
        }
    }
    checks.push((
        converts.and(col(format!("{key}.cny")).is_null()),
        problem_with(
            "exchange-rate",
            vec![
                lit("no exchange rate for "),
                currency,
                lit(" in the year "),
                year.cast(DataType::String),
                lit("; add the yearly average to data/reference/exchange-rates.csv"),
            ],
        ),
    ));
    checks
}

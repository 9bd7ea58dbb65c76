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

mod exprs;
mod refs;

pub use exprs::{clean_text, concept_key, parse_date, parse_number};
pub use refs::{organisation_key, ConceptTable, OrganisationNames, RateTable, References};

use polars::prelude::*;
use ttkg_pipeline::{ColumnKind, ColumnSpec, DateOrder, PipelineSpec};

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
    /// A short rule name: required, number, date, concept, range, exchange-rate, currency.
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
    /// As the report wrote it.
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

fn problem_of(key: &str) -> String {
    format!("__problem.{key}")
}

fn problem(rule: &str, reason: &str) -> Expr {
    lit(format!("{rule}{PROBLEM_SEPARATOR}{reason}"))
}

fn null_str() -> Expr {
    lit(NULL).cast(DataType::String)
}

/// Normalises `frame` (as read by ttkg-ingest) according to the pipeline's columns.
pub fn normalise(
    frame: DataFrame,
    spec: &PipelineSpec,
    refs: &References,
) -> Result<Normalised, NormaliseError> {
    let rows_read = frame.height();
    let keys: Vec<&str> = spec.columns.keys().map(|k| k.get_ref().as_str()).collect();
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
        keys.iter()
            .map(|k| col(text_of(k)).is_null())
            .collect::<Vec<_>>(),
    )?;
    // Totals and subtotals rows, in the senders' languages, are never data.
    let totals_row = if spec.source.keep_totals {
        lit(false)
    } else {
        any_horizontal(
            keys.iter()
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
        if column.kind == ColumnKind::Concept && column.split.is_some() {
            lf = exprs::split_concepts(lf, key, column, refs)?;
        } else {
            stage1.extend(exprs::normalise_column(key, column, refs));
        }
        problems.push(column_problems(key, column)?.alias(problem_of(key)));
    }
    lf = lf.with_columns(stage1);
    let money: Vec<Expr> = spec
        .columns
        .iter()
        .filter(|(_, c)| c.kind == ColumnKind::Money)
        .flat_map(|(k, c)| exprs::normalise_money(k.get_ref(), c, spec, refs))
        .collect();
    for (key, column) in spec
        .columns
        .iter()
        .filter(|(_, c)| c.kind == ColumnKind::Money)
    {
        problems.push(column_problems(key.get_ref(), column)?.alias(problem_of(key.get_ref())));
    }
    let full = lf.with_columns(money).with_columns(problems).collect()?;

    // Split the rows: blank, skipped, quarantined, good.
    let blank_rows = full.column("__blank")?.bool()?.sum().unwrap_or(0) as usize;
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
    let mut resolutions = Vec::new();
    for (key, _) in spec.columns.iter().filter(|(_, c)| c.resolve.is_some()) {
        let key = key.get_ref().as_str();
        let rows = frame.column(ROW_COLUMN)?.u32()?;
        let written = frame.column(&text_of(key))?.str()?;
        let resolved = frame.column(key)?.str()?;
        let rules = frame.column(&format!("{key}.rule"))?.str()?;
        for (((row, written), resolved), rule) in rows
            .iter()
            .zip(written.iter())
            .zip(resolved.iter())
            .zip(rules.iter())
        {
            if let (Some(row), Some(written), Some(resolved), Some(rule)) =
                (row, written, resolved, rule)
            {
                resolutions.push(Resolution {
                    row,
                    column: key.to_owned(),
                    written: written.to_owned(),
                    resolved: resolved.to_owned(),
                    rule: rule.to_owned(),
                });
            }
        }
    }
    resolutions.sort_by(|a, b| (a.row, &a.column).cmp(&(b.row, &b.column)));
    Ok(Normalised {
        frame,
        problems: found,
        resolutions,
        skipped,
        blank_rows,
        rows_read,
    })
}

/// The first problem of a column in a row, as `rule<RS>reason`, or null.
fn column_problems(key: &str, column: &ColumnSpec) -> PolarsResult<Expr> {
    let text = col(text_of(key));
    let value = col(key);
    let mut checks: Vec<(Expr, Expr)> = Vec::new();
    // A formula that failed in the sender's workbook (or its CSV export).
    checks.push((
        text.clone()
            .str()
            .contains(lit(SPREADSHEET_ERRORS), false)
            .fill_null(lit(false)),
        concat_str(
            [
                lit(format!(
                    "error-cell{PROBLEM_SEPARATOR}the cell holds the spreadsheet error "
                )),
                text.clone(),
                lit(" instead of a value; ask the sender to fix the formula"),
            ],
            "",
            true,
        ),
    ));
    if column.required {
        checks.push((
            text.clone().is_null(),
            problem(
                "required",
                "this column is required but the row has no value; fill it in or remove the row",
            ),
        ));
    }
    if column.unique {
        checks.push((
            value
                .clone()
                .is_not_null()
                .and(len().over([value.clone()])?.gt(lit(1)))
                .fill_null(lit(false)),
            problem(
                "duplicate",
                "this value appears in more than one row of the sheet, and each row would describe the same thing; correct or remove the duplicates",
            ),
        ));
    }
    let unparsed = text.clone().is_not_null().and(value.clone().is_null());
    let reason = match column.kind {
        ColumnKind::Text => None,
        ColumnKind::Integer => Some(problem("number", "not a whole number")),
        ColumnKind::Decimal | ColumnKind::Area => {
            Some(problem("number", exprs::number_hint(column.number_style)))
        }
        ColumnKind::Money => Some(problem("number", exprs::number_hint(column.number_style))),
        ColumnKind::Date => Some(problem("date", exprs::date_hint(column.date_order))),
        ColumnKind::Concept => {
            let scheme = column.scheme.as_deref().unwrap_or("");
            Some(problem(
                "concept",
                &format!("not a known {scheme}; if it is a correct spelling, add it as a skos:altLabel to the concept in ontology/vocab/ ({})", refs::scheme_file(scheme)),
            ))
        }
    };
    if column.kind == ColumnKind::Date {
        // Written like a date, but no such day: say so rather than "unrecognised".
        // (16/06/2016 in a year-first column is a matter of date_order, not existence.)
        let pattern = match column.date_order {
            DateOrder::Ymd => r"^\s*\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*$",
            DateOrder::Dmy | DateOrder::Mdy => {
                r"^\s*(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})\s*$"
            }
        };
        let shaped = text.clone().str().contains(lit(pattern), false);
        checks.push((
            unparsed.clone().and(shaped).fill_null(lit(false)),
            concat_str(
                [
                    lit(format!("date{PROBLEM_SEPARATOR}date ")),
                    text.clone(),
                    lit(" does not exist (there is no such day in that month); check the day and month"),
                ],
                "",
                true,
            ),
        ));
    }
    if let Some(reason) = reason {
        checks.push((unparsed, reason));
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
            value.clone().lt(lit(min)).fill_null(lit(false)),
            problem("range", &what),
        ));
    }
    if column.kind == ColumnKind::Money {
        let currency = col(format!("{key}.currency"));
        checks.push((
            value.clone().is_not_null().and(currency.clone().is_null()),
            problem(
                "currency",
                "unknown currency; write an ISO code such as CNY, VND, THB, USD",
            ),
        ));
        checks.push((
            value.is_not_null().and(col(format!("{key}.cny")).is_null()),
            concat_str(
                [
                    lit(format!(
                        "exchange-rate{PROBLEM_SEPARATOR}no exchange rate for "
                    )),
                    currency,
                    lit(" in the year "),
                    col(format!("{key}.year"))
                        .cast(DataType::String)
                        .fill_null(lit("(no date given)")),
                    lit("; add the yearly average to data/reference/exchange-rates.csv"),
                ],
                "",
                true,
            ),
        ));
    }
    Ok(checks
        .into_iter()
        .rev()
        .fold(null_str(), |acc, (cond, reason)| {
            when(cond).then(reason).otherwise(acc)
        }))
}

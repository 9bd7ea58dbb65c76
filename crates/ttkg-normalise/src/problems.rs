//! Why a value cannot be loaded: each column's checks as one polars
//! expression that gives the row's first problem, as `rule<RS>reason`.

use polars::prelude::*;
use ttkg_pipeline::{ColumnKind, ColumnSpec, Companion, DateOrder, MoneyColumn, PipelineSpec};

use crate::{exprs, null_str, problem_of, refs, text_of, PROBLEM_SEPARATOR};

/// Why a row was quarantined, by kind; [`Rule::name`] is what summaries,
/// quarantine files and the run history say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// A formula that failed in the sender's workbook (`#DIV/0!`).
    ErrorCell,
    Required,
    NotUnique,
    Number,
    Date,
    Concept,
    Range,
    Currency,
    NoCurrency,
    NoDate,
    ExchangeRate,
}

impl Rule {
    pub const ALL: [Rule; 11] = [
        Rule::ErrorCell,
        Rule::Required,
        Rule::NotUnique,
        Rule::Number,
        Rule::Date,
        Rule::Concept,
        Rule::Range,
        Rule::Currency,
        Rule::NoCurrency,
        Rule::NoDate,
        Rule::ExchangeRate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Rule::ErrorCell => "error-cell",
            Rule::Required => "required",
            Rule::NotUnique => "not-unique",
            Rule::Number => "number",
            Rule::Date => "date",
            Rule::Concept => "concept",
            Rule::Range => "range",
            Rule::Currency => "currency",
            Rule::NoCurrency => "no-currency",
            Rule::NoDate => "no-date",
            Rule::ExchangeRate => "exchange-rate",
        }
    }

    /// The rule a `rule<RS>reason` text names.
    pub(crate) fn parse(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.name() == name)
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the checks of one table need to know besides the column.
pub(crate) struct Context<'a> {
    pub spec: &'a PipelineSpec,
    /// The columns whose values reach the graph (a unique column's rows
    /// are duplicates when these agree).
    pub mapped: Vec<&'a str>,
    /// The declared columns the file does not have.
    pub absent: &'a [String],
    /// For each `unique` column, the values that rows of the whole table
    /// give with different mapped values (see `Batches`); `None` when the
    /// rows at hand are the whole table.
    pub not_unique: Option<&'a [(String, Series)]>,
}

impl<'a> Context<'a> {
    /// The checks of `pipeline`'s columns, where the file lacks `absent`.
    pub fn new(
        pipeline: &'a ttkg_pipeline::Pipeline,
        absent: &'a [String],
        not_unique: Option<&'a [(String, Series)]>,
    ) -> Self {
        Context {
            spec: &pipeline.spec,
            mapped: pipeline.plan.mapped_columns().into_iter().collect(),
            absent,
            not_unique,
        }
    }

    /// `key` (its first header), for reasons that name another column.
    pub fn named(&self, key: &str) -> String {
        match self.spec.column(key).and_then(|c| c.headers.first()) {
            Some(header) => format!("`{key}` ('{header}')"),
            None => format!("`{key}`"),
        }
    }
}

/// What spreadsheets show when a formula fails.
const SPREADSHEET_ERRORS: &str =
    r"^#(DIV/0!|N/A|VALUE!|REF!|NAME\?|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA)$";

pub(crate) fn problem(rule: Rule, reason: &str) -> Expr {
    lit(format!("{}{PROBLEM_SEPARATOR}{reason}", rule.name()))
}

/// `rule<RS>` followed by the concatenation of `parts`.
pub(crate) fn problem_with(rule: Rule, parts: Vec<Expr>) -> Expr {
    let mut all = vec![lit(format!("{}{PROBLEM_SEPARATOR}", rule.name()))];
    all.extend(parts);
    concat_str(all, "", true)
}

/// (condition, problem) pairs, the first that holds wins.
type Checks = Vec<(Expr, Expr)>;

/// The first problem of a column in a row, as `rule<RS>reason`, or null.
/// Checks are listed in the order their causes come: a value that cannot
/// be read is not also reported out of range, and a conversion whose input
/// (a date, a currency) is missing names that input.
pub(crate) fn column_problems(key: &str, column: &ColumnSpec, cx: &Context) -> PolarsResult<Expr> {
    let mut checks = Checks::new();
    presence_checks(key, column, cx, &mut checks)?;
    value_checks(key, column, &mut checks);
    if let Some(money) = column.money() {
        checks.extend(money_input_problems(key, money, cx));
    }
    Ok(checks
        .into_iter()
        .rev()
        .fold(null_str(), |acc, (cond, reason)| {
            when(cond).then(reason).otherwise(acc)
        }))
}

/// A failed formula, an empty required cell, a unique value given twice.
fn presence_checks(
    key: &str,
    column: &ColumnSpec,
    cx: &Context,
    checks: &mut Checks,
) -> PolarsResult<()> {
    let text = col(text_of(key));
    let value = col(key);
    // A formula that failed in the sender's workbook (or its CSV export).
    checks.push((
        text.clone()
            .str()
            .contains(lit(SPREADSHEET_ERRORS), false)
            .fill_null(lit(false)),
        problem_with(
            Rule::ErrorCell,
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
                    Rule::Required,
                    &format!(
                        "this column is required and computed ({}) from {}, which are all empty in this row; fill one in or remove the row",
                        compute.name(),
                        inputs.iter().map(|c| cx.named(c)).collect::<Vec<_>>().join(", ")
                    ),
                ),
            ));
        }
        _ if column.required => {
            checks.push((
                text.clone().is_null(),
                problem(
                    Rule::Required,
                    "this column is required but the row has no value; fill it in or remove the row",
                ),
            ));
        }
        _ => {}
    }
    if column.unique {
        // Rows that repeat the value with the same mapped values are
        // duplicates (loaded once, listed); rows that differ are a problem.
        let differs = match cx.not_unique {
            None => signature(cx).n_unique().over([value.clone()])?.gt(lit(1)),
            Some(found) => {
                let values = found
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, values)| values.clone())
                    .unwrap_or_else(|| Series::new_empty(key.into(), &DataType::String));
                value
                    .clone()
                    .cast(DataType::String)
                    .is_in(lit(values).implode(true), false)
            }
        };
        checks.push((
            value.is_not_null().and(differs).fill_null(lit(false)),
            problem(
                Rule::NotUnique,
                "this value must be unique, but other rows give it with different values",
            ),
        ));
    }
    Ok(())
}

/// A row's mapped cells as one text: rows whose `unique` value is the same
/// are duplicates when these agree, and a problem when they differ.
pub(crate) fn signature(cx: &Context) -> Expr {
    concat_str(
        cx.mapped
            .iter()
            .map(|k| col(text_of(k)).fill_null(lit("\u{0}")))
            .collect::<Vec<_>>(),
        "\u{1F}",
        false,
    )
}

/// A value that cannot be read as the column's type, or out of its range.
fn value_checks(key: &str, column: &ColumnSpec, checks: &mut Checks) {
    let text = col(text_of(key));
    let value = col(key);
    let unparsed = text.clone().is_not_null().and(value.clone().is_null());
    let numeric = matches!(
        column.kind(),
        ColumnKind::Integer | ColumnKind::Decimal | ColumnKind::Area | ColumnKind::Money
    );
    let reason = match column.kind() {
        ColumnKind::Text => None,
        ColumnKind::Integer => Some(problem(Rule::Number, "not a whole number")),
        ColumnKind::Decimal | ColumnKind::Area | ColumnKind::Money => Some(problem(
            Rule::Number,
            exprs::number_hint(column.number_style()),
        )),
        ColumnKind::Date | ColumnKind::DateTime => {
            Some(problem(Rule::Date, exprs::date_hint(column.date_order())))
        }
        ColumnKind::Concept => {
            let scheme = column.scheme().unwrap_or("");
            Some(problem(
                Rule::Concept,
                &format!("not a known {scheme}; if it is a correct spelling, add it as a skos:altLabel to the concept in ontology/vocab/ ({})", refs::scheme_file(scheme)),
            ))
        }
    };
    if matches!(column.kind(), ColumnKind::Date | ColumnKind::DateTime) {
        date_checks(column, &text, &unparsed, checks);
    }
    if numeric {
        number_checks(column, &text, &unparsed, checks);
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
                Rule::Number,
                "the value is 10^18 or more once scaled (万, 亿, multiplier): too large to be an amount, area or count; check the figure and its unit",
            ),
        ));
    }
    let min = column.min();
    if let Some(min) = min {
        let what = if column.kind() == ColumnKind::Money && min == 0.0 {
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
            problem(Rule::Range, &what),
        ));
    }
}

/// A time in a date column; a date written right but that does not exist.
fn date_checks(column: &ColumnSpec, text: &Expr, unparsed: &Expr, checks: &mut Checks) {
    if column.kind() == ColumnKind::Date {
        // A date column keeps no time: 2016-03-12T10:30 would lose its 10:30.
        let time = exprs::parse_time(text.clone(), column.date_order());
        checks.push((
            exprs::has_time_of_day(text.clone(), column.date_order()),
            problem_with(
                Rule::Date,
                vec![
                    text.clone(),
                    lit(" has a time of day ("),
                    time,
                    lit(") that this date column would drop; set type = \"datetime\" on the column to keep it, or leave the time out"),
                ],
            ),
        ));
    }
    {
        // Written like a date, but no such day: say so rather than "unrecognised".
        // (16/06/2016 in a year-first column is a matter of date_order, not existence.)
        let pattern = match column.date_order() {
            DateOrder::Ymd => r"^\s*\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?",
            DateOrder::Dmy | DateOrder::Mdy => {
                r"^\s*(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})"
            }
        };
        let shaped = text.clone().str().contains(lit(pattern), false);
        checks.push((
            unparsed.clone().and(shaped).fill_null(lit(false)),
            problem_with(
                Rule::Date,
                vec![
                    lit("date "),
                    text.clone(),
                    lit(" does not exist (there is no such day in that month); check the day and month"),
                ],
            ),
        ));
    }
}

/// Too many digits to keep exactly; a number written in the other style.
fn number_checks(column: &ColumnSpec, text: &Expr, unparsed: &Expr, checks: &mut Checks) {
    {
        checks.push((
            exprs::too_precise(text.clone(), column.number_style()),
            problem_with(
                Rule::Number,
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
        let (other, hint) = exprs::other_style_hint(column.number_style());
        checks.push((
            unparsed
                .clone()
                .and(exprs::parse_number(text.clone(), other).is_not_null())
                .fill_null(lit(false)),
            problem_with(Rule::Number, vec![text.clone(), lit(hint)]),
        ));
    }
}

/// A money value's currency and conversion, in the order their inputs come:
/// a currency column the file lacks or the row leaves empty, an unknown
/// currency, then a date the file lacks or the row leaves empty (a date
/// that is wrong is reported on the date column alone), then a missing rate.
fn money_input_problems(key: &str, money: &MoneyColumn, cx: &Context) -> Vec<(Expr, Expr)> {
    let value = col(key);
    let currency = col(Companion::Currency.column(key));
    let mut checks = Vec::new();
    let has_value = value.clone().is_not_null();
    if let Some(source) = &money.currency_column {
        let written = col(text_of(source));
        let why = if cx.absent.contains(source) {
            format!(
                "the amount's currency comes from {}, a column this file does not have (see the run's missing-column warning); add the sender's header for it to the pipeline",
                cx.named(source)
            )
        } else {
            format!(
                "the row gives no currency in {}; fill it in (CNY, VND, THB, USD …)",
                cx.named(source)
            )
        };
        checks.push((
            has_value.clone().and(written.clone().is_null()),
            problem(Rule::NoCurrency, &why),
        ));
        checks.push((
            has_value.clone().and(currency.clone().is_null()),
            problem_with(
                Rule::Currency,
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
    let year = col(Companion::Year.column(key));
    checks.extend(date_input_problems(money, &converts, &currency, &year, cx));
    checks.push((
        converts.and(col(Companion::Cny.column(key)).is_null()),
        problem_with(
            Rule::ExchangeRate,
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

/// A conversion's date: the pipeline names none, the file lacks it, the
/// row leaves it empty, or it is not a date. `converts` holds for rows
/// converted to yuan.
fn date_input_problems(
    money: &MoneyColumn,
    converts: &Expr,
    currency: &Expr,
    year: &Expr,
    cx: &Context,
) -> Checks {
    let mut checks = Checks::new();
    // "converting VND to yuan needs …": the reason names the missing input.
    let no_date = |tail: Vec<Expr>| {
        let mut parts = vec![lit("converting "), currency.clone()];
        parts.extend(tail);
        problem_with(Rule::NoDate, parts)
    };
    match &money.date_column {
        None => checks.push((
            converts.clone(),
            no_date(vec![lit(" to yuan needs a year, and the pipeline names no date_column for this amount; add date_column = \"<the signing date's column>\"")]),
        )),
        Some(date) if cx.absent.contains(date) => checks.push((
            converts.clone(),
            no_date(vec![lit(format!(
                " to yuan needs the year of {}, a column this file does not have (see the run's missing-column warning); add the sender's header for it to the pipeline",
                cx.named(date)
            ))]),
        )),
        Some(date) => {
            let written = col(text_of(date));
            checks.push((
                converts.clone().and(written.clone().is_null()),
                no_date(vec![lit(format!(
                    " to yuan needs the year of {}, which this row leaves empty; fill it in",
                    cx.named(date)
                ))]),
            ));
            let date_is_typed = cx
                .spec
                .column(date)
                .is_some_and(|c| matches!(c.kind(), ColumnKind::Date | ColumnKind::DateTime));
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
                        lit(format!("' in {} is not a date", cx.named(date))),
                    ]),
                ));
            }
        }
    }
    checks
}

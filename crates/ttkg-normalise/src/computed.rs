//! Computed columns (`compute = { sum = [...] }`): text-level operations
//! make a cell from the row's cells before anything is read; arithmetic
//! works on the inputs' normalised values. Either way the result is then
//! read as the column's type, like a cell of the report.

use polars::prelude::*;
use ttkg_pipeline::{Compute, Template, TemplatePart};

use crate::exprs::{clean_text, decimal, DECIMAL};
use crate::null_str;

/// A text-level computed column (concat, coalesce, template, when) as the
/// text of a cell: made from its inputs' cells as written, then read as the
/// column's type like any cell. Arithmetic is computed later, on the
/// inputs' values ([`number_text`]); until then its cell is empty.
pub(crate) fn cell(compute: &Compute) -> Expr {
    let cell = |c: &str| clean_text(col(c));
    match compute {
        Compute::Sum(_) | Compute::Difference(_) | Compute::Product(_) => null_str(),
        Compute::Concat(inputs) => {
            let joined = concat_str(
                inputs
                    .iter()
                    .map(|c| cell(c).fill_null(lit("")))
                    .collect::<Vec<_>>(),
                "",
                false,
            );
            when(joined.clone().eq(lit("")))
                .then(null_str())
                .otherwise(joined)
        }
        Compute::Coalesce(inputs) => coalesce(&inputs.iter().map(|c| cell(c)).collect::<Vec<_>>()),
        Compute::Template(text) => {
            let Ok(template) = Template::parse(text) else {
                return null_str();
            };
            // concat_str without ignore_nulls: empty when a placeholder is.
            concat_str(
                template
                    .parts
                    .iter()
                    .map(|part| match part {
                        TemplatePart::Text(l) => lit(l.clone()),
                        TemplatePart::Column(c) => cell(c),
                    })
                    .collect::<Vec<_>>(),
                "",
                false,
            )
        }
        Compute::When(w) => {
            let tested = cell(&w.column);
            let holds = match &w.equals {
                Some(value) => tested
                    .str()
                    .to_lowercase()
                    .eq(lit(value.trim().to_lowercase()))
                    .fill_null(lit(false)),
                None => tested.is_not_null(),
            };
            when(holds)
                .then(cell(&w.then))
                .otherwise(match &w.otherwise {
                    Some(other) => cell(other),
                    None => null_str(),
                })
        }
    }
}

/// An arithmetic computed column (sum, difference, product) as plain
/// decimal text of the exact result, from its inputs' normalised values; the
/// column is then read as its type like a cell. Nothing is computed from a
/// row where an input could not be read (that input quarantines the row).
pub(crate) fn number_text(compute: &Compute) -> Expr {
    let inputs = compute.inputs();
    let value = |c: &str| col(c).cast(DECIMAL);
    let result = match compute {
        Compute::Sum(_) => {
            let total = inputs
                .iter()
                .map(|c| value(c).fill_null(decimal("0")))
                .reduce(|a, b| (a + b).cast(DECIMAL))
                .unwrap_or_else(|| decimal("0"));
            let none = inputs
                .iter()
                .map(|c| col(c).is_null())
                .reduce(|a, b| a.and(b))
                .unwrap_or(lit(true));
            when(none).then(lit(NULL).cast(DECIMAL)).otherwise(total)
        }
        Compute::Difference(_) => match inputs.as_slice() {
            [a, b] => (value(a) - value(b)).cast(DECIMAL),
            _ => lit(NULL).cast(DECIMAL),
        },
        Compute::Product(_) => inputs
            .iter()
            .map(|c| value(c))
            .reduce(|a, b| (a * b).cast(DECIMAL))
            .unwrap_or_else(|| lit(NULL).cast(DECIMAL)),
        _ => return null_str(),
    };
    let unreadable = inputs
        .iter()
        .map(|c| col(crate::text_of(c)).is_not_null().and(col(c).is_null()))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    when(unreadable)
        .then(null_str())
        .otherwise(plain_decimal(result))
}

/// A decimal as the shortest text that reads back as it (`36`, `1.5`).
fn plain_decimal(value: Expr) -> Expr {
    value
        .cast(DataType::String)
        .str()
        .replace(lit(r"(\.\d*?)0+$"), lit("$1"), false)
        .str()
        .replace(lit(r"\.$"), lit(""), false)
}

//! SELECT results as a typed table, for exports: a column whose values are
//! all integers, decimals, dates or booleans gets that type, so that Excel,
//! Parquet readers and pandas see numbers and dates rather than text.

use polars::prelude::*;
use ttkg_graph::oxigraph::model::Term;
use ttkg_graph::oxigraph::sparql::QueryResults;
use ttkg_graph::store::term_text;
use ttkg_graph::GraphError;
use ttkg_vocab::XSD;

use crate::{evaluation_error, QueryError};

/// The column type that all of a column's values fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    Decimal,
    Date,
    Boolean,
    Text,
}

fn kind_of(term: &Term) -> Kind {
    let Term::Literal(literal) = term else {
        return Kind::Text;
    };
    let datatype = literal.datatype().as_str();
    let Some(local) = datatype.strip_prefix(XSD) else {
        return Kind::Text;
    };
    match local {
        "integer" | "int" | "long" | "short" | "byte" | "nonNegativeInteger"
        | "positiveInteger" | "unsignedInt" | "unsignedLong" | "unsignedShort" => Kind::Integer,
        "decimal" | "double" | "float" => Kind::Decimal,
        "date" => Kind::Date,
        "boolean" => Kind::Boolean,
        _ => Kind::Text,
    }
}

/// The rows of a SELECT query as a table with one typed column per variable.
pub fn solutions_to_frame(results: QueryResults<'static>) -> Result<DataFrame, QueryError> {
    solutions_to_frame_within(results, usize::MAX, usize::MAX)
}

/// [`solutions_to_frame`], refused ([`GraphError::TooLarge`]) as soon as the
/// answer passes `max_rows` rows or `max_bytes` bytes of text, before it is
/// all held in memory.
pub fn solutions_to_frame_within(
    results: QueryResults<'static>,
    max_rows: usize,
    max_bytes: usize,
) -> Result<DataFrame, QueryError> {
    let (variables, values, height) = collect(results, max_rows, max_bytes)?;
    let columns = variables
        .iter()
        .zip(values)
        .map(|(v, terms)| typed_column(v.as_str(), &terms))
        .collect::<Vec<_>>();
    DataFrame::new(height, columns).map_err(|e| QueryError::Write(e.to_string()))
}

/// The rows of a SELECT as text, each value as written in the store
/// (`1763`, not `1763.0`): for CSV that a spreadsheet reads.
pub fn solutions_to_text_frame_within(
    results: QueryResults<'static>,
    max_rows: usize,
    max_bytes: usize,
) -> Result<DataFrame, QueryError> {
    let (variables, values, height) = collect(results, max_rows, max_bytes)?;
    let columns = variables
        .iter()
        .zip(values)
        .map(|(v, terms)| {
            Column::new(
                v.as_str().into(),
                terms
                    .iter()
                    .map(|t| t.as_ref().map(term_text))
                    .collect::<Vec<_>>(),
            )
        })
        .collect::<Vec<_>>();
    DataFrame::new(height, columns).map_err(|e| QueryError::Write(e.to_string()))
}

type Collected = (
    Vec<ttkg_graph::oxigraph::model::Variable>,
    Vec<Vec<Option<Term>>>,
    usize,
);

/// The solutions column by column, within the bounds.
fn collect(
    results: QueryResults<'static>,
    max_rows: usize,
    max_bytes: usize,
) -> Result<Collected, QueryError> {
    let QueryResults::Solutions(solutions) = results else {
        return Err(QueryError::NotSelect);
    };
    let variables = solutions.variables().to_vec();
    let mut height = 0;
    let mut bytes = 0usize;
    let mut values: Vec<Vec<Option<Term>>> = vec![Vec::new(); variables.len()];
    for solution in solutions {
        let solution = solution.map_err(evaluation_error)?;
        height += 1;
        if height > max_rows {
            return Err(QueryError::Store(GraphError::TooLarge { limit: max_rows }));
        }
        for (i, v) in variables.iter().enumerate() {
            let term = solution.get(v).cloned();
            bytes += term.as_ref().map_or(0, |t| term_text(t).len());
            values[i].push(term);
        }
        if bytes > max_bytes {
            return Err(QueryError::Store(GraphError::TooBig { limit: max_bytes }));
        }
    }
    Ok((variables, values, height))
}

pub(crate) fn typed_column(name: &str, terms: &[Option<Term>]) -> Column {
    // Integers among decimals (COUNT next to SUM, say) make a decimal column.
    let kind = terms
        .iter()
        .flatten()
        .map(kind_of)
        .reduce(|a, b| match (a, b) {
            _ if a == b => a,
            (Kind::Integer, Kind::Decimal) | (Kind::Decimal, Kind::Integer) => Kind::Decimal,
            _ => Kind::Text,
        })
        .unwrap_or(Kind::Text);
    let text = |t: &Option<Term>| t.as_ref().map(term_text);
    let as_text = || Column::new(name.into(), terms.iter().map(text).collect::<Vec<_>>());
    match kind {
        Kind::Integer => {
            let parsed: Vec<Option<i64>> = terms
                .iter()
                .map(|t| text(t).and_then(|s| s.parse().ok()))
                .collect();
            // Integers too large for 64 bits stay text rather than turning null.
            if parsed.iter().filter(|v| v.is_some()).count()
                == terms.iter().filter(|t| t.is_some()).count()
            {
                Column::new(name.into(), parsed)
            } else {
                as_text()
            }
        }
        Kind::Decimal => {
            let parsed: Vec<Option<f64>> = terms
                .iter()
                .map(|t| text(t).and_then(|s| s.parse().ok()))
                .collect();
            // A number stays a number only when the float writes back as the
            // decimal the store holds (788200, 12345.67); a value with more
            // digits than a float keeps stays exact text rather than rounded.
            let exact = terms.iter().zip(&parsed).all(|(t, f)| match (text(t), f) {
                (None, _) => true,
                (Some(s), Some(f)) => same_decimal(&s, &format!("{f}")),
                (Some(_), None) => false,
            });
            if exact {
                Column::new(name.into(), parsed)
            } else {
                as_text()
            }
        }
        Kind::Boolean => {
            let parsed: Vec<Option<bool>> = terms
                .iter()
                .map(|t| text(t).map(|s| s == "true" || s == "1"))
                .collect();
            Column::new(name.into(), parsed)
        }
        Kind::Date => {
            let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
            let days: Vec<Option<i32>> = terms
                .iter()
                .map(|t| {
                    let day = chrono::NaiveDate::parse_from_str(&text(t)?, "%Y-%m-%d").ok()?;
                    i32::try_from((day - epoch).num_days()).ok()
                })
                .collect();
            if days.iter().filter(|d| d.is_some()).count()
                == terms.iter().filter(|t| t.is_some()).count()
            {
                Int32Chunked::from_iter_options(name.into(), days.into_iter())
                    .into_date()
                    .into_series()
                    .into_column()
            } else {
                as_text()
            }
        }
        Kind::Text => as_text(),
    }
}

/// Whether two decimal texts write the same number (`788200` and
/// `788200.0`, `0.50` and `0.5`).
fn same_decimal(a: &str, b: &str) -> bool {
    fn canonical(s: &str) -> String {
        let s = s.trim().trim_start_matches('+');
        let (negative, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
        let whole = whole.trim_start_matches('0');
        let fraction = fraction.trim_end_matches('0');
        let digits = match (whole.is_empty(), fraction.is_empty()) {
            (true, true) => return "0".to_owned(),
            (_, true) => whole.to_owned(),
            (true, false) => format!("0.{fraction}"),
            (false, false) => format!("{whole}.{fraction}"),
        };
        if negative {
            format!("-{digits}")
        } else {
            digits
        }
    }
    canonical(a) == canonical(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ttkg_graph::oxigraph::model::{Literal, NamedNode};

    fn typed(v: &str, t: &str) -> Option<Term> {
        Some(Literal::new_typed_literal(v, NamedNode::new_unchecked(format!("{XSD}{t}"))).into())
    }

    #[test]
    fn columns_take_the_type_all_their_values_share() {
        let ints = typed_column("n", &[typed("3", "integer"), None]);
        assert_eq!(ints.dtype(), &DataType::Int64);
        let money = typed_column("cny", &[typed("5.5", "decimal"), typed("2", "decimal")]);
        assert_eq!(money.dtype(), &DataType::Float64);
        let dates = typed_column("d", &[typed("2016-06-16", "date")]);
        assert_eq!(dates.dtype(), &DataType::Date);
        let mixed = typed_column("d", &[typed("2016-06-16", "date"), typed("2016", "gYear")]);
        assert_eq!(mixed.dtype(), &DataType::String);
        let counts_and_sums = typed_column("v", &[typed("7", "integer"), typed("5.9", "decimal")]);
        assert_eq!(counts_and_sums.dtype(), &DataType::Float64);
        // Digits a float cannot keep stay exact, as text.
        let precise = typed_column(
            "v",
            &[
                typed("788200", "decimal"),
                typed("123456789012345678.5", "decimal"),
            ],
        );
        assert_eq!(precise.dtype(), &DataType::String);
        assert!(same_decimal("788200", "788200.0") && same_decimal("-0.50", "-0.5"));
        assert!(!same_decimal("409099.99999999994", "409100"));
        let iri = typed_column("s", &[Some(NamedNode::new_unchecked("http://x/a").into())]);
        assert_eq!(
            iri.as_materialized_series().str().unwrap().get(0),
            Some("http://x/a")
        );
    }
}

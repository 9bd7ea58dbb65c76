//! The department's periodic report.
//!
//! A report definition in `reports/` (TOML) lists saved questions of
//! `queries/` that take a `period` parameter, each with its title, text,
//! chart and checks. [`build`] asks them of the store for a year or a month
//! (and the period before, for the figures a section compares); the writers
//! make one self-contained HTML file with its charts inline as SVG, which
//! prints to A4, and an XLSX workbook with one sheet per section, typed
//! cells and native Excel charts.

pub mod definition;
pub mod html;
pub mod report;
mod svg;
pub mod xlsx;

use std::path::PathBuf;

pub use definition::{ReportDefinition, Texts};
pub use report::{build, Cell, ChartData, Report, Section};
pub use ttkg_query::Period;

/// The newest year any agreement, membership, project, event or course is
/// dated in: the period a report opens with when none is asked for (this
/// year when the store has no dates yet).
pub fn newest_year(store: &dyn ttkg_query::Answerer) -> Result<Period, ReportError> {
    let periods =
        ttkg_query::Vocabulary::periods_with_data(store).map_err(|e| ReportError::Query {
            question: "(the newest year with data)".into(),
            source: Box::new(e),
        })?;
    let newest = periods
        .iter()
        .find(|p| matches!(p, Period::Year(_)))
        .copied();
    Ok(newest.unwrap_or_else(|| {
        let now: chrono::DateTime<chrono::Utc> = std::time::SystemTime::now().into();
        Period::Year(chrono::Datelike::year(&now))
    }))
}

/// What can go wrong making a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: {message}")]
    Definition { path: PathBuf, message: String },
    #[error("no report definition `{name}` in {dir} (there are: {available})")]
    Unknown {
        name: String,
        dir: PathBuf,
        available: String,
    },
    #[error("question `{question}`: {source}")]
    Query {
        question: String,
        /// Boxed: a query error is large, and rare.
        #[source]
        source: Box<ttkg_query::QueryError>,
    },
    #[error("{path}: {message}")]
    Write { path: PathBuf, message: String },
}

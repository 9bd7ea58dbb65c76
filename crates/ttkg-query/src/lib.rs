//! Asking the knowledge graph: saved questions with parameters, time limits,
//! results in the formats analysts' tools read, typed tables for exports,
//! and counts of what the store holds.

pub mod explain;
mod export;
mod frame;
mod output;
mod runs;
pub mod saved;
mod stats;
pub mod vocabulary;

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use ttkg_graph::oxigraph::model::{Term, Variable};
use ttkg_graph::oxigraph::sparql::{CancellationToken, QueryEvaluationError, QueryResults};
use ttkg_graph::{GraphError, GraphSelection, KnowledgeStore, Queryable};

pub use export::{
    export_table, export_tables, ExportFormat, ExportOptions, ExportedTable, LANGUAGE_FALLBACK,
};
pub use frame::{solutions_to_frame, solutions_to_frame_within, solutions_to_text_frame_within};
pub use output::{display_text, render_table, write_results, OutputFormat};
pub use runs::{run_detail, runs};
pub use saved::{ColumnDoc, Param, ParamKind, Period, SavedQuery};
pub use stats::{stats, StatsTable};
pub use vocabulary::Vocabulary;

/// What can go wrong asking a question.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The parser's message and the 1-based line and column it points at in
    /// the analyst's text (none for a query too deeply nested to parse).
    #[error("SPARQL syntax error: {message}")]
    Syntax {
        message: String,
        position: Option<(usize, usize)>,
        #[source]
        source: Option<ttkg_graph::oxigraph::sparql::SparqlSyntaxError>,
    },
    #[error("the query ran longer than its time limit (--timeout) and was stopped; narrow it with FILTER or LIMIT, or allow more time")]
    Timeout,
    #[error("the query failed: {0}")]
    Evaluation(String),
    #[error("no saved query is called `{name}`; the saved queries are: {available} (`ttkg query --list` says what each answers)")]
    UnknownSaved { name: String, available: String },
    #[error("{}: {message}", path.display())]
    SavedFile { path: PathBuf, message: String },
    #[error(
        "saved query `{query}` needs a value for `{param}` ({help}): add --param {param}=VALUE"
    )]
    MissingParam {
        query: String,
        param: String,
        help: String,
    },
    #[error("--param {param}: {message}")]
    BadParam { param: String, message: String },
    #[error("--format {format} cannot hold the results of a {kind} query; use {expected}")]
    WrongFormat {
        format: &'static str,
        kind: String,
        expected: &'static str,
    },
    #[error("this needs a SELECT query")]
    NotSelect,
    #[error("no import run is called `{id}`; the latest are: {available} (or say `last`)")]
    UnknownRun { id: String, available: String },
    #[error("writing the results failed: {0}")]
    Write(String),
    #[error(transparent)]
    Store(GraphError),
}

impl QueryError {
    /// True for mistakes in what the analyst asked (as opposed to failures
    /// of the store or the disk).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            QueryError::Syntax { .. }
                | QueryError::UnknownSaved { .. }
                | QueryError::MissingParam { .. }
                | QueryError::BadParam { .. }
                | QueryError::WrongFormat { .. }
                | QueryError::NotSelect
                | QueryError::UnknownRun { .. }
                | QueryError::SavedFile { .. }
        )
    }
}

impl From<GraphError> for QueryError {
    fn from(e: GraphError) -> Self {
        match e {
            GraphError::Syntax(e) => {
                let message = e.to_string();
                QueryError::Syntax {
                    position: explain::position(&message),
                    message,
                    source: Some(e),
                }
            }
            e @ GraphError::TooDeep { .. } => QueryError::Syntax {
                message: e.to_string(),
                position: None,
                source: None,
            },
            GraphError::Query(e) => evaluation_error(e),
            other => QueryError::Store(other),
        }
    }
}

pub(crate) fn evaluation_error(e: QueryEvaluationError) -> QueryError {
    match e {
        QueryEvaluationError::Cancelled => QueryError::Timeout,
        other => QueryError::Evaluation(other.to_string()),
    }
}

/// Cancels a query when its time is up. Results are computed lazily while
/// they are read, so keep the deadline alive until the last row is written.
///
/// oxigraph checks the cancellation token whenever the query reads the
/// store; work that reads nothing (joining `VALUES` tables, say) cannot be
/// cancelled, which is what [`Deadline::with_overrun`] is for.
pub struct Deadline {
    token: Option<CancellationToken>,
    // Dropping the sender wakes the watchdog thread, which then exits.
    _stop: Option<mpsc::Sender<()>>,
}

impl Deadline {
    /// The token that cancels evaluation at the deadline, for work that
    /// takes one directly (updates).
    pub fn token(&self) -> Option<CancellationToken> {
        self.token.clone()
    }

    /// A deadline `limit` from now; `None` never fires.
    pub fn start(limit: Option<Duration>) -> Self {
        Self::watch(limit, None)
    }

    /// [`Deadline::start`], and if the query is still running `grace` after
    /// it was cancelled, calls `overrun` (a command-line tool exits there).
    pub fn with_overrun(
        limit: Option<Duration>,
        grace: Duration,
        overrun: impl FnOnce() + Send + 'static,
    ) -> Self {
        Self::watch(limit, Some((grace, Box::new(overrun))))
    }

    #[allow(clippy::type_complexity)]
    fn watch(
        limit: Option<Duration>,
        overrun: Option<(Duration, Box<dyn FnOnce() + Send>)>,
    ) -> Self {
        let Some(limit) = limit else {
            return Deadline {
                token: None,
                _stop: None,
            };
        };
        let token = CancellationToken::new();
        let (stop, stopped) = mpsc::channel::<()>();
        let watched = token.clone();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(limit) {
                watched.cancel();
                if let Some((grace, overrun)) = overrun {
                    if let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(grace) {
                        overrun();
                    }
                }
            }
        });
        Deadline {
            token: Some(token),
            _stop: Some(stop),
        }
    }
}

/// Where questions are answered: the local store, or a remote SPARQL
/// endpoint (`--endpoint`), which implements it in ttkg-publish.
pub trait Answerer: Queryable {
    /// The answer to `sparql` with `bindings` set, within `deadline`.
    fn answer(
        &self,
        sparql: &str,
        bindings: &[(Variable, Term)],
        deadline: &Deadline,
    ) -> Result<QueryResults<'static>, QueryError>;
}

impl Answerer for KnowledgeStore {
    fn answer(
        &self,
        sparql: &str,
        bindings: &[(Variable, Term)],
        deadline: &Deadline,
    ) -> Result<QueryResults<'static>, QueryError> {
        ask(self, sparql, bindings, deadline)
    }
}

/// Runs `sparql` on the store with `bindings` under `deadline`.
pub fn ask(
    store: &KnowledgeStore,
    sparql: &str,
    bindings: &[(Variable, Term)],
    deadline: &Deadline,
) -> Result<QueryResults<'static>, QueryError> {
    ask_in(
        store,
        sparql,
        bindings,
        &GraphSelection::default(),
        deadline,
    )
}

/// [`ask`] over the graphs `selection` names (the SPARQL protocol's
/// `default-graph-uri` and `named-graph-uri`).
pub fn ask_in(
    store: &KnowledgeStore,
    sparql: &str,
    bindings: &[(Variable, Term)],
    selection: &GraphSelection,
    deadline: &Deadline,
) -> Result<QueryResults<'static>, QueryError> {
    store
        .query_in(sparql, bindings, deadline.token.clone(), selection)
        .map_err(|e| match e {
            // oxigraph binds only variables the query returns.
            GraphError::Query(QueryEvaluationError::NotExistingSubstitutedVariable(v)) => {
                QueryError::BadParam {
                    param: v.as_str().to_owned(),
                    message: format!(
                        "the query does not return {v}, so it cannot be set; add {v} to its SELECT (and GROUP BY)"
                    ),
                }
            }
            other => other.into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_point_at_the_analysts_own_line() {
        let store = KnowledgeStore::in_memory().unwrap();
        let Err(err) = ask(
            &store,
            "SELECT ?s\nWHERE { ?s a ttkg:Agreement \n  FILTER( }",
            &[],
            &Deadline::start(None),
        ) else {
            panic!("a syntax error");
        };
        assert!(
            matches!(
                err,
                QueryError::Syntax {
                    position: Some(_),
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("3:"), "{err}");
    }

    #[test]
    fn a_deadline_stops_a_query_that_reads_the_store() {
        let store = KnowledgeStore::in_memory().unwrap();
        let facts: String = (0..300)
            .map(|i| format!("<http://x/{i}> <http://x/p> \"{i}\" .\n"))
            .collect();
        store
            .bulk_load(
                facts.as_bytes(),
                ttkg_graph::oxigraph::io::RdfFormat::NTriples,
            )
            .unwrap();
        let deadline = Deadline::start(Some(Duration::from_millis(100)));
        // 27 million rows, each reading the store again: minutes of work.
        let results = ask(
            &store,
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f .
               FILTER NOT EXISTS { ?g ?s ?h . FILTER(?h = ?b && ?g = ?e) } }",
            &[],
            &deadline,
        );
        let err = match results {
            Err(e) => e,
            Ok(r) => solutions_to_frame(r).unwrap_err(),
        };
        assert!(matches!(err, QueryError::Timeout), "{err}");
    }

    #[test]
    fn an_overrun_is_reported_when_the_query_does_not_stop() {
        let (tx, rx) = mpsc::channel();
        let _deadline = Deadline::with_overrun(
            Some(Duration::from_millis(10)),
            Duration::from_millis(10),
            move || tx.send(()).unwrap(),
        );
        assert!(rx.recv_timeout(Duration::from_secs(10)).is_ok());
        // A deadline dropped in time never reports.
        let (tx, rx) = mpsc::channel();
        drop(Deadline::with_overrun(
            Some(Duration::from_millis(50)),
            Duration::from_millis(10),
            move || tx.send(()).unwrap(),
        ));
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
    }
}

//! Evaluating a query or reading a graph off the async threads, under the
//! server's time, size and concurrency limits, and writing the answer in
//! the negotiated format.

use std::time::Duration;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use ttkg_graph::oxigraph::io::RdfSerializer;
use ttkg_graph::oxigraph::model::{NamedNode, Term, Triple, Variable};
use ttkg_graph::oxigraph::sparql::results::QueryResultsSerializer;
use ttkg_graph::oxigraph::sparql::QueryResults;
use ttkg_graph::{GraphError, GraphSelection, KnowledgeStore};
use ttkg_query::{Deadline, QueryError};

use crate::negotiate::{self, Answer, Format};
use crate::{ApiError, App};

/// How long past its deadline a query may take to stop before the client
/// is told it timed out (oxigraph notices cancellation when it next reads
/// the store).
const GRACE: Duration = Duration::from_secs(1);

/// What the client asked the answer to look like.
pub struct Negotiation {
    pub accept: Option<String>,
    pub format: Option<String>,
}

impl Negotiation {
    /// The request's `Accept` header and `format=` parameter (which wins).
    pub fn of(headers: &axum::http::HeaderMap, query_string: Option<&str>) -> Self {
        Negotiation {
            accept: headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            format: crate::protocol::pairs(query_string.unwrap_or("").as_bytes())
                .into_iter()
                .find(|(n, _)| n == "format")
                .map(|(_, v)| v),
        }
    }

    fn choose(&self, answer: Answer) -> Result<Format, ApiError> {
        negotiate::choose(self.accept.as_deref(), self.format.as_deref(), answer)
            .map_err(|m| ApiError::new(StatusCode::NOT_ACCEPTABLE, m))
    }
}

/// An answer ready to send.
struct Body {
    media_type: &'static str,
    bytes: Vec<u8>,
    download: Option<&'static str>,
}

pub fn busy() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "the server is answering as many queries as it is allowed to at once; try again in a moment",
    )
}

fn timed_out(limit: Duration) -> ApiError {
    ApiError::new(
        StatusCode::GATEWAY_TIMEOUT,
        format!(
            "the query ran longer than the server's limit of {} s and was stopped; narrow it with FILTER or LIMIT",
            limit.as_secs_f64()
        ),
    )
}

/// Runs `work` on a blocking thread if a query slot is free, answering 503
/// at once if none is and 504 when it outlives the time limit.
async fn limited(
    app: &App,
    work: impl FnOnce(&KnowledgeStore, &Deadline) -> Result<Body, ApiError> + Send + 'static,
) -> Response {
    let Ok(permit) = app.slots.clone().try_acquire_owned() else {
        return busy().into_response();
    };
    let store = app.store.clone();
    let limit = app.options.timeout;
    let task = tokio::task::spawn_blocking(move || {
        // The slot is held until the evaluation really ends, even after the
        // client was told it timed out.
        let _permit = permit;
        let started = std::time::Instant::now();
        let deadline = Deadline::start(Some(limit));
        let answer = work(&store, &deadline);
        let took = started.elapsed();
        if took > limit + GRACE {
            // oxigraph checks for cancellation when it reads the store; a
            // query computing in memory (a large cross product, say) runs on.
            tracing::warn!(
                "a query ran {:.1} s, past its {} s limit, before it could be stopped; its slot was taken until then",
                took.as_secs_f64(),
                limit.as_secs_f64()
            );
        }
        answer
    });
    match tokio::time::timeout(limit + GRACE, task).await {
        Err(_) => timed_out(limit).into_response(),
        Ok(Err(_)) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the query failed inside the server (a bug: please report it with the query)",
        )
        .into_response(),
        Ok(Ok(Err(e))) if e.status == StatusCode::GATEWAY_TIMEOUT => {
            timed_out(limit).into_response()
        }
        Ok(Ok(Err(e))) => e.into_response(),
        Ok(Ok(Ok(body))) => {
            let mut response = (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, body.media_type),
                    (header::VARY, "Accept"),
                ],
                body.bytes,
            )
                .into_response();
            if let Some(name) = body.download {
                response.headers_mut().insert(
                    header::CONTENT_DISPOSITION,
                    header::HeaderValue::from_static(name),
                );
            }
            response
        }
    }
}

fn query_error(e: QueryError) -> ApiError {
    match e {
        QueryError::Timeout => ApiError::new(StatusCode::GATEWAY_TIMEOUT, "timeout"),
        QueryError::Store(e) => e.into(),
        e if e.is_usage() => ApiError::bad_request(e.to_string()),
        QueryError::Evaluation(m) => ApiError::bad_request(format!("the query failed: {m}")),
        e => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Answers a query (with `bindings` for a saved question's parameters).
pub async fn query(
    app: App,
    sparql: String,
    bindings: Vec<(Variable, Term)>,
    graphs: GraphSelection,
    negotiation: Negotiation,
) -> Response {
    let max_rows = app.options.max_rows;
    limited(&app, move |store, deadline| {
        let results = ttkg_query::ask_in(store, &sparql, &bindings, &graphs, deadline)
            .map_err(query_error)?;
        write_results(results, &negotiation, max_rows)
    })
    .await
}

/// Answers a Graph Store read: one named graph, or the default graph.
pub async fn graph(app: App, graph: Option<NamedNode>, negotiation: Negotiation) -> Response {
    let format = match negotiation.choose(Answer::Graph) {
        Ok(Format::Rdf(format)) => format,
        Ok(_) => unreachable!("graphs are offered in RDF formats only"),
        Err(e) => return e.into_response(),
    };
    let max_rows = app.options.max_rows;
    limited(&app, move |store, _| {
        let triples = store.graph_triples(graph.as_ref(), max_rows)?.ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!(
                    "the store has no graph {}; SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{}} }} lists them",
                    graph.as_ref().map(|g| g.as_str()).unwrap_or("")
                ),
            )
        })?;
        rdf_body(triples.into_iter().map(Ok), format, max_rows)
    })
    .await
}

fn serialization(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("writing the answer failed: {e}"),
    )
}

fn evaluation(e: ttkg_graph::oxigraph::sparql::QueryEvaluationError) -> ApiError {
    query_error(QueryError::from(GraphError::Query(e)))
}

fn too_large(limit: usize) -> ApiError {
    GraphError::TooLarge { limit }.into()
}

fn write_results(
    results: QueryResults<'static>,
    negotiation: &Negotiation,
    max_rows: usize,
) -> Result<Body, ApiError> {
    match results {
        QueryResults::Boolean(value) => {
            let Format::Results(format) = negotiation.choose(Answer::Boolean)? else {
                unreachable!("booleans are offered in result formats only")
            };
            let bytes = QueryResultsSerializer::from_format(format)
                .serialize_boolean_to_writer(Vec::new(), value)
                .map_err(serialization)?;
            Ok(Body {
                media_type: Format::Results(format).media_type(),
                bytes,
                download: None,
            })
        }
        QueryResults::Solutions(solutions) => match negotiation.choose(Answer::Solutions)? {
            Format::Xlsx => {
                let frame = ttkg_query::solutions_to_frame(QueryResults::Solutions(solutions))
                    .map_err(query_error)?;
                if frame.height() > max_rows {
                    return Err(too_large(max_rows));
                }
                let bytes = ttkg_tables::xlsx_bytes(&[("results", &frame)])
                    .map_err(|e| ApiError::bad_request(e.to_string()))?;
                Ok(Body {
                    media_type: negotiate::XLSX,
                    bytes,
                    download: Some("attachment; filename=\"ttkg-results.xlsx\""),
                })
            }
            Format::Results(format) => {
                let mut writer = QueryResultsSerializer::from_format(format)
                    .serialize_solutions_to_writer(Vec::new(), solutions.variables().to_vec())
                    .map_err(serialization)?;
                for (n, solution) in solutions.enumerate() {
                    if n == max_rows {
                        return Err(too_large(max_rows));
                    }
                    writer
                        .serialize(&solution.map_err(evaluation)?)
                        .map_err(serialization)?;
                }
                Ok(Body {
                    media_type: Format::Results(format).media_type(),
                    bytes: writer.finish().map_err(serialization)?,
                    download: None,
                })
            }
            Format::Rdf(_) => unreachable!("solutions are offered in result formats only"),
        },
        QueryResults::Graph(triples) => {
            let Format::Rdf(format) = negotiation.choose(Answer::Graph)? else {
                unreachable!("graphs are offered in RDF formats only")
            };
            rdf_body(triples.map(|t| t.map_err(evaluation)), format, max_rows)
        }
    }
}

fn rdf_body(
    triples: impl Iterator<Item = Result<Triple, ApiError>>,
    format: ttkg_graph::oxigraph::io::RdfFormat,
    max_rows: usize,
) -> Result<Body, ApiError> {
    let mut serializer = RdfSerializer::from_format(format);
    for (prefix, namespace) in ttkg_vocab::PREFIXES {
        serializer = serializer
            .with_prefix(*prefix, *namespace)
            .map_err(serialization)?;
    }
    let mut writer = serializer.for_writer(Vec::new());
    for (n, triple) in triples.enumerate() {
        if n == max_rows {
            return Err(too_large(max_rows));
        }
        writer.serialize_triple(&triple?).map_err(serialization)?;
    }
    Ok(Body {
        media_type: Format::Rdf(format).media_type(),
        bytes: writer.finish().map_err(serialization)?,
        download: None,
    })
}

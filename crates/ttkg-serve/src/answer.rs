//! Answering queries and Graph Store reads under the server's time, size
//! and concurrency limits: in a query worker ([`crate::worker`]) on the
//! newest snapshot, or in process where the server has no workers (tests).

use std::time::Duration;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use ttkg_graph::oxigraph::model::{NamedNode, Term, Variable};
use ttkg_graph::GraphSelection;

use crate::evaluate::{self, Body, Job, Limits, Negotiation, Request};
use crate::{ApiError, App};

/// How long past its deadline a query may take to stop before the client
/// is told it timed out (oxigraph notices cancellation when it next reads
/// the store).
const GRACE: Duration = Duration::from_secs(1);

impl Negotiation {
    /// The request's `Accept` header, its `format=` parameter (which wins;
    /// see [`crate::negotiate`]) and whether a CSV is for a spreadsheet
    /// (`for=spreadsheet`, as the query page's download asks).
    pub fn of(headers: &axum::http::HeaderMap, query_string: Option<&str>) -> Self {
        let pairs = crate::protocol::pairs(query_string.unwrap_or("").as_bytes());
        let value = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        Negotiation {
            accept: headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            format: value("format")
                .or_else(|| value("output"))
                .or_else(|| value("results")),
            for_spreadsheet: value("for").as_deref() == Some("spreadsheet"),
        }
    }
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

fn limits(app: &App) -> Limits {
    Limits {
        max_rows: app.options.max_rows,
        max_bytes: app.options.max_bytes,
        timeout: app.options.timeout,
    }
}

/// Evaluates `request` if a query slot is free (503 at once if none is),
/// answering 504 when it outlives the time limit.
async fn limited(app: &App, request: Request) -> Response {
    let Ok(permit) = app.slots.clone().try_acquire_owned() else {
        return busy().into_response();
    };
    let limit = app.options.timeout;
    let answer = match &app.workers {
        Some(pool) => {
            let answer = pool.clone().evaluate(request, limit).await;
            // The worker is done or killed: the slot is free.
            drop(permit);
            answer
        }
        None => {
            let backend = app.backend.clone();
            // In process, the slot is held until the evaluation really
            // ends, even after the client was told it timed out.
            let task = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                evaluate::evaluate_on(&backend, &request)
            });
            match tokio::time::timeout(limit + GRACE, task).await {
                Err(_) => Err(ApiError::new(StatusCode::GATEWAY_TIMEOUT, "timeout")),
                Ok(Err(_)) => Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the query failed inside the server (a bug: please report it with the query)",
                )),
                Ok(Ok(answer)) => answer,
            }
        }
    };
    match answer {
        Err(e) if e.status == StatusCode::GATEWAY_TIMEOUT => timed_out(limit).into_response(),
        Err(e) => e.into_response(),
        Ok(body) => respond(body),
    }
}

fn respond(body: Body) -> Response {
    let mut response = (StatusCode::OK, [(header::VARY, "Accept")], body.bytes).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = header::HeaderValue::from_str(&body.media_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Some(value) = body
        .download
        .and_then(|d| header::HeaderValue::from_str(&d).ok())
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if !body.warnings.is_empty() {
        if let Ok(value) = header::HeaderValue::from_str(&warning_header(&body.warnings)) {
            headers.insert(WARNING, value);
        }
    }
    response
}

/// The header that carries an answer's warnings.
pub const WARNING: header::HeaderName = header::HeaderName::from_static("x-ttkg-warning");

/// Warnings as one header value: joined by ` || `, with `%` and what is not
/// printable ASCII percent-encoded (UTF-8), as `decodeURIComponent` reads.
pub fn warning_header(warnings: &[String]) -> String {
    let mut value = String::new();
    for (n, warning) in warnings.iter().enumerate() {
        if n > 0 {
            value.push_str(" || ");
        }
        for byte in warning.bytes() {
            if (0x20..0x7f).contains(&byte) && byte != b'%' {
                value.push(byte as char);
            } else {
                value.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    value
}

/// Answers a query (with `bindings` for a saved question's parameters).
pub async fn query(
    app: App,
    sparql: String,
    bindings: Vec<(Variable, Term)>,
    graphs: GraphSelection,
    negotiation: Negotiation,
) -> Response {
    let request = Request::query(sparql, &bindings, &graphs, &negotiation, limits(&app));
    limited(&app, request).await
}

/// Builds a report ([`Job::Report`]) under the query limits.
pub async fn report(app: App, job: Job) -> Response {
    let request = Request {
        job,
        accept: None,
        format: None,
        for_spreadsheet: false,
        limits: limits(&app),
    };
    limited(&app, request).await
}

/// Answers a Graph Store read: one named graph, or the default graph.
pub async fn graph(app: App, graph: Option<NamedNode>, negotiation: Negotiation) -> Response {
    let request = Request {
        job: Job::Graph {
            graph: graph.map(|g| g.as_str().to_owned()),
        },
        accept: negotiation.accept,
        format: negotiation.format,
        for_spreadsheet: false,
        limits: limits(&app),
    };
    limited(&app, request).await
}

//! `ttkg serve`: the knowledge graph on the network the standard way, for
//! YASGUI, SPARQLWrapper, R, Power BI, curl and the browser.
//!
//! - `/sparql`: the SPARQL 1.1 Protocol (queries by GET and POST; updates
//!   by POST when writes are on), with content negotiation.
//! - `/store`: the SPARQL 1.1 Graph Store Protocol (GET; PUT, POST and
//!   DELETE when writes are on).
//! - `/`: the query page; `/api/saved`: the saved questions of `queries/`.
//!
//! Safe by default: writes off unless a bearer token is configured, every
//! query under a time limit and a result-size limit, a bounded number of
//! queries at once (503 beyond), a bounded request body. Queries run on
//! oxigraph snapshots, so while an import runs each source is seen whole
//! before or whole after.

mod answer;
mod backend;
mod evaluate;
mod forward;
mod guard;
mod negotiate;
mod page;
mod protocol;
mod report;
pub mod worker;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use tokio::sync::Semaphore;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use ttkg_graph::oxigraph::model::NamedNode;
use ttkg_graph::{GraphError, KnowledgeStore};

pub use backend::Backend;
pub use forward::{forward_import, local_address, ForwardError, Forwarded, ImportHook, ServeFile};
pub use worker::{worker_main, WorkerCommand};

/// How the server behaves; every limit has a safe default.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The saved questions offered on the query page.
    pub queries_dir: PathBuf,
    /// The report definitions `/report` builds (default: `reports/` beside
    /// the saved questions).
    pub reports_dir: PathBuf,
    /// The longest a query may run.
    pub timeout: Duration,
    /// The most rows (or triples) one answer may have.
    pub max_rows: usize,
    /// The largest answer, in bytes.
    pub max_bytes: usize,
    /// The memory one query may take (in a worker), in bytes.
    pub max_memory: usize,
    /// The address the server listens on: on loopback, requests must be
    /// addressed to a loopback name (DNS rebinding).
    pub bound: Option<std::net::SocketAddr>,
    /// Connections open at once; more are closed at once.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers.
    pub header_timeout: Duration,
    /// How to start query workers; `None` evaluates queries in the
    /// server's own process (tests), where nothing stops a runaway query.
    pub workers: Option<WorkerCommand>,
    /// Queries evaluated at once; more get 503 at once.
    pub max_concurrent: usize,
    /// The largest request body, in bytes.
    pub max_body: usize,
    /// Origins allowed to call from a browser page elsewhere (`*`: any);
    /// empty: no CORS headers.
    pub cors_origins: Vec<String>,
    /// With a token, SPARQL Update and Graph Store writes are accepted from
    /// requests that carry it (`Authorization: Bearer …`).
    pub write_token: Option<String>,
}

impl ServeOptions {
    pub fn new(queries_dir: PathBuf) -> Self {
        ServeOptions {
            reports_dir: queries_dir.with_file_name("reports"),
            queries_dir,
            timeout: Duration::from_secs(30),
            max_rows: 100_000,
            max_bytes: 256 << 20,
            max_memory: 1 << 30,
            workers: None,
            bound: None,
            max_connections: 256,
            header_timeout: Duration::from_secs(10),
            max_concurrent: 4,
            max_body: 1 << 20,
            cors_origins: Vec::new(),
            write_token: None,
        }
    }
}

/// What went wrong starting the server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("--cors-origin {0}: not a valid origin (write it as https://host:port, or * for any)")]
    Origin(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A failed request: its status and what to tell the client, as text.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<GraphError> for ApiError {
    fn from(e: GraphError) -> Self {
        let status = match &e {
            GraphError::Syntax(_)
            | GraphError::TooDeep { .. }
            | GraphError::WriteRefused(_)
            | GraphError::Io(_)
            | GraphError::Update(_)
            | GraphError::Query(_) => StatusCode::BAD_REQUEST,
            GraphError::TooLarge { .. } | GraphError::TooBig { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{}\n", self.message),
        )
            .into_response();
        match self.status {
            StatusCode::SERVICE_UNAVAILABLE => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            StatusCode::UNAUTHORIZED => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

struct Shared {
    backend: Backend,
    /// Where queries run, when the server has workers.
    workers: Option<Arc<worker::Pool>>,
    options: ServeOptions,
    slots: Arc<Semaphore>,
    import: Option<forward::Importer>,
    /// One write at a time — an import, an update, a graph store write —
    /// as the import lock ensures across processes: each keeps the default
    /// graph the union of the named graphs by reading what the others
    /// committed.
    writes: Arc<tokio::sync::Mutex<()>>,
}

type App = Arc<Shared>;

/// The routes, for [`serve`] and for tests that call them in process.
/// `import` lets `ttkg import` hand its run to this server (see
/// [`forward_import`]): the secret it must present and the hook that runs it.
pub fn router(
    backend: Backend,
    options: ServeOptions,
    import: Option<(String, ImportHook)>,
) -> Result<Router, ServeError> {
    let cors = cors(&options.cors_origins)?;
    let max_body = options.max_body;
    let (bound, cors_origins) = (options.bound, options.cors_origins.clone());
    let workers = options.workers.clone().map(|command| {
        let pool = worker::Pool::new(command, options.max_memory);
        pool.warm();
        Arc::new(pool)
    });
    let app: App = Arc::new(Shared {
        workers,
        slots: Arc::new(Semaphore::new(options.max_concurrent.max(1))),
        backend,
        options,
        import: import.map(|(secret, hook)| forward::Importer::new(secret, hook)),
        writes: Arc::new(tokio::sync::Mutex::new(())),
    });
    let mut router = Router::new()
        .route("/", get(page::index))
        .route("/entity", get(page::entity))
        .route("/report", get(report))
        .route("/assets/{file}", get(page::asset))
        .route("/sparql", any(sparql))
        .route("/store", any(graph_store))
        .route("/api/saved", get(saved_list))
        .route("/api/prefixes", get(prefixes))
        .route("/api/source", get(source))
        .route("/api/saved/{name}", get(saved_answer))
        .route("/ttkg/hello", get(forward::hello))
        .route("/ttkg/import", post(forward::import))
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not found: the SPARQL endpoint is /sparql, the graph store /store, the query page /",
            )
        })
        .with_state(app)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the server failed on this request (a bug: please report it with the request)",
            )
            .into_response()
        }));
    if let Some(cors) = cors {
        router = router.layer(cors);
    }
    // Outermost: a request from a rebound name or another site's page is
    // refused before anything else sees it.
    router = router.layer(axum::middleware::from_fn_with_state(
        Arc::new(guard::Policy::new(bound, &cors_origins)),
        guard::guard,
    ));
    Ok(router)
}

fn cors(origins: &[String]) -> Result<Option<CorsLayer>, ServeError> {
    if origins.is_empty() {
        return Ok(None);
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .map(|o| {
                    let valid = (o.starts_with("http://") || o.starts_with("https://"))
                        && !o.trim_end_matches('/').contains(['?', '#', ' '])
                        && o.split("://").nth(1).is_some_and(|host| !host.is_empty());
                    valid
                        .then(|| HeaderValue::from_str(o.trim_end_matches('/')).ok())
                        .flatten()
                        .ok_or_else(|| ServeError::Origin(o.clone()))
                })
                .collect::<Result<Vec<_>, _>>()?,
        )
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::DELETE,
            ])
            .allow_headers([header::ACCEPT, header::CONTENT_TYPE, header::AUTHORIZATION])
            .expose_headers([answer::WARNING])
            .max_age(Duration::from_secs(3600)),
    ))
}

/// How many connections a server keeps and how long it waits for headers.
#[derive(Debug, Clone, Copy)]
pub struct Connections {
    pub max: usize,
    pub header_timeout: Duration,
}

impl From<&ServeOptions> for Connections {
    fn from(options: &ServeOptions) -> Self {
        Connections {
            max: options.max_connections.max(1),
            header_timeout: options.header_timeout,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then finishes
/// the requests under way (for at most 30 s). A connection over the cap is
/// closed at once; one that does not send its headers in time is closed.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    connections: Connections,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let open = Arc::new(Semaphore::new(connections.max));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait, do not spin.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(connections.header_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(30), graceful.shutdown()).await;
    Ok(())
}

async fn sparql(
    State(app): State<App>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query_string): RawQuery,
    body: Bytes,
) -> Response {
    let negotiation = evaluate::Negotiation::of(&headers, query_string.as_deref());
    let no_query = query_string.as_deref().is_none_or(str::is_empty) && method == Method::GET;
    let from_browser = negotiation
        .accept
        .as_deref()
        .is_some_and(|a| a.contains("text/html"));
    if no_query && from_browser {
        return axum::response::Redirect::to("/").into_response();
    }
    let request = match protocol::sparql_request(&method, &headers, query_string.as_deref(), &body)
    {
        Ok(request) => request,
        Err(e) => return e.into_response(),
    };
    match request {
        protocol::SparqlRequest::Query { query, graphs } => {
            answer::query(app, query, Vec::new(), graphs, negotiation).await
        }
        protocol::SparqlRequest::Update { update } => match app.workers.clone() {
            Some(pool) => update_in_worker(&app, &headers, pool, update).await,
            None => {
                write(&app, &headers, move |store| {
                    store.update(&update)?;
                    Ok(StatusCode::NO_CONTENT)
                })
                .await
            }
        },
    }
}

async fn graph_store(
    State(app): State<App>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query_string): RawQuery,
    body: Bytes,
) -> Response {
    let target = match protocol::graph_target(query_string.as_deref()) {
        Ok(target) => target,
        Err(e) => return e.into_response(),
    };
    let graph = match target {
        protocol::GraphTarget::Named(g) => Some(g),
        protocol::GraphTarget::Default => None,
    };
    if method == Method::GET || method == Method::HEAD {
        let negotiation = evaluate::Negotiation::of(&headers, query_string.as_deref());
        return answer::graph(app, graph, negotiation).await;
    }
    if !matches!(method, Method::PUT | Method::POST | Method::DELETE) {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "/store takes GET, and PUT, POST and DELETE when writes are on",
        )
        .into_response();
    }
    let Some(graph) = graph else {
        return ApiError::bad_request(
            "the default graph is the union of the named graphs and cannot be written directly; write a named graph (?graph=IRI)",
        )
        .into_response();
    };
    let content_type = protocol::content_type(&headers);
    write(&app, &headers, move |store| {
        gsp_write(store, &method, &graph, content_type.as_deref(), &body)
    })
    .await
}

fn gsp_write(
    store: &KnowledgeStore,
    method: &Method,
    graph: &NamedNode,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<StatusCode, ApiError> {
    let existed = store.has_graph(graph)?;
    if *method == Method::DELETE {
        if !existed {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("the store has no graph {graph}"),
            ));
        }
        store.retract_graph(graph)?;
        return Ok(StatusCode::NO_CONTENT);
    }
    let format = content_type
        .and_then(ttkg_graph::oxigraph::io::RdfFormat::from_media_type)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "send the graph as text/turtle, application/n-triples or application/rdf+xml, not {}",
                    content_type.unwrap_or("(no Content-Type)")
                ),
            )
        })?;
    let triples = ttkg_graph::parse_triples(body, format)?;
    if *method == Method::PUT {
        store.replace_graph(graph, &triples)?;
    } else {
        store.add_to_graph(graph, &triples)?;
    }
    Ok(if existed {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::CREATED
    })
}

/// Runs a write, if writes are on and the request carries the token.
async fn write(
    app: &App,
    headers: &HeaderMap,
    change: impl FnOnce(&KnowledgeStore) -> Result<StatusCode, ApiError> + Send + 'static,
) -> Response {
    let store = match app.backend.local() {
        Ok(store) => store.clone(),
        Err(e) => return e.into_response(),
    };
    if let Err(e) = authorize(app, headers) {
        return e.into_response();
    }
    let Ok(permit) = app.slots.clone().try_acquire_owned() else {
        return answer::busy().into_response();
    };
    let turn = app.writes.clone().lock_owned().await;
    let done = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let _turn = turn;
        let status = change(&store)?;
        // Query workers read snapshots: the write is seen once published.
        if store.path().is_some() {
            store.publish_snapshot()?;
        }
        Ok::<_, ApiError>(status)
    })
    .await;
    match done {
        Ok(Ok(status)) => status.into_response(),
        Ok(Err(e)) => e.into_response(),
        Err(_) => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the write failed").into_response()
        }
    }
}

/// An update: its WHERE may compute without limit, so a worker evaluates
/// it on a scratch copy of the newest snapshot (killed at the time limit,
/// stopped at the memory budget), and the server applies only the
/// difference it reports. Under the write turn the newest snapshot is the
/// committed store, so the difference is exact.
async fn update_in_worker(
    app: &App,
    headers: &HeaderMap,
    pool: Arc<worker::Pool>,
    update: String,
) -> Response {
    let store = match app.backend.local() {
        Ok(store) => store.clone(),
        Err(e) => return e.into_response(),
    };
    if let Err(e) = authorize(app, headers) {
        return e.into_response();
    }
    let Ok(permit) = app.slots.clone().try_acquire_owned() else {
        return answer::busy().into_response();
    };
    let turn = app.writes.clone().lock_owned().await;
    let request = evaluate::Request {
        job: evaluate::Job::Update { sparql: update },
        accept: None,
        format: None,
        for_spreadsheet: false,
        limits: evaluate::Limits {
            max_rows: app.options.max_rows,
            max_bytes: app.options.max_bytes,
            timeout: app.options.timeout,
        },
    };
    let evaluated = pool.evaluate(request, app.options.timeout).await;
    let body = match evaluated {
        Ok(body) => body,
        Err(e) if e.status == StatusCode::GATEWAY_TIMEOUT => {
            return ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                format!(
                    "the update ran longer than the server's limit of {} s and was stopped; nothing was changed",
                    app.options.timeout.as_secs_f64()
                ),
            )
            .into_response()
        }
        Err(e) => return e.into_response(),
    };
    let done = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let _turn = turn;
        let delta = evaluate::read_delta(&body.bytes)?;
        store.apply_delta(&delta)?;
        store.publish_snapshot()?;
        Ok::<_, ApiError>(StatusCode::NO_CONTENT)
    })
    .await;
    match done {
        Ok(Ok(status)) => status.into_response(),
        Ok(Err(e)) => e.into_response(),
        Err(_) => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the write failed").into_response()
        }
    }
}

fn authorize(app: &App, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = &app.options.write_token else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "writes are off on this server; start it with --allow-writes and a token (TTKG_SERVE_TOKEN) to accept them",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(given) if same_secret(given.trim(), token) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "this write needs the server's token: send Authorization: Bearer TOKEN",
        )),
    }
}

/// The least estimated entropy a write token must have, in bits.
pub const TOKEN_BITS: f64 = 64.0;

/// Whether `token` is strong enough to guard writes: 16 characters or
/// more, and at least [`TOKEN_BITS`] of entropy estimated from how its
/// characters vary (`aaaaaaaaaaaaaaaa` has none, `password12345678` little).
pub fn check_token(token: &str) -> Result<(), String> {
    let chars: Vec<char> = token.chars().collect();
    let mut counts = std::collections::HashMap::new();
    for c in &chars {
        *counts.entry(*c).or_insert(0usize) += 1;
    }
    let n = chars.len() as f64;
    let per_char: f64 = counts
        .values()
        .map(|k| {
            let p = *k as f64 / n;
            -p * p.log2()
        })
        .sum();
    let bits = per_char * n;
    if chars.len() < 16 || bits < TOKEN_BITS {
        return Err(format!(
            "the token is too weak to guard writes ({} characters, about {bits:.0} bits; at least 16 characters and {TOKEN_BITS:.0} bits are needed): `ttkg serve --new-token` makes a strong one",
            chars.len()
        ));
    }
    Ok(())
}

/// A new random write token (256 bits, hex).
pub fn new_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Compares secrets in time independent of where they differ.
fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// The predeclared prefixes and the entities' namespace, with which the
/// page shows IRIs as `ttkg:Agreement` and `org/…`.
async fn prefixes() -> Response {
    let prefixes: serde_json::Map<String, serde_json::Value> = ttkg_vocab::PREFIXES
        .iter()
        .map(|(p, ns)| ((*p).to_owned(), (*ns).into()))
        .collect();
    axum::Json(serde_json::json!({
        "prefixes": prefixes,
        "ids": ttkg_vocab::ID,
        "ontology": ttkg_vocab::ONTOLOGY_GRAPH,
    }))
    .into_response()
}

/// Where the answers come from: `{"endpoint": null}` for the server's own
/// store, the address of the remote store otherwise (the page says so).
async fn source(State(app): State<App>) -> Response {
    axum::Json(serde_json::json!({ "endpoint": app.backend.remote_address() })).into_response()
}

async fn saved_list(State(app): State<App>) -> Response {
    let listed = tokio::task::spawn_blocking(move || {
        let queries = ttkg_query::saved::load_dir(&app.options.queries_dir)?;
        let vocabulary = app.backend.vocabulary();
        let answerer = app.backend.answerer();
        // A `period` parameter is offered the years and months with data.
        let periods: Vec<String> = ttkg_query::Vocabulary::periods_with_data(answerer)
            .map(|p| p.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        // The values `# @choices` offers, by parameter; a failure leaves
        // the parameter free text rather than failing the list.
        let suggestions: Vec<Vec<Vec<String>>> = queries
            .iter()
            .map(|q| {
                q.params
                    .iter()
                    .map(|p| {
                        if p.kind == ttkg_query::ParamKind::Period && p.suggest_from.is_none() {
                            return periods.clone();
                        }
                        p.suggest_from
                            .as_deref()
                            .and_then(|property| {
                                ttkg_query::Vocabulary::values_of(
                                    answerer,
                                    property,
                                    MAX_SUGGESTIONS,
                                )
                                .inspect_err(|e| {
                                    tracing::warn!(
                                        "saved query {}: the values of `{property}` for `{}` could not be read, so it is offered as free text: {e}",
                                        q.name,
                                        p.name
                                    )
                                })
                                .ok()
                            })
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .collect();
        Ok::<_, ttkg_query::QueryError>((queries, vocabulary, suggestions))
    })
    .await;
    match listed {
        Ok(Ok((queries, vocabulary, suggestions))) => {
            let list: Vec<serde_json::Value> = queries
                .iter()
                .zip(&suggestions)
                .map(|(q, suggested)| saved_json(q, suggested, &vocabulary))
                .collect();
            axum::Json(list).into_response()
        }
        Ok(Err(e)) => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
        }
        Err(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "listing the saved queries failed",
        )
        .into_response(),
    }
}

/// One saved question as `/api/saved` lists it: titles, descriptions,
/// headers and `# @label` names by language, its chart, and its parameters
/// with their choices and suggested values.
fn saved_json(
    q: &ttkg_query::SavedQuery,
    suggested: &[Vec<String>],
    vocabulary: &ttkg_query::Vocabulary,
) -> serde_json::Value {
    // Titles, descriptions and headers by language tag; the
    // first header lines of the file are English.
    let mut titles = serde_json::Map::new();
    titles.insert("en".into(), q.title.clone().into());
    for (lang, title) in &q.titles {
        titles.insert(lang.clone(), title.clone().into());
    }
    let mut descriptions = serde_json::Map::new();
    descriptions.insert("en".into(), q.description.clone().into());
    for (lang, description) in &q.descriptions {
        descriptions.insert(lang.clone(), description.clone().into());
    }
    // `# @label` translations: language, then value to its name.
    let mut labels = serde_json::Map::new();
    for (lang, value, name) in &q.labels {
        if let serde_json::Value::Object(names) = labels
            .entry(lang.clone())
            .or_insert_with(|| serde_json::Value::Object(Default::default()))
        {
            names.insert(value.clone(), name.clone().into());
        }
    }
    serde_json::json!({
        "name": q.name,
        "title": q.title,
        "labels": labels,
        "titles": titles,
        "description": q.description,
        "descriptions": descriptions,
        "columns": q.columns.iter().map(|c| serde_json::json!({
            "variable": c.variable,
            "headers": c.headers.iter().map(|(lang, header)| (lang.clone(), header.clone().into())).collect::<serde_json::Map<_, _>>(),
            "description": c.description,
        })).collect::<Vec<_>>(),
        "chart": q.chart.as_ref().map(|c| serde_json::json!({
            "type": c.kind, "x": c.x, "series": c.series, "value": c.value,
        })),
        "totals": q.totals,
        "text": q.text,
        "params": q.params.iter().zip(suggested).map(|(p, values)| serde_json::json!({
            "name": p.name,
            "kind": p.kind.name(),
            "default": p.default,
            "help": p.help,
            "choices": choices(p, vocabulary),
            "suggestions": values.iter().take(MAX_SUGGESTIONS).collect::<Vec<_>>(),
            "moreSuggestions": values.len() > MAX_SUGGESTIONS,
        })).collect::<Vec<_>>(),
    })
}

/// How many values of a `# @choices` property the page is sent.
const MAX_SUGGESTIONS: usize = 5_000;

/// The values a parameter of a concept kind may take, for the page's
/// drop-down: what to send (a country's code, a concept's IRI) and its
/// names. Empty for free-text parameters.
fn choices(
    param: &ttkg_query::Param,
    vocabulary: &ttkg_query::Vocabulary,
) -> Vec<serde_json::Value> {
    let Some(scheme) = param.kind.scheme() else {
        return Vec::new();
    };
    vocabulary
        .schemes
        .get(scheme)
        .map(|concepts| {
            concepts
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "value": c.code.clone().unwrap_or_else(|| c.iri.clone()),
                        "label": c.shown(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A saved question's answer, its parameters given in the query string
/// (`/api/saved/technologies-to-country?country=TH`).
/// `/report?name=monthly&period=2016-06&lang=zh[&format=xlsx]`: the
/// periodic report as a page (with a form to pick another period) or as a
/// workbook, built in a query worker under the server's limits.
async fn report(State(app): State<App>, RawQuery(query_string): RawQuery) -> Response {
    let pairs = protocol::pairs(query_string.as_deref().unwrap_or("").as_bytes());
    let value = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let period = match value("period") {
        None => None,
        Some(text) => match ttkg_query::Period::parse(&text) {
            Some(period) => Some(period.to_string()),
            None => {
                return ApiError::bad_request(format!(
                    "period: `{text}` is not a period; write a year (2016) or a month (2016-06)"
                ))
                .into_response()
            }
        },
    };
    let lang = match value("lang").as_deref() {
        None | Some("zh") => "zh",
        Some("en") => "en",
        Some(other) => {
            return ApiError::bad_request(format!("lang: `{other}`; the report is in zh or en"))
                .into_response()
        }
    };
    let xlsx = match value("format").as_deref() {
        None | Some("html") => false,
        Some("xlsx") => true,
        Some(other) => {
            return ApiError::bad_request(format!("format: `{other}`; html or xlsx"))
                .into_response()
        }
    };
    let job = evaluate::Job::Report {
        reports_dir: app.options.reports_dir.clone(),
        queries_dir: app.options.queries_dir.clone(),
        name: value("name").unwrap_or_else(|| "monthly".into()),
        period,
        lang: lang.into(),
        xlsx,
    };
    answer::report(app, job).await
}

async fn saved_answer(
    State(app): State<App>,
    Path(name): Path<String>,
    headers: HeaderMap,
    RawQuery(query_string): RawQuery,
) -> Response {
    let saved = match ttkg_query::saved::find(&app.options.queries_dir, &name) {
        Ok(saved) => saved,
        Err(e) => return ApiError::new(StatusCode::NOT_FOUND, e.to_string()).into_response(),
    };
    let given: Vec<(String, String)> =
        protocol::pairs(query_string.as_deref().unwrap_or("").as_bytes())
            .into_iter()
            .filter(|(n, _)| !["format", "output", "results", "for"].contains(&n.as_str()))
            .collect();
    let backend = app.backend.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let vocabulary = backend.vocabulary();
        saved
            .bindings_checked(&given, Some(&vocabulary))
            .map(|b| (saved, b))
    })
    .await;
    let (saved, bindings) = match checked {
        Ok(Ok(checked)) => checked,
        Ok(Err(e)) => return ApiError::bad_request(e.to_string()).into_response(),
        Err(_) => {
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "checking the parameters failed",
            )
            .into_response()
        }
    };
    let negotiation = evaluate::Negotiation::of(&headers, query_string.as_deref());
    answer::query(
        app,
        saved.text,
        bindings,
        ttkg_graph::GraphSelection::default(),
        negotiation,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_tokens_are_refused() {
        for weak in ["aaaaaaaaaaaaaaaa", "abababababababababab", "short"] {
            assert!(check_token(weak).is_err(), "{weak}");
        }
        assert!(check_token(&new_token().unwrap()).is_ok());
        assert!(check_token("Xk3-q9Zr2mLp8Vw4tBn7").is_ok());
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abd", "abc"));
        assert!(!same_secret("ab", "abc"));
        assert!(!same_secret("", "abc"));
    }

    #[test]
    fn cors_origins_are_checked_at_start_up() {
        assert!(cors(&[]).unwrap().is_none());
        assert!(cors(&["*".into()]).unwrap().is_some());
        assert!(cors(&["https://analysts.example.org".into()])
            .unwrap()
            .is_some());
        assert!(matches!(
            cors(&["analysts.example.org".into()]),
            Err(ServeError::Origin(_))
        ));
    }
}

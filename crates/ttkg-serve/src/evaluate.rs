//! Evaluating one request — a query, or a Graph Store read — on a store and
//! writing its answer in the negotiated format, within the request's row,
//! byte and time limits. Runs in a query worker process (see
//! [`crate::worker`]), or in process for tests.

use std::io::Write;
use std::time::Duration;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use ttkg_graph::oxigraph::io::{RdfFormat, RdfParser, RdfSerializer};
use ttkg_graph::oxigraph::model::{NamedNode, Quad, Term, Triple, Variable};
use ttkg_graph::oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use ttkg_graph::oxigraph::sparql::QueryResults;
use ttkg_graph::{GraphError, GraphSelection, KnowledgeStore, UpdateDelta};
use ttkg_query::{Answerer, Deadline, QueryError};

use crate::backend::Backend;
use crate::negotiate::{self, Answer, Format};
use crate::ApiError;

/// What to evaluate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Job {
    /// A SPARQL query, with variables bound (as N-Triples terms) and the
    /// protocol's dataset (`default-graph-uri`, `named-graph-uri`).
    Query {
        sparql: String,
        bindings: Vec<(String, String)>,
        default_graphs: Vec<String>,
        named_graphs: Vec<String>,
    },
    /// A Graph Store read: a named graph, or the default graph.
    Graph { graph: Option<String> },
    /// A SPARQL Update, answered with what it would change
    /// ([`delta_body`]), never applied where it is evaluated.
    Update { sparql: String },
    /// A periodic report (`ttkg report`): its page with the period picker,
    /// or its workbook. Without a period, the newest year with data.
    Report {
        reports_dir: std::path::PathBuf,
        queries_dir: std::path::PathBuf,
        name: String,
        period: Option<String>,
        lang: String,
        xlsx: bool,
    },
}

/// How big and how long an answer may be.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Limits {
    pub max_rows: usize,
    pub max_bytes: usize,
    pub timeout: Duration,
}

/// A request with what the client asked its answer to look like.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub job: Job,
    pub accept: Option<String>,
    pub format: Option<String>,
    /// CSV for a spreadsheet: with a byte-order mark, and text a
    /// spreadsheet would run as a formula written as text (the query page's
    /// download), rather than the W3C format's exact values.
    pub for_spreadsheet: bool,
    pub limits: Limits,
}

/// An answer ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub media_type: String,
    pub bytes: Vec<u8>,
    pub download: Option<String>,
    /// What the analyst should know about the question (a term the
    /// ontology does not define, a selected variable used nowhere), sent as
    /// `X-Ttkg-Warning` headers and shown by the query page.
    pub warnings: Vec<String>,
}

impl Request {
    pub fn query(
        sparql: String,
        bindings: &[(Variable, Term)],
        graphs: &GraphSelection,
        negotiation: &Negotiation,
        limits: Limits,
    ) -> Self {
        let iris = |g: &[NamedNode]| g.iter().map(|n| n.as_str().to_owned()).collect();
        Request {
            job: Job::Query {
                sparql,
                bindings: bindings
                    .iter()
                    .map(|(v, t)| (v.as_str().to_owned(), t.to_string()))
                    .collect(),
                default_graphs: iris(&graphs.default_graphs),
                named_graphs: iris(&graphs.named_graphs),
            },
            accept: negotiation.accept.clone(),
            format: negotiation.format.clone(),
            for_spreadsheet: negotiation.for_spreadsheet,
            limits,
        }
    }

    fn choose(&self, answer: Answer) -> Result<Format, ApiError> {
        negotiate::choose(self.accept.as_deref(), self.format.as_deref(), answer)
            .map_err(|m| ApiError::new(StatusCode::NOT_ACCEPTABLE, m))
    }
}

/// What the client asked the answer to look like, from the HTTP request.
#[derive(Debug, Clone, Default)]
pub struct Negotiation {
    pub accept: Option<String>,
    pub format: Option<String>,
    pub for_spreadsheet: bool,
}

/// Evaluates `request` on what the server answers from: the embedded
/// store (in process), or the remote endpoint of `ttkg serve --endpoint`.
pub fn evaluate_on(backend: &Backend, request: &Request) -> Result<Body, ApiError> {
    match backend {
        Backend::Local(store) => evaluate(store, request),
        Backend::Remote(_) => evaluate_remote(backend, request),
    }
}

/// The variables a request binds, as oxigraph terms.
fn parsed_bindings(bindings: &[(String, String)]) -> Result<Vec<(Variable, Term)>, ApiError> {
    bindings
        .iter()
        .map(|(v, t)| {
            let variable = Variable::new(v).map_err(|e| ApiError::bad_request(e.to_string()))?;
            let term: Term =
                t.parse()
                    .map_err(|e: ttkg_graph::oxigraph::model::TermParseError| {
                        ApiError::bad_request(e.to_string())
                    })?;
            Ok((variable, term))
        })
        .collect()
}

/// A query the parser refuses, explained in plain words with its position.
fn syntax(sparql: &str) -> impl Fn(QueryError) -> ApiError + '_ {
    move |e| match e {
        QueryError::Syntax {
            message, position, ..
        } => ApiError::bad_request(ttkg_query::explain::syntax_error(
            sparql, &message, position,
        )),
        e => query_error(e),
    }
}

/// Evaluates `request` on `store`.
pub fn evaluate(store: &KnowledgeStore, request: &Request) -> Result<Body, ApiError> {
    let deadline = Deadline::start(Some(request.limits.timeout));
    match &request.job {
        Job::Query {
            sparql,
            bindings,
            default_graphs,
            named_graphs,
        } => {
            let bindings = parsed_bindings(bindings)?;
            let iris = |g: &[String]| {
                g.iter()
                    .map(|i| NamedNode::new(i).map_err(|e| ApiError::bad_request(e.to_string())))
                    .collect::<Result<Vec<_>, _>>()
            };
            let graphs = GraphSelection {
                default_graphs: iris(default_graphs)?,
                named_graphs: iris(named_graphs)?,
            };
            let results = ttkg_query::ask_in(store, sparql, &bindings, &graphs, &deadline)
                .map_err(syntax(sparql))?;
            let mut body = write_results(results, request)?;
            let vocabulary = ttkg_query::Vocabulary::load(store).unwrap_or_default();
            body.warnings = warnings(&vocabulary, sparql);
            Ok(body)
        }
        Job::Report { .. } => report(store, request, &deadline),
        Job::Update { sparql } => {
            let delta = store
                .update_delta(sparql, deadline.token())
                .map_err(|e| query_error(QueryError::from(e)))?;
            delta_body(&delta, &request.limits)
        }
        Job::Graph { graph } => {
            let (format, graph) = graph_asked(request, graph.as_deref())?;
            let triples = store
                .graph_triples(graph.as_ref(), request.limits.max_rows)?
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::NOT_FOUND,
                        format!(
                            "the store has no graph {}; SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{}} }} lists them",
                            graph.as_ref().map(|g| g.as_str()).unwrap_or("")
                        ),
                    )
                })?;
            rdf_body(triples.into_iter().map(Ok), format, &request.limits)
        }
    }
}

/// The RDF format a Graph Store read is answered in, and the graph it
/// names (`None`: the default graph).
fn graph_asked(
    request: &Request,
    graph: Option<&str>,
) -> Result<(RdfFormat, Option<NamedNode>), ApiError> {
    let Format::Rdf(format) = request.choose(Answer::Graph)? else {
        unreachable!("graphs are offered in RDF formats only")
    };
    let graph = graph
        .map(NamedNode::new)
        .transpose()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok((format, graph))
}

/// The report `request` asks for, its questions put to `answerer`.
fn report(
    answerer: &dyn Answerer,
    request: &Request,
    deadline: &Deadline,
) -> Result<Body, ApiError> {
    let Job::Report {
        reports_dir,
        queries_dir,
        name,
        period,
        lang,
        xlsx,
    } = &request.job
    else {
        unreachable!("called for reports only")
    };
    crate::report::build(
        answerer,
        &crate::report::Asked {
            reports_dir,
            queries_dir,
            name,
            period: period.as_deref(),
            lang,
            xlsx: *xlsx,
        },
        deadline,
    )
}

/// Evaluates `request` on the remote endpoint of `backend`: a question is
/// read here first (a mistake is explained as for the local store), then
/// asked there; a graph is read with a CONSTRUCT; updates are refused.
fn evaluate_remote(backend: &Backend, request: &Request) -> Result<Body, ApiError> {
    let deadline = Deadline::start(Some(request.limits.timeout));
    let answerer = backend.answerer();
    match &request.job {
        Job::Query {
            sparql,
            bindings,
            default_graphs,
            named_graphs,
        } => {
            if !default_graphs.is_empty() || !named_graphs.is_empty() {
                return Err(ApiError::bad_request(
                    "default-graph-uri and named-graph-uri are not passed on to the store this server shows; name the graphs with FROM and FROM NAMED in the query",
                ));
            }
            let bindings = parsed_bindings(bindings)?;
            ttkg_graph::check_query(sparql)
                .map_err(QueryError::from)
                .map_err(syntax(sparql))?;
            let results = answerer
                .answer(sparql, &bindings, &deadline)
                .map_err(query_error)?;
            let mut body = write_results(results, request)?;
            body.warnings = warnings(&backend.vocabulary(), sparql);
            Ok(body)
        }
        Job::Report { .. } => report(answerer, request, &deadline),
        Job::Update { .. } => Err(backend
            .local()
            .err()
            .expect("a remote backend has no local store")),
        Job::Graph { graph } => {
            let (format, graph) = graph_asked(request, graph.as_deref())?;
            if let Some(graph) = &graph {
                let asked = answerer
                    .answer(
                        &format!("ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}"),
                        &[],
                        &deadline,
                    )
                    .map_err(query_error)?;
                if !matches!(asked, QueryResults::Boolean(true)) {
                    return Err(ApiError::new(
                        StatusCode::NOT_FOUND,
                        format!(
                            "the store this server shows has no graph {graph} (or it is empty)"
                        ),
                    ));
                }
            }
            // One row past the limit tells that the graph is over it.
            let limit = request.limits.max_rows.saturating_add(1);
            let construct = match &graph {
                Some(graph) => format!(
                    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }} LIMIT {limit}"
                ),
                None => format!("CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }} LIMIT {limit}"),
            };
            let QueryResults::Graph(triples) = answerer
                .answer(&construct, &[], &deadline)
                .map_err(query_error)?
            else {
                return Err(ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "the store this server shows answered a CONSTRUCT with something other than triples",
                ));
            };
            let triples = triples
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, e.to_string()))?;
            if triples.len() > request.limits.max_rows {
                return Err(too_large(request.limits.max_rows));
            }
            rdf_body(triples.into_iter().map(Ok), format, &request.limits)
        }
    }
}

/// Warnings about `sparql` against the ontology `vocabulary` describes.
fn warnings(vocabulary: &ttkg_query::Vocabulary, sparql: &str) -> Vec<String> {
    let mut warnings = vocabulary.unknown_terms(sparql);
    warnings.extend(ttkg_query::explain::unbound_selected(sparql));
    warnings
}

pub fn query_error(e: QueryError) -> ApiError {
    match e {
        QueryError::Timeout => ApiError::new(StatusCode::GATEWAY_TIMEOUT, "timeout"),
        QueryError::Store(e) => e.into(),
        e if e.is_usage() => ApiError::bad_request(e.to_string()),
        QueryError::Evaluation(m) => ApiError::bad_request(format!("the query failed: {m}")),
        e => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
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

/// A buffer that takes at most `limit` bytes: an answer is refused as it
/// grows past the limit, not after it was built whole.
struct Bounded {
    bytes: Vec<u8>,
    limit: usize,
    exceeded: bool,
}

impl Bounded {
    fn new(limit: usize) -> Self {
        Bounded {
            bytes: Vec::new(),
            limit,
            exceeded: false,
        }
    }
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.limit {
            self.exceeded = true;
            return Err(std::io::Error::other("the answer is over the byte limit"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The error of a serializer writing into a [`Bounded`] buffer.
fn written(limit: usize) -> impl Fn(std::io::Error) -> ApiError {
    move |e| {
        if e.to_string().contains("over the byte limit") {
            GraphError::TooBig { limit }.into()
        } else {
            serialization(e)
        }
    }
}

fn write_results(results: QueryResults<'static>, request: &Request) -> Result<Body, ApiError> {
    let limits = &request.limits;
    match results {
        QueryResults::Boolean(value) => {
            let Format::Results(format) = request.choose(Answer::Boolean)? else {
                unreachable!("booleans are offered in result formats only")
            };
            let bytes = QueryResultsSerializer::from_format(format)
                .serialize_boolean_to_writer(Bounded::new(limits.max_bytes), value)
                .map_err(written(limits.max_bytes))?
                .bytes;
            Ok(Body {
                media_type: Format::Results(format).media_type().to_owned(),
                bytes,
                download: None,
                warnings: Vec::new(),
            })
        }
        QueryResults::Solutions(solutions) => match request.choose(Answer::Solutions)? {
            Format::Xlsx => {
                let frame = ttkg_query::solutions_to_frame_within(
                    QueryResults::Solutions(solutions),
                    limits.max_rows,
                    limits.max_bytes,
                )
                .map_err(query_error)?;
                let bytes = ttkg_tables::xlsx_bytes(&[("results", &frame)])
                    .map_err(|e| ApiError::bad_request(e.to_string()))?;
                Ok(Body {
                    media_type: negotiate::XLSX.to_owned(),
                    bytes,
                    download: Some("attachment; filename=\"ttkg-results.xlsx\"".to_owned()),
                    warnings: Vec::new(),
                })
            }
            Format::Results(QueryResultsFormat::Csv) if request.for_spreadsheet => {
                let frame = ttkg_query::solutions_to_text_frame_within(
                    QueryResults::Solutions(solutions),
                    limits.max_rows,
                    limits.max_bytes,
                )
                .map_err(query_error)?;
                let mut out = Bounded::new(limits.max_bytes);
                let options = ttkg_tables::CsvOptions {
                    bom: true,
                    ..Default::default()
                };
                if let Err(e) = ttkg_tables::write_csv_to(&frame, &mut out, options) {
                    return Err(if out.exceeded {
                        GraphError::TooBig {
                            limit: limits.max_bytes,
                        }
                        .into()
                    } else {
                        serialization(e)
                    });
                }
                Ok(Body {
                    media_type: "text/csv; charset=utf-8".to_owned(),
                    bytes: out.bytes,
                    download: Some("attachment; filename=\"ttkg-results.csv\"".to_owned()),
                    warnings: Vec::new(),
                })
            }
            Format::Results(format) => {
                let mut writer = QueryResultsSerializer::from_format(format)
                    .serialize_solutions_to_writer(
                        Bounded::new(limits.max_bytes),
                        solutions.variables().to_vec(),
                    )
                    .map_err(written(limits.max_bytes))?;
                for (n, solution) in solutions.enumerate() {
                    if n == limits.max_rows {
                        return Err(too_large(limits.max_rows));
                    }
                    writer
                        .serialize(&solution.map_err(evaluation)?)
                        .map_err(written(limits.max_bytes))?;
                }
                Ok(Body {
                    media_type: Format::Results(format).media_type().to_owned(),
                    bytes: writer.finish().map_err(written(limits.max_bytes))?.bytes,
                    download: None,
                    warnings: Vec::new(),
                })
            }
            Format::Rdf(_) => unreachable!("solutions are offered in result formats only"),
        },
        QueryResults::Graph(triples) => {
            let Format::Rdf(format) = request.choose(Answer::Graph)? else {
                unreachable!("graphs are offered in RDF formats only")
            };
            rdf_body(triples.map(|t| t.map_err(evaluation)), format, limits)
        }
    }
}

fn rdf_body(
    triples: impl Iterator<Item = Result<Triple, ApiError>>,
    format: ttkg_graph::oxigraph::io::RdfFormat,
    limits: &Limits,
) -> Result<Body, ApiError> {
    let mut serializer = RdfSerializer::from_format(format);
    for (prefix, namespace) in ttkg_vocab::PREFIXES {
        serializer = serializer
            .with_prefix(*prefix, *namespace)
            .map_err(serialization)?;
    }
    let mut writer = serializer.for_writer(Bounded::new(limits.max_bytes));
    for (n, triple) in triples.enumerate() {
        if n == limits.max_rows {
            return Err(too_large(limits.max_rows));
        }
        writer
            .serialize_triple(&triple?)
            .map_err(written(limits.max_bytes))?;
    }
    Ok(Body {
        media_type: Format::Rdf(format).media_type().to_owned(),
        bytes: writer.finish().map_err(written(limits.max_bytes))?.bytes,
        download: None,
        warnings: Vec::new(),
    })
}

/// The line between the added and the removed quads of a [`delta_body`].
const REMOVED: &str = "# removed";

/// What an update changes, as N-Quads: the graphs it writes (one comment
/// line each), the added quads, then [`REMOVED`] and the removed ones.
fn delta_body(delta: &UpdateDelta, limits: &Limits) -> Result<Body, ApiError> {
    let mut out = Bounded::new(limits.max_bytes);
    let fail = written(limits.max_bytes);
    let mut line = |text: String| out.write_all(text.as_bytes());
    for graph in &delta.graphs {
        line(format!("# graph {graph}\n")).map_err(&fail)?;
    }
    for quad in &delta.added {
        line(format!("{quad} .\n")).map_err(&fail)?;
    }
    line(format!("{REMOVED}\n")).map_err(&fail)?;
    for quad in &delta.removed {
        line(format!("{quad} .\n")).map_err(&fail)?;
    }
    Ok(Body {
        media_type: "application/n-quads".to_owned(),
        bytes: out.bytes,
        download: None,
        warnings: Vec::new(),
    })
}

/// Reads what [`delta_body`] wrote.
pub fn read_delta(bytes: &[u8]) -> Result<UpdateDelta, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(serialization)?;
    let (added, removed) = text
        .split_once(&format!("{REMOVED}\n"))
        .ok_or_else(|| serialization("the worker's answer has no removed part"))?;
    let quads = |text: &str| -> Result<Vec<Quad>, ApiError> {
        RdfParser::from_format(RdfFormat::NQuads)
            .for_slice(text.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(serialization)
    };
    let graphs = added
        .lines()
        .filter_map(|l| l.strip_prefix("# graph <")?.strip_suffix('>'))
        .map(|g| NamedNode::new(g).map_err(serialization))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(UpdateDelta {
        graphs,
        added: quads(added)?,
        removed: quads(removed)?,
    })
}

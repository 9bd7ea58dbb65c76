//! The remote store, as the W3C protocols every server store implements
//! reach it: the SPARQL 1.1 Graph Store HTTP Protocol for whole graphs, and
//! SPARQL 1.1 Query and Update. Requests that fail on the way (a connection
//! error, a 5xx) are retried with growing pauses; a 4xx is not, and says
//! what to do.

use std::time::Duration;

use base64::Engine;
use ttkg_graph::oxigraph::io::{RdfFormat, RdfParser};
use ttkg_graph::oxigraph::model::{Term, Triple, Variable};
use ttkg_graph::oxigraph::sparql::results::{QueryResultsFormat, QueryResultsParser};
use ttkg_graph::oxigraph::sparql::{QueryEvaluationError, QueryResults, QueryTripleIter};

use crate::{DefaultGraph, PublishError, DEFAULT_GRAPH_COPY};

/// How to authenticate to the remote store. Never printed: `Debug` shows
/// only which kind it is.
#[derive(Clone, Default)]
pub enum Auth {
    #[default]
    None,
    Bearer(String),
    /// A user name and password, sent the way the store asks when it first
    /// answers 401: HTTP Digest (Virtuoso's `…-auth` endpoints) or Basic.
    /// Nothing is sent before the store has said which.
    Password {
        user: String,
        password: String,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "Auth::None",
            Auth::Bearer(_) => "Auth::Bearer(…)",
            Auth::Password { .. } => "Auth::Password(…)",
        })
    }
}

impl Auth {
    /// From the environment: `TTKG_PUBLISH_TOKEN` (a bearer token), or
    /// `TTKG_PUBLISH_USER` and `TTKG_PUBLISH_PASSWORD` (digest or basic),
    /// never from the command line, where other users of the machine can
    /// read it.
    pub fn from_env() -> Auth {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        match (
            var("TTKG_PUBLISH_TOKEN"),
            var("TTKG_PUBLISH_USER"),
            var("TTKG_PUBLISH_PASSWORD"),
        ) {
            (Some(token), _, _) => Auth::Bearer(token),
            (None, Some(user), Some(password)) => Auth::Password { user, password },
            _ => Auth::None,
        }
    }
}

/// How the store asked for a password (from its `WWW-Authenticate`).
#[derive(Debug, Clone)]
enum Challenge {
    Basic,
    /// The store's nonce, reused with a growing count until it goes stale.
    Digest(Box<digest_auth::WwwAuthenticateHeader>),
}

impl Challenge {
    /// The challenge to answer among a 401's `WWW-Authenticate` values:
    /// Digest where offered (it does not send the password), else Basic.
    fn from_answer<'a>(values: impl Iterator<Item = &'a str>) -> Option<Challenge> {
        let mut basic = false;
        for value in values {
            let scheme = value.trim_start();
            if scheme
                .get(..6)
                .is_some_and(|s| s.eq_ignore_ascii_case("digest"))
            {
                if let Ok(prompt) = digest_auth::parse(scheme) {
                    return Some(Challenge::Digest(Box::new(prompt)));
                }
            } else if scheme
                .get(..5)
                .is_some_and(|s| s.eq_ignore_ascii_case("basic"))
            {
                basic = true;
            }
        }
        basic.then_some(Challenge::Basic)
    }
}

/// The largest answer read from a remote store, in bytes.
const MAX_ANSWER: u64 = 1 << 30;

/// What a remote store answered.
struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

/// Where the remote store answers.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// The Graph Store Protocol endpoint (`…/store` for Oxigraph server,
    /// `…/data` for Fuseki).
    pub graph_store: String,
    pub query: String,
    pub update: String,
}

/// The servers whose addresses `ttkg publish --to URL --server KIND`
/// knows from their base address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// Oxigraph server: `/store`, `/query`, `/update`.
    Oxigraph,
    /// Virtuoso 7: `/sparql-graph-crud-auth` and `/sparql-auth` (HTTP
    /// Digest), questions on `/sparql`. Its default graph is always the
    /// union of its graphs.
    Virtuoso,
}

impl ServerKind {
    pub const NAMES: [&'static str; 2] = ["oxigraph", "virtuoso"];

    pub fn from_name(name: &str) -> Result<ServerKind, PublishError> {
        match name {
            "oxigraph" => Ok(ServerKind::Oxigraph),
            "virtuoso" => Ok(ServerKind::Virtuoso),
            other => Err(PublishError::Usage(format!(
                "server `{other}`: ttkg knows the addresses of {}; for another store give its graph store, query and update addresses",
                ServerKind::NAMES.join(" and ")
            ))),
        }
    }

    /// The endpoints under a server's base address.
    pub fn endpoints(self, base: &str) -> Endpoints {
        let base = base.trim_end_matches('/');
        let (graph_store, query, update) = match self {
            ServerKind::Oxigraph => ("store", "query", "update"),
            ServerKind::Virtuoso => ("sparql-graph-crud-auth", "sparql", "sparql-auth"),
        };
        Endpoints {
            graph_store: format!("{base}/{graph_store}"),
            query: format!("{base}/{query}"),
            update: format!("{base}/{update}"),
        }
    }

    /// How its default graph is kept unless told otherwise: Virtuoso has
    /// none apart from the union of its graphs (a `PUT ?default` fails),
    /// which counts a fact of two sources twice, as Oxigraph 0.5.13's union
    /// does.
    pub fn default_graph(self) -> DefaultGraph {
        match self {
            ServerKind::Oxigraph => DefaultGraph::Copy,
            ServerKind::Virtuoso => DefaultGraph::Named,
        }
    }
}

/// The remote store and how to talk to it.
pub struct Remote {
    agent: ureq::Agent,
    pub endpoints: Endpoints,
    auth: Auth,
    /// Attempts of a request that fails on the way (at least 1).
    attempts: u32,
    /// The first pause between attempts; each next one is twice as long.
    pause: Duration,
    /// How the store asked for the password, once it has.
    challenge: std::sync::Mutex<Option<Challenge>>,
    /// Whether questions name [`DEFAULT_GRAPH_COPY`] as their default
    /// graph: asked of the store once, with the first question.
    copy_as_default: std::sync::OnceLock<bool>,
}

/// A graph of the remote store: a named graph, or its default graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteGraph<'a> {
    Named(&'a str),
    Default,
}

impl RemoteGraph<'_> {
    /// The graph as SPARQL Update's graph management operations (`ADD`,
    /// `DROP`) name it.
    pub fn in_update(self) -> String {
        match self {
            RemoteGraph::Named(iri) => format!("GRAPH <{iri}>"),
            RemoteGraph::Default => "DEFAULT".to_owned(),
        }
    }
}

impl Remote {
    /// A client with `timeout` for each request, HTTPS checked against the
    /// platform's certificates.
    pub fn new(
        endpoints: Endpoints,
        auth: Auth,
        timeout: Duration,
    ) -> Result<Remote, PublishError> {
        for url in [&endpoints.graph_store, &endpoints.query, &endpoints.update] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(PublishError::Usage(format!(
                    "`{url}` is not an http:// or https:// address"
                )));
            }
            // user:password@host would be printed with every message about
            // the address, and is visible to other users on the command line.
            let authority = url
                .split("://")
                .nth(1)
                .unwrap_or("")
                .split('/')
                .next()
                .unwrap_or("");
            if authority.contains('@') {
                return Err(PublishError::Usage(
                    "the address holds credentials (user:password@host), which ttkg would print and others could read; give them as TTKG_PUBLISH_USER and TTKG_PUBLISH_PASSWORD, or TTKG_PUBLISH_TOKEN, instead".into(),
                ));
            }
        }
        let native = rustls_native_certs::load_native_certs();
        let certificates: Vec<ureq::tls::Certificate<'static>> = native
            .certs
            .iter()
            .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
            .collect();
        let mut tls = ureq::tls::TlsConfig::builder();
        if !certificates.is_empty() {
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certificates));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .tls_config(tls.build())
            .build()
            .into();
        Ok(Remote {
            agent,
            endpoints,
            auth,
            attempts: 4,
            pause: Duration::from_millis(500),
            challenge: std::sync::Mutex::new(None),
            copy_as_default: std::sync::OnceLock::new(),
        })
    }

    /// A client for questions only: `query` is a SPARQL 1.1 Protocol
    /// endpoint (`ttkg query --endpoint URL`).
    pub fn for_queries(query: &str, auth: Auth, timeout: Duration) -> Result<Remote, PublishError> {
        let mut remote = Remote::new(
            Endpoints {
                graph_store: query.to_owned(),
                query: query.to_owned(),
                update: query.to_owned(),
            },
            auth,
            timeout,
        )?;
        // A question is cheap to ask again, but not worth four tries.
        remote.attempts = 2;
        Ok(remote)
    }

    /// Asks `sparql` and reads the answer as oxigraph's results: solutions
    /// or a boolean from SPARQL JSON results, triples from N-Triples. Where
    /// the store holds a copy of ttkg's default graph as a named graph
    /// ([`DefaultGraph::Named`]), the question is asked of it.
    pub fn ask(&self, sparql: &str) -> Result<QueryResults<'static>, PublishError> {
        let copy_as_default = match self.copy_as_default.get() {
            Some(known) => *known,
            None => {
                let probe = format!("ASK {{ GRAPH <{DEFAULT_GRAPH_COPY}> {{ ?s ?p ?o }} }}");
                let held = matches!(self.ask_of(&probe, false)?, QueryResults::Boolean(true));
                tracing::debug!(
                    "{}: questions name {DEFAULT_GRAPH_COPY} as their default graph: {held}",
                    self.endpoints.query
                );
                *self.copy_as_default.get_or_init(|| held)
            }
        };
        self.ask_of(sparql, copy_as_default)
    }

    fn ask_of(
        &self,
        sparql: &str,
        copy_as_default: bool,
    ) -> Result<QueryResults<'static>, PublishError> {
        let url = self.endpoints.query.clone();
        // As a form (the protocol's "query via URL-encoded POST"): every
        // store takes it, where Virtuoso 7.2 answers a direct
        // `application/sparql-query` POST without ever ending its answer.
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("query", sparql);
        if copy_as_default {
            form.append_pair("default-graph-uri", DEFAULT_GRAPH_COPY);
        }
        let form = form.finish();
        let answer = self.call(
            "POST",
            &url,
            Some("application/x-www-form-urlencoded"),
            form.as_bytes(),
            Some("application/sparql-results+json, application/n-triples;q=0.9"),
        )?;
        self.expect_success("the question", &url, &answer)?;
        let unreadable = |e: String| PublishError::Refused {
            what: "the question".into(),
            url: url.clone(),
            status: answer.status,
            message: format!("the answer cannot be read: {e}"),
        };
        // By what the store says it sent: a page of another kind (a login
        // page, a proxy's notice) is an error, never an empty answer.
        let media_type = answer.content_type.as_str();
        let body = std::io::Cursor::new(answer.body.into_bytes());
        match media_type {
            "application/sparql-results+json" | "application/json" => {
                let parsed = QueryResultsParser::from_format(QueryResultsFormat::Json)
                    .for_reader(body)
                    .map_err(|e| unreadable(e.to_string()))?;
                let results: QueryResults<'static> = parsed.into();
                ask_as_boolean(results).map_err(unreadable)
            }
            "application/n-triples" | "text/plain" => {
                let triples: Vec<Result<Triple, QueryEvaluationError>> =
                    RdfParser::from_format(RdfFormat::NTriples)
                        .for_reader(body)
                        .map(|quad| {
                            quad.map(Triple::from)
                                .map_err(|e| QueryEvaluationError::Service(Box::new(e)))
                        })
                        .collect();
                Ok(QueryTripleIter::new(triples.into_iter()).into())
            }
            other => Err(unreadable(format!(
                "it is `{other}`, not SPARQL JSON results or N-Triples: is {url} a SPARQL endpoint?"
            ))),
        }
    }

    /// The Graph Store Protocol address of `graph`.
    fn graph_url(&self, graph: RemoteGraph) -> String {
        match graph {
            RemoteGraph::Default => format!("{}?default", self.endpoints.graph_store),
            RemoteGraph::Named(iri) => format!(
                "{}?{}",
                self.endpoints.graph_store,
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("graph", iri)
                    .finish()
            ),
        }
    }

    /// Sends one request (retrying as the module says) and returns its
    /// answer.
    fn call(
        &self,
        method: &str,
        url: &str,
        content_type: Option<&str>,
        body: &[u8],
        accept: Option<&str>,
    ) -> Result<Answer, PublishError> {
        let mut response = self.respond(method, url, content_type, body, accept)?;
        let status = response.status().as_u16();
        let content_type = media_type_of(&response);
        // An answer cut short would be a wrong answer: one larger than the
        // limit, or unreadable, is an error.
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_string();
        match text {
            Ok(body) => Ok(Answer {
                status,
                content_type,
                body,
            }),
            Err(e) => Err(PublishError::Refused {
                what: format!("{method} {url}"),
                url: url.to_owned(),
                status,
                message: format!(
                    "the answer could not be read whole (at most {} MiB): {e}",
                    MAX_ANSWER >> 20
                ),
            }),
        }
    }

    /// Sends one request until it is answered below 500, retrying with
    /// growing pauses, and returns the answer unread.
    fn respond(
        &self,
        method: &str,
        url: &str,
        content_type: Option<&str>,
        body: &[u8],
        accept: Option<&str>,
    ) -> Result<ureq::http::Response<ureq::Body>, PublishError> {
        let mut pause = self.pause;
        let mut last = String::new();
        for attempt in 1..=self.attempts.max(1) {
            match self.send(method, url, content_type, body, accept)? {
                Ok(response) if response.status().as_u16() < 500 => return Ok(response),
                Ok(response) => {
                    let status = response.status().as_u16();
                    let text = error_text(response);
                    // A limit of the store's own is reached again on every
                    // attempt: said at once, with what to change.
                    if let Some(advice) = server_limit(&text) {
                        return Err(PublishError::Refused {
                            what: format!("{method} {url}"),
                            url: url.to_owned(),
                            status,
                            message: format!("{}: {advice}", first_line(&text)),
                        });
                    }
                    last = format!("{status} {}", first_line(&text));
                }
                Err(e) => last = e.to_string(),
            }
            if attempt < self.attempts {
                tracing::warn!("{method} {url}: {last}; trying again in {pause:?}");
                std::thread::sleep(pause);
                pause *= 2;
            }
        }
        Err(PublishError::Unreachable {
            url: url.to_owned(),
            attempts: self.attempts,
            message: last,
        })
    }

    /// Reads `graph` as the store holds it, handing each triple to `each`
    /// until it returns false. Returns how many triples were read, or
    /// `None` when `each` stopped early; a graph the store does not have is
    /// empty. The answer is parsed as it arrives, never held whole.
    pub fn read_graph(
        &self,
        graph: RemoteGraph,
        each: &mut dyn FnMut(Triple) -> bool,
    ) -> Result<Option<u64>, PublishError> {
        let url = self.graph_url(graph);
        let response = self.respond(
            "GET",
            &url,
            None,
            &[],
            Some("application/n-triples, text/turtle;q=0.5"),
        )?;
        let status = response.status().as_u16();
        if status == 404 {
            return Ok(Some(0));
        }
        let media_type = media_type_of(&response);
        if !(200..300).contains(&status) {
            let answer = Answer {
                status,
                content_type: media_type,
                body: error_text(response),
            };
            return self
                .expect_success("reading the graph", &url, &answer)
                .map(|()| Some(0));
        }
        let unreadable = |message: String| PublishError::Refused {
            what: "reading the graph".into(),
            url: url.clone(),
            status,
            message,
        };
        let format = match media_type.as_str() {
            "text/plain" => RdfFormat::NTriples,
            other => RdfFormat::from_media_type(other)
                .ok_or_else(|| unreadable(format!("the answer is `{other}`, not RDF")))?,
        };
        let mut read = 0;
        for quad in RdfParser::from_format(format).for_reader(response.into_body().into_reader()) {
            let quad = quad.map_err(|e| unreadable(format!("the answer cannot be read: {e}")))?;
            read += 1;
            if !each(Triple::from(quad)) {
                return Ok(None);
            }
        }
        Ok(Some(read))
    }

    /// Sends one request, with the authorization as it stands; when the
    /// store answers 401 asking for the password (or a fresh nonce), sends
    /// it again at once with it, which is not an attempt of the retries.
    fn send(
        &self,
        method: &str,
        url: &str,
        content_type: Option<&str>,
        body: &[u8],
        accept: Option<&str>,
    ) -> Result<Result<ureq::http::Response<ureq::Body>, ureq::Error>, PublishError> {
        let built = |e: ureq::http::Error| PublishError::Usage(format!("{url}: {e}"));
        let mut answered_challenge = false;
        loop {
            let mut request = ureq::http::Request::builder().method(method).uri(url);
            if let Some(auth) = self.authorization(method, url, body) {
                request = request.header("Authorization", auth);
            }
            if let Some(content_type) = content_type {
                request = request.header("Content-Type", content_type);
            }
            if let Some(accept) = accept {
                request = request.header("Accept", accept);
            }
            // A request without content carries none: an empty body would
            // go chunked, and Virtuoso 7.2 reads its end marker as the start
            // of the next request on the connection (a PUT after a DELETE
            // then loaded one triple).
            let sent = if body.is_empty() && content_type.is_none() {
                self.agent.run(request.body(()).map_err(built)?)
            } else {
                self.agent.run(request.body(body).map_err(built)?)
            };
            match sent {
                Ok(response)
                    if !answered_challenge
                        && response.status() == 401
                        && self.learn_challenge(&response) =>
                {
                    answered_challenge = true;
                }
                other => return Ok(other),
            }
        }
    }

    /// The `Authorization` value for a request: the token, or the password
    /// as the store has asked for it (nothing before it has).
    fn authorization(&self, method: &str, url: &str, body: &[u8]) -> Option<String> {
        match &self.auth {
            Auth::None => None,
            Auth::Bearer(token) => Some(format!("Bearer {token}")),
            Auth::Password { user, password } => {
                let mut challenge = self.challenge.lock().unwrap_or_else(|e| e.into_inner());
                match challenge.as_mut()? {
                    Challenge::Basic => Some(format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD
                            .encode(format!("{user}:{password}"))
                    )),
                    Challenge::Digest(prompt) => {
                        let context = digest_auth::AuthContext::new_with_method(
                            user.as_str(),
                            password.as_str(),
                            request_target(url),
                            Some(body),
                            digest_auth::HttpMethod::from(method),
                        );
                        prompt.respond(&context).ok().map(|h| h.to_header_string())
                    }
                }
            }
        }
    }

    /// Keeps how a 401 asks for the password; `false` when there is no
    /// password to give or the store asked for nothing ttkg can answer.
    fn learn_challenge(&self, response: &ureq::http::Response<ureq::Body>) -> bool {
        if !matches!(self.auth, Auth::Password { .. }) {
            return false;
        }
        let values = response
            .headers()
            .get_all("www-authenticate")
            .iter()
            .filter_map(|v| v.to_str().ok());
        let learnt = Challenge::from_answer(values);
        let found = learnt.is_some();
        if found {
            *self.challenge.lock().unwrap_or_else(|e| e.into_inner()) = learnt;
        }
        found
    }

    /// A 2xx, or the error that says what the status means.
    fn expect_success(&self, what: &str, url: &str, answer: &Answer) -> Result<(), PublishError> {
        let (status, body) = (answer.status, &answer.body);
        if (200..300).contains(&status) {
            return Ok(());
        }
        let hint = match status {
            401 | 403 => "the store refused the credentials: set TTKG_PUBLISH_TOKEN, or TTKG_PUBLISH_USER and TTKG_PUBLISH_PASSWORD, to an account that may write",
            404 => "nothing answers at that address: check --graph-store, --query and --update (Oxigraph server: /store, /query, /update; Fuseki: /DATASET/data, /DATASET/query, /DATASET/update)",
            413 => "the request is larger than the store accepts: lower --chunk-size",
            _ => "the store refused the request",
        };
        Err(PublishError::Refused {
            what: what.to_owned(),
            url: url.to_owned(),
            status,
            message: format!("{hint} ({})", first_line(body)),
        })
    }

    /// Replaces `graph` with the N-Triples `body` in one request.
    pub fn put(&self, graph: RemoteGraph, body: &[u8]) -> Result<(), PublishError> {
        let url = self.graph_url(graph);
        let answer = self.call("PUT", &url, Some("application/n-triples"), body, None)?;
        self.expect_success("replacing the graph", &url, &answer)
    }

    /// Adds the N-Triples `body` to `graph`.
    pub fn post(&self, graph: RemoteGraph, body: &[u8]) -> Result<(), PublishError> {
        let url = self.graph_url(graph);
        let answer = self.call("POST", &url, Some("application/n-triples"), body, None)?;
        self.expect_success("adding to the graph", &url, &answer)
    }

    /// Removes `graph`; `false` when the store did not have it.
    pub fn delete(&self, graph: RemoteGraph) -> Result<bool, PublishError> {
        let url = self.graph_url(graph);
        let answer = self.call("DELETE", &url, None, &[], None)?;
        if answer.status == 404 {
            return Ok(false);
        }
        self.expect_success("removing the graph", &url, &answer)?;
        Ok(true)
    }

    /// Runs a SPARQL Update.
    pub fn update(&self, sparql: &str) -> Result<(), PublishError> {
        let url = self.endpoints.update.clone();
        let answer = self.call(
            "POST",
            &url,
            Some("application/sparql-update"),
            sparql.as_bytes(),
            None,
        )?;
        self.expect_success("a SPARQL update", &url, &answer)
    }

    /// How many triples `graph` holds on the remote store.
    pub fn count(&self, graph: RemoteGraph) -> Result<u64, PublishError> {
        let sparql = match graph {
            RemoteGraph::Named(iri) => {
                format!("SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}")
            }
            RemoteGraph::Default => "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }".to_owned(),
        };
        let no_count = |message: String| PublishError::Refused {
            what: "counting a graph".into(),
            url: self.endpoints.query.clone(),
            status: 200,
            message,
        };
        // Asked of the store's own dataset: with the copy named as the
        // default graph, Virtuoso 7.2 counts a GRAPH <…> pattern as 1.
        let QueryResults::Solutions(mut solutions) = self.ask_of(&sparql, false)? else {
            return Err(no_count("the answer is not a table".into()));
        };
        let first = solutions
            .next()
            .ok_or_else(|| no_count("the answer is empty".into()))?
            .map_err(|e| no_count(e.to_string()))?;
        match first.get("n") {
            Some(ttkg_graph::oxigraph::model::Term::Literal(n)) => n
                .value()
                .parse()
                .map_err(|_| no_count(format!("`{}` is not a count", n.value()))),
            _ => Err(no_count("the answer has no count".into())),
        }
    }
}

/// The checks of `ttkg validate --endpoint` run on the remote store.
impl ttkg_graph::Queryable for Remote {
    fn select_terms(&self, sparql: &str) -> Result<Vec<Vec<Option<Term>>>, ttkg_graph::GraphError> {
        let text = ttkg_query::saved::for_another_store(sparql, &[]);
        let remote = |e: String| ttkg_graph::GraphError::Remote(e);
        let QueryResults::Solutions(solutions) =
            self.ask(&text).map_err(|e| remote(e.to_string()))?
        else {
            return Err(remote(format!(
                "{} answered a SELECT with something other than a table",
                self.endpoints.query
            )));
        };
        let variables = solutions.variables().to_vec();
        solutions
            .map(|solution| {
                let solution = solution.map_err(|e| remote(e.to_string()))?;
                Ok(variables.iter().map(|v| solution.get(v).cloned()).collect())
            })
            .collect()
    }
}

/// `ttkg export --endpoint`: export tables asked of the remote store, a
/// saved question's parameters bound as `ttkg query --endpoint` binds them.
/// The remote store's own time limit and `--timeout` bound each question.
impl ttkg_query::Answerer for Remote {
    fn answer(
        &self,
        sparql: &str,
        bindings: &[(Variable, Term)],
        _deadline: &ttkg_query::Deadline,
    ) -> Result<QueryResults<'static>, ttkg_query::QueryError> {
        self.ask(&ttkg_query::saved::for_another_store(sparql, bindings))
            .map_err(|e| {
                ttkg_query::QueryError::Store(ttkg_graph::GraphError::Remote(e.to_string()))
            })
    }
}

/// Virtuoso 7.2 answers an ASK with a table of one variable,
/// `__ASK_RETVAL`, holding 1 (or no row for false): read as the boolean it
/// stands for.
fn ask_as_boolean(results: QueryResults<'static>) -> Result<QueryResults<'static>, String> {
    let QueryResults::Solutions(mut solutions) = results else {
        return Ok(results);
    };
    if solutions.variables().len() != 1 || solutions.variables()[0].as_str() != "__ASK_RETVAL" {
        return Ok(QueryResults::Solutions(solutions));
    }
    let value = match solutions.next() {
        Some(Ok(row)) => match row.get("__ASK_RETVAL") {
            Some(Term::Literal(value)) => value.value().to_owned(),
            _ => String::new(),
        },
        Some(Err(e)) => return Err(e.to_string()),
        // And a false one with no row at all.
        None => return Ok(QueryResults::Boolean(false)),
    };
    match value.as_str() {
        "1" | "true" => Ok(QueryResults::Boolean(true)),
        "0" | "false" => Ok(QueryResults::Boolean(false)),
        other => Err(format!("an ASK answered `{other}`, neither true nor false")),
    }
}

/// The path and query of `url`, as a request line carries them (what a
/// digest covers).
fn request_target(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/').map_or("/", |slash| &rest[slash..])
}

/// What an error answer says (its first MiB), for the message.
fn error_text(response: ureq::http::Response<ureq::Body>) -> String {
    response
        .into_body()
        .with_config()
        .limit(1 << 20)
        .read_to_string()
        .unwrap_or_default()
}

/// The media type an answer says it is, without its parameters.
fn media_type_of(response: &ureq::http::Response<ureq::Body>) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// What to change when a server error says the store's own limit was
/// reached, which no retry gets past.
fn server_limit(error: &str) -> Option<&'static str> {
    error.contains("SR325").then_some(
        "Virtuoso's transaction log limit is too small for this graph's swap; raise TransactionAfterImageLimit in the [Parameters] of virtuoso.ini (2000000000 took a graph of 4.9 million triples) and restart Virtuoso, then publish again",
    )
}

fn first_line(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or("").trim();
    line.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_virtuoso_transaction_log_limit_names_its_setting() {
        let error = "Virtuoso 40005 Error SR325: Transaction aborted because it's log after image size went above the limit";
        assert!(server_limit(error)
            .unwrap()
            .contains("TransactionAfterImageLimit"));
        assert_eq!(
            server_limit("Virtuoso 42000 Error SP030: syntax error"),
            None
        );
    }

    #[test]
    fn credentials_are_never_shown() {
        let auth = Auth::Password {
            user: "ana".into(),
            password: "s3cret".into(),
        };
        assert!(!format!("{auth:?}").contains("s3cret"));
        assert!(!format!("{:?}", Auth::Bearer("t0ken".into())).contains("t0ken"));
    }

    #[test]
    fn a_password_is_sent_only_as_the_store_asks_and_digest_is_preferred() {
        let endpoints = ServerKind::Oxigraph.endpoints("http://127.0.0.1:9");
        let remote = Remote::new(
            endpoints,
            Auth::Password {
                user: "ana".into(),
                password: "s3cret".into(),
            },
            Duration::from_secs(1),
        )
        .unwrap();
        let url = "http://127.0.0.1:9/sparql-auth?graph=x";
        assert_eq!(remote.authorization("PUT", url, b""), None);

        *remote.challenge.lock().unwrap() =
            Challenge::from_answer(["Basic realm=\"x\""].into_iter());
        assert_eq!(
            remote.authorization("PUT", url, b"").unwrap(),
            "Basic YW5hOnMzY3JldA=="
        );

        let offered = [
            "Basic realm=\"x\"",
            "Digest realm=\"SPARQL\", domain=\"/sparql-auth\", nonce=\"7b1c\", opaque=\"5ebe\", stale=false, qop=\"auth\", algorithm=\"MD5\"",
        ];
        *remote.challenge.lock().unwrap() = Challenge::from_answer(offered.into_iter());
        let first = remote.authorization("PUT", url, b"").unwrap();
        assert!(first.starts_with("Digest "), "{first}");
        assert!(first.contains("uri=\"/sparql-auth?graph=x\""), "{first}");
        assert!(first.contains("nc=00000001"), "{first}");
        assert!(!first.contains("s3cret"));
        // The same nonce, counted on.
        let second = remote.authorization("PUT", url, b"").unwrap();
        assert!(second.contains("nc=00000002"), "{second}");

        assert!(Challenge::from_answer(["Negotiate"].into_iter()).is_none());
        // A scheme cut inside a character is no scheme, never a panic.
        assert!(Challenge::from_answer(["Diges\u{e9}t", "Basi\u{e9}"].into_iter()).is_none());
        assert_eq!(request_target("https://h.example/a/b?c=d"), "/a/b?c=d");
        assert_eq!(request_target("http://h.example"), "/");
    }

    #[test]
    fn graphs_are_addressed_as_the_protocol_says() {
        let remote = Remote::new(
            ServerKind::Oxigraph.endpoints("http://127.0.0.1:7879/"),
            Auth::None,
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(
            remote.graph_url(RemoteGraph::Default),
            "http://127.0.0.1:7879/store?default"
        );
        assert_eq!(
            remote.graph_url(RemoteGraph::Named("https://w3id.org/ttkg/graph/a b#c")),
            "http://127.0.0.1:7879/store?graph=https%3A%2F%2Fw3id.org%2Fttkg%2Fgraph%2Fa+b%23c"
        );
        assert!(Remote::new(
            ServerKind::Oxigraph.endpoints("ftp://x"),
            Auth::None,
            Duration::from_secs(1)
        )
        .is_err());
        let Err(leaky) = Remote::new(
            ServerKind::Oxigraph.endpoints("https://ana:s3cret@kg.example.org/ttkg"),
            Auth::None,
            Duration::from_secs(1),
        ) else {
            panic!("credentials in the address are refused");
        };
        assert!(!leaky.to_string().contains("s3cret"), "{leaky}");
    }
}

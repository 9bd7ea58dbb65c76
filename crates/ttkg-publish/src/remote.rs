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

use crate::PublishError;

/// How to authenticate to the remote store. Never printed: `Debug` shows
/// only which kind it is.
#[derive(Clone, Default)]
pub enum Auth {
    #[default]
    None,
    Bearer(String),
    Basic {
        user: String,
        password: String,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "Auth::None",
            Auth::Bearer(_) => "Auth::Bearer(…)",
            Auth::Basic { .. } => "Auth::Basic(…)",
        })
    }
}

impl Auth {
    /// From the environment: `TTKG_PUBLISH_TOKEN` (a bearer token), or
    /// `TTKG_PUBLISH_USER` and `TTKG_PUBLISH_PASSWORD` (basic), never from
    /// the command line, where other users of the machine can read it.
    pub fn from_env() -> Auth {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        match (
            var("TTKG_PUBLISH_TOKEN"),
            var("TTKG_PUBLISH_USER"),
            var("TTKG_PUBLISH_PASSWORD"),
        ) {
            (Some(token), _, _) => Auth::Bearer(token),
            (None, Some(user), Some(password)) => Auth::Basic { user, password },
            _ => Auth::None,
        }
    }

    fn header(&self) -> Option<String> {
        match self {
            Auth::None => None,
            Auth::Bearer(token) => Some(format!("Bearer {token}")),
            Auth::Basic { user, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )),
        }
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

impl Endpoints {
    /// A server's base address with Oxigraph server's paths (`/store`,
    /// `/query`, `/update`), as `ttkg publish --to URL` takes it.
    pub fn under(base: &str) -> Endpoints {
        let base = base.trim_end_matches('/');
        Endpoints {
            graph_store: format!("{base}/store"),
            query: format!("{base}/query"),
            update: format!("{base}/update"),
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
}

/// A graph of the remote store: a named graph, or its default graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteGraph<'a> {
    Named(&'a str),
    Default,
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
    /// or a boolean from SPARQL JSON results, triples from N-Triples.
    pub fn ask(&self, sparql: &str) -> Result<QueryResults<'static>, PublishError> {
        let url = self.endpoints.query.clone();
        let answer = self.call(
            "POST",
            &url,
            Some("application/sparql-query"),
            sparql.as_bytes(),
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
        let media_type = answer.content_type.split(';').next().unwrap_or("").trim();
        let body = std::io::Cursor::new(answer.body.into_bytes());
        match media_type {
            "application/sparql-results+json" | "application/json" => {
                let parsed = QueryResultsParser::from_format(QueryResultsFormat::Json)
                    .for_reader(body)
                    .map_err(|e| unreadable(e.to_string()))?;
                Ok(parsed.into())
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
        let mut pause = self.pause;
        let mut last = String::new();
        for attempt in 1..=self.attempts.max(1) {
            let mut request = ureq::http::Request::builder().method(method).uri(url);
            if let Some(auth) = self.auth.header() {
                request = request.header("Authorization", auth);
            }
            if let Some(content_type) = content_type {
                request = request.header("Content-Type", content_type);
            }
            if let Some(accept) = accept {
                request = request.header("Accept", accept);
            }
            let request = request
                .body(body)
                .map_err(|e| PublishError::Usage(format!("{url}: {e}")))?;
            match self.agent.run(request) {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let content_type = response
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    // An answer cut short would be a wrong answer: one
                    // larger than the limit, or unreadable, is an error.
                    let text = response
                        .body_mut()
                        .with_config()
                        .limit(MAX_ANSWER)
                        .read_to_string();
                    match text {
                        Ok(body) if status < 500 => {
                            return Ok(Answer {
                                status,
                                content_type,
                                body,
                            })
                        }
                        Ok(text) => last = format!("{status} {}", first_line(&text)),
                        Err(e) => {
                            return Err(PublishError::Refused {
                                what: format!("{method} {url}"),
                                url: url.to_owned(),
                                status,
                                message: format!(
                                    "the answer could not be read whole (at most {} MiB): {e}",
                                    MAX_ANSWER >> 20
                                ),
                            })
                        }
                    }
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
        let QueryResults::Solutions(mut solutions) = self.ask(&sparql)? else {
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

fn first_line(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or("").trim();
    line.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_never_shown() {
        let auth = Auth::Basic {
            user: "ana".into(),
            password: "s3cret".into(),
        };
        assert!(!format!("{auth:?}").contains("s3cret"));
        assert!(!format!("{:?}", Auth::Bearer("t0ken".into())).contains("t0ken"));
        assert_eq!(auth.header().unwrap(), "Basic YW5hOnMzY3JldA==");
    }

    #[test]
    fn graphs_are_addressed_as_the_protocol_says() {
        let remote = Remote::new(
            Endpoints::under("http://127.0.0.1:7879/"),
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
            Endpoints::under("ftp://x"),
            Auth::None,
            Duration::from_secs(1)
        )
        .is_err());
        let Err(leaky) = Remote::new(
            Endpoints::under("https://ana:s3cret@kg.example.org/ttkg"),
            Auth::None,
            Duration::from_secs(1),
        ) else {
            panic!("credentials in the address are refused");
        };
        assert!(!leaky.to_string().contains("s3cret"), "{leaky}");
    }
}

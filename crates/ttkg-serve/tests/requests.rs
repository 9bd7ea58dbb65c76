//! Fuzzing the request handling in process: thousands of generated
//! requests (valid, truncated, mangled and random) must each get an answer
//! that is not a server failure, and the server must keep answering.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use ttkg_graph::KnowledgeStore;
use ttkg_serve::{router, ServeOptions};

/// xorshift64*: a small deterministic generator, so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.below(max + 1);
        (0..len).map(|_| self.next() as u8).collect()
    }
}

const QUERIES: &[&str] = &[
    "SELECT * WHERE { ?s ?p ?o } LIMIT 3",
    "ASK { ?s ?p ?o }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "DESCRIBE <urn:a>",
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT ?x WHERE { ?x a ttkg:Agreement ; ttkg:signingDate ?d FILTER(?d > \"2016\"^^xsd:gYear) }",
    "SELECT * WHERE { SERVICE <http://example.com/sparql> { ?s ?p ?o } }",
    "SELECT (1/0 AS ?x) {}",
    "SELECT ?x WHERE { BIND(STRDT(\"x\", xsd:integer) AS ?x) }",
    "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:p> 1 } }",
    "DELETE WHERE { GRAPH <urn:g> { ?s ?p ?o } }",
    "DROP GRAPH <urn:g>",
    "CLEAR ALL",
    "LOAD <http://example.com/x.ttl>",
    "SELECT",
    "}{",
    "",
    "PREFIX x: <not an iri> SELECT * {}",
];

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"];
const PATHS: &[&str] = &[
    "/sparql",
    "/store",
    "/",
    "/api/saved",
    "/api/saved/headline-figures",
    "/api/saved/..%2F..%2Fetc%2Fpasswd",
    "/assets/app.js",
    "/assets/../../Cargo.toml",
    "/ttkg/import",
    "/nothing",
    "//sparql",
];
const KEYS: &[&str] = &[
    "query",
    "update",
    "default-graph-uri",
    "named-graph-uri",
    "using-graph-uri",
    "graph",
    "default",
    "format",
    "country",
];
const ACCEPTS: &[&str] = &[
    "text/csv",
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/tab-separated-values",
    "text/turtle",
    "application/n-triples",
    "application/ld+json",
    "application/rdf+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "*/*",
    "text/*;q=0.3, */*;q=0",
    "image/png",
    ";;;q=x",
    "",
];
const CONTENT_TYPES: &[&str] = &[
    "application/sparql-query",
    "application/sparql-update",
    "application/x-www-form-urlencoded",
    "text/turtle",
    "application/n-triples",
    "application/json",
    "text/plain",
    "multipart/form-data; boundary=x",
];

fn encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

fn value(rng: &mut Rng) -> Vec<u8> {
    match rng.below(4) {
        0 => rng.bytes(40),
        1 => {
            let mut q = rng.pick(QUERIES).as_bytes().to_vec();
            // Truncated or with a byte flipped.
            if !q.is_empty() && rng.below(2) == 0 {
                let at = rng.below(q.len());
                q[at] = rng.next() as u8;
            }
            q
        }
        2 => b"urn:g".to_vec(),
        _ => rng.pick(QUERIES).as_bytes().to_vec(),
    }
}

fn request(rng: &mut Rng) -> Request<Body> {
    let mut query = String::new();
    for _ in 0..rng.below(4) {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(rng.pick(KEYS));
        if rng.below(5) > 0 {
            query.push('=');
            query.push_str(&encode(&value(rng)));
        }
    }
    if rng.below(20) == 0 {
        query.push_str("&%ZZ=%&&==");
    }
    let uri = if query.is_empty() {
        rng.pick(PATHS).to_owned()
    } else {
        format!("{}?{query}", rng.pick(PATHS))
    };
    let mut builder = Request::builder().method(rng.pick(METHODS)).uri(uri);
    if rng.below(3) > 0 {
        builder = builder.header("Accept", rng.pick(ACCEPTS));
    }
    if rng.below(3) > 0 {
        builder = builder.header("Content-Type", rng.pick(CONTENT_TYPES));
    }
    match rng.below(4) {
        0 => builder = builder.header("Authorization", "Bearer the-token-of-this-test"),
        1 => builder = builder.header("Authorization", "Bearer wrong"),
        _ => {}
    }
    let body = match rng.below(4) {
        0 => Vec::new(),
        1 => rng.bytes(300),
        2 => format!("query={}", encode(&value(rng))).into_bytes(),
        _ => value(rng),
    };
    builder
        .body(Body::from(body))
        .expect("a well-formed request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_makes_the_server_fail() {
    let store = Arc::new(KnowledgeStore::in_memory().unwrap());
    store
        .update("INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:p> 1, 2 ; a ttkg:Agreement } }")
        .unwrap();
    let queries = tempfile::tempdir().unwrap();
    std::fs::write(
        queries.path().join("headline-figures.rq"),
        "# Headline figures\n# @param country=VN a country\nSELECT ?country (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?country\n",
    )
    .unwrap();
    let mut options = ServeOptions::new(queries.path().to_owned());
    options.max_rows = 20;
    options.max_body = 4096;
    options.write_token = Some("the-token-of-this-test".into());
    options.cors_origins = vec!["https://analysts.example.org".into()];
    let app = router(ttkg_serve::Backend::Local(store), options, None).unwrap();
    let mut rng = Rng(0x5EED_7766_0000_0001);
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for i in 0..3000 {
        let request = request(&mut rng);
        let described = format!("#{i}: {} {}", request.method(), request.uri());
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        assert!(
            status != StatusCode::INTERNAL_SERVER_ERROR,
            "{described} failed the server"
        );
        *statuses.entry(status.as_u16()).or_default() += 1;
    }
    // The generator reaches the answers that matter, good and bad.
    for status in [200, 204, 400, 401, 404, 405, 406, 415] {
        assert!(
            statuses.contains_key(&status),
            "no {status} in {statuses:?}"
        );
    }
}

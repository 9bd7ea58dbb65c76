//! `ttkg publish` against real servers started on loopback for each test:
//! Oxigraph server (the binary the `oxigraph` package on PyPI ships, pinned
//! in tests/serve/requirements.txt) and Virtuoso Open Source 7 (Debian's
//! `virtuoso-opensource`, with Digest authentication). The demo reports
//! published, every saved question answered alike by the remote store
//! (`ttkg query --endpoint`), nothing re-sent when nothing changed, a
//! retracted source deleted, large graphs sent in chunks, a publish killed
//! half-way finished by the next, and an unreachable store reported without
//! leaking credentials.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::server::{curl, Server as TtkgServer};
use common::{saved_question_names, Run};

/// An Oxigraph server on a free loopback port, stopped when dropped.
struct Oxigraph {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Oxigraph {
    fn start() -> Oxigraph {
        let python = std::env::var("TTKG_PYTHON").expect("scripts/test sets TTKG_PYTHON");
        let binary = Path::new(&python).with_file_name("oxigraph");
        let port = free_port();
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new(&binary)
            .args(["serve", "--location"])
            .arg(dir.path())
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{} runs ({e}); scripts/test installs it", binary.display())
            });
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "oxigraph did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Oxigraph {
            child,
            url,
            _dir: dir,
        }
    }
}

/// A server store started for a test, asked through its query endpoint.
trait Server {
    fn query_endpoint(&self) -> String;

    /// A SELECT on the remote store as CSV lines (header first), with
    /// ttkg's prefixes declared as the local store predeclares them.
    fn select(&self, sparql: &str) -> Vec<String> {
        let prefixes: String = ttkg_vocab::PREFIXES
            .iter()
            .map(|(p, ns)| format!("PREFIX {p}: <{ns}>\n"))
            .collect();
        let reply = curl(
            &self.query_endpoint(),
            &[
                "-H",
                "Accept: text/csv",
                "--data-urlencode",
                &format!("query={prefixes}{sparql}"),
            ],
        );
        assert_eq!(reply.status, 200, "{sparql}: {}", reply.body);
        reply.body.lines().map(str::to_owned).collect()
    }

    /// A chunked graph is swapped in and its staging graph dropped,
    /// whatever happened.
    fn assert_no_staging_graph(&self) {
        let graphs = self.graphs();
        assert!(
            graphs.iter().all(|g| !g.contains("/graph/staging/")),
            "no staging graph is left: {graphs:?}"
        );
    }

    fn graphs(&self) -> BTreeSet<String> {
        self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
            .into_iter()
            .skip(1)
            .collect()
    }
}

impl Server for Oxigraph {
    fn query_endpoint(&self) -> String {
        format!("{}/query", self.url)
    }
}

impl Server for Virtuoso {
    fn query_endpoint(&self) -> String {
        format!("{}/sparql", self.url)
    }
}

/// A free loopback port.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A Virtuoso 7 server with a database of its own on free loopback ports,
/// its administrator `dba` with the password a new database has (`dba`);
/// stopped when dropped.
struct Virtuoso {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Virtuoso {
    fn start() -> Virtuoso {
        let dir = tempfile::tempdir().unwrap();
        let (sql, http) = (free_port(), free_port());
        let d = dir.path().display();
        let ini = dir.path().join("virtuoso.ini");
        std::fs::write(
            &ini,
            format!(
                "[Database]\nDatabaseFile = {d}/virtuoso.db\nErrorLogFile = {d}/virtuoso.log\n\
                 LockFile = {d}/virtuoso.lck\nTransactionFile = {d}/virtuoso.trx\n\
                 xa_persistent_file = {d}/virtuoso.pxa\nTempStorage = TempDatabase\n\
                 [TempDatabase]\nDatabaseFile = {d}/virtuoso-temp.db\nTransactionFile = {d}/virtuoso-temp.trx\n\
                 [Parameters]\nServerPort = 127.0.0.1:{sql}\nDisableUnixSocket = 1\n\
                 NumberOfBuffers = 10000\nMaxDirtyBuffers = 6000\nDirsAllowed = ., {d}\n\
                 [HTTPServer]\nServerPort = 127.0.0.1:{http}\nServerThreads = 10\n\
                 MaxClientConnections = 10\nCharset = UTF-8\n\
                 [SPARQL]\nResultSetMaxRows = 1000000\nMaxQueryExecutionTime = 60\n"
            ),
        )
        .unwrap();
        let child = Command::new("virtuoso-t")
            .arg("+configfile")
            .arg(&ini)
            .arg("+foreground")
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("virtuoso-t runs ({e}); scripts/test installs virtuoso-opensource")
            });
        let virtuoso = Virtuoso {
            child,
            url: format!("http://127.0.0.1:{http}"),
            _dir: dir,
        };
        // Ready when it answers a question (its port opens before).
        let started = Instant::now();
        loop {
            let reply = std::process::Command::new("curl")
                .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "5"])
                .args(["--data-urlencode", "query=ASK {}"])
                .arg(format!("{}/sparql", virtuoso.url))
                .output()
                .unwrap();
            if reply.stdout == b"200" {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "virtuoso did not start"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        virtuoso
    }
}

impl Drop for Virtuoso {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Oxigraph {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A CSV line with the fractions of seconds of its times in their shortest
/// form: the same instant is `…:50.81Z` from oxigraph and `…:50.810Z` from
/// Virtuoso, each store's canonical form of one value. Nothing else changes.
fn same_instant_written_alike(line: &str) -> String {
    line.split(',')
        .map(|field| {
            let is_time = field.len() > 20
                && field.ends_with('Z')
                && field.as_bytes().get(10) == Some(&b'T')
                && field.contains('.');
            if !is_time {
                return field.to_owned();
            }
            let fraction = field.trim_end_matches('Z').trim_end_matches('0');
            format!("{}Z", fraction.trim_end_matches('.'))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A publish that succeeded, its summary line saying `summary`.
fn assert_published(run: &Run, summary: &str) {
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(summary), "{}{}", run.stdout, run.stderr);
}

/// The training-course report taken out of data/ and the store imported
/// again, which retracts its source.
fn withdraw_the_training_report(ws: &Path, store: &Path) {
    std::fs::remove_file(ws.join("data/reports/training-courses-2013-2016.csv")).unwrap();
    let retracted = common::import(ws, store, &[]);
    assert!(
        retracted.code == 0 || retracted.code == 8,
        "{}",
        retracted.stderr
    );
}

fn on(ws: &Path, store: &Path, args: &[&str]) -> Run {
    on_with(ws, store, &[], args)
}

/// `ttkg` in `ws` on `store` with `env` set (credentials).
fn on_with(ws: &Path, store: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut all = vec![
        "--root",
        ws.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    common::ttkg_in(ws, &all, env)
}

/// The graph of the demo's training report.
fn training_graph() -> &'static str {
    "https://w3id.org/ttkg/graph/training-courses/reports/training-courses-2013-2016.csv"
}

/// Every saved question's answer as a set of CSV lines (a tie in ORDER BY
/// may come in either order), by the question's name.
type Answers = BTreeMap<String, BTreeSet<String>>;

/// Every saved question's answer (parameters at their defaults) through
/// `ttkg query`, from `store` or, with an `endpoint`, from the remote store.
fn answers(ws: &Path, store: &Path, endpoint: Option<&str>) -> Answers {
    saved_question_names(ws)
        .into_iter()
        .map(|name| {
            let mut args = vec!["query", "--saved", &name, "--format", "csv"];
            args.extend(endpoint.iter().flat_map(|e| ["--endpoint", e]));
            let run = on(ws, store, &args);
            assert_eq!(run.code, 0, "{name}: {}", run.stderr);
            let lines = run
                .stdout
                .lines()
                .map(|l| same_instant_written_alike(l.trim_end_matches('\r')))
                .collect();
            (name, lines)
        })
        .collect()
}

/// The local answers of the demo store, asked once: the tests that publish
/// an unchanged copy of it compare the remote store with these.
fn demo_answers() -> &'static Answers {
    static ANSWERS: OnceLock<Answers> = OnceLock::new();
    ANSWERS.get_or_init(|| {
        let (_turn, store) = common::demo();
        answers(&common::root(), store, None)
    })
}

/// The remote store answers every saved question as `local` says the local
/// store does.
fn assert_same_answers(local: &Answers, ws: &Path, store: &Path, endpoint: &str) {
    let remote = answers(ws, store, Some(endpoint));
    assert_eq!(
        local.keys().collect::<Vec<_>>(),
        remote.keys().collect::<Vec<_>>()
    );
    for (name, lines) in local {
        assert_eq!(lines, &remote[name], "{name}");
    }
    assert!(local.len() >= 15, "{} questions compared", local.len());
    let answered = local.values().filter(|lines| lines.len() > 1).count();
    assert!(answered >= 12, "only {answered} of them have an answer");
}

/// The remote store answers every saved question as the local `store` does.
fn assert_same_answers_as_local(ws: &Path, store: &Path, endpoint: &str) {
    assert_same_answers(&answers(ws, store, None), ws, store, endpoint);
}

#[test]
fn the_store_is_published_whole_and_answers_alike_then_only_changes_are_sent() {
    let (ws, store) = common::scratch_workspace_with_demo_store();
    let remote = Oxigraph::start();
    let first = on(ws.path(), &store, &["publish", "--to", &remote.url]);
    assert_published(
        &first,
        "12 graphs sent (0 in chunks, 0 as changes), 0 unchanged, 0 deleted, 0 failed",
    );
    assert!(first.stderr.contains("sent DEFAULT ("), "{}", first.stderr);
    assert_same_answers(demo_answers(), ws.path(), &store, &remote.query_endpoint());

    // The export tables from the remote store are the local ones, byte for
    // byte (the agreements table is over a megabyte of SPARQL JSON).
    let (here, there) = (ws.path().join("here"), ws.path().join("there"));
    let endpoint = remote.query_endpoint();
    let local = on(
        ws.path(),
        &store,
        &[
            "export",
            "--format",
            "csv",
            "--output",
            here.to_str().unwrap(),
        ],
    );
    assert_eq!(local.code, 0, "{}", local.stderr);
    let exported = on(
        ws.path(),
        &store,
        &[
            "export",
            "--format",
            "csv",
            "--output",
            there.to_str().unwrap(),
            "--endpoint",
            &endpoint,
        ],
    );
    assert_eq!(exported.code, 0, "{}", exported.stderr);
    for table in [
        "agreements",
        "organisations",
        "memberships",
        "technologies",
        "events",
        "projects",
        "columns",
    ] {
        let file = format!("{table}.csv");
        assert_eq!(
            std::fs::read(here.join(&file)).unwrap(),
            std::fs::read(there.join(&file)).unwrap(),
            "{file}"
        );
    }

    // Nothing changed: nothing is sent.
    let again = on(ws.path(), &store, &["publish", "--to", &remote.url]);
    assert_published(
        &again,
        "0 graphs sent (0 in chunks, 0 as changes), 12 unchanged",
    );
    // That was known from the graphs' write stamps, without reading them
    // back; without the stamps (a lost file) every graph is read back, and
    // the answer is the same.
    let states = std::fs::read_to_string(store.join("published-graph-states.json")).unwrap();
    assert!(states.contains(training_graph()), "{states}");
    std::fs::remove_file(store.join("graph-stamps")).unwrap();
    let unstamped = on(ws.path(), &store, &["publish", "--to", &remote.url]);
    assert_published(
        &unstamped,
        "0 graphs sent (0 in chunks, 0 as changes), 12 unchanged",
    );

    // The publish record lost, and a fact written into the remote default
    // graph by hand: every graph is sent again and the copy is built anew
    // from nothing, so the stray fact goes.
    let stray = "INSERT DATA { <urn:stray-default> <urn:p> 1 }";
    let written = curl(
        &format!("{}/update", remote.url),
        &["--data-urlencode", &format!("update={stray}")],
    );
    assert_eq!(written.status, 204, "{}", written.body);
    std::fs::remove_dir_all(store.join("publish")).unwrap();
    let anew = on(ws.path(), &store, &["publish", "--to", &remote.url]);
    assert_published(
        &anew,
        "12 graphs sent (0 in chunks, 0 as changes), 0 unchanged, 0 deleted, 0 failed",
    );
    assert_eq!(
        remote.select("SELECT (COUNT(*) AS ?n) WHERE { <urn:stray-default> ?p ?o }")[1],
        "0",
        "the stray fact is gone"
    );
    assert_same_answers(demo_answers(), ws.path(), &store, &remote.query_endpoint());

    // One figure corrected and imported again: its graph, the run history
    // and the default graph are each brought up to date by one update of
    // what changed, not sent whole. What the remote store holds is what is
    // compared: a triple written into that graph on the remote by hand goes.
    let training = training_graph();
    let stray = format!("INSERT DATA {{ GRAPH <{training}> {{ <urn:stray> <urn:p> 1 }} }}");
    let written = curl(
        &format!("{}/update", remote.url),
        &["--data-urlencode", &format!("update={stray}")],
    );
    assert_eq!(written.status, 204, "{}", written.body);
    let report = ws
        .path()
        .join("data/reports/training-courses-2013-2016.csv");
    let original = std::fs::read_to_string(&report).unwrap();
    let corrected = original.replacen("越南、老挝、柬埔寨,18,", "越南、老挝、柬埔寨,21,", 1);
    assert_ne!(corrected, original);
    std::fs::write(&report, corrected).unwrap();
    let reimported = common::import(ws.path(), &store, &[]);
    assert_eq!(reimported.code, 0, "{}", reimported.stderr);
    let resent = on(ws.path(), &store, &["publish", "--to", &remote.url]);
    assert_published(
        &resent,
        "3 graphs sent (0 in chunks, 3 as changes), 9 unchanged, 0 deleted, 0 failed",
    );
    assert!(
        resent.stderr.contains("training-courses-2013-2016.csv (")
            && resent.stderr.contains("changed: "),
        "{}",
        resent.stderr
    );
    // The copy of the default graph changed with each graph, in the same
    // request, and was counted at the end.
    assert!(
        resent
            .stderr
            .lines()
            .any(|l| l.starts_with("sent DEFAULT (")
                && l.contains("changed: ")
                && l.contains("kept in step on the remote store")),
        "{}",
        resent.stderr
    );
    assert_eq!(
        remote.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { <urn:stray> ?p ?o } }")[1],
        "0",
        "the stray triple is gone"
    );
    assert_same_answers_as_local(ws.path(), &store, &remote.query_endpoint());

    // A report withdrawn from data/: its source is retracted locally, then
    // deleted remotely, and the default graph follows, by a change too.
    assert!(remote.graphs().contains(training));
    withdraw_the_training_report(ws.path(), &store);
    let after = on(ws.path(), &store, &["publish", "--to", &remote.url]);
    assert_published(
        &after,
        "2 graphs sent (0 in chunks, 2 as changes), 9 unchanged, 1 deleted, 0 failed",
    );
    assert!(!remote.graphs().contains(training));
    assert_eq!(
        remote.select("SELECT (COUNT(?t) AS ?n) WHERE { ?t a ttkg:TrainingCourse }")[1],
        "0"
    );
    assert_same_answers_as_local(ws.path(), &store, &remote.query_endpoint());
}

/// `ttkg serve --endpoint`: the query page's routes and the SPARQL
/// endpoint over the published store, answering as the local store does,
/// and refusing every write with where writes go instead.
#[test]
fn the_page_and_endpoint_serve_a_server_store_read_only() {
    let (ws, store) = common::scratch_workspace_with_demo_store();
    let remote = Oxigraph::start();
    let published = on(ws.path(), &store, &["publish", "--to", &remote.url]);
    assert_eq!(published.code, 0, "{}", published.stderr);
    let endpoint = remote.query_endpoint();
    let server = TtkgServer::start(ws.path(), &store, &["--endpoint", &endpoint], &[]);
    let source = curl(&format!("{}/api/source", server.url), &[]);
    assert_eq!(source.status, 200);
    assert!(source.body.contains(&endpoint), "{}", source.body);

    // Saved questions through the page's route, as the local store answers.
    for name in [
        "headline-figures",
        "agreements-by-country",
        "fact-provenance",
    ] {
        let local = on(
            ws.path(),
            &store,
            &["query", "--saved", name, "--format", "csv"],
        );
        assert_eq!(local.code, 0, "{}", local.stderr);
        let served = curl(&format!("{}/api/saved/{name}?format=csv", server.url), &[]);
        assert_eq!(served.status, 200, "{name}: {}", served.body);
        let lines = |text: &str| -> BTreeSet<String> {
            text.lines()
                .map(|l| same_instant_written_alike(l.trim_end_matches('\r')))
                .collect()
        };
        assert_eq!(lines(&local.stdout), lines(&served.body), "{name}");
    }
    // The periodic report's page, its figures asked of the server store.
    let report = curl(&format!("{}/report?period=2016", server.url), &[]);
    assert_eq!(report.status, 200, "{}", report.body);
    assert!(report.body.contains("1,763"), "{}", report.body);

    // A mistake is explained here, before the store is asked.
    let sparql = format!("{}/sparql", server.url);
    let broken = curl(
        &sparql,
        &[
            "--data-urlencode",
            "query=SELECT ?a WHERE { ?a a ttkg:Agreement ",
        ],
    );
    assert_eq!(broken.status, 400, "{}", broken.body);
    assert!(broken.body.contains("is never closed"), "{}", broken.body);
    // Graphs are read with the Graph Store Protocol; a missing one is 404.
    let ontology = curl(
        &format!(
            "{}/store?graph=https://w3id.org/ttkg/graph/ontology",
            server.url
        ),
        &["-H", "Accept: application/n-triples"],
    );
    assert_eq!(ontology.status, 200, "{}", ontology.body);
    assert!(
        ontology.body.contains("ontology#Agreement>"),
        "{}",
        ontology.body
    );
    let missing = curl(&format!("{}/store?graph=urn:nothing", server.url), &[]);
    assert_eq!(missing.status, 404, "{}", missing.body);
    // Writes of every kind are refused, naming the store they would change.
    for args in [
        vec![
            "--data-urlencode",
            "update=INSERT DATA { <urn:a> <urn:b> 1 }",
        ],
        vec![
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/n-triples",
            "--data-binary",
            "<urn:a> <urn:b> <urn:c> .",
        ],
    ] {
        let url = if args[0] == "-X" {
            format!("{}/store?graph=urn:g", server.url)
        } else {
            sparql.clone()
        };
        let refused = curl(&url, &args);
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(refused.body.contains("takes no writes"), "{}", refused.body);
        assert!(refused.body.contains(&endpoint), "{}", refused.body);
    }
    assert!(!remote.graphs().contains("urn:g"));
}

#[test]
fn a_graph_larger_than_a_request_goes_in_chunks_and_is_swapped_in_whole() {
    let (ws, store) = common::scratch_workspace_with_demo_store();
    let remote = Oxigraph::start();
    let run = on(
        ws.path(),
        &store,
        &["publish", "--to", &remote.url, "--chunk-size", "50000"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("network-members.xlsx (25974 triples, in chunks)"),
        "{}",
        run.stderr
    );
    remote.assert_no_staging_graph();
    let counted = remote.select(
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/ttkg/graph/network-members/reports/network-members.xlsx> { ?s ?p ?o } }",
    );
    assert_eq!(counted[1], "25974");
    assert_same_answers(demo_answers(), ws.path(), &store, &remote.query_endpoint());

    // The shapes checked on the remote store: it conforms as the local one
    // does, until something that breaks them is written there.
    let endpoint = remote.query_endpoint();
    let conforms = on(ws.path(), &store, &["validate", "--endpoint", &endpoint]);
    assert_eq!(conforms.code, 0, "{}{}", conforms.stdout, conforms.stderr);
    assert!(
        conforms.stdout.contains("the remote store conforms"),
        "{}",
        conforms.stdout
    );
    let broken = curl(
        &format!("{}/update", remote.url),
        &[
            "-H",
            "Content-Type: application/sparql-update",
            "--data-binary",
            "PREFIX ttkg: <https://w3id.org/ttkg/ontology#> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> \
             INSERT DATA { <http://example.org/bad> a ttkg:Agreement ; ttkg:signingDate \"2016-02-30\"^^xsd:date }",
        ],
    );
    assert_eq!(broken.status, 204, "{}", broken.body);
    let violated = on(ws.path(), &store, &["validate", "--endpoint", &endpoint]);
    assert_eq!(violated.code, 7, "{}{}", violated.stdout, violated.stderr);
    assert!(
        violated
            .stdout
            .contains("\"2016-02-30\" (xsd:date) is not a valid xsd:date"),
        "{}",
        violated.stdout
    );
}

#[test]
fn an_unreachable_store_is_reported_without_the_credentials() {
    let (ws, store) = common::scratch_workspace_with_demo_store();
    let unreachable = format!("http://127.0.0.1:{}", free_port());
    let run = on_with(
        ws.path(),
        &store,
        &[("TTKG_PUBLISH_TOKEN", "do-not-print-me-0123")],
        &["publish", "--to", &unreachable, "--timeout", "2"],
    );
    let stderr = &run.stderr;
    assert_eq!(run.code, 1, "{stderr}");
    assert!(stderr.contains("no answer after 4 attempts"), "{stderr}");
    assert!(
        stderr.contains("resumes where this one stopped"),
        "{stderr}"
    );
    assert!(!stderr.contains("do-not-print-me"), "{stderr}");
    // Nothing was recorded as published.
    let record = std::fs::read_dir(store.join("publish"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(record, 0);
    let bad = on(ws.path(), &store, &["publish", "--to", "ftp://example.org"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("not an http:// or https:// address"),
        "{}",
        bad.stderr
    );
}

#[test]
fn a_target_in_ttkg_toml_is_published_after_each_import_that_succeeds() {
    use std::os::unix::fs::PermissionsExt;
    let ws = common::scratch_workspace();
    let store = ws.path().join("store");
    let remote = Oxigraph::start();
    let token = ws.path().join("oxigraph.token");
    std::fs::write(&token, "a-token-0123456789\n").unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    let settings = ws.path().join("ttkg.toml");
    std::fs::write(
        &settings,
        format!(
            "[[target]]\nname = \"oxi\"\nurl = \"{}\"\nafter_import = true\ntoken_file = \"{}\"\n",
            remote.url,
            token.display()
        ),
    )
    .unwrap();
    let run = common::import(ws.path(), &store, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("12 graphs sent"), "{}", run.stdout);
    assert!(!run.stderr.contains("a-token-0123456789"));
    assert_eq!(remote.graphs().len(), 11, "{:?}", remote.graphs());
    let again = on(ws.path(), &store, &["publish", "--target", "oxi"]);
    assert_published(
        &again,
        "0 graphs sent (0 in chunks, 0 as changes), 12 unchanged",
    );

    // A token file others can read is refused, and the import says that
    // only its publishing failed (exit code 4).
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    let exposed = common::import(ws.path(), &store, &["--force"]);
    assert_eq!(exposed.code, 4, "{}", exposed.stderr);
    assert!(
        exposed
            .stderr
            .contains("the import succeeded, but publishing to `oxi` failed")
            && exposed.stderr.contains("chmod 600"),
        "{}",
        exposed.stderr
    );
    // A flag the target's settings would override is refused, not ignored.
    let overridden = on(
        ws.path(),
        &store,
        &["publish", "--target", "oxi", "--chunk-size", "10"],
    );
    assert_eq!(overridden.code, 2, "{}", overridden.stderr);
    let unknown = on(ws.path(), &store, &["publish", "--target", "fuseki"]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(
        unknown
            .stderr
            .contains("no [[target]] named `fuseki` (it has: oxi)"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn an_address_that_answers_a_web_page_is_not_taken_for_an_empty_store() {
    // A login page or a proxy's notice, 200 OK in HTML, to any request.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/sparql", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            use std::io::{Read, Write};
            let mut request = [0u8; 65536];
            let _ = stream.set_read_timeout(Some(Duration::from_millis(300)));
            let _ = stream.read(&mut request);
            let page = "<html><body>Please sign in</body></html>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    let ws = common::scratch_workspace();
    let store = ws.path().join("store");
    for args in [
        vec!["validate", "--endpoint", url.as_str()],
        vec![
            "query",
            "--saved",
            "headline-figures",
            "--endpoint",
            url.as_str(),
        ],
    ] {
        let run = on(ws.path(), &store, &args);
        assert_ne!(run.code, 0, "{args:?}: {}", run.stdout);
        assert!(!run.stdout.contains("conforms"), "{}", run.stdout);
        assert!(
            run.stderr
                .contains("`text/html`, not SPARQL JSON results or N-Triples"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn virtuoso_is_published_with_digest_authentication_and_answers_every_question_alike() {
    let (ws, store) = common::scratch_workspace_with_demo_store();
    let virtuoso = Virtuoso::start();
    let publish = |password: &str| {
        on_with(
            ws.path(),
            &store,
            &[
                ("TTKG_PUBLISH_USER", "dba"),
                ("TTKG_PUBLISH_PASSWORD", password),
            ],
            &[
                "publish",
                "--to",
                &virtuoso.url,
                "--server",
                "virtuoso",
                "--chunk-size",
                "2000000",
            ],
        )
    };

    // A wrong password: refused with what to do, and never printed.
    let refused = publish("not-the-password-4711");
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("HTTP 401"), "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("TTKG_PUBLISH_USER and TTKG_PUBLISH_PASSWORD"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("not-the-password-4711"));

    // The sources, the ontology, the run history and the copy of the
    // default graph as a named graph; the largest source through a staging
    // graph and a MOVE.
    let first = publish("dba");
    assert_published(
        &first,
        "12 graphs sent (1 in chunks, 0 as changes), 0 unchanged, 0 deleted, 0 failed",
    );
    assert!(
        first
            .stderr
            .contains("network-members.xlsx (25974 triples, in chunks)"),
        "{}",
        first.stderr
    );
    // The copy was not sent: each graph was added to it on Virtuoso as it
    // went in (at 1,000,000 rows, sending it whole ran past every timeout).
    assert!(
        first
            .stderr
            .contains("graphs added to it, kept in step on the remote store"),
        "{}",
        first.stderr
    );
    virtuoso.assert_no_staging_graph();
    assert!(
        virtuoso
            .graphs()
            .iter()
            .any(|g| g.contains("https://w3id.org/ttkg/graph/default")),
        "{:?}",
        virtuoso.graphs()
    );
    // Virtuoso's default graph is every graph it holds, its own system
    // graphs and the copy included: questions are asked of the copy, so a
    // fact two sources state is counted once, as locally.
    let endpoint = virtuoso.query_endpoint();
    assert_same_answers(demo_answers(), ws.path(), &store, &endpoint);
    let ask = on(
        ws.path(),
        &store,
        &[
            "query",
            "ASK { ?a a ttkg:Agreement }",
            "--endpoint",
            &endpoint,
        ],
    );
    assert_eq!(ask.stdout.trim(), "true", "{}", ask.stderr);
    // And the page over it (`ttkg serve --endpoint`) shows the article's
    // figures, each fact counted once.
    let page = TtkgServer::start(ws.path(), &store, &["--endpoint", &endpoint], &[]);
    let figures = curl(
        &format!("{}/api/saved/headline-figures?format=csv", page.url),
        &[],
    );
    assert_eq!(figures.status, 200, "{}", figures.body);
    assert!(
        figures
            .body
            .contains("network members in ASEAN countries,481"),
        "{}",
        figures.body
    );
    drop(page);

    let trainees_on = |endpoint: &str| -> u64 {
        let figures = on(
            ws.path(),
            &store,
            &[
                "query",
                "--saved",
                "headline-figures",
                "--format",
                "csv",
                "--endpoint",
                endpoint,
            ],
        );
        let line = figures
            .stdout
            .lines()
            .find(|l| l.starts_with("trainees,"))
            .unwrap_or_else(|| panic!("{}{}", figures.stdout, figures.stderr));
        line["trainees,".len()..].trim().parse().unwrap()
    };
    let trainees_before = trainees_on(&endpoint);
    assert!(trainees_before > 0);

    let again = publish("dba");
    assert_published(
        &again,
        "0 graphs sent (0 in chunks, 0 as changes), 12 unchanged",
    );

    // A report withdrawn: deleted on Virtuoso, what it said taken out of
    // the copy.
    let report = ws
        .path()
        .join("data/reports/training-courses-2013-2016.csv");
    let original = std::fs::read_to_string(&report).unwrap();
    withdraw_the_training_report(ws.path(), &store);
    let after = publish("dba");
    assert_published(
        &after,
        "2 graphs sent (0 in chunks, 2 as changes), 9 unchanged, 1 deleted, 0 failed",
    );
    assert_same_answers_as_local(ws.path(), &store, &endpoint);

    // Sent again, with one figure corrected: its graph, the run history and
    // the copy go; the rest stays; the new trainee total is Virtuoso's too.
    let corrected = original.replacen("越南、老挝、柬埔寨,18,", "越南、老挝、柬埔寨,21,", 1);
    assert_ne!(corrected, original);
    std::fs::write(&report, corrected).unwrap();
    let reimported = common::import(ws.path(), &store, &[]);
    assert_eq!(reimported.code, 0, "{}", reimported.stderr);
    // The report's graph is new to Virtuoso (it was deleted) and goes
    // whole; the run history and the copy go as changes.
    let resent = publish("dba");
    assert_published(
        &resent,
        "3 graphs sent (0 in chunks, 2 as changes), 9 unchanged, 0 deleted, 0 failed",
    );
    assert_same_answers_as_local(ws.path(), &store, &endpoint);
    assert_eq!(trainees_on(&endpoint), trainees_before + 3);

    // Corrected once more: now Virtuoso holds the report's graph, which is
    // changed too, compared with what Virtuoso answers for it (its own
    // canonical forms of times included).
    let twice = std::fs::read_to_string(&report).unwrap().replacen(
        "越南、老挝、柬埔寨,21,",
        "越南、老挝、柬埔寨,22,",
        1,
    );
    std::fs::write(&report, twice).unwrap();
    let reimported = common::import(ws.path(), &store, &[]);
    assert_eq!(reimported.code, 0, "{}", reimported.stderr);
    let changed = publish("dba");
    assert_published(
        &changed,
        "3 graphs sent (0 in chunks, 3 as changes), 9 unchanged, 0 deleted, 0 failed",
    );
    assert_same_answers_as_local(ws.path(), &store, &endpoint);
    assert_eq!(trainees_on(&endpoint), trainees_before + 4);
}

#[test]
fn a_publish_killed_half_way_is_finished_by_the_next() {
    use std::io::BufRead;
    let (ws, store) = common::scratch_workspace_with_demo_store();
    let remote = Oxigraph::start();
    let mut publishing = Command::new(env!("CARGO_BIN_EXE_ttkg"))
        .arg("--root")
        .arg(ws.path())
        .arg("--store")
        .arg(&store)
        .args(["publish", "--to", &remote.url, "--chunk-size", "20000"])
        .env_remove("TTKG_ROOT")
        .env_remove("TTKG_STORE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Killed as soon as the first graph is in.
    let stderr = std::io::BufReader::new(publishing.stderr.take().unwrap());
    for line in stderr.lines() {
        if line.unwrap().starts_with("sent ") {
            break;
        }
    }
    publishing.kill().unwrap();
    publishing.wait().unwrap();

    let resumed = on(
        ws.path(),
        &store,
        &["publish", "--to", &remote.url, "--chunk-size", "20000"],
    );
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    let counts: Vec<usize> = ["graphs sent", "unchanged"]
        .iter()
        .map(|what| {
            let line = &resumed.stdout;
            let end = line.find(what).unwrap();
            let start = line[..end - 1].rfind(' ').map_or(0, |i| i + 1);
            let number = line[start..end].trim().trim_start_matches(':').trim();
            number.split_whitespace().last().unwrap().parse().unwrap()
        })
        .collect();
    let (sent, unchanged) = (counts[0], counts[1]);
    assert!(
        unchanged >= 1 && sent >= 1 && sent + unchanged == 12,
        "the kill came half-way, and the rest was sent: {}",
        resumed.stdout
    );
    // The copy of the default graph grew on the server with each graph, the
    // killed publish's included, and was only counted at the end.
    assert!(
        resumed
            .stderr
            .contains("graphs added to it, kept in step on the remote store"),
        "{}",
        resumed.stderr
    );
    remote.assert_no_staging_graph();
    assert_same_answers(demo_answers(), ws.path(), &store, &remote.query_endpoint());
}

/// A store told to answer its default graph as the union of the named
/// graphs (`--default-graph union`) gets nothing written into its default
/// graph, even by a target that had a copy published to it before.
#[test]
fn a_union_default_graph_is_never_written() {
    let (ws, store) = common::scratch_workspace_with_demo_store();
    let remote = Oxigraph::start();
    let first = on(ws.path(), &store, &["publish", "--to", &remote.url]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let default_count = || remote.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[1].clone();
    let copied = default_count();
    assert_ne!(copied, "0");

    withdraw_the_training_report(ws.path(), &store);
    let union = on(
        ws.path(),
        &store,
        &["publish", "--to", &remote.url, "--default-graph", "union"],
    );
    assert_eq!(union.code, 0, "{}", union.stderr);
    assert!(
        union.stdout.contains("1 deleted, 0 failed"),
        "{}",
        union.stdout
    );
    assert!(!remote.graphs().contains(training_graph()));
    assert_eq!(default_count(), copied, "the default graph was left alone");
}

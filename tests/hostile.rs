//! Inputs built to crash ttkg or exhaust the machine (the regression corpus
//! of tests/fixtures/hostile/): each fails alone with a message, within
//! bounded memory and time, and the process lives.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::server::{curl, Reply, Server};
use crate::common::{self, fixture, ttkg, workspace_from, Run};
use ttkg_graph::KnowledgeStore;

fn hostile(part: &str) -> PathBuf {
    fixture("hostile").join(part)
}

/// `ttkg ARGS…` in `root` with its virtual memory limited by `ulimit -v`:
/// an input that made ttkg allocate without bound aborts it there.
fn ttkg_within(root: &Path, kib: u64, args: &[&str]) -> Run {
    let mut command = format!("ulimit -v {kib}; exec \"$0\" --root \"$1\"");
    for i in 0..args.len() {
        command.push_str(&format!(" \"${}\"", i + 2));
    }
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .arg(env!("CARGO_BIN_EXE_ttkg"))
        .arg(root)
        .args(args)
        .env_remove("TTKG_STORE")
        .env_remove("TTKG_ROOT")
        .output()
        .expect("sh runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The hostile workspace, with what cannot be committed added: a named
/// pipe, a link to /dev/zero, two links that loop, a link out of the data
/// folder; and the unpacked-size limit lowered to 32 MiB.
fn hostile_workspace() -> (tempfile::TempDir, tempfile::TempDir) {
    let ws = workspace_from(&hostile(""));
    let outside = tempfile::tempdir().unwrap();
    let files = ws.path().join("data/files");
    std::fs::write(outside.path().join("secret.csv"), "协议编号\nSECRET-1\n").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.csv"), files.join("outside.csv"))
        .unwrap();
    std::os::unix::fs::symlink("/dev/zero", files.join("zero.csv")).unwrap();
    let made = Command::new("mkfifo").arg(files.join("pipe.csv")).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let loops = ws.path().join("data/loops");
    std::fs::create_dir_all(&loops).unwrap();
    std::os::unix::fs::symlink("..", loops.join("a")).unwrap();
    std::os::unix::fs::symlink("..", loops.join("b")).unwrap();
    std::fs::write(
        ws.path().join("ttkg.toml"),
        "[limits]\nmax_unpacked_mib = 32\n",
    )
    .unwrap();
    (ws, outside)
}

#[test]
fn hostile_reports_fail_alone_within_bounded_memory() {
    let (ws, _outside) = hostile_workspace();
    let store = ws.path().join("store");
    let started = Instant::now();
    // 1.5 GiB of address space: enough for ttkg, not for any of the grids
    // these files once asked for (549 GB for the far cell).
    let run = ttkg_within(
        ws.path(),
        1_536 * 1024,
        &["import", "--store", store.to_str().unwrap()],
    );
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "no hang on the named pipe"
    );
    for (file, message) in [
        ("files/far-cell-xfd1048576.xlsx", "a value in column 16384 (row 1048576), beyond the 1000 columns"),
        ("files/sheet-unpacks-to-48mib.xlsx", "unpacks to more than 32 MiB"),
        ("files/repeated-cells.ods", "values in column 16384, more than the 1000 columns"),
        ("files/one-line-200000-fields.csv", "no header row found"),
        ("files/pipe.csv", "this is a named pipe, not a report file"),
        ("files/zero.csv", "a symbolic link to /dev/zero, outside the data folder"),
        ("files/outside.csv", "outside the data folder; ttkg follows links only when ttkg.toml says follow_links = true"),
        ("files/box-to-z1000000.xlsx", "no data rows"),
    ] {
        let line = run
            .stderr
            .lines()
            .find(|l| l.starts_with(&format!("error: {file} ")))
            .unwrap_or_else(|| panic!("{file} did not fail:\n{}", run.stderr));
        assert!(line.contains(message), "{file}: {line}");
    }
    let kg = KnowledgeStore::open(&store).unwrap();
    assert_eq!(
        common::select(
            &kg,
            "SELECT ?n WHERE { ?a ttkg:agreementNumber ?n } ORDER BY ?n"
        ),
        vec![vec!["GOOD-1".to_owned()], vec!["GOOD-2".to_owned()]],
        "the good report loads, and nothing of the link out of the folder"
    );
    // The header of a file that was not a report stays out of the history.
    let history = common::select(
        &kg,
        "SELECT ?m WHERE { GRAPH <https://w3id.org/ttkg/graph/runs> { ?c ttkg:message ?m } }",
    );
    assert!(
        history.iter().all(|m| !m[0].contains("SECRET")),
        "{history:?}"
    );
}

#[test]
fn links_out_of_the_data_folder_are_read_only_when_the_workspace_says_so() {
    let (ws, _outside) = hostile_workspace();
    for special in ["zero.csv", "pipe.csv"] {
        std::fs::remove_file(ws.path().join("data/files").join(special)).unwrap();
    }
    let store = ws.path().join("store");
    let csv = ["import", "hostile-csv", "--store", store.to_str().unwrap()];
    let refused = ttkg(ws.path(), &csv);
    assert!(
        refused.stderr.contains("files/outside.csv"),
        "{}",
        refused.stderr
    );
    std::fs::write(
        ws.path().join("ttkg.toml"),
        "[import]\nfollow_links = true\n",
    )
    .unwrap();
    let followed = ttkg(ws.path(), &csv);
    let kg = KnowledgeStore::open(&store).unwrap();
    assert_eq!(
        common::value(
            &kg,
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ttkg:agreementNumber \"SECRET-1\" }"
        ),
        "1",
        "{}\n{}",
        followed.stdout,
        followed.stderr
    );
}

#[test]
fn file_names_no_iri_can_hold_survive_a_dump_and_a_load() {
    use std::os::unix::ffi::OsStrExt;
    let ws = workspace_from(&hostile(""));
    let files = ws.path().join("data/files");
    for entry in std::fs::read_dir(&files).unwrap() {
        let path = entry.unwrap().path();
        if !path.ends_with("good.csv") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let names: [&[u8]; 3] = [
        "r\u{FFFD}placement.csv".as_bytes(),
        "tag\u{E0041}\u{E0042}.csv".as_bytes(),
        b"latin1-caf\xE9.csv",
    ];
    for (i, name) in names.iter().enumerate() {
        let path = files.join(std::ffi::OsStr::from_bytes(name));
        std::fs::write(path, format!("协议编号\nNAME-{i}\n")).unwrap();
    }
    let store = ws.path().join("store");
    let run = common::import(ws.path(), &store, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let dump = ws.path().join("store.nq");
    let dumped = ttkg(
        ws.path(),
        &[
            "dump",
            "--store",
            store.to_str().unwrap(),
            "--output",
            dump.to_str().unwrap(),
        ],
    );
    assert_eq!(dumped.code, 0, "{}", dumped.stderr);
    let copy = ws.path().join("copy");
    let loaded = ttkg(
        ws.path(),
        &[
            "load",
            "--store",
            copy.to_str().unwrap(),
            dump.to_str().unwrap(),
        ],
    );
    assert_eq!(loaded.code, 0, "the backup restores: {}", loaded.stderr);
    // Each store opened once: a store closed and opened again here could
    // find its lock still held by a sibling test's child between its fork
    // and its exec.
    let digest = |kg: &KnowledgeStore| {
        let mut quads: Vec<String> = kg.store().iter().map(|q| q.unwrap().to_string()).collect();
        quads.sort();
        use sha2::Digest;
        sha2::Sha256::digest(quads.join("\n").as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let kg = KnowledgeStore::open(&copy).unwrap();
    assert_eq!(digest(&KnowledgeStore::open(&store).unwrap()), digest(&kg));
    assert_eq!(
        common::value(&kg, "SELECT (COUNT(*) AS ?n) WHERE { ?a ttkg:agreementNumber ?x FILTER(STRSTARTS(?x, \"NAME-\")) }"),
        "3"
    );
}

#[test]
fn the_cli_refuses_deeply_nested_queries() {
    let ws = workspace_from(&hostile(""));
    let store = ws.path().join("store");
    common::import(ws.path(), &store, &[]);
    for query in ["nested-parentheses.rq", "nested-groups.rq"] {
        let path = hostile("queries").join(query);
        let run = ttkg(
            ws.path(),
            &[
                "query",
                "--store",
                store.to_str().unwrap(),
                "--file",
                path.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, 2, "{query}: {}", run.stderr);
        assert!(
            run.stderr.contains("nested too deeply (limit 100)"),
            "{}",
            run.stderr
        );
    }
}

fn read(name: &str) -> String {
    std::fs::read_to_string(hostile("queries").join(name)).unwrap()
}

/// A server of `store` with a memory budget of 128 MiB, `timeout` seconds a
/// question, and writes behind `token`.
fn hostile_server(ws: &Path, store: &Path, timeout: &str, token: &str) -> Server {
    Server::start(
        ws,
        store,
        &[
            "--timeout",
            timeout,
            "--max-memory",
            "128",
            "--allow-writes",
        ],
        &[("TTKG_SERVE_TOKEN", token)],
    )
}

/// A question POSTed as `application/sparql-query`.
fn post_query(sparql: &str, query: &str) -> Reply {
    curl(
        sparql,
        &[
            "-H",
            "Content-Type: application/sparql-query",
            "--data-binary",
            query,
        ],
    )
}

#[test]
fn hostile_queries_are_refused_or_stopped_and_the_server_lives() {
    let ws = workspace_from(&hostile(""));
    let store = ws.path().join("store");
    common::import(ws.path(), &store, &[]);
    // A second server's own copy (a store admits one process at a time).
    let quick_store = ws.path().join("quick-store");
    common::copy_dir(&store, &quick_store);
    let token = "hostile-test-token-0123456789";
    // A time limit the memory budget is reached well within, even on a
    // busy machine (the budget, not the clock, must stop the CONCAT).
    let server = hostile_server(ws.path(), &store, "8", token);
    let sparql = format!("{}/sparql", server.url);
    let post = |query: &str| post_query(&sparql, query);
    for name in ["nested-parentheses.rq", "nested-groups.rq"] {
        let reply = post(&read(name));
        assert_eq!(reply.status, 400, "{name}: {}", reply.body);
        assert!(
            reply.body.contains("nested too deeply (limit 100)"),
            "{}",
            reply.body
        );
    }
    let concat = post(&read("concat-doubling.rq"));
    assert_eq!(concat.status, 422, "{}", concat.body);
    assert!(concat.body.contains("more than 128 MiB"), "{}", concat.body);
    drop(server);

    // The questions that run into the clock, on a server with a short limit
    // (each burns a core until it is stopped).
    let server = hostile_server(ws.path(), &quick_store, "2", token);
    let sparql = format!("{}/sparql", server.url);
    let post = |query: &str| post_query(&sparql, query);
    let started = Instant::now();
    let product = post(&read("values-cross-product.rq"));
    assert_eq!(product.status, 504, "{}", product.body);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stopped at the limit: {:?}",
        started.elapsed()
    );
    // The slot was freed at once: a plain question answers.
    let count = "SELECT (COUNT(*) AS ?n) WHERE { ?a ttkg:agreementNumber ?x }";
    let answer = curl(
        &sparql,
        &[
            "-H",
            "Accept: text/csv",
            "--data-urlencode",
            &format!("query={count}"),
        ],
    );
    // good.csv and the 48 MiB workbook, within the default limits.
    assert_eq!((answer.status, answer.body.trim()), (200, "n\r\n3"));
    // An update whose WHERE runs away is stopped, changes nothing, and the
    // write turn is free for the next.
    let bearer = format!("Authorization: Bearer {token}");
    let update = curl(
        &sparql,
        &[
            "-H",
            &bearer,
            "-H",
            "Content-Type: application/sparql-update",
            "--data-binary",
            &read("update-cross-product.ru"),
        ],
    );
    assert_eq!(update.status, 504, "{}", update.body);
    let small = curl(
        &sparql,
        &[
            "-H",
            &bearer,
            "--data-urlencode",
            "update=INSERT DATA { GRAPH <urn:ok> { <urn:a> <urn:b> 1 } }",
        ],
    );
    assert_eq!(small.status, 204, "{}", small.body);
    // Entities that expand a kilobyte into gigabytes are refused.
    let laughs = curl(
        &format!("{}/store?graph=urn:laughs", server.url),
        &[
            "-X",
            "PUT",
            "-H",
            &bearer,
            "-H",
            "Content-Type: application/rdf+xml",
            "--data-binary",
            &read("billion-laughs.rdf"),
        ],
    );
    assert_eq!(laughs.status, 400, "{}", laughs.body);
    assert!(
        laughs.body.contains("declares XML entities"),
        "{}",
        laughs.body
    );
    let after = curl(
        &sparql,
        &[
            "-H",
            "Accept: text/csv",
            "--data-urlencode",
            &format!("query={count}"),
        ],
    );
    assert_eq!(after.status, 200, "the server lives");
}

//! What `ttkg serve` exposes, to whom: the import hand-over and its
//! secret, DNS rebinding and cross-site requests, slow and many
//! connections, weak tokens, formula text in the page's downloads.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::server::{curl, Server};
use crate::common::{self, fixture, import, ttkg, workspace_from};

/// A small workspace (the hostile fixture's good report) imported into `store`.
fn small_store() -> (tempfile::TempDir, std::path::PathBuf) {
    let ws = workspace_from(&fixture("hostile"));
    let files = ws.path().join("data/files");
    for entry in std::fs::read_dir(&files).unwrap() {
        let path = entry.unwrap().path();
        if !path.ends_with("good.csv") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let store = ws.path().join("store");
    let run = import(ws.path(), &store, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    (ws, store)
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path).unwrap().mode() & 0o777
}

#[test]
fn the_serve_file_is_made_anew_private_and_never_through_a_link() {
    let (ws, store) = small_store();
    let file = store.join("ttkg-serve.json");
    // Left there by another user: readable by all, or a link to elsewhere.
    let elsewhere = ws.path().join("elsewhere.json");
    std::fs::write(&elsewhere, "{}").unwrap();
    std::os::unix::fs::symlink(&elsewhere, &file).unwrap();
    let server = Server::start(ws.path(), &store, &[], &[]);
    assert_eq!(mode(&file), 0o600, "a private file replaced the link");
    assert_eq!(
        std::fs::read_to_string(&elsewhere).unwrap(),
        "{}",
        "nothing written through the link"
    );
    server.stop();
    std::fs::write(&file, "{}").unwrap();
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let server = Server::start(ws.path(), &store, &[], &[]);
    assert_eq!(mode(&file), 0o600);
    server.stop();
    // A store folder every user may write to is refused.
    std::fs::set_permissions(&store, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let refused = ttkg(
        ws.path(),
        &[
            "serve",
            "--store",
            store.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
        ],
    );
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("writable by every user"),
        "{}",
        refused.stderr
    );
}

#[test]
fn a_handed_over_import_takes_no_other_workspace() {
    let (ws, store) = small_store();
    let server = Server::start(ws.path(), &store, &[], &[]);
    let other = tempfile::tempdir().unwrap();
    for part in ["ontology", "pipelines", "data"] {
        common::copy_dir(&ws.path().join(part), &other.path().join(part));
    }
    std::fs::write(other.path().join("data/files/good.csv"), "协议编号\n").unwrap();
    let run = ttkg(
        other.path(),
        &["import", "--store", store.to_str().unwrap()],
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("this server imports into its own workspace"),
        "{}",
        run.stderr
    );
    let data = ttkg(
        ws.path(),
        &[
            "import",
            "--store",
            store.to_str().unwrap(),
            "--data",
            "/tmp",
        ],
    );
    assert_eq!(data.code, 2, "{}", data.stderr);
    assert!(
        data.stderr.contains("--data is not taken through it"),
        "{}",
        data.stderr
    );
    // The server's own workspace still imports through it.
    let own = ttkg(
        ws.path(),
        &["import", "--store", store.to_str().unwrap(), "--force"],
    );
    assert_eq!(own.code, 0, "{}\n{}", own.stdout, own.stderr);
    server.stop();
}

/// This process's start time as the kernel gives it, so that a planted
/// serve file names a process that is alive.
fn own_start() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    after.split(' ').nth(19).unwrap().parse().unwrap()
}

#[test]
fn a_stale_or_fake_server_gets_nothing_and_the_import_runs_directly() {
    let (ws, store) = small_store();
    let file = store.join("ttkg-serve.json");
    let plant = |pid: u32, started: u64, url: &str| {
        let text = format!(
            r#"{{"pid":{pid},"started":{started},"url":"{url}","secret":"the-real-secret-0123456789abcdef"}}"#
        );
        std::fs::write(&file, text).unwrap();
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
    };
    // Left by a server that was killed: removed, and the import runs.
    plant(4_000_000, 1, "http://127.0.0.1:9");
    let run = ttkg(
        ws.path(),
        &["import", "--store", store.to_str().unwrap(), "--force"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("no longer running"), "{}", run.stderr);
    assert!(!file.exists(), "the stale file is removed");
    // A live process, but something else listens where the file says: it
    // learns no secret, and the import runs directly.
    let fake = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", fake.local_addr().unwrap());
    let heard = std::thread::spawn(move || {
        let mut seen = String::new();
        fake.set_nonblocking(false).unwrap();
        if let Ok((mut stream, _)) = fake.accept() {
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut buf = [0u8; 4096];
            if let Ok(n) = stream.read(&mut buf) {
                seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
            let fake_answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 37\r\n\r\n{\"proof\":\"00\",\"challenge\":\"x\" }     ";
            let _ = stream.write_all(fake_answer.as_bytes());
        }
        seen
    });
    plant(std::process::id(), own_start(), &url);
    let run = ttkg(
        ws.path(),
        &["import", "--store", store.to_str().unwrap(), "--force"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("is not the ttkg server"),
        "{}",
        run.stderr
    );
    let seen = heard.join().unwrap();
    assert!(seen.starts_with("GET /ttkg/hello"), "{seen}");
    assert!(
        !seen.contains("the-real-secret"),
        "the secret never leaves: {seen}"
    );
}

#[test]
fn rebound_names_and_other_sites_are_refused() {
    let (ws, store) = small_store();
    let server = Server::start(ws.path(), &store, &[], &[]);
    let query = format!(
        "{}/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%201",
        server.url
    );
    assert_eq!(
        curl(&query, &["-H", "Host: rebind.attacker.example"]).status,
        421
    );
    assert_eq!(curl(&query, &[]).status, 200);
    let form = |origin: &str| {
        curl(
            &format!("{}/sparql", server.url),
            &[
                "-H",
                &format!("Origin: {origin}"),
                "--data-urlencode",
                "query=ASK {}",
            ],
        )
        .status
    };
    assert_eq!(
        form("http://evil.example"),
        403,
        "a cross-site form is refused before it runs"
    );
    assert_eq!(form(&server.url), 200, "the page's own origin");
    let image = curl(
        &query,
        &[
            "-H",
            "Sec-Fetch-Site: cross-site",
            "-H",
            "Sec-Fetch-Mode: no-cors",
        ],
    );
    assert_eq!(image.status, 403, "an <img> from another site");
    let page = curl(
        &format!("{}/", server.url),
        &[
            "-H",
            "Sec-Fetch-Site: cross-site",
            "-H",
            "Sec-Fetch-Mode: navigate",
        ],
    );
    assert_eq!(page.status, 200, "a link to the page is followed");
}

#[test]
fn slow_and_many_connections_are_closed() {
    let (ws, store) = small_store();
    let server = Server::start(
        ws.path(),
        &store,
        &["--header-timeout", "1", "--max-connections", "3"],
        &[],
    );
    let address = server.url.trim_start_matches("http://").to_owned();
    let half = || {
        let mut stream = TcpStream::connect(&address).unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .unwrap();
        stream
    };
    let mut slow: Vec<TcpStream> = (0..3).map(|_| half()).collect();
    std::thread::sleep(Duration::from_millis(200));
    // Over the cap: closed at once.
    let mut extra = TcpStream::connect(&address).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = extra.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    let mut buf = [0u8; 64];
    assert_eq!(
        extra.read(&mut buf).unwrap_or(0),
        0,
        "the fourth connection is closed"
    );
    // The half-sent headers are given up on after the timeout.
    let started = Instant::now();
    for stream in &mut slow {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut sink = Vec::new();
        let _ = stream.read_to_end(&mut sink);
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(curl(&format!("{}/", server.url), &[]).status, 200);
}

#[test]
fn weak_tokens_are_refused_and_strong_ones_made() {
    let (ws, store) = small_store();
    let weak = std::process::Command::new(env!("CARGO_BIN_EXE_ttkg"))
        .args([
            "--root",
            ws.path().to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
        ])
        .args(["serve", "--allow-writes", "--bind", "127.0.0.1:0"])
        .env("TTKG_SERVE_TOKEN", "a".repeat(16))
        .output()
        .unwrap();
    assert_eq!(weak.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&weak.stderr).contains("too weak"));
    let made = ttkg(ws.path(), &["serve", "--new-token"]);
    assert_eq!(made.code, 0);
    let token = made.stdout.trim();
    assert_eq!(token.len(), 64);
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
}

#[test]
fn the_pages_csv_download_is_safe_for_spreadsheets() {
    let (ws, store) = small_store();
    let server = Server::start(ws.path(), &store, &[], &[]);
    let risky =
        "SELECT ?v WHERE { VALUES ?v { \"=cmd|' /C calc'!A0\" \"=HYPERLINK(\\\"http://x\\\")\" } }";
    let download = curl(
        &format!("{}/sparql?for=spreadsheet", server.url),
        &[
            "-H",
            "Accept: text/csv",
            "-H",
            "Content-Type: application/sparql-query",
            "--data-binary",
            risky,
        ],
    );
    assert_eq!(download.status, 200);
    assert!(
        download.body.starts_with('\u{FEFF}'),
        "a byte-order mark for Excel"
    );
    assert!(download.body.contains("'=cmd"), "{}", download.body);
    assert!(
        !download.body.lines().any(|l| l.starts_with("=")),
        "{}",
        download.body
    );
    // The W3C answer to a program stays exact.
    let exact = curl(
        &format!("{}/sparql", server.url),
        &[
            "-H",
            "Accept: text/csv",
            "-H",
            "Content-Type: application/sparql-query",
            "--data-binary",
            risky,
        ],
    );
    assert!(
        exact.body.contains("\n=cmd") || exact.body.contains("\"=cmd"),
        "{}",
        exact.body
    );
}

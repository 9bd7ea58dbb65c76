//! Imports while serving. RocksDB lets one process open the store, so
//! while `ttkg serve` holds it a scheduled `ttkg import` hands its run to
//! the server, which runs it in process (queries keep answering, each
//! source seen whole before or after its load) and sends back what the
//! import would have printed and its exit code.
//!
//! The server writes `ttkg-serve.json` in the store folder: its address,
//! its process id and start time, and a random secret. The file is created
//! anew (never written through a link or into a file someone else made),
//! readable by its owner only, and removed on exit; a store folder others
//! may write to is refused. The client trusts the file only if its owner
//! wrote it and the process it names is still the one that started then.
//!
//! The secret never crosses the wire. The client sends a challenge; the
//! server answers with an HMAC of it under the secret (proving it holds
//! the file's secret) and a challenge of its own, single-use; the client's
//! request carries an HMAC of that challenge and of the request body. A
//! program that happens to listen on the port of a dead server learns
//! nothing, and the client then imports directly.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ttkg_graph::KnowledgeStore;

use crate::{same_secret, ApiError, App};

/// Runs a handed-over import on the server's store: the request is what
/// the `ttkg import` command line asked for, as its own JSON.
pub type ImportHook = Arc<dyn Fn(&KnowledgeStore, serde_json::Value) -> Forwarded + Send + Sync>;

/// What a handed-over import printed and how it ended.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Forwarded {
    pub exit_code: u8,
    pub stdout: String,
    pub stderr: String,
}

/// How long a server's challenge stays good.
const CHALLENGE_LIFE: Duration = Duration::from_secs(60);

pub(crate) struct Importer {
    secret: String,
    hook: ImportHook,
    /// The challenges handed out and not yet used, with when.
    challenges: Mutex<HashMap<String, Instant>>,
}

impl Importer {
    pub fn new(secret: String, hook: ImportHook) -> Self {
        Importer {
            secret,
            hook,
            challenges: Mutex::new(HashMap::new()),
        }
    }
}

fn hmac_hex(secret: &str, parts: &[&[u8]]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    for part in parts {
        mac.update(part);
        mac.update(b"\n");
    }
    hex(&mac.finalize().into_bytes())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_hex(len: usize) -> std::io::Result<String> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(hex(&bytes))
}

/// Where a running server can be reached, as written in the store folder.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServeFile {
    pub pid: u32,
    /// When that process started, in the kernel's clock ticks since boot
    /// (`/proc/PID/stat`): a process id is reused, this pair is not.
    pub started: u64,
    /// `http://127.0.0.1:PORT` when the server listens on every address or
    /// on loopback; its own address otherwise.
    pub url: String,
    pub secret: String,
}

/// When process `pid` started, if it runs.
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name in parentheses may hold spaces; the fields follow its end.
    let after = &stat[stat.rfind(')')? + 2..];
    after.split(' ').nth(19)?.parse().ok()
}

impl ServeFile {
    pub const NAME: &'static str = "ttkg-serve.json";

    fn path(store: &Path) -> PathBuf {
        store.join(Self::NAME)
    }

    /// A file for a server of this process listening on `address`, with a
    /// new secret.
    pub fn new(address: std::net::SocketAddr) -> std::io::Result<Self> {
        let pid = std::process::id();
        Ok(ServeFile {
            pid,
            started: process_start(pid).unwrap_or(0),
            url: format!("http://{}", local_address(address)),
            secret: random_hex(24)?,
        })
    }

    /// Writes the file anew, readable and writable by its owner only: into
    /// a file created for the purpose, then renamed over the name, so that
    /// a file or link someone else left there is replaced, never written
    /// through. Refuses a store folder that others may write to.
    pub fn write(&self, store: &Path) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let mode = std::fs::metadata(store)?.mode();
            if mode & 0o002 != 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!(
                        "{} is writable by every user, so the server's secret cannot be kept there; make it private (chmod o-w) or use another --store",
                        store.display()
                    ),
                ));
            }
        }
        let staging = store.join(format!(".{}.{}.tmp", Self::NAME, random_hex(8)?));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        let mut file = options.open(&staging)?;
        let written = file
            .write_all(
                serde_json::to_string_pretty(self)
                    .map_err(std::io::Error::other)?
                    .as_bytes(),
            )
            .and_then(|()| file.sync_all())
            .and_then(|()| std::fs::rename(&staging, Self::path(store)));
        if written.is_err() {
            let _ = std::fs::remove_file(&staging);
        }
        written
    }

    /// The file of the server holding `store`: `Ok(None)` when there is
    /// none, `Err` with the reason when there is one that must not be
    /// trusted (a link, another user's, readable by others).
    pub fn read(store: &Path) -> Result<Option<Self>, String> {
        let path = Self::path(store);
        let mut options = std::fs::OpenOptions::new();
        options.read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NOFOLLOW);
        }
        let file = match options.open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let meta = file.metadata().map_err(|e| e.to_string())?;
            // SAFETY: geteuid has no preconditions and cannot fail.
            let me = unsafe { libc::geteuid() };
            if meta.uid() != me || meta.mode() & 0o077 != 0 {
                return Err(format!(
                    "{} is not private to this user (owner {}, mode {:o}); it was not used",
                    path.display(),
                    meta.uid(),
                    meta.mode() & 0o777
                ));
            }
        }
        let text = std::io::read_to_string(file).map_err(|e| e.to_string())?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Whether the process that wrote the file still runs.
    pub fn is_alive(&self) -> bool {
        process_start(self.pid).is_some_and(|started| started == self.started)
    }

    /// Removes the file if it is still this server's.
    pub fn remove(&self, store: &Path) {
        if Self::read(store).ok().flatten().as_ref() == Some(self) {
            let _ = std::fs::remove_file(Self::path(store));
        }
    }

    /// Removes a file whose server is gone.
    pub fn remove_stale(store: &Path) {
        if let Ok(Some(file)) = Self::read(store) {
            if !file.is_alive() {
                let _ = std::fs::remove_file(Self::path(store));
            }
        }
    }
}

/// The address this machine reaches a server listening on `address` at.
pub fn local_address(address: std::net::SocketAddr) -> std::net::SocketAddr {
    if address.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), address.port())
    } else {
        address
    }
}

/// Why an import could not be handed to the server.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// No server answers at the address in the file: it was killed, and
    /// the store is free again.
    #[error("no server answers at {0}")]
    Unreachable(String),
    /// Something answers, but cannot prove it holds the file's secret.
    #[error("the program at {0} is not the ttkg server that wrote the store's ttkg-serve.json")]
    Impostor(String),
    #[error("the server holding the store refused the import: {0}")]
    Refused(String),
}

/// The server's answer to a client's challenge.
#[derive(Debug, Serialize, Deserialize)]
struct Hello {
    /// HMAC of the client's challenge under the secret.
    proof: String,
    /// The server's challenge for the import request.
    challenge: String,
}

/// Hands an import to the server holding `store`, waiting for its end.
pub fn forward_import(
    server: &ServeFile,
    request: &serde_json::Value,
) -> Result<Forwarded, ForwardError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(5)))
        .build()
        .into();
    let mine = random_hex(16).map_err(|e| ForwardError::Refused(e.to_string()))?;
    let mut hello = agent
        .get(format!("{}/ttkg/hello?challenge={mine}", server.url))
        .call()
        .map_err(|_| ForwardError::Unreachable(server.url.clone()))?;
    let impostor = || ForwardError::Impostor(server.url.clone());
    if hello.status() != 200 {
        return Err(impostor());
    }
    let hello: Hello = hello
        .body_mut()
        .with_config()
        .limit(4096)
        .read_json()
        .map_err(|_| impostor())?;
    let expected = hmac_hex(&server.secret, &[b"server", mine.as_bytes()]);
    if !same_secret(&hello.proof, &expected) {
        return Err(impostor());
    }
    let body = serde_json::to_vec(request).map_err(|e| ForwardError::Refused(e.to_string()))?;
    let signature = hmac_hex(
        &server.secret,
        &[
            b"client",
            hello.challenge.as_bytes(),
            hex(&Sha256::digest(&body)).as_bytes(),
        ],
    );
    let mut response = agent
        .post(format!("{}/ttkg/import", server.url))
        .header("Content-Type", "application/json")
        .header("X-Ttkg-Challenge", &hello.challenge)
        .header("Authorization", format!("TTKG-HMAC {signature}"))
        .send(&body[..])
        .map_err(|_| ForwardError::Unreachable(server.url.clone()))?;
    let status = response.status();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| ForwardError::Refused(e.to_string()))?;
    if status != 200 {
        return Err(ForwardError::Refused(format!("{status}: {}", body.trim())));
    }
    serde_json::from_str(&body).map_err(|e| ForwardError::Refused(e.to_string()))
}

/// `GET /ttkg/hello?challenge=…`: the server proves it holds the secret
/// and hands out a single-use challenge for the import request.
pub(crate) async fn hello(State(app): State<App>, RawQuery(query): RawQuery) -> Response {
    let Some(importer) = &app.import else {
        return ApiError::new(StatusCode::NOT_FOUND, "this server does not take imports")
            .into_response();
    };
    let challenge = crate::protocol::pairs(query.unwrap_or_default().as_bytes())
        .into_iter()
        .find(|(n, _)| n == "challenge")
        .map(|(_, v)| v)
        .filter(|c| (16..=128).contains(&c.len()));
    let Some(challenge) = challenge else {
        return ApiError::bad_request("give a challenge of 16 to 128 characters").into_response();
    };
    let Ok(mine) = random_hex(16) else {
        return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "no randomness").into_response();
    };
    {
        let mut challenges = importer
            .challenges
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        challenges.retain(|_, at| at.elapsed() < CHALLENGE_LIFE);
        if challenges.len() >= 1000 {
            return crate::answer::busy().into_response();
        }
        challenges.insert(mine.clone(), Instant::now());
    }
    Json(Hello {
        proof: hmac_hex(&importer.secret, &[b"server", challenge.as_bytes()]),
        challenge: mine,
    })
    .into_response()
}

/// `POST /ttkg/import`, signed with the secret of the file (which only the
/// server's owner can read) over a challenge of the server's.
pub(crate) async fn import(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(importer) = &app.import else {
        return ApiError::new(StatusCode::NOT_FOUND, "this server does not take imports")
            .into_response();
    };
    let refused = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "imports are taken only from `ttkg import` run by the owner of the store",
        )
        .into_response()
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(challenge), Some(given)) = (
        header("x-ttkg-challenge"),
        header("authorization").and_then(|v| v.strip_prefix("TTKG-HMAC ")),
    ) else {
        return refused();
    };
    let fresh = importer
        .challenges
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .remove(challenge)
        .is_some_and(|at| at.elapsed() < CHALLENGE_LIFE);
    let expected = hmac_hex(
        &importer.secret,
        &[
            b"client",
            challenge.as_bytes(),
            hex(&Sha256::digest(&body)).as_bytes(),
        ],
    );
    if !fresh || !same_secret(given.trim(), &expected) {
        return refused();
    }
    let Ok(request) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return ApiError::bad_request("the import request is not JSON").into_response();
    };
    let store = match app.backend.local() {
        Ok(store) => store.clone(),
        Err(e) => return e.into_response(),
    };
    let hook = importer.hook.clone();
    let turn = app.writes.clone().lock_owned().await;
    let done = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        hook(&store, request)
    })
    .await;
    match done {
        Ok(forwarded) => Json(forwarded).into_response(),
        Err(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the import failed inside the server (a bug: please report it)",
        )
        .into_response(),
    }
}

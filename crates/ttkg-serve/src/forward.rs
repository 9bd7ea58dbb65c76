//! Imports while serving. RocksDB lets one process open the store, so
//! while `ttkg serve` holds it a scheduled `ttkg import` hands its run to
//! the server, which runs it in process (queries keep answering, each
//! source seen whole before or after its load) and sends back what the
//! import would have printed and its exit code.
//!
//! The server writes `ttkg-serve.json` in the store folder (its address and
//! a random secret, readable by its owner only) and removes it on exit.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
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

pub(crate) struct Importer {
    secret: String,
    hook: ImportHook,
}

impl Importer {
    pub fn new(secret: String, hook: ImportHook) -> Self {
        Importer { secret, hook }
    }
}

/// Where a running server can be reached, as written in the store folder.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServeFile {
    pub pid: u32,
    /// `http://127.0.0.1:PORT` when the server listens on every address or
    /// on loopback; its own address otherwise.
    pub url: String,
    pub secret: String,
}

impl ServeFile {
    pub const NAME: &'static str = "ttkg-serve.json";

    fn path(store: &Path) -> PathBuf {
        store.join(Self::NAME)
    }

    /// A file for a server of this process listening on `address`, with a
    /// new secret.
    pub fn new(address: std::net::SocketAddr) -> std::io::Result<Self> {
        let mut bytes = [0u8; 24];
        getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
        Ok(ServeFile {
            pid: std::process::id(),
            url: format!("http://{}", local_address(address)),
            secret: bytes.iter().map(|b| format!("{b:02x}")).collect(),
        })
    }

    /// Writes the file, readable and writable by its owner only.
    pub fn write(&self, store: &Path) -> std::io::Result<()> {
        let path = Self::path(store);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&path)?;
        file.write_all(
            serde_json::to_string_pretty(self)
                .map_err(std::io::Error::other)?
                .as_bytes(),
        )?;
        file.sync_all()
    }

    /// The file of the server holding `store`, if there is one.
    pub fn read(store: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(Self::path(store)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Removes the file if it is still this server's.
    pub fn remove(&self, store: &Path) {
        if Self::read(store).as_ref() == Some(self) {
            let _ = std::fs::remove_file(Self::path(store));
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
    #[error("the server holding the store refused the import: {0}")]
    Refused(String),
}

/// Hands an import to the server holding `store`, waiting for its end.
pub fn forward_import(
    server: &ServeFile,
    request: &serde_json::Value,
) -> Result<Forwarded, ForwardError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .post(format!("{}/ttkg/import", server.url))
        .header("Authorization", format!("Bearer {}", server.secret))
        .send_json(request)
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

/// `POST /ttkg/import`, with the secret of the file (which only the
/// server's owner can read).
pub(crate) async fn import(
    State(app): State<App>,
    headers: HeaderMap,
    Json(request): Json<serde_json::Value>,
) -> Response {
    let Some(importer) = &app.import else {
        return ApiError::new(StatusCode::NOT_FOUND, "this server does not take imports")
            .into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !given.is_some_and(|g| same_secret(g, &importer.secret)) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "imports are taken only from `ttkg import` run by the owner of the store",
        )
        .into_response();
    }
    let (hook, store) = (importer.hook.clone(), app.store.clone());
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

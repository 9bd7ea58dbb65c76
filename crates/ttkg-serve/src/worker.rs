//! Query workers: each query the server answers is evaluated in a child
//! process (`ttkg query-worker`) on a read-only snapshot of the store, so
//! that no query can take the server down. A query past its time limit is
//! stopped by killing its worker (oxigraph cannot be interrupted while it
//! computes in memory); one past its memory budget ends its worker itself
//! ([`crate::budget`]). Either way the slot is free at once and a fresh
//! worker takes the next query.
//!
//! Server and worker speak over the worker's standard input and output: a
//! request is a length-prefixed JSON [`Request`]; a reply is a
//! length-prefixed JSON [`Reply`] followed by the length-prefixed answer.

use std::ffi::OsString;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use ttkg_graph::snapshot::Snapshot;

use crate::evaluate::{self, Body, Request};
use crate::ApiError;
use ttkg_memory as budget;

/// How to start a worker: this program with these arguments.
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
}

/// A worker's answer to one request.
#[derive(Debug, Serialize, Deserialize)]
struct Reply {
    status: u16,
    media_type: Option<String>,
    download: Option<String>,
    message: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
}

/// The largest request a worker reads: a query is bounded by the server's
/// body limit long before this.
const MAX_MESSAGE: u64 = 64 << 20;

fn send(out: &mut impl Write, header: &impl Serialize, body: &[u8]) -> std::io::Result<()> {
    let header = serde_json::to_vec(header).map_err(std::io::Error::other)?;
    out.write_all(&(header.len() as u64).to_le_bytes())?;
    out.write_all(&header)?;
    out.write_all(&(body.len() as u64).to_le_bytes())?;
    out.write_all(body)?;
    out.flush()
}

fn read_chunk(input: &mut impl Read, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut length = [0u8; 8];
    match input.read_exact(&mut length) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let length = u64::from_le_bytes(length);
    if length > limit {
        return Err(std::io::Error::other(format!(
            "a message of {length} bytes is over the limit of {limit}"
        )));
    }
    let mut bytes = vec![0; length as usize];
    input.read_exact(&mut bytes)?;
    Ok(Some(bytes))
}

/// One message: its header and body, or `None` when the other side closed.
fn receive<T: DeserializeOwned>(
    input: &mut impl Read,
    body_limit: u64,
) -> std::io::Result<Option<(T, Vec<u8>)>> {
    let Some(header) = read_chunk(input, MAX_MESSAGE)? else {
        return Ok(None);
    };
    let header = serde_json::from_slice(&header).map_err(std::io::Error::other)?;
    let body = read_chunk(input, body_limit)?.ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "a message ended early")
    })?;
    Ok(Some((header, body)))
}

/// The worker's side: answers requests from standard input on the newest
/// snapshot of the store in `store_dir`, each under `memory` bytes of new
/// allocations, until its input closes.
pub fn worker_main(store_dir: &Path, memory: usize) -> std::io::Result<()> {
    let mut input = std::io::stdin().lock();
    let mut output = std::io::stdout().lock();
    let mut snapshot: Option<Snapshot> = None;
    budget::limit(memory);
    while let Some((request, _)) = receive::<Request>(&mut input, 0)? {
        if snapshot.as_ref().is_none_or(|s| s.is_stale(store_dir)) {
            // Release the old snapshot first, so the writer may remove it.
            snapshot = None;
            match Snapshot::open_latest(store_dir) {
                Ok(s) => snapshot = Some(s),
                Err(e) => {
                    let reply = Reply {
                        status: StatusCode::SERVICE_UNAVAILABLE.as_u16(),
                        media_type: None,
                        download: None,
                        message: Some(format!("the store cannot be read: {e}")),
                        warnings: Vec::new(),
                    };
                    send(&mut output, &reply, &[])?;
                    continue;
                }
            }
        }
        let snapshot = snapshot.as_ref().expect("opened above");
        budget::reset();
        // An update is evaluated on a writable scratch copy, never applied.
        let evaluated = match &request.job {
            evaluate::Job::Update { .. } => snapshot
                .scratch_copy()
                .map_err(ApiError::from)
                .and_then(|scratch| evaluate::evaluate(&scratch.store, &request)),
            _ => evaluate::evaluate(&snapshot.store, &request),
        };
        let (reply, body) = match evaluated {
            Ok(body) => (
                Reply {
                    status: 200,
                    media_type: Some(body.media_type),
                    download: body.download,
                    message: None,
                    warnings: body.warnings,
                },
                body.bytes,
            ),
            Err(e) => (
                Reply {
                    status: e.status.as_u16(),
                    media_type: None,
                    download: None,
                    message: Some(e.message),
                    warnings: Vec::new(),
                },
                Vec::new(),
            ),
        };
        send(&mut output, &reply, &body)?;
    }
    Ok(())
}

/// A running worker and the pipes to it.
struct Worker {
    child: Arc<Mutex<Child>>,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

/// The server's workers: started on demand, reused while they behave.
pub struct Pool {
    command: WorkerCommand,
    idle: Mutex<Vec<Worker>>,
    /// The memory budget workers are started with, for messages.
    memory: usize,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Pool {
    pub fn new(command: WorkerCommand, memory: usize) -> Self {
        Pool {
            command,
            idle: Mutex::new(Vec::new()),
            memory,
        }
    }

    fn spawn(&self) -> std::io::Result<Worker> {
        let mut child = Command::new(&self.command.program)
            .args(&self.command.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let input = child.stdin.take().expect("stdin was piped");
        let output = BufReader::new(child.stdout.take().expect("stdout was piped"));
        Ok(Worker {
            child: Arc::new(Mutex::new(child)),
            input,
            output,
        })
    }

    /// Starts a worker ahead of the first query, so that it finds one ready.
    pub fn warm(&self) {
        match self.spawn() {
            Ok(worker) => lock(&self.idle).push(worker),
            Err(e) => tracing::warn!("cannot start a query worker: {e}"),
        }
    }

    /// Evaluates `request` in a worker, stopping it at `limit` (plus a
    /// moment for the worker to stop on its own).
    pub async fn evaluate(
        self: Arc<Self>,
        request: Request,
        limit: Duration,
    ) -> Result<Body, ApiError> {
        let pool = self.clone();
        let taken = tokio::task::spawn_blocking(move || {
            let idle = lock(&pool.idle).pop();
            match idle {
                Some(worker) => Ok(worker),
                None => pool.spawn(),
            }
        })
        .await
        .map_err(|_| internal("starting a query worker failed"))?
        .map_err(|e| internal(&format!("cannot start a query worker: {e}")))?;
        let child = taken.child.clone();
        let body_limit = request.limits.max_bytes as u64 + 1024;
        let exchange = tokio::task::spawn_blocking(move || {
            let mut worker = taken;
            let result = send(&mut worker.input, &request, &[])
                .and_then(|()| receive::<Reply>(&mut worker.output, body_limit));
            (worker, result)
        });
        let outcome = tokio::time::timeout(limit + Duration::from_secs(1), exchange).await;
        match outcome {
            Err(_) => {
                // Past the limit: the worker may be computing in memory,
                // where nothing can interrupt it. End it.
                let mut child = lock(&child);
                let _ = child.kill();
                let _ = child.wait();
                Err(ApiError::new(StatusCode::GATEWAY_TIMEOUT, "timeout"))
            }
            Ok(Err(_)) => Err(internal("the query worker's thread failed")),
            Ok(Ok((worker, Ok(Some((reply, bytes)))))) => {
                lock(&self.idle).push(worker);
                match reply.status {
                    200 => Ok(Body {
                        media_type: reply.media_type.unwrap_or_default(),
                        bytes,
                        download: reply.download,
                        warnings: reply.warnings,
                    }),
                    status => Err(ApiError::new(
                        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                        reply.message.unwrap_or_default(),
                    )),
                }
            }
            Ok(Ok((worker, _))) => {
                // The worker ended in the middle: its exit status says why.
                let status = {
                    let mut child = lock(&worker.child);
                    let _ = child.kill();
                    child.wait().ok()
                };
                if status.and_then(|s| s.code()) == Some(budget::OVER_BUDGET) {
                    Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!(
                            "the query needed more than {} MiB of memory, the server's limit for one query, and was stopped; narrow it (FILTER, LIMIT, fewer joins) or ask for a larger limit (--max-memory)",
                            self.memory >> 20
                        ),
                    ))
                } else {
                    Err(internal("the query worker stopped unexpectedly (a bug: please report it with the query)"))
                }
            }
        }
    }
}

fn internal(message: &str) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message.to_owned())
}

impl Drop for Pool {
    fn drop(&mut self) {
        for worker in lock(&self.idle).drain(..) {
            let mut child = lock(&worker.child);
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

//! `ttkg serve`: opens the store, listens, and takes over scheduled imports
//! while it runs; or, with `--endpoint`, serves the page and the endpoint
//! over a server store it only reads.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use ttkg_serve::{ServeFile, ServeOptions};

use crate::{exit, import, Failure};

/// `ttkg serve`'s options.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on; 127.0.0.1 keeps it to this machine, 0.0.0.0 opens it to the network.
    #[arg(long, default_value = "127.0.0.1:7878")]
    bind: std::net::SocketAddr,
    /// Stop a query after this many seconds (504).
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = crate::analyst::parse_timeout)]
    timeout: std::time::Duration,
    /// Refuse answers with more rows or triples than this (422).
    #[arg(long, default_value_t = 100_000)]
    max_rows: usize,
    /// Refuse answers larger than this many bytes (422).
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 20)]
    max_bytes: usize,
    /// Stop a query that needs more memory than this many MiB (422); each
    /// query runs in a worker process of its own. Default: half the
    /// machine's (or its container's) memory shared by --max-concurrent
    /// queries, at most 3072 (1024 on an 8 GiB machine).
    #[arg(long, value_name = "MIB")]
    max_memory: Option<usize>,
    /// Queries evaluated at once; more get 503 and should retry.
    #[arg(long, default_value_t = 4)]
    max_concurrent: usize,
    /// Connections open at once; more are closed at once.
    #[arg(long, default_value_t = 256)]
    max_connections: usize,
    /// Close a connection that has not sent its request's headers within this many seconds.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = crate::analyst::parse_timeout)]
    header_timeout: std::time::Duration,
    /// Largest request body in bytes (413 beyond).
    #[arg(long, value_name = "BYTES", default_value_t = 1_048_576)]
    max_body: usize,
    /// Let pages from this origin call the endpoint from a browser (repeatable; * for any).
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    cors_origins: Vec<String>,
    /// Accept SPARQL Update and Graph Store PUT, POST and DELETE from requests carrying the token.
    #[arg(long, requires = "token")]
    allow_writes: bool,
    /// The bearer token writes must carry (prefer the environment variable to the command line).
    #[arg(long, env = "TTKG_SERVE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Print a new random token for --allow-writes and exit.
    #[arg(long, exclusive = true)]
    new_token: bool,
    /// Answer from this SPARQL 1.1 Protocol endpoint (a server store ttkg
    /// publishes to) instead of the local store: read-only, its credentials
    /// from TTKG_PUBLISH_USER and TTKG_PUBLISH_PASSWORD or TTKG_PUBLISH_TOKEN.
    #[arg(long, value_name = "URL", conflicts_with = "allow_writes")]
    endpoint: Option<String>,
}

/// `ttkg serve`: the options checked, the query workers set up, the server run.
pub fn command(
    store: &Path,
    root: std::path::PathBuf,
    args: ServeArgs,
) -> Result<ExitCode, Failure> {
    let ServeArgs {
        bind,
        timeout,
        max_rows,
        max_bytes,
        max_memory,
        max_connections,
        header_timeout,
        max_concurrent,
        max_body,
        cors_origins,
        allow_writes,
        token,
        new_token,
        endpoint,
    } = args;
    if new_token {
        let token = ttkg_serve::new_token()
            .map_err(|e| (exit::FAILURE, format!("no randomness for a token: {e}")))?;
        println!("{token}");
        eprintln!("keep it in a file readable by you only, and start the server with TTKG_SERVE_TOKEN=$(cat that-file) ttkg serve --allow-writes");
        return Ok(ExitCode::SUCCESS);
    }
    let write_token = match (allow_writes, token) {
        (true, Some(token)) => {
            ttkg_serve::check_token(token.trim()).map_err(|e| (exit::USAGE, e))?;
            Some(token.trim().to_owned())
        }
        (true, None) => {
            return Err((
                exit::USAGE,
                "--allow-writes needs a token (TTKG_SERVE_TOKEN or --token); `ttkg serve --new-token` makes one".into(),
            ))
        }
        (false, _) => None,
    };
    let mut options = ServeOptions::new(root.join("queries"));
    options.timeout = timeout;
    options.max_rows = max_rows;
    options.max_bytes = max_bytes;
    options.max_connections = max_connections;
    options.header_timeout = header_timeout;
    options.max_memory = max_memory.map_or_else(
        || ttkg_memory::server_query_memory(max_concurrent),
        |mib| mib.saturating_mul(ttkg_memory::MIB),
    );
    options.max_concurrent = max_concurrent;
    options.max_body = max_body;
    options.cors_origins = cors_origins;
    options.write_token = write_token;
    if let Some(endpoint) = endpoint {
        // The remote store computes the answers: no workers, no imports.
        let remote = crate::analyst::remote_store(&endpoint, Some(timeout))?;
        let backend = ttkg_serve::Backend::remote(Box::new(remote), endpoint.clone());
        return serve_remote(
            &endpoint,
            backend,
            ServeRequest {
                root,
                bind,
                options,
            },
        );
    }
    let program = std::env::current_exe().map_err(|e| {
        (
            exit::FAILURE,
            format!("cannot find the ttkg program to start query workers: {e}"),
        )
    })?;
    options.workers = Some(ttkg_serve::WorkerCommand {
        program,
        args: vec![
            "--store".into(),
            std::path::absolute(store)
                .unwrap_or_else(|_| store.to_path_buf())
                .into(),
            "query-worker".into(),
            "--memory".into(),
            options.max_memory.to_string().into(),
        ],
    });
    serve(
        store,
        ServeRequest {
            root,
            bind,
            options,
        },
    )
}

pub struct ServeRequest {
    /// The workspace whose imports the server runs.
    pub root: std::path::PathBuf,
    pub bind: SocketAddr,
    pub options: ServeOptions,
}

/// The server's runtime and its listening socket on `bind`.
fn listen(
    bind: SocketAddr,
) -> Result<(tokio::runtime::Runtime, tokio::net::TcpListener, SocketAddr), Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| (exit::FAILURE, format!("cannot start the server: {e}")))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(bind))
        .map_err(|e| (exit::USAGE, format!("cannot listen on {bind}: {e}; is another server using it? (--bind another address or port)")))?;
    let address = listener
        .local_addr()
        .map_err(|e| (exit::FAILURE, e.to_string()))?;
    Ok((runtime, listener, address))
}

/// `ttkg serve --endpoint`: the page and the endpoint over a remote store.
fn serve_remote(
    endpoint: &str,
    backend: ttkg_serve::Backend,
    request: ServeRequest,
) -> Result<ExitCode, Failure> {
    let (runtime, listener, address) = listen(request.bind)?;
    runtime.block_on(async move {
        let mut options = request.options;
        options.bound = Some(address);
        let connections = ttkg_serve::Connections::from(&options);
        let router = ttkg_serve::router(backend, options, None)
            .map_err(|e| (exit::USAGE, e.to_string()))?;
        eprintln!(
            "ttkg: serving {endpoint} at http://{}/ (read-only): the query page at /, the SPARQL endpoint at /sparql, the graph store at /store; questions are answered by that store; Ctrl+C stops it",
            ttkg_serve::local_address(address),
        );
        ttkg_serve::serve(listener, router, connections, shutdown())
            .await
            .map_err(|e| (exit::FAILURE, e.to_string()))?;
        eprintln!("ttkg: stopped");
        Ok(ExitCode::SUCCESS)
    })
}

pub fn serve(store_path: &Path, request: ServeRequest) -> Result<ExitCode, Failure> {
    let store = Arc::new(crate::analyst::open_store(store_path)?);
    // Query workers read the newest snapshot; make sure there is one.
    store.publish_snapshot().map_err(|e| {
        (
            exit::STORE,
            format!("cannot snapshot the store for queries: {e}"),
        )
    })?;
    let (runtime, listener, address) = listen(request.bind)?;
    runtime.block_on(async move {
        let file = ServeFile::new(address).map_err(|e| (exit::FAILURE, e.to_string()))?;
        let writes = if request.options.write_token.is_some() {
            "writes on (bearer token)"
        } else {
            "read-only"
        };
        let root = request.root.clone();
        let hook: ttkg_serve::ImportHook =
            Arc::new(move |store, body| import::run_forwarded(&root, store, body));
        let mut options = request.options;
        options.bound = Some(address);
        let connections = ttkg_serve::Connections::from(&options);
        let backend = ttkg_serve::Backend::Local(store);
        let router = ttkg_serve::router(backend, options, Some((file.secret.clone(), hook)))
            .map_err(|e| (exit::USAGE, e.to_string()))?;
        // Written once nothing else can fail before serving, so that an
        // address file always names a server that answers.
        file.write(store_path).map_err(|e| {
            (
                exit::STORE,
                format!("cannot write {} in the store folder: {e}", ServeFile::NAME),
            )
        })?;
        eprintln!(
            "ttkg: serving {} at http://{}/ ({writes}): the query page at /, the SPARQL endpoint at /sparql, the graph store at /store; `ttkg import` runs through this server while it runs; Ctrl+C stops it",
            store_path.display(),
            ttkg_serve::local_address(address),
        );
        let served = ttkg_serve::serve(listener, router, connections, shutdown()).await;
        file.remove(store_path);
        served.map_err(|e| (exit::FAILURE, e.to_string()))?;
        eprintln!("ttkg: stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// Ctrl+C, or SIGTERM from systemd or `kill`.
async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}

//! `ttkg serve`: opens the store, listens, and takes over scheduled imports
//! while it runs.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use ttkg_serve::{ServeFile, ServeOptions};

use crate::{exit, import, Failure};

pub struct ServeRequest {
    /// The workspace whose imports the server runs.
    pub root: std::path::PathBuf,
    pub bind: SocketAddr,
    pub options: ServeOptions,
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| (exit::FAILURE, format!("cannot start the server: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(request.bind)
            .await
            .map_err(|e| (exit::USAGE, format!("cannot listen on {}: {e}; is another server using it? (--bind another address or port)", request.bind)))?;
        let address = listener
            .local_addr()
            .map_err(|e| (exit::FAILURE, e.to_string()))?;
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
        let router = ttkg_serve::router(store, options, Some((file.secret.clone(), hook)))
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

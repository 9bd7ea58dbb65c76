//! `ttkg publish`: the store's graphs mirrored into a remote SPARQL store.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use ttkg_publish::{Auth, DefaultGraph, Endpoints, PublishError, PublishOptions, Remote};

use crate::analyst::{self, parse_timeout};
use crate::{exit, Failure};

/// `ttkg publish`'s options.
#[derive(clap::Args)]
pub struct PublishArgs {
    /// The remote server's base address, with Oxigraph server's paths
    /// (URL/store, URL/query, URL/update); or give the three below.
    #[arg(long, value_name = "URL", required_unless_present = "graph_store")]
    to: Option<String>,
    /// The Graph Store Protocol endpoint (Fuseki: …/DATASET/data).
    #[arg(long, value_name = "URL", requires_all = ["query", "update"])]
    graph_store: Option<String>,
    /// The SPARQL query endpoint.
    #[arg(long, value_name = "URL")]
    query: Option<String>,
    /// The SPARQL update endpoint.
    #[arg(long, value_name = "URL")]
    update: Option<String>,
    /// The most bytes of N-Triples in one request; a larger graph is sent in
    /// chunks through a staging graph and swapped in whole.
    #[arg(long, value_name = "BYTES", default_value_t = 8 << 20)]
    chunk_size: usize,
    /// `copy`: publish the default graph as the union of the sources (for
    /// stores whose union counts a fact of two sources twice, as Oxigraph
    /// 0.5.13's does); `union`: the remote store is set to answer its
    /// default graph as the union of the named graphs.
    #[arg(long, value_name = "HOW", default_value = "copy", value_parser = ["copy", "union"])]
    default_graph: String,
    /// Give up on a request after this many seconds (it is retried on a
    /// connection error or a 5xx).
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout, default_value = "300")]
    timeout: Duration,
}

pub fn command(store_dir: &Path, args: PublishArgs) -> Result<ExitCode, Failure> {
    let endpoints = match (&args.to, &args.graph_store, &args.query, &args.update) {
        (_, Some(graph_store), Some(query), Some(update)) => Endpoints {
            graph_store: graph_store.clone(),
            query: query.clone(),
            update: update.clone(),
        },
        (Some(to), _, _, _) => Endpoints::under(to),
        _ => {
            return Err((
                exit::USAGE,
                "give --to URL, or --graph-store, --query and --update".into(),
            ))
        }
    };
    let target = endpoints
        .graph_store
        .split("://")
        .nth(1)
        .unwrap_or(&endpoints.graph_store)
        .to_owned();
    let remote = Remote::new(endpoints, Auth::from_env(), args.timeout).map_err(publish_failure)?;
    let options = PublishOptions {
        target,
        chunk_bytes: args.chunk_size.max(1),
        default_graph: if args.default_graph == "union" {
            DefaultGraph::Union
        } else {
            DefaultGraph::Copy
        },
    };
    let store = analyst::open(store_dir)?;
    let report = ttkg_publish::publish(&store, store_dir, &remote, &options, &mut |line| {
        eprintln!("{line}")
    })
    .map_err(publish_failure)?;
    println!(
        "published to {}: {} graphs sent ({} in chunks), {} unchanged, {} deleted, {} failed",
        remote.endpoints.graph_store,
        report.sent.len(),
        report.chunked.len(),
        report.unchanged,
        report.deleted.len(),
        report.failed.len()
    );
    for (graph, why) in &report.failed {
        eprintln!("error: {graph}: {why}");
    }
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::SOME_FILES_FAILED)
    })
}

fn publish_failure(e: PublishError) -> Failure {
    let code = match &e {
        PublishError::Usage(_) => exit::USAGE,
        PublishError::Store(_) => exit::STORE,
        _ => exit::FAILURE,
    };
    (code, e.to_string())
}

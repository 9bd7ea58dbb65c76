//! `ttkg publish`: the store's graphs mirrored into a remote SPARQL store.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use ttkg_publish::{
    Auth, DefaultGraph, Endpoints, PublishError, PublishOptions, Remote, ServerKind,
};

use crate::analyst::{self, parse_timeout};
use crate::{exit, Failure};

/// `ttkg publish`'s options.
#[derive(clap::Args)]
pub struct PublishArgs {
    /// The remote server's base address (http://HOST:PORT), its paths
    /// those of --server; or give the three addresses below.
    #[arg(long, value_name = "URL", required_unless_present_any = ["graph_store", "target"])]
    to: Option<String>,
    /// Which server --to is: `oxigraph` (URL/store, URL/query,
    /// URL/update) or `virtuoso` (URL/sparql-graph-crud-auth, URL/sparql,
    /// URL/sparql-auth, with Digest authentication; its default graph is
    /// the union of its graphs).
    #[arg(long, value_name = "KIND", default_value = "oxigraph", value_parser = ServerKind::NAMES, requires = "to")]
    server: String,
    /// A `[[target]]` of ttkg.toml, by name: its addresses, settings and
    /// credentials (its chunk_bytes and default_graph, not the flags).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["to", "server", "graph_store", "chunk_size", "default_graph"])]
    target: Option<String>,
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
    /// default graph as the union of the named graphs; `named`: the copy
    /// goes to the named graph https://w3id.org/ttkg/graph/default, which
    /// `--endpoint` questions then name as their default graph. Default:
    /// `named` for Virtuoso (its default graph is all its graphs, and counts
    /// a fact of two sources twice), `copy` otherwise.
    #[arg(long, value_name = "HOW", value_parser = ["copy", "union", "named"])]
    default_graph: Option<String>,
    /// Give up on a request after this many seconds (it is retried on a
    /// connection error or a 5xx).
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout, default_value = "300")]
    timeout: Duration,
}

pub fn command(
    store_dir: &Path,
    root: Option<&Path>,
    args: PublishArgs,
) -> Result<ExitCode, Failure> {
    let prepared = match &args.target {
        Some(name) => {
            let root = root.ok_or((
                exit::USAGE,
                "--target names a [[target]] of ttkg.toml: run ttkg inside the workspace, or give --root".to_owned(),
            ))?;
            let settings =
                ttkg_import::Settings::load(root).map_err(crate::import::import_failure)?;
            let target = settings
                .targets
                .iter()
                .find(|t| &t.name == name)
                .ok_or_else(|| {
                    let known: Vec<&str> =
                        settings.targets.iter().map(|t| t.name.as_str()).collect();
                    let has = if known.is_empty() {
                        "it has none: add a [[target]] table, as the README's \"Publishing to a server store\" shows".to_owned()
                    } else {
                        format!("it has: {}", known.join(", "))
                    };
                    (
                        exit::USAGE,
                        format!("ttkg.toml has no [[target]] named `{name}` ({has})"),
                    )
                })?;
            from_settings(target, args.timeout)?
        }
        None => from_args(&args)?,
    };
    let code = publish_to(store_dir, &prepared)?;
    Ok(ExitCode::from(code))
}

/// A remote store and how to publish to it.
pub struct Prepared {
    remote: Remote,
    options: PublishOptions,
}

fn from_args(args: &PublishArgs) -> Result<Prepared, Failure> {
    let server = ServerKind::from_name(&args.server).map_err(publish_failure)?;
    let endpoints = endpoints(
        server,
        args.to.as_deref(),
        args.graph_store.as_deref(),
        args.query.as_deref(),
        args.update.as_deref(),
    )
    .ok_or((
        exit::USAGE,
        "give --to URL, --target NAME, or --graph-store, --query and --update".to_owned(),
    ))?;
    let target = endpoints
        .graph_store
        .split("://")
        .nth(1)
        .unwrap_or(&endpoints.graph_store)
        .to_owned();
    Ok(Prepared {
        remote: Remote::new(endpoints, Auth::from_env(), args.timeout).map_err(publish_failure)?,
        options: PublishOptions {
            target,
            chunk_bytes: args.chunk_size.max(1),
            default_graph: default_graph(args.default_graph.as_deref(), server)
                .map_err(|m| (exit::USAGE, m))?,
        },
    })
}

/// A server's endpoints: under its base address, or the three given.
fn endpoints(
    server: ServerKind,
    base: Option<&str>,
    graph_store: Option<&str>,
    query: Option<&str>,
    update: Option<&str>,
) -> Option<Endpoints> {
    match (base, graph_store, query, update) {
        (None, Some(graph_store), Some(query), Some(update)) => Some(Endpoints {
            graph_store: graph_store.to_owned(),
            query: query.to_owned(),
            update: update.to_owned(),
        }),
        (Some(base), None, None, None) => Some(server.endpoints(base)),
        _ => None,
    }
}

fn default_graph(how: Option<&str>, server: ServerKind) -> Result<DefaultGraph, String> {
    match (how, server) {
        (None, _) => Ok(server.default_graph()),
        (Some("copy"), ServerKind::Virtuoso) => Err(
            "default graph `copy`: Virtuoso has no default graph of its own (it answers the union of its graphs), so it cannot hold a copy; leave out --default-graph (the copy then goes to a named graph)".to_owned(),
        ),
        (Some("copy"), _) => Ok(DefaultGraph::Copy),
        (Some("union"), _) => Ok(DefaultGraph::Union),
        (Some("named"), _) => Ok(DefaultGraph::Named),
        (Some(other), _) => Err(format!("default graph `{other}`: copy, union or named")),
    }
}

/// A `[[target]]` of ttkg.toml, ready to publish to.
pub fn from_settings(
    target: &ttkg_import::TargetSettings,
    timeout: Duration,
) -> Result<Prepared, Failure> {
    let bad = |message: String| {
        (
            exit::INVALID_SETUP,
            format!("ttkg.toml, [[target]] `{}`: {message}", target.name),
        )
    };
    let server = ServerKind::from_name(target.server.as_deref().unwrap_or("oxigraph"))
        .map_err(|e| bad(e.to_string()))?;
    let endpoints = endpoints(
        server,
        target.url.as_deref(),
        target.graph_store.as_deref(),
        target.query.as_deref(),
        target.update.as_deref(),
    )
    .ok_or_else(|| bad("give url, or graph_store, query and update".into()))?;
    let auth = match (&target.token_file, &target.token_env) {
        (Some(file), None) => Auth::Bearer(read_secret(file).map_err(bad)?),
        (None, Some(var)) => match std::env::var(var) {
            Ok(token) if !token.is_empty() => Auth::Bearer(token),
            _ => return Err(bad(format!("token_env names {var}, which is not set"))),
        },
        (None, None) => Auth::from_env(),
        (Some(_), Some(_)) => return Err(bad("give token_file or token_env, not both".into())),
    };
    Ok(Prepared {
        remote: Remote::new(endpoints, auth, timeout).map_err(|e| bad(e.to_string()))?,
        options: PublishOptions {
            target: target.name.clone(),
            chunk_bytes: target.chunk_bytes.unwrap_or(8 << 20).max(1),
            default_graph: default_graph(target.default_graph.as_deref(), server).map_err(bad)?,
        },
    })
}

/// A token from a file only its owner may read (a file others can read
/// gives the credentials away, so it is refused).
fn read_secret(file: &Path) -> Result<String, String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file)
            .map_err(|e| format!("{}: {e}", file.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "{} can be read by others (mode {:o}); make it its owner's only: chmod 600 {}",
                file.display(),
                mode & 0o777,
                file.display()
            ));
        }
    }
    let token = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let token = token.trim().to_owned();
    if token.is_empty() {
        return Err(format!("{} is empty", file.display()));
    }
    Ok(token)
}

/// Publishes the store to one prepared target; the exit code as for imports.
pub fn publish_to(store_dir: &Path, prepared: &Prepared) -> Result<u8, Failure> {
    let store = analyst::open(store_dir)?;
    let report = ttkg_publish::publish(
        &store,
        store_dir,
        &prepared.remote,
        &prepared.options,
        &mut |line| eprintln!("{line}"),
    )
    .map_err(|e| {
        let (code, message) = publish_failure(e);
        (
            code,
            format!("{message}; nothing more was sent, and the next publish resumes where this one stopped"),
        )
    })?;
    println!(
        "published to {}: {} graphs sent ({} in chunks, {} as changes), {} unchanged, {} deleted, {} failed",
        prepared.remote.endpoints.graph_store,
        report.sent.len(),
        report.chunked.len(),
        report.changed.len(),
        report.unchanged,
        report.deleted.len(),
        report.failed.len()
    );
    for (graph, why) in &report.failed {
        eprintln!("error: {graph}: {why}");
    }
    Ok(if report.failed.is_empty() {
        0
    } else {
        exit::SOME_FILES_FAILED
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

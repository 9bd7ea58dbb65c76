//! `ttkg`: import technology-transfer reports into the knowledge graph and ask it questions.
//!
//! This binary only parses arguments, draws progress and prints results; the
//! work is done by the `ttkg-*` library crates. Exit codes are documented in
//! the README and in `ttkg --help`.

mod analyst;
mod draft;
mod events;
mod import;
mod output;
mod progress;
mod publish;
mod report;
mod serve;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ttkg_graph::oxigraph::io::RdfFormat;
use ttkg_graph::oxigraph::model::NamedNode;
use ttkg_import::Workspace;

/// jemalloc (also RocksDB's, through its unprefixed `malloc`), counting
/// what a question holds (in `ttkg query`, `export`, `report` and the
/// server's query workers) so that one past its memory budget stops with a
/// message rather than running the machine out of memory. jemalloc returns what a
/// finished file's facts held to the system; with glibc's allocator a
/// 1,000,000-row import peaked about 290 MiB higher.
#[global_allocator]
static ALLOCATOR: ttkg_memory::BudgetAllocator<tikv_jemallocator::Jemalloc> =
    ttkg_memory::BudgetAllocator::new(tikv_jemallocator::Jemalloc);

/// jemalloc's options, read when it starts (the `MALLOC_CONF` environment
/// variable still overrides them): one arena for all threads. With
/// jemalloc's default of four arenas per core, what the cores that map a
/// file's rows freed stayed in their arenas while the bulk loader's thread
/// took more from another: a 1,000,000-row import peaked at 1,338 MiB
/// instead of 1,219 MiB, at the same speed.
#[repr(transparent)]
struct AllocatorOptions(*const std::ffi::c_char);

// SAFETY: the pointer is to a static C string that nothing writes.
unsafe impl Sync for AllocatorOptions {}

#[used]
#[unsafe(export_name = "malloc_conf")]
static MALLOC_CONF: AllocatorOptions = AllocatorOptions(c"narenas:1".as_ptr());

/// Exit codes, as documented in the README.
mod exit {
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const INVALID_SETUP: u8 = 3;
    pub const SOME_FILES_FAILED: u8 = 4;
    pub const STORE: u8 = 5;
    pub const TIMEOUT: u8 = 6;
    pub const VIOLATIONS: u8 = 7;
    pub const QUARANTINED: u8 = 8;
    pub const LOCKED: u8 = 9;
    pub const MEMORY: u8 = 10;
}

#[derive(Parser)]
#[command(
    name = "ttkg",
    version,
    about = "The technology-transfer knowledge graph: import reports, ask questions.",
    after_help = "Exit codes: 0 success; 1 unexpected failure; 2 bad usage or bad SPARQL; \
3 invalid pipelines, ontology or reference data (nothing imported); \
4 some files failed to import (the others were loaded; failed files keep their previous data); \
5 the store cannot be opened; \
6 a query ran past its --timeout; \
7 ttkg validate found violations of the shapes; \
8 the import succeeded, but some rows were quarantined or something needs a look (a declared column missing from a file, a hidden sheet passed over); \
9 another import is running on the store (see --wait); \
10 a question needed more memory than --max-memory allows and was stopped."
)]
struct Cli {
    /// The workspace folder holding data/, pipelines/ and ontology/.
    /// Default: the current folder or the nearest one above it that has
    /// pipelines/ and ontology/ (or a ttkg.toml), as git finds its repository.
    #[arg(long, global = true, env = "TTKG_ROOT")]
    root: Option<PathBuf>,
    /// The store folder (RocksDB). Default: ROOT/store.
    #[arg(long, global = true, env = "TTKG_STORE")]
    store: Option<PathBuf>,
    /// `json` writes one JSON object per event (progress, file, run, error) to standard error.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import reports: all of them, those of some pipelines, or some files.
    Import(import::ImportArgs),
    /// Check the pipelines against the ontology, and with FILES, read those
    /// reports as an import would, without importing anything.
    ///
    /// For each file: the pipeline that takes it, the columns found and
    /// missing (with the closest header), rows that would load, be
    /// quarantined (and why) or be left out, and whether the file would load.
    Check {
        /// Report files to read (each with every pipeline that takes it).
        files: Vec<PathBuf>,
        /// As `ttkg import --max-quarantined`.
        #[arg(long, value_name = "SHARE", value_parser = import::parse_share)]
        max_quarantined: Option<f64>,
        /// Read FILES with this pipeline file alone, such as a draft of
        /// `ttkg draft` not yet in pipelines/.
        #[arg(long, value_name = "TOML")]
        pipeline: Option<PathBuf>,
        /// As `ttkg import --memory`: a file whose facts would hold more
        /// than two thirds of what it leaves beside the program fails, as
        /// it would in the import.
        #[arg(long, value_name = "SIZE", value_parser = import::parse_size)]
        memory: Option<u64>,
    },
    /// Draft a pipeline for a report nobody has written one for.
    ///
    /// Finds the report's table (sheet, header row over one or two rows,
    /// title and totals rows), types each column from its header and values
    /// (dates and their order, amounts with their currency and 万/亿,
    /// areas with their unit, countries and fields by their labels), reuses
    /// what the existing pipelines make of the headers they know, and
    /// writes NAME.draft.toml next to FILE with a comment on every column.
    /// Then `ttkg check --pipeline NAME.draft.toml FILE` shows what would
    /// load and what would be quarantined.
    Draft {
        /// The report (.csv, .tsv, .txt, .xlsx, .xls, .ods).
        file: PathBuf,
        /// Where to write the draft; `-` for standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Replace a draft that is already there.
        #[arg(long)]
        force: bool,
    },
    /// Ask a SPARQL question: typed, from a file, from standard input, or saved.
    ///
    /// The ontology's prefixes (ttkg:, org:, prov:, schema:, skos:, dcterms:,
    /// rdf:, rdfs:, xsd:, owl:, sh:) are predeclared.
    #[command(after_help = "Examples:\n  \
ttkg query --list\n  \
ttkg query --saved agreements-by-country\n  \
ttkg query --saved technologies-to-country --param country=TH --format csv --output th.csv\n  \
ttkg query 'SELECT ?name WHERE { ?o a ttkg:University ; skos:prefLabel ?name }'")]
    Query {
        /// The query text; or use --file, --saved, or standard input.
        sparql: Option<String>,
        /// Read the query from a file.
        #[arg(long, short)]
        file: Option<PathBuf>,
        /// Run a saved question of ROOT/queries by name (see --list).
        #[arg(long, short)]
        saved: Option<String>,
        /// List the saved questions and what each answers.
        #[arg(long, conflicts_with_all = ["sparql", "file", "saved"])]
        list: bool,
        /// Set a variable of the query (repeatable): --param country=VN; <...> gives an IRI.
        #[arg(long = "param", value_name = "NAME=VALUE", value_parser = analyst::parse_param)]
        params: Vec<(String, String)>,
        /// table, csv, tsv, json or xml for SELECT and ASK (default: a table on a
        /// terminal, CSV otherwise); turtle (default), ntriples or jsonld for CONSTRUCT and DESCRIBE.
        #[arg(long, value_name = "FORMAT")]
        format: Option<ttkg_query::OutputFormat>,
        /// Write the results to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Stop the query after this many seconds (exit code 6).
        #[arg(long, value_name = "SECONDS", value_parser = analyst::parse_timeout)]
        timeout: Option<std::time::Duration>,
        /// Ask this SPARQL 1.1 Protocol endpoint (a store `ttkg publish`
        /// feeds) instead of the local store: ttkg's prefixes are declared
        /// and a saved question's parameters bound for it.
        #[arg(long, value_name = "URL")]
        endpoint: Option<String>,
        #[command(flatten)]
        max_memory: analyst::MemoryArg,
    },
    /// Write cleaned datasets for Excel, Power BI or pandas.
    ///
    /// Without TABLES, every table of ROOT/queries/export (organisations,
    /// technologies, agreements, projects, events, memberships). A name may
    /// also be any saved question. Text that a spreadsheet would run as a
    /// formula (=, +, -, @, tab) is neutralised.
    Export(analyst::ExportArgs),
    /// Make the department's periodic report for a year or a month.
    ///
    /// Asks the saved questions a definition of ROOT/reports lists (default:
    /// reports/monthly.toml) for the period and the period before, and
    /// writes one self-contained HTML file (charts inline; prints to A4 and
    /// PDF from the browser) and an XLSX workbook (one sheet per section,
    /// typed cells, native Excel charts) to ROOT/export.
    #[command(after_help = "Examples:\n  \
ttkg report --period 2016\n  \
ttkg report monthly --period 2016-06 --lang en --format html --output june.html\n  \
ttkg report --list")]
    Report(report::ReportArgs),
    /// Publish the store's graphs to a remote SPARQL store (Graph Store
    /// Protocol and SPARQL Update): only what changed since the last
    /// publish to it, each graph whole, each checked by its count.
    ///
    /// Credentials come from the environment: TTKG_PUBLISH_TOKEN (bearer),
    /// or TTKG_PUBLISH_USER and TTKG_PUBLISH_PASSWORD (Digest or Basic, as
    /// the store asks).
    #[command(after_help = "Examples:\n  \
ttkg publish --to http://127.0.0.1:7879                     # an Oxigraph server\n  \
TTKG_PUBLISH_USER=ttkg TTKG_PUBLISH_PASSWORD=… ttkg publish --to http://kg.example.org:8890 --server virtuoso\n  \
ttkg publish --graph-store https://kg.example.org/ttkg/data --query https://kg.example.org/ttkg/query --update https://kg.example.org/ttkg/update")]
    Publish(publish::PublishArgs),
    /// Count what the store holds: entities per class, facts per source file, import runs.
    Stats,
    /// List the import runs, newest first, or show what one run changed.
    Runs {
        #[command(subcommand)]
        show: Option<RunsCommand>,
    },
    /// Check the store against the SHACL shapes of ontology/shapes.ttl.
    ///
    /// Lists each violation with the node, the shape, the property, what is
    /// wrong, and the source file, sheet and row it came from.
    Validate {
        /// Also write the violations to this file (.csv or .xlsx), to send back to the senders.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Check the store a SPARQL 1.1 Protocol endpoint answers for (one
        /// `ttkg publish` feeds) instead of the local store.
        #[arg(long, value_name = "URL")]
        endpoint: Option<String>,
        #[command(flatten)]
        max_memory: analyst::MemoryArg,
    },
    /// Write the store, or one graph, as RDF.
    Dump {
        /// RDF syntax; N-Quads and TriG keep every graph, Turtle and N-Triples write one.
        #[arg(long, value_enum, default_value_t = RdfSyntax::NQuads)]
        format: RdfSyntax,
        /// Only this named graph (an IRI); without it, Turtle and N-Triples write the default graph.
        #[arg(long)]
        graph: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Serve the store over HTTP: a SPARQL 1.1 endpoint (/sparql), the Graph
    /// Store Protocol (/store) and a query page (/).
    ///
    /// Read-only unless started with --allow-writes and a token. While it
    /// runs, `ttkg import` on the same store runs inside it, so scheduled
    /// imports keep working and queries keep answering.
    #[command(after_help = "Examples:\n  \
ttkg serve\n  \
ttkg serve --bind 0.0.0.0:7878 --cors-origin https://yasgui.example.org\n  \
TTKG_SERVE_TOKEN=$(cat token) ttkg serve --allow-writes\n  \
ttkg serve --endpoint http://127.0.0.1:7879/query          # the page over a server store, read-only\n  \
curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * WHERE { ?s ?p ?o } LIMIT 5' http://127.0.0.1:7878/sparql")]
    Serve(serve::ServeArgs),
    /// Evaluates `ttkg serve`'s queries on a snapshot of the store, one at a
    /// time, from its standard input (started by the server, not by hand).
    #[command(hide = true)]
    QueryWorker {
        /// The memory one query may take, in bytes.
        #[arg(long)]
        memory: usize,
    },
    /// Load an RDF file into the store with oxigraph's bulk loader (all or nothing).
    Load {
        file: PathBuf,
        /// RDF syntax; default: from the file's extension (.nq, .trig, .ttl, .nt).
        #[arg(long, value_enum)]
        format: Option<RdfSyntax>,
    },
}

#[derive(Subcommand)]
enum RunsCommand {
    /// What one run did with each file it changed: `ttkg runs show last`.
    Show {
        /// The run's id as `ttkg runs` lists it (run/20261124T…), or `last`.
        id: String,
    },
}

/// The RDF syntaxes of `dump` and `load`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum RdfSyntax {
    NQuads,
    Trig,
    Turtle,
    NTriples,
}

impl RdfSyntax {
    fn format(self) -> RdfFormat {
        match self {
            RdfSyntax::NQuads => RdfFormat::NQuads,
            RdfSyntax::Trig => RdfFormat::TriG,
            RdfSyntax::Turtle => RdfFormat::Turtle,
            RdfSyntax::NTriples => RdfFormat::NTriples,
        }
    }
}

/// The bytes jemalloc has handed out (to Rust and to RocksDB) and not had
/// back: what an import's bulk loader leaves room for (see
/// `ttkg_memory::in_use`).
fn allocated() -> Option<usize> {
    use tikv_jemalloc_ctl::{epoch, stats};
    // The statistics are read as of the last epoch.
    epoch::advance().ok()?;
    stats::allocated::read().ok()
}

fn main() -> ExitCode {
    ttkg_memory::count_in_use_with(allocated);
    let cli = Cli::parse();
    let json = cli.log_format == LogFormat::Json;
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_env("TTKG_LOG").unwrap_or_else(|_| "warn".into())
    };
    if json {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .without_time()
            .init();
    }
    match run(cli) {
        Ok(code) => code,
        Err((code, message)) => {
            if json {
                events::emit(serde_json::json!({
                    "event": "error", "message": message, "exit_code": code,
                }));
            } else {
                eprintln!("error: {message}");
            }
            ExitCode::from(code)
        }
    }
}

/// How diagnostics go to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object per event, for schedulers and log collectors.
    Json,
}

type Failure = (u8, String);

pub(crate) fn workspace(root: &Path, data: Option<PathBuf>) -> Workspace {
    Workspace {
        root: root.to_owned(),
        data_dir: data.unwrap_or_else(|| root.join("data")),
        pipelines_dir: root.join("pipelines"),
        ontology_dir: root.join("ontology"),
    }
}

/// The workspace: `--root` (or `TTKG_ROOT`), else the current folder or
/// the nearest one above it that is a workspace.
fn find_root(given: Option<PathBuf>) -> Result<PathBuf, Failure> {
    if let Some(root) = given {
        return Ok(root);
    }
    let here = std::env::current_dir()
        .map_err(|e| (exit::USAGE, format!("cannot tell the current folder: {e}")))?;
    let is_workspace = |dir: &Path| {
        dir.join(ttkg_import::SETTINGS_FILE).is_file()
            || (dir.join("pipelines").is_dir() && dir.join("ontology").is_dir())
    };
    here.ancestors()
        .find(|dir| is_workspace(dir))
        .map(Path::to_owned)
        .ok_or_else(|| {
            (
                exit::USAGE,
                format!(
                    "no ttkg workspace in {} or above it (a workspace is a folder with pipelines/ and ontology/, or a ttkg.toml); run ttkg inside one, or say where it is with --root DIR or TTKG_ROOT=DIR",
                    here.display()
                ),
            )
        })
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    // Commands that read only the store may run outside a workspace
    // when --store says where the store is.
    let found = find_root(cli.root.clone());
    let store = match (&cli.store, &found) {
        (Some(store), _) => store.clone(),
        (None, Ok(root)) => ttkg_import::default_store(root),
        (None, Err(e)) => return Err(e.clone()),
    };
    let root = || found.clone();
    match cli.command {
        Command::Import(args) => {
            import_then_publish(root()?, store, args, cli.log_format == LogFormat::Json)
        }
        Command::QueryWorker { memory } => ttkg_serve::worker_main(&store, memory)
            .map(|()| ExitCode::SUCCESS)
            .map_err(|e| (exit::FAILURE, format!("query worker: {e}"))),
        Command::Serve(args) => serve::command(&store, root()?, args),
        Command::Check {
            files,
            max_quarantined,
            pipeline,
            memory,
        } => check(
            &root()?,
            &files,
            max_quarantined,
            pipeline.as_deref(),
            memory,
        ),
        Command::Draft {
            file,
            output,
            force,
        } => draft::run(&workspace(&root()?, None), &file, output, force),
        Command::Query {
            sparql,
            file,
            saved,
            list,
            params,
            format,
            output,
            timeout,
            endpoint,
            max_memory,
        } => {
            // Saved queries need the workspace; typed ones only the store.
            let queries_dir = match &found {
                Ok(root) => root.join("queries"),
                Err(_) if saved.is_some() || list => return Err(root().unwrap_err()),
                Err(_) => PathBuf::from("queries"),
            };
            if list {
                analyst::list(&queries_dir)?;
                return Ok(ExitCode::SUCCESS);
            }
            let request = analyst::QueryRequest {
                source: analyst::QuerySource {
                    sparql,
                    file,
                    saved,
                },
                endpoint,
                params,
                format,
                output,
                timeout,
                max_memory,
            };
            analyst::query(&store, &queries_dir, request).map(|()| ExitCode::SUCCESS)
        }
        Command::Export(args) => analyst::export_command(&store, &root()?, args),
        Command::Report(args) => report::command(&store, &root()?, args),
        Command::Publish(args) => publish::command(&store, found.as_deref().ok(), args),
        Command::Stats => {
            analyst::stats(&store)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Runs { show } => {
            analyst::runs(&store, show.map(|RunsCommand::Show { id }| id).as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate {
            output,
            endpoint,
            max_memory,
        } => {
            let shapes = root()?.join("ontology").join("shapes.ttl");
            validate(
                &store,
                &shapes,
                output.as_deref(),
                endpoint.as_deref(),
                max_memory,
            )
        }
        Command::Dump {
            format,
            graph,
            output,
        } => dump(&store, format, graph, output.as_deref()),
        Command::Load { file, format } => load(&store, &file, format),
    }
}

/// `ttkg import`, then the publishing to the targets that ask for it when
/// the import succeeded (not after a dry run).
fn import_then_publish(
    root: PathBuf,
    store: PathBuf,
    args: import::ImportArgs,
    json_logs: bool,
) -> Result<ExitCode, Failure> {
    let request = import::ImportRequest {
        root: root.clone(),
        json_logs,
        args,
    };
    let dry_run = request.args.dry_run;
    let code = import::import(request.anchored(), store.clone())?;
    if dry_run || !(code == 0 || code == exit::QUARANTINED) {
        return Ok(ExitCode::from(code));
    }
    publish_after_import(&root, &store, code)
}

/// `ttkg validate`: exit code 0 when the store conforms to the shapes.
fn validate(
    store: &Path,
    shapes: &Path,
    output: Option<&Path>,
    endpoint: Option<&str>,
    max_memory: analyst::MemoryArg,
) -> Result<ExitCode, Failure> {
    let conforms = analyst::validate(store, shapes, output, endpoint, max_memory)?;
    Ok(if conforms {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::VIOLATIONS)
    })
}

/// Publishes to the `[[target]]`s of ttkg.toml that ask for it, after an
/// import that succeeded; a target that fails makes the exit code 4.
fn publish_after_import(root: &Path, store: &Path, code: u8) -> Result<ExitCode, Failure> {
    let settings = ttkg_import::Settings::load(root).map_err(import::import_failure)?;
    let mut code = code;
    for target in settings.targets.iter().filter(|t| t.after_import) {
        let published = publish::from_settings(target, std::time::Duration::from_secs(300))
            .and_then(|prepared| publish::publish_to(store, &prepared));
        match published {
            Ok(0) => {}
            Ok(failed) => code = failed,
            Err((_, message)) => {
                eprintln!(
                    "error: the import succeeded, but publishing to `{}` failed: {message}; `ttkg publish --target {}` (or the next import) sends it again",
                    target.name, target.name
                );
                code = exit::SOME_FILES_FAILED;
            }
        }
    }
    Ok(ExitCode::from(code))
}

/// `ttkg check`: the pipelines, or FILES read as an import would.
fn check(
    root: &Path,
    files: &[PathBuf],
    max_quarantined: Option<f64>,
    pipeline: Option<&Path>,
    memory: Option<u64>,
) -> Result<ExitCode, Failure> {
    let workspace = workspace(root, None);
    let (_, refs, pipelines) = ttkg_import::prepare(&workspace).map_err(import::import_failure)?;
    if files.is_empty() {
        for warning in ttkg_import::reference_warnings(&refs) {
            eprintln!("warning: {warning}");
        }
        for p in &pipelines {
            println!("ok  {}  ({})", p.name, p.path.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let memory = memory.unwrap_or(ttkg_import::DEFAULT_MEMORY);
    let report = ttkg_import::check_files(&workspace, files, max_quarantined, pipeline, memory)
        .map_err(import::import_failure)?;
    output::write_check(
        &report,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    Ok(ExitCode::from(import::exit_code(&report)))
}

/// `ttkg dump`: the store, or one graph, as RDF.
fn dump(
    store: &Path,
    format: RdfSyntax,
    graph: Option<String>,
    output: Option<&Path>,
) -> Result<ExitCode, Failure> {
    let graph = graph
        .map(|g| {
            NamedNode::new(&g).map_err(|e| (exit::USAGE, format!("--graph {g}: not an IRI ({e})")))
        })
        .transpose()?;
    let store = analyst::open(store)?;
    let result = match output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| (exit::FAILURE, format!("{}: {e}", path.display())))?;
            store.dump(
                std::io::BufWriter::new(file),
                format.format(),
                graph.as_ref(),
            )
        }
        None => {
            let mut out = ReaderGone {
                inner: std::io::stdout().lock(),
                gone: false,
            };
            let result = store.dump(&mut out, format.format(), graph.as_ref());
            // `ttkg dump | head`: the reader took what it wanted; stop quietly.
            if out.gone {
                return Ok(ExitCode::SUCCESS);
            }
            result
        }
    };
    result.map_err(|e| (exit::FAILURE, e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}

/// A writer that notes when its reader went away (a closed pipe), so that a
/// command writing to a pipe can tell that from a failure.
struct ReaderGone<W> {
    inner: W,
    gone: bool,
}

impl<W: std::io::Write> std::io::Write for ReaderGone<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf);
        self.gone |= matches!(&written, Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe);
        written
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let flushed = self.inner.flush();
        self.gone |= matches!(&flushed, Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe);
        flushed
    }
}

/// `ttkg load`: an RDF file into the store, all or nothing.
fn load(store: &Path, file: &Path, format: Option<RdfSyntax>) -> Result<ExitCode, Failure> {
    let format = match format {
        Some(f) => f.format(),
        None => file
            .extension()
            .and_then(|e| RdfFormat::from_extension(&e.to_string_lossy()))
            .ok_or_else(|| {
                (
                    exit::USAGE,
                    format!(
                        "{}: cannot tell the RDF syntax from the extension; give --format",
                        file.display()
                    ),
                )
            })?,
    };
    let reader =
        std::fs::File::open(file).map_err(|e| (exit::USAGE, format!("{}: {e}", file.display())))?;
    let store = analyst::open_store(store)?;
    store
        .bulk_load(std::io::BufReader::new(reader), format)
        .map_err(|e| {
            (
                exit::FAILURE,
                format!("{}: {e}; nothing was loaded", file.display()),
            )
        })?;
    store.publish_snapshot().map_err(|e| {
        (
            exit::STORE,
            format!(
                "loaded, but the snapshot for `ttkg serve`'s queries could not be written: {e}"
            ),
        )
    })?;
    eprintln!(
        "loaded {}; the store holds {} quads",
        file.display(),
        store.len().unwrap_or(0)
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::allocated;

    /// The bulk loader's share of an import's budget is what jemalloc's
    /// count leaves: the count must follow what is allocated.
    #[test]
    fn jemalloc_counts_what_is_allocated_and_given_back() {
        let before = allocated().expect("jemalloc is built with its statistics");
        let held = vec![1u8; 64 << 20];
        let holding = allocated().unwrap();
        assert!(
            holding >= before + (60 << 20),
            "{before} bytes before, {holding} holding 64 MiB"
        );
        drop(held);
        let after = allocated().unwrap();
        assert!(after + (60 << 20) <= holding, "{after} bytes after");
    }
}

//! `ttkg`: import technology-transfer reports into the knowledge graph and ask it questions.
//!
//! This binary only parses arguments, draws progress and prints results; the
//! work is done by the `ttkg-*` library crates. Exit codes are documented in
//! the README and in `ttkg --help`.

mod output;
mod progress;

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ttkg_graph::oxigraph::io::RdfFormat;
use ttkg_graph::oxigraph::model::NamedNode;
use ttkg_graph::KnowledgeStore;
use ttkg_import::{ImportError, ImportOptions, Selection, Workspace};

/// Exit codes, as documented in the README.
mod exit {
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const INVALID_SETUP: u8 = 3;
    pub const SOME_FILES_FAILED: u8 = 4;
    pub const STORE: u8 = 5;
}

#[derive(Parser)]
#[command(
    name = "ttkg",
    version,
    about = "The technology-transfer knowledge graph: import reports, ask questions.",
    after_help = "Exit codes: 0 success; 1 unexpected failure; 2 bad usage or bad SPARQL; \
3 invalid pipelines, ontology or reference data (nothing imported); \
4 some files failed to import (the others were loaded; failed files keep their previous data); \
5 the store cannot be opened."
)]
struct Cli {
    /// The workspace folder holding data/, pipelines/ and ontology/.
    #[arg(long, global = true, default_value = ".", env = "TTKG_ROOT")]
    root: PathBuf,
    /// The store folder (RocksDB). Default: ROOT/store.
    #[arg(long, global = true, env = "TTKG_STORE")]
    store: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import reports: all of them, those of some pipelines, or some files.
    Import {
        /// Pipeline names or report files; none means every pipeline over every file.
        targets: Vec<String>,
        /// Re-read files even when their content and pipeline have not changed.
        #[arg(long)]
        force: bool,
        /// Folder of report files. Default: ROOT/data.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Folder for the quarantine files of each run. Default: ROOT/quarantine.
        #[arg(long)]
        quarantine: Option<PathBuf>,
    },
    /// Check the pipelines against the ontology without importing anything.
    Check,
    /// Run a SPARQL SELECT or ASK query; the ontology's prefixes are predeclared.
    Query {
        /// The query text; use --file or standard input instead if you prefer.
        sparql: Option<String>,
        /// Read the query from a file.
        #[arg(long, short)]
        file: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = output::Format::Table)]
        format: output::Format,
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
    /// Load an RDF file into the store with oxigraph's bulk loader (all or nothing).
    Load {
        file: PathBuf,
        /// RDF syntax; default: from the file's extension (.nq, .trig, .ttl, .nt).
        #[arg(long, value_enum)]
        format: Option<RdfSyntax>,
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

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TTKG_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err((code, message)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

type Failure = (u8, String);

fn workspace(root: &Path, data: Option<PathBuf>) -> Workspace {
    Workspace {
        data_dir: data.unwrap_or_else(|| root.join("data")),
        pipelines_dir: root.join("pipelines"),
        ontology_dir: root.join("ontology"),
    }
}

fn store_path(cli_root: &Path, store: &Option<PathBuf>) -> PathBuf {
    store
        .clone()
        .unwrap_or_else(|| ttkg_import::default_store(cli_root))
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let store = store_path(&cli.root, &cli.store);
    match cli.command {
        Command::Import {
            targets,
            force,
            data,
            quarantine,
        } => {
            let workspace = workspace(&cli.root, data);
            let selection = selection(&targets);
            let options = ImportOptions {
                workspace,
                store,
                quarantine_dir: quarantine.unwrap_or_else(|| cli.root.join("quarantine")),
                selection,
                force,
            };
            let progress = progress::for_terminal(std::io::stderr().is_terminal());
            let report = ttkg_import::run(&options, progress.as_ref()).map_err(import_failure)?;
            output::print_summary(&report);
            if report.failed().next().is_some() {
                return Ok(ExitCode::from(exit::SOME_FILES_FAILED));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => {
            let workspace = workspace(&cli.root, None);
            let (_, _, pipelines) = ttkg_import::prepare(&workspace).map_err(import_failure)?;
            for p in &pipelines {
                println!("ok  {}  ({})", p.name, p.path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Query {
            sparql,
            file,
            format,
        } => {
            let text = match (sparql, file) {
                (Some(q), None) => q,
                (None, Some(f)) => std::fs::read_to_string(&f)
                    .map_err(|e| (exit::USAGE, format!("{}: {e}", f.display())))?,
                (None, None) => {
                    let mut q = String::new();
                    std::io::stdin().read_to_string(&mut q).map_err(|e| {
                        (
                            exit::USAGE,
                            format!("cannot read the query from standard input: {e}"),
                        )
                    })?;
                    q
                }
                (Some(_), Some(_)) => {
                    return Err((
                        exit::USAGE,
                        "give the query as an argument or with --file, not both".into(),
                    ))
                }
            };
            let store = KnowledgeStore::open(&store).map_err(|e| (exit::STORE, e.to_string()))?;
            let results = store.query(&text).map_err(|e| match e {
                ttkg_graph::GraphError::Syntax(_) => (exit::USAGE, e.to_string()),
                other => (exit::FAILURE, other.to_string()),
            })?;
            output::print_results(results, format).map_err(|e| (exit::FAILURE, e))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Dump {
            format,
            graph,
            output,
        } => {
            let graph = graph
                .map(|g| {
                    NamedNode::new(&g)
                        .map_err(|e| (exit::USAGE, format!("--graph {g}: not an IRI ({e})")))
                })
                .transpose()?;
            let store = KnowledgeStore::open(&store).map_err(|e| (exit::STORE, e.to_string()))?;
            let result = match &output {
                Some(path) => {
                    let file = std::fs::File::create(path)
                        .map_err(|e| (exit::FAILURE, format!("{}: {e}", path.display())))?;
                    store.dump(
                        std::io::BufWriter::new(file),
                        format.format(),
                        graph.as_ref(),
                    )
                }
                None => store.dump(std::io::stdout().lock(), format.format(), graph.as_ref()),
            };
            result.map_err(|e| (exit::FAILURE, e.to_string()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Load { file, format } => {
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
            let reader = std::fs::File::open(&file)
                .map_err(|e| (exit::USAGE, format!("{}: {e}", file.display())))?;
            let store = KnowledgeStore::open(&store).map_err(|e| (exit::STORE, e.to_string()))?;
            store
                .bulk_load(std::io::BufReader::new(reader), format)
                .map_err(|e| {
                    (
                        exit::FAILURE,
                        format!("{}: {e}; nothing was loaded", file.display()),
                    )
                })?;
            eprintln!(
                "loaded {}; the store holds {} quads",
                file.display(),
                store.len().unwrap_or(0)
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Existing paths are files to import; anything else names a pipeline.
fn selection(targets: &[String]) -> Selection {
    if targets.is_empty() {
        return Selection::All;
    }
    if targets.iter().all(|t| Path::new(t).is_file()) {
        Selection::Files(targets.iter().map(PathBuf::from).collect())
    } else {
        Selection::Pipelines(targets.to_vec())
    }
}

fn import_failure(error: ImportError) -> Failure {
    let code = match &error {
        ImportError::Pipelines(_) | ImportError::Ontology(_) | ImportError::Reference { .. } => {
            exit::INVALID_SETUP
        }
        ImportError::Selection(_) => exit::USAGE,
        ImportError::Store(_) => exit::STORE,
        ImportError::Quarantine { .. } => exit::FAILURE,
    };
    (code, error.to_string())
}

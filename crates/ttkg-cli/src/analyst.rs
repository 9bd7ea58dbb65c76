//! The analyst's commands: `query`, `export` and `stats`, thin over `ttkg-query`.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use ttkg_graph::oxigraph::model::Variable;
use ttkg_graph::KnowledgeStore;
use ttkg_query::{saved, Deadline, ExportFormat, OutputFormat, QueryError, SavedQuery};

use crate::{exit, Failure};

/// The file formats of `ttkg export --format`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TableFormat {
    /// One workbook, one sheet per table, header frozen, cells typed.
    Xlsx,
    /// One UTF-8 CSV file per table (add --bom for Excel).
    Csv,
    /// One Parquet file per table (for pandas, Power BI, polars).
    Parquet,
}

/// `--param NAME=VALUE`.
pub fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!(
            "`{text}`: write NAME=VALUE, for example country=VN"
        )),
    }
}

/// `--timeout SECONDS`.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s.is_finite() => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "`{text}`: give a number of seconds above 0, such as 30 or 2.5"
        )),
    }
}

/// Where the query text comes from.
pub struct QuerySource {
    pub sparql: Option<String>,
    pub file: Option<PathBuf>,
    pub saved: Option<String>,
}

pub struct QueryRequest {
    pub source: QuerySource,
    /// Ask this SPARQL 1.1 Protocol endpoint instead of the local store.
    pub endpoint: Option<String>,
    pub params: Vec<(String, String)>,
    pub format: Option<OutputFormat>,
    pub output: Option<PathBuf>,
    pub timeout: Option<Duration>,
    pub max_memory: MemoryArg,
}

/// The store a SPARQL 1.1 Protocol endpoint answers for (`--endpoint`),
/// its credentials from the environment as `ttkg publish` takes them, each
/// request given `timeout` (300 s by default).
pub fn remote_store(
    endpoint: &str,
    timeout: Option<Duration>,
) -> Result<ttkg_publish::Remote, Failure> {
    ttkg_publish::Remote::for_queries(
        endpoint,
        ttkg_publish::Auth::from_env(),
        timeout.unwrap_or(Duration::from_secs(300)),
    )
    .map_err(|e| (exit::USAGE, e.to_string()))
}

pub fn query(store: &Path, queries_dir: &Path, request: QueryRequest) -> Result<(), Failure> {
    let store = match request.endpoint {
        Some(_) => None,
        None => Some(open(store)?),
    };
    // The ontology as the store holds it: to check parameters and terms.
    let vocabulary = store
        .as_ref()
        .map(|s| ttkg_query::Vocabulary::load(&**s).unwrap_or_default())
        .unwrap_or_default();
    let checked_against = store.is_some().then_some(&vocabulary);
    let (text, bindings) = query_text(
        queries_dir,
        request.source,
        &request.params,
        checked_against,
    )?;
    let mut warnings = vocabulary.unknown_terms(&text);
    warnings.extend(ttkg_query::explain::unbound_selected(&text));
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    let deadline = deadline(request.timeout);
    let printed = request.output.is_none();
    limit_memory(request.max_memory, Asking::Query { printed });
    let results = match (&store, &request.endpoint) {
        (Some(store), _) => ttkg_query::ask(store, &text, &bindings, &deadline)
            .map_err(|e| query_failure_in(e, &text))?,
        (None, Some(endpoint)) => {
            let remote = remote_store(endpoint, request.timeout)?;
            remote
                .ask(&saved::for_another_store(&text, &bindings))
                .map_err(|e| match e {
                    ttkg_publish::PublishError::Refused { status: 400, .. } => {
                        (exit::USAGE, e.to_string())
                    }
                    other => (exit::FAILURE, other.to_string()),
                })?
        }
        (None, None) => unreachable!("the store is opened without an endpoint"),
    };
    let rows = write_answer(results, request.format, request.output.as_deref())?;
    if rows == 0 && !warnings.is_empty() {
        eprintln!("note: the answer is empty, and the query names terms the ontology does not define (see the warnings above)");
    }
    Ok(())
}

/// The query a request names (a saved question, `--sparql`, `--file` or
/// standard input) and its parameters' bindings, a saved question's
/// checked against `vocabulary` when there is one.
fn query_text(
    queries_dir: &Path,
    source: QuerySource,
    params: &[(String, String)],
    vocabulary: Option<&ttkg_query::Vocabulary>,
) -> Result<(String, Bindings), Failure> {
    match source {
        QuerySource {
            saved: Some(name),
            sparql: None,
            file: None,
        } => {
            let saved = saved::find(queries_dir, &name).map_err(query_failure)?;
            let bindings = saved
                .bindings_checked(params, vocabulary)
                .map_err(query_failure)?;
            Ok((saved.text, bindings))
        }
        QuerySource {
            saved: None,
            sparql,
            file,
        } => {
            let text = match (sparql, file) {
                (Some(q), None) => q,
                (None, Some(f)) => std::fs::read_to_string(&f)
                    .map_err(|e| (exit::USAGE, format!("{}: {e}", f.display())))?,
                (None, None) => query_from_stdin()?,
                (Some(_), Some(_)) => return Err(one_source()),
            };
            let bindings = params
                .iter()
                .map(|(name, value)| {
                    let variable = Variable::new(name.trim_start_matches(['?', '$']))
                        .map_err(|e| (exit::USAGE, format!("--param {name}: {e}")))?;
                    let term = saved::param_term(name, value).map_err(query_failure)?;
                    Ok((variable, term))
                })
                .collect::<Result<Bindings, Failure>>()?;
            Ok((text, bindings))
        }
        _ => Err(one_source()),
    }
}

/// A query's parameters: each variable and the term it is bound to.
type Bindings = Vec<(Variable, ttkg_graph::oxigraph::model::Term)>;

fn query_from_stdin() -> Result<String, Failure> {
    if std::io::stdin().is_terminal() {
        eprintln!("reading the query from standard input; end it with Ctrl-D");
    }
    let mut q = String::new();
    std::io::stdin().read_to_string(&mut q).map_err(|e| {
        (
            exit::USAGE,
            format!("cannot read the query from standard input: {e}"),
        )
    })?;
    Ok(q)
}

/// Writes an answer to `output` (whole or not at all) or to standard
/// output; the number of rows.
fn write_answer(
    results: ttkg_graph::oxigraph::sparql::QueryResults<'static>,
    format: Option<OutputFormat>,
    output: Option<&Path>,
) -> Result<usize, Failure> {
    match output {
        Some(path) => {
            let failed = |e: std::io::Error| (exit::FAILURE, format!("{}: {e}", path.display()));
            let mut file = ttkg_tables::PartialFile::create(path).map_err(failed)?;
            let rows = ttkg_query::write_results(results, format, false, file.writer())
                .map_err(query_failure)?;
            file.commit().map_err(failed)?;
            Ok(rows)
        }
        None => {
            let terminal = std::io::stdout().is_terminal();
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let rows = ttkg_query::write_results(results, format, terminal, &mut out)
                .map_err(query_failure)?;
            out.flush()
                .map_err(|e| (exit::FAILURE, format!("writing the results failed: {e}")))?;
            Ok(rows)
        }
    }
}

fn one_source() -> Failure {
    (
        exit::USAGE,
        "give one query: as an argument, with --file, with --saved, or on standard input".into(),
    )
}

/// `ttkg query --list`: every saved question with what it answers.
pub fn list(queries_dir: &Path) -> Result<(), Failure> {
    let queries = saved::load_dir(queries_dir).map_err(query_failure)?;
    if queries.is_empty() {
        println!("no saved queries in {}", queries_dir.display());
        return Ok(());
    }
    for q in &queries {
        println!("{}\n    {}", q.name, q.title);
        if !q.description.is_empty() {
            for line in wrap(&q.description, 76) {
                println!("    {line}");
            }
        }
        for p in &q.params {
            match &p.default {
                Some(d) => println!("    --param {}=VALUE  {} (default {d})", p.name, p.help),
                None => println!("    --param {}=VALUE  {} (required)", p.name, p.help),
            }
        }
        println!();
    }
    println!(
        "run one with: ttkg query --saved NAME; the export tables are in {}",
        queries_dir.join("export").display()
    );
    Ok(())
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("never empty");
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

/// `ttkg export`'s options.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// Export tables or saved questions, by name.
    tables: Vec<String>,
    /// Also export the result of the SELECT query in this file (repeatable).
    #[arg(long = "file", short)]
    files: Vec<PathBuf>,
    /// Set a variable of the queries that declare it (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// File format.
    #[arg(long, value_enum, default_value_t = TableFormat::Xlsx)]
    format: TableFormat,
    /// Start CSV files with a byte-order mark, so Excel reads Chinese and Thai text as UTF-8.
    #[arg(long)]
    bom: bool,
    /// Folder for the files (or, for xlsx, a path ending in .xlsx). Default: ROOT/export.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Language of labels and workbook headers (zh, en, vi, th, id, ...). An
    /// entity without a label in it shows one without a language tag, else
    /// English, else Chinese, else any other.
    #[arg(long, value_name = "LANG", default_value = "en", value_parser = parse_lang)]
    lang: String,
    /// Leave out the IRI column (by default the last column of each entity table).
    #[arg(long)]
    no_iri: bool,
    /// Stop after this many seconds (exit code 6).
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout)]
    timeout: Option<std::time::Duration>,
    /// Export from the store a SPARQL 1.1 Protocol endpoint answers for
    /// (one `ttkg publish` feeds) instead of the local store.
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    #[command(flatten)]
    max_memory: MemoryArg,
}

/// `ttkg export`: the tables written, the output defaulting to ROOT/export.
pub fn export_command(store: &Path, root: &Path, args: ExportArgs) -> Result<ExitCode, Failure> {
    let ExportArgs {
        tables,
        files,
        params,
        format,
        bom,
        output,
        lang,
        no_iri,
        timeout,
        endpoint,
        max_memory,
    } = args;
    let request = ExportRequest {
        tables,
        files,
        params,
        format,
        bom,
        lang,
        with_iri: !no_iri,
        output: match output {
            Some(output) => output,
            None => root.join("export"),
        },
        timeout,
        endpoint,
        max_memory,
    };
    export(store, &root.join("queries"), request)?;
    Ok(ExitCode::SUCCESS)
}

pub struct ExportRequest {
    /// Export tables (queries/export/NAME.rq) or saved queries (queries/NAME.rq).
    pub tables: Vec<String>,
    /// Ad-hoc SELECT queries from files, each a table named after its file.
    pub files: Vec<PathBuf>,
    pub params: Vec<(String, String)>,
    pub format: TableFormat,
    pub bom: bool,
    /// Language of labels and headers.
    pub lang: String,
    pub with_iri: bool,
    pub output: PathBuf,
    pub timeout: Option<Duration>,
    /// Ask this SPARQL 1.1 Protocol endpoint instead of the local store.
    pub endpoint: Option<String>,
    pub max_memory: MemoryArg,
}

/// A language tag for `--lang`: letters, and `-` between parts (`zh`, `pt-BR`).
pub fn parse_lang(text: &str) -> Result<String, String> {
    let tag = text.trim().to_ascii_lowercase();
    let valid = !tag.is_empty()
        && tag.split('-').all(|part| {
            (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
        });
    if valid {
        Ok(tag)
    } else {
        Err(format!(
            "`{text}` is not a language tag; use zh, en, vi, th, id, ..."
        ))
    }
}

pub fn export(store: &Path, queries_dir: &Path, request: ExportRequest) -> Result<(), Failure> {
    let tables_dir = queries_dir.join("export");
    let mut tables: Vec<SavedQuery> = Vec::new();
    if request.tables.is_empty() && request.files.is_empty() {
        tables = saved::load_dir(&tables_dir).map_err(query_failure)?;
        if tables.is_empty() {
            return Err((
                exit::USAGE,
                format!("no export tables in {}", tables_dir.display()),
            ));
        }
    }
    for name in &request.tables {
        let table = match saved::find(&tables_dir, name) {
            Ok(t) => t,
            Err(QueryError::UnknownSaved { .. }) => {
                saved::find(queries_dir, name).map_err(|_| unknown_table(name, queries_dir))?
            }
            Err(e) => return Err(query_failure(e)),
        };
        tables.push(table);
    }
    for file in &request.files {
        tables.push(saved::load_file(file).map_err(query_failure)?);
    }
    if !request.params.is_empty() {
        // Parameters go to the tables that declare them; one no table takes is a mistake.
        for (name, _) in &request.params {
            if !tables
                .iter()
                .any(|t| t.params.iter().any(|p| &p.name == name))
            {
                return Err((
                    exit::USAGE,
                    format!("--param {name}: none of the exported tables takes it"),
                ));
            }
        }
    }
    let format = match request.format {
        TableFormat::Xlsx => ExportFormat::Xlsx,
        TableFormat::Csv => ExportFormat::Csv { bom: request.bom },
        TableFormat::Parquet => ExportFormat::Parquet,
    };
    let options = ttkg_query::ExportOptions {
        format,
        lang: request.lang,
        with_iri: request.with_iri,
    };
    let deadline = deadline(request.timeout);
    let (local, remote);
    let answerer: &dyn ttkg_query::Answerer = match &request.endpoint {
        Some(endpoint) => {
            remote = remote_store(endpoint, request.timeout)?;
            &remote
        }
        None => {
            local = open(store)?;
            &*local
        }
    };
    limit_memory(request.max_memory, Asking::Export);
    let written = ttkg_query::export_tables(
        answerer,
        &tables,
        &request.params,
        &options,
        &request.output,
        &deadline,
    )
    .map_err(query_failure)?;
    for (path, rows) in written {
        println!("wrote {} ({rows} rows)", path.display());
    }
    Ok(())
}

fn unknown_table(name: &str, queries_dir: &Path) -> Failure {
    let names = |dir: &Path| {
        saved::load_dir(dir)
            .map(|qs| {
                qs.into_iter()
                    .map(|q| q.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    (
        exit::USAGE,
        format!(
            "no export table or saved query is called `{name}`; the tables are: {}; the saved queries: {}",
            names(&queries_dir.join("export")),
            names(queries_dir)
        ),
    )
}

/// `ttkg runs` and `ttkg runs show ID`.
pub fn runs(store: &Path, id: Option<&str>) -> Result<(), Failure> {
    let store = open(store)?;
    let table = match id {
        None => ttkg_query::runs(&store),
        Some(id) => ttkg_query::run_detail(&store, id),
    }
    .map_err(query_failure)?;
    if table.rows.is_empty() {
        println!("{}: none", table.title);
    } else {
        print!("{}", ttkg_query::render_table(&table.header, &table.rows));
    }
    Ok(())
}

pub fn stats(store: &Path) -> Result<(), Failure> {
    let store = open(store)?;
    let tables = ttkg_query::stats(&store).map_err(query_failure)?;
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            println!();
        }
        println!("{}\n", table.title);
        print!("{}", ttkg_query::render_table(&table.header, &table.rows));
    }
    Ok(())
}

/// `ttkg validate`: prints the violations (and writes them to `output`);
/// true when the store conforms.
pub fn validate(
    store: &Path,
    shapes: &Path,
    output: Option<&Path>,
    endpoint: Option<&str>,
    max_memory: MemoryArg,
) -> Result<bool, Failure> {
    let shapes =
        ttkg_validate::Shapes::load(shapes).map_err(|e| (exit::INVALID_SETUP, e.to_string()))?;
    let (local, remote);
    let data: &dyn ttkg_graph::Queryable = match endpoint {
        Some(endpoint) => {
            remote = remote_store(endpoint, None)?;
            &remote
        }
        None => {
            local = open(store)?;
            &*local
        }
    };
    limit_memory(max_memory, Asking::Validate);
    let violations = ttkg_validate::validate(data, &shapes, &[])
        .map_err(|e| (exit::FAILURE, format!("validation failed: {e}")))?;
    let checks: usize = shapes
        .shapes
        .iter()
        .flat_map(|s| &s.properties)
        .map(|p| p.constraints.len())
        .sum();
    let of = format!(
        "{} ({} shapes, {checks} constraints)",
        shapes.file.display(),
        shapes.shapes.len()
    );
    if violations.is_empty() {
        println!(
            "the {} conforms to {of}",
            if endpoint.is_some() {
                "remote store"
            } else {
                "store"
            }
        );
    } else {
        print!("{}", crate::output::violations_table(&violations));
        println!("\n{} violation(s) of {of}", violations.len());
    }
    if let Some(path) = output {
        crate::output::write_violations(&violations, path)?;
        println!("the violations are listed in {}", path.display());
    }
    Ok(violations.is_empty())
}

/// A store to read: the store itself, or, while another process holds it
/// (an import, `ttkg serve`), the snapshot it last published. Either way
/// every source is seen whole or not at all.
pub enum Reader {
    Store(KnowledgeStore),
    Snapshot(ttkg_graph::snapshot::Snapshot),
}

impl std::ops::Deref for Reader {
    type Target = KnowledgeStore;

    fn deref(&self) -> &KnowledgeStore {
        match self {
            Reader::Store(store) => store,
            Reader::Snapshot(snapshot) => &snapshot.store,
        }
    }
}

/// Opens the store at `store` for reading (see [`Reader`]).
pub fn open(store: &Path) -> Result<Reader, Failure> {
    if !store.exists() {
        return Err((
            exit::STORE,
            format!(
                "there is no store at {}; run `ttkg import` first, or point --store at one",
                store.display()
            ),
        ));
    }
    let held = match KnowledgeStore::open(store) {
        Ok(opened) => return Ok(Reader::Store(opened)),
        Err(e) => e,
    };
    let holder = match ttkg_serve::ServeFile::read(store).ok().flatten() {
        Some(server) if server.is_alive() => {
            format!("`ttkg serve` (process {}, at {}/)", server.pid, server.url)
        }
        _ => match ttkg_import::import_holder(store) {
            Some(holder) => format!("an import, {holder},"),
            None => "another ttkg process".to_owned(),
        },
    };
    match ttkg_graph::snapshot::Snapshot::open_latest(store) {
        Ok(snapshot) => {
            eprintln!(
                "note: {holder} holds the store; answering from its state as last published ({})",
                published_at(&snapshot.generation)
            );
            Ok(Reader::Snapshot(snapshot))
        }
        Err(unreadable) => Err((
            exit::STORE,
            format!("{holder} holds the store {}, and its published state cannot be read ({unreadable}); try again when it has finished ({held})", store.display()),
        )),
    }
}

/// When a snapshot was published, from its name (milliseconds first).
fn published_at(generation: &str) -> String {
    generation
        .split('-')
        .next()
        .and_then(|ms| ms.parse::<i64>().ok())
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| generation.to_owned())
}

/// Opens the store to write to it, saying so when `ttkg serve` or an
/// import holds it and where to ask instead.
pub fn open_store(store: &Path) -> Result<KnowledgeStore, Failure> {
    KnowledgeStore::open(store).map_err(|e| {
        match ttkg_serve::ServeFile::read(store).ok().flatten() {
            Some(server) => (
                exit::STORE,
                format!(
                    "`ttkg serve` (process {}) holds the store {}: ask it at {}/sparql or on its query page {}/, or stop it first",
                    server.pid,
                    store.display(),
                    server.url,
                    server.url
                ),
            ),
            None => match ttkg_import::import_holder(store) {
                Some(holder) => (
                    exit::STORE,
                    format!(
                        "an import ({holder}) holds the store {}; try again when it has finished",
                        store.display()
                    ),
                ),
                None => (exit::STORE, e.to_string()),
            },
        }
    })
}

/// The query's time limit. Parts of a query that do not read the store do
/// not notice cancellation; if the query is still running a second after
/// its time is up, ttkg stops there, removing any half-written output.
pub fn deadline(limit: Option<Duration>) -> Deadline {
    Deadline::with_overrun(limit, Duration::from_secs(1), || {
        ttkg_tables::remove_partial_files();
        eprintln!("error: {}", QueryError::Timeout);
        std::process::exit(i32::from(exit::TIMEOUT));
    })
}

/// `--max-memory`, shared by the commands that ask questions of the store.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct MemoryArg {
    /// Stop a question that needs more than this many MiB of memory (exit
    /// code 10) rather than run the machine out of it. Default: three
    /// quarters of the memory free when the command starts.
    #[arg(long = "max-memory", value_name = "MIB", value_parser = parse_memory)]
    pub mib: Option<usize>,
}

/// `--max-memory MIB`.
fn parse_memory(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(mib) if mib > 0 => Ok(mib),
        _ => Err(format!(
            "`{text}`: give a whole number of MiB above 0, such as 2048"
        )),
    }
}

/// The command whose questions are limited, for the message when one is
/// stopped.
#[derive(Debug, Clone, Copy)]
pub enum Asking {
    /// `ttkg query`, its answer printed as it comes or written to a file.
    Query { printed: bool },
    /// `ttkg export`.
    Export,
    /// `ttkg report`.
    Report,
    /// `ttkg validate`.
    Validate,
}

impl Asking {
    /// What the stop left behind.
    fn left(self) -> &'static str {
        match self {
            Asking::Query { printed: true } => "any answer it printed is incomplete",
            Asking::Validate => "the store was not checked",
            Asking::Query { printed: false } | Asking::Export | Asking::Report => {
                "no file was left half-written"
            }
        }
    }

    /// What to try first, before more memory.
    fn advice(self) -> &'static str {
        match self {
            Asking::Query { .. } => "Ask for less (a FILTER or LIMIT, fewer columns), or allow",
            Asking::Export => "Export fewer tables at a time (ttkg export TABLE), or allow",
            Asking::Report | Asking::Validate => "Allow",
        }
    }
}

/// From here on, the questions of this command may hold `max_memory` MiB
/// (default: three quarters of the memory free now); past it the command
/// removes its half-written files and ends with exit code 10 and what to
/// do, rather than running the machine out of memory, where the kernel
/// ends it (or another program) without a word.
pub fn limit_memory(max_memory: MemoryArg, asking: Asking) {
    let (bytes, default) = match max_memory.mib {
        Some(mib) => (mib.saturating_mul(ttkg_memory::MIB), false),
        None => (ttkg_memory::command_query_memory(), true),
    };
    let mib = bytes / ttkg_memory::MIB;
    let how = if default {
        "three quarters of the memory free when it started"
    } else {
        "--max-memory"
    };
    let (left, advice) = (asking.left(), asking.advice());
    ttkg_memory::on_overrun(i32::from(exit::MEMORY), move || {
        ttkg_tables::remove_partial_files();
        eprintln!(
            "error: a question needed more than {mib} MiB of memory ({how}) and was stopped \
             before the machine ran out; {left}. {advice} more with --max-memory MIB if the \
             machine has it"
        );
    });
    ttkg_memory::limit(bytes);
}

/// [`query_failure`], a syntax error explained in plain words against the
/// query's own text.
fn query_failure_in(error: QueryError, query: &str) -> Failure {
    match error {
        QueryError::Syntax {
            message, position, ..
        } => (
            exit::USAGE,
            ttkg_query::explain::syntax_error(query, &message, position),
        ),
        other => query_failure(other),
    }
}

pub fn query_failure(error: QueryError) -> Failure {
    let code = match &error {
        QueryError::Timeout => exit::TIMEOUT,
        QueryError::Store(_) => exit::STORE,
        e if e.is_usage() => exit::USAGE,
        _ => exit::FAILURE,
    };
    (code, error.to_string())
}

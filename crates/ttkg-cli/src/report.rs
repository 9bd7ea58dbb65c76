//! `ttkg report`: the department's periodic report from a definition in
//! ROOT/reports, as HTML and XLSX files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use ttkg_report::{Period, ReportError};

use crate::analyst::{self, parse_timeout};
use crate::{exit, Failure};

/// `ttkg report`'s options.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// The report definition: ROOT/reports/NAME.toml.
    #[arg(default_value = "monthly")]
    name: String,
    /// The year or month the report covers: 2016 or 2016-06. Figures are
    /// counted to its end and compared with the period before.
    #[arg(long, value_parser = parse_period, required_unless_present = "list")]
    period: Option<Period>,
    /// The report's language: zh or en.
    #[arg(long, default_value = "zh", value_parser = ["zh", "en"])]
    lang: String,
    /// Which files to write.
    #[arg(long, value_enum, default_value_t = ReportFormat::Both)]
    format: ReportFormat,
    /// Folder for the files (default: ROOT/export), or a file ending in
    /// .html or .xlsx.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// List the report definitions and their sections.
    #[arg(long)]
    list: bool,
    /// Stop after this many seconds (exit code 6).
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout)]
    timeout: Option<Duration>,
    #[command(flatten)]
    max_memory: analyst::MemoryArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ReportFormat {
    Html,
    Xlsx,
    Both,
}

fn parse_period(text: &str) -> Result<Period, String> {
    Period::parse(text).ok_or_else(|| {
        format!("`{text}` is not a period: write a year (2016) or a month (2016-06)")
    })
}

pub fn command(store: &Path, root: &Path, args: ReportArgs) -> Result<ExitCode, Failure> {
    let reports_dir = root.join("reports");
    let queries_dir = root.join("queries");
    if args.list {
        for definition in ttkg_report::definition::load_dir(&reports_dir).map_err(report_failure)? {
            println!("{}  {}", definition.name, definition.title.get("en"));
            for section in &definition.sections {
                println!("    {}", section.question);
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let period = args.period.expect("clap requires --period without --list");
    let definition =
        ttkg_report::definition::find(&reports_dir, &args.name).map_err(report_failure)?;
    let sections = definition.resolve(&queries_dir).map_err(report_failure)?;
    let store = analyst::open(store)?;
    let deadline = analyst::deadline(args.timeout);
    analyst::limit_memory(args.max_memory, analyst::Asking::Report);
    let report = ttkg_report::build(&*store, &definition, &sections, period, &deadline)
        .map_err(report_failure)?;

    let stem = format!("{}-{}-{}", definition.name, period, args.lang);
    let target = args.output.unwrap_or_else(|| root.join("export"));
    let (html, xlsx) = match target.extension().and_then(|e| e.to_str()) {
        Some("html") | Some("htm") => (Some(target.clone()), None),
        Some("xlsx") => (None, Some(target.clone())),
        _ => {
            std::fs::create_dir_all(&target)
                .map_err(|e| (exit::FAILURE, format!("{}: {e}", target.display())))?;
            let wants = |f: ReportFormat| args.format == f || args.format == ReportFormat::Both;
            (
                wants(ReportFormat::Html).then(|| target.join(format!("{stem}.html"))),
                wants(ReportFormat::Xlsx).then(|| target.join(format!("{stem}.xlsx"))),
            )
        }
    };
    for (i, section) in report.sections.iter().enumerate() {
        for note in &section.notes {
            eprintln!(
                "note: section {} ({}): {}",
                i + 1,
                section.question,
                note.get("en")
            );
        }
        if section.rows.is_empty() {
            eprintln!(
                "note: section {} ({}): {}",
                i + 1,
                section.question,
                section.empty.get("en")
            );
        }
    }
    if let Some(path) = html {
        let page = ttkg_report::html::render(&report, &args.lang, None);
        write_file(&path, page.as_bytes())?;
        println!("wrote {}", path.display());
    }
    if let Some(path) = xlsx {
        let bytes = ttkg_report::xlsx::bytes(&report, &args.lang).map_err(report_failure)?;
        write_file(&path, &bytes)?;
        println!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `path` whole or not at all.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    ttkg_tables::write_whole(path, bytes)
        .map_err(|e| (exit::FAILURE, format!("{}: {e}", path.display())))
}

fn report_failure(error: ReportError) -> Failure {
    match error {
        ReportError::Query { question, source } => {
            let (code, message) = analyst::query_failure(*source);
            (code, format!("report question `{question}`: {message}"))
        }
        e @ (ReportError::Definition { .. } | ReportError::Unknown { .. }) => {
            (exit::USAGE, e.to_string())
        }
        e @ ReportError::Write { .. } => (exit::FAILURE, e.to_string()),
    }
}

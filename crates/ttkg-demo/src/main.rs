//! `ttkg-demo`: writes the demo reports of `data/reports/` and, with
//! `--scale N`, large synthetic sets for benchmarks.
//!
//! The demo set reproduces the figures of the seed article (1,763 network
//! members, 393 agreements worth 5.8–6.0 亿元, 7 demonstration bases on
//! 1,300 亩, 10 training courses with more than 160 trainees, 22 events of
//! which 16 in ASEAN countries, five bilateral transfer centres and the named
//! joint laboratories). Output is byte-identical on every run.

mod messy;
mod names;
mod reports;
mod rng;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "ttkg-demo",
    about = "Write the demo reports (or a synthetic set for benchmarks)."
)]
struct Args {
    /// The data folder: reports go to OUT/reports, the exchange rates are read from OUT/reference.
    #[arg(long, default_value = "data")]
    out: PathBuf,
    /// Instead of the demo set, write about N synthetic agreement rows across CSV and XLSX files.
    #[arg(long)]
    scale: Option<usize>,
    /// With --scale: rows per file (files alternate between XLSX and CSV).
    #[arg(long, default_value_t = 100_000, requires = "scale")]
    rows_per_file: usize,
    /// Where to read the exchange-rate table; default OUT/reference/exchange-rates.csv.
    #[arg(long)]
    rates: Option<PathBuf>,
    /// Instead, write the corpus of messy reports the tests use into this folder
    /// (tests/fixtures/messy/data).
    #[arg(long, value_name = "DIR", conflicts_with = "scale")]
    messy: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("writing a workbook failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("exchange-rate table: {0}")]
    Rates(String),
    #[error("the generated set misses the article's figures: {0}")]
    Figures(String),
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(dir) = &args.messy {
        return report(messy::write_messy(dir));
    }
    let rates_path = args
        .rates
        .clone()
        .unwrap_or_else(|| args.out.join("reference").join("exchange-rates.csv"));
    let result = reports::Rates::load(&rates_path).and_then(|rates| match args.scale {
        None => reports::write_demo(&args.out, &rates),
        Some(n) => reports::write_synthetic(&args.out, &rates, n, args.rows_per_file),
    });
    report(result)
}

fn report(result: Result<Vec<PathBuf>, DemoError>) -> ExitCode {
    match result {
        Ok(written) => {
            for path in written {
                println!("wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

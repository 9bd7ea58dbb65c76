//! The fuzzing targets, run by `scripts/fuzz` (ignored by `cargo test`):
//! `TTKG_FUZZ_SECONDS` per target, from `TTKG_FUZZ_SEED`.

use std::path::Path;

use ttkg_fuzz::{corpus, duration, fuzz, repository, seed};
use ttkg_ingest::{ReadLimits, ReadOptions, SheetChoice, SourceFormat};
use ttkg_pipeline::Pipeline;

/// The workbooks and reports tried in the read target are read as the
/// Vietnamese and Guangxi agreements reports would be.
fn pipeline(name: &str) -> Pipeline {
    Pipeline::load(&repository().join("pipelines").join(name)).expect("a valid pipeline")
}

fn report(name: &str, report: ttkg_fuzz::Report) {
    println!(
        "{name}: {} inputs, {} panics",
        report.inputs,
        report.panics.len()
    );
    assert!(
        report.panics.is_empty(),
        "{name}: inputs that panicked were saved: {:?}",
        report.panics
    );
}

/// Reads `bytes` as a report file of `format` with `pipeline`'s columns,
/// and normalises what it reads, whole and in batches of three rows: the
/// two must agree (a difference panics, and the input is saved).
fn read_and_normalise(bytes: &[u8], extension: &str, format: SourceFormat, pipeline: &Pipeline) {
    let dir = tempfile::tempdir().expect("a temp folder");
    let path = dir.path().join(format!("report.{extension}"));
    std::fs::write(&path, bytes).expect("written");
    let options = ReadOptions {
        format,
        sheet: SheetChoice::Pattern("*".into()),
        encoding: None,
        delimiter: None,
        header_search_rows: 30,
        limits: ReadLimits {
            max_file_bytes: 4 << 20,
            max_unpacked_bytes: 64 << 20,
            max_cells: 2_000_000,
            ..ReadLimits::default()
        },
        chunk_rows: 3,
        max_table_bytes: usize::MAX,
    };
    let expected = ttkg_normalise::expected_columns(pipeline);
    let read = ttkg_ingest::read(&path, &options, &expected);
    // Read in chunks of three rows, the tables are the tables read whole.
    let whole = ReadOptions {
        chunk_rows: usize::MAX,
        ..options.clone()
    };
    match (&read, ttkg_ingest::read(&path, &whole, &expected)) {
        (Ok(chunked), Ok(whole)) => {
            assert_eq!(chunked.tables.len(), whole.tables.len());
            for (c, w) in chunked.tables.iter().zip(&whole.tables) {
                assert!(
                    c.frame.equals_missing(&w.frame),
                    "read in chunks: {:?}\nread whole: {:?}",
                    c.frame,
                    w.frame
                );
            }
        }
        (Err(c), Err(w)) => assert_eq!(c.to_string(), w.to_string()),
        (c, w) => panic!(
            "read in chunks: {:?}\nread whole: {:?}",
            c.as_ref().err(),
            w.err()
        ),
    }
    if let Ok(read) = read {
        let refs = ttkg_normalise::References::default();
        for table in read.tables {
            let absent: Vec<String> = table.missing.iter().map(|m| m.key.clone()).collect();
            let whole = ttkg_normalise::normalise(table.frame.clone(), pipeline, &refs, &absent);
            let batched =
                ttkg_normalise::normalise_in_batches(table.frame, pipeline, &refs, &absent, 3);
            if let (Ok(whole), Ok(batched)) = (whole, batched) {
                let rows = |frame: &polars::prelude::DataFrame| {
                    frame
                        .column(ttkg_normalise::ROW_COLUMN)
                        .map(|c| c.as_materialized_series().clone())
                        .ok()
                };
                assert_eq!(rows(&whole.frame), rows(&batched.frame), "rows kept");
                assert_eq!(whole.problems, batched.problems, "problems");
                assert_eq!(whole.skipped, batched.skipped, "rows skipped");
                assert_eq!(whole.blank_row_numbers, batched.blank_row_numbers);
                assert_eq!(whole.resolutions, batched.resolutions);
            }
        }
    }
}

#[test]
#[ignore = "fuzzing: run by scripts/fuzz"]
fn queries_and_updates() {
    let root = repository();
    let mut seeds = corpus(&root.join("queries"), &[".rq"]);
    seeds.extend(corpus(
        &root.join("tests/fixtures/hostile/queries"),
        &[".rq", ".ru"],
    ));
    let mut parser = spargebra::SparqlParser::new();
    for (prefix, namespace) in ttkg_vocab::PREFIXES {
        parser = parser.with_prefix(*prefix, *namespace).expect("valid");
    }
    report(
        "queries",
        fuzz("queries", &seeds, duration(), seed(), |bytes| {
            let text = String::from_utf8_lossy(bytes);
            if ttkg_graph::nesting::check_nesting(&text).is_ok() {
                let _ = parser.clone().parse_query(&text);
                let _ = parser.clone().parse_update(&text);
            }
        }),
    );
}

#[test]
#[ignore = "fuzzing: run by scripts/fuzz"]
fn pipelines() {
    let root = repository();
    let mut seeds = corpus(&root.join("pipelines"), &[".toml"]);
    seeds.extend(corpus(&root.join("tests/fixtures"), &[".toml"]));
    report(
        "pipelines",
        fuzz("pipelines", &seeds, duration(), seed(), |bytes| {
            let text = String::from_utf8_lossy(bytes);
            if let Ok(p) = Pipeline::parse(Path::new("fuzz.toml"), &text) {
                let _ = p.plan.mapped_columns();
                let _ = p.check_terms(|_| true, |_| true);
            }
        }),
    );
}

#[test]
#[ignore = "fuzzing: run by scripts/fuzz"]
fn csv_reports() {
    let root = repository();
    let mut seeds = corpus(&root.join("data/reports"), &[".csv"]);
    seeds.extend(corpus(&root.join("tests/fixtures"), &[".csv"]));
    let vietnam = pipeline("vietnam-agreements.toml");
    report(
        "csv",
        fuzz("csv", &seeds, duration(), seed(), |bytes| {
            read_and_normalise(bytes, "csv", SourceFormat::Csv, &vietnam)
        }),
    );
}

#[test]
#[ignore = "fuzzing: run by scripts/fuzz"]
fn workbooks() {
    let root = repository();
    let mut seeds = corpus(&root.join("data/reports"), &[".xlsx"]);
    seeds.extend(corpus(&root.join("tests/fixtures"), &[".xlsx", ".ods"]));
    let guangxi = pipeline("guangxi-agreements.toml");
    report(
        "workbooks",
        fuzz("workbooks", &seeds, duration(), seed(), |bytes| {
            let (extension, format) = if bytes.windows(8).any(|w| w == b"mimetype") {
                ("ods", SourceFormat::Ods)
            } else {
                ("xlsx", SourceFormat::Xlsx)
            };
            read_and_normalise(bytes, extension, format, &guangxi)
        }),
    );
}

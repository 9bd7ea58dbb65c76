//! Drafts a pipeline for every report of the demo data and the messy
//! corpus with its own pipeline left out of what the drafter knows, and
//! compares each draft with the hand-written pipeline: the share of
//! columns it maps the same way (type, settings, properties) must be at
//! least 80% over the corpus. `cargo test -p ttkg-draft --test corpus --
//! --nocapture` prints the table the README quotes.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSetBuilder};
use rayon::prelude::*;
use ttkg_draft::{compare, draft, Knowledge};
use ttkg_ingest::ReadLimits;
use ttkg_normalise::ConceptTable;
use ttkg_pipeline::Pipeline;

/// The repository, from this crate's folder as cargo gives it when the test
/// runs: a test binary built in another clone that shares the build folder
/// (CI) must not read that clone's files.
fn repository() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("../..")
}

/// Every file under `dir`, relative, with `/`.
fn files(dir: &Path, base: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            files(&path, base, out);
        } else {
            let relative = path.strip_prefix(base).unwrap();
            out.push(
                relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/"),
            );
        }
    }
}

#[test]
fn drafts_map_at_least_four_fifths_of_the_corpus_columns_as_the_hand_written_pipelines() {
    let root = repository();
    let ontology = ttkg_graph::Ontology::load(&root.join("ontology")).unwrap();
    let concepts = ConceptTable::from_labels(ontology.concept_labels()).unwrap();
    let shapes = ttkg_validate::Shapes::load(&root.join("ontology/shapes.ttl")).unwrap();
    let required = shapes.required_properties();
    let properties = ontology.properties();
    let superclasses = ontology.superclasses();
    let corpora = [
        (root.join("pipelines"), root.join("data")),
        (
            root.join("tests/fixtures/messy/pipelines"),
            root.join("tests/fixtures/messy/data"),
        ),
    ];
    let mut all: Vec<(Pipeline, PathBuf)> = Vec::new();
    for (pipelines, data) in &corpora {
        for p in ttkg_pipeline::load_dir(pipelines).unwrap() {
            all.push((p, data.clone()));
        }
    }
    // Each pipeline's files drafted without it, pipelines in parallel.
    let results: Vec<(Vec<String>, usize, f64)> = all
        .par_iter()
        .enumerate()
        .map(|(i, (written, data))| {
            let others: Vec<Pipeline> = all
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, (p, _))| p.clone())
                .collect();
            let knowledge = Knowledge {
                pipelines: &others,
                concepts: &concepts,
                required: &required,
                properties: &properties,
                superclasses: &superclasses,
            };
            score(written, data, &knowledge)
        })
        .collect();
    let mut table = Vec::new();
    // Each pipeline counts once, with the share of its columns mapped right
    // over its files (the encodings pipeline has nine copies of one small
    // report, which would otherwise weigh nine times).
    let (mut same, mut total) = (0f64, 0usize);
    for (lines, columns, share) in results {
        table.extend(lines);
        same += share * columns as f64;
        total += columns;
    }
    let share = same / total.max(1) as f64;
    println!("{}", table.join("\n"));
    println!(
        "over {} pipelines, the drafts map {same:.1} of their {total} columns as the hand-written pipelines do: {:.1}%",
        all.len(),
        share * 100.0
    );
    assert!(total > 80, "the corpus has {total} columns");
    assert!(
        share >= 0.80,
        "{:.1}% of the columns\n{}",
        share * 100.0,
        table.join("\n")
    );
}

/// The lines of the table for one pipeline, its column count, and the
/// share of its columns its drafts map as it does.
fn score(written: &Pipeline, data: &Path, knowledge: &Knowledge) -> (Vec<String>, usize, f64) {
    let mut table = Vec::new();
    let mut set = GlobSetBuilder::new();
    for pattern in &written.spec.source.files {
        set.add(
            GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .unwrap(),
        );
    }
    let set = set.build().unwrap();
    let mut names = Vec::new();
    files(data, data, &mut names);
    let (mut right, mut compared_columns, mut columns) = (0usize, 0usize, 0usize);
    for name in names.iter().filter(|n| set.is_match(n.as_str())) {
        let path = data.join(name);
        let drafted = match draft(&path, Some(data), knowledge, ReadLimits::default()) {
            Ok(d) => d,
            Err(e) => {
                // A report the drafter cannot read counts as nothing mapped.
                table.push(format!("{:<28} {name}: no draft: {e}", written.name));
                continue;
            }
        };
        let text = drafted.to_toml();
        let parsed = match Pipeline::parse(Path::new("draft.toml"), &text) {
            Ok(p) => p,
            Err(e) => {
                // A draft without entities maps nothing yet.
                table.push(format!(
                    "{:<28} {name}: the draft does not parse: {e}",
                    written.name
                ));
                let n = written
                    .spec
                    .columns
                    .values()
                    .filter(|c| c.is_read())
                    .count();
                compared_columns += n;
                columns = columns.max(n);
                continue;
            }
        };
        let compared = compare::compare(written, &parsed, &drafted);
        let n = compared.iter().filter(|c| c.same()).count();
        right += n;
        compared_columns += compared.len();
        columns = columns.max(compared.len());
        table.push(format!(
            "{:<28} {name}: {n}/{} columns",
            written.name,
            compared.len()
        ));
        for c in compared.iter().filter(|c| !c.same()) {
            table.push(format!(
                "    '{}': written {} / drafted {}",
                c.header,
                c.written,
                c.drafted.as_deref().unwrap_or("(none)")
            ));
        }
    }
    let share = match compared_columns {
        0 => 0.0,
        n => right as f64 / n as f64,
    };
    (table, columns, share)
}

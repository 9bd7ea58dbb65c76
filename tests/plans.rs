//! What pipelines can say beyond reading a column: columns computed from
//! others, and quantities in any unit of their dimension.

use crate::common;

use common::{fixture, import, select, ttkg, workspace_from};
use ttkg_graph::KnowledgeStore;

/// A training report counting trainees in one column per country loads one
/// `ttkg:traineeCount` per course, their sum; a row where both are empty is
/// quarantined as such, and a row whose count cannot be read is quarantined
/// for that count, not again for the sum. Bases reported in hectares get
/// their area in 亩 exactly. Both pass `ttkg validate`, and the headline
/// figures count them.
#[test]
fn computed_sums_and_areas_in_any_unit_load_validate_and_count() {
    let ws = workspace_from(&fixture("computed"));
    common::copy_dir(&common::root().join("queries"), &ws.path().join("queries"));
    let store_dir = ws.path().join("store");
    let run = import(ws.path(), &store_dir, &[]);
    assert_eq!(
        run.code, 8,
        "two rows quarantined: {}\n{}",
        run.stdout, run.stderr
    );
    assert!(run.stdout.contains("2 quarantined"), "{}", run.stdout);

    let quarantine = std::fs::read_dir(store_dir.with_extension("quarantine"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.extension().is_some_and(|x| x == "csv") && p.to_string_lossy().contains("quarantine-")
        })
        .map(|p| std::fs::read_to_string(p).unwrap())
        .expect("a quarantine CSV");
    let line = |row: &str| -> Vec<&str> {
        quarantine
            .lines()
            .filter(|l| l.contains(&format!(",{row},")))
            .collect()
    };
    let empty = line("5");
    assert_eq!(empty.len(), 1, "{quarantine}");
    assert!(
        empty[0].contains("computed (sum) from `trainees_vn` ('Trainees from Viet Nam'), `trainees_la` ('Trainees from Laos'), which are all empty"),
        "{}",
        empty[0]
    );
    let unreadable = line("6");
    assert_eq!(
        unreadable.len(),
        1,
        "the count's problem only: {quarantine}"
    );
    assert!(
        unreadable[0].contains("Trainees from Viet Nam") && unreadable[0].contains("twelve"),
        "{}",
        unreadable[0]
    );

    let store = KnowledgeStore::open(&store_dir).unwrap();
    let courses = select(
        &store,
        "SELECT ?name ?n ?title WHERE { ?c a ttkg:TrainingCourse ; skos:prefLabel ?name ; ttkg:traineeCount ?n ; dcterms:description ?title } ORDER BY ?name",
    );
    assert_eq!(
        courses,
        [
            ["Fruit processing", "9", "Fruit processing (2017-08-01)"],
            [
                "Rice breeding workshop",
                "20",
                "Rice breeding workshop (2017-03-10)"
            ],
            [
                "Sugarcane mechanisation",
                "15",
                "Sugarcane mechanisation (2017-05-22)"
            ],
        ]
    );
    let bases = select(
        &store,
        "SELECT ?name ?ha ?mu WHERE { ?b a ttkg:DemonstrationBase ; skos:prefLabel ?name ; ttkg:areaHectares ?ha ; ttkg:areaMu ?mu } ORDER BY ?name",
    );
    assert_eq!(
        bases,
        [
            ["Maize base Yangon", "40", "600"],
            ["Rice base Vientiane", "12.5", "187.5"],
        ]
    );
    drop(store);

    let store_arg = store_dir.to_str().unwrap();
    let validate = ttkg(ws.path(), &["--store", store_arg, "validate"]);
    assert_eq!(validate.code, 0, "{}\n{}", validate.stdout, validate.stderr);
    let headline = ttkg(
        ws.path(),
        &[
            "--store",
            store_arg,
            "query",
            "--saved",
            "headline-figures",
            "--format",
            "csv",
        ],
    );
    assert_eq!(headline.code, 0, "{}", headline.stderr);
    let figure = |name: &str| {
        headline
            .stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name}: {}", headline.stdout))
            .to_owned()
    };
    assert!(figure("trainees,").ends_with(",44"), "{}", headline.stdout);
    assert!(
        figure("demonstration-base area").ends_with(",787.5"),
        "{}",
        headline.stdout
    );
}

/// A computed column is checked when the pipeline is read: its inputs must
/// be read columns of the right kind, and a sum must be a number.
#[test]
fn computed_columns_are_checked_with_the_line_and_what_to_write() {
    let ws = workspace_from(&fixture("computed"));
    let pipeline = ws.path().join("pipelines/training-by-country.toml");
    let text = std::fs::read_to_string(&pipeline).unwrap().replace(
        r#"trainees = { type = "integer", compute = { sum = ["trainees_vn", "trainees_la"] }, required = true, min = 0 }"#,
        r#"trainees = { type = "date", compute = { sum = ["trainees_vn", "host", "nowhere"] }, required = true }"#,
    );
    std::fs::write(&pipeline, text).unwrap();
    let run = ttkg(ws.path(), &["check"]);
    assert_eq!(
        run.code, 3,
        "pipeline errors: {}\n{}",
        run.stdout, run.stderr
    );
    for said in [
        "computed column `trainees` (sum) reads `host`, which is not an integer or decimal column",
        "computed column `trainees` reads `nowhere`, which is not a declared column",
        "computed column `trainees` (sum) gives a number, so its type must be integer or decimal",
        "training-by-country.toml:",
    ] {
        assert!(run.stderr.contains(said), "{said}:\n{}", run.stderr);
    }
}

//! No silent wrong numbers: an import never drops, merges, rounds or
//! deletes without saying so. Each test runs the real binary on a fixture
//! of its own (tests/fixtures/trust/) and checks the store with SPARQL, the
//! summary, the JSON log, the run history and the run's report files.

use std::path::{Path, PathBuf};

use crate::common::{self, fixture, import, select, ttkg, value, workspace_from, Run};
use ttkg_graph::KnowledgeStore;

fn trust(name: &str) -> PathBuf {
    fixture(&format!("trust/{name}"))
}

/// Replaces the workspace's report with one of the fixture's variants.
fn resend(ws: &Path, variant: &str) {
    let from = trust("vn-agreements").join("variants").join(variant);
    std::fs::copy(from, ws.join("data/reports/agreements-2016.csv")).unwrap();
}

/// Rewrites the workspace's `pipelines/agreements.toml` with `edit`.
fn edit_pipeline(ws: &Path, edit: impl Fn(String) -> String) {
    let pipeline = ws.join("pipelines/agreements.toml");
    let text = std::fs::read_to_string(&pipeline).unwrap();
    std::fs::write(&pipeline, edit(text)).unwrap();
}

/// The Vietnamese agreements workspace with `variant` sent as its report,
/// imported once.
fn import_variant(variant: &str) -> (tempfile::TempDir, PathBuf, Run) {
    let ws = workspace_from(&trust("vn-agreements"));
    let store = ws.path().join("store");
    resend(ws.path(), variant);
    let run = import(ws.path(), &store, &[]);
    (ws, store, run)
}

/// The newest run report file whose name starts with `prefix` (quarantine, skipped, names).
fn report_file(store: &Path, prefix: &str) -> String {
    let dir = store.with_extension("quarantine");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(prefix) && name.ends_with(".csv")
        })
        .collect();
    files.sort();
    let last = files
        .last()
        .unwrap_or_else(|| panic!("no {prefix}*.csv in {}", dir.display()));
    std::fs::read_to_string(last).unwrap()
}

fn agreements(store: &Path) -> Vec<Vec<String>> {
    let store = KnowledgeStore::open(store).unwrap();
    select(
        &store,
        "SELECT ?n ?d WHERE { ?a a ttkg:Agreement ; ttkg:agreementNumber ?n OPTIONAL { ?a ttkg:signingDate ?d } } ORDER BY ?n",
    )
}

fn said(run: &Run) -> String {
    format!("{}\n{}", run.stdout, run.stderr)
}

#[test]
fn a_resent_file_that_loses_its_rows_keeps_its_previous_version() {
    let ws = workspace_from(&trust("vn-agreements"));
    let store = ws.path().join("store");
    let first = import(ws.path(), &store, &[]);
    assert_eq!(first.code, 0, "{}", said(&first));
    let before = agreements(&store);
    assert_eq!(before.len(), 10);

    // Every date impossible: the file fails whole, and says why.
    resend(ws.path(), "all-dates-impossible.csv");
    let run = import(ws.path(), &store, &["--log-format", "json"]);
    assert_eq!(run.code, 4, "{}", said(&run));
    assert!(
        run.stderr.contains("10 of 10 rows quarantined")
            && run
                .stderr
                .contains("the previous version of this file stays"),
        "{}",
        run.stderr
    );
    assert_eq!(agreements(&store), before, "the good version stays");
    let history = ttkg(
        ws.path(),
        &["runs", "show", "last", "--store", store.to_str().unwrap()],
    );
    assert!(
        history.stdout.contains("10 of 10 rows quarantined"),
        "the run history says why: {}",
        said(&history)
    );
    // The rows to send back are listed even though nothing loaded.
    assert!(report_file(&store, "quarantine-").contains("31/02/2016 does not exist"));

    // Six of ten (60%) is more than the default 50%.
    resend(ws.path(), "six-dates-impossible.csv");
    let run = import(ws.path(), &store, &[]);
    assert_eq!(run.code, 4, "{}", said(&run));
    assert!(
        run.stderr
            .contains("6 of 10 rows quarantined (60%, more than the 50%"),
        "{}",
        run.stderr
    );
    assert_eq!(agreements(&store), before);

    // Two of ten loads the eight good rows (exit 8).
    resend(ws.path(), "two-dates-impossible.csv");
    let run = import(ws.path(), &store, &[]);
    assert_eq!(run.code, 8, "{}", said(&run));
    assert_eq!(agreements(&store).len(), 8);
}

#[test]
fn the_share_a_file_may_lose_is_set_per_pipeline_or_per_run() {
    let ws = workspace_from(&trust("vn-agreements"));
    let store = ws.path().join("store");
    resend(ws.path(), "two-dates-impossible.csv");
    edit_pipeline(ws.path(), |text| {
        text.replace(
            "format = \"csv\"",
            "format = \"csv\"\nmax_quarantined = 0.1",
        )
    });
    let strict = import(ws.path(), &store, &[]);
    assert_eq!(strict.code, 4, "{}", said(&strict));
    assert!(
        strict
            .stderr
            .contains("2 of 10 rows quarantined (20%, more than the 10%"),
        "{}",
        strict.stderr
    );
    assert!(
        strict.stderr.contains("nothing of it was loaded"),
        "{}",
        strict.stderr
    );
    let lenient = import(ws.path(), &store, &["--max-quarantined", "0.25"]);
    assert_eq!(lenient.code, 8, "{}", said(&lenient));
    assert_eq!(agreements(&store).len(), 8);
    // Everything quarantined fails whatever the limit.
    resend(ws.path(), "all-dates-impossible.csv");
    let all = import(ws.path(), &store, &["--max-quarantined", "1"]);
    assert_eq!(all.code, 4, "{}", said(&all));
    assert_eq!(agreements(&store).len(), 8);
}

#[test]
fn a_declared_column_missing_from_a_file_is_reported_with_the_closest_header() {
    let ws = workspace_from(&trust("vn-agreements"));
    let store = ws.path().join("store");
    resend(ws.path(), "amount-header-vnd-with-d-stroke.csv");
    let report = "data/reports/agreements-2016.csv";
    let expected = "column `amount` 'Giá trị hợp đồng (VND)' not found; closest header: 'Giá trị hợp đồng (VNĐ)'";

    // `ttkg check FILE` says so without importing.
    let check = ttkg(
        ws.path(),
        &["check", ws.path().join(report).to_str().unwrap()],
    );
    assert_eq!(check.code, 8, "{}", said(&check));
    assert!(check.stdout.contains(expected), "{}", check.stdout);
    assert!(!store.exists(), "check imports nothing");

    // The import loads the file, warns, and exits 8 so a scheduler notices.
    let run = import(ws.path(), &store, &["--log-format", "json"]);
    assert_eq!(run.code, 8, "{}", said(&run));
    let warning = run
        .stderr
        .lines()
        .find(|l| l.contains("\"event\":\"warning\""))
        .unwrap_or_else(|| panic!("a warning event in {}", run.stderr));
    assert!(warning.contains(expected), "{warning}");
    let file_event = run
        .stderr
        .lines()
        .find(|l| l.contains("\"event\":\"file\""))
        .unwrap();
    assert!(file_event.contains(expected), "{file_event}");
    let kg = KnowledgeStore::open(&store).unwrap();
    let recorded = value(
        &kg,
        "SELECT ?w WHERE { GRAPH <https://w3id.org/ttkg/graph/runs> { ?c ttkg:warning ?w } }",
    );
    assert!(recorded.contains(expected), "the run history: {recorded}");
    drop(kg);

    // With on_missing = "fail", the file fails and nothing changes.
    edit_pipeline(ws.path(), |text| {
        text.replace(
            "format = \"csv\"",
            "format = \"csv\"\non_missing = \"fail\"",
        )
    });
    let strict = import(ws.path(), &store, &[]);
    assert_eq!(strict.code, 4, "{}", said(&strict));
    assert!(
        strict.stderr.contains(expected) && strict.stderr.contains("on_missing = \"fail\""),
        "{}",
        strict.stderr
    );
}

#[test]
fn a_missing_date_column_is_named_as_the_cause_not_the_exchange_rate() {
    let (_ws, store, run) = import_variant("date-header-renamed.csv");
    assert_eq!(run.code, 4, "every amount needs the date: {}", said(&run));
    assert!(
        run.stderr
            .contains("column `signed` 'Ngày ký' not found; closest header: 'Ngày ký hợp đồng'"),
        "{}",
        run.stderr
    );
    let quarantine = report_file(&store, "quarantine-");
    assert!(
        quarantine
            .contains("needs the year of `signed` ('Ngày ký'), a column this file does not have"),
        "{quarantine}"
    );
    assert!(
        !quarantine.contains("exchange-rates.csv"),
        "no advice to edit a rate table that is right: {quarantine}"
    );
    // A row with a bad date reports the date, not the rate as well.
    let (_ws, store, _) = import_variant("two-dates-impossible.csv");
    let quarantine = report_file(&store, "quarantine-");
    let lines: Vec<&str> = quarantine.lines().skip(1).collect();
    assert_eq!(lines.len(), 2, "one cause per bad row: {quarantine}");
    assert!(lines.iter().all(|l| l.contains(",date,")), "{quarantine}");
}

#[test]
fn amounts_scaled_by_multipliers_are_exact_decimals() {
    let ws = workspace_from(&trust("amounts-in-wan"));
    let store = ws.path().join("store");
    let run = import(ws.path(), &store, &[]);
    assert_eq!(run.code, 8, "{}", said(&run));
    let kg = KnowledgeStore::open(&store).unwrap();
    let amounts = select(
        &kg,
        "SELECT ?n (STR(?v) AS ?value) (STR(?c) AS ?cny) (DATATYPE(?v) AS ?type) WHERE {
           ?a ttkg:agreementNumber ?n ; ttkg:amount ?m . ?m schema:value ?v ; ttkg:valueCny ?c } ORDER BY ?n",
    );
    let decimal = "http://www.w3.org/2001/XMLSchema#decimal";
    let expected: Vec<Vec<String>> = [
        ("W-01", "788200"),
        ("W-02", "409100"),
        ("W-03", "12345700"),
        ("W-04", "700"),
        ("W-07", "999999999"),
    ]
    .iter()
    .map(|(n, v)| {
        vec![
            n.to_string(),
            v.to_string(),
            v.to_string(),
            decimal.to_string(),
        ]
    })
    .collect();
    assert_eq!(
        amounts, expected,
        "78.82 万元 is 788200 exactly, not 788199.9999999999"
    );
    let sum = value(
        &kg,
        "SELECT (SUM(?c) AS ?s) WHERE { ?m a ttkg:MonetaryAmount ; ttkg:valueCny ?c }",
    );
    assert_eq!(sum, "1013543699");
    drop(kg);

    let quarantine = report_file(&store, "quarantine-");
    let line = |number: &str| {
        quarantine
            .lines()
            .find(|l| l.contains(number))
            .unwrap_or_else(|| panic!("{number} in {quarantine}"))
            .to_owned()
    };
    let comma = line("16,32");
    assert!(
        comma.contains("number_style = \"\"comma\"\"")
            || comma.contains("number_style = \"comma\""),
        "the message says what to set: {comma}"
    );
    assert!(line("3.123456789012").contains("more than 10 decimal places"));

    // Exports carry the same figures.
    common::copy_dir(&common::root().join("queries"), &ws.path().join("queries"));
    let out = ws.path().join("export");
    let export = ttkg(
        ws.path(),
        &[
            "export",
            "agreements",
            "--format",
            "csv",
            "--store",
            store.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(export.code, 0, "{}", said(&export));
    let csv = std::fs::read_to_string(out.join("agreements.csv")).unwrap();
    assert!(
        csv.contains("788200") && !csv.contains("788199.99"),
        "{csv}"
    );
    assert!(
        csv.contains("409100") && !csv.contains("409099.99"),
        "{csv}"
    );
}

#[test]
fn two_pipelines_minting_the_same_agreement_conflict_instead_of_merging() {
    let ws = workspace_from(&trust("same-iri"));
    let store = ws.path().join("store");
    let run = import(ws.path(), &store, &[]);
    assert_eq!(run.code, 4, "{}", said(&run));
    assert!(
        run.stderr.contains("3 of 4 rows quarantined"),
        "{}",
        run.stderr
    );
    let kg = KnowledgeStore::open(&store).unwrap();
    let amounts = select(
        &kg,
        "SELECT ?a (COUNT(?v) AS ?values) (SAMPLE(?c) AS ?currency) WHERE {
           ?a a ttkg:Agreement ; ttkg:amount/schema:value ?v ; ttkg:amount/schema:currency ?c } GROUP BY ?a ORDER BY ?a",
    );
    assert_eq!(amounts.len(), 3, "{amounts:?}");
    assert!(
        amounts.iter().all(|r| r[1] == "1" && r[2] == "USD"),
        "one amount each, the Lao report's: {amounts:?}"
    );
    drop(kg);
    let quarantine = report_file(&store, "quarantine-");
    let conflict = quarantine
        .lines()
        .find(|l| {
            l.contains("thai-agreements-2016.csv")
                && l.contains("schema:value")
                && l.contains("id:agreement/2")
        })
        .unwrap_or_else(|| panic!("{quarantine}"));
    assert!(
        conflict.contains(",conflict,")
            && conflict
                .contains("the ttkg:amount of id:agreement/2 already has schema:value 12500")
            && conflict.contains("reports/lao-agreements-2016.csv, row 3")
            && conflict.contains("12500")
            && conflict.contains("850000"),
        "names the other file, its row and both values: {conflict}"
    );
    // Accepting the loss loads the one agreement that does not conflict.
    let run = import(ws.path(), &store, &["--max-quarantined", "0.8"]);
    assert_eq!(run.code, 8, "{}", said(&run));
    let kg = KnowledgeStore::open(&store).unwrap();
    assert_eq!(
        value(
            &kg,
            "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a ttkg:Agreement }"
        ),
        "4"
    );
    assert_eq!(
        value(&kg, "SELECT (COUNT(?v) AS ?n) WHERE { <https://w3id.org/ttkg/id/agreement/1> ttkg:amount/schema:value ?v }"),
        "1"
    );
}

#[test]
fn duplicate_rows_are_loaded_once_and_listed() {
    let ws = workspace_from(&trust("duplicate-rows"));
    let store = ws.path().join("store");
    let run = import(ws.path(), &store, &[]);
    assert_eq!(run.code, 8, "{}", said(&run));
    assert!(
        run.stdout
            .contains("15 rows read, 10 loaded, 1 quarantined, 1 skipped, 3 duplicates"),
        "every row accounted for: {}",
        run.stdout
    );
    let kg = KnowledgeStore::open(&store).unwrap();
    assert_eq!(
        value(
            &kg,
            "SELECT (COUNT(?m) AS ?n) WHERE { ?m a ttkg:NetworkMembership }"
        ),
        "10"
    );
    assert_eq!(
        value(
            &kg,
            "SELECT ?d WHERE { <https://w3id.org/ttkg/id/membership/越南科技部> ttkg:joinedOn ?d }"
        ),
        "2014-09",
        "the first date stays; the conflicting row is quarantined"
    );
    drop(kg);
    let skipped = report_file(&store, "skipped-");
    for (row, first) in [(7, 3), (9, 5), (12, 2)] {
        assert!(
            skipped
                .lines()
                .any(|l| l.contains(&format!(",{row},duplicate,"))
                    && l.ends_with(&format!(",{first},members"))),
            "row {row} listed as a duplicate of row {first}: {skipped}"
        );
    }
    assert!(skipped.contains(",16,skip,totals row,"), "{skipped}");
    let quarantine = report_file(&store, "quarantine-");
    assert!(
        quarantine.contains(",15,")
            && quarantine.contains(",conflict,")
            && quarantine.contains("reports/members.csv, row 5"),
        "{quarantine}"
    );
    let names = report_file(&store, "names-");
    assert!(
        names.contains("  广西科学院 ") && names.contains("stray spaces removed"),
        "{names}"
    );
    assert!(names.contains("马来西亚博特拉大学  "), "{names}");
    assert!(
        run.stdout.contains("skipped-"),
        "the summary points to the list: {}",
        run.stdout
    );
}

/// A workbook whose amount and currency sit under a parent merged over both.
fn merged_parent_workbook(path: &Path) {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let plain = Format::new();
    sheet.merge_range(0, 0, 1, 0, "协议编号", &plain).unwrap();
    sheet.merge_range(0, 1, 1, 1, "外方单位", &plain).unwrap();
    sheet.merge_range(0, 2, 0, 3, "协议金额", &plain).unwrap();
    sheet.merge_range(0, 4, 1, 4, "签约日期", &plain).unwrap();
    sheet.write_string(1, 2, "金额").unwrap();
    sheet.write_string(1, 3, "币种").unwrap();
    let rows = [
        ("K-01", "柬埔寨皇家农业大学", 120_000.0, "USD", "2016-03-01"),
        ("K-02", "柬埔寨工业部", 35_000.0, "USD", "2016-05-12"),
        ("K-03", "金边皇家大学", 500_000.0, "CNY", "2016-06-16"),
    ];
    for (i, (number, partner, amount, currency, date)) in rows.iter().enumerate() {
        let r = 2 + i as u32;
        sheet.write_string(r, 0, *number).unwrap();
        sheet.write_string(r, 1, *partner).unwrap();
        sheet.write_number(r, 2, *amount).unwrap();
        sheet.write_string(r, 3, *currency).unwrap();
        sheet.write_string(r, 4, *date).unwrap();
    }
    workbook.save(path).unwrap();
}

#[test]
fn a_merged_parent_named_alone_is_refused_at_check_and_import() {
    let ws = workspace_from(&trust("merged-parent"));
    let store = ws.path().join("store");
    let report = ws.path().join("data/reports/cambodia-agreements.xlsx");
    std::fs::create_dir_all(report.parent().unwrap()).unwrap();
    merged_parent_workbook(&report);
    let expected = "'协议金额' spans 2 columns: write '协议金额/金额' or '协议金额/币种'";
    let check = ttkg(ws.path(), &["check", report.to_str().unwrap()]);
    assert_eq!(check.code, 4, "{}", said(&check));
    assert!(check.stdout.contains(expected), "{}", check.stdout);
    let run = import(ws.path(), &store, &[]);
    assert_eq!(run.code, 4, "{}", said(&run));
    assert!(run.stderr.contains(expected), "{}", run.stderr);
    assert!(
        !report_exists(&store, "quarantine-"),
        "the second header row is never read as data"
    );
    // Named as the message says, the file loads.
    edit_pipeline(ws.path(), |text| {
        text.replace("headers = [\"协议金额\"]", "headers = [\"协议金额/金额\"]")
            .replace("headers = [\"币种\"]", "headers = [\"协议金额/币种\"]")
    });
    let run = import(ws.path(), &store, &[]);
    assert_eq!(run.code, 0, "{}", said(&run));
    let kg = KnowledgeStore::open(&store).unwrap();
    assert_eq!(
        select(&kg, "SELECT ?n ?c WHERE { ?a ttkg:agreementNumber ?n ; ttkg:amount/schema:currency ?c } ORDER BY ?n"),
        vec![
            vec!["K-01".to_owned(), "USD".to_owned()],
            vec!["K-02".to_owned(), "USD".to_owned()],
            vec!["K-03".to_owned(), "CNY".to_owned()]
        ]
    );
}

fn report_exists(store: &Path, prefix: &str) -> bool {
    std::fs::read_dir(store.with_extension("quarantine"))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().starts_with(prefix))
        })
        .unwrap_or(false)
}

#[test]
fn a_ragged_csv_row_is_quarantined_alone_with_its_line() {
    let (_ws, store, run) = import_variant("unquoted-comma.csv");
    assert_eq!(run.code, 8, "{}", said(&run));
    assert!(
        run.stdout
            .contains("11 rows read, 8 loaded, 2 quarantined, 1 skipped"),
        "{}",
        run.stdout
    );
    let quarantine = report_file(&store, "quarantine-");
    assert!(
        quarantine.contains("line 6 has 8 fields, the header 7: a value with an unquoted comma?"),
        "{quarantine}"
    );
    assert!(
        quarantine.contains("line 9 has 6 fields, the header 7"),
        "{quarantine}"
    );
    assert!(
        !quarantine.contains("truncate_ragged_lines"),
        "{quarantine}"
    );
    let kg = KnowledgeStore::open(&store).unwrap();
    // The quoted value with a comma and a line break loads, from line 11.
    assert_eq!(
        select(
            &kg,
            "SELECT ?name ?row WHERE { ?a ttkg:agreementNumber \"VN-T/10\" ; ttkg:transferee/skos:prefLabel ?name ; prov:wasDerivedFrom/ttkg:rowNumber ?row }"
        ),
        vec![vec!["Công ty TNHH Nông sản, Lào Cai Chi nhánh 2".to_owned(), "11".to_owned()]]
    );
}

#[test]
fn a_time_of_day_is_kept_or_refused_never_cut() {
    let (ws, store, run) = import_variant("date-with-time.csv");
    assert_eq!(run.code, 8, "{}", said(&run));
    let quarantine = report_file(&store, "quarantine-");
    assert!(
        quarantine.contains(
            "16/06/2016 10:30 has a time of day (10:30:00) that this date column would drop"
        ),
        "{quarantine}"
    );
    assert!(
        quarantine.contains("2016-07-28T14:05:00 has a time of day (14:05:00)"),
        "{quarantine}"
    );
    let dates = agreements(&store);
    assert!(
        dates.contains(&vec!["VN-T/06".to_owned(), "2016-08-03".to_owned()]),
        "midnight is a date: {dates:?}"
    );
    // As a datetime column, the times are kept.
    edit_pipeline(ws.path(), |text| {
        text.replace("type = \"date\"", "type = \"datetime\"")
    });
    let run = import(ws.path(), &store, &[]);
    assert_eq!(run.code, 0, "{}", said(&run));
    let dates = agreements(&store);
    assert!(
        dates.contains(&vec![
            "VN-T/04".to_owned(),
            "2016-06-16T10:30:00".to_owned()
        ]),
        "{dates:?}"
    );
    assert!(
        dates.contains(&vec![
            "VN-T/05".to_owned(),
            "2016-07-28T14:05:00".to_owned()
        ]),
        "{dates:?}"
    );
    assert!(
        dates.contains(&vec!["VN-T/01".to_owned(), "2016-02-18".to_owned()]),
        "{dates:?}"
    );
}

#[test]
fn values_not_in_the_language_their_tag_says_are_loaded_with_a_warning() {
    // The pipeline labels technology names "vi"; this sender wrote them in
    // English. They load (the names are right), but not without a word.
    let (_ws, store, run) = import_variant("technology-names-in-english.csv");
    assert_eq!(run.code, 8, "{}", said(&run));
    assert!(
        said(&run).contains("reports/agreements-2016.csv: column 'Tên công nghệ': pipeline agreements labels its values in \"vi\" (skos:prefLabel), but 10 of the 10 values read have no Vietnamese letters; they load with that tag. If the sender now writes them in another language, change `lang` of skos:prefLabel in "),
        "{}",
        said(&run)
    );
    let store = KnowledgeStore::open(&store).unwrap();
    assert_eq!(
        value(
            &store,
            "SELECT (COUNT(*) AS ?n) WHERE { ?t a ttkg:Technology ; skos:prefLabel ?l . FILTER(LANG(?l) = \"vi\") }"
        ),
        "10"
    );

    // The report as it was, its names in Vietnamese: no such warning.
    let ws = workspace_from(&trust("vn-agreements"));
    let run = import(ws.path(), &ws.path().join("store"), &[]);
    assert_eq!(run.code, 0, "{}", said(&run));
    assert!(
        !said(&run).contains("labels its values in"),
        "{}",
        said(&run)
    );
}

//! How the import behaves: quarantine of bad values, atomic per-source
//! loading, idempotent re-imports, and refusal of invalid pipelines.

use crate::common;

use std::path::{Path, PathBuf};

use common::{fixture, import, select, value, workspace_from};
use ttkg_graph::KnowledgeStore;

#[test]
fn bad_values_are_quarantined_with_file_row_column_and_reason() {
    let ws = workspace_from(&fixture("quarantine"));
    let store = ws.path().join("store");
    let run = import(ws.path(), &store, &[]);
    assert_eq!(
        run.code, 8,
        "quarantined rows give exit code 8: {}\n{}",
        run.stdout, run.stderr
    );
    assert!(run.stdout.contains("2 loaded"), "{}", run.stdout);
    assert!(run.stdout.contains("6 quarantined"), "{}", run.stdout);

    let quarantine_dir = store.with_extension("quarantine");
    let csv_path = std::fs::read_dir(&quarantine_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.extension().is_some_and(|x| x == "csv") && p.to_string_lossy().contains("quarantine-")
        })
        .expect("a quarantine CSV");
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(
        csv.starts_with('\u{FEFF}'),
        "BOM so that Excel reads Chinese"
    );
    let lines: Vec<&str> = csv.lines().skip(1).collect();
    let find = |row: &str| {
        lines
            .iter()
            .find(|l| l.contains(&format!(",{row},")))
            .unwrap_or_else(|| panic!("row {row} in\n{csv}"))
    };
    let impossible_date = find("3");
    assert!(
        impossible_date.contains("签约日期")
            && impossible_date.contains("2016-02-30")
            && impossible_date.contains("date 2016-02-30 does not exist"),
        "{impossible_date}"
    );
    let unknown_country = find("4");
    assert!(unknown_country.contains("合作国家"), "{unknown_country}");
    assert!(
        unknown_country.contains("亚特兰蒂斯")
            && unknown_country.contains("not a known country")
            && unknown_country.contains("countries.ttl"),
        "{unknown_country}"
    );
    let negative = find("5");
    assert!(
        negative.contains("'-20") && negative.contains("negative amount"),
        "{negative}"
    );
    let missing = find("6");
    assert!(
        missing.contains("协议编号") && missing.contains("required"),
        "{missing}"
    );
    assert!(quarantine_dir.read_dir().unwrap().any(|e| e
        .unwrap()
        .path()
        .extension()
        .is_some_and(|x| x == "xlsx")));

    let store = KnowledgeStore::open(&store).unwrap();
    let loaded = select(&store, "SELECT ?n ?cny ?d WHERE { ?a ttkg:agreementNumber ?n ; ttkg:amount/ttkg:valueCny ?cny ; ttkg:signingDate ?d } ORDER BY ?n");
    assert_eq!(
        loaded,
        vec![
            vec![
                "Q-001".to_owned(),
                "12005000".to_owned(),
                "2016-06-16".to_owned()
            ],
            vec![
                "Q-006".to_owned(),
                "450000".to_owned(),
                "2016-09-01".to_owned()
            ],
        ],
        "full-width ４５ and 2016/9/1 are normalised; bad rows are absent"
    );
    assert_eq!(
        value(
            &store,
            "SELECT (COUNT(*) AS ?n) WHERE { ?o skos:prefLabel \"Atlantis Trading\" }"
        ),
        "0",
        "a quarantined row loads nothing"
    );
}

fn graph_dump(store: &KnowledgeStore, graph_filter: &str) -> Vec<String> {
    let mut quads: Vec<String> = store
        .store()
        .iter()
        .map(|q| q.unwrap().to_string())
        .filter(|q| {
            q.contains(graph_filter) && !q.contains("/graph/runs>") && !q.contains("/id/run/")
        })
        .collect();
    quads.sort();
    quads
}

#[test]
fn importing_twice_gives_the_same_store() {
    // The shared demo import is the first import of these files.
    let (ws, store_path) = common::scratch_workspace_with_demo_store();
    let first = graph_dump(&KnowledgeStore::open(&store_path).unwrap(), "");
    let again = import(ws.path(), &store_path, &[]);
    assert!(again.stdout.contains("unchanged"), "{}", again.stdout);
    let forced = import(ws.path(), &store_path, &["--force"]);
    assert_eq!(forced.code, 0);
    assert!(
        forced.stdout.contains("0 triples added, 0 removed"),
        "{}",
        forced.stdout
    );
    let second = graph_dump(&KnowledgeStore::open(&store_path).unwrap(), "");
    assert_eq!(first.len(), second.len());
    assert!(first == second, "same quads after a forced re-import");
    // The smallest memory budget reads one file at a time and gives the
    // bulk loader small batches: the same store.
    let small = ws.path().join("small");
    let run = import(ws.path(), &small, &["--memory", "64M"]);
    assert_eq!(run.code, 8, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("--memory 64M leaves less than the 64 MiB an import works within")
            && run.stderr.contains("so the process will go past 64M"),
        "a budget below what the program holds is warned of: {}",
        run.stderr
    );
    let third = graph_dump(&KnowledgeStore::open(&small).unwrap(), "");
    assert!(first == third, "same quads with --memory 64M");
    let refused = import(ws.path(), &small, &["--memory", "8M"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("64M"), "{}", refused.stderr);
}

/// Writes `rows` agreements in the demo's Vietnamese layout, numbered
/// `VN-<tag>/<n>`, to `reports/vietnam-agreements-<tag>.csv` under `ws`.
fn vietnamese_agreements(ws: &Path, tag: &str, rows: usize) {
    let demo =
        std::fs::read_to_string(ws.join("data/reports/vietnam-agreements-2016.csv")).unwrap();
    let mut lines = demo.lines();
    let mut text = format!("{}\n", lines.next().unwrap());
    let body: Vec<&str> = lines.collect();
    for n in 0..rows {
        let fields: Vec<&str> = body[n % body.len()].split(',').collect();
        text.push_str(&format!(
            "{},VN-{tag}/{n},{}\n",
            n + 1,
            fields[2..].join(",")
        ));
    }
    std::fs::write(
        ws.join(format!("data/reports/vietnam-agreements-{tag}.csv")),
        text,
    )
    .unwrap();
}

/// The counts of `file`'s line in an import's summary: rows read, loaded,
/// quarantined, skipped, duplicates.
fn file_counts(summary: &str, file: &str) -> Vec<u64> {
    let line = summary
        .lines()
        .find(|l| l.contains(file) && l.contains("reports/"))
        .unwrap_or_else(|| panic!("no line for {file}: {summary}"));
    line.split_whitespace()
        .filter_map(|w| w.parse().ok())
        .take(5)
        .collect()
}

#[test]
fn a_dry_run_finds_the_conflicts_between_its_files_that_an_import_finds() {
    // A dry run publishes nothing, so a later file's conflict with an
    // earlier one of the run is in no store to be found: it said such a
    // file would load whole, and the import then quarantined the row.
    let ws = common::scratch_workspace();
    let store = ws.path().join("store");
    let conflicting = |earlier: &str, later: &str| {
        vietnamese_agreements(ws.path(), earlier, 3);
        vietnamese_agreements(ws.path(), later, 3);
        // Another amount: an agreement has one.
        restate_agreement(
            ws.path(),
            later,
            &format!("VN-{earlier}/1"),
            "9.999.000.000",
        );
        [earlier, later].map(|tag| report_path(ws.path(), tag))
    };
    // On an empty store, and then on one that holds sources.
    for (earlier, later) in [("b", "c"), ("d", "e")] {
        let files = conflicting(earlier, later);
        let files = files.each_ref().map(String::as_str);
        let dry = import(ws.path(), &store, &[&["--dry-run"][..], &files].concat());
        let real = import(ws.path(), &store, &files);
        assert_eq!(real.code, 8, "{}{}", real.stdout, real.stderr);
        let name = format!("vietnam-agreements-{later}.csv");
        assert_eq!(
            file_counts(&real.stdout, &name),
            [3, 2, 1, 0, 0],
            "{}",
            real.stdout
        );
        assert_eq!(
            file_counts(&dry.stdout, &name),
            file_counts(&real.stdout, &name),
            "the dry run of {later} says what the import did: {}",
            dry.stdout
        );
        assert_eq!(dry.code, 8, "{}{}", dry.stdout, dry.stderr);
        // It writes no quarantine file: it names the row.
        let listed = format!("{name} (pipeline vietnam-agreements), rows an import would quarantine:\n  quarantined: column ");
        assert!(dry.stdout.contains(&listed), "{}", dry.stdout);
        assert!(dry.stdout.contains(", row 3: "), "{}", dry.stdout);
    }
}

/// The path of the report `vietnamese_agreements` wrote for `tag`.
fn report_path(ws: &Path, tag: &str) -> String {
    let path = ws.join(format!("data/reports/vietnam-agreements-{tag}.csv"));
    path.to_string_lossy().into_owned()
}

/// Gives the second data row of report `tag` the agreement number
/// `agreement` and the amount `amount`.
fn restate_agreement(ws: &Path, tag: &str, agreement: &str, amount: &str) {
    let path = report_path(ws, tag);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut fields: Vec<&str> = lines[2].split(',').collect();
    fields[1] = agreement;
    fields[7] = amount;
    lines[2] = fields.join(",");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn a_dry_run_does_not_find_conflicts_with_what_its_files_replace() {
    // The store holds the previous version of a changed file: an import
    // replaces it before it checks the files after, so a later file that
    // agrees with the new version conflicts with nothing; the dry run
    // checked it against the old version and said it would quarantine it.
    let ws = common::scratch_workspace();
    let store = ws.path().join("store");
    vietnamese_agreements(ws.path(), "f", 3);
    let first = import(ws.path(), &store, &[&report_path(ws.path(), "f")]);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    restate_agreement(ws.path(), "f", "VN-f/1", "9.999.000.000");
    vietnamese_agreements(ws.path(), "g", 3);
    restate_agreement(ws.path(), "g", "VN-f/1", "9.999.000.000");
    let files = ["f", "g"].map(|tag| report_path(ws.path(), tag));
    let files = files.each_ref().map(String::as_str);
    let dry = import(ws.path(), &store, &[&["--dry-run"][..], &files].concat());
    let real = import(ws.path(), &store, &files);
    for run in [&dry, &real] {
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        let counts = file_counts(&run.stdout, "vietnam-agreements-g.csv");
        assert_eq!(counts, [3, 3, 0, 0, 0], "{}", run.stdout);
    }
    // A third file with another amount conflicts with the new one,
    // in the dry run as in the import.
    vietnamese_agreements(ws.path(), "h", 3);
    restate_agreement(ws.path(), "h", "VN-f/1", "12.345.000.000");
    let file = report_path(ws.path(), "h");
    let dry = import(ws.path(), &store, &["--dry-run", &file]);
    let real = import(ws.path(), &store, &[&file]);
    for run in [&dry, &real] {
        assert_eq!(run.code, 8, "{}{}", run.stdout, run.stderr);
        let counts = file_counts(&run.stdout, "vietnam-agreements-h.csv");
        assert_eq!(counts, [3, 2, 1, 0, 0], "{}", run.stdout);
    }
}

#[test]
fn a_large_report_read_while_the_one_before_finishes_loading_gives_the_same_store() {
    // Two reports too large to read while the other loads within half of a
    // 64M budget: the second is read once the first is handed to the bulk
    // loader, while the loader writes the last of it (one after the other
    // before, so that the parts of the time added up to the whole).
    let ws = common::scratch_workspace();
    vietnamese_agreements(ws.path(), "large1", 3_000);
    vietnamese_agreements(ws.path(), "large2", 3_000);
    let files = ["large1", "large2"].map(|tag| {
        let path = format!("data/reports/vietnam-agreements-{tag}.csv");
        ws.path().join(path).to_string_lossy().into_owned()
    });
    let files = files.each_ref().map(String::as_str);
    let (tight, roomy) = (ws.path().join("tight"), ws.path().join("roomy"));
    let run = import(
        ws.path(),
        &tight,
        &[&["--memory", "64M"][..], &files].concat(),
    );
    // Finished, with the warning that 64M is less than the program holds.
    assert_eq!(run.code, 8, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("6000 rows read, 6000 loaded")
            && run.stdout.contains("(reading and loading partly at once)"),
        "{}",
        run.stdout
    );
    let run = import(ws.path(), &roomy, &files);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let tight = graph_dump(&KnowledgeStore::open(&tight).unwrap(), "/graph/vietnam");
    let roomy = graph_dump(&KnowledgeStore::open(&roomy).unwrap(), "/graph/vietnam");
    assert!(tight.len() > 120_000, "{}", tight.len());
    assert!(tight == roomy, "the same quads with --memory 64M");
}

#[test]
fn a_report_larger_than_a_batch_gives_what_it_gives_whole() {
    // 10,000 rows under a 64M budget are normalised and mapped 4,681 at a
    // time. Row 9502 gives the number of row 202 with another partner (both
    // quarantined, each naming the other), and the last row repeats row 102
    // (loaded once, listed as a duplicate): each pair in different batches.
    let ws = common::scratch_workspace();
    vietnamese_agreements(ws.path(), "batches", 10_000);
    let path = ws
        .path()
        .join("data/reports/vietnam-agreements-batches.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // lines[n] is row n + 1; the number of row 202 is VN-batches/200.
    let mut fields: Vec<&str> = lines[9501].split(',').collect();
    fields[1] = "VN-batches/200";
    fields[4] = "Công ty Khác";
    lines[9501] = fields.join(",");
    lines.push(lines[101].clone());
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let file = path.to_string_lossy().into_owned();
    let (tight, roomy) = (ws.path().join("tight"), ws.path().join("roomy"));
    let batched = import(ws.path(), &tight, &["--memory", "64M", &file]);
    let whole = import(ws.path(), &roomy, &[&file]);
    assert_eq!(batched.code, 8, "{}{}", batched.stdout, batched.stderr);
    let counts = |out: &str| {
        out.lines()
            .find(|l| l.contains("rows read"))
            .map(str::to_owned)
    };
    assert_eq!(counts(&batched.stdout), counts(&whole.stdout));
    assert!(
        batched
            .stdout
            .contains("10001 rows read, 9998 loaded, 2 quarantined, 0 skipped, 1 duplicates"),
        "{}",
        batched.stdout
    );
    let quarantine = |store: &Path| {
        let mut files: Vec<PathBuf> = std::fs::read_dir(store.with_extension("quarantine"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "csv"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect::<Vec<_>>()
    };
    let listed = quarantine(&tight);
    assert_eq!(listed, quarantine(&roomy));
    let all = listed.concat();
    assert!(
        all.contains("also in row 9502") && all.contains("also in row 202"),
        "{all}"
    );
    assert!(all.contains("the same facts as row 102"), "{all}");
    let tight = graph_dump(&KnowledgeStore::open(&tight).unwrap(), "/graph/vietnam");
    let roomy = graph_dump(&KnowledgeStore::open(&roomy).unwrap(), "/graph/vietnam");
    assert!(tight.len() > 200_000, "{}", tight.len());
    assert!(tight == roomy, "the same quads with --memory 64M");
}

#[test]
fn a_report_too_large_for_the_memory_budget_fails_alone_and_says_what_budget_it_needs() {
    // A file is checked and loaded whole, so its mapped facts are held
    // until the loader has them: past two thirds of --memory, the file
    // fails, its previous version stays, and the message names a budget
    // that is enough, which is then tried.
    let ws = common::scratch_workspace();
    vietnamese_agreements(ws.path(), "grows", 200);
    let store = ws.path().join("store");
    let agreements = |store: &Path| {
        let store = KnowledgeStore::open(store).unwrap();
        value(
            &store,
            "SELECT (COUNT(?a) AS ?n) WHERE { GRAPH ?g { ?a a ttkg:Agreement } FILTER(CONTAINS(STR(?g), 'grows')) }",
        )
    };
    let file = ws
        .path()
        .join("data/reports/vietnam-agreements-grows.csv")
        .to_string_lossy()
        .into_owned();
    let run = import(ws.path(), &store, &["--memory", "64M", &file]);
    assert_eq!(run.code, 8, "{}{}", run.stdout, run.stderr);
    assert_eq!(agreements(&store), "200");

    vietnamese_agreements(ws.path(), "grows", 60_000);
    let run = import(ws.path(), &store, &["--memory", "64M", &file]);
    assert_eq!(run.code, 4, "{}{}", run.stdout, run.stderr);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(
        said.contains("vietnam-agreements-grows.csv")
            && said.contains("too large for the memory budget")
            && said.contains("of its 60000 rows")
            && said.contains("more than the 42 MiB a file may hold"),
        "{said}"
    );
    assert_eq!(agreements(&store), "200", "the previous version stays");
    let checked = common::ttkg(ws.path(), &["check", "--memory", "64M", &file]);
    assert_eq!(checked.code, 4, "{}{}", checked.stdout, checked.stderr);
    assert!(
        checked.stdout.contains("would FAIL")
            && checked.stdout.contains("too large for the memory budget"),
        "ttkg check says so too: {}",
        checked.stdout
    );

    let needed = said
        .split("Import it with --memory ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a budget to import it with")
        .to_owned();
    let megabytes: u64 = needed.trim_end_matches('M').parse().unwrap();
    assert!((64..=1024).contains(&megabytes), "{needed}");
    let run = import(ws.path(), &store, &["--memory", &needed, &file]);
    assert_eq!(run.code, 0, "{needed}: {}{}", run.stdout, run.stderr);
    assert_eq!(agreements(&store), "60000", "with --memory {needed}");
}

#[test]
fn a_first_import_whose_run_facts_outgrow_their_share_still_finds_conflicts_across_files() {
    // On an empty store, the run's single-valued facts stand in for the
    // store while its files are checked. Under --memory 64M they may take
    // 8 MiB: past that, after the second file, they are dropped, and the
    // third file is checked against the store, where the first one is by
    // then. Its row that gives the first file's agreement another partner
    // is quarantined, naming that file.
    let ws = common::scratch_workspace();
    for tag in ["a", "b", "c"] {
        vietnamese_agreements(ws.path(), tag, 40_000);
    }
    let path = |tag: &str| {
        ws.path()
            .join(format!("data/reports/vietnam-agreements-{tag}.csv"))
    };
    let text = std::fs::read_to_string(path("c")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut fields: Vec<&str> = lines[10].split(',').collect();
    fields[1] = "VN-a/5";
    fields[4] = "Công ty Khác";
    lines[10] = fields.join(",");
    std::fs::write(path("c"), lines.join("\n") + "\n").unwrap();
    let files: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|tag| path(tag).to_string_lossy().into_owned())
        .collect();
    let store = ws.path().join("store");
    let quarantine = ws.path().join("quarantine");
    let mut args = vec![
        "import",
        "--store",
        store.to_str().unwrap(),
        "--quarantine",
        quarantine.to_str().unwrap(),
        "--memory",
        "64M",
    ];
    args.extend(files.iter().map(String::as_str));
    let run = common::ttkg_in(ws.path(), &args, &[("TTKG_LOG", "ttkg_graph=info")]);
    assert_eq!(run.code, 8, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("the run's single-valued facts take more than their share"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("120000 rows read, 119999 loaded, 1 quarantined"),
        "{}",
        run.stdout
    );
    let listed: String = std::fs::read_dir(&quarantine)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(
        listed.contains("vietnam-agreements-c.csv,,11,")
            && listed.contains("vietnam-agreements-a.csv, row 7"),
        "{listed}"
    );
}

#[test]
fn a_workbooks_sheets_waiting_to_be_mapped_count_against_its_budget() {
    // Two sheets of 80,000 agreements each, read with the Guangxi pipeline
    // (sheets `协议*`): while the first is mapped, the second waits, read,
    // and what it holds counts too. Nothing of the file is loaded.
    use rust_xlsxwriter::Workbook;
    let ws = common::scratch_workspace();
    let path = ws
        .path()
        .join("data/reports/guangxi-agreements-sheets.xlsx");
    let mut workbook = Workbook::new();
    for name in ["协议A", "协议B"] {
        let sheet = workbook.add_worksheet().set_name(name).unwrap();
        for (c, header) in ["协议编号", "技术名称", "中方单位", "外方单位", "合作国家"]
            .iter()
            .enumerate()
        {
            sheet.write_string(0, c as u16, *header).unwrap();
        }
        for n in 1..=80_000u32 {
            let row = [
                format!("GX-{name}-{n}"),
                format!("技术{n}"),
                "桂林电子科技大学".to_owned(),
                "Surabaya Mining Services Co., Ltd.".to_owned(),
                "越南".to_owned(),
            ];
            for (c, text) in row.iter().enumerate() {
                sheet.write_string(n, c as u16, text).unwrap();
            }
        }
    }
    workbook.save(&path).unwrap();
    let file = path.to_string_lossy().into_owned();
    let store = ws.path().join("store");
    let run = import(ws.path(), &store, &["--memory", "64M", &file]);
    assert_eq!(run.code, 4, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("sheet '协议A'")
            && run.stderr.contains("of its 160000 rows")
            && run
                .stderr
                .contains("and its sheets read but not yet mapped"),
        "{}",
        run.stderr
    );
    let store = KnowledgeStore::open(&store).unwrap();
    assert_eq!(
        value(
            &store,
            "SELECT (COUNT(?a) AS ?n) WHERE { ?a a ttkg:Agreement }"
        ),
        "0"
    );
}

#[test]
fn a_file_that_fails_leaves_its_previous_data_and_the_others_load() {
    let (ws, store_path) = common::scratch_workspace_with_demo_store();
    let graph = "/graph/guangxi-agreements/";
    let before = graph_dump(&KnowledgeStore::open(&store_path).unwrap(), graph);
    assert!(before.len() > 1000);

    // The sender sends a damaged workbook, and a new version of another report.
    let damaged = ws
        .path()
        .join("data/reports/guangxi-agreements-2014-2016.xlsx");
    let bytes = std::fs::read(&damaged).unwrap();
    std::fs::write(&damaged, &bytes[..bytes.len() / 2]).unwrap();
    let courses = ws
        .path()
        .join("data/reports/training-courses-2013-2016.csv");
    let text = std::fs::read_to_string(&courses)
        .unwrap()
        .replace(",18,", ",19,");
    std::fs::write(&courses, text).unwrap();

    let run = import(ws.path(), &store_path, &[]);
    assert_eq!(
        run.code, 4,
        "exit code 4: some files failed\n{}\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr.contains("guangxi-agreements-2014-2016.xlsx")
            && run.stderr.contains("cannot open it as a xlsx workbook"),
        "{}",
        run.stderr
    );
    let store = KnowledgeStore::open(&store_path).unwrap();
    assert_eq!(
        graph_dump(&store, graph),
        before,
        "the damaged file's previous facts stay, unchanged"
    );
    assert_eq!(
        value(
            &store,
            "SELECT (SUM(?t) AS ?n) WHERE { ?c a ttkg:TrainingCourse ; ttkg:traineeCount ?t }"
        ),
        "164"
    );
    assert_eq!(
        value(
            &store,
            "SELECT (COUNT(?a) AS ?n) WHERE { ?a a ttkg:Agreement }"
        ),
        "393"
    );
}

#[test]
fn an_invalid_pipeline_stops_the_import_with_its_file_and_line() {
    let ws = workspace_from(&fixture("quarantine"));
    std::fs::copy(
        fixture("broken-pipeline/bad.toml"),
        ws.path().join("pipelines/bad.toml"),
    )
    .unwrap();
    let store = ws.path().join("store");
    let run = import(ws.path(), &store, &[]);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(
            "bad.toml:13:9: unknown ontology class <https://w3id.org/ttkg/ontology#Agreemnt>"
        ),
        "{}",
        run.stderr
    );
    assert!(
        !store.exists() || KnowledgeStore::open(&store).unwrap().is_empty().unwrap(),
        "nothing imported"
    );
}

#[test]
fn importing_one_file_or_one_pipeline() {
    let ws = common::scratch_workspace();
    let store_path = ws.path().join("store");
    let file = ws.path().join("data/reports/transfer-events-2014-2016.csv");
    let run = import(ws.path(), &store_path, &[file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("1 file(s)"), "{}", run.stdout);
    let run = import(ws.path(), &store_path, &["demonstration-bases"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = import(ws.path(), &store_path, &["no-such-pipeline"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("there is no pipeline named `no-such-pipeline`"),
        "{}",
        run.stderr
    );
    let store = KnowledgeStore::open(&store_path).unwrap();
    assert_eq!(
        value(&store, "SELECT (COUNT(?e) AS ?n) WHERE { ?e a ttkg:Event }"),
        "22"
    );
    assert_eq!(
        value(
            &store,
            "SELECT (COUNT(?e) AS ?n) WHERE { ?e a ttkg:DemonstrationBase }"
        ),
        "7"
    );
}

#[test]
fn a_report_without_a_required_column_names_the_file_the_column_and_the_pipeline_line() {
    let ws = workspace_from(&fixture("quarantine"));
    let report = ws
        .path()
        .join("data/reports/agreements-with-bad-values.csv");
    let text = std::fs::read_to_string(&report)
        .unwrap()
        .replace("外方单位", "合作单位名称");
    std::fs::write(&report, text).unwrap();
    let run = import(ws.path(), &ws.path().join("store"), &[]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("reports/agreements-with-bad-values.csv: the header (row 1) lacks required columns: partner (one of: 外方单位)"), "{}", run.stderr);
    assert!(
        run.stderr.contains("'合作单位名称'"),
        "lists the headers found: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("`partner` at ") && run.stderr.contains("agreements.toml:14"),
        "{}",
        run.stderr
    );
}

#[test]
fn xlsx_xls_and_ods_workbooks_read_the_same() {
    let ws = workspace_from(&fixture("formats"));
    let store_path = ws.path().join("store");
    let run = import(ws.path(), &store_path, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("3 file(s): 12 rows read, 9 loaded, 0 quarantined, 3 skipped"),
        "{}",
        run.stdout
    );
    let store = KnowledgeStore::open(&store_path).unwrap();
    for format in ["xlsx", "xls", "ods"] {
        let rows = select(
            &store,
            &format!(
                "SELECT ?n ?cny ?d ?c WHERE {{ GRAPH ?g {{ ?a ttkg:agreementNumber ?n ; ttkg:amount/ttkg:valueCny ?cny ;
                   ttkg:signingDate ?d ; ttkg:partnerCountry ?k }}
                   ?k ttkg:isoCode ?c
                   FILTER(STRENDS(STR(?g), \".{format}\")) }} ORDER BY ?n"
            ),
        );
        let expected = [
            ["F-001", "1505000", "2016-06-16", "VN"],
            ["F-002", "800000", "2016-10-25", "LA"],
            ["F-003", "12000000", "2015-07-09", "TH"],
        ];
        assert_eq!(
            rows,
            expected.map(|r| r.map(str::to_owned).to_vec()).to_vec(),
            "{format}"
        );
    }
}

#[test]
fn dump_and_load_round_trip_every_quad() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace_from(&fixture("formats"));
    let first = dir.path().join("first");
    assert_eq!(import(ws.path(), &first, &[]).code, 0);
    let dump = dir.path().join("store.nq");
    let run = common::ttkg(
        ws.path(),
        &[
            "dump",
            "--store",
            first.to_str().unwrap(),
            "--output",
            dump.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let second = dir.path().join("second");
    let run = common::ttkg(
        ws.path(),
        &[
            "load",
            "--store",
            second.to_str().unwrap(),
            dump.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let quads = |path: &Path| {
        let mut all: Vec<String> = KnowledgeStore::open(path)
            .unwrap()
            .store()
            .iter()
            .map(|q| q.unwrap().to_string())
            .collect();
        all.sort();
        all
    };
    let (a, b) = (quads(&first), quads(&second));
    assert!(a.len() > 100);
    assert!(a == b, "the loaded store equals the dumped one");
}

/// `ttkg dump | head`: the reader closing the pipe early is what it asked
/// for, not a failure of the dump: exit 0 and nothing on stderr.
#[test]
fn a_dump_whose_reader_goes_away_stops_quietly() {
    use std::io::Read;
    let (_dir, store) = common::demo_store_copy();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ttkg"))
        .args(["--root", common::root().to_str().unwrap()])
        .args(["dump", "--store", store.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe is closed here, with megabytes of the dump still to come.
    let output = child.wait_with_output().unwrap();
    assert!(
        first.starts_with(b"<"),
        "{}",
        String::from_utf8_lossy(&first)
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

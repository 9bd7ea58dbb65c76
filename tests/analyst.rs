//! The analyst's surface, end to end with the real binary on the demo import:
//! every saved question and its answer, result formats, errors and exit
//! codes, time limits, statistics, and exports read back with polars and
//! calamine.

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{frame_rows, on_demo, root, saved_question_names, ttkg};
use polars::prelude::*;

/// A SELECT's rows through `ttkg query ... --format csv`, read with polars.
fn rows(args: &[&str]) -> Vec<Vec<String>> {
    let mut all = vec!["query", "--format", "csv"];
    all.extend_from_slice(args);
    let run = on_demo(&all);
    assert_eq!(run.code, 0, "ttkg {all:?} failed:\n{}", run.stderr);
    common::csv_rows(run.stdout)
}

fn saved(name: &str, params: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec!["--saved", name];
    for p in params {
        args.extend_from_slice(&["--param", p]);
    }
    rows(&args)
}

fn int(cell: &str) -> i64 {
    cell.parse()
        .unwrap_or_else(|_| panic!("`{cell}` is not an integer"))
}

fn float(cell: &str) -> f64 {
    cell.parse()
        .unwrap_or_else(|_| panic!("`{cell}` is not a number"))
}

/// The one value of an ad-hoc one-cell query.
fn count(sparql: &str) -> i64 {
    let r = rows(&[sparql]);
    assert_eq!(r.len(), 1, "{sparql}: {r:?}");
    int(&r[0][0])
}

#[test]
fn every_saved_question_has_a_test_here() {
    let tested: BTreeSet<&str> = [
        "agreements-by-country",
        "demonstration-area-by-country",
        "events-by-agreements",
        "fact-provenance",
        "headline-figures",
        "last-run",
        "membership-growth",
        "technologies-to-country",
        "top-organisations",
        "trainees-by-country",
        // The report's questions, tested in tests/report.rs.
        "period-agreements",
        "period-bases",
        "period-figures",
        "period-members",
        "period-training",
    ]
    .into();
    let found = saved_question_names(&root());
    assert_eq!(
        found.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        tested,
        "each saved query needs a test of its answer in tests/analyst.rs (or tests/report.rs)"
    );
}

#[test]
fn headline_figures_are_the_articles() {
    let figures = saved("headline-figures", &[]);
    let get = |name: &str| -> f64 {
        let row = figures
            .iter()
            .find(|r| r[0] == name)
            .unwrap_or_else(|| panic!("no figure `{name}` in {figures:?}"));
        float(&row[1])
    };
    assert_eq!(figures.len(), 11, "{figures:?}");
    assert_eq!(get("network members"), 1763.0);
    assert_eq!(get("network members in China"), 1282.0);
    assert_eq!(get("network members in ASEAN countries"), 481.0);
    assert_eq!(get("agreements signed"), 393.0);
    assert!((5.8..=6.0).contains(&get("agreement value (亿元)")));
    assert_eq!(get("demonstration bases"), 7.0);
    assert_eq!(get("demonstration-base area (亩)"), 1300.0);
    assert_eq!(get("training courses"), 10.0);
    assert_eq!(get("trainees"), 163.0);
    assert_eq!(get("transfer events"), 22.0);
    assert_eq!(get("transfer events in ASEAN countries"), 16.0);
}

#[test]
fn agreements_by_country_and_year_add_up_to_all_agreements() {
    let table = saved("agreements-by-country", &[]);
    assert_eq!(table.iter().map(|r| int(&r[3])).sum::<i64>(), 393);
    let total: f64 = table.iter().map(|r| float(&r[4])).sum();
    assert!((5.8e8..=6.0e8).contains(&total), "{total}");
    // The Thai partner's report covers 2015 and 2016 only; Vietnam's, 2016.
    let thai_years: BTreeSet<&str> = table
        .iter()
        .filter(|r| r[1] == "TH")
        .map(|r| r[2].as_str())
        .collect();
    assert!(thai_years
        .iter()
        .all(|y| ["2014", "2015", "2016"].contains(y)));
    let vietnam_2016 = table
        .iter()
        .find(|r| r[1] == "VN" && r[2] == "2016")
        .expect("Vietnam in 2016");
    assert_eq!(vietnam_2016[0], "Vietnam");
    assert!(int(&vietnam_2016[3]) >= 50, "{vietnam_2016:?}");
}

/// An agreement without a reported value, or without a signing date, is
/// still counted for its partner country: the first in its year and in
/// "withoutValue", the second in a row of its own with no year (both used
/// to be left out of the counts without a word).
#[test]
fn an_agreement_without_a_value_or_a_date_counts_for_its_country() {
    let row = |rows: &[Vec<String>], year: &str| {
        rows.iter()
            .find(|r| r[1] == "VN" && r[2] == year)
            .cloned()
            .unwrap_or_else(|| panic!("a row for Vietnam in {year:?}: {rows:?}"))
    };
    let before = saved("agreements-by-country", &[]);
    assert!(before.iter().all(|r| !r[2].is_empty() && r[5] == "0"));
    let (_dir, store) = imported_with_a_vietnamese_report(
        "vietnam-agreements-2016-supplement.csv",
        "1,VN-CN/2016/97,Giống lúa lai năng suất cao,广州工业职业技术学院,Công ty Cổ phần Năng lượng Hải Phòng,Giống cây trồng,Hợp tác đầu tư,,20/06/2016,\n\
         2,VN-CN/2016/96,Giống lúa lai năng suất cao,广州工业职业技术学院,Công ty Cổ phần Năng lượng Hải Phòng,Giống cây trồng,Hợp tác đầu tư,,,",
    );
    let after = saved_on(&store, "agreements-by-country");
    let (was, now) = (row(&before, "2016"), row(&after, "2016"));
    assert_eq!(int(&now[3]), int(&was[3]) + 1, "{now:?}");
    assert_eq!(now[4], was[4], "a missing value adds nothing to the value");
    assert_eq!(now[5], "1", "{now:?}");
    assert_eq!(row(&after, "")[3..], ["1", "0", "1"]);
    // The undated row comes after the country's years.
    let vietnam: Vec<&str> = after
        .iter()
        .filter(|r| r[1] == "VN")
        .map(|r| r[2].as_str())
        .collect();
    assert_eq!(vietnam.last(), Some(&""), "{vietnam:?}");
    assert_eq!(after.len(), before.len() + 1);
}

#[test]
fn top_organisations_are_ranked_by_agreements_counted_in_either_role() {
    let table = saved("top-organisations", &[]);
    assert_eq!(table.len(), 20);
    let counts: Vec<i64> = table.iter().map(|r| int(&r[2])).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    let top = &table[0][0];
    let independent = count(&format!(
        "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{ ?o skos:prefLabel \"{top}\" .
           {{ ?a ttkg:transferor ?o }} UNION {{ ?a ttkg:transferee ?o }} }}"
    ));
    assert_eq!(counts[0], independent, "{top}");
    assert!(counts[0] > 1);
}

#[test]
fn technologies_to_a_country_default_to_vietnam_and_take_a_parameter() {
    for (country, params) in [("VN", vec![]), ("TH", vec!["country=TH"])] {
        let table = saved("technologies-to-country", &params);
        let agreements: i64 = table.iter().map(|r| int(&r[1])).sum();
        let expected = count(&format!(
            "SELECT (COUNT(?a) AS ?n) WHERE {{ ?a a ttkg:Agreement ; ttkg:partnerCountry/ttkg:isoCode \"{country}\" }}"
        ));
        assert!(expected > 0);
        assert_eq!(agreements, expected, "{country}: {table:?}");
        assert!(
            table.iter().all(|r| !r[3].is_empty()),
            "technology names listed"
        );
    }
    let run = on_demo(&[
        "query",
        "--saved",
        "technologies-to-country",
        "--param",
        "colour=red",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("takes country"), "{}", run.stderr);
}

#[test]
fn events_are_ranked_by_the_agreements_signed_there() {
    let table = saved("events-by-agreements", &[]);
    assert_eq!(table.len(), 22);
    let signed: i64 = table.iter().map(|r| int(&r[4])).sum();
    assert_eq!(
        signed,
        count("SELECT (COUNT(?a) AS ?n) WHERE { ?a a ttkg:Agreement ; ttkg:signedAt ?e }")
    );
    assert!(int(&table[0][4]) >= int(&table[21][4]));
    let hanoi = table
        .iter()
        .find(|r| r[2] == "河内" && r[1] == "2016-06-16")
        .expect("the Hanoi matchmaking of 16 June 2016");
    assert!(int(&hanoi[4]) > 0, "{hanoi:?}");
    assert_eq!(hanoi[3], "VN");
}

#[test]
fn membership_grows_to_1763_by_2016() {
    let table = saved("membership-growth", &[]);
    assert_eq!(table.iter().map(|r| int(&r[3])).sum::<i64>(), 1763);
    let years: BTreeSet<&str> = table.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(years, ["2013", "2014", "2015", "2016"].into());
    let totals: Vec<(i64, i64)> = table.iter().map(|r| (int(&r[0]), int(&r[4]))).collect();
    assert!(totals
        .windows(2)
        .all(|w| w[0].0 > w[1].0 || w[0].1 <= w[1].1));
    assert!(totals
        .iter()
        .filter(|(y, _)| *y == 2016)
        .all(|(_, t)| *t == 1763));
    let china_joined: i64 = table
        .iter()
        .filter(|r| r[2] == "CN")
        .map(|r| int(&r[3]))
        .sum();
    assert_eq!(china_joined, 1282);
}

#[test]
fn demonstration_bases_cover_1300_mu_in_four_countries() {
    let table = saved("demonstration-area-by-country", &[]);
    let countries: BTreeSet<&str> = table.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(countries, ["ID", "KH", "LA", "VN"].into());
    assert_eq!(table.iter().map(|r| int(&r[2])).sum::<i64>(), 7);
    assert_eq!(table.iter().map(|r| float(&r[3])).sum::<f64>(), 1300.0);
    let hectares: f64 = table.iter().map(|r| float(&r[4])).sum();
    assert!((hectares - 1300.0 / 15.0).abs() < 1e-6, "{hectares}");
}

#[test]
fn trainees_by_country_with_totals_counted_once() {
    let table = saved("trainees-by-country", &[]);
    let all = table.last().expect("a totals row");
    assert_eq!(all[0], "all countries");
    assert_eq!((int(&all[2]), int(&all[3])), (10, 163));
    let codes: BTreeSet<&str> = table[..table.len() - 1]
        .iter()
        .map(|r| r[1].as_str())
        .collect();
    assert!(codes.contains("LA") && codes.contains("VN"), "{codes:?}");
    assert!(!codes.contains("CN"));
    for row in &table[..table.len() - 1] {
        assert!(int(&row[3]) <= 163, "{row:?}");
    }
}

#[test]
fn a_fact_traces_back_to_its_file_sheet_and_row() {
    let table = saved("fact-provenance", &[]);
    assert!(table.len() >= 8, "{table:?}");
    for row in &table {
        assert_eq!(row[2], "reports/guangxi-agreements-2014-2016.xlsx");
        assert_eq!(row[3], "协议汇总");
        assert_eq!(row[4], "4");
        assert_eq!(row[5].len(), 64, "SHA-256");
        assert_eq!(row[6], "guangxi-agreements");
        assert!(!row[7].is_empty(), "the run that loaded it");
    }
    let property = |name: &str| -> &str {
        &table
            .iter()
            .find(|r| r[0] == name)
            .unwrap_or_else(|| panic!("no {name} in {table:?}"))[1]
    };
    assert_eq!(property("agreementNumber"), "GX-2014-001");
    assert!(
        property("amount").ends_with(" CNY"),
        "{}",
        property("amount")
    );
    assert!(
        !property("transferor").starts_with("http"),
        "labels, not IRIs"
    );

    let vietnamese = rows(&[
        "SELECT ?n WHERE { ?a ttkg:agreementNumber ?n ; ttkg:amount/schema:currency \"VND\" } ORDER BY ?n LIMIT 1",
    ]);
    let number = format!("agreement={}", vietnamese[0][0]);
    let table = saved("fact-provenance", &[&number]);
    assert!(!table.is_empty());
    assert!(table
        .iter()
        .all(|r| r[2] == "reports/vietnam-agreements-2016.csv" && r[3].is_empty()));
}

#[test]
fn the_last_run_loaded_every_demo_report() {
    let table = saved("last-run", &[]);
    assert_eq!(table.len(), 9, "nine (pipeline, file) pairs: {table:?}");
    assert!(table.iter().all(|r| r[2] == "loaded"), "{table:?}");
    let rows: i64 = table.iter().map(|r| int(&r[3])).sum();
    assert_eq!(rows, 2206, "every data row of the demo reports");
    assert!(table
        .iter()
        .all(|r| r[8].starts_with("https://w3id.org/ttkg/id/run/")));
}

#[test]
fn saved_questions_are_listed_with_what_they_answer() {
    let run = on_demo(&["query", "--list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run
        .stdout
        .contains("headline-figures\n    The article's headline figures"));
    assert!(
        run.stdout.contains("--param country=VALUE"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("(default VN)"));
    let run = on_demo(&["query", "--saved", "no-such-question"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("headline-figures"),
        "names the saved queries: {}",
        run.stderr
    );
}

#[test]
fn bad_sparql_gives_the_line_a_caret_and_one_sentence_with_exit_code_2() {
    let run = on_demo(&[
        "query",
        "SELECT ?s\nWHERE {\n  ?s a ttkg:Agreement .\n  FILTER(?s = ) }",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the query cannot be read at line 4, column"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("4 |   FILTER(?s = ) }"),
        "{}",
        run.stderr
    );
    let run = on_demo(&["query", "SELECT ?s WHERE { ?s a nope:Thing }"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("`nope:` is not a known prefix. The predeclared prefixes are ttkg: rdf:"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("PREFIX nope: <http://…>"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("'\\u{"),
        "no Unicode ranges: {}",
        run.stderr
    );
    let run = on_demo(&[
        "query",
        "SELECT ?a ?d WHERE {\n  ?a a ttkg:Agreement\n  ?a ttkg:signingDate ?d .\n}",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("a `.` is missing at the end of line 2"),
        "{}",
        run.stderr
    );
}

/// A class or property the ontology does not define: a warning with the
/// closest names, and an empty answer that says why.
#[test]
fn terms_the_ontology_does_not_define_are_warned_about() {
    let run = on_demo(&[
        "query",
        "--format",
        "csv",
        "SELECT ?m ?d WHERE { ?m a ttkg:Member ; ttkg:joinDate ?d }",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "m,d", "an empty answer");
    assert!(
        run.stderr
            .contains("warning: ttkg:Member is not a class the ontology defines")
            && run.stderr.contains("did you mean ttkg:NetworkMembership"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("warning: ttkg:joinDate is not a property the ontology defines")
            && run.stderr.contains("ttkg:joinedOn"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("note: the answer is empty"),
        "{}",
        run.stderr
    );
    // Defined terms, a selected variable used nowhere.
    let run = on_demo(&[
        "query",
        "--format",
        "csv",
        "SELECT ?nmae WHERE { ?m a ttkg:NetworkMembership ; ttkg:joinedOn ?name } LIMIT 1",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("not a class"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("?nmae is selected but appears nowhere in the WHERE block")
            && run.stderr.contains("did you mean ?name?"),
        "{}",
        run.stderr
    );
}

/// A parameter of a known kind takes any name of its value and refuses
/// one that names nothing, listing what it may be.
#[test]
fn parameters_are_checked_against_the_vocabulary() {
    let thailand = saved("technologies-to-country", &["country=TH"]);
    assert!(!thailand.is_empty());
    for name in ["泰国", "Thailand", "th", "ประเทศไทย", " thailand "] {
        let param = format!("country={name}");
        assert_eq!(
            saved("technologies-to-country", &[&param]),
            thailand,
            "{name}"
        );
    }
    let run = on_demo(&[
        "query",
        "--saved",
        "technologies-to-country",
        "--param",
        "country=Atlantis",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("Atlantis") && run.stderr.contains("TH") && run.stderr.contains("VN"),
        "lists the valid values: {}",
        run.stderr
    );
}

/// The same technology reported in Chinese by one sender and in Vietnamese
/// by another (the alias table says so) is one entity with both labels.
#[test]
fn a_technology_named_in_several_languages_is_one() {
    let labels = rows(&[
        "SELECT ?vi WHERE { ?t skos:prefLabel \"杂交水稻优良品种\"@zh ; skos:prefLabel ?vi FILTER(LANG(?vi) = \"vi\") }",
    ]);
    assert_eq!(labels, [["Giống lúa lai năng suất cao"]]);
    let vietnam = saved("technologies-to-country", &[]);
    for row in &vietnam {
        let names: Vec<&str> = row[3].split("; ").collect();
        assert_eq!(
            names.len() as i64,
            int(&row[2]),
            "one name per technology: {row:?}"
        );
        assert!(!row[3].contains("Giống lúa lai năng suất cao"), "{row:?}");
    }
    assert!(vietnam.iter().any(|r| r[3].contains("杂交水稻优良品种")));
}

/// People read prefixed names; the W3C formats keep whole IRIs.
#[test]
fn tables_show_prefixed_names_and_machine_formats_whole_iris() {
    let sparql = "SELECT ?p WHERE { ?m a ttkg:NetworkMembership ; ?p ?o } GROUP BY ?p ORDER BY ?p";
    let table = on_demo(&["query", "--format", "table", sparql]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(table.stdout.contains("rdf:type"), "{}", table.stdout);
    assert!(table.stdout.contains("ttkg:joinedOn"), "{}", table.stdout);
    assert!(!table.stdout.contains("http://"), "{}", table.stdout);
    let csv = rows(&[sparql]);
    assert!(csv
        .iter()
        .any(|r| r[0] == "https://w3id.org/ttkg/ontology#joinedOn"));
    let stats = on_demo(&["stats"]);
    assert!(
        !stats.stdout.contains("https://w3id.org/ttkg/ontology#"),
        "{}",
        stats.stdout
    );
    assert!(
        !stats.stdout.contains("http://www.w3.org/"),
        "{}",
        stats.stdout
    );
}

#[test]
fn a_query_past_its_timeout_stops_with_exit_code_6() {
    let ten = "{ 1 2 3 4 5 6 7 8 9 10 }";
    let sparql = format!(
        "SELECT (COUNT(*) AS ?n) WHERE {{ {} }}",
        ["?a", "?b", "?c", "?d", "?e", "?f", "?g", "?h", "?i"]
            .map(|v| format!("VALUES {v} {ten}"))
            .join(" ")
    );
    // Joining VALUES tables reads nothing from the store, which is where
    // oxigraph notices cancellation: ttkg stops itself a second later.
    let run = on_demo(&["query", "--timeout", "0.5", &sparql]);
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.contains("time limit"), "{}", run.stderr);
    // A query that keeps reading the store is cancelled where it stands.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("slow.csv");
    let run = on_demo(&[
        "query",
        "--timeout",
        "0.5",
        "--output",
        out.to_str().unwrap(),
        "SELECT ?a WHERE { ?a ?p ?b . ?c ?q ?d . FILTER NOT EXISTS { ?e ?r ?f . FILTER(?f = ?b && ?e = ?c) } }",
    ]);
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "no partial output left"
    );
    let run = on_demo(&["query", "--timeout", "-1", "ASK {}"]);
    assert_eq!(run.code, 2);
}

/// A question that needs more memory than `--max-memory` stops with exit
/// code 10 and what to do, before the machine runs out; the last good
/// answer, export and report stay whole where they were.
#[test]
fn a_question_past_its_memory_budget_stops_with_exit_code_10() {
    // Sorting every pair of triples holds far more than 1 MiB.
    let every_pair = "SELECT ?a ?b WHERE { ?a ?p ?x . ?b ?q ?y } ORDER BY ?a ?b";
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pairs.csv");
    std::fs::write(&out, "the last good answer\n").unwrap();
    let out_arg = out.to_str().unwrap();
    let stopped = |run: &common::Run| {
        assert_eq!(run.code, 10, "{}", run.stderr);
        assert!(
            run.stderr
                .contains("a question needed more than 1 MiB of memory (--max-memory)"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    };
    let timeout = ["--timeout", "120"];
    let query = |args: &[&str]| {
        let mut all = vec!["query", "--max-memory", "1"];
        all.extend_from_slice(&timeout);
        all.extend_from_slice(args);
        on_demo(&all)
    };

    let run = query(&["--output", out_arg, every_pair]);
    stopped(&run);
    assert!(
        run.stderr.contains("no file was left half-written"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "the last good answer\n"
    );
    let printed = query(&[every_pair]);
    stopped(&printed);
    assert!(
        printed
            .stderr
            .contains("any answer it printed is incomplete"),
        "{}",
        printed.stderr
    );

    // The same question within a budget that fits: answered.
    let fits = on_demo(&["query", "--max-memory", "64", "ASK { ?a a ttkg:Agreement }"]);
    assert_eq!(
        (fits.code, fits.stdout.as_str()),
        (0, "true\n"),
        "{}",
        fits.stderr
    );

    let workbook = dir.path().join("ttkg-export.xlsx");
    std::fs::write(&workbook, "the last good export").unwrap();
    let mut export = vec!["export", "--max-memory", "1", "--output"];
    export.push(workbook.to_str().unwrap());
    export.extend_from_slice(&timeout);
    stopped(&on_demo(&export));
    assert_eq!(
        std::fs::read_to_string(&workbook).unwrap(),
        "the last good export"
    );

    // A report whose section asks a question as heavy (the department's
    // own report fits in 1 MiB of the demo store), in a workspace of its own.
    let (ws, store) = common::scratch_workspace_with_demo_store();
    std::fs::write(
        ws.path().join("queries/every-pair.rq"),
        format!(
            "# Every pair of facts, sorted\n# @param period:period=2016 The year or month\n{}",
            every_pair.replace("SELECT ?a", "SELECT ?period ?a")
        ),
    )
    .unwrap();
    std::fs::write(
        ws.path().join("reports/heavy.toml"),
        "title = { zh = \"内存\", en = \"Memory\" }\n[[section]]\nquestion = \"every-pair\"\n",
    )
    .unwrap();
    let reports = dir.path().join("reports");
    let mut report = vec!["--store", store.to_str().unwrap(), "report", "heavy"];
    report.extend_from_slice(&["--period", "2016", "--max-memory", "1", "--output"]);
    report.push(reports.to_str().unwrap());
    report.extend_from_slice(&timeout);
    stopped(&common::ttkg(ws.path(), &report));
    if reports.exists() {
        assert_eq!(std::fs::read_dir(&reports).unwrap().count(), 0);
    }

    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != "reports")
        .collect();
    assert_eq!(names.len(), 2, "no partial file left behind: {names:?}");

    let zero = on_demo(&["query", "--max-memory", "0", "ASK {}"]);
    assert_eq!(zero.code, 2, "{}", zero.stderr);
    assert!(
        zero.stderr.contains("whole number of MiB"),
        "{}",
        zero.stderr
    );
}

#[test]
fn results_come_in_the_standard_formats() {
    let q = "SELECT ?code WHERE { ?c ttkg:isoCode ?code } ORDER BY ?code LIMIT 2";
    let json = on_demo(&["query", "--format", "json", q]);
    assert!(
        json.stdout.contains("\"head\":{\"vars\":[\"code\"]}"),
        "{}",
        json.stdout
    );
    assert!(json.stdout.contains("\"value\":\"BN\""), "{}", json.stdout);
    let xml = on_demo(&["query", "--format", "xml", q]);
    assert!(xml
        .stdout
        .contains("<sparql xmlns=\"http://www.w3.org/2005/sparql-results#\">"));
    assert!(xml.stdout.contains("<literal>BN</literal>"));
    let tsv = on_demo(&["query", "--format", "tsv", q]);
    assert!(tsv.stdout.starts_with("?code\n\"BN\"\n"), "{}", tsv.stdout);
    let table = on_demo(&["query", "--format", "table", q]);
    assert_eq!(table.stdout, "code\n----\nBN\nBR\n");
    // Piped without --format: CSV.
    assert_eq!(on_demo(&["query", q]).stdout, "code\r\nBN\r\nBR\r\n");
    assert_eq!(
        on_demo(&["query", "ASK { ?a a ttkg:Agreement }"]).stdout,
        "true\n"
    );

    let construct = "CONSTRUCT { ?c ttkg:isoCode ?code } WHERE { ?c ttkg:isoCode \"VN\" , ?code }";
    let turtle = on_demo(&["query", construct]);
    assert!(turtle.stdout.contains("@prefix ttkg:"), "{}", turtle.stdout);
    assert!(
        turtle.stdout.contains("ttkg:isoCode \"VN\""),
        "{}",
        turtle.stdout
    );
    let nt = on_demo(&["query", "--format", "ntriples", construct]);
    assert_eq!(
        nt.stdout,
        "<https://w3id.org/ttkg/vocab/country/VN> <https://w3id.org/ttkg/ontology#isoCode> \"VN\" .\n"
    );
    let jsonld = on_demo(&["query", "--format", "jsonld", construct]);
    assert!(jsonld.stdout.contains("\"@id\""), "{}", jsonld.stdout);
    let wrong = on_demo(&["query", "--format", "turtle", q]);
    assert_eq!(wrong.code, 2);
    assert!(
        wrong.stderr.contains("table, csv, tsv, json or xml"),
        "{}",
        wrong.stderr
    );
}

#[test]
fn queries_come_from_files_and_results_go_to_files() {
    let dir = tempfile::tempdir().unwrap();
    let query = dir.path().join("q.rq");
    std::fs::write(
        &query,
        "SELECT (COUNT(*) AS ?n) WHERE { ?a a ttkg:Agreement }",
    )
    .unwrap();
    let out = dir.path().join("out.json");
    let run = on_demo(&[
        "query",
        "--file",
        query.to_str().unwrap(),
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(std::fs::read_to_string(&out).unwrap().contains("\"393\""));
    // A failing query leaves no file behind.
    let failed = dir.path().join("failed.csv");
    let run = on_demo(&[
        "query",
        "--output",
        failed.to_str().unwrap(),
        "SELECT ?x WHERE {",
    ]);
    assert_eq!(run.code, 2);
    assert!(!failed.exists());
    assert!(
        std::fs::read_dir(dir.path()).unwrap().count() == 2,
        "no .partial file left"
    );
}

#[test]
fn stats_count_classes_files_and_runs() {
    let run = on_demo(&["stats"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = |start: &str| -> String {
        run.stdout
            .lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line starting {start}:\n{}", run.stdout))
            .to_owned()
    };
    assert!(
        line("ttkg:Agreement ").ends_with(" 393"),
        "{}",
        line("ttkg:Agreement ")
    );
    assert!(line("ttkg:NetworkMembership ").ends_with(" 1763"));
    assert!(line("reports/guangxi-agreements-2014-2016.xlsx ").contains("guangxi-agreements"));
    assert!(run.stdout.contains("import runs"));
    let missing = ttkg(&root(), &["--store", "/nonexistent/ttkg-store", "stats"]);
    assert_eq!(missing.code, 5);
    assert!(missing.stderr.contains("ttkg import"), "{}", missing.stderr);
}

/// Reads every file an export wrote back into frames, by table name.
fn read_back(dir: &Path, ext: &str) -> Vec<(String, DataFrame)> {
    let mut tables: Vec<(String, DataFrame)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let frame = match ext {
                "parquet" => ParquetReader::new(std::fs::File::open(&p).unwrap())
                    .finish()
                    .unwrap(),
                _ => CsvReadOptions::default()
                    .with_has_header(true)
                    .with_infer_schema_length(Some(0))
                    .try_into_reader_with_file_path(Some(p.clone()))
                    .unwrap()
                    .finish()
                    .unwrap(),
            };
            (name, frame)
        })
        .collect();
    tables.sort_by(|a, b| a.0.cmp(&b.0));
    tables
}

/// Two cells agree when equal as text, or as numbers.
fn same_cell(a: &str, b: &str) -> bool {
    a == b
        || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if (x - y).abs() <= 1e-9 * x.abs().max(1.0))
}

fn assert_same_rows(what: &str, a: &[Vec<String>], b: &[Vec<String>]) {
    assert_eq!(a.len(), b.len(), "{what}: row counts");
    for (i, (ra, rb)) in a.iter().zip(b).enumerate() {
        assert!(
            ra.len() == rb.len() && ra.iter().zip(rb).all(|(x, y)| same_cell(x, y)),
            "{what}, row {i}:\n  {ra:?}\n  {rb:?}"
        );
    }
}

/// The entities of each export table, counted in the store.
const ENTITY_TABLES: [(&str, &str); 6] = [
    ("agreements", "?x a ttkg:Agreement"),
    ("events", "?x a ttkg:Event"),
    ("memberships", "?x a ttkg:NetworkMembership"),
    ("organisations", "?x a ttkg:Organisation"),
    ("projects", "?x a ?c . ?c rdfs:subClassOf ttkg:Project"),
    ("technologies", "?x a ttkg:Technology"),
];

fn table<'a>(tables: &'a [(String, DataFrame)], name: &str) -> &'a DataFrame {
    &tables
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no table {name}"))
        .1
}

#[test]
fn export_tables_have_one_row_per_entity_in_every_format() {
    use calamine::{open_workbook, Data, Reader, Xlsx};

    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    for (format, target) in [
        ("parquet", out("parquet")),
        ("csv", out("csv")),
        ("xlsx", out("all.xlsx")),
    ] {
        let run = on_demo(&["export", "--format", format, "--output", &target]);
        assert_eq!(run.code, 0, "{format}: {}", run.stderr);
    }
    let parquet = read_back(&dir.path().join("parquet"), "parquet");
    let csv = read_back(&dir.path().join("csv"), "csv");
    let names: Vec<&str> = csv.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "agreements",
            "columns",
            "events",
            "memberships",
            "organisations",
            "projects",
            "sources",
            "technologies"
        ]
    );
    let mut workbook: Xlsx<_> = open_workbook(dir.path().join("all.xlsx")).unwrap();
    for (name, pattern) in ENTITY_TABLES {
        let entities = count(&format!(
            "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {pattern} }}"
        ));
        let from_parquet = table(&parquet, name);
        let from_csv = table(&csv, name);
        assert_eq!(
            from_parquet.height() as i64,
            entities,
            "{name}: one row per entity"
        );
        // The IRI is the last column, once per row.
        let columns = from_parquet.get_column_names();
        assert_eq!(columns.last().unwrap().as_str(), "iri", "{name}");
        assert_eq!(
            from_parquet.column("iri").unwrap().n_unique().unwrap(),
            from_parquet.height(),
            "{name}"
        );
        assert_same_rows(
            &format!("{name}.csv"),
            &frame_rows(from_csv),
            &frame_rows(from_parquet),
        );
        let sheet = workbook.worksheet_range(name).unwrap();
        let from_xlsx: Vec<Vec<String>> = sheet
            .rows()
            .skip(1)
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::Empty => String::new(),
                        Data::DateTime(d) => d.as_datetime().unwrap().date().to_string(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        assert_same_rows(
            &format!("{name} sheet"),
            &from_xlsx,
            &frame_rows(from_parquet),
        );
    }
    assert_eq!(table(&parquet, "agreements").height(), 393);
    assert_eq!(table(&parquet, "memberships").height(), 1763);
    let agreements = table(&parquet, "agreements");
    assert_eq!(
        agreements.column("amountCny").unwrap().dtype(),
        &DataType::Float64
    );
    assert_eq!(
        agreements.column("amountReported").unwrap().dtype(),
        &DataType::Float64
    );
    // Without the IRI, on request.
    let run = on_demo(&[
        "export",
        "technologies",
        "--format",
        "csv",
        "--no-iri",
        "--output",
        &out("no-iri"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let no_iri = read_back(&dir.path().join("no-iri"), "csv");
    assert!(table(&no_iri, "technologies").column("iri").is_err());
}

/// The Excel file an analyst opens: human headers in the chosen language,
/// filters, number formats, typed dates, the amount as the sender wrote it,
/// a data dictionary and the sources.
/// An export of several files is put in place whole: when one file cannot
/// be written, none of the last good export's files is replaced.
#[test]
fn a_failed_export_leaves_the_last_good_one_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    for name in ["agreements", "organisations", "sources"] {
        std::fs::write(out.join(format!("{name}.csv")), "the last good export\n").unwrap();
    }
    // The last file cannot be created.
    std::fs::create_dir(out.join("sources.csv.partial")).unwrap();
    let run = on_demo(&[
        "export",
        "--format",
        "csv",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("sources.csv"), "{}", run.stderr);
    let mut names: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "agreements.csv",
            "organisations.csv",
            "sources.csv",
            "sources.csv.partial"
        ],
        "no new file put in place, no partial file left"
    );
    for name in &names[..3] {
        assert_eq!(
            std::fs::read_to_string(out.join(name)).unwrap(),
            "the last good export\n"
        );
    }
}

#[test]
fn export_workbooks_are_ready_for_an_analyst() {
    use calamine::{open_workbook, Data, Reader, Xlsx};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zh.xlsx");
    let run = on_demo(&["export", "--lang", "zh", "--output", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut workbook: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(
        workbook.sheet_names(),
        [
            "agreements",
            "events",
            "memberships",
            "organisations",
            "projects",
            "technologies",
            "columns",
            "sources"
        ]
    );
    let sheet = workbook.worksheet_range("agreements").unwrap();
    let header: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header[0], "协议编号");
    assert_eq!(header.last().unwrap(), "IRI");
    let at = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {header:?}"))
    };
    let (yuan, reported, unit) = (at("金额（元）"), at("原始金额"), at("原始单位"));
    let mut in_wan = 0;
    for row in sheet.rows().skip(1) {
        let (Data::Float(yuan), Data::Float(reported)) = (&row[yuan], &row[reported]) else {
            continue;
        };
        match row[unit].to_string().as_str() {
            "万元" => {
                in_wan += 1;
                assert!((reported * 10_000.0 - yuan).abs() < 0.005, "{row:?}");
            }
            "元" => assert_eq!(reported, yuan, "{row:?}"),
            _ => {}
        }
    }
    assert!(
        in_wan > 0,
        "amounts reported in 万元 keep their figure and unit"
    );
    // Country names in Chinese; the technology names of the Chinese report.
    let countries = header.iter().position(|h| h == "合作国家").unwrap();
    assert!(sheet
        .rows()
        .skip(1)
        .any(|r| r[countries] == Data::String("越南".into())));
    // Dates: typed where whole, with a year column where some are not.
    let signed = at("签约日期");
    let typed = sheet
        .rows()
        .skip(1)
        .filter(|r| matches!(r[signed], Data::DateTime(_)))
        .count();
    let partial = header.iter().any(|h| h == "签约日期（年）");
    assert!(typed > 0 || partial, "{header:?}");

    let columns = workbook.worksheet_range("columns").unwrap();
    let dictionary: Vec<Vec<String>> = columns
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(
        dictionary[0],
        ["table", "column", "variable", "type", "meaning"]
    );
    assert!(dictionary.iter().any(|r| r[0] == "agreements"
        && r[1] == "金额（元）"
        && r[2] == "amountCny"
        && r[3] == "number"
        && r[4].contains("yuan")));
    let sources = workbook.worksheet_range("sources").unwrap();
    let files: Vec<Vec<String>> = sources
        .rows()
        .filter(|r| r[0] == Data::String("file".into()))
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(files.len(), 9, "every source file: {files:?}");
    assert!(
        files.iter().all(|f| f[3].len() == 64 && !f[4].is_empty()),
        "{files:?}"
    );
    assert!(sources.rows().any(|r| r[0] == Data::String("run".into())));

    // Filters and number formats, from the sheet's XML.
    let mut zip = ::zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let mut xml = |name: &str| {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut text).unwrap();
        text
    };
    for n in 1..=8 {
        let sheet = xml(&format!("xl/worksheets/sheet{n}.xml"));
        assert!(
            sheet.contains("<autoFilter ref=\"A1:"),
            "sheet {n} has a filter"
        );
        assert!(
            sheet.contains("<pane ySplit=\"1\""),
            "sheet {n} keeps its header in view"
        );
    }
    let styles = xml("xl/styles.xml");
    assert!(
        styles.contains("formatCode=\"#,##0.00\""),
        "amounts with separators and fen"
    );
    assert!(
        styles.contains("formatCode=\"#,##0\""),
        "counts with separators"
    );

    // English headers by default, and labels by language with a fallback.
    let tech = |lang: &str| -> Vec<Vec<String>> {
        let out = dir.path().join(format!("tech-{lang}"));
        let run = on_demo(&[
            "export",
            "technologies",
            "--format",
            "csv",
            "--lang",
            lang,
            "--output",
            out.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        frame_rows(table(&read_back(&out, "csv"), "technologies"))
    };
    let (zh, vi, id) = (tech("zh"), tech("vi"), tech("id"));
    let name_in = |rows: &[Vec<String>], iri: &str| {
        rows.iter().find(|r| r.last().unwrap() == iri).unwrap()[0].clone()
    };
    let rice = zh
        .iter()
        .find(|r| r[0] == "杂交水稻优良品种")
        .expect("the Chinese name")
        .last()
        .unwrap()
        .clone();
    assert_eq!(name_in(&vi, &rice), "Giống lúa lai năng suất cao");
    assert!(
        !name_in(&id, &rice).is_empty(),
        "no Indonesian name: another is shown"
    );
}

#[test]
fn exports_of_saved_questions_and_ad_hoc_queries_with_a_bom() {
    let dir = tempfile::tempdir().unwrap();
    let adhoc = dir.path().join("risky.rq");
    std::fs::write(
        &adhoc,
        "# Values a spreadsheet would run as formulas\nSELECT ?text ?n WHERE { VALUES (?text ?n) { (\"=HYPERLINK(\\\"http://x\\\")\" 1) (\"+1\" 2) (\"-2\" 3) (\"@SUM(A1)\" 4) (\"\\tTab\" 5) (\"plain\" -6) } } ORDER BY ?n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = on_demo(&[
        "export",
        "headline-figures",
        "--file",
        adhoc.to_str().unwrap(),
        "--format",
        "csv",
        "--bom",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let headline = std::fs::read(out.join("headline-figures.csv")).unwrap();
    assert!(
        headline.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 byte-order mark"
    );
    assert!(String::from_utf8_lossy(&headline).contains("network members,1763"));
    let risky = std::fs::read_to_string(out.join("risky.csv")).unwrap();
    for neutralised in ["'=HYPERLINK", "'+1", "'-2", "'@SUM(A1)", "'\tTab"] {
        assert!(risky.contains(neutralised), "{neutralised} in {risky}");
    }
    assert!(risky.contains("plain,-6"), "numbers stay numbers: {risky}");

    let xlsx = dir.path().join("risky.xlsx");
    let run = on_demo(&[
        "export",
        "--file",
        adhoc.to_str().unwrap(),
        "--output",
        xlsx.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let mut workbook: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let sheet = workbook.worksheet_range("risky").unwrap();
    let hyperlink = sheet.rows().find(|r| r[1] == Data::Float(1.0)).unwrap();
    assert_eq!(
        hyperlink[0],
        Data::String("=HYPERLINK(\"http://x\")".into()),
        "text, not a formula"
    );
    assert!(workbook
        .worksheet_formula("risky")
        .unwrap()
        .used_cells()
        .next()
        .is_none());

    let run = on_demo(&["export", "no-such-table"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("agreements") && run.stderr.contains("headline-figures"),
        "{}",
        run.stderr
    );
}

/// The repository's workspace plus a second Vietnamese report that gives
/// agreement VN-CN/2016/01 another signing date: each report is fine on its
/// own, together they break `sh:maxCount 1` on ttkg:signingDate.
fn workspace_with_a_conflicting_report() -> tempfile::TempDir {
    workspace_with_a_vietnamese_report(
        "vietnam-agreements-2016-corrections.csv",
        "1,VN-CN/2016/01,Giống lúa lai năng suất cao,广州工业职业技术学院,Công ty Cổ phần Năng lượng Hải Phòng,Giống cây trồng,Hợp tác đầu tư,5.674.000.000,20/02/2016,",
    )
}

/// A scratch copy of the repository's workspace with one more Vietnamese
/// agreements report, `name`, holding `rows` under the usual header.
fn workspace_with_a_vietnamese_report(name: &str, rows: &str) -> tempfile::TempDir {
    let dir = common::scratch_workspace();
    std::fs::write(
        dir.path().join("data/reports").join(name),
        format!("{}\n{rows}\n", common::VIETNAMESE_AGREEMENTS_HEADER),
    )
    .unwrap();
    dir
}

/// `workspace_with_a_vietnamese_report`, imported into its `store` folder
/// (a quarantined row is allowed).
fn imported_with_a_vietnamese_report(name: &str, rows: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = workspace_with_a_vietnamese_report(name, rows);
    let store = dir.path().join("store");
    let run = common::import(dir.path(), &store, &[]);
    assert!(
        run.code == 0 || run.code == 8,
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    (dir, store)
}

/// The rows of saved question `name` asked of `store`, as CSV text.
fn saved_on(store: &Path, name: &str) -> Vec<Vec<String>> {
    let run = common::on_store(store, &["query", "--saved", name, "--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    common::csv_rows(run.stdout)
}

/// The repository's workspace plus a second Vietnamese report whose one
/// agreement was signed at an event that no report describes: the report
/// is fine on its own, but breaks `sh:class ttkg:Event` on ttkg:signedAt.
fn workspace_with_an_unknown_event() -> tempfile::TempDir {
    workspace_with_a_vietnamese_report(
        "vietnam-agreements-2016-supplement.csv",
        "1,VN-CN/2016/99,Giống lúa lai năng suất cao,广州工业职业技术学院,Công ty Cổ phần Năng lượng Hải Phòng,Giống cây trồng,Hợp tác đầu tư,5.674.000.000,20/02/2016,Hội chợ chưa có trong báo cáo sự kiện",
    )
}

/// An agreement signed at an event without a reported value still counts
/// among the event's agreements and its organisations' (it used to be left
/// out of both counts).
#[test]
fn an_agreement_without_a_value_counts_at_its_event() {
    let event = "2016中国—越南技术及投资对接会";
    let (_dir, store) = imported_with_a_vietnamese_report(
        "vietnam-agreements-2016-supplement.csv",
        &format!("1,VN-CN/2016/98,Giống lúa lai năng suất cao,广州工业职业技术学院,Công ty Cổ phần Năng lượng Hải Phòng,Giống cây trồng,Hợp tác đầu tư,,20/06/2016,{event}"),
    );
    // The row of a saved question whose first column is `first`: its
    // agreements (column `count`) and value (the column after).
    let row_of = |store: &Path, question: &str, first: &str, count: usize| {
        let rows = saved_on(store, question);
        let row = rows
            .iter()
            .find(|r| r[0] == first)
            .unwrap_or_else(|| panic!("{question} has a row for {first}"));
        (row[count].parse::<u32>().unwrap(), row[count + 1].clone())
    };
    let (_turn, demo) = common::demo();
    let (count, value) = row_of(demo, "events-by-agreements", event, 4);
    assert_eq!(
        row_of(&store, "events-by-agreements", event, 4),
        (count + 1, value),
        "the agreement without a value is counted, and adds nothing to the value"
    );
    // And among the agreements of the organisations that signed it.
    let organisation = "Công ty Cổ phần Năng lượng Hải Phòng";
    let (count, value) = row_of(demo, "top-organisations", organisation, 2);
    assert_eq!(
        row_of(&store, "top-organisations", organisation, 2),
        (count + 1, value)
    );
}

#[test]
fn a_second_report_giving_an_agreement_another_date_is_a_conflict() {
    let dir = workspace_with_a_conflicting_report();
    let store = dir.path().join("store");
    // The reports are in the store when the correction arrives.
    let correction = dir
        .path()
        .join("data/reports/vietnam-agreements-2016-corrections.csv");
    let held = dir.path().join("correction.csv");
    std::fs::rename(&correction, &held).unwrap();
    assert_eq!(common::import(dir.path(), &store, &[]).code, 0);
    std::fs::rename(&held, &correction).unwrap();
    let run = common::import(dir.path(), &store, &[]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("1 of 1 rows quarantined"),
        "the correction's only row conflicts: {}",
        run.stderr
    );
    let quarantine = std::fs::read_dir(store.with_extension("quarantine"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.extension().is_some_and(|x| x == "csv") && p.to_string_lossy().contains("quarantine-")
        })
        .map(|p| std::fs::read_to_string(p).unwrap())
        .unwrap();
    assert!(
        quarantine.contains("id:agreement/vn-cn%2F2016%2F01 already has ttkg:signingDate 2016-02-18 from reports/vietnam-agreements-2016.csv, row 2, and this row gives 2016-02-20"),
        "{quarantine}"
    );
    let store_arg = store.to_str().unwrap();
    let count = ttkg(
        dir.path(),
        &[
            "--store",
            store_arg,
            "query",
            "SELECT (COUNT(?a) AS ?n) WHERE { ?a a ttkg:Agreement }",
        ],
    );
    assert_eq!(count.stdout, "n\r\n393\r\n");
    let check = ttkg(dir.path(), &["--store", store_arg, "validate"]);
    assert_eq!(
        check.code, 0,
        "nothing conflicting was published: {}",
        check.stdout
    );
}

#[test]
fn import_with_validate_leaves_out_sources_that_break_the_shapes() {
    let dir = workspace_with_an_unknown_event();
    let store = dir.path().join("store");
    let run = common::import(dir.path(), &store, &["--validate"]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("sources left out by --validate"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("ttkg:signedAt"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("reports/vietnam-agreements-2016-supplement.csv, row 2"),
        "names the file and row: {}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("does not conform to ontology/shapes.ttl"),
        "{}",
        run.stderr
    );
    // The supplement is not published; every other report is.
    let store_arg = store.to_str().unwrap();
    let count = ttkg(
        dir.path(),
        &[
            "--store",
            store_arg,
            "query",
            "SELECT (COUNT(?a) AS ?n) WHERE { ?a a ttkg:Agreement }",
        ],
    );
    assert_eq!(
        count.stdout, "n\r\n393\r\n",
        "the 393 agreements, without the supplement's"
    );
    let check = ttkg(dir.path(), &["--store", store_arg, "validate"]);
    assert_eq!(
        check.code, 0,
        "what was published conforms: {}",
        check.stdout
    );
}

#[test]
fn validate_reports_each_violation_with_its_source_rows() {
    let dir = workspace_with_an_unknown_event();
    let store = dir.path().join("store");
    let run = common::import(dir.path(), &store, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = dir.path().join("violations.xlsx");
    let check = ttkg(
        dir.path(),
        &[
            "--store",
            store.to_str().unwrap(),
            "validate",
            "--output",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(check.code, 7, "{}\n{}", check.stdout, check.stderr);
    assert!(check.stdout.contains("1 violation(s)"), "{}", check.stdout);
    let line = check
        .stdout
        .lines()
        .find(|l| l.contains("ttkg:signedAt"))
        .unwrap_or_else(|| panic!("{}", check.stdout));
    assert!(line.contains("shapes:Agreement"), "{line}");
    assert!(
        line.contains("vietnam-agreements-2016-supplement.csv, row 2"),
        "{line}"
    );
    assert!(line.contains("ttkg:Event"), "{line}");

    use calamine::{open_workbook, Data, Reader, Xlsx};
    let mut workbook: Xlsx<_> = open_workbook(&report).unwrap();
    let sheet = workbook.worksheet_range("violations").unwrap();
    let rows: Vec<_> = sheet.rows().collect();
    assert_eq!(rows.len(), 2, "header and one violation");
    assert_eq!(rows[0][0], Data::String("file".into()));
    assert_eq!(rows[1][6], Data::String("ttkg:signedAt".into()));
    assert_eq!(rows[1][7], Data::String("sh:class ttkg:Event".into()));
}

/// `sh:datatype` checks the text as well as the datatype, as SHACL says:
/// ill-typed values loaded with `ttkg load` are violations, reported for the
/// same nodes and constraints as pyshacl reports them.
#[test]
fn validate_reports_ill_typed_values_as_pyshacl_does() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let store_arg = store.to_str().unwrap();
    let data = root().join("tests/fixtures/shacl/ill-typed.trig");
    let load = ttkg(
        &root(),
        &["--store", store_arg, "load", data.to_str().unwrap()],
    );
    assert_eq!(load.code, 0, "{}", load.stderr);
    let violations = dir.path().join("violations.csv");
    let run = ttkg(
        &root(),
        &[
            "--store",
            store_arg,
            "validate",
            "--output",
            violations.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 7, "{}\n{}", run.stdout, run.stderr);
    for (node, problem) in [
        (
            "amount-abc",
            "\"abc\" (xsd:decimal) is not a valid xsd:decimal",
        ),
        ("course-five", "is not a valid xsd:integer"),
        ("event-feb30", "is not a valid xsd:date"),
        ("member-month13", "is not a valid xsd:gYearMonth"),
    ] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.contains(node) && l.contains(problem)),
            "{node}: {problem}\n{}",
            run.stdout
        );
    }
    for fine in ["amount-ok", "course-ok", "event-ok", "member-ok"] {
        assert!(
            !run.stdout.contains(&format!("test/{fine}")),
            "{fine}: {}",
            run.stdout
        );
    }
    let compared = common::python(
        "tests/fixtures/shacl/compare.py",
        &[
            data.to_str().unwrap(),
            root().join("ontology/shapes.ttl").to_str().unwrap(),
            violations.to_str().unwrap(),
        ],
    );
    let said = String::from_utf8_lossy(&compared.stdout);
    assert!(said.contains("same 7 violations"), "{said}");
}

/// The questions that mark a block for ttkg's columnar copy answer from it
/// on the demo store as imported (the import writes the copy), byte for
/// byte what SPARQL alone answers.
#[test]
fn marked_questions_answer_from_the_columnar_copy_what_sparql_answers() {
    let (_turn, store) = common::demo();
    let root = root();
    let asked = [
        ("agreements-by-country", None),
        ("top-organisations", None),
        ("period-agreements", Some("period=2016")),
        ("period-agreements", Some("period=2016-05")),
        ("period-figures", Some("period=2016")),
        ("period-figures", Some("period=2015-11")),
        ("headline-figures", None),
        ("technologies-to-country", Some("country=VN")),
        ("technologies-to-country", Some("country=th")),
    ];
    for (name, param) in asked {
        let mut args = vec![
            "--root",
            root.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            "query",
            "--saved",
            name,
            "--format",
            "csv",
        ];
        args.extend(param.iter().flat_map(|p| ["--param", *p]));
        let columnar = common::ttkg_in(&root, &args, &[("TTKG_LOG", "ttkg_graph=info")]);
        let plain = common::ttkg_in(&root, &args, &[("TTKG_COLUMNS", "off")]);
        assert_eq!(columnar.code, 0, "{name}: {}", columnar.stderr);
        assert_eq!(plain.code, 0, "{name}: {}", plain.stderr);
        assert!(
            columnar.stderr.contains("answered from the columnar copy"),
            "{name} {param:?}: {}",
            columnar.stderr
        );
        assert!(common::csv_rows(plain.stdout.clone()).len() > 1, "{name}");
        assert_eq!(columnar.stdout, plain.stdout, "{name} {param:?}");
    }
}

/// The rows of an answer as N-Triples terms, in the order given.
fn answer_rows(
    results: ttkg_graph::oxigraph::sparql::QueryResults<'_>,
) -> Vec<Vec<Option<String>>> {
    let ttkg_graph::oxigraph::sparql::QueryResults::Solutions(solutions) = results else {
        panic!("a saved question is a SELECT");
    };
    let variables = solutions.variables().to_vec();
    solutions
        .map(|s| {
            let s = s.expect("an answer row");
            variables
                .iter()
                .map(|v| s.get(v).map(ToString::to_string))
                .collect()
        })
        .collect()
}

/// ttkg stores each fact once, in its source's graph, and questions read
/// the default graph as the named graphs' union, merged as they read it.
/// Until 2026-12 it kept that union as a copy in the default graph. Every
/// saved question and export table answers on the demo store exactly what
/// it answered over the copy: the same quads, the union materialised, and
/// evaluated by oxigraph on its own.
#[test]
fn saved_questions_answer_the_union_as_they_answered_its_materialised_copy() {
    use ttkg_graph::oxigraph::model::{GraphName, Quad};
    use ttkg_graph::oxigraph::sparql::SparqlEvaluator;
    use ttkg_graph::oxigraph::store::Store;

    let (_dir, copy) = common::demo_store_copy();
    let store = ttkg_graph::KnowledgeStore::open(&copy).unwrap();
    assert!(store.stored_default_graph_is_empty().unwrap());
    let materialised = Store::new().unwrap();
    for quad in store.store().iter() {
        let quad = quad.unwrap();
        let in_default = Quad::new(
            quad.subject.clone(),
            quad.predicate.clone(),
            quad.object.clone(),
            GraphName::DefaultGraph,
        );
        materialised.insert(&quad).unwrap();
        materialised.insert(&in_default).unwrap();
    }
    let mut evaluator = SparqlEvaluator::new();
    for (prefix, namespace) in ttkg_vocab::PREFIXES {
        evaluator = evaluator.with_prefix(*prefix, *namespace).unwrap();
    }
    let queries = root().join("queries");
    let mut asked = 0;
    for dir in [queries.clone(), queries.join("export")] {
        for saved in ttkg_query::saved::load_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(&saved.path).unwrap();
            let bindings = saved.bindings(&[]).unwrap();
            let ours = answer_rows(store.query_with(&text, &bindings, None).unwrap());
            let mut prepared = evaluator.clone().parse_query(&text).unwrap();
            for (variable, value) in &bindings {
                prepared = prepared.substitute_variable(variable.clone(), value.clone());
            }
            let mut theirs = answer_rows(prepared.on_store(&materialised).execute().unwrap());
            assert!(!theirs.is_empty(), "{}: no rows to compare", saved.name);
            if dir == queries {
                // In the order shown: a question's ORDER BY leaves no ties.
                assert_eq!(ours, theirs, "{}", saved.name);
            } else {
                // An export's rows are merged per entity and sorted after.
                let mut ours = ours;
                ours.sort();
                theirs.sort();
                assert_eq!(ours, theirs, "export {}", saved.name);
            }
            asked += 1;
        }
    }
    assert!(asked >= 20, "{asked} questions");
}

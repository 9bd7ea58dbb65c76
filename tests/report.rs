//! The department's periodic report, end to end: the period questions
//! against the saved questions and counts made another way, and `ttkg
//! report`'s HTML and XLSX read back as an analyst would open them.

use crate::common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use calamine::{open_workbook, Data, Reader, Xlsx};
use common::{on_demo, on_store, root};
use ttkg_report::report::group_thousands;

/// A saved question's answer, each row as text (CSV read with polars).
fn answer(store: Option<&Path>, name: &str, params: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec!["query", "--format", "csv", "--saved", name];
    for p in params {
        args.extend_from_slice(&["--param", p]);
    }
    let run = match store {
        Some(store) => on_store(store, &args),
        None => on_demo(&args),
    };
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    common::csv_rows(run.stdout)
}

/// period-figures as `figure → (value, unplaced)`.
fn period_figures(store: Option<&Path>, period: &str) -> BTreeMap<String, (String, String)> {
    answer(store, "period-figures", &[&format!("period={period}")])
        .into_iter()
        .map(|cells| {
            assert_eq!(cells[0], period);
            (cells[1].clone(), (cells[2].clone(), cells[3].clone()))
        })
        .collect()
}

fn count(sparql: &str) -> String {
    let run = on_demo(&["query", "--format", "csv", sparql]);
    assert_eq!(run.code, 0, "{sparql}: {}", run.stderr);
    run.stdout.lines().nth(1).expect("one row").to_owned()
}

/// headline-figures as `figure → value`.
fn headline() -> BTreeMap<String, String> {
    answer(None, "headline-figures", &[])
        .into_iter()
        .map(|cells| (cells[0].clone(), cells[1].clone()))
        .collect()
}

#[test]
fn at_the_end_of_the_last_year_the_period_figures_are_the_headline_figures() {
    let headline = headline();
    let at_end = period_figures(None, "2016");
    assert_eq!(headline.len(), 11);
    for (figure, value) in &headline {
        assert_eq!(
            at_end.get(figure),
            Some(&(value.clone(), "0".to_owned())),
            "{figure}"
        );
    }
}

#[test]
fn period_figures_count_what_was_dated_by_the_end_of_the_period() {
    // Counted another way: dates compared as dates, not as text.
    for (period, day_after) in [("2015", "2016-01-01"), ("2016-06", "2016-07-01")] {
        let figures = period_figures(None, period);
        let agreements = count(&format!(
            "SELECT (COUNT(?a) AS ?n) WHERE {{ ?a a ttkg:Agreement ; ttkg:signingDate ?d FILTER(?d < \"{day_after}\"^^xsd:date) }}"
        ));
        assert_eq!(figures["agreements signed"].0, agreements, "{period}");
        let bases = count(&format!(
            "SELECT (COUNT(?b) AS ?n) WHERE {{ ?b a ttkg:DemonstrationBase ; ttkg:startDate ?d FILTER(?d < \"{day_after}\"^^xsd:date) }}"
        ));
        assert_eq!(figures["demonstration bases"].0, bases, "{period}");
    }
    // The network's size at the end of 2015, as membership-growth has it.
    let growth = answer(None, "membership-growth", &[]);
    let total_2015 = &growth.iter().find(|r| r[0] == "2015").expect("2015")[4];
    assert_eq!(
        &period_figures(None, "2015")["network members"].0,
        total_2015
    );
    // June 2016 is the end of May 2016 plus those who joined in June.
    let may = period_figures(None, "2016-05");
    let june = period_figures(None, "2016-06");
    let joined_in_june: i64 = answer(None, "period-members", &["period=2016-06"])
        .iter()
        .map(|cells| cells[2].parse::<i64>().unwrap())
        .sum();
    let members =
        |f: &BTreeMap<String, (String, String)>| f["network members"].0.parse::<i64>().unwrap();
    assert_eq!(members(&june), members(&may) + joined_in_june);
    assert!(joined_in_june > 0);
}

#[test]
fn period_questions_list_what_fell_in_the_period() {
    // Agreements by country and year to the end of 2015 add up to the
    // figure, and stop at 2015.
    let mut total = 0;
    for cells in answer(None, "period-agreements", &["period=2015"]) {
        assert!(cells[2].parse::<i32>().unwrap() <= 2015, "{cells:?}");
        total += cells[3].parse::<i64>().unwrap();
    }
    assert_eq!(
        total.to_string(),
        period_figures(None, "2015")["agreements signed"].0
    );
    // Bases: every base started by the end of 2016, two of them in 2016.
    let bases = answer(None, "period-bases", &["period=2016"]);
    assert_eq!(bases.len(), 7, "{bases:?}");
    assert_eq!(bases.iter().filter(|r| r[5] == "1").count(), 2, "{bases:?}");
    // Training: the courses that started in June 2016, and none in a month without.
    let june = answer(None, "period-training", &["period=2016-06"]);
    assert_eq!(june.len(), 1, "{june:?}");
    assert_eq!(june[0][2], "2016-06", "{june:?}");
    assert!(answer(None, "period-training", &["period=2016-07"]).is_empty());
    let bad = on_demo(&[
        "query",
        "--saved",
        "period-training",
        "--param",
        "period=June",
    ]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr
            .contains("write a year (2016) or a month (2016-06)"),
        "{}",
        bad.stderr
    );
}

/// A store holding memberships dated to the month, to the year only, and
/// not at all, and an agreement without an amount.
fn store_with_coarse_dates(dir: &Path) -> PathBuf {
    let store = dir.join("store");
    let data = dir.join("coarse.ttl");
    std::fs::write(
        &data,
        r#"@prefix ttkg: <https://w3id.org/ttkg/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<http://example.org/m1> a ttkg:NetworkMembership ; ttkg:joinedOn "2016-05"^^xsd:gYearMonth .
<http://example.org/m2> a ttkg:NetworkMembership ; ttkg:joinedOn "2016"^^xsd:gYear .
<http://example.org/m3> a ttkg:NetworkMembership .
<http://example.org/a1> a ttkg:Agreement ; ttkg:signingDate "2016-06-03"^^xsd:date .
"#,
    )
    .unwrap();
    let run = on_store(&store, &["load", data.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    store
}

#[test]
fn what_a_period_cannot_place_is_counted_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_coarse_dates(dir.path());
    let june = period_figures(Some(&store), "2016-06");
    // m1 is in; m2 (2016 only) cannot be placed in June; m3 has no date.
    assert_eq!(june["network members"], ("1".into(), "2".into()));
    let year = period_figures(Some(&store), "2016");
    assert_eq!(year["network members"], ("2".into(), "1".into()));
    assert_eq!(june["agreements signed"], ("1".into(), "0".into()));

    let out = dir.path().join("out");
    let run = on_store(
        &store,
        &[
            "report",
            "--period",
            "2016-06",
            "--lang",
            "en",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Said on the terminal, in the report and in the workbook.
    assert!(
        run.stderr.contains("Items in none of these figures: 2."),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Agreements without an amount: 1."),
        "{}",
        run.stderr
    );
    let html = std::fs::read_to_string(out.join("monthly-2016-06-en.html")).unwrap();
    assert!(html.contains("Items in none of these figures: 2."));
    assert!(html.contains("No demonstration base had started by the end of the period."));
    let mut workbook: Xlsx<_> = open_workbook(out.join("monthly-2016-06-en.xlsx")).unwrap();
    let overview = workbook.worksheet_range("Overview").unwrap();
    let text: String = overview.rows().flatten().map(|c| c.to_string()).collect();
    assert!(
        text.contains("Items in none of these figures: 2."),
        "{text}"
    );
    assert!(
        text.contains("No training course started in the period."),
        "{text}"
    );
}

/// The rows of a sheet from its header row (the row whose first cell is
/// `first_header`) on, as text.
fn table_from(sheet: &calamine::Range<Data>, first_header: &str) -> Vec<Vec<Data>> {
    sheet
        .rows()
        .skip_while(|r| r.first().map(|c| c.to_string()) != Some(first_header.to_owned()))
        .map(|r| r.to_vec())
        .collect()
}

#[test]
fn the_report_for_a_year_has_the_questions_figures_charts_and_changes() {
    let dir = tempfile::tempdir().unwrap();
    let run = on_demo(&[
        "report",
        "--period",
        "2016",
        "--output",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html_path = dir.path().join("monthly-2016-zh.html");
    let xlsx_path = dir.path().join("monthly-2016-zh.xlsx");
    assert!(
        run.stdout.contains("monthly-2016-zh.html") && run.stdout.contains("monthly-2016-zh.xlsx")
    );
    let headline = headline();
    let before = period_figures(None, "2015");

    let mut workbook: Xlsx<_> = open_workbook(&xlsx_path).unwrap();
    let names = workbook.sheet_names();
    assert_eq!(
        names,
        [
            "概览",
            "1 主要数字",
            "2 按合作国家和年份统计的协议及金额",
            "3 新加入的网络成员",
            "4 农业示范基地",
            "5 本期培训"
        ],
        "{names:?}"
    );
    let figures = table_from(&workbook.worksheet_range("1 主要数字").unwrap(), "指标");
    assert_eq!(
        figures[0].iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        [
            "指标",
            "数值（2016年）",
            "数值（2015年）",
            "变化（数值）",
            "无法归期"
        ]
    );
    let by_name: BTreeMap<String, &Vec<Data>> =
        figures[1..].iter().map(|r| (r[0].to_string(), r)).collect();
    for (english, chinese) in [
        ("network members", "协作网络成员"),
        ("agreements signed", "签署的合作协议"),
        ("agreement value (亿元)", "协议金额（亿元）"),
        ("trainees", "培训学员（人次）"),
    ] {
        let row = by_name
            .get(chinese)
            .unwrap_or_else(|| panic!("{chinese} in {by_name:?}"));
        let now: f64 = headline[english].parse().unwrap();
        let then: f64 = before[english].0.parse().unwrap();
        assert_eq!(row[1], Data::Float(now), "{english}");
        assert_eq!(row[2], Data::Float(then), "{english}");
        assert!(
            matches!(row[3], Data::Float(change) if (change - (now - then)).abs() < 1e-9),
            "{english}: {row:?}"
        );
    }
    // Agreements by country and year: typed, adding up to the figure.
    let agreements = table_from(
        &workbook
            .worksheet_range("2 按合作国家和年份统计的协议及金额")
            .unwrap(),
        "合作国家",
    );
    let total: f64 = agreements[1..]
        .iter()
        .map(|r| match r[2] {
            Data::Float(n) => n,
            ref other => panic!("a count, not {other:?}"),
        })
        .sum();
    assert_eq!(total.to_string(), headline["agreements signed"]);
    assert!(agreements[1..]
        .iter()
        .any(|r| r[0] == Data::String("越南".into())));
    assert!(agreements[1..].iter().all(|r| r[1] == Data::Float(2014.0)
        || r[1] == Data::Float(2015.0)
        || r[1] == Data::Float(2016.0)));
    // Native charts: one for each section with a chart.
    let mut zip = ::zip::ZipArchive::new(std::fs::File::open(&xlsx_path).unwrap()).unwrap();
    let charts: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .filter(|n| n.starts_with("xl/charts/chart"))
        .collect();
    assert_eq!(charts.len(), 4, "{charts:?}");
    let mut line_chart = String::new();
    zip.by_name("xl/charts/chart1.xml")
        .unwrap()
        .read_to_string(&mut line_chart)
        .unwrap();
    assert!(
        line_chart.contains("<c:lineChart>"),
        "the agreements chart is a line over the years"
    );

    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("报告期：2016年（与2015年比较）"));
    assert!(
        html.contains(">1,763<") && html.contains(">+463<"),
        "the figures, grouped, and their change"
    );
    assert_eq!(html.matches("<svg").count(), 4);
    assert!(html.contains("@page { size: A4"));
    // Self-contained: nothing to fetch, nothing to run.
    for outside in ["<script", "src=\"http", "href=\"http", "<link"] {
        assert!(!html.contains(outside), "{outside}");
    }
}

#[test]
fn the_report_for_a_month_compares_with_the_month_before_in_english() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("june.html");
    let run = on_demo(&[
        "report",
        "--period",
        "2016-06",
        "--lang",
        "en",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !dir.path().join("june.xlsx").exists(),
        "only the file asked for"
    );
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(html.contains("Period: June 2016 (compared with May 2016)"));
    let june = period_figures(None, "2016-06");
    let may = period_figures(None, "2016-05");
    let members =
        |f: &BTreeMap<String, (String, String)>| f["network members"].0.parse::<i64>().unwrap();
    let row = format!(
        "<td>network members</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n up\">+{}</td>",
        group_thousands(&members(&june).to_string()),
        group_thousands(&members(&may).to_string()),
        members(&june) - members(&may)
    );
    assert!(html.contains(&row), "{row}");
    assert!(
        html.contains("传统医药国际培训班"),
        "June's one training course"
    );
}

#[test]
fn a_period_with_nothing_in_it_says_so_and_bad_requests_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let run = on_demo(&[
        "report",
        "--period",
        "1990",
        "--lang",
        "en",
        "--output",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(dir.path().join("monthly-1990-en.html")).unwrap();
    assert!(html.contains("No agreement was signed by the end of the period."));
    assert!(
        run.stderr
            .contains("No training course started in the period."),
        "{}",
        run.stderr
    );

    for (args, says) in [
        (
            vec!["report", "--period", "2016-13"],
            "write a year (2016) or a month (2016-06)",
        ),
        (vec!["report"], "--period"),
        (
            vec!["report", "yearly", "--period", "2016"],
            "no report definition `yearly`",
        ),
    ] {
        let run = on_demo(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }
    let listed = on_demo(&["report", "--list"]);
    assert!(listed.stdout.contains("monthly") && listed.stdout.contains("period-figures"));
}

#[test]
fn the_report_page_is_served_with_its_workbook_and_refuses_bad_requests() {
    use common::server::{curl, Server};
    // Asked of the shared demo store; the server below runs on a copy.
    let june = period_figures(None, "2016-06");
    let (_dir, store) = common::demo_store_copy();
    let server = Server::start(&root(), &store, &[], &[]);
    let page = curl(&format!("{}/report?period=2016&lang=en", server.url), &[]);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.content_type.starts_with("text/html"),
        "{}",
        page.content_type
    );
    assert!(page.body.contains("Period: 2016 (compared with 2015)"));
    assert!(page.body.contains(">1,763<") && page.body.contains("class=\"controls\""));
    // Without a period: the newest year with data.
    let newest = curl(&format!("{}/report", server.url), &[]);
    assert!(
        newest.body.contains("报告期：2016年（与2015年比较）"),
        "{}",
        &newest.body[..600.min(newest.body.len())]
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("june.xlsx");
    let headers = dir.path().join("headers");
    let download = std::process::Command::new("curl")
        .args(["-sS", "-f", "-D"])
        .arg(&headers)
        .arg("-o")
        .arg(&path)
        .arg(format!(
            "{}/report?period=2016-06&lang=en&format=xlsx",
            server.url
        ))
        .status()
        .expect("curl runs");
    assert!(download.success());
    let headers = std::fs::read_to_string(&headers).unwrap();
    assert!(
        headers.contains("filename=\"monthly-2016-06-en.xlsx\""),
        "{headers}"
    );
    let mut workbook: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(workbook.sheet_names()[0], "Overview");
    let figures = table_from(
        &workbook.worksheet_range("1 Headline figures").unwrap(),
        "Figure",
    );
    let members = figures
        .iter()
        .find(|r| r[0] == Data::String("network members".into()))
        .unwrap();
    assert_eq!(
        members[1],
        Data::Float(june["network members"].0.parse().unwrap())
    );

    for (query, status, says) in [
        (
            "period=2016-13",
            400,
            "write a year (2016) or a month (2016-06)",
        ),
        ("period=2016&lang=fr", 400, "zh or en"),
        ("period=2016&format=pdf", 400, "html or xlsx"),
        (
            "name=yearly&period=2016",
            404,
            "no report `yearly`; there are: monthly",
        ),
    ] {
        let reply = curl(&format!("{}/report?{query}", server.url), &[]);
        assert_eq!(reply.status, status, "{query}: {}", reply.body);
        assert!(reply.body.contains(says), "{query}: {}", reply.body);
        assert!(
            !reply.body.contains(&root().display().to_string()),
            "no server paths: {}",
            reply.body
        );
    }
    server.stop();
}

#[test]
fn the_query_page_offers_a_period_parameter_the_years_and_months_with_data() {
    use common::server::{curl, Server};
    let (_dir, store) = common::demo_store_copy();
    let server = Server::start(&root(), &store, &[], &[]);
    let list = curl(&format!("{}/api/saved", server.url), &[]);
    let list: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    let figures = list
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "period-figures")
        .expect("period-figures is listed");
    let offered: Vec<&str> = figures["params"][0]["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(figures["params"][0]["kind"], "period");
    assert_eq!(&offered[..3], ["2016", "2016-12", "2016-11"], "{offered:?}");
    assert!(
        offered.contains(&"2014") && offered.contains(&"2013-09"),
        "{offered:?}"
    );
    assert!(offered
        .iter()
        .all(|p| ttkg_query::Period::parse(p).is_some()));
    server.stop();
}
